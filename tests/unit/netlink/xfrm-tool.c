/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xfrm-tool: programs SAs, policies and routes only through vpnd's netlink
 * library, for the end-to-end tests (tests/e2e/netlink-*.sh). Not installed.
 *
 *   xfrm-tool sa-add SRC DST SPI REQID ALG... [OPTION...]
 *       ALG: --aead KEYHEX | --enc aes|3des KEYHEX --auth sha1|sha256|sha384|sha512 KEYHEX
 *       OPTION: --encap SPORT DPORT  --replay N  --esn  --mark V/M  --update
 *               --soft-seconds N --hard-seconds N --soft-bytes N --hard-bytes N
 *               --soft-packets N --hard-packets N
 *   xfrm-tool sa-get DST SPI [--mark V/M]   counters and replay state as key=value
 *   xfrm-tool sa-del DST SPI [--mark V/M]
 *   xfrm-tool sp-add DIR SRC/LEN DST/LEN TUNSRC TUNDST REQID [--prio N] [--index N] [--update]
 *   xfrm-tool sp-get DIR SRC/LEN DST/LEN
 *   xfrm-tool sp-del DIR SRC/LEN DST/LEN
 *   xfrm-tool allocspi SRC DST REQID MIN MAX
 *   xfrm-tool cleanup
 *   xfrm-tool spd-hthresh
 *   xfrm-tool batch            one sa-add/sp-add/sa-del/sp-del per stdin line, one batch
 *   xfrm-tool monitor [--count N] [--timeout SECONDS]
 *   xfrm-tool route-add ADDR [--table T] [--dev IFNAME] [--via GW]
 *   xfrm-tool route-del ADDR [--table T]
 *   xfrm-tool route-flush [--table T]
 *
 * Numbers accept 0x prefixes. Failures print "error: <errno text>: <kernel
 * text>" on stderr and exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <systemd/sd-event.h>

#include "route.h"
#include "xfrm.h"
#include "xfrm-monitor.h"

static struct xfrm_handle *h;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void die_status(int r, const struct xfrm_status *st)
{
    die("%s: %s", strerror(-r), st && st->message[0] ? st->message : "(no kernel message)");
}

static uint64_t num(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || !*s)
        die("not a number: %s", s);
    return v;
}

static uint16_t parse_addr(const char *s, xfrm_address_t *a)
{
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, s, a) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, a) == 1)
        return AF_INET6;
    die("not an address: %s", s);
}

static uint16_t parse_prefix(const char *s, xfrm_address_t *a, uint8_t *len)
{
    char tmp[INET6_ADDRSTRLEN + 8];
    snprintf(tmp, sizeof(tmp), "%s", s);
    char *slash = strchr(tmp, '/');
    if (!slash)
        die("not a prefix: %s", s);
    *slash = '\0';
    uint16_t family = parse_addr(tmp, a);
    *len = (uint8_t)num(slash + 1);
    return family;
}

static size_t parse_hex(const char *s, uint8_t *out, size_t max)
{
    if (strncmp(s, "0x", 2) == 0)
        s += 2;
    size_t n = strlen(s);
    if (n % 2 || n / 2 > max)
        die("bad key");
    for (size_t k = 0; k < n / 2; k++) {
        unsigned v;
        if (sscanf(s + 2 * k, "%2x", &v) != 1)
            die("bad key");
        out[k] = (uint8_t)v;
    }
    return n / 2;
}

static void parse_mark(const char *s, struct xfrm_mark *m)
{
    char *slash = strchr(s, '/');
    if (!slash)
        die("mark is VALUE/MASK");
    *slash = '\0';
    m->v = (uint32_t)num(s);
    m->m = (uint32_t)num(slash + 1);
}

static uint8_t parse_dir(const char *s)
{
    if (!strcmp(s, "in"))
        return XFRM_POLICY_IN;
    if (!strcmp(s, "out"))
        return XFRM_POLICY_OUT;
    if (!strcmp(s, "fwd"))
        return XFRM_POLICY_FWD;
    die("direction is in, out or fwd");
}

static enum xfrm_integ parse_integ(const char *s)
{
    if (!strcmp(s, "sha1"))
        return XFRM_INTEG_HMAC_SHA1_96;
    if (!strcmp(s, "sha256"))
        return XFRM_INTEG_HMAC_SHA256_128;
    if (!strcmp(s, "sha384"))
        return XFRM_INTEG_HMAC_SHA384_192;
    if (!strcmp(s, "sha512"))
        return XFRM_INTEG_HMAC_SHA512_256;
    die("unknown integrity algorithm %s", s);
}

