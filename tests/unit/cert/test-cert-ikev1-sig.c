/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv1 RSA signature authentication (RFC 2409 5.1) against a real exchange
 * between strongSwan and vpnd (ikev1-sig-exchange.h): SKEYID for signature
 * methods (prf(Ni_b | Nr_b, g^xy)), HASH_I and HASH_R as charon computed
 * them, charon's SIG_I verified with carol's certificate and reproduced
 * byte for byte with her key (PKCS#1 v1.5 is deterministic: this pins the
 * encoding, no DigestInfo), vpnd's SIG_R verified with the gateway's
 * certificate; then what must fail: a flipped bit, a wrong length, the
 * other hash, the wrong key, an EC key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "crypto-ikev1.h"
#include "crypto-sign.h"
#include "ikev1-sig-exchange.h"
#include "pki.h"
#include "testing.h"

/* Hex to a malloc()ed buffer; aborts on malformed test data. */
static uint8_t *bytes(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    uint8_t *out = malloc(n ? n : 1);
    if (!out || strlen(hex) % 2)
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            abort();
        out[i] = (uint8_t)v;
    }
    *len = n;
    return out;
}

static bool equal_hex(const uint8_t *buf, size_t len, const char *hex)
{
    size_t n;
    uint8_t *want = bytes(hex, &n);
    bool eq = n == len && memcmp(buf, want, n) == 0;
    free(want);
    return eq;
}

static X509 *cert_from(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!x)
        abort();
    return x;
}

static EVP_PKEY *key_from(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!k)
        abort();
    return k;
}

struct exchange {
    uint8_t *cky_i, *cky_r, *sai_b, *gxi, *gxr, *ni, *nr, *idii_b, *idir_b, *sig_i, *sig_r, *gxy;
    size_t cky_i_len, cky_r_len, sai_b_len, gxi_len, gxr_len, ni_len, nr_len, idii_b_len, idir_b_len, sig_i_len,
        sig_r_len, gxy_len;
    struct crypto_ikev1_keys keys;
    uint8_t hash_i[CRYPTO_PRF_OUT_MAX], hash_r[CRYPTO_PRF_OUT_MAX];
    size_t hash_len;
};

static void exchange_load(struct exchange *e)
{
    memset(e, 0, sizeof(*e));
    e->cky_i = bytes(v_cky_i, &e->cky_i_len);
    e->cky_r = bytes(v_cky_r, &e->cky_r_len);
    e->sai_b = bytes(v_sai_b, &e->sai_b_len);
    e->gxi = bytes(v_gxi, &e->gxi_len);
    e->gxr = bytes(v_gxr, &e->gxr_len);
    e->ni = bytes(v_ni, &e->ni_len);
    e->nr = bytes(v_nr, &e->nr_len);
    e->idii_b = bytes(v_idii_b, &e->idii_b_len);
    e->idir_b = bytes(v_idir_b, &e->idir_b_len);
    e->sig_i = bytes(v_sig_i, &e->sig_i_len);
    e->sig_r = bytes(v_sig_r, &e->sig_r_len);
    e->gxy = bytes(v_gxy, &e->gxy_len);
    if (e->cky_i_len != 8 || e->cky_r_len != 8)
        abort();
}

static void exchange_free(struct exchange *e)
{
    free(e->cky_i); free(e->cky_r); free(e->sai_b); free(e->gxi); free(e->gxr); free(e->ni); free(e->nr);
    free(e->idii_b); free(e->idir_b); free(e->sig_i); free(e->sig_r); free(e->gxy);
    crypto_ikev1_keys_wipe(&e->keys);
}

