/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "json-writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void json_writer_init(struct json_writer *w)
{
    *w = (struct json_writer){ 0 };
}

void json_writer_done(struct json_writer *w)
{
    free(w->buf);
    *w = (struct json_writer){ 0 };
}

int json_writer_error(const struct json_writer *w)
{
    return w->error;
}

char *json_writer_steal(struct json_writer *w, size_t *len)
{
    char *text = w->buf;
    *len = w->len;
    *w = (struct json_writer){ 0 };
    return text;
}

/* Room for n more bytes; false (and the error set) without memory. */
static bool reserve(struct json_writer *w, size_t n)
{
    if (w->error)
        return false;
    if (n <= w->cap - w->len)
        return true;
    if (n > SIZE_MAX / 2 - w->len) {
        w->error = -ENOMEM;
        return false;
    }
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->len < n)
        cap *= 2;
    char *p = realloc(w->buf, cap);
    if (!p) {
        w->error = -ENOMEM;
        return false;
    }
    w->buf = p;
    w->cap = cap;
    return true;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
    if (reserve(w, n)) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
    }
}

/* Before any value or key: the comma between members, unless this value
 * is the one a key announced. */
static void separate(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    uint64_t bit = 1ULL << w->depth;
    if (w->has_members & bit)
        put(w, ",", 1);
    w->has_members |= bit;
}

static void open_container(struct json_writer *w, char c)
{
    separate(w);
    if (w->depth + 1 >= JSON_WRITER_MAX_DEPTH) {
        w->error = w->error ? w->error : -E2BIG;
        return;
    }
    put(w, &c, 1);
    w->depth++;
    w->has_members &= ~(1ULL << w->depth);
}

static void close_container(struct json_writer *w, char c)
{
    if (w->depth == 0 || w->after_key) {
        w->error = w->error ? w->error : -E2BIG;
        return;
    }
    put(w, &c, 1);
    w->depth--;
}

void json_writer_object_begin(struct json_writer *w) { open_container(w, '{'); }
void json_writer_object_end(struct json_writer *w) { close_container(w, '}'); }
void json_writer_array_begin(struct json_writer *w) { open_container(w, '['); }
void json_writer_array_end(struct json_writer *w) { close_container(w, ']'); }

size_t json_utf8_sequence(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Bytes a string holds as they are: printable ASCII but the quote and the
 * backslash. */
static const bool plain_byte[256] = {
    [0x20 ... '"' - 1] = true, ['"' + 1 ... '\\' - 1] = true, ['\\' + 1 ... 0x7f] = true,
};

static void put_escaped(struct json_writer *w, const char *text, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)text;
    /* Room for the worst case at once (every byte a \u escape), so the
     * loop writes without checking. */
    if (len > (SIZE_MAX - 2) / 6 || !reserve(w, 6 * len + 2)) {
        w->error = w->error ? w->error : -ENOMEM;
        return;
    }
    char *out = w->buf + w->len;
    *out++ = '"';
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (plain_byte[c]) {
            *out++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = json_utf8_sequence(s + i, len - i);
            if (n) {
                memcpy(out, s + i, n);
                out += n, i += n;
                continue;
            }
            memcpy(out, "\\ufffd", 6);      /* not UTF-8: the replacement character */
            out += 6;
        } else if (c == '"' || c == '\\') {
            *out++ = '\\', *out++ = (char)c;
        } else if (c == '\n') {
            *out++ = '\\', *out++ = 'n';
        } else if (c == '\r') {
            *out++ = '\\', *out++ = 'r';
        } else if (c == '\t') {
            *out++ = '\\', *out++ = 't';
        } else {
            memcpy(out, "\\u00", 4);
            out[4] = hex[c >> 4], out[5] = hex[c & 15];
            out += 6;
        }
        i++;
    }
    *out++ = '"';
    w->len = (size_t)(out - w->buf);
}

void json_writer_key(struct json_writer *w, const char *key)
{
    if (w->depth == 0 || w->after_key) {
        w->error = w->error ? w->error : -E2BIG;
        return;
    }
    separate(w);
    put_escaped(w, key, strlen(key));
    put(w, ":", 1);
    w->after_key = true;
}

void json_writer_string_len(struct json_writer *w, const char *s, size_t len)
{
    separate(w);
    put_escaped(w, s, len);
}

void json_writer_string(struct json_writer *w, const char *s)
{
    if (!s)
        json_writer_null(w);
    else
        json_writer_string_len(w, s, strlen(s));
}

void json_writer_uint(struct json_writer *w, uint64_t v)
{
    char text[24];
    size_t i = sizeof(text);
    do {        /* by hand: snprintf was a tenth of a 10,000-session list */
        text[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    separate(w);
    put(w, text + i, sizeof(text) - i);
}

void json_writer_bool(struct json_writer *w, bool v)
{
    separate(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_writer_null(struct json_writer *w)
{
    separate(w);
    put(w, "null", 4);
}

void json_writer_raw(struct json_writer *w, const char *text, size_t len)
{
    separate(w);
    put(w, text, len);
}

void json_writer_member_string(struct json_writer *w, const char *key, const char *s)
{
    json_writer_key(w, key);
    json_writer_string(w, s);
}

void json_writer_member_string_len(struct json_writer *w, const char *key, const char *s, size_t len)
{
    json_writer_key(w, key);
    json_writer_string_len(w, s, len);
}

void json_writer_member_uint(struct json_writer *w, const char *key, uint64_t v)
{
    json_writer_key(w, key);
    json_writer_uint(w, v);
}

void json_writer_member_bool(struct json_writer *w, const char *key, bool v)
{
    json_writer_key(w, key);
    json_writer_bool(w, v);
}

void json_writer_member_null(struct json_writer *w, const char *key)
{
    json_writer_key(w, key);
    json_writer_null(w);
}
