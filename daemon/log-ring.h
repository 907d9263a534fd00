/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The daemon's recent log lines, kept in memory for `vpnctl log` and
 * streamed to `vpnctl log --follow`. Every line that log.c emits (from any
 * thread) is copied into a fixed ring of LOG_RING_SIZE entries under a
 * mutex; the event loop reads what is new since its last look. When
 * somebody follows, an eventfd wakes the loop for each new line. Lines are
 * never lost for the journal: the ring is only a window onto them, and a
 * reader that falls more than the ring behind is told how many it missed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

#define LOG_RING_SIZE     512
#define LOG_RING_TEXT_MAX 1024     /* a longer message is cut in the ring (not in the journal) */
#define LOG_RING_FIELD_MAX 96

struct log_ring_entry {
    uint64_t seq;                   /* 1, 2, ...: position in the daemon's output */
    uint64_t realtime_usec;
    int priority;                   /* LOG_ERR .. LOG_DEBUG */
    enum config_subsystem subsys;
    char peer[LOG_RING_FIELD_MAX];  /* "" when the line has none */
    char tunnel_group[LOG_RING_FIELD_MAX];
    char user[LOG_RING_FIELD_MAX];
    char session[LOG_RING_FIELD_MAX];
    char message[LOG_RING_TEXT_MAX];
};

/* Starts keeping lines (installs the tap in log.c). Returns an eventfd
 * that becomes readable when lines arrive while wakeups are on, or -errno.
 * Idempotent: a second call returns the same fd. */
int log_ring_start(void);
/* Stops keeping lines and closes the eventfd. */
void log_ring_stop(void);
/* Whether new lines wake the loop (only while somebody follows). */
void log_ring_set_wakeup(bool on);
/* Clears the eventfd after a wakeup. */
void log_ring_ack(void);

/* Calls fn for every kept line with seq > since, oldest first, and returns
 * the newest seq seen (since when there is nothing new). *missed (may be
 * NULL) gets the number of lines after `since` that the ring no longer
 * holds. Loop thread only; fn must not log (its line would be read late,
 * not lost). */
uint64_t log_ring_read(uint64_t since, void (*fn)(const struct log_ring_entry *e, void *userdata), void *userdata,
                       uint64_t *missed);
/* The seq of the newest line (0 before the first). */
uint64_t log_ring_last(void);
