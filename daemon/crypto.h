/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKE cryptography over OpenSSL 3: the algorithm registry, randomness and
 * constant-time comparison. The primitives live in their own headers:
 *
 *   crypto-dh.h     Diffie-Hellman (MODP, ECP, Curve25519) in KE wire format
 *   crypto-prf.h    prf and prf+ (HMAC)
 *   crypto-ikev2.h  IKEv2 key derivation (SKEYSEED, SK_*, KEYMAT) and AUTH
 *   crypto-sk.h     IKEv2 Encrypted (SK) payload protection
 *   crypto-ikev1.h  IKEv1 (RFC 2409) SKEYID*, HASH_I/R, Quick Mode, KEYMAT,
 *                   NAT-D, and the CBC/IV state of an ISAKMP SA
 *
 * The registry describes how each negotiable algorithm is *computed*: key and
 * block sizes, the OpenSSL name, the kernel's XFRM enum. It is keyed by the
 * IKEv2 transform IDs (RFC 7296 section 3.3.2, IANA "IKEv2 Parameters"),
 * which are also what daemon/config.h's struct config_algorithm carries in
 * ikev2_id / key_bits, so configuration and wire both map here with
 * crypto_*_find(). Keywords stay in the configuration's table; nothing is
 * defined twice.
 *
 * Every function returns 0 (or a positive length) on success and a negative
 * errno on failure. All functions are thread-safe (each call uses its own
 * OpenSSL contexts), so the expensive ones can run on the job pool.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfrm.h"   /* enum xfrm_cipher, enum xfrm_integ (netlink/) */

/* IKEv2 transform types (RFC 7296 3.3.2). */
enum {
    CRYPTO_TRANSFORM_ENCR  = 1,
    CRYPTO_TRANSFORM_PRF   = 2,
    CRYPTO_TRANSFORM_INTEG = 3,
    CRYPTO_TRANSFORM_DH    = 4,
};

/* IKEv2 transform IDs vpnd implements (IANA). */
enum {
    CRYPTO_ENCR_3DES          = 3,
    CRYPTO_ENCR_AES_CBC       = 12,   /* with Key Length attribute 128/192/256 */
    CRYPTO_ENCR_AES_GCM_16    = 20,   /* with Key Length attribute 128/256 */

    CRYPTO_PRF_HMAC_MD5       = 1,    /* legacy: IKEv1 hash algorithm 1 */
    CRYPTO_PRF_HMAC_SHA1      = 2,
    CRYPTO_PRF_HMAC_SHA2_256  = 5,
    CRYPTO_PRF_HMAC_SHA2_384  = 6,
    CRYPTO_PRF_HMAC_SHA2_512  = 7,

    CRYPTO_INTEG_HMAC_SHA1_96       = 2,
    CRYPTO_INTEG_HMAC_SHA2_256_128  = 12,
    CRYPTO_INTEG_HMAC_SHA2_384_192  = 13,
    CRYPTO_INTEG_HMAC_SHA2_512_256  = 14,

    CRYPTO_DH_MODP_768        = 1,    /* legacy */
    CRYPTO_DH_MODP_1024       = 2,    /* legacy */
    CRYPTO_DH_MODP_1536       = 5,    /* legacy */
    CRYPTO_DH_MODP_2048       = 14,
    CRYPTO_DH_MODP_3072       = 15,
    CRYPTO_DH_MODP_4096       = 16,
    CRYPTO_DH_ECP_256         = 19,
    CRYPTO_DH_ECP_384         = 20,
    CRYPTO_DH_ECP_521         = 21,
    CRYPTO_DH_CURVE25519      = 31,
};

/* Upper bounds, for fixed-size buffers. */
#define CRYPTO_KEY_MAX         64    /* any single key: HMAC-SHA-512 key, AES-256 + salt, prf output */
#define CRYPTO_PRF_OUT_MAX     64    /* HMAC-SHA-512 */
#define CRYPTO_BLOCK_MAX       16
#define CRYPTO_ICV_MAX         32    /* HMAC-SHA-512-256 */
#define CRYPTO_DH_PUBLIC_MAX   512   /* MODP-4096 */
#define CRYPTO_DH_SHARED_MAX   512

