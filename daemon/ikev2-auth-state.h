/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An IKE_AUTH in progress on the responder (internal to ikev2-ike-auth.c,
 * ikev2-eap.c and ikev2-auth-cert.c). One exists from the first IKE_AUTH
 * request until the SA is established or fails, when authentication takes
 * more than one step:
 *
 *   certificates  the peer's chain and signature are checked, and ours is
 *                 made, on a worker job (ikev2_cert_job_start); the SA
 *                 waits with response_pending set, retransmissions ignored
 *   EAP           RFC 7296 2.16: the first response carries IDr, our AUTH
 *                 and the first EAP request; EAP rounds follow; the last
 *                 request carries the peer's AUTH keyed with the MSK (or
 *                 SK_pi without one), the response ours and the CHILD SA
 *                 the FIRST request asked for
 *
 * The first request's payloads are copied here because the CHILD SA is set
 * up from them after the conversation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "eap.h"
#include "ikev2-auth.h"
#include "ikev2-sa.h"

struct ikev2_auth_state {
    struct ikev2_payload_list first;    /* the first IKE_AUTH request (views into buf) */
    uint8_t *buf;
    struct ikev2_id idi;                /* its IDi (views into buf) */
    const struct ikev2_peer_auth_method *peer_method;
    const struct ikev2_local_auth_method *local_method;
    struct cert_store *store;           /* the group's credentials, with a reference; or NULL */

    /* Our IDr as sent in the first response: the final AUTH after EAP
     * covers it again (RFC 7296 2.16). Type, 3 reserved bytes, data. */
    uint8_t idr_body[4 + 512];
    size_t idr_body_len;

    /* EAP (ikev2-eap.c). */
    struct eap_server *eap;
    uint8_t eap_first[EAP_MESSAGE_MAX]; /* the first EAP request, while our signature is made */
    size_t eap_first_len;
    bool eap_succeeded;
    bool eap_failure_logged;            /* the failure was logged (MS-CHAPv2 Failure-Request) */
    uint32_t eap_pending_mid;           /* the request an asynchronous lookup will answer */
    struct ikev2_eap_radius *radius;    /* EAP relayed to RADIUS (ikev2-eap-radius.c), instead of eap */
};

void ikev2_auth_state_free(struct ikev2_auth_state *st);

/* ---- ikev2-ike-auth.c ---------------------------------------------------------------- */

/* Logs "authentication failed: peer, identity, tunnel group: reason",
 * answers request mid with AUTHENTICATION_FAILED (plus `eap_failure`, an
 * EAP-Failure packet, when not NULL) and ends the SA. */
void ikev2_auth_fail(struct ikev2_ike_sa *sa, uint32_t mid, const char *identity, const char *reason);
void ikev2_auth_fail_eap(struct ikev2_ike_sa *sa, uint32_t mid, const char *identity, const char *reason,
                         const uint8_t *eap_failure, size_t eap_failure_len);

/* An INFORMATIONAL request during IKE_AUTH: a client that failed its side
 * (a rejected EAP password: RFC 7296 2.21.2) tells us with
 * AUTHENTICATION_FAILED. Answered, logged unless the failure was, SA ended. */
void ikev2_auth_informational(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_payload_list *inner);

/* The peer is authenticated: our AUTH (method, data), CERT payloads (may be
 * NULL) and, with send_idr, our IDr; then the CHILD SA from the first
 * request, the response, the SA established. */
void ikev2_auth_complete(struct ikev2_ike_sa *sa, uint32_t mid, bool send_idr, uint8_t our_method,
                         const uint8_t *our_auth, size_t our_auth_len, const struct cert_der_list *certs);

/* The group's policy for the authenticated user (sa->identity): fails the
 * SA (and returns false) when the policy does not allow IKEv2. */
bool ikev2_auth_apply_policy(struct ikev2_ike_sa *sa, uint32_t mid);

/* Our shared-key AUTH over sa->auth->idr_body with `secret` (PSK: the
 * group's key; after EAP the MSK, or NULL for SK_pr). Returns the length. */
int ikev2_auth_our_mac(struct ikev2_ike_sa *sa, bool eap, const uint8_t *secret, size_t secret_len,
                       uint8_t *out, size_t max);

