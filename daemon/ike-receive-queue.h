/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKE receive queue: what the sockets read, waiting for the protocol
 * code, in two classes (ike-socket.c fills and drains it).
 *
 * Under a reconnect storm the sockets receive faster than the loop can
 * answer. With one FIFO (the kernel's socket queue) the IKE_AUTH of a
 * client whose IKE_SA_INIT was answered waits behind every new
 * IKE_SA_INIT and its retransmissions, reaches the loop after the
 * half-open timeout and finds its IKE SA gone; and when the kernel queue
 * overflows it drops whatever comes, IKE_AUTH included. So the sockets are
 * read dry into this queue, which
 *
 *  - hands out messages for existing IKE SAs (a non-zero responder SPI:
 *    IKE_AUTH, INFORMATIONAL, CREATE_CHILD_SA, IKEv1 past its first
 *    message, and every response) before messages that start one
 *    (IKE_SA_INIT, the first IKEv1 message: responder SPI zero);
 *  - hands out the latter newest first, and keeps at most `new_max`: a
 *    copy of a message already waiting (same peer address:port, initiator
 *    SPI and bytes: a retransmission) replaces it and counts as the
 *    newest; beyond the limit the oldest is dropped. Under overload, first-in-first-out would answer each client
 *    after it gave up; newest first answers most clients on one of their
 *    transmissions, in time;
 *  - keeps at most `existing_max` of the former and `bytes_max` bytes in
 *    all; beyond, the message read is dropped.
 * Every drop is counted (`vpnctl stats`, "receive queue").
 *
 * Entries and their buffers are reused: no allocation per datagram once
 * the queue has been this deep before. Not thread-safe (the loop's).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike-socket.h"

/* Limits ike-socket.c uses: about what the kernel's socket buffer holds
 * (so a storm's first burst is not lost), and room for every established
 * client's next request many times over. */
#define IKE_RECEIVE_QUEUE_NEW_MAX 4096
#define IKE_RECEIVE_QUEUE_EXISTING_MAX 8192
#define IKE_RECEIVE_QUEUE_BYTES_MAX (32u * 1024u * 1024u)

enum ike_receive_class {
    IKE_RECEIVE_EXISTING,           /* for an IKE SA that exists (or a response): first */
    IKE_RECEIVE_NEW,                /* starts an IKE SA: responder SPI zero, a request */
};

/* From the IKE header alone (msg: at least IKE_SOCKET_MIN_MESSAGE bytes,
 * marker removed). A request with a zero responder SPI is NEW; everything
 * else EXISTING (an unknown non-zero SPI is dropped cheaply later, by the
 * SA lookup). */
enum ike_receive_class ike_receive_classify(const uint8_t *msg, size_t len);

struct ike_receive_queue_stats {
    uint64_t queued;                /* waiting now */
    uint64_t queued_peak;           /* most ever waiting at once */
    uint64_t new_replaced;          /* IKE_SA_INIT retransmissions merged with the waiting copy */
    uint64_t new_dropped;           /* oldest waiting IKE_SA_INIT dropped for newer ones */
    uint64_t existing_dropped;      /* messages for existing SAs dropped, the queue full */
};

struct ike_receive_queue;

int ike_receive_queue_new(struct ike_receive_queue **ret, size_t new_max, size_t existing_max, size_t bytes_max);
struct ike_receive_queue *ike_receive_queue_free(struct ike_receive_queue *q);

/* Copies pkt (data and addresses) into the queue. Returns its class, or
 * -ENOBUFS when it was dropped (counted), -ENOMEM. */
int ike_receive_queue_push(struct ike_receive_queue *q, const struct ike_packet *pkt);

/* The next message (existing SAs first, oldest first; then the newest new one) into
 * *out, whose data stays valid until the next pop, push or free. false
 * when there is none. */
bool ike_receive_queue_pop(struct ike_receive_queue *q, struct ike_packet *out);

size_t ike_receive_queue_length(const struct ike_receive_queue *q);
void ike_receive_queue_get_stats(const struct ike_receive_queue *q, struct ike_receive_queue_stats *stats);
