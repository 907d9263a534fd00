/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The SK payload: known answers (AES-GCM from the GCM specification's test
 * cases 4 and 16, AES-CBC from NIST SP 800-38A F.2.1 with an HMAC-SHA1-96
 * ICV computed by vectors.py), round trips for every cipher, and rejection
 * of tampered, truncated and badly padded bodies.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto-prf.h"
#include "crypto-sk.h"
#include "hex.h"
#include "testing.h"

/* Keys for a suite, both directions different, without running the
 * derivation (tested elsewhere): SK_ei = 0x10.., SK_er = 0x20.., etc. */
static struct crypto_ike_keys make_keys(const struct crypto_encr *e, const struct crypto_integ *i)
{
    struct crypto_ike_keys k = { .suite = { .encr = e, .integ = i,
                                            .prf = crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_256) } };
    size_t el = e->key_len + e->salt_len, al = i ? i->key_len : 0;

    for (size_t n = 0; n < el; n++) {
        k.sk_ei[n] = (uint8_t)(0x10 + n);
        k.sk_er[n] = (uint8_t)(0x20 + n);
    }
    for (size_t n = 0; n < al; n++) {
        k.sk_ai[n] = (uint8_t)(0x30 + n);
        k.sk_ar[n] = (uint8_t)(0x40 + n);
    }
    k.sk_ei_len = k.sk_er_len = el;
    k.sk_ai_len = k.sk_ar_len = al;
    return k;
}

/* An IKE header and SK generic header; contents only matter as AAD. */
static const uint8_t aad[32] = {
    1, 2, 3, 4, 5, 6, 7, 8, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
    0x2e, 0x20, 0x23, 0x08, 0, 0, 0, 1, 0, 0, 1, 0, 0x29, 0, 0, 0x80,
};

static void test_gcm_known_answer(void)
{
    /* Test cases 4 (AES-128) and 16 (AES-256) of McGrew & Viega's GCM
     * specification: IV cafebabe|facedbaddecaf888 is RFC 5282's salt |
     * explicit IV. The plaintext's last byte (0x39) reads as a pad length
     * of 57: two bytes of inner payload. */
    static const struct { uint16_t bits; const char *key, *ct, *tag; } tc[] = {
        { 128, "feffe9928665731c6d6a8f9467308308",
          "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
          "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
          "5bc94fbc3221a5db94fae95ae7121a47" },
        { 256, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
          "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
          "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
          "76fc6ece0f4e1768cddf8853bb2d551b" },
    };
    static const char plain[] =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    uint8_t a[20], body[8 + 60 + 16], out[sizeof(body)];

    unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", a, sizeof(a));
    for (size_t t = 0; t < 2; t++) {
        const struct crypto_encr *e = crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, tc[t].bits);
        struct crypto_ike_keys k = make_keys(e, NULL);
        size_t len = 0;

        unhex(tc[t].key, k.sk_ei, sizeof(k.sk_ei));
        unhex("cafebabe", k.sk_ei + e->key_len, 4);
        unhex("facedbaddecaf888", body, 8);
        unhex(tc[t].ct, body + 8, 60);
        unhex(tc[t].tag, body + 68, 16);

        CHECK_INT_EQ(crypto_sk_decrypt(&k, true, a, sizeof(a), body, sizeof(body),
                                       out, sizeof(out), &len), 0);
        CHECK_INT_EQ(len, 2);
        CHECK(hex_equal(out, 60, plain));
        /* The responder's keys do not open it. */
        CHECK_INT_EQ(crypto_sk_decrypt(&k, false, a, sizeof(a), body, sizeof(body),
                                       out, sizeof(out), &len), -EBADMSG);
        /* Nor does other associated data. */
        a[0] ^= 1;
        CHECK_INT_EQ(crypto_sk_decrypt(&k, true, a, sizeof(a), body, sizeof(body),
                                       out, sizeof(out), &len), -EBADMSG);
        a[0] ^= 1;
    }
}

