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

#include "ikev2-auth.h"
#include "ikev2-cp.h"
#include "ikev2-half-open.h"
#include "ikev2-initiator.h"
#include "ikev2-sa.h"
#include "ikev2-ts.h"
#include "ikev2-wire.h"
#include "vpnd-build.h"

static uint64_t now_usec(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

/* The peer's identity as text, and its type for the tunnel-group lookup.
 * Returns 0, or -EINVAL for an identity that is not printable text (or a
 * type vpnd cannot match yet: DER DNs come with certificates). */
static int identity_text(const struct ikev2_id *id, char *buf, size_t size, enum config_identity_type *type,
                         struct config_address *addr)
{
    memset(addr, 0, sizeof(*addr));
    switch (id->type) {
    case IKEV2_ID_IPV4_ADDR:
        if (id->len != 4)
            return -EINVAL;
        addr->family = AF_INET;
        memcpy(&addr->in, id->data, 4);
        inet_ntop(AF_INET, &addr->in, buf, (socklen_t)size);
        *type = CONFIG_ID_ADDRESS;
        return 0;
    case IKEV2_ID_IPV6_ADDR:
        if (id->len != 16)
            return -EINVAL;
        addr->family = AF_INET6;
        memcpy(&addr->in6, id->data, 16);
        inet_ntop(AF_INET6, &addr->in6, buf, (socklen_t)size);
        *type = CONFIG_ID_ADDRESS;
        return 0;
    case IKEV2_ID_FQDN:
        *type = CONFIG_ID_FQDN;
        break;
    case IKEV2_ID_RFC822_ADDR:
        *type = CONFIG_ID_EMAIL;
        break;
    case IKEV2_ID_KEY_ID:
        *type = CONFIG_ID_KEY_ID;
        break;
    default:
        return -EOPNOTSUPP;
    }
    if (id->len >= size)
        return -EINVAL;
    for (size_t i = 0; i < id->len; i++)
        if (id->data[i] < 0x20 || id->data[i] == 0x7f)
            return -EINVAL;
    memcpy(buf, id->data, id->len);
    buf[id->len] = '\0';
    return 0;
}

static void auth_failed(struct ikev2_ike_sa *sa, uint32_t mid, const char *identity, const char *reason)
{
    struct log_ctx ctx;
    uint8_t inner[16];
    struct ikev2_builder b;
    size_t len = 0;

    ikev2_sa_log_ctx(sa, &ctx);
    log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, identity '%s', tunnel group %s: %s",
                   sa->peer, identity ? identity : "", sa->group ? sa->group->name : "(none)", reason);
    ikev2_builder_init(&b, inner, sizeof(inner));
    ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
    if (ikev2_builder_finish(&b, &len) >= 0)
        (void)ikev2_send_encrypted(sa, IKEV2_EXCHANGE_IKE_AUTH, true, mid, inner, len, IKEV2_PAYLOAD_NOTIFY);
    ikev2_ike_sa_terminate(sa->ike, sa, false, "authentication failed");
}

