/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKEv2 responder: message dispatch, IKE_SA_INIT (with Diffie-Hellman
 * on the job pool), INFORMATIONAL, and the IKE SA's life and death.
 * IKE_AUTH is in ikev2-ike-auth.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#include "clock.h"
#include "crypto-dh.h"
#include "crypto-fetch.h"
#include "crypto-sk.h"
#include "ikev2-auth-state.h"
#include "ikev2-fragment-sa.h"
#include "ikev2-half-open.h"
#include "ikev2-init-copy.h"
#include "ikev2-initiator.h"
#include "ikev2-sa.h"
#include "ikev2-wire.h"
#include "jobs.h"
#include "mem-trim.h"

/* How long a half-open IKE SA waits for IKE_AUTH. */
#define IKEV2_HALF_OPEN_USEC (60ULL * 1000000ULL)
#define IKEV2_NONCE_LEN 32
#define IKEV2_MESSAGE_MAX 8192

static uint32_t sa_counter;

void ikev2_sa_log_ctx(const struct ikev2_ike_sa *sa, struct log_ctx *ctx)
{
    *ctx = (struct log_ctx){
        .peer = sa->peer,
        .tunnel_group = sa->group ? sa->group->name : NULL,
        .user = sa->identity[0] ? sa->identity : NULL,
        .session = sa->sa_name,
    };
}

static void peer_text(const union ike_sockaddr *a, char *buf, size_t len)
{
    ike_sockaddr_to_string(a, buf, len);
}

/* ---- logging of messages ------------------------------------------------------ */

/* `quiet`: at debug level 1 instead of info. Stateless answers to
 * IKE_SA_INIT (cookie requests) are logged so: anyone can send them from
 * forged addresses, and a line each would flood the journal (and its rate
 * limit would then swallow the lines that matter); ikev2-half-open.c logs
 * a summary instead. */
static void log_message_at(const struct log_ctx *ctx, bool quiet, const char *verb, const struct ikev2_header *hdr,
                           const struct ikev2_payload_list *outer, const struct ikev2_payload_list *inner)
{
    if (quiet ? !log_debug_enabled(CONFIG_SUBSYS_IKEV2, 1) : !log_enabled(LOG_INFO))
        return;                         /* not printed: not described */
    char desc[512];
    ikev2_message_describe(hdr, outer, inner, desc, sizeof(desc));
    if (quiet)
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "%s %s", verb, desc);
    else
        log_info_ctx(ctx, CONFIG_SUBSYS_IKEV2, "%s %s", verb, desc);
}

static void log_message(const struct log_ctx *ctx, const char *verb, const struct ikev2_header *hdr,
                        const struct ikev2_payload_list *outer, const struct ikev2_payload_list *inner)
{
    log_message_at(ctx, false, verb, hdr, outer, inner);
}

/* Logs a message we built, from its bytes (and its plaintext chain). */
static void log_sent_at(const struct log_ctx *ctx, bool quiet, const uint8_t *buf, size_t len, const uint8_t *inner,
                        size_t inner_len, uint8_t first_inner)
{
    if (quiet ? !log_debug_enabled(CONFIG_SUBSYS_IKEV2, 1) : !log_enabled(LOG_INFO))
        return;                         /* the line is off: no second parse */
    struct ikev2_message *m = malloc(sizeof(*m));
    struct ikev2_payload_list *in = malloc(sizeof(*in));
    struct ikev2_parse_status st;
    if (m && in && ikev2_message_parse(buf, len, m, &st) >= 0) {
        bool have_inner = inner && (inner_len == 0 ? (in->n = 0, in->n_skipped = 0, true) :
                                    ikev2_chain_parse(inner, inner_len, first_inner, 0, in, &st) >= 0);
        log_message_at(ctx, quiet, "sending", &m->header, &m->payloads, have_inner ? in : NULL);
    }
    free(m);
    free(in);
}

static void log_sent(const struct log_ctx *ctx, const uint8_t *buf, size_t len, const uint8_t *inner,
                     size_t inner_len, uint8_t first_inner)
{
    log_sent_at(ctx, false, buf, len, inner, inner_len, first_inner);
}

/* ---- sending --------------------------------------------------------------------- */

static void header_for(const struct ikev2_ike_sa *sa, struct ikev2_header *h, uint8_t exchange, bool response,
                       uint32_t mid)
{
    *h = (struct ikev2_header){
        .ispi = sa->ispi,
        .rspi = sa->rspi,
        .major_version = IKEV2_MAJOR_VERSION,
        .minor_version = IKEV2_MINOR_VERSION,
        .exchange = exchange,
        .flags = ikev2_role_flags(sa->original_initiator, response),
        .message_id = mid,
    };
}

static void cache_response(struct ikev2_ike_sa *sa, const uint8_t *buf, size_t len)
{
    ikev2_datagrams_clear(&sa->response);
    /* On failure a retransmission goes unanswered; the peer retries. */
    (void)ikev2_datagrams_add(&sa->response, buf, len);
}

static int send_bytes(struct ike *ike, const union ike_sockaddr *local, const union ike_sockaddr *remote,
                      const uint8_t *buf, size_t len, const struct log_ctx *ctx)
{
    int r = ike_socket_send(ike->sockets, local, remote, buf, len);
    if (r < 0)
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV2, 1, "cannot send %zu bytes: %s", len, strerror(-r));
    return r;
}

