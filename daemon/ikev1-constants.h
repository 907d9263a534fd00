/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv1 protocol numbers: ISAKMP (RFC 2408), the IPsec DOI (RFC 2407), IKE
 * (RFC 2409), NAT-T (RFC 3947 and its drafts), Xauth and Mode Config
 * (draft-ietf-ipsec-isakmp-xauth-06, draft-dukes-ike-mode-cfg-02), DPD
 * (RFC 3706) and the Cisco Unity and fragmentation extensions. Only numbers
 * here; names for logs are in ikev1-payload.h (ikev1_*_name()).
 */
#pragma once

#define IKEV1_MAJOR_VERSION     1
#define IKEV1_MINOR_VERSION     0
#define IKEV1_HEADER_LEN        28      /* fixed ISAKMP header */
#define IKEV1_PAYLOAD_HEADER_LEN 4      /* generic payload header */
#define IKEV1_COOKIE_LEN        8

/* Exchange types (RFC 2408 3.1, RFC 2409 9, mode-cfg draft). */
enum ikev1_exchange_type {
    IKEV1_EXCHANGE_NONE                 = 0,
    IKEV1_EXCHANGE_BASE                 = 1,
    IKEV1_EXCHANGE_IDENTITY_PROTECTION  = 2,    /* Main Mode */
    IKEV1_EXCHANGE_AUTH_ONLY            = 3,
    IKEV1_EXCHANGE_AGGRESSIVE           = 4,
    IKEV1_EXCHANGE_INFORMATIONAL        = 5,
    IKEV1_EXCHANGE_TRANSACTION          = 6,    /* Mode Config, Xauth */
    IKEV1_EXCHANGE_QUICK_MODE           = 32,
    IKEV1_EXCHANGE_NEW_GROUP_MODE       = 33,
};
#define IKEV1_EXCHANGE_MAIN_MODE IKEV1_EXCHANGE_IDENTITY_PROTECTION

/* Header flags (RFC 2408 3.1). */
#define IKEV1_FLAG_ENCRYPTION   0x01
#define IKEV1_FLAG_COMMIT       0x02
#define IKEV1_FLAG_AUTH_ONLY    0x04

/* Payload types (RFC 2408 3.1, RFC 3947 for 20/21, the NAT-T drafts for
 * 130/131, Cisco's IKE fragmentation for 132). */
enum ikev1_payload_type {
    IKEV1_PAYLOAD_NONE          = 0,
    IKEV1_PAYLOAD_SA            = 1,
    IKEV1_PAYLOAD_PROPOSAL      = 2,    /* inside SA only */
    IKEV1_PAYLOAD_TRANSFORM     = 3,    /* inside a proposal only */
    IKEV1_PAYLOAD_KE            = 4,
    IKEV1_PAYLOAD_ID            = 5,
    IKEV1_PAYLOAD_CERT          = 6,
    IKEV1_PAYLOAD_CR            = 7,
    IKEV1_PAYLOAD_HASH          = 8,
    IKEV1_PAYLOAD_SIG           = 9,
    IKEV1_PAYLOAD_NONCE         = 10,
    IKEV1_PAYLOAD_NOTIFY        = 11,
    IKEV1_PAYLOAD_DELETE        = 12,
    IKEV1_PAYLOAD_VENDOR_ID     = 13,
    IKEV1_PAYLOAD_ATTRIBUTE     = 14,
    IKEV1_PAYLOAD_NAT_D         = 20,
    IKEV1_PAYLOAD_NAT_OA        = 21,
    IKEV1_PAYLOAD_NAT_D_DRAFT   = 130,
    IKEV1_PAYLOAD_NAT_OA_DRAFT  = 131,
    IKEV1_PAYLOAD_FRAGMENT      = 132,  /* Cisco IKE fragmentation */
};

/* Domain of interpretation (RFC 2407 4.2); 0 is ISAKMP's own (N, D). */
#define IKEV1_DOI_ISAKMP        0
#define IKEV1_DOI_IPSEC         1

/* IPsec DOI situation bits (RFC 2407 4.2). Only SIT_IDENTITY_ONLY is
 * 4 bytes long; secrecy and integrity append labelled-domain fields. */
#define IKEV1_SIT_IDENTITY_ONLY 0x01
#define IKEV1_SIT_SECRECY       0x02
#define IKEV1_SIT_INTEGRITY     0x04

