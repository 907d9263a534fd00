/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * aaa-server-groups = ( { name = "corp";
 *                         servers = ( { address = "192.0.2.5"; secret-file = "radius.key"; },
 *                                     { address = "192.0.2.6"; port = 1812; accounting-port = 1813;
 *                                       secret-credential = "radius-b"; } );
 *                         timeout = 5; retries = 2; dead-time = 600;
 *                         nas-identifier = "vpn1"; nas-ip-address = "192.0.2.1";
 *                         interim-interval = 600;
 *                         group-policy-attribute = "filter-id";
 *                         group-policy-map = ( { value = "eng"; group-policy = "engineering"; } ); } );
 *
 * RADIUS server groups, the ASA's `aaa-server NAME protocol radius` with its
 * hosts. A tunnel group names the group it authenticates against
 * (authentication-server-group) and, separately, the one it accounts to
 * (accounting-server-group). Each server has its own shared secret, read
 * like the PSKs (inline, from a file or from a systemd credential).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config-internal.h"

#define AAA_MAX_SERVERS 16

static int parse_server(struct config_parser *p, const config_setting_t *s, const char *group_what,
                        struct config_aaa_server *srv)
{
    static const char *const keys[] = {
        "address", "port", "accounting-port", "secret", "secret-file", "secret-credential", NULL
    };
    char what[256];
    const char *text;
    unsigned long long v;
    int r;

    srv->line = config_setting_source_line(s);
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return config_fail(p, s, "%s: each of 'servers' must be a group { address = ...; secret = ...; }",
                           group_what);
    r = config_member_string(p, s, group_what, "address", true, &text);
    if (r < 0)
        return r;
    snprintf(what, sizeof(what), "%s: server '%s'", group_what, text);
    r = config_check_keys(p, s, what, keys);
    if (r < 0)
        return r;
    /* A host name would need a resolver the event loop cannot block on. */
    if (config_parse_address(text, &srv->address) < 0)
        return config_fail(p, config_member(s, "address"), "%s: not an IPv4 or IPv6 address", what);

    v = 1812;
    r = config_member_uint(p, s, what, "port", 1, 65535, &v);
    if (r < 0)
        return r;
    srv->auth_port = (uint16_t)v;
    v = 1813;
    r = config_member_uint(p, s, what, "accounting-port", 1, 65535, &v);
    if (r < 0)
        return r;
    srv->acct_port = (uint16_t)v;

    r = config_member_secret(p, s, what, "secret", &srv->secret);
    if (r < 0)
        return r;
    if (r == 0)
        return config_fail(p, s, "%s: needs 'secret', 'secret-file' or 'secret-credential'", what);
    return 0;
}

/* The authorization mapping: which attribute of an Access-Accept names the
 * session's group policy (ASA: Filter-Id or Class "OU=name"), and which
 * value means which policy. Values without an entry keep the tunnel
 * group's policy (logged when a session gets it). */
