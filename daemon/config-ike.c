/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ike = { cookie-threshold = 100; half-open-per-peer = 10; half-open-max = 20000;
 *         fragment-size = 1280; retransmit-timeout = 4; retransmit-tries = 5; }
 *
 * Daemon-wide IKE behaviour: how many half-open SAs are tolerated before
 * IKE_SA_INIT needs a cookie (RFC 7296 2.6), the size IKE messages are
 * fragmented to (RFC 7383), and how vpnd retransmits its own requests
 * (RFC 7296 2.1: DPD, DELETE, rekeys). Every key is optional.
 */
#include "config-internal.h"

int config_parse_ike(struct config_parser *p, const config_setting_t *s)
{
    static const char *const keys[] = {
        "cookie-threshold", "half-open-per-peer", "half-open-max", "fragment-size",
        "retransmit-timeout", "retransmit-tries", NULL
    };
    struct config_ike *ike = &p->config->ike;
    unsigned long long v;
    int r;

    *ike = (struct config_ike){
        .cookie_threshold = 100,
        .half_open_per_peer = 10,
        .half_open_max = 20000,
        .fragment_size = 1280,
        .retransmit_timeout_ms = 4000,
        .retransmit_tries = 5,
    };
    if (!s)
        return 0;
    r = config_check_keys(p, s, "ike", keys);
    if (r < 0)
        return r;

    /* 0: every IKE_SA_INIT must carry a cookie (useful under attack and in tests). */
    v = ike->cookie_threshold;
    r = config_member_uint(p, s, "ike", "cookie-threshold", 0, 1000000, &v);
    if (r < 0)
        return r;
    ike->cookie_threshold = (unsigned)v;

    v = ike->half_open_per_peer;
    r = config_member_uint(p, s, "ike", "half-open-per-peer", 1, 1000000, &v);
    if (r < 0)
        return r;
    ike->half_open_per_peer = (unsigned)v;

    v = ike->half_open_max;
    r = config_member_uint(p, s, "ike", "half-open-max", 1, 10000000, &v);
    if (r < 0)
        return r;
    ike->half_open_max = (unsigned)v;

    /* RFC 7383 2.5.1: 1280 for IPv6 (and a safe IPv4 default); below 576 an
     * IPv4 path is broken anyway, above 65000 nothing is fragmented. */
    v = ike->fragment_size;
    r = config_member_uint(p, s, "ike", "fragment-size", 576, 65000, &v);
    if (r < 0)
        return r;
    ike->fragment_size = (unsigned)v;

    v = ike->retransmit_timeout_ms / 1000;
    r = config_member_uint(p, s, "ike", "retransmit-timeout", 1, 60, &v);
    if (r < 0)
        return r;
    ike->retransmit_timeout_ms = (unsigned)v * 1000;

    v = ike->retransmit_tries;
    r = config_member_uint(p, s, "ike", "retransmit-tries", 0, 20, &v);
    if (r < 0)
        return r;
    ike->retransmit_tries = (unsigned)v;
    return 0;
}
