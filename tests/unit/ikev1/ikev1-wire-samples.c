/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Prints messages built by the builder (and two captured ones) as text2pcap
 * hex dumps, for test-ikev1-tshark.sh to have Wireshark's ISAKMP dissector
 * check them: an independent reading of the wire format. The Transaction,
 * Quick Mode and Informational samples are left unencrypted so that the
 * dissector can read their payloads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "captured-messages.h"
#include "ikev1-payload.h"

/* A self-signed ECDSA P-256 certificate for CN=vpn.example.org (no key kept):
 * something Wireshark's X.509 dissector can read inside a CERT payload. */
static const uint8_t sample_cert[] = {
    0x30, 0x82, 0x01, 0x8a, 0x30, 0x82, 0x01, 0x2f, 0xa0, 0x03, 0x02, 0x01,
    0x02, 0x02, 0x14, 0x6e, 0xd2, 0x64, 0x49, 0x8e, 0x76, 0x75, 0x8e, 0x72,
    0x0a, 0xe1, 0xdc, 0xf7, 0xa0, 0xba, 0xd0, 0xad, 0xf4, 0x8e, 0xad, 0x30,
    0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x1a, 0x31, 0x18, 0x30, 0x16, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0f,
    0x76, 0x70, 0x6e, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e,
    0x6f, 0x72, 0x67, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32,
    0x32, 0x31, 0x30, 0x31, 0x36, 0x32, 0x36, 0x5a, 0x17, 0x0d, 0x33, 0x36,
    0x31, 0x31, 0x31, 0x39, 0x31, 0x30, 0x31, 0x36, 0x32, 0x36, 0x5a, 0x30,
    0x1a, 0x31, 0x18, 0x30, 0x16, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0f,
    0x76, 0x70, 0x6e, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e,
    0x6f, 0x72, 0x67, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
    0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x5e, 0xf2, 0xb4, 0xf8, 0x9f, 0x8e,
    0x57, 0x49, 0x37, 0x95, 0x0a, 0x02, 0x51, 0x44, 0x5f, 0x59, 0x7b, 0x12,
    0x93, 0xec, 0x81, 0xda, 0x6e, 0x74, 0x2b, 0x90, 0xd8, 0x3a, 0x5e, 0xa6,
    0xfb, 0x9f, 0xf9, 0x68, 0x15, 0xd9, 0x0f, 0x56, 0x5b, 0x82, 0x82, 0xfc,
    0xba, 0x99, 0xa8, 0xeb, 0xf7, 0xb0, 0xa2, 0xfd, 0x9f, 0xe9, 0x9c, 0x7e,
    0x4f, 0xba, 0xf3, 0x7c, 0x09, 0xbd, 0xaf, 0xc7, 0x7d, 0xc0, 0xa3, 0x53,
    0x30, 0x51, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04,
    0x14, 0xd2, 0x7b, 0x1f, 0x7a, 0x57, 0x06, 0x45, 0xe6, 0x3f, 0xa9, 0x3e,
    0x69, 0xe5, 0x70, 0x0e, 0x03, 0xc7, 0x00, 0x89, 0xe7, 0x30, 0x1f, 0x06,
    0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0xd2, 0x7b,
    0x1f, 0x7a, 0x57, 0x06, 0x45, 0xe6, 0x3f, 0xa9, 0x3e, 0x69, 0xe5, 0x70,
    0x0e, 0x03, 0xc7, 0x00, 0x89, 0xe7, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d,
    0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30,
    0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03,
    0x49, 0x00, 0x30, 0x46, 0x02, 0x21, 0x00, 0xd2, 0x02, 0xc9, 0xa2, 0xac,
    0x9b, 0xf0, 0xe5, 0x87, 0x22, 0x7c, 0xf6, 0x30, 0x2c, 0xdb, 0xef, 0x83,
    0xff, 0xf3, 0xf8, 0xe8, 0x1f, 0xce, 0x90, 0x23, 0xa0, 0x26, 0xfd, 0x49,
    0xd0, 0xfd, 0x7a, 0x02, 0x21, 0x00, 0xcd, 0x06, 0xf7, 0xc2, 0x7d, 0xd3,
    0xf4, 0xcd, 0xa1, 0x09, 0xa8, 0x54, 0x2d, 0xda, 0x46, 0x7e, 0x9e, 0x53,
    0x97, 0x6c, 0x13, 0x39, 0xa2, 0xd1, 0xf2, 0xfb, 0x21, 0xee, 0xfb, 0x14,
    0x7d, 0xf7,
};

/* text2pcap wants the offset at the start of each line. */
static void dump_packet(const uint8_t *b, size_t len) {
    for (size_t i = 0; i < len; i += 16) {
        printf("%06zx", i);
        for (size_t j = i; j < len && j < i + 16; j++)
            printf(" %02x", b[j]);
        printf("\n");
    }
    printf("\n");
}

