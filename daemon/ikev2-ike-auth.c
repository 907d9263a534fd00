/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKE_AUTH on the responder (RFC 7296 1.2, 2.15, 2.19): identify the
 * tunnel group by the peer's identity, check its AUTH through the group's
 * authentication method (ikev2-auth.h), answer with ours, then set up the
 * remote-access CHILD SA: an inner address (CP), an ESP proposal, narrowed
 * traffic selectors, kernel state. A failure of the CHILD SA leaves the
 * IKE SA up and says why in a Notify (RFC 7296 1.2); a failed
 * authentication ends the IKE SA with AUTHENTICATION_FAILED and leaves
 * nothing behind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ike-identity.h"
#include "ikev2-auth-state.h"
#include "ikev2-cp.h"
#include "ikev2-half-open.h"
#include "ikev2-init-copy.h"
#include "ikev2-initiator.h"
#include "ikev2-psk-pad.h"
#include "ikev2-sa.h"
#include "ikev2-ts.h"
#include "ikev2-wire.h"
#include "mem-trim.h"
#include "vpnd-build.h"

void ikev2_auth_fail_eap(struct ikev2_ike_sa *sa, uint32_t mid, const char *identity, const char *reason,
                         const uint8_t *eap_failure, size_t eap_failure_len)
{
    struct log_ctx ctx;
    uint8_t inner[32];
    struct ikev2_builder b;
    size_t len = 0;

    ikev2_sa_log_ctx(sa, &ctx);
    sa->ike->stats.handshake_failures[IKE_FAIL_AUTH]++;
    if (sa->auth && sa->auth->eap)
        sa->ike->stats.eap_failures++;
    if (!sa->auth || !sa->auth->eap_failure_logged)
        log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, identity '%s', tunnel group %s: %s",
                       sa->peer, identity ? identity : "", sa->group ? sa->group->name : "(none)", reason);
    ikev2_builder_init(&b, inner, sizeof(inner));
    ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
    if (eap_failure && eap_failure_len <= 4)
        ikev2_build_payload(&b, IKEV2_PAYLOAD_EAP, false, eap_failure, eap_failure_len);
    if (ikev2_builder_finish(&b, &len) >= 0)
        (void)ikev2_send_encrypted(sa, IKEV2_EXCHANGE_IKE_AUTH, true, mid, inner, len, IKEV2_PAYLOAD_NOTIFY);
    ikev2_ike_sa_terminate(sa->ike, sa, false, "authentication failed");
}

void ikev2_auth_fail(struct ikev2_ike_sa *sa, uint32_t mid, const char *identity, const char *reason)
{
    ikev2_auth_fail_eap(sa, mid, identity, reason, NULL, 0);
}

static void auth_failed(struct ikev2_ike_sa *sa, uint32_t mid, const char *identity, const char *reason)
{
    ikev2_auth_fail(sa, mid, identity, reason);
}

void ikev2_auth_informational(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_payload_list *inner)
{
    struct log_ctx ctx;
    const char *identity = sa->auth->eap && eap_server_identity(sa->auth->eap) ? eap_server_identity(sa->auth->eap)
                                                                               : sa->identity;
    bool failed = ikev2_notify_find(inner, IKEV2_N_AUTHENTICATION_FAILED) != NULL;
    uint8_t empty[1];
    ikev2_sa_log_ctx(sa, &ctx);
    (void)ikev2_send_encrypted(sa, IKEV2_EXCHANGE_INFORMATIONAL, true, mid, empty, 0, IKEV2_PAYLOAD_NONE);
    sa->ike->stats.handshake_failures[IKE_FAIL_AUTH]++;
    if (sa->auth->eap)
        sa->ike->stats.eap_failures++;
    if (!sa->auth->eap_failure_logged)
        log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, identity '%s', tunnel group %s: "
                       "the client %s", sa->peer, identity, sa->group ? sa->group->name : "(none)",
                       failed ? "reported AUTHENTICATION_FAILED" : "ended the exchange");
    ikev2_ike_sa_terminate(sa->ike, sa, false, failed ? "the client gave up authentication (AUTHENTICATION_FAILED)"
                                                      : "the client gave up authentication");
}

void ikev2_auth_state_free(struct ikev2_auth_state *st)
{
    if (!st)
        return;
    eap_server_free(st->eap);
    ikev2_eap_radius_free(st);
    cert_store_unref(st->store);
    crypto_wipe(st->eap_first, sizeof(st->eap_first));
    free(st->buf);
    free(st);
}

