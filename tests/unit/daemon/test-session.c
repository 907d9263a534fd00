/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The session registry (daemon/session.c): lookups by index, address and
 * user; a user's sessions in login order through removals; walks that end
 * sessions; the simultaneous-logins limit ending the oldest sessions through
 * the protocol's terminate operation (here a stand-in that removes the
 * session, as the IKEv2 one does after its DELETE).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "testing.h"

static struct session_registry *registry;
static char terminated_reasons[8][64];
static uint32_t terminated[8];
static size_t n_terminated;

static void stand_in_terminate(struct session *s, const char *reason)
{
    if (n_terminated < 8) {
        terminated[n_terminated] = s->index;
        snprintf(terminated_reasons[n_terminated], sizeof(terminated_reasons[0]), "%s", reason);
        n_terminated++;
    }
    session_remove(registry, s);
}

static const struct session_ops stand_in_ops = { .terminate = stand_in_terminate };

static struct config_address addr(unsigned host)
{
    struct config_address a = { .family = AF_INET };
    a.in.s_addr = htonl(0x0a030000u | host);
    return a;
}

static struct session *add(const char *user, unsigned host)
{
    struct session tmpl = { .protocol = SESSION_IKEV2, .address = addr(host), .ops = &stand_in_ops };
    tmpl.user = user;
    tmpl.tunnel_group = "rw";
    struct session *s = NULL;
    int r = session_add(registry, &tmpl, &s);
    CHECK_INT_EQ(r, 0);
    return r == 0 ? s : NULL;
}

static void setup(void)
{
    CHECK_INT_EQ(session_registry_new(&registry), 0);
    n_terminated = 0;
}

static void test_lookups(void)
{
    setup();
    struct session *a = add("alice", 10), *b = add("bob", 11), *a2 = add("alice", 12);
    CHECK(a && b && a2);
    if (!a || !b || !a2)
        return;
    CHECK_INT_EQ(a->index, 1);
    CHECK_INT_EQ(a2->index, 3);
    CHECK_INT_EQ(session_count(registry), 3);
    CHECK(session_find_by_index(registry, 2) == b);
    CHECK(session_find_by_index(registry, 4) == NULL);
    struct config_address x = addr(12);
    CHECK(session_find_by_address(registry, &x) == a2);
    x = addr(13);
    CHECK(session_find_by_address(registry, &x) == NULL);
    CHECK(session_find_by_user(registry, "alice") == a);
    CHECK(session_find_by_user(registry, "bob") == b);
    CHECK(session_find_by_user(registry, "Alice") == NULL);
    CHECK_INT_EQ(session_count_by_user(registry, "alice"), 2);
    CHECK_INT_EQ(session_count_by_user(registry, "carol"), 0);

    /* An address already in use is refused and nothing is registered. */
    struct session tmpl = { .address = addr(11) };
    tmpl.user = "carol";
    struct session *dup = NULL;
    CHECK_INT_EQ(session_add(registry, &tmpl, &dup), -EEXIST);
    CHECK_INT_EQ(session_count_by_user(registry, "carol"), 0);
    CHECK_INT_EQ(session_count(registry), 3);

    /* Removing the oldest makes the next one the oldest; the last one
     * removes the user altogether. */
    session_remove(registry, a);
    CHECK(session_find_by_user(registry, "alice") == a2);
    CHECK_INT_EQ(session_count_by_user(registry, "alice"), 1);
    session_remove(registry, a2);
    CHECK(session_find_by_user(registry, "alice") == NULL);
    CHECK_INT_EQ(session_count_by_user(registry, "alice"), 0);
    x = addr(10);
    CHECK(session_find_by_address(registry, &x) == NULL);
    CHECK_INT_EQ(session_count(registry), 1);
    session_registry_free(registry);
}

struct walk {
    uint32_t seen[16];
    size_t n;
    bool end_next;
};

