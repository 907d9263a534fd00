/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Traffic selector narrowing for remote-access CHILD SAs (RFC 7296 2.9):
 * the client asks for any source (TSi 0.0.0.0/0, or its old address) and
 * some destinations (TSr); vpnd answers with exactly what it will install:
 * TSi = the address it assigned, /32, and TSr = the offered ranges cut down
 * to what the group policy tunnels (everything, or the split-include
 * networks). Pure functions over the wire structures, unit-tested alone.
 *
 * IPv4 only for now; IPv6 selectors are skipped (not an error: clients
 * offer ::/0 alongside 0.0.0.0/0).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "config.h"
#include "ikev2-payload.h"

#define IKEV2_TS_OUT_MAX 16

/* TSi: 0 and *out = vip/32 (any protocol and port) when one of the offered
 * IPv4 selectors contains vip and allows every protocol and port;
 * -ENOENT otherwise (TS_UNACCEPTABLE). */
int ikev2_narrow_tsi(const struct ikev2_ts *offered, struct in_addr vip, struct ikev2_ts_selector *out);

/* TSr: the intersection of the offered IPv4 ranges (any protocol/port only)
 * with `allowed` (IPv4 prefixes; none = 0.0.0.0/0). Writes up to `max`
 * selectors and returns their number, 0 when nothing is left
 * (TS_UNACCEPTABLE). */
size_t ikev2_narrow_tsr(const struct ikev2_ts *offered, const struct config_prefix *allowed, size_t n_allowed,
                        struct ikev2_ts_selector *out, size_t max);

/* The selector's range as the fewest prefixes covering it exactly (what the
 * kernel's policies take). Returns their number (at most max; a range
 * needing more is cut, which never happens for the narrowed selectors). */
size_t ikev2_ts_to_prefixes(const struct ikev2_ts_selector *sel, struct config_prefix *out, size_t max);

/* "198.51.100.0/24" or "10.0.0.1-10.0.0.9" for logs. */
const char *ikev2_ts_format(const struct ikev2_ts_selector *sel, char *buf, size_t size);
