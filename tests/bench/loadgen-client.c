/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One simulated remote-access client: the IKEv2 initiator's side of
 * IKE_SA_INIT (with a COOKIE round when asked), IKE_AUTH with a PSK, a CP
 * request and one CHILD_SA (RFC 7296 1.2, 2.6, 2.15, 2.19), then the
 * requests a responder may send while the tunnel is up (liveness checks,
 * DELETE, a rekey we refuse), and our DELETE at the end. Messages are
 * built, parsed, protected and authenticated by vpnd's own code; only the
 * initiator's sequence lives here.
 *
 * Retransmission as RFC 7296 2.1 and strongSwan do it: the same bytes
 * again after retransmit_timeout, each wait retransmit_base times the
 * previous, retransmit_tries times; then the client gives up (abandoned).
 */
#include "loadgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto-dh.h"
#include "crypto-sk.h"
#include "crypto.h"
#include "ikev2-constants.h"
#include "ikev2-payload.h"
#include "wire.h"

#define LG_DATAGRAM_MAX 65535

static void client_fail(struct lg_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *state_name(enum lg_state s)
{
    switch (s) {
    case LG_IDLE:        return "idle";
    case LG_INIT_SENT:   return "IKE_SA_INIT";
    case LG_AUTH_SENT:   return "IKE_AUTH";
    case LG_ESTABLISHED: return "established";
    case LG_DELETE_SENT: return "DELETE";
    case LG_DONE:        return "done";
    }
    return "?";
}

static void client_fail(struct lg_client *c, const char *fmt, ...)
{
    char reason[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    struct lg *lg = c->lg;
    bool in_setup = c->state == LG_INIT_SENT || c->state == LG_AUTH_SENT;
    if (lg->opt.verbose)
        fprintf(stderr, "client %u: %s\n", c->index + 1, reason);
    lg_stats_reason(&lg->stats, reason);
    if (in_setup)
        lg->stats.failed++;
    c->failed = true;
    lg_client_close(c);
    if (in_setup)
        lg_client_settled(lg, c);
    else
        lg_client_gone(lg, c);
}

void lg_client_give_up(struct lg_client *c, const char *reason)
{
    if (c->state == LG_INIT_SENT || c->state == LG_AUTH_SENT)
        client_fail(c, "%s", reason);
}

/* ---- sending and retransmitting ------------------------------------------------- */

static void arm_timer(struct lg_client *c, uint64_t at_usec)
{
    if (sd_event_source_set_time(c->timer, at_usec) >= 0)
        (void)sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

static void transmit(struct lg_client *c)
{
    if (send(c->fd, c->request, c->request_len, 0) < 0 && c->lg->opt.verbose)
        fprintf(stderr, "client %u: send: %m\n", c->index + 1);
    c->transmissions++;
    const struct lg_options *o = &c->lg->opt;
    double wait = o->retransmit_timeout * pow(o->retransmit_base, (double)(c->transmissions - 1));
    arm_timer(c, lg_now_usec() + (uint64_t)(wait * 1e6));
}

/* Takes over buf (malloc'ed) as the request in flight and sends it. */
static void send_request(struct lg_client *c, uint8_t *buf, size_t len)
{
    free(c->request);
    c->request = buf;
    c->request_len = len;
    c->transmissions = 0;
    transmit(c);
}

static int timer_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct lg_client *c = userdata;
    if (c->state == LG_ESTABLISHED) {
        /* churn: this session's time is up */
        lg_client_disconnect(c);
        return 0;
    }
    if (!c->request)
        return 0;
    if (c->transmissions > c->lg->opt.retransmit_tries) {
        if (c->state != LG_DELETE_SENT)
            c->lg->stats.abandoned++;
        client_fail(c, "abandoned: no answer to %s", state_name(c->state));
        return 0;
    }
    c->lg->stats.retransmissions++;
    transmit(c);
    return 0;
}

/* An encrypted message of ours (we are the IKE SA's original initiator). */
static int build_encrypted(struct lg_client *c, uint8_t exchange, bool response, uint32_t mid, const uint8_t *inner,
                           size_t inner_len, uint8_t first_inner, uint8_t **ret, size_t *ret_len)
{
    size_t body_len = crypto_sk_body_len(&c->keys, inner_len);
    if (body_len == 0)
        return -EINVAL;
    size_t cap = IKEV2_HEADER_LEN + IKEV2_PAYLOAD_HEADER_LEN + body_len;
    uint8_t *buf = malloc(cap), *body = NULL;
    if (!buf)
        return -ENOMEM;
    struct ikev2_header h = {
        .ispi = c->spi_i,
        .rspi = c->spi_r,
        .major_version = IKEV2_MAJOR_VERSION,
        .minor_version = IKEV2_MINOR_VERSION,
        .exchange = exchange,
        .flags = IKEV2_FLAG_INITIATOR | (response ? IKEV2_FLAG_RESPONSE : 0),
        .message_id = mid,
    };
    struct ikev2_builder b;
    size_t len = 0;
    ikev2_builder_init(&b, buf, cap);
    ikev2_build_header(&b, &h);
    ikev2_build_sk(&b, inner_len ? first_inner : IKEV2_PAYLOAD_NONE, body_len, &body);
    int r = ikev2_builder_finish(&b, &len);
    if (r >= 0)
        r = crypto_sk_encrypt(&c->keys, true, buf, (size_t)(body - buf), inner, inner_len, body, body_len);
    if (r < 0) {
        free(buf);
        return r;
    }
    *ret = buf;
    *ret_len = len;
    return 0;
}

/* ---- IKE_SA_INIT ------------------------------------------------------------------ */

static int send_init(struct lg_client *c)
{
    uint8_t buf[2048], pub[CRYPTO_DH_PUBLIC_MAX];
    struct ikev2_sa *offer = malloc(sizeof(*offer));
    if (!offer)
        return -ENOMEM;
    lg_suite_ike_offer(&c->lg->opt.suite, offer);
    int publen = crypto_dh_public(c->dh, pub, sizeof(pub));
    if (publen < 0) {
        free(offer);
        return publen;
    }
    struct ikev2_header h = {
        .ispi = c->spi_i,
        .major_version = IKEV2_MAJOR_VERSION,
        .minor_version = IKEV2_MINOR_VERSION,
        .exchange = IKEV2_EXCHANGE_IKE_SA_INIT,
        .flags = IKEV2_FLAG_INITIATOR,
        .message_id = 0,
    };
    struct ikev2_builder b;
    size_t len = 0;
    ikev2_builder_init(&b, buf, sizeof(buf));
    ikev2_build_header(&b, &h);
    if (c->cookie_len)      /* RFC 7296 2.6: the COOKIE comes first */
        ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, IKEV2_N_COOKIE, c->cookie, c->cookie_len);
    ikev2_build_sa(&b, offer);
    ikev2_build_ke(&b, c->lg->opt.suite.dh_group, pub, (size_t)publen);
    ikev2_build_nonce(&b, c->ni, sizeof(c->ni));
    free(offer);
    int r = ikev2_builder_finish(&b, &len);
    if (r < 0)
        return r;
    uint8_t *copy = malloc(len), *req = malloc(len);
    if (!copy || !req) {
        free(copy);
        free(req);
        return -ENOMEM;
    }
    memcpy(copy, buf, len);
    memcpy(req, buf, len);
    free(c->init_sent);
    c->init_sent = copy;
    c->init_sent_len = len;
    send_request(c, req, len);
    return 0;
}

int lg_client_start(struct lg_client *c)
{
    struct lg *lg = c->lg;
    const struct lg_options *o = &lg->opt;
    int r;

    c->state = LG_IDLE;
    c->failed = false;
    c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -errno;
    memset(&c->local, 0, sizeof(c->local));
    c->local.sin_family = AF_INET;
    c->local.sin_addr = o->sources[c->index % o->n_sources];
    socklen_t sl = sizeof(c->local);
    if (bind(c->fd, (struct sockaddr *)&c->local, sizeof(c->local)) < 0 ||
        connect(c->fd, (const struct sockaddr *)&o->server, sizeof(o->server)) < 0 ||
        getsockname(c->fd, (struct sockaddr *)&c->local, &sl) < 0) {
        r = -errno;
        close(c->fd);
        c->fd = -1;
        return r;
    }
    /* Edge-triggered (lg_client_io reads until EAGAIN): sd-event dispatches
     * one source per iteration, and with thousands of sockets holding
     * answers a level-triggered epoll_wait would report every one of them
     * again on each iteration, a cost quadratic in the storm's size (a
     * 10000-client storm spent its time there and fell behind the
     * responder's half-open timeout). */
    r = sd_event_add_io(lg->event, &c->io, c->fd, EPOLLIN | EPOLLET, lg_client_io, c);
    if (r >= 0 && !c->timer) {
        r = sd_event_add_time(lg->event, &c->timer, CLOCK_MONOTONIC, UINT64_MAX, 1000, timer_cb, c);
        if (r >= 0)
            r = sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
    }
    if (r >= 0)
        r = crypto_random(&c->spi_i, sizeof(c->spi_i));
    if (r >= 0)
        r = crypto_random(c->ni, sizeof(c->ni));
    if (r >= 0)
        r = crypto_random(&c->esp_spi, sizeof(c->esp_spi));
    if (r >= 0)
        r = crypto_dh_new(crypto_dh_group_find(o->suite.dh_group), &c->dh);
    if (r < 0) {
        lg_client_close(c);
        return r;
    }
    c->esp_spi |= 0x100;            /* SPIs 0..255 are reserved */
    c->spi_r = 0;
    c->cookie_len = 0;
    c->responder_authed = c->eap_done = false;
    c->next_mid = 1;
    c->peer_next_mid = 0;
    c->start_usec = c->phase_start_usec = lg_now_usec();
    c->state = LG_INIT_SENT;
    lg->stats.started++;
    r = send_init(c);
    if (r < 0) {
        lg_client_close(c);
        return r;
    }
    return 0;
}

/* ---- IKE_AUTH ----------------------------------------------------------------------- */

/* The format with %u replaced by the client's number (%% by %): its length,
 * -ENOBUFS when it does not fit. */
static int client_id(const char *format, unsigned number, char *buf, size_t size)
{
    size_t n = 0;
    for (const char *p = format; *p; p++) {
        char num[16];
        const char *piece = p;
        size_t len = 1;
        if (p[0] == '%' && p[1] == 'u') {
            len = (size_t)snprintf(num, sizeof(num), "%u", number);
            piece = num;
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            p++;
        }
        if (n + len >= size)
            return -ENOBUFS;
        memcpy(buf + n, piece, len);
        n += len;
    }
    buf[n] = '\0';
    return (int)n;
}

static int send_auth(struct lg_client *c)
{
    const struct lg_options *o = &c->lg->opt;
    uint8_t inner[2048], id_body[4 + 128], auth[CRYPTO_PRF_OUT_MAX];
    char id[128];
    int n = client_id(o->id_format, c->index + 1, id, sizeof(id));
    if (n <= 0)
        return -EINVAL;
    memset(id_body, 0, 4);
    id_body[0] = IKEV2_ID_RFC822_ADDR;
    memcpy(id_body + 4, id, (size_t)n);
    struct crypto_auth_input in = {
        .initiator = true,
        .message = c->init_sent, .message_len = c->init_sent_len,
        .nonce = c->nr, .nonce_len = c->nr_len,
        .id_body = id_body, .id_body_len = 4 + (size_t)n,
    };
    int auth_len = 0;
    if (!o->eap_password) {         /* with EAP, AUTH comes after EAP-Success */
        auth_len = crypto_ikev2_psk_auth(&c->keys, &in, o->psk, strlen(o->psk), auth, sizeof(auth));
        if (auth_len < 0)
            return auth_len;
    }

    struct ikev2_sa *offer = malloc(sizeof(*offer));
    if (!offer)
        return -ENOMEM;
    lg_suite_esp_offer(&o->suite, c->esp_spi, offer);
    const struct ikev2_cp_attribute want[] = {
        { .type = IKEV2_CP_INTERNAL_IP4_ADDRESS },
        { .type = IKEV2_CP_INTERNAL_IP4_DNS },
    };
    struct ikev2_ts_selector any = {
        .type = IKEV2_TS_IPV4_ADDR_RANGE, .start_port = 0, .end_port = 65535,
        .start_addr = { 0, 0, 0, 0 }, .end_addr = { 255, 255, 255, 255 },
    };
    struct ikev2_builder b;
    size_t len = 0;
    ikev2_builder_init(&b, inner, sizeof(inner));
    ikev2_build_id(&b, IKEV2_PAYLOAD_IDI, IKEV2_ID_RFC822_ADDR, id, (size_t)n);
    if (auth_len)
        ikev2_build_auth(&b, IKEV2_AUTH_SHARED_KEY_MIC, auth, (size_t)auth_len);
    ikev2_build_cp(&b, IKEV2_CFG_REQUEST, want, 2);
    ikev2_build_sa(&b, offer);
    ikev2_build_ts(&b, IKEV2_PAYLOAD_TSI, &any, 1);
    ikev2_build_ts(&b, IKEV2_PAYLOAD_TSR, &any, 1);
    free(offer);
    crypto_wipe(auth, sizeof(auth));
    int r = ikev2_builder_finish(&b, &len);
    if (r < 0)
        return r;
    uint8_t *msg;
    size_t msg_len;
    r = build_encrypted(c, IKEV2_EXCHANGE_IKE_AUTH, false, c->next_mid, inner, len, ikev2_builder_first_type(&b),
                        &msg, &msg_len);
    if (r < 0)
        return r;
    c->next_mid++;
    c->state = LG_AUTH_SENT;
    c->phase_start_usec = lg_now_usec();
    send_request(c, msg, msg_len);
    return 0;
}

/* The first error Notify (types below 16384) of a chain, or 0. */
static uint16_t error_notify(const struct ikev2_payload_list *list)
{
    for (size_t i = 0; i < list->n; i++) {
        struct ikev2_notify n;
        struct ikev2_parse_status st;
        if (list->p[i].type == IKEV2_PAYLOAD_NOTIFY && ikev2_notify_decode(&list->p[i], &n, &st) == 0 &&
            n.type < IKEV2_N_INITIAL_CONTACT)
            return n.type;
    }
    return 0;
}

static const char *notify_name(uint16_t type, char *buf, size_t size)
{
    const char *n = ikev2_notify_long_name(type);
    if (n)
        return n;
    snprintf(buf, size, "notify %u", type);
    return buf;
}

static void handle_init_response(struct lg_client *c, const struct ikev2_message *m)
{
    const struct lg_options *o = &c->lg->opt;
    struct ikev2_parse_status st;
    char nb[32];

    const struct ikev2_payload *p = ikev2_notify_find(&m->payloads, IKEV2_N_COOKIE);
    if (p) {
        struct ikev2_notify n;
        if (ikev2_notify_decode(p, &n, &st) < 0 || n.len < 1 || n.len > sizeof(c->cookie)) {
            client_fail(c, "IKE_SA_INIT: malformed COOKIE");
            return;
        }
        memcpy(c->cookie, n.data, n.len);
        c->cookie_len = n.len;
        c->lg->stats.cookies++;
        if (send_init(c) < 0)
            client_fail(c, "IKE_SA_INIT: cannot build the request with the COOKIE");
        return;
    }
    uint16_t err = error_notify(&m->payloads);
    if (err) {
        client_fail(c, "IKE_SA_INIT: %s", notify_name(err, nb, sizeof(nb)));
        return;
    }
    const struct ikev2_payload *sa_p = ikev2_payload_find(&m->payloads, IKEV2_PAYLOAD_SA);
    const struct ikev2_payload *ke_p = ikev2_payload_find(&m->payloads, IKEV2_PAYLOAD_KE);
    const struct ikev2_payload *no_p = ikev2_payload_find(&m->payloads, IKEV2_PAYLOAD_NONCE);
    if (!sa_p || !ke_p || !no_p || m->header.rspi == 0) {
        client_fail(c, "IKE_SA_INIT: response without SA, KE or Nr");
        return;
    }
    struct ikev2_sa *sa = malloc(sizeof(*sa));
    struct ikev2_ike_choice choice;
    struct ikev2_ke ke;
    struct ikev2_nonce nonce;
    if (!sa) {
        client_fail(c, "out of memory");
        return;
    }
    int r = ikev2_sa_decode(sa_p, sa, &st);
    if (r >= 0)
        r = ikev2_choose_ike(sa, o->suite.ike_list, 1, &choice, NULL, NULL);
    free(sa);
    if (r < 0) {
        client_fail(c, "IKE_SA_INIT: the responder chose a proposal we did not offer");
        return;
    }
    if (ikev2_ke_decode(ke_p, &ke, &st) < 0 || ke.group != o->suite.dh_group ||
        ikev2_nonce_decode(no_p, &nonce, &st) < 0 || nonce.len > sizeof(c->nr)) {
        client_fail(c, "IKE_SA_INIT: bad KE or Nr");
        return;
    }
    uint8_t shared[CRYPTO_DH_SHARED_MAX], spi_i[8], spi_r[8];
    size_t shared_len = 0;
    r = crypto_dh_compute(c->dh, ke.data, ke.len, shared, sizeof(shared), &shared_len);
    if (r < 0) {
        client_fail(c, "IKE_SA_INIT: the responder's KE is invalid");
        return;
    }
    c->spi_r = m->header.rspi;
    memcpy(c->nr, nonce.data, nonce.len);
    c->nr_len = nonce.len;
    wire_put64(spi_i, c->spi_i);
    wire_put64(spi_r, c->spi_r);
    struct crypto_ike_suite suite = { choice.encr, choice.integ, choice.prf, choice.dh };
    r = crypto_ikev2_derive_ike_keys(&suite, shared, shared_len, c->ni, sizeof(c->ni), c->nr, c->nr_len, spi_i,
                                     spi_r, &c->keys);
    crypto_wipe(shared, sizeof(shared));
    crypto_dh_free(c->dh);
    c->dh = NULL;
    if (r < 0) {
        client_fail(c, "IKE_SA_INIT: key derivation failed");
        return;
    }
    free(c->init_received);
    c->init_received = malloc(m->header.length);
    if (!c->init_received) {
        client_fail(c, "out of memory");
        return;
    }
    memcpy(c->init_received, m->raw, m->header.length);
    c->init_received_len = m->header.length;
    lg_stats_sample(&c->lg->stats, LG_PHASE_INIT, lg_now_usec() - c->phase_start_usec);
    if (send_auth(c) < 0)
        client_fail(c, "IKE_AUTH: cannot build the request");
}

/* Decrypts m's SK payload into plain and parses the inner chain. */
static int decrypt(struct lg_client *c, const struct ikev2_message *m, uint8_t *plain, size_t plain_max,
                   struct ikev2_payload_list *inner)
{
    struct ikev2_parse_status st;
    size_t plain_len = 0;
    if (!m->sk || m->sk->type != IKEV2_PAYLOAD_SK)
        return -EBADMSG;
    int r = crypto_sk_decrypt(&c->keys, false, m->raw, m->sk->offset + IKEV2_PAYLOAD_HEADER_LEN, m->sk->body,
                              m->sk->len, plain, plain_max, &plain_len);
    if (r < 0)
        return r;
    return ikev2_chain_parse(plain, plain_len, m->sk->next_type, 0, inner, &st);
}

/* Another IKE_AUTH request of ours (EAP rounds, the AUTH after EAP). */
static int send_auth_round(struct lg_client *c, const uint8_t *inner, size_t len, uint8_t first)
{
    uint8_t *msg;
    size_t msg_len;
    int r = build_encrypted(c, IKEV2_EXCHANGE_IKE_AUTH, false, c->next_mid, inner, len, first, &msg, &msg_len);
    if (r < 0)
        return r;
    c->next_mid++;
    send_request(c, msg, msg_len);
    return 0;
}

/* The IDi payload's body (what AUTH signs) of this client. */
static size_t idi_body(const struct lg_client *c, uint8_t *buf, size_t size)
{
    char id[128];
    int n = client_id(c->lg->opt.id_format, c->index + 1, id, sizeof(id));
    if (n <= 0 || (size_t)n + 4 > size)
        return 0;
    memset(buf, 0, 4);
    buf[0] = IKEV2_ID_RFC822_ADDR;
    memcpy(buf + 4, id, (size_t)n);
    return 4 + (size_t)n;
}

/* One EAP round (RFC 7296 2.16): answer the server's EAP request, or after
 * EAP-Success send our AUTH keyed with the MSK. */
static void eap_round(struct lg_client *c, const struct ikev2_payload_list *inner)
{
    const struct lg_options *o = &c->lg->opt;
    const struct ikev2_payload *p = ikev2_payload_find(inner, IKEV2_PAYLOAD_EAP);
    struct ikev2_parse_status st;
    struct ikev2_eap req;
    uint8_t data[512], out[1024], type = 0;
    size_t data_len = 0, len = 0;
    const char *why = "malformed EAP payload";
    char user[128];
    struct ikev2_builder b;

    if (!p || ikev2_eap_decode(p, &req, &st) < 0) {
        client_fail(c, "IKE_AUTH: %s", p ? why : "no EAP request from the responder");
        return;
    }
    if (client_id(o->id_format, c->index + 1, user, sizeof(user)) <= 0) {
        client_fail(c, "IKE_AUTH: identity too long");
        return;
    }
    int r = lg_eap_step(&c->eap, user, o->eap_password, &req, &type, data, sizeof(data), &data_len, &why);
    if (r < 0) {
        client_fail(c, "IKE_AUTH: %s", why);
        return;
    }
    ikev2_builder_init(&b, out, sizeof(out));
    if (r == 0) {
        ikev2_build_eap(&b, IKEV2_EAP_RESPONSE, req.id, type, data, data_len);
    } else {
        uint8_t body[4 + 128], auth[CRYPTO_PRF_OUT_MAX];
        struct crypto_auth_input in = {
            .initiator = true,
            .message = c->init_sent, .message_len = c->init_sent_len,
            .nonce = c->nr, .nonce_len = c->nr_len,
            .id_body = body, .id_body_len = idi_body(c, body, sizeof(body)),
        };
        int auth_len = -EINVAL;
        if (lg_eap_msk(&c->eap, c->msk) == 0)
            auth_len = crypto_ikev2_eap_auth(&c->keys, &in, c->msk, sizeof(c->msk), auth, sizeof(auth));
        if (auth_len < 0) {
            client_fail(c, "IKE_AUTH: cannot compute AUTH from the EAP MSK");
            return;
        }
        ikev2_build_auth(&b, IKEV2_AUTH_SHARED_KEY_MIC, auth, (size_t)auth_len);
        crypto_wipe(auth, sizeof(auth));
        c->eap_done = true;
    }
    if (ikev2_builder_finish(&b, &len) < 0 || send_auth_round(c, out, len, ikev2_builder_first_type(&b)) < 0)
        client_fail(c, "IKE_AUTH: cannot build the next request");
}

/* The responder's AUTH: with the PSK in its first IKE_AUTH answer, with the
 * EAP MSK in its last one after EAP. */
static bool responder_auth_ok(struct lg_client *c, const struct ikev2_payload_list *inner, bool with_msk)
{
    const struct lg_options *o = &c->lg->opt;
    const struct ikev2_payload *auth_p = ikev2_payload_find(inner, IKEV2_PAYLOAD_AUTH);
    struct ikev2_parse_status st;
    struct ikev2_auth auth;
    if (!auth_p || ikev2_auth_decode(auth_p, &auth, &st) < 0) {
        client_fail(c, "IKE_AUTH: response without AUTH");
        return false;
    }
    if (auth.method != IKEV2_AUTH_SHARED_KEY_MIC) {
        client_fail(c, "IKE_AUTH: the responder authenticates with method %u, not the PSK", auth.method);
        return false;
    }
    struct crypto_auth_input in = {
        .initiator = false,
        .message = c->init_received, .message_len = c->init_received_len,
        .nonce = c->ni, .nonce_len = sizeof(c->ni),
        .id_body = c->idr_body, .id_body_len = c->idr_body_len,
    };
    bool ok;
    if (with_msk) {
        uint8_t expected[CRYPTO_PRF_OUT_MAX];
        int n = crypto_ikev2_eap_auth(&c->keys, &in, c->msk, sizeof(c->msk), expected, sizeof(expected));
        ok = n > 0 && (size_t)n == auth.len && crypto_memequal(expected, auth.data, auth.len);
    } else {
        ok = crypto_ikev2_psk_auth_verify(&c->keys, &in, o->psk, strlen(o->psk), auth.data, auth.len) == 1;
    }
    if (!ok)
        client_fail(c, "IKE_AUTH: the responder's AUTH does not match the %s", with_msk ? "EAP MSK" : "PSK");
    return ok;
}

static void handle_auth_response(struct lg_client *c, const struct ikev2_message *m)
{
    const struct lg_options *o = &c->lg->opt;
    static uint8_t plain[LG_DATAGRAM_MAX];
    struct ikev2_payload_list *inner = malloc(sizeof(*inner));
    struct ikev2_sa *sa = malloc(sizeof(*sa));
    struct ikev2_cp *cp = malloc(sizeof(*cp));
    struct ikev2_parse_status st;
    char nb[32];

    if (!inner || !sa || !cp) {
        client_fail(c, "out of memory");
        goto out;
    }
    if (decrypt(c, m, plain, sizeof(plain), inner) < 0)
        goto out;               /* not authentic: dropped, the retransmission goes on */
    uint16_t err = error_notify(inner);
    if (err) {
        client_fail(c, "IKE_AUTH: %s", notify_name(err, nb, sizeof(nb)));
        goto out;
    }
    if (!c->responder_authed) {
        const struct ikev2_payload *id_p = ikev2_payload_find(inner, IKEV2_PAYLOAD_IDR);
        struct ikev2_id idr;
        if (!id_p || ikev2_id_decode(id_p, &idr, &st) < 0 || idr.body_len > sizeof(c->idr_body)) {
            client_fail(c, "IKE_AUTH: response without a usable IDr");
            goto out;
        }
        memcpy(c->idr_body, idr.body, idr.body_len);
        c->idr_body_len = idr.body_len;
        if (!responder_auth_ok(c, inner, false))
            goto out;
        c->responder_authed = true;
    }
    if (o->eap_password && !c->eap_done) {
        eap_round(c, inner);
        goto out;
    }
    if (o->eap_password && !responder_auth_ok(c, inner, true))
        goto out;
    const struct ikev2_payload *cp_p = ikev2_payload_find(inner, IKEV2_PAYLOAD_CP);
    bool have_vip = false;
    if (cp_p && ikev2_cp_decode(cp_p, cp, &st) == 0 && cp->type == IKEV2_CFG_REPLY)
        for (size_t i = 0; i < cp->n; i++)
            if (cp->attrs[i].type == IKEV2_CP_INTERNAL_IP4_ADDRESS && cp->attrs[i].len >= 4) {
                memcpy(&c->vip, cp->attrs[i].value, 4);
                have_vip = true;
                break;
            }
    if (!have_vip) {
        client_fail(c, "IKE_AUTH: no address assigned");
        goto out;
    }
    const struct ikev2_payload *sa_p = ikev2_payload_find(inner, IKEV2_PAYLOAD_SA);
    struct ikev2_esp_choice esp;
    if (!sa_p || ikev2_sa_decode(sa_p, sa, &st) < 0 ||
        ikev2_choose_esp(sa, o->suite.esp_list, 1, &esp, NULL, NULL) < 0 ||
        !ikev2_payload_find(inner, IKEV2_PAYLOAD_TSI) || !ikev2_payload_find(inner, IKEV2_PAYLOAD_TSR)) {
        client_fail(c, "IKE_AUTH: no acceptable CHILD SA in the response");
        goto out;
    }
    uint64_t now = lg_now_usec();
    lg_stats_sample(&c->lg->stats, LG_PHASE_AUTH, now - c->phase_start_usec);
    lg_stats_sample(&c->lg->stats, LG_PHASE_TOTAL, now - c->start_usec);
    free(c->request);
    c->request = NULL;
    (void)sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
    c->state = LG_ESTABLISHED;
    c->lg->stats.established++;
    c->lg->stats.last_established_usec = now;
    lg_client_settled(c->lg, c);
out:
    free(inner);
    free(sa);
    free(cp);
}

/* ---- the responder's requests ---------------------------------------------------------- */

static void answer(struct lg_client *c, const struct ikev2_header *req, const uint8_t *inner, size_t inner_len,
                   uint8_t first)
{
    uint8_t *msg;
    size_t len;
    if (build_encrypted(c, req->exchange, true, req->message_id, inner, inner_len, first, &msg, &len) < 0)
        return;
    (void)send(c->fd, msg, len, 0);
    free(c->response);
    c->response = msg;
    c->response_len = len;
    c->peer_next_mid = req->message_id + 1;
}

static void handle_request(struct lg_client *c, const struct ikev2_message *m)
{
    static uint8_t plain[LG_DATAGRAM_MAX];
    struct ikev2_payload_list *inner;
    struct ikev2_parse_status st;

    if (c->state < LG_ESTABLISHED)
        return;
    if (c->response && m->header.message_id + 1 == c->peer_next_mid) {
        (void)send(c->fd, c->response, c->response_len, 0);     /* it did not get our answer */
        return;
    }
    if (m->header.message_id != c->peer_next_mid)
        return;
    inner = malloc(sizeof(*inner));
    if (!inner || decrypt(c, m, plain, sizeof(plain), inner) < 0) {
        free(inner);
        return;
    }
    uint8_t out[256];
    struct ikev2_builder b;
    size_t len = 0;
    bool ike_deleted = false;
    ikev2_builder_init(&b, out, sizeof(out));
    if (m->header.exchange == IKEV2_EXCHANGE_INFORMATIONAL) {
        const struct ikev2_payload *d = ikev2_payload_find(inner, IKEV2_PAYLOAD_DELETE);
        struct ikev2_delete del;
        if (d && ikev2_delete_decode(d, &del, &st) == 0) {
            if (del.protocol == IKEV2_PROTOCOL_IKE) {
                ike_deleted = true;
            } else if (del.protocol == IKEV2_PROTOCOL_ESP) {
                /* RFC 7296 1.4.1: answer with the other half of the pair. */
                uint8_t spi[4];
                wire_put32(spi, c->esp_spi);
                ikev2_build_delete(&b, IKEV2_PROTOCOL_ESP, 4, spi, 1);
            }
        } else {
            c->lg->stats.dpd_answered++;
        }
    } else {
        /* A rekey or another CHILD SA: the generator keeps one. */
        ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, IKEV2_N_NO_ADDITIONAL_SAS, NULL, 0);
        c->lg->stats.requests_refused++;
    }
    if (ikev2_builder_finish(&b, &len) == 0)
        answer(c, &m->header, out, len, ikev2_builder_first_type(&b));
    free(inner);
    if (ike_deleted) {
        c->lg->stats.deleted_by_peer++;
        lg_client_close(c);
        lg_client_gone(c->lg, c);
    }
}

