/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Encoding of XFRM requests. Fixed structs are built on the stack and copied
 * into the message (the buffer need not be 8-byte aligned for the u64s in
 * them); stack copies that held keys are wiped before returning.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/udp.h>

#include "xfrm-msg.h"

static bool family_ok(uint16_t family)
{
    return family == AF_INET || family == AF_INET6;
}

static unsigned family_bits(uint16_t family)
{
    return family == AF_INET ? 32 : 128;
}

static uint64_t limit_or_inf(uint64_t v)
{
    return v ? v : XFRM_INF;
}

/* Starts a message of type with a zeroed fixed header of hdrlen bytes. */
static struct nlmsghdr *msg_start(void *buf, size_t len, uint16_t type, uint16_t flags,
                                  const void *hdr, size_t hdrlen)
{
    if (len < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdrlen))
        return NULL;
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    void *p = mnl_nlmsg_put_extra_header(nlh, hdrlen);
    memcpy(p, hdr, hdrlen);
    return nlh;
}

static int encode_selector(const struct xfrm_ts *ts, bool may_be_any, struct xfrm_selector *sel)
{
    memset(sel, 0, sizeof(*sel));
    if (ts->family == 0) {
        if (!may_be_any)
            return -EINVAL;
        return 0;
    }
    if (!family_ok(ts->family) ||
        ts->src_prefixlen > family_bits(ts->family) ||
        ts->dst_prefixlen > family_bits(ts->family))
        return -EINVAL;
    if ((ts->sport || ts->dport) &&
        ts->proto != IPPROTO_TCP && ts->proto != IPPROTO_UDP && ts->proto != IPPROTO_SCTP)
        return -EINVAL;
    sel->family = ts->family;
    sel->saddr = ts->src;
    sel->daddr = ts->dst;
    sel->prefixlen_s = ts->src_prefixlen;
    sel->prefixlen_d = ts->dst_prefixlen;
    sel->proto = ts->proto;
    if (ts->sport) {
        sel->sport = htons(ts->sport);
        sel->sport_mask = 0xffff;
    }
    if (ts->dport) {
        sel->dport = htons(ts->dport);
        sel->dport_mask = 0xffff;
    }
    return 0;
}

static bool put_mark(struct nlmsghdr *nlh, size_t len, const struct xfrm_mark *mark)
{
    if (!mark->m)
        return true;
    return mnl_attr_put_check(nlh, len, XFRMA_MARK, sizeof(*mark), mark);
}

/* An algorithm attribute is a struct followed by the key. */
static bool put_alg(struct nlmsghdr *nlh, size_t len, uint16_t type,
                    const void *head, size_t head_len, const uint8_t *key, size_t key_len)
{
    uint8_t tmp[sizeof(struct xfrm_algo_auth) + XFRM_KEY_MAX];
    if (head_len + key_len > sizeof(tmp))
        return false;
    memcpy(tmp, head, head_len);
    memcpy(tmp + head_len, key, key_len);
    bool ok = mnl_attr_put_check(nlh, len, type, head_len + key_len, tmp);
    explicit_bzero(tmp, sizeof(tmp));
    return ok;
}

