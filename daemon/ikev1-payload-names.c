/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Names for log lines, close to strongSwan's IKEv1 log and Cisco's
 * "debug crypto isakmp", so that a vpnd log lines up with the client's:
 *   Aggressive Mode [ SA KE No ID V V V V V ]
 *   TRANSACTION request 0x1234abcd [ HASH CPRQ(X_USER X_PWD) ]
 */
#include <stdio.h>

#include "ikev1-payload.h"

const char *ikev1_exchange_name(uint8_t exchange) {
    switch (exchange) {
    case IKEV1_EXCHANGE_BASE:                   return "Base";
    case IKEV1_EXCHANGE_IDENTITY_PROTECTION:    return "Main Mode";
    case IKEV1_EXCHANGE_AUTH_ONLY:              return "Authentication Only";
    case IKEV1_EXCHANGE_AGGRESSIVE:             return "Aggressive Mode";
    case IKEV1_EXCHANGE_INFORMATIONAL:          return "INFORMATIONAL";
    case IKEV1_EXCHANGE_TRANSACTION:            return "TRANSACTION";
    case IKEV1_EXCHANGE_QUICK_MODE:             return "QUICK_MODE";
    case IKEV1_EXCHANGE_NEW_GROUP_MODE:         return "NEW_GROUP_MODE";
    default:                                    return NULL;
    }
}

const char *ikev1_payload_name(uint8_t type) {
    switch (type) {
    case IKEV1_PAYLOAD_SA:              return "SA";
    case IKEV1_PAYLOAD_PROPOSAL:        return "P";
    case IKEV1_PAYLOAD_TRANSFORM:       return "T";
    case IKEV1_PAYLOAD_KE:              return "KE";
    case IKEV1_PAYLOAD_ID:              return "ID";
    case IKEV1_PAYLOAD_CERT:            return "CERT";
    case IKEV1_PAYLOAD_CR:              return "CR";
    case IKEV1_PAYLOAD_HASH:            return "HASH";
    case IKEV1_PAYLOAD_SIG:             return "SIG";
    case IKEV1_PAYLOAD_NONCE:           return "No";
    case IKEV1_PAYLOAD_NOTIFY:          return "N";
    case IKEV1_PAYLOAD_DELETE:          return "D";
    case IKEV1_PAYLOAD_VENDOR_ID:       return "V";
    case IKEV1_PAYLOAD_ATTRIBUTE:       return "ATTR";
    case IKEV1_PAYLOAD_NAT_D:           return "NAT-D";
    case IKEV1_PAYLOAD_NAT_OA:          return "NAT-OA";
    case IKEV1_PAYLOAD_NAT_D_DRAFT:     return "NAT-D(draft)";
    case IKEV1_PAYLOAD_NAT_OA_DRAFT:    return "NAT-OA(draft)";
    case IKEV1_PAYLOAD_FRAGMENT:        return "FRAG";
    default:                            return NULL;
    }
}

