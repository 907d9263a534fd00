/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Configuration payload reply (RFC 7296 2.19, 3.15; RFC 8598; Cisco
 * Unity): what a remote-access client gets for its CFG_REQUEST.
 *
 *   - the inner addresses: INTERNAL_IP4_ADDRESS and _NETMASK, and
 *     INTERNAL_IP6_ADDRESS (address and prefix length) when the client asked
 *     for one and an IPv6 pool gave it;
 *   - DNS servers of each family to a client that got an address of that
 *     family or asked for that family's servers; NBNS (WINS) servers to a
 *     client with an IPv4 address (RFC 7296 dropped INTERNAL_IP6_NBNS);
 *   - split include: INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET for the
 *     networks of the families the client has an address of;
 *   - the domain: INTERNAL_DNS_DOMAIN (RFC 8598) when the client asked for
 *     it (empty value: "any domain", or the names it would like; either way
 *     the group policy's domain is the answer, since the responder knows
 *     its network) or when it asked for DNS servers -- RFC 7296 lets a
 *     responder add attributes, and the domain belongs with the servers;
 *   - Cisco's default domain (28674) and banner (28672) only when asked:
 *     AnyConnect asks, other clients would show them as unknown;
 *   - APPLICATION_VERSION ("vpnd <version>") only when asked.
 * Unknown attributes are ignored (reported through `ignored` for a debug
 * line).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "config.h"
#include "ikev2-payload.h"

#define IKEV2_CP_REPLY_MAX 48
#define IKEV2_CP_VERSION_MAX 128

struct ikev2_cp_reply {
    size_t n;
    struct ikev2_cp_attribute attrs[IKEV2_CP_REPLY_MAX];
    uint8_t storage[2048];          /* the attributes' values point in here */
    size_t used;
    uint16_t ignored[16];           /* requested attribute types we do not answer */
    size_t n_ignored;
};

/* The inner addresses given to the client. */
struct ikev2_cp_assigned {
    bool has_ip4;
    struct in_addr ip4, netmask;
    bool has_ip6;
    struct in6_addr ip6;
    uint8_t ip6_prefix_len;
};

/* Which inner address families the client asks for: IPv6 when it sent
 * INTERNAL_IP6_ADDRESS, IPv4 when it sent INTERNAL_IP4_ADDRESS or no
 * address request at all (an IPv4 address is what every client expects). */
void ikev2_cp_wanted_families(const struct ikev2_cp *request, bool *ip4, bool *ip6);

/* The client's APPLICATION_VERSION as printable text (other bytes become
 * '?', cut to size - 1); "" when it sent none. */
void ikev2_cp_client_version(const struct ikev2_cp *request, char *buf, size_t size);

/* policy may be NULL (nothing but the addresses). -ENOBUFS when the reply
 * did not fit (what did is in *out); -EINVAL without any address. */
int ikev2_cp_build_reply(const struct ikev2_cp *request, const struct ikev2_cp_assigned *assigned,
                         const struct config_group_policy *policy, const char *app_version,
                         struct ikev2_cp_reply *out);
