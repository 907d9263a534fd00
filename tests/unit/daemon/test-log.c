/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Logging to stderr: per-subsystem debug levels, context fields, escaping
 * of peer-supplied text, errno helpers, priority filter.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log-batch.h"
#include "log.h"
#include "testing.h"

/* Captures what the logger writes to stderr while `fn` runs. */
static char captured[16384];

static void capture_begin(int *saved)
{
    fflush(stderr);
    *saved = dup(STDERR_FILENO);
    FILE *f = tmpfile();
    dup2(fileno(f), STDERR_FILENO);
    fclose(f);
}

static const char *capture_end(int saved)
{
    off_t len = lseek(STDERR_FILENO, 0, SEEK_CUR);
    lseek(STDERR_FILENO, 0, SEEK_SET);
    ssize_t n = len > 0 ? read(STDERR_FILENO, captured, sizeof(captured) - 1) : 0;
    captured[n > 0 ? n : 0] = '\0';
    dup2(saved, STDERR_FILENO);
    close(saved);
    return captured;
}

static void test_debug_levels(void)
{
    int saved;
    log_open(LOG_TARGET_STDERR);
    log_set_debug_level(CONFIG_SUBSYS_IKEV2, 5);
    log_set_debug_level(CONFIG_SUBSYS_POOL, 0);

    CHECK(log_debug_enabled(CONFIG_SUBSYS_IKEV2, 5));
    CHECK(!log_debug_enabled(CONFIG_SUBSYS_IKEV2, 6));
    CHECK(!log_debug_enabled(CONFIG_SUBSYS_POOL, 1));
    CHECK(!log_debug_enabled(CONFIG_SUBSYS_IKEV2, 0));     /* level 0 is "never" */
    CHECK(!log_debug_enabled(CONFIG_SUBSYS_COUNT, 1));

    capture_begin(&saved);
    log_debug(CONFIG_SUBSYS_IKEV2, 1, "shown %d", 1);
    log_debug(CONFIG_SUBSYS_IKEV2, 5, "shown %d", 5);
    log_debug(CONFIG_SUBSYS_IKEV2, 6, "hidden %d", 6);
    log_debug(CONFIG_SUBSYS_POOL, 1, "hidden pool");
    const char *out = capture_end(saved);
    CHECK_STR_EQ(out, "debug ikev2: shown 1\ndebug ikev2: shown 5\n");

    /* Changed at runtime. */
    log_set_debug_level(CONFIG_SUBSYS_POOL, 255);
    CHECK_INT_EQ(log_get_debug_level(CONFIG_SUBSYS_POOL), 255);
    capture_begin(&saved);
    log_debug(CONFIG_SUBSYS_POOL, 200, "now shown");
    out = capture_end(saved);
    CHECK_STR_EQ(out, "debug pool: now shown\n");
    log_set_debug_level(CONFIG_SUBSYS_POOL, 0);
    log_set_debug_level(CONFIG_SUBSYS_IKEV2, 0);
}

static void test_context_and_escaping(void)
{
    int saved;
    const struct log_ctx ctx = {
        .peer = "192.0.2.7:4500",
        .tunnel_group = "corp",
        .user = "mallory\nwarning main: forged",
    };
    log_open(LOG_TARGET_STDERR);
    capture_begin(&saved);
    log_warning_ctx(&ctx, CONFIG_SUBSYS_AUTH, "bad password for %s", ctx.user);
    const char *out = capture_end(saved);
    CHECK_STR_EQ(out, "warning auth: [peer=192.0.2.7:4500 tunnel-group=corp "
                      "user=mallory\\x0awarning main: forged] "
                      "bad password for mallory\\x0awarning main: forged\n");

    const struct log_ctx only_session = { .session = "ike-42" };
    capture_begin(&saved);
    log_info_ctx(&only_session, CONFIG_SUBSYS_IKE, "established");
    out = capture_end(saved);
    CHECK_STR_EQ(out, "info ike: [session=ike-42] established\n");
}

