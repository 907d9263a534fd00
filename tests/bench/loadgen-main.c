/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vpnd-loadgen: options, the launcher that starts clients at the requested
 * rate and concurrency, the modes, and the end of the run.
 *
 *   hold   start N clients (all at once with --rate 0: a reconnect storm),
 *          keep the tunnels for --hold seconds answering the responder's
 *          liveness checks (SIGUSR1 ends the hold early), then delete them;
 *   churn  N slots, each connecting, keeping its tunnel --session seconds,
 *          deleting it and connecting again, for --duration seconds;
 *   flood  spoofed IKE_SA_INIT requests from the --source addresses at
 *          --rate per second for --duration seconds, nothing kept
 *          (loadgen-flood.c).
 */
#include "loadgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "crypto-ikev2.h"

uint64_t lg_now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void usage(FILE *f)
{
    fputs("Usage: vpnd-loadgen --server ADDR[:PORT] --source ADDR[-ADDR][,...] --psk KEY [options]\n"
          "  -n, --clients N           clients (hold: sessions; churn: concurrent slots) [100]\n"
          "      --mode hold|churn|flood                                              [hold]\n"
          "      --rate R              client starts per second, 0 = all at once (storm) [0];\n"
          "                            flood: requests per second [1000]\n"
          "      --concurrency C       handshakes in flight at most, 0 = no limit     [0]\n"
          "      --hold SECONDS        hold: keep the tunnels this long (SIGUSR1: end now) [0]\n"
          "      --duration SECONDS    churn/flood: run this long                     [30]\n"
          "      --session SECONDS     churn: how long each tunnel lives              [5]\n"
          "      --eap-mschapv2 PASS   EAP-MSCHAPv2 as the identity with this password;\n"
          "                            the responder still proves itself with the PSK\n"
          "      --id FORMAT           IDi, printf format with %u (the client number) [u%u@example.com]\n"
          "      --ike PROPOSAL        [aes128gcm16-prfsha256-x25519]\n"
          "      --esp PROPOSAL        [aes128gcm16]\n"
          "      --retransmit-timeout S, --retransmit-base F, --retransmit-tries N  [4, 1.8, 5]\n"
          "      --setup-timeout S     hold: stop waiting for handshakes after S seconds: the\n"
          "                            unfinished ones fail, the hold begins     [0 = never]\n"
          "      --no-delete           hold: leave without deleting the IKE SAs\n"
          "      --json PATH           write the results as JSON\n"
          "      --ready-file PATH     created once every client is established or failed\n"
          "  -v, --verbose             say why each client failed\n", f);
}

/* "a.b.c.d", "a.b.c.d-a.b.c.e" (a range), comma-separated. */
static int parse_sources(struct lg_options *o, const char *arg)
{
    char *copy = strdup(arg), *save = NULL;
    if (!copy)
        return -ENOMEM;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(t, '-');
        struct in_addr first, last;
        if (dash)
            *dash = '\0';
        if (inet_pton(AF_INET, t, &first) != 1 || (dash && inet_pton(AF_INET, dash + 1, &last) != 1)) {
            free(copy);
            return -EINVAL;
        }
        if (!dash)
            last = first;
        uint32_t a = ntohl(first.s_addr), b = ntohl(last.s_addr);
        if (b < a || b - a > 65535) {
            free(copy);
            return -EINVAL;
        }
        for (uint32_t x = a; x <= b; x++) {
            struct in_addr *v = realloc(o->sources, (o->n_sources + 1) * sizeof(*v));
            if (!v) {
                free(copy);
                return -ENOMEM;
            }
            o->sources = v;
            o->sources[o->n_sources++].s_addr = htonl(x);
        }
    }
    free(copy);
    return o->n_sources ? 0 : -EINVAL;
}

