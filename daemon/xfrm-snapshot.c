/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One dump of the kernel's SAs, indexed by SA id (xfrm-snapshot.h). The
 * entries go into one array while the dump runs (it may grow and move),
 * and into the hash table once it is complete, so the table's values
 * point at entries that stay put.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hashmap.h"
#include "xfrm-snapshot.h"

/* What the kernel looks an SA up by (xfrm_state_lookup): the outer family
 * and destination, the SPI (ESP only is vpnd's) and the mark. Padding and
 * the unused tail of an IPv4 address are zero, so keys compare as bytes. */
struct sa_key {
    uint32_t family;
    uint32_t spi;
    uint32_t mark_v, mark_m;
    xfrm_address_t dst;
};

struct snapshot_entry {
    struct sa_key key;
    struct xfrm_sa_counters counters;
};

struct xfrm_snapshot {
    struct snapshot_entry *entries;
    size_t n, cap;
    struct hashmap *by_id;
};

static void make_key(uint16_t family, const xfrm_address_t *dst, uint32_t spi, const struct xfrm_mark *mark,
                     struct sa_key *key)
{
    memset(key, 0, sizeof(*key));
    key->family = family;
    key->spi = spi;
    key->mark_v = mark->v & mark->m;
    key->mark_m = mark->m;
    if (family == AF_INET)
        memcpy(&key->dst.a4, &dst->a4, sizeof(dst->a4));
    else
        memcpy(&key->dst.a6, &dst->a6, sizeof(dst->a6));
}

void xfrm_sa_counters_from_info(const struct xfrm_sa_info *info, struct xfrm_sa_counters *out)
{
    *out = (struct xfrm_sa_counters){
        .bytes = info->cur.bytes,
        .packets = info->cur.packets,
        .add_time = info->cur.add_time,
        .use_time = info->cur.use_time,
        .replay_window = info->esn_state ? info->replay_state_window : info->sa.replay_window,
        .replay_window_errors = info->stats.replay_window,
        .replay_errors = info->stats.replay,
        .integrity_failures = info->stats.integrity_failed,
        .seq = info->seq,
        .oseq = info->oseq,
        .lifetime = info->sa.lifetime,
    };
}

static int add_sa(const struct xfrm_sa_info *info, void *userdata)
{
    struct xfrm_snapshot *snap = userdata;
    /* Another IKE daemon's SAs are none of the views' business. */
    if (!xfrm_reqid_is_owned(info->sa.reqid))
        return 0;
    if (snap->n == snap->cap) {
        size_t cap = snap->cap ? snap->cap * 2 : 256;
        struct snapshot_entry *e = reallocarray(snap->entries, cap, sizeof(*e));
        if (!e)
            return -ENOMEM;
        snap->entries = e;
        snap->cap = cap;
    }
    struct snapshot_entry *e = &snap->entries[snap->n++];
    make_key(info->sa.family, &info->sa.dst, info->sa.spi, &info->sa.mark, &e->key);
    xfrm_sa_counters_from_info(info, &e->counters);
    return 0;
}

/* Indexes the complete dump. Two SAs with one id cannot both be in the
 * kernel; should a dump repeat one (SAs changing while it runs), the first
 * is kept. */
static int index_entries(struct xfrm_snapshot *snap)
{
    int r = hashmap_new(&snap->by_id);
    for (size_t i = 0; r >= 0 && i < snap->n; i++) {
        r = hashmap_put(snap->by_id, &snap->entries[i].key, sizeof(snap->entries[i].key), &snap->entries[i]);
        if (r == -EEXIST)
            r = 0;
    }
    return r;
}

static int finish(struct xfrm_snapshot *snap, int r, struct xfrm_snapshot **ret)
{
    if (r >= 0)
        r = index_entries(snap);
    if (r < 0) {
        xfrm_snapshot_free(snap);
        return r;
    }
    *ret = snap;
    return 0;
}

int xfrm_snapshot_take(struct xfrm_handle *x, struct xfrm_snapshot **ret, struct xfrm_status *st)
{
    struct xfrm_snapshot *snap = calloc(1, sizeof(*snap));
    if (!snap)
        return -ENOMEM;
    return finish(snap, xfrm_sa_dump(x, add_sa, snap, st), ret);
}

int xfrm_snapshot_parse(const void *buf, size_t len, struct xfrm_snapshot **ret)
{
    struct xfrm_snapshot *snap = calloc(1, sizeof(*snap));
    if (!snap)
        return -ENOMEM;
    return finish(snap, xfrm_sa_dump_parse(buf, len, add_sa, snap), ret);
}

void xfrm_snapshot_free(struct xfrm_snapshot *snap)
{
    if (!snap)
        return;
    hashmap_free(snap->by_id);
    free(snap->entries);
    free(snap);
}

size_t xfrm_snapshot_size(const struct xfrm_snapshot *snap)
{
    return snap->by_id ? hashmap_size(snap->by_id) : 0;
}

const struct xfrm_sa_counters *xfrm_snapshot_find(const struct xfrm_snapshot *snap, const struct xfrm_sa_id *id)
{
    struct sa_key key;
    make_key(id->family, &id->dst, id->spi, &id->mark, &key);
    const struct snapshot_entry *e = hashmap_get(snap->by_id, &key, sizeof(key));
    return e ? &e->counters : NULL;
}

int xfrm_sa_read_counters(struct xfrm_handle *x, const struct xfrm_snapshot *snap, const struct xfrm_sa_id *id,
                          struct xfrm_sa_counters *out, struct xfrm_status *st)
{
    if (snap) {
        const struct xfrm_sa_counters *c = xfrm_snapshot_find(snap, id);
        if (st)
            memset(st, 0, sizeof(*st));
        if (!c)
            return -ESRCH;      /* what a get of a missing SA answers */
        *out = *c;
        return 0;
    }
    struct xfrm_sa_info info;
    int r = xfrm_sa_get(x, id, &info, st);
    if (r < 0)
        return r;
    xfrm_sa_counters_from_info(&info, out);
    return 0;
}