static int record(struct session *s, void *userdata)
{
    struct walk *w = userdata;
    w->seen[w->n++] = s->index;
    /* Ending a session the walk has not reached yet must be safe. */
    if (w->end_next && s->user_next)
        session_remove(registry, s->user_next);
    return 0;
}

static void test_user_order(void)
{
    setup();
    struct session *s[5];
    for (unsigned i = 0; i < 5; i++)
        s[i] = add(i % 2 ? "bob" : "alice", 20 + i);    /* alice: 1, 3, 5; bob: 2, 4 */
    session_remove(registry, s[2]);                     /* alice's middle session */
    struct walk w = { 0 };
    CHECK_INT_EQ(session_foreach_user(registry, "alice", record, &w), 0);
    CHECK_INT_EQ(w.n, 2);
    CHECK_INT_EQ(w.seen[0], 1);
    CHECK_INT_EQ(w.seen[1], 5);

    /* alice logs in again: newest last. */
    add("alice", 30);
    w = (struct walk){ .end_next = true };
    CHECK_INT_EQ(session_foreach_user(registry, "alice", record, &w), 0);
    /* 1 is seen and ends 5; 6 follows. */
    CHECK_INT_EQ(w.n, 2);
    CHECK_INT_EQ(w.seen[0], 1);
    CHECK_INT_EQ(w.seen[1], 6);
    CHECK_INT_EQ(session_count_by_user(registry, "alice"), 2);
    w = (struct walk){ 0 };
    CHECK_INT_EQ(session_foreach_user(registry, "nobody", record, &w), 0);
    CHECK_INT_EQ(w.n, 0);
    session_registry_free(registry);
}

static void test_login_limit(void)
{
    setup();
    add("alice", 10);
    add("bob", 11);
    add("alice", 12);
    struct session *third = add("alice", 13);
    /* Limit 3: nothing to do. */
    CHECK_INT_EQ(session_enforce_login_limit(registry, third, 3), 0);
    CHECK_INT_EQ(n_terminated, 0);
    /* Limit 1: the two older alice sessions go, oldest first; bob stays. */
    CHECK_INT_EQ(session_enforce_login_limit(registry, third, 1), 2);
    CHECK_INT_EQ(n_terminated, 2);
    CHECK_INT_EQ(terminated[0], 1);
    CHECK_INT_EQ(terminated[1], 3);
    CHECK_STR_EQ(terminated_reasons[0], "simultaneous-logins limit");
    CHECK(session_find_by_user(registry, "alice") == third);
    CHECK_INT_EQ(session_count_by_user(registry, "bob"), 1);
    CHECK_INT_EQ(session_count(registry), 2);

    /* The new session is never the one logged off, even when it is not
     * the newest in the list (say, a limit lowered by a reload). */
    struct session *fourth = add("alice", 14);
    uint32_t fourth_index = fourth ? fourth->index : 0;
    n_terminated = 0;
    CHECK_INT_EQ(session_enforce_login_limit(registry, third, 1), 1);
    CHECK_INT_EQ(terminated[0], fourth_index);
    CHECK(session_find_by_user(registry, "alice") == third);
    /* Limit 0 keeps the new session alone (0 is refused before login). */
    CHECK_INT_EQ(session_enforce_login_limit(registry, third, 0), 0);
    CHECK(session_find_by_index(registry, third->index) == third);
    session_registry_free(registry);
}

/* A dual-stack session is found by either address, and both go with it. */
static void test_address6(void)
{
    setup();
    struct session tmpl = { .address = addr(40), .ops = &stand_in_ops };
    tmpl.has_address6 = true;
    tmpl.address6.family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8:3::40", &tmpl.address6.in6);
    tmpl.user = "dual";
    struct session *s = NULL;
    CHECK_INT_EQ(session_add(registry, &tmpl, &s), 0);
    struct config_address six = tmpl.address6;
    CHECK(session_find_by_address(registry, &six) == s);
    struct config_address four = addr(40);
    CHECK(session_find_by_address(registry, &four) == s);
    /* Another session may not take the IPv6 address. */
    struct session other = { .address = addr(41), .has_address6 = true, .address6 = six };
    other.user = "other";
    struct session *o = NULL;
    CHECK_INT_EQ(session_add(registry, &other, &o), -EEXIST);
    four = addr(41);
    CHECK(session_find_by_address(registry, &four) == NULL);
    session_remove(registry, s);
    CHECK(session_find_by_address(registry, &six) == NULL);
    CHECK_INT_EQ(session_count(registry), 0);
    session_registry_free(registry);
}

