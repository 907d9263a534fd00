/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "clock.h"
#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hashmap.h"
#include "log.h"

struct session_registry {
    struct hashmap *by_index;       /* uint32_t index -> session */
    struct hashmap *by_address;     /* family + address bytes -> session (both addresses of dual stack) */
    struct hashmap *by_user;        /* user name -> struct user_sessions */
    struct hashmap *by_reqid;       /* uint32_t reqid -> session */
    uint32_t next_index;
    uint64_t id_prefix;             /* Acct-Session-Id prefix: creation time, usec since the epoch */
    const struct session_observer *observer;
    void *observer_data;
};

/* One user's sessions: a list through session.user_prev/user_next. */
struct user_sessions {
    struct session *oldest, *newest;
    size_t n;
};

static int user_index_add(struct session_registry *reg, struct session *s);
static void user_index_remove(struct session_registry *reg, struct session *s);

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
    if (r >= 0)
        r = hashmap_new(&reg->by_reqid);
    if (r < 0) {
        session_registry_free(reg);
        return r;
    }
    reg->next_index = 1;
    /* The clock at start, to the microsecond: with the index after it, an
     * Acct-Session-Id never repeats across restarts (unless the clock goes back). */
    reg->id_prefix = clock_usec(CLOCK_REALTIME);
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
    if (reg->by_user) {
        struct hashmap_iter it = HASHMAP_ITER_INIT;
        void *value;
        const void *key;
        size_t len;
        while (hashmap_iterate(reg->by_user, &it, &key, &len, &value)) {
            hashmap_remove(reg->by_user, key, len);
            free(value);
        }
    }
    hashmap_free(reg->by_index);
    hashmap_free(reg->by_address);
    hashmap_free(reg->by_user);
    hashmap_free(reg->by_reqid);
    free(reg);
}

/* One allocation: the session, then its strings and RADIUS Class, each
 * to its length. */
static struct session *session_alloc(const struct session *tmpl)
{
    const char *user = tmpl->user ? tmpl->user : "", *group = tmpl->tunnel_group ? tmpl->tunnel_group : "";
    const char *policy = tmpl->group_policy ? tmpl->group_policy : "";
    const char *encryption = tmpl->encryption ? tmpl->encryption : "";
    size_t user_len = strlen(user) + 1, group_len = strlen(group) + 1, policy_len = strlen(policy) + 1;
    size_t encryption_len = strlen(encryption) + 1, class_len = tmpl->radius_class ? tmpl->radius_class_len : 0;
    struct session *s = malloc(sizeof(*s) + user_len + group_len + policy_len + encryption_len + class_len);
    if (!s)
        return NULL;
    *s = *tmpl;
    char *p = (char *)(s + 1);
    s->user = memcpy(p, user, user_len);
    p += user_len;
    s->tunnel_group = memcpy(p, group, group_len);
    p += group_len;
    s->group_policy = memcpy(p, policy, policy_len);
    p += policy_len;
    s->encryption = memcpy(p, encryption, encryption_len);
    p += encryption_len;
    s->radius_class_len = class_len;
    s->radius_class = class_len ? memcpy(p, tmpl->radius_class, class_len) : NULL;
    return s;
}

