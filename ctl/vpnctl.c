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

#include "control-client.h"
#include "vpnd-build.h"

enum {
    EXIT_OK = 0,
    EXIT_COMMAND_FAILED = 1,    /* the daemon ran the command and it failed */
    EXIT_USAGE = 2,
    EXIT_UNREACHABLE = 3,       /* no daemon at the socket */
    EXIT_DENIED = 4,            /* not allowed: socket permissions or the daemon refused */
    EXIT_PROTOCOL = 5,          /* no valid answer (timeout, malformed response) */
};

#define LABEL_WIDTH 20

/* --- reading the response ------------------------------------------------ */

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

static const char *get_str(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : NULL;
}

static uint64_t get_uint(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v ? json_object_get_uint64(v) : 0;
}

static void field(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void field(const char *label, const char *fmt, ...)
{
    va_list ap;
    printf("%-*s ", LABEL_WIDTH, label);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static void format_duration(uint64_t s, char *buf, size_t len)
{
    uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
    if (d)
        snprintf(buf, len, "%" PRIu64 "d %02" PRIu64 "h %02" PRIu64 "m %02" PRIu64 "s", d, h, m, sec);
    else if (h)
        snprintf(buf, len, "%" PRIu64 "h %02" PRIu64 "m %02" PRIu64 "s", h, m, sec);
    else if (m)
        snprintf(buf, len, "%" PRIu64 "m %02" PRIu64 "s", m, sec);
    else
        snprintf(buf, len, "%" PRIu64 "s", sec);
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
        field("  sockets:", "%" PRIu64 " received, %" PRIu64 " sent, dropped %" PRIu64 " runts, %" PRIu64
              " stray ESP, %" PRIu64 " keepalives",
              get_uint(sk, "received"), get_uint(sk, "sent"), get_uint(sk, "dropped_malformed"),
              get_uint(sk, "dropped_esp"), get_uint(sk, "dropped_keepalive"));
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
}

static void format_bytes(uint64_t b, char *buf, size_t len)
{
    if (b >= 10ULL * 1024 * 1024 * 1024)
        snprintf(buf, len, "%" PRIu64 "G", b >> 30);
    else if (b >= 10ULL * 1024 * 1024)
        snprintf(buf, len, "%" PRIu64 "M", b >> 20);
    else if (b >= 10ULL * 1024)
        snprintf(buf, len, "%" PRIu64 "K", b >> 10);
    else
        snprintf(buf, len, "%" PRIu64, b);
}

static void print_sessions(json_object *r)
{
    json_object *list = get(r, "sessions");
    size_t n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    if (n == 0) {
        printf("no sessions\n");
        return;
    }
    printf("%-5s %-24s %-16s %-15s %-21s %-12s %-20s %-10s %9s %9s %9s %9s\n", "INDEX", "USER", "TUNNEL-GROUP",
           "ADDRESS", "PUBLIC", "PROTOCOL", "LOGIN", "DURATION", "BYTES-IN", "BYTES-OUT", "PKTS-IN", "PKTS-OUT");
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(list, i);
        char dur[64], bin[24] = "-", bout[24] = "-", pin[24] = "-", pout[24] = "-", proto[32];
        format_duration(get_uint(s, "duration_seconds"), dur, sizeof(dur));
        if (get_str(s, "bytes_in")) {
            format_bytes(get_uint(s, "bytes_in"), bin, sizeof(bin));
            format_bytes(get_uint(s, "bytes_out"), bout, sizeof(bout));
            snprintf(pin, sizeof(pin), "%" PRIu64, get_uint(s, "packets_in"));
            snprintf(pout, sizeof(pout), "%" PRIu64, get_uint(s, "packets_out"));
        }
        json_object *natt = get(s, "natt");
        snprintf(proto, sizeof(proto), "%s%s", get_str(s, "protocol") ?: "?",
                 natt && json_object_get_boolean(natt) ? " NAT-T" : "");
        printf("%-5" PRIu64 " %-24s %-16s %-15s %-21s %-12s %-20s %-10s %9s %9s %9s %9s\n", get_uint(s, "index"),
               get_str(s, "user") ?: "?", get_str(s, "tunnel_group") ?: "?", get_str(s, "address") ?: "?",
               get_str(s, "public_address") ?: "?", proto, get_str(s, "login") ?: "?", dur, bin, bout, pin, pout);
        printf("      encryption: %s\n", get_str(s, "encryption") ?: "?");
    }
    printf("%zu session%s\n", n, n == 1 ? "" : "s");
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

/* To add a command: a line here (the daemon's name for it and how to print
 * its result) and its documentation in vpnctl(8). */
static const struct {
    const char *name;
    const char *summary;
    void (*print)(json_object *result);
} commands[] = {
    { "status",   "show the daemon's state and counters",        print_status },
    { "reload",   "re-read the configuration file",              print_reload },
    { "sessions", "list the connected clients and their traffic", print_sessions },
    { "commands", "list the commands the daemon lets you run",   print_help },
};

static const char *daemon_command_name(const char *name)
{
    /* "help" is vpnctl's own option; the daemon's list is "commands". */
    return strcmp(name, "commands") == 0 ? "help" : name;
}

/* --- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: vpnctl [OPTIONS] COMMAND\n"
            "\n"
            "Controls a running vpnd over its control socket.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-20s %s\n", commands[i].name, commands[i].summary);
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
            "3 vpnd not reachable, 4 permission denied, 5 no valid answer.\n",
            VPND_CONTROL_SOCKET);
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

    while ((c = getopt_long(argc, argv, "s:jt:Vh", options, NULL)) != -1) {
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
    if (optind != argc - 1) {
        fprintf(stderr, optind >= argc ? "vpnctl: no command given\n" : "vpnctl: too many arguments\n");
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

    int fd;
    int r = control_client_connect(socket_path, &fd);
    if (r < 0)
        return connect_error(socket_path, r);

    json_object *request = json_object_new_object();
    json_object *response = NULL;
    if (!request) {
        close(fd);
        fprintf(stderr, "vpnctl: out of memory\n");
        return EXIT_COMMAND_FAILED;
    }
    json_object_object_add(request, "command", json_object_new_string(daemon_command_name(name)));
    r = control_client_call(fd, request, (int)(timeout_s * 1000), &response);
    json_object_put(request);
    close(fd);
    if (r < 0) {
        if (r == -ETIMEDOUT)
            fprintf(stderr, "vpnctl: no answer from vpnd within %ld s\n", timeout_s);
        else
            fprintf(stderr, "vpnctl: no valid answer from vpnd: %s\n", strerror(-r));
        return EXIT_PROTOCOL;
    }

    json_object *ok = get(response, "ok");
    if (!ok || !json_object_is_type(ok, json_type_boolean)) {
        fprintf(stderr, "vpnctl: malformed answer from vpnd (no \"ok\")\n");
        json_object_put(response);
        return EXIT_PROTOCOL;
    }

    int status = EXIT_OK;
    if (json) {
        puts(json_object_to_json_string_ext(response, JSON_C_TO_STRING_PRETTY |
                                            JSON_C_TO_STRING_NOSLASHESCAPE));
    }
    if (!json_object_get_boolean(ok)) {
        const char *code = get_str(response, "code");
        if (!json)
            fprintf(stderr, "vpnctl: %s failed: %s\n", name, get_str(response, "error") ?: "unknown error");
        status = code && strcmp(code, "permission-denied") == 0 ? EXIT_DENIED : EXIT_COMMAND_FAILED;
    } else if (!json) {
        commands[idx].print(get(response, "result"));
    }
    json_object_put(response);
    return status;
}
