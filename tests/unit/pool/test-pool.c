/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Address pools (daemon/pool.c): exhaustion, requested addresses, sticky
 * reconnects, LRU reuse, reservations, large IPv6 pools, reload, and the
 * fixed-address registry.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "hashmap.h"
#include "pool.h"
#include "testing.h"

static struct config_address A(const char *text)
{
    struct config_address a = { 0 };
    if (inet_pton(AF_INET, text, &a.in) == 1) {
        a.family = AF_INET;
    } else if (inet_pton(AF_INET6, text, &a.in6) == 1) {
        a.family = AF_INET6;
    } else {
        printf("# bad address in test: %s\n", text);
        abort();
    }
    return a;
}

static const char *S(const struct config_address *a)
{
    static char buf[4][INET6_ADDRSTRLEN];
    static unsigned n;
    char *b = buf[n++ % 4];
    inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->in : (const void *)&a->in6, b,
              INET6_ADDRSTRLEN);
    return b;
}

static struct config_pool range(const char *name, const char *first, const char *last, unsigned prefix_len)
{
    struct config_pool c = { .name = (char *)name, .line = 1 };
    c.first = A(first);
    c.last = A(last);
    c.family = c.first.family;
    c.prefix_len = prefix_len;
    if (c.family == AF_INET)
        c.netmask.s_addr = htonl(prefix_len ? 0xffffffffu << (32 - prefix_len) : 0);
    return c;
}

static struct pool *make(const char *first, const char *last)
{
    struct config_pool c = range("test", first, last, 24);
    struct pool *p = NULL;
    CHECK_INT_EQ(pool_new(&c, &p), 0);
    if (!p)
        abort();
    return p;
}

/* Acquires and returns the address as text ("ENOSPC" etc. on failure). */
static const char *get(struct pool *p, const char *owner, const char *requested)
{
    struct config_address req, a;
    if (requested)
        req = A(requested);
    int r = pool_acquire(p, owner, requested ? &req : NULL, &a);
    if (r == -ENOSPC)
        return "ENOSPC";
    if (r < 0)
        return "error";
    return S(&a);
}

static int put(struct pool *p, const char *addr)
{
    struct config_address a = A(addr);
    return pool_release(p, &a);
}

static const char *owner_of(struct pool *p, const char *addr)
{
    struct config_address a = A(addr);
    const char *owner = "unset";
    int r = pool_lookup(p, &a, &owner);
    if (r == -ENOENT)
        return "free";
    return r < 0 ? "error" : owner ? owner : "(none)";
}

static void test_two_addresses_three_clients(void)
{
    struct pool *p = make("10.0.0.1", "10.0.0.2");
    struct pool_stats s = pool_stats(p);
    CHECK_INT_EQ(s.size, 2);
    CHECK_INT_EQ(s.in_use, 0);
    CHECK_INT_EQ(s.free, 2);
    CHECK_STR_EQ(get(p, "alice", NULL), "10.0.0.1");
    CHECK_STR_EQ(get(p, "bob", NULL), "10.0.0.2");
    CHECK_STR_EQ(get(p, "carol", NULL), "ENOSPC");
    s = pool_stats(p);
    CHECK_INT_EQ(s.in_use, 2);
    CHECK_INT_EQ(s.free, 0);
    CHECK_STR_EQ(owner_of(p, "10.0.0.1"), "alice");
    CHECK_STR_EQ(owner_of(p, "10.0.0.2"), "bob");
    CHECK_STR_EQ(pool_name(p), "test");
    CHECK_INT_EQ(pool_family(p), AF_INET);

    /* Once bob leaves, carol gets his address. */
    CHECK_INT_EQ(put(p, "10.0.0.2"), 0);
    CHECK_STR_EQ(get(p, "carol", NULL), "10.0.0.2");
    CHECK_STR_EQ(get(p, "bob", NULL), "ENOSPC");
    pool_free(p);
}

