/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Traffic selector narrowing for remote-access CHILD SAs (RFC 7296 2.9):
 * the client asks for any source (TSi 0.0.0.0/0, or its old address) and
 * some destinations (TSr); vpnd answers with exactly what it will install:
 * TSi = the address(es) it assigned, /32 and /128, and TSr = the offered
 * ranges cut down to what the group policy tunnels (everything, or the
 * split-include networks), in the families the client has an inner address
 * of. Pure functions over the wire structures, unit-tested alone.
 *
 * Both address families; selectors with protocols or ports are skipped
 * (a remote-access tunnel carries everything).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "config.h"
#include "ikev2-payload.h"

#define IKEV2_TS_OUT_MAX 16
/* TSi of a remote-access CHILD SA: one IPv4 and one IPv6 address at most. */
#define IKEV2_TSI_MAX 2

/* Address families for ikev2_narrow_tsr(). */
#define IKEV2_TS_FAMILY_IP4 0x1u
#define IKEV2_TS_FAMILY_IP6 0x2u

/* TSi: 0 and *out = vip/32 or /128 (any protocol and port) when one of the
 * offered selectors of vip's family contains vip and allows every protocol
 * and port; -ENOENT otherwise (TS_UNACCEPTABLE). */
int ikev2_narrow_tsi(const struct ikev2_ts *offered, const struct config_address *vip,
                     struct ikev2_ts_selector *out);

/* TSr: the intersection of the offered ranges (any protocol/port only)
 * with `allowed` (prefixes of either family; none = 0.0.0.0/0 and ::/0),
 * limited to `families` (IKEV2_TS_FAMILY_*: those the client has an inner
 * address of). Writes up to `max` selectors and returns their number, 0
 * when nothing is left (TS_UNACCEPTABLE). */
size_t ikev2_narrow_tsr(const struct ikev2_ts *offered, const struct config_prefix *allowed, size_t n_allowed,
                        unsigned families, struct ikev2_ts_selector *out, size_t max);

/* The selector's range as the fewest prefixes covering it exactly (what the
 * kernel's policies take). Returns their number (at most max; a range
 * needing more is cut, which never happens for the narrowed selectors);
 * 0 for a selector that is not an address range. */
size_t ikev2_ts_to_prefixes(const struct ikev2_ts_selector *sel, struct config_prefix *out, size_t max);

/* "198.51.100.0/24", "10.0.0.1-10.0.0.9" or "2001:db8::/64" for logs. */
const char *ikev2_ts_format(const struct ikev2_ts_selector *sel, char *buf, size_t size);
