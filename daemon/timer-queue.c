/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "timer-queue.h"

#include <errno.h>
#include <stdlib.h>

#include "clock.h"

struct timer_queue {
    sd_event_source *source;
    uint64_t source_due;                /* what source is armed for; UINT64_MAX: off */
    struct queued_timer **heap;         /* heap[0] is due first */
    size_t n, size;
};

static bool earlier(const struct queued_timer *a, const struct queued_timer *b)
{
    return a->due_usec < b->due_usec;
}

static void place(struct timer_queue *q, size_t i, struct queued_timer *t)
{
    q->heap[i] = t;
    t->slot = i + 1;
}

static void sift_up(struct timer_queue *q, size_t i)
{
    struct queued_timer *t = q->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(t, q->heap[parent]))
            break;
        place(q, i, q->heap[parent]);
        i = parent;
    }
    place(q, i, t);
}

static void sift_down(struct timer_queue *q, size_t i)
{
    struct queued_timer *t = q->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= q->n)
            break;
        if (child + 1 < q->n && earlier(q->heap[child + 1], q->heap[child]))
            child++;
        if (!earlier(q->heap[child], t))
            break;
        place(q, i, q->heap[child]);
        i = child;
    }
    place(q, i, t);
}

/* The source follows the earliest timer (nothing to do when it already does). */
static int follow_earliest(struct timer_queue *q)
{
    uint64_t due = q->n ? q->heap[0]->due_usec : UINT64_MAX;
    if (due == q->source_due)
        return 0;
    int r;
    if (due == UINT64_MAX)
        r = sd_event_source_set_enabled(q->source, SD_EVENT_OFF);
    else {
        r = sd_event_source_set_time(q->source, due);
        if (r >= 0)
            r = sd_event_source_set_enabled(q->source, SD_EVENT_ONESHOT);
    }
    q->source_due = r >= 0 ? due : 0;  /* 0: unknown, set again next time */
    return r;
}

static void remove_at(struct timer_queue *q, size_t i)
{
    struct queued_timer *t = q->heap[i];
    t->slot = 0;
    q->n--;
    if (i == q->n)
        return;
    place(q, i, q->heap[q->n]);
    /* The one moved into the hole goes whichever way its time says. */
    if (i > 0 && earlier(q->heap[i], q->heap[(i - 1) / 2]))
        sift_up(q, i);
    else
        sift_down(q, i);
}

static int on_due(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct timer_queue *q = userdata;
    (void)s;
    (void)usec;
    q->source_due = UINT64_MAX;         /* a oneshot source is off once it fired */
    uint64_t now = monotonic_usec();
    /* Only those armed before this round: a callback that arms its timer
     * for a time already past is called on the loop's next round, not in
     * an endless loop here. */
    size_t budget = q->n;
    while (budget-- > 0 && q->n > 0 && q->heap[0]->due_usec <= now) {
        struct queued_timer *t = q->heap[0];
        remove_at(q, 0);
        t->fn(t, now, t->userdata);
    }
    (void)follow_earliest(q);
    return 0;
}

int timer_queue_new(sd_event *event, struct timer_queue **ret)
{
    struct timer_queue *q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    int r = sd_event_add_time(event, &q->source, CLOCK_MONOTONIC, UINT64_MAX, 0, on_due, q);
    if (r < 0) {
        free(q);
        return r;
    }
    (void)sd_event_source_set_enabled(q->source, SD_EVENT_OFF);
    q->source_due = UINT64_MAX;
    *ret = q;
    return 0;
}

void timer_queue_free(struct timer_queue *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n; i++)
        q->heap[i]->slot = 0;
    sd_event_source_disable_unref(q->source);
    free(q->heap);
    free(q);
}

int queued_timer_arm(struct timer_queue *q, struct queued_timer *t, uint64_t due_usec, queued_timer_fn fn,
                     void *userdata)
{
    if (!t->slot && q->n == q->size) {
        size_t size = q->size ? q->size * 2 : 64;
        struct queued_timer **heap = realloc(q->heap, size * sizeof(*heap));
        if (!heap)
            return -ENOMEM;
        q->heap = heap;
        q->size = size;
    }
    t->fn = fn;
    t->userdata = userdata;
    if (t->slot) {
        size_t i = t->slot - 1;
        bool sooner = due_usec < t->due_usec;
        t->due_usec = due_usec;
        if (sooner)
            sift_up(q, i);
        else
            sift_down(q, i);
    } else {
        t->due_usec = due_usec;
        place(q, q->n++, t);
        sift_up(q, q->n - 1);
    }
    return follow_earliest(q);
}

void queued_timer_disarm(struct timer_queue *q, struct queued_timer *t)
{
    if (!t->slot)
        return;
    remove_at(q, t->slot - 1);
    (void)follow_earliest(q);
}

size_t timer_queue_size(const struct timer_queue *q)
{
    return q->n;
}
