/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An IKEv2 SA on the responder side and what the exchange handlers share
 * (internal to ikev2-*.c). States:
 *
 *   INIT_PENDING  IKE_SA_INIT received, Diffie-Hellman running on a worker;
 *                 retransmissions of the request are ignored (no answer yet)
 *   INIT_DONE     IKE_SA_INIT answered (response cached); waiting for IKE_AUTH
 *   ESTABLISHED   IKE_AUTH done; INFORMATIONAL exchanges, CHILD SA installed
 *   DELETING      our DELETE of it is out (ikev2-request.c): session, CHILD SA
 *                 and lease are gone, the SA waits for the answer
 *   DELETED       being torn down (never seen by the tables)
 *
 * Roles (ikev2-role.h): vpnd is the original responder of an IKE SA the
 * client made (IKE_SA_INIT, the client's rekeys) and the original initiator
 * of one its own rekey made (ikev2-ike-rekey-initiate.c); ike->sas is keyed
 * by our SPI (ikev2_sa_local_spi) either way.
 *
 * Message IDs (RFC 7296 2.3, window size 1): the next request must carry
 * `expected_mid`; a retransmission of the previous one gets the cached
 * response again, byte for byte (every fragment of it, and for a fragmented
 * request only on its fragment 1: RFC 7383 2.6.1); anything else is dropped
 * and counted. Fragments of request expected_mid are collected in
 * `reassembly` until the message is whole.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "aaa.h"
#include "child-sa.h"
#include "config.h"
#include "crypto-ikev2.h"
#include "ike-internal.h"
#include "ikev2-cookie.h"
#include "ikev2-cp.h"
#include "ikev2-fragment.h"
#include "ikev2-payload.h"
#include "ikev2-proposal.h"
#include "ikev2-role.h"
#include "ikev2-ts.h"
#include "log.h"
#include "timer-queue.h"

enum ikev2_sa_state {
    IKEV2_SA_INIT_PENDING,
    IKEV2_SA_INIT_DONE,
    IKEV2_SA_ESTABLISHED,
    IKEV2_SA_DELETING,
    IKEV2_SA_DELETED,
};

/* Half-open lookup: a retransmitted IKE_SA_INIT has rspi 0. */
struct ikev2_initiator;

struct ikev2_half_open_key {
    uint64_t ispi;
    uint8_t family;
    uint8_t addr[16];
    uint16_t port;
};

#define IKEV2_PEER_TEXT_MAX 64

struct ikev2_auth_state;

struct ikev2_ike_sa {
    struct ike *ike;
    struct vpnd_config *config;         /* referenced: the configuration it was negotiated under */
    enum ikev2_sa_state state;
    uint64_t ispi, rspi;                /* host order */
    bool original_initiator;            /* vpnd created it (its own IKE SA rekey): ours is ispi (ikev2-role.h) */
    struct ikev2_half_open_key half_open_key;
    bool in_half_open;
    bool in_table;
    struct ikev2_peer_addr half_open_peer;  /* counted against half-open-per-peer while ... */
    bool half_open_peer_counted;            /* ... this is true (ikev2-half-open.c) */

    union ike_sockaddr local, remote;   /* where the peer talks to us, from where */
    int ifindex;
    bool nat_detected;                  /* either side behind NAT: float to 4500, ESP in UDP */
    char peer[IKEV2_PEER_TEXT_MAX];     /* "203.0.113.10:500", for logs */
    char sa_name[24];                   /* "ikev2#5" */

    struct ikev2_ike_choice choice;
    struct crypto_ike_keys keys;
    uint8_t *ni;                  size_t ni_len;  /* up to IKEV2_NONCE_MAX, allocated: until IKE_AUTH */
    uint8_t nr[32];               size_t nr_len;
    uint8_t *init_request;  size_t init_request_len;     /* RealMessage1, until IKE_AUTH */
    uint8_t *init_request_alt; size_t init_request_alt_len;  /* its copy with our COOKIE (ikev2-init-copy.h) */
    uint8_t *init_response; size_t init_response_len;    /* RealMessage2, until IKE_AUTH */

    uint32_t expected_mid;              /* next request we accept */
    struct ikev2_datagrams response;    /* answer to request expected_mid - 1 (its fragments, if any) */
    bool fragmentation;                 /* both sent IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383) */
    struct ikev2_reassembly *reassembly;    /* fragments of request expected_mid being collected */
    sd_event_source *reassembly_timer;  /* drops an unfinished reassembly */
    uint32_t next_request_mid;          /* for requests we send (ikev2-request.c) */
    struct ikev2_initiator *initiator;  /* our requests, DPD, rekeys (ikev2-initiator.h); NULL until used */

    struct job *job;                    /* DH on a worker (INIT_PENDING) */
    struct ikev2_ike_sa **job_sa;       /* the job's pointer back to us: cleared when we go */
    bool response_pending;              /* request expected_mid - 1 is being worked on (job) */
    struct queued_timer timer;          /* half-open timeout (ike->timers) */
    struct ikev2_auth_state *auth;      /* IKE_AUTH in progress: EAP rounds, certificate jobs (ikev2-auth-state.h) */
    struct aaa_grant *grant;            /* what a RADIUS Access-Accept authorized (aaa.h); NULL otherwise */

    /* After IKE_AUTH. */
    const struct config_tunnel_group *group;
    const struct config_group_policy *policy;
    char *identity;                     /* the peer's identity, the EAP user once known: text of at most
                                           SESSION_NAME_MAX - 1 bytes, never NULL (ikev2-sa-identity.c) */
    char *local_identity;               /* our IDr as text, for `vpnctl session`; NULL = none (allocated) */
    char *client_version;               /* APPLICATION_VERSION the client sent, NULL = none (allocated) */
    bool has_address;
    struct config_address address;
    struct pool *pool;                  /* the lease's pool, NULL for a fixed address */
    bool has_address6;                  /* dual stack: an IPv6 lease too (from pool6) */
    struct config_address address6;
    struct pool *pool6;
    bool has_child;
    struct child_sa child;
    struct ikev2_esp_choice esp;
    bool has_old_child;                 /* rekeyed: the old SAs until they are deleted (by either side) */
    struct child_sa *old_child;         /* allocated while has_old_child (ikev2_keep_old_child) */
    struct ikev2_ts_selector tsi[IKEV2_TSI_MAX];     /* the CHILD SA's narrowed selectors (for rekeys) */
    size_t n_tsi;
    struct ikev2_ts_selector *tsr;      /* n_tsr of them (allocated: usually 1 or 2 of IKEV2_TS_OUT_MAX) */
    size_t n_tsr;
    struct session *session;
    struct queued_timer policy_timer;   /* idle and session timeouts of the group policy (ike->timers) */
    struct session_activity activity;   /* inbound ESP last seen to move */
    uint64_t established_usec;
};

/* IKE SA rekeying (ikev2-ike-rekey.c), from CREATE_CHILD_SA without REKEY_SA
 * whose SA payload proposes IKE. */
/* On a worker: a new key pair for group, our public value into our_ke
 * (returns its length) and the secret shared with peer_ke; on failure
 * *failed_step names the step for the log. */
int ikev2_dh_agree(const struct crypto_dh_group *group, uint8_t *our_ke, size_t our_ke_size,
                   const uint8_t *peer_ke, size_t peer_ke_len, uint8_t *shared, size_t shared_size,
                   size_t *shared_len, const char **failed_step);
void ikev2_start_ike_rekey(struct ikev2_ike_sa *sa, const struct ikev2_message *msg,
                           const struct ikev2_payload_list *inner);
/* The new IKE SA of a rekey (either side's, we_initiated for ours): in the
 * SA table under our SPI, established; with adopt it owns all the old one
 * had (CHILD SAs, lease, session, timers; the old one keeps nothing but its
 * keys), without (the redundant SA of a collision) nothing yet. NULL when
 * out of memory (nothing moved). */
struct ikev2_ike_sa *ikev2_ike_sa_rekeyed(struct ikev2_ike_sa *old, bool we_initiated, bool adopt, uint64_t ispi,
                                          uint64_t rspi, const struct ikev2_ike_choice *choice,
                                          const struct crypto_ike_keys *keys, const uint8_t *ni, size_t ni_len,
                                          const uint8_t *nr, size_t nr_len);
/* n (an established IKE SA of the same peer) takes over what old owns and
 * starts its timers. */
void ikev2_ike_sa_adopt(struct ikev2_ike_sa *n, struct ikev2_ike_sa *old);

/* The inner addresses of a remote-access client (ikev2-address.c): an
 * IPv4 address (pool or the user's fixed address) unless the CFG_REQUEST
 * asks for IPv6 only, and an IPv6 one from the group's IPv6 pools when it
 * asks for that too (dual stack: sa->address6; none left is not fatal).
 * 0 with the leases in *sa and what the CP reply carries in *assigned, or
 * a negative errno after a log line saying why (INTERNAL_ADDRESS_FAILURE). */
int ikev2_lease_addresses(struct ikev2_ike_sa *sa, const struct ikev2_cp *cp, struct ikev2_cp_assigned *assigned);
/* Gives back what ikev2_lease_addresses leased. */
void ikev2_release_addresses(struct ikev2_ike_sa *sa);
/* TSi narrowed to the leased addresses (IKEV2_TSI_MAX selectors in out);
 * *families gets those the CHILD SA carries. An IPv6 address the client
 * offered no IPv6 selector for is given back (it could not use it).
 * -ENOENT when the offer does not cover the first address. */
int ikev2_narrow_tsi_to_addresses(struct ikev2_ike_sa *sa, const struct ikev2_ts *offered,
                                  struct ikev2_cp_assigned *assigned, struct ikev2_ts_selector *out, size_t *n_out,
                                  unsigned *families);

/* NAT rebinding (ikev2-nat.c, RFC 7296 2.23): the client's IKE request,
 * authentic and in order, came from `remote`; when that is not where the SA
 * thought the client was, the SA, its ESP-in-UDP SAs and the session follow
 * and the change is logged. */
void ikev2_peer_moved(struct ikev2_ike_sa *sa, const union ike_sockaddr *local, const union ike_sockaddr *remote);

/* sa->identity (ikev2-sa-identity.c): "" (ikev2_no_identity, not
 * allocated) from the SA's creation until set; set to a copy of text, cut
 * at SESSION_NAME_MAX - 1 bytes (-ENOMEM: unchanged); cleared ("" again,
 * freed) when the SA goes. */
extern char ikev2_no_identity[1];
int ikev2_sa_set_identity(struct ikev2_ike_sa *sa, const char *text);
void ikev2_sa_clear_identity(struct ikev2_ike_sa *sa);

/* A rekey replaced sa->child: the old pair moves to sa->old_child (its own
 * allocation: it exists only until the old SAs are deleted) with its route
 * left to the new one. -ENOMEM: nothing changed (ikev2-child-rekey.c). */
int ikev2_keep_old_child(struct ikev2_ike_sa *sa);
/* The old pair is gone (its SAs removed): has_old_child false, its memory freed. */
void ikev2_old_child_gone(struct ikev2_ike_sa *sa);

/* Starts the group policy's idle-timeout / session-timeout watch of an
 * established SA with a CHILD SA (nothing when both are 0). */
int ikev2_sa_start_policy_timer(struct ikev2_ike_sa *sa);

/* Our SPI of the SA: the key of ike->sas whatever the role. */
static inline uint64_t ikev2_sa_local_spi(const struct ikev2_ike_sa *sa)
{
    return sa->original_initiator ? sa->ispi : sa->rspi;
}

/* The SA a received header names (our SPI, both SPIs and the Initiator
 * flag fitting its role), or NULL. */
struct ikev2_ike_sa *ikev2_sa_find(struct ike *ike, const struct ikev2_header *hdr);

/* Log context of the SA. */
void ikev2_sa_log_ctx(const struct ikev2_ike_sa *sa, struct log_ctx *ctx);

/* State changes (ikev2-state.c): logged at debug level 1 with the reason. */
const char *ikev2_sa_state_name(enum ikev2_sa_state state);
void ikev2_sa_set_state(struct ikev2_ike_sa *sa, enum ikev2_sa_state state, const char *why);

/* Sending. `inner` is the plaintext chain (first type first_inner, len 0:
 * an empty SK). Builds, encrypts, logs "sending ..." and sends; when
 * `response` is true the message is cached for retransmissions. */
int ikev2_send_encrypted(struct ikev2_ike_sa *sa, uint8_t exchange, bool response, uint32_t mid,
                         const uint8_t *inner, size_t inner_len, uint8_t first_inner);

/* IKE_AUTH (ikev2-ike-auth.c): the decrypted request's inner payloads. */
void ikev2_handle_ike_auth(struct ikev2_ike_sa *sa, const struct ikev2_message *msg,
                           const struct ikev2_payload_list *inner);

/* CREATE_CHILD_SA (ikev2-create-child.c): CHILD SA rekeying. */
void ikev2_handle_create_child_sa(struct ikev2_ike_sa *sa, const struct ikev2_message *msg,
                                  const struct ikev2_payload_list *inner);
/* An encrypted response with a single error Notify. */
void ikev2_send_encrypted_notify(struct ikev2_ike_sa *sa, uint8_t exchange, uint32_t mid, uint16_t notify);
/* The same with notification data (e.g. the payload type of
 * UNSUPPORTED_CRITICAL_PAYLOAD). */
void ikev2_send_encrypted_notify_data(struct ikev2_ike_sa *sa, uint8_t exchange, uint32_t mid, uint16_t notify,
                                      const void *data, size_t data_len);

/* Room for an inner chain we build. */
#define IKEV2_INNER_MAX 4096
