/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The clocks, in microseconds (sd-event's unit): CLOCK_MONOTONIC for
 * timers, ages and timeouts, which must not jump with the wall clock;
 * CLOCK_REALTIME only for what is shown or sent as a date (login time,
 * accounting records).
 */
#pragma once

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_usec(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

static inline uint64_t monotonic_usec(void)
{
    return clock_usec(CLOCK_MONOTONIC);
}
