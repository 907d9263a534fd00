/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Authorization from an Access-Accept (RFC 2865): the attributes vpnd acts
 * on, the group policy the aaa-server-group's mapping picks, and the grant
 * a session keeps. Attributes vpnd does not know are ignored, as RFC 2865
 * 5 allows; known ones of the wrong size are ignored too, never trusted.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aaa.h"
#include "crypto.h"
#include "log.h"
#include "radius.h"

/* Filter-Id is text; Class is opaque but often text ("OU=eng;" on the ASA). */
static void text_value(const uint8_t *v, size_t len, char *buf, size_t size)
{
    size_t n = len < size - 1 ? len : size - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '?';
    buf[n] = '\0';
}

static void choose_policy(const struct radius_response *resp, const struct config_aaa_group *group,
                          struct aaa_authorization *out)
{
    const uint8_t *v;
    size_t len;
    if (!group || !group->group_policy_attribute ||
        radius_response_find(resp, group->group_policy_attribute, 0, &v, &len) != 1)
        return;
    text_value(v, len, out->policy_value, sizeof(out->policy_value));
    for (size_t i = 0; i < group->n_group_policy_map; i++) {
        const struct config_aaa_policy_map *m = &group->group_policy_map[i];
        size_t mlen = strlen(m->value);
        /* The ASA's Class form "OU=name;" maps like the bare name. */
        bool ou = group->group_policy_attribute == RADIUS_CLASS && len == mlen + 4 && memcmp(v, "OU=", 3) == 0 &&
                  v[len - 1] == ';' && memcmp(v + 3, m->value, mlen) == 0;
        if ((len == mlen && memcmp(v, m->value, len) == 0) || ou) {
            out->group_policy = m->group_policy;
            return;
        }
    }
}

void aaa_authorization_parse(const struct radius_response *resp, const struct config_aaa_group *group,
                             struct aaa_authorization *out)
{
    const uint8_t *v;
    size_t len;
    memset(out, 0, sizeof(*out));
    /* 255.255.255.254 asks the NAS to pick from its pool, 255.255.255.255
     * to let the user pick (RFC 2865 5.8): both mean the pool here. */
    if (radius_response_ipv4(resp, RADIUS_FRAMED_IP_ADDRESS, &out->address) == 1 &&
        ntohl(out->address.s_addr) < 0xfffffffeu && out->address.s_addr != 0)
        out->has_address = true;
    if (radius_response_ipv4(resp, RADIUS_FRAMED_IP_NETMASK, &out->netmask) == 1)
        out->has_netmask = true;
    if (radius_response_u32(resp, RADIUS_SESSION_TIMEOUT, &out->session_timeout) == 1 && out->session_timeout)
        out->has_session_timeout = true;
    if (radius_response_u32(resp, RADIUS_IDLE_TIMEOUT, &out->idle_timeout) == 1 && out->idle_timeout)
        out->has_idle_timeout = true;
    if (radius_response_find(resp, RADIUS_CLASS, 0, &v, &len) == 1 && len <= sizeof(out->class_)) {
        memcpy(out->class_, v, len);
        out->class_len = len;
    }
    choose_policy(resp, group, out);
}

struct aaa_grant *aaa_grant_new(const struct aaa_authorization *authz, const char *user,
                                const struct config_group_policy *base)
{
    struct aaa_grant *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->authz = *authz;
    snprintf(g->name, sizeof(g->name), "%s", user);
    g->user.name = g->name;
    if (authz->has_address) {
        g->user.has_address = true;
        g->user.address.family = AF_INET;
        g->user.address.in = authz->address;
        g->user.has_netmask = authz->has_netmask;
        g->user.netmask = authz->netmask;
    }
    const struct config_group_policy *gp = authz->group_policy ? authz->group_policy : base;
    g->policy = gp;
    if (gp && (authz->has_session_timeout || authz->has_idle_timeout)) {
        /* A shallow copy: its strings and lists stay the configuration's,
         * which the SA holds a reference on. */
        g->policy_copy = *gp;
        if (authz->has_session_timeout)
            g->policy_copy.session_timeout = authz->session_timeout;
        if (authz->has_idle_timeout)
            g->policy_copy.idle_timeout = authz->idle_timeout;
        g->policy = &g->policy_copy;
    }
    return g;
}

void aaa_grant_free(struct aaa_grant *grant)
{
    if (!grant)
        return;
    crypto_wipe(grant, sizeof(*grant));
    free(grant);
}
