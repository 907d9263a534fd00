/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RADIUS accounting (see accounting.h). One target per aaa-server-group
 * used for accounting: its RADIUS client, its spool, the records in flight.
 * A record is the encoded attributes of one Accounting-Request without
 * the NAS attributes (the client adds them for the group) and without
 * Acct-Delay-Time (added at each send from the record's creation time).
 */
#include "accounting.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounting-spool.h"
#include "clock.h"
#include "log.h"
#include "radius.h"

#define USEC_PER_SEC 1000000ULL
#define PROBE_DEFAULT_SEC 30            /* spool retry when the group has no dead-time */
#define RECORD_WHAT_MAX 160
#define SHUTDOWN_WAIT_MAX_MS 5000       /* for the Stops of the sessions vpnd ends when it stops */

/* RFC 2866 5.10 */
enum {
    CAUSE_USER_REQUEST = 1,
    CAUSE_LOST_CARRIER = 2,
    CAUSE_IDLE_TIMEOUT = 4,
    CAUSE_SESSION_TIMEOUT = 5,
    CAUSE_ADMIN_RESET = 6,
    CAUSE_NAS_ERROR = 9,
    CAUSE_NAS_REQUEST = 10,
    CAUSE_NAS_REBOOT = 11,
    CAUSE_PORT_PREEMPTED = 13,
};
#define NAS_PORT_TYPE_VIRTUAL 5         /* RFC 2865 5.41 */
#define SERVICE_TYPE_FRAMED 2           /* RFC 2865 5.6 */

struct acct_target;

struct acct_record {
    struct acct_target *target;
    struct acct_record *prev, *next;    /* the target's direct records (not from the spool) */
    uint8_t status;                     /* RADIUS_ACCT_START ... */
    char what[RECORD_WHAT_MAX];         /* "Stop of session 7 (user alice)", for the log */
    uint64_t created_usec;              /* CLOCK_REALTIME */
    uint8_t attrs[ACCT_SPOOL_MAX_ATTRS];
    size_t len;
    bool from_spool;
    uint64_t spool_seq;
    struct radius_pending *pending;
};

struct acct_target {
    struct accounting *acct;
    struct acct_target *next;
    char *name;
    struct vpnd_config *config;         /* a reference: `group` lives in it */
    const struct config_aaa_group *group;
    sd_event *event;                    /* the client's loop */
    struct radius_client *client;
    struct acct_spool *spool;           /* NULL when the directory is unusable */
    struct acct_record *records;        /* direct records in flight (or waiting for the shutdown flush) */
    size_t n_in_flight;
    struct acct_record *replay;         /* the spooled record being resent */
    sd_event_source *probe;
    bool unreachable_logged;
    bool replay_caught_up;              /* a server answers; the next records are still being written */
};

struct accounting_session {
    struct acct_target *target;
    sd_event_source *interim;
    uint64_t start_monotonic;
    struct session_counters reported;   /* highest totals sent: they never go back */
};

struct accounting {
    sd_event *event;
    struct vpnd_config *config;         /* the running one (a reference) */
    struct acct_target *targets;
    bool stopping;
    struct accounting_stats stats;
};

uint32_t accounting_terminate_cause(enum session_end_cause cause)
{
    switch (cause) {
    case SESSION_END_USER_REQUEST: return CAUSE_USER_REQUEST;
    case SESSION_END_LOST_CARRIER: return CAUSE_LOST_CARRIER;
    case SESSION_END_IDLE_TIMEOUT: return CAUSE_IDLE_TIMEOUT;
    case SESSION_END_SESSION_TIMEOUT: return CAUSE_SESSION_TIMEOUT;
    case SESSION_END_ADMIN_RESET: return CAUSE_ADMIN_RESET;
    case SESSION_END_NAS_REBOOT: return CAUSE_NAS_REBOOT;
    case SESSION_END_NAS_REQUEST: return CAUSE_NAS_REQUEST;
    case SESSION_END_PORT_PREEMPTED: return CAUSE_PORT_PREEMPTED;
    case SESSION_END_NAS_ERROR:
    case SESSION_END_UNSET:
        break;
    }
    return CAUSE_NAS_ERROR;
}

const char *accounting_terminate_cause_name(enum session_end_cause cause)
{
    switch (accounting_terminate_cause(cause)) {
    case CAUSE_USER_REQUEST: return "User-Request";
    case CAUSE_LOST_CARRIER: return "Lost-Carrier";
    case CAUSE_IDLE_TIMEOUT: return "Idle-Timeout";
    case CAUSE_SESSION_TIMEOUT: return "Session-Timeout";
    case CAUSE_ADMIN_RESET: return "Admin-Reset";
    case CAUSE_NAS_REBOOT: return "NAS-Reboot";
    case CAUSE_NAS_REQUEST: return "NAS-Request";
    case CAUSE_PORT_PREEMPTED: return "Port-Preempted";
    default: return "NAS-Error";
    }
}

static const char *status_name(uint8_t status)
{
    return status == RADIUS_ACCT_START ? "Start" : status == RADIUS_ACCT_STOP ? "Stop" : "Interim-Update";
}

/* ---- targets ------------------------------------------------------------------------------ */

static struct acct_target *target_find(struct accounting *a, const char *name)
{
    for (struct acct_target *t = a->targets; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static void probe_arm(struct acct_target *t, uint64_t delay_usec);
static void replay_next(struct acct_target *t);

static int target_new(struct accounting *a, struct vpnd_config *config, const struct config_aaa_group *g,
                      struct acct_target **ret)
{
    struct acct_target *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->acct = a;
    t->name = strdup(g->name);
    t->config = config_ref(config);
    t->group = g;
    t->event = a->event;
    int r = t->name ? radius_client_new(a->event, g, &t->client) : -ENOMEM;
    if (r < 0) {
        config_unref(t->config);
        free(t->name);
        free(t);
        return r;
    }
    r = acct_spool_open(g->accounting_spool_directory, g->accounting_spool_limit, &t->spool);
    if (r < 0)
        log_error_errno(CONFIG_SUBSYS_RADIUS, r, "aaa-server-group '%s': cannot use the accounting spool %s: %m; "
                        "records no server takes will be lost", g->name, g->accounting_spool_directory);
    else if ((r = acct_spool_start_writer(t->spool, a->event)) < 0)
        log_warning_errno(CONFIG_SUBSYS_RADIUS, r, "aaa-server-group '%s': no writer thread for the accounting "
                          "spool %s (%m): records are written on the event loop", g->name,
                          g->accounting_spool_directory);
    if (t->spool && acct_spool_count(t->spool) > 0) {
        log_notice(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': %zu accounting records wait in %s; sending them",
                   g->name, acct_spool_count(t->spool), g->accounting_spool_directory);
        probe_arm(t, 1);
    }
    t->next = a->targets;
    a->targets = t;
    *ret = t;
    return 0;
}

static void record_free(struct acct_record *rec)
{
    radius_cancel(rec->pending);
    free(rec);
}

static void record_unlink(struct acct_record *rec)
{
    struct acct_target *t = rec->target;
    if (rec->prev)
        rec->prev->next = rec->next;
    else if (t->records == rec)
        t->records = rec->next;
    if (rec->next)
        rec->next->prev = rec->prev;
    rec->prev = rec->next = NULL;
    t->n_in_flight--;
}

static void target_free(struct acct_target *t)
{
    while (t->records) {
        struct acct_record *rec = t->records;
        record_unlink(rec);
        record_free(rec);
    }
    if (t->replay)
        record_free(t->replay);
    sd_event_source_disable_unref(t->probe);
    radius_client_free(t->client);
    acct_spool_free(t->spool);
    config_unref(t->config);
    free(t->name);
    free(t);
}

/* ---- sending ------------------------------------------------------------------------------ */

static void on_response(const struct radius_response *resp, int error, const char *reason, void *userdata);

static int record_send(struct acct_record *rec)
{
    struct acct_target *t = rec->target;
    struct radius_request req;
    radius_request_init(&req, RADIUS_ACCOUNTING_REQUEST);
    memcpy(req.attrs, rec->attrs, rec->len);
    req.attrs_len = rec->len;
    /* RFC 2866 5.2: how long the record waited; a replay from the spool says so. */
    uint64_t now = clock_usec(CLOCK_REALTIME);
    uint64_t delay = now > rec->created_usec ? (now - rec->created_usec) / USEC_PER_SEC : 0;
    int r = radius_request_add_u32(&req, RADIUS_ACCT_DELAY_TIME, delay > UINT32_MAX ? UINT32_MAX : (uint32_t)delay);
    if (r >= 0)
        r = radius_send(t->client, &req, on_response, rec, &rec->pending);
    if (r >= 0)
        t->acct->stats.sent++;
    return r;
}

/* Records on disk and records the spool's writer still has: all wait. */
static size_t spool_waiting(const struct acct_target *t)
{
    return t->spool ? acct_spool_count(t->spool) + acct_spool_pending(t->spool) : 0;
}

static void spool_lost(struct acct_target *t, const char *what, const char *reason, int r)
{
    t->acct->stats.dropped++;
    if (r == -ENOSPC)
        log_error(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': accounting spool %s is full (%u records, "
                  "accounting-spool-limit): accounting %s lost (%s)", t->name, acct_spool_directory(t->spool),
                  t->group->accounting_spool_limit, what, reason);
    else
        log_error(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': cannot spool accounting %s (%s): lost (%s)",
                  t->name, what, t->spool ? strerror(-r) : "no usable spool directory", reason);
}

/* What the log line says once the spool's writer is done with a record. */
struct spool_note {
    struct acct_target *target;     /* outlives the note: freeing its spool completes every write */
    char what[RECORD_WHAT_MAX];
    char reason[128];
};

static void on_spool_written(void *userdata, int r)
{
    struct spool_note *note = userdata;
    struct acct_target *t = note->target;
    if (r >= 0) {
        t->acct->stats.spooled++;
        log_notice(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': accounting %s spooled to %s (%zu waiting): %s",
                   t->name, note->what, acct_spool_directory(t->spool), spool_waiting(t), note->reason);
        if (t->replay_caught_up && !t->replay && !t->acct->stopping) {
            t->replay_caught_up = false;
            replay_next(t);
        } else
            probe_arm(t, 0);
    } else
        spool_lost(t, note->what, note->reason, r);
    free(note);
}

/* A Start or Stop no server took: to disk (on the spool's writer, logged
 * when it is durable), or lost with a log line. */
static void record_spool(struct acct_target *t, const struct acct_record *rec, const char *reason)
{
    if (!t->spool) {
        spool_lost(t, rec->what, reason, -ENOENT);
        return;
    }
    struct spool_note *note = calloc(1, sizeof(*note));
    if (!note) {
        spool_lost(t, rec->what, reason, -ENOMEM);
        return;
    }
    note->target = t;
    snprintf(note->what, sizeof(note->what), "%s", rec->what);
    snprintf(note->reason, sizeof(note->reason), "%s", reason);
    int r = acct_spool_submit(t->spool, rec->created_usec, rec->attrs, rec->len, on_spool_written, note);
    if (r < 0) {
        spool_lost(t, rec->what, reason, r);
        free(note);
    }
}

static bool spool_busy(const struct acct_target *t)
{
    return spool_waiting(t) > 0;
}

static void on_response(const struct radius_response *resp, int error, const char *reason, void *userdata)
{
    struct acct_record *rec = userdata;
    struct acct_target *t = rec->target;
    struct accounting *a = t->acct;

    rec->pending = NULL;
    if (rec->from_spool) {
        t->replay = NULL;
        if (resp) {
            a->stats.answered++;
            a->stats.replayed++;
            int r = acct_spool_remove(t->spool, rec->spool_seq);
            if (r < 0)
                log_warning(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': cannot remove an answered record from "
                            "the spool %s: %s (it will be sent again)", t->name, acct_spool_directory(t->spool),
                            strerror(-r));
            log_info(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': spooled accounting %s answered by the server "
                     "(%zu left)", t->name, rec->what, spool_waiting(t));
            if (spool_waiting(t) == 0)
                log_notice(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': accounting spool %s delivered; sending "
                           "directly again", t->name, acct_spool_directory(t->spool));
            t->unreachable_logged = false;
            free(rec);
            if (!a->stopping) {
                replay_next(t);
                /* Sent as soon as they are durable (on_spool_written), not a dead-time later. */
                t->replay_caught_up = !t->replay && spool_waiting(t) > 0;
            }
            return;
        }
        if (!t->unreachable_logged)
            log_notice(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': still no accounting server answers (%s); "
                       "%zu record(s) wait in %s", t->name, reason, spool_waiting(t),
                       acct_spool_directory(t->spool));
        t->unreachable_logged = true;
        t->replay_caught_up = false;
        free(rec);
        probe_arm(t, 0);
        return;
    }

    record_unlink(rec);
    if (resp) {
        a->stats.answered++;
        log_debug(CONFIG_SUBSYS_RADIUS, 1, "aaa-server-group '%s': accounting %s answered", t->name, rec->what);
    } else if (rec->status == RADIUS_ACCT_INTERIM_UPDATE) {
        a->stats.interim_skipped++;
        log_notice(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': accounting %s not delivered (%s); the next "
                   "update carries its totals", t->name, rec->what, reason);
    } else
        record_spool(t, rec, reason);
    free(rec);
}

/* Queues a new record: behind the spool when records wait there. */
static void submit(struct acct_target *t, uint8_t status, const char *what, const struct radius_request *req)
{
    struct accounting *a = t->acct;
    struct acct_record *rec = calloc(1, sizeof(*rec));
    if (!rec) {
        a->stats.dropped++;
        log_error(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': out of memory: accounting %s lost", t->name, what);
        return;
    }
    rec->target = t;
    rec->status = status;
    snprintf(rec->what, sizeof(rec->what), "%s", what);
    rec->created_usec = clock_usec(CLOCK_REALTIME);
    memcpy(rec->attrs, req->attrs, req->attrs_len);
    rec->len = req->attrs_len;

    if (spool_busy(t)) {
        if (status == RADIUS_ACCT_INTERIM_UPDATE) {
            a->stats.interim_skipped++;
            log_debug(CONFIG_SUBSYS_RADIUS, 1, "aaa-server-group '%s': accounting %s skipped: the servers are "
                      "away (records wait in the spool)", t->name, what);
        } else
            record_spool(t, rec, "earlier records wait in the spool");
        free(rec);
        return;
    }
    rec->next = t->records;
    if (t->records)
        t->records->prev = rec;
    t->records = rec;
    t->n_in_flight++;
    if (a->stopping)
        return;     /* the shutdown flush sends it */
    int r = record_send(rec);
    if (r < 0) {
        char reason[96];
        snprintf(reason, sizeof(reason), "cannot send: %s", strerror(-r));
        record_unlink(rec);
        if (status == RADIUS_ACCT_INTERIM_UPDATE)
            a->stats.interim_skipped++;
        else
            record_spool(t, rec, reason);
        free(rec);
    }
}

/* ---- the spool's replay ------------------------------------------------------------------------ */

static void replay_next(struct acct_target *t)
{
    struct accounting *a = t->acct;
    if (t->replay || !t->spool)
        return;
    struct acct_record *rec = calloc(1, sizeof(*rec));
    if (!rec) {
        probe_arm(t, 0);
        return;
    }
    uint64_t corrupt_before = 0;
    struct acct_spool_stats st;
    acct_spool_get_stats(t->spool, &st);
    corrupt_before = st.corrupt;
    int r = acct_spool_peek(t->spool, &rec->spool_seq, &rec->created_usec, rec->attrs, &rec->len);
    acct_spool_get_stats(t->spool, &st);
    a->stats.dropped += st.corrupt - corrupt_before;
    if (r <= 0) {
        free(rec);      /* empty (the corrupt ones on the way were logged) */
        return;
    }
    rec->target = t;
    rec->from_spool = true;
    snprintf(rec->what, sizeof(rec->what), "record %016" PRIx64, rec->spool_seq);
    t->replay = rec;
    r = record_send(rec);
    if (r < 0) {
        t->replay = NULL;
        free(rec);
        probe_arm(t, 0);
    }
}

static int on_probe(sd_event_source *s, uint64_t usec, void *userdata)
{
    (void)s;
    (void)usec;
    replay_next(userdata);
    return 0;
}

/* Retries the spool after `delay_usec`, or (0) after the group's dead-time. */
static void probe_arm(struct acct_target *t, uint64_t delay_usec)
{
    if (t->acct->stopping || t->replay)
        return;
    if (delay_usec == 0)
        delay_usec = (t->group->dead_time ? t->group->dead_time : PROBE_DEFAULT_SEC) * USEC_PER_SEC;
    uint64_t when = clock_usec(CLOCK_MONOTONIC) + delay_usec;
    int r;
    if (t->probe) {
        uint64_t armed = 0;
        int enabled = SD_EVENT_OFF;
        (void)sd_event_source_get_enabled(t->probe, &enabled);
        (void)sd_event_source_get_time(t->probe, &armed);
        if (enabled != SD_EVENT_OFF && armed <= when)
            return;     /* sooner already */
        r = sd_event_source_set_time(t->probe, when);
        if (r >= 0)
            r = sd_event_source_set_enabled(t->probe, SD_EVENT_ONESHOT);
    } else
        r = sd_event_add_time(t->event, &t->probe, CLOCK_MONOTONIC, when, USEC_PER_SEC / 10, on_probe, t);
    if (r < 0)
        log_error_errno(CONFIG_SUBSYS_RADIUS, r, "aaa-server-group '%s': cannot schedule the accounting spool's "
                        "resend: %m", t->name);
}

/* ---- records of a session ------------------------------------------------------------------------- */

static void session_totals(struct accounting_session *as, struct session *s, struct session_counters *c)
{
    struct session_counters live = { 0 };
    if (!s->ops || !s->ops->counters || s->ops->counters(s, NULL, &live) < 0)
        memset(&live, 0, sizeof(live));
    c->bytes_in = s->retired.bytes_in + live.bytes_in;
    c->bytes_out = s->retired.bytes_out + live.bytes_out;
    c->packets_in = s->retired.packets_in + live.packets_in;
    c->packets_out = s->retired.packets_out + live.packets_out;
    /* An SA the kernel expired on its own took its counters along: never report less than before. */
    if (c->bytes_in < as->reported.bytes_in)
        c->bytes_in = as->reported.bytes_in;
    if (c->bytes_out < as->reported.bytes_out)
        c->bytes_out = as->reported.bytes_out;
    if (c->packets_in < as->reported.packets_in)
        c->packets_in = as->reported.packets_in;
    if (c->packets_out < as->reported.packets_out)
        c->packets_out = as->reported.packets_out;
    as->reported = *c;
}

static uint32_t saturate32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The record's attributes (RFC 2866 5, RFC 2869 5.1 for the gigawords). */
static int build(struct accounting_session *as, struct session *s, uint8_t status, struct radius_request *req)
{
    char peer[IKE_SOCKADDR_STRING_MAX];
    int r = radius_request_init(req, RADIUS_ACCOUNTING_REQUEST);
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_ACCT_STATUS_TYPE, status);
    if (r >= 0)
        r = radius_request_add_string(req, RADIUS_ACCT_SESSION_ID, s->acct_session_id);
    if (r >= 0 && s->user[0])
        r = radius_request_add(req, RADIUS_USER_NAME, s->user, strnlen(s->user, RADIUS_MAX_ATTR_VALUE));
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_SERVICE_TYPE, SERVICE_TYPE_FRAMED);
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_NAS_PORT_TYPE, NAS_PORT_TYPE_VIRTUAL);
    if (r >= 0 && s->address.family == AF_INET)
        r = radius_request_add_ipv4(req, RADIUS_FRAMED_IP_ADDRESS, s->address.in);
    if (r >= 0)
        r = radius_request_add_string(req, RADIUS_CALLING_STATION_ID,
                                      ike_sockaddr_to_string(&s->remote, peer, sizeof(peer)));
    if (r >= 0 && s->radius_class_len > 0)
        r = radius_request_add(req, RADIUS_CLASS, s->radius_class, s->radius_class_len);
    if (r < 0 || status == RADIUS_ACCT_START)
        return r;

    struct session_counters c;
    session_totals(as, s, &c);
    uint64_t elapsed = (clock_usec(CLOCK_MONOTONIC) - as->start_monotonic) / USEC_PER_SEC;
    r = radius_request_add_u32(req, RADIUS_ACCT_SESSION_TIME, saturate32(elapsed));
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_ACCT_INPUT_OCTETS, (uint32_t)c.bytes_in);
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_ACCT_OUTPUT_OCTETS, (uint32_t)c.bytes_out);
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_ACCT_INPUT_GIGAWORDS, saturate32(c.bytes_in >> 32));
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_ACCT_OUTPUT_GIGAWORDS, saturate32(c.bytes_out >> 32));
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_ACCT_INPUT_PACKETS, saturate32(c.packets_in));
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_ACCT_OUTPUT_PACKETS, saturate32(c.packets_out));
    if (r >= 0 && status == RADIUS_ACCT_STOP)
        r = radius_request_add_u32(req, RADIUS_ACCT_TERMINATE_CAUSE, accounting_terminate_cause(s->end_cause));
    return r;
}