static void test_requested_address(void)
{
    struct pool *p = make("10.0.0.1", "10.0.0.6");
    CHECK_STR_EQ(get(p, "alice", "10.0.0.5"), "10.0.0.5");    /* honoured */
    CHECK_STR_EQ(get(p, "bob", "10.0.0.5"), "10.0.0.1");      /* taken: the lowest free */
    CHECK_STR_EQ(get(p, "carol", "10.9.9.9"), "10.0.0.2");    /* outside: ignored */
    CHECK_STR_EQ(get(p, "dave", "2001:db8::5"), "10.0.0.3");  /* other family: ignored */
    CHECK_STR_EQ(get(p, "erin", NULL), "10.0.0.4");
    /* The cursor steps over the requested 10.0.0.5. */
    CHECK_STR_EQ(get(p, "frank", NULL), "10.0.0.6");
    CHECK_STR_EQ(get(p, "grace", "10.0.0.6"), "ENOSPC");
    /* A released address may be requested by anyone. */
    CHECK_INT_EQ(put(p, "10.0.0.3"), 0);
    CHECK_STR_EQ(get(p, "grace", "10.0.0.3"), "10.0.0.3");
    CHECK_STR_EQ(owner_of(p, "10.0.0.3"), "grace");
    pool_free(p);
}

/* A reconnecting client gets its previous address back, although a
 * never-used one would come first for anyone else. */
static void test_sticky_reconnect(void)
{
    struct pool *p = make("10.0.0.1", "10.0.0.10");
    CHECK_STR_EQ(get(p, "alice", NULL), "10.0.0.1");
    CHECK_STR_EQ(get(p, "bob", NULL), "10.0.0.2");
    CHECK_INT_EQ(put(p, "10.0.0.1"), 0);
    CHECK_STR_EQ(get(p, "carol", NULL), "10.0.0.3");
    CHECK_STR_EQ(get(p, "alice", NULL), "10.0.0.1");
    /* Without owner key nothing is sticky. */
    CHECK_STR_EQ(get(p, NULL, NULL), "10.0.0.4");
    CHECK_STR_EQ(owner_of(p, "10.0.0.4"), "(none)");
    CHECK_INT_EQ(put(p, "10.0.0.4"), 0);
    CHECK_STR_EQ(get(p, NULL, NULL), "10.0.0.5");

    /* A second session of alice while the first holds her address. */
    CHECK_STR_EQ(get(p, "alice", NULL), "10.0.0.6");
    /* She releases both; the address released last is the sticky one. */
    CHECK_INT_EQ(put(p, "10.0.0.6"), 0);
    CHECK_INT_EQ(put(p, "10.0.0.1"), 0);
    CHECK_STR_EQ(get(p, "alice", NULL), "10.0.0.1");
    pool_free(p);
}

/* When someone else took an owner's old address, the owner no longer has
 * a sticky address and gets the usual choice. */
static void test_sticky_forgotten_after_reuse(void)
{
    struct pool *p = make("10.0.0.1", "10.0.0.2");
    CHECK_STR_EQ(get(p, "alice", NULL), "10.0.0.1");
    CHECK_STR_EQ(get(p, "carol", NULL), "10.0.0.2");
    CHECK_INT_EQ(put(p, "10.0.0.1"), 0);
    CHECK_STR_EQ(get(p, "bob", NULL), "10.0.0.1");            /* alice's, reused */
    CHECK_INT_EQ(put(p, "10.0.0.2"), 0);                      /* LRU: .2 */
    CHECK_INT_EQ(put(p, "10.0.0.1"), 0);                      /* LRU: .2, .1 */
    CHECK_STR_EQ(get(p, "alice", NULL), "10.0.0.2");          /* oldest, not .1 */
    CHECK_STR_EQ(get(p, "bob", NULL), "10.0.0.1");            /* bob's own */
    pool_free(p);
}

/* Never-used addresses come first; then the one released longest ago. */
static void test_lru_reuse_order(void)
{
    struct pool *p = make("192.0.2.1", "192.0.2.4");
    CHECK_STR_EQ(get(p, NULL, NULL), "192.0.2.1");
    CHECK_STR_EQ(get(p, NULL, NULL), "192.0.2.2");
    CHECK_INT_EQ(put(p, "192.0.2.1"), 0);
    CHECK_STR_EQ(get(p, NULL, NULL), "192.0.2.3");            /* not the just-released .1 */
    CHECK_STR_EQ(get(p, NULL, NULL), "192.0.2.4");
    CHECK_INT_EQ(put(p, "192.0.2.3"), 0);
    CHECK_INT_EQ(put(p, "192.0.2.4"), 0);
    CHECK_INT_EQ(put(p, "192.0.2.2"), 0);
    /* Released: .1, .3, .4, .2 (oldest first). */
    CHECK_STR_EQ(get(p, NULL, NULL), "192.0.2.1");
    CHECK_STR_EQ(get(p, NULL, NULL), "192.0.2.3");
    CHECK_STR_EQ(get(p, NULL, NULL), "192.0.2.4");
    CHECK_STR_EQ(get(p, NULL, NULL), "192.0.2.2");
    CHECK_STR_EQ(get(p, NULL, NULL), "ENOSPC");
    pool_free(p);
}

