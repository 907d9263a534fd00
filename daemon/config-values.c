/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Typed access to libconfig settings. Every getter checks the type and the
 * range and names the setting in its error, so section parsers stay short
 * and every mistake in the file gets a message with its line.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config-internal.h"
#include "hashmap.h"

/* "pool 'x': " or "" for the top level. */
static const char *prefix(const char *what, char *buf, size_t len)
{
    if (!what)
        return "";
    snprintf(buf, len, "%s: ", what);
    return buf;
}
#define PFX(what) prefix((what), (char[256]){ 0 }, 256)

/* The setting's name; a list element is named by its list. */
static const char *key_of(const config_setting_t *s)
{
    if (s && !s->name && s->parent && s->parent->name)
        return s->parent->name;
    return s && s->name ? s->name : "element";
}

const config_setting_t *config_member(const config_setting_t *group, const char *name)
{
    if (!group || !config_setting_is_group(group))
        return NULL;
    return config_setting_get_member(group, name);
}

int config_check_keys(struct config_parser *p, const config_setting_t *group, const char *what,
                      const char *const *allowed)
{
    if (!config_setting_is_group(group))
        return config_fail(p, group, "'%s' must be a group { ... }", key_of(group));

    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
        bool known = false;
        for (size_t k = 0; allowed[k]; k++)
            if (strcmp(allowed[k], m->name) == 0)
                known = true;
        if (!known)
            return config_fail(p, m, "%sunknown setting '%s'", PFX(what), m->name);
    }
    return 0;
}

int config_get_string(struct config_parser *p, const config_setting_t *s, const char *what, const char **ret)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return config_fail(p, s, "%s'%s' must be a string", PFX(what), key_of(s));
    *ret = config_setting_get_string(s);
    return 0;
}

int config_get_bool(struct config_parser *p, const config_setting_t *s, const char *what, bool *ret)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return config_fail(p, s, "%s'%s' must be true or false", PFX(what), key_of(s));
    *ret = config_setting_get_bool(s) != 0;
    return 0;
}

static const char *source_text(struct config_parser *p, const char *file)
{
    for (size_t i = 0; i < p->n_sources; i++)
        if (strcmp(p->sources[i].file, file) == 0)
            return p->sources[i].text;
    if (p->n_sources == CONFIG_SOURCE_CACHE)
        return NULL;

    char *path = NULL, *text = NULL;
    if (file[0] == '/' || strcmp(file, p->main_file) == 0)
        path = strdup(file);
    else if (asprintf(&path, "%s/%s", p->base_dir, file) < 0)
        path = NULL;
    FILE *f = path ? fopen(path, "re") : NULL;
    if (f) {
        size_t size = 0;
        FILE *mem = open_memstream(&text, &size);
        char buf[8192];
        size_t n;
        while (mem && (n = fread(buf, 1, sizeof(buf), f)) > 0)
            fwrite(buf, 1, n, mem);
        if (mem)
            fclose(mem);
        fclose(f);
    }
    free(path);
    char *name = strdup(file);
    if (!name) {
        free(text);
        return NULL;
    }
    p->sources[p->n_sources].file = name;
    p->sources[p->n_sources].text = text;
    p->n_sources++;
    return text;
}

void config_parser_done(struct config_parser *p)
{
    for (size_t i = 0; i < p->n_sources; i++) {
        free(p->sources[i].file);
        if (p->sources[i].text) {
            /* The text may hold inline secrets. */
            explicit_bzero(p->sources[i].text, strlen(p->sources[i].text));
            free(p->sources[i].text);
        }
    }
    p->n_sources = 0;
    hashmap_free(p->entry_names);
    p->entry_names = NULL;
}

/* libconfig 1.5 silently wraps integers that do not fit an int unless
 * they carry an L suffix (5000000000 reads as 705032704). Find the
 * setting's number in the source line and compare. Returns false only
 * when the text is found and disagrees. */
