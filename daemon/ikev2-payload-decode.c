/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Decoders for each IKEv2 payload body (RFC 7296 3.3 to 3.16, RFC 7383
 * 2.5). Each checks its fixed fields, then walks its substructures by their
 * own length fields, checking each against what remains of its parent, and
 * compares declared counts with what was found. Offsets in errors are those
 * of the offending substructure in the buffer the chain was parsed from.
 */
#include <errno.h>

#include "ikev2-payload.h"
#include "ikev2-wire.h"

static int fail(struct ikev2_parse_status *st, enum ikev2_parse_error e,
                const struct ikev2_payload *p, size_t body_off) {
    st->error = e;
    st->payload_type = p->type;
    st->offset = p->offset + IKEV2_PAYLOAD_HEADER_LEN + body_off;
    return -EBADMSG;
}

static int ok(struct ikev2_parse_status *st) {
    st->error = IKEV2_PARSE_OK;
    st->payload_type = 0;
    st->offset = 0;
    return 0;
}

/* A proposal or transform at b[off..end) (wire_substructure()); errors at base + off. */
static int substructure(const struct ikev2_payload *p, size_t base, const uint8_t *b, size_t off,
                        size_t end, uint8_t more, enum ikev2_parse_error length_error, uint16_t *len,
                        struct ikev2_parse_status *st) {
    switch (wire_substructure(b, off, end, more, len)) {
    case WIRE_SUBSTRUCTURE_OK:
        return 0;
    case WIRE_SUBSTRUCTURE_LENGTH:
        return fail(st, length_error, p, base + off);
    default:
        return fail(st, IKEV2_PARSE_LAST_MARKER, p, base + off);
    }
}

static int check_type(const struct ikev2_payload *p, uint8_t a, uint8_t b,
                      struct ikev2_parse_status *st) {
    if (p->type != a && p->type != b)
        return fail(st, IKEV2_PARSE_WRONG_TYPE, p, 0);
    return 0;
}

/* One transform's attributes (RFC 7296 3.3.5). Only Key Length (TV) is
 * defined; anything else marks the transform unusable rather than failing,
 * as 3.3.6 asks the responder to skip such transforms. */
static int decode_attributes(const struct ikev2_payload *p, size_t base, const uint8_t *a,
                             size_t len, struct ikev2_transform *t, struct ikev2_parse_status *st) {
    size_t off = 0;
    bool seen_key_length = false;

    while (off < len) {
        if (len - off < 4)
            return fail(st, IKEV2_PARSE_ATTRIBUTE_LENGTH, p, base + off);
        uint16_t type = ikev2_get16(a + off);
        uint16_t value = ikev2_get16(a + off + 2);
        size_t alen = 4;

        if (!(type & IKEV2_ATTRIBUTE_TV)) {
            alen += value;
            if (alen > len - off)
                return fail(st, IKEV2_PARSE_ATTRIBUTE_LENGTH, p, base + off);
            t->unknown_attribute = true;
        } else if ((type & ~IKEV2_ATTRIBUTE_TV) == IKEV2_ATTR_KEY_LENGTH && !seen_key_length &&
                   value != 0) {
            t->key_length = value;
            seen_key_length = true;
        } else {
            /* Unknown TV attribute, a repeated or a zero key length. */
            t->unknown_attribute = true;
        }
        off += alen;
    }
    return 0;
}

static int decode_proposal(const struct ikev2_payload *p, size_t base, const uint8_t *b, size_t plen,
                           struct ikev2_sa *sa, struct ikev2_proposal *pr,
                           struct ikev2_parse_status *st) {
    uint8_t declared = b[7];
    size_t off;
    int r;

    pr->number = b[4];
    pr->protocol = b[5];
    pr->spi_size = b[6];
    pr->first_transform = sa->n_transforms;
    pr->n_transforms = 0;

    /* RFC 7296 3.3.1: no SPI in IKE_SA_INIT, the new SA's SPI when
     * rekeying an IKE SA, 4 bytes for ESP and AH. */
    if (pr->spi_size > IKEV2_MAX_PROPOSAL_SPI ||
        (pr->protocol == IKEV2_PROTOCOL_IKE && pr->spi_size != 0 && pr->spi_size != 8) ||
        ((pr->protocol == IKEV2_PROTOCOL_ESP || pr->protocol == IKEV2_PROTOCOL_AH) && pr->spi_size != 4))
        return fail(st, IKEV2_PARSE_SPI_SIZE, p, base);
    if (8 + (size_t)pr->spi_size > plen)
        return fail(st, IKEV2_PARSE_PROPOSAL_LENGTH, p, base);
    memset(pr->spi, 0, sizeof(pr->spi));
    memcpy(pr->spi, b + 8, pr->spi_size);

    off = 8 + pr->spi_size;
    while (off < plen) {
        if (sa->n_transforms == IKEV2_MAX_TRANSFORMS)
            return fail(st, IKEV2_PARSE_TOO_MANY, p, base + off);
        uint16_t tlen;
        r = substructure(p, base, b, off, plen, IKEV2_TRANSFORM_MORE, IKEV2_PARSE_TRANSFORM_LENGTH, &tlen, st);
        if (r < 0)
            return r;
        const uint8_t *t = b + off;

        struct ikev2_transform *tr = &sa->transforms[sa->n_transforms];
        *tr = (struct ikev2_transform) {
            .type = t[4],
            .id = ikev2_get16(t + 6),
        };
        r = decode_attributes(p, base + off + 8, t + 8, tlen - 8, tr, st);
        if (r < 0)
            return r;
        sa->n_transforms++;
        pr->n_transforms++;
        off += tlen;
    }

    if (pr->n_transforms != declared)
        return fail(st, IKEV2_PARSE_COUNT_MISMATCH, p, base);
    return 0;
}

