/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A throw-away PKI for the cert tests, made with the OpenSSL API at test
 * time: keys, CA / intermediate / end-entity certificates with chosen
 * validity, SANs and key usage, CRLs, and files in a private temporary
 * directory. Every helper aborts the test program on failure (a broken
 * fixture is not a test result).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

EVP_PKEY *pki_key_rsa(int bits);
EVP_PKEY *pki_key_ec(const char *curve);   /* "P-256", "P-384", "P-521" */

struct pki_cert_opts {
    const char *subject;        /* "CN=alice,O=Example" (comma-separated, left to right = RDN order) */
    long serial;
    bool ca;
    long not_before_days;       /* relative to now; 0 = now - 1 day (clock skew) */
    long not_after_days;        /* relative to now; 0 = 365 */
    const char *san;            /* "DNS:a.example,IP:192.0.2.1,email:x@example" or NULL */
    const char *key_usage;      /* "digitalSignature" or NULL: none for EE, the CA default for CAs */
};

/* Signed by issuer / issuer_key, or self-signed when issuer is NULL. */
X509 *pki_cert(EVP_PKEY *key, const struct pki_cert_opts *o, X509 *issuer, EVP_PKEY *issuer_key);

/* A CRL from issuer revoking the given serials, valid from yesterday until
 * now + next_update_days (negative: already expired). */
X509_CRL *pki_crl(X509 *issuer, EVP_PKEY *issuer_key, const long *serials, size_t n, long next_update_days);

/* Files. pki_dir() creates a fresh temporary directory; pki_path() joins
 * (static buffer rotated over 8 calls). */
const char *pki_dir(void);
const char *pki_path(const char *dir, const char *name);
void pki_write_certs_pem(const char *path, X509 *const *certs, size_t n);
void pki_write_cert_der(const char *path, X509 *cert);
void pki_write_key_pem(const char *path, EVP_PKEY *key);
void pki_write_key_der(const char *path, EVP_PKEY *key);
void pki_write_crl_pem(const char *path, X509_CRL *crl);
void pki_write_crl_der(const char *path, X509_CRL *crl);
void pki_write_bytes(const char *path, const void *data, size_t len);
void pki_rmrf(const char *dir);

/* DER of a certificate, malloc()ed. */
uint8_t *pki_cert_der(X509 *cert, size_t *len);
