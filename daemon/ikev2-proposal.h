/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 proposal selection (RFC 7296 2.7, 3.3.6): the responder walks its
 * configured proposals in priority order and, for each, the peer's
 * proposals in the peer's order; the first pair where every transform type
 * the configuration needs has an offered transform vpnd also lists wins.
 * Within a type the configuration's order decides (our preference).
 *
 * No state, no logging: a rejected (offered, configured) pair yields a
 * reason ("proposal 1: ENCR_AES_CBC-128 not in ike-proposal 'modern'") for
 * the caller to log, so that the selection stays testable on its own.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "crypto.h"
#include "ikev2-payload.h"

#define IKEV2_REASON_MAX 200

/* Called once per rejected (offered proposal, configured proposal) pair. */
typedef void (*ikev2_reject_fn)(const char *reason, void *userdata);

struct ikev2_ike_choice {
    const struct config_ike_proposal *config;
    uint8_t number;                     /* the peer's proposal number */
    const struct crypto_encr *encr;
    const struct crypto_integ *integ;   /* NULL with AEAD */
    const struct crypto_prf *prf;
    const struct crypto_dh_group *dh;
    uint16_t encr_key_bits;             /* Key Length attribute to echo, 0 = none */

};

/* Chooses an IKE proposal. Returns 0 with *out filled, -ENOENT when none
 * matches (NO_PROPOSAL_CHOSEN), -EINVAL when the SA offers no IKE proposal. */
int ikev2_choose_ike(const struct ikev2_sa *offered, const struct config_ike_proposal *const *conf,
                     size_t n_conf, struct ikev2_ike_choice *out, ikev2_reject_fn reject, void *userdata);

struct ikev2_esp_choice {
    const struct config_esp_proposal *config;
    uint8_t number;
    uint32_t peer_spi;                  /* the peer's inbound SPI (our outbound), host order */
    const struct crypto_encr *encr;
    const struct crypto_integ *integ;   /* NULL with AEAD */
    uint16_t encr_key_bits;
    const struct crypto_dh_group *dh;   /* PFS group of a rekey (ikev2_choose_esp_pfs), NULL without */
};

/* Chooses an ESP proposal (no PFS: proposals demanding a DH group are
 * rejected unless they also allow NONE). Same returns as ikev2_choose_ike. */
int ikev2_choose_esp(const struct ikev2_sa *offered, const struct config_esp_proposal *const *conf,
                     size_t n_conf, struct ikev2_esp_choice *out, ikev2_reject_fn reject, void *userdata);

/* The same for a CHILD SA rekey whose request carries a KE payload of
 * ke_group: the proposal must offer that group and the esp-proposal list
 * it as a pfs-group; out->dh is set. */
int ikev2_choose_esp_pfs(const struct ikev2_sa *offered, const struct config_esp_proposal *const *conf,
                         size_t n_conf, uint16_t ke_group, struct ikev2_esp_choice *out, ikev2_reject_fn reject,
                         void *ud);

/* Whether the chosen IKE suite is allowed by one of `conf` (the tunnel
 * group's list, checked in IKE_AUTH once the group is known). */
bool ikev2_ike_choice_allowed(const struct ikev2_ike_choice *choice,
                              const struct config_ike_proposal *const *conf, size_t n_conf);

/* The SA payload answering with the choice (one proposal, one transform per
 * type). `transforms` must hold 4 entries; returns the number used. */
size_t ikev2_ike_choice_transforms(const struct ikev2_ike_choice *c, struct ikev2_transform *transforms);
size_t ikev2_esp_choice_transforms(const struct ikev2_esp_choice *c, struct ikev2_transform *transforms);

/* "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256" for logs. */
int ikev2_ike_choice_format(const struct ikev2_ike_choice *c, char *buf, size_t size);
int ikev2_esp_choice_format(const struct ikev2_esp_choice *c, char *buf, size_t size);