static int parse_server(struct lg_options *o, const char *arg)
{
    char host[64];
    const char *colon = strchr(arg, ':');
    size_t hl = colon ? (size_t)(colon - arg) : strlen(arg);
    if (hl >= sizeof(host))
        return -EINVAL;
    memcpy(host, arg, hl);
    host[hl] = '\0';
    o->server.sin_family = AF_INET;
    o->server.sin_port = htons(colon ? (uint16_t)atoi(colon + 1) : 500);
    return inet_pton(AF_INET, host, &o->server.sin_addr) == 1 && o->server.sin_port ? 0 : -EINVAL;
}

/* ---- the launcher ---------------------------------------------------------------- */

static void launch(struct lg *lg);
static void finish_if_done(struct lg *lg);

static bool can_start(const struct lg *lg)
{
    return !lg->ending && !lg->setup_expired && (lg->opt.concurrency == 0 || lg->in_flight < lg->opt.concurrency);
}

static void start_client(struct lg *lg, struct lg_client *c)
{
    if (lg->stats.first_start_usec == 0)
        lg->stats.first_start_usec = lg_now_usec();
    lg->in_flight++;
    if (lg->in_flight > lg->stats.max_in_flight)
        lg->stats.max_in_flight = lg->in_flight;
    lg->live++;         /* a client with an open socket */
    int r = lg_client_start(c);
    if (r < 0) {
        lg->live--;
        lg->in_flight--;
        char why[96];
        snprintf(why, sizeof(why), "cannot start: %s", strerror(-r));
        lg_stats_reason(&lg->stats, why);
        lg->stats.failed++;
        lg->settled++;
    }
}

/* Starts the clients that are due: all (storm) or as many as the rate
 * allows by now, within the concurrency limit. */
static void launch(struct lg *lg)
{
    uint64_t now = lg_now_usec();
    unsigned due = lg->opt.n;
    if (lg->opt.rate > 0 && lg->stats.first_start_usec)
        due = 1 + (unsigned)((double)(now - lg->stats.first_start_usec) / 1e6 * lg->opt.rate);
    if (due > lg->opt.n)
        due = lg->opt.n;
    while (lg->next_to_start < due && can_start(lg))
        start_client(lg, &lg->clients[lg->next_to_start++]);
    if (lg->next_to_start < lg->opt.n && lg->opt.rate > 0 && lg->launcher) {
        double period = 1.0 / lg->opt.rate;
        if (period < 0.001)
            period = 0.001;
        (void)sd_event_source_set_time(lg->launcher, now + (uint64_t)(period * 1e6));
        (void)sd_event_source_set_enabled(lg->launcher, SD_EVENT_ONESHOT);
    }
    if (lg->opt.mode == LG_MODE_HOLD && lg->settled == lg->opt.n && !lg->setup_done)
        lg_client_settled(lg, NULL);
}

static int launcher_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
    launch(userdata);
    return 0;
}

/* ---- the end ------------------------------------------------------------------------ */

static void end_run(struct lg *lg)
{
    if (lg->ending)
        return;
    lg->ending = true;
    lg->stats.end_usec = lg_now_usec();
    for (unsigned i = 0; i < lg->opt.n; i++) {
        struct lg_client *c = &lg->clients[i];
        if (c->state == LG_ESTABLISHED && !lg->opt.no_delete) {
            lg_client_disconnect(c);
        } else if (c->state == LG_INIT_SENT || c->state == LG_AUTH_SENT) {
            /* Still in its handshake when the run ends. */
            lg_stats_reason(&lg->stats, "unfinished at the end of the run");
            lg->stats.failed++;
            lg_client_close(c);
            lg->live--;
        } else if (c->state == LG_ESTABLISHED) {
            lg_client_close(c);
            lg->live--;
        }
    }
    finish_if_done(lg);
}

static void finish_if_done(struct lg *lg)
{
    if (lg->ending && lg->live == 0)
        (void)sd_event_exit(lg->event, 0);
}

/* --setup-timeout in hold mode: the clients still in their handshake (or
 * not started yet) count as failed, and the hold begins with the tunnels
 * there are, so that a responder that cannot cope is measured as it is
 * within a bounded time. */
