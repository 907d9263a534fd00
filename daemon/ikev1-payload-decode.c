/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Decoders for each ISAKMP payload body (RFC 2408 3.4 to 3.15, RFC 2407
 * 4.6, RFC 3947 5, the mode-cfg draft 3.2, Cisco's fragment payload). Each
 * checks its fixed fields, then walks its substructures by their own length
 * fields, checking each against what remains of its parent, and compares
 * declared counts with what was found. Offsets in errors are those of the
 * offending substructure in the buffer the chain was parsed from.
 */
#include <errno.h>

#include "ikev1-payload.h"
#include "wire.h"

static int fail(struct ikev1_parse_status *st, enum ikev1_parse_error e,
                const struct ikev1_payload *p, size_t body_off) {
    st->error = e;
    st->payload_type = p->type;
    st->offset = p->offset + IKEV1_PAYLOAD_HEADER_LEN + body_off;
    return -EBADMSG;
}

static int ok(struct ikev1_parse_status *st) {
    st->error = IKEV1_PARSE_OK;
    st->payload_type = 0;
    st->offset = 0;
    return 0;
}

/* A proposal or transform at b[off..end) (wire_substructure()); errors at base + off. */
static int substructure(const struct ikev1_payload *p, size_t base, const uint8_t *b, size_t off,
                        size_t end, uint8_t more, enum ikev1_parse_error length_error, uint16_t *len,
                        struct ikev1_parse_status *st) {
    switch (wire_substructure(b, off, end, more, len)) {
    case WIRE_SUBSTRUCTURE_OK:
        return 0;
    case WIRE_SUBSTRUCTURE_LENGTH:
        return fail(st, length_error, p, base + off);
    default:
        return fail(st, IKEV1_PARSE_LAST_MARKER, p, base + off);
    }
}

static int check_type(const struct ikev1_payload *p, uint8_t a, uint8_t b,
                      struct ikev1_parse_status *st) {
    if (p->type != a && p->type != b)
        return fail(st, IKEV1_PARSE_WRONG_TYPE, p, 0);
    return 0;
}

int ikev1_attribute_number(const struct ikev1_attribute *a, uint64_t *v) {
    if (a->tv) {
        *v = a->tv_value;
        return 0;
    }
    if (a->len == 0 || a->len > 8)
        return -ERANGE;
    uint64_t n = 0;
    for (size_t i = 0; i < a->len; i++)
        n = n << 8 | a->value[i];
    *v = n;
    return 0;
}

/* Attributes (RFC 2408 3.3) over a[0..len), appended to out[*n..max). */
static int decode_attributes(const struct ikev1_payload *p, size_t base, const uint8_t *a, size_t len,
                             struct ikev1_attribute *out, size_t *n, size_t max,
                             struct ikev1_parse_status *st) {
    size_t off = 0;

    while (off < len) {
        if (len - off < 4)
            return fail(st, IKEV1_PARSE_ATTRIBUTE_LENGTH, p, base + off);
        if (*n == max)
            return fail(st, IKEV1_PARSE_TOO_MANY, p, base + off);

        uint16_t type = wire_get16(a + off);
        uint16_t value = wire_get16(a + off + 2);
        struct ikev1_attribute *at = &out[(*n)++];

        if (type & IKEV1_ATTRIBUTE_TV) {
            *at = (struct ikev1_attribute) {
                .type = type & ~IKEV1_ATTRIBUTE_TV, .tv = true, .tv_value = value,
                .value = a + off + 2, .len = 2,
            };
            off += 4;
        } else {
            if (value > len - off - 4)
                return fail(st, IKEV1_PARSE_ATTRIBUTE_LENGTH, p, base + off);
            *at = (struct ikev1_attribute) { .type = type, .value = a + off + 4, .len = value };
            off += 4 + (size_t)value;
        }
    }
    return 0;
}

static bool spi_size_valid(uint8_t protocol, uint8_t size) {
    switch (protocol) {
    case IKEV1_PROTO_ISAKMP:
        /* RFC 2408 2.4: the cookies are the SPI; main/aggressive mode
         * proposals carry none, some peers put both (16) or one (8). */
        return size == 0 || size == 8 || size == 16;
    case IKEV1_PROTO_IPSEC_AH:
    case IKEV1_PROTO_IPSEC_ESP:
        return size == 4;
    case IKEV1_PROTO_IPCOMP:
        /* RFC 2393 4.1: a 2-byte CPI, sometimes sent in 4 bytes. */
        return size == 2 || size == 4;
    default:
        return size <= IKEV1_MAX_PROPOSAL_SPI;
    }
}

static int decode_proposal(const struct ikev1_payload *p, size_t base, const uint8_t *b, size_t plen,
                           struct ikev1_sa *sa, struct ikev1_proposal *pr,
                           struct ikev1_parse_status *st) {
    uint8_t declared = b[7];
    size_t off;
    int r;

    pr->number = b[4];
    pr->protocol = b[5];
    pr->spi_size = b[6];
    pr->first_transform = sa->n_transforms;
    pr->n_transforms = 0;

    if (!spi_size_valid(pr->protocol, pr->spi_size))
        return fail(st, IKEV1_PARSE_SPI_SIZE, p, base);
    if (8 + (size_t)pr->spi_size > plen)
        return fail(st, IKEV1_PARSE_PROPOSAL_LENGTH, p, base);
    memset(pr->spi, 0, sizeof(pr->spi));
    memcpy(pr->spi, b + 8, pr->spi_size);

    off = 8 + pr->spi_size;
    while (off < plen) {
        if (sa->n_transforms == IKEV1_MAX_TRANSFORMS)
            return fail(st, IKEV1_PARSE_TOO_MANY, p, base + off);
        uint16_t tlen;
        r = substructure(p, base, b, off, plen, IKEV1_TRANSFORM_MORE, IKEV1_PARSE_TRANSFORM_LENGTH, &tlen, st);
        if (r < 0)
            return r;
        const uint8_t *t = b + off;

        struct ikev1_transform *tr = &sa->transforms[sa->n_transforms];
        *tr = (struct ikev1_transform) {
            .number = t[4],
            .id = t[5],
            .first_attribute = sa->n_attributes,
        };
        r = decode_attributes(p, base + off + 8, t + 8, tlen - 8, sa->attributes, &sa->n_attributes,
                              IKEV1_MAX_SA_ATTRIBUTES, st);
        if (r < 0)
            return r;
        tr->n_attributes = sa->n_attributes - tr->first_attribute;
        sa->n_transforms++;
        pr->n_transforms++;
        off += tlen;
    }

    /* RFC 2408 3.5: at least one transform, as many as declared. */
    if (pr->n_transforms != declared || declared == 0)
        return fail(st, IKEV1_PARSE_COUNT_MISMATCH, p, base);
    return 0;
}

int ikev1_sa_decode(const struct ikev1_payload *p, struct ikev1_sa *sa, struct ikev1_parse_status *st) {
    size_t off;
    int r;

    sa->doi = 0;
    sa->situation = 0;
    sa->n_proposals = 0;
    sa->n_transforms = 0;
    sa->n_attributes = 0;
    r = check_type(p, IKEV1_PAYLOAD_SA, IKEV1_PAYLOAD_SA, st);
    if (r < 0)
        return r;
    if (p->len < 8)
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, 0);
    sa->doi = wire_get32(p->body);
    sa->situation = wire_get32(p->body + 4);
    /* RFC 2407 4.6.1: with secrecy or integrity bits, labelled-domain
     * fields follow the situation; nobody uses them, and without
     * understanding them the proposals cannot be found. */
    if (sa->doi != IKEV1_DOI_IPSEC)
        return fail(st, IKEV1_PARSE_DOI, p, 0);
    if (sa->situation != IKEV1_SIT_IDENTITY_ONLY)
        return fail(st, IKEV1_PARSE_SITUATION, p, 4);

    off = 8;
    if (off == p->len)
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, off);
    while (off < p->len) {
        if (sa->n_proposals == IKEV1_MAX_PROPOSALS)
            return fail(st, IKEV1_PARSE_TOO_MANY, p, off);
        uint16_t plen;
        r = substructure(p, 0, p->body, off, p->len, IKEV1_PROPOSAL_MORE, IKEV1_PARSE_PROPOSAL_LENGTH, &plen, st);
        if (r < 0)
            return r;
        const uint8_t *b = p->body + off;
        /* RFC 2408 4.2: numbers increase monotonically; equal numbers
         * join protocols into one suite. */
        if (sa->n_proposals > 0 && b[4] < sa->proposals[sa->n_proposals - 1].number)
            return fail(st, IKEV1_PARSE_PROPOSAL_NUMBER, p, off);

        struct ikev1_proposal *pr = &sa->proposals[sa->n_proposals];
        r = decode_proposal(p, off, b, plen, sa, pr, st);
        if (r < 0)
            return r;
        sa->n_proposals++;
        off += plen;
    }
    return ok(st);
}

