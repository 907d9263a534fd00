/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Parsing: real first messages from strongSwan, vpnc and ike-scan decoded
 * field by field; hand-made malformed messages, each with the error, payload
 * and offset it must give; decrypted chains with cipher padding; HASH spans;
 * vendor IDs; log lines.
 */
#include <errno.h>

#include "captured-messages.h"
#include "ikev1-payload.h"
#include "raw.h"
#include "testing.h"

static struct ikev1_message msg;
static struct ikev1_sa sa;
static struct ikev1_parse_status st;

static const struct ikev1_payload *nth(const struct ikev1_payload_list *l, uint8_t type, size_t n) {
    for (size_t i = 0; i < l->n; i++)
        if (l->p[i].type == type && n-- == 0)
            return &l->p[i];
    return NULL;
}

static uint64_t attr_value(const struct ikev1_transform *t, uint16_t type) {
    const struct ikev1_attribute *a = ikev1_transform_attribute(&sa, t, type);
    uint64_t v = UINT64_MAX;
    if (a)
        CHECK_INT_EQ(ikev1_attribute_number(a, &v), 0);
    return v;
}

static void check_vids(const struct ikev1_payload_list *l, const enum ikev1_vendor *want, size_t n) {
    CHECK_INT_EQ(ikev1_payload_count(l, IKEV1_PAYLOAD_VENDOR_ID), n);
    for (size_t i = 0; i < n; i++) {
        const struct ikev1_payload *p = nth(l, IKEV1_PAYLOAD_VENDOR_ID, i);
        struct ikev1_data v;
        CHECK(p != NULL);
        if (!p)
            return;
        CHECK_INT_EQ(ikev1_vendor_id_decode(p, &v, &st), 0);
        const struct ikev1_vendor_id_info *info = ikev1_vendor_id_identify(v.data, v.len);
        CHECK(info != NULL);
        if (info)
            CHECK_INT_EQ(info->vendor, want[i]);
    }
}

static void test_strongswan_main_mode(void) {
    static const uint8_t icookie[8] = { 0xf3, 0xa2, 0x08, 0x75, 0x63, 0xf2, 0x09, 0x78 };
    static const uint8_t zero[8];
    char line[256];

    CHECK_INT_EQ(ikev1_message_parse(strongswan_main_mm1, sizeof(strongswan_main_mm1), &msg, &st), 0);
    CHECK(memcmp(msg.header.icookie, icookie, 8) == 0);
    CHECK(memcmp(msg.header.rcookie, zero, 8) == 0);
    CHECK_INT_EQ(msg.header.major_version, 1);
    CHECK_INT_EQ(msg.header.minor_version, 0);
    CHECK_INT_EQ(msg.header.exchange, IKEV1_EXCHANGE_MAIN_MODE);
    CHECK_INT_EQ(msg.header.flags, 0);
    CHECK_INT_EQ(msg.header.message_id, 0);
    CHECK_INT_EQ(msg.header.length, 288);
    CHECK(!msg.encrypted);
    CHECK_INT_EQ(msg.payloads.n, 8);
    CHECK_INT_EQ(msg.payloads.padding, 0);
    ikev1_message_describe(&msg.header, "request", &msg.payloads, line, sizeof(line));
    CHECK_STR_EQ(line, "Main Mode request [ SA V V V V V V V ]");

    const struct ikev1_payload *p = &msg.payloads.p[0];
    CHECK_INT_EQ(p->type, IKEV1_PAYLOAD_SA);
    CHECK_INT_EQ(p->offset, 28);
    CHECK_INT_EQ(p->len, 120);
    CHECK_INT_EQ(ikev1_sa_decode(p, &sa, &st), 0);
    CHECK_INT_EQ(sa.doi, IKEV1_DOI_IPSEC);
    CHECK_INT_EQ(sa.situation, IKEV1_SIT_IDENTITY_ONLY);
    CHECK_INT_EQ(sa.n_proposals, 1);
    CHECK_INT_EQ(sa.proposals[0].number, 1);
    CHECK_INT_EQ(sa.proposals[0].protocol, IKEV1_PROTO_ISAKMP);
    CHECK_INT_EQ(sa.proposals[0].spi_size, 0);
    CHECK_INT_EQ(sa.proposals[0].n_transforms, 3);
    CHECK_INT_EQ(sa.n_attributes, 20);

    /* aes256-sha256-modp2048, aes128-sha1-modp1024, 3des-md5-modp1024, in that order. */
    static const struct { uint16_t encr, keylen, hash, group; } want[] = {
        { IKEV1_ENCR_AES_CBC, 256, IKEV1_HASH_SHA2_256, IKEV1_GROUP_MODP_2048 },
        { IKEV1_ENCR_AES_CBC, 128, IKEV1_HASH_SHA1, IKEV1_GROUP_MODP_1024 },
        { IKEV1_ENCR_3DES_CBC, 0, IKEV1_HASH_MD5, IKEV1_GROUP_MODP_1024 },
    };
    for (size_t i = 0; i < 3; i++) {
        const struct ikev1_transform *t = &sa.transforms[i];
        CHECK_INT_EQ(t->number, i + 1);
        CHECK_INT_EQ(t->id, IKEV1_KEY_IKE);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_ENCRYPTION), want[i].encr);
        if (want[i].keylen)
            CHECK_INT_EQ(attr_value(t, IKEV1_P1_KEY_LENGTH), want[i].keylen);
        else
            CHECK(ikev1_transform_attribute(&sa, t, IKEV1_P1_KEY_LENGTH) == NULL);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_HASH), want[i].hash);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_GROUP_DESCRIPTION), want[i].group);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_AUTH_METHOD), IKEV1_AUTH_PSK);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_LIFE_TYPE), IKEV1_LIFE_SECONDS);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_LIFE_DURATION), 15840);
        /* Every strongSwan attribute here is TV. */
        for (size_t a = 0; a < t->n_attributes; a++)
            CHECK(ikev1_transform_attributes(&sa, t)[a].tv);
    }
    /* Attributes keep wire order: encryption, key length, hash, group, auth, life type, life. */
    static const uint16_t order[] = { 1, 14, 2, 4, 3, 11, 12 };
    for (size_t a = 0; a < 7; a++)
        CHECK_INT_EQ(ikev1_transform_attributes(&sa, &sa.transforms[0])[a].type, order[a]);

    static const enum ikev1_vendor vids[] = {
        IKEV1_VENDOR_STRONGSWAN, IKEV1_VENDOR_XAUTH, IKEV1_VENDOR_DPD, IKEV1_VENDOR_CISCO_UNITY,
        IKEV1_VENDOR_CISCO_FRAGMENTATION, IKEV1_VENDOR_NATT_RFC3947, IKEV1_VENDOR_NATT_DRAFT_02N,
    };
    check_vids(&msg.payloads, vids, 7);
    /* strongSwan's fragmentation VID carries Cisco's capability bytes: Main Mode. */
    const struct ikev1_payload *frag = nth(&msg.payloads, IKEV1_PAYLOAD_VENDOR_ID, 4);
    CHECK_INT_EQ(frag->len, 20);
    CHECK(frag->body[16] == 0x80 && frag->body[17] == 0 && frag->body[19] == 0);
}

