/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 parsing: a real strongSwan IKE_SA_INIT request decoded field by
 * field, then a table of malformed messages, each of which must fail with
 * the error, payload and offset expected.
 */
#include <errno.h>

#include "ikev2-payload.h"
#include "raw.h"
#include "strongswan-exchange.h"
#include "strongswan-ike-sa-init.h"
#include "testing.h"

/* Decodes p with the decoder for its type (static storage: the SA is big). */
static int decode_any(const struct ikev2_payload *p, struct ikev2_parse_status *st) {
    static struct ikev2_sa sa;
    static struct ikev2_ts ts;
    static struct ikev2_cp cp;
    struct ikev2_ke ke;
    struct ikev2_nonce no;
    struct ikev2_id id;
    struct ikev2_auth auth;
    struct ikev2_notify n;
    struct ikev2_delete d;
    struct ikev2_vendor_id v;
    struct ikev2_eap e;
    struct ikev2_cert c;
    struct ikev2_skf f;

    switch (p->type) {
    case IKEV2_PAYLOAD_SA:          return ikev2_sa_decode(p, &sa, st);
    case IKEV2_PAYLOAD_KE:          return ikev2_ke_decode(p, &ke, st);
    case IKEV2_PAYLOAD_IDI:
    case IKEV2_PAYLOAD_IDR:         return ikev2_id_decode(p, &id, st);
    case IKEV2_PAYLOAD_CERT:
    case IKEV2_PAYLOAD_CERTREQ:     return ikev2_cert_decode(p, &c, st);
    case IKEV2_PAYLOAD_AUTH:        return ikev2_auth_decode(p, &auth, st);
    case IKEV2_PAYLOAD_NONCE:       return ikev2_nonce_decode(p, &no, st);
    case IKEV2_PAYLOAD_NOTIFY:      return ikev2_notify_decode(p, &n, st);
    case IKEV2_PAYLOAD_DELETE:      return ikev2_delete_decode(p, &d, st);
    case IKEV2_PAYLOAD_VENDOR_ID:   return ikev2_vendor_id_decode(p, &v, st);
    case IKEV2_PAYLOAD_TSI:
    case IKEV2_PAYLOAD_TSR:         return ikev2_ts_decode(p, &ts, st);
    case IKEV2_PAYLOAD_CP:          return ikev2_cp_decode(p, &cp, st);
    case IKEV2_PAYLOAD_EAP:         return ikev2_eap_decode(p, &e, st);
    case IKEV2_PAYLOAD_SKF:         return ikev2_skf_decode(p, &f, st);
    default:                        return 0;
    }
}

