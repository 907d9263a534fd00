/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RADIUS packets on the wire (RFC 2865, 2866, 2869, 3579; MS-MPPE keys from
 * RFC 2548): building requests, checking and reading responses, and the
 * MD5-based cryptography RADIUS defines. No I/O and no state, so that the
 * unit tests exercise every length check alone. MD5 here is RADIUS's own
 * construction, not an algorithm choice anyone could configure.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RADIUS_HEADER_LEN 20
#define RADIUS_MAX_PACKET 4096
#define RADIUS_AUTH_LEN 16
#define RADIUS_MAX_ATTR_VALUE 253
#define RADIUS_MAX_PASSWORD 128

enum radius_code {
    RADIUS_ACCESS_REQUEST = 1,
    RADIUS_ACCESS_ACCEPT = 2,
    RADIUS_ACCESS_REJECT = 3,
    RADIUS_ACCOUNTING_REQUEST = 4,
    RADIUS_ACCOUNTING_RESPONSE = 5,
    RADIUS_ACCESS_CHALLENGE = 11,
};

enum radius_attribute {
    RADIUS_USER_NAME = 1,
    RADIUS_USER_PASSWORD = 2,
    RADIUS_NAS_IP_ADDRESS = 4,
    RADIUS_NAS_PORT = 5,
    RADIUS_SERVICE_TYPE = 6,
    RADIUS_FRAMED_PROTOCOL = 7,
    RADIUS_FRAMED_IP_ADDRESS = 8,
    RADIUS_FRAMED_IP_NETMASK = 9,
    RADIUS_FILTER_ID = 11,
    RADIUS_REPLY_MESSAGE = 18,
    RADIUS_STATE = 24,
    RADIUS_CLASS = 25,
    RADIUS_VENDOR_SPECIFIC = 26,
    RADIUS_SESSION_TIMEOUT = 27,
    RADIUS_IDLE_TIMEOUT = 28,
    RADIUS_CALLED_STATION_ID = 30,
    RADIUS_CALLING_STATION_ID = 31,
    RADIUS_NAS_IDENTIFIER = 32,
    RADIUS_ACCT_STATUS_TYPE = 40,
    RADIUS_ACCT_DELAY_TIME = 41,
    RADIUS_ACCT_INPUT_OCTETS = 42,
    RADIUS_ACCT_OUTPUT_OCTETS = 43,
    RADIUS_ACCT_SESSION_ID = 44,
    RADIUS_ACCT_SESSION_TIME = 46,
    RADIUS_ACCT_INPUT_PACKETS = 47,
    RADIUS_ACCT_OUTPUT_PACKETS = 48,
    RADIUS_ACCT_TERMINATE_CAUSE = 49,
    RADIUS_ACCT_INPUT_GIGAWORDS = 52,
    RADIUS_ACCT_OUTPUT_GIGAWORDS = 53,
    RADIUS_NAS_PORT_TYPE = 61,
    RADIUS_EAP_MESSAGE = 79,
    RADIUS_MESSAGE_AUTHENTICATOR = 80,
    RADIUS_NAS_IPV6_ADDRESS = 95,
};

enum radius_acct_status {
    RADIUS_ACCT_START = 1,
    RADIUS_ACCT_STOP = 2,
    RADIUS_ACCT_INTERIM_UPDATE = 3,
};

#define RADIUS_VENDOR_MICROSOFT 311
#define RADIUS_MS_MPPE_SEND_KEY 16
#define RADIUS_MS_MPPE_RECV_KEY 17

/* ---- requests ------------------------------------------------------------ */

/* A request being built: its attributes, encoded except User-Password, which
 * is hidden with each server's secret when the packet is sealed. The
 * Message-Authenticator is added by radius_request_seal. */
struct radius_request {
    uint8_t code;
    uint8_t attrs[RADIUS_MAX_PACKET - RADIUS_HEADER_LEN];
    size_t attrs_len;
    uint8_t password[RADIUS_MAX_PASSWORD];
    size_t password_len;
    bool has_password;
    bool has_eap;
};

/* RADIUS_ACCESS_REQUEST or RADIUS_ACCOUNTING_REQUEST; -EINVAL otherwise. */
int radius_request_init(struct radius_request *req, uint8_t code);
/* Wipes the password. */
void radius_request_wipe(struct radius_request *req);

