/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKE sockets against the running kernel, inside a private network
 * namespace this program creates (skipped without the privilege for it):
 * delivery with local and remote addresses, the NAT-T marker both ways,
 * keepalives, ESP and short datagrams, the per-wakeup budget, sending from
 * the address that received, the XFRM bypass policies, and reload.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sched.h>
#include <unistd.h>

#include "ike-socket.h"
#include "testing.h"

static sd_event *event;

/* What the handler saw. */
struct received {
    unsigned count;
    uint8_t data[256];
    size_t len;
    uint8_t first[32];              /* the start of the first message delivered */
    struct ike_packet pkt;          /* data pointer not valid afterwards */
    struct ike_socket_set *set;
    bool reply;                     /* answer every message with "reply-" + data */
    int update_result;              /* of an update tried from inside the handler */
    bool try_update;
};

static void on_packet(const struct ike_packet *pkt, void *userdata)
{
    struct received *rx = userdata;

    if (rx->count++ == 0)
        memcpy(rx->first, pkt->data, pkt->len < sizeof(rx->first) ? pkt->len : sizeof(rx->first));
    rx->pkt = *pkt;
    rx->len = pkt->len < sizeof(rx->data) ? pkt->len : sizeof(rx->data);
    memcpy(rx->data, pkt->data, rx->len);
    rx->pkt.data = NULL;
    if (rx->try_update)
        rx->update_result = ike_socket_set_update(rx->set, NULL, 0, NULL, 0);
    if (rx->reply) {
        uint8_t out[300];
        memcpy(out, "reply-", 6);
        memcpy(out + 6, pkt->data, rx->len);
        CHECK_INT_EQ(ike_socket_send(rx->set, &pkt->local, &pkt->remote, out, 6 + rx->len), 0);
    }
}

/* Runs the loop until the handler has seen `count` packets or 2 s pass. */
static void run_until(struct received *rx, unsigned count)
{
    for (int i = 0; i < 200 && rx->count < count; i++)
        if (sd_event_run(event, 10 * 1000) < 0)
            break;
}

/* Runs the loop for a while so that anything queued is processed. */
static void run_idle(void)
{
    for (int i = 0; i < 10; i++)
        sd_event_run(event, 10 * 1000);
}

static union ike_sockaddr sa(const char *addr, uint16_t port)
{
    union ike_sockaddr a;
    memset(&a, 0, sizeof(a));
    if (strchr(addr, ':')) {
        a.in6.sin6_family = AF_INET6;
        a.in6.sin6_port = htons(port);
        CHECK(inet_pton(AF_INET6, addr, &a.in6.sin6_addr) == 1);
    } else {
        a.in.sin_family = AF_INET;
        a.in.sin_port = htons(port);
        CHECK(inet_pton(AF_INET, addr, &a.in.sin_addr) == 1);
    }
    return a;
}

static struct config_listen listen_on(const char *addr, uint16_t port, uint16_t natt_port)
{
    struct config_listen l;
    memset(&l, 0, sizeof(l));
    if (strchr(addr, ':')) {
        l.address.family = AF_INET6;
        CHECK(inet_pton(AF_INET6, addr, &l.address.in6) == 1);
    } else {
        l.address.family = AF_INET;
        CHECK(inet_pton(AF_INET, addr, &l.address.in) == 1);
    }
    l.port = port;
    l.natt_port = natt_port;
    return l;
}

static const char *str(const union ike_sockaddr *a)
{
    static char bufs[4][IKE_SOCKADDR_STRING_MAX];
    static unsigned next;
    char *buf = bufs[next++ % 4];
    return ike_sockaddr_to_string(a, buf, IKE_SOCKADDR_STRING_MAX);
}

/* A plain UDP socket (the peer), bound to addr:port (0 = any port). */
static int peer_socket(const char *addr, uint16_t port)
{
    union ike_sockaddr a = sa(addr, port);
    int fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    CHECK(bind(fd, &a.sa, a.sa.sa_family == AF_INET6 ? sizeof(a.in6) : sizeof(a.in)) == 0);
    return fd;
}

static union ike_sockaddr local_of(int fd)
{
    union ike_sockaddr a;
    socklen_t len = sizeof(a);
    memset(&a, 0, sizeof(a));
    CHECK(getsockname(fd, &a.sa, &len) == 0);
    return a;
}

static ssize_t peer_send(int fd, const char *addr, uint16_t port, const void *data, size_t len)
{
    union ike_sockaddr to = sa(addr, port);
    return sendto(fd, data, len, 0, &to.sa, to.sa.sa_family == AF_INET6 ? sizeof(to.in6) : sizeof(to.in));
}

/* Receives on a plain socket with a timeout; returns the length or -1. */
static ssize_t peer_recv(int fd, void *buf, size_t len, union ike_sockaddr *from, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    socklen_t flen = sizeof(*from);
    if (poll(&p, 1, timeout_ms) != 1)
        return -1;
    memset(from, 0, sizeof(*from));
    return recvfrom(fd, buf, len, MSG_DONTWAIT, &from->sa, &flen);
}

/* An IKE-like message: 28 bytes of header and some body, distinct per tag. */
static size_t ike_message(uint8_t *buf, size_t size, uint8_t tag, size_t len)
{
    CHECK(len <= size);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(tag + i);
    buf[0] = tag | 0x80;    /* a non-zero initiator SPI */
    return len;
}

static struct ike_socket_set *open_set(struct received *rx, const struct config_listen *l, size_t n, int expect)
{
    struct ike_socket_set *set = NULL;
    char err[IKE_SOCKET_ERROR_MAX];
    int r;

