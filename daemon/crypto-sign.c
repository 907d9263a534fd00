/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Signature AUTH payloads: methods 1, 9-11 and 14 (RFC 7296, 4754, 7427).
 * See crypto-sign.h. Signing and verification go through EVP_DigestSign /
 * EVP_DigestVerify with a context per call, so concurrent calls on the job
 * pool share nothing but the (read-only) key.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto-sign.h"
#include "cert-internal.h"   /* cert_reason */

/* ---- Hashes ----------------------------------------------------------------- */

struct hash_info {
    uint8_t id;
    const char *name;           /* for logs */
    const char *digest;         /* OpenSSL digest name */
    int nid;
    size_t len;
};

static const struct hash_info hashes[] = {
    { CRYPTO_SIGN_HASH_SHA1,   "SHA-1",    "SHA1",   NID_sha1,   20 },
    { CRYPTO_SIGN_HASH_SHA256, "SHA2-256", "SHA256", NID_sha256, 32 },
    { CRYPTO_SIGN_HASH_SHA384, "SHA2-384", "SHA384", NID_sha384, 48 },
    { CRYPTO_SIGN_HASH_SHA512, "SHA2-512", "SHA512", NID_sha512, 64 },
};

static const struct hash_info *hash_by_id(uint8_t id)
{
    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
        if (hashes[i].id == id)
            return &hashes[i];
    return NULL;
}

static const struct hash_info *hash_by_nid(int nid)
{
    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
        if (hashes[i].nid == nid)
            return &hashes[i];
    return NULL;
}

const char *crypto_sign_hash_name(uint8_t hash)
{
    const struct hash_info *h = hash_by_id(hash);
    return h ? h->name : "unknown";
}

int crypto_sign_hash_notify_parse(const uint8_t *data, size_t len, uint32_t *mask)
{
    if (!mask || (!data && len))
        return -EINVAL;
    if (len == 0 || len % 2)
        return -EBADMSG;
    uint32_t m = 0;
    for (size_t i = 0; i < len; i += 2) {
        unsigned id = (unsigned)data[i] << 8 | data[i + 1];
        if (id < 32 && hash_by_id((uint8_t)id))
            m |= CRYPTO_SIGN_HASH_BIT(id);
    }
    *mask = m;
    return 0;
}

int crypto_sign_hash_notify_build(uint8_t *out, size_t max)
{
    static const uint8_t ours[] = {
        0, CRYPTO_SIGN_HASH_SHA256, 0, CRYPTO_SIGN_HASH_SHA384, 0, CRYPTO_SIGN_HASH_SHA512,
    };
    if (!out)
        return -EINVAL;
    if (max < sizeof(ours))
        return -ENOBUFS;
    memcpy(out, ours, sizeof(ours));
    return (int)sizeof(ours);
}

/* ---- Keys ------------------------------------------------------------------- */

enum key_kind {
    KEY_OTHER,
    KEY_RSA,
    KEY_RSA_PSS,                /* an RSASSA-PSS-only key (id-RSASSA-PSS SPKI) */
    KEY_EC,
};

struct key_info {
    enum key_kind kind;
    uint8_t curve_method;       /* EC: 9/10/11 for P-256/384/521, 0 for other curves */
    uint8_t curve_hash;         /* EC: the curve's natural hash */
    size_t field_len;           /* EC: bytes of r and s in methods 9-11 */
    const char *curve;          /* EC: for messages */
};

