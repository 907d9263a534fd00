/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Our own requests on an IKE SA (RFC 7296 2.1-2.3): the queue, the one
 * outstanding request, its retransmissions, giving up on a silent peer,
 * and the responses. See ikev2-initiator.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto-sk.h"
#include "ikev2-fragment-sa.h"
#include "ikev2-initiator.h"
#include "ikev2-wire.h"

/* The longest single wait between retransmissions (the doubling stops). */
#define IKEV2_RETRANSMIT_WAIT_MAX_MS (10U * 60U * 1000U)

struct ikev2_initiator *ikev2_initiator_get(struct ikev2_ike_sa *sa)
{
    if (!sa->initiator) {
        sa->initiator = calloc(1, sizeof(*sa->initiator));
        if (!sa->initiator)
            return NULL;
        sa->initiator->queue_tail = &sa->initiator->queue;
    }
    return sa->initiator;
}

static void request_free(struct ikev2_request *r)
{
    if (!r)
        return;
    if (r->inner) {
        crypto_wipe(r->inner, r->inner_len);
        free(r->inner);
    }
    ikev2_datagrams_clear(&r->sent);
    free(r);
}

/* Tells the request's handler that no answer will come. */
static void request_abandon(struct ikev2_ike_sa *sa, struct ikev2_request *r)
{
    ikev2_response_fn done = r->done;
    r->done = NULL;
    if (done)
        done(sa, NULL, r->userdata);
}

bool ikev2_request_busy(const struct ikev2_ike_sa *sa)
{
    return sa->initiator && (sa->initiator->outstanding || sa->initiator->queue);
}

/* How many times a request goes out in all before the peer is given up. */
static unsigned max_transmissions(const struct ikev2_ike_sa *sa, const struct ikev2_request *r)
{
    if (r->kind == IKEV2_REQUEST_LIVENESS && sa->group && sa->group->dpd_retries)
        return sa->group->dpd_retries;
    return 1 + sa->config->ike.retransmit_tries;
}

/* The wait after transmission number r->transmissions (1, 2, ...). */
static uint64_t wait_usec(const struct ikev2_ike_sa *sa, const struct ikev2_request *r)
{
    if (r->kind == IKEV2_REQUEST_LIVENESS && sa->group && sa->group->dpd_interval)
        return (uint64_t)sa->group->dpd_interval * 1000000ULL;
    uint64_t ms = sa->config->ike.retransmit_timeout_ms;
    for (unsigned i = 1; i < r->transmissions && ms < IKEV2_RETRANSMIT_WAIT_MAX_MS; i++)
        ms *= 2;
    if (ms > IKEV2_RETRANSMIT_WAIT_MAX_MS)
        ms = IKEV2_RETRANSMIT_WAIT_MAX_MS;
    return ms * 1000ULL;
}

static void on_retransmit(struct queued_timer *t, uint64_t now, void *userdata);

static void arm_timer(struct ikev2_ike_sa *sa, struct ikev2_request *r)
{
    struct ikev2_initiator *in = sa->initiator;
    uint64_t when = monotonic_usec() + wait_usec(sa, r);
    int e = queued_timer_arm(sa->ike->timers, &in->retransmit_timer, when, on_retransmit, sa);
    if (e < 0) {
        struct log_ctx ctx;
        ikev2_sa_log_ctx(sa, &ctx);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot time the retransmissions of %s request %u: %s",
                        r->what, r->mid, strerror(-e));
    }
}