int ikev2_send_encrypted(struct ikev2_ike_sa *sa, uint8_t exchange, bool response, uint32_t mid,
                         const uint8_t *inner, size_t inner_len, uint8_t first_inner)
{
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    size_t body_len = crypto_sk_body_len(&sa->keys, inner_len);
    if (body_len == 0)
        return -EINVAL;
    uint8_t *buf = malloc(IKEV2_HEADER_LEN + 4 + body_len);
    if (!buf)
        return -ENOMEM;
    struct ikev2_builder b;
    struct ikev2_header h;
    uint8_t *body = NULL;
    size_t len = 0;
    header_for(sa, &h, exchange, response, mid);
    ikev2_builder_init(&b, buf, IKEV2_HEADER_LEN + 4 + body_len);
    ikev2_build_header(&b, &h);
    ikev2_build_sk(&b, inner_len ? first_inner : IKEV2_PAYLOAD_NONE, body_len, &body);
    int r = ikev2_builder_finish(&b, &len);
    if (r >= 0)
        r = crypto_sk_encrypt(&sa->keys, ikev2_role_keys_send(sa->original_initiator), buf, (size_t)(body - buf), inner,
                              inner_len, body, body_len);
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot build the %s %s: %s", ikev2_exchange_name(exchange),
                      response ? "response" : "request", strerror(-r));
        free(buf);
        return r;
    }
    log_sent(&ctx, buf, len, inner, inner_len, first_inner);
    if (inner_len && ikev2_fragment_needed(sa, len)) {
        /* RFC 7383: too large for the path; the log line above shows the
         * whole message, the fragments go out (and are cached) instead. */
        struct ikev2_datagrams frags = { 0 };
        free(buf);
        r = ikev2_fragment_build(sa, &h, inner, inner_len, first_inner, &ctx, &frags);
        if (r < 0) {
            log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot fragment the %s %s of %zu bytes: %s",
                          ikev2_exchange_name(exchange), response ? "response" : "request", len, strerror(-r));
            ikev2_datagrams_clear(&frags);
            return r;
        }
        r = ikev2_datagrams_send(sa->ike, &sa->local, &sa->remote, &frags, &ctx);
        if (response) {
            ikev2_datagrams_clear(&sa->response);
            sa->response = frags;
        } else if (!ikev2_request_sent_fragments(sa, &frags))
            ikev2_datagrams_clear(&frags);
        return r;
    }
    if (response)
        cache_response(sa, buf, len);
    else
        ikev2_request_sent(sa, buf, len);
    r = send_bytes(sa->ike, &sa->local, &sa->remote, buf, len, &ctx);
    free(buf);
    return r;
}

/* An unprotected IKE_SA_INIT error response: one Notify, rspi 0 (RFC 7296
 * 2.6: nothing is kept for the peer). */
static void send_init_notify(struct ike *ike, const struct ike_packet *pkt, const struct ikev2_header *req,
                             uint16_t notify, const void *data, size_t data_len, const struct log_ctx *ctx,
                             bool quiet)
{
    uint8_t buf[128];
    struct ikev2_builder b;
    struct ikev2_header h = {
        .ispi = req->ispi,
        .rspi = 0,
        .major_version = IKEV2_MAJOR_VERSION,
        .exchange = IKEV2_EXCHANGE_IKE_SA_INIT,
        .flags = IKEV2_FLAG_RESPONSE,
        .message_id = 0,
    };
    size_t len = 0;
    ikev2_builder_init(&b, buf, sizeof(buf));
    ikev2_build_header(&b, &h);
    ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, notify, data, data_len);
    if (ikev2_builder_finish(&b, &len) < 0)
        return;
    log_sent_at(ctx, quiet, buf, len, NULL, 0, 0);
    (void)send_bytes(ike, &pkt->local, &pkt->remote, buf, len, ctx);
}

static void send_init_error(struct ike *ike, const struct ike_packet *pkt, const struct ikev2_header *req,
                            uint16_t notify, const void *data, size_t data_len, const struct log_ctx *ctx)
{
    send_init_notify(ike, pkt, req, notify, data, data_len, ctx, false);
}

void ikev2_send_encrypted_notify_data(struct ikev2_ike_sa *sa, uint8_t exchange, uint32_t mid, uint16_t notify,
                                      const void *data, size_t data_len)
{
    uint8_t inner[64];
    struct ikev2_builder b;
    size_t len = 0;
    ikev2_builder_init(&b, inner, sizeof(inner));
    ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, notify, data, data_len);
    if (ikev2_builder_finish(&b, &len) >= 0)
        (void)ikev2_send_encrypted(sa, exchange, true, mid, inner, len, IKEV2_PAYLOAD_NOTIFY);
}

void ikev2_send_encrypted_notify(struct ikev2_ike_sa *sa, uint8_t exchange, uint32_t mid, uint16_t notify)
{
    ikev2_send_encrypted_notify_data(sa, exchange, mid, notify, NULL, 0);
}

/* ---- NAT detection (RFC 7296 2.23) ---------------------------------------------- */

/* SHA1(SPIi | SPIr | IP | port). */
static int natd_hash(uint64_t ispi, uint64_t rspi, const union ike_sockaddr *a, uint8_t out[20])
{
    uint8_t buf[8 + 8 + 16 + 2];
    size_t n = 0;
    ikev2_put64(buf, ispi);
    ikev2_put64(buf + 8, rspi);
    n = 16;
    if (a->sa.sa_family == AF_INET) {
        memcpy(buf + n, &a->in.sin_addr, 4);
        n += 4;
        memcpy(buf + n, &a->in.sin_port, 2);
    } else {
        memcpy(buf + n, &a->in6.sin6_addr, 16);
        n += 16;
        memcpy(buf + n, &a->in6.sin6_port, 2);
    }
    n += 2;
    return crypto_digest("SHA1", buf, n, out, 20) == 20 ? 0 : -EIO;
}

/* Whether some Notify of `type` carries the hash of `a`; -ENOENT when the
 * peer sent none of that type (it does not do NAT detection). */
static int natd_matches(const struct ikev2_payload_list *list, uint16_t type, uint64_t ispi,
                        const union ike_sockaddr *a)
{
    uint8_t want[20];
    bool any = false;
    if (natd_hash(ispi, 0, a, want) < 0)
        return -EIO;
    for (size_t i = 0; i < list->n; i++) {
        struct ikev2_notify n;
        struct ikev2_parse_status st;
        if (list->p[i].type != IKEV2_PAYLOAD_NOTIFY || ikev2_notify_decode(&list->p[i], &n, &st) < 0 ||
            n.type != type)
            continue;
        any = true;
        if (n.len == 20 && memcmp(n.data, want, 20) == 0)
            return 1;
    }
    return any ? 0 : -ENOENT;
}

/* ---- the IKE SA's life ------------------------------------------------------------ */

struct ikev2_dh_job {
    struct ikev2_ike_sa *sa;            /* NULL once the SA is gone */
    struct crypto_ike_suite suite;
    uint8_t peer_ke[CRYPTO_DH_PUBLIC_MAX];  size_t peer_ke_len;
    uint8_t ni[IKEV2_NONCE_MAX];  size_t ni_len;
    uint8_t nr[IKEV2_NONCE_LEN];  size_t nr_len;
    uint8_t spi_i[8], spi_r[8];
    /* Results. */
    uint8_t our_ke[CRYPTO_DH_PUBLIC_MAX];   size_t our_ke_len;
    struct crypto_ike_keys keys;
    const char *failed_step;
};

static void half_open_key(struct ikev2_half_open_key *k, uint64_t ispi, const union ike_sockaddr *remote)
{
    memset(k, 0, sizeof(*k));
    k->ispi = ispi;
    k->family = (uint8_t)remote->sa.sa_family;
    if (remote->sa.sa_family == AF_INET) {
        memcpy(k->addr, &remote->in.sin_addr, 4);
        k->port = remote->in.sin_port;
    } else {
        memcpy(k->addr, &remote->in6.sin6_addr, 16);
        k->port = remote->in6.sin6_port;
    }
}

