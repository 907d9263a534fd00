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


/*
 * A real exchange: two strongSwan 5.9.8 charons (IKEv1 Main Mode, PSK,
 * aes256-sha1-modp2048, then Quick Mode with aes128-sha1-modp2048 PFS) in a
 * private network namespace (unshare -n, each charon with unshare -m and a
 * tmpfs on /run, the resolve plugin not loaded, kernel-libipsec as this
 * kernel has no ESP), logging with ike = 4, enc = 4, net = 4. The
 * packets are as each side received them (non-ESP marker removed); the
 * key material is what the initiator logged. The test rebuilds everything
 * from the packets, the PSK and g^xy (whose private halves are not
 * logged): keys, IVs, decryption, HASH_I/R, HASH(1)/(2), Informational
 * hashes, NAT-D, and re-encrypts Main Mode 5 to the same bytes.
 */
static const char ss_psk[] = "vpnd ikev1 test psk";
/* Main Mode 1 (initiator) */
static const char ss_mm1[] =
    "051f583865445a5e00000000000000000110020000000000000000b40d00003800000001000000010000002c01010001"
    "000000240101000080010007800e0100800200028004000e80030001800b0001800c3de00d00000c09002689dfd6b712"
    "0d000014afcad71368a1f1c96b8696fc775701000d0000184048b7d56ebce88525e7de7f00d6c2d3800000000d000014"
    "4a131c81070358455c5728f20e95452f0000001490cb80913ebb696e086381b5ec427b1f";
/* Main Mode 2 */
static const char ss_mm2[] =
    "051f583865445a5ed908dd4e93ea34980110020000000000000000a00d00003800000001000000010000002c01010001"
    "000000240101000080010007800e0100800200028004000e80030001800b0001800c3de00d00000c09002689dfd6b712"
    "0d000014afcad71368a1f1c96b8696fc775701000d0000184048b7d56ebce88525e7de7f00d6c2d38000000000000014"
    "4a131c81070358455c5728f20e95452f";
/* Main Mode 3: KE, Ni, NAT-D */
static const char ss_mm3[] =
    "051f583865445a5ed908dd4e93ea34980410020000000000000001740a0001046f8e56b4fbc6a1d1ff4de33155b66b01"
    "278c2b2620a844eac17d6e5922bb756955ae91e4895f7de40f3e15ba054f824f72e6cc00dd226004b7ee9de1c2524788"
    "a9a79caef669456d27a1d72c75bd5c4f348af5a8a8fd228b51dfab559dc5de4a81543fb1083a908d233a0d907258efb4"
    "0a4144eaf53bdc1713d5f731b856f489c6a9abd949b513fadb93aecb6f0845d8f3634604785d70d12a4d1d263f5a2d7c"
    "b8d8d9e181fba079dc1cba72d5bf5bfc42d0b22c6bc928bbde948334c99cbffdcc7b24520c9d4c05a8e108381d0d61d7"
    "514489830abe66702c1a7749e4e9ad046f74c80480b832df8185ffa0038b60fac53d5dee11485ad117d46485b139ad9d"
    "1400002437d10692318059e948d363731a5bd834fec3db5a8db4cb626d9622006276a25b1400001893103e7259b1946a"
    "6e930099a13a25275f92da8f00000018b28791f4559118ce224294bf47271f65838f00e1";
/* Main Mode 4: KE, Nr, NAT-D */
static const char ss_mm4[] =
    "051f583865445a5ed908dd4e93ea34980410020000000000000001740a0001041209bfb5bf02cdba3bc6cb31b0fcd72b"
    "f9660236128fe13e49452d5a1d6f0b9fe5254fa4c8464916727cf96187c7abd82dc44b28e67dddf9b563693203cd9b30"
    "b51b27d61e38db8f4cc8fbad5ba284e02bba54efbf61aa407ae2a20622e13c6b92058d9baa14707660ab1bf05fa8d30a"
    "a81ba3638de4d07687f3193520ba4f22442af6be66a20f4058199fc77b796e6e4c7fd7cae08972403ac9c1d0c0e1ef30"
    "6ef99610c59516804eb71dad9371afca54e68d964a5e93b704eda6975960380d80027b20b430be9a73f8ccb3d33e6599"
    "442a1c98ecdbae059e2e0a3aa8047e66339090e5d057afb86c8f147196435782ae01d95e422e64c535015d8ab1570c98"
    "1400002490ba8c5821712f74871124ad64d66b2aa5fc0a014294d3032d76693691008d0914000018ed18836fe77219df"
    "c5464f93bc27c2b33d45bb63000000181384d239894afc7ea3397610ac2fd22e8e906f2a";
