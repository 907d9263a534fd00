/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ikev2-cp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool requested(const struct ikev2_cp *req, uint16_t type)
{
    for (size_t i = 0; i < req->n; i++)
        if (req->attrs[i].type == type)
            return true;
    return false;
}

static int add(struct ikev2_cp_reply *r, uint16_t type, const void *value, size_t len)
{
    if (r->n >= IKEV2_CP_REPLY_MAX || len > sizeof(r->storage) - r->used || len > UINT16_MAX)
        return -ENOBUFS;
    uint8_t *v = r->storage + r->used;
    if (len)
        memcpy(v, value, len);
    r->used += len;
    r->attrs[r->n++] = (struct ikev2_cp_attribute){ .type = type, .value = v, .len = (uint16_t)len };
    return 0;
}

static bool known(uint16_t type)
{
    switch (type) {
    case IKEV2_CP_INTERNAL_IP4_ADDRESS:
    case IKEV2_CP_INTERNAL_IP4_NETMASK:
    case IKEV2_CP_INTERNAL_IP4_DNS:
    case IKEV2_CP_INTERNAL_IP4_NBNS:
    case IKEV2_CP_APPLICATION_VERSION:
    case IKEV2_CP_INTERNAL_IP6_ADDRESS:
    case IKEV2_CP_INTERNAL_IP6_DNS:
    case IKEV2_CP_INTERNAL_IP4_SUBNET:
    case IKEV2_CP_INTERNAL_IP6_SUBNET:
    case IKEV2_CP_INTERNAL_DNS_DOMAIN:
    case IKEV2_CP_UNITY_DEF_DOMAIN:
    case IKEV2_CP_UNITY_BANNER:
        return true;
    }
    return false;
}

void ikev2_cp_wanted_families(const struct ikev2_cp *req, bool *ip4, bool *ip6)
{
    *ip6 = requested(req, IKEV2_CP_INTERNAL_IP6_ADDRESS);
    *ip4 = requested(req, IKEV2_CP_INTERNAL_IP4_ADDRESS) || !*ip6;
}

void ikev2_cp_client_version(const struct ikev2_cp *req, char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < req->n; i++) {
        const struct ikev2_cp_attribute *a = &req->attrs[i];
        if (a->type != IKEV2_CP_APPLICATION_VERSION || a->len == 0)
            continue;
        size_t n = a->len < size - 1 ? a->len : size - 1;
        for (size_t k = 0; k < n; k++)
            buf[k] = a->value[k] >= 0x20 && a->value[k] < 0x7f ? (char)a->value[k] : '?';
        buf[n] = '\0';
        return;
    }
}

/* IPv4 or IPv6 subnet attribute: address and mask (IPv4, 8 bytes) or
 * address and prefix length (IPv6, 17 bytes). */
static int add_subnet(struct ikev2_cp_reply *out, const struct config_prefix *p)
{
    if (p->addr.family == AF_INET) {
        uint8_t v[8];
        uint32_t mask = p->prefix_len == 0 ? 0 : htonl(UINT32_MAX << (32 - p->prefix_len));
        memcpy(v, &p->addr.in, 4);
        memcpy(v + 4, &mask, 4);
        return add(out, IKEV2_CP_INTERNAL_IP4_SUBNET, v, sizeof(v));
    }
    uint8_t v[17];
    memcpy(v, &p->addr.in6, 16);
    v[16] = (uint8_t)p->prefix_len;
    return add(out, IKEV2_CP_INTERNAL_IP6_SUBNET, v, sizeof(v));
}

static int add_policy(const struct ikev2_cp *req, const struct ikev2_cp_assigned *a,
                      const struct config_group_policy *policy, struct ikev2_cp_reply *out)
{
    int r = 0;
    /* Servers of a family the client has an address of (or asked for). */
    bool dns4 = a->has_ip4 || requested(req, IKEV2_CP_INTERNAL_IP4_DNS);
    bool dns6 = a->has_ip6 || requested(req, IKEV2_CP_INTERNAL_IP6_DNS);
    for (size_t i = 0; r >= 0 && i < policy->n_dns; i++) {
        if (policy->dns[i].family == AF_INET && dns4)
            r = add(out, IKEV2_CP_INTERNAL_IP4_DNS, &policy->dns[i].in, 4);
        else if (policy->dns[i].family == AF_INET6 && dns6)
            r = add(out, IKEV2_CP_INTERNAL_IP6_DNS, &policy->dns[i].in6, 16);
    }
    for (size_t i = 0; r >= 0 && a->has_ip4 && i < policy->n_wins; i++)
        if (policy->wins[i].family == AF_INET)
            r = add(out, IKEV2_CP_INTERNAL_IP4_NBNS, &policy->wins[i].in, 4);
    if (policy->split_tunnel == CONFIG_SPLIT_TUNNEL_INCLUDE)
        for (size_t i = 0; r >= 0 && i < policy->n_split_networks; i++) {
            const struct config_prefix *p = &policy->split_networks[i];
            if ((p->addr.family == AF_INET && a->has_ip4) || (p->addr.family == AF_INET6 && a->has_ip6))
                r = add_subnet(out, p);
        }
    if (policy->default_domain) {
        size_t len = strlen(policy->default_domain);
        bool asked_dns = requested(req, IKEV2_CP_INTERNAL_IP4_DNS) || requested(req, IKEV2_CP_INTERNAL_IP6_DNS);
        if (r >= 0 && (requested(req, IKEV2_CP_INTERNAL_DNS_DOMAIN) || asked_dns))
            r = add(out, IKEV2_CP_INTERNAL_DNS_DOMAIN, policy->default_domain, len);
        if (r >= 0 && requested(req, IKEV2_CP_UNITY_DEF_DOMAIN))
            r = add(out, IKEV2_CP_UNITY_DEF_DOMAIN, policy->default_domain, len);
    }
    if (r >= 0 && policy->banner && requested(req, IKEV2_CP_UNITY_BANNER))
        r = add(out, IKEV2_CP_UNITY_BANNER, policy->banner, strlen(policy->banner));
    return r;
}

int ikev2_cp_build_reply(const struct ikev2_cp *req, const struct ikev2_cp_assigned *a,
                         const struct config_group_policy *policy, const char *app_version,
                         struct ikev2_cp_reply *out)
{
    int r = 0;
    memset(out, 0, sizeof(*out));
    if (!a->has_ip4 && !a->has_ip6)
        return -EINVAL;
    if (a->has_ip4) {
        r = add(out, IKEV2_CP_INTERNAL_IP4_ADDRESS, &a->ip4, 4);
        if (r >= 0)
            r = add(out, IKEV2_CP_INTERNAL_IP4_NETMASK, &a->netmask, 4);
    }
    if (r >= 0 && a->has_ip6) {
        uint8_t v[17];
        memcpy(v, &a->ip6, 16);
        v[16] = a->ip6_prefix_len;
        r = add(out, IKEV2_CP_INTERNAL_IP6_ADDRESS, v, sizeof(v));
    }
    if (r >= 0 && policy)
        r = add_policy(req, a, policy, out);
    if (r >= 0 && app_version && requested(req, IKEV2_CP_APPLICATION_VERSION))
        r = add(out, IKEV2_CP_APPLICATION_VERSION, app_version, strlen(app_version));
    for (size_t i = 0; i < req->n; i++)
        if (!known(req->attrs[i].type) && out->n_ignored < sizeof(out->ignored) / sizeof(out->ignored[0]))
            out->ignored[out->n_ignored++] = req->attrs[i].type;
    return r;
}
