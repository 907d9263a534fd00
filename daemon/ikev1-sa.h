/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An IKEv1 ISAKMP SA on the responder side (internal to ikev1-*.c): the
 * remote-access sequence of a Cisco Easy VPN concentrator.
 *
 *   P1_PENDING    Aggressive Mode message 1 received, Diffie-Hellman on a worker
 *   P1_SENT       message 2 sent (cached for retransmissions), waiting for message 3
 *   XAUTH         phase 1 done; our Xauth REQUEST or SET is out (ikev1-xauth.c)
 *   MODECFG       Xauth done (or not required); Mode Config pull or push (ikev1-modecfg.c)
 *   READY         the client has its address: Quick Modes, Informational (ikev1-quick.c)
 *   DELETED       being torn down (never seen by the tables)
 *
 * Tables (struct ike): ikev1_sas by responder cookie once message 2 is out,
 * ikev1_half_open by (initiator cookie, peer address) until phase 1 ends,
 * so that a retransmitted message 1 finds its SA.
 *
 * Retransmissions: the last message received under the SA is kept with
 * the first message we sent in reaction to it; the same bytes again get
 * those bytes again. Requests we start (Xauth REQUEST/SET, Mode Config
 * SET) are retransmitted on a timer until answered.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "child-sa.h"
#include "clock.h"
#include "config.h"
#include "crypto-dh.h"
#include "aaa.h"
#include "crypto-ikev1.h"
#include "ike-internal.h"
#include "ikev1-payload.h"
#include "ikev1-quick-proposal.h"
#include "log.h"
#include "timer-queue.h"

enum ikev1_sa_state {
    IKEV1_SA_P1_PENDING,
    IKEV1_SA_P1_SENT,
    IKEV1_SA_XAUTH,
    IKEV1_SA_MODECFG,
    IKEV1_SA_READY,
    IKEV1_SA_DELETED,
};

struct ikev1_half_open_key {
    uint8_t icookie[IKEV1_COOKIE_LEN];
    uint8_t family;
    uint8_t addr[16];
    uint16_t port;
};

/* The phase-1 transform chosen. */
struct ikev1_p1_choice {
    const struct config_ike_proposal *config;
    uint8_t proposal_number, transform_number;
    uint16_t encr_id, key_bits, hash_id, auth_method, group;
    const struct crypto_encr *encr;
    const struct crypto_prf *prf;
    const struct crypto_dh_group *dh;
    uint32_t lifetime;                  /* seconds, the shorter of both sides */
    uint32_t offered_lifetime;          /* seconds, the client's (0: none offered) */
};

/* A Quick Mode between its first and third message, in the SA's table by
 * message ID: several run at once (a client asking for two pairs of
 * proxy IDs, a rekey overlapping another), each with its own CBC chain
 * (RFC 2409 appendix B: the IV of a message ID comes from the last phase-1
 * block). */
struct ikev1_quick {
    struct ikev1_isakmp_sa *sa;
    uint32_t mid;
    struct job *job;                    /* PFS Diffie-Hellman */
    sd_event_source *timer;             /* abandoned without message 3 after this */
    uint8_t *request; size_t request_len;   /* message 1 as received, and */
    uint8_t *answer; size_t answer_len;     /* message 2 as sent: retransmissions */
    struct ikev1_esp_choice esp;
    uint8_t ni[IKEV1_NONCE_MAX];  size_t ni_len;
    uint8_t nr[32];               size_t nr_len;
    uint8_t shared[CRYPTO_DH_SHARED_MAX]; size_t shared_len;   /* PFS */
    struct child_sa child;              /* spi_in allocated, networks set */
    uint8_t idci_b[24]; size_t idci_b_len;   /* the client's proxy IDs, echoed */
    uint8_t idcr_b[24]; size_t idcr_b_len;
    char idci_text[96], idcr_text[96];
    bool rekey;                         /* the session has a child with these proxy IDs */
    bool answered;                      /* message 2 is out */
};

