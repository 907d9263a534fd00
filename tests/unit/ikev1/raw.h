/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Hand-made ISAKMP bytes for the tests: written field by field, independent
 * of the builder under test, and free to lie about any length.
 */
#pragma once

#include <stdint.h>
#include <string.h>

struct raw {
    uint8_t b[8192];
    size_t len;
    size_t next_field;          /* Next Payload byte of the last payload (or header) */
};

static inline void raw_put8(struct raw *r, uint8_t v) {
    r->b[r->len++] = v;
}

static inline void raw_put16(struct raw *r, uint16_t v) {
    raw_put8(r, v >> 8);
    raw_put8(r, v & 0xff);
}

static inline void raw_put32(struct raw *r, uint32_t v) {
    raw_put16(r, v >> 16);
    raw_put16(r, v & 0xffff);
}

static inline void raw_bytes(struct raw *r, const void *p, size_t n) {
    if (n == 0)
        return;
    memcpy(r->b + r->len, p, n);
    r->len += n;
}

static inline void raw_set16(struct raw *r, size_t off, uint16_t v) {
    r->b[off] = v >> 8;
    r->b[off + 1] = v & 0xff;
}

static inline void raw_set32(struct raw *r, size_t off, uint32_t v) {
    raw_set16(r, off, v >> 16);
    raw_set16(r, off + 2, v & 0xffff);
}

/* An ISAKMP header from initiator cookie 0102030405060708; length set by raw_finish(). */
static inline void raw_header(struct raw *r, uint8_t exchange, uint8_t flags, uint32_t mid) {
    r->len = 0;
    raw_put32(r, 0x01020304);
    raw_put32(r, 0x05060708);
    raw_put32(r, 0);
    raw_put32(r, 0);
    r->next_field = r->len;
    raw_put8(r, 0);
    raw_put8(r, 0x10);
    raw_put8(r, exchange);
    raw_put8(r, flags);
    raw_put32(r, mid);
    raw_put32(r, 0);
}

/* Generic payload header; returns its offset. Its length is set by raw_end(). */
static inline size_t raw_begin(struct raw *r, uint8_t type) {
    size_t start = r->len;
    r->b[r->next_field] = type;
    r->next_field = start;
    raw_put8(r, 0);
    raw_put8(r, 0);
    raw_put16(r, 0);
    return start;
}

static inline void raw_end(struct raw *r, size_t start) {
    raw_set16(r, start + 2, (uint16_t)(r->len - start));
}

static inline size_t raw_payload(struct raw *r, uint8_t type, const void *body, size_t n) {
    size_t start = raw_begin(r, type);
    raw_bytes(r, body, n);
    raw_end(r, start);
    return start;
}

static inline void raw_finish(struct raw *r) {
    raw_set32(r, 24, (uint32_t)r->len);
}
