/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vpnctl: the operator's command for a running vpnd. It sends one request
 * over the control socket and prints the answer, aligned for people or raw
 * (--json) for scripts. The exit status tells scripts what happened without
 * parsing text (see EXIT_* below and vpnctl(8)).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "control-client.h"
#include "jsonline.h"
#include "vpnctl.h"
#include "vpnd-build.h"

enum {
    EXIT_OK = 0,
    EXIT_COMMAND_FAILED = 1,    /* the daemon ran the command and it failed */
    EXIT_USAGE = 2,
    EXIT_UNREACHABLE = 3,       /* no daemon at the socket */
    EXIT_DENIED = 4,            /* not allowed: socket permissions or the daemon refused */
    EXIT_PROTOCOL = 5,          /* no valid answer (timeout, malformed response) */
};

/* --- reading the response ------------------------------------------------ */

json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

const char *get_str(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : NULL;
}

uint64_t get_uint(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v ? json_object_get_uint64(v) : 0;
}

void field(const char *label, const char *fmt, ...)
{
    va_list ap;
    printf("%-*s ", LABEL_WIDTH, label);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* Decimal digits of v, at least min_digits of them, at *p (before end;
 * what does not fit is cut). Used instead of snprintf where the sessions
 * table calls it 60,000 times. */
static void append_uint(char **p, char *end, uint64_t v, int min_digits)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < min_digits)
        digits[n++] = '0';
    while (n > 0 && *p < end)
        *(*p)++ = digits[--n];
}

static void append_text(char **p, char *end, const char *text)
{
    while (*text && *p < end)
        *(*p)++ = *text++;
}

void format_uint(uint64_t v, char *buf, size_t len)
{
    char *p = buf, *end = buf + len - 1;
    append_uint(&p, end, v, 1);
    *p = '\0';
}

/* "1d 02h 03m 04s", "2h 03m 04s", "3m 04s", "4s". */
void format_duration(uint64_t s, char *buf, size_t len)
{
    uint64_t parts[4] = { s / 86400, s / 3600 % 24, s / 60 % 60, s % 60 };
    static const char units[4][3] = { "d ", "h ", "m ", "s" };
    char *p = buf, *end = buf + len - 1;
    int first = 0;
    while (first < 3 && parts[first] == 0)
        first++;
    for (int i = first; i < 4; i++) {
        append_uint(&p, end, parts[i], i == first ? 1 : 2);
        append_text(&p, end, units[i]);
    }
    *p = '\0';
}

/* --- commands ------------------------------------------------------------ */

