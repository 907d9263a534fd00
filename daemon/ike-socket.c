/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKE UDP sockets (see ike-socket.h): opening them from the `listen`
 * entries, receiving with the local address, the NAT-T framing of RFC 3948,
 * sending from the right address and port, and reconciling on reload.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <linux/xfrm.h>

#include "ike-receive-queue.h"
#include "ike-socket.h"

/* Datagrams read per socket per wakeup, into the receive queue
 * (ike-receive-queue.h): reading is a copy, much cheaper than answering, so
 * the kernel's queue empties faster than the loop answers and an overload
 * is shed in our queue (the oldest waiting IKE_SA_INIT), never by the
 * kernel dropping an IKE_AUTH. Bounded, so a flood yields to the rest of
 * the loop; epoll is level-triggered, the rest is read on the next
 * iteration. */
#define IKE_SOCKET_RECEIVE_BUDGET 512
/* Datagrams per recvmmsg() call. */
#define IKE_SOCKET_RECEIVE_BATCH 16
/* Messages handed to the protocol code per loop turn (from a socket's
 * wakeup, or from the drain source when the sockets are quiet). */
#define IKE_SOCKET_DISPATCH_BUDGET 64
/* Receive buffer asked for (the kernel doubles it for its bookkeeping). */
#define IKE_SOCKET_RCVBUF (2 * 1024 * 1024)

/* The receive buffer holds the largest IKE message plus its marker. */
#define IKE_SOCKET_BUFFER_SIZE (IKE_SOCKET_MAX_MESSAGE + IKE_SOCKET_NON_ESP_MARKER_LEN)

struct ike_socket {
    struct ike_socket_set *set;
    union ike_sockaddr bound;       /* address (maybe wildcard) and port */
    bool natt;
    bool wildcard;
    int fd;
    sd_event_source *source;
};

struct ike_socket_set {
    sd_event *event;
    ike_packet_handler_t handler;
    void *userdata;
    struct ike_socket **sockets;
    size_t n_sockets;
    struct ike_socket_stats stats;
    bool in_handler;                /* update/free refused while set */
    struct ike_receive_queue *queue;    /* read, not yet handed to the handler */
    sd_event_source *drain;             /* hands out the queue when the sockets are quiet */
    uint8_t buffer[IKE_SOCKET_RECEIVE_BATCH][IKE_SOCKET_BUFFER_SIZE];
};

/* ------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------ */

