/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Kernel XFRM notifications (multicast groups) delivered into sd-event as
 * decoded structs: SA expiry (soft and hard), ACQUIRE, NAT mapping changes
 * and policy expiry. When the kernel drops notifications because the socket
 * buffer overran, the caller gets XFRM_EVENT_OVERRUN and must resynchronise
 * (for instance by dumping the SAs it cares about). When the socket fails in
 * any other way the monitor stops and says so once with XFRM_EVENT_FAILED,
 * so that the daemon can log it and open a new monitor instead of going
 * deaf without a word.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "xfrm.h"

enum xfrm_event_type {
    XFRM_EVENT_EXPIRE,
    XFRM_EVENT_ACQUIRE,
    XFRM_EVENT_MAPPING,
    XFRM_EVENT_POLEXPIRE,
    XFRM_EVENT_OVERRUN,
    XFRM_EVENT_FAILED,          /* the monitor stopped: `error` says why */
};

struct xfrm_event_expire {
    bool hard;
    struct xfrm_sa_info info;   /* addresses, spi, reqid, mark, counters */
};

struct xfrm_event_acquire {
    uint16_t family;            /* of the tunnel endpoints */
    xfrm_address_t src, dst;
    struct xfrm_ts sel;         /* the packet's flow */
    uint32_t reqid;             /* of the first template */
    uint32_t seq;               /* to answer with an SA */
    struct xfrm_sp policy;      /* the policy that asked for an SA */
};

struct xfrm_event_mapping {
    struct xfrm_sa_id id;       /* the inbound SA whose peer moved */
    uint32_t reqid;
    xfrm_address_t old_src, new_src;
    uint16_t old_sport, new_sport;  /* host order */
};

struct xfrm_event_polexpire {
    bool hard;
    struct xfrm_sp sp;
};

struct xfrm_event {
    enum xfrm_event_type type;
    union {
        struct xfrm_event_expire expire;
        struct xfrm_event_acquire acquire;
        struct xfrm_event_mapping mapping;
        struct xfrm_event_polexpire polexpire;
        int error;              /* XFRM_EVENT_FAILED: negative errno */
    };
};

typedef void (*xfrm_event_fn)(const struct xfrm_event *ev, void *userdata);

struct xfrm_monitor;

/* Subscribe to the expire, acquire and mapping groups; fn runs from the loop. */
int xfrm_monitor_new(sd_event *e, xfrm_event_fn fn, void *userdata,
                     struct xfrm_monitor **ret);
struct xfrm_monitor *xfrm_monitor_free(struct xfrm_monitor *m);

/* Notifications dropped because they were malformed or of a kind the monitor
 * does not decode, since the monitor was created. */
uint64_t xfrm_monitor_dropped(const struct xfrm_monitor *m);
