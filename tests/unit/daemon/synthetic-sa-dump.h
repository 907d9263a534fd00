/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * XFRM_MSG_GETSA dump answers as the kernel sends them, built in memory:
 * for the snapshot's unit test and the views' benchmark (tests/bench/
 * bench-views.c), which have no kernel SAs to dump.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "xfrm.h"

struct synthetic_sa {
    uint16_t family;
    xfrm_address_t src, dst;
    uint32_t spi, reqid;
    uint64_t bytes, packets, add_time, use_time;
    uint32_t replay_window_errors, replay_errors, integrity_failures;
    uint64_t hard_seconds, soft_seconds, hard_bytes;
};

/* Appends one XFRM_MSG_NEWSA (NLM_F_MULTI) at buf: the usersa_info with
 * the counters, an AES-GCM key, the replay state. Its length (aligned), or
 * -EMSGSIZE when len is too small. */
int synthetic_sa_message(void *buf, size_t len, const struct synthetic_sa *sa, uint32_t seq);
/* Appends the NLMSG_DONE that ends a dump. */
int synthetic_done_message(void *buf, size_t len, uint32_t seq);