    memset(rx, 0, sizeof(*rx));
    CHECK_INT_EQ(ike_socket_set_new(&set, event, on_packet, rx), 0);
    rx->set = set;
    r = ike_socket_set_update(set, l, n, err, sizeof(err));
    if (r != expect)
        printf("#   update: %d (%s)\n", r, err);
    CHECK_INT_EQ(r, expect);
    return set;
}

static struct ike_socket_stats stats_of(struct ike_socket_set *set)
{
    struct ike_socket_stats st;
    ike_socket_get_stats(set, &st);
    return st;
}

/* ------------------------------------------------------------------------ */

static int sockopt(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof(v);
    CHECK(getsockopt(fd, level, name, &v, &len) == 0);
    return v;
}

static void opens_sockets_with_options(void)
{
    struct config_listen l[] = { listen_on("127.0.0.1", 40500, 44500), listen_on("::1", 40500, 44500) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 2, 4);
    struct ike_socket_info info[8];

    CHECK_INT_EQ(ike_socket_set_list(set, info, 8), 4);
    const char *expect[] = { "127.0.0.1:40500", "127.0.0.1:44500", "[::1]:40500", "[::1]:44500" };
    for (size_t i = 0; i < 4; i++) {
        union ike_sockaddr bound = local_of(info[i].fd);
        CHECK_STR_EQ(str(&info[i].address), expect[i]);
        CHECK_STR_EQ(str(&bound), expect[i]);
        CHECK_INT_EQ(info[i].natt, i % 2 == 1);
        CHECK(fcntl(info[i].fd, F_GETFL) & O_NONBLOCK);
        CHECK(fcntl(info[i].fd, F_GETFD) & FD_CLOEXEC);
        CHECK_INT_EQ(sockopt(info[i].fd, SOL_SOCKET, SO_REUSEADDR), 1);
        CHECK_INT_EQ(sockopt(info[i].fd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
        CHECK_INT_EQ(sockopt(info[i].fd, IPPROTO_UDP, UDP_ENCAP), i % 2 == 1 ? UDP_ENCAP_ESPINUDP : 0);
        if (i >= 2)
            CHECK_INT_EQ(sockopt(info[i].fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
    }
    /* Fewer slots than sockets: the count is still the total. */
    CHECK_INT_EQ(ike_socket_set_list(set, info, 1), 4);
    ike_socket_set_free(set);
}

static void delivers_with_addresses(void)
{
    struct config_listen l[] = { listen_on("127.0.0.1", 40510, 44510), listen_on("::1", 40510, 44510) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 2, 4);
    uint8_t msg[100];
    size_t n = ike_message(msg, sizeof(msg), 1, 60);

    int p4 = peer_socket("127.0.0.1", 0), p6 = peer_socket("::1", 0);
    union ike_sockaddr me4 = local_of(p4), me6 = local_of(p6);

    CHECK_INT_EQ(peer_send(p4, "127.0.0.1", 40510, msg, n), (ssize_t)n);
    run_until(&rx, 1);
    CHECK_INT_EQ(rx.count, 1);
    CHECK_INT_EQ(rx.len, n);
    CHECK(memcmp(rx.data, msg, n) == 0);
    CHECK_STR_EQ(str(&rx.pkt.local), "127.0.0.1:40510");
    CHECK(ike_sockaddr_equal(&rx.pkt.remote, &me4));
    CHECK(!rx.pkt.natt);
    CHECK(rx.pkt.ifindex > 0);      /* lo */

    n = ike_message(msg, sizeof(msg), 2, 28);   /* exactly an IKE header */
    CHECK_INT_EQ(peer_send(p6, "::1", 40510, msg, n), (ssize_t)n);
    run_until(&rx, 2);
    CHECK_INT_EQ(rx.count, 2);
    CHECK_INT_EQ(rx.len, 28);
    CHECK(memcmp(rx.data, msg, n) == 0);
    CHECK_STR_EQ(str(&rx.pkt.local), "[::1]:40510");
    CHECK(ike_sockaddr_equal(&rx.pkt.remote, &me6));
    CHECK(!rx.pkt.natt);

    CHECK_INT_EQ(stats_of(set).received, 2);
    close(p4);
    close(p6);
    ike_socket_set_free(set);
}

static void natt_marker_stripped_and_prepended(void)
{
    struct config_listen l[] = { listen_on("127.0.0.1", 40520, 44520), listen_on("::1", 40520, 44520) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 2, 4);
    const char *addrs[] = { "127.0.0.1", "::1" };

    for (unsigned k = 0; k < 2; k++) {
        uint8_t msg[100], framed[104], back[200];
        size_t n = ike_message(msg, sizeof(msg), (uint8_t)(10 + k), 40);
        int p = peer_socket(addrs[k], 0);
        union ike_sockaddr me = local_of(p), from;

        memset(framed, 0, 4);
        memcpy(framed + 4, msg, n);
        CHECK_INT_EQ(peer_send(p, addrs[k], 44520, framed, n + 4), (ssize_t)(n + 4));
        run_until(&rx, k + 1);
        CHECK_INT_EQ(rx.count, k + 1);
        CHECK_INT_EQ(rx.len, n);
        CHECK(memcmp(rx.data, msg, n) == 0);
        CHECK(rx.pkt.natt);
        CHECK_INT_EQ(ike_sockaddr_port(&rx.pkt.local), 44520);
        CHECK(ike_sockaddr_equal(&rx.pkt.remote, &me));

        /* The answer from 4500 carries the marker ... */
        union ike_sockaddr local = rx.pkt.local;
        CHECK_INT_EQ(ike_socket_send(set, &local, &me, msg, n), 0);
        CHECK_INT_EQ(peer_recv(p, back, sizeof(back), &from, 1000), (ssize_t)(n + 4));
        CHECK(memcmp(back, framed, n + 4) == 0);
        CHECK(ike_sockaddr_equal(&from, &local));

        /* ... and from 500 it does not. */
        union ike_sockaddr ike_port = sa(addrs[k], 40520);
        CHECK_INT_EQ(ike_socket_send(set, &ike_port, &me, msg, n), 0);
        CHECK_INT_EQ(peer_recv(p, back, sizeof(back), &from, 1000), (ssize_t)n);
        CHECK(memcmp(back, msg, n) == 0);
        CHECK(ike_sockaddr_equal(&from, &ike_port));
        close(p);
    }
    CHECK_INT_EQ(stats_of(set).sent, 4);
    CHECK_INT_EQ(stats_of(set).received, 2);
    ike_socket_set_free(set);
}

/* The NAT-T socket of the set for `family`. */
static int natt_fd(struct ike_socket_set *set, int family)
{
    struct ike_socket_info info[8];
    size_t n = ike_socket_set_list(set, info, 8);
    for (size_t i = 0; i < n && i < 8; i++)
        if (info[i].natt && info[i].address.sa.sa_family == family)
            return info[i].fd;
    CHECK(!"no NAT-T socket");
    return -1;
}

static void keepalives_and_esp_dropped_on(const char *addr, int family)
{
    struct config_listen l[] = { listen_on(addr, 40530, 44530) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 1, 2);
    int p = peer_socket(addr, 0);
    const uint8_t keepalive = 0xff;
    uint8_t esp[60], msg[40];
    size_t n = ike_message(msg, sizeof(msg), 20, sizeof(msg));

    ike_message(esp, sizeof(esp), 0x31, sizeof(esp));   /* SPI 0xb1323334... */

    /* With ESP-in-UDP on, the kernel eats keepalives and takes ESP with a
     * full header itself; none reaches us. */
    CHECK_INT_EQ(peer_send(p, addr, 44530, &keepalive, 1), 1);
    CHECK_INT_EQ(peer_send(p, addr, 44530, esp, sizeof(esp)), (ssize_t)sizeof(esp));
    /* Eight bytes with a non-zero first word are too short for the kernel to
     * take as ESP: it passes them up, and we drop them as ESP. */
    CHECK_INT_EQ(peer_send(p, addr, 44530, esp, 8), 8);
    run_idle();
    CHECK_INT_EQ(rx.count, 0);
    CHECK_INT_EQ(stats_of(set).dropped_esp, 1);
    CHECK_INT_EQ(stats_of(set).received, 0);

    /* A socket the kernel does not decapsulate on (encapsulation switched off
     * behind the set's back): our own checks must catch both. */
    int off = 0, fd = natt_fd(set, family);
    CHECK(setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &off, sizeof(off)) == 0);
    CHECK_INT_EQ(peer_send(p, addr, 44530, &keepalive, 1), 1);
    CHECK_INT_EQ(peer_send(p, addr, 44530, esp, sizeof(esp)), (ssize_t)sizeof(esp));
    /* A real IKE message after them still arrives. */
    uint8_t framed[44] = { 0 };
    memcpy(framed + 4, msg, n);
    CHECK_INT_EQ(peer_send(p, addr, 44530, framed, sizeof(framed)), (ssize_t)sizeof(framed));
    run_until(&rx, 1);
    run_idle();
    CHECK_INT_EQ(rx.count, 1);
    CHECK_INT_EQ(rx.len, n);
    CHECK(memcmp(rx.data, msg, n) == 0);

    struct ike_socket_stats st = stats_of(set);
    CHECK_INT_EQ(st.dropped_keepalive, 1);
    CHECK_INT_EQ(st.dropped_esp, 2);
    CHECK_INT_EQ(st.dropped_malformed, 0);
    CHECK_INT_EQ(st.received, 1);

    /* 0xFF on the IKE port is no keepalive, just too short. */
    CHECK_INT_EQ(peer_send(p, addr, 40530, &keepalive, 1), 1);
    run_idle();
    CHECK_INT_EQ(stats_of(set).dropped_keepalive, 1);
    CHECK_INT_EQ(stats_of(set).dropped_malformed, 1);
    CHECK_INT_EQ(rx.count, 1);
    close(p);
    ike_socket_set_free(set);
}

static void keepalives_and_esp_dropped(void)
{
    keepalives_and_esp_dropped_on("127.0.0.1", AF_INET);
    keepalives_and_esp_dropped_on("::1", AF_INET6);
}

static void short_datagrams_dropped(void)
{
    struct config_listen l[] = { listen_on("127.0.0.1", 40540, 44540) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 1, 2);
    int p = peer_socket("127.0.0.1", 0);
    uint8_t buf[64] = { 0 };

    ike_message(buf + 4, sizeof(buf) - 4, 40, 27);
    CHECK_INT_EQ(peer_send(p, "127.0.0.1", 40540, buf + 4, 27), 27);    /* one byte short */
    CHECK_INT_EQ(peer_send(p, "127.0.0.1", 44540, buf, 4 + 27), 31);    /* marker + 27 */
    CHECK_INT_EQ(peer_send(p, "127.0.0.1", 44540, buf, 4), 4);          /* marker alone */
    CHECK_INT_EQ(peer_send(p, "127.0.0.1", 44540, buf, 2), 2);          /* not even a marker */
    CHECK_INT_EQ(peer_send(p, "127.0.0.1", 40540, buf, 0), 0);          /* empty */
    run_idle();
    CHECK_INT_EQ(rx.count, 0);
    CHECK_INT_EQ(stats_of(set).dropped_malformed, 5);
    CHECK_INT_EQ(stats_of(set).received, 0);

    /* One more byte and both pass. */
    ike_message(buf + 4, sizeof(buf) - 4, 41, 28);
    CHECK_INT_EQ(peer_send(p, "127.0.0.1", 40540, buf + 4, 28), 28);
    CHECK_INT_EQ(peer_send(p, "127.0.0.1", 44540, buf, 32), 32);
    run_until(&rx, 2);
    CHECK_INT_EQ(rx.count, 2);
    CHECK_INT_EQ(rx.len, 28);
    close(p);
    ike_socket_set_free(set);
}

static void oversized_datagram_dropped(void)
{
    struct config_listen l[] = { listen_on("::1", 40550, 44550) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 1, 2);
    int p = peer_socket("::1", 0);
    /* IPv6 allows 65527 bytes of UDP payload: more than any IKE message. */
    size_t big = 65527;
    uint8_t *buf = calloc(1, big);

    CHECK(buf != NULL);
    ike_message(buf, big, 50, big);
    CHECK_INT_EQ(peer_send(p, "::1", 40550, buf, big), (ssize_t)big);
    /* The largest allowed is still delivered. */
    CHECK_INT_EQ(peer_send(p, "::1", 40550, buf, IKE_SOCKET_MAX_MESSAGE), IKE_SOCKET_MAX_MESSAGE);
    run_until(&rx, 1);
    run_idle();
    CHECK_INT_EQ(rx.count, 1);
    CHECK_INT_EQ(rx.pkt.len, IKE_SOCKET_MAX_MESSAGE);
    CHECK_INT_EQ(stats_of(set).dropped_truncated, 1);
    free(buf);
    close(p);
    ike_socket_set_free(set);
}

static void wildcard_reports_local_and_replies_from_it(void)
{
    struct config_listen l[] = { listen_on("0.0.0.0", 40560, 44560), listen_on("::", 40560, 44560) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 2, 4);
    /* The peer on 127.0.0.3, talking to two addresses of the gateway. */
    const char *gw[] = { "127.0.0.1", "127.0.0.2", "::1" };
    const uint16_t ports[] = { 40560, 44560 };

    rx.reply = true;
    for (unsigned k = 0; k < 3; k++)
        for (unsigned j = 0; j < 2; j++) {
            int p = peer_socket(k < 2 ? "127.0.0.3" : "::1", 0);
            union ike_sockaddr me = local_of(p), from, want = sa(gw[k], ports[j]);
            uint8_t msg[64], framed[68] = { 0 }, back[128];
            size_t n = ike_message(msg, sizeof(msg), (uint8_t)(60 + 2 * k + j), sizeof(msg));
            unsigned before = rx.count;
            size_t off = j ? 4 : 0;

            memcpy(framed + 4, msg, n);
            CHECK_INT_EQ(peer_send(p, gw[k], ports[j], framed + 4 - off, n + off), (ssize_t)(n + off));
            run_until(&rx, before + 1);
            CHECK_INT_EQ(rx.count, before + 1);
            CHECK_STR_EQ(str(&rx.pkt.local), str(&want));
            CHECK(ike_sockaddr_equal(&rx.pkt.remote, &me));
            CHECK_INT_EQ(rx.pkt.natt, j == 1);

            /* The reply leaves from the address (and port) that received. */
            ssize_t got = peer_recv(p, back, sizeof(back), &from, 1000);
            CHECK_INT_EQ(got, (ssize_t)(6 + n + off));
            CHECK_STR_EQ(str(&from), str(&want));
            if (got == (ssize_t)(6 + n + off)) {
                CHECK(memcmp(back, framed + 4 - off, off) == 0);
                CHECK(memcmp(back + off, "reply-", 6) == 0);
                CHECK(memcmp(back + off + 6, msg, n) == 0);
            }
            close(p);
        }
    CHECK_INT_EQ(stats_of(set).sent, 6);
    ike_socket_set_free(set);
}

/* A specific socket and a wildcard one on the same port: each local address
 * is answered by the socket bound to it when there is one. */
static void specific_and_wildcard_share_a_port(void)
{
    struct config_listen l[] = { listen_on("0.0.0.0", 40570, 44570), listen_on("127.0.0.2", 40570, 44571) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 2, 4);
    int p = peer_socket("127.0.0.3", 0);
    union ike_sockaddr me = local_of(p), from;
    uint8_t msg[32], back[64];
    size_t n = ike_message(msg, sizeof(msg), 70, sizeof(msg));

    rx.reply = true;
    CHECK_INT_EQ(peer_send(p, "127.0.0.2", 40570, msg, n), (ssize_t)n);
    run_until(&rx, 1);
    CHECK_STR_EQ(str(&rx.pkt.local), "127.0.0.2:40570");
    CHECK_INT_EQ(peer_recv(p, back, sizeof(back), &from, 1000), (ssize_t)(n + 6));
    CHECK_STR_EQ(str(&from), "127.0.0.2:40570");

    CHECK_INT_EQ(peer_send(p, "127.0.0.4", 40570, msg, n), (ssize_t)n);
    run_until(&rx, 2);
    CHECK_STR_EQ(str(&rx.pkt.local), "127.0.0.4:40570");
    CHECK_INT_EQ(peer_recv(p, back, sizeof(back), &from, 1000), (ssize_t)(n + 6));
    CHECK_STR_EQ(str(&from), "127.0.0.4:40570");
    (void)me;
    close(p);
    ike_socket_set_free(set);
}

static void send_errors(void)
{
    struct config_listen l[] = { listen_on("127.0.0.1", 40580, 44580) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 1, 2);
    union ike_sockaddr local = sa("127.0.0.1", 40580), other_port = sa("127.0.0.1", 40581);
    union ike_sockaddr other_addr = sa("127.0.0.2", 40580), remote = sa("127.0.0.1", 9);
    union ike_sockaddr remote6 = sa("::1", 9), local6 = sa("::1", 40580);
    uint8_t msg[40] = { 1 };
    uint8_t *big = calloc(1, IKE_SOCKET_MAX_MESSAGE + 1);

    CHECK(big != NULL);
    CHECK_INT_EQ(ike_socket_send(set, &other_port, &remote, msg, sizeof(msg)), -EADDRNOTAVAIL);
    CHECK_INT_EQ(ike_socket_send(set, &other_addr, &remote, msg, sizeof(msg)), -EADDRNOTAVAIL);
    CHECK_INT_EQ(ike_socket_send(set, &local6, &remote6, msg, sizeof(msg)), -EADDRNOTAVAIL);
    CHECK_INT_EQ(ike_socket_send(set, &local, &remote6, msg, sizeof(msg)), -EAFNOSUPPORT);
    CHECK_INT_EQ(ike_socket_send(set, &local, &remote, msg, 0), -EMSGSIZE);
    CHECK_INT_EQ(ike_socket_send(set, &local, &remote, big, IKE_SOCKET_MAX_MESSAGE + 1), -EMSGSIZE);
    CHECK_INT_EQ(ike_socket_send(set, &local, &remote, NULL, 10), -EINVAL);
    CHECK_INT_EQ(stats_of(set).sent, 0);
    /* Nobody listens on port 9: UDP does not care. */
    CHECK_INT_EQ(ike_socket_send(set, &local, &remote, big, IKE_SOCKET_MAX_MESSAGE), 0);
    CHECK_INT_EQ(stats_of(set).sent, 1);
    CHECK_INT_EQ(stats_of(set).send_errors, 0);
    free(big);
    ike_socket_set_free(set);
}

/* A flood on one socket: one wakeup reads at most the budget, the rest on
 * the following ones, and nothing is lost. */
static void receive_budget(void)
{
    struct config_listen l[] = { listen_on("127.0.0.1", 40590, 44590) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 1, 2);
    int p = peer_socket("127.0.0.1", 0);
    uint8_t msg[32];
    const unsigned total = 100;

    for (unsigned i = 0; i < total; i++) {
        size_t n = ike_message(msg, sizeof(msg), (uint8_t)i, sizeof(msg));
        CHECK_INT_EQ(peer_send(p, "127.0.0.1", 40590, msg, n), (ssize_t)n);
    }
    /* sd_event_run() dispatches one source per call. */
    CHECK_INT_EQ(sd_event_run(event, 1000 * 1000), 1);
    CHECK_INT_EQ(rx.count, 64);
    CHECK_INT_EQ(sd_event_run(event, 1000 * 1000), 1);
    CHECK_INT_EQ(rx.count, total);
    CHECK_INT_EQ(rx.data[0], (uint8_t)((total - 1) | 0x80));
    close(p);
    ike_socket_set_free(set);
}

/* A storm: 100 IKE_SA_INITs (responder SPI zero), then one IKE_AUTH (an
 * SPI), all waiting in the socket. The IKE_AUTH is handed out first, then
 * the IKE_SA_INITs newest first; copies of a waiting IKE_SA_INIT merge. */
static void existing_sa_first(void)
{
    struct config_listen l[] = { listen_on("127.0.0.1", 40600, 44600) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 1, 2);
    int p = peer_socket("127.0.0.1", 0);
    uint8_t msg[32];
    const unsigned total = 100;

    for (unsigned i = 0; i <= total; i++) {
        size_t n = ike_message(msg, sizeof(msg), (uint8_t)i, sizeof(msg));
        if (i < total) {                        /* IKE_SA_INIT: no responder SPI yet, a request */
            memset(msg + 8, 0, 8);
            msg[17] = 0x20;
            msg[18] = 34;
            msg[19] = 0x08;
        }
        CHECK_INT_EQ(peer_send(p, "127.0.0.1", 40600, msg, n), (ssize_t)n);
        if (i == 3)                             /* a retransmission of #3 */
            CHECK_INT_EQ(peer_send(p, "127.0.0.1", 40600, msg, n), (ssize_t)n);
    }
    CHECK_INT_EQ(sd_event_run(event, 1000 * 1000), 1);
    CHECK_INT_EQ(rx.count, 64);
    CHECK_INT_EQ(rx.first[0], (uint8_t)(total | 0x80));
    /* Newest first; #3's copy arrived after #3 and counts as new as it. */
    CHECK_INT_EQ(rx.data[0], (uint8_t)(37 | 0x80));
    run_idle();
    CHECK_INT_EQ(rx.count, total + 1);
    CHECK_INT_EQ(rx.data[0], (uint8_t)(0 | 0x80));
    struct ike_socket_stats st;
    ike_socket_get_stats(set, &st);
    CHECK_INT_EQ(st.queue_new_replaced, 1);
    CHECK_INT_EQ(st.queue_new_dropped, 0);
    CHECK_INT_EQ(st.queued, 0);
    CHECK_INT_EQ(st.queued_peak, total + 1);
    close(p);
    ike_socket_set_free(set);
}

/* The ports the daemon uses by default, and the configuration's default
 * listen entries (every IPv4 and IPv6 address). */
static void default_ports_500_and_4500(void)
{
    struct config_listen l[] = { listen_on("0.0.0.0", 500, 4500), listen_on("::", 500, 4500) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 2, 4);
    int p4 = peer_socket("127.0.0.1", 0), p6 = peer_socket("::1", 0);
    uint8_t msg[40], framed[44] = { 0 }, back[64];
    union ike_sockaddr from;
    size_t n = ike_message(msg, sizeof(msg), 80, sizeof(msg));

    rx.reply = true;
    memcpy(framed + 4, msg, n);
    CHECK_INT_EQ(peer_send(p4, "127.0.0.1", 500, msg, n), (ssize_t)n);
    run_until(&rx, 1);
    CHECK_STR_EQ(str(&rx.pkt.local), "127.0.0.1:500");
    CHECK_INT_EQ(peer_recv(p4, back, sizeof(back), &from, 1000), (ssize_t)(n + 6));
    CHECK_STR_EQ(str(&from), "127.0.0.1:500");

    CHECK_INT_EQ(peer_send(p6, "::1", 4500, framed, sizeof(framed)), (ssize_t)sizeof(framed));
    run_until(&rx, 2);
    CHECK_STR_EQ(str(&rx.pkt.local), "[::1]:4500");
    CHECK(rx.pkt.natt);
    CHECK_INT_EQ(peer_recv(p6, back, sizeof(back), &from, 1000), (ssize_t)(n + 10));
    CHECK_STR_EQ(str(&from), "[::1]:4500");
    CHECK(memcmp(back, "\0\0\0\0reply-", 10) == 0);
    close(p4);
    close(p6);
    ike_socket_set_free(set);
}

static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    return ok;
}

/* With global XFRM policies that block everything, IKE still flows through
 * the sockets' own bypass policies while a plain socket is blocked. */
static void bypass_policies(void)
{
    struct config_listen l[] = { listen_on("127.0.0.1", 40600, 44600), listen_on("::1", 40600, 44600) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 2, 4);
    const char *addrs[] = { "127.0.0.1", "::1" };
    const char *any[] = { "0.0.0.0/0", "::/0" };
    char cmd[200];

    /* The kernel exempts the loopback device from IPv4 policies; this test
     * needs them. */
    CHECK(write_file("/proc/sys/net/ipv4/conf/lo/disable_xfrm", "0"));
    CHECK(write_file("/proc/sys/net/ipv4/conf/lo/disable_policy", "0"));

    for (unsigned k = 0; k < 2; k++) {
        int peer = peer_socket(addrs[k], 0), plain = peer_socket(addrs[k], 0);
        union ike_sockaddr peer_addr = local_of(peer), from;
        union ike_sockaddr plain_addr = local_of(plain);
        uint8_t msg[40], back[64];
        size_t n = ike_message(msg, sizeof(msg), (uint8_t)(90 + k), sizeof(msg));
        union ike_sockaddr ike = sa(addrs[k], 40600), natt = sa(addrs[k], 44600);

        /* Outbound blocked: the plain socket cannot send, IKE can. */
        snprintf(cmd, sizeof(cmd), "ip xfrm policy add dir out src %s dst %s action block", any[k], any[k]);
        CHECK(system(cmd) == 0);
        CHECK(sendto(plain, msg, n, 0, &peer_addr.sa,
                     k ? sizeof(peer_addr.in6) : sizeof(peer_addr.in)) < 0 && errno == EPERM);
        CHECK_INT_EQ(ike_socket_send(set, &ike, &peer_addr, msg, n), 0);
        CHECK_INT_EQ(peer_recv(peer, back, sizeof(back), &from, 1000), (ssize_t)n);
        CHECK_INT_EQ(ike_socket_send(set, &natt, &peer_addr, msg, n), 0);
        CHECK_INT_EQ(peer_recv(peer, back, sizeof(back), &from, 1000), (ssize_t)(n + 4));
        CHECK(system("ip xfrm policy flush") == 0);

        /* Inbound blocked: the plain socket receives nothing, IKE does. */
        snprintf(cmd, sizeof(cmd), "ip xfrm policy add dir in src %s dst %s action block", any[k], any[k]);
        CHECK(system(cmd) == 0);
        unsigned before = rx.count;
        CHECK_INT_EQ(peer_send(peer, addrs[k], 40600, msg, n), (ssize_t)n);
        run_until(&rx, before + 1);
        CHECK_INT_EQ(rx.count, before + 1);
        CHECK_INT_EQ(sendto(peer, msg, n, 0, &plain_addr.sa,
                            k ? sizeof(plain_addr.in6) : sizeof(plain_addr.in)), (ssize_t)n);
        CHECK_INT_EQ(peer_recv(plain, back, sizeof(back), &from, 300), -1);
        CHECK(system("ip xfrm policy flush") == 0);
        close(peer);
        close(plain);
    }
    CHECK(write_file("/proc/sys/net/ipv4/conf/lo/disable_xfrm", "1"));
    CHECK(write_file("/proc/sys/net/ipv4/conf/lo/disable_policy", "1"));
    ike_socket_set_free(set);
}

static void fds_of(struct ike_socket_set *set, int *fds, size_t max)
{
    struct ike_socket_info info[8];
    size_t n = ike_socket_set_list(set, info, 8);
    for (size_t i = 0; i < max; i++)
        fds[i] = i < n ? info[i].fd : -1;
}

/* Whether addr:port is free for a socket without SO_REUSEADDR. */
static bool port_free(const char *addr, uint16_t port)
{
    union ike_sockaddr a = sa(addr, port);
    int fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool ok = bind(fd, &a.sa, a.sa.sa_family == AF_INET6 ? sizeof(a.in6) : sizeof(a.in)) == 0;
    close(fd);
    return ok;
}

static void reload_keeps_opens_and_closes(void)
{
    struct config_listen a = listen_on("127.0.0.1", 40610, 44610);
    struct config_listen b = listen_on("::1", 40611, 44611);
    struct config_listen c = listen_on("127.0.0.1", 40610, 44612);    /* same IKE port as a */
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, &a, 1, 2);
    struct ike_socket_info info[8];
    char err[IKE_SOCKET_ERROR_MAX];
    int before[4], after[4];

    fds_of(set, before, 2);
    struct config_listen ab[] = { a, b };
    CHECK_INT_EQ(ike_socket_set_update(set, ab, 2, err, sizeof(err)), 4);
    fds_of(set, after, 4);
    CHECK_INT_EQ(after[0], before[0]);
    CHECK_INT_EQ(after[1], before[1]);
    CHECK(!port_free("::1", 40611));
    CHECK(!port_free("::1", 44611));

    /* b alone: a's sockets close, b's stay. */
    memcpy(before, after, sizeof(before));
    CHECK_INT_EQ(ike_socket_set_update(set, &b, 1, err, sizeof(err)), 2);
    fds_of(set, after, 2);
    CHECK_INT_EQ(after[0], before[2]);
    CHECK_INT_EQ(after[1], before[3]);
    CHECK(port_free("127.0.0.1", 40610));
    CHECK(port_free("127.0.0.1", 44610));

    /* The same list again changes nothing. */
    CHECK_INT_EQ(ike_socket_set_update(set, &b, 1, err, sizeof(err)), 2);
    fds_of(set, before, 2);
    CHECK_INT_EQ(before[0], after[0]);
    CHECK_INT_EQ(before[1], after[1]);

    /* c then a: only the NAT-T port moves; the IKE socket is kept. */
    CHECK_INT_EQ(ike_socket_set_update(set, &c, 1, err, sizeof(err)), 2);
    fds_of(set, before, 2);
    CHECK_INT_EQ(ike_socket_set_update(set, &a, 1, err, sizeof(err)), 2);
    fds_of(set, after, 2);
    CHECK_INT_EQ(after[0], before[0]);
    CHECK(port_free("127.0.0.1", 44612));
    CHECK(!port_free("127.0.0.1", 44610));
    CHECK_INT_EQ(ike_socket_set_list(set, info, 8), 2);
    CHECK_STR_EQ(str(&info[1].address), "127.0.0.1:44610");
    CHECK(info[1].natt);

    /* A listed twice gives one pair of sockets. */
    struct config_listen aa[] = { a, a };
    CHECK_INT_EQ(ike_socket_set_update(set, aa, 2, err, sizeof(err)), 2);

    /* Still receiving after all that. */
    int p = peer_socket("127.0.0.1", 0);
    uint8_t msg[32];
    size_t n = ike_message(msg, sizeof(msg), 100, sizeof(msg));
    CHECK_INT_EQ(peer_send(p, "127.0.0.1", 40610, msg, n), (ssize_t)n);
    run_until(&rx, 1);
    CHECK_INT_EQ(rx.count, 1);
    close(p);

    /* Nothing: everything closes. */
    CHECK_INT_EQ(ike_socket_set_update(set, NULL, 0, err, sizeof(err)), 0);
    CHECK_INT_EQ(ike_socket_set_list(set, info, 8), 0);
    CHECK(port_free("127.0.0.1", 40610));
    CHECK(port_free("127.0.0.1", 44610));
    ike_socket_set_free(set);
}

/* A socket that cannot be opened fails the whole update and leaves the
 * sockets as they were. */
static void failed_update_changes_nothing(void)
{
    struct config_listen a = listen_on("127.0.0.1", 40620, 44620);
    struct config_listen busy = listen_on("127.0.0.1", 40621, 44621);
    struct config_listen nowhere = listen_on("192.0.2.1", 40622, 44622);
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, &a, 1, 2);
    char err[IKE_SOCKET_ERROR_MAX];
    int before[2], after[2];
    int blocker = peer_socket("127.0.0.1", 44621);      /* no SO_REUSEADDR */

    fds_of(set, before, 2);
    struct config_listen list[] = { a, busy };
    CHECK_INT_EQ(ike_socket_set_update(set, list, 2, err, sizeof(err)), -EADDRINUSE);
    CHECK_STR_EQ(err, "cannot bind 127.0.0.1:44621: Address already in use");
    fds_of(set, after, 2);
    CHECK_INT_EQ(ike_socket_set_list(set, NULL, 0), 2);
    CHECK_INT_EQ(after[0], before[0]);
    CHECK_INT_EQ(after[1], before[1]);
    /* The IKE socket opened before the failure was closed again. */
    CHECK(port_free("127.0.0.1", 40621));

    list[1] = nowhere;
    CHECK_INT_EQ(ike_socket_set_update(set, list, 2, err, sizeof(err)), -EADDRNOTAVAIL);
    CHECK_STR_EQ(err, "cannot bind 192.0.2.1:40622: Cannot assign requested address");

    struct config_listen six = listen_on("2001:db8::1", 500, 4500);
    CHECK_INT_EQ(ike_socket_set_update(set, &six, 1, err, sizeof(err)), -EADDRNOTAVAIL);
    CHECK_STR_EQ(err, "cannot bind [2001:db8::1]:500: Cannot assign requested address");

    struct config_listen bad = a;
    bad.address.family = AF_UNIX;
    CHECK_INT_EQ(ike_socket_set_update(set, &bad, 1, err, sizeof(err)), -EAFNOSUPPORT);
    CHECK_STR_EQ(err, "listen entry 1 has no IPv4 or IPv6 address");
    CHECK_INT_EQ(ike_socket_set_list(set, NULL, 0), 2);
    close(blocker);
    ike_socket_set_free(set);
}