/* Protocol identifiers (RFC 2407 4.4.1). */
enum ikev1_protocol_id {
    IKEV1_PROTO_NONE            = 0,
    IKEV1_PROTO_ISAKMP          = 1,
    IKEV1_PROTO_IPSEC_AH        = 2,
    IKEV1_PROTO_IPSEC_ESP       = 3,
    IKEV1_PROTO_IPCOMP          = 4,
};

/* Proposal and transform substructures' Next Payload values (RFC 2408 3.5, 3.6). */
#define IKEV1_PROPOSAL_LAST     0
#define IKEV1_PROPOSAL_MORE     2
#define IKEV1_TRANSFORM_LAST    0
#define IKEV1_TRANSFORM_MORE    3

/* Transform IDs: ISAKMP (RFC 2407 4.4.2), ESP (4.4.4, IANA), AH (4.4.3). */
#define IKEV1_KEY_IKE           1
enum ikev1_esp_transform {
    IKEV1_ESP_DES_IV64          = 1,
    IKEV1_ESP_DES               = 2,
    IKEV1_ESP_3DES              = 3,
    IKEV1_ESP_RC5               = 4,
    IKEV1_ESP_IDEA              = 5,
    IKEV1_ESP_CAST              = 6,
    IKEV1_ESP_BLOWFISH          = 7,
    IKEV1_ESP_3IDEA             = 8,
    IKEV1_ESP_DES_IV32          = 9,
    IKEV1_ESP_RC4               = 10,
    IKEV1_ESP_NULL              = 11,
    IKEV1_ESP_AES               = 12,   /* CBC */
    IKEV1_ESP_AES_CTR           = 13,
    IKEV1_ESP_AES_CCM_8         = 14,
    IKEV1_ESP_AES_CCM_12        = 15,
    IKEV1_ESP_AES_CCM_16        = 16,
    IKEV1_ESP_AES_GCM_8         = 18,
    IKEV1_ESP_AES_GCM_12        = 19,
    IKEV1_ESP_AES_GCM_16        = 20,
    IKEV1_ESP_NULL_AUTH_AES_GMAC = 23,
};
enum ikev1_ah_transform {
    IKEV1_AH_MD5                = 2,
    IKEV1_AH_SHA                = 3,
    IKEV1_AH_DES                = 4,
    IKEV1_AH_SHA2_256           = 5,
    IKEV1_AH_SHA2_384           = 6,
    IKEV1_AH_SHA2_512           = 7,
};

/* ---- Phase 1 (ISAKMP SA) attribute classes (RFC 2409 Appendix A) ----------- */

#define IKEV1_ATTRIBUTE_TV      0x8000  /* AF bit: Type/Value, 2-byte value */

enum ikev1_p1_attribute {
    IKEV1_P1_ENCRYPTION         = 1,
    IKEV1_P1_HASH               = 2,
    IKEV1_P1_AUTH_METHOD        = 3,
    IKEV1_P1_GROUP_DESCRIPTION  = 4,
    IKEV1_P1_GROUP_TYPE         = 5,
    IKEV1_P1_GROUP_PRIME        = 6,    /* variable */
    IKEV1_P1_GROUP_GENERATOR_1  = 7,
    IKEV1_P1_GROUP_GENERATOR_2  = 8,
    IKEV1_P1_GROUP_CURVE_A      = 9,
    IKEV1_P1_GROUP_CURVE_B      = 10,
    IKEV1_P1_LIFE_TYPE          = 11,
    IKEV1_P1_LIFE_DURATION      = 12,   /* variable: 4 bytes TLV above 65535 */
    IKEV1_P1_PRF                = 13,
    IKEV1_P1_KEY_LENGTH         = 14,
    IKEV1_P1_FIELD_SIZE         = 15,
    IKEV1_P1_GROUP_ORDER        = 16,
};

enum ikev1_p1_encryption {
    IKEV1_ENCR_DES_CBC          = 1,
    IKEV1_ENCR_IDEA_CBC         = 2,
    IKEV1_ENCR_BLOWFISH_CBC     = 3,
    IKEV1_ENCR_RC5_CBC          = 4,
    IKEV1_ENCR_3DES_CBC         = 5,
    IKEV1_ENCR_CAST_CBC         = 6,
    IKEV1_ENCR_AES_CBC          = 7,
    IKEV1_ENCR_CAMELLIA_CBC     = 8,
};

enum ikev1_p1_hash {
    IKEV1_HASH_MD5              = 1,
    IKEV1_HASH_SHA1             = 2,
    IKEV1_HASH_TIGER            = 3,
    IKEV1_HASH_SHA2_256         = 4,
    IKEV1_HASH_SHA2_384         = 5,
    IKEV1_HASH_SHA2_512         = 6,
};

