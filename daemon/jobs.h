/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Asynchronous jobs: expensive, self-contained CPU work (Diffie-Hellman,
 * signatures) runs on a small pool of worker threads so that the event loop
 * keeps answering peers and operators meanwhile.
 *
 * A job is a pair of functions:
 *   work(userdata)        runs on a worker thread. It must touch only what
 *                         userdata owns: no protocol state, no sd-event, no
 *                         configuration. Its return value (0 or -errno) is
 *                         handed to done().
 *   done(userdata, r)     runs later on the event-loop thread, exactly once
 *                         per submitted job, with r = work's result, or
 *                         -ECANCELED when the job was cancelled (then work
 *                         may not have run at all). done() owns userdata
 *                         from then on and typically frees it.
 *
 * The worker wakes the loop through an eventfd; all completion bookkeeping
 * happens on the loop thread, so protocol code never needs a lock.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

struct job;
struct job_pool;

typedef int (*job_work_fn)(void *userdata);
typedef void (*job_done_fn)(void *userdata, int result);

struct job_pool_stats {
    unsigned workers;
    unsigned queued;      /* waiting for a worker */
    unsigned running;     /* on a worker now */
    unsigned max_queued;
    unsigned long long completed;  /* done() called with work's result */
    unsigned long long cancelled;  /* done() called with -ECANCELED */
    unsigned long long rejected;   /* job_submit() refused: queue full */
};

/* Starts n_workers threads (1..64). At most max_queued jobs wait for a
 * worker at any time; job_submit() fails with -EAGAIN beyond that. Threads
 * inherit the caller's signal mask: block the daemon's signals first. */
int job_pool_new(sd_event *event, unsigned n_workers, unsigned max_queued,
                 struct job_pool **ret);

/* Cancels every job still queued or running, waits for the workers to
 * finish the work they are in and joins them, then calls every outstanding
 * done() (with -ECANCELED) before returning. Call it on the loop thread.
 * NULL is allowed. */
void job_pool_free(struct job_pool *pool);

/* Queues a job. On success *ret (if not NULL) is a handle valid until done()
 * is called, for job_cancel(). On failure done() is not called and the caller
 * keeps userdata. -EAGAIN: queue full; -ESHUTDOWN: pool shutting down. */
int job_submit(struct job_pool *pool, job_work_fn work, job_done_fn done,
               void *userdata, struct job **ret);

/* Cancels a job whose done() has not run yet. A queued job never reaches a
 * worker; a running job finishes its work but the result is discarded.
 * Either way done(userdata, -ECANCELED) runs later from the event loop (never
 * from inside job_cancel(), so callers need not worry about re-entrance). */
void job_cancel(struct job *job);

void job_pool_get_stats(struct job_pool *pool, struct job_pool_stats *ret);