static void test_cbc_known_answer(void)
{
    const struct crypto_encr *e = crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128);
    const struct crypto_integ *i = crypto_integ_find(CRYPTO_INTEG_HMAC_SHA1_96);
    struct crypto_ike_keys k = make_keys(e, i);
    uint8_t a[32], body[16 + 64 + 12], out[sizeof(body)];
    size_t len = 0;

    /* vectors.py "aad" and "cbc-icv"; SK_ai = 0x0c * 20. */
    unhex("0102030405060708a1a2a3a4a5a6a7a82e202308000000010000007c29000060", a, sizeof(a));
    unhex("2b7e151628aed2a6abf7158809cf4f3c", k.sk_ei, 16);
    memset(k.sk_ai, 0x0c, 20);
    unhex("000102030405060708090a0b0c0d0e0f", body, 16);
    unhex("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
          "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7", body + 16, 64);
    unhex("6f8a77aaea9a1012f658b6e1", body + 80, 12);

    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, a, sizeof(a), body, sizeof(body),
                                   out, sizeof(out), &len), 0);
    /* The last plaintext byte, 0x10, is the pad length: 64 - 16 - 1. */
    CHECK_INT_EQ(len, 47);
    CHECK(hex_equal(out, 64, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                             "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"));
    body[91] ^= 1;   /* ICV */
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, a, sizeof(a), body, sizeof(body),
                                   out, sizeof(out), &len), -EBADMSG);
}

struct suite { uint16_t encr, bits, integ; };
static const struct suite suites[] = {
    { CRYPTO_ENCR_AES_CBC, 128, CRYPTO_INTEG_HMAC_SHA1_96 },
    { CRYPTO_ENCR_AES_CBC, 192, CRYPTO_INTEG_HMAC_SHA2_384_192 },
    { CRYPTO_ENCR_AES_CBC, 256, CRYPTO_INTEG_HMAC_SHA2_256_128 },
    { CRYPTO_ENCR_AES_CBC, 256, CRYPTO_INTEG_HMAC_SHA2_512_256 },
    { CRYPTO_ENCR_3DES, 0, CRYPTO_INTEG_HMAC_SHA1_96 },
    { CRYPTO_ENCR_AES_GCM_16, 128, 0 },
    { CRYPTO_ENCR_AES_GCM_16, 256, 0 },
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

static struct crypto_ike_keys suite_keys(size_t s)
{
    return make_keys(crypto_encr_find(suites[s].encr, suites[s].bits),
                     suites[s].integ ? crypto_integ_find(suites[s].integ) : NULL);
}

static void test_round_trip(void)
{
    static const size_t lengths[] = { 0, 1, 7, 8, 15, 16, 17, 100, 1200 };
    uint8_t plain[1200], body[1400], out[1400];

    for (size_t n = 0; n < sizeof(plain); n++)
        plain[n] = (uint8_t)(n * 13);
    for (size_t s = 0; s < N_SUITES; s++) {
        struct crypto_ike_keys k = suite_keys(s);
        const struct crypto_encr *e = k.suite.encr;

        printf("# %s %s\n", e->name, k.suite.integ ? k.suite.integ->name : "");
        for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
            size_t pl = lengths[l], bl = crypto_sk_body_len(&k, pl), got = 9999;
            size_t icv = e->aead ? e->icv_len : k.suite.integ->icv_len;

            CHECK(bl >= e->iv_len + pl + 1 + icv);
            CHECK((bl - e->iv_len - icv) % e->block_len == 0);
            CHECK(bl <= sizeof(body));
            CHECK_INT_EQ(crypto_sk_encrypt(&k, false, aad, sizeof(aad), plain, pl, body, bl), 0);
            /* Ciphertext does not show the plaintext. */
            if (pl >= 16)
                CHECK(memcmp(body + e->iv_len, plain, 16) != 0);
            CHECK_INT_EQ(crypto_sk_decrypt(&k, false, aad, sizeof(aad), body, bl,
                                           out, sizeof(out), &got), 0);
            CHECK_INT_EQ(got, pl);
            CHECK(memcmp(out, plain, pl) == 0);
            /* Wrong direction's keys. */
            CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, bl,
                                           out, sizeof(out), &got), -EBADMSG);
        }
        /* Two encryptions of the same message differ (fresh IV). */
        uint8_t b2[128];
        size_t bl = crypto_sk_body_len(&k, 16);
        CHECK(bl <= sizeof(b2));
        CHECK_INT_EQ(crypto_sk_encrypt(&k, true, aad, sizeof(aad), plain, 16, body, bl), 0);
        CHECK_INT_EQ(crypto_sk_encrypt(&k, true, aad, sizeof(aad), plain, 16, b2, bl), 0);
        CHECK(memcmp(body, b2, bl) != 0);
        /* body_len must be the one crypto_sk_body_len gave. */
        CHECK_INT_EQ(crypto_sk_encrypt(&k, true, aad, sizeof(aad), plain, 16, body, bl + 1), -EINVAL);
        CHECK_INT_EQ(crypto_sk_encrypt(&k, true, aad, sizeof(aad), plain, 16, body, bl - 1), -EINVAL);
    }
}

