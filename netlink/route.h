/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Host routes for addresses assigned to clients (reverse route injection),
 * through libnl-route-3. Routes are tagged with vpnd's routing protocol
 * number so that route_flush_owned() removes ours and nothing else after a
 * crash. Functions return 0 or a negative errno.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

/* rtm_protocol for vpnd's routes; unused by the numbers in
 * /etc/iproute2/rt_protos and by the kernel (which only knows <= 4). */
#define ROUTE_PROTO_VPND 86

union route_addr {
    struct in_addr in;
    struct in6_addr in6;
};

struct route_host {
    int family;                 /* AF_INET or AF_INET6 */
    union route_addr dst;       /* the client's address: a /32 or /128 */
    uint32_t table;             /* 0: main */
    int ifindex;                /* 0: none */
    bool has_gateway;
    union route_addr gateway;
    uint32_t metric;
};

struct route_handle;

int route_open(struct route_handle **ret);
struct route_handle *route_close(struct route_handle *h);

/* -EEXIST when the table already has a route to that address. */
int route_host_add(struct route_handle *h, const struct route_host *r);
/* -ESRCH when there is no such route of ours. */
int route_host_del(struct route_handle *h, const struct route_host *r);
/* Removes every route of vpnd's protocol from table (0: main) and family
 * (AF_UNSPEC: both); *ret_count gets how many. */
int route_flush_owned(struct route_handle *h, uint32_t table, int family, unsigned *ret_count);
