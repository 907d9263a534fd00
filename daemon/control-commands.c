/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control commands. To add one: write a handler with the
 * control_handler_fn signature, give it the least access it needs, add a
 * line to control_commands[] and document it in man/vpnctl.8. Handlers run
 * on the loop thread and must not block; they validate every member of
 * req->args they use and refuse with -EINVAL and a message otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "clock.h"
#include "control.h"
#include "control-json.h"
#include "control-list.h"
#include "ike.h"
#include "ike-socket.h"
#include "json-writer.h"
#include "session.h"
#include "session-reload.h"
#include "log.h"
#include "vpnd-build.h"
#include "vpnd.h"
#include "xfrm-snapshot.h"

static json_object *debug_levels(void)
{
    json_object *debug = json_object_new_object();
    for (int i = 0; i < CONFIG_SUBSYS_COUNT; i++)
        control_add_uint(debug, config_subsystem_name((enum config_subsystem)i),
                 log_get_debug_level((enum config_subsystem)i));
    return debug;
}

static int cmd_status(struct vpnd *vpnd, const struct control_request *req,
                      json_object **result, struct control_error *error)
{
    const struct vpnd_config *config = vpnd->config;

    if (json_object_object_length(req->args) != 0) {
        snprintf(error->message, sizeof(error->message), "status takes no arguments");
        return -EINVAL;
    }

    json_object *o = json_object_new_object();
    if (!o)
        return -ENOMEM;
    control_add_string(o, "version", VPND_VERSION);
    control_add_uint(o, "pid", (unsigned long long)getpid());
    control_add_string(o, "state", vpnd_state_name(vpnd->state));
    control_add_time(o, "started", vpnd->started_realtime);
    control_add_uint(o, "uptime_seconds", (monotonic_usec() - vpnd->started_monotonic) / 1000000ULL);

    json_object *cfg = json_object_new_object();
    control_add_string(cfg, "file", vpnd->config_path);
    control_add_time(cfg, "loaded", vpnd->config_loaded_realtime);
    control_add_uint(cfg, "reloads", vpnd->reloads_ok);
    control_add_uint(cfg, "failed_reloads", vpnd->reloads_failed);
    control_add_string(cfg, "last_reload_error", vpnd->last_reload_error);
    control_add_uint(cfg, "warnings", config->n_warnings);
    control_add_uint(cfg, "tunnel_groups", config->n_tunnel_groups);
    control_add_uint(cfg, "group_policies", config->n_group_policies);
    control_add_uint(cfg, "pools", config->n_pools);
    control_add_uint(cfg, "users", config->n_users);
    json_object_object_add(o, "config", cfg);

    json_object *control = json_object_new_object();
    control_add_string(control, "socket", control_server_path(vpnd->control));
    control_add_uint(control, "clients", control_server_n_clients(vpnd->control));
    control_add_string(control, "your_access", control_access_name(req->client->access));
    json_object_object_add(o, "control", control);

    struct job_pool_stats js;
    job_pool_get_stats(vpnd->jobs, &js);
    json_object *jobs = json_object_new_object();
    control_add_uint(jobs, "workers", js.workers);
    control_add_uint(jobs, "queued", js.queued);
    control_add_uint(jobs, "running", js.running);
    control_add_uint(jobs, "completed", js.completed);
    control_add_uint(jobs, "cancelled", js.cancelled);
    control_add_uint(jobs, "rejected", js.rejected);
    json_object_object_add(o, "jobs", jobs);

    /* What an operator checks when clients fail or a flood arrives: the
     * IKE counters, and what the sockets dropped before any parsing. */
    if (vpnd->ike) {
        struct ike_stats is;
        struct ike_socket_stats ss;
        ike_get_stats(vpnd->ike, &is);
        ike_get_socket_stats(vpnd->ike, &ss);
        json_object *ike = json_object_new_object();
        control_add_uint(ike, "received", is.received);
        control_add_uint(ike, "parse_errors", is.parse_errors);
        control_add_uint(ike, "decrypt_failures", is.decrypt_failures);
        control_add_uint(ike, "unknown_spi", is.unknown_spi);
        control_add_uint(ike, "bad_message_id", is.bad_message_id);
        control_add_uint(ike, "retransmits_answered", is.retransmits_answered);
        control_add_uint(ike, "stray_responses", is.stray_responses);
        control_add_uint(ike, "ikev1_dropped", is.ikev1_dropped);
        control_add_uint(ike, "half_open", is.half_open);
        control_add_uint(ike, "established", is.established);
        control_add_uint(ike, "cookies_sent", is.cookies_sent);
        control_add_uint(ike, "cookies_rejected", is.cookies_rejected);
        control_add_uint(ike, "half_open_dropped", is.half_open_dropped);
        control_add_uint(ike, "fragments_received", is.fragments_received);
        control_add_uint(ike, "fragments_dropped", is.fragments_dropped);
        control_add_uint(ike, "fragments_sent", is.fragments_sent);
        control_add_uint(ike, "reassembled", is.reassembled);
        json_object *sock = json_object_new_object();
        control_add_uint(sock, "received", ss.received);
        control_add_uint(sock, "sent", ss.sent);
        control_add_uint(sock, "dropped_malformed", ss.dropped_malformed);
        control_add_uint(sock, "dropped_keepalive", ss.dropped_keepalive);
        control_add_uint(sock, "dropped_esp", ss.dropped_esp);
        control_add_uint(sock, "dropped_truncated", ss.dropped_truncated);
        control_add_uint(sock, "receive_errors", ss.receive_errors);
        control_add_uint(sock, "send_dropped", ss.send_dropped);
        control_add_uint(sock, "send_errors", ss.send_errors);
        control_add_uint(sock, "queued", ss.queued);
        control_add_uint(sock, "queued_peak", ss.queued_peak);
        control_add_uint(sock, "queue_init_replaced", ss.queue_new_replaced);
        control_add_uint(sock, "queue_init_dropped", ss.queue_new_dropped);
        control_add_uint(sock, "queue_existing_dropped", ss.queue_existing_dropped);
        json_object_object_add(ike, "sockets", sock);
        json_object_object_add(o, "ike", ike);
    }

    json_object *log = json_object_new_object();
    control_add_string(log, "target", log_get_target() == LOG_TARGET_JOURNAL ? "journal" : "stderr");
    control_add_string(log, "level", config_log_level_name(config->log.level));
    json_object_object_add(log, "debug", debug_levels());
    json_object_object_add(o, "log", log);

    *result = o;
    return 0;
}