/* Many sessions: every lookup still finds the right one. */
static void test_many(void)
{
    setup();
    char user[32];
    for (unsigned i = 0; i < 2000; i++) {
        snprintf(user, sizeof(user), "user%u@example.com", i % 500);
        CHECK(add(user, 100 + i) != NULL);
    }
    CHECK_INT_EQ(session_count(registry), 2000);
    for (unsigned i = 0; i < 500; i++) {
        snprintf(user, sizeof(user), "user%u@example.com", i);
        CHECK_INT_EQ(session_count_by_user(registry, user), 4);
        struct session *s = session_find_by_user(registry, user);
        CHECK(s && s->index == i + 1);
        struct config_address a = addr(100 + i + 1500);
        s = session_find_by_address(registry, &a);
        CHECK(s && s->index == i + 1501 && strcmp(s->user, user) == 0);
    }
    session_registry_free(registry);
}

/* What accounting relies on: the observer hears of every session coming
 * and going (before it is freed, with the cause said and the counters of
 * the CHILD SAs removed before it), and Acct-Session-Ids differ within a
 * run and across runs (registries). */
static char observed[8][SESSION_ACCT_ID_MAX + 16];
static size_t n_observed;
static struct session_counters seen_retired;
static enum session_end_cause seen_cause;

static void observe_up(struct session *s, void *userdata)
{
    (void)userdata;
    if (n_observed < 8)
        snprintf(observed[n_observed++], sizeof(observed[0]), "up %s", s->acct_session_id);
}

static void observe_down(struct session *s, void *userdata)
{
    (void)userdata;
    if (n_observed < 8)
        snprintf(observed[n_observed++], sizeof(observed[0]), "down %s", s->acct_session_id);
    seen_retired = s->retired;
    seen_cause = s->end_cause;
}

static const struct session_observer observer = { observe_up, observe_down };

static void test_accounting_hooks(void)
{
    setup();
    n_observed = 0;
    session_registry_set_observer(registry, &observer, NULL);
    struct session tmpl = { .protocol = SESSION_IKEV2, .address = addr(7), .reqid = 0x4711, .ops = &stand_in_ops };
    tmpl.user = "alice";
    struct session *a = NULL, *b = NULL;
    CHECK_INT_EQ(session_add(registry, &tmpl, &a), 0);
    tmpl.address = addr(8);
    tmpl.reqid = 0x4712;
    CHECK_INT_EQ(session_add(registry, &tmpl, &b), 0);
    if (!a || !b)
        return;
    char id_a[SESSION_ACCT_ID_MAX];
    snprintf(id_a, sizeof(id_a), "%s", a->acct_session_id);
    CHECK(strlen(id_a) > 9 && strcmp(id_a, b->acct_session_id) != 0);
    CHECK_INT_EQ(n_observed, 2);
    CHECK(strncmp(observed[0], "up ", 3) == 0 && strcmp(observed[0] + 3, id_a) == 0);

    /* Two rekeyed-away pairs of a, one of nobody's. */
    struct session_counters one = { .bytes_in = 100, .bytes_out = 200, .packets_in = 1, .packets_out = 2 };
    session_retire_counters(registry, 0x4711, &one);
    session_retire_counters(registry, 0x4711, &one);
    session_retire_counters(registry, 0x9999, &one);
    CHECK(b->retired.bytes_in == 0);
    /* The first cause said wins. */
    session_set_end_cause(a, SESSION_END_ADMIN_RESET);
    session_set_end_cause(a, SESSION_END_NAS_REBOOT);
    session_set_end_cause(NULL, SESSION_END_NAS_REBOOT);
    session_remove(registry, a);
    CHECK_INT_EQ(n_observed, 3);
    CHECK(strncmp(observed[2], "down ", 5) == 0 && strcmp(observed[2] + 5, id_a) == 0);
    CHECK(seen_retired.bytes_in == 200 && seen_retired.bytes_out == 400 && seen_retired.packets_in == 2 &&
          seen_retired.packets_out == 4);
    CHECK_INT_EQ(seen_cause, SESSION_END_ADMIN_RESET);
    session_registry_free(registry);

    /* A later run (another registry) never repeats an id. */
    struct session_registry *second = NULL;
    CHECK_INT_EQ(session_registry_new(&second), 0);
    struct session *c = NULL;
    tmpl.address = addr(7);
    CHECK_INT_EQ(session_add(second, &tmpl, &c), 0);
    CHECK(c && c->index == 1 && strcmp(c->acct_session_id, id_a) != 0);
    session_registry_free(second);
}

