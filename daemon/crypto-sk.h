/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKEv2 Encrypted payload (SK, RFC 7296 3.14; AES-GCM: RFC 5282).
 *
 * Body layout (what follows the SK payload's 4-byte generic header):
 *     IV | ciphertext( inner payloads | padding | pad length ) | ICV
 *
 * `aad` is everything before the body: the IKE header and the SK payload's
 * generic header (for an Encrypted Fragment, SKF: also its 4 extra bytes),
 * with their FINAL length fields. So the caller sizes the body first with
 * crypto_sk_body_len(), writes the headers, then encrypts into the body.
 * The integrity check covers aad | IV | ciphertext (CBC + HMAC) or
 * authenticates aad as GCM's AAD.
 *
 * `from_initiator` chooses the keys: true for a message sent by the IKE SA's
 * original initiator (SK_ei/SK_ai), false for its responder (SK_er/SK_ar).
 * A responder decrypts with true and encrypts with false.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto-ikev2.h"

/* Body length for `plaintext_len` bytes of inner payloads (IV, padding,
 * pad length byte and ICV included). 0 when keys are not usable or
 * plaintext_len exceeds 64 KiB (no IKE message is that large). */
size_t crypto_sk_body_len(const struct crypto_ike_keys *keys, size_t plaintext_len);

/* Encrypts and protects. body_len must be crypto_sk_body_len(keys,
 * plaintext_len) (-EINVAL otherwise). The IV is fresh random bytes. */
int crypto_sk_encrypt(const struct crypto_ike_keys *keys, bool from_initiator,
                      const uint8_t *aad, size_t aad_len,
                      const uint8_t *plaintext, size_t plaintext_len,
                      uint8_t *body, size_t body_len);

/* Verifies, then decrypts. `plaintext` must hold the ciphertext's length
 * (body_len less IV and ICV; body_len always suffices); on success
 * *plaintext_len is the inner payloads' length (padding removed).
 * -EBADMSG: integrity check failed (ICV/tag mismatch) — drop silently.
 * -EINVAL:  malformed: too short, ciphertext not a multiple of the block,
 *           pad length beyond the plaintext.
 * Nothing is written to *plaintext_len on failure and the plaintext buffer
 * is wiped. */
int crypto_sk_decrypt(const struct crypto_ike_keys *keys, bool from_initiator,
                      const uint8_t *aad, size_t aad_len,
                      const uint8_t *body, size_t body_len,
                      uint8_t *plaintext, size_t plaintext_max, size_t *plaintext_len);
