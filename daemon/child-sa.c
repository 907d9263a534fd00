/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "child-sa.h"
#include "clock.h"
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "kernel-timing.h"
#include "route.h"
#include "xfrm-snapshot.h"

/* Client policies sit above nothing else of ours; strongSwan uses the
 * same band for its trap/regular policies. */
#define CHILD_SA_POLICY_PRIORITY 2000
/* Our inbound SPIs: above the range reserved by RFC 4303 (1..255). */
#define CHILD_SA_SPI_MIN 0xc0000000u
#define CHILD_SA_SPI_MAX 0xcfffffffu
#define CHILD_SA_REPLAY_WINDOW 32

static uint16_t family_of(const union ike_sockaddr *a)
{
    return a->sa.sa_family;
}

static void address_of(const union ike_sockaddr *a, xfrm_address_t *x)
{
    memset(x, 0, sizeof(*x));
    if (a->sa.sa_family == AF_INET)
        memcpy(&x->a4, &a->in.sin_addr, 4);
    else
        memcpy(&x->a6, &a->in6.sin6_addr, 16);
}

static void config_to_xfrm(const struct config_address *a, xfrm_address_t *x)
{
    memset(x, 0, sizeof(*x));
    if (a->family == AF_INET)
        memcpy(&x->a4, &a->in, 4);
    else
        memcpy(&x->a6, &a->in6, 16);
}

int child_sa_allocate_spi(struct xfrm_handle *x, struct child_sa *c, char *err, size_t err_len)
{
    struct xfrm_status st = { 0 };
    struct xfrm_io_counters before, after;
    xfrm_address_t src, dst;
    address_of(&c->remote, &src);
    address_of(&c->local, &dst);
    xfrm_get_io_counters(x, &before);
    uint64_t start = monotonic_usec();
    int r = xfrm_sa_allocspi(x, family_of(&c->local), &src, &dst, c->reqid, NULL, CHILD_SA_SPI_MIN,
                             CHILD_SA_SPI_MAX, &c->spi_in, &st);
    /* Part of the installation's cost (child_sa_install reports it). */
    uint64_t took = monotonic_usec() - start;
    xfrm_get_io_counters(x, &after);
    c->spi_alloc_usec = took > UINT32_MAX ? UINT32_MAX : (uint32_t)took;
    c->spi_alloc_syscalls = (uint8_t)(after.syscalls - before.syscalls);
    if (r < 0) {
        snprintf(err, err_len, "cannot allocate an SPI: %s%s%s", strerror(-r), st.message[0] ? ": " : "",
                 st.message);
        return r;
    }
    c->spi_allocated = true;
    return 0;
}

/* Soft limits at about 90% of the hard ones, minus up to 5% of jitter so
 * that SAs created together do not all expire together. */
static uint64_t soft_limit(uint64_t hard)
{
    if (hard == 0)
        return 0;
    uint16_t rnd = 0;
    (void)crypto_random_public(&rnd, sizeof(rnd));
    uint64_t jitter = hard / 20 * rnd / 65535;
    return hard - hard / 10 - jitter;
}

static void fill_sa(struct xfrm_sa *sa, const struct child_sa *c, const struct child_sa_params *p, bool inbound)
{
    const struct crypto_esp_keys *k = inbound ? &p->keys->i_to_r : &p->keys->r_to_i;
    memset(sa, 0, sizeof(*sa));
    sa->family = family_of(&c->local);
    if (inbound) {
        address_of(&c->remote, &sa->src);
        address_of(&c->local, &sa->dst);
        sa->spi = c->spi_in;
    } else {
        address_of(&c->local, &sa->src);
        address_of(&c->remote, &sa->dst);
        sa->spi = c->spi_out;
    }
    sa->reqid = c->reqid;
    sa->cipher = k->encr->xfrm;
    memcpy(sa->enc_key, k->enc_key, k->enc_key_len);
    sa->enc_key_len = (uint16_t)k->enc_key_len;
    if (k->integ) {
        sa->integ = k->integ->xfrm;
        memcpy(sa->integ_key, k->integ_key, k->integ_key_len);
        sa->integ_key_len = (uint16_t)k->integ_key_len;
    }
    if (c->encap) {
        sa->encap = true;
        uint16_t lport = ike_sockaddr_port(&c->local), rport = ike_sockaddr_port(&c->remote);
        sa->encap_sport = inbound ? rport : lport;
        sa->encap_dport = inbound ? lport : rport;
    }
    sa->replay_window = inbound ? CHILD_SA_REPLAY_WINDOW : 0;
    sa->lifetime.hard_seconds = p->lifetime_seconds;
    sa->lifetime.soft_seconds = soft_limit(p->lifetime_seconds);
    sa->lifetime.hard_bytes = p->lifetime_kilobytes * 1024;
    sa->lifetime.soft_bytes = soft_limit(sa->lifetime.hard_bytes);
}

