/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stderr log lines gathered per event-loop iteration (log-batch.c); the
 * public calls (log_batch_begin, log_batch_end, log_flush) are in log.h.
 */
#pragma once

#include <stddef.h>

#include "log.h"

/* One formatted line (with its newline) of `priority` for stderr: gathered
 * when the calling thread is the batching one and priority is info or
 * debug, else written out at once with everything gathered before it. */
void log_batch_write(int priority, const char *line, size_t len);
