/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stderr log lines gathered on the event loop's thread (log-batch.c).
 */
#pragma once

#include <stddef.h>
#include <systemd/sd-event.h>

#include "log.h"

/* One formatted line (with its newline) of `priority` for stderr: gathered
 * when the calling thread is the batching one and priority is info or
 * debug, else written out at once with everything gathered before it. */
void log_batch_write(int priority, const char *line, size_t len);

/* The calling thread is the loop's: its info and debug lines are gathered
 * (log_batch_begin) and written out when `event` has nothing else to do,
 * after an iteration once the oldest is LOG_BATCH_MAX_AGE_USEC old, when
 * the buffer is full, and by log_batch_stop (call it before freeing
 * `event`, from the same thread). */
int log_batch_start(sd_event *event);
void log_batch_stop(void);
