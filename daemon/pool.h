/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Address pools: the inner addresses handed to remote-access clients
 * (IKEv2 CP INTERNAL_IP4/IP6_ADDRESS, IKEv1 Mode Config), from one
 * `struct config_pool` range (network, broadcast and anycast addresses are
 * already left out by the configuration code).
 *
 * Which address a client gets, in this order (like the ASA: the lowest
 * free address, but never one released a moment ago):
 *   1. the address it asked for, if it lies in the pool and is free;
 *   2. its previous address ("sticky": same owner key, i.e. identity or
 *      user name) if still free -- a reconnecting client keeps its address;
 *   3. the lowest address never handed out;
 *   4. the address released longest ago.
 * To keep memory bounded on huge pools (an IPv6 /64 has 2^64 addresses),
 * at most POOL_RELEASED_REMEMBERED released addresses are remembered; past
 * that, step 4 comes before step 3.
 *
 * Every operation is O(1) (amortised), never a scan of the range: a cursor
 * walks the never-used addresses upward, released addresses sit in an LRU
 * list, and leases are found in a hashmap by address.
 *
 * Exhaustion is -ENOSPC, so that the protocol answers
 * INTERNAL_ADDRESS_FAILURE; the caller logs
 *     "pool '%s' exhausted (%" PRIu64 " addresses in use)"
 * with pool_name() and pool_stats().in_use (tunnel groups with several
 * pools try the next one first).
 *
 * Not thread-safe: the event loop owns the pools.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hashmap.h"

#define POOL_RELEASED_REMEMBERED 16384

struct pool;

/* A pool for `config` (copied: the pool outlives a reload's config). */
int pool_new(const struct config_pool *config, struct pool **ret);
/* Frees the pool and its leases (no callbacks). NULL is fine. */
void pool_free(struct pool *pool);

const char *pool_name(const struct pool *pool);
int pool_family(const struct pool *pool);            /* AF_INET or AF_INET6 */
/* The pool's current range and mask (a copy of the config it was made or
 * last updated with; name and line included). */
const struct config_pool *pool_config(const struct pool *pool);
/* Whether addr lies in the pool's range (any family). */
bool pool_contains(const struct pool *pool, const struct config_address *addr);

/* Leases an address to `owner` (a NUL-terminated owner key, copied; NULL
 * for none, then nothing is sticky). `requested` (or NULL) is the address
 * the client asked for: granted if it is in the pool and free, otherwise
 * ignored. The address goes to *addr; compare it with *requested to know
 * whether the request was honoured.
 * -ENOSPC when every address is in use, -ENOMEM. */
int pool_acquire(struct pool *pool, const char *owner, const struct config_address *requested,
                 struct config_address *addr);

/* Leases exactly `addr` to `owner` (e.g. to restore a session). -ERANGE if
 * it is not in the pool, -EBUSY if in use, -ENOMEM. */
int pool_reserve(struct pool *pool, const struct config_address *addr, const char *owner);

/* Ends the lease of `addr`: it becomes free, remembered for its owner and
 * reused last. -ENOENT if it was not leased. */
int pool_release(struct pool *pool, const struct config_address *addr);

/* Whether `addr` is leased: 0 and its owner key in *owner (NULL when
 * leased without one; `owner` may be NULL), or -ENOENT when it is free or
 * not in the pool. */
int pool_lookup(const struct pool *pool, const struct config_address *addr, const char **owner);

struct pool_stats {
    uint64_t size;          /* addresses in the range; UINT64_MAX when 2^64 or more */
    uint64_t in_use;
    uint64_t free;          /* size - in_use (saturated like size) */
};
struct pool_stats pool_stats(const struct pool *pool);

/* The leases in use, in no particular order (for `vpnctl pools`):
 *     struct pool_iter it = POOL_ITER_INIT;
 *     struct config_address a; const char *owner;
 *     while (pool_iterate(pool, &it, &a, &owner)) ...
 * The pool must not change during the walk. owner may be NULL. */
struct pool_iter {
    struct hashmap_iter map;
};
#define POOL_ITER_INIT ((struct pool_iter){ .map = HASHMAP_ITER_INIT })
bool pool_iterate(const struct pool *pool, struct pool_iter *it, struct config_address *addr,
                  const char **owner);

/* Reload: the pool takes the range of `config` (same or another name).
 * Leases that still fit are kept; each one that does not is released and
 * reported to `evicted` (if non-NULL) so that the daemon ends that session.
 * Returns the number evicted, or -ENOMEM (the pool is then unchanged). */
typedef void (*pool_evicted_fn)(struct pool *pool, const struct config_address *addr,
                                const char *owner, void *userdata);
int pool_update(struct pool *pool, const struct config_pool *config, pool_evicted_fn evicted,
                void *userdata);

/* ------------------------------------------------------------------------
 * Fixed addresses: a user's own address (users = ( { address = ...; } )),
 * which lies outside every pool. The registry refuses to give one address
 * to two sessions at once.
 * ------------------------------------------------------------------------ */

struct fixed_addresses;

int fixed_addresses_new(struct fixed_addresses **ret);
void fixed_addresses_free(struct fixed_addresses *fixed);

/* Claims `addr` for `owner` (copied, required). -EBUSY when another claim
 * holds it (even with the same owner key: one address, one session),
 * -ENOMEM. */
int fixed_address_claim(struct fixed_addresses *fixed, const struct config_address *addr, const char *owner);
/* -ENOENT when not claimed. */
int fixed_address_release(struct fixed_addresses *fixed, const struct config_address *addr);
/* The owner key holding addr, or NULL. */
const char *fixed_address_owner(const struct fixed_addresses *fixed, const struct config_address *addr);
size_t fixed_addresses_count(const struct fixed_addresses *fixed);
