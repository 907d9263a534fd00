/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The COOKIEs we sent lately (see ikev2-cookies-sent.h).
 */
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "crypto.h"
#include "hashmap.h"
#include "ikev2-cookie.h"
#include "ikev2-cookies-sent.h"

/* 8192 sets of 4 slots of 88 bytes: 2.8 MB, mapped with the first
 * COOKIE. A storm's first burst sends a COOKIE to almost every client
 * within seconds (12,557 to 10,000 clients, tests/bench/README.md); with
 * 1024 slots the cookie of a client in the race was overwritten before its
 * request without a cookie was admitted (35 AUTHENTICATION_FAILED), and
 * with one slot per hash a third of the slots still collide at 10,000. A
 * new initiator takes the oldest slot of its set, so a young entry goes
 * only when four newer ones hash alike. */
#define SETS 8192
#define WAYS 4

struct initiator_key {
    uint64_t ispi;
    uint8_t family;
    uint8_t addr[16];
};

struct slot {
    struct initiator_key key;
    uint8_t cookie_len;
    uint8_t cookie[IKEV2_COOKIE_LEN];
    uint64_t sent_usec;
};

struct ikev2_cookies_sent {
    struct hashmap_seed seed;       /* keyed: a sender cannot aim at another client's slot */
    struct slot slots[SETS][WAYS];
};

static void make_key(struct initiator_key *k, uint64_t ispi, const union ike_sockaddr *initiator)
{
    memset(k, 0, sizeof(*k));
    k->ispi = ispi;
    k->family = (uint8_t)initiator->sa.sa_family;
    if (initiator->sa.sa_family == AF_INET6)
        memcpy(k->addr, &initiator->in6.sin6_addr, 16);
    else
        memcpy(k->addr, &initiator->in.sin_addr, 4);
}

static size_t set_of(const struct ikev2_cookies_sent *cs, const struct initiator_key *k)
{
    return (size_t)(hashmap_siphash(&cs->seed, k, sizeof(*k)) % SETS);
}

/* The table is mapped on its own, without transparent huge pages: its
 * memory should grow with the cookies sent, one 4 kB page at a time. In a
 * THP region (or in malloc's heap next to it) the first few cookies made
 * 2.3 MB of it resident at once (tests/bench/README.md). */
struct ikev2_cookies_sent *ikev2_cookies_sent_new(void)
{
    void *p = mmap(NULL, sizeof(struct ikev2_cookies_sent), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, sizeof(struct ikev2_cookies_sent), MADV_NOHUGEPAGE);
    struct ikev2_cookies_sent *cs = p;
    if (crypto_random(&cs->seed, sizeof(cs->seed)) < 0)
        return ikev2_cookies_sent_free(cs);
    return cs;
}

struct ikev2_cookies_sent *ikev2_cookies_sent_free(struct ikev2_cookies_sent *cs)
{
    if (cs)
        (void)munmap(cs, sizeof(*cs));
    return NULL;
}

void ikev2_cookies_sent_note(struct ikev2_cookies_sent *cs, uint64_t ispi, const union ike_sockaddr *initiator,
                             const uint8_t *cookie, size_t cookie_len, uint64_t now_usec)
{
    struct initiator_key k;
    if (!cs || cookie_len == 0 || cookie_len > IKEV2_COOKIE_LEN)
        return;
    make_key(&k, ispi, initiator);
    struct slot *set = cs->slots[set_of(cs, &k)], *s = &set[0];
    for (size_t w = 0; w < WAYS; w++) {
        if (set[w].cookie_len && memcmp(&set[w].key, &k, sizeof(k)) == 0) {
            s = &set[w];                    /* this initiator's: its newest cookie */
            break;
        }
        if (set[w].sent_usec < s->sent_usec)
            s = &set[w];                    /* the oldest (an empty one is oldest) */
    }
    s->key = k;
    memcpy(s->cookie, cookie, cookie_len);
    s->cookie_len = (uint8_t)cookie_len;
    s->sent_usec = now_usec;
}

size_t ikev2_cookies_sent_find(const struct ikev2_cookies_sent *cs, uint64_t ispi,
                               const union ike_sockaddr *initiator, uint64_t now_usec, uint64_t max_age_usec,
                               uint8_t *out, size_t out_size)
{
    struct initiator_key k;
    if (!cs)
        return 0;
    make_key(&k, ispi, initiator);
    const struct slot *set = cs->slots[set_of(cs, &k)], *s = NULL;
    for (size_t w = 0; w < WAYS && !s; w++)
        if (set[w].cookie_len && memcmp(&set[w].key, &k, sizeof(k)) == 0)
            s = &set[w];
    if (!s || s->cookie_len > out_size ||
        now_usec < s->sent_usec || now_usec - s->sent_usec > max_age_usec)
        return 0;
    memcpy(out, s->cookie, s->cookie_len);
    return s->cookie_len;
}
