/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RFC 7383 fragmentation and reassembly (see ikev2-fragment.h). Every
 * number here comes from the network or decides how much memory a peer may
 * hold, so each one is checked against a limit before it is used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-sk.h"
#include "crypto.h"
#include "ikev2-fragment.h"
#include "ikev2-wire.h"

/* SKF: generic header plus Fragment Number and Total Fragments. */
#define SKF_HEADER_LEN (IKEV2_PAYLOAD_HEADER_LEN + 4)

/* ---- datagrams ------------------------------------------------------------------ */

void ikev2_datagrams_clear(struct ikev2_datagrams *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->data[i]);
    free(d->data);          /* the slots: len lives in the same block */
    memset(d, 0, sizeof(*d));
}

/* Room for one more datagram: 1 slot, then doubling up to the maximum. */
static int datagrams_grow(struct ikev2_datagrams *d)
{
    if (d->n < d->cap)
        return 0;
    size_t cap = d->cap ? 2 * d->cap : 1;
    if (cap > IKEV2_FRAGMENTS_MAX)
        cap = IKEV2_FRAGMENTS_MAX;
    void *block = malloc(cap * (sizeof(*d->data) + sizeof(*d->len)));
    if (!block)
        return -ENOMEM;
    uint8_t **data = block;
    size_t *len = (size_t *)(data + cap);
    if (d->n) {
        memcpy(data, d->data, d->n * sizeof(*data));
        memcpy(len, d->len, d->n * sizeof(*len));
    }
    free(d->data);
    d->data = data;
    d->len = len;
    d->cap = cap;
    return 0;
}

int ikev2_datagrams_add(struct ikev2_datagrams *d, const uint8_t *buf, size_t len)
{
    if (d->n >= IKEV2_FRAGMENTS_MAX)
        return -E2BIG;
    if (datagrams_grow(d) < 0)
        return -ENOMEM;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, buf, len);
    d->data[d->n] = copy;
    d->len[d->n] = len;
    d->n++;
    return 0;
}

/* ---- fragmenting ------------------------------------------------------------------ */

size_t ikev2_fragment_capacity(const struct crypto_ike_keys *keys, size_t max_datagram)
{
    size_t fixed = IKEV2_HEADER_LEN + SKF_HEADER_LEN;
    if (max_datagram <= fixed)
        return 0;
    /* The body grows with the plaintext in block steps (padding, IV and ICV
     * are fixed): walk down from the room left until it fits. At most a
     * block plus IV and ICV steps. */
    size_t room = max_datagram - fixed;
    for (size_t p = room; p > 0; p--) {
        size_t body = crypto_sk_body_len(keys, p);
        if (body == 0)
            return 0;
        if (body <= room)
            return p;
    }
    return 0;
}

int ikev2_fragment_message(const struct crypto_ike_keys *keys, bool from_initiator, const struct ikev2_header *hdr,
                           const uint8_t *inner, size_t inner_len, uint8_t first_inner, size_t max_datagram,
                           struct ikev2_datagrams *out)
{
    if (inner_len == 0 || !inner || first_inner == IKEV2_PAYLOAD_NONE)
        return -EINVAL;
    size_t chunk = ikev2_fragment_capacity(keys, max_datagram);
    if (chunk == 0)
        return -E2BIG;
    size_t total = (inner_len + chunk - 1) / chunk;
    if (out->n > IKEV2_FRAGMENTS_MAX || total > IKEV2_FRAGMENTS_MAX - out->n)
        return -E2BIG;

    uint8_t *buf = malloc(max_datagram);
    if (!buf)
        return -ENOMEM;
    int r = 0;
    for (size_t i = 0; i < total && r >= 0; i++) {
        size_t off = i * chunk;
        size_t n = inner_len - off < chunk ? inner_len - off : chunk;
        size_t body_len = crypto_sk_body_len(keys, n);
        struct ikev2_builder b;
        uint8_t *body = NULL;
        size_t len = 0;

        ikev2_builder_init(&b, buf, max_datagram);
        ikev2_build_header(&b, hdr);
        ikev2_build_skf(&b, i == 0 ? first_inner : IKEV2_PAYLOAD_NONE, (uint16_t)(i + 1), (uint16_t)total,
                        body_len, &body);
        r = ikev2_builder_finish(&b, &len);
        /* Associated data: the IKE header and the whole SKF header (RFC 7383 2.5). */
        if (r >= 0)
            r = crypto_sk_encrypt(keys, from_initiator, buf, (size_t)(body - buf), inner + off, n, body, body_len);
        if (r >= 0)
            r = ikev2_datagrams_add(out, buf, len);
    }
    crypto_wipe(buf, max_datagram);
    free(buf);
    return r < 0 ? r : 0;
}