const struct ikev1_attribute *ikev1_transform_attribute(const struct ikev1_sa *sa,
                                                        const struct ikev1_transform *t, uint16_t type) {
    const struct ikev1_attribute *a = ikev1_transform_attributes(sa, t);

    for (size_t i = 0; i < t->n_attributes; i++)
        if (a[i].type == type)
            return &a[i];
    return NULL;
}

static int decode_data(const struct ikev1_payload *p, uint8_t t1, uint8_t t2, struct ikev1_data *d,
                       struct ikev1_parse_status *st) {
    d->data = NULL;
    d->len = 0;
    int r = check_type(p, t1, t2, st);
    if (r < 0)
        return r;
    if (p->len == 0)
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, 0);
    d->data = p->body;
    d->len = p->len;
    return ok(st);
}

int ikev1_ke_decode(const struct ikev1_payload *p, struct ikev1_data *ke, struct ikev1_parse_status *st) {
    return decode_data(p, IKEV1_PAYLOAD_KE, IKEV1_PAYLOAD_KE, ke, st);
}

int ikev1_hash_decode(const struct ikev1_payload *p, struct ikev1_data *h, struct ikev1_parse_status *st) {
    return decode_data(p, IKEV1_PAYLOAD_HASH, IKEV1_PAYLOAD_HASH, h, st);
}