/* Main Mode 5, encrypted: IDii, HASH_I */
static const char ss_mm5[] =
    "051f583865445a5ed908dd4e93ea349805100201000000000000006c44972a84dcc7b06330dc70ce4bb5f380fa6d8b12"
    "be2127353437f71f6fff58ceec3989a6d20a7a13f14e8e6ac80dd2b215c6bbaa9c1045d10268f04c64d8265bfa6cd032"
    "e697054ea2effa7374ad02b6";
/* Main Mode 6, encrypted: IDir, HASH_R */
static const char ss_mm6[] =
    "051f583865445a5ed908dd4e93ea349805100201000000000000004c51d70ffd9a2084a52613325b84920b5d22d79ec1"
    "6e64c62d40de88c86c08c071ca7e8ab6922c79dd0733663b401f06ae";
/* Quick Mode 1, encrypted */
static const char ss_qm1[] =
    "051f583865445a5ed908dd4e93ea3498081020016d242b4a000001bc925984a11a7f789f00704d19120798a214fbb2d8"
    "624b891d3c57cc538795a7f177a41b33f775502977683963036369083a83b54c6d9f354ac94bf9a9558b9ab6e4c6f546"
    "d90af58cc89aca49bfa0bb10312b39b0e6bf5ef23af8de97a9f79f3f4690c955d87eedd8a7765d4660c8363eb80b6bdf"
    "e349eaac4dc068ad258353193f7320ffb717657ba62b10a4acd078710928a03922fc4c3210a2d33b053a193bb70a02a2"
    "4eb97558b0844059dc42f1e3b283981a97a97f6f49237d8b167b7a44043d73bdee0897fd7fd51224a0feaf4a3d85b03c"
    "a57365350dd6c892fc1ce3ac56bd5324608a026b423e6a8fb49df37345958a0407c01b26e0eb3f8a052d1a41d42cdfaa"
    "9d87ac7b669a4347fef341c0957fa2fd1a3515a3122882b38418c18fb68cf4837056e8369007a0f9fc493b952c8a81dd"
    "0bf32cf6fbf617017d5601b6fb702e9b09ca75d0de760870ec84edca1f516db2ae2ce7e7637d7a27828d95ed2254c681"
    "8af00bfa842aaf7c311d0fcc1c7d3fb0f8abe44946425f18b6946f46829a391e5db29ed7067e2c249062f78e47fcf691"
    "938a8078060724dcd59979f6";
/* Quick Mode 2, encrypted */
static const char ss_qm2[] =
    "051f583865445a5ed908dd4e93ea3498081020016d242b4a000001bc2c829974f72a74d3524cbd7eb567e57b1590403f"
    "40da41d368f51d6c097f9001cefd08d05eb773526a51fd5ee53cb95d38a049b502ac3a32b2a2e67bf9ea39d9937a484a"
    "277836083127f96a2f9c8ff9d925d15bc706e65b2081a9e5f6af74020b99957d8776055fbc5b0a1892388a2e6e7f4c19"
    "818d9e1be431817f655c0bc4831f7c9508da135123222eaf6504ec94553d808c0be7d7ee878c336d0e1d38650a62705f"
    "9b5a5664246bde48d754f84a374905be1971f0500daa1a5f9843d46b03de92ba03bf98596951344ed4f050cce6af4a2d"
    "8e2cf959afdd9153604deb596bd0c339ddb786fed4a0b90c45d0f00751249ef1b7281a6e2fe2044898e2556c5a14f178"
    "4f78338a604627ffc6ea7c8e7cb71570a948647799ff76a950f7d380108343cecade4a2c6786314a376dce56cd0f903e"
    "80ecfc924fbf7dfc0d2f51662e38e7fc79773a2e41418ac68581de156eb052ed993d056a175fba3d5618d8c6db531595"
    "13b551e9f78926abe668e9e48fbacb07e95b2d1152239724943992c11ea1abc1310e362a587938b91d9e2a75e22ab9a8"
    "65e85d183a52891b397a0585";
