/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKEv1 wire format (ISAKMP, RFC 2408 section 3, with the IPsec DOI of
 * RFC 2407 and the extensions Cisco clients use): parsing a datagram into
 * its header and payload views, decoding each payload type, and building
 * messages. The sibling of ikev2-payload.h, with the same design: no
 * cryptography and no protocol state. When the header's E flag is set the
 * body after the header is ciphertext; once the crypto code has decrypted
 * it, the plaintext chain (which may end in cipher padding) is parsed with
 * ikev1_chain_parse(..., IKEV1_CHAIN_DECRYPTED, ...).
 *
 * Views never copy: they point into the caller's buffer, which must outlive
 * them. Every length is checked against the bytes actually present; a
 * malformed message gives -EBADMSG and a struct ikev1_parse_status saying
 * what was wrong, in which payload, at which offset, and which Notify the
 * peer should get (ikev1_parse_error_notify(): PAYLOAD-MALFORMED,
 * INVALID-PAYLOAD-TYPE, ...).
 *
 *   struct ikev1_message m;
 *   struct ikev1_parse_status st;
 *   if (ikev1_message_parse(buf, len, &m, &st) < 0) {
 *       char why[128];
 *       ikev1_parse_status_format(&st, why, sizeof(why));
 *       log_info(..., "dropping message: %s", why); // "truncated payload KE at offset 92"
 *   }
 *   if (m.encrypted) {
 *       ... decrypt m.body/m.body_len into plain ...
 *       r = ikev1_chain_parse(plain, plain_len, m.header.next_payload, IKEV1_HEADER_LEN,
 *                             IKEV1_CHAIN_DECRYPTED, &m.payloads, &st);
 *   }
 *   const struct ikev1_payload *p = ikev1_payload_find(&m.payloads, IKEV1_PAYLOAD_SA);
 *   struct ikev1_sa sa;
 *   r = ikev1_sa_decode(p, &sa, &st);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev1-constants.h"
#include "wire.h"

/* Limits: generous for every client seen in the wild (the Cisco VPN Client
 * and vpnc offer several dozen phase-1 transforms in one proposal, each
 * with 5 to 6 attributes), small enough that decoded structures live on
 * the stack. Exceeding one is a parse error (IKEV1_PARSE_TOO_MANY), never a
 * silent truncation. */
#define IKEV1_MAX_PAYLOADS      64      /* per chain */
#define IKEV1_MAX_PROPOSALS     32      /* per SA payload */
#define IKEV1_MAX_TRANSFORMS    128     /* per SA payload, all proposals together */
#define IKEV1_MAX_SA_ATTRIBUTES 1024    /* per SA payload, all transforms together */
#define IKEV1_MAX_CFG_ATTRIBUTES 64     /* per Attribute payload */
#define IKEV1_MAX_PROPOSAL_SPI  16      /* ISAKMP: 0 or both cookies; ESP/AH 4; IPComp 2 */
#define IKEV1_NONCE_MIN         8       /* RFC 2409 5 */
#define IKEV1_NONCE_MAX         256

/* ---- Parse errors --------------------------------------------------------- */

