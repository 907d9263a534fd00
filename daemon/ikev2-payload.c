/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 header and payload chain parsing (RFC 7296 3.1, 3.2). The chain is
 * walked by its own length fields; every step advances by at least the
 * 4-byte generic header, so the walk ends within len / 4 steps whatever the
 * input says.
 */
#include <errno.h>
#include <stdio.h>

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
    const char *what = ikev2_parse_error_string(st->error);

    if (st->payload_type == IKEV2_PAYLOAD_NONE)
        return snprintf(buf, size, "%s at offset %zu", what, st->offset);
    const char *name = ikev2_payload_name(st->payload_type);
    if (name)
        return snprintf(buf, size, "%s %s at offset %zu", what, name, st->offset);
    return snprintf(buf, size, "%s %u at offset %zu", what, st->payload_type, st->offset);
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

/* The chain from first_type over buf[0..len). allow_sk: an SK/SKF payload
 * may end the chain (outer chain) or is refused (decrypted inner chain). */
static int chain_parse(const uint8_t *buf, size_t len, uint8_t first_type, size_t base_offset,
                       bool allow_sk, struct ikev2_payload_list *list,
                       struct ikev2_parse_status *st) {
    uint8_t type = first_type;
    size_t off = 0;

    list->n = 0;
    list->n_skipped = 0;

    while (type != IKEV2_PAYLOAD_NONE) {
        if (len - off < IKEV2_PAYLOAD_HEADER_LEN)
            return fail(st, IKEV2_PARSE_TRUNCATED_PAYLOAD, type, base_offset + off);

        const uint8_t *g = buf + off;
        uint8_t next = g[0];
        bool critical = g[1] & IKEV2_PAYLOAD_CRITICAL;
        uint16_t plen = ikev2_get16(g + 2);

        if (plen < IKEV2_PAYLOAD_HEADER_LEN)
            return fail(st, IKEV2_PARSE_PAYLOAD_LENGTH, type, base_offset + off);
        if (plen > len - off)
            return fail(st, IKEV2_PARSE_TRUNCATED_PAYLOAD, type, base_offset + off);

        if (!payload_type_known(type)) {
            /* RFC 7296 3.2: the critical bit matters only for payloads we
             * do not know; the rest are skipped. */
            if (critical)
                return fail(st, IKEV2_PARSE_UNSUPPORTED_CRITICAL, type, base_offset + off);
            list->n_skipped++;
        } else {
            bool sk = type == IKEV2_PAYLOAD_SK || type == IKEV2_PAYLOAD_SKF;

            if (sk && !allow_sk)
                return fail(st, IKEV2_PARSE_MISPLACED_PAYLOAD, type, base_offset + off);
            if (list->n == IKEV2_MAX_PAYLOADS)
                return fail(st, IKEV2_PARSE_TOO_MANY, type, base_offset + off);
            list->p[list->n++] = (struct ikev2_payload) {
                .type = type,
                .next_type = next,
                .critical = critical,
                .body = g + IKEV2_PAYLOAD_HEADER_LEN,
                .len = plen - IKEV2_PAYLOAD_HEADER_LEN,
                .offset = base_offset + off,
            };
            if (sk) {
                /* Its Next Payload names the first encrypted payload, not a
                 * following one: the encrypted payload is always last. */
                off += plen;
                if (off != len)
                    return fail(st, IKEV2_PARSE_SK_NOT_LAST, type, base_offset + off - plen);
                break;
            }
        }
        off += plen;
        type = next;
    }

    if (off != len)
        return fail(st, IKEV2_PARSE_TRAILING_DATA, 0, base_offset + off);
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