void ikev2_ike_sa_terminate(struct ike *ike, struct ikev2_ike_sa *sa, bool send_delete, const char *reason)
{
    struct log_ctx ctx;
    if (sa->state == IKEV2_SA_DELETED)
        return;
    ikev2_sa_log_ctx(sa, &ctx);

    /* Our DELETE goes through the request queue; the SA stays (DELETING,
     * nothing else left) until it is answered or given up. */
    bool linger = send_delete && sa->state == IKEV2_SA_ESTABLISHED && ikev2_request_delete_ike(sa);
    if (sa->state == IKEV2_SA_ESTABLISHED)
        ike->stats.established--;
    bool handshake_ended = sa->state != IKEV2_SA_ESTABLISHED && sa->state != IKEV2_SA_DELETING;
    if (handshake_ended)
        ike->stats.half_open--;
    ikev2_sa_set_state(sa, linger ? IKEV2_SA_DELETING : IKEV2_SA_DELETED, reason);
    if (!linger)
        ikev2_initiator_free(sa);

    if (sa->job) {
        *sa->job_sa = NULL;
        job_cancel(sa->job);
        sa->job = NULL;
    }
    queued_timer_disarm(ike->timers, &sa->timer);
    queued_timer_disarm(ike->timers, &sa->policy_timer);
    if (sa->has_old_child) {
        (void)child_sa_remove_sas(ike_xfrm(ike), sa->old_child);
        ikev2_old_child_gone(sa);
    }
    if (sa->has_child) {
        int r = child_sa_remove(ike_xfrm(ike), ike->routes, &sa->child);
        if (r < 0)
            log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "removing CHILD_SA spi in 0x%08x out 0x%08x: %s",
                            sa->child.spi_in, sa->child.spi_out, strerror(-r));
        else
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA removed: spi in 0x%08x out 0x%08x",
                         sa->child.spi_in, sa->child.spi_out);
        sa->has_child = false;
    }
    if (sa->session) {
        char addr[INET6_ADDRSTRLEN] = "", addr6[INET6_ADDRSTRLEN + 16] = "";
        inet_ntop(sa->address.family, sa->address.family == AF_INET ? (const void *)&sa->address.in
                  : (const void *)&sa->address.in6, addr, sizeof(addr));
        if (sa->has_address6) {
            snprintf(addr6, sizeof(addr6), ", IPv6 address ");
            inet_ntop(AF_INET6, &sa->address6.in6, addr6 + strlen(addr6), sizeof(addr6) - strlen(addr6));
        }
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKE, "session down: user %s, address %s%s: %s", sa->identity, addr, addr6,
                     reason);
        session_remove(ike->sessions, sa->session);
        sa->session = NULL;
    } else if (sa->in_table) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA deleted: %s", reason);
    } else {
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "half-open IKE_SA removed: %s", reason);
    }
    ikev2_release_addresses(sa);
    ikev2_half_open_peer_release(ike, sa);
    if (linger)
        return;
    if (sa->in_half_open && hashmap_get(ike->half_open, &sa->half_open_key, sizeof(sa->half_open_key)) == sa)
        hashmap_remove(ike->half_open, &sa->half_open_key, sizeof(sa->half_open_key));
    uint64_t local_spi = ikev2_sa_local_spi(sa);
    if (sa->in_table && hashmap_get(ike->sas, &local_spi, sizeof(local_spi)) == sa)
        hashmap_remove(ike->sas, &local_spi, sizeof(local_spi));
    ikev2_auth_state_free(sa->auth);
    aaa_grant_free(sa->grant);
    config_unref(sa->config);
    crypto_ike_keys_wipe(&sa->keys);
    crypto_wipe(sa->nr, sizeof(sa->nr));
    free(sa->init_request);
    free(sa->init_request_alt);
    free(sa->init_response);
    ikev2_datagrams_clear(&sa->response);
    ikev2_fragment_sa_free(sa);
    free(sa->tsr);
    free(sa->old_child);
    ikev2_sa_clear_identity(sa);
    free(sa->ni);
    free(sa->local_identity);
    free(sa->client_version);
    free(sa);
    if (handshake_ended)
        mem_trim_note_handshake_ended(ike->stats.half_open);
}

static void on_half_open_timeout(struct queued_timer *t, uint64_t now, void *userdata)
{
    struct ikev2_ike_sa *sa = userdata;
    (void)t;
    (void)now;
    sa->ike->stats.handshake_failures[IKE_FAIL_TIMEOUT]++;
    ikev2_ike_sa_terminate(sa->ike, sa, false, "no IKE_AUTH within 60 seconds of the IKE_SA_INIT answer");
}

/* Reads the inbound counters of the CHILD SA (and of a pair a rekey is
 * replacing) into *c and the session's activity tracker. */
static int read_counters(struct ikev2_ike_sa *sa, const struct xfrm_snapshot *snap, struct session_counters *c,
                         uint64_t now)
{
    if (!sa->has_child)
        return -ENOENT;
    int r = child_sa_session_counters(ike_xfrm(sa->ike), snap, &sa->child, sa->has_old_child ? sa->old_child : NULL,
                                      c);
    session_activity_note(&sa->activity, r, c->bytes_in, now);
    c->last_activity_usec = sa->activity.last_usec;
    return r;
}

static void on_policy_timer(struct queued_timer *t, uint64_t now, void *userdata)
{
    struct ikev2_ike_sa *sa = userdata;
    const struct config_group_policy *gp = sa->policy;
    char reason[96];

    /* The session timeout counts from the login, across IKE SA rekeys
     * (an IKE SA that replaced another starts its own clock). */
    uint64_t login = sa->session && sa->session->login_monotonic ? sa->session->login_monotonic : sa->established_usec;
    if (gp && gp->session_timeout && now - login >= (uint64_t)gp->session_timeout * 1000000ULL) {
        snprintf(reason, sizeof(reason), "session timeout (%u s)", gp->session_timeout);
        session_set_end_cause(sa->session, SESSION_END_SESSION_TIMEOUT);
        ikev2_ike_sa_terminate(sa->ike, sa, true, reason);
        return;
    }
    /* Sampled even without an idle timeout: `vpnctl sessions` shows the
     * idle time. Traffic from the client is what counts (ASA: idle = no data). */
    struct session_counters c = { 0 };
    if (sa->has_child)
        (void)read_counters(sa, NULL, &c, now);
    if (gp && gp->idle_timeout && sa->has_child &&
        session_activity_idle_usec(&sa->activity, now) >= (uint64_t)gp->idle_timeout * 1000000ULL) {
        snprintf(reason, sizeof(reason), "idle timeout (%u s without traffic)", gp->idle_timeout);
        session_set_end_cause(sa->session, SESSION_END_IDLE_TIMEOUT);
        ikev2_ike_sa_terminate(sa->ike, sa, true, reason);
        return;
    }
    int r = queued_timer_arm(sa->ike->timers, t, now + session_policy_check_usec(gp), on_policy_timer, sa);
    if (r < 0) {
        struct log_ctx ctx;
        ikev2_sa_log_ctx(sa, &ctx);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "idle/session timeout watch stopped: %s", strerror(-r));
    }
}

