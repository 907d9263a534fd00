/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vpnd-kernel-install: the kernel side of N remote-access sessions alone,
 * through vpnd's own code (daemon/child-sa.c: the SA pair, the out/in/fwd
 * policies, the host route), timed the way vpnd times it
 * (daemon/kernel-timing.c). No IKE: the times are the kernel's and the
 * netlink exchanges', without a storm's scheduling noise, so that the
 * N-th install can be compared with the first and one kernel setting with
 * another (tests/bench/kernel-install-run, README "Kernel install time").
 *
 *   vpnd-kernel-install -n N [--allocspi] [--hthresh remote-access|keep]
 *                       [--network PREFIX] [--route-dev DEV] [--dump R]
 *
 * --dump R: then R times the one XFRM_MSG_GETSA dump that each `vpnctl
 * sessions`, `sas` and `ipsec` costs vpnd (xfrm-snapshot.c), its 2N SAs
 * parsed and indexed: wall and CPU time (the kernel's side of the dump runs
 * in our recvmsg calls, so it is in the system time) and the XFRM system
 * calls, best and median.
 *
 * Run as root in a network namespace of its own: it installs and leaves
 * what it installed (the namespace goes with it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "child-sa.h"
#include "crypto.h"
#include "kernel-timing.h"
#include "route.h"
#include "xfrm.h"
#include "xfrm-snapshot.h"

#define SOURCES 32              /* the benchmark's client addresses */

static struct kernel_timing timing;
static uint32_t *each_usec;     /* every install, for the curve by tenths */

static void on_installed(const struct kernel_install_cost *cost, void *userdata)
{
    each_usec[timing.installs] = cost->usec > UINT32_MAX ? UINT32_MAX : (uint32_t)cost->usec;
    kernel_timing_record(&timing, cost);
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(stderr, "usage: vpnd-kernel-install -n N [--allocspi] [--hthresh remote-access|keep] "
                    "[--network PREFIX] [--route-dev DEV] [--dump R]\n");
    exit(2);
}

static double ms_of(const struct timeval *tv)
{
    return (double)tv->tv_sec * 1000.0 + (double)tv->tv_usec / 1000.0;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* R snapshots of the kernel's SAs, as a view takes them; 0 or -errno. */
static int time_dumps(struct xfrm_handle *x, unsigned long reps, size_t expected)
{
    double *wall = calloc(reps, sizeof(double)), *user = calloc(reps, sizeof(double)),
           *sys = calloc(reps, sizeof(double)), *calls = calloc(reps, sizeof(double));
    int r = 0;
    if (!wall || !user || !sys || !calls)
        r = -ENOMEM;
    for (unsigned long i = 0; r == 0 && i < reps; i++) {
        struct timespec t0, t1;
        struct rusage u0, u1;
        struct xfrm_io_counters io0, io1;
        struct xfrm_snapshot *snap = NULL;
        struct xfrm_status st;
        xfrm_get_io_counters(x, &io0);
        getrusage(RUSAGE_SELF, &u0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = xfrm_snapshot_take(x, &snap, &st);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        getrusage(RUSAGE_SELF, &u1);
        xfrm_get_io_counters(x, &io1);
        if (r < 0)
            break;
        if (xfrm_snapshot_size(snap) != expected) {
            fprintf(stderr, "dump: %zu SAs, not %zu\n", xfrm_snapshot_size(snap), expected);
            r = -EBADMSG;
        }
        xfrm_snapshot_free(snap);
        wall[i] = (double)(t1.tv_sec - t0.tv_sec) * 1000.0 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        user[i] = ms_of(&u1.ru_utime) - ms_of(&u0.ru_utime);
        sys[i] = ms_of(&u1.ru_stime) - ms_of(&u0.ru_stime);
        calls[i] = (double)(io1.syscalls - io0.syscalls);
    }
    if (r == 0) {
        double *cols[] = { wall, user, sys, calls };
        const char *names[] = { "wall ms", "user ms", "system ms", "XFRM system calls" };
        printf("dump of %zu SAs, %lu times:", expected, reps);
        for (size_t c = 0; c < 4; c++) {
            qsort(cols[c], reps, sizeof(double), compare_double);
            printf("%s %s best %.1f median %.1f", c ? ";" : "", names[c], cols[c][0], cols[c][(reps - 1) / 2]);
        }
        printf("\n");
    }
    free(wall);
    free(user);
    free(sys);
    free(calls);
    return r;
}

static void set_address(union ike_sockaddr *a, const char *text, uint16_t port)
{
    memset(a, 0, sizeof(*a));
    a->in.sin_family = AF_INET;
    a->in.sin_port = htons(port);
    if (inet_pton(AF_INET, text, &a->in.sin_addr) != 1)
        abort();
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "allocspi", no_argument, NULL, 'a' },
        { "hthresh", required_argument, NULL, 't' },
        { "network", required_argument, NULL, 'w' },
        { "route-dev", required_argument, NULL, 'r' },
        { "dump", required_argument, NULL, 'd' },
        { NULL, 0, NULL, 0 },
    };
    unsigned long n = 0, dumps = 0;
    bool allocspi = false, hash = true;
    const char *network = "0.0.0.0/0", *route_dev = NULL;
    int o;

    while ((o = getopt_long(argc, argv, "n:", options, NULL)) != -1) {
        switch (o) {
        case 'n': n = strtoul(optarg, NULL, 10); break;
        case 'a': allocspi = true; break;
        case 't':
            if (strcmp(optarg, "keep") && strcmp(optarg, "remote-access"))
                usage();
            hash = strcmp(optarg, "keep") != 0;
            break;
        case 'w': network = optarg; break;
        case 'r': route_dev = optarg; break;
        case 'd': dumps = strtoul(optarg, NULL, 10); break;
        default: usage();
        }
    }
    if (n == 0 || n > 60000)
        usage();

    struct config_prefix net = { .addr.family = AF_INET };
    char text[INET_ADDRSTRLEN];
    unsigned len;
    if (sscanf(network, "%15[0-9.]/%u", text, &len) != 2 || len > 32 || inet_pton(AF_INET, text, &net.addr.in) != 1) {
        fprintf(stderr, "--network: an IPv4 prefix, not %s\n", network);
        return 2;
    }
    net.prefix_len = len;
    struct xfrm_handle *x = NULL;
    struct route_handle *routes = NULL;
    struct xfrm_status st = { 0 };
    int ifindex = 0, r;
    if ((r = xfrm_open(&x)) < 0 || (route_dev && (r = route_open(&routes)) < 0)) {
        fprintf(stderr, "netlink: %s\n", strerror(-r));
        return 1;
    }
    if (route_dev && (ifindex = (int)if_nametoindex(route_dev)) == 0) {
        fprintf(stderr, "%s: %s\n", route_dev, strerror(errno));
        return 1;
    }
    if (hash && (r = xfrm_spd_set_hthresh(x, &xfrm_spd_hthresh_remote_access, &st)) < 0) {
        fprintf(stderr, "hthresh: %s %s\n", strerror(-r), st.message);
        return 1;
    }
    each_usec = calloc(n, sizeof(*each_usec));
    if (!each_usec)
        return 1;
    child_sa_set_install_observer(on_installed, NULL);

    /* AES-GCM-16-128 as the benchmark negotiates; the keys do not matter. */
    struct crypto_child_keys keys = { 0 };
    keys.i_to_r.encr = keys.r_to_i.encr = crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 128);
    if (!keys.i_to_r.encr)
        return 1;
    keys.i_to_r.enc_key_len = keys.r_to_i.enc_key_len = 20;
    (void)crypto_random(keys.i_to_r.enc_key, 20);
    (void)crypto_random(keys.r_to_i.enc_key, 20);
    struct child_sa_params params = { .keys = &keys, .lifetime_seconds = 28800 };

    for (unsigned long i = 0; i < n; i++) {
        struct child_sa c;
        char remote[INET_ADDRSTRLEN], err[300];
        memset(&c, 0, sizeof(c));
        c.reqid = XFRM_VPND_REQID_BASE + 1 + (uint32_t)i;
        set_address(&c.local, "203.0.113.1", 500);
        snprintf(remote, sizeof(remote), "203.0.113.%lu", 100 + i % SOURCES);
        set_address(&c.remote, remote, (uint16_t)(10000 + i / SOURCES));
        c.spi_out = 0x10000000u + (uint32_t)i;
        c.inner.family = AF_INET;
        c.inner.in.s_addr = htonl(0x0a080000u + 1 + (uint32_t)i);   /* 10.8.0.0/16, as the bench's pool */
        c.networks[0] = net;
        c.n_networks = 1;
        c.route_ifindex = ifindex;
        if (allocspi && child_sa_allocate_spi(x, &c, err, sizeof(err)) < 0) {
            fprintf(stderr, "install %lu: %s\n", i + 1, err);
            return 1;
        }
        if (child_sa_install(x, routes, &c, &params, err, sizeof(err)) < 0) {
            fprintf(stderr, "install %lu: %s\n", i + 1, err);
            return 1;
        }
    }
    crypto_child_keys_wipe(&keys);

    struct kernel_timing_summary s;
    kernel_timing_summarize(&timing, &s);
    printf("%lu installs (%s, network %s, %s, route %s): first %llu us, last %llu us\n", n,
           allocspi ? "ALLOCSPI" : "SPI chosen", network, hash ? "policies hashed" : "kernel's hash thresholds",
           route_dev ? route_dev : "none", (unsigned long long)s.first_usec, (unsigned long long)s.last_usec);
    printf("mean first 100 %llu us, last 100 %llu us, ratio %.2f; last %zu: p50 %llu us, p99 %llu us\n",
           (unsigned long long)s.first_mean_usec, (unsigned long long)s.last_mean_usec,
           s.first_mean_usec ? (double)s.last_mean_usec / (double)s.first_mean_usec : 0.0, s.window,
           (unsigned long long)s.p50_usec, (unsigned long long)s.p99_usec);
    printf("per install: %.2f round trips, %.2f messages, %.2f XFRM system calls\n", s.round_trips_x100 / 100.0,
           s.messages_x100 / 100.0, s.syscalls_x100 / 100.0);
    /* Medians: a few installs delayed by the (emulated, shared) CPU do
     * not move them; the first install loads the kernel's ESP modules. */
    printf("median by tenth (us):");
    for (unsigned t = 0; t < 10; t++) {
        unsigned long from = n * t / 10, to = n * (t + 1) / 10;
        if (to == from)
            continue;
        qsort(each_usec + from, to - from, sizeof(*each_usec), compare_u32);
        printf(" %u", each_usec[from + (to - from - 1) / 2]);
    }
    printf("\n");
    if (dumps && (r = time_dumps(x, dumps, 2 * n)) < 0) {
        fprintf(stderr, "dump: %s\n", strerror(-r));
        return 1;
    }
    free(each_usec);
    route_close(routes);
    xfrm_close(x);
    return 0;
}
