/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Building ISAKMP messages (RFC 2408 3) on the shared builder (wire.h):
 * appending payloads, chaining them and fixing lengths is wire.c's; what
 * is here is the ISAKMP header, each payload's body and the HASH slot.
 */
#include <errno.h>
#include <stdint.h>

#include "ikev1-payload.h"
#include "wire.h"

void ikev1_builder_init(struct ikev1_builder *b, uint8_t *buf, size_t cap) {
    wire_builder_init(&b->w, buf, cap);
    b->hash_offset = SIZE_MAX;
}

static int set_error(struct ikev1_builder *b, int error) {
    return wire_builder_set_error(&b->w, error);
}

static uint8_t *reserve(struct ikev1_builder *b, size_t n) {
    return wire_builder_reserve(&b->w, n);
}

int ikev1_build_header(struct ikev1_builder *b, const struct ikev1_header *hdr) {
    uint8_t *h = wire_builder_header(&b->w);
    if (!h)
        return b->w.error;
    memcpy(h, hdr->icookie, IKEV1_COOKIE_LEN);
    memcpy(h + 8, hdr->rcookie, IKEV1_COOKIE_LEN);
    h[17] = IKEV1_MAJOR_VERSION << 4 | IKEV1_MINOR_VERSION;
    h[18] = hdr->exchange;
    h[19] = hdr->flags;
    wire_put32(h + 20, hdr->message_id);
    return 0;
}

int ikev1_build_begin(struct ikev1_builder *b, uint8_t type) {
    /* Proposal and transform exist only inside an SA payload. */
    if (type == IKEV1_PAYLOAD_PROPOSAL || type == IKEV1_PAYLOAD_TRANSFORM)
        return set_error(b, -EINVAL);
    return wire_builder_begin(&b->w, type);
}

int ikev1_build_append(struct ikev1_builder *b, const void *data, size_t len) {
    return wire_builder_append(&b->w, data, len);
}

int ikev1_build_end(struct ikev1_builder *b) {
    return wire_builder_end(&b->w);
}

int ikev1_builder_finish(struct ikev1_builder *b, size_t *len) {
    return wire_builder_finish(&b->w, len);
}

uint8_t ikev1_builder_first_type(const struct ikev1_builder *b) {
    return b->w.first_type;
}

int ikev1_build_payload(struct ikev1_builder *b, uint8_t type, const void *body, size_t len) {
    ikev1_build_begin(b, type);
    ikev1_build_append(b, body, len);
    return ikev1_build_end(b);
}

struct ikev1_attribute ikev1_attribute_from_number(uint16_t type, uint32_t v, uint8_t storage[4]) {
    if (v <= UINT16_MAX) {
        wire_put16(storage, (uint16_t)v);
        return (struct ikev1_attribute) {
            .type = type, .tv = true, .tv_value = (uint16_t)v, .value = storage, .len = 2,
        };
    }
    wire_put32(storage, v);
    return (struct ikev1_attribute) { .type = type, .value = storage, .len = 4 };
}

/* Attributes as given: TV with its 2-byte value, or TLV. */
static int append_attributes(struct ikev1_builder *b, const struct ikev1_attribute *attrs, size_t n) {
    if (n > 0 && !attrs)
        return set_error(b, -EINVAL);
    for (size_t i = 0; i < n; i++) {
        const struct ikev1_attribute *a = &attrs[i];
        if (a->type & IKEV1_ATTRIBUTE_TV)
            return set_error(b, -EINVAL);
        uint8_t *w = reserve(b, 4);
        if (!w)
            return b->w.error;
        if (a->tv) {
            wire_put16(w, a->type | IKEV1_ATTRIBUTE_TV);
            wire_put16(w + 2, a->tv_value);
        } else {
            wire_put16(w, a->type);
            wire_put16(w + 2, a->len);
            ikev1_build_append(b, a->value, a->len);
        }
    }
    return b->w.error;
}

