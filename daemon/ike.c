/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ike.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "aaa.h"
#include "accounting.h"
#include "child-sa.h"
#include "ike-internal.h"
#include "ikev2-half-open.h"
#include "session-reload.h"
#include "ikev2-payload.h"
#include "ikev2-wire.h"
#include "log.h"
#include "route.h"
#include "vpnd-kernel.h"
#include "vpnd.h"
#include "xfrm.h"
#include "xfrm-snapshot.h"

struct vpnd_config *ike_config(struct ike *ike)
{
    return ike->vpnd->config;
}

struct job_pool *ike_jobs(struct ike *ike)
{
    return ike->vpnd->jobs;
}

struct xfrm_handle *ike_xfrm(struct ike *ike)
{
    return vpnd_kernel_xfrm(ike->vpnd->kernel);
}

uint32_t ike_next_reqid(struct ike *ike)
{
    /* A million CHILD SAs before the counter wraps; by then the early ones
     * are long gone (rekeying is not in yet, so each lives one session). */
    uint32_t reqid = XFRM_VPND_REQID_BASE + 1 + ike->next_reqid % (XFRM_VPND_REQID_COUNT - 1);
    ike->next_reqid++;
    return reqid;
}

/* RFC 7296 2.5: a message with a higher major version is dropped, and a
 * request SHOULD get an unauthenticated INVALID_MAJOR_VERSION carrying the
 * highest version we speak (2.0), with the request's SPIs, exchange and
 * message ID. Responses are never answered, so two peers cannot ping-pong;
 * the answer is no larger than a minimal request, so it amplifies nothing. */
static void send_invalid_major_version(struct ike *ike, const struct ike_packet *pkt)
{
    const uint8_t *d = pkt->data;
    if (d[19] & IKEV2_FLAG_RESPONSE)
        return;
    struct ikev2_header h = {
        .ispi = ikev2_get64(d),
        .rspi = ikev2_get64(d + 8),
        .major_version = IKEV2_MAJOR_VERSION,
        .exchange = d[18],
        .flags = IKEV2_FLAG_RESPONSE,
        .message_id = ikev2_get32(d + 20),
    };
    uint8_t buf[64];
    struct ikev2_builder b;
    size_t len = 0;
    ikev2_builder_init(&b, buf, sizeof(buf));
    ikev2_build_header(&b, &h);
    ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, IKEV2_N_INVALID_MAJOR_VERSION, NULL, 0);
    if (ikev2_builder_finish(&b, &len) < 0)
        return;
    (void)ike_socket_send(ike->sockets, &pkt->local, &pkt->remote, buf, len);
}

static void on_packet(const struct ike_packet *pkt, void *userdata)
{
    struct ike *ike = userdata;

    ike->stats.received++;
    if (ike->stopping)
        return;
    /* Byte 17 of the IKE header: major version in the high nibble. */
    uint8_t major = pkt->data[17] >> 4;
    if (major == 2) {
        ikev2_handle_packet(ike, pkt);
        return;
    }
    char peer[IKE_SOCKADDR_STRING_MAX];
    if (major == 1) {
        ikev1_handle_packet(ike, pkt);
        return;
    }
    ike->stats.parse_errors++;
    log_debug(CONFIG_SUBSYS_IKE, 1, "message from %s with IKE major version %u dropped%s",
              ike_sockaddr_to_string(&pkt->remote, peer, sizeof(peer)), major,
              major > 2 ? ", answered with INVALID_MAJOR_VERSION" : "");
    if (major > 2)
        send_invalid_major_version(ike, pkt);
}

struct pool *ike_pool_find(struct ike *ike, const char *name)
{
    return hashmap_get_str(ike->pools, name);
}

static struct pool *get_pool(struct ike *ike, const struct config_pool *cp)
{
    struct pool *p = hashmap_get_str(ike->pools, cp->name);
    if (p)
        return p;
    int r = pool_new(cp, &p);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_POOL, r, "cannot create pool '%s': %m", cp->name);
        return NULL;
    }
    r = hashmap_put_str(ike->pools, pool_name(p), p);
    if (r < 0) {
        pool_free(p);
        return NULL;
    }
    return p;
}

/* The first of the group's pools of `family` with a free address; each
 * exhausted one is logged and named in *exhausted. `none` is returned when
 * the group has no pool of the family. */
