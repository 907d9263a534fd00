/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vpnd as the requester on an IKE SA the client started (internal to
 * ikev2-*.c). RFC 7296 lets either end of an IKE SA send requests; vpnd
 * sends liveness checks (ikev2-dpd.c), DELETEs and CHILD SA rekeys
 * (ikev2-child-rekey.c) through one queue per IKE SA (ikev2-request.c):
 *
 *   - window size 1 (2.3): one request outstanding, the next one waits;
 *     our message IDs count on their own (next_request_mid);
 *   - retransmission (2.1): the same bytes again after
 *     ike.retransmit-timeout, the wait doubling, ike.retransmit-tries times;
 *     a liveness check instead every dpd-interval, dpd-retries checks in
 *     all (vpnd.conf(5)); then the peer is given up and the IKE SA with
 *     everything it owns goes away;
 *   - a response (Response flag, our message ID) is integrity-checked,
 *     decrypted and handed to the request's handler; a response to nothing
 *     outstanding is dropped and counted; responses are never answered.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "ikev2-fragment.h"
#include "ikev2-sa.h"

struct ikev2_child_rekey;
struct ikev2_ike_rekey;

/* The answer to a request: inner is the decrypted payload chain, or NULL
 * when no answer will come (the SA is going away: the handler frees what
 * userdata holds and must not send anything). */
typedef void (*ikev2_response_fn)(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner,
                                  void *userdata);

enum ikev2_request_kind {
    IKEV2_REQUEST_PLAIN,                /* retransmit-timeout / retransmit-tries */
    IKEV2_REQUEST_LIVENESS,             /* every dpd-interval, dpd-retries in all */
};

struct ikev2_request {
    struct ikev2_request *next;
    enum ikev2_request_kind kind;
    const char *what;                   /* "liveness check", "DELETE", ... for logs */
    uint8_t exchange;
    uint8_t first_type;
    uint8_t *inner;  size_t inner_len;  /* the plaintext chain (kept until sent) */
    ikev2_response_fn done;             /* NULL: nothing waits for the answer */
    void *userdata;
    /* Once sent. */
    uint32_t mid;
    struct ikev2_datagrams sent;        /* what went out (its fragments, if any), for retransmissions */
    unsigned transmissions;
};

/* What vpnd keeps as a requester on one IKE SA (sa->initiator). */
struct ikev2_deferred_outbound {
    struct child_sa child;
    struct crypto_child_keys keys;      /* wiped before it is freed */
    uint32_t lifetime_seconds;
    uint64_t lifetime_kilobytes;
};

struct ikev2_initiator {
    struct ikev2_request *outstanding;
    struct ikev2_request *queue, **queue_tail;
    struct queued_timer retransmit_timer;   /* ike->timers, like the two below */
    bool capturing;                     /* ikev2_send_encrypted is sending `outstanding` */
    bool deleting;                      /* our DELETE of the IKE SA is out: nothing else is sent */
    /* Liveness (ikev2-dpd.c). */
    struct queued_timer dpd_timer;
    uint64_t last_heard_usec;           /* CLOCK_MONOTONIC: last IKE message or ESP from the peer */
    uint64_t dpd_bytes_in;              /* inbound ESP bytes when last read */
    /* Our CHILD SA rekey in flight (ikev2-child-rekey.c). */
    struct ikev2_child_rekey *rekey;
    sd_event_source *rekey_retry;       /* a rekey that could not start yet */
    uint32_t retry_spi;                 /* our inbound SPI of the pair to rekey then */
    /* Allocated only while there is one (every established SA has an
     * initiator for DPD; these are rare and large). */
    struct child_sa *redundant;         /* a collision's redundant pair until its DELETE */
    /* A client's rekey (we respond): our new outbound SA waits until the
     * client can receive on the new pair (ikev2_child_defer_outbound). */
    struct ikev2_deferred_outbound *pending;
    sd_event_source *outbound_timer;
    /* Our IKE SA rekey (ikev2-ike-rekey-initiate.c): timer, exchange in flight. */
    struct queued_timer ike_rekey_timer;
    struct ikev2_ike_rekey *ike_rekey;
};

/* ---- ikev2-request.c ---- */

/* CLOCK_MONOTONIC in microseconds. */

/* The SA's requester state, created on first use; NULL when out of memory. */
struct ikev2_initiator *ikev2_initiator_get(struct ikev2_ike_sa *sa);
/* Queues a request (inner copied); it goes out when nothing else is
 * outstanding. done may be NULL. -ESHUTDOWN once the SA is being deleted. */
int ikev2_request_queue(struct ikev2_ike_sa *sa, enum ikev2_request_kind kind, const char *what, uint8_t exchange,
                        const uint8_t *inner, size_t inner_len, uint8_t first_type, ikev2_response_fn done,
                        void *userdata);
/* Whether a request of ours is outstanding or queued. */
bool ikev2_request_busy(const struct ikev2_ike_sa *sa);
/* Called by ikev2_send_encrypted for every request it sent (the bytes to
 * retransmit). */
void ikev2_request_sent(struct ikev2_ike_sa *sa, const uint8_t *packet, size_t len);
/* The same for a request sent in RFC 7383 fragments: takes them over (and
 * returns true) when they are ours to keep. */
bool ikev2_request_sent_fragments(struct ikev2_ike_sa *sa, struct ikev2_datagrams *frags);
/* A response arrived (Response flag set): find the SA, check, decrypt and
 * dispatch. */
