/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The library against the running kernel, in a private network namespace
 * created at start (so the host's own SPD/SAD are never touched). Needs root
 * (CAP_SYS_ADMIN for the namespace); without it the whole program is skipped.
 * Works on kernels without ESP: everything here is policies, larval SAs from
 * ALLOCSPI and ACQUIRE, events from policy lifetimes, and routes; an ESP SA
 * is only required to give either success or the kernel's error text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "testing.h"
#include "route.h"
#include "xfrm.h"
#include "xfrm-monitor.h"

static struct xfrm_handle *h;

static xfrm_address_t addr(int family, const char *s)
{
    xfrm_address_t a = {0};
    if (inet_pton(family, s, &a) != 1)
        abort();
    return a;
}

/* out: any -> client/32, the shape a concentrator installs per client. */
static struct xfrm_sp client_out(const char *client, uint32_t reqid)
{
    return (struct xfrm_sp){
        .sel = { .family = AF_INET, .dst = addr(AF_INET, client), .dst_prefixlen = 32 },
        .dir = XFRM_POLICY_OUT,
        .action = XFRM_POLICY_ALLOW,
        .priority = 1000,
        .n_tmpl = 1,
        .tmpl = { { .family = AF_INET, .src = addr(AF_INET, "192.0.2.1"),
                    .dst = addr(AF_INET, "198.51.100.1"), .reqid = reqid } },
    };
}

static int count_sp(const struct xfrm_sp *sp, void *userdata)
{
    (void)sp;
    (*(unsigned *)userdata)++;
    return 0;
}

static unsigned policies_in_kernel(void)
{
    unsigned n = 0;
    CHECK_INT_EQ(xfrm_sp_dump(h, count_sp, &n, NULL), 0);
    return n;
}

static void flush_everything(void)
{
    unsigned sas, sps;
    CHECK(xfrm_cleanup_owned(h, &sas, &sps, NULL) >= 0);
}

static void policy_add_get_delete(void)
{
    struct xfrm_sp out = client_out("10.8.0.2", XFRM_VPND_REQID_BASE + 1);
    struct xfrm_sp in6 = {
        .sel = { .family = AF_INET6, .src = addr(AF_INET6, "2001:db8:c::2"), .src_prefixlen = 128,
                 .dst = addr(AF_INET6, "2001:db8:1::"), .dst_prefixlen = 48 },
        .dir = XFRM_POLICY_IN, .action = XFRM_POLICY_ALLOW, .priority = 7,
        .mark = { .v = 5, .m = 0xff },
        .n_tmpl = 1,
        .tmpl = { { .family = AF_INET6, .src = addr(AF_INET6, "2001:db8::2"),
                    .dst = addr(AF_INET6, "2001:db8::1"), .reqid = XFRM_VPND_REQID_BASE + 2 } },
    };
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &out, false, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &in6, false, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_queued(h), 2);
    CHECK_INT_EQ(xfrm_flush(h), 0);
    CHECK_INT_EQ(xfrm_queued(h), 0);

    struct xfrm_sp got;
    struct xfrm_status st;
    struct xfrm_sp_id id = { .sel = in6.sel, .dir = XFRM_POLICY_IN, .mark = in6.mark };
    CHECK_INT_EQ(xfrm_sp_get(h, &id, &got, &st), 0);
    CHECK(got.index != 0);
    CHECK_INT_EQ(got.priority, 7);
    CHECK_INT_EQ(got.sel.src_prefixlen, 128);
    CHECK_INT_EQ(got.sel.dst_prefixlen, 48);
    CHECK_INT_EQ(got.mark.v, 5);
    CHECK_INT_EQ(got.n_tmpl, 1);
    CHECK_INT_EQ(got.tmpl[0].reqid, XFRM_VPND_REQID_BASE + 2);
    CHECK(memcmp(&got.tmpl[0].dst, &in6.tmpl[0].dst, sizeof(xfrm_address_t)) == 0);

    /* Delete by index (with the mark the kernel requires), then it is gone. */
    struct xfrm_sp_id by_index = { .dir = XFRM_POLICY_IN, .index = got.index, .mark = in6.mark };
    CHECK_INT_EQ(xfrm_queue_sp_delete(h, &by_index, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_flush(h), 0);
    CHECK_INT_EQ(xfrm_sp_get(h, &id, &got, &st), -ENOENT);
    CHECK_INT_EQ(st.error, -ENOENT);

    /* And by selector. */
    struct xfrm_sp_id by_sel = { .sel = out.sel, .dir = XFRM_POLICY_OUT };
    CHECK_INT_EQ(xfrm_queue_sp_delete(h, &by_sel, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_flush(h), 0);
    CHECK_INT_EQ(policies_in_kernel(), 0);
}

struct outcome {
    int calls;
    int error;
    char message[XFRM_ERRMSG_MAX];
};

static void record(const struct xfrm_status *st, void *userdata)
{
    struct outcome *o = userdata;
    o->calls++;
    o->error = st->error;
    memcpy(o->message, st->message, sizeof(o->message));
}

static void batch_reports_each_request(void)
{
    struct xfrm_sp a = client_out("10.8.0.3", XFRM_VPND_REQID_BASE + 3);
    struct xfrm_sp b = client_out("10.8.0.4", XFRM_VPND_REQID_BASE + 4);
    struct xfrm_sp bad = client_out("10.8.0.5", XFRM_VPND_REQID_BASE + 5);
    bad.index = 8;              /* index 8 encodes dir "in", not "out" */
    struct outcome o[4] = {0};

    CHECK_INT_EQ(xfrm_queue_sp_add(h, &a, false, record, &o[0]), 0);
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &a, false, record, &o[1]), 0);   /* duplicate */
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &bad, false, record, &o[2]), 0);
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &b, false, record, &o[3]), 0);
    CHECK_INT_EQ(xfrm_flush(h), 2);
    for (int k = 0; k < 4; k++)
        CHECK_INT_EQ(o[k].calls, 1);
    CHECK_INT_EQ(o[0].error, 0);
    CHECK_INT_EQ(o[1].error, -EEXIST);
    CHECK_INT_EQ(o[2].error, -EINVAL);
    /* The kernel's own words, as `ip xfrm` prints them. */
    CHECK_STR_EQ(o[2].message, "Policy index doesn't match direction");
    CHECK_INT_EQ(o[3].error, 0);
    CHECK_INT_EQ(policies_in_kernel(), 2);
    flush_everything();
    CHECK_INT_EQ(policies_in_kernel(), 0);
}