static void print_status(json_object *r)
{
    char uptime[64];
    format_duration(get_uint(r, "uptime_seconds"), uptime, sizeof(uptime));

    field("Version:", "%s", get_str(r, "version") ?: "?");
    field("PID:", "%" PRIu64, get_uint(r, "pid"));
    field("State:", "%s", get_str(r, "state") ?: "?");
    field("Uptime:", "%s (since %s)", uptime, get_str(r, "started") ?: "?");

    json_object *c = get(r, "config");
    field("Configuration:", "%s", get_str(c, "file") ?: "?");
    field("  loaded:", "%s", get_str(c, "loaded") ?: "?");
    field("  reloads:", "%" PRIu64 " ok, %" PRIu64 " failed",
          get_uint(c, "reloads"), get_uint(c, "failed_reloads"));
    if (get_str(c, "last_reload_error"))
        field("  last reload error:", "%s", get_str(c, "last_reload_error"));
    field("  warnings:", "%" PRIu64, get_uint(c, "warnings"));
    field("  tunnel groups:", "%" PRIu64, get_uint(c, "tunnel_groups"));
    field("  group policies:", "%" PRIu64, get_uint(c, "group_policies"));
    field("  pools:", "%" PRIu64, get_uint(c, "pools"));
    field("  users:", "%" PRIu64, get_uint(c, "users"));

    json_object *ctl = get(r, "control");
    field("Control socket:", "%s", get_str(ctl, "socket") ?: "?");
    field("  clients:", "%" PRIu64, get_uint(ctl, "clients"));
    field("  your access:", "%s", get_str(ctl, "your_access") ?: "?");

    json_object *j = get(r, "jobs");
    field("Jobs:", "%" PRIu64 " workers, %" PRIu64 " queued, %" PRIu64 " running",
          get_uint(j, "workers"), get_uint(j, "queued"), get_uint(j, "running"));
    field("", "%" PRIu64 " completed, %" PRIu64 " cancelled, %" PRIu64 " rejected",
          get_uint(j, "completed"), get_uint(j, "cancelled"), get_uint(j, "rejected"));

    json_object *ike = get(r, "ike");
    if (ike) {
        json_object *sk = get(ike, "sockets");
        field("IKE:", "%" PRIu64 " established, %" PRIu64 " half-open, %" PRIu64 " messages received",
              get_uint(ike, "established"), get_uint(ike, "half_open"), get_uint(ike, "received"));
        field("  dropped:", "%" PRIu64 " malformed, %" PRIu64 " failed decryption, %" PRIu64
              " unknown SPI, %" PRIu64 " outside the window",
              get_uint(ike, "parse_errors"), get_uint(ike, "decrypt_failures"),
              get_uint(ike, "unknown_spi"), get_uint(ike, "bad_message_id"));
        field("  retransmissions:", "%" PRIu64 " answered from the cache", get_uint(ike, "retransmits_answered"));
        field("  stray responses:", "%" PRIu64 " dropped", get_uint(ike, "stray_responses"));
        field("  half-open guard:", "%" PRIu64 " cookies sent, %" PRIu64 " wrong cookies, %" PRIu64
              " IKE_SA_INIT over the limits dropped", get_uint(ike, "cookies_sent"),
              get_uint(ike, "cookies_rejected"), get_uint(ike, "half_open_dropped"));
        field("  fragments:", "%" PRIu64 " received, %" PRIu64 " dropped, %" PRIu64 " messages reassembled, %"
              PRIu64 " sent", get_uint(ike, "fragments_received"), get_uint(ike, "fragments_dropped"),
              get_uint(ike, "reassembled"), get_uint(ike, "fragments_sent"));
        field("  sockets:", "%" PRIu64 " received, %" PRIu64 " sent, dropped %" PRIu64 " runts, %" PRIu64
              " stray ESP, %" PRIu64 " keepalives",
              get_uint(sk, "received"), get_uint(sk, "sent"), get_uint(sk, "dropped_malformed"),
              get_uint(sk, "dropped_esp"), get_uint(sk, "dropped_keepalive"));
        field("  receive queue:", "%" PRIu64 " waiting (peak %" PRIu64 "), IKE_SA_INIT %" PRIu64
              " merged with a waiting copy, %" PRIu64 " dropped (backlog full), %" PRIu64
              " for existing SAs dropped (queue full)",
              get_uint(sk, "queued"), get_uint(sk, "queued_peak"), get_uint(sk, "queue_init_replaced"),
              get_uint(sk, "queue_init_dropped"), get_uint(sk, "queue_existing_dropped"));
    }

    json_object *log = get(r, "log");
    field("Log:", "%s, level %s", get_str(log, "target") ?: "?", get_str(log, "level") ?: "?");
    json_object *debug = get(log, "debug");
    if (debug && json_object_is_type(debug, json_type_object)) {
        printf("%-*s", LABEL_WIDTH, "Debug levels:");
        int col = 0;
        json_object_object_foreach(debug, name, level) {
            if (col && col % 6 == 0)
                printf("\n%-*s", LABEL_WIDTH, "");
            printf(" %s=%d", name, json_object_get_int(level));
            col++;
        }
        putchar('\n');
    }
}

static void print_reload(json_object *r)
{
    json_object *warnings = get(r, "warning_list");
    size_t n = warnings && json_object_is_type(warnings, json_type_array) ?
               json_object_array_length(warnings) : 0;
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "warning: %s\n", json_object_get_string(json_object_array_get_idx(warnings, i)));
    printf("configuration %s reloaded\n", get_str(r, "file") ?: "");
    json_object *ended = get(r, "ended_sessions");
    n = ended && json_object_is_type(ended, json_type_array) ? json_object_array_length(ended) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(ended, i);
        printf("ended session %" PRIu64 " (user %s, tunnel group %s): %s\n", get_uint(e, "index"),
               get_str(e, "user") ?: "?", get_str(e, "tunnel_group") ?: "?", get_str(e, "reason") ?: "?");
    }
}

