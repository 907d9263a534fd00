/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKEv2 wire format (RFC 7296 section 3): parsing a datagram into its
 * header and payload views, decoding each payload type, and building
 * messages. No cryptography and no protocol state here (as in OpenBSD iked,
 * where ikev2_msg.c/ikev2_pld.c stand apart from the state machine): the SK
 * payload's body is opaque; once the crypto code has decrypted it, the
 * plaintext's inner chain is parsed with ikev2_chain_parse().
 *
 * Views never copy: they point into the caller's buffer, which must outlive
 * them. Every length is checked against the bytes actually present; a
 * malformed message gives -EBADMSG and a struct ikev2_parse_status saying
 * what was wrong, in which payload, at which offset, so that the caller can
 * log it and pick its answer (INVALID_SYNTAX, UNSUPPORTED_CRITICAL_PAYLOAD
 * with status.payload_type, INVALID_MAJOR_VERSION).
 *
 *   struct ikev2_message m;
 *   struct ikev2_parse_status st;
 *   if (ikev2_message_parse(buf, len, &m, &st) < 0) {
 *       char why[128];
 *       ikev2_parse_status_format(&st, why, sizeof(why));
 *       log_info(..., "dropping message: %s", why);  // "truncated payload SA at offset 40"
 *   }
 *   const struct ikev2_payload *p = ikev2_payload_find(&m.payloads, IKEV2_PAYLOAD_SA);
 *   struct ikev2_sa sa;
 *   r = ikev2_sa_decode(p, &sa, &st);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2-constants.h"
#include "wire.h"

/* Limits: generous for every client seen in the wild (strongSwan's default
 * proposal carries ~40 transforms, Windows sends ~10 proposals), small
 * enough that the decoded structures live on the stack. Exceeding one is a
 * parse error (IKEV2_PARSE_TOO_MANY), never a silent truncation. */
#define IKEV2_MAX_PAYLOADS      64      /* per chain (outer or inner) */
#define IKEV2_MAX_PROPOSALS     32      /* per SA payload */
#define IKEV2_MAX_TRANSFORMS    256     /* per SA payload, all proposals together */
#define IKEV2_MAX_SELECTORS     32      /* per TS payload */
#define IKEV2_MAX_CP_ATTRIBUTES 64      /* per CP payload */
#define IKEV2_MAX_PROPOSAL_SPI  8       /* IKE SPIs are 8 bytes, ESP/AH 4 */
#define IKEV2_NONCE_MIN         16      /* RFC 7296 3.9 */
#define IKEV2_NONCE_MAX         256

/* ---- Parse errors --------------------------------------------------------- */

enum ikev2_parse_error {
    IKEV2_PARSE_OK = 0,
    IKEV2_PARSE_TRUNCATED_HEADER,       /* datagram shorter than the 28-byte header */
    IKEV2_PARSE_MAJOR_VERSION,          /* major version != 2 (header still filled in) */
    IKEV2_PARSE_LENGTH_MISMATCH,        /* header length != datagram length */
    IKEV2_PARSE_TRUNCATED_PAYLOAD,      /* generic header or body runs past the end */
    IKEV2_PARSE_PAYLOAD_LENGTH,         /* payload length < 4 */
    IKEV2_PARSE_TRAILING_DATA,          /* bytes after the last payload */
    IKEV2_PARSE_UNSUPPORTED_CRITICAL,   /* unknown payload with the critical bit */
    IKEV2_PARSE_SK_NOT_LAST,            /* SK/SKF followed by data */
    IKEV2_PARSE_TOO_MANY,               /* over one of the IKEV2_MAX_* limits */
    IKEV2_PARSE_BODY_LENGTH,            /* body too short/long for its fixed fields */
    IKEV2_PARSE_PROPOSAL_LENGTH,        /* proposal length < 8 or past the SA payload */
    IKEV2_PARSE_PROPOSAL_NUMBER,        /* 0, or not the previous proposal's + 1 */
    IKEV2_PARSE_TRANSFORM_LENGTH,       /* transform length < 8 or past its proposal */
    IKEV2_PARSE_ATTRIBUTE_LENGTH,       /* attribute runs past its transform/payload */
    IKEV2_PARSE_COUNT_MISMATCH,         /* declared count != substructures present */
    IKEV2_PARSE_LAST_MARKER,            /* "last substructure" field wrong */
    IKEV2_PARSE_SPI_SIZE,               /* SPI size impossible for the protocol */
    IKEV2_PARSE_NONCE_LENGTH,           /* nonce outside 16..256 bytes */
    IKEV2_PARSE_SELECTOR_LENGTH,        /* TS selector length wrong for its type */
    IKEV2_PARSE_EAP_LENGTH,             /* EAP length field != payload body */
    IKEV2_PARSE_FRAGMENT_NUMBER,        /* SKF number 0, total 0 or number > total */
    IKEV2_PARSE_WRONG_TYPE,             /* decoder given a payload of another type */
    IKEV2_PARSE_MISPLACED_PAYLOAD,      /* SK/SKF inside a decrypted chain */
};

