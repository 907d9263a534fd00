/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "kernel-timing.h"

#include <stdlib.h>
#include <string.h>

void kernel_timing_record(struct kernel_timing *t, const struct kernel_install_cost *cost)
{
    /* The ring holds 32 bits: an install slower than 71 minutes is capped. */
    uint32_t usec = cost->usec > UINT32_MAX ? UINT32_MAX : (uint32_t)cost->usec;

    if (t->installs == 0)
        t->first_usec = cost->usec;
    if (t->installs < KERNEL_TIMING_HEAD)
        t->head_sum_usec += cost->usec;
    t->last_usec = cost->usec;
    t->recent[t->installs % KERNEL_TIMING_WINDOW] = usec;
    t->installs++;
    t->round_trips += cost->round_trips;
    t->messages += cost->messages;
    t->syscalls += cost->syscalls;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least `percent` % of the
 * values at or below it. */
static uint64_t percentile(const uint32_t *sorted, size_t n, unsigned percent)
{
    size_t rank = (n * percent + 99) / 100;
    return sorted[rank > 0 ? rank - 1 : 0];
}

static uint64_t per_install_x100(uint64_t total, uint64_t installs)
{
    return (total * 100 + installs / 2) / installs;
}

void kernel_timing_summarize(const struct kernel_timing *t, struct kernel_timing_summary *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->installs = t->installs;
    if (t->installs == 0)
        return;
    ret->first_usec = t->first_usec;
    ret->last_usec = t->last_usec;
    uint64_t head = t->installs < KERNEL_TIMING_HEAD ? t->installs : KERNEL_TIMING_HEAD;
    ret->first_mean_usec = t->head_sum_usec / head;

    size_t n = t->installs < KERNEL_TIMING_WINDOW ? (size_t)t->installs : KERNEL_TIMING_WINDOW;
    ret->window = n;
    /* The last `head` installs, walking back from the newest. */
    uint64_t sum = 0;
    for (uint64_t k = 1; k <= head; k++)
        sum += t->recent[(t->installs - k) % KERNEL_TIMING_WINDOW];
    ret->last_mean_usec = sum / head;

    uint32_t sorted[KERNEL_TIMING_WINDOW];
    memcpy(sorted, t->recent, n * sizeof(sorted[0]));
    qsort(sorted, n, sizeof(sorted[0]), compare_u32);
    ret->p50_usec = percentile(sorted, n, 50);
    ret->p99_usec = percentile(sorted, n, 99);
    ret->max_usec = sorted[n - 1];

    ret->round_trips_x100 = per_install_x100(t->round_trips, t->installs);
    ret->messages_x100 = per_install_x100(t->messages, t->installs);
    ret->syscalls_x100 = per_install_x100(t->syscalls, t->installs);
}
