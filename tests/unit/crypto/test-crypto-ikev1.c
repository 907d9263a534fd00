/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv1 (RFC 2409) key derivation, hashes, KEYMAT, NAT-D and the CBC/IV
 * chain against values computed independently (vectors.py: Python's hmac
 * and hashlib, AES/3DES-CBC by the openssl command line; the hex strings
 * below are its output).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-ikev1.h"
#include "hex.h"
#include "testing.h"

/* The inputs vectors.py uses. */
static uint8_t ni[16], nr[20], gxy[128], gxi[128], gxr[128], qni[24], qnr[16], g2[256];
static const uint8_t cky_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t cky_r[8] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8 };
static const char psk[] = "correct horse battery staple";
#define MID 0x12345678u

static void inputs(void)
{
    for (int i = 0; i < 16; i++)
        ni[i] = (uint8_t)i;
    for (int i = 0; i < 20; i++)
        nr[i] = (uint8_t)(0x20 + i);
    for (int i = 0; i < 128; i++) {
        gxy[i] = (uint8_t)(i * 7 + 3);
        gxi[i] = (uint8_t)(i * 5 + 1);
        gxr[i] = (uint8_t)(i * 11 + 9);
    }
    for (int i = 0; i < 24; i++)
        qni[i] = (uint8_t)(0x40 + i);
    for (int i = 0; i < 16; i++)
        qnr[i] = (uint8_t)(0x60 + i);
    for (int i = 0; i < 256; i++)
        g2[i] = (uint8_t)(i * 13 + 5);
}

static const struct crypto_prf *sha1(void)
{
    return crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_SHA1);
}

static int psk_keys(struct crypto_ikev1_keys *k)
{
    return crypto_ikev1_derive_keys(sha1(), psk, strlen(psk), gxy, sizeof(gxy), ni, sizeof(ni),
                                    nr, sizeof(nr), cky_i, cky_r, k);
}

static void test_lookups(void)
{
    CHECK(crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_MD5)->out_len == 16);
    CHECK(crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_MD5)->legacy);
    CHECK(sha1() == crypto_prf_find(CRYPTO_PRF_HMAC_SHA1));
    CHECK(crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_SHA2_256) == crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_256));
    CHECK(crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_SHA2_384)->out_len == 48);
    CHECK(crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_SHA2_512)->out_len == 64);
    CHECK(crypto_ikev1_hash_find(3) == NULL);     /* Tiger */
    CHECK(crypto_ikev1_hash_find(0) == NULL);
    CHECK(crypto_ikev1_encr_find(CRYPTO_IKEV1_ENCR_AES_CBC, 256) == crypto_encr_find(CRYPTO_ENCR_AES_CBC, 256));
    CHECK(crypto_ikev1_encr_find(CRYPTO_IKEV1_ENCR_AES_CBC, 0) == NULL);   /* AES needs a Key Length */
    CHECK(crypto_ikev1_encr_find(CRYPTO_IKEV1_ENCR_AES_CBC, 100) == NULL);
    CHECK(crypto_ikev1_encr_find(CRYPTO_IKEV1_ENCR_3DES_CBC, 0) == crypto_encr_find(CRYPTO_ENCR_3DES, 192));
    CHECK(crypto_ikev1_encr_find(1, 0) == NULL);   /* DES */
    CHECK(crypto_ikev1_encr_find(12, 128) == NULL); /* an IKEv2 number is not an IKEv1 one */
}

