/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKEv1 responder: message dispatch by cookies, the protection of
 * messages under an ISAKMP SA (CBC with the per-Message-ID IVs, the HASH
 * of Quick Mode, Transaction and Informational exchanges), retransmission
 * handling, and the SA's end. Phase 1 is in ikev1-phase1.c, Xauth and Mode
 * Config in ikev1-xauth.c / ikev1-modecfg.c, Quick Mode and Informational
 * in ikev1-quick.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ikev1-sa.h"
#include "jobs.h"

/* Our requests (Xauth, Mode Config SET) are sent again after this long
 * without an answer. */
#define IKEV1_RETRANSMIT_USEC (5ULL * 1000000ULL)

/* How long an expired ISAKMP SA keeps its session while the client's new
 * one, past Xauth, gets to Mode Config (ikev1_reauth_pending()). */
#define IKEV1_REAUTH_GRACE 30

void ikev1_sa_log_ctx(const struct ikev1_isakmp_sa *sa, struct log_ctx *ctx)
{
    *ctx = (struct log_ctx){
        .peer = sa->peer,
        .tunnel_group = sa->group ? sa->group->name : NULL,
        .user = sa->user[0] ? sa->user : NULL,
        .session = sa->name,
    };
}

static void log_chain(const struct log_ctx *ctx, const char *verb, const struct ikev1_header *hdr,
                      const struct ikev1_payload_list *pl)
{
    if (!log_enabled(LOG_INFO))
        return;
    char desc[512];
    ikev1_message_describe(hdr, NULL, pl, desc, sizeof(desc));
    log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "%s %s", verb, desc);
}

static uint8_t *copy_bytes(const uint8_t *p, size_t len)
{
    uint8_t *c = malloc(len ? len : 1);
    if (c)
        memcpy(c, p, len);
    return c;
}

static void send_raw(struct ikev1_isakmp_sa *sa, const uint8_t *buf, size_t len)
{
    int r = ike_socket_send(sa->ike->sockets, &sa->local, &sa->remote, buf, len);
    if (r < 0) {
        struct log_ctx ctx;
        ikev1_sa_log_ctx(sa, &ctx);
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "cannot send %zu bytes: %s", len, strerror(-r));
    }
}

uint32_t ikev1_new_mid(struct ikev1_isakmp_sa *sa)
{
    uint32_t mid = 0;
    while (mid == 0 || mid == sa->req_mid || ikev1_quick_find(sa, mid))
        if (crypto_random(&mid, sizeof(mid)) < 0)
            mid = 0x5eed0001u ^ (uint32_t)sa->cfg_identifier;   /* never reached in practice */
    return mid;
}

/* ---- our requests: retransmission -------------------------------------------------- */

static int on_request_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct ikev1_isakmp_sa *sa = userdata;
    (void)s;
    (void)usec;
    if (!sa->req)
        return 0;
    if (++sa->req_tries > sa->req_max_tries) {
        char why[96];
        snprintf(why, sizeof(why), "no answer to our request 0x%08x after %u retransmissions", sa->req_mid,
                 sa->req_max_tries);
        ikev1_sa_terminate(sa, true, why);
        return 0;
    }
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    sa->ike->stats.retransmissions_sent++;
    log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "retransmitting request 0x%08x (%u)", sa->req_mid, sa->req_tries);
    send_raw(sa, sa->req, sa->req_len);
    (void)sd_event_source_set_time_relative(sa->req_timer, IKEV1_RETRANSMIT_USEC);
    (void)sd_event_source_set_enabled(sa->req_timer, SD_EVENT_ONESHOT);
    return 0;
}

void ikev1_request_done(struct ikev1_isakmp_sa *sa)
{
    free(sa->req);
    sa->req = NULL;
    sa->req_len = 0;
    sa->req_mid = 0;
    if (sa->req_timer)
        (void)sd_event_source_set_enabled(sa->req_timer, SD_EVENT_OFF);
}