/* Adders: -EINVAL for a bad value (length 0 or over 253), -E2BIG when the
 * packet would exceed 4096 bytes. User-Password, Message-Authenticator and
 * EAP-Message have their own adders and are refused here. */
int radius_request_add(struct radius_request *req, uint8_t type, const void *value, size_t len);
int radius_request_add_string(struct radius_request *req, uint8_t type, const char *value);
int radius_request_add_u32(struct radius_request *req, uint8_t type, uint32_t value);
int radius_request_add_ipv4(struct radius_request *req, uint8_t type, struct in_addr addr);
int radius_request_add_vendor(struct radius_request *req, uint32_t vendor, uint8_t vendor_type,
                              const void *value, size_t len);
/* 1..128 bytes (RFC 2865 5.2); only in an Access-Request. */
int radius_request_set_password(struct radius_request *req, const void *password, size_t len);
/* An EAP packet, split into 253-byte EAP-Message attributes (RFC 3579 3.1). */
int radius_request_add_eap(struct radius_request *req, const void *eap, size_t len);

/* Encodes the request for one server: identifier, the Request Authenticator
 * (random for an Access-Request: `authenticator` is read; computed for an
 * Accounting-Request: `authenticator` is written), the hidden password and
 * the Message-Authenticator (every Access-Request carries one). Returns the
 * packet length or a negative errno. */
int radius_request_seal(const struct radius_request *req, uint8_t identifier, uint8_t authenticator[RADIUS_AUTH_LEN],
                        const uint8_t *secret, size_t secret_len, uint8_t *out, size_t out_len);

/* ---- responses ----------------------------------------------------------- */

/* Why a datagram is not an acceptable response. */
enum radius_verdict {
    RADIUS_OK = 0,
    RADIUS_MALFORMED,           /* lengths lie, attributes overrun, runt */
    RADIUS_BAD_CODE,            /* not an answer to this request's code */
    RADIUS_BAD_AUTHENTICATOR,   /* Response Authenticator or Message-Authenticator wrong or missing */
};

/* Checks a packet's framing: header length within [20, 4096] and no more
 * than `len` (trailing bytes are padding, RFC 2865 3), attributes exactly
 * filling it, every attribute at least 2 bytes. Returns the packet's
 * length or -EBADMSG. */
int radius_packet_check(const uint8_t *pkt, size_t len);

/* Verifies a response to a request of `request_code` sent with
 * `request_auth`: framing, code, Response Authenticator and, when present,
 * Message-Authenticator. One is required with EAP-Message (RFC 3579 3.2)
 * and, with `require_ma`, in every answer to an Access-Request (the
 * BlastRADIUS defence, CVE-2024-3596). */
enum radius_verdict radius_response_verify(const uint8_t *pkt, size_t len, uint8_t request_code,
                                           const uint8_t request_auth[RADIUS_AUTH_LEN],
                                           const uint8_t *secret, size_t secret_len, bool require_ma);

/* Attribute access on a packet radius_packet_check accepted (`len` is the
 * checked length). The `index`th occurrence (0-based) of `type`: 1 with
 * *value and *value_len set, 0 when absent. */
int radius_packet_find(const uint8_t *pkt, size_t len, uint8_t type, unsigned index, const uint8_t **value,
                       size_t *value_len);
/* The same for a vendor-specific sub-attribute (RFC 2865 5.26 format). */
int radius_packet_find_vendor(const uint8_t *pkt, size_t len, uint32_t vendor, uint8_t vendor_type, unsigned index,
                              const uint8_t **value, size_t *value_len);

/* RFC 2548 2.4.2: decrypts an MS-MPPE-Send/Recv-Key value (salt + string)
 * into key (at most key_max bytes); returns the key length or -EBADMSG. */
int radius_mppe_key_decrypt(const uint8_t *value, size_t value_len, const uint8_t request_auth[RADIUS_AUTH_LEN],
                            const uint8_t *secret, size_t secret_len, uint8_t *key, size_t key_max);

/* RFC 2865 5.2, exposed for the tests: hides (or, with `reveal`, recovers)
 * a password padded to a multiple of 16 in place. */
int radius_password_hide(uint8_t *data, size_t len, const uint8_t request_auth[RADIUS_AUTH_LEN],
                         const uint8_t *secret, size_t secret_len, bool reveal);

/* "Access-Accept", ...; "unknown" otherwise. */
const char *radius_code_name(uint8_t code);
