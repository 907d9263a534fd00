/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 protocol numbers: RFC 7296 and the IANA "Internet Key Exchange
 * Version 2 (IKEv2) Parameters" registry, plus the Cisco Unity configuration
 * attributes that Cisco clients also send in IKEv2 CP payloads. Only numbers
 * here; names for logs are in ikev2-payload.h (ikev2_*_name()).
 */
#pragma once

#define IKEV2_MAJOR_VERSION     2
#define IKEV2_MINOR_VERSION     0
#define IKEV2_HEADER_LEN        28      /* fixed IKE header */
#define IKEV2_PAYLOAD_HEADER_LEN 4      /* generic payload header */
#define IKEV2_SPI_LEN           8       /* IKE SA SPIs */

/* Exchange types (RFC 7296 3.1). */
enum ikev2_exchange_type {
    IKEV2_EXCHANGE_IKE_SA_INIT          = 34,
    IKEV2_EXCHANGE_IKE_AUTH             = 35,
    IKEV2_EXCHANGE_CREATE_CHILD_SA      = 36,
    IKEV2_EXCHANGE_INFORMATIONAL        = 37,
    IKEV2_EXCHANGE_IKE_SESSION_RESUME   = 38,
    IKEV2_EXCHANGE_IKE_INTERMEDIATE     = 43,
    IKEV2_EXCHANGE_IKE_FOLLOWUP_KE      = 44,
};

/* Header flags (RFC 7296 3.1). */
#define IKEV2_FLAG_INITIATOR    0x08
#define IKEV2_FLAG_VERSION      0x10
#define IKEV2_FLAG_RESPONSE     0x20

/* Generic payload header: the critical bit of the flags octet. */
#define IKEV2_PAYLOAD_CRITICAL  0x80

/* Payload types (RFC 7296 3.2, RFC 7383 for SKF). */
enum ikev2_payload_type {
    IKEV2_PAYLOAD_NONE      = 0,
    IKEV2_PAYLOAD_SA        = 33,
    IKEV2_PAYLOAD_KE        = 34,
    IKEV2_PAYLOAD_IDI       = 35,
    IKEV2_PAYLOAD_IDR       = 36,
    IKEV2_PAYLOAD_CERT      = 37,
    IKEV2_PAYLOAD_CERTREQ   = 38,
    IKEV2_PAYLOAD_AUTH      = 39,
    IKEV2_PAYLOAD_NONCE     = 40,
    IKEV2_PAYLOAD_NOTIFY    = 41,
    IKEV2_PAYLOAD_DELETE    = 42,
    IKEV2_PAYLOAD_VENDOR_ID = 43,
    IKEV2_PAYLOAD_TSI       = 44,
    IKEV2_PAYLOAD_TSR       = 45,
    IKEV2_PAYLOAD_SK        = 46,
    IKEV2_PAYLOAD_CP        = 47,
    IKEV2_PAYLOAD_EAP       = 48,
    IKEV2_PAYLOAD_SKF       = 53,
};

/* Security protocol identifiers (proposals, notifies, deletes). */
enum ikev2_protocol_id {
    IKEV2_PROTOCOL_NONE     = 0,
    IKEV2_PROTOCOL_IKE      = 1,
    IKEV2_PROTOCOL_AH       = 2,
    IKEV2_PROTOCOL_ESP      = 3,
};

/* Proposal and transform substructure "last" markers (RFC 7296 3.3.1/3.3.2). */
#define IKEV2_PROPOSAL_LAST     0
#define IKEV2_PROPOSAL_MORE     2
#define IKEV2_TRANSFORM_LAST    0
#define IKEV2_TRANSFORM_MORE    3

/* Transform types (RFC 7296 3.3.2, RFC 9370 for the additional key exchanges). */
enum ikev2_transform_type {
    IKEV2_TRANSFORM_ENCR    = 1,
    IKEV2_TRANSFORM_PRF     = 2,
    IKEV2_TRANSFORM_INTEG   = 3,
    IKEV2_TRANSFORM_DH      = 4,    /* "Key Exchange Method" since RFC 9370 */
    IKEV2_TRANSFORM_ESN     = 5,
    IKEV2_TRANSFORM_ADDKE1  = 6,
    IKEV2_TRANSFORM_ADDKE7  = 12,
};