static void test_strongswan_ike_sa_init(void) {
    static struct ikev2_message m;
    static struct ikev2_sa sa;
    struct ikev2_parse_status st;

    CHECK_INT_EQ(ikev2_message_parse(strongswan_ike_sa_init, sizeof(strongswan_ike_sa_init), &m, &st), 0);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_OK);
    CHECK(m.header.ispi == 0x6d2ee5828c9449bfULL);
    CHECK(m.header.rspi == 0);
    CHECK_INT_EQ(m.header.next_payload, IKEV2_PAYLOAD_SA);
    CHECK_INT_EQ(m.header.major_version, 2);
    CHECK_INT_EQ(m.header.minor_version, 0);
    CHECK_INT_EQ(m.header.exchange, IKEV2_EXCHANGE_IKE_SA_INIT);
    CHECK_INT_EQ(m.header.flags, IKEV2_FLAG_INITIATOR);
    CHECK_INT_EQ(m.header.message_id, 0);
    CHECK_INT_EQ(m.header.length, 940);
    CHECK(m.sk == NULL);
    CHECK_INT_EQ(m.payloads.n_skipped, 0);

    static const struct { uint8_t type; size_t offset, len; } expect[] = {
        { IKEV2_PAYLOAD_SA, 28, 744 },
        { IKEV2_PAYLOAD_KE, 776, 36 },
        { IKEV2_PAYLOAD_NONCE, 816, 32 },
        { IKEV2_PAYLOAD_NOTIFY, 852, 24 },
        { IKEV2_PAYLOAD_NOTIFY, 880, 24 },
        { IKEV2_PAYLOAD_NOTIFY, 908, 4 },
        { IKEV2_PAYLOAD_NOTIFY, 916, 12 },
        { IKEV2_PAYLOAD_NOTIFY, 932, 4 },
    };
    CHECK_INT_EQ(m.payloads.n, 8);
    for (size_t i = 0; i < 8 && i < m.payloads.n; i++) {
        CHECK_INT_EQ(m.payloads.p[i].type, expect[i].type);
        CHECK_INT_EQ(m.payloads.p[i].offset, expect[i].offset);
        CHECK_INT_EQ(m.payloads.p[i].len, expect[i].len);
        CHECK(m.payloads.p[i].body == strongswan_ike_sa_init + expect[i].offset + 4);
        CHECK(!m.payloads.p[i].critical);
        CHECK_INT_EQ(m.payloads.p[i].next_type, i + 1 < 8 ? expect[i + 1].type : 0);
    }

    /* SA: two IKE proposals of 38 transforms each, in wire order. */
    const struct ikev2_payload *p = ikev2_payload_find(&m.payloads, IKEV2_PAYLOAD_SA);
    CHECK(p == &m.payloads.p[0]);
    CHECK_INT_EQ(ikev2_sa_decode(p, &sa, &st), 0);
    CHECK_INT_EQ(sa.n_proposals, 2);
    CHECK_INT_EQ(sa.n_transforms, 76);
    for (size_t i = 0; i < 2; i++) {
        CHECK_INT_EQ(sa.proposals[i].number, i + 1);
        CHECK_INT_EQ(sa.proposals[i].protocol, IKEV2_PROTOCOL_IKE);
        CHECK_INT_EQ(sa.proposals[i].spi_size, 0);
        CHECK_INT_EQ(sa.proposals[i].n_transforms, 38);
        CHECK_INT_EQ(sa.proposals[i].first_transform, 38 * i);
    }
    const struct ikev2_transform *t = ikev2_proposal_transforms(&sa, &sa.proposals[0]);
    CHECK_INT_EQ(t[0].type, IKEV2_TRANSFORM_ENCR);
    CHECK_INT_EQ(t[0].id, IKEV2_ENCR_AES_CBC);
    CHECK_INT_EQ(t[0].key_length, 128);
    CHECK_INT_EQ(t[1].key_length, 192);
    CHECK_INT_EQ(t[2].key_length, 256);
    CHECK_INT_EQ(t[3].id, IKEV2_ENCR_AES_CTR);
    CHECK_INT_EQ(t[12].id, IKEV2_ENCR_3DES);
    CHECK_INT_EQ(t[12].key_length, 0);
    CHECK_INT_EQ(t[13].type, IKEV2_TRANSFORM_INTEG);
    CHECK_INT_EQ(t[13].id, IKEV2_INTEG_HMAC_SHA2_256_128);
    CHECK_INT_EQ(t[19].type, IKEV2_TRANSFORM_PRF);
    CHECK_INT_EQ(t[19].id, IKEV2_PRF_HMAC_SHA2_256);
    CHECK_INT_EQ(t[25].type, IKEV2_TRANSFORM_DH);
    CHECK_INT_EQ(t[25].id, IKEV2_DH_CURVE25519);
    CHECK_INT_EQ(t[37].type, IKEV2_TRANSFORM_DH);
    CHECK_INT_EQ(t[37].id, IKEV2_DH_MODP_2048);
    size_t per_type[6] = { 0 };
    for (size_t i = 0; i < 38; i++) {
        CHECK(!t[i].unknown_attribute);
        if (t[i].type < 6)
            per_type[t[i].type]++;
    }
    CHECK_INT_EQ(per_type[IKEV2_TRANSFORM_ENCR], 13);
    CHECK_INT_EQ(per_type[IKEV2_TRANSFORM_INTEG], 6);
    CHECK_INT_EQ(per_type[IKEV2_TRANSFORM_PRF], 6);
    CHECK_INT_EQ(per_type[IKEV2_TRANSFORM_DH], 13);
    t = ikev2_proposal_transforms(&sa, &sa.proposals[1]);
    CHECK_INT_EQ(t[0].id, IKEV2_ENCR_AES_CCM_16);
    CHECK_INT_EQ(t[3].id, IKEV2_ENCR_AES_GCM_16);
    CHECK_INT_EQ(t[6].id, IKEV2_ENCR_CHACHA20_POLY1305);
    CHECK_INT_EQ(t[6].key_length, 0);
    CHECK_INT_EQ(t[19].type, IKEV2_TRANSFORM_PRF);      /* AEAD: no INTEG */

    struct ikev2_ke ke;
    CHECK_INT_EQ(ikev2_ke_decode(&m.payloads.p[1], &ke, &st), 0);
    CHECK_INT_EQ(ke.group, IKEV2_DH_CURVE25519);
    CHECK_INT_EQ(ke.len, 32);
    CHECK(ke.data == strongswan_ike_sa_init + 776 + 8);

    struct ikev2_nonce no;
    CHECK_INT_EQ(ikev2_nonce_decode(&m.payloads.p[2], &no, &st), 0);
    CHECK_INT_EQ(no.len, 32);
    CHECK_INT_EQ(no.data[0], 0xd7);

    static const uint16_t notifies[] = {
        IKEV2_N_NAT_DETECTION_SOURCE_IP, IKEV2_N_NAT_DETECTION_DESTINATION_IP,
        IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, IKEV2_N_SIGNATURE_HASH_ALGORITHMS,
        IKEV2_N_REDIRECT_SUPPORTED,
    };
    static const size_t notify_len[] = { 20, 20, 0, 8, 0 };
    for (size_t i = 0; i < 5; i++) {
        struct ikev2_notify n;
        CHECK_INT_EQ(ikev2_notify_decode(&m.payloads.p[3 + i], &n, &st), 0);
        CHECK_INT_EQ(n.protocol, 0);
        CHECK_INT_EQ(n.spi_size, 0);
        CHECK(n.spi == NULL);
        CHECK_INT_EQ(n.type, notifies[i]);
        CHECK_INT_EQ(n.len, notify_len[i]);
        CHECK(ikev2_notify_find(&m.payloads, notifies[i]) == &m.payloads.p[3 + i]);
    }
    struct ikev2_notify n;
    CHECK_INT_EQ(ikev2_notify_decode(&m.payloads.p[6], &n, &st), 0);
    static const uint8_t hash_algs[] = { 0, 2, 0, 3, 0, 4, 0, 5 };
    CHECK(n.len == 8 && memcmp(n.data, hash_algs, 8) == 0);
    CHECK(ikev2_notify_find(&m.payloads, IKEV2_N_COOKIE) == NULL);
    CHECK_INT_EQ(ikev2_payload_count(&m.payloads, IKEV2_PAYLOAD_NOTIFY), 5);
    CHECK(ikev2_payload_find(&m.payloads, IKEV2_PAYLOAD_SK) == NULL);

    /* The log line charon itself wrote for this message. */
    char line[256];
    int len = ikev2_message_describe(&m.header, &m.payloads, NULL, line, sizeof(line));
    CHECK_STR_EQ(line, "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) "
                       "N(HASH_ALG) N(REDIR_SUP) ]");
    CHECK_INT_EQ(len, strlen(line));

    /* Every proper prefix fails: never a view past the end. */
    for (size_t cut = 0; cut < sizeof(strongswan_ike_sa_init); cut++)
        CHECK(ikev2_message_parse(strongswan_ike_sa_init, cut, &m, &st) == -EBADMSG);
}

