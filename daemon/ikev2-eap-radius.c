/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * EAP passthrough (RFC 3579) for authentication eap-radius: vpnd asks the
 * client for its EAP identity itself, then relays every EAP response to the
 * tunnel group's authentication-server-group in an Access-Request
 * (EAP-Message, the State of the last challenge, User-Name = the EAP
 * identity) and every EAP request of an Access-Challenge back in the next
 * IKE_AUTH response. The server picks and runs the method (EAP-MSCHAPv2,
 * EAP-MD5, EAP-TLS ...); its Access-Accept carries the MSK (RFC 3748) as
 * MS-MPPE-Recv-Key and -Send-Key (RFC 2548), which keys the final AUTH
 * payloads (RFC 7296 2.16), and the session's authorization. While the
 * server thinks, the IKE_AUTH request waits like for a signature job;
 * retransmissions are dropped meanwhile.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "ikev2-auth-state.h"
#include "ikev2-wire.h"

#define EAP_RADIUS_ROUNDS_MAX 64        /* EAP-TLS with a long chain takes a dozen */

struct ikev2_eap_radius {
    struct ikev2_ike_sa *sa;
    struct aaa_pending *pending;
    uint32_t mid;                       /* the IKE_AUTH request the server's answer goes to */
    bool have_identity;
    char identity[EAP_IDENTITY_MAX + 1];
    uint8_t state[AAA_ATTR_MAX];
    size_t state_len;
    uint8_t msk[AAA_MSK_MAX];
    size_t msk_len;
    uint8_t last_id;                    /* identifier of the client's last response */
    unsigned rounds;
};

void ikev2_eap_radius_free(struct ikev2_auth_state *as)
{
    struct ikev2_eap_radius *er = as->radius;
    if (!er)
        return;
    aaa_cancel(er->pending);
    crypto_wipe(er, sizeof(*er));
    free(er);
    as->radius = NULL;
}

int ikev2_eap_radius_begin(struct ikev2_ike_sa *sa)
{
    struct ikev2_auth_state *as = sa->auth;
    struct ikev2_eap_radius *er = calloc(1, sizeof(*er));
    if (!er)
        return -ENOMEM;
    er->sa = sa;
    as->radius = er;
    uint8_t id = 0;
    (void)RAND_bytes(&id, 1);
    /* EAP-Request/Identity (RFC 3748 5.1): the server starts from the
     * response to it (RFC 3579 2.1). */
    const uint8_t req[5] = { EAP_CODE_REQUEST, id, 0, 5, EAP_TYPE_IDENTITY };
    memcpy(as->eap_first, req, sizeof(req));
    as->eap_first_len = sizeof(req);
    return 0;
}

void ikev2_eap_radius_msk(const struct ikev2_ike_sa *sa, const uint8_t **msk, size_t *msk_len)
{
    const struct ikev2_eap_radius *er = sa->auth->radius;
    *msk = er && er->msk_len ? er->msk : NULL;
    *msk_len = er ? er->msk_len : 0;
}

static const char *identity_of(const struct ikev2_ike_sa *sa)
{
    const struct ikev2_eap_radius *er = sa->auth->radius;
    return er && er->have_identity ? er->identity : sa->identity;
}

static const char *server_group(const struct ikev2_ike_sa *sa)
{
    return sa->group->authentication_server_group->name;
}

