/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The asynchronous RADIUS client (see radius.h). radcli's rc_send_server()
 * waits in poll() for the answer, which would stall every IKE exchange
 * while a RADIUS server is slow or gone; so the transport is ours, on
 * non-blocking UDP sockets in the daemon's sd-event loop.
 *
 * Identifiers: a socket has 256 of them, shared by every server it sends to
 * (simpler than per-server spaces and just as correct: a response is matched
 * by socket and identifier, then checked for its source). When a family's
 * sockets are full, another socket (another source port) is opened.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "clock.h"
#include "radius.h"

#define MAX_SOCKETS 16
#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC 1000000ULL

struct radius_socket {
    struct radius_client *client;
    int fd;
    int family;
    sd_event_source *io;
    struct radius_pending *by_id[256];
    unsigned n_pending;
    uint8_t next_id;
};

struct radius_client {
    sd_event *event;
    const struct config_aaa_group *group;
    uint64_t (*dead_until)[2];              /* per server: [0] authentication, [1] accounting; CLOCK_MONOTONIC usec */
    struct radius_socket *sockets[MAX_SOCKETS];
    size_t n_sockets;
    struct radius_pending *pending;         /* every pending request, for radius_client_free */
    struct radius_client_stats stats;
};

struct radius_pending {
    struct radius_client *client;
    struct radius_pending *prev, *next;
    struct radius_request req;
    radius_callback_t callback;
    void *userdata;
    bool accounting;
    size_t server;                          /* index in the group */
    unsigned tries;                         /* datagrams sent to that server */
    int send_error;                         /* the last sendto failure, 0 when none */
    struct radius_socket *socket;           /* NULL when no identifier is held */
    uint8_t id;
    uint8_t auth[RADIUS_AUTH_LEN];
    uint8_t packet[RADIUS_MAX_PACKET];
    size_t len;
    sd_event_source *timer;
    bool failed;                            /* the timer delivers `error` and `reason` */
    int error;
    char reason[256];
};

static void server_sockaddr(const struct config_aaa_server *srv, bool accounting, struct sockaddr_storage *ss,
                            socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    uint16_t port = htons(accounting ? srv->acct_port : srv->auth_port);
    if (srv->address.family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_addr = srv->address.in;
        sin->sin_port = port;
        *len = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = srv->address.in6;
        sin6->sin6_port = port;
        *len = sizeof(*sin6);
    }
}

/* "192.0.2.5:1812", "[2001:db8::5]:1812". */
static const char *server_name(const struct config_aaa_server *srv, bool accounting, char *buf, size_t len)
{
    char addr[INET6_ADDRSTRLEN] = "?";
    inet_ntop(srv->address.family, &srv->address.in6, addr, sizeof(addr));
    snprintf(buf, len, srv->address.family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr,
             accounting ? srv->acct_port : srv->auth_port);
    return buf;
}

/* The clock itself, not sd_event_now(): radius_send runs outside the loop's
 * dispatch, where the loop's cached time may be long past and a timeout
 * armed from it would fire early. */
static uint64_t now_usec(const struct radius_client *c)
{
    (void)c;
    return monotonic_usec();
}

/* ---- sockets ------------------------------------------------------------------- */

static void pending_deliver(struct radius_pending *p, const struct radius_response *resp, int error);
static void socket_receive(struct radius_socket *s);

static int on_socket_readable(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
    (void)source;
    (void)fd;
    (void)revents;
    socket_receive(userdata);
    return 0;
}

static int socket_open(struct radius_client *c, int family, struct radius_socket **ret)
{
    if (c->n_sockets >= MAX_SOCKETS)
        return -EBUSY;
    struct radius_socket *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->client = c;
    s->family = family;
    s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        int r = -errno;
        free(s);
        return r;
    }
    /* A random first identifier: nothing to guess from a restart. */
    if (RAND_bytes(&s->next_id, 1) != 1)
        s->next_id = 0;
    int r = sd_event_add_io(c->event, &s->io, s->fd, EPOLLIN, on_socket_readable, s);
    if (r < 0) {
        close(s->fd);
        free(s);
        return r;
    }
    c->sockets[c->n_sockets++] = s;
    *ret = s;
    return 0;
}

static void socket_free(struct radius_socket *s)
{
    sd_event_source_disable_unref(s->io);
    close(s->fd);
    free(s);
}

static int id_acquire(struct radius_pending *p, int family)
{
    struct radius_client *c = p->client;
    struct radius_socket *s = NULL;
    int r;

    for (size_t i = 0; i < c->n_sockets && !s; i++)
        if (c->sockets[i]->family == family && c->sockets[i]->n_pending < 256)
            s = c->sockets[i];
    if (!s) {
        r = socket_open(c, family, &s);
        if (r < 0)
            return r;
    }
    while (s->by_id[s->next_id])
        s->next_id++;
    p->id = s->next_id++;
    p->socket = s;
    s->by_id[p->id] = p;
    s->n_pending++;
    return 0;
}

