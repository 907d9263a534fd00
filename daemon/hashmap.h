/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The daemon's one hash table: sessions by index, user or address, IKE SAs
 * by SPI, pool leases by address, configured users by name. Sessions, SAs
 * and addresses are found by hash, never by scanning all of them.
 *
 * Keys are byte strings (pointer + length) and are COPIED into the table,
 * so a caller never has to keep a key alive or embed anything in its
 * objects: the table is external, callers stay as simple as
 * `hashmap_put(map, &spi, sizeof(spi), sa)`. Values are the caller's
 * pointers (never NULL, so that NULL from hashmap_get() means "absent");
 * the table never frees them.
 *
 * SPIs, identities and user names come from the network, so buckets are
 * chosen with SipHash-2-4 under a random 128-bit key drawn from getrandom()
 * when the table is created: a peer cannot pick keys that all land in one
 * bucket. Chaining with automatic doubling keeps operations O(1) on
 * average; the table does not shrink (a peak of sessions costs one pointer
 * per bucket afterwards, nothing more).
 *
 * Not thread-safe: the daemon uses it from the event loop only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct hashmap;

/* The table's random SipHash key. */
struct hashmap_seed {
    uint8_t bytes[16];
};

/* For keys that are equal without being the same bytes (say, names
 * compared without case). `hash` must mix in `seed` -- build it on
 * hashmap_siphash() over a canonical form -- and keys that `equal` says
 * are equal must hash alike. */
struct hashmap_ops {
    uint64_t (*hash)(const void *key, size_t key_len, const struct hashmap_seed *seed);
    bool (*equal)(const void *a, size_t a_len, const void *b, size_t b_len);
};

/* SipHash-2-4 (Aumasson and Bernstein) of `data` under `seed`. */
uint64_t hashmap_siphash(const struct hashmap_seed *seed, const void *data, size_t len);

/* A table whose keys compare as bytes. -ENOMEM, or the getrandom() error. */
int hashmap_new(struct hashmap **ret);
/* A table with the caller's hash and equality; `ops` must outlive it. */
int hashmap_new_with_ops(struct hashmap **ret, const struct hashmap_ops *ops);
/* Frees the table and its copies of the keys, not the values. NULL is fine. */
void hashmap_free(struct hashmap *map);

size_t hashmap_size(const struct hashmap *map);

/* Adds key -> value. -EEXIST when the key is present (the table is
 * unchanged), -EINVAL for a NULL value, -ENOMEM. */
int hashmap_put(struct hashmap *map, const void *key, size_t key_len, void *value);
/* Adds or overwrites; the previous value (or NULL) goes to *old if non-NULL. */
int hashmap_replace(struct hashmap *map, const void *key, size_t key_len, void *value, void **old);
/* The value, or NULL when absent. */
void *hashmap_get(const struct hashmap *map, const void *key, size_t key_len);
/* Removes the key and returns its value, or NULL when absent. */
void *hashmap_remove(struct hashmap *map, const void *key, size_t key_len);

/* NUL-terminated string keys (the terminator is not part of the key). */
static inline int hashmap_put_str(struct hashmap *map, const char *key, void *value)
{
    return hashmap_put(map, key, strlen(key), value);
}
static inline void *hashmap_get_str(const struct hashmap *map, const char *key)
{
    return hashmap_get(map, key, strlen(key));
}
static inline void *hashmap_remove_str(struct hashmap *map, const char *key)
{
    return hashmap_remove(map, key, strlen(key));
}

/* Iteration, in no particular order:
 *
 *     struct hashmap_iter it = HASHMAP_ITER_INIT;
 *     const void *key; size_t len; void *value;
 *     while (hashmap_iterate(map, &it, &key, &len, &value))
 *         if (expired(value))
 *             hashmap_remove(map, key, len);   // allowed: the current entry
 *
 * While iterating, the current entry may be removed (and its value freed),
 * but no other entry may be added or removed. `key` points at the table's
 * copy and lives until the entry is removed. key/key_len/value may be NULL. */
struct hashmap_entry;
struct hashmap_iter {
    size_t bucket;
    struct hashmap_entry *next;
    bool started;
};
#define HASHMAP_ITER_INIT ((struct hashmap_iter){ 0 })
bool hashmap_iterate(const struct hashmap *map, struct hashmap_iter *it,
                     const void **key, size_t *key_len, void **value);