static void test_skeyid_psk(void)
{
    struct crypto_ikev1_keys k;

    inputs();
    CHECK_INT_EQ(psk_keys(&k), 0);
    CHECK(k.prf == sha1());
    CHECK(hex_equal(k.skeyid, k.skeyid_len, "de76a354fb9a5de7c712ef8788df281088b4adde"));
    CHECK(hex_equal(k.skeyid_d, k.skeyid_d_len, "058b093a66eba516e3439f59fa56d6d738295eac"));
    CHECK(hex_equal(k.skeyid_a, k.skeyid_a_len, "d57a02f91aa3bff318e34bac65c337d367367159"));
    CHECK(hex_equal(k.skeyid_e, k.skeyid_e_len, "210e999d3cc02f4c84ae837a4bca34f556347c21"));
    crypto_ikev1_keys_wipe(&k);
    CHECK(k.prf == NULL);
    CHECK_INT_EQ(k.skeyid_len, 0);
    CHECK_INT_EQ(k.skeyid_e[0] | k.skeyid_e[19] | k.skeyid[0], 0);

    /* Legacy MD5 (old Cisco VPN Clients). */
    CHECK_INT_EQ(crypto_ikev1_derive_keys(crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_MD5), psk, strlen(psk),
                                          gxy, sizeof(gxy), ni, sizeof(ni), nr, sizeof(nr),
                                          cky_i, cky_r, &k), 0);
    CHECK(hex_equal(k.skeyid_e, k.skeyid_e_len, "02433e24701c3e032016d56de2d2fe49"));
    crypto_ikev1_keys_wipe(&k);
}

static void test_skeyid_signature(void)
{
    struct crypto_ikev1_keys k;

    inputs();
    CHECK_INT_EQ(crypto_ikev1_derive_keys(crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_SHA2_256), NULL, 0,
                                          gxy, sizeof(gxy), ni, sizeof(ni), nr, sizeof(nr),
                                          cky_i, cky_r, &k), 0);
    CHECK(hex_equal(k.skeyid, k.skeyid_len, "a46c55f5ceae3578682565e477a7fe997a553e34f13b979ca9bbb2fe9e5e89c1"));
    CHECK(hex_equal(k.skeyid_d, k.skeyid_d_len, "710ebe19592d37f8f342558eee43f20fe90c29234ca3570f8223110b09e1ffb5"));
    CHECK(hex_equal(k.skeyid_a, k.skeyid_a_len, "6cafbe4e07c36ba2391b7412f410ac5e848f851a85eba05e5d1eee009a65afe8"));
    CHECK(hex_equal(k.skeyid_e, k.skeyid_e_len, "22a839837c1e2e045228f6c1e224d2ae206c81844bb6cafe6631da8e6086f2be"));
    crypto_ikev1_keys_wipe(&k);
}

static void test_skeyid_invalid(void)
{
    struct crypto_ikev1_keys k;

    inputs();
    /* Nonces outside 8..256 bytes, no g^xy, empty PSK, no prf. */
    CHECK_INT_EQ(crypto_ikev1_derive_keys(sha1(), psk, strlen(psk), gxy, 128, ni, 7, nr, 20, cky_i, cky_r, &k), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_derive_keys(sha1(), psk, strlen(psk), gxy, 128, ni, 16, g2, 257, cky_i, cky_r, &k), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_derive_keys(sha1(), psk, strlen(psk), gxy, 0, ni, 16, nr, 20, cky_i, cky_r, &k), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_derive_keys(sha1(), psk, 0, gxy, 128, ni, 16, nr, 20, cky_i, cky_r, &k), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_derive_keys(NULL, psk, strlen(psk), gxy, 128, ni, 16, nr, 20, cky_i, cky_r, &k), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_derive_keys(sha1(), psk, strlen(psk), gxy, 128, ni, 16, nr, 20, NULL, cky_r, &k), -EINVAL);
    CHECK(k.prf == NULL && k.skeyid_len == 0);
    /* The nonces' order matters (different lengths catch a swap). */
    CHECK_INT_EQ(crypto_ikev1_derive_keys(sha1(), psk, strlen(psk), gxy, 128, nr, 20, ni, 16, cky_i, cky_r, &k), 0);
    CHECK(!hex_equal(k.skeyid, k.skeyid_len, "de76a354fb9a5de7c712ef8788df281088b4adde"));
    crypto_ikev1_keys_wipe(&k);
}

