/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The session registry: lookups by index, by either inner address of a
 * dual-stack session and by the reqid kernel events carry. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "session.h"
#include "testing.h"

static struct config_address v4(const char *text)
{
    struct config_address a = { .family = AF_INET };
    CHECK(inet_pton(AF_INET, text, &a.in) == 1);
    return a;
}

static struct config_address v6(const char *text)
{
    struct config_address a = { .family = AF_INET6 };
    CHECK(inet_pton(AF_INET6, text, &a.in6) == 1);
    return a;
}

static void test_lookups(void)
{
    struct session_registry *reg = NULL;
    struct session *alice = NULL, *bob = NULL, *clash = NULL;
    CHECK_INT_EQ(session_registry_new(&reg), 0);

    struct session tmpl = { .address = v4("10.3.0.10"), .has_address6 = true, .address6 = v6("2001:db8:3::a"),
                            .reqid = 0x76700001 };
    CHECK_INT_EQ(session_add(reg, &tmpl, &alice), 0);
    tmpl = (struct session){ .address = v4("10.3.0.11"), .reqid = 0x76700002 };
    CHECK_INT_EQ(session_add(reg, &tmpl, &bob), 0);
    CHECK_INT_EQ(session_count(reg), 2);

    struct config_address a = v4("10.3.0.10"), a6 = v6("2001:db8:3::a"), b = v4("10.3.0.11");
    CHECK(session_find_by_address(reg, &a) == alice);
    CHECK(session_find_by_address(reg, &a6) == alice);
    CHECK(session_find_by_address(reg, &b) == bob);
    CHECK(session_find_by_reqid(reg, 0x76700001) == alice);
    CHECK(session_find_by_reqid(reg, 0x76700002) == bob);
    CHECK(session_find_by_reqid(reg, 0x76700003) == NULL);
    CHECK(session_find_by_index(reg, alice->index) == alice);

    /* Either address taken refuses a new session, and leaves nothing behind. */
    tmpl = (struct session){ .address = v4("10.3.0.12"), .has_address6 = true, .address6 = v6("2001:db8:3::a"),
                             .reqid = 0x76700004 };
    CHECK_INT_EQ(session_add(reg, &tmpl, &clash), -EEXIST);
    struct config_address c = v4("10.3.0.12");
    CHECK(session_find_by_address(reg, &c) == NULL);
    CHECK(session_find_by_reqid(reg, 0x76700004) == NULL);
    CHECK_INT_EQ(session_count(reg), 2);

    /* Removal takes every key. */
    session_remove(reg, alice);
    CHECK(session_find_by_address(reg, &a) == NULL);
    CHECK(session_find_by_address(reg, &a6) == NULL);
    CHECK(session_find_by_reqid(reg, 0x76700001) == NULL);
    CHECK(session_find_by_reqid(reg, 0x76700002) == bob);
    CHECK_INT_EQ(session_count(reg), 1);
    session_registry_free(reg);
}

TEST_MAIN(TEST(test_lookups))
