/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The one tracker of a session's idleness (session.h: struct
 * session_activity). The kernel keeps byte counters per SA but not when they
 * last grew (its use_time is the first use only), so vpnd remembers the
 * count it last read and when it last saw it change.
 */
#include "session.h"

void session_activity_start(struct session_activity *a, uint64_t now_usec)
{
    a->bytes_in = 0;
    a->last_usec = now_usec;
}

void session_activity_note(struct session_activity *a, int read_result, uint64_t bytes_in, uint64_t now_usec)
{
    if (read_result < 0 || bytes_in != a->bytes_in) {
        a->bytes_in = bytes_in;
        a->last_usec = now_usec;
    }
}

uint64_t session_activity_idle_usec(const struct session_activity *a, uint64_t now_usec)
{
    return now_usec > a->last_usec ? now_usec - a->last_usec : 0;
}

uint64_t session_policy_check_usec(const struct config_group_policy *gp)
{
    if (!gp)
        return 60 * 1000000ULL;
    uint64_t s = gp->idle_timeout ? gp->idle_timeout / 4 : 60;
    if (gp->session_timeout && gp->session_timeout / 4 < s)
        s = gp->session_timeout / 4;
    return (s < 1 ? 1 : s > 60 ? 60 : s) * 1000000ULL;
}
