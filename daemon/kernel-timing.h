/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * How long the kernel work of each CHILD SA installation takes (issue 7:
 * "kernel install time of the 10,000th tunnel within 2x the first's"), and
 * how many netlink round trips it needs. child_sa_install() measures (the
 * netlink exchanges for the SAs, policies and route, CLOCK_MONOTONIC) and
 * reports here; `vpnctl stats` shows the summary as its "kernel" object.
 *
 * Pure accounting, no I/O: the first installs are kept apart (the baseline
 * the later ones are compared with), the most recent ones in a ring for
 * percentiles. Rekeys are not counted: they add two SAs, not a session.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define KERNEL_TIMING_WINDOW 1024   /* recent installs kept for p50/p99 */
#define KERNEL_TIMING_HEAD   100    /* first installs averaged as the baseline */

/* What one installation cost. */
struct kernel_install_cost {
    uint64_t usec;              /* wall time of its netlink exchanges */
    unsigned round_trips;       /* requests sent and waited for (a batch is one) */
    unsigned messages;          /* netlink messages to the kernel */
    unsigned syscalls;          /* sendmsg + recvmsg calls */
};

struct kernel_timing {
    uint64_t installs;
    uint64_t first_usec, last_usec;
    uint64_t head_sum_usec;     /* over the first KERNEL_TIMING_HEAD installs */
    uint64_t round_trips, messages, syscalls;
    uint32_t recent[KERNEL_TIMING_WINDOW];  /* µs, a ring; next at installs % WINDOW */
};

struct kernel_timing_summary {
    uint64_t installs;
    uint64_t first_usec, last_usec;
    uint64_t first_mean_usec;   /* mean of the first KERNEL_TIMING_HEAD installs (fewer while fewer) */
    uint64_t last_mean_usec;    /* mean of the last KERNEL_TIMING_HEAD installs */
    uint64_t p50_usec, p99_usec, max_usec;  /* over the last KERNEL_TIMING_WINDOW */
    size_t window;              /* how many installs the percentiles cover */
    /* Per installation, in hundredths (250 = 2.5). */
    uint64_t round_trips_x100, messages_x100, syscalls_x100;
};

void kernel_timing_record(struct kernel_timing *t, const struct kernel_install_cost *cost);
void kernel_timing_summarize(const struct kernel_timing *t, struct kernel_timing_summary *ret);