int ikev1_sig_decode(const struct ikev1_payload *p, struct ikev1_data *s, struct ikev1_parse_status *st) {
    return decode_data(p, IKEV1_PAYLOAD_SIG, IKEV1_PAYLOAD_SIG, s, st);
}

int ikev1_vendor_id_decode(const struct ikev1_payload *p, struct ikev1_data *v,
                           struct ikev1_parse_status *st) {
    return decode_data(p, IKEV1_PAYLOAD_VENDOR_ID, IKEV1_PAYLOAD_VENDOR_ID, v, st);
}

int ikev1_nat_d_decode(const struct ikev1_payload *p, struct ikev1_data *h, struct ikev1_parse_status *st) {
    return decode_data(p, IKEV1_PAYLOAD_NAT_D, IKEV1_PAYLOAD_NAT_D_DRAFT, h, st);
}

int ikev1_nonce_decode(const struct ikev1_payload *p, struct ikev1_data *n, struct ikev1_parse_status *st) {
    int r = decode_data(p, IKEV1_PAYLOAD_NONCE, IKEV1_PAYLOAD_NONCE, n, st);
    if (r < 0 && st->error != IKEV1_PARSE_BODY_LENGTH)
        return r;
    if (p->len < IKEV1_NONCE_MIN || p->len > IKEV1_NONCE_MAX) {
        n->data = NULL;
        n->len = 0;
        return fail(st, IKEV1_PARSE_NONCE_LENGTH, p, 0);
    }
    return ok(st);
}

