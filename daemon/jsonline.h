/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control protocol's framing, shared by vpnd and vpnctl: one JSON object
 * per line, in both directions. A reader accumulates bytes from a socket and
 * hands out complete, parsed objects; a writer queues serialised objects and
 * drains them into a (possibly non-blocking) socket.
 *
 * Both sides bound their buffers, so a peer that never sends a newline or
 * never reads its answers costs at most a fixed amount of memory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

/* Objects nest at most this deep; deeper input is refused by the parser. */
#define JSONLINE_MAX_DEPTH 32

struct jsonline_reader {
    char *buf;
    size_t len;         /* bytes held, not yet consumed */
    size_t scanned;     /* of them, known to hold no newline */
    size_t cap;         /* bytes allocated; grows up to max_line */
    size_t max_line;    /* longest accepted line, newline included */
    size_t handed_out;  /* bytes at the front given by next_line, dropped at the next call */
};

struct jsonline_writer {
    char *buf;
    size_t start;       /* first byte not yet written */
    size_t len;         /* end of queued bytes */
    size_t max_queued;  /* refuse to queue beyond this many unwritten bytes */
};

void jsonline_reader_init(struct jsonline_reader *r, size_t max_line);
void jsonline_reader_done(struct jsonline_reader *r);

/* Reads once from fd. Returns the number of bytes read (>0), 0 at end of
 * file, -EAGAIN when nothing is available on a non-blocking fd, -ENOBUFS when
 * the buffer already holds max_line bytes without a newline, or -errno. */
ssize_t jsonline_reader_fill(struct jsonline_reader *r, int fd);

/* Takes the next complete line from the buffer and parses it. Returns 1 with
 * *ret owning the object, 0 when no complete line is buffered, -EMSGSIZE when
 * the pending line is longer than max_line, -EBADMSG when the line is not
 * exactly one JSON object (strict JSON, valid UTF-8). A bad line is consumed,
 * so the caller may answer it and go on with the next one. */
int jsonline_reader_next(struct jsonline_reader *r, json_object **ret);

/* Parses one line as jsonline_reader_next does: 1 with *ret, or -EBADMSG. */
int jsonline_parse(const char *line, size_t len, json_object **ret);

/* Like jsonline_reader_next, without parsing: 1 with the line (without its
 * newline, not NUL-terminated) in *line, valid until the next call on r,
 * for a reader of its own (json-reader.h). Blank lines are skipped. */
int jsonline_reader_next_line(struct jsonline_reader *r, const char **line, size_t *len);

/* True when bytes of an unfinished line are buffered (used to tell a clean
 * end of file from a truncated message). */
bool jsonline_reader_has_partial(const struct jsonline_reader *r);

void jsonline_writer_init(struct jsonline_writer *w, size_t max_queued);
void jsonline_writer_done(struct jsonline_writer *w);

/* Serialises obj as one line. -ENOBUFS when unwritten bytes are queued and
 * the line would take them beyond max_queued (into an empty queue any line
 * goes). */
int jsonline_writer_queue(struct jsonline_writer *w, json_object *obj);

/* Writes as much as the fd takes. Returns 1 when everything queued has been
 * written, 0 when bytes remain (the fd would block), or -errno (-EPIPE when
 * the peer went away; SIGPIPE is never raised). */
int jsonline_writer_flush(struct jsonline_writer *w, int fd);

bool jsonline_writer_pending(const struct jsonline_writer *w);
