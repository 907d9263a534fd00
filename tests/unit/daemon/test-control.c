/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control socket's authorisation and request validation, without a
 * socket: control_access_for() and control_dispatch() for the requests that
 * never reach a handler needing a running daemon.
 */
#include <errno.h>
#include <stdlib.h>

#include "control.h"
#include "log.h"
#include "testing.h"

static const struct config_control both_groups = {
    .has_read_group = true, .read_gid = 100,
    .has_admin_group = true, .admin_gid = 200,
};
static const struct config_control no_groups = { 0 };

static void test_access_levels(void)
{
    const gid_t none[] = { 0 };
    const gid_t in_read[] = { 5, 100 };
    const gid_t in_admin[] = { 200 };
    const uid_t self = 999;

    CHECK_INT_EQ(control_access_for(&both_groups, self, 0, 0, NULL, 0), CONTROL_ACCESS_ADMIN);
    CHECK_INT_EQ(control_access_for(&both_groups, self, self, 12, NULL, 0), CONTROL_ACCESS_ADMIN);
    /* Primary group or supplementary group both count. */
    CHECK_INT_EQ(control_access_for(&both_groups, self, 1000, 100, none, 0), CONTROL_ACCESS_READ);
    CHECK_INT_EQ(control_access_for(&both_groups, self, 1000, 1000, in_read, 2), CONTROL_ACCESS_READ);
    CHECK_INT_EQ(control_access_for(&both_groups, self, 1000, 200, NULL, 0), CONTROL_ACCESS_ADMIN);
    CHECK_INT_EQ(control_access_for(&both_groups, self, 1000, 1000, in_admin, 1), CONTROL_ACCESS_ADMIN);
    CHECK_INT_EQ(control_access_for(&both_groups, self, 1000, 1000, none, 1), CONTROL_ACCESS_NONE);
    /* Without groups only root and vpnd's own uid get in. */
    CHECK_INT_EQ(control_access_for(&no_groups, self, 1000, 100, in_read, 2), CONTROL_ACCESS_NONE);
    CHECK_INT_EQ(control_access_for(&no_groups, self, 0, 0, NULL, 0), CONTROL_ACCESS_ADMIN);
    /* gid values of unset groups must not match (read_gid 0 = root's group). */
    CHECK_INT_EQ(control_access_for(&no_groups, self, 1000, 0, NULL, 0), CONTROL_ACCESS_NONE);
}

static json_object *request(const char *text)
{
    json_object *o = json_tokener_parse(text);
    CHECK(o != NULL);
    return o;
}

static const char *str(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* Dispatches `text` as `client` and checks the response's error code
 * (NULL: success expected). */
static json_object *dispatch(const struct control_client *client, const char *text,
                             const char *want_code)
{
    json_object *req = request(text);
    json_object *resp = control_dispatch(NULL, client, req);
    json_object_put(req);
    CHECK(resp != NULL);
    json_object *ok;
    CHECK(json_object_object_get_ex(resp, "ok", &ok));
    if (want_code) {
        CHECK(!json_object_get_boolean(ok));
        CHECK_STR_EQ(str(resp, "code"), want_code);
        CHECK(str(resp, "error") != NULL && str(resp, "error")[0] != '\0');
    } else {
        CHECK(json_object_get_boolean(ok));
    }
    return resp;
}

static void test_request_validation(void)
{
    const struct control_client admin = { .uid = 0, .pid = 1, .access = CONTROL_ACCESS_ADMIN };

    json_object_put(dispatch(&admin, "{}", "bad-request"));
    json_object_put(dispatch(&admin, "{\"command\": 5}", "bad-request"));
    json_object_put(dispatch(&admin, "{\"command\": \"help\", \"args\": []}", "bad-request"));
    json_object_put(dispatch(&admin, "{\"command\": \"help\", \"bogus\": 1}", "bad-request"));
    json_object_put(dispatch(&admin, "{\"command\": \"no-such\"}", "unknown-command"));

    /* The id comes back, also on errors. */
    json_object *resp = dispatch(&admin, "{\"command\": \"no-such\", \"id\": \"abc\"}", "unknown-command");
    CHECK_STR_EQ(str(resp, "id"), "abc");
    json_object_put(resp);
}

static void test_permissions(void)
{
    const struct control_client reader = { .uid = 1000, .pid = 42, .access = CONTROL_ACCESS_READ };
    const struct control_client nobody = { .uid = 65534, .pid = 43, .access = CONTROL_ACCESS_NONE };

    /* Refused before the handler runs (vpnd is NULL here). */
    json_object_put(dispatch(&reader, "{\"command\": \"reload\"}", "permission-denied"));
    json_object_put(dispatch(&nobody, "{\"command\": \"status\"}", "permission-denied"));
    json_object_put(dispatch(&nobody, "{\"command\": \"help\"}", "permission-denied"));

    /* help lists only what the client may run. */
    json_object *resp = dispatch(&reader, "{\"command\": \"help\"}", NULL);
    json_object *result, *list;
    CHECK(json_object_object_get_ex(resp, "result", &result));
    CHECK(json_object_object_get_ex(result, "commands", &list));
    bool has_status = false, has_reload = false;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        const char *name = str(json_object_array_get_idx(list, i), "command");
        has_status = has_status || strcmp(name, "status") == 0;
        has_reload = has_reload || strcmp(name, "reload") == 0;
    }
    CHECK(has_status);
    CHECK(!has_reload);
    json_object_put(resp);
}

static void test_command_table(void)
{
    /* Every entry is complete and names are unique. */
    for (const struct control_command *c = control_commands; c->name; c++) {
        CHECK(c->handler != NULL);
        CHECK(c->summary != NULL);
        CHECK(c->access != CONTROL_ACCESS_NONE);
        CHECK(control_command_find(c->name) == c);
    }
    CHECK(control_command_find("reload")->access == CONTROL_ACCESS_ADMIN);
    CHECK(control_command_find("status")->access == CONTROL_ACCESS_READ);
    CHECK(control_command_find("nonexistent") == NULL);
}

static void test_setup_logging(void)
{
    log_open(LOG_TARGET_STDERR);
    CHECK_INT_EQ(log_get_target(), LOG_TARGET_STDERR);
}

TEST_MAIN(TEST(test_setup_logging),
          TEST(test_access_levels),
          TEST(test_request_validation),
          TEST(test_permissions),
          TEST(test_command_table))
