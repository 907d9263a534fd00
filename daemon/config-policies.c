/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * group-policies: the attribute sets pushed to clients (ASA `group-policy
 * NAME attributes`): DNS and WINS servers, default domain, split tunnel,
 * banner, timeouts, the tunnel protocols a member may use, Unity's
 * save-password and PFS. Unset attributes are not sent.
 *
 * Timeouts are in seconds (the PIX counted seconds, the ASA minutes: the
 * unit is written in the key's documentation to avoid that trap).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"

#define IDLE_TIMEOUT_DEFAULT 1800ULL
#define SIMULTANEOUS_LOGINS_MAX 2147483647ULL
#define TIMEOUT_MAX (366ULL * 24 * 3600)
#define BANNER_MAX 4000         /* fits one Mode Config attribute comfortably */
#define DOMAIN_MAX 253

static int parse_servers(struct config_parser *p, const config_setting_t *s, const char *what, const char *key,
                         struct config_address *out, size_t *n_out)
{
    const config_setting_t *list;
    int n = config_member_list(p, s, what, key, &list);
    if (n < 0)
        return n;
    if (n > CONFIG_POLICY_MAX_SERVERS)
        return config_fail(p, list, "%s: at most %d '%s' servers", what, CONFIG_POLICY_MAX_SERVERS, key);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_list_elem(list, i);
        const char *text;
        int r = config_get_string(p, e, what, &text);
        if (r < 0)
            return r;
        if (config_parse_address(text, &out[i]) < 0)
            return config_fail(p, e, "%s: %s: '%s' is not an IPv4 or IPv6 address", what, key, text);
        *n_out = (size_t)i + 1;
    }
    return 0;
}

static bool valid_domain(const char *d)
{
    size_t len = strlen(d), label = 0;
    if (len == 0 || len > DOMAIN_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = d[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
        if (++label > 63)
            return false;
    }
    return true;
}

static int parse_split_tunnel(struct config_parser *p, const config_setting_t *s, const char *what,
                              struct config_group_policy *gp)
{
    static const struct { const char *name; enum config_split_tunnel value; } policies[] = {
        { "tunnel-all",        CONFIG_SPLIT_TUNNEL_ALL },
        { "tunnel-specified",  CONFIG_SPLIT_TUNNEL_INCLUDE },
        { "exclude-specified", CONFIG_SPLIT_TUNNEL_EXCLUDE },
    };
    const char *text = NULL;
    int r = config_member_string(p, s, what, "split-tunnel-policy", false, &text);
    if (r < 0)
        return r;
    const config_setting_t *ps = config_member(s, "split-tunnel-policy");
    gp->split_tunnel = CONFIG_SPLIT_TUNNEL_ALL;
    if (text) {
        size_t i;
        for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
            if (strcmp(policies[i].name, text) == 0)
                break;
        if (i == sizeof(policies) / sizeof(policies[0]))
            return config_fail(p, ps, "%s: unknown split-tunnel-policy '%s' (tunnel-all, tunnel-specified or "
                               "exclude-specified)", what, text);
        gp->split_tunnel = policies[i].value;
    }

    const config_setting_t *list;
    int n = config_member_list(p, s, what, "split-tunnel-networks", &list);
    if (n < 0)
        return n;
    if (gp->split_tunnel == CONFIG_SPLIT_TUNNEL_ALL && list)
        return config_fail(p, list, "%s: split-tunnel-networks needs split-tunnel-policy tunnel-specified or "
                           "exclude-specified", what);
    if (gp->split_tunnel != CONFIG_SPLIT_TUNNEL_ALL && n == 0)
        return config_fail(p, list ? list : ps, "%s: split-tunnel-policy %s needs split-tunnel-networks", what, text);
    if (n == 0)
        return 0;
    gp->split_networks = calloc((size_t)n, sizeof(*gp->split_networks));
    if (!gp->split_networks)
        return config_fail_errno(p, list, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_list_elem(list, i);
        const char *net;
        r = config_get_string(p, e, what, &net);
        if (r < 0)
            return r;
        r = config_parse_prefix(net, &gp->split_networks[i]);
        if (r == -EDOM)
            return config_fail(p, e, "%s: split-tunnel-networks: '%s' has host bits set", what, net);
        if (r < 0)
            return config_fail(p, e, "%s: split-tunnel-networks: '%s' is not a prefix (address/length)", what, net);
        gp->n_split_networks++;
    }
    return 0;
}

static int parse_protocols(struct config_parser *p, const config_setting_t *s, const char *what,
                           struct config_group_policy *gp)
{
    const config_setting_t *list;
    int n = config_member_list(p, s, what, "protocols", &list);
    if (n < 0)
        return n;
    if (!list) {
        gp->protocols = CONFIG_PROTOCOL_IKEV1 | CONFIG_PROTOCOL_IKEV2;
        return 0;
    }
    if (n == 0)
        return config_fail(p, list, "%s: 'protocols' must not be empty", what);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_list_elem(list, i);
        const char *text;
        int r = config_get_string(p, e, what, &text);
        if (r < 0)
            return r;
        if (strcmp(text, "ikev1") == 0)
            gp->protocols |= CONFIG_PROTOCOL_IKEV1;
        else if (strcmp(text, "ikev2") == 0)
            gp->protocols |= CONFIG_PROTOCOL_IKEV2;
        else
            return config_fail(p, e, "%s: unknown protocol '%s' (ikev1 or ikev2)", what, text);
    }
    return 0;
}