static void test_release_and_reacquire(void)
{
    struct pool *p = make("10.1.0.1", "10.1.0.3");
    CHECK_INT_EQ(put(p, "10.1.0.1"), -ENOENT);                /* never leased */
    CHECK_INT_EQ(put(p, "10.9.0.1"), -ENOENT);                /* not in the pool */
    CHECK_STR_EQ(get(p, "alice", NULL), "10.1.0.1");
    CHECK_INT_EQ(put(p, "10.1.0.1"), 0);
    CHECK_INT_EQ(put(p, "10.1.0.1"), -ENOENT);                /* twice */
    CHECK_STR_EQ(owner_of(p, "10.1.0.1"), "free");
    CHECK_INT_EQ(pool_stats(p).in_use, 0);
    for (int i = 0; i < 100; i++) {
        CHECK_STR_EQ(get(p, "alice", NULL), "10.1.0.1");
        CHECK_INT_EQ(put(p, "10.1.0.1"), 0);
    }
    CHECK_INT_EQ(pool_stats(p).in_use, 0);
    CHECK_INT_EQ(pool_stats(p).free, 3);
    pool_free(p);
}

static void test_reserve(void)
{
    struct pool *p = make("10.2.0.1", "10.2.0.4");
    struct config_address a = A("10.2.0.2"), out = A("10.2.1.1"), v6 = A("2001:db8::1");
    CHECK_INT_EQ(pool_reserve(p, &a, "restored"), 0);
    CHECK_INT_EQ(pool_reserve(p, &a, "other"), -EBUSY);
    CHECK_INT_EQ(pool_reserve(p, &out, "other"), -ERANGE);
    CHECK_INT_EQ(pool_reserve(p, &v6, "other"), -ERANGE);
    CHECK(pool_contains(p, &a));
    CHECK(!pool_contains(p, &out));
    CHECK(!pool_contains(p, &v6));
    CHECK_STR_EQ(owner_of(p, "10.2.0.2"), "restored");
    CHECK_STR_EQ(get(p, "x", NULL), "10.2.0.1");
    CHECK_STR_EQ(get(p, "y", NULL), "10.2.0.3");              /* steps over .2 */
    CHECK_STR_EQ(get(p, "z", NULL), "10.2.0.4");
    CHECK_STR_EQ(get(p, "w", NULL), "ENOSPC");
    pool_free(p);
}

