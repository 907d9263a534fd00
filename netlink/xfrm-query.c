/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Synchronous queries: one SA or policy, dumps, SPI allocation. What the
 * kernel returns about SAs includes their keys; nothing here hands keys to
 * the caller (vpnctl shows counters, not secrets) but xfrm_sa_get_with_keys,
 * which exists to update an SA in place.
 */
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "xfrm-handle.h"
#include "xfrm-msg.h"

void xfrm_sa_wipe(struct xfrm_sa *sa)
{
    explicit_bzero(sa->enc_key, sizeof(sa->enc_key));
    explicit_bzero(sa->integ_key, sizeof(sa->integ_key));
    sa->enc_key_len = 0;
    sa->integ_key_len = 0;
}

struct one_sa {
    struct xfrm_sa_info *info;
    bool found;
};

static int take_one_sa(const struct nlmsghdr *nlh, void *userdata)
{
    struct one_sa *o = userdata;
    if (o->found)
        return -EBADMSG;        /* a get answers with exactly one SA */
    int r = xfrm_parse_sa(nlh, o->info);
    if (r < 0)
        return r;
    xfrm_sa_wipe(&o->info->sa);
    o->found = true;
    return 0;
}

int xfrm_sa_get(struct xfrm_handle *h, const struct xfrm_sa_id *id,
                struct xfrm_sa_info *ret, struct xfrm_status *st)
{
    uint8_t buf[XFRM_REQUEST_MAX] __attribute__((aligned(8)));
    struct nlmsghdr *nlh;
    struct one_sa o = { .info = ret };

    int r = xfrm_msg_sa_id(buf, sizeof(buf), XFRM_MSG_GETSA, id, &nlh);
    if (r < 0)
        return r;
    r = xfrm_transact(h, nlh, take_one_sa, &o, st);
    if (r < 0)
        return r;
    return o.found ? 0 : -EBADMSG;
}

/* Like take_one_sa, keys kept: only for xfrm_sa_get_with_keys. */
static int take_one_sa_keys(const struct nlmsghdr *nlh, void *userdata)
{
    struct one_sa *o = userdata;
    if (o->found)
        return -EBADMSG;
    int r = xfrm_parse_sa(nlh, o->info);
    if (r < 0) {
        xfrm_sa_wipe(&o->info->sa);
        return r;
    }
    o->found = true;
    return 0;
}

int xfrm_sa_get_with_keys(struct xfrm_handle *h, const struct xfrm_sa_id *id,
                          struct xfrm_sa_info *ret, struct xfrm_status *st)
{
    uint8_t buf[XFRM_REQUEST_MAX] __attribute__((aligned(8)));
    struct nlmsghdr *nlh;
    struct one_sa o = { .info = ret };

    int r = xfrm_msg_sa_id(buf, sizeof(buf), XFRM_MSG_GETSA, id, &nlh);
    if (r < 0)
        return r;
    r = xfrm_transact(h, nlh, take_one_sa_keys, &o, st);
    if (r < 0) {
        xfrm_sa_wipe(&ret->sa);
        return r;
    }
    return o.found ? 0 : -EBADMSG;
}

struct one_sp {
    struct xfrm_sp *sp;
    bool found;
};

static int take_one_sp(const struct nlmsghdr *nlh, void *userdata)
{
    struct one_sp *o = userdata;
    if (o->found)
        return -EBADMSG;
    int r = xfrm_parse_sp(nlh, o->sp);
    if (r < 0)
        return r;
    o->found = true;
    return 0;
}

int xfrm_sp_get(struct xfrm_handle *h, const struct xfrm_sp_id *id,
                struct xfrm_sp *ret, struct xfrm_status *st)
{
    uint8_t buf[XFRM_REQUEST_MAX] __attribute__((aligned(8)));
    struct nlmsghdr *nlh;
    struct one_sp o = { .sp = ret };

    int r = xfrm_msg_sp_id(buf, sizeof(buf), XFRM_MSG_GETPOLICY, id, &nlh);
    if (r < 0)
        return r;
    r = xfrm_transact(h, nlh, take_one_sp, &o, st);
    if (r < 0)
        return r;
    return o.found ? 0 : -EBADMSG;
}

int xfrm_sa_allocspi(struct xfrm_handle *h, uint16_t family,
                     const xfrm_address_t *src, const xfrm_address_t *dst,
                     uint32_t reqid, const struct xfrm_mark *mark,
                     uint32_t min, uint32_t max, uint32_t *ret_spi,
                     struct xfrm_status *st)
{
    uint8_t buf[XFRM_REQUEST_MAX] __attribute__((aligned(8)));
    struct nlmsghdr *nlh;
    struct xfrm_sa_info info;
    struct one_sa o = { .info = &info };

    int r = xfrm_msg_allocspi(buf, sizeof(buf), family, src, dst, reqid, mark, min, max, &nlh);
    if (r < 0)
        return r;
    r = xfrm_transact(h, nlh, take_one_sa, &o, st);
    if (r < 0)
        return r;
    if (!o.found || info.sa.spi < min || info.sa.spi > max)
        return -EBADMSG;
    *ret_spi = info.sa.spi;
    return 0;
}

struct sa_dump {
    xfrm_sa_dump_fn fn;
    void *userdata;
};

static int dump_one_sa(const struct nlmsghdr *nlh, void *userdata)
{
    struct sa_dump *d = userdata;
    struct xfrm_sa_info info;
    int r = xfrm_parse_sa(nlh, &info);
    if (r < 0)
        return r;
    xfrm_sa_wipe(&info.sa);
    return d->fn(&info, d->userdata);
}

/* A dump request: the bare header (plus fixed payload) with NLM_F_DUMP. */
static struct nlmsghdr *dump_request(void *buf, uint16_t type, size_t payload)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    if (payload)
        mnl_nlmsg_put_extra_header(nlh, payload);
    return nlh;
}

int xfrm_sa_dump(struct xfrm_handle *h, xfrm_sa_dump_fn fn, void *userdata,
                 struct xfrm_status *st)
{
    uint8_t buf[MNL_NLMSG_HDRLEN + 64] __attribute__((aligned(8)));
    struct sa_dump d = { fn, userdata };
    return xfrm_transact(h, dump_request(buf, XFRM_MSG_GETSA, 0), dump_one_sa, &d, st);
}

struct sp_dump {
    xfrm_sp_dump_fn fn;
    void *userdata;
};

static int dump_one_sp(const struct nlmsghdr *nlh, void *userdata)
{
    struct sp_dump *d = userdata;
    struct xfrm_sp sp;
    int r = xfrm_parse_sp(nlh, &sp);
    if (r < 0)
        return r;
    return d->fn(&sp, d->userdata);
}

int xfrm_sp_dump(struct xfrm_handle *h, xfrm_sp_dump_fn fn, void *userdata,
                 struct xfrm_status *st)
{
    uint8_t buf[MNL_NLMSG_HDRLEN + 64] __attribute__((aligned(8)));
    struct sp_dump d = { fn, userdata };
    return xfrm_transact(h, dump_request(buf, XFRM_MSG_GETPOLICY, 0), dump_one_sp, &d, st);
}