/* strongSwan as responder: one proposal chosen; then its peer's IKE_AUTH. */
static void test_strongswan_exchange(void) {
    static struct ikev2_message m, auth;
    static struct ikev2_sa sa;
    struct ikev2_parse_status st;
    char line[256];

    CHECK_INT_EQ(ikev2_message_parse(strongswan_ike_sa_init_response,
                                     sizeof(strongswan_ike_sa_init_response), &m, &st), 0);
    CHECK(m.header.ispi == 0xbdcef131cd8774fcULL);
    CHECK(m.header.rspi == 0x330aea3f27d55621ULL);
    CHECK_INT_EQ(m.header.exchange, IKEV2_EXCHANGE_IKE_SA_INIT);
    CHECK_INT_EQ(m.header.flags, IKEV2_FLAG_RESPONSE);
    CHECK_INT_EQ(m.header.length, 248);
    CHECK_INT_EQ(m.payloads.n, 9);
    ikev2_message_describe(&m.header, &m.payloads, NULL, line, sizeof(line));
    CHECK_STR_EQ(line, "IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) "
                       "N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]");

    CHECK_INT_EQ(ikev2_sa_decode(&m.payloads.p[0], &sa, &st), 0);
    CHECK_INT_EQ(sa.n_proposals, 1);
    CHECK_INT_EQ(sa.proposals[0].number, 1);
    CHECK_INT_EQ(sa.proposals[0].n_transforms, 4);
    static const struct ikev2_transform chosen[] = {
        { IKEV2_TRANSFORM_ENCR, IKEV2_ENCR_AES_CBC, 128, false },
        { IKEV2_TRANSFORM_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0, false },
        { IKEV2_TRANSFORM_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false },
        { IKEV2_TRANSFORM_DH, IKEV2_DH_CURVE25519, 0, false },
    };
    for (size_t i = 0; i < 4; i++) {
        CHECK_INT_EQ(sa.transforms[i].type, chosen[i].type);
        CHECK_INT_EQ(sa.transforms[i].id, chosen[i].id);
        CHECK_INT_EQ(sa.transforms[i].key_length, chosen[i].key_length);
    }
    struct ikev2_ke ke;
    CHECK_INT_EQ(ikev2_ke_decode(&m.payloads.p[1], &ke, &st), 0);
    CHECK_INT_EQ(ke.group, IKEV2_DH_CURVE25519);
    CHECK_INT_EQ(ke.len, 32);
    struct ikev2_nonce no;
    CHECK_INT_EQ(ikev2_nonce_decode(&m.payloads.p[2], &no, &st), 0);
    CHECK_INT_EQ(no.len, 32);
    CHECK(ikev2_notify_find(&m.payloads, IKEV2_N_CHILDLESS_IKEV2_SUPPORTED) == &m.payloads.p[7]);
    CHECK(ikev2_notify_find(&m.payloads, IKEV2_N_MULTIPLE_AUTH_SUPPORTED) == &m.payloads.p[8]);

    CHECK_INT_EQ(ikev2_message_parse(strongswan_ike_auth_request, sizeof(strongswan_ike_auth_request),
                                     &auth, &st), 0);
    CHECK(auth.header.ispi == m.header.ispi);
    CHECK(auth.header.rspi == m.header.rspi);
    CHECK_INT_EQ(auth.header.exchange, IKEV2_EXCHANGE_IKE_AUTH);
    CHECK_INT_EQ(auth.header.flags, IKEV2_FLAG_INITIATOR);
    CHECK_INT_EQ(auth.header.message_id, 1);
    CHECK_INT_EQ(auth.payloads.n, 1);
    CHECK(auth.sk == &auth.payloads.p[0]);
    CHECK_INT_EQ(auth.sk->type, IKEV2_PAYLOAD_SK);
    CHECK_INT_EQ(auth.sk->next_type, IKEV2_PAYLOAD_IDI);
    CHECK_INT_EQ(auth.sk->offset, 28);
    CHECK_INT_EQ(auth.sk->len, 224 - 32);
    /* AES-CBC: a 16-byte IV, whole blocks, a 16-byte SHA-256-128 ICV. */
    CHECK_INT_EQ((auth.sk->len - 16 - 16) % 16, 0);
    ikev2_message_describe(&auth.header, &auth.payloads, NULL, line, sizeof(line));
    CHECK_STR_EQ(line, "IKE_AUTH request 1 [ SK ]");
}