static void test_iterate_leases(void)
{
    struct pool *p = make("10.3.0.1", "10.3.0.254");
    static const char *const names[] = { "u0", "u1", "u2", "u3", "u4" };
    for (int i = 0; i < 5; i++)
        get(p, names[i], NULL);
    CHECK_INT_EQ(put(p, "10.3.0.2"), 0);
    CHECK_INT_EQ(put(p, "10.3.0.4"), 0);
    struct pool_iter it = POOL_ITER_INIT;
    struct config_address a;
    const char *owner;
    int n = 0, ok = 0;
    while (pool_iterate(p, &it, &a, &owner)) {
        n++;
        const char *s = S(&a);
        ok += (strcmp(s, "10.3.0.1") == 0 && strcmp(owner, "u0") == 0) ||
              (strcmp(s, "10.3.0.3") == 0 && strcmp(owner, "u2") == 0) ||
              (strcmp(s, "10.3.0.5") == 0 && strcmp(owner, "u4") == 0);
    }
    CHECK_INT_EQ(n, 3);
    CHECK_INT_EQ(ok, 3);
    CHECK_INT_EQ(pool_stats(p).size, 254);
    CHECK_INT_EQ(pool_stats(p).free, 251);
    pool_free(p);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An IPv6 /64 (2^64 - 1 addresses after the anycast one): 10000 distinct
 * addresses without touching the rest of the range. */
static void test_ipv6_64_pool(void)
{
    struct config_pool c = range("v6", "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", 64);
    struct pool *p;
    CHECK_INT_EQ(pool_new(&c, &p), 0);
    CHECK(pool_stats(p).size == UINT64_MAX);
    CHECK(pool_stats(p).free == UINT64_MAX);
    struct hashmap *seen;
    CHECK_INT_EQ(hashmap_new(&seen), 0);
    struct config_address first = A("2001:db8:1:2::1");
    int dup = 0, outside = 0, failed = 0;
    double start = now();
    for (int i = 0; i < 10000; i++) {
        struct config_address a;
        char owner[16];
        snprintf(owner, sizeof(owner), "u%d", i);
        if (pool_acquire(p, owner, NULL, &a) < 0) {
            failed++;
            continue;
        }
        outside += !pool_contains(p, &a);
        dup += hashmap_put(seen, &a.in6, sizeof(a.in6), &seen) == -EEXIST;
    }
    double took = now() - start;
    CHECK_INT_EQ(failed, 0);
    CHECK_INT_EQ(dup, 0);
    CHECK_INT_EQ(outside, 0);
    CHECK_INT_EQ(pool_stats(p).in_use, 10000);
    /* Generous for sanitizers and a busy machine; a scan of the range
     * would not finish at all. */
    CHECK(took < 2.0);
    printf("# 10000 IPv6 acquisitions: %.3f s\n", took);
    CHECK(hashmap_get(seen, &first.in6, sizeof(first.in6)) != NULL);    /* lowest first */
    hashmap_free(seen);

    /* The very last address can be requested. */
    CHECK_STR_EQ(get(p, "last", "2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2:ffff:ffff:ffff:ffff");
    pool_free(p);

    /* Sizes below 2^64 are exact. */
    c = range("v6small", "2001:db8::1", "2001:db8::ffff", 112);
    CHECK_INT_EQ(pool_new(&c, &p), 0);
    CHECK_INT_EQ(pool_stats(p).size, 0xffff);
    pool_free(p);
    c = range("v6big", "2001:db8::", "2001:db8:0:1::", 64);   /* 2^64 + 1 */
    CHECK_INT_EQ(pool_new(&c, &p), 0);
    CHECK(pool_stats(p).size == UINT64_MAX);
    pool_free(p);
}

/* Past POOL_RELEASED_REMEMBERED released addresses, the oldest released
 * one is reused before any never-used one, so memory stays bounded. */
static void test_released_bound(void)
{
    struct config_pool c = range("v6", "2001:db8::1", "2001:db8::ffff:ffff", 96);
    struct pool *p;
    CHECK_INT_EQ(pool_new(&c, &p), 0);
    struct config_address *got = calloc(POOL_RELEASED_REMEMBERED + 1, sizeof(*got));
    int failed = 0;
    for (size_t i = 0; i <= POOL_RELEASED_REMEMBERED; i++)
        failed += pool_acquire(p, NULL, NULL, &got[i]) < 0;
    for (size_t i = 0; i < POOL_RELEASED_REMEMBERED - 1; i++)
        failed += pool_release(p, &got[i]) < 0;
    CHECK_INT_EQ(failed, 0);
    /* One short of the bound: still a new address. */
    struct config_address a;
    CHECK_INT_EQ(pool_acquire(p, NULL, NULL, &a), 0);
    CHECK_STR_EQ(S(&a), "2001:db8::4002");
    failed += pool_release(p, &a) < 0;
    failed += pool_release(p, &got[POOL_RELEASED_REMEMBERED - 1]) < 0;
    /* At the bound: the oldest released (the first address). */
    CHECK_INT_EQ(pool_acquire(p, NULL, NULL, &a), 0);
    CHECK_STR_EQ(S(&a), "2001:db8::1");
    CHECK_INT_EQ(failed, 0);
    free(got);
    pool_free(p);
}

struct evictions {
    int n;
    char text[512];
};

static void on_evicted(struct pool *p, const struct config_address *addr, const char *owner, void *userdata)
{
    struct evictions *e = userdata;
    e->n++;
    /* The pool is usable from the callback and no longer holds addr. */
    const char *o;
    if (pool_lookup(p, addr, &o) != -ENOENT)
        strcat(e->text, "[still leased]");
    size_t len = strlen(e->text);
    snprintf(e->text + len, sizeof(e->text) - len, "%s%s=%s", len ? " " : "", S(addr), owner ? owner : "-");
}

/* Sorted eviction report: hash order is random. */
static int word_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_words(char *text)
{
    char *words[16], copy[512];
    size_t n = 0;
    snprintf(copy, sizeof(copy), "%s", text);
    for (char *w = strtok(copy, " "); w && n < 16; w = strtok(NULL, " "))
        words[n++] = w;
    qsort(words, n, sizeof(words[0]), word_cmp);
    char out[512] = "";
    for (size_t i = 0; i < n; i++) {
        strcat(out, i ? " " : "");
        strcat(out, words[i]);
    }
    strcpy(text, out);
}

static void test_update_keeps_fitting_leases(void)
{
    struct pool *p = make("10.0.0.1", "10.0.0.10");
    static const char *const names[] = { "a", "b", "c", "d", "e", "f" };
    for (int i = 0; i < 6; i++)
        get(p, names[i], NULL);                               /* .1 - .6 */
    CHECK_INT_EQ(put(p, "10.0.0.2"), 0);                      /* released, outside below */
    CHECK_INT_EQ(put(p, "10.0.0.5"), 0);                      /* released, inside */

    struct config_pool c = range("renamed", "10.0.0.4", "10.0.0.20", 27);
    struct evictions e = { 0 };
    CHECK_INT_EQ(pool_update(p, &c, on_evicted, &e), 2);
    sort_words(e.text);
    CHECK_STR_EQ(e.text, "10.0.0.1=a 10.0.0.3=c");
    CHECK_STR_EQ(pool_name(p), "renamed");
    CHECK_INT_EQ(pool_config(p)->prefix_len, 27);
    struct pool_stats s = pool_stats(p);
    CHECK_INT_EQ(s.size, 17);
    CHECK_INT_EQ(s.in_use, 2);                                /* .4, .6 */
    CHECK_STR_EQ(owner_of(p, "10.0.0.4"), "d");
    CHECK_STR_EQ(owner_of(p, "10.0.0.6"), "f");
    CHECK_STR_EQ(owner_of(p, "10.0.0.1"), "free");
    CHECK_INT_EQ(put(p, "10.0.0.1"), -ENOENT);

    /* Never-used addresses first (skipping the kept leases), then the
     * released .5; e keeps his address. */
    CHECK_STR_EQ(get(p, "e", NULL), "10.0.0.5");
    CHECK_STR_EQ(get(p, "x", NULL), "10.0.0.7");
    /* b's old address is gone with the range: b gets a new one. */
    CHECK_STR_EQ(get(p, "b", NULL), "10.0.0.8");

    /* An unchanged range evicts nothing. */
    memset(&e, 0, sizeof(e));
    CHECK_INT_EQ(pool_update(p, &c, on_evicted, &e), 0);
    CHECK_INT_EQ(e.n, 0);
    CHECK_INT_EQ(pool_stats(p).in_use, 5);
    CHECK_STR_EQ(get(p, "y", NULL), "10.0.0.9");

    /* Another family: everything goes. */
    c = range("v6", "2001:db8::1", "2001:db8::ff", 120);
    memset(&e, 0, sizeof(e));
    CHECK_INT_EQ(pool_update(p, &c, on_evicted, &e), 6);
    CHECK_INT_EQ(e.n, 6);
    CHECK_INT_EQ(pool_stats(p).in_use, 0);
    CHECK_INT_EQ(pool_family(p), AF_INET6);
    CHECK_STR_EQ(get(p, "e", NULL), "2001:db8::1");
    CHECK_INT_EQ(pool_update(p, &c, NULL, NULL), 0);
    pool_free(p);
}

/* Shrinking a pool to below its leases, then growing it back. */
static void test_update_shrink_and_grow(void)
{
    struct pool *p = make("10.0.0.1", "10.0.0.4");
    for (int i = 0; i < 4; i++)
        get(p, NULL, NULL);
    struct config_pool c = range("test", "10.0.0.1", "10.0.0.2", 30);
    struct evictions e = { 0 };
    CHECK_INT_EQ(pool_update(p, &c, on_evicted, &e), 2);
    sort_words(e.text);
    CHECK_STR_EQ(e.text, "10.0.0.3=- 10.0.0.4=-");
    CHECK_STR_EQ(get(p, NULL, NULL), "ENOSPC");
    c = range("test", "10.0.0.1", "10.0.0.4", 29);
    CHECK_INT_EQ(pool_update(p, &c, on_evicted, &e), 0);
    CHECK_STR_EQ(get(p, NULL, NULL), "10.0.0.3");
    CHECK_STR_EQ(get(p, NULL, NULL), "10.0.0.4");
    CHECK_STR_EQ(get(p, NULL, NULL), "ENOSPC");
    pool_free(p);
}

static void test_fixed_addresses(void)
{
    struct fixed_addresses *f;
    CHECK_INT_EQ(fixed_addresses_new(&f), 0);
    struct config_address a = A("10.50.0.7"), b = A("10.50.0.8"), v6 = A("::a32:7");
    CHECK_INT_EQ(fixed_address_claim(f, &a, "alice"), 0);
    CHECK_INT_EQ(fixed_address_claim(f, &a, "mallory"), -EBUSY);
    CHECK_INT_EQ(fixed_address_claim(f, &a, "alice"), -EBUSY);   /* a second session */
    CHECK_INT_EQ(fixed_address_claim(f, &b, NULL), -EINVAL);
    CHECK_INT_EQ(fixed_address_claim(f, &b, "bob"), 0);
    /* ::10.50.0.7 has the same last four bytes, yet is another address. */
    CHECK(fixed_address_owner(f, &v6) == NULL);
    CHECK_INT_EQ(fixed_address_claim(f, &v6, "carol"), 0);
    CHECK_STR_EQ(fixed_address_owner(f, &a), "alice");
    CHECK_STR_EQ(fixed_address_owner(f, &v6), "carol");
    CHECK_INT_EQ(fixed_addresses_count(f), 3);
    CHECK_INT_EQ(fixed_address_release(f, &a), 0);
    CHECK_INT_EQ(fixed_address_release(f, &a), -ENOENT);
    CHECK(fixed_address_owner(f, &a) == NULL);
    CHECK_INT_EQ(fixed_address_claim(f, &a, "mallory"), 0);
    CHECK_STR_EQ(fixed_address_owner(f, &a), "mallory");
    CHECK_INT_EQ(fixed_addresses_count(f), 3);
    fixed_addresses_free(f);
}

static void test_bad_arguments(void)
{
    struct pool *p = NULL;
    struct config_pool c = range("bad", "10.0.0.9", "10.0.0.1", 24);
    CHECK_INT_EQ(pool_new(&c, &p), -EINVAL);                  /* ends before it starts */
    c = range("bad", "10.0.0.1", "2001:db8::1", 24);
    CHECK_INT_EQ(pool_new(&c, &p), -EINVAL);                  /* mixed families */
    CHECK(p == NULL);
    p = make("10.0.0.1", "10.0.0.1");
    CHECK_INT_EQ(pool_stats(p).size, 1);
    CHECK_INT_EQ(pool_update(p, &c, NULL, NULL), -EINVAL);
    CHECK_INT_EQ(pool_stats(p).size, 1);                      /* unchanged */
    CHECK_INT_EQ(pool_acquire(p, "a", NULL, NULL), -EINVAL);
    CHECK_STR_EQ(get(p, "a", NULL), "10.0.0.1");
    pool_free(p);
    pool_free(NULL);
}

TEST_MAIN(
    TEST(test_two_addresses_three_clients),
    TEST(test_requested_address),
    TEST(test_sticky_reconnect),
    TEST(test_sticky_forgotten_after_reuse),
    TEST(test_lru_reuse_order),
    TEST(test_release_and_reacquire),
    TEST(test_reserve),
    TEST(test_iterate_leases),
    TEST(test_ipv6_64_pool),
    TEST(test_released_bound),
    TEST(test_update_keeps_fitting_leases),
    TEST(test_update_shrink_and_grow),
    TEST(test_fixed_addresses),
    TEST(test_bad_arguments),
)
