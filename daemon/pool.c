/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Address pools (see pool.h for the policy).
 *
 * A pool keeps a record for every address it has handed out and still
 * remembers: in use, or released (then in the LRU list, oldest first, with
 * its last owner for stickiness). Addresses without a record at or above
 * the cursor have never been handed out; every address below the cursor
 * has a record, so the cursor only ever moves up, skipping records that
 * requests or reservations made ahead of it. Each record is skipped at most
 * once per cursor pass, so acquiring is O(1) amortised even for a /64.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pool.h"

struct lease {
    struct config_address addr;
    char *owner;                    /* owner key, NULL for none */
    bool in_use;
    struct lease *lru_prev, *lru_next;  /* released: LRU list; eviction: a private list */
};

struct pool {
    struct config_pool config;      /* a copy; name owned */
    size_t key_len;                 /* 4 or 16: address bytes are the lease key */
    uint64_t size;                  /* saturated at UINT64_MAX */
    uint64_t in_use;
    struct hashmap *leases;         /* address -> struct lease, in use or released */
    struct hashmap *owners;         /* owner key -> the lease it held last */
    struct lease *lru_head, *lru_tail;  /* released: head released longest ago */
    size_t n_released;
    struct config_address cursor;   /* lowest address that may never have been used */
    bool cursor_done;               /* the cursor went past the last address */
};

/* --- addresses ------------------------------------------------------------ */

static const uint8_t *addr_bytes(const struct config_address *a)
{
    return a->family == AF_INET ? (const uint8_t *)&a->in : (const uint8_t *)&a->in6;
}

static size_t family_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

/* Big-endian bytes compare as numbers; same family assumed. */
static int addr_cmp(const struct config_address *a, const struct config_address *b)
{
    return memcmp(addr_bytes(a), addr_bytes(b), family_len(a->family));
}

static bool addr_eq(const struct config_address *a, const struct config_address *b)
{
    return a->family == b->family && addr_cmp(a, b) == 0;
}

static void addr_increment(struct config_address *a)
{
    uint8_t *b = (uint8_t *)addr_bytes(a);
    for (size_t i = family_len(a->family); i-- > 0;)
        if (b[i]++ != 0xff)
            return;
}

static uint64_t load_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* last - first + 1, saturated at UINT64_MAX. */
static uint64_t range_size(const struct config_pool *c)
{
    uint8_t f[16] = { 0 }, l[16] = { 0 };
    size_t n = family_len(c->family);
    memcpy(f + 16 - n, addr_bytes(&c->first), n);
    memcpy(l + 16 - n, addr_bytes(&c->last), n);
    uint64_t fhi = load_be64(f), flo = load_be64(f + 8);
    uint64_t lhi = load_be64(l), llo = load_be64(l + 8);
    uint64_t lo = llo - flo;
    uint64_t hi = lhi - fhi - (llo < flo);
    if (hi != 0 || lo == UINT64_MAX)
        return UINT64_MAX;
    return lo + 1;
}

bool pool_contains(const struct pool *pool, const struct config_address *addr)
{
    return pool && addr && addr->family == pool->config.family &&
           addr_cmp(addr, &pool->config.first) >= 0 && addr_cmp(addr, &pool->config.last) <= 0;
}

/* --- records -------------------------------------------------------------- */

static struct lease *lease_get(const struct pool *pool, const struct config_address *addr)
{
    return hashmap_get(pool->leases, addr_bytes(addr), pool->key_len);
}

static void lru_unlink(struct pool *pool, struct lease *l)
{
    if (l->lru_prev)
        l->lru_prev->lru_next = l->lru_next;
    else
        pool->lru_head = l->lru_next;
    if (l->lru_next)
        l->lru_next->lru_prev = l->lru_prev;
    else
        pool->lru_tail = l->lru_prev;
    l->lru_prev = l->lru_next = NULL;
    pool->n_released--;
}

static void lru_append(struct pool *pool, struct lease *l)
{
    l->lru_next = NULL;
    l->lru_prev = pool->lru_tail;
    if (pool->lru_tail)
        pool->lru_tail->lru_next = l;
    else
        pool->lru_head = l;
    pool->lru_tail = l;
    pool->n_released++;
}