int ikev2_sa_start_policy_timer(struct ikev2_ike_sa *sa)
{
    sa->established_usec = monotonic_usec();
    /* An IKE SA that replaced another by a rekey took over its activity. */
    if (!sa->activity.last_usec)
        session_activity_start(&sa->activity, sa->established_usec);
    ikev2_initiator_start(sa);
    return queued_timer_arm(sa->ike->timers, &sa->policy_timer,
                            sa->established_usec + session_policy_check_usec(sa->policy), on_policy_timer, sa);
}

int ikev2_session_counters(struct session *s, const struct xfrm_snapshot *snap, struct session_counters *c)
{
    struct ikev2_ike_sa *sa = s->owner;
    if (!sa)
        return -ENOENT;
    /* Until the client deletes them, the SAs a rekey replaced count too. */
    return read_counters(sa, snap, c, monotonic_usec());
}

void ikev2_session_terminate(struct session *s, const char *reason)
{
    struct ikev2_ike_sa *sa = s->owner;
    if (sa)
        ikev2_ike_sa_terminate(sa->ike, sa, true, reason);
}

void ikev2_session_sas(struct session *s, struct session_sas *out)
{
    struct ikev2_ike_sa *sa = s->owner;
    memset(out, 0, sizeof(*out));
    if (!sa)
        return;
    out->ike_spi_i = sa->ispi;
    out->ike_spi_r = sa->rspi;
    child_sa_session_sas(sa->has_child ? &sa->child : NULL, sa->has_old_child ? sa->old_child : NULL, out);
}

/* ---- IKE_SA_INIT ---------------------------------------------------------------------- */

int ikev2_dh_agree(const struct crypto_dh_group *group, uint8_t *our_ke, size_t our_ke_size,
                   const uint8_t *peer_ke, size_t peer_ke_len, uint8_t *shared, size_t shared_size,
                   size_t *shared_len, const char **failed_step)
{
    struct crypto_dh *dh = NULL;

    int r = crypto_dh_new(group, &dh);
    if (r < 0) {
        *failed_step = "key generation";
        return r;
    }
    int our_len = crypto_dh_public(dh, our_ke, our_ke_size);
    if (our_len < 0) {
        *failed_step = "public value";
        crypto_dh_free(dh);
        return our_len;
    }
    r = crypto_dh_compute(dh, peer_ke, peer_ke_len, shared, shared_size, shared_len);
    crypto_dh_free(dh);
    if (r < 0) {
        *failed_step = "the peer's public value";
        return r;
    }
    return our_len;
}

static int dh_work(void *userdata)
{
    struct ikev2_dh_job *j = userdata;
    uint8_t shared[CRYPTO_DH_SHARED_MAX];
    size_t shared_len = 0;

    int r = ikev2_dh_agree(j->suite.dh, j->our_ke, sizeof(j->our_ke), j->peer_ke, j->peer_ke_len,
                           shared, sizeof(shared), &shared_len, &j->failed_step);
    if (r < 0)
        goto out;
    j->our_ke_len = (size_t)r;
    r = crypto_ikev2_derive_ike_keys(&j->suite, shared, shared_len, j->ni, j->ni_len, j->nr, j->nr_len,
                                     j->spi_i, j->spi_r, &j->keys);
    if (r < 0)
        j->failed_step = "key derivation";
out:
    crypto_wipe(shared, sizeof(shared));
    return r;
}

static void dh_job_free(struct ikev2_dh_job *j)
{
    crypto_ike_keys_wipe(&j->keys);
    crypto_wipe(j, sizeof(*j));
    free(j);
}

static void dh_done(void *userdata, int result)
{
    struct ikev2_dh_job *j = userdata;
    struct ikev2_ike_sa *sa = j->sa;
    struct log_ctx ctx;

    if (!sa) {
        dh_job_free(j);
        return;
    }
    sa->job = NULL;
    sa->job_sa = NULL;
    ikev2_sa_log_ctx(sa, &ctx);
    if (result < 0) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA_INIT failed: Diffie-Hellman %s: %s",
                     j->failed_step ? j->failed_step : "job", strerror(-result));
        dh_job_free(j);
        ikev2_ike_sa_terminate(sa->ike, sa, false, "Diffie-Hellman failed");
        return;
    }
    sa->keys = j->keys;

    /* The response: SA KE Nr N(NATD_S_IP) N(NATD_D_IP). */
    uint8_t buf[IKEV2_MESSAGE_MAX];
    struct ikev2_builder b;
    struct ikev2_header h;
    struct ikev2_transform tr[4];
    struct ikev2_proposal pr = { .number = sa->choice.number, .protocol = IKEV2_PROTOCOL_IKE };
    uint8_t natd_s[20], natd_d[20];
    size_t len = 0;
    pr.n_transforms = ikev2_ike_choice_transforms(&sa->choice, tr);
    header_for(sa, &h, IKEV2_EXCHANGE_IKE_SA_INIT, true, 0);
    int r = natd_hash(sa->ispi, sa->rspi, &sa->local, natd_s);
    if (r >= 0)
        r = natd_hash(sa->ispi, sa->rspi, &sa->remote, natd_d);
    ikev2_builder_init(&b, buf, sizeof(buf));
    ikev2_build_header(&b, &h);
    ikev2_build_sa_proposal(&b, &pr, tr);
    ikev2_build_ke(&b, sa->choice.dh->ikev2_id, j->our_ke, j->our_ke_len);
    ikev2_build_nonce(&b, sa->nr, sa->nr_len);
    ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, natd_s, 20);
    ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd_d, 20);
    if (sa->fragmentation)
        ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    ikev2_build_init_cert_payloads(sa, &b);     /* CERTREQ, SIGNATURE_HASH_ALGORITHMS */
    if (r >= 0)
        r = ikev2_builder_finish(&b, &len);
    dh_job_free(j);
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot build the IKE_SA_INIT response: %s", strerror(-r));
        ikev2_ike_sa_terminate(sa->ike, sa, false, "internal error");
        return;
    }
    sa->init_response = malloc(len);
    if (!sa->init_response) {
        ikev2_ike_sa_terminate(sa->ike, sa, false, "out of memory");
        return;
    }
    memcpy(sa->init_response, buf, len);
    sa->init_response_len = len;
    cache_response(sa, buf, len);
    r = hashmap_put(sa->ike->sas, &sa->rspi, sizeof(sa->rspi), sa);
    if (r < 0) {
        ikev2_ike_sa_terminate(sa->ike, sa, false, "out of memory");
        return;
    }
    sa->in_table = true;
    ikev2_sa_set_state(sa, IKEV2_SA_INIT_DONE, "IKE_SA_INIT answered");
    sa->expected_mid = 1;
    log_sent(&ctx, buf, len, NULL, 0, 0);
    (void)send_bytes(sa->ike, &sa->local, &sa->remote, buf, len, &ctx);
    /* The client's 60 s for IKE_AUTH start with our answer: time its
     * request waited for a worker is not its fault. */
    (void)queued_timer_arm(sa->ike->timers, &sa->timer, monotonic_usec() + IKEV2_HALF_OPEN_USEC,
                           on_half_open_timeout, sa);
}

