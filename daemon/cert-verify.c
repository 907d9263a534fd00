/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A client's certificate: its CERT payloads parsed, the chain built and
 * checked against the tunnel group's CAs and CRLs, and its AUTH signature
 * verified with the certificate's key. Each failure is turned into a reason
 * an operator can act on.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cert-internal.h"
#include "crypto-sign.h"
#include "ikev2-constants.h"

/* More CERT payloads than this is not a chain but an attack on our CPU. */
#define CERT_PEER_MAX_CERTS 16

struct cert_peer {
    X509 *cert;
    char subject[CERT_REASON_MAX];
};

void cert_peer_free(struct cert_peer *peer)
{
    if (!peer)
        return;
    X509_free(peer->cert);
    free(peer);
}

X509 *cert_peer_certificate(const struct cert_peer *peer)
{
    return peer ? peer->cert : NULL;
}

EVP_PKEY *cert_peer_public_key(const struct cert_peer *peer)
{
    /* Decoded when the certificate was parsed, so reading it from several
     * threads is safe. */
    return peer ? X509_get0_pubkey(peer->cert) : NULL;
}

const char *cert_peer_subject(const struct cert_peer *peer)
{
    return peer ? peer->subject : NULL;
}

static const char *encoding_name(uint8_t e)
{
    switch (e) {
    case IKEV2_CERT_PKCS7_X509:           return "PKCS #7 wrapped X.509";
    case IKEV2_CERT_PGP:                  return "PGP";
    case IKEV2_CERT_DNS_SIGNED_KEY:       return "DNS signed key";
    case IKEV2_CERT_X509_SIGNATURE:       return "X.509 signature";
    case IKEV2_CERT_KERBEROS_TOKEN:       return "Kerberos token";
    case IKEV2_CERT_CRL:                  return "CRL";
    case IKEV2_CERT_ARL:                  return "ARL";
    case IKEV2_CERT_SPKI:                 return "SPKI";
    case IKEV2_CERT_X509_ATTRIBUTE:       return "X.509 attribute";
    case IKEV2_CERT_RAW_RSA_KEY:          return "raw RSA key";
    case IKEV2_CERT_HASH_URL_X509:        return "hash and URL of X.509";
    case IKEV2_CERT_HASH_URL_X509_BUNDLE: return "hash and URL of X.509 bundle";
    case IKEV2_CERT_RAW_PUBLIC_KEY:       return "raw public key";
    default:                              return "unknown";
    }
}

/* The CRL file that revokes `cert`, for the message. */
static const char *revoking_crl(const struct cert_store *store, X509 *cert)
{
    for (size_t i = 0; i < store->n_crls; i++) {
        X509_REVOKED *rev = NULL;
        if (X509_NAME_cmp(X509_CRL_get_issuer(store->crls[i].crl), X509_get_issuer_name(cert)) == 0 &&
            X509_CRL_get0_by_cert(store->crls[i].crl, &rev, cert) == 1)
            return store->crls[i].path;
    }
    return "configured";
}

/* Turns a failed X509_verify_cert() into a sentence. */
static void explain_failure(const struct cert_store *store, X509_STORE_CTX *ctx, X509 *ee,
                            char *reason, size_t reason_len)
{
    int err = X509_STORE_CTX_get_error(ctx);
    X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
    if (!cur)
        cur = ee;
    char subject[CERT_REASON_MAX / 2], issuer[CERT_REASON_MAX / 2], when[40];
    cert_name_format(X509_get_subject_name(cur), subject, sizeof(subject));
    cert_name_format(X509_get_issuer_name(cur), issuer, sizeof(issuer));

    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        cert_time_format(X509_get0_notAfter(cur), when, sizeof(when));
        cert_reason(reason, reason_len, "certificate for %s expired %s", subject, when);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        cert_time_format(X509_get0_notBefore(cur), when, sizeof(when));
        cert_reason(reason, reason_len, "certificate for %s is not valid before %s", subject, when);
        break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        cert_reason(reason, reason_len, "issuer %s of certificate for %s not trusted", issuer, subject);
        break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        cert_reason(reason, reason_len, "certificate for %s is self-signed and not trusted", subject);
        break;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        cert_reason(reason, reason_len, "issuer %s not trusted (a self-signed root that is not a configured CA)",
                    subject);
        break;
    case X509_V_ERR_CERT_REVOKED:
        cert_reason(reason, reason_len, "certificate for %s revoked (CRL %s)", subject,
                    revoking_crl(store, cur));
        break;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
        cert_reason(reason, reason_len, "no CRL from %s to check certificate for %s (crl is configured)",
                    issuer, subject);
        break;
    case X509_V_ERR_CRL_HAS_EXPIRED: {
        X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);
        cert_time_format(crl ? X509_CRL_get0_nextUpdate(crl) : NULL, when, sizeof(when));
        cert_reason(reason, reason_len, "CRL from %s expired %s (needed for certificate for %s)",
                    issuer, when, subject);
        break;
    }
    case X509_V_ERR_CRL_NOT_YET_VALID:
        cert_reason(reason, reason_len, "CRL from %s is not yet valid (needed for certificate for %s)",
                    issuer, subject);
        break;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        cert_reason(reason, reason_len, "certificate for %s has an invalid signature", subject);
        break;
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
        cert_reason(reason, reason_len, "CRL from %s has an invalid signature", issuer);
        break;
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
        cert_reason(reason, reason_len, "certificate for %s: %d-bit %s key too weak for the security level",
                    subject, EVP_PKEY_get_bits(X509_get0_pubkey(cur)),
                    EVP_PKEY_get0_type_name(X509_get0_pubkey(cur)) ? EVP_PKEY_get0_type_name(X509_get0_pubkey(cur)) : "");
        break;
    case X509_V_ERR_CA_MD_TOO_WEAK:
        cert_reason(reason, reason_len, "certificate for %s: signature hash too weak for the security level",
                    subject);
        break;
    case X509_V_ERR_INVALID_CA:
        cert_reason(reason, reason_len, "%s is not a CA certificate but issued a certificate in the chain",
                    subject);
        break;
    default:
        cert_reason(reason, reason_len, "certificate for %s: %s", subject,
                    X509_verify_cert_error_string(err));
        break;
    }
}