static socklen_t sockaddr_len(const union ike_sockaddr *a)
{
    return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

uint16_t ike_sockaddr_port(const union ike_sockaddr *addr)
{
    switch (addr ? addr->sa.sa_family : AF_UNSPEC) {
    case AF_INET:
        return ntohs(addr->in.sin_port);
    case AF_INET6:
        return ntohs(addr->in6.sin6_port);
    default:
        return 0;
    }
}

static bool sockaddr_is_wildcard(const union ike_sockaddr *a)
{
    if (a->sa.sa_family == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&a->in6.sin6_addr);
    return a->in.sin_addr.s_addr == htonl(INADDR_ANY);
}

static bool sockaddr_same_address(const union ike_sockaddr *a, const union ike_sockaddr *b)
{
    if (a->sa.sa_family != b->sa.sa_family)
        return false;
    if (a->sa.sa_family == AF_INET6)
        return IN6_ARE_ADDR_EQUAL(&a->in6.sin6_addr, &b->in6.sin6_addr);
    return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

bool ike_sockaddr_equal(const union ike_sockaddr *a, const union ike_sockaddr *b)
{
    if (!sockaddr_same_address(a, b) || ike_sockaddr_port(a) != ike_sockaddr_port(b))
        return false;
    return a->sa.sa_family != AF_INET6 || a->in6.sin6_scope_id == b->in6.sin6_scope_id;
}

const char *ike_sockaddr_to_string(const union ike_sockaddr *addr, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN];

    if (!buf || len == 0)
        return buf;
    switch (addr ? addr->sa.sa_family : AF_UNSPEC) {
    case AF_INET:
        inet_ntop(AF_INET, &addr->in.sin_addr, host, sizeof(host));
        snprintf(buf, len, "%s:%u", host, ike_sockaddr_port(addr));
        break;
    case AF_INET6:
        inet_ntop(AF_INET6, &addr->in6.sin6_addr, host, sizeof(host));
        if (addr->in6.sin6_scope_id)
            snprintf(buf, len, "[%s%%%u]:%u", host, addr->in6.sin6_scope_id, ike_sockaddr_port(addr));
        else
            snprintf(buf, len, "[%s]:%u", host, ike_sockaddr_port(addr));
        break;
    default:
        snprintf(buf, len, "(no address)");
        break;
    }
    return buf;
}

static void sockaddr_from_config(union ike_sockaddr *out, const struct config_address *addr, uint16_t port)
{
    memset(out, 0, sizeof(*out));
    if (addr->family == AF_INET6) {
        out->in6.sin6_family = AF_INET6;
        out->in6.sin6_addr = addr->in6;
        out->in6.sin6_port = htons(port);
    } else {
        out->in.sin_family = AF_INET;
        out->in.sin_addr = addr->in;
        out->in.sin_port = htons(port);
    }
}

/* ------------------------------------------------------------------------
 * Opening and closing one socket
 * ------------------------------------------------------------------------ */

static struct ike_socket *socket_close(struct ike_socket *s)
{
    if (!s)
        return NULL;
    sd_event_source_disable_unref(s->source);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
    return NULL;
}

/* Per-socket XFRM policies that allow everything, in and out: they take
 * precedence over the global SPD, so IKE to and from a client never falls
 * under the client's own policies (a pool, or 0.0.0.0/0 when tunnelling
 * everything) and leaves in clear. Needs CAP_NET_ADMIN. */
static int set_bypass_policies(int fd, int family)
{
    int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
    int name = family == AF_INET6 ? IPV6_XFRM_POLICY : IP_XFRM_POLICY;
    static const uint8_t dirs[] = { XFRM_POLICY_IN, XFRM_POLICY_OUT };

    for (size_t i = 0; i < sizeof(dirs); i++) {
        struct xfrm_userpolicy_info policy;

        memset(&policy, 0, sizeof(policy));
        policy.sel.family = (uint16_t)family;
        policy.lft.soft_byte_limit = XFRM_INF;
        policy.lft.hard_byte_limit = XFRM_INF;
        policy.lft.soft_packet_limit = XFRM_INF;
        policy.lft.hard_packet_limit = XFRM_INF;
        policy.dir = dirs[i];
        policy.action = XFRM_POLICY_ALLOW;
        policy.share = XFRM_SHARE_ANY;
        if (setsockopt(fd, level, name, &policy, sizeof(policy)) < 0)
            return -errno;
    }
    return 0;
}

static int fail(char *err, size_t err_len, int r, const char *what, const union ike_sockaddr *addr)
{
    char buf[IKE_SOCKADDR_STRING_MAX];

    if (err && err_len > 0)
        snprintf(err, err_len, "cannot %s %s: %s", what,
                 ike_sockaddr_to_string(addr, buf, sizeof(buf)), strerror(-r));
    return r;
}

static int socket_open(struct ike_socket_set *set, const union ike_sockaddr *bound, bool natt,
                       struct ike_socket **ret, char *err, size_t err_len)
{
    int family = bound->sa.sa_family;
    static const int one = 1;
    struct ike_socket *s;
    int r;

    s = calloc(1, sizeof(*s));
    if (!s)
        return fail(err, err_len, -ENOMEM, "allocate a socket for", bound);
    s->set = set;
    s->bound = *bound;
    s->natt = natt;
    s->wildcard = sockaddr_is_wildcard(bound);
    s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (s->fd < 0) {
        r = fail(err, err_len, -errno, "open a UDP socket for", bound);
        goto error;
    }
    /* A reconnect storm (every client of a rebooted concentrator at once)
     * comes in faster than the loop takes it: each datagram dropped at a
     * full buffer costs its client a retransmission, seconds later, and
     * past the half-open timeout its tunnel (tests/bench/README.md).
     * SO_RCVBUFFORCE may exceed net.core.rmem_max (we have CAP_NET_ADMIN);
     * SO_RCVBUF within it is the fallback. Neither is required. */
    int rcvbuf = IKE_SOCKET_RCVBUF;
    if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
        (void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    /* Several sockets share a port: the wildcard and specific addresses of
     * the configuration, and the old and new socket during a reload. */
    if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
        r = fail(err, err_len, -errno, "set SO_REUSEADDR on", bound);
        goto error;
    }
    if (family == AF_INET6) {
        /* The IPv4 socket of the same port serves IPv4; mapped addresses
         * would make local addresses ambiguous. */
        if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
            setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0) {
            r = fail(err, err_len, -errno, "set IPv6 socket options on", bound);
            goto error;
        }
    } else if (setsockopt(s->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
        r = fail(err, err_len, -errno, "set IP_PKTINFO on", bound);
        goto error;
    }
    r = set_bypass_policies(s->fd, family);
    if (r < 0) {
        fail(err, err_len, r, "set the IKE bypass policies on", bound);
        goto error;
    }
    /* Before bind, so that no ESP datagram reaches the queue unencapsulated. */
    if (natt) {
        int encap = UDP_ENCAP_ESPINUDP;
        if (setsockopt(s->fd, IPPROTO_UDP, UDP_ENCAP, &encap, sizeof(encap)) < 0) {
            r = fail(err, err_len, -errno, "enable ESP-in-UDP decapsulation on", bound);
            goto error;
        }
    }
    if (bind(s->fd, &bound->sa, sockaddr_len(bound)) < 0) {
        r = fail(err, err_len, -errno, "bind", bound);
        goto error;
    }
    *ret = s;
    return 0;

error:
    socket_close(s);
    return r;
}

/* ------------------------------------------------------------------------
 * Receiving
 * ------------------------------------------------------------------------ */

/* Fills the local address from the IP_PKTINFO / IPV6_PKTINFO message;
 * false when it is missing. */
static bool local_from_cmsg(struct msghdr *msg, const struct ike_socket *s, struct ike_packet *pkt)
{
    pkt->local = s->bound;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo)) && s->bound.sa.sa_family == AF_INET) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            pkt->local.in.sin_addr = info.ipi_addr;
            pkt->ifindex = info.ipi_ifindex;
            return true;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo)) && s->bound.sa.sa_family == AF_INET6) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            pkt->local.in6.sin6_addr = info.ipi6_addr;
            pkt->ifindex = (int)info.ipi6_ifindex;
            /* A link-local address means nothing without its interface. */
            if (IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr))
                pkt->local.in6.sin6_scope_id = info.ipi6_ifindex;
            return true;
        }
    }
    return false;
}