static void test_tampering(void)
{
    uint8_t plain[40], body[200], out[200];

    memset(plain, 0x61, sizeof(plain));
    for (size_t s = 0; s < N_SUITES; s++) {
        struct crypto_ike_keys k = suite_keys(s);
        size_t bl = crypto_sk_body_len(&k, sizeof(plain)), got = 0;
        uint8_t a[sizeof(aad)];

        printf("# %s\n", k.suite.encr->name);
        CHECK_INT_EQ(crypto_sk_encrypt(&k, true, aad, sizeof(aad), plain, sizeof(plain), body, bl), 0);
        /* Each byte of the body, and of the AAD, is covered. */
        for (size_t b = 0; b < bl; b++) {
            body[b] ^= 0x04;
            CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, bl,
                                           out, sizeof(out), &got), -EBADMSG);
            body[b] ^= 0x04;
        }
        memcpy(a, aad, sizeof(a));
        for (size_t b = 0; b < sizeof(a); b++) {
            a[b] ^= 0x80;
            CHECK_INT_EQ(crypto_sk_decrypt(&k, true, a, sizeof(a), body, bl,
                                           out, sizeof(out), &got), -EBADMSG);
            a[b] ^= 0x80;
        }
        /* Truncated: always refused, as malformed or as unauthentic. */
        for (size_t cut = 1; cut < bl; cut++) {
            int r = crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, bl - cut,
                                      out, sizeof(out), &got);
            CHECK(r == -EINVAL || r == -EBADMSG);
        }
        /* Too small a plaintext buffer. */
        CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, bl, out, 8, &got), -ENOBUFS);
        CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, bl,
                                       out, sizeof(out), &got), 0);
        CHECK_INT_EQ(got, sizeof(plain));
    }
}

/* CBC: a body whose ICV is right but whose pad length points before the
 * start of the plaintext. Made by flipping the IV (which changes the first
 * block's plaintext, here the only block) and re-computing the ICV. */
static void test_cbc_bad_padding(void)
{
    const struct crypto_encr *e = crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128);
    const struct crypto_integ *i = crypto_integ_find(CRYPTO_INTEG_HMAC_SHA2_256_128);
    struct crypto_ike_keys k = make_keys(e, i);
    uint8_t plain[3] = { 1, 2, 3 }, body[64], out[64], mac[CRYPTO_PRF_OUT_MAX];
    size_t bl = crypto_sk_body_len(&k, sizeof(plain)), got = 0;

    CHECK_INT_EQ(bl, 16 + 16 + 16);
    CHECK_INT_EQ(crypto_sk_encrypt(&k, true, aad, sizeof(aad), plain, sizeof(plain), body, bl), 0);
    /* Pad length 12 becomes 12 ^ 0x13 = 31: more than the block holds. */
    body[15] ^= 0x13;
    struct crypto_chunk d[] = { { aad, sizeof(aad) }, { body, 32 } };
    CHECK_INT_EQ(crypto_hmac("SHA256", k.sk_ai, k.sk_ai_len, d, 2, mac, sizeof(mac)), 32);
    memcpy(body + 32, mac, 16);
    memset(out, 0x55, sizeof(out));
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, bl, out, sizeof(out), &got),
                 -EINVAL);
    CHECK_INT_EQ(got, 0);
    /* The rejected plaintext was wiped. */
    CHECK(out[0] == 0 && out[15] == 0);

    /* Pad length 15: exactly the block less the pad length byte — valid,
     * an empty payload list. */
    body[15] ^= 0x13 ^ (12 ^ 15);
    CHECK_INT_EQ(crypto_hmac("SHA256", k.sk_ai, k.sk_ai_len, d, 2, mac, sizeof(mac)), 32);
    memcpy(body + 32, mac, 16);
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, bl, out, sizeof(out), &got), 0);
    CHECK_INT_EQ(got, 0);

    /* Ciphertext not a multiple of the block (an ICV appended to 20 bytes). */
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, 16 + 20 + 16,
                                   out, sizeof(out), &got), -EINVAL);
    /* IV and ICV but no ciphertext. */
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, 32, out, sizeof(out), &got),
                 -EINVAL);
}