static int acquire_from_pools(struct ike *ike, const struct config_tunnel_group *group, int family, int none,
                              const char *owner, struct config_address *addr, struct pool **pool,
                              const char **exhausted, uint64_t *in_use)
{
    int r = none;
    for (size_t i = 0; i < group->n_pools; i++) {
        if (group->pools[i]->family != family)
            continue;
        struct pool *p = get_pool(ike, group->pools[i]);
        if (!p)
            return -ENOMEM;
        r = pool_acquire(p, owner, NULL, addr);
        if (r >= 0) {
            *pool = p;
            return 0;
        }
        if (r != -ENOSPC)
            return r;
        *exhausted = pool_name(p);
        *in_use = pool_stats(p).in_use;
        log_info(CONFIG_SUBSYS_POOL, "pool '%s' exhausted (%" PRIu64 " addresses in use)", pool_name(p),
                 pool_stats(p).in_use);
    }
    return r;
}

int ike_address_acquire(struct ike *ike, const struct config_tunnel_group *group, const struct config_user *user,
                        const char *owner, struct config_address *addr, struct pool **pool, const char **exhausted,
                        uint64_t *in_use)
{
    *pool = NULL;
    *exhausted = NULL;
    if (user && user->has_address) {
        /* A RADIUS Framed-IP-Address may lie in one of the group's pools
         * (a configured user's never does): lease exactly it from there. */
        for (size_t i = 0; i < group->n_pools; i++) {
            struct pool *p = group->pools[i]->family == user->address.family ? get_pool(ike, group->pools[i]) : NULL;
            if (!p || !pool_contains(p, &user->address))
                continue;
            int r = pool_acquire(p, owner, &user->address, addr);
            if (r < 0)
                return r;
            if (config_address_compare(addr, &user->address) != 0) {
                (void)pool_release(p, addr);
                return -EADDRINUSE;
            }
            *pool = p;
            return 0;
        }
        int r = fixed_address_claim(ike->fixed, &user->address, owner);
        if (r < 0)
            return r;
        *addr = user->address;
        return 0;
    }
    /* IPv4 inner addresses only here; IPv6 in ike_address_acquire6(). */
    return acquire_from_pools(ike, group, AF_INET, -ENOSPC, owner, addr, pool, exhausted, in_use);
}

int ike_address_acquire6(struct ike *ike, const struct config_tunnel_group *group, const char *owner,
                         struct config_address *addr, struct pool **pool, const char **exhausted,
                         uint64_t *in_use)
{
    *pool = NULL;
    *exhausted = NULL;
    return acquire_from_pools(ike, group, AF_INET6, -ENOENT, owner, addr, pool, exhausted, in_use);
}

void ike_address_release(struct ike *ike, struct pool *pool, const struct config_address *addr)
{
    int r = pool ? pool_release(pool, addr) : fixed_address_release(ike->fixed, addr);
    if (r < 0)
        log_warning(CONFIG_SUBSYS_POOL, "releasing an address: %s", strerror(-r));
}

static void on_evicted(struct pool *pool, const struct config_address *addr, const char *owner, void *userdata)
{
    struct ike *ike = userdata;
    struct session *s = session_find_by_address(ike->sessions, addr);
    log_notice(CONFIG_SUBSYS_POOL, "pool '%s' no longer holds the address of %s: ending the session",
               pool_name(pool), owner ? owner : "(no owner)");
    session_set_end_cause(s, SESSION_END_NAS_REQUEST);
    if (s && s->protocol == SESSION_IKEV2 && s->owner) {
        /* The lease is gone already: the SA must not release it again. */
        ikev2_ike_sa_terminate(ike, s->owner, true, "address pool changed");
    } else if (s && s->protocol == SESSION_IKEV1 && s->owner)
        ikev1_sa_terminate(s->owner, true, "address pool changed");
}

/* Sessions run on under the configuration they began with, unless the new
 * one removed what they stand on (session-reload.c says what). */
static void end_disallowed_sessions(struct ike *ike, const struct vpnd_config *config)
{
    free(ike->reload_ended);
    ike->reload_ended = NULL;
    ike->n_reload_ended = 0;
    int r = session_reload_check(ike->sessions, config, &ike->reload_ended, &ike->n_reload_ended);
    if (r < 0) {
        log_warning_errno(CONFIG_SUBSYS_IKE, r, "cannot check the sessions against the new configuration: %m");
        return;
    }
    for (size_t i = 0; i < ike->n_reload_ended; i++) {
        const struct session_reload_end *e = &ike->reload_ended[i];
        struct session *s = session_find_by_index(ike->sessions, e->index);
        log_notice(CONFIG_SUBSYS_IKE, "reload ends session %u (user %s, tunnel group %s): %s", e->index, e->user,
                   e->tunnel_group, e->reason);
        session_set_end_cause(s, SESSION_END_NAS_REQUEST);
        if (s && s->ops && s->ops->terminate)
            s->ops->terminate(s, e->reason);
    }
}

