/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control socket server: listening socket, connections, authorisation
 * and dispatch. A connection reads requests while it has no unsent output;
 * once a response is pending it only writes until it is gone, then answers
 * the next request. A client that never reads therefore stops being
 * served, costs one response (however large: a list of 10,000 sessions)
 * plus at most CONTROL_MAX_OUTPUT bytes of log events, and is dropped by
 * the idle timeout. Responses go out non-blocking, as the socket takes
 * them, between the loop's other work.
 */
#define _GNU_SOURCE     /* accept4, struct ucred */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "jsonline.h"
#include "log.h"
#include "log-ring.h"
#include "vpnd-build.h"

struct control_conn {
    struct control_server *server;
    struct control_conn *prev, *next;
    int fd;
    sd_event_source *io;
    sd_event_source *idle_timer;
    struct jsonline_reader in;
    struct jsonline_writer out;
    struct control_client client;       /* access is recomputed per request */
    gid_t *groups;                      /* supplementary groups at connect time */
    size_t n_groups;
    bool eof;                           /* client finished sending */
    bool close_after_flush;             /* protocol error: answer, then hang up */
    bool draining;                      /* answered and shut down; discarding input */
    size_t drained;
    bool follower;                      /* `log --follow`: gets new log lines */
    struct control_log_filter filter;
    uint64_t log_seq;                   /* the last log line it has been sent */
};

struct control_server {
    struct vpnd *vpnd;
    sd_event *event;
    int fd;
    sd_event_source *listen_source;
    char *path;
    bool bound;                         /* the socket file at path is ours */
    bool dir_owned;                     /* vpnd manages the socket's directory */
    uid_t self_uid;
    struct config_control access;       /* only the group fields are used */
    struct control_conn *conns;
    unsigned n_conns;
    unsigned n_followers;
    sd_event_source *log_source;        /* log-ring.h's eventfd */
};

const char *control_access_name(enum control_access access)
{
    switch (access) {
    case CONTROL_ACCESS_NONE:  return "none";
    case CONTROL_ACCESS_READ:  return "read";
    case CONTROL_ACCESS_ADMIN: return "admin";
    }
    return "unknown";
}

static bool in_group(gid_t want, gid_t gid, const gid_t *groups, size_t n_groups)
{
    if (gid == want)
        return true;
    for (size_t i = 0; i < n_groups; i++)
        if (groups[i] == want)
            return true;
    return false;
}

enum control_access control_access_for(const struct config_control *config, uid_t self_uid,
                                       uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups)
{
    /* vpnd's own uid counts as root: an unprivileged test instance is
     * administered by whoever started it. */
    if (uid == 0 || uid == self_uid)
        return CONTROL_ACCESS_ADMIN;
    if (config->has_admin_group && in_group(config->admin_gid, gid, groups, n_groups))
        return CONTROL_ACCESS_ADMIN;
    if (config->has_read_group && in_group(config->read_gid, gid, groups, n_groups))
        return CONTROL_ACCESS_READ;
    return CONTROL_ACCESS_NONE;
}

/* --- responses ----------------------------------------------------------- */

/* The codes clients (vpnctl's exit status) act on; see vpnctl(8). */
#define CODE_BAD_REQUEST "bad-request"
#define CODE_UNKNOWN_COMMAND "unknown-command"
#define CODE_PERMISSION_DENIED "permission-denied"
#define CODE_TOO_LARGE "too-large"

static const char *handler_error_code(int error)
{
    switch (error) {
    case -EPERM:
    case -EACCES: return CODE_PERMISSION_DENIED;
    case -EINVAL: return CODE_BAD_REQUEST;
    case -ENOENT: return "not-found";
    default:      return "failed";
    }
}

static json_object *error_response(const char *code, const char *message)
{
    json_object *resp = json_object_new_object();
    if (!resp)
        return NULL;
    json_object_object_add(resp, "ok", json_object_new_boolean(0));
    json_object_object_add(resp, "code", json_object_new_string(code));
    json_object_object_add(resp, "error", json_object_new_string(message));
    return resp;
}

