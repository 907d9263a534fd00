/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RFC 7383 on an IKE SA (internal to ikev2-*.c): incoming Encrypted
 * Fragments checked, decrypted and collected in sa->reassembly, and our
 * messages sent as fragments; ikev2-fragment.c does the cutting and the
 * bookkeeping without state.
 */
#pragma once

#include "ikev2-sa.h"

/* An SKF message: a request with message ID sa->expected_mid (the caller
 * checked the window), or a response to a request of ours (the initiator
 * side's window is its caller's; one reassembly per SA: fragments of
 * another message start it anew). Returns 1 when it completed the message: its inner chain is in
 * *plain (malloc'd: the caller wipes and frees it), *plain_len bytes,
 * first payload *first_inner; 0 while fragments are missing or when this
 * one was dropped (counted and logged at debug). */
int ikev2_fragment_receive(struct ikev2_ike_sa *sa, const struct ikev2_message *msg, const struct log_ctx *ctx,
                           uint8_t **plain, size_t *plain_len, uint8_t *first_inner);

/* Whether a message of `len` bytes must go out as fragments: the peer
 * supports them and it exceeds ike.fragment-size. */
bool ikev2_fragment_needed(const struct ikev2_ike_sa *sa, size_t len);

/* Encrypts `inner` into fragments of at most ike.fragment-size into *out
 * (empty before), each logged at debug ("sending IKE_AUTH response 1
 * [ EF(1/3) ]"). */
int ikev2_fragment_build(struct ikev2_ike_sa *sa, const struct ikev2_header *hdr, const uint8_t *inner,
                         size_t inner_len, uint8_t first_inner, const struct log_ctx *ctx,
                         struct ikev2_datagrams *out);

/* Sends every datagram of a message (a retransmission sends them all). */
int ikev2_datagrams_send(struct ike *ike, const union ike_sockaddr *local, const union ike_sockaddr *remote,
                         const struct ikev2_datagrams *d, const struct log_ctx *ctx);

/* Frees the SA's reassembly and its timer. */
void ikev2_fragment_sa_free(struct ikev2_ike_sa *sa);