int ike_reload(struct ike *ike, const struct vpnd_config *config)
{
    char err[IKE_SOCKET_ERROR_MAX] = "";
    int r = ike_socket_set_update(ike->sockets, config->listen, config->n_listen, err, sizeof(err));
    if (r < 0)
        log_error_errno(CONFIG_SUBSYS_IKE, r, "keeping the previous IKE sockets: %s", err);

    struct hashmap_iter it = HASHMAP_ITER_INIT;
    void *value;
    /* pool_update's eviction callback ends sessions, which touches no pool
     * table entry; collect first anyway to keep the iteration simple. */
    size_t n = hashmap_size(ike->pools), k = 0;
    struct pool **list = n ? calloc(n, sizeof(*list)) : NULL;
    if (n && !list)
        return -ENOMEM;
    while (k < n && hashmap_iterate(ike->pools, &it, NULL, NULL, &value))
        list[k++] = value;
    for (size_t i = 0; i < k; i++) {
        const struct config_pool *cp = config_pool_find(config, pool_name(list[i]));
        if (!cp)
            continue;   /* removed from the file: its leases end with their sessions */
        int e = pool_update(list[i], cp, on_evicted, ike);
        if (e < 0)
            log_warning(CONFIG_SUBSYS_POOL, "pool '%s' keeps its previous range: %s", cp->name, strerror(-e));
    }
    free(list);
    ikev2_cert_cache_flush(ike);    /* the new configuration's files load on first use */
    if (ike->aaa && aaa_reload(ike->aaa, ike_config(ike)) < 0)
        log_warning(CONFIG_SUBSYS_RADIUS, "the RADIUS clients keep the previous configuration's groups");
    end_disallowed_sessions(ike, config);
    return r < 0 ? r : 0;
}

const struct session_reload_end *ike_reload_ended(const struct ike *ike, size_t *n)
{
    *n = ike->n_reload_ended;
    return ike->reload_ended;
}

struct session_registry *ike_sessions(struct ike *ike)
{
    return ike->sessions;
}

void ike_get_stats(const struct ike *ike, struct ike_stats *stats)
{
    *stats = ike->stats;
}

void ike_get_socket_stats(const struct ike *ike, struct ike_socket_stats *stats)
{
    ike_socket_get_stats(ike->sockets, stats);
}

int ike_session_counters(struct ike *ike, struct session *s, const struct xfrm_snapshot *snap,
                         struct session_counters *c)
{
    (void)ike;
    memset(c, 0, sizeof(*c));
    if (!s->ops || !s->ops->counters)
        return -EOPNOTSUPP;
    return s->ops->counters(s, snap, c);
}

struct xfrm_snapshot *ike_kernel_snapshot(struct ike *ike)
{
    struct xfrm_snapshot *snap = NULL;
    struct xfrm_status st = { 0 };
    struct xfrm_handle *x = ike_xfrm(ike);
    if (!x)
        return NULL;
    int r = xfrm_snapshot_take(x, &snap, &st);
    if (r < 0)
        log_warning(CONFIG_SUBSYS_NETLINK, "cannot dump the kernel's SAs, asking for them one by one: %s%s%s",
                    strerror(-r), st.message[0] ? ": " : "", st.message);
    return r < 0 ? NULL : snap;
}

/* Ends every IKE SA of a table. Terminating removes an SA from its
 * tables, so the keys are collected first and each looked up again (an
 * SA's end may take others with it): restarting the walk after each one
 * would scan the empty buckets once per SA, quadratic with thousands of
 * sessions. Without memory for the list, restart anyway. */
struct sa_table_key {
    uint8_t bytes[64];
    size_t len;
};

static void terminate_all(struct ike *ike, struct hashmap *map, bool send_delete)
{
    if (!map)
        return;
    size_t n = hashmap_size(map), k = 0;
    struct sa_table_key *keys = n ? calloc(n, sizeof(*keys)) : NULL;
    struct hashmap_iter it = HASHMAP_ITER_INIT;
    const void *key;
    size_t len;
    void *value;
    if (keys) {
        while (k < n && hashmap_iterate(map, &it, &key, &len, &value))
            if (len <= sizeof(keys[k].bytes)) {
                memcpy(keys[k].bytes, key, len);
                keys[k++].len = len;
            }
        for (size_t i = 0; i < k; i++) {
            value = hashmap_get(map, keys[i].bytes, keys[i].len);
            if (value)
                ikev2_ike_sa_terminate(ike, value, send_delete, "vpnd is stopping");
        }
        free(keys);
    }
    for (;;) {
        it = HASHMAP_ITER_INIT;
        if (!hashmap_iterate(map, &it, NULL, NULL, &value))
            break;
        ikev2_ike_sa_terminate(ike, value, send_delete, "vpnd is stopping");
    }
}