/* The client's inner address of a family, NULL when it has none. */
static const struct config_address *inner_of(const struct child_sa *c, int family)
{
    if (c->inner.family == family)
        return &c->inner;
    if (c->has_inner6 && c->inner6.family == family)
        return &c->inner6;
    return NULL;
}

/* The three policies for one network: out (network -> client), in and fwd
 * (client -> network), between it and the inner address of its family. */
static void fill_sp(struct xfrm_sp *sp, const struct child_sa *c, const struct config_address *client,
                    const struct config_prefix *net, uint8_t dir)
{
    memset(sp, 0, sizeof(*sp));
    sp->sel.family = (uint16_t)client->family;
    bool out = dir == XFRM_POLICY_OUT;
    xfrm_address_t inner, nw;
    config_to_xfrm(client, &inner);
    config_to_xfrm(&net->addr, &nw);
    uint8_t host = client->family == AF_INET ? 32 : 128;
    sp->sel.src = out ? nw : inner;
    sp->sel.src_prefixlen = out ? (uint8_t)net->prefix_len : host;
    sp->sel.dst = out ? inner : nw;
    sp->sel.dst_prefixlen = out ? host : (uint8_t)net->prefix_len;
    sp->dir = dir;
    sp->action = XFRM_POLICY_ALLOW;
    sp->priority = CHILD_SA_POLICY_PRIORITY;
    sp->n_tmpl = 1;
    sp->tmpl[0].family = family_of(&c->local);
    if (out) {
        address_of(&c->local, &sp->tmpl[0].src);
        address_of(&c->remote, &sp->tmpl[0].dst);
    } else {
        address_of(&c->remote, &sp->tmpl[0].src);
        address_of(&c->local, &sp->tmpl[0].dst);
    }
    sp->tmpl[0].reqid = c->reqid;
}

static void sp_id_of(struct xfrm_sp_id *id, const struct xfrm_sp *sp)
{
    memset(id, 0, sizeof(*id));
    id->sel = sp->sel;
    id->dir = sp->dir;
}

static void remember_error(const struct xfrm_status *st, void *userdata)
{
    struct xfrm_status *first = userdata;
    if (st->error < 0 && first->error == 0)
        *first = *st;
}

static void queue_removal(struct xfrm_handle *x, const struct child_sa *c)
{
    static const uint8_t dirs[] = { XFRM_POLICY_OUT, XFRM_POLICY_IN, XFRM_POLICY_FWD };
    if (c->spi_in) {
        struct xfrm_sa_id id = { .family = family_of(&c->local), .spi = c->spi_in };
        address_of(&c->local, &id.dst);
        (void)xfrm_queue_sa_delete(x, &id, NULL, NULL);
    }
    if (c->spi_out) {
        struct xfrm_sa_id out = { .family = family_of(&c->local), .spi = c->spi_out };
        address_of(&c->remote, &out.dst);
        (void)xfrm_queue_sa_delete(x, &out, NULL, NULL);
    }
    for (size_t n = 0; n < c->n_networks; n++)
        for (size_t d = 0; d < sizeof(dirs) && inner_of(c, c->networks[n].addr.family); d++) {
            struct xfrm_sp sp;
            struct xfrm_sp_id spid;
            fill_sp(&sp, c, inner_of(c, c->networks[n].addr.family), &c->networks[n], dirs[d]);
            sp_id_of(&spid, &sp);
            (void)xfrm_queue_sp_delete(x, &spid, NULL, NULL);
        }
}