enum ikev1_parse_error {
    IKEV1_PARSE_OK = 0,
    IKEV1_PARSE_TRUNCATED_HEADER,       /* datagram shorter than the 28-byte header */
    IKEV1_PARSE_MAJOR_VERSION,          /* major version != 1 (header still filled in) */
    IKEV1_PARSE_MINOR_VERSION,          /* minor version != 0 (header still filled in) */
    IKEV1_PARSE_LENGTH_MISMATCH,        /* header length != datagram length */
    IKEV1_PARSE_TRUNCATED_PAYLOAD,      /* generic header or body runs past the end */
    IKEV1_PARSE_PAYLOAD_LENGTH,         /* payload length below 4 */
    IKEV1_PARSE_TRAILING_DATA,          /* bytes after the last payload (plaintext) */
    IKEV1_PARSE_UNKNOWN_PAYLOAD,        /* payload type we do not know: INVALID-PAYLOAD-TYPE */
    IKEV1_PARSE_MISPLACED_PAYLOAD,      /* Proposal/Transform outside an SA */
    IKEV1_PARSE_EMPTY_ENCRYPTED,        /* E flag set but no ciphertext */
    IKEV1_PARSE_TOO_MANY,               /* over one of the IKEV1_MAX_* limits */
    IKEV1_PARSE_BODY_LENGTH,            /* body too short/long for its fixed fields */
    IKEV1_PARSE_DOI,                    /* SA with a DOI other than IPsec */
    IKEV1_PARSE_SITUATION,              /* SA situation other than SIT_IDENTITY_ONLY */
    IKEV1_PARSE_PROPOSAL_LENGTH,        /* proposal length < 8 or past the SA payload */
    IKEV1_PARSE_PROPOSAL_NUMBER,        /* proposal numbers decreasing */
    IKEV1_PARSE_TRANSFORM_LENGTH,       /* transform length < 8 or past its proposal */
    IKEV1_PARSE_ATTRIBUTE_LENGTH,       /* attribute runs past its transform/payload */
    IKEV1_PARSE_COUNT_MISMATCH,         /* declared count != substructures present */
    IKEV1_PARSE_LAST_MARKER,            /* proposal/transform Next Payload wrong */
    IKEV1_PARSE_SPI_SIZE,               /* SPI size impossible for the protocol */
    IKEV1_PARSE_NONCE_LENGTH,           /* nonce outside 8..256 bytes */
    IKEV1_PARSE_ID_LENGTH,              /* ID data length wrong for its type */
    IKEV1_PARSE_WRONG_TYPE,             /* decoder given a payload of another type */
};

struct ikev1_parse_status {
    enum ikev1_parse_error error;
    uint8_t payload_type;       /* payload concerned (0: the ISAKMP header) */
    size_t offset;              /* of the offending structure in the message (or plaintext) */
};

/* "truncated payload", ... */
const char *ikev1_parse_error_string(enum ikev1_parse_error e);
/* "truncated payload SA at offset 40"; returns snprintf's result. */
int ikev1_parse_status_format(const struct ikev1_parse_status *st, char *buf, size_t size);
/* The Notify type RFC 2408 5 names for the error: INVALID-PAYLOAD-TYPE,
 * INVALID-MAJOR-VERSION, DOI-NOT-SUPPORTED, INVALID-SPI,
 * INVALID-ID-INFORMATION, PAYLOAD-MALFORMED for the rest (0 for OK). */
uint16_t ikev1_parse_error_notify(enum ikev1_parse_error e);

/* ---- Header and payload chain --------------------------------------------- */

struct ikev1_header {
    uint8_t icookie[IKEV1_COOKIE_LEN];
    uint8_t rcookie[IKEV1_COOKIE_LEN];  /* all zero in a first message */
    uint8_t next_payload;
    uint8_t major_version;
    uint8_t minor_version;
    uint8_t exchange;           /* enum ikev1_exchange_type */
    uint8_t flags;              /* IKEV1_FLAG_* */
    uint32_t message_id;        /* host byte order */
    uint32_t length;
};

/* One payload of a chain: a view into the buffer parsed. */
struct ikev1_payload {
    uint8_t type;               /* enum ikev1_payload_type */
    uint8_t next_type;          /* its Next Payload field */
    const uint8_t *body;        /* after the 4-byte generic header */
    size_t len;                 /* body length */
    size_t offset;              /* of the generic header, in the message (base_offset added) */
};

struct ikev1_payload_list {
    size_t n;
    struct ikev1_payload p[IKEV1_MAX_PAYLOADS];
    size_t padding;             /* decrypted chains: bytes after the last payload */
};

struct ikev1_message {
    const uint8_t *raw;         /* the datagram (header.length bytes) */
    struct ikev1_header header;
    bool encrypted;             /* E flag: body is ciphertext, payloads is empty */
    const uint8_t *body;        /* after the header: ciphertext when encrypted */
    size_t body_len;
    struct ikev1_payload_list payloads;
};

/* The 28-byte header alone (to find the SA by cookies or answer
 * INVALID-MAJOR-VERSION first). The header length must equal len. On a
 * version error, *hdr is filled in. */
int ikev1_header_parse(const uint8_t *buf, size_t len, struct ikev1_header *hdr,
                       struct ikev1_parse_status *st);

