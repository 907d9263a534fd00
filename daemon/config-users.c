/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * users = ( { name = "Anu"; password-hash = "$y$j9T$..."; group-policy = "ASA-IKEV2";
 *             address = "192.168.1.100"; netmask = "255.255.255.0"; } );
 *
 * The local user database for Xauth and EAP (ASA `username NAME password
 * ... ` plus `vpn-framed-ip-address`). Passwords are stored only as crypt(3)
 * hashes (make them with `mkpasswd -m yescrypt` or `openssl passwd -6`);
 * EAP-MSCHAPv2 needs the NT hash instead (nt-hash) and EAP-MD5 the
 * cleartext password (password / password-file / password-credential).
 * There may be thousands of users, so lookups go through a hash table.
 *
 * A fixed address must lie outside every pool: the pool allocator does not
 * know about fixed addresses, so an address in both places could be handed
 * to two clients at once.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "config-internal.h"
#include "hashmap.h"

#define USERS_MAX 1000000
#define USER_NAME_MAX 255
#define CRYPT_ALPHABET "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* The hash methods vpnd accepts and the length of their final hash part. */
static const struct {
    const char *prefix;
    const char *name;
    size_t hash_len;
} crypt_methods[] = {
    { "$y$",  "yescrypt",      43 },
    { "$gy$", "gost-yescrypt", 43 },
    { "$7$",  "scrypt",        43 },
    { "$2b$", "bcrypt",        31 },
    { "$2y$", "bcrypt",        31 },
    { "$2a$", "bcrypt",        31 },
    { "$6$",  "sha512crypt",   86 },
    { "$5$",  "sha256crypt",   43 },
    { "$1$",  "md5crypt",      22 },
};

/* Checks the shape of a crypt(3) hash. Returns the method's name, or NULL
 * with *reason set. */
static const char *check_hash(const char *hash, const char **reason)
{
    size_t i, n = sizeof(crypt_methods) / sizeof(crypt_methods[0]);
    for (i = 0; i < n; i++)
        if (strncmp(hash, crypt_methods[i].prefix, strlen(crypt_methods[i].prefix)) == 0)
            break;
    if (i == n) {
        *reason = "is not a crypt(3) hash vpnd accepts (yescrypt $y$, gost-yescrypt $gy$, scrypt $7$, "
                  "bcrypt $2b$, sha512crypt $6$, sha256crypt $5$, md5crypt $1$)";
        return NULL;
    }
    if (strspn(hash, CRYPT_ALPHABET "$=,") != strlen(hash)) {
        *reason = "holds characters no crypt(3) hash has";
        return NULL;
    }

    const char *last = strrchr(hash, '$') + 1;
    size_t hash_len = strlen(last);
    if (crypt_methods[i].prefix[1] == '2') {
        /* bcrypt: $2b$NN$ then 22 salt and 31 hash characters, no '$'. */
        if (strlen(hash) != 60 || hash[6] != '$' || hash_len != 53 ||
            hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9') {
            *reason = "is not a complete bcrypt hash";
            return NULL;
        }
    } else if (hash_len != crypt_methods[i].hash_len || last - hash <= (ptrdiff_t)strlen(crypt_methods[i].prefix) + 1) {
        *reason = "is not a complete hash (truncated or without salt?)";
        return NULL;
    }

    int c = crypt_checksalt(hash);
    if (c == CRYPT_SALT_INVALID || c == CRYPT_SALT_METHOD_DISABLED) {
        *reason = "has a salt or parameters this system's crypt(3) rejects";
        return NULL;
    }
    *reason = c == CRYPT_SALT_METHOD_LEGACY ? "legacy" : NULL;
    return crypt_methods[i].name;
}

const struct config_user *config_user_find(const struct vpnd_config *c, const char *name)
{
    if (!c || !name || !c->users_by_name)
        return NULL;
    return hashmap_get_str(c->users_by_name, name);
}

static int parse_nt_hash(struct config_parser *p, const config_setting_t *s, const char *what,
                         struct config_user *u)
{
    const char *text = NULL;
    int r = config_member_string(p, s, what, "nt-hash", false, &text);
    if (r < 0 || !text)
        return r;
    const config_setting_t *ns = config_member(s, "nt-hash");
    if (strlen(text) != 32 || strspn(text, "0123456789abcdefABCDEF") != 32)
        return config_fail(p, ns, "%s: nt-hash must be 32 hexadecimal digits", what);
    for (size_t i = 0; i < 16; i++) {
        unsigned v;
        sscanf(text + 2 * i, "%2x", &v);
        u->nt_hash[i] = (uint8_t)v;
    }
    u->has_nt_hash = true;
    return 0;
}