static void accepted(struct ikev2_ike_sa *sa, uint32_t mid, const struct aaa_result *res)
{
    struct ikev2_eap_radius *er = sa->auth->radius;
    struct log_ctx ctx;
    char addr[INET_ADDRSTRLEN] = "";

    struct aaa_grant *grant = aaa_grant_new(&res->authz, er->identity, sa->group->group_policy);
    if (!grant) {
        ikev2_auth_fail(sa, mid, er->identity, "out of memory");
        return;
    }
    aaa_grant_free(sa->grant);
    sa->grant = grant;
    memcpy(er->msk, res->msk, res->msk_len);
    er->msk_len = res->msk_len;
    sa->auth->eap_succeeded = true;
    if (ikev2_sa_set_identity(sa, er->identity) < 0) {
        ikev2_auth_fail(sa, mid, er->identity, "out of memory");
        return;
    }
    ikev2_sa_log_ctx(sa, &ctx);
    if (res->authz.policy_value[0] && !res->authz.group_policy)
        log_info_ctx(&ctx, CONFIG_SUBSYS_AUTH, "user %s: RADIUS %s '%s' is not in the group-policy-map of "
                     "aaa-server-group %s: tunnel group policy %s", er->identity,
                     sa->group->authentication_server_group->group_policy_attribute == 25 ? "Class" : "Filter-Id",
                     res->authz.policy_value, server_group(sa), sa->group->group_policy->name);
    if (res->authz.has_address)
        inet_ntop(AF_INET, &res->authz.address, addr, sizeof(addr));
    log_info_ctx(&ctx, CONFIG_SUBSYS_AUTH, "EAP via RADIUS server %s succeeded: peer %s, user '%s', tunnel group %s "
                 "(%s; group policy %s%s%s)", res->server, sa->peer, sa->identity, sa->group->name,
                 er->msk_len ? "MSK from MS-MPPE keys" : "no MSK: AUTH keyed with SK_pi/SK_pr",
                 grant->policy ? grant->policy->name : "(none)", addr[0] ? ", address " : "", addr);
    /* The server's EAP-Success, or one of our own (RFC 3579 2.6.3 lets the
     * NAS make it when the Access-Accept carries none). */
    uint8_t success[4] = { EAP_CODE_SUCCESS, er->last_id, 0, 4 };
    const uint8_t *eap = res->eap && res->eap_len >= 4 && res->eap[0] == EAP_CODE_SUCCESS ? res->eap : success;
    size_t len = eap == success ? sizeof(success) : res->eap_len;
    if (ikev2_eap_send(sa, mid, eap, len) < 0)
        ikev2_ike_sa_terminate(sa->ike, sa, false, "cannot send EAP-Success");
}

/* An EAP-MSCHAPv2 Failure request (draft-kamath-pppext-eap-mschapv2 2.5:
 * type, OpCode 4, MS-CHAPv2-ID, MS-Length, "E=691 R=0 ... M=text") in a
 * challenge: the server has decided, but the client, not the server, ends
 * the conversation (strongSwan and Windows give up with
 * AUTHENTICATION_FAILED instead of answering). Logged now, with the
 * server's words, while who decided is still known. */
static void log_mschapv2_failure(struct ikev2_ike_sa *sa, const struct aaa_result *res)
{
    const uint8_t *e = res->eap;
    if (res->eap_len < 9 || e[4] != EAP_TYPE_MSCHAPV2 || e[5] != 4 || sa->auth->eap_failure_logged)
        return;
    char text[128];
    size_t n = 0;
    for (size_t i = 9; i < res->eap_len && n < sizeof(text) - 1; i++)
        text[n++] = e[i] >= 0x20 && e[i] < 0x7f ? (char)e[i] : '?';
    text[n] = '\0';
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    sa->auth->eap_failure_logged = true;
    sa->ike->stats.eap_failures++;
    log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, identity '%s', tunnel group %s: EAP via "
                   "RADIUS: server %s failed EAP-MSCHAPv2: %s%s%s", sa->peer, identity_of(sa), sa->group->name,
                   res->server, text, res->reply[0] ? "; " : "", res->reply);
}

static void on_answer(const struct aaa_result *res, void *userdata)
{
    struct ikev2_eap_radius *er = userdata;
    struct ikev2_ike_sa *sa = er->sa;
    uint32_t mid = er->mid;
    char reason[2 * AAA_TEXT_MAX];

    er->pending = NULL;
    sa->response_pending = false;
    switch (res->verdict) {
    case AAA_ACCEPT:
        accepted(sa, mid, res);
        return;
    case AAA_CHALLENGE:
        if (!res->eap || res->eap_len < 5 || res->eap[0] != EAP_CODE_REQUEST) {
            snprintf(reason, sizeof(reason), "EAP via RADIUS: Access-Challenge from %s without an EAP request",
                     res->server);
            ikev2_auth_fail(sa, mid, er->identity, reason);
            return;
        }
        memcpy(er->state, res->state, res->state_len);
        er->state_len = res->state_len;
        log_mschapv2_failure(sa, res);
        if (ikev2_eap_send(sa, mid, res->eap, res->eap_len) < 0)
            ikev2_ike_sa_terminate(sa->ike, sa, false, "cannot send the EAP request");
        return;
    case AAA_REJECT: {
        snprintf(reason, sizeof(reason), "EAP via RADIUS: server %s rejected: %s", res->server,
                 res->reply[0] ? res->reply : "no Reply-Message");
        uint8_t failure[4] = { EAP_CODE_FAILURE, er->last_id, 0, 4 };
        sa->ike->stats.eap_failures++;
        ikev2_auth_fail_eap(sa, mid, er->identity, reason, failure, sizeof(failure));
        return;
    }
    case AAA_ERROR:
        break;
    }
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    if (sa->group->authentication_fallback_local && er->have_identity) {
        char identity[EAP_IDENTITY_MAX + 1];
        log_warning_ctx(&ctx, CONFIG_SUBSYS_AUTH, "EAP: no RADIUS answer for user %s (peer %s, tunnel group %s, %s): "
                        "%s; falling back to the local users (EAP-MSCHAPv2)", er->identity, sa->peer,
                        sa->group->name, res->server, res->reply);
        memcpy(identity, er->identity, sizeof(identity));
        ikev2_eap_local_fallback(sa, mid, identity);
        return;
    }
    snprintf(reason, sizeof(reason), "EAP via RADIUS: RADIUS unavailable (%s): %s", res->server, res->reply);
    ikev2_auth_fail(sa, mid, identity_of(sa), reason);
}

