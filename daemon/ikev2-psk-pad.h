/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The first step of IKEv2's shared-key AUTH, kept per secret and PRF.
 */
#pragma once

#include <stdint.h>

#include "config.h"
#include "crypto.h"

/* Writes prf(secret, "Key Pad for IKEv2") (RFC 7296 2.15) to `out` and
 * returns its length (prf->out_len), from the secret's cache when this PRF
 * was used with it before, else computed and kept there (when a slot is
 * free). `out` holds key material: wipe it after use. The event loop's
 * thread only (the cache has no lock). -EINVAL for an empty secret. */
int ikev2_psk_pad(const struct config_secret *secret, const struct crypto_prf *prf,
                  uint8_t out[CRYPTO_PRF_OUT_MAX]);