/* A copy of the first request's payloads (and its IDi) that outlives it. */
static struct ikev2_auth_state *auth_state_new(const struct ikev2_payload_list *inner, const struct ikev2_id *id)
{
    struct ikev2_auth_state *st = calloc(1, sizeof(*st));
    size_t total = 0, off = 0;
    if (!st)
        return NULL;
    for (size_t i = 0; i < inner->n; i++)
        total += inner->p[i].len;
    st->buf = malloc(total ? total : 1);
    if (!st->buf) {
        free(st);
        return NULL;
    }
    st->first = *inner;
    for (size_t i = 0; i < inner->n; i++) {
        memcpy(st->buf + off, inner->p[i].body, inner->p[i].len);
        st->first.p[i].body = st->buf + off;
        /* The IDi views point into its payload's body: move them along. */
        if (id->body == inner->p[i].body) {
            st->idi = *id;
            st->idi.body = st->buf + off;
            st->idi.data = st->buf + off + (size_t)(id->data - id->body);
        }
        off += inner->p[i].len;
    }
    return st;
}

/* Our identity: the certificate's subject DN when we sign with it, else
 * the address the client talks to. */
static int set_our_idr(struct ikev2_ike_sa *sa)
{
    struct ikev2_auth_state *as = sa->auth;
    char text[SESSION_NAME_MAX] = "";
    memset(as->idr_body, 0, 4);
    if (as->local_method->kind == IKEV2_AUTH_KIND_SIGNATURE) {
        uint8_t *dn = NULL;
        size_t dn_len = 0;
        int r = cert_store_subject_der(as->store, &dn, &dn_len);
        if (r < 0)
            return r;
        if (dn_len > sizeof(as->idr_body) - 4) {
            free(dn);
            return -E2BIG;
        }
        as->idr_body[0] = IKEV2_ID_DER_ASN1_DN;
        memcpy(as->idr_body + 4, dn, dn_len);
        as->idr_body_len = 4 + dn_len;
        cert_dn_der_format(dn, dn_len, text, sizeof(text));
        free(dn);
    } else if (sa->local.sa.sa_family == AF_INET) {
        as->idr_body[0] = IKEV2_ID_IPV4_ADDR;
        memcpy(as->idr_body + 4, &sa->local.in.sin_addr, 4);
        as->idr_body_len = 8;
        inet_ntop(AF_INET, &sa->local.in.sin_addr, text, sizeof(text));
    } else {
        as->idr_body[0] = IKEV2_ID_IPV6_ADDR;
        memcpy(as->idr_body + 4, &sa->local.in6.sin6_addr, 16);
        as->idr_body_len = 20;
        inet_ntop(AF_INET6, &sa->local.in6.sin6_addr, text, sizeof(text));
    }
    /* As long as the text is, not SESSION_NAME_MAX in every SA; out of
     * memory it is only missing from `vpnctl session`. */
    free(sa->local_identity);
    sa->local_identity = text[0] ? strdup(text) : NULL;
    return 0;
}

int ikev2_auth_our_mac(struct ikev2_ike_sa *sa, bool eap, const uint8_t *secret, size_t secret_len,
                       uint8_t *out, size_t max)
{
    struct crypto_auth_input in = { .initiator = false, .message = sa->init_response,
                                    .message_len = sa->init_response_len, .nonce = sa->ni, .nonce_len = sa->ni_len,
                                    .id_body = sa->auth->idr_body, .id_body_len = sa->auth->idr_body_len };
    if (eap)
        return crypto_ikev2_eap_auth(&sa->keys, &in, secret, secret_len, out, max);
    if (secret_len == 0)
        return -ENOKEY;
    if (sa->group && secret == sa->group->psk.data && secret_len == sa->group->psk.len) {
        /* The tunnel group's PSK: its padded key is kept (ikev2-psk-pad.c). */
        uint8_t padded[CRYPTO_PRF_OUT_MAX];
        int r = ikev2_psk_pad(&sa->group->psk, sa->keys.suite.prf, padded);
        if (r >= 0)
            r = crypto_ikev2_psk_auth_padded(&sa->keys, &in, padded, (size_t)r, out, max);
        crypto_wipe(padded, sizeof(padded));
        return r;
    }
    return crypto_ikev2_psk_auth(&sa->keys, &in, secret, secret_len, out, max);
}