/* Sends the next queued request when none is outstanding. */
static void send_next(struct ikev2_ike_sa *sa)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in || in->outstanding || !in->queue)
        return;
    struct ikev2_request *r = in->queue;
    in->queue = r->next;
    if (!in->queue)
        in->queue_tail = &in->queue;
    r->next = NULL;
    r->mid = sa->next_request_mid++;
    in->outstanding = r;
    in->capturing = true;
    static const uint8_t empty[1];      /* an empty SK (a liveness check) is logged as "[ ]" */
    (void)ikev2_send_encrypted(sa, r->exchange, false, r->mid, r->inner ? r->inner : empty, r->inner_len,
                               r->first_type);
    in->capturing = false;
    r->transmissions = 1;
    if (r->inner) {
        crypto_wipe(r->inner, r->inner_len);
        free(r->inner);
        r->inner = NULL;
    }
    /* Without bytes (the message could not be built) the timer still runs
     * and the request is given up like an unanswered one. */
    arm_timer(sa, r);
}

void ikev2_request_sent(struct ikev2_ike_sa *sa, const uint8_t *packet, size_t len)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in || !in->capturing || !in->outstanding)
        return;
    ikev2_datagrams_clear(&in->outstanding->sent);
    (void)ikev2_datagrams_add(&in->outstanding->sent, packet, len);    /* none: given up like a lost one */
}

bool ikev2_request_sent_fragments(struct ikev2_ike_sa *sa, struct ikev2_datagrams *frags)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in || !in->capturing || !in->outstanding)
        return false;
    ikev2_datagrams_clear(&in->outstanding->sent);
    in->outstanding->sent = *frags;
    *frags = (struct ikev2_datagrams){ 0 };
    return true;
}

int ikev2_request_queue(struct ikev2_ike_sa *sa, enum ikev2_request_kind kind, const char *what, uint8_t exchange,
                        const uint8_t *inner, size_t inner_len, uint8_t first_type, ikev2_response_fn done,
                        void *userdata)
{
    struct ikev2_initiator *in = ikev2_initiator_get(sa);
    if (!in)
        return -ENOMEM;
    if (in->deleting || sa->state != IKEV2_SA_ESTABLISHED)
        return -ESHUTDOWN;
    struct ikev2_request *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    if (inner_len) {
        r->inner = malloc(inner_len);
        if (!r->inner) {
            free(r);
            return -ENOMEM;
        }
        memcpy(r->inner, inner, inner_len);
    }
    r->inner_len = inner_len;
    r->kind = kind;
    r->what = what;
    r->exchange = exchange;
    r->first_type = first_type;
    r->done = done;
    r->userdata = userdata;
    *in->queue_tail = r;
    in->queue_tail = &r->next;
    send_next(sa);
    return 0;
}

/* No answer after the last transmission. */
static void give_up(struct ikev2_ike_sa *sa, struct ikev2_request *r)
{
    struct log_ctx ctx;
    char reason[128];
    ikev2_sa_log_ctx(sa, &ctx);
    if (r->kind == IKEV2_REQUEST_LIVENESS) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "peer %s dead (no answer to %u liveness checks)", sa->peer,
                     r->transmissions);
        snprintf(reason, sizeof(reason), "peer dead (no answer to %u liveness checks)", r->transmissions);
    } else {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "peer %s not responding: no answer to %s request %u after %u "
                     "transmissions", sa->peer, r->what, r->mid, r->transmissions);
        snprintf(reason, sizeof(reason), "peer not responding (no answer to %s request)", r->what);
    }
    session_set_end_cause(sa->session, SESSION_END_LOST_CARRIER);
    ikev2_ike_sa_terminate(sa->ike, sa, false, reason);
}

static void on_retransmit(struct queued_timer *t, uint64_t now, void *userdata)
{
    struct ikev2_ike_sa *sa = userdata;
    struct ikev2_initiator *in = sa->initiator;
    struct ikev2_request *r = in->outstanding;
    (void)t;
    (void)now;
    if (!r)
        return;
    if (r->transmissions >= max_transmissions(sa, r) || r->sent.n == 0) {
        give_up(sa, r);
        return;
    }
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    r->transmissions++;
    sa->ike->stats.retransmissions_sent++;
    log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "retransmitting %s request %u (%s, transmission %u of %u)",
                  ikev2_exchange_name(r->exchange), r->mid, r->what, r->transmissions, max_transmissions(sa, r));
    (void)ikev2_datagrams_send(sa->ike, &sa->local, &sa->remote, &r->sent, &ctx);
    arm_timer(sa, r);
}

