/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKE receive queue (see ike-receive-queue.h): two lists, messages for
 * existing IKE SAs (first in, first out) ahead of new ones (last in, first
 * out), and a hash of the waiting new ones by peer and initiator SPI to
 * merge copies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "ike-receive-queue.h"

/* IKE header offsets (RFC 7296 3.1; the same for ISAKMP, RFC 2408 3.1). */
#define HDR_RSPI 8
#define HDR_VERSION 17
#define HDR_FLAGS 19
#define IKEV2_FLAG_R 0x20

/* Buffers at most this large are kept for reuse with their entry; larger
 * ones (certificates, big fragments) are given back. */
#define KEEP_BUFFER 4096
#define MIN_BUFFER 1024
/* Idle entries kept for the next burst. */
#define KEEP_FREE 1024

struct new_key {
    uint64_t ispi;
    uint16_t port;
    uint8_t family;
    uint8_t addr[16];
} __attribute__((packed));

struct entry {
    struct entry *prev, *next;
    struct ike_packet pkt;          /* data points into buf */
    uint8_t *buf;
    size_t cap;
    bool is_new;
    struct new_key key;             /* when is_new */
};

struct fifo {
    struct entry *head, *tail;
    size_t n;
};

struct ike_receive_queue {
    struct fifo existing, fresh, idle;
    struct entry *current;          /* handed out by the last pop */
    struct hashmap *waiting_new;    /* new_key -> entry in `fresh` */
    size_t new_max, existing_max, bytes_max, bytes;
    struct ike_receive_queue_stats stats;
};

enum ike_receive_class ike_receive_classify(const uint8_t *msg, size_t len)
{
    static const uint8_t zero[8];

    if (len < IKE_SOCKET_MIN_MESSAGE || memcmp(msg + HDR_RSPI, zero, sizeof(zero)) != 0)
        return IKE_RECEIVE_EXISTING;
    /* A response with a zero responder SPI (an IKEv2 IKE_SA_INIT error
     * answer to a request of ours) belongs to an exchange under way. An
     * IKE_SA_INIT returning a COOKIE stays with the new ones: a storm's
     * clients all send one, and ahead of IKE_AUTH they would hold it up
     * as the kernel's one queue did. */
    if ((msg[HDR_VERSION] >> 4) == 2 && (msg[HDR_FLAGS] & IKEV2_FLAG_R))
        return IKE_RECEIVE_EXISTING;
    return IKE_RECEIVE_NEW;
}

static void fifo_append(struct fifo *f, struct entry *e)
{
    e->next = NULL;
    e->prev = f->tail;
    if (f->tail)
        f->tail->next = e;
    else
        f->head = e;
    f->tail = e;
    f->n++;
}

static void fifo_unlink(struct fifo *f, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        f->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        f->tail = e->prev;
    e->prev = e->next = NULL;
    f->n--;
}

static void entry_free(struct entry *e)
{
    if (!e)
        return;
    free(e->buf);
    free(e);
}

/* Back to the idle list (or freed): its message is gone. */
static void entry_retire(struct ike_receive_queue *q, struct entry *e)
{
    if (q->idle.n >= KEEP_FREE) {
        entry_free(e);
        return;
    }
    if (e->cap > KEEP_BUFFER) {
        free(e->buf);
        e->buf = NULL;
        e->cap = 0;
    }
    fifo_append(&q->idle, e);
}

/* Takes a waiting entry out of its FIFO (and the hash), its bytes no
 * longer counted; the caller reuses or retires it. */
static void entry_take(struct ike_receive_queue *q, struct entry *e)
{
    if (e->is_new) {
        fifo_unlink(&q->fresh, e);
        if (hashmap_get(q->waiting_new, &e->key, sizeof(e->key)) == e)
            hashmap_remove(q->waiting_new, &e->key, sizeof(e->key));
    } else
        fifo_unlink(&q->existing, e);
    q->bytes -= e->pkt.len;
}

static void make_key(struct new_key *k, const struct ike_packet *pkt)
{
    memset(k, 0, sizeof(*k));
    memcpy(&k->ispi, pkt->data, sizeof(k->ispi));
    k->family = (uint8_t)pkt->remote.sa.sa_family;
    if (pkt->remote.sa.sa_family == AF_INET6) {
        memcpy(k->addr, &pkt->remote.in6.sin6_addr, 16);
        k->port = pkt->remote.in6.sin6_port;
    } else {
        memcpy(k->addr, &pkt->remote.in.sin_addr, 4);
        k->port = pkt->remote.in.sin_port;
    }
}

/* Copies the message into e (growing its buffer when needed). */
static int entry_fill(struct entry *e, const struct ike_packet *pkt)
{
    if (e->cap < pkt->len) {
        size_t cap = pkt->len < MIN_BUFFER ? MIN_BUFFER : pkt->len;
        uint8_t *b = realloc(e->buf, cap);
        if (!b)
            return -ENOMEM;
        e->buf = b;
        e->cap = cap;
    }
    memcpy(e->buf, pkt->data, pkt->len);
    e->pkt = *pkt;
    e->pkt.data = e->buf;
    return 0;
}

