/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Building: every payload built then parsed back with its fields; the SA
 * payloads of strongSwan's, vpnc's and ike-scan's messages rebuilt byte for
 * byte; a responder's one-transform SA with a life duration beyond 16 bits;
 * the encrypted layout with the HASH span; short capacities; bad arguments.
 */
#include <errno.h>

#include "captured-messages.h"
#include "ikev1-payload.h"
#include "testing.h"

static struct ikev1_message msg;
static struct ikev1_sa sa;
static struct ikev1_parse_status st;
static uint8_t buf[4096];

static const struct ikev1_header hdr = {
    .icookie = { 1, 2, 3, 4, 5, 6, 7, 8 },
    .rcookie = { 9, 10, 11, 12, 13, 14, 15, 16 },
    .exchange = IKEV1_EXCHANGE_AGGRESSIVE,
};

static void test_every_payload(void) {
    struct ikev1_builder b;
    static const uint8_t ke[128] = { 0xaa, [127] = 0xbb };
    static const uint8_t nonce[20] = { 0x11, [19] = 0x22 };
    static const uint8_t hash[20] = { 0x33 };
    static const uint8_t spi16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    static const uint8_t spis[8] = { 0xc0, 0, 0, 1, 0xc0, 0, 0, 2 };
    static const uint8_t v4[4] = { 192, 0, 2, 7 };
    static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
    uint8_t st4[4];
    struct ikev1_attribute attrs[3] = {
        { .type = IKEV1_CFG_INTERNAL_IP4_ADDRESS, .value = v4, .len = 4 },
        { .type = IKEV1_UNITY_BANNER, .value = (const uint8_t *)"Authorized use only", .len = 19 },
        { 0 },
    };
    attrs[2] = ikev1_attribute_from_number(IKEV1_UNITY_SAVE_PASSWD, 1, st4);
    size_t len;

    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &hdr);
    ikev1_build_ke(&b, ke, sizeof(ke));
    ikev1_build_nonce(&b, nonce, sizeof(nonce));
    ikev1_build_id(&b, IKEV1_ID_KEY_ID, 17, 500, "ezvpn-group", 11);
    ikev1_build_hash(&b, hash, sizeof(hash));
    ikev1_build_sig(&b, "sig", 3);
    ikev1_build_notify(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_ISAKMP, spi16, 16, IKEV1_N_DPD_R_U_THERE,
                       "\0\0\0\5", 4);
    ikev1_build_delete(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_IPSEC_ESP, 4, spis, 2);
    ikev1_build_vendor_id(&b, ikev1_vendor_id_get(IKEV1_VENDOR_DPD)->bytes, 16);
    ikev1_build_cfg(&b, IKEV1_CFG_SET, 0xbeef, attrs, 3);
    ikev1_build_nat_d(&b, IKEV1_PAYLOAD_NAT_D_DRAFT, hash, sizeof(hash));
    ikev1_build_nat_d(&b, IKEV1_PAYLOAD_NAT_D, hash, 16);
    ikev1_build_nat_oa(&b, IKEV1_PAYLOAD_NAT_OA, v4, 4);
    ikev1_build_nat_oa(&b, IKEV1_PAYLOAD_NAT_OA_DRAFT, v6, 16);
    ikev1_build_cert(&b, IKEV1_PAYLOAD_CERT, IKEV1_CERT_X509_SIG, "\x30\x03\x02\x01\x01", 5);
    ikev1_build_cert(&b, IKEV1_PAYLOAD_CR, IKEV1_CERT_X509_SIG, NULL, 0);
    ikev1_build_payload(&b, IKEV1_PAYLOAD_FRAGMENT, "\0\1\1\1frag", 8);
    CHECK_INT_EQ(ikev1_builder_finish(&b, &len), 0);
    CHECK_INT_EQ(ikev1_builder_first_type(&b), IKEV1_PAYLOAD_KE);

    CHECK_INT_EQ(ikev1_message_parse(buf, len, &msg, &st), 0);
    CHECK(memcmp(msg.header.icookie, hdr.icookie, 8) == 0);
    CHECK(memcmp(msg.header.rcookie, hdr.rcookie, 8) == 0);
    CHECK_INT_EQ(msg.header.length, len);
    CHECK_INT_EQ(msg.payloads.n, 16);
    char line[256];
    ikev1_message_describe(&msg.header, NULL, &msg.payloads, line, sizeof(line));
    CHECK_STR_EQ(line, "Aggressive Mode [ KE No ID HASH SIG N(DPD) D V CPS(ADDR U_BANNER U_SAVEPWD) "
                       "NAT-D(draft) NAT-D NAT-OA NAT-OA(draft) CERT CR FRAG(1, last) ]");

    const struct ikev1_payload *p = msg.payloads.p;
    struct ikev1_data d;
    CHECK_INT_EQ(ikev1_ke_decode(&p[0], &d, &st), 0);
    CHECK(d.len == 128 && memcmp(d.data, ke, 128) == 0);
    CHECK_INT_EQ(ikev1_nonce_decode(&p[1], &d, &st), 0);
    CHECK(d.len == 20 && memcmp(d.data, nonce, 20) == 0);
    struct ikev1_id id;
    CHECK_INT_EQ(ikev1_id_decode(&p[2], &id, &st), 0);
    CHECK(id.type == IKEV1_ID_KEY_ID && id.protocol == 17 && id.port == 500);
    CHECK(id.len == 11 && memcmp(id.data, "ezvpn-group", 11) == 0);
    CHECK_INT_EQ(ikev1_hash_decode(&p[3], &d, &st), 0);
    CHECK(d.len == 20 && d.data[0] == 0x33);
    CHECK_INT_EQ(ikev1_sig_decode(&p[4], &d, &st), 0);
    CHECK(d.len == 3 && memcmp(d.data, "sig", 3) == 0);
    struct ikev1_notify n;
    CHECK_INT_EQ(ikev1_notify_decode(&p[5], &n, &st), 0);
    CHECK(n.doi == 1 && n.protocol == IKEV1_PROTO_ISAKMP && n.spi_size == 16 &&
          n.type == IKEV1_N_DPD_R_U_THERE && memcmp(n.spi, spi16, 16) == 0);
    CHECK(n.len == 4 && n.data[3] == 5);
    struct ikev1_delete del;
    CHECK_INT_EQ(ikev1_delete_decode(&p[6], &del, &st), 0);
    CHECK(del.protocol == IKEV1_PROTO_IPSEC_ESP && del.spi_size == 4 && del.n_spis == 2 &&
          memcmp(del.spis, spis, 8) == 0);
    CHECK_INT_EQ(ikev1_vendor_id_decode(&p[7], &d, &st), 0);
    CHECK(ikev1_vendor_id_identify(d.data, d.len)->vendor == IKEV1_VENDOR_DPD);
    static struct ikev1_cfg cfg;
    CHECK_INT_EQ(ikev1_cfg_decode(&p[8], &cfg, &st), 0);
    CHECK(cfg.type == IKEV1_CFG_SET && cfg.identifier == 0xbeef && cfg.n == 3);
    CHECK(!cfg.attrs[0].tv && cfg.attrs[0].len == 4 && memcmp(cfg.attrs[0].value, v4, 4) == 0);
    CHECK(cfg.attrs[1].len == 19 && memcmp(cfg.attrs[1].value, "Authorized use only", 19) == 0);
    CHECK(cfg.attrs[2].type == IKEV1_UNITY_SAVE_PASSWD && cfg.attrs[2].tv && cfg.attrs[2].tv_value == 1);
    CHECK_INT_EQ(ikev1_nat_d_decode(&p[9], &d, &st), 0);
    CHECK(p[9].type == IKEV1_PAYLOAD_NAT_D_DRAFT && d.len == 20);
    CHECK_INT_EQ(ikev1_nat_d_decode(&p[10], &d, &st), 0);
    CHECK(p[10].type == IKEV1_PAYLOAD_NAT_D && d.len == 16);
    struct ikev1_nat_oa oa;
    CHECK_INT_EQ(ikev1_nat_oa_decode(&p[11], &oa, &st), 0);
    CHECK(oa.id_type == IKEV1_ID_IPV4_ADDR && oa.len == 4 && memcmp(oa.addr, v4, 4) == 0);
    CHECK_INT_EQ(ikev1_nat_oa_decode(&p[12], &oa, &st), 0);
    CHECK(oa.id_type == IKEV1_ID_IPV6_ADDR && oa.len == 16 && memcmp(oa.addr, v6, 16) == 0);
    struct ikev1_cert c;
    CHECK_INT_EQ(ikev1_cert_decode(&p[13], &c, &st), 0);
    CHECK(c.encoding == IKEV1_CERT_X509_SIG && c.len == 5);
    CHECK_INT_EQ(ikev1_cert_decode(&p[14], &c, &st), 0);
    CHECK(p[14].type == IKEV1_PAYLOAD_CR && c.len == 0);
    struct ikev1_fragment f;
    CHECK_INT_EQ(ikev1_fragment_decode(&p[15], &f, &st), 0);
    CHECK(f.id == 1 && f.number == 1 && f.last && f.len == 4);
}

