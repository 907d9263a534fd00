/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The accounting spool: Accounting-Requests no RADIUS server took, kept on
 * disk until one does, so that neither an outage nor a restart loses them.
 *
 * One directory per aaa-server-group, one file per record, named by a
 * sequence number ("0000000000000007.acct") so that the directory listing
 * is the order to resend in. A record is written to a temporary name,
 * fsync'd, renamed and the directory fsync'd: after acct_spool_append
 * returns it survives a crash, and a crash mid-write leaves only a ".tmp"
 * file that the next open removes. A file that does not check out (wrong
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

#define ACCT_SPOOL_MAX_ATTRS 4076       /* RADIUS_MAX_PACKET - header */

struct acct_spool;

struct acct_spool_stats {
    size_t records;                     /* waiting now */
    uint64_t corrupt;                   /* moved aside */
};

/* Creates the directory (0700, parents too) when missing, removes stale
 * ".tmp" files and indexes the records. `limit`: records held at most.
 * Returns a negative errno when the directory cannot be used. */
int acct_spool_open(const char *directory, unsigned limit, struct acct_spool **ret);
void acct_spool_free(struct acct_spool *spool);

const char *acct_spool_directory(const struct acct_spool *spool);
size_t acct_spool_count(const struct acct_spool *spool);
void acct_spool_get_stats(const struct acct_spool *spool, struct acct_spool_stats *ret);

/* Appends a record durably. -ENOSPC when the spool holds `limit` records,
 * -EINVAL for attributes that are empty or too long, else an I/O errno. */
int acct_spool_append(struct acct_spool *spool, uint64_t created_usec, const uint8_t *attrs, size_t len);

/* The oldest record: 1 with *seq, *created_usec and attrs[0..*len) set
 * (attrs holds ACCT_SPOOL_MAX_ATTRS), 0 when the spool is empty. Corrupt
 * records on the way are logged, moved aside and counted. */
int acct_spool_peek(struct acct_spool *spool, uint64_t *seq, uint64_t *created_usec, uint8_t *attrs, size_t *len);

/* Deletes the oldest record, which must be `seq` (-ESTALE otherwise). */
int acct_spool_remove(struct acct_spool *spool, uint64_t seq);