struct reject_log {
    const struct log_ctx *ctx;
    bool info;
    unsigned count;
};

static void log_reject(const char *reason, void *userdata)
{
    struct reject_log *rl = userdata;
    rl->count++;
    if (rl->info)
        log_info_ctx(rl->ctx, CONFIG_SUBSYS_IKEV2, "%s", reason);
    else
        log_debug_ctx(rl->ctx, CONFIG_SUBSYS_IKEV2, 2, "%s", reason);
}

/* The IKE proposals of every IKEv2 tunnel group, in priority order (file
 * order of groups, then each group's order), each once. */
static size_t candidate_ike_proposals(const struct vpnd_config *config, const struct config_ike_proposal **out,
                                      size_t max)
{
    size_t n = 0;
    for (size_t g = 0; g < config->n_tunnel_groups; g++) {
        const struct config_tunnel_group *tg = &config->tunnel_groups[g];
        if (!tg->ikev2)
            continue;
        for (size_t i = 0; i < tg->n_ike_proposals && n < max; i++) {
            bool seen = false;
            for (size_t k = 0; k < n; k++)
                seen = seen || out[k] == tg->ike_proposals[i];
            if (!seen)
                out[n++] = tg->ike_proposals[i];
        }
    }
    return n;
}

static void handle_ike_sa_init(struct ike *ike, const struct ike_packet *pkt, const struct ikev2_header *hdr)
{
    struct ikev2_half_open_key key;
    struct log_ctx ctx = { 0 };
    char peer[IKEV2_PEER_TEXT_MAX];
    struct ikev2_parse_status st;

    peer_text(&pkt->remote, peer, sizeof(peer));
    ctx.peer = peer;

    half_open_key(&key, hdr->ispi, &pkt->remote);
    struct ikev2_ike_sa *old = hashmap_get(ike->half_open, &key, sizeof(key));
    if (old) {
        if (old->state == IKEV2_SA_INIT_DONE && old->response.n && old->init_request_len == pkt->len &&
            memcmp(old->init_request, pkt->data, pkt->len) == 0) {
            ike->stats.retransmits_answered++;
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "retransmitted IKE_SA_INIT: sending the response again");
            (void)ikev2_datagrams_send(ike, &old->local, &old->remote, &old->response, &ctx);
        } else if (ikev2_init_copy_keep(ike, old, pkt)) {
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "IKE_SA_INIT again with our cookie: AUTH may sign either copy");
            if (old->state == IKEV2_SA_INIT_DONE && old->response.n) {
                ike->stats.retransmits_answered++;
                (void)ikev2_datagrams_send(ike, &old->local, &old->remote, &old->response, &ctx);
            }
        } else
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "IKE_SA_INIT for a negotiation in progress ignored");
        return;
    }

    struct ikev2_message *msg = malloc(sizeof(*msg));
    struct ikev2_sa *offered = malloc(sizeof(*offered));
    struct ikev2_ike_sa *sa = NULL;
    struct ikev2_dh_job *j = NULL;
    if (!msg || !offered)
        goto out;
    if (ikev2_message_parse(pkt->data, pkt->len, msg, &st) < 0) {
        char why[128];
        ikev2_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        if (st.error == IKEV2_PARSE_UNSUPPORTED_CRITICAL) {
            /* RFC 7296 2.5: MUST be rejected with UNSUPPORTED_CRITICAL_PAYLOAD
             * carrying the one-octet type; as for any IKE_SA_INIT error,
             * nothing is kept. */
            uint8_t type = st.payload_type;
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA_INIT rejected: %s: UNSUPPORTED_CRITICAL_PAYLOAD", why);
            send_init_error(ike, pkt, hdr, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1, &ctx);
        } else
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "malformed IKE_SA_INIT dropped: %s", why);
        goto out;
    }
    const struct ikev2_payload *p_sa = ikev2_payload_find(&msg->payloads, IKEV2_PAYLOAD_SA);
    const struct ikev2_payload *p_ke = ikev2_payload_find(&msg->payloads, IKEV2_PAYLOAD_KE);
    const struct ikev2_payload *p_no = ikev2_payload_find(&msg->payloads, IKEV2_PAYLOAD_NONCE);
    struct ikev2_ke ke;
    struct ikev2_nonce nonce;
    if (!p_sa || !p_ke || !p_no || ikev2_sa_decode(p_sa, offered, &st) < 0 || ikev2_ke_decode(p_ke, &ke, &st) < 0 ||
        ikev2_nonce_decode(p_no, &nonce, &st) < 0) {
        ike->stats.parse_errors++;
        log_message(&ctx, "received", &msg->header, &msg->payloads, NULL);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA_INIT without a valid SA, KE and Nonce payload");
        send_init_error(ike, pkt, hdr, IKEV2_N_INVALID_SYNTAX, NULL, 0, &ctx);
        goto out;
    }

    /* Before any state or Diffie-Hellman: the cookie and the half-open limits. */
    uint8_t cookie[IKEV2_COOKIE_LEN];
    size_t cookie_len = 0;
    enum ikev2_admission admission = ikev2_half_open_admit(ike, pkt, hdr, &msg->payloads, &nonce, &ctx, cookie,
                                                           &cookie_len);
    /* Only an admitted request is logged at info (see log_message_at()). */
    log_message_at(&ctx, admission != IKEV2_ADMIT, "received", &msg->header, &msg->payloads, NULL);
    switch (admission) {
    case IKEV2_ADMIT:
        break;
    case IKEV2_ADMIT_SEND_COOKIE:
        send_init_notify(ike, pkt, hdr, IKEV2_N_COOKIE, cookie, cookie_len, &ctx, true);
        goto out;
    case IKEV2_ADMIT_DROP:
        goto out;
    }

    const struct config_ike_proposal *cand[64];
    const struct vpnd_config *config = ike_config(ike);
    size_t n_cand = candidate_ike_proposals(config, cand, 64);
    struct ikev2_ike_choice choice;
    struct reject_log rl = { .ctx = &ctx, .info = false };
    int r = ikev2_choose_ike(offered, cand, n_cand, &choice, log_reject, &rl);
    if (r < 0) {
        /* Say at info level why each proposal was refused. */
        rl.info = true;
        (void)ikev2_choose_ike(offered, cand, n_cand, &choice, log_reject, &rl);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "no acceptable IKE proposal (%zu offered, %zu configured): "
                     "NO_PROPOSAL_CHOSEN", offered->n_proposals, n_cand);
        ike->stats.handshake_failures[IKE_FAIL_NO_PROPOSAL]++;
        send_init_error(ike, pkt, hdr, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0, &ctx);
        goto out;
    }
    if (ke.group != choice.dh->ikev2_id) {
        uint8_t group[2];
        ikev2_put16(group, choice.dh->ikev2_id);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "KE payload for DH group %u, we prefer %s: INVALID_KE_PAYLOAD",
                     ke.group, choice.dh->name);
        send_init_error(ike, pkt, hdr, IKEV2_N_INVALID_KE_PAYLOAD, group, sizeof(group), &ctx);
        goto out;
    }
    if (ke.len != choice.dh->public_len) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "KE payload of %zu bytes for %s (expected %zu): INVALID_SYNTAX",
                     ke.len, choice.dh->name, choice.dh->public_len);
        send_init_error(ike, pkt, hdr, IKEV2_N_INVALID_SYNTAX, NULL, 0, &ctx);
        goto out;
    }

    sa = calloc(1, sizeof(*sa));
    if (sa)
        sa->identity = ikev2_no_identity;
    j = calloc(1, sizeof(*j));
    if (!sa || !j)
        goto out;
    sa->ike = ike;
    sa->config = config_ref(ike_config(ike));
    sa->state = IKEV2_SA_INIT_PENDING;
    sa->ispi = hdr->ispi;
    do {
        if (crypto_random_public(&sa->rspi, sizeof(sa->rspi)) < 0)
            goto out_free;
    } while (sa->rspi == 0 || hashmap_get(ike->sas, &sa->rspi, sizeof(sa->rspi)));
    sa->local = pkt->local;
    sa->remote = pkt->remote;
    sa->ifindex = pkt->ifindex;
    snprintf(sa->peer, sizeof(sa->peer), "%s", peer);
    snprintf(sa->sa_name, sizeof(sa->sa_name), "ikev2#%u", ++sa_counter);
    sa->choice = choice;
    sa->ni = malloc(nonce.len);
    if (!sa->ni)
        goto out_free;
    memcpy(sa->ni, nonce.data, nonce.len);
    sa->ni_len = nonce.len;
    sa->nr_len = IKEV2_NONCE_LEN;
    sa->fragmentation = ikev2_notify_find(&msg->payloads, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
    if (crypto_random_public(sa->nr, sa->nr_len) < 0)
        goto out_free;
    sa->init_request = malloc(pkt->len);
    if (!sa->init_request)
        goto out_free;
    memcpy(sa->init_request, pkt->data, pkt->len);
    sa->init_request_len = pkt->len;
    ikev2_init_copy_expect_retry(ike, sa);

    /* NAT detection: the peer hashed the addresses as it saw them. */
    int d = natd_matches(&msg->payloads, IKEV2_N_NAT_DETECTION_DESTINATION_IP, sa->ispi, &sa->local);
    int s = natd_matches(&msg->payloads, IKEV2_N_NAT_DETECTION_SOURCE_IP, sa->ispi, &sa->remote);
    sa->nat_detected = d == 0 || s == 0;
    ikev2_sa_log_ctx(sa, &ctx);
    if (sa->nat_detected)
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "NAT detected (%s behind NAT): the client floats to NAT-T",
                     s == 0 ? "peer" : "we are");

    j->sa = sa;
    j->suite = (struct crypto_ike_suite){ choice.encr, choice.integ, choice.prf, choice.dh };
    memcpy(j->peer_ke, ke.data, ke.len);
    j->peer_ke_len = ke.len;
    memcpy(j->ni, sa->ni, sa->ni_len);
    j->ni_len = sa->ni_len;
    memcpy(j->nr, sa->nr, sa->nr_len);
    j->nr_len = sa->nr_len;
    ikev2_put64(j->spi_i, sa->ispi);
    ikev2_put64(j->spi_r, sa->rspi);

    sa->half_open_key = key;
    r = ikev2_half_open_add(ike, sa);
    if (r < 0)
        goto out_free;
    r = queued_timer_arm(ike->timers, &sa->timer, monotonic_usec() + IKEV2_HALF_OPEN_USEC, on_half_open_timeout, sa);
    if (r >= 0)
        r = job_submit(ike_jobs(ike), dh_work, dh_done, j, &sa->job);
    if (r < 0) {
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot start the Diffie-Hellman computation: %s",
                        strerror(-r));
        dh_job_free(j);
        ikev2_ike_sa_terminate(ike, sa, false, "overloaded");
        goto out;
    }
    sa->job_sa = &j->sa;
    if (log_debug_enabled(CONFIG_SUBSYS_IKEV2, 1)) {
        char suite[160];
        ikev2_ike_choice_format(&choice, suite, sizeof(suite));
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "selected proposal %u (ike-proposal '%s'): %s", choice.number,
                      choice.config->name, suite);
    }
    log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "IKE SA %016llx_i %016llx_r state %s: Diffie-Hellman on a worker",
                  (unsigned long long)sa->ispi, (unsigned long long)sa->rspi, ikev2_sa_state_name(sa->state));
    goto out;

