/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Admission to the half-open IKE SA table: cookies and limits (see
 * ikev2-half-open.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ikev2-cookies-sent.h"
#include "ikev2-half-open.h"

struct peer_count {
    unsigned n;
};

static void peer_addr(struct ikev2_peer_addr *p, const union ike_sockaddr *a)
{
    memset(p, 0, sizeof(*p));
    p->family = a->sa.sa_family;
    if (a->sa.sa_family == AF_INET6)
        memcpy(p->addr, &a->in6.sin6_addr, 16);
    else
        memcpy(p->addr, &a->in.sin_addr, 4);
}

static unsigned peer_half_open(const struct ike *ike, const struct ikev2_peer_addr *p)
{
    const struct peer_count *c = ike->half_open_peers ? hashmap_get(ike->half_open_peers, p, sizeof(*p)) : NULL;
    return c ? c->n : 0;
}

/* The cookie the client returned: RFC 7296 2.6 has it first; vpnd takes
 * the first Notify, whatever precedes it. NULL when the first is not one. */
static const struct ikev2_payload *returned_cookie(const struct ikev2_payload_list *payloads, struct ikev2_notify *n)
{
    for (size_t i = 0; i < payloads->n; i++) {
        struct ikev2_parse_status st;
        if (payloads->p[i].type != IKEV2_PAYLOAD_NOTIFY)
            continue;
        if (ikev2_notify_decode(&payloads->p[i], n, &st) < 0 || n->type != IKEV2_N_COOKIE)
            return NULL;
        return &payloads->p[i];
    }
    return NULL;
}

/* Diffie-Hellman computations (and other work) waiting for a worker. */
static unsigned dh_backlog(struct ike *ike)
{
    struct job_pool_stats js;
    job_pool_get_stats(ike_jobs(ike), &js);
    return js.queued;
}

static void log_drop(struct ike *ike, const struct log_ctx *ctx, const char *why)
{
    uint64_t now = monotonic_usec();
    ike->stats.half_open_dropped++;
    if (ike->half_open_drop_logged_usec && now - ike->half_open_drop_logged_usec < IKEV2_HALF_OPEN_LOG_USEC) {
        ike->half_open_drops_unlogged++;
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "IKE_SA_INIT dropped: %s", why);
        return;
    }
    if (ike->half_open_drops_unlogged)
        log_warning_ctx(ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA_INIT dropped: %s (and %llu more dropped in the last "
                        "%llu s)", why, (unsigned long long)ike->half_open_drops_unlogged,
                        (unsigned long long)((now - ike->half_open_drop_logged_usec) / 1000000ULL));
    else
        log_warning_ctx(ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA_INIT dropped: %s", why);
    ike->half_open_drop_logged_usec = now;
    ike->half_open_drops_unlogged = 0;
}

/* Cookie requests are logged per request at debug level only (a flood
 * from forged addresses would flood the journal): at notice, one line when
 * the defence starts and then at most one per IKEV2_HALF_OPEN_LOG_USEC
 * with the count since the last. No peer in it: the addresses are forged. */
static void log_cookie_defence(struct ike *ike, unsigned threshold, uint64_t now)
{
    ike->cookies_unlogged++;
    if (ike->cookie_logged_usec && now - ike->cookie_logged_usec < IKEV2_HALF_OPEN_LOG_USEC)
        return;
    if (ike->cookie_logged_usec && now - ike->cookie_logged_usec < 2 * IKEV2_HALF_OPEN_LOG_USEC)
        log_notice(CONFIG_SUBSYS_IKEV2, "cookie defence: %llu IKE_SA_INIT answered with a COOKIE in the last %llu s "
                   "(%llu half-open IKE SAs, cookie-threshold %u)", (unsigned long long)ike->cookies_unlogged,
                   (unsigned long long)((now - ike->cookie_logged_usec) / 1000000ULL),
                   (unsigned long long)ike->stats.half_open, threshold);
    else
        log_notice(CONFIG_SUBSYS_IKEV2, "cookie defence on: %llu half-open IKE SAs (cookie-threshold %u), "
                   "IKE_SA_INIT without a valid cookie is answered with a COOKIE (RFC 7296 2.6)",
                   (unsigned long long)ike->stats.half_open, threshold);
    ike->cookie_logged_usec = now;
    ike->cookies_unlogged = 0;
}

enum ikev2_admission ikev2_half_open_admit(struct ike *ike, const struct ike_packet *pkt,
                                           const struct ikev2_header *hdr, const struct ikev2_payload_list *payloads,
                                           const struct ikev2_nonce *nonce, const struct log_ctx *ctx,
                                           uint8_t cookie[IKEV2_COOKIE_LEN], size_t *cookie_len)
{
    const struct config_ike *limits = &ike_config(ike)->ike;
    struct ikev2_peer_addr peer;
    char why[160];

    peer_addr(&peer, &pkt->remote);
    unsigned backlog = dh_backlog(ike);
    bool busy = backlog >= IKEV2_HALF_OPEN_BACKLOG_MAX;
    if (ike->stats.half_open >= limits->cookie_threshold || busy) {
        uint64_t now = monotonic_usec();
        struct ikev2_notify n;
        if (!ike->cookies) {
            int r = ikev2_cookie_jar_new(now, &ike->cookies);
            if (r < 0) {
                log_drop(ike, ctx, "no cookie secret (random generator failed)");
                return IKEV2_ADMIT_DROP;
            }
        }
        bool returned = returned_cookie(payloads, &n) != NULL;
        bool valid = returned && ikev2_cookie_valid(ike->cookies, now, n.data, n.len, nonce->data, nonce->len,
                                                    &peer, hdr->ispi);
        if (valid && busy && ikev2_cookie_age_usec(n.data, now) < IKEV2_HALF_OPEN_COOKIE_REFRESH_USEC) {
            snprintf(why, sizeof(why), "%u Diffie-Hellman computations waiting for a worker (the client retries)",
                     backlog);
            log_drop(ike, ctx, why);
            return IKEV2_ADMIT_DROP;
        }
        if (valid && !busy) {
            log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "IKE_SA_INIT with a valid cookie");
        } else {
            if (valid) {
                /* Kept waiting that long on this cookie: a new one starts
                 * the client's retransmissions afresh, so it waits on
                 * instead of giving up. */
                log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "IKE_SA_INIT with a cookie %llu s old while busy: "
                              "a new cookie", (unsigned long long)(ikev2_cookie_age_usec(n.data, now) / 1000000ULL));
            } else if (returned) {
                /* RFC 7296 2.6: as if there were none; a new cookie. */
                ike->stats.cookies_rejected++;
                log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "IKE_SA_INIT with a wrong or expired cookie");
            }
            int r = ikev2_cookie_make(ike->cookies, now, nonce->data, nonce->len, &peer, hdr->ispi, cookie);
            if (r < 0) {
                log_drop(ike, ctx, "cannot compute a cookie");
                return IKEV2_ADMIT_DROP;
            }
            *cookie_len = (size_t)r;
            ike->stats.cookies_sent++;
            if (!ike->cookies_sent)
                ike->cookies_sent = ikev2_cookies_sent_new();   /* without it, only the race goes unhandled */
            ikev2_cookies_sent_note(ike->cookies_sent, hdr->ispi, &pkt->remote, cookie, *cookie_len, now);
            log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "%llu half-open IKE SAs (cookie-threshold %u): "
                          "asking for a cookie", (unsigned long long)ike->stats.half_open,
                          limits->cookie_threshold);
            log_cookie_defence(ike, limits->cookie_threshold, now);
            return IKEV2_ADMIT_SEND_COOKIE;
        }
    }
    if (ike->stats.half_open >= limits->half_open_max) {
        snprintf(why, sizeof(why), "%llu half-open IKE SAs in all (half-open-max %u)",
                 (unsigned long long)ike->stats.half_open, limits->half_open_max);
        log_drop(ike, ctx, why);
        return IKEV2_ADMIT_DROP;
    }
    unsigned n = peer_half_open(ike, &peer);
    if (n >= limits->half_open_per_peer) {
        snprintf(why, sizeof(why), "peer %s has %u half-open IKE SAs (half-open-per-peer %u)",
                 ctx->peer ? ctx->peer : "?", n, limits->half_open_per_peer);
        log_drop(ike, ctx, why);
        return IKEV2_ADMIT_DROP;
    }
    return IKEV2_ADMIT;
}

