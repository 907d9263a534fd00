/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SPD hash thresholds.
 *
 * The kernel hashes a policy only when both prefixes of its selector are at
 * least as long as the thresholds for that direction; every other policy
 * goes to the inexact lists that are searched linearly (policy_hash_bysel()
 * and __sel_hash() in net/xfrm/xfrm_policy.c). The thresholds are set as
 * lbits (local side) and rbits (remote side), and xfrm_hash_rebuild() maps
 * them per direction:
 *   out:    dbits = rbits, sbits = lbits   (destination is the remote side)
 *   in/fwd: dbits = lbits, sbits = rbits   (source is the remote side)
 * The defaults, 32/32 and 128/128, hash only host-to-host policies.
 *
 * A concentrator installs, per client, out "protected net -> client/32" and
 * in/fwd "client/32 -> protected net", where the protected net is 0.0.0.0/0
 * or a subnet. The client is always the remote side with a full-length
 * prefix, and the local side can be as short as /0. So rbits = 32 (128) and
 * lbits = 0: every per-client policy is hashed on the client address alone
 * and lookups stay O(1) with tens of thousands of clients. Policies whose
 * remote side is a shorter prefix (site-to-site, bypass) stay inexact, as
 * they must.
 */
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "xfrm-handle.h"
#include "xfrm-msg.h"

const struct xfrm_spd_hthresh xfrm_spd_hthresh_remote_access = {
    .lbits4 = 0, .rbits4 = 32, .lbits6 = 0, .rbits6 = 128,
};

int xfrm_spd_set_hthresh(struct xfrm_handle *h, const struct xfrm_spd_hthresh *t,
                         struct xfrm_status *st)
{
    uint8_t buf[XFRM_REQUEST_MAX] __attribute__((aligned(8)));
    struct nlmsghdr *nlh;
    int r = xfrm_msg_spd_set_hthresh(buf, sizeof(buf), t, &nlh);
    if (r < 0)
        return r;
    return xfrm_transact(h, nlh, NULL, NULL, st);
}

struct spdinfo {
    struct xfrm_spd_hthresh *t;
    bool found;
};

static int take_spdinfo(const struct nlmsghdr *nlh, void *userdata)
{
    struct spdinfo *s = userdata;
    int r = xfrm_parse_spdinfo(nlh, s->t);
    if (r < 0)
        return r;
    s->found = true;
    return 0;
}

int xfrm_spd_get_hthresh(struct xfrm_handle *h, struct xfrm_spd_hthresh *ret,
                         struct xfrm_status *st)
{
    uint8_t buf[MNL_NLMSG_HDRLEN + 16] __attribute__((aligned(8)));
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    uint32_t *flags = mnl_nlmsg_put_extra_header(nlh, sizeof(*flags));
    struct spdinfo s = { .t = ret };

    *flags = 0;
    nlh->nlmsg_type = XFRM_MSG_GETSPDINFO;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    int r = xfrm_transact(h, nlh, take_spdinfo, &s, st);
    if (r < 0)
        return r;
    return s.found ? 0 : -EBADMSG;
}