/* Like `debug crypto ikev2 protocol 127` on an ASA: takes effect at once
 * and lasts until the next reload, which restores the configured levels. */
int control_cmd_debug(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                      struct control_error *error)
{
    static const char *const allowed[] = { "subsystem", "level", NULL };
    json_object *subsys_arg = NULL, *level_arg = NULL;
    (void)vpnd;
    int r = control_check_args(req, allowed, error);
    if (r < 0)
        return r;
    if (!json_object_object_get_ex(req->args, "subsystem", &subsys_arg) ||
        !json_object_is_type(subsys_arg, json_type_string) ||
        !json_object_object_get_ex(req->args, "level", &level_arg) ||
        !json_object_is_type(level_arg, json_type_int)) {
        snprintf(error->message, sizeof(error->message),
                 "debug needs 'subsystem' (a name or \"all\") and 'level' (0..%d)", CONFIG_DEBUG_MAX);
        return -EINVAL;
    }
    const char *name = json_object_get_string(subsys_arg);
    int64_t level = json_object_get_int64(level_arg);
    if (level < 0 || level > CONFIG_DEBUG_MAX) {
        snprintf(error->message, sizeof(error->message), "debug: level must be between 0 and %d", CONFIG_DEBUG_MAX);
        return -EINVAL;
    }
    int subsys = strcmp(name, "all") == 0 ? -1 : config_subsystem_from_name(name);
    if (subsys < -1) {
        char names[256] = "";
        for (int i = 0; i < CONFIG_SUBSYS_COUNT; i++) {
            strncat(names, config_subsystem_name((enum config_subsystem)i), sizeof(names) - strlen(names) - 1);
            strncat(names, ", ", sizeof(names) - strlen(names) - 1);
        }
        snprintf(error->message, sizeof(error->message), "debug: unknown subsystem '%.64s' (%sall)", name, names);
        return -ENOENT;
    }
    for (int i = 0; i < CONFIG_SUBSYS_COUNT; i++)
        if (subsys == -1 || subsys == i)
            log_set_debug_level((enum config_subsystem)i, (uint8_t)level);
    log_notice(CONFIG_SUBSYS_CONTROL, "debug level of %s set to %d by uid %u", subsys == -1 ? "all subsystems" : name,
               (int)level, (unsigned)req->client->uid);

    json_object *o = json_object_new_object();
    if (!o)
        return -ENOMEM;
    json_object_object_add(o, "debug", debug_levels());
    *result = o;
    return 0;
}