static void request_start(struct ikev1_isakmp_sa *sa, uint32_t mid, const uint8_t *buf, size_t len)
{
    uint8_t *copy = copy_bytes(buf, len);
    if (!copy)
        return;         /* no retransmission; the deadline still ends a stuck SA */
    free(sa->req);
    sa->req = copy;
    sa->req_len = len;
    sa->req_mid = mid;
    sa->req_tries = 0;
    if (sa->req_max_tries == 0)
        sa->req_max_tries = 5;
    int r = 0;
    if (!sa->req_timer)
        r = sd_event_add_time_relative(sa->ike->event, &sa->req_timer, CLOCK_MONOTONIC, IKEV1_RETRANSMIT_USEC, 0,
                                       on_request_timer, sa);
    else {
        r = sd_event_source_set_time_relative(sa->req_timer, IKEV1_RETRANSMIT_USEC);
        if (r >= 0)
            r = sd_event_source_set_enabled(sa->req_timer, SD_EVENT_ONESHOT);
    }
    if (r < 0) {
        struct log_ctx ctx;
        ikev1_sa_log_ctx(sa, &ctx);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "request 0x%08x will not be retransmitted: %s", mid,
                        strerror(-r));
    }
}

/* ---- deadlines ------------------------------------------------------------------------ */

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct ikev1_isakmp_sa *sa = userdata;
    (void)s;
    (void)usec;
    const char *why = NULL;
    if (sd_event_source_get_description(sa->timer, &why) < 0 || !why)
        why = "timeout";
    char copy[200];
    snprintf(copy, sizeof(copy), "%s", why);
    if (sa->state == IKEV1_SA_READY && sa->session && !sa->lifetime_grace && ikev1_reauth_pending(sa)) {
        /* The new ISAKMP SA is about to take the session over: ending
         * it now would cut the client off for nothing. Once. */
        struct log_ctx ctx;
        ikev1_sa_log_ctx(sa, &ctx);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "ISAKMP SA lifetime expired while user %s re-authenticates: the "
                     "session waits %d s for the new ISAKMP SA", sa->user, IKEV1_REAUTH_GRACE);
        sa->lifetime_grace = true;
        ikev1_set_deadline(sa, IKEV1_REAUTH_GRACE, copy);
        return 0;
    }
    if (sa->state != IKEV1_SA_READY)    /* READY: the ISAKMP SA's lifetime ran out, no failure */
        sa->ike->stats.handshake_failures[IKE_FAIL_TIMEOUT]++;
    ikev1_sa_terminate(sa, true, copy);
    return 0;
}

void ikev1_set_deadline(struct ikev1_isakmp_sa *sa, uint64_t seconds, const char *why)
{
    sa->timer = sd_event_source_disable_unref(sa->timer);
    if (seconds == 0)
        return;
    int r = sd_event_add_time_relative(sa->ike->event, &sa->timer, CLOCK_MONOTONIC, seconds * 1000000ULL, 0,
                                       on_deadline, sa);
    if (r >= 0)
        r = sd_event_source_set_description(sa->timer, why);
    if (r < 0) {
        struct log_ctx ctx;
        ikev1_sa_log_ctx(sa, &ctx);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot arm the %llu s deadline: %s",
                        (unsigned long long)seconds, strerror(-r));
    }
}

void ikev1_lifetime_start(struct ikev1_isakmp_sa *sa)
{
    uint64_t elapsed = (monotonic_usec() - sa->p1_done_usec) / 1000000ULL;
    uint64_t left = sa->choice.lifetime > elapsed ? sa->choice.lifetime - elapsed : 1;
    ikev1_set_deadline(sa, left, "ISAKMP SA lifetime expired");
}

/* ---- sending ---------------------------------------------------------------------------- */