/* The captured SA payloads, decoded then rebuilt: the same bytes. */
static void rebuild_sa(const uint8_t *m, size_t mlen) {
    struct ikev1_builder b;
    size_t len;

    CHECK_INT_EQ(ikev1_message_parse(m, mlen, &msg, &st), 0);
    const struct ikev1_payload *p = ikev1_payload_find(&msg.payloads, IKEV1_PAYLOAD_SA);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_INT_EQ(ikev1_sa_decode(p, &sa, &st), 0);
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_sa_copy(&b, &sa);
    CHECK_INT_EQ(ikev1_builder_finish(&b, &len), 0);
    CHECK_INT_EQ(len, p->len + 4);
    CHECK(memcmp(buf + 4, p->body, p->len) == 0);
}

static void test_captured_sa_rebuilt(void) {
    rebuild_sa(strongswan_main_mm1, sizeof(strongswan_main_mm1));
    rebuild_sa(strongswan_aggr_am1, sizeof(strongswan_aggr_am1));
    rebuild_sa(vpnc_aggr_am1, sizeof(vpnc_aggr_am1));
    rebuild_sa(ike_scan_aggr_am1, sizeof(ike_scan_aggr_am1));
    rebuild_sa(strongswan_aggr_am2, sizeof(strongswan_aggr_am2));
}

