/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * X.509 certificates for IKEv2 (RFC 7296 2.15, 3.6, 3.7): the gateway's
 * credentials and the checks of a client's certificate.
 *
 * A struct cert_store holds one tunnel group's credentials as loaded from
 * vpnd.conf's certificate / private-key / ca / crl paths. It is immutable
 * once loaded and reference-counted: a reload builds a new store and swaps
 * the pointer, while exchanges (and jobs on the pool) in flight keep the one
 * they started with through their own reference.
 *
 * Gateway side (our AUTH):
 *   cert_store_cert_payloads()   the CERT payload bodies (encoding 4, X.509
 *                                Signature, DER): our certificate, then the
 *                                intermediates up to a CA the peer asked for
 *   cert_store_certreq()         our CERTREQ body: SHA-1 hashes of the
 *                                configured CAs' SubjectPublicKeyInfo
 *   cert_store_key()             the private key for crypto_sign_auth()
 *                                (crypto-sign.h)
 *
 * Client side: cert_peer_verify() parses the peer's CERT payloads, builds
 * and checks the chain (validity, CRL, key usage); cert_peer_match_id()
 * compares its IDi with the certificate; cert_peer_verify_auth() checks its
 * AUTH signature. Failures return 0 with a reason for the log, e.g.
 *   "certificate for CN=alice expired 2026-01-01 00:00:00 UTC"
 *   "issuer CN=Other CA of certificate for CN=mallory not trusted"
 *   "certificate for CN=bob revoked (CRL /etc/vpnd/ca.crl)"
 *   "signature does not verify"
 *   "IDi fqdn:a.example does not match the certificate's subjectAltName"
 *
 * In IKE_AUTH, as the responder (the signature work on the job pool, each
 * job holding its own cert_store_ref()):
 *
 *   // their AUTH: certs = the CERT payloads, id = IDi body, octets from
 *   // crypto_ikev2_signed_octets() with in.initiator = true
 *   r = cert_peer_verify(store, certs, n, &opts, &peer, why, sizeof(why));
 *   if (r > 0) r = cert_peer_match_id(peer, id_type, id_data, id_len, 0, why, sizeof(why));
 *   if (r > 0) r = cert_peer_verify_auth(peer, auth.method, auth.data, auth.len,
 *                                        octets, octets_len, 0, why, sizeof(why));
 *   // r == 0: AUTHENTICATION_FAILED, log `why`
 *
 *   // our AUTH: peer_hashes from their SIGNATURE_HASH_ALGORITHMS notify
 *   crypto_sign_choose(cert_store_key(store), peer_hashes, false, &scheme);
 *   crypto_sign_auth(cert_store_key(store), &scheme, our_octets, len, &data, &data_len);
 *   // AUTH payload: method scheme.auth_method, data; then
 *   cert_store_cert_payloads(store, certreq_chunks, n, &ders, &matched);
 *   // one CERT payload (encoding 4) per ders.items[i], in order
 *
 * Every function is thread-safe for distinct outputs, and stores / peers
 * may be read from several threads at once (OpenSSL 3 keys and X509_STORE
 * are safe for concurrent verification), so the expensive calls can run on
 * the job pool (jobs.h). Nothing received is trusted: DER goes through
 * d2i with exact lengths, and reasons escape what they quote.
 *
 * Return convention: 0 / positive on success, negative errno on failure;
 * the checking functions return 1 (accepted), 0 (rejected, reason set) or a
 * negative errno (could not decide: -ENOMEM, -EIO).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto.h"           /* struct crypto_chunk */
#include "ikev2-payload.h"    /* struct ikev2_cert (only the struct) */

#define CERT_KEYID_LEN 20     /* SHA-1 of a SubjectPublicKeyInfo: one CERTREQ entry */
#define CERT_REASON_MAX 256   /* enough for every reason this module writes */

/* ---- Credentials ------------------------------------------------------------ */

struct cert_store;

/* Paths as in struct config_tunnel_group; each may be NULL.
 *   certificate  PEM (the certificate, then optional intermediates, in chain
 *                order) or DER (the certificate alone)
 *   private_key  PEM or DER, PKCS#8 or traditional, unencrypted; RSA or EC
 *   ca           a file (PEM with one or more certificates, or DER) or a
 *                directory whose *.pem, *.crt, *.cer, *.der files are loaded
 *   crl          a file (PEM with one or more CRLs, or DER) or a directory
 *                (*.pem, *.crl, *.der); when set, client certificates are
 *                checked against it (X509_V_FLAG_CRL_CHECK: the end-entity
 *                certificate must have a current CRL from its issuer)
 * certificate and private_key go together. */