static int cmd_reload(struct vpnd *vpnd, const struct control_request *req,
                      json_object **result, struct control_error *error)
{
    if (json_object_object_length(req->args) != 0) {
        snprintf(error->message, sizeof(error->message), "reload takes no arguments");
        return -EINVAL;
    }
    int r = vpnd_reload(vpnd, error->message, sizeof(error->message));
    if (r < 0) {
        /* The file is wrong, not the request. */
        error->code = "config-error";
        return r;
    }

    json_object *o = json_object_new_object();
    if (!o)
        return -ENOMEM;
    control_add_string(o, "file", vpnd->config_path);
    control_add_uint(o, "warnings", vpnd->config->n_warnings);
    json_object *warnings = json_object_new_array();
    for (size_t i = 0; i < vpnd->config->n_warnings; i++)
        json_object_array_add(warnings, json_object_new_string(vpnd->config->warnings[i]));
    json_object_object_add(o, "warning_list", warnings);
    /* The sessions the new file no longer allows, and why. */
    json_object *ended = json_object_new_array();
    size_t n_ended = 0;
    const struct session_reload_end *list = vpnd->ike ? ike_reload_ended(vpnd->ike, &n_ended) : NULL;
    for (size_t i = 0; i < n_ended; i++) {
        json_object *e = json_object_new_object();
        control_add_uint(e, "index", list[i].index);
        control_add_string(e, "user", list[i].user);
        control_add_string(e, "tunnel_group", list[i].tunnel_group);
        control_add_string(e, "reason", list[i].reason);
        json_object_array_add(ended, e);
    }
    json_object_object_add(o, "ended_sessions", ended);
    *result = o;
    return 0;
}

struct sessions_walk {
    struct ike *ike;
    const struct xfrm_snapshot *snap;   /* the kernel's counters; NULL: SA by SA */
    struct control_list list;
    uint64_t now_monotonic;
};

/* v as `digits` lower-case hex digits at p, like "%0*x"; returns the end
 * (snprintf was a tenth of a 10,000-session list). */
static char *put_hex(char *p, uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        p[i] = "0123456789abcdef"[v & 15];
    return p + digits;
}

/* What `sessions` lists of one session, written straight as JSON (no
 * json-c object per session: json-writer.h); the members are documented in
 * vpnctl(8). */
