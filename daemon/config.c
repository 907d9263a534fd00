/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Loading vpnd.conf: read the libconfig tree, parse each section in the
 * order references need (proposals, pools and policies before the tunnel
 * groups and users that name them), and free everything on the first error
 * so that a failed load (or reload) leaves nothing behind.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"
#include "hashmap.h"

const char *config_error_format(const struct config_error *err, char *buf, size_t len)
{
    if (!buf || len == 0)
        return "";
    if (!err) {
        snprintf(buf, len, "unknown configuration error");
        return buf;
    }
    if (err->line > 0)
        snprintf(buf, len, "%s:%d: %s", err->file, err->line, err->reason);
    else
        snprintf(buf, len, "%s: %s", err->file, err->reason);
    return buf;
}

/* The file a setting comes from. libconfig names an @include'd file as
 * written, relative to the main file's directory; make it a usable path. */
static const char *setting_file(const struct config_parser *p, const config_setting_t *s, char *buf, size_t len)
{
    const char *file = s ? config_setting_source_file(s) : NULL;
    if (!file || strcmp(file, p->main_file) == 0)
        return p->main_file;
    if (file[0] == '/' || strcmp(p->base_dir, ".") == 0)
        return file;
    snprintf(buf, len, "%s/%s", p->base_dir, file);
    return buf;
}

static int vfail(struct config_parser *p, const config_setting_t *s, int error, const char *fmt, va_list ap)
{
    struct config_error *err = p->err;

    char buf[sizeof(err->file)];
    snprintf(err->file, sizeof(err->file), "%s", setting_file(p, s, buf, sizeof(buf)));
    err->line = s ? (int)config_setting_source_line(s) : 0;
    vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
    return -error;
}

int config_fail(struct config_parser *p, const config_setting_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfail(p, s, EINVAL, fmt, ap);
    va_end(ap);
    return r;
}

int config_fail_errno(struct config_parser *p, const config_setting_t *s, int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfail(p, s, error, fmt, ap);
    va_end(ap);
    return r;
}

int config_warn(struct config_parser *p, const config_setting_t *s, const char *fmt, ...)
{
    struct vpnd_config *c = p->config;
    char text[CONFIG_ERROR_MAX], line[CONFIG_ERROR_MAX + 4200], buf[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (s)
        snprintf(line, sizeof(line), "%s:%u: %s", setting_file(p, s, buf, sizeof(buf)),
                 config_setting_source_line(s), text);
    else
        snprintf(line, sizeof(line), "%s: %s", setting_file(p, s, buf, sizeof(buf)), text);

    char **w = realloc(c->warnings, (c->n_warnings + 1) * sizeof(*w));
    if (!w)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    c->warnings = w;
    w[c->n_warnings] = config_strdup(line);
    if (!w[c->n_warnings])
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    c->n_warnings++;
    return 0;
}

char *config_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The sections, in the order they are parsed. */
static const struct {
    const char *key;
    int (*parse)(struct config_parser *p, const config_setting_t *s);
} sections[] = {
    { "log",            config_parse_log },
    { "control",        config_parse_control },
    { "ike",            config_parse_ike },
    { "kernel",         config_parse_kernel },
    { "listen",         config_parse_listen },
    { "ike-proposals",  config_parse_ike_proposals },
    { "esp-proposals",  config_parse_esp_proposals },
    { "pools",          config_parse_pools },
    { "group-policies", config_parse_group_policies },
    { "users",          config_parse_users },
    { "aaa-server-groups", config_parse_aaa_server_groups },
    { "tunnel-groups",  config_parse_tunnel_groups },
};

static int parse_root(struct config_parser *p, const config_setting_t *root)
{
    static const char *const keys[] = {
        "log", "control", "ike", "kernel", "listen", "ike-proposals", "esp-proposals", "pools",
        "group-policies", "users", "aaa-server-groups", "tunnel-groups", NULL
    };
    int r = config_check_keys(p, root, NULL, keys);
    if (r < 0)
        return r;

    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        /* Absent sections still run: they set their defaults. */
        r = sections[i].parse(p, config_member(root, sections[i].key));
        if (r < 0)
            return r;
    }

    if (p->config->n_tunnel_groups == 0) {
        r = config_warn(p, NULL, "no tunnel-groups: vpnd will accept no clients");
        if (r < 0)
            return r;
    }
    return 0;
}

/* libconfig keeps its own copy of every string until config_destroy; wipe
 * the secret ones (psk = "...") so they do not linger in freed memory. */
static void wipe_inline_secrets(config_setting_t *s)
{
    if (!s)
        return;
    if (config_setting_is_aggregate(s)) {
        for (int i = 0; i < config_setting_length(s); i++)
            wipe_inline_secrets(config_setting_get_elem(s, (unsigned)i));
        return;
    }
    if (s->name && (strcmp(s->name, "psk") == 0 || strcmp(s->name, "password") == 0 ||
                    strcmp(s->name, "nt-hash") == 0 || strcmp(s->name, "secret") == 0) && config_setting_type(s) == CONFIG_TYPE_STRING
        && s->value.sval)
        explicit_bzero(s->value.sval, strlen(s->value.sval));
}

