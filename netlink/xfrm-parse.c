/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Decoding of the kernel's XFRM messages. Nothing in a message is trusted:
 * the fixed header must fit in the payload, every attribute must have
 * exactly (or, for variable ones, at least) the size its type needs, and
 * lengths inside attributes (key bits, bitmap words, template count) must fit
 * the attribute. Structs are copied out before use because netlink only
 * aligns to 4 bytes and they hold u64s.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>

#include "xfrm-msg.h"

/* Size of each attribute we read: exact for fixed structs, minimum (the
 * fixed part) for those followed by variable data. */
struct attr_rule {
    size_t len;
    bool variable;
};

static const struct attr_rule xfrma_rules[XFRMA_MAX + 1] = {
    [XFRMA_ALG_AUTH]       = { sizeof(struct xfrm_algo), true },
    [XFRMA_ALG_CRYPT]      = { sizeof(struct xfrm_algo), true },
    [XFRMA_ALG_AEAD]       = { sizeof(struct xfrm_algo_aead), true },
    [XFRMA_ALG_AUTH_TRUNC] = { sizeof(struct xfrm_algo_auth), true },
    [XFRMA_ENCAP]          = { sizeof(struct xfrm_encap_tmpl), false },
    [XFRMA_TMPL]           = { 0, true },
    [XFRMA_LTIME_VAL]      = { sizeof(struct xfrm_lifetime_cur), false },
    [XFRMA_REPLAY_VAL]     = { sizeof(struct xfrm_replay_state), false },
    [XFRMA_REPLAY_ESN_VAL] = { sizeof(struct xfrm_replay_state_esn), true },
    [XFRMA_LASTUSED]       = { sizeof(uint64_t), false },
    [XFRMA_MARK]           = { sizeof(struct xfrm_mark), false },
};

struct attr_table {
    const struct nlattr *tb[XFRMA_MAX + 1];
    int error;
};

static int collect_attr(const struct nlattr *attr, void *data)
{
    struct attr_table *t = data;
    uint16_t type = mnl_attr_get_type(attr);

    if (type > XFRMA_MAX)
        return MNL_CB_OK;       /* newer than us: not needed */
    const struct attr_rule *rule = &xfrma_rules[type];
    if (rule->len == 0 && !rule->variable)
        return MNL_CB_OK;       /* an attribute we do not read */
    size_t len = mnl_attr_get_payload_len(attr);
    if (rule->variable ? len < rule->len : len != rule->len) {
        t->error = -EBADMSG;
        return MNL_CB_ERROR;
    }
    t->tb[type] = attr;
    return MNL_CB_OK;
}

/* Collects the attributes that follow a fixed header of hdrlen bytes. */
static int parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, struct attr_table *t)
{
    memset(t, 0, sizeof(*t));
    if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN ||
        mnl_nlmsg_get_payload_len(nlh) < hdrlen)
        return -EBADMSG;
    /* mnl_attr_parse stops at the first attribute that does not fit, without
     * an error; check the attributes fill the payload exactly. */
    size_t used = MNL_ALIGN(hdrlen);
    const struct nlattr *attr;
    mnl_attr_for_each(attr, nlh, hdrlen)
        used += MNL_ALIGN(attr->nla_len);
    if (used < mnl_nlmsg_get_payload_len(nlh))
        return -EBADMSG;
    if (mnl_attr_parse(nlh, hdrlen, collect_attr, t) < 0)
        return t->error ? t->error : -EBADMSG;
    return 0;
}

/* Copies the fixed header out of the payload (alignment, see top). */
static void copy_header(const struct nlmsghdr *nlh, void *dst, size_t len)
{
    memcpy(dst, mnl_nlmsg_get_payload(nlh), len);
}

static void decode_selector(const struct xfrm_selector *sel, struct xfrm_ts *ts)
{
    memset(ts, 0, sizeof(*ts));
    ts->family = sel->family;
    ts->src = sel->saddr;
    ts->dst = sel->daddr;
    ts->src_prefixlen = sel->prefixlen_s;
    ts->dst_prefixlen = sel->prefixlen_d;
    ts->proto = sel->proto;
    ts->sport = sel->sport_mask ? ntohs(sel->sport) : 0;
    ts->dport = sel->dport_mask ? ntohs(sel->dport) : 0;
}

static uint64_t inf_to_zero(uint64_t v)
{
    return v == XFRM_INF ? 0 : v;
}