/* The exact data length of address identification types, 0 for others. */
static size_t id_address_length(uint8_t type) {
    switch (type) {
    case IKEV1_ID_IPV4_ADDR:            return 4;
    case IKEV1_ID_IPV4_ADDR_SUBNET:     return 8;
    case IKEV1_ID_IPV4_ADDR_RANGE:      return 8;
    case IKEV1_ID_IPV6_ADDR:            return 16;
    case IKEV1_ID_IPV6_ADDR_SUBNET:     return 32;
    case IKEV1_ID_IPV6_ADDR_RANGE:      return 32;
    default:                            return 0;
    }
}

int ikev1_id_decode(const struct ikev1_payload *p, struct ikev1_id *id, struct ikev1_parse_status *st) {
    *id = (struct ikev1_id) { 0 };
    int r = check_type(p, IKEV1_PAYLOAD_ID, IKEV1_PAYLOAD_ID, st);
    if (r < 0)
        return r;
    if (p->len < 4)
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, 0);

    id->type = p->body[0];
    id->protocol = p->body[1];
    id->port = wire_get16(p->body + 2);
    id->data = p->body + 4;
    id->len = p->len - 4;
    id->body = p->body;
    id->body_len = p->len;

    size_t want = id_address_length(id->type);
    if ((want && id->len != want) || (!want && id->len == 0))
        return fail(st, IKEV1_PARSE_ID_LENGTH, p, 4);
    return ok(st);
}

int ikev1_cert_decode(const struct ikev1_payload *p, struct ikev1_cert *c, struct ikev1_parse_status *st) {
    *c = (struct ikev1_cert) { 0 };
    int r = check_type(p, IKEV1_PAYLOAD_CERT, IKEV1_PAYLOAD_CR, st);
    if (r < 0)
        return r;
    /* RFC 2408 3.10: a CR may name no authority ("any"); a CERT is never empty. */
    if (p->len < 1 || (p->type == IKEV1_PAYLOAD_CERT && p->len < 2))
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, 0);
    c->encoding = p->body[0];
    c->data = p->body + 1;
    c->len = p->len - 1;
    return ok(st);
}

int ikev1_notify_decode(const struct ikev1_payload *p, struct ikev1_notify *n, struct ikev1_parse_status *st) {
    *n = (struct ikev1_notify) { 0 };
    int r = check_type(p, IKEV1_PAYLOAD_NOTIFY, IKEV1_PAYLOAD_NOTIFY, st);
    if (r < 0)
        return r;
    if (p->len < 8)
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, 0);
    n->doi = wire_get32(p->body);
    n->protocol = p->body[4];
    n->spi_size = p->body[5];
    n->type = wire_get16(p->body + 6);
    if (n->spi_size > IKEV1_MAX_PROPOSAL_SPI)
        return fail(st, IKEV1_PARSE_SPI_SIZE, p, 5);
    if (n->spi_size > p->len - 8)
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, 8);
    n->spi = p->body + 8;
    n->data = p->body + 8 + n->spi_size;
    n->len = p->len - 8 - n->spi_size;
    return ok(st);
}

int ikev1_delete_decode(const struct ikev1_payload *p, struct ikev1_delete *d, struct ikev1_parse_status *st) {
    *d = (struct ikev1_delete) { 0 };
    int r = check_type(p, IKEV1_PAYLOAD_DELETE, IKEV1_PAYLOAD_DELETE, st);
    if (r < 0)
        return r;
    if (p->len < 8)
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, 0);
    d->doi = wire_get32(p->body);
    d->protocol = p->body[4];
    d->spi_size = p->body[5];
    d->n_spis = wire_get16(p->body + 6);
    /* RFC 2408 3.15: a Delete names at least one SA, each by an SPI. */
    if (d->spi_size == 0 || d->spi_size > IKEV1_MAX_PROPOSAL_SPI)
        return fail(st, IKEV1_PARSE_SPI_SIZE, p, 5);
    if (d->n_spis == 0 || (size_t)d->n_spis * d->spi_size != p->len - 8)
        return fail(st, IKEV1_PARSE_COUNT_MISMATCH, p, 6);
    d->spis = p->body + 8;
    return ok(st);
}

