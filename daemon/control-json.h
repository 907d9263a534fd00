/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Building control responses (control-*.c): the few JSON shapes every
 * command uses, so that all of them print values the same way, and the
 * handlers that live outside control-commands.c.
 */
#pragma once

#include <stdint.h>
#include <json-c/json.h>

#include "config.h"
#include "control.h"

/* Members. The key must outlive the object (a literal, a name from a
 * static table): it is not copied. Each key once per object. */
void control_add(json_object *o, const char *key, json_object *value);
/* A string member; NULL becomes JSON null. */
void control_add_string(json_object *o, const char *key, const char *value);
void control_add_uint(json_object *o, const char *key, unsigned long long value);
/* RFC 3339, UTC; 0 becomes null. */
void control_add_time(json_object *o, const char *key, uint64_t realtime_usec);
/* The same text in buf, or NULL for 0 (null). */
const char *control_format_time(uint64_t realtime_usec, char buf[static 32]);
/* An address as text ("10.0.0.1", "2001:db8::1"). */
void control_add_address(json_object *o, const char *key, const struct config_address *addr);

/* A result object holding an empty array at `key` (both returned; the
 * array belongs to the object). -ENOMEM. */
int control_new_result_list(const char *key, json_object **result, json_object **list);

/* Refuses any member of req->args not in `allowed` (NULL-terminated) with
 * -EINVAL and a message naming it. */
int control_check_args(const struct control_request *req, const char *const *allowed,
                       struct control_error *error);

/* Handlers in their own files. */
int control_cmd_pools(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                      struct control_error *error);
int control_cmd_terminate(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                          struct control_error *error);
int control_cmd_debug(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                      struct control_error *error);
int control_cmd_log(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                    struct control_error *error);
/* control-session.c: session, sas, ipsec; control-stats.c: stats. */
int control_cmd_session(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                        struct control_error *error);
int control_cmd_sas(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                    struct control_error *error);
int control_cmd_ipsec(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                      struct control_error *error);
int control_cmd_stats(struct vpnd *vpnd, const struct control_request *req, json_object **result,
                      struct control_error *error);

/* What `sessions` lists of one session (control-commands.c), a new object;
 * kernel counters from snap, or SA by SA when it is NULL. */
struct ike;
struct session;
struct session_registry;
struct xfrm_snapshot;
json_object *control_session_summary(struct ike *ike, struct session *s, const struct xfrm_snapshot *snap);
/* The result of `sessions` for every session of reg (NULL: none) and of
 * `sas` (child false) / `ipsec` (child true); counters as above. -ENOMEM. */
int control_sessions_list(struct ike *ike, struct session_registry *reg, const struct xfrm_snapshot *snap,
                          json_object **result);
int control_sa_list(struct session_registry *reg, const struct xfrm_snapshot *snap, bool child,
                    json_object **result);
