/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKE service: the UDP sockets, the IKE SAs, the sessions, the address
 * pools and the kernel state they install, all owned by the daemon's one
 * event loop. Datagrams are dispatched here by IKE version (IKEv2 to
 * ikev2-*.c; IKEv1 is the next issue).
 *
 * Configuration lifetime: every IKE SA holds a reference on the
 * configuration it was negotiated under (config_ref), so a reload never
 * pulls a tunnel group from under a session; new negotiations use the new
 * configuration.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ike-socket.h"
#include "session.h"

struct vpnd;
struct ike;
struct pool;

/* Why a handshake failed (`vpnctl stats`): counted once at the log line
 * that says so. */
enum ike_failure {
    IKE_FAIL_NO_PROPOSAL,           /* no acceptable IKE or ESP proposal */
    IKE_FAIL_AUTH,                  /* authentication failed (PSK, certificate, EAP, Xauth) */
    IKE_FAIL_ADDRESS,               /* no inner address for the client */
    IKE_FAIL_TS,                    /* traffic selectors not acceptable */
    IKE_FAIL_KERNEL,                /* the CHILD SA could not be installed */
    IKE_FAIL_TIMEOUT,               /* the client did not finish in time */
    IKE_FAIL_COUNT
};

struct ike_stats {
    uint64_t received;
    uint64_t parse_errors;          /* malformed messages (logged at debug) */
    uint64_t decrypt_failures;      /* SK integrity check failed */
    uint64_t unknown_spi;           /* no IKE SA for the message */
    uint64_t bad_message_id;        /* outside the window: dropped */
    uint64_t retransmits_answered;  /* cached responses sent again */
    uint64_t stray_responses;       /* responses to no request of ours (late duplicates): dropped */
    uint64_t ikev1_dropped;         /* IKEv1 messages that start no phase 1 and belong to no SA */
    uint64_t half_open;             /* IKE SAs between IKE_SA_INIT and IKE_AUTH now */
    uint64_t established;           /* IKE SAs established now */
    uint64_t cookies_sent;          /* IKE_SA_INIT answered with N(COOKIE) only (RFC 7296 2.6) */
    uint64_t cookies_rejected;      /* IKE_SA_INIT with a wrong or expired cookie */
    uint64_t half_open_dropped;     /* IKE_SA_INIT over half-open-per-peer or half-open-max */
    uint64_t fragments_received;    /* Encrypted Fragments (RFC 7383) that passed their integrity check */
    uint64_t fragments_dropped;     /* fragments refused: duplicate, over the limits, not negotiated */
    uint64_t fragments_sent;        /* fragments of our messages (retransmissions included) */
    uint64_t reassembled;           /* messages reassembled from fragments */
    uint64_t handshakes_started;    /* new IKE SAs (IKE_SA_INIT / IKEv1 phase 1 accepted) */
    uint64_t handshakes_succeeded;  /* clients through authentication with their CHILD SA */
    uint64_t handshake_failures[IKE_FAIL_COUNT];
    uint64_t eap_failures;          /* of the authentication failures: EAP ... */
    uint64_t xauth_failures;        /* ... and Xauth attempts refused */
    uint64_t retransmissions_sent;  /* our requests sent again (no answer yet) */
    uint64_t kernel_errors;         /* SA/policy installs the kernel refused */
};

/* Opens the sockets of config->listen and starts answering. */
int ike_new(struct vpnd *vpnd, struct ike **ret);
/* Sends DELETE to every client (best effort), removes every CHILD SA,
 * route and lease, closes the sockets. NULL is allowed. */
void ike_free(struct ike *ike);
/* After a reload: sockets follow config->listen, pools their new ranges. */
int ike_reload(struct ike *ike, const struct vpnd_config *config);

struct session_registry *ike_sessions(struct ike *ike);
/* The sessions the last reload ended because the new configuration no
 * longer allows them (session-reload.h), for `vpnctl reload`. */
struct session_reload_end;
const struct session_reload_end *ike_reload_ended(const struct ike *ike, size_t *n);
void ike_get_stats(const struct ike *ike, struct ike_stats *stats);
/* The IKE sockets' counters: datagrams received, sent and dropped before
 * any protocol code saw them (runts, keepalives, stray ESP). */
void ike_get_socket_stats(const struct ike *ike, struct ike_socket_stats *stats);
/* The address pool of that name as it is now (leases and counters), or
 * NULL when no client has used it yet (pools are created on first use). */
struct pool *ike_pool_find(struct ike *ike, const char *name);
/* Counters of a session's SAs from the kernel. */
/* The kernel's soft or hard expiry of an SA (vpnd-kernel.c): a soft one
 * starts a CHILD SA rekey, a hard one removes what is left of it. */
struct xfrm_event_expire;
void ike_sa_expired(struct ike *ike, const struct xfrm_event_expire *e);

/* The session's kernel counters, from snap when given (see session_ops). */
struct xfrm_snapshot;
int ike_session_counters(struct ike *ike, struct session *s, const struct xfrm_snapshot *snap,
                         struct session_counters *c);
/* One dump of the kernel's SAs for a view of many sessions (free it with
 * xfrm_snapshot_free); NULL when it failed (logged): the views then ask
 * SA by SA. */
struct xfrm_snapshot *ike_kernel_snapshot(struct ike *ike);
