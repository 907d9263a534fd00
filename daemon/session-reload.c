/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "session-reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool session_reload_disallowed(const struct session *s, const struct vpnd_config *config, char *reason,
                               size_t reason_len)
{
    const struct config_tunnel_group *tg = config_tunnel_group_find(config, s->tunnel_group);
    bool ikev2 = s->protocol == SESSION_IKEV2;
    const char *proto = ikev2 ? "IKEv2" : "IKEv1";

    if (!tg) {
        snprintf(reason, reason_len, "tunnel group '%s' was removed by a reload", s->tunnel_group);
        return true;
    }
    if (ikev2 ? !tg->ikev2 : !tg->ikev1) {
        snprintf(reason, reason_len, "tunnel group '%s' no longer accepts %s", s->tunnel_group, proto);
        return true;
    }
    if (s->group_policy[0]) {
        const struct config_group_policy *gp = config_group_policy_find(config, s->group_policy);
        if (!gp) {
            snprintf(reason, reason_len, "group policy '%s' was removed by a reload", s->group_policy);
            return true;
        }
        if (!(gp->protocols & (ikev2 ? CONFIG_PROTOCOL_IKEV2 : CONFIG_PROTOCOL_IKEV1))) {
            snprintf(reason, reason_len, "group policy '%s' no longer allows %s", s->group_policy, proto);
            return true;
        }
    }
    return false;
}

struct check {
    const struct vpnd_config *config;
    struct session_reload_end *list;
    size_t n, size;
};

static int check_one(struct session *s, void *userdata)
{
    struct check *c = userdata;
    char reason[SESSION_RELOAD_REASON_MAX];
    if (!session_reload_disallowed(s, c->config, reason, sizeof(reason)))
        return 0;
    if (c->n == c->size) {
        size_t size = c->size ? c->size * 2 : 8;
        struct session_reload_end *p = realloc(c->list, size * sizeof(*p));
        if (!p)
            return -ENOMEM;
        c->list = p;
        c->size = size;
    }
    struct session_reload_end *e = &c->list[c->n++];
    e->index = s->index;
    snprintf(e->user, sizeof(e->user), "%s", s->user);
    snprintf(e->tunnel_group, sizeof(e->tunnel_group), "%s", s->tunnel_group);
    snprintf(e->reason, sizeof(e->reason), "%s", reason);
    return 0;
}

int session_reload_check(struct session_registry *reg, const struct vpnd_config *config,
                         struct session_reload_end **ret, size_t *n)
{
    struct check c = { .config = config };
    int r = session_foreach(reg, check_one, &c);
    if (r < 0) {
        free(c.list);
        return r;
    }
    *ret = c.list;
    *n = c.n;
    return 0;
}