static void test_header(void) {
    struct raw r;
    struct ikev2_header h;
    struct ikev2_message m;
    struct ikev2_parse_status st;
    char why[128];

    raw_header(&r, IKEV2_EXCHANGE_INFORMATIONAL, IKEV2_FLAG_RESPONSE, 7);
    raw_finish(&r);
    CHECK_INT_EQ(ikev2_message_parse(r.b, r.len, &m, &st), 0);
    CHECK_INT_EQ(m.payloads.n, 0);
    CHECK(m.header.ispi == 0x0102030405060708ULL);
    CHECK_INT_EQ(m.header.message_id, 7);
    CHECK_INT_EQ(m.header.flags, IKEV2_FLAG_RESPONSE);

    CHECK_INT_EQ(ikev2_header_parse(r.b, 27, &h, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_TRUNCATED_HEADER);
    CHECK_INT_EQ(ikev2_header_parse(r.b, 0, &h, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_TRUNCATED_HEADER);

    /* Version 3.0 and 1.0: refused, but the header is there to answer with
     * INVALID_MAJOR_VERSION. A higher minor version is fine. */
    r.b[17] = 0x30;
    CHECK_INT_EQ(ikev2_header_parse(r.b, r.len, &h, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_MAJOR_VERSION);
    CHECK_INT_EQ(h.major_version, 3);
    CHECK_INT_EQ(h.message_id, 7);
    r.b[17] = 0x10;
    CHECK_INT_EQ(ikev2_message_parse(r.b, r.len, &m, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_MAJOR_VERSION);
    r.b[17] = 0x21;
    CHECK_INT_EQ(ikev2_header_parse(r.b, r.len, &h, &st), 0);
    CHECK_INT_EQ(h.minor_version, 1);
    r.b[17] = 0x20;

    /* The length field must be the datagram's. */
    raw_set32(&r, 24, 29);
    CHECK_INT_EQ(ikev2_header_parse(r.b, r.len, &h, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_LENGTH_MISMATCH);
    raw_set32(&r, 24, 27);
    CHECK_INT_EQ(ikev2_header_parse(r.b, r.len, &h, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_LENGTH_MISMATCH);
    raw_set32(&r, 24, 0xffffffff);
    CHECK_INT_EQ(ikev2_header_parse(r.b, r.len, &h, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_LENGTH_MISMATCH);
    ikev2_parse_status_format(&st, why, sizeof(why));
    CHECK_STR_EQ(why, "header length does not match the datagram at offset 24");
}

/* ---- The malformed-message table ----------------------------------------- */

static const uint8_t nonce32[32] = { 1, 2, 3 };

static void sa_header(struct raw *r, size_t *sa) {
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    *sa = raw_begin(r, IKEV2_PAYLOAD_SA, 0);
}

/* A proposal with the given fields; transform bytes follow from the caller. */
static size_t proposal(struct raw *r, uint8_t last, uint8_t number, uint8_t protocol,
                       uint8_t spi_size, uint8_t n_transforms) {
    size_t start = r->len;
    raw_put8(r, last);
    raw_put8(r, 0);
    raw_put16(r, 0);
    raw_put8(r, number);
    raw_put8(r, protocol);
    raw_put8(r, spi_size);
    raw_put8(r, n_transforms);
    raw_fill(r, 0xaa, spi_size);
    return start;
}

static void transform(struct raw *r, uint8_t last, uint8_t type, uint16_t id, int key_length) {
    raw_put8(r, last);
    raw_put8(r, 0);
    raw_put16(r, key_length >= 0 ? 12 : 8);
    raw_put8(r, type);
    raw_put8(r, 0);
    raw_put16(r, id);
    if (key_length >= 0) {
        raw_put16(r, 0x800e);
        raw_put16(r, (uint16_t)key_length);
    }
}

static void end_proposal(struct raw *r, size_t start) {
    raw_set16(r, start + 2, (uint16_t)(r->len - start));
}

/* One good IKE proposal: AES-CBC-256, SHA-256 PRF and INTEG, group 14. */
static void good_proposal(struct raw *r, uint8_t last, uint8_t number) {
    size_t p = proposal(r, last, number, IKEV2_PROTOCOL_IKE, 0, 4);
    transform(r, 3, IKEV2_TRANSFORM_ENCR, IKEV2_ENCR_AES_CBC, 256);
    transform(r, 3, IKEV2_TRANSFORM_PRF, IKEV2_PRF_HMAC_SHA2_256, -1);
    transform(r, 3, IKEV2_TRANSFORM_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, -1);
    transform(r, 0, IKEV2_TRANSFORM_DH, IKEV2_DH_MODP_2048, -1);
    end_proposal(r, p);
}

static void sa_done(struct raw *r, size_t sa) {
    raw_end(r, sa);
    raw_finish(r);
}

/* Cases: each fills r; the message (and, when decode is set, every payload's
 * decoder) must then fail with error, payload type and offset. */
struct bad_case {
    const char *name;
    void (*make)(struct raw *r);
    bool decode;
    enum ikev2_parse_error error;
    uint8_t payload_type;
    long offset;                /* -1: not checked */
};

static void mk_payload_len0(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    size_t p = raw_payload(r, IKEV2_PAYLOAD_NONCE, nonce32, 32);
    raw_set16(r, p + 2, 0);
    raw_finish(r);
}

static void mk_payload_len3(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    raw_payload(r, IKEV2_PAYLOAD_VENDOR_ID, "x", 1);
    size_t p = raw_payload(r, IKEV2_PAYLOAD_NONCE, nonce32, 32);
    raw_set16(r, p + 2, 3);
    raw_finish(r);
}

static void mk_payload_overrun(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    size_t p = raw_payload(r, IKEV2_PAYLOAD_NONCE, nonce32, 32);
    raw_set16(r, p + 2, 37);
    raw_finish(r);
}

static void mk_generic_header_cut(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    raw_payload(r, IKEV2_PAYLOAD_NONCE, nonce32, 32);
    r->b[r->next_field] = IKEV2_PAYLOAD_KE;     /* announced, only 3 bytes there */
    raw_fill(r, 0, 3);
    raw_finish(r);
}

static void mk_trailing(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    raw_payload(r, IKEV2_PAYLOAD_NONCE, nonce32, 32);
    raw_fill(r, 0, 4);
    raw_finish(r);
}

static void mk_unknown_critical(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    raw_payload(r, IKEV2_PAYLOAD_NONCE, nonce32, 32);
    size_t p = raw_begin(r, 49, 0x80);
    raw_fill(r, 0, 8);
    raw_end(r, p);
    raw_finish(r);
}

static void mk_too_many_payloads(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    for (int i = 0; i < IKEV2_MAX_PAYLOADS + 1; i++)
        raw_payload(r, IKEV2_PAYLOAD_VENDOR_ID, "v", 1);
    raw_finish(r);
}

static void mk_sk_not_last(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
    size_t p = raw_payload(r, IKEV2_PAYLOAD_SK, nonce32, 32);
    r->b[p] = IKEV2_PAYLOAD_IDI;
    raw_fill(r, 0, 8);          /* would be a payload, but SK ends the message */
    raw_finish(r);
}

static void mk_sa_empty(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    sa_done(r, sa);
}

static void mk_proposal_short(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    good_proposal(r, 2, 1);
    raw_fill(r, 0, 7);
    sa_done(r, sa);
}

static void mk_proposal_len_small(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_IKE, 0, 0);
    raw_set16(r, p + 2, 7);
    sa_done(r, sa);
}

static void mk_proposal_len_big(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_IKE, 0, 1);
    transform(r, 0, IKEV2_TRANSFORM_ENCR, IKEV2_ENCR_AES_CBC, 128);
    raw_set16(r, p + 2, 21);
    sa_done(r, sa);
}

static void mk_proposal_spi_past(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_ESP, 4, 0);
    r->len -= 2;                /* SPI of 4 declared, 2 there */
    raw_set16(r, p + 2, 10);
    sa_done(r, sa);
}

static void mk_transform_len_small(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_IKE, 0, 1);
    size_t t = r->len;
    transform(r, 0, IKEV2_TRANSFORM_ENCR, IKEV2_ENCR_AES_CBC, -1);
    raw_set16(r, t + 2, 4);
    end_proposal(r, p);
    sa_done(r, sa);
}

static void mk_transform_len_big(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_IKE, 0, 1);
    size_t t = r->len;
    transform(r, 0, IKEV2_TRANSFORM_ENCR, IKEV2_ENCR_AES_CBC, 128);
    raw_set16(r, t + 2, 16);    /* past its proposal (and the payload) */
    end_proposal(r, p);
    sa_done(r, sa);
}

static void mk_transform_cut(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_IKE, 0, 2);
    transform(r, 3, IKEV2_TRANSFORM_ENCR, IKEV2_ENCR_AES_CBC, 128);
    raw_fill(r, 3, 5);          /* 5 bytes of a second transform */
    end_proposal(r, p);
    sa_done(r, sa);
}

static void mk_attribute_tlv_overrun(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_IKE, 0, 1);
    raw_put8(r, 0); raw_put8(r, 0); raw_put16(r, 16);
    raw_put8(r, IKEV2_TRANSFORM_ENCR); raw_put8(r, 0); raw_put16(r, IKEV2_ENCR_AES_CBC);
    raw_put16(r, 0x0001); raw_put16(r, 5);      /* TLV: 5 bytes announced, 4 there */
    raw_fill(r, 0, 4);
    end_proposal(r, p);
    sa_done(r, sa);
}

static void mk_attribute_cut(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_IKE, 0, 1);
    raw_put8(r, 0); raw_put8(r, 0); raw_put16(r, 10);
    raw_put8(r, IKEV2_TRANSFORM_ENCR); raw_put8(r, 0); raw_put16(r, IKEV2_ENCR_AES_CBC);
    raw_put16(r, 0x800e);       /* half an attribute */
    end_proposal(r, p);
    sa_done(r, sa);
}

static void mk_transform_count_more(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_IKE, 0, 3);
    transform(r, 3, IKEV2_TRANSFORM_ENCR, IKEV2_ENCR_AES_CBC, 128);
    transform(r, 0, IKEV2_TRANSFORM_DH, IKEV2_DH_MODP_2048, -1);
    end_proposal(r, p);
    sa_done(r, sa);
}

static void mk_transform_count_less(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_IKE, 0, 1);
    transform(r, 3, IKEV2_TRANSFORM_ENCR, IKEV2_ENCR_AES_CBC, 128);
    transform(r, 0, IKEV2_TRANSFORM_DH, IKEV2_DH_MODP_2048, -1);
    end_proposal(r, p);
    sa_done(r, sa);
}

static void mk_transform_last_marker(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_IKE, 0, 2);
    transform(r, 0, IKEV2_TRANSFORM_ENCR, IKEV2_ENCR_AES_CBC, 128);    /* says last, is not */
    transform(r, 0, IKEV2_TRANSFORM_DH, IKEV2_DH_MODP_2048, -1);
    end_proposal(r, p);
    sa_done(r, sa);
}

static void mk_proposal_last_marker(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    good_proposal(r, 2, 1);     /* says more, is the last */
    sa_done(r, sa);
}

static void mk_proposal_number_gap(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    good_proposal(r, 2, 1);
    good_proposal(r, 0, 3);
    sa_done(r, sa);
}

static void mk_proposal_number_zero(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    good_proposal(r, 0, 0);
    sa_done(r, sa);
}

