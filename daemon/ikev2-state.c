/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKE SA's state changes, logged at debug level 1 (ikev2) so that an
 * operator chasing one client sees where its negotiation stopped.
 */
#include "ikev2-sa.h"

const char *ikev2_sa_state_name(enum ikev2_sa_state state)
{
    switch (state) {
    case IKEV2_SA_INIT_PENDING: return "INIT_PENDING";
    case IKEV2_SA_INIT_DONE:    return "INIT_DONE";
    case IKEV2_SA_ESTABLISHED:  return "ESTABLISHED";
    case IKEV2_SA_DELETING:     return "DELETING";
    case IKEV2_SA_DELETED:      return "DELETED";
    }
    return "?";
}

void ikev2_sa_set_state(struct ikev2_ike_sa *sa, enum ikev2_sa_state state, const char *why)
{
    if (log_debug_enabled(CONFIG_SUBSYS_IKEV2, 1)) {
        struct log_ctx ctx;
        ikev2_sa_log_ctx(sa, &ctx);
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "IKE SA %016llx_i %016llx_r state %s -> %s%s%s",
                      (unsigned long long)sa->ispi, (unsigned long long)sa->rspi,
                      ikev2_sa_state_name(sa->state), ikev2_sa_state_name(state), why ? ": " : "", why ? why : "");
    }
    sa->state = state;
}