int ikev1_send_encrypted(struct ikev1_isakmp_sa *sa, uint8_t exchange, uint32_t mid, const uint8_t *plain,
                         size_t plain_len, uint8_t first_type, enum ikev1_send_kind kind)
{
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    size_t enc_len = crypto_ikev1_cbc_encrypted_len(sa->cbc, plain_len);
    if (enc_len == 0)
        return -EINVAL;
    size_t cap = IKEV1_HEADER_LEN + enc_len;
    uint8_t *buf = malloc(cap);
    struct ikev1_payload_list *pl = malloc(sizeof(*pl));
    if (!buf || !pl) {
        free(buf);
        free(pl);
        return -ENOMEM;
    }
    struct ikev1_header h = { .exchange = exchange, .flags = IKEV1_FLAG_ENCRYPTION, .message_id = mid };
    memcpy(h.icookie, sa->icookie, IKEV1_COOKIE_LEN);
    memcpy(h.rcookie, sa->rcookie, IKEV1_COOKIE_LEN);
    struct ikev1_builder b;
    uint8_t *body = NULL;
    size_t len = 0;
    ikev1_builder_init(&b, buf, cap);
    ikev1_build_header(&b, &h);
    ikev1_build_encrypted(&b, first_type, enc_len, &body);
    int r = ikev1_builder_finish(&b, &len);
    if (r >= 0)
        r = crypto_ikev1_cbc_encrypt(sa->cbc, mid, plain, plain_len, body, enc_len);
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot build the %s message 0x%08x: %s",
                      ikev1_exchange_name(exchange) ? ikev1_exchange_name(exchange) : "?", mid, strerror(-r));
        free(buf);
        free(pl);
        return r;
    }
    struct ikev1_parse_status st;
    h.next_payload = first_type;
    if (ikev1_chain_parse(plain, plain_len, first_type, IKEV1_HEADER_LEN, IKEV1_CHAIN_DECRYPTED, pl, &st) >= 0)
        log_chain(&ctx, "sending", &h, pl);
    free(pl);
    if (sa->reacting && !sa->last_out) {
        sa->last_out = copy_bytes(buf, len);
        sa->last_out_len = sa->last_out ? len : 0;
    }
    if (sa->capture) {
        free(*sa->capture);
        *sa->capture = copy_bytes(buf, len);
        *sa->capture_len = *sa->capture ? len : 0;
    }
    if (kind == IKEV1_SEND_REQUEST)
        request_start(sa, mid, buf, len);
    send_raw(sa, buf, len);
    free(buf);
    return 0;
}

int ikev1_send_hashed(struct ikev1_isakmp_sa *sa, uint8_t exchange, uint32_t mid, struct ikev1_builder *b,
                      uint8_t *plain, const uint8_t *ni, size_t ni_len, enum ikev1_send_kind kind)
{
    size_t plain_len = 0;
    struct ikev1_hash_slot slot;
    int r = ikev1_builder_finish(b, &plain_len);
    if (r >= 0)
        r = ikev1_builder_hash_span(b, &slot);
    if (r >= 0)
        r = crypto_ikev1_message_hash(&sa->keys, mid, ni, ni_len, plain + slot.covered_offset, slot.covered_len,
                                      plain + slot.hash_offset, slot.hash_len);
    if (r < 0) {
        struct log_ctx ctx;
        ikev1_sa_log_ctx(sa, &ctx);
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot build message 0x%08x: %s", mid, strerror(-r));
        return r;
    }
    return ikev1_send_encrypted(sa, exchange, mid, plain, plain_len, ikev1_builder_first_type(b), kind);
}

void ikev1_send_notify(struct ikev1_isakmp_sa *sa, uint8_t protocol, const void *spi, uint8_t spi_size,
                       uint16_t type, const void *data, size_t len)
{
    uint8_t plain[512];
    uint8_t cookies[16];
    struct ikev1_builder b;
    if (!sa->cbc)
        return;
    if (!spi) {
        memcpy(cookies, sa->icookie, 8);
        memcpy(cookies + 8, sa->rcookie, 8);
        spi = cookies;
        spi_size = 16;
    }
    uint32_t mid = ikev1_new_mid(sa);
    ikev1_builder_init(&b, plain, sizeof(plain));
    ikev1_build_hash_reserve(&b, sa->keys.prf->out_len);
    ikev1_build_notify(&b, IKEV1_DOI_IPSEC, protocol, spi, spi_size, type, data, len);
    (void)ikev1_send_hashed(sa, IKEV1_EXCHANGE_INFORMATIONAL, mid, &b, plain, NULL, 0, IKEV1_SEND_ONCE);
    crypto_ikev1_cbc_forget(sa->cbc, mid);
}