static void mk_too_many_proposals(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    for (int i = 1; i <= IKEV2_MAX_PROPOSALS + 1; i++)
        good_proposal(r, i == IKEV2_MAX_PROPOSALS + 1 ? 0 : 2, (uint8_t)i);
    sa_done(r, sa);
}

static void mk_too_many_transforms(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    /* 9 proposals of 30: 270 transforms, over the 256 kept. */
    for (int i = 1; i <= 9; i++) {
        size_t p = proposal(r, i == 9 ? 0 : 2, (uint8_t)i, IKEV2_PROTOCOL_IKE, 0, 30);
        for (int j = 0; j < 30; j++)
            transform(r, j == 29 ? 0 : 3, IKEV2_TRANSFORM_DH, (uint16_t)j, -1);
        end_proposal(r, p);
    }
    sa_done(r, sa);
}

static void mk_esp_spi_size(struct raw *r) {
    size_t sa;
    sa_header(r, &sa);
    size_t p = proposal(r, 0, 1, IKEV2_PROTOCOL_ESP, 8, 1);
    transform(r, 0, IKEV2_TRANSFORM_ENCR, IKEV2_ENCR_AES_GCM_16, 256);
    end_proposal(r, p);
    sa_done(r, sa);
}

static void mk_nonce_short(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    raw_payload(r, IKEV2_PAYLOAD_NONCE, nonce32, 15);
    raw_finish(r);
}

static void mk_nonce_long(struct raw *r) {
    static const uint8_t big[257];
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    raw_payload(r, IKEV2_PAYLOAD_NONCE, big, sizeof(big));
    raw_finish(r);
}

static void mk_ke_short(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    raw_payload(r, IKEV2_PAYLOAD_KE, "\0\x0e\0\0", 4);
    raw_finish(r);
}

static void mk_ts_count(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
    size_t p = raw_begin(r, IKEV2_PAYLOAD_TSI, 0);
    raw_put8(r, 2); raw_fill(r, 0, 3);
    raw_put8(r, 7); raw_put8(r, 0); raw_put16(r, 16); raw_put16(r, 0); raw_put16(r, 65535);
    raw_fill(r, 0, 4); raw_fill(r, 0xff, 4);
    raw_end(r, p);
    raw_finish(r);
}

static void mk_ts_selector_length(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
    size_t p = raw_begin(r, IKEV2_PAYLOAD_TSR, 0);
    raw_put8(r, 1); raw_fill(r, 0, 3);
    raw_put8(r, 7); raw_put8(r, 0); raw_put16(r, 40);  /* IPv4 with IPv6's length */
    raw_put16(r, 0); raw_put16(r, 65535);
    raw_fill(r, 0, 32);
    raw_end(r, p);
    raw_finish(r);
}

static void mk_ts_selector_overrun(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
    size_t p = raw_begin(r, IKEV2_PAYLOAD_TSI, 0);
    raw_put8(r, 1); raw_fill(r, 0, 3);
    raw_put8(r, 8); raw_put8(r, 0); raw_put16(r, 40);
    raw_put16(r, 0); raw_put16(r, 65535);
    raw_fill(r, 0, 16);         /* 24 of the 40 bytes */
    raw_end(r, p);
    raw_finish(r);
}

static void mk_cp_attribute_overrun(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
    size_t p = raw_begin(r, IKEV2_PAYLOAD_CP, 0);
    raw_put8(r, IKEV2_CFG_REQUEST); raw_fill(r, 0, 3);
    raw_put16(r, IKEV2_CP_INTERNAL_IP4_ADDRESS); raw_put16(r, 0);
    raw_put16(r, IKEV2_CP_INTERNAL_IP4_DNS); raw_put16(r, 4);
    raw_fill(r, 0, 3);
    raw_end(r, p);
    raw_finish(r);
}

static void mk_cp_attribute_cut(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
    size_t p = raw_begin(r, IKEV2_PAYLOAD_CP, 0);
    raw_put8(r, IKEV2_CFG_REQUEST); raw_fill(r, 0, 3);
    raw_put16(r, IKEV2_CP_INTERNAL_IP4_ADDRESS);
    raw_end(r, p);
    raw_finish(r);
}

static void mk_eap_length(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 2);
    raw_payload(r, IKEV2_PAYLOAD_EAP, "\x02\x01\x00\x0a\x01" "alice", 10 - 1);
    raw_finish(r);
}

static void mk_eap_success_long(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_AUTH, 0, 2);
    raw_payload(r, IKEV2_PAYLOAD_EAP, "\x03\x01\x00\x05\x00", 5);
    raw_finish(r);
}

static void mk_notify_spi_overrun(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_INFORMATIONAL, 0, 3);
    raw_payload(r, IKEV2_PAYLOAD_NOTIFY, "\x03\x04\x40\x09\x01\x02", 6);
    raw_finish(r);
}

static void mk_delete_count(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_INFORMATIONAL, 0, 3);
    raw_payload(r, IKEV2_PAYLOAD_DELETE, "\x03\x04\x00\x02\x01\x02\x03\x04", 8);
    raw_finish(r);
}

static void mk_delete_ike_spi(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_INFORMATIONAL, 0, 3);
    raw_payload(r, IKEV2_PAYLOAD_DELETE, "\x01\x04\x00\x01\x01\x02\x03\x04", 8);
    raw_finish(r);
}

static void mk_delete_ike_count(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_INFORMATIONAL, 0, 3);
    raw_payload(r, IKEV2_PAYLOAD_DELETE, "\x01\x00\x00\x03", 4);
    raw_finish(r);
}

static void mk_skf_number(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
    size_t p = raw_payload(r, IKEV2_PAYLOAD_SKF, "\x00\x03\x00\x02" "0123456789abcdef", 20);
    r->b[p] = 0;
    raw_finish(r);
}

