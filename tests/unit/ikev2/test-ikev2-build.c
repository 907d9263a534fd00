/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 building: every payload built, parsed back and compared field by
 * field; strongSwan's own SA payload rebuilt byte for byte; the SK payload
 * reserved and its inner chain parsed; every capacity short of the message
 * refused without a byte written past it; bad arguments refused.
 */
#include <errno.h>

#include "ikev2-payload.h"
#include "strongswan-ike-sa-init.h"
#include "testing.h"

static const uint8_t nonce[32] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17 };
static const uint8_t natd[20] = { 0xde, 0xad, 0xbe, 0xef };
static const uint8_t ke_data[32] = { 0x42 };
static const uint8_t ca_hash[20] = { 0xca };

static const struct ikev2_header sa_init_response_header = {
    .ispi = 0x1122334455667788ULL,
    .rspi = 0x99aabbccddeeff00ULL,
    .exchange = IKEV2_EXCHANGE_IKE_SA_INIT,
    .flags = IKEV2_FLAG_RESPONSE,
    .message_id = 0,
};

/* The IKE_SA_INIT response vpnd sends; returns the builder's result. */
static int build_sa_init_response(uint8_t *buf, size_t cap, size_t *len) {
    static const struct ikev2_transform chosen[] = {
        { .type = IKEV2_TRANSFORM_ENCR, .id = IKEV2_ENCR_AES_GCM_16, .key_length = 256 },
        { .type = IKEV2_TRANSFORM_PRF, .id = IKEV2_PRF_HMAC_SHA2_256 },
        { .type = IKEV2_TRANSFORM_DH, .id = IKEV2_DH_CURVE25519 },
    };
    const struct ikev2_proposal pr = {
        .number = 2, .protocol = IKEV2_PROTOCOL_IKE, .n_transforms = 3,
    };
    struct ikev2_builder b;

    ikev2_builder_init(&b, buf, cap);
    ikev2_build_header(&b, &sa_init_response_header);
    ikev2_build_sa_proposal(&b, &pr, chosen);
    ikev2_build_ke(&b, IKEV2_DH_CURVE25519, ke_data, sizeof(ke_data));
    ikev2_build_nonce(&b, nonce, sizeof(nonce));
    ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
    ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd, sizeof(natd));
    ikev2_build_cert(&b, IKEV2_PAYLOAD_CERTREQ, IKEV2_CERT_X509_SIGNATURE, ca_hash, sizeof(ca_hash));
    ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    ikev2_build_vendor_id(&b, "vpnd", 4);
    return ikev2_builder_finish(&b, len);
}

