/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Randomness, constant-time comparison and wiping, all from OpenSSL so that
 * no caller is tempted by rand(), memcmp() or a memset() the compiler drops.
 */
#include <errno.h>
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto.h"

int crypto_random(void *buf, size_t len)
{
    unsigned char *p = buf;

    if (!buf && len)
        return -EINVAL;
    /* RAND_bytes takes an int length. */
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, chunk) != 1)
            return -EIO;
        p += chunk;
        len -= (size_t)chunk;
    }
    return 0;
}

bool crypto_memequal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void crypto_wipe(void *buf, size_t len)
{
    if (buf && len)
        OPENSSL_cleanse(buf, len);
}

int crypto_matches(int computed, void *expected, size_t expected_size, const void *got, size_t got_len)
{
    /* An empty MAC never matches, even an empty one. */
    int r = computed < 0 ? computed
                         : computed > 0 && (size_t)computed == got_len && got && crypto_memequal(expected, got, got_len);
    crypto_wipe(expected, expected_size);
    return r;
}
