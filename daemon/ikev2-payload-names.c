/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Names for log lines. The short names are strongSwan's, which Cisco's
 * "debug crypto ikev2" users and strongSwan users both read daily, so that
 * a vpnd log and a client's log line up:
 *   IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) ]
 */
#include <stdio.h>

#include "ikev2-payload.h"
#include "ikev2-wire.h"

const char *ikev2_exchange_name(uint8_t exchange) {
    switch (exchange) {
    case IKEV2_EXCHANGE_IKE_SA_INIT:        return "IKE_SA_INIT";
    case IKEV2_EXCHANGE_IKE_AUTH:           return "IKE_AUTH";
    case IKEV2_EXCHANGE_CREATE_CHILD_SA:    return "CREATE_CHILD_SA";
    case IKEV2_EXCHANGE_INFORMATIONAL:      return "INFORMATIONAL";
    case IKEV2_EXCHANGE_IKE_SESSION_RESUME: return "IKE_SESSION_RESUME";
    case IKEV2_EXCHANGE_IKE_INTERMEDIATE:   return "IKE_INTERMEDIATE";
    case IKEV2_EXCHANGE_IKE_FOLLOWUP_KE:    return "IKE_FOLLOWUP_KE";
    default:                                return NULL;
    }
}

const char *ikev2_payload_name(uint8_t type) {
    switch (type) {
    case IKEV2_PAYLOAD_SA:          return "SA";
    case IKEV2_PAYLOAD_KE:          return "KE";
    case IKEV2_PAYLOAD_IDI:         return "IDi";
    case IKEV2_PAYLOAD_IDR:         return "IDr";
    case IKEV2_PAYLOAD_CERT:        return "CERT";
    case IKEV2_PAYLOAD_CERTREQ:     return "CERTREQ";
    case IKEV2_PAYLOAD_AUTH:        return "AUTH";
    case IKEV2_PAYLOAD_NONCE:       return "No";
    case IKEV2_PAYLOAD_NOTIFY:      return "N";
    case IKEV2_PAYLOAD_DELETE:      return "D";
    case IKEV2_PAYLOAD_VENDOR_ID:   return "V";
    case IKEV2_PAYLOAD_TSI:         return "TSi";
    case IKEV2_PAYLOAD_TSR:         return "TSr";
    case IKEV2_PAYLOAD_SK:          return "SK";
    case IKEV2_PAYLOAD_CP:          return "CP";
    case IKEV2_PAYLOAD_EAP:         return "EAP";
    case IKEV2_PAYLOAD_SKF:         return "EF";
    default:                        return NULL;
    }
}

struct notify_name {
    uint16_t type;
    const char *short_name;
    const char *long_name;
};

