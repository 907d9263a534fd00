/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "log-ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_ring_entry *ring;     /* LOG_RING_SIZE entries, slot = seq % size */
static uint64_t ring_seq;               /* seq of the newest entry */
static int ring_efd = -1;
static bool ring_wakeup;

static void copy_field(char *dst, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    size_t n = strnlen(src, LOG_RING_FIELD_MAX - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The tap: any thread, with the line already formatted. */
static void ring_tap(int priority, enum config_subsystem subsys, const struct log_ctx *ctx, const char *message)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);

    pthread_mutex_lock(&ring_lock);
    if (!ring) {
        pthread_mutex_unlock(&ring_lock);
        return;
    }
    struct log_ring_entry *e = &ring[++ring_seq % LOG_RING_SIZE];
    e->seq = ring_seq;
    e->realtime_usec = (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
    e->priority = priority;
    e->subsys = subsys;
    copy_field(e->peer, ctx ? ctx->peer : NULL);
    copy_field(e->tunnel_group, ctx ? ctx->tunnel_group : NULL);
    copy_field(e->user, ctx ? ctx->user : NULL);
    copy_field(e->session, ctx ? ctx->session : NULL);
    size_t n = strnlen(message, LOG_RING_TEXT_MAX - 1);
    memcpy(e->message, message, n);
    e->message[n] = '\0';
    bool wake = ring_wakeup && ring_efd >= 0;
    int efd = ring_efd;
    /* Written under the lock so that log_ring_stop() cannot close the fd
     * between our check and the write. */
    if (wake) {
        uint64_t one = 1;
        (void)!write(efd, &one, sizeof(one));
    }
    pthread_mutex_unlock(&ring_lock);
}

int log_ring_start(void)
{
    pthread_mutex_lock(&ring_lock);
    if (ring) {
        int fd = ring_efd;
        pthread_mutex_unlock(&ring_lock);
        return fd;
    }
    ring = calloc(LOG_RING_SIZE, sizeof(*ring));
    ring_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!ring || ring_efd < 0) {
        int r = ring ? -errno : -ENOMEM;
        free(ring);
        ring = NULL;
        if (ring_efd >= 0)
            close(ring_efd);
        ring_efd = -1;
        pthread_mutex_unlock(&ring_lock);
        return r;
    }
    int fd = ring_efd;
    pthread_mutex_unlock(&ring_lock);
    log_set_tap(ring_tap);
    return fd;
}

void log_ring_stop(void)
{
    log_set_tap(NULL);
    pthread_mutex_lock(&ring_lock);
    free(ring);
    ring = NULL;
    ring_seq = 0;
    if (ring_efd >= 0)
        close(ring_efd);
    ring_efd = -1;
    ring_wakeup = false;
    pthread_mutex_unlock(&ring_lock);
}

void log_ring_set_wakeup(bool on)
{
    pthread_mutex_lock(&ring_lock);
    ring_wakeup = on;
    pthread_mutex_unlock(&ring_lock);
}

void log_ring_ack(void)
{
    uint64_t v;
    pthread_mutex_lock(&ring_lock);
    if (ring_efd >= 0)
        (void)!read(ring_efd, &v, sizeof(v));
    pthread_mutex_unlock(&ring_lock);
}

uint64_t log_ring_last(void)
{
    pthread_mutex_lock(&ring_lock);
    uint64_t seq = ring_seq;
    pthread_mutex_unlock(&ring_lock);
    return seq;
}

uint64_t log_ring_read(uint64_t since, void (*fn)(const struct log_ring_entry *e, void *userdata), void *userdata,
                       uint64_t *missed)
{
    /* Copy out under the lock, call back without it: fn may be slow (JSON)
     * and other threads keep logging meanwhile. */
    static struct log_ring_entry batch[64];
    uint64_t lost = 0;
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&ring_lock);
        if (!ring) {
            pthread_mutex_unlock(&ring_lock);
            break;
        }
        uint64_t oldest = ring_seq >= LOG_RING_SIZE ? ring_seq - LOG_RING_SIZE + 1 : 1;
        if (since + 1 < oldest) {
            lost += oldest - since - 1;
            since = oldest - 1;
        }
        while (since < ring_seq && n < sizeof(batch) / sizeof(batch[0]))
            batch[n++] = ring[++since % LOG_RING_SIZE];
        pthread_mutex_unlock(&ring_lock);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            fn(&batch[i], userdata);
    }
    if (missed)
        *missed = lost;
    return since;
}
