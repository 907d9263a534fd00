/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Xauth against RADIUS: the user name and password of the client's REPLY
 * go to the tunnel group's authentication-server-group as a PAP
 * Access-Request (RFC 2865 5.2). Access-Accept: the SET with OK, the
 * session authorized by what the server sent (aaa-authorize.c).
 * Access-Reject: the attempt failed, the log names the server's
 * Reply-Message. Access-Challenge (one-time passwords, "next token"): the
 * server's Reply-Message goes to the user in XAUTH_MESSAGE with a new
 * REQUEST, and the answer goes back with the server's State. No server
 * answering fails the client (or, with authentication-fallback-local,
 * checks the local users); other clients are not held up meanwhile.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikev1-sa.h"

#define XAUTH_RADIUS_TEXT_MAX 256

struct ikev1_xauth_radius {
    struct aaa_pending *pending;
    char name[XAUTH_RADIUS_TEXT_MAX];
    char password[XAUTH_RADIUS_TEXT_MAX];   /* for the local fallback; wiped when answered */
    uint8_t state[AAA_ATTR_MAX];            /* of the last Access-Challenge */
    size_t state_len;
};

void ikev1_xauth_radius_free(struct ikev1_isakmp_sa *sa)
{
    struct ikev1_xauth_radius *x = sa->xauth_radius;
    if (!x)
        return;
    aaa_cancel(x->pending);
    crypto_wipe(x, sizeof(*x));
    free(x);
    sa->xauth_radius = NULL;
}

static const char *group_name(const struct ikev1_isakmp_sa *sa)
{
    return sa->group->authentication_server_group->name;
}

static void accepted(struct ikev1_isakmp_sa *sa, const struct aaa_result *res)
{
    struct ikev1_xauth_radius *x = sa->xauth_radius;
    struct log_ctx ctx;
    char addr[INET_ADDRSTRLEN] = "";

    ikev1_sa_log_ctx(sa, &ctx);
    ctx.user = x->name;
    struct aaa_grant *grant = aaa_grant_new(&res->authz, x->name, sa->group->group_policy);
    if (!grant) {
        ikev1_sa_terminate(sa, true, "out of memory");
        return;
    }
    if (grant->policy && !(grant->policy->protocols & CONFIG_PROTOCOL_IKEV1)) {
        sa->ike->stats.xauth_failures++;
        log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, user '%s', tunnel group %s: "
                       "Xauth: RADIUS server %s accepted, but group policy %s does not allow IKEv1", sa->peer,
                       x->name, sa->group->name, res->server, grant->policy->name);
        aaa_grant_free(grant);
        ikev1_xauth_radius_free(sa);
        ikev1_xauth_attempt_failed(sa, true);
        return;
    }
    if (res->authz.policy_value[0] && !res->authz.group_policy)
        log_info_ctx(&ctx, CONFIG_SUBSYS_AUTH, "user %s: RADIUS %s '%s' is not in the group-policy-map of "
                     "aaa-server-group %s: tunnel group policy %s", x->name,
                     sa->group->authentication_server_group->group_policy_attribute == 25 ? "Class" : "Filter-Id",
                     res->authz.policy_value, group_name(sa), sa->group->group_policy->name);
    aaa_grant_free(sa->grant);
    sa->grant = grant;
    sa->policy = grant->policy;
    snprintf(sa->user, sizeof(sa->user), "%s", x->name);
    ikev1_user_known(sa);
    ikev1_sa_log_ctx(sa, &ctx);
    if (res->authz.has_address)
        inet_ntop(AF_INET, &res->authz.address, addr, sizeof(addr));
    log_info_ctx(&ctx, CONFIG_SUBSYS_AUTH, "Xauth: user %s authenticated by RADIUS server %s (peer %s, tunnel "
                 "group %s): group policy %s%s%s, session timeout %u s, idle timeout %u s", sa->user, res->server,
                 sa->peer, sa->group->name, sa->policy ? sa->policy->name : "(none)", addr[0] ? ", address " : "",
                 addr, sa->policy ? sa->policy->session_timeout : 0, sa->policy ? sa->policy->idle_timeout : 0);
    ikev1_xauth_radius_free(sa);
    ikev1_xauth_send_status(sa, true);
}