/* Exactly one of password-hash (the normal case) and a cleartext password
 * (only EAP-MD5 needs one); a user of EAP-MSCHAPv2 alone may have just an
 * nt-hash. */
static int parse_password(struct config_parser *p, const config_setting_t *s, const char *what,
                          struct config_user *u)
{
    const char *hash = NULL;
    int r = config_member_string(p, s, what, "password-hash", false, &hash);
    if (r < 0)
        return r;
    const config_setting_t *hs = config_member(s, "password-hash");
    r = config_member_secret(p, s, what, "password", &u->password);
    if (r < 0)
        return r;
    if (r > 0 && hash)
        return config_fail(p, hs, "%s: give either 'password-hash' or a cleartext 'password', not both", what);
    if (r == 0 && !hash && !config_member(s, "nt-hash"))
        return config_fail(p, s, "%s: 'password-hash' is missing", what);
    if (hash) {
        const char *reason;
        const char *method = check_hash(hash, &reason);
        if (!method)
            return config_fail(p, hs, "%s: password-hash %s", what, reason);
        if (reason) {
            r = config_warn(p, hs, "%s: password-hash uses the legacy method %s; rehash with yescrypt",
                            what, method);
            if (r < 0)
                return r;
        }
        u->password_hash = strdup(hash);
        if (!u->password_hash)
            return config_fail_errno(p, s, ENOMEM, "out of memory");
    }
    return parse_nt_hash(p, s, what, u);
}

static int parse_user(struct config_parser *p, const config_setting_t *s, struct config_user *u)
{
    static const char *const keys[] = {
        "name", "password-hash", "password", "password-file", "password-credential", "nt-hash",
        "group-policy", "address", "netmask", NULL
    };
    char what[USER_NAME_MAX + 16];
    const char *name, *text = NULL;
    int r;

    r = config_member_string(p, s, "user", "name", true, &name);
    if (r < 0)
        return r;
    const config_setting_t *ns = config_member(s, "name");
    size_t len = strlen(name);
    if (len == 0 || len > USER_NAME_MAX)
        return config_fail(p, ns, "user: name must be 1 to %d characters", USER_NAME_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return config_fail(p, ns, "user: name holds control characters");
    snprintf(what, sizeof(what), "user '%s'", name);
    u->name = strdup(name);
    if (!u->name)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    u->line = config_setting_source_line(s);
    r = config_check_keys(p, s, what, keys);
    if (r < 0)
        return r;

    r = parse_password(p, s, what, u);
    if (r < 0)
        return r;

    r = config_member_string(p, s, what, "group-policy", false, &text);
    if (r < 0)
        return r;
    if (text) {
        r = config_resolve_group_policy(p, config_member(s, "group-policy"), what, text, &u->group_policy);
        if (r < 0)
            return r;
    }

    text = NULL;
    r = config_member_string(p, s, what, "address", false, &text);
    if (r < 0)
        return r;
    const config_setting_t *as = config_member(s, "address");
    if (text) {
        if (config_parse_address(text, &u->address) < 0)
            return config_fail(p, as, "%s: '%s' is not an IPv4 or IPv6 address", what, text);
        u->has_address = true;
        const struct config_pool *pool = config_pool_containing(p->config, &u->address);
        if (pool)
            return config_fail(p, as, "%s: fixed address %s lies in pool '%s' (line %u); fixed addresses must "
                               "be outside every pool", what, text, pool->name, pool->line);
    }

    text = NULL;
    r = config_member_string(p, s, what, "netmask", false, &text);
    if (r < 0)
        return r;
    if (text) {
        const config_setting_t *ms = config_member(s, "netmask");
        unsigned bits;
        if (!u->has_address || u->address.family != AF_INET)
            return config_fail(p, ms, "%s: 'netmask' needs an IPv4 'address'", what);
        if (config_parse_netmask(text, &u->netmask, &bits) < 0)
            return config_fail(p, ms, "%s: netmask '%s' is not a contiguous dotted IPv4 mask", what, text);
        u->has_netmask = true;
    }
    return 0;
}

static int compare_by_address(const void *a, const void *b)
{
    const struct config_user *x = *(struct config_user *const *)a, *y = *(struct config_user *const *)b;
    int c = config_address_compare(&x->address, &y->address);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Two users with one fixed address would both be given it. */
static int check_fixed_addresses(struct config_parser *p, const config_setting_t *s)
{
    struct vpnd_config *c = p->config;
    size_t n = 0;
    struct config_user **v = calloc(c->n_users ? c->n_users : 1, sizeof(*v));
    if (!v)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    for (size_t i = 0; i < c->n_users; i++)
        if (c->users[i].has_address)
            v[n++] = &c->users[i];
    qsort(v, n, sizeof(*v), compare_by_address);
    int r = 0;
    for (size_t i = 1; i < n && r == 0; i++)
        if (config_address_compare(&v[i - 1]->address, &v[i]->address) == 0) {
            char buf[INET6_ADDRSTRLEN];
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)(v[i] - c->users));
            r = config_fail(p, config_member(e, "address"), "user '%s': fixed address %s is already user '%s''s "
                            "(line %u)", v[i]->name, config_address_to_string(&v[i]->address, buf, sizeof(buf)),
                            v[i - 1]->name, v[i - 1]->line);
        }
    free(v);
    return r;
}