bool ikev2_auth_apply_policy(struct ikev2_ike_sa *sa, uint32_t mid)
{
    const struct config_user *user = config_user_find(sa->config, sa->identity);
    sa->policy = user && user->group_policy ? user->group_policy : sa->group->group_policy;
    if (sa->grant)
        sa->policy = sa->grant->policy;     /* RADIUS authorized it (aaa.h) */
    if (sa->policy && !(sa->policy->protocols & CONFIG_PROTOCOL_IKEV2)) {
        char reason[IKEV2_AUTH_REASON_MAX];
        snprintf(reason, sizeof(reason), "group policy %s does not allow IKEv2", sa->policy->name);
        auth_failed(sa, mid, sa->identity, reason);
        return false;
    }
    if (sa->policy && sa->policy->simultaneous_logins == 0) {
        char reason[IKEV2_AUTH_REASON_MAX];
        snprintf(reason, sizeof(reason), "group policy %s allows no login (simultaneous-logins 0)", sa->policy->name);
        auth_failed(sa, mid, sa->identity, reason);
        return false;
    }
    return true;
}

struct child_result {
    uint16_t notify;                    /* 0: CHILD SA installed */
    bool has_cp;
    struct ikev2_cp_reply cp;
    struct ikev2_ts_selector tsi[IKEV2_TSI_MAX];
    size_t n_tsi;
    struct ikev2_ts_selector tsr[IKEV2_TS_OUT_MAX];
    size_t n_tsr;
};

static void reject_debug(const char *reason, void *userdata)
{
    const struct log_ctx *ctx = userdata;
    log_info_ctx(ctx, CONFIG_SUBSYS_IKEV2, "%s", reason);
}

/* The remote-access CHILD SA. Fills res (notify != 0 on failure); on
 * success the address lease, kernel state and the session's pieces are
 * in *sa. */
