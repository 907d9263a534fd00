/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control socket: a Unix stream socket speaking one JSON object per line
 * (protocol in vpnctl(8)). The server owns the listening socket and every
 * client connection; it never blocks on a client. Each connection has
 * bounded input and output buffers and an idle timeout, and requests are
 * authorised by the peer's credentials (SO_PEERCRED / SO_PEERGROUPS).
 *
 * Commands live in a table (control-commands.c); a handler receives the
 * parsed request and fills in a result object or an error message.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "config.h"

struct vpnd;
struct control_server;
struct control_conn;
struct log_ring_entry;

/* What a client may do, by who it is. Ordered: a higher level includes the
 * lower ones. */
enum control_access {
    CONTROL_ACCESS_NONE,
    CONTROL_ACCESS_READ,    /* member of control.read-group: show things */
    CONTROL_ACCESS_ADMIN,   /* root, vpnd's own uid, control.admin-group: change things */
};

const char *control_access_name(enum control_access access);

/* Who sent a request, as the kernel vouches for it. */
struct control_client {
    uid_t uid;
    gid_t gid;
    pid_t pid;
    enum control_access access;
    struct control_conn *conn;  /* the connection; NULL when dispatched without one (tests) */
};

struct control_request {
    const char *command;
    json_object *args;          /* the request's "args" object; never NULL (may be empty) */
    const struct control_client *client;
};

/* What a failed command tells the client: a machine-readable code and a
 * one-line message. */
#define CONTROL_ERROR_MAX 1024
struct control_error {
    const char *code;           /* NULL: derived from the handler's errno */
    char message[CONTROL_ERROR_MAX];
};

/* A handler returns 0 and may set *result (an object, owned by the caller
 * from then on), or a negative errno and fills in `error`. Without an
 * explicit code: -EINVAL means bad arguments ("bad-request"), -EPERM/-EACCES
 * "permission-denied", -ENOENT "not-found", anything else "failed". */
typedef int (*control_handler_fn)(struct vpnd *vpnd, const struct control_request *req,
                                  json_object **result, struct control_error *error);

struct control_command {
    const char *name;
    enum control_access access;     /* the least access the command needs */
    control_handler_fn handler;
    const char *summary;            /* one line, for `help` */
};

/* The command table, terminated by an entry whose name is NULL. */
extern const struct control_command control_commands[];
const struct control_command *control_command_find(const char *name);

/* Limits per connection. */
#define CONTROL_MAX_REQUEST    (64 * 1024)          /* one request line */
#define CONTROL_MAX_OUTPUT     (4 * 1024 * 1024)    /* unread output beyond the current response */
#define CONTROL_MAX_SEND_BUFFER (32 * 1024 * 1024)  /* a large answer's socket send buffer, at most */
#define CONTROL_IDLE_TIMEOUT_USEC (60ULL * 1000000ULL)
#define CONTROL_MAX_CLIENTS    64
/* After a protocol error: how long and how much input is discarded before
 * the connection closes (see conn_start_draining). */
#define CONTROL_DRAIN_USEC     (2ULL * 1000000ULL)
#define CONTROL_MAX_DRAIN      (1024 * 1024)

/* Creates the socket's directory if needed (mode 0750), binds and listens
 * (mode 0660), owner root (or vpnd's uid) and group control.read-group (or
 * admin-group when only that is set). A stale socket file is replaced. */
int control_server_new(struct vpnd *vpnd, sd_event *event, const struct config_control *config,
                       struct control_server **ret);

/* Closes every connection and the socket, and removes the socket file. */
void control_server_free(struct control_server *server);

/* Applies a reloaded control section: new groups take effect for the next
 * request and the socket's group is updated. The socket path cannot change
 * without a restart; a change is reported with a warning. */
int control_server_update(struct control_server *server, const struct config_control *config);

unsigned control_server_n_clients(const struct control_server *server);
const char *control_server_path(const struct control_server *server);

/* The access a client with these credentials gets under `config`. `groups`
 * are the client's supplementary groups. Exposed for the unit test. */
enum control_access control_access_for(const struct config_control *config, uid_t self_uid,
                                       uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups);

/* `vpnctl log --follow`: what a follower wants to see. Empty strings match
 * anything; `peer` matches a prefix ("192.0.2.7" matches "192.0.2.7:4500"). */
#define CONTROL_LOG_FIELD_MAX 96
struct control_log_filter {
    char peer[CONTROL_LOG_FIELD_MAX];
    char user[CONTROL_LOG_FIELD_MAX];
    char session[CONTROL_LOG_FIELD_MAX];
    char tunnel_group[CONTROL_LOG_FIELD_MAX];
    int max_priority;                   /* LOG_ERR..LOG_DEBUG: lines up to this one */
};
bool control_log_filter_matches(const struct control_log_filter *f, const struct log_ring_entry *e);
/* One kept log line as the protocol sends it. */
json_object *control_log_entry_json(const struct log_ring_entry *e);

/* Turns the connection into a log follower after the current response:
 * every new line that passes the filter is sent as
 * {"event":"log","entry":{...}} until the client closes. The idle timeout
 * no longer applies; a follower that does not read is disconnected like
 * any other client. -EINVAL without a connection. */
int control_conn_follow_log(struct control_conn *conn, const struct control_log_filter *filter);

/* Runs one request object and returns the response object (never NULL
 * unless out of memory). Exposed so that tests can drive the dispatcher
 * without a socket. */
json_object *control_dispatch(struct vpnd *vpnd, const struct control_client *client,
                              json_object *request);
