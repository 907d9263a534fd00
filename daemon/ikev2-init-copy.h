/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two copies of one IKE_SA_INIT request, one with a COOKIE and one without
 * (RFC 7296 2.6).
 *
 * Around the cookie threshold a responder may answer one copy of a
 * client's IKE_SA_INIT (the first, or a retransmission) with N(COOKIE) and
 * another copy normally. The client then resends its request with the
 * cookie, may accept the normal answer meanwhile (it does not say which
 * copy it answers), and signs the copy it sent last -- the one with the
 * cookie -- in IKE_AUTH, while the responder built its IKE SA from the
 * copy without. So a half-open IKE SA keeps a valid cookie-bearing copy
 * that arrives later as a second candidate for the initiator's signed
 * octets (RealMessage1), and IKE_AUTH accepts the AUTH over either.
 *
 * Only when the two offer exactly the same: every payload after the COOKIE
 * notify (SA, KE, Nonce, notifies, vendor IDs) byte for byte equal, so
 * that the negotiation the responder used is the one the client signed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether a and b (two IKE_SA_INIT requests) are the same request but for
 * a leading N(COOKIE) in either: same header (SPIi, exchange, version,
 * flags, message ID) and the same payloads otherwise, in order. false for
 * anything that does not parse. */
bool ikev2_init_copy_same_request(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* The retry of `request` (an IKE_SA_INIT) that a client sends after our
 * N(COOKIE) `cookie`: the notify first, all else unchanged (RFC 7296 2.6);
 * a COOKIE the request starts with already is replaced. A new buffer (its
 * length in *out_len), or NULL (out of memory, a request too short, a
 * malformed leading COOKIE, or already starting with this cookie). */
uint8_t *ikev2_init_copy_with_cookie(const uint8_t *request, size_t len, const uint8_t *cookie, size_t cookie_len,
                                     size_t *out_len);

/* The half-open IKE SA's side (ikev2-init-copy-sa.c). */
struct ike;
struct ikev2_ike_sa;
struct ike_packet;

/* `pkt` is an IKE_SA_INIT request for sa (half-open) that is not its
 * request byte for byte. true when it is the same request with a valid
 * cookie of ours (or the copy kept before): then it is kept as the second
 * candidate (replacing an earlier one), and the caller answers it like a
 * retransmission once sa's answer exists. */
bool ikev2_init_copy_keep(struct ike *ike, struct ikev2_ike_sa *sa, const struct ike_packet *pkt);

/* Runs check over sa's IKE_SA_INIT request and, when that finds no match
 * and there is a second candidate, over the second (which then becomes
 * sa's request): the client may have signed either copy. check returns
 * > 0 for a match, 0 for none, < 0 for an error; so does this. */
typedef int (*ikev2_init_copy_check_fn)(const uint8_t *request, size_t request_len, void *arg);
int ikev2_init_copy_check(struct ikev2_ike_sa *sa, ikev2_init_copy_check_fn check, void *arg);

/* For a new half-open IKE SA built from a request without a COOKIE: when
 * we sent this initiator a COOKIE lately (ikev2-cookies-sent.h), its retry
 * with that cookie becomes the second candidate at once, so IKE_AUTH can
 * sign it even if the retry itself arrives after the IKE_AUTH or never. */
void ikev2_init_copy_expect_retry(struct ike *ike, struct ikev2_ike_sa *sa);
