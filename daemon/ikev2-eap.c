/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * EAP in IKE_AUTH (RFC 7296 2.16) on the responder. The client leaves AUTH
 * out of its first IKE_AUTH request; we answer with IDr, our AUTH (PSK or
 * certificate, per local-authentication) and the first EAP request; each
 * following IKE_AUTH round carries one EAP response and our next request,
 * until EAP-Success. Then the client sends AUTH computed with the MSK
 * (EAP-MSCHAPv2) or, for a method without one (EAP-MD5), with SK_pi; we
 * check it, answer with ours (MSK or SK_pr) and the CHILD SA the first
 * request asked for. The conversation itself is eap.c's (eap.h); the
 * user database is vpnd.conf's users (eap_config_lookup); EAP-GTC's
 * password check (crypt(3)) runs on the job pool. The
 * authenticated EAP identity becomes the session's user. With
 * authentication eap-radius the conversation is the RADIUS server's
 * instead (ikev2-eap-radius.c); the AUTH exchange around it is the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2-auth-state.h"
#include "ikev2-init-copy.h"
#include "ikev2-wire.h"

/* The user table of the configuration the SA was negotiated under. */
static int sa_lookup(void *userdata, struct eap_server *srv, const char *identity, struct eap_credentials *creds)
{
    struct ikev2_ike_sa *sa = userdata;
    return eap_config_lookup(sa->config, srv, identity, creds);
}

/* EAP-GTC's password check: crypt(3) on a worker (yescrypt takes tens of
 * milliseconds by design); the SA waits like for a signature. */
struct gtc_job {
    struct ikev2_ike_sa *sa;            /* NULL once the SA is gone */
    struct vpnd_config *config;         /* a reference: the worker reads its user table */
    char user[EAP_IDENTITY_MAX + 1];
    char password[EAP_PASSWORD_MAX + 1];
    int result;
};

static void gtc_job_free(struct gtc_job *j)
{
    config_unref(j->config);
    crypto_wipe(j, sizeof(*j));
    free(j);
}

static int gtc_work(void *userdata)
{
    struct gtc_job *j = userdata;
    const struct config_user *user = config_user_find(j->config, j->user);
    j->result = user ? config_user_verify_password(user, j->password) : 0;
    crypto_wipe(j->password, sizeof(j->password));
    return 0;
}

static void gtc_done(void *userdata, int result)
{
    struct gtc_job *j = userdata;
    struct ikev2_ike_sa *sa = j->sa;
    if (sa) {
        sa->job = NULL;
        sa->job_sa = NULL;
        (void)eap_server_verify_done(sa->auth->eap, result < 0 ? result : j->result);
        ikev2_eap_resume(sa);
    }
    gtc_job_free(j);
}

static int sa_verify(void *userdata, struct eap_server *srv, const char *user, const char *password)
{
    struct ikev2_ike_sa *sa = userdata;
    struct gtc_job *j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->sa = sa;
    j->config = config_ref(sa->config);
    snprintf(j->user, sizeof(j->user), "%s", user);
    snprintf(j->password, sizeof(j->password), "%s", password);
    int r = job_submit(ike_jobs(sa->ike), gtc_work, gtc_done, j, &sa->job);
    if (r < 0) {
        gtc_job_free(j);
        return r;
    }
    sa->job_sa = &j->sa;
    return -EINPROGRESS;
}

/* The identity for log lines: the EAP identity once the client gave one. */
static const char *eap_log_identity(const struct ikev2_ike_sa *sa)
{
    const char *id = sa->auth && sa->auth->eap ? eap_server_identity(sa->auth->eap) : NULL;
    return id ? id : sa->identity;
}

static int send_eap(struct ikev2_ike_sa *sa, uint32_t mid, const uint8_t *idr, size_t idr_len,
                    const struct cert_der_list *certs, uint8_t auth_method, const uint8_t *auth, size_t auth_len,
                    const uint8_t *eap, size_t eap_len)
{
    uint8_t *out = malloc(IKEV2_INNER_MAX);
    struct ikev2_builder b;
    size_t len = 0;
    if (!out)
        return -ENOMEM;
    ikev2_builder_init(&b, out, IKEV2_INNER_MAX);
    if (idr)
        ikev2_build_id(&b, IKEV2_PAYLOAD_IDR, idr[0], idr + 4, idr_len - 4);
    for (size_t i = 0; certs && i < certs->n; i++)
        ikev2_build_cert(&b, IKEV2_PAYLOAD_CERT, IKEV2_CERT_X509_SIGNATURE, certs->items[i].data,
                         certs->items[i].len);
    if (auth)
        ikev2_build_auth(&b, auth_method, auth, auth_len);
    ikev2_build_payload(&b, IKEV2_PAYLOAD_EAP, false, eap, eap_len);
    int r = ikev2_builder_finish(&b, &len);
    if (r >= 0)
        r = ikev2_send_encrypted(sa, IKEV2_EXCHANGE_IKE_AUTH, true, mid, out, len, ikev2_builder_first_type(&b));
    free(out);
    return r;
}