static void key_describe(const EVP_PKEY *key, struct key_info *ki)
{
    memset(ki, 0, sizeof(*ki));
    ki->kind = KEY_OTHER;
    if (EVP_PKEY_is_a(key, "RSA")) {
        ki->kind = KEY_RSA;
    } else if (EVP_PKEY_is_a(key, "RSA-PSS")) {
        ki->kind = KEY_RSA_PSS;
    } else if (EVP_PKEY_is_a(key, "EC")) {
        ki->kind = KEY_EC;
        char group[64] = "";
        size_t glen = 0;
        if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen))
            group[0] = '\0';
        int nid = OBJ_txt2nid(group);
        if (nid == NID_undef)
            nid = EC_curve_nist2nid(group);
        switch (nid) {
        case NID_X9_62_prime256v1:
            *ki = (struct key_info){ KEY_EC, CRYPTO_SIGN_AUTH_ECDSA_P256, CRYPTO_SIGN_HASH_SHA256, 32, "P-256" };
            break;
        case NID_secp384r1:
            *ki = (struct key_info){ KEY_EC, CRYPTO_SIGN_AUTH_ECDSA_P384, CRYPTO_SIGN_HASH_SHA384, 48, "P-384" };
            break;
        case NID_secp521r1:
            *ki = (struct key_info){ KEY_EC, CRYPTO_SIGN_AUTH_ECDSA_P521, CRYPTO_SIGN_HASH_SHA512, 66, "P-521" };
            break;
        default:
            ki->curve = "other curve";
            break;
        }
    }
}

static const char *key_kind_name(const struct key_info *ki)
{
    switch (ki->kind) {
    case KEY_RSA:     return "RSA";
    case KEY_RSA_PSS: return "RSA-PSS";
    case KEY_EC:      return "ECDSA";
    default:          return "unsupported";
    }
}

/* ---- RFC 7427 AlgorithmIdentifiers ----------------------------------------- */
/*
 * What we send. These are the encodings RFC 7427 Appendix A lists (A.1 RSA
 * PKCS#1 v1.5 with NULL parameters, A.3 ECDSA without parameters, A.4.3
 * RSASSA-PSS with SHA-256, MGF1 with the same hash, salt of the hash length
 * and the trailer field written out); PSS with SHA-384/512 follows A.4.3's
 * pattern. Tables rather than an encoder: they are fixed and short, and the
 * unit test compares them with the RFC byte for byte.
 */
#define OID_PKCS1(n)   0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, (n)
#define OID_ECDSA_SHA2(n) 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, (n)
#define OID_SHA2(n)    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, (n)

static const uint8_t aid_rsa_sha1[]   = { 0x30, 0x0d, OID_PKCS1(0x05), 0x05, 0x00 };
static const uint8_t aid_rsa_sha256[] = { 0x30, 0x0d, OID_PKCS1(0x0b), 0x05, 0x00 };
static const uint8_t aid_rsa_sha384[] = { 0x30, 0x0d, OID_PKCS1(0x0c), 0x05, 0x00 };
static const uint8_t aid_rsa_sha512[] = { 0x30, 0x0d, OID_PKCS1(0x0d), 0x05, 0x00 };
static const uint8_t aid_ecdsa_sha1[] = { 0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01 };
static const uint8_t aid_ecdsa_sha256[] = { 0x30, 0x0a, OID_ECDSA_SHA2(0x02) };
static const uint8_t aid_ecdsa_sha384[] = { 0x30, 0x0a, OID_ECDSA_SHA2(0x03) };
static const uint8_t aid_ecdsa_sha512[] = { 0x30, 0x0a, OID_ECDSA_SHA2(0x04) };
#define AID_PSS(h, salt) {                                                   \
    0x30, 0x46, OID_PKCS1(0x0a), 0x30, 0x39,                                \
    0xa0, 0x0f, 0x30, 0x0d, OID_SHA2(h), 0x05, 0x00,                        \
    0xa1, 0x1c, 0x30, 0x1a, OID_PKCS1(0x08), 0x30, 0x0d, OID_SHA2(h), 0x05, 0x00, \
    0xa2, 0x03, 0x02, 0x01, (salt),                                         \
    0xa3, 0x03, 0x02, 0x01, 0x01 }
static const uint8_t aid_pss_sha256[] = AID_PSS(0x01, 32);
static const uint8_t aid_pss_sha384[] = AID_PSS(0x02, 48);
static const uint8_t aid_pss_sha512[] = AID_PSS(0x03, 64);

