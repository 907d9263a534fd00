/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "accounting-spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jobs.h"
#include "log.h"

#define MAGIC "VPNDACCT"
#define MAGIC_LEN 8
#define VERSION 1
#define HEADER_LEN (MAGIC_LEN + 1 + 8 + 2)
#define CHECK_LEN 8
#define FILE_MAX (HEADER_LEN + ACCT_SPOOL_MAX_ATTRS + CHECK_LEN)
#define NAME_LEN 16                         /* hex digits of the sequence number */
#define SUFFIX ".acct"

/* A record accepted but not yet durable: numbered, its file's bytes built. */
struct spool_write {
    struct spool_write *next;
    struct acct_spool *spool;
    int dirfd;                              /* the spool's: all the writer touches */
    uint64_t seq;
    acct_spool_written_fn written;
    void *userdata;
    bool attempted;                         /* the writer ran write_record: `result` is its */
    int result;
    size_t len;
    uint8_t bytes[];
};

struct acct_spool {
    char *directory;
    int dirfd;
    unsigned limit;
    uint64_t *seqs;                         /* durable records, oldest first, from `head` */
    size_t head, n, capacity;
    uint64_t next_seq;
    uint64_t corrupt;
    /* Accepted records in sequence order; the first is with the writer when `writing`. */
    struct spool_write *pending, *pending_tail;
    size_t n_pending;
    struct job_pool *writer;
    bool writing;
    bool draining;                          /* inside drain(): it picks up what callbacks add */
    bool closing;                           /* acct_spool_free: everything synchronous now */
};

static void put_be(uint8_t *p, uint64_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

static int checksum(const uint8_t *data, size_t len, uint8_t out[CHECK_LEN])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len < CHECK_LEN)
        return -EIO;
    memcpy(out, md, CHECK_LEN);
    return 0;
}

static void file_name(uint64_t seq, char *buf, size_t len)
{
    snprintf(buf, len, "%016" PRIx64 SUFFIX, seq);
}

/* "0123456789abcdef.acct" -> 1 and the number; anything else 0. */
static int parse_name(const char *name, uint64_t *seq)
{
    if (strlen(name) != NAME_LEN + strlen(SUFFIX) || strcmp(name + NAME_LEN, SUFFIX) != 0)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < NAME_LEN; i++) {
        char c = name[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return 0;
        v = v << 4 | (uint64_t)d;
    }
    *seq = v;
    return 1;
}

static int mkdir_parents(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int compare_seq(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int index_push(struct acct_spool *s, uint64_t seq)
{
    if (s->head > 0 && s->head >= s->n / 2) {
        memmove(s->seqs, s->seqs + s->head, (s->n - s->head) * sizeof(*s->seqs));
        s->n -= s->head;
        s->head = 0;
    }
    if (s->n == s->capacity) {
        size_t cap = s->capacity ? 2 * s->capacity : 64;
        uint64_t *seqs = realloc(s->seqs, cap * sizeof(*seqs));
        if (!seqs)
            return -ENOMEM;
        s->seqs = seqs;
        s->capacity = cap;
    }
    s->seqs[s->n++] = seq;
    return 0;
}

static int scan(struct acct_spool *s)
{
    int fd = dup(s->dirfd);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    struct dirent *e;
    int r = 0;
    while (r >= 0 && (e = readdir(d))) {
        uint64_t seq;
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".tmp") == 0) {
            /* A write the previous vpnd did not finish: never acknowledged, never sent. */
            if (unlinkat(s->dirfd, e->d_name, 0) == 0)
                log_notice(CONFIG_SUBSYS_RADIUS, "accounting spool %s: removed the unfinished record %s",
                           s->directory, e->d_name);
            continue;
        }
        if (!parse_name(e->d_name, &seq))
            continue;
        r = index_push(s, seq);
        if (seq >= s->next_seq)
            s->next_seq = seq + 1;
    }
    closedir(d);
    if (r < 0)
        return r;
    if (s->n > 1)
        qsort(s->seqs, s->n, sizeof(*s->seqs), compare_seq);
    return 0;
}

int acct_spool_open(const char *directory, unsigned limit, struct acct_spool **ret)
{
    struct acct_spool *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->dirfd = -1;
    s->limit = limit ? limit : 1;
    s->next_seq = 1;
    s->directory = strdup(directory);
    int r = s->directory ? mkdir_parents(directory) : -ENOMEM;
    if (r >= 0) {
        s->dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->dirfd < 0)
            r = -errno;
    }
    if (r >= 0)
        r = scan(s);
    if (r < 0) {
        acct_spool_free(s);
        return r;
    }
    *ret = s;
    return 0;
}

static void drain(struct acct_spool *s);

void acct_spool_free(struct acct_spool *s)
{
    if (!s)
        return;
    /* Nothing accepted is dropped: the writer finishes the record it is on
     * (its done() comes from job_pool_free), the rest is written here. */
    s->closing = true;
    job_pool_free(s->writer);
    s->writer = NULL;
    s->writing = false;
    drain(s);
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->seqs);
    free(s->directory);
    free(s);
}