/* ---- ikev2-auth-cert.c ----------------------------------------------------------------- */

/* The credentials of a tunnel group (loaded once per configuration, shared
 * by reference). -errno with err filled when they cannot be loaded. */
int ikev2_cert_store_get(struct ike *ike, const struct config_tunnel_group *group, struct cert_store **ret,
                         char *err, size_t err_len);
/* ikev2_cert_cache_flush() (ike-internal.h) drops them at a reload. */

/* The IKE_SA_INIT response's additions when a tunnel group uses
 * certificates: N(SIGNATURE_HASH_ALGORITHMS) when the peer sent one, and a
 * CERTREQ naming the CAs client certificates are checked against. */
void ikev2_build_init_cert_payloads(struct ikev2_ike_sa *sa, struct ikev2_builder *b);

/* The hashes of the peer's SIGNATURE_HASH_ALGORITHMS from its IKE_SA_INIT
 * request (crypto-sign.h mask; 0 when absent). */
uint32_t ikev2_peer_sign_hashes(const struct ikev2_ike_sa *sa);

/* What a certificate job found. */
struct ikev2_cert_outcome {
    int verdict;                /* the peer: 1 authenticated (or not checked), 0 rejected, <0 errno */
    const char *reason;         /* why not, for the log */
    const char *subject;        /* the peer certificate's subject ("" when none) */
    int sign_result;            /* ours: 0, or a negative errno */
    uint8_t method;             /* our AUTH when signed */
    const uint8_t *auth;
    size_t auth_len;
};
typedef void (*ikev2_cert_then_fn)(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_cert_outcome *out);

/* Starts the job for request mid: with peer_auth, the peer's CERT chain
 * (from the first request), IDi and AUTH are checked; with sign, our AUTH
 * over sa->auth->idr_body is signed. `then` runs on the loop with the
 * outcome (not when the SA went away meanwhile). Sets response_pending.
 * Negative errno when the job cannot start (reason filled). */
int ikev2_cert_job_start(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_auth *peer_auth, bool sign,
                         ikev2_cert_then_fn then, char *reason, size_t reason_len);

/* Our CERT payloads for the peer's CERTREQs in the first request. */
int ikev2_cert_our_payloads(struct ikev2_ike_sa *sa, struct cert_der_list *out);

/* ---- ikev2-eap.c -------------------------------------------------------------------------- */

/* The first IKE_AUTH request without AUTH: starts the conversation. */
void ikev2_eap_begin(struct ikev2_ike_sa *sa, uint32_t mid);
/* A later IKE_AUTH request of the conversation. */
void ikev2_eap_round(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_payload_list *inner);
/* For an asynchronous credential backend: after eap_server_lookup_done()
 * on sa->auth->eap, answers the request that waited (EAP_PENDING). */
void ikev2_eap_resume(struct ikev2_ike_sa *sa);
/* An EAP payload (one EAP packet) in an IKE_AUTH response to mid. */
int ikev2_eap_send(struct ikev2_ike_sa *sa, uint32_t mid, const uint8_t *eap, size_t eap_len);
/* authentication-fallback-local of eap-radius: EAP-MSCHAPv2 against the
 * local users, for `identity` (the EAP identity the client gave), starting
 * with the challenge in the response to mid. */
void ikev2_eap_local_fallback(struct ikev2_ike_sa *sa, uint32_t mid, const char *identity);

/* ---- ikev2-eap-radius.c ---------------------------------------------------------------- */

/* EAP passthrough (RFC 3579): our EAP-Request/Identity into
 * sa->auth->eap_first; -ENOMEM. */
int ikev2_eap_radius_begin(struct ikev2_ike_sa *sa);
/* A client's EAP response: relayed to the server; its answer comes later. */
void ikev2_eap_radius_round(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_payload_list *inner);
/* After the Access-Accept: the MSK from MS-MPPE-Recv/Send-Key (none: 0). */
void ikev2_eap_radius_msk(const struct ikev2_ike_sa *sa, const uint8_t **msk, size_t *msk_len);
void ikev2_eap_radius_free(struct ikev2_auth_state *as);
