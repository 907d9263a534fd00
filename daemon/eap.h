/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * EAP server (authenticator) conversations, RFC 3748, independent of the
 * transport: IKEv2 carries the messages in EAP payloads (RFC 7296 2.16),
 * RADIUS may carry them later. One struct eap_server is one conversation
 * with one peer, from EAP-Request/Identity to EAP-Success or EAP-Failure.
 *
 * Methods: EAP-MD5-Challenge (RFC 3748 5.4), EAP-MSCHAPv2 (RFC 2759,
 * draft-kamath-pppext-eap-mschapv2) and EAP-GTC (RFC 3748 5.6, the password
 * in clear inside the protected IKE_AUTH, checked against the user's hash). Only the method the tunnel group names
 * is offered; a peer that NAKs it fails with a reason saying what it wanted.
 *
 * Usage (the IKE_AUTH exchange):
 *
 *   srv = eap_server_new(EAP_METHOD_MSCHAPV2, eap_config_lookup, config);
 *   eap_server_start(srv, idi_or_NULL, &req, &req_len)   -> send req
 *   loop: r = eap_server_process(srv, resp, resp_len, &req, &req_len);
 *     EAP_CONTINUE  send req (the next EAP-Request)
 *     EAP_DISCARD   the response was malformed or stale (RFC 3748 says: drop
 *                   it); req is the previous request again, send it so that
 *                   the IKE exchange gets its answer
 *     EAP_SUCCESS   send req (EAP-Success); eap_server_msk() gives the MSK
 *                   for the IKEv2 AUTH payloads; eap_server_identity() is
 *                   the authenticated user
 *     EAP_FAILURE   send req (EAP-Failure); eap_server_failure_reason() says
 *                   why, for the log ("unknown user", "wrong password", ...)
 *     EAP_PENDING   the credential lookup is asynchronous: nothing to send
 *                   yet; when the backend calls eap_server_lookup_done(),
 *                   call eap_server_resume() which returns one of the above
 *   negative errno: internal failure (no memory, no randomness, OpenSSL's
 *                   legacy provider missing); the reason says which. The
 *                   conversation is over: free it, fail the IKE SA.
 *
 * RFC 7296 2.16: after EAP_SUCCESS the peer's and vpnd's last AUTH payloads
 * are computed with the MSK as the shared secret; a method without an MSK
 * (MD5) uses SK_pi / SK_pr instead, and RFC 7296 says such methods should
 * only be used with the responder authenticated by a certificate.
 * The identifier of each request is one more than the last (it starts
 * random); EAP-Success/Failure carry the identifier of the response they
 * answer, as RFC 3748 4.2 wants.
 *
 * `req` points into the server object and stays valid until the next call
 * on it. Every function is for one thread at a time per object.
 *
 * Secrets (passwords, NT hash, MSK) are wiped when no longer needed and on
 * eap_server_free(). Nothing here logs: the caller logs the identity (already
 * checked to hold no control characters) and the reason.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* EAP codes and method types (IANA "EAP Registry"). */
enum {
    EAP_CODE_REQUEST  = 1,
    EAP_CODE_RESPONSE = 2,
    EAP_CODE_SUCCESS  = 3,
    EAP_CODE_FAILURE  = 4,
};

enum eap_type {
    EAP_TYPE_IDENTITY     = 1,
    EAP_TYPE_NOTIFICATION = 2,
    EAP_TYPE_NAK          = 3,
    EAP_TYPE_MD5          = 4,
    EAP_TYPE_GTC          = 6,
    EAP_TYPE_TLS          = 13,
    EAP_TYPE_TTLS         = 21,
    EAP_TYPE_PEAP         = 25,
    EAP_TYPE_MSCHAPV2     = 26,
    EAP_TYPE_EXPANDED     = 254,
};

/* The methods vpnd implements locally. */
enum eap_method {
    EAP_METHOD_MD5,
    EAP_METHOD_MSCHAPV2,
    EAP_METHOD_GTC,         /* RFC 3748 5.6: the password in clear, checked by eap_verify_fn */
};

enum eap_result {
    EAP_CONTINUE,
    EAP_DISCARD,
    EAP_SUCCESS,
    EAP_FAILURE,
    EAP_PENDING,
};

#define EAP_IDENTITY_MAX   253      /* bytes, without the NUL (RADIUS User-Name limit) */
#define EAP_PASSWORD_MAX   256      /* bytes of cleartext password (MS-CHAPv2 allows 256 characters) */
#define EAP_MSK_LEN        64       /* RFC 3748: the MSK is at least 64 bytes */
#define EAP_MESSAGE_MAX    1024     /* the largest EAP message we accept or build */
#define EAP_ROUNDS_MAX     16       /* requests per conversation, retransmissions included */

/* What a credential backend returns for a user. Filled by the lookup
 * callback into a structure the server owns and wipes. */
struct eap_credentials {
    uint8_t password[EAP_PASSWORD_MAX];  /* cleartext, UTF-8; password_len 0 = none */
    size_t password_len;
    bool has_nt_hash;                    /* MD4(UTF-16LE(password)) */
    uint8_t nt_hash[16];
};

struct eap_server;

/* The credential lookup. Returns 1 and fills *creds when the user exists,
 * 0 when it does not, -EINPROGRESS when the answer comes later through
 * eap_server_lookup_done() (then *creds is not used), or a negative errno.
 * `identity` is the EAP identity with any "DOMAIN\" prefix removed. */
typedef int (*eap_lookup_fn)(void *userdata, struct eap_server *srv, const char *identity,
                             struct eap_credentials *creds);

/* EAP-GTC's password check (the user's crypt(3) hash is expensive to
 * compute: run it on a worker). Returns 1 when `password` is the user's,
 * 0 when not, -EINPROGRESS when the answer comes later through
 * eap_server_verify_done() (copy the password first: it is wiped when this
 * returns), or a negative errno. `user` is as for the lookup. */
typedef int (*eap_verify_fn)(void *userdata, struct eap_server *srv, const char *user, const char *password);

/* A new conversation for `method`. NULL on allocation failure. */
struct eap_server *eap_server_new(enum eap_method method, eap_lookup_fn lookup, void *userdata);
/* Wipes and frees. NULL is allowed. */
void eap_server_free(struct eap_server *srv);
/* The password check for EAP-GTC (with the same userdata as the lookup);
 * without one, GTC fails. */
void eap_server_set_verify(struct eap_server *srv, eap_verify_fn verify);

/* The first request. With `identity` (e.g. the IKEv2 IDi when the tunnel
 * group says it is the user name; NUL-terminated) the method's challenge
 * comes at once, else an EAP-Request/Identity. Returns EAP_CONTINUE,
 * EAP_PENDING (a lookup is in flight) or a negative errno (-EINVAL for an
 * identity that is empty, too long or holds control characters). */
int eap_server_start(struct eap_server *srv, const char *identity, const uint8_t **req, size_t *req_len);

/* One EAP-Response from the peer; see the top of this file. */
int eap_server_process(struct eap_server *srv, const uint8_t *resp, size_t resp_len,
                       const uint8_t **req, size_t *req_len);

/* Asynchronous lookups: the backend reports its answer (`found` 1 with
 * creds, 0 unknown user, negative errno failure); creds is copied and may be
 * wiped by the caller afterwards. Then eap_server_resume() gives the next
 * message, with the results of eap_server_process(). -EBUSY when no lookup
 * was pending. */
int eap_server_lookup_done(struct eap_server *srv, int found, const struct eap_credentials *creds);
/* The same for an asynchronous EAP-GTC password check: `result` as the
 * verify function's (1, 0, negative errno). -EBUSY when none was pending. */
int eap_server_verify_done(struct eap_server *srv, int result);
int eap_server_resume(struct eap_server *srv, const uint8_t **req, size_t *req_len);

/* After EAP_SUCCESS: the MSK (MSCHAPv2: 64 bytes). -ENODATA for a method
 * without keys (MD5) or before success. *msk points into the server. */
int eap_server_msk(const struct eap_server *srv, const uint8_t **msk, size_t *len);

/* The peer's identity as it gave it (NULL before it did). After
 * EAP_SUCCESS it is the authenticated user. */
const char *eap_server_identity(const struct eap_server *srv);
/* The identity without any "DOMAIN\" prefix: the user name whose
 * credentials were looked up (NULL before the identity is known). */
const char *eap_server_user(const struct eap_server *srv);
/* Why the conversation failed (or what is wrong so far); "" when nothing. */
const char *eap_server_failure_reason(const struct eap_server *srv);

/* True once the outcome is failure but the peer still gets a last request:
 * MS-CHAPv2's Failure-Request ("E=691 R=0"), which some peers (strongSwan,
 * Windows) never answer but give up on. An IKE SA that ends (timeout,
 * delete) in this state failed authentication for the reason above. */
bool eap_server_failing(const struct eap_server *srv);

/* "MD5", "MSCHAPv2", "GTC". */
const char *eap_method_name(enum eap_method method);
/* The name of an EAP type number for logs ("MSCHAPv2", "TLS", "type 99"). */
const char *eap_type_str(unsigned type, char *buf, size_t len);

struct vpnd_config;
/* The lookup over vpnd.conf's users (config_user_find); userdata is the
 * const struct vpnd_config *. The cleartext password and nt-hash are copied. */
int eap_config_lookup(void *userdata, struct eap_server *srv, const char *identity, struct eap_credentials *creds);