struct child_result {
    uint16_t notify;                    /* 0: CHILD SA installed */
    bool has_cp;
    struct ikev2_cp_reply cp;
    struct ikev2_ts_selector tsi;
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
        res->notify = IKEV2_N_NO_PROPOSAL_CHOSEN;
        goto out;
    }

    /* The inner address. */
    const struct config_user *user = config_user_find(sa->config, sa->identity);
    const char *exhausted = NULL;
    uint64_t in_use = 0;
    r = ike_address_acquire(ike, sa->group, user, sa->identity, &sa->address, &sa->pool, &exhausted, &in_use);
    if (r < 0) {
        if (r == -ENOSPC)
            log_notice_ctx(&ctx, CONFIG_SUBSYS_POOL, "no address for %s: pool '%s' exhausted (%llu addresses "
                           "in use): INTERNAL_ADDRESS_FAILURE", sa->identity, exhausted ? exhausted : "(none)",
                           (unsigned long long)in_use);
        else
            log_notice_ctx(&ctx, CONFIG_SUBSYS_POOL, "no address for %s: %s: INTERNAL_ADDRESS_FAILURE",
                           sa->identity, sa->group->n_pools ? strerror(-r) : "the tunnel group has no pool");
        res->notify = IKEV2_N_INTERNAL_ADDRESS_FAILURE;
        goto out;
    }
    sa->has_address = true;
    struct in_addr netmask = { 0 };
    if (user && user->has_address)
        netmask = user->has_netmask ? user->netmask : (struct in_addr){ htonl(UINT32_MAX) };
    else if (sa->pool)
        netmask = pool_config(sa->pool)->netmask;

    /* Traffic selectors. */
    const struct config_prefix *nets = NULL;
    size_t n_nets = 0;
    if (sa->policy && sa->policy->split_tunnel == CONFIG_SPLIT_TUNNEL_INCLUDE) {
        nets = sa->policy->split_networks;
        n_nets = sa->policy->n_split_networks;
    }
    if (ikev2_narrow_tsi(tsi, sa->address.in, &res->tsi) < 0 ||
        (res->n_tsr = ikev2_narrow_tsr(tsr, nets, n_nets, res->tsr, IKEV2_TS_OUT_MAX)) == 0) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "traffic selectors do not cover the assigned address or the "
                     "networks of group policy %s: TS_UNACCEPTABLE", sa->policy ? sa->policy->name : "(none)");
        res->notify = IKEV2_N_TS_UNACCEPTABLE;
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
    c->route_ifindex = sa->ifindex;
    for (size_t i = 0; i < res->n_tsr && c->n_networks < CHILD_SA_MAX_NETWORKS; i++)
        c->n_networks += ikev2_ts_to_prefixes(&res->tsr[i], &c->networks[c->n_networks],
                                              CHILD_SA_MAX_NETWORKS - c->n_networks);
    char err[300];
    r = child_sa_allocate_spi(ike_xfrm(ike), c, err, sizeof(err));
    if (r >= 0) {
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
            r = child_sa_install(ike_xfrm(ike), ike->routes, c, &params, err, sizeof(err));
        }
        crypto_child_keys_wipe(&keys);
        if (r < 0)
            (void)child_sa_remove(ike_xfrm(ike), ike->routes, c);
    }
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA not installed: %s", err);
        res->notify = IKEV2_N_TEMPORARY_FAILURE;
        goto release;
    }
    sa->has_child = true;
    sa->tsi = res->tsi;
    memcpy(sa->tsr, res->tsr, res->n_tsr * sizeof(res->tsr[0]));
    sa->n_tsr = res->n_tsr;

    char version[64];
    snprintf(version, sizeof(version), "vpnd %s", VPND_VERSION);
    r = ikev2_cp_build_reply(cp, &sa->address, netmask, sa->policy, version, &res->cp);
    if (r < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "configuration reply truncated: %s", strerror(-r));
    for (size_t i = 0; i < res->cp.n_ignored; i++)
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "configuration attribute %u not supported, ignored",
                      res->cp.ignored[i]);
    res->has_cp = true;
    goto out;

release:
    ike_address_release(ike, sa->pool, &sa->address);
    sa->has_address = false;