static void send_delete(struct ikev1_isakmp_sa *sa)
{
    uint8_t plain[256];
    struct ikev1_builder b;
    uint32_t mid;
    if (sa->n_children > 0) {
        uint8_t spis[4 * 2 * IKEV1_CHILDREN_MAX];
        uint16_t n = 0;
        for (size_t i = 0; i < sa->n_children; i++) {
            wire_put32(spis + 4 * n++, sa->children[i].sa.spi_in);
            if (sa->children[i].has_old)
                wire_put32(spis + 4 * n++, sa->children[i].old.spi_in);
        }
        mid = ikev1_new_mid(sa);
        ikev1_builder_init(&b, plain, sizeof(plain));
        ikev1_build_hash_reserve(&b, sa->keys.prf->out_len);
        ikev1_build_delete(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_IPSEC_ESP, 4, spis, n);
        (void)ikev1_send_hashed(sa, IKEV1_EXCHANGE_INFORMATIONAL, mid, &b, plain, NULL, 0, IKEV1_SEND_ONCE);
        crypto_ikev1_cbc_forget(sa->cbc, mid);
    }
    uint8_t cookies[16];
    memcpy(cookies, sa->icookie, 8);
    memcpy(cookies + 8, sa->rcookie, 8);
    mid = ikev1_new_mid(sa);
    ikev1_builder_init(&b, plain, sizeof(plain));
    ikev1_build_hash_reserve(&b, sa->keys.prf->out_len);
    ikev1_build_delete(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_ISAKMP, 16, cookies, 1);
    (void)ikev1_send_hashed(sa, IKEV1_EXCHANGE_INFORMATIONAL, mid, &b, plain, NULL, 0, IKEV1_SEND_ONCE);
}

/* ---- the SA's end -------------------------------------------------------------------------- */

static void sa_free(struct ikev1_isakmp_sa *sa);

void ikev1_sa_terminate(struct ikev1_isakmp_sa *sa, bool send_del, const char *reason)
{
    struct ike *ike = sa->ike;
    struct log_ctx ctx;
    if (sa->state == IKEV1_SA_DELETED)
        return;
    ikev1_sa_log_ctx(sa, &ctx);
    if (send_del && sa->state >= IKEV1_SA_XAUTH && sa->cbc)
        send_delete(sa);
    bool phase1_done = sa->state >= IKEV1_SA_XAUTH;
    sa->state = IKEV1_SA_DELETED;

    if (sa->job) {
        job_cancel(sa->job);        /* its done() sees the SA gone: job_sa cleared below */
        sa->job = NULL;
    }
    ikev1_xauth_radius_free(sa);
    ikev1_quick_free_all(sa);
    sa->timer = sd_event_source_disable_unref(sa->timer);
    sa->req_timer = sd_event_source_disable_unref(sa->req_timer);
    queued_timer_disarm(sa->ike->timers, &sa->policy_timer);
    queued_timer_disarm(sa->ike->timers, &sa->dpd_timer);
    ikev1_children_remove_all(sa);
    if (sa->session) {
        char addr[INET6_ADDRSTRLEN] = "";
        inet_ntop(AF_INET, &sa->address.in, addr, sizeof(addr));
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKE, "session down: user %s, address %s: %s", sa->user, addr, reason);
        session_remove(ike->sessions, sa->session);
        sa->session = NULL;
    } else if (phase1_done) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "ISAKMP SA deleted: %s", reason);
    } else {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "phase 1 with %s%s%s abandoned: %s", sa->peer,
                     sa->group ? ", tunnel group " : "", sa->group ? sa->group->name : "", reason);
    }
    if (sa->has_address) {
        ike_address_release(ike, sa->pool, &sa->address);
        sa->has_address = false;
    }
    if (sa->in_half_open &&
        hashmap_get(ike->ikev1_half_open, &sa->half_open_key, sizeof(sa->half_open_key)) == sa)
        hashmap_remove(ike->ikev1_half_open, &sa->half_open_key, sizeof(sa->half_open_key));
    if (sa->in_table && hashmap_get(ike->ikev1_sas, sa->rcookie, IKEV1_COOKIE_LEN) == sa)
        hashmap_remove(ike->ikev1_sas, sa->rcookie, IKEV1_COOKIE_LEN);
    if (sa->in_users && hashmap_get_str(ike->ikev1_users, sa->user) == sa)
        hashmap_remove_str(ike->ikev1_users, sa->user);
    sa->in_half_open = sa->in_table = sa->in_users = false;
    if (sa->busy == 0)
        sa_free(sa);
}

