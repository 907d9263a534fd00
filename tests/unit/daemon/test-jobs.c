/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The job pool: work runs on workers, done() on the loop thread, exactly
 * once per job; FIFO order with one worker; cancellation of queued and
 * running jobs; a bounded queue; shutdown that cancels and joins.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "jobs.h"
#include "testing.h"

#define MANY 2000

static pthread_t loop_thread;

struct item {
    int index;
    int input;
    int output;                 /* written by work */
    pthread_t work_thread;
    bool work_ran;
    int done_calls;
    int done_result;
    bool done_on_loop;
    int *order;                 /* where done() records its index */
    int *n_order;
    unsigned delay_ms;          /* how long work takes */
    atomic_int *gate;           /* work spins until *gate != 0, when set */
    atomic_int *started;        /* set when work begins, when set */
};

static int work_square(void *userdata)
{
    struct item *it = userdata;
    it->work_thread = pthread_self();
    it->work_ran = true;
    if (it->started)
        atomic_store(it->started, 1);
    while (it->gate && atomic_load(it->gate) == 0)
        usleep(1000);
    if (it->delay_ms)
        usleep(it->delay_ms * 1000);
    it->output = it->input * it->input;
    return it->input % 7 == 0 ? -EDOM : 0;
}

static void done_record(void *userdata, int result)
{
    struct item *it = userdata;
    it->done_calls++;
    it->done_result = result;
    it->done_on_loop = pthread_equal(pthread_self(), loop_thread);
    if (it->order)
        it->order[(*it->n_order)++] = it->index;
}

/* Runs the loop until `*count` reaches `want` or 10 s pass. */
static void run_until(sd_event *e, const int *count, int want)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (*count < want) {
        CHECK(sd_event_run(e, 100 * 1000) >= 0);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 10)
            break;
    }
}

static int total_done(const struct item *items, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += items[i].done_calls;
    return c;
}

/* A counter run_until can watch: the number of completions so far. */
static int completions;
static void done_count(void *userdata, int result)
{
    done_record(userdata, result);
    completions++;
}

static void test_many_jobs_complete_on_loop(void)
{
    sd_event *e;
    struct job_pool *pool;
    struct item *items = calloc(MANY, sizeof(*items));

    CHECK(sd_event_new(&e) >= 0);
    CHECK_INT_EQ(job_pool_new(e, 4, MANY, &pool), 0);
    completions = 0;
    for (int i = 0; i < MANY; i++) {
        items[i] = (struct item) { .index = i, .input = i };
        CHECK_INT_EQ(job_submit(pool, work_square, done_count, &items[i], NULL), 0);
    }
    run_until(e, &completions, MANY);

    int wrong = 0;
    for (int i = 0; i < MANY; i++) {
        const struct item *it = &items[i];
        if (!it->work_ran || it->done_calls != 1 || !it->done_on_loop ||
            pthread_equal(it->work_thread, loop_thread) ||
            it->output != i * i || it->done_result != (i % 7 == 0 ? -EDOM : 0))
            wrong++;
    }
    CHECK_INT_EQ(wrong, 0);
    CHECK_INT_EQ(total_done(items, MANY), MANY);

    struct job_pool_stats st;
    job_pool_get_stats(pool, &st);
    CHECK_INT_EQ(st.workers, 4);
    CHECK_INT_EQ(st.completed, MANY);
    CHECK_INT_EQ(st.cancelled, 0);
    CHECK_INT_EQ(st.queued, 0);
    CHECK_INT_EQ(st.running, 0);

    job_pool_free(pool);
    sd_event_unref(e);
    free(items);
}

static void test_single_worker_keeps_order(void)
{
    enum { N = 50 };
    sd_event *e;
    struct job_pool *pool;
    struct item items[N];
    int order[N], n_order = 0;

    CHECK(sd_event_new(&e) >= 0);
    CHECK_INT_EQ(job_pool_new(e, 1, N, &pool), 0);
    completions = 0;
    for (int i = 0; i < N; i++) {
        items[i] = (struct item) { .index = i, .input = i + 1, .order = order, .n_order = &n_order };
        CHECK_INT_EQ(job_submit(pool, work_square, done_count, &items[i], NULL), 0);
    }
    run_until(e, &completions, N);
    CHECK_INT_EQ(n_order, N);
    int out_of_order = 0;
    for (int i = 0; i < n_order; i++)
        if (order[i] != i)
            out_of_order++;
    CHECK_INT_EQ(out_of_order, 0);

    job_pool_free(pool);
    sd_event_unref(e);
}

