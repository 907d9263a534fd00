/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Diffie-Hellman for IKE (KE payloads), over OpenSSL's EVP_PKEY: MODP
 * (RFC 2409, RFC 3526), ECP (RFC 5903) and Curve25519 (RFC 8031).
 *
 * Wire formats (both the public value and the shared secret g^ir):
 *   MODP    big-endian, left-padded with zeros to the prime's length
 *   ECP     public: x | y, each padded to the field length; shared: x only
 *   X25519  32 bytes as RFC 7748 encodes them
 *
 * A struct crypto_dh belongs to one thread at a time: create it on the
 * loop, hand it to a job (crypto_dh_compute is the expensive step; so is
 * crypto_dh_new for MODP), get it back in done(). Different objects may be
 * used on different threads at once. The private key is wiped on free.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct crypto_dh;

/* Generates a fresh key pair in `group`. -EOPNOTSUPP: group NULL or not
 * usable with this OpenSSL; -ENOMEM; -EIO on an OpenSSL failure. */
int crypto_dh_new(const struct crypto_dh_group *group, struct crypto_dh **ret);

/* A key pair from known values, for known-answer tests (RFC 5903, RFC
 * 7748 vectors) and for IKEv1 code that must reuse a key. `priv` is the
 * private value big-endian (MODP exponent, ECP scalar padded to the field
 * length) or X25519's 32 bytes; `pub` is the public value in KE wire
 * format, required for MODP and ECP, NULL for X25519 (derived). OpenSSL
 * checks that the two belong together: -EINVAL otherwise. */
int crypto_dh_new_from_private(const struct crypto_dh_group *group,
                               const uint8_t *priv, size_t priv_len,
                               const uint8_t *pub, size_t pub_len,
                               struct crypto_dh **ret);

/* NULL is allowed. Wipes and frees the key pair. */
void crypto_dh_free(struct crypto_dh *dh);

const struct crypto_dh_group *crypto_dh_get_group(const struct crypto_dh *dh);

/* Writes our public value in KE wire format. `len` must be at least
 * group->public_len. Returns the number of bytes written (public_len). */
int crypto_dh_public(const struct crypto_dh *dh, uint8_t *buf, size_t len);

/* Validates the peer's public value and computes g^ir into `shared`
 * (capacity `shared_max` >= group->shared_len), in wire format;
 * *shared_len = group->shared_len.
 * -EINVAL: the peer's value is not exactly public_len bytes, or is invalid
 *          (MODP: not 1 < y < p-1, or for the RFC 3526 groups outside the
 *          prime-order subgroup (OpenSSL's check; the legacy RFC 2409
 *          groups 1 and 2 get the range check only); ECP:
 *          not a point on the curve; X25519: a low-order point giving an
 *          all-zero secret). The IKE code answers INVALID_SYNTAX / drops.
 * -ENOBUFS: shared_max too small. -EIO: OpenSSL failure. */
int crypto_dh_compute(struct crypto_dh *dh, const uint8_t *peer_public, size_t peer_len,
                      uint8_t *shared, size_t shared_max, size_t *shared_len);