struct ikev2_parse_status {
    enum ikev2_parse_error error;
    uint8_t payload_type;       /* payload concerned (0: the IKE header) */
    size_t offset;              /* of the offending structure in the message (or plaintext) */
};

/* "truncated payload", ... */
const char *ikev2_parse_error_string(enum ikev2_parse_error e);
/* "truncated payload SA at offset 40"; returns snprintf's result. */
int ikev2_parse_status_format(const struct ikev2_parse_status *st, char *buf, size_t size);

/* ---- Header and payload chain --------------------------------------------- */

struct ikev2_header {
    uint64_t ispi;              /* host byte order; the wire is big-endian */
    uint64_t rspi;
    uint8_t next_payload;
    uint8_t major_version;
    uint8_t minor_version;
    uint8_t exchange;           /* enum ikev2_exchange_type */
    uint8_t flags;              /* IKEV2_FLAG_* */
    uint32_t message_id;
    uint32_t length;
};

/* One payload of a chain: a view into the buffer parsed. */
struct ikev2_payload {
    uint8_t type;               /* enum ikev2_payload_type */
    uint8_t next_type;          /* its Next Payload field (for SK/SKF: the first inner type) */
    bool critical;
    const uint8_t *body;        /* after the 4-byte generic header */
    size_t len;                 /* body length */
    size_t offset;              /* of the generic header, from the start of the buffer parsed */
};

struct ikev2_payload_list {
    size_t n;
    struct ikev2_payload p[IKEV2_MAX_PAYLOADS];
    size_t n_skipped;           /* unknown non-critical payloads ignored */
};

/* For the crypto code: the associated data of an SK/SKF payload (RFC 5282
 * 5.1, RFC 7383 2.5) is raw[0 .. sk->offset + 4), the encrypted body is
 * sk->body (after the 4 fragment bytes for SKF: ikev2_skf_decode()). */
struct ikev2_message {
    const uint8_t *raw;         /* the datagram (header.length bytes) */
    struct ikev2_header header;
    struct ikev2_payload_list payloads;
    const struct ikev2_payload *sk;     /* the SK or SKF payload (last one), or NULL;
                                           points into payloads: do not copy the struct */
};

/* The 28-byte header alone (to find the SA, or answer INVALID_MAJOR_VERSION
 * before anything else). On IKEV2_PARSE_MAJOR_VERSION, *hdr is filled in. */
int ikev2_header_parse(const uint8_t *buf, size_t len, struct ikev2_header *hdr,
                       struct ikev2_parse_status *st);

/* Header plus the unencrypted payload chain. The header length must equal
 * len. An SK or SKF payload ends the chain and must end the message.
 * Payload types are known when listed in enum ikev2_payload_type. */
int ikev2_message_parse(const uint8_t *buf, size_t len, struct ikev2_message *msg,
                        struct ikev2_parse_status *st);

/* A chain starting with payload type first_type that fills buf exactly: the
 * decrypted content of an SK payload (without padding and pad length).
 * base_offset is added to every offset reported, so that errors and views
 * can name positions in the whole message; pass 0 if unsure. */
int ikev2_chain_parse(const uint8_t *buf, size_t len, uint8_t first_type, size_t base_offset,
                      struct ikev2_payload_list *list, struct ikev2_parse_status *st);