struct cert_store_paths {
    const char *certificate;
    const char *private_key;
    const char *ca;
    const char *crl;
};

/* Loads everything into a new store (reference count 1). On failure
 * returns a negative errno and writes what went wrong (with the path) to
 * err: "cannot read /etc/vpnd/gw.pem: No such file or directory",
 * "/etc/vpnd/gw.key: private key does not belong to the certificate". */
int cert_store_load(const struct cert_store_paths *paths, struct cert_store **ret,
                    char *err, size_t err_len);

/* Reference counting (atomic, any thread). unref(NULL) is a no-op. */
struct cert_store *cert_store_ref(struct cert_store *store);
void cert_store_unref(struct cert_store *store);

/* Our certificate and key (NULL when not configured); owned by the store. */
X509 *cert_store_certificate(const struct cert_store *store);
EVP_PKEY *cert_store_key(const struct cert_store *store);
/* Number of trusted CAs and CRLs loaded (for logs and tests). */
size_t cert_store_n_cas(const struct cert_store *store);
size_t cert_store_n_crls(const struct cert_store *store);

/* Our certificate's subject as DER (the data of an ID_DER_ASN1_DN IDr),
 * malloc()ed. -ENOENT without a certificate. */
int cert_store_subject_der(const struct cert_store *store, uint8_t **ret, size_t *ret_len);

/* A list of DER blobs (CERT payload bodies). */
struct cert_der {
    uint8_t *data;
    size_t len;
};
struct cert_der_list {
    struct cert_der *items;
    size_t n;
};
void cert_der_list_free(struct cert_der_list *list);

/* The CERT payloads to send (encoding IKEV2_CERT_X509_SIGNATURE each): our
 * certificate first, then intermediates in order. `certreq` is the peer's
 * CERTREQ data of encoding 4 (concatenated 20-byte key hashes, from one or
 * more CERTREQ payloads; n_certreq chunks, each a multiple of 20 bytes,
 * other lengths are ignored). When a hash names a CA in our chain, the chain
 * stops below it; otherwise (no CERTREQ, or no match) the certificate and all
 * its intermediates are sent (RFC 7296 3.7 allows sending a chain the peer
 * did not ask for). *matched says whether a requested CA was found.
 * Self-signed roots are never sent. -ENOENT without a certificate. */
int cert_store_cert_payloads(const struct cert_store *store,
                             const struct crypto_chunk *certreq, size_t n_certreq,
                             struct cert_der_list *out, bool *matched);

/* Our CERTREQ body for encoding 4: the SHA-1 hash of each trusted CA's
 * SubjectPublicKeyInfo, concatenated, malloc()ed. -ENOENT without CAs. */
int cert_store_certreq(const struct cert_store *store, uint8_t **ret, size_t *ret_len);

/* IKEv1 CERT_REQ (RFC 2408 3.10): the subject (DER Name) of each trusted
 * CA, in load order, one Certificate Authority field each. Returns the
 * count; -ENOENT without CAs. */
int cert_store_ca_subjects(const struct cert_store *store, struct cert_der_list *out);

/* SHA-1 of a certificate's SubjectPublicKeyInfo (RFC 7296 3.7). */
int cert_spki_sha1(X509 *cert, uint8_t out[CERT_KEYID_LEN]);

/* ---- A peer's certificate --------------------------------------------------- */

struct cert_peer;

struct cert_verify_options {
    time_t now;                 /* check validity at this time; 0 = the current time */
    /* OpenSSL security level for every key and signature in the chain
     * (X509_VERIFY_PARAM_set_auth_level): 1 = at least 80 bits (RSA >= 1024,
     * no MD5/SHA-1 signed certificates), 2 = 112 bits (RSA >= 2048), ...;
     * 0 = no check, for legacy PKIs. */
    int security_level;
    /* Told about each CERT payload that is skipped (unsupported encoding),
     * for the log; may be NULL. Called on the calling thread. */
    void (*note)(void *userdata, const char *text);
    void *userdata;
};

/* Parses the peer's CERT payloads (in received order; the first X.509
 * certificate is the end entity, RFC 7296 3.6, later ones are intermediates
 * used for chain building only), then verifies the chain against the
 * store's CAs (and CRLs), and checks that a keyUsage extension, when
 * present, allows digitalSignature or nonRepudiation.
 * Returns 1 and *ret (free with cert_peer_free) when the certificate is
 * trusted; 0 with reason when not; negative errno on failure. */