static void account(struct accounting_session *as, struct session *s, uint8_t status)
{
    struct radius_request req;
    char what[RECORD_WHAT_MAX];
    if (status == RADIUS_ACCT_STOP)
        snprintf(what, sizeof(what), "Stop (%s) of session %u (user %.64s, Acct-Session-Id %s)",
                 accounting_terminate_cause_name(s->end_cause), s->index, s->user, s->acct_session_id);
    else
        snprintf(what, sizeof(what), "%s of session %u (user %.64s, Acct-Session-Id %s)", status_name(status),
                 s->index, s->user, s->acct_session_id);
    int r = build(as, s, status, &req);
    if (r < 0) {
        as->target->acct->stats.dropped++;
        log_error(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': cannot build accounting %s: %s", as->target->name,
                  what, strerror(-r));
        return;
    }
    log_debug(CONFIG_SUBSYS_RADIUS, 1, "aaa-server-group '%s': accounting %s", as->target->name, what);
    submit(as->target, status, what, &req);
}

static int on_interim(sd_event_source *source, uint64_t usec, void *userdata)
{
    struct session *s = userdata;
    struct accounting_session *as = s->accounting;
    (void)usec;
    account(as, s, RADIUS_ACCT_INTERIM_UPDATE);
    uint64_t period = (uint64_t)as->target->group->interim_interval * USEC_PER_SEC;
    if (sd_event_source_set_time(source, clock_usec(CLOCK_MONOTONIC) + period) < 0 ||
        sd_event_source_set_enabled(source, SD_EVENT_ONESHOT) < 0)
        log_warning(CONFIG_SUBSYS_RADIUS, "session %u: no more Interim-Updates (timer failed)", s->index);
    return 0;
}