int ikev2_eap_send(struct ikev2_ike_sa *sa, uint32_t mid, const uint8_t *eap, size_t eap_len)
{
    return send_eap(sa, mid, NULL, 0, NULL, 0, NULL, 0, eap, eap_len);
}

/* The first response: IDr [CERT...] AUTH EAP(first request). */
static void send_first(struct ikev2_ike_sa *sa, uint32_t mid, uint8_t method, const uint8_t *auth, size_t auth_len,
                       const struct cert_der_list *certs)
{
    struct ikev2_auth_state *as = sa->auth;
    int r = send_eap(sa, mid, as->idr_body, as->idr_body_len, certs, method, auth, auth_len, as->eap_first,
                     as->eap_first_len);
    if (r < 0) {
        char reason[96];
        snprintf(reason, sizeof(reason), "cannot send the first EAP request: %s", strerror(-r));
        ikev2_auth_fail(sa, mid, sa->identity, reason);
    }
}

static void first_signed(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_cert_outcome *out)
{
    char reason[160];
    if (out->sign_result < 0) {
        snprintf(reason, sizeof(reason), "cannot sign our AUTH: %s", strerror(-out->sign_result));
        ikev2_auth_fail(sa, mid, sa->identity, reason);
        return;
    }
    struct cert_der_list certs = { 0 };
    int r = ikev2_cert_our_payloads(sa, &certs);
    if (r < 0) {
        snprintf(reason, sizeof(reason), "cannot find our certificate chain: %s", strerror(-r));
        ikev2_auth_fail(sa, mid, sa->identity, reason);
        return;
    }
    send_first(sa, mid, out->method, out->auth, out->auth_len, &certs);
    cert_der_list_free(&certs);
}

void ikev2_eap_begin(struct ikev2_ike_sa *sa, uint32_t mid)
{
    struct ikev2_auth_state *as = sa->auth;
    char reason[IKEV2_AUTH_REASON_MAX];
    const uint8_t *req = NULL;
    size_t req_len = 0;

    int r;
    if (sa->group->auth == CONFIG_AUTH_EAP_RADIUS) {
        r = ikev2_eap_radius_begin(sa);
        if (r < 0) {
            ikev2_auth_fail(sa, mid, sa->identity, "cannot start EAP: out of memory");
            return;
        }
        goto first;
    }
    as->eap = eap_server_new((enum eap_method)as->peer_method->eap_method, sa_lookup, sa);
    if (!as->eap) {
        ikev2_auth_fail(sa, mid, sa->identity, "cannot start EAP: out of memory");
        return;
    }
    eap_server_set_verify(as->eap, sa_verify);
    /* RFC 7296 2.16: IDi need not be the user name; ask for the EAP identity. */
    r = eap_server_start(as->eap, NULL, &req, &req_len);
    if (r != EAP_CONTINUE || req_len > sizeof(as->eap_first)) {
        snprintf(reason, sizeof(reason), "cannot start EAP: %s",
                 eap_server_failure_reason(as->eap)[0] ? eap_server_failure_reason(as->eap)
                                                       : strerror(r < 0 ? -r : EPROTO));
        ikev2_auth_fail(sa, mid, sa->identity, reason);
        return;
    }
    memcpy(as->eap_first, req, req_len);
    as->eap_first_len = req_len;

first:
    if (as->local_method->kind == IKEV2_AUTH_KIND_SIGNATURE) {
        if (ikev2_cert_job_start(sa, mid, NULL, true, first_signed, reason, sizeof(reason)) < 0)
            ikev2_auth_fail(sa, mid, sa->identity, reason);
        return;
    }
    uint8_t mac[IKEV2_AUTH_DATA_MAX];
    r = ikev2_auth_our_mac(sa, false, sa->group->psk.data, sa->group->psk.len, mac, sizeof(mac));
    if (r < 0) {
        snprintf(reason, sizeof(reason), "cannot compute our AUTH: %s", strerror(-r));
        ikev2_auth_fail(sa, mid, sa->identity, reason);
        return;
    }
    send_first(sa, mid, IKEV2_AUTH_SHARED_KEY_MIC, mac, (size_t)r, NULL);
    crypto_wipe(mac, sizeof(mac));
}

