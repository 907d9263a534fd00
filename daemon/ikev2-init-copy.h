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

/* The half-open IKE SA's side (ikev2-init-copy-sa.c). */
struct ike;
struct ikev2_ike_sa;
struct ike_packet;

/* `pkt` is an IKE_SA_INIT request for sa (half-open) that is not its
 * request byte for byte. true when it is the same request with a valid
 * cookie of ours (or the copy kept before): then it is kept as the second
 * candidate, and the caller answers it like a retransmission once sa's
 * answer exists. */
bool ikev2_init_copy_keep(struct ike *ike, struct ikev2_ike_sa *sa, const struct ike_packet *pkt);

/* Exchanges sa's request with the second candidate, if any (true); for
 * trying the peer's AUTH over the other copy. */
bool ikev2_init_copy_swap(struct ikev2_ike_sa *sa);