static int peer_count_add(struct ike *ike, const struct ikev2_peer_addr *p)
{
    if (!ike->half_open_peers) {
        int r = hashmap_new(&ike->half_open_peers);
        if (r < 0)
            return r;
    }
    struct peer_count *c = hashmap_get(ike->half_open_peers, p, sizeof(*p));
    if (c) {
        c->n++;
        return 0;
    }
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->n = 1;
    int r = hashmap_put(ike->half_open_peers, p, sizeof(*p), c);
    if (r < 0)
        free(c);
    return r;
}

int ikev2_half_open_add(struct ike *ike, struct ikev2_ike_sa *sa)
{
    peer_addr(&sa->half_open_peer, &sa->remote);
    int r = peer_count_add(ike, &sa->half_open_peer);
    if (r < 0)
        return r;
    r = hashmap_put(ike->half_open, &sa->half_open_key, sizeof(sa->half_open_key), sa);
    if (r < 0) {
        sa->half_open_peer_counted = true;
        ikev2_half_open_peer_release(ike, sa);
        return r;
    }
    sa->half_open_peer_counted = true;
    sa->in_half_open = true;
    ike->stats.half_open++;
    ike->stats.handshakes_started++;
    return 0;
}

void ikev2_half_open_peer_release(struct ike *ike, struct ikev2_ike_sa *sa)
{
    if (!sa->half_open_peer_counted || !ike->half_open_peers)
        return;
    sa->half_open_peer_counted = false;
    struct peer_count *c = hashmap_get(ike->half_open_peers, &sa->half_open_peer, sizeof(sa->half_open_peer));
    if (!c)
        return;
    if (--c->n == 0) {
        hashmap_remove(ike->half_open_peers, &sa->half_open_peer, sizeof(sa->half_open_peer));
        free(c);
    }
}

void ikev2_half_open_free(struct ike *ike)
{
    if (ike->half_open_peers) {
        struct hashmap_iter it = HASHMAP_ITER_INIT;
        const void *key;
        size_t len;
        void *value;
        while (hashmap_iterate(ike->half_open_peers, &it, &key, &len, &value)) {
            hashmap_remove(ike->half_open_peers, key, len);
            free(value);
        }
        hashmap_free(ike->half_open_peers);
        ike->half_open_peers = NULL;
    }
    ikev2_cookie_jar_free(ike->cookies);
    ike->cookies = NULL;
    ike->cookies_sent = ikev2_cookies_sent_free(ike->cookies_sent);
}
