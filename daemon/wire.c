/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The framing IKEv1 and IKEv2 share (see wire.h): building a message with
 * chained payloads, walking a payload chain, bounded text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "wire.h"

void wire_builder_init(struct wire_builder *b, uint8_t *buf, size_t cap) {
    *b = (struct wire_builder) {
        .buf = buf,
        .cap = cap,
        .next_field = SIZE_MAX,
        .header_offset = SIZE_MAX,
        .payload_start = SIZE_MAX,
    };
}

int wire_builder_set_error(struct wire_builder *b, int error) {
    if (b->error == 0)
        b->error = error;
    return b->error;
}

uint8_t *wire_builder_reserve(struct wire_builder *b, size_t n) {
    if (b->error)
        return NULL;
    if (n > b->cap - b->len) {
        wire_builder_set_error(b, -ENOBUFS);
        return NULL;
    }
    uint8_t *p = b->buf + b->len;
    memset(p, 0, n);
    b->len += n;
    return p;
}

uint8_t *wire_builder_header(struct wire_builder *b) {
    if (b->error)
        return NULL;
    if (b->len != 0) {
        wire_builder_set_error(b, -EINVAL);
        return NULL;
    }
    uint8_t *h = wire_builder_reserve(b, WIRE_HEADER_LEN);
    if (!h)
        return NULL;
    b->header_offset = 0;
    b->next_field = 16;
    return h;
}

int wire_builder_begin(struct wire_builder *b, uint8_t type) {
    if (b->error)
        return b->error;
    if (b->payload_start != SIZE_MAX || b->closed || type == 0)
        return wire_builder_set_error(b, -EINVAL);

    size_t start = b->len;
    if (!wire_builder_reserve(b, WIRE_PAYLOAD_HEADER_LEN))
        return b->error;
    if (b->next_field != SIZE_MAX)
        b->buf[b->next_field] = type;
    if (b->first_type == 0)
        b->first_type = type;
    b->next_field = start;
    b->payload_start = start;
    return 0;
}

int wire_builder_append(struct wire_builder *b, const void *data, size_t len) {
    if (b->error)
        return b->error;
    if (b->payload_start == SIZE_MAX || (len > 0 && !data))
        return wire_builder_set_error(b, -EINVAL);
    uint8_t *p = wire_builder_reserve(b, len);
    if (!p)
        return b->error;
    if (len > 0)
        memcpy(p, data, len);
    return 0;
}

int wire_builder_fix_length(struct wire_builder *b, size_t start) {
    if (b->error)
        return b->error;
    size_t n = b->len - start;
    if (n > UINT16_MAX)
        return wire_builder_set_error(b, -EMSGSIZE);
    wire_put16(b->buf + start + 2, (uint16_t)n);
    return 0;
}

int wire_builder_end(struct wire_builder *b) {
    if (b->error)
        return b->error;
    if (b->payload_start == SIZE_MAX)
        return wire_builder_set_error(b, -EINVAL);
    int r = wire_builder_fix_length(b, b->payload_start);
    if (r < 0)
        return r;
    b->payload_start = SIZE_MAX;
    return 0;
}

int wire_builder_finish(struct wire_builder *b, size_t *len) {
    if (b->error)
        return b->error;
    if (b->payload_start != SIZE_MAX)
        return wire_builder_set_error(b, -EINVAL);
    if (b->header_offset != SIZE_MAX) {
        if (b->len > UINT32_MAX)
            return wire_builder_set_error(b, -EMSGSIZE);
        wire_put32(b->buf + b->header_offset + 24, (uint32_t)b->len);
    }
    if (len)
        *len = b->len;
    return 0;
}

ssize_t wire_chain_walk(const uint8_t *buf, size_t len, uint8_t first_type, size_t base_offset,
                        const struct wire_chain_ops *ops, void *ctx) {
    uint8_t type = first_type;
    size_t off = 0;
    int r;

    while (type != 0) {
        if (len - off < WIRE_PAYLOAD_HEADER_LEN)
            return ops->fault(ctx, WIRE_CHAIN_TRUNCATED, type, base_offset + off);
        if (ops->check_type) {
            r = ops->check_type(ctx, type, base_offset + off);
            if (r < 0)
                return r;
        }

        const uint8_t *g = buf + off;
        uint16_t plen = wire_get16(g + 2);

        if (plen < WIRE_PAYLOAD_HEADER_LEN)
            return ops->fault(ctx, WIRE_CHAIN_PAYLOAD_LENGTH, type, base_offset + off);
        if (plen > len - off)
            return ops->fault(ctx, WIRE_CHAIN_TRUNCATED, type, base_offset + off);

        const struct wire_payload p = {
            .type = type,
            .next_type = g[0],
            .flags = g[1],
            .body = g + WIRE_PAYLOAD_HEADER_LEN,
            .len = plen - WIRE_PAYLOAD_HEADER_LEN,
            .offset = base_offset + off,
            .end = off + plen,
        };
        r = ops->payload(ctx, &p);
        if (r < 0)
            return r;
        off += plen;
        if (r == WIRE_CHAIN_STOP)
            break;
        type = p.next_type;
    }
    return (ssize_t)off;
}

enum wire_substructure_error wire_substructure(const uint8_t *buf, size_t off, size_t end,
                                               uint8_t more, uint16_t *len) {
    if (end - off < 8)
        return WIRE_SUBSTRUCTURE_LENGTH;

    uint8_t next = buf[off];
    uint16_t n = wire_get16(buf + off + 2);

    if (n < 8 || n > end - off)
        return WIRE_SUBSTRUCTURE_LENGTH;
    if ((next != 0 && next != more) || (next == 0) != (off + n == end))
        return WIRE_SUBSTRUCTURE_LAST_MARKER;
    *len = n;
    return WIRE_SUBSTRUCTURE_OK;
}

int wire_parse_status_format(char *buf, size_t size, const char *what, uint8_t payload_type,
                             const char *payload_name, size_t offset) {
    if (payload_type == 0)
        return snprintf(buf, size, "%s at offset %zu", what, offset);
    if (payload_name)
        return snprintf(buf, size, "%s %s at offset %zu", what, payload_name, offset);
    return snprintf(buf, size, "%s %u at offset %zu", what, payload_type, offset);
}

void wire_out_printf(struct wire_out *o, const char *fmt, ...) {
    va_list ap;
    size_t room = o->len < o->size ? o->size - o->len : 0;

    va_start(ap, fmt);
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

void wire_out_name(struct wire_out *o, const char *before, const char *name, const char *unnamed,
                   unsigned number, const char *after) {
    if (name)
        wire_out_printf(o, "%s%s%s", before, name, after);
    else
        wire_out_printf(o, "%s%s%u%s", before, unnamed, number, after);
}
