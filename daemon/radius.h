/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The asynchronous RADIUS client: one per aaa-server-group, on the daemon's
 * sd-event loop; nothing here ever blocks.
 *
 *   struct radius_request req;
 *   radius_request_init(&req, RADIUS_ACCESS_REQUEST);
 *   radius_request_add_string(&req, RADIUS_USER_NAME, "alice");
 *   radius_request_set_password(&req, "secret", 6);
 *   radius_send(client, &req, done, session, &handle);   // copies and wipes nothing of the caller's
 *   ...
 *   static void done(const struct radius_response *resp, int error, const char *reason, void *userdata)
 *
 * A request goes to the first server of the group that is not dead, is
 * retransmitted unchanged (same identifier and authenticator) every
 * `timeout` up to `retries` times, and then moves on to the next server;
 * a server that never answered is skipped for `dead-time`. The callback
 * runs exactly once (never from within radius_send) unless the request is
 * cancelled first. Responses from an unexpected source, with a wrong
 * authenticator or malformed are dropped and counted, never delivered.
 * The client adds NAS-Identifier and NAS-IP-Address from the group.
 * A callback may send or cancel requests but must not free the client.
 */
#pragma once

#include <systemd/sd-event.h>

#include "config.h"
#include "radius-packet.h"

struct radius_client;
struct radius_pending;

/* A verified response, valid during the callback only. */
struct radius_response {
    const uint8_t *packet;
    size_t len;
    const struct config_aaa_server *server;     /* the server that answered */
    uint8_t request_auth[RADIUS_AUTH_LEN];      /* for radius_response_mppe_key */
};

/* `response` is NULL when error < 0 (-ETIMEDOUT: no server answered,
 * -EHOSTDOWN: every server is dead, -EIO, -ENOMEM); `reason` then says why, e.g.
 * "timeout: no answer from 127.0.0.1:1812 after 3 tries" or
 * "all servers of group 'corp' are dead". */
typedef void (*radius_callback_t)(const struct radius_response *response, int error, const char *reason,
                                  void *userdata);

struct radius_client_stats {
    uint64_t requests;              /* radius_send calls accepted */
    uint64_t retransmissions;
    uint64_t timeouts;              /* servers that did not answer all tries of a request */
    uint64_t dropped_source;        /* datagram from an address/port no pending request went to */
    uint64_t dropped_identifier;    /* no pending request with that identifier on that socket */
    uint64_t dropped_authenticator; /* Response Authenticator or Message-Authenticator wrong */
    uint64_t dropped_malformed;     /* framing or code wrong */
};

int radius_client_new(sd_event *event, const struct config_aaa_group *group, struct radius_client **ret);
/* Cancels every pending request (their callbacks do not run) and closes the sockets. */
void radius_client_free(struct radius_client *client);

/* Sends a copy of `req` (Access-Request or Accounting-Request). *handle
 * (optional) identifies it for radius_cancel until the callback runs.
 * -EINVAL for a bad request, -ENOMEM, or a socket error. */
int radius_send(struct radius_client *client, const struct radius_request *req, radius_callback_t callback,
                void *userdata, struct radius_pending **handle);
/* Drops a pending request; its callback will not run. */
void radius_cancel(struct radius_pending *pending);

const struct radius_client_stats *radius_client_get_stats(const struct radius_client *client);
/* Whether server `index` of the group is skipped for authentication
 * (accounting = false) or accounting until its dead-time has passed. */
bool radius_client_server_is_dead(const struct radius_client *client, size_t index, bool accounting);

/* ---- response accessors ------------------------------------------------------ */

uint8_t radius_response_code(const struct radius_response *resp);
/* The `index`th occurrence of `type`: 1 found, 0 absent. */
int radius_response_find(const struct radius_response *resp, uint8_t type, unsigned index, const uint8_t **value,
                         size_t *len);
/* Every Reply-Message joined with '\n', made printable (other bytes become '?'),
 * truncated to fit. Returns the length, 0 when there is none. */
size_t radius_response_reply_message(const struct radius_response *resp, char *buf, size_t size);
/* A 4-byte integer attribute (Session-Timeout, Idle-Timeout ...): 1 found, 0 absent, -EBADMSG wrong size. */
int radius_response_u32(const struct radius_response *resp, uint8_t type, uint32_t *ret);
/* Framed-IP-Address / Framed-IP-Netmask. */
int radius_response_ipv4(const struct radius_response *resp, uint8_t type, struct in_addr *ret);
/* The EAP packet of all EAP-Message attributes joined (RFC 3579 3.1):
 * its length, 0 when absent, -E2BIG when it does not fit, -EBADMSG when the
 * pieces do not form one EAP packet of the length its header gives. */
int radius_response_eap(const struct radius_response *resp, uint8_t *buf, size_t size);
/* MS-MPPE-Send-Key or -Recv-Key decrypted with the answering server's secret: key length, 0 absent, -EBADMSG. */
int radius_response_mppe_key(const struct radius_response *resp, uint8_t vendor_type, uint8_t *key, size_t key_max);