void format_bytes(uint64_t b, char *buf, size_t len)
{
    char *p = buf, *end = buf + len - 1;
    if (b >= 10ULL * 1024 * 1024 * 1024)
        append_uint(&p, end, b >> 30, 1), append_text(&p, end, "G");
    else if (b >= 10ULL * 1024 * 1024)
        append_uint(&p, end, b >> 20, 1), append_text(&p, end, "M");
    else if (b >= 10ULL * 1024)
        append_uint(&p, end, b >> 10, 1), append_text(&p, end, "K");
    else
        append_uint(&p, end, b, 1);
    *p = '\0';
}

static void print_help(json_object *r)
{
    json_object *list = get(r, "commands");
    size_t n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(list, i);
        printf("%-*s %s\n", LABEL_WIDTH, get_str(c, "command") ?: "?", get_str(c, "summary") ?: "");
    }
}

static void print_terminate(json_object *r)
{
    json_object *list = get(r, "sessions");
    size_t n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(list, i);
        printf("terminated session %" PRIu64 " (user %s, address %s)\n", get_uint(s, "index"),
               get_str(s, "user") ?: "?", get_str(s, "address") ?: "?");
    }
    if (n == 0)
        printf("no sessions terminated\n");
}

static void print_pools(json_object *r)
{
    json_object *list = get(r, "pools");
    size_t n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    if (n == 0) {
        printf("no pools configured\n");
        return;
    }
    printf("%-20s %-6s %-35s %12s %12s %12s\n", "POOL", "FAMILY", "RANGE", "SIZE", "USED", "FREE");
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(list, i);
        char range[96], size[24] = "huge", used[24], free_[24] = "huge";
        snprintf(range, sizeof(range), "%s-%s", get_str(p, "first") ?: "?", get_str(p, "last") ?: "?");
        if (get_str(p, "size"))
            snprintf(size, sizeof(size), "%" PRIu64, get_uint(p, "size"));
        if (get_str(p, "free"))
            snprintf(free_, sizeof(free_), "%" PRIu64, get_uint(p, "free"));
        snprintf(used, sizeof(used), "%" PRIu64, get_uint(p, "used"));
        printf("%-20s %-6s %-35s %12s %12s %12s\n", get_str(p, "name") ?: "?", get_str(p, "family") ?: "?", range,
               size, used, free_);
        json_object *leases = get(p, "leases");
        size_t nl = leases && json_object_is_type(leases, json_type_array) ? json_object_array_length(leases) : 0;
        for (size_t j = 0; j < nl; j++) {
            json_object *l = json_object_array_get_idx(leases, j);
            printf("    %-39s %s\n", get_str(l, "address") ?: "?", get_str(l, "owner") ?: "-");
        }
    }
}

static void print_debug(json_object *r)
{
    json_object *debug = get(r, "debug");
    if (!debug || !json_object_is_type(debug, json_type_object))
        return;
    json_object_object_foreach(debug, name, level)
        printf("%-*s %d\n", LABEL_WIDTH, name, json_object_get_int(level));
}

/* --- command arguments: argv after the command name into the request's
 * "args" object. They return false on a usage error (already printed). --- */

static bool no_args(int argc, char **argv, json_object *args)
{
    (void)argv, (void)args;
    if (argc == 0)
        return true;
    fprintf(stderr, "vpnctl: this command takes no arguments\n");
    return false;
}

static bool parse_uint(const char *text, unsigned long max, unsigned long *ret)
{
    char *end;
    if (!*text || *text == '-' || *text == '+')
        return false;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || *end || v > max)
        return false;
    *ret = v;
    return true;
}

/* terminate INDEX | USER | ADDRESS | --all: a number is an index, an
 * address an address, anything else a user name. */
static bool terminate_args(int argc, char **argv, json_object *args)
{
    unsigned long idx;
    unsigned char buf[16];
    if (argc != 1) {
        fprintf(stderr, "vpnctl: terminate needs one of INDEX, USER, ADDRESS or --all\n");
        return false;
    }
    if (strcmp(argv[0], "--all") == 0)
        json_object_object_add(args, "all", json_object_new_boolean(true));
    else if (parse_uint(argv[0], UINT32_MAX, &idx) && idx > 0)
        json_object_object_add(args, "index", json_object_new_int64((int64_t)idx));
    else if (inet_pton(AF_INET, argv[0], buf) == 1 || inet_pton(AF_INET6, argv[0], buf) == 1)
        json_object_object_add(args, "address", json_object_new_string(argv[0]));
    else
        json_object_object_add(args, "user", json_object_new_string(argv[0]));
    return true;
}