const char *ikev1_notify_name(uint16_t type) {
    switch (type) {
    case IKEV1_N_INVALID_PAYLOAD_TYPE:      return "INVAL_PL";
    case IKEV1_N_DOI_NOT_SUPPORTED:         return "DOI_UNSUP";
    case IKEV1_N_SITUATION_NOT_SUPPORTED:   return "SIT_UNSUP";
    case IKEV1_N_INVALID_COOKIE:            return "INVAL_COOKIE";
    case IKEV1_N_INVALID_MAJOR_VERSION:     return "INVAL_MAJOR";
    case IKEV1_N_INVALID_MINOR_VERSION:     return "INVAL_MINOR";
    case IKEV1_N_INVALID_EXCHANGE_TYPE:     return "INVAL_EXCH";
    case IKEV1_N_INVALID_FLAGS:             return "INVAL_FLAGS";
    case IKEV1_N_INVALID_MESSAGE_ID:        return "INVAL_MID";
    case IKEV1_N_INVALID_PROTOCOL_ID:       return "INVAL_PROTO";
    case IKEV1_N_INVALID_SPI:               return "INVAL_SPI";
    case IKEV1_N_INVALID_TRANSFORM_ID:      return "INVAL_TRANSFORM";
    case IKEV1_N_ATTRIBUTES_NOT_SUPPORTED:  return "ATTR_UNSUP";
    case IKEV1_N_NO_PROPOSAL_CHOSEN:        return "NO_PROP";
    case IKEV1_N_BAD_PROPOSAL_SYNTAX:       return "BAD_PROP";
    case IKEV1_N_PAYLOAD_MALFORMED:         return "MALFORMED";
    case IKEV1_N_INVALID_KEY_INFORMATION:   return "INVAL_KE";
    case IKEV1_N_INVALID_ID_INFORMATION:    return "INVAL_ID";
    case IKEV1_N_INVALID_CERT_ENCODING:     return "INVAL_CERT_ENC";
    case IKEV1_N_INVALID_CERTIFICATE:       return "INVAL_CERT";
    case IKEV1_N_CERT_TYPE_UNSUPPORTED:     return "CERT_UNSUP";
    case IKEV1_N_INVALID_CERT_AUTHORITY:    return "INVAL_CA";
    case IKEV1_N_INVALID_HASH_INFORMATION:  return "INVAL_HASH";
    case IKEV1_N_AUTHENTICATION_FAILED:     return "AUTH_FAILED";
    case IKEV1_N_INVALID_SIGNATURE:         return "INVAL_SIG";
    case IKEV1_N_ADDRESS_NOTIFICATION:      return "ADDR_NOTIFY";
    case IKEV1_N_NOTIFY_SA_LIFETIME:        return "SA_LIFETIME";
    case IKEV1_N_CERTIFICATE_UNAVAILABLE:   return "CERT_UNAVAIL";
    case IKEV1_N_UNSUPPORTED_EXCHANGE_TYPE: return "EXCH_UNSUP";
    case IKEV1_N_UNEQUAL_PAYLOAD_LENGTHS:   return "UNEQUAL_LEN";
    case IKEV1_N_CONNECTED:                 return "CONNECTED";
    case IKEV1_N_RESPONDER_LIFETIME:        return "RESP_LIFETIME";
    case IKEV1_N_REPLAY_STATUS:             return "REPLAY_STATUS";
    case IKEV1_N_INITIAL_CONTACT:           return "INITIAL_CONTACT";
    case IKEV1_N_DPD_R_U_THERE:             return "DPD";
    case IKEV1_N_DPD_R_U_THERE_ACK:         return "DPD_ACK";
    default:                                return NULL;
    }
}

const char *ikev1_cfg_attribute_name(uint16_t type) {
    switch (type) {
    case IKEV1_CFG_INTERNAL_IP4_ADDRESS:    return "ADDR";
    case IKEV1_CFG_INTERNAL_IP4_NETMASK:    return "MASK";
    case IKEV1_CFG_INTERNAL_IP4_DNS:        return "DNS";
    case IKEV1_CFG_INTERNAL_IP4_NBNS:       return "NBNS";
    case IKEV1_CFG_INTERNAL_ADDRESS_EXPIRY: return "EXP";
    case IKEV1_CFG_INTERNAL_IP4_DHCP:       return "DHCP";
    case IKEV1_CFG_APPLICATION_VERSION:     return "VER";
    case IKEV1_CFG_INTERNAL_IP6_ADDRESS:    return "ADDR6";
    case IKEV1_CFG_INTERNAL_IP6_NETMASK:    return "MASK6";
    case IKEV1_CFG_INTERNAL_IP6_DNS:        return "DNS6";
    case IKEV1_CFG_INTERNAL_IP6_NBNS:       return "NBNS6";
    case IKEV1_CFG_INTERNAL_IP6_DHCP:       return "DHCP6";
    case IKEV1_CFG_INTERNAL_IP4_SUBNET:     return "SUBNET";
    case IKEV1_CFG_SUPPORTED_ATTRIBUTES:    return "SUPATTR";
    case IKEV1_CFG_INTERNAL_IP6_SUBNET:     return "SUBNET6";
    case IKEV1_XAUTH_TYPE:                  return "X_TYPE";
    case IKEV1_XAUTH_USER_NAME:             return "X_USER";
    case IKEV1_XAUTH_USER_PASSWORD:         return "X_PWD";
    case IKEV1_XAUTH_PASSCODE:              return "X_CODE";
    case IKEV1_XAUTH_MESSAGE:               return "X_MSG";
    case IKEV1_XAUTH_CHALLENGE:             return "X_CHALL";
    case IKEV1_XAUTH_DOMAIN:                return "X_DOMAIN";
    case IKEV1_XAUTH_STATUS:                return "X_STATUS";
    case IKEV1_XAUTH_NEXT_PIN:              return "X_NEXTPIN";
    case IKEV1_XAUTH_ANSWER:                return "X_ANSWER";
    case IKEV1_UNITY_BANNER:                return "U_BANNER";
    case IKEV1_UNITY_SAVE_PASSWD:           return "U_SAVEPWD";
    case IKEV1_UNITY_DEF_DOMAIN:            return "U_DEFDOM";
    case IKEV1_UNITY_SPLIT_DNS_NAME:        return "U_SPLITDNS";
    case IKEV1_UNITY_SPLIT_INCLUDE:         return "U_SPLITINC";
    case IKEV1_UNITY_NATT_PORT:             return "U_NATTPORT";
    case IKEV1_UNITY_LOCAL_LAN:             return "U_LOCALLAN";
    case IKEV1_UNITY_PFS:                   return "U_PFS";
    case IKEV1_UNITY_FW_TYPE:               return "U_FWTYPE";
    case IKEV1_UNITY_BACKUP_SERVERS:        return "U_BKPSRV";
    case IKEV1_UNITY_DDNS_HOSTNAME:         return "U_DDNSHOST";
    default:                                return NULL;
    }
}