out_free:
    if (sa) {
        config_unref(sa->config);
        free(sa->init_request);
        free(sa->ni);
        free(sa);
    }
    free(j);
out:
    free(msg);
    free(offered);
}

/* ---- INFORMATIONAL ------------------------------------------------------------------- */

static void handle_informational(struct ikev2_ike_sa *sa, const struct ikev2_message *msg,
                                 const struct ikev2_payload_list *inner)
{
    struct log_ctx ctx;
    bool delete_ike = false;
    uint8_t out[IKEV2_INNER_MAX];
    struct ikev2_builder b;
    size_t len = 0;
    uint8_t our_spis[12];               /* our inbound SPIs of what was deleted, for the answer */
    uint16_t n_our_spis = 0;
    uint32_t redundant_spi = 0;
    bool deleted_child = false, deleted_old = false;

    ikev2_sa_log_ctx(sa, &ctx);
    for (size_t i = 0; i < inner->n; i++) {
        struct ikev2_delete d;
        struct ikev2_parse_status st;
        if (inner->p[i].type != IKEV2_PAYLOAD_DELETE || ikev2_delete_decode(&inner->p[i], &d, &st) < 0)
            continue;
        if (d.protocol == IKEV2_PROTOCOL_IKE)
            delete_ike = true;
        else if (d.protocol == IKEV2_PROTOCOL_ESP && d.spi_size == 4)
            for (uint16_t k = 0; k < d.n_spis; k++) {
                uint32_t spi = ikev2_get32(d.spis + 4 * k);
                if (sa->has_child && spi == sa->child.spi_out && !deleted_child) {
                    ikev2_put32(our_spis + 4 * n_our_spis++, sa->child.spi_in);
                    deleted_child = true;
                } else if (sa->has_old_child && spi == sa->old_child->spi_out && !deleted_old) {
                    ikev2_put32(our_spis + 4 * n_our_spis++, sa->old_child->spi_in);
                    deleted_old = true;
                } else if (n_our_spis < 3 && ikev2_child_rekey_peer_deleted(sa, spi, &redundant_spi))
                    ikev2_put32(our_spis + 4 * n_our_spis++, redundant_spi);
                else
                    log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "DELETE for unknown ESP SPI 0x%08x", spi);
            }
    }

    if (deleted_old)
        ikev2_child_install_deferred_outbound(sa);     /* the client reads the new pair now */
    ikev2_builder_init(&b, out, sizeof(out));
    if (n_our_spis && !delete_ike)
        ikev2_build_delete(&b, IKEV2_PROTOCOL_ESP, 4, our_spis, n_our_spis);
    if (ikev2_builder_finish(&b, &len) < 0)
        len = 0;
    (void)ikev2_send_encrypted(sa, IKEV2_EXCHANGE_INFORMATIONAL, true, msg->header.message_id, out, len,
                               ikev2_builder_first_type(&b));

    if (delete_ike) {
        ikev2_ike_rekey_old_deleted(sa);       /* a rekey collision's survivor takes over first */
        session_set_end_cause(sa->session, SESSION_END_USER_REQUEST);
        ikev2_ike_sa_terminate(sa->ike, sa, false, "deleted by the client");
        return;
    }
    if (deleted_old) {
        int r = child_sa_remove_sas(ike_xfrm(sa->ike), sa->old_child);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "rekeyed CHILD_SA deleted by the client: spi in 0x%08x out 0x%08x%s%s",
                     sa->old_child->spi_in, sa->old_child->spi_out, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
        ikev2_old_child_gone(sa);
    }
    if (deleted_child) {
        if (sa->has_old_child) {
            (void)child_sa_remove_sas(ike_xfrm(sa->ike), sa->old_child);
            ikev2_old_child_gone(sa);
        }
        int r = child_sa_remove(ike_xfrm(sa->ike), sa->ike->routes, &sa->child);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA deleted by the client: spi in 0x%08x out 0x%08x%s%s",
                     sa->child.spi_in, sa->child.spi_out, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
        sa->has_child = false;
    }
}

