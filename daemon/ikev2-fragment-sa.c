/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RFC 7383 on an IKE SA: see ikev2-fragment-sa.h. Each fragment is
 * integrity-checked and decrypted on its own before anything of it is
 * kept, so only the peer holding the IKE SA's keys can make vpnd store
 * fragments, and never more than IKEV2_REASSEMBLY_BYTES_MAX per SA.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "crypto-sk.h"
#include "ikev2-fragment-sa.h"

static const char *exchange_name(uint8_t exchange)
{
    const char *n = ikev2_exchange_name(exchange);
    return n ? n : "unknown";
}

/* "received IKE_AUTH request 1 [ EF(1/3) ]" at debug level 1. */
static void log_fragment(const struct log_ctx *ctx, const char *verb, const struct ikev2_message *m)
{
    char desc[160];
    ikev2_message_describe(&m->header, &m->payloads, NULL, desc, sizeof(desc));
    log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "%s %s", verb, desc);
}

static void reassembly_drop(struct ikev2_ike_sa *sa)
{
    if (sa->reassembly) {
        ikev2_reassembly_reset(sa->reassembly);
        free(sa->reassembly);
        sa->reassembly = NULL;
    }
    sa->reassembly_timer = sd_event_source_disable_unref(sa->reassembly_timer);
}

void ikev2_fragment_sa_free(struct ikev2_ike_sa *sa)
{
    reassembly_drop(sa);
}

static int on_reassembly_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct ikev2_ike_sa *sa = userdata;
    struct ikev2_reassembly *r = sa->reassembly;
    struct log_ctx ctx;

    if (r && r->active && usec < r->started_usec + IKEV2_REASSEMBLY_TIMEOUT_USEC) {
        /* Restarted since the timer was set: wait for the new one. */
        if (sd_event_source_set_time(s, r->started_usec + IKEV2_REASSEMBLY_TIMEOUT_USEC) >= 0 &&
            sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) >= 0)
            return 0;
    }
    if (r && r->active) {
        ikev2_sa_log_ctx(sa, &ctx);
        sa->ike->stats.fragments_dropped += r->received;
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "%s request %u: %u of %u fragments in %llu s, the rest never came: "
                     "dropped", exchange_name(r->exchange), r->message_id, r->received, r->total,
                     IKEV2_REASSEMBLY_TIMEOUT_USEC / 1000000ULL);
    }
    reassembly_drop(sa);
    return 0;
}