static void test_encryption_key(void)
{
    struct crypto_ikev1_keys k, s;
    uint8_t key[CRYPTO_KEY_MAX];

    inputs();
    CHECK_INT_EQ(psk_keys(&k), 0);
    /* AES-256 with SHA-1: 20-byte SKEYID_e expanded (Appendix B). */
    CHECK_INT_EQ(crypto_ikev1_encryption_key(&k, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 256), key, sizeof(key)), 32);
    CHECK(hex_equal(key, 32, "f1a384e5d98235743ced6b1bb411616c669bcf70f2d75b88fab1a2b5b8b1c06d"));
    /* 3DES with SHA-1: 24 bytes, the same expansion's first 24. */
    CHECK_INT_EQ(crypto_ikev1_encryption_key(&k, crypto_encr_find(CRYPTO_ENCR_3DES, 0), key, sizeof(key)), 24);
    CHECK(hex_equal(key, 24, "f1a384e5d98235743ced6b1bb411616c669bcf70f2d75b88"));
    /* Too small a buffer; an AEAD cipher (no IKEv1 phase 1 with GCM). */
    CHECK_INT_EQ(crypto_ikev1_encryption_key(&k, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 256), key, 31), -ENOBUFS);
    CHECK_INT_EQ(crypto_ikev1_encryption_key(&k, crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 128), key, sizeof(key)),
                 -EOPNOTSUPP);
    /* AES-128 with SHA-256: SKEYID_e truncated. */
    CHECK_INT_EQ(crypto_ikev1_derive_keys(crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_SHA2_256), NULL, 0,
                                          gxy, sizeof(gxy), ni, sizeof(ni), nr, sizeof(nr),
                                          cky_i, cky_r, &s), 0);
    CHECK_INT_EQ(crypto_ikev1_encryption_key(&s, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128), key, sizeof(key)), 16);
    CHECK(hex_equal(key, 16, "22a839837c1e2e045228f6c1e224d2ae"));
    /* Keys that were never derived. */
    crypto_ikev1_keys_wipe(&s);
    CHECK_INT_EQ(crypto_ikev1_encryption_key(&s, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128), key, sizeof(key)), -EINVAL);
    crypto_ikev1_keys_wipe(&k);
}

static const char c1_hex[] =
    "667c5a4a7877671ab74b1ba385a5cd1509cdfe0f659b3ff524734e370029b2c8adf350a419adeee5e1ee5825c0ddf4d6";
static const char c2_hex[] =
    "9893663c4b0df4693d7f92bae47d4132be11265b1f1d0ac7821e1e99e706350c84fd3de901a281ee597991e21b91e943";
static const char c3_hex[] = "dd699fe3cf35c3ca6047a28317e8e819";
static const char cq1_hex[] =
    "7f09b2663a3ff9c00c23c106fbd21be59fd8e2f6e7135d9e5faf3875f3f858019c6170f9454ee22fb80fdf60cf890c1f"
    "b3ae1df909b756977a28dc133f95b522";

static struct crypto_ikev1_cbc *new_cbc(const struct crypto_encr *encr)
{
    struct crypto_ikev1_keys k;
    struct crypto_ikev1_cbc *cbc = NULL;

    inputs();
    CHECK_INT_EQ(psk_keys(&k), 0);
    CHECK_INT_EQ(crypto_ikev1_cbc_new(&k, encr, gxi, sizeof(gxi), gxr, sizeof(gxr), &cbc), 0);
    crypto_ikev1_keys_wipe(&k);
    return cbc;
}

