/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The choice of the ESP transform in a Quick Mode (RFC 2409 5.5, RFC 2407
 * 4.4/4.5): the client's proposals in its order, each against the tunnel
 * group's esp-proposals; the first match wins. A proposal number that
 * appears more than once is an AND-bundle (ESP with AH, or with IPComp and
 * its 2-octet CPI, as the Cisco VPN Client offers first): refused as a
 * whole, and the next proposal number is tried. Pure: no state, no
 * logging (the reasons go to a callback), so that it is tested on real
 * message bytes.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "crypto.h"
#include "ikev1-payload.h"

/* The ESP transform chosen in a Quick Mode. */
struct ikev1_esp_choice {
    const struct config_esp_proposal *config;
    uint8_t proposal_number, transform_number;
    const struct crypto_encr *encr;
    const struct crypto_integ *integ;   /* NULL with AEAD */
    const struct crypto_dh_group *pfs;  /* NULL without PFS */
    uint16_t encapsulation;
    uint32_t peer_spi;
    uint32_t offered_lifetime;          /* 0: the client named none */
    uint32_t lifetime;                  /* seconds we apply */
    uint64_t lifetime_kilobytes;
};

/* What the gateway accepts. */
struct ikev1_esp_want {
    const struct config_esp_proposal *const *proposals;  /* the tunnel group's, in priority order */
    size_t n_proposals;
    bool require_pfs;                   /* the group policy's pfs */
    const char *policy_name;            /* for the reasons */
    bool nat_detected;                  /* ESP in UDP: UDP-encapsulated modes only */
    bool natt_rfc3947;                  /* which numbers for them: RFC 3947 (3, 4) or the drafts' */
};

/* Called for each refused proposal or transform with why. */
typedef void (*ikev1_esp_reject_fn)(void *userdata, const char *why);

/* The chosen transform in *c, true; false when nothing fits. ke_group:
 * the group the client's KE payload is for (PFS), NULL without KE. */
bool ikev1_esp_choose(const struct ikev1_esp_want *want, const struct ikev1_sa *offer,
                      const struct crypto_dh_group *ke_group, struct ikev1_esp_choice *c,
                      ikev1_esp_reject_fn reject, void *userdata);

/* RESPONDER-LIFETIME (RFC 2407 4.6.3.1) is due: the client named no
 * lifetime in seconds, or a longer one than we apply. */
bool ikev1_esp_responder_lifetime_due(const struct ikev1_esp_choice *c);

/* "AES-CBC-128/HMAC-SHA1-96/PFS MODP-2048" */
void ikev1_esp_text(const struct ikev1_esp_choice *c, char *buf, size_t len);