/* Authentication methods: RFC 2409, the Xauth draft's 6500x (initiator
 * authenticates with Xauth), the hybrid draft's 64221-64222. */
enum ikev1_auth_method {
    IKEV1_AUTH_PSK                      = 1,
    IKEV1_AUTH_DSS_SIG                  = 2,
    IKEV1_AUTH_RSA_SIG                  = 3,
    IKEV1_AUTH_RSA_ENC                  = 4,
    IKEV1_AUTH_RSA_ENC_REV              = 5,
    IKEV1_AUTH_ECDSA_256                = 9,    /* RFC 4754 */
    IKEV1_AUTH_ECDSA_384                = 10,
    IKEV1_AUTH_ECDSA_521                = 11,
    IKEV1_AUTH_HYBRID_INIT_RSA          = 64221,
    IKEV1_AUTH_HYBRID_RESP_RSA          = 64222,
    IKEV1_AUTH_HYBRID_INIT_DSS          = 64223,
    IKEV1_AUTH_HYBRID_RESP_DSS          = 64224,
    IKEV1_AUTH_XAUTH_INIT_PSK           = 65001,
    IKEV1_AUTH_XAUTH_RESP_PSK           = 65002,
    IKEV1_AUTH_XAUTH_INIT_DSS           = 65003,
    IKEV1_AUTH_XAUTH_RESP_DSS           = 65004,
    IKEV1_AUTH_XAUTH_INIT_RSA           = 65005,
    IKEV1_AUTH_XAUTH_RESP_RSA           = 65006,
    IKEV1_AUTH_XAUTH_INIT_RSA_ENC       = 65007,
    IKEV1_AUTH_XAUTH_RESP_RSA_ENC       = 65008,
    IKEV1_AUTH_XAUTH_INIT_RSA_ENC_REV   = 65009,
    IKEV1_AUTH_XAUTH_RESP_RSA_ENC_REV   = 65010,
};

/* Group descriptions (RFC 2409 6, RFC 3526, RFC 5903, RFC 8031). */
enum ikev1_group {
    IKEV1_GROUP_MODP_768        = 1,
    IKEV1_GROUP_MODP_1024       = 2,
    IKEV1_GROUP_MODP_1536       = 5,
    IKEV1_GROUP_MODP_2048       = 14,
    IKEV1_GROUP_MODP_3072       = 15,
    IKEV1_GROUP_MODP_4096       = 16,
    IKEV1_GROUP_ECP_256         = 19,
    IKEV1_GROUP_ECP_384         = 20,
    IKEV1_GROUP_ECP_521         = 21,
    IKEV1_GROUP_CURVE25519      = 31,
};

/* Life types, in phase 1 (RFC 2409) and IPsec (RFC 2407) attributes alike. */
#define IKEV1_LIFE_SECONDS      1
#define IKEV1_LIFE_KILOBYTES    2

/* ---- IPsec SA attributes (RFC 2407 4.5) ------------------------------------ */

enum ikev1_ipsec_attribute {
    IKEV1_IPSEC_SA_LIFE_TYPE        = 1,
    IKEV1_IPSEC_SA_LIFE_DURATION    = 2,    /* variable */
    IKEV1_IPSEC_GROUP_DESCRIPTION   = 3,    /* PFS group */
    IKEV1_IPSEC_ENCAPSULATION_MODE  = 4,
    IKEV1_IPSEC_AUTH_ALGORITHM      = 5,
    IKEV1_IPSEC_KEY_LENGTH          = 6,
    IKEV1_IPSEC_KEY_ROUNDS          = 7,
    IKEV1_IPSEC_COMPRESS_DICT_SIZE  = 8,
    IKEV1_IPSEC_COMPRESS_PRIVATE    = 9,
};

enum ikev1_encapsulation_mode {
    IKEV1_ENCAP_TUNNEL              = 1,
    IKEV1_ENCAP_TRANSPORT           = 2,
    IKEV1_ENCAP_UDP_TUNNEL          = 3,        /* RFC 3947 */
    IKEV1_ENCAP_UDP_TRANSPORT       = 4,
    IKEV1_ENCAP_UDP_TUNNEL_DRAFT    = 61443,    /* NAT-T drafts (Cisco clients) */
    IKEV1_ENCAP_UDP_TRANSPORT_DRAFT = 61444,
};