static void test_sa_init_response(void) {
    static uint8_t buf[1024];
    static struct ikev2_message m;
    static struct ikev2_sa sa;
    struct ikev2_parse_status st;
    size_t len = 0;

    CHECK_INT_EQ(build_sa_init_response(buf, sizeof(buf), &len), 0);
    CHECK_INT_EQ(len, 28 + (4 + 8 + 12 + 8 + 8) + (4 + 4 + 32) + (4 + 32) + 2 * (4 + 4 + 20) +
                      (4 + 1 + 20) + (4 + 4) + (4 + 4));
    CHECK_INT_EQ(ikev2_message_parse(buf, len, &m, &st), 0);
    CHECK(m.header.ispi == sa_init_response_header.ispi);
    CHECK(m.header.rspi == sa_init_response_header.rspi);
    CHECK_INT_EQ(m.header.exchange, IKEV2_EXCHANGE_IKE_SA_INIT);
    CHECK_INT_EQ(m.header.flags, IKEV2_FLAG_RESPONSE);
    CHECK_INT_EQ(m.header.major_version, 2);
    CHECK_INT_EQ(m.header.length, len);
    CHECK_INT_EQ(m.payloads.n, 8);

    CHECK_INT_EQ(ikev2_sa_decode(&m.payloads.p[0], &sa, &st), 0);
    CHECK_INT_EQ(sa.n_proposals, 1);
    CHECK_INT_EQ(sa.proposals[0].number, 2);
    CHECK_INT_EQ(sa.proposals[0].protocol, IKEV2_PROTOCOL_IKE);
    CHECK_INT_EQ(sa.proposals[0].n_transforms, 3);
    CHECK_INT_EQ(sa.transforms[0].id, IKEV2_ENCR_AES_GCM_16);
    CHECK_INT_EQ(sa.transforms[0].key_length, 256);
    CHECK_INT_EQ(sa.transforms[1].type, IKEV2_TRANSFORM_PRF);
    CHECK_INT_EQ(sa.transforms[1].key_length, 0);
    CHECK_INT_EQ(sa.transforms[2].id, IKEV2_DH_CURVE25519);

    struct ikev2_ke ke;
    CHECK_INT_EQ(ikev2_ke_decode(&m.payloads.p[1], &ke, &st), 0);
    CHECK_INT_EQ(ke.group, IKEV2_DH_CURVE25519);
    CHECK(ke.len == sizeof(ke_data) && memcmp(ke.data, ke_data, ke.len) == 0);
    struct ikev2_nonce no;
    CHECK_INT_EQ(ikev2_nonce_decode(&m.payloads.p[2], &no, &st), 0);
    CHECK(no.len == sizeof(nonce) && memcmp(no.data, nonce, no.len) == 0);
    struct ikev2_notify n;
    CHECK_INT_EQ(ikev2_notify_decode(&m.payloads.p[4], &n, &st), 0);
    CHECK_INT_EQ(n.type, IKEV2_N_NAT_DETECTION_DESTINATION_IP);
    CHECK(n.len == sizeof(natd) && memcmp(n.data, natd, n.len) == 0);
    struct ikev2_cert c;
    CHECK_INT_EQ(ikev2_cert_decode(&m.payloads.p[5], &c, &st), 0);
    CHECK_INT_EQ(m.payloads.p[5].type, IKEV2_PAYLOAD_CERTREQ);
    CHECK_INT_EQ(c.encoding, IKEV2_CERT_X509_SIGNATURE);
    CHECK(c.len == sizeof(ca_hash) && memcmp(c.data, ca_hash, c.len) == 0);
    struct ikev2_vendor_id v;
    CHECK_INT_EQ(ikev2_vendor_id_decode(&m.payloads.p[7], &v, &st), 0);
    CHECK(v.len == 4 && memcmp(v.data, "vpnd", 4) == 0);

    char line[256];
    ikev2_message_describe(&m.header, &m.payloads, NULL, line, sizeof(line));
    CHECK_STR_EQ(line, "IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) CERTREQ N(FRAG_SUP) V ]");

    /* snprintf semantics when the line does not fit. */
    char small[16];
    int full = ikev2_message_describe(&m.header, &m.payloads, NULL, small, sizeof(small));
    CHECK_INT_EQ(full, strlen(line));
    CHECK_STR_EQ(small, "IKE_SA_INIT res");
}

/* Every capacity short of the message fails with -ENOBUFS and leaves the
 * bytes past the capacity alone. */
static void test_capacity(void) {
    static uint8_t buf[1024];
    size_t full;

    CHECK_INT_EQ(build_sa_init_response(buf, sizeof(buf), &full), 0);
    for (size_t cap = 0; cap < full; cap++) {
        size_t len = 12345;
        memset(buf, 0x5a, sizeof(buf));
        CHECK_INT_EQ(build_sa_init_response(buf, cap, &len), -ENOBUFS);
        CHECK_INT_EQ(len, 12345);
        for (size_t i = cap; i < sizeof(buf); i++)
            if (buf[i] != 0x5a) {
                CHECK(buf[i] == 0x5a);
                printf("#   capacity %zu: byte %zu written\n", cap, i);
                break;
            }
    }
    size_t len;
    CHECK_INT_EQ(build_sa_init_response(buf, full, &len), 0);
    CHECK_INT_EQ(len, full);
}