static int parse_policy_map(struct config_parser *p, const config_setting_t *s, const char *what,
                            struct config_aaa_group *g)
{
    static const char *const keys[] = { "value", "group-policy", NULL };
    const char *text = NULL;
    int r = config_member_string(p, s, what, "group-policy-attribute", false, &text);
    if (r < 0)
        return r;
    const config_setting_t *map = config_member(s, "group-policy-map");
    if (!text) {
        if (map)
            return config_fail(p, map, "%s: 'group-policy-map' needs 'group-policy-attribute' (filter-id or class)",
                               what);
        return 0;
    }
    if (strcmp(text, "filter-id") == 0)
        g->group_policy_attribute = 11;
    else if (strcmp(text, "class") == 0)
        g->group_policy_attribute = 25;
    else
        return config_fail(p, config_member(s, "group-policy-attribute"), "%s: unknown group-policy-attribute "
                           "'%s' (filter-id or class)", what, text);
    if (!map)
        return config_fail(p, s, "%s: 'group-policy-attribute' needs 'group-policy-map'", what);
    if (!config_setting_is_list(map) || config_setting_length(map) == 0)
        return config_fail(p, map, "%s: 'group-policy-map' must be a non-empty list ( { value = ...; "
                           "group-policy = ...; }, ... )", what);
    int n = config_setting_length(map);
    g->group_policy_map = calloc((size_t)n, sizeof(*g->group_policy_map));
    if (!g->group_policy_map)
        return config_fail_errno(p, map, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(map, (unsigned)i);
        struct config_aaa_policy_map *m = &g->group_policy_map[i];
        const char *value, *policy;
        if (config_setting_type(e) != CONFIG_TYPE_GROUP)
            return config_fail(p, e, "%s: each of 'group-policy-map' must be a group { value = ...; "
                               "group-policy = ...; }", what);
        r = config_check_keys(p, e, what, keys);
        if (r >= 0)
            r = config_member_string(p, e, what, "value", true, &value);
        if (r >= 0)
            r = config_member_string(p, e, what, "group-policy", true, &policy);
        if (r < 0)
            return r;
        size_t len = strlen(value);
        if (len == 0 || len > 253)
            return config_fail(p, config_member(e, "value"), "%s: a group-policy-map value must be 1 to 253 "
                               "characters", what);
        for (int j = 0; j < i; j++)
            if (strcmp(g->group_policy_map[j].value, value) == 0)
                return config_fail(p, config_member(e, "value"), "%s: group-policy-map value '%s' is listed twice",
                                   what, value);
        r = config_resolve_group_policy(p, config_member(e, "group-policy"), what, policy, &m->group_policy);
        if (r < 0)
            return r;
        m->value = strdup(value);
        if (!m->value)
            return config_fail_errno(p, e, ENOMEM, "out of memory");
        g->n_group_policy_map++;
    }
    return 0;
}

