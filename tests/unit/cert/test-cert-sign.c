/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Signature AUTH (daemon/crypto-sign.c): RFC 7427 AlgorithmIdentifiers
 * against the RFC's Appendix A, sign/verify round trips for every method and
 * hash, scheme choice, the hash notify, and malformed input of every kind.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "crypto-sign.h"
#include "pki.h"
#include "testing.h"

static EVP_PKEY *rsa, *rsa_pss, *p256, *p384, *p521;

static void keys(void)
{
    if (rsa)
        return;
    rsa = pki_key_rsa(2048);
    /* An RSASSA-PSS-only key (id-RSASSA-PSS SubjectPublicKeyInfo). */
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) <= 0 ||
        EVP_PKEY_generate(ctx, &rsa_pss) <= 0)
        abort();
    EVP_PKEY_CTX_free(ctx);
    p256 = pki_key_ec("P-256");
    p384 = pki_key_ec("P-384");
    p521 = pki_key_ec("P-521");
    if (!rsa_pss)
        abort();
}

/* "300d 0609 ..." -> bytes; spaces ignored. */
static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;
    int half = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        if (*p >= '0' && *p <= '9') v = *p - '0';
        else if (*p >= 'a' && *p <= 'f') v = *p - 'a' + 10;
        else continue;
        if (half < 0) {
            half = v;
        } else {
            if (n < max)
                out[n++] = (uint8_t)(half << 4 | v);
            half = -1;
        }
    }
    return n;
}

static const uint8_t octets[] = "RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload): stand-in octets";

/* ---- RFC 7427 Appendix A ----------------------------------------------------- */

struct aid_case {
    const char *name;
    bool ecdsa;
    struct crypto_sign_scheme scheme;
    const char *hex;            /* as printed in RFC 7427 Appendix A */
};

static const struct aid_case rfc7427_appendix[] = {
    { "A.1.1 sha1WithRSAEncryption", false, { 14, CRYPTO_SIGN_HASH_SHA1, false },
      "300d 0609 2a86 4886 f70d 0101 0505 00" },
    { "A.1.2 sha256WithRSAEncryption", false, { 14, CRYPTO_SIGN_HASH_SHA256, false },
      "300d 0609 2a86 4886 f70d 0101 0b05 00" },
    { "A.1.3 sha384WithRSAEncryption", false, { 14, CRYPTO_SIGN_HASH_SHA384, false },
      "300d 0609 2a86 4886 f70d 0101 0c05 00" },
    { "A.1.4 sha512WithRSAEncryption", false, { 14, CRYPTO_SIGN_HASH_SHA512, false },
      "300d 0609 2a86 4886 f70d 0101 0d05 00" },
    { "A.3.1 ecdsa-with-sha1", true, { 14, CRYPTO_SIGN_HASH_SHA1, false },
      "3009 0607 2a86 48ce 3d04 01" },
    { "A.3.2 ecdsa-with-sha256", true, { 14, CRYPTO_SIGN_HASH_SHA256, false },
      "300a 0608 2a86 48ce 3d04 0302" },
    { "A.3.3 ecdsa-with-sha384", true, { 14, CRYPTO_SIGN_HASH_SHA384, false },
      "300a 0608 2a86 48ce 3d04 0303" },
    { "A.3.4 ecdsa-with-sha512", true, { 14, CRYPTO_SIGN_HASH_SHA512, false },
      "300a 0608 2a86 48ce 3d04 0304" },
    { "A.4.3 RSASSA-PSS with SHA-256", false, { 14, CRYPTO_SIGN_HASH_SHA256, true },
      "3046 0609 2a86 4886 f70d 0101 0a30 39a0"
      "0f30 0d06 0960 8648 0165 0304 0201 0500"
      "a11c 301a 0609 2a86 4886 f70d 0101 0830"
      "0d06 0960 8648 0165 0304 0201 0500 a203"
      "0201 20a3 0302 0101" },
};

