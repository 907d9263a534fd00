/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "jsonline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define JSONLINE_INITIAL_BUFFER 4096

void jsonline_reader_init(struct jsonline_reader *r, size_t max_line)
{
    *r = (struct jsonline_reader) { .max_line = max_line };
}

void jsonline_reader_done(struct jsonline_reader *r)
{
    free(r->buf);
    *r = (struct jsonline_reader) { .max_line = r->max_line };
}

/* Drops the line next_line handed out (a large answer: moved once). */
static void drop_handed_out(struct jsonline_reader *r)
{
    if (!r->handed_out)
        return;
    memmove(r->buf, r->buf + r->handed_out, r->len - r->handed_out);
    r->len -= r->handed_out;
    r->scanned = 0;
    r->handed_out = 0;
}

bool jsonline_reader_has_partial(const struct jsonline_reader *r)
{
    return r->len > r->handed_out;
}

ssize_t jsonline_reader_fill(struct jsonline_reader *r, int fd)
{
    drop_handed_out(r);
    if (r->len >= r->max_line)
        return -ENOBUFS;

    /* Grow on demand up to max_line, so idle connections stay small, and
     * keep some headroom so one read can bring in several lines. */
    if (r->cap - r->len < 1024 && r->cap < r->max_line) {
        size_t cap = r->cap ? r->cap * 2 : JSONLINE_INITIAL_BUFFER;
        if (cap > r->max_line)
            cap = r->max_line;
        char *p = realloc(r->buf, cap);
        if (!p)
            return -ENOMEM;
        r->buf = p;
        r->cap = cap;
    }
    ssize_t n = read(fd, r->buf + r->len, r->cap - r->len);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    r->len += (size_t)n;
    return n;
}

static bool only_whitespace(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

int jsonline_parse(const char *line, size_t len, json_object **ret)
{
    /* A NUL would end the parse early and hide the rest of the line. */
    if (memchr(line, '\0', len))
        return -EBADMSG;

    json_tokener *tok = json_tokener_new_ex(JSONLINE_MAX_DEPTH);
    if (!tok)
        return -ENOMEM;
    int flags = JSON_TOKENER_STRICT;
#ifdef JSON_TOKENER_VALIDATE_UTF8
    flags |= JSON_TOKENER_VALIDATE_UTF8;
#endif
    json_tokener_set_flags(tok, flags);

    json_object *obj = json_tokener_parse_ex(tok, line, (int)len);
    int r = 0;
    if (!obj || json_tokener_get_error(tok) != json_tokener_success)
        r = -EBADMSG;
    else if (!only_whitespace(line + json_tokener_get_parse_end(tok),
                              len - json_tokener_get_parse_end(tok)))
        r = -EBADMSG;   /* two objects, or trailing garbage */
    else if (!json_object_is_type(obj, json_type_object))
        r = -EBADMSG;
    json_tokener_free(tok);

    if (r < 0) {
        json_object_put(obj);
        return r;
    }
    *ret = obj;
    return 1;
}

int jsonline_reader_next_line(struct jsonline_reader *r, const char **line, size_t *len)
{
    drop_handed_out(r);
    for (;;) {
        char *nl = r->len > r->scanned ? memchr(r->buf + r->scanned, '\n', r->len - r->scanned) : NULL;
        if (!nl) {
            r->scanned = r->len;
            return r->len >= r->max_line ? -EMSGSIZE : 0;
        }
        size_t line_len = (size_t)(nl - r->buf);
        if (line_len + 1 > r->max_line) {
            r->handed_out = line_len + 1;
            return -EMSGSIZE;
        }
        if (only_whitespace(r->buf, line_len)) {
            memmove(r->buf, r->buf + line_len + 1, r->len - line_len - 1);
            r->len -= line_len + 1;
            r->scanned = 0;
            continue;
        }
        r->handed_out = line_len + 1;
        *line = r->buf;
        *len = line_len;
        return 1;
    }
}

int jsonline_reader_next(struct jsonline_reader *r, json_object **ret)
{
    const char *line;
    size_t len;
    int res = jsonline_reader_next_line(r, &line, &len);
    if (res > 0)
        res = jsonline_parse(line, len, ret);
    drop_handed_out(r);         /* the line is parsed (or refused): consumed */
    return res;
}

void jsonline_writer_init(struct jsonline_writer *w, size_t max_queued)
{
    *w = (struct jsonline_writer) { .max_queued = max_queued };
}

void jsonline_writer_done(struct jsonline_writer *w)
{
    free(w->buf);
    *w = (struct jsonline_writer) { .max_queued = w->max_queued };
}

bool jsonline_writer_pending(const struct jsonline_writer *w)
{
    return w->start < w->len;
}

int jsonline_writer_queue(struct jsonline_writer *w, json_object *obj)
{
    size_t n;
    /* PLAIN never emits a raw newline: strings escape it as \n. */
    const char *text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    if (!text)
        return -ENOMEM;

    /* The bound is on what piles up unread: one answer, however large (a
     * list of 10,000 sessions), is taken when nothing else waits. */
    size_t pending = w->len - w->start;
    if (pending > 0 && (n + 1 > w->max_queued || pending > w->max_queued - (n + 1)))
        return -ENOBUFS;

    /* Compact first: written bytes at the front are dead weight. */
    if (w->start > 0) {
        memmove(w->buf, w->buf + w->start, pending);
        w->start = 0;
        w->len = pending;
    }
    char *p = realloc(w->buf, w->len + n + 1);
    if (!p)
        return -ENOMEM;
    w->buf = p;
    memcpy(w->buf + w->len, text, n);
    w->buf[w->len + n] = '\n';
    w->len += n + 1;
    return 0;
}

int jsonline_writer_flush(struct jsonline_writer *w, int fd)
{
    while (w->start < w->len) {
        ssize_t n = send(fd, w->buf + w->start, w->len - w->start, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -errno;
        }
        w->start += (size_t)n;
    }
    w->start = w->len = 0;
    return 1;
}