/* Applies the NAT-T framing (RFC 3948 2.2) and the minimum size. Returns
 * true when pkt->data/len is an IKE message to deliver. */
static bool classify(struct ike_socket_set *set, const struct ike_socket *s, struct ike_packet *pkt)
{
    static const uint8_t marker[IKE_SOCKET_NON_ESP_MARKER_LEN];

    if (s->natt) {
        if (pkt->len == 1 && pkt->data[0] == 0xff) {
            set->stats.dropped_keepalive++;
            return false;
        }
        if (pkt->len < IKE_SOCKET_NON_ESP_MARKER_LEN) {
            set->stats.dropped_malformed++;
            return false;
        }
        if (memcmp(pkt->data, marker, sizeof(marker)) != 0) {
            /* A non-zero first word is an ESP SPI: the kernel decapsulates
             * those on this socket, so this one had no SA or came early. */
            set->stats.dropped_esp++;
            return false;
        }
        pkt->data += IKE_SOCKET_NON_ESP_MARKER_LEN;
        pkt->len -= IKE_SOCKET_NON_ESP_MARKER_LEN;
        pkt->natt = true;
    }
    if (pkt->len < IKE_SOCKET_MIN_MESSAGE) {
        set->stats.dropped_malformed++;
        return false;
    }
    return true;
}

/* One datagram recvmmsg() filled: into the receive queue, or dropped and
 * counted. */
static void queue_one(struct ike_socket *s, struct mmsghdr *m, const union ike_sockaddr *remote, uint8_t *data)
{
    struct ike_socket_set *set = s->set;
    struct ike_packet pkt;

    if (m->msg_hdr.msg_flags & MSG_TRUNC) {
        set->stats.dropped_truncated++;
        return;
    }
    if (remote->sa.sa_family != s->bound.sa.sa_family) {
        set->stats.dropped_malformed++;
        return;
    }
    memset(&pkt, 0, sizeof(pkt));
    pkt.data = data;
    pkt.len = m->msg_len;
    pkt.remote = *remote;
    if (!local_from_cmsg(&m->msg_hdr, s, &pkt) && s->wildcard) {
        /* Without the destination we could not answer from it. */
        set->stats.receive_errors++;
        return;
    }
    if (!classify(set, s, &pkt))
        return;
    int r = ike_receive_queue_push(set->queue, &pkt);
    if (r == -ENOMEM)
        set->stats.receive_errors++;
}

/* Reads up to `max` datagrams in one recvmmsg() into the queue. Returns
 * the number read, 0 when the socket is empty, negative errno on error. */