/* session INDEX | USER | ADDRESS: read like terminate's, without --all. */
bool session_args(int argc, char **argv, json_object *args)
{
    if (argc != 1 || strcmp(argv[0], "--all") == 0) {
        fprintf(stderr, "vpnctl: session needs one of INDEX, USER or ADDRESS\n");
        return false;
    }
    return terminate_args(argc, argv, args);
}

static bool pools_args(int argc, char **argv, json_object *args)
{
    if (argc > 1) {
        fprintf(stderr, "vpnctl: pools takes at most a pool name\n");
        return false;
    }
    if (argc == 1)
        json_object_object_add(args, "name", json_object_new_string(argv[0]));
    return true;
}

static bool debug_args(int argc, char **argv, json_object *args)
{
    unsigned long level;
    if (argc != 2 || !parse_uint(argv[1], 255, &level)) {
        fprintf(stderr, "vpnctl: debug needs SUBSYSTEM (or all) and LEVEL (0..255)\n");
        return false;
    }
    json_object_object_add(args, "subsystem", json_object_new_string(argv[0]));
    json_object_object_add(args, "level", json_object_new_int((int)level));
    return true;
}

static void print_log_entry(json_object *e)
{
    const char *fields[] = { "peer", "tunnel_group", "user", "session" };
    const char *names[] = { "peer", "tunnel-group", "user", "session" };
    char ctx[512] = "";
    size_t pos = 0;
    for (size_t i = 0; i < 4; i++) {
        const char *v = get_str(e, fields[i]);
        if (v && pos < sizeof(ctx))
            pos += (size_t)snprintf(ctx + pos, sizeof(ctx) - pos, "%s%s=%s", pos ? " " : "[", names[i], v);
    }
    if (pos && pos < sizeof(ctx))
        snprintf(ctx + pos, sizeof(ctx) - pos, "] ");
    printf("%s %s %s: %s%s\n", get_str(e, "time") ?: "?", get_str(e, "priority") ?: "?",
           get_str(e, "subsystem") ?: "?", ctx, get_str(e, "message") ?: "");
}

static void print_log(json_object *r)
{
    json_object *list = get(r, "lines");
    size_t n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    for (size_t i = 0; i < n; i++)
        print_log_entry(json_object_array_get_idx(list, i));
}

/* log [--follow] [--lines N] [--peer ADDR] [--user NAME] [--session ID]
 *     [--tunnel-group NAME] [--priority LEVEL] */
static bool log_args(int argc, char **argv, json_object *args)
{
    static const struct { const char *option, *key; } filters[] = {
        { "--peer", "peer" }, { "--user", "user" }, { "--session", "session" },
        { "--tunnel-group", "tunnel_group" }, { "--priority", "priority" },
    };
    for (int i = 0; i < argc; i++) {
        unsigned long lines;
        bool done = false;
        if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0) {
            json_object_object_add(args, "follow", json_object_new_boolean(true));
            continue;
        }
        if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--lines") == 0) {
            if (i + 1 >= argc || !parse_uint(argv[i + 1], 100000, &lines)) {
                fprintf(stderr, "vpnctl: %s needs a number\n", argv[i]);
                return false;
            }
            json_object_object_add(args, "lines", json_object_new_int64((int64_t)lines));
            i++;
            continue;
        }
        for (size_t f = 0; f < sizeof(filters) / sizeof(filters[0]) && !done; f++) {
            if (strcmp(argv[i], filters[f].option) != 0)
                continue;
            if (i + 1 >= argc) {
                fprintf(stderr, "vpnctl: %s needs a value\n", argv[i]);
                return false;
            }
            json_object_object_add(args, filters[f].key, json_object_new_string(argv[++i]));
            done = true;
        }
        if (!done) {
            fprintf(stderr, "vpnctl: log: unknown argument '%s'\n", argv[i]);
            return false;
        }
    }
    return true;
}

/* To add a command: a line here (the daemon's name for it and how to print
 * its result) and its documentation in vpnctl(8). */
