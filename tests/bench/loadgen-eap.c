/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The generator's EAP peer (RFC 7296 2.16): EAP-Identity and EAP-MSCHAPv2
 * (draft-kamath-pppext-eap-mschapv2-02, RFC 2759), with the computations
 * of vpnd's own MS-CHAPv2 code (eap-mschapv2-crypto.c). One request in,
 * one response out; the IKE side (loadgen-client.c) carries them.
 */
#include "loadgen.h"

#include <errno.h>
#include <string.h>

#include "crypto.h"
#include "eap-mschapv2-crypto.h"
#include "ikev2-constants.h"

enum { OP_CHALLENGE = 1, OP_RESPONSE = 2, OP_SUCCESS = 3, OP_FAILURE = 4 };
#define MS_HEADER_LEN 4             /* OpCode, MS-CHAPv2-ID, MS-Length */
#define RESPONSE_VALUE_LEN 49       /* PeerChallenge 16, Reserved 8, NT-Response 24, Flags 1 */

static int mschapv2(struct lg_eap *e, const char *user, const char *password, const struct ikev2_eap *req,
                    uint8_t *out, size_t cap, size_t *out_len, const char **why)
{
    size_t ulen = strlen(user);
    if (req->len < MS_HEADER_LEN) {
        *why = "EAP-MSCHAPv2: request too short";
        return -EBADMSG;
    }
    const uint8_t *d = req->data;
    switch (d[0]) {
    case OP_CHALLENGE: {
        if (req->len < MS_HEADER_LEN + 1 + MSCHAPV2_CHALLENGE_LEN || d[MS_HEADER_LEN] != MSCHAPV2_CHALLENGE_LEN) {
            *why = "EAP-MSCHAPv2: malformed challenge";
            return -EBADMSG;
        }
        size_t len = MS_HEADER_LEN + 1 + RESPONSE_VALUE_LEN + ulen;
        if (len > cap) {
            *why = "EAP-MSCHAPv2: user name too long";
            return -ENOBUFS;
        }
        memcpy(e->auth_challenge, d + MS_HEADER_LEN + 1, MSCHAPV2_CHALLENGE_LEN);
        if (crypto_random(e->peer_challenge, sizeof(e->peer_challenge)) < 0 ||
            eap_mschapv2_nt_password_hash((const uint8_t *)password, strlen(password), e->nt_hash) < 0 ||
            eap_mschapv2_nt_response(e->auth_challenge, e->peer_challenge, user, ulen, e->nt_hash,
                                     e->nt_response) < 0) {
            *why = "EAP-MSCHAPv2: cannot compute the response (OpenSSL legacy provider?)";
            return -EIO;
        }
        memset(out, 0, len);
        out[0] = OP_RESPONSE;
        out[1] = d[1];
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        out[MS_HEADER_LEN] = RESPONSE_VALUE_LEN;
        memcpy(out + MS_HEADER_LEN + 1, e->peer_challenge, MSCHAPV2_CHALLENGE_LEN);
        memcpy(out + MS_HEADER_LEN + 1 + 24, e->nt_response, MSCHAPV2_NT_RESPONSE_LEN);
        memcpy(out + MS_HEADER_LEN + 1 + RESPONSE_VALUE_LEN, user, ulen);
        *out_len = len;
        e->responded = true;
        return 0;
    }
    case OP_SUCCESS: {
        char expected[MSCHAPV2_AUTH_RESPONSE_LEN + 1];
        if (!e->responded ||
            eap_mschapv2_authenticator_response(e->nt_hash, e->nt_response, e->peer_challenge, e->auth_challenge,
                                                user, ulen, expected) < 0 ||
            req->len < MS_HEADER_LEN + MSCHAPV2_AUTH_RESPONSE_LEN ||
            !crypto_memequal(d + MS_HEADER_LEN, expected, MSCHAPV2_AUTH_RESPONSE_LEN)) {
            *why = "EAP-MSCHAPv2: the server's authenticator response is wrong";
            return -EBADMSG;
        }
        out[0] = OP_SUCCESS;
        *out_len = 1;
        e->server_proven = true;
        return 0;
    }
    case OP_FAILURE:
        *why = "EAP-MSCHAPv2: failure (wrong password?)";
        return -EACCES;
    }
    *why = "EAP-MSCHAPv2: unknown OpCode";
    return -EBADMSG;
}

int lg_eap_step(struct lg_eap *e, const char *user, const char *password, const struct ikev2_eap *req,
                uint8_t *type, uint8_t *out, size_t cap, size_t *out_len, const char **why)
{
    switch (req->code) {
    case IKEV2_EAP_SUCCESS:
        if (!e->server_proven) {
            *why = "EAP-Success before the MS-CHAPv2 success";
            return -EBADMSG;
        }
        return 1;
    case IKEV2_EAP_FAILURE:
        *why = "EAP-Failure";
        return -EACCES;
    case IKEV2_EAP_REQUEST:
        break;
    default:
        *why = "unexpected EAP code";
        return -EBADMSG;
    }
    *type = req->type;
    switch (req->type) {
    case IKEV2_EAP_TYPE_IDENTITY: {
        size_t ulen = strlen(user);
        if (ulen > cap)
            return -ENOBUFS;
        memcpy(out, user, ulen);
        *out_len = ulen;
        return 0;
    }
    case IKEV2_EAP_TYPE_MSCHAPV2:
        return mschapv2(e, user, password, req, out, cap, out_len, why);
    }
    *why = "the server asks for an EAP method other than MSCHAPv2";
    return -EPROTONOSUPPORT;
}

int lg_eap_msk(const struct lg_eap *e, uint8_t msk[64])
{
    return eap_mschapv2_msk(e->nt_hash, e->nt_response, msk);
}

void lg_eap_wipe(struct lg_eap *e)
{
    crypto_wipe(e, sizeof(*e));
}