/* An end-entity certificate signs AUTH: its keyUsage, when present, must
 * allow signatures (RFC 4945 5.1.3.2: digitalSignature or nonRepudiation). */
static bool key_usage_allows_signing(X509 *cert)
{
    if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE))
        return true;
    return (X509_get_key_usage(cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
}

int cert_peer_verify(const struct cert_store *store,
                     const struct ikev2_cert *certs, size_t n_certs,
                     const struct cert_verify_options *options,
                     struct cert_peer **ret, char *reason, size_t reason_len)
{
    if (!store || !ret || (!certs && n_certs))
        return -EINVAL;
    *ret = NULL;

    X509 *ee = NULL;
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = NULL;
    struct cert_peer *peer = NULL;
    int r = -ENOMEM;
    if (!untrusted)
        goto out;

    size_t n_x509 = 0;
    for (size_t i = 0; i < n_certs; i++) {
        const struct ikev2_cert *c = &certs[i];
        if (c->encoding != IKEV2_CERT_X509_SIGNATURE) {
            if (options && options->note) {
                char text[160];
                snprintf(text, sizeof(text), "ignoring CERT payload %zu: encoding %u (%s) is not supported",
                         i + 1, c->encoding, encoding_name(c->encoding));
                options->note(options->userdata, text);
            }
            continue;
        }
        if (++n_x509 > CERT_PEER_MAX_CERTS) {
            cert_reason(reason, reason_len, "more than %d certificates received", CERT_PEER_MAX_CERTS);
            r = 0;
            goto out;
        }
        if (!c->data || c->len == 0 || c->len > LONG_MAX) {
            cert_reason(reason, reason_len, "CERT payload %zu is empty", i + 1);
            r = 0;
            goto out;
        }
        const unsigned char *p = c->data;
        X509 *x = d2i_X509(NULL, &p, (long)c->len);
        if (!x || p != c->data + c->len) {
            X509_free(x);
            cert_reason(reason, reason_len, "CERT payload %zu is not a well-formed DER X.509 certificate", i + 1);
            r = 0;
            goto out;
        }
        if (!ee) {
            ee = x;
        } else if (!sk_X509_push(untrusted, x)) {
            X509_free(x);
            goto out;
        }
    }
    if (!ee) {
        cert_reason(reason, reason_len, "no X.509 certificate received (CERT payload with encoding 4)");
        r = 0;
        goto out;
    }
    if (cert_store_n_cas(store) == 0) {
        cert_reason(reason, reason_len, "no CA is configured to verify certificates");
        r = 0;
        goto out;
    }

    ctx = X509_STORE_CTX_new();
    if (!ctx || X509_STORE_CTX_init(ctx, store->trust, ee, untrusted) != 1)
        goto out;
    if (options && options->now)
        X509_STORE_CTX_set_time(ctx, 0, options->now);
    if (options && options->security_level > 0)
        X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx), options->security_level);

    if (X509_verify_cert(ctx) != 1) {
        explain_failure(store, ctx, ee, reason, reason_len);
        r = 0;
        goto out;
    }
    char subject[CERT_REASON_MAX / 2];
    cert_name_format(X509_get_subject_name(ee), subject, sizeof(subject));
    if (!key_usage_allows_signing(ee)) {
        cert_reason(reason, reason_len, "certificate for %s: keyUsage does not allow digitalSignature", subject);
        r = 0;
        goto out;
    }
    if (!X509_get0_pubkey(ee)) {
        cert_reason(reason, reason_len, "certificate for %s: public key cannot be decoded", subject);
        r = 0;
        goto out;
    }

    peer = calloc(1, sizeof(*peer));
    if (!peer)
        goto out;
    peer->cert = ee;
    ee = NULL;
    snprintf(peer->subject, sizeof(peer->subject), "%s", subject);
    *ret = peer;
    r = 1;
out:
    if (r == -ENOMEM)
        cert_reason(reason, reason_len, "out of memory");
    X509_STORE_CTX_free(ctx);
    X509_free(ee);
    sk_X509_pop_free(untrusted, X509_free);
    ERR_clear_error();
    return r;
}

int cert_peer_verify_auth(const struct cert_peer *peer, uint8_t auth_method,
                          const uint8_t *data, size_t len,
                          const uint8_t *octets, size_t octets_len,
                          unsigned flags, char *reason, size_t reason_len)
{
    if (!peer)
        return -EINVAL;
    EVP_PKEY *key = cert_peer_public_key(peer);
    if (!key)
        return -EINVAL;
    return crypto_sign_verify_auth(key, auth_method, data, len, octets, octets_len, flags,
                                   reason, reason_len);
}
