/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HMAC against RFC 4231 / RFC 2202, prf+ against an independent computation
 * (vectors.py), the registry and randomness.
 */
#include <errno.h>
#include <string.h>

#include "crypto.h"
#include "crypto-prf.h"
#include "hex.h"
#include "testing.h"

#define CHUNK(s) ((struct crypto_chunk) { (s), sizeof(s) - 1 })

static void test_hmac_rfc4231(void)
{
    uint8_t key[131], out[CRYPTO_PRF_OUT_MAX];
    struct crypto_chunk hi = CHUNK("Hi There");
    struct crypto_chunk jefe = CHUNK("what do ya want for nothing?");
    struct crypto_chunk big = CHUNK("Test Using Larger Than Block-Size Key - Hash Key First");
    int r;

    /* Test Case 1, SHA-256 */
    memset(key, 0x0b, 20);
    r = crypto_hmac("SHA256", key, 20, &hi, 1, out, sizeof(out));
    CHECK_INT_EQ(r, 32);
    CHECK(hex_equal(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));

    /* Test Case 2, SHA-384 and SHA-512 */
    r = crypto_hmac("SHA384", "Jefe", 4, &jefe, 1, out, sizeof(out));
    CHECK_INT_EQ(r, 48);
    CHECK(hex_equal(out, 48, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                             "8e2240ca5e69e2c78b3239ecfab21649"));
    r = crypto_hmac("SHA512", "Jefe", 4, &jefe, 1, out, sizeof(out));
    CHECK_INT_EQ(r, 64);
    CHECK(hex_equal(out, 64, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                             "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"));

    /* Test Case 6: a key longer than the block is hashed first. */
    memset(key, 0xaa, 131);
    r = crypto_hmac("SHA256", key, 131, &big, 1, out, sizeof(out));
    CHECK_INT_EQ(r, 32);
    CHECK(hex_equal(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
}

static void test_hmac_chunks_and_sha1(void)
{
    uint8_t out[CRYPTO_PRF_OUT_MAX];
    /* RFC 2202 test case 2, the data split over three chunks (and an
     * empty one): the concatenation is what is MACed. */
    struct crypto_chunk parts[] = {
        CHUNK("what do "), { "", 0 }, CHUNK("ya want "), CHUNK("for nothing?"),
    };
    int r = crypto_hmac("SHA1", "Jefe", 4, parts, 4, out, sizeof(out));

    CHECK_INT_EQ(r, 20);
    CHECK(hex_equal(out, 20, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"));
}

static void test_hmac_errors(void)
{
    uint8_t out[CRYPTO_PRF_OUT_MAX];
    struct crypto_chunk d = CHUNK("x");

    CHECK_INT_EQ(crypto_hmac("NO-SUCH-DIGEST", "k", 1, &d, 1, out, sizeof(out)), -EOPNOTSUPP);
    CHECK_INT_EQ(crypto_hmac("SHA256", "k", 1, &d, 1, out, 31), -ENOBUFS);
    CHECK_INT_EQ(crypto_hmac(NULL, "k", 1, &d, 1, out, sizeof(out)), -EINVAL);
    CHECK_INT_EQ(crypto_hmac("SHA256", NULL, 1, &d, 1, out, sizeof(out)), -EINVAL);
    CHECK_INT_EQ(crypto_hmac("SHA256", "k", 1, &(struct crypto_chunk) { NULL, 3 }, 1,
                             out, sizeof(out)), -EINVAL);
    CHECK_INT_EQ(crypto_prf(crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_384), "k", 1, &d, 1, out, 47),
                 -ENOBUFS);
}

static void test_prf_plus_known_answer(void)
{
    const struct crypto_prf *prf = crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_256);
    struct crypto_chunk seed[] = { CHUNK("a"), CHUNK("bc") };
    uint8_t out[100];

    /* vectors.py "prfplus": 100 bytes = three full blocks and a partial
     * fourth, so the chaining Tn = prf(K, Tn-1 | S | n) is exercised. */
    CHECK(prf);
    CHECK_INT_EQ(crypto_prf_plus(prf, "key", 3, seed, 2, out, sizeof(out)), 0);
    CHECK(hex_equal(out, sizeof(out),
        "aeced48beccc36d5098dc668892d557be7ee9670c68f9d097b637dd6bcf08e94"
        "8a2454ce288fccbb611de4c9462138830fbb80d0131f9a2125b59f0510d8b8e0"
        "dbbc6838a9164a03e4c93f47f92e72de0200bebcb0366345330304b6a7f991bf"
        "86ad52be"));
}

static void test_prf_plus_limit(void)
{
    const struct crypto_prf *prf = crypto_prf_find(CRYPTO_PRF_HMAC_SHA1);
    static uint8_t out[255 * 20 + 1];
    struct crypto_chunk seed = CHUNK("s");

    /* 255 iterations are the most the one-octet counter allows. */
    CHECK_INT_EQ(crypto_prf_plus(prf, "k", 1, &seed, 1, out, 255 * 20), 0);
    CHECK_INT_EQ(crypto_prf_plus(prf, "k", 1, &seed, 1, out, 255 * 20 + 1), -EINVAL);
    CHECK_INT_EQ(crypto_prf_plus(NULL, "k", 1, &seed, 1, out, 20), -EINVAL);
}

static void test_registry(void)
{
    const struct crypto_encr *e;
    const struct crypto_integ *i;
    const struct crypto_dh_group *g;

    e = crypto_encr_find(CRYPTO_ENCR_AES_CBC, 256);
    CHECK(e && e->key_len == 32 && e->block_len == 16 && e->iv_len == 16 && !e->aead &&
          e->xfrm == XFRM_CIPHER_AES_CBC);
    e = crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 128);
    CHECK(e && e->aead && e->key_len == 16 && e->salt_len == 4 && e->iv_len == 8 &&
          e->icv_len == 16 && e->xfrm == XFRM_CIPHER_AES_GCM_16);
    CHECK(crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 192) == NULL);
    CHECK(crypto_encr_find(CRYPTO_ENCR_AES_CBC, 0) == NULL);
    CHECK(crypto_encr_find(CRYPTO_ENCR_AES_CBC, 100) == NULL);
    /* 3DES: no Key Length attribute on the wire, 192 from the configuration. */
    CHECK(crypto_encr_find(CRYPTO_ENCR_3DES, 0) == crypto_encr_find(CRYPTO_ENCR_3DES, 192));
    e = crypto_encr_find(CRYPTO_ENCR_3DES, 0);
    CHECK(e && e->legacy && e->block_len == 8 && e->xfrm == XFRM_CIPHER_3DES_CBC);
    CHECK(crypto_encr_find(2, 64) == NULL);   /* single DES: not implemented */

    i = crypto_integ_find(CRYPTO_INTEG_HMAC_SHA2_512_256);
    CHECK(i && i->key_len == 64 && i->icv_len == 32 && i->xfrm == XFRM_INTEG_HMAC_SHA512_256);
    i = crypto_integ_find(CRYPTO_INTEG_HMAC_SHA1_96);
    CHECK(i && i->key_len == 20 && i->icv_len == 12 && i->xfrm == XFRM_INTEG_HMAC_SHA1_96);
    CHECK(crypto_integ_find(1) == NULL);        /* HMAC-MD5-96 */

    CHECK(crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_384) &&
          crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_384)->out_len == 48);
    CHECK(crypto_prf_find(4) == NULL);          /* PRF_AES128_XCBC */

    g = crypto_dh_group_find(CRYPTO_DH_ECP_521);
    CHECK(g && g->public_len == 132 && g->shared_len == 66);
    g = crypto_dh_group_find(CRYPTO_DH_MODP_1024);
    CHECK(g && g->legacy && g->public_len == 128);
    CHECK(crypto_dh_group_find(CRYPTO_DH_CURVE25519)->public_len == 32);
    CHECK(crypto_dh_group_find(22) == NULL);
    CHECK(crypto_dh_group_find(0) == NULL);
}