#define NEED(n) do { if (argc < (n)) die("%s: missing arguments", argv[0]); } while (0)

static void parse_sa(int argc, char **argv, struct xfrm_sa *sa, bool *update)
{
    NEED(5);
    memset(sa, 0, sizeof(*sa));
    sa->family = parse_addr(argv[1], &sa->src);
    if (parse_addr(argv[2], &sa->dst) != sa->family)
        die("mixed address families");
    sa->spi = (uint32_t)num(argv[3]);
    sa->reqid = (uint32_t)num(argv[4]);
    *update = false;
    for (int k = 5; k < argc; k++) {
        const char *o = argv[k];
        int left = argc - k - 1;
        if (!strcmp(o, "--aead") && left >= 1) {
            sa->cipher = XFRM_CIPHER_AES_GCM_16;
            sa->enc_key_len = (uint16_t)parse_hex(argv[++k], sa->enc_key, XFRM_KEY_MAX);
        } else if (!strcmp(o, "--enc") && left >= 2) {
            sa->cipher = !strcmp(argv[k + 1], "3des") ? XFRM_CIPHER_3DES_CBC : XFRM_CIPHER_AES_CBC;
            sa->enc_key_len = (uint16_t)parse_hex(argv[k + 2], sa->enc_key, XFRM_KEY_MAX);
            k += 2;
        } else if (!strcmp(o, "--auth") && left >= 2) {
            sa->integ = parse_integ(argv[k + 1]);
            sa->integ_key_len = (uint16_t)parse_hex(argv[k + 2], sa->integ_key, XFRM_KEY_MAX);
            k += 2;
        } else if (!strcmp(o, "--encap") && left >= 2) {
            sa->encap = true;
            sa->encap_sport = (uint16_t)num(argv[k + 1]);
            sa->encap_dport = (uint16_t)num(argv[k + 2]);
            k += 2;
        } else if (!strcmp(o, "--replay") && left >= 1) {
            sa->replay_window = (uint32_t)num(argv[++k]);
        } else if (!strcmp(o, "--esn")) {
            sa->esn = true;
        } else if (!strcmp(o, "--update")) {
            *update = true;
        } else if (!strcmp(o, "--mark") && left >= 1) {
            parse_mark(argv[++k], &sa->mark);
        } else if (!strcmp(o, "--soft-seconds") && left >= 1) {
            sa->lifetime.soft_seconds = num(argv[++k]);
        } else if (!strcmp(o, "--hard-seconds") && left >= 1) {
            sa->lifetime.hard_seconds = num(argv[++k]);
        } else if (!strcmp(o, "--soft-bytes") && left >= 1) {
            sa->lifetime.soft_bytes = num(argv[++k]);
        } else if (!strcmp(o, "--hard-bytes") && left >= 1) {
            sa->lifetime.hard_bytes = num(argv[++k]);
        } else if (!strcmp(o, "--soft-packets") && left >= 1) {
            sa->lifetime.soft_packets = num(argv[++k]);
        } else if (!strcmp(o, "--hard-packets") && left >= 1) {
            sa->lifetime.hard_packets = num(argv[++k]);
        } else {
            die("sa-add: bad option %s", o);
        }
    }
}

static void parse_sa_id(int argc, char **argv, struct xfrm_sa_id *id)
{
    NEED(3);
    memset(id, 0, sizeof(*id));
    id->family = parse_addr(argv[1], &id->dst);
    id->spi = (uint32_t)num(argv[2]);
    if (argc >= 5 && !strcmp(argv[3], "--mark"))
        parse_mark(argv[4], &id->mark);
}

static void parse_sel(char **argv, struct xfrm_ts *ts)
{
    memset(ts, 0, sizeof(*ts));
    ts->family = parse_prefix(argv[0], &ts->src, &ts->src_prefixlen);
    if (parse_prefix(argv[1], &ts->dst, &ts->dst_prefixlen) != ts->family)
        die("mixed selector families");
}

static void parse_sp(int argc, char **argv, struct xfrm_sp *sp, bool *update)
{
    NEED(7);
    memset(sp, 0, sizeof(*sp));
    sp->dir = parse_dir(argv[1]);
    parse_sel(argv + 2, &sp->sel);
    sp->action = XFRM_POLICY_ALLOW;
    sp->n_tmpl = 1;
    sp->tmpl[0].family = parse_addr(argv[4], &sp->tmpl[0].src);
    if (parse_addr(argv[5], &sp->tmpl[0].dst) != sp->tmpl[0].family)
        die("mixed tunnel families");
    sp->tmpl[0].reqid = (uint32_t)num(argv[6]);
    *update = false;
    for (int k = 7; k < argc; k++) {
        if (!strcmp(argv[k], "--prio") && k + 1 < argc)
            sp->priority = (uint32_t)num(argv[++k]);
        else if (!strcmp(argv[k], "--index") && k + 1 < argc)
            sp->index = (uint32_t)num(argv[++k]);
        else if (!strcmp(argv[k], "--update"))
            *update = true;
        else
            die("sp-add: bad option %s", argv[k]);
    }
}