static void test_algorithm_ids_match_rfc7427(void)
{
    for (size_t i = 0; i < sizeof(rfc7427_appendix) / sizeof(rfc7427_appendix[0]); i++) {
        const struct aid_case *c = &rfc7427_appendix[i];
        uint8_t want[128];
        size_t want_len = unhex(c->hex, want, sizeof(want));
        const uint8_t *der = NULL;
        size_t der_len = 0;
        CHECK_INT_EQ(crypto_sign_algorithm_id(c->ecdsa, &c->scheme, &der, &der_len), 0);
        CHECK_INT_EQ(der_len, want_len);
        if (der && der_len == want_len && memcmp(der, want, want_len) != 0) {
            printf("#   %s differs\n", c->name);
            CHECK(0);
        }
    }
    /* Combinations we do not produce. */
    const uint8_t *der;
    size_t len;
    struct crypto_sign_scheme pss_sha1 = { 14, CRYPTO_SIGN_HASH_SHA1, true };
    struct crypto_sign_scheme ec_pss = { 14, CRYPTO_SIGN_HASH_SHA256, true };
    struct crypto_sign_scheme bad_hash = { 14, 9, false };
    CHECK_INT_EQ(crypto_sign_algorithm_id(false, &pss_sha1, &der, &len), -EINVAL);
    CHECK_INT_EQ(crypto_sign_algorithm_id(true, &ec_pss, &der, &len), -EINVAL);
    CHECK_INT_EQ(crypto_sign_algorithm_id(false, &bad_hash, &der, &len), -EINVAL);
}

/* Our PSS identifiers for SHA-384/512 decode to what they say: OpenSSL's
 * own parser reads hash, MGF1 hash and salt back. */
static void test_pss_ids_decode(void)
{
    static const struct { uint8_t hash; int nid; long salt; } cases[] = {
        { CRYPTO_SIGN_HASH_SHA256, NID_sha256, 32 },
        { CRYPTO_SIGN_HASH_SHA384, NID_sha384, 48 },
        { CRYPTO_SIGN_HASH_SHA512, NID_sha512, 64 },
    };
    for (size_t i = 0; i < 3; i++) {
        struct crypto_sign_scheme s = { 14, cases[i].hash, true };
        const uint8_t *der;
        size_t len;
        CHECK_INT_EQ(crypto_sign_algorithm_id(false, &s, &der, &len), 0);
        const unsigned char *p = der;
        X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)len);
        CHECK(alg && p == der + len);
        if (!alg)
            continue;
        const ASN1_OBJECT *obj;
        int ptype;
        const void *pval;
        X509_ALGOR_get0(&obj, &ptype, &pval, alg);
        CHECK_INT_EQ(OBJ_obj2nid(obj), NID_rsassaPss);
        CHECK_INT_EQ(ptype, V_ASN1_SEQUENCE);
        const ASN1_STRING *seq = pval;
        const unsigned char *q = ASN1_STRING_get0_data(seq);
        RSA_PSS_PARAMS *pp = d2i_RSA_PSS_PARAMS(NULL, &q, ASN1_STRING_length(seq));
        CHECK(pp != NULL);
        if (pp) {
            const ASN1_OBJECT *h;
            X509_ALGOR_get0(&h, NULL, NULL, pp->hashAlgorithm);
            CHECK_INT_EQ(OBJ_obj2nid(h), cases[i].nid);
            CHECK_INT_EQ(ASN1_INTEGER_get(pp->saltLength), cases[i].salt);
            const ASN1_OBJECT *m;
            X509_ALGOR_get0(&m, NULL, NULL, pp->maskGenAlgorithm);
            CHECK_INT_EQ(OBJ_obj2nid(m), NID_mgf1);
        }
        RSA_PSS_PARAMS_free(pp);
        X509_ALGOR_free(alg);
    }
}

/* ---- Round trips -------------------------------------------------------------- */

static int verify(EVP_PKEY *key, uint8_t method, const uint8_t *sig, size_t len,
                  const uint8_t *msg, size_t msg_len, unsigned flags, char *reason)
{
    reason[0] = '\0';
    return crypto_sign_verify_auth(key, method, sig, len, msg, msg_len, flags, reason, 256);
}

/* Signs, verifies, then checks that a changed message, a truncated and a
 * flipped signature all fail with a reason. */
