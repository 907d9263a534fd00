/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internal: one request/answer exchange on the handle's socket. */
#pragma once

#include <linux/netlink.h>

#include "xfrm.h"

/* Called for each answer message other than the final ack / NLMSG_DONE. */
typedef int (*xfrm_answer_fn)(const struct nlmsghdr *nlh, void *userdata);

/*
 * Sends nlh (a request, or a dump when it has NLM_F_DUMP) after flushing the
 * queued batch, passes each answer to fn and returns the kernel's verdict:
 * 0, a negative errno from the kernel (with st->message), the first negative
 * return of fn, or a socket error. The request buffer is wiped after sending.
 */
int xfrm_transact(struct xfrm_handle *h, struct nlmsghdr *nlh,
                  xfrm_answer_fn fn, void *userdata, struct xfrm_status *st);

/* One queued change and, once the kernel answered, its result. Requests of
 * a batch have consecutive sequence numbers. */
struct xfrm_request {
    uint32_t seq;
    xfrm_done_fn done;
    void *userdata;
    struct xfrm_status st;
    bool answered;
};

/* Records an answer (an ack or error) in the request with its sequence
 * number; ignores messages that are no ack or belong to no request. */
void xfrm_batch_take_answer(struct xfrm_request *reqs, size_t n, const struct nlmsghdr *nlh);
