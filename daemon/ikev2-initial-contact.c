/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * INITIAL_CONTACT (RFC 7296 2.4): a client that sends it in IKE_AUTH says
 * it has no other IKE SA with us, for instance after a reboot. Whatever
 * vpnd still holds for the same identity in the same tunnel group is stale:
 * those sessions end (CHILD SAs, policies, route, lease) without a DELETE,
 * which the client could not read anyway. The user's sessions are found
 * by hash (session_foreach_user).
 */
#include <stdio.h>
#include <string.h>

#include "ikev2-initiator.h"
#include "ikev2-wire.h"

struct initial_contact {
    struct ikev2_ike_sa *sa;            /* the one that made contact */
    const struct log_ctx *ctx;
    unsigned ended;
};

static int end_stale(struct session *s, void *userdata)
{
    struct initial_contact *ic = userdata;
    struct ikev2_ike_sa *old = s->owner;
    if (s->protocol != SESSION_IKEV2 || !old || old == ic->sa ||
        strcmp(s->tunnel_group, ic->sa->group->name) != 0)
        return 0;
    log_info_ctx(ic->ctx, CONFIG_SUBSYS_IKEV2, "INITIAL_CONTACT from %s: ending the earlier session %u of '%s' "
                 "(from %s)", ic->sa->peer, s->index, ic->sa->identity, old->peer);
    session_set_end_cause(old->session, SESSION_END_LOST_CARRIER);     /* the client lost its state */
    ikev2_ike_sa_terminate(old->ike, old, false, "replaced: the client made initial contact again");
    ic->ended++;
    return 0;
}

void ikev2_initial_contact(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner)
{
    if (!ikev2_notify_find(inner, IKEV2_N_INITIAL_CONTACT) || !sa->group)
        return;
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    struct initial_contact ic = { .sa = sa, .ctx = &ctx };
    int r = session_foreach_user(sa->ike->sessions, sa->identity, end_stale, &ic);
    if (r < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "INITIAL_CONTACT: cannot look up the earlier sessions of '%s': %s",
                        sa->identity, strerror(-r));
    else if (!ic.ended)
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "INITIAL_CONTACT: no earlier session of '%s'", sa->identity);
}