/* A Quick Mode that came before Xauth and Mode Config were done: kept
 * (decrypted, HASH(1) checked) and answered once the client has its
 * address (ikev1-quick-hold.c). */
struct ikev1_held_quick {
    struct ikev1_header hdr;
    uint8_t *plain; size_t plain_len;   /* the decrypted payload chain */
    uint8_t *raw; size_t raw_len;       /* the message as received: its retransmissions */
};

/* One pair of IPsec SAs of the session, per set of networks the client
 * asked for (the Cisco VPN Client asks for the gateway's address and for
 * 0.0.0.0/0 in two Quick Modes). */
struct ikev1_child {
    struct child_sa sa;
    struct child_sa old;                /* replaced by a rekey, until deleted */
    bool has_old;
    struct ikev1_esp_choice esp;
};

#define IKEV1_QUICK_MAX 4               /* Quick Modes in progress (and held) per ISAKMP SA */
#define IKEV1_CHILDREN_MAX 8            /* pairs of IPsec SAs per session */

#define IKEV1_PEER_TEXT_MAX 64
#define IKEV1_PLAIN_MAX 4096

struct ikev1_isakmp_sa {
    struct ike *ike;
    struct vpnd_config *config;         /* referenced */
    enum ikev1_sa_state state;
    uint8_t icookie[IKEV1_COOKIE_LEN], rcookie[IKEV1_COOKIE_LEN];
    struct ikev1_half_open_key half_open_key;
    bool in_half_open, in_table;
    unsigned busy;                      /* a handler runs on it: terminate frees it afterwards */

    union ike_sockaddr local, remote;   /* as of the last authentic message */
    union ike_sockaddr p1_local, p1_remote;   /* of message 1: what NAT-D hashes describe */
    int ifindex;
    char peer[IKEV1_PEER_TEXT_MAX];
    char name[24];                      /* "ikev1#3" */

    /* Phase 1. */
    uint8_t exchange;                   /* Aggressive or Main Mode */
    enum { MM_WAIT_KE, MM_COMPUTING, MM_WAIT_ID } mm_step;
    bool mm5_garbled;                   /* logged once: message 5 under another key */
    struct ikev1_p1_choice choice;
    const struct config_tunnel_group *group;
    const struct config_group_policy *policy;
    char group_name[SESSION_NAME_MAX];
    char user[SESSION_NAME_MAX];        /* Xauth user (or the group name without Xauth) */
    uint8_t *sai_b; size_t sai_b_len;   /* the initiator's SA body */
    uint8_t *idi_b; size_t idi_b_len;   /* its ID body */
    uint8_t idr_b[20]; size_t idr_b_len;
    uint8_t g_xi[CRYPTO_DH_PUBLIC_MAX]; size_t g_xi_len;
    uint8_t g_xr[CRYPTO_DH_PUBLIC_MAX]; size_t g_xr_len;
    uint8_t ni[IKEV1_NONCE_MAX]; size_t ni_len;
    uint8_t nr[32]; size_t nr_len;
    struct crypto_ikev1_keys keys;
    struct crypto_ikev1_cbc *cbc;
    enum ikev1_vendor natt;             /* the NAT-T flavour agreed, UNKNOWN: none */
    bool peer_dpd, peer_unity, peer_xauth;
    bool initial_contact;               /* the client has no other SA with us (RFC 2407 4.6.3.3) */
    bool in_users;                      /* ike->ikev1_users[user] is this SA */
    bool nat_detected;
    uint64_t p1_done_usec;              /* CLOCK_MONOTONIC: phase 1 completed */
    struct job *job;                    /* the one job at a time: phase-1 DH, Xauth password, PFS */
    sd_event_source *timer;             /* phase 1 / Xauth / Mode Config deadline */

