/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The half-open IKE SA table (ike->half_open: IKE_SA_INIT answered or being
 * answered, IKE_AUTH not done) and who may add to it (internal to
 * ikev2-*.c):
 *
 *  - above ike.cookie-threshold half-open SAs, an IKE_SA_INIT must carry
 *    the cookie vpnd handed out (RFC 7296 2.6, ikev2-cookie.c); without it
 *    the answer is N(COOKIE) and nothing is kept;
 *  - while the workers' backlog is long (IKEV2_HALF_OPEN_BACKLOG_MAX) too,
 *    and a valid cookie is then only let in when the backlog is short;
 *  - a peer address holds at most ike.half-open-per-peer half-open SAs, and
 *    all peers together ike.half-open-max; beyond, IKE_SA_INIT is dropped,
 *    counted and logged (at most one line per IKEV2_HALF_OPEN_LOG_USEC).
 *
 * The per-peer counts are a hash table keyed by address: every decision is
 * O(1), whatever the number of half-open SAs.
 */
#pragma once

#include "ikev2-sa.h"

#define IKEV2_HALF_OPEN_LOG_USEC (10ULL * 1000000ULL)
/* Admission while this many computations wait for a worker ("busy"): a
 * new IKE SA only adds to a backlog its client may time out in. Then every
 * IKE_SA_INIT needs a cookie (whatever the half-open count), and one with a
 * valid cookie is dropped (its client retransmits) unless that cookie is
 * IKEV2_HALF_OPEN_COOKIE_REFRESH_USEC old: then it gets a new cookie, which
 * restarts the client's retransmissions (about 165 s of patience for a
 * strongSwan-like 4 s x 1.8^n, 5 tries), so that a storm's clients wait
 * their turn instead of giving up. */
#define IKEV2_HALF_OPEN_BACKLOG_MAX 256
#define IKEV2_HALF_OPEN_COOKIE_REFRESH_USEC (30ULL * 1000000ULL)

enum ikev2_admission {
    IKEV2_ADMIT,                    /* go on with the exchange */
    IKEV2_ADMIT_SEND_COOKIE,        /* answer N(COOKIE) with the cookie given, keep nothing */
    IKEV2_ADMIT_DROP,               /* over a limit: no answer (counted and logged) */
};

/* Decides on an IKE_SA_INIT request whose payloads parsed (nonce: its Ni).
 * For IKEV2_ADMIT_SEND_COOKIE, cookie holds *cookie_len bytes. */
enum ikev2_admission ikev2_half_open_admit(struct ike *ike, const struct ike_packet *pkt,
                                           const struct ikev2_header *hdr, const struct ikev2_payload_list *payloads,
                                           const struct ikev2_nonce *nonce, const struct log_ctx *ctx,
                                           uint8_t cookie[IKEV2_COOKIE_LEN], size_t *cookie_len);

/* Puts a new SA into the half-open table under sa->half_open_key and counts
 * it (total and for its peer address). */
int ikev2_half_open_add(struct ike *ike, struct ikev2_ike_sa *sa);

/* The SA no longer counts for its peer address (it is established or
 * gone); idempotent. */
void ikev2_half_open_peer_release(struct ike *ike, struct ikev2_ike_sa *sa);

/* At the end: the per-peer table and the cookie secrets (wiped). */
void ikev2_half_open_free(struct ike *ike);