int crypto_sign_algorithm_id(bool ecdsa, const struct crypto_sign_scheme *scheme,
                             const uint8_t **der, size_t *der_len)
{
    if (!scheme || !der || !der_len)
        return -EINVAL;
    const uint8_t *d = NULL;
    size_t n = 0;
#define PICK(a) (d = (a), n = sizeof(a))
    if (ecdsa && !scheme->pss) {
        switch (scheme->hash) {
        case CRYPTO_SIGN_HASH_SHA1:   PICK(aid_ecdsa_sha1); break;
        case CRYPTO_SIGN_HASH_SHA256: PICK(aid_ecdsa_sha256); break;
        case CRYPTO_SIGN_HASH_SHA384: PICK(aid_ecdsa_sha384); break;
        case CRYPTO_SIGN_HASH_SHA512: PICK(aid_ecdsa_sha512); break;
        }
    } else if (!ecdsa && !scheme->pss) {
        switch (scheme->hash) {
        case CRYPTO_SIGN_HASH_SHA1:   PICK(aid_rsa_sha1); break;
        case CRYPTO_SIGN_HASH_SHA256: PICK(aid_rsa_sha256); break;
        case CRYPTO_SIGN_HASH_SHA384: PICK(aid_rsa_sha384); break;
        case CRYPTO_SIGN_HASH_SHA512: PICK(aid_rsa_sha512); break;
        }
    } else if (!ecdsa) {
        /* We never sign PSS with SHA-1 (its defaults are what A.4.1/A.4.2 show). */
        switch (scheme->hash) {
        case CRYPTO_SIGN_HASH_SHA256: PICK(aid_pss_sha256); break;
        case CRYPTO_SIGN_HASH_SHA384: PICK(aid_pss_sha384); break;
        case CRYPTO_SIGN_HASH_SHA512: PICK(aid_pss_sha512); break;
        }
    }
#undef PICK
    if (!d)
        return -EINVAL;
    *der = d;
    *der_len = n;
    return 0;
}

/* ---- Choosing --------------------------------------------------------------- */

int crypto_sign_choose(const EVP_PKEY *key, uint32_t peer_hashes, bool prefer_pss,
                       struct crypto_sign_scheme *out)
{
    if (!key || !out)
        return -EINVAL;
    struct key_info ki;
    key_describe(key, &ki);
    const uint32_t sha2 = CRYPTO_SIGN_HASH_BIT(CRYPTO_SIGN_HASH_SHA256) |
                          CRYPTO_SIGN_HASH_BIT(CRYPTO_SIGN_HASH_SHA384) |
                          CRYPTO_SIGN_HASH_BIT(CRYPTO_SIGN_HASH_SHA512);
    uint32_t usable = peer_hashes & sha2;

    if (usable && ki.kind != KEY_OTHER) {
        static const uint8_t rsa_order[] = {
            CRYPTO_SIGN_HASH_SHA256, CRYPTO_SIGN_HASH_SHA384, CRYPTO_SIGN_HASH_SHA512,
        };
        static const uint8_t strongest_first[] = {
            CRYPTO_SIGN_HASH_SHA512, CRYPTO_SIGN_HASH_SHA384, CRYPTO_SIGN_HASH_SHA256,
        };
        uint8_t hash = 0;
        if (ki.kind == KEY_EC && ki.curve_hash && (usable & CRYPTO_SIGN_HASH_BIT(ki.curve_hash)))
            hash = ki.curve_hash;
        const uint8_t *order = ki.kind == KEY_EC ? strongest_first : rsa_order;
        for (size_t i = 0; !hash && i < 3; i++)
            if (usable & CRYPTO_SIGN_HASH_BIT(order[i]))
                hash = order[i];
        *out = (struct crypto_sign_scheme){
            .auth_method = CRYPTO_SIGN_AUTH_DIGITAL_SIG,
            .hash = hash,
            .pss = ki.kind == KEY_RSA_PSS || (ki.kind == KEY_RSA && prefer_pss),
        };
        return 0;
    }