/* SKEYID and both hashes from the packets and g^xy, as vpnd computes them. */
static bool exchange_hashes(struct exchange *e)
{
    const struct crypto_prf *prf = crypto_ikev1_hash_find(CRYPTO_IKEV1_HASH_SHA2_256);
    if (!prf || crypto_ikev1_derive_keys(prf, NULL, 0, e->gxy, e->gxy_len, e->ni, e->ni_len, e->nr, e->nr_len,
                                         e->cky_i, e->cky_r, &e->keys) < 0)
        return false;
    struct crypto_ikev1_phase1_input in = {
        .initiator = true,
        .g_xi = e->gxi, .g_xi_len = e->gxi_len,
        .g_xr = e->gxr, .g_xr_len = e->gxr_len,
        .cky_i = e->cky_i, .cky_r = e->cky_r,
        .sa_i_body = e->sai_b, .sa_i_body_len = e->sai_b_len,
        .id_body = e->idii_b, .id_body_len = e->idii_b_len,
    };
    int hi = crypto_ikev1_phase1_hash(&e->keys, &in, e->hash_i, sizeof(e->hash_i));
    in.initiator = false;
    in.id_body = e->idir_b;
    in.id_body_len = e->idir_b_len;
    int hr = crypto_ikev1_phase1_hash(&e->keys, &in, e->hash_r, sizeof(e->hash_r));
    if (hi <= 0 || hr != hi)
        return false;
    e->hash_len = (size_t)hi;
    return true;
}

static void test_hashes_of_the_exchange(void)
{
    struct exchange e;
    exchange_load(&e);
    CHECK(exchange_hashes(&e));
    /* Signature methods: SKEYID = prf(Ni_b | Nr_b, g^xy), no key. */
    CHECK(equal_hex(e.keys.skeyid, e.keys.skeyid_len, v_skeyid));
    CHECK(equal_hex(e.hash_i, e.hash_len, v_hash_i));
    CHECK(equal_hex(e.hash_r, e.hash_len, v_hash_r));
    /* IDii is carol's DN, IDir vpnd's (ID_DER_ASN1_DN). */
    CHECK(e.idii_b[0] == 9 && e.idir_b[0] == 9);
    exchange_free(&e);
}

static void test_sig_i_verifies(void)
{
    struct exchange e;
    char reason[256] = "";
    exchange_load(&e);
    CHECK(exchange_hashes(&e));
    X509 *carol = cert_from(v_carol_pem);
    EVP_PKEY *pub = X509_get0_pubkey(carol);
    CHECK_INT_EQ(crypto_sign_ikev1_rsa_verify(pub, e.sig_i, e.sig_i_len, e.hash_i, e.hash_len, reason,
                                              sizeof(reason)), 1);
    X509_free(carol);
    exchange_free(&e);
}

static void test_sig_i_reproduced(void)
{
    struct exchange e;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    exchange_load(&e);
    CHECK(exchange_hashes(&e));
    EVP_PKEY *key = key_from(v_carol_key);
    CHECK_INT_EQ(crypto_sign_ikev1_rsa(key, e.hash_i, e.hash_len, &sig, &sig_len), 0);
    CHECK(sig && sig_len == e.sig_i_len && memcmp(sig, e.sig_i, sig_len) == 0);
    free(sig);
    EVP_PKEY_free(key);
    exchange_free(&e);
}

static void test_sig_r_verifies(void)
{
    struct exchange e;
    char reason[256] = "";
    exchange_load(&e);
    CHECK(exchange_hashes(&e));
    X509 *gw = cert_from(v_gw_pem);
    CHECK_INT_EQ(crypto_sign_ikev1_rsa_verify(X509_get0_pubkey(gw), e.sig_r, e.sig_r_len, e.hash_r, e.hash_len,
                                              reason, sizeof(reason)), 1);
    X509_free(gw);
    exchange_free(&e);
}