int cert_peer_verify(const struct cert_store *store,
                     const struct ikev2_cert *certs, size_t n_certs,
                     const struct cert_verify_options *options,
                     struct cert_peer **ret, char *reason, size_t reason_len);

void cert_peer_free(struct cert_peer *peer);

/* A peer's side of a certificate authentication, copied out of its
 * message for a worker job (which must touch nothing of the SA): its
 * CERT payloads, ID and signature (SIG_I, or AUTH data) in one allocation. */
#define CERT_PEER_COPY_MAX 8    /* CERT payloads taken from one message */
struct cert_peer_copy {
    uint8_t *data;              /* owns everything below */
    struct ikev2_cert certs[CERT_PEER_COPY_MAX];
    size_t n_certs;
    uint8_t id_type;
    const uint8_t *id_data;
    size_t id_len;
    const uint8_t *sig;
    size_t sig_len;
};

/* Copies n_certs (<= CERT_PEER_COPY_MAX) decoded CERT payloads, the ID
 * data and the signature. Returns 1; 0 with reason when there is no
 * certificate; -ENOMEM. Free with cert_peer_copy_free(). */
int cert_peer_copy_init(struct cert_peer_copy *c, const struct ikev2_cert *certs, size_t n_certs, uint8_t id_type,
                        const uint8_t *id_data, size_t id_len, const uint8_t *sig, size_t sig_len, char *reason,
                        size_t reason_len);
void cert_peer_copy_free(struct cert_peer_copy *c);

/* The validated end-entity certificate and its public key; owned by peer. */
X509 *cert_peer_certificate(const struct cert_peer *peer);
EVP_PKEY *cert_peer_public_key(const struct cert_peer *peer);
/* "CN=alice,O=Example" (RFC 2253 order), for logs. */
const char *cert_peer_subject(const struct cert_peer *peer);

/* Flags for cert_peer_match_id() / cert_match_id(). */
enum {
    /* ID_FQDN may also match the subject's CN, but only when the
     * certificate has no dNSName in subjectAltName at all (the way old
     * clients were deployed); off by default. */
    CERT_MATCH_CN_FALLBACK = 1 << 0,
};

/* Does the IKE identity (ID type and identification data as received, the
 * ID payload body after its 4-byte header) name this certificate?
 *   ID_DER_ASN1_DN   equals the subject (X509_NAME_cmp: DER-equal after
 *                    OpenSSL's canonical form)
 *   ID_FQDN          a dNSName in subjectAltName (ASCII case-insensitive;
 *                    no wildcards on either side)
 *   ID_RFC822_ADDR   an rfc822Name in subjectAltName (case-insensitive)
 *   ID_IPV4_ADDR / ID_IPV6_ADDR  an iPAddress in subjectAltName
 * Other types (ID_KEY_ID, ...) cannot be matched against a certificate.
 * 1 match, 0 mismatch (reason), negative errno on failure. */
int cert_match_id(X509 *cert, uint8_t id_type, const uint8_t *id_data, size_t id_len,
                  unsigned flags, char *reason, size_t reason_len);
int cert_peer_match_id(const struct cert_peer *peer, uint8_t id_type, const uint8_t *id_data,
                       size_t id_len, unsigned flags, char *reason, size_t reason_len);

/* The peer's AUTH payload (method and Authentication Data) over its
 * <SignedOctets>, with the certificate's public key: crypto_sign_verify_auth()
 * (flags: CRYPTO_SIGN_ALLOW_SHA1). 1 / 0 (reason) / negative errno. */
int cert_peer_verify_auth(const struct cert_peer *peer, uint8_t auth_method,
                          const uint8_t *data, size_t len,
                          const uint8_t *octets, size_t octets_len,
                          unsigned flags, char *reason, size_t reason_len);

/* ---- Helpers for messages --------------------------------------------------- */

/* A name in RFC 2253 form into buf ("CN=x,O=y"); "(unprintable name)" on failure. */
void cert_name_format(const X509_NAME *name, char *buf, size_t len);
/* An ID_DER_ASN1_DN identity (DER Name, as received) in the same RFC 2253
 * form, for matching `dn:` identity patterns and for logs. 0, -EBADMSG
 * when the data is not exactly one DER Name, -ENAMETOOLONG when the text
 * does not fit (never cut short). */
int cert_dn_der_format(const uint8_t *der, size_t len, char *buf, size_t buf_len);
/* "2026-01-01 00:00:00 UTC"; "(bad time)" on failure. */
void cert_time_format(const ASN1_TIME *t, char *buf, size_t len);