/* Phase 1 over three messages (we send, receive, send), then Quick Mode. */
static void test_cbc_chain(void)
{
    struct crypto_ikev1_cbc *cbc = new_cbc(crypto_encr_find(CRYPTO_ENCR_AES_CBC, 256));
    uint8_t m1[45], m2[32], buf[128], c2[48], iv[16], q1[60];

    if (!cbc)
        return;
    for (int i = 0; i < 45; i++)
        m1[i] = (uint8_t)i;
    for (int i = 0; i < 32; i++)
        m2[i] = (uint8_t)(100 + i);
    for (int i = 0; i < 60; i++)
        q1[i] = (uint8_t)i;
    CHECK_INT_EQ(crypto_ikev1_cbc_block_len(cbc), 16);
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 0, iv, sizeof(iv)), 16);
    CHECK(hex_equal(iv, 16, "d118e046b45a29556c9b42bff2eca143"));   /* hash(g^xi | g^xr) */

    /* Message 1, sent: 45 bytes + 3 zero bytes. */
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypted_len(cbc, 45), 48);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(cbc, 0, m1, 45, buf, 48), 48);
    CHECK(hex_equal(buf, 48, c1_hex));

    /* Message 2, received: block-aligned plaintext got a full block of
     * zeros. Decrypting does not advance the chain before confirm(). */
    unhex(c2_hex, c2, sizeof(c2));
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, c2, 48, buf, sizeof(buf)), 48);
    CHECK(memcmp(buf, m2, 32) == 0);
    CHECK(buf[32] == 0 && buf[47] == 0);
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 0, iv, sizeof(iv)), 16);
    CHECK(hex_equal(iv, 16, c1_hex + 64));                 /* still c1's last block */
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, 0), 0);
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, 0), -ENOENT);
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 0, iv, sizeof(iv)), 16);
    CHECK(hex_equal(iv, 16, c2_hex + 64));

    /* Message 3, sent, in place. */
    memcpy(buf, "seventh", 7);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(cbc, 0, buf, 7, buf, 16), 16);
    CHECK(hex_equal(buf, 16, c3_hex));

    /* Quick Mode: IV = hash(last phase-1 block | M-ID), then chained. */
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, MID, iv, sizeof(iv)), 16);
    CHECK(hex_equal(iv, 16, "021cea8b1718d6c57298c743365c0979"));
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(cbc, MID, q1, 60, buf, 64), 64);
    CHECK(hex_equal(buf, 64, cq1_hex));
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, MID, iv, sizeof(iv)), 16);
    CHECK(hex_equal(iv, 16, "b3ae1df909b756977a28dc133f95b522"));
    /* Phase 1's chain is untouched by Quick Mode. */
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 0, iv, sizeof(iv)), 16);
    CHECK(hex_equal(iv, 16, c3_hex));

    /* Forgotten: the next use starts again from the phase-1 block. */
    crypto_ikev1_cbc_forget(cbc, MID);
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, MID, iv, sizeof(iv)), 16);
    CHECK(hex_equal(iv, 16, "021cea8b1718d6c57298c743365c0979"));
    crypto_ikev1_cbc_free(cbc);
}

/* The responder's view of the same exchange: decrypt what we sent. */
static void test_cbc_peer_view(void)
{
    struct crypto_ikev1_cbc *cbc = new_cbc(crypto_encr_find(CRYPTO_ENCR_AES_CBC, 256));
    uint8_t ct[64], buf[64], q1[60];

    if (!cbc)
        return;
    for (int i = 0; i < 60; i++)
        q1[i] = (uint8_t)i;
    unhex(c1_hex, ct, sizeof(ct));
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, ct, 48, buf, sizeof(buf)), 48);
    CHECK_INT_EQ(buf[44], 44);
    CHECK_INT_EQ(buf[45] | buf[46] | buf[47], 0);
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, 0), 0);
    /* Message 2 from the responder, m2 in place. */
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(100 + i);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(cbc, 0, buf, 32, buf, 48), 48);
    CHECK(hex_equal(buf, 48, c2_hex));
    unhex(c3_hex, ct, sizeof(ct));
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, ct, 16, ct, 16), 16);    /* in place */
    CHECK(memcmp(ct, "seventh\0\0\0\0\0\0\0\0\0", 16) == 0);
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, 0), 0);
    unhex(cq1_hex, ct, sizeof(ct));
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, MID, ct, 64, buf, sizeof(buf)), 64);
    CHECK(memcmp(buf, q1, 60) == 0);
    crypto_ikev1_cbc_free(cbc);
}

/* A forged message (its HASH fails, so never confirmed) leaves the chain
 * where it was: the genuine message still decrypts. */