/* A responder's answer to vpnc: its chosen transform, life as TLV above 65535. */
static void test_responder_sa(void) {
    struct ikev1_builder b;
    uint8_t s1[4], s2[4], s3[4];
    struct ikev1_attribute attrs[] = {
        ikev1_attribute_from_number(IKEV1_P1_ENCRYPTION, IKEV1_ENCR_AES_CBC, s1),
        { .type = IKEV1_P1_KEY_LENGTH, .tv = true, .tv_value = 256 },
        { .type = IKEV1_P1_HASH, .tv = true, .tv_value = IKEV1_HASH_SHA1 },
        { .type = IKEV1_P1_GROUP_DESCRIPTION, .tv = true, .tv_value = IKEV1_GROUP_MODP_1024 },
        ikev1_attribute_from_number(IKEV1_P1_AUTH_METHOD, IKEV1_AUTH_XAUTH_INIT_PSK, s2),
        { .type = IKEV1_P1_LIFE_TYPE, .tv = true, .tv_value = IKEV1_LIFE_SECONDS },
        ikev1_attribute_from_number(IKEV1_P1_LIFE_DURATION, 86400, s3),
    };
    const struct ikev1_build_transform t = { .number = 0, .id = IKEV1_KEY_IKE, .attrs = attrs, .n_attrs = 7 };
    size_t len;

    CHECK(attrs[0].tv && attrs[4].tv && !attrs[6].tv && attrs[6].len == 4);
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &hdr);
    ikev1_build_sa(&b, 1, IKEV1_PROTO_ISAKMP, NULL, 0, &t, 1);
    CHECK_INT_EQ(ikev1_builder_finish(&b, &len), 0);
    /* 28 header + 4 + 8 (DOI, situation) + 8 proposal + 8 transform + 6 TV * 4 + 8 TLV */
    CHECK_INT_EQ(len, 28 + 4 + 8 + 8 + 8 + 24 + 8);
    CHECK_INT_EQ(ikev1_message_parse(buf, len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_sa_decode(&msg.payloads.p[0], &sa, &st), 0);
    CHECK(sa.n_proposals == 1 && sa.n_transforms == 1 && sa.n_attributes == 7);
    const struct ikev1_attribute *life = ikev1_transform_attribute(&sa, &sa.transforms[0],
                                                                   IKEV1_P1_LIFE_DURATION);
    uint64_t v = 0;
    CHECK(life && !life->tv && ikev1_attribute_number(life, &v) == 0 && v == 86400);
    CHECK(ikev1_transform_attribute(&sa, &sa.transforms[0], IKEV1_P1_AUTH_METHOD)->tv_value ==
          IKEV1_AUTH_XAUTH_INIT_PSK);

    /* A Quick Mode ESP proposal: SPI, UDP-encapsulated tunnel (draft number). */
    struct ikev1_attribute esp_attrs[] = {
        { .type = IKEV1_IPSEC_ENCAPSULATION_MODE, .tv = true, .tv_value = IKEV1_ENCAP_UDP_TUNNEL_DRAFT },
        { .type = IKEV1_IPSEC_AUTH_ALGORITHM, .tv = true, .tv_value = IKEV1_AUTH_ALG_HMAC_SHA1 },
        { .type = IKEV1_IPSEC_KEY_LENGTH, .tv = true, .tv_value = 256 },
    };
    const struct ikev1_build_transform esp = { .number = 1, .id = IKEV1_ESP_AES, .attrs = esp_attrs, .n_attrs = 3 };
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_sa(&b, 1, IKEV1_PROTO_IPSEC_ESP, "\xc1\x00\x00\x01", 4, &esp, 1);
    CHECK_INT_EQ(ikev1_builder_finish(&b, &len), 0);
    static struct ikev1_payload_list list;
    CHECK_INT_EQ(ikev1_chain_parse(buf, len, IKEV1_PAYLOAD_SA, 0, 0, &list, &st), 0);
    CHECK_INT_EQ(ikev1_sa_decode(&list.p[0], &sa, &st), 0);
    CHECK(sa.proposals[0].protocol == IKEV1_PROTO_IPSEC_ESP && sa.proposals[0].spi_size == 4);
    CHECK(memcmp(sa.proposals[0].spi, "\xc1\x00\x00\x01", 4) == 0);
    CHECK(sa.transforms[0].id == IKEV1_ESP_AES);
    CHECK(ikev1_transform_attribute(&sa, &sa.transforms[0], IKEV1_IPSEC_ENCAPSULATION_MODE)->tv_value ==
          IKEV1_ENCAP_UDP_TUNNEL_DRAFT);
}

