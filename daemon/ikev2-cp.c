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
    case IKEV2_CP_INTERNAL_IP4_SUBNET:
    case IKEV2_CP_INTERNAL_DNS_DOMAIN:
    case IKEV2_CP_UNITY_DEF_DOMAIN:
    case IKEV2_CP_UNITY_BANNER:
        return true;
    }
    return false;
}

int ikev2_cp_build_reply(const struct ikev2_cp *req, const struct config_address *addr, struct in_addr netmask,
                         const struct config_group_policy *policy, const char *app_version,
                         struct ikev2_cp_reply *out)
{
    int r = 0;
    memset(out, 0, sizeof(*out));
    if (addr->family != AF_INET)
        return -EAFNOSUPPORT;
    r = add(out, IKEV2_CP_INTERNAL_IP4_ADDRESS, &addr->in, 4);
    if (r >= 0)
        r = add(out, IKEV2_CP_INTERNAL_IP4_NETMASK, &netmask, 4);
    if (policy) {
        for (size_t i = 0; r >= 0 && i < policy->n_dns; i++)
            if (policy->dns[i].family == AF_INET)
                r = add(out, IKEV2_CP_INTERNAL_IP4_DNS, &policy->dns[i].in, 4);
        for (size_t i = 0; r >= 0 && i < policy->n_wins; i++)
            if (policy->wins[i].family == AF_INET)
                r = add(out, IKEV2_CP_INTERNAL_IP4_NBNS, &policy->wins[i].in, 4);
        if (policy->split_tunnel == CONFIG_SPLIT_TUNNEL_INCLUDE)
            for (size_t i = 0; r >= 0 && i < policy->n_split_networks; i++) {
                const struct config_prefix *p = &policy->split_networks[i];
                if (p->addr.family != AF_INET)
                    continue;
                uint8_t v[8];
                uint32_t mask = p->prefix_len == 0 ? 0 : htonl(UINT32_MAX << (32 - p->prefix_len));
                memcpy(v, &p->addr.in, 4);
                memcpy(v + 4, &mask, 4);
                r = add(out, IKEV2_CP_INTERNAL_IP4_SUBNET, v, 8);
            }
        if (policy->default_domain) {
            size_t len = strlen(policy->default_domain);
            if (r >= 0 && requested(req, IKEV2_CP_INTERNAL_DNS_DOMAIN))
                r = add(out, IKEV2_CP_INTERNAL_DNS_DOMAIN, policy->default_domain, len);
            if (r >= 0 && requested(req, IKEV2_CP_UNITY_DEF_DOMAIN))
                r = add(out, IKEV2_CP_UNITY_DEF_DOMAIN, policy->default_domain, len);
        }
        if (r >= 0 && policy->banner && requested(req, IKEV2_CP_UNITY_BANNER))
            r = add(out, IKEV2_CP_UNITY_BANNER, policy->banner, strlen(policy->banner));
    }
    if (r >= 0 && app_version && requested(req, IKEV2_CP_APPLICATION_VERSION))
        r = add(out, IKEV2_CP_APPLICATION_VERSION, app_version, strlen(app_version));
    for (size_t i = 0; i < req->n; i++)
        if (!known(req->attrs[i].type) && out->n_ignored < sizeof(out->ignored) / sizeof(out->ignored[0]))
            out->ignored[out->n_ignored++] = req->attrs[i].type;
    return r;
}