void ike_free(struct ike *ike)
{
    if (!ike)
        return;
    ike->stopping = true;
    /* Established SAs: DELETE to the peer, kernel state out, lease back. */
    terminate_all(ike, ike->sas, true);
    terminate_all(ike, ike->half_open, false);
    ikev1_free_all(ike);
    aaa_free(ike->aaa);             /* after the SAs, which cancel their requests */
    ike_socket_set_free(ike->sockets);
    if (ike->pools) {
        struct hashmap_iter it = HASHMAP_ITER_INIT;
        const void *key;
        size_t len;
        void *value;
        while (hashmap_iterate(ike->pools, &it, &key, &len, &value)) {
            hashmap_remove(ike->pools, key, len);
            pool_free(value);
        }
    }
    hashmap_free(ike->pools);
    ikev2_cert_cache_flush(ike);
    hashmap_free(ike->cert_stores);
    hashmap_free(ike->sas);
    hashmap_free(ike->half_open);
    hashmap_free(ike->ikev1_sas);
    hashmap_free(ike->ikev1_half_open);
    hashmap_free(ike->ikev1_users);
    ikev2_half_open_free(ike);
    child_sa_set_removal_observer(NULL, NULL);
    session_registry_free(ike->sessions);
    fixed_addresses_free(ike->fixed);
    route_close(ike->routes);
    free(ike->reload_ended);
    free(ike);
}

static void on_child_sa_removed(uint32_t reqid, const struct session_counters *final, void *userdata)
{
    struct ike *ike = userdata;
    session_retire_counters(ike->sessions, reqid, final);
}

int ike_new(struct vpnd *vpnd, struct ike **ret)
{
    char err[IKE_SOCKET_ERROR_MAX] = "";
    struct ike *ike = calloc(1, sizeof(*ike));
    if (!ike)
        return log_error_errno(CONFIG_SUBSYS_IKE, -ENOMEM, "out of memory");
    ike->vpnd = vpnd;
    ike->event = vpnd->event;

    int r = hashmap_new(&ike->sas);
    if (r >= 0)
        r = hashmap_new(&ike->half_open);
    if (r >= 0)
        r = hashmap_new(&ike->ikev1_sas);
    if (r >= 0)
        r = hashmap_new(&ike->ikev1_half_open);
    if (r >= 0)
        r = hashmap_new(&ike->ikev1_users);
    if (r >= 0)
        r = hashmap_new(&ike->pools);
    if (r >= 0)
        r = session_registry_new(&ike->sessions);
    if (r >= 0)
        r = fixed_addresses_new(&ike->fixed);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_IKE, r, "cannot set up the IKE tables: %m");
        goto fail;
    }

    /* Accounting hears of sessions coming and going; the counters of CHILD
     * SAs that rekeys remove stay with their session. */
    session_registry_set_observer(ike->sessions, &accounting_session_observer, vpnd->accounting);
    child_sa_set_removal_observer(on_child_sa_removed, ike);

    r = route_open(&ike->routes);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_NETLINK, r, "cannot open route netlink: %m");
        goto fail;
    }
    unsigned stale = 0;
    r = route_flush_owned(ike->routes, 0, AF_UNSPEC, &stale);
    if (r < 0)
        log_warning_errno(CONFIG_SUBSYS_NETLINK, r, "cannot remove routes left by a previous vpnd: %m");
    else if (stale)
        log_info(CONFIG_SUBSYS_NETLINK, "removed %u client routes left by a previous vpnd", stale);

    r = ike_socket_set_new(&ike->sockets, vpnd->event, on_packet, ike);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_IKE, r, "cannot create the IKE sockets: %m");
        goto fail;
    }
    r = ike_socket_set_update(ike->sockets, vpnd->config->listen, vpnd->config->n_listen, err, sizeof(err));
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_IKE, r, "%s", err);
        goto fail;
    }
    log_info(CONFIG_SUBSYS_IKE, "listening for IKE on %d sockets", r);
    r = aaa_new(ike->event, vpnd->config, &ike->aaa);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_RADIUS, r, "cannot set up the RADIUS clients: %m");
        goto fail;
    }
    *ret = ike;
    return 0;

fail:
    ike_free(ike);
    return r;
}
