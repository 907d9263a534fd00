/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * crypto-fetch.c: an algorithm is fetched once and the same object handed
 * out again; HMAC contexts copied from the per-digest template compute the
 * RFC 4231 answers; unknown names are refused; and threads that fill the
 * tables at the same moment all get the same objects and right answers.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "crypto-fetch.h"
#include "crypto-prf.h"
#include "hex.h"
#include "testing.h"

static const char jefe_data[] = "what do ya want for nothing?";

static bool hmac_ctx_answer(EVP_MAC_CTX *ctx, const char *expected_hex)
{
    uint8_t out[64];
    size_t len = 0;

    return ctx && EVP_MAC_init(ctx, (const uint8_t *)"Jefe", 4, NULL) == 1 &&
           EVP_MAC_update(ctx, (const uint8_t *)jefe_data, strlen(jefe_data)) == 1 &&
           EVP_MAC_final(ctx, out, &len, sizeof(out)) == 1 && hex_equal(out, len, expected_hex);
}

static void test_same_object(void)
{
    EVP_MD *a = crypto_fetch_md("SHA256"), *b = crypto_fetch_md("SHA256");
    CHECK(a != NULL);
    CHECK(a == b);
    CHECK(EVP_MD_is_a(a, "SHA2-256"));
    EVP_MD_free(a);
    EVP_MD_free(b);
    /* The cache's own reference is still there. */
    a = crypto_fetch_md("SHA256");
    CHECK(a != NULL && EVP_MD_get_size(a) == 32);
    EVP_MD_free(a);

    EVP_CIPHER *c = crypto_fetch_cipher("AES-128-GCM"), *d = crypto_fetch_cipher("AES-128-GCM");
    CHECK(c != NULL);
    CHECK(c == d);
    CHECK(EVP_CIPHER_get_key_length(c) == 16);
    EVP_CIPHER_free(c);
    EVP_CIPHER_free(d);

    CHECK(crypto_fetch_md("NO-SUCH-DIGEST") == NULL);
    CHECK(crypto_fetch_cipher("NO-SUCH-CIPHER") == NULL);
    CHECK(crypto_fetch_md(NULL) == NULL);
    CHECK(crypto_fetch_hmac_ctx("NO-SUCH-DIGEST") == NULL);
    CHECK(crypto_fetch_hmac_ctx(NULL) == NULL);
}

static void test_hmac_ctx(void)
{
    /* RFC 4231 test case 2; two contexts from one template are independent. */
    EVP_MAC_CTX *a = crypto_fetch_hmac_ctx("SHA256"), *b = crypto_fetch_hmac_ctx("SHA256");
    CHECK(a != NULL && b != NULL && a != b);
    CHECK(hmac_ctx_answer(a, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    CHECK(hmac_ctx_answer(b, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    /* Keyed again, a context starts over. */
    CHECK(hmac_ctx_answer(a, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    EVP_MAC_CTX_free(a);
    EVP_MAC_CTX_free(b);
}

static void test_digest(void)
{
    uint8_t out[64];

    CHECK_INT_EQ(crypto_digest("SHA1", "abc", 3, out, sizeof(out)), 20);
    CHECK(hex_equal(out, 20, "a9993e364706816aba3e25717850c26c9cd0d89d"));
    CHECK_INT_EQ(crypto_digest("SHA1", "abc", 3, out, 19), -ENOBUFS);
    CHECK_INT_EQ(crypto_digest("NO-SUCH-DIGEST", "abc", 3, out, sizeof(out)), -EOPNOTSUPP);
    CHECK_INT_EQ(crypto_digest("SHA1", NULL, 3, out, sizeof(out)), -EINVAL);
}

#define THREADS 4
#define ROUNDS 300

struct racer {
    pthread_barrier_t *start;
    EVP_CIPHER *cipher;   /* what this thread was handed, for comparison */
    int wrong;
};

/* SHA-512 and AES-256-GCM are used by no other test of this program: the
 * threads fill their entries at the same moment. */
static void *race(void *arg)
{
    struct racer *r = arg;
    struct crypto_chunk jefe = { jefe_data, sizeof(jefe_data) - 1 };
    uint8_t out[CRYPTO_PRF_OUT_MAX];

    pthread_barrier_wait(r->start);
    for (int i = 0; i < ROUNDS; i++) {
        EVP_CIPHER *c = crypto_fetch_cipher("AES-256-GCM");
        if (!c || (r->cipher && c != r->cipher))
            r->wrong++;
        if (!r->cipher)
            r->cipher = c;
        else
            EVP_CIPHER_free(c);
        if (crypto_hmac("SHA512", "Jefe", 4, &jefe, 1, out, sizeof(out)) != 64 ||
            !hex_equal(out, 64, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                                "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"))
            r->wrong++;
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_barrier_t start;
    pthread_t t[THREADS];
    struct racer r[THREADS];

    CHECK_INT_EQ(pthread_barrier_init(&start, NULL, THREADS), 0);
    for (int i = 0; i < THREADS; i++) {
        r[i] = (struct racer) { .start = &start };
        CHECK_INT_EQ(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        CHECK_INT_EQ(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        CHECK_INT_EQ(r[i].wrong, 0);
        CHECK(r[i].cipher != NULL && r[i].cipher == r[0].cipher);
    }
    for (int i = 0; i < THREADS; i++)
        EVP_CIPHER_free(r[i].cipher);
    pthread_barrier_destroy(&start);
}

TEST_MAIN(TEST(test_same_object), TEST(test_hmac_ctx), TEST(test_digest), TEST(test_threads))