    /* The peer does not speak RFC 7427 (or offered only SHA-1 / unknown
     * hashes): the methods of RFC 7296 and RFC 4754. */
    if (ki.kind == KEY_RSA) {
        *out = (struct crypto_sign_scheme){ CRYPTO_SIGN_AUTH_RSA_SHA1, CRYPTO_SIGN_HASH_SHA1, false };
        return 0;
    }
    if (ki.kind == KEY_EC && ki.curve_method) {
        *out = (struct crypto_sign_scheme){ ki.curve_method, ki.curve_hash, false };
        return 0;
    }
    return -EOPNOTSUPP;
}

/* ---- Primitive sign / verify ----------------------------------------------- */

/* Is the context's MGF1 hash already `digest`? */
static bool mgf1_is(EVP_PKEY_CTX *pctx, const char *digest)
{
    char name[64];
    if (EVP_PKEY_CTX_get_rsa_mgf1_md_name(pctx, name, sizeof(name)) <= 0)
        return false;
    EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
    bool same = md && EVP_MD_is_a(md, digest);
    EVP_MD_free(md);
    return same;
}

static int setup_pss(EVP_PKEY_CTX *pctx, const struct hash_info *mgf1, int saltlen)
{
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0)
        return -EINVAL;
    /* Only when it differs: OpenSSL 3.0 refuses to set the MGF1 hash at
     * all on an RSA-PSS key whose parameters fix it, even to that value. */
    if (!mgf1_is(pctx, mgf1->digest) && EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, mgf1->digest, NULL) <= 0)
        return -EINVAL;
    if (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) <= 0)
        return -EINVAL;
    return 0;
}

/* One-shot signature over octets; ECDSA output is the DER ECDSA-Sig-Value. */
static int sign_raw(const EVP_PKEY *key, const struct hash_info *h, bool pss,
                    const uint8_t *octets, size_t octets_len, uint8_t **ret, size_t *ret_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    int r = -ENOMEM;
    if (!md)
        goto out;
    r = -EINVAL;
    if (EVP_DigestSignInit_ex(md, &pctx, h->digest, NULL, NULL, (EVP_PKEY *)key, NULL) != 1)
        goto out;
    if (pss && setup_pss(pctx, h, RSA_PSS_SALTLEN_DIGEST) < 0)
        goto out;
    r = -EIO;
    if (EVP_DigestSign(md, NULL, &sig_len, octets, octets_len) != 1 || sig_len == 0)
        goto out;
    r = -ENOMEM;
    sig = malloc(sig_len);
    if (!sig)
        goto out;
    r = -EIO;
    if (EVP_DigestSign(md, sig, &sig_len, octets, octets_len) != 1)
        goto out;
    *ret = sig;
    *ret_len = sig_len;
    sig = NULL;
    r = 0;
out:
    free(sig);
    EVP_MD_CTX_free(md);
    return r;
}

struct pss_params {
    const struct hash_info *mgf1;
    int saltlen;
};

/* 1 valid, 0 invalid, negative errno on failure. */
static int verify_raw(const EVP_PKEY *key, const struct hash_info *h, const struct pss_params *pss,
                      const uint8_t *octets, size_t octets_len, const uint8_t *sig, size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int r = -ENOMEM;
    if (!md)
        goto out;
    r = -EINVAL;
    if (EVP_DigestVerifyInit_ex(md, &pctx, h->digest, NULL, NULL, (EVP_PKEY *)key, NULL) != 1)
        goto out;
    if (pss && setup_pss(pctx, pss->mgf1, pss->saltlen) < 0)
        goto out;
    r = EVP_DigestVerify(md, sig, sig_len, octets, octets_len) == 1;
out:
    EVP_MD_CTX_free(md);
    /* A failed verification leaves errors on this thread's queue; they are
     * expected outcomes, not something a later caller should find. */
    ERR_clear_error();
    return r;
}