static const struct {
    const char *name;
    const char *synopsis;
    const char *summary;
    bool (*args)(int argc, char **argv, json_object *args);
    void (*print)(json_object *result);
    const char *details;        /* for `vpnctl COMMAND --help`: arguments and options */
    vpnctl_result_fn print_stream;  /* instead of print: reads the answer as it prints (vpnctl-stream.c) */
} commands[] = {
    { "status",    "",                     "show the daemon's state and counters",        no_args, print_status },
    { "reload",    "",                     "re-read the configuration file",              no_args, print_reload },
    { "sessions",  "",                     "list the connected clients and their traffic", no_args, NULL, NULL,
      vpnctl_print_sessions },
    { "terminate", "ID|USER|ADDRESS|--all", "end sessions (the clients get a DELETE)",     terminate_args,
      print_terminate,
      "  ID       a session index (a number, as `vpnctl sessions` shows)\n"
      "  USER     every session of that user\n"
      "  ADDRESS  the session holding that assigned IPv4 or IPv6 address\n"
      "  --all    every session\n"
      "Exit status 1 when no session matches (not for --all).\n" },
    { "pools",     "[NAME]",               "address pools: size, used, free, leases",     pools_args, print_pools,
      "  NAME  only that pool (exit status 1 when there is none)\n" },
    { "log",       "[-f] [-n N] [--peer|--user|--session|--tunnel-group|--priority X]",
      "recent log lines; -f follows new ones",        log_args, print_log,
      "  -f, --follow            after the recent lines, stream new ones until interrupted\n"
      "  -n, --lines N           how many recent lines (default 50, 0 = none)\n"
      "  --peer ADDR             lines about that peer (a prefix: 192.0.2.7 matches every port)\n"
      "  --user NAME             lines about that user\n"
      "  --session ID            lines about that IKE SA (e.g. ikev2#3)\n"
      "  --tunnel-group NAME     lines about that tunnel group\n"
      "  --priority LEVEL        that priority and more important (err, warning, notice, info, debug)\n" },
    { "debug",     "SUBSYSTEM|all LEVEL",  "set a debug level (0..255) until reload",     debug_args, print_debug,
      "  SUBSYSTEM  main, config, control, netlink, jobs, ike, ikev1, ikev2, auth, pool, radius, or all\n"
      "  LEVEL      0 (off) to 255 (everything); 127 shows the protocol in full\n" },
    { "session",   "ID|USER|ADDRESS",      "one session in detail: IKE SA, IPsec SAs, kernel counters",
      session_args, print_session,
      "  ID       a session index\n"
      "  USER     each of that user's sessions\n"
      "  ADDRESS  the session holding that assigned address\n" },
    { "sas",       "",                     "the IKE SAs: SPIs, identities, algorithms, lifetimes", no_args, NULL,
      NULL, print_sas_stream },
    { "ipsec",     "",                     "the IPsec SAs with the kernel's counters",    no_args, NULL, NULL,
      print_ipsec_stream },
    { "stats",     "",                     "counters since start: handshakes, failures, drops", no_args, print_stats },
    { "commands",  "",                     "list the commands the daemon lets you run",   no_args, print_help },
};

static const char *daemon_command_name(const char *name)
{
    /* "help" is vpnctl's own option; the daemon's list is "commands". */
    return strcmp(name, "commands") == 0 ? "help" : name;
}

/* --- one call: the response, then (log --follow) the events ---------------- */

struct call {
    const char *name;
    bool json;
    bool follow;
    void (*print)(json_object *result);
    vpnctl_result_fn print_stream;
    bool answered;
    int status;
};

