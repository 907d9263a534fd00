/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Building IKEv2 messages (RFC 7296 3) on the shared builder (wire.h):
 * appending payloads, chaining them and fixing lengths is wire.c's; what
 * is here is the IKE header and each payload's body.
 */
#include <errno.h>
#include <stdint.h>

#include "ikev2-payload.h"
#include "ikev2-wire.h"

void ikev2_builder_init(struct ikev2_builder *b, uint8_t *buf, size_t cap) {
    wire_builder_init(&b->w, buf, cap);
}

static int set_error(struct ikev2_builder *b, int error) {
    return wire_builder_set_error(&b->w, error);
}

static uint8_t *reserve(struct ikev2_builder *b, size_t n) {
    return wire_builder_reserve(&b->w, n);
}

int ikev2_build_header(struct ikev2_builder *b, const struct ikev2_header *hdr) {
    uint8_t *h = wire_builder_header(&b->w);
    if (!h)
        return b->w.error;
    ikev2_put64(h, hdr->ispi);
    ikev2_put64(h + 8, hdr->rspi);
    h[17] = IKEV2_MAJOR_VERSION << 4 | IKEV2_MINOR_VERSION;
    h[18] = hdr->exchange;
    h[19] = hdr->flags;
    ikev2_put32(h + 20, hdr->message_id);
    return 0;
}

int ikev2_build_begin(struct ikev2_builder *b, uint8_t type) {
    return wire_builder_begin(&b->w, type);
}

int ikev2_build_append(struct ikev2_builder *b, const void *data, size_t len) {
    return wire_builder_append(&b->w, data, len);
}

int ikev2_build_end(struct ikev2_builder *b) {
    return wire_builder_end(&b->w);
}

int ikev2_builder_finish(struct ikev2_builder *b, size_t *len) {
    return wire_builder_finish(&b->w, len);
}

uint8_t ikev2_builder_first_type(const struct ikev2_builder *b) {
    return b->w.first_type;
}

int ikev2_build_payload(struct ikev2_builder *b, uint8_t type, bool critical,
                        const void *body, size_t len) {
    ikev2_build_begin(b, type);
    if (!b->w.error && critical)
        b->w.buf[b->w.payload_start + 1] = IKEV2_PAYLOAD_CRITICAL;
    ikev2_build_append(b, body, len);
    return ikev2_build_end(b);
}

/* A fixed 4-byte prefix then data: KE, ID, AUTH, Notify without SPI... */
static int build_prefixed(struct ikev2_builder *b, uint8_t type, const uint8_t prefix[4],
                          const void *data, size_t len) {
    ikev2_build_begin(b, type);
    ikev2_build_append(b, prefix, 4);
    ikev2_build_append(b, data, len);
    return ikev2_build_end(b);
}

static int append_proposal(struct ikev2_builder *b, const struct ikev2_proposal *pr,
                           const struct ikev2_transform *transforms, bool last) {
    if (b->w.error)
        return b->w.error;
    if (pr->spi_size > IKEV2_MAX_PROPOSAL_SPI || pr->n_transforms > UINT8_MAX)
        return set_error(b, -EINVAL);

    size_t start = b->w.len;
    uint8_t *h = reserve(b, 8 + pr->spi_size);
    if (!h)
        return b->w.error;
    h[0] = last ? IKEV2_PROPOSAL_LAST : IKEV2_PROPOSAL_MORE;
    h[4] = pr->number;
    h[5] = pr->protocol;
    h[6] = pr->spi_size;
    h[7] = (uint8_t)pr->n_transforms;
    memcpy(h + 8, pr->spi, pr->spi_size);

    for (size_t i = 0; i < pr->n_transforms; i++) {
        const struct ikev2_transform *t = &transforms[i];
        size_t tlen = t->key_length ? 12 : 8;
        uint8_t *w = reserve(b, tlen);
        if (!w)
            return b->w.error;
        w[0] = i + 1 == pr->n_transforms ? IKEV2_TRANSFORM_LAST : IKEV2_TRANSFORM_MORE;
        ikev2_put16(w + 2, (uint16_t)tlen);
        w[4] = t->type;
        ikev2_put16(w + 6, t->id);
        if (t->key_length) {
            ikev2_put16(w + 8, IKEV2_ATTRIBUTE_TV | IKEV2_ATTR_KEY_LENGTH);
            ikev2_put16(w + 10, t->key_length);
        }
    }

    return wire_builder_fix_length(&b->w, start);
}

