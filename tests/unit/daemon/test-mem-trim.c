/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * When the heap is trimmed after a burst of handshakes (daemon/mem-trim.c):
 * never while one is still in progress, never for a handful, once per
 * burst, and again after the next burst.
 */
#include "mem-trim.h"
#include "testing.h"

static void test_trim_once_per_burst(void)
{
    struct mem_trim t = { 0 };
    /* A burst of 100: due only when the last one ends. */
    for (uint64_t left = 99; left > 0; left--)
        CHECK(!mem_trim_handshake_ended(&t, left));
    CHECK(mem_trim_handshake_ended(&t, 0));
    /* Idle again right away: nothing new to give back. */
    CHECK(!mem_trim_handshake_ended(&t, 0));

    /* A few sessions come and go, each alone: not worth a walk of the heap
     * every time, only once MEM_TRIM_MIN_HANDSHAKES have ended. */
    t = (struct mem_trim){ 0 };
    for (int i = 1; i < MEM_TRIM_MIN_HANDSHAKES; i++)
        CHECK(!mem_trim_handshake_ended(&t, 0));
    CHECK(mem_trim_handshake_ended(&t, 0));

    /* The count goes on across a storm that never quite drains. */
    t = (struct mem_trim){ 0 };
    for (int i = 0; i < 3 * MEM_TRIM_MIN_HANDSHAKES; i++)
        CHECK(!mem_trim_handshake_ended(&t, 1));
    CHECK(mem_trim_handshake_ended(&t, 0));
}

TEST_MAIN(TEST(test_trim_once_per_burst))
