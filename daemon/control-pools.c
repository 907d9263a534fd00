/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `pools`: every configured address pool with its size, how much is used
 * and who holds each lease (ASA `show ip local pool`). A pool no client has
 * used yet exists only in the configuration: it is listed as empty.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control-json.h"
#include "ike.h"
#include "pool.h"
#include "vpnd.h"

static json_object *pool_json(struct vpnd *vpnd, const struct config_pool *cp)
{
    json_object *o = json_object_new_object();
    json_object *leases = json_object_new_array();
    if (!o || !leases) {
        json_object_put(o);
        json_object_put(leases);
        return NULL;
    }
    control_add_string(o, "name", cp->name);
    control_add_string(o, "family", cp->family == AF_INET ? "ipv4" : "ipv6");
    control_add_address(o, "first", &cp->first);
    control_add_address(o, "last", &cp->last);
    control_add_uint(o, "prefix_length", cp->prefix_len);

    struct pool *pool = vpnd->ike ? ike_pool_find(vpnd->ike, cp->name) : NULL;
    if (pool) {
        struct pool_stats st = pool_stats(pool);
        /* 2^64 and more (an IPv6 /64) does not fit: null means "huge". */
        if (st.size == UINT64_MAX)
            json_object_object_add(o, "size", NULL);
        else
            control_add_uint(o, "size", st.size);
        control_add_uint(o, "used", st.in_use);
        if (st.free == UINT64_MAX)
            json_object_object_add(o, "free", NULL);
        else
            control_add_uint(o, "free", st.free);

        struct pool_iter it = POOL_ITER_INIT;
        struct config_address a;
        const char *owner;
        while (pool_iterate(pool, &it, &a, &owner)) {
            json_object *l = json_object_new_object();
            if (!l)
                break;
            control_add_address(l, "address", &a);
            control_add_string(l, "owner", owner);
            json_object_array_add(leases, l);
        }
    } else {
        struct pool *scratch;
        /* Never used: its size is what a fresh pool would have. */
        if (pool_new(cp, &scratch) >= 0) {
            struct pool_stats st = pool_stats(scratch);
            if (st.size == UINT64_MAX) {
                json_object_object_add(o, "size", NULL);
                json_object_object_add(o, "free", NULL);
            } else {
                control_add_uint(o, "size", st.size);
                control_add_uint(o, "free", st.free);
            }
            pool_free(scratch);
        }
        control_add_uint(o, "used", 0);
    }
    json_object_object_add(o, "leases", leases);
    return o;
}

int control_cmd_pools(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                      struct control_error *error)
{
    static const char *const allowed[] = { "name", NULL };
    int r = control_check_args(req, allowed, error);
    if (r < 0)
        return r;
    json_object *name_arg = NULL;
    const char *name = NULL;
    if (json_object_object_get_ex(req->args, "name", &name_arg)) {
        if (!json_object_is_type(name_arg, json_type_string)) {
            snprintf(error->message, sizeof(error->message), "pools: 'name' must be a string");
            return -EINVAL;
        }
        name = json_object_get_string(name_arg);
        if (!config_pool_find(vpnd->config, name)) {
            snprintf(error->message, sizeof(error->message), "no pool '%.128s'", name);
            return -ENOENT;
        }
    }

    json_object *o, *list;
    r = control_new_result_list("pools", &o, &list);
    if (r < 0)
        return r;
    for (size_t i = 0; i < vpnd->config->n_pools; i++) {
        const struct config_pool *cp = &vpnd->config->pools[i];
        if (name && strcmp(name, cp->name) != 0)
            continue;
        json_object *p = pool_json(vpnd, cp);
        if (!p) {
            json_object_put(o);     /* and the list in it */
            return -ENOMEM;
        }
        json_object_array_add(list, p);
    }
    *result = o;
    return 0;
}
