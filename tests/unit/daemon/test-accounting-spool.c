/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The accounting spool (daemon/accounting-spool.c) on a real directory:
 * records survive a reopen (a vpnd restart) and come back oldest first;
 * a corrupt, truncated or ill-framed file is moved aside and skipped; the
 * limit refuses records beyond it; an unfinished write is cleaned up.
 * With a writer thread: records become durable (and visible to peek) in
 * the order they were accepted, only after their write; those still
 * pending count toward the limit; freeing the spool writes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "accounting-spool.h"
#include "testing.h"

static char base[] = "/tmp/vpnd-spool-test.XXXXXX";
static char dir[256];
static unsigned dir_counter;

static void fresh_dir(void)
{
    /* A directory below one that does not exist yet: open creates both. */
    snprintf(dir, sizeof(dir), "%s/t%u/accounting/corp", base, ++dir_counter);
}

static bool exists(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* A record whose attributes are one User-Name "userN". */
static size_t record(unsigned n, uint8_t *attrs)
{
    int len = snprintf((char *)attrs + 2, 32, "user%u", n);
    attrs[0] = 1;
    attrs[1] = (uint8_t)(len + 2);
    return (size_t)len + 2;
}

static void append_n(struct acct_spool *s, unsigned from, unsigned to)
{
    uint8_t attrs[64];
    for (unsigned i = from; i <= to; i++) {
        size_t len = record(i, attrs);
        CHECK_INT_EQ(acct_spool_append(s, 1000000ULL * i, attrs, len), 0);
    }
}

/* Peeks the oldest record, checks it is user `n`, removes it. */
static void expect_next(struct acct_spool *s, unsigned n)
{
    uint8_t attrs[ACCT_SPOOL_MAX_ATTRS], want[64];
    size_t len = 0, want_len = record(n, want);
    uint64_t seq = 0, created = 0;
    CHECK_INT_EQ(acct_spool_peek(s, &seq, &created, attrs, &len), 1);
    CHECK_INT_EQ(len, want_len);
    CHECK(len == want_len && memcmp(attrs, want, len) == 0);
    CHECK(created == 1000000ULL * n);
    CHECK_INT_EQ(acct_spool_remove(s, seq), 0);
}

static void test_order_across_reopen(void)
{
    struct acct_spool *s = NULL;
    fresh_dir();
    CHECK_INT_EQ(acct_spool_open(dir, 100, &s), 0);
    if (!s)
        return;
    CHECK_INT_EQ(acct_spool_count(s), 0);
    append_n(s, 1, 12);
    CHECK_INT_EQ(acct_spool_count(s), 12);
    CHECK(exists("0000000000000001.acct") && exists("000000000000000c.acct"));
    acct_spool_free(s);

    /* A restart: the files are the spool. */
    CHECK_INT_EQ(acct_spool_open(dir, 100, &s), 0);
    if (!s)
        return;
    CHECK_INT_EQ(acct_spool_count(s), 12);
    for (unsigned i = 1; i <= 5; i++)
        expect_next(s, i);
    CHECK(!exists("0000000000000001.acct"));
    /* New records go behind the old ones, with numbers after theirs. */
    append_n(s, 13, 14);
    CHECK(exists("000000000000000e.acct"));
    acct_spool_free(s);
    CHECK_INT_EQ(acct_spool_open(dir, 100, &s), 0);
    if (!s)
        return;
    for (unsigned i = 6; i <= 14; i++)
        expect_next(s, i);
    uint8_t attrs[ACCT_SPOOL_MAX_ATTRS];
    size_t len;
    uint64_t seq, created;
    CHECK_INT_EQ(acct_spool_peek(s, &seq, &created, attrs, &len), 0);
    /* Only the oldest may be removed. */
    append_n(s, 15, 16);
    CHECK_INT_EQ(acct_spool_remove(s, 16), -ESTALE);
    acct_spool_free(s);
}

static void overwrite(const char *name, const void *data, size_t len, off_t at, bool truncate_after)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(pwrite(fd, data, len, at) == (ssize_t)len);
    if (truncate_after)
        CHECK(ftruncate(fd, at + (off_t)len) == 0);
    close(fd);
}

