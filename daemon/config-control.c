/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * control { socket = "/run/vpnd/control.sock"; read-group = "vpnd";
 *           admin-group = "vpnd-admin"; }
 *
 * Who may talk to the daemon's control socket. Group names resolve at load
 * time so a typo fails the load rather than silently locking operators out.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "config-internal.h"
#include "vpnd-build.h"

static int resolve_group(struct config_parser *p, const config_setting_t *s, const char *name,
                         gid_t *gid)
{
    struct group grp, *res = NULL;
    long size = sysconf(_SC_GETGR_R_SIZE_MAX);
    if (size < 1024)
        size = 1024;

    for (;;) {
        char *buf = malloc((size_t)size);
        if (!buf)
            return config_fail_errno(p, s, ENOMEM, "out of memory");
        int r = getgrnam_r(name, &grp, buf, (size_t)size, &res);
        if (r == ERANGE && size < (1L << 20)) {
            free(buf);
            size *= 2;
            continue;
        }
        if (r == 0 && res)
            *gid = res->gr_gid;
        free(buf);
        if (r != 0 && r != ENOENT && r != ESRCH)
            return config_fail(p, s, "control: %s: cannot look up group '%s': %s", s->name, name, strerror(r));
        if (!res)
            return config_fail(p, s, "control: %s: unknown group '%s'", s->name, name);
        return 0;
    }
}

static int parse_group(struct config_parser *p, const config_setting_t *s, const char *key,
                       bool *has, gid_t *gid, char **name)
{
    const char *text = NULL;
    int r = config_member_string(p, s, "control", key, false, &text);
    if (r < 0 || !text)
        return r;
    r = resolve_group(p, config_member(s, key), text, gid);
    if (r < 0)
        return r;
    *name = strdup(text);
    if (!*name)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    *has = true;
    return 0;
}

int config_parse_control(struct config_parser *p, const config_setting_t *s)
{
    static const char *const keys[] = { "socket", "read-group", "admin-group", NULL };
    struct config_control *c = &p->config->control;
    const char *socket_path = VPND_CONTROL_SOCKET;
    int r;

    if (s) {
        r = config_check_keys(p, s, "control", keys);
        if (r < 0)
            return r;
        r = config_member_string(p, s, "control", "socket", false, &socket_path);
        if (r < 0)
            return r;
        const config_setting_t *m = config_member(s, "socket");
        if (socket_path[0] != '/')
            return config_fail(p, m, "control: socket '%s' must be an absolute path", socket_path);
        if (strlen(socket_path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
            return config_fail(p, m, "control: socket path is longer than %zu characters",
                               sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
    }
    c->socket_path = strdup(socket_path);
    if (!c->socket_path)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    if (!s)
        return 0;

    r = parse_group(p, s, "read-group", &c->has_read_group, &c->read_gid, &c->read_group);
    if (r < 0)
        return r;
    return parse_group(p, s, "admin-group", &c->has_admin_group, &c->admin_gid, &c->admin_group);
}

void config_control_done(struct config_control *c)
{
    free(c->socket_path);
    free(c->read_group);
    free(c->admin_group);
}