enum ikev1_auth_algorithm {
    IKEV1_AUTH_ALG_HMAC_MD5         = 1,
    IKEV1_AUTH_ALG_HMAC_SHA1        = 2,
    IKEV1_AUTH_ALG_DES_MAC          = 3,
    IKEV1_AUTH_ALG_KPDK             = 4,
    IKEV1_AUTH_ALG_HMAC_SHA2_256    = 5,
    IKEV1_AUTH_ALG_HMAC_SHA2_384    = 6,
    IKEV1_AUTH_ALG_HMAC_SHA2_512    = 7,
};

/* ---- Notify message types (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706) ----- */

enum ikev1_notify_type {
    IKEV1_N_INVALID_PAYLOAD_TYPE        = 1,
    IKEV1_N_DOI_NOT_SUPPORTED           = 2,
    IKEV1_N_SITUATION_NOT_SUPPORTED     = 3,
    IKEV1_N_INVALID_COOKIE              = 4,
    IKEV1_N_INVALID_MAJOR_VERSION       = 5,
    IKEV1_N_INVALID_MINOR_VERSION       = 6,
    IKEV1_N_INVALID_EXCHANGE_TYPE       = 7,
    IKEV1_N_INVALID_FLAGS               = 8,
    IKEV1_N_INVALID_MESSAGE_ID          = 9,
    IKEV1_N_INVALID_PROTOCOL_ID         = 10,
    IKEV1_N_INVALID_SPI                 = 11,
    IKEV1_N_INVALID_TRANSFORM_ID        = 12,
    IKEV1_N_ATTRIBUTES_NOT_SUPPORTED    = 13,
    IKEV1_N_NO_PROPOSAL_CHOSEN          = 14,
    IKEV1_N_BAD_PROPOSAL_SYNTAX         = 15,
    IKEV1_N_PAYLOAD_MALFORMED           = 16,
    IKEV1_N_INVALID_KEY_INFORMATION     = 17,
    IKEV1_N_INVALID_ID_INFORMATION      = 18,
    IKEV1_N_INVALID_CERT_ENCODING       = 19,
    IKEV1_N_INVALID_CERTIFICATE         = 20,
    IKEV1_N_CERT_TYPE_UNSUPPORTED       = 21,
    IKEV1_N_INVALID_CERT_AUTHORITY      = 22,
    IKEV1_N_INVALID_HASH_INFORMATION    = 23,
    IKEV1_N_AUTHENTICATION_FAILED       = 24,
    IKEV1_N_INVALID_SIGNATURE           = 25,
    IKEV1_N_ADDRESS_NOTIFICATION        = 26,
    IKEV1_N_NOTIFY_SA_LIFETIME          = 27,
    IKEV1_N_CERTIFICATE_UNAVAILABLE     = 28,
    IKEV1_N_UNSUPPORTED_EXCHANGE_TYPE   = 29,
    IKEV1_N_UNEQUAL_PAYLOAD_LENGTHS     = 30,
    IKEV1_N_CONNECTED                   = 16384,
    IKEV1_N_RESPONDER_LIFETIME          = 24576,
    IKEV1_N_REPLAY_STATUS               = 24577,
    IKEV1_N_INITIAL_CONTACT             = 24578,
    IKEV1_N_DPD_R_U_THERE               = 36136,
    IKEV1_N_DPD_R_U_THERE_ACK           = 36137,
};

/* ---- Identification types (RFC 2407 4.6.2.1) ------------------------------- */

enum ikev1_id_type {
    IKEV1_ID_IPV4_ADDR          = 1,
    IKEV1_ID_FQDN               = 2,
    IKEV1_ID_USER_FQDN          = 3,
    IKEV1_ID_IPV4_ADDR_SUBNET   = 4,
    IKEV1_ID_IPV6_ADDR          = 5,
    IKEV1_ID_IPV6_ADDR_SUBNET   = 6,
    IKEV1_ID_IPV4_ADDR_RANGE    = 7,
    IKEV1_ID_IPV6_ADDR_RANGE    = 8,
    IKEV1_ID_DER_ASN1_DN        = 9,
    IKEV1_ID_DER_ASN1_GN        = 10,
    IKEV1_ID_KEY_ID             = 11,
};