static struct entry *entry_get(struct ike_receive_queue *q)
{
    struct entry *e = q->idle.head;
    if (e) {
        fifo_unlink(&q->idle, e);
        return e;
    }
    return calloc(1, sizeof(*e));
}

static void note_depth(struct ike_receive_queue *q)
{
    q->stats.queued = q->existing.n + q->fresh.n;
    if (q->stats.queued > q->stats.queued_peak)
        q->stats.queued_peak = q->stats.queued;
}

/* A retransmission of a waiting new message (the same bytes) takes its
 * place and goes to the front, as a new arrival: one answer serves both. */
static int replace_waiting(struct ike_receive_queue *q, struct entry *w, const struct ike_packet *pkt)
{
    w->pkt.local = pkt->local;
    w->pkt.ifindex = pkt->ifindex;
    fifo_unlink(&q->fresh, w);
    fifo_append(&q->fresh, w);
    q->stats.new_replaced++;
    return IKE_RECEIVE_NEW;
}

int ike_receive_queue_push(struct ike_receive_queue *q, const struct ike_packet *pkt)
{
    enum ike_receive_class class = ike_receive_classify(pkt->data, pkt->len);
    struct new_key key;
    int r;

    if (class == IKE_RECEIVE_NEW) {
        make_key(&key, pkt);
        struct entry *w = hashmap_get(q->waiting_new, &key, sizeof(key));
        if (w && w->pkt.len == pkt->len && memcmp(w->pkt.data, pkt->data, pkt->len) == 0)
            return replace_waiting(q, w, pkt);
        /* Room by dropping the oldest: served last anyway (newest first),
         * and their clients have retransmitted or given up meanwhile. */
        while (q->fresh.head && (q->fresh.n >= q->new_max || q->bytes + pkt->len > q->bytes_max)) {
            struct entry *old = q->fresh.head;
            entry_take(q, old);
            entry_retire(q, old);
            q->stats.new_dropped++;
        }
        if (q->fresh.n >= q->new_max || q->bytes + pkt->len > q->bytes_max) {
            q->stats.new_dropped++;
            return -ENOBUFS;
        }
    } else if (q->existing.n >= q->existing_max || q->bytes + pkt->len > q->bytes_max) {
        q->stats.existing_dropped++;
        return -ENOBUFS;
    }

    struct entry *e = entry_get(q);
    if (!e)
        return -ENOMEM;
    r = entry_fill(e, pkt);
    if (r < 0) {
        entry_free(e);
        return r;
    }
    e->is_new = class == IKE_RECEIVE_NEW;
    if (e->is_new) {
        e->key = key;
        /* Another message with the same peer and SPIi (not a copy) waits
         * on as well; the hash names the newest. */
        r = hashmap_replace(q->waiting_new, &key, sizeof(key), e, NULL);
        if (r < 0) {
            entry_retire(q, e);
            return r;
        }
        fifo_append(&q->fresh, e);
    } else
        fifo_append(&q->existing, e);
    q->bytes += pkt->len;
    note_depth(q);
    return (int)class;
}

bool ike_receive_queue_pop(struct ike_receive_queue *q, struct ike_packet *out)
{
    if (q->current) {
        entry_retire(q, q->current);
        q->current = NULL;
    }
    /* New ones newest first: under overload a request served at once is
     * answered before its client's next retransmission, while one that
     * waited behind thousands is answered after its client gave up. Each
     * retransmission comes to the front again, so every client gets a
     * chance per transmission. */
    struct entry *e = q->existing.head ? q->existing.head : q->fresh.tail;
    if (!e)
        return false;
    entry_take(q, e);
    q->current = e;
    note_depth(q);
    *out = e->pkt;
    return true;
}

size_t ike_receive_queue_length(const struct ike_receive_queue *q)
{
    return q ? q->existing.n + q->fresh.n : 0;
}


void ike_receive_queue_get_stats(const struct ike_receive_queue *q, struct ike_receive_queue_stats *stats)
{
    if (!q) {
        memset(stats, 0, sizeof(*stats));
        return;
    }
    *stats = q->stats;
}

int ike_receive_queue_new(struct ike_receive_queue **ret, size_t new_max, size_t existing_max, size_t bytes_max)
{
    struct ike_receive_queue *q;

    if (!ret || new_max == 0 || existing_max == 0 || bytes_max < IKE_SOCKET_MIN_MESSAGE)
        return -EINVAL;
    q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    int r = hashmap_new(&q->waiting_new);
    if (r < 0) {
        free(q);
        return r;
    }
    q->new_max = new_max;
    q->existing_max = existing_max;
    q->bytes_max = bytes_max;
    *ret = q;
    return 0;
}

static void fifo_free(struct fifo *f)
{
    while (f->head) {
        struct entry *e = f->head;
        fifo_unlink(f, e);
        entry_free(e);
    }
}

struct ike_receive_queue *ike_receive_queue_free(struct ike_receive_queue *q)
{
    if (!q)
        return NULL;
    fifo_free(&q->existing);
    fifo_free(&q->fresh);
    fifo_free(&q->idle);
    entry_free(q->current);
    hashmap_free(q->waiting_new);
    free(q);
    return NULL;
}