static bool integer_matches_source(struct config_parser *p, const config_setting_t *s, long long v)
{
    const char *file = config_setting_source_file(s);
    if (!s->name || !file)
        return true;
    const char *text = source_text(p, file);
    if (!text)
        return true;
    for (unsigned line = 1; line < config_setting_source_line(s); line++) {
        text = strchr(text, '\n');
        if (!text)
            return true;
        text++;
    }
    const char *end = strchr(text, '\n');
    size_t name_len = strlen(s->name);
    /* Several groups on one line may set the same key ({ a = 1; }, { a = 2; }):
     * the value disagrees only when no occurrence on the line carries it. */
    bool disagrees = false;
    for (const char *at = text; (at = strstr(at, s->name)) && (!end || at < end); at += name_len) {
        if (at > text && (isalnum((unsigned char)at[-1]) || at[-1] == '-' || at[-1] == '_'))
            continue;
        const char *q = at + name_len;
        q += strspn(q, " \t");
        if (*q != '=' && *q != ':')
            continue;
        q++;
        q += strspn(q, " \t");
        bool negative = *q == '-';
        if (*q == '-' || *q == '+')
            q++;
        if (!isdigit((unsigned char)*q))
            return true;
        errno = 0;
        int base = q[0] == '0' && (q[1] == 'x' || q[1] == 'X') ? 16 : 10;
        unsigned long long u = strtoull(q, NULL, base);
        bool same = errno != ERANGE &&
                    (negative ? u <= (unsigned long long)LLONG_MAX + 1 && (long long)(0 - u) == v
                              : u <= (unsigned long long)LLONG_MAX && (long long)u == v);
        if (same)
            return true;
        disagrees = true;
    }
    return !disagrees;
}

int config_get_uint(struct config_parser *p, const config_setting_t *s, const char *what,
                    unsigned long long min, unsigned long long max, unsigned long long *ret)
{
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return config_fail(p, s, "%s'%s' must be an integer", PFX(what), key_of(s));
    long long v = config_setting_get_int64(s);
    if (!integer_matches_source(p, s, v))
        return config_fail(p, s, "%s'%s' must be between %llu and %llu", PFX(what), key_of(s), min, max);
    if (v < 0 || (unsigned long long)v < min || (unsigned long long)v > max)
        return config_fail(p, s, "%s'%s' must be between %llu and %llu", PFX(what), key_of(s), min, max);
    *ret = (unsigned long long)v;
    return 0;
}

static int member_required(struct config_parser *p, const config_setting_t *group, const char *what,
                           const char *name, bool required, const config_setting_t **ret)
{
    *ret = config_member(group, name);
    if (!*ret && required)
        return config_fail(p, group, "%s'%s' is missing", PFX(what), name);
    return 0;
}

int config_member_string(struct config_parser *p, const config_setting_t *group, const char *what,
                         const char *name, bool required, const char **ret)
{
    const config_setting_t *s;
    int r = member_required(p, group, what, name, required, &s);
    if (r < 0 || !s)
        return r;
    return config_get_string(p, s, what, ret);
}

int config_member_bool(struct config_parser *p, const config_setting_t *group, const char *what,
                       const char *name, bool *ret)
{
    const config_setting_t *s = config_member(group, name);
    return s ? config_get_bool(p, s, what, ret) : 0;
}

int config_member_uint(struct config_parser *p, const config_setting_t *group, const char *what,
                       const char *name, unsigned long long min, unsigned long long max,
                       unsigned long long *ret)
{
    const config_setting_t *s = config_member(group, name);
    return s ? config_get_uint(p, s, what, min, max, ret) : 0;
}

int config_member_list(struct config_parser *p, const config_setting_t *group, const char *what,
                       const char *name, const config_setting_t **ret)
{
    const config_setting_t *s = config_member(group, name);
    *ret = s;
    if (!s)
        return 0;
    if (config_setting_is_scalar(s))
        return 1;
    if (config_setting_is_group(s))
        return config_fail(p, s, "%s'%s' must be a value or a list [ ... ]", PFX(what), name);
    int n = config_setting_length(s);
    if (n > CONFIG_MAX_LIST)
        return config_fail(p, s, "%s'%s' has more than %d elements", PFX(what), name, CONFIG_MAX_LIST);
    for (int i = 0; i < n; i++)
        if (!config_setting_is_scalar(config_setting_get_elem(s, (unsigned)i)))
            return config_fail(p, s, "%s'%s' must be a list of values", PFX(what), name);
    return n;
}