    /* Retransmissions. */
    uint8_t *last_in; size_t last_in_len;       /* last message received */
    uint8_t *last_out; size_t last_out_len;     /* what we sent in reaction to it */
    bool reacting;                      /* the next send is the reaction to last_in */
    uint32_t req_mid;                   /* our outstanding request (0: none) */
    uint8_t *req; size_t req_len;
    unsigned req_tries, req_max_tries;
    sd_event_source *req_timer;

    /* Xauth. */
    uint16_t cfg_identifier;
    unsigned xauth_attempts;
    enum { XAUTH_WAIT_REPLY, XAUTH_CHECKING, XAUTH_WAIT_ACK } xauth_step;
    bool xauth_ok;                      /* the SET we sent said OK */
    bool xauth_done;
    struct ikev1_xauth_radius *xauth_radius;    /* Xauth against RADIUS in progress (ikev1-xauth-radius.c) */
    struct aaa_grant *grant;            /* what the Access-Accept authorized; NULL for local users */

    /* Mode Config and the session. */
    bool has_address;
    struct config_address address;
    struct in_addr netmask;
    struct pool *pool;

    struct hashmap *quick;              /* message ID (4 bytes) -> struct ikev1_quick */
    struct ikev1_held_quick held[IKEV1_QUICK_MAX];
    size_t n_held;
    struct ikev1_child *children;       /* n_children of children_cap (allocated: ikev1_children_reserve) */
    size_t n_children, children_cap;
    uint8_t **capture; size_t *capture_len;    /* set: the next message sent is copied there */
    struct session *session;
    struct queued_timer policy_timer;   /* group policy idle and session timeouts (ike->timers) */
    struct queued_timer dpd_timer;      /* dead peer detection (ikev1-dpd.c) */
    uint32_t dpd_seq;                   /* our last R-U-THERE sequence number */
    unsigned dpd_unanswered;
    uint64_t dpd_bytes_in, dpd_checked_usec;
    uint64_t last_rx_usec;              /* CLOCK_MONOTONIC: last authentic message from the client */
    struct session_activity activity;   /* inbound ESP last seen to move */
    uint64_t established_usec;
    bool lifetime_grace;                /* the lifetime ran out during a re-authentication once */
    bool lifetime_announced;            /* RESPONDER-LIFETIME sent (ikev1-phase1-lifetime.c) */
    /* Took over its session from this ISAKMP SA (ikev1-phase1-reauth.c);
     * until the client deletes it, a DELETE naming this SA may mean it. */
    uint8_t predecessor_cookies[2 * IKEV1_COOKIE_LEN];
    char predecessor_name[24];
    bool predecessor_delete_due;
};

/* ---- ikev1-responder.c ---------------------------------------------------- */

void ikev1_sa_log_ctx(const struct ikev1_isakmp_sa *sa, struct log_ctx *ctx);

/* How a protected message we send is remembered. */
enum ikev1_send_kind {
    IKEV1_SEND_ONCE,            /* notifications: not kept */
    IKEV1_SEND_REQUEST,         /* our request: retransmitted until answered */
};

/* Sends a message under the ISAKMP SA. b holds the plaintext chain in
 * plain, started with ikev1_build_hash_reserve(): the HASH is
 * prf(SKEYID_a, M-ID | [ni |] rest) (ni: Quick Mode HASH(2)). Encrypts,
 * logs "sending ...", sends; caches it as the reaction to the last
 * message received if it is the first since. */
int ikev1_send_hashed(struct ikev1_isakmp_sa *sa, uint8_t exchange, uint32_t mid, struct ikev1_builder *b,
                      uint8_t *plain, const uint8_t *ni, size_t ni_len, enum ikev1_send_kind kind);
/* Encrypts a plaintext chain (no HASH added: phase-1 messages 5 and 6)
 * and sends it like ikev1_send_hashed(). */
int ikev1_send_encrypted(struct ikev1_isakmp_sa *sa, uint8_t exchange, uint32_t mid, const uint8_t *plain,
                         size_t plain_len, uint8_t first_type, enum ikev1_send_kind kind);
