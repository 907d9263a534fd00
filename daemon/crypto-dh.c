/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Diffie-Hellman over EVP_PKEY. This file translates between IKE's wire
 * formats and OpenSSL's parameters; the arithmetic and the peer-key
 * validation are OpenSSL's. Peer values are also range-checked here first,
 * so that a bad value is refused with -EINVAL whatever OpenSSL's version.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto-dh.h"

struct crypto_dh {
    const struct crypto_dh_group *group;
    EVP_PKEY *key;   /* our key pair; EVP_PKEY_free clears the private part */
};

/* OpenSSL's name for the group: an FFC named group (RFC 3526's safe primes
 * as "modp_*"), a curve, or X25519. MODP-768 and MODP-1024 (RFC 2409) are
 * not named groups in OpenSSL: they are built from their primes. */
static const char *openssl_group_name(const struct crypto_dh_group *g)
{
    switch (g->ikev2_id) {
    case CRYPTO_DH_MODP_1536: return "modp_1536";
    case CRYPTO_DH_MODP_2048: return "modp_2048";
    case CRYPTO_DH_MODP_3072: return "modp_3072";
    case CRYPTO_DH_MODP_4096: return "modp_4096";
    case CRYPTO_DH_ECP_256:   return "P-256";
    case CRYPTO_DH_ECP_384:   return "P-384";
    case CRYPTO_DH_ECP_521:   return "P-521";
    case CRYPTO_DH_CURVE25519: return "X25519";
    }
    return NULL;
}

/* Domain parameters for the RFC 2409 groups: p and g = 2. Without q:
 * OpenSSL 3.0 refuses to generate keys against a q it does not know as a
 * named group's, so these legacy groups get only the range check on peer
 * values (modp_peer), not the subgroup check. */
static EVP_PKEY *rfc2409_params(uint16_t id)
{
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    BIGNUM *p = NULL, *g = NULL;

    if (id == CRYPTO_DH_MODP_768)
        p = BN_get_rfc2409_prime_768(NULL);
    else if (id == CRYPTO_DH_MODP_1024)
        p = BN_get_rfc2409_prime_1024(NULL);
    if (!p)
        goto out;
    g = BN_new();
    if (!g || !BN_set_word(g, 2))
        goto out;

    bld = OSSL_PARAM_BLD_new();
    if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEY_PARAMETERS, params) != 1)
        pkey = NULL;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(p);
    BN_free(g);
    return pkey;
}

/*
 * X25519 without looking the algorithm up by name each time. OpenSSL 3.0
 * fetches the key management (and the key exchange) by name for every
 * EVP_PKEY_CTX_new_from_name / _from_pkey and raw key import: a lock, a
 * name map and a method cache walk, several per handshake. What is kept:
 *
 *  - one key generation context per thread (the event loop's and each
 *    worker's; a context is not for two threads at once, and OpenSSL 3.0
 *    cannot duplicate one), freed when the thread ends;
 *  - one public key made once per process, which each peer's public value
 *    is copied into (EVP_PKEY_dup keeps the key management it has, and
 *    setting the encoded public key is a parameter of that key).
 */
static pthread_key_t x25519_keygen_key;
static pthread_once_t x25519_once = PTHREAD_ONCE_INIT;
static EVP_PKEY *x25519_public_template;
static bool x25519_keygen_key_ok;

static void free_keygen_ctx(void *ctx)
{
    EVP_PKEY_CTX_free(ctx);
}

static void x25519_init(void)
{
    /* Any valid public value will do: the base point u = 9 (RFC 7748). */
    static const uint8_t base_point[32] = { 9 };
    x25519_keygen_key_ok = pthread_key_create(&x25519_keygen_key, free_keygen_ctx) == 0;
    x25519_public_template = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, base_point,
                                                            sizeof(base_point));
}