/* Decoding strongSwan's SA and building it again gives the same bytes. */
static void test_sa_rebuild(void) {
    static struct ikev2_message m;
    static struct ikev2_sa sa;
    static uint8_t buf[2048];
    struct ikev2_parse_status st;
    struct ikev2_builder b;
    size_t len;

    CHECK_INT_EQ(ikev2_message_parse(strongswan_ike_sa_init, sizeof(strongswan_ike_sa_init), &m, &st), 0);
    CHECK_INT_EQ(ikev2_sa_decode(&m.payloads.p[0], &sa, &st), 0);
    ikev2_builder_init(&b, buf, sizeof(buf));
    ikev2_build_sa(&b, &sa);
    CHECK_INT_EQ(ikev2_builder_finish(&b, &len), 0);
    CHECK_INT_EQ(ikev2_builder_first_type(&b), IKEV2_PAYLOAD_SA);
    CHECK_INT_EQ(len, 4 + m.payloads.p[0].len);
    CHECK(memcmp(buf + 4, m.payloads.p[0].body, m.payloads.p[0].len) == 0);
    CHECK_INT_EQ(buf[0], 0);    /* no header: the bare chain ends here */

    /* Transform indexes out of range are refused. */
    sa.proposals[1].n_transforms = 200;
    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_sa(&b, &sa), -EINVAL);
}

/* The IKE_AUTH response's inner chain with every other payload type. */
static size_t build_inner(uint8_t *buf, size_t cap, uint8_t *first) {
    static const uint8_t v4_dns[4] = { 192, 0, 2, 53 };
    static const uint8_t v4_addr[4] = { 10, 8, 0, 2 };
    static const struct ikev2_cp_attribute attrs[] = {
        { IKEV2_CP_INTERNAL_IP4_ADDRESS, v4_addr, 4 },
        { IKEV2_CP_INTERNAL_IP4_DNS, v4_dns, 4 },
        { IKEV2_CP_UNITY_BANNER, (const uint8_t *)"Authorized use only", 19 },
        { IKEV2_CP_INTERNAL_IP6_ADDRESS, NULL, 0 },
    };
    struct ikev2_ts_selector ts[2] = {
        { .type = IKEV2_TS_IPV4_ADDR_RANGE, .ip_protocol = 0, .start_port = 0, .end_port = 65535,
          .start_addr = { 10, 8, 0, 2 }, .end_addr = { 10, 8, 0, 2 } },
        { .type = IKEV2_TS_IPV6_ADDR_RANGE, .ip_protocol = 6, .start_port = 443, .end_port = 443,
          .start_addr = { 0x20, 0x01, 0x0d, 0xb8 }, .end_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xff } },
    };
    static const struct ikev2_transform esp[] = {
        { .type = IKEV2_TRANSFORM_ENCR, .id = IKEV2_ENCR_AES_GCM_16, .key_length = 128 },
        { .type = IKEV2_TRANSFORM_ESN, .id = IKEV2_ESN_NO },
    };
    const struct ikev2_proposal pr = {
        .number = 1, .protocol = IKEV2_PROTOCOL_ESP, .spi_size = 4,
        .spi = { 0xc0, 0x01, 0xd0, 0x0d }, .n_transforms = 2,
    };
    static const uint8_t spis[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    struct ikev2_builder b;
    size_t len;

    ikev2_builder_init(&b, buf, cap);
    ikev2_build_id(&b, IKEV2_PAYLOAD_IDR, IKEV2_ID_FQDN, "vpn.example.org", 15);
    ikev2_build_cert(&b, IKEV2_PAYLOAD_CERT, IKEV2_CERT_X509_SIGNATURE, "\x30\x82\x01\x00", 4);
    ikev2_build_auth(&b, IKEV2_AUTH_DIGITAL_SIGNATURE, "signature", 9);
    ikev2_build_eap(&b, IKEV2_EAP_REQUEST, 7, IKEV2_EAP_TYPE_IDENTITY, NULL, 0);
    ikev2_build_cp(&b, IKEV2_CFG_REPLY, attrs, 4);
    ikev2_build_sa_proposal(&b, &pr, esp);
    ikev2_build_ts(&b, IKEV2_PAYLOAD_TSI, ts, 2);
    ikev2_build_ts(&b, IKEV2_PAYLOAD_TSR, ts, 1);
    ikev2_build_notify(&b, IKEV2_PROTOCOL_ESP, "\xc0\x01\xd0\x0d", 4, IKEV2_N_REKEY_SA, NULL, 0);
    ikev2_build_delete(&b, IKEV2_PROTOCOL_ESP, 4, spis, 2);
    ikev2_build_delete(&b, IKEV2_PROTOCOL_IKE, 0, NULL, 0);
    ikev2_build_eap(&b, IKEV2_EAP_SUCCESS, 8, 0, NULL, 0);
    ikev2_build_payload(&b, 99, false, "zz", 2);    /* unknown, not critical: skipped */
    if (ikev2_builder_finish(&b, &len) < 0)
        return 0;
    *first = ikev2_builder_first_type(&b);
    return len;
}