/* An Informational with one Notify (protocol ISAKMP, both cookies as SPI
 * unless spi given). */
void ikev1_send_notify(struct ikev1_isakmp_sa *sa, uint8_t protocol, const void *spi, uint8_t spi_size,
                       uint16_t type, const void *data, size_t len);
/* A fresh, unused message ID. */
uint32_t ikev1_new_mid(struct ikev1_isakmp_sa *sa);
/* Our outstanding request was answered: no more retransmissions. */
void ikev1_request_done(struct ikev1_isakmp_sa *sa);
/* (Re)arms the deadline of the current stage; on expiry the SA ends with
 * `why` in the log. */
void ikev1_set_deadline(struct ikev1_isakmp_sa *sa, uint64_t seconds, const char *why);

/* The client is set up: from now the deadline is the end of the ISAKMP
 * SA's negotiated lifetime (counted from phase 1), when the session ends. */
void ikev1_lifetime_start(struct ikev1_isakmp_sa *sa);

/* Ends the ISAKMP SA: DELETE to the peer when send_delete and phase 1 is
 * done, SAs out of the kernel, lease back, session gone. */
void ikev1_sa_terminate(struct ikev1_isakmp_sa *sa, bool send_delete, const char *reason);
void ikev1_free_all(struct ike *ike);
void ikev1_handle_packet(struct ike *ike, const struct ike_packet *pkt);
int ikev1_session_counters(struct session *s, const struct xfrm_snapshot *snap, struct session_counters *c);
/* `vpnctl terminate`, a reload that removed what the session stands on. */
void ikev1_session_terminate(struct session *s, const char *reason);
void ikev1_session_sas(struct session *s, struct session_sas *out);
/* session_ops.describe (ikev1-describe.c). */
struct json_object;
int ikev1_session_describe(struct session *s, const struct xfrm_snapshot *snap, struct json_object *out);
/* Watches the group policy's idle-timeout and session-timeout of a session. */
int ikev1_start_policy_timer(struct ikev1_isakmp_sa *sa);

/* Xauth named the user: an earlier SA of the same user ends when this
 * one carried INITIAL-CONTACT; this SA becomes the user's latest. */
void ikev1_user_known(struct ikev1_isakmp_sa *sa);

/* ---- ikev1-phase1.c --------------------------------------------------------- */

void ikev1_handle_aggressive(struct ike *ike, const struct ike_packet *pkt, const struct ikev1_header *hdr);
/* Main Mode message 1, then messages 3 and 5 (plaintext chain). */
void ikev1_handle_main1(struct ike *ike, const struct ike_packet *pkt, const struct ikev1_header *hdr);
void ikev1_handle_main(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt, const struct ikev1_payload_list *pl,
                       const struct ikev1_header *hdr);
/* Aggressive Mode message 3 (plaintext chain, decrypted if it was). */
void ikev1_handle_aggressive3(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt,
                              const struct ikev1_payload_list *pl, const struct ikev1_header *hdr);

/* Shared with ikev1-auth-sig.c: whether a group's ike-proposals accept
 * the transform negotiated in message 1 (why not, otherwise); message 5
 * authenticated or at least decrypted under the phase-1 key (the IV chain
 * moves on, the peer's address and NAT state, the log line, kept for
 * retransmissions, INITIAL-CONTACT); message 6 is out: phase 1 done, Xauth
 * or Mode Config next. */
bool ikev1_p1_choice_allowed(const struct ikev1_p1_choice *c, const struct config_tunnel_group *tg, char *why,
                             size_t len);
void ikev1_p1_message5_accepted(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt,
                                const struct ikev1_payload_list *pl, const struct ikev1_header *hdr,
                                struct log_ctx *ctx);
void ikev1_main_established(struct ikev1_isakmp_sa *sa, struct log_ctx *ctx);

/* ---- ikev1-auth-sig.c: Main Mode with RSA signatures ---------------------------- */