/* Encryption algorithm transform IDs. */
enum ikev2_encr_id {
    IKEV2_ENCR_DES                  = 2,
    IKEV2_ENCR_3DES                 = 3,
    IKEV2_ENCR_NULL                 = 11,
    IKEV2_ENCR_AES_CBC              = 12,
    IKEV2_ENCR_AES_CTR              = 13,
    IKEV2_ENCR_AES_CCM_8            = 14,
    IKEV2_ENCR_AES_CCM_12           = 15,
    IKEV2_ENCR_AES_CCM_16           = 16,
    IKEV2_ENCR_AES_GCM_8            = 18,
    IKEV2_ENCR_AES_GCM_12           = 19,
    IKEV2_ENCR_AES_GCM_16           = 20,
    IKEV2_ENCR_NULL_AUTH_AES_GMAC   = 21,
    IKEV2_ENCR_CAMELLIA_CBC         = 23,
    IKEV2_ENCR_CHACHA20_POLY1305    = 28,
};

/* Pseudorandom function transform IDs. */
enum ikev2_prf_id {
    IKEV2_PRF_HMAC_MD5      = 1,
    IKEV2_PRF_HMAC_SHA1     = 2,
    IKEV2_PRF_AES128_XCBC   = 4,
    IKEV2_PRF_HMAC_SHA2_256 = 5,
    IKEV2_PRF_HMAC_SHA2_384 = 6,
    IKEV2_PRF_HMAC_SHA2_512 = 7,
    IKEV2_PRF_AES128_CMAC   = 8,
};

/* Integrity algorithm transform IDs. */
enum ikev2_integ_id {
    IKEV2_INTEG_NONE                = 0,
    IKEV2_INTEG_HMAC_MD5_96         = 1,
    IKEV2_INTEG_HMAC_SHA1_96        = 2,
    IKEV2_INTEG_AES_XCBC_96         = 5,
    IKEV2_INTEG_HMAC_MD5_128        = 6,
    IKEV2_INTEG_HMAC_SHA1_160       = 7,
    IKEV2_INTEG_AES_CMAC_96         = 8,
    IKEV2_INTEG_HMAC_SHA2_256_128   = 12,
    IKEV2_INTEG_HMAC_SHA2_384_192   = 13,
    IKEV2_INTEG_HMAC_SHA2_512_256   = 14,
};

/* Diffie-Hellman (key exchange method) transform IDs. */
enum ikev2_dh_id {
    IKEV2_DH_NONE           = 0,
    IKEV2_DH_MODP_768       = 1,
    IKEV2_DH_MODP_1024      = 2,
    IKEV2_DH_MODP_1536      = 5,
    IKEV2_DH_MODP_2048      = 14,
    IKEV2_DH_MODP_3072      = 15,
    IKEV2_DH_MODP_4096      = 16,
    IKEV2_DH_MODP_6144      = 17,
    IKEV2_DH_MODP_8192      = 18,
    IKEV2_DH_ECP_256        = 19,
    IKEV2_DH_ECP_384        = 20,
    IKEV2_DH_ECP_521        = 21,
    IKEV2_DH_MODP_1024_160  = 22,
    IKEV2_DH_MODP_2048_224  = 23,
    IKEV2_DH_MODP_2048_256  = 24,
    IKEV2_DH_ECP_192        = 25,
    IKEV2_DH_ECP_224        = 26,
    IKEV2_DH_BRAINPOOL_224  = 27,
    IKEV2_DH_BRAINPOOL_256  = 28,
    IKEV2_DH_BRAINPOOL_384  = 29,
    IKEV2_DH_BRAINPOOL_512  = 30,
    IKEV2_DH_CURVE25519     = 31,
    IKEV2_DH_CURVE448       = 32,
};

