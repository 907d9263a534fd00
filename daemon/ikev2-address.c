/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The inner addresses of an IKEv2 remote-access client (RFC 7296 2.19):
 * which families it gets, from which pools, and the TSi that goes with them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ikev2-sa.h"

int ikev2_lease_addresses(struct ikev2_ike_sa *sa, const struct ikev2_cp *cp, struct ikev2_cp_assigned *assigned)
{
    struct log_ctx ctx;
    struct ike *ike = sa->ike;
    bool want4, want6;
    const char *exhausted = NULL;
    uint64_t in_use = 0;
    int r;

    ikev2_sa_log_ctx(sa, &ctx);
    memset(assigned, 0, sizeof(*assigned));
    ikev2_cp_wanted_families(cp, &want4, &want6);
    const struct config_user *user = sa->grant ? &sa->grant->user : config_user_find(sa->config, sa->identity);
    if (want4)
        r = ike_address_acquire(ike, sa->group, user, sa->identity, &sa->address, &sa->pool, &exhausted, &in_use);
    else {
        /* IPv6 only; a group without IPv6 pools still gives IPv4. */
        r = ike_address_acquire6(ike, sa->group, sa->identity, &sa->address, &sa->pool, &exhausted, &in_use);
        if (r == -ENOENT)
            r = ike_address_acquire(ike, sa->group, user, sa->identity, &sa->address, &sa->pool, &exhausted,
                                    &in_use);
    }
    if (r < 0) {
        if (r == -ENOSPC)
            log_notice_ctx(&ctx, CONFIG_SUBSYS_POOL, "no address for %s: pool '%s' exhausted (%llu addresses "
                           "in use): INTERNAL_ADDRESS_FAILURE", sa->identity, exhausted ? exhausted : "(none)",
                           (unsigned long long)in_use);
        else
            log_notice_ctx(&ctx, CONFIG_SUBSYS_POOL, "no address for %s: %s: INTERNAL_ADDRESS_FAILURE",
                           sa->identity, sa->group->n_pools ? strerror(-r) : "the tunnel group has no pool");
        return r;
    }
    sa->has_address = true;
    if (want4 && want6) {
        r = ike_address_acquire6(ike, sa->group, sa->identity, &sa->address6, &sa->pool6, &exhausted, &in_use);
        if (r >= 0)
            sa->has_address6 = true;
        else if (r == -ENOSPC)
            log_notice_ctx(&ctx, CONFIG_SUBSYS_POOL, "no IPv6 address for %s: pool '%s' exhausted; IPv4 only",
                           sa->identity, exhausted ? exhausted : "(none)");
        else
            log_info_ctx(&ctx, CONFIG_SUBSYS_POOL, "no IPv6 address for %s: %s; IPv4 only", sa->identity,
                         r == -ENOENT ? "the tunnel group has no IPv6 pool" : strerror(-r));
    }

    if (sa->address.family == AF_INET) {
        assigned->has_ip4 = true;
        assigned->ip4 = sa->address.in;
        if (user && user->has_address && (user->has_netmask || !sa->pool))
            assigned->netmask = user->has_netmask ? user->netmask : (struct in_addr){ htonl(UINT32_MAX) };
        else if (sa->pool)
            assigned->netmask = pool_config(sa->pool)->netmask;
    }
    const struct config_address *v6 = sa->address.family == AF_INET6 ? &sa->address
                                      : sa->has_address6 ? &sa->address6 : NULL;
    struct pool *v6_pool = sa->address.family == AF_INET6 ? sa->pool : sa->pool6;
    if (v6) {
        assigned->has_ip6 = true;
        assigned->ip6 = v6->in6;
        assigned->ip6_prefix_len = v6_pool ? (uint8_t)pool_config(v6_pool)->prefix_len : 128;
    }
    return 0;
}

void ikev2_release_addresses(struct ikev2_ike_sa *sa)
{
    if (sa->has_address) {
        ike_address_release(sa->ike, sa->pool, &sa->address);
        sa->has_address = false;
    }
    if (sa->has_address6) {
        ike_address_release(sa->ike, sa->pool6, &sa->address6);
        sa->has_address6 = false;
    }
}

int ikev2_narrow_tsi_to_addresses(struct ikev2_ike_sa *sa, const struct ikev2_ts *offered,
                                  struct ikev2_cp_assigned *assigned, struct ikev2_ts_selector *out, size_t *n_out,
                                  unsigned *families)
{
    *n_out = 0;
    *families = 0;
    if (ikev2_narrow_tsi(offered, &sa->address, &out[0]) < 0)
        return -ENOENT;
    *n_out = 1;
    *families = sa->address.family == AF_INET ? IKEV2_TS_FAMILY_IP4 : IKEV2_TS_FAMILY_IP6;
    if (!sa->has_address6)
        return 0;
    if (ikev2_narrow_tsi(offered, &sa->address6, &out[1]) >= 0) {
        *n_out = 2;
        *families |= IKEV2_TS_FAMILY_IP6;
        return 0;
    }
    /* The client offered no IPv6 source: it cannot use the address. */
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "TSi offers no IPv6 range: IPv4 only");
    ike_address_release(sa->ike, sa->pool6, &sa->address6);
    sa->has_address6 = false;
    assigned->has_ip6 = false;
    return 0;
}
