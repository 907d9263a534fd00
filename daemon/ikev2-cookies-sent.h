/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The COOKIEs we sent lately, by initiator SPI and address: a fixed-size,
 * lossy memory (a new entry overwrites whatever shared its slot), made
 * when the first cookie is sent.
 *
 * Why: around the cookie threshold one copy of a client's IKE_SA_INIT may
 * get a COOKIE and a retransmitted copy a normal answer. The client then
 * sends the request again with the cookie, may take the normal answer
 * meanwhile, and signs the copy it sent last (with the cookie) in
 * IKE_AUTH. The IKE SA was built from the copy without; the copy with the
 * cookie may reach us after the IKE_AUTH (the receive queue hands out
 * requests for existing SAs first) or never. Knowing the cookie we sent,
 * the IKE SA can make that copy itself when it is created (RFC 7296 2.6:
 * the retry is the request with N(COOKIE) first and all else unchanged),
 * so AUTH can be checked over either whatever the order of arrival.
 *
 * Bounded and stateless towards the sender: a flood of spoofed requests
 * only cycles the slots, and an entry is only a hint (a wrong or lost one
 * costs nothing but the second try).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ike-socket.h"

struct ikev2_cookies_sent;

struct ikev2_cookies_sent *ikev2_cookies_sent_new(void);
struct ikev2_cookies_sent *ikev2_cookies_sent_free(struct ikev2_cookies_sent *cs);

/* Notes the cookie sent to the initiator (SPIi, address) at now_usec. */
void ikev2_cookies_sent_note(struct ikev2_cookies_sent *cs, uint64_t ispi, const union ike_sockaddr *initiator,
                             const uint8_t *cookie, size_t cookie_len, uint64_t now_usec);

/* The cookie noted for this initiator within max_age_usec of now_usec: its
 * length (copied to out, room out_size), or 0. */
size_t ikev2_cookies_sent_find(const struct ikev2_cookies_sent *cs, uint64_t ispi,
                               const union ike_sockaddr *initiator, uint64_t now_usec, uint64_t max_age_usec,
                               uint8_t *out, size_t out_size);
