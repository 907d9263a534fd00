/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Giving memory back after a burst of handshakes (mem-trim.c).
 *
 * A reconnect storm holds, for a while, what a settled session no longer
 * needs: copies of the IKE_SA_INIT messages, nonces, authentication state,
 * key exchange jobs. Once freed, glibc keeps those chunks for reuse; the
 * holes they leave between the sessions' long-lived state stay resident.
 * When no handshake is in progress any more and at least
 * MEM_TRIM_MIN_HANDSHAKES ended since the last time, malloc_trim() returns
 * the free pages to the kernel (a walk of the free lists: milliseconds,
 * once per burst, not per session).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define MEM_TRIM_MIN_HANDSHAKES 64

struct mem_trim {
    uint64_t ended;                 /* handshakes ended since the last trim */
};

/* Counts one handshake that ended (established or given up) with
 * `in_progress` others still under way; true when it is time to trim (the
 * count then starts again). */
bool mem_trim_handshake_ended(struct mem_trim *t, uint64_t in_progress);

/* The same for the daemon's own counter, trimming the heap when due. */
void mem_trim_note_handshake_ended(uint64_t in_progress);