static void mk_id_short(struct raw *r) {
    raw_header(r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
    raw_payload(r, IKEV2_PAYLOAD_IDI, "\x02\0\0\0", 4);
    raw_finish(r);
}

static const struct bad_case bad_cases[] = {
    { "payload length 0", mk_payload_len0, false, IKEV2_PARSE_PAYLOAD_LENGTH, IKEV2_PAYLOAD_NONCE, 28 },
    { "payload length 3", mk_payload_len3, false, IKEV2_PARSE_PAYLOAD_LENGTH, IKEV2_PAYLOAD_NONCE, 33 },
    { "payload overrun", mk_payload_overrun, false, IKEV2_PARSE_TRUNCATED_PAYLOAD, IKEV2_PAYLOAD_NONCE, 28 },
    { "generic header cut", mk_generic_header_cut, false, IKEV2_PARSE_TRUNCATED_PAYLOAD, IKEV2_PAYLOAD_KE, 64 },
    { "trailing data", mk_trailing, false, IKEV2_PARSE_TRAILING_DATA, 0, 64 },
    { "unknown critical", mk_unknown_critical, false, IKEV2_PARSE_UNSUPPORTED_CRITICAL, 49, 64 },
    { "too many payloads", mk_too_many_payloads, false, IKEV2_PARSE_TOO_MANY, IKEV2_PAYLOAD_VENDOR_ID, 28 + 64 * 5 },
    { "SK not last", mk_sk_not_last, false, IKEV2_PARSE_SK_NOT_LAST, IKEV2_PAYLOAD_SK, 28 },
    { "SA empty", mk_sa_empty, true, IKEV2_PARSE_BODY_LENGTH, IKEV2_PAYLOAD_SA, 32 },
    { "proposal cut", mk_proposal_short, true, IKEV2_PARSE_PROPOSAL_LENGTH, IKEV2_PAYLOAD_SA, 32 + 44 },
    { "proposal length 7", mk_proposal_len_small, true, IKEV2_PARSE_PROPOSAL_LENGTH, IKEV2_PAYLOAD_SA, 32 },
    { "proposal length past SA", mk_proposal_len_big, true, IKEV2_PARSE_PROPOSAL_LENGTH, IKEV2_PAYLOAD_SA, 32 },
    { "proposal SPI past proposal", mk_proposal_spi_past, true, IKEV2_PARSE_PROPOSAL_LENGTH, IKEV2_PAYLOAD_SA, 32 },
    { "transform length 4", mk_transform_len_small, true, IKEV2_PARSE_TRANSFORM_LENGTH, IKEV2_PAYLOAD_SA, 40 },
    { "transform length past proposal", mk_transform_len_big, true, IKEV2_PARSE_TRANSFORM_LENGTH, IKEV2_PAYLOAD_SA, 40 },
    { "transform cut", mk_transform_cut, true, IKEV2_PARSE_TRANSFORM_LENGTH, IKEV2_PAYLOAD_SA, 52 },
    { "TLV attribute overrun", mk_attribute_tlv_overrun, true, IKEV2_PARSE_ATTRIBUTE_LENGTH, IKEV2_PAYLOAD_SA, 48 },
    { "attribute cut", mk_attribute_cut, true, IKEV2_PARSE_ATTRIBUTE_LENGTH, IKEV2_PAYLOAD_SA, 48 },
    { "transforms fewer than declared", mk_transform_count_more, true, IKEV2_PARSE_COUNT_MISMATCH, IKEV2_PAYLOAD_SA, 32 },
    { "transforms more than declared", mk_transform_count_less, true, IKEV2_PARSE_COUNT_MISMATCH, IKEV2_PAYLOAD_SA, 32 },
    { "transform last marker", mk_transform_last_marker, true, IKEV2_PARSE_LAST_MARKER, IKEV2_PAYLOAD_SA, 40 },
    { "proposal last marker", mk_proposal_last_marker, true, IKEV2_PARSE_LAST_MARKER, IKEV2_PAYLOAD_SA, 32 },
    { "proposal number gap", mk_proposal_number_gap, true, IKEV2_PARSE_PROPOSAL_NUMBER, IKEV2_PAYLOAD_SA, 32 + 44 },
    { "proposal number 0", mk_proposal_number_zero, true, IKEV2_PARSE_PROPOSAL_NUMBER, IKEV2_PAYLOAD_SA, 32 },
    { "too many proposals", mk_too_many_proposals, true, IKEV2_PARSE_TOO_MANY, IKEV2_PAYLOAD_SA, 32 + 32 * 44 },
    { "too many transforms", mk_too_many_transforms, true, IKEV2_PARSE_TOO_MANY, IKEV2_PAYLOAD_SA, -1 },
    { "ESP SPI of 8", mk_esp_spi_size, true, IKEV2_PARSE_SPI_SIZE, IKEV2_PAYLOAD_SA, 32 },
    { "nonce of 15", mk_nonce_short, true, IKEV2_PARSE_NONCE_LENGTH, IKEV2_PAYLOAD_NONCE, 32 },
    { "nonce of 257", mk_nonce_long, true, IKEV2_PARSE_NONCE_LENGTH, IKEV2_PAYLOAD_NONCE, 32 },
    { "KE without data", mk_ke_short, true, IKEV2_PARSE_BODY_LENGTH, IKEV2_PAYLOAD_KE, 32 },
    { "TS count", mk_ts_count, true, IKEV2_PARSE_COUNT_MISMATCH, IKEV2_PAYLOAD_TSI, 32 },
    { "TS selector length", mk_ts_selector_length, true, IKEV2_PARSE_SELECTOR_LENGTH, IKEV2_PAYLOAD_TSR, 36 },
    { "TS selector overrun", mk_ts_selector_overrun, true, IKEV2_PARSE_SELECTOR_LENGTH, IKEV2_PAYLOAD_TSI, 36 },
    { "CP attribute overrun", mk_cp_attribute_overrun, true, IKEV2_PARSE_ATTRIBUTE_LENGTH, IKEV2_PAYLOAD_CP, 40 },
    { "CP attribute cut", mk_cp_attribute_cut, true, IKEV2_PARSE_ATTRIBUTE_LENGTH, IKEV2_PAYLOAD_CP, 36 },
    { "EAP length", mk_eap_length, true, IKEV2_PARSE_EAP_LENGTH, IKEV2_PAYLOAD_EAP, 34 },
    { "EAP success with data", mk_eap_success_long, true, IKEV2_PARSE_EAP_LENGTH, IKEV2_PAYLOAD_EAP, 34 },
    { "notify SPI overrun", mk_notify_spi_overrun, true, IKEV2_PARSE_BODY_LENGTH, IKEV2_PAYLOAD_NOTIFY, 32 },
    { "delete count", mk_delete_count, true, IKEV2_PARSE_COUNT_MISMATCH, IKEV2_PAYLOAD_DELETE, 34 },
    { "delete IKE with SPI", mk_delete_ike_spi, true, IKEV2_PARSE_SPI_SIZE, IKEV2_PAYLOAD_DELETE, 33 },
    { "delete IKE with a count", mk_delete_ike_count, true, IKEV2_PARSE_COUNT_MISMATCH, IKEV2_PAYLOAD_DELETE, 34 },
    { "SKF number past total", mk_skf_number, true, IKEV2_PARSE_FRAGMENT_NUMBER, IKEV2_PAYLOAD_SKF, 32 },
    { "ID without data", mk_id_short, true, IKEV2_PARSE_BODY_LENGTH, IKEV2_PAYLOAD_IDI, 32 },
};

static void test_malformed_table(void) {
    static struct raw r;
    static struct ikev2_message m;

    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct ikev2_parse_status st = { 0 };
        int ret;

        memset(&r, 0, sizeof(r));
        c->make(&r);
        ret = ikev2_message_parse(r.b, r.len, &m, &st);
        if (c->decode) {
            /* The chain is sound; the payload's own decoder must refuse it. */
            if (ret != 0)
                printf("#   case '%s': chain refused: %s\n", c->name, ikev2_parse_error_string(st.error));
            CHECK_INT_EQ(ret, 0);
            ret = 0;
            for (size_t j = 0; j < m.payloads.n && ret == 0; j++)
                ret = decode_any(&m.payloads.p[j], &st);
        }
        if (ret != -EBADMSG || st.error != c->error || st.payload_type != c->payload_type ||
            (c->offset >= 0 && st.offset != (size_t)c->offset)) {
            char why[128];
            ikev2_parse_status_format(&st, why, sizeof(why));
            printf("#   case '%s': got %d: %s (type %u)\n", c->name, ret, why, st.payload_type);
        }
        CHECK_INT_EQ(ret, -EBADMSG);
        CHECK_INT_EQ(st.error, c->error);
        CHECK_INT_EQ(st.payload_type, c->payload_type);
        if (c->offset >= 0)
            CHECK_INT_EQ(st.offset, c->offset);
    }
}