static void test_strongswan_aggressive_mode(void) {
    char line[256];

    CHECK_INT_EQ(ikev1_message_parse(strongswan_aggr_am1, sizeof(strongswan_aggr_am1), &msg, &st), 0);
    CHECK_INT_EQ(msg.header.exchange, IKEV1_EXCHANGE_AGGRESSIVE);
    CHECK_INT_EQ(msg.header.length, 404);
    ikev1_message_describe(&msg.header, NULL, &msg.payloads, line, sizeof(line));
    CHECK_STR_EQ(line, "Aggressive Mode [ SA KE No ID V V V V V V V ]");

    CHECK_INT_EQ(ikev1_sa_decode(&msg.payloads.p[0], &sa, &st), 0);
    CHECK_INT_EQ(sa.n_transforms, 1);
    const struct ikev1_transform *t = &sa.transforms[0];
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_ENCRYPTION), IKEV1_ENCR_AES_CBC);
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_KEY_LENGTH), 128);
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_HASH), IKEV1_HASH_SHA1);
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_GROUP_DESCRIPTION), IKEV1_GROUP_MODP_1024);
    /* PSK with XAuth as a second round: XAUTHInitPreShared. */
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_AUTH_METHOD), IKEV1_AUTH_XAUTH_INIT_PSK);

    struct ikev1_data ke, nonce;
    CHECK_INT_EQ(ikev1_ke_decode(&msg.payloads.p[1], &ke, &st), 0);
    CHECK_INT_EQ(ke.len, 128);                  /* MODP-1024 */
    CHECK(ke.data == strongswan_aggr_am1 + 88);
    CHECK_INT_EQ(ikev1_nonce_decode(&msg.payloads.p[2], &nonce, &st), 0);
    CHECK_INT_EQ(nonce.len, 32);

    struct ikev1_id id;
    CHECK_INT_EQ(ikev1_id_decode(&msg.payloads.p[3], &id, &st), 0);
    CHECK_INT_EQ(id.type, IKEV1_ID_FQDN);
    CHECK_INT_EQ(id.protocol, 0);
    CHECK_INT_EQ(id.port, 0);
    CHECK_INT_EQ(id.len, 8);
    CHECK(memcmp(id.data, "vpngroup", 8) == 0);
    CHECK_INT_EQ(id.body_len, 12);
    CHECK(id.body == strongswan_aggr_am1 + 256);

    static const enum ikev1_vendor vids[] = {
        IKEV1_VENDOR_STRONGSWAN, IKEV1_VENDOR_XAUTH, IKEV1_VENDOR_DPD, IKEV1_VENDOR_CISCO_UNITY,
        IKEV1_VENDOR_CISCO_FRAGMENTATION, IKEV1_VENDOR_NATT_RFC3947, IKEV1_VENDOR_NATT_DRAFT_02N,
    };
    check_vids(&msg.payloads, vids, 7);
}

static void test_vpnc_aggressive_mode(void) {
    char line[256];

    CHECK_INT_EQ(ikev1_message_parse(vpnc_aggr_am1, sizeof(vpnc_aggr_am1), &msg, &st), 0);
    CHECK_INT_EQ(msg.header.exchange, IKEV1_EXCHANGE_AGGRESSIVE);
    CHECK_INT_EQ(msg.header.length, 1307);
    ikev1_message_describe(&msg.header, NULL, &msg.payloads, line, sizeof(line));
    CHECK_STR_EQ(line, "Aggressive Mode [ SA KE No ID V V V V V V V V V ]");

    CHECK_INT_EQ(ikev1_sa_decode(&msg.payloads.p[0], &sa, &st), 0);
    CHECK_INT_EQ(sa.n_proposals, 1);
    CHECK_INT_EQ(sa.proposals[0].n_transforms, 24);
    CHECK_INT_EQ(sa.n_attributes, 156);
    /* The first half offers XAUTHInitPreShared, the second plain PSK; each
     * half walks AES-256/192/128, 3DES, DES, NULL with SHA-1 then MD5. */
    static const struct { uint16_t encr, keylen; } ciphers[] = {
        { IKEV1_ENCR_AES_CBC, 256 }, { IKEV1_ENCR_AES_CBC, 192 }, { IKEV1_ENCR_AES_CBC, 128 },
        { IKEV1_ENCR_3DES_CBC, 0 }, { IKEV1_ENCR_DES_CBC, 0 }, { 0, 0 },
    };
    for (size_t i = 0; i < 24; i++) {
        const struct ikev1_transform *t = &sa.transforms[i];
        CHECK_INT_EQ(t->number, i);             /* vpnc counts from 0 */
        CHECK_INT_EQ(t->id, IKEV1_KEY_IKE);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_ENCRYPTION), ciphers[(i / 2) % 6].encr);
        if (ciphers[(i / 2) % 6].keylen)
            CHECK_INT_EQ(attr_value(t, IKEV1_P1_KEY_LENGTH), ciphers[(i / 2) % 6].keylen);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_HASH), i % 2 ? IKEV1_HASH_MD5 : IKEV1_HASH_SHA1);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_GROUP_DESCRIPTION), IKEV1_GROUP_MODP_1024);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_AUTH_METHOD),
                     i < 12 ? IKEV1_AUTH_XAUTH_INIT_PSK : IKEV1_AUTH_PSK);
        /* Life duration as a 4-byte TLV: 2147483 seconds. */
        const struct ikev1_attribute *life = ikev1_transform_attribute(&sa, t, IKEV1_P1_LIFE_DURATION);
        CHECK(life != NULL && !life->tv && life->len == 4);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_LIFE_DURATION), 2147483);
    }

    struct ikev1_data ke, nonce;
    CHECK_INT_EQ(ikev1_ke_decode(&msg.payloads.p[1], &ke, &st), 0);
    CHECK_INT_EQ(ke.len, 128);
    CHECK_INT_EQ(ikev1_nonce_decode(&msg.payloads.p[2], &nonce, &st), 0);
    CHECK_INT_EQ(nonce.len, 20);

    /* The group name as ID_KEY_ID, UDP port 500, as the Cisco client sends it. */
    struct ikev1_id id;
    CHECK_INT_EQ(ikev1_id_decode(&msg.payloads.p[3], &id, &st), 0);
    CHECK_INT_EQ(id.type, IKEV1_ID_KEY_ID);
    CHECK_INT_EQ(id.protocol, 17);
    CHECK_INT_EQ(id.port, 500);
    CHECK_INT_EQ(id.len, 11);
    CHECK(memcmp(id.data, "ezvpn-group", 11) == 0);

    static const enum ikev1_vendor vids[] = {
        IKEV1_VENDOR_XAUTH, IKEV1_VENDOR_CISCO_UNITY, IKEV1_VENDOR_NATT_RFC3947,
        IKEV1_VENDOR_NATT_DRAFT_03, IKEV1_VENDOR_NATT_DRAFT_02N, IKEV1_VENDOR_NATT_DRAFT_02,
        IKEV1_VENDOR_NATT_DRAFT_01, IKEV1_VENDOR_NATT_DRAFT_00, IKEV1_VENDOR_DPD,
    };
    check_vids(&msg.payloads, vids, 9);
}