static void setup_expired(struct lg *lg)
{
    static const char why[] = "unfinished when the setup limit ran out";
    lg->setup_expired = true;
    unsigned not_started = lg->opt.n - lg->next_to_start;
    for (unsigned i = 0; i < not_started; i++)
        lg_stats_reason(&lg->stats, "not started when the setup limit ran out");
    lg->stats.failed += not_started;
    lg->settled += not_started;
    lg->next_to_start = lg->opt.n;
    for (unsigned i = 0; i < lg->opt.n && !lg->setup_done; i++)
        lg_client_give_up(&lg->clients[i], why);
    if (!lg->setup_done)
        lg_client_settled(lg, NULL);
}

static int phase_timer_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct lg *lg = userdata;
    if (lg->opt.mode == LG_MODE_HOLD && !lg->setup_done)
        setup_expired(lg);
    else
        end_run(lg);
    return 0;
}

static int signal_cb(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
    struct lg *lg = userdata;
    if (lg->opt.mode == LG_MODE_HOLD && !lg->setup_done && si->ssi_signo == SIGUSR1)
        return 0;       /* the hold has not begun */
    end_run(lg);
    return 0;
}

static void arm_phase_timer(struct lg *lg, double seconds)
{
    uint64_t at = lg_now_usec() + (uint64_t)(seconds * 1e6);
    if (!lg->phase_timer)
        (void)sd_event_add_time(lg->event, &lg->phase_timer, CLOCK_MONOTONIC, at, 1000, phase_timer_cb, lg);
    else {
        (void)sd_event_source_set_time(lg->phase_timer, at);
        (void)sd_event_source_set_enabled(lg->phase_timer, SD_EVENT_ONESHOT);
    }
}

void lg_client_settled(struct lg *lg, struct lg_client *c)
{
    if (c) {
        lg->in_flight--;
        lg->settled++;
        if (c->failed)
            lg->live--;
        if (lg->opt.mode == LG_MODE_CHURN && c->state == LG_ESTABLISHED && !lg->ending) {
            /* The session's end: the client's timer (loadgen-client.c). */
            (void)sd_event_source_set_time(c->timer, lg_now_usec() + (uint64_t)(lg->opt.session_seconds * 1e6));
            (void)sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        }
        if (lg->opt.mode == LG_MODE_CHURN && c->failed && !lg->ending)
            start_client(lg, c);
    }
    if (lg->opt.mode == LG_MODE_HOLD && lg->settled == lg->opt.n && !lg->setup_done) {
        lg->setup_done = true;
        if (lg->opt.ready_file) {
            FILE *f = fopen(lg->opt.ready_file, "w");
            if (f) {
                fprintf(f, "%u %u\n", lg->stats.established, lg->stats.failed);
                fclose(f);
            }
        }
        fprintf(stderr, "vpnd-loadgen: setup done: %u established, %u failed; holding %.0f s\n",
                lg->stats.established, lg->stats.failed, lg->opt.hold_seconds);
        arm_phase_timer(lg, lg->opt.hold_seconds);
    }
    if (lg->ending)
        finish_if_done(lg);
    else
        launch(lg);
}

void lg_client_gone(struct lg *lg, struct lg_client *c)
{
    lg->live--;
    if (lg->opt.mode == LG_MODE_CHURN && !lg->ending) {
        c->generation++;
        start_client(lg, c);
        return;
    }
    finish_if_done(lg);
}

/* ---- main ------------------------------------------------------------------------------ */

enum {
    OPT_SERVER = 256, OPT_SOURCE, OPT_MODE, OPT_RATE, OPT_CONCURRENCY, OPT_HOLD, OPT_DURATION, OPT_SESSION,
    OPT_PSK, OPT_ID, OPT_IKE, OPT_ESP, OPT_RTX_TIMEOUT, OPT_RTX_BASE, OPT_RTX_TRIES, OPT_SETUP_TIMEOUT,
    OPT_NO_DELETE, OPT_JSON, OPT_READY, OPT_EAP,
};