/* The client's AUTH after EAP, checked over one IKE_SA_INIT request copy
 * (ikev2_init_copy_check). */
struct final_auth_check {
    struct ikev2_ike_sa *sa;
    const struct ikev2_auth *auth;
    const uint8_t *msk;
    size_t msk_len;
    struct crypto_auth_input in;
};

static int final_auth_over(const uint8_t *request, size_t request_len, void *arg)
{
    struct final_auth_check *c = arg;
    uint8_t expected[IKEV2_AUTH_DATA_MAX];
    c->in.message = request;
    c->in.message_len = request_len;
    return crypto_matches(crypto_ikev2_eap_auth(&c->sa->keys, &c->in, c->msk, c->msk_len, expected, sizeof(expected)),
                          expected, sizeof(expected), c->auth->data, c->auth->len);
}

/* After EAP-Success: the client's AUTH with the MSK (or SK_pi), then ours
 * and the CHILD SA. */
static void final_auth(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_payload_list *inner)
{
    struct ikev2_auth_state *as = sa->auth;
    struct ikev2_parse_status st;
    struct ikev2_auth auth;
    const uint8_t *msk = NULL;
    size_t msk_len = 0;
    uint8_t ours[IKEV2_AUTH_DATA_MAX];

    const struct ikev2_payload *p_auth = ikev2_payload_find(inner, IKEV2_PAYLOAD_AUTH);
    if (!p_auth || ikev2_auth_decode(p_auth, &auth, &st) < 0) {
        ikev2_auth_fail(sa, mid, sa->identity, "no valid AUTH payload after EAP-Success");
        return;
    }
    if (auth.method != IKEV2_AUTH_SHARED_KEY_MIC) {
        char reason[96];
        snprintf(reason, sizeof(reason), "AUTH method %u after EAP (expected the shared key MIC)", auth.method);
        ikev2_auth_fail(sa, mid, sa->identity, reason);
        return;
    }
    if (as->radius)
        ikev2_eap_radius_msk(sa, &msk, &msk_len);
    else
        (void)eap_server_msk(as->eap, &msk, &msk_len);     /* none for MD5: SK_pi / SK_pr */
    struct final_auth_check check = {
        .sa = sa, .auth = &auth, .msk = msk, .msk_len = msk_len,
        .in = { .initiator = true, .nonce = sa->nr, .nonce_len = sa->nr_len,
                .id_body = as->idi.body, .id_body_len = as->idi.body_len },
    };
    int r = ikev2_init_copy_check(sa, final_auth_over, &check);
    if (r <= 0) {
        ikev2_auth_fail(sa, mid, sa->identity, r < 0 ? "cannot compute the AUTH expected after EAP"
                        : msk ? "AUTH after EAP does not match the EAP MSK"
                              : "AUTH after EAP does not match (keyed with SK_pi, the method has no MSK)");
        return;
    }
    if (!ikev2_auth_apply_policy(sa, mid))
        return;
    r = ikev2_auth_our_mac(sa, true, msk, msk_len, ours, sizeof(ours));
    if (r < 0) {
        char reason[96];
        snprintf(reason, sizeof(reason), "cannot compute our AUTH after EAP: %s", strerror(-r));
        ikev2_auth_fail(sa, mid, sa->identity, reason);
        return;
    }
    ikev2_auth_complete(sa, mid, false, IKEV2_AUTH_SHARED_KEY_MIC, ours, (size_t)r, NULL);
    crypto_wipe(ours, sizeof(ours));
}