int session_add(struct session_registry *reg, const struct session *tmpl, struct session **ret)
{
    struct address_key ak = address_key(&tmpl->address);
    if (hashmap_get(reg->by_address, &ak, sizeof(ak)))
        return -EEXIST;
    bool has6 = tmpl->has_address6;
    struct address_key ak6 = has6 ? address_key(&tmpl->address6) : ak;
    if (has6 && (memcmp(&ak6, &ak, sizeof(ak)) == 0 || hashmap_get(reg->by_address, &ak6, sizeof(ak6))))
        return -EEXIST;
    struct session *s = session_alloc(tmpl);
    if (!s)
        return -ENOMEM;
    s->index = reg->next_index;
    s->accounting = NULL;
    snprintf(s->acct_session_id, sizeof(s->acct_session_id), "%013" PRIx64 "-%08" PRIx32, reg->id_prefix, s->index);
    int r = hashmap_put(reg->by_index, &s->index, sizeof(s->index), s);
    if (r < 0) {
        free(s);
        return r;
    }
    r = hashmap_put(reg->by_address, &ak, sizeof(ak), s);
    if (r >= 0 && has6) {
        r = hashmap_put(reg->by_address, &ak6, sizeof(ak6), s);
        if (r < 0)
            hashmap_remove(reg->by_address, &ak, sizeof(ak));
    }
    if (r >= 0 && s->reqid) {
        r = hashmap_put(reg->by_reqid, &s->reqid, sizeof(s->reqid), s);
        if (r < 0) {
            hashmap_remove(reg->by_address, &ak, sizeof(ak));
            if (has6)
                hashmap_remove(reg->by_address, &ak6, sizeof(ak6));
        }
    }
    if (r >= 0) {
        r = user_index_add(reg, s);
        if (r < 0) {
            hashmap_remove(reg->by_address, &ak, sizeof(ak));
            if (s->reqid)
                hashmap_remove(reg->by_reqid, &s->reqid, sizeof(s->reqid));
            if (has6)
                hashmap_remove(reg->by_address, &ak6, sizeof(ak6));
        }
    }
    if (r < 0) {
        hashmap_remove(reg->by_index, &s->index, sizeof(s->index));
        free(s);
        return r;
    }
    reg->next_index++;
    if (reg->next_index == 0)
        reg->next_index = 1;
    *ret = s;
    if (reg->observer && reg->observer->up)
        reg->observer->up(s, reg->observer_data);
    return 0;
}

void session_remove(struct session_registry *reg, struct session *s)
{
    if (!s)
        return;
    if (reg->observer && reg->observer->down)
        reg->observer->down(s, reg->observer_data);
    struct address_key ak = address_key(&s->address);
    if (hashmap_get(reg->by_address, &ak, sizeof(ak)) == s)
        hashmap_remove(reg->by_address, &ak, sizeof(ak));
    if (s->has_address6) {
        struct address_key ak6 = address_key(&s->address6);
        if (hashmap_get(reg->by_address, &ak6, sizeof(ak6)) == s)
            hashmap_remove(reg->by_address, &ak6, sizeof(ak6));
    }
    if (s->reqid && hashmap_get(reg->by_reqid, &s->reqid, sizeof(s->reqid)) == s)
        hashmap_remove(reg->by_reqid, &s->reqid, sizeof(s->reqid));
    while (s->n_more_reqids > 0)
        session_remove_reqid(reg, s, s->more_reqids[s->n_more_reqids - 1]);
    user_index_remove(reg, s);
    hashmap_remove(reg->by_index, &s->index, sizeof(s->index));
    free(s);
}

void session_registry_set_observer(struct session_registry *reg, const struct session_observer *observer,
                                   void *userdata)
{
    reg->observer = observer;
    reg->observer_data = userdata;
}

void session_set_end_cause(struct session *s, enum session_end_cause cause)
{
    if (s && s->end_cause == SESSION_END_UNSET)
        s->end_cause = cause;
}