/* RFC 4754: r | s, each zero-padded to the field length, from/to DER. */
static int ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t field_len, uint8_t **ret, size_t *ret_len)
{
    const unsigned char *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!s)
        return -EIO;
    uint8_t *raw = malloc(2 * field_len);
    int r = -ENOMEM;
    if (raw) {
        const BIGNUM *br, *bs;
        ECDSA_SIG_get0(s, &br, &bs);
        r = -EIO;
        if (BN_bn2binpad(br, raw, (int)field_len) == (int)field_len &&
            BN_bn2binpad(bs, raw + field_len, (int)field_len) == (int)field_len) {
            *ret = raw;
            *ret_len = 2 * field_len;
            raw = NULL;
            r = 0;
        }
    }
    free(raw);
    ECDSA_SIG_free(s);
    return r;
}

static int ecdsa_raw_to_der(const uint8_t *raw, size_t field_len, uint8_t **ret, size_t *ret_len)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *br = BN_bin2bn(raw, (int)field_len, NULL);
    BIGNUM *bs = BN_bin2bn(raw + field_len, (int)field_len, NULL);
    int r = -ENOMEM;
    if (!s || !br || !bs || ECDSA_SIG_set0(s, br, bs) != 1)
        goto fail;
    br = bs = NULL;     /* owned by s now */
    unsigned char *der = NULL;
    int n = i2d_ECDSA_SIG(s, &der);
    if (n <= 0)
        goto fail;
    *ret = malloc((size_t)n);
    if (*ret) {
        memcpy(*ret, der, (size_t)n);
        *ret_len = (size_t)n;
        r = 0;
    }
    OPENSSL_free(der);
fail:
    BN_free(br);
    BN_free(bs);
    ECDSA_SIG_free(s);
    return r;
}

/* ---- AUTH payloads ---------------------------------------------------------- */

int crypto_sign_auth(const EVP_PKEY *key, const struct crypto_sign_scheme *scheme,
                     const uint8_t *octets, size_t octets_len,
                     uint8_t **ret, size_t *ret_len)
{
    if (!key || !scheme || !octets || !ret || !ret_len)
        return -EINVAL;
    struct key_info ki;
    key_describe(key, &ki);
    const struct hash_info *h = hash_by_id(scheme->hash);
    if (!h)
        return -EINVAL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    int r;

    switch (scheme->auth_method) {
    case CRYPTO_SIGN_AUTH_RSA_SHA1:
        if (ki.kind != KEY_RSA || scheme->hash != CRYPTO_SIGN_HASH_SHA1 || scheme->pss)
            return -EINVAL;
        r = sign_raw(key, h, false, octets, octets_len, ret, ret_len);
        return r;

    case CRYPTO_SIGN_AUTH_ECDSA_P256:
    case CRYPTO_SIGN_AUTH_ECDSA_P384:
    case CRYPTO_SIGN_AUTH_ECDSA_P521:
        if (ki.kind != KEY_EC || ki.curve_method != scheme->auth_method ||
            ki.curve_hash != scheme->hash || scheme->pss)
            return -EINVAL;
        r = sign_raw(key, h, false, octets, octets_len, &sig, &sig_len);
        if (r < 0)
            return r;
        r = ecdsa_der_to_raw(sig, sig_len, ki.field_len, ret, ret_len);
        free(sig);
        return r;

    case CRYPTO_SIGN_AUTH_DIGITAL_SIG: {
        if (ki.kind == KEY_OTHER || (ki.kind == KEY_EC && scheme->pss) ||
            (ki.kind == KEY_RSA_PSS && !scheme->pss))
            return -EINVAL;
        const uint8_t *aid;
        size_t aid_len;
        r = crypto_sign_algorithm_id(ki.kind == KEY_EC, scheme, &aid, &aid_len);
        if (r < 0)
            return r;
        r = sign_raw(key, h, scheme->pss, octets, octets_len, &sig, &sig_len);
        if (r < 0)
            return r;
        uint8_t *out = malloc(1 + aid_len + sig_len);
        if (!out) {
            free(sig);
            return -ENOMEM;
        }
        out[0] = (uint8_t)aid_len;
        memcpy(out + 1, aid, aid_len);
        memcpy(out + 1 + aid_len, sig, sig_len);
        free(sig);
        *ret = out;
        *ret_len = 1 + aid_len + sig_len;
        return 0;
    }
    default:
        return -EINVAL;
    }
}

