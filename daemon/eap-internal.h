/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Between the EAP framework (eap.c) and its methods (eap-md5.c,
 * eap-mschapv2.c). Not for other callers: they use eap.h.
 *
 * eap.c owns the EAP header (code, identifier, length), the identity, NAKs,
 * the round bound and the credentials; a method sees only its own type data
 * and writes only the type data of its next request.
 */
#pragma once

#include "eap.h"
#include "eap-mschapv2-crypto.h"

#define EAP_HEADER_LEN 4          /* code, identifier, length */
#define EAP_SERVER_NAME "vpnd"    /* the Name field of MD5 and MS-CHAPv2 challenges */

enum eap_state {
    EAP_STATE_NEW,
    EAP_STATE_IDENTITY,           /* Request/Identity sent */
    EAP_STATE_LOOKUP,             /* waiting for an asynchronous lookup */
    EAP_STATE_METHOD,             /* the method's requests */
    EAP_STATE_VERIFY,             /* waiting for an asynchronous password check (GTC) */
    EAP_STATE_SUCCESS,
    EAP_STATE_FAILURE,
};

/* What a method's step decided. */
enum eap_step {
    EAP_STEP_REQUEST,             /* send the type data written to out */
    EAP_STEP_SUCCESS,
    EAP_STEP_FAILURE,             /* srv->reason is set */
    EAP_STEP_DISCARD,             /* malformed: drop it, resend the last request */
    EAP_STEP_VERIFY,              /* check srv->gtc_password with the verify function */
};

struct eap_method_ops {
    uint8_t type;
    const char *name;
    /* 0, or a negative errno with srv->reason set (a missing provider). */
    int (*check)(struct eap_server *srv);
    /* The first request's type data (after the type byte) into out (cap
     * bytes); its length in *out_len. Negative errno on failure. */
    int (*challenge)(struct eap_server *srv, uint8_t identifier, uint8_t *out, size_t cap, size_t *out_len);
    /* A response's type data (after the type byte), `identifier` being the
     * one the response carries (= srv->identifier). Returns an enum
     * eap_step, writing the next request's type data for EAP_STEP_REQUEST
     * (with the identifier `next_identifier`), or a negative errno. */
    int (*process)(struct eap_server *srv, uint8_t identifier, const uint8_t *data, size_t len,
                   uint8_t next_identifier, uint8_t *out, size_t cap, size_t *out_len);
};

extern const struct eap_method_ops eap_md5_ops;
extern const struct eap_method_ops eap_mschapv2_ops;
extern const struct eap_method_ops eap_gtc_ops;

struct eap_server {
    enum eap_method method;
    const struct eap_method_ops *ops;
    eap_lookup_fn lookup;
    void *userdata;
    enum eap_state state;

    uint8_t identifier;           /* of the last request sent */
    unsigned rounds;              /* requests sent, retransmissions included */

    char identity[EAP_IDENTITY_MAX + 1];
    bool has_identity;
    const char *user;             /* identity without "DOMAIN\": what credentials are looked up by */

    /* The lookup's answer. A user without (usable) credentials is carried
     * on to the end of the method and fails there, like a wrong password,
     * so that the peer cannot tell which user names exist. */
    bool user_found;
    struct eap_credentials creds;
    int lookup_result;            /* eap_server_lookup_done() */
    bool lookup_done;

    /* EAP-GTC: the password received, until the check has it. */
    eap_verify_fn verify;
    char gtc_password[EAP_PASSWORD_MAX + 1];
    int verify_result;            /* eap_server_verify_done() */
    bool verify_done;

    /* Method state. */
    uint8_t challenge[MSCHAPV2_CHALLENGE_LEN];   /* MD5 and MS-CHAPv2 authenticator challenge */
    uint8_t mschap_id;
    bool mschap_success_sent;     /* Success-Request sent: waiting for the Success-Response */
    bool mschap_failure_sent;     /* Failure-Request sent: any answer ends in EAP-Failure */

    uint8_t msk[EAP_MSK_LEN];
    bool has_msk;

    char reason[160];

    uint8_t out[EAP_MESSAGE_MAX]; /* the last message built */
    size_t out_len;
};

/* Sets srv->reason (printf-style). */
void eap_set_reason(struct eap_server *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