static void parse_sp_id(int argc, char **argv, struct xfrm_sp_id *id)
{
    NEED(4);
    memset(id, 0, sizeof(*id));
    id->dir = parse_dir(argv[1]);
    parse_sel(argv + 2, &id->sel);
}

static void print_addr(uint16_t family, const xfrm_address_t *a, char *out, size_t len)
{
    if (!inet_ntop(family, a, out, (socklen_t)len))
        snprintf(out, len, "?");
}

static int cmd_sa_get(int argc, char **argv)
{
    struct xfrm_sa_id id;
    struct xfrm_sa_info info;
    struct xfrm_status st;
    parse_sa_id(argc, argv, &id);
    int r = xfrm_sa_get(h, &id, &info, &st);
    if (r < 0)
        die_status(r, &st);
    printf("spi=0x%08x\nreqid=%u\ncipher=%s\ninteg=%s\n", info.sa.spi, info.sa.reqid,
           xfrm_cipher_name(info.sa.cipher) ?: "-", xfrm_integ_name(info.sa.integ) ?: "-");
    printf("encap=%s\nencap_sport=%u\nencap_dport=%u\n", info.sa.encap ? "yes" : "no",
           info.sa.encap_sport, info.sa.encap_dport);
    printf("bytes=%llu\npackets=%llu\nadd_time=%llu\nuse_time=%llu\n",
           (unsigned long long)info.cur.bytes, (unsigned long long)info.cur.packets,
           (unsigned long long)info.cur.add_time, (unsigned long long)info.cur.use_time);
    printf("stats_replay_window=%u\nstats_replay=%u\nstats_integrity_failed=%u\n",
           info.stats.replay_window, info.stats.replay, info.stats.integrity_failed);
    printf("replay_window=%u\nesn=%s\nseq=%u\noseq=%u\nseq_hi=%u\noseq_hi=%u\nbitmap=",
           info.sa.replay_window, info.esn_state ? "yes" : "no",
           info.seq, info.oseq, info.seq_hi, info.oseq_hi);
    for (uint32_t k = info.bitmap_words; k-- > 0;)
        printf("%08x", info.bitmap[k]);
    printf("\nsoft_bytes=%llu\nhard_bytes=%llu\nsoft_seconds=%llu\nhard_seconds=%llu\n",
           (unsigned long long)info.sa.lifetime.soft_bytes,
           (unsigned long long)info.sa.lifetime.hard_bytes,
           (unsigned long long)info.sa.lifetime.soft_seconds,
           (unsigned long long)info.sa.lifetime.hard_seconds);
    return 0;
}

/* Runs one change through a batch of one (batch mode queues many). */
static int queue_line(int argc, char **argv, xfrm_done_fn done, void *userdata)
{
    bool update;
    if (!strcmp(argv[0], "sa-add")) {
        struct xfrm_sa sa;
        parse_sa(argc, argv, &sa, &update);
        int r = xfrm_queue_sa_add(h, &sa, update, done, userdata);
        xfrm_sa_wipe(&sa);
        return r;
    }
    if (!strcmp(argv[0], "sa-del")) {
        struct xfrm_sa_id id;
        parse_sa_id(argc, argv, &id);
        return xfrm_queue_sa_delete(h, &id, done, userdata);
    }
    if (!strcmp(argv[0], "sp-add")) {
        struct xfrm_sp sp;
        parse_sp(argc, argv, &sp, &update);
        return xfrm_queue_sp_add(h, &sp, update, done, userdata);
    }
    if (!strcmp(argv[0], "sp-del")) {
        struct xfrm_sp_id id;
        parse_sp_id(argc, argv, &id);
        return xfrm_queue_sp_delete(h, &id, done, userdata);
    }
    die("not a change: %s", argv[0]);
}

static void single_done(const struct xfrm_status *st, void *userdata)
{
    *(struct xfrm_status *)userdata = *st;
}