static void on_session_up(struct session *s, void *userdata)
{
    struct accounting *a = userdata;
    if (!a || a->stopping)
        return;
    const struct config_tunnel_group *tg = config_tunnel_group_find(a->config, s->tunnel_group);
    if (!tg || !tg->accounting_server_group)
        return;
    const struct config_aaa_group *g = tg->accounting_server_group;
    struct acct_target *t = target_find(a, g->name);
    if (!t && target_new(a, a->config, g, &t) < 0) {
        a->stats.dropped++;
        log_error(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': cannot start accounting session %u (user %s)",
                  g->name, s->index, s->user);
        return;
    }
    struct accounting_session *as = calloc(1, sizeof(*as));
    if (!as) {
        a->stats.dropped++;
        return;
    }
    as->target = t;
    as->start_monotonic = s->login_monotonic ? s->login_monotonic : clock_usec(CLOCK_MONOTONIC);
    s->accounting = as;
    account(as, s, RADIUS_ACCT_START);
    if (t->group->interim_interval) {
        uint64_t when = clock_usec(CLOCK_MONOTONIC) + (uint64_t)t->group->interim_interval * USEC_PER_SEC;
        if (sd_event_add_time(a->event, &as->interim, CLOCK_MONOTONIC, when, USEC_PER_SEC / 10, on_interim, s) < 0)
            log_warning(CONFIG_SUBSYS_RADIUS, "session %u: no Interim-Updates (timer failed)", s->index);
    }
}