/* Drops the owner's sticky pointer if it names this record. */
static void owner_forget(struct pool *pool, struct lease *l)
{
    if (l->owner && hashmap_get_str(pool->owners, l->owner) == l)
        hashmap_remove_str(pool->owners, l->owner);
}

/* Gives record `l` (new, or released) to `owner`. On failure a new record
 * is freed and a released one stays as it was. */
static int lease_take(struct pool *pool, struct lease *l, bool is_new, const char *owner)
{
    char *copy = NULL;
    if (owner && !(copy = strdup(owner)))
        goto nomem;
    if (is_new && hashmap_put(pool->leases, addr_bytes(&l->addr), pool->key_len, l) < 0)
        goto nomem;
    if (copy) {
        int r = hashmap_replace(pool->owners, copy, strlen(copy), l, NULL);
        if (r < 0) {
            if (is_new)
                hashmap_remove(pool->leases, addr_bytes(&l->addr), pool->key_len);
            goto nomem;
        }
    }
    if (!is_new) {
        lru_unlink(pool, l);
        /* The replace above already points a same-owner key at l. */
        if (!(copy && l->owner && strcmp(copy, l->owner) == 0))
            owner_forget(pool, l);
        free(l->owner);
    }
    l->owner = copy;
    l->in_use = true;
    pool->in_use++;
    return 0;
nomem:
    free(copy);
    if (is_new)
        free(l);
    return -ENOMEM;
}

static int lease_new(struct pool *pool, const struct config_address *addr, const char *owner)
{
    struct lease *l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->addr = *addr;
    return lease_take(pool, l, true, owner);
}

static void lease_free(struct lease *l)
{
    free(l->owner);
    free(l);
}

/* The lowest address never handed out, or false. Moves the cursor past
 * addresses that already have records. */
static bool cursor_peek(struct pool *pool, struct config_address *addr)
{
    while (!pool->cursor_done) {
        if (!lease_get(pool, &pool->cursor)) {
            *addr = pool->cursor;
            return true;
        }
        if (addr_eq(&pool->cursor, &pool->config.last))
            pool->cursor_done = true;
        else
            addr_increment(&pool->cursor);
    }
    return false;
}

/* --- the pool ------------------------------------------------------------- */

static void cursor_reset(struct pool *pool)
{
    pool->cursor = pool->config.first;
    pool->cursor_done = false;
}

static bool config_usable(const struct config_pool *config)
{
    return config && (config->family == AF_INET || config->family == AF_INET6) &&
           config->first.family == config->family && config->last.family == config->family &&
           addr_cmp(&config->first, &config->last) <= 0;
}

int pool_new(const struct config_pool *config, struct pool **ret)
{
    if (!ret || !config_usable(config))
        return -EINVAL;
    struct pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return -ENOMEM;
    int r = hashmap_new(&pool->leases);
    if (r >= 0)
        r = hashmap_new(&pool->owners);
    pool->config = *config;
    pool->config.name = config->name ? strdup(config->name) : NULL;
    if (r >= 0 && config->name && !pool->config.name)
        r = -ENOMEM;
    if (r < 0) {
        pool_free(pool);
        return r;
    }
    pool->key_len = family_len(config->family);
    pool->size = range_size(config);
    cursor_reset(pool);
    *ret = pool;
    return 0;
}

void pool_free(struct pool *pool)
{
    if (!pool)
        return;
    struct hashmap_iter it = HASHMAP_ITER_INIT;
    void *value;
    while (hashmap_iterate(pool->leases, &it, NULL, NULL, &value))
        lease_free(value);
    hashmap_free(pool->leases);
    hashmap_free(pool->owners);
    free(pool->config.name);
    free(pool);
}

const char *pool_name(const struct pool *pool)
{
    return pool->config.name;
}

int pool_family(const struct pool *pool)
{
    return pool->config.family;
}

const struct config_pool *pool_config(const struct pool *pool)
{
    return &pool->config;
}