const char *acct_spool_directory(const struct acct_spool *s)
{
    return s->directory;
}

size_t acct_spool_count(const struct acct_spool *s)
{
    return s->n - s->head;
}

size_t acct_spool_pending(const struct acct_spool *s)
{
    return s->n_pending;
}

void acct_spool_get_stats(const struct acct_spool *s, struct acct_spool_stats *ret)
{
    ret->records = acct_spool_count(s);
    ret->pending = s->n_pending;
    ret->corrupt = s->corrupt;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The file work of one record: blocking, so on the writer thread when
 * there is one. Writing the same record twice gives the same file. */
static int write_record(int dirfd, uint64_t seq, const uint8_t *bytes, size_t len)
{
    char name[64], tmp[80];
    file_name(seq, name, sizeof(name));
    snprintf(tmp, sizeof(tmp), "%s.tmp", name);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int r = write_all(fd, bytes, len);
    if (r >= 0 && fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r >= 0)
        r = -errno;
    if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        r = -errno;
    /* The rename is durable only once the directory is. */
    if (r >= 0 && fsync(dirfd) < 0)
        r = -errno;
    if (r < 0)
        (void)unlinkat(dirfd, tmp, 0);
    return r;
}

/* The first pending record is written (r >= 0) or lost: into the index
 * (peek sees it from now on) and to its owner. */
static void complete_first(struct acct_spool *s, int r)
{
    struct spool_write *w = s->pending;
    s->pending = w->next;
    if (!s->pending)
        s->pending_tail = NULL;
    s->n_pending--;
    if (r >= 0) {
        r = index_push(s, w->seq);
        if (r < 0) {
            char name[64];
            file_name(w->seq, name, sizeof(name));
            (void)unlinkat(s->dirfd, name, 0);
        }
    }
    w->written(w->userdata, r);
    OPENSSL_cleanse(w->bytes, w->len);
    free(w);
}

static int writer_work(void *userdata)
{
    struct spool_write *w = userdata;
    w->result = write_record(w->dirfd, w->seq, w->bytes, w->len);
    w->attempted = true;
    return w->result;
}

static void writer_done(void *userdata, int r)
{
    struct spool_write *w = userdata;
    struct acct_spool *s = w->spool;
    s->writing = false;
    /* Cancelled only when the writer stops (acct_spool_free): written
     * then if the thread had not got to it, its result if it had. */
    if (r == -ECANCELED)
        r = w->attempted ? w->result : write_record(w->dirfd, w->seq, w->bytes, w->len);
    complete_first(s, r);
    if (!s->closing)
        drain(s);
}

/* Hands the first pending record to the writer; without one (or when it
 * refuses, or the spool is closing) writes records here until one is
 * with the writer or none is left. One at a time: records reach the index
 * in sequence order. */
static void drain(struct acct_spool *s)
{
    if (s->draining)
        return;
    s->draining = true;
    while (s->pending && !s->writing) {
        struct spool_write *w = s->pending;
        if (s->writer && !s->closing) {
            int r = job_submit(s->writer, writer_work, writer_done, w, NULL);
            if (r >= 0) {
                s->writing = true;
                break;
            }
            /* Correctness over latency: the record is written now rather
             * than held for a writer that may not come back. */
            log_debug(CONFIG_SUBSYS_RADIUS, 1, "accounting spool %s: the writer cannot take record %016" PRIx64
                      " (%s); writing it on the event loop", s->directory, w->seq, strerror(-r));
        }
        complete_first(s, write_record(w->dirfd, w->seq, w->bytes, w->len));
    }
    s->draining = false;
}

int acct_spool_start_writer(struct acct_spool *s, sd_event *event)
{
    if (s->writer)
        return 0;
    /* A thread of its own rather than the shared worker pool: an fsync
     * waiting on the disk must not hold a worker that Diffie-Hellman and
     * signatures need, one thread writes in sequence order by construction,
     * and freeing its pool joins it, so no write outlives the spool. At
     * most one job is queued at a time (drain), hence max_queued 1. */
    return job_pool_new(event, 1, 1, &s->writer);
}

int acct_spool_submit(struct acct_spool *s, uint64_t created_usec, const uint8_t *attrs, size_t len,
                      acct_spool_written_fn written, void *userdata)
{
    if (len == 0 || len > ACCT_SPOOL_MAX_ATTRS)
        return -EINVAL;
    if (acct_spool_count(s) + s->n_pending >= s->limit)
        return -ENOSPC;
    size_t total = HEADER_LEN + len + CHECK_LEN;
    struct spool_write *w = calloc(1, sizeof(*w) + total);
    if (!w)
        return -ENOMEM;
    uint8_t *buf = w->bytes;
    memcpy(buf, MAGIC, MAGIC_LEN);
    buf[MAGIC_LEN] = VERSION;
    put_be(buf + MAGIC_LEN + 1, created_usec, 8);
    put_be(buf + MAGIC_LEN + 9, len, 2);
    memcpy(buf + HEADER_LEN, attrs, len);
    int r = checksum(buf, HEADER_LEN + len, buf + HEADER_LEN + len);
    if (r < 0) {
        OPENSSL_cleanse(buf, total);
        free(w);
        return r;
    }
    w->spool = s;
    w->dirfd = s->dirfd;
    w->seq = s->next_seq++;
    w->written = written;
    w->userdata = userdata;
    w->len = total;
    if (s->pending_tail)
        s->pending_tail->next = w;
    else
        s->pending = w;
    s->pending_tail = w;
    s->n_pending++;
    drain(s);
    return 0;
}

static void store_result(void *userdata, int result)
{
    *(int *)userdata = result;
}

int acct_spool_append(struct acct_spool *s, uint64_t created_usec, const uint8_t *attrs, size_t len)
{
    if (s->writer)
        return -EBUSY;
    int result = -EINPROGRESS;
    int r = acct_spool_submit(s, created_usec, attrs, len, store_result, &result);
    return r < 0 ? r : result;
}

/* Why a file's contents are not a record, or NULL when they are one. */
static const char *check_record(const uint8_t *buf, size_t size, uint64_t *created, size_t *attrs_len)
{
    uint8_t sum[CHECK_LEN];
    if (size < HEADER_LEN + CHECK_LEN)
        return "too short";
    if (memcmp(buf, MAGIC, MAGIC_LEN) != 0)
        return "not a vpnd accounting record";
    if (buf[MAGIC_LEN] != VERSION)
        return "unknown version";
    size_t len = (size_t)get_be(buf + MAGIC_LEN + 9, 2);
    if (len == 0 || len > ACCT_SPOOL_MAX_ATTRS || size != HEADER_LEN + len + CHECK_LEN)
        return "length does not match the file";
    if (checksum(buf, HEADER_LEN + len, sum) < 0 || CRYPTO_memcmp(sum, buf + HEADER_LEN + len, CHECK_LEN) != 0)
        return "checksum mismatch";
    /* The attributes go on the wire as they are: each must fit exactly. */
    for (size_t off = 0; off < len;) {
        if (len - off < 2 || buf[HEADER_LEN + off + 1] < 2 || buf[HEADER_LEN + off + 1] > len - off)
            return "attributes overrun";
        off += buf[HEADER_LEN + off + 1];
    }
    *created = get_be(buf + MAGIC_LEN + 1, 8);
    *attrs_len = len;
    return NULL;
}

/* Reads a record file: its size (at most max), or a negative errno. */
static ssize_t read_file(int dirfd, const char *name, uint8_t *buf, size_t max)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, max - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (got == max) {
            /* One byte more than a record can be: too long. */
            uint8_t extra;
            if (read(fd, &extra, 1) == 1)
                got = max + 1;
            break;
        }
    }
    close(fd);
    return (ssize_t)got;
}

