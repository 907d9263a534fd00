/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ISAKMP header and payload chain parsing (RFC 2408 3.1, 3.2). The chain is
 * walked by wire_chain_walk() (wire.c); what is ISAKMP's is here. Unlike
 * IKEv2 there is no critical bit: RFC 2408 5.2 makes any payload type we
 * do not know an error (INVALID-PAYLOAD-TYPE).
 */
#include <errno.h>

#include "ikev1-payload.h"
#include "wire.h"

static const char *const parse_error_strings[] = {
    [IKEV1_PARSE_OK]                    = "no error",
    [IKEV1_PARSE_TRUNCATED_HEADER]      = "truncated header",
    [IKEV1_PARSE_MAJOR_VERSION]         = "unsupported major version",
    [IKEV1_PARSE_MINOR_VERSION]         = "unsupported minor version",
    [IKEV1_PARSE_LENGTH_MISMATCH]       = "header length does not match the datagram",
    [IKEV1_PARSE_TRUNCATED_PAYLOAD]     = "truncated payload",
    [IKEV1_PARSE_PAYLOAD_LENGTH]        = "payload length below 4",
    [IKEV1_PARSE_TRAILING_DATA]         = "data after the last payload",
    [IKEV1_PARSE_UNKNOWN_PAYLOAD]       = "unknown payload type",
    [IKEV1_PARSE_MISPLACED_PAYLOAD]     = "proposal or transform outside an SA",
    [IKEV1_PARSE_EMPTY_ENCRYPTED]       = "encrypted message without ciphertext",
    [IKEV1_PARSE_TOO_MANY]              = "too many substructures",
    [IKEV1_PARSE_BODY_LENGTH]           = "bad body length",
    [IKEV1_PARSE_DOI]                   = "unsupported DOI",
    [IKEV1_PARSE_SITUATION]             = "unsupported situation",
    [IKEV1_PARSE_PROPOSAL_LENGTH]       = "bad proposal length",
    [IKEV1_PARSE_PROPOSAL_NUMBER]       = "bad proposal number",
    [IKEV1_PARSE_TRANSFORM_LENGTH]      = "bad transform length",
    [IKEV1_PARSE_ATTRIBUTE_LENGTH]      = "bad attribute length",
    [IKEV1_PARSE_COUNT_MISMATCH]        = "declared count does not match",
    [IKEV1_PARSE_LAST_MARKER]           = "bad next-substructure marker",
    [IKEV1_PARSE_SPI_SIZE]              = "bad SPI size",
    [IKEV1_PARSE_NONCE_LENGTH]          = "nonce length outside 8..256",
    [IKEV1_PARSE_ID_LENGTH]             = "bad identification length",
    [IKEV1_PARSE_WRONG_TYPE]            = "payload of the wrong type",
};

const char *ikev1_parse_error_string(enum ikev1_parse_error e) {
    if ((size_t)e >= sizeof(parse_error_strings) / sizeof(parse_error_strings[0]) ||
        !parse_error_strings[e])
        return "unknown error";
    return parse_error_strings[e];
}

int ikev1_parse_status_format(const struct ikev1_parse_status *st, char *buf, size_t size) {
    return wire_parse_status_format(buf, size, ikev1_parse_error_string(st->error),
                                    st->payload_type, ikev1_payload_name(st->payload_type),
                                    st->offset);
}

uint16_t ikev1_parse_error_notify(enum ikev1_parse_error e) {
    switch (e) {
    case IKEV1_PARSE_OK:                return 0;
    case IKEV1_PARSE_MAJOR_VERSION:     return IKEV1_N_INVALID_MAJOR_VERSION;
    case IKEV1_PARSE_MINOR_VERSION:     return IKEV1_N_INVALID_MINOR_VERSION;
    case IKEV1_PARSE_UNKNOWN_PAYLOAD:
    case IKEV1_PARSE_MISPLACED_PAYLOAD: return IKEV1_N_INVALID_PAYLOAD_TYPE;
    case IKEV1_PARSE_DOI:               return IKEV1_N_DOI_NOT_SUPPORTED;
    case IKEV1_PARSE_SITUATION:         return IKEV1_N_SITUATION_NOT_SUPPORTED;
    case IKEV1_PARSE_SPI_SIZE:          return IKEV1_N_INVALID_SPI;
    case IKEV1_PARSE_ID_LENGTH:         return IKEV1_N_INVALID_ID_INFORMATION;
    case IKEV1_PARSE_PROPOSAL_NUMBER:
    case IKEV1_PARSE_PROPOSAL_LENGTH:
    case IKEV1_PARSE_TRANSFORM_LENGTH:
    case IKEV1_PARSE_LAST_MARKER:
    case IKEV1_PARSE_COUNT_MISMATCH:    return IKEV1_N_BAD_PROPOSAL_SYNTAX;
    case IKEV1_PARSE_LENGTH_MISMATCH:   return IKEV1_N_UNEQUAL_PAYLOAD_LENGTHS;
    default:                            return IKEV1_N_PAYLOAD_MALFORMED;
    }
}

