/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The kernel's SA counters, all at once: one XFRM_MSG_GETSA dump read into
 * a table keyed by what identifies an SA (family, SPI, destination, mark),
 * for the views that show every session (`vpnctl sessions`, `ipsec`, `sas`,
 * `session`). With thousands of sessions one dump costs a few round trips
 * where one GETSA per SA cost thousands while the event loop waited.
 *
 * A snapshot is taken per control request and freed with its answer: it
 * holds only vpnd's SAs (its reqid range) and only what the views show,
 * never keys. Where no snapshot is given (one session's accounting or idle
 * check) xfrm_sa_read_counters asks the kernel for that SA alone.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "xfrm.h"

/* One SA as the views show it: the numbers `ip -s xfrm state` prints. */
struct xfrm_sa_counters {
    uint64_t bytes, packets;            /* lifetime current */
    uint64_t add_time, use_time;        /* seconds since the epoch; use_time 0: never used */
    uint32_t replay_window;             /* the window in force (ESN: the replay state's) */
    uint32_t replay_window_errors, replay_errors, integrity_failures;
    uint32_t seq, oseq;
    struct xfrm_sa_lifetime lifetime;   /* configured limits; 0 = none */
};

struct xfrm_snapshot;

void xfrm_sa_counters_from_info(const struct xfrm_sa_info *info, struct xfrm_sa_counters *out);

/* Dumps the kernel's SAs (vpnd's only). -ENOMEM, or the dump's error with
 * the kernel's message in st (st may be NULL). */
int xfrm_snapshot_take(struct xfrm_handle *x, struct xfrm_snapshot **ret, struct xfrm_status *st);
/* The same from dump answers already read (xfrm_sa_dump_parse): -EBADMSG
 * for a malformed or truncated message. */
int xfrm_snapshot_parse(const void *buf, size_t len, struct xfrm_snapshot **ret);
/* NULL is fine. */
void xfrm_snapshot_free(struct xfrm_snapshot *snap);
/* How many SAs it holds. */
size_t xfrm_snapshot_size(const struct xfrm_snapshot *snap);
/* The SA with that id, or NULL. */
const struct xfrm_sa_counters *xfrm_snapshot_find(const struct xfrm_snapshot *snap, const struct xfrm_sa_id *id);

/* One SA's counters: from snap when given (-ESRCH: the kernel had no such
 * SA when it was taken), else with one XFRM_MSG_GETSA on x (st: the
 * kernel's message then; may be NULL). */
int xfrm_sa_read_counters(struct xfrm_handle *x, const struct xfrm_snapshot *snap, const struct xfrm_sa_id *id,
                          struct xfrm_sa_counters *out, struct xfrm_status *st);