int acct_spool_peek(struct acct_spool *s, uint64_t *seq, uint64_t *created_usec, uint8_t *attrs, size_t *len)
{
    uint8_t buf[FILE_MAX];
    char name[64], aside[80];

    while (acct_spool_count(s) > 0) {
        uint64_t q = s->seqs[s->head];
        file_name(q, name, sizeof(name));
        ssize_t n = read_file(s->dirfd, name, buf, sizeof(buf));
        const char *why = NULL;
        char err[64];
        if (n < 0) {
            snprintf(err, sizeof(err), "cannot read it: %s", strerror((int)-n));
            why = err;
        } else if ((size_t)n > sizeof(buf))
            why = "too long";
        else
            why = check_record(buf, (size_t)n, created_usec, len);
        if (!why) {
            memcpy(attrs, buf + HEADER_LEN, *len);
            OPENSSL_cleanse(buf, sizeof(buf));
            *seq = q;
            return 1;
        }
        s->corrupt++;
        s->head++;
        snprintf(aside, sizeof(aside), "%s.corrupt", name);
        if (n == -ENOENT)
            log_warning(CONFIG_SUBSYS_RADIUS, "accounting spool %s: record %s vanished; skipping it", s->directory,
                        name);
        else if (renameat(s->dirfd, name, s->dirfd, aside) == 0)
            log_warning(CONFIG_SUBSYS_RADIUS, "accounting spool %s: record %s is corrupt (%s): moved aside to %s, "
                        "not sent", s->directory, name, why, aside);
        else
            log_warning(CONFIG_SUBSYS_RADIUS, "accounting spool %s: record %s is corrupt (%s) and cannot be moved "
                        "aside (%s): skipped, not sent", s->directory, name, why, strerror(errno));
    }
    return 0;
}

int acct_spool_remove(struct acct_spool *s, uint64_t seq)
{
    char name[64];
    if (acct_spool_count(s) == 0 || s->seqs[s->head] != seq)
        return -ESTALE;
    file_name(seq, name, sizeof(name));
    s->head++;
    if (unlinkat(s->dirfd, name, 0) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}