int pool_acquire(struct pool *pool, const char *owner, const struct config_address *requested,
                 struct config_address *addr)
{
    if (!pool || !addr)
        return -EINVAL;
    struct lease *l;
    struct config_address a;

    /* 1. What the client asked for, if free. */
    if (requested && pool_contains(pool, requested)) {
        l = lease_get(pool, requested);
        if (!l || !l->in_use) {
            int r = l ? lease_take(pool, l, false, owner) : lease_new(pool, requested, owner);
            if (r < 0)
                return r;
            *addr = *requested;
            return 0;
        }
    }
    /* 2. Its previous address, if free. */
    if (owner) {
        l = hashmap_get_str(pool->owners, owner);
        if (l && !l->in_use) {
            int r = lease_take(pool, l, false, owner);
            if (r < 0)
                return r;
            *addr = l->addr;
            return 0;
        }
    }
    /* 3. Never used, unless too many released addresses wait to be reused. */
    if (pool->n_released < POOL_RELEASED_REMEMBERED && cursor_peek(pool, &a)) {
        int r = lease_new(pool, &a, owner);
        if (r < 0)
            return r;
        *addr = a;
        return 0;
    }
    /* 4. Released longest ago (then never used, when that was skipped). */
    l = pool->lru_head;
    if (l) {
        int r = lease_take(pool, l, false, owner);
        if (r < 0)
            return r;
        *addr = l->addr;
        return 0;
    }
    if (cursor_peek(pool, &a)) {
        int r = lease_new(pool, &a, owner);
        if (r < 0)
            return r;
        *addr = a;
        return 0;
    }
    return -ENOSPC;
}

int pool_reserve(struct pool *pool, const struct config_address *addr, const char *owner)
{
    if (!pool || !addr)
        return -EINVAL;
    if (!pool_contains(pool, addr))
        return -ERANGE;
    struct lease *l = lease_get(pool, addr);
    if (l && l->in_use)
        return -EBUSY;
    return l ? lease_take(pool, l, false, owner) : lease_new(pool, addr, owner);
}

int pool_release(struct pool *pool, const struct config_address *addr)
{
    if (!pool || !addr)
        return -EINVAL;
    struct lease *l = pool_contains(pool, addr) ? lease_get(pool, addr) : NULL;
    if (!l || !l->in_use)
        return -ENOENT;
    /* Point the owner at this address even if it held another one since:
     * the address released last is the one to give back. Failing that
     * (no memory), the owner merely loses its sticky address. */
    if (l->owner && hashmap_replace(pool->owners, l->owner, strlen(l->owner), l, NULL) < 0)
        owner_forget(pool, l);
    l->in_use = false;
    pool->in_use--;
    lru_append(pool, l);
    return 0;
}

int pool_lookup(const struct pool *pool, const struct config_address *addr, const char **owner)
{
    if (!pool || !addr)
        return -EINVAL;
    struct lease *l = pool_contains(pool, addr) ? lease_get(pool, addr) : NULL;
    if (!l || !l->in_use)
        return -ENOENT;
    if (owner)
        *owner = l->owner;
    return 0;
}

struct pool_stats pool_stats(const struct pool *pool)
{
    struct pool_stats s = { .size = pool->size, .in_use = pool->in_use };
    s.free = pool->size == UINT64_MAX ? UINT64_MAX : pool->size - pool->in_use;
    return s;
}

bool pool_iterate(const struct pool *pool, struct pool_iter *it, struct config_address *addr,
                  const char **owner)
{
    void *value;
    while (hashmap_iterate(pool->leases, &it->map, NULL, NULL, &value)) {
        const struct lease *l = value;
        if (!l->in_use)
            continue;
        if (addr)
            *addr = l->addr;
        if (owner)
            *owner = l->owner;
        return true;
    }
    return false;
}