static void test_cancel_queued_and_running(void)
{
    sd_event *e;
    struct job_pool *pool;
    atomic_int gate = 0, started = 0;
    struct item blocker = { .index = 0, .input = 3, .gate = &gate, .started = &started };
    struct item queued = { .index = 1, .input = 4 };
    struct item kept = { .index = 2, .input = 5 };
    struct job *jb, *jq;

    CHECK(sd_event_new(&e) >= 0);
    CHECK_INT_EQ(job_pool_new(e, 1, 16, &pool), 0);
    completions = 0;
    CHECK_INT_EQ(job_submit(pool, work_square, done_count, &blocker, &jb), 0);
    CHECK_INT_EQ(job_submit(pool, work_square, done_count, &queued, &jq), 0);
    CHECK_INT_EQ(job_submit(pool, work_square, done_count, &kept, NULL), 0);

    /* Wait until the single worker is inside the blocker's work. */
    for (int i = 0; i < 5000 && !atomic_load(&started); i++)
        usleep(1000);
    CHECK(atomic_load(&started));

    job_cancel(jq);     /* queued: must never run */
    job_cancel(jb);     /* running: runs to the end, result discarded */
    /* Cancellation never calls done() synchronously. */
    CHECK_INT_EQ(queued.done_calls, 0);
    CHECK_INT_EQ(blocker.done_calls, 0);
    atomic_store(&gate, 1);

    run_until(e, &completions, 3);
    CHECK(!queued.work_ran);
    CHECK_INT_EQ(queued.done_calls, 1);
    CHECK_INT_EQ(queued.done_result, -ECANCELED);
    CHECK(blocker.work_ran);
    CHECK_INT_EQ(blocker.done_calls, 1);
    CHECK_INT_EQ(blocker.done_result, -ECANCELED);
    CHECK(kept.work_ran);
    CHECK_INT_EQ(kept.done_calls, 1);
    CHECK_INT_EQ(kept.done_result, 0);
    CHECK_INT_EQ(kept.output, 25);

    struct job_pool_stats st;
    job_pool_get_stats(pool, &st);
    CHECK_INT_EQ(st.cancelled, 2);
    CHECK_INT_EQ(st.completed, 1);

    job_pool_free(pool);
    sd_event_unref(e);
}

static void test_queue_is_bounded(void)
{
    sd_event *e;
    struct job_pool *pool;
    atomic_int gate = 0, started = 0;
    struct item blocker = { .input = 1, .gate = &gate, .started = &started };
    struct item waiting[3] = { { .input = 2 }, { .input = 3 }, { .input = 4 } };
    struct item extra = { .input = 5 };

    CHECK(sd_event_new(&e) >= 0);
    CHECK_INT_EQ(job_pool_new(e, 1, 3, &pool), 0);
    completions = 0;
    CHECK_INT_EQ(job_submit(pool, work_square, done_count, &blocker, NULL), 0);
    for (int i = 0; i < 5000 && !atomic_load(&started); i++)
        usleep(1000);
    /* The running job does not count against the queue; three may wait. */
    for (int i = 0; i < 3; i++)
        CHECK_INT_EQ(job_submit(pool, work_square, done_count, &waiting[i], NULL), 0);
    CHECK_INT_EQ(job_submit(pool, work_square, done_count, &extra, NULL), -EAGAIN);

    struct job_pool_stats st;
    job_pool_get_stats(pool, &st);
    CHECK_INT_EQ(st.queued, 3);
    CHECK_INT_EQ(st.running, 1);
    CHECK_INT_EQ(st.rejected, 1);

    atomic_store(&gate, 1);
    run_until(e, &completions, 4);
    CHECK_INT_EQ(completions, 4);
    CHECK_INT_EQ(extra.done_calls, 0);
    CHECK(!extra.work_ran);
    /* Room again once the queue drained. */
    CHECK_INT_EQ(job_submit(pool, work_square, done_count, &extra, NULL), 0);
    run_until(e, &completions, 5);
    CHECK_INT_EQ(extra.done_calls, 1);

    job_pool_free(pool);
    sd_event_unref(e);
}