static void setup_child(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner, struct child_result *res)
{
    struct log_ctx ctx;
    struct ikev2_parse_status st;
    struct ike *ike = sa->ike;
    ikev2_sa_log_ctx(sa, &ctx);

    const struct ikev2_payload *p_cp = ikev2_payload_find(inner, IKEV2_PAYLOAD_CP);
    const struct ikev2_payload *p_sa = ikev2_payload_find(inner, IKEV2_PAYLOAD_SA);
    const struct ikev2_payload *p_tsi = ikev2_payload_find(inner, IKEV2_PAYLOAD_TSI);
    const struct ikev2_payload *p_tsr = ikev2_payload_find(inner, IKEV2_PAYLOAD_TSR);
    struct ikev2_cp *cp = malloc(sizeof(*cp));
    struct ikev2_sa *offered = malloc(sizeof(*offered));
    struct ikev2_ts *tsi = malloc(sizeof(*tsi)), *tsr = malloc(sizeof(*tsr));
    if (!cp || !offered || !tsi || !tsr) {
        res->notify = IKEV2_N_TEMPORARY_FAILURE;
        goto out;
    }
    if (!p_sa || !p_tsi || !p_tsr) {
        /* IKE SA only (RFC 7296 1.2 allows it; RFC 6023 childless): nothing to set up. */
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "no CHILD SA requested");
        res->notify = IKEV2_N_FAILED_CP_REQUIRED;
        goto out;
    }
    if (!p_cp || ikev2_cp_decode(p_cp, cp, &st) < 0 || cp->type != IKEV2_CFG_REQUEST) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "no CFG_REQUEST: a remote-access client must ask for an "
                     "address: FAILED_CP_REQUIRED");
        res->notify = IKEV2_N_FAILED_CP_REQUIRED;
        goto out;
    }
    if (ikev2_sa_decode(p_sa, offered, &st) < 0 || ikev2_ts_decode(p_tsi, tsi, &st) < 0 ||
        ikev2_ts_decode(p_tsr, tsr, &st) < 0) {
        char why[128];
        ikev2_parse_status_format(&st, why, sizeof(why));
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD SA payloads malformed: %s", why);
        res->notify = IKEV2_N_INVALID_SYNTAX;
        goto out;
    }

    /* ESP proposal of the tunnel group. */
    int r = ikev2_choose_esp(offered, (const struct config_esp_proposal *const *)sa->group->esp_proposals,
                             sa->group->n_esp_proposals, &sa->esp, reject_debug, &ctx);
    if (r < 0) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "no acceptable ESP proposal for tunnel group %s: "
                     "NO_PROPOSAL_CHOSEN", sa->group->name);
        ike->stats.handshake_failures[IKE_FAIL_NO_PROPOSAL]++;
        res->notify = IKEV2_N_NO_PROPOSAL_CHOSEN;
        goto out;
    }

    /* The inner addresses (ikev2-address.c). */
    struct ikev2_cp_assigned assigned;
    if (ikev2_lease_addresses(sa, cp, &assigned) < 0) {
        ike->stats.handshake_failures[IKE_FAIL_ADDRESS]++;
        res->notify = IKEV2_N_INTERNAL_ADDRESS_FAILURE;
        goto out;
    }

    /* Traffic selectors. */
    const struct config_prefix *nets = NULL;
    size_t n_nets = 0;
    if (sa->policy && sa->policy->split_tunnel == CONFIG_SPLIT_TUNNEL_INCLUDE) {
        nets = sa->policy->split_networks;
        n_nets = sa->policy->n_split_networks;
    }
    unsigned families = 0;
    r = ikev2_narrow_tsi_to_addresses(sa, tsi, &assigned, res->tsi, &res->n_tsi, &families);
    if (r < 0 || (res->n_tsr = ikev2_narrow_tsr(tsr, nets, n_nets, families, res->tsr, IKEV2_TS_OUT_MAX)) == 0) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "traffic selectors do not cover the assigned address or the "
                     "networks of group policy %s: TS_UNACCEPTABLE", sa->policy ? sa->policy->name : "(none)");
        ike->stats.handshake_failures[IKE_FAIL_TS]++;
        res->notify = IKEV2_N_TS_UNACCEPTABLE;
        goto release;
    }
    /* Kept for rekeys, sized to what was narrowed. */
    struct ikev2_ts_selector *tsr_kept = malloc(res->n_tsr * sizeof(*tsr_kept));
    if (!tsr_kept) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA not installed: out of memory");
        res->notify = IKEV2_N_TEMPORARY_FAILURE;
        goto release;
    }

    /* The kernel state. */
    struct child_sa *c = &sa->child;
    memset(c, 0, sizeof(*c));
    c->reqid = ike_next_reqid(ike);
    c->local = sa->local;
    c->remote = sa->remote;
    c->encap = sa->nat_detected;
    c->spi_out = sa->esp.peer_spi;
    c->inner = sa->address;
    c->has_inner6 = sa->has_address6;
    c->inner6 = sa->address6;
    c->route_ifindex = sa->ifindex;
    for (size_t i = 0; i < res->n_tsr && c->n_networks < CHILD_SA_MAX_NETWORKS; i++)
        c->n_networks += ikev2_ts_to_prefixes(&res->tsr[i], &c->networks[c->n_networks],
                                              CHILD_SA_MAX_NETWORKS - c->n_networks);
    char err[300];
    /* No ALLOCSPI: child_sa_install chooses our inbound SPI in the batch
     * that installs the SAs (nothing needs it before), one round trip less. */
    {
        struct crypto_child_keys keys;
        r = crypto_ikev2_derive_child_keys(&sa->keys, sa->esp.encr, sa->esp.integ, NULL, 0, sa->ni, sa->ni_len,
                                           sa->nr, sa->nr_len, &keys);
        if (r < 0)
            snprintf(err, sizeof(err), "cannot derive the ESP keys: %s", strerror(-r));
        else {
            struct child_sa_params params = {
                .keys = &keys,
                .lifetime_seconds = sa->esp.config->lifetime_seconds,
                .lifetime_kilobytes = sa->esp.config->lifetime_kilobytes,
            };
            r = child_sa_install(ike_xfrm(ike), sa->policy && !sa->policy->reverse_route ? NULL : ike->routes, c,
                                 &params, err, sizeof(err));
        }
        crypto_child_keys_wipe(&keys);
        if (r < 0)
            (void)child_sa_remove(ike_xfrm(ike), ike->routes, c);
    }
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA not installed: %s", err);
        ike->stats.handshake_failures[IKE_FAIL_KERNEL]++;
        ike->stats.kernel_errors++;
        res->notify = IKEV2_N_TEMPORARY_FAILURE;
        free(tsr_kept);
        goto release;
    }
    sa->has_child = true;
    memcpy(sa->tsi, res->tsi, res->n_tsi * sizeof(res->tsi[0]));
    sa->n_tsi = res->n_tsi;
    memcpy(tsr_kept, res->tsr, res->n_tsr * sizeof(res->tsr[0]));
    free(sa->tsr);
    sa->tsr = tsr_kept;
    sa->n_tsr = res->n_tsr;

    char version[64], client_version[IKEV2_CP_VERSION_MAX];
    snprintf(version, sizeof(version), "vpnd %s", VPND_VERSION);
    ikev2_cp_client_version(cp, client_version, sizeof(client_version));
    if (client_version[0])
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "client application version: '%s'", client_version);
    free(sa->client_version);
    sa->client_version = client_version[0] ? strdup(client_version) : NULL;
    r = ikev2_cp_build_reply(cp, &assigned, sa->policy, version, &res->cp);
    if (r < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "configuration reply truncated: %s", strerror(-r));
    for (size_t i = 0; i < res->cp.n_ignored; i++)
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "configuration attribute %u not supported, ignored",
                      res->cp.ignored[i]);
    res->has_cp = true;
    goto out;