/* The memory, once nothing runs on the SA any more. */
static void sa_free(struct ikev1_isakmp_sa *sa)
{
    config_unref(sa->config);
    aaa_grant_free(sa->grant);
    crypto_ikev1_keys_wipe(&sa->keys);
    crypto_ikev1_cbc_free(sa->cbc);
    crypto_wipe(sa->nr, sizeof(sa->nr));
    free(sa->sai_b);
    free(sa->idi_b);
    free(sa->last_in);
    free(sa->last_out);
    free(sa->req);
    free(sa->children);
    free(sa);
}

void ikev1_user_known(struct ikev1_isakmp_sa *sa)
{
    struct ike *ike = sa->ike;
    struct ikev1_isakmp_sa *old = hashmap_get_str(ike->ikev1_users, sa->user);
    if (old && old != sa && sa->initial_contact) {
        struct log_ctx ctx;
        ikev1_sa_log_ctx(sa, &ctx);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "INITIAL-CONTACT from user %s: ending the user's earlier ISAKMP SA "
                     "%s from %s", sa->user, old->name, old->peer);
        session_set_end_cause(old->session, SESSION_END_LOST_CARRIER);     /* the client lost its state */
        ikev1_sa_terminate(old, true, "replaced after INITIAL-CONTACT");
        old = NULL;
    }
    if (old && old != sa) {
        old->in_users = false;
        hashmap_remove_str(ike->ikev1_users, sa->user);
    }
    if (old != sa && hashmap_put_str(ike->ikev1_users, sa->user, sa) >= 0)
        sa->in_users = true;
}

void ikev1_free_all(struct ike *ike)
{
    struct hashmap *tables[2] = { ike->ikev1_sas, ike->ikev1_half_open };
    for (size_t t = 0; t < 2; t++)
        for (;;) {
            struct hashmap_iter it = HASHMAP_ITER_INIT;
            void *value;
            if (!tables[t] || !hashmap_iterate(tables[t], &it, NULL, NULL, &value))
                break;
            ikev1_sa_terminate(value, true, "vpnd is stopping");
        }
}

void ikev1_session_terminate(struct session *s, const char *reason)
{
    ikev1_sa_terminate(s->owner, true, reason);
}

/* Reads the CHILD SA's counters (and those of a pair a rekey is replacing)
 * into *c and the session's activity tracker. */
static int read_counters(struct ikev1_isakmp_sa *sa, const struct xfrm_snapshot *snap, struct session_counters *c,
                         uint64_t now)
{
    if (sa->n_children == 0)
        return -ENOENT;
    int r = 0;
    for (size_t i = 0; i < sa->n_children && r >= 0; i++)
        r = child_sa_session_counters(ike_xfrm(sa->ike), snap, &sa->children[i].sa,
                                      sa->children[i].has_old ? &sa->children[i].old : NULL, c);
    session_activity_note(&sa->activity, r, c->bytes_in, now);
    c->last_activity_usec = sa->activity.last_usec;
    return r;
}

int ikev1_session_counters(struct session *s, const struct xfrm_snapshot *snap, struct session_counters *c)
{
    struct ikev1_isakmp_sa *sa = s->owner;
    if (!sa)
        return -ENOENT;
    return read_counters(sa, snap, c, monotonic_usec());
}

void ikev1_session_sas(struct session *s, struct session_sas *out)
{
    struct ikev1_isakmp_sa *sa = s->owner;
    memset(out, 0, sizeof(*out));
    if (!sa)
        return;
    /* The cookies play the SPIs' part (RFC 2408 3.1). */
    for (size_t i = 0; i < IKEV1_COOKIE_LEN; i++) {
        out->ike_spi_i = out->ike_spi_i << 8 | sa->icookie[i];
        out->ike_spi_r = out->ike_spi_r << 8 | sa->rcookie[i];
    }
    for (size_t i = 0; i < sa->n_children; i++)
        child_sa_session_sas(&sa->children[i].sa, sa->children[i].has_old ? &sa->children[i].old : NULL, out);
}