static void round_trip(EVP_PKEY *key, struct crypto_sign_scheme s, unsigned flags, const char *what)
{
    uint8_t *sig = NULL;
    size_t len = 0;
    char reason[256];
    int r = crypto_sign_auth(key, &s, octets, sizeof(octets), &sig, &len);
    CHECK_INT_EQ(r, 0);
    if (r < 0) {
        printf("#   signing %s failed\n", what);
        return;
    }
    r = verify(key, s.auth_method, sig, len, octets, sizeof(octets), flags, reason);
    if (r != 1)
        printf("#   %s: %s\n", what, reason);
    CHECK_INT_EQ(r, 1);

    uint8_t changed[sizeof(octets)];
    memcpy(changed, octets, sizeof(octets));
    changed[5] ^= 1;
    CHECK_INT_EQ(verify(key, s.auth_method, sig, len, changed, sizeof(changed), flags, reason), 0);
    CHECK_STR_EQ(reason, "signature does not verify");

    CHECK_INT_EQ(verify(key, s.auth_method, sig, len - 1, octets, sizeof(octets), flags, reason), 0);
    CHECK(reason[0] != '\0');

    sig[len - 1] ^= 0x80;
    CHECK_INT_EQ(verify(key, s.auth_method, sig, len, octets, sizeof(octets), flags, reason), 0);
    CHECK(reason[0] != '\0');
    free(sig);
}