/* Reads an algorithm attribute: fixed head of head_len, then the key. */
static int decode_alg(const struct nlattr *attr, size_t head_len, char name[64],
                      unsigned *key_bits, uint8_t *key, uint16_t *key_len)
{
    size_t len = mnl_attr_get_payload_len(attr);
    const uint8_t *p = mnl_attr_get_payload(attr);
    struct xfrm_algo a;                 /* name and key_len lead every variant */

    memcpy(&a, p, sizeof(a));
    if (memchr(a.alg_name, '\0', sizeof(a.alg_name)) == NULL ||
        a.alg_key_len % 8 != 0 || a.alg_key_len / 8 > XFRM_KEY_MAX ||
        a.alg_key_len / 8 > len - head_len)
        return -EBADMSG;
    memcpy(name, a.alg_name, sizeof(a.alg_name));
    *key_bits = a.alg_key_len;
    *key_len = (uint16_t)(a.alg_key_len / 8);
    memcpy(key, p + head_len, *key_len);
    return 0;
}

static int decode_sa_algorithms(const struct attr_table *t, struct xfrm_sa *sa)
{
    char name[64];
    unsigned bits;
    int r;

    if (t->tb[XFRMA_ALG_AEAD]) {
        struct xfrm_algo_aead a;
        memcpy(&a, mnl_attr_get_payload(t->tb[XFRMA_ALG_AEAD]), sizeof(a));
        r = decode_alg(t->tb[XFRMA_ALG_AEAD], sizeof(a), name, &bits, sa->enc_key, &sa->enc_key_len);
        if (r < 0)
            return r;
        if (xfrm_cipher_from_name(name, &sa->cipher) < 0 || !xfrm_cipher_is_aead(sa->cipher) ||
            a.alg_icv_len != xfrm_cipher_icv_bits(sa->cipher))
            sa->cipher = XFRM_CIPHER_NONE;      /* not one of ours */
    }
    if (t->tb[XFRMA_ALG_CRYPT]) {
        r = decode_alg(t->tb[XFRMA_ALG_CRYPT], sizeof(struct xfrm_algo), name, &bits,
                       sa->enc_key, &sa->enc_key_len);
        if (r < 0)
            return r;
        if (xfrm_cipher_from_name(name, &sa->cipher) < 0 || xfrm_cipher_is_aead(sa->cipher))
            sa->cipher = XFRM_CIPHER_NONE;
    }
    if (t->tb[XFRMA_ALG_AUTH_TRUNC]) {
        struct xfrm_algo_auth a;
        memcpy(&a, mnl_attr_get_payload(t->tb[XFRMA_ALG_AUTH_TRUNC]), sizeof(a));
        r = decode_alg(t->tb[XFRMA_ALG_AUTH_TRUNC], sizeof(a), name, &bits,
                       sa->integ_key, &sa->integ_key_len);
        if (r < 0)
            return r;
        if (xfrm_integ_from_name(name, a.alg_trunc_len, &sa->integ) < 0)
            sa->integ = XFRM_INTEG_NONE;
    } else if (t->tb[XFRMA_ALG_AUTH]) {
        /* Set by other tools; the kernel then truncates to 96 bits. */
        r = decode_alg(t->tb[XFRMA_ALG_AUTH], sizeof(struct xfrm_algo), name, &bits,
                       sa->integ_key, &sa->integ_key_len);
        if (r < 0)
            return r;
        if (xfrm_integ_from_name(name, 96, &sa->integ) < 0)
            sa->integ = XFRM_INTEG_NONE;
    }
    return 0;
}

static int decode_replay(const struct attr_table *t, struct xfrm_sa_info *info)
{
    if (t->tb[XFRMA_REPLAY_ESN_VAL]) {
        const struct nlattr *attr = t->tb[XFRMA_REPLAY_ESN_VAL];
        size_t len = mnl_attr_get_payload_len(attr);
        struct xfrm_replay_state_esn esn;
        memcpy(&esn, mnl_attr_get_payload(attr), sizeof(esn));
        if (esn.bmp_len > XFRM_REPLAY_BITMAP_WORDS ||
            esn.bmp_len * sizeof(uint32_t) > len - sizeof(esn))
            return -EBADMSG;
        info->esn_state = true;
        info->seq = esn.seq;
        info->oseq = esn.oseq;
        info->seq_hi = esn.seq_hi;
        info->oseq_hi = esn.oseq_hi;
        info->replay_state_window = esn.replay_window;
        info->bitmap_words = esn.bmp_len;
        memcpy(info->bitmap, (const uint8_t *)mnl_attr_get_payload(attr) + sizeof(esn),
               esn.bmp_len * sizeof(uint32_t));
        info->sa.replay_window = esn.replay_window;
    } else if (t->tb[XFRMA_REPLAY_VAL]) {
        struct xfrm_replay_state rs;
        memcpy(&rs, mnl_attr_get_payload(t->tb[XFRMA_REPLAY_VAL]), sizeof(rs));
        info->seq = rs.seq;
        info->oseq = rs.oseq;
        info->bitmap_words = 1;
        info->bitmap[0] = rs.bitmap;
    }
    return 0;
}

