/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vpnd's interface to the kernel's IPsec SA and policy databases over XFRM
 * netlink (libmnl). ESP in tunnel mode only: that is all a remote-access
 * concentrator installs.
 *
 * Requests that change state are queued on a handle and sent in batches (one
 * sendmsg for many messages); each request's result, with the kernel's
 * extended-ack text, goes to its own callback. Queries (get, allocspi, dumps)
 * are synchronous. The library never logs: errors are a negative errno plus,
 * when the kernel gave one, its message in struct xfrm_status.
 *
 * Ownership: vpnd owns a range of reqids. Every SA it installs carries one and
 * every policy carries one in its template, so xfrm_cleanup_owned() can remove
 * exactly what vpnd installed and leave other IKE daemons' entries alone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/xfrm.h>

/*
 * reqid is the only free-form tag the kernel keeps on both SAs and policy
 * templates without giving it a meaning in lookups (marks and if_id change
 * which packets match; security contexts need an LSM). strongSwan allocates
 * reqids upward from 1 and libreswan from 16384, so a high range is ours.
 */
#define XFRM_VPND_REQID_BASE  UINT32_C(0x76700000)
#define XFRM_VPND_REQID_COUNT UINT32_C(0x00100000)

static inline bool xfrm_reqid_is_owned(uint32_t reqid)
{
    return reqid - XFRM_VPND_REQID_BASE < XFRM_VPND_REQID_COUNT;
}

#define XFRM_KEY_MAX     64    /* hmac(sha512) key */
#define XFRM_ERRMSG_MAX  256
#define XFRM_SP_TMPL_MAX 4
#define XFRM_REPLAY_BITMAP_WORDS (XFRMA_REPLAY_ESN_MAX / 32)

enum xfrm_cipher {
    XFRM_CIPHER_NONE = 0,       /* invalid in an SA; kept as "unset" */
    XFRM_CIPHER_AES_GCM_16,     /* rfc4106(gcm(aes)), ICV 128 bits; key + 4-byte salt */
    XFRM_CIPHER_AES_CBC,        /* cbc(aes), 128/192/256-bit key */
    XFRM_CIPHER_3DES_CBC,       /* cbc(des3_ede), 192-bit key */
};

enum xfrm_integ {
    XFRM_INTEG_NONE = 0,        /* only with an AEAD cipher */
    XFRM_INTEG_HMAC_SHA1_96,
    XFRM_INTEG_HMAC_SHA256_128,
    XFRM_INTEG_HMAC_SHA384_192,
    XFRM_INTEG_HMAC_SHA512_256,
};

/* A traffic selector: addresses with prefix lengths, protocol and ports. */
struct xfrm_ts {
    uint16_t family;            /* AF_INET, AF_INET6; 0 in an SA: any (both inner families) */
    xfrm_address_t src, dst;
    uint8_t src_prefixlen, dst_prefixlen;
    uint8_t proto;              /* 0: any */
    uint16_t sport, dport;      /* host order; 0: any */
};

/* SA lifetimes; 0 means unlimited. Seconds count from the SA's addition. */
struct xfrm_sa_lifetime {
    uint64_t soft_bytes, hard_bytes;
    uint64_t soft_packets, hard_packets;
    uint64_t soft_seconds, hard_seconds;
};

/* An ESP tunnel-mode SA. Holds keys: wipe it with xfrm_sa_wipe(). */
struct xfrm_sa {
    uint16_t family;            /* of the outer addresses */
    xfrm_address_t src, dst;
    uint32_t spi;               /* host order */
    uint32_t reqid;
    struct xfrm_mark mark;      /* m == 0: none */
    struct xfrm_ts sel;         /* family 0: any traffic */

    enum xfrm_cipher cipher;
    uint16_t enc_key_len;       /* bytes */
    uint8_t enc_key[XFRM_KEY_MAX];
    enum xfrm_integ integ;
    uint16_t integ_key_len;     /* bytes */
    uint8_t integ_key[XFRM_KEY_MAX];

