/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The job pool. One mutex protects the queue, the list of finished jobs and
 * every job's state; workers hold it only to take or hand back a job, never
 * while running work(). Finished jobs are handed to the loop thread through
 * an eventfd, and done() runs there with the lock released.
 */
#define _GNU_SOURCE     /* pthread_setname_np */
#include "jobs.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define JOB_POOL_MAX_WORKERS 64

enum job_state {
    JOB_QUEUED,
    JOB_RUNNING,
    JOB_FINISHED,   /* work done or cancelled; done() not yet called */
};

struct job {
    struct job *next;
    struct job *prev;           /* only used while queued */
    struct job_pool *pool;
    job_work_fn work;
    job_done_fn done;
    void *userdata;
    enum job_state state;
    bool cancelled;
    int result;
};

struct job_list {
    struct job *head;
    struct job *tail;
};

struct job_pool {
    pthread_mutex_t lock;
    pthread_cond_t wakeup;      /* workers wait here for queued jobs */
    struct job_list queue;
    struct job_list finished;
    unsigned n_queued;
    unsigned n_running;
    unsigned max_queued;
    bool stopping;

    pthread_t threads[JOB_POOL_MAX_WORKERS];
    unsigned n_threads;

    int event_fd;
    sd_event_source *event_source;

    /* Counted on the loop thread, read under the lock by stats. */
    unsigned long long n_completed;
    unsigned long long n_cancelled;
    unsigned long long n_rejected;
};

static void list_append(struct job_list *list, struct job *job)
{
    job->next = NULL;
    job->prev = list->tail;
    if (list->tail)
        list->tail->next = job;
    else
        list->head = job;
    list->tail = job;
}

static void list_remove(struct job_list *list, struct job *job)
{
    if (job->prev)
        job->prev->next = job->next;
    else
        list->head = job->next;
    if (job->next)
        job->next->prev = job->prev;
    else
        list->tail = job->prev;
    job->next = job->prev = NULL;
}

/* Called with the lock held. The eventfd is a counter that cannot block
 * short of 2^64-1 pending. Only the job that finds the finished list empty
 * writes it (a system call saved per job under load): the loop detaches the
 * whole list under the lock after that wakeup, so a job appended to a
 * non-empty list goes with the job whose write woke the loop. */
static void signal_finished(struct job_pool *pool, struct job *job)
{
    static const uint64_t one = 1;
    bool wake = !pool->finished.head;

    job->state = JOB_FINISHED;
    list_append(&pool->finished, job);
    if (!wake)
        return;
    /* A failed write can only be EAGAIN on counter overflow, which means a
     * wakeup is already pending; nothing is lost. */
    ssize_t n = write(pool->event_fd, &one, sizeof(one));
    (void)n;
}

static void *worker_main(void *arg)
{
    struct job_pool *pool = arg;

    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->queue.head && !pool->stopping)
            pthread_cond_wait(&pool->wakeup, &pool->lock);
        if (pool->stopping)
            break;

        struct job *job = pool->queue.head;
        list_remove(&pool->queue, job);
        pool->n_queued--;
        pool->n_running++;
        job->state = JOB_RUNNING;
        pthread_mutex_unlock(&pool->lock);

        int r = job->work(job->userdata);

        pthread_mutex_lock(&pool->lock);
        job->result = r;
        /* A job finishing while the pool stops is reported as cancelled:
         * the loop that would act on its result is going away. */
        if (pool->stopping)
            job->cancelled = true;
        pool->n_running--;
        signal_finished(pool, job);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

/* Runs the done() callbacks of every finished job, on the loop thread. The
 * list is detached first so that done() may submit or cancel jobs. */
static void dispatch_finished(struct job_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    struct job *job = pool->finished.head;
    pool->finished.head = pool->finished.tail = NULL;
    pthread_mutex_unlock(&pool->lock);

    while (job) {
        struct job *next = job->next;

        /* job_cancel() from an earlier done() in this batch may have set
         * cancelled, so read it under the lock. */
        pthread_mutex_lock(&pool->lock);
        bool cancelled = job->cancelled;
        if (cancelled)
            pool->n_cancelled++;
        else
            pool->n_completed++;
        pthread_mutex_unlock(&pool->lock);

        job->done(job->userdata, cancelled ? -ECANCELED : job->result);
        free(job);
        job = next;
    }
}

static int on_event_fd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct job_pool *pool = userdata;
    uint64_t count;

    /* Non-blocking: EAGAIN just means another wakeup drained it first. */
    ssize_t n = read(fd, &count, sizeof(count));
    (void)n;
    dispatch_finished(pool);
    return 0;
}

