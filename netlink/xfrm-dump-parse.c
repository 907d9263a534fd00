/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A buffer of XFRM_MSG_GETSA dump answers, as the kernel sends them, read
 * SA by SA: for a snapshot of every SA's counters taken from bytes already
 * in hand (and for its unit tests, which feed it canned dumps). The live
 * dump (xfrm_sa_dump) decodes each message with the same xfrm_parse_sa.
 */
#include <errno.h>
#include <limits.h>
#include <libmnl/libmnl.h>

#include "xfrm-msg.h"

int xfrm_sa_dump_parse(const void *buf, size_t len, xfrm_sa_dump_fn fn, void *userdata)
{
    if (len > INT_MAX)
        return -EMSGSIZE;
    int rest = (int)len;
    const struct nlmsghdr *m = buf;
    /* mnl_nlmsg_ok: a whole header, and nlmsg_len within what is left. */
    for (; mnl_nlmsg_ok(m, rest); m = mnl_nlmsg_next(m, &rest)) {
        if (m->nlmsg_type == NLMSG_DONE)
            return 0;
        if (m->nlmsg_type == NLMSG_ERROR) {
            struct xfrm_status st;
            if (xfrm_parse_ack(m, &st) < 0)
                return -EBADMSG;
            return st.error;
        }
        struct xfrm_sa_info info;
        int r = xfrm_parse_sa(m, &info);
        if (r < 0)
            return r;
        xfrm_sa_wipe(&info.sa);
        r = fn(&info, userdata);
        if (r < 0)
            return r;
    }
    /* Bytes left that are no whole message: a truncated one. (The last
     * message may lack its alignment padding: rest goes below zero then.) */
    return rest > 0 ? -EBADMSG : 0;
}