static void id_release(struct radius_pending *p)
{
    if (!p->socket)
        return;
    p->socket->by_id[p->id] = NULL;
    p->socket->n_pending--;
    p->socket = NULL;
}

static bool source_matches(const struct sockaddr_storage *from, const struct config_aaa_server *srv, bool accounting)
{
    struct sockaddr_storage want;
    socklen_t len;
    server_sockaddr(srv, accounting, &want, &len);
    if (from->ss_family != want.ss_family)
        return false;
    if (want.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)from, *b = (const struct sockaddr_in *)&want;
        return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from, *b = (const struct sockaddr_in6 *)&want;
    return a->sin6_port == b->sin6_port && memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
}

static void socket_receive(struct radius_socket *s)
{
    struct radius_client *c = s->client;
    uint8_t buf[RADIUS_MAX_PACKET + 1];

    for (;;) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
        if (n < 0) {
            /* EAGAIN ends the batch; ICMP errors (ECONNREFUSED ...) are left to the timers. */
            if (errno == EINTR)
                continue;
            return;
        }
        if ((size_t)n < RADIUS_HEADER_LEN || (size_t)n > RADIUS_MAX_PACKET) {
            c->stats.dropped_malformed++;
            continue;
        }
        struct radius_pending *p = s->by_id[buf[1]];
        if (!p || p->failed) {
            c->stats.dropped_identifier++;
            continue;
        }
        const struct config_aaa_server *srv = &c->group->servers[p->server];
        if (!source_matches(&from, srv, p->accounting)) {
            c->stats.dropped_source++;
            continue;
        }
        switch (radius_response_verify(buf, (size_t)n, p->req.code, p->auth, srv->secret.data, srv->secret.len,
                                       c->group->require_message_authenticator)) {
        case RADIUS_OK:
            break;
        case RADIUS_BAD_AUTHENTICATOR:
            c->stats.dropped_authenticator++;
            continue;
        default:
            c->stats.dropped_malformed++;
            continue;
        }
        struct radius_response resp = {
            .packet = buf,
            .len = (size_t)radius_packet_check(buf, (size_t)n),
            .server = srv,
        };
        memcpy(resp.request_auth, p->auth, RADIUS_AUTH_LEN);
        /* The server answered: it is alive again, whatever an earlier request concluded. */
        c->dead_until[p->server][p->accounting] = 0;
        pending_deliver(p, &resp, 0);
        OPENSSL_cleanse(buf, sizeof(buf));
    }
}

/* ---- pending requests ----------------------------------------------------------- */

static void pending_free(struct radius_pending *p)
{
    struct radius_client *c = p->client;
    id_release(p);
    sd_event_source_disable_unref(p->timer);
    if (p->prev)
        p->prev->next = p->next;
    else
        c->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    OPENSSL_cleanse(p, sizeof(*p));
    free(p);
}

/* Runs the callback once, then frees the request: the handle dies with it. */
static void pending_deliver(struct radius_pending *p, const struct radius_response *resp, int error)
{
    radius_callback_t cb = p->callback;
    void *userdata = p->userdata;
    char reason[sizeof(p->reason)];

    memcpy(reason, p->reason, sizeof(reason));
    pending_free(p);
    cb(resp, error, error < 0 ? reason : NULL, userdata);
}

static int arm_timer(struct radius_pending *p, uint64_t usec)
{
    int r = sd_event_source_set_time(p->timer, usec);
    if (r >= 0)
        r = sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
    return r;
}

/* The datagram goes out again unchanged; a lost one is the timer's business. */
static void transmit(struct radius_pending *p)
{
    struct sockaddr_storage ss;
    socklen_t len;
    server_sockaddr(&p->client->group->servers[p->server], p->accounting, &ss, &len);
    p->tries++;
    if (sendto(p->socket->fd, p->packet, p->len, 0, (struct sockaddr *)&ss, len) < 0)
        p->send_error = errno;
}

static void fail_later(struct radius_pending *p, int error, const char *reason)
{
    p->error = error;
    snprintf(p->reason, sizeof(p->reason), "%s", reason);
    p->failed = true;
    id_release(p);
    /* Fires at once on the next loop iteration: the callback never runs inside radius_send. */
    (void)arm_timer(p, 1);
}