static void test_status_format(void) {
    struct ikev2_parse_status st = { IKEV2_PARSE_TRUNCATED_PAYLOAD, IKEV2_PAYLOAD_SA, 40 };
    char why[128];

    ikev2_parse_status_format(&st, why, sizeof(why));
    CHECK_STR_EQ(why, "truncated payload SA at offset 40");
    st = (struct ikev2_parse_status) { IKEV2_PARSE_UNSUPPORTED_CRITICAL, 49, 64 };
    ikev2_parse_status_format(&st, why, sizeof(why));
    CHECK_STR_EQ(why, "unsupported critical payload 49 at offset 64");
    st = (struct ikev2_parse_status) { IKEV2_PARSE_TRUNCATED_HEADER, 0, 12 };
    ikev2_parse_status_format(&st, why, sizeof(why));
    CHECK_STR_EQ(why, "truncated header at offset 12");
    CHECK_STR_EQ(ikev2_parse_error_string((enum ikev2_parse_error)999), "unknown error");
    for (int e = IKEV2_PARSE_OK; e <= IKEV2_PARSE_MISPLACED_PAYLOAD; e++)
        CHECK(strcmp(ikev2_parse_error_string((enum ikev2_parse_error)e), "unknown error") != 0);
}

/* Good inputs the strict checks must not refuse. */
static void test_accepted_oddities(void) {
    static struct raw r;
    static struct ikev2_message m;
    static struct ikev2_sa sa;
    struct ikev2_parse_status st;

    /* Unknown non-critical payloads are skipped, the chain continues. */
    raw_header(&r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    size_t p = raw_begin(&r, 50, 0);
    raw_fill(&r, 0x55, 10);
    raw_end(&r, p);
    raw_payload(&r, IKEV2_PAYLOAD_NONCE, nonce32, 32);
    p = raw_begin(&r, 200, 0x7f);       /* reserved flag bits: ignored */
    raw_end(&r, p);
    raw_finish(&r);
    CHECK_INT_EQ(ikev2_message_parse(r.b, r.len, &m, &st), 0);
    CHECK_INT_EQ(m.payloads.n, 1);
    CHECK_INT_EQ(m.payloads.n_skipped, 2);
    CHECK_INT_EQ(m.payloads.p[0].type, IKEV2_PAYLOAD_NONCE);
    CHECK_INT_EQ(m.payloads.p[0].offset, 42);

    /* The critical bit on a known payload changes nothing. */
    raw_header(&r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    p = raw_begin(&r, IKEV2_PAYLOAD_NONCE, 0x80);
    raw_bytes(&r, nonce32, 16);
    raw_end(&r, p);
    raw_finish(&r);
    CHECK_INT_EQ(ikev2_message_parse(r.b, r.len, &m, &st), 0);
    CHECK(m.payloads.p[0].critical);
    struct ikev2_nonce no;
    CHECK_INT_EQ(ikev2_nonce_decode(&m.payloads.p[0], &no, &st), 0);
    CHECK_INT_EQ(no.len, 16);

    /* Unknown and TLV attributes: parsed, the transform marked unusable. A
     * response's single proposal may carry any number. */
    size_t sa_off;
    sa_header(&r, &sa_off);
    size_t pr = proposal(&r, 0, 3, IKEV2_PROTOCOL_ESP, 4, 3);
    raw_put8(&r, 3); raw_put8(&r, 0); raw_put16(&r, 16);
    raw_put8(&r, IKEV2_TRANSFORM_ENCR); raw_put8(&r, 0); raw_put16(&r, IKEV2_ENCR_AES_CBC);
    raw_put16(&r, 0x800e); raw_put16(&r, 128);
    raw_put16(&r, 0x8011); raw_put16(&r, 1);    /* unknown TV */
    raw_put8(&r, 3); raw_put8(&r, 0); raw_put16(&r, 14);
    raw_put8(&r, IKEV2_TRANSFORM_ENCR); raw_put8(&r, 0); raw_put16(&r, IKEV2_ENCR_AES_CBC);
    raw_put16(&r, 0x000e); raw_put16(&r, 2); raw_put16(&r, 256);   /* Key Length as TLV */
    transform(&r, 0, IKEV2_TRANSFORM_ESN, IKEV2_ESN_NO, -1);
    end_proposal(&r, pr);
    sa_done(&r, sa_off);
    CHECK_INT_EQ(ikev2_message_parse(r.b, r.len, &m, &st), 0);
    CHECK_INT_EQ(ikev2_sa_decode(&m.payloads.p[0], &sa, &st), 0);
    CHECK_INT_EQ(sa.n_proposals, 1);
    CHECK_INT_EQ(sa.proposals[0].number, 3);
    CHECK_INT_EQ(sa.proposals[0].spi_size, 4);
    CHECK(memcmp(sa.proposals[0].spi, "\xaa\xaa\xaa\xaa", 4) == 0);
    CHECK_INT_EQ(sa.n_transforms, 3);
    CHECK(sa.transforms[0].unknown_attribute);
    CHECK_INT_EQ(sa.transforms[0].key_length, 128);
    CHECK(sa.transforms[1].unknown_attribute);
    CHECK_INT_EQ(sa.transforms[1].key_length, 0);
    CHECK(!sa.transforms[2].unknown_attribute);
    CHECK_INT_EQ(sa.transforms[2].type, IKEV2_TRANSFORM_ESN);

    /* TS with start > end and an unknown selector type: parsing is not the
     * place for semantics. */
    raw_header(&r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
    p = raw_begin(&r, IKEV2_PAYLOAD_TSI, 0);
    raw_put8(&r, 2); raw_fill(&r, 0, 3);
    raw_put8(&r, 7); raw_put8(&r, 17); raw_put16(&r, 16); raw_put16(&r, 600); raw_put16(&r, 500);
    raw_bytes(&r, "\x0a\x00\x00\x09", 4); raw_bytes(&r, "\x0a\x00\x00\x01", 4);
    raw_put8(&r, 10); raw_put8(&r, 0); raw_put16(&r, 6); raw_put16(&r, 0x1234);
    raw_end(&r, p);
    raw_finish(&r);
    CHECK_INT_EQ(ikev2_message_parse(r.b, r.len, &m, &st), 0);
    static struct ikev2_ts ts;
    CHECK_INT_EQ(ikev2_ts_decode(&m.payloads.p[0], &ts, &st), 0);
    CHECK_INT_EQ(ts.n, 2);
    CHECK_INT_EQ(ts.sel[0].ip_protocol, 17);
    CHECK_INT_EQ(ts.sel[0].start_port, 600);
    CHECK_INT_EQ(ts.sel[0].end_port, 500);
    CHECK(memcmp(ts.sel[0].start_addr, "\x0a\x00\x00\x09", 4) == 0);
    CHECK(memcmp(ts.sel[0].end_addr, "\x0a\x00\x00\x01", 4) == 0);
    CHECK_INT_EQ(ts.sel[1].type, IKEV2_TS_SECLABEL);

    /* Nonces of exactly 16 and 256 bytes. */
    static const uint8_t n256[256];
    raw_header(&r, IKEV2_EXCHANGE_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
    raw_payload(&r, IKEV2_PAYLOAD_NONCE, n256, 256);
    raw_finish(&r);
    CHECK_INT_EQ(ikev2_message_parse(r.b, r.len, &m, &st), 0);
    CHECK_INT_EQ(ikev2_nonce_decode(&m.payloads.p[0], &no, &st), 0);
    CHECK_INT_EQ(no.len, 256);

    /* A decoder given another payload type refuses it. */
    struct ikev2_ke ke;
    CHECK_INT_EQ(ikev2_ke_decode(&m.payloads.p[0], &ke, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_WRONG_TYPE);
}

static void test_encrypted_chain(void) {
    static struct raw r, inner;
    static struct ikev2_message m;
    static struct ikev2_payload_list list;
    struct ikev2_parse_status st;

    /* Outer: SK whose Next Payload names IDi. */
    raw_header(&r, IKEV2_EXCHANGE_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
    size_t p = raw_payload(&r, IKEV2_PAYLOAD_SK, nonce32, 32);
    r.b[p] = IKEV2_PAYLOAD_IDI;
    raw_finish(&r);
    CHECK_INT_EQ(ikev2_message_parse(r.b, r.len, &m, &st), 0);
    CHECK(m.sk == &m.payloads.p[0]);
    CHECK_INT_EQ(m.sk->next_type, IKEV2_PAYLOAD_IDI);
    CHECK_INT_EQ(m.sk->len, 32);

    /* Inner plaintext: IDi, AUTH, N(INITIAL_CONTACT), CP request. */
    inner.len = 0;
    inner.next_field = 0;
    size_t q = inner.len;
    raw_put8(&inner, IKEV2_PAYLOAD_AUTH); raw_put8(&inner, 0); raw_put16(&inner, 0);
    raw_put8(&inner, IKEV2_ID_FQDN); raw_fill(&inner, 0, 3); raw_bytes(&inner, "client", 6);
    raw_end(&inner, q);
    inner.next_field = q;
    q = raw_payload(&inner, IKEV2_PAYLOAD_AUTH, "\x02\0\0\0sig", 7);
    q = raw_payload(&inner, IKEV2_PAYLOAD_NOTIFY, "\0\0\x40\x00", 4);
    q = raw_begin(&inner, IKEV2_PAYLOAD_CP, 0);
    raw_put8(&inner, IKEV2_CFG_REQUEST); raw_fill(&inner, 0, 3);
    raw_put16(&inner, IKEV2_CP_INTERNAL_IP4_ADDRESS); raw_put16(&inner, 0);
    raw_put16(&inner, IKEV2_CP_INTERNAL_IP4_DNS); raw_put16(&inner, 0);
    raw_end(&inner, q);

    CHECK_INT_EQ(ikev2_chain_parse(inner.b, inner.len, IKEV2_PAYLOAD_IDI, 32, &list, &st), 0);
    CHECK_INT_EQ(list.n, 4);
    CHECK_INT_EQ(list.p[0].type, IKEV2_PAYLOAD_IDI);
    CHECK_INT_EQ(list.p[0].offset, 32);
    CHECK_INT_EQ(list.p[1].offset, 32 + 14);
    struct ikev2_id id;
    CHECK_INT_EQ(ikev2_id_decode(&list.p[0], &id, &st), 0);
    CHECK_INT_EQ(id.type, IKEV2_ID_FQDN);
    CHECK(id.len == 6 && memcmp(id.data, "client", 6) == 0);
    CHECK(id.body == inner.b + 4 && id.body_len == 10);
    struct ikev2_auth a;
    CHECK_INT_EQ(ikev2_auth_decode(&list.p[1], &a, &st), 0);
    CHECK_INT_EQ(a.method, IKEV2_AUTH_SHARED_KEY_MIC);
    CHECK(a.len == 3 && memcmp(a.data, "sig", 3) == 0);

    char line[256];
    ikev2_message_describe(&m.header, &m.payloads, &list, line, sizeof(line));
    CHECK_STR_EQ(line, "IKE_AUTH request 1 [ IDi AUTH N(INIT_CONTACT) CPRQ(ADDR DNS) ]");
    ikev2_message_describe(&m.header, &m.payloads, NULL, line, sizeof(line));
    CHECK_STR_EQ(line, "IKE_AUTH request 1 [ SK ]");

    /* Wrong first type: the chain's lengths no longer line up or the
     * payloads are misread; either way never past the end. */
    CHECK_INT_EQ(ikev2_chain_parse(inner.b, inner.len - 1, IKEV2_PAYLOAD_IDI, 0, &list, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_TRUNCATED_PAYLOAD);
    CHECK_INT_EQ(st.payload_type, IKEV2_PAYLOAD_CP);

    /* An empty plaintext with no first payload is a valid empty chain
     * (an INFORMATIONAL liveness check). */
    CHECK_INT_EQ(ikev2_chain_parse(inner.b, 0, IKEV2_PAYLOAD_NONE, 0, &list, &st), 0);
    CHECK_INT_EQ(list.n, 0);

    /* SK inside the plaintext is refused. */
    inner.len = 0;
    inner.next_field = 0;
    q = inner.len;
    raw_put8(&inner, 0); raw_put8(&inner, 0); raw_put16(&inner, 8); raw_fill(&inner, 0, 4);
    CHECK_INT_EQ(ikev2_chain_parse(inner.b, inner.len, IKEV2_PAYLOAD_SK, 0, &list, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_MISPLACED_PAYLOAD);
    (void)q;
}

TEST_MAIN(
    TEST(test_strongswan_ike_sa_init),
    TEST(test_strongswan_exchange),
    TEST(test_header),
    TEST(test_malformed_table),
    TEST(test_status_format),
    TEST(test_accepted_oddities),
    TEST(test_encrypted_chain),
)