/* An encryption transform (IKE SA or ESP). */
struct crypto_encr {
    uint16_t ikev2_id;
    uint16_t key_bits;        /* cipher key without salt: 128/192/256; 3DES 192 */
    const char *name;         /* for logs: "AES-CBC-256", "AES-GCM-16-128" */
    const char *openssl_name; /* EVP_CIPHER name: "AES-256-CBC", "AES-128-GCM" */
    bool aead;                /* AES-GCM: no integrity transform */
    bool legacy;
    size_t key_len;           /* bytes of the cipher key (no salt) */
    size_t salt_len;          /* AEAD: 4, taken from the end of SK_e / the ESP key */
    size_t block_len;         /* padding alignment: 16 (AES-CBC), 8 (3DES), 4 (GCM, RFC 5282: any, we keep 4) */
    size_t iv_len;            /* IV sent in each SK payload: block size (CBC) or 8 (GCM) */
    size_t icv_len;           /* AEAD tag: 16; 0 otherwise (the integrity transform's) */
    enum xfrm_cipher xfrm;    /* the kernel's ESP algorithm */
};

/* An integrity transform (IKE SA or ESP). */
struct crypto_integ {
    uint16_t ikev2_id;
    const char *name;         /* "HMAC-SHA2-256-128" */
    const char *digest;       /* OpenSSL digest name: "SHA256" */
    bool legacy;
    size_t key_len;           /* bytes: the digest's output length (RFC 4868) */
    size_t icv_len;           /* truncated output sent on the wire */
    enum xfrm_integ xfrm;
};

/* A pseudo-random function (IKEv2 PRF). */
struct crypto_prf {
    uint16_t ikev2_id;
    const char *name;         /* "PRF-HMAC-SHA2-256" */
    const char *digest;       /* OpenSSL digest name */
    bool legacy;
    size_t out_len;           /* output bytes; also the preferred key length (SK_d, SK_p) */
};

enum crypto_dh_kind {
    CRYPTO_DH_KIND_MODP,      /* RFC 2409 / RFC 3526 safe-prime groups, g = 2 */
    CRYPTO_DH_KIND_ECP,       /* RFC 5903 NIST curves */
    CRYPTO_DH_KIND_X25519,    /* RFC 8031 */
};

/* A Diffie-Hellman group. */
struct crypto_dh_group {
    uint16_t ikev2_id;        /* also the IKEv1 group description, except 31 */
    const char *name;         /* "MODP-2048", "ECP-256", "Curve25519" */
    enum crypto_dh_kind kind;
    bool legacy;
    size_t public_len;        /* KE payload data: prime length, 2 * field length, 32 */
    size_t shared_len;        /* g^ir: prime length, field length (x only), 32 */
};

/* Lookups by IKEv2 transform ID; NULL when vpnd does not implement it.
 * crypto_encr_find: key_bits is the Key Length attribute; 0 is accepted for
 * 3DES (which has none) and also its 192. AES-CBC needs 128/192/256,
 * AES-GCM-16 128/256. */
const struct crypto_encr *crypto_encr_find(uint16_t ikev2_id, uint16_t key_bits);
const struct crypto_integ *crypto_integ_find(uint16_t ikev2_id);
const struct crypto_prf *crypto_prf_find(uint16_t ikev2_id);
const struct crypto_dh_group *crypto_dh_group_find(uint16_t ikev2_id);

/* Cryptographically strong random bytes (RAND_bytes): SPIs, nonces, IVs,
 * cookie secrets. -EIO when the generator fails (never silently weak). */
int crypto_random(void *buf, size_t len);
/* The same for values that are not secret: sent in clear (SPIs, nonces,
 * IVs) or spreading timers. Drawn from a per-thread block of RAND_bytes
 * output, so that small requests do not each cost OpenSSL's per-call
 * system call (crypto-random.c). Never for keys or private values. */
int crypto_random_public(void *buf, size_t len);

/* Constant-time comparison (CRYPTO_memcmp): true when equal. For MACs, AUTH
 * payloads, cookies. */
bool crypto_memequal(const void *a, const void *b, size_t len);

/* Wipes key material (OPENSSL_cleanse: not optimised away). */
void crypto_wipe(void *buf, size_t len);

/* For the *_verify functions: `computed` is what computing the expected
 * MAC into expected (expected_size bytes) returned, a length or a negative
 * errno. 1 when the expected MAC equals got (in constant time; the length
 * is public), 0 when not (an empty MAC never matches), the errno when computing failed. Wipes expected
 * either way. */
int crypto_matches(int computed, void *expected, size_t expected_size, const void *got, size_t got_len);

/* A piece of input for the functions that hash a concatenation
 * (prf(K, a | b | c)) without copying it together first. */
struct crypto_chunk {
    const void *ptr;
    size_t len;
};