/* Header plus, when the E flag is clear, the payload chain, which must fill
 * the datagram exactly. With the E flag, msg->body is the ciphertext
 * (at least one byte) and msg->payloads is left empty. */
int ikev1_message_parse(const uint8_t *buf, size_t len, struct ikev1_message *msg,
                        struct ikev1_parse_status *st);

/* A chain starting with payload type first_type over buf[0..len).
 * flags IKEV1_CHAIN_DECRYPTED: buf is decrypted ciphertext, so bytes after
 * the last payload are cipher padding (RFC 2408 3.1 lets the final payload
 * end before the padded length): they are allowed and counted in
 * list->padding. Otherwise the chain must fill buf exactly. base_offset is
 * added to every offset reported (IKEV1_HEADER_LEN for the body of a
 * message). */
#define IKEV1_CHAIN_DECRYPTED   0x1
int ikev1_chain_parse(const uint8_t *buf, size_t len, uint8_t first_type, size_t base_offset,
                      unsigned flags, struct ikev1_payload_list *list,
                      struct ikev1_parse_status *st);

/* First payload of that type, or NULL; the number of them. */
const struct ikev1_payload *ikev1_payload_find(const struct ikev1_payload_list *list, uint8_t type);
size_t ikev1_payload_count(const struct ikev1_payload_list *list, uint8_t type);
/* The first Notify of that notify type (fixed fields checked only), or NULL. */
const struct ikev1_payload *ikev1_notify_find(const struct ikev1_payload_list *list,
                                              uint16_t notify_type);

/* What a Quick Mode, Informational or Transaction HASH covers (RFC 2409
 * 5.5, 5.7; mode-cfg draft 3.3): "the entire message that follows the hash
 * payload". For a parsed (decrypted) chain whose first payload is HASH:
 * hash -> that payload's body, covered -> every later payload with its
 * generic header, padding excluded. -EBADMSG if the chain does not start
 * with HASH. */
struct ikev1_hash_span {
    const uint8_t *hash;
    size_t hash_len;
    const uint8_t *covered;
    size_t covered_len;
};
int ikev1_chain_hash_span(const struct ikev1_payload_list *list, struct ikev1_hash_span *span);

/* ---- Typed payload decoders ----------------------------------------------- */
/* Each takes a payload view of its type (NAT-D and NAT-OA: RFC or draft
 * number; CERT or CR for ikev1_cert_decode) and returns 0 or -EBADMSG with
 * *st filled. */

/* A data attribute (RFC 2408 3.3), in SA transforms and Attribute payloads.
 * TV (AF bit set): value in tv_value, value/len point at its 2 wire bytes.
 * TLV: value/len is the variable-length value (may be 0 bytes long). */
struct ikev1_attribute {
    uint16_t type;              /* AF bit removed */
    bool tv;
    uint16_t tv_value;
    const uint8_t *value;
    uint16_t len;
};
/* The attribute as an unsigned number: TV, or TLV of 1..8 bytes (life
 * durations). -ERANGE for longer or empty values. */
int ikev1_attribute_number(const struct ikev1_attribute *a, uint64_t *v);
/* An attribute carrying number v for building: TV when v fits 16 bits,
 * otherwise a 4-byte TLV whose bytes are kept in storage (which must
 * outlive the attribute). RFC 2409 4.5: variable-length classes such as
 * Life Duration may use either. */
struct ikev1_attribute ikev1_attribute_from_number(uint16_t type, uint32_t v, uint8_t storage[4]);

struct ikev1_transform {
    uint8_t number;
    uint8_t id;                 /* KEY_IKE, or enum ikev1_esp_transform ... */
    size_t first_attribute;     /* index in ikev1_sa.attributes */
    size_t n_attributes;        /* in wire order */
};

struct ikev1_proposal {
    uint8_t number;             /* equal numbers: one AND-ed suite (RFC 2408 4.2) */
    uint8_t protocol;           /* enum ikev1_protocol_id */
    uint8_t spi_size;
    uint8_t spi[IKEV1_MAX_PROPOSAL_SPI];
    size_t first_transform;     /* index in ikev1_sa.transforms */
    size_t n_transforms;        /* in wire order */
};

