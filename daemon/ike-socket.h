/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKE UDP sockets: one per (local address, port) of the configuration's
 * `listen` entries, for the IKE port (500) and the NAT-T port (4500, RFC 3948).
 *
 *   struct ike_socket_set *set;
 *   char err[IKE_SOCKET_ERROR_MAX];
 *   r = ike_socket_set_new(&set, event, on_packet, ctx);
 *   r = ike_socket_set_update(set, config->listen, config->n_listen, err, sizeof(err));
 *   if (r < 0)
 *       log_error_errno(CONFIG_SUBSYS_IKE, r, "%s", err);   // "cannot bind 203.0.113.1:500: ..."
 *   ...
 *   static void on_packet(const struct ike_packet *pkt, void *userdata) {
 *       ... parse pkt->data / pkt->len, remember pkt->local and pkt->remote ...
 *       ike_socket_send(set, &pkt->local, &pkt->remote, reply, reply_len);
 *   }
 *
 * Receiving: the sockets are read dry in batches (recvmmsg) into a receive
 * queue that hands messages for existing IKE SAs to the handler before new
 * IKE_SA_INITs and sheds an IKE_SA_INIT backlog itself (ike-receive-queue.h),
 * a bounded number per loop turn. Every datagram delivered has at least an IKE header (28 bytes);
 * on the NAT-T port the 4-byte non-ESP marker has already been removed, NAT
 * keepalives and marker-less (ESP) datagrams are dropped and counted. The
 * local address is the datagram's destination even on a wildcard socket.
 *
 * Sending: give the local address:port the peer talks to (normally the
 * `local` of its last packet). The set picks the socket bound to that port
 * and address (or the wildcard socket of that port, sending from the exact
 * address with IP_PKTINFO / IPV6_PKTINFO), and prepends the non-ESP marker
 * when that port is a NAT-T port. A session that floats to NAT-T simply uses
 * the 4500 local endpoint from then on.
 *
 * Kernel side: the NAT-T sockets carry UDP_ENCAP_ESPINUDP so that the kernel
 * decapsulates ESP arriving on them, and every socket carries per-socket
 * XFRM bypass policies (in and out) so that IKE never falls under the IPsec
 * policies vpnd installs for clients.
 *
 * Privileges: CAP_NET_BIND_SERVICE for ports below 1024, CAP_NET_ADMIN for
 * the bypass policies (whose setsockopt also needs the kernel's xfrm_user
 * code: built in, or the module that vpnd's XFRM netlink socket loads).
 *
 * Everything runs on the sd-event loop's thread; nothing here is thread-safe.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <systemd/sd-event.h>

#include "config.h"

/* The IKE header (RFC 7296 3.1, RFC 2408 3.1): anything shorter is not IKE. */
#define IKE_SOCKET_MIN_MESSAGE 28
/* The non-ESP marker that precedes IKE on the NAT-T port (RFC 3948 2.2). */
#define IKE_SOCKET_NON_ESP_MARKER_LEN 4
/* Largest datagram received or sent (IKE payload; the marker is extra). */
#define IKE_SOCKET_MAX_MESSAGE 65507
/* Room for the error text of ike_socket_set_update(). */
#define IKE_SOCKET_ERROR_MAX 160

/* An IPv4 or IPv6 address with its UDP port (network byte order, as in the
 * sockaddr). sa.sa_family says which member is valid. */
union ike_sockaddr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/* One received IKE message. Valid only during the handler call: copy what
 * must outlive it. */
struct ike_packet {
    const uint8_t *data;            /* the IKE message (marker removed on NAT-T) */
    size_t len;                     /* >= IKE_SOCKET_MIN_MESSAGE */
    union ike_sockaddr local;       /* destination address:port (the exact address, even on wildcard sockets) */
    union ike_sockaddr remote;      /* the peer's address:port */
    bool natt;                      /* arrived on a NAT-T port (a non-ESP marker was present) */
    int ifindex;                    /* interface it arrived on, 0 if unknown */
};

typedef void (*ike_packet_handler_t)(const struct ike_packet *pkt, void *userdata);

struct ike_socket_stats {
    uint64_t received;              /* delivered to the handler */
    uint64_t sent;                  /* datagrams handed to the kernel */
    uint64_t dropped_malformed;     /* shorter than an IKE header (after the marker) */
    uint64_t dropped_keepalive;     /* NAT-T keepalives (one 0xFF byte) on a NAT-T port */
    uint64_t dropped_esp;           /* no non-ESP marker on a NAT-T port: ESP the kernel did not take */
    uint64_t dropped_truncated;     /* larger than IKE_SOCKET_MAX_MESSAGE */
    uint64_t receive_errors;        /* recvmsg failures other than EAGAIN */
    uint64_t send_dropped;          /* send would block (EAGAIN/ENOBUFS): dropped, IKE retransmits */
    uint64_t send_errors;           /* other send failures */
    /* The receive queue (ike-receive-queue.h): read, not yet handled. */
    uint64_t queued;                /* waiting now */
    uint64_t queued_peak;           /* most waiting at once */
    uint64_t queue_new_replaced;    /* IKE_SA_INIT copies merged into the one waiting */
    uint64_t queue_new_dropped;     /* oldest waiting IKE_SA_INIT dropped (backlog full) */
    uint64_t queue_existing_dropped;/* messages for existing IKE SAs dropped (queue full) */
};

/* One open socket, for status output and tests. */
struct ike_socket_info {
    union ike_sockaddr address;     /* as bound: address (maybe wildcard) and port */
    bool natt;                      /* a NAT-T port (marker, UDP_ENCAP) */
    int fd;
};

struct ike_socket_set;

/* An empty set bound to `event` (referenced). `handler` receives every IKE
 * message; it may call ike_socket_send() but not update or free the set. */
int ike_socket_set_new(struct ike_socket_set **ret, sd_event *event,
                       ike_packet_handler_t handler, void *userdata);

/* Makes the open sockets match `listen` (n entries; each gives an IKE and a
 * NAT-T socket; n == 0 closes everything). Sockets already open for the same
 * (address, port, role) are kept as they are; new ones are opened, the rest
 * closed. All or nothing: if any new socket cannot be opened, none of the new
 * ones is kept, the old set stays unchanged, and `err` (if not NULL) names
 * the culprit: "cannot bind 203.0.113.1:500: Address already in use".
 * Returns the number of sockets open, or a negative errno (-EBUSY when called
 * from the handler). */
int ike_socket_set_update(struct ike_socket_set *set, const struct config_listen *listen, size_t n,
                          char *err, size_t err_len);

/* Closes every socket and frees the set. Returns NULL. Not from the handler. */
struct ike_socket_set *ike_socket_set_free(struct ike_socket_set *set);

/* Sends `data` (an IKE message, without marker) from `local` (address:port;
 * a wildcard address lets the kernel choose) to `remote`. Returns 0 when
 * handed to the kernel; -EAGAIN when the socket buffer was full (counted,
 * the message is lost and IKE's retransmission recovers); -EADDRNOTAVAIL
 * when no socket serves `local`; -EAFNOSUPPORT when the families differ;
 * -EMSGSIZE when len is 0 or above IKE_SOCKET_MAX_MESSAGE; other negative
 * errnos from sendmsg. */
int ike_socket_send(struct ike_socket_set *set, const union ike_sockaddr *local,
                    const union ike_sockaddr *remote, const void *data, size_t len);

void ike_socket_get_stats(const struct ike_socket_set *set, struct ike_socket_stats *stats);

/* Fills up to `max` entries of `info` (in a stable order: listen order, IKE
 * port before NAT-T port) and returns the number of sockets open; `info`
 * may be NULL when `max` is 0. */
size_t ike_socket_set_list(const struct ike_socket_set *set, struct ike_socket_info *info, size_t max);

/* "192.0.2.1:500", "[2001:db8::1]:4500" into buf (at least
 * IKE_SOCKADDR_STRING_MAX bytes); returns buf. */
#define IKE_SOCKADDR_STRING_MAX (INET6_ADDRSTRLEN + 16)
const char *ike_sockaddr_to_string(const union ike_sockaddr *addr, char *buf, size_t len);
/* Address and port equal (and scope for IPv6). */
bool ike_sockaddr_equal(const union ike_sockaddr *a, const union ike_sockaddr *b);
/* The port in host byte order (0 for neither IPv4 nor IPv6). */
uint16_t ike_sockaddr_port(const union ike_sockaddr *addr);