static void write_session_summary(struct json_writer *j, struct ike *ike, const struct xfrm_snapshot *snap,
                                  uint64_t now_monotonic, struct session *s)
{
    char addr[INET6_ADDRSTRLEN] = "", remote[IKE_SOCKADDR_STRING_MAX], login[32];
    inet_ntop(s->address.family, s->address.family == AF_INET ? (const void *)&s->address.in
                                                               : (const void *)&s->address.in6, addr, sizeof(addr));
    json_writer_object_begin(j);
    json_writer_member_uint(j, "index", s->index);
    json_writer_member_string(j, "user", s->user);
    json_writer_member_string(j, "tunnel_group", s->tunnel_group);
    json_writer_member_string(j, "group_policy", s->group_policy[0] ? s->group_policy : NULL);
    json_writer_member_string(j, "address", addr);
    char addr6[INET6_ADDRSTRLEN] = "";
    if (s->has_address6)
        inet_ntop(AF_INET6, &s->address6.in6, addr6, sizeof(addr6));
    json_writer_member_string(j, "address6", s->has_address6 ? addr6 : NULL);
    json_writer_member_string(j, "public_address", ike_sockaddr_to_string(&s->remote, remote, sizeof(remote)));
    json_writer_member_string(j, "protocol", s->protocol == SESSION_IKEV2 ? "IKEv2" : "IKEv1");
    json_writer_member_bool(j, "natt", s->natt);
    json_writer_member_string(j, "encryption", s->encryption);
    json_writer_member_string(j, "login", control_format_time(s->login_realtime, login));
    json_writer_member_uint(j, "duration_seconds", (now_monotonic - s->login_monotonic) / 1000000ULL);
    json_writer_member_string(j, "acct_session_id", s->acct_session_id);
    struct session_counters c;
    if (ike_session_counters(ike, s, snap, &c) >= 0) {
        json_writer_member_uint(j, "bytes_in", c.bytes_in);
        json_writer_member_uint(j, "bytes_out", c.bytes_out);
        json_writer_member_uint(j, "packets_in", c.packets_in);
        json_writer_member_uint(j, "packets_out", c.packets_out);
        /* Read just now: it may be a little later than now_monotonic. */
        uint64_t idle = now_monotonic > c.last_activity_usec ? now_monotonic - c.last_activity_usec : 0;
        json_writer_member_uint(j, "idle_seconds", idle / 1000000ULL);
    } else {
        /* The kernel did not answer: say so rather than print zeros. */
        json_writer_member_null(j, "bytes_in");
        json_writer_member_null(j, "bytes_out");
        json_writer_member_null(j, "packets_in");
        json_writer_member_null(j, "packets_out");
        json_writer_member_null(j, "idle_seconds");
    }
    if (s->ops && s->ops->sas) {
        struct session_sas sas;
        char spi[40], *p;
        s->ops->sas(s, &sas);
        p = put_hex(spi, sas.ike_spi_i, 16);                    /* "%016" PRIx64 "_i %016" PRIx64 "_r" */
        memcpy(p, "_i ", 3);
        p = put_hex(p + 3, sas.ike_spi_r, 16);
        memcpy(p, "_r", 2);
        json_writer_member_string_len(j, "ike_sa", spi, (size_t)(p + 2 - spi));
        json_writer_key(j, "child_sas");
        json_writer_array_begin(j);
        for (size_t i = 0; i < sas.n_child; i++) {
            memcpy(spi, "in 0x", 5);                            /* "in 0x%08x out 0x%08x" */
            p = put_hex(spi + 5, sas.child[i].spi_in, 8);
            memcpy(p, " out 0x", 7);
            p = put_hex(p + 7, sas.child[i].spi_out, 8);
            json_writer_string_len(j, spi, (size_t)(p - spi));
        }
        json_writer_array_end(j);
    }
    json_writer_object_end(j);
}

static int add_session(struct session *s, void *userdata)
{
    struct sessions_walk *w = userdata;
    struct json_writer *j = control_list_next(&w->list);
    write_session_summary(j, w->ike, w->snap, w->now_monotonic, s);
    return json_writer_error(j);
}

/* The same members as a json-c object, for `session` to add its details
 * to: a few sessions, so parsing the text back costs nothing and the list
 * of members is written once. */
json_object *control_session_summary(struct ike *ike, struct session *s, const struct xfrm_snapshot *snap)
{
    struct json_writer j;
    json_writer_init(&j);
    write_session_summary(&j, ike, snap, monotonic_usec(), s);
    json_object *o = NULL;
    if (!json_writer_error(&j)) {
        json_tokener *tok = json_tokener_new();
        if (tok) {
            o = json_tokener_parse_ex(tok, j.buf, (int)j.len);
            json_tokener_free(tok);
        }
    }
    json_writer_done(&j);
    return o;
}