struct ikev1_sa {
    uint32_t doi;               /* IKEV1_DOI_IPSEC */
    uint32_t situation;         /* IKEV1_SIT_IDENTITY_ONLY */
    size_t n_proposals;
    struct ikev1_proposal proposals[IKEV1_MAX_PROPOSALS];
    size_t n_transforms;
    struct ikev1_transform transforms[IKEV1_MAX_TRANSFORMS];
    size_t n_attributes;
    struct ikev1_attribute attributes[IKEV1_MAX_SA_ATTRIBUTES];
};
/* Only the IPsec DOI with SIT_IDENTITY_ONLY is understood (IKEV1_PARSE_DOI,
 * IKEV1_PARSE_SITUATION otherwise). Attribute values are not judged here. */
int ikev1_sa_decode(const struct ikev1_payload *p, struct ikev1_sa *sa, struct ikev1_parse_status *st);
static inline const struct ikev1_transform *ikev1_proposal_transforms(const struct ikev1_sa *sa,
                                                                      const struct ikev1_proposal *pr) {
    return &sa->transforms[pr->first_transform];
}
static inline const struct ikev1_attribute *ikev1_transform_attributes(const struct ikev1_sa *sa,
                                                                       const struct ikev1_transform *t) {
    return &sa->attributes[t->first_attribute];
}
/* The first attribute of that type in the transform, or NULL. */
const struct ikev1_attribute *ikev1_transform_attribute(const struct ikev1_sa *sa,
                                                        const struct ikev1_transform *t, uint16_t type);

/* KE, HASH, SIG, VID, NAT-D: one opaque, non-empty value. */
struct ikev1_data {
    const uint8_t *data;
    size_t len;
};
int ikev1_ke_decode(const struct ikev1_payload *p, struct ikev1_data *ke, struct ikev1_parse_status *st);
int ikev1_hash_decode(const struct ikev1_payload *p, struct ikev1_data *h, struct ikev1_parse_status *st);
int ikev1_sig_decode(const struct ikev1_payload *p, struct ikev1_data *s, struct ikev1_parse_status *st);
int ikev1_vendor_id_decode(const struct ikev1_payload *p, struct ikev1_data *v,
                           struct ikev1_parse_status *st);
int ikev1_nat_d_decode(const struct ikev1_payload *p, struct ikev1_data *h, struct ikev1_parse_status *st);
/* 8..256 bytes. */
int ikev1_nonce_decode(const struct ikev1_payload *p, struct ikev1_data *n, struct ikev1_parse_status *st);

struct ikev1_id {
    uint8_t type;               /* enum ikev1_id_type */
    uint8_t protocol;           /* IP protocol, 0: any (phase 1: 0 or 17) */
    uint16_t port;              /* 0: any (phase 1: 0 or 500) */
    const uint8_t *data;
    size_t len;                 /* exact for address types; >= 1 otherwise */
    const uint8_t *body;        /* the whole body: what HASH_I/HASH_R cover (IDii_b) */
    size_t body_len;
};
int ikev1_id_decode(const struct ikev1_payload *p, struct ikev1_id *id, struct ikev1_parse_status *st);

struct ikev1_cert {
    uint8_t encoding;           /* enum ikev1_cert_encoding */
    const uint8_t *data;        /* CERT: >= 1 byte; CR: a CA's DN, or empty for any CA */
    size_t len;
};
int ikev1_cert_decode(const struct ikev1_payload *p, struct ikev1_cert *c, struct ikev1_parse_status *st);

struct ikev1_notify {
    uint32_t doi;
    uint8_t protocol;
    uint8_t spi_size;           /* ISAKMP: 0 or 16 (both cookies); ESP/AH: 4 */
    uint16_t type;              /* enum ikev1_notify_type */
    const uint8_t *spi;
    const uint8_t *data;        /* R-U-THERE: the 4-byte sequence number */
    size_t len;
};
int ikev1_notify_decode(const struct ikev1_payload *p, struct ikev1_notify *n, struct ikev1_parse_status *st);

struct ikev1_delete {
    uint32_t doi;
    uint8_t protocol;
    uint8_t spi_size;           /* ISAKMP 16, ESP/AH 4 */
    uint16_t n_spis;            /* >= 1 */
    const uint8_t *spis;        /* n_spis * spi_size bytes, exactly the rest of the body */
};
int ikev1_delete_decode(const struct ikev1_payload *p, struct ikev1_delete *d, struct ikev1_parse_status *st);