/* First payload of that type, or NULL; the number of them. */
const struct ikev2_payload *ikev2_payload_find(const struct ikev2_payload_list *list, uint8_t type);
size_t ikev2_payload_count(const struct ikev2_payload_list *list, uint8_t type);
/* The first Notify of that notify type (body not validated beyond its
 * fixed fields), or NULL. */
const struct ikev2_payload *ikev2_notify_find(const struct ikev2_payload_list *list, uint16_t notify_type);

/* ---- Typed payload decoders ----------------------------------------------- */
/* Each takes a payload view of its type (or of either type for ID, TS, CERT:
 * IDi/IDr, TSi/TSr, CERT/CERTREQ) and returns 0 or -EBADMSG with *st filled. */

struct ikev2_transform {
    uint8_t type;               /* enum ikev2_transform_type */
    uint16_t id;
    uint16_t key_length;        /* Key Length attribute in bits, 0 if absent */
    bool unknown_attribute;     /* RFC 7296 3.3.6: such a transform must not be chosen */
};

struct ikev2_proposal {
    uint8_t number;
    uint8_t protocol;           /* enum ikev2_protocol_id */
    uint8_t spi_size;
    uint8_t spi[IKEV2_MAX_PROPOSAL_SPI];
    size_t first_transform;     /* index in ikev2_sa.transforms */
    size_t n_transforms;        /* in wire order */
};

struct ikev2_sa {
    size_t n_proposals;
    struct ikev2_proposal proposals[IKEV2_MAX_PROPOSALS];
    size_t n_transforms;
    struct ikev2_transform transforms[IKEV2_MAX_TRANSFORMS];
};
int ikev2_sa_decode(const struct ikev2_payload *p, struct ikev2_sa *sa, struct ikev2_parse_status *st);
static inline const struct ikev2_transform *ikev2_proposal_transforms(const struct ikev2_sa *sa,
                                                                      const struct ikev2_proposal *pr) {
    return &sa->transforms[pr->first_transform];
}

struct ikev2_ke {
    uint16_t group;             /* enum ikev2_dh_id */
    const uint8_t *data;
    size_t len;
};
int ikev2_ke_decode(const struct ikev2_payload *p, struct ikev2_ke *ke, struct ikev2_parse_status *st);

struct ikev2_nonce {
    const uint8_t *data;
    size_t len;                 /* 16..256 */
};
int ikev2_nonce_decode(const struct ikev2_payload *p, struct ikev2_nonce *n, struct ikev2_parse_status *st);

struct ikev2_id {
    uint8_t type;               /* enum ikev2_id_type */
    const uint8_t *data;        /* identification data, len >= 1 */
    size_t len;
    const uint8_t *body;        /* the whole body, what AUTH signs ("RestOfIDPayload") */
    size_t body_len;
};
int ikev2_id_decode(const struct ikev2_payload *p, struct ikev2_id *id, struct ikev2_parse_status *st);

struct ikev2_auth {
    uint8_t method;             /* enum ikev2_auth_method */
    const uint8_t *data;        /* len >= 1 */
    size_t len;
};
int ikev2_auth_decode(const struct ikev2_payload *p, struct ikev2_auth *a, struct ikev2_parse_status *st);

struct ikev2_notify {
    uint8_t protocol;
    uint8_t spi_size;           /* 0, 4 or 8 */
    uint16_t type;              /* enum ikev2_notify_type */
    const uint8_t *spi;
    const uint8_t *data;
    size_t len;
};
int ikev2_notify_decode(const struct ikev2_payload *p, struct ikev2_notify *n, struct ikev2_parse_status *st);

struct ikev2_delete {
    uint8_t protocol;
    uint8_t spi_size;           /* 0 for IKE, 4 for ESP/AH */
    uint16_t n_spis;
    const uint8_t *spis;        /* n_spis * spi_size bytes, network order */
};
int ikev2_delete_decode(const struct ikev2_payload *p, struct ikev2_delete *d, struct ikev2_parse_status *st);

struct ikev2_vendor_id {
    const uint8_t *data;        /* len >= 1 */
    size_t len;
};
int ikev2_vendor_id_decode(const struct ikev2_payload *p, struct ikev2_vendor_id *v,
                           struct ikev2_parse_status *st);