static EVP_PKEY *x25519_generate(void)
{
    EVP_PKEY *key = NULL;

    pthread_once(&x25519_once, x25519_init);
    if (!x25519_keygen_key_ok)
        return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    EVP_PKEY_CTX *ctx = pthread_getspecific(x25519_keygen_key);
    if (!ctx) {
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
        if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 ||
            pthread_setspecific(x25519_keygen_key, ctx) != 0) {
            EVP_PKEY_CTX_free(ctx);
            return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        }
    }
    if (EVP_PKEY_generate(ctx, &key) != 1)
        return NULL;
    return key;
}

static EVP_PKEY *x25519_public(const uint8_t *pub, size_t len)
{
    pthread_once(&x25519_once, x25519_init);
    if (!x25519_public_template)
        return EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, pub, len);
    EVP_PKEY *key = EVP_PKEY_dup(x25519_public_template);
    if (key && EVP_PKEY_set1_encoded_public_key(key, pub, len) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    return key;
}

static EVP_PKEY *generate(const struct crypto_dh_group *g)
{
    const char *name = openssl_group_name(g);
    EVP_PKEY *params = NULL, *key = NULL;
    EVP_PKEY_CTX *ctx = NULL;

    switch (g->kind) {
    case CRYPTO_DH_KIND_X25519:
        return x25519_generate();
    case CRYPTO_DH_KIND_ECP:
        return name ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", name) : NULL;
    case CRYPTO_DH_KIND_MODP:
        break;
    }

    if (name) {
        OSSL_PARAM p[2] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0),
            OSSL_PARAM_construct_end(),
        };
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
        if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_CTX_set_params(ctx, p) != 1)
            goto out;
    } else {
        params = rfc2409_params(g->ikev2_id);
        if (!params)
            goto out;
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
        if (!ctx || EVP_PKEY_keygen_init(ctx) != 1)
            goto out;
    }
    if (EVP_PKEY_generate(ctx, &key) != 1)
        key = NULL;
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(params);
    return key;
}

int crypto_dh_new(const struct crypto_dh_group *group, struct crypto_dh **ret)
{
    struct crypto_dh *dh;

    if (!ret)
        return -EINVAL;
    if (!group || crypto_dh_group_find(group->ikev2_id) != group)
        return -EOPNOTSUPP;
    dh = calloc(1, sizeof(*dh));
    if (!dh)
        return -ENOMEM;
    dh->group = group;
    dh->key = generate(group);
    if (!dh->key) {
        free(dh);
        return -EIO;
    }
    *ret = dh;
    return 0;
}

/* The key pair from `priv` and `pub` (wire formats), checked pairwise. */
static int import_pair(const struct crypto_dh_group *g, const uint8_t *priv, size_t priv_len,
                       const uint8_t *pub, size_t pub_len, EVP_PKEY **ret)
{
    const char *name = openssl_group_name(g);
    uint8_t point[1 + CRYPTO_DH_PUBLIC_MAX];
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *domain = NULL, *key = NULL;
    BIGNUM *x = NULL, *y = NULL, *p = NULL, *gen = NULL;
    int r = -EIO;

    if (g->kind == CRYPTO_DH_KIND_X25519) {
        if (priv_len != 32 || pub)
            return -EINVAL;
        *ret = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, priv_len);
        return *ret ? 0 : -EIO;
    }
    if (!pub || pub_len != g->public_len || priv_len == 0 || priv_len > g->public_len)
        return -EINVAL;

    x = BN_secure_new();
    bld = OSSL_PARAM_BLD_new();
    if (!x || !bld || !BN_bin2bn(priv, (int)priv_len, x) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x))
        goto out;
    if (g->kind == CRYPTO_DH_KIND_ECP) {
        point[0] = 0x04;
        memcpy(point + 1, pub, pub_len);
        if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name, 0) ||
            !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, pub_len + 1))
            goto out;
    } else {
        y = BN_bin2bn(pub, (int)pub_len, NULL);
        if (!y || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
            goto out;
        if (name) {
            if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name, 0))
                goto out;
        } else {
            domain = rfc2409_params(g->ikev2_id);
            if (!domain ||
                EVP_PKEY_get_bn_param(domain, OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
                EVP_PKEY_get_bn_param(domain, OSSL_PKEY_PARAM_FFC_G, &gen) != 1 ||
                !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
                !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, gen))
                goto out;
        }
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, g->kind == CRYPTO_DH_KIND_ECP ? "EC" : "DH", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1)
        goto out;
    if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1) {
        r = -EINVAL;
        goto out;
    }
    EVP_PKEY_CTX_free(ctx);
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (!ctx)
        goto out;
    if (EVP_PKEY_pairwise_check(ctx) != 1) {
        r = -EINVAL;
        goto out;
    }
    *ret = key;
    key = NULL;
    r = 0;
