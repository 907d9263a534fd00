/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control protocol's framing: lines split across reads, several lines
 * in one read, malformed and oversized lines, bounded output.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jsonline.h"
#include "testing.h"

static void make_pair(int fds[2])
{
    CHECK_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
}

static void send_text(int fd, const char *s)
{
    CHECK_INT_EQ(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static const char *member(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static void test_split_and_batched_lines(void)
{
    int fds[2];
    struct jsonline_reader r;
    json_object *o = NULL;

    make_pair(fds);
    jsonline_reader_init(&r, 1024);

    send_text(fds[1], "{\"command\":\"sta");
    CHECK(jsonline_reader_fill(&r, fds[0]) > 0);
    CHECK_INT_EQ(jsonline_reader_next(&r, &o), 0);
    CHECK(jsonline_reader_has_partial(&r));

    send_text(fds[1], "tus\"}\n\n  \n{\"command\":\"reload\"}\n{\"command\":");
    CHECK(jsonline_reader_fill(&r, fds[0]) > 0);
    CHECK_INT_EQ(jsonline_reader_next(&r, &o), 1);
    CHECK_STR_EQ(member(o, "command"), "status");
    json_object_put(o);
    /* Blank lines are skipped. */
    CHECK_INT_EQ(jsonline_reader_next(&r, &o), 1);
    CHECK_STR_EQ(member(o, "command"), "reload");
    json_object_put(o);
    CHECK_INT_EQ(jsonline_reader_next(&r, &o), 0);

    /* Nothing more to read on a non-blocking socket. */
    CHECK_INT_EQ(jsonline_reader_fill(&r, fds[0]), -EAGAIN);
    close(fds[1]);
    CHECK_INT_EQ(jsonline_reader_fill(&r, fds[0]), 0);
    CHECK(jsonline_reader_has_partial(&r));

    jsonline_reader_done(&r);
    close(fds[0]);
}

static void test_bad_lines_are_consumed(void)
{
    static const char *const bad[] = {
        "not json\n",
        "[1,2,3]\n",                        /* not an object */
        "\"text\"\n",
        "{\"a\":1} {\"b\":2}\n",            /* two objects */
        "{\"a\":1}garbage\n",
        "{\"a\":1,}\n",                     /* strict JSON: no trailing comma */
        "{\"a\":\"\xff\xfe\"}\n",           /* invalid UTF-8 */
    };
    int fds[2];
    struct jsonline_reader r;
    json_object *o = NULL;

    make_pair(fds);
    jsonline_reader_init(&r, 1024);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        send_text(fds[1], bad[i]);
        CHECK(jsonline_reader_fill(&r, fds[0]) > 0);
        int res = jsonline_reader_next(&r, &o);
        if (res != -EBADMSG)
            printf("#   line %zu accepted (%d)\n", i, res);
        CHECK_INT_EQ(res, -EBADMSG);
        CHECK(!jsonline_reader_has_partial(&r));
    }
    /* An embedded NUL byte (sent with its length, strlen would stop). */
    static const char nul_line[] = "{\"a\":\"x\0y\"}\n";
    CHECK_INT_EQ(write(fds[1], nul_line, sizeof(nul_line) - 1), (ssize_t)(sizeof(nul_line) - 1));
    CHECK(jsonline_reader_fill(&r, fds[0]) > 0);
    CHECK_INT_EQ(jsonline_reader_next(&r, &o), -EBADMSG);

    /* After bad lines, a good one still parses. */
    send_text(fds[1], "{\"ok\":true}\n");
    CHECK(jsonline_reader_fill(&r, fds[0]) > 0);
    CHECK_INT_EQ(jsonline_reader_next(&r, &o), 1);
    json_object_put(o);

    jsonline_reader_done(&r);
    close(fds[0]);
    close(fds[1]);
}

static void test_deep_nesting_refused(void)
{
    int fds[2];
    struct jsonline_reader r;
    json_object *o = NULL;
    char line[512] = "{\"a\":";
    size_t n = strlen(line);

    for (int i = 0; i < 100; i++)
        line[n++] = '[';
    for (int i = 0; i < 100; i++)
        line[n++] = ']';
    line[n++] = '}';
    line[n++] = '\n';
    line[n] = '\0';

    make_pair(fds);
    jsonline_reader_init(&r, 1024);
    send_text(fds[1], line);
    CHECK(jsonline_reader_fill(&r, fds[0]) > 0);
    CHECK_INT_EQ(jsonline_reader_next(&r, &o), -EBADMSG);
    jsonline_reader_done(&r);
    close(fds[0]);
    close(fds[1]);
}

static void test_overlong_line(void)
{
    int fds[2];
    struct jsonline_reader r;
    json_object *o = NULL;
    char big[300];

    make_pair(fds);
    jsonline_reader_init(&r, 256);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    send_text(fds[1], big);

    ssize_t total = 0, n;
    while ((n = jsonline_reader_fill(&r, fds[0])) > 0)
        total += n;
    CHECK_INT_EQ(total, 256);       /* never buffers more than the limit */
    CHECK_INT_EQ(n, -ENOBUFS);
    CHECK_INT_EQ(jsonline_reader_next(&r, &o), -EMSGSIZE);

    /* A line of exactly the limit (newline included) is accepted. */
    jsonline_reader_done(&r);
    jsonline_reader_init(&r, 16);
    int drain[2];
    make_pair(drain);
    send_text(drain[1], "{\"k\":\"1234567\"}\n");  /* 15 bytes + newline = 16 */
    CHECK(jsonline_reader_fill(&r, drain[0]) > 0);
    CHECK_INT_EQ(jsonline_reader_next(&r, &o), 1);
    json_object_put(o);
    send_text(drain[1], "{\"k\":\"12345678\"}\n"); /* 17 */
    while (jsonline_reader_fill(&r, drain[0]) > 0)
        ;
    CHECK_INT_EQ(jsonline_reader_next(&r, &o), -EMSGSIZE);

    jsonline_reader_done(&r);
    close(fds[0]);
    close(fds[1]);
    close(drain[0]);
    close(drain[1]);
}

static void test_writer_roundtrip_and_escaping(void)
{
    int fds[2];
    struct jsonline_writer w;
    struct jsonline_reader r;
    json_object *in = json_object_new_object(), *out = NULL;

    make_pair(fds);
    jsonline_writer_init(&w, 4096);
    jsonline_reader_init(&r, 4096);
    /* A newline inside a value must not break the framing. */
    json_object_object_add(in, "error", json_object_new_string("line one\nline two /x"));
    CHECK_INT_EQ(jsonline_writer_queue(&w, in), 0);
    CHECK(jsonline_writer_pending(&w));
    CHECK_INT_EQ(jsonline_writer_flush(&w, fds[0]), 1);
    CHECK(!jsonline_writer_pending(&w));

    CHECK(jsonline_reader_fill(&r, fds[1]) > 0);
    CHECK_INT_EQ(jsonline_reader_next(&r, &out), 1);
    CHECK_STR_EQ(member(out, "error"), "line one\nline two /x");
    CHECK_INT_EQ(jsonline_reader_next(&r, &out), 0);

    json_object_put(in);
    json_object_put(out);
    jsonline_writer_done(&w);
    jsonline_reader_done(&r);
    close(fds[0]);
    close(fds[1]);
}

/* A peer that does not read: flush reports pending bytes instead of
 * blocking, and the queue refuses to grow beyond its bound. */
static void test_writer_bounded_and_nonblocking(void)
{
    int fds[2];
    struct jsonline_writer w;
    json_object *o = json_object_new_object();
    char filler[1000];

    memset(filler, 'y', sizeof(filler) - 1);
    filler[sizeof(filler) - 1] = '\0';
    json_object_object_add(o, "data", json_object_new_string(filler));

    make_pair(fds);
    int size = 4096;
    CHECK_INT_EQ(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
    jsonline_writer_init(&w, 64 * 1024);

    int queued = 0, r = 0;
    while ((r = jsonline_writer_queue(&w, o)) == 0) {
        queued++;
        CHECK(jsonline_writer_flush(&w, fds[0]) >= 0);
        if (queued > 100000)
            break;
    }
    CHECK_INT_EQ(r, -ENOBUFS);
    CHECK(queued > 10);
    CHECK_INT_EQ(jsonline_writer_flush(&w, fds[0]), 0);     /* still pending */

    close(fds[1]);
    CHECK_INT_EQ(jsonline_writer_flush(&w, fds[0]), -EPIPE);

    json_object_put(o);
    jsonline_writer_done(&w);
    close(fds[0]);
}

/* One answer larger than the bound goes into an empty queue (a list of
 * 10,000 sessions); nothing more is queued until it is written. It
 * arrives in many reads, each new piece searched once for the newline. */
static void test_large_answer(void)
{
    int fds[2];
    struct jsonline_writer w;
    struct jsonline_reader r;
    json_object *big = json_object_new_array(), *small = json_object_new_object(), *back = NULL;
    char item[64];

    for (int i = 0; i < 20000; i++) {
        snprintf(item, sizeof(item), "session %d", i);
        json_object_array_add(big, json_object_new_string(item));
    }
    json_object *line = json_object_new_object();
    json_object_object_add(line, "sessions", big);
    make_pair(fds);
    jsonline_writer_init(&w, 4096);
    jsonline_reader_init(&r, 1024 * 1024);
    CHECK_INT_EQ(jsonline_writer_queue(&w, line), 0);
    CHECK(w.len > 4096);
    CHECK_INT_EQ(jsonline_writer_queue(&w, small), -ENOBUFS);

    int reads = 0, got = 0;
    for (int rounds = 0; rounds < 100000 && !got; rounds++) {
        int f = jsonline_writer_flush(&w, fds[0]);
        CHECK(f >= 0);
        ssize_t n = jsonline_reader_fill(&r, fds[1]);
        if (n > 0)
            reads++;
        got = jsonline_reader_next(&r, &back);
        CHECK(got >= 0);
    }
    CHECK_INT_EQ(got, 1);
    CHECK(reads > 1);
    CHECK(back && json_object_array_length(json_object_object_get(back, "sessions")) == 20000);
    CHECK_STR_EQ(json_object_get_string(json_object_array_get_idx(json_object_object_get(back, "sessions"), 19999)),
                 "session 19999");
    /* Written: the queue takes the next answer again. */
    CHECK(!jsonline_writer_pending(&w));
    CHECK_INT_EQ(jsonline_writer_queue(&w, small), 0);

    json_object_put(back);
    json_object_put(line);
    json_object_put(small);
    jsonline_writer_done(&w);
    jsonline_reader_done(&r);
    close(fds[0]);
    close(fds[1]);
}

/* Raw lines for readers of their own (vpnctl's json-reader): each stays
 * valid until the next call, blank lines are skipped, bytes of a partial
 * line are kept. */
static void test_next_line(void)
{
    int fds[2];
    struct jsonline_reader r;
    const char *line = NULL;
    size_t len = 0;

    make_pair(fds);
    jsonline_reader_init(&r, 64);
    send_text(fds[1], "{\"a\":1}\n\n  \n{\"b\":2}\n{\"c\"");
    CHECK(jsonline_reader_fill(&r, fds[0]) > 0);
    CHECK_INT_EQ(jsonline_reader_next_line(&r, &line, &len), 1);
    CHECK_INT_EQ((int)len, 7);
    CHECK(memcmp(line, "{\"a\":1}", 7) == 0);
    CHECK_INT_EQ(jsonline_reader_next_line(&r, &line, &len), 1);
    CHECK_INT_EQ((int)len, 7);
    CHECK(memcmp(line, "{\"b\":2}", 7) == 0);
    CHECK_INT_EQ(jsonline_reader_next_line(&r, &line, &len), 0);
    CHECK(jsonline_reader_has_partial(&r));
    send_text(fds[1], ":3}\n");
    CHECK(jsonline_reader_fill(&r, fds[0]) > 0);
    CHECK_INT_EQ(jsonline_reader_next_line(&r, &line, &len), 1);
    CHECK_INT_EQ((int)len, 7);
    CHECK(memcmp(line, "{\"c\":3}", 7) == 0);
    CHECK(!jsonline_reader_has_partial(&r));    /* the handed-out line is spent */

    /* Longer than max_line: refused. */
    char big[100];
    memset(big, ' ', sizeof(big));
    big[0] = '{', big[97] = '}', big[98] = '\n', big[99] = '\0';
    send_text(fds[1], big);
    int res = 0;
    while ((res = jsonline_reader_next_line(&r, &line, &len)) == 0 && jsonline_reader_fill(&r, fds[0]) > 0)
        ;
    CHECK_INT_EQ(res, -EMSGSIZE);
    jsonline_reader_done(&r);
    close(fds[0]);
    close(fds[1]);
}

TEST_MAIN(TEST(test_split_and_batched_lines),
          TEST(test_next_line),
          TEST(test_bad_lines_are_consumed),
          TEST(test_deep_nesting_refused),
          TEST(test_overlong_line),
          TEST(test_writer_roundtrip_and_escaping),
          TEST(test_writer_bounded_and_nonblocking),
          TEST(test_large_answer))
