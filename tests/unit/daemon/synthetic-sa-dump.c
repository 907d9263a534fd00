/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "synthetic-sa-dump.h"

#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "xfrm-msg.h"

int synthetic_sa_message(void *buf, size_t len, const struct synthetic_sa *s, uint32_t seq)
{
    struct xfrm_sa sa = {
        .family = s->family,
        .src = s->src,
        .dst = s->dst,
        .spi = s->spi,
        .reqid = s->reqid,
        .cipher = XFRM_CIPHER_AES_GCM_16,
        .enc_key_len = 20,
        .replay_window = 32,
        .lifetime = { .hard_seconds = s->hard_seconds, .soft_seconds = s->soft_seconds,
                      .hard_bytes = s->hard_bytes },
    };
    memset(sa.enc_key, 0x5a, sa.enc_key_len);
    struct nlmsghdr *nlh;
    /* The request encoder writes the same layout the kernel answers with;
     * only the header flags and the counters differ. */
    int r = xfrm_msg_sa_add(buf, len, &sa, false, &nlh);
    if (r < 0)
        return r;
    nlh->nlmsg_flags = NLM_F_MULTI;
    nlh->nlmsg_seq = seq;
    struct xfrm_usersa_info p;
    memcpy(&p, mnl_nlmsg_get_payload(nlh), sizeof(p));
    p.curlft.bytes = s->bytes;
    p.curlft.packets = s->packets;
    p.curlft.add_time = s->add_time;
    p.curlft.use_time = s->use_time;
    p.stats.replay_window = s->replay_window_errors;
    p.stats.replay = s->replay_errors;
    p.stats.integrity_failed = s->integrity_failures;
    memcpy(mnl_nlmsg_get_payload(nlh), &p, sizeof(p));
    return (int)MNL_ALIGN(nlh->nlmsg_len);
}

int synthetic_done_message(void *buf, size_t len, uint32_t seq)
{
    if (len < MNL_NLMSG_HDRLEN + sizeof(int))
        return -EMSGSIZE;
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = NLMSG_DONE;
    nlh->nlmsg_flags = NLM_F_MULTI;
    nlh->nlmsg_seq = seq;
    int zero = 0;
    memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(zero)), &zero, sizeof(zero));
    return (int)MNL_ALIGN(nlh->nlmsg_len);
}