void ikev2_peer_heard(struct ikev2_ike_sa *sa)
{
    if (sa->initiator)
        sa->initiator->last_heard_usec = monotonic_usec();
}

void ikev2_handle_response(struct ike *ike, const struct ike_packet *pkt, const struct ikev2_header *hdr)
{
    char peer[IKEV2_PEER_TEXT_MAX];
    struct log_ctx ctx = { .peer = peer };
    const char *exchange = ikev2_exchange_name(hdr->exchange) ? ikev2_exchange_name(hdr->exchange) : "unknown";

    ike_sockaddr_to_string(&pkt->remote, peer, sizeof(peer));
    struct ikev2_ike_sa *sa = ikev2_sa_find(ike, hdr);
    if (!sa) {
        ike->stats.unknown_spi++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "%s response for an unknown IKE SA %016llx_i %016llx_r dropped",
                      exchange, (unsigned long long)hdr->ispi, (unsigned long long)hdr->rspi);
        return;
    }
    ikev2_sa_log_ctx(sa, &ctx);
    struct ikev2_initiator *in = sa->initiator;
    struct ikev2_request *r = in ? in->outstanding : NULL;
    if (!r || hdr->message_id != r->mid || hdr->exchange != r->exchange) {
        /* A late duplicate of an answer we had, or nothing we asked. */
        ike->stats.stray_responses++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "%s response %u matches no request of ours: dropped", exchange,
                      hdr->message_id);
        return;
    }

    struct ikev2_message *msg = malloc(sizeof(*msg));
    struct ikev2_payload_list *inner = malloc(sizeof(*inner));
    struct ikev2_parse_status st;
    uint8_t *plain = NULL;
    size_t plain_len = 0, plain_size = 0;
    if (!msg || !inner)
        goto out;
    if (ikev2_message_parse(pkt->data, pkt->len, msg, &st) < 0 || !msg->sk) {
        char why[128] = "no SK or SKF payload";
        if (st.error != IKEV2_PARSE_OK)
            ikev2_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "malformed %s response %u dropped: %s", exchange,
                      hdr->message_id, why);
        goto out;
    }
    uint8_t first_inner = msg->sk->next_type;
    if (msg->sk->type == IKEV2_PAYLOAD_SKF) {
        /* RFC 7383: collected (and each fragment checked) until whole. */
        if (ikev2_fragment_receive(sa, msg, &ctx, &plain, &plain_len, &first_inner) <= 0)
            goto out;
        plain_size = plain_len ? plain_len : 1;
    } else {
        plain_size = msg->sk->len ? msg->sk->len : 1;
        plain = malloc(plain_size);
        if (!plain)
            goto out;
        /* The peer's messages, requests or responses, are protected with
         * the keys of its role (RFC 7296 2.14, ikev2-role.h). */
        size_t aad_len = msg->sk->offset + IKEV2_PAYLOAD_HEADER_LEN;
        int e = crypto_sk_decrypt(&sa->keys, ikev2_role_keys_receive(sa->original_initiator), pkt->data, aad_len,
                                  msg->sk->body, msg->sk->len, plain, plain_size, &plain_len);
        if (e < 0) {
            ike->stats.decrypt_failures++;
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "%s response %u: SK payload %s, dropped", exchange,
                          hdr->message_id, e == -EBADMSG ? "failed its integrity check" : "malformed");
            goto out;
        }
    }
    inner->n = 0;
    inner->n_skipped = 0;
    if (plain_len && ikev2_chain_parse(plain, plain_len, first_inner, 0, inner, &st) < 0) {
        /* Authentic but unreadable: the peer is alive, the exchange failed. */
        char why[128];
        ikev2_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "malformed payloads in %s response %u: %s", exchange,
                     hdr->message_id, why);
        inner->n = 0;
        inner->n_skipped = 0;
    }
    if (log_enabled(LOG_INFO)) {
        char desc[512];
        ikev2_message_describe(&msg->header, &msg->payloads, inner, desc, sizeof(desc));
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "received %s", desc);
    }

    in->last_heard_usec = monotonic_usec();
    in->outstanding = NULL;
    queued_timer_disarm(sa->ike->timers, &in->retransmit_timer);
    ikev2_response_fn done = r->done;
    void *userdata = r->userdata;
    request_free(r);
    /* The next request goes out first: the handler may end the SA. */
    send_next(sa);
    if (done)
        done(sa, inner, userdata);
