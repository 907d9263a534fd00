/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ikev2-auth.h"

#include <errno.h>
#include <stdio.h>

#include "eap.h"
#include "ikev2-psk-pad.h"

static int psk_verify(const struct ikev2_auth_context *ctx, const struct ikev2_auth *auth,
                      char *reason, size_t reason_len)
{
    if (auth->method != IKEV2_AUTH_SHARED_KEY_MIC) {
        snprintf(reason, reason_len, "AUTH method %u where the tunnel group expects a pre-shared key",
                 auth->method);
        return 0;
    }
    if (ctx->group->psk.len == 0) {
        snprintf(reason, reason_len, "the tunnel group has no pre-shared key");
        return 0;
    }
    uint8_t padded[CRYPTO_PRF_OUT_MAX];
    int r = ikev2_psk_pad(&ctx->group->psk, ctx->keys->suite.prf, padded);
    if (r >= 0)
        r = crypto_ikev2_psk_auth_padded_verify(ctx->keys, &ctx->input, padded, (size_t)r,
                                                auth->data, auth->len);
    crypto_wipe(padded, sizeof(padded));
    if (r == 0)
        snprintf(reason, reason_len, "pre-shared key mismatch");
    return r;
}

static int psk_sign(const struct ikev2_auth_context *ctx, uint8_t *method, uint8_t *data, size_t max)
{
    if (ctx->group->psk.len == 0)
        return -ENOKEY;
    *method = IKEV2_AUTH_SHARED_KEY_MIC;
    uint8_t padded[CRYPTO_PRF_OUT_MAX];
    int r = ikev2_psk_pad(&ctx->group->psk, ctx->keys->suite.prf, padded);
    if (r >= 0)
        r = crypto_ikev2_psk_auth_padded(ctx->keys, &ctx->input, padded, (size_t)r, data, max);
    crypto_wipe(padded, sizeof(padded));
    return r;
}

const struct ikev2_peer_auth_method ikev2_peer_auth_psk = { "psk", IKEV2_AUTH_KIND_SHARED_KEY, 0, psk_verify };
const struct ikev2_local_auth_method ikev2_local_auth_psk = { "psk", IKEV2_AUTH_KIND_SHARED_KEY, psk_sign };
const struct ikev2_peer_auth_method ikev2_peer_auth_cert = { "certificate", IKEV2_AUTH_KIND_SIGNATURE, 0, NULL };
const struct ikev2_local_auth_method ikev2_local_auth_cert = { "certificate", IKEV2_AUTH_KIND_SIGNATURE, NULL };
const struct ikev2_peer_auth_method ikev2_peer_auth_eap_mschapv2 = {
    "eap-mschapv2", IKEV2_AUTH_KIND_EAP, EAP_METHOD_MSCHAPV2, NULL };
const struct ikev2_peer_auth_method ikev2_peer_auth_eap_md5 = { "eap-md5", IKEV2_AUTH_KIND_EAP, EAP_METHOD_MD5, NULL };
const struct ikev2_peer_auth_method ikev2_peer_auth_eap_gtc = { "eap-gtc", IKEV2_AUTH_KIND_EAP, EAP_METHOD_GTC, NULL };
/* The server decides the method; MSCHAPv2 is only the local fallback's. */
const struct ikev2_peer_auth_method ikev2_peer_auth_eap_radius = {
    "eap-radius", IKEV2_AUTH_KIND_EAP, EAP_METHOD_MSCHAPV2, NULL };

const struct ikev2_peer_auth_method *ikev2_peer_auth_method(enum config_auth auth)
{
    switch (auth) {
    case CONFIG_AUTH_PSK:
        return &ikev2_peer_auth_psk;
    case CONFIG_AUTH_CERTIFICATE:
        return &ikev2_peer_auth_cert;
    case CONFIG_AUTH_EAP_MSCHAPV2:
        return &ikev2_peer_auth_eap_mschapv2;
    case CONFIG_AUTH_EAP_MD5:
        return &ikev2_peer_auth_eap_md5;
    case CONFIG_AUTH_EAP_GTC:
        return &ikev2_peer_auth_eap_gtc;
    case CONFIG_AUTH_EAP_RADIUS:
        return &ikev2_peer_auth_eap_radius;
    }
    return NULL;
}

const struct ikev2_local_auth_method *ikev2_local_auth_method(enum config_local_auth auth)
{
    switch (auth) {
    case CONFIG_LOCAL_AUTH_PSK:
        return &ikev2_local_auth_psk;
    case CONFIG_LOCAL_AUTH_CERTIFICATE:
        return &ikev2_local_auth_cert;
    }
    return NULL;
}
