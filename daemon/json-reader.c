/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "json-reader.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "jsonline.h"

enum {
    EXPECT_VALUE,           /* at the start, after a colon, after a comma in an array */
    EXPECT_FIRST_KEY,       /* after '{': a key or '}' */
    EXPECT_KEY,             /* after a comma in an object */
    EXPECT_FIRST_VALUE,     /* after '[': a value or ']' */
    EXPECT_NEXT,            /* after a member or element: ',' or the container's end */
    EXPECT_DONE,            /* after the value: whitespace only */
    EXPECT_FAILED,
};

void json_reader_init(struct json_reader *r, const char *text, size_t len)
{
    *r = (struct json_reader){ .p = text, .end = text + len, .expect = EXPECT_VALUE };
}

static enum json_token fail(struct json_reader *r)
{
    r->expect = EXPECT_FAILED;
    return JSON_TOKEN_ERROR;
}

static void skip_whitespace(struct json_reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A UTF-8 sequence by its shape (a lead byte and as many continuation
 * bytes as it announces): what json-c's parser checks, and vpnd's other
 * answers pass names from the network through json-c's serialiser, so a
 * stricter check here would refuse answers vpnctl used to print. */
static size_t utf8_shape(const unsigned char *s, size_t left)
{
    size_t n = *s >= 0xf0 && *s <= 0xf7 ? 4 : *s >= 0xe0 && *s <= 0xef ? 3 : *s >= 0xc0 && *s <= 0xdf ? 2 : 0;
    if (n == 0 || left < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Bytes a string holds as they are: printable ASCII but the quote and the
 * backslash (one look-up per byte: strings are most of an answer). */
static const bool plain_byte[256] = {
    [0x20 ... '"' - 1] = true, ['"' + 1 ... '\\' - 1] = true, ['\\' + 1 ... 0x7f] = true,
};

/* Whether all eight bytes in v are plain_byte ones, in a few word
 * operations instead of eight look-ups (strings are most of an answer, and
 * in the emulated test bed each instruction counts). Exact as a yes/no:
 * (x - 0x01..) & ~x has a byte's high bit set only where some byte of x is
 * zero (a quote or backslash after the XOR), and (v - 0x20..) & ~v only
 * where some byte is below 0x20; v's own high bits are the non-ASCII bytes. */
static bool plain_word(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t quote = v ^ (ones * '"'), backslash = v ^ (ones * '\\');
    uint64_t t = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((v - ones * 0x20) & ~v) | v;
    return (t & high) == 0;
}

/* r->p at the opening quote; on success r->text/len are the contents. */
static bool scan_string(struct json_reader *r)
{
    const unsigned char *s = (const unsigned char *)r->p + 1, *end = (const unsigned char *)r->end;
    r->escaped = false;
    for (;;) {
        uint64_t word;
        while (end - s >= 8 && (memcpy(&word, s, sizeof(word)), plain_word(word)))
            s += 8;
        while (s < end && plain_byte[*s])
            s++;
        if (s >= end)
            return false;
        if (*s == '"')
            break;
        if (*s < 0x20)
            return false;
        if (*s == '\\') {
            r->escaped = true;
            if (end - s < 2)
                return false;
            if (s[1] == 'u') {
                if (end - s < 6 || !is_hex((char)s[2]) || !is_hex((char)s[3]) || !is_hex((char)s[4]) ||
                    !is_hex((char)s[5]))
                    return false;
                s += 6;
            } else if (strchr("\"\\/bfnrt", s[1]) && s[1]) {
                s += 2;
            } else {
                return false;
            }
            continue;
        }
        size_t n = utf8_shape(s, (size_t)(end - s));
        if (!n)
            return false;
        s += n;
    }
    r->text = r->p + 1;
    r->len = (size_t)((const char *)s - r->text);
    r->p = (const char *)s + 1;
    return true;
}

static const char *digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(struct json_reader *r)
{
    const char *p = r->p, *end = r->end, *q;
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if ((q = digits(p, end)) > p)
        p = q;
    else
        return false;
    if (p < end && *p == '.') {
        q = digits(p + 1, end);
        if (q == p + 1)
            return false;
        p = q;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        q = digits(p, end);
        if (q == p)
            return false;
        p = q;
    }
    r->text = r->p;
    r->len = (size_t)(p - r->p);
    r->p = p;
    return true;
}

static bool scan_literal(struct json_reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return false;
    r->text = r->p;
    r->len = n;
    r->p += n;
    return true;
}

static void value_done(struct json_reader *r)
{
    r->expect = r->depth ? EXPECT_NEXT : EXPECT_DONE;
}

static enum json_token open_container(struct json_reader *r, bool object)
{
    if (r->depth + 1 > JSONLINE_MAX_DEPTH)
        return fail(r);
    r->text = r->p++;
    r->len = 1;
    r->depth++;
    if (object)
        r->in_object |= 1ULL << r->depth;
    else
        r->in_object &= ~(1ULL << r->depth);
    r->expect = object ? EXPECT_FIRST_KEY : EXPECT_FIRST_VALUE;
    return object ? JSON_TOKEN_OBJECT_BEGIN : JSON_TOKEN_ARRAY_BEGIN;
}

static enum json_token close_container(struct json_reader *r)
{
    bool object = r->in_object & (1ULL << r->depth);
    if (*r->p != (object ? '}' : ']'))
        return fail(r);
    r->text = r->p++;
    r->len = 1;
    r->depth--;
    value_done(r);
    return object ? JSON_TOKEN_OBJECT_END : JSON_TOKEN_ARRAY_END;
}

static enum json_token value(struct json_reader *r)
{
    enum json_token t;
    switch (*r->p) {
    case '{': return open_container(r, true);
    case '[': return open_container(r, false);
    case '"':
        if (!scan_string(r))
            return fail(r);
        t = JSON_TOKEN_STRING;
        break;
    case 't':
        if (!scan_literal(r, "true"))
            return fail(r);
        t = JSON_TOKEN_TRUE;
        break;
    case 'f':
        if (!scan_literal(r, "false"))
            return fail(r);
        t = JSON_TOKEN_FALSE;
        break;
    case 'n':
        if (!scan_literal(r, "null"))
            return fail(r);
        t = JSON_TOKEN_NULL;
        break;
    default:
        if (!scan_number(r))
            return fail(r);
        t = JSON_TOKEN_NUMBER;
        break;
    }
    value_done(r);
    return t;
}

static enum json_token key(struct json_reader *r)
{
    if (*r->p != '"' || !scan_string(r))
        return fail(r);
    skip_whitespace(r);
    if (r->p >= r->end || *r->p != ':')
        return fail(r);
    r->p++;
    r->expect = EXPECT_VALUE;
    return JSON_TOKEN_KEY;
}

enum json_token json_reader_next(struct json_reader *r)
{
    if (r->expect == EXPECT_FAILED)
        return JSON_TOKEN_ERROR;
    skip_whitespace(r);
    if (r->p >= r->end)
        return r->expect == EXPECT_DONE ? JSON_TOKEN_END : fail(r);
    switch (r->expect) {
    case EXPECT_VALUE:
        return value(r);
    case EXPECT_FIRST_KEY:
        return *r->p == '}' ? close_container(r) : key(r);
    case EXPECT_KEY:
        return key(r);
    case EXPECT_FIRST_VALUE:
        return *r->p == ']' ? close_container(r) : value(r);
    case EXPECT_NEXT:
        if (*r->p != ',')
            return close_container(r);
        r->p++;
        skip_whitespace(r);
        if (r->p >= r->end)
            return fail(r);
        return r->in_object & (1ULL << r->depth) ? key(r) : value(r);
    default:
        return fail(r);     /* something after the value */
    }
}

int json_reader_skip(struct json_reader *r, enum json_token first)
{
    if (first == JSON_TOKEN_ERROR || first == JSON_TOKEN_END || first == JSON_TOKEN_KEY ||
        first == JSON_TOKEN_OBJECT_END || first == JSON_TOKEN_ARRAY_END)
        return -EBADMSG;
    if (first != JSON_TOKEN_OBJECT_BEGIN && first != JSON_TOKEN_ARRAY_BEGIN)
        return 0;
    unsigned depth = r->depth - 1;
    while (r->depth > depth)
        if (json_reader_next(r) == JSON_TOKEN_ERROR)
            return -EBADMSG;
    return 0;
}

static unsigned hex_value(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* Appends c to buf (size) at *n, counting what does not fit. */
static void emit(char *buf, size_t size, size_t *n, char c)
{
    if (*n + 1 < size)
        buf[*n] = c;
    (*n)++;
}

static void emit_utf8(char *buf, size_t size, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        emit(buf, size, n, (char)cp);
    } else if (cp < 0x800) {
        emit(buf, size, n, (char)(0xc0 | cp >> 6));
        emit(buf, size, n, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        emit(buf, size, n, (char)(0xe0 | cp >> 12));
        emit(buf, size, n, (char)(0x80 | (cp >> 6 & 0x3f)));
        emit(buf, size, n, (char)(0x80 | (cp & 0x3f)));
    } else {
        emit(buf, size, n, (char)(0xf0 | cp >> 18));
        emit(buf, size, n, (char)(0x80 | (cp >> 12 & 0x3f)));
        emit(buf, size, n, (char)(0x80 | (cp >> 6 & 0x3f)));
        emit(buf, size, n, (char)(0x80 | (cp & 0x3f)));
    }
}

size_t json_reader_string(const struct json_reader *r, char *buf, size_t size)
{
    size_t n = 0;
    if (!r->escaped) {
        n = r->len;
        if (size) {
            size_t k = n < size - 1 ? n : size - 1;
            memcpy(buf, r->text, k);
            buf[k] = '\0';
        }
        return n;
    }
    /* The scan checked every escape: \uXXXX has its four digits. */
    for (const char *p = r->text, *end = r->text + r->len; p < end;) {
        if (*p != '\\') {
            emit(buf, size, &n, *p++);
            continue;
        }
        char c = p[1];
        p += 2;
        switch (c) {
        case 'b': emit(buf, size, &n, '\b'); break;
        case 'f': emit(buf, size, &n, '\f'); break;
        case 'n': emit(buf, size, &n, '\n'); break;
        case 'r': emit(buf, size, &n, '\r'); break;
        case 't': emit(buf, size, &n, '\t'); break;
        case 'u': {
            unsigned cp = hex_value(p);
            p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned low = hex_value(p + 2);
                if (low >= 0xdc00 && low <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                    p += 6;
                }
            }
            if (cp >= 0xd800 && cp <= 0xdfff)
                cp = 0xfffd;    /* a lone surrogate is no character */
            emit_utf8(buf, size, &n, cp);
            break;
        }
        default: emit(buf, size, &n, c); break;     /* " \ / */
        }
    }
    if (size)
        buf[n < size ? n : size - 1] = '\0';
    return n;
}

bool json_reader_equals(const struct json_reader *r, const char *s)
{
    size_t n = strlen(s);
    if (!r->escaped)
        return r->len == n && memcmp(r->text, s, n) == 0;
    char buf[256];
    return n < sizeof(buf) && json_reader_string(r, buf, sizeof(buf)) == n && memcmp(buf, s, n) == 0;
}

bool json_reader_uint(const struct json_reader *r, uint64_t *v)
{
    uint64_t x = 0;
    if (r->len == 0 || r->len > 20)
        return false;
    for (size_t i = 0; i < r->len; i++) {
        char c = r->text[i];
        if (c < '0' || c > '9')
            return false;
        unsigned d = (unsigned)(c - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}