release:
    ikev2_release_addresses(sa);
out:
    free(cp);
    free(offered);
    free(tsi);
    free(tsr);
}

/* The peer's AUTH by a shared key, checked over one IKE_SA_INIT request
 * copy (ikev2_init_copy_check). */
struct peer_auth_check {
    const struct ikev2_peer_auth_method *method;
    struct ikev2_auth_context *actx;
    const struct ikev2_auth *auth;
    char *reason;
    size_t reason_len;
};

static int peer_auth_over(const uint8_t *request, size_t request_len, void *arg)
{
    struct peer_auth_check *c = arg;
    c->actx->input.message = request;
    c->actx->input.message_len = request_len;
    return c->method->verify(c->actx, c->auth, c->reason, c->reason_len);
}

static void our_auth_then_complete(struct ikev2_ike_sa *sa, uint32_t mid);
static void peer_cert_checked(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_cert_outcome *out);

void ikev2_handle_ike_auth(struct ikev2_ike_sa *sa, const struct ikev2_message *msg,
                           const struct ikev2_payload_list *inner)
{
    struct log_ctx ctx;
    struct ikev2_parse_status st;
    uint32_t mid = msg->header.message_id;
    struct ikev2_id id;
    struct ikev2_auth auth;
    char identity[SESSION_NAME_MAX] = "";
    enum config_identity_type id_type;
    struct config_address id_addr;

    ikev2_sa_log_ctx(sa, &ctx);
    if (sa->auth) {
        /* A later round of an EAP conversation. (While a job works on the
         * previous request, the dispatcher drops retransmissions; a new
         * message ID then breaks the window: RFC 7296 2.3.) */
        if ((sa->auth->eap || sa->auth->radius) && !sa->response_pending)
            ikev2_eap_round(sa, mid, inner);
        else
            auth_failed(sa, mid, sa->identity, "IKE_AUTH request while the previous one is being checked");
        return;
    }
    const struct ikev2_payload *p_id = ikev2_payload_find(inner, IKEV2_PAYLOAD_IDI);
    const struct ikev2_payload *p_auth = ikev2_payload_find(inner, IKEV2_PAYLOAD_AUTH);
    if (!p_id || ikev2_id_decode(p_id, &id, &st) < 0) {
        auth_failed(sa, mid, NULL, "no valid IDi payload");
        return;
    }
    int r = ike_identity_text(id.type, id.data, id.len, IKE_ID_TEXT_KEY_ID, identity, sizeof(identity), &id_type,
                              &id_addr);
    if (r < 0) {
        auth_failed(sa, mid, NULL, r == -EOPNOTSUPP ? "identity type not supported yet"
                                                    : "identity is not printable text");
        return;
    }
    const struct config_tunnel_group *group =
        config_tunnel_group_find_by_identity(sa->config, id_type, identity, &id_addr);
    if (!group || !group->ikev2) {
        auth_failed(sa, mid, identity, "no IKEv2 tunnel group accepts this identity");
        return;
    }
    sa->group = group;
    if (ikev2_sa_set_identity(sa, identity) < 0) {
        auth_failed(sa, mid, identity, "out of memory");
        return;
    }
    ikev2_sa_log_ctx(sa, &ctx);

    if (!ikev2_ike_choice_allowed(&sa->choice, (const struct config_ike_proposal *const *)group->ike_proposals,
                                  group->n_ike_proposals)) {
        char suite[160], reason[256];
        ikev2_ike_choice_format(&sa->choice, suite, sizeof(suite));
        snprintf(reason, sizeof(reason), "the negotiated IKE proposal %s is not in the tunnel group's "
                 "ike-proposals", suite);
        auth_failed(sa, mid, identity, reason);
        return;
    }
    const struct ikev2_peer_auth_method *method = ikev2_peer_auth_method(group->auth);
    const struct ikev2_local_auth_method *local = ikev2_local_auth_method(group->local_auth);
    if (!method || !local) {
        auth_failed(sa, mid, identity, "the tunnel group's authentication method is not available in this build");
        return;
    }
    sa->auth = auth_state_new(inner, &id);
    if (!sa->auth) {
        auth_failed(sa, mid, identity, "out of memory");
        return;
    }
    sa->auth->peer_method = method;
    sa->auth->local_method = local;
    char reason[IKEV2_AUTH_REASON_MAX + 256] = "";
    if (method->kind == IKEV2_AUTH_KIND_SIGNATURE || local->kind == IKEV2_AUTH_KIND_SIGNATURE) {
        char err[256];
        if (ikev2_cert_store_get(sa->ike, group, &sa->auth->store, err, sizeof(err)) < 0) {
            snprintf(reason, sizeof(reason), "the tunnel group's credentials: %s", err);
            auth_failed(sa, mid, identity, reason);
            return;
        }
    }
    r = set_our_idr(sa);
    if (r < 0) {
        snprintf(reason, sizeof(reason), "cannot build our IDr: %s", strerror(-r));
        auth_failed(sa, mid, identity, reason);
        return;
    }

    if (!p_auth) {
        /* RFC 7296 2.16: no AUTH means the client wants EAP. */
        if (method->kind != IKEV2_AUTH_KIND_EAP) {
            snprintf(reason, sizeof(reason), "no AUTH payload (EAP), but the tunnel group uses %s", method->name);
            auth_failed(sa, mid, identity, reason);
            return;
        }
        ikev2_eap_begin(sa, mid);
        return;
    }
    if (ikev2_auth_decode(p_auth, &auth, &st) < 0) {
        auth_failed(sa, mid, identity, "malformed AUTH payload");
        return;
    }
    if (method->kind == IKEV2_AUTH_KIND_EAP) {
        snprintf(reason, sizeof(reason), "AUTH method %u where the tunnel group expects %s", auth.method,
                 method->name);
        auth_failed(sa, mid, identity, reason);
        return;
    }
    if (method->kind == IKEV2_AUTH_KIND_SIGNATURE) {
        /* Chain, identity and signature on a worker, with ours if we sign. */
        if (ikev2_cert_job_start(sa, mid, &auth, local->kind == IKEV2_AUTH_KIND_SIGNATURE, peer_cert_checked,
                                 reason, sizeof(reason)) < 0)
            auth_failed(sa, mid, identity, reason);
        return;
    }
    struct ikev2_auth_context actx = {
        .keys = &sa->keys,
        .group = group,
        .input = { .initiator = true, .message = sa->init_request, .message_len = sa->init_request_len,
                   .nonce = sa->nr, .nonce_len = sa->nr_len, .id_body = id.body, .id_body_len = id.body_len },
    };
    struct peer_auth_check check = { method, &actx, &auth, reason, sizeof(reason) };
    r = ikev2_init_copy_check(sa, peer_auth_over, &check);
    if (r <= 0) {
        if (r < 0)
            snprintf(reason, sizeof(reason), "cannot check AUTH: %s", strerror(-r));
        auth_failed(sa, mid, identity, reason);
        return;
    }
    if (!ikev2_auth_apply_policy(sa, mid))
        return;
    our_auth_then_complete(sa, mid);
}

