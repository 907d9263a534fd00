/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * AAA: what the protocol front ends (IKEv1 Xauth, IKEv2 EAP) ask when a
 * tunnel group names an authentication-server-group. One RADIUS client per
 * aaa-server-group, made when the configuration loads; a reload gives the
 * groups whose servers or settings changed a new client (requests in flight
 * finish on the old one), and requests of groups the reload removed fail
 * with AAA_ERROR. Nothing here blocks: every answer comes through the
 * callback, from the event loop, never from within aaa_authenticate().
 *
 *   struct aaa_request req = { .group = tg, .user = "alice", .peer = "203.0.113.10",
 *                              .password = "secret" };
 *   aaa_authenticate(aaa, &req, done, sa, &sa->aaa_pending);
 *   ... done(result, sa): result->verdict ACCEPT (result->authz), REJECT
 *       (result->reply: the server's Reply-Message), CHALLENGE (reply is the
 *       prompt, state to echo; EAP: the next EAP request) or ERROR (reply
 *       says why: every server down, the group removed).
 *   aaa_cancel(sa->aaa_pending) when the SA goes first: no callback then.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "radius-packet.h"

struct aaa;
struct aaa_pending;
struct radius_client;

#define AAA_TEXT_MAX 256
#define AAA_ATTR_MAX 253            /* a RADIUS attribute's value */
#define AAA_EAP_MAX RADIUS_MAX_PACKET
#define AAA_MSK_MAX 64

/* What an Access-Accept grants (RFC 2865 5.8, 5.9, 5.25, 5.27, 5.28). */
struct aaa_authorization {
    bool has_address;                   /* Framed-IP-Address: fixed, instead of the pool */
    struct in_addr address;
    bool has_netmask;                   /* Framed-IP-Netmask */
    struct in_addr netmask;
    bool has_session_timeout;           /* Session-Timeout: overrides the group policy's */
    uint32_t session_timeout;
    bool has_idle_timeout;              /* Idle-Timeout: likewise */
    uint32_t idle_timeout;
    uint8_t class_[AAA_ATTR_MAX];       /* Class, echoed in accounting (RFC 2865 5.25) */
    size_t class_len;
    /* The group policy the mapping chose (NULL: the tunnel group's), and
     * the attribute value that chose it or that had no entry ("" none). */
    const struct config_group_policy *group_policy;
    char policy_value[AAA_TEXT_MAX];
};

enum aaa_verdict {
    AAA_ACCEPT,
    AAA_REJECT,
    AAA_CHALLENGE,
    AAA_ERROR,
};

/* An answer, valid during the callback only (secrets in it are wiped after). */
struct aaa_result {
    enum aaa_verdict verdict;
    int error;                          /* AAA_ERROR: negative errno */
    char reply[AAA_TEXT_MAX];           /* Reply-Message(s) joined, or why (AAA_ERROR); "" none */
    char server[64];                    /* "127.0.0.1:1812" that answered, or the group's name */
    uint8_t state[AAA_ATTR_MAX];        /* State to echo in the next request (challenge) */
    size_t state_len;
    const uint8_t *eap;                 /* EAP-Message joined (RFC 3579), NULL when none */
    size_t eap_len;
    uint8_t msk[AAA_MSK_MAX];           /* MS-MPPE-Recv-Key | MS-MPPE-Send-Key (RFC 3748 MSK), accept only */
    size_t msk_len;
    struct aaa_authorization authz;     /* AAA_ACCEPT */
};

typedef void (*aaa_callback_t)(const struct aaa_result *result, void *userdata);

/* One Access-Request. Exactly one of password (Xauth: PAP) and eap (EAP
 * passthrough) is set. */
struct aaa_request {
    const struct config_tunnel_group *group;    /* its authentication-server-group and mapping */
    const char *user;                   /* User-Name */
    const char *peer;                   /* Calling-Station-Id: the client's public address */
    const char *password;
    const uint8_t *eap;
    size_t eap_len;
    const uint8_t *state;               /* State of the previous challenge, or NULL */
    size_t state_len;
};

int aaa_new(sd_event *event, struct vpnd_config *config, struct aaa **ret);
/* Cancels everything (no callbacks) and frees. NULL is allowed. */
void aaa_free(struct aaa *aaa);
/* The new configuration's groups (see the top). */
int aaa_reload(struct aaa *aaa, struct vpnd_config *config);

/* -ENOENT when the group has no client (not in the running configuration),
 * -EINVAL for a request that cannot be encoded, -ENOMEM. */
int aaa_authenticate(struct aaa *aaa, const struct aaa_request *req, aaa_callback_t callback, void *userdata,
                     struct aaa_pending **handle);
/* NULL is allowed; the callback will not run. */
void aaa_cancel(struct aaa_pending *pending);

/* The running client of a group (for accounting), or NULL. */
struct radius_client *aaa_radius_client(struct aaa *aaa, const char *group_name);

/* ---- aaa-authorize.c ------------------------------------------------------------ */

struct radius_response;
/* Reads an Access-Accept's authorization, with the group's policy mapping. */
void aaa_authorization_parse(const struct radius_response *resp, const struct config_aaa_group *group,
                             struct aaa_authorization *out);
/* What a session keeps of its Access-Accept (owned by the IKE SA, moved
 * with it on an IKE SA rekey): the effective group policy (the mapping's or
 * `base`, with the server's Session-Timeout / Idle-Timeout in place of its
 * own) and Framed-IP-Address as a local user's fixed address would be, so
 * that the address and policy code needs no RADIUS of its own. */
struct aaa_grant {
    struct aaa_authorization authz;
    const struct config_group_policy *policy;   /* points to policy_copy or into the configuration */
    struct config_group_policy policy_copy;
    struct config_user user;            /* name, has_address, address, netmask */
    char name[AAA_TEXT_MAX];
};

/* NULL when out of memory. */
struct aaa_grant *aaa_grant_new(const struct aaa_authorization *authz, const char *user,
                                const struct config_group_policy *base);
void aaa_grant_free(struct aaa_grant *grant);
