/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hashmap.h"

struct session_registry {
    struct hashmap *by_index;       /* uint32_t index -> session */
    struct hashmap *by_address;     /* family + address bytes -> session */
    struct hashmap *by_user;        /* "tunnel group\0user" -> first session (chained by next_of_user) */
    uint32_t next_index;
};

/* The address as a hash key: family and the address bytes only. */
struct address_key {
    uint8_t family;
    uint8_t bytes[16];
};

static struct address_key address_key(const struct config_address *a)
{
    struct address_key k = { .family = (uint8_t)a->family };
    if (a->family == AF_INET)
        memcpy(k.bytes, &a->in, 4);
    else
        memcpy(k.bytes, &a->in6, 16);
    return k;
}

int session_registry_new(struct session_registry **ret)
{
    struct session_registry *reg = calloc(1, sizeof(*reg));
    if (!reg)
        return -ENOMEM;
    int r = hashmap_new(&reg->by_index);
    if (r >= 0)
        r = hashmap_new(&reg->by_address);
    if (r >= 0)
        r = hashmap_new(&reg->by_user);
    if (r < 0) {
        session_registry_free(reg);
        return r;
    }
    reg->next_index = 1;
    *ret = reg;
    return 0;
}

void session_registry_free(struct session_registry *reg)
{
    if (!reg)
        return;
    if (reg->by_index) {
        struct hashmap_iter it = HASHMAP_ITER_INIT;
        void *value;
        const void *key;
        size_t len;
        while (hashmap_iterate(reg->by_index, &it, &key, &len, &value)) {
            hashmap_remove(reg->by_index, key, len);
            free(value);
        }
    }
    hashmap_free(reg->by_index);
    hashmap_free(reg->by_address);
    hashmap_free(reg->by_user);
    free(reg);
}

/* The by_user key: tunnel group, NUL, user. */
static size_t user_key(const char *tunnel_group, const char *user, char *key, size_t size)
{
    size_t g = strnlen(tunnel_group, SESSION_NAME_MAX), u = strnlen(user, SESSION_NAME_MAX);
    if (g + 1 + u > size)
        return 0;
    memcpy(key, tunnel_group, g);
    key[g] = '\0';
    memcpy(key + g + 1, user, u);
    return g + 1 + u;
}

int session_add(struct session_registry *reg, const struct session *tmpl, struct session **ret)
{
    struct address_key ak = address_key(&tmpl->address);
    if (hashmap_get(reg->by_address, &ak, sizeof(ak)))
        return -EEXIST;
    struct session *s = malloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    *s = *tmpl;
    s->index = reg->next_index;
    int r = hashmap_put(reg->by_index, &s->index, sizeof(s->index), s);
    if (r < 0) {
        free(s);
        return r;
    }
    r = hashmap_put(reg->by_address, &ak, sizeof(ak), s);
    if (r < 0) {
        hashmap_remove(reg->by_index, &s->index, sizeof(s->index));
        free(s);
        return r;
    }
    char key[2 * SESSION_NAME_MAX + 1];
    size_t key_len = user_key(s->tunnel_group, s->user, key, sizeof(key));
    s->next_of_user = hashmap_get(reg->by_user, key, key_len);
    r = hashmap_replace(reg->by_user, key, key_len, s, NULL);
    if (r < 0) {
        hashmap_remove(reg->by_address, &ak, sizeof(ak));
        hashmap_remove(reg->by_index, &s->index, sizeof(s->index));
        free(s);
        return r;
    }
    reg->next_index++;
    if (reg->next_index == 0)
        reg->next_index = 1;
    *ret = s;
    return 0;
}

void session_remove(struct session_registry *reg, struct session *s)
{
    if (!s)
        return;
    struct address_key ak = address_key(&s->address);
    if (hashmap_get(reg->by_address, &ak, sizeof(ak)) == s)
        hashmap_remove(reg->by_address, &ak, sizeof(ak));
    char key[2 * SESSION_NAME_MAX + 1];
    size_t key_len = user_key(s->tunnel_group, s->user, key, sizeof(key));
    struct session *first = hashmap_get(reg->by_user, key, key_len);
    if (first == s) {
        if (s->next_of_user)
            (void)hashmap_replace(reg->by_user, key, key_len, s->next_of_user, NULL);
        else
            hashmap_remove(reg->by_user, key, key_len);
    } else
        for (struct session *p = first; p; p = p->next_of_user)
            if (p->next_of_user == s) {
                p->next_of_user = s->next_of_user;
                break;
            }
    hashmap_remove(reg->by_index, &s->index, sizeof(s->index));
    free(s);
}

struct session *session_find_by_index(struct session_registry *reg, uint32_t index)
{
    return hashmap_get(reg->by_index, &index, sizeof(index));
}

struct session *session_find_by_address(struct session_registry *reg, const struct config_address *addr)
{
    struct address_key ak = address_key(addr);
    return hashmap_get(reg->by_address, &ak, sizeof(ak));
}

size_t session_find_by_user(struct session_registry *reg, const char *tunnel_group, const char *user,
                            struct session **out, size_t max)
{
    char key[2 * SESSION_NAME_MAX + 1];
    size_t key_len = user_key(tunnel_group, user, key, sizeof(key)), n = 0;
    for (struct session *s = hashmap_get(reg->by_user, key, key_len); s; s = s->next_of_user) {
        if (n < max)
            out[n] = s;
        n++;
    }
    return n;
}

size_t session_count(const struct session_registry *reg)
{
    return hashmap_size(reg->by_index);
}

static int compare_index(const void *a, const void *b)
{
    const struct session *x = *(struct session *const *)a, *y = *(struct session *const *)b;
    return x->index < y->index ? -1 : x->index > y->index;
}

int session_foreach(struct session_registry *reg, int (*fn)(struct session *s, void *userdata), void *userdata)
{
    size_t n = hashmap_size(reg->by_index), i = 0;
    if (n == 0)
        return 0;
    struct session **list = calloc(n, sizeof(*list));
    if (!list)
        return -ENOMEM;
    struct hashmap_iter it = HASHMAP_ITER_INIT;
    void *value;
    while (i < n && hashmap_iterate(reg->by_index, &it, NULL, NULL, &value))
        list[i++] = value;
    qsort(list, i, sizeof(*list), compare_index);
    int r = 0;
    for (size_t k = 0; k < i && r >= 0; k++)
        r = fn(list[k], userdata);
    free(list);
    return r < 0 ? r : 0;
}