/* Attribute payload (mode-cfg draft 3.2): Mode Config and Xauth. */
struct ikev1_cfg {
    uint8_t type;               /* enum ikev1_cfg_type */
    uint16_t identifier;        /* echoed in the reply/ack */
    size_t n;
    struct ikev1_attribute attrs[IKEV1_MAX_CFG_ATTRIBUTES];
};
int ikev1_cfg_decode(const struct ikev1_payload *p, struct ikev1_cfg *cfg, struct ikev1_parse_status *st);

/* NAT-OA (RFC 3947 5.2): the peer's original address. */
struct ikev1_nat_oa {
    uint8_t id_type;            /* IKEV1_ID_IPV4_ADDR or IKEV1_ID_IPV6_ADDR */
    const uint8_t *addr;        /* 4 or 16 bytes */
    size_t len;
};
int ikev1_nat_oa_decode(const struct ikev1_payload *p, struct ikev1_nat_oa *oa,
                        struct ikev1_parse_status *st);

/* Cisco IKE fragment (payload 132): fragment id, number 1.., last flag. */
struct ikev1_fragment {
    uint16_t id;
    uint8_t number;             /* >= 1 */
    bool last;
    const uint8_t *data;
    size_t len;
};
int ikev1_fragment_decode(const struct ikev1_payload *p, struct ikev1_fragment *f,
                          struct ikev1_parse_status *st);

/* ---- Vendor IDs ------------------------------------------------------------ */

enum ikev1_vendor {
    IKEV1_VENDOR_UNKNOWN = 0,
    IKEV1_VENDOR_NATT_RFC3947,
    IKEV1_VENDOR_NATT_DRAFT_00,
    IKEV1_VENDOR_NATT_DRAFT_01,
    IKEV1_VENDOR_NATT_DRAFT_02,
    IKEV1_VENDOR_NATT_DRAFT_02N,        /* "draft-ietf-ipsec-nat-t-ike-02\n" */
    IKEV1_VENDOR_NATT_DRAFT_03,
    IKEV1_VENDOR_NATT_DRAFT_04,
    IKEV1_VENDOR_NATT_DRAFT_05,
    IKEV1_VENDOR_NATT_DRAFT_06,
    IKEV1_VENDOR_NATT_DRAFT_07,
    IKEV1_VENDOR_NATT_DRAFT_08,
    IKEV1_VENDOR_NATT_DRAFT_09,
    IKEV1_VENDOR_DPD,
    IKEV1_VENDOR_XAUTH,
    IKEV1_VENDOR_CISCO_UNITY,
    IKEV1_VENDOR_CISCO_FRAGMENTATION,
    IKEV1_VENDOR_CISCO_CONCENTRATOR,
    IKEV1_VENDOR_STRONGSWAN,
    IKEV1_VENDOR_MS_NT5,
};

struct ikev1_vendor_id_info {
    enum ikev1_vendor vendor;
    const char *name;           /* "XAuth", "DPD", "Cisco Unity", "NAT-T (RFC 3947)" ... */
    const uint8_t *bytes;       /* as sent */
    size_t len;
    bool prefix;                /* the first match_len bytes identify it, whatever
                                   version or capabilities follow */
    size_t match_len;
};
/* The well-known VID that data is (or, for prefix entries, starts with),
 * or NULL. */
const struct ikev1_vendor_id_info *ikev1_vendor_id_identify(const uint8_t *data, size_t len);
/* The table entry for a vendor, to send its VID; NULL for UNKNOWN. */
const struct ikev1_vendor_id_info *ikev1_vendor_id_get(enum ikev1_vendor vendor);
/* For "received %s vendor ID" log lines: the known name ("XAuth",
 * "Cisco Unity"), or "unknown" and the first bytes in hex
 * ("unknown 1f07f70eaa6514d3..."). Returns snprintf's result. */
int ikev1_vendor_id_format(const uint8_t *data, size_t len, char *buf, size_t size);
/* True for every NAT-T VID (RFC 3947 and the drafts). */
bool ikev1_vendor_is_natt(enum ikev1_vendor vendor);

