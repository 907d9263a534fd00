/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `log`: the daemon's recent log lines (log-ring.h), and with "follow" the
 * new ones as they come (`vpnctl log --follow`), filtered by peer, user,
 * session, tunnel group and priority. Lines carry the same structured
 * fields as in the journal, so a script can follow one user's session
 * without parsing text.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "control-json.h"
#include "log-ring.h"
#include "vpnd.h"

#define DEFAULT_LINES 50

bool control_log_filter_matches(const struct control_log_filter *f, const struct log_ring_entry *e)
{
    if (e->priority > f->max_priority)
        return false;
    if (f->peer[0] && strncmp(e->peer, f->peer, strlen(f->peer)) != 0)
        return false;
    if (f->user[0] && strcmp(e->user, f->user) != 0)
        return false;
    if (f->session[0] && strcmp(e->session, f->session) != 0)
        return false;
    if (f->tunnel_group[0] && strcmp(e->tunnel_group, f->tunnel_group) != 0)
        return false;
    return true;
}

static void add_field(json_object *o, const char *key, const char *value)
{
    if (value[0])
        control_add_string(o, key, value);
}

json_object *control_log_entry_json(const struct log_ring_entry *e)
{
    char time[48];
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    /* Microseconds: lines of one exchange often share a second. */
    time_t t = (time_t)(e->realtime_usec / 1000000ULL);
    struct tm tm;
    if (gmtime_r(&t, &tm)) {
        size_t n = strftime(time, sizeof(time), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(time + n, sizeof(time) - n, ".%06uZ", (unsigned)(e->realtime_usec % 1000000ULL));
        control_add_string(o, "time", time);
    }
    control_add_uint(o, "seq", e->seq);
    control_add_string(o, "priority", config_log_level_name(e->priority));
    control_add_string(o, "subsystem", config_subsystem_name(e->subsys));
    add_field(o, "peer", e->peer);
    add_field(o, "tunnel_group", e->tunnel_group);
    add_field(o, "user", e->user);
    add_field(o, "session", e->session);
    control_add_string(o, "message", e->message);
    return o;
}

static int string_filter(const struct control_request *req, const char *key, char *dst, size_t size,
                         struct control_error *error)
{
    json_object *v;
    if (!json_object_object_get_ex(req->args, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_string) || (size_t)json_object_get_string_len(v) >= size) {
        snprintf(error->message, sizeof(error->message), "log: '%s' must be a string of at most %zu characters",
                 key, size - 1);
        return -EINVAL;
    }
    memcpy(dst, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
    return 0;
}

struct recent {
    const struct control_log_filter *filter;
    struct log_ring_entry *copies;          /* the newest `want` matching lines, as a ring */
    size_t want, n;
};

static void keep_recent(const struct log_ring_entry *e, void *userdata)
{
    struct recent *r = userdata;
    if (r->want == 0 || !control_log_filter_matches(r->filter, e))
        return;
    r->copies[r->n % r->want] = *e;
    r->n++;
}

int control_cmd_log(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                    struct control_error *error)
{
    static const char *const allowed[] = { "follow", "lines", "peer", "user", "session", "tunnel_group",
                                           "priority", NULL };
    struct control_log_filter filter = { .max_priority = LOG_DEBUG };
    json_object *v;
    bool follow = false;
    int64_t lines = DEFAULT_LINES;
    (void)vpnd;

    int r = control_check_args(req, allowed, error);
    if (r >= 0)
        r = string_filter(req, "peer", filter.peer, sizeof(filter.peer), error);
    if (r >= 0)
        r = string_filter(req, "user", filter.user, sizeof(filter.user), error);
    if (r >= 0)
        r = string_filter(req, "session", filter.session, sizeof(filter.session), error);
    if (r >= 0)
        r = string_filter(req, "tunnel_group", filter.tunnel_group, sizeof(filter.tunnel_group), error);
    if (r < 0)
        return r;
    if (json_object_object_get_ex(req->args, "follow", &v)) {
        if (!json_object_is_type(v, json_type_boolean)) {
            snprintf(error->message, sizeof(error->message), "log: 'follow' must be true or false");
            return -EINVAL;
        }
        follow = json_object_get_boolean(v);
    }
    if (json_object_object_get_ex(req->args, "lines", &v)) {
        lines = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || lines < 0 || lines > LOG_RING_SIZE) {
            snprintf(error->message, sizeof(error->message), "log: 'lines' must be between 0 and %d",
                     LOG_RING_SIZE);
            return -EINVAL;
        }
    }
    if (json_object_object_get_ex(req->args, "priority", &v)) {
        int prio = json_object_is_type(v, json_type_string) ? config_log_level_from_name(json_object_get_string(v))
                                                            : -EINVAL;
        if (prio < 0) {
            snprintf(error->message, sizeof(error->message),
                     "log: 'priority' must be err, warning, notice, info or debug");
            return -EINVAL;
        }
        filter.max_priority = prio;
    }
    if (follow && !req->client->conn) {
        snprintf(error->message, sizeof(error->message), "log: 'follow' needs a connection");
        return -EINVAL;
    }

    static struct log_ring_entry copies[LOG_RING_SIZE];
    struct recent rec = { .filter = &filter, .copies = copies, .want = (size_t)lines };
    (void)log_ring_read(0, keep_recent, &rec, NULL);

    json_object *o, *list;
    r = control_new_result_list("lines", &o, &list);
    if (r < 0)
        return r;
    size_t n = rec.n < rec.want ? rec.n : rec.want;
    for (size_t i = rec.n - n; i < rec.n; i++)
        json_object_array_add(list, control_log_entry_json(&copies[i % rec.want]));
    json_object_object_add(o, "following", json_object_new_boolean(follow));

    if (follow) {
        r = control_conn_follow_log(req->client->conn, &filter);
        if (r < 0) {
            json_object_put(o);
            return r;
        }
    }
    *result = o;
    return 0;
}