/* One proposal substructure with its transforms; start is where it begins. */
static int append_proposal(struct ikev1_builder *b, bool last, uint8_t number, uint8_t protocol,
                           const void *spi, uint8_t spi_size,
                           const struct ikev1_build_transform *transforms, size_t n_transforms) {
    if (b->w.error)
        return b->w.error;
    if (spi_size > IKEV1_MAX_PROPOSAL_SPI || (spi_size > 0 && !spi) || n_transforms == 0 ||
        n_transforms > UINT8_MAX || !transforms)
        return set_error(b, -EINVAL);

    size_t start = b->w.len;
    uint8_t *h = reserve(b, 8);
    if (!h)
        return b->w.error;
    h[0] = last ? IKEV1_PROPOSAL_LAST : IKEV1_PROPOSAL_MORE;
    h[4] = number;
    h[5] = protocol;
    h[6] = spi_size;
    h[7] = (uint8_t)n_transforms;
    uint8_t *s = reserve(b, spi_size);
    if (!s)
        return b->w.error;
    if (spi_size)
        memcpy(s, spi, spi_size);

    for (size_t i = 0; i < n_transforms; i++) {
        size_t tstart = b->w.len;
        uint8_t *w = reserve(b, 8);
        if (!w)
            return b->w.error;
        w[0] = i + 1 == n_transforms ? IKEV1_TRANSFORM_LAST : IKEV1_TRANSFORM_MORE;
        w[4] = transforms[i].number;
        w[5] = transforms[i].id;
        if (append_attributes(b, transforms[i].attrs, transforms[i].n_attrs) < 0)
            return b->w.error;
        if (wire_builder_fix_length(&b->w, tstart) < 0)
            return b->w.error;
    }

    return wire_builder_fix_length(&b->w, start);
}

static void append_sa_header(struct ikev1_builder *b, uint32_t doi, uint32_t situation) {
    uint8_t h[8];
    wire_put32(h, doi);
    wire_put32(h + 4, situation);
    ikev1_build_append(b, h, sizeof(h));
}

int ikev1_build_sa(struct ikev1_builder *b, uint8_t proposal_number, uint8_t protocol,
                   const void *spi, uint8_t spi_size,
                   const struct ikev1_build_transform *transforms, size_t n_transforms) {
    ikev1_build_begin(b, IKEV1_PAYLOAD_SA);
    append_sa_header(b, IKEV1_DOI_IPSEC, IKEV1_SIT_IDENTITY_ONLY);
    append_proposal(b, true, proposal_number, protocol, spi, spi_size, transforms, n_transforms);
    return ikev1_build_end(b);
}

int ikev1_build_sa_copy(struct ikev1_builder *b, const struct ikev1_sa *sa) {
    if (sa->n_proposals == 0 || sa->n_proposals > IKEV1_MAX_PROPOSALS)
        return set_error(b, -EINVAL);
    ikev1_build_begin(b, IKEV1_PAYLOAD_SA);
    append_sa_header(b, sa->doi, sa->situation);
    for (size_t i = 0; i < sa->n_proposals; i++) {
        const struct ikev1_proposal *pr = &sa->proposals[i];
        struct ikev1_build_transform t[IKEV1_MAX_TRANSFORMS];

        if (pr->first_transform > sa->n_transforms ||
            pr->n_transforms > sa->n_transforms - pr->first_transform)
            return set_error(b, -EINVAL);
        for (size_t j = 0; j < pr->n_transforms; j++) {
            const struct ikev1_transform *tr = &sa->transforms[pr->first_transform + j];
            if (tr->first_attribute > sa->n_attributes ||
                tr->n_attributes > sa->n_attributes - tr->first_attribute)
                return set_error(b, -EINVAL);
            t[j] = (struct ikev1_build_transform) {
                .number = tr->number, .id = tr->id,
                .attrs = &sa->attributes[tr->first_attribute], .n_attrs = tr->n_attributes,
            };
        }
        append_proposal(b, i + 1 == sa->n_proposals, pr->number, pr->protocol, pr->spi,
                        pr->spi_size, t, pr->n_transforms);
    }
    return ikev1_build_end(b);
}

/* Payloads whose body is one non-empty value: KE, HASH, SIG, VID, NAT-D. */
static int build_data(struct ikev1_builder *b, uint8_t type, const void *data, size_t len) {
    if (len == 0)
        return set_error(b, -EINVAL);
    return ikev1_build_payload(b, type, data, len);
}