/* A batch that succeeds costs one sendmsg and one recvmsg: only its last
 * message asks for an ack (failures are answered anyway, see above). */
static void batch_reads_one_ack(void)
{
    struct xfrm_io_counters before, after;
    struct outcome o[3] = {0};
    xfrm_get_io_counters(h, &before);
    for (int k = 0; k < 3; k++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "10.8.1.%d", k + 1);
        struct xfrm_sp sp = client_out(ip, XFRM_VPND_REQID_BASE + 20 + (uint32_t)k);
        CHECK_INT_EQ(xfrm_queue_sp_add(h, &sp, false, record, &o[k]), 0);
    }
    CHECK_INT_EQ(xfrm_flush(h), 0);
    xfrm_get_io_counters(h, &after);
    for (int k = 0; k < 3; k++) {
        CHECK_INT_EQ(o[k].calls, 1);
        CHECK_INT_EQ(o[k].error, 0);
    }
    CHECK_INT_EQ(after.round_trips - before.round_trips, 1);
    CHECK_INT_EQ(after.messages - before.messages, 3);
    CHECK_INT_EQ(after.syscalls - before.syscalls, 2);
    CHECK_INT_EQ(policies_in_kernel(), 3);
    flush_everything();
}

static void sync_request_reports_error_text(void)
{
    struct xfrm_status st;
    struct xfrm_sp_id id = { .dir = XFRM_POLICY_FWD, .index = 12345 * 8 + XFRM_POLICY_FWD };
    struct xfrm_sp got;
    CHECK_INT_EQ(xfrm_sp_get(h, &id, &got, &st), -ENOENT);

    /* An ESP SA: installed where the kernel has ESP, else refused with a
     * reason (this machine: "Requested AEAD algorithm not found"). */
    struct xfrm_sa sa = {
        .family = AF_INET, .src = addr(AF_INET, "192.0.2.1"), .dst = addr(AF_INET, "192.0.2.2"),
        .spi = 0x5000, .reqid = XFRM_VPND_REQID_BASE + 50,
        .cipher = XFRM_CIPHER_AES_GCM_16, .enc_key_len = 20, .replay_window = 32,
    };
    struct outcome o = {0};
    CHECK_INT_EQ(xfrm_queue_sa_add(h, &sa, false, record, &o), 0);
    xfrm_sa_wipe(&sa);
    int failed = xfrm_flush(h);
    CHECK_INT_EQ(o.calls, 1);
    if (o.error == 0) {
        CHECK_INT_EQ(failed, 0);
        struct xfrm_sa_info info;
        struct xfrm_sa_id sid = { .family = AF_INET, .dst = sa.dst, .spi = 0x5000 };
        CHECK_INT_EQ(xfrm_sa_get(h, &sid, &info, NULL), 0);
        CHECK_INT_EQ(info.sa.cipher, XFRM_CIPHER_AES_GCM_16);
        CHECK_INT_EQ(info.sa.enc_key_len, 0);   /* keys never handed out */
        flush_everything();
    } else {
        CHECK_INT_EQ(failed, 1);
        CHECK(strlen(o.message) > 0);
        printf("# kernel refused the ESP SA: %d \"%s\"\n", o.error, o.message);
    }
}

