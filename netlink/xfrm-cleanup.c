/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Removal of everything vpnd installed, at start (after a crash) and at stop.
 * What is ours is told by the reqid (see XFRM_VPND_REQID_BASE): SAs by their
 * own reqid, policies by the reqid of any of their templates. Entries are
 * collected first and deleted afterwards (deleting while a dump is in
 * progress would make the kernel skip entries), in batches.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xfrm-handle.h"
#include "xfrm-msg.h"

struct id_list {
    void *items;
    size_t n, cap, size;
};

static int id_list_add(struct id_list *l, const void *item)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        void *p = reallocarray(l->items, cap, l->size);
        if (!p)
            return -ENOMEM;
        l->items = p;
        l->cap = cap;
    }
    memcpy((uint8_t *)l->items + l->n * l->size, item, l->size);
    l->n++;
    return 0;
}

static int collect_sa(const struct xfrm_sa_info *info, void *userdata)
{
    if (!xfrm_reqid_is_owned(info->sa.reqid))
        return 0;
    struct xfrm_sa_id id = {
        .family = info->sa.family,
        .dst = info->sa.dst,
        .spi = info->sa.spi,
        .mark = info->sa.mark,
    };
    return id_list_add(userdata, &id);
}

static int collect_sp(const struct xfrm_sp *sp, void *userdata)
{
    for (unsigned k = 0; k < sp->n_tmpl; k++)
        if (xfrm_reqid_is_owned(sp->tmpl[k].reqid)) {
            struct xfrm_sp_id id = {
                .sel = sp->sel, .dir = sp->dir, .index = sp->index, .mark = sp->mark,
            };
            return id_list_add(userdata, &id);
        }
    return 0;
}

struct tally {
    unsigned deleted, failed;
    struct xfrm_status first_error;
};

static void count_delete(const struct xfrm_status *st, void *userdata)
{
    struct tally *t = userdata;
    /* Gone already (expired meanwhile) is what we wanted. */
    if (st->error == 0 || st->error == -ENOENT || st->error == -ESRCH) {
        t->deleted++;
        return;
    }
    if (t->failed++ == 0)
        t->first_error = *st;
}

int xfrm_cleanup_owned(struct xfrm_handle *h, unsigned *ret_sas, unsigned *ret_sps,
                       struct xfrm_status *st)
{
    struct id_list sas = { .size = sizeof(struct xfrm_sa_id) };
    struct id_list sps = { .size = sizeof(struct xfrm_sp_id) };
    struct tally sa_tally = {0}, sp_tally = {0};
    int r;

    r = xfrm_sp_dump(h, collect_sp, &sps, st);
    if (r < 0)
        goto out;
    r = xfrm_sa_dump(h, collect_sa, &sas, st);
    if (r < 0)
        goto out;

    /* Policies first, so no packet finds a policy without its SA. */
    for (size_t k = 0; k < sps.n; k++) {
        r = xfrm_queue_sp_delete(h, (struct xfrm_sp_id *)sps.items + k, count_delete, &sp_tally);
        if (r < 0)
            goto flush_out;
    }
    for (size_t k = 0; k < sas.n; k++) {
        r = xfrm_queue_sa_delete(h, (struct xfrm_sa_id *)sas.items + k, count_delete, &sa_tally);
        if (r < 0)
            goto flush_out;
    }
    r = xfrm_flush(h);
    if (r < 0)
        goto out;
    r = (int)(sa_tally.failed + sp_tally.failed);
    if (st && r > 0)
        *st = sp_tally.failed ? sp_tally.first_error : sa_tally.first_error;
    goto out;
flush_out:
    /* The callbacks point at this frame: run them before leaving it. */
    (void)xfrm_flush(h);
out:
    if (ret_sas)
        *ret_sas = sa_tally.deleted;
    if (ret_sps)
        *ret_sps = sp_tally.deleted;
    free(sas.items);
    free(sps.items);
    return r;
}