/* ---- Building -------------------------------------------------------------- */
/*
 * Like struct ikev2_builder: payloads are appended to a caller's buffer,
 * each type written into the previous Next Payload field (or the
 * header's); ikev1_builder_finish() sets the header length. Errors stick:
 * once something does not fit (-ENOBUFS) or an argument is out of range
 * (-EINVAL), every later call fails and nothing is written past the
 * capacity, so callers may check only ikev1_builder_finish().
 *
 * An encrypted message: build the plaintext chain with a builder without
 * header into a second buffer (its first payload type:
 * ikev1_builder_first_type()); for Quick Mode, Informational and
 * Transaction messages, start it with ikev1_build_hash_reserve() and, once
 * the chain is finished, ikev1_builder_hash_span() says where the HASH goes
 * and which bytes it covers. The crypto code pads and encrypts the chain;
 * then the message is a header with IKEV1_FLAG_ENCRYPTION followed by
 * ikev1_build_encrypted() holding the ciphertext.
 */
struct ikev1_builder {
    struct wire_builder w;      /* buffer, chaining, sticky error (wire.h) */
    size_t hash_offset;         /* of the reserved HASH payload, SIZE_MAX: none */
};

void ikev1_builder_init(struct ikev1_builder *b, uint8_t *buf, size_t cap);
/* The ISAKMP header; must come first if at all. hdr->length, next_payload
 * and the version are ignored (1.0 is written). */
int ikev1_build_header(struct ikev1_builder *b, const struct ikev1_header *hdr);
/* Sets the header length (if any); *len = bytes used. Returns the sticky error. */
int ikev1_builder_finish(struct ikev1_builder *b, size_t *len);
uint8_t ikev1_builder_first_type(const struct ikev1_builder *b);

/* Any payload from its body. */
int ikev1_build_payload(struct ikev1_builder *b, uint8_t type, const void *body, size_t len);
/* Or piecewise: begin, append bytes, end (fixes the payload length). */
int ikev1_build_begin(struct ikev1_builder *b, uint8_t type);
int ikev1_build_append(struct ikev1_builder *b, const void *data, size_t len);
int ikev1_build_end(struct ikev1_builder *b);

/* A transform to build: its attributes in order, each TV or TLV as given
 * (ikev1_attribute_from_number() picks TV or TLV for numbers). */
struct ikev1_build_transform {
    uint8_t number;
    uint8_t id;
    const struct ikev1_attribute *attrs;
    size_t n_attrs;
};
/* An SA payload (IPsec DOI, SIT_IDENTITY_ONLY) with one proposal: what a
 * responder sends, with the one transform it chose (n_transforms 1), or an
 * initiator's offer. */
int ikev1_build_sa(struct ikev1_builder *b, uint8_t proposal_number, uint8_t protocol,
                   const void *spi, uint8_t spi_size,
                   const struct ikev1_build_transform *transforms, size_t n_transforms);
/* Every proposal of a decoded SA, byte for byte where the encoding allows
 * (for tests, and to echo an SA). */
int ikev1_build_sa_copy(struct ikev1_builder *b, const struct ikev1_sa *sa);
int ikev1_build_ke(struct ikev1_builder *b, const void *data, size_t len);
int ikev1_build_id(struct ikev1_builder *b, uint8_t id_type, uint8_t protocol, uint16_t port,
                   const void *data, size_t len);
int ikev1_build_hash(struct ikev1_builder *b, const void *data, size_t len);
/* A HASH payload of len zero bytes to be filled in later: the first
 * payload (after the header, if any), once per builder. */
int ikev1_build_hash_reserve(struct ikev1_builder *b, size_t len);
/* After ikev1_builder_finish(): where the reserved HASH's value goes and
 * what it covers (everything after the HASH payload), as offsets in the
 * builder's buffer. -ENOENT without a reserved HASH. */
struct ikev1_hash_slot {
    size_t hash_offset;
    size_t hash_len;
    size_t covered_offset;
    size_t covered_len;
};
int ikev1_builder_hash_span(const struct ikev1_builder *b, struct ikev1_hash_slot *slot);
int ikev1_build_sig(struct ikev1_builder *b, const void *data, size_t len);
int ikev1_build_nonce(struct ikev1_builder *b, const void *data, size_t len);
/* The notification data of RESPONDER-LIFETIME (RFC 2407 4.6.3.1) for a
 * lifetime in seconds: the Life Type (TV, seconds) and Life Duration (4
 * octets) attributes, with the attribute numbers of the SA's kind (phase 1:
 * 11/12, IPsec: 1/2). Returns its length, 12. */