/* Up to 3 zero bytes at the end of an attribute list, too short for an
 * attribute header: libreswan (4.x) pads the message to a multiple of 4
 * inside its last payload, and its Mode Config ACK ends with an Attribute
 * payload (a 14-byte CISCO_SPLIT_INC value, then 2 zero bytes).  Returns
 * the list's length without them when the attributes before them fit
 * exactly; otherwise len (and the walk reports the error). */
static size_t without_trailing_padding(const uint8_t *a, size_t len) {
    size_t off = 0;
    while (len - off >= 4) {
        uint16_t type = wire_get16(a + off), value = wire_get16(a + off + 2);
        size_t step = type & IKEV1_ATTRIBUTE_TV ? 4 : 4 + (size_t)value;
        if (step > len - off)
            return len;
        off += step;
    }
    for (size_t i = off; i < len; i++)
        if (a[i] != 0)
            return len;
    return off;
}

int ikev1_cfg_decode(const struct ikev1_payload *p, struct ikev1_cfg *cfg, struct ikev1_parse_status *st) {
    cfg->type = 0;
    cfg->identifier = 0;
    cfg->n = 0;
    int r = check_type(p, IKEV1_PAYLOAD_ATTRIBUTE, IKEV1_PAYLOAD_ATTRIBUTE, st);
    if (r < 0)
        return r;
    if (p->len < 4)
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, 0);
    cfg->type = p->body[0];
    cfg->identifier = wire_get16(p->body + 2);
    r = decode_attributes(p, 4, p->body + 4, without_trailing_padding(p->body + 4, p->len - 4), cfg->attrs,
                          &cfg->n, IKEV1_MAX_CFG_ATTRIBUTES, st);
    if (r < 0)
        return r;
    return ok(st);
}

int ikev1_nat_oa_decode(const struct ikev1_payload *p, struct ikev1_nat_oa *oa,
                        struct ikev1_parse_status *st) {
    *oa = (struct ikev1_nat_oa) { 0 };
    int r = check_type(p, IKEV1_PAYLOAD_NAT_OA, IKEV1_PAYLOAD_NAT_OA_DRAFT, st);
    if (r < 0)
        return r;
    if (p->len < 4)
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, 0);
    oa->id_type = p->body[0];
    oa->addr = p->body + 4;
    oa->len = p->len - 4;
    /* RFC 3947 5.2: an IPv4 or IPv6 address, nothing else. */
    if (!((oa->id_type == IKEV1_ID_IPV4_ADDR && oa->len == 4) ||
          (oa->id_type == IKEV1_ID_IPV6_ADDR && oa->len == 16)))
        return fail(st, IKEV1_PARSE_ID_LENGTH, p, 0);
    return ok(st);
}

int ikev1_fragment_decode(const struct ikev1_payload *p, struct ikev1_fragment *f,
                          struct ikev1_parse_status *st) {
    *f = (struct ikev1_fragment) { 0 };
    int r = check_type(p, IKEV1_PAYLOAD_FRAGMENT, IKEV1_PAYLOAD_FRAGMENT, st);
    if (r < 0)
        return r;
    /* Fragment ID(2) number(1) flags(1) then at least one byte. */
    if (p->len < 5)
        return fail(st, IKEV1_PARSE_BODY_LENGTH, p, 0);
    f->id = wire_get16(p->body);
    f->number = p->body[2];
    f->last = p->body[3] & IKEV1_FRAGMENT_LAST;
    if (f->number == 0)
        return fail(st, IKEV1_PARSE_COUNT_MISMATCH, p, 2);
    f->data = p->body + 4;
    f->len = p->len - 4;
    return ok(st);
}