int ikev2_sa_decode(const struct ikev2_payload *p, struct ikev2_sa *sa, struct ikev2_parse_status *st) {
    size_t off = 0;
    int r;

    sa->n_proposals = 0;
    sa->n_transforms = 0;
    r = check_type(p, IKEV2_PAYLOAD_SA, IKEV2_PAYLOAD_SA, st);
    if (r < 0)
        return r;
    if (p->len == 0)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);

    while (off < p->len) {
        if (sa->n_proposals == IKEV2_MAX_PROPOSALS)
            return fail(st, IKEV2_PARSE_TOO_MANY, p, off);
        uint16_t plen;
        r = substructure(p, 0, p->body, off, p->len, IKEV2_PROPOSAL_MORE, IKEV2_PARSE_PROPOSAL_LENGTH, &plen, st);
        if (r < 0)
            return r;
        const uint8_t *b = p->body + off;

        struct ikev2_proposal *pr = &sa->proposals[sa->n_proposals];
        r = decode_proposal(p, off, b, plen, sa, pr, st);
        if (r < 0)
            return r;
        /* RFC 7296 3.3.1: numbered from 1 (a response repeats the number
         * chosen), each one more than the previous. */
        if (pr->number == 0 ||
            (sa->n_proposals > 0 && pr->number != sa->proposals[sa->n_proposals - 1].number + 1))
            return fail(st, IKEV2_PARSE_PROPOSAL_NUMBER, p, off);
        sa->n_proposals++;
        off += plen;
    }
    return ok(st);
}

int ikev2_ke_decode(const struct ikev2_payload *p, struct ikev2_ke *ke, struct ikev2_parse_status *st) {
    int r = check_type(p, IKEV2_PAYLOAD_KE, IKEV2_PAYLOAD_KE, st);
    if (r < 0)
        return r;
    if (p->len < 5)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    ke->group = ikev2_get16(p->body);
    ke->data = p->body + 4;
    ke->len = p->len - 4;
    return ok(st);
}

int ikev2_nonce_decode(const struct ikev2_payload *p, struct ikev2_nonce *n, struct ikev2_parse_status *st) {
    int r = check_type(p, IKEV2_PAYLOAD_NONCE, IKEV2_PAYLOAD_NONCE, st);
    if (r < 0)
        return r;
    if (p->len < IKEV2_NONCE_MIN || p->len > IKEV2_NONCE_MAX)
        return fail(st, IKEV2_PARSE_NONCE_LENGTH, p, 0);
    n->data = p->body;
    n->len = p->len;
    return ok(st);
}

int ikev2_id_decode(const struct ikev2_payload *p, struct ikev2_id *id, struct ikev2_parse_status *st) {
    int r = check_type(p, IKEV2_PAYLOAD_IDI, IKEV2_PAYLOAD_IDR, st);
    if (r < 0)
        return r;
    if (p->len < 5)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    id->type = p->body[0];
    id->data = p->body + 4;
    id->len = p->len - 4;
    id->body = p->body;
    id->body_len = p->len;
    return ok(st);
}

int ikev2_auth_decode(const struct ikev2_payload *p, struct ikev2_auth *a, struct ikev2_parse_status *st) {
    int r = check_type(p, IKEV2_PAYLOAD_AUTH, IKEV2_PAYLOAD_AUTH, st);
    if (r < 0)
        return r;
    if (p->len < 5)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    a->method = p->body[0];
    a->data = p->body + 4;
    a->len = p->len - 4;
    return ok(st);
}