const char *ikev1_cfg_type_name(uint8_t type) {
    switch (type) {
    case IKEV1_CFG_REQUEST: return "CPRQ";
    case IKEV1_CFG_REPLY:   return "CPRP";
    case IKEV1_CFG_SET:     return "CPS";
    case IKEV1_CFG_ACK:     return "CPA";
    default:                return NULL;
    }
}

static void describe_cfg(struct wire_out *o, const struct ikev1_payload *p) {
    struct ikev1_cfg cfg;
    struct ikev1_parse_status st;

    if (ikev1_cfg_decode(p, &cfg, &st) < 0) {
        wire_out_printf(o, "ATTR(malformed)");
        return;
    }
    const char *type = ikev1_cfg_type_name(cfg.type);
    wire_out_name(o, "", type, "ATTR", cfg.type, "(");
    for (size_t i = 0; i < cfg.n; i++) {
        const char *name = ikev1_cfg_attribute_name(cfg.attrs[i].type);
        wire_out_name(o, i ? " " : "", name, "", cfg.attrs[i].type, "");
    }
    wire_out_printf(o, ")");
}

static void describe_payload(struct wire_out *o, const struct ikev1_payload *p) {
    wire_out_printf(o, " ");
    switch (p->type) {
    case IKEV1_PAYLOAD_NOTIFY: {
        struct ikev1_notify n;
        struct ikev1_parse_status st;
        if (ikev1_notify_decode(p, &n, &st) < 0) {
            wire_out_printf(o, "N(malformed)");
            break;
        }
        const char *name = ikev1_notify_name(n.type);
        wire_out_name(o, "N(", name, "", n.type, ")");
        break;
    }
    case IKEV1_PAYLOAD_ATTRIBUTE:
        describe_cfg(o, p);
        break;
    case IKEV1_PAYLOAD_FRAGMENT: {
        struct ikev1_fragment f;
        struct ikev1_parse_status st;
        if (ikev1_fragment_decode(p, &f, &st) < 0)
            wire_out_printf(o, "FRAG(malformed)");
        else
            wire_out_printf(o, "FRAG(%u%s)", f.number, f.last ? ", last" : "");
        break;
    }
    default: {
        const char *name = ikev1_payload_name(p->type);
        wire_out_name(o, "", name, "", p->type, "");
        break;
    }
    }
}

int ikev1_message_describe(const struct ikev1_header *hdr, const char *role,
                           const struct ikev1_payload_list *payloads, char *buf, size_t size) {
    struct wire_out o = { .buf = buf, .size = size };
    const char *exchange = ikev1_exchange_name(hdr->exchange);

    if (size > 0)
        buf[0] = '\0';
    if (exchange)
        wire_out_printf(&o, "%s", exchange);
    else
        wire_out_printf(&o, "EXCHANGE(%u)", hdr->exchange);
    if (role)
        wire_out_printf(&o, " %s", role);
    /* Phase 1 messages all have ID 0; later exchanges are told apart by it. */
    if (hdr->message_id != 0)
        wire_out_printf(&o, " 0x%08x", hdr->message_id);
    wire_out_printf(&o, " [");
    if (!payloads)
        wire_out_printf(&o, " encrypted");
    else
        for (size_t i = 0; i < payloads->n; i++)
            describe_payload(&o, &payloads->p[i]);
    wire_out_printf(&o, " ]");
    return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}
