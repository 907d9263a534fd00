/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The pairs of IPsec SAs of an IKEv1 session. A remote-access client may
 * run one Quick Mode per set of networks (the Cisco VPN Client asks for
 * the gateway's own address and for 0.0.0.0/0 in two Quick Modes), so a
 * session has up to IKEV1_CHILDREN_MAX of them, each with its own reqid
 * and policies; a rekey adds new SAs next to a child's current ones
 * (child.old until the client deletes it). The host route to the client's
 * address belongs to the session, not to one child: it stays while any
 * child is left.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "ikev1-sa.h"

static bool prefix_equal(const struct config_prefix *a, const struct config_prefix *b)
{
    if (a->prefix_len != b->prefix_len || a->addr.family != b->addr.family)
        return false;
    if (a->addr.family == AF_INET)
        return a->addr.in.s_addr == b->addr.in.s_addr;
    return memcmp(&a->addr.in6, &b->addr.in6, sizeof(a->addr.in6)) == 0;
}

struct ikev1_child *ikev1_child_find_networks(struct ikev1_isakmp_sa *sa, const struct config_prefix *networks,
                                              size_t n)
{
    for (size_t i = 0; i < sa->n_children; i++) {
        const struct child_sa *c = &sa->children[i].sa;
        if (c->n_networks != n)
            continue;
        bool same = true;
        for (size_t k = 0; k < n && same; k++)
            same = prefix_equal(&c->networks[k], &networks[k]);
        if (same)
            return &sa->children[i];
    }
    return NULL;
}

void ikev1_child_remove(struct ikev1_isakmp_sa *sa, size_t i, const char *why)
{
    struct ike *ike = sa->ike;
    struct ikev1_child *ch = &sa->children[i];
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    if (ch->has_old)
        (void)child_sa_remove_sas(ike_xfrm(ike), &ch->old);
    bool route = ch->sa.route_installed;
    if (route && sa->n_children > 1)
        ch->sa.route_installed = false;         /* handed to another child below */
    int r = child_sa_remove(ike_xfrm(ike), ike->routes, &ch->sa);
    if (sa->session)                            /* its final counters are retired by now */
        session_remove_reqid(ike->sessions, sa->session, ch->sa.reqid);
    if (r < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "removing IPsec SA spi in 0x%08x out 0x%08x: %s", ch->sa.spi_in,
                        ch->sa.spi_out, strerror(-r));
    else
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "IPsec SA %s: spi in 0x%08x out 0x%08x", why, ch->sa.spi_in,
                     ch->sa.spi_out);
    crypto_wipe(ch, sizeof(*ch));
    memmove(&sa->children[i], &sa->children[i + 1], (sa->n_children - i - 1) * sizeof(sa->children[0]));
    sa->n_children--;
    memset(&sa->children[sa->n_children], 0, sizeof(sa->children[0]));
    if (route && sa->n_children > 0)
        sa->children[0].sa.route_installed = true;
}

void ikev1_children_remove_all(struct ikev1_isakmp_sa *sa)
{
    while (sa->n_children > 0)
        ikev1_child_remove(sa, sa->n_children - 1, "removed");
}

int ikev1_children_bytes_in(struct ikev1_isakmp_sa *sa, uint64_t *bytes_in)
{
    int r = 0;
    *bytes_in = 0;
    for (size_t i = 0; i < sa->n_children && r >= 0; i++) {
        uint64_t out = 0, pin = 0, pout = 0;
        r = child_sa_counters(ike_xfrm(sa->ike), &sa->children[i].sa, bytes_in, &out, &pin, &pout);
    }
    return r;
}

void ikev1_child_deleted_by_client(struct ikev1_isakmp_sa *sa, uint32_t spi)
{
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    for (size_t i = 0; i < sa->n_children; i++) {
        struct ikev1_child *ch = &sa->children[i];
        if (ch->has_old && spi == ch->old.spi_out) {
            (void)child_sa_remove_sas(ike_xfrm(sa->ike), &ch->old);
            ch->has_old = false;
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "rekeyed IPsec SA deleted by the client: spi in 0x%08x out 0x%08x",
                         ch->old.spi_in, spi);
            return;
        }
        if (spi == ch->sa.spi_out) {
            ikev1_child_remove(sa, i, "deleted by the client");
            return;
        }
    }
    log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "DELETE for unknown ESP SPI 0x%08x", spi);
}
