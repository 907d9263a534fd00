/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hex strings to bytes, for the crypto tests' known answers. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes `hex` into `out` (capacity max); aborts on a malformed string,
 * which is a bug in the test itself. Returns the byte count. */
static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = strlen(hex);

    if (n % 2 || n / 2 > max)
        abort();
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            abort();
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

/* True when buf[0..len) is exactly the bytes `hex` spells. */
static int hex_equal(const uint8_t *buf, size_t len, const char *hex)
{
    uint8_t want[1024];
    size_t n = unhex(hex, want, sizeof(want));

    return n == len && memcmp(buf, want, n) == 0;
}