static int receive_batch(struct ike_socket *s, unsigned max)
{
    struct ike_socket_set *set = s->set;
    union ike_sockaddr remote[IKE_SOCKET_RECEIVE_BATCH];
    union {
        struct cmsghdr align;
        uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
    } control[IKE_SOCKET_RECEIVE_BATCH];
    struct iovec iov[IKE_SOCKET_RECEIVE_BATCH];
    struct mmsghdr msgs[IKE_SOCKET_RECEIVE_BATCH];
    int n;

    if (max > IKE_SOCKET_RECEIVE_BATCH)
        max = IKE_SOCKET_RECEIVE_BATCH;
    memset(remote, 0, sizeof(remote[0]) * max);
    memset(msgs, 0, sizeof(msgs[0]) * max);
    for (unsigned i = 0; i < max; i++) {
        iov[i] = (struct iovec){ .iov_base = set->buffer[i], .iov_len = sizeof(set->buffer[i]) };
        msgs[i].msg_hdr = (struct msghdr){
            .msg_name = &remote[i], .msg_namelen = sizeof(remote[i]),
            .msg_iov = &iov[i], .msg_iovlen = 1,
            .msg_control = &control[i], .msg_controllen = sizeof(control[i]),
        };
    }
    n = recvmmsg(s->fd, msgs, max, MSG_DONTWAIT, NULL);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == EINTR)
            return 1;
        set->stats.receive_errors++;
        return -errno;
    }
    for (int i = 0; i < n; i++)
        queue_one(s, &msgs[i], &remote[i], set->buffer[i]);
    return n;
}

/* Hands up to `budget` queued messages to the handler: those for existing
 * IKE SAs first (ike-receive-queue.h). Leaves the drain source on while
 * anything is left. */
static void dispatch(struct ike_socket_set *set, unsigned budget)
{
    struct ike_packet pkt;

    for (unsigned i = 0; i < budget && ike_receive_queue_pop(set->queue, &pkt); i++) {
        set->stats.received++;
        set->in_handler = true;
        set->handler(&pkt, set->userdata);
        set->in_handler = false;
    }
    if (set->drain)
        (void)sd_event_source_set_enabled(set->drain,
                                          ike_receive_queue_length(set->queue) ? SD_EVENT_ON : SD_EVENT_OFF);
}

static int on_readable(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
    struct ike_socket *s = userdata;
    (void)source; (void)fd; (void)revents;

    for (unsigned n = 0; n < IKE_SOCKET_RECEIVE_BUDGET;) {
        int r = receive_batch(s, IKE_SOCKET_RECEIVE_BUDGET - n);
        /* An error (a queued ICMP error, say) ends this round; the socket
         * stays registered and the next datagram wakes us again. */
        if (r <= 0)
            break;
        n += (unsigned)r;
    }
    dispatch(s->set, IKE_SOCKET_DISPATCH_BUDGET);
    return 0;
}

/* Below the sockets' priority: it runs when no socket has anything to
 * read, and hands out what the last reads queued. */
static int on_drain(sd_event_source *source, void *userdata)
{
    (void)source;
    dispatch(userdata, IKE_SOCKET_DISPATCH_BUDGET);
    return 0;
}

/* ------------------------------------------------------------------------
 * Sending
 * ------------------------------------------------------------------------ */

/* The socket bound to exactly `local`, else the wildcard socket of its port. */
static struct ike_socket *find_socket(const struct ike_socket_set *set, const union ike_sockaddr *local)
{
    struct ike_socket *wildcard = NULL;
    uint16_t port = ike_sockaddr_port(local);

    for (size_t i = 0; i < set->n_sockets; i++) {
        struct ike_socket *s = set->sockets[i];
        if (s->bound.sa.sa_family != local->sa.sa_family || ike_sockaddr_port(&s->bound) != port)
            continue;
        if (sockaddr_same_address(&s->bound, local))
            return s;
        if (s->wildcard && !wildcard)
            wildcard = s;
    }
    return wildcard;
}