static void test_round_trip_legacy_methods(void)
{
    keys();
    round_trip(rsa, (struct crypto_sign_scheme){ 1, CRYPTO_SIGN_HASH_SHA1, false }, CRYPTO_SIGN_ALLOW_SHA1, "method 1");
    round_trip(p256, (struct crypto_sign_scheme){ 9, CRYPTO_SIGN_HASH_SHA256, false }, 0, "method 9");
    round_trip(p384, (struct crypto_sign_scheme){ 10, CRYPTO_SIGN_HASH_SHA384, false }, 0, "method 10");
    round_trip(p521, (struct crypto_sign_scheme){ 11, CRYPTO_SIGN_HASH_SHA512, false }, 0, "method 11");

    /* RFC 4754 sizes: r | s at the field length. */
    static const struct { EVP_PKEY **key; uint8_t m, h; size_t len; } sizes[] = {
        { &p256, 9, CRYPTO_SIGN_HASH_SHA256, 64 },
        { &p384, 10, CRYPTO_SIGN_HASH_SHA384, 96 },
        { &p521, 11, CRYPTO_SIGN_HASH_SHA512, 132 },
    };
    for (size_t i = 0; i < 3; i++) {
        struct crypto_sign_scheme s = { sizes[i].m, sizes[i].h, false };
        uint8_t *sig;
        size_t len;
        CHECK_INT_EQ(crypto_sign_auth(*sizes[i].key, &s, octets, sizeof(octets), &sig, &len), 0);
        CHECK_INT_EQ(len, sizes[i].len);
        free(sig);
    }
    uint8_t *sig;
    size_t len;
    struct crypto_sign_scheme m1 = { 1, CRYPTO_SIGN_HASH_SHA1, false };
    CHECK_INT_EQ(crypto_sign_auth(rsa, &m1, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(len, 256);
    free(sig);
}

static void test_round_trip_digital_signature(void)
{
    keys();
    static const uint8_t sha2[] = { CRYPTO_SIGN_HASH_SHA256, CRYPTO_SIGN_HASH_SHA384, CRYPTO_SIGN_HASH_SHA512 };
    round_trip(rsa, (struct crypto_sign_scheme){ 14, CRYPTO_SIGN_HASH_SHA1, false }, CRYPTO_SIGN_ALLOW_SHA1, "RSA SHA-1");
    for (size_t i = 0; i < 3; i++) {
        char what[64];
        snprintf(what, sizeof(what), "RSA PKCS#1 %s", crypto_sign_hash_name(sha2[i]));
        round_trip(rsa, (struct crypto_sign_scheme){ 14, sha2[i], false }, 0, what);
        snprintf(what, sizeof(what), "RSA PSS %s", crypto_sign_hash_name(sha2[i]));
        round_trip(rsa, (struct crypto_sign_scheme){ 14, sha2[i], true }, 0, what);
        snprintf(what, sizeof(what), "RSA-PSS key %s", crypto_sign_hash_name(sha2[i]));
        round_trip(rsa_pss, (struct crypto_sign_scheme){ 14, sha2[i], true }, 0, what);
        EVP_PKEY *ec[] = { p256, p384, p521 };
        for (size_t k = 0; k < 3; k++) {
            snprintf(what, sizeof(what), "ECDSA key %zu %s", k, crypto_sign_hash_name(sha2[i]));
            round_trip(ec[k], (struct crypto_sign_scheme){ 14, sha2[i], false }, 0, what);
        }
    }
    round_trip(p256, (struct crypto_sign_scheme){ 14, CRYPTO_SIGN_HASH_SHA1, false }, CRYPTO_SIGN_ALLOW_SHA1, "ECDSA SHA-1");

    /* Method 14's layout: length byte, AlgorithmIdentifier, signature. */
    struct crypto_sign_scheme s = { 14, CRYPTO_SIGN_HASH_SHA384, false };
    uint8_t *sig;
    size_t len;
    const uint8_t *aid;
    size_t aid_len;
    CHECK_INT_EQ(crypto_sign_auth(rsa, &s, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(crypto_sign_algorithm_id(false, &s, &aid, &aid_len), 0);
    CHECK_INT_EQ(sig[0], aid_len);
    CHECK(memcmp(sig + 1, aid, aid_len) == 0);
    CHECK_INT_EQ(len, 1 + aid_len + 256);
    free(sig);
}

/* SHA-1 is refused unless allowed, for method 1 and method 14 alike. */
static void test_sha1_policy(void)
{
    keys();
    char reason[256];
    uint8_t *sig;
    size_t len;
    struct crypto_sign_scheme m1 = { 1, CRYPTO_SIGN_HASH_SHA1, false };
    CHECK_INT_EQ(crypto_sign_auth(rsa, &m1, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(verify(rsa, 1, sig, len, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "auth method 1 (RSA with SHA-1) not allowed");
    free(sig);

    struct crypto_sign_scheme d1 = { 14, CRYPTO_SIGN_HASH_SHA1, false };
    CHECK_INT_EQ(crypto_sign_auth(p384, &d1, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(verify(p384, 14, sig, len, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "hash SHA-1 not allowed");
    free(sig);
}

/* RFC 7427 A.4.2's PSS identifier spells out the defaults (SHA-1, MGF1
 * with SHA-1, salt 20): our parser must read it, and refuse it unless
 * SHA-1 is allowed. The signature is made by OpenSSL directly. */
static void test_pss_default_params(void)
{
    keys();
    uint8_t aid[128];
    size_t aid_len = unhex("303e 0609 2a86 4886 f70d 0101 0a30 31a0"
                           "0b30 0906 052b 0e03 021a 0500 a118 3016"
                           "0609 2a86 4886 f70d 0101 0830 0906 052b"
                           "0e03 021a 0500 a203 0201 14a3 0302 0101", aid, sizeof(aid));
    CHECK_INT_EQ(aid_len, 64);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    uint8_t sig[1 + 64 + 256];
    size_t sig_len = 256;
    CHECK(EVP_DigestSignInit_ex(md, &pctx, "SHA1", NULL, NULL, rsa, NULL) == 1);
    CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
    CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20) > 0);
    CHECK(EVP_DigestSign(md, sig + 1 + aid_len, &sig_len, octets, sizeof(octets)) == 1);
    EVP_MD_CTX_free(md);
    sig[0] = (uint8_t)aid_len;
    memcpy(sig + 1, aid, aid_len);
    char reason[256];
    CHECK_INT_EQ(verify(rsa, 14, sig, 1 + aid_len + sig_len, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "hash SHA-1 not allowed");
    CHECK_INT_EQ(verify(rsa, 14, sig, 1 + aid_len + sig_len, octets, sizeof(octets),
                        CRYPTO_SIGN_ALLOW_SHA1, reason), 1);
    /* A salt length other than the one used: the signature does not verify. */
    sig[1 + 58] = 0x15;     /* saltLength's INTEGER 0x14 */
    CHECK_INT_EQ(verify(rsa, 14, sig, 1 + aid_len + sig_len, octets, sizeof(octets),
                        CRYPTO_SIGN_ALLOW_SHA1, reason), 0);
    CHECK_STR_EQ(reason, "signature does not verify");
}

/* ---- Choosing ------------------------------------------------------------------ */

static void test_choose(void)
{
    keys();
    const uint32_t all = CRYPTO_SIGN_HASH_BIT(2) | CRYPTO_SIGN_HASH_BIT(3) | CRYPTO_SIGN_HASH_BIT(4);
    struct crypto_sign_scheme s;
#define CHOOSE(key_, mask_, prefer_, m_, h_, pss_) do {                    \
        CHECK_INT_EQ(crypto_sign_choose(key_, mask_, prefer_, &s), 0);      \
        CHECK_INT_EQ(s.auth_method, m_);                                    \
        CHECK_INT_EQ(s.hash, h_);                                           \
        CHECK_INT_EQ(s.pss, pss_);                                          \
    } while (0)
    /* No RFC 7427: the legacy methods. */
    CHOOSE(rsa, 0, false, 1, CRYPTO_SIGN_HASH_SHA1, false);
    CHOOSE(rsa, 0, true, 1, CRYPTO_SIGN_HASH_SHA1, false);
    CHOOSE(p256, 0, false, 9, CRYPTO_SIGN_HASH_SHA256, false);
    CHOOSE(p384, 0, false, 10, CRYPTO_SIGN_HASH_SHA384, false);
    CHOOSE(p521, 0, false, 11, CRYPTO_SIGN_HASH_SHA512, false);
    CHECK_INT_EQ(crypto_sign_choose(rsa_pss, 0, false, &s), -EOPNOTSUPP);
    /* Only SHA-1 offered: also legacy. */
    CHOOSE(p256, CRYPTO_SIGN_HASH_BIT(1), false, 9, CRYPTO_SIGN_HASH_SHA256, false);
    /* RFC 7427. */
    CHOOSE(rsa, all, false, 14, CRYPTO_SIGN_HASH_SHA256, false);
    CHOOSE(rsa, all, true, 14, CRYPTO_SIGN_HASH_SHA256, true);
    CHOOSE(rsa, CRYPTO_SIGN_HASH_BIT(4), false, 14, CRYPTO_SIGN_HASH_SHA512, false);
    CHOOSE(rsa, CRYPTO_SIGN_HASH_BIT(3) | CRYPTO_SIGN_HASH_BIT(4), false, 14, CRYPTO_SIGN_HASH_SHA384, false);
    CHOOSE(rsa_pss, all, false, 14, CRYPTO_SIGN_HASH_SHA256, true);
    CHOOSE(p256, all, false, 14, CRYPTO_SIGN_HASH_SHA256, false);
    CHOOSE(p384, all, true, 14, CRYPTO_SIGN_HASH_SHA384, false);
    CHOOSE(p521, all, false, 14, CRYPTO_SIGN_HASH_SHA512, false);
    CHOOSE(p256, CRYPTO_SIGN_HASH_BIT(3) | CRYPTO_SIGN_HASH_BIT(4), false, 14, CRYPTO_SIGN_HASH_SHA512, false);
    CHOOSE(p521, CRYPTO_SIGN_HASH_BIT(2), false, 14, CRYPTO_SIGN_HASH_SHA256, false);
#undef CHOOSE
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    CHECK_INT_EQ(crypto_sign_choose(ed, all, false, &s), -EOPNOTSUPP);
    EVP_PKEY_free(ed);
}

static void test_hash_notify(void)
{
    uint32_t mask = 0;
    static const uint8_t strongswan[] = { 0, 1, 0, 2, 0, 3, 0, 4, 0, 5 };
    CHECK_INT_EQ(crypto_sign_hash_notify_parse(strongswan, sizeof(strongswan), &mask), 0);
    CHECK_INT_EQ(mask, CRYPTO_SIGN_HASH_BIT(1) | CRYPTO_SIGN_HASH_BIT(2) | CRYPTO_SIGN_HASH_BIT(3) |
                       CRYPTO_SIGN_HASH_BIT(4));
    static const uint8_t odd[] = { 0, 2, 0 };
    CHECK_INT_EQ(crypto_sign_hash_notify_parse(odd, sizeof(odd), &mask), -EBADMSG);
    CHECK_INT_EQ(crypto_sign_hash_notify_parse(odd, 0, &mask), -EBADMSG);
    static const uint8_t unknown[] = { 0x01, 0x02, 0xff, 0xff };
    CHECK_INT_EQ(crypto_sign_hash_notify_parse(unknown, sizeof(unknown), &mask), 0);
    CHECK_INT_EQ(mask, 0);

    uint8_t out[8];
    CHECK_INT_EQ(crypto_sign_hash_notify_build(out, 5), -ENOBUFS);
    CHECK_INT_EQ(crypto_sign_hash_notify_build(out, sizeof(out)), 6);
    static const uint8_t want[] = { 0, 2, 0, 3, 0, 4 };
    CHECK(memcmp(out, want, 6) == 0);
    CHECK_INT_EQ(crypto_sign_hash_notify_parse(out, 6, &mask), 0);
    CHECK_INT_EQ(mask, CRYPTO_SIGN_HASH_BIT(2) | CRYPTO_SIGN_HASH_BIT(3) | CRYPTO_SIGN_HASH_BIT(4));
}

/* ---- Malformed and mismatched input ---------------------------------------------- */

static void test_scheme_key_mismatch(void)
{
    keys();
    uint8_t *sig;
    size_t len;
    struct crypto_sign_scheme s;
    s = (struct crypto_sign_scheme){ 9, CRYPTO_SIGN_HASH_SHA256, false };
    CHECK_INT_EQ(crypto_sign_auth(p384, &s, octets, sizeof(octets), &sig, &len), -EINVAL);
    CHECK_INT_EQ(crypto_sign_auth(rsa, &s, octets, sizeof(octets), &sig, &len), -EINVAL);
    s = (struct crypto_sign_scheme){ 1, CRYPTO_SIGN_HASH_SHA1, false };
    CHECK_INT_EQ(crypto_sign_auth(p256, &s, octets, sizeof(octets), &sig, &len), -EINVAL);
    s = (struct crypto_sign_scheme){ 14, CRYPTO_SIGN_HASH_SHA256, true };
    CHECK_INT_EQ(crypto_sign_auth(p256, &s, octets, sizeof(octets), &sig, &len), -EINVAL);
    s = (struct crypto_sign_scheme){ 14, CRYPTO_SIGN_HASH_SHA256, false };
    CHECK_INT_EQ(crypto_sign_auth(rsa_pss, &s, octets, sizeof(octets), &sig, &len), -EINVAL);
    s = (struct crypto_sign_scheme){ 2, CRYPTO_SIGN_HASH_SHA256, false };
    CHECK_INT_EQ(crypto_sign_auth(rsa, &s, octets, sizeof(octets), &sig, &len), -EINVAL);

    /* Verification with the wrong kind of key or method. */
    char reason[256];
    s = (struct crypto_sign_scheme){ 10, CRYPTO_SIGN_HASH_SHA384, false };
    CHECK_INT_EQ(crypto_sign_auth(p384, &s, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(verify(p256, 10, sig, len, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "ECDSA P-256 key cannot verify auth method 10");
    CHECK_INT_EQ(verify(rsa, 10, sig, len, octets, sizeof(octets), 0, reason), 0);
    CHECK_INT_EQ(verify(p384, 2, sig, len, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "auth method 2 is not a signature method vpnd supports");
    free(sig);

    s = (struct crypto_sign_scheme){ 14, CRYPTO_SIGN_HASH_SHA256, false };
    CHECK_INT_EQ(crypto_sign_auth(rsa, &s, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(verify(p256, 14, sig, len, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "ECDSA key cannot verify a RSA PKCS#1 signature");
    CHECK_INT_EQ(verify(rsa_pss, 14, sig, len, octets, sizeof(octets), 0, reason), 0);
    free(sig);

    /* An RSA-PSS key restricted to SHA-256 and MGF1-SHA-256 (its SPKI says so): a PSS
     * signature claiming SHA-512 is the peer's error, not an internal one. */
    EVP_PKEY *restricted = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    CHECK(ctx && EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) > 0 &&
          EVP_PKEY_CTX_set_rsa_pss_keygen_md_name(ctx, "SHA256", NULL) > 0 &&
          EVP_PKEY_CTX_set_rsa_pss_keygen_mgf1_md_name(ctx, "SHA256") > 0 &&
          EVP_PKEY_generate(ctx, &restricted) > 0);
    EVP_PKEY_CTX_free(ctx);
    s = (struct crypto_sign_scheme){ 14, CRYPTO_SIGN_HASH_SHA512, true };
    CHECK_INT_EQ(crypto_sign_auth(rsa, &s, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(verify(restricted, 14, sig, len, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "signature parameters are not usable with the RSA-PSS key");
    free(sig);
    /* ... while SHA-256 works with it. */
    s = (struct crypto_sign_scheme){ 14, CRYPTO_SIGN_HASH_SHA256, true };
    sig = NULL;
    CHECK_INT_EQ(crypto_sign_auth(restricted, &s, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(verify(restricted, 14, sig, len, octets, sizeof(octets), 0, reason), 1);
    free(sig);
    EVP_PKEY_free(restricted);
}

static void test_malformed_digital_signature(void)
{
    keys();
    char reason[256];
    uint8_t *sig;
    size_t len;
    struct crypto_sign_scheme s = { 14, CRYPTO_SIGN_HASH_SHA256, false };
    CHECK_INT_EQ(crypto_sign_auth(p256, &s, octets, sizeof(octets), &sig, &len), 0);

    /* Length byte: zero, pointing at or past the end, empty data. */
    uint8_t *bad = malloc(len);
    memcpy(bad, sig, len);
    bad[0] = 0;
    CHECK_INT_EQ(verify(p256, 14, bad, len, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "RFC 7427 signature data is truncated");
    CHECK_INT_EQ(verify(p256, 14, sig, 0, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "RFC 7427 signature data is truncated");
    CHECK_INT_EQ(verify(p256, 14, sig, 1 + sig[0], octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "RFC 7427 signature data is truncated");
    /* A length byte one too long or short: the DER does not end there. */
    memcpy(bad, sig, len);
    bad[0]++;
    CHECK_INT_EQ(verify(p256, 14, bad, len, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "RFC 7427 AlgorithmIdentifier is malformed");
    bad[0] -= 2;
    CHECK_INT_EQ(verify(p256, 14, bad, len, octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "RFC 7427 AlgorithmIdentifier is malformed");
    free(bad);

    /* A well-formed identifier of something we do not do (Ed25519). */
    uint8_t ed[1 + 7 + 64] = { 7, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };
    CHECK_INT_EQ(verify(p256, 14, ed, sizeof(ed), octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "unsupported signature algorithm 1.3.101.112");
    /* ECDSA with (forbidden) NULL parameters. */
    uint8_t ecnull[1 + 14 + 8] = { 14, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
                                   0x05, 0x00 };
    CHECK_INT_EQ(verify(p256, 14, ecnull, sizeof(ecnull), octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "RFC 7427 AlgorithmIdentifier has unexpected parameters");
    /* PSS without parameters, with a bad trailer, with an absurd salt. */
    uint8_t pss_none[1 + 13 + 8] = { 13, 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                     0x01, 0x01, 0x0a };
    CHECK_INT_EQ(verify(rsa, 14, pss_none, sizeof(pss_none), octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "RSASSA-PSS AlgorithmIdentifier without parameters");
    uint8_t pss[1 + 72 + 256];
    size_t pss_len = unhex(rfc7427_appendix[8].hex, pss + 1, 72);
    pss[0] = (uint8_t)pss_len;
    memset(pss + 1 + pss_len, 0x5a, 256);
    pss[1 + 71] = 2;            /* trailerField 2 */
    CHECK_INT_EQ(verify(rsa, 14, pss, sizeof(pss), octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "RSASSA-PSS trailer field is not 1");
    pss[1 + 71] = 1;
    pss[1 + 66] = 0x80;         /* saltLength -128 */
    CHECK_INT_EQ(verify(rsa, 14, pss, sizeof(pss), octets, sizeof(octets), 0, reason), 0);
    CHECK_STR_EQ(reason, "RSASSA-PSS salt length out of range");
    free(sig);
}

/* Random damage to a valid method-14 AUTH: never a crash or an "internal
 * error", never accepted unless the bytes are unchanged. */
static void test_mutations(void)
{
    keys();
    EVP_PKEY *ks[] = { rsa, p256 };
    struct crypto_sign_scheme ss[] = { { 14, CRYPTO_SIGN_HASH_SHA256, true }, { 14, CRYPTO_SIGN_HASH_SHA384, false } };
    unsigned seed = 7;
    for (size_t k = 0; k < 2; k++) {
        uint8_t *sig;
        size_t len;
        CHECK_INT_EQ(crypto_sign_auth(ks[k], &ss[k], octets, sizeof(octets), &sig, &len), 0);
        size_t head = 1 + sig[0];
        int accepted = 0;
        for (int i = 0; i < 400; i++) {
            size_t n = len;
            uint8_t *m = malloc(len);
            memcpy(m, sig, len);
            /* Damage the length byte and AlgorithmIdentifier, sometimes truncate. */
            int edits = 1 + rand_r(&seed) % 3;
            for (int e = 0; e < edits; e++)
                m[(size_t)rand_r(&seed) % head] ^= (uint8_t)(1 + rand_r(&seed) % 255);
            if (rand_r(&seed) % 4 == 0)
                n = (size_t)rand_r(&seed) % len;
            uint8_t *exact = malloc(n ? n : 1);     /* exact-size for ASan */
            memcpy(exact, m, n);
            char reason[256];
            int r = verify(ks[k], 14, exact, n, octets, sizeof(octets), 0, reason);
            CHECK(r == 0 || r == 1);
            if (r == 1 && !(n == len && memcmp(m, sig, len) == 0))
                accepted++;
            if (r == 0)
                CHECK(reason[0] != '\0');
            free(exact);
            free(m);
        }
        CHECK_INT_EQ(accepted, 0);
        free(sig);
    }
}

/* ---- Threads ------------------------------------------------------------------------ */

static void *sign_verify_loop(void *arg)
{
    EVP_PKEY *key = arg;
    struct crypto_sign_scheme s;
    long bad = 0;
    uint32_t all = CRYPTO_SIGN_HASH_BIT(2) | CRYPTO_SIGN_HASH_BIT(3) | CRYPTO_SIGN_HASH_BIT(4);
    if (crypto_sign_choose(key, all, true, &s) < 0)
        return (void *)1L;
    for (int i = 0; i < 15; i++) {
        uint8_t *sig;
        size_t len;
        char reason[256];
        if (crypto_sign_auth(key, &s, octets, sizeof(octets), &sig, &len) < 0) {
            bad++;
            continue;
        }
        if (crypto_sign_verify_auth(key, s.auth_method, sig, len, octets, sizeof(octets), 0,
                                    reason, sizeof(reason)) != 1)
            bad++;
        free(sig);
    }
    return (void *)bad;
}

static void test_threads_share_keys(void)
{
    keys();
    pthread_t t[4];
    EVP_PKEY *k[4] = { rsa, p256, rsa, p384 };
    for (int i = 0; i < 4; i++)
        CHECK_INT_EQ(pthread_create(&t[i], NULL, sign_verify_loop, k[i]), 0);
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        CHECK_INT_EQ((long)ret, 0);
    }
}

static void test_free_keys(void)
{
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(rsa_pss);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(p521);
    rsa = NULL;
    CHECK(1);
}

TEST_MAIN(
    TEST(test_algorithm_ids_match_rfc7427),
    TEST(test_pss_ids_decode),
    TEST(test_round_trip_legacy_methods),
    TEST(test_round_trip_digital_signature),
    TEST(test_sha1_policy),
    TEST(test_pss_default_params),
    TEST(test_choose),
    TEST(test_hash_notify),
    TEST(test_scheme_key_mismatch),
    TEST(test_malformed_digital_signature),
    TEST(test_mutations),
    TEST(test_threads_share_keys),
    TEST(test_free_keys))