static void update_refused_from_handler(void)
{
    struct config_listen l[] = { listen_on("127.0.0.1", 40630, 44630) };
    struct received rx;
    struct ike_socket_set *set = open_set(&rx, l, 1, 2);
    int p = peer_socket("127.0.0.1", 0);
    uint8_t msg[32];
    size_t n = ike_message(msg, sizeof(msg), 110, sizeof(msg));

    rx.try_update = true;
    CHECK_INT_EQ(peer_send(p, "127.0.0.1", 40630, msg, n), (ssize_t)n);
    run_until(&rx, 1);
    CHECK_INT_EQ(rx.count, 1);
    CHECK_INT_EQ(rx.update_result, -EBUSY);
    CHECK_INT_EQ(ike_socket_set_list(set, NULL, 0), 2);
    close(p);
    ike_socket_set_free(set);
}

static void sockaddr_helpers(void)
{
    union ike_sockaddr a = sa("192.0.2.1", 500), b = sa("2001:db8::1", 4500), c = sa("192.0.2.1", 4500);
    char buf[IKE_SOCKADDR_STRING_MAX];

    CHECK_STR_EQ(ike_sockaddr_to_string(&a, buf, sizeof(buf)), "192.0.2.1:500");
    CHECK_STR_EQ(ike_sockaddr_to_string(&b, buf, sizeof(buf)), "[2001:db8::1]:4500");
    b.in6.sin6_scope_id = 3;
    CHECK_STR_EQ(ike_sockaddr_to_string(&b, buf, sizeof(buf)), "[2001:db8::1%3]:4500");
    CHECK_STR_EQ(ike_sockaddr_to_string(NULL, buf, sizeof(buf)), "(no address)");
    CHECK_STR_EQ(ike_sockaddr_to_string(&a, buf, 5), "192.");
    CHECK(ike_sockaddr_equal(&a, &a));
    CHECK(!ike_sockaddr_equal(&a, &c));
    CHECK(!ike_sockaddr_equal(&a, &b));
    union ike_sockaddr b2 = sa("2001:db8::1", 4500);
    CHECK(!ike_sockaddr_equal(&b, &b2));        /* scope differs */
    b2.in6.sin6_scope_id = 3;
    CHECK(ike_sockaddr_equal(&b, &b2));
    CHECK_INT_EQ(ike_sockaddr_port(&a), 500);
    CHECK_INT_EQ(ike_sockaddr_port(&b), 4500);
    CHECK_INT_EQ(ike_sockaddr_port(NULL), 0);
    union ike_sockaddr none = { .sa.sa_family = AF_UNIX };
    CHECK_INT_EQ(ike_sockaddr_port(&none), 0);
}

