/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Well-known IKEv1 vendor IDs. Most are the MD5 of a string ("RFC 3947",
 * "draft-ietf-ipsec-nat-t-ike-02\n", "FRAGMENTATION", "strongSwan"); some
 * keep only a prefix of it and append a version (DPD and Cisco Unity end in
 * 01 00, strongSwan and Microsoft append their release) or capability bytes
 * (Cisco fragmentation: 4 flag bytes), so those match as prefixes.
 */
#include <stdio.h>
#include <string.h>

#include "ikev1-payload.h"

static const uint8_t vid_natt_rfc3947[] = {
    0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f };
static const uint8_t vid_natt_00[] = {
    0x44, 0x85, 0x15, 0x2d, 0x18, 0xb6, 0xbb, 0xcd, 0x0b, 0xe8, 0xa8, 0x46, 0x95, 0x79, 0xdd, 0xcc };
static const uint8_t vid_natt_01[] = {
    0x16, 0xf6, 0xca, 0x16, 0xe4, 0xa4, 0x06, 0x6d, 0x83, 0x82, 0x1a, 0x0f, 0x0a, 0xea, 0xa8, 0x62 };
static const uint8_t vid_natt_02[] = {
    0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8, 0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48 };
static const uint8_t vid_natt_02n[] = {
    0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e, 0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b, 0x1f };
static const uint8_t vid_natt_03[] = {
    0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f, 0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d, 0x56 };
static const uint8_t vid_natt_04[] = {
    0x99, 0x09, 0xb6, 0x4e, 0xed, 0x93, 0x7c, 0x65, 0x73, 0xde, 0x52, 0xac, 0xe9, 0x52, 0xfa, 0x6b };
static const uint8_t vid_natt_05[] = {
    0x80, 0xd0, 0xbb, 0x3d, 0xef, 0x54, 0x56, 0x5e, 0xe8, 0x46, 0x45, 0xd4, 0xc8, 0x5c, 0xe3, 0xee };
static const uint8_t vid_natt_06[] = {
    0x4d, 0x1e, 0x0e, 0x13, 0x6d, 0xea, 0xfa, 0x34, 0xc4, 0xf3, 0xea, 0x9f, 0x02, 0xec, 0x72, 0x85 };
static const uint8_t vid_natt_07[] = {
    0x43, 0x9b, 0x59, 0xf8, 0xba, 0x67, 0x6c, 0x4c, 0x77, 0x37, 0xae, 0x22, 0xea, 0xb8, 0xf5, 0x82 };
static const uint8_t vid_natt_08[] = {
    0x8f, 0x8d, 0x83, 0x82, 0x6d, 0x24, 0x6b, 0x6f, 0xc7, 0xa8, 0xa6, 0xa4, 0x28, 0xc1, 0x1d, 0xe8 };
static const uint8_t vid_natt_09[] = {
    0x42, 0xea, 0x5b, 0x6f, 0x89, 0x8d, 0x97, 0x73, 0xa5, 0x75, 0xdf, 0x26, 0xe7, 0xdd, 0x19, 0xe1 };
/* RFC 3706 7: the version bytes 01 00 are part of the VID. */
static const uint8_t vid_dpd[] = {
    0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9, 0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00 };
/* The first 8 bytes of MD5("draft-ietf-ipsra-isakmp-xauth-06.txt"). */
static const uint8_t vid_xauth[] = { 0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12 };
/* 14 bytes of MD5("CISCO-UNITY"), then major/minor version (1.0 sent by all). */
static const uint8_t vid_cisco_unity[] = {
    0x12, 0xf5, 0xf2, 0x8c, 0x45, 0x71, 0x68, 0xa9, 0x70, 0x2d, 0x9f, 0xe2, 0x74, 0xcc, 0x01, 0x00 };
/* MD5("FRAGMENTATION"), optionally followed by 4 capability bytes. */
static const uint8_t vid_cisco_frag[] = {
    0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3 };
/* Cisco VPN 3000 / ASA ("Altiga"): 14 bytes then a version. */
static const uint8_t vid_cisco_concentrator[] = {
    0x1f, 0x07, 0xf7, 0x0e, 0xaa, 0x65, 0x14, 0xd3, 0xb0, 0xfa, 0x96, 0x54, 0x2a, 0x50, 0x01, 0x00 };
/* MD5("strongSwan"); newer releases send it alone, older ones append a version. */
static const uint8_t vid_strongswan[] = {
    0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc, 0x22, 0x51, 0x61, 0x3b, 0x2e, 0xbe, 0x5b, 0xeb };
