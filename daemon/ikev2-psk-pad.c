/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 * (RFC 7296 2.15): the inner prf depends only on the secret and the PRF, yet
 * it was computed twice per handshake (the peer's AUTH, then ours). It is
 * now computed once per tunnel group secret and PRF and kept with the secret
 * (struct config_secret's pads), which wipes it when the configuration is
 * freed or reloaded.
 */
#include "ikev2-psk-pad.h"

#include <errno.h>
#include <string.h>

#include "crypto-ikev2.h"

int ikev2_psk_pad(const struct config_secret *secret, const struct crypto_prf *prf,
                  uint8_t out[CRYPTO_PRF_OUT_MAX])
{
    if (!secret || !secret->data || !secret->len || !prf || prf->ikev2_id == 0 ||
        prf->out_len > sizeof(secret->pads[0].key))
        return -EINVAL;

    struct config_secret_pad *free_slot = NULL;
    for (size_t i = 0; secret->pads && i < CONFIG_SECRET_PADS; i++) {
        struct config_secret_pad *pad = &secret->pads[i];
        if (pad->prf_id == prf->ikev2_id && pad->len == prf->out_len) {
            memcpy(out, pad->key, pad->len);
            return pad->len;
        }
        if (pad->prf_id == 0 && !free_slot)
            free_slot = pad;
    }

    int r = crypto_ikev2_psk_pad(prf, secret->data, secret->len, out, CRYPTO_PRF_OUT_MAX);
    if (r < 0)
        return r;
    if (free_slot && (size_t)r == prf->out_len) {
        memcpy(free_slot->key, out, (size_t)r);
        free_slot->len = (uint8_t)r;
        free_slot->prf_id = prf->ikev2_id;
    }
    return r;
}
