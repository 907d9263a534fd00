/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The shared hash table (daemon/hashmap.c): SipHash-2-4 against the
 * reference vector and OpenSSL's, many entries, removal while iterating,
 * growth, awkward keys, the spread of structured keys, custom equality.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "hashmap.h"
#include "testing.h"

/* Distinct non-NULL values for integer keys. */
static char values[100000];

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void test_siphash_reference(void)
{
    /* The SipHash paper's example: key 00..0f, message 00..0e. */
    struct hashmap_seed seed;
    uint8_t msg[15];
    for (unsigned i = 0; i < 16; i++)
        seed.bytes[i] = (uint8_t)i;
    for (unsigned i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    CHECK(hashmap_siphash(&seed, msg, sizeof(msg)) == 0xa129ca6149be45e5ULL);
}

/* Every length from 0 to 64 (each tail length, several blocks) against
 * OpenSSL's SipHash-2-4 with an 8-byte output. */
static void test_siphash_matches_openssl(void)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    CHECK(mac != NULL);
    if (!mac)
        return;
    struct hashmap_seed seed;
    uint8_t msg[64];
    for (unsigned i = 0; i < 16; i++)
        seed.bytes[i] = (uint8_t)(0xa5 ^ (i * 37));
    for (unsigned i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 131 + 7);
    int mismatches = 0;
    for (size_t len = 0; len <= sizeof(msg); len++) {
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
        unsigned size = 8;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_SIZE, &size),
            OSSL_PARAM_construct_end(),
        };
        uint8_t out[16];
        size_t out_len = 0;
        int ok = ctx && EVP_MAC_init(ctx, seed.bytes, sizeof(seed.bytes), params) &&
                 EVP_MAC_update(ctx, msg, len) && EVP_MAC_final(ctx, out, &out_len, sizeof(out));
        CHECK(ok);
        CHECK_INT_EQ(out_len, 8);
        if (ok && out_len == 8 && le64(out) != hashmap_siphash(&seed, msg, len))
            mismatches++;
        EVP_MAC_CTX_free(ctx);
    }
    CHECK_INT_EQ(mismatches, 0);
    EVP_MAC_free(mac);
}

static void test_put_get_remove_100k(void)
{
    struct hashmap *map;
    CHECK_INT_EQ(hashmap_new(&map), 0);
    const uint32_t n = 100000;
    int failed = 0;
    for (uint32_t i = 0; i < n; i++)
        failed += hashmap_put(map, &i, sizeof(i), &values[i]) != 0;
    CHECK_INT_EQ(failed, 0);
    CHECK_INT_EQ(hashmap_size(map), n);

    uint32_t k = 42;
    CHECK_INT_EQ(hashmap_put(map, &k, sizeof(k), &values[0]), -EEXIST);
    CHECK(hashmap_get(map, &k, sizeof(k)) == &values[42]);     /* unchanged */
    CHECK_INT_EQ(hashmap_put(map, &k, sizeof(k), NULL), -EINVAL);

    int wrong = 0;
    for (uint32_t i = 0; i < n; i++)
        wrong += hashmap_get(map, &i, sizeof(i)) != &values[i];
    CHECK_INT_EQ(wrong, 0);
    k = n;
    CHECK(hashmap_get(map, &k, sizeof(k)) == NULL);
    /* The same bytes as a shorter key are another key. */
    uint16_t short_key = 42;
    CHECK(hashmap_get(map, &short_key, sizeof(short_key)) == NULL);

    wrong = 0;
    for (uint32_t i = 0; i < n; i += 2)
        wrong += hashmap_remove(map, &i, sizeof(i)) != &values[i];
    CHECK_INT_EQ(wrong, 0);
    CHECK_INT_EQ(hashmap_size(map), n / 2);
    wrong = 0;
    for (uint32_t i = 0; i < n; i++)
        wrong += hashmap_get(map, &i, sizeof(i)) != (i % 2 ? &values[i] : NULL);
    CHECK_INT_EQ(wrong, 0);
    k = 0;
    CHECK(hashmap_remove(map, &k, sizeof(k)) == NULL);         /* already gone */

    /* Replace reports the old value; on a new key, NULL. */
    void *old = &values[1];
    k = 3;
    CHECK_INT_EQ(hashmap_replace(map, &k, sizeof(k), &values[7], &old), 0);
    CHECK(old == &values[3]);
    CHECK(hashmap_get(map, &k, sizeof(k)) == &values[7]);
    k = 4;
    CHECK_INT_EQ(hashmap_replace(map, &k, sizeof(k), &values[8], &old), 0);
    CHECK(old == NULL);
    CHECK_INT_EQ(hashmap_size(map), n / 2 + 1);
    hashmap_free(map);
}

