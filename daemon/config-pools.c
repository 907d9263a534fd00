/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pools = ( { name = "webvpn1"; range = "10.2.2.1-10.2.2.10"; netmask = "255.255.255.0"; },
 *           { name = "v6"; range = "2001:db8:1::/112"; prefix-length = 64; } );
 *
 * Address pools for Mode Config / configuration payloads (ASA `ip local
 * pool`, `ipv6 local pool`). A range is "first-last" or a CIDR prefix; a
 * CIDR IPv4 prefix leaves out its network and broadcast addresses (except
 * /31 and /32), an IPv6 prefix its subnet-router anycast address (prefix::0).
 *
 * Unlike the ASA, a range without a netmask does not fall back to the
 * classful mask: the default is the smallest mask covering the range (the
 * CIDR's own mask for a prefix). Pools must not overlap, because two pools
 * handing out one address would give two clients the same address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config-internal.h"

static uint8_t *bytes(struct config_address *a, size_t *n)
{
    *n = a->family == AF_INET ? 4 : 16;
    return a->family == AF_INET ? (uint8_t *)&a->in : (uint8_t *)&a->in6;
}

/* Adds `delta` (+1 or -1) to an address, big-endian, without wrapping. */
static void address_step(struct config_address *a, int delta)
{
    size_t n;
    uint8_t *b = bytes(a, &n);
    for (size_t i = n; i-- > 0;) {
        if (delta > 0 && b[i]++ != 0xff)
            return;
        if (delta < 0 && b[i]-- != 0x00)
            return;
    }
}

/* The last address of a prefix: every host bit set. */
static struct config_address prefix_last(const struct config_prefix *pfx)
{
    struct config_address last = pfx->addr;
    size_t n;
    uint8_t *b = bytes(&last, &n);
    for (size_t i = 0; i < n; i++) {
        unsigned start = 8 * (unsigned)i;
        if (pfx->prefix_len >= start + 8)
            continue;
        if (pfx->prefix_len <= start)
            b[i] = 0xff;
        else
            b[i] |= (uint8_t)(0xff >> (pfx->prefix_len - start));
    }
    return last;
}

/* Length of the longest prefix shared by a and b. */
static unsigned common_prefix_len(const struct config_address *a, const struct config_address *b)
{
    size_t n;
    struct config_address x = *a, y = *b;
    uint8_t *xb = bytes(&x, &n), *yb = bytes(&y, &n);
    unsigned len = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t diff = xb[i] ^ yb[i];
        if (diff == 0) {
            len += 8;
            continue;
        }
        while (!(diff & 0x80)) {
            len++;
            diff <<= 1;
        }
        break;
    }
    return len;
}

static int parse_range(struct config_parser *p, const config_setting_t *s, const char *what,
                       struct config_pool *pool, unsigned *cidr_len, bool *is_cidr)
{
    const char *text;
    int r = config_member_string(p, s, what, "range", true, &text);
    if (r < 0)
        return r;
    const config_setting_t *m = config_member(s, "range");
    char buf[2 * INET6_ADDRSTRLEN + 2];
    if (strlen(text) >= sizeof(buf))
        return config_fail(p, m, "%s: '%s' is not a range (first-last) or prefix (address/length)", what, text);
    strcpy(buf, text);

    char *dash = strchr(buf, '-');
    if (dash) {
        *dash = '\0';
        if (config_parse_address(buf, &pool->first) < 0 || config_parse_address(dash + 1, &pool->last) < 0)
            return config_fail(p, m, "%s: '%s' is not a range of two addresses (first-last)", what, text);
        if (pool->first.family != pool->last.family)
            return config_fail(p, m, "%s: range '%s' mixes IPv4 and IPv6", what, text);
        if (config_address_compare(&pool->first, &pool->last) > 0)
            return config_fail(p, m, "%s: range '%s' ends before it starts", what, text);
        pool->family = pool->first.family;
        *is_cidr = false;
        return 0;
    }

    struct config_prefix pfx;
    r = config_parse_prefix(text, &pfx);
    if (r == -EDOM)
        return config_fail(p, m, "%s: prefix '%s' has host bits set", what, text);
    if (r < 0)
        return config_fail(p, m, "%s: '%s' is not a range (first-last) or prefix (address/length)", what, text);
    pool->family = pfx.addr.family;
    pool->first = pfx.addr;
    pool->last = prefix_last(&pfx);
    unsigned bits = pool->family == AF_INET ? 32 : 128;
    if (pool->family == AF_INET && pfx.prefix_len <= 30) {
        address_step(&pool->first, +1);     /* network address */
        address_step(&pool->last, -1);      /* broadcast address */
    } else if (pool->family == AF_INET6 && pfx.prefix_len <= 126) {
        address_step(&pool->first, +1);     /* subnet-router anycast */
    } else if (pool->family == AF_INET6 && pfx.prefix_len < bits) {
        return config_fail(p, m, "%s: prefix '%s' is too small for a pool (at most /126)", what, text);
    }
    *cidr_len = pfx.prefix_len;
    *is_cidr = true;
    return 0;
}

