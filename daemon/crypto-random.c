/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Random bytes for values that are not secret, drawn in blocks.
 *
 * OpenSSL 3.0's DRBG asks the kernel for the process id on every call (its
 * fork check: a getpid(2) each), and a tunnel drew random bytes some eleven
 * times: its SPIs, nonce, SK payload IVs, the jitter of its SA lifetimes.
 * Under the emulated CPU of the benchmark each system call is tens of
 * microseconds. These values go on the wire in clear or only spread timers,
 * so they are taken from a per-thread block of RAND_bytes output instead,
 * refilled when used up; bytes handed out are wiped from the block. Keys,
 * private values and anything that must stay secret keep using
 * crypto_random / RAND_priv_bytes (OpenSSL's private DRBG).
 *
 * A forked child would hand out the parent's next bytes again: its block
 * (the forking thread's, the only thread a child has) is dropped in the
 * child (pthread_atfork), so it refills.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto.h"

#define RANDOM_BLOCK 256

static _Thread_local unsigned char block[RANDOM_BLOCK];
static _Thread_local size_t block_left;     /* unused bytes at the block's end */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* The child has one thread, the one that forked: its block goes. */
static void in_forked_child(void)
{
    OPENSSL_cleanse(block, sizeof(block));
    block_left = 0;
}

static void register_atfork(void)
{
    (void)pthread_atfork(NULL, NULL, in_forked_child);
}

int crypto_random_public(void *buf, size_t len)
{
    if (!buf && len)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (len > RANDOM_BLOCK / 4)
        return crypto_random(buf, len);
    pthread_once(&atfork_once, register_atfork);

    if (block_left < len) {
        if (RAND_bytes(block, sizeof(block)) != 1) {
            block_left = 0;
            return -EIO;
        }
        block_left = sizeof(block);
    }
    unsigned char *from = block + sizeof(block) - block_left;
    memcpy(buf, from, len);
    OPENSSL_cleanse(from, len);
    block_left -= len;
    return 0;
}