static void test_corrupt_moved_aside(void)
{
    struct acct_spool *s = NULL;
    fresh_dir();
    CHECK_INT_EQ(acct_spool_open(dir, 100, &s), 0);
    if (!s)
        return;
    append_n(s, 1, 4);
    /* An ill-framed record written as such: its checksum is right, its
     * attribute claims more bytes than there are. */
    uint8_t bad[] = { 1, 9, 'x', 'y' };
    CHECK_INT_EQ(acct_spool_append(s, 5000000, bad, sizeof(bad)), 0);
    append_n(s, 6, 6);
    acct_spool_free(s);

    overwrite("0000000000000002.acct", "\xff", 1, 25, false);       /* a flipped byte in the attributes */
    overwrite("0000000000000003.acct", "VPNDACCT", 8, 0, true);      /* truncated */
    overwrite("0000000000000004.acct", "NOTASPOOL", 9, 0, false);    /* not ours */

    CHECK_INT_EQ(acct_spool_open(dir, 100, &s), 0);
    if (!s)
        return;
    expect_next(s, 1);
    expect_next(s, 6);      /* 2, 3, 4 and 5 skipped */
    struct acct_spool_stats st;
    acct_spool_get_stats(s, &st);
    CHECK_INT_EQ(st.corrupt, 4);
    CHECK_INT_EQ(st.records, 0);
    CHECK(exists("0000000000000002.acct.corrupt") && !exists("0000000000000002.acct"));
    CHECK(exists("0000000000000003.acct.corrupt"));
    CHECK(exists("0000000000000004.acct.corrupt"));
    CHECK(exists("0000000000000005.acct.corrupt"));
    acct_spool_free(s);

    /* Moved-aside files are not records at the next start. */
    CHECK_INT_EQ(acct_spool_open(dir, 100, &s), 0);
    if (s)
        CHECK_INT_EQ(acct_spool_count(s), 0);
    acct_spool_free(s);
}

static void test_full(void)
{
    struct acct_spool *s = NULL;
    uint8_t attrs[64];
    fresh_dir();
    CHECK_INT_EQ(acct_spool_open(dir, 3, &s), 0);
    if (!s)
        return;
    append_n(s, 1, 3);
    size_t len = record(4, attrs);
    CHECK_INT_EQ(acct_spool_append(s, 4000000, attrs, len), -ENOSPC);
    CHECK(!exists("0000000000000004.acct"));
    CHECK_INT_EQ(acct_spool_count(s), 3);
    expect_next(s, 1);
    CHECK_INT_EQ(acct_spool_append(s, 4000000, attrs, len), 0);
    /* Nonsense is refused before it reaches the disk. */
    CHECK_INT_EQ(acct_spool_append(s, 0, attrs, 0), -EINVAL);
    CHECK_INT_EQ(acct_spool_append(s, 0, attrs, ACCT_SPOOL_MAX_ATTRS + 1), -EINVAL);
    for (unsigned i = 2; i <= 4; i++)
        expect_next(s, i);
    acct_spool_free(s);
}

static void test_unfinished_write_removed(void)
{
    struct acct_spool *s = NULL;
    fresh_dir();
    CHECK_INT_EQ(acct_spool_open(dir, 10, &s), 0);
    if (!s)
        return;
    append_n(s, 1, 1);
    acct_spool_free(s);
    char path[512];
    snprintf(path, sizeof(path), "%s/0000000000000002.acct.tmp", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("half a rec", f);
        fclose(f);
    }
    CHECK_INT_EQ(acct_spool_open(dir, 10, &s), 0);
    if (!s)
        return;
    CHECK(!exists("0000000000000002.acct.tmp"));
    CHECK_INT_EQ(acct_spool_count(s), 1);
    expect_next(s, 1);
    acct_spool_free(s);
}

