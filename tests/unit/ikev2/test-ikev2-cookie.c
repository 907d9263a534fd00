/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKE_SA_INIT cookies (daemon/ikev2-cookie.c): a cookie is accepted only
 * for the Ni, address and SPIi it was made for, unchanged; it survives one
 * secret rotation (the version names the previous secret) but not two;
 * another jar (another vpnd run) does not accept it.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "ikev2-cookie.h"
#include "testing.h"

static struct ikev2_peer_addr addr(int family, const char *text)
{
    struct ikev2_peer_addr p = { .family = family };
    CHECK(inet_pton(family, text, p.addr) == 1);
    return p;
}

static void test_valid_only_for_its_initiator(void)
{
    struct ikev2_cookie_jar *jar = NULL;
    uint8_t ni[32], other_ni[32], c[IKEV2_COOKIE_LEN];
    memset(ni, 0x5a, sizeof(ni));
    memset(other_ni, 0x5b, sizeof(other_ni));
    struct ikev2_peer_addr a = addr(AF_INET, "203.0.113.10"), b = addr(AF_INET, "203.0.113.11");
    uint64_t spi = 0x0102030405060708ULL;

    CHECK_INT_EQ(ikev2_cookie_jar_new(1000, &jar), 0);
    CHECK_INT_EQ(ikev2_cookie_make(jar, 1000, ni, sizeof(ni), &a, spi, c), IKEV2_COOKIE_LEN);
    CHECK(ikev2_cookie_valid(jar, 2000, c, sizeof(c), ni, sizeof(ni), &a, spi));
    CHECK(!ikev2_cookie_valid(jar, 2000, c, sizeof(c), other_ni, sizeof(other_ni), &a, spi));
    CHECK(!ikev2_cookie_valid(jar, 2000, c, sizeof(c), ni, sizeof(ni) - 1, &a, spi));
    CHECK(!ikev2_cookie_valid(jar, 2000, c, sizeof(c), ni, sizeof(ni), &b, spi));
    CHECK(!ikev2_cookie_valid(jar, 2000, c, sizeof(c), ni, sizeof(ni), &a, spi + 1));
    CHECK(!ikev2_cookie_valid(jar, 2000, c, sizeof(c) - 1, ni, sizeof(ni), &a, spi));
    for (size_t i = 0; i < sizeof(c); i++) {
        c[i] ^= 0x80;
        CHECK(!ikev2_cookie_valid(jar, 2000, c, sizeof(c), ni, sizeof(ni), &a, spi));
        c[i] ^= 0x80;
    }
    /* The same inputs give the same cookie (stateless: nothing remembered). */
    uint8_t again[IKEV2_COOKIE_LEN];
    CHECK_INT_EQ(ikev2_cookie_make(jar, 3000, ni, sizeof(ni), &a, spi, again), IKEV2_COOKIE_LEN);
    CHECK(memcmp(c, again, sizeof(c)) == 0);

    /* IPv6 addresses, all 16 bytes of them. */
    struct ikev2_peer_addr v6 = addr(AF_INET6, "2001:db8::10"), v6b = addr(AF_INET6, "2001:db8::11");
    CHECK_INT_EQ(ikev2_cookie_make(jar, 3000, ni, sizeof(ni), &v6, spi, c), IKEV2_COOKIE_LEN);
    CHECK(ikev2_cookie_valid(jar, 3000, c, sizeof(c), ni, sizeof(ni), &v6, spi));
    CHECK(!ikev2_cookie_valid(jar, 3000, c, sizeof(c), ni, sizeof(ni), &v6b, spi));

    /* Another secret: another vpnd does not take it. */
    struct ikev2_cookie_jar *other = NULL;
    CHECK_INT_EQ(ikev2_cookie_jar_new(1000, &other), 0);
    CHECK(!ikev2_cookie_valid(other, 3000, c, sizeof(c), ni, sizeof(ni), &v6, spi));
    ikev2_cookie_jar_free(other);
    ikev2_cookie_jar_free(jar);
}

static void test_rotation(void)
{
    struct ikev2_cookie_jar *jar = NULL;
    uint8_t ni[16], c[IKEV2_COOKIE_LEN], fresh[IKEV2_COOKIE_LEN];
    memset(ni, 1, sizeof(ni));
    struct ikev2_peer_addr a = addr(AF_INET, "192.0.2.10");
    uint64_t t0 = 5000000;

    CHECK_INT_EQ(ikev2_cookie_jar_new(t0, &jar), 0);
    CHECK_INT_EQ(ikev2_cookie_make(jar, t0, ni, sizeof(ni), &a, 7, c), IKEV2_COOKIE_LEN);
    /* One rotation: the cookie names the previous secret, still accepted. */
    uint64_t t1 = t0 + IKEV2_COOKIE_ROTATE_USEC;
    CHECK_INT_EQ(ikev2_cookie_make(jar, t1, ni, sizeof(ni), &a, 7, fresh), IKEV2_COOKIE_LEN);
    CHECK(memcmp(c, fresh, 4) != 0);                /* another version */
    CHECK(memcmp(c + 4, fresh + 4, sizeof(c) - 4) != 0);
    CHECK(ikev2_cookie_valid(jar, t1 + 1, c, sizeof(c), ni, sizeof(ni), &a, 7));
    CHECK(ikev2_cookie_valid(jar, t1 + 1, fresh, sizeof(fresh), ni, sizeof(ni), &a, 7));
    /* A second rotation: the first cookie is gone, the second one stays. */
    uint64_t t2 = t1 + IKEV2_COOKIE_ROTATE_USEC;
    CHECK(!ikev2_cookie_valid(jar, t2, c, sizeof(c), ni, sizeof(ni), &a, 7));
    CHECK(ikev2_cookie_valid(jar, t2, fresh, sizeof(fresh), ni, sizeof(ni), &a, 7));
    ikev2_cookie_jar_free(jar);
    ikev2_cookie_jar_free(NULL);
}

/* The issue time in the cookie: its age, and a cookie whose time was
 * changed (to look younger) no longer passes. */
static void test_age(void)
{
    struct ikev2_cookie_jar *jar = NULL;
    uint8_t ni[16], c[IKEV2_COOKIE_LEN];
    memset(ni, 2, sizeof(ni));
    struct ikev2_peer_addr a = addr(AF_INET, "192.0.2.11");
    uint64_t t0 = 7000000;

    CHECK_INT_EQ(ikev2_cookie_jar_new(t0, &jar), 0);
    CHECK_INT_EQ(ikev2_cookie_make(jar, t0, ni, sizeof(ni), &a, 9, c), IKEV2_COOKIE_LEN);
    CHECK_INT_EQ(ikev2_cookie_age_usec(c, t0), 0);
    CHECK_INT_EQ(ikev2_cookie_age_usec(c, t0 + 45000000), 45000000);
    CHECK(ikev2_cookie_valid(jar, t0 + 45000000, c, sizeof(c), ni, sizeof(ni), &a, 9));
    c[7] ^= 0x10;                                   /* issued 16 s later */
    CHECK(!ikev2_cookie_valid(jar, t0 + 45000000, c, sizeof(c), ni, sizeof(ni), &a, 9));
    ikev2_cookie_jar_free(jar);
}

TEST_MAIN(TEST(test_valid_only_for_its_initiator), TEST(test_rotation), TEST(test_age))
