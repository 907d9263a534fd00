/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 message fragmentation (RFC 7383), without protocol state or I/O:
 *
 *  - ikev2_fragment_message() cuts an encrypted message's inner payloads
 *    into Encrypted Fragment (SKF) datagrams no larger than a given size,
 *    each protected on its own (its IKE header and SKF header as associated
 *    data): fragment 1 names the first inner payload, the others carry 0.
 *  - struct ikev2_reassembly collects the decrypted contents of the
 *    fragments of one message (the caller checks each fragment's integrity
 *    and decrypts it first), in any order, once each, within limits, and
 *    gives the whole inner chain back when the last one is in.
 *
 * struct ikev2_datagrams is one message as sent: a single datagram or its
 * fragments; the response cache keeps it so that a retransmitted request
 * gets every fragment again, byte for byte.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto-ikev2.h"
#include "ikev2-payload.h"

/* Fragments of one message, in either direction. strongSwan's IKE_AUTH
 * with a certificate chain at a 576-byte fragment size needs ~15. */
#define IKEV2_FRAGMENTS_MAX 64
/* Decrypted bytes of one reassembled message (IKE lengths are 16-bit). */
#define IKEV2_REASSEMBLY_BYTES_MAX 65535
/* An unfinished reassembly is dropped after this long (RFC 7383 2.6.2: a
 * peer that gave up does not leave its fragments behind). */
#define IKEV2_REASSEMBLY_TIMEOUT_USEC (30ULL * 1000000ULL)
/* UDP header and NAT-T non-ESP marker: what a datagram adds to the IKE
 * message within the configured fragment size (IP payload). */
#define IKEV2_FRAGMENT_OVERHEAD (8 + 4)

/* One message as datagrams (owned copies). Every IKE SA keeps one (its
 * last response), nearly always a single datagram: the two arrays share
 * one allocation sized to what is held (`cap` slots, len right after data),
 * not IKEV2_FRAGMENTS_MAX slots in every SA. */
struct ikev2_datagrams {
    size_t n, cap;
    uint8_t **data;
    size_t *len;
};

/* Frees every datagram; *d is empty afterwards. */
void ikev2_datagrams_clear(struct ikev2_datagrams *d);
/* Appends a copy of buf. -E2BIG when full, -ENOMEM. */
int ikev2_datagrams_add(struct ikev2_datagrams *d, const uint8_t *buf, size_t len);

/* Largest inner payload bytes one fragment of at most max_datagram bytes
 * (IKE header and SKF payload included) can carry with these keys; 0 when
 * nothing fits. */
size_t ikev2_fragment_capacity(const struct crypto_ike_keys *keys, size_t max_datagram);

/* Cuts `inner` (a chain starting with first_inner) into SKF messages of at
 * most max_datagram bytes each, with header *hdr (its length and next
 * payload are set here), encrypted with the keys of the sending side
 * (from_initiator as in crypto-sk.h). The datagrams are appended to *out
 * (which should be empty). -E2BIG when more than IKEV2_FRAGMENTS_MAX
 * fragments would be needed or nothing fits; -EINVAL for an empty chain. */
int ikev2_fragment_message(const struct crypto_ike_keys *keys, bool from_initiator, const struct ikev2_header *hdr,
                           const uint8_t *inner, size_t inner_len, uint8_t first_inner, size_t max_datagram,
                           struct ikev2_datagrams *out);

/* What became of a fragment offered to the reassembly. */
enum ikev2_fragment_result {
    IKEV2_FRAGMENT_STORED,          /* kept, others missing */
    IKEV2_FRAGMENT_COMPLETE,        /* every fragment is in: ikev2_reassembly_take() */
    IKEV2_FRAGMENT_DUPLICATE,       /* that number was received already: dropped */
    IKEV2_FRAGMENT_OLD_TOTAL,       /* fewer Total Fragments than before (RFC 7383 2.6.2): dropped */
    IKEV2_FRAGMENT_TOO_MANY,        /* Total Fragments over IKEV2_FRAGMENTS_MAX: dropped */
    IKEV2_FRAGMENT_TOO_LARGE,       /* the message would exceed IKEV2_REASSEMBLY_BYTES_MAX: all dropped */
    IKEV2_FRAGMENT_BAD_FIRST,       /* fragment 1 without a first payload type: dropped */
    IKEV2_FRAGMENT_NO_MEMORY,
};

/* "duplicate fragment", ... */
const char *ikev2_fragment_result_string(enum ikev2_fragment_result r);

struct ikev2_reassembly {
    bool active;
    uint32_t message_id;
    uint8_t exchange;
    uint16_t total;                 /* Total Fragments of the fragments kept */
    uint16_t received;
    uint8_t first_inner;            /* Next Payload of fragment 1 */
    size_t bytes;                   /* decrypted bytes kept */
    uint64_t started_usec;          /* CLOCK_MONOTONIC of the first fragment */
    uint8_t *part[IKEV2_FRAGMENTS_MAX];     /* by Fragment Number - 1 */
    size_t part_len[IKEV2_FRAGMENTS_MAX];
};

/* Offers the decrypted content of fragment `number` of `total` of message
 * `message_id` (exchange type `exchange`; next_type: the SKF payload's Next
 * Payload). A reassembly of another message or exchange, or one older than
 * IKEV2_REASSEMBLY_TIMEOUT_USEC, is dropped first and *restarted set (the
 * caller lets only the expected message ID through). A larger Total
 * Fragments than before also starts anew (the peer re-fragmented smaller,
 * RFC 7383 2.6.2). */
enum ikev2_fragment_result ikev2_reassembly_add(struct ikev2_reassembly *r, uint64_t now_usec, uint32_t message_id,
                                                uint8_t exchange, uint16_t number, uint16_t total,
                                                uint8_t next_type, const uint8_t *plain, size_t len,
                                                bool *restarted);

/* After IKEV2_FRAGMENT_COMPLETE: the inner chain in one malloc'd buffer
 * (*len may be 0 with a non-NULL buffer) and its first payload type; the
 * reassembly is reset. -ENOMEM (the reassembly is reset too), -EINVAL when
 * not complete. The caller wipes and frees *buf. */
int ikev2_reassembly_take(struct ikev2_reassembly *r, uint8_t **buf, size_t *len, uint8_t *first_inner);

/* Wipes and frees what is kept; the reassembly is inactive afterwards. */
void ikev2_reassembly_reset(struct ikev2_reassembly *r);

/* Whether a request datagram is fragment 1 or not a fragment at all: only
 * those make vpnd resend a cached response (RFC 7383 2.6.1). */
bool ikev2_fragment_may_retransmit(const uint8_t *data, size_t len, const struct ikev2_header *hdr);