static const struct option long_options[] = {
    { "server", required_argument, NULL, OPT_SERVER },
    { "source", required_argument, NULL, OPT_SOURCE },
    { "clients", required_argument, NULL, 'n' },
    { "mode", required_argument, NULL, OPT_MODE },
    { "rate", required_argument, NULL, OPT_RATE },
    { "concurrency", required_argument, NULL, OPT_CONCURRENCY },
    { "hold", required_argument, NULL, OPT_HOLD },
    { "duration", required_argument, NULL, OPT_DURATION },
    { "session", required_argument, NULL, OPT_SESSION },
    { "psk", required_argument, NULL, OPT_PSK },
    { "eap-mschapv2", required_argument, NULL, OPT_EAP },
    { "id", required_argument, NULL, OPT_ID },
    { "ike", required_argument, NULL, OPT_IKE },
    { "esp", required_argument, NULL, OPT_ESP },
    { "retransmit-timeout", required_argument, NULL, OPT_RTX_TIMEOUT },
    { "retransmit-base", required_argument, NULL, OPT_RTX_BASE },
    { "retransmit-tries", required_argument, NULL, OPT_RTX_TRIES },
    { "setup-timeout", required_argument, NULL, OPT_SETUP_TIMEOUT },
    { "no-delete", no_argument, NULL, OPT_NO_DELETE },
    { "json", required_argument, NULL, OPT_JSON },
    { "ready-file", required_argument, NULL, OPT_READY },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
};

static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno || end == s || *end || *v < 0 ? -EINVAL : 0;
}

/* The id format must hold exactly one %u and no other conversion. */
static bool id_format_ok(const char *f)
{
    unsigned conversions = 0;
    for (const char *p = f; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        if (p[1] != 'u')
            return false;
        conversions++;
    }
    return conversions == 1;
}

