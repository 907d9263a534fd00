/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ikev2-ts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static uint32_t get4(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put4(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A selector vpnd can honour: IPv4, every protocol and port, start <= end. */
static bool usable(const struct ikev2_ts_selector *s)
{
    return s->type == IKEV2_TS_IPV4_ADDR_RANGE && s->ip_protocol == 0 && s->start_port == 0 &&
           s->end_port == 0xffff && get4(s->start_addr) <= get4(s->end_addr);
}

static void make_range(struct ikev2_ts_selector *s, uint32_t start, uint32_t end)
{
    memset(s, 0, sizeof(*s));
    s->type = IKEV2_TS_IPV4_ADDR_RANGE;
    s->ip_protocol = 0;
    s->start_port = 0;
    s->end_port = 0xffff;
    put4(s->start_addr, start);
    put4(s->end_addr, end);
}

int ikev2_narrow_tsi(const struct ikev2_ts *offered, struct in_addr vip, struct ikev2_ts_selector *out)
{
    uint32_t a = ntohl(vip.s_addr);
    for (size_t i = 0; i < offered->n; i++) {
        const struct ikev2_ts_selector *s = &offered->sel[i];
        if (usable(s) && get4(s->start_addr) <= a && a <= get4(s->end_addr)) {
            make_range(out, a, a);
            return 0;
        }
    }
    return -ENOENT;
}

size_t ikev2_narrow_tsr(const struct ikev2_ts *offered, const struct config_prefix *allowed, size_t n_allowed,
                        struct ikev2_ts_selector *out, size_t max)
{
    static const struct config_prefix everything = { .addr = { .family = AF_INET }, .prefix_len = 0 };
    size_t n = 0;
    if (n_allowed == 0) {
        allowed = &everything;
        n_allowed = 1;
    }
    for (size_t a = 0; a < n_allowed; a++) {
        const struct config_prefix *p = &allowed[a];
        if (p->addr.family != AF_INET || p->prefix_len > 32)
            continue;
        uint32_t mask = p->prefix_len == 0 ? 0 : UINT32_MAX << (32 - p->prefix_len);
        uint32_t pstart = ntohl(p->addr.in.s_addr) & mask, pend = pstart | ~mask;
        for (size_t i = 0; i < offered->n && n < max; i++) {
            const struct ikev2_ts_selector *s = &offered->sel[i];
            if (!usable(s))
                continue;
            uint32_t start = get4(s->start_addr), end = get4(s->end_addr);
            uint32_t lo = start > pstart ? start : pstart, hi = end < pend ? end : pend;
            if (lo > hi)
                continue;
            /* Offered ranges may overlap: keep each result once. */
            bool dup = false;
            for (size_t k = 0; k < n; k++)
                if (get4(out[k].start_addr) == lo && get4(out[k].end_addr) == hi)
                    dup = true;
            if (!dup)
                make_range(&out[n++], lo, hi);
        }
    }
    return n;
}

size_t ikev2_ts_to_prefixes(const struct ikev2_ts_selector *sel, struct config_prefix *out, size_t max)
{
    uint64_t start = get4(sel->start_addr), end = get4(sel->end_addr);
    size_t n = 0;
    while (start <= end && n < max) {
        /* The largest aligned block starting at `start` that fits. */
        unsigned bits = 0;
        while (bits < 32 && (start & ((UINT64_C(1) << (bits + 1)) - 1)) == 0 &&
               start + (UINT64_C(1) << (bits + 1)) - 1 <= end)
            bits++;
        out[n].addr.family = AF_INET;
        out[n].addr.in.s_addr = htonl((uint32_t)start);
        out[n].prefix_len = 32 - bits;
        n++;
        start += UINT64_C(1) << bits;
    }
    return n;
}

const char *ikev2_ts_format(const struct ikev2_ts_selector *sel, char *buf, size_t size)
{
    struct config_prefix p;
    char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
    if (sel->type != IKEV2_TS_IPV4_ADDR_RANGE) {
        snprintf(buf, size, "(type %u)", sel->type);
        return buf;
    }
    uint64_t span = (uint64_t)get4(sel->end_addr) - get4(sel->start_addr) + 1;
    if (ikev2_ts_to_prefixes(sel, &p, 1) == 1 && span == UINT64_C(1) << (32 - p.prefix_len)) {
        inet_ntop(AF_INET, &p.addr.in, a, sizeof(a));
        snprintf(buf, size, "%s/%u", a, p.prefix_len);
    } else {
        inet_ntop(AF_INET, sel->start_addr, a, sizeof(a));
        inet_ntop(AF_INET, sel->end_addr, b, sizeof(b));
        snprintf(buf, size, "%s-%s", a, b);
    }
    return buf;
}
