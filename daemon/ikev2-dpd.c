/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Dead peer detection (RFC 7296 2.4; ASA `isakmp keepalive`): after the
 * tunnel group's dpd-interval without an IKE message or inbound ESP from
 * the client, vpnd sends an empty INFORMATIONAL request. The request queue
 * sends it again every dpd-interval and, after dpd-retries unanswered
 * transmissions, declares the peer dead and ends the IKE SA with its
 * session, CHILD SA, policies, route and lease (ikev2-request.c).
 *
 * Inbound ESP is read from the kernel's byte counters of the CHILD SA (and
 * of a pair a rekey is replacing), like the idle timeout does: a client that
 * sends traffic is alive without any IKE message.
 */
#include <errno.h>
#include <string.h>

#include "ikev2-initiator.h"
#include "ikev2-wire.h"

static uint64_t interval_usec(const struct ikev2_ike_sa *sa)
{
    return sa->group ? (uint64_t)sa->group->dpd_interval * 1000000ULL : 0;
}

/* Inbound ESP bytes of the CHILD SA's current pairs; false when unreadable. */
static bool inbound_bytes(struct ikev2_ike_sa *sa, uint64_t *bytes)
{
    uint64_t bout = 0, pin = 0, pout = 0;
    *bytes = 0;
    if (!sa->has_child)
        return false;
    if (child_sa_counters(ike_xfrm(sa->ike), &sa->child, bytes, &bout, &pin, &pout) < 0)
        return false;
    if (sa->has_old_child)
        (void)child_sa_counters(ike_xfrm(sa->ike), sa->old_child, bytes, &bout, &pin, &pout);
    return true;
}

static void liveness_answered(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner, void *userdata)
{
    struct log_ctx ctx;
    if (!inner)
        return;
    ikev2_sa_log_ctx(sa, &ctx);
    log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "liveness check answered");
}

static void on_dpd_timer(struct queued_timer *t, uint64_t now, void *userdata)
{
    struct ikev2_ike_sa *sa = userdata;
    struct ikev2_initiator *in = sa->initiator;
    uint64_t interval = interval_usec(sa), bytes = 0;
    struct log_ctx ctx;

    ikev2_sa_log_ctx(sa, &ctx);
    if (!interval || in->deleting)
        return;
    /* A rekey resets the counters: any change counts as traffic. */
    if (inbound_bytes(sa, &bytes) && bytes != in->dpd_bytes_in) {
        in->dpd_bytes_in = bytes;
        in->last_heard_usec = now;
    }
    uint64_t next = in->last_heard_usec + interval;
    if (now >= next) {
        if (!ikev2_request_busy(sa)) {
            /* Any request of ours answers the question too; only when none
             * is under way does a liveness check go out. */
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "nothing from the peer for %llu s: liveness check",
                          (unsigned long long)((now - in->last_heard_usec) / 1000000ULL));
            int e = ikev2_request_queue(sa, IKEV2_REQUEST_LIVENESS, "liveness check", IKEV2_EXCHANGE_INFORMATIONAL,
                                        NULL, 0, IKEV2_PAYLOAD_NONE, liveness_answered, NULL);
            if (e < 0)
                log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot send a liveness check: %s", strerror(-e));
        }
        /* The request queue gives up on a dead peer; look again later. */
        next = now + interval;
    }
    int e = queued_timer_arm(sa->ike->timers, t, next, on_dpd_timer, sa);
    if (e < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "liveness checks stopped: %s", strerror(-e));
}

void ikev2_dpd_start(struct ikev2_ike_sa *sa)
{
    struct ikev2_initiator *in = ikev2_initiator_get(sa);
    uint64_t interval = interval_usec(sa);
    if (!in || !interval)
        return;
    in->last_heard_usec = monotonic_usec();
    /* The count the idle tracker last read (session-activity.c) is the
     * baseline: zero for a CHILD SA installed with this IKE SA, carried
     * over by an IKE SA rekey. Asking the kernel instead cost a netlink
     * round trip per new session. */
    in->dpd_bytes_in = sa->activity.bytes_in;
    int e = queued_timer_arm(sa->ike->timers, &in->dpd_timer, in->last_heard_usec + interval, on_dpd_timer, sa);
    if (e < 0) {
        struct log_ctx ctx;
        ikev2_sa_log_ctx(sa, &ctx);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot start the liveness checks: %s", strerror(-e));
    }
}

void ikev2_dpd_stop(struct ikev2_ike_sa *sa)
{
    if (sa->initiator)
        queued_timer_disarm(sa->ike->timers, &sa->initiator->dpd_timer);
}
