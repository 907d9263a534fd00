/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The detailed views (ASA `show vpn-sessiondb detail`, `show crypto ikev2
 * sa detail`, `show crypto ipsec sa`):
 *
 *   session   one session (by index, address) or a user's sessions: what
 *             `sessions` lists, its IKE SA and its CHILD SAs with the
 *             kernel's counters
 *   sas       the IKE SAs of all sessions
 *   ipsec     the CHILD (IPsec) SAs of all sessions, with the kernel's counters
 *
 * The protocol describes its SAs (session_ops.describe); the kernel numbers
 * are read at the time of the request, so they agree with `ip -s xfrm
 * state` taken at the same moment: for `sas` and `ipsec` from one dump of
 * all SAs (xfrm-snapshot.h), for `session`'s few SAs one netlink get each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control-json.h"
#include "control-list.h"
#include "ike.h"
#include "session.h"
#include "vpnd.h"
#include "xfrm-snapshot.h"

/* session: the summary with "ike_sa" and "child_sas" added. */
static json_object *session_detail(struct ike *ike, const struct xfrm_snapshot *snap, struct session *s, int *error)
{
    json_object *o = control_session_summary(ike, s, snap);
    *error = 0;
    if (!o) {
        *error = -ENOMEM;
        return NULL;
    }
    if (s->ops && s->ops->describe) {
        int r = s->ops->describe(s, snap, o);
        if (r < 0) {
            json_object_put(o);
            *error = r;
            return NULL;
        }
    }
    return o;
}

struct detail_walk {
    struct ike *ike;
    const struct xfrm_snapshot *snap;
    json_object *list;
};

static int add_detail(struct session *s, void *userdata)
{
    struct detail_walk *w = userdata;
    int r;
    json_object *o = session_detail(w->ike, w->snap, s, &r);
    if (!o)
        return r;
    json_object_array_add(w->list, o);
    return 0;
}

int control_cmd_session(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                        struct control_error *error)
{
    static const char *const allowed[] = { "index", "user", "address", NULL };
    struct session_registry *reg = vpnd->ike ? ike_sessions(vpnd->ike) : NULL;
    json_object *index_arg = NULL, *user_arg = NULL, *address_arg = NULL;
    int r = control_check_args(req, allowed, error);
    if (r < 0)
        return r;
    json_object_object_get_ex(req->args, "index", &index_arg);
    json_object_object_get_ex(req->args, "user", &user_arg);
    json_object_object_get_ex(req->args, "address", &address_arg);
    if (!!index_arg + !!user_arg + !!address_arg != 1) {
        snprintf(error->message, sizeof(error->message), "session needs exactly one of 'index', 'user', 'address'");
        return -EINVAL;
    }

    json_object *o, *list;
    r = control_new_result_list("sessions", &o, &list);
    if (r < 0)
        return r;
    /* A few sessions: a get per SA costs less than a dump of them all. */
    struct detail_walk w = { .ike = vpnd->ike, .snap = NULL, .list = list };
    struct session *s = NULL;
    if (index_arg) {
        int64_t idx = json_object_get_int64(index_arg);
        if (!json_object_is_type(index_arg, json_type_int) || idx < 1 || idx > UINT32_MAX) {
            snprintf(error->message, sizeof(error->message), "session: 'index' must be a session index");
            r = -EINVAL;
            goto fail;
        }
        s = reg ? session_find_by_index(reg, (uint32_t)idx) : NULL;
    } else if (address_arg) {
        struct config_address a = { 0 };
        const char *text = json_object_is_type(address_arg, json_type_string) ? json_object_get_string(address_arg) : "";
        if (inet_pton(AF_INET, text, &a.in) == 1)
            a.family = AF_INET;
        else if (inet_pton(AF_INET6, text, &a.in6) == 1)
            a.family = AF_INET6;
        else {
            snprintf(error->message, sizeof(error->message), "session: 'address' must be an IPv4 or IPv6 address");
            r = -EINVAL;
            goto fail;
        }
        s = reg ? session_find_by_address(reg, &a) : NULL;
    } else {
        if (!json_object_is_type(user_arg, json_type_string) || json_object_get_string_len(user_arg) == 0 ||
            json_object_get_string_len(user_arg) >= SESSION_NAME_MAX) {
            snprintf(error->message, sizeof(error->message), "session: 'user' must be a non-empty string");
            r = -EINVAL;
            goto fail;
        }
        /* All of the user's sessions, oldest first, by hash. */
        r = reg ? session_foreach_user(reg, json_object_get_string(user_arg), add_detail, &w) : 0;
        if (r < 0)
            goto fail;
    }
    if (s && (r = add_detail(s, &w)) < 0)
        goto fail;
    if (json_object_array_length(list) == 0) {
        snprintf(error->message, sizeof(error->message), "no such session");
        r = -ENOENT;
        goto fail;
    }
    control_add_uint(o, "count", json_object_array_length(list));
    *result = o;
    return 0;
fail:
    json_object_put(o);
    return r;
}