#define IKEV1_LIFETIME_DATA_LEN 12
size_t ikev1_lifetime_seconds_data(uint8_t out[IKEV1_LIFETIME_DATA_LEN], uint16_t life_type_attr,
                                   uint16_t life_duration_attr, uint32_t seconds);
int ikev1_build_notify(struct ikev1_builder *b, uint32_t doi, uint8_t protocol, const void *spi,
                       uint8_t spi_size, uint16_t type, const void *data, size_t len);
int ikev1_build_delete(struct ikev1_builder *b, uint32_t doi, uint8_t protocol, uint8_t spi_size,
                       const void *spis, uint16_t n_spis);
int ikev1_build_vendor_id(struct ikev1_builder *b, const void *data, size_t len);
/* Attribute payload; TLV attributes may have len 0 (a request). */
int ikev1_build_cfg(struct ikev1_builder *b, uint8_t cfg_type, uint16_t identifier,
                    const struct ikev1_attribute *attrs, size_t n);
/* payload_type: IKEV1_PAYLOAD_NAT_D or IKEV1_PAYLOAD_NAT_D_DRAFT (with the
 * draft VIDs). */
int ikev1_build_nat_d(struct ikev1_builder *b, uint8_t payload_type, const void *hash, size_t len);
/* payload_type: IKEV1_PAYLOAD_NAT_OA or _DRAFT; len 4 or 16. */
int ikev1_build_nat_oa(struct ikev1_builder *b, uint8_t payload_type, const void *addr, size_t len);
/* payload_type: IKEV1_PAYLOAD_CERT or IKEV1_PAYLOAD_CR. */
int ikev1_build_cert(struct ikev1_builder *b, uint8_t payload_type, uint8_t encoding,
                     const void *data, size_t len);
/* The ciphertext after a header with IKEV1_FLAG_ENCRYPTION: len bytes
 * (zeroed) at *body, the header's Next Payload set to first_type (the
 * first plaintext payload). Nothing may follow. */
int ikev1_build_encrypted(struct ikev1_builder *b, uint8_t first_type, size_t len, uint8_t **body);

/* ---- Names for logs -------------------------------------------------------- */

/* "Main Mode", "Aggressive Mode", "QUICK_MODE", "TRANSACTION", "INFORMATIONAL"; NULL when unknown. */
const char *ikev1_exchange_name(uint8_t exchange);
/* Short payload names: "SA", "KE", "ID", "HASH", "No", "N", "D", "V", "NAT-D", "FRAG"...; NULL when unknown. */
const char *ikev1_payload_name(uint8_t type);
/* Short notify names: "DPD", "DPD_ACK", "INITIAL_CONTACT", "NO_PROP"...; NULL when unknown. */
const char *ikev1_notify_name(uint16_t type);
/* Short attribute names: "ADDR", "X_USER", "U_BANNER"...; NULL when unknown. */
const char *ikev1_cfg_attribute_name(uint16_t type);
/* "CPRQ", "CPRP", "CPS", "CPA"; NULL when unknown. */
const char *ikev1_cfg_type_name(uint8_t type);

/* The one-line summary of a message for "received"/"sending" log lines:
 *   Main Mode [ SA V V V V ]
 *   TRANSACTION request 0x1234abcd [ HASH CPRQ(X_USER X_PWD) ]
 *   INFORMATIONAL 0x0badcafe [ HASH N(DPD) ]
 * role: "request", "response" or NULL (IKEv1 headers do not say which).
 * The message ID is shown when non-zero. payloads: the message's chain
 * (or its decrypted chain); an encrypted message whose chain is unknown
 * shows as [ encrypted ]. Truncated to fit (always NUL-terminated when
 * size > 0); returns snprintf's result. */
int ikev1_message_describe(const struct ikev1_header *hdr, const char *role,
                           const struct ikev1_payload_list *payloads, char *buf, size_t size);