/* "MS NT5 ISAKMPOAKLEY", then a 4-byte Windows version. */
static const uint8_t vid_ms_nt5[] = {
    0x1e, 0x2b, 0x51, 0x69, 0x05, 0x99, 0x1c, 0x7d, 0x7c, 0x96, 0xfc, 0xbf, 0xb5, 0x87, 0xe4, 0x61 };

/* match: bytes compared for prefix entries (0: exact match of the whole VID). */
#define VID(v, n, b, match) { v, n, b, sizeof(b), (match) != 0, (match) ? (match) : sizeof(b) }
static const struct ikev1_vendor_id_info vendor_ids[] = {
    VID(IKEV1_VENDOR_NATT_RFC3947, "NAT-T (RFC 3947)", vid_natt_rfc3947, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_00, "draft-ietf-ipsec-nat-t-ike-00", vid_natt_00, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_01, "draft-ietf-ipsec-nat-t-ike-01", vid_natt_01, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_02, "draft-ietf-ipsec-nat-t-ike-02", vid_natt_02, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_02N, "draft-ietf-ipsec-nat-t-ike-02\\n", vid_natt_02n, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_03, "draft-ietf-ipsec-nat-t-ike-03", vid_natt_03, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_04, "draft-ietf-ipsec-nat-t-ike-04", vid_natt_04, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_05, "draft-ietf-ipsec-nat-t-ike-05", vid_natt_05, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_06, "draft-ietf-ipsec-nat-t-ike-06", vid_natt_06, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_07, "draft-ietf-ipsec-nat-t-ike-07", vid_natt_07, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_08, "draft-ietf-ipsec-nat-t-ike-08", vid_natt_08, 0),
    VID(IKEV1_VENDOR_NATT_DRAFT_09, "draft-ietf-ipsec-nat-t-ike-09", vid_natt_09, 0),
    VID(IKEV1_VENDOR_DPD, "DPD", vid_dpd, 0),
    VID(IKEV1_VENDOR_XAUTH, "XAuth", vid_xauth, 0),
    VID(IKEV1_VENDOR_CISCO_UNITY, "Cisco Unity", vid_cisco_unity, 14),
    VID(IKEV1_VENDOR_CISCO_FRAGMENTATION, "FRAGMENTATION", vid_cisco_frag, 16),
    VID(IKEV1_VENDOR_CISCO_CONCENTRATOR, "Cisco VPN Concentrator", vid_cisco_concentrator, 14),
    VID(IKEV1_VENDOR_STRONGSWAN, "strongSwan", vid_strongswan, 16),
    VID(IKEV1_VENDOR_MS_NT5, "MS NT5 ISAKMPOAKLEY", vid_ms_nt5, 16),
};
#undef VID

const struct ikev1_vendor_id_info *ikev1_vendor_id_identify(const uint8_t *data, size_t len) {
    for (size_t i = 0; i < sizeof(vendor_ids) / sizeof(vendor_ids[0]); i++) {
        const struct ikev1_vendor_id_info *v = &vendor_ids[i];
        if (v->prefix ? len < v->match_len : len != v->len)
            continue;
        if (memcmp(data, v->bytes, v->match_len) == 0)
            return v;
    }
    return NULL;
}

const struct ikev1_vendor_id_info *ikev1_vendor_id_get(enum ikev1_vendor vendor) {
    for (size_t i = 0; i < sizeof(vendor_ids) / sizeof(vendor_ids[0]); i++)
        if (vendor_ids[i].vendor == vendor)
            return &vendor_ids[i];
    return NULL;
}

int ikev1_vendor_id_format(const uint8_t *data, size_t len, char *buf, size_t size) {
    const struct ikev1_vendor_id_info *v = ikev1_vendor_id_identify(data, len);
    char hex[2 * 16 + 4];
    size_t shown = len < 16 ? len : 16;

    if (v)
        return snprintf(buf, size, "%s", v->name);
    /* Enough to look the VID up; a VID is a public value, never a secret. */
    for (size_t i = 0; i < shown; i++)
        snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02x", data[i]);
    hex[2 * shown] = '\0';
    return snprintf(buf, size, "unknown %s%s", hex, len > shown ? "..." : "");
}

bool ikev1_vendor_is_natt(enum ikev1_vendor vendor) {
    return vendor >= IKEV1_VENDOR_NATT_RFC3947 && vendor <= IKEV1_VENDOR_NATT_DRAFT_09;
}