/* Fills info from a usersa_info and the attributes collected after it. */
static int decode_sa(const struct xfrm_usersa_info *p, const struct attr_table *t,
                     struct xfrm_sa_info *info)
{
    struct xfrm_sa *sa = &info->sa;
    int r;

    memset(info, 0, sizeof(*info));
    if (p->family != AF_INET && p->family != AF_INET6)
        return -EBADMSG;
    sa->family = p->family;
    sa->src = p->saddr;
    sa->dst = p->id.daddr;
    sa->spi = ntohl(p->id.spi);
    sa->reqid = p->reqid;
    decode_selector(&p->sel, &sa->sel);
    sa->replay_window = p->replay_window;
    sa->esn = (p->flags & XFRM_STATE_ESN) != 0;
    sa->lifetime.soft_bytes = inf_to_zero(p->lft.soft_byte_limit);
    sa->lifetime.hard_bytes = inf_to_zero(p->lft.hard_byte_limit);
    sa->lifetime.soft_packets = inf_to_zero(p->lft.soft_packet_limit);
    sa->lifetime.hard_packets = inf_to_zero(p->lft.hard_packet_limit);
    sa->lifetime.soft_seconds = p->lft.soft_add_expires_seconds;
    sa->lifetime.hard_seconds = p->lft.hard_add_expires_seconds;
    info->cur = p->curlft;
    info->stats = p->stats;

    r = decode_sa_algorithms(t, sa);
    if (r < 0)
        return r;
    if (t->tb[XFRMA_ENCAP]) {
        struct xfrm_encap_tmpl e;
        memcpy(&e, mnl_attr_get_payload(t->tb[XFRMA_ENCAP]), sizeof(e));
        sa->encap = true;
        sa->encap_sport = ntohs(e.encap_sport);
        sa->encap_dport = ntohs(e.encap_dport);
    }
    if (t->tb[XFRMA_MARK])
        memcpy(&sa->mark, mnl_attr_get_payload(t->tb[XFRMA_MARK]), sizeof(sa->mark));
    if (t->tb[XFRMA_LTIME_VAL])
        memcpy(&info->cur, mnl_attr_get_payload(t->tb[XFRMA_LTIME_VAL]), sizeof(info->cur));
    if (t->tb[XFRMA_LASTUSED]) {
        info->has_lastused = true;
        info->lastused = mnl_attr_get_u64(t->tb[XFRMA_LASTUSED]);
    }
    return decode_replay(t, info);
}

int xfrm_parse_sa(const struct nlmsghdr *nlh, struct xfrm_sa_info *ret)
{
    struct xfrm_usersa_info p;
    struct attr_table t;
    int r;

    if (nlh->nlmsg_type != XFRM_MSG_NEWSA && nlh->nlmsg_type != XFRM_MSG_UPDSA)
        return -EBADMSG;
    r = parse_attrs(nlh, sizeof(p), &t);
    if (r < 0)
        return r;
    copy_header(nlh, &p, sizeof(p));
    r = decode_sa(&p, &t, ret);
    if (r < 0)
        xfrm_sa_wipe(&ret->sa);
    return r;
}

static int decode_templates(const struct attr_table *t, struct xfrm_sp *sp)
{
    sp->n_tmpl = 0;
    if (!t->tb[XFRMA_TMPL])
        return 0;
    const struct nlattr *attr = t->tb[XFRMA_TMPL];
    size_t len = mnl_attr_get_payload_len(attr);
    if (len % sizeof(struct xfrm_user_tmpl) != 0)
        return -EBADMSG;
    size_t n = len / sizeof(struct xfrm_user_tmpl);
    /* More than we keep: the first ones are the outer transforms. */
    if (n > XFRM_SP_TMPL_MAX)
        n = XFRM_SP_TMPL_MAX;
    for (size_t k = 0; k < n; k++) {
        struct xfrm_user_tmpl ut;
        memcpy(&ut, (const uint8_t *)mnl_attr_get_payload(attr) + k * sizeof(ut), sizeof(ut));
        sp->tmpl[k] = (struct xfrm_sp_tmpl){
            .family = ut.family,
            .src = ut.saddr,
            .dst = ut.id.daddr,
            .reqid = ut.reqid,
            .optional = ut.optional != 0,
        };
    }
    sp->n_tmpl = (unsigned)n;
    return 0;
}