/* ---- dispatch ------------------------------------------------------------------------- */

struct ikev2_ike_sa *ikev2_sa_find(struct ike *ike, const struct ikev2_header *hdr)
{
    uint64_t local_spi = ikev2_role_local_spi(hdr);
    struct ikev2_ike_sa *sa = local_spi ? hashmap_get(ike->sas, &local_spi, sizeof(local_spi)) : NULL;
    /* A half-open SA has no rspi in the client's header yet (IKE_SA_INIT
     * is handled before); anything else must name both SPIs. */
    if (!sa || !ikev2_role_header_matches(hdr, sa->ispi, sa->rspi, sa->original_initiator))
        return NULL;
    return sa;
}

void ikev2_handle_packet(struct ike *ike, const struct ike_packet *pkt)
{
    struct ikev2_header hdr;
    struct ikev2_parse_status st;
    char peer[IKEV2_PEER_TEXT_MAX];
    struct log_ctx ctx = { .peer = peer };

    peer_text(&pkt->remote, peer, sizeof(peer));
    if (ikev2_header_parse(pkt->data, pkt->len, &hdr, &st) < 0) {
        char why[128];
        ikev2_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "dropped: %s", why);
        return;
    }
    if (hdr.flags & IKEV2_FLAG_RESPONSE) {
        ikev2_handle_response(ike, pkt, &hdr);     /* answers to our requests */
        return;
    }
    if (hdr.exchange == IKEV2_EXCHANGE_IKE_SA_INIT) {
        if (hdr.rspi != 0 || hdr.message_id != 0 || !(hdr.flags & IKEV2_FLAG_INITIATOR)) {
            ike->stats.parse_errors++;
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "IKE_SA_INIT request with responder SPI, message ID "
                          "or flags set dropped");
            return;
        }
        handle_ike_sa_init(ike, pkt, &hdr);
        return;
    }

    struct ikev2_ike_sa *sa = ikev2_sa_find(ike, &hdr);
    if (!sa) {
        ike->stats.unknown_spi++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "%s request for an unknown IKE SA %016llx_i %016llx_r dropped",
                      ikev2_exchange_name(hdr.exchange) ? ikev2_exchange_name(hdr.exchange) : "unknown",
                      (unsigned long long)hdr.ispi, (unsigned long long)hdr.rspi);
        return;
    }
    ikev2_sa_log_ctx(sa, &ctx);
    if (sa->expected_mid > 0 && hdr.message_id == sa->expected_mid - 1 && sa->response_pending) {
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "retransmitted request %u: still working on it", hdr.message_id);
        return;
    }
    if (sa->expected_mid > 0 && hdr.message_id == sa->expected_mid - 1 && sa->response.n) {
        /* RFC 7383 2.6.1: of a fragmented request, only fragment 1 brings
         * the response (all its fragments) again. */
        if (!ikev2_fragment_may_retransmit(pkt->data, pkt->len, &hdr)) {
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 2, "retransmitted request %u: not its first fragment, ignored",
                          hdr.message_id);
            return;
        }
        ike->stats.retransmits_answered++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "retransmitted request %u: sending the response again%s",
                      hdr.message_id, sa->response.n > 1 ? " (all its fragments)" : "");
        (void)ikev2_datagrams_send(ike, &sa->local, &sa->remote, &sa->response, &ctx);
        return;
    }
    if (sa->response_pending && hdr.message_id == sa->expected_mid) {
        /* Window size 1 (RFC 7296 2.3): no new request before our answer
         * to the previous one, or two jobs would work on this SA. */
        ike->stats.bad_message_id++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "request %u before the response to request %u dropped "
                      "(window size 1)", hdr.message_id, hdr.message_id - 1);
        return;
    }
    if (hdr.message_id != sa->expected_mid) {
        ike->stats.bad_message_id++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "request with message ID %u (expected %u) dropped",
                      hdr.message_id, sa->expected_mid);
        return;
    }

    struct ikev2_message *msg = malloc(sizeof(*msg));
    struct ikev2_payload_list *inner = malloc(sizeof(*inner));
    uint8_t *plain = NULL;
    size_t plain_len = 0, plain_size = 0;
    uint8_t first_inner = IKEV2_PAYLOAD_NONE;
    if (!msg || !inner)
        goto out;
    if (ikev2_message_parse(pkt->data, pkt->len, msg, &st) < 0 || !msg->sk) {
        char why[128] = "no SK or SKF payload";
        if (st.error != IKEV2_PARSE_OK)
            ikev2_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "malformed %s request dropped: %s",
                      ikev2_exchange_name(hdr.exchange) ? ikev2_exchange_name(hdr.exchange) : "unknown", why);
        goto out;
    }
    first_inner = msg->sk->next_type;
    if (msg->sk->type == IKEV2_PAYLOAD_SKF) {
        /* A fragment: kept until the message is whole (RFC 7383). */
        if (ikev2_fragment_receive(sa, msg, &ctx, &plain, &plain_len, &first_inner) <= 0)
            goto out;
        plain_size = plain_len ? plain_len : 1;
    }
    size_t aad_len = msg->sk->offset + IKEV2_PAYLOAD_HEADER_LEN;
    int r = 0;
    if (!plain) {
        plain_size = msg->sk->len ? msg->sk->len : 1;
        plain = malloc(plain_size);
        if (!plain)
            goto out;
        r = crypto_sk_decrypt(&sa->keys, ikev2_role_keys_receive(sa->original_initiator), pkt->data, aad_len,
                              msg->sk->body, msg->sk->len, plain, msg->sk->len, &plain_len);
    }
    if (r < 0) {
        ike->stats.decrypt_failures++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "%s request %u: SK payload %s, dropped",
                      ikev2_exchange_name(hdr.exchange) ? ikev2_exchange_name(hdr.exchange) : "unknown",
                      hdr.message_id, r == -EBADMSG ? "failed its integrity check" : "malformed");
        goto out;
    }
    if (plain_len == 0) {
        inner->n = 0;
        inner->n_skipped = 0;
    } else if (ikev2_chain_parse(plain, plain_len, first_inner, 0, inner, &st) < 0) {
        char why[128];
        ikev2_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        bool critical = st.error == IKEV2_PARSE_UNSUPPORTED_CRITICAL;
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "malformed payloads in %s request %u: %s: %s",
                     ikev2_exchange_name(hdr.exchange) ? ikev2_exchange_name(hdr.exchange) : "unknown",
                     hdr.message_id, why, critical ? "UNSUPPORTED_CRITICAL_PAYLOAD" : "INVALID_SYNTAX");
        sa->expected_mid++;
        if (critical) {
            uint8_t type = st.payload_type;      /* RFC 7296 2.5 */
            ikev2_send_encrypted_notify_data(sa, hdr.exchange, hdr.message_id,
                                             IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
        } else
            ikev2_send_encrypted_notify(sa, hdr.exchange, hdr.message_id, IKEV2_N_INVALID_SYNTAX);
        if (sa->state != IKEV2_SA_ESTABLISHED)
            ikev2_ike_sa_terminate(ike, sa, false, "invalid syntax in IKE_AUTH");
        goto out;
    }
    /* An authentic message: its addresses are the peer's current ones (the
     * client floats to 4500 after NAT detection; its NAT may rebind). */
    ikev2_peer_moved(sa, &pkt->local, &pkt->remote);
    ikev2_sa_log_ctx(sa, &ctx);
    log_message(&ctx, "received", &msg->header, &msg->payloads, inner);
    sa->expected_mid++;
    ikev2_peer_heard(sa);

    switch (hdr.exchange) {
    case IKEV2_EXCHANGE_IKE_AUTH:
        if (sa->state != IKEV2_SA_INIT_DONE) {
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_AUTH on an established IKE SA: INVALID_SYNTAX");
            ikev2_send_encrypted_notify(sa, hdr.exchange, hdr.message_id, IKEV2_N_INVALID_SYNTAX);
            break;
        }
        ikev2_handle_ike_auth(sa, msg, inner);
        break;
    case IKEV2_EXCHANGE_INFORMATIONAL:
        if (sa->state != IKEV2_SA_ESTABLISHED && sa->auth) {
            ikev2_auth_informational(sa, hdr.message_id, inner);    /* the client gives up (EAP) */
            break;
        }
        if (sa->state != IKEV2_SA_ESTABLISHED && sa->state != IKEV2_SA_DELETING) {
            ikev2_send_encrypted_notify(sa, hdr.exchange, hdr.message_id, IKEV2_N_INVALID_SYNTAX);
            break;
        }
        handle_informational(sa, msg, inner);
        break;
    case IKEV2_EXCHANGE_CREATE_CHILD_SA:
        if (sa->state != IKEV2_SA_ESTABLISHED) {
            ikev2_send_encrypted_notify(sa, hdr.exchange, hdr.message_id, IKEV2_N_INVALID_SYNTAX);
            break;
        }
        ikev2_handle_create_child_sa(sa, msg, inner);
        break;
    default:
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "exchange %u not supported: INVALID_SYNTAX", hdr.exchange);
        ikev2_send_encrypted_notify(sa, hdr.exchange, hdr.message_id, IKEV2_N_INVALID_SYNTAX);
        break;
    }
out:
    if (plain) {
        crypto_wipe(plain, plain_size);
        free(plain);
    }
    free(msg);
    free(inner);
}
