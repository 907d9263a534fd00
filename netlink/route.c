/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Host routes through libnl-route-3. The kernel matches rtm_protocol on
 * delete (fib_table_delete(), ip6_route_del()), so deleting with our
 * protocol number never removes a route someone else installed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>

#include "route.h"

struct route_handle {
    struct nl_sock *sk;
};

/* libnl folds kernel errnos into its own codes; map back what it can. */
static int errno_from_nl(int nlerr)
{
    switch (nlerr < 0 ? -nlerr : nlerr) {
    case NLE_SUCCESS:         return 0;
    case NLE_INTR:            return -EINTR;
    case NLE_AGAIN:           return -EAGAIN;
    case NLE_NOMEM:           return -ENOMEM;
    case NLE_EXIST:           return -EEXIST;
    case NLE_INVAL:           return -EINVAL;
    case NLE_RANGE:           return -ERANGE;
    case NLE_MSGSIZE:         return -EMSGSIZE;
    case NLE_OPNOTSUPP:       return -EOPNOTSUPP;
    case NLE_AF_NOSUPPORT:    return -EAFNOSUPPORT;
    case NLE_OBJ_NOTFOUND:    return -ESRCH;
    case NLE_NOADDR:          return -EADDRNOTAVAIL;
    case NLE_BUSY:            return -EBUSY;
    case NLE_NOACCESS:        return -EACCES;
    case NLE_PERM:            return -EPERM;
    case NLE_NODEV:           return -ENODEV;
    case NLE_MSG_TRUNC:
    case NLE_MSG_TOOSHORT:
    case NLE_PARSE_ERR:       return -EBADMSG;
    default:                  return -EIO;
    }
}

int route_open(struct route_handle **ret)
{
    struct route_handle *h = calloc(1, sizeof(*h));
    int r;

    if (!h)
        return -ENOMEM;
    h->sk = nl_socket_alloc();
    if (!h->sk) {
        free(h);
        return -ENOMEM;
    }
    r = nl_connect(h->sk, NETLINK_ROUTE);
    if (r < 0) {
        nl_socket_free(h->sk);
        free(h);
        return errno_from_nl(r);
    }
    /* libnl reads every message twice by default (MSG_PEEK for its size,
     * then for real): one add or delete per session is then four system
     * calls instead of two. A buffer as large as the kernel's largest dump
     * message (32 kB) makes the peek unnecessary. */
    nl_socket_disable_msg_peek(h->sk);
    r = nl_socket_set_msg_buf_size(h->sk, 32768);
    if (r < 0) {
        nl_socket_free(h->sk);
        free(h);
        return errno_from_nl(r);
    }
    *ret = h;
    return 0;
}

struct route_handle *route_close(struct route_handle *h)
{
    if (!h)
        return NULL;
    nl_socket_free(h->sk);
    free(h);
    return NULL;
}

static size_t addr_len(int family)
{
    return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

static uint32_t table_or_main(uint32_t table)
{
    return table ? table : RT_TABLE_MAIN;
}

/* Builds the route object for r; with_nexthop: add needs it, delete not. */
static int build_route(const struct route_host *r, bool with_nexthop, struct rtnl_route **ret)
{
    struct rtnl_route *route = NULL;
    struct nl_addr *dst = NULL, *gw = NULL;
    struct rtnl_nexthop *nh = NULL;
    int err;

    if (r->family != AF_INET && r->family != AF_INET6)
        return -EAFNOSUPPORT;
    if (with_nexthop && r->ifindex <= 0 && !r->has_gateway)
        return -EINVAL;         /* the kernel needs a device or a gateway */

    route = rtnl_route_alloc();
    dst = nl_addr_build(r->family, &r->dst, addr_len(r->family));
    if (!route || !dst) {
        err = -ENOMEM;
        goto fail;
    }
    nl_addr_set_prefixlen(dst, (int)addr_len(r->family) * 8);
    rtnl_route_set_family(route, (uint8_t)r->family);
    rtnl_route_set_table(route, table_or_main(r->table));
    rtnl_route_set_protocol(route, ROUTE_PROTO_VPND);
    rtnl_route_set_type(route, RTN_UNICAST);
    err = errno_from_nl(rtnl_route_set_dst(route, dst));
    if (err < 0)
        goto fail;
    if (r->metric)
        rtnl_route_set_priority(route, r->metric);

    if (with_nexthop) {
        rtnl_route_set_scope(route, r->has_gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
        nh = rtnl_route_nh_alloc();
        if (!nh) {
            err = -ENOMEM;
            goto fail;
        }
        if (r->ifindex > 0)
            rtnl_route_nh_set_ifindex(nh, r->ifindex);
        if (r->has_gateway) {
            gw = nl_addr_build(r->family, &r->gateway, addr_len(r->family));
            if (!gw) {
                err = -ENOMEM;
                goto fail;
            }
            rtnl_route_nh_set_gateway(nh, gw);
        }
        rtnl_route_add_nexthop(route, nh);      /* the route owns nh now */
        nh = NULL;
    }
    nl_addr_put(dst);
    nl_addr_put(gw);
    *ret = route;
    return 0;
fail:
    if (nh)
        rtnl_route_nh_free(nh);
    nl_addr_put(dst);
    nl_addr_put(gw);
    if (route)
        rtnl_route_put(route);
    return err;
}

int route_host_add(struct route_handle *h, const struct route_host *r)
{
    struct rtnl_route *route;
    int err = build_route(r, true, &route);
    if (err < 0)
        return err;
    err = errno_from_nl(rtnl_route_add(h->sk, route, NLM_F_EXCL));
    rtnl_route_put(route);
    return err;
}

int route_host_del(struct route_handle *h, const struct route_host *r)
{
    struct rtnl_route *route;
    int err = build_route(r, false, &route);
    if (err < 0)
        return err;
    err = errno_from_nl(rtnl_route_delete(h->sk, route, 0));
    rtnl_route_put(route);
    return err;
}

struct flush_ctx {
    struct nl_sock *sk;
    uint32_t table;
    unsigned count;
    int error;
};

static void flush_one(struct nl_object *obj, void *arg)
{
    struct flush_ctx *c = arg;
    struct rtnl_route *route = (struct rtnl_route *)obj;

    if (rtnl_route_get_protocol(route) != ROUTE_PROTO_VPND ||
        rtnl_route_get_table(route) != c->table)
        return;
    int err = errno_from_nl(rtnl_route_delete(c->sk, route, 0));
    if (err < 0 && err != -ESRCH) {
        if (c->error == 0)
            c->error = err;
        return;
    }
    c->count++;
}

int route_flush_owned(struct route_handle *h, uint32_t table, int family, unsigned *ret_count)
{
    struct nl_cache *cache;
    struct flush_ctx c = { .sk = h->sk, .table = table_or_main(table) };

    if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
        return -EAFNOSUPPORT;
    int err = errno_from_nl(rtnl_route_alloc_cache(h->sk, family, 0, &cache));
    if (err < 0)
        return err;
    nl_cache_foreach(cache, flush_one, &c);
    nl_cache_free(cache);
    if (ret_count)
        *ret_count = c.count;
    return c.error;
}