int ike_socket_send(struct ike_socket_set *set, const union ike_sockaddr *local,
                    const union ike_sockaddr *remote, const void *data, size_t len)
{
    static const uint8_t marker[IKE_SOCKET_NON_ESP_MARKER_LEN];
    union {
        struct cmsghdr align;
        uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    } control;
    struct iovec iov[2];
    struct msghdr msg;
    struct ike_socket *s;
    size_t n_iov = 0;

    if (!set || !local || !remote || (!data && len > 0))
        return -EINVAL;
    if (len == 0 || len > IKE_SOCKET_MAX_MESSAGE)
        return -EMSGSIZE;
    if ((local->sa.sa_family != AF_INET && local->sa.sa_family != AF_INET6) ||
        remote->sa.sa_family != local->sa.sa_family)
        return -EAFNOSUPPORT;
    s = find_socket(set, local);
    if (!s)
        return -EADDRNOTAVAIL;

    if (s->natt)
        iov[n_iov++] = (struct iovec){ .iov_base = (void *)marker, .iov_len = sizeof(marker) };
    iov[n_iov++] = (struct iovec){ .iov_base = (void *)data, .iov_len = len };

    memset(&msg, 0, sizeof(msg));
    memset(&control, 0, sizeof(control));
    msg.msg_name = (void *)&remote->sa;
    msg.msg_namelen = sockaddr_len(remote);
    msg.msg_iov = iov;
    msg.msg_iovlen = n_iov;

    /* A wildcard socket must be told the source address, or the kernel
     * picks one by route and the peer sees a reply from a stranger. */
    if (s->wildcard && !sockaddr_is_wildcard(local)) {
        struct cmsghdr *c;
        msg.msg_control = &control;
        if (local->sa.sa_family == AF_INET6) {
            struct in6_pktinfo info = { .ipi6_addr = local->in6.sin6_addr,
                                        .ipi6_ifindex = local->in6.sin6_scope_id };
            msg.msg_controllen = CMSG_SPACE(sizeof(info));
            c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = IPPROTO_IPV6;
            c->cmsg_type = IPV6_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(info));
            memcpy(CMSG_DATA(c), &info, sizeof(info));
        } else {
            struct in_pktinfo info = { .ipi_spec_dst = local->in.sin_addr };
            msg.msg_controllen = CMSG_SPACE(sizeof(info));
            c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = IPPROTO_IP;
            c->cmsg_type = IP_PKTINFO;
            c->cmsg_len = CMSG_LEN(sizeof(info));
            memcpy(CMSG_DATA(c), &info, sizeof(info));
        }
    }

    for (;;) {
        if (sendmsg(s->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
            set->stats.sent++;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
            set->stats.send_dropped++;
            return -EAGAIN;
        }
        set->stats.send_errors++;
        return -errno;
    }
}

/* ------------------------------------------------------------------------
 * The set
 * ------------------------------------------------------------------------ */

int ike_socket_set_new(struct ike_socket_set **ret, sd_event *event,
                       ike_packet_handler_t handler, void *userdata)
{
    struct ike_socket_set *set;

    if (!ret || !event || !handler)
        return -EINVAL;
    set = calloc(1, sizeof(*set));
    if (!set)
        return -ENOMEM;
    set->event = sd_event_ref(event);
    set->handler = handler;
    set->userdata = userdata;
    int r = ike_receive_queue_new(&set->queue, IKE_RECEIVE_QUEUE_NEW_MAX, IKE_RECEIVE_QUEUE_EXISTING_MAX,
                                  IKE_RECEIVE_QUEUE_BYTES_MAX);
    if (r >= 0)
        r = sd_event_add_defer(event, &set->drain, on_drain, set);
    if (r >= 0)
        r = sd_event_source_set_priority(set->drain, SD_EVENT_PRIORITY_NORMAL + 1);
    if (r >= 0)
        r = sd_event_source_set_enabled(set->drain, SD_EVENT_OFF);
    if (r < 0) {
        ike_socket_set_free(set);
        return r;
    }
    (void)sd_event_source_set_description(set->drain, "ike-receive-queue");
    *ret = set;
    return 0;
}

struct ike_socket_set *ike_socket_set_free(struct ike_socket_set *set)
{
    if (!set || set->in_handler)
        return NULL;
    for (size_t i = 0; i < set->n_sockets; i++)
        socket_close(set->sockets[i]);
    free(set->sockets);
    sd_event_source_disable_unref(set->drain);
    ike_receive_queue_free(set->queue);
    sd_event_unref(set->event);
    free(set);
    return NULL;
}

static ssize_t find_kept(struct ike_socket **sockets, size_t n, const union ike_sockaddr *bound, bool natt)
{
    for (size_t i = 0; i < n; i++)
        if (sockets[i] && sockets[i]->natt == natt && ike_sockaddr_equal(&sockets[i]->bound, bound))
            return (ssize_t)i;
    return -1;
}