/* Informational (initiator), encrypted */
static const char ss_info1[] =
    "051f583865445a5ed908dd4e93ea34980810050192e2e2db0000004ce2d52ec05efe360e7374f7925c17ba6523fd8f41"
    "485f8f890800fba42ac80a13d8b93a7c35691232da80e58ac4c8cd55";
/* Informational (initiator), encrypted */
static const char ss_info2[] =
    "051f583865445a5ed908dd4e93ea34980810050189f95a6e0000005c283e78e3b6f979470715d902d63a79384d967ea0"
    "1c4d845d79f6ebe7d66168d3a683ab7aa79454a3f1b86054f19e5d6ca3b37d77be3b4ba53ebed68bcef549c8";
/* g^xy as charon logged it (ike = 4) */
static const char ss_gxy[] =
    "bb2799cbb279d2bafd22bf8a68878f164d01f792663cc88db6af993cb60e1834cd767e0cce278fc9a723de207bd48f84"
    "2e752d6561410df9fedb6b92193bbd9c781f42a6c1f8a3fdfa54aa24c92a8689d66206a239c2842c6de281d8d47fd156"
    "bf32fdc69e5127e6ce3ee8cc1ff9cfac4f3c959c4b17fcb1a1adf6682c5fd18bcb0065d2445eb1f4a5634d7b76f2f957"
    "4ccae35a653e9482a694fd4f8a708e26ab8454b5e5b394a0c8d7a73d21448a2679bd51a0a69a54ce2e34a69319a4e1d4"
    "fafebc92cff881cde327871f7484fd819a45cd707ce603c349d5565b876d8d3dfa336ab9c7fff6a0f9f24250871015ae"
    "150bc5779cafd86771bf3d8218c20ee7";
static const char ss_skeyid[] = "ea2264925deb846390caa624a3762129da471ea3";
static const char ss_skeyid_d[] = "f41480629401132ea819b87e9790bdfb6ba932d6";
static const char ss_skeyid_a[] = "19a39dd8c6973c09441e8ceb0c08d179155e8f38";
static const char ss_skeyid_e[] = "c1252a3ba0a67d7e0084b7585f93ee9ca26f316c";
static const char ss_ka[] = "b5aa4f8f948e23a42a645f86c293b269429c2d05bb5954b99f600b245ef12494";
static const char ss_iv0[] = "760e8e6af349019ee0f60c380a807435";
static const char ss_hash_i[] = "001de9704a50b87289911afea21a31fa25cadb22";
static const char ss_hash_r[] = "c774eb7ac68b67365b45f23b4f70abb198d011ad";
static const char ss_hash1[] = "637298a77ef5a77494acadb8f35663e6da79972e";
static const char ss_hash2[] = "549b379d5fc27e310f466ebb74d56c9d6d89874c";

#define ISAKMP_HDR 28

enum { PL_SA = 1, PL_KE = 4, PL_ID = 5, PL_HASH = 8, PL_NONCE = 10, PL_NATD = 20 };

/* The nth (from 0) payload of `type` in the chain of `len` bytes whose
 * first payload is `first`; its body (after the generic header). Every
 * length is checked: this walks test data, but test data can be wrong. */
static bool find_payload(const uint8_t *chain, size_t len, uint8_t first, uint8_t type, unsigned nth,
                         const uint8_t **body, size_t *body_len)
{
    size_t off = 0;

    for (uint8_t t = first; t != 0;) {
        if (len - off < 4)
            return false;
        size_t plen = (size_t)chain[off + 2] << 8 | chain[off + 3];
        if (plen < 4 || plen > len - off)
            return false;
        if (t == type && nth-- == 0) {
            *body = chain + off + 4;
            *body_len = plen - 4;
            return true;
        }
        t = chain[off];
        off += plen;
    }
    return false;
}

/* Bytes of the payload chain (what follows is padding); 0 if malformed. */
static size_t chain_len(const uint8_t *chain, size_t len, uint8_t first)
{
    size_t off = 0;

    for (uint8_t t = first; t != 0;) {
        if (len - off < 4)
            return 0;
        size_t plen = (size_t)chain[off + 2] << 8 | chain[off + 3];
        if (plen < 4 || plen > len - off)
            return 0;
        t = chain[off];
        off += plen;
    }
    return off;
}

