/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two copies of one IKE_SA_INIT request, with and without a COOKIE
 * (daemon/ikev2-init-copy.c): strongSwan's request and the same with a
 * leading N(COOKIE) are one request; a change anywhere else (the nonce,
 * the KE, the proposals, the SPI, a notify more) makes them two.
 */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "ikev2-cookie.h"
#include "ikev2-cookies-sent.h"
#include "ikev2-init-copy.h"
#include "strongswan-ike-sa-init.h"
#include "testing.h"

#define BASE_LEN sizeof(strongswan_ike_sa_init)

/* strongSwan's request with N(COOKIE) of `cookie_len` bytes (all `fill`)
 * first, as RFC 7296 2.6 has the retry; returns its length. */
static size_t with_cookie(uint8_t *out, uint8_t fill, size_t cookie_len)
{
    size_t n_len = 8 + cookie_len, len = BASE_LEN + n_len;
    memcpy(out, strongswan_ike_sa_init, 28);
    out[16] = 41;                                   /* first payload: Notify */
    out[24] = (uint8_t)(len >> 24);
    out[25] = (uint8_t)(len >> 16);
    out[26] = (uint8_t)(len >> 8);
    out[27] = (uint8_t)len;
    uint8_t *n = out + 28;
    n[0] = strongswan_ike_sa_init[16];              /* then what came first */
    n[1] = 0;
    n[2] = (uint8_t)(n_len >> 8);
    n[3] = (uint8_t)n_len;
    n[4] = 0;                                       /* protocol */
    n[5] = 0;                                       /* SPI size */
    n[6] = 0x40;                                    /* COOKIE (16390) */
    n[7] = 0x06;
    memset(n + 8, fill, cookie_len);
    memcpy(out + 28 + n_len, strongswan_ike_sa_init + 28, BASE_LEN - 28);
    return len;
}

static void same_but_for_the_cookie(void)
{
    uint8_t a[BASE_LEN + 64], b[BASE_LEN + 64];
    size_t a_len = with_cookie(a, 0x11, 36), b_len = with_cookie(b, 0x22, 20);

    CHECK(ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, strongswan_ike_sa_init, BASE_LEN));
    CHECK(ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, a, a_len));
    CHECK(ikev2_init_copy_same_request(a, a_len, strongswan_ike_sa_init, BASE_LEN));
    CHECK(ikev2_init_copy_same_request(a, a_len, b, b_len));
}

/* One byte changed in the last payload (a notify after the nonce), in the
 * middle (the proposals) or in the SPI: another request. */
static void any_other_change(void)
{
    uint8_t a[BASE_LEN + 64];
    size_t a_len = with_cookie(a, 0x11, 36);
    const size_t offsets[] = { a_len - 1, 28 + 44 + 60, 3 };

    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        uint8_t b[BASE_LEN + 64];
        memcpy(b, a, a_len);
        b[offsets[i]] ^= 0x01;
        CHECK(!ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, b, a_len));
    }
}

/* A notify other than COOKIE first is part of the request; truncated or
 * empty input is no request at all. */
static void not_a_cookie_or_not_parsable(void)
{
    uint8_t a[BASE_LEN + 64];
    size_t a_len = with_cookie(a, 0x11, 36);

    a[28 + 7] = 0x07;                               /* 16391: not COOKIE */
    CHECK(!ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, a, a_len));
    CHECK(!ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, strongswan_ike_sa_init, BASE_LEN - 1));
    CHECK(!ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, a, 27));
    CHECK(!ikev2_init_copy_same_request(NULL, 0, strongswan_ike_sa_init, BASE_LEN));
}

/* The retry vpnd makes itself from the request and the cookie it sent is
 * the one the client sends (built above by hand, as strongSwan does); a
 * request that already carries a cookie or is no IKE message gets none. */
static void retry_made_from_the_cookie(void)
{
    uint8_t cookie[IKEV2_COOKIE_LEN], expected[BASE_LEN + 64];
    memset(cookie, 0x5a, sizeof(cookie));
    size_t expected_len = with_cookie(expected, 0x5a, sizeof(cookie)), len = 0;

    uint8_t *retry = ikev2_init_copy_with_cookie(strongswan_ike_sa_init, BASE_LEN, cookie, sizeof(cookie), &len);
    CHECK(retry != NULL);
    CHECK(len == expected_len);
    CHECK(retry && memcmp(retry, expected, expected_len) == 0);
    CHECK(retry && ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, retry, len));
    CHECK(ikev2_init_copy_with_cookie(expected, expected_len, cookie, sizeof(cookie), &len) == NULL);
    /* A retry given another COOKIE (of another length too) retries with
     * that one instead: the old notify replaced, all else kept. */
    uint8_t second[20], expected2[BASE_LEN + 64];
    memset(second, 0x33, sizeof(second));
    size_t expected2_len = with_cookie(expected2, 0x33, sizeof(second)), len2 = 0;
    uint8_t *retry2 = ikev2_init_copy_with_cookie(expected, expected_len, second, sizeof(second), &len2);
    CHECK(retry2 != NULL);
    CHECK(len2 == expected2_len);
    CHECK(retry2 && memcmp(retry2, expected2, expected2_len) == 0);
    free(retry2);
    /* A leading COOKIE notify whose length overruns the message: none. */
    expected[28 + 2] = 0x7f;
    CHECK(ikev2_init_copy_with_cookie(expected, expected_len, second, sizeof(second), &len2) == NULL);
    CHECK(ikev2_init_copy_with_cookie(strongswan_ike_sa_init, 27, cookie, sizeof(cookie), &len) == NULL);
    CHECK(ikev2_init_copy_with_cookie(strongswan_ike_sa_init, BASE_LEN, cookie, 0, &len) == NULL);
    free(retry);
}