static void large_batch(void)
{
    enum { N = 300 };           /* several sends of BATCH_MESSAGES */
    static struct outcome o[N];
    char ip[32];

    memset(o, 0, sizeof(o));
    for (int k = 0; k < N; k++) {
        snprintf(ip, sizeof(ip), "10.9.%d.%d", k / 250, k % 250 + 1);
        struct xfrm_sp sp = client_out(ip, XFRM_VPND_REQID_BASE + 100 + (uint32_t)k);
        CHECK_INT_EQ(xfrm_queue_sp_add(h, &sp, false, record, &o[k]), 0);
    }
    CHECK_INT_EQ(xfrm_flush(h), 0);
    int ok = 0;
    for (int k = 0; k < N; k++)
        ok += o[k].calls == 1 && o[k].error == 0;
    CHECK_INT_EQ(ok, N);
    CHECK_INT_EQ(policies_in_kernel(), N);

    /* Adding them all again: every one fails, also those in the batches
     * that were sent early because they were full, and the count says so. */
    memset(o, 0, sizeof(o));
    for (int k = 0; k < N; k++) {
        snprintf(ip, sizeof(ip), "10.9.%d.%d", k / 250, k % 250 + 1);
        struct xfrm_sp sp = client_out(ip, XFRM_VPND_REQID_BASE + 100 + (uint32_t)k);
        CHECK_INT_EQ(xfrm_queue_sp_add(h, &sp, false, record, &o[k]), 0);
    }
    CHECK(xfrm_queued(h) < N);  /* some were sent already */
    CHECK_INT_EQ(xfrm_flush(h), N);
    CHECK_INT_EQ(xfrm_flush(h), 0);
    ok = 0;
    for (int k = 0; k < N; k++)
        ok += o[k].calls == 1 && o[k].error == -EEXIST;
    CHECK_INT_EQ(ok, N);
    CHECK_INT_EQ(policies_in_kernel(), N);
    unsigned sas = 99, sps = 0;
    CHECK_INT_EQ(xfrm_cleanup_owned(h, &sas, &sps, NULL), 0);
    CHECK_INT_EQ(sps, N);
    CHECK_INT_EQ(sas, 0);
    CHECK_INT_EQ(policies_in_kernel(), 0);
}

static int find_foreign(const struct xfrm_sp *sp, void *userdata)
{
    unsigned *n = userdata;
    if (sp->n_tmpl == 0 || sp->tmpl[0].reqid == 1)
        (*n)++;
    else
        *n += 1000;             /* something of ours survived */
    return 0;
}