struct packet {
    uint8_t b[512];
    size_t len;
};

static void load(struct packet *p, const char *hex)
{
    p->len = unhex(hex, p->b, sizeof(p->b));
}

static uint32_t message_id_of(const struct packet *p)
{
    return (uint32_t)p->b[20] << 24 | (uint32_t)p->b[21] << 16 | (uint32_t)p->b[22] << 8 | p->b[23];
}

/* Decrypts packet p's body under its Message ID into plain; checks the
 * HASH (the first payload, or the ID's companion in Main Mode) later. */
static size_t decrypt_packet(struct crypto_ikev1_cbc *cbc, const struct packet *p, uint8_t *plain)
{
    int r = crypto_ikev1_cbc_decrypt(cbc, message_id_of(p), p->b + ISAKMP_HDR, p->len - ISAKMP_HDR,
                                     plain, 512);
    CHECK_INT_EQ(r, (int)(p->len - ISAKMP_HDR));
    return r > 0 ? (size_t)r : 0;
}

/* A message under the ISAKMP SA: HASH first, then `rest` to the end of the
 * chain. Returns 1 when HASH = prf(SKEYID_a, M-ID | [ni |] rest). */
static int check_message_hash(const struct crypto_ikev1_keys *k, const struct packet *p,
                              const uint8_t *plain, size_t plain_len,
                              const uint8_t *nonce_i, size_t nonce_i_len, const char *expected_hex)
{
    size_t chain = chain_len(plain, plain_len, p->b[16]), hash_len = 0;
    const uint8_t *hash = NULL;

    if (p->b[16] != PL_HASH || chain == 0 || !find_payload(plain, plain_len, PL_HASH, PL_HASH, 0, &hash, &hash_len))
        return -1;
    if (expected_hex && !hex_equal(hash, hash_len, expected_hex))
        return -2;
    return crypto_ikev1_message_hash_verify(k, message_id_of(p), nonce_i, nonce_i_len, plain + 4 + hash_len,
                                            chain - 4 - hash_len, hash, hash_len);
}

