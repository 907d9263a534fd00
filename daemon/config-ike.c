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
#include <stddef.h>

#include "config-internal.h"

int config_parse_ike(struct config_parser *p, const config_setting_t *s)
{
    static const char *const keys[] = {
        "cookie-threshold", "half-open-per-peer", "half-open-max", "fragment-size",
        "retransmit-timeout", "retransmit-tries", NULL
    };
    struct config_ike *ike = &p->config->ike;
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

    /* min..max; `scale` converts the written unit into the stored one. */
    static const struct {
        const char *key;
        size_t offset;
        unsigned long long min, max;
        unsigned scale;
    } numbers[] = {
        /* 0: every IKE_SA_INIT must carry a cookie (under attack, in tests). */
        { "cookie-threshold", offsetof(struct config_ike, cookie_threshold), 0, 1000000, 1 },
        { "half-open-per-peer", offsetof(struct config_ike, half_open_per_peer), 1, 1000000, 1 },
        { "half-open-max", offsetof(struct config_ike, half_open_max), 1, 10000000, 1 },
        /* RFC 7383 2.5.1: 1280 suits IPv6 (and IPv4); below 576 an IPv4 path
         * is broken anyway, above 65000 nothing is fragmented. */
        { "fragment-size", offsetof(struct config_ike, fragment_size), 576, 65000, 1 },
        { "retransmit-timeout", offsetof(struct config_ike, retransmit_timeout_ms), 1, 60, 1000 },
        { "retransmit-tries", offsetof(struct config_ike, retransmit_tries), 0, 20, 1 },
    };
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        unsigned *field = (unsigned *)((char *)ike + numbers[i].offset);
        unsigned long long v = *field / numbers[i].scale;
        r = config_member_uint(p, s, "ike", numbers[i].key, numbers[i].min, numbers[i].max, &v);
        if (r < 0)
            return r;
        *field = (unsigned)v * numbers[i].scale;
    }
    return 0;
}