static int on_response(struct call *call, json_object *response)
{
    json_object *ok = get(response, "ok");
    call->answered = true;
    if (!ok || !json_object_is_type(ok, json_type_boolean)) {
        fprintf(stderr, "vpnctl: malformed answer from vpnd (no \"ok\")\n");
        call->status = EXIT_PROTOCOL;
        return 1;
    }
    call->status = EXIT_OK;
    if (call->json)
        puts(json_object_to_json_string_ext(response, call->follow ? JSON_C_TO_STRING_PLAIN
                                                                   : JSON_C_TO_STRING_PRETTY |
                                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    if (!json_object_get_boolean(ok)) {
        const char *code = get_str(response, "code");
        if (!call->json)
            fprintf(stderr, "vpnctl: %s failed: %s\n", call->name, get_str(response, "error") ?: "unknown error");
        call->status = code && strcmp(code, "permission-denied") == 0 ? EXIT_DENIED : EXIT_COMMAND_FAILED;
        return 1;
    }
    if (!call->json)
        call->print(get(response, "result"));
    fflush(stdout);
    return call->follow ? 0 : 1;
}

static int on_object(json_object *obj, void *userdata)
{
    struct call *call = userdata;
    if (!call->answered)
        return on_response(call, obj);
    /* Events of a follower: one line each, as they come. */
    if (call->json)
        puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
    else if (strcmp(get_str(obj, "event") ?: "", "log") == 0)
        print_log_entry(get(obj, "entry"));
    else if (strcmp(get_str(obj, "event") ?: "", "missed") == 0)
        printf("-- %" PRIu64 " lines missed (vpnctl did not keep up) --\n", get_uint(obj, "lines"));
    fflush(stdout);
    return 0;
}

/* The answer read token by token (vpnctl-stream.c): for --json, and for
 * the commands whose answers grow with the number of sessions. What is
 * printed goes to memory first: nothing is printed from an answer that
 * turns out malformed. */
static int on_streamed_response(struct call *call, const char *line, size_t len)
{
    char *text = NULL;
    size_t text_len = 0;
    struct vpnctl_answer a;
    FILE *out = NULL;
    int r;
    if (call->json) {
        /* The whole line checked, then printed straight from it. */
        r = vpnctl_read_answer(line, len, &a, NULL, NULL);
    } else {
        out = open_memstream(&text, &text_len);
        if (!out)
            return -ENOMEM;
        r = vpnctl_read_answer(line, len, &a, call->print_stream, out);
        if (fclose(out) != 0 && r >= 0)
            r = -ENOMEM;
    }
    if (r < 0) {
        free(text);
        return r;
    }
    call->answered = true;
    if (!a.has_ok) {
        free(text);
        fprintf(stderr, "vpnctl: malformed answer from vpnd (no \"ok\")\n");
        call->status = EXIT_PROTOCOL;
        return 1;
    }
    call->status = EXIT_OK;
    if (call->json && call->follow) {
        fwrite(line, 1, len, stdout);
        putchar('\n');
    } else if (call->json) {
        vpnctl_print_pretty(line, len, stdout);     /* cannot fail: checked above */
    } else if (a.ok) {
        fwrite(text, 1, text_len, stdout);
    }
    free(text);
    if (!a.ok) {
        if (!call->json)
            fprintf(stderr, "vpnctl: %s failed: %s\n", call->name, a.has_error ? a.error : "unknown error");
        call->status = strcmp(a.code, "permission-denied") == 0 ? EXIT_DENIED : EXIT_COMMAND_FAILED;
        return 1;
    }
    fflush(stdout);
    return call->follow ? 0 : 1;
}

static int on_line(const char *line, size_t len, void *userdata)
{
    struct call *call = userdata;
    if (!call->answered && (call->json || call->print_stream))
        return on_streamed_response(call, line, len);
    if (call->answered && call->json) {
        /* Events of a follower, one line each as they came. */
        if (!vpnctl_valid_json(line, len))
            return -EBADMSG;
        fwrite(line, 1, len, stdout);
        putchar('\n');
        fflush(stdout);
        return 0;
    }
    json_object *obj = NULL;
    int r = jsonline_parse(line, len, &obj);
    if (r < 0)
        return r;
    r = on_object(obj, call);
    json_object_put(obj);
    return r;
}

/* --- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: vpnctl [OPTIONS] COMMAND [ARGS]\n"
            "\n"
            "Controls a running vpnd over its control socket.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        char head[128];
        snprintf(head, sizeof(head), "%s %s", commands[i].name, commands[i].synopsis);
        if (strlen(head) > 34)      /* a long synopsis gets a line of its own */
            fprintf(f, "  %s\n  %-34s %s\n", head, "", commands[i].summary);
        else
            fprintf(f, "  %-34s %s\n", head, commands[i].summary);
    }
    fprintf(f,
            "\n"
            "Options:\n"
            "  -s, --socket PATH    control socket (default %s)\n"
            "  -j, --json           print the daemon's JSON response as is\n"
            "  -t, --timeout SECS   how long to wait for an answer (default 30)\n"
            "  -V, --version        print the version and exit\n"
            "  -h, --help           print this help and exit\n"
            "\n"
            "Exit status: 0 success, 1 the command failed, 2 usage error,\n"
            "3 vpnd not reachable, 4 permission denied, 5 no valid answer.\n"
            "'vpnctl COMMAND --help' describes one command.\n",
            VPND_CONTROL_SOCKET);
}