static int fail(struct ikev1_parse_status *st, enum ikev1_parse_error e, uint8_t type, size_t offset) {
    st->error = e;
    st->payload_type = type;
    st->offset = offset;
    return -EBADMSG;
}

static void ok(struct ikev1_parse_status *st) {
    st->error = IKEV1_PARSE_OK;
    st->payload_type = 0;
    st->offset = 0;
}

static bool payload_type_known(uint8_t type) {
    switch (type) {
    case IKEV1_PAYLOAD_SA:
    case IKEV1_PAYLOAD_KE:
    case IKEV1_PAYLOAD_ID:
    case IKEV1_PAYLOAD_CERT:
    case IKEV1_PAYLOAD_CR:
    case IKEV1_PAYLOAD_HASH:
    case IKEV1_PAYLOAD_SIG:
    case IKEV1_PAYLOAD_NONCE:
    case IKEV1_PAYLOAD_NOTIFY:
    case IKEV1_PAYLOAD_DELETE:
    case IKEV1_PAYLOAD_VENDOR_ID:
    case IKEV1_PAYLOAD_ATTRIBUTE:
    case IKEV1_PAYLOAD_NAT_D:
    case IKEV1_PAYLOAD_NAT_OA:
    case IKEV1_PAYLOAD_NAT_D_DRAFT:
    case IKEV1_PAYLOAD_NAT_OA_DRAFT:
    case IKEV1_PAYLOAD_FRAGMENT:
        return true;
    default:
        return false;
    }
}

int ikev1_header_parse(const uint8_t *buf, size_t len, struct ikev1_header *hdr,
                       struct ikev1_parse_status *st) {
    if (len < IKEV1_HEADER_LEN)
        return fail(st, IKEV1_PARSE_TRUNCATED_HEADER, 0, len);

    memcpy(hdr->icookie, buf, IKEV1_COOKIE_LEN);
    memcpy(hdr->rcookie, buf + 8, IKEV1_COOKIE_LEN);
    hdr->next_payload = buf[16];
    hdr->major_version = buf[17] >> 4;
    hdr->minor_version = buf[17] & 0x0f;
    hdr->exchange = buf[18];
    hdr->flags = buf[19];
    hdr->message_id = wire_get32(buf + 20);
    hdr->length = wire_get32(buf + 24);

    /* RFC 2408 5.1: both version numbers are checked. */
    if (hdr->major_version != IKEV1_MAJOR_VERSION)
        return fail(st, IKEV1_PARSE_MAJOR_VERSION, 0, 17);
    if (hdr->minor_version != IKEV1_MINOR_VERSION)
        return fail(st, IKEV1_PARSE_MINOR_VERSION, 0, 17);
    if (hdr->length != len)
        return fail(st, IKEV1_PARSE_LENGTH_MISMATCH, 0, 24);
    ok(st);
    return 0;
}

/* What an IKEv1 walk fills in (wire_chain_walk() does the framing). */
struct chain {
    struct ikev1_payload_list *list;
    struct ikev1_parse_status *st;
};

static int chain_check_type(void *ctx, uint8_t type, size_t offset) {
    struct chain *c = ctx;

    /* Proposal and transform exist only inside an SA payload. */
    if (type == IKEV1_PAYLOAD_PROPOSAL || type == IKEV1_PAYLOAD_TRANSFORM)
        return fail(c->st, IKEV1_PARSE_MISPLACED_PAYLOAD, type, offset);
    if (!payload_type_known(type))
        return fail(c->st, IKEV1_PARSE_UNKNOWN_PAYLOAD, type, offset);
    return 0;
}

