/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * EAP-GTC, Generic Token Card (RFC 3748 5.6): the request shows a prompt,
 * the response carries the password (or token code) as typed. In IKEv2 it
 * travels inside the encrypted IKE_AUTH exchange, after the client has
 * checked vpnd's certificate; what makes it useful is that the password can
 * be checked against a crypt(3) hash, which MD5 and MS-CHAPv2 cannot. The
 * check itself is the caller's (eap_verify_fn), because yescrypt is slow
 * on purpose and belongs on a worker. No keys (no MSK).
 */
#include <errno.h>
#include <string.h>

#include "eap-internal.h"

#define GTC_PROMPT "Password"

static int gtc_check(struct eap_server *srv)
{
    return 0;
}

static int gtc_challenge(struct eap_server *srv, uint8_t identifier, uint8_t *out, size_t cap, size_t *out_len)
{
    if (cap < strlen(GTC_PROMPT))
        return -ENOBUFS;
    memcpy(out, GTC_PROMPT, strlen(GTC_PROMPT));
    *out_len = strlen(GTC_PROMPT);
    return 0;
}

static int gtc_process(struct eap_server *srv, uint8_t identifier, const uint8_t *data, size_t len,
                       uint8_t next_identifier, uint8_t *out, size_t cap, size_t *out_len)
{
    if (len == 0) {
        eap_set_reason(srv, "empty password");
        return EAP_STEP_FAILURE;
    }
    if (len > EAP_PASSWORD_MAX) {
        eap_set_reason(srv, "discarded response: GTC password of %zu bytes (at most %d)", len, EAP_PASSWORD_MAX);
        return EAP_STEP_DISCARD;
    }
    if (memchr(data, '\0', len)) {
        eap_set_reason(srv, "password with a NUL byte");
        return EAP_STEP_FAILURE;
    }
    if (!srv->user_found) {
        eap_set_reason(srv, "unknown user");
        return EAP_STEP_FAILURE;
    }
    memcpy(srv->gtc_password, data, len);
    srv->gtc_password[len] = '\0';
    return EAP_STEP_VERIFY;
}

const struct eap_method_ops eap_gtc_ops = {
    .type = EAP_TYPE_GTC,
    .name = "GTC",
    .check = gtc_check,
    .challenge = gtc_challenge,
    .process = gtc_process,
};