    bool encap;                 /* ESP in UDP (NAT-T) */
    uint16_t encap_sport, encap_dport;  /* host order */

    uint32_t replay_window;     /* packets; 0: no replay check */
    bool esn;
    struct xfrm_sa_lifetime lifetime;
    /* When an SA is moved (added anew under another address): the replay
     * state it had, so the peer's replay window keeps accepting it. */
    bool has_replay_state;
    uint32_t replay_seq, replay_oseq, replay_bitmap;
};

/* What identifies an SA in the kernel (protocol is ESP). */
struct xfrm_sa_id {
    uint16_t family;
    xfrm_address_t dst;
    uint32_t spi;               /* host order */
    struct xfrm_mark mark;
};

/* An SA as the kernel reports it: what `ip -s xfrm state` shows. */
struct xfrm_sa_info {
    struct xfrm_sa sa;          /* keys are never returned (left zero) */
    struct xfrm_lifetime_cur cur;  /* bytes, packets, add_time, use_time */
    struct xfrm_stats stats;       /* replay_window, replay, integrity_failed */
    bool has_lastused;
    uint64_t lastused;
    /* Replay state: legacy (32-bit bitmap) or ESN (bitmap of any size). */
    bool esn_state;
    uint32_t seq, oseq, seq_hi, oseq_hi;
    uint32_t replay_state_window;
    uint32_t bitmap_words;
    uint32_t bitmap[XFRM_REPLAY_BITMAP_WORDS];
};

struct xfrm_sp_tmpl {
    uint16_t family;            /* of the tunnel endpoints */
    xfrm_address_t src, dst;
    uint32_t reqid;
    bool optional;              /* level "use" instead of "required" */
};

/* A security policy; templates are ESP tunnel mode. */
struct xfrm_sp {
    struct xfrm_ts sel;
    uint8_t dir;                /* XFRM_POLICY_IN, _OUT, _FWD */
    uint8_t action;             /* XFRM_POLICY_ALLOW or XFRM_POLICY_BLOCK */
    uint32_t priority;          /* lower wins */
    uint32_t index;             /* kernel's; 0 when adding */
    struct xfrm_mark mark;
    uint64_t soft_seconds, hard_seconds;  /* 0: none; expiry gives POLEXPIRE */
    unsigned n_tmpl;
    struct xfrm_sp_tmpl tmpl[XFRM_SP_TMPL_MAX];
};

/* Identifies a policy: by index when nonzero, else by selector and dir. */
struct xfrm_sp_id {
    struct xfrm_ts sel;
    uint8_t dir;
    uint32_t index;
    struct xfrm_mark mark;
};

/* Result of one request. message is the kernel's extended ack, or "". */
struct xfrm_status {
    int error;                  /* 0 or negative errno */
    char message[XFRM_ERRMSG_MAX];
};

struct xfrm_handle;

typedef void (*xfrm_done_fn)(const struct xfrm_status *st, void *userdata);

int xfrm_open(struct xfrm_handle **ret);
struct xfrm_handle *xfrm_close(struct xfrm_handle *h);

/*
 * Queue a request. It is sent by xfrm_flush(), or earlier when the batch is
 * full (then done runs before the queueing call returns). done may be NULL;
 * it runs exactly once per queued request, also when the send fails. Returns
 * 0, or a negative errno when the request could not be encoded (done does
 * not run then). Key material is wiped from the buffer once sent.
 */
int xfrm_queue_sa_add(struct xfrm_handle *h, const struct xfrm_sa *sa, bool update,
                      xfrm_done_fn done, void *userdata);
int xfrm_queue_sa_delete(struct xfrm_handle *h, const struct xfrm_sa_id *id,
                         xfrm_done_fn done, void *userdata);
int xfrm_queue_sp_add(struct xfrm_handle *h, const struct xfrm_sp *sp, bool update,
                      xfrm_done_fn done, void *userdata);
int xfrm_queue_sp_delete(struct xfrm_handle *h, const struct xfrm_sp_id *id,
                         xfrm_done_fn done, void *userdata);