static void bad_arguments(void)
{
    struct ike_socket_set *set = NULL;
    struct ike_socket_stats st;

    CHECK_INT_EQ(ike_socket_set_new(&set, NULL, on_packet, NULL), -EINVAL);
    CHECK_INT_EQ(ike_socket_set_new(&set, event, NULL, NULL), -EINVAL);
    CHECK(set == NULL);
    CHECK_INT_EQ(ike_socket_set_new(&set, event, on_packet, NULL), 0);
    CHECK_INT_EQ(ike_socket_set_update(set, NULL, 1, NULL, 0), -EINVAL);
    CHECK_INT_EQ(ike_socket_set_update(set, NULL, 0, NULL, 0), 0);
    ike_socket_get_stats(set, &st);
    CHECK_INT_EQ(st.received + st.sent, 0);
    CHECK(ike_socket_set_free(set) == NULL);
    CHECK(ike_socket_set_free(NULL) == NULL);
}

/* ------------------------------------------------------------------------ */

/* TEST_MAIN owns main(): enter the namespace before it runs. */
static void tests_start(void) __attribute__((constructor));
static void tests_start(void)
{
    struct ifreq ifr;
    int fd;

    if (unshare(CLONE_NEWNET) < 0) {
        printf("1..0 # SKIP cannot create a network namespace: %s\n", strerror(errno));
        exit(0);
    }
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
        printf("1..0 # SKIP no loopback: %s\n", strerror(errno));
        exit(0);
    }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
        printf("Bail out! cannot bring lo up: %s\n", strerror(errno));
        exit(1);
    }
    close(fd);
    if (sd_event_new(&event) < 0) {
        printf("Bail out! no sd-event loop\n");
        exit(1);
    }
}

TEST_MAIN(
    TEST(sockaddr_helpers),
    TEST(bad_arguments),
    TEST(opens_sockets_with_options),
    TEST(delivers_with_addresses),
    TEST(natt_marker_stripped_and_prepended),
    TEST(keepalives_and_esp_dropped),
    TEST(short_datagrams_dropped),
    TEST(oversized_datagram_dropped),
    TEST(wildcard_reports_local_and_replies_from_it),
    TEST(specific_and_wildcard_share_a_port),
    TEST(send_errors),
    TEST(receive_budget),
    TEST(existing_sa_first),
    TEST(default_ports_500_and_4500),
    TEST(bypass_policies),
    TEST(reload_keeps_opens_and_closes),
    TEST(failed_update_changes_nothing),
    TEST(update_refused_from_handler),
)
