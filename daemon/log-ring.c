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

/* The lines are kept compactly: a fixed table of LOG_RING_SIZE small
 * headers, and their text (the four context fields and the message, each
 * NUL-terminated) in one byte arena used round and round. A line is held
 * while both its header and its text are (a flood of long lines may push
 * text out before the table wraps). Holding the last 512 lines as full
 * struct log_ring_entry copies cost ~730 kB, most of it unused padding;
 * this costs what the lines really take. */
#define RING_TEXT_BYTES (128 * 1024)

struct ring_slot {
    uint64_t seq;                   /* 0: empty */
    uint64_t realtime_usec;
    uint64_t text_at;               /* position of its text in the stream of text bytes */
    int priority;
    enum config_subsystem subsys;
};

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ring_slot *ring;          /* LOG_RING_SIZE slots, slot = seq % size */
static char *ring_text;                 /* RING_TEXT_BYTES, byte = position % size */
static uint64_t ring_text_end;          /* position after the newest text */
static uint64_t ring_seq;               /* seq of the newest entry */
static int ring_efd = -1;
static bool ring_wakeup;

/* Appends src (cut at max - 1 bytes, "" for NULL) and its NUL at *at. */
static void put_text(char *dst, size_t *at, const char *src, size_t max)
{
    size_t n = src ? strnlen(src, max - 1) : 0;
    if (n)
        memcpy(dst + *at, src, n);
    dst[*at + n] = '\0';
    *at += n + 1;
}

/* Whether the text of slot e is still in the arena (not written over). */
static bool slot_text_held(const struct ring_slot *e)
{
    return ring_text_end - e->text_at <= RING_TEXT_BYTES;
}

/* The line of slot e as a whole entry. Lock held. */
static void slot_to_entry(const struct ring_slot *e, struct log_ring_entry *out)
{
    const char *t = ring_text + e->text_at % RING_TEXT_BYTES;
    out->seq = e->seq;
    out->realtime_usec = e->realtime_usec;
    out->priority = e->priority;
    out->subsys = e->subsys;
    char *fields[] = { out->peer, out->tunnel_group, out->user, out->session };
    for (size_t i = 0; i < 4; i++) {
        size_t n = strlen(t);           /* < LOG_RING_FIELD_MAX: put_text cut it */
        memcpy(fields[i], t, n + 1);
        t += n + 1;
    }
    size_t n = strlen(t);               /* < LOG_RING_TEXT_MAX */
    memcpy(out->message, t, n + 1);
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
    /* A line's text is never split: when it may not fit before the end
     * of the arena, it starts at the beginning again. */
    size_t most = 4 * LOG_RING_FIELD_MAX + LOG_RING_TEXT_MAX;
    uint64_t at = ring_text_end;
    if (at % RING_TEXT_BYTES + most > RING_TEXT_BYTES)
        at += RING_TEXT_BYTES - at % RING_TEXT_BYTES;
    char *base = ring_text + at % RING_TEXT_BYTES;
    size_t len = 0;
    put_text(base, &len, ctx ? ctx->peer : NULL, LOG_RING_FIELD_MAX);
    put_text(base, &len, ctx ? ctx->tunnel_group : NULL, LOG_RING_FIELD_MAX);
    put_text(base, &len, ctx ? ctx->user : NULL, LOG_RING_FIELD_MAX);
    put_text(base, &len, ctx ? ctx->session : NULL, LOG_RING_FIELD_MAX);
    put_text(base, &len, message, LOG_RING_TEXT_MAX);
    ring_text_end = at + len;

    struct ring_slot *e = &ring[++ring_seq % LOG_RING_SIZE];
    e->seq = ring_seq;
    e->realtime_usec = (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
    e->priority = priority;
    e->subsys = subsys;
    e->text_at = at;
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
    ring_text = malloc(RING_TEXT_BYTES);
    ring_text_end = 0;
    ring_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!ring || !ring_text || ring_efd < 0) {
        int r = ring && ring_text ? -errno : -ENOMEM;
        free(ring);
        ring = NULL;
        free(ring_text);
        ring_text = NULL;
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
    free(ring_text);
    ring_text = NULL;
    ring_text_end = 0;
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
    static struct log_ring_entry batch[16];
    uint64_t lost = 0;
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&ring_lock);
        if (!ring) {
            pthread_mutex_unlock(&ring_lock);
            break;
        }
        uint64_t oldest = ring_seq >= LOG_RING_SIZE ? ring_seq - LOG_RING_SIZE + 1 : 1;
        /* Lines whose text was written over are gone too. */
        while (oldest <= ring_seq && !slot_text_held(&ring[oldest % LOG_RING_SIZE]))
            oldest++;
        if (since + 1 < oldest) {
            lost += oldest - since - 1;
            since = oldest - 1;
        }
        while (since < ring_seq && n < sizeof(batch) / sizeof(batch[0]))
            slot_to_entry(&ring[++since % LOG_RING_SIZE], &batch[n++]);
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