/* What a received RFC 7427 AlgorithmIdentifier asks for. */
struct parsed_aid {
    const struct hash_info *hash;
    bool ecdsa;
    bool pss;
    struct pss_params pss_params;
};

/* Accepts absent or NULL parameters (PKCS#1 v1.5: RFC 4055 says NULL, some
 * encoders omit it). */
static bool params_absent_or_null(const X509_ALGOR *alg)
{
    int ptype;
    X509_ALGOR_get0(NULL, &ptype, NULL, alg);
    return ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL;
}

/* The hash of an AlgorithmIdentifier inside PSS parameters: absent = SHA-1
 * (the ASN.1 default). NULL when unknown or with unexpected parameters. */
static const struct hash_info *pss_hash(const X509_ALGOR *alg)
{
    if (!alg)
        return hash_by_id(CRYPTO_SIGN_HASH_SHA1);
    const ASN1_OBJECT *obj;
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    if (!params_absent_or_null(alg))
        return NULL;
    return hash_by_nid(OBJ_obj2nid(obj));
}

static int parse_pss_params(const X509_ALGOR *alg, struct parsed_aid *out, char *reason, size_t reason_len)
{
    int ptype;
    const void *pval;
    X509_ALGOR_get0(NULL, &ptype, &pval, alg);
    RSA_PSS_PARAMS *pp = NULL;
    X509_ALGOR *mgf_hash = NULL;
    int r = 0;

    if (ptype != V_ASN1_SEQUENCE) {
        cert_reason(reason, reason_len, "RSASSA-PSS AlgorithmIdentifier without parameters");
        return 0;
    }
    const ASN1_STRING *seq = pval;
    const unsigned char *p = ASN1_STRING_get0_data(seq);
    long plen = ASN1_STRING_length(seq);
    pp = d2i_RSA_PSS_PARAMS(NULL, &p, plen);
    if (!pp || p != ASN1_STRING_get0_data(seq) + plen) {
        cert_reason(reason, reason_len, "RSASSA-PSS parameters are malformed");
        goto out;
    }
    out->hash = pss_hash(pp->hashAlgorithm);
    if (!out->hash) {
        cert_reason(reason, reason_len, "RSASSA-PSS with an unsupported hash");
        goto out;
    }
    if (!pp->maskGenAlgorithm) {
        out->pss_params.mgf1 = hash_by_id(CRYPTO_SIGN_HASH_SHA1);
    } else {
        const ASN1_OBJECT *mobj;
        int mtype;
        const void *mval;
        X509_ALGOR_get0(&mobj, &mtype, &mval, pp->maskGenAlgorithm);
        if (OBJ_obj2nid(mobj) != NID_mgf1 || mtype != V_ASN1_SEQUENCE) {
            cert_reason(reason, reason_len, "RSASSA-PSS with a mask generation function other than MGF1");
            goto out;
        }
        const ASN1_STRING *ms = mval;
        const unsigned char *mp = ASN1_STRING_get0_data(ms);
        long mlen = ASN1_STRING_length(ms);
        mgf_hash = d2i_X509_ALGOR(NULL, &mp, mlen);
        if (!mgf_hash || mp != ASN1_STRING_get0_data(ms) + mlen ||
            !(out->pss_params.mgf1 = pss_hash(mgf_hash))) {
            cert_reason(reason, reason_len, "RSASSA-PSS MGF1 hash is malformed or unsupported");
            goto out;
        }
    }
    int64_t salt = 20;          /* the ASN.1 default */
    if (pp->saltLength && (!ASN1_INTEGER_get_int64(&salt, pp->saltLength) || salt < 0 || salt > 1024)) {
        cert_reason(reason, reason_len, "RSASSA-PSS salt length out of range");
        goto out;
    }
    int64_t trailer = 1;
    if (pp->trailerField && (!ASN1_INTEGER_get_int64(&trailer, pp->trailerField) || trailer != 1)) {
        cert_reason(reason, reason_len, "RSASSA-PSS trailer field is not 1");
        goto out;
    }
    out->pss = true;
    out->pss_params.saltlen = (int)salt;
    r = 1;
out:
    X509_ALGOR_free(mgf_hash);
    RSA_PSS_PARAMS_free(pp);
    ERR_clear_error();
    return r;
}