struct ikev2_ts_selector {
    uint8_t type;               /* enum ikev2_ts_type; other types keep no addresses */
    uint8_t ip_protocol;        /* 0: any */
    uint16_t start_port;
    uint16_t end_port;
    uint8_t start_addr[16];     /* 4 bytes used for IPv4 */
    uint8_t end_addr[16];
};

struct ikev2_ts {
    size_t n;
    struct ikev2_ts_selector sel[IKEV2_MAX_SELECTORS];
};
/* Ranges are not checked (start > end is the state machine's concern). */
int ikev2_ts_decode(const struct ikev2_payload *p, struct ikev2_ts *ts, struct ikev2_parse_status *st);

struct ikev2_cp_attribute {
    uint16_t type;              /* enum ikev2_cp_attribute_type, reserved bit removed */
    const uint8_t *value;
    uint16_t len;               /* 0 in a request: "please assign" */
};

struct ikev2_cp {
    uint8_t type;               /* enum ikev2_cfg_type */
    size_t n;
    struct ikev2_cp_attribute attrs[IKEV2_MAX_CP_ATTRIBUTES];
};
int ikev2_cp_decode(const struct ikev2_payload *p, struct ikev2_cp *cp, struct ikev2_parse_status *st);

struct ikev2_eap {
    uint8_t code;               /* enum ikev2_eap_code */
    uint8_t id;
    uint8_t type;               /* request/response only, else 0 */
    const uint8_t *data;        /* after the type octet */
    size_t len;
    const uint8_t *packet;      /* the whole EAP packet (for EAP libraries, MSK checks) */
    size_t packet_len;
};
int ikev2_eap_decode(const struct ikev2_payload *p, struct ikev2_eap *e, struct ikev2_parse_status *st);

struct ikev2_cert {
    uint8_t encoding;           /* enum ikev2_cert_encoding */
    const uint8_t *data;        /* CERT: the certificate; CERTREQ: SHA-1 hashes of CA keys */
    size_t len;
};
int ikev2_cert_decode(const struct ikev2_payload *p, struct ikev2_cert *c, struct ikev2_parse_status *st);

struct ikev2_skf {
    uint16_t number;            /* 1..total */
    uint16_t total;
    const uint8_t *data;        /* IV, ciphertext, padding, ICV: for the crypto code */
    size_t len;
};
int ikev2_skf_decode(const struct ikev2_payload *p, struct ikev2_skf *f, struct ikev2_parse_status *st);

/* ---- Building -------------------------------------------------------------- */
/*
 * A builder appends payloads to a caller's buffer, writing each payload's
 * type into the previous Next Payload field, and ikev2_builder_finish()
 * sets the header's length. Errors are sticky: once a payload does not fit
 * (-ENOBUFS) or an argument is out of range (-EINVAL), every later call
 * fails too and nothing is written past the capacity, so callers may check
 * only the result of ikev2_builder_finish().
 *
 * An encrypted message: build the inner chain with a builder without header
 * into a second buffer (its first payload type: ikev2_builder_first_type()),
 * let the crypto code say how long the SK body will be, reserve it with
 * ikev2_build_sk(), finish the message (so the header length is final), then
 * the crypto code encrypts into the reserved body, with the message from its
 * start to the body as associated data.
 */
struct ikev2_builder {
    struct wire_builder w;      /* buffer, chaining, sticky error (wire.h) */
};

void ikev2_builder_init(struct ikev2_builder *b, uint8_t *buf, size_t cap);
/* The IKE header; must come first if at all. hdr->length and next_payload are ignored. */
int ikev2_build_header(struct ikev2_builder *b, const struct ikev2_header *hdr);
/* Sets the header length (if any); *len = bytes used. Returns the sticky error. */
int ikev2_builder_finish(struct ikev2_builder *b, size_t *len);
uint8_t ikev2_builder_first_type(const struct ikev2_builder *b);

/* Any payload from its body. */
int ikev2_build_payload(struct ikev2_builder *b, uint8_t type, bool critical,
                        const void *body, size_t len);
/* Or piecewise: begin, append bytes, end (fixes the payload length). */
int ikev2_build_begin(struct ikev2_builder *b, uint8_t type);
int ikev2_build_append(struct ikev2_builder *b, const void *data, size_t len);
int ikev2_build_end(struct ikev2_builder *b);