static int decode_sp(const struct xfrm_userpolicy_info *p, const struct attr_table *t,
                     struct xfrm_sp *sp)
{
    memset(sp, 0, sizeof(*sp));
    decode_selector(&p->sel, &sp->sel);
    sp->dir = p->dir;
    sp->action = p->action;
    sp->priority = p->priority;
    sp->index = p->index;
    sp->soft_seconds = p->lft.soft_add_expires_seconds;
    sp->hard_seconds = p->lft.hard_add_expires_seconds;
    if (t->tb[XFRMA_MARK])
        memcpy(&sp->mark, mnl_attr_get_payload(t->tb[XFRMA_MARK]), sizeof(sp->mark));
    return decode_templates(t, sp);
}

int xfrm_parse_sp(const struct nlmsghdr *nlh, struct xfrm_sp *ret)
{
    struct xfrm_userpolicy_info p;
    struct attr_table t;
    int r;

    if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY && nlh->nlmsg_type != XFRM_MSG_UPDPOLICY)
        return -EBADMSG;
    r = parse_attrs(nlh, sizeof(p), &t);
    if (r < 0)
        return r;
    copy_header(nlh, &p, sizeof(p));
    return decode_sp(&p, &t, ret);
}

static int parse_expire(const struct nlmsghdr *nlh, struct xfrm_event_expire *ev)
{
    struct xfrm_user_expire ue;
    struct attr_table t;
    int r = parse_attrs(nlh, sizeof(ue), &t);
    if (r < 0)
        return r;
    copy_header(nlh, &ue, sizeof(ue));
    ev->hard = ue.hard != 0;
    r = decode_sa(&ue.state, &t, &ev->info);
    xfrm_sa_wipe(&ev->info.sa);         /* expire messages carry no keys; be sure */
    return r;
}

static int parse_acquire(const struct nlmsghdr *nlh, struct xfrm_event_acquire *ev)
{
    struct xfrm_user_acquire ua;
    struct attr_table t;
    int r = parse_attrs(nlh, sizeof(ua), &t);
    if (r < 0)
        return r;
    copy_header(nlh, &ua, sizeof(ua));
    memset(ev, 0, sizeof(*ev));
    r = decode_sp(&ua.policy, &t, &ev->policy);
    if (r < 0)
        return r;
    decode_selector(&ua.sel, &ev->sel);
    ev->src = ua.saddr;
    ev->dst = ua.id.daddr;
    ev->seq = ua.seq;
    if (ev->policy.n_tmpl > 0) {
        ev->family = ev->policy.tmpl[0].family;
        ev->reqid = ev->policy.tmpl[0].reqid;
    } else {
        ev->family = ua.sel.family;
    }
    return 0;
}

static int parse_mapping(const struct nlmsghdr *nlh, struct xfrm_event_mapping *ev)
{
    struct xfrm_user_mapping um;
    struct attr_table t;
    int r = parse_attrs(nlh, sizeof(um), &t);
    if (r < 0)
        return r;
    copy_header(nlh, &um, sizeof(um));
    if (um.id.family != AF_INET && um.id.family != AF_INET6)
        return -EBADMSG;
    memset(ev, 0, sizeof(*ev));
    ev->id.family = um.id.family;
    ev->id.dst = um.id.daddr;
    ev->id.spi = ntohl(um.id.spi);
    if (t.tb[XFRMA_MARK])
        memcpy(&ev->id.mark, mnl_attr_get_payload(t.tb[XFRMA_MARK]), sizeof(ev->id.mark));
    ev->reqid = um.reqid;
    ev->old_src = um.old_saddr;
    ev->new_src = um.new_saddr;
    ev->old_sport = ntohs(um.old_sport);
    ev->new_sport = ntohs(um.new_sport);
    return 0;
}

static int parse_polexpire(const struct nlmsghdr *nlh, struct xfrm_event_polexpire *ev)
{
    struct xfrm_user_polexpire up;
    struct attr_table t;
    int r = parse_attrs(nlh, sizeof(up), &t);
    if (r < 0)
        return r;
    copy_header(nlh, &up, sizeof(up));
    ev->hard = up.hard != 0;
    return decode_sp(&up.pol, &t, &ev->sp);
}

