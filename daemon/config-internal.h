/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared by the configuration parser's files only (config*.c). Each section
 * parser receives the libconfig setting of its section and fills its part
 * of struct vpnd_config; on the first problem it records file:line and the
 * reason in the parser's error and returns a negative errno.
 */
#pragma once

#include <libconfig.h>
#include <stdarg.h>

#include "config.h"

#define CONFIG_SOURCE_CACHE 16

struct config_parser {
    struct vpnd_config *config;
    struct config_error *err;
    const char *main_file;      /* the path given to config_load */
    char *base_dir;             /* relative paths in the file resolve here */
    /* The files' text, read on demand to re-check integers (see
     * config_get_uint): the libconfig tree only has the truncated value. */
    struct {
        char *file;             /* as libconfig names it */
        char *text;             /* NULL when unreadable */
    } sources[CONFIG_SOURCE_CACHE];
    size_t n_sources;
    /* Every named entry seen so far, "SECTION\0NAME" -> its line + 1, so
     * that config_named_entry() finds a duplicate name by hash. */
    struct hashmap *entry_names;
};

void config_parser_done(struct config_parser *p);

/* Records "file:line: reason" for `s` (or for the main file without a line
 * when s is NULL) and returns -EINVAL. */
int config_fail(struct config_parser *p, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with an explicit errno to return. */
int config_fail_errno(struct config_parser *p, const config_setting_t *s, int error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends "file:line: text" to config->warnings. 0 or -ENOMEM. */
int config_warn(struct config_parser *p, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- typed values (config-values.c) ------------------------------------- */

/* `what` prefixes errors: "pool 'x'" gives "pool 'x': unknown setting 'y'". */
int config_check_keys(struct config_parser *p, const config_setting_t *group, const char *what,
                      const char *const *allowed);
/* The group's member `name`, or NULL. */
const config_setting_t *config_member(const config_setting_t *group, const char *name);

int config_get_string(struct config_parser *p, const config_setting_t *s, const char *what, const char **ret);
int config_get_bool(struct config_parser *p, const config_setting_t *s, const char *what, bool *ret);
int config_get_uint(struct config_parser *p, const config_setting_t *s, const char *what,
                    unsigned long long min, unsigned long long max, unsigned long long *ret);
/* A required or optional member: -ENOENT is never returned; a missing
 * required member is an error at the group's line. *ret is untouched when
 * an optional member is absent. */
int config_member_string(struct config_parser *p, const config_setting_t *group, const char *what,
                         const char *name, bool required, const char **ret);
int config_member_bool(struct config_parser *p, const config_setting_t *group, const char *what,
                       const char *name, bool *ret);
int config_member_uint(struct config_parser *p, const config_setting_t *group, const char *what,
                       const char *name, unsigned long long min, unsigned long long max,
                       unsigned long long *ret);

/* A member that is either one scalar or a list/array of scalars; returns
 * the number of elements, 0 when absent. Elements via config_list_elem. */
int config_member_list(struct config_parser *p, const config_setting_t *group, const char *what,
                       const char *name, const config_setting_t **ret);
const config_setting_t *config_list_elem(const config_setting_t *list, int i);

/* A group's `name` member, checked: non-empty, printable, at most 64 bytes. */
int config_member_name(struct config_parser *p, const config_setting_t *group, const char *section,
                       const char **ret);

/* The start of every named entry of a list section (a pool, a proposal, a
 * group policy, a tunnel group): checks its name (unique in its section) and
 * keys, and fills `what`
 * with "SECTION 'NAME'" for the entry's error messages, *name_ret with a copy
 * of the name and *line_ret with the entry's line. */
int config_named_entry(struct config_parser *p, const config_setting_t *s, const char *section,
                       const char *const *keys, char *what, size_t what_len,
                       char **name_ret, unsigned *line_ret);

/* Text parsers; they return -EINVAL without recording an error. */
int config_parse_address(const char *text, struct config_address *ret);
/* "a.b.c.d/len" or "x::/len"; host bits must be zero. -EINVAL bad syntax,
 * -EDOM host bits set. */
int config_parse_prefix(const char *text, struct config_prefix *ret);
/* A contiguous dotted IPv4 netmask; its length in *len. */
int config_parse_netmask(const char *text, struct in_addr *ret, unsigned *len);
void config_prefix_mask(struct config_address *addr, unsigned prefix_len);
const char *config_address_to_string(const struct config_address *a, char *buf, size_t len);

/* A path from the file: relative paths resolve against the directory of the
 * main file. Checks the file can be opened for reading. */
int config_member_path(struct config_parser *p, const config_setting_t *group, const char *what,
                       const char *name, char **ret);

char *config_strdup(const char *s);

/* --- sections ----------------------------------------------------------- */

int config_parse_log(struct config_parser *p, const config_setting_t *s);
int config_parse_control(struct config_parser *p, const config_setting_t *s);
int config_parse_ike(struct config_parser *p, const config_setting_t *s);
int config_parse_kernel(struct config_parser *p, const config_setting_t *s);
int config_parse_listen(struct config_parser *p, const config_setting_t *s);
int config_parse_ike_proposals(struct config_parser *p, const config_setting_t *s);
int config_parse_esp_proposals(struct config_parser *p, const config_setting_t *s);
int config_parse_pools(struct config_parser *p, const config_setting_t *s);
int config_parse_group_policies(struct config_parser *p, const config_setting_t *s);
int config_parse_users(struct config_parser *p, const config_setting_t *s);
int config_parse_aaa_server_groups(struct config_parser *p, const config_setting_t *s);
int config_parse_tunnel_groups(struct config_parser *p, const config_setting_t *s);

/* Secrets: exactly one of <name>, <name>-file, <name>-credential.
 * Returns 1 when a secret was read, 0 when none of the three is present. */
int config_member_secret(struct config_parser *p, const config_setting_t *group, const char *what,
                         const char *name, struct config_secret *ret);
void config_secret_wipe(struct config_secret *secret);

/* Freeing one section element (config.c calls them from config_free). */
void config_ike_proposal_done(struct config_ike_proposal *proposal);
void config_esp_proposal_done(struct config_esp_proposal *proposal);
void config_pool_done(struct config_pool *pool);
void config_group_policy_done(struct config_group_policy *policy);
void config_tunnel_group_done(struct config_tunnel_group *group);
void config_aaa_group_done(struct config_aaa_group *group);
void config_user_done(struct config_user *user);
void config_control_done(struct config_control *control);

/* The lists every section uses to hold references. */
#define CONFIG_MAX_LIST 64

/* "aes128, aes192, ..." for error messages. */
const char *config_algorithm_keywords(enum config_algorithm_kind kind, char *buf, size_t len);

/* A section that is a list of groups ( { ... }, ... ): checks the shape and
 * returns the number of entries. */
#define CONFIG_MAX_SECTION 1024
int config_section_list(struct config_parser *p, const config_setting_t *s, const char *key);
const struct config_pool *config_pool_containing(const struct vpnd_config *c, const struct config_address *addr);
/* A tunnel group's optional reference `key` to an aaa-server-group. */
int config_resolve_aaa_group(struct config_parser *p, const config_setting_t *s, const char *what,
                             const char *key, const struct config_aaa_group **ret);
int config_resolve_group_policy(struct config_parser *p, const config_setting_t *s, const char *what,
                                const char *name, const struct config_group_policy **ret);