int ikev2_fragment_receive(struct ikev2_ike_sa *sa, const struct ikev2_message *msg, const struct log_ctx *ctx,
                           uint8_t **plain, size_t *plain_len, uint8_t *first_inner)
{
    struct ike *ike = sa->ike;
    const char *exchange = exchange_name(msg->header.exchange);
    const char *kind = msg->header.flags & IKEV2_FLAG_RESPONSE ? "response" : "request";
    uint32_t mid = msg->header.message_id;
    struct ikev2_parse_status st;
    struct ikev2_skf f;

    log_fragment(ctx, "received", msg);
    if (!sa->fragmentation) {
        ike->stats.fragments_dropped++;
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "%s %s %u: a fragment, but fragmentation was not "
                      "negotiated: dropped", exchange, kind, mid);
        return 0;
    }
    if (ikev2_skf_decode(msg->sk, &f, &st) < 0) {
        char why[128];
        ikev2_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "%s %s %u: malformed fragment dropped: %s", exchange, kind, mid,
                      why);
        return 0;
    }

    /* Associated data: the IKE header and the SKF header with its
     * Fragment Number and Total Fragments (RFC 7383 2.5). */
    size_t aad_len = msg->sk->offset + IKEV2_PAYLOAD_HEADER_LEN + 4;
    uint8_t *buf = malloc(f.len ? f.len : 1);
    size_t n = 0;
    if (!buf)
        return 0;
    int r = crypto_sk_decrypt(&sa->keys, ikev2_role_keys_receive(sa->original_initiator), msg->raw, aad_len, f.data,
                              f.len, buf, f.len, &n);
    if (r < 0) {
        free(buf);
        ike->stats.decrypt_failures++;
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "%s %s %u: fragment %u/%u %s, dropped", exchange, kind, mid,
                      f.number, f.total, r == -EBADMSG ? "failed its integrity check" : "malformed");
        return 0;
    }
    ike->stats.fragments_received++;

    enum ikev2_fragment_result res = IKEV2_FRAGMENT_NO_MEMORY;
    bool restarted = false;
    if (!sa->reassembly)
        sa->reassembly = calloc(1, sizeof(*sa->reassembly));
    if (sa->reassembly)
        res = ikev2_reassembly_add(sa->reassembly, monotonic_usec(), mid, msg->header.exchange, f.number, f.total,
                                   msg->sk->next_type, buf, n, &restarted);
    crypto_wipe(buf, f.len ? f.len : 1);
    free(buf);
    if (restarted)
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "%s %s %u: earlier fragments dropped, reassembly starts "
                      "anew", exchange, kind, mid);

    switch (res) {
    case IKEV2_FRAGMENT_STORED:
        if (!sa->reassembly_timer &&
            sd_event_add_time_relative(ike->event, &sa->reassembly_timer, CLOCK_MONOTONIC,
                                       IKEV2_REASSEMBLY_TIMEOUT_USEC, 0, on_reassembly_timeout, sa) < 0)
            log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "no timer for the reassembly: it lasts until the next "
                          "message");
        return 0;
    case IKEV2_FRAGMENT_COMPLETE:
        r = ikev2_reassembly_take(sa->reassembly, plain, plain_len, first_inner);
        reassembly_drop(sa);
        if (r < 0) {
            log_warning_ctx(ctx, CONFIG_SUBSYS_IKEV2, "%s %s %u: cannot reassemble: %s", exchange, kind, mid,
                            strerror(-r));
            return 0;
        }
        ike->stats.reassembled++;
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "%s %s %u: reassembled from %u fragments (%zu bytes)",
                      exchange, kind, mid, f.total, *plain_len);
        return 1;
    default:
        ike->stats.fragments_dropped++;
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "%s %s %u: fragment %u/%u dropped: %s", exchange, kind, mid,
                      f.number, f.total, ikev2_fragment_result_string(res));
        return 0;
    }
}

bool ikev2_fragment_needed(const struct ikev2_ike_sa *sa, size_t len)
{
    return sa->fragmentation && len + IKEV2_FRAGMENT_OVERHEAD > sa->config->ike.fragment_size;
}

int ikev2_fragment_build(struct ikev2_ike_sa *sa, const struct ikev2_header *hdr, const uint8_t *inner,
                         size_t inner_len, uint8_t first_inner, const struct log_ctx *ctx,
                         struct ikev2_datagrams *out)
{
    size_t max = sa->config->ike.fragment_size - IKEV2_FRAGMENT_OVERHEAD;
    int r = ikev2_fragment_message(&sa->keys, ikev2_role_keys_send(sa->original_initiator), hdr, inner, inner_len,
                                   first_inner, max, out);
    if (r < 0)
        return r;
    struct ikev2_message *m = malloc(sizeof(*m));
    for (size_t i = 0; m && i < out->n; i++) {
        struct ikev2_parse_status st;
        if (ikev2_message_parse(out->data[i], out->len[i], m, &st) >= 0)
            log_fragment(ctx, "sending", m);
    }
    free(m);
    return 0;
}

int ikev2_datagrams_send(struct ike *ike, const union ike_sockaddr *local, const union ike_sockaddr *remote,
                         const struct ikev2_datagrams *d, const struct log_ctx *ctx)
{
    int ret = 0;
    for (size_t i = 0; i < d->n; i++) {
        int r = ike_socket_send(ike->sockets, local, remote, d->data[i], d->len[i]);
        if (r < 0) {
            log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "cannot send %zu bytes: %s", d->len[i], strerror(-r));
            ret = r;
        }
        if (d->n > 1)
            ike->stats.fragments_sent++;
    }
    return ret;
}