static int parse_pool(struct config_parser *p, const config_setting_t *s, struct config_pool *pool)
{
    static const char *const keys[] = { "name", "range", "netmask", "prefix-length", NULL };
    char what[128];
    const char *mask = NULL;
    unsigned cidr_len = 0;
    bool is_cidr = false;
    int r;

    r = config_named_entry(p, s, "pool", keys, what, sizeof(what), &pool->name, &pool->line);
    if (r < 0)
        return r;
    r = parse_range(p, s, what, pool, &cidr_len, &is_cidr);
    if (r < 0)
        return r;

    r = config_member_string(p, s, what, "netmask", false, &mask);
    if (r < 0)
        return r;
    const config_setting_t *ms = config_member(s, "netmask");
    const config_setting_t *pls = config_member(s, "prefix-length");

    if (pool->family == AF_INET) {
        if (pls)
            return config_fail(p, pls, "%s: 'prefix-length' is for IPv6 pools; use 'netmask'", what);
        if (mask) {
            r = config_parse_netmask(mask, &pool->netmask, &pool->prefix_len);
            if (r < 0)
                return config_fail(p, ms, "%s: netmask '%s' is not a contiguous dotted IPv4 mask", what, mask);
        } else {
            pool->prefix_len = is_cidr ? cidr_len : common_prefix_len(&pool->first, &pool->last);
            pool->netmask.s_addr = pool->prefix_len ? htonl(0xffffffffu << (32 - pool->prefix_len)) : 0;
        }
        /* Every address handed out must lie in the network the mask
         * describes, or the client's on-link route would be wrong. */
        if (common_prefix_len(&pool->first, &pool->last) < pool->prefix_len) {
            char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
            return config_fail(p, ms ? ms : s, "%s: netmask %s does not cover the range %s-%s", what,
                               inet_ntop(AF_INET, &pool->netmask, (char[INET_ADDRSTRLEN]){ 0 }, INET_ADDRSTRLEN),
                               config_address_to_string(&pool->first, a, sizeof(a)),
                               config_address_to_string(&pool->last, b, sizeof(b)));
        }
    } else {
        if (ms)
            return config_fail(p, ms, "%s: 'netmask' is for IPv4 pools; use 'prefix-length'", what);
        unsigned long long len = is_cidr ? cidr_len : 128;
        r = config_member_uint(p, s, what, "prefix-length", 1, 128, &len);
        if (r < 0)
            return r;
        pool->prefix_len = (unsigned)len;
    }
    return 0;
}

int config_parse_pools(struct config_parser *p, const config_setting_t *s)
{
    struct vpnd_config *c = p->config;
    if (!s)
        return 0;
    int n = config_section_list(p, s, "pools");
    if (n <= 0)
        return n;
    c->pools = calloc((size_t)n, sizeof(*c->pools));
    if (!c->pools)
        return config_fail_errno(p, s, ENOMEM, "out of memory");

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        struct config_pool *pool = &c->pools[i];
        c->n_pools++;
        int r = parse_pool(p, e, pool);
        if (r < 0)
            return r;
        for (int j = 0; j < i; j++) {
            const struct config_pool *o = &c->pools[j];
            if (o->family == pool->family && config_address_compare(&pool->first, &o->last) <= 0 &&
                config_address_compare(&o->first, &pool->last) <= 0)
                return config_fail(p, config_member(e, "range"), "pool '%s' overlaps pool '%s' (line %u)",
                                   pool->name, o->name, o->line);
        }
    }
    return 0;
}

void config_pool_done(struct config_pool *pool)
{
    free(pool->name);
}

/* The pool holding `addr`, for the users' fixed-address check. */
const struct config_pool *config_pool_containing(const struct vpnd_config *c, const struct config_address *addr)
{
    for (size_t i = 0; i < c->n_pools; i++)
        if (c->pools[i].family == addr->family && config_address_compare(&c->pools[i].first, addr) <= 0 &&
            config_address_compare(addr, &c->pools[i].last) <= 0)
            return &c->pools[i];
    return NULL;
}
