/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RADIUS accounting (RFC 2866, 2869, 5080) of sessions whose tunnel group
 * names an accounting-server-group: Start when a session comes up,
 * Interim-Update every interim-interval of its aaa-server-group, Stop with
 * Acct-Terminate-Cause when it ends. Counters are the kernel's, over all the
 * session's CHILD SAs (rekeyed-away ones included, session.retired).
 *
 * Reliability: the RADIUS client retries each server of the group; a Start
 * or Stop no server answered goes to the group's spool on disk
 * (accounting-spool.h) and is resent, oldest first, when a server answers
 * again (the first spooled record is retried every dead-time, 30 s when
 * dead-time is 0). While records wait in the spool, new Starts and Stops
 * queue behind them, so a server always sees a session's Start before its
 * Stop. Interim-Updates are not spooled: the next one, or the Stop,
 * carries the running totals. A record leaves the spool only when a server
 * has answered it. At start the spools are resent; at shutdown vpnd waits
 * up to the group's timeout (5 s at most) for the Stops of the sessions it
 * ended and spools the rest.
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "session.h"

struct accounting;

struct accounting_stats {
    uint64_t sent;          /* Accounting-Requests sent (a spooled record again on each replay) */
    uint64_t answered;      /* Accounting-Responses */
    uint64_t spooled;       /* records written to a spool */
    uint64_t replayed;      /* spooled records a server then answered */
    uint64_t dropped;       /* Starts and Stops lost: spool full or unusable, corrupt in the spool */
    uint64_t interim_skipped;   /* Interim-Updates no server took or sent while the spool waits (never spooled) */
    uint64_t spool_waiting; /* records in the spools now */
};

/* Opens the spool of every aaa-server-group a tunnel group accounts to and
 * starts resending what an earlier vpnd left there. */
int accounting_new(sd_event *event, struct vpnd_config *config, struct accounting **ret);
/* The groups' new servers and settings apply to what is sent from now on;
 * sessions keep the group they started with. */
void accounting_reload(struct accounting *a, struct vpnd_config *config);
/* vpnd is stopping: sessions that end from now on end with NAS-Reboot
 * unless their cause was said, and their Stops wait for accounting_free. */
void accounting_begin_shutdown(struct accounting *a);
/* Sends what is unanswered for up to each group's timeout (a private event
 * loop: the daemon's has finished), spools the rest, frees. NULL is allowed. */
void accounting_free(struct accounting *a);

void accounting_get_stats(const struct accounting *a, struct accounting_stats *ret);

/* For session_registry_set_observer (userdata: the struct accounting). */
extern const struct session_observer accounting_session_observer;

/* RFC 2866 5.10 value of a session end cause. */
uint32_t accounting_terminate_cause(enum session_end_cause cause);
const char *accounting_terminate_cause_name(enum session_end_cause cause);