/* The peer is authenticated by a shared key or certificate: our AUTH over
 * the IDr (a MAC now, or a signature on a worker), then the answer. */
static void our_auth_then_complete(struct ikev2_ike_sa *sa, uint32_t mid)
{
    char reason[IKEV2_AUTH_REASON_MAX];
    if (sa->auth->local_method->kind == IKEV2_AUTH_KIND_SIGNATURE) {
        if (ikev2_cert_job_start(sa, mid, NULL, true, peer_cert_checked, reason, sizeof(reason)) < 0)
            auth_failed(sa, mid, sa->identity, reason);
        return;
    }
    uint8_t our_auth[IKEV2_AUTH_DATA_MAX];
    int auth_len = ikev2_auth_our_mac(sa, false, sa->group->psk.data, sa->group->psk.len, our_auth,
                                      sizeof(our_auth));
    if (auth_len < 0) {
        snprintf(reason, sizeof(reason), "cannot compute our AUTH: %s", strerror(-auth_len));
        auth_failed(sa, mid, sa->identity, reason);
        return;
    }
    ikev2_auth_complete(sa, mid, true, IKEV2_AUTH_SHARED_KEY_MIC, our_auth, (size_t)auth_len, NULL);
    crypto_wipe(our_auth, sizeof(our_auth));
}

/* The certificate job is back: the peer's verdict (when it was checked)
 * and our signature (when we sign). */