/* SA with one proposal (what a responder sends) or every proposal of *sa. */
int ikev2_build_sa_proposal(struct ikev2_builder *b, const struct ikev2_proposal *pr,
                            const struct ikev2_transform *transforms);
int ikev2_build_sa(struct ikev2_builder *b, const struct ikev2_sa *sa);
int ikev2_build_ke(struct ikev2_builder *b, uint16_t group, const void *data, size_t len);
int ikev2_build_nonce(struct ikev2_builder *b, const void *data, size_t len);
int ikev2_build_notify(struct ikev2_builder *b, uint8_t protocol, const void *spi, uint8_t spi_size,
                       uint16_t type, const void *data, size_t len);
/* payload_type: IKEV2_PAYLOAD_IDI or IKEV2_PAYLOAD_IDR. */
int ikev2_build_id(struct ikev2_builder *b, uint8_t payload_type, uint8_t id_type,
                   const void *data, size_t len);
int ikev2_build_auth(struct ikev2_builder *b, uint8_t method, const void *data, size_t len);
/* payload_type: IKEV2_PAYLOAD_TSI or IKEV2_PAYLOAD_TSR; IPv4/IPv6 ranges only. */
int ikev2_build_ts(struct ikev2_builder *b, uint8_t payload_type,
                   const struct ikev2_ts_selector *sel, size_t n);
int ikev2_build_cp(struct ikev2_builder *b, uint8_t cfg_type,
                   const struct ikev2_cp_attribute *attrs, size_t n);
int ikev2_build_delete(struct ikev2_builder *b, uint8_t protocol, uint8_t spi_size,
                       const void *spis, uint16_t n_spis);
int ikev2_build_vendor_id(struct ikev2_builder *b, const void *data, size_t len);
/* The type octet is written for requests and responses only. */
int ikev2_build_eap(struct ikev2_builder *b, uint8_t code, uint8_t id, uint8_t type,
                    const void *data, size_t len);
/* payload_type: IKEV2_PAYLOAD_CERT or IKEV2_PAYLOAD_CERTREQ. */
int ikev2_build_cert(struct ikev2_builder *b, uint8_t payload_type, uint8_t encoding,
                     const void *data, size_t len);
/* Reserve the SK payload's body (IV, ciphertext, padding, ICV: body_len
 * bytes, zeroed) as the last payload; *body points at it. */
int ikev2_build_sk(struct ikev2_builder *b, uint8_t first_inner_type, size_t body_len, uint8_t **body);
/* The same for one fragment (RFC 7383): first_inner_type only in fragment 1, else 0. */
int ikev2_build_skf(struct ikev2_builder *b, uint8_t first_inner_type, uint16_t number,
                    uint16_t total, size_t body_len, uint8_t **body);

/* ---- Names for logs -------------------------------------------------------- */

/* "IKE_SA_INIT", "INFORMATIONAL"; NULL when unknown. */
const char *ikev2_exchange_name(uint8_t exchange);
/* strongSwan's short payload names: "SA", "No", "IDi", "N", "D", "V", "CP", "EF"...; NULL when unknown. */
const char *ikev2_payload_name(uint8_t type);
/* strongSwan's short notify names: "NATD_S_IP", "COOKIE", "INVAL_KE"; NULL when unknown. */
const char *ikev2_notify_name(uint16_t type);
/* Full IANA names: "NAT_DETECTION_SOURCE_IP"; NULL when unknown. */
const char *ikev2_notify_long_name(uint16_t type);

/* The one-line summary of a message for "received"/"sending" log lines:
 *   IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) ]
 *   IKE_AUTH response 1 [ IDr AUTH CPRP(ADDR DNS) SA TSi TSr ]
 * inner: the decrypted chain, shown in place of the SK (or SKF) payload, or
 * NULL: SK then shows as "SK", a fragment as "EF(1/3)". Truncated to fit
 * (always NUL-terminated when size > 0); returns snprintf's result. */
int ikev2_message_describe(const struct ikev2_header *hdr, const struct ikev2_payload_list *outer,
                           const struct ikev2_payload_list *inner, char *buf, size_t size);
