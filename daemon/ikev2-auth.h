/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * How a peer proves who it is in IKE_AUTH, and how vpnd proves itself:
 * one entry per method, chosen by the tunnel group (config_auth /
 * config_local_auth). The exchange code (ikev2-ike-auth.c) knows nothing
 * about secrets or certificates: it hands the method the <SignedOctets>
 * inputs and the AUTH payload and gets a verdict, or asks for its own AUTH.
 *
 * Shared-key methods answer at once through verify/sign. Signature methods
 * (certificates, ikev2-auth-cert.c) run on the job pool and EAP methods
 * (ikev2-eap.c) take several IKE_AUTH rounds: their entries only name the
 * kind, and ikev2-ike-auth.c drives them (ikev2-auth-state.h). A NULL entry
 * means "not available in this build": the exchange answers
 * AUTHENTICATION_FAILED and logs why.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "crypto-ikev2.h"
#include "ikev2-payload.h"

#define IKEV2_AUTH_REASON_MAX 160
#define IKEV2_AUTH_DATA_MAX   1024     /* our AUTH payload data (a signature fits) */

struct ikev2_auth_context {
    const struct crypto_ike_keys *keys;
    const struct config_tunnel_group *group;
    struct crypto_auth_input input;     /* whose AUTH, message, nonce, ID body */
};

/* How a method runs in IKE_AUTH: a shared-key MAC computed at once, a
 * signature (certificates: on the job pool, ikev2-auth-cert.c), or an EAP
 * conversation over several IKE_AUTH rounds (ikev2-eap.c). */
enum ikev2_auth_kind {
    IKEV2_AUTH_KIND_SHARED_KEY,
    IKEV2_AUTH_KIND_SIGNATURE,
    IKEV2_AUTH_KIND_EAP,
};

struct ikev2_peer_auth_method {
    const char *name;                   /* "psk", ... for logs */
    enum ikev2_auth_kind kind;
    int eap_method;                     /* enum eap_method, for IKEV2_AUTH_KIND_EAP */
    /* Checks the peer's AUTH payload. Returns 1 when it proves the
     * identity, 0 when it does not (*reason says why, no secret in it),
     * negative errno on an internal failure. */
    int (*verify)(const struct ikev2_auth_context *ctx, const struct ikev2_auth *auth,
                  char *reason, size_t reason_len);
};

struct ikev2_local_auth_method {
    const char *name;
    enum ikev2_auth_kind kind;          /* SHARED_KEY (sign below) or SIGNATURE (a job) */
    /* Computes our AUTH payload: *method and up to max bytes of data.
     * Returns the data length or a negative errno. */
    int (*sign)(const struct ikev2_auth_context *ctx, uint8_t *method, uint8_t *data, size_t max);
};

/* The method for the tunnel group's peer authentication, or NULL when this
 * build does not implement it. */
const struct ikev2_peer_auth_method *ikev2_peer_auth_method(enum config_auth auth);
const struct ikev2_local_auth_method *ikev2_local_auth_method(enum config_local_auth auth);

/* The shared-key methods (ikev2-auth.c). */
extern const struct ikev2_peer_auth_method ikev2_peer_auth_psk;
extern const struct ikev2_local_auth_method ikev2_local_auth_psk;
/* Certificates (ikev2-auth-cert.c): verify and sign run on the job pool,
 * so these entries have no synchronous functions. */
extern const struct ikev2_peer_auth_method ikev2_peer_auth_cert;
extern const struct ikev2_local_auth_method ikev2_local_auth_cert;
/* EAP (ikev2-eap.c): the conversation, then AUTH keyed with the MSK. */
extern const struct ikev2_peer_auth_method ikev2_peer_auth_eap_mschapv2;
extern const struct ikev2_peer_auth_method ikev2_peer_auth_eap_md5;
extern const struct ikev2_peer_auth_method ikev2_peer_auth_eap_gtc;
extern const struct ikev2_peer_auth_method ikev2_peer_auth_eap_radius;   /* passthrough (ikev2-eap-radius.c) */
