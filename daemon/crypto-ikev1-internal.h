/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared between crypto-ikev1.c and crypto-ikev1-cbc.c; not for callers. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

/* The plain (unkeyed) hash behind `hash`'s HMAC over the concatenated
 * chunks: IKEv1's IVs and NAT-D. Returns the digest length (prf->out_len). */
int crypto_ikev1_digest(const struct crypto_prf *hash, const struct crypto_chunk *data, size_t n_data,
                        uint8_t *out, size_t out_max);