/* The first server at or after `from` that is not dead; n_servers when none. */
static size_t next_alive_server(const struct radius_pending *p, size_t from)
{
    const struct radius_client *c = p->client;
    uint64_t now = now_usec(c);
    for (size_t i = from; i < c->group->n_servers; i++)
        if (c->dead_until[i][p->accounting] <= now)
            return i;
    return c->group->n_servers;
}

/* Seals the request for server `index` and sends the first try. */
static int start_on_server(struct radius_pending *p, size_t index)
{
    struct radius_client *c = p->client;
    const struct config_aaa_server *srv = &c->group->servers[index];
    int r;

    id_release(p);
    p->server = index;
    p->tries = 0;
    p->send_error = 0;
    r = id_acquire(p, srv->address.family);
    if (r < 0)
        return r;
    /* A fresh Request Authenticator for each server (RFC 5080 2.2.1 allows a
     * new identifier and authenticator when the server changes). */
    if (p->req.code == RADIUS_ACCESS_REQUEST && RAND_bytes(p->auth, RADIUS_AUTH_LEN) != 1)
        return -EIO;
    r = radius_request_seal(&p->req, p->id, p->auth, srv->secret.data, srv->secret.len, p->packet,
                            sizeof(p->packet));
    if (r < 0)
        return r;
    p->len = (size_t)r;
    transmit(p);
    return arm_timer(p, now_usec(c) + (uint64_t)c->group->timeout_ms * USEC_PER_MSEC);
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
    (void)usec;
    struct radius_pending *p = userdata;
    struct radius_client *c = p->client;
    const struct config_aaa_group *g = c->group;
    char name[INET6_ADDRSTRLEN + 16];
    (void)source;

    if (p->failed) {
        pending_deliver(p, NULL, p->error);
        return 0;
    }
    if (p->tries <= g->retries) {
        c->stats.retransmissions++;
        transmit(p);
        if (arm_timer(p, now_usec(c) + (uint64_t)g->timeout_ms * USEC_PER_MSEC) < 0)
            pending_deliver(p, NULL, -EIO);
        return 0;
    }

    /* This server had its chance: skip it for dead-time, try the next. */
    c->stats.timeouts++;
    if (g->dead_time > 0)
        c->dead_until[p->server][p->accounting] = now_usec(c) + (uint64_t)g->dead_time * USEC_PER_SEC;
    server_name(&g->servers[p->server], p->accounting, name, sizeof(name));
    if (p->send_error)
        snprintf(p->reason, sizeof(p->reason), "timeout: no answer from %s after %u tries (send: %s)", name,
                 p->tries, strerror(p->send_error));
    else
        snprintf(p->reason, sizeof(p->reason), "timeout: no answer from %s after %u tries", name, p->tries);

    for (size_t next = next_alive_server(p, p->server + 1); next < g->n_servers;
         next = next_alive_server(p, next + 1))
        if (start_on_server(p, next) >= 0)
            return 0;
    if (g->n_servers > 1) {
        size_t n = strlen(p->reason);
        snprintf(p->reason + n, sizeof(p->reason) - n, "; no other server of group '%s' left", g->name);
    }
    pending_deliver(p, NULL, -ETIMEDOUT);
    return 0;
}

/* ---- public ----------------------------------------------------------------------- */

int radius_client_new(sd_event *event, const struct config_aaa_group *group, struct radius_client **ret)
{
    if (!event || !group || group->n_servers == 0 || !ret)
        return -EINVAL;
    struct radius_client *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->dead_until = calloc(group->n_servers, sizeof(*c->dead_until));
    if (!c->dead_until) {
        free(c);
        return -ENOMEM;
    }
    c->event = sd_event_ref(event);
    c->group = group;
    *ret = c;
    return 0;
}

void radius_client_free(struct radius_client *c)
{
    if (!c)
        return;
    while (c->pending)
        pending_free(c->pending);
    for (size_t i = 0; i < c->n_sockets; i++)
        socket_free(c->sockets[i]);
    free(c->dead_until);
    sd_event_unref(c->event);
    free(c);
}

static int add_nas_attributes(const struct config_aaa_group *g, struct radius_request *req)
{
    int r = 0;
    if (g->nas_identifier)
        r = radius_request_add_string(req, RADIUS_NAS_IDENTIFIER, g->nas_identifier);
    if (r >= 0 && g->has_nas_ip)
        r = g->nas_ip.family == AF_INET ? radius_request_add_ipv4(req, RADIUS_NAS_IP_ADDRESS, g->nas_ip.in)
                                        : radius_request_add(req, RADIUS_NAS_IPV6_ADDRESS, &g->nas_ip.in6, 16);
    return r;
}