/* Shutdown with jobs queued and running: every done() still runs exactly
 * once (cancelled), before job_pool_free() returns, and on this thread. */
static void test_shutdown_cancels_and_joins(void)
{
    enum { N = 40 };
    sd_event *e;
    struct job_pool *pool;
    struct item items[N];

    CHECK(sd_event_new(&e) >= 0);
    CHECK_INT_EQ(job_pool_new(e, 2, N, &pool), 0);
    for (int i = 0; i < N; i++) {
        items[i] = (struct item) { .index = i, .input = i, .delay_ms = 5 };
        CHECK_INT_EQ(job_submit(pool, work_square, done_record, &items[i], NULL), 0);
    }
    usleep(20 * 1000);  /* let a few start */
    job_pool_free(pool);

    int calls_wrong = 0, cancelled = 0, not_on_loop = 0;
    for (int i = 0; i < N; i++) {
        if (items[i].done_calls != 1)
            calls_wrong++;
        if (items[i].done_result == -ECANCELED)
            cancelled++;
        if (!items[i].done_on_loop)
            not_on_loop++;
    }
    CHECK_INT_EQ(calls_wrong, 0);
    CHECK_INT_EQ(not_on_loop, 0);
    /* Two workers at 5 ms per job cannot have finished 40 jobs in 20 ms. */
    CHECK(cancelled > N / 2);
    sd_event_unref(e);
}

/* done() may submit follow-up work: the protocol's typical chain. */
static struct job_pool *chain_pool;
static int chain_remaining;
static struct item chain_item;

static void done_chain(void *userdata, int result)
{
    completions++;
    if (--chain_remaining > 0)
        CHECK_INT_EQ(job_submit(chain_pool, work_square, done_chain, &chain_item, NULL), 0);
}

static void test_done_may_submit(void)
{
    sd_event *e;

    CHECK(sd_event_new(&e) >= 0);
    CHECK_INT_EQ(job_pool_new(e, 2, 4, &chain_pool), 0);
    completions = 0;
    chain_remaining = 10;
    chain_item = (struct item) { .input = 2 };
    CHECK_INT_EQ(job_submit(chain_pool, work_square, done_chain, &chain_item, NULL), 0);
    run_until(e, &completions, 10);
    CHECK_INT_EQ(completions, 10);
    CHECK_INT_EQ(chain_remaining, 0);
    job_pool_free(chain_pool);
    sd_event_unref(e);
}

static void test_bad_arguments(void)
{
    sd_event *e;
    struct job_pool *pool;

    CHECK(sd_event_new(&e) >= 0);
    CHECK_INT_EQ(job_pool_new(e, 0, 1, &pool), -EINVAL);
    CHECK_INT_EQ(job_pool_new(e, 1000, 1, &pool), -EINVAL);
    CHECK_INT_EQ(job_pool_new(e, 1, 0, &pool), -EINVAL);
    CHECK_INT_EQ(job_pool_new(e, 1, 1, &pool), 0);
    CHECK_INT_EQ(job_submit(pool, NULL, done_record, NULL, NULL), -EINVAL);
    CHECK_INT_EQ(job_submit(pool, work_square, NULL, NULL, NULL), -EINVAL);
    job_pool_free(pool);
    job_pool_free(NULL);
    sd_event_unref(e);
}

/* The thread TEST_MAIN runs the tests on is the "loop thread". */
static void test_record_loop_thread(void)
{
    loop_thread = pthread_self();
    CHECK(pthread_equal(loop_thread, pthread_self()));
}

TEST_MAIN(TEST(test_record_loop_thread),
          TEST(test_many_jobs_complete_on_loop),
          TEST(test_single_worker_keeps_order),
          TEST(test_cancel_queued_and_running),
          TEST(test_queue_is_bounded),
          TEST(test_shutdown_cancels_and_joins),
          TEST(test_done_may_submit),
          TEST(test_bad_arguments))
