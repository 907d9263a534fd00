/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Many long timers behind one sd-event source (timer-queue.c).
 *
 * Every established IKE SA watches its group policy's timeouts, its
 * peer's liveness and its own rekey: three timers for hours on end (IKEv1:
 * two), and every handshake its half-open timeout. As sd-event sources they
 * cost about 300 bytes of heap each (the source and its place in the loop's
 * queues), the largest part of an established session's memory after the
 * SA itself, and an allocation per handshake. Here a timer is a small struct
 * inside its owner; the queue keeps the armed ones in a binary heap
 * ordered by due time (8 bytes each) and keeps one sd-event source armed
 * for the earliest. Arming and disarming cost O(log n), firing O(log n)
 * per timer, and a timer fires exactly when an sd-event timer of accuracy
 * 0 would have.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct timer_queue;
struct queued_timer;

/* now_usec: CLOCK_MONOTONIC when the queue's source fired. The timer is
 * disarmed when this runs: it may arm itself again, free its owner, arm
 * or disarm other timers. */
typedef void (*queued_timer_fn)(struct queued_timer *t, uint64_t now_usec, void *userdata);

struct queued_timer {
    uint64_t due_usec;                  /* CLOCK_MONOTONIC */
    size_t slot;                        /* 1 + its index in the heap; 0: not armed */
    queued_timer_fn fn;
    void *userdata;
};

/* The queue and its (disabled) time source on `event`, CLOCK_MONOTONIC. */
int timer_queue_new(sd_event *event, struct timer_queue **ret);
/* The timers still armed are forgotten (their owners must not use them
 * after this). NULL is allowed. */
void timer_queue_free(struct timer_queue *q);

/* Arms t for due_usec (CLOCK_MONOTONIC), or moves it there when armed
 * already. -ENOMEM (t stays as it was) or what sd-event returns. */
int queued_timer_arm(struct timer_queue *q, struct queued_timer *t, uint64_t due_usec, queued_timer_fn fn,
                     void *userdata);
/* Disarms t; nothing when it is not armed. */
void queued_timer_disarm(struct timer_queue *q, struct queued_timer *t);

static inline bool queued_timer_armed(const struct queued_timer *t)
{
    return t->slot != 0;
}

/* How many timers are armed. */
size_t timer_queue_size(const struct timer_queue *q);
