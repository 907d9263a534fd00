/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The session registry's lookups: by index, by address, and by user within
 * a tunnel group (what INITIAL_CONTACT uses), through adds and removes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "session.h"
#include "testing.h"

static struct session tmpl(const char *user, const char *group, const char *addr)
{
    struct session s = { .protocol = SESSION_IKEV2 };
    snprintf(s.user, sizeof(s.user), "%s", user);
    snprintf(s.tunnel_group, sizeof(s.tunnel_group), "%s", group);
    s.address.family = AF_INET;
    inet_pton(AF_INET, addr, &s.address.in);
    return s;
}

static void test_by_user(void)
{
    struct session_registry *reg = NULL;
    struct session *a, *b, *c, *d, *found[4];
    CHECK_INT_EQ(session_registry_new(&reg), 0);
    struct session t = tmpl("alice", "rw", "10.0.0.1");
    CHECK_INT_EQ(session_add(reg, &t, &a), 0);
    t = tmpl("alice", "rw", "10.0.0.2");
    CHECK_INT_EQ(session_add(reg, &t, &b), 0);
    t = tmpl("alice", "staff", "10.0.0.3");     /* same user, other tunnel group */
    CHECK_INT_EQ(session_add(reg, &t, &c), 0);
    t = tmpl("bob", "rw", "10.0.0.4");
    CHECK_INT_EQ(session_add(reg, &t, &d), 0);
    t = tmpl("carol", "rw", "10.0.0.4");        /* address taken: nothing registered */
    struct session *e = NULL;
    CHECK_INT_EQ(session_add(reg, &t, &e), -EEXIST);
    CHECK_INT_EQ(session_find_by_user(reg, "rw", "carol", found, 4), 0);

    CHECK_INT_EQ(session_find_by_user(reg, "rw", "alice", found, 4), 2);
    CHECK((found[0] == a && found[1] == b) || (found[0] == b && found[1] == a));
    CHECK_INT_EQ(session_find_by_user(reg, "staff", "alice", found, 4), 1);
    CHECK(found[0] == c);
    CHECK_INT_EQ(session_find_by_user(reg, "rw", "bob", found, 4), 1);
    CHECK_INT_EQ(session_find_by_user(reg, "rw", "mallory", found, 4), 0);
    /* The count is right even when the array is short. */
    CHECK_INT_EQ(session_find_by_user(reg, "rw", "alice", found, 1), 2);
    /* "rw" + "alice" must not be confused with "rwa" + "lice". */
    CHECK_INT_EQ(session_find_by_user(reg, "rwa", "lice", found, 4), 0);

    /* Removing the first and the last of a user's chain. */
    session_remove(reg, b);
    CHECK_INT_EQ(session_find_by_user(reg, "rw", "alice", found, 4), 1);
    CHECK(found[0] == a);
    session_remove(reg, a);
    CHECK_INT_EQ(session_find_by_user(reg, "rw", "alice", found, 4), 0);
    CHECK_INT_EQ(session_find_by_user(reg, "staff", "alice", found, 4), 1);
    CHECK_INT_EQ((int)session_count(reg), 2);
    session_registry_free(reg);
}

static void test_chain_middle(void)
{
    struct session_registry *reg = NULL;
    struct session *s[3], *found[4];
    CHECK_INT_EQ(session_registry_new(&reg), 0);
    const char *addrs[] = { "10.1.0.1", "10.1.0.2", "10.1.0.3" };
    for (int i = 0; i < 3; i++) {
        struct session t = tmpl("dave", "rw", addrs[i]);
        CHECK_INT_EQ(session_add(reg, &t, &s[i]), 0);
    }
    session_remove(reg, s[1]);
    CHECK_INT_EQ(session_find_by_user(reg, "rw", "dave", found, 4), 2);
    CHECK(found[0] != s[1] && found[1] != s[1]);
    CHECK(session_find_by_index(reg, s[0]->index) == s[0]);
    session_registry_free(reg);
}

TEST_MAIN(TEST(test_by_user),
          TEST(test_chain_middle))