static int cmd_change(int argc, char **argv)
{
    struct xfrm_status st = { .error = 1 };
    int r = queue_line(argc, argv, single_done, &st);
    if (r < 0)
        die("%s: cannot encode: %s", argv[0], strerror(-r));
    r = xfrm_flush(h);
    if (r < 0 || st.error < 0)
        die_status(st.error < 0 ? st.error : r, &st);
    return 0;
}

static void batch_done(const struct xfrm_status *st, void *userdata)
{
    int line = (int)(intptr_t)userdata;
    if (st->error == 0)
        printf("line %d: ok\n", line);
    else
        printf("line %d: error %d (%s): %s\n", line, st->error, strerror(-st->error),
               st->message[0] ? st->message : "-");
}

static int cmd_batch(void)
{
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    while (getline(&line, &cap, stdin) > 0) {
        char *args[64];
        int argc = 0;
        n++;
        for (char *tok = strtok(line, " \t\n"); tok && argc < 64; tok = strtok(NULL, " \t\n"))
            args[argc++] = tok;
        if (argc == 0)
            continue;
        int r = queue_line(argc, args, batch_done, (void *)(intptr_t)n);
        if (r < 0)
            printf("line %d: not queued: %s\n", n, strerror(-r));
    }
    free(line);
    int failed = xfrm_flush(h);
    printf("failed=%d\n", failed);
    return failed == 0 ? 0 : 1;
}

struct monitor_state {
    sd_event *e;
    long remaining;
};

static void on_event(const struct xfrm_event *ev, void *userdata)
{
    struct monitor_state *m = userdata;
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

    switch (ev->type) {
    case XFRM_EVENT_EXPIRE: {
        const struct xfrm_sa_info *i = &ev->expire.info;
        print_addr(i->sa.family, &i->sa.dst, a, sizeof(a));
        printf("expire %s dst=%s spi=0x%08x reqid=%u bytes=%llu packets=%llu\n",
               ev->expire.hard ? "hard" : "soft", a, i->sa.spi, i->sa.reqid,
               (unsigned long long)i->cur.bytes, (unsigned long long)i->cur.packets);
        break;
    }
    case XFRM_EVENT_ACQUIRE:
        print_addr(ev->acquire.family, &ev->acquire.dst, a, sizeof(a));
        printf("acquire dst=%s reqid=%u seq=%u\n", a, ev->acquire.reqid, ev->acquire.seq);
        break;
    case XFRM_EVENT_MAPPING:
        print_addr(ev->mapping.id.family, &ev->mapping.old_src, a, sizeof(a));
        print_addr(ev->mapping.id.family, &ev->mapping.new_src, b, sizeof(b));
        printf("mapping spi=0x%08x reqid=%u old=%s:%u new=%s:%u\n", ev->mapping.id.spi,
               ev->mapping.reqid, a, ev->mapping.old_sport, b, ev->mapping.new_sport);
        break;
    case XFRM_EVENT_POLEXPIRE:
        printf("polexpire %s dir=%u index=%u\n", ev->polexpire.hard ? "hard" : "soft",
               ev->polexpire.sp.dir, ev->polexpire.sp.index);
        break;
    case XFRM_EVENT_OVERRUN:
        printf("overrun\n");
        break;
    case XFRM_EVENT_FAILED:
        printf("failed error=%d\n", ev->error);
        sd_event_exit(m->e, 1);
        return;
    }
    fflush(stdout);
    if (m->remaining > 0 && --m->remaining == 0)
        sd_event_exit(m->e, 0);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
    sd_event_exit(userdata, ETIMEDOUT);
    return 0;
}

static int cmd_monitor(int argc, char **argv)
{
    struct monitor_state m = { .remaining = -1 };
    uint64_t timeout = 0;
    struct xfrm_monitor *mon;

    for (int k = 1; k + 1 < argc; k += 2) {
        if (!strcmp(argv[k], "--count"))
            m.remaining = (long)num(argv[k + 1]);
        else if (!strcmp(argv[k], "--timeout"))
            timeout = num(argv[k + 1]);
        else
            die("monitor: bad option %s", argv[k]);
    }
    if (sd_event_new(&m.e) < 0)
        die("sd_event_new failed");
    int r = xfrm_monitor_new(m.e, on_event, &m, &mon);
    if (r < 0)
        die("monitor: %s", strerror(-r));
    if (timeout && sd_event_add_time_relative(m.e, NULL, CLOCK_MONOTONIC, timeout * 1000000,
                                              0, on_timeout, m.e) < 0)
        die("timer failed");
    printf("ready\n");
    fflush(stdout);
    r = sd_event_loop(m.e);
    xfrm_monitor_free(mon);
    sd_event_unref(m.e);
    if (r == ETIMEDOUT)
        die("monitor: timed out");
    return r < 0 ? 1 : 0;
}

