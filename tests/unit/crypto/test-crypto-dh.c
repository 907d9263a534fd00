/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Diffie-Hellman: agreement in every group, RFC 7748 and RFC 5903 known
 * answers, and rejection of invalid peer values.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>

#include "crypto-dh.h"
#include "hex.h"
#include "testing.h"

static const uint16_t all_groups[] = {
    CRYPTO_DH_MODP_768, CRYPTO_DH_MODP_1024, CRYPTO_DH_MODP_1536, CRYPTO_DH_MODP_2048,
    CRYPTO_DH_MODP_3072, CRYPTO_DH_MODP_4096, CRYPTO_DH_ECP_256, CRYPTO_DH_ECP_384,
    CRYPTO_DH_ECP_521, CRYPTO_DH_CURVE25519,
};

/* Two fresh key pairs agree; returns 0 when they did. */
static int agree(const struct crypto_dh_group *g)
{
    struct crypto_dh *a = NULL, *b = NULL;
    uint8_t pa[CRYPTO_DH_PUBLIC_MAX], pb[CRYPTO_DH_PUBLIC_MAX];
    uint8_t sa[CRYPTO_DH_SHARED_MAX], sb[CRYPTO_DH_SHARED_MAX];
    size_t la = 0, lb = 0;
    int r = -1;

    if (crypto_dh_new(g, &a) < 0 || crypto_dh_new(g, &b) < 0)
        goto out;
    if (crypto_dh_public(a, pa, sizeof(pa)) != (int)g->public_len ||
        crypto_dh_public(b, pb, sizeof(pb)) != (int)g->public_len)
        goto out;
    if (memcmp(pa, pb, g->public_len) == 0)
        goto out;
    if (crypto_dh_compute(a, pb, g->public_len, sa, sizeof(sa), &la) < 0 ||
        crypto_dh_compute(b, pa, g->public_len, sb, sizeof(sb), &lb) < 0)
        goto out;
    if (la == g->shared_len && lb == la && memcmp(sa, sb, la) == 0)
        r = 0;
out:
    crypto_dh_free(a);
    crypto_dh_free(b);
    return r;
}

static void test_agreement_every_group(void)
{
    for (size_t i = 0; i < sizeof(all_groups) / sizeof(all_groups[0]); i++) {
        const struct crypto_dh_group *g = crypto_dh_group_find(all_groups[i]);
        CHECK(g != NULL);
        if (!g)
            continue;
        printf("# %s\n", g->name);
        CHECK_INT_EQ(agree(g), 0);
    }
}