static void test_unusable_directory(void)
{
    struct acct_spool *s = NULL;
    char file[300];
    fresh_dir();
    CHECK_INT_EQ(acct_spool_open(dir, 10, &s), 0);
    acct_spool_free(s);
    /* A path through a regular file cannot be a directory. */
    snprintf(file, sizeof(file), "%s/0000000000000009.acct.x/sub", dir);
    char parent[300];
    snprintf(parent, sizeof(parent), "%s/0000000000000009.acct.x", dir);
    FILE *f = fopen(parent, "w");
    if (f)
        fclose(f);
    s = NULL;
    CHECK(acct_spool_open(file, 10, &s) < 0);
    CHECK(s == NULL);
}

/* ---- with a writer thread ---- */

#define WRITTEN_MAX 16

struct written_log {
    unsigned n;
    unsigned order[WRITTEN_MAX];    /* the record (user N) of each callback, in callback order */
    int result[WRITTEN_MAX];
};

struct written_ctx {
    struct written_log *log;
    unsigned user;
};

static struct written_ctx contexts[WRITTEN_MAX];

static void on_written(void *userdata, int result)
{
    struct written_ctx *c = userdata;
    if (c->log->n < WRITTEN_MAX) {
        c->log->order[c->log->n] = c->user;
        c->log->result[c->log->n] = result;
    }
    c->log->n++;
}

static int submit_user(struct acct_spool *s, struct written_log *log, unsigned n)
{
    uint8_t attrs[64];
    size_t len = record(n, attrs);
    contexts[n] = (struct written_ctx){ .log = log, .user = n };
    return acct_spool_submit(s, 1000000ULL * n, attrs, len, on_written, &contexts[n]);
}

/* Runs the loop until `want` callbacks came (bounded, so a lost one fails
 * the test instead of hanging it). */
static void run_until(sd_event *event, const struct written_log *log, unsigned want)
{
    for (unsigned i = 0; i < 600 && log->n < want; i++)
        if (sd_event_run(event, 100000) < 0)
            break;
    CHECK_INT_EQ(log->n, want);
}

static bool in_order(const struct written_log *log, unsigned from, unsigned to)
{
    for (unsigned i = from; i <= to; i++)
        if (log->order[i - from] != i || log->result[i - from] != 0)
            return false;
    return true;
}

static void test_writer_order(void)
{
    sd_event *event = NULL;
    struct acct_spool *s = NULL;
    struct written_log log = { 0 };
    uint8_t attrs[ACCT_SPOOL_MAX_ATTRS];
    uint64_t seq, created;
    size_t len;

    fresh_dir();
    CHECK_INT_EQ(sd_event_new(&event), 0);
    CHECK_INT_EQ(acct_spool_open(dir, 100, &s), 0);
    if (!s || !event)
        return;
    CHECK_INT_EQ(acct_spool_start_writer(s, event), 0);
    for (unsigned i = 1; i <= 6; i++)
        CHECK_INT_EQ(submit_user(s, &log, i), 0);
    /* Accepted, not yet durable: replay must not see them. */
    CHECK_INT_EQ(log.n, 0);
    CHECK_INT_EQ(acct_spool_pending(s), 6);
    CHECK_INT_EQ(acct_spool_count(s), 0);
    CHECK_INT_EQ(acct_spool_peek(s, &seq, &created, attrs, &len), 0);
    /* The synchronous append would jump the queue: refused. */
    CHECK_INT_EQ(acct_spool_append(s, 1, attrs, 3), -EBUSY);

    run_until(event, &log, 6);
    CHECK(in_order(&log, 1, 6));
    CHECK_INT_EQ(acct_spool_pending(s), 0);
    CHECK_INT_EQ(acct_spool_count(s), 6);
    CHECK(exists("0000000000000006.acct") && !exists("0000000000000006.acct.tmp"));
    for (unsigned i = 1; i <= 6; i++)
        expect_next(s, i);
    acct_spool_free(s);
    sd_event_unref(event);
}