/* `vpnctl COMMAND --help`: that command's usage, without asking vpnd. */
static bool wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static void command_usage(size_t i)
{
    printf("Usage: vpnctl [OPTIONS] %s%s%s\n\n%s.\n", commands[i].name, commands[i].synopsis[0] ? " " : "",
           commands[i].synopsis, commands[i].summary);
    if (commands[i].details)
        printf("\n%s", commands[i].details);
    printf("\nWith --json the daemon's response is printed as is. See vpnctl(8) for the fields.\n");
}

static int connect_error(const char *path, int r)
{
    fprintf(stderr, "vpnctl: cannot connect to %s: %s\n", path, strerror(-r));
    if (r == -EACCES || r == -EPERM) {
        fprintf(stderr, "vpnctl: the control socket is for root and the control read-group\n");
        return EXIT_DENIED;
    }
    if (r == -ENOENT || r == -ECONNREFUSED)
        fprintf(stderr, "vpnctl: is vpnd running?\n");
    return EXIT_UNREACHABLE;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "socket",  required_argument, NULL, 's' },
        { "json",    no_argument,       NULL, 'j' },
        { "timeout", required_argument, NULL, 't' },
        { "version", no_argument,       NULL, 'V' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *socket_path = VPND_CONTROL_SOCKET;
    bool json = false;
    long timeout_s = 30;
    int c;

    /* A table of 10,000 sessions is 30,000 lines: written in large blocks,
     * on a terminal too (each answer and event is flushed when printed). */
    static char out_buffer[256 * 1024];
    setvbuf(stdout, out_buffer, _IOFBF, sizeof(out_buffer));

    while ((c = getopt_long(argc, argv, "+s:jt:Vh", options, NULL)) != -1) {
        switch (c) {
        case 's':
            socket_path = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 't': {
            char *end;
            errno = 0;
            timeout_s = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || timeout_s < 1 || timeout_s > 3600) {
                fprintf(stderr, "vpnctl: --timeout takes 1..3600 seconds\n");
                return EXIT_USAGE;
            }
            break;
        }
        case 'V':
            printf("vpnctl %s\n", VPND_VERSION);
            return EXIT_OK;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "vpnctl: no command given\n");
        usage(stderr);
        return EXIT_USAGE;
    }

    const char *name = argv[optind];
    size_t idx;
    for (idx = 0; idx < sizeof(commands) / sizeof(commands[0]); idx++)
        if (strcmp(commands[idx].name, name) == 0)
            break;
    if (idx == sizeof(commands) / sizeof(commands[0])) {
        fprintf(stderr, "vpnctl: unknown command '%s'\n", name);
        usage(stderr);
        return EXIT_USAGE;
    }

    if (wants_help(argc - optind - 1, argv + optind + 1)) {
        command_usage(idx);
        return EXIT_OK;
    }

    json_object *request = json_object_new_object();
    json_object *args = json_object_new_object();
    if (!request || !args) {
        json_object_put(request);
        json_object_put(args);
        fprintf(stderr, "vpnctl: out of memory\n");
        return EXIT_COMMAND_FAILED;
    }
    json_object_object_add(request, "command", json_object_new_string(daemon_command_name(name)));
    json_object_object_add(request, "args", args);
    if (!commands[idx].args(argc - optind - 1, argv + optind + 1, args)) {
        json_object_put(request);
        return EXIT_USAGE;
    }

    int fd;
    int r = control_client_connect(socket_path, &fd);
    if (r < 0) {
        json_object_put(request);
        return connect_error(socket_path, r);
    }
    struct call call = { .name = name, .json = json, .print = commands[idx].print,
                         .print_stream = commands[idx].print_stream,
                         .follow = get(args, "follow") && json_object_get_boolean(get(args, "follow")) };
    r = control_client_stream_lines(fd, request, (int)(timeout_s * 1000), on_line, &call);
    json_object_put(request);
    close(fd);
    if (call.answered && call.follow && call.status == EXIT_OK) {
        /* Following ends when vpnd goes away (stop, restart). */
        fprintf(stderr, "vpnctl: vpnd closed the connection\n");
        return EXIT_OK;
    }
    if (call.answered)
        return call.status;
    if (r == -ETIMEDOUT)
        fprintf(stderr, "vpnctl: no answer from vpnd within %ld s\n", timeout_s);
    else
        fprintf(stderr, "vpnctl: no valid answer from vpnd: %s\n", r < 0 ? strerror(-r) : "?");
    return EXIT_PROTOCOL;
}