static void route_of(const struct child_sa *c, const struct config_address *inner, struct route_host *rh)
{
    memset(rh, 0, sizeof(*rh));
    rh->family = inner->family;
    if (inner->family == AF_INET)
        rh->dst.in = inner->in;
    else
        rh->dst.in6 = inner->in6;
    rh->ifindex = c->route_ifindex;
}

/* The host route to one inner address; -EEXIST (a stale route of ours, it
 * points the same way) counts as done. */
static int add_route(struct route_handle *routes, const struct child_sa *c, const struct config_address *inner,
                     bool *installed, char *err, size_t err_len)
{
    struct route_host rh;
    route_of(c, inner, &rh);
    int r = route_host_add(routes, &rh);
    if (r == -EEXIST)
        return 0;
    if (r < 0) {
        snprintf(err, err_len, "cannot add the route to the client's address: %s", strerror(-r));
        return r;
    }
    *installed = true;
    return 0;
}

static child_sa_install_fn install_observer;
static void *install_observer_data;

void child_sa_set_install_observer(child_sa_install_fn fn, void *userdata)
{
    install_observer = fn;
    install_observer_data = userdata;
}

/* What one installation cost: the ALLOCSPI exchange before it, when there
 * was one, and the XFRM batch and route adds since `before`. libnl's route
 * add is one message and one round trip (its system calls are not
 * counted). */
static void report_install(struct xfrm_handle *x, const struct child_sa *c, const struct xfrm_io_counters *before,
                           uint64_t start, unsigned route_adds)
{
    struct xfrm_io_counters after;
    if (!install_observer)
        return;
    xfrm_get_io_counters(x, &after);
    struct kernel_install_cost cost = {
        .usec = monotonic_usec() - start,
        .round_trips = (unsigned)(after.round_trips - before->round_trips) + route_adds,
        .messages = (unsigned)(after.messages - before->messages) + route_adds,
        .syscalls = (unsigned)(after.syscalls - before->syscalls),
    };
    if (c->spi_alloc_syscalls) {
        cost.usec += c->spi_alloc_usec;
        cost.round_trips++;
        cost.messages++;
        cost.syscalls += c->spi_alloc_syscalls;
    }
    install_observer(&cost, install_observer_data);
}

/* SPIs tried when the one chosen is in use (the kernel refuses it with
 * EEXIST). With 2^28 SPIs in our range, even a second try is rare: at
 * 10^5 SAs one install in 2700 needs it. */
#define CHILD_SA_SPI_TRIES 4

/* An inbound SPI of our own choosing, for an install without ALLOCSPI. */
static uint32_t random_spi(void)
{
    uint32_t v = 0;
    (void)crypto_random_public(&v, sizeof(v));
    return CHILD_SA_SPI_MIN + v % (CHILD_SA_SPI_MAX - CHILD_SA_SPI_MIN + 1);
}

/* Queues the two SAs and the policies. The inbound SA updates the larval
 * SA of ALLOCSPI, or is added anew under an SPI we chose (its own status:
 * a clash with an SPI in use is retried, not a failure). */
static int queue_install(struct xfrm_handle *x, const struct child_sa *c, const struct child_sa_params *p,
                         bool spi_chosen, struct xfrm_status *inbound, struct xfrm_status *first)
{
    static const uint8_t dirs[] = { XFRM_POLICY_OUT, XFRM_POLICY_IN, XFRM_POLICY_FWD };
    struct xfrm_sa sa;

    fill_sa(&sa, c, p, true);
    int r = xfrm_queue_sa_add(x, &sa, !spi_chosen, remember_error, inbound);
    xfrm_sa_wipe(&sa);
    if (r >= 0) {
        fill_sa(&sa, c, p, false);
        r = xfrm_queue_sa_add(x, &sa, false, remember_error, first);
        xfrm_sa_wipe(&sa);
    }
    for (size_t n = 0; r >= 0 && n < c->n_networks; n++)
        for (size_t d = 0; r >= 0 && d < sizeof(dirs) && inner_of(c, c->networks[n].addr.family); d++) {
            struct xfrm_sp sp;
            fill_sp(&sp, c, inner_of(c, c->networks[n].addr.family), &c->networks[n], dirs[d]);
            r = xfrm_queue_sp_add(x, &sp, false, remember_error, first);
        }
    return r;
}