static void on_answer(const struct aaa_result *res, void *userdata)
{
    struct ikev1_isakmp_sa *sa = userdata;
    struct ikev1_xauth_radius *x = sa->xauth_radius;
    struct log_ctx ctx;

    x->pending = NULL;
    ikev1_sa_log_ctx(sa, &ctx);
    ctx.user = x->name;
    switch (res->verdict) {
    case AAA_ACCEPT:
        accepted(sa, res);
        return;
    case AAA_CHALLENGE:
        /* The State belongs to this exchange: the next REPLY echoes it. */
        memcpy(x->state, res->state, res->state_len);
        x->state_len = res->state_len;
        crypto_wipe(x->password, sizeof(x->password));
        log_info_ctx(&ctx, CONFIG_SUBSYS_AUTH, "Xauth: RADIUS server %s challenges user %s (peer %s, tunnel group "
                     "%s): \"%s\"", res->server, x->name, sa->peer, sa->group->name,
                     res->reply[0] ? res->reply : "(no prompt)");
        ikev1_xauth_send_request(sa, res->reply[0] ? res->reply : "Enter the next code.");
        return;
    case AAA_REJECT:
        sa->xauth_attempts++;
        sa->ike->stats.xauth_failures++;
        log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, user '%s', tunnel group %s: Xauth: "
                       "RADIUS server %s rejected: %s (attempt %u of %u)", sa->peer, x->name, sa->group->name,
                       res->server, res->reply[0] ? res->reply : "no Reply-Message", sa->xauth_attempts,
                       ikev1_xauth_max_attempts(sa));
        ikev1_xauth_radius_free(sa);
        ikev1_xauth_attempt_failed(sa, false);
        return;
    case AAA_ERROR:
        break;
    }
    if (sa->group->authentication_fallback_local) {
        char name[XAUTH_RADIUS_TEXT_MAX], password[XAUTH_RADIUS_TEXT_MAX];
        log_warning_ctx(&ctx, CONFIG_SUBSYS_AUTH, "Xauth: no RADIUS answer for user %s (peer %s, tunnel group %s, "
                        "%s): %s; falling back to the local users", x->name, sa->peer, sa->group->name,
                        res->server, res->reply);
        memcpy(name, x->name, sizeof(name));
        memcpy(password, x->password, sizeof(password));
        ikev1_xauth_radius_free(sa);
        ikev1_xauth_check_local(sa, name, password);
        crypto_wipe(password, sizeof(password));
        return;
    }
    sa->ike->stats.xauth_failures++;
    log_warning_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, user '%s', tunnel group %s: Xauth: "
                    "RADIUS unavailable (%s): %s", sa->peer, x->name, sa->group->name, res->server, res->reply);
    ikev1_xauth_radius_free(sa);
    ikev1_xauth_attempt_failed(sa, true);
}

void ikev1_xauth_radius_check(struct ikev1_isakmp_sa *sa, const char *name, const char *password)
{
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    struct ikev1_xauth_radius *x = sa->xauth_radius;
    if (!x && !(x = sa->xauth_radius = calloc(1, sizeof(*x)))) {
        ikev1_sa_terminate(sa, true, "out of memory");
        return;
    }
    /* A challenge's State only goes with the user it challenged. */
    if (x->state_len && strcmp(x->name, name) != 0)
        x->state_len = 0;
    snprintf(x->name, sizeof(x->name), "%s", name);
    snprintf(x->password, sizeof(x->password), "%s", password);
    char peer[IKEV1_PEER_TEXT_MAX];
    snprintf(peer, sizeof(peer), "%s", sa->peer);
    char *colon = strrchr(peer, ':');
    if (colon && !strchr(peer, '['))
        *colon = '\0';      /* Calling-Station-Id: the address alone */
    struct aaa_request req = {
        .group = sa->group, .user = x->name, .peer = peer, .password = x->password,
        .state = x->state_len ? x->state : NULL, .state_len = x->state_len,
    };
    sa->xauth_step = XAUTH_CHECKING;
    int r = aaa_authenticate(sa->ike->aaa, &req, on_answer, sa, &x->pending);
    x->state_len = 0;
    if (r < 0) {
        struct aaa_result res = { .verdict = AAA_ERROR, .error = r };
        snprintf(res.reply, sizeof(res.reply), "cannot send the Access-Request: %s", strerror(-r));
        snprintf(res.server, sizeof(res.server), "aaa-server-group %s", group_name(sa));
        on_answer(&res, sa);
        return;
    }
    log_debug_ctx(&ctx, CONFIG_SUBSYS_AUTH, 1, "Xauth: user %s sent to aaa-server-group %s", x->name, group_name(sa));
}