/* ---- group policy timeouts ------------------------------------------------------------------ */

static void on_policy_timer(struct queued_timer *t, uint64_t now, void *userdata)
{
    struct ikev1_isakmp_sa *sa = userdata;
    const struct config_group_policy *gp = sa->policy;
    char reason[96];
    if (gp && gp->session_timeout && now - sa->established_usec >= (uint64_t)gp->session_timeout * 1000000ULL) {
        snprintf(reason, sizeof(reason), "session timeout (%u s)", gp->session_timeout);
        session_set_end_cause(sa->session, SESSION_END_SESSION_TIMEOUT);
        ikev1_sa_terminate(sa, true, reason);
        return;
    }
    /* Traffic from the client is what counts. Without a CHILD SA (between
     * Quick Modes) there is nothing to read: the time goes on. */
    struct session_counters c = { 0 };
    if (sa->n_children > 0)
        (void)read_counters(sa, NULL, &c, now);
    if (gp && gp->idle_timeout &&
        session_activity_idle_usec(&sa->activity, now) >= (uint64_t)gp->idle_timeout * 1000000ULL) {
        snprintf(reason, sizeof(reason), "idle timeout (%u s without traffic)", gp->idle_timeout);
        session_set_end_cause(sa->session, SESSION_END_IDLE_TIMEOUT);
        ikev1_sa_terminate(sa, true, reason);
        return;
    }
    if (queued_timer_arm(sa->ike->timers, t, now + session_policy_check_usec(gp), on_policy_timer, sa) < 0) {
        struct log_ctx ctx;
        ikev1_sa_log_ctx(sa, &ctx);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "idle/session timeout watch stopped");
    }
}

