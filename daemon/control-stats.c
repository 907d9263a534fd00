/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `stats`: counters since vpnd started, for an operator asking "are
 * clients failing, and why?": handshakes started, succeeded and failed by
 * reason, half-open SAs now, cookies, retransmissions, what was dropped as
 * malformed, Xauth/EAP failures, kernel errors. The numbers are the IKE
 * layer's own (struct ike_stats) and the sockets' (struct ike_socket_stats),
 * the same `status` shows in part; nothing is counted twice.
 */
#include <errno.h>
#include <stdio.h>

#include "accounting.h"
#include "control-json.h"
#include "ike.h"
#include "ike-socket.h"
#include "kernel-timing.h"
#include "session.h"
#include "vpnd.h"
#include "vpnd-kernel.h"

static const char *const failure_names[IKE_FAIL_COUNT] = {
    [IKE_FAIL_NO_PROPOSAL] = "no_proposal",
    [IKE_FAIL_AUTH] = "authentication",
    [IKE_FAIL_ADDRESS] = "address",
    [IKE_FAIL_TS] = "traffic_selectors",
    [IKE_FAIL_KERNEL] = "kernel",
    [IKE_FAIL_TIMEOUT] = "timeout",
};

/* The cost of CHILD SA installs in the kernel (kernel-timing.h). */
static json_object *control_kernel_timing(struct vpnd *vpnd)
{
    struct kernel_timing_summary t = { 0 };
    if (vpnd->kernel)
        vpnd_kernel_get_timing(vpnd->kernel, &t);
    json_object *k = json_object_new_object();
    if (!k)
        return NULL;
    control_add_uint(k, "installs", t.installs);
    control_add_uint(k, "first_install_us", t.first_usec);
    control_add_uint(k, "last_install_us", t.last_usec);
    control_add_uint(k, "first_100_mean_us", t.first_mean_usec);
    control_add_uint(k, "last_100_mean_us", t.last_mean_usec);
    control_add_uint(k, "p50_us", t.p50_usec);
    control_add_uint(k, "p99_us", t.p99_usec);
    control_add_uint(k, "max_us", t.max_usec);
    control_add_uint(k, "window", t.window);
    json_object_object_add(k, "round_trips_per_install", json_object_new_double(t.round_trips_x100 / 100.0));
    json_object_object_add(k, "messages_per_install", json_object_new_double(t.messages_x100 / 100.0));
    json_object_object_add(k, "xfrm_syscalls_per_install", json_object_new_double(t.syscalls_x100 / 100.0));
    return k;
}

int control_cmd_stats(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                      struct control_error *error)
{
    struct ike_stats is = { 0 };
    struct ike_socket_stats ss = { 0 };

    if (json_object_object_length(req->args) != 0) {
        snprintf(error->message, sizeof(error->message), "stats takes no arguments");
        return -EINVAL;
    }
    if (vpnd->ike) {
        ike_get_stats(vpnd->ike, &is);
        ike_get_socket_stats(vpnd->ike, &ss);
    }
    json_object *o = json_object_new_object();
    json_object *hs = json_object_new_object(), *failed = json_object_new_object();
    json_object *dropped = json_object_new_object();
    if (!o || !hs || !failed || !dropped) {
        json_object_put(o);
        json_object_put(hs);
        json_object_put(failed);
        json_object_put(dropped);
        return -ENOMEM;
    }
    uint64_t n_failed = 0;
    for (int i = 0; i < IKE_FAIL_COUNT; i++) {
        control_add_uint(failed, failure_names[i], is.handshake_failures[i]);
        n_failed += is.handshake_failures[i];
    }
    control_add_uint(hs, "started", is.handshakes_started);
    control_add_uint(hs, "succeeded", is.handshakes_succeeded);
    control_add_uint(hs, "failed", n_failed);
    json_object_object_add(hs, "failed_by_reason", failed);
    json_object_object_add(o, "handshakes", hs);

    /* Sessions of either protocol; the SA gauges are IKEv2's (IKEv1
     * phase 1 has its own deadline, not the half-open guard). */
    control_add_uint(o, "sessions_now", vpnd->ike ? session_count(ike_sessions(vpnd->ike)) : 0);
    control_add_uint(o, "ikev2_established_now", is.established);
    control_add_uint(o, "half_open_now", is.half_open);
    control_add_uint(o, "cookies_sent", is.cookies_sent);
    control_add_uint(o, "cookies_rejected", is.cookies_rejected);
    control_add_uint(o, "half_open_dropped", is.half_open_dropped);
    control_add_uint(o, "retransmissions_sent", is.retransmissions_sent);
    control_add_uint(o, "retransmissions_answered", is.retransmits_answered);
    control_add_uint(o, "eap_failures", is.eap_failures);
    control_add_uint(o, "xauth_failures", is.xauth_failures);
    control_add_uint(o, "kernel_errors", is.kernel_errors);

    /* Malformed: what the sockets dropped before parsing (runts) and what
     * the parsers refused; the rest is dropped for other reasons. */
    control_add_uint(dropped, "malformed", ss.dropped_malformed + is.parse_errors);
    control_add_uint(dropped, "decrypt_failures", is.decrypt_failures);
    control_add_uint(dropped, "unknown_spi", is.unknown_spi);
    control_add_uint(dropped, "bad_message_id", is.bad_message_id);
    control_add_uint(dropped, "stray_responses", is.stray_responses);
    control_add_uint(dropped, "ikev1_unexpected", is.ikev1_dropped);
    control_add_uint(dropped, "fragments", is.fragments_dropped);
    json_object_object_add(o, "dropped", dropped);

    control_add_uint(o, "messages_received", is.received);
    control_add_uint(o, "datagrams_received", ss.received);
    control_add_uint(o, "datagrams_sent", ss.sent);

    /* RADIUS accounting records (accounting.h). */
    struct accounting_stats as = { 0 };
    if (vpnd->accounting)
        accounting_get_stats(vpnd->accounting, &as);
    json_object *acct = json_object_new_object();
    if (acct) {
        control_add_uint(acct, "sent", as.sent);
        control_add_uint(acct, "answered", as.answered);
        control_add_uint(acct, "spooled", as.spooled);
        control_add_uint(acct, "replayed", as.replayed);
        control_add_uint(acct, "dropped", as.dropped);
        control_add_uint(acct, "interim_skipped", as.interim_skipped);
        control_add_uint(acct, "spool_waiting", as.spool_waiting);
    }
    json_object_object_add(o, "accounting", acct);
    json_object_object_add(o, "kernel", control_kernel_timing(vpnd));
    *result = o;
    return 0;
}