int radius_send(struct radius_client *c, const struct radius_request *req, radius_callback_t callback,
                void *userdata, struct radius_pending **handle)
{
    int r;

    if (handle)
        *handle = NULL;
    if (!c || !req || !callback ||
        (req->code != RADIUS_ACCESS_REQUEST && req->code != RADIUS_ACCOUNTING_REQUEST))
        return -EINVAL;
    struct radius_pending *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->client = c;
    p->req = *req;
    p->callback = callback;
    p->userdata = userdata;
    p->accounting = req->code == RADIUS_ACCOUNTING_REQUEST;
    p->next = c->pending;
    if (c->pending)
        c->pending->prev = p;
    c->pending = p;

    r = add_nas_attributes(c->group, &p->req);
    if (r >= 0)
        r = sd_event_add_time(c->event, &p->timer, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_timer, p);
    if (r < 0)
        goto fail;

    size_t first = next_alive_server(p, 0);
    if (first == c->group->n_servers) {
        char reason[160];
        snprintf(reason, sizeof(reason), "all servers of group '%s' are dead", c->group->name);
        fail_later(p, -EHOSTDOWN, reason);
    } else {
        r = start_on_server(p, first);
        if (r < 0)
            goto fail;
    }
    c->stats.requests++;
    if (handle)
        *handle = p;
    return 0;
fail:
    pending_free(p);
    return r;
}

void radius_cancel(struct radius_pending *p)
{
    if (p)
        pending_free(p);
}

const struct radius_client_stats *radius_client_get_stats(const struct radius_client *c)
{
    return &c->stats;
}

bool radius_client_server_is_dead(const struct radius_client *c, size_t index, bool accounting)
{
    if (!c || index >= c->group->n_servers)
        return false;
    return c->dead_until[index][accounting] > now_usec(c);
}

/* ---- response accessors ------------------------------------------------------------ */

uint8_t radius_response_code(const struct radius_response *resp)
{
    return resp->packet[0];
}

int radius_response_find(const struct radius_response *resp, uint8_t type, unsigned index, const uint8_t **value,
                         size_t *len)
{
    return radius_packet_find(resp->packet, resp->len, type, index, value, len);
}

size_t radius_response_reply_message(const struct radius_response *resp, char *buf, size_t size)
{
    const uint8_t *v;
    size_t vlen, out = 0;

    if (!buf || size == 0)
        return 0;
    for (unsigned i = 0; radius_response_find(resp, RADIUS_REPLY_MESSAGE, i, &v, &vlen) == 1; i++) {
        if (i > 0 && out + 1 < size)
            buf[out++] = '\n';
        for (size_t k = 0; k < vlen && out + 1 < size; k++)
            /* It goes to the log: no control characters; UTF-8 survives. */
            buf[out++] = (v[k] >= 0x20 && v[k] != 0x7f) || v[k] == '\t' ? (char)v[k] : '?';
    }
    buf[out] = '\0';
    return out;
}

int radius_response_u32(const struct radius_response *resp, uint8_t type, uint32_t *ret)
{
    const uint8_t *v;
    size_t len;
    int r = radius_response_find(resp, type, 0, &v, &len);
    if (r <= 0)
        return r;
    if (len != 4)
        return -EBADMSG;
    *ret = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
    return 1;
}

int radius_response_ipv4(const struct radius_response *resp, uint8_t type, struct in_addr *ret)
{
    const uint8_t *v;
    size_t len;
    int r = radius_response_find(resp, type, 0, &v, &len);
    if (r <= 0)
        return r;
    if (len != 4)
        return -EBADMSG;
    memcpy(&ret->s_addr, v, 4);
    return 1;
}

int radius_response_eap(const struct radius_response *resp, uint8_t *buf, size_t size)
{
    const uint8_t *v;
    size_t vlen, out = 0;

    for (unsigned i = 0; radius_response_find(resp, RADIUS_EAP_MESSAGE, i, &v, &vlen) == 1; i++) {
        if (vlen > size - out)
            return -E2BIG;
        memcpy(buf + out, v, vlen);
        out += vlen;
    }
    if (out == 0)
        return 0;
    /* Code, identifier, 16-bit length: the pieces must add up to exactly one packet. */
    if (out < 4 || ((size_t)buf[2] << 8 | buf[3]) != out)
        return -EBADMSG;
    return (int)out;
}

int radius_response_mppe_key(const struct radius_response *resp, uint8_t vendor_type, uint8_t *key, size_t key_max)
{
    const uint8_t *v;
    size_t len;
    int r = radius_packet_find_vendor(resp->packet, resp->len, RADIUS_VENDOR_MICROSOFT, vendor_type, 0, &v, &len);
    if (r <= 0)
        return r;
    return radius_mppe_key_decrypt(v, len, resp->request_auth, resp->server->secret.data, resp->server->secret.len,
                                   key, key_max);
}
