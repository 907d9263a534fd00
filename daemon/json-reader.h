/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A pull reader of one JSON text held in memory: token by token, without
 * building a tree. vpnctl reads its large answers with it (`sessions`, and
 * --json, which prints the answer as it came): parsing 10,000 sessions into
 * json-c objects (300,000 of them) cost more than everything else vpnctl
 * did. It refuses what the control socket's json-c parser refuses
 * (jsonline.c), and more: the RFC 8259 grammar exactly (json-c also takes
 * "1.", NaN, single quotes and raw tabs in strings, none of which its
 * serialiser writes), no control characters in strings, UTF-8 checked for
 * its shape as json-c does, at most JSONLINE_MAX_DEPTH levels, nothing
 * after the value but whitespace. Any violation is JSON_TOKEN_ERROR, and
 * stays so.
 *
 * Token texts point into the input, which must outlive the reader.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_token {
    JSON_TOKEN_ERROR = -1,
    JSON_TOKEN_END = 0,         /* the value is complete and only whitespace followed */
    JSON_TOKEN_OBJECT_BEGIN,
    JSON_TOKEN_OBJECT_END,
    JSON_TOKEN_ARRAY_BEGIN,
    JSON_TOKEN_ARRAY_END,
    JSON_TOKEN_KEY,             /* a member's name; its value is the next token */
    JSON_TOKEN_STRING,
    JSON_TOKEN_NUMBER,
    JSON_TOKEN_TRUE,
    JSON_TOKEN_FALSE,
    JSON_TOKEN_NULL,
};

struct json_reader {
    const char *p, *end;
    unsigned depth;             /* containers open */
    uint64_t in_object;         /* bit d: the container at depth d is an object */
    int expect;                 /* what may come next (json-reader.c) */
    /* The last token: a key's or string's text between the quotes (escapes
     * as they are), a number's or literal's characters. */
    const char *text;
    size_t len;
    bool escaped;               /* the string or key holds escapes */
};

void json_reader_init(struct json_reader *r, const char *text, size_t len);
enum json_token json_reader_next(struct json_reader *r);
/* Skips the value whose first token `first` was just returned (a scalar:
 * nothing to do; an object or array: up to its end). 0 or -EBADMSG. */
int json_reader_skip(struct json_reader *r, enum json_token first);
/* The last key or string without its escapes, NUL-terminated in buf
 * (truncated to size - 1 bytes). Returns the decoded length. */
size_t json_reader_string(const struct json_reader *r, char *buf, size_t size);
/* True when the last key or string is exactly s. */
bool json_reader_equals(const struct json_reader *r, const char *s);
/* The last number as an unsigned integer; false when it is negative, has
 * a fraction or exponent, or does not fit. */
bool json_reader_uint(const struct json_reader *r, uint64_t *v);