static void test_every_payload(void) {
    static uint8_t inner[1024], msg[2048];
    static struct ikev2_payload_list list;
    static struct ikev2_message m;
    static struct ikev2_sa sa;
    static struct ikev2_ts ts;
    static struct ikev2_cp cp;
    struct ikev2_parse_status st;
    uint8_t first = 0;
    size_t inner_len = build_inner(inner, sizeof(inner), &first);

    CHECK(inner_len > 0);
    CHECK_INT_EQ(first, IKEV2_PAYLOAD_IDR);

    /* Header + SK: the body reserved, the header length final before the
     * crypto code fills it in (identity "encryption" here). */
    struct ikev2_builder b;
    const struct ikev2_header h = {
        .ispi = 1, .rspi = 2, .exchange = IKEV2_EXCHANGE_IKE_AUTH, .flags = IKEV2_FLAG_RESPONSE,
        .message_id = 1,
    };
    uint8_t *body = NULL;
    size_t len;
    ikev2_builder_init(&b, msg, sizeof(msg));
    ikev2_build_header(&b, &h);
    CHECK_INT_EQ(ikev2_build_sk(&b, first, inner_len, &body), 0);
    CHECK(body == msg + 28 + 4);
    CHECK_INT_EQ(ikev2_builder_finish(&b, &len), 0);
    CHECK_INT_EQ(len, 28 + 4 + inner_len);
    /* Nothing may follow SK. */
    CHECK_INT_EQ(ikev2_build_vendor_id(&b, "x", 1), -EINVAL);
    memcpy(body, inner, inner_len);

    CHECK_INT_EQ(ikev2_message_parse(msg, len, &m, &st), 0);
    CHECK(m.sk != NULL);
    CHECK_INT_EQ(m.sk->type, IKEV2_PAYLOAD_SK);
    CHECK_INT_EQ(m.sk->next_type, IKEV2_PAYLOAD_IDR);
    CHECK(m.sk->body == body && m.sk->len == inner_len);
    CHECK_INT_EQ(ikev2_chain_parse(m.sk->body, m.sk->len, m.sk->next_type, 32, &list, &st), 0);
    CHECK_INT_EQ(list.n, 12);
    CHECK_INT_EQ(list.n_skipped, 1);

    struct ikev2_id id;
    CHECK_INT_EQ(ikev2_id_decode(&list.p[0], &id, &st), 0);
    CHECK_INT_EQ(list.p[0].type, IKEV2_PAYLOAD_IDR);
    CHECK_INT_EQ(id.type, IKEV2_ID_FQDN);
    CHECK(id.len == 15 && memcmp(id.data, "vpn.example.org", 15) == 0);
    struct ikev2_cert c;
    CHECK_INT_EQ(ikev2_cert_decode(&list.p[1], &c, &st), 0);
    CHECK_INT_EQ(list.p[1].type, IKEV2_PAYLOAD_CERT);
    CHECK(c.len == 4 && memcmp(c.data, "\x30\x82\x01\x00", 4) == 0);
    struct ikev2_auth a;
    CHECK_INT_EQ(ikev2_auth_decode(&list.p[2], &a, &st), 0);
    CHECK_INT_EQ(a.method, IKEV2_AUTH_DIGITAL_SIGNATURE);
    CHECK(a.len == 9 && memcmp(a.data, "signature", 9) == 0);
    struct ikev2_eap e;
    CHECK_INT_EQ(ikev2_eap_decode(&list.p[3], &e, &st), 0);
    CHECK_INT_EQ(e.code, IKEV2_EAP_REQUEST);
    CHECK_INT_EQ(e.id, 7);
    CHECK_INT_EQ(e.type, IKEV2_EAP_TYPE_IDENTITY);
    CHECK_INT_EQ(e.len, 0);
    CHECK_INT_EQ(e.packet_len, 5);

    CHECK_INT_EQ(ikev2_cp_decode(&list.p[4], &cp, &st), 0);
    CHECK_INT_EQ(cp.type, IKEV2_CFG_REPLY);
    CHECK_INT_EQ(cp.n, 4);
    CHECK_INT_EQ(cp.attrs[0].type, IKEV2_CP_INTERNAL_IP4_ADDRESS);
    CHECK(cp.attrs[0].len == 4 && memcmp(cp.attrs[0].value, "\x0a\x08\x00\x02", 4) == 0);
    CHECK_INT_EQ(cp.attrs[2].type, IKEV2_CP_UNITY_BANNER);
    CHECK(cp.attrs[2].len == 19 && memcmp(cp.attrs[2].value, "Authorized use only", 19) == 0);
    CHECK_INT_EQ(cp.attrs[3].type, IKEV2_CP_INTERNAL_IP6_ADDRESS);
    CHECK_INT_EQ(cp.attrs[3].len, 0);

    CHECK_INT_EQ(ikev2_sa_decode(&list.p[5], &sa, &st), 0);
    CHECK_INT_EQ(sa.proposals[0].protocol, IKEV2_PROTOCOL_ESP);
    CHECK_INT_EQ(sa.proposals[0].spi_size, 4);
    CHECK(memcmp(sa.proposals[0].spi, "\xc0\x01\xd0\x0d", 4) == 0);
    CHECK_INT_EQ(sa.n_transforms, 2);
    CHECK_INT_EQ(sa.transforms[1].type, IKEV2_TRANSFORM_ESN);

    CHECK_INT_EQ(ikev2_ts_decode(&list.p[6], &ts, &st), 0);
    CHECK_INT_EQ(list.p[6].type, IKEV2_PAYLOAD_TSI);
    CHECK_INT_EQ(ts.n, 2);
    CHECK_INT_EQ(ts.sel[0].type, IKEV2_TS_IPV4_ADDR_RANGE);
    CHECK_INT_EQ(ts.sel[0].end_port, 65535);
    CHECK(memcmp(ts.sel[0].start_addr, "\x0a\x08\x00\x02", 4) == 0);
    CHECK_INT_EQ(ts.sel[1].type, IKEV2_TS_IPV6_ADDR_RANGE);
    CHECK_INT_EQ(ts.sel[1].ip_protocol, 6);
    CHECK_INT_EQ(ts.sel[1].start_port, 443);
    CHECK_INT_EQ(ts.sel[1].end_addr[15], 0xff);
    CHECK_INT_EQ(ts.sel[1].start_addr[15], 0);
    CHECK_INT_EQ(ikev2_ts_decode(&list.p[7], &ts, &st), 0);
    CHECK_INT_EQ(list.p[7].type, IKEV2_PAYLOAD_TSR);
    CHECK_INT_EQ(ts.n, 1);

    struct ikev2_notify n;
    CHECK_INT_EQ(ikev2_notify_decode(&list.p[8], &n, &st), 0);
    CHECK_INT_EQ(n.protocol, IKEV2_PROTOCOL_ESP);
    CHECK_INT_EQ(n.spi_size, 4);
    CHECK(memcmp(n.spi, "\xc0\x01\xd0\x0d", 4) == 0);
    CHECK_INT_EQ(n.type, IKEV2_N_REKEY_SA);
    CHECK_INT_EQ(n.len, 0);

    struct ikev2_delete d;
    CHECK_INT_EQ(ikev2_delete_decode(&list.p[9], &d, &st), 0);
    CHECK_INT_EQ(d.protocol, IKEV2_PROTOCOL_ESP);
    CHECK_INT_EQ(d.n_spis, 2);
    CHECK(memcmp(d.spis, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0);
    CHECK_INT_EQ(ikev2_delete_decode(&list.p[10], &d, &st), 0);
    CHECK_INT_EQ(d.protocol, IKEV2_PROTOCOL_IKE);
    CHECK_INT_EQ(d.n_spis, 0);

    CHECK_INT_EQ(ikev2_eap_decode(&list.p[11], &e, &st), 0);
    CHECK_INT_EQ(e.code, IKEV2_EAP_SUCCESS);
    CHECK_INT_EQ(e.packet_len, 4);


    char line[256];
    ikev2_message_describe(&m.header, &m.payloads, &list, line, sizeof(line));
    CHECK_STR_EQ(line, "IKE_AUTH response 1 [ IDr CERT AUTH EAP/REQ/ID CPRP(ADDR DNS U_BANNER ADDR6) "
                       "SA TSi TSr N(REKEY_SA) D D EAP/SUCC ]");

    /* The same unknown payload marked critical stops the parse, naming it. */
    ikev2_builder_init(&b, msg, sizeof(msg));
    ikev2_build_vendor_id(&b, "v", 1);
    ikev2_build_payload(&b, 99, true, "zz", 2);
    CHECK_INT_EQ(ikev2_builder_finish(&b, &len), 0);
    CHECK_INT_EQ(ikev2_chain_parse(msg, len, IKEV2_PAYLOAD_VENDOR_ID, 0, &list, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV2_PARSE_UNSUPPORTED_CRITICAL);
    CHECK_INT_EQ(st.payload_type, 99);
    CHECK_INT_EQ(st.offset, 5);
}

/* Fragments (RFC 7383): numbers in the body, first inner type in fragment 1 only. */
static void test_fragments(void) {
    static uint8_t msg[256];
    static struct ikev2_message m;
    struct ikev2_parse_status st;
    struct ikev2_builder b;
    const struct ikev2_header h = {
        .ispi = 1, .rspi = 2, .exchange = IKEV2_EXCHANGE_IKE_AUTH, .flags = IKEV2_FLAG_INITIATOR,
        .message_id = 1,
    };
    uint8_t *body;
    size_t len;

    for (uint16_t i = 1; i <= 3; i++) {
        ikev2_builder_init(&b, msg, sizeof(msg));
        ikev2_build_header(&b, &h);
        CHECK_INT_EQ(ikev2_build_skf(&b, i == 1 ? IKEV2_PAYLOAD_IDI : 0, i, 3, 48, &body), 0);
        CHECK_INT_EQ(ikev2_builder_finish(&b, &len), 0);
        CHECK(body == msg + 28 + 8);
        CHECK_INT_EQ(len, 28 + 8 + 48);
        CHECK_INT_EQ(ikev2_message_parse(msg, len, &m, &st), 0);
        CHECK(m.sk == &m.payloads.p[0]);
        CHECK_INT_EQ(m.sk->next_type, i == 1 ? IKEV2_PAYLOAD_IDI : 0);
        struct ikev2_skf f;
        CHECK_INT_EQ(ikev2_skf_decode(m.sk, &f, &st), 0);
        CHECK_INT_EQ(f.number, i);
        CHECK_INT_EQ(f.total, 3);
        CHECK(f.data == body && f.len == 48);
        char line[64];
        ikev2_message_describe(&m.header, &m.payloads, NULL, line, sizeof(line));
        char expect[64];
        snprintf(expect, sizeof(expect), "IKE_AUTH request 1 [ EF(%u/3) ]", i);
        CHECK_STR_EQ(line, expect);
    }

    ikev2_builder_init(&b, msg, sizeof(msg));
    CHECK_INT_EQ(ikev2_build_skf(&b, 0, 0, 3, 16, &body), -EINVAL);
    CHECK(body == NULL);
    ikev2_builder_init(&b, msg, sizeof(msg));
    CHECK_INT_EQ(ikev2_build_skf(&b, 0, 4, 3, 16, &body), -EINVAL);
    ikev2_builder_init(&b, msg, sizeof(msg));
    CHECK_INT_EQ(ikev2_build_skf(&b, IKEV2_PAYLOAD_IDI, 2, 3, 16, &body), -EINVAL);
}

/* Bad arguments are refused, and the error sticks. */
static void test_bad_arguments(void) {
    static uint8_t buf[512];
    static const uint8_t big[300];
    struct ikev2_builder b;
    const struct ikev2_header h = { .exchange = IKEV2_EXCHANGE_INFORMATIONAL };
    struct ikev2_ts_selector sel = { .type = IKEV2_TS_SECLABEL };
    size_t len;

    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_nonce(&b, big, 15), -EINVAL);
    CHECK_INT_EQ(ikev2_build_vendor_id(&b, "ok", 2), -EINVAL);     /* sticky */
    CHECK_INT_EQ(ikev2_builder_finish(&b, &len), -EINVAL);

    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_nonce(&b, big, 257), -EINVAL);
    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_nonce(&b, big, 256), 0);
    CHECK_INT_EQ(ikev2_build_header(&b, &h), -EINVAL);             /* header must be first */

    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_ts(&b, IKEV2_PAYLOAD_TSI, &sel, 1), -EINVAL);
    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_ts(&b, IKEV2_PAYLOAD_SA, &sel, 0), -EINVAL);
    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_id(&b, IKEV2_PAYLOAD_AUTH, IKEV2_ID_FQDN, "a", 1), -EINVAL);
    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_cert(&b, IKEV2_PAYLOAD_IDI, 4, "a", 1), -EINVAL);
    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_eap(&b, IKEV2_EAP_FAILURE, 1, 0, "x", 1), -EINVAL);
    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_notify(&b, 0, big, 9, IKEV2_N_COOKIE, NULL, 0), -EINVAL);
    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_end(&b), -EINVAL);                    /* nothing open */
    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_begin(&b, IKEV2_PAYLOAD_NOTIFY), 0);
    CHECK_INT_EQ(ikev2_build_begin(&b, IKEV2_PAYLOAD_NOTIFY), -EINVAL);    /* nested */
    ikev2_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev2_build_begin(&b, IKEV2_PAYLOAD_NOTIFY), 0);
    CHECK_INT_EQ(ikev2_builder_finish(&b, &len), -EINVAL);         /* still open */

    /* A payload over 65535 bytes cannot be expressed. */
    static uint8_t huge_buf[70000];
    static const uint8_t huge[66000];
    ikev2_builder_init(&b, huge_buf, sizeof(huge_buf));
    CHECK_INT_EQ(ikev2_build_payload(&b, IKEV2_PAYLOAD_CERT, false, huge, sizeof(huge)), -EMSGSIZE);
}

TEST_MAIN(
    TEST(test_sa_init_response),
    TEST(test_capacity),
    TEST(test_sa_rebuild),
    TEST(test_every_payload),
    TEST(test_fragments),
    TEST(test_bad_arguments),
)