static void test_random(void)
{
    uint8_t a[32], b[32], zero[32] = { 0 };

    CHECK_INT_EQ(crypto_random(a, sizeof(a)), 0);
    CHECK_INT_EQ(crypto_random(b, sizeof(b)), 0);
    /* 2^-256 chance of a false failure. */
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    CHECK(memcmp(a, zero, sizeof(a)) != 0);
    CHECK_INT_EQ(crypto_random(NULL, 1), -EINVAL);
    CHECK_INT_EQ(crypto_random(NULL, 0), 0);
}

static void test_memequal_wipe(void)
{
    uint8_t a[4] = { 1, 2, 3, 4 }, b[4] = { 1, 2, 3, 5 };

    CHECK(crypto_memequal(a, a, 4));
    CHECK(!crypto_memequal(a, b, 4));
    CHECK(crypto_memequal(a, b, 3));
    crypto_wipe(a, sizeof(a));
    CHECK(a[0] == 0 && a[3] == 0);
}

/* crypto_matches: what the *_verify functions return. */
static void test_matches(void)
{
    const uint8_t got[4] = { 1, 2, 3, 4 }, other[4] = { 1, 2, 3, 5 };
    uint8_t expected[8];

    memcpy(expected, got, 4);
    CHECK_INT_EQ(crypto_matches(4, expected, sizeof(expected), got, 4), 1);
    CHECK(expected[0] == 0 && expected[3] == 0);                /* wiped */
    memcpy(expected, got, 4);
    CHECK_INT_EQ(crypto_matches(4, expected, sizeof(expected), other, 4), 0);
    memcpy(expected, got, 4);
    CHECK_INT_EQ(crypto_matches(4, expected, sizeof(expected), got, 3), 0);   /* a prefix is not the MAC */
    CHECK_INT_EQ(crypto_matches(0, expected, sizeof(expected), got, 0), 0);   /* nor is nothing */
    CHECK_INT_EQ(crypto_matches(0, expected, sizeof(expected), NULL, 0), 0);
    memcpy(expected, got, 4);
    CHECK_INT_EQ(crypto_matches(-EINVAL, expected, sizeof(expected), got, 4), -EINVAL);
    CHECK(expected[0] == 0);
}

TEST_MAIN(TEST(test_hmac_rfc4231), TEST(test_hmac_chunks_and_sha1), TEST(test_hmac_errors),
          TEST(test_prf_plus_known_answer), TEST(test_prf_plus_limit), TEST(test_registry),
          TEST(test_random), TEST(test_memequal_wipe), TEST(test_matches))
