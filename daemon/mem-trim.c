/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "mem-trim.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "log.h"

bool mem_trim_handshake_ended(struct mem_trim *t, uint64_t in_progress)
{
    t->ended++;
    if (in_progress > 0 || t->ended < MEM_TRIM_MIN_HANDSHAKES)
        return false;
    t->ended = 0;
    return true;
}

/* The event loop's: handshakes end there only. */
static struct mem_trim daemon_trim;

void mem_trim_note_handshake_ended(uint64_t in_progress)
{
    if (!mem_trim_handshake_ended(&daemon_trim, in_progress))
        return;
#ifdef __GLIBC__
    int released = malloc_trim(0);
    log_debug(CONFIG_SUBSYS_MAIN, 1, "no handshake in progress after a burst: heap trimmed (%s)",
              released ? "memory returned" : "nothing to return");
#endif
}