int control_sessions_list(struct ike *ike, struct session_registry *reg, const struct xfrm_snapshot *snap,
                          json_object **result)
{
    struct sessions_walk w = { .ike = ike, .snap = snap, .now_monotonic = monotonic_usec() };
    int r = reg ? session_foreach(reg, add_session, &w) : 0;
    json_object *o = r < 0 ? NULL : json_object_new_object();
    if (!o) {
        control_list_done(&w.list);
        return r < 0 ? r : -ENOMEM;
    }
    control_add_uint(o, "count", w.list.count);
    json_object *list = control_list_finish(&w.list);
    if (!list) {
        json_object_put(o);
        return -ENOMEM;
    }
    control_add(o, "sessions", list);
    *result = o;
    return 0;
}

static int cmd_sessions(struct vpnd *vpnd, const struct control_request *req,
                        json_object **result, struct control_error *error)
{
    if (json_object_object_length(req->args) != 0) {
        snprintf(error->message, sizeof(error->message), "sessions takes no arguments");
        return -EINVAL;
    }
    if (!vpnd->ike)
        return control_sessions_list(NULL, NULL, NULL, result);
    /* Every session's counters from one dump of the kernel's SAs. */
    struct xfrm_snapshot *snap = ike_kernel_snapshot(vpnd->ike);
    int r = control_sessions_list(vpnd->ike, ike_sessions(vpnd->ike), snap, result);
    xfrm_snapshot_free(snap);
    return r;
}

/* Lists the commands the asking client may run. */
static int cmd_help(struct vpnd *vpnd, const struct control_request *req,
                    json_object **result, struct control_error *error)
{
    json_object *o, *list;
    int r = control_new_result_list("commands", &o, &list);
    if (r < 0)
        return r;
    for (const struct control_command *c = control_commands; c->name; c++) {
        if (req->client->access < c->access)
            continue;
        json_object *e = json_object_new_object();
        control_add_string(e, "command", c->name);
        control_add_string(e, "access", control_access_name(c->access));
        control_add_string(e, "summary", c->summary);
        json_object_array_add(list, e);
    }
    *result = o;
    return 0;
}

const struct control_command control_commands[] = {
    { "help",   CONTROL_ACCESS_READ,  cmd_help,   "list the commands you may run" },
    { "status", CONTROL_ACCESS_READ,  cmd_status, "daemon version, state, uptime, counters, debug levels" },
    { "reload", CONTROL_ACCESS_ADMIN, cmd_reload, "re-read the configuration file" },
    { "sessions", CONTROL_ACCESS_READ, cmd_sessions, "connected clients: user, group, addresses, traffic" },
    { "terminate", CONTROL_ACCESS_ADMIN, control_cmd_terminate, "end sessions: by index, user, address or all" },
    { "pools",    CONTROL_ACCESS_READ, control_cmd_pools, "address pools: size, used, free, who holds what" },
    { "log",      CONTROL_ACCESS_READ, control_cmd_log, "recent log lines; with follow, new ones as they come" },
    { "debug",    CONTROL_ACCESS_ADMIN, control_cmd_debug, "set a subsystem's debug level (0..255) until the next reload" },
    { "session",  CONTROL_ACCESS_READ, control_cmd_session, "one session in detail: its IKE SA and CHILD SAs with kernel counters" },
    { "sas",      CONTROL_ACCESS_READ, control_cmd_sas, "the IKE SAs: SPIs, identities, algorithms, lifetimes" },
    { "ipsec",    CONTROL_ACCESS_READ, control_cmd_ipsec, "the IPsec (CHILD) SAs with the kernel's counters" },
    { "stats",    CONTROL_ACCESS_READ, control_cmd_stats, "counters since start: handshakes, failures by reason, drops" },
    { NULL, CONTROL_ACCESS_NONE, NULL, NULL },
};
