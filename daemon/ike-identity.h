/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A peer's ID payload as text for logs and `identity` patterns, for both
 * IKE versions: the ID type numbers used here are the same in IKEv1 (RFC
 * 2407 4.6.2.1) and IKEv2 (RFC 7296 3.5): IPV4_ADDR 1, FQDN 2,
 * USER_FQDN/RFC822_ADDR 3, IPV6_ADDR 5, DER_ASN1_DN 9, KEY_ID 11.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum {
    IKE_ID_TEXT_KEY_ID      = 1 << 0,   /* accept KEY_ID (11) as a key-id: pattern value */
    IKE_ID_TEXT_STRICT      = 1 << 1,   /* text IDs must be non-empty and 7-bit ASCII */
};

/* Writes the ID of `type` (data, len) into buf as a NUL-terminated string
 * and sets its pattern type (and addr for addresses; zeroed otherwise).
 * DER DNs become RFC 2253 text ("CN=x,O=y"), the form of `dn:` patterns.
 * Returns 0, -EINVAL (malformed, not printable, too long) or -EOPNOTSUPP
 * (a type vpnd cannot match). */
int ike_identity_text(uint8_t type, const uint8_t *data, size_t len, unsigned flags, char *buf, size_t size,
                      enum config_identity_type *id_type, struct config_address *addr);