static void test_errno_helpers_and_priority(void)
{
    int saved;
    log_open(LOG_TARGET_STDERR);
    log_set_max_priority(LOG_INFO);

    capture_begin(&saved);
    errno = 0;
    int r = log_error_errno(CONFIG_SUBSYS_NETLINK, -EPERM, "cannot flush: %m");
    int e = errno;
    const char *out = capture_end(saved);
    CHECK_INT_EQ(r, -EPERM);
    CHECK_INT_EQ(e, 0);                 /* errno restored */
    CHECK_STR_EQ(out, "error netlink: cannot flush: Operation not permitted\n");

    /* A positive errno is accepted too, and the result is still negative. */
    capture_begin(&saved);
    r = log_warning_errno(CONFIG_SUBSYS_MAIN, ENOENT, "x");
    capture_end(saved);
    CHECK_INT_EQ(r, -ENOENT);

    CHECK(log_enabled(LOG_INFO));
    CHECK(log_enabled(LOG_ERR));
    log_set_max_priority(LOG_WARNING);
    CHECK(!log_enabled(LOG_INFO));
    CHECK(!log_enabled(LOG_NOTICE));
    CHECK(log_enabled(LOG_WARNING));
    capture_begin(&saved);
    log_info(CONFIG_SUBSYS_MAIN, "dropped");
    log_notice(CONFIG_SUBSYS_MAIN, "dropped too");
    log_warning(CONFIG_SUBSYS_MAIN, "kept");
    out = capture_end(saved);
    CHECK_STR_EQ(out, "warning main: kept\n");
    log_set_max_priority(LOG_INFO);
}

static void test_target_names(void)
{
    CHECK_INT_EQ(log_target_from_string("auto"), LOG_TARGET_AUTO);
    CHECK_INT_EQ(log_target_from_string("journal"), LOG_TARGET_JOURNAL);
    CHECK_INT_EQ(log_target_from_string("stderr"), LOG_TARGET_STDERR);
    CHECK_INT_EQ(log_target_from_string("syslog"), -EINVAL);
    CHECK_INT_EQ(log_target_from_string(NULL), -EINVAL);

    /* auto picks stderr unless $JOURNAL_STREAM names our stderr. */
    setenv("JOURNAL_STREAM", "1:2", 1);
    log_open(LOG_TARGET_AUTO);
    CHECK_INT_EQ(log_get_target(), LOG_TARGET_STDERR);
    unsetenv("JOURNAL_STREAM");
}

/* Every byte outside printable ASCII (and the backslash) as \\xNN; a line
 * longer than the limit is cut, never overflows, and still ends in a
 * newline. */
static void test_escaping_bytes_and_cut(void)
{
    int saved;
    log_open(LOG_TARGET_STDERR);
    capture_begin(&saved);
    log_info(CONFIG_SUBSYS_MAIN, "a\\b%c%c%c~ z", 0x01, 0x7f, 0xff);
    const char *out = capture_end(saved);
    CHECK_STR_EQ(out, "info main: a\\x5cb\\x01\\x7f\\xff~ z\n");

    static char big[5000];
    memset(big, 'q', sizeof(big) - 1);
    capture_begin(&saved);
    log_info(CONFIG_SUBSYS_MAIN, "%s", big);
    out = capture_end(saved);
    size_t len = strlen(out);
    CHECK(len > 2000 && len < 2100);     /* the message is cut at its 2 kB limit */
    CHECK(strncmp(out, "info main: qqq", 14) == 0);
    CHECK(out[len - 1] == '\n' && out[len - 2] == 'q');

    /* Escapes quadruple a line: the output stays within bounds. */
    static char ctl[2100];
    memset(ctl, 0x02, sizeof(ctl) - 1);
    const struct log_ctx ctx = { .peer = "192.0.2.7", .user = ctl };
    capture_begin(&saved);
    log_info_ctx(&ctx, CONFIG_SUBSYS_MAIN, "%s", ctl);
    out = capture_end(saved);
    len = strlen(out);
    CHECK(strncmp(out, "info main: [peer=192.0.2.7 user=\\x02\\x02", 40) == 0);
    CHECK(len > 4000 && out[len - 1] == '\n');
}

static void *log_from_worker(void *arg)
{
    (void)arg;
    log_info(CONFIG_SUBSYS_MAIN, "from a worker");
    return NULL;
}

/* The loop's thread gathers info lines until log_flush; a warning, another
 * thread's line and log_batch_end write out at once, in order. */
