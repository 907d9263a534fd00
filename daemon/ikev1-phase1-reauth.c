/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Phase 1 re-authentication. IKEv1 has no rekeying of an ISAKMP SA: before
 * its lifetime ends the client runs a new Main or Aggressive Mode, Xauth
 * and Mode Config (strongSwan's reauth_time; the Cisco VPN Client's phase 1
 * rekey), asks for the address it has, and moves its IPsec SAs over to the
 * new ISAKMP SA without a new Quick Mode (strongSwan migrates its CHILD
 * SAs; later rekeys run under the new SA). The session moves with it:
 * same address, same IPsec SAs in the kernel, same session number, so not
 * a packet is lost. The old ISAKMP SA stays without them until the client
 * deletes it or its lifetime ends; then only the ISAKMP SA goes. A client
 * that does not re-authenticate loses its session when the ISAKMP SA's
 * lifetime ends, as with a Cisco head end (ikev1_lifetime_start()).
 *
 * The same user from the same address, in the same tunnel group and with
 * its password checked again, is the same client: a second device of the
 * user comes from elsewhere and gets a session of its own (the group
 * policy's simultaneous-logins). INITIAL-CONTACT, which says the client
 * has nothing left, ended the old SA before we get here.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ikev1-sa.h"

struct find_predecessor {
    struct ikev1_isakmp_sa *sa, *found;
};

static bool same_host(const union ike_sockaddr *a, const union ike_sockaddr *b)
{
    if (a->sa.sa_family != b->sa.sa_family)
        return false;
    if (a->sa.sa_family == AF_INET)
        return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
    return memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr)) == 0;
}

static int check_session(struct session *s, void *userdata)
{
    struct find_predecessor *f = userdata;
    struct ikev1_isakmp_sa *old = s->owner;
    if (s->protocol != SESSION_IKEV1 || !old || old == f->sa || old->state != IKEV1_SA_READY || !old->has_address)
        return 0;
    if (!old->group || strcmp(old->group->name, f->sa->group->name) != 0 || !same_host(&old->remote, &f->sa->remote))
        return 0;
    f->found = old;
    return -1;          /* stop: the user's oldest such session */
}

bool ikev1_reauth_adopt(struct ikev1_isakmp_sa *sa)
{
    struct ike *ike = sa->ike;
    struct find_predecessor f = { .sa = sa };
    if (!sa->user[0] || sa->has_address || sa->session)
        return false;
    (void)session_foreach_user(ike->sessions, sa->user, check_session, &f);
    struct ikev1_isakmp_sa *old = f.found;
    if (!old)
        return false;

    struct log_ctx ctx;
    char addr[INET_ADDRSTRLEN];
    ikev1_sa_log_ctx(sa, &ctx);
    inet_ntop(AF_INET, &old->address.in, addr, sizeof(addr));

    sa->address = old->address;
    sa->netmask = old->netmask;
    sa->pool = old->pool;
    sa->has_address = true;
    old->has_address = false;
    free(sa->children);                 /* none yet: the new SA has had no Quick Mode */
    sa->children = old->children;       /* moves */
    sa->n_children = old->n_children;
    sa->children_cap = old->children_cap;
    old->children = NULL;
    old->n_children = 0;
    old->children_cap = 0;
    /* The client's ESP follows its IKE port (a NAT may have given the new
     * ISAKMP SA another mapping). */
    for (size_t i = 0; i < sa->n_children; i++) {
        struct ikev1_child *ch = &sa->children[i];
        char err[300];
        if (ike_sockaddr_equal(&ch->sa.remote, &sa->remote))
            continue;
        if (child_sa_update_remote(ike_xfrm(ike), &ch->sa, &sa->remote, err, sizeof(err)) < 0)
            log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "IPsec SA spi in 0x%08x: %s", ch->sa.spi_in, err);
        if (ch->has_old)
            (void)child_sa_update_remote(ike_xfrm(ike), &ch->old, &sa->remote, err, sizeof(err));
    }

    sa->session = old->session;
    old->session = NULL;
    sa->session->owner = sa;
    sa->session->remote = sa->remote;
    sa->session->local = sa->local;
    sa->session->natt = sa->nat_detected;
    uint64_t established = old->established_usec;
    struct session_activity activity = old->activity;
    old->policy_timer = sd_event_source_disable_unref(old->policy_timer);
    old->dpd_timer = sd_event_source_disable_unref(old->dpd_timer);
    int r = ikev1_start_policy_timer(sa);
    sa->established_usec = established;         /* session-timeout counts from the login */
    sa->activity = activity;                    /* the idle time goes on across the re-authentication */
    if (r < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot watch the idle and session timeouts: %s", strerror(-r));

    log_info_ctx(&ctx, CONFIG_SUBSYS_IKE, "user %s re-authenticated: ISAKMP SA %s takes over session %u (address "
                 "%s, %zu IPsec SA pairs) from ISAKMP SA %s", sa->user, sa->name, sa->session->index, addr,
                 sa->n_children, old->name);
    return true;
}

bool ikev1_reauth_pending(struct ikev1_isakmp_sa *sa)
{
    struct ikev1_isakmp_sa *newer = sa->user[0] ? hashmap_get_str(sa->ike->ikev1_users, sa->user) : NULL;
    return newer && newer != sa && (newer->state == IKEV1_SA_XAUTH || newer->state == IKEV1_SA_MODECFG) &&
           newer->group && sa->group && strcmp(newer->group->name, sa->group->name) == 0 &&
           same_host(&newer->remote, &sa->remote);
}