/* Extended Sequence Numbers transform IDs. */
enum ikev2_esn_id {
    IKEV2_ESN_NO            = 0,
    IKEV2_ESN_YES           = 1,
};

/* Transform attributes (RFC 7296 3.3.5): the top bit of the type says TV
 * (value in the length field) rather than TLV. Key Length is TV only. */
#define IKEV2_ATTRIBUTE_TV      0x8000
#define IKEV2_ATTR_KEY_LENGTH   14

/* Identification types (RFC 7296 3.5). */
enum ikev2_id_type {
    IKEV2_ID_IPV4_ADDR      = 1,
    IKEV2_ID_FQDN           = 2,
    IKEV2_ID_RFC822_ADDR    = 3,
    IKEV2_ID_IPV6_ADDR      = 5,
    IKEV2_ID_DER_ASN1_DN    = 9,
    IKEV2_ID_DER_ASN1_GN    = 10,
    IKEV2_ID_KEY_ID         = 11,
    IKEV2_ID_FC_NAME        = 12,
    IKEV2_ID_NULL           = 13,
};

/* Certificate encodings (RFC 7296 3.6). */
enum ikev2_cert_encoding {
    IKEV2_CERT_PKCS7_X509           = 1,
    IKEV2_CERT_PGP                  = 2,
    IKEV2_CERT_DNS_SIGNED_KEY       = 3,
    IKEV2_CERT_X509_SIGNATURE       = 4,
    IKEV2_CERT_KERBEROS_TOKEN       = 6,
    IKEV2_CERT_CRL                  = 7,
    IKEV2_CERT_ARL                  = 8,
    IKEV2_CERT_SPKI                 = 9,
    IKEV2_CERT_X509_ATTRIBUTE       = 10,
    IKEV2_CERT_RAW_RSA_KEY          = 11,
    IKEV2_CERT_HASH_URL_X509        = 12,
    IKEV2_CERT_HASH_URL_X509_BUNDLE = 13,
    IKEV2_CERT_RAW_PUBLIC_KEY       = 15,
};

/* Authentication methods (RFC 7296 3.8, RFC 4754, RFC 7427, RFC 7619). */
enum ikev2_auth_method {
    IKEV2_AUTH_RSA_SIG              = 1,
    IKEV2_AUTH_SHARED_KEY_MIC       = 2,
    IKEV2_AUTH_DSS_SIG              = 3,
    IKEV2_AUTH_ECDSA_SHA256_P256    = 9,
    IKEV2_AUTH_ECDSA_SHA384_P384    = 10,
    IKEV2_AUTH_ECDSA_SHA512_P521    = 11,
    IKEV2_AUTH_GSPAM                = 12,
    IKEV2_AUTH_NULL                 = 13,
    IKEV2_AUTH_DIGITAL_SIGNATURE    = 14,
};

/* Hash algorithms in SIGNATURE_HASH_ALGORITHMS (RFC 7427). */
enum ikev2_hash_algorithm {
    IKEV2_HASH_SHA1         = 1,
    IKEV2_HASH_SHA2_256     = 2,
    IKEV2_HASH_SHA2_384     = 3,
    IKEV2_HASH_SHA2_512     = 4,
    IKEV2_HASH_IDENTITY     = 5,
};

/* Notify message types (RFC 7296 3.10.1 and IANA). Below 16384: errors. */
enum ikev2_notify_type {
    IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD    = 1,
    IKEV2_N_INVALID_IKE_SPI                 = 4,
    IKEV2_N_INVALID_MAJOR_VERSION           = 5,
    IKEV2_N_INVALID_SYNTAX                  = 7,
    IKEV2_N_INVALID_MESSAGE_ID              = 9,
    IKEV2_N_INVALID_SPI                     = 11,
    IKEV2_N_NO_PROPOSAL_CHOSEN              = 14,
    IKEV2_N_INVALID_KE_PAYLOAD              = 17,
    IKEV2_N_AUTHENTICATION_FAILED           = 24,
    IKEV2_N_SINGLE_PAIR_REQUIRED            = 34,
    IKEV2_N_NO_ADDITIONAL_SAS               = 35,
    IKEV2_N_INTERNAL_ADDRESS_FAILURE        = 36,
    IKEV2_N_FAILED_CP_REQUIRED              = 37,
    IKEV2_N_TS_UNACCEPTABLE                 = 38,
    IKEV2_N_INVALID_SELECTORS               = 39,
    IKEV2_N_UNACCEPTABLE_ADDRESSES          = 40,
    IKEV2_N_UNEXPECTED_NAT_DETECTED         = 41,
    IKEV2_N_USE_ASSIGNED_HOA                = 42,
    IKEV2_N_TEMPORARY_FAILURE               = 43,
    IKEV2_N_CHILD_SA_NOT_FOUND              = 44,
    IKEV2_N_INVALID_GROUP_ID                = 45,
    IKEV2_N_AUTHORIZATION_FAILED            = 46,
    IKEV2_N_STATE_NOT_FOUND                 = 47,