static void finish(struct ikev1_builder *b, uint8_t *buf) {
    size_t len;
    if (ikev1_builder_finish(b, &len) < 0) {
        fprintf(stderr, "building a sample failed\n");
        exit(1);
    }
    dump_packet(buf, len);
}

static void vid(struct ikev1_builder *b, enum ikev1_vendor v) {
    const struct ikev1_vendor_id_info *info = ikev1_vendor_id_get(v);
    ikev1_build_vendor_id(b, info->bytes, info->len);
}

int main(void) {
    static uint8_t buf[4096];
    static const uint8_t ke[128] = { 0x42 };
    static const uint8_t nonce[20] = { 0x10, 0x11 };
    static const uint8_t hash[20] = { 0xc7, 0x79 };
    static const uint8_t gw[4] = { 192, 0, 2, 1 };
    static const uint8_t v4[4] = { 10, 8, 0, 2 };
    static const uint8_t mask[4] = { 255, 255, 255, 0 };
    static const uint8_t split[14] = { 10, 1, 0, 0, 255, 255, 0, 0 };
    static const uint8_t spi16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    struct ikev1_header h = {
        .icookie = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 },
        .rcookie = { 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01 },
        .exchange = IKEV1_EXCHANGE_AGGRESSIVE,
    };
    struct ikev1_builder b;
    uint8_t s1[4], s2[4];

    /* Aggressive Mode message 2, as an ASA answers the Cisco VPN Client. */
    struct ikev1_attribute p1[] = {
        { .type = IKEV1_P1_ENCRYPTION, .tv = true, .tv_value = IKEV1_ENCR_AES_CBC },
        { .type = IKEV1_P1_KEY_LENGTH, .tv = true, .tv_value = 256 },
        { .type = IKEV1_P1_HASH, .tv = true, .tv_value = IKEV1_HASH_SHA1 },
        { .type = IKEV1_P1_GROUP_DESCRIPTION, .tv = true, .tv_value = IKEV1_GROUP_MODP_1024 },
        ikev1_attribute_from_number(IKEV1_P1_AUTH_METHOD, IKEV1_AUTH_XAUTH_INIT_PSK, s1),
        { .type = IKEV1_P1_LIFE_TYPE, .tv = true, .tv_value = IKEV1_LIFE_SECONDS },
        ikev1_attribute_from_number(IKEV1_P1_LIFE_DURATION, 86400, s2),
    };
    const struct ikev1_build_transform t1 = { .number = 1, .id = IKEV1_KEY_IKE, .attrs = p1, .n_attrs = 7 };
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &h);
    ikev1_build_sa(&b, 1, IKEV1_PROTO_ISAKMP, NULL, 0, &t1, 1);
    ikev1_build_ke(&b, ke, sizeof(ke));
    ikev1_build_nonce(&b, nonce, sizeof(nonce));
    ikev1_build_id(&b, IKEV1_ID_IPV4_ADDR, 17, 500, gw, 4);
    ikev1_build_hash(&b, hash, sizeof(hash));
    vid(&b, IKEV1_VENDOR_CISCO_UNITY);
    vid(&b, IKEV1_VENDOR_XAUTH);
    vid(&b, IKEV1_VENDOR_DPD);
    vid(&b, IKEV1_VENDOR_NATT_DRAFT_02N);
    ikev1_build_nat_d(&b, IKEV1_PAYLOAD_NAT_D_DRAFT, hash, sizeof(hash));
    ikev1_build_nat_d(&b, IKEV1_PAYLOAD_NAT_D_DRAFT, nonce, sizeof(nonce));
    vid(&b, IKEV1_VENDOR_CISCO_FRAGMENTATION);
    finish(&b, buf);

    /* Mode Config reply (unencrypted for the dissector's sake). */
    struct ikev1_attribute cfg[] = {
        { .type = IKEV1_CFG_INTERNAL_IP4_ADDRESS, .value = v4, .len = 4 },
        { .type = IKEV1_CFG_INTERNAL_IP4_NETMASK, .value = mask, .len = 4 },
        { .type = IKEV1_CFG_INTERNAL_IP4_DNS, .value = gw, .len = 4 },
        { .type = IKEV1_UNITY_BANNER, .value = (const uint8_t *)"Authorized use only", .len = 19 },
        { .type = IKEV1_UNITY_DEF_DOMAIN, .value = (const uint8_t *)"example.org", .len = 11 },
        { .type = IKEV1_UNITY_SPLIT_INCLUDE, .value = split, .len = sizeof(split) },
        { .type = IKEV1_UNITY_SAVE_PASSWD, .tv = true, .tv_value = 0 },
    };
    h.exchange = IKEV1_EXCHANGE_TRANSACTION;
    h.message_id = 0x1234abcd;
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &h);
    ikev1_build_hash(&b, hash, sizeof(hash));
    ikev1_build_cfg(&b, IKEV1_CFG_REPLY, 0x4d2, cfg, sizeof(cfg) / sizeof(cfg[0]));
    finish(&b, buf);

    /* Xauth request and status. */
    struct ikev1_attribute xauth[] = {
        { .type = IKEV1_XAUTH_TYPE, .tv = true, .tv_value = IKEV1_XAUTH_TYPE_GENERIC },
        { .type = IKEV1_XAUTH_USER_NAME },
        { .type = IKEV1_XAUTH_USER_PASSWORD },
        { .type = IKEV1_XAUTH_MESSAGE, .value = (const uint8_t *)"Enter your password", .len = 19 },
    };
    h.message_id = 0x0000abcd;
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &h);
    ikev1_build_hash(&b, hash, sizeof(hash));
    ikev1_build_cfg(&b, IKEV1_CFG_REQUEST, 7, xauth, 4);
    finish(&b, buf);

    /* Quick Mode message 2: ESP AES-256 SHA-1, UDP-encapsulated tunnel. */
    uint8_t s3[4];
    struct ikev1_attribute p2[] = {
        { .type = IKEV1_IPSEC_SA_LIFE_TYPE, .tv = true, .tv_value = IKEV1_LIFE_SECONDS },
        ikev1_attribute_from_number(IKEV1_IPSEC_SA_LIFE_DURATION, 28800, s3),
        { .type = IKEV1_IPSEC_ENCAPSULATION_MODE, .tv = true, .tv_value = IKEV1_ENCAP_UDP_TUNNEL },
        { .type = IKEV1_IPSEC_AUTH_ALGORITHM, .tv = true, .tv_value = IKEV1_AUTH_ALG_HMAC_SHA1 },
        { .type = IKEV1_IPSEC_KEY_LENGTH, .tv = true, .tv_value = 256 },
    };
    const struct ikev1_build_transform t2 = { .number = 1, .id = IKEV1_ESP_AES, .attrs = p2, .n_attrs = 5 };
    h.exchange = IKEV1_EXCHANGE_QUICK_MODE;
    h.message_id = 0xdeadbeef;
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &h);
    ikev1_build_hash(&b, hash, sizeof(hash));
    ikev1_build_sa(&b, 1, IKEV1_PROTO_IPSEC_ESP, "\xc0\x01\xd0\x0d", 4, &t2, 1);
    ikev1_build_nonce(&b, nonce, sizeof(nonce));
    ikev1_build_id(&b, IKEV1_ID_IPV4_ADDR, 0, 0, v4, 4);
    ikev1_build_id(&b, IKEV1_ID_IPV4_ADDR_SUBNET, 0, 0, "\0\0\0\0\0\0\0\0", 8);
    ikev1_build_nat_oa(&b, IKEV1_PAYLOAD_NAT_OA, v4, 4);
    ikev1_build_notify(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_IPSEC_ESP, "\xc0\x01\xd0\x0d", 4,
                       IKEV1_N_RESPONDER_LIFETIME, "\x80\x01\x00\x01\x00\x02\x00\x04\x00\x00\x70\x80", 12);
    finish(&b, buf);

    /* Informational: DPD R-U-THERE, and a Delete of two ESP SAs. */
    h.exchange = IKEV1_EXCHANGE_INFORMATIONAL;
    h.message_id = 0x0badcafe;
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &h);
    ikev1_build_hash(&b, hash, sizeof(hash));
    ikev1_build_notify(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_ISAKMP, spi16, 16, IKEV1_N_DPD_R_U_THERE,
                       "\0\0\0\x2a", 4);
    ikev1_build_delete(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_IPSEC_ESP, 4, "\xc0\x01\xd0\x0d\xc0\x01\xd0\x0e", 2);
    finish(&b, buf);

    /* Main Mode message 5 (unencrypted): ID, CERT, SIG, CR, INITIAL-CONTACT. */
    h.exchange = IKEV1_EXCHANGE_MAIN_MODE;
    h.message_id = 0;
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &h);
    ikev1_build_id(&b, IKEV1_ID_FQDN, 0, 0, "vpn.example.org", 15);
    ikev1_build_cert(&b, IKEV1_PAYLOAD_CERT, IKEV1_CERT_X509_SIG, sample_cert, sizeof(sample_cert));
    ikev1_build_sig(&b, hash, sizeof(hash));
    ikev1_build_cert(&b, IKEV1_PAYLOAD_CR, IKEV1_CERT_X509_SIG, NULL, 0);
    ikev1_build_notify(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_ISAKMP, spi16, 16, IKEV1_N_INITIAL_CONTACT, NULL, 0);
    finish(&b, buf);

    /* Controls: what strongSwan and vpnc sent. */
    dump_packet(strongswan_main_mm1, sizeof(strongswan_main_mm1));
    dump_packet(vpnc_aggr_am1, sizeof(vpnc_aggr_am1));
    return 0;
}
