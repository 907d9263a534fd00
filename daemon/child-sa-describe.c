/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A CHILD SA as `vpnctl session` and `vpnctl ipsec` show it: what vpnd
 * negotiated (selectors, SPIs, transform, mode, encapsulation) next to what
 * the kernel reports for each of its two SAs (from the request's snapshot
 * of all SAs, xfrm-snapshot.h, or one XFRM_MSG_GETSA each without one):
 * counters, lifetime left, replay window and the replay / integrity
 * failures, the same numbers `ip -s xfrm state` prints. Protocol-
 * independent: IKEv2 and IKEv1 sessions describe their CHILD SAs here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "child-sa-describe.h"
#include "control-json.h"
#include "xfrm.h"
#include "xfrm-snapshot.h"

static void add_prefix(json_object *list, const struct config_address *a, unsigned prefix_len)
{
    char text[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN] = "";
    inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->in : (const void *)&a->in6, addr, sizeof(addr));
    snprintf(text, sizeof(text), "%s/%u", addr, prefix_len);
    json_object_array_add(list, json_object_new_string(text));
}

static void sockaddr_to_xfrm(const union ike_sockaddr *a, uint16_t *family, xfrm_address_t *x)
{
    memset(x, 0, sizeof(*x));
    *family = a->sa.sa_family;
    if (a->sa.sa_family == AF_INET)
        memcpy(&x->a4, &a->in.sin_addr, 4);
    else
        memcpy(&x->a6, &a->in6.sin6_addr, 16);
}

/* Lifetime left of a limit counted from `used`: null when unlimited. */
static void add_left(json_object *o, const char *key, uint64_t limit, uint64_t used)
{
    if (!limit)
        json_object_object_add(o, key, NULL);
    else
        control_add_uint(o, key, used >= limit ? 0 : limit - used);
}

/* One direction, as the kernel holds it. */
static json_object *describe_kernel_sa(struct xfrm_handle *x, const struct xfrm_snapshot *snap,
                                       const union ike_sockaddr *dst, uint32_t spi, uint64_t now)
{
    struct xfrm_sa_counters k;
    struct xfrm_status st = { 0 };
    struct xfrm_sa_id id = { .spi = spi };
    json_object *o = json_object_new_object();
    char text[16];

    if (!o)
        return NULL;
    sockaddr_to_xfrm(dst, &id.family, &id.dst);
    snprintf(text, sizeof(text), "0x%08x", spi);
    control_add_string(o, "spi", text);
    int r = xfrm_sa_read_counters(x, snap, &id, &k, &st);
    if (r < 0) {
        /* Say the kernel did not answer rather than print zeros. */
        char err[XFRM_ERRMSG_MAX + 64];
        snprintf(err, sizeof(err), "%.60s%s%s", strerror(-r), st.message[0] ? ": " : "", st.message);
        control_add_string(o, "kernel_error", err);
        return o;
    }
    control_add_uint(o, "bytes", k.bytes);
    control_add_uint(o, "packets", k.packets);
    control_add_uint(o, "added", k.add_time);     /* seconds since the epoch, as the kernel keeps it */
    if (k.use_time)
        control_add_uint(o, "last_used", k.use_time);
    else
        json_object_object_add(o, "last_used", NULL);
    uint64_t age = now > k.add_time ? now - k.add_time : 0;
    const struct xfrm_sa_lifetime *lt = &k.lifetime;
    json_object *life = json_object_new_object();
    control_add_uint(life, "hard_seconds", lt->hard_seconds);
    control_add_uint(life, "soft_seconds", lt->soft_seconds);
    add_left(life, "seconds_left", lt->hard_seconds, age);
    uint64_t hard_kb = lt->hard_bytes / 1024;     /* the kernel's "infinite" arrives as 0 */
    control_add_uint(life, "hard_kilobytes", hard_kb);
    add_left(life, "kilobytes_left", hard_kb, k.bytes / 1024);
    json_object_object_add(o, "lifetime", life);
    control_add_uint(o, "replay_window", k.replay_window);
    control_add_uint(o, "replay_window_errors", k.replay_window_errors);
    control_add_uint(o, "replay_errors", k.replay_errors);
    control_add_uint(o, "integrity_failures", k.integrity_failures);
    control_add_uint(o, "seq", k.seq);
    control_add_uint(o, "oseq", k.oseq);
    return o;
}

int child_sa_describe(struct xfrm_handle *x, const struct xfrm_snapshot *snap, const struct child_sa *c,
                      const char *transform, const char *role, json_object *list)
{
    json_object *o = json_object_new_object();
    json_object *local_ts = json_object_new_array(), *remote_ts = json_object_new_array();
    char text[IKE_SOCKADDR_STRING_MAX];

    if (!o || !local_ts || !remote_ts) {
        json_object_put(o);
        json_object_put(local_ts);
        json_object_put(remote_ts);
        return -ENOMEM;
    }
    control_add_string(o, "role", role);
    control_add_uint(o, "reqid", c->reqid);
    snprintf(text, sizeof(text), "0x%08x", c->spi_in);
    control_add_string(o, "spi_in", text);
    snprintf(text, sizeof(text), "0x%08x", c->spi_out);
    control_add_string(o, "spi_out", text);
    control_add_string(o, "protocol", "ESP");
    control_add_string(o, "mode", "tunnel");
    control_add_string(o, "transform", transform);
    control_add_string(o, "local", ike_sockaddr_to_string(&c->local, text, sizeof(text)));
    control_add_string(o, "remote", ike_sockaddr_to_string(&c->remote, text, sizeof(text)));
    json_object_object_add(o, "encapsulation", json_object_new_boolean(c->encap));
    if (c->encap) {
        control_add_uint(o, "encap_local_port", ike_sockaddr_port(&c->local));
        control_add_uint(o, "encap_remote_port", ike_sockaddr_port(&c->remote));
    }
    for (size_t i = 0; i < c->n_networks; i++)
        add_prefix(local_ts, &c->networks[i].addr, c->networks[i].prefix_len);
    add_prefix(remote_ts, &c->inner, c->inner.family == AF_INET ? 32 : 128);
    if (c->has_inner6)
        add_prefix(remote_ts, &c->inner6, 128);
    json_object_object_add(o, "local_ts", local_ts);
    json_object_object_add(o, "remote_ts", remote_ts);
    uint64_t now = (uint64_t)time(NULL);
    json_object_object_add(o, "inbound", describe_kernel_sa(x, snap, &c->local, c->spi_in, now));
    json_object_object_add(o, "outbound", describe_kernel_sa(x, snap, &c->remote, c->spi_out, now));
    json_object_array_add(list, o);
    return 0;
}
