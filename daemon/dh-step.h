/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The two Diffie-Hellman steps of an exchange vpnd initiates (CHILD SA rekey
 * with PFS, IKE SA rekey), as the payload of two worker jobs: first our key
 * pair and public value (the request's KE), then, with the peer's KE from the
 * answer, the shared secret. Both steps are expensive (MODP key generation,
 * every compute), so they never run on the event loop.
 *
 *   dh_step_init_keygen(&s, group);            // on the loop
 *   dh_step_run(&s);                           // on a worker
 *   dh_step_take_keypair(&s, &key, ke, &len);  // on the loop, in done()
 *   ...
 *   dh_step_init_compute(&s, group, &key, peer_ke, peer_len);
 *   dh_step_run(&s);                           // s.shared, s.shared_len
 *   dh_step_wipe(&s);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto-dh.h"

struct dh_step {
    const struct crypto_dh_group *group;
    bool compute;                       /* the second step: the shared secret */
    struct crypto_dh *dh;               /* owned by the step while it has it */
    uint8_t pub[CRYPTO_DH_PUBLIC_MAX];  size_t pub_len;
    uint8_t peer[CRYPTO_DH_PUBLIC_MAX]; size_t peer_len;
    uint8_t shared[CRYPTO_DH_SHARED_MAX];  size_t shared_len;
    const char *failed_step;            /* for the log when a step fails */
};

void dh_step_init_keygen(struct dh_step *s, const struct crypto_dh_group *group);

/* Takes *key (our pair from the first step; *key becomes NULL).
 * -EINVAL when the peer's value does not fit. */
int dh_step_init_compute(struct dh_step *s, const struct crypto_dh_group *group, struct crypto_dh **key,
                         const uint8_t *peer, size_t peer_len);

/* The step itself, on a worker thread. 0 or a negative errno; failed_step then says which part. */
int dh_step_run(struct dh_step *s);

/* After a successful first step: our key pair moves to *key (the previous
 * one there is freed) and the public value to ke/ke_len (>= CRYPTO_DH_PUBLIC_MAX). */
void dh_step_take_keypair(struct dh_step *s, struct crypto_dh **key, uint8_t *ke, size_t *ke_len);

/* "Diffie-Hellman the peer's public value: Invalid argument", for rekey failure logs. */
void dh_step_describe_failure(const struct dh_step *s, int result, char *buf, size_t size);

/* Frees the key pair the step still holds and wipes the secret. */
void dh_step_wipe(struct dh_step *s);
