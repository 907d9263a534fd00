/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kernel = { spd-hash-thresholds = "remote-access"; }
 *
 * How vpnd sets up the kernel's IPsec databases at start. The per-client
 * policies ("protected network -> client/32" and back) are found through
 * the SPD's hash table only when the hash thresholds allow a short local
 * prefix (netlink/xfrm-spd.c); with the kernel's default (32/32) every one
 * of them with a /0 or subnet side is an "inexact" policy instead.
 * "remote-access" (the default) sets the thresholds so that they are
 * hashed; "keep" leaves what the system has (`ip xfrm policy set
 * hthresh4 ...`), for a host that shares its SPD with other policies.
 */
#include <string.h>

#include "config-internal.h"

int config_parse_kernel(struct config_parser *p, const config_setting_t *s)
{
    static const char *const keys[] = { "spd-hash-thresholds", NULL };
    struct config_kernel *k = &p->config->kernel;

    k->spd_hash_thresholds = CONFIG_SPD_HASH_REMOTE_ACCESS;
    if (!s)
        return 0;
    int r = config_check_keys(p, s, "kernel", keys);
    if (r < 0)
        return r;

    const char *value = NULL;
    r = config_member_string(p, s, "kernel", "spd-hash-thresholds", false, &value);
    if (r < 0)
        return r;
    if (!value || strcmp(value, "remote-access") == 0)
        return 0;
    if (strcmp(value, "keep") == 0) {
        k->spd_hash_thresholds = CONFIG_SPD_HASH_KEEP;
        return 0;
    }
    return config_fail(p, config_member(s, "spd-hash-thresholds"),
                       "kernel: unknown spd-hash-thresholds '%s' (remote-access or keep)", value);
}