/* strongSwan's answer to vpnc: the chosen transform, its ID, NAT-D, HASH_R. */
static void test_strongswan_aggressive_mode_response(void) {
    char line[256];

    CHECK_INT_EQ(ikev1_message_parse(strongswan_aggr_am2, sizeof(strongswan_aggr_am2), &msg, &st), 0);
    CHECK(memcmp(msg.header.icookie, vpnc_aggr_am1, 8) == 0);
    CHECK(memcmp(msg.header.rcookie, "\0\0\0\0\0\0\0\0", 8) != 0);
    CHECK_INT_EQ(msg.header.exchange, IKEV1_EXCHANGE_AGGRESSIVE);
    CHECK_INT_EQ(msg.header.flags, 0);
    ikev1_message_describe(&msg.header, "response", &msg.payloads, line, sizeof(line));
    CHECK_STR_EQ(line, "Aggressive Mode response [ SA KE No ID V V V V V NAT-D NAT-D HASH ]");

    /* One transform, vpnc's first: AES-256, SHA-1, group 2, XAUTHInitPreShared, TLV life. */
    CHECK_INT_EQ(ikev1_sa_decode(&msg.payloads.p[0], &sa, &st), 0);
    CHECK(sa.n_proposals == 1 && sa.n_transforms == 1 && sa.n_attributes == 7);
    const struct ikev1_transform *t = &sa.transforms[0];
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_ENCRYPTION), IKEV1_ENCR_AES_CBC);
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_KEY_LENGTH), 256);
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_HASH), IKEV1_HASH_SHA1);
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_GROUP_DESCRIPTION), IKEV1_GROUP_MODP_1024);
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_AUTH_METHOD), IKEV1_AUTH_XAUTH_INIT_PSK);
    CHECK_INT_EQ(attr_value(t, IKEV1_P1_LIFE_DURATION), 2147483);

    struct ikev1_data d;
    CHECK_INT_EQ(ikev1_ke_decode(&msg.payloads.p[1], &d, &st), 0);
    CHECK_INT_EQ(d.len, 128);
    CHECK_INT_EQ(ikev1_nonce_decode(&msg.payloads.p[2], &d, &st), 0);
    CHECK_INT_EQ(d.len, 32);
    struct ikev1_id id;
    CHECK_INT_EQ(ikev1_id_decode(&msg.payloads.p[3], &id, &st), 0);
    CHECK(id.type == IKEV1_ID_IPV4_ADDR && id.len == 4 && memcmp(id.data, "\xc0\x00\x02\x02", 4) == 0);

    static const enum ikev1_vendor vids[] = {
        IKEV1_VENDOR_STRONGSWAN, IKEV1_VENDOR_XAUTH, IKEV1_VENDOR_DPD, IKEV1_VENDOR_CISCO_UNITY,
        IKEV1_VENDOR_NATT_RFC3947,
    };
    check_vids(&msg.payloads, vids, 5);
    /* RFC 3947 was agreed, so NAT-D has its RFC number; SHA-1 hashes. */
    CHECK_INT_EQ(ikev1_payload_count(&msg.payloads, IKEV1_PAYLOAD_NAT_D), 2);
    CHECK_INT_EQ(ikev1_payload_count(&msg.payloads, IKEV1_PAYLOAD_NAT_D_DRAFT), 0);
    CHECK_INT_EQ(ikev1_nat_d_decode(nth(&msg.payloads, IKEV1_PAYLOAD_NAT_D, 1), &d, &st), 0);
    CHECK_INT_EQ(d.len, 20);
    const struct ikev1_payload *hash = &msg.payloads.p[msg.payloads.n - 1];
    CHECK_INT_EQ(ikev1_hash_decode(hash, &d, &st), 0);
    CHECK(d.len == 20 && d.data == strongswan_aggr_am2 + sizeof(strongswan_aggr_am2) - 20);
}

static void test_ike_scan_aggressive_mode(void) {
    CHECK_INT_EQ(ikev1_message_parse(ike_scan_aggr_am1, sizeof(ike_scan_aggr_am1), &msg, &st), 0);
    CHECK_INT_EQ(msg.header.exchange, IKEV1_EXCHANGE_AGGRESSIVE);
    CHECK_INT_EQ(msg.payloads.n, 4);
    CHECK_INT_EQ(ikev1_sa_decode(&msg.payloads.p[0], &sa, &st), 0);
    CHECK_INT_EQ(sa.n_transforms, 4);
    static const uint16_t encr[] = { IKEV1_ENCR_3DES_CBC, IKEV1_ENCR_3DES_CBC, IKEV1_ENCR_DES_CBC,
                                     IKEV1_ENCR_DES_CBC };
    for (size_t i = 0; i < 4; i++) {
        const struct ikev1_transform *t = &sa.transforms[i];
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_ENCRYPTION), encr[i]);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_HASH), i % 2 ? IKEV1_HASH_MD5 : IKEV1_HASH_SHA1);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_AUTH_METHOD), IKEV1_AUTH_PSK);
        /* 28800 fits 16 bits, yet ike-scan sends it as a 4-byte TLV. */
        const struct ikev1_attribute *life = ikev1_transform_attribute(&sa, t, IKEV1_P1_LIFE_DURATION);
        CHECK(life != NULL && !life->tv && life->len == 4);
        CHECK_INT_EQ(attr_value(t, IKEV1_P1_LIFE_DURATION), 28800);
    }
    struct ikev1_id id;
    CHECK_INT_EQ(ikev1_id_decode(&msg.payloads.p[3], &id, &st), 0);
    CHECK_INT_EQ(id.type, IKEV1_ID_USER_FQDN);
    CHECK(id.len == 11 && memcmp(id.data, "ezvpn-group", 11) == 0);
}

/* ---- Malformed messages ---------------------------------------------------- */

static struct raw r;

/* A message with one payload of that type and body. */
static void one(uint8_t type, const void *body, size_t n) {
    raw_header(&r, IKEV1_EXCHANGE_AGGRESSIVE, 0, 0);
    raw_payload(&r, type, body, n);
    raw_finish(&r);
}

/* SA payload of one ISAKMP proposal whose transform has attrs[0..n). */
static void sa_with(const uint8_t *prop_and_rest, size_t n) {
    uint8_t body[2048] = { 0, 0, 0, 1, 0, 0, 0, 1 };
    memcpy(body + 8, prop_and_rest, n);
    one(IKEV1_PAYLOAD_SA, body, 8 + n);
}

static int decode_any(const struct ikev1_payload *p) {
    static struct ikev1_cfg cfg;
    struct ikev1_data d;
    struct ikev1_id id;
    struct ikev1_cert c;
    struct ikev1_notify n;
    struct ikev1_delete del;
    struct ikev1_nat_oa oa;
    struct ikev1_fragment f;

    switch (p->type) {
    case IKEV1_PAYLOAD_SA:          return ikev1_sa_decode(p, &sa, &st);
    case IKEV1_PAYLOAD_KE:          return ikev1_ke_decode(p, &d, &st);
    case IKEV1_PAYLOAD_ID:          return ikev1_id_decode(p, &id, &st);
    case IKEV1_PAYLOAD_CERT:
    case IKEV1_PAYLOAD_CR:          return ikev1_cert_decode(p, &c, &st);
    case IKEV1_PAYLOAD_HASH:        return ikev1_hash_decode(p, &d, &st);
    case IKEV1_PAYLOAD_SIG:         return ikev1_sig_decode(p, &d, &st);
    case IKEV1_PAYLOAD_NONCE:       return ikev1_nonce_decode(p, &d, &st);
    case IKEV1_PAYLOAD_NOTIFY:      return ikev1_notify_decode(p, &n, &st);
    case IKEV1_PAYLOAD_DELETE:      return ikev1_delete_decode(p, &del, &st);
    case IKEV1_PAYLOAD_VENDOR_ID:   return ikev1_vendor_id_decode(p, &d, &st);
    case IKEV1_PAYLOAD_ATTRIBUTE:   return ikev1_cfg_decode(p, &cfg, &st);
    case IKEV1_PAYLOAD_NAT_D:
    case IKEV1_PAYLOAD_NAT_D_DRAFT: return ikev1_nat_d_decode(p, &d, &st);
    case IKEV1_PAYLOAD_NAT_OA:
    case IKEV1_PAYLOAD_NAT_OA_DRAFT: return ikev1_nat_oa_decode(p, &oa, &st);
    case IKEV1_PAYLOAD_FRAGMENT:    return ikev1_fragment_decode(p, &f, &st);
    default:                        return -EINVAL;
    }
}

struct bad_case {
    const char *name;
    void (*make)(void);
    bool decoder;               /* the chain parses; the payload's decoder refuses it */
    enum ikev1_parse_error error;
    uint8_t payload_type;
    size_t offset;
};

