/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Flood mode: IKE_SA_INIT requests from spoofed source addresses (the
 * --source list, one per packet in turn, random ports), at --rate per
 * second for --duration seconds, keeping no state and reading no answer:
 * what a responder sees in a denial-of-service attempt, to exercise its
 * cookies (RFC 7296 2.6) and half-open limits while legitimate clients
 * connect. Every request is a well-formed offer of the configured suite
 * with a fresh SPI; the KE value is one real public key, reused (building
 * a key per packet would only slow the flood: the responder cannot tell).
 * Needs a raw socket (CAP_NET_RAW).
 */
#include "loadgen.h"

#include <errno.h>
#include <netinet/ip.h>
#include <signal.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto-dh.h"
#include "crypto.h"
#include "ikev2-constants.h"
#include "ikev2-payload.h"
#include "wire.h"

/* The request's IKE part, with the SPI to fill in at offset 0. */
static int build_template(const struct lg_options *o, uint8_t *buf, size_t cap, size_t *len)
{
    struct crypto_dh *dh = NULL;
    uint8_t pub[CRYPTO_DH_PUBLIC_MAX], nonce[32];
    int r = crypto_dh_new(crypto_dh_group_find(o->suite.dh_group), &dh);
    int publen = r < 0 ? r : crypto_dh_public(dh, pub, sizeof(pub));
    crypto_dh_free(dh);
    if (publen < 0)
        return publen;
    if (crypto_random(nonce, sizeof(nonce)) < 0)
        return -EIO;
    struct ikev2_sa *offer = malloc(sizeof(*offer));
    if (!offer)
        return -ENOMEM;
    lg_suite_ike_offer(&o->suite, offer);
    struct ikev2_header h = {
        .major_version = IKEV2_MAJOR_VERSION,
        .exchange = IKEV2_EXCHANGE_IKE_SA_INIT,
        .flags = IKEV2_FLAG_INITIATOR,
    };
    struct ikev2_builder b;
    ikev2_builder_init(&b, buf, cap);
    ikev2_build_header(&b, &h);
    ikev2_build_sa(&b, offer);
    ikev2_build_ke(&b, o->suite.dh_group, pub, (size_t)publen);
    ikev2_build_nonce(&b, nonce, sizeof(nonce));
    free(offer);
    return ikev2_builder_finish(&b, len);
}

static double elapsed(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int lg_flood_run(struct lg *lg)
{
    const struct lg_options *o = &lg->opt;
    uint8_t pkt[2048];
    struct iphdr *ip = (struct iphdr *)pkt;
    struct udphdr *udp = (struct udphdr *)(pkt + sizeof(*ip));
    uint8_t *ike = pkt + sizeof(*ip) + sizeof(*udp);
    size_t ike_len = 0;
    int r = build_template(o, ike, sizeof(pkt) - sizeof(*ip) - sizeof(*udp), &ike_len);
    if (r < 0)
        return r;
    int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);   /* IP_HDRINCL implied */
    if (fd < 0)
        return -errno;
    size_t total = sizeof(*ip) + sizeof(*udp) + ike_len;
    memset(ip, 0, sizeof(*ip));
    ip->version = 4;
    ip->ihl = sizeof(*ip) / 4;
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    ip->tot_len = htons((uint16_t)total);
    ip->daddr = o->server.sin_addr.s_addr;
    udp->dest = o->server.sin_port;
    udp->len = htons((uint16_t)(sizeof(*udp) + ike_len));
    udp->check = 0;                     /* optional for UDP over IPv4 */

    if (o->ready_file) {            /* the caller may start what the flood is to disturb */
        FILE *f = fopen(o->ready_file, "w");
        if (f) {
            fputs("flooding\n", f);
            fclose(f);
        }
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    lg->stats.first_start_usec = lg_now_usec();
    double rate = o->rate > 0 ? o->rate : 1000;
    uint64_t sent = 0, failed = 0;
    for (;;) {
        double t = elapsed(&start);
        if (t >= o->duration_seconds)
            break;
        /* The signals that end a run are blocked (main): look for them. */
        sigset_t pending;
        if (sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT) ||
                                          sigismember(&pending, SIGUSR1)))
            break;
        uint64_t due = (uint64_t)(t * rate);
        for (unsigned batch = 0; sent < due && batch < 1000; batch++) {
            uint64_t spi;
            uint16_t port;
            if (crypto_random(&spi, sizeof(spi)) < 0 || crypto_random(&port, sizeof(port)) < 0)
                goto out;
            wire_put64(ike, spi | 1);   /* never 0 */
            ip->saddr = o->sources[sent % o->n_sources].s_addr;
            ip->id = (uint16_t)sent;
            udp->source = htons((uint16_t)(1024 + port % 64000));
            struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = o->server.sin_addr };
            if (sendto(fd, pkt, total, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
                failed++;
            sent++;
        }
        struct timespec pause = { 0, 1000000 };    /* 1 ms */
        nanosleep(&pause, NULL);
    }
out:
    close(fd);
    lg->stats.flood_sent = (unsigned)(sent - failed);
    lg->stats.end_usec = lg_now_usec();
    if (failed)
        fprintf(stderr, "vpnd-loadgen: %llu of %llu flood packets could not be sent\n",
                (unsigned long long)failed, (unsigned long long)sent);
    return 0;
}