static int parse_policy(struct config_parser *p, const config_setting_t *s, struct config_group_policy *gp)
{
    static const char *const keys[] = {
        "name", "dns", "wins", "default-domain", "banner", "split-tunnel-policy", "split-tunnel-networks",
        "idle-timeout", "session-timeout", "protocols", "save-password", "pfs", "simultaneous-logins",
        "reverse-route", NULL
    };
    char what[128];
    const char *text = NULL;
    int r;

    r = config_named_entry(p, s, "group-policy", keys, what, sizeof(what), &gp->name, &gp->line);
    if (r < 0)
        return r;

    r = parse_servers(p, s, what, "dns", gp->dns, &gp->n_dns);
    if (r >= 0)
        r = parse_servers(p, s, what, "wins", gp->wins, &gp->n_wins);
    if (r < 0)
        return r;
    for (size_t i = 0; i < gp->n_wins; i++)
        if (gp->wins[i].family != AF_INET)
            return config_fail(p, config_member(s, "wins"), "%s: WINS servers must be IPv4 addresses", what);

    r = config_member_string(p, s, what, "default-domain", false, &text);
    if (r < 0)
        return r;
    if (text) {
        if (!valid_domain(text))
            return config_fail(p, config_member(s, "default-domain"), "%s: '%s' is not a domain name", what, text);
        gp->default_domain = strdup(text);
        if (!gp->default_domain)
            return config_fail_errno(p, s, ENOMEM, "out of memory");
    }

    text = NULL;
    r = config_member_string(p, s, what, "banner", false, &text);
    if (r < 0)
        return r;
    if (text) {
        if (strlen(text) > BANNER_MAX)
            return config_fail(p, config_member(s, "banner"), "%s: banner is longer than %d characters",
                               what, BANNER_MAX);
        gp->banner = strdup(text);
        if (!gp->banner)
            return config_fail_errno(p, s, ENOMEM, "out of memory");
    }

    r = parse_split_tunnel(p, s, what, gp);
    if (r >= 0)
        r = parse_protocols(p, s, what, gp);
    if (r < 0)
        return r;

    unsigned long long idle = IDLE_TIMEOUT_DEFAULT, session = 0;
    r = config_member_uint(p, s, what, "idle-timeout", 0, TIMEOUT_MAX, &idle);
    if (r >= 0)
        r = config_member_uint(p, s, what, "session-timeout", 0, TIMEOUT_MAX, &session);
    if (r >= 0)
        r = config_member_bool(p, s, what, "save-password", &gp->save_password);
    if (r >= 0)
        r = config_member_bool(p, s, what, "pfs", &gp->pfs);
    gp->reverse_route = true;
    if (r >= 0)
        r = config_member_bool(p, s, what, "reverse-route", &gp->reverse_route);
    unsigned long long logins = CONFIG_SIMULTANEOUS_LOGINS_DEFAULT;
    if (r >= 0)
        r = config_member_uint(p, s, what, "simultaneous-logins", 0, SIMULTANEOUS_LOGINS_MAX, &logins);
    if (r < 0)
        return r;
    gp->simultaneous_logins = (uint32_t)logins;
    gp->idle_timeout = (uint32_t)idle;
    gp->session_timeout = (uint32_t)session;
    return 0;
}

int config_parse_group_policies(struct config_parser *p, const config_setting_t *s)
{
    struct vpnd_config *c = p->config;
    if (!s)
        return 0;
    int n = config_section_list(p, s, "group-policies");
    if (n <= 0)
        return n;
    c->group_policies = calloc((size_t)n, sizeof(*c->group_policies));
    if (!c->group_policies)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        c->n_group_policies++;
        int r = parse_policy(p, e, &c->group_policies[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

void config_group_policy_done(struct config_group_policy *gp)
{
    free(gp->name);
    free(gp->default_domain);
    free(gp->banner);
    free(gp->split_networks);
}

/* A reference by name, with the error at the referring line. */
int config_resolve_group_policy(struct config_parser *p, const config_setting_t *s, const char *what,
                                const char *name, const struct config_group_policy **ret)
{
    *ret = config_group_policy_find(p->config, name);
    if (!*ret)
        return config_fail(p, s, "%s: unknown group-policy '%s'", what, name);
    return 0;
}