static void m_short_header(void) { raw_header(&r, 2, 0, 0); r.len = 27; }
static void m_major(void) { raw_header(&r, 2, 0, 0); r.b[17] = 0x20; raw_finish(&r); }
static void m_minor(void) { raw_header(&r, 2, 0, 0); r.b[17] = 0x11; raw_finish(&r); }
static void m_length(void) { one(IKEV1_PAYLOAD_VENDOR_ID, "vpnd", 4); raw_set32(&r, 24, (uint32_t)r.len + 1); }
static void m_truncated(void) { one(IKEV1_PAYLOAD_VENDOR_ID, "vpnd", 4); raw_set16(&r, 30, 100); }
static void m_plen3(void) { one(IKEV1_PAYLOAD_VENDOR_ID, "vpnd", 4); raw_set16(&r, 30, 3); }
static void m_generic_cut(void) { raw_header(&r, 2, 0, 0); r.b[16] = IKEV1_PAYLOAD_VENDOR_ID; raw_put16(&r, 0); raw_finish(&r); }
static void m_trailing(void) { one(IKEV1_PAYLOAD_VENDOR_ID, "vpnd", 4); raw_put16(&r, 0); raw_put8(&r, 0); raw_finish(&r); }
static void m_unknown_first(void) { one(15, "abcd", 4); }
static void m_unknown_next(void) { one(IKEV1_PAYLOAD_VENDOR_ID, "vpnd", 4); r.b[28] = 99; raw_put32(&r, 0x00000004); raw_finish(&r); }
static void m_proposal_top(void) { one(IKEV1_PAYLOAD_PROPOSAL, "abcd", 4); }
static void m_transform_top(void) { one(IKEV1_PAYLOAD_TRANSFORM, "abcd", 4); }
static void m_encrypted_empty(void) { raw_header(&r, 5, IKEV1_FLAG_ENCRYPTION, 7); r.b[16] = 8; raw_finish(&r); }
static void m_too_many(void) {
    raw_header(&r, 2, 0, 0);
    for (int i = 0; i < IKEV1_MAX_PAYLOADS + 1; i++)
        raw_payload(&r, IKEV1_PAYLOAD_VENDOR_ID, "v", 1);
    raw_finish(&r);
}
static void m_sa_short(void) { one(IKEV1_PAYLOAD_SA, "\0\0\0\1\0\0\0", 7); }
static void m_sa_doi(void) { one(IKEV1_PAYLOAD_SA, "\0\0\0\2\0\0\0\1", 8); }
static void m_sa_situation(void) { one(IKEV1_PAYLOAD_SA, "\0\0\0\1\0\0\0\3", 8); }
static void m_sa_no_proposal(void) { one(IKEV1_PAYLOAD_SA, "\0\0\0\1\0\0\0\1", 8); }
/* proposal(8) + transform(8) + TV attribute(4): 20 bytes, all valid unless changed. */
static uint8_t good_prop[20] = {
    0, 0, 0, 20, 1, IKEV1_PROTO_ISAKMP, 0, 1,
    0, 0, 0, 12, 1, IKEV1_KEY_IKE, 0, 0,
    0x80, 0x01, 0x00, 0x07,
};
static void sa_mod(size_t off, uint8_t v) {
    uint8_t p[20];
    memcpy(p, good_prop, sizeof(p));
    p[off] = v;
    sa_with(p, sizeof(p));
}
static void m_prop_len7(void) { sa_mod(3, 7); }
static void m_prop_len_past(void) { sa_mod(3, 21); }
static void m_prop_marker(void) { sa_mod(0, IKEV1_PROPOSAL_MORE); }
static void m_prop_marker_odd(void) { sa_mod(0, 5); }
static void m_prop_decreasing(void) {
    uint8_t p[40];
    memcpy(p, good_prop, 20);
    memcpy(p + 20, good_prop, 20);
    p[0] = IKEV1_PROPOSAL_MORE;
    p[4] = 2;
    sa_with(p, sizeof(p));
}
static void m_esp_spi(void) { sa_mod(5, IKEV1_PROTO_IPSEC_ESP); }
static void m_isakmp_spi_past(void) { sa_mod(6, 16); }
static void m_tr_len7(void) { sa_mod(11, 7); }
static void m_tr_len_past(void) { sa_mod(11, 13); }
static void m_tr_marker(void) { sa_mod(8, IKEV1_TRANSFORM_MORE); }
static void m_tr_count(void) { sa_mod(7, 2); }
static void m_tr_none(void) {
    uint8_t p[8] = { 0, 0, 0, 8, 1, IKEV1_PROTO_ISAKMP, 0, 0 };
    sa_with(p, sizeof(p));
}
static void m_attr_tlv_past(void) { uint8_t p[20]; memcpy(p, good_prop, 20); p[16] = 0x00; p[18] = 0; p[19] = 1; sa_with(p, 20); }
static void m_attr_cut(void) {
    uint8_t p[22];
    memcpy(p, good_prop, 20);
    p[3] = 22; p[11] = 14; p[20] = 0x80; p[21] = 0x02;
    sa_with(p, 22);
}
static void m_too_many_transforms(void) {
    static uint8_t p[8 + 8 * (IKEV1_MAX_TRANSFORMS + 1)];
    size_t n = IKEV1_MAX_TRANSFORMS + 1, len = 8 + 8 * n;
    memset(p, 0, sizeof(p));
    p[2] = (uint8_t)(len >> 8); p[3] = (uint8_t)len; p[4] = 1; p[5] = IKEV1_PROTO_ISAKMP; p[7] = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        uint8_t *t = p + 8 + 8 * i;
        t[0] = i + 1 < n ? IKEV1_TRANSFORM_MORE : 0; t[3] = 8; t[4] = (uint8_t)i; t[5] = 1;
    }
    sa_with(p, len);
}
static void m_nonce7(void) { one(IKEV1_PAYLOAD_NONCE, "1234567", 7); }
static void m_nonce257(void) { static uint8_t n[257]; one(IKEV1_PAYLOAD_NONCE, n, sizeof(n)); }
static void m_ke_empty(void) { one(IKEV1_PAYLOAD_KE, NULL, 0); }
static void m_hash_empty(void) { one(IKEV1_PAYLOAD_HASH, NULL, 0); }
static void m_id_short(void) { one(IKEV1_PAYLOAD_ID, "\1\0\0", 3); }
static void m_id_v4_len(void) { one(IKEV1_PAYLOAD_ID, "\1\0\0\0\12\0\0\1\2", 9); }
static void m_id_subnet_len(void) { one(IKEV1_PAYLOAD_ID, "\4\0\0\0\12\0\0\0", 8); }
static void m_id_fqdn_empty(void) { one(IKEV1_PAYLOAD_ID, "\2\0\0\0", 4); }
static void m_cert_empty(void) { one(IKEV1_PAYLOAD_CERT, "\4", 1); }
static void m_cr_empty(void) { one(IKEV1_PAYLOAD_CR, NULL, 0); }
static void m_notify_short(void) { one(IKEV1_PAYLOAD_NOTIFY, "\0\0\0\1\3\4\0", 7); }
static void m_notify_spi_past(void) { one(IKEV1_PAYLOAD_NOTIFY, "\0\0\0\1\1\20\0\16abcd", 12); }
static void m_notify_spi_size(void) { one(IKEV1_PAYLOAD_NOTIFY, "\0\0\0\1\1\21\0\16", 8); }
static void m_delete_count(void) { one(IKEV1_PAYLOAD_DELETE, "\0\0\0\1\3\4\0\2abcd", 12); }
static void m_delete_zero(void) { one(IKEV1_PAYLOAD_DELETE, "\0\0\0\1\3\4\0\0", 8); }
static void m_delete_spi0(void) { one(IKEV1_PAYLOAD_DELETE, "\0\0\0\1\3\0\0\1", 8); }
static void m_cfg_short(void) { one(IKEV1_PAYLOAD_ATTRIBUTE, "\1\0\0", 3); }
static void m_cfg_tlv_past(void) { one(IKEV1_PAYLOAD_ATTRIBUTE, "\1\0\0\1\100\211\0\5abc", 11); }
static void m_cfg_too_many(void) {
    static uint8_t b[4 + 4 * (IKEV1_MAX_CFG_ATTRIBUTES + 1)];
    b[0] = IKEV1_CFG_REQUEST;
    for (size_t i = 0; i <= IKEV1_MAX_CFG_ATTRIBUTES; i++)
        b[4 + 4 * i + 1] = 1;           /* INTERNAL_IP4_ADDRESS, TLV length 0 */
    one(IKEV1_PAYLOAD_ATTRIBUTE, b, sizeof(b));
}
static void m_nat_oa_len(void) { one(IKEV1_PAYLOAD_NAT_OA, "\1\0\0\0\12\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0", 20); }
static void m_nat_oa_type(void) { one(IKEV1_PAYLOAD_NAT_OA_DRAFT, "\2\0\0\0\12\0\0\1", 8); }
static void m_nat_d_empty(void) { one(IKEV1_PAYLOAD_NAT_D_DRAFT, NULL, 0); }
static void m_frag_short(void) { one(IKEV1_PAYLOAD_FRAGMENT, "\0\1\1\1", 4); }
static void m_frag_zero(void) { one(IKEV1_PAYLOAD_FRAGMENT, "\0\1\0\1x", 5); }
static void m_vid_empty(void) { one(IKEV1_PAYLOAD_VENDOR_ID, NULL, 0); }

