/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * XFRM notifications into sd-event. A separate socket from the request one:
 * notifications must not be interleaved with answers the request code waits
 * for, and this socket never blocks.
 *
 * POLEXPIRE is sent to the EXPIRE group (xfrm_exp_policy_notify()), so three
 * groups cover the four events.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>

#include "xfrm-monitor.h"
#include "xfrm-msg.h"

#define MONITOR_RX_BUFFER (64 * 1024)
/* Room for bursts (thousands of SAs expiring together after a restart). */
#define MONITOR_SOCKET_BUFFER (4 * 1024 * 1024)

struct xfrm_monitor {
    struct mnl_socket *nl;
    sd_event_source *source;
    xfrm_event_fn fn;
    void *userdata;
    uint8_t *rx;
    uint64_t dropped;
};

static void deliver(struct xfrm_monitor *m, const struct nlmsghdr *nlh)
{
    struct xfrm_event *ev = malloc(sizeof(*ev));   /* large: keep it off the stack */
    if (!ev)
        return;
    /* Malformed or other notifications are dropped (and counted): nothing
     * to act on. */
    if (xfrm_parse_event(nlh, ev) == 0)
        m->fn(ev, m->userdata);
    else
        m->dropped++;
    free(ev);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct xfrm_monitor *m = userdata;

    for (;;) {
        ssize_t len = mnl_socket_recvfrom(m->nl, m->rx, MONITOR_RX_BUFFER);
        if (len < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                continue;
            if (errno == ENOBUFS) {
                /* Notifications were lost; the socket stays usable. */
                struct xfrm_event ev = { .type = XFRM_EVENT_OVERRUN };
                m->fn(&ev, m->userdata);
                continue;
            }
            struct xfrm_event ev = { .type = XFRM_EVENT_FAILED, .error = -errno };
            sd_event_source_set_enabled(s, SD_EVENT_OFF);
            m->fn(&ev, m->userdata);
            return 0;
        }
        int rest = (int)len;    /* len <= the buffer size, which fits an int */
        for (const struct nlmsghdr *nlh = (const void *)m->rx; mnl_nlmsg_ok(nlh, rest);
             nlh = mnl_nlmsg_next(nlh, &rest))
            if (nlh->nlmsg_pid == 0)    /* from the kernel */
                deliver(m, nlh);
    }
}

int xfrm_monitor_new(sd_event *e, xfrm_event_fn fn, void *userdata, struct xfrm_monitor **ret)
{
    static unsigned groups[] = { XFRMNLGRP_EXPIRE, XFRMNLGRP_ACQUIRE, XFRMNLGRP_MAPPING };
    struct xfrm_monitor *m = calloc(1, sizeof(*m));
    int r;

    if (!m)
        return -ENOMEM;
    m->fn = fn;
    m->userdata = userdata;
    m->rx = aligned_alloc(8, MONITOR_RX_BUFFER);
    if (!m->rx) {
        r = -ENOMEM;
        goto fail;
    }
    m->nl = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (!m->nl || mnl_socket_bind(m->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        r = -errno;
        goto fail;
    }
    for (size_t k = 0; k < sizeof(groups) / sizeof(groups[0]); k++)
        if (mnl_socket_setsockopt(m->nl, NETLINK_ADD_MEMBERSHIP, &groups[k],
                                  sizeof(groups[k])) < 0) {
            r = -errno;
            goto fail;
        }
    int size = MONITOR_SOCKET_BUFFER, fd = mnl_socket_get_fd(m->nl);
    /* FORCE passes rmem_max with CAP_NET_ADMIN, which vpnd has. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    r = sd_event_add_io(e, &m->source, fd, EPOLLIN, on_readable, m);
    if (r < 0)
        goto fail;
    *ret = m;
    return 0;
fail:
    xfrm_monitor_free(m);
    return r;
}

uint64_t xfrm_monitor_dropped(const struct xfrm_monitor *m)
{
    return m->dropped;
}

struct xfrm_monitor *xfrm_monitor_free(struct xfrm_monitor *m)
{
    if (!m)
        return NULL;
    sd_event_source_disable_unref(m->source);
    if (m->nl)
        mnl_socket_close(m->nl);
    free(m->rx);
    free(m);
    return NULL;
}