static int parse_group(struct config_parser *p, const config_setting_t *s, struct config_aaa_group *g)
{
    static const char *const keys[] = {
        "name", "protocol", "servers", "timeout", "retries", "dead-time", "nas-identifier", "nas-ip-address",
        "require-message-authenticator", "group-policy-attribute", "group-policy-map", "interim-interval",
        "accounting-spool-directory", "accounting-spool-limit", NULL
    };
    char what[128];
    const char *text = NULL;
    unsigned long long v;
    int r;

    r = config_named_entry(p, s, "aaa-server-group", keys, what, sizeof(what), &g->name, &g->line);
    if (r < 0)
        return r;

    /* Only RADIUS for now; the key exists so that files say what they mean. */
    r = config_member_string(p, s, what, "protocol", false, &text);
    if (r < 0)
        return r;
    if (text && strcmp(text, "radius") != 0)
        return config_fail(p, config_member(s, "protocol"), "%s: unknown protocol '%s' (radius)", what, text);

    const config_setting_t *list = config_member(s, "servers");
    if (!list)
        return config_fail(p, s, "%s: missing 'servers'", what);
    if (!config_setting_is_list(list) || config_setting_length(list) == 0)
        return config_fail(p, list, "%s: 'servers' must be a non-empty list ( { address = ...; }, ... )", what);
    int n = config_setting_length(list);
    if (n > AAA_MAX_SERVERS)
        return config_fail(p, list, "%s: more than %d servers", what, AAA_MAX_SERVERS);
    g->servers = calloc((size_t)n, sizeof(*g->servers));
    if (!g->servers)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        g->n_servers++;
        r = parse_server(p, e, what, &g->servers[i]);
        if (r < 0)
            return r;
        for (int j = 0; j < i; j++)
            if (config_address_compare(&g->servers[j].address, &g->servers[i].address) == 0 &&
                g->servers[j].auth_port == g->servers[i].auth_port)
                return config_fail(p, e, "%s: server listed twice (line %u)", what, g->servers[j].line);
    }

    v = 5;
    r = config_member_uint(p, s, what, "timeout", 1, 60, &v);
    if (r < 0)
        return r;
    g->timeout_ms = (uint32_t)v * 1000;
    v = 2;
    r = config_member_uint(p, s, what, "retries", 0, 10, &v);
    if (r < 0)
        return r;
    g->retries = (unsigned)v;
    v = 600;
    r = config_member_uint(p, s, what, "dead-time", 0, 86400, &v);
    if (r < 0)
        return r;
    g->dead_time = (uint32_t)v;

    text = NULL;
    r = config_member_string(p, s, what, "nas-identifier", false, &text);
    if (r < 0)
        return r;
    if (text) {
        /* An attribute holds at most 253 bytes. */
        size_t len = strlen(text);
        if (len == 0 || len > 253)
            return config_fail(p, config_member(s, "nas-identifier"), "%s: nas-identifier must be 1 to 253 "
                               "characters", what);
        g->nas_identifier = strdup(text);
        if (!g->nas_identifier)
            return config_fail_errno(p, s, ENOMEM, "out of memory");
    }

    /* Off by default: servers before the BlastRADIUS fixes (FreeRADIUS
     * 3.2.1 in Debian 12 among them) answer PAP without one. */
    r = config_member_bool(p, s, what, "require-message-authenticator", &g->require_message_authenticator);
    if (r < 0)
        return r;

    text = NULL;
    r = config_member_string(p, s, what, "nas-ip-address", false, &text);
    if (r < 0)
        return r;
    if (text) {
        if (config_parse_address(text, &g->nas_ip) < 0)
            return config_fail(p, config_member(s, "nas-ip-address"), "%s: nas-ip-address '%s' is not an "
                               "IPv4 or IPv6 address", what, text);
        g->has_nas_ip = true;
    }

    /* ASA: interim-accounting-update periodic; off unless asked for. */
    v = 0;
    r = config_member_uint(p, s, what, "interim-interval", 0, 604800, &v);
    if (r < 0)
        return r;
    g->interim_interval = (uint32_t)v;
    v = CONFIG_ACCOUNTING_SPOOL_LIMIT_DEFAULT;
    r = config_member_uint(p, s, what, "accounting-spool-limit", 1, 1000000, &v);
    if (r < 0)
        return r;
    g->accounting_spool_limit = (unsigned)v;
    text = NULL;
    r = config_member_string(p, s, what, "accounting-spool-directory", false, &text);
    if (r < 0)
        return r;
    if (text && text[0] != '/')
        return config_fail(p, config_member(s, "accounting-spool-directory"), "%s: accounting-spool-directory "
                           "must be an absolute path", what);
    if (text)
        g->accounting_spool_directory = strdup(text);
    else if (asprintf(&g->accounting_spool_directory, "%s/%s", CONFIG_ACCOUNTING_SPOOL_BASE, g->name) >= 0) {
        /* The group's name as one path component: no '/', no "..". */
        for (char *c = g->accounting_spool_directory + strlen(CONFIG_ACCOUNTING_SPOOL_BASE) + 1; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
                *c = '_';
    } else
        g->accounting_spool_directory = NULL;
    if (!g->accounting_spool_directory)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    return parse_policy_map(p, s, what, g);
}

int config_parse_aaa_server_groups(struct config_parser *p, const config_setting_t *s)
{
    struct vpnd_config *c = p->config;
    if (!s)
        return 0;
    int n = config_section_list(p, s, "aaa-server-groups");
    if (n <= 0)
        return n;
    c->aaa_groups = calloc((size_t)n, sizeof(*c->aaa_groups));
    if (!c->aaa_groups)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        c->n_aaa_groups++;
        int r = parse_group(p, e, &c->aaa_groups[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

int config_resolve_aaa_group(struct config_parser *p, const config_setting_t *s, const char *what,
                             const char *key, const struct config_aaa_group **ret)
{
    const char *text = NULL;
    int r = config_member_string(p, s, what, key, false, &text);
    if (r < 0)
        return r;
    *ret = NULL;
    if (!text)
        return 0;
    *ret = config_aaa_group_find(p->config, text);
    if (!*ret)
        return config_fail(p, config_member(s, key), "%s: unknown aaa-server-group '%s'", what, text);
    return 0;
}

void config_aaa_group_done(struct config_aaa_group *g)
{
    for (size_t i = 0; i < g->n_servers; i++)
        config_secret_wipe(&g->servers[i].secret);
    free(g->servers);
    for (size_t i = 0; i < g->n_group_policy_map; i++)
        free(g->group_policy_map[i].value);
    free(g->group_policy_map);
    free(g->name);
    free(g->nas_identifier);
    free(g->accounting_spool_directory);
}