static void test_writer_limit_counts_pending(void)
{
    sd_event *event = NULL;
    struct acct_spool *s = NULL;
    struct written_log log = { 0 };

    fresh_dir();
    CHECK_INT_EQ(sd_event_new(&event), 0);
    CHECK_INT_EQ(acct_spool_open(dir, 3, &s), 0);
    if (!s || !event)
        return;
    CHECK_INT_EQ(acct_spool_start_writer(s, event), 0);
    for (unsigned i = 1; i <= 3; i++)
        CHECK_INT_EQ(submit_user(s, &log, i), 0);
    /* Nothing on disk yet, three in memory: the fourth is over the limit. */
    CHECK_INT_EQ(acct_spool_count(s), 0);
    CHECK_INT_EQ(submit_user(s, &log, 4), -ENOSPC);
    run_until(event, &log, 3);
    CHECK(in_order(&log, 1, 3));
    CHECK_INT_EQ(submit_user(s, &log, 4), -ENOSPC);
    expect_next(s, 1);
    CHECK_INT_EQ(submit_user(s, &log, 4), 0);
    run_until(event, &log, 4);
    CHECK_INT_EQ(log.order[3], 4);
    for (unsigned i = 2; i <= 4; i++)
        expect_next(s, i);
    acct_spool_free(s);
    sd_event_unref(event);
}

static void test_writer_flushed_on_free(void)
{
    sd_event *event = NULL;
    struct acct_spool *s = NULL;
    struct written_log log = { 0 };

    fresh_dir();
    CHECK_INT_EQ(sd_event_new(&event), 0);
    CHECK_INT_EQ(acct_spool_open(dir, 100, &s), 0);
    if (!s || !event)
        return;
    /* Two durable records first, then five accepted while the loop never
     * runs again (vpnd stopping): the writer has at most the first. */
    CHECK_INT_EQ(acct_spool_start_writer(s, event), 0);
    for (unsigned i = 1; i <= 2; i++)
        CHECK_INT_EQ(submit_user(s, &log, i), 0);
    run_until(event, &log, 2);
    for (unsigned i = 3; i <= 7; i++)
        CHECK_INT_EQ(submit_user(s, &log, i), 0);
    CHECK_INT_EQ(acct_spool_pending(s), 5);
    acct_spool_free(s);
    /* Every accepted record was reported written, in order... */
    CHECK_INT_EQ(log.n, 7);
    CHECK(in_order(&log, 1, 7));
    sd_event_unref(event);

    /* ...and is there for the next start, oldest first. */
    CHECK_INT_EQ(acct_spool_open(dir, 100, &s), 0);
    if (!s)
        return;
    CHECK_INT_EQ(acct_spool_count(s), 7);
    for (unsigned i = 1; i <= 7; i++)
        expect_next(s, i);
    acct_spool_free(s);
}

static void test_no_writer_is_synchronous(void)
{
    struct acct_spool *s = NULL;
    struct written_log log = { 0 };

    fresh_dir();
    CHECK_INT_EQ(acct_spool_open(dir, 100, &s), 0);
    if (!s)
        return;
    CHECK_INT_EQ(submit_user(s, &log, 1), 0);
    /* Written before submit returned: callback done, record in the index. */
    CHECK_INT_EQ(log.n, 1);
    CHECK(in_order(&log, 1, 1));
    CHECK_INT_EQ(acct_spool_pending(s), 0);
    CHECK_INT_EQ(acct_spool_count(s), 1);
    expect_next(s, 1);
    acct_spool_free(s);
}

static void cleanup(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    if (system(cmd) != 0)
        printf("# cannot remove %s\n", base);
}

static void setup(void)
{
    if (!mkdtemp(base)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        exit(1);
    }
    atexit(cleanup);
}

static void test_setup(void)
{
    setup();
    CHECK(access(base, W_OK) == 0);
}

TEST_MAIN(TEST(test_setup), TEST(test_order_across_reopen), TEST(test_corrupt_moved_aside), TEST(test_full),
          TEST(test_unfinished_write_removed), TEST(test_unusable_directory), TEST(test_writer_order),
          TEST(test_writer_limit_counts_pending), TEST(test_writer_flushed_on_free),
          TEST(test_no_writer_is_synchronous))
