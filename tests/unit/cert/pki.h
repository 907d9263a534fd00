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
    bool sha1;                  /* signed with SHA-1 (legacy PKIs) instead of SHA-256 */
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

/* The shared test PKI, written to pki_world.dir:
 *   root      "CN=Test Root CA,O=vpnd tests" (P-256, self-signed)       root.pem, root.der
 *   inter     "CN=Test Intermediate CA,O=vpnd tests" (P-256, by root)   inter.pem
 *             (both valid since 60 days ago, so that older times can be checked)
 *   gw        "CN=vpn.example.com" RSA-2048 by inter, SAN DNS           gw.pem (gw + inter), gw.der,
 *                                                                       gw.key (PEM), gw-key.der
 *   alice     "CN=alice,O=Example" P-256 by inter, serial 100, SAN DNS:alice.example.com,
 *             email:alice@example.com, IP:192.0.2.7, IP:2001:db8::7, keyUsage digitalSignature
 *   expired   "CN=old,O=Example" by inter, serial 101, valid until 2 days ago
 *   future    "CN=soon,O=Example" by inter, serial 104, valid from in 5 days
 *   revoked   "CN=bob,O=Example" by inter, serial 102 (listed in crl)
 *   keyenc    "CN=carol,O=Example" by inter, serial 103, keyUsage keyEncipherment only
 *   by_root   "CN=dave,O=Example" directly by root, serial 105 (no CRL from root)
 *   legacy    "CN=legacy.example.com" by inter, serial 106, no SAN at all
 *   other_ca  "CN=Other CA" self-signed; mallory "CN=mallory" by it
 *   selfie    "CN=selfie" self-signed end entity
 *   crl       from inter revoking 102, current                          inter.crl (PEM), inter-crl.der
 *   old_crl   from inter, next update 1 day ago                         old.crl
 */
struct pki_world {
    const char *dir;
    EVP_PKEY *root_key, *inter_key, *gw_key, *alice_key, *other_key, *leaf_key;
    X509 *root, *inter, *gw, *alice, *expired, *future, *revoked, *keyenc, *by_root, *legacy;
    X509 *other_ca, *mallory, *selfie;
    X509_CRL *crl, *old_crl;
};
void pki_world_make(struct pki_world *w);
void pki_world_free(struct pki_world *w);