int ikev1_build_ke(struct ikev1_builder *b, const void *data, size_t len) {
    return build_data(b, IKEV1_PAYLOAD_KE, data, len);
}

int ikev1_build_id(struct ikev1_builder *b, uint8_t id_type, uint8_t protocol, uint16_t port,
                   const void *data, size_t len) {
    uint8_t prefix[4] = { id_type, protocol, port >> 8, port & 0xff };

    ikev1_build_begin(b, IKEV1_PAYLOAD_ID);
    ikev1_build_append(b, prefix, sizeof(prefix));
    ikev1_build_append(b, data, len);
    return ikev1_build_end(b);
}

int ikev1_build_hash(struct ikev1_builder *b, const void *data, size_t len) {
    return build_data(b, IKEV1_PAYLOAD_HASH, data, len);
}

int ikev1_build_hash_reserve(struct ikev1_builder *b, size_t len) {
    if (b->w.error)
        return b->w.error;
    /* RFC 2409 5.5, 5.7, mode-cfg 3.3: the HASH comes first, right after
     * the header; what it covers follows it. */
    size_t first = b->w.header_offset == SIZE_MAX ? 0 : IKEV1_HEADER_LEN;
    if (len == 0 || b->hash_offset != SIZE_MAX || b->w.len != first || b->w.closed)
        return set_error(b, -EINVAL);
    size_t start = b->w.len;
    ikev1_build_begin(b, IKEV1_PAYLOAD_HASH);
    if (!reserve(b, len))
        return b->w.error;
    if (ikev1_build_end(b) < 0)
        return b->w.error;
    b->hash_offset = start;
    return 0;
}

int ikev1_builder_hash_span(const struct ikev1_builder *b, struct ikev1_hash_slot *slot) {
    *slot = (struct ikev1_hash_slot) { 0 };
    if (b->w.error)
        return b->w.error;
    if (b->hash_offset == SIZE_MAX)
        return -ENOENT;
    if (b->w.payload_start != SIZE_MAX)
        return -EINVAL;
    size_t hlen = wire_get16(b->w.buf + b->hash_offset + 2);
    slot->hash_offset = b->hash_offset + IKEV1_PAYLOAD_HEADER_LEN;
    slot->hash_len = hlen - IKEV1_PAYLOAD_HEADER_LEN;
    slot->covered_offset = b->hash_offset + hlen;
    slot->covered_len = b->w.len - slot->covered_offset;
    return 0;
}

int ikev1_build_sig(struct ikev1_builder *b, const void *data, size_t len) {
    return build_data(b, IKEV1_PAYLOAD_SIG, data, len);
}

int ikev1_build_nonce(struct ikev1_builder *b, const void *data, size_t len) {
    if (len < IKEV1_NONCE_MIN || len > IKEV1_NONCE_MAX)
        return set_error(b, -EINVAL);
    return ikev1_build_payload(b, IKEV1_PAYLOAD_NONCE, data, len);
}

int ikev1_build_notify(struct ikev1_builder *b, uint32_t doi, uint8_t protocol, const void *spi,
                       uint8_t spi_size, uint16_t type, const void *data, size_t len) {
    uint8_t prefix[8];

    if (spi_size > IKEV1_MAX_PROPOSAL_SPI)
        return set_error(b, -EINVAL);
    wire_put32(prefix, doi);
    prefix[4] = protocol;
    prefix[5] = spi_size;
    wire_put16(prefix + 6, type);
    ikev1_build_begin(b, IKEV1_PAYLOAD_NOTIFY);
    ikev1_build_append(b, prefix, sizeof(prefix));
    ikev1_build_append(b, spi, spi_size);
    ikev1_build_append(b, data, len);
    return ikev1_build_end(b);
}

int ikev1_build_delete(struct ikev1_builder *b, uint32_t doi, uint8_t protocol, uint8_t spi_size,
                       const void *spis, uint16_t n_spis) {
    uint8_t prefix[8];

    if (spi_size == 0 || spi_size > IKEV1_MAX_PROPOSAL_SPI || n_spis == 0)
        return set_error(b, -EINVAL);
    wire_put32(prefix, doi);
    prefix[4] = protocol;
    prefix[5] = spi_size;
    wire_put16(prefix + 6, n_spis);
    ikev1_build_begin(b, IKEV1_PAYLOAD_DELETE);
    ikev1_build_append(b, prefix, sizeof(prefix));
    ikev1_build_append(b, spis, (size_t)spi_size * n_spis);
    return ikev1_build_end(b);
}