static int put_algorithms(struct nlmsghdr *nlh, size_t len, const struct xfrm_sa *sa)
{
    if (sa->enc_key_len > XFRM_KEY_MAX || sa->integ_key_len > XFRM_KEY_MAX ||
        !xfrm_cipher_key_len_ok(sa->cipher, sa->enc_key_len))
        return -EINVAL;

    if (xfrm_cipher_is_aead(sa->cipher)) {
        if (sa->integ != XFRM_INTEG_NONE)
            return -EINVAL;
        struct xfrm_algo_aead a = {
            .alg_key_len = sa->enc_key_len * 8,
            .alg_icv_len = xfrm_cipher_icv_bits(sa->cipher),
        };
        strncpy(a.alg_name, xfrm_cipher_name(sa->cipher), sizeof(a.alg_name) - 1);
        if (!put_alg(nlh, len, XFRMA_ALG_AEAD, &a, sizeof(a), sa->enc_key, sa->enc_key_len))
            return -EMSGSIZE;
        return 0;
    }

    /* Unauthenticated ESP is never what an operator wants. */
    if (!xfrm_integ_key_len_ok(sa->integ, sa->integ_key_len))
        return -EINVAL;
    struct xfrm_algo c = { .alg_key_len = sa->enc_key_len * 8 };
    strncpy(c.alg_name, xfrm_cipher_name(sa->cipher), sizeof(c.alg_name) - 1);
    if (!put_alg(nlh, len, XFRMA_ALG_CRYPT, &c, sizeof(c), sa->enc_key, sa->enc_key_len))
        return -EMSGSIZE;
    struct xfrm_algo_auth i = {
        .alg_key_len = sa->integ_key_len * 8,
        .alg_trunc_len = xfrm_integ_trunc_bits(sa->integ),
    };
    strncpy(i.alg_name, xfrm_integ_name(sa->integ), sizeof(i.alg_name) - 1);
    if (!put_alg(nlh, len, XFRMA_ALG_AUTH_TRUNC, &i, sizeof(i), sa->integ_key, sa->integ_key_len))
        return -EMSGSIZE;
    return 0;
}

/*
 * The legacy replay state has a 32-bit bitmap (the kernel caps the window
 * there); larger windows and ESN need XFRMA_REPLAY_ESN_VAL, and then the
 * legacy field must be 0 (verify_replay()).
 */
static bool replay_needs_esn_attr(const struct xfrm_sa *sa)
{
    return sa->esn || sa->replay_window > 32;
}

int xfrm_msg_sa_add(void *buf, size_t len, const struct xfrm_sa *sa, bool update,
                    struct nlmsghdr **ret)
{
    struct xfrm_usersa_info p = {0};
    int r;

    if (!family_ok(sa->family) || sa->spi == 0 ||
        sa->replay_window > XFRMA_REPLAY_ESN_MAX ||
        (sa->encap && (sa->encap_sport == 0 || sa->encap_dport == 0)))
        return -EINVAL;
    r = encode_selector(&sa->sel, true, &p.sel);
    if (r < 0)
        return r;
    p.id.daddr = sa->dst;
    p.id.spi = htonl(sa->spi);
    p.id.proto = IPPROTO_ESP;
    p.saddr = sa->src;
    p.family = sa->family;
    p.mode = XFRM_MODE_TUNNEL;
    p.reqid = sa->reqid;
    p.lft.soft_byte_limit = limit_or_inf(sa->lifetime.soft_bytes);
    p.lft.hard_byte_limit = limit_or_inf(sa->lifetime.hard_bytes);
    p.lft.soft_packet_limit = limit_or_inf(sa->lifetime.soft_packets);
    p.lft.hard_packet_limit = limit_or_inf(sa->lifetime.hard_packets);
    p.lft.soft_add_expires_seconds = sa->lifetime.soft_seconds;
    p.lft.hard_add_expires_seconds = sa->lifetime.hard_seconds;
    if (sa->esn)
        p.flags |= XFRM_STATE_ESN;
    /* Without the flag the kernel gives a selector of family 0 the outer
     * family, and a tunnel could not carry the other inner family. */
    if (sa->sel.family == 0)
        p.flags |= XFRM_STATE_AF_UNSPEC;
    if (!replay_needs_esn_attr(sa))
        p.replay_window = (uint8_t)sa->replay_window;

    struct nlmsghdr *nlh = msg_start(buf, len, update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA,
                                     update ? 0 : NLM_F_CREATE | NLM_F_EXCL, &p, sizeof(p));
    if (!nlh)
        return -EMSGSIZE;

    r = put_algorithms(nlh, len, sa);
    if (r < 0)
        goto fail;