out:
    EVP_PKEY_free(key);
    EVP_PKEY_free(domain);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);   /* holds a copy of the private value */
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(x);
    BN_free(y);
    BN_free(p);
    BN_free(gen);
    return r;
}

int crypto_dh_new_from_private(const struct crypto_dh_group *group,
                               const uint8_t *priv, size_t priv_len,
                               const uint8_t *pub, size_t pub_len,
                               struct crypto_dh **ret)
{
    struct crypto_dh *dh;
    int r;

    if (!ret || !priv)
        return -EINVAL;
    if (!group || crypto_dh_group_find(group->ikev2_id) != group)
        return -EOPNOTSUPP;
    dh = calloc(1, sizeof(*dh));
    if (!dh)
        return -ENOMEM;
    dh->group = group;
    r = import_pair(group, priv, priv_len, pub, pub_len, &dh->key);
    if (r < 0) {
        free(dh);
        return r;
    }
    *ret = dh;
    return 0;
}

void crypto_dh_free(struct crypto_dh *dh)
{
    if (!dh)
        return;
    EVP_PKEY_free(dh->key);
    free(dh);
}

const struct crypto_dh_group *crypto_dh_get_group(const struct crypto_dh *dh)
{
    return dh ? dh->group : NULL;
}

/* A BIGNUM parameter of a key, as `len` big-endian bytes. */
static int get_bn_padded(const EVP_PKEY *key, const char *param, uint8_t *buf, size_t len)
{
    BIGNUM *bn = NULL;
    int r = -EIO;

    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
        return -EIO;
    if (BN_bn2binpad(bn, buf, (int)len) == (int)len)
        r = 0;
    BN_free(bn);
    return r;
}

int crypto_dh_public(const struct crypto_dh *dh, uint8_t *buf, size_t len)
{
    const struct crypto_dh_group *g;
    size_t n;
    int r = -EIO;

    if (!dh || !buf)
        return -EINVAL;
    g = dh->group;
    if (len < g->public_len)
        return -ENOBUFS;

    switch (g->kind) {
    case CRYPTO_DH_KIND_MODP:
        r = get_bn_padded(dh->key, OSSL_PKEY_PARAM_PUB_KEY, buf, g->public_len);
        break;
    case CRYPTO_DH_KIND_ECP:
        /* RFC 5903: x | y, each the field's length. */
        n = g->public_len / 2;
        r = get_bn_padded(dh->key, OSSL_PKEY_PARAM_EC_PUB_X, buf, n);
        if (r == 0)
            r = get_bn_padded(dh->key, OSSL_PKEY_PARAM_EC_PUB_Y, buf + n, n);
        break;
    case CRYPTO_DH_KIND_X25519:
        n = g->public_len;
        r = EVP_PKEY_get_raw_public_key(dh->key, buf, &n) == 1 && n == g->public_len ? 0 : -EIO;
        break;
    }
    return r < 0 ? r : (int)g->public_len;
}

/* MODP: 1 < y < p-1 (RFC 6989 section 2.1; y = 1 or p-1 would force a
 * trivial shared secret). Returns the peer key with our domain parameters. */
