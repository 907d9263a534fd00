/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Encoding of XFRM requests and decoding of the kernel's messages. Internal
 * to the library (and its unit tests): callers use xfrm.h.
 *
 * Encoders write one message into buf (len bytes) and return -EINVAL for a
 * request that makes no sense or -EMSGSIZE when buf is too small. Decoders
 * take a message whose nlmsg_len was already checked against the received
 * buffer (mnl_nlmsg_ok, as mnl_cb_run does) and check everything inside it:
 * payload size, every attribute's length, lengths embedded in attributes.
 * They return -EBADMSG for malformed input.
 */
#pragma once

#include <linux/netlink.h>

#include "xfrm.h"
#include "xfrm-monitor.h"

/* Largest message we build: SA with two algorithms, encap, replay, mark. */
#define XFRM_REQUEST_MAX 2048

int xfrm_msg_sa_add(void *buf, size_t len, const struct xfrm_sa *sa, bool update,
                    struct nlmsghdr **ret);
/* type: XFRM_MSG_DELSA or XFRM_MSG_GETSA */
int xfrm_msg_sa_id(void *buf, size_t len, uint16_t type, const struct xfrm_sa_id *id,
                   struct nlmsghdr **ret);
int xfrm_msg_sp_add(void *buf, size_t len, const struct xfrm_sp *sp, bool update,
                    struct nlmsghdr **ret);
/* type: XFRM_MSG_DELPOLICY or XFRM_MSG_GETPOLICY */
int xfrm_msg_sp_id(void *buf, size_t len, uint16_t type, const struct xfrm_sp_id *id,
                   struct nlmsghdr **ret);
int xfrm_msg_allocspi(void *buf, size_t len, uint16_t family,
                      const xfrm_address_t *src, const xfrm_address_t *dst,
                      uint32_t reqid, const struct xfrm_mark *mark,
                      uint32_t min, uint32_t max, struct nlmsghdr **ret);
int xfrm_msg_spd_set_hthresh(void *buf, size_t len, const struct xfrm_spd_hthresh *t,
                             struct nlmsghdr **ret);

/* XFRM_MSG_NEWSA / UPDSA (also what GETSA and dumps return). Keys are copied. */
int xfrm_parse_sa(const struct nlmsghdr *nlh, struct xfrm_sa_info *ret);
/* XFRM_MSG_NEWPOLICY / UPDPOLICY */
int xfrm_parse_sp(const struct nlmsghdr *nlh, struct xfrm_sp *ret);
/* XFRM_MSG_EXPIRE, ACQUIRE, MAPPING, POLEXPIRE; -EOPNOTSUPP for others. */
int xfrm_parse_event(const struct nlmsghdr *nlh, struct xfrm_event *ret);
/* XFRM_MSG_NEWSPDINFO (GETSPDINFO's answer) */
int xfrm_parse_spdinfo(const struct nlmsghdr *nlh, struct xfrm_spd_hthresh *ret);
/* NLMSG_ERROR: st->error gets the errno (0 for an ack), st->message the
 * extended-ack text. Returns 0 or -EBADMSG. */
int xfrm_parse_ack(const struct nlmsghdr *nlh, struct xfrm_status *st);

/* Algorithm table (xfrm-alg.c). */
bool xfrm_cipher_is_aead(enum xfrm_cipher c);
bool xfrm_cipher_key_len_ok(enum xfrm_cipher c, size_t len);
unsigned xfrm_cipher_icv_bits(enum xfrm_cipher c);
bool xfrm_integ_key_len_ok(enum xfrm_integ i, size_t len);
unsigned xfrm_integ_trunc_bits(enum xfrm_integ i);
/* Kernel name to enum; -ENOENT for an algorithm vpnd does not use. */
int xfrm_cipher_from_name(const char *name, enum xfrm_cipher *ret);
int xfrm_integ_from_name(const char *name, unsigned trunc_bits, enum xfrm_integ *ret);