/* A Transaction message as the daemon will send it: the plaintext chain in
 * its own buffer with a reserved HASH, then the encrypted message. */
static void test_encrypted_with_hash(void) {
    struct ikev1_builder b;
    static uint8_t plain[512];
    struct ikev1_hash_slot slot;
    static const struct ikev1_attribute req[] = {
        { .type = IKEV1_XAUTH_TYPE, .tv = true, .tv_value = IKEV1_XAUTH_TYPE_GENERIC },
        { .type = IKEV1_XAUTH_USER_NAME },
        { .type = IKEV1_XAUTH_USER_PASSWORD },
    };
    size_t plen, len;

    ikev1_builder_init(&b, plain, sizeof(plain));
    CHECK_INT_EQ(ikev1_builder_hash_span(&b, &slot), -ENOENT);
    ikev1_build_hash_reserve(&b, 20);
    ikev1_build_cfg(&b, IKEV1_CFG_REQUEST, 7, req, 3);
    CHECK_INT_EQ(ikev1_builder_finish(&b, &plen), 0);
    CHECK_INT_EQ(ikev1_builder_hash_span(&b, &slot), 0);
    CHECK_INT_EQ(slot.hash_offset, 4);
    CHECK_INT_EQ(slot.hash_len, 20);
    CHECK_INT_EQ(slot.covered_offset, 24);
    CHECK_INT_EQ(slot.covered_len, plen - 24);
    CHECK_INT_EQ(plen, 24 + 4 + 4 + 4 + 4 + 4);
    memset(plain + slot.hash_offset, 0x5a, slot.hash_len);

    /* The parser's span over the same chain agrees. */
    static struct ikev1_payload_list list;
    struct ikev1_hash_span span;
    CHECK_INT_EQ(ikev1_chain_parse(plain, plen, ikev1_builder_first_type(&b), 0, 0, &list, &st), 0);
    CHECK_INT_EQ(ikev1_chain_hash_span(&list, &span), 0);
    CHECK(span.hash == plain + slot.hash_offset && span.hash_len == slot.hash_len);
    CHECK(span.covered == plain + slot.covered_offset && span.covered_len == slot.covered_len);

    /* Encrypted message: header with E, ciphertext of the padded length. */
    struct ikev1_header h = hdr;
    h.exchange = IKEV1_EXCHANGE_TRANSACTION;
    h.flags = IKEV1_FLAG_ENCRYPTION;
    h.message_id = 0x1234abcd;
    uint8_t *body;
    size_t padded = (plen + 15) / 16 * 16;
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &h);
    CHECK_INT_EQ(ikev1_build_encrypted(&b, IKEV1_PAYLOAD_HASH, padded, &body), 0);
    CHECK(body == buf + 28);
    memcpy(body, plain, plen);                  /* stands in for the cipher */
    /* Nothing may follow the ciphertext. */
    CHECK_INT_EQ(ikev1_build_vendor_id(&b, "x", 1), -EINVAL);
    CHECK_INT_EQ(ikev1_builder_finish(&b, &len), -EINVAL);

    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &h);
    ikev1_build_encrypted(&b, IKEV1_PAYLOAD_HASH, padded, &body);
    memcpy(body, plain, plen);
    CHECK_INT_EQ(ikev1_builder_finish(&b, &len), 0);
    CHECK_INT_EQ(len, 28 + padded);
    CHECK_INT_EQ(ikev1_message_parse(buf, len, &msg, &st), 0);
    CHECK(msg.encrypted && msg.body_len == padded && msg.header.next_payload == IKEV1_PAYLOAD_HASH);
    CHECK_INT_EQ(ikev1_chain_parse(msg.body, msg.body_len, msg.header.next_payload, IKEV1_HEADER_LEN,
                                   IKEV1_CHAIN_DECRYPTED, &list, &st), 0);
    CHECK_INT_EQ(list.padding, padded - plen);
    char line[128];
    ikev1_message_describe(&msg.header, "request", &list, line, sizeof(line));
    CHECK_STR_EQ(line, "TRANSACTION request 0x1234abcd [ HASH CPRQ(X_TYPE X_USER X_PWD) ]");

    /* Without the E flag in the header, no ciphertext. */
    h.flags = 0;
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &h);
    CHECK_INT_EQ(ikev1_build_encrypted(&b, IKEV1_PAYLOAD_HASH, 16, &body), -EINVAL);
    CHECK(body == NULL);
}

