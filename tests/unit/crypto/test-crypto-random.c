/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * crypto_random_public (crypto-random.c): bytes from a per-thread block,
 * never handed out twice: not by consecutive calls, not across a refill,
 * not by two threads, not by a forked child and its parent.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto.h"
#include "testing.h"

#define DRAWS 200
#define DRAW_LEN 16

static bool all_distinct(uint8_t (*v)[DRAW_LEN], size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (memcmp(v[i], v[j], DRAW_LEN) == 0)
                return false;
    return true;
}

static void test_draws_distinct(void)
{
    /* 200 × 16 bytes: several refills of the 256-byte block. */
    static uint8_t v[DRAWS + 1][DRAW_LEN];
    for (size_t i = 0; i < DRAWS; i++)
        CHECK_INT_EQ(crypto_random_public(v[i], DRAW_LEN), 0);
    CHECK(all_distinct(v, DRAWS));

    /* Odd sizes across a refill, and a large request (straight from
     * RAND_bytes): no zero-filled output. */
    uint8_t big[1000], zero[1000] = { 0 };
    for (size_t len = 1; len < 40; len += 7) {
        memset(big, 0, sizeof(big));
        CHECK_INT_EQ(crypto_random_public(big, len), 0);
    }
    CHECK_INT_EQ(crypto_random_public(big, sizeof(big)), 0);
    CHECK(memcmp(big, zero, sizeof(big)) != 0);
    CHECK_INT_EQ(crypto_random_public(NULL, 0), 0);
    CHECK_INT_EQ(crypto_random_public(NULL, 1), -EINVAL);
}

static uint8_t thread_draws[2][DRAWS / 2][DRAW_LEN];

static void *draw_in_thread(void *arg)
{
    uint8_t (*out)[DRAW_LEN] = arg;
    for (size_t i = 0; i < DRAWS / 2; i++)
        if (crypto_random_public(out[i], DRAW_LEN) < 0)
            memset(out[i], 0, DRAW_LEN);
    return NULL;
}

static void test_threads_distinct(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK_INT_EQ(pthread_create(&t[i], NULL, draw_in_thread, thread_draws[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK(all_distinct(&thread_draws[0][0], DRAWS));
}

/* Runs in a thread of its own, so that its block is fresh: after the first
 * draw it holds unused bytes, which a child must not hand out again. */
static void *fork_and_draw(void *arg)
{
    int *result = arg;
    uint8_t warm[DRAW_LEN], parent[DRAW_LEN], child[DRAW_LEN] = { 0 };
    int fds[2];

    *result = 1;
    if (crypto_random_public(warm, sizeof(warm)) < 0 || pipe(fds) < 0)
        return NULL;
    pid_t pid = fork();
    if (pid == 0) {
        uint8_t mine[DRAW_LEN];
        int ok = crypto_random_public(mine, sizeof(mine)) == 0 &&
                 write(fds[1], mine, sizeof(mine)) == (ssize_t)sizeof(mine);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    if (pid < 0 || crypto_random_public(parent, sizeof(parent)) < 0 ||
        read(fds[0], child, sizeof(child)) != (ssize_t)sizeof(child) ||
        waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        *result = 2;
    else
        *result = memcmp(parent, child, sizeof(parent)) != 0 ? 0 : 3;
    close(fds[0]);
    close(fds[1]);
    return NULL;
}

static void test_fork_distinct(void)
{
    pthread_t t;
    int result = -1;
    CHECK_INT_EQ(pthread_create(&t, NULL, fork_and_draw, &result), 0);
    pthread_join(t, NULL);
    CHECK_INT_EQ(result, 0);    /* 3: the child handed out the parent's bytes */
}

TEST_MAIN(TEST(test_draws_distinct),
          TEST(test_threads_distinct),
          TEST(test_fork_distinct))