/* Removing the current entry while iterating: every entry is visited
 * exactly once and exactly the removed ones are gone. */
static void test_iterate_with_removal(void)
{
    struct hashmap *map;
    CHECK_INT_EQ(hashmap_new(&map), 0);
    const uint32_t n = 20000;
    for (uint32_t i = 0; i < n; i++)
        CHECK_INT_EQ(hashmap_put(map, &i, sizeof(i), &values[i]), 0);

    static unsigned char seen[20000];
    memset(seen, 0, sizeof(seen));
    struct hashmap_iter it = HASHMAP_ITER_INIT;
    const void *key;
    size_t len;
    void *value;
    size_t visits = 0, bad = 0;
    while (hashmap_iterate(map, &it, &key, &len, &value)) {
        uint32_t i;
        if (len != sizeof(i)) {
            bad++;
            continue;
        }
        memcpy(&i, key, sizeof(i));
        if (i >= n || value != &values[i]) {
            bad++;
            continue;
        }
        seen[i]++;
        visits++;
        if (i % 3 == 0 && hashmap_remove(map, key, len) != &values[i])
            bad++;
    }
    CHECK_INT_EQ(bad, 0);
    CHECK_INT_EQ(visits, n);
    int twice = 0;
    for (uint32_t i = 0; i < n; i++)
        twice += seen[i] != 1;
    CHECK_INT_EQ(twice, 0);
    CHECK(!hashmap_iterate(map, &it, NULL, NULL, NULL));      /* stays finished */

    size_t left = 0, removed_found = 0;
    it = HASHMAP_ITER_INIT;
    while (hashmap_iterate(map, &it, &key, NULL, NULL)) {
        uint32_t i;
        memcpy(&i, key, sizeof(i));
        left++;
        removed_found += i % 3 == 0;
    }
    CHECK_INT_EQ(left, n - (n + 2) / 3);
    CHECK_INT_EQ(removed_found, 0);
    CHECK_INT_EQ(hashmap_size(map), left);

    /* Emptying the table by iteration. */
    it = HASHMAP_ITER_INIT;
    while (hashmap_iterate(map, &it, &key, &len, NULL))
        hashmap_remove(map, key, len);
    CHECK_INT_EQ(hashmap_size(map), 0);
    it = HASHMAP_ITER_INIT;
    CHECK(!hashmap_iterate(map, &it, NULL, NULL, NULL));
    hashmap_free(map);
}

/* After every doubling (sizes 16, 32, ... 65536) all earlier keys are
 * still found. */
static void test_growth(void)
{
    struct hashmap *map;
    CHECK_INT_EQ(hashmap_new(&map), 0);
    int lost = 0;
    for (uint32_t i = 0; i < 70000; i++) {
        uint64_t key = (uint64_t)i << 32;   /* differing in the high half only */
        CHECK_INT_EQ(hashmap_put(map, &key, sizeof(key), &values[i]), 0);
        if (((i + 1) & i) == 0 || i == 69999) {      /* i + 1 a power of two */
            for (uint32_t j = 0; j <= i; j++) {
                uint64_t k = (uint64_t)j << 32;
                lost += hashmap_get(map, &k, sizeof(k)) != &values[j];
            }
        }
    }
    CHECK_INT_EQ(lost, 0);
    CHECK_INT_EQ(hashmap_size(map), 70000);
    hashmap_free(map);
}