static void peer_cert_checked(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_cert_outcome *out)
{
    char reason[IKEV2_AUTH_REASON_MAX + CERT_REASON_MAX];
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    if (out->verdict <= 0) {
        if (out->verdict < 0 && !out->reason[0])
            snprintf(reason, sizeof(reason), "cannot check the certificate: %s", strerror(-out->verdict));
        else
            snprintf(reason, sizeof(reason), "%s", out->reason);
        auth_failed(sa, mid, sa->identity, reason);
        return;
    }
    if (sa->auth->peer_method->kind == IKEV2_AUTH_KIND_SIGNATURE) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_AUTH, "certificate '%s' of peer %s verified against tunnel group %s's CAs",
                     out->subject, sa->peer, sa->group->name);
        if (!ikev2_auth_apply_policy(sa, mid))
            return;
    }
    if (sa->auth->local_method->kind != IKEV2_AUTH_KIND_SIGNATURE) {
        our_auth_then_complete(sa, mid);
        return;
    }
    if (out->sign_result < 0) {
        snprintf(reason, sizeof(reason), "cannot sign our AUTH: %s", strerror(-out->sign_result));
        auth_failed(sa, mid, sa->identity, reason);
        return;
    }
    struct cert_der_list certs = { 0 };
    int r = ikev2_cert_our_payloads(sa, &certs);
    if (r < 0) {
        snprintf(reason, sizeof(reason), "cannot find our certificate chain: %s", strerror(-r));
        auth_failed(sa, mid, sa->identity, reason);
        return;
    }
    ikev2_auth_complete(sa, mid, true, out->method, out->auth, out->auth_len, &certs);
    cert_der_list_free(&certs);
}