static void on_session_down(struct session *s, void *userdata)
{
    struct accounting *a = userdata;
    struct accounting_session *as = s->accounting;
    if (!as)
        return;
    s->accounting = NULL;
    if (a->stopping)
        session_set_end_cause(s, SESSION_END_NAS_REBOOT);
    as->interim = sd_event_source_disable_unref(as->interim);
    account(as, s, RADIUS_ACCT_STOP);
    free(as);
}

const struct session_observer accounting_session_observer = {
    .up = on_session_up,
    .down = on_session_down,
};

/* ---- life cycle ------------------------------------------------------------------------------------ */

/* Targets for every group a tunnel group accounts to (their spools resent). */
static void open_targets(struct accounting *a, struct vpnd_config *config)
{
    for (size_t i = 0; i < config->n_tunnel_groups; i++) {
        const struct config_aaa_group *g = config->tunnel_groups[i].accounting_server_group;
        struct acct_target *t;
        if (g && !target_find(a, g->name) && target_new(a, config, g, &t) < 0)
            log_error(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': cannot set up accounting", g->name);
    }
}

int accounting_new(sd_event *event, struct vpnd_config *config, struct accounting **ret)
{
    struct accounting *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->event = sd_event_ref(event);
    a->config = config_ref(config);
    open_targets(a, config);
    *ret = a;
    return 0;
}

/* Moves a target to another RADIUS client (a reloaded group, the shutdown
 * loop): what was in flight is sent again from there. */
static int target_switch_client(struct acct_target *t, sd_event *event, const struct config_aaa_group *g)
{
    struct radius_client *client;
    int r = radius_client_new(event, g, &client);
    if (r < 0)
        return r;
    for (struct acct_record *rec = t->records; rec; rec = rec->next) {
        radius_cancel(rec->pending);
        rec->pending = NULL;
    }
    if (t->replay) {
        free(t->replay);    /* still first in the spool: resent from there */
        t->replay = NULL;
    }
    radius_client_free(t->client);
    t->client = client;
    t->event = event;
    t->group = g;
    return 0;
}

static void target_resend(struct acct_target *t)
{
    struct acct_record *rec = t->records;
    while (rec) {
        struct acct_record *next = rec->next;
        int r = record_send(rec);
        if (r < 0) {
            char reason[96];
            snprintf(reason, sizeof(reason), "cannot send: %s", strerror(-r));
            record_unlink(rec);
            if (rec->status == RADIUS_ACCT_INTERIM_UPDATE)
                t->acct->stats.interim_skipped++;
            else
                record_spool(t, rec, reason);
            free(rec);
        }
        rec = next;
    }
}

void accounting_reload(struct accounting *a, struct vpnd_config *config)
{
    config_unref(a->config);
    a->config = config_ref(config);
    for (struct acct_target *t = a->targets; t; t = t->next) {
        const struct config_aaa_group *g = config_aaa_group_find(config, t->name);
        if (!g)
            continue;   /* removed: its sessions keep accounting to it as it was */
        /* The spool, and the records its writer still has, stay where they were accepted. */
        if (strcmp(g->accounting_spool_directory, t->group->accounting_spool_directory) != 0)
            log_notice(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': the accounting spool stays in %s until vpnd "
                       "restarts", t->name, t->spool ? acct_spool_directory(t->spool) : "(none)");
        struct vpnd_config *old = t->config;
        int r = target_switch_client(t, a->event, g);
        if (r < 0) {
            log_error_errno(CONFIG_SUBSYS_RADIUS, r, "aaa-server-group '%s': keeping the previous servers: %m",
                            t->name);
            continue;
        }
        t->config = config_ref(config);
        config_unref(old);
        target_resend(t);
        if (spool_busy(t))
            probe_arm(t, 1);
    }
    open_targets(a, config);
}

void accounting_begin_shutdown(struct accounting *a)
{
    if (!a)
        return;
    a->stopping = true;
    for (struct acct_target *t = a->targets; t; t = t->next)
        t->probe = sd_event_source_disable_unref(t->probe);
}

/* The daemon's loop has finished: the unanswered Starts and Stops get one
 * more chance on a private loop, for up to the group's timeout. */
static void target_flush(struct acct_target *t)
{
    sd_event *event = NULL;
    size_t n = 0;
    for (struct acct_record *rec = t->records; rec; rec = rec->next)
        n++;
    if (n == 0)
        return;
    int r = sd_event_new(&event);
    if (r >= 0)
        r = target_switch_client(t, event, t->group);
    if (r >= 0) {
        t->acct->stopping = true;
        target_resend(t);
        /* Within the service manager's stop timeout, whatever the group's timeout. */
        uint32_t wait_ms = t->group->timeout_ms < SHUTDOWN_WAIT_MAX_MS ? t->group->timeout_ms : SHUTDOWN_WAIT_MAX_MS;
        uint64_t deadline = clock_usec(CLOCK_MONOTONIC) + (uint64_t)wait_ms * 1000ULL;
        log_info(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s': waiting up to %u ms for the answers to %zu "
                 "accounting records", t->name, wait_ms, t->n_in_flight);
        while (t->n_in_flight > 0) {
            uint64_t now = clock_usec(CLOCK_MONOTONIC);
            if (now >= deadline)
                break;
            if (sd_event_run(event, deadline - now) < 0)
                break;
        }
    }
    while (t->records) {
        struct acct_record *rec = t->records;
        record_unlink(rec);
        radius_cancel(rec->pending);
        rec->pending = NULL;
        if (rec->status == RADIUS_ACCT_INTERIM_UPDATE)
            t->acct->stats.interim_skipped++;
        else
            record_spool(t, rec, "no answer before vpnd stopped");
        free(rec);
    }
    /* The client's sockets and timers belong to the private loop: gone before it. */
    radius_client_free(t->client);
    t->client = NULL;
    sd_event_unref(event);
}

void accounting_free(struct accounting *a)
{
    if (!a)
        return;
    accounting_begin_shutdown(a);
    while (a->targets) {
        struct acct_target *t = a->targets;
        a->targets = t->next;
        target_flush(t);
        target_free(t);
    }
    config_unref(a->config);
    sd_event_unref(a->event);
    free(a);
}

void accounting_get_stats(const struct accounting *a, struct accounting_stats *ret)
{
    *ret = a->stats;
    ret->spool_waiting = 0;
    for (const struct acct_target *t = a->targets; t; t = t->next)
        ret->spool_waiting += spool_waiting(t);
}
