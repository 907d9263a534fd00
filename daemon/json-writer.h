/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * JSON written straight into a growing buffer, for the control answers
 * that list thousands of entries (`vpnctl sessions`): a json-c object per
 * entry costs some 30 allocations, a hash table and a serialisation pass,
 * and at 10,000 sessions that was most of what the daemon spent on the
 * request. The writer puts the commas and colons, escapes strings as
 * RFC 8259 requires (quote, backslash, control characters) and passes valid
 * UTF-8 through; a byte that is not part of valid UTF-8 becomes U+FFFD, so
 * the line always parses (names come from the network).
 *
 * Errors are sticky: after a failed allocation or a nesting deeper than
 * JSON_WRITER_MAX_DEPTH every call does nothing and json_writer_error()
 * says why, so builders check once at the end.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_WRITER_MAX_DEPTH 32

struct json_writer {
    char *buf;
    size_t len, cap;
    int error;                  /* 0, -ENOMEM or -E2BIG (too deep, unbalanced) */
    unsigned depth;
    uint64_t has_members;       /* bit d: the container at depth d has a member */
    bool after_key;             /* the next value is a member's */
};

void json_writer_init(struct json_writer *w);
/* Frees the text. */
void json_writer_done(struct json_writer *w);
/* 0 or the first error. */
int json_writer_error(const struct json_writer *w);
/* Hands the text (not NUL-terminated, may be NULL when empty) to the caller
 * and empties w. */
char *json_writer_steal(struct json_writer *w, size_t *len);

void json_writer_object_begin(struct json_writer *w);
void json_writer_object_end(struct json_writer *w);
void json_writer_array_begin(struct json_writer *w);
void json_writer_array_end(struct json_writer *w);
/* A member's name; its value is the next call. */
void json_writer_key(struct json_writer *w, const char *key);

/* Values. A NULL string is null. */
void json_writer_string(struct json_writer *w, const char *s);
void json_writer_string_len(struct json_writer *w, const char *s, size_t len);
void json_writer_uint(struct json_writer *w, uint64_t v);
void json_writer_bool(struct json_writer *w, bool v);
void json_writer_null(struct json_writer *w);
/* A value that is already JSON text (one complete value, the caller's
 * word for it: a json-c serialisation). */
void json_writer_raw(struct json_writer *w, const char *text, size_t len);

/* Length of the valid UTF-8 sequence at s (1..4 bytes, of left), 0 when
 * the bytes are not one (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
size_t json_utf8_sequence(const unsigned char *s, size_t left);

/* Members: key and value in one call. */
void json_writer_member_string(struct json_writer *w, const char *key, const char *s);
void json_writer_member_string_len(struct json_writer *w, const char *key, const char *s, size_t len);
void json_writer_member_uint(struct json_writer *w, const char *key, uint64_t v);
void json_writer_member_bool(struct json_writer *w, const char *key, bool v);
void json_writer_member_null(struct json_writer *w, const char *key);