static void test_cbc_unconfirmed(void)
{
    struct crypto_ikev1_cbc *cbc = new_cbc(crypto_encr_find(CRYPTO_ENCR_AES_CBC, 256));
    uint8_t forged[32] = { 0x42 }, ct[48], buf[48], m1[45];

    if (!cbc)
        return;
    for (int i = 0; i < 45; i++)
        m1[i] = (uint8_t)i;
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, forged, 32, buf, sizeof(buf)), 32);
    unhex(c1_hex, ct, sizeof(ct));
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, ct, 48, buf, sizeof(buf)), 48);
    CHECK(memcmp(buf, m1, 45) == 0);
    /* Sending drops an unconfirmed block. */
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(cbc, 0, m1, 45, buf, 48), 48);
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, 0), -ENOENT);
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, 7), -ENOENT);    /* never seen */
    crypto_ikev1_cbc_free(cbc);
}

static void test_cbc_3des(void)
{
    struct crypto_ikev1_cbc *cbc = new_cbc(crypto_encr_find(CRYPTO_ENCR_3DES, 0));
    uint8_t m1[45], buf[48];

    if (!cbc)
        return;
    for (int i = 0; i < 45; i++)
        m1[i] = (uint8_t)i;
    CHECK_INT_EQ(crypto_ikev1_cbc_block_len(cbc), 8);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypted_len(cbc, 45), 48);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypted_len(cbc, 48), 56);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(cbc, 0, m1, 45, buf, 48), 48);
    CHECK(hex_equal(buf, 48, "f86728334f53a11de26678fc49a1ea873f28733cc0a08677a8b1d9f5c6f6ce72"
                             "21d5d3c52a3a6527621d1ec16ce70e22"));
    crypto_ikev1_cbc_free(cbc);
}

static void test_cbc_invalid(void)
{
    struct crypto_ikev1_cbc *cbc = new_cbc(crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128));
    struct crypto_ikev1_cbc *bad = NULL;
    struct crypto_ikev1_keys k;
    uint8_t in[64] = { 0 }, out[64], iv[16];

    if (!cbc)
        return;
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 0, iv, sizeof(iv)), 16);
    /* Ciphertext empty, not a multiple of the block, or a short buffer:
     * refused, and the chain is as it was. */
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, in, 0, out, sizeof(out)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, in, 15, out, sizeof(out)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, in, 33, out, sizeof(out)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, in, 8, out, sizeof(out)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, in, 32, out, 31), -ENOBUFS);
    CHECK_INT_EQ(crypto_ikev1_cbc_decrypt(cbc, 0, NULL, 32, out, 32), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, 0), -ENOENT);
    /* Encrypt: the output length must be exactly the padded length. */
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(cbc, 0, in, 20, out, 16), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(cbc, 0, in, 20, out, 48), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(cbc, 0, in, 32, out, 32), -EINVAL);   /* needs 48 */
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypted_len(cbc, 70000), 0);
    CHECK(hex_equal(iv, 16, "d118e046b45a29556c9b42bff2eca143"));
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 0, out, sizeof(out)), 16);
    CHECK(memcmp(out, iv, 16) == 0);
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 0, out, 15), -ENOBUFS);
    crypto_ikev1_cbc_free(cbc);
    crypto_ikev1_cbc_free(NULL);

    inputs();
    CHECK_INT_EQ(psk_keys(&k), 0);
    CHECK_INT_EQ(crypto_ikev1_cbc_new(&k, crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 128), gxi, 128, gxr, 128, &bad),
                 -EOPNOTSUPP);
    CHECK_INT_EQ(crypto_ikev1_cbc_new(&k, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128), gxi, 0, gxr, 128, &bad),
                 -EINVAL);
    CHECK(bad == NULL);
    crypto_ikev1_keys_wipe(&k);
}

