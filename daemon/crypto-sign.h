/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Signature AUTH payloads (RFC 7296 3.8, RFC 4754, RFC 7427): producing our
 * Authentication Data over <SignedOctets> (crypto_ikev2_signed_octets()) with
 * the gateway's private key, and checking a peer's with the public key of its
 * (already validated) certificate.
 *
 *   method  1  RSA PKCS#1 v1.5 with SHA-1 (RFC 7296; legacy, only for peers
 *              without RFC 7427)
 *   method  9  ECDSA P-256 with SHA-256, 10 P-384/SHA-384, 11 P-521/SHA-512
 *              (RFC 4754: r | s, each the curve's field length)
 *   method 14  Digital Signature (RFC 7427): one length byte, the DER
 *              AlgorithmIdentifier, then the signature (RSA PKCS#1 v1.5,
 *              RSASSA-PSS, or ECDSA as a DER ECDSA-Sig-Value)
 *
 * The hash for method 14 comes from the peer's SIGNATURE_HASH_ALGORITHMS
 * notify, parsed with crypto_sign_hash_notify_parse() into a bit mask.
 *
 * Everything here is thread-safe (each call has its own OpenSSL contexts and
 * only reads the EVP_PKEY), so the state machine can run it on the job pool.
 * Received data is never trusted: every length is checked, the
 * AlgorithmIdentifier is decoded with d2i and must be consumed exactly.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Hash algorithm numbers of SIGNATURE_HASH_ALGORITHMS (RFC 7427 / IANA),
 * the same as ikev2-constants.h's enum ikev2_hash_algorithm. */
enum crypto_sign_hash {
    CRYPTO_SIGN_HASH_SHA1    = 1,
    CRYPTO_SIGN_HASH_SHA256  = 2,
    CRYPTO_SIGN_HASH_SHA384  = 3,
    CRYPTO_SIGN_HASH_SHA512  = 4,
};
#define CRYPTO_SIGN_HASH_BIT(h) (1u << (h))

/* Auth methods (RFC 7296 3.8 / IANA), as in enum ikev2_auth_method. */
enum {
    CRYPTO_SIGN_AUTH_RSA_SHA1       = 1,
    CRYPTO_SIGN_AUTH_ECDSA_P256     = 9,
    CRYPTO_SIGN_AUTH_ECDSA_P384     = 10,
    CRYPTO_SIGN_AUTH_ECDSA_P521     = 11,
    CRYPTO_SIGN_AUTH_DIGITAL_SIG    = 14,
};

/* Flags for crypto_sign_verify_auth(). */
enum {
    /* Accept SHA-1 signatures: method 1 and method 14 with a SHA-1
     * AlgorithmIdentifier. Off by default: SHA-1 is broken for collisions;
     * turn it on only for legacy clients that cannot do better. */
    CRYPTO_SIGN_ALLOW_SHA1 = 1 << 0,
};

/* How we sign: the method, and for method 14 the hash and padding. */
struct crypto_sign_scheme {
    uint8_t auth_method;
    uint8_t hash;               /* enum crypto_sign_hash */
    bool pss;                   /* method 14 with an RSA key: RSASSA-PSS (salt = hash length) */
};

/* Parses a SIGNATURE_HASH_ALGORITHMS notify's data (a list of 2-byte hash
 * numbers) into a mask of CRYPTO_SIGN_HASH_BIT(); numbers we do not know
 * are ignored. -EBADMSG for an empty or odd-length list. */
int crypto_sign_hash_notify_parse(const uint8_t *data, size_t len, uint32_t *mask);

/* Our own notify's data: the hashes we verify (SHA2-256, -384, -512).
 * Returns the length (6), -ENOBUFS when max is too small. */
int crypto_sign_hash_notify_build(uint8_t *out, size_t max);

/* Picks the scheme for our key given the peer's hash mask (0: the peer sent
 * no SIGNATURE_HASH_ALGORITHMS, so it does not speak RFC 7427):
 *   - mask with SHA2: method 14; ECDSA takes the curve's own hash when
 *     offered (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512), else the
 *     strongest offered; RSA takes SHA-256, then -384, -512, and PSS when
 *     prefer_pss is set (RSA-PSS keys always use PSS);
 *   - otherwise the legacy methods: RSA method 1, ECDSA 9/10/11 by curve.
 * -EOPNOTSUPP: a key that cannot sign for IKE this way (other curves
 * without RFC 7427, an RSA-PSS key for a peer without it, Ed25519). */
int crypto_sign_choose(const EVP_PKEY *key, uint32_t peer_hashes, bool prefer_pss,
                       struct crypto_sign_scheme *out);

/* Signs <SignedOctets>; *ret is the AUTH payload's Authentication Data
 * (for method 14 with the length byte and AlgorithmIdentifier in front),
 * malloc()ed. -EINVAL: the scheme does not fit the key (wrong curve for 9-11,
 * PSS with an EC key, unknown method/hash). */
int crypto_sign_auth(const EVP_PKEY *key, const struct crypto_sign_scheme *scheme,
                     const uint8_t *octets, size_t octets_len,
                     uint8_t **ret, size_t *ret_len);

/* Verifies a peer's AUTH payload (method and Authentication Data as received)
 * over <SignedOctets> with the public key of its certificate.
 * Returns 1 when it verifies, 0 when it does not, with the reason in `reason`
 * ("signature does not verify", "RFC 7427 AlgorithmIdentifier is malformed",
 * "hash SHA-1 not allowed", "ECDSA P-384 key cannot verify auth method 9"),
 * a negative errno on internal failure (-ENOMEM). */
int crypto_sign_verify_auth(const EVP_PKEY *key, uint8_t auth_method,
                            const uint8_t *data, size_t len,
                            const uint8_t *octets, size_t octets_len,
                            unsigned flags, char *reason, size_t reason_len);

/* The DER AlgorithmIdentifier that method 14 sends for a key kind and
 * scheme (`ecdsa` selects ECDSA, else RSA). -EINVAL for a combination we
 * do not produce. Points into static tables. */
int crypto_sign_algorithm_id(bool ecdsa, const struct crypto_sign_scheme *scheme,
                             const uint8_t **der, size_t *der_len);

/* IKEv1 (RFC 2409 5.1, auth method 3): SIG_I / SIG_R is the RSA signature of
 * HASH_I / HASH_R with PKCS#1 v1.5 type-1 padding and no DigestInfo (the
 * hash is the prf output, not hashed again). RSA keys only
 * (crypto-sign-ikev1.c). Sign: *ret malloc()ed, the key's modulus length;
 * -EINVAL for a non-RSA key or a hash too long for it. Verify: 1, 0 with
 * the reason, or a negative errno. */
int crypto_sign_ikev1_rsa(const EVP_PKEY *key, const uint8_t *hash, size_t hash_len,
                          uint8_t **ret, size_t *ret_len);
int crypto_sign_ikev1_rsa_verify(const EVP_PKEY *key, const uint8_t *sig, size_t sig_len,
                                 const uint8_t *hash, size_t hash_len, char *reason, size_t reason_len);

/* "SHA2-256" etc. for logs; "unknown" otherwise. */
const char *crypto_sign_hash_name(uint8_t hash);