int ikev2_build_sa_proposal(struct ikev2_builder *b, const struct ikev2_proposal *pr,
                            const struct ikev2_transform *transforms) {
    ikev2_build_begin(b, IKEV2_PAYLOAD_SA);
    append_proposal(b, pr, transforms, true);
    return ikev2_build_end(b);
}

int ikev2_build_sa(struct ikev2_builder *b, const struct ikev2_sa *sa) {
    if (sa->n_proposals == 0 || sa->n_proposals > IKEV2_MAX_PROPOSALS)
        return set_error(b, -EINVAL);
    ikev2_build_begin(b, IKEV2_PAYLOAD_SA);
    for (size_t i = 0; i < sa->n_proposals; i++) {
        const struct ikev2_proposal *pr = &sa->proposals[i];
        if (pr->first_transform > sa->n_transforms ||
            pr->n_transforms > sa->n_transforms - pr->first_transform)
            return set_error(b, -EINVAL);
        append_proposal(b, pr, ikev2_proposal_transforms(sa, pr), i + 1 == sa->n_proposals);
    }
    return ikev2_build_end(b);
}

int ikev2_build_ke(struct ikev2_builder *b, uint16_t group, const void *data, size_t len) {
    uint8_t prefix[4] = { group >> 8, group & 0xff, 0, 0 };
    return build_prefixed(b, IKEV2_PAYLOAD_KE, prefix, data, len);
}

int ikev2_build_nonce(struct ikev2_builder *b, const void *data, size_t len) {
    if (len < IKEV2_NONCE_MIN || len > IKEV2_NONCE_MAX)
        return set_error(b, -EINVAL);
    return ikev2_build_payload(b, IKEV2_PAYLOAD_NONCE, false, data, len);
}

int ikev2_build_notify(struct ikev2_builder *b, uint8_t protocol, const void *spi, uint8_t spi_size,
                       uint16_t type, const void *data, size_t len) {
    uint8_t prefix[4] = { protocol, spi_size, type >> 8, type & 0xff };

    if (spi_size > IKEV2_MAX_PROPOSAL_SPI)
        return set_error(b, -EINVAL);
    ikev2_build_begin(b, IKEV2_PAYLOAD_NOTIFY);
    ikev2_build_append(b, prefix, 4);
    ikev2_build_append(b, spi, spi_size);
    ikev2_build_append(b, data, len);
    return ikev2_build_end(b);
}

int ikev2_build_id(struct ikev2_builder *b, uint8_t payload_type, uint8_t id_type,
                   const void *data, size_t len) {
    uint8_t prefix[4] = { id_type, 0, 0, 0 };

    if (payload_type != IKEV2_PAYLOAD_IDI && payload_type != IKEV2_PAYLOAD_IDR)
        return set_error(b, -EINVAL);
    return build_prefixed(b, payload_type, prefix, data, len);
}

int ikev2_build_auth(struct ikev2_builder *b, uint8_t method, const void *data, size_t len) {
    uint8_t prefix[4] = { method, 0, 0, 0 };
    return build_prefixed(b, IKEV2_PAYLOAD_AUTH, prefix, data, len);
}

int ikev2_build_ts(struct ikev2_builder *b, uint8_t payload_type,
                   const struct ikev2_ts_selector *sel, size_t n) {
    uint8_t prefix[4] = { (uint8_t)n, 0, 0, 0 };

    if ((payload_type != IKEV2_PAYLOAD_TSI && payload_type != IKEV2_PAYLOAD_TSR) || n > UINT8_MAX)
        return set_error(b, -EINVAL);
    ikev2_build_begin(b, payload_type);
    ikev2_build_append(b, prefix, 4);
    for (size_t i = 0; i < n; i++) {
        size_t addr_len;
        if (sel[i].type == IKEV2_TS_IPV4_ADDR_RANGE)
            addr_len = 4;
        else if (sel[i].type == IKEV2_TS_IPV6_ADDR_RANGE)
            addr_len = 16;
        else
            return set_error(b, -EINVAL);

        uint8_t *s = reserve(b, 8 + 2 * addr_len);
        if (!s)
            return b->w.error;
        s[0] = sel[i].type;
        s[1] = sel[i].ip_protocol;
        ikev2_put16(s + 2, (uint16_t)(8 + 2 * addr_len));
        ikev2_put16(s + 4, sel[i].start_port);
        ikev2_put16(s + 6, sel[i].end_port);
        memcpy(s + 8, sel[i].start_addr, addr_len);
        memcpy(s + 8 + addr_len, sel[i].end_addr, addr_len);
    }
    return ikev2_build_end(b);
}