    r = -EMSGSIZE;
    if (sa->encap) {
        struct xfrm_encap_tmpl e = {
            .encap_type = UDP_ENCAP_ESPINUDP,
            .encap_sport = htons(sa->encap_sport),
            .encap_dport = htons(sa->encap_dport),
        };
        if (!mnl_attr_put_check(nlh, len, XFRMA_ENCAP, sizeof(e), &e))
            goto fail;
    }
    if (replay_needs_esn_attr(sa)) {
        /* The bitmap words follow the struct; they start zeroed. */
        uint8_t tmp[sizeof(struct xfrm_replay_state_esn) + XFRMA_REPLAY_ESN_MAX / 8] = {0};
        struct xfrm_replay_state_esn esn = {
            .bmp_len = (sa->replay_window + 31) / 32,
            .replay_window = sa->replay_window,
            .seq = sa->has_replay_state ? sa->replay_seq : 0,
            .oseq = sa->has_replay_state ? sa->replay_oseq : 0,
        };
        memcpy(tmp, &esn, sizeof(esn));
        if (!mnl_attr_put_check(nlh, len, XFRMA_REPLAY_ESN_VAL,
                                sizeof(esn) + esn.bmp_len * sizeof(uint32_t), tmp))
            goto fail;
    }
    if (sa->has_replay_state && !replay_needs_esn_attr(sa)) {
        struct xfrm_replay_state rs = {
            .seq = sa->replay_seq, .oseq = sa->replay_oseq, .bitmap = sa->replay_bitmap,
        };
        if (!mnl_attr_put_check(nlh, len, XFRMA_REPLAY_VAL, sizeof(rs), &rs))
            goto fail;
    }
    if (!put_mark(nlh, len, &sa->mark))
        goto fail;

    *ret = nlh;
    return 0;
fail:
    explicit_bzero(buf, len < nlh->nlmsg_len ? len : nlh->nlmsg_len);
    return r;
}

int xfrm_msg_sa_id(void *buf, size_t len, uint16_t type, const struct xfrm_sa_id *id,
                   struct nlmsghdr **ret)
{
    if (!family_ok(id->family) || (type != XFRM_MSG_DELSA && type != XFRM_MSG_GETSA))
        return -EINVAL;
    struct xfrm_usersa_id p = {
        .daddr = id->dst,
        .spi = htonl(id->spi),
        .family = id->family,
        .proto = IPPROTO_ESP,
    };
    struct nlmsghdr *nlh = msg_start(buf, len, type, 0, &p, sizeof(p));
    if (!nlh || !put_mark(nlh, len, &id->mark))
        return -EMSGSIZE;
    *ret = nlh;
    return 0;
}

int xfrm_msg_sp_add(void *buf, size_t len, const struct xfrm_sp *sp, bool update,
                    struct nlmsghdr **ret)
{
    struct xfrm_userpolicy_info p = {0};
    struct xfrm_user_tmpl t[XFRM_SP_TMPL_MAX] = {0};
    int r;

    if (sp->dir > XFRM_POLICY_FWD ||
        (sp->action != XFRM_POLICY_ALLOW && sp->action != XFRM_POLICY_BLOCK) ||
        sp->n_tmpl > XFRM_SP_TMPL_MAX)
        return -EINVAL;
    r = encode_selector(&sp->sel, false, &p.sel);
    if (r < 0)
        return r;
    p.lft.soft_byte_limit = XFRM_INF;
    p.lft.hard_byte_limit = XFRM_INF;
    p.lft.soft_packet_limit = XFRM_INF;
    p.lft.hard_packet_limit = XFRM_INF;
    p.lft.soft_add_expires_seconds = sp->soft_seconds;
    p.lft.hard_add_expires_seconds = sp->hard_seconds;
    p.priority = sp->priority;
    p.index = sp->index;
    p.dir = sp->dir;
    p.action = sp->action;
    p.share = XFRM_SHARE_ANY;

    for (unsigned k = 0; k < sp->n_tmpl; k++) {
        const struct xfrm_sp_tmpl *in = &sp->tmpl[k];
        if (!family_ok(in->family))
            return -EINVAL;
        t[k].id.daddr = in->dst;
        t[k].id.proto = IPPROTO_ESP;
        t[k].family = in->family;
        t[k].saddr = in->src;
        t[k].reqid = in->reqid;
        t[k].mode = XFRM_MODE_TUNNEL;
        t[k].share = XFRM_SHARE_ANY;
        t[k].optional = in->optional;
        /* Any algorithm: the SA, not the policy, chooses them. */
        t[k].aalgos = ~0u;
        t[k].ealgos = ~0u;
        t[k].calgos = ~0u;
    }