static int chain_fault(void *ctx, enum wire_chain_fault f, uint8_t type, size_t offset) {
    struct chain *c = ctx;
    return fail(c->st, f == WIRE_CHAIN_PAYLOAD_LENGTH ? IKEV1_PARSE_PAYLOAD_LENGTH :
                IKEV1_PARSE_TRUNCATED_PAYLOAD, type, offset);
}

static int chain_payload(void *ctx, const struct wire_payload *p) {
    struct chain *c = ctx;

    if (c->list->n == IKEV1_MAX_PAYLOADS)
        return fail(c->st, IKEV1_PARSE_TOO_MANY, p->type, p->offset);
    c->list->p[c->list->n++] = (struct ikev1_payload) {
        .type = p->type,
        .next_type = p->next_type,
        .body = p->body,
        .len = p->len,
        .offset = p->offset,
    };
    return 0;
}

static const struct wire_chain_ops chain_ops = {
    .check_type = chain_check_type,
    .payload = chain_payload,
    .fault = chain_fault,
};

int ikev1_chain_parse(const uint8_t *buf, size_t len, uint8_t first_type, size_t base_offset,
                      unsigned flags, struct ikev1_payload_list *list,
                      struct ikev1_parse_status *st) {
    struct chain c = { .list = list, .st = st };

    list->n = 0;
    list->padding = 0;
    ssize_t end = wire_chain_walk(buf, len, first_type, base_offset, &chain_ops, &c);
    if (end < 0)
        return (int)end;
    if ((size_t)end != len) {
        if (!(flags & IKEV1_CHAIN_DECRYPTED))
            return fail(st, IKEV1_PARSE_TRAILING_DATA, 0, base_offset + (size_t)end);
        list->padding = len - (size_t)end;
    }
    ok(st);
    return 0;
}

int ikev1_message_parse(const uint8_t *buf, size_t len, struct ikev1_message *msg,
                        struct ikev1_parse_status *st) {
    int r;

    msg->raw = buf;
    msg->encrypted = false;
    msg->body = NULL;
    msg->body_len = 0;
    msg->payloads.n = 0;
    msg->payloads.padding = 0;

    r = ikev1_header_parse(buf, len, &msg->header, st);
    if (r < 0)
        return r;
    msg->body = buf + IKEV1_HEADER_LEN;
    msg->body_len = len - IKEV1_HEADER_LEN;

    if (msg->header.flags & IKEV1_FLAG_ENCRYPTION) {
        msg->encrypted = true;
        if (msg->body_len == 0)
            return fail(st, IKEV1_PARSE_EMPTY_ENCRYPTED, 0, IKEV1_HEADER_LEN);
        ok(st);
        return 0;
    }
    return ikev1_chain_parse(msg->body, msg->body_len, msg->header.next_payload,
                             IKEV1_HEADER_LEN, 0, &msg->payloads, st);
}

const struct ikev1_payload *ikev1_payload_find(const struct ikev1_payload_list *list, uint8_t type) {
    for (size_t i = 0; i < list->n; i++)
        if (list->p[i].type == type)
            return &list->p[i];
    return NULL;
}

size_t ikev1_payload_count(const struct ikev1_payload_list *list, uint8_t type) {
    size_t n = 0;

    for (size_t i = 0; i < list->n; i++)
        if (list->p[i].type == type)
            n++;
    return n;
}

const struct ikev1_payload *ikev1_notify_find(const struct ikev1_payload_list *list,
                                              uint16_t notify_type) {
    for (size_t i = 0; i < list->n; i++) {
        const struct ikev1_payload *p = &list->p[i];
        /* DOI(4) protocol(1) SPI size(1) type(2) */
        if (p->type == IKEV1_PAYLOAD_NOTIFY && p->len >= 8 && wire_get16(p->body + 6) == notify_type)
            return p;
    }
    return NULL;
}

int ikev1_chain_hash_span(const struct ikev1_payload_list *list, struct ikev1_hash_span *span) {
    *span = (struct ikev1_hash_span) { 0 };
    if (list->n == 0 || list->p[0].type != IKEV1_PAYLOAD_HASH)
        return -EBADMSG;

    const struct ikev1_payload *h = &list->p[0];
    const struct ikev1_payload *last = &list->p[list->n - 1];
    /* Payloads of a chain are contiguous: the covered bytes run from the
     * end of the HASH payload to the end of the last payload. */
    span->hash = h->body;
    span->hash_len = h->len;
    span->covered = h->body + h->len;
    span->covered_len = (size_t)((last->body + last->len) - span->covered);
    return 0;
}