/* The idle tracker: idle grows while the inbound count stands still; any
 * change (growth, or a rekey's fresh counters) and an unreadable counter
 * restart it. */
static void test_activity(void)
{
    const uint64_t s = 1000000;
    struct session_activity a;
    session_activity_start(&a, 100 * s);
    CHECK_INT_EQ(session_activity_idle_usec(&a, 100 * s), 0);
    session_activity_note(&a, 0, 0, 110 * s);          /* no traffic yet */
    CHECK_INT_EQ(session_activity_idle_usec(&a, 110 * s), 10 * s);
    session_activity_note(&a, 0, 1500, 120 * s);       /* traffic */
    CHECK_INT_EQ(session_activity_idle_usec(&a, 125 * s), 5 * s);
    session_activity_note(&a, 0, 1500, 180 * s);       /* still */
    CHECK_INT_EQ(session_activity_idle_usec(&a, 200 * s), 80 * s);
    session_activity_note(&a, 0, 84, 210 * s);         /* rekeyed: new counters */
    CHECK_INT_EQ(session_activity_idle_usec(&a, 210 * s), 0);
    session_activity_note(&a, -ENOENT, 0, 300 * s);    /* unreadable: never idle for that */
    CHECK_INT_EQ(session_activity_idle_usec(&a, 300 * s), 0);
    /* A reading a little before the last one (another clock read): no wrap. */
    CHECK_INT_EQ(session_activity_idle_usec(&a, 299 * s), 0);
}

/* An IKEv1 session with several pairs of IPsec SAs: each pair's reqid
 * finds the session, and a removed pair's counters count for it. */
static void test_more_reqids(void)
{
    setup();
    struct session tmpl = { .protocol = SESSION_IKEV1, .address = addr(9), .reqid = 0x10, .ops = &stand_in_ops };
    tmpl.user = "bob";
    struct session *s = NULL;
    CHECK_INT_EQ(session_add(registry, &tmpl, &s), 0);
    if (!s)
        return;
    CHECK_INT_EQ(session_add_reqid(registry, s, 0x11), 0);
    CHECK_INT_EQ(session_add_reqid(registry, s, 0x11), 0);     /* once */
    CHECK_INT_EQ(session_add_reqid(registry, s, 0x10), 0);     /* the first pair's: already there */
    CHECK_INT_EQ(s->n_more_reqids, 1);
    CHECK(session_find_by_reqid(registry, 0x11) == s);
    struct session_counters gone = { .bytes_in = 1000, .bytes_out = 2000, .packets_in = 10, .packets_out = 20 };
    session_retire_counters(registry, 0x11, &gone);
    CHECK(s->retired.bytes_in == 1000 && s->retired.packets_out == 20);
    session_remove_reqid(registry, s, 0x11);
    CHECK(session_find_by_reqid(registry, 0x11) == NULL);
    CHECK(session_find_by_reqid(registry, 0x10) == s);
    for (uint32_t r = 0x20; r < 0x20 + SESSION_MORE_REQIDS_MAX; r++)
        CHECK_INT_EQ(session_add_reqid(registry, s, r), 0);
    CHECK_INT_EQ(session_add_reqid(registry, s, 0x99), -ENOSPC);
    session_remove(registry, s);                                /* takes every reqid with it */
    CHECK(session_find_by_reqid(registry, 0x20) == NULL);
    CHECK(session_find_by_reqid(registry, 0x10) == NULL);
    session_registry_free(registry);
}