/* More exchanges than the table holds: the least recently used goes. */
static void test_cbc_many_exchanges(void)
{
    struct crypto_ikev1_cbc *cbc = new_cbc(crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128));
    uint8_t buf[16] = { 0 }, iv_a[16], iv_b[16];

    if (!cbc)
        return;
    /* Advance M-ID 1's chain, then touch 2..8 (the table is full). */
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(cbc, 1, buf, 0, buf, 16), 16);
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 1, iv_a, sizeof(iv_a)), 16);
    CHECK(memcmp(iv_a, buf, 16) == 0);
    for (uint32_t m = 2; m <= 8; m++)
        CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, m, iv_b, sizeof(iv_b)), 16);
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 1, iv_b, sizeof(iv_b)), 16);   /* 1 is now recent */
    CHECK(memcmp(iv_a, iv_b, 16) == 0);
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 9, iv_b, sizeof(iv_b)), 16);   /* evicts 2, not 1 */
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 1, iv_b, sizeof(iv_b)), 16);
    CHECK(memcmp(iv_a, iv_b, 16) == 0);
    crypto_ikev1_cbc_free(cbc);
}

static const uint8_t sa_i_body[] = {
    0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x2c, 1, 1, 0, 1,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
};
static const uint8_t id_ii[] = { 1, 17, 1, 244, 192, 0, 2, 1 };
static const uint8_t id_ir[] = { 2, 0, 0, 0, 'v', 'p', 'n', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm' };

static void test_phase1_hash(void)
{
    struct crypto_ikev1_keys k;
    uint8_t h[CRYPTO_PRF_OUT_MAX];

    inputs();
    CHECK_INT_EQ(psk_keys(&k), 0);
    struct crypto_ikev1_phase1_input in = {
        .initiator = true, .g_xi = gxi, .g_xi_len = 128, .g_xr = gxr, .g_xr_len = 128,
        .cky_i = cky_i, .cky_r = cky_r, .sa_i_body = sa_i_body, .sa_i_body_len = sizeof(sa_i_body),
        .id_body = id_ii, .id_body_len = sizeof(id_ii),
    };
    CHECK_INT_EQ(crypto_ikev1_phase1_hash(&k, &in, h, sizeof(h)), 20);
    CHECK(hex_equal(h, 20, "19a958692e627bbce8dd12c4148e90dc5b926efa"));
    CHECK_INT_EQ(crypto_ikev1_phase1_hash_verify(&k, &in, h, 20), 1);
    h[19] ^= 1;
    CHECK_INT_EQ(crypto_ikev1_phase1_hash_verify(&k, &in, h, 20), 0);
    h[19] ^= 1;
    CHECK_INT_EQ(crypto_ikev1_phase1_hash_verify(&k, &in, h, 19), 0);   /* truncated */
    CHECK_INT_EQ(crypto_ikev1_phase1_hash_verify(&k, &in, h, 0), 0);

    in.initiator = false;
    in.id_body = id_ir;
    in.id_body_len = sizeof(id_ir);
    CHECK_INT_EQ(crypto_ikev1_phase1_hash(&k, &in, h, sizeof(h)), 20);
    CHECK(hex_equal(h, 20, "155c33e0f717e6c0341ea7ed74afcb32a23dc400"));
    CHECK_INT_EQ(crypto_ikev1_phase1_hash_verify(&k, &in, h, 20), 1);

    CHECK_INT_EQ(crypto_ikev1_phase1_hash(&k, &in, h, 19), -ENOBUFS);
    in.sa_i_body_len = 0;
    CHECK_INT_EQ(crypto_ikev1_phase1_hash(&k, &in, h, sizeof(h)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_phase1_hash_verify(&k, &in, h, 20), -EINVAL);
    crypto_ikev1_keys_wipe(&k);
}

static void test_message_hashes(void)
{
    struct crypto_ikev1_keys k;
    uint8_t h[CRYPTO_PRF_OUT_MAX], rest[90];

    inputs();
    for (int i = 0; i < 90; i++)
        rest[i] = (uint8_t)i;
    CHECK_INT_EQ(psk_keys(&k), 0);
    /* HASH(1) (and Informational / Transaction: the same form) */
    CHECK_INT_EQ(crypto_ikev1_message_hash(&k, MID, NULL, 0, rest, 90, h, sizeof(h)), 20);
    CHECK(hex_equal(h, 20, "b16c725fe50bd9887b420f8cdb7e440d9c5cbc1a"));
    CHECK_INT_EQ(crypto_ikev1_message_hash_verify(&k, MID, NULL, 0, rest, 90, h, 20), 1);
    CHECK_INT_EQ(crypto_ikev1_message_hash_verify(&k, MID + 1, NULL, 0, rest, 90, h, 20), 0);
    CHECK_INT_EQ(crypto_ikev1_message_hash_verify(&k, MID, NULL, 0, rest, 89, h, 20), 0);
    /* HASH(2): Ni_b after the M-ID */
    CHECK_INT_EQ(crypto_ikev1_message_hash(&k, MID, ni, 16, rest, 90, h, sizeof(h)), 20);
    CHECK(hex_equal(h, 20, "6b058ded7459d62e0232ecedf39a06f6b25551a4"));
    CHECK_INT_EQ(crypto_ikev1_message_hash_verify(&k, MID, ni, 16, rest, 90, h, 20), 1);
    /* HASH(3) */
    CHECK_INT_EQ(crypto_ikev1_qm_hash3(&k, MID, ni, 16, nr, 20, h, sizeof(h)), 20);
    CHECK(hex_equal(h, 20, "fa6d36afc31b806a0b0b87ca0808e21e5a452be3"));
    /* Message ID 0 is phase 1's; nothing to hash; bad nonce. */
    CHECK_INT_EQ(crypto_ikev1_message_hash(&k, 0, NULL, 0, rest, 90, h, sizeof(h)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_message_hash(&k, MID, NULL, 0, rest, 0, h, sizeof(h)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_message_hash(&k, MID, ni, 4, rest, 90, h, sizeof(h)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_qm_hash3(&k, MID, ni, 16, NULL, 0, h, sizeof(h)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_qm_hash3(&k, 0, ni, 16, nr, 20, h, sizeof(h)), -EINVAL);
    crypto_ikev1_keys_wipe(&k);
}

static void test_keymat(void)
{
    const struct crypto_integ *sha1_96 = crypto_integ_find(CRYPTO_INTEG_HMAC_SHA1_96);
    const struct crypto_integ *sha256 = crypto_integ_find(CRYPTO_INTEG_HMAC_SHA2_256_128);
    struct crypto_ikev1_keys k;
    struct crypto_esp_keys e;
    uint8_t all[2 * CRYPTO_KEY_MAX];

    inputs();
    CHECK_INT_EQ(psk_keys(&k), 0);
    /* Without PFS: AES-128-CBC + HMAC-SHA1-96, 16 + 20 bytes. */
    CHECK_INT_EQ(crypto_ikev1_derive_esp_keys(&k, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128), sha1_96,
                                              CRYPTO_IKEV1_PROTO_ESP, 0xc0ffee01, NULL, 0,
                                              qni, sizeof(qni), qnr, sizeof(qnr), &e), 0);
    CHECK_INT_EQ(e.enc_key_len, 16);
    CHECK_INT_EQ(e.integ_key_len, 20);
    CHECK(e.integ == sha1_96);
    memcpy(all, e.enc_key, 16);
    memcpy(all + 16, e.integ_key, 20);
    CHECK(hex_equal(all, 36, "44df09fd7381a0c6528dc0620891efff9d5ad3022d7bc6e6c8d9f758015e27b3129a6380"));
    crypto_ikev1_esp_keys_wipe(&e);
    CHECK(e.encr == NULL && e.enc_key_len == 0 && e.enc_key[0] == 0);

    /* 64 bytes from a 20-byte prf: four blocks. */
    CHECK_INT_EQ(crypto_ikev1_derive_esp_keys(&k, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 256), sha256,
                                              CRYPTO_IKEV1_PROTO_ESP, 0x0badf00d, NULL, 0,
                                              qni, sizeof(qni), qnr, sizeof(qnr), &e), 0);
    memcpy(all, e.enc_key, 32);
    memcpy(all + 32, e.integ_key, 32);
    CHECK(hex_equal(all, 64, "501d09aa95f2dfb83fee4c0061a99b19436adabf645fb606828e379e7f0ce96d"
                             "daf72d81295cf66a24a074adb471509c10078a12ce741f135c253d200cd92d60"));
    crypto_ikev1_esp_keys_wipe(&e);

    /* PFS, AES-GCM-16-256: key | salt, no integrity key. */
    CHECK_INT_EQ(crypto_ikev1_derive_esp_keys(&k, crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 256), NULL,
                                              CRYPTO_IKEV1_PROTO_ESP, 0xc0ffee01, g2, sizeof(g2),
                                              qni, sizeof(qni), qnr, sizeof(qnr), &e), 0);
    CHECK_INT_EQ(e.enc_key_len, 36);
    CHECK_INT_EQ(e.integ_key_len, 0);
    CHECK(hex_equal(e.enc_key, 36, "4b558abf6c1175e39e3b4484e70adaf1fb90467ab5cf0aaca5ac00bdcdf7fa82792fa9d9"));
    crypto_ikev1_esp_keys_wipe(&e);

    /* Each direction has its own SPI and so its own keys. */
    struct crypto_esp_keys other;
    CHECK_INT_EQ(crypto_ikev1_derive_esp_keys(&k, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128), sha1_96,
                                              CRYPTO_IKEV1_PROTO_ESP, 0xc0ffee02, NULL, 0,
                                              qni, sizeof(qni), qnr, sizeof(qnr), &other), 0);
    CHECK(!hex_equal(other.enc_key, 16, "44df09fd7381a0c6528dc0620891efff"));
    crypto_ikev1_esp_keys_wipe(&other);

    /* AEAD with an integrity transform, CBC without one, short nonce. */
    CHECK_INT_EQ(crypto_ikev1_derive_esp_keys(&k, crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 128), sha1_96,
                                              3, 1, NULL, 0, qni, 24, qnr, 16, &e), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_derive_esp_keys(&k, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128), NULL,
                                              3, 1, NULL, 0, qni, 24, qnr, 16, &e), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_derive_esp_keys(&k, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128), sha1_96,
                                              3, 1, NULL, 0, qni, 4, qnr, 16, &e), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_derive_esp_keys(&k, crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128), sha1_96,
                                              3, 1, g2, 0, qni, 24, qnr, 16, &e), -EINVAL);
    crypto_ikev1_keys_wipe(&k);
}

