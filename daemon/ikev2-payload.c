/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 header and payload chain parsing (RFC 7296 3.1, 3.2). The chain is
 * walked by wire_chain_walk() (wire.c); what is IKEv2's is here: the
 * critical bit, skipping unknown payloads, SK/SKF ending the chain.
 */
#include <errno.h>

#include "ikev2-payload.h"
#include "ikev2-wire.h"

static const char *const parse_error_strings[] = {
    [IKEV2_PARSE_OK]                    = "no error",
    [IKEV2_PARSE_TRUNCATED_HEADER]      = "truncated header",
    [IKEV2_PARSE_MAJOR_VERSION]         = "unsupported major version",
    [IKEV2_PARSE_LENGTH_MISMATCH]       = "header length does not match the datagram",
    [IKEV2_PARSE_TRUNCATED_PAYLOAD]     = "truncated payload",
    [IKEV2_PARSE_PAYLOAD_LENGTH]        = "payload length below 4",
    [IKEV2_PARSE_TRAILING_DATA]         = "data after the last payload",
    [IKEV2_PARSE_UNSUPPORTED_CRITICAL]  = "unsupported critical payload",
    [IKEV2_PARSE_SK_NOT_LAST]           = "encrypted payload not last",
    [IKEV2_PARSE_TOO_MANY]              = "too many substructures",
    [IKEV2_PARSE_BODY_LENGTH]           = "bad body length",
    [IKEV2_PARSE_PROPOSAL_LENGTH]       = "bad proposal length",
    [IKEV2_PARSE_PROPOSAL_NUMBER]       = "bad proposal number",
    [IKEV2_PARSE_TRANSFORM_LENGTH]      = "bad transform length",
    [IKEV2_PARSE_ATTRIBUTE_LENGTH]      = "bad attribute length",
    [IKEV2_PARSE_COUNT_MISMATCH]        = "declared count does not match",
    [IKEV2_PARSE_LAST_MARKER]           = "bad last-substructure marker",
    [IKEV2_PARSE_SPI_SIZE]              = "bad SPI size",
    [IKEV2_PARSE_NONCE_LENGTH]          = "nonce length outside 16..256",
    [IKEV2_PARSE_SELECTOR_LENGTH]       = "bad traffic selector length",
    [IKEV2_PARSE_EAP_LENGTH]            = "bad EAP length",
    [IKEV2_PARSE_FRAGMENT_NUMBER]       = "bad fragment number",
    [IKEV2_PARSE_WRONG_TYPE]            = "payload of the wrong type",
    [IKEV2_PARSE_MISPLACED_PAYLOAD]     = "encrypted payload inside an encrypted payload",
};

const char *ikev2_parse_error_string(enum ikev2_parse_error e) {
    if ((size_t)e >= sizeof(parse_error_strings) / sizeof(parse_error_strings[0]) ||
        !parse_error_strings[e])
        return "unknown error";
    return parse_error_strings[e];
}

int ikev2_parse_status_format(const struct ikev2_parse_status *st, char *buf, size_t size) {
    return wire_parse_status_format(buf, size, ikev2_parse_error_string(st->error),
                                    st->payload_type, ikev2_payload_name(st->payload_type),
                                    st->offset);
}

static int fail(struct ikev2_parse_status *st, enum ikev2_parse_error e, uint8_t type, size_t offset) {
    st->error = e;
    st->payload_type = type;
    st->offset = offset;
    return -EBADMSG;
}

static void ok(struct ikev2_parse_status *st) {
    st->error = IKEV2_PARSE_OK;
    st->payload_type = 0;
    st->offset = 0;
}

static bool payload_type_known(uint8_t type) {
    return (type >= IKEV2_PAYLOAD_SA && type <= IKEV2_PAYLOAD_EAP) || type == IKEV2_PAYLOAD_SKF;
}

int ikev2_header_parse(const uint8_t *buf, size_t len, struct ikev2_header *hdr,
                       struct ikev2_parse_status *st) {
    if (len < IKEV2_HEADER_LEN)
        return fail(st, IKEV2_PARSE_TRUNCATED_HEADER, 0, len);

    hdr->ispi = ikev2_get64(buf);
    hdr->rspi = ikev2_get64(buf + 8);
    hdr->next_payload = buf[16];
    hdr->major_version = buf[17] >> 4;
    hdr->minor_version = buf[17] & 0x0f;
    hdr->exchange = buf[18];
    hdr->flags = buf[19];
    hdr->message_id = ikev2_get32(buf + 20);
    hdr->length = ikev2_get32(buf + 24);

    /* RFC 7296 3.1: only the major version decides whether we understand it. */
    if (hdr->major_version != IKEV2_MAJOR_VERSION)
        return fail(st, IKEV2_PARSE_MAJOR_VERSION, 0, 17);
    if (hdr->length != len)
        return fail(st, IKEV2_PARSE_LENGTH_MISMATCH, 0, 24);
    ok(st);
    return 0;
}