int ikev2_notify_decode(const struct ikev2_payload *p, struct ikev2_notify *n, struct ikev2_parse_status *st) {
    int r = check_type(p, IKEV2_PAYLOAD_NOTIFY, IKEV2_PAYLOAD_NOTIFY, st);
    if (r < 0)
        return r;
    if (p->len < 4)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    n->protocol = p->body[0];
    n->spi_size = p->body[1];
    n->type = ikev2_get16(p->body + 2);
    if (n->spi_size > IKEV2_MAX_PROPOSAL_SPI)
        return fail(st, IKEV2_PARSE_SPI_SIZE, p, 1);
    if (4 + (size_t)n->spi_size > p->len)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    n->spi = n->spi_size ? p->body + 4 : NULL;
    n->data = p->body + 4 + n->spi_size;
    n->len = p->len - 4 - n->spi_size;
    return ok(st);
}

int ikev2_delete_decode(const struct ikev2_payload *p, struct ikev2_delete *d, struct ikev2_parse_status *st) {
    int r = check_type(p, IKEV2_PAYLOAD_DELETE, IKEV2_PAYLOAD_DELETE, st);
    if (r < 0)
        return r;
    if (p->len < 4)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    d->protocol = p->body[0];
    d->spi_size = p->body[1];
    d->n_spis = ikev2_get16(p->body + 2);
    /* RFC 7296 3.11: the IKE SA is named by the header's SPIs (size 0),
     * ESP and AH SAs by their 4-byte SPIs. */
    if ((d->protocol == IKEV2_PROTOCOL_IKE && d->spi_size != 0) ||
        ((d->protocol == IKEV2_PROTOCOL_ESP || d->protocol == IKEV2_PROTOCOL_AH) && d->spi_size != 4) ||
        d->spi_size > IKEV2_MAX_PROPOSAL_SPI)
        return fail(st, IKEV2_PARSE_SPI_SIZE, p, 1);
    /* Without SPIs there is nothing to count: a count there is a lie
     * (RFC 7296 3.11: "Num of SPIs" is zero for IKE). */
    if ((size_t)d->n_spis * d->spi_size != p->len - 4 || (d->spi_size == 0 && d->n_spis != 0))
        return fail(st, IKEV2_PARSE_COUNT_MISMATCH, p, 2);
    d->spis = p->body + 4;
    return ok(st);
}

int ikev2_vendor_id_decode(const struct ikev2_payload *p, struct ikev2_vendor_id *v,
                           struct ikev2_parse_status *st) {
    int r = check_type(p, IKEV2_PAYLOAD_VENDOR_ID, IKEV2_PAYLOAD_VENDOR_ID, st);
    if (r < 0)
        return r;
    if (p->len < 1)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    v->data = p->body;
    v->len = p->len;
    return ok(st);
}

int ikev2_ts_decode(const struct ikev2_payload *p, struct ikev2_ts *ts, struct ikev2_parse_status *st) {
    size_t off = 4;
    uint8_t declared;
    int r;

    ts->n = 0;
    r = check_type(p, IKEV2_PAYLOAD_TSI, IKEV2_PAYLOAD_TSR, st);
    if (r < 0)
        return r;
    if (p->len < 4)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    declared = p->body[0];

    while (off < p->len) {
        if (ts->n == IKEV2_MAX_SELECTORS)
            return fail(st, IKEV2_PARSE_TOO_MANY, p, off);
        if (p->len - off < 4)
            return fail(st, IKEV2_PARSE_SELECTOR_LENGTH, p, off);

        const uint8_t *s = p->body + off;
        uint16_t slen = ikev2_get16(s + 2);
        struct ikev2_ts_selector *sel = &ts->sel[ts->n];
        size_t addr_len;

        if (slen < 4 || slen > p->len - off)
            return fail(st, IKEV2_PARSE_SELECTOR_LENGTH, p, off);
        memset(sel, 0, sizeof(*sel));
        sel->type = s[0];
        switch (sel->type) {
        case IKEV2_TS_IPV4_ADDR_RANGE:
            addr_len = 4;
            break;
        case IKEV2_TS_IPV6_ADDR_RANGE:
            addr_len = 16;
            break;
        default:
            /* Other types (security labels...) have their own layout:
             * kept by type only, for the state machine to refuse. */
            addr_len = 0;
            break;
        }
        if (addr_len > 0) {
            if (slen != 8 + 2 * addr_len)
                return fail(st, IKEV2_PARSE_SELECTOR_LENGTH, p, off);
            sel->ip_protocol = s[1];
            sel->start_port = ikev2_get16(s + 4);
            sel->end_port = ikev2_get16(s + 6);
            memcpy(sel->start_addr, s + 8, addr_len);
            memcpy(sel->end_addr, s + 8 + addr_len, addr_len);
        }
        ts->n++;
        off += slen;
    }

    if (ts->n != declared)
        return fail(st, IKEV2_PARSE_COUNT_MISMATCH, p, 0);
    return ok(st);
}