static void cleanup_spares_foreign_entries(void)
{
    struct xfrm_sp ours = client_out("10.8.1.1", XFRM_VPND_REQID_BASE + 7);
    struct xfrm_sp ours_in = ours;
    ours_in.dir = XFRM_POLICY_FWD;
    ours_in.sel = (struct xfrm_ts){ .family = AF_INET, .src = addr(AF_INET, "10.8.1.1"),
                                     .src_prefixlen = 32 };
    struct xfrm_sp foreign = client_out("10.8.1.2", 1);     /* strongSwan's first reqid */
    struct xfrm_sp bypass = {
        .sel = { .family = AF_INET, .proto = IPPROTO_UDP, .dport = 500 },
        .dir = XFRM_POLICY_IN, .action = XFRM_POLICY_ALLOW,
    };
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &ours, false, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &ours_in, false, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &foreign, false, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &bypass, false, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_flush(h), 0);

    /* Larval SAs from ALLOCSPI: one ours, one foreign. */
    xfrm_address_t s = addr(AF_INET, "198.51.100.1"), d = addr(AF_INET, "192.0.2.1");
    uint32_t spi_ours = 0, spi_foreign = 0;
    struct xfrm_status st;
    CHECK_INT_EQ(xfrm_sa_allocspi(h, AF_INET, &s, &d, XFRM_VPND_REQID_BASE + 7, NULL,
                                  0xc0000000, 0xc00000ff, &spi_ours, &st), 0);
    CHECK(spi_ours >= 0xc0000000 && spi_ours <= 0xc00000ff);
    CHECK_INT_EQ(xfrm_sa_allocspi(h, AF_INET, &s, &d, 1, NULL, 0x1000, 0x1000, &spi_foreign, &st), 0);
    CHECK_INT_EQ(spi_foreign, 0x1000);
    struct xfrm_sa_info info;
    struct xfrm_sa_id id = { .family = AF_INET, .dst = d, .spi = spi_ours };
    CHECK_INT_EQ(xfrm_sa_get(h, &id, &info, &st), 0);
    CHECK_INT_EQ(info.sa.reqid, XFRM_VPND_REQID_BASE + 7);

    unsigned sas = 0, sps = 0;
    CHECK_INT_EQ(xfrm_cleanup_owned(h, &sas, &sps, &st), 0);
    CHECK_INT_EQ(sps, 2);
    CHECK_INT_EQ(sas, 1);
    unsigned left = 0;
    CHECK_INT_EQ(xfrm_sp_dump(h, find_foreign, &left, NULL), 0);
    CHECK_INT_EQ(left, 2);
    CHECK_INT_EQ(xfrm_sa_get(h, &id, &info, &st), -ESRCH);
    id.spi = spi_foreign;
    CHECK_INT_EQ(xfrm_sa_get(h, &id, &info, &st), 0);
    CHECK_INT_EQ(info.sa.reqid, 1);

    /* Clean up the foreign entries by hand for the next tests. */
    struct xfrm_sp_id fid = { .sel = foreign.sel, .dir = XFRM_POLICY_OUT };
    struct xfrm_sp_id bid = { .sel = bypass.sel, .dir = XFRM_POLICY_IN };
    CHECK_INT_EQ(xfrm_queue_sp_delete(h, &fid, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_queue_sp_delete(h, &bid, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_queue_sa_delete(h, &id, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_flush(h), 0);
    CHECK_INT_EQ(policies_in_kernel(), 0);
}

static void spd_thresholds(void)
{
    struct xfrm_spd_hthresh t;
    struct xfrm_status st;
    CHECK_INT_EQ(xfrm_spd_get_hthresh(h, &t, &st), 0);
    CHECK_INT_EQ(t.lbits4, 32);          /* the kernel's defaults */
    CHECK_INT_EQ(t.rbits6, 128);
    CHECK_INT_EQ(xfrm_spd_set_hthresh(h, &xfrm_spd_hthresh_remote_access, &st), 0);
    CHECK_INT_EQ(xfrm_spd_get_hthresh(h, &t, &st), 0);
    CHECK_INT_EQ(t.lbits4, 0);
    CHECK_INT_EQ(t.rbits4, 32);
    CHECK_INT_EQ(t.lbits6, 0);
    CHECK_INT_EQ(t.rbits6, 128);
}

struct seen {
    int polexpire_soft, polexpire_hard, acquire, overrun, other;
    uint32_t acquire_reqid;
    sd_event *e;
};

static void on_event(const struct xfrm_event *ev, void *userdata)
{
    struct seen *s = userdata;
    switch (ev->type) {
    case XFRM_EVENT_POLEXPIRE:
        if (ev->polexpire.hard)
            s->polexpire_hard++;
        else
            s->polexpire_soft++;
        break;
    case XFRM_EVENT_ACQUIRE:
        s->acquire++;
        s->acquire_reqid = ev->acquire.reqid;
        break;
    case XFRM_EVENT_OVERRUN:
        s->overrun++;
        break;
    default:
        s->other++;
    }
    if (s->polexpire_hard && s->acquire)
        sd_event_exit(s->e, 0);
}

static int on_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
    sd_event_exit(userdata, -ETIMEDOUT);
    return 0;
}

static void set_lo_up(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    CHECK(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
    ifr.ifr_flags |= IFF_UP;
    CHECK(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
    close(fd);
}

static void monitor_events(void)
{
    sd_event *e = NULL;
    struct xfrm_monitor *m = NULL;
    struct seen s = {0};

    CHECK(sd_event_new(&e) >= 0);
    s.e = e;
    CHECK_INT_EQ(xfrm_monitor_new(e, on_event, &s, &m), 0);

    /* A policy with a 1 s soft and 3 s hard lifetime expires by itself.
     * The kernel counts whole seconds: with only one second between soft
     * and hard, a policy added at the end of a second can see its first
     * timer run find both expired, and only the hard expiry is reported. */
    struct xfrm_sp sp = client_out("10.8.2.1", XFRM_VPND_REQID_BASE + 20);
    sp.soft_seconds = 1;
    sp.hard_seconds = 3;
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &sp, false, NULL, NULL), 0);

    /* A packet to a client without SA makes the kernel ask for one. Not
     * through lo: the kernel never applies policies there (NOXFRM). */
    struct xfrm_sp acq = client_out("10.8.3.1", XFRM_VPND_REQID_BASE + 21);
    CHECK_INT_EQ(xfrm_queue_sp_add(h, &acq, false, NULL, NULL), 0);
    CHECK_INT_EQ(xfrm_flush(h), 0);
    CHECK(system("ip link add xt0 type veth peer name xt1 && ip link set xt0 up && "
                 "ip link set xt1 up && ip addr add 10.99.0.1/24 dev xt0") == 0);
    struct route_handle *rh;
    CHECK_INT_EQ(route_open(&rh), 0);
    struct route_host r = { .family = AF_INET, .ifindex = (int)if_nametoindex("xt0") };
    inet_pton(AF_INET, "10.8.3.1", &r.dst.in);
    CHECK_INT_EQ(route_host_add(rh, &r), 0);
    route_close(rh);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
    inet_pton(AF_INET, "10.8.3.1", &to.sin_addr);
    (void)sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));  /* fails: no SA yet */
    close(fd);

    CHECK(sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, 10 * 1000000, 0, on_timeout, e) >= 0);
    CHECK_INT_EQ(sd_event_loop(e), 0);
    CHECK_INT_EQ(s.polexpire_soft, 1);
    CHECK_INT_EQ(s.polexpire_hard, 1);
    CHECK(s.acquire >= 1);
    CHECK_INT_EQ(s.acquire_reqid, XFRM_VPND_REQID_BASE + 21);
    xfrm_monitor_free(m);
    sd_event_unref(e);
    flush_everything();
}