static const struct bad_case bad_cases[] = {
    { "short header", m_short_header, false, IKEV1_PARSE_TRUNCATED_HEADER, 0, 27 },
    { "IKEv2 major version", m_major, false, IKEV1_PARSE_MAJOR_VERSION, 0, 17 },
    { "minor version 1", m_minor, false, IKEV1_PARSE_MINOR_VERSION, 0, 17 },
    { "header length", m_length, false, IKEV1_PARSE_LENGTH_MISMATCH, 0, 24 },
    { "payload past the end", m_truncated, false, IKEV1_PARSE_TRUNCATED_PAYLOAD, IKEV1_PAYLOAD_VENDOR_ID, 28 },
    { "payload length 3", m_plen3, false, IKEV1_PARSE_PAYLOAD_LENGTH, IKEV1_PAYLOAD_VENDOR_ID, 28 },
    { "generic header cut", m_generic_cut, false, IKEV1_PARSE_TRUNCATED_PAYLOAD, IKEV1_PAYLOAD_VENDOR_ID, 28 },
    { "trailing bytes", m_trailing, false, IKEV1_PARSE_TRAILING_DATA, 0, 36 },
    { "unknown first payload", m_unknown_first, false, IKEV1_PARSE_UNKNOWN_PAYLOAD, 15, 28 },
    { "unknown next payload", m_unknown_next, false, IKEV1_PARSE_UNKNOWN_PAYLOAD, 99, 36 },
    { "proposal outside SA", m_proposal_top, false, IKEV1_PARSE_MISPLACED_PAYLOAD, IKEV1_PAYLOAD_PROPOSAL, 28 },
    { "transform outside SA", m_transform_top, false, IKEV1_PARSE_MISPLACED_PAYLOAD, IKEV1_PAYLOAD_TRANSFORM, 28 },
    { "E flag without ciphertext", m_encrypted_empty, false, IKEV1_PARSE_EMPTY_ENCRYPTED, 0, 28 },
    { "65 payloads", m_too_many, false, IKEV1_PARSE_TOO_MANY, IKEV1_PAYLOAD_VENDOR_ID, 28 + 64 * 5 },
    { "SA body 7", m_sa_short, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_SA, 32 },
    { "SA DOI 2", m_sa_doi, true, IKEV1_PARSE_DOI, IKEV1_PAYLOAD_SA, 32 },
    { "SA secrecy situation", m_sa_situation, true, IKEV1_PARSE_SITUATION, IKEV1_PAYLOAD_SA, 36 },
    { "SA without proposal", m_sa_no_proposal, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_SA, 40 },
    { "proposal length 7", m_prop_len7, true, IKEV1_PARSE_PROPOSAL_LENGTH, IKEV1_PAYLOAD_SA, 40 },
    { "proposal past SA", m_prop_len_past, true, IKEV1_PARSE_PROPOSAL_LENGTH, IKEV1_PAYLOAD_SA, 40 },
    { "last proposal says more", m_prop_marker, true, IKEV1_PARSE_LAST_MARKER, IKEV1_PAYLOAD_SA, 40 },
    { "proposal next 5", m_prop_marker_odd, true, IKEV1_PARSE_LAST_MARKER, IKEV1_PAYLOAD_SA, 40 },
    { "proposal numbers decrease", m_prop_decreasing, true, IKEV1_PARSE_PROPOSAL_NUMBER, IKEV1_PAYLOAD_SA, 60 },
    { "ESP without 4-byte SPI", m_esp_spi, true, IKEV1_PARSE_SPI_SIZE, IKEV1_PAYLOAD_SA, 40 },
    { "SPI past proposal", m_isakmp_spi_past, true, IKEV1_PARSE_PROPOSAL_LENGTH, IKEV1_PAYLOAD_SA, 40 },
    { "transform length 7", m_tr_len7, true, IKEV1_PARSE_TRANSFORM_LENGTH, IKEV1_PAYLOAD_SA, 48 },
    { "transform past proposal", m_tr_len_past, true, IKEV1_PARSE_TRANSFORM_LENGTH, IKEV1_PAYLOAD_SA, 48 },
    { "last transform says more", m_tr_marker, true, IKEV1_PARSE_LAST_MARKER, IKEV1_PAYLOAD_SA, 48 },
    { "2 transforms declared, 1 sent", m_tr_count, true, IKEV1_PARSE_COUNT_MISMATCH, IKEV1_PAYLOAD_SA, 40 },
    { "proposal without transforms", m_tr_none, true, IKEV1_PARSE_COUNT_MISMATCH, IKEV1_PAYLOAD_SA, 40 },
    { "TLV attribute past transform", m_attr_tlv_past, true, IKEV1_PARSE_ATTRIBUTE_LENGTH, IKEV1_PAYLOAD_SA, 56 },
    { "attribute cut", m_attr_cut, true, IKEV1_PARSE_ATTRIBUTE_LENGTH, IKEV1_PAYLOAD_SA, 60 },
    { "129 transforms", m_too_many_transforms, true, IKEV1_PARSE_TOO_MANY, IKEV1_PAYLOAD_SA, 48 + 8 * 128 },
    { "nonce 7 bytes", m_nonce7, true, IKEV1_PARSE_NONCE_LENGTH, IKEV1_PAYLOAD_NONCE, 32 },
    { "nonce 257 bytes", m_nonce257, true, IKEV1_PARSE_NONCE_LENGTH, IKEV1_PAYLOAD_NONCE, 32 },
    { "empty KE", m_ke_empty, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_KE, 32 },
    { "empty HASH", m_hash_empty, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_HASH, 32 },
    { "empty VID", m_vid_empty, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_VENDOR_ID, 32 },
    { "ID body 3", m_id_short, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_ID, 32 },
    { "ID_IPV4_ADDR of 5 bytes", m_id_v4_len, true, IKEV1_PARSE_ID_LENGTH, IKEV1_PAYLOAD_ID, 36 },
    { "ID_IPV4_ADDR_SUBNET of 4 bytes", m_id_subnet_len, true, IKEV1_PARSE_ID_LENGTH, IKEV1_PAYLOAD_ID, 36 },
    { "empty ID_FQDN", m_id_fqdn_empty, true, IKEV1_PARSE_ID_LENGTH, IKEV1_PAYLOAD_ID, 36 },
    { "CERT without data", m_cert_empty, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_CERT, 32 },
    { "CR without encoding", m_cr_empty, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_CR, 32 },
    { "Notify body 7", m_notify_short, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_NOTIFY, 32 },
    { "Notify SPI past body", m_notify_spi_past, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_NOTIFY, 40 },
    { "Notify SPI size 17", m_notify_spi_size, true, IKEV1_PARSE_SPI_SIZE, IKEV1_PAYLOAD_NOTIFY, 37 },
    { "Delete 2 SPIs, 1 sent", m_delete_count, true, IKEV1_PARSE_COUNT_MISMATCH, IKEV1_PAYLOAD_DELETE, 38 },
    { "Delete of no SPI", m_delete_zero, true, IKEV1_PARSE_COUNT_MISMATCH, IKEV1_PAYLOAD_DELETE, 38 },
    { "Delete SPI size 0", m_delete_spi0, true, IKEV1_PARSE_SPI_SIZE, IKEV1_PAYLOAD_DELETE, 37 },
    { "Attribute body 3", m_cfg_short, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_ATTRIBUTE, 32 },
    { "Attribute TLV past body", m_cfg_tlv_past, true, IKEV1_PARSE_ATTRIBUTE_LENGTH, IKEV1_PAYLOAD_ATTRIBUTE, 36 },
    { "65 Mode Config attributes", m_cfg_too_many, true, IKEV1_PARSE_TOO_MANY, IKEV1_PAYLOAD_ATTRIBUTE, 36 + 4 * 64 },
    { "NAT-OA IPv4 of 16 bytes", m_nat_oa_len, true, IKEV1_PARSE_ID_LENGTH, IKEV1_PAYLOAD_NAT_OA, 32 },
    { "NAT-OA of an FQDN", m_nat_oa_type, true, IKEV1_PARSE_ID_LENGTH, IKEV1_PAYLOAD_NAT_OA_DRAFT, 32 },
    { "empty NAT-D", m_nat_d_empty, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_NAT_D_DRAFT, 32 },
    { "fragment without data", m_frag_short, true, IKEV1_PARSE_BODY_LENGTH, IKEV1_PAYLOAD_FRAGMENT, 32 },
    { "fragment number 0", m_frag_zero, true, IKEV1_PARSE_COUNT_MISMATCH, IKEV1_PAYLOAD_FRAGMENT, 34 },
};