static void test_what_must_fail(void)
{
    struct exchange e;
    char reason[256];
    exchange_load(&e);
    CHECK(exchange_hashes(&e));
    X509 *carol = cert_from(v_carol_pem), *gw = cert_from(v_gw_pem);
    EVP_PKEY *pub = X509_get0_pubkey(carol);

    /* One flipped bit anywhere. */
    for (size_t i = 0; i < e.sig_i_len; i += 37) {
        e.sig_i[i] ^= 0x10;
        reason[0] = '\0';
        CHECK_INT_EQ(crypto_sign_ikev1_rsa_verify(pub, e.sig_i, e.sig_i_len, e.hash_i, e.hash_len, reason,
                                                  sizeof(reason)), 0);
        CHECK(strstr(reason, "does not verify") != NULL);
        e.sig_i[i] ^= 0x10;
    }
    /* Not the modulus length: refused before any RSA. */
    reason[0] = '\0';
    CHECK_INT_EQ(crypto_sign_ikev1_rsa_verify(pub, e.sig_i, e.sig_i_len - 1, e.hash_i, e.hash_len, reason,
                                              sizeof(reason)), 0);
    CHECK(strstr(reason, "length 255") != NULL);
    CHECK_INT_EQ(crypto_sign_ikev1_rsa_verify(pub, e.sig_i, 0, e.hash_i, e.hash_len, reason, sizeof(reason)), 0);
    /* SIG_I over HASH_R, a shortened hash, the gateway's key. */
    CHECK_INT_EQ(crypto_sign_ikev1_rsa_verify(pub, e.sig_i, e.sig_i_len, e.hash_r, e.hash_len, reason,
                                              sizeof(reason)), 0);
    CHECK_INT_EQ(crypto_sign_ikev1_rsa_verify(pub, e.sig_i, e.sig_i_len, e.hash_i, e.hash_len - 1, reason,
                                              sizeof(reason)), 0);
    CHECK_INT_EQ(crypto_sign_ikev1_rsa_verify(X509_get0_pubkey(gw), e.sig_i, e.sig_i_len, e.hash_i, e.hash_len,
                                              reason, sizeof(reason)), 0);
    /* A PKCS#1 signature with a SHA-256 DigestInfo (IKEv2 method 1 style)
     * over the same bytes is not an IKEv1 signature. */
    EVP_PKEY *key = key_from(v_carol_key);
    struct crypto_sign_scheme scheme = { CRYPTO_SIGN_AUTH_DIGITAL_SIG, CRYPTO_SIGN_HASH_SHA256, false };
    uint8_t *aid_sig = NULL;
    size_t aid_len = 0;
    CHECK_INT_EQ(crypto_sign_auth(key, &scheme, e.hash_i, e.hash_len, &aid_sig, &aid_len), 0);
    /* method 14: one length byte, the AlgorithmIdentifier, then the signature */
    if (aid_sig && aid_len > e.sig_i_len)
        CHECK_INT_EQ(crypto_sign_ikev1_rsa_verify(pub, aid_sig + aid_len - e.sig_i_len, e.sig_i_len, e.hash_i,
                                                  e.hash_len, reason, sizeof(reason)), 0);
    free(aid_sig);

    /* EC keys cannot do auth method 3, either way. */
    EVP_PKEY *ec = pki_key_ec("P-256");
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    reason[0] = '\0';
    CHECK_INT_EQ(crypto_sign_ikev1_rsa_verify(ec, e.sig_i, e.sig_i_len, e.hash_i, e.hash_len, reason,
                                              sizeof(reason)), 0);
    CHECK(strstr(reason, "not RSA") != NULL);
    CHECK_INT_EQ(crypto_sign_ikev1_rsa(ec, e.hash_i, e.hash_len, &sig, &sig_len), -EINVAL);
    CHECK(sig == NULL);
    /* A hash that does not fit in the modulus with its padding. */
    uint8_t big[256] = { 0 };
    CHECK_INT_EQ(crypto_sign_ikev1_rsa(key, big, sizeof(big) - 10, &sig, &sig_len), -EINVAL);
    CHECK_INT_EQ(crypto_sign_ikev1_rsa(key, big, 0, &sig, &sig_len), -EINVAL);

    EVP_PKEY_free(ec);
    EVP_PKEY_free(key);
    X509_free(carol);
    X509_free(gw);
    exchange_free(&e);
}

TEST_MAIN(TEST(test_hashes_of_the_exchange), TEST(test_sig_i_verifies), TEST(test_sig_i_reproduced),
          TEST(test_sig_r_verifies), TEST(test_what_must_fail))