const config_setting_t *config_list_elem(const config_setting_t *list, int i)
{
    if (config_setting_is_scalar(list))
        return i == 0 ? list : NULL;
    return config_setting_get_elem(list, (unsigned)i);
}

int config_member_name(struct config_parser *p, const config_setting_t *group, const char *section,
                       const char **ret)
{
    const char *name;
    int r = config_member_string(p, group, section, "name", true, &name);
    if (r < 0)
        return r;
    const config_setting_t *s = config_member(group, "name");
    size_t len = strlen(name);
    if (len == 0 || len > 64)
        return config_fail(p, s, "%s: name must be 1 to 64 characters", section);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= ' ' || c >= 0x7f || c == '\'' || c == '"')
            return config_fail(p, s, "%s: name '%s' may hold only printable characters other than "
                               "spaces and quotes", section, name);
    }
    *ret = name;
    return 0;
}

int config_named_entry(struct config_parser *p, const config_setting_t *s, const char *section,
                       const char *const *keys, char *what, size_t what_len,
                       char **name_ret, unsigned *line_ret)
{
    const char *name;
    int r = config_member_name(p, s, section, &name);
    if (r < 0)
        return r;
    snprintf(what, what_len, "%s '%s'", section, name);
    *name_ret = strdup(name);
    if (!*name_ret)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    *line_ret = (unsigned)config_setting_source_line(s);
    r = config_check_keys(p, s, what, keys);
    if (r < 0)
        return r;

    if (!p->entry_names && hashmap_new(&p->entry_names) < 0)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    size_t slen = strlen(section), nlen = strlen(name);
    char key[64 + 1 + 64];          /* section names are short; entry names at most 64 bytes */
    if (slen + 1 + nlen > sizeof(key))
        return config_fail(p, s, "%s: name too long", what);
    memcpy(key, section, slen + 1);
    memcpy(key + slen + 1, name, nlen);
    uintptr_t earlier = (uintptr_t)hashmap_get(p->entry_names, key, slen + 1 + nlen);
    if (earlier)
        return config_fail(p, config_member(s, "name"), "%s is already defined at line %u", what,
                           (unsigned)(earlier - 1));
    r = hashmap_put(p->entry_names, key, slen + 1 + nlen, (void *)(uintptr_t)(*line_ret + 1));
    return r < 0 ? config_fail_errno(p, s, -r, "out of memory") : 0;
}

/* --- addresses ---------------------------------------------------------- */

int config_parse_address(const char *text, struct config_address *ret)
{
    struct config_address a = { 0 };

    if (!text)
        return -EINVAL;
    if (inet_pton(AF_INET, text, &a.in) == 1)
        a.family = AF_INET;
    else if (inet_pton(AF_INET6, text, &a.in6) == 1)
        a.family = AF_INET6;
    else
        return -EINVAL;
    *ret = a;
    return 0;
}

static unsigned address_bits(int family)
{
    return family == AF_INET ? 32 : 128;
}

static uint8_t *address_bytes(struct config_address *a)
{
    return a->family == AF_INET ? (uint8_t *)&a->in : (uint8_t *)&a->in6;
}

static const uint8_t *address_bytes_const(const struct config_address *a)
{
    return a->family == AF_INET ? (const uint8_t *)&a->in : (const uint8_t *)&a->in6;
}

void config_prefix_mask(struct config_address *addr, unsigned prefix_len)
{
    uint8_t *b = address_bytes(addr);
    unsigned bytes = address_bits(addr->family) / 8;
    for (unsigned i = 0; i < bytes; i++) {
        if (prefix_len >= 8 * (i + 1))
            continue;
        if (prefix_len <= 8 * i)
            b[i] = 0;
        else
            b[i] &= (uint8_t)(0xff << (8 - (prefix_len - 8 * i)));
    }
}