/* ---- our DELETE ----------------------------------------------------------------------- */

void lg_client_disconnect(struct lg_client *c)
{
    if (c->state != LG_ESTABLISHED)
        return;
    uint8_t inner[64], *msg;
    size_t len = 0, msg_len;
    struct ikev2_builder b;
    ikev2_builder_init(&b, inner, sizeof(inner));
    ikev2_build_delete(&b, IKEV2_PROTOCOL_IKE, 0, NULL, 0);
    if (ikev2_builder_finish(&b, &len) < 0 ||
        build_encrypted(c, IKEV2_EXCHANGE_INFORMATIONAL, false, c->next_mid, inner, len,
                        ikev2_builder_first_type(&b), &msg, &msg_len) < 0) {
        client_fail(c, "DELETE: cannot build the request");
        return;
    }
    c->next_mid++;
    c->state = LG_DELETE_SENT;
    c->phase_start_usec = lg_now_usec();
    send_request(c, msg, msg_len);
}

static void handle_delete_response(struct lg_client *c, const struct ikev2_message *m)
{
    static uint8_t plain[LG_DATAGRAM_MAX];
    struct ikev2_payload_list *inner = malloc(sizeof(*inner));
    if (!inner || decrypt(c, m, plain, sizeof(plain), inner) < 0) {
        free(inner);
        return;
    }
    free(inner);
    lg_stats_sample(&c->lg->stats, LG_PHASE_DELETE, lg_now_usec() - c->phase_start_usec);
    c->lg->stats.deleted++;
    lg_client_close(c);
    lg_client_gone(c->lg, c);
}