void ikev2_auth_complete(struct ikev2_ike_sa *sa, uint32_t mid, bool send_idr, uint8_t our_method,
                         const uint8_t *our_auth, size_t auth_len, const struct cert_der_list *certs)
{
    struct log_ctx ctx;
    const struct config_tunnel_group *group = sa->group;
    const struct ikev2_payload_list *inner = &sa->auth->first;   /* SA, TSi, TSr, CP of the first request */
    const char *identity = sa->identity;
    int r;
    ikev2_sa_log_ctx(sa, &ctx);

    ikev2_initial_contact(sa, inner);

    /* Authenticated: the CHILD SA. */
    struct child_result *res = calloc(1, sizeof(*res));
    if (!res) {
        auth_failed(sa, mid, identity, "out of memory");
        return;
    }
    setup_child(sa, inner, res);

    uint8_t *out = malloc(IKEV2_INNER_MAX);
    struct ikev2_builder b;
    size_t len = 0;
    if (!out) {
        free(res);
        auth_failed(sa, mid, identity, "out of memory");
        return;
    }
    ikev2_builder_init(&b, out, IKEV2_INNER_MAX);
    if (send_idr)
        ikev2_build_id(&b, IKEV2_PAYLOAD_IDR, sa->auth->idr_body[0], sa->auth->idr_body + 4,
                       sa->auth->idr_body_len - 4);
    for (size_t i = 0; certs && i < certs->n; i++)
        ikev2_build_cert(&b, IKEV2_PAYLOAD_CERT, IKEV2_CERT_X509_SIGNATURE, certs->items[i].data,
                         certs->items[i].len);
    ikev2_build_auth(&b, our_method, our_auth, auth_len);
    if (res->notify == 0) {
        struct ikev2_transform tr[4];
        uint8_t spi[4];
        struct ikev2_proposal pr = { .number = sa->esp.number, .protocol = IKEV2_PROTOCOL_ESP, .spi_size = 4 };
        ikev2_put32(spi, sa->child.spi_in);
        memcpy(pr.spi, spi, 4);
        pr.n_transforms = ikev2_esp_choice_transforms(&sa->esp, tr);
        ikev2_build_cp(&b, IKEV2_CFG_REPLY, res->cp.attrs, res->cp.n);
        ikev2_build_sa_proposal(&b, &pr, tr);
        ikev2_build_ts(&b, IKEV2_PAYLOAD_TSI, res->tsi, res->n_tsi);
        ikev2_build_ts(&b, IKEV2_PAYLOAD_TSR, res->tsr, res->n_tsr);
    } else
        ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, res->notify, NULL, 0);
    r = ikev2_builder_finish(&b, &len);
    if (r < 0) {
        if (sa->has_child) {
            (void)child_sa_remove(ike_xfrm(sa->ike), sa->ike->routes, &sa->child);
            sa->has_child = false;
        }
        free(out);
        free(res);
        auth_failed(sa, mid, identity, "cannot build the IKE_AUTH response");
        return;
    }

    /* Established. */
    struct ike *ike = sa->ike;
    ikev2_sa_set_state(sa, IKEV2_SA_ESTABLISHED, "authenticated");
    ike->stats.half_open--;
    ike->stats.established++;
    if (sa->has_child)
        ike->stats.handshakes_succeeded++;
    queued_timer_disarm(sa->ike->timers, &sa->timer);
    ikev2_half_open_peer_release(ike, sa);
    if (sa->in_half_open) {
        hashmap_remove(ike->half_open, &sa->half_open_key, sizeof(sa->half_open_key));
        sa->in_half_open = false;
    }
    char suite[100];
    ikev2_ike_choice_format(&sa->choice, suite, sizeof(suite));
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA established: peer %s, identity '%s', tunnel group %s, %s%s",
                 sa->peer, sa->identity, group->name, suite, sa->nat_detected ? ", NAT-T" : "");
    (void)ikev2_send_encrypted(sa, IKEV2_EXCHANGE_IKE_AUTH, true, mid, out, len, ikev2_builder_first_type(&b));
    free(out);
    free(sa->init_request);
    sa->init_request = NULL;
    free(sa->init_request_alt);
    sa->init_request_alt = NULL;
    free(sa->init_response);
    sa->init_response = NULL;
    free(sa->ni);                       /* read by IKE_AUTH only (AUTH, the first CHILD SA's keys) */
    sa->ni = NULL;
    sa->ni_len = 0;
    ikev2_auth_state_free(sa->auth);
    sa->auth = NULL;
    mem_trim_note_handshake_ended(ike->stats.half_open);

    if (sa->has_child) {
        char tsi[2 * 64 + 2] = "", tsr[IKEV2_TS_OUT_MAX * 64] = "", one[64], esp[80];
        char addr[INET6_ADDRSTRLEN], addr6[INET6_ADDRSTRLEN + 16] = "";
        ikev2_esp_choice_format(&sa->esp, esp, sizeof(esp));
        for (size_t i = 0; i < res->n_tsi; i++)
            snprintf(tsi + strlen(tsi), sizeof(tsi) - strlen(tsi), "%s%s", i ? " " : "",
                     ikev2_ts_format(&res->tsi[i], one, sizeof(one)));
        for (size_t i = 0; i < res->n_tsr; i++)
            snprintf(tsr + strlen(tsr), sizeof(tsr) - strlen(tsr), "%s%s", i ? " " : "",
                     ikev2_ts_format(&res->tsr[i], one, sizeof(one)));
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA installed: spi in 0x%08x out 0x%08x, %s, TS %s === %s%s",
                     sa->child.spi_in, sa->child.spi_out, esp, tsi, tsr, sa->child.encap ? ", ESP in UDP" : "");
        struct session tmpl = {
            .protocol = SESSION_IKEV2,
            .address = sa->address,
            .has_address6 = sa->has_address6,
            .address6 = sa->address6,
            .reqid = sa->child.reqid,
            .remote = sa->remote,
            .local = sa->local,
            .natt = sa->nat_detected,
            .login_realtime = clock_usec(CLOCK_REALTIME),
            .login_monotonic = clock_usec(CLOCK_MONOTONIC),
            .ops = NULL,
            .owner = sa,
        };
        static const struct session_ops ops = { ikev2_session_counters, ikev2_session_terminate,
                                                ikev2_session_sas, ikev2_session_describe };
        tmpl.ops = &ops;
        char encryption[256];
        tmpl.user = sa->identity;
        tmpl.tunnel_group = group->name;
        tmpl.group_policy = sa->policy ? sa->policy->name : "";
        if (sa->grant) {
            tmpl.radius_class = sa->grant->authz.class_;
            tmpl.radius_class_len = sa->grant->authz.class_len;
        }
        snprintf(encryption, sizeof(encryption), "ESP %s, IKE %s", esp, suite);
        tmpl.encryption = encryption;
        r = ikev2_sa_start_policy_timer(sa);
        if (r < 0)
            log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot watch the idle and session timeouts: %s",
                            strerror(-r));
        r = session_add(ike->sessions, &tmpl, &sa->session);
        if (r < 0)
            log_error_ctx(&ctx, CONFIG_SUBSYS_IKE, "cannot register the session: %s", strerror(-r));
        else {
            inet_ntop(sa->address.family, sa->address.family == AF_INET ? (const void *)&sa->address.in
                      : (const void *)&sa->address.in6, addr, sizeof(addr));
            if (sa->has_address6) {
                snprintf(addr6, sizeof(addr6), ", IPv6 address ");
                inet_ntop(AF_INET6, &sa->address6.in6, addr6 + strlen(addr6), sizeof(addr6) - strlen(addr6));
            }
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKE, "session up: user %s, address %s%s, session %u", sa->identity,
                         addr, addr6, sa->session->index);
            (void)session_enforce_login_limit(ike->sessions, sa->session, sa->policy ?
                                              sa->policy->simultaneous_logins : CONFIG_SIMULTANEOUS_LOGINS_DEFAULT);
        }
    }
    free(res);
}