out:
    free(cp);
    free(offered);
    free(tsi);
    free(tsr);
}

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
    const struct ikev2_payload *p_id = ikev2_payload_find(inner, IKEV2_PAYLOAD_IDI);
    const struct ikev2_payload *p_auth = ikev2_payload_find(inner, IKEV2_PAYLOAD_AUTH);
    if (!p_id || ikev2_id_decode(p_id, &id, &st) < 0) {
        auth_failed(sa, mid, NULL, "no valid IDi payload");
        return;
    }
    int r = identity_text(&id, identity, sizeof(identity), &id_type, &id_addr);
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
    snprintf(sa->identity, sizeof(sa->identity), "%s", identity);
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
    if (!p_auth) {
        auth_failed(sa, mid, identity, "no AUTH payload (EAP is not available for this tunnel group)");
        return;
    }
    if (ikev2_auth_decode(p_auth, &auth, &st) < 0) {
        auth_failed(sa, mid, identity, "malformed AUTH payload");
        return;
    }
    const struct ikev2_peer_auth_method *method = ikev2_peer_auth_method(group->auth);
    const struct ikev2_local_auth_method *local = ikev2_local_auth_method(group->local_auth);
    if (!method || !local) {
        auth_failed(sa, mid, identity, "the tunnel group's authentication method is not available in this build");
        return;
    }
    struct ikev2_auth_context actx = {
        .keys = &sa->keys,
        .group = group,
        .input = { .initiator = true, .message = sa->init_request, .message_len = sa->init_request_len,
                   .nonce = sa->nr, .nonce_len = sa->nr_len, .id_body = id.body, .id_body_len = id.body_len },
    };
    char reason[IKEV2_AUTH_REASON_MAX] = "";
    r = method->verify(&actx, &auth, reason, sizeof(reason));
    if (r <= 0) {
        if (r < 0)
            snprintf(reason, sizeof(reason), "cannot check AUTH: %s", strerror(-r));
        auth_failed(sa, mid, identity, reason);
        return;
    }
    const struct config_user *user = config_user_find(sa->config, identity);
    sa->policy = user && user->group_policy ? user->group_policy : group->group_policy;
    if (sa->policy && !(sa->policy->protocols & CONFIG_PROTOCOL_IKEV2)) {
        snprintf(reason, sizeof(reason), "group policy %s does not allow IKEv2", sa->policy->name);
        auth_failed(sa, mid, identity, reason);
        return;
    }

    /* Our identity: the address the client talks to. */
    uint8_t idr_body[4 + 16];
    size_t idr_len;
    uint8_t idr_type;
    memset(idr_body, 0, sizeof(idr_body));
    if (sa->local.sa.sa_family == AF_INET) {
        idr_type = IKEV2_ID_IPV4_ADDR;
        memcpy(idr_body + 4, &sa->local.in.sin_addr, 4);
        idr_len = 8;
    } else {
        idr_type = IKEV2_ID_IPV6_ADDR;
        memcpy(idr_body + 4, &sa->local.in6.sin6_addr, 16);
        idr_len = 20;
    }
    idr_body[0] = idr_type;
    uint8_t our_auth[IKEV2_AUTH_DATA_MAX];
    uint8_t our_method = 0;
    actx.input = (struct crypto_auth_input){ .initiator = false, .message = sa->init_response,
                                             .message_len = sa->init_response_len, .nonce = sa->ni,
                                             .nonce_len = sa->ni_len, .id_body = idr_body, .id_body_len = idr_len };
    int auth_len = local->sign(&actx, &our_method, our_auth, sizeof(our_auth));
    if (auth_len < 0) {
        snprintf(reason, sizeof(reason), "cannot compute our AUTH: %s", strerror(-auth_len));
        auth_failed(sa, mid, identity, reason);
        return;
    }

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
    ikev2_build_id(&b, IKEV2_PAYLOAD_IDR, idr_type, idr_body + 4, idr_len - 4);
    ikev2_build_auth(&b, our_method, our_auth, (size_t)auth_len);
    crypto_wipe(our_auth, sizeof(our_auth));
    if (res->notify == 0) {
        struct ikev2_transform tr[4];
        uint8_t spi[4];
        struct ikev2_proposal pr = { .number = sa->esp.number, .protocol = IKEV2_PROTOCOL_ESP, .spi_size = 4 };
        ikev2_put32(spi, sa->child.spi_in);
        memcpy(pr.spi, spi, 4);
        pr.n_transforms = ikev2_esp_choice_transforms(&sa->esp, tr);
        ikev2_build_cp(&b, IKEV2_CFG_REPLY, res->cp.attrs, res->cp.n);
        ikev2_build_sa_proposal(&b, &pr, tr);
        ikev2_build_ts(&b, IKEV2_PAYLOAD_TSI, &res->tsi, 1);
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
    sa->state = IKEV2_SA_ESTABLISHED;
    ike->stats.half_open--;
    ike->stats.established++;
    sa->timer = sd_event_source_disable_unref(sa->timer);
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
    free(sa->init_response);
    sa->init_response = NULL;

    if (sa->has_child) {
        char tsi[64], tsr[64], esp[80], addr[INET6_ADDRSTRLEN];
        ikev2_esp_choice_format(&sa->esp, esp, sizeof(esp));
        ikev2_ts_format(&res->tsi, tsi, sizeof(tsi));
        ikev2_ts_format(&res->tsr[0], tsr, sizeof(tsr));
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA installed: spi in 0x%08x out 0x%08x, %s, TS %s === %s%s%s",
                     sa->child.spi_in, sa->child.spi_out, esp, tsi, tsr, res->n_tsr > 1 ? " (and more)" : "",
                     sa->child.encap ? ", ESP in UDP" : "");
        struct session tmpl = {
            .protocol = SESSION_IKEV2,
            .address = sa->address,
            .remote = sa->remote,
            .local = sa->local,
            .natt = sa->nat_detected,
            .login_realtime = now_usec(CLOCK_REALTIME),
            .login_monotonic = now_usec(CLOCK_MONOTONIC),
            .ops = NULL,
            .owner = sa,
        };
        static const struct session_ops ops = { ikev2_session_counters, ikev2_session_terminate };
        tmpl.ops = &ops;
        snprintf(tmpl.user, sizeof(tmpl.user), "%s", sa->identity);
        snprintf(tmpl.tunnel_group, sizeof(tmpl.tunnel_group), "%s", group->name);
        snprintf(tmpl.group_policy, sizeof(tmpl.group_policy), "%s", sa->policy ? sa->policy->name : "");
        snprintf(tmpl.encryption, sizeof(tmpl.encryption), "ESP %s, IKE %s", esp, suite);
        r = ikev2_sa_start_policy_timer(sa);
        if (r < 0)
            log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot watch the idle and session timeouts: %s",
                            strerror(-r));
        r = session_add(ike->sessions, &tmpl, &sa->session);
        if (r < 0)
            log_error_ctx(&ctx, CONFIG_SUBSYS_IKE, "cannot register the session: %s", strerror(-r));
        else {
            inet_ntop(AF_INET, &sa->address.in, addr, sizeof(addr));
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKE, "session up: user %s, address %s, session %u", sa->identity,
                         addr, sa->session->index);
        }
    }
    free(res);
}