int child_sa_install(struct xfrm_handle *x, struct route_handle *routes, struct child_sa *c,
                     const struct child_sa_params *p, char *err, size_t err_len)
{
    struct xfrm_io_counters before;
    unsigned route_adds = 0;
    int r = 0;

    xfrm_get_io_counters(x, &before);
    uint64_t start = monotonic_usec();

    /* Without a larval SA from ALLOCSPI, the inbound SPI is ours to choose
     * and goes into the same batch: one round trip less per session. */
    bool spi_chosen = !c->spi_allocated;
    for (unsigned attempt = 1;; attempt++) {
        struct xfrm_status inbound = { 0 }, first = { 0 };
        if (spi_chosen)
            c->spi_in = random_spi();
        r = queue_install(x, c, p, spi_chosen, &inbound, &first);
        int failed = xfrm_flush(x);
        if (r >= 0 && failed == 0 && inbound.error == 0 && first.error == 0)
            break;
        /* An SPI in use is someone else's SA: never delete it. */
        bool clash = spi_chosen && inbound.error == -EEXIST;
        struct child_sa undo = *c;
        if (clash)
            undo.spi_in = 0;
        /* Roll back what did go in (deleting what is absent fails harmlessly). */
        queue_removal(x, &undo);
        (void)xfrm_flush(x);
        if (clash && r >= 0 && attempt < CHILD_SA_SPI_TRIES)
            continue;
        const struct xfrm_status *why = inbound.error < 0 ? &inbound : &first;
        int e = r < 0 ? r : why->error < 0 ? why->error : failed < 0 ? failed : -EIO;
        snprintf(err, err_len, "kernel refused the CHILD SA: %s%s%s", strerror(-e),
                 why->message[0] ? ": " : "", why->message);
        c->spi_allocated = false;
        return e;
    }
    c->spi_allocated = true;
    c->installed = true;

    if (routes) {
        route_adds++;
        r = add_route(routes, c, &c->inner, &c->route_installed, err, err_len);
        if (r >= 0 && c->has_inner6) {
            route_adds++;
            r = add_route(routes, c, &c->inner6, &c->route6_installed, err, err_len);
        }
        if (r < 0) {
            (void)child_sa_remove(x, routes, c);
            return r;
        }
    }
    report_install(x, c, &before, start, route_adds);
    return 0;
}

/* The new SAs of a rekey, inbound and/or outbound, all or nothing. */
static int install_rekeyed(struct xfrm_handle *x, struct child_sa *c, const struct child_sa_params *p, bool inbound,
                           bool outbound, char *err, size_t err_len)
{
    struct xfrm_status first = { 0 };
    struct xfrm_sa sa;
    int r = 0;

    if (inbound) {
        fill_sa(&sa, c, p, true);
        r = xfrm_queue_sa_add(x, &sa, true, remember_error, &first);
        xfrm_sa_wipe(&sa);
    }
    if (r >= 0 && outbound) {
        fill_sa(&sa, c, p, false);
        r = xfrm_queue_sa_add(x, &sa, false, remember_error, &first);
        xfrm_sa_wipe(&sa);
    }
    int failed = xfrm_flush(x);
    if (r < 0 || failed != 0 || first.error < 0) {
        int e = r < 0 ? r : first.error < 0 ? first.error : failed < 0 ? failed : -EIO;
        snprintf(err, err_len, "kernel refused the rekeyed SAs: %s%s%s", strerror(-e),
                 first.message[0] ? ": " : "", first.message);
        if (inbound) {
            struct child_sa tmp = *c;
            tmp.n_networks = 0;
            if (!outbound)
                tmp.spi_out = 0;
            queue_removal(x, &tmp);
            c->spi_allocated = false;
        } else {
            struct xfrm_sa_id out = { .family = family_of(&c->local), .spi = c->spi_out };
            address_of(&c->remote, &out.dst);
            (void)xfrm_queue_sa_delete(x, &out, NULL, NULL);
        }
        (void)xfrm_flush(x);
        return e;
    }
    c->installed = true;
    return 0;
}