static json_object *success_response(json_object *result)
{
    json_object *resp = json_object_new_object();
    if (!resp) {
        json_object_put(result);
        return NULL;
    }
    json_object_object_add(resp, "ok", json_object_new_boolean(1));
    json_object_object_add(resp, "result", result ? result : json_object_new_object());
    return resp;
}

const struct control_command *control_command_find(const char *name)
{
    for (const struct control_command *c = control_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static json_object *dispatch(struct vpnd *vpnd, const struct control_client *client,
                             json_object *request)
{
    static const char *const known[] = { "command", "args", "id", NULL };
    char error[CONTROL_ERROR_MAX];

    json_object_object_foreach(request, key, val) {
        (void)val;
        bool ok = false;
        for (size_t i = 0; known[i]; i++)
            ok = ok || strcmp(key, known[i]) == 0;
        if (!ok) {
            snprintf(error, sizeof(error), "unknown request member '%.64s'", key);
            return error_response(CODE_BAD_REQUEST, error);
        }
    }

    json_object *command;
    if (!json_object_object_get_ex(request, "command", &command) ||
        !json_object_is_type(command, json_type_string))
        return error_response(CODE_BAD_REQUEST, "the request has no \"command\" string");

    json_object *args = NULL;
    if (json_object_object_get_ex(request, "args", &args) &&
        !json_object_is_type(args, json_type_object))
        return error_response(CODE_BAD_REQUEST, "\"args\" must be an object");

    const char *name = json_object_get_string(command);
    const struct control_command *cmd = control_command_find(name);
    if (!cmd) {
        snprintf(error, sizeof(error), "unknown command '%.64s'", name);
        return error_response(CODE_UNKNOWN_COMMAND, error);
    }

    if (client->access < cmd->access) {
        log_warning(CONFIG_SUBSYS_CONTROL,
                    "refused '%s' from uid %u pid %d: needs %s access, the client has %s",
                    cmd->name, (unsigned)client->uid, (int)client->pid,
                    control_access_name(cmd->access), control_access_name(client->access));
        snprintf(error, sizeof(error), "permission denied: '%s' needs %s access",
                 cmd->name, control_access_name(cmd->access));
        return error_response(CODE_PERMISSION_DENIED, error);
    }

    if (cmd->access >= CONTROL_ACCESS_ADMIN)
        log_info(CONFIG_SUBSYS_CONTROL, "'%s' requested by uid %u pid %d",
                 cmd->name, (unsigned)client->uid, (int)client->pid);
    else
        log_debug(CONFIG_SUBSYS_CONTROL, 1, "'%s' requested by uid %u pid %d",
                  cmd->name, (unsigned)client->uid, (int)client->pid);

    json_object *empty = NULL;
    if (!args)
        args = empty = json_object_new_object();
    const struct control_request req = { .command = cmd->name, .args = args, .client = client };
    json_object *result = NULL;
    struct control_error herr = { 0 };

    int r = cmd->handler(vpnd, &req, &result, &herr);
    json_object_put(empty);
    if (r < 0) {
        json_object_put(result);
        if (!herr.message[0])
            snprintf(herr.message, sizeof(herr.message), "%s", strerror(-r));
        return error_response(herr.code ? herr.code : handler_error_code(r), herr.message);
    }
    return success_response(result);
}

json_object *control_dispatch(struct vpnd *vpnd, const struct control_client *client,
                              json_object *request)
{
    json_object *resp = dispatch(vpnd, client, request);

    /* The optional "id" comes back unchanged so that a client may pipeline. */
    json_object *id;
    if (resp && json_object_object_get_ex(request, "id", &id))
        json_object_object_add(resp, "id", json_object_get(id));
    return resp;
}

/* --- connections --------------------------------------------------------- */

static void conn_free(struct control_conn *conn)
{
    struct control_server *server = conn->server;

    if (conn->prev)
        conn->prev->next = conn->next;
    else
        server->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    server->n_conns--;
    if (conn->follower && --server->n_followers == 0)
        log_ring_set_wakeup(false);

    sd_event_source_disable_unref(conn->io);
    sd_event_source_disable_unref(conn->idle_timer);
    close(conn->fd);
    jsonline_reader_done(&conn->in);
    jsonline_writer_done(&conn->out);
    free(conn->groups);
    free(conn);
}

static void conn_close(struct control_conn *conn, const char *why)
{
    log_debug(CONFIG_SUBSYS_CONTROL, 1, "closing connection of uid %u pid %d: %s",
              (unsigned)conn->client.uid, (int)conn->client.pid, why);
    conn_free(conn);
}

static int conn_touch(struct control_conn *conn)
{
    uint64_t now;
    int r = sd_event_now(conn->server->event, CLOCK_MONOTONIC, &now);
    if (r < 0)
        return r;
    return sd_event_source_set_time(conn->idle_timer, now + CONTROL_IDLE_TIMEOUT_USEC);
}

/* Queues a response; a client that has let too much pile up is dropped. */
static int conn_respond(struct control_conn *conn, json_object *resp)
{
    if (!resp)
        return -ENOMEM;
    int r = jsonline_writer_queue(&conn->out, resp);
    json_object_put(resp);
    if (r == -ENOBUFS)
        log_warning(CONFIG_SUBSYS_CONTROL, "uid %u pid %d does not read its responses; disconnecting",
                    (unsigned)conn->client.uid, (int)conn->client.pid);
    return r;
}

/* A large answer goes to the kernel in one write: with the default send
 * buffer (some 200 kB) a list of 10,000 sessions (5.5 MB) went out in
 * socket-fulls, each one waiting for the client to read and then for this
 * loop to come back between its IKE work (in the emulated test bed, with
 * thousands of liveness checks a minute, that was most of the listing's
 * time). As root vpnd may go past net.core.wmem_max (SO_SNDBUFFORCE);
 * otherwise the kernel caps it there. Best effort: without it the answer
 * goes out as before. */
static void conn_fit_send_buffer(struct control_conn *conn)
{
    size_t want = conn->out.len - conn->out.start;
    int have = 0;
    socklen_t len = sizeof(have);
    if (want > CONTROL_MAX_SEND_BUFFER)
        want = CONTROL_MAX_SEND_BUFFER;
    /* The kernel doubles what it is given (room for its bookkeeping) and
     * reports the doubled size. */
    if (getsockopt(conn->fd, SOL_SOCKET, SO_SNDBUF, &have, &len) < 0 || have < 0 || (size_t)have / 2 >= want)
        return;
    int size = (int)want;
    if (setsockopt(conn->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
        (void)setsockopt(conn->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static void conn_handle_request(struct control_conn *conn, json_object *request)
{
    struct control_server *server = conn->server;

    /* Group membership is checked against the configuration in force now,
     * so a reload that removes a group takes effect on open connections. */
    conn->client.access = control_access_for(&server->access, server->self_uid, conn->client.uid,
                                             conn->client.gid, conn->groups, conn->n_groups);
    json_object *resp = control_dispatch(server->vpnd, &conn->client, request);
    if (conn_respond(conn, resp) < 0)
        conn->close_after_flush = true;
    else
        conn_fit_send_buffer(conn);
}

/* Parses and answers the complete requests buffered, one at a time: the
 * next waits until the answer before it is sent (on_conn_io), so a client
 * that pipelines many `sessions` holds one answer at a time, and the loop
 * runs between them. */
static void conn_process_input(struct control_conn *conn)
{
    while (!conn->close_after_flush && !jsonline_writer_pending(&conn->out)) {
        json_object *request = NULL;
        int r = jsonline_reader_next(&conn->in, &request);
        if (r == 0)
            break;
        if (r == 1) {
            conn_handle_request(conn, request);
            json_object_put(request);
        } else if (r == -EBADMSG) {
            if (conn_respond(conn, error_response(CODE_BAD_REQUEST, "the request is not one valid JSON object")) < 0)
                conn->close_after_flush = true;
        } else {
            /* An overlong line cannot be resynchronised: answer and hang up. */
            (void)conn_respond(conn, error_response(CODE_TOO_LARGE, "request too large"));
            conn->close_after_flush = true;
        }
    }
}

/* Closing a Unix socket that still has unread input resets the connection,
 * and the client would lose the error response we just sent. So after a
 * protocol error vpnd shuts down its sending side and discards input until
 * the client closes, for a short, bounded while. */
static int conn_start_draining(struct control_conn *conn)
{
    uint64_t now;
    if (shutdown(conn->fd, SHUT_WR) < 0 || sd_event_now(conn->server->event, CLOCK_MONOTONIC, &now) < 0 ||
        sd_event_source_set_time(conn->idle_timer, now + CONTROL_DRAIN_USEC) < 0)
        return 0;
    conn->draining = true;
    return sd_event_source_set_io_events(conn->io, EPOLLIN) < 0 ? 0 : 1;
}

static int conn_update_events(struct control_conn *conn)
{
    uint32_t events = 0;
    if (jsonline_writer_pending(&conn->out))
        events = EPOLLOUT;
    else if (conn->close_after_flush && !conn->eof)
        return conn_start_draining(conn);
    else if (!conn->eof && !conn->close_after_flush)
        events = EPOLLIN;
    else
        return 0;   /* nothing to wait for: caller closes */
    return sd_event_source_set_io_events(conn->io, events) < 0 ? 0 : 1;
}

static void conn_drain(struct control_conn *conn)
{
    char scratch[4096];
    for (int i = 0; i < 16; i++) {
        ssize_t n = read(conn->fd, scratch, sizeof(scratch));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            conn_close(conn, "closed after a protocol error");
            return;
        }
        conn->drained += (size_t)n;
        if (conn->drained > CONTROL_MAX_DRAIN) {
            conn_close(conn, "keeps sending after a protocol error");
            return;
        }
    }
}

static int on_conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct control_conn *conn = userdata;

    if (conn->draining) {
        conn_drain(conn);
        return 0;
    }
    if (revents & EPOLLIN) {
        ssize_t n = jsonline_reader_fill(&conn->in, fd);
        if (n == 0) {
            if (jsonline_reader_has_partial(&conn->in))
                log_debug(CONFIG_SUBSYS_CONTROL, 1, "uid %u pid %d sent an unterminated request",
                          (unsigned)conn->client.uid, (int)conn->client.pid);
            conn->eof = true;
        } else if (n == -ENOBUFS) {
            (void)conn_respond(conn, error_response(CODE_TOO_LARGE, "request too large"));
            conn->close_after_flush = true;
        } else if (n < 0 && n != -EAGAIN) {
            conn_close(conn, "read error");
            return 0;
        }
        if (n > 0)
            (void)conn_touch(conn);
        conn_process_input(conn);
    } else if (revents & (EPOLLERR | EPOLLHUP) && !(revents & EPOLLOUT)) {
        conn_close(conn, "hang-up");
        return 0;
    }

    while (jsonline_writer_pending(&conn->out)) {
        int r = jsonline_writer_flush(&conn->out, fd);
        if (r < 0) {
            conn_close(conn, "write error");
            return 0;
        }
        (void)conn_touch(conn);
        if (r == 0)
            break;      /* the socket is full: EPOLLOUT brings us back */
        /* All sent: the requests held back meanwhile, if any. */
        conn_process_input(conn);
    }

    if (conn_update_events(conn) <= 0)
        conn_close(conn, conn->eof ? "end of input" : "done");
    return 0;
}

static int on_conn_idle(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct control_conn *conn = userdata;

    log_debug(CONFIG_SUBSYS_CONTROL, 1, "uid %u pid %d idle for too long",
              (unsigned)conn->client.uid, (int)conn->client.pid);
    conn_free(conn);
    return 0;
}

/* SO_PEERGROUPS (Linux 4.13) gives the client's supplementary groups, so
 * that membership through a secondary group counts. */
static int read_peer_groups(int fd, gid_t **ret, size_t *ret_n)
{
    socklen_t len = 16 * sizeof(gid_t);
    for (int attempt = 0; attempt < 4; attempt++) {
        gid_t *groups = malloc(len ? len : sizeof(gid_t));
        if (!groups)
            return -ENOMEM;
        socklen_t got = len;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &got) == 0) {
            *ret = groups;
            *ret_n = got / sizeof(gid_t);
            return 0;
        }
        int e = errno;
        free(groups);
        if (e != ERANGE)
            return -e;
        if (got <= len || got > NGROUPS_MAX * sizeof(gid_t))
            return -ERANGE;
        len = got;      /* the kernel told us the size it needs */
    }
    return -ERANGE;
}

static int accept_one(struct control_server *server)
{
    int fd = accept4(server->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return -errno;

    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        int r = -errno;
        close(fd);
        return log_warning_errno(CONFIG_SUBSYS_CONTROL, r, "cannot identify a control client: %m");
    }

    if (server->n_conns >= CONTROL_MAX_CLIENTS) {
        log_warning(CONFIG_SUBSYS_CONTROL, "refused connection from uid %u pid %d: %d clients already connected",
                    (unsigned)cred.uid, (int)cred.pid, CONTROL_MAX_CLIENTS);
        close(fd);
        return 0;
    }

    struct control_conn *conn = calloc(1, sizeof(*conn));
    if (!conn) {
        close(fd);
        return -ENOMEM;
    }
    conn->server = server;
    conn->fd = fd;
    conn->client = (struct control_client) { .uid = cred.uid, .gid = cred.gid, .pid = cred.pid, .conn = conn };
    jsonline_reader_init(&conn->in, CONTROL_MAX_REQUEST);
    jsonline_writer_init(&conn->out, CONTROL_MAX_OUTPUT);
    conn->next = server->conns;
    if (server->conns)
        server->conns->prev = conn;
    server->conns = conn;
    server->n_conns++;

    int r = read_peer_groups(fd, &conn->groups, &conn->n_groups);
    if (r < 0) {
        /* Without the list only the primary group counts: safe, never wider. */
        log_debug(CONFIG_SUBSYS_CONTROL, 1, "no supplementary groups for pid %d: %s",
                  (int)cred.pid, strerror(-r));
        conn->groups = NULL;
        conn->n_groups = 0;
    }

    r = sd_event_add_io(server->event, &conn->io, fd, EPOLLIN, on_conn_io, conn);
    if (r >= 0)
        r = sd_event_add_time_relative(server->event, &conn->idle_timer, CLOCK_MONOTONIC,
                                       CONTROL_IDLE_TIMEOUT_USEC, 0, on_conn_idle, conn);
    if (r < 0) {
        conn_free(conn);
        return log_warning_errno(CONFIG_SUBSYS_CONTROL, r, "cannot watch a control connection: %m");
    }
    log_debug(CONFIG_SUBSYS_CONTROL, 2, "connection from uid %u gid %u pid %d",
              (unsigned)cred.uid, (unsigned)cred.gid, (int)cred.pid);
    return 0;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct control_server *server = userdata;

    /* Bounded, so a flood of connections cannot starve the rest of the loop. */
    for (int i = 0; i < 16; i++) {
        int r = accept_one(server);
        if (r == -EAGAIN || r == -EWOULDBLOCK)
            break;
        if (r == -EMFILE || r == -ENFILE || r == -ENOBUFS || r == -ENOMEM) {
            log_warning_errno(CONFIG_SUBSYS_CONTROL, r, "cannot accept control connections: %m");
            break;
        }
    }
    return 0;
}

/* --- the socket ---------------------------------------------------------- */

/* The group that may open the socket: read-group, else admin-group. */
static bool socket_group(const struct config_control *config, gid_t *ret)
{
    if (config->has_read_group) {
        *ret = config->read_gid;
        return true;
    }
    if (config->has_admin_group) {
        *ret = config->admin_gid;
        return true;
    }
    return false;
}

/* The socket's directory is vpnd's to set up only when it is the runtime
 * directory or vpnd creates it: a socket configured into an existing
 * directory such as /tmp must not change that directory's permissions. */
static int prepare_directory(struct control_server *server, const struct config_control *config)
{
    char *copy = strdup(server->path);
    if (!copy)
        return -ENOMEM;
    const char *dir = dirname(copy);

    if (strcmp(dir, VPND_RUNDIR) == 0)
        server->dir_owned = true;
    if (mkdir(dir, 0750) == 0)
        server->dir_owned = true;
    else if (errno != EEXIST) {
        int r = log_error_errno(CONFIG_SUBSYS_CONTROL, -errno, "cannot create %s: %m", dir);
        free(copy);
        return r;
    }

    int r = 0;
    if (server->dir_owned) {
        gid_t gid;
        if (chmod(dir, 0750) < 0)
            r = log_error_errno(CONFIG_SUBSYS_CONTROL, -errno, "cannot set the mode of %s: %m", dir);
        else if (socket_group(config, &gid) && chown(dir, (uid_t)-1, gid) < 0)
            r = log_error_errno(CONFIG_SUBSYS_CONTROL, -errno, "cannot give %s to group %u: %m",
                                dir, (unsigned)gid);
    }
    free(copy);
    return r;
}

static int set_socket_permissions(const char *path, const struct config_control *config)
{
    gid_t gid = getegid();
    (void)socket_group(config, &gid);
    if (chmod(path, 0660) < 0)
        return log_error_errno(CONFIG_SUBSYS_CONTROL, -errno, "cannot set the mode of %s: %m", path);
    if (chown(path, (uid_t)-1, gid) < 0)
        return log_error_errno(CONFIG_SUBSYS_CONTROL, -errno, "cannot give %s to group %u: %m",
                               path, (unsigned)gid);
    return 0;
}

static int bind_socket(struct control_server *server, const struct config_control *config)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(server->path) >= sizeof(sa.sun_path))
        return log_error_errno(CONFIG_SUBSYS_CONTROL, -ENAMETOOLONG,
                               "control socket path %s is longer than %zu bytes",
                               server->path, sizeof(sa.sun_path) - 1);
    strcpy(sa.sun_path, server->path);

    int r = prepare_directory(server, config);
    if (r < 0)
        return r;

    /* A socket left by a previous instance would make bind() fail; anything
     * else at that path is not ours to delete. */
    struct stat st;
    if (lstat(server->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return log_error_errno(CONFIG_SUBSYS_CONTROL, -EEXIST,
                                   "%s exists and is not a socket", server->path);
        if (unlink(server->path) < 0)
            return log_error_errno(CONFIG_SUBSYS_CONTROL, -errno, "cannot remove stale %s: %m",
                                   server->path);
    }

    server->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (server->fd < 0)
        return log_error_errno(CONFIG_SUBSYS_CONTROL, -errno, "cannot create the control socket: %m");

    /* The umask makes the socket inode 0660 from its creation, so there is
     * no moment at which others could connect. */
    mode_t old_umask = umask(0117);
    r = bind(server->fd, (struct sockaddr *)&sa, sizeof(sa));
    int e = errno;
    umask(old_umask);
    if (r < 0)
        return log_error_errno(CONFIG_SUBSYS_CONTROL, -e, "cannot bind %s: %m", server->path);
    server->bound = true;

    r = set_socket_permissions(server->path, config);
    if (r < 0)
        return r;

    if (listen(server->fd, SOMAXCONN) < 0)
        return log_error_errno(CONFIG_SUBSYS_CONTROL, -errno, "cannot listen on %s: %m", server->path);
    return 0;
}

static void copy_access(struct config_control *dst, const struct config_control *src)
{
    *dst = (struct config_control) {
        .has_read_group = src->has_read_group,
        .read_gid = src->read_gid,
        .has_admin_group = src->has_admin_group,
        .admin_gid = src->admin_gid,
    };
}

int control_conn_follow_log(struct control_conn *conn, const struct control_log_filter *filter)
{
    if (!conn)
        return -EINVAL;
    conn->filter = *filter;
    conn->log_seq = log_ring_last();
    if (!conn->follower) {
        conn->follower = true;
        if (conn->server->n_followers++ == 0)
            log_ring_set_wakeup(true);
        /* Watching a quiet daemon is not idling. */
        (void)sd_event_source_set_enabled(conn->idle_timer, SD_EVENT_OFF);
    }
    return 0;
}

static void deliver_log_line(const struct log_ring_entry *e, void *userdata)
{
    struct control_conn *conn = userdata;
    if (conn->close_after_flush || !control_log_filter_matches(&conn->filter, e))
        return;
    json_object *o = json_object_new_object();
    if (!o)
        return;
    json_object_object_add(o, "event", json_object_new_string("log"));
    json_object_object_add(o, "entry", control_log_entry_json(e));
    if (jsonline_writer_queue(&conn->out, o) < 0)
        conn->close_after_flush = true;     /* it does not read: let it go */
    json_object_put(o);
}

static int on_log_lines(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct control_server *server = userdata;
    log_ring_ack();
    for (struct control_conn *conn = server->conns, *next; conn; conn = next) {
        next = conn->next;
        if (!conn->follower)
            continue;
        uint64_t missed = 0;
        conn->log_seq = log_ring_read(conn->log_seq, deliver_log_line, conn, &missed);
        if (missed > 0 && !conn->close_after_flush) {
            json_object *o = json_object_new_object();
            if (o) {
                json_object_object_add(o, "event", json_object_new_string("missed"));
                json_object_object_add(o, "lines", json_object_new_uint64(missed));
                if (jsonline_writer_queue(&conn->out, o) < 0)
                    conn->close_after_flush = true;
                json_object_put(o);
            }
        }
        if (conn_update_events(conn) <= 0)
            conn_close(conn, "log follower done");
    }
    return 0;
}

int control_server_new(struct vpnd *vpnd, sd_event *event, const struct config_control *config,
                       struct control_server **ret)
{
    struct control_server *server = calloc(1, sizeof(*server));
    if (!server)
        return -ENOMEM;
    server->vpnd = vpnd;
    server->event = sd_event_ref(event);
    server->fd = -1;
    server->self_uid = geteuid();
    copy_access(&server->access, config);
    server->path = strdup(config->socket_path ? config->socket_path : VPND_CONTROL_SOCKET);
    if (!server->path) {
        control_server_free(server);
        return -ENOMEM;
    }

    int r = bind_socket(server, config);
    if (r < 0) {
        control_server_free(server);
        return r;
    }

    r = sd_event_add_io(event, &server->listen_source, server->fd, EPOLLIN, on_listen, server);
    if (r < 0) {
        control_server_free(server);
        return log_error_errno(CONFIG_SUBSYS_CONTROL, r, "cannot watch the control socket: %m");
    }
    (void)sd_event_source_set_description(server->listen_source, "control-listen");

    int log_fd = log_ring_start();
    if (log_fd < 0) {
        control_server_free(server);
        return log_error_errno(CONFIG_SUBSYS_CONTROL, log_fd, "cannot keep log lines for vpnctl log: %m");
    }
    r = sd_event_add_io(event, &server->log_source, log_fd, EPOLLIN, on_log_lines, server);
    if (r < 0) {
        control_server_free(server);
        return log_error_errno(CONFIG_SUBSYS_CONTROL, r, "cannot watch the log ring: %m");
    }

    *ret = server;
    return 0;
}

void control_server_free(struct control_server *server)
{
    if (!server)
        return;
    while (server->conns)
        conn_free(server->conns);
    sd_event_source_disable_unref(server->listen_source);
    if (server->log_source) {
        sd_event_source_disable_unref(server->log_source);
        log_ring_stop();
    }
    if (server->fd >= 0)
        close(server->fd);
    if (server->bound)
        (void)unlink(server->path);
    free(server->path);
    sd_event_unref(server->event);
    free(server);
}

int control_server_update(struct control_server *server, const struct config_control *config)
{
    const char *path = config->socket_path ? config->socket_path : VPND_CONTROL_SOCKET;
    if (strcmp(path, server->path) != 0)
        log_warning(CONFIG_SUBSYS_CONTROL, "the control socket stays at %s until vpnd restarts "
                    "(the configuration now names %s)", server->path, path);

    copy_access(&server->access, config);
    if (server->dir_owned) {
        int r = prepare_directory(server, config);
        if (r < 0)
            return r;
    }
    return set_socket_permissions(server->path, config);
}

unsigned control_server_n_clients(const struct control_server *server)
{
    return server->n_conns;
}

const char *control_server_path(const struct control_server *server)
{
    return server->path;
}
