/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the IKEv1 (RFC 2408) and IKEv2 (RFC 7296) wire-format code shares
 * (ikev1-payload*.c, ikev2-payload*.c): big-endian loads and stores, the
 * message builder, the payload chain walker and a bounded text writer. Both
 * protocols frame a message the same way: a 28-byte header whose byte 16
 * names the first payload and bytes 24..27 hold the message length, then a
 * chain of payloads, each behind a 4-byte generic header (Next Payload,
 * flags, 16-bit length including the header). What differs (header fields,
 * which payload types are known, the critical bit) stays with each protocol.
 */
#pragma once

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define WIRE_HEADER_LEN 28
#define WIRE_PAYLOAD_HEADER_LEN 4

/* memcpy keeps the loads and stores free of alignment assumptions. */
static inline uint16_t wire_get16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return be16toh(v);
}

static inline uint32_t wire_get32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return be32toh(v);
}

static inline uint64_t wire_get64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return be64toh(v);
}

static inline void wire_put16(uint8_t *p, uint16_t v) {
    v = htobe16(v);
    memcpy(p, &v, sizeof(v));
}

static inline void wire_put32(uint8_t *p, uint32_t v) {
    v = htobe32(v);
    memcpy(p, &v, sizeof(v));
}

static inline void wire_put64(uint8_t *p, uint64_t v) {
    v = htobe64(v);
    memcpy(p, &v, sizeof(v));
}

/* ---- Builder ---------------------------------------------------------------- */
/*
 * Appends payloads to a caller's buffer: each new payload's type goes into
 * the previous one's Next Payload field (or the header's), lengths are
 * filled in when a payload or the message ends. Every write goes through
 * wire_builder_reserve(), which refuses to go past the capacity, and
 * errors stick so that a caller may check once. The protocol builders
 * (struct ikev1_builder, struct ikev2_builder) embed one.
 */
struct wire_builder {
    uint8_t *buf;
    size_t cap;
    size_t len;
    size_t next_field;          /* offset of the Next Payload byte to patch; SIZE_MAX: none yet */
    size_t header_offset;       /* SIZE_MAX when building a bare chain */
    uint8_t first_type;         /* type of the first payload appended */
    size_t payload_start;       /* of the open payload (between begin and end), SIZE_MAX: none */
    int error;                  /* sticky: 0, -ENOBUFS, -EINVAL or -EMSGSIZE */
    bool closed;                /* encrypted body appended: nothing may follow */
};

void wire_builder_init(struct wire_builder *b, uint8_t *buf, size_t cap);
/* Records error unless one is already there; returns the sticky error. */
int wire_builder_set_error(struct wire_builder *b, int error);
/* n bytes at the end, zeroed; NULL (and the sticky error) if they do not fit. */
uint8_t *wire_builder_reserve(struct wire_builder *b, size_t n);
/* The 28-byte message header, zeroed for the protocol to fill; must come
 * first. NULL with the sticky error otherwise. */
uint8_t *wire_builder_header(struct wire_builder *b);
/* Opens a payload of the given (non-zero) type and chains it. */
int wire_builder_begin(struct wire_builder *b, uint8_t type);
int wire_builder_append(struct wire_builder *b, const void *data, size_t len);
/* Closes the open payload: its length. */
int wire_builder_end(struct wire_builder *b);
/* A substructure (proposal, transform) that began at start ends here: its
 * 16-bit length at start + 2. */
int wire_builder_fix_length(struct wire_builder *b, size_t start);
/* Sets the header's length (if any); *len = bytes used. Returns the sticky error. */
int wire_builder_finish(struct wire_builder *b, size_t *len);

/* ---- Payload chain ----------------------------------------------------------- */
struct wire_payload {
    uint8_t type;
    uint8_t next_type;          /* its Next Payload field */
    uint8_t flags;              /* the generic header's second byte (IKEv2: critical bit) */
    const uint8_t *body;        /* after the generic header */
    size_t len;                 /* body length */
    size_t offset;              /* of the generic header, base_offset added */
    size_t end;                 /* where it ends in the walked buffer (no base_offset) */
};

enum wire_chain_fault {
    WIRE_CHAIN_TRUNCATED,       /* generic header or body past the end */
    WIRE_CHAIN_PAYLOAD_LENGTH,  /* length below the generic header's */
};

#define WIRE_CHAIN_STOP 1

/*
 * The protocol's part of a walk. Callbacks return 0 to go on or a negative
 * errno (having recorded why) to stop the walk with it; payload() may also
 * return WIRE_CHAIN_STOP when this payload ends the chain whatever its
 * Next Payload says (IKEv2's SK).
 */
struct wire_chain_ops {
    /* Before the payload's length is looked at; may be NULL. */
    int (*check_type)(void *ctx, uint8_t type, size_t offset);
    /* A payload whose length is sound. */
    int (*payload)(void *ctx, const struct wire_payload *p);
    /* What the walker itself found wrong; must return a negative errno. */
    int (*fault)(void *ctx, enum wire_chain_fault f, uint8_t type, size_t offset);
};

/*
 * Walks the chain from first_type over buf[0..len) by its own length
 * fields; every step advances by at least the generic header, so the walk
 * ends within len / 4 steps whatever the input says. Returns where the
 * chain ended (the caller decides about bytes after it), or a callback's
 * negative errno.
 */
ssize_t wire_chain_walk(const uint8_t *buf, size_t len, uint8_t first_type, size_t base_offset,
                        const struct wire_chain_ops *ops, void *ctx);

/* Proposal and transform substructures (RFC 2408 3.5/3.6, RFC 7296
 * 3.3.1/3.3.2) share their framing: a first byte saying whether another
 * follows (0: last, more: another), a 16-bit length at +2 counting the
 * 8-byte fixed part. */
enum wire_substructure_error {
    WIRE_SUBSTRUCTURE_OK,
    WIRE_SUBSTRUCTURE_LENGTH,       /* shorter than 8 or past end */
    WIRE_SUBSTRUCTURE_LAST_MARKER,  /* neither 0 nor more, or 0 before the end, or more at it */
};
/* The substructure at buf[off..end): *len its length when OK. */
enum wire_substructure_error wire_substructure(const uint8_t *buf, size_t off, size_t end,
                                               uint8_t more, uint16_t *len);

/* "what name at offset N" (or the number when unnamed, or no payload at all
 * for type 0), as both parse status formatters write it; snprintf's return. */
int wire_parse_status_format(char *buf, size_t size, const char *what, uint8_t payload_type,
                             const char *payload_name, size_t offset);

/* ---- Bounded text ------------------------------------------------------------ */
/* Keeps count of what would have been written, like snprintf, and never
 * writes past the end; the buffer stays NUL-terminated. */
struct wire_out {
    char *buf;
    size_t size;
    size_t len;
};

void wire_out_printf(struct wire_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* before, then the name from a protocol's table or, when it has none,
 * unnamed and the number, then after: "N(" "INVALID_KE_PAYLOAD" ")". */
void wire_out_name(struct wire_out *o, const char *before, const char *name, const char *unnamed,
                   unsigned number, const char *after);