/* Auth methods 3 (RSA signatures) and 65005 (the same, then Xauth). */
static inline bool ikev1_auth_is_signature(uint16_t auth_method)
{
    return auth_method == IKEV1_AUTH_RSA_SIG || auth_method == IKEV1_AUTH_XAUTH_INIT_RSA;
}
/* An IKEv1 tunnel group whose clients authenticate with certificates. */
bool ikev1_sig_group(const struct config_tunnel_group *tg);
/* Message 4's CR payloads: the DNs of the certificate groups' CAs. */
void ikev1_sig_build_certreqs(struct ikev1_isakmp_sa *sa, struct ikev1_builder *b);
/* Message 5 (decrypted): the group by the ID, then chain, identity and
 * SIG_I checked and SIG_R made on a worker; message 6 afterwards. */
void ikev1_sig_message5(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt, const struct ikev1_payload_list *pl,
                        const struct ikev1_header *hdr, struct log_ctx *ctx);

/* ---- ikev1-xauth.c / ikev1-modecfg.c ---------------------------------------- */

/* Phase 1 is done: Xauth REQUEST, or straight to Mode Config. */
void ikev1_xauth_start(struct ikev1_isakmp_sa *sa);
/* A verified Transaction message. */
void ikev1_handle_transaction(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr,
                              const struct ikev1_payload_list *pl);
void ikev1_modecfg_start(struct ikev1_isakmp_sa *sa);
/* Xauth's messages (ikev1-xauth.c): a REQUEST for user name and password
 * (with XAUTH_MESSAGE when `message`), the final SET with the status; the
 * local password check on a worker. */
void ikev1_xauth_send_request(struct ikev1_isakmp_sa *sa, const char *message);
void ikev1_xauth_send_status(struct ikev1_isakmp_sa *sa, bool ok);
void ikev1_xauth_check_local(struct ikev1_isakmp_sa *sa, const char *name, const char *password);
/* A failed attempt (logged by the caller): another REQUEST while attempts
 * remain (`final` uses them up), else the FAIL status. */
void ikev1_xauth_attempt_failed(struct ikev1_isakmp_sa *sa, bool final);
unsigned ikev1_xauth_max_attempts(const struct ikev1_isakmp_sa *sa);

/* ---- ikev1-xauth-radius.c ---------------------------------------------------- */

/* The REPLY's credentials go to the tunnel group's authentication-server-group. */
void ikev1_xauth_radius_check(struct ikev1_isakmp_sa *sa, const char *name, const char *password);
/* Cancels the request in flight, wipes what it kept. */
void ikev1_xauth_radius_free(struct ikev1_isakmp_sa *sa);
bool ikev1_modecfg_handle(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr, const struct ikev1_cfg *cfg);

/* ---- ikev1-dpd.c --------------------------------------------------------------- */

/* Starts dead peer detection when the client does DPD and the tunnel
 * group has a dpd-interval. */
int ikev1_dpd_start(struct ikev1_isakmp_sa *sa);

/* ---- ikev1-quick.c ---------------------------------------------------------- */

/* A verified Quick Mode message: message 1 of a new exchange (held
 * before the SA is READY) or message 3 of one in progress. raw: the
 * message as received. */
void ikev1_handle_quick(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr,
                        const struct ikev1_payload_list *pl, const uint8_t *raw, size_t raw_len);
void ikev1_handle_quick1(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr,
                         const struct ikev1_payload_list *pl, const uint8_t *raw, size_t raw_len);
/* The Quick Mode of message ID mid in progress, or NULL. */
struct ikev1_quick *ikev1_quick_find(const struct ikev1_isakmp_sa *sa, uint32_t mid);
/* Ends every Quick Mode in progress and drops the held ones. */
void ikev1_quick_free_all(struct ikev1_isakmp_sa *sa);
/* A retransmitted message 1 of a Quick Mode in progress or held: true
 * when handled (our message 2 sent again, or nothing yet). */
bool ikev1_quick_retransmission(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt,
                                const struct ikev1_header *hdr);