int config_load(const char *path, struct vpnd_config **ret, struct config_error *err)
{
    struct config_error scratch;
    struct config_parser p = { 0 };
    config_t lc;
    int r;

    if (!err)
        err = &scratch;
    memset(err, 0, sizeof(*err));
    if (!ret)
        return -EINVAL;
    *ret = NULL;
    if (!path || !*path) {
        snprintf(err->reason, sizeof(err->reason), "no configuration file given");
        return -EINVAL;
    }

    p.err = err;
    p.main_file = path;
    p.config = calloc(1, sizeof(*p.config));
    if (p.config)
        p.config->refcount = 1;
    char *dir_copy = strdup(path);
    if (!p.config || !dir_copy) {
        free(dir_copy);
        free(p.config);
        snprintf(err->file, sizeof(err->file), "%s", path);
        snprintf(err->reason, sizeof(err->reason), "out of memory");
        return -ENOMEM;
    }
    p.base_dir = strdup(dirname(dir_copy));
    free(dir_copy);
    p.config->path = strdup(path);
    if (!p.base_dir || !p.config->path) {
        r = config_fail_errno(&p, NULL, ENOMEM, "out of memory");
        goto out;
    }

    config_init(&lc);
    /* @include "users.conf" resolves next to the main file. */
    config_set_include_dir(&lc, p.base_dir);
    if (!config_read_file(&lc, path)) {
        if (config_error_type(&lc) == CONFIG_ERR_FILE_IO) {
            /* libconfig does not keep errno; ask the system why. */
            FILE *f = fopen(path, "re");
            int e = f ? EIO : errno;
            if (f)
                fclose(f);
            r = config_fail_errno(&p, NULL, e, "cannot read: %s", strerror(e));
        } else {
            snprintf(err->file, sizeof(err->file), "%s",
                     config_error_file(&lc) ? config_error_file(&lc) : path);
            err->line = config_error_line(&lc);
            snprintf(err->reason, sizeof(err->reason), "%s", config_error_text(&lc));
            r = -EINVAL;
        }
        wipe_inline_secrets(config_root_setting(&lc));
        config_destroy(&lc);
        goto out;
    }

    r = parse_root(&p, config_root_setting(&lc));
    wipe_inline_secrets(config_root_setting(&lc));
    config_destroy(&lc);
    if (r < 0)
        goto out;

    *ret = p.config;
    p.config = NULL;
    r = 0;
out:
    config_free(p.config);
    config_parser_done(&p);
    free(p.base_dir);
    return r;
}

struct vpnd_config *config_ref(struct vpnd_config *c)
{
    if (c)
        c->refcount++;
    return c;
}

void config_unref(struct vpnd_config *c)
{
    config_free(c);
}

void config_free(struct vpnd_config *c)
{
    if (!c)
        return;
    /* Sessions may still hold it (config_ref): the last reference frees. */
    if (c->refcount > 1) {
        c->refcount--;
        return;
    }
    config_control_done(&c->control);
    free(c->listen);
    for (size_t i = 0; i < c->n_ike_proposals; i++)
        config_ike_proposal_done(&c->ike_proposals[i]);
    free(c->ike_proposals);
    for (size_t i = 0; i < c->n_esp_proposals; i++)
        config_esp_proposal_done(&c->esp_proposals[i]);
    free(c->esp_proposals);
    for (size_t i = 0; i < c->n_pools; i++)
        config_pool_done(&c->pools[i]);
    free(c->pools);
    for (size_t i = 0; i < c->n_group_policies; i++)
        config_group_policy_done(&c->group_policies[i]);
    free(c->group_policies);
    for (size_t i = 0; i < c->n_tunnel_groups; i++)
        config_tunnel_group_done(&c->tunnel_groups[i]);
    free(c->tunnel_groups);
    for (size_t i = 0; i < c->n_aaa_groups; i++)
        config_aaa_group_done(&c->aaa_groups[i]);
    free(c->aaa_groups);
    for (size_t i = 0; i < c->n_users; i++)
        config_user_done(&c->users[i]);
    free(c->users);
    hashmap_free(c->users_by_name);
    for (size_t i = 0; i < c->n_warnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    free(c->path);
    free(c);
}

/* --- lookups of the short lists ------------------------------------------ */

#define FIND_BY_NAME(array, count)                                  \
    do {                                                            \
        if (!config || !name)                                       \
            return NULL;                                            \
        for (size_t i = 0; i < config->count; i++)                  \
            if (strcmp(config->array[i].name, name) == 0)           \
                return &config->array[i];                           \
        return NULL;                                                \
    } while (0)

const struct config_pool *config_pool_find(const struct vpnd_config *config, const char *name)
{
    FIND_BY_NAME(pools, n_pools);
}

const struct config_group_policy *config_group_policy_find(const struct vpnd_config *config, const char *name)
{
    FIND_BY_NAME(group_policies, n_group_policies);
}

const struct config_ike_proposal *config_ike_proposal_find(const struct vpnd_config *config, const char *name)
{
    FIND_BY_NAME(ike_proposals, n_ike_proposals);
}

const struct config_esp_proposal *config_esp_proposal_find(const struct vpnd_config *config, const char *name)
{
    FIND_BY_NAME(esp_proposals, n_esp_proposals);
}

const struct config_tunnel_group *config_tunnel_group_find(const struct vpnd_config *config, const char *name)
{
    FIND_BY_NAME(tunnel_groups, n_tunnel_groups);
}

const struct config_aaa_group *config_aaa_group_find(const struct vpnd_config *config, const char *name)
{
    FIND_BY_NAME(aaa_groups, n_aaa_groups);
}