    IKEV2_N_ERROR_MAX                       = 16383,

    IKEV2_N_INITIAL_CONTACT                 = 16384,
    IKEV2_N_SET_WINDOW_SIZE                 = 16385,
    IKEV2_N_ADDITIONAL_TS_POSSIBLE          = 16386,
    IKEV2_N_IPCOMP_SUPPORTED                = 16387,
    IKEV2_N_NAT_DETECTION_SOURCE_IP         = 16388,
    IKEV2_N_NAT_DETECTION_DESTINATION_IP    = 16389,
    IKEV2_N_COOKIE                          = 16390,
    IKEV2_N_USE_TRANSPORT_MODE              = 16391,
    IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED      = 16392,
    IKEV2_N_REKEY_SA                        = 16393,
    IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED   = 16394,
    IKEV2_N_NON_FIRST_FRAGMENTS_ALSO        = 16395,
    IKEV2_N_MOBIKE_SUPPORTED                = 16396,
    IKEV2_N_ADDITIONAL_IP4_ADDRESS          = 16397,
    IKEV2_N_ADDITIONAL_IP6_ADDRESS          = 16398,
    IKEV2_N_NO_ADDITIONAL_ADDRESSES         = 16399,
    IKEV2_N_UPDATE_SA_ADDRESSES             = 16400,
    IKEV2_N_COOKIE2                         = 16401,
    IKEV2_N_NO_NATS_ALLOWED                 = 16402,
    IKEV2_N_AUTH_LIFETIME                   = 16403,
    IKEV2_N_MULTIPLE_AUTH_SUPPORTED         = 16404,
    IKEV2_N_ANOTHER_AUTH_FOLLOWS            = 16405,
    IKEV2_N_REDIRECT_SUPPORTED              = 16406,
    IKEV2_N_REDIRECT                        = 16407,
    IKEV2_N_REDIRECTED_FROM                 = 16408,
    IKEV2_N_EAP_ONLY_AUTHENTICATION         = 16417,
    IKEV2_N_CHILDLESS_IKEV2_SUPPORTED       = 16418,
    IKEV2_N_QUICK_CRASH_DETECTION           = 16419,
    IKEV2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420,
    IKEV2_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED = 16421,
    IKEV2_N_IKEV2_MESSAGE_ID_SYNC           = 16422,
    IKEV2_N_IPSEC_REPLAY_COUNTER_SYNC       = 16423,
    IKEV2_N_SECURE_PASSWORD_METHODS         = 16424,
    IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED   = 16430,
    IKEV2_N_SIGNATURE_HASH_ALGORITHMS       = 16431,
    IKEV2_N_USE_PPK                         = 16435,
    IKEV2_N_INTERMEDIATE_EXCHANGE_SUPPORTED = 16438,
    IKEV2_N_USE_AGGFRAG                     = 16442,
};

/* Traffic selector types (RFC 7296 3.13.1). */
enum ikev2_ts_type {
    IKEV2_TS_IPV4_ADDR_RANGE    = 7,
    IKEV2_TS_IPV6_ADDR_RANGE    = 8,
    IKEV2_TS_SECLABEL           = 10,
};