int ikev1_start_policy_timer(struct ikev1_isakmp_sa *sa)
{
    sa->established_usec = monotonic_usec();
    session_activity_start(&sa->activity, sa->established_usec);
    if (queued_timer_armed(&sa->policy_timer))
        return 0;
    return queued_timer_arm(sa->ike->timers, &sa->policy_timer,
                            sa->established_usec + session_policy_check_usec(sa->policy), on_policy_timer, sa);
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* Checks the HASH of a decrypted Quick Mode, Transaction or Informational
 * message: 1 good, 0 bad. */
static int check_hash(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr,
                      const struct ikev1_payload_list *pl)
{
    struct ikev1_hash_span span;
    if (ikev1_chain_hash_span(pl, &span) < 0)
        return 0;
    const struct ikev1_quick *qm = hdr->exchange == IKEV1_EXCHANGE_QUICK_MODE ?
                                   ikev1_quick_find(sa, hdr->message_id) : NULL;
    if (qm && qm->answered) {
        /* HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) */
        uint8_t want[CRYPTO_PRF_OUT_MAX];
        int n = crypto_ikev1_qm_hash3(&sa->keys, hdr->message_id, qm->ni, qm->ni_len, qm->nr, qm->nr_len, want,
                                      sizeof(want));
        return crypto_matches(n, want, sizeof(want), span.hash, span.hash_len) > 0;
    }
    int r = crypto_ikev1_message_hash_verify(&sa->keys, hdr->message_id, NULL, 0, span.covered, span.covered_len,
                                             span.hash, span.hash_len);
    return r > 0;
}

static void handle_protected(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt,
                             const struct ikev1_header *hdr)
{
    struct ike *ike = sa->ike;
    struct log_ctx ctx;
    struct ikev1_parse_status st;
    struct ikev1_message *msg = malloc(sizeof(*msg));
    uint8_t *plain = NULL;
    size_t body_len = 0;
    ikev1_sa_log_ctx(sa, &ctx);
    const char *xname = ikev1_exchange_name(hdr->exchange) ? ikev1_exchange_name(hdr->exchange) : "unknown exchange";

    if (!msg)
        return;
    if (ikev1_message_parse(pkt->data, pkt->len, msg, &st) < 0) {
        char why[128];
        ikev1_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "malformed %s message dropped: %s", xname, why);
        goto out;
    }
    if (!msg->encrypted) {
        if (hdr->exchange == IKEV1_EXCHANGE_AGGRESSIVE && sa->state == IKEV1_SA_P1_SENT && hdr->message_id == 0) {
            ikev1_handle_aggressive3(sa, pkt, &msg->payloads, hdr);
            goto out;
        }
        if (hdr->exchange == IKEV1_EXCHANGE_MAIN_MODE && sa->exchange == IKEV1_EXCHANGE_MAIN_MODE &&
            sa->state == IKEV1_SA_P1_SENT && hdr->message_id == 0) {
            ikev1_handle_main(sa, pkt, &msg->payloads, hdr);
            goto out;
        }
        ike->stats.parse_errors++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "unencrypted %s message under an ISAKMP SA dropped", xname);
        goto out;
    }
    if (!sa->cbc) {
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "%s message before our keys are ready dropped", xname);
        goto out;
    }
    body_len = msg->body_len;
    plain = malloc(body_len);
    if (!plain)
        goto out;
    int r = crypto_ikev1_cbc_decrypt(sa->cbc, hdr->message_id, msg->body, body_len, plain, body_len);
    if (r < 0) {
        ike->stats.parse_errors++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "%s message 0x%08x with %zu encrypted bytes (not whole "
                      "blocks) dropped", xname, hdr->message_id, body_len);
        goto out;
    }
    if (ikev1_chain_parse(plain, body_len, hdr->next_payload, IKEV1_HEADER_LEN, IKEV1_CHAIN_DECRYPTED,
                          &msg->payloads, &st) < 0) {
        char why[128];
        ikev1_parse_status_format(&st, why, sizeof(why));
        ike->stats.decrypt_failures++;
        if (hdr->exchange == IKEV1_EXCHANGE_MAIN_MODE && sa->exchange == IKEV1_EXCHANGE_MAIN_MODE &&
            sa->state == IKEV1_SA_P1_SENT && !sa->mm5_garbled) {
            /* Only a peer that did the Diffie-Hellman exchange gets here:
             * message 5 under another key is what a differing PSK looks like. */
            sa->mm5_garbled = true;
            ike->stats.handshake_failures[IKE_FAIL_AUTH]++;
            log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, tunnel group %s: Main Mode "
                           "message 5 does not decrypt (the pre-shared keys differ)", sa->peer, sa->group->name);
            goto out;
        }
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "%s message 0x%08x does not decrypt to valid payloads (%s): "
                     "dropped", xname, hdr->message_id, why);
        goto out;
    }

    if (hdr->exchange == IKEV1_EXCHANGE_MAIN_MODE) {
        if (sa->exchange != IKEV1_EXCHANGE_MAIN_MODE || sa->state != IKEV1_SA_P1_SENT || hdr->message_id != 0) {
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "unexpected Main Mode message dropped");
            goto out;
        }
        ikev1_handle_main(sa, pkt, &msg->payloads, hdr);
        goto out;
    }
    if (hdr->exchange == IKEV1_EXCHANGE_AGGRESSIVE) {
        if (sa->state != IKEV1_SA_P1_SENT || hdr->message_id != 0) {
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "unexpected Aggressive Mode message dropped");
            goto out;
        }
        ikev1_handle_aggressive3(sa, pkt, &msg->payloads, hdr);
        goto out;
    }
    if (sa->state < IKEV1_SA_XAUTH || hdr->message_id == 0) {
        ike->stats.parse_errors++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "%s message 0x%08x before the end of phase 1 dropped", xname,
                      hdr->message_id);
        goto out;
    }
    if (!check_hash(sa, hdr, &msg->payloads)) {
        ike->stats.decrypt_failures++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "%s message 0x%08x: HASH missing or wrong, dropped", xname,
                     hdr->message_id);
        goto out;
    }
    (void)crypto_ikev1_cbc_confirm(sa->cbc, hdr->message_id);

    /* Authentic: its addresses are the client's current ones (it floats
     * to 4500 after NAT detection). */
    sa->local = pkt->local;
    sa->remote = pkt->remote;
    sa->last_rx_usec = monotonic_usec();
    ike_sockaddr_to_string(&pkt->remote, sa->peer, sizeof(sa->peer));
    ikev1_sa_log_ctx(sa, &ctx);
    log_chain(&ctx, "received", hdr, &msg->payloads);
    free(sa->last_in);
    free(sa->last_out);
    sa->last_out = NULL;
    sa->last_out_len = 0;
    sa->last_in = copy_bytes(pkt->data, pkt->len);
    sa->last_in_len = sa->last_in ? pkt->len : 0;
    sa->reacting = true;

    switch (hdr->exchange) {
    case IKEV1_EXCHANGE_TRANSACTION:
        ikev1_handle_transaction(sa, hdr, &msg->payloads);
        break;
    case IKEV1_EXCHANGE_INFORMATIONAL:
        ikev1_handle_informational(sa, &msg->payloads);
        if (sa->state != IKEV1_SA_DELETED)
            crypto_ikev1_cbc_forget(sa->cbc, hdr->message_id);
        break;
    case IKEV1_EXCHANGE_QUICK_MODE:
        if (sa->state != IKEV1_SA_READY)
            ikev1_quick_hold(sa, hdr, plain, body_len, pkt->data, pkt->len);
        else
            ikev1_handle_quick(sa, hdr, &msg->payloads, pkt->data, pkt->len);
        break;
    default:
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "%s exchange not supported: dropped", xname);
        break;
    }
    /* The SA may be gone now (DELETE, failed Xauth). */
    if (sa->state != IKEV1_SA_DELETED)
        sa->reacting = false;
