/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * prf and prf+ (RFC 7296 section 2.13) over HMAC (OpenSSL EVP_MAC), and
 * plain HMAC for integrity checks. Inputs are lists of chunks so that
 * callers hash a concatenation (Ni | Nr | SPIi | SPIr) without building it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

/* HMAC with the digest named by OpenSSL (`digest`: "SHA256", ...) over the
 * concatenated chunks. `out` must hold the digest's full output
 * (CRYPTO_PRF_OUT_MAX always does); returns its length in bytes. */
int crypto_hmac(const char *digest, const void *key, size_t key_len,
                const struct crypto_chunk *data, size_t n_data, uint8_t *out, size_t out_max);

/* prf(key, data...): returns prf->out_len bytes written to `out`
 * (out_max >= prf->out_len). */
int crypto_prf(const struct crypto_prf *prf, const void *key, size_t key_len,
               const struct crypto_chunk *data, size_t n_data, uint8_t *out, size_t out_max);

/* prf+(key, S) = T1 | T2 | ..., T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n),
 * truncated to out_len bytes. -EINVAL when out_len needs more than 255
 * iterations (RFC 7296 2.13). Returns 0. */
int crypto_prf_plus(const struct crypto_prf *prf, const void *key, size_t key_len,
                    const struct crypto_chunk *seed, size_t n_seed, uint8_t *out, size_t out_len);
