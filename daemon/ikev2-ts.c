/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ikev2-ts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Addresses as numbers: IPv4 in the low 32 bits, IPv6 in all 128, so that
 * one piece of range arithmetic serves both families. */
typedef unsigned __int128 ts_uint;

static size_t addr_len(uint8_t type)
{
    return type == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : 16;
}

static unsigned addr_bits(uint8_t type)
{
    return (unsigned)addr_len(type) * 8;
}

static ts_uint get_addr(const uint8_t *p, size_t len)
{
    ts_uint v = 0;
    for (size_t i = 0; i < len; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_addr(uint8_t *p, size_t len, ts_uint v)
{
    for (size_t i = len; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

/* All ones in the low `bits` bits (bits <= 128). */
static ts_uint low_ones(unsigned bits)
{
    return bits >= 128 ? ~(ts_uint)0 : ((ts_uint)1 << bits) - 1;
}

static uint8_t type_of_family(int family)
{
    return family == AF_INET ? IKEV2_TS_IPV4_ADDR_RANGE : IKEV2_TS_IPV6_ADDR_RANGE;
}

static const uint8_t *config_bytes(const struct config_address *a)
{
    return a->family == AF_INET ? (const uint8_t *)&a->in : (const uint8_t *)&a->in6;
}

/* A selector vpnd can honour: an address range of either family, every
 * protocol and port, start <= end. */
static bool usable(const struct ikev2_ts_selector *s)
{
    if (s->type != IKEV2_TS_IPV4_ADDR_RANGE && s->type != IKEV2_TS_IPV6_ADDR_RANGE)
        return false;
    size_t len = addr_len(s->type);
    return s->ip_protocol == 0 && s->start_port == 0 && s->end_port == 0xffff &&
           get_addr(s->start_addr, len) <= get_addr(s->end_addr, len);
}

static void make_range(struct ikev2_ts_selector *s, uint8_t type, ts_uint start, ts_uint end)
{
    memset(s, 0, sizeof(*s));
    s->type = type;
    s->ip_protocol = 0;
    s->start_port = 0;
    s->end_port = 0xffff;
    put_addr(s->start_addr, addr_len(type), start);
    put_addr(s->end_addr, addr_len(type), end);
}

int ikev2_narrow_tsi(const struct ikev2_ts *offered, const struct config_address *vip,
                     struct ikev2_ts_selector *out)
{
    uint8_t type = type_of_family(vip->family);
    size_t len = addr_len(type);
    ts_uint a = get_addr(config_bytes(vip), len);
    for (size_t i = 0; i < offered->n; i++) {
        const struct ikev2_ts_selector *s = &offered->sel[i];
        if (s->type == type && usable(s) && get_addr(s->start_addr, len) <= a && a <= get_addr(s->end_addr, len)) {
            make_range(out, type, a, a);
            return 0;
        }
    }
    return -ENOENT;
}

static bool family_wanted(int family, unsigned families)
{
    return (family == AF_INET && (families & IKEV2_TS_FAMILY_IP4)) ||
           (family == AF_INET6 && (families & IKEV2_TS_FAMILY_IP6));
}

size_t ikev2_narrow_tsr(const struct ikev2_ts *offered, const struct config_prefix *allowed, size_t n_allowed,
                        unsigned families, struct ikev2_ts_selector *out, size_t max)
{
    static const struct config_prefix everything[] = {
        { .addr = { .family = AF_INET }, .prefix_len = 0 },
        { .addr = { .family = AF_INET6 }, .prefix_len = 0 },
    };
    size_t n = 0;
    if (n_allowed == 0) {
        allowed = everything;
        n_allowed = sizeof(everything) / sizeof(everything[0]);
    }
    for (size_t a = 0; a < n_allowed; a++) {
        const struct config_prefix *p = &allowed[a];
        if (!family_wanted(p->addr.family, families))
            continue;
        uint8_t type = type_of_family(p->addr.family);
        unsigned bits = addr_bits(type);
        size_t len = addr_len(type);
        if (p->prefix_len > bits)
            continue;
        ts_uint host = low_ones(bits - p->prefix_len);
        ts_uint pstart = get_addr(config_bytes(&p->addr), len) & ~host, pend = pstart | host;
        for (size_t i = 0; i < offered->n && n < max; i++) {
            const struct ikev2_ts_selector *s = &offered->sel[i];
            if (s->type != type || !usable(s))
                continue;
            ts_uint start = get_addr(s->start_addr, len), end = get_addr(s->end_addr, len);
            ts_uint lo = start > pstart ? start : pstart, hi = end < pend ? end : pend;
            if (lo > hi)
                continue;
            /* Offered ranges may overlap: keep each result once. */
            bool dup = false;
            for (size_t k = 0; k < n; k++)
                if (out[k].type == type && get_addr(out[k].start_addr, len) == lo &&
                    get_addr(out[k].end_addr, len) == hi)
                    dup = true;
            if (!dup)
                make_range(&out[n++], type, lo, hi);
        }
    }
    return n;
}

size_t ikev2_ts_to_prefixes(const struct ikev2_ts_selector *sel, struct config_prefix *out, size_t max)
{
    if (sel->type != IKEV2_TS_IPV4_ADDR_RANGE && sel->type != IKEV2_TS_IPV6_ADDR_RANGE)
        return 0;
    size_t len = addr_len(sel->type);
    unsigned width = addr_bits(sel->type);
    ts_uint start = get_addr(sel->start_addr, len), end = get_addr(sel->end_addr, len);
    size_t n = 0;
    while (start <= end && n < max) {
        /* The largest aligned block starting at `start` that fits. */
        unsigned bits = 0;
        while (bits < width && (start & low_ones(bits + 1)) == 0 && (start | low_ones(bits + 1)) <= end)
            bits++;
        memset(&out[n], 0, sizeof(out[n]));
        out[n].addr.family = sel->type == IKEV2_TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6;
        put_addr(out[n].addr.family == AF_INET ? (uint8_t *)&out[n].addr.in : (uint8_t *)&out[n].addr.in6, len,
                 start);
        out[n].prefix_len = width - bits;
        n++;
        ts_uint last = start | low_ones(bits);
        if (last >= end)
            break;          /* also where start + 1 would wrap around */
        start = last + 1;
    }
    return n;
}

const char *ikev2_ts_format(const struct ikev2_ts_selector *sel, char *buf, size_t size)
{
    struct config_prefix p;
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    if (sel->type != IKEV2_TS_IPV4_ADDR_RANGE && sel->type != IKEV2_TS_IPV6_ADDR_RANGE) {
        snprintf(buf, size, "(type %u)", sel->type);
        return buf;
    }
    int family = sel->type == IKEV2_TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6;
    size_t len = addr_len(sel->type);
    unsigned width = addr_bits(sel->type);
    ts_uint start = get_addr(sel->start_addr, len), end = get_addr(sel->end_addr, len);
    if (ikev2_ts_to_prefixes(sel, &p, 1) == 1 && start <= end && (start | low_ones(width - p.prefix_len)) == end) {
        inet_ntop(family, config_bytes(&p.addr), a, sizeof(a));
        snprintf(buf, size, "%s/%u", a, p.prefix_len);
    } else {
        inet_ntop(family, sel->start_addr, a, sizeof(a));
        inet_ntop(family, sel->end_addr, b, sizeof(b));
        snprintf(buf, size, "%s-%s", a, b);
    }
    return buf;
}