out:
    if (plain) {
        crypto_wipe(plain, plain_size);
        free(plain);
    }
    free(msg);
    free(inner);
}

/* Abandons every handler; queued requests go, the outstanding one stays
 * (its message ID is in use until answered or given up). */
static void abandon_all(struct ikev2_ike_sa *sa)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in)
        return;
    while (in->queue) {
        struct ikev2_request *r = in->queue;
        in->queue = r->next;
        request_abandon(sa, r);
        request_free(r);
    }
    in->queue_tail = &in->queue;
    if (in->outstanding)
        request_abandon(sa, in->outstanding);
    ikev2_dpd_stop(sa);
    ikev2_child_rekey_abandon(sa);
    ikev2_ike_rekey_abandon(sa);
}

static void delete_answered(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner, void *userdata)
{
    if (inner)
        ikev2_ike_sa_terminate(sa->ike, sa, false, "DELETE answered");
}

bool ikev2_request_delete_ike(struct ikev2_ike_sa *sa)
{
    uint8_t inner[16];
    struct ikev2_builder b;
    size_t len = 0;
    ikev2_builder_init(&b, inner, sizeof(inner));
    ikev2_build_delete(&b, IKEV2_PROTOCOL_IKE, 0, NULL, 0);
    if (ikev2_builder_finish(&b, &len) < 0)
        return false;

    struct ikev2_initiator *in = ikev2_initiator_get(sa);
    if (in)
        abandon_all(sa);
    if (!in || sa->ike->stopping) {
        /* Best effort: one transmission, nothing waits (vpnd is going). */
        (void)ikev2_send_encrypted(sa, IKEV2_EXCHANGE_INFORMATIONAL, false, sa->next_request_mid++, inner, len,
                                   IKEV2_PAYLOAD_DELETE);
        return false;
    }
    if (ikev2_request_queue(sa, IKEV2_REQUEST_PLAIN, "DELETE", IKEV2_EXCHANGE_INFORMATIONAL, inner, len,
                            IKEV2_PAYLOAD_DELETE, delete_answered, NULL) < 0)
        return false;
    in->deleting = true;
    return true;
}

void ikev2_initiator_free(struct ikev2_ike_sa *sa)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in)
        return;
    abandon_all(sa);
    request_free(in->outstanding);
    in->outstanding = NULL;
    queued_timer_disarm(sa->ike->timers, &in->retransmit_timer);
    queued_timer_disarm(sa->ike->timers, &in->dpd_timer);
    queued_timer_disarm(sa->ike->timers, &in->ike_rekey_timer);    /* abandon_all stopped it already */
    free(in);
    sa->initiator = NULL;
}

void ikev2_initiator_start(struct ikev2_ike_sa *sa)
{
    struct ikev2_initiator *in = ikev2_initiator_get(sa);
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    if (!in) {
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "out of memory: no liveness checks or rekeys for this peer");
        return;
    }
    in->last_heard_usec = monotonic_usec();
    ikev2_dpd_start(sa);
    ikev2_ike_rekey_schedule(sa);
}

void ikev2_initiator_take_over(struct ikev2_ike_sa *n, struct ikev2_ike_sa *old)
{
    (void)n;
    struct ikev2_initiator *in = old->initiator;
    if (!in)
        return;
    ikev2_child_install_deferred_outbound(old);
    abandon_all(old);
}