/* GCM bodies shorter than IV + pad length byte + tag. */
static void test_gcm_short_bodies(void)
{
    const struct crypto_encr *e = crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 128);
    struct crypto_ike_keys k = make_keys(e, NULL);
    uint8_t body[64], out[64];
    size_t got = 0;

    memset(body, 0, sizeof(body));
    /* IV + tag without even the pad length byte. */
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, 8 + 16, out, sizeof(out), &got),
                 -EINVAL);
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, 3, out, sizeof(out), &got),
                 -EINVAL);
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, 0, out, sizeof(out), &got),
                 -EINVAL);
    /* One byte of ciphertext, arbitrary: authentication fails first. */
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, 8 + 1 + 16,
                                   out, sizeof(out), &got), -EBADMSG);
}

/* An SK body sealed here with OpenSSL directly, so that the plaintext
 * (and so the pad length byte) is ours to choose. */
static size_t gcm_seal(const struct crypto_ike_keys *k, const uint8_t *plain, size_t len,
                       uint8_t *body)
{
    const struct crypto_encr *e = k->suite.encr;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    uint8_t nonce[12];
    int outl = 0, ok;

    memcpy(nonce, k->sk_ei + e->key_len, 4);
    memset(body, 0x77, 8);                     /* the explicit IV */
    memcpy(nonce + 4, body, 8);
    ok = ctx && EVP_EncryptInit_ex2(ctx, EVP_aes_128_gcm(), k->sk_ei, nonce, NULL) == 1 &&
         EVP_EncryptUpdate(ctx, NULL, &outl, aad, sizeof(aad)) == 1 &&
         EVP_EncryptUpdate(ctx, body + 8, &outl, plain, (int)len) == 1 &&
         EVP_EncryptFinal_ex(ctx, body + 8 + outl, &outl) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, body + 8 + len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 8 + len + 16 : 0;
}

static void test_gcm_padding(void)
{
    const struct crypto_encr *e = crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 128);
    struct crypto_ike_keys k = make_keys(e, NULL);
    uint8_t body[64], out[64];
    size_t bl, got = 0;

    /* Pad length 5 with only one byte of plaintext: refused. */
    bl = gcm_seal(&k, (const uint8_t[]) { 0x05 }, 1, body);
    CHECK_INT_EQ(bl, 25);
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, bl, out, sizeof(out), &got),
                 -EINVAL);
    /* Pad length 0, nothing else: an empty payload list. */
    bl = gcm_seal(&k, (const uint8_t[]) { 0x00 }, 1, body);
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, bl, out, sizeof(out), &got), 0);
    CHECK_INT_EQ(got, 0);
    /* Unaligned, with one byte of padding: accepted as it comes. */
    bl = gcm_seal(&k, (const uint8_t[]) { 0xaa, 0xbb, 0xcc, 0x00, 0x01 }, 5, body);
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, bl, out, sizeof(out), &got), 0);
    CHECK_INT_EQ(got, 3);
    CHECK(out[0] == 0xaa && out[2] == 0xcc);
}

static void test_unusable_keys(void)
{
    const struct crypto_encr *cbc = crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128);
    struct crypto_ike_keys k = make_keys(cbc, crypto_integ_find(CRYPTO_INTEG_HMAC_SHA1_96));
    uint8_t body[64], out[64];
    size_t got;

    k.sk_ei_len = 15;
    CHECK_INT_EQ(crypto_sk_body_len(&k, 10), 0);
    CHECK_INT_EQ(crypto_sk_encrypt(&k, true, aad, sizeof(aad), body, 10, out, 48), -EINVAL);
    k = make_keys(cbc, NULL);
    CHECK_INT_EQ(crypto_sk_decrypt(&k, true, aad, sizeof(aad), body, 48, out, sizeof(out), &got),
                 -EINVAL);
    CHECK_INT_EQ(crypto_sk_body_len(NULL, 10), 0);
}

TEST_MAIN(TEST(test_gcm_known_answer), TEST(test_cbc_known_answer), TEST(test_round_trip),
          TEST(test_tampering), TEST(test_cbc_bad_padding), TEST(test_gcm_short_bodies),
          TEST(test_gcm_padding), TEST(test_unusable_keys))