/* Every capacity short of the message fails with -ENOBUFS, never writes
 * past it, and the full capacity succeeds. */
static void test_short_capacity(void) {
    static uint8_t big[2048];
    size_t full = 0;

    for (size_t cap = 0;; cap++) {
        struct ikev1_builder b;
        size_t len;
        uint8_t st4[4];
        struct ikev1_attribute life = ikev1_attribute_from_number(IKEV1_P1_LIFE_DURATION, 100000, st4);
        const struct ikev1_build_transform t = { .number = 1, .id = 1, .attrs = &life, .n_attrs = 1 };

        memset(big, 0xee, sizeof(big));
        ikev1_builder_init(&b, big, cap);
        ikev1_build_header(&b, &hdr);
        ikev1_build_sa(&b, 1, IKEV1_PROTO_ISAKMP, NULL, 0, &t, 1);
        ikev1_build_nonce(&b, "0123456789", 10);
        ikev1_build_id(&b, IKEV1_ID_FQDN, 0, 0, "vpn.example.org", 15);
        ikev1_build_vendor_id(&b, "vpnd", 4);
        int r = ikev1_builder_finish(&b, &len);
        for (size_t i = cap; i < sizeof(big); i++)
            if (big[i] != 0xee) {
                CHECK(!"write past the capacity");
                break;
            }
        if (r == 0) {
            full = len;
            CHECK_INT_EQ(len, cap);
            break;
        }
        CHECK_INT_EQ(r, -ENOBUFS);
        if (cap > sizeof(big) - 1)
            break;
    }
    CHECK_INT_EQ(full, 28 + 4 + 8 + 8 + 8 + 8 + 4 + 10 + 4 + 4 + 15 + 4 + 4);
}