/* The timeouts are checked at a quarter of the shorter one, 1 to 60 s. */
static void test_policy_check_interval(void)
{
    const uint64_t s = 1000000;
    struct config_group_policy gp = { 0 };
    CHECK_INT_EQ(session_policy_check_usec(NULL), 60 * s);
    CHECK_INT_EQ(session_policy_check_usec(&gp), 60 * s);            /* neither: sample the idle time */
    gp.idle_timeout = 1800;
    CHECK_INT_EQ(session_policy_check_usec(&gp), 60 * s);            /* capped */
    gp.idle_timeout = 6;
    CHECK_INT_EQ(session_policy_check_usec(&gp), 1 * s);             /* 6 / 4, whole seconds */
    gp.idle_timeout = 0;
    gp.session_timeout = 2;
    CHECK_INT_EQ(session_policy_check_usec(&gp), 1 * s);             /* at least 1 s */
    gp.idle_timeout = 120;
    gp.session_timeout = 40;
    CHECK_INT_EQ(session_policy_check_usec(&gp), 10 * s);            /* the shorter one */
}

/* The session keeps its own copies of the template's strings and RADIUS
 * Class (the protocol's buffers are gone once IKE_AUTH returns); a template
 * without them gives empty strings and no Class. */
static void test_strings_copied(void)
{
    setup();
    char user[32] = "dave", group[16] = "corp", policy[16] = "staff", encryption[64] = "ESP AES-GCM-16-128";
    uint8_t class_[5] = { 1, 2, 0, 4, 5 };
    struct session tmpl = { .address = addr(60), .ops = &stand_in_ops, .user = user, .tunnel_group = group,
                            .group_policy = policy, .encryption = encryption, .radius_class = class_,
                            .radius_class_len = sizeof(class_) };
    struct session *s = NULL;
    CHECK_INT_EQ(session_add(registry, &tmpl, &s), 0);
    memset(user, 'x', sizeof(user) - 1);
    memset(group, 0, sizeof(group));
    memset(policy, 0, sizeof(policy));
    memset(encryption, 0, sizeof(encryption));
    memset(class_, 0, sizeof(class_));
    CHECK_STR_EQ(s->user, "dave");
    CHECK_STR_EQ(s->tunnel_group, "corp");
    CHECK_STR_EQ(s->group_policy, "staff");
    CHECK_STR_EQ(s->encryption, "ESP AES-GCM-16-128");
    CHECK_INT_EQ(s->radius_class_len, 5);
    CHECK(s->radius_class && memcmp(s->radius_class, (const uint8_t[]){ 1, 2, 0, 4, 5 }, 5) == 0);
    CHECK(session_find_by_user(registry, "dave") == s);

    struct session bare = { .address = addr(61), .ops = &stand_in_ops };
    struct session *b = NULL;
    CHECK_INT_EQ(session_add(registry, &bare, &b), 0);
    CHECK_STR_EQ(b->user, "");
    CHECK_STR_EQ(b->tunnel_group, "");
    CHECK_STR_EQ(b->group_policy, "");
    CHECK_STR_EQ(b->encryption, "");
    CHECK(b->radius_class == NULL && b->radius_class_len == 0);
    session_registry_free(registry);
}

TEST_MAIN(TEST(test_strings_copied), TEST(test_lookups), TEST(test_user_order), TEST(test_login_limit), TEST(test_address6), TEST(test_many),
          TEST(test_accounting_hooks), TEST(test_activity), TEST(test_policy_check_interval), TEST(test_more_reqids))