/* 1 parsed, 0 rejected with reason. */
static int parse_algorithm_id(const uint8_t *der, size_t len, struct parsed_aid *out,
                              char *reason, size_t reason_len)
{
    memset(out, 0, sizeof(*out));
    const unsigned char *p = der;
    X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)len);
    if (!alg || p != der + len) {
        X509_ALGOR_free(alg);
        ERR_clear_error();
        cert_reason(reason, reason_len, "RFC 7427 AlgorithmIdentifier is malformed");
        return 0;
    }
    const ASN1_OBJECT *obj;
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    int nid = OBJ_obj2nid(obj);
    int r = 1;
    switch (nid) {
    case NID_sha1WithRSAEncryption:   out->hash = hash_by_id(CRYPTO_SIGN_HASH_SHA1); break;
    case NID_sha256WithRSAEncryption: out->hash = hash_by_id(CRYPTO_SIGN_HASH_SHA256); break;
    case NID_sha384WithRSAEncryption: out->hash = hash_by_id(CRYPTO_SIGN_HASH_SHA384); break;
    case NID_sha512WithRSAEncryption: out->hash = hash_by_id(CRYPTO_SIGN_HASH_SHA512); break;
    case NID_ecdsa_with_SHA1:   out->hash = hash_by_id(CRYPTO_SIGN_HASH_SHA1);   out->ecdsa = true; break;
    case NID_ecdsa_with_SHA256: out->hash = hash_by_id(CRYPTO_SIGN_HASH_SHA256); out->ecdsa = true; break;
    case NID_ecdsa_with_SHA384: out->hash = hash_by_id(CRYPTO_SIGN_HASH_SHA384); out->ecdsa = true; break;
    case NID_ecdsa_with_SHA512: out->hash = hash_by_id(CRYPTO_SIGN_HASH_SHA512); out->ecdsa = true; break;
    case NID_rsassaPss:
        r = parse_pss_params(alg, out, reason, reason_len);
        break;
    default: {
        char oid[80];
        if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
            snprintf(oid, sizeof(oid), "?");
        cert_reason(reason, reason_len, "unsupported signature algorithm %s", oid);
        r = 0;
        break;
    }
    }
    if (r == 1 && !out->pss) {
        /* ECDSA identifiers have no parameters (RFC 5758); PKCS#1 v1.5 NULL. */
        int ptype;
        X509_ALGOR_get0(NULL, &ptype, NULL, alg);
        if (out->ecdsa ? ptype != V_ASN1_UNDEF : !params_absent_or_null(alg)) {
            cert_reason(reason, reason_len, "RFC 7427 AlgorithmIdentifier has unexpected parameters");
            r = 0;
        }
    }
    X509_ALGOR_free(alg);
    ERR_clear_error();
    return r;
}

