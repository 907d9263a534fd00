/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The accounting spool: Accounting-Requests no RADIUS server took, kept on
 * disk until one does, so that neither an outage nor a restart loses them.
 *
 * One directory per aaa-server-group, one file per record, named by a
 * sequence number ("0000000000000007.acct") so that the directory listing
 * is the order to resend in. A record is written to a temporary name,
 * fsync'd, renamed and the directory fsync'd: once it is in the index it
 * survives a crash, and a crash mid-write leaves only a ".tmp" file that
 * the next open removes.
 *
 * Those two fsyncs cost milliseconds each on a real disk, too long for the
 * event loop during an outage that spools a Stop per ended session. With a
 * writer (acct_spool_start_writer) acct_spool_submit only numbers the
 * record and builds its bytes on the loop; the file work runs on the
 * spool's own writer thread, one record at a time in sequence order, and
 * the record joins the index (and peek sees it) back on the loop once it
 * is durable. Records waiting for the writer are held in memory, count
 * toward the limit, and are written synchronously when the spool is freed
 * (vpnd stopping), so nothing accepted is lost. A file that does not check out (wrong
 * magic, length or checksum, attributes that overrun) is renamed to
 * "*.corrupt" with a log line and skipped, never trusted.
 *
 * File: "VPNDACCT", version 1, creation time (usec since the epoch, for
 * Acct-Delay-Time), attribute length (2 bytes), the encoded attributes, the
 * first 8 bytes of SHA-256 over everything before. Integers big-endian.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#define ACCT_SPOOL_MAX_ATTRS 4076       /* RADIUS_MAX_PACKET - header */

struct acct_spool;

struct acct_spool_stats {
    size_t records;                     /* waiting now, durable */
    size_t pending;                     /* accepted, still being written */
    uint64_t corrupt;                   /* moved aside */
};

/* Creates the directory (0700, parents too) when missing, removes stale
 * ".tmp" files and indexes the records. `limit`: records held at most.
 * Returns a negative errno when the directory cannot be used. */
int acct_spool_open(const char *directory, unsigned limit, struct acct_spool **ret);
/* Writes every record still pending synchronously (their callbacks run),
 * stops the writer, frees. */
void acct_spool_free(struct acct_spool *spool);

/* Starts the spool's writer thread, whose completions run on `event`.
 * Without one (or when it fails) records are written synchronously. */
int acct_spool_start_writer(struct acct_spool *spool, sd_event *event);

const char *acct_spool_directory(const struct acct_spool *spool);
/* Durable records (what peek can return) and records still being written. */
size_t acct_spool_count(const struct acct_spool *spool);
size_t acct_spool_pending(const struct acct_spool *spool);
void acct_spool_get_stats(const struct acct_spool *spool, struct acct_spool_stats *ret);

/* Result of a submitted record: 0 once it is durable and in the index,
 * else the errno of the write (the record is lost). */
typedef void (*acct_spool_written_fn)(void *userdata, int result);

/* Accepts a record for writing behind those already accepted. `written`
 * runs exactly once per accepted record: on the loop after the writer,
 * or before this returns when the record was written synchronously (no
 * writer, the writer refused it). Refused without calling `written`:
 * -ENOSPC when durable plus pending records reach `limit`, -EINVAL for
 * attributes that are empty or too long, -ENOMEM. */
int acct_spool_submit(struct acct_spool *spool, uint64_t created_usec, const uint8_t *attrs, size_t len,
                      acct_spool_written_fn written, void *userdata);

/* Appends a record durably before returning, on a spool without a writer
 * (-EBUSY otherwise). Errors as acct_spool_submit, or the write's errno. */
int acct_spool_append(struct acct_spool *spool, uint64_t created_usec, const uint8_t *attrs, size_t len);

/* The oldest record: 1 with *seq, *created_usec and attrs[0..*len) set
 * (attrs holds ACCT_SPOOL_MAX_ATTRS), 0 when the spool is empty. Corrupt
 * records on the way are logged, moved aside and counted. */
int acct_spool_peek(struct acct_spool *spool, uint64_t *seq, uint64_t *created_usec, uint8_t *attrs, size_t *len);

/* Deletes the oldest record, which must be `seq` (-ESTALE otherwise). */
int acct_spool_remove(struct acct_spool *spool, uint64_t seq);
