/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The shared timer queue (daemon/timer-queue.c) on a real sd-event loop:
 * timers fire in the order of their due times whatever the order they were
 * armed in, a moved timer fires at its new time only, a disarmed one never,
 * a callback may arm itself again and disarm others, and many timers keep
 * their order through the heap's growth.
 */
#include <stdlib.h>

#include "clock.h"
#include "testing.h"
#include "timer-queue.h"

struct record {
    int order[64];
    size_t n;
    struct timer_queue *q;
    struct queued_timer *victim;        /* disarmed by the first callback */
    int rearm;                          /* how often "again" arms itself again */
};

struct owned {
    struct queued_timer t;
    int id;
    struct record *rec;
};

static void fired(struct queued_timer *t, uint64_t now, void *userdata)
{
    struct owned *o = userdata;
    CHECK(t == &o->t);
    CHECK(!queued_timer_armed(t));
    CHECK(now >= t->due_usec);
    if (o->rec->n < 64)
        o->rec->order[o->rec->n++] = o->id;
    if (o->rec->victim) {
        queued_timer_disarm(o->rec->q, o->rec->victim);
        o->rec->victim = NULL;
    }
    if (o->id == 99 && o->rec->rearm-- > 0)
        CHECK_INT_EQ(queued_timer_arm(o->rec->q, t, now + 1000, fired, o), 0);
}

/* Runs the loop until no timer is armed. */
static void run_until_idle(sd_event *e, struct timer_queue *q)
{
    for (int i = 0; i < 1000 && timer_queue_size(q) > 0; i++)
        CHECK(sd_event_run(e, 1000000) >= 0);
    CHECK_INT_EQ(timer_queue_size(q), 0);
}

static void test_order_move_disarm(void)
{
    sd_event *e = NULL;
    struct timer_queue *q = NULL;
    CHECK_INT_EQ(sd_event_new(&e), 0);
    CHECK_INT_EQ(timer_queue_new(e, &q), 0);
    struct record rec = { .q = q, .rearm = 2 };
    struct owned o[6];
    uint64_t now = monotonic_usec();
    /* Armed out of order: 3 ms, 1 ms, 5 ms, 2 ms, 4 ms, and one to cancel. */
    const int ms[] = { 3, 1, 5, 2, 4, 6 };
    for (int i = 0; i < 6; i++) {
        o[i] = (struct owned){ .id = i, .rec = &rec };
        CHECK_INT_EQ(queued_timer_arm(q, &o[i].t, now + (uint64_t)ms[i] * 1000, fired, &o[i]), 0);
        CHECK(queued_timer_armed(&o[i].t));
    }
    CHECK_INT_EQ(timer_queue_size(q), 6);
    /* id 2 moved from 5 ms to 0.5 ms: first now; id 5 cancelled. */
    CHECK_INT_EQ(queued_timer_arm(q, &o[2].t, now + 500, fired, &o[2]), 0);
    queued_timer_disarm(q, &o[5].t);
    CHECK(!queued_timer_armed(&o[5].t));
    queued_timer_disarm(q, &o[5].t);    /* twice is harmless */
    CHECK_INT_EQ(timer_queue_size(q), 5);
    /* The first to fire disarms id 4 (due at 4 ms). */
    rec.victim = &o[4].t;
    run_until_idle(e, q);
    CHECK_INT_EQ(rec.n, 4);
    CHECK_INT_EQ(rec.order[0], 2);
    CHECK_INT_EQ(rec.order[1], 1);
    CHECK_INT_EQ(rec.order[2], 3);
    CHECK_INT_EQ(rec.order[3], 0);

    /* A timer that arms itself again from its callback: three firings. */
    struct owned again = { .id = 99, .rec = &rec };
    rec.n = 0;
    CHECK_INT_EQ(queued_timer_arm(q, &again.t, monotonic_usec(), fired, &again), 0);
    run_until_idle(e, q);
    CHECK_INT_EQ(rec.n, 3);

    /* An armed timer left when the queue goes is forgotten, not fired. */
    CHECK_INT_EQ(queued_timer_arm(q, &o[0].t, monotonic_usec() + 3600000000ULL, fired, &o[0]), 0);
    timer_queue_free(q);
    CHECK(!queued_timer_armed(&o[0].t));
    sd_event_unref(e);
}

static void test_many_in_order(void)
{
    enum { N = 500 };
    sd_event *e = NULL;
    struct timer_queue *q = NULL;
    CHECK_INT_EQ(sd_event_new(&e), 0);
    CHECK_INT_EQ(timer_queue_new(e, &q), 0);
    struct owned *o = calloc(N, sizeof(*o));
    CHECK(o != NULL);
    struct record rec = { .q = q };
    uint64_t base = monotonic_usec() + 2000;
    /* Due times scattered (a permutation of 0..N-1 in 10 us steps); every
     * third one disarmed again; the rest must fire in due order. */
    for (int i = 0; i < N; i++) {
        o[i] = (struct owned){ .id = (i * 7919) % N, .rec = &rec };
        CHECK_INT_EQ(queued_timer_arm(q, &o[i].t, base + (uint64_t)o[i].id * 10, fired, &o[i]), 0);
    }
    for (int i = 0; i < N; i += 3)
        queued_timer_disarm(q, &o[i].t);
    size_t left = timer_queue_size(q);
    CHECK_INT_EQ(left, N - (N + 2) / 3);
    size_t fired_count = 0;
    for (int round = 0; round < 10000 && timer_queue_size(q) > 0; round++) {
        size_t before = timer_queue_size(q);
        CHECK(sd_event_run(e, 1000000) >= 0);
        fired_count += before - timer_queue_size(q);
    }
    for (int i = 0; i < N; i++)
        CHECK(!queued_timer_armed(&o[i].t));
    CHECK_INT_EQ(fired_count, left);
    /* The first 64 that fired (what the record keeps), in due order. */
    CHECK_INT_EQ(rec.n, 64);
    for (size_t i = 1; i < rec.n; i++)
        CHECK(rec.order[i - 1] < rec.order[i]);
    timer_queue_free(q);
    free(o);
    sd_event_unref(e);
}

TEST_MAIN(TEST(test_order_move_disarm), TEST(test_many_in_order))