/* RFC 7748 section 6.1 */
static void test_x25519_rfc7748(void)
{
    const struct crypto_dh_group *g = crypto_dh_group_find(CRYPTO_DH_CURVE25519);
    uint8_t priv[32], peer[32], pub[32], shared[CRYPTO_DH_SHARED_MAX];
    struct crypto_dh *dh = NULL;
    size_t len = 0;

    unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", priv, 32);
    unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", peer, 32);
    CHECK_INT_EQ(crypto_dh_new_from_private(g, priv, 32, NULL, 0, &dh), 0);
    if (!dh)
        return;
    CHECK_INT_EQ(crypto_dh_public(dh, pub, sizeof(pub)), 32);
    CHECK(hex_equal(pub, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
    CHECK_INT_EQ(crypto_dh_compute(dh, peer, 32, shared, sizeof(shared), &len), 0);
    CHECK(hex_equal(shared, len, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"));
    crypto_dh_free(dh);
}

/* RFC 5903 section 8: i, g^i, g^r, and the x coordinate of g^ir. */
static const struct {
    uint16_t group;
    const char *i, *gi, *gr, *girx;
} rfc5903[] = {
    { CRYPTO_DH_ECP_256,
      "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
      "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
      "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
      "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
      "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
      "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de" },
    { CRYPTO_DH_ECP_384,
      "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194",
      "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa"
      "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c",
      "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571"
      "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c",
      "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746" },
    /* P-521: every value is 66 bytes, leading zeros kept (the padding the
     * wire format needs). */
    { CRYPTO_DH_ECP_521,
      "0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a095aa85a30fe1c2952c6771d937ba9777f5957b2639bab072462f68c27a57382d4a52",
      "0015417e84dbf28c0ad3c278713349dc7df153c897a1891bd98bab4357c9ecbee1e3bf42e00b8e380aeae57c2d107564941885942af5a7f4601723c4195d176ced3e"
      "017cae20b6641d2eeb695786d8c946146239d099e18e1d5a514c739d7cb4a10ad8a788015ac405d7799dc75e7b7d5b6cf2261a6a7f1507438bf01beb6ca3926f9582",
      "00d0b3975ac4b799f5bea16d5e13e9af971d5e9b984c9f39728b5e5739735a219b97c356436adc6e95bb0352f6be64a6c2912d4ef2d0433ced2b6171640012d9460f"
      "015c68226383956e3bd066e797b623c27ce0eac2f551a10c2c724d9852077b87220b6536c5c408a1d2aebb8e86d678ae49cb57091f4732296579ab44fcd17f0fc56a",
      "01144c7d79ae6956bc8edb8e7c787c4521cb086fa64407f97894e5e6b2d79b04d1427e73ca4baa240a34786859810c06b3c715a3a8cc3151f2bee417996d19f3ddea" },
};

static void test_ecp_rfc5903(void)
{
    for (size_t k = 0; k < sizeof(rfc5903) / sizeof(rfc5903[0]); k++) {
        const struct crypto_dh_group *g = crypto_dh_group_find(rfc5903[k].group);
        uint8_t priv[66], gi[132], gr[132], pub[CRYPTO_DH_PUBLIC_MAX], shared[CRYPTO_DH_SHARED_MAX];
        size_t priv_len = unhex(rfc5903[k].i, priv, sizeof(priv));
        size_t gi_len = unhex(rfc5903[k].gi, gi, sizeof(gi));
        size_t gr_len = unhex(rfc5903[k].gr, gr, sizeof(gr));
        struct crypto_dh *dh = NULL;
        size_t len = 0;

        printf("# %s\n", g->name);
        CHECK_INT_EQ(gi_len, g->public_len);
        CHECK_INT_EQ(crypto_dh_new_from_private(g, priv, priv_len, gi, gi_len, &dh), 0);
        if (!dh)
            continue;
        CHECK_INT_EQ(crypto_dh_public(dh, pub, sizeof(pub)), (int)g->public_len);
        CHECK(memcmp(pub, gi, gi_len) == 0);
        CHECK_INT_EQ(crypto_dh_compute(dh, gr, gr_len, shared, sizeof(shared), &len), 0);
        CHECK_INT_EQ(len, g->shared_len);
        CHECK(hex_equal(shared, len, rfc5903[k].girx));
        crypto_dh_free(dh);

        /* A public value that does not belong to the private one. */
        CHECK_INT_EQ(crypto_dh_new_from_private(g, priv, priv_len, gr, gr_len, &dh), -EINVAL);
    }
}

/* A MODP key pair imported from values computed here: g^x mod p. */
static void test_modp_from_private(void)
{
    const struct crypto_dh_group *g = crypto_dh_group_find(CRYPTO_DH_MODP_2048);
    BIGNUM *p = BN_get_rfc3526_prime_2048(NULL), *x = BN_new(), *y = BN_new(), *two = BN_new();
    BN_CTX *bn = BN_CTX_new();
    uint8_t priv[32], pub[256], out[256];
    struct crypto_dh *dh = NULL;

    memset(priv, 0x5a, sizeof(priv));
    CHECK(p && x && y && two && bn && BN_bin2bn(priv, 32, x) && BN_set_word(two, 2) &&
          BN_mod_exp(y, two, x, p, bn) && BN_bn2binpad(y, pub, 256) == 256);
    CHECK_INT_EQ(crypto_dh_new_from_private(g, priv, sizeof(priv), pub, sizeof(pub), &dh), 0);
    CHECK_INT_EQ(crypto_dh_public(dh, out, sizeof(out)), 256);
    CHECK(memcmp(out, pub, 256) == 0);
    crypto_dh_free(dh);
    pub[255] ^= 1;
    CHECK_INT_EQ(crypto_dh_new_from_private(g, priv, sizeof(priv), pub, sizeof(pub), &dh), -EINVAL);
    BN_free(p); BN_free(x); BN_free(y); BN_free(two);
    BN_CTX_free(bn);
}

static int compute(struct crypto_dh *dh, const uint8_t *peer, size_t len)
{
    uint8_t shared[CRYPTO_DH_SHARED_MAX];
    size_t n = 0;

    return crypto_dh_compute(dh, peer, len, shared, sizeof(shared), &n);
}

static void test_invalid_lengths(void)
{
    for (size_t i = 0; i < sizeof(all_groups) / sizeof(all_groups[0]); i++) {
        const struct crypto_dh_group *g = crypto_dh_group_find(all_groups[i]);
        uint8_t pub[CRYPTO_DH_PUBLIC_MAX + 1], shared[CRYPTO_DH_SHARED_MAX];
        struct crypto_dh *dh = NULL;
        size_t n = 0;

        if (g->public_len > 256)   /* the big MODP groups: same code, slow keygen */
            continue;
        CHECK_INT_EQ(crypto_dh_new(g, &dh), 0);
        if (!dh)
            continue;
        CHECK_INT_EQ(crypto_dh_public(dh, pub, g->public_len - 1), -ENOBUFS);
        CHECK_INT_EQ(crypto_dh_public(dh, pub, sizeof(pub)), (int)g->public_len);
        CHECK_INT_EQ(compute(dh, pub, g->public_len - 1), -EINVAL);
        CHECK_INT_EQ(compute(dh, pub, g->public_len + 1), -EINVAL);
        CHECK_INT_EQ(compute(dh, pub, 0), -EINVAL);
        CHECK_INT_EQ(crypto_dh_compute(dh, pub, g->public_len, shared, g->shared_len - 1, &n),
                     -ENOBUFS);
        /* Our own public value is a valid peer value. */
        CHECK_INT_EQ(compute(dh, pub, g->public_len), 0);
        crypto_dh_free(dh);
    }
    CHECK_INT_EQ(crypto_dh_new(NULL, &(struct crypto_dh *) { NULL }), -EOPNOTSUPP);
    /* A descriptor that is not the registry's. */
    struct crypto_dh_group fake = *crypto_dh_group_find(CRYPTO_DH_ECP_256);
    CHECK_INT_EQ(crypto_dh_new(&fake, &(struct crypto_dh *) { NULL }), -EOPNOTSUPP);
}

static void test_ecp_invalid_points(void)
{
    const struct crypto_dh_group *g = crypto_dh_group_find(CRYPTO_DH_ECP_256);
    struct crypto_dh *dh = NULL;
    uint8_t pub[64], bad[64];

    CHECK_INT_EQ(crypto_dh_new(g, &dh), 0);
    if (!dh)
        return;
    unhex(rfc5903[0].gr, pub, sizeof(pub));
    CHECK_INT_EQ(compute(dh, pub, 64), 0);

    /* y changed: no longer on the curve. */
    memcpy(bad, pub, 64);
    bad[63] ^= 0x01;
    CHECK_INT_EQ(compute(dh, bad, 64), -EINVAL);
    /* x and y all zero (the point at infinity has no affine encoding). */
    memset(bad, 0, 64);
    CHECK_INT_EQ(compute(dh, bad, 64), -EINVAL);
    /* Coordinates >= p. */
    memset(bad, 0xff, 64);
    CHECK_INT_EQ(compute(dh, bad, 64), -EINVAL);
    crypto_dh_free(dh);
}

static void test_modp_invalid_values(void)
{
    const uint16_t ids[] = { CRYPTO_DH_MODP_1024, CRYPTO_DH_MODP_2048 };

    for (size_t k = 0; k < 2; k++) {
        const struct crypto_dh_group *g = crypto_dh_group_find(ids[k]);
        BIGNUM *p = ids[k] == CRYPTO_DH_MODP_1024 ? BN_get_rfc2409_prime_1024(NULL)
                                                  : BN_get_rfc3526_prime_2048(NULL);
        size_t len = g->public_len;
        uint8_t v[256];
        struct crypto_dh *dh = NULL;

        CHECK(p != NULL);
        CHECK_INT_EQ(crypto_dh_new(g, &dh), 0);
        if (!dh || !p)
            continue;
        printf("# %s\n", g->name);
        memset(v, 0, len);
        CHECK_INT_EQ(compute(dh, v, len), -EINVAL);         /* 0 */
        v[len - 1] = 1;
        CHECK_INT_EQ(compute(dh, v, len), -EINVAL);         /* 1 */
        BN_bn2binpad(p, v, (int)len);
        CHECK_INT_EQ(compute(dh, v, len), -EINVAL);         /* p */
        v[len - 1] -= 1;
        CHECK_INT_EQ(compute(dh, v, len), -EINVAL);         /* p - 1 */
        memset(v, 0xff, len);
        CHECK_INT_EQ(compute(dh, v, len), -EINVAL);         /* > p */
        /* 2 is the generator: a valid value. */
        memset(v, 0, len);
        v[len - 1] = 2;
        CHECK_INT_EQ(compute(dh, v, len), 0);
        crypto_dh_free(dh);
        BN_free(p);
    }
}

static void test_x25519_low_order(void)
{
    const struct crypto_dh_group *g = crypto_dh_group_find(CRYPTO_DH_CURVE25519);
    struct crypto_dh *dh = NULL;
    uint8_t v[32];

    CHECK_INT_EQ(crypto_dh_new(g, &dh), 0);
    if (!dh)
        return;
    /* u = 0 and u = 1 are of low order: the shared secret is all zero. */
    memset(v, 0, 32);
    CHECK_INT_EQ(compute(dh, v, 32), -EINVAL);
    v[0] = 1;
    CHECK_INT_EQ(compute(dh, v, 32), -EINVAL);
    crypto_dh_free(dh);
}

/* The job pool computes DH on worker threads: several at once must agree. */
static void *agree_thread(void *arg)
{
    const struct crypto_dh_group *g = arg;
    intptr_t failures = 0;

    for (int i = 0; i < 8; i++)
        failures += agree(g) != 0;
    return (void *)failures;
}

static void test_threads(void)
{
    pthread_t t[4];
    const uint16_t ids[4] = { CRYPTO_DH_ECP_256, CRYPTO_DH_CURVE25519, CRYPTO_DH_MODP_1024,
                              CRYPTO_DH_ECP_384 };

    for (int i = 0; i < 4; i++)
        CHECK_INT_EQ(pthread_create(&t[i], NULL, agree_thread,
                                    (void *)crypto_dh_group_find(ids[i])), 0);
    for (int i = 0; i < 4; i++) {
        void *ret = (void *)1;
        CHECK_INT_EQ(pthread_join(t[i], &ret), 0);
        CHECK(ret == NULL);
    }
}

TEST_MAIN(TEST(test_agreement_every_group), TEST(test_x25519_rfc7748), TEST(test_ecp_rfc5903),
          TEST(test_modp_from_private), TEST(test_invalid_lengths), TEST(test_ecp_invalid_points),
          TEST(test_modp_invalid_values), TEST(test_x25519_low_order), TEST(test_threads))