/* Informational from the client: DELETE, DPD. */
void ikev1_handle_informational(struct ikev1_isakmp_sa *sa, const struct ikev1_payload_list *pl);

/* ---- ikev1-child.c: the session's pairs of IPsec SAs --------------------------------- */

/* Room for one more child (up to IKEV1_CHILDREN_MAX), before its SAs are
 * installed: most sessions have one or two, not IKEV1_CHILDREN_MAX inline.
 * May move the array: pointers to children are invalid afterwards.
 * -ENOSPC at the maximum, -ENOMEM. */
int ikev1_children_reserve(struct ikev1_isakmp_sa *sa);
/* The child whose networks are exactly these, or NULL. */
struct ikev1_child *ikev1_child_find_networks(struct ikev1_isakmp_sa *sa, const struct config_prefix *networks,
                                              size_t n);
/* Removes child i (all of its SAs, its policies; the route stays while
 * other children use it). */
void ikev1_child_remove(struct ikev1_isakmp_sa *sa, size_t i, const char *why);
/* Removes every child (ISAKMP SA end). */
void ikev1_children_remove_all(struct ikev1_isakmp_sa *sa);
/* Sums the inbound bytes of every child (DPD, idle timeout); < 0 when
 * the kernel does not answer. */
int ikev1_children_bytes_in(struct ikev1_isakmp_sa *sa, uint64_t *bytes_in);
/* A DELETE for ESP SPI spi (the client's inbound, our outbound). */
void ikev1_child_deleted_by_client(struct ikev1_isakmp_sa *sa, uint32_t spi);

/* ---- ikev1-quick-hold.c ------------------------------------------------------------- */

/* A Quick Mode 1 before READY: kept (a new one for the same proxy IDs
 * replaces it, as IOS does with "saved qm no longer needed"). */
void ikev1_quick_hold(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr, const uint8_t *plain,
                      size_t plain_len, const uint8_t *raw, size_t raw_len);
/* The SA is READY: the held Quick Modes are answered, in arrival order;
 * a session adopted by re-authentication gets its DPD. */
void ikev1_sa_ready(struct ikev1_isakmp_sa *sa);
void ikev1_quick_held_free(struct ikev1_isakmp_sa *sa);

/* ---- ikev1-phase1-reauth.c ------------------------------------------------------------ */

/* Mode Config is about to give the client an address: when the same user
 * (same tunnel group, same peer address) has a READY ISAKMP SA with a
 * session, the client re-authenticates (a new Main or Aggressive Mode
 * before the old ISAKMP SA expires, as strongSwan does): this SA takes
 * over the session, its address and its IPsec SAs; the old ISAKMP SA
 * lives on without them until the client deletes it or it expires.
 * True when it did. */
bool ikev1_reauth_adopt(struct ikev1_isakmp_sa *sa);
/* The client re-authenticates right now: a newer ISAKMP SA of the same
 * user from the same host has passed Xauth and has not taken the session
 * over yet (that happens when its Mode Config starts). */
bool ikev1_reauth_pending(struct ikev1_isakmp_sa *sa);
/* A DELETE of the client for ISAKMP SAs, received under sa: each named
 * by its cookie pair (RFC 2408 3.15), sa itself or another ISAKMP SA of
 * the same client (a client deletes its old ISAKMP SA through the new
 * one after a phase 1 rekey). pl: the whole message. True when sa itself
 * is gone. */
bool ikev1_client_deletes_isakmp_sa(struct ikev1_isakmp_sa *sa, const struct ikev1_delete *d,
                                    const struct ikev1_payload_list *pl);

/* ---- ikev1-phase1-lifetime.c ---------------------------------------------------------- */

/* Phase 1 is complete (READY): tells the client vpnd's ISAKMP SA
 * lifetime in an Informational RESPONDER-LIFETIME when it is shorter than
 * the client's offer. Once per SA. */
void ikev1_p1_lifetime_announce(struct ikev1_isakmp_sa *sa);