static void stop_workers(struct job_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    while (pool->queue.head) {
        struct job *job = pool->queue.head;
        list_remove(&pool->queue, job);
        pool->n_queued--;
        job->cancelled = true;
        signal_finished(pool, job);
    }
    pthread_cond_broadcast(&pool->wakeup);
    pthread_mutex_unlock(&pool->lock);

    for (unsigned i = 0; i < pool->n_threads; i++)
        pthread_join(pool->threads[i], NULL);
    pool->n_threads = 0;
}

void job_pool_free(struct job_pool *pool)
{
    if (!pool)
        return;
    stop_workers(pool);
    /* Every job is finished now; deliver the outstanding done() calls so
     * their owners free what they hold. */
    dispatch_finished(pool);
    sd_event_source_disable_unref(pool->event_source);
    if (pool->event_fd >= 0)
        close(pool->event_fd);
    pthread_cond_destroy(&pool->wakeup);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

int job_pool_new(sd_event *event, unsigned n_workers, unsigned max_queued,
                 struct job_pool **ret)
{
    if (!event || !ret || n_workers == 0 || n_workers > JOB_POOL_MAX_WORKERS || max_queued == 0)
        return -EINVAL;

    struct job_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return -ENOMEM;
    pool->max_queued = max_queued;
    pool->event_fd = -1;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wakeup, NULL);

    int r;
    pool->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (pool->event_fd < 0) {
        r = -errno;
        goto fail;
    }
    r = sd_event_add_io(event, &pool->event_source, pool->event_fd, EPOLLIN, on_event_fd, pool);
    if (r < 0)
        goto fail;
    (void)sd_event_source_set_description(pool->event_source, "job-pool");

    /* Workers must never receive the daemon's signals (sd-event reads them
     * through a signalfd on the loop thread), whatever the caller blocked. */
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);
    for (unsigned i = 0; i < n_workers; i++) {
        r = -pthread_create(&pool->threads[i], NULL, worker_main, pool);
        if (r < 0)
            break;
        pool->n_threads++;
        char name[16];
        snprintf(name, sizeof(name), "vpnd-job%u", i);
        (void)pthread_setname_np(pool->threads[i], name);
    }
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (r < 0)
        goto fail;

    *ret = pool;
    return 0;

fail:
    job_pool_free(pool);
    return r;
}

int job_submit(struct job_pool *pool, job_work_fn work, job_done_fn done,
               void *userdata, struct job **ret)
{
    if (!pool || !work || !done)
        return -EINVAL;

    struct job *job = calloc(1, sizeof(*job));
    if (!job)
        return -ENOMEM;
    job->pool = pool;
    job->work = work;
    job->done = done;
    job->userdata = userdata;
    job->state = JOB_QUEUED;

    pthread_mutex_lock(&pool->lock);
    int r = 0;
    if (pool->stopping)
        r = -ESHUTDOWN;
    else if (pool->n_queued >= pool->max_queued) {
        pool->n_rejected++;
        r = -EAGAIN;
    } else {
        list_append(&pool->queue, job);
        pool->n_queued++;
        pthread_cond_signal(&pool->wakeup);
    }
    pthread_mutex_unlock(&pool->lock);

    if (r < 0) {
        free(job);
        return r;
    }
    if (ret)
        *ret = job;
    return 0;
}

void job_cancel(struct job *job)
{
    if (!job)
        return;
    struct job_pool *pool = job->pool;

    pthread_mutex_lock(&pool->lock);
    job->cancelled = true;
    if (job->state == JOB_QUEUED) {
        list_remove(&pool->queue, job);
        pool->n_queued--;
        signal_finished(pool, job);
    }
    /* RUNNING: the worker hands it back when work() returns; FINISHED: it
     * is already on its way to done(), which now sees -ECANCELED. */
    pthread_mutex_unlock(&pool->lock);
}

void job_pool_get_stats(struct job_pool *pool, struct job_pool_stats *ret)
{
    pthread_mutex_lock(&pool->lock);
    *ret = (struct job_pool_stats) {
        .workers = pool->n_threads,
        .queued = pool->n_queued,
        .running = pool->n_running,
        .max_queued = pool->max_queued,
        .completed = pool->n_completed,
        .cancelled = pool->n_cancelled,
        .rejected = pool->n_rejected,
    };
    pthread_mutex_unlock(&pool->lock);
}