static int modp_peer(const struct crypto_dh *dh, const uint8_t *pub, size_t len, EVP_PKEY **ret)
{
    BIGNUM *p = NULL, *q = NULL, *g = NULL, *y = NULL, *p1 = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    int r = -EIO;

    /* q is known for the named groups only (see rfc2409_params). */
    if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
        EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_FFC_G, &g) != 1)
        goto out;
    (void)EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_FFC_Q, &q);
    y = BN_bin2bn(pub, (int)len, NULL);
    p1 = BN_dup(p);
    if (!y || !p1 || !BN_sub_word(p1, 1))
        goto out;
    if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, p1) >= 0) {
        r = -EINVAL;
        goto out;
    }

    bld = OSSL_PARAM_BLD_new();
    if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
        (q && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_Q, q)) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1)
        goto out;
    r = EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) == 1 ? 0 : -EINVAL;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(p);
    BN_free(q);
    BN_free(g);
    BN_free(y);
    BN_free(p1);
    return r;
}

/* ECP: the uncompressed point 0x04 | x | y. OpenSSL refuses coordinates
 * outside the field and points not on the curve when importing. */
static int ecp_peer(const struct crypto_dh *dh, const uint8_t *pub, size_t len, EVP_PKEY **ret)
{
    uint8_t point[1 + CRYPTO_DH_PUBLIC_MAX];
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx;
    int r = -EIO;

    point[0] = 0x04;
    memcpy(point + 1, pub, len);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *)openssl_group_name(dh->group), 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, len + 1);
    params[2] = OSSL_PARAM_construct_end();
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        r = EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) == 1 ? 0 : -EINVAL;
    EVP_PKEY_CTX_free(ctx);
    return r;
}

int crypto_dh_compute(struct crypto_dh *dh, const uint8_t *peer_public, size_t peer_len,
                      uint8_t *shared, size_t shared_max, size_t *shared_len)
{
    const struct crypto_dh_group *g;
    EVP_PKEY *peer = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    size_t out_len;
    int r;

    if (!dh || !peer_public || !shared || !shared_len)
        return -EINVAL;
    g = dh->group;
    if (peer_len != g->public_len)
        return -EINVAL;
    if (shared_max < g->shared_len)
        return -ENOBUFS;

    switch (g->kind) {
    case CRYPTO_DH_KIND_MODP:
        r = modp_peer(dh, peer_public, peer_len, &peer);
        break;
    case CRYPTO_DH_KIND_ECP:
        r = ecp_peer(dh, peer_public, peer_len, &peer);
        break;
    case CRYPTO_DH_KIND_X25519:
        peer = x25519_public(peer_public, peer_len);
        r = peer ? 0 : -EIO;
        break;
    default:
        r = -EOPNOTSUPP;
    }
    if (r < 0)
        goto out;

    r = -EIO;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
    if (!ctx || EVP_PKEY_derive_init(ctx) != 1)
        goto out;
    /* g^ir keeps its leading zeros in IKE (RFC 7296 2.14). */
    if (g->kind == CRYPTO_DH_KIND_MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) != 1)
        goto out;
    /* Let OpenSSL validate the peer's key too (subgroup membership for
     * MODP, on-curve for ECP). Every 32-byte string is an X25519 public
     * value (RFC 7748 section 5): OpenSSL's check of one only asks that it
     * be there, at the cost of another context; the low-order points are
     * refused below by their all-zero result. */
    if (EVP_PKEY_derive_set_peer_ex(ctx, peer, g->kind != CRYPTO_DH_KIND_X25519) != 1) {
        r = -EINVAL;
        goto out;
    }
    out_len = shared_max;
    if (EVP_PKEY_derive(ctx, shared, &out_len) != 1) {
        /* X25519's derive fails only on an all-zero result: a low-order
         * peer point (RFC 7748 section 6.1, RFC 8031 section 2.3). */
        r = g->kind == CRYPTO_DH_KIND_X25519 ? -EINVAL : -EIO;
        goto out;
    }
    if (out_len != g->shared_len) {
        crypto_wipe(shared, out_len);
        goto out;
    }
    if (g->kind == CRYPTO_DH_KIND_X25519) {
        uint8_t acc = 0;
        for (size_t i = 0; i < out_len; i++)
            acc |= shared[i];
        if (acc == 0) {
            r = -EINVAL;
            goto out;
        }
    }
    *shared_len = out_len;
    r = 0;
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    return r;
}