/* Configuration payload types (RFC 7296 3.15). */
enum ikev2_cfg_type {
    IKEV2_CFG_REQUEST   = 1,
    IKEV2_CFG_REPLY     = 2,
    IKEV2_CFG_SET       = 3,
    IKEV2_CFG_ACK       = 4,
};

/* Configuration attributes (RFC 7296 3.15.1, RFC 8598, Cisco Unity). The
 * top bit of the 16-bit type field is reserved and not part of the type. */
#define IKEV2_CP_ATTRIBUTE_TYPE_MASK 0x7fff
enum ikev2_cp_attribute_type {
    IKEV2_CP_INTERNAL_IP4_ADDRESS   = 1,
    IKEV2_CP_INTERNAL_IP4_NETMASK   = 2,
    IKEV2_CP_INTERNAL_IP4_DNS       = 3,
    IKEV2_CP_INTERNAL_IP4_NBNS      = 4,
    IKEV2_CP_INTERNAL_IP4_DHCP      = 6,
    IKEV2_CP_APPLICATION_VERSION    = 7,
    IKEV2_CP_INTERNAL_IP6_ADDRESS   = 8,
    IKEV2_CP_INTERNAL_IP6_DNS       = 10,
    IKEV2_CP_INTERNAL_IP6_DHCP      = 12,
    IKEV2_CP_INTERNAL_IP4_SUBNET    = 13,
    IKEV2_CP_SUPPORTED_ATTRIBUTES   = 14,
    IKEV2_CP_INTERNAL_IP6_SUBNET    = 15,
    IKEV2_CP_INTERNAL_IP6_LINK      = 17,
    IKEV2_CP_INTERNAL_IP6_PREFIX    = 18,
    IKEV2_CP_P_CSCF_IP4_ADDRESS     = 20,
    IKEV2_CP_P_CSCF_IP6_ADDRESS     = 21,
    IKEV2_CP_INTERNAL_DNS_DOMAIN    = 25,   /* RFC 8598 */
    IKEV2_CP_INTERNAL_DNSSEC_TA     = 26,   /* RFC 8598 */
    /* Cisco Unity (private use range), as ASAs and Cisco clients use them. */
    IKEV2_CP_UNITY_BANNER           = 28672,
    IKEV2_CP_UNITY_SAVE_PASSWD      = 28673,
    IKEV2_CP_UNITY_DEF_DOMAIN       = 28674,
    IKEV2_CP_UNITY_SPLIT_DNS        = 28675,
    IKEV2_CP_UNITY_SPLIT_INCLUDE    = 28676,
    IKEV2_CP_UNITY_NATT_PORT        = 28677,
    IKEV2_CP_UNITY_LOCAL_LAN        = 28678,
    IKEV2_CP_UNITY_PFS              = 28679,
    IKEV2_CP_UNITY_FW_TYPE          = 28680,
    IKEV2_CP_UNITY_BACKUP_SERVERS   = 28681,
    IKEV2_CP_UNITY_DDNS_HOSTNAME    = 28682,
};

/* EAP codes (RFC 3748 4) and the method types vpnd deals with. */
enum ikev2_eap_code {
    IKEV2_EAP_REQUEST   = 1,
    IKEV2_EAP_RESPONSE  = 2,
    IKEV2_EAP_SUCCESS   = 3,
    IKEV2_EAP_FAILURE   = 4,
};

enum ikev2_eap_type {
    IKEV2_EAP_TYPE_IDENTITY     = 1,
    IKEV2_EAP_TYPE_NOTIFICATION = 2,
    IKEV2_EAP_TYPE_NAK          = 3,
    IKEV2_EAP_TYPE_MD5          = 4,
    IKEV2_EAP_TYPE_GTC          = 6,
    IKEV2_EAP_TYPE_TLS          = 13,
    IKEV2_EAP_TYPE_TTLS         = 21,
    IKEV2_EAP_TYPE_PEAP         = 25,
    IKEV2_EAP_TYPE_MSCHAPV2     = 26,
    IKEV2_EAP_TYPE_EXPANDED     = 254,
};