int ikev2_cp_decode(const struct ikev2_payload *p, struct ikev2_cp *cp, struct ikev2_parse_status *st) {
    size_t off = 4;
    int r;

    cp->n = 0;
    r = check_type(p, IKEV2_PAYLOAD_CP, IKEV2_PAYLOAD_CP, st);
    if (r < 0)
        return r;
    if (p->len < 4)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    cp->type = p->body[0];

    while (off < p->len) {
        if (cp->n == IKEV2_MAX_CP_ATTRIBUTES)
            return fail(st, IKEV2_PARSE_TOO_MANY, p, off);
        if (p->len - off < 4)
            return fail(st, IKEV2_PARSE_ATTRIBUTE_LENGTH, p, off);

        const uint8_t *a = p->body + off;
        uint16_t alen = ikev2_get16(a + 2);

        if (alen > p->len - off - 4)
            return fail(st, IKEV2_PARSE_ATTRIBUTE_LENGTH, p, off);
        cp->attrs[cp->n++] = (struct ikev2_cp_attribute) {
            .type = ikev2_get16(a) & IKEV2_CP_ATTRIBUTE_TYPE_MASK,
            .value = a + 4,
            .len = alen,
        };
        off += 4 + (size_t)alen;
    }
    return ok(st);
}

int ikev2_eap_decode(const struct ikev2_payload *p, struct ikev2_eap *e, struct ikev2_parse_status *st) {
    int r = check_type(p, IKEV2_PAYLOAD_EAP, IKEV2_PAYLOAD_EAP, st);
    if (r < 0)
        return r;
    if (p->len < 4)
        return fail(st, IKEV2_PARSE_EAP_LENGTH, p, 0);

    uint16_t elen = ikev2_get16(p->body + 2);

    /* RFC 7296 3.16: the payload holds exactly one EAP packet. */
    if (elen != p->len)
        return fail(st, IKEV2_PARSE_EAP_LENGTH, p, 2);
    e->code = p->body[0];
    e->id = p->body[1];
    e->packet = p->body;
    e->packet_len = p->len;
    switch (e->code) {
    case IKEV2_EAP_REQUEST:
    case IKEV2_EAP_RESPONSE:
        if (elen < 5)
            return fail(st, IKEV2_PARSE_EAP_LENGTH, p, 2);
        e->type = p->body[4];
        e->data = p->body + 5;
        e->len = p->len - 5;
        break;
    case IKEV2_EAP_SUCCESS:
    case IKEV2_EAP_FAILURE:
        /* RFC 3748 4.2: exactly the 4-byte header. */
        if (elen != 4)
            return fail(st, IKEV2_PARSE_EAP_LENGTH, p, 2);
        e->type = 0;
        e->data = p->body + 4;
        e->len = 0;
        break;
    default:
        e->type = 0;
        e->data = p->body + 4;
        e->len = p->len - 4;
        break;
    }
    return ok(st);
}

int ikev2_cert_decode(const struct ikev2_payload *p, struct ikev2_cert *c, struct ikev2_parse_status *st) {
    int r = check_type(p, IKEV2_PAYLOAD_CERT, IKEV2_PAYLOAD_CERTREQ, st);
    if (r < 0)
        return r;
    if (p->len < 1)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    c->encoding = p->body[0];
    c->data = p->body + 1;
    c->len = p->len - 1;
    return ok(st);
}

int ikev2_skf_decode(const struct ikev2_payload *p, struct ikev2_skf *f, struct ikev2_parse_status *st) {
    int r = check_type(p, IKEV2_PAYLOAD_SKF, IKEV2_PAYLOAD_SKF, st);
    if (r < 0)
        return r;
    if (p->len < 4)
        return fail(st, IKEV2_PARSE_BODY_LENGTH, p, 0);
    f->number = ikev2_get16(p->body);
    f->total = ikev2_get16(p->body + 2);
    /* RFC 7383 2.5: numbered from 1 up to the total. */
    if (f->number == 0 || f->total == 0 || f->number > f->total)
        return fail(st, IKEV2_PARSE_FRAGMENT_NUMBER, p, 0);
    f->data = p->body + 4;
    f->len = p->len - 4;
    return ok(st);
}