/* The EAP identity (RFC 3748 5.1): printable, at most a User-Name's length. */
static bool take_identity(struct ikev2_eap_radius *er, const uint8_t *data, size_t len)
{
    if (len == 0 || len > EAP_IDENTITY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (data[i] < 0x20 || data[i] == 0x7f)
            return false;
    memcpy(er->identity, data, len);
    er->identity[len] = '\0';
    er->have_identity = true;
    return true;
}

void ikev2_eap_radius_round(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_payload_list *inner)
{
    struct ikev2_eap_radius *er = sa->auth->radius;
    struct ikev2_parse_status st;
    struct ikev2_eap eap;
    char reason[2 * AAA_TEXT_MAX];

    const struct ikev2_payload *p = ikev2_payload_find(inner, IKEV2_PAYLOAD_EAP);
    if (!p || ikev2_eap_decode(p, &eap, &st) < 0) {
        ikev2_auth_fail(sa, mid, identity_of(sa), p ? "malformed EAP payload"
                                                    : "no EAP payload during the EAP conversation");
        return;
    }
    /* Code, identifier, length (checked by the decoder against the payload) and a type. */
    if (eap.packet_len < 5 || eap.packet[0] != EAP_CODE_RESPONSE) {
        ikev2_auth_fail(sa, mid, identity_of(sa), "EAP payload is not an EAP response");
        return;
    }
    if (++er->rounds > EAP_RADIUS_ROUNDS_MAX) {
        snprintf(reason, sizeof(reason), "EAP via RADIUS: more than %d rounds", EAP_RADIUS_ROUNDS_MAX);
        ikev2_auth_fail(sa, mid, identity_of(sa), reason);
        return;
    }
    if (!er->have_identity) {
        if (eap.packet[4] != EAP_TYPE_IDENTITY || !take_identity(er, eap.packet + 5, eap.packet_len - 5)) {
            ikev2_auth_fail(sa, mid, sa->identity, "EAP: the first response is not a valid EAP-Response/Identity");
            return;
        }
        struct log_ctx ctx;
        ikev2_sa_log_ctx(sa, &ctx);
        log_info_ctx(&ctx, CONFIG_SUBSYS_AUTH, "EAP identity '%s' (peer %s, tunnel group %s) sent to "
                     "aaa-server-group %s", er->identity, sa->peer, sa->group->name, server_group(sa));
    }
    er->last_id = eap.packet[1];

    char peer[IKEV2_PEER_TEXT_MAX];
    snprintf(peer, sizeof(peer), "%s", sa->peer);
    char *colon = strrchr(peer, ':');
    if (colon && !strchr(peer, '['))
        *colon = '\0';      /* Calling-Station-Id: the address alone */
    struct aaa_request req = {
        .group = sa->group, .user = er->identity, .peer = peer, .eap = eap.packet, .eap_len = eap.packet_len,
        .state = er->state_len ? er->state : NULL, .state_len = er->state_len,
    };
    int r = aaa_authenticate(sa->ike->aaa, &req, on_answer, er, &er->pending);
    if (r < 0) {
        er->mid = mid;
        struct aaa_result res = { .verdict = AAA_ERROR, .error = r };
        snprintf(res.reply, sizeof(res.reply), "cannot send the Access-Request: %s", strerror(-r));
        snprintf(res.server, sizeof(res.server), "aaa-server-group %s", server_group(sa));
        on_answer(&res, er);
        return;
    }
    er->mid = mid;
    sa->response_pending = true;
}