int main(int argc, char **argv)
{
    static struct lg lg;
    struct lg_options *o = &lg.opt;
    const char *ike = "aes128gcm16-prfsha256-x25519", *esp = "aes128gcm16";
    bool have_server = false;
    int c;

    o->n = 100;
    o->mode = LG_MODE_HOLD;
    o->duration_seconds = 30;
    o->session_seconds = 5;
    o->id_format = "u%u@example.com";
    o->retransmit_timeout = 4.0;
    o->retransmit_base = 1.8;
    o->retransmit_tries = 5;
    while ((c = getopt_long(argc, argv, "n:vh", long_options, NULL)) != -1) {
        double d;
        int bad = 0;
        switch (c) {
        case OPT_SERVER: bad = parse_server(o, optarg); have_server = bad == 0; break;
        case OPT_SOURCE: bad = parse_sources(o, optarg); break;
        case 'n': bad = parse_double(optarg, &d); o->n = (unsigned)d; bad |= d < 1 || d > 1000000; break;
        case OPT_MODE:
            if (strcmp(optarg, "hold") == 0)
                o->mode = LG_MODE_HOLD;
            else if (strcmp(optarg, "churn") == 0)
                o->mode = LG_MODE_CHURN;
            else if (strcmp(optarg, "flood") == 0)
                o->mode = LG_MODE_FLOOD;
            else
                bad = 1;
            break;
        case OPT_RATE: bad = parse_double(optarg, &o->rate); break;
        case OPT_CONCURRENCY: bad = parse_double(optarg, &d); o->concurrency = (unsigned)d; break;
        case OPT_HOLD: bad = parse_double(optarg, &o->hold_seconds); break;
        case OPT_DURATION: bad = parse_double(optarg, &o->duration_seconds); break;
        case OPT_SESSION: bad = parse_double(optarg, &o->session_seconds); break;
        case OPT_PSK: o->psk = optarg; break;
        case OPT_EAP: o->eap_password = optarg; break;
        case OPT_ID: o->id_format = optarg; bad = !id_format_ok(optarg); break;
        case OPT_IKE: ike = optarg; break;
        case OPT_ESP: esp = optarg; break;
        case OPT_RTX_TIMEOUT: bad = parse_double(optarg, &o->retransmit_timeout); break;
        case OPT_RTX_BASE: bad = parse_double(optarg, &o->retransmit_base); bad |= o->retransmit_base < 1; break;
        case OPT_RTX_TRIES: bad = parse_double(optarg, &d); o->retransmit_tries = (unsigned)d; break;
        case OPT_SETUP_TIMEOUT: bad = parse_double(optarg, &o->setup_timeout); break;
        case OPT_NO_DELETE: o->no_delete = true; break;
        case OPT_JSON: o->json_path = optarg; break;
        case OPT_READY: o->ready_file = optarg; break;
        case 'v': o->verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (bad) {
            fprintf(stderr, "vpnd-loadgen: bad value for option %s: '%s'\n", argv[optind - 1], optarg);
            return 2;
        }
    }
    if (optind != argc || !have_server || !o->n_sources || (o->mode != LG_MODE_FLOOD && !o->psk)) {
        usage(stderr);
        return 2;
    }
    char err[256];
    if (lg_suite_parse(&o->suite, ike, esp, err, sizeof(err)) < 0) {
        fprintf(stderr, "vpnd-loadgen: %s\n", err);
        return 2;
    }

    /* One socket per client. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)o->n + 64) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < (rlim_t)o->n + 64)
            fprintf(stderr, "vpnd-loadgen: only %llu file descriptors for %u clients\n",
                    (unsigned long long)rl.rlim_cur, o->n);
    }

    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGINT);
    sigaddset(&ss, SIGTERM);
    sigaddset(&ss, SIGUSR1);
    sigprocmask(SIG_BLOCK, &ss, NULL);
    int r = sd_event_default(&lg.event);
    if (r >= 0)
        r = sd_event_add_signal(lg.event, NULL, SIGINT, signal_cb, &lg);
    if (r >= 0)
        r = sd_event_add_signal(lg.event, NULL, SIGTERM, signal_cb, &lg);
    if (r >= 0)
        r = sd_event_add_signal(lg.event, NULL, SIGUSR1, signal_cb, &lg);
    if (r < 0) {
        fprintf(stderr, "vpnd-loadgen: event loop: %s\n", strerror(-r));
        return 1;
    }

    if (o->mode == LG_MODE_FLOOD) {
        r = lg_flood_run(&lg);
        o->n = 0;
    } else {
        lg.clients = calloc(o->n, sizeof(*lg.clients));
        if (!lg.clients)
            return 1;
        for (unsigned i = 0; i < o->n; i++) {
            lg.clients[i].lg = &lg;
            lg.clients[i].index = i;
            lg.clients[i].fd = -1;
        }
        r = sd_event_add_time(lg.event, &lg.launcher, CLOCK_MONOTONIC, 0, 1000, launcher_cb, &lg);
        if (r >= 0)
            r = sd_event_source_set_enabled(lg.launcher, SD_EVENT_OFF);
        if (r < 0)
            return 1;
        if (o->mode == LG_MODE_CHURN)
            arm_phase_timer(&lg, o->duration_seconds);
        else if (o->setup_timeout > 0)
            arm_phase_timer(&lg, o->setup_timeout);
        launch(&lg);
        r = sd_event_loop(lg.event);
        if (!lg.stats.end_usec)
            lg.stats.end_usec = lg_now_usec();
    }
    if (r < 0) {
        fprintf(stderr, "vpnd-loadgen: %s\n", strerror(-r));
        return 1;
    }
    lg_report_table(&lg, stdout);
    int rc = 0;
    if (o->json_path && lg_report_json(&lg, o->json_path) < 0) {
        fprintf(stderr, "vpnd-loadgen: cannot write %s\n", o->json_path);
        rc = 1;
    }
    for (unsigned i = 0; i < o->n; i++) {
        lg_client_close(&lg.clients[i]);
        sd_event_source_disable_unref(lg.clients[i].timer);
    }
    free(lg.clients);
    for (int i = 0; i < LG_PHASE_MAX; i++)
        free(lg.stats.phase[i].v);
    free(o->sources);
    sd_event_source_disable_unref(lg.launcher);
    sd_event_source_disable_unref(lg.phase_timer);
    sd_event_unref(lg.event);
    return rc;
}
