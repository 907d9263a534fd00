/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The log ring behind `vpnctl log` (daemon/log-ring.c): every emitted line
 * comes back whole (priority, subsystem, context fields, message) in order;
 * the ring holds the last LOG_RING_SIZE lines and tells a reader how many
 * it missed; fields and messages are cut at their limits; a flood of long
 * lines pushes the oldest out of the compact text store without a reader
 * ever seeing a line that was written over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log-ring.h"
#include "log.h"
#include "testing.h"

struct seen {
    size_t n;
    uint64_t first_seq, last_seq;
    bool in_order;
    struct log_ring_entry last;
    char first_message[LOG_RING_TEXT_MAX];
};

static void collect(const struct log_ring_entry *e, void *userdata)
{
    struct seen *s = userdata;
    if (s->n == 0) {
        s->first_seq = e->seq;
        snprintf(s->first_message, sizeof(s->first_message), "%s", e->message);
    } else if (e->seq != s->last_seq + 1)
        s->in_order = false;
    s->last_seq = e->seq;
    s->last = *e;
    s->n++;
}

/* Quiet: the lines go to the ring, stderr to /dev/null. */
static int quiet_begin(void)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *f = fopen("/dev/null", "w");
    dup2(fileno(f), STDERR_FILENO);
    fclose(f);
    return saved;
}

static void quiet_end(int saved)
{
    dup2(saved, STDERR_FILENO);
    close(saved);
}

static void test_lines_come_back(void)
{
    CHECK(log_ring_start() >= 0);
    log_open(LOG_TARGET_STDERR);
    int saved = quiet_begin();
    const struct log_ctx ctx = { .peer = "192.0.2.7:4500", .tunnel_group = "corp", .user = "alice",
                                 .session = "ikev2#3" };
    log_warning_ctx(&ctx, CONFIG_SUBSYS_AUTH, "password rejected %d", 7);
    log_info(CONFIG_SUBSYS_IKE, "no context");
    quiet_end(saved);

    struct seen s = { .in_order = true };
    uint64_t missed = 99;
    uint64_t last = log_ring_read(0, collect, &s, &missed);
    CHECK_INT_EQ(s.n, 2);
    CHECK_INT_EQ(missed, 0);
    CHECK_INT_EQ(last, log_ring_last());
    CHECK_STR_EQ(s.first_message, "password rejected 7");
    CHECK_STR_EQ(s.last.message, "no context");
    CHECK_INT_EQ(s.last.priority, LOG_INFO);
    CHECK_INT_EQ(s.last.subsys, CONFIG_SUBSYS_IKE);
    CHECK_STR_EQ(s.last.peer, "");
    CHECK_STR_EQ(s.last.session, "");

    /* Read again from before the first: both again; a new line alone, its fields intact. */
    s = (struct seen){ .in_order = true };
    (void)log_ring_read(last - 2, collect, &s, &missed);
    CHECK_INT_EQ(s.n, 2);
    s = (struct seen){ .in_order = true };
    saved = quiet_begin();
    log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "again");
    quiet_end(saved);
    (void)log_ring_read(last, collect, &s, &missed);
    CHECK_INT_EQ(s.n, 1);
    CHECK_STR_EQ(s.last.peer, "192.0.2.7:4500");
    CHECK_STR_EQ(s.last.tunnel_group, "corp");
    CHECK_STR_EQ(s.last.user, "alice");
    CHECK_STR_EQ(s.last.session, "ikev2#3");
    CHECK_STR_EQ(s.last.message, "again");
    CHECK_INT_EQ(s.last.priority, LOG_NOTICE);
    log_ring_stop();
}

static void test_window_and_cuts(void)
{
    CHECK(log_ring_start() >= 0);
    int saved = quiet_begin();
    for (int i = 0; i < LOG_RING_SIZE + 100; i++)
        log_info(CONFIG_SUBSYS_MAIN, "line %d", i);
    quiet_end(saved);
    struct seen s = { .in_order = true };
    uint64_t missed = 0;
    (void)log_ring_read(0, collect, &s, &missed);
    CHECK_INT_EQ(s.n, LOG_RING_SIZE);
    CHECK_INT_EQ(missed, 100);
    CHECK(s.in_order);
    CHECK_STR_EQ(s.first_message, "line 100");

    /* A long peer field and message are cut at the ring's limits. */
    static char longer[LOG_RING_TEXT_MAX * 2];
    memset(longer, 'x', sizeof(longer) - 1);
    const struct log_ctx ctx = { .peer = longer };
    uint64_t since = log_ring_last();
    saved = quiet_begin();
    log_info_ctx(&ctx, CONFIG_SUBSYS_MAIN, "%s", longer);
    quiet_end(saved);
    s = (struct seen){ .in_order = true };
    (void)log_ring_read(since, collect, &s, &missed);
    CHECK_INT_EQ(s.n, 1);
    CHECK_INT_EQ(strlen(s.last.peer), LOG_RING_FIELD_MAX - 1);
    CHECK_INT_EQ(strlen(s.last.message), LOG_RING_TEXT_MAX - 1);
    log_ring_stop();
}

/* Long lines fill the text store before the table wraps: the oldest go,
 * the rest come back whole, and the reader is told the count. */
static void test_long_lines_push_out_old(void)
{
    CHECK(log_ring_start() >= 0);
    static char msg[LOG_RING_TEXT_MAX];
    const struct log_ctx ctx = { .peer = "198.51.100.200:4500", .user = "bob" };
    int saved = quiet_begin();
    for (int i = 0; i < 400; i++) {
        memset(msg, 'a' + i % 26, sizeof(msg) - 1);
        snprintf(msg, 16, "%05d", i);
        msg[5] = '-';
        log_info_ctx(&ctx, CONFIG_SUBSYS_MAIN, "%s", msg);
    }
    quiet_end(saved);
    struct seen s = { .in_order = true };
    uint64_t missed = 0;
    (void)log_ring_read(0, collect, &s, &missed);
    CHECK(s.n > 64 && s.n < 400);
    CHECK_INT_EQ(s.n + missed, 400);
    CHECK(s.in_order);
    char want[8];
    snprintf(want, sizeof(want), "%05d-", (int)missed);
    CHECK(strncmp(s.first_message, want, 6) == 0);
    CHECK_INT_EQ(strlen(s.first_message), LOG_RING_TEXT_MAX - 1);
    CHECK(s.first_message[LOG_RING_TEXT_MAX - 2] == 'a' + (char)(missed % 26));
    CHECK(strncmp(s.last.message, "00399-", 6) == 0);
    CHECK_STR_EQ(s.last.user, "bob");
    log_ring_stop();
}

TEST_MAIN(TEST(test_lines_come_back), TEST(test_window_and_cuts), TEST(test_long_lines_push_out_old))