int ike_socket_set_update(struct ike_socket_set *set, const struct config_listen *listen, size_t n,
                          char *err, size_t err_len)
{
    struct ike_socket **next = NULL, **old = NULL;
    bool *is_new = NULL;
    size_t n_next = 0;
    int r;

    if (err && err_len > 0)
        err[0] = '\0';
    if (!set || (n > 0 && !listen))
        return -EINVAL;
    if (set->in_handler)
        return -EBUSY;
    if (n > SIZE_MAX / 2)
        return -E2BIG;

    if (n > 0) {
        next = calloc(2 * n, sizeof(*next));
        is_new = calloc(2 * n, sizeof(*is_new));
        if (!next || !is_new) {
            r = -ENOMEM;
            if (err && err_len > 0)
                snprintf(err, err_len, "cannot allocate the IKE socket list: %s", strerror(ENOMEM));
            goto error;
        }
    }
    /* Old sockets still wanted move from `old` to `next`. */
    if (set->n_sockets > 0) {
        old = calloc(set->n_sockets, sizeof(*old));
        if (!old) {
            r = -ENOMEM;
            if (err && err_len > 0)
                snprintf(err, err_len, "cannot allocate the IKE socket list: %s", strerror(ENOMEM));
            goto error;
        }
        memcpy(old, set->sockets, set->n_sockets * sizeof(*old));
    }

    for (size_t i = 0; i < n; i++) {
        const struct config_listen *l = &listen[i];
        const struct { uint16_t port; bool natt; } roles[] = {
            { l->port, false }, { l->natt_port, true },
        };

        if (l->address.family != AF_INET && l->address.family != AF_INET6) {
            r = -EAFNOSUPPORT;
            if (err && err_len > 0)
                snprintf(err, err_len, "listen entry %zu has no IPv4 or IPv6 address", i + 1);
            goto error;
        }
        for (size_t k = 0; k < 2; k++) {
            union ike_sockaddr bound;
            ssize_t j;

            sockaddr_from_config(&bound, &l->address, roles[k].port);
            /* The same endpoint twice in the list: one socket. */
            if (find_kept(next, n_next, &bound, roles[k].natt) >= 0)
                continue;
            j = find_kept(old, set->n_sockets, &bound, roles[k].natt);
            if (j >= 0) {
                next[n_next++] = old[j];
                old[j] = NULL;
                continue;
            }
            r = socket_open(set, &bound, roles[k].natt, &next[n_next], err, err_len);
            if (r < 0)
                goto error;
            is_new[n_next++] = true;
        }
    }

    /* Register the new sockets last, so that failure leaves no trace. */
    for (size_t i = 0; i < n_next; i++) {
        if (!is_new[i])
            continue;
        r = sd_event_add_io(set->event, &next[i]->source, next[i]->fd, EPOLLIN, on_readable, next[i]);
        if (r < 0) {
            fail(err, err_len, r, "watch the socket of", &next[i]->bound);
            goto error;
        }
        (void)sd_event_source_set_description(next[i]->source, next[i]->natt ? "ike-natt" : "ike");
    }

    for (size_t i = 0; i < set->n_sockets; i++)
        socket_close(old ? old[i] : NULL);
    free(old);
    free(is_new);
    free(set->sockets);
    set->sockets = next;
    set->n_sockets = n_next;
    return (int)n_next;

error:
    for (size_t i = 0; i < n_next; i++)
        if (is_new && is_new[i])
            socket_close(next[i]);
    free(next);
    free(is_new);
    free(old);
    return r;
}

void ike_socket_get_stats(const struct ike_socket_set *set, struct ike_socket_stats *stats)
{
    if (!stats)
        return;
    if (!set) {
        memset(stats, 0, sizeof(*stats));
        return;
    }
    *stats = set->stats;
    struct ike_receive_queue_stats q;
    ike_receive_queue_get_stats(set->queue, &q);
    stats->queued = q.queued;
    stats->queued_peak = q.queued_peak;
    stats->queue_new_replaced = q.new_replaced;
    stats->queue_new_dropped = q.new_dropped;
    stats->queue_existing_dropped = q.existing_dropped;
}

size_t ike_socket_set_list(const struct ike_socket_set *set, struct ike_socket_info *info, size_t max)
{
    if (!set)
        return 0;
    for (size_t i = 0; i < set->n_sockets && i < max; i++) {
        info[i].address = set->sockets[i]->bound;
        info[i].natt = set->sockets[i]->natt;
        info[i].fd = set->sockets[i]->fd;
    }
    return set->n_sockets;
}
