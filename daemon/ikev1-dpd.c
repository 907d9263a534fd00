/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Dead peer detection for IKEv1 (RFC 3706), vpnd's side: when the client
 * announced DPD (its vendor ID) and the tunnel group has a dpd-interval,
 * every interval without anything from the client (no authentic IKE
 * message, no ESP packet counted by the inbound SA) gets an R-U-THERE; a
 * client that answers none of dpd-retries of them is dead, and its session
 * ends. Answering the client's own R-U-THERE is in ikev1-quick.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ikev1-sa.h"

static uint64_t interval_usec(const struct ikev1_isakmp_sa *sa)
{
    return (uint64_t)sa->group->dpd_interval * 1000000ULL;
}

static void on_dpd_timer(struct queued_timer *t, uint64_t now, void *userdata);

static int rearm(struct ikev1_isakmp_sa *sa)
{
    return queued_timer_arm(sa->ike->timers, &sa->dpd_timer, monotonic_usec() + interval_usec(sa), on_dpd_timer, sa);
}

static void on_dpd_timer(struct queued_timer *t, uint64_t now, void *userdata)
{
    struct ikev1_isakmp_sa *sa = userdata;
    struct log_ctx ctx;
    (void)t;
    (void)now;
    ikev1_sa_log_ctx(sa, &ctx);

    uint64_t bytes_in = sa->dpd_bytes_in;
    if (sa->n_children > 0 && ikev1_children_bytes_in(sa, &bytes_in) < 0)
        bytes_in = sa->dpd_bytes_in + 1;        /* unreadable: the benefit of the doubt */
    bool heard = bytes_in != sa->dpd_bytes_in || sa->last_rx_usec > sa->dpd_checked_usec;
    sa->dpd_bytes_in = bytes_in;
    sa->dpd_checked_usec = monotonic_usec();
    if (heard)
        sa->dpd_unanswered = 0;
    else if (sa->dpd_unanswered >= sa->group->dpd_retries) {
        char reason[96];
        snprintf(reason, sizeof(reason), "dead peer: %u R-U-THERE unanswered, %u s apart", sa->dpd_unanswered,
                 sa->group->dpd_interval);
        session_set_end_cause(sa->session, SESSION_END_LOST_CARRIER);
        ikev1_sa_terminate(sa, true, reason);
        return;
    } else {
        uint8_t seq[4];
        wire_put32(seq, ++sa->dpd_seq);
        sa->dpd_unanswered++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "nothing from the client for %u s: R-U-THERE %u (%u of %u)",
                      sa->group->dpd_interval, sa->dpd_seq, sa->dpd_unanswered, sa->group->dpd_retries);
        ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_DPD_R_U_THERE, seq, sizeof(seq));
    }
    if (rearm(sa) < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "dead peer detection stopped: cannot rearm its timer");
}

int ikev1_dpd_start(struct ikev1_isakmp_sa *sa)
{
    if (!sa->peer_dpd || sa->group->dpd_interval == 0 || queued_timer_armed(&sa->dpd_timer))
        return 0;
    /* RFC 3706 5.5: the first sequence number is random. */
    if (crypto_random(&sa->dpd_seq, sizeof(sa->dpd_seq)) < 0)
        sa->dpd_seq = 1;
    sa->dpd_seq &= 0x7fffffffu;     /* room before it wraps */
    sa->dpd_checked_usec = monotonic_usec();
    return rearm(sa);
}
