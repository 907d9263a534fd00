/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Sessions: one remote-access client connected, whatever the protocol
 * (IKEv2 today, IKEv1 later). A session is what an operator sees in
 * `vpnctl sessions`: who (user/identity), through which tunnel group, with
 * which inner address, from which public address, since when. The
 * protocol code owns the IKE SA and its CHILD SAs; the session points at
 * them through `owner` and reports kernel counters through `counters`.
 *
 * The registry finds sessions by index (the operator's handle), by
 * assigned address (either family), by user and by the reqid of their
 * CHILD SA (kernel events), by hash; listing walks the index table.
 * A user's sessions are kept in login order, oldest first, for the
 * group policy's simultaneous-logins limit (ASA: the oldest is logged off).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ike-socket.h"

struct hashmap;
struct json_object;
struct session;
struct xfrm_snapshot;

enum session_protocol {
    SESSION_IKEV2,
    SESSION_IKEV1,
};

struct session_counters {
    uint64_t bytes_in, bytes_out;
    uint64_t packets_in, packets_out;
    uint64_t last_activity_usec;        /* CLOCK_MONOTONIC: inbound traffic last seen (session_activity) */
};

/* When a session's inbound traffic last moved, as far as vpnd can tell: the
 * protocol's SA keeps one, fed with the kernel's inbound byte count by every
 * reading of it: the group policy check, which samples every session at
 * least once a minute (a quarter of a shorter idle-timeout), and the views
 * (`vpnctl sessions`, `session`). The idle timeout and the idle time that
 * `vpnctl sessions` shows both come from here, so they cannot disagree;
 * the time is exact to the sampling interval. (session-activity.c) */
struct session_activity {
    uint64_t bytes_in;                  /* inbound bytes at the last reading */
    uint64_t last_usec;                 /* CLOCK_MONOTONIC: when a reading last saw them change */
};

/* The session is up (no traffic yet): idle from now on. */
void session_activity_start(struct session_activity *a, uint64_t now_usec);
/* One reading of the inbound bytes at now_usec (read_result < 0: the kernel
 * did not answer). Any change is activity, a drop too: a rekey starts new
 * counters. An unreadable counter is activity as well: a session is never
 * ended as idle because the kernel could not be asked. */
void session_activity_note(struct session_activity *a, int read_result, uint64_t bytes_in, uint64_t now_usec);
/* Microseconds since the inbound traffic was last seen to move. */
uint64_t session_activity_idle_usec(const struct session_activity *a, uint64_t now_usec);
/* How often a session's group policy timeouts are checked (and its idle
 * time sampled): a quarter of the shorter of idle-timeout and
 * session-timeout, between 1 and 60 s; 60 s without either. A timeout is
 * then exceeded by at most that much. */
uint64_t session_policy_check_usec(const struct config_group_policy *gp);

#define SESSION_CHILD_SAS_MAX 4
#define SESSION_MORE_REQIDS_MAX 8

/* The SAs behind a session, as the protocol holds them right now (they
 * change with every rekey, so they are asked for, not copied). */
struct session_sas {
    uint64_t ike_spi_i, ike_spi_r;      /* IKE SA (IKEv1: the ISAKMP SA's cookies) */
    struct { uint32_t spi_in, spi_out; } child[SESSION_CHILD_SAS_MAX];
    size_t n_child;
};

/* The protocol's side of a session. */
struct session_ops {
    /* Kernel counters of the session's SAs, added into *c: from the
     * snapshot when one is given (a view of many sessions), else asked of
     * the kernel SA by SA (xfrm-snapshot.h). */
    int (*counters)(struct session *s, const struct xfrm_snapshot *snap, struct session_counters *c);
    /* Ends the session as an operator asked (`vpnctl terminate`): tells the
     * client (DELETE), removes its SAs, releases its address. The session
     * is freed: `s` is invalid afterwards. */
    void (*terminate)(struct session *s, const char *reason);
    /* Its IKE SA and CHILD SAs (ESP SPIs, ours first). */
    void (*sas)(struct session *s, struct session_sas *out);
    /* The detailed view (`vpnctl session`, `sas`, `ipsec`): adds to `out`
     * "ike_sa" (an object) and "child_sas" (an array, kernel counters
     * included, from snap when given, see counters). -ENOMEM. NULL: the
     * protocol has none. */
    int (*describe)(struct session *s, const struct xfrm_snapshot *snap, struct json_object *out);
};

#define SESSION_NAME_MAX 256
#define SESSION_ACCT_ID_MAX 32

/* Why a session ended, as RADIUS accounting reports it (RFC 2866 5.10,
 * Acct-Terminate-Cause); the code that ends a session says which. */
enum session_end_cause {
    SESSION_END_UNSET = 0,              /* nobody said: NAS-Error */
    SESSION_END_USER_REQUEST,           /* the client deleted its IKE SA */
    SESSION_END_LOST_CARRIER,           /* DPD / liveness: the client is gone */
    SESSION_END_IDLE_TIMEOUT,
    SESSION_END_SESSION_TIMEOUT,
    SESSION_END_ADMIN_RESET,            /* vpnctl terminate */
    SESSION_END_NAS_REBOOT,             /* vpnd is stopping */
    SESSION_END_NAS_REQUEST,            /* a reload removed what the session stood on */
    SESSION_END_PORT_PREEMPTED,         /* simultaneous-logins: a newer login took its place */
    SESSION_END_NAS_ERROR,              /* SA expired or an internal failure */
};

struct accounting_session;

struct session {
    uint32_t index;                     /* 1, 2, ...: never reused while vpnd runs */
    enum session_protocol protocol;
    /* The strings (and radius_class) point into the session's own
     * allocation: session_add copies them from the template's pointers
     * (NULL there is ""), each to its length, so that a session holds a
     * few dozen bytes of names rather than fixed buffers. */
    const char *user;                   /* the authenticated user or identity */
    const char *tunnel_group;
    const char *group_policy;           /* "" = none */
    struct config_address address;      /* assigned inner address */
    bool has_address6;                  /* dual stack: an IPv6 inner address too */
    struct config_address address6;
    uint32_t reqid;                     /* of its CHILD SA (kernel events name it), 0 = none */
    uint32_t more_reqids[SESSION_MORE_REQIDS_MAX];  /* of its further pairs (IKEv1: one per set of networks) */
    uint8_t n_more_reqids;
    union ike_sockaddr remote;          /* public address:port of the client */
    union ike_sockaddr local;           /* our address:port it talks to */
    bool natt;                          /* behind NAT: ESP in UDP */
    const char *encryption;             /* "ESP AES-GCM-16-256, IKE AES-CBC-256/..." */
    uint64_t login_realtime;            /* usec */
    uint64_t login_monotonic;           /* usec */
    const uint8_t *radius_class;        /* Class of the RADIUS Access-Accept (RFC 2865 5.25), for accounting */
    size_t radius_class_len;            /* 0: none (local users, or the server sent none) */
    const struct session_ops *ops;
    void *owner;                        /* the protocol's IKE SA */
    char acct_session_id[SESSION_ACCT_ID_MAX];  /* Acct-Session-Id: unique across restarts (session_add) */
    struct session_counters retired;    /* final counters of its CHILD SAs already removed (rekeys) */
    enum session_end_cause end_cause;   /* the first cause said wins */
    struct accounting_session *accounting;  /* accounting.c's state; NULL when not accounted */
    /* The registry's: the same user's sessions, in login order. */
    struct session *user_prev, *user_next;
};

struct session_registry;

/* Told when a session comes up (end of session_add) and goes away (start
 * of session_remove, its SAs already removed: s->retired holds their
 * final counters). Accounting listens here. */
struct session_observer {
    void (*up)(struct session *s, void *userdata);
    void (*down)(struct session *s, void *userdata);
};

int session_registry_new(struct session_registry **ret);
/* Frees the registry and any session left (the owners must be gone). */
void session_registry_free(struct session_registry *reg);

/* A new session with the next index, registered by index, address(es),
 * reqid and user (address must be set); the template's strings are copied.
 * -EEXIST when an address already has a session. */
int session_add(struct session_registry *reg, const struct session *tmpl, struct session **ret);
/* Unregisters and frees. NULL is allowed. */
void session_remove(struct session_registry *reg, struct session *s);

/* NULL observer: nobody is told. */
void session_registry_set_observer(struct session_registry *reg, const struct session_observer *observer,
                                   void *userdata);
/* Records why `s` ends (before it is terminated); an earlier cause stays. NULL is allowed. */
void session_set_end_cause(struct session *s, enum session_end_cause cause);
/* A CHILD SA pair with `reqid` was removed with these final counters: they
 * are added to its session's `retired` (no session: nothing). */
void session_retire_counters(struct session_registry *reg, uint32_t reqid, const struct session_counters *final);
struct session *session_find_by_index(struct session_registry *reg, uint32_t index);
struct session *session_find_by_address(struct session_registry *reg, const struct config_address *addr);
struct session *session_find_by_reqid(struct session_registry *reg, uint32_t reqid);
/* A further CHILD SA pair of `s` (IKEv1 Quick Mode for other networks)
 * under its own reqid: found by it, its counters retired into `s` when it
 * goes. -ENOSPC beyond SESSION_MORE_REQIDS_MAX; an id already listed is
 * not added twice. The first pair's `reqid` is never removed here. */
int session_add_reqid(struct session_registry *reg, struct session *s, uint32_t reqid);
void session_remove_reqid(struct session_registry *reg, struct session *s, uint32_t reqid);
size_t session_count(const struct session_registry *reg);

/* Calls fn for every session in index order; stops when fn returns < 0. */
int session_foreach(struct session_registry *reg, int (*fn)(struct session *s, void *userdata), void *userdata);

/* The user's oldest session (NULL: none); names compare exactly. */
struct session *session_find_by_user(struct session_registry *reg, const char *user);
/* How many sessions the user has. */
size_t session_count_by_user(struct session_registry *reg, const char *user);
/* Calls fn for each of the user's sessions, oldest first; stops when fn
 * returns < 0. fn may end (remove) any session. */
int session_foreach_user(struct session_registry *reg, const char *user,
                         int (*fn)(struct session *s, void *userdata), void *userdata);

/* The group policy's simultaneous-logins limit after `newest` logged in:
 * while its user has more than `limit` sessions, the oldest other one is
 * ended through its ops with the reason "simultaneous-logins limit".
 * Returns how many were ended. (A limit of 0 is refused before a session
 * exists; here it keeps the newest alone.) */
size_t session_enforce_login_limit(struct session_registry *reg, struct session *newest, uint32_t limit);
