/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * listen = ( { address = "192.0.2.1"; port = 500; natt-port = 4500; }, ... );
 *
 * The local IKE endpoints (ASA: `crypto ikev2 enable outside`). Without the
 * section vpnd listens on every IPv4 and IPv6 address, on 500 and 4500.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config-internal.h"

#define DEFAULT_IKE_PORT 500
#define DEFAULT_NATT_PORT 4500

static int parse_one(struct config_parser *p, const config_setting_t *s, struct config_listen *l)
{
    static const char *const keys[] = { "address", "port", "natt-port", NULL };
    const char *text;
    unsigned long long port = DEFAULT_IKE_PORT, natt = DEFAULT_NATT_PORT;
    int r;

    r = config_check_keys(p, s, "listen", keys);
    if (r < 0)
        return r;
    r = config_member_string(p, s, "listen", "address", true, &text);
    if (r < 0)
        return r;
    if (config_parse_address(text, &l->address) < 0)
        return config_fail(p, config_member(s, "address"), "listen: '%s' is not an IPv4 or IPv6 address", text);
    r = config_member_uint(p, s, "listen", "port", 1, 65535, &port);
    if (r < 0)
        return r;
    r = config_member_uint(p, s, "listen", "natt-port", 1, 65535, &natt);
    if (r < 0)
        return r;
    if (port == natt)
        return config_fail(p, s, "listen: port and natt-port must differ (both %llu)", port);
    l->port = (uint16_t)port;
    l->natt_port = (uint16_t)natt;
    l->line = config_setting_source_line(s);
    return 0;
}

static bool ports_clash(const struct config_listen *a, const struct config_listen *b)
{
    return a->port == b->port || a->port == b->natt_port ||
           a->natt_port == b->port || a->natt_port == b->natt_port;
}

int config_parse_listen(struct config_parser *p, const config_setting_t *s)
{
    struct vpnd_config *c = p->config;

    if (!s) {
        c->listen = calloc(2, sizeof(*c->listen));
        if (!c->listen)
            return config_fail_errno(p, NULL, ENOMEM, "out of memory");
        c->listen[0] = (struct config_listen){ .address.family = AF_INET,
                                               .port = DEFAULT_IKE_PORT, .natt_port = DEFAULT_NATT_PORT };
        c->listen[1] = (struct config_listen){ .address.family = AF_INET6,
                                               .port = DEFAULT_IKE_PORT, .natt_port = DEFAULT_NATT_PORT };
        c->n_listen = 2;
        return 0;
    }
    if (!config_setting_is_list(s))
        return config_fail(p, s, "'listen' must be a list ( { address = \"...\"; }, ... )");
    int n = config_setting_length(s);
    if (n == 0)
        return config_fail(p, s, "'listen' must name at least one address");
    if (n > CONFIG_MAX_LIST)
        return config_fail(p, s, "'listen' has more than %d entries", CONFIG_MAX_LIST);
    c->listen = calloc((size_t)n, sizeof(*c->listen));
    if (!c->listen)
        return config_fail_errno(p, s, ENOMEM, "out of memory");

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (!config_setting_is_group(e))
            return config_fail(p, s, "listen: each entry must be a group { address = \"...\"; }");
        int r = parse_one(p, e, &c->listen[i]);
        if (r < 0)
            return r;
        c->n_listen++;
        for (int j = 0; j < i; j++)
            if (config_address_compare(&c->listen[j].address, &c->listen[i].address) == 0 &&
                ports_clash(&c->listen[j], &c->listen[i])) {
                char buf[INET6_ADDRSTRLEN];
                return config_fail(p, e, "listen: %s is already listed at line %u",
                                   config_address_to_string(&c->listen[i].address, buf, sizeof(buf)),
                                   c->listen[j].line);
            }
    }
    return 0;
}