    struct nlmsghdr *nlh = msg_start(buf, len,
                                     update ? XFRM_MSG_UPDPOLICY : XFRM_MSG_NEWPOLICY,
                                     update ? 0 : NLM_F_CREATE | NLM_F_EXCL, &p, sizeof(p));
    if (!nlh)
        return -EMSGSIZE;
    if (sp->n_tmpl > 0 &&
        !mnl_attr_put_check(nlh, len, XFRMA_TMPL, sp->n_tmpl * sizeof(t[0]), t))
        return -EMSGSIZE;
    if (!put_mark(nlh, len, &sp->mark))
        return -EMSGSIZE;
    *ret = nlh;
    return 0;
}

int xfrm_msg_sp_id(void *buf, size_t len, uint16_t type, const struct xfrm_sp_id *id,
                   struct nlmsghdr **ret)
{
    struct xfrm_userpolicy_id p = {0};

    if (id->dir > XFRM_POLICY_FWD ||
        (type != XFRM_MSG_DELPOLICY && type != XFRM_MSG_GETPOLICY))
        return -EINVAL;
    /* By index the kernel ignores the selector; otherwise it must be valid. */
    if (id->index == 0) {
        int r = encode_selector(&id->sel, false, &p.sel);
        if (r < 0)
            return r;
    }
    p.index = id->index;
    p.dir = id->dir;
    struct nlmsghdr *nlh = msg_start(buf, len, type, 0, &p, sizeof(p));
    if (!nlh || !put_mark(nlh, len, &id->mark))
        return -EMSGSIZE;
    *ret = nlh;
    return 0;
}

int xfrm_msg_allocspi(void *buf, size_t len, uint16_t family,
                      const xfrm_address_t *src, const xfrm_address_t *dst,
                      uint32_t reqid, const struct xfrm_mark *mark,
                      uint32_t min, uint32_t max, struct nlmsghdr **ret)
{
    struct xfrm_userspi_info p = {0};

    /* SPIs 0-255 are reserved (RFC 4303 section 2.1). */
    if (!family_ok(family) || min < 256 || min > max)
        return -EINVAL;
    p.info.id.daddr = *dst;
    p.info.id.proto = IPPROTO_ESP;
    p.info.saddr = *src;
    p.info.family = family;
    p.info.mode = XFRM_MODE_TUNNEL;
    p.info.reqid = reqid;
    p.min = min;                /* host order, unlike every other SPI */
    p.max = max;
    struct nlmsghdr *nlh = msg_start(buf, len, XFRM_MSG_ALLOCSPI, 0, &p, sizeof(p));
    if (!nlh || (mark && !put_mark(nlh, len, mark)))
        return -EMSGSIZE;
    *ret = nlh;
    return 0;
}

int xfrm_msg_spd_set_hthresh(void *buf, size_t len, const struct xfrm_spd_hthresh *t,
                             struct nlmsghdr **ret)
{
    uint32_t flags = 0;         /* XFRM_MSG_NEWSPDINFO's fixed header */

    if (t->lbits4 > 32 || t->rbits4 > 32 || t->lbits6 > 128 || t->rbits6 > 128)
        return -EINVAL;
    struct xfrmu_spdhthresh v4 = { .lbits = t->lbits4, .rbits = t->rbits4 };
    struct xfrmu_spdhthresh v6 = { .lbits = t->lbits6, .rbits = t->rbits6 };
    struct nlmsghdr *nlh = msg_start(buf, len, XFRM_MSG_NEWSPDINFO, 0, &flags, sizeof(flags));
    if (!nlh ||
        !mnl_attr_put_check(nlh, len, XFRMA_SPD_IPV4_HTHRESH, sizeof(v4), &v4) ||
        !mnl_attr_put_check(nlh, len, XFRMA_SPD_IPV6_HTHRESH, sizeof(v6), &v6))
        return -EMSGSIZE;
    *ret = nlh;
    return 0;
}