/* Keys that are prefixes of each other, embedded NULs, the empty key. */
static void test_equal_prefix_keys(void)
{
    struct hashmap *map;
    CHECK_INT_EQ(hashmap_new(&map), 0);
    char key[300];
    memset(key, 'a', sizeof(key));
    for (size_t len = 0; len < sizeof(key); len++)
        CHECK_INT_EQ(hashmap_put(map, key, len, &values[len]), 0);
    CHECK_INT_EQ(hashmap_size(map), sizeof(key));
    int wrong = 0;
    for (size_t len = 0; len < sizeof(key); len++)
        wrong += hashmap_get(map, key, len) != &values[len];
    CHECK_INT_EQ(wrong, 0);
    CHECK(hashmap_get(map, NULL, 0) == &values[0]);             /* the empty key */

    static const char a[] = "user\0one", b[] = "user\0two";
    CHECK_INT_EQ(hashmap_put(map, a, sizeof(a) - 1, &values[1000]), 0);
    CHECK_INT_EQ(hashmap_put(map, b, sizeof(b) - 1, &values[1001]), 0);
    CHECK(hashmap_get(map, a, sizeof(a) - 1) == &values[1000]);
    CHECK(hashmap_get(map, b, sizeof(b) - 1) == &values[1001]);
    CHECK(hashmap_get(map, "user", 4) == NULL);
    CHECK(hashmap_get(map, "user", 5) == NULL);                 /* "user\0" */

    /* String helpers: the terminator is not part of the key. */
    CHECK_INT_EQ(hashmap_put_str(map, "Anu", &values[2000]), 0);
    CHECK(hashmap_get(map, "Anu", 3) == &values[2000]);
    CHECK(hashmap_get_str(map, "anu") == NULL);
    CHECK(hashmap_remove_str(map, "Anu") == &values[2000]);
    CHECK(hashmap_get_str(map, "Anu") == NULL);

    /* The table copies keys: changing the caller's buffer changes nothing. */
    char buf[8] = "spi-0001";
    CHECK_INT_EQ(hashmap_put(map, buf, sizeof(buf), &values[3000]), 0);
    memcpy(buf, "spi-0002", sizeof(buf));
    CHECK(hashmap_get(map, buf, sizeof(buf)) == NULL);
    CHECK(hashmap_get(map, "spi-0001", 8) == &values[3000]);
    hashmap_free(map);
}

/* Keys a peer might choose to collide under a weak hash (sequential SPIs,
 * one bit each, lengths of zeros) spread over buckets like random ones:
 * 65536 keys in 65536 slots, the longest chain stays short. */
static size_t longest_chain(const struct hashmap_seed *seed, int kind)
{
    static unsigned short count[65536];
    memset(count, 0, sizeof(count));
    size_t longest = 0;
    for (uint32_t i = 0; i < 65536; i++) {
        uint8_t key[64] = { 0 };
        size_t len = 8;
        if (kind == 0) {                    /* SPIs differing in one high byte pair */
            key[0] = (uint8_t)(i >> 8);
            key[1] = (uint8_t)i;
        } else if (kind == 1) {             /* one bit set, in a 64-byte key */
            len = 64;
            key[(i / 8) % 64] = (uint8_t)(1u << (i % 8));
            key[63] ^= (uint8_t)(i >> 9);
        } else {                            /* zeros, length varying, plus a counter */
            len = 8 + i % 56;
            key[len - 1] = (uint8_t)(i / 56);
            key[len - 2] = (uint8_t)(i / 56 >> 8);
        }
        uint64_t h = hashmap_siphash(seed, key, len);
        unsigned short c = ++count[h & 65535];
        if (c > longest)
            longest = c;
    }
    return longest;
}

