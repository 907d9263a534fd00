/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The end-to-end tests' way into the IKE sockets (tests/e2e/ike-socket-*.sh):
 * opens the sockets of one listen entry and answers every IKE message with
 * "reply:" and the message, from the address and port that received it.
 *
 *   ike-socket-tool ADDRESS PORT NATT-PORT [COUNT [SECONDS]]
 *
 * Prints "ready" once the sockets are open, one line per message
 *   recv local=198.51.100.2:4500 remote=198.51.100.1:4500 natt=1 len=40 send=0
 * and, after COUNT messages (default 1) or SECONDS (default 60), the counters:
 *   stats received=1 sent=1 malformed=0 keepalive=0 esp=0 ...
 * Exits 0 when COUNT messages arrived, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike-socket.h"

struct tool {
    struct ike_socket_set *set;
    sd_event *event;
    unsigned long count, seen;
};

static void on_packet(const struct ike_packet *pkt, void *userdata)
{
    struct tool *t = userdata;
    char local[IKE_SOCKADDR_STRING_MAX], remote[IKE_SOCKADDR_STRING_MAX];
    uint8_t *reply = malloc(pkt->len + 6);
    int r = -ENOMEM;

    if (reply) {
        memcpy(reply, "reply:", 6);
        memcpy(reply + 6, pkt->data, pkt->len);
        r = ike_socket_send(t->set, &pkt->local, &pkt->remote, reply, pkt->len + 6);
        free(reply);
    }
    printf("recv local=%s remote=%s natt=%d len=%zu send=%d\n",
           ike_sockaddr_to_string(&pkt->local, local, sizeof(local)),
           ike_sockaddr_to_string(&pkt->remote, remote, sizeof(remote)),
           pkt->natt, pkt->len, r);
    fflush(stdout);
    if (++t->seen >= t->count)
        sd_event_exit(t->event, 0);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct tool *t = userdata;
    (void)s; (void)usec;
    return sd_event_exit(t->event, 0);
}

static int parse_number(const char *text, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct tool t = { .count = 1 };
    struct config_listen listen;
    struct ike_socket_stats st;
    unsigned long port, natt, seconds = 60;
    char err[IKE_SOCKET_ERROR_MAX];
    int r;

    memset(&listen, 0, sizeof(listen));
    if (argc < 4 || argc > 6 ||
        parse_number(argv[2], 65535, &port) < 0 || parse_number(argv[3], 65535, &natt) < 0 ||
        (argc > 4 && parse_number(argv[4], 1000000, &t.count) < 0) ||
        (argc > 5 && parse_number(argv[5], 86400, &seconds) < 0)) {
        fprintf(stderr, "usage: %s ADDRESS PORT NATT-PORT [COUNT [SECONDS]]\n", argv[0]);
        return 2;
    }
    if (inet_pton(AF_INET, argv[1], &listen.address.in) == 1)
        listen.address.family = AF_INET;
    else if (inet_pton(AF_INET6, argv[1], &listen.address.in6) == 1)
        listen.address.family = AF_INET6;
    else {
        fprintf(stderr, "%s: not an IPv4 or IPv6 address\n", argv[1]);
        return 2;
    }
    listen.port = (uint16_t)port;
    listen.natt_port = (uint16_t)natt;

    r = sd_event_default(&t.event);
    if (r >= 0)
        r = ike_socket_set_new(&t.set, t.event, on_packet, &t);
    if (r < 0) {
        fprintf(stderr, "setup: %s\n", strerror(-r));
        return 1;
    }
    r = ike_socket_set_update(t.set, &listen, 1, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    r = sd_event_add_time_relative(t.event, NULL, CLOCK_MONOTONIC, seconds * 1000000ULL, 0, on_timeout, &t);
    if (r < 0) {
        fprintf(stderr, "timer: %s\n", strerror(-r));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    r = sd_event_loop(t.event);
    ike_socket_get_stats(t.set, &st);
    printf("stats received=%" PRIu64 " sent=%" PRIu64 " malformed=%" PRIu64 " keepalive=%" PRIu64
           " esp=%" PRIu64 " truncated=%" PRIu64 " receive_errors=%" PRIu64 " send_dropped=%" PRIu64
           " send_errors=%" PRIu64 "\n",
           st.received, st.sent, st.dropped_malformed, st.dropped_keepalive, st.dropped_esp,
           st.dropped_truncated, st.receive_errors, st.send_dropped, st.send_errors);
    ike_socket_set_free(t.set);
    sd_event_unref(t.event);
    return r >= 0 && t.seen >= t.count ? 0 : 1;
}
