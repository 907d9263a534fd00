/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The accounting of CHILD SA install costs (daemon/kernel-timing.c). */
#include "kernel-timing.h"
#include "testing.h"

static struct kernel_timing timing;     /* 4 kB: not on the stack of each test */

static void record(struct kernel_timing *t, uint64_t usec, unsigned round_trips)
{
    struct kernel_install_cost c = { .usec = usec, .round_trips = round_trips, .messages = 6, .syscalls = 3 };
    kernel_timing_record(t, &c);
}

static void test_empty(void)
{
    struct kernel_timing_summary s;
    memset(&timing, 0, sizeof(timing));
    kernel_timing_summarize(&timing, &s);
    CHECK_INT_EQ(s.installs, 0);
    CHECK_INT_EQ(s.window, 0);
    CHECK_INT_EQ(s.p99_usec, 0);
    CHECK_INT_EQ(s.round_trips_x100, 0);
}

static void test_one(void)
{
    struct kernel_timing_summary s;
    memset(&timing, 0, sizeof(timing));
    record(&timing, 250, 3);
    kernel_timing_summarize(&timing, &s);
    CHECK_INT_EQ(s.installs, 1);
    CHECK_INT_EQ(s.first_usec, 250);
    CHECK_INT_EQ(s.last_usec, 250);
    CHECK_INT_EQ(s.first_mean_usec, 250);
    CHECK_INT_EQ(s.last_mean_usec, 250);
    CHECK_INT_EQ(s.p50_usec, 250);
    CHECK_INT_EQ(s.p99_usec, 250);
    CHECK_INT_EQ(s.max_usec, 250);
    CHECK_INT_EQ(s.window, 1);
    CHECK_INT_EQ(s.round_trips_x100, 300);
    CHECK_INT_EQ(s.messages_x100, 600);
    CHECK_INT_EQ(s.syscalls_x100, 300);
}

/* 1..100 µs in order: nearest-rank p50 is 50, p99 is 99. */
static void test_percentiles(void)
{
    struct kernel_timing_summary s;
    memset(&timing, 0, sizeof(timing));
    for (uint64_t v = 100; v >= 1; v--)     /* recorded in reverse: the sort matters */
        record(&timing, v, v % 2 ? 3 : 2);
    kernel_timing_summarize(&timing, &s);
    CHECK_INT_EQ(s.first_usec, 100);
    CHECK_INT_EQ(s.last_usec, 1);
    CHECK_INT_EQ(s.p50_usec, 50);
    CHECK_INT_EQ(s.p99_usec, 99);
    CHECK_INT_EQ(s.max_usec, 100);
    CHECK_INT_EQ(s.first_mean_usec, 50);    /* 5050 / 100, rounded down */
    CHECK_INT_EQ(s.round_trips_x100, 250);
}

/* Past the window, the first installs stay the baseline and the
 * percentiles cover only the most recent ones. */
static void test_window(void)
{
    struct kernel_timing_summary s;
    memset(&timing, 0, sizeof(timing));
    for (unsigned i = 0; i < KERNEL_TIMING_HEAD; i++)
        record(&timing, 10, 3);
    for (unsigned i = 0; i < 3 * KERNEL_TIMING_WINDOW; i++)
        record(&timing, 1000 + i % 2, 2);
    record(&timing, 7000, 2);
    kernel_timing_summarize(&timing, &s);
    CHECK_INT_EQ(s.installs, KERNEL_TIMING_HEAD + 3 * KERNEL_TIMING_WINDOW + 1);
    CHECK_INT_EQ(s.first_usec, 10);
    CHECK_INT_EQ(s.first_mean_usec, 10);
    CHECK_INT_EQ(s.last_usec, 7000);
    CHECK_INT_EQ(s.window, KERNEL_TIMING_WINDOW);
    /* The window: 511 of 1000, 512 of 1001 and the 7000. */
    CHECK_INT_EQ(s.p50_usec, 1001);
    CHECK_INT_EQ(s.p99_usec, 1001);
    CHECK_INT_EQ(s.max_usec, 7000);
    /* The last 100: the 7000, then 50 of 1001 and 49 of 1000. */
    CHECK_INT_EQ(s.last_mean_usec, (7000 + 50 * 1001 + 49 * 1000) / 100);
    /* (100 * 3 + 3073 * 2) * 100 / 3173, rounded. */
    CHECK_INT_EQ(s.round_trips_x100, 203);
}

TEST_MAIN(TEST(test_empty), TEST(test_one), TEST(test_percentiles), TEST(test_window))