int ikev1_build_vendor_id(struct ikev1_builder *b, const void *data, size_t len) {
    return build_data(b, IKEV1_PAYLOAD_VENDOR_ID, data, len);
}

int ikev1_build_cfg(struct ikev1_builder *b, uint8_t cfg_type, uint16_t identifier,
                    const struct ikev1_attribute *attrs, size_t n) {
    uint8_t prefix[4] = { cfg_type, 0, identifier >> 8, identifier & 0xff };

    ikev1_build_begin(b, IKEV1_PAYLOAD_ATTRIBUTE);
    ikev1_build_append(b, prefix, sizeof(prefix));
    append_attributes(b, attrs, n);
    return ikev1_build_end(b);
}

int ikev1_build_nat_d(struct ikev1_builder *b, uint8_t payload_type, const void *hash, size_t len) {
    if (payload_type != IKEV1_PAYLOAD_NAT_D && payload_type != IKEV1_PAYLOAD_NAT_D_DRAFT)
        return set_error(b, -EINVAL);
    return build_data(b, payload_type, hash, len);
}

int ikev1_build_nat_oa(struct ikev1_builder *b, uint8_t payload_type, const void *addr, size_t len) {
    if ((payload_type != IKEV1_PAYLOAD_NAT_OA && payload_type != IKEV1_PAYLOAD_NAT_OA_DRAFT) ||
        (len != 4 && len != 16))
        return set_error(b, -EINVAL);
    uint8_t prefix[4] = { len == 4 ? IKEV1_ID_IPV4_ADDR : IKEV1_ID_IPV6_ADDR, 0, 0, 0 };
    ikev1_build_begin(b, payload_type);
    ikev1_build_append(b, prefix, sizeof(prefix));
    ikev1_build_append(b, addr, len);
    return ikev1_build_end(b);
}

int ikev1_build_cert(struct ikev1_builder *b, uint8_t payload_type, uint8_t encoding,
                     const void *data, size_t len) {
    if ((payload_type != IKEV1_PAYLOAD_CERT && payload_type != IKEV1_PAYLOAD_CR) ||
        (payload_type == IKEV1_PAYLOAD_CERT && len == 0))
        return set_error(b, -EINVAL);
    ikev1_build_begin(b, payload_type);
    ikev1_build_append(b, &encoding, 1);
    ikev1_build_append(b, data, len);
    return ikev1_build_end(b);
}

int ikev1_build_encrypted(struct ikev1_builder *b, uint8_t first_type, size_t len, uint8_t **body) {
    *body = NULL;
    if (b->w.error)
        return b->w.error;
    /* After a header with the E flag and nothing else. */
    if (b->w.header_offset == SIZE_MAX || b->w.len != IKEV1_HEADER_LEN || b->w.closed || len == 0 ||
        !(b->w.buf[b->w.header_offset + 19] & IKEV1_FLAG_ENCRYPTION) || first_type == IKEV1_PAYLOAD_NONE)
        return set_error(b, -EINVAL);
    uint8_t *p = reserve(b, len);
    if (!p)
        return b->w.error;
    b->w.buf[b->w.header_offset + 16] = first_type;
    b->w.first_type = first_type;
    b->w.closed = true;
    *body = p;
    return 0;
}

size_t ikev1_lifetime_seconds_data(uint8_t out[IKEV1_LIFETIME_DATA_LEN], uint16_t life_type_attr,
                                   uint16_t life_duration_attr, uint32_t seconds)
{
    wire_put16(out, IKEV1_ATTRIBUTE_TV | life_type_attr);
    wire_put16(out + 2, IKEV1_LIFE_SECONDS);
    wire_put16(out + 4, life_duration_attr);
    wire_put16(out + 6, 4);
    wire_put32(out + 8, seconds);
    return IKEV1_LIFETIME_DATA_LEN;
}