int child_sa_install_rekeyed(struct xfrm_handle *x, struct child_sa *c, const struct child_sa_params *p,
                             char *err, size_t err_len)
{
    return install_rekeyed(x, c, p, true, true, err, err_len);
}

int child_sa_install_rekeyed_inbound(struct xfrm_handle *x, struct child_sa *c, const struct child_sa_params *p,
                                     char *err, size_t err_len)
{
    return install_rekeyed(x, c, p, true, false, err, err_len);
}

int child_sa_install_rekeyed_outbound(struct xfrm_handle *x, struct child_sa *c, const struct child_sa_params *p,
                                      char *err, size_t err_len)
{
    return install_rekeyed(x, c, p, false, true, err, err_len);
}

static int sa_counters(struct xfrm_handle *x, const struct child_sa *c, bool inbound, uint64_t *bytes,
                       uint64_t *packets);

static child_sa_removal_fn removal_observer;
static void *removal_observer_data;

void child_sa_set_removal_observer(child_sa_removal_fn fn, void *userdata)
{
    removal_observer = fn;
    removal_observer_data = userdata;
}

/* The pair's last counters, read just before it leaves the kernel: a rekey
 * must not take the traffic it carried out of the session's totals. */
static void report_removal(struct xfrm_handle *x, const struct child_sa *c)
{
    struct session_counters final = { 0 };
    if (!removal_observer || !c->installed)
        return;
    /* Each direction alone: one the kernel expired is gone (its last
     * counters came with the expiry event), the other still counts. */
    int in = sa_counters(x, c, true, &final.bytes_in, &final.packets_in);
    int out = sa_counters(x, c, false, &final.bytes_out, &final.packets_out);
    if (in < 0 && out < 0)
        return;
    removal_observer(c->reqid, &final, removal_observer_data);
}

int child_sa_remove_sas(struct xfrm_handle *x, struct child_sa *c)
{
    report_removal(x, c);
    struct child_sa tmp = *c;
    tmp.n_networks = 0;
    if (!c->installed)
        tmp.spi_out = 0;
    queue_removal(x, &tmp);
    int r = xfrm_flush(x);
    c->installed = false;
    c->spi_allocated = false;
    return r < 0 ? r : r > 0 ? -EIO : 0;
}

int child_sa_remove(struct xfrm_handle *x, struct route_handle *routes, struct child_sa *c)
{
    int r = 0;
    if (c->route_installed && routes) {
        struct route_host rh;
        route_of(c, &c->inner, &rh);
        r = route_host_del(routes, &rh);
        c->route_installed = false;
    }
    if (c->route6_installed && routes) {
        struct route_host rh;
        route_of(c, &c->inner6, &rh);
        int e = route_host_del(routes, &rh);
        if (e < 0 && r == 0)
            r = e;
        c->route6_installed = false;
    }
    if (c->installed || c->spi_allocated) {
        report_removal(x, c);
        struct child_sa tmp = *c;
        if (!c->installed) {
            tmp.spi_out = 0;
            tmp.n_networks = 0;
        }
        queue_removal(x, &tmp);
        int f = xfrm_flush(x);
        if (f < 0 && r == 0)
            r = f;
        c->installed = false;
        c->spi_allocated = false;
    }
    return r;
}