int config_parse_users(struct config_parser *p, const config_setting_t *s)
{
    struct vpnd_config *c = p->config;
    if (!s)
        return 0;
    if (!config_setting_is_list(s))
        return config_fail(p, s, "'users' must be a list ( { name = \"...\"; ... }, ... )");
    int n = config_setting_length(s);
    if (n > USERS_MAX)
        return config_fail(p, s, "'users' has more than %d entries", USERS_MAX);
    if (n == 0)
        return 0;
    c->users = calloc((size_t)n, sizeof(*c->users));
    if (!c->users)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    int r = hashmap_new(&c->users_by_name);
    if (r < 0)
        return config_fail_errno(p, s, -r, "cannot create the user table");

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        struct config_user *u = &c->users[i];
        if (!config_setting_is_group(e))
            return config_fail(p, s, "users: each entry must be a group { ... }");
        c->n_users++;
        r = parse_user(p, e, u);
        if (r < 0)
            return r;
        const struct config_user *dup = config_user_find(c, u->name);
        if (dup)
            return config_fail(p, config_member(e, "name"), "user '%s' is already defined at line %u",
                               u->name, dup->line);
        r = hashmap_put_str(c->users_by_name, u->name, u);
        if (r < 0)
            return config_fail_errno(p, e, -r, "out of memory");
    }
    return check_fixed_addresses(p, s);
}

void config_user_done(struct config_user *u)
{
    free(u->name);
    config_secret_wipe(&u->password);
    OPENSSL_cleanse(u->nt_hash, sizeof(u->nt_hash));
    if (u->password_hash) {
        /* Not the password, but still worth not leaving to an attacker. */
        OPENSSL_cleanse(u->password_hash, strlen(u->password_hash));
        free(u->password_hash);
    }
}

int config_user_verify_password(const struct config_user *u, const char *password)
{
    if (!u || !password)
        return -EINVAL;
    if (!u->password_hash) {
        /* A cleartext password: compare in constant time for equal lengths. */
        size_t len = strlen(password);
        if (u->password.len == 0)
            return 0;       /* an nt-hash alone: for EAP-MSCHAPv2 only, no password matches */
        return len == u->password.len && CRYPTO_memcmp(password, u->password.data, len) == 0;
    }
    /* struct crypt_data is ~32 KiB: too big for a daemon's stack. */
    struct crypt_data *data = calloc(1, sizeof(*data));
    if (!data)
        return -ENOMEM;
    int r = 0;
    const char *out = crypt_rn(password, u->password_hash, data, (int)sizeof(*data));
    size_t len = strlen(u->password_hash);
    if (!out)
        r = errno == ENOMEM ? -ENOMEM : -EINVAL;
    else if (strlen(out) == len && CRYPTO_memcmp(out, u->password_hash, len) == 0)
        r = 1;
    OPENSSL_cleanse(data, sizeof(*data));
    free(data);
    return r;
}