size_t xfrm_queued(const struct xfrm_handle *h);

/* What the handle cost since it was opened: exchanges (a batch or a query
 * sent and its answer awaited), messages sent, sendmsg/recvmsg calls. */
struct xfrm_io_counters {
    uint64_t round_trips, messages, syscalls;
};
void xfrm_get_io_counters(const struct xfrm_handle *h, struct xfrm_io_counters *ret);

/* Send what is queued and run each request's callback. Returns the number of
 * requests queued since the previous xfrm_flush() that failed (including
 * those sent early), or a negative errno when the socket failed (the
 * affected callbacks then get that error). */
int xfrm_flush(struct xfrm_handle *h);

/* Synchronous queries; any queued batch is flushed first. st may be NULL. */
int xfrm_sa_get(struct xfrm_handle *h, const struct xfrm_sa_id *id,
                struct xfrm_sa_info *ret, struct xfrm_status *st);
/* The same with the SA's keys left in ret->sa, to update or move it (NAT
 * rebinding); the caller wipes them with xfrm_sa_wipe(&ret->sa). */
int xfrm_sa_get_with_keys(struct xfrm_handle *h, const struct xfrm_sa_id *id,
                          struct xfrm_sa_info *ret, struct xfrm_status *st);
int xfrm_sp_get(struct xfrm_handle *h, const struct xfrm_sp_id *id,
                struct xfrm_sp *ret, struct xfrm_status *st);
/* Reserve an SPI in [min, max] for an inbound SA (a larval state). */
int xfrm_sa_allocspi(struct xfrm_handle *h, uint16_t family,
                     const xfrm_address_t *src, const xfrm_address_t *dst,
                     uint32_t reqid, const struct xfrm_mark *mark,
                     uint32_t min, uint32_t max, uint32_t *ret_spi,
                     struct xfrm_status *st);

typedef int (*xfrm_sa_dump_fn)(const struct xfrm_sa_info *info, void *userdata);
typedef int (*xfrm_sp_dump_fn)(const struct xfrm_sp *sp, void *userdata);
/* Dump every SA / policy; a negative return from fn stops the dump. */
int xfrm_sa_dump(struct xfrm_handle *h, xfrm_sa_dump_fn fn, void *userdata,
                 struct xfrm_status *st);
int xfrm_sp_dump(struct xfrm_handle *h, xfrm_sp_dump_fn fn, void *userdata,
                 struct xfrm_status *st);
/* The SAs of dump answers already read (a buffer of netlink messages as
 * the kernel sends them), each to fn, keys wiped. Ends at NLMSG_DONE or the
 * end of the buffer; -EBADMSG for a malformed or truncated message, the
 * kernel's error of an NLMSG_ERROR, or fn's first negative return. */
int xfrm_sa_dump_parse(const void *buf, size_t len, xfrm_sa_dump_fn fn, void *userdata);

/*
 * Delete every SA whose reqid and every policy with a template whose reqid
 * lies in vpnd's range, nothing else. Returns the number of failed deletes
 * (0 on full success) or a negative errno.
 */
int xfrm_cleanup_owned(struct xfrm_handle *h, unsigned *ret_sas, unsigned *ret_sps,
                       struct xfrm_status *st);

/* SPD hash thresholds (see xfrm-spd.c for why these values). */
struct xfrm_spd_hthresh {
    uint8_t lbits4, rbits4, lbits6, rbits6;
};
extern const struct xfrm_spd_hthresh xfrm_spd_hthresh_remote_access;
int xfrm_spd_set_hthresh(struct xfrm_handle *h, const struct xfrm_spd_hthresh *t,
                         struct xfrm_status *st);
int xfrm_spd_get_hthresh(struct xfrm_handle *h, struct xfrm_spd_hthresh *ret,
                         struct xfrm_status *st);

void xfrm_sa_wipe(struct xfrm_sa *sa);
const char *xfrm_cipher_name(enum xfrm_cipher c);   /* kernel algorithm name */
const char *xfrm_integ_name(enum xfrm_integ i);