/* Certificate encodings (RFC 2408 3.9). */
enum ikev1_cert_encoding {
    IKEV1_CERT_PKCS7            = 1,
    IKEV1_CERT_PGP              = 2,
    IKEV1_CERT_DNS_SIGNED_KEY   = 3,
    IKEV1_CERT_X509_SIG         = 4,
    IKEV1_CERT_X509_KE          = 5,
    IKEV1_CERT_KERBEROS         = 6,
    IKEV1_CERT_CRL              = 7,
    IKEV1_CERT_ARL              = 8,
    IKEV1_CERT_SPKI             = 9,
    IKEV1_CERT_X509_ATTRIBUTE   = 10,
};

/* ---- Transaction exchange: Mode Config and Xauth --------------------------- */

/* Attribute payload types (mode-cfg draft 3.2). */
enum ikev1_cfg_type {
    IKEV1_CFG_REQUEST           = 1,
    IKEV1_CFG_REPLY             = 2,
    IKEV1_CFG_SET               = 3,
    IKEV1_CFG_ACK               = 4,
};

enum ikev1_cfg_attribute {
    IKEV1_CFG_INTERNAL_IP4_ADDRESS  = 1,
    IKEV1_CFG_INTERNAL_IP4_NETMASK  = 2,
    IKEV1_CFG_INTERNAL_IP4_DNS      = 3,
    IKEV1_CFG_INTERNAL_IP4_NBNS     = 4,
    IKEV1_CFG_INTERNAL_ADDRESS_EXPIRY = 5,
    IKEV1_CFG_INTERNAL_IP4_DHCP     = 6,
    IKEV1_CFG_APPLICATION_VERSION   = 7,
    IKEV1_CFG_INTERNAL_IP6_ADDRESS  = 8,
    IKEV1_CFG_INTERNAL_IP6_NETMASK  = 9,
    IKEV1_CFG_INTERNAL_IP6_DNS      = 10,
    IKEV1_CFG_INTERNAL_IP6_NBNS     = 11,
    IKEV1_CFG_INTERNAL_IP6_DHCP     = 12,
    IKEV1_CFG_INTERNAL_IP4_SUBNET   = 13,
    IKEV1_CFG_SUPPORTED_ATTRIBUTES  = 14,
    IKEV1_CFG_INTERNAL_IP6_SUBNET   = 15,

    /* Xauth (draft-ietf-ipsec-isakmp-xauth-06 6.1) */
    IKEV1_XAUTH_TYPE                = 16520,
    IKEV1_XAUTH_USER_NAME           = 16521,
    IKEV1_XAUTH_USER_PASSWORD       = 16522,
    IKEV1_XAUTH_PASSCODE            = 16523,
    IKEV1_XAUTH_MESSAGE             = 16524,
    IKEV1_XAUTH_CHALLENGE           = 16525,
    IKEV1_XAUTH_DOMAIN              = 16526,
    IKEV1_XAUTH_STATUS              = 16527,
    IKEV1_XAUTH_NEXT_PIN            = 16528,
    IKEV1_XAUTH_ANSWER              = 16529,

    /* Cisco Unity */
    IKEV1_UNITY_BANNER              = 28672,
    IKEV1_UNITY_SAVE_PASSWD         = 28673,
    IKEV1_UNITY_DEF_DOMAIN          = 28674,
    IKEV1_UNITY_SPLIT_DNS_NAME      = 28675,
    IKEV1_UNITY_SPLIT_INCLUDE       = 28676,
    IKEV1_UNITY_NATT_PORT           = 28677,
    IKEV1_UNITY_LOCAL_LAN           = 28678,
    IKEV1_UNITY_PFS                 = 28679,
    IKEV1_UNITY_FW_TYPE             = 28680,
    IKEV1_UNITY_BACKUP_SERVERS      = 28681,
    IKEV1_UNITY_DDNS_HOSTNAME       = 28682,
};

/* XAUTH-TYPE values (xauth draft 6.2) and XAUTH-STATUS. */
#define IKEV1_XAUTH_TYPE_GENERIC    0
#define IKEV1_XAUTH_TYPE_RADIUS_CHAP 1
#define IKEV1_XAUTH_TYPE_OTP        2
#define IKEV1_XAUTH_TYPE_SKEY       3
#define IKEV1_XAUTH_STATUS_FAIL     0
#define IKEV1_XAUTH_STATUS_OK       1

/* The Cisco fragmentation VID may carry 4 capability bytes; this bit says
 * "fragments Main Mode" (Cisco documentation). */
#define IKEV1_CISCO_FRAG_CAP_MAIN_MODE 0x80000000u
/* Cisco fragment payload flags. */
#define IKEV1_FRAGMENT_LAST         0x01