/* The memory of cookies sent: found for the same SPIi and address while
 * young enough, not for another SPI or address, not once too old. */
static void cookies_sent_remembered(void)
{
    struct ikev2_cookies_sent *cs = ikev2_cookies_sent_new();
    union ike_sockaddr a = { 0 }, b = { 0 };
    uint8_t cookie[IKEV2_COOKIE_LEN], out[IKEV2_COOKIE_LEN];
    const uint64_t t0 = 1000000000ULL, age = 120000000ULL;

    CHECK(cs != NULL);
    a.in.sin_family = AF_INET;
    a.in.sin_addr.s_addr = htonl(0xcb00710aU);      /* 203.0.113.10 */
    b = a;
    b.in.sin_addr.s_addr = htonl(0xcb00710bU);
    memset(cookie, 0x77, sizeof(cookie));
    ikev2_cookies_sent_note(cs, 0x1122334455667788ULL, &a, cookie, sizeof(cookie), t0);

    memset(out, 0, sizeof(out));
    CHECK(ikev2_cookies_sent_find(cs, 0x1122334455667788ULL, &a, t0 + 5000000, age, out, sizeof(out)) ==
          sizeof(cookie));
    CHECK(memcmp(out, cookie, sizeof(cookie)) == 0);
    CHECK(ikev2_cookies_sent_find(cs, 0x1122334455667789ULL, &a, t0 + 5000000, age, out, sizeof(out)) == 0);
    CHECK(ikev2_cookies_sent_find(cs, 0x1122334455667788ULL, &b, t0 + 5000000, age, out, sizeof(out)) == 0);
    CHECK(ikev2_cookies_sent_find(cs, 0x1122334455667788ULL, &a, t0 + age + 1, age, out, sizeof(out)) == 0);
    CHECK(ikev2_cookies_sent_find(cs, 0x1122334455667788ULL, &a, t0 + 5000000, age, out, 8) == 0);
    CHECK(ikev2_cookies_sent_find(NULL, 0x1122334455667788ULL, &a, t0, age, out, sizeof(out)) == 0);
    ikev2_cookies_sent_free(cs);
}

/* Many initiators at once (a storm's first burst) keep their cookies: the
 * sets are 4 slots wide, so 500 fit without one pushing out another; a
 * second cookie for the same initiator replaces its first. */
static void cookies_sent_many_at_once(void)
{
    struct ikev2_cookies_sent *cs = ikev2_cookies_sent_new();
    union ike_sockaddr a = { 0 };
    uint8_t cookie[IKEV2_COOKIE_LEN], out[IKEV2_COOKIE_LEN];
    const uint64_t t0 = 1000000000ULL, age = 120000000ULL;
    size_t found = 0;

    CHECK(cs != NULL);
    a.in.sin_family = AF_INET;
    a.in.sin_addr.s_addr = htonl(0xcb00710aU);
    for (uint64_t i = 0; i < 500; i++) {
        memset(cookie, (int)(i & 0xff), sizeof(cookie));
        ikev2_cookies_sent_note(cs, 0x1000 + i, &a, cookie, sizeof(cookie), t0 + i);
    }
    memset(cookie, 0xee, sizeof(cookie));
    ikev2_cookies_sent_note(cs, 0x1000, &a, cookie, sizeof(cookie), t0 + 600);
    for (uint64_t i = 0; i < 500; i++) {
        uint8_t expected = i == 0 ? 0xee : (uint8_t)(i & 0xff);
        if (ikev2_cookies_sent_find(cs, 0x1000 + i, &a, t0 + 1000, age, out, sizeof(out)) == sizeof(out) &&
            out[0] == expected && out[sizeof(out) - 1] == expected)
            found++;
    }
    CHECK(found == 500);
    ikev2_cookies_sent_free(cs);
}

TEST_MAIN(
    TEST(retry_made_from_the_cookie),
    TEST(cookies_sent_many_at_once),
    TEST(cookies_sent_remembered),
    TEST(same_but_for_the_cookie),
    TEST(any_other_change),
    TEST(not_a_cookie_or_not_parsable),
)