static int cmd_route(int argc, char **argv)
{
    struct route_handle *rh;
    struct route_host r = {0};
    unsigned n;
    int k = 1, ret;

    if (strcmp(argv[0], "route-flush") != 0) {
        NEED(2);
        r.family = strchr(argv[1], ':') ? AF_INET6 : AF_INET;
        if (inet_pton(r.family, argv[1], &r.dst) != 1)
            die("not an address: %s", argv[1]);
        k = 2;
    }
    for (; k + 1 < argc; k += 2) {
        if (!strcmp(argv[k], "--table")) {
            r.table = (uint32_t)num(argv[k + 1]);
        } else if (!strcmp(argv[k], "--dev")) {
            r.ifindex = (int)if_nametoindex(argv[k + 1]);
            if (!r.ifindex)
                die("no device %s", argv[k + 1]);
        } else if (!strcmp(argv[k], "--via")) {
            r.has_gateway = true;
            if (inet_pton(r.family, argv[k + 1], &r.gateway) != 1)
                die("not a gateway: %s", argv[k + 1]);
        } else {
            die("%s: bad option %s", argv[0], argv[k]);
        }
    }
    int err = route_open(&rh);
    if (err < 0)
        die("route_open: %s", strerror(-err));
    if (!strcmp(argv[0], "route-add"))
        ret = route_host_add(rh, &r);
    else if (!strcmp(argv[0], "route-del"))
        ret = route_host_del(rh, &r);
    else {
        ret = route_flush_owned(rh, r.table, AF_UNSPEC, &n);
        if (ret == 0)
            printf("routes=%u\n", n);
    }
    route_close(rh);
    if (ret < 0)
        die("%s: %s", argv[0], strerror(-ret));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: xfrm-tool COMMAND ... (see the source)");
    argc--;
    argv++;
    if (!strncmp(argv[0], "route-", 6))
        return cmd_route(argc, argv);
    if (!strcmp(argv[0], "monitor"))
        return cmd_monitor(argc, argv);

    int r = xfrm_open(&h);
    if (r < 0)
        die("xfrm_open: %s", strerror(-r));
    struct xfrm_status st;
    int ret = 0;
    if (!strcmp(argv[0], "sa-get")) {
        ret = cmd_sa_get(argc, argv);
    } else if (!strcmp(argv[0], "sp-get")) {
        struct xfrm_sp_id id;
        struct xfrm_sp sp;
        parse_sp_id(argc, argv, &id);
        r = xfrm_sp_get(h, &id, &sp, &st);
        if (r < 0)
            die_status(r, &st);
        printf("index=%u\npriority=%u\ntemplates=%u\nreqid=%u\n", sp.index, sp.priority,
               sp.n_tmpl, sp.n_tmpl ? sp.tmpl[0].reqid : 0);
    } else if (!strcmp(argv[0], "allocspi")) {
        NEED(6);
        xfrm_address_t s, d;
        uint16_t family = parse_addr(argv[1], &s);
        parse_addr(argv[2], &d);
        uint32_t spi;
        r = xfrm_sa_allocspi(h, family, &s, &d, (uint32_t)num(argv[3]), NULL,
                             (uint32_t)num(argv[4]), (uint32_t)num(argv[5]), &spi, &st);
        if (r < 0)
            die_status(r, &st);
        printf("spi=0x%08x\n", spi);
    } else if (!strcmp(argv[0], "cleanup")) {
        unsigned sas, sps;
        r = xfrm_cleanup_owned(h, &sas, &sps, &st);
        if (r != 0)
            die_status(r < 0 ? r : st.error, &st);
        printf("sas=%u sps=%u\n", sas, sps);
    } else if (!strcmp(argv[0], "spd-hthresh")) {
        struct xfrm_spd_hthresh t;
        r = xfrm_spd_set_hthresh(h, &xfrm_spd_hthresh_remote_access, &st);
        if (r < 0)
            die_status(r, &st);
        r = xfrm_spd_get_hthresh(h, &t, &st);
        if (r < 0)
            die_status(r, &st);
        printf("lbits4=%u rbits4=%u lbits6=%u rbits6=%u\n", t.lbits4, t.rbits4, t.lbits6, t.rbits6);
    } else if (!strcmp(argv[0], "batch")) {
        ret = cmd_batch();
    } else {
        ret = cmd_change(argc, argv);
    }
    xfrm_close(h);
    return ret;
}