void ikev2_handle_response(struct ike *ike, const struct ike_packet *pkt, const struct ikev2_header *hdr);
/* Any authentic message from the peer: it is alive (DPD). */
void ikev2_peer_heard(struct ikev2_ike_sa *sa);
/* From ikev2_ike_sa_terminate when it is asked to tell the peer: sends the
 * DELETE of the IKE SA. Returns true when the SA stays (state DELETING, no
 * CHILD SA, no session) until the DELETE is answered or given up; false
 * when it was sent once, best effort (vpnd is stopping), or not at all. */
bool ikev2_request_delete_ike(struct ikev2_ike_sa *sa);
/* From ikev2_ike_sa_terminate: every handler is told no answer comes,
 * timers stop, the state is freed. */
void ikev2_initiator_free(struct ikev2_ike_sa *sa);
/* Started once the SA is established with its CHILD SA (from
 * ikev2_sa_start_policy_timer, also after an IKE SA rekey): liveness checks
 * start. (Kernel expiry events find the SA through its session's reqid.) */
void ikev2_initiator_start(struct ikev2_ike_sa *sa);
/* An IKE SA rekey moved everything from old to n: our requests on the old
 * SA are abandoned (the old SA only waits for its DELETE). */
void ikev2_initiator_take_over(struct ikev2_ike_sa *n, struct ikev2_ike_sa *old);

/* ---- ikev2-dpd.c ---- */

/* Starts (or restarts) the liveness watch of the group's dpd-interval. */
void ikev2_dpd_start(struct ikev2_ike_sa *sa);
void ikev2_dpd_stop(struct ikev2_ike_sa *sa);

/* ---- ikev2-child-rekey.c ---- */

/* The kernel's soft expiry of one of the CHILD SA's SAs: rekey it. */
void ikev2_child_soft_expired(struct ikev2_ike_sa *sa, uint32_t spi, bool inbound);
/* Hard expiry: the kernel removed that SA. */
void ikev2_child_hard_expired(struct ikev2_ike_sa *sa, uint32_t spi, bool inbound);
/* A CREATE_CHILD_SA rekey from the client for the CHILD SA we are
 * rekeying ourselves (RFC 7296 2.8.1): remember its nonces so that the
 * redundant SA can be chosen once both exchanges are done. Called by the
 * responder side after it installed the client's new pair. */
void ikev2_child_rekey_collided(struct ikev2_ike_sa *sa, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                                size_t nr_len, const struct child_sa *theirs);
/* The client's DELETE named an ESP SPI the responder side does not know:
 * one of ours (a redundant SA of a collision)? Writes our inbound SPI of it
 * into *our_spi and removes it. */
bool ikev2_child_rekey_peer_deleted(struct ikev2_ike_sa *sa, uint32_t their_spi, uint32_t *our_spi);
/* Responding to a client's rekey, the new inbound SA is in: the outbound
 * one goes in when the client deletes the old pair (or after a few
 * seconds), so that nothing is sent on a pair the client cannot read yet
 * (RFC 7296 2.8). Installs it at once when it cannot be kept. */
int ikev2_child_defer_outbound(struct ikev2_ike_sa *sa, const struct child_sa *c, const struct child_sa_params *p,
                               char *err, size_t err_len);
/* Installs a deferred outbound SA now (the client deleted the old pair). */
void ikev2_child_install_deferred_outbound(struct ikev2_ike_sa *sa);
void ikev2_child_drop_deferred_outbound(struct ikev2_ike_sa *sa);
/* Abandons our rekey (SA going away). */
void ikev2_child_rekey_abandon(struct ikev2_ike_sa *sa);
/* After the rekey answered: DELETE our old CHILD SA (one pair). */
int ikev2_child_delete_old(struct ikev2_ike_sa *sa, const struct child_sa *old);

/* ---- ikev2-ike-rekey-initiate.c ---- */

/* Times our rekey of the IKE SA 5-10 % before its lifetime ends (from
 * ikev2_initiator_start: at establishment and after every rekey). */
void ikev2_ike_rekey_schedule(struct ikev2_ike_sa *sa);
/* Stops the timer and abandons a rekey in flight (SA going or replaced). */
void ikev2_ike_rekey_abandon(struct ikev2_ike_sa *sa);
/* The client rekeys the IKE SA (its Ni, our Nr) while ours may be in
 * flight: 0 when ours was not sent yet (it is dropped: no collision) or
 * there is none; 1 for a collision (RFC 7296 2.8.2: both exchanges go on,
 * the nonces are kept to choose the survivor); -EBUSY when ours is being
 * completed (the client gets TEMPORARY_FAILURE and tries again later). */
int ikev2_ike_rekey_peer_rekeys(struct ikev2_ike_sa *sa, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                                size_t nr_len);
/* Whether the client's colliding rekey still waits for its new SA. */
bool ikev2_ike_rekey_collision_pending(struct ikev2_ike_sa *sa);
/* The client's colliding rekey made n (owning nothing yet). */
void ikev2_ike_rekey_collision_created(struct ikev2_ike_sa *sa, struct ikev2_ike_sa *n);
/* The client's colliding rekey failed on our side: no collision after all. */
void ikev2_ike_rekey_collision_failed(struct ikev2_ike_sa *sa);
/* The client deletes the IKE SA while its colliding rekey's new SA owns
 * nothing yet (it never saw ours, or its SA won): that one takes over. */
void ikev2_ike_rekey_old_deleted(struct ikev2_ike_sa *sa);

/* ---- ikev2-initial-contact.c ---- */

/* IKE_AUTH with N(INITIAL_CONTACT) authenticated: ends the identity's
 * earlier sessions in the same tunnel group (no DELETE: the client has
 * forgotten them). */
void ikev2_initial_contact(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner);
