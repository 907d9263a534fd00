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
 * deletes it (through itself, or through the new one naming its cookies)
 * or its lifetime ends; then only the ISAKMP SA goes. A client
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
#include <stdio.h>
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

/* The same client: the same user from the same host in the same tunnel
 * group (the test for the takeover of a session and for a DELETE naming
 * another of the client's ISAKMP SAs). */
static bool same_client(const struct ikev1_isakmp_sa *a, const struct ikev1_isakmp_sa *b)
{
    return a->user[0] && strcmp(a->user, b->user) == 0 && a->group && b->group &&
           strcmp(a->group->name, b->group->name) == 0 && same_host(&a->remote, &b->remote);
}

static int check_session(struct session *s, void *userdata)
{
    struct find_predecessor *f = userdata;
    struct ikev1_isakmp_sa *old = s->owner;
    if (s->protocol != SESSION_IKEV1 || !old || old == f->sa || old->state != IKEV1_SA_READY || !old->has_address)
        return 0;
    if (!same_client(old, f->sa))
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

    memcpy(sa->predecessor_cookies, old->icookie, IKEV1_COOKIE_LEN);
    memcpy(sa->predecessor_cookies + IKEV1_COOKIE_LEN, old->rcookie, IKEV1_COOKIE_LEN);
    snprintf(sa->predecessor_name, sizeof(sa->predecessor_name), "%s", old->name);
    sa->predecessor_delete_due = true;
    sa->session = old->session;
    old->session = NULL;
    sa->session->owner = sa;
    sa->session->remote = sa->remote;
    sa->session->local = sa->local;
    sa->session->natt = sa->nat_detected;
    uint64_t established = old->established_usec;
    struct session_activity activity = old->activity;
    queued_timer_disarm(old->ike->timers, &old->policy_timer);
    queued_timer_disarm(old->ike->timers, &old->dpd_timer);
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
           same_client(newer, sa);
}

static bool deletes_ipsec_sas(const struct ikev1_payload_list *pl)
{
    struct ikev1_parse_status st;
    for (size_t i = 0; i < pl->n; i++) {
        struct ikev1_delete d;
        if (pl->p[i].type == IKEV1_PAYLOAD_DELETE && ikev1_delete_decode(&pl->p[i], &d, &st) >= 0 &&
            d.protocol != IKEV1_PROTO_ISAKMP)
            return true;
    }
    return false;
}

/* vpnc 0.5.3 (as Debian ships it) ends its phase 1 rekey with a DELETE
 * meant for the old ISAKMP SA but naming the new one, under the new one,
 * and goes on using the new one and its IPsec SAs. A client that logs out
 * deletes its IPsec SAs first (vpnc, the Cisco VPN Client, strongSwan,
 * libreswan all do), and in IKEv1 an ISAKMP SA's DELETE does not take the
 * IPsec SAs with it anyway. So the first DELETE naming a re-authenticated
 * SA, while the session's IPsec SAs stay, is taken as the old one's. */
static bool meant_for_predecessor(struct ikev1_isakmp_sa *sa, const struct ikev1_payload_list *pl)
{
    if (!sa->predecessor_delete_due || !sa->session || sa->n_children == 0 || deletes_ipsec_sas(pl))
        return false;
    sa->predecessor_delete_due = false;
    struct ikev1_isakmp_sa *old = hashmap_get(sa->ike->ikev1_sas, sa->predecessor_cookies + IKEV1_COOKIE_LEN,
                                              IKEV1_COOKIE_LEN);
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    log_notice_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "DELETE names this ISAKMP SA right after the client's phase 1 rekey, "
                   "its %zu IPsec SA pairs kept: taken as the delete of the old ISAKMP SA %s%s", sa->n_children,
                   sa->predecessor_name, old ? "" : " (already gone)");
    if (old && old != sa && memcmp(old->icookie, sa->predecessor_cookies, IKEV1_COOKIE_LEN) == 0) {
        char why[96];
        snprintf(why, sizeof(why), "deleted by the client through ISAKMP SA %s", sa->name);
        ikev1_sa_terminate(old, false, why);
    }
    return true;
}

bool ikev1_client_deletes_isakmp_sa(struct ikev1_isakmp_sa *sa, const struct ikev1_delete *d,
                                    const struct ikev1_payload_list *pl)
{
    if (d->spi_size != 2 * IKEV1_COOKIE_LEN) {
        /* No cookie pair: the SA it came under. */
        session_set_end_cause(sa->session, SESSION_END_USER_REQUEST);
        ikev1_sa_terminate(sa, false, "deleted by the client");
        return true;
    }
    struct log_ctx ctx;
    bool itself = false;
    ikev1_sa_log_ctx(sa, &ctx);
    for (uint16_t k = 0; k < d->n_spis; k++) {
        const uint8_t *icookie = d->spis + (size_t)k * d->spi_size, *rcookie = icookie + IKEV1_COOKIE_LEN;
        if (memcmp(icookie, sa->icookie, IKEV1_COOKIE_LEN) == 0 && memcmp(rcookie, sa->rcookie, IKEV1_COOKIE_LEN) == 0) {
            itself = true;
            continue;
        }
        struct ikev1_isakmp_sa *other = hashmap_get(sa->ike->ikev1_sas, rcookie, IKEV1_COOKIE_LEN);
        if (!other || other == sa || memcmp(other->icookie, icookie, IKEV1_COOKIE_LEN) != 0) {
            /* Usually one whose lifetime has just ended here. */
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "DELETE for an ISAKMP SA we do not have (any more)");
            continue;
        }
        /* Only the client's own, as for the takeover of its session. */
        if (!same_client(sa, other)) {
            log_notice_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "DELETE for ISAKMP SA %s of %s ignored: not this client's",
                           other->name, other->peer);
            continue;
        }
        if (memcmp(icookie, sa->predecessor_cookies, 2 * IKEV1_COOKIE_LEN) == 0)
            sa->predecessor_delete_due = false;
        char why[96];
        snprintf(why, sizeof(why), "deleted by the client through ISAKMP SA %s", sa->name);
        session_set_end_cause(other->session, SESSION_END_USER_REQUEST);
        ikev1_sa_terminate(other, false, why);
    }
    if (!itself || meant_for_predecessor(sa, pl))
        return false;
    session_set_end_cause(sa->session, SESSION_END_USER_REQUEST);
    ikev1_sa_terminate(sa, false, "deleted by the client");
    return true;
}
