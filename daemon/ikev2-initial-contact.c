/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * INITIAL_CONTACT (RFC 7296 2.4): a client that sends it in IKE_AUTH says
 * it has no other IKE SA with us, for instance after a reboot. Whatever
 * vpnd still holds for the same identity in the same tunnel group is stale:
 * those sessions end (CHILD SAs, policies, route, lease) without a DELETE,
 * which the client could not read anyway.
 */
#include <stdio.h>

#include "ikev2-initiator.h"
#include "ikev2-wire.h"

/* Sessions are collected this many at a time, in rounds until none is left
 * (ending one changes the user's list). */
#define INITIAL_CONTACT_BATCH 16

void ikev2_initial_contact(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner)
{
    if (!ikev2_notify_find(inner, IKEV2_N_INITIAL_CONTACT) || !sa->group)
        return;
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    unsigned ended = 0;
    for (;;) {
        struct session *found[INITIAL_CONTACT_BATCH];
        size_t n = session_find_by_user(sa->ike->sessions, sa->group->name, sa->identity, found,
                                        INITIAL_CONTACT_BATCH);
        size_t victims = 0;
        if (n > INITIAL_CONTACT_BATCH)
            n = INITIAL_CONTACT_BATCH;
        for (size_t i = 0; i < n; i++) {
            struct ikev2_ike_sa *old = found[i]->owner;
            if (found[i]->protocol != SESSION_IKEV2 || !old || old == sa)
                continue;
            victims++;
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "INITIAL_CONTACT from %s: ending the earlier session %u of "
                         "'%s' (from %s)", sa->peer, found[i]->index, sa->identity, old->peer);
            ikev2_ike_sa_terminate(sa->ike, old, false, "replaced: the client made initial contact again");
            ended++;
        }
        if (victims == 0)
            break;
    }
    if (!ended)
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "INITIAL_CONTACT: no earlier session of '%s'", sa->identity);
}