static void test_strongswan_exchange(void)
{
    static struct packet mm1, mm2, mm3, mm4, mm5, mm6, qm1, qm2, info1, info2;
    static const uint8_t addr_i[4] = { 10, 9, 0, 2 }, addr_r[4] = { 10, 9, 0, 1 };
    const uint8_t *sa_i, *g_xi, *g_xr, *n_i, *n_r, *natd, *id, *hash, *qm_ni;
    size_t sa_i_len, g_xi_len, g_xr_len, n_i_len, n_r_len, natd_len, id_len, hash_len, qm_ni_len, len, chain;
    uint8_t gxy_b[256], key[CRYPTO_KEY_MAX], iv[16], h[CRYPTO_PRF_OUT_MAX], plain[512], again[512];
    struct crypto_ikev1_keys k;
    struct crypto_ikev1_cbc *cbc = NULL, *fresh = NULL;

    load(&mm1, ss_mm1); load(&mm2, ss_mm2); load(&mm3, ss_mm3); load(&mm4, ss_mm4);
    load(&mm5, ss_mm5); load(&mm6, ss_mm6); load(&qm1, ss_qm1); load(&qm2, ss_qm2);
    load(&info1, ss_info1); load(&info2, ss_info2);
    CHECK_INT_EQ(unhex(ss_gxy, gxy_b, sizeof(gxy_b)), 256);
    const uint8_t *ss_cky_i = mm1.b, *ss_cky_r = mm2.b + 8;
    CHECK(memcmp(mm2.b, ss_cky_i, 8) == 0);

    /* The inputs, from the packets. */
    CHECK(find_payload(mm1.b + ISAKMP_HDR, mm1.len - ISAKMP_HDR, mm1.b[16], PL_SA, 0, &sa_i, &sa_i_len));
    CHECK(find_payload(mm3.b + ISAKMP_HDR, mm3.len - ISAKMP_HDR, mm3.b[16], PL_KE, 0, &g_xi, &g_xi_len));
    CHECK(find_payload(mm3.b + ISAKMP_HDR, mm3.len - ISAKMP_HDR, mm3.b[16], PL_NONCE, 0, &n_i, &n_i_len));
    CHECK(find_payload(mm4.b + ISAKMP_HDR, mm4.len - ISAKMP_HDR, mm4.b[16], PL_KE, 0, &g_xr, &g_xr_len));
    CHECK(find_payload(mm4.b + ISAKMP_HDR, mm4.len - ISAKMP_HDR, mm4.b[16], PL_NONCE, 0, &n_r, &n_r_len));
    if (testing_current_failed)
        return;
    CHECK_INT_EQ(g_xi_len, 256);

    /* Keys as charon derived them. */
    CHECK_INT_EQ(crypto_ikev1_derive_keys(sha1(), ss_psk, strlen(ss_psk), gxy_b, 256, n_i, n_i_len,
                                          n_r, n_r_len, ss_cky_i, ss_cky_r, &k), 0);
    CHECK(hex_equal(k.skeyid, k.skeyid_len, ss_skeyid));
    CHECK(hex_equal(k.skeyid_d, k.skeyid_d_len, ss_skeyid_d));
    CHECK(hex_equal(k.skeyid_a, k.skeyid_a_len, ss_skeyid_a));
    CHECK(hex_equal(k.skeyid_e, k.skeyid_e_len, ss_skeyid_e));
    const struct crypto_encr *aes256 = crypto_ikev1_encr_find(CRYPTO_IKEV1_ENCR_AES_CBC, 256);
    CHECK_INT_EQ(crypto_ikev1_encryption_key(&k, aes256, key, sizeof(key)), 32);
    CHECK(hex_equal(key, 32, ss_ka));
    crypto_wipe(key, sizeof(key));
    CHECK_INT_EQ(crypto_ikev1_cbc_new(&k, aes256, g_xi, g_xi_len, g_xr, g_xr_len, &cbc), 0);
    CHECK_INT_EQ(crypto_ikev1_cbc_new(&k, aes256, g_xi, g_xi_len, g_xr, g_xr_len, &fresh), 0);
    if (!cbc || !fresh)
        goto out;
    CHECK_INT_EQ(crypto_ikev1_cbc_iv(cbc, 0, iv, sizeof(iv)), 16);
    CHECK(hex_equal(iv, 16, ss_iv0));

    /* NAT-D: each side sends hash(peer) then hash(itself). Only the first
     * is genuine here: charon ran with kernel-libipsec, which needs UDP
     * encapsulation, so both sides faked a NAT with a random second hash. */
    CHECK(find_payload(mm3.b + ISAKMP_HDR, mm3.len - ISAKMP_HDR, mm3.b[16], PL_NATD, 0, &natd, &natd_len));
    CHECK_INT_EQ(crypto_ikev1_natd_hash(sha1(), ss_cky_i, ss_cky_r, addr_r, 4, 500, h, sizeof(h)), 20);
    CHECK(natd_len == 20 && memcmp(natd, h, 20) == 0);
    CHECK(find_payload(mm4.b + ISAKMP_HDR, mm4.len - ISAKMP_HDR, mm4.b[16], PL_NATD, 0, &natd, &natd_len));
    CHECK_INT_EQ(crypto_ikev1_natd_hash(sha1(), ss_cky_i, ss_cky_r, addr_i, 4, 600, h, sizeof(h)), 20);
    CHECK(natd_len == 20 && memcmp(natd, h, 20) == 0);

    /* Main Mode 5: IDii, HASH_I. */
    len = decrypt_packet(cbc, &mm5, plain);
    struct crypto_ikev1_phase1_input in = {
        .initiator = true, .g_xi = g_xi, .g_xi_len = g_xi_len, .g_xr = g_xr, .g_xr_len = g_xr_len,
        .cky_i = ss_cky_i, .cky_r = ss_cky_r, .sa_i_body = sa_i, .sa_i_body_len = sa_i_len,
    };
    CHECK(find_payload(plain, len, mm5.b[16], PL_ID, 0, &id, &id_len));
    CHECK(find_payload(plain, len, mm5.b[16], PL_HASH, 0, &hash, &hash_len));
    in.id_body = id;
    in.id_body_len = id_len;
    CHECK(hex_equal(hash, hash_len, ss_hash_i));
    CHECK_INT_EQ(crypto_ikev1_phase1_hash_verify(&k, &in, hash, hash_len), 1);
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, 0), 0);
    /* Our encryption of the same payloads is strongSwan's packet, padding included. */
    chain = chain_len(plain, len, mm5.b[16]);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypted_len(fresh, chain), mm5.len - ISAKMP_HDR);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(fresh, 0, plain, chain, again, mm5.len - ISAKMP_HDR),
                 (int)(mm5.len - ISAKMP_HDR));
    CHECK(memcmp(again, mm5.b + ISAKMP_HDR, mm5.len - ISAKMP_HDR) == 0);

    /* Main Mode 6: IDir, HASH_R. */
    len = decrypt_packet(cbc, &mm6, plain);
    CHECK(find_payload(plain, len, mm6.b[16], PL_ID, 0, &id, &id_len));
    CHECK(find_payload(plain, len, mm6.b[16], PL_HASH, 0, &hash, &hash_len));
    in.initiator = false;
    in.id_body = id;
    in.id_body_len = id_len;
    CHECK(hex_equal(hash, hash_len, ss_hash_r));
    CHECK_INT_EQ(crypto_ikev1_phase1_hash_verify(&k, &in, hash, hash_len), 1);
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, 0), 0);
    chain = chain_len(plain, len, mm6.b[16]);
    CHECK_INT_EQ(crypto_ikev1_cbc_encrypt(fresh, 0, plain, chain, again, mm6.len - ISAKMP_HDR),
                 (int)(mm6.len - ISAKMP_HDR));
    CHECK(memcmp(again, mm6.b + ISAKMP_HDR, mm6.len - ISAKMP_HDR) == 0);

    /* Quick Mode 1 and 2 under their Message ID (IV from phase 1's last block). */
    len = decrypt_packet(cbc, &qm1, plain);
    CHECK_INT_EQ(check_message_hash(&k, &qm1, plain, len, NULL, 0, ss_hash1), 1);
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, message_id_of(&qm1)), 0);
    CHECK(find_payload(plain, len, qm1.b[16], PL_NONCE, 0, &qm_ni, &qm_ni_len));
    uint8_t qni_copy[CRYPTO_IKEV1_NONCE_MAX];
    memcpy(qni_copy, qm_ni, qm_ni_len);
    len = decrypt_packet(cbc, &qm2, plain);
    CHECK_INT_EQ(check_message_hash(&k, &qm2, plain, len, qni_copy, qm_ni_len, ss_hash2), 1);
    /* HASH(2) without Ni_b (a HASH(1) computation) does not match. */
    CHECK_INT_EQ(check_message_hash(&k, &qm2, plain, len, NULL, 0, NULL), 0);
    CHECK_INT_EQ(crypto_ikev1_cbc_confirm(cbc, message_id_of(&qm2)), 0);

    /* The Informationals that followed (charon could not install the SAs:
     * this kernel has no ESP), each with its own Message ID. */
    len = decrypt_packet(cbc, &info1, plain);
    CHECK_INT_EQ(check_message_hash(&k, &info1, plain, len, NULL, 0, NULL), 1);
    len = decrypt_packet(cbc, &info2, plain);
    CHECK_INT_EQ(check_message_hash(&k, &info2, plain, len, NULL, 0, NULL), 1);

    /* One flipped ciphertext bit: the hash no longer matches (or the
     * chain no longer parses). */
    info2.b[ISAKMP_HDR + 5] ^= 0x10;
    crypto_ikev1_cbc_forget(cbc, message_id_of(&info2));
    len = decrypt_packet(cbc, &info2, plain);
    CHECK(check_message_hash(&k, &info2, plain, len, NULL, 0, NULL) != 1);
out:
    crypto_ikev1_cbc_free(cbc);
    crypto_ikev1_cbc_free(fresh);
    crypto_ikev1_keys_wipe(&k);
}

TEST_MAIN(TEST(test_lookups), TEST(test_skeyid_psk), TEST(test_skeyid_signature),
          TEST(test_skeyid_invalid), TEST(test_encryption_key), TEST(test_cbc_chain),
          TEST(test_cbc_peer_view), TEST(test_cbc_unconfirmed), TEST(test_cbc_3des),
          TEST(test_cbc_invalid), TEST(test_cbc_many_exchanges), TEST(test_phase1_hash),
          TEST(test_message_hashes), TEST(test_keymat), TEST(test_natd),
          TEST(test_strongswan_exchange))