/* sas and ipsec: one entry per IKE SA / CHILD SA of every session, each
 * naming its session. */
struct sa_walk {
    const struct xfrm_snapshot *snap;
    struct control_list list;   /* each SA as text at once (control-list.h) */
    bool child;
};

static void name_session(json_object *e, const struct session *s)
{
    control_add_uint(e, "session", s->index);
    control_add_string(e, "user", s->user);
    control_add_string(e, "tunnel_group", s->tunnel_group);
}

static int add_sas(struct session *s, void *userdata)
{
    struct sa_walk *w = userdata;
    if (!s->ops || !s->ops->describe)
        return 0;
    json_object *d = json_object_new_object();
    if (!d)
        return -ENOMEM;
    int r = s->ops->describe(s, w->snap, d);
    if (r < 0) {
        json_object_put(d);
        return r;
    }
    json_object *v = NULL;
    if (!w->child) {
        if (json_object_object_get_ex(d, "ike_sa", &v) && v) {
            name_session(v, s);
            r = control_list_append(&w->list, v);
        }
    } else if (json_object_object_get_ex(d, "child_sas", &v) && json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; r >= 0 && i < json_object_array_length(v); i++) {
            json_object *c = json_object_array_get_idx(v, i);
            name_session(c, s);
            r = control_list_append(&w->list, c);
        }
    }
    json_object_put(d);
    return r;
}

int control_sa_list(struct session_registry *reg, const struct xfrm_snapshot *snap, bool child,
                    json_object **result)
{
    struct sa_walk w = { .snap = snap, .child = child };
    int r = reg ? session_foreach(reg, add_sas, &w) : 0;
    json_object *o = r < 0 ? NULL : json_object_new_object();
    if (!o) {
        control_list_done(&w.list);
        return r < 0 ? r : -ENOMEM;
    }
    size_t count = w.list.count;
    json_object *list = control_list_finish(&w.list);
    if (!list) {
        json_object_put(o);
        return -ENOMEM;
    }
    control_add(o, child ? "ipsec_sas" : "ike_sas", list);
    control_add_uint(o, "count", count);
    *result = o;
    return 0;
}

static int list_sas(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                    struct control_error *error, bool child)
{
    if (json_object_object_length(req->args) != 0) {
        snprintf(error->message, sizeof(error->message), "%s takes no arguments", child ? "ipsec" : "sas");
        return -EINVAL;
    }
    if (!vpnd->ike)
        return control_sa_list(NULL, NULL, child, result);
    /* The CHILD SAs' counters from one dump of the kernel's SAs. */
    struct xfrm_snapshot *snap = ike_kernel_snapshot(vpnd->ike);
    int r = control_sa_list(ike_sessions(vpnd->ike), snap, child, result);
    xfrm_snapshot_free(snap);
    return r;
}

int control_cmd_sas(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                    struct control_error *error)
{
    return list_sas(vpnd, req, result, error, false);
}

int control_cmd_ipsec(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                      struct control_error *error)
{
    return list_sas(vpnd, req, result, error, true);
}