static void test_malformed(void) {
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        int res;

        c->make();
        res = ikev1_message_parse(r.b, r.len, &msg, &st);
        if (c->decoder) {
            if (res != 0 || msg.payloads.n == 0) {
                printf("#   %s: the message itself was refused\n", c->name);
                CHECK(res == 0);
                continue;
            }
            const struct ikev1_payload *p = &msg.payloads.p[msg.payloads.n - 1];
            res = decode_any(p);
        }
        if (res != -EBADMSG || st.error != c->error || st.payload_type != c->payload_type ||
            st.offset != c->offset) {
            char why[128];
            ikev1_parse_status_format(&st, why, sizeof(why));
            printf("#   %s: r=%d, got \"%s\" (error %d, payload %u, offset %zu)\n", c->name, res, why,
                   st.error, st.payload_type, st.offset);
        }
        CHECK_INT_EQ(res, -EBADMSG);
        CHECK_INT_EQ(st.error, c->error);
        CHECK_INT_EQ(st.payload_type, c->payload_type);
        CHECK_INT_EQ(st.offset, c->offset);
    }
}

/* Well-formed payloads of every type decode with the right fields. */
static void test_decoders(void) {
    struct ikev1_notify n;
    struct ikev1_delete d;
    static struct ikev1_cfg cfg;
    struct ikev1_nat_oa oa;
    struct ikev1_fragment f;
    struct ikev1_cert c;
    struct ikev1_id id;

    one(IKEV1_PAYLOAD_NOTIFY, "\0\0\0\1\1\20\x8d\x28" "0123456789abcdef" "\0\0\0\7", 28);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_notify_decode(&msg.payloads.p[0], &n, &st), 0);
    CHECK_INT_EQ(n.doi, IKEV1_DOI_IPSEC);
    CHECK_INT_EQ(n.protocol, IKEV1_PROTO_ISAKMP);
    CHECK_INT_EQ(n.type, IKEV1_N_DPD_R_U_THERE);
    CHECK_INT_EQ(n.spi_size, 16);
    CHECK(memcmp(n.spi, "0123456789abcdef", 16) == 0);
    CHECK(n.len == 4 && n.data[3] == 7);
    CHECK(ikev1_notify_find(&msg.payloads, IKEV1_N_DPD_R_U_THERE) == &msg.payloads.p[0]);
    CHECK(ikev1_notify_find(&msg.payloads, IKEV1_N_DPD_R_U_THERE_ACK) == NULL);

    one(IKEV1_PAYLOAD_DELETE, "\0\0\0\1\3\4\0\2" "abcdefgh", 16);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_delete_decode(&msg.payloads.p[0], &d, &st), 0);
    CHECK(d.protocol == IKEV1_PROTO_IPSEC_ESP && d.spi_size == 4 && d.n_spis == 2);
    CHECK(memcmp(d.spis, "abcdefgh", 8) == 0);

    /* CPRQ with an empty TLV request, a TV and a TLV with a value. */
    one(IKEV1_PAYLOAD_ATTRIBUTE, "\1\0\x12\x34" "\x40\x89\0\0" "\xc0\x88\0\0" "\x70\0\0\3abc", 19);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_cfg_decode(&msg.payloads.p[0], &cfg, &st), 0);
    CHECK_INT_EQ(cfg.type, IKEV1_CFG_REQUEST);
    CHECK_INT_EQ(cfg.identifier, 0x1234);
    CHECK_INT_EQ(cfg.n, 3);
    CHECK(cfg.attrs[0].type == IKEV1_XAUTH_USER_NAME && !cfg.attrs[0].tv && cfg.attrs[0].len == 0);
    CHECK(cfg.attrs[1].type == IKEV1_XAUTH_TYPE && cfg.attrs[1].tv && cfg.attrs[1].tv_value == 0);
    CHECK(cfg.attrs[2].type == IKEV1_UNITY_BANNER && cfg.attrs[2].len == 3);
    CHECK(memcmp(cfg.attrs[2].value, "abc", 3) == 0);

    /* libreswan's Mode Config ACK: address, netmask, a 14-byte split
     * include, then 2 zero bytes padding the message inside the payload. */
    one(IKEV1_PAYLOAD_ATTRIBUTE, "\4\0\0\3" "\0\1\0\4\xc6\x33\x64\0" "\0\2\0\4\xff\xff\xff\xff"
        "\x70\4\0\x0e\12\6\0\12\xff\xff\xff\xff\0\0\0\0\0\0" "\0\0", 40);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_cfg_decode(&msg.payloads.p[0], &cfg, &st), 0);
    CHECK_INT_EQ(cfg.type, IKEV1_CFG_ACK);
    CHECK_INT_EQ(cfg.identifier, 3);
    CHECK_INT_EQ(cfg.n, 3);
    CHECK(cfg.attrs[2].type == IKEV1_UNITY_SPLIT_INCLUDE && cfg.attrs[2].len == 14);
    /* Padding is zeros only, shorter than an attribute header. */
    one(IKEV1_PAYLOAD_ATTRIBUTE, "\4\0\0\3" "\0\1\0\4\xc6\x33\x64\0" "\0\1", 14);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_cfg_decode(&msg.payloads.p[0], &cfg, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV1_PARSE_ATTRIBUTE_LENGTH);
    one(IKEV1_PAYLOAD_ATTRIBUTE, "\4\0\0\3" "\0\1\0\4\xc6\x33\x64\0" "\0\0\0\0", 16);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_cfg_decode(&msg.payloads.p[0], &cfg, &st), 0);
    CHECK_INT_EQ(cfg.n, 2);         /* 4 zero bytes: an empty attribute of type 0, not padding */
    /* A value running past the payload stays an error, padding or not. */
    one(IKEV1_PAYLOAD_ATTRIBUTE, "\4\0\0\3" "\0\1\0\10\xc6\x33\x64\0" "\0\0", 14);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_cfg_decode(&msg.payloads.p[0], &cfg, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV1_PARSE_ATTRIBUTE_LENGTH);

    one(IKEV1_PAYLOAD_NAT_OA, "\5\0\0\0" "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1", 20);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_nat_oa_decode(&msg.payloads.p[0], &oa, &st), 0);
    CHECK(oa.id_type == IKEV1_ID_IPV6_ADDR && oa.len == 16 && oa.addr[15] == 1);

    one(IKEV1_PAYLOAD_FRAGMENT, "\0\x2a\3\1xyz", 7);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_fragment_decode(&msg.payloads.p[0], &f, &st), 0);
    CHECK(f.id == 42 && f.number == 3 && f.last && f.len == 3);

    one(IKEV1_PAYLOAD_CR, "\4", 1);            /* any CA */
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_cert_decode(&msg.payloads.p[0], &c, &st), 0);
    CHECK(c.encoding == IKEV1_CERT_X509_SIG && c.len == 0);

    /* A Quick Mode ID: 10.1.0.0/255.255.0.0, TCP port 80. */
    one(IKEV1_PAYLOAD_ID, "\4\6\0\x50" "\12\1\0\0" "\xff\xff\0\0", 12);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK_INT_EQ(ikev1_id_decode(&msg.payloads.p[0], &id, &st), 0);
    CHECK(id.type == IKEV1_ID_IPV4_ADDR_SUBNET && id.protocol == 6 && id.port == 80 && id.len == 8);

    /* A decoder refuses a payload of another type. */
    struct ikev1_data data;
    CHECK_INT_EQ(ikev1_ke_decode(&msg.payloads.p[0], &data, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV1_PARSE_WRONG_TYPE);
}