void session_retire_counters(struct session_registry *reg, uint32_t reqid, const struct session_counters *final)
{
    struct session *s = reqid ? session_find_by_reqid(reg, reqid) : NULL;
    if (!s)
        return;
    s->retired.bytes_in += final->bytes_in;
    s->retired.bytes_out += final->bytes_out;
    s->retired.packets_in += final->packets_in;
    s->retired.packets_out += final->packets_out;
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

struct session *session_find_by_reqid(struct session_registry *reg, uint32_t reqid)
{
    return hashmap_get(reg->by_reqid, &reqid, sizeof(reqid));
}

int session_add_reqid(struct session_registry *reg, struct session *s, uint32_t reqid)
{
    if (!reqid || reqid == s->reqid)
        return 0;
    for (size_t i = 0; i < s->n_more_reqids; i++)
        if (s->more_reqids[i] == reqid)
            return 0;
    if (s->n_more_reqids >= SESSION_MORE_REQIDS_MAX)
        return -ENOSPC;
    int r = hashmap_put(reg->by_reqid, &reqid, sizeof(reqid), s);
    if (r < 0)
        return r;
    s->more_reqids[s->n_more_reqids++] = reqid;
    return 0;
}

void session_remove_reqid(struct session_registry *reg, struct session *s, uint32_t reqid)
{
    for (size_t i = 0; i < s->n_more_reqids; i++) {
        if (s->more_reqids[i] != reqid)
            continue;
        if (hashmap_get(reg->by_reqid, &reqid, sizeof(reqid)) == s)
            hashmap_remove(reg->by_reqid, &reqid, sizeof(reqid));
        s->more_reqids[i] = s->more_reqids[--s->n_more_reqids];
        return;
    }
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

/* ---- by user ------------------------------------------------------------------- */

static int user_index_add(struct session_registry *reg, struct session *s)
{
    struct user_sessions *u = hashmap_get_str(reg->by_user, s->user);
    if (!u) {
        u = calloc(1, sizeof(*u));
        if (!u)
            return -ENOMEM;
        int r = hashmap_put_str(reg->by_user, s->user, u);
        if (r < 0) {
            free(u);
            return r;
        }
    }
    s->user_prev = u->newest;
    s->user_next = NULL;
    if (u->newest)
        u->newest->user_next = s;
    else
        u->oldest = s;
    u->newest = s;
    u->n++;
    return 0;
}

static void user_index_remove(struct session_registry *reg, struct session *s)
{
    struct user_sessions *u = hashmap_get_str(reg->by_user, s->user);
    if (!u)
        return;
    if (s->user_prev)
        s->user_prev->user_next = s->user_next;
    else if (u->oldest == s)
        u->oldest = s->user_next;
    else
        return;     /* not in this list */
    if (s->user_next)
        s->user_next->user_prev = s->user_prev;
    else
        u->newest = s->user_prev;
    s->user_prev = s->user_next = NULL;
    if (--u->n == 0) {
        hashmap_remove_str(reg->by_user, s->user);
        free(u);
    }
}

struct session *session_find_by_user(struct session_registry *reg, const char *user)
{
    struct user_sessions *u = hashmap_get_str(reg->by_user, user);
    return u ? u->oldest : NULL;
}

size_t session_count_by_user(struct session_registry *reg, const char *user)
{
    struct user_sessions *u = hashmap_get_str(reg->by_user, user);
    return u ? u->n : 0;
}

int session_foreach_user(struct session_registry *reg, const char *user,
                         int (*fn)(struct session *s, void *userdata), void *userdata)
{
    struct user_sessions *u = hashmap_get_str(reg->by_user, user);
    if (!u)
        return 0;
    /* By index, not by pointer: fn may end sessions, even the next one. */
    size_t n = u->n, i = 0;
    uint32_t *indexes = calloc(n, sizeof(*indexes));
    if (!indexes)
        return -ENOMEM;
    for (struct session *s = u->oldest; s && i < n; s = s->user_next)
        indexes[i++] = s->index;
    int r = 0;
    for (size_t k = 0; k < i && r >= 0; k++) {
        struct session *s = session_find_by_index(reg, indexes[k]);
        if (s)
            r = fn(s, userdata);
    }
    free(indexes);
    return r < 0 ? r : 0;
}

size_t session_enforce_login_limit(struct session_registry *reg, struct session *newest, uint32_t limit)
{
    char user[SESSION_NAME_MAX];
    uint32_t keep_index = newest->index;
    size_t ended = 0;

    snprintf(user, sizeof(user), "%s", newest->user);
    for (;;) {
        size_t n = session_count_by_user(reg, user);
        if (n <= limit || n <= 1)
            break;
        struct session *oldest = session_find_by_user(reg, user);
        if (oldest && oldest->index == keep_index)
            oldest = oldest->user_next;
        if (!oldest || !oldest->ops || !oldest->ops->terminate)
            break;
        char peer[IKE_SOCKADDR_STRING_MAX];
        struct log_ctx ctx = { .peer = ike_sockaddr_to_string(&oldest->remote, peer, sizeof(peer)), .user = user,
                               .tunnel_group = oldest->tunnel_group };
        log_notice_ctx(&ctx, CONFIG_SUBSYS_IKE, "user %s has %zu sessions, simultaneous-logins is %u%s%s: "
                       "logging off session %u (the oldest), keeping the new session %u", user, n, limit,
                       newest->group_policy[0] ? " in group policy " : "", newest->group_policy,
                       oldest->index, keep_index);
        uint32_t gone = oldest->index;
        session_set_end_cause(oldest, SESSION_END_PORT_PREEMPTED);
        oldest->ops->terminate(oldest, "simultaneous-logins limit");
        if (session_find_by_index(reg, gone))
            break;      /* the protocol could not end it: do not loop forever */
        ended++;
    }
    return ended;
}
