/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Prints messages built by the builder (and strongSwan's captured request)
 * as text2pcap hex dumps, for test-ikev2-tshark.sh to have Wireshark's
 * IKEv2 dissector check them: an independent reading of the wire format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2-payload.h"
#include "strongswan-ike-sa-init.h"


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

static void finish(struct ikev2_builder *b, uint8_t *buf) {
    size_t len;
    if (ikev2_builder_finish(b, &len) < 0) {
        fprintf(stderr, "building a sample failed\n");
        exit(1);
    }
    dump_packet(buf, len);
}

int main(void) {
    static uint8_t buf[4096];
    static const uint8_t nonce[32] = { 0x10, 0x11 };
    static const uint8_t key[32] = { 0x42 };
    static const uint8_t natd[20] = { 0xde, 0xad };
    static const uint8_t v4[4] = { 10, 8, 0, 2 };
    static const struct ikev2_transform ike[] = {
        { .type = IKEV2_TRANSFORM_ENCR, .id = IKEV2_ENCR_AES_CBC, .key_length = 256 },
        { .type = IKEV2_TRANSFORM_PRF, .id = IKEV2_PRF_HMAC_SHA2_256 },
        { .type = IKEV2_TRANSFORM_INTEG, .id = IKEV2_INTEG_HMAC_SHA2_256_128 },
        { .type = IKEV2_TRANSFORM_DH, .id = IKEV2_DH_CURVE25519 },
    };
    static const struct ikev2_transform esp[] = {
        { .type = IKEV2_TRANSFORM_ENCR, .id = IKEV2_ENCR_AES_GCM_16, .key_length = 128 },
        { .type = IKEV2_TRANSFORM_ESN, .id = IKEV2_ESN_NO },
    };
    static const struct ikev2_cp_attribute attrs[] = {
        { IKEV2_CP_INTERNAL_IP4_ADDRESS, v4, 4 },
        { IKEV2_CP_INTERNAL_IP4_DNS, v4, 4 },
        { IKEV2_CP_INTERNAL_DNS_DOMAIN, (const uint8_t *)"example.org", 11 },
        { IKEV2_CP_UNITY_BANNER, (const uint8_t *)"Authorized use only", 19 },
    };
    const struct ikev2_proposal ike_pr = { .number = 1, .protocol = IKEV2_PROTOCOL_IKE, .n_transforms = 4 };
    const struct ikev2_proposal esp_pr = {
        .number = 1, .protocol = IKEV2_PROTOCOL_ESP, .spi_size = 4, .spi = { 0xc0, 1, 0xd0, 0x0d },
        .n_transforms = 2,
    };
    const struct ikev2_ts_selector ts[2] = {
        { .type = IKEV2_TS_IPV4_ADDR_RANGE, .end_port = 65535, .start_addr = { 10, 8, 0, 2 },
          .end_addr = { 10, 8, 0, 2 } },
        { .type = IKEV2_TS_IPV6_ADDR_RANGE, .ip_protocol = 6, .start_port = 443, .end_port = 443,
          .start_addr = { 0x20, 0x01, 0x0d, 0xb8 }, .end_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xff } },
    };
    static const uint8_t spis[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    struct ikev2_header h = {
        .ispi = 0x1122334455667788ULL, .rspi = 0x99aabbccddeeff00ULL,
        .exchange = IKEV2_EXCHANGE_IKE_SA_INIT, .flags = IKEV2_FLAG_RESPONSE,
    };
    struct ikev2_builder b;
    uint8_t *body;

    dump_packet(strongswan_ike_sa_init, sizeof(strongswan_ike_sa_init));

    ikev2_builder_init(&b, buf, sizeof(buf));
    ikev2_build_header(&b, &h);
    ikev2_build_sa_proposal(&b, &ike_pr, ike);
    ikev2_build_ke(&b, IKEV2_DH_CURVE25519, key, sizeof(key));
    ikev2_build_nonce(&b, nonce, sizeof(nonce));
    ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
    ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd, sizeof(natd));
    ikev2_build_cert(&b, IKEV2_PAYLOAD_CERTREQ, IKEV2_CERT_X509_SIGNATURE, natd, sizeof(natd));
    ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    ikev2_build_vendor_id(&b, "vpnd", 4);
    finish(&b, buf);

    /* The IKE_AUTH payloads, unencrypted so that the dissector sees them. */
    h.exchange = IKEV2_EXCHANGE_IKE_AUTH;
    h.message_id = 1;
    ikev2_builder_init(&b, buf, sizeof(buf));
    ikev2_build_header(&b, &h);
    ikev2_build_id(&b, IKEV2_PAYLOAD_IDR, IKEV2_ID_FQDN, "vpn.example.org", 15);
    ikev2_build_cert(&b, IKEV2_PAYLOAD_CERT, IKEV2_CERT_X509_SIGNATURE, natd, sizeof(natd));
    ikev2_build_auth(&b, IKEV2_AUTH_SHARED_KEY_MIC, key, sizeof(key));
    ikev2_build_eap(&b, IKEV2_EAP_REQUEST, 7, IKEV2_EAP_TYPE_IDENTITY, NULL, 0);
    ikev2_build_cp(&b, IKEV2_CFG_REPLY, attrs, 4);
    ikev2_build_sa_proposal(&b, &esp_pr, esp);
    ikev2_build_ts(&b, IKEV2_PAYLOAD_TSI, ts, 2);
    ikev2_build_ts(&b, IKEV2_PAYLOAD_TSR, ts, 1);
    ikev2_build_notify(&b, IKEV2_PROTOCOL_ESP, esp_pr.spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
    ikev2_build_delete(&b, IKEV2_PROTOCOL_ESP, 4, spis, 2);
    ikev2_build_delete(&b, IKEV2_PROTOCOL_IKE, 0, NULL, 0);
    ikev2_build_eap(&b, IKEV2_EAP_SUCCESS, 8, 0, NULL, 0);
    finish(&b, buf);

    /* An SK payload (opaque body) and a fragment. */
    ikev2_builder_init(&b, buf, sizeof(buf));
    ikev2_build_header(&b, &h);
    if (ikev2_build_sk(&b, IKEV2_PAYLOAD_IDR, 64, &body) == 0)
        memset(body, 0x5c, 64);
    finish(&b, buf);

    ikev2_builder_init(&b, buf, sizeof(buf));
    ikev2_build_header(&b, &h);
    if (ikev2_build_skf(&b, IKEV2_PAYLOAD_IDR, 1, 2, 64, &body) == 0)
        memset(body, 0x5c, 64);
    finish(&b, buf);
    return 0;
}