static void answer(struct ikev2_ike_sa *sa, uint32_t mid, int r, const uint8_t *req, size_t req_len)
{
    struct ikev2_auth_state *as = sa->auth;
    struct log_ctx ctx;
    char reason[IKEV2_AUTH_REASON_MAX];
    ikev2_sa_log_ctx(sa, &ctx);

    switch (r) {
    case EAP_CONTINUE:
    case EAP_DISCARD:
        /* MS-CHAPv2's Failure-Request is a request like any other, but the
         * outcome is known now, and clients such as strongSwan give up
         * without answering it: say so while the client is still there. */
        if (eap_server_failing(as->eap) && !as->eap_failure_logged) {
            as->eap_failure_logged = true;
            log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, identity '%s', tunnel group "
                           "%s: EAP-%s: %s", sa->peer, eap_log_identity(sa), sa->group->name,
                           eap_method_name((enum eap_method)as->peer_method->eap_method),
                           eap_server_failure_reason(as->eap));
        }
        if (send_eap(sa, mid, NULL, 0, NULL, 0, NULL, 0, req, req_len) < 0)
            ikev2_ike_sa_terminate(sa->ike, sa, false, "cannot send the EAP request");
        return;
    case EAP_SUCCESS: {
        const char *user = eap_server_user(as->eap);
        as->eap_succeeded = true;
        /* The authenticated user is the session's user from here on. */
        if (ikev2_sa_set_identity(sa, user) < 0) {
            ikev2_auth_fail(sa, mid, user, "out of memory");
            return;
        }
        ikev2_sa_log_ctx(sa, &ctx);
        log_info_ctx(&ctx, CONFIG_SUBSYS_AUTH, "EAP-%s succeeded: peer %s, user '%s', tunnel group %s",
                     eap_method_name((enum eap_method)as->peer_method->eap_method), sa->peer, sa->identity,
                     sa->group->name);
        if (send_eap(sa, mid, NULL, 0, NULL, 0, NULL, 0, req, req_len) < 0)
            ikev2_ike_sa_terminate(sa->ike, sa, false, "cannot send EAP-Success");
        return;
    }
    case EAP_FAILURE:
        snprintf(reason, sizeof(reason), "EAP-%s: %s",
                 eap_method_name((enum eap_method)as->peer_method->eap_method), eap_server_failure_reason(as->eap));
        ikev2_auth_fail_eap(sa, mid, eap_log_identity(sa), reason, req, req_len);
        return;
    case EAP_PENDING:
        /* GTC's password check runs on a worker (eap_server_verify_done
         * then ikev2_eap_resume); retransmissions wait meanwhile. */
        as->eap_pending_mid = mid;
        sa->response_pending = true;
        return;
    default:
        snprintf(reason, sizeof(reason), "EAP failed: %s",
                 eap_server_failure_reason(as->eap)[0] ? eap_server_failure_reason(as->eap) : strerror(-r));
        ikev2_auth_fail(sa, mid, eap_log_identity(sa), reason);
        return;
    }
}

void ikev2_eap_round(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_payload_list *inner)
{
    struct ikev2_auth_state *as = sa->auth;
    struct ikev2_parse_status st;
    struct ikev2_eap eap;
    const uint8_t *req = NULL;
    size_t req_len = 0;

    if (as->eap_succeeded) {
        final_auth(sa, mid, inner);
        return;
    }
    if (as->radius) {
        ikev2_eap_radius_round(sa, mid, inner);
        return;
    }
    const struct ikev2_payload *p = ikev2_payload_find(inner, IKEV2_PAYLOAD_EAP);
    if (!p || ikev2_eap_decode(p, &eap, &st) < 0) {
        ikev2_auth_fail(sa, mid, eap_log_identity(sa), p ? "malformed EAP payload"
                                                         : "no EAP payload during the EAP conversation");
        return;
    }
    int r = eap_server_process(as->eap, eap.packet, eap.packet_len, &req, &req_len);
    answer(sa, mid, r, req, req_len);
}

void ikev2_eap_local_fallback(struct ikev2_ike_sa *sa, uint32_t mid, const char *identity)
{
    struct ikev2_auth_state *as = sa->auth;
    const uint8_t *req = NULL;
    size_t req_len = 0;
    ikev2_eap_radius_free(as);
    as->eap = eap_server_new(EAP_METHOD_MSCHAPV2, sa_lookup, sa);
    if (!as->eap) {
        ikev2_auth_fail(sa, mid, identity, "cannot start EAP: out of memory");
        return;
    }
    /* The client gave its identity to the relay already: the challenge comes at once. */
    int r = eap_server_start(as->eap, identity, &req, &req_len);
    answer(sa, mid, r, req, req_len);
}

void ikev2_eap_resume(struct ikev2_ike_sa *sa)
{
    const uint8_t *req = NULL;
    size_t req_len = 0;
    if (!sa->auth || !sa->auth->eap || !sa->response_pending)
        return;
    sa->response_pending = false;
    int r = eap_server_resume(sa->auth->eap, &req, &req_len);
    answer(sa, sa->auth->eap_pending_mid, r, req, req_len);
}