int crypto_sign_verify_auth(const EVP_PKEY *key, uint8_t auth_method,
                            const uint8_t *data, size_t len,
                            const uint8_t *octets, size_t octets_len,
                            unsigned flags, char *reason, size_t reason_len)
{
    if (!key || (!data && len) || !octets)
        return -EINVAL;
    struct key_info ki;
    key_describe(key, &ki);
    bool allow_sha1 = flags & CRYPTO_SIGN_ALLOW_SHA1;
    int r;

    switch (auth_method) {
    case CRYPTO_SIGN_AUTH_RSA_SHA1:
        if (ki.kind != KEY_RSA) {
            cert_reason(reason, reason_len, "%s key cannot verify auth method 1 (RSA)", key_kind_name(&ki));
            return 0;
        }
        if (!allow_sha1) {
            cert_reason(reason, reason_len, "auth method 1 (RSA with SHA-1) not allowed");
            return 0;
        }
        if (len == 0 || len != (size_t)EVP_PKEY_get_size(key)) {
            cert_reason(reason, reason_len, "RSA signature length %zu does not match the key", len);
            return 0;
        }
        r = verify_raw(key, hash_by_id(CRYPTO_SIGN_HASH_SHA1), NULL, octets, octets_len, data, len);
        break;

    case CRYPTO_SIGN_AUTH_ECDSA_P256:
    case CRYPTO_SIGN_AUTH_ECDSA_P384:
    case CRYPTO_SIGN_AUTH_ECDSA_P521: {
        if (ki.kind != KEY_EC || ki.curve_method != auth_method) {
            cert_reason(reason, reason_len, "%s %s key cannot verify auth method %u", key_kind_name(&ki),
                       ki.curve ? ki.curve : "", auth_method);
            return 0;
        }
        if (len != 2 * ki.field_len) {
            cert_reason(reason, reason_len, "ECDSA signature is %zu bytes, %s needs %zu",
                       len, ki.curve, 2 * ki.field_len);
            return 0;
        }
        uint8_t *der = NULL;
        size_t der_len = 0;
        r = ecdsa_raw_to_der(data, ki.field_len, &der, &der_len);
        if (r < 0)
            return r;
        r = verify_raw(key, hash_by_id(ki.curve_hash), NULL, octets, octets_len, der, der_len);
        free(der);
        break;
    }

    case CRYPTO_SIGN_AUTH_DIGITAL_SIG: {
        if (len < 2 || data[0] == 0 || (size_t)data[0] + 1 >= len) {   /* no room for a signature */
            cert_reason(reason, reason_len, "RFC 7427 signature data is truncated");
            return 0;
        }
        size_t aid_len = data[0];
        struct parsed_aid aid;
        if (parse_algorithm_id(data + 1, aid_len, &aid, reason, reason_len) != 1)
            return 0;
        if (aid.hash->id == CRYPTO_SIGN_HASH_SHA1 && !allow_sha1) {
            cert_reason(reason, reason_len, "hash SHA-1 not allowed");
            return 0;
        }
        if (aid.pss && aid.pss_params.mgf1->id == CRYPTO_SIGN_HASH_SHA1 && !allow_sha1) {
            cert_reason(reason, reason_len, "RSASSA-PSS MGF1 with SHA-1 not allowed");
            return 0;
        }
        bool key_fits = aid.ecdsa ? ki.kind == KEY_EC
                      : aid.pss ? (ki.kind == KEY_RSA || ki.kind == KEY_RSA_PSS)
                      : ki.kind == KEY_RSA;
        if (!key_fits) {
            cert_reason(reason, reason_len, "%s key cannot verify a %s signature", key_kind_name(&ki),
                       aid.ecdsa ? "ECDSA" : aid.pss ? "RSASSA-PSS" : "RSA PKCS#1");
            return 0;
        }
        r = verify_raw(key, aid.hash, aid.pss ? &aid.pss_params : NULL, octets, octets_len,
                       data + 1 + aid_len, len - 1 - aid_len);
        break;
    }
    default:
        cert_reason(reason, reason_len, "auth method %u is not a signature method vpnd supports", auth_method);
        return 0;
    }

    if (r == -EINVAL) {
        /* OpenSSL refused the combination (say, PSS parameters an RSA-PSS
         * key's own restrictions forbid): the peer's doing, not ours. */
        cert_reason(reason, reason_len, "signature parameters are not usable with the %s key", key_kind_name(&ki));
        return 0;
    }
    if (r == 0)
        cert_reason(reason, reason_len, "signature does not verify");
    return r;
}
