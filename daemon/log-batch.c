/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Log lines to stderr, gathered per event-loop iteration.
 *
 * Each line used to be its own write(2): about six per tunnel at the
 * default level, some 5 % of the responder's CPU under a connection storm
 * (tests/bench/README.md). The event loop's thread now appends its info
 * and debug lines to a buffer that is written out (log_batch_start):
 *
 *  - when the loop has nothing else to do (a defer source at idle
 *    priority, enabled by the first line gathered), so an idle daemon's
 *    lines are out at once;
 *  - after a loop iteration (a post source) once the oldest line gathered
 *    is LOG_BATCH_MAX_AGE old, so a busy loop's lines are late by that at
 *    most;
 *  - when the next line would not fit, and when the loop stops.
 *
 * What an operator must not lose is written at once:
 *
 *  - notice, warning and error lines (and everything before them, so the
 *    order is kept);
 *  - every line from another thread (worker jobs, the accounting thread):
 *    nothing would write theirs out while the loop sleeps;
 *  - at exit (atexit) and on a crash: a fatal signal (SIGSEGV, SIGBUS,
 *    SIGILL, SIGFPE, SIGABRT) writes out what is gathered, then hands the
 *    signal to whoever had it before (the default action, or a sanitizer).
 *
 * Lines stay whole: one mutex for the buffer, and a line is appended whole
 * or written directly when the buffer cannot hold it. The journal target
 * (sd_journal_sendv, one datagram per line) is not gathered.
 */
#include "log-batch.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* About 200 lines of ~150 bytes. */
#define LOG_BATCH_SIZE 32768
#define LOG_BATCH_MAX_AGE_USEC 200000

static pthread_mutex_t batch_lock = PTHREAD_MUTEX_INITIALIZER;
static char batch[LOG_BATCH_SIZE];
/* Bytes gathered. Written under batch_lock after the bytes themselves, so
 * that the crash handler (no lock) writes only whole lines. */
static size_t batch_len;
static _Thread_local bool batch_thread;
/* The loop's sources (log_batch_start), touched by the loop's thread only. */
static sd_event_source *idle_flush;
static sd_event_source *post_flush;
static uint64_t oldest_usec;            /* CLOCK_MONOTONIC of the first line gathered */

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
static struct sigaction previous_action[sizeof(fatal_signals) / sizeof(fatal_signals[0])];
static bool handlers_installed;

/* Writes all of buf, across short writes; gives up on an error as the
 * single write per line did (nowhere to report it). */
static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void flush_locked(void)
{
    if (batch_len == 0)
        return;
    int saved_errno = errno;
    write_all(batch, batch_len);
    __atomic_store_n(&batch_len, 0, __ATOMIC_RELEASE);
    errno = saved_errno;
}

void log_batch_write(int priority, const char *line, size_t len)
{
    pthread_mutex_lock(&batch_lock);
    if (batch_len + len > sizeof(batch))
        flush_locked();
    if (len > sizeof(batch)) {
        write_all(line, len);
    } else {
        bool first = batch_len == 0;
        memcpy(batch + batch_len, line, len);
        __atomic_store_n(&batch_len, batch_len + len, __ATOMIC_RELEASE);
        if (!batch_thread || priority <= LOG_NOTICE)
            flush_locked();
        else if (first && idle_flush) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            oldest_usec = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
            (void)sd_event_source_set_enabled(idle_flush, SD_EVENT_ONESHOT);
        }
    }
    pthread_mutex_unlock(&batch_lock);
}

void log_flush(void)
{
    pthread_mutex_lock(&batch_lock);
    flush_locked();
    pthread_mutex_unlock(&batch_lock);
}

static void on_fatal_signal(int sig, siginfo_t *info, void *context)
{
    (void)context;
    /* No lock (the crashing thread may hold it): what batch_len counts is
     * whole lines. write(2) is async-signal-safe. */
    size_t len = __atomic_load_n(&batch_len, __ATOMIC_ACQUIRE);
    if (len > 0)
        write_all(batch, len);
    __atomic_store_n(&batch_len, 0, __ATOMIC_RELEASE);
    for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &previous_action[i], NULL);
    /* Returning re-runs a faulting instruction, which now reaches the
     * previous handler with its fault address. A signal sent by a process
     * (kill, abort's raise: si_code <= 0) is raised again, and delivered
     * to the previous handler once this one returns. */
    if (sig == SIGABRT || !info || info->si_code <= 0)
        raise(sig);
}

static void install_handlers(void)
{
    if (handlers_installed)
        return;
    handlers_installed = true;
    struct sigaction sa = { .sa_sigaction = on_fatal_signal, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
        if (sigaction(fatal_signals[i], &sa, &previous_action[i]) < 0)
            previous_action[i] = (struct sigaction) { .sa_handler = SIG_DFL };
    atexit(log_flush);
}

void log_batch_begin(void)
{
    install_handlers();
    batch_thread = true;
}

void log_batch_end(void)
{
    batch_thread = false;
    log_flush();
}

static int on_idle_flush(sd_event_source *s, void *userdata)
{
    (void)s;
    (void)userdata;
    log_flush();
    return 0;
}

static int on_post_flush(sd_event_source *s, void *userdata)
{
    (void)s;
    (void)userdata;
    if (__atomic_load_n(&batch_len, __ATOMIC_ACQUIRE) == 0)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    if (now - oldest_usec >= LOG_BATCH_MAX_AGE_USEC)
        log_flush();
    return 0;
}

int log_batch_start(sd_event *event)
{
    int r = sd_event_add_defer(event, &idle_flush, on_idle_flush, NULL);
    if (r >= 0)
        r = sd_event_source_set_priority(idle_flush, SD_EVENT_PRIORITY_IDLE);
    if (r >= 0)
        r = sd_event_source_set_enabled(idle_flush, SD_EVENT_OFF);
    if (r >= 0)
        (void)sd_event_source_set_description(idle_flush, "log-flush-idle");
    if (r >= 0)
        r = sd_event_add_post(event, &post_flush, on_post_flush, NULL);
    if (r >= 0)
        (void)sd_event_source_set_description(post_flush, "log-flush-post");
    if (r < 0) {
        idle_flush = sd_event_source_disable_unref(idle_flush);
        post_flush = sd_event_source_disable_unref(post_flush);
        return r;
    }
    log_batch_begin();
    return 0;
}

void log_batch_stop(void)
{
    log_batch_end();
    idle_flush = sd_event_source_disable_unref(idle_flush);
    post_flush = sd_event_source_disable_unref(post_flush);
}
