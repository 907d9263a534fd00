/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the protocol code (ikev2-*.c) shares with the IKE service (ike.c):
 * the tables, the pools and the kernel handles. Not for other users.
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "hashmap.h"
#include "ike-socket.h"
#include "ike.h"
#include "jobs.h"
#include "pool.h"
#include "session.h"

struct aaa;
struct route_handle;
struct xfrm_handle;
struct vpnd;

struct ike {
    struct vpnd *vpnd;
    sd_event *event;
    struct ike_socket_set *sockets;
    struct hashmap *sas;            /* responder SPI (uint64_t, host order) -> struct ikev2_ike_sa */
    struct hashmap *half_open;      /* struct ikev2_half_open_key -> struct ikev2_ike_sa */
    struct hashmap *ikev1_sas;      /* responder cookie (8 bytes) -> struct ikev1_isakmp_sa */
    struct hashmap *ikev1_half_open; /* struct ikev1_half_open_key -> struct ikev1_isakmp_sa */
    struct hashmap *ikev1_users;    /* Xauth user -> that user's latest struct ikev1_isakmp_sa (INITIAL-CONTACT) */
    struct hashmap *half_open_peers;    /* struct ikev2_peer_addr -> its half-open count (ikev2-half-open.c) */
    struct ikev2_cookie_jar *cookies;   /* IKE_SA_INIT cookie secrets, made when first needed */
    struct ikev2_cookies_sent *cookies_sent;    /* the cookies sent lately (ikev2-cookies-sent.h), ditto */
    uint64_t half_open_drop_logged_usec;    /* rate limit of the "dropped" log line */
    uint64_t half_open_drops_unlogged;
    uint64_t cookie_logged_usec;            /* rate limit of the cookie defence line */
    uint64_t cookies_unlogged;
    struct session_registry *sessions;
    struct timer_queue *timers;     /* the long per-SA timers (policy, liveness, rekey): timer-queue.h */
    struct hashmap *pools;          /* pool name -> struct pool */
    struct fixed_addresses *fixed;
    struct route_handle *routes;
    uint32_t next_reqid;            /* offset in vpnd's owned reqid range */
    struct ike_stats stats;
    bool stopping;
    struct hashmap *cert_stores;    /* tunnel groups' credential paths -> struct cert_store (ikev2-auth-cert.c) */
    struct aaa *aaa;                /* RADIUS clients of the aaa-server-groups (aaa.h) */
    struct session_reload_end *reload_ended;    /* the sessions the last reload ended, for `vpnctl reload` */
    size_t n_reload_ended;
};

/* The running configuration (new negotiations use it). */
struct vpnd_config *ike_config(struct ike *ike);
struct job_pool *ike_jobs(struct ike *ike);
struct xfrm_handle *ike_xfrm(struct ike *ike);

/* A reqid from vpnd's owned range not used by a live CHILD SA. */
uint32_t ike_next_reqid(struct ike *ike);

/* An inner address for `owner` (the user or identity): the user's fixed
 * address if configured, else the first of the group's pools with room.
 * On success *pool is the pool it came from (NULL for a fixed address).
 * -ENOSPC when every pool is exhausted (*exhausted names the last pool). */
int ike_address_acquire(struct ike *ike, const struct config_tunnel_group *group, const struct config_user *user,
                        const char *owner, struct config_address *addr, struct pool **pool, const char **exhausted,
                        uint64_t *in_use);
void ike_address_release(struct ike *ike, struct pool *pool, const struct config_address *addr);
/* An IPv6 inner address for `owner` from the first of the group's IPv6
 * pools with room (dual stack). -ENOENT when the group has no IPv6 pool,
 * -ENOSPC when they are all exhausted (*exhausted names the last). */
int ike_address_acquire6(struct ike *ike, const struct config_tunnel_group *group, const char *owner,
                         struct config_address *addr, struct pool **pool, const char **exhausted,
                         uint64_t *in_use);

/* The IKEv2 side (ikev2-responder.c). */
struct ikev2_ike_sa;
void ikev2_handle_packet(struct ike *ike, const struct ike_packet *pkt);
/* Ends an IKE SA: CHILD SAs out of the kernel, lease back, session gone.
 * send_delete: tell the peer first (best effort). */
void ikev2_ike_sa_terminate(struct ike *ike, struct ikev2_ike_sa *sa, bool send_delete, const char *reason);
int ikev2_session_counters(struct session *s, const struct xfrm_snapshot *snap, struct session_counters *c);
/* Drops the tunnel groups' loaded certificates and keys (ikev2-auth-cert.c). */
void ikev2_cert_cache_flush(struct ike *ike);

/* The IKEv1 side (ikev1-responder.c). */
struct ikev1_isakmp_sa;
void ikev1_handle_packet(struct ike *ike, const struct ike_packet *pkt);
void ikev1_sa_terminate(struct ikev1_isakmp_sa *sa, bool send_delete, const char *reason);
/* Ends every IKEv1 SA (vpnd stops). */
void ikev1_free_all(struct ike *ike);
void ikev2_session_terminate(struct session *s, const char *reason);
void ikev2_session_sas(struct session *s, struct session_sas *out);
/* session_ops.describe (ikev2-describe.c). */
struct json_object;
int ikev2_session_describe(struct session *s, const struct xfrm_snapshot *snap, struct json_object *out);
