/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The operator's views at scale, without a kernel (issue 7: `vpnctl
 * sessions` under 100 ms with 10,000 sessions, table and JSON): N
 * synthetic sessions in vpnd's session registry, each with a CHILD SA
 * whose two kernel SAs are in a synthetic XFRM dump, and vpnd's own code
 * timed step by step, as a control request runs it:
 *
 *   snapshot   the dump parsed and indexed (xfrm-snapshot.c; the kernel's
 *              side of the dump is not in it)
 *   build      the `sessions` / `ipsec` result objects (control-*.c),
 *              counters looked up in the snapshot
 *   serialise  the response line as the control socket queues it (jsonline.c)
 *   free       the objects dropped
 *   walk       the line read token by token, as vpnctl reads `sessions` and
 *              any answer with --json (json-reader.c)
 *   parse      the line parsed into json-c objects, as vpnctl reads the
 *              other answers (`ipsec`) and as the checks below read it
 *
 * With --vpnctl PATH the response is also served on a Unix socket to the
 * real vpnctl (`sessions`, `--json sessions`, `ipsec`), output to
 * /dev/null, and its CPU time taken, process start included (and its page
 * faults, which cost dearly under emulation).
 *
 * With --check (meson test 'bench-views', suite bench) the figures are
 * not the point: every session's counters and SAs in the result must be
 * the synthetic kernel's (read with json-c, not with vpnd's own reader),
 * vpnctl must print every session in its table, what `vpnctl --json
 * sessions` prints must parse and hold the same sessions, and `vpnctl
 * ipsec` must print every SA.
 *
 *     bench-views [-n N] [--reps R] [--vpnctl PATH] [--check]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "child-sa.h"
#include "child-sa-describe.h"
#include "control-json.h"
#include "json-reader.h"
#include "jsonline.h"
#include "session.h"
#include "synthetic-sa-dump.h"
#include "xfrm-snapshot.h"

static int failures;
#define EXPECT(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "bench-views: " __VA_ARGS__); \
                                              fputc('\n', stderr); } } while (0)

/* The protocol's side of a synthetic session: one CHILD SA. */
struct owner {
    struct child_sa child;
    struct session_activity activity;
    uint64_t spi_i, spi_r;
};

static uint64_t now_usec(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

/* The steps are timed in CPU time: the build machine is shared, and a
 * step's wall time there says more about the neighbours than the step. */
static uint64_t cpu_usec(void)
{
    return now_usec(CLOCK_PROCESS_CPUTIME_ID);
}

static double ms_since(uint64_t start)
{
    return (double)(cpu_usec() - start) / 1000.0;
}

/* As the IKEv2 and IKEv1 sessions do it (ikev*-responder.c read_counters). */
static int owner_counters(struct session *s, const struct xfrm_snapshot *snap, struct session_counters *c)
{
    struct owner *o = s->owner;
    if (!snap)
        return -EOPNOTSUPP;     /* no kernel to ask here */
    uint64_t now = now_usec(CLOCK_MONOTONIC);
    int r = child_sa_session_counters(NULL, snap, &o->child, NULL, c);
    session_activity_note(&o->activity, r, c->bytes_in, now);
    c->last_activity_usec = o->activity.last_usec;
    return r;
}

static void owner_terminate(struct session *s, const char *reason)
{
    (void)s, (void)reason;
}

static void owner_sas(struct session *s, struct session_sas *out)
{
    struct owner *o = s->owner;
    memset(out, 0, sizeof(*out));
    out->ike_spi_i = o->spi_i;
    out->ike_spi_r = o->spi_r;
    child_sa_session_sas(&o->child, NULL, out);
}

/* The CHILD SA as vpnd describes it; the IKE SA with the members an IKEv2
 * one has (ikev2-describe.c), so the answer has its real size. */
static int owner_describe(struct session *s, const struct xfrm_snapshot *snap, json_object *out)
{
    struct owner *o = s->owner;
    if (!snap)
        return -EOPNOTSUPP;
    json_object *ike = json_object_new_object(), *children = json_object_new_array();
    char text[64];
    if (!ike || !children) {
        json_object_put(ike);
        json_object_put(children);
        return -ENOMEM;
    }
    snprintf(text, sizeof(text), "%016" PRIx64, o->spi_i);
    control_add_string(ike, "spi_i", text);
    snprintf(text, sizeof(text), "%016" PRIx64, o->spi_r);
    control_add_string(ike, "spi_r", text);
    control_add_string(ike, "version", "IKEv2");
    control_add_string(ike, "role", "responder");
    control_add_string(ike, "state", "established");
    control_add_string(ike, "local", "203.0.113.1:500");
    control_add_string(ike, "remote", "198.18.0.1:500");
    control_add_string(ike, "local_id", "gw.example.com");
    control_add_string(ike, "remote_id", s->user);
    control_add_string(ike, "auth", "PSK");
    control_add_string(ike, "encryption", "AES-GCM-16-128");
    control_add_string(ike, "prf", "PRF-HMAC-SHA2-256");
    control_add_string(ike, "dh_group", "Curve25519");
    control_add_uint(ike, "established_seconds", 60);
    control_add_uint(ike, "lifetime_seconds", 86400);
    control_add_uint(ike, "rekey_in_seconds", 80000);
    json_object_object_add(ike, "natt", json_object_new_boolean(0));
    json_object_object_add(out, "ike_sa", ike);
    json_object_object_add(out, "child_sas", children);
    return child_sa_describe(NULL, snap, &o->child, "AES-GCM-16-128", "current", children);
}

static const struct session_ops owner_ops = { owner_counters, owner_terminate, owner_sas, owner_describe };

static void client_address(size_t i, struct in_addr *a)
{
    a->s_addr = htonl(0xc6120000u + (uint32_t)(i % 60000) + 1);     /* 198.18.0.0/15 */
}

/* Session i's traffic, which the views must show. */
static uint64_t bytes_in_of(size_t i) { return 1000 * (uint64_t)i + 7; }
static uint64_t bytes_out_of(size_t i) { return 3000 * (uint64_t)i + 11; }

static uint8_t *build_dump(size_t n, size_t *ret_len)
{
    size_t cap = (n * 2 + 1) * 512, len = 0;
    uint8_t *buf = aligned_alloc(8, cap);
    if (!buf)
        return NULL;
    uint64_t now = (uint64_t)time(NULL);
    for (size_t i = 0; i < n; i++) {
        struct synthetic_sa in = {
            .family = AF_INET, .spi = 0xc0000000u + (uint32_t)i, .reqid = XFRM_VPND_REQID_BASE + (uint32_t)i,
            .bytes = bytes_in_of(i), .packets = i, .add_time = now - 60, .use_time = now - 1,
            .hard_seconds = 28800, .soft_seconds = 25920,
        };
        struct synthetic_sa out = in;
        inet_pton(AF_INET, "203.0.113.1", &in.dst.a4);
        client_address(i, (struct in_addr *)&in.src.a4);
        out.src = in.dst;
        out.dst = in.src;
        out.spi = 0x01000000u + (uint32_t)i;
        out.bytes = bytes_out_of(i);
        out.packets = 2 * i;
        int r = synthetic_sa_message(buf + len, cap - len, &in, 1);
        if (r > 0) {
            len += (size_t)r;
            r = synthetic_sa_message(buf + len, cap - len, &out, 1);
        }
        if (r < 0) {
            free(buf);
            return NULL;
        }
        len += (size_t)r;
    }
    int r = synthetic_done_message(buf + len, cap - len, 1);
    if (r < 0) {
        free(buf);
        return NULL;
    }
    *ret_len = len + (size_t)r;
    return buf;
}

static int add_sessions(struct session_registry *reg, struct owner *owners, size_t n)
{
    uint64_t now_rt = now_usec(CLOCK_REALTIME), now_mono = now_usec(CLOCK_MONOTONIC);
    for (size_t i = 0; i < n; i++) {
        struct owner *o = &owners[i];
        struct session tmpl = {
            .protocol = SESSION_IKEV2,
            .address = { .family = AF_INET },
            .login_realtime = now_rt - 60000000ULL,
            .login_monotonic = now_mono > 60000000ULL ? now_mono - 60000000ULL : 0,
            .ops = &owner_ops,
            .owner = o,
        };
        tmpl.address.in.s_addr = htonl(0x0a080000u + (uint32_t)i + 1);     /* 10.8.0.0/13 */
        tmpl.reqid = XFRM_VPND_REQID_BASE + (uint32_t)i;
        tmpl.remote.in.sin_family = AF_INET;
        client_address(i, &tmpl.remote.in.sin_addr);
        tmpl.remote.in.sin_port = htons((uint16_t)(10000 + i % 50000));
        char user[48];
        snprintf(user, sizeof(user), "u%zu@example.com", i + 1);
        tmpl.user = user;
        tmpl.tunnel_group = "rw";
        tmpl.group_policy = "bench-policy";
        tmpl.encryption = "ESP AES-GCM-16-128, IKE AES-GCM-16-128/PRF-HMAC-SHA2-256/Curve25519";
        snprintf(tmpl.acct_session_id, sizeof(tmpl.acct_session_id), "660e129535dd1-%08zx", i + 1);

        o->spi_i = 0x1000000000000000ULL + i;
        o->spi_r = 0x2000000000000000ULL + i;
        o->child.reqid = tmpl.reqid;
        o->child.spi_in = 0xc0000000u + (uint32_t)i;
        o->child.spi_out = 0x01000000u + (uint32_t)i;
        o->child.local.in.sin_family = AF_INET;
        inet_pton(AF_INET, "203.0.113.1", &o->child.local.in.sin_addr);
        o->child.local.in.sin_port = htons(500);
        o->child.remote = tmpl.remote;
        o->child.inner = tmpl.address;
        o->child.networks[0].addr.family = AF_INET;
        o->child.n_networks = 1;
        o->child.installed = true;
        session_activity_start(&o->activity, tmpl.login_monotonic);

        struct session *s;
        int r = session_add(reg, &tmpl, &s);
        if (r < 0)
            return r;
    }
    return 0;
}

/* What a control response carries on the socket: {"ok":true,"result":...}. */
static json_object *wrap(json_object *result)
{
    json_object *resp = json_object_new_object();
    json_object_object_add(resp, "ok", json_object_new_boolean(1));
    json_object_object_add(resp, "result", result);
    return resp;
}

/* The line back through vpnctl's reader, from a file as from the socket. */
static json_object *read_back(const char *line, size_t len)
{
    int fd = memfd_create("response", MFD_CLOEXEC);
    if (fd < 0 || write(fd, line, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct jsonline_reader r;
    json_object *o = NULL;
    jsonline_reader_init(&r, 256 * 1024 * 1024);
    while (jsonline_reader_next(&r, &o) == 0 && jsonline_reader_fill(&r, fd) > 0)
        ;
    jsonline_reader_done(&r);
    close(fd);
    return o;
}

struct timing {
    double snapshot, build, serialise, free_, walk, read;
    size_t bytes;
};

static void keep_best(struct timing *best, const struct timing *t, int rep)
{
    if (rep == 0 || t->snapshot < best->snapshot) best->snapshot = t->snapshot;
    if (rep == 0 || t->build < best->build) best->build = t->build;
    if (rep == 0 || t->serialise < best->serialise) best->serialise = t->serialise;
    if (rep == 0 || t->free_ < best->free_) best->free_ = t->free_;
    if (rep == 0 || t->walk < best->walk) best->walk = t->walk;
    if (rep == 0 || t->read < best->read) best->read = t->read;
    best->bytes = t->bytes;
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void check_sessions(json_object *resp, size_t n)
{
    json_object *list = get(get(resp, "result"), "sessions");
    EXPECT(list && json_object_array_length(list) == n, "sessions: %zu listed, %zu expected",
           list ? json_object_array_length(list) : 0, n);
    for (size_t i = 0; list && i < json_object_array_length(list) && i < n; i++) {
        json_object *s = json_object_array_get_idx(list, i);
        EXPECT(json_object_get_uint64(get(s, "index")) == i + 1, "session %zu: wrong index", i);
        EXPECT(json_object_get_uint64(get(s, "bytes_in")) == bytes_in_of(i) &&
               json_object_get_uint64(get(s, "bytes_out")) == bytes_out_of(i) &&
               json_object_get_uint64(get(s, "packets_in")) == i &&
               json_object_get_uint64(get(s, "packets_out")) == 2 * i,
               "session %zu: counters are not the kernel's", i + 1);
        char want[64];
        snprintf(want, sizeof(want), "in 0x%08x out 0x%08x", 0xc0000000u + (unsigned)i, 0x01000000u + (unsigned)i);
        json_object *children = get(s, "child_sas");
        EXPECT(children && json_object_array_length(children) == 1 &&
               strcmp(json_object_get_string(json_object_array_get_idx(children, 0)), want) == 0,
               "session %zu: child_sas wrong", i + 1);
    }
}

static void check_ipsec(json_object *resp, size_t n)
{
    json_object *list = get(get(resp, "result"), "ipsec_sas");
    EXPECT(list && json_object_array_length(list) == n, "ipsec: %zu listed, %zu expected",
           list ? json_object_array_length(list) : 0, n);
    for (size_t i = 0; list && i < json_object_array_length(list) && i < n; i++) {
        json_object *c = json_object_array_get_idx(list, i);
        json_object *in = get(c, "inbound"), *out = get(c, "outbound");
        EXPECT(json_object_get_uint64(get(c, "session")) == i + 1, "ipsec %zu: wrong session", i);
        EXPECT(!get(in, "kernel_error") && json_object_get_uint64(get(in, "bytes")) == bytes_in_of(i) &&
               json_object_get_uint64(get(out, "bytes")) == bytes_out_of(i) &&
               json_object_get_uint64(get(in, "replay_window")) == 32 &&
               json_object_get_uint64(get(get(in, "lifetime"), "hard_seconds")) == 28800,
               "ipsec %zu: kernel numbers are not the kernel's", i + 1);
    }
}

/* One view: build, serialise, free, read back; the response line kept for vpnctl. */
static int run_view(struct session_registry *reg, const uint8_t *dump, size_t dump_len, bool ipsec, bool check,
                    size_t n, struct timing *t, char **line, size_t *line_len)
{
    struct xfrm_snapshot *snap = NULL;
    uint64_t s = cpu_usec();
    int r = xfrm_snapshot_parse(dump, dump_len, &snap);
    t->snapshot = ms_since(s);
    if (r < 0)
        return r;
    json_object *result = NULL;
    s = cpu_usec();
    r = ipsec ? control_sa_list(reg, snap, true, &result) : control_sessions_list(NULL, reg, snap, &result);
    t->build = ms_since(s);
    xfrm_snapshot_free(snap);
    if (r < 0)
        return r;
    json_object *resp = wrap(result);

    struct jsonline_writer w;
    jsonline_writer_init(&w, 4 * 1024 * 1024);
    s = cpu_usec();
    r = jsonline_writer_queue(&w, resp);
    t->serialise = ms_since(s);
    if (r < 0) {
        json_object_put(resp);
        jsonline_writer_done(&w);
        return r;
    }
    s = cpu_usec();
    json_object_put(resp);
    t->free_ = ms_since(s);
    t->bytes = w.len;

    s = cpu_usec();
    struct json_reader reader;
    enum json_token token;
    json_reader_init(&reader, w.buf, w.len - 1);        /* without the newline */
    while ((token = json_reader_next(&reader)) > JSON_TOKEN_END)
        ;
    t->walk = ms_since(s);
    if (token != JSON_TOKEN_END) {
        jsonline_writer_done(&w);
        return -EBADMSG;
    }

    s = cpu_usec();
    json_object *back = read_back(w.buf, w.len);
    t->read = ms_since(s);
    if (!back) {
        jsonline_writer_done(&w);
        return -EBADMSG;
    }
    if (check) {
        if (ipsec)
            check_ipsec(back, n);
        else
            check_sessions(back, n);
    }
    json_object_put(back);
    *line = w.buf;          /* the writer's buffer, handed over */
    *line_len = w.len;
    return 0;
}

/* Serves one request on `listener` with the line for its command. */
static void serve_one(int listener, const char *sessions, size_t sessions_len, const char *ipsec, size_t ipsec_len)
{
    int fd = accept(listener, NULL, NULL);
    if (fd < 0)
        return;
    char req[4096];
    size_t got = 0;
    while (got < sizeof(req) - 1 && !memchr(req, '\n', got)) {
        ssize_t k = read(fd, req + got, sizeof(req) - 1 - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    req[got] = '\0';
    bool want_ipsec = strstr(req, "\"ipsec\"") != NULL;
    const char *p = want_ipsec ? ipsec : sessions;
    size_t left = want_ipsec ? ipsec_len : sessions_len;
    while (left > 0) {
        ssize_t k = write(fd, p, left);
        if (k <= 0)
            break;
        p += k;
        left -= (size_t)k;
    }
    close(fd);
}

/* vpnctl ARGS... against the served answers: its CPU ms (user + system,
 * process start included), or < 0. Its stdout goes to `out` (a file to
 * count lines in) or /dev/null. */
static double time_vpnctl(const char *vpnctl, const char *socket_path, int listener, const char *sessions,
                          size_t sessions_len, const char *ipsec, size_t ipsec_len, const char *out,
                          const char *const *args, long *faults)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (o < 0 || dup2(o, STDOUT_FILENO) < 0)
            _exit(126);
        char *argv[8] = { (char *)vpnctl, (char *)"--socket", (char *)socket_path };
        size_t k = 3;
        for (size_t i = 0; args[i] && k < 7; i++)
            argv[k++] = (char *)args[i];
        argv[k] = NULL;
        execv(vpnctl, argv);
        _exit(127);
    }
    serve_one(listener, sessions, sessions_len, ipsec, ipsec_len);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    *faults = ru.ru_minflt + ru.ru_majflt;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

/* What `vpnctl --json sessions` printed, parsed with json-c: the same
 * sessions as the daemon's answer. */
static void check_printed_json(const char *path, size_t n)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;
    if (f) {
        fseek(f, 0, SEEK_END);
        len = (size_t)ftell(f);
        rewind(f);
        text = malloc(len + 1);
        if (text && fread(text, 1, len, f) == len)
            text[len] = '\0';
        else
            len = 0;
        fclose(f);
    }
    json_object *printed = len ? json_tokener_parse(text) : NULL;
    EXPECT(printed, "vpnctl --json sessions printed no JSON");
    if (printed)
        check_sessions(printed, n);
    json_object_put(printed);
    free(text);
}

static size_t count_lines(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    size_t n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "sessions", required_argument, NULL, 'n' },
        { "reps", required_argument, NULL, 'r' },
        { "vpnctl", required_argument, NULL, 'c' },
        { "check", no_argument, NULL, 'k' },
        { NULL, 0, NULL, 0 },
    };
    size_t n = 10000;
    int reps = 5, c;
    const char *vpnctl = NULL;
    bool check = false;
    while ((c = getopt_long(argc, argv, "n:r:", options, NULL)) != -1) {
        switch (c) {
        case 'n': n = strtoul(optarg, NULL, 10); break;
        case 'r': reps = atoi(optarg); break;
        case 'c': vpnctl = optarg; break;
        case 'k': check = true; break;
        default:
            fprintf(stderr, "usage: bench-views [-n N] [--reps R] [--vpnctl PATH] [--check]\n");
            return 2;
        }
    }
    if (n == 0 || n > 500000 || reps < 1) {
        fprintf(stderr, "bench-views: -n 1..500000, --reps >= 1\n");
        return 2;
    }

    size_t dump_len;
    uint8_t *dump = build_dump(n, &dump_len);
    struct owner *owners = calloc(n, sizeof(*owners));
    struct session_registry *reg = NULL;
    if (!dump || !owners || session_registry_new(&reg) < 0 || add_sessions(reg, owners, n) < 0) {
        fprintf(stderr, "bench-views: cannot set up %zu sessions\n", n);
        return 1;
    }

    struct timing best[2] = { 0 };
    char *line[2] = { NULL, NULL };
    size_t line_len[2] = { 0, 0 };
    for (int view = 0; view < 2; view++)
        for (int rep = 0; rep < reps; rep++) {
            struct timing t;
            free(line[view]);
            line[view] = NULL;
            int r = run_view(reg, dump, dump_len, view == 1, check && rep == 0, n, &t, &line[view], &line_len[view]);
            if (r < 0) {
                fprintf(stderr, "bench-views: %s failed: %s\n", view ? "ipsec" : "sessions", strerror(-r));
                return 1;
            }
            keep_best(&best[view], &t, rep);
        }

    printf("bench-views: %zu sessions, %zu kernel SAs (dump %zu kB), CPU ms, best of %d\n", n, 2 * n,
           dump_len / 1024, reps);
    printf("%-28s %10s %10s\n", "", "sessions", "ipsec");
    printf("%-28s %10.1f %10.1f\n", "snapshot (parse+index)", best[0].snapshot, best[1].snapshot);
    printf("%-28s %10.1f %10.1f\n", "build result", best[0].build, best[1].build);
    printf("%-28s %10.1f %10.1f\n", "serialise", best[0].serialise, best[1].serialise);
    printf("%-28s %10.1f %10.1f\n", "free", best[0].free_, best[1].free_);
    printf("%-28s %10.1f %10.1f\n", "vpnd total",
           best[0].snapshot + best[0].build + best[0].serialise + best[0].free_,
           best[1].snapshot + best[1].build + best[1].serialise + best[1].free_);
    printf("%-28s %10zu %10zu\n", "response kB", best[0].bytes / 1024, best[1].bytes / 1024);
    printf("%-28s %10.1f %10.1f\n", "token walk (json-reader)", best[0].walk, best[1].walk);
    printf("%-28s %10.1f %10.1f\n", "json-c parse", best[0].read, best[1].read);

    if (vpnctl) {
        char dir[] = "/tmp/bench-views-XXXXXX", path[64], out[80];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (!mkdtemp(dir) || listener < 0) {
            fprintf(stderr, "bench-views: no socket\n");
            return 1;
        }
        snprintf(path, sizeof(path), "%s/control", dir);
        snprintf(out, sizeof(out), "%s/out", dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (bind(listener, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(listener, 4) < 0) {
            fprintf(stderr, "bench-views: cannot listen on %s: %s\n", path, strerror(errno));
            return 1;
        }
        static const char *const table[] = { "sessions", NULL }, *const json[] = { "--json", "sessions", NULL },
                                 *const ipsec[] = { "ipsec", NULL };
        const char *const *runs[] = { table, json, ipsec };
        const char *names[] = { "vpnctl sessions (process)", "vpnctl --json sessions", "vpnctl ipsec" };
        for (size_t k = 0; k < 3; k++) {
            double best_ms = -1;
            long faults = 0, best_faults = 0;
            for (int rep = 0; rep < reps; rep++) {
                double ms = time_vpnctl(vpnctl, path, listener, line[0], line_len[0], line[1], line_len[1],
                                        check && rep == 0 ? out : NULL, runs[k], &faults);
                EXPECT(ms >= 0, "%s failed", names[k]);
                if (ms >= 0 && (best_ms < 0 || ms < best_ms))
                    best_ms = ms, best_faults = faults;
                if (check && rep == 0 && k == 0)
                    EXPECT(count_lines(out, "      encryption:") == n, "vpnctl sessions printed %zu of %zu sessions",
                           count_lines(out, "      encryption:"), n);
                if (check && rep == 0 && k == 1)
                    check_printed_json(out, n);
                if (check && rep == 0 && k == 2) {
                    char footer[64];
                    snprintf(footer, sizeof(footer), "%zu IPsec SAs\n", n);
                    EXPECT(count_lines(out, "        kernel:") == 0 && count_lines(out, footer) == 1,
                           "vpnctl ipsec did not print %zu SAs without kernel errors", n);
                }
            }
            /* Page faults too: each costs dearly under emulation (the test bed). */
            printf("%-28s %10.1f   (%ld page faults)\n", names[k], best_ms, best_faults);
        }
        close(listener);
        unlink(out);
        unlink(path);
        rmdir(dir);
    }

    free(line[0]);
    free(line[1]);
    session_registry_free(reg);
    free(owners);
    free(dump);
    if (failures)
        fprintf(stderr, "bench-views: %d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