static const struct notify_name notify_names[] = {
    { IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, "CRIT", "UNSUPPORTED_CRITICAL_PAYLOAD" },
    { IKEV2_N_INVALID_IKE_SPI, "INVAL_IKE_SPI", "INVALID_IKE_SPI" },
    { IKEV2_N_INVALID_MAJOR_VERSION, "INVAL_MAJOR", "INVALID_MAJOR_VERSION" },
    { IKEV2_N_INVALID_SYNTAX, "INVAL_SYN", "INVALID_SYNTAX" },
    { IKEV2_N_INVALID_MESSAGE_ID, "INVAL_MID", "INVALID_MESSAGE_ID" },
    { IKEV2_N_INVALID_SPI, "INVAL_SPI", "INVALID_SPI" },
    { IKEV2_N_NO_PROPOSAL_CHOSEN, "NO_PROP", "NO_PROPOSAL_CHOSEN" },
    { IKEV2_N_INVALID_KE_PAYLOAD, "INVAL_KE", "INVALID_KE_PAYLOAD" },
    { IKEV2_N_AUTHENTICATION_FAILED, "AUTH_FAILED", "AUTHENTICATION_FAILED" },
    { IKEV2_N_SINGLE_PAIR_REQUIRED, "SINGLE_PAIR", "SINGLE_PAIR_REQUIRED" },
    { IKEV2_N_NO_ADDITIONAL_SAS, "NO_ADD_SAS", "NO_ADDITIONAL_SAS" },
    { IKEV2_N_INTERNAL_ADDRESS_FAILURE, "INT_ADDR_FAIL", "INTERNAL_ADDRESS_FAILURE" },
    { IKEV2_N_FAILED_CP_REQUIRED, "FAIL_CP_REQ", "FAILED_CP_REQUIRED" },
    { IKEV2_N_TS_UNACCEPTABLE, "TS_UNACCEPT", "TS_UNACCEPTABLE" },
    { IKEV2_N_INVALID_SELECTORS, "INVAL_SEL", "INVALID_SELECTORS" },
    { IKEV2_N_UNACCEPTABLE_ADDRESSES, "UNACCEPT_ADDR", "UNACCEPTABLE_ADDRESSES" },
    { IKEV2_N_UNEXPECTED_NAT_DETECTED, "UNEXPECT_NAT", "UNEXPECTED_NAT_DETECTED" },
    { IKEV2_N_USE_ASSIGNED_HOA, "ASSIGNED_HoA", "USE_ASSIGNED_HoA" },
    { IKEV2_N_TEMPORARY_FAILURE, "TEMP_FAIL", "TEMPORARY_FAILURE" },
    { IKEV2_N_CHILD_SA_NOT_FOUND, "NO_CHILD_SA", "CHILD_SA_NOT_FOUND" },
    { IKEV2_N_INVALID_GROUP_ID, "INVAL_GROUP_ID", "INVALID_GROUP_ID" },
    { IKEV2_N_AUTHORIZATION_FAILED, "AUTHZ_FAILED", "AUTHORIZATION_FAILED" },
    { IKEV2_N_STATE_NOT_FOUND, "STATE_NOT_FOUND", "STATE_NOT_FOUND" },
    { IKEV2_N_INITIAL_CONTACT, "INIT_CONTACT", "INITIAL_CONTACT" },
    { IKEV2_N_SET_WINDOW_SIZE, "SET_WINSIZE", "SET_WINDOW_SIZE" },
    { IKEV2_N_ADDITIONAL_TS_POSSIBLE, "ADD_TS_POSS", "ADDITIONAL_TS_POSSIBLE" },
    { IKEV2_N_IPCOMP_SUPPORTED, "IPCOMP_SUP", "IPCOMP_SUPPORTED" },
    { IKEV2_N_NAT_DETECTION_SOURCE_IP, "NATD_S_IP", "NAT_DETECTION_SOURCE_IP" },
    { IKEV2_N_NAT_DETECTION_DESTINATION_IP, "NATD_D_IP", "NAT_DETECTION_DESTINATION_IP" },
    { IKEV2_N_COOKIE, "COOKIE", "COOKIE" },
    { IKEV2_N_USE_TRANSPORT_MODE, "USE_TRANSP", "USE_TRANSPORT_MODE" },
    { IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED, "HTTP_CERT_LOOK", "HTTP_CERT_LOOKUP_SUPPORTED" },
    { IKEV2_N_REKEY_SA, "REKEY_SA", "REKEY_SA" },
    { IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_PAD_N", "ESP_TFC_PADDING_NOT_SUPPORTED" },
    { IKEV2_N_NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAG", "NON_FIRST_FRAGMENTS_ALSO" },
    { IKEV2_N_MOBIKE_SUPPORTED, "MOBIKE_SUP", "MOBIKE_SUPPORTED" },
    { IKEV2_N_ADDITIONAL_IP4_ADDRESS, "ADD_4_ADDR", "ADDITIONAL_IP4_ADDRESS" },
    { IKEV2_N_ADDITIONAL_IP6_ADDRESS, "ADD_6_ADDR", "ADDITIONAL_IP6_ADDRESS" },
    { IKEV2_N_NO_ADDITIONAL_ADDRESSES, "NO_ADD_ADDR", "NO_ADDITIONAL_ADDRESSES" },
    { IKEV2_N_UPDATE_SA_ADDRESSES, "UPD_SA_ADDR", "UPDATE_SA_ADDRESSES" },
    { IKEV2_N_COOKIE2, "COOKIE2", "COOKIE2" },
    { IKEV2_N_NO_NATS_ALLOWED, "NO_NATS", "NO_NATS_ALLOWED" },
    { IKEV2_N_AUTH_LIFETIME, "AUTH_LFT", "AUTH_LIFETIME" },
    { IKEV2_N_MULTIPLE_AUTH_SUPPORTED, "MULT_AUTH", "MULTIPLE_AUTH_SUPPORTED" },
    { IKEV2_N_ANOTHER_AUTH_FOLLOWS, "AUTH_FOLLOWS", "ANOTHER_AUTH_FOLLOWS" },
    { IKEV2_N_REDIRECT_SUPPORTED, "REDIR_SUP", "REDIRECT_SUPPORTED" },
    { IKEV2_N_REDIRECT, "REDIR", "REDIRECT" },
    { IKEV2_N_REDIRECTED_FROM, "REDIR_FROM", "REDIRECTED_FROM" },
    { IKEV2_N_EAP_ONLY_AUTHENTICATION, "EAP_ONLY", "EAP_ONLY_AUTHENTICATION" },
    { IKEV2_N_CHILDLESS_IKEV2_SUPPORTED, "CHDLESS_SUP", "CHILDLESS_IKEV2_SUPPORTED" },
    { IKEV2_N_QUICK_CRASH_DETECTION, "CRASH_DET", "QUICK_CRASH_DETECTION" },
    { IKEV2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED, "MSG_ID_SYN_SUP", "IKEV2_MESSAGE_ID_SYNC_SUPPORTED" },
    { IKEV2_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED, "RPL_CTR_SYN_SUP", "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED" },
    { IKEV2_N_IKEV2_MESSAGE_ID_SYNC, "MSG_ID_SYN", "IKEV2_MESSAGE_ID_SYNC" },
    { IKEV2_N_IPSEC_REPLAY_COUNTER_SYNC, "RPL_CTR_SYN", "IPSEC_REPLAY_COUNTER_SYNC" },
    { IKEV2_N_SECURE_PASSWORD_METHODS, "SEC_PASSWD", "SECURE_PASSWORD_METHODS" },
    { IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, "FRAG_SUP", "IKEV2_FRAGMENTATION_SUPPORTED" },
    { IKEV2_N_SIGNATURE_HASH_ALGORITHMS, "HASH_ALG", "SIGNATURE_HASH_ALGORITHMS" },
    { IKEV2_N_USE_PPK, "USE_PPK", "USE_PPK" },
    { IKEV2_N_INTERMEDIATE_EXCHANGE_SUPPORTED, "INT_EXCH_SUP", "INTERMEDIATE_EXCHANGE_SUPPORTED" },
    { IKEV2_N_USE_AGGFRAG, "AGGFRAG", "USE_AGGFRAG" },
};

static const struct notify_name *notify_lookup(uint16_t type) {
    for (size_t i = 0; i < sizeof(notify_names) / sizeof(notify_names[0]); i++)
        if (notify_names[i].type == type)
            return &notify_names[i];
    return NULL;
}

const char *ikev2_notify_name(uint16_t type) {
    const struct notify_name *n = notify_lookup(type);
    return n ? n->short_name : NULL;
}

const char *ikev2_notify_long_name(uint16_t type) {
    const struct notify_name *n = notify_lookup(type);
    return n ? n->long_name : NULL;
}

static const char *cp_attribute_name(uint16_t type) {
    switch (type) {
    case IKEV2_CP_INTERNAL_IP4_ADDRESS: return "ADDR";
    case IKEV2_CP_INTERNAL_IP4_NETMASK: return "MASK";
    case IKEV2_CP_INTERNAL_IP4_DNS:     return "DNS";
    case IKEV2_CP_INTERNAL_IP4_NBNS:    return "NBNS";
    case IKEV2_CP_INTERNAL_IP4_DHCP:    return "DHCP";
    case IKEV2_CP_APPLICATION_VERSION:  return "VER";
    case IKEV2_CP_INTERNAL_IP6_ADDRESS: return "ADDR6";
    case IKEV2_CP_INTERNAL_IP6_DNS:     return "DNS6";
    case IKEV2_CP_INTERNAL_IP6_DHCP:    return "DHCP6";
    case IKEV2_CP_INTERNAL_IP4_SUBNET:  return "SUBNET";
    case IKEV2_CP_SUPPORTED_ATTRIBUTES: return "SUP";
    case IKEV2_CP_INTERNAL_IP6_SUBNET:  return "SUBNET6";
    case IKEV2_CP_INTERNAL_IP6_LINK:    return "LINK6";
    case IKEV2_CP_INTERNAL_IP6_PREFIX:  return "PFX6";
    case IKEV2_CP_P_CSCF_IP4_ADDRESS:   return "PCSCF";
    case IKEV2_CP_P_CSCF_IP6_ADDRESS:   return "PCSCF6";
    case IKEV2_CP_INTERNAL_DNS_DOMAIN:  return "DNSDOM";
    case IKEV2_CP_INTERNAL_DNSSEC_TA:   return "DNSSEC_TA";
    case IKEV2_CP_UNITY_BANNER:         return "U_BANNER";
    case IKEV2_CP_UNITY_SAVE_PASSWD:    return "U_SAVEPWD";
    case IKEV2_CP_UNITY_DEF_DOMAIN:     return "U_DEFDOM";
    case IKEV2_CP_UNITY_SPLIT_DNS:      return "U_SPLITDNS";
    case IKEV2_CP_UNITY_SPLIT_INCLUDE:  return "U_SPLITINC";
    case IKEV2_CP_UNITY_NATT_PORT:      return "U_NATTPORT";
    case IKEV2_CP_UNITY_LOCAL_LAN:      return "U_LOCALLAN";
    case IKEV2_CP_UNITY_PFS:            return "U_PFS";
    case IKEV2_CP_UNITY_FW_TYPE:        return "U_FWTYPE";
    case IKEV2_CP_UNITY_BACKUP_SERVERS: return "U_BKPSRV";
    case IKEV2_CP_UNITY_DDNS_HOSTNAME:  return "U_DDNSHOST";
    default:                            return NULL;
    }
}

static const char *eap_code_name(uint8_t code) {
    switch (code) {
    case IKEV2_EAP_REQUEST:     return "REQ";
    case IKEV2_EAP_RESPONSE:    return "RES";
    case IKEV2_EAP_SUCCESS:     return "SUCC";
    case IKEV2_EAP_FAILURE:     return "FAIL";
    default:                    return NULL;
    }
}

static const char *eap_type_name(uint8_t type) {
    switch (type) {
    case IKEV2_EAP_TYPE_IDENTITY:       return "ID";
    case IKEV2_EAP_TYPE_NOTIFICATION:   return "NTF";
    case IKEV2_EAP_TYPE_NAK:            return "NAK";
    case IKEV2_EAP_TYPE_MD5:            return "MD5";
    case IKEV2_EAP_TYPE_GTC:            return "GTC";
    case IKEV2_EAP_TYPE_TLS:            return "TLS";
    case IKEV2_EAP_TYPE_TTLS:           return "TTLS";
    case IKEV2_EAP_TYPE_PEAP:           return "PEAP";
    case IKEV2_EAP_TYPE_MSCHAPV2:       return "MSCHAPV2";
    case IKEV2_EAP_TYPE_EXPANDED:       return "EXP";
    default:                            return NULL;
    }
}

static void describe_cp(struct wire_out *o, const struct ikev2_payload *p) {
    static const char *const prefixes[] = {
        [IKEV2_CFG_REQUEST] = "RQ", [IKEV2_CFG_REPLY] = "RP",
        [IKEV2_CFG_SET] = "S", [IKEV2_CFG_ACK] = "A",
    };
    struct ikev2_cp cp;
    struct ikev2_parse_status st;

    if (ikev2_cp_decode(p, &cp, &st) < 0) {
        wire_out_printf(o, "CP(malformed)");
        return;
    }
    wire_out_printf(o, "CP%s", cp.type < sizeof(prefixes) / sizeof(prefixes[0]) && prefixes[cp.type]
                          ? prefixes[cp.type] : "");
    for (size_t i = 0; i < cp.n; i++) {
        const char *name = cp_attribute_name(cp.attrs[i].type);
        wire_out_printf(o, "%s", i == 0 ? "(" : " ");
        wire_out_name(o, "", name, "", cp.attrs[i].type, "");
    }
    if (cp.n > 0)
        wire_out_printf(o, ")");
}

static void describe_eap(struct wire_out *o, const struct ikev2_payload *p) {
    struct ikev2_eap e;
    struct ikev2_parse_status st;

    if (ikev2_eap_decode(p, &e, &st) < 0) {
        wire_out_printf(o, "EAP(malformed)");
        return;
    }
    const char *code = eap_code_name(e.code);
    wire_out_name(o, "EAP/", code, "", e.code, "");
    if (e.code == IKEV2_EAP_REQUEST || e.code == IKEV2_EAP_RESPONSE) {
        const char *type = eap_type_name(e.type);
        wire_out_name(o, "/", type, "", e.type, "");
    }
}

static void describe_payload(struct wire_out *o, const struct ikev2_payload *p) {
    wire_out_printf(o, " ");
    switch (p->type) {
    case IKEV2_PAYLOAD_NOTIFY: {
        struct ikev2_notify n;
        struct ikev2_parse_status st;
        if (ikev2_notify_decode(p, &n, &st) < 0) {
            wire_out_printf(o, "N(malformed)");
            break;
        }
        const char *name = ikev2_notify_name(n.type);
        wire_out_name(o, "N(", name, "", n.type, ")");
        break;
    }
    case IKEV2_PAYLOAD_CP:
        describe_cp(o, p);
        break;
    case IKEV2_PAYLOAD_EAP:
        describe_eap(o, p);
        break;
    case IKEV2_PAYLOAD_SKF: {
        struct ikev2_skf f;
        struct ikev2_parse_status st;
        if (ikev2_skf_decode(p, &f, &st) < 0)
            wire_out_printf(o, "EF(malformed)");
        else
            wire_out_printf(o, "EF(%u/%u)", f.number, f.total);
        break;
    }
    default: {
        const char *name = ikev2_payload_name(p->type);
        wire_out_name(o, "", name, "", p->type, "");
        break;
    }
    }
}

static void describe_chain(struct wire_out *o, const struct ikev2_payload_list *list) {
    for (size_t i = 0; i < list->n; i++)
        describe_payload(o, &list->p[i]);
}

int ikev2_message_describe(const struct ikev2_header *hdr, const struct ikev2_payload_list *outer,
                           const struct ikev2_payload_list *inner, char *buf, size_t size) {
    struct wire_out o = { .buf = buf, .size = size };
    const char *exchange = ikev2_exchange_name(hdr->exchange);

    if (size > 0)
        buf[0] = '\0';
    if (exchange)
        wire_out_printf(&o, "%s", exchange);
    else
        wire_out_printf(&o, "EXCHANGE(%u)", hdr->exchange);
    wire_out_printf(&o, " %s %u [", hdr->flags & IKEV2_FLAG_RESPONSE ? "response" : "request",
               hdr->message_id);

    /* The decrypted payloads stand in for the SK (or reassembled SKF)
     * payload that carried them. */
    for (size_t i = 0; i < outer->n; i++) {
        const struct ikev2_payload *p = &outer->p[i];

        if ((p->type == IKEV2_PAYLOAD_SK || p->type == IKEV2_PAYLOAD_SKF) && inner)
            describe_chain(&o, inner);
        else
            describe_payload(&o, p);
    }
    wire_out_printf(&o, " ]");
    return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}
