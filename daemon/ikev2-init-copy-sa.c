/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The second copy of a half-open IKE SA's IKE_SA_INIT request, the one
 * carrying our COOKIE (see ikev2-init-copy.h).
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ike-internal.h"
#include "ikev2-cookies-sent.h"
#include "ikev2-init-copy.h"
#include "ikev2-sa.h"
#include "ikev2-wire.h"

/* Whether pkt's first payload is a COOKIE we made for this initiator,
 * its Nonce and SPIi. */
static bool carries_valid_cookie(struct ike *ike, const struct ike_packet *pkt)
{
    struct ikev2_parse_status st;
    struct ikev2_message *msg;
    struct ikev2_notify n;
    struct ikev2_nonce nonce;
    struct ikev2_peer_addr peer;
    bool valid = false;

    if (!ike->cookies)
        return false;
    msg = malloc(sizeof(*msg));
    if (!msg || ikev2_message_parse(pkt->data, pkt->len, msg, &st) < 0 || msg->payloads.n == 0)
        goto out;
    const struct ikev2_payload *p_no = ikev2_payload_find(&msg->payloads, IKEV2_PAYLOAD_NONCE);
    if (msg->payloads.p[0].type != IKEV2_PAYLOAD_NOTIFY || ikev2_notify_decode(&msg->payloads.p[0], &n, &st) < 0 ||
        n.type != IKEV2_N_COOKIE || !p_no || ikev2_nonce_decode(p_no, &nonce, &st) < 0)
        goto out;
    memset(&peer, 0, sizeof(peer));
    peer.family = pkt->remote.sa.sa_family;
    if (peer.family == AF_INET6)
        memcpy(peer.addr, &pkt->remote.in6.sin6_addr, 16);
    else
        memcpy(peer.addr, &pkt->remote.in.sin_addr, 4);
    valid = ikev2_cookie_valid(ike->cookies, monotonic_usec(), n.data, n.len, nonce.data, nonce.len, &peer,
                               msg->header.ispi);
out:
    free(msg);
    return valid;
}

bool ikev2_init_copy_keep(struct ike *ike, struct ikev2_ike_sa *sa, const struct ike_packet *pkt)
{
    if (!sa->init_request)
        return false;
    if (sa->init_request_alt && sa->init_request_alt_len == pkt->len &&
        memcmp(sa->init_request_alt, pkt->data, pkt->len) == 0)
        return true;
    if (!ikev2_init_copy_same_request(sa->init_request, sa->init_request_len, pkt->data, pkt->len) ||
        !carries_valid_cookie(ike, pkt))
        return false;
    uint8_t *copy = malloc(pkt->len);
    if (!copy)
        return false;
    memcpy(copy, pkt->data, pkt->len);
    /* The client signs the copy it sent last: this one replaces one made
     * from an earlier cookie (ikev2_init_copy_expect_retry()). */
    free(sa->init_request_alt);
    sa->init_request_alt = copy;
    sa->init_request_alt_len = pkt->len;
    return true;
}

int ikev2_init_copy_check(struct ikev2_ike_sa *sa, ikev2_init_copy_check_fn check, void *arg)
{
    int r = check(sa->init_request, sa->init_request_len, arg);
    if (r != 0 || !sa->init_request_alt)
        return r;
    uint8_t *m = sa->init_request;
    size_t len = sa->init_request_len;
    sa->init_request = sa->init_request_alt;
    sa->init_request_len = sa->init_request_alt_len;
    sa->init_request_alt = m;
    sa->init_request_alt_len = len;
    return check(sa->init_request, sa->init_request_len, arg);
}

void ikev2_init_copy_expect_retry(struct ike *ike, struct ikev2_ike_sa *sa)
{
    uint8_t cookie[IKEV2_COOKIE_LEN];
    /* The client's retry schedule is minutes long at most; a cookie is
     * valid for less (ikev2-cookie.c). */
    size_t cookie_len = ikev2_cookies_sent_find(ike->cookies_sent, sa->ispi, &sa->remote, monotonic_usec(),
                                                120 * 1000000ULL, cookie, sizeof(cookie));
    if (!cookie_len || sa->init_request_alt)
        return;
    size_t len;
    uint8_t *retry = ikev2_init_copy_with_cookie(sa->init_request, sa->init_request_len, cookie, cookie_len, &len);
    if (!retry)
        return;
    sa->init_request_alt = retry;
    sa->init_request_alt_len = len;
}