/* Thousands of expiries while nobody reads overflow the monitor's socket:
 * the caller must hear about the loss. */
static void monitor_overrun(void)
{
    enum { N = 10000 };         /* 20000 events: far more than 4 MiB of skbs */
    sd_event *e = NULL;
    struct xfrm_monitor *m = NULL;
    struct seen s = {0};
    char ip[32];

    CHECK(sd_event_new(&e) >= 0);
    s.e = e;
    CHECK_INT_EQ(xfrm_monitor_new(e, on_event, &s, &m), 0);
    for (int k = 0; k < N; k++) {
        snprintf(ip, sizeof(ip), "10.10.%d.%d", k / 250, k % 250 + 1);
        struct xfrm_sp sp = client_out(ip, XFRM_VPND_REQID_BASE + 200);
        sp.soft_seconds = 1;
        sp.hard_seconds = 2;
        CHECK_INT_EQ(xfrm_queue_sp_add(h, &sp, false, NULL, NULL), 0);
    }
    CHECK_INT_EQ(xfrm_flush(h), 0);
    sleep(4);                   /* all expire; nothing reads the socket */
    CHECK(sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, 1000000, 0, on_timeout, e) >= 0);
    (void)sd_event_loop(e);
    printf("# %d soft, %d hard policy expiries delivered, %d overruns\n",
           s.polexpire_soft, s.polexpire_hard, s.overrun);
    CHECK(s.overrun >= 1);
    CHECK(s.polexpire_soft + s.polexpire_hard < 2 * N);
    CHECK(s.polexpire_soft + s.polexpire_hard > 0);     /* still usable after it */
    xfrm_monitor_free(m);
    sd_event_unref(e);
    CHECK_INT_EQ(policies_in_kernel(), 0);              /* hard expiry deleted them */
}