/* An encrypted message: the body is left alone; its plaintext, with cipher
 * padding, parses as a decrypted chain and not as a plain one. */
static void test_encrypted(void) {
    static struct ikev1_payload_list list;
    struct ikev1_hash_span span;
    char line[256];

    raw_header(&r, IKEV1_EXCHANGE_TRANSACTION, IKEV1_FLAG_ENCRYPTION, 0x1234abcd);
    r.b[16] = IKEV1_PAYLOAD_HASH;
    for (int i = 0; i < 32; i++)
        raw_put8(&r, (uint8_t)(0xa0 + i));
    raw_finish(&r);
    CHECK_INT_EQ(ikev1_message_parse(r.b, r.len, &msg, &st), 0);
    CHECK(msg.encrypted);
    CHECK_INT_EQ(msg.payloads.n, 0);
    CHECK(msg.body == r.b + 28 && msg.body_len == 32);
    ikev1_message_describe(&msg.header, NULL, NULL, line, sizeof(line));
    CHECK_STR_EQ(line, "TRANSACTION 0x1234abcd [ encrypted ]");

    /* HASH(20) + Attribute CPRQ(X_USER X_PWD) + 4 bytes of padding. */
    static struct raw plain;
    static const uint8_t hash[20] = { 1, 2, 3 };
    raw_put8(&plain, IKEV1_PAYLOAD_ATTRIBUTE); raw_put8(&plain, 0); raw_put16(&plain, 24);
    raw_bytes(&plain, hash, 20);
    raw_put8(&plain, 0); raw_put8(&plain, 0); raw_put16(&plain, 16);
    raw_bytes(&plain, "\1\0\0\7" "\x40\x89\0\0" "\x40\x8a\0\0", 12);
    raw_bytes(&plain, "\0\0\0\3", 4);

    CHECK_INT_EQ(ikev1_chain_parse(plain.b, plain.len, IKEV1_PAYLOAD_HASH, 28, IKEV1_CHAIN_DECRYPTED,
                                   &list, &st), 0);
    CHECK_INT_EQ(list.n, 2);
    CHECK_INT_EQ(list.padding, 4);
    CHECK_INT_EQ(list.p[1].offset, 28 + 24);
    ikev1_message_describe(&msg.header, "request", &list, line, sizeof(line));
    CHECK_STR_EQ(line, "TRANSACTION request 0x1234abcd [ HASH CPRQ(X_USER X_PWD) ]");

    CHECK_INT_EQ(ikev1_chain_hash_span(&list, &span), 0);
    CHECK(span.hash == plain.b + 4 && span.hash_len == 20);
    CHECK(span.covered == plain.b + 24 && span.covered_len == 16);

    /* The same bytes as a plain chain: the padding is trailing data. */
    CHECK_INT_EQ(ikev1_chain_parse(plain.b, plain.len, IKEV1_PAYLOAD_HASH, 28, 0, &list, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV1_PARSE_TRAILING_DATA);
    CHECK_INT_EQ(st.offset, 28 + 40);

    /* Padding does not hide a truncated payload. */
    raw_set16(&plain, 26, 40);
    CHECK_INT_EQ(ikev1_chain_parse(plain.b, plain.len, IKEV1_PAYLOAD_HASH, 28, IKEV1_CHAIN_DECRYPTED,
                                   &list, &st), -EBADMSG);
    CHECK_INT_EQ(st.error, IKEV1_PARSE_TRUNCATED_PAYLOAD);

    /* A chain that does not start with HASH has no span. */
    raw_set16(&plain, 26, 16);
    CHECK_INT_EQ(ikev1_chain_parse(plain.b + 24, 16, IKEV1_PAYLOAD_ATTRIBUTE, 0, 0, &list, &st), 0);
    CHECK_INT_EQ(ikev1_chain_hash_span(&list, &span), -EBADMSG);
}

static void test_describe(void) {
    struct ikev1_header h = { .exchange = IKEV1_EXCHANGE_INFORMATIONAL, .message_id = 0x0badcafe };
    static struct ikev1_payload_list list;
    char line[128];

    /* HASH, N(R-U-THERE) */
    r.len = 0;
    raw_put8(&r, IKEV1_PAYLOAD_NOTIFY); raw_put8(&r, 0); raw_put16(&r, 8); raw_put32(&r, 0);
    raw_put8(&r, 0); raw_put8(&r, 0); raw_put16(&r, 16);
    raw_bytes(&r, "\0\0\0\1\1\0\x8d\x28\0\0\0\1", 12);
    CHECK_INT_EQ(ikev1_chain_parse(r.b, r.len, IKEV1_PAYLOAD_HASH, 0, 0, &list, &st), 0);
    ikev1_message_describe(&h, NULL, &list, line, sizeof(line));
    CHECK_STR_EQ(line, "INFORMATIONAL 0x0badcafe [ HASH N(DPD) ]");

    /* Truncated to the buffer, NUL-terminated, the full length returned. */
    int n = ikev1_message_describe(&h, NULL, &list, line, 10);
    CHECK_INT_EQ(n, (int)strlen("INFORMATIONAL 0x0badcafe [ HASH N(DPD) ]"));
    CHECK_STR_EQ(line, "INFORMATI");

    h.exchange = 77;
    h.message_id = 0;
    ikev1_message_describe(&h, "response", &list, line, sizeof(line));
    CHECK_STR_EQ(line, "EXCHANGE(77) response [ HASH N(DPD) ]");

    CHECK_STR_EQ(ikev1_exchange_name(IKEV1_EXCHANGE_QUICK_MODE), "QUICK_MODE");
    CHECK_STR_EQ(ikev1_payload_name(IKEV1_PAYLOAD_NAT_D), "NAT-D");
    CHECK_STR_EQ(ikev1_notify_name(IKEV1_N_INITIAL_CONTACT), "INITIAL_CONTACT");
    CHECK_STR_EQ(ikev1_notify_name(IKEV1_N_DPD_R_U_THERE_ACK), "DPD_ACK");
    CHECK_STR_EQ(ikev1_cfg_attribute_name(IKEV1_UNITY_SPLIT_INCLUDE), "U_SPLITINC");
    CHECK_STR_EQ(ikev1_cfg_attribute_name(IKEV1_XAUTH_STATUS), "X_STATUS");
    CHECK(ikev1_payload_name(99) == NULL);
    CHECK(ikev1_notify_name(9999) == NULL);
}

static void test_vendor_ids(void) {
    const struct ikev1_vendor_id_info *v;
    uint8_t buf[24];

    /* Cisco Unity: 14 bytes identify it, whatever version follows. */
    v = ikev1_vendor_id_get(IKEV1_VENDOR_CISCO_UNITY);
    CHECK(v != NULL && v->len == 16 && v->prefix);
    memcpy(buf, v->bytes, 16);
    buf[14] = 0x02;
    v = ikev1_vendor_id_identify(buf, 16);
    CHECK(v != NULL && v->vendor == IKEV1_VENDOR_CISCO_UNITY);
    CHECK(ikev1_vendor_id_identify(buf, 13) == NULL);

    /* Fragmentation: with or without capability bytes. */
    v = ikev1_vendor_id_get(IKEV1_VENDOR_CISCO_FRAGMENTATION);
    memcpy(buf, v->bytes, 16);
    memcpy(buf + 16, "\x80\0\0\0", 4);
    CHECK(ikev1_vendor_id_identify(buf, 16) == v);
    CHECK(ikev1_vendor_id_identify(buf, 20) == v);

    /* Exact ones do not match with bytes appended or cut. */
    v = ikev1_vendor_id_get(IKEV1_VENDOR_NATT_RFC3947);
    memcpy(buf, v->bytes, 16);
    CHECK(ikev1_vendor_id_identify(buf, 16) == v);
    CHECK(ikev1_vendor_id_identify(buf, 17) == NULL);
    CHECK(ikev1_vendor_id_identify(buf, 15) == NULL);
    CHECK(ikev1_vendor_is_natt(IKEV1_VENDOR_NATT_DRAFT_02N));
    CHECK(ikev1_vendor_is_natt(IKEV1_VENDOR_NATT_RFC3947));
    CHECK(!ikev1_vendor_is_natt(IKEV1_VENDOR_DPD));

    v = ikev1_vendor_id_get(IKEV1_VENDOR_XAUTH);
    CHECK(v != NULL && v->len == 8 && v->bytes[0] == 0x09 && v->bytes[7] == 0x12);
    CHECK_STR_EQ(v->name, "XAuth");
    v = ikev1_vendor_id_get(IKEV1_VENDOR_DPD);
    CHECK(v != NULL && v->len == 16 && v->bytes[14] == 0x01 && v->bytes[15] == 0x00);
    CHECK(ikev1_vendor_id_get(IKEV1_VENDOR_UNKNOWN) == NULL);
    memset(buf, 0x55, 16);
    CHECK(ikev1_vendor_id_identify(buf, 16) == NULL);

    char name[64];
    ikev1_vendor_id_format(ikev1_vendor_id_get(IKEV1_VENDOR_CISCO_UNITY)->bytes, 16, name, sizeof(name));
    CHECK_STR_EQ(name, "Cisco Unity");
    ikev1_vendor_id_format(ikev1_vendor_id_get(IKEV1_VENDOR_NATT_DRAFT_02N)->bytes, 16, name, sizeof(name));
    CHECK_STR_EQ(name, "draft-ietf-ipsec-nat-t-ike-02\\n");
    ikev1_vendor_id_format(buf, 4, name, sizeof(name));
    CHECK_STR_EQ(name, "unknown 55555555");
    ikev1_vendor_id_format(buf, 20, name, sizeof(name));
    CHECK_STR_EQ(name, "unknown 55555555555555555555555555555555...");
}

static void test_errors_and_numbers(void) {
    struct ikev1_parse_status s = { IKEV1_PARSE_TRUNCATED_PAYLOAD, IKEV1_PAYLOAD_KE, 92 };
    char why[128];

    ikev1_parse_status_format(&s, why, sizeof(why));
    CHECK_STR_EQ(why, "truncated payload KE at offset 92");
    s = (struct ikev1_parse_status) { IKEV1_PARSE_UNKNOWN_PAYLOAD, 15, 28 };
    ikev1_parse_status_format(&s, why, sizeof(why));
    CHECK_STR_EQ(why, "unknown payload type 15 at offset 28");
    CHECK_STR_EQ(ikev1_parse_error_string(1000), "unknown error");

    CHECK_INT_EQ(ikev1_parse_error_notify(IKEV1_PARSE_UNKNOWN_PAYLOAD), IKEV1_N_INVALID_PAYLOAD_TYPE);
    CHECK_INT_EQ(ikev1_parse_error_notify(IKEV1_PARSE_MAJOR_VERSION), IKEV1_N_INVALID_MAJOR_VERSION);
    CHECK_INT_EQ(ikev1_parse_error_notify(IKEV1_PARSE_DOI), IKEV1_N_DOI_NOT_SUPPORTED);
    CHECK_INT_EQ(ikev1_parse_error_notify(IKEV1_PARSE_ID_LENGTH), IKEV1_N_INVALID_ID_INFORMATION);
    CHECK_INT_EQ(ikev1_parse_error_notify(IKEV1_PARSE_NONCE_LENGTH), IKEV1_N_PAYLOAD_MALFORMED);
    CHECK_INT_EQ(ikev1_parse_error_notify(IKEV1_PARSE_OK), 0);

    /* Attribute values: TV, 4-byte TLV, and TLVs too long or empty for a number. */
    static const uint8_t nine[9] = { 1 };
    struct ikev1_attribute a = { .type = 12, .tv = true, .tv_value = 3600 };
    uint64_t v;
    CHECK_INT_EQ(ikev1_attribute_number(&a, &v), 0);
    CHECK_INT_EQ(v, 3600);
    a = (struct ikev1_attribute) { .type = 12, .value = (const uint8_t *)"\0\1\x51\x80", .len = 4 };
    CHECK_INT_EQ(ikev1_attribute_number(&a, &v), 0);
    CHECK_INT_EQ(v, 86400);
    a.value = nine;
    a.len = 9;
    CHECK_INT_EQ(ikev1_attribute_number(&a, &v), -ERANGE);
    a.len = 0;
    CHECK_INT_EQ(ikev1_attribute_number(&a, &v), -ERANGE);

    /* The header alone, and the version error that still fills it in. */
    struct ikev1_header hdr;
    raw_header(&r, IKEV1_EXCHANGE_MAIN_MODE, 0, 0);
    r.b[17] = 0x20;
    raw_finish(&r);
    CHECK_INT_EQ(ikev1_header_parse(r.b, r.len, &hdr, &st), -EBADMSG);
    CHECK_INT_EQ(hdr.major_version, 2);
    CHECK_INT_EQ(hdr.exchange, IKEV1_EXCHANGE_MAIN_MODE);
}

TEST_MAIN(
    TEST(test_strongswan_main_mode),
    TEST(test_strongswan_aggressive_mode),
    TEST(test_vpnc_aggressive_mode),
    TEST(test_strongswan_aggressive_mode_response),
    TEST(test_ike_scan_aggressive_mode),
    TEST(test_malformed),
    TEST(test_decoders),
    TEST(test_encrypted),
    TEST(test_describe),
    TEST(test_vendor_ids),
    TEST(test_errors_and_numbers),
)