/* What an IKEv2 walk fills in (wire_chain_walk() does the framing). */
struct chain {
    size_t len;                 /* of the walked buffer */
    bool allow_sk;              /* an SK/SKF payload may end the chain (outer chain)
                                   or is refused (decrypted inner chain) */
    struct ikev2_payload_list *list;
    struct ikev2_parse_status *st;
};

static int chain_fault(void *ctx, enum wire_chain_fault f, uint8_t type, size_t offset) {
    struct chain *c = ctx;
    return fail(c->st, f == WIRE_CHAIN_PAYLOAD_LENGTH ? IKEV2_PARSE_PAYLOAD_LENGTH :
                IKEV2_PARSE_TRUNCATED_PAYLOAD, type, offset);
}

static int chain_payload(void *ctx, const struct wire_payload *p) {
    struct chain *c = ctx;
    bool critical = p->flags & IKEV2_PAYLOAD_CRITICAL;

    if (!payload_type_known(p->type)) {
        /* RFC 7296 3.2: the critical bit matters only for payloads we
         * do not know; the rest are skipped. */
        if (critical)
            return fail(c->st, IKEV2_PARSE_UNSUPPORTED_CRITICAL, p->type, p->offset);
        c->list->n_skipped++;
        return 0;
    }

    bool sk = p->type == IKEV2_PAYLOAD_SK || p->type == IKEV2_PAYLOAD_SKF;
    if (sk && !c->allow_sk)
        return fail(c->st, IKEV2_PARSE_MISPLACED_PAYLOAD, p->type, p->offset);
    if (c->list->n == IKEV2_MAX_PAYLOADS)
        return fail(c->st, IKEV2_PARSE_TOO_MANY, p->type, p->offset);
    c->list->p[c->list->n++] = (struct ikev2_payload) {
        .type = p->type,
        .next_type = p->next_type,
        .critical = critical,
        .body = p->body,
        .len = p->len,
        .offset = p->offset,
    };
    if (!sk)
        return 0;
    /* Its Next Payload names the first encrypted payload, not a following
     * one: the encrypted payload is always last. */
    if (p->end != c->len)
        return fail(c->st, IKEV2_PARSE_SK_NOT_LAST, p->type, p->offset);
    return WIRE_CHAIN_STOP;
}

static const struct wire_chain_ops chain_ops = {
    .payload = chain_payload,
    .fault = chain_fault,
};

static int chain_parse(const uint8_t *buf, size_t len, uint8_t first_type, size_t base_offset,
                       bool allow_sk, struct ikev2_payload_list *list,
                       struct ikev2_parse_status *st) {
    struct chain c = { .len = len, .allow_sk = allow_sk, .list = list, .st = st };

    list->n = 0;
    list->n_skipped = 0;
    ssize_t end = wire_chain_walk(buf, len, first_type, base_offset, &chain_ops, &c);
    if (end < 0)
        return (int)end;
    if ((size_t)end != len)
        return fail(st, IKEV2_PARSE_TRAILING_DATA, 0, base_offset + (size_t)end);
    ok(st);
    return 0;
}

int ikev2_chain_parse(const uint8_t *buf, size_t len, uint8_t first_type, size_t base_offset,
                      struct ikev2_payload_list *list, struct ikev2_parse_status *st) {
    return chain_parse(buf, len, first_type, base_offset, false, list, st);
}

int ikev2_message_parse(const uint8_t *buf, size_t len, struct ikev2_message *msg,
                        struct ikev2_parse_status *st) {
    int r;

    msg->raw = buf;
    msg->sk = NULL;
    msg->payloads.n = 0;
    msg->payloads.n_skipped = 0;

    r = ikev2_header_parse(buf, len, &msg->header, st);
    if (r < 0)
        return r;
    r = chain_parse(buf + IKEV2_HEADER_LEN, len - IKEV2_HEADER_LEN, msg->header.next_payload,
                    IKEV2_HEADER_LEN, true, &msg->payloads, st);
    if (r < 0)
        return r;

    if (msg->payloads.n > 0) {
        const struct ikev2_payload *last = &msg->payloads.p[msg->payloads.n - 1];
        if (last->type == IKEV2_PAYLOAD_SK || last->type == IKEV2_PAYLOAD_SKF)
            msg->sk = last;
    }
    return 0;
}

const struct ikev2_payload *ikev2_payload_find(const struct ikev2_payload_list *list, uint8_t type) {
    for (size_t i = 0; i < list->n; i++)
        if (list->p[i].type == type)
            return &list->p[i];
    return NULL;
}

size_t ikev2_payload_count(const struct ikev2_payload_list *list, uint8_t type) {
    size_t n = 0;

    for (size_t i = 0; i < list->n; i++)
        if (list->p[i].type == type)
            n++;
    return n;
}

const struct ikev2_payload *ikev2_notify_find(const struct ikev2_payload_list *list, uint16_t notify_type) {
    for (size_t i = 0; i < list->n; i++) {
        const struct ikev2_payload *p = &list->p[i];
        if (p->type == IKEV2_PAYLOAD_NOTIFY && p->len >= 4 && ikev2_get16(p->body + 2) == notify_type)
            return p;
    }
    return NULL;
}