static bool route_exists(int family, const char *spec)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "ip -%c route show %s | grep -q .",
             family == AF_INET6 ? '6' : '4', spec);
    return system(cmd) == 0;
}

static void routes(void)
{
    struct route_handle *rh;
    CHECK_INT_EQ(route_open(&rh), 0);
    set_lo_up();
    struct route_host r4 = { .family = AF_INET, .table = 100, .ifindex = (int)if_nametoindex("lo") };
    inet_pton(AF_INET, "10.77.0.5", &r4.dst.in);
    struct route_host r6 = { .family = AF_INET6, .table = 100, .ifindex = (int)if_nametoindex("lo"),
                             .metric = 50 };
    inet_pton(AF_INET6, "2001:db8:77::5", &r6.dst.in6);

    CHECK_INT_EQ(route_host_add(rh, &r4), 0);
    CHECK_INT_EQ(route_host_add(rh, &r4), -EEXIST);
    CHECK_INT_EQ(route_host_add(rh, &r6), 0);
    CHECK(route_exists(AF_INET, "table 100 10.77.0.5 proto 86"));
    CHECK(route_exists(AF_INET6, "table 100 2001:db8:77::5 proto 86"));
    CHECK_INT_EQ(route_host_del(rh, &r4), 0);
    CHECK_INT_EQ(route_host_del(rh, &r4), -ESRCH);
    CHECK(!route_exists(AF_INET, "table 100 10.77.0.5"));

    /* A device is required unless there is a gateway. */
    struct route_host bad = r4;
    bad.ifindex = 0;
    CHECK_INT_EQ(route_host_add(rh, &bad), -EINVAL);

    /* Flushing ours leaves someone else's route in the same table. */
    CHECK_INT_EQ(route_host_add(rh, &r4), 0);
    CHECK(system("ip route add 10.77.0.6/32 dev lo table 100") == 0);
    unsigned n = 0;
    CHECK_INT_EQ(route_flush_owned(rh, 100, AF_UNSPEC, &n), 0);
    CHECK_INT_EQ(n, 2);
    CHECK(!route_exists(AF_INET, "table 100 10.77.0.5"));
    CHECK(!route_exists(AF_INET6, "table 100 2001:db8:77::5"));
    CHECK(route_exists(AF_INET, "table 100 10.77.0.6"));
    route_close(rh);
}

static void enter_private_netns_or_skip(void)
{
    if (unshare(CLONE_NEWNET) < 0) {
        printf("1..0 # SKIP cannot create a network namespace: %s\n", strerror(errno));
        exit(0);
    }
}

/* TEST_MAIN owns main(): enter the namespace before it runs. */
static void tests_start(void) __attribute__((constructor));
static void tests_start(void)
{
    enter_private_netns_or_skip();
    if (xfrm_open(&h) < 0) {
        printf("1..0 # SKIP no XFRM netlink in this kernel\n");
        exit(0);
    }
}

TEST_MAIN(
    TEST(policy_add_get_delete),
    TEST(batch_reports_each_request),
    TEST(batch_reads_one_ack),
    TEST(sync_request_reports_error_text),
    TEST(large_batch),
    TEST(cleanup_spares_foreign_entries),
    TEST(spd_thresholds),
    TEST(monitor_events),
    TEST(monitor_overrun),
    TEST(routes),
)