int pool_update(struct pool *pool, const struct config_pool *config, pool_evicted_fn evicted,
                void *userdata)
{
    if (!pool || !config_usable(config))
        return -EINVAL;
    char *name = NULL;
    if (config->name && !(name = strdup(config->name)))
        return -ENOMEM;
    free(pool->config.name);
    pool->config = *config;
    pool->config.name = name;
    pool->key_len = family_len(config->family);
    pool->size = range_size(config);

    /* Take out every record outside the new range first, and report the
     * leases among them only once the pool is consistent again, so that
     * the callback may use the pool. */
    struct lease *gone = NULL;
    struct hashmap_iter it = HASHMAP_ITER_INIT;
    const void *key;
    size_t key_len;
    void *value;
    while (hashmap_iterate(pool->leases, &it, &key, &key_len, &value)) {
        struct lease *l = value;
        if (pool_contains(pool, &l->addr))
            continue;
        hashmap_remove(pool->leases, key, key_len);
        if (l->in_use)
            pool->in_use--;
        else
            lru_unlink(pool, l);
        owner_forget(pool, l);
        l->lru_next = gone;
        gone = l;
    }
    cursor_reset(pool);

    int n = 0;
    while (gone) {
        struct lease *l = gone;
        gone = l->lru_next;
        if (l->in_use) {
            n++;
            if (evicted)
                evicted(pool, &l->addr, l->owner, userdata);
        }
        lease_free(l);
    }
    return n;
}

/* --- fixed addresses ------------------------------------------------------ */

struct fixed_addresses {
    struct hashmap *claims;         /* family + address bytes -> struct fixed_claim */
};

struct fixed_claim {
    char *owner;
};

/* The family is part of the key: ::a00:1 and 10.0.0.1 are different. */
static size_t fixed_key(const struct config_address *addr, uint8_t key[17])
{
    size_t n = family_len(addr->family);
    key[0] = addr->family == AF_INET ? 4 : 6;
    memcpy(key + 1, addr_bytes(addr), n);
    return n + 1;
}

static bool family_ok(const struct config_address *addr)
{
    return addr && (addr->family == AF_INET || addr->family == AF_INET6);
}

int fixed_addresses_new(struct fixed_addresses **ret)
{
    if (!ret)
        return -EINVAL;
    struct fixed_addresses *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    int r = hashmap_new(&f->claims);
    if (r < 0) {
        free(f);
        return r;
    }
    *ret = f;
    return 0;
}

void fixed_addresses_free(struct fixed_addresses *fixed)
{
    if (!fixed)
        return;
    struct hashmap_iter it = HASHMAP_ITER_INIT;
    void *value;
    while (hashmap_iterate(fixed->claims, &it, NULL, NULL, &value)) {
        struct fixed_claim *c = value;
        free(c->owner);
        free(c);
    }
    hashmap_free(fixed->claims);
    free(fixed);
}

int fixed_address_claim(struct fixed_addresses *fixed, const struct config_address *addr, const char *owner)
{
    if (!fixed || !family_ok(addr) || !owner)
        return -EINVAL;
    uint8_t key[17];
    size_t n = fixed_key(addr, key);
    if (hashmap_get(fixed->claims, key, n))
        return -EBUSY;
    struct fixed_claim *c = calloc(1, sizeof(*c));
    if (!c || !(c->owner = strdup(owner))) {
        free(c);
        return -ENOMEM;
    }
    int r = hashmap_put(fixed->claims, key, n, c);
    if (r < 0) {
        free(c->owner);
        free(c);
        return r;
    }
    return 0;
}

int fixed_address_release(struct fixed_addresses *fixed, const struct config_address *addr)
{
    if (!fixed || !family_ok(addr))
        return -EINVAL;
    uint8_t key[17];
    struct fixed_claim *c = hashmap_remove(fixed->claims, key, fixed_key(addr, key));
    if (!c)
        return -ENOENT;
    free(c->owner);
    free(c);
    return 0;
}

const char *fixed_address_owner(const struct fixed_addresses *fixed, const struct config_address *addr)
{
    if (!fixed || !family_ok(addr))
        return NULL;
    uint8_t key[17];
    const struct fixed_claim *c = hashmap_get(fixed->claims, key, fixed_key(addr, key));
    return c ? c->owner : NULL;
}

size_t fixed_addresses_count(const struct fixed_addresses *fixed)
{
    return fixed ? hashmap_size(fixed->claims) : 0;
}