int ikev2_build_cp(struct ikev2_builder *b, uint8_t cfg_type,
                   const struct ikev2_cp_attribute *attrs, size_t n) {
    uint8_t prefix[4] = { cfg_type, 0, 0, 0 };

    ikev2_build_begin(b, IKEV2_PAYLOAD_CP);
    ikev2_build_append(b, prefix, 4);
    for (size_t i = 0; i < n; i++) {
        uint8_t *a = reserve(b, 4);
        if (!a)
            return b->w.error;
        ikev2_put16(a, attrs[i].type & IKEV2_CP_ATTRIBUTE_TYPE_MASK);
        ikev2_put16(a + 2, attrs[i].len);
        ikev2_build_append(b, attrs[i].value, attrs[i].len);
    }
    return ikev2_build_end(b);
}

int ikev2_build_delete(struct ikev2_builder *b, uint8_t protocol, uint8_t spi_size,
                       const void *spis, uint16_t n_spis) {
    uint8_t prefix[4] = { protocol, spi_size, n_spis >> 8, n_spis & 0xff };
    return build_prefixed(b, IKEV2_PAYLOAD_DELETE, prefix, spis, (size_t)spi_size * n_spis);
}

int ikev2_build_vendor_id(struct ikev2_builder *b, const void *data, size_t len) {
    if (len == 0)
        return set_error(b, -EINVAL);
    return ikev2_build_payload(b, IKEV2_PAYLOAD_VENDOR_ID, false, data, len);
}

int ikev2_build_eap(struct ikev2_builder *b, uint8_t code, uint8_t id, uint8_t type,
                    const void *data, size_t len) {
    bool typed = code == IKEV2_EAP_REQUEST || code == IKEV2_EAP_RESPONSE;
    size_t elen = 4 + (typed ? 1 : 0) + len;

    /* Success and Failure are the bare header (RFC 3748 4.2). */
    if (elen > UINT16_MAX || ((code == IKEV2_EAP_SUCCESS || code == IKEV2_EAP_FAILURE) && len > 0))
        return set_error(b, -EINVAL);

    uint8_t head[5] = { code, id, elen >> 8, elen & 0xff, type };
    ikev2_build_begin(b, IKEV2_PAYLOAD_EAP);
    ikev2_build_append(b, head, typed ? 5 : 4);
    ikev2_build_append(b, data, len);
    return ikev2_build_end(b);
}

int ikev2_build_cert(struct ikev2_builder *b, uint8_t payload_type, uint8_t encoding,
                     const void *data, size_t len) {
    if (payload_type != IKEV2_PAYLOAD_CERT && payload_type != IKEV2_PAYLOAD_CERTREQ)
        return set_error(b, -EINVAL);
    ikev2_build_begin(b, payload_type);
    ikev2_build_append(b, &encoding, 1);
    ikev2_build_append(b, data, len);
    return ikev2_build_end(b);
}

/* SK and SKF: the last payload, its Next Payload naming the first inner one. */
static int build_encrypted(struct ikev2_builder *b, uint8_t type, uint8_t first_inner_type,
                           const uint8_t *prefix, size_t prefix_len, size_t body_len,
                           uint8_t **body) {
    *body = NULL;
    ikev2_build_begin(b, type);
    ikev2_build_append(b, prefix, prefix_len);
    if (b->w.error)
        return b->w.error;

    uint8_t *p = reserve(b, body_len);
    if (!p)
        return b->w.error;
    size_t start = b->w.payload_start;
    int r = ikev2_build_end(b);
    if (r < 0)
        return r;
    b->w.buf[start] = first_inner_type;
    b->w.closed = true;
    *body = p;
    return 0;
}

int ikev2_build_sk(struct ikev2_builder *b, uint8_t first_inner_type, size_t body_len, uint8_t **body) {
    return build_encrypted(b, IKEV2_PAYLOAD_SK, first_inner_type, NULL, 0, body_len, body);
}

int ikev2_build_skf(struct ikev2_builder *b, uint8_t first_inner_type, uint16_t number,
                    uint16_t total, size_t body_len, uint8_t **body) {
    uint8_t prefix[4] = { number >> 8, number & 0xff, total >> 8, total & 0xff };

    /* RFC 7383 2.5: only the first fragment names the first inner payload. */
    if (number == 0 || total == 0 || number > total || (number != 1 && first_inner_type != 0)) {
        *body = NULL;
        return set_error(b, -EINVAL);
    }
    return build_encrypted(b, IKEV2_PAYLOAD_SKF, first_inner_type, prefix, sizeof(prefix),
                           body_len, body);
}
