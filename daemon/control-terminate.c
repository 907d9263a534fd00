/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `terminate`: ends sessions as an operator asks (ASA `vpn-sessiondb
 * logoff`): by index, by user, by assigned address, or all of them. The
 * protocol tells each client (DELETE), removes its SAs and releases its
 * address; the log says who asked ("terminated by operator (uid 0)").
 *
 * Ending a session frees it, so the matching sessions' indexes are
 * collected first and each is looked up again before it is ended.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control-json.h"
#include "ike.h"
#include "log.h"
#include "session.h"
#include "vpnd.h"

struct match {
    const char *user;           /* NULL: any */
    uint32_t *indexes;
    size_t n, size;
};

static int collect(struct session *s, void *userdata)
{
    struct match *m = userdata;
    if (m->user && strcmp(m->user, s->user) != 0)
        return 0;
    if (m->n == m->size) {
        size_t size = m->size ? m->size * 2 : 16;
        uint32_t *p = realloc(m->indexes, size * sizeof(*p));
        if (!p)
            return -ENOMEM;
        m->indexes = p;
        m->size = size;
    }
    m->indexes[m->n++] = s->index;
    return 0;
}

static int string_arg(const struct control_request *req, const char *key, const char **ret,
                      struct control_error *error)
{
    json_object *v;
    *ret = NULL;
    if (!json_object_object_get_ex(req->args, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
        json_object_get_string_len(v) >= SESSION_NAME_MAX) {
        snprintf(error->message, sizeof(error->message), "terminate: '%s' must be a non-empty string", key);
        return -EINVAL;
    }
    *ret = json_object_get_string(v);
    return 1;
}

int control_cmd_terminate(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                          struct control_error *error)
{
    static const char *const allowed[] = { "index", "user", "address", "all", NULL };
    struct session_registry *reg = vpnd->ike ? ike_sessions(vpnd->ike) : NULL;
    struct match m = { 0 };
    const char *user = NULL, *address = NULL;
    json_object *index_arg = NULL, *all_arg = NULL;
    int given = 0, r;

    r = control_check_args(req, allowed, error);
    if (r < 0)
        return r;
    if (json_object_object_get_ex(req->args, "index", &index_arg))
        given++;
    if (json_object_object_get_ex(req->args, "all", &all_arg))
        given++;
    if ((r = string_arg(req, "user", &user, error)) < 0)
        return r;
    given += r;
    if ((r = string_arg(req, "address", &address, error)) < 0)
        return r;
    given += r;
    if (given != 1) {
        snprintf(error->message, sizeof(error->message),
                 "terminate needs exactly one of 'index', 'user', 'address', 'all'");
        return -EINVAL;
    }

    if (index_arg) {
        int64_t idx = json_object_get_int64(index_arg);
        if (!json_object_is_type(index_arg, json_type_int) || idx < 1 || idx > UINT32_MAX) {
            snprintf(error->message, sizeof(error->message), "terminate: 'index' must be a session index");
            return -EINVAL;
        }
        if (reg && session_find_by_index(reg, (uint32_t)idx))
            r = collect(session_find_by_index(reg, (uint32_t)idx), &m);
    } else if (address) {
        struct config_address a = { 0 };
        if (inet_pton(AF_INET, address, &a.in) == 1)
            a.family = AF_INET;
        else if (inet_pton(AF_INET6, address, &a.in6) == 1)
            a.family = AF_INET6;
        else {
            snprintf(error->message, sizeof(error->message), "terminate: '%.64s' is not an address", address);
            return -EINVAL;
        }
        struct session *s = reg ? session_find_by_address(reg, &a) : NULL;
        if (s)
            r = collect(s, &m);
    } else if (all_arg) {
        if (!json_object_is_type(all_arg, json_type_boolean) || !json_object_get_boolean(all_arg)) {
            snprintf(error->message, sizeof(error->message), "terminate: 'all' must be true");
            return -EINVAL;
        }
        r = reg ? session_foreach(reg, collect, &m) : 0;
    } else {
        /* The user's sessions by hash, oldest first (no walk over all). */
        m.user = user;
        r = reg ? session_foreach_user(reg, user, collect, &m) : 0;
    }
    if (r < 0) {
        free(m.indexes);
        return r;
    }
    if (m.n == 0 && !all_arg) {
        free(m.indexes);
        snprintf(error->message, sizeof(error->message), "no such session");
        return -ENOENT;
    }

    char reason[96];
    snprintf(reason, sizeof(reason), "terminated by operator (uid %u)", (unsigned)req->client->uid);
    json_object *o = json_object_new_object();
    json_object *ended = json_object_new_array();
    if (!o || !ended) {
        json_object_put(o);
        json_object_put(ended);
        free(m.indexes);
        return -ENOMEM;
    }
    for (size_t i = 0; i < m.n; i++) {
        struct session *s = session_find_by_index(reg, m.indexes[i]);
        if (!s || !s->ops || !s->ops->terminate)
            continue;
        json_object *e = json_object_new_object();
        if (e) {
            control_add_uint(e, "index", s->index);
            control_add_string(e, "user", s->user);
            control_add_address(e, "address", &s->address);
            json_object_array_add(ended, e);
        }
        session_set_end_cause(s, SESSION_END_ADMIN_RESET);
        s->ops->terminate(s, reason);
    }
    free(m.indexes);
    control_add_uint(o, "terminated", json_object_array_length(ended));
    json_object_object_add(o, "sessions", ended);
    *result = o;
    return 0;
}
