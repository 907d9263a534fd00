/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "control-json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Keys are the callers' constants (see control-json.h), not copied: a list
 * of 10,000 sessions holds some 300,000 members. */
void control_add(json_object *o, const char *key, json_object *value)
{
    json_object_object_add_ex(o, key, value, JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

void control_add_string(json_object *o, const char *key, const char *value)
{
    control_add(o, key, value ? json_object_new_string(value) : NULL);
}

void control_add_uint(json_object *o, const char *key, unsigned long long value)
{
    control_add(o, key, json_object_new_uint64(value));
}

/* RFC 3339, UTC: unambiguous for scripts and humans alike. */
const char *control_format_time(uint64_t realtime_usec, char buf[static 32])
{
    time_t t = (time_t)(realtime_usec / 1000000ULL);
    struct tm tm;
    if (realtime_usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return NULL;
    return buf;
}

void control_add_time(json_object *o, const char *key, uint64_t realtime_usec)
{
    char buf[32];
    control_add_string(o, key, control_format_time(realtime_usec, buf));
}

void control_add_address(json_object *o, const char *key, const struct config_address *addr)
{
    char buf[INET6_ADDRSTRLEN];
    if (addr->family != AF_INET && addr->family != AF_INET6) {
        control_add(o, key, NULL);
        return;
    }
    inet_ntop(addr->family, addr->family == AF_INET ? (const void *)&addr->in : (const void *)&addr->in6, buf,
              sizeof(buf));
    control_add_string(o, key, buf);
}

int control_new_result_list(const char *key, json_object **result, json_object **list)
{
    json_object *o = json_object_new_object();
    json_object *l = json_object_new_array();
    if (!o || !l) {
        json_object_put(o);
        json_object_put(l);
        return -ENOMEM;
    }
    json_object_object_add(o, key, l);
    *result = o;
    *list = l;
    return 0;
}

int control_check_args(const struct control_request *req, const char *const *allowed,
                       struct control_error *error)
{
    json_object_object_foreach(req->args, key, value) {
        (void)value;
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            snprintf(error->message, sizeof(error->message), "%s: unknown argument '%.64s'", req->command, key);
            return -EINVAL;
        }
    }
    return 0;
}