static bool same_address(const union ike_sockaddr *a, const union ike_sockaddr *b)
{
    if (a->sa.sa_family != b->sa.sa_family)
        return false;
    if (a->sa.sa_family == AF_INET)
        return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
    return memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

/* An SA added anew keeps the time it had left, not its full lifetime. */
static void shorten_lifetime(struct xfrm_sa_lifetime *l, const struct xfrm_lifetime_cur *cur)
{
    time_t now = time(NULL);
    uint64_t elapsed = cur->add_time && (uint64_t)now > cur->add_time ? (uint64_t)now - cur->add_time : 0;
    if (l->hard_seconds)
        l->hard_seconds = l->hard_seconds > elapsed + 1 ? l->hard_seconds - elapsed : 1;
    if (l->soft_seconds)
        l->soft_seconds = l->soft_seconds > elapsed + 1 ? l->soft_seconds - elapsed : 1;
}

int child_sa_update_remote(struct xfrm_handle *x, struct child_sa *c, const union ike_sockaddr *remote,
                           char *err, size_t err_len)
{
    static const uint8_t dirs[] = { XFRM_POLICY_OUT, XFRM_POLICY_IN, XFRM_POLICY_FWD };
    struct xfrm_status st = { 0 }, first = { 0 };
    struct xfrm_sa_info *in = NULL, *out = NULL;
    int r;

    if (!c->installed) {
        snprintf(err, err_len, "the CHILD SA is not installed");
        return -ENOENT;
    }
    if (remote->sa.sa_family != c->remote.sa.sa_family) {
        snprintf(err, err_len, "the client changed its address family");
        return -EAFNOSUPPORT;
    }
    bool moved = !same_address(&c->remote, remote);
    if (!moved && !c->encap) {
        c->remote = *remote;        /* plain ESP has no port to follow */
        return 0;
    }
    in = calloc(1, sizeof(*in));
    out = calloc(1, sizeof(*out));
    if (!in || !out) {
        snprintf(err, err_len, "out of memory");
        r = -ENOMEM;
        goto done;
    }
    struct xfrm_sa_id id_in = { .family = family_of(&c->local), .spi = c->spi_in };
    struct xfrm_sa_id id_out = { .family = family_of(&c->local), .spi = c->spi_out };
    address_of(&c->local, &id_in.dst);
    address_of(&c->remote, &id_out.dst);
    r = xfrm_sa_get_with_keys(x, &id_in, in, &st);
    if (r >= 0)
        r = xfrm_sa_get_with_keys(x, &id_out, out, &st);
    if (r < 0) {
        snprintf(err, err_len, "cannot read the SAs: %s%s%s", strerror(-r), st.message[0] ? ": " : "", st.message);
        goto done;
    }
    if (c->encap) {
        in->sa.encap_sport = ike_sockaddr_port(remote);
        out->sa.encap_dport = ike_sockaddr_port(remote);
    }
    if (!moved) {
        /* The usual rebinding: a new port on the same NAT. The kernel
         * updates an SA's encapsulation in place (XFRM_MSG_UPDSA). */
        r = xfrm_queue_sa_add(x, &in->sa, true, remember_error, &first);
        if (r >= 0)
            r = xfrm_queue_sa_add(x, &out->sa, true, remember_error, &first);
    } else {
        /* A new address: the kernel finds SAs by destination, so the SAs
         * are added anew, keeping their sequence numbers and the time they
         * have left, and the policies' templates follow. */
        struct child_sa moved_c = *c;
        moved_c.remote = *remote;
        address_of(remote, &in->sa.src);
        address_of(remote, &out->sa.dst);
        in->sa.has_replay_state = out->sa.has_replay_state = true;
        in->sa.replay_seq = in->seq;
        in->sa.replay_bitmap = in->bitmap[0];
        out->sa.replay_oseq = out->oseq;
        shorten_lifetime(&in->sa.lifetime, &in->cur);
        shorten_lifetime(&out->sa.lifetime, &out->cur);
        r = xfrm_queue_sa_delete(x, &id_in, remember_error, &first);
        if (r >= 0)
            r = xfrm_queue_sa_delete(x, &id_out, remember_error, &first);
        if (r >= 0)
            r = xfrm_queue_sa_add(x, &in->sa, false, remember_error, &first);
        if (r >= 0)
            r = xfrm_queue_sa_add(x, &out->sa, false, remember_error, &first);
        for (size_t n = 0; r >= 0 && n < c->n_networks; n++)
            for (size_t d = 0; r >= 0 && d < sizeof(dirs) && inner_of(c, c->networks[n].addr.family); d++) {
                struct xfrm_sp sp;
                fill_sp(&sp, &moved_c, inner_of(c, c->networks[n].addr.family), &c->networks[n], dirs[d]);
                r = xfrm_queue_sp_add(x, &sp, true, remember_error, &first);
            }
    }
    int failed = xfrm_flush(x);
    if (r < 0 || failed != 0 || first.error < 0) {
        int e = r < 0 ? r : first.error < 0 ? first.error : failed < 0 ? failed : -EIO;
        snprintf(err, err_len, "kernel refused the update: %s%s%s", strerror(-e), first.message[0] ? ": " : "",
                 first.message);
        r = e;
        goto done;
    }
    c->remote = *remote;
    r = 0;
done:
    if (in) {
        xfrm_sa_wipe(&in->sa);
        free(in);
    }
    if (out) {
        xfrm_sa_wipe(&out->sa);
        free(out);
    }
    return r;
}

/* One SA of the pair: inbound (ours) or outbound; from snap when given. */
static int read_sa_counters(struct xfrm_handle *x, const struct xfrm_snapshot *snap, const struct child_sa *c,
                            bool inbound, uint64_t *bytes, uint64_t *packets)
{
    struct xfrm_sa_counters k;
    struct xfrm_sa_id id = { .family = family_of(&c->local), .spi = inbound ? c->spi_in : c->spi_out };
    address_of(inbound ? &c->local : &c->remote, &id.dst);
    int r = xfrm_sa_read_counters(x, snap, &id, &k, NULL);
    if (r < 0)
        return r;
    *bytes += k.bytes;
    *packets += k.packets;
    return 0;
}

static int sa_counters(struct xfrm_handle *x, const struct child_sa *c, bool inbound, uint64_t *bytes,
                       uint64_t *packets)
{
    return read_sa_counters(x, NULL, c, inbound, bytes, packets);
}

static int pair_counters(struct xfrm_handle *x, const struct xfrm_snapshot *snap, const struct child_sa *c,
                         struct session_counters *out)
{
    int r = read_sa_counters(x, snap, c, true, &out->bytes_in, &out->packets_in);
    if (r >= 0)
        r = read_sa_counters(x, snap, c, false, &out->bytes_out, &out->packets_out);
    return r;
}

int child_sa_counters(struct xfrm_handle *x, const struct child_sa *c, uint64_t *bytes_in, uint64_t *bytes_out,
                      uint64_t *packets_in, uint64_t *packets_out)
{
    int r = sa_counters(x, c, true, bytes_in, packets_in);
    if (r >= 0)
        r = sa_counters(x, c, false, bytes_out, packets_out);
    return r;
}

void child_sa_expired_counters(const struct xfrm_sa_info *info, const union ike_sockaddr *local,
                               struct session_counters *out)
{
    xfrm_address_t ours;
    address_of(local, &ours);
    if (info->sa.family == family_of(local) && memcmp(&ours, &info->sa.dst, sizeof(ours)) == 0) {
        out->bytes_in += info->cur.bytes;
        out->packets_in += info->cur.packets;
    } else {
        out->bytes_out += info->cur.bytes;
        out->packets_out += info->cur.packets;
    }
}

int child_sa_session_counters(struct xfrm_handle *x, const struct xfrm_snapshot *snap, const struct child_sa *c,
                              const struct child_sa *old, struct session_counters *out)
{
    int r = pair_counters(x, snap, c, out);
    if (r >= 0 && old)
        (void)pair_counters(x, snap, old, out);
    return r;
}

void child_sa_session_sas(const struct child_sa *c, const struct child_sa *old, struct session_sas *out)
{
    const struct child_sa *pairs[] = { c, old };
    for (size_t i = 0; i < 2 && out->n_child < SESSION_CHILD_SAS_MAX; i++) {
        if (!pairs[i])
            continue;
        out->child[out->n_child].spi_in = pairs[i]->spi_in;
        out->child[out->n_child++].spi_out = pairs[i]->spi_out;
    }
}