out:
    if (plain) {
        crypto_wipe(plain, body_len);
        free(plain);
    }
    free(msg);
}

void ikev1_handle_packet(struct ike *ike, const struct ike_packet *pkt)
{
    struct ikev1_header hdr;
    struct ikev1_parse_status st;
    char peer[IKEV1_PEER_TEXT_MAX];
    struct log_ctx ctx = { .peer = peer };

    ike_sockaddr_to_string(&pkt->remote, peer, sizeof(peer));
    if (ikev1_header_parse(pkt->data, pkt->len, &hdr, &st) < 0) {
        char why[128];
        ikev1_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "dropped: %s", why);
        return;
    }
    if (all_zero(hdr.rcookie, IKEV1_COOKIE_LEN)) {
        if (hdr.exchange == IKEV1_EXCHANGE_AGGRESSIVE && hdr.message_id == 0) {
            ikev1_handle_aggressive(ike, pkt, &hdr);
            return;
        }
        if (hdr.exchange == IKEV1_EXCHANGE_MAIN_MODE && hdr.message_id == 0) {
            ikev1_handle_main1(ike, pkt, &hdr);
            return;
        }
        ike->stats.ikev1_dropped++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "%s from %s without a responder cookie dropped: it does not start "
                     "a phase 1",
                     ikev1_exchange_name(hdr.exchange) ? ikev1_exchange_name(hdr.exchange) : "unknown exchange",
                     peer);
        return;
    }
    struct ikev1_isakmp_sa *sa = hashmap_get(ike->ikev1_sas, hdr.rcookie, IKEV1_COOKIE_LEN);
    if (!sa || memcmp(sa->icookie, hdr.icookie, IKEV1_COOKIE_LEN) != 0) {
        ike->stats.unknown_spi++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "message for an unknown ISAKMP SA dropped");
        return;
    }
    if (sa->last_in && sa->last_in_len == pkt->len && memcmp(sa->last_in, pkt->data, pkt->len) == 0) {
        ikev1_sa_log_ctx(sa, &ctx);
        if (sa->last_out) {
            ike->stats.retransmits_answered++;
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "retransmitted message 0x%08x: sending our answer again",
                          hdr.message_id);
            send_raw(sa, sa->last_out, sa->last_out_len);
        } else
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "retransmitted message 0x%08x: no answer yet",
                          hdr.message_id);
        return;
    }
    if (ikev1_quick_retransmission(sa, pkt, &hdr))
        return;
    sa->busy++;
    handle_protected(sa, pkt, &hdr);
    if (--sa->busy == 0 && sa->state == IKEV1_SA_DELETED)
        sa_free(sa);
}