static void test_batching(void)
{
    int saved;
    log_open(LOG_TARGET_STDERR);

    capture_begin(&saved);
    log_batch_begin();
    log_info(CONFIG_SUBSYS_MAIN, "one");
    log_debug(CONFIG_SUBSYS_MAIN, 0, "hidden");
    off_t pending = lseek(STDERR_FILENO, 0, SEEK_CUR);
    log_flush();
    const char *out = capture_end(saved);
    CHECK_INT_EQ(pending, 0);                 /* nothing written before the flush */
    CHECK_STR_EQ(out, "info main: one\n");

    capture_begin(&saved);
    log_info(CONFIG_SUBSYS_MAIN, "two");
    log_warning(CONFIG_SUBSYS_MAIN, "three");  /* written at once, after "two" */
    pending = lseek(STDERR_FILENO, 0, SEEK_CUR);
    log_info(CONFIG_SUBSYS_MAIN, "four");
    pthread_t t;
    CHECK_INT_EQ(pthread_create(&t, NULL, log_from_worker, NULL), 0);
    pthread_join(t, NULL);
    off_t after_worker = lseek(STDERR_FILENO, 0, SEEK_CUR);
    log_info(CONFIG_SUBSYS_MAIN, "five");
    log_batch_end();
    out = capture_end(saved);
    CHECK_INT_EQ(pending, (off_t)strlen("info main: two\nwarning main: three\n"));
    CHECK_INT_EQ(after_worker, (off_t)strlen("info main: two\nwarning main: three\n"
                                              "info main: four\ninfo main: from a worker\n"));
    CHECK_STR_EQ(out, "info main: two\nwarning main: three\ninfo main: four\n"
                      "info main: from a worker\ninfo main: five\n");

    /* After log_batch_end, lines are written one by one again. */
    capture_begin(&saved);
    log_info(CONFIG_SUBSYS_MAIN, "six");
    pending = lseek(STDERR_FILENO, 0, SEEK_CUR);
    out = capture_end(saved);
    CHECK_INT_EQ(pending, (off_t)strlen("info main: six\n"));

    /* Many lines: the buffer writes out when full and loses none. */
    capture_begin(&saved);
    log_batch_begin();
    for (int i = 0; i < 400; i++)
        log_info(CONFIG_SUBSYS_MAIN, "line %03d %0200d", i, 0);
    log_batch_end();
    out = capture_end(saved);
    CHECK(strlen(out) == 400 * strlen("info main: line 000 \n") + 400 * 200 ||
          strlen(out) >= sizeof(captured) - 1);
    CHECK(strncmp(out, "info main: line 000 ", 20) == 0);
}

/* On the loop: gathered while the loop has work, written out when it has
 * none left. */
static void test_batching_on_loop(void)
{
    int saved;
    sd_event *event = NULL;
    log_open(LOG_TARGET_STDERR);
    CHECK_INT_EQ(sd_event_new(&event), 0);
    CHECK_INT_EQ(log_batch_start(event), 0);

    capture_begin(&saved);
    log_info(CONFIG_SUBSYS_MAIN, "gathered");
    log_info(CONFIG_SUBSYS_MAIN, "and another");
    off_t pending = lseek(STDERR_FILENO, 0, SEEK_CUR);
    CHECK(sd_event_run(event, 0) > 0);          /* the idle flush, nothing else to do */
    off_t after = lseek(STDERR_FILENO, 0, SEEK_CUR);
    /* Then the post source once, and nothing more: the idle flush was a
     * one-shot, the loop may sleep. */
    int runs = 0;
    while (runs < 5 && sd_event_run(event, 0) > 0)
        runs++;
    CHECK(runs <= 1);
    log_info(CONFIG_SUBSYS_MAIN, "at stop");
    log_batch_stop();
    const char *out = capture_end(saved);
    CHECK_INT_EQ(pending, 0);
    CHECK_INT_EQ(after, (off_t)strlen("info main: gathered\ninfo main: and another\n"));
    CHECK_STR_EQ(out, "info main: gathered\ninfo main: and another\ninfo main: at stop\n");
    sd_event_unref(event);
}

/* A process that dies of abort() (or a fault) still writes what its loop
 * had gathered. */
static void test_batching_crash(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fileno(f), STDERR_FILENO);
        log_open(LOG_TARGET_STDERR);
        log_batch_begin();
        log_info(CONFIG_SUBSYS_MAIN, "before the crash");
        abort();
    }
    int status = 0;
    CHECK_INT_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    char buf[256] = "";
    rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    CHECK_STR_EQ(buf, "info main: before the crash\n");
    fclose(f);
}

TEST_MAIN(TEST(test_debug_levels),
          TEST(test_escaping_bytes_and_cut),
          TEST(test_context_and_escaping),
          TEST(test_errno_helpers_and_priority),
          TEST(test_target_names),
          TEST(test_batching),
          TEST(test_batching_on_loop),
          TEST(test_batching_crash))