static void test_bad_arguments(void) {
    struct ikev1_builder b;
    uint8_t *body;
    size_t len;
    static uint8_t too_long[257];
    const struct ikev1_build_transform t = { .number = 1, .id = 1 };

#define EXPECT_EINVAL(call) do {                        \
        ikev1_builder_init(&b, buf, sizeof(buf));       \
        CHECK_INT_EQ((call), -EINVAL);                  \
        /* sticky */                                    \
        CHECK_INT_EQ(ikev1_build_vendor_id(&b, "v", 1), -EINVAL); \
        CHECK_INT_EQ(ikev1_builder_finish(&b, &len), -EINVAL); \
    } while (0)

    EXPECT_EINVAL(ikev1_build_nonce(&b, "short", 5));
    EXPECT_EINVAL(ikev1_build_nonce(&b, too_long, sizeof(too_long)));
    EXPECT_EINVAL(ikev1_build_ke(&b, NULL, 0));
    EXPECT_EINVAL(ikev1_build_vendor_id(&b, NULL, 0));
    EXPECT_EINVAL(ikev1_build_hash(&b, NULL, 0));
    EXPECT_EINVAL(ikev1_build_delete(&b, 1, 3, 0, NULL, 1));
    EXPECT_EINVAL(ikev1_build_delete(&b, 1, 3, 4, "abcd", 0));
    EXPECT_EINVAL(ikev1_build_notify(&b, 1, 3, too_long, 17, 14, NULL, 0));
    EXPECT_EINVAL(ikev1_build_nat_d(&b, IKEV1_PAYLOAD_VENDOR_ID, "h", 1));
    EXPECT_EINVAL(ikev1_build_nat_oa(&b, IKEV1_PAYLOAD_NAT_OA, "abcde", 5));
    EXPECT_EINVAL(ikev1_build_cert(&b, IKEV1_PAYLOAD_CERT, 4, NULL, 0));
    EXPECT_EINVAL(ikev1_build_cert(&b, IKEV1_PAYLOAD_ID, 4, "x", 1));
    EXPECT_EINVAL(ikev1_build_sa(&b, 1, IKEV1_PROTO_ISAKMP, NULL, 0, &t, 0));
    EXPECT_EINVAL(ikev1_build_sa(&b, 1, IKEV1_PROTO_ISAKMP, too_long, 17, &t, 1));
    EXPECT_EINVAL(ikev1_build_begin(&b, IKEV1_PAYLOAD_PROPOSAL));
    EXPECT_EINVAL(ikev1_build_begin(&b, IKEV1_PAYLOAD_NONE));
    EXPECT_EINVAL(ikev1_build_end(&b));
    EXPECT_EINVAL(ikev1_build_append(&b, "x", 1));
    EXPECT_EINVAL(ikev1_build_encrypted(&b, IKEV1_PAYLOAD_HASH, 16, &body));
    /* An attribute type with the AF bit is the caller's mistake. */
    const struct ikev1_attribute af = { .type = 0x8001, .tv = true };
    EXPECT_EINVAL(ikev1_build_cfg(&b, 1, 0, &af, 1));
    /* A second reserved HASH, one not first, a zero-length one, a header not first. */
    ikev1_builder_init(&b, buf, sizeof(buf));
    CHECK_INT_EQ(ikev1_build_hash_reserve(&b, 20), 0);
    CHECK_INT_EQ(ikev1_build_hash_reserve(&b, 20), -EINVAL);
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &hdr);
    CHECK_INT_EQ(ikev1_build_hash_reserve(&b, 20), 0);
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_vendor_id(&b, "v", 1);
    CHECK_INT_EQ(ikev1_build_hash_reserve(&b, 20), -EINVAL);
    EXPECT_EINVAL(ikev1_build_hash_reserve(&b, 0));
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_vendor_id(&b, "v", 1);
    CHECK_INT_EQ(ikev1_build_header(&b, &hdr), -EINVAL);
    /* A payload left open. */
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_begin(&b, IKEV1_PAYLOAD_VENDOR_ID);
    CHECK_INT_EQ(ikev1_builder_finish(&b, &len), -EINVAL);
    /* A payload over 65535 bytes. */
    static uint8_t huge[70000], value[65532];
    ikev1_builder_init(&b, huge, sizeof(huge));
    CHECK_INT_EQ(ikev1_build_vendor_id(&b, value, sizeof(value)), -EMSGSIZE);
#undef EXPECT_EINVAL
}

TEST_MAIN(
    TEST(test_every_payload),
    TEST(test_captured_sa_rebuilt),
    TEST(test_responder_sa),
    TEST(test_encrypted_with_hash),
    TEST(test_short_capacity),
    TEST(test_bad_arguments),
)
