/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Configuration payload reply (RFC 7296 2.19, 3.15; RFC 8598; Cisco
 * Unity): what a remote-access client gets for its CFG_REQUEST. The
 * address and netmask always; DNS and NBNS servers and split-include
 * networks when the group policy has them; the domain, banner and our
 * application version only when asked. Unknown attributes are ignored
 * (reported through `ignored` for a debug line).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "config.h"
#include "ikev2-payload.h"

#define IKEV2_CP_REPLY_MAX 48

struct ikev2_cp_reply {
    size_t n;
    struct ikev2_cp_attribute attrs[IKEV2_CP_REPLY_MAX];
    uint8_t storage[2048];          /* the attributes' values point in here */
    size_t used;
    uint16_t ignored[16];           /* requested attribute types we do not answer */
    size_t n_ignored;
};

/* policy may be NULL (nothing but the address). */
int ikev2_cp_build_reply(const struct ikev2_cp *request, const struct config_address *addr, struct in_addr netmask,
                         const struct config_group_policy *policy, const char *app_version,
                         struct ikev2_cp_reply *out);