/* ---- reassembly --------------------------------------------------------------------- */

const char *ikev2_fragment_result_string(enum ikev2_fragment_result r)
{
    switch (r) {
    case IKEV2_FRAGMENT_STORED:     return "fragment stored";
    case IKEV2_FRAGMENT_COMPLETE:   return "message complete";
    case IKEV2_FRAGMENT_DUPLICATE:  return "duplicate fragment";
    case IKEV2_FRAGMENT_OLD_TOTAL:  return "fewer Total Fragments than the fragments received";
    case IKEV2_FRAGMENT_TOO_MANY:   return "too many fragments";
    case IKEV2_FRAGMENT_TOO_LARGE:  return "reassembled message too large";
    case IKEV2_FRAGMENT_BAD_FIRST:  return "first fragment without a first payload type";
    case IKEV2_FRAGMENT_NO_MEMORY:  return "out of memory";
    }
    return "unknown";
}

void ikev2_reassembly_reset(struct ikev2_reassembly *r)
{
    for (size_t i = 0; i < IKEV2_FRAGMENTS_MAX; i++) {
        if (r->part[i]) {
            crypto_wipe(r->part[i], r->part_len[i]);
            free(r->part[i]);
        }
    }
    memset(r, 0, sizeof(*r));
}

enum ikev2_fragment_result ikev2_reassembly_add(struct ikev2_reassembly *r, uint64_t now_usec, uint32_t message_id,
                                                uint8_t exchange, uint16_t number, uint16_t total,
                                                uint8_t next_type, const uint8_t *plain, size_t len,
                                                bool *restarted)
{
    *restarted = false;
    if (total == 0 || total > IKEV2_FRAGMENTS_MAX)
        return IKEV2_FRAGMENT_TOO_MANY;
    if (number == 0 || number > total)          /* the wire decoder refuses these already */
        return IKEV2_FRAGMENT_TOO_MANY;
    if (number == 1 && next_type == IKEV2_PAYLOAD_NONE)
        return IKEV2_FRAGMENT_BAD_FIRST;
    if (len > IKEV2_REASSEMBLY_BYTES_MAX)
        return IKEV2_FRAGMENT_TOO_LARGE;

    if (r->active && (r->message_id != message_id || r->exchange != exchange ||
                      now_usec - r->started_usec > IKEV2_REASSEMBLY_TIMEOUT_USEC || total > r->total)) {
        ikev2_reassembly_reset(r);
        *restarted = true;
    }
    if (r->active && total < r->total)
        return IKEV2_FRAGMENT_OLD_TOTAL;
    if (!r->active) {
        r->active = true;
        r->message_id = message_id;
        r->exchange = exchange;
        r->total = total;
        r->started_usec = now_usec;
    }
    size_t i = number - 1u;
    if (r->part[i])
        return IKEV2_FRAGMENT_DUPLICATE;
    if (r->bytes + len > IKEV2_REASSEMBLY_BYTES_MAX) {
        ikev2_reassembly_reset(r);
        return IKEV2_FRAGMENT_TOO_LARGE;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return IKEV2_FRAGMENT_NO_MEMORY;
    if (len)
        memcpy(copy, plain, len);
    r->part[i] = copy;
    r->part_len[i] = len;
    r->bytes += len;
    r->received++;
    if (number == 1)
        r->first_inner = next_type;
    return r->received == r->total ? IKEV2_FRAGMENT_COMPLETE : IKEV2_FRAGMENT_STORED;
}

int ikev2_reassembly_take(struct ikev2_reassembly *r, uint8_t **buf, size_t *len, uint8_t *first_inner)
{
    if (!r->active || r->received != r->total)
        return -EINVAL;
    uint8_t *out = malloc(r->bytes ? r->bytes : 1);
    if (!out) {
        ikev2_reassembly_reset(r);
        return -ENOMEM;
    }
    size_t off = 0;
    for (size_t i = 0; i < r->total; i++) {
        memcpy(out + off, r->part[i], r->part_len[i]);
        off += r->part_len[i];
    }
    *buf = out;
    *len = off;
    *first_inner = r->first_inner;
    ikev2_reassembly_reset(r);
    return 0;
}

bool ikev2_fragment_may_retransmit(const uint8_t *data, size_t len, const struct ikev2_header *hdr)
{
    if (hdr->next_payload != IKEV2_PAYLOAD_SKF)
        return true;
    /* The SKF payload follows the header: generic header, then the number. */
    if (len < IKEV2_HEADER_LEN + SKF_HEADER_LEN)
        return false;
    return ikev2_get16(data + IKEV2_HEADER_LEN + IKEV2_PAYLOAD_HEADER_LEN) == 1;
}
