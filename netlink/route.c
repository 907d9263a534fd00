/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Host routes. One is added and deleted per session, so those two are
 * built by hand (libmnl) and cost one sendmsg and one recvmsg each; the
 * flush at start walks the routing table through libnl-route-3. The kernel
 * matches rtm_protocol on delete (fib_table_delete(), ip6_route_del()), so
 * deleting with our protocol number never removes a route someone else
 * installed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>

#include "route.h"

struct route_handle {
    struct nl_sock *sk;         /* libnl: the flush's table dump */
    struct mnl_socket *nl;      /* adds and deletes */
    uint32_t portid;
    uint32_t seq;
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
    h->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!h->nl || mnl_socket_bind(h->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        r = -errno;
        if (h->nl)
            mnl_socket_close(h->nl);
        nl_socket_free(h->sk);
        free(h);
        return r;
    }
    h->portid = mnl_socket_get_portid(h->nl);
    h->seq = (uint32_t)getpid();
    *ret = h;
    return 0;
}

struct route_handle *route_close(struct route_handle *h)
{
    if (!h)
        return NULL;
    nl_socket_free(h->sk);
    mnl_socket_close(h->nl);
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

/* RTM_NEWROUTE / RTM_DELROUTE for r, as libnl built them before: the
 * table in rtm_table when it fits and always in RTA_TABLE, one next hop
 * as RTA_OIF / RTA_GATEWAY (add only), scope "nowhere" on delete (which
 * the kernel takes as any scope). */
static int build_request(const struct route_host *r, bool add, uint32_t seq, char *buf)
{
    uint32_t table = table_or_main(r->table);
    size_t alen;

    if (r->family != AF_INET && r->family != AF_INET6)
        return -EAFNOSUPPORT;
    if (add && r->ifindex <= 0 && !r->has_gateway)
        return -EINVAL;         /* the kernel needs a device or a gateway */
    alen = addr_len(r->family);

    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    nlh->nlmsg_seq = seq;
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
    rtm->rtm_family = (uint8_t)r->family;
    rtm->rtm_dst_len = (uint8_t)(alen * 8);
    rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
    rtm->rtm_protocol = ROUTE_PROTO_VPND;
    rtm->rtm_type = RTN_UNICAST;
    rtm->rtm_scope = !add ? RT_SCOPE_NOWHERE : r->has_gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    mnl_attr_put(nlh, RTA_DST, alen, &r->dst);
    mnl_attr_put_u32(nlh, RTA_TABLE, table);
    if (r->metric)
        mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
    if (add) {
        if (r->ifindex > 0)
            mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->ifindex);
        if (r->has_gateway)
            mnl_attr_put(nlh, RTA_GATEWAY, alen, &r->gateway);
    }
    return (int)nlh->nlmsg_len;
}

/* Sends one request and reads until its acknowledgement: 0 or the
 * kernel's negative errno. Anything else on the socket (an answer to an
 * earlier request that gave up) is skipped. */
static int transact(struct route_handle *h, const char *req, size_t len, uint32_t seq)
{
    char buf[8192];   /* an ack, or an error with our request quoted */

    if (mnl_socket_sendto(h->nl, req, len) < 0)
        return -errno;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(h->nl, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        int left = (int)n;
        for (const struct nlmsghdr *m = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(m, left);
             m = mnl_nlmsg_next(m, &left)) {
            if (m->nlmsg_seq != seq || (m->nlmsg_pid != h->portid && m->nlmsg_pid != 0))
                continue;
            if (m->nlmsg_type != NLMSG_ERROR)
                continue;
            if (m->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
                return -EBADMSG;
            const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);
            return e->error <= 0 ? e->error : -EIO;
        }
    }
}

static int route_request(struct route_handle *h, const struct route_host *r, bool add)
{
    char req[256];  /* header, rtmsg and five attributes of at most 16 bytes */
    uint32_t seq;
    int len;

    if (!h || !r)
        return -EINVAL;
    seq = ++h->seq;
    len = build_request(r, add, seq, req);
    if (len < 0)
        return len;
    return transact(h, req, (size_t)len, seq);
}

int route_host_add(struct route_handle *h, const struct route_host *r)
{
    return route_request(h, r, true);
}

int route_host_del(struct route_handle *h, const struct route_host *r)
{
    return route_request(h, r, false);
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
