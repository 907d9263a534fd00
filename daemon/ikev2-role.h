/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An IKE SA's roles (RFC 7296 2.2, 2.14, 2.18). The "original initiator"
 * of an IKE SA is whoever sent the request that created it: the client for
 * IKE_SA_INIT and for its own IKE SA rekeys, vpnd for a rekey vpnd starts.
 * That role never changes for the SA and decides:
 *
 *   - the SPIs: the original initiator's is SPIi, the other SPIr; vpnd's
 *     own ("local") SPI keys the SA table whatever the role;
 *   - the header's Initiator flag: set on every message the original
 *     initiator sends, so a message tells which end sent it, and with it
 *     which of its SPIs is ours;
 *   - the keys: messages from the original initiator are protected with
 *     SK_ei/SK_ai, those from the original responder with SK_er/SK_ar.
 *
 * Pure functions of header fields, so unit tests check them alone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2-payload.h"

/* Our SPI in a received header: a message from the original initiator
 * (Initiator flag) names us in SPIr, one from the original responder in
 * SPIi. */
uint64_t ikev2_role_local_spi(const struct ikev2_header *hdr);

/* Whether a received header fits an SA we hold with our_ispi/our_rspi in
 * the role `we_initiated`: both SPIs equal and the Initiator flag set
 * exactly when the sender is the original initiator (the other end). */
bool ikev2_role_header_matches(const struct ikev2_header *hdr, uint64_t ispi, uint64_t rspi, bool we_initiated);

/* The flags of a message we send. */
uint8_t ikev2_role_flags(bool we_initiated, bool response);

/* The `from_initiator` argument of crypto_sk_encrypt/decrypt: what we send
 * is from the original initiator exactly when we are it; what we receive
 * exactly when we are not. */
static inline bool ikev2_role_keys_send(bool we_initiated)
{
    return we_initiated;
}

static inline bool ikev2_role_keys_receive(bool we_initiated)
{
    return !we_initiated;
}

/* RFC 7296 2.8.1 / 2.8.2, simultaneous rekeying: both ends started a
 * rekey of the same SA, so two new SAs exist, and the one whose exchange
 * used the lowest of the four nonces is redundant. `ni`/`nr` are the
 * nonces of our exchange (ours as initiator, theirs as responder),
 * `their_ni`/`their_nr` those of the exchange the peer started. True when
 * ours holds the lowest, i.e. our new SA is the one to delete. Nonces are
 * compared as octet strings, a shorter one that is a prefix of a longer
 * one being the lower. */
bool ikev2_rekey_collision_ours_redundant(const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                                          const uint8_t *their_ni, size_t their_ni_len, const uint8_t *their_nr,
                                          size_t their_nr_len);