int xfrm_parse_event(const struct nlmsghdr *nlh, struct xfrm_event *ret)
{
    memset(ret, 0, sizeof(*ret));
    switch (nlh->nlmsg_type) {
    case XFRM_MSG_EXPIRE:
        ret->type = XFRM_EVENT_EXPIRE;
        return parse_expire(nlh, &ret->expire);
    case XFRM_MSG_ACQUIRE:
        ret->type = XFRM_EVENT_ACQUIRE;
        return parse_acquire(nlh, &ret->acquire);
    case XFRM_MSG_MAPPING:
        ret->type = XFRM_EVENT_MAPPING;
        return parse_mapping(nlh, &ret->mapping);
    case XFRM_MSG_POLEXPIRE:
        ret->type = XFRM_EVENT_POLEXPIRE;
        return parse_polexpire(nlh, &ret->polexpire);
    default:
        return -EOPNOTSUPP;
    }
}

struct spd_attrs {
    const struct nlattr *v4, *v6;
    int error;
};

static int collect_spd_attr(const struct nlattr *attr, void *data)
{
    struct spd_attrs *s = data;
    uint16_t type = mnl_attr_get_type(attr);
    if (type != XFRMA_SPD_IPV4_HTHRESH && type != XFRMA_SPD_IPV6_HTHRESH)
        return MNL_CB_OK;
    if (mnl_attr_validate2(attr, MNL_TYPE_BINARY, sizeof(struct xfrmu_spdhthresh)) < 0) {
        s->error = -EBADMSG;
        return MNL_CB_ERROR;
    }
    if (type == XFRMA_SPD_IPV4_HTHRESH)
        s->v4 = attr;
    else
        s->v6 = attr;
    return MNL_CB_OK;
}

int xfrm_parse_spdinfo(const struct nlmsghdr *nlh, struct xfrm_spd_hthresh *ret)
{
    struct spd_attrs s = {0};
    struct xfrmu_spdhthresh v4, v6;

    if (nlh->nlmsg_type != XFRM_MSG_NEWSPDINFO ||
        mnl_nlmsg_get_payload_len(nlh) < sizeof(uint32_t))
        return -EBADMSG;
    if (mnl_attr_parse(nlh, sizeof(uint32_t), collect_spd_attr, &s) < 0)
        return s.error ? s.error : -EBADMSG;
    if (!s.v4 || !s.v6)
        return -EBADMSG;
    memcpy(&v4, mnl_attr_get_payload(s.v4), sizeof(v4));
    memcpy(&v6, mnl_attr_get_payload(s.v6), sizeof(v6));
    *ret = (struct xfrm_spd_hthresh){ v4.lbits, v4.rbits, v6.lbits, v6.rbits };
    return 0;
}

struct ack_attrs {
    const struct nlattr *msg;
    int error;
};

static int collect_ack_attr(const struct nlattr *attr, void *data)
{
    struct ack_attrs *a = data;
    if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG)
        return MNL_CB_OK;
    if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0) {
        a->error = -EBADMSG;
        return MNL_CB_ERROR;
    }
    a->msg = attr;
    return MNL_CB_OK;
}

int xfrm_parse_ack(const struct nlmsghdr *nlh, struct xfrm_status *st)
{
    struct nlmsgerr err;
    size_t payload = mnl_nlmsg_get_payload_len(nlh);

    memset(st, 0, sizeof(*st));
    if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < MNL_NLMSG_HDRLEN ||
        payload < sizeof(err))
        return -EBADMSG;
    copy_header(nlh, &err, sizeof(err));
    /* errno values are small; anything else is not a kernel errno. */
    if (err.error > 0 || err.error < -4095)
        return -EBADMSG;
    st->error = err.error;
    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
        return 0;

    /* The TLVs follow the echoed request: only its header when capped. */
    size_t offset = sizeof(err);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
        if (err.msg.nlmsg_len < sizeof(struct nlmsghdr))
            return -EBADMSG;
        offset = sizeof(err.error) + MNL_ALIGN(err.msg.nlmsg_len);
    }
    if (offset > payload)
        return -EBADMSG;
    struct ack_attrs a = {0};
    if (mnl_attr_parse(nlh, offset, collect_ack_attr, &a) < 0)
        return a.error ? a.error : -EBADMSG;
    if (a.msg) {
        const char *s = mnl_attr_get_str(a.msg);
        size_t n = strnlen(s, sizeof(st->message) - 1);
        memcpy(st->message, s, n);
        st->message[n] = '\0';
    }
    return 0;
}