int config_parse_prefix(const char *text, struct config_prefix *ret)
{
    char buf[INET6_ADDRSTRLEN + 8];
    struct config_prefix pfx = { 0 };

    if (!text || strlen(text) >= sizeof(buf))
        return -EINVAL;
    strcpy(buf, text);
    char *slash = strchr(buf, '/');
    if (!slash)
        return -EINVAL;
    *slash = '\0';
    if (config_parse_address(buf, &pfx.addr) < 0)
        return -EINVAL;

    const char *len = slash + 1;
    if (!*len || strlen(len) > 3 || strspn(len, "0123456789") != strlen(len))
        return -EINVAL;
    pfx.prefix_len = (unsigned)atoi(len);
    if (pfx.prefix_len > address_bits(pfx.addr.family))
        return -EINVAL;

    struct config_address masked = pfx.addr;
    config_prefix_mask(&masked, pfx.prefix_len);
    if (config_address_compare(&masked, &pfx.addr) != 0)
        return -EDOM;
    *ret = pfx;
    return 0;
}

int config_parse_netmask(const char *text, struct in_addr *ret, unsigned *len)
{
    struct in_addr m;
    if (!text || inet_pton(AF_INET, text, &m) != 1)
        return -EINVAL;
    uint32_t h = ntohl(m.s_addr);
    /* Contiguous: the inverted mask plus one is a power of two. */
    uint32_t inv = ~h;
    if ((inv & (inv + 1)) != 0)
        return -EDOM;
    *ret = m;
    *len = (unsigned)__builtin_popcount(h);
    return 0;
}

int config_address_compare(const struct config_address *a, const struct config_address *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(address_bytes_const(a), address_bytes_const(b), address_bits(a->family) / 8);
}

bool config_prefix_contains(const struct config_prefix *prefix, const struct config_address *addr)
{
    if (!prefix || !addr || prefix->addr.family != addr->family)
        return false;
    struct config_address masked = *addr;
    config_prefix_mask(&masked, prefix->prefix_len);
    return config_address_compare(&masked, &prefix->addr) == 0;
}

const char *config_address_to_string(const struct config_address *a, char *buf, size_t len)
{
    if (!inet_ntop(a->family, address_bytes_const(a), buf, (socklen_t)len))
        snprintf(buf, len, "?");
    return buf;
}

/* --- paths -------------------------------------------------------------- */

int config_member_path(struct config_parser *p, const config_setting_t *group, const char *what,
                       const char *name, char **ret)
{
    const char *text;
    char *path;
    int r = config_member_string(p, group, what, name, false, &text);
    if (r < 0)
        return r;
    const config_setting_t *s = config_member(group, name);
    if (!s)
        return 0;
    if (!*text)
        return config_fail(p, s, "%s'%s' must not be empty", PFX(what), name);
    if (text[0] == '/')
        path = strdup(text);
    else if (asprintf(&path, "%s/%s", p->base_dir, text) < 0)
        path = NULL;
    if (!path)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    if (strlen(path) >= PATH_MAX) {
        free(path);
        return config_fail(p, s, "%s'%s': path too long", PFX(what), name);
    }

    /* Opened here, not only when used, so that a key the daemon cannot
     * read fails the load (and a reload) instead of the first handshake. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        r = config_fail(p, s, "%s%s '%s': %s", PFX(what), name, text, strerror(e));
        free(path);
        return r;
    }
    close(fd);
    *ret = path;
    return 0;
}

int config_section_list(struct config_parser *p, const config_setting_t *s, const char *key)
{
    if (!config_setting_is_list(s))
        return config_fail(p, s, "'%s' must be a list ( { name = \"...\"; ... }, ... )", key);
    int n = config_setting_length(s);
    if (n > CONFIG_MAX_SECTION)
        return config_fail(p, s, "'%s' has more than %d entries", key, CONFIG_MAX_SECTION);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        /* At the section's line: libconfig dates a string element by the
         * token after it, which may be on a later line. */
        if (!config_setting_is_group(e))
            return config_fail(p, s, "%s: each entry must be a group { ... }", key);
    }
    return n;
}
