/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ikev2-nat.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ikev2-sa.h"
#include "xfrm-monitor.h"

/* Moves the SA and everything hanging off it to the client's new public
 * address. `seen_in` says what showed the change, for the log. */
static void rebind(struct ikev2_ike_sa *sa, const union ike_sockaddr *local, const union ike_sockaddr *remote,
                   const char *seen_in)
{
    struct log_ctx ctx;
    char from[IKE_SOCKADDR_STRING_MAX], to[IKE_SOCKADDR_STRING_MAX], err[300] = "";
    int r = 0;

    ike_sockaddr_to_string(&sa->remote, from, sizeof(from));
    ike_sockaddr_to_string(remote, to, sizeof(to));
    if (sa->has_child)
        r = child_sa_update_remote(ike_xfrm(sa->ike), &sa->child, remote, err, sizeof(err));
    if (r >= 0 && sa->has_old_child) {
        /* The SAs a rekey replaced still carry packets in flight. */
        char old_err[300];
        if (child_sa_update_remote(ike_xfrm(sa->ike), sa->old_child, remote, old_err, sizeof(old_err)) < 0) {
            (void)child_sa_remove_sas(ike_xfrm(sa->ike), sa->old_child);
            ikev2_old_child_gone(sa);
        }
    }
    sa->local = *local;
    sa->remote = *remote;
    snprintf(sa->peer, sizeof(sa->peer), "%s", to);
    if (sa->session) {
        sa->session->local = *local;
        sa->session->remote = *remote;
    }
    ikev2_sa_log_ctx(sa, &ctx);
    if (r < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "NAT mapping of the client changed (seen in %s): %s -> %s; "
                        "the ESP-in-UDP SAs could not follow: %s", seen_in, from, to, err);
    else if (sa->has_child)
        log_notice_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "NAT mapping of the client changed (seen in %s): %s -> %s; "
                       "ESP-in-UDP SAs spi in 0x%08x out 0x%08x updated", seen_in, from, to, sa->child.spi_in,
                       sa->child.spi_out);
    else
        log_notice_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "NAT mapping of the client changed (seen in %s): %s -> %s",
                       seen_in, from, to);
}

void ikev2_peer_moved(struct ikev2_ike_sa *sa, const union ike_sockaddr *local, const union ike_sockaddr *remote)
{
    if (ike_sockaddr_equal(&sa->remote, remote) && ike_sockaddr_equal(&sa->local, local))
        return;
    if (sa->state != IKEV2_SA_ESTABLISHED || !sa->nat_detected) {
        /* The float to port 4500 during IKE_AUTH, or a peer without NAT:
         * the IKE SA answers where the request came from (RFC 7296 2.11),
         * and its ESP SAs stay where they are. */
        if (sa->state == IKEV2_SA_ESTABLISHED) {
            struct log_ctx ctx;
            char to[IKE_SOCKADDR_STRING_MAX];
            ikev2_sa_log_ctx(sa, &ctx);
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "request from %s without a NAT detected: answered there, "
                          "the ESP SAs are not moved", ike_sockaddr_to_string(remote, to, sizeof(to)));
        }
        sa->local = *local;
        sa->remote = *remote;
        ike_sockaddr_to_string(remote, sa->peer, sizeof(sa->peer));
        return;
    }
    rebind(sa, local, remote, "an IKE request");
}

void ikev2_nat_mapping(struct ike *ike, const struct xfrm_event_mapping *m)
{
    struct session *s = session_find_by_reqid(ike->sessions, m->reqid);
    if (!s || s->protocol != SESSION_IKEV2 || !s->owner) {
        log_debug(CONFIG_SUBSYS_IKEV2, 1, "NAT mapping event for SA spi 0x%08x (reqid 0x%08x) of no session",
                  m->id.spi, m->reqid);
        return;
    }
    struct ikev2_ike_sa *sa = s->owner;
    if (sa->state != IKEV2_SA_ESTABLISHED || !sa->has_child || !sa->nat_detected ||
        (m->id.spi != sa->child.spi_in && !(sa->has_old_child && m->id.spi == sa->old_child->spi_in)))
        return;
    union ike_sockaddr remote;
    memset(&remote, 0, sizeof(remote));
    if (m->id.family == AF_INET) {
        remote.in.sin_family = AF_INET;
        memcpy(&remote.in.sin_addr, &m->new_src.a4, 4);
        remote.in.sin_port = htons(m->new_sport);
    } else if (m->id.family == AF_INET6) {
        remote.in6.sin6_family = AF_INET6;
        memcpy(&remote.in6.sin6_addr, &m->new_src.a6, 16);
        remote.in6.sin6_port = htons(m->new_sport);
    } else
        return;
    /* The kernel reports every packet until the SA is updated: the
     * first report moved us already. */
    if (ike_sockaddr_equal(&remote, &sa->remote))
        return;
    rebind(sa, &sa->local, &remote, "ESP");
}