/* ---- receiving -------------------------------------------------------------------------- */

int lg_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    static uint8_t buf[LG_DATAGRAM_MAX];
    struct lg_client *c = userdata;
    struct ikev2_message *m = malloc(sizeof(*m));
    struct ikev2_parse_status st;
    unsigned errors = 0;

    if (!m)
        return 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || ++errors > 4))
            break;          /* drained (edge-triggered: to the end) */
        if (n < 0)
            continue;       /* an ICMP error on the connected socket (reported once): retransmission handles it */
        if (ikev2_message_parse(buf, (size_t)n, m, &st) < 0 || m->header.ispi != c->spi_i)
            continue;
        if (!(m->header.flags & IKEV2_FLAG_RESPONSE)) {
            if (m->header.rspi == c->spi_r)
                handle_request(c, m);
        } else if (c->state == LG_INIT_SENT && m->header.exchange == IKEV2_EXCHANGE_IKE_SA_INIT &&
                   m->header.message_id == 0) {
            handle_init_response(c, m);
        } else if (m->header.rspi != c->spi_r || !c->request || m->header.message_id + 1 != c->next_mid) {
            continue;       /* not an answer to what we have in flight */
        } else if (c->state == LG_AUTH_SENT && m->header.exchange == IKEV2_EXCHANGE_IKE_AUTH) {
            handle_auth_response(c, m);
        } else if (c->state == LG_DELETE_SENT && m->header.exchange == IKEV2_EXCHANGE_INFORMATIONAL) {
            handle_delete_response(c, m);
        }
        if (c->fd != fd)
            break;          /* closed (or restarted) by what we just handled */
    }
    free(m);
    return 0;
}

void lg_client_close(struct lg_client *c)
{
    c->io = sd_event_source_disable_unref(c->io);
    if (c->timer)
        (void)sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    crypto_dh_free(c->dh);
    c->dh = NULL;
    crypto_ike_keys_wipe(&c->keys);
    lg_eap_wipe(&c->eap);
    crypto_wipe(c->msk, sizeof(c->msk));
    free(c->request);
    free(c->response);
    free(c->init_sent);
    free(c->init_received);
    c->request = c->response = c->init_sent = c->init_received = NULL;
    c->state = LG_DONE;
}
