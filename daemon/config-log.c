/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * log { level = "info"; debug = { ike = 127; }; }
 *
 * `level` is the syslog priority threshold; `debug` turns on per-subsystem
 * debug output with Cisco-style levels (0 off, 1 important events, 127
 * everything), which an ASA administrator knows from `debug crypto ikev2
 * protocol 127`. The subsystem list lives here so the daemon's log lines
 * and the configuration use the same names.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "config-internal.h"

static const char *const subsystem_names[CONFIG_SUBSYS_COUNT] = {
    [CONFIG_SUBSYS_MAIN]    = "main",
    [CONFIG_SUBSYS_CONFIG]  = "config",
    [CONFIG_SUBSYS_CONTROL] = "control",
    [CONFIG_SUBSYS_NETLINK] = "netlink",
    [CONFIG_SUBSYS_JOBS]    = "jobs",
    [CONFIG_SUBSYS_IKE]     = "ike",
    [CONFIG_SUBSYS_IKEV1]   = "ikev1",
    [CONFIG_SUBSYS_IKEV2]   = "ikev2",
    [CONFIG_SUBSYS_AUTH]    = "auth",
    [CONFIG_SUBSYS_POOL]    = "pool",
    [CONFIG_SUBSYS_RADIUS]  = "radius",
};

const char *config_subsystem_name(enum config_subsystem subsys)
{
    if ((unsigned)subsys >= CONFIG_SUBSYS_COUNT)
        return NULL;
    return subsystem_names[subsys];
}

int config_subsystem_from_name(const char *name)
{
    if (!name)
        return -ENOENT;
    for (int i = 0; i < CONFIG_SUBSYS_COUNT; i++)
        if (strcmp(subsystem_names[i], name) == 0)
            return i;
    return -ENOENT;
}

static const struct {
    const char *name;
    int level;
} log_levels[] = {
    { "err",     LOG_ERR },
    { "warning", LOG_WARNING },
    { "notice",  LOG_NOTICE },
    { "info",    LOG_INFO },
    { "debug",   LOG_DEBUG },
};

int config_log_level_from_name(const char *name)
{
    if (!name)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
        if (strcmp(log_levels[i].name, name) == 0)
            return log_levels[i].level;
    return -EINVAL;
}

const char *config_log_level_name(int level)
{
    for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
        if (log_levels[i].level == level)
            return log_levels[i].name;
    return NULL;
}

static int parse_debug(struct config_parser *p, const config_setting_t *s, struct config_log *log)
{
    if (!config_setting_is_group(s))
        return config_fail(p, s, "log: 'debug' must be a group { subsystem = level; ... }");
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
        int subsys = config_subsystem_from_name(m->name);
        if (subsys < 0)
            return config_fail(p, m, "log: debug: unknown subsystem '%s' (known: main, config, control, "
                               "netlink, jobs, ike, ikev1, ikev2, auth, pool, radius)", m->name);
        unsigned long long v;
        int r = config_get_uint(p, m, "log: debug", 0, CONFIG_DEBUG_MAX, &v);
        if (r < 0)
            return r;
        log->debug[subsys] = (uint8_t)v;
    }
    return 0;
}

int config_parse_log(struct config_parser *p, const config_setting_t *s)
{
    static const char *const keys[] = { "level", "debug", NULL };
    struct config_log *log = &p->config->log;
    int r;

    log->level = LOG_INFO;
    if (!s)
        return 0;
    r = config_check_keys(p, s, "log", keys);
    if (r < 0)
        return r;

    const char *level = NULL;
    r = config_member_string(p, s, "log", "level", false, &level);
    if (r < 0)
        return r;
    if (level) {
        r = config_log_level_from_name(level);
        if (r < 0)
            return config_fail(p, config_member(s, "level"),
                               "log: unknown level '%s' (err, warning, notice, info or debug)", level);
        log->level = r;
    }

    const config_setting_t *debug = config_member(s, "debug");
    return debug ? parse_debug(p, debug, log) : 0;
}
