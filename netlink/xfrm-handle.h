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