static void test_natd(void)
{
    static const uint8_t v4[4] = { 192, 0, 2, 1 };
    static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    uint8_t h[CRYPTO_PRF_OUT_MAX];

    CHECK_INT_EQ(crypto_ikev1_natd_hash(sha1(), cky_i, cky_r, v4, 4, 500, h, sizeof(h)), 20);
    CHECK(hex_equal(h, 20, "7382fc0a797574a3274c755f37b3852b7394b414"));
    CHECK_INT_EQ(crypto_ikev1_natd_hash(crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_SHA2_256), cky_i, cky_r,
                                        v6, 16, 4500, h, sizeof(h)), 32);
    CHECK(hex_equal(h, 32, "257ba9f13fb39941a0a240a0cc16341a609c1794c87a1cfec8afc73a4bb42f2d"));
    CHECK_INT_EQ(crypto_ikev1_natd_hash(sha1(), cky_i, cky_r, v4, 5, 500, h, sizeof(h)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev1_natd_hash(sha1(), cky_i, cky_r, v4, 4, 500, h, 19), -ENOBUFS);
}

TEST_MAIN(TEST(test_lookups), TEST(test_skeyid_psk), TEST(test_skeyid_signature),
          TEST(test_skeyid_invalid), TEST(test_encryption_key), TEST(test_cbc_chain),
          TEST(test_cbc_peer_view), TEST(test_cbc_unconfirmed), TEST(test_cbc_3des),
          TEST(test_cbc_invalid), TEST(test_cbc_many_exchanges), TEST(test_phase1_hash),
          TEST(test_message_hashes), TEST(test_keymat), TEST(test_natd))