static void test_adversarial_keys(void)
{
    struct hashmap_seed seed;
    for (unsigned i = 0; i < 16; i++)
        seed.bytes[i] = (uint8_t)(i * 73 + 1);
    /* Random placement gives a longest chain of about 8 here; 16 would
     * mean a badly skewed hash. */
    for (int kind = 0; kind < 3; kind++) {
        size_t l = longest_chain(&seed, kind);
        CHECK(l <= 16);
        if (l > 16)
            printf("#   kind %d: longest chain %zu\n", kind, l);
    }

    /* The seed matters: one flipped key bit gives another hash (tables
     * draw theirs from getrandom(), so peers cannot predict buckets). */
    struct hashmap_seed other = seed;
    other.bytes[0] ^= 1;
    CHECK(hashmap_siphash(&seed, "x", 1) != hashmap_siphash(&other, "x", 1));

    /* A real table with 50k keys that differ only in three scattered
     * bytes, mostly zeros (what network identifiers look like). */
    struct hashmap *map;
    CHECK_INT_EQ(hashmap_new(&map), 0);
    int wrong = 0;
    for (uint32_t i = 0; i < 50000; i++) {
        uint8_t key[16] = { 0 };
        key[15] = (uint8_t)i;
        key[7] = (uint8_t)(i >> 8);
        key[3] = (uint8_t)(i >> 16);
        wrong += hashmap_put(map, key, sizeof(key), &values[i]) != 0;
    }
    for (uint32_t i = 0; i < 50000; i++) {
        uint8_t key[16] = { 0 };
        key[15] = (uint8_t)i;
        key[7] = (uint8_t)(i >> 8);
        key[3] = (uint8_t)(i >> 16);
        wrong += hashmap_get(map, key, sizeof(key)) != &values[i];
    }
    CHECK_INT_EQ(wrong, 0);
    hashmap_free(map);
}

/* Caller-supplied hash and equality: names without case. */
static uint64_t nocase_hash(const void *key, size_t len, const struct hashmap_seed *seed)
{
    char buf[256];
    if (len > sizeof(buf))
        len = sizeof(buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)tolower(((const unsigned char *)key)[i]);
    return hashmap_siphash(seed, buf, len);
}

static bool nocase_equal(const void *a, size_t a_len, const void *b, size_t b_len)
{
    return a_len == b_len && strncasecmp(a, b, a_len) == 0;
}

static void test_custom_ops(void)
{
    static const struct hashmap_ops ops = { .hash = nocase_hash, .equal = nocase_equal };
    struct hashmap *map;
    CHECK_INT_EQ(hashmap_new_with_ops(&map, &ops), 0);
    CHECK_INT_EQ(hashmap_put_str(map, "VPN.Example.COM", &values[1]), 0);
    CHECK(hashmap_get_str(map, "vpn.example.com") == &values[1]);
    CHECK_INT_EQ(hashmap_put_str(map, "vpn.EXAMPLE.com", &values[2]), -EEXIST);
    CHECK(hashmap_get_str(map, "vpn.example.co") == NULL);
    CHECK(hashmap_remove_str(map, "VPN.EXAMPLE.COM") == &values[1]);
    CHECK_INT_EQ(hashmap_size(map), 0);
    hashmap_free(map);

    static const struct hashmap_ops half = { .hash = nocase_hash };
    map = NULL;
    CHECK_INT_EQ(hashmap_new_with_ops(&map, &half), -EINVAL);
    CHECK(map == NULL);
    hashmap_free(NULL);
}

TEST_MAIN(
    TEST(test_siphash_reference),
    TEST(test_siphash_matches_openssl),
    TEST(test_put_get_remove_100k),
    TEST(test_iterate_with_removal),
    TEST(test_growth),
    TEST(test_equal_prefix_keys),
    TEST(test_adversarial_keys),
    TEST(test_custom_ops),
)
