/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vpnctl's side of the control protocol: connect to vpnd's socket, send one
 * request, wait (bounded) for its one response. Framing is the shared
 * daemon/jsonline code.
 */
#pragma once

#include <stddef.h>
#include <json-c/json.h>

/* Connects to the socket at path. -ENOENT / -ECONNREFUSED: no daemon
 * listening; -EACCES: the filesystem refused (not in the socket's group). */
int control_client_connect(const char *path, int *ret_fd);

/* Sends `request` and waits up to timeout_ms for the response object.
 * -ETIMEDOUT, -EBADMSG (not a JSON object line), -ECONNRESET (the daemon
 * closed the connection without answering), or -errno. */
int control_client_call(int fd, json_object *request, int timeout_ms, json_object **ret);

/* For streams (`log --follow`): sends `request` and calls fn for every
 * object that arrives, the response first (within timeout_ms), then
 * whatever the daemon sends, without a deadline. Stops when fn returns
 * non-zero (returned), or with -ECONNRESET when the daemon closes. */
typedef int (*control_client_object_fn)(json_object *obj, void *userdata);
int control_client_stream(int fd, json_object *request, int timeout_ms, control_client_object_fn fn,
                          void *userdata);

/* The same with each line as it came (without its newline), for callers
 * that read it themselves (json-reader.h); fn returns < 0 to stop with
 * that error (-EBADMSG for a line that is not JSON). */
typedef int (*control_client_line_fn)(const char *line, size_t len, void *userdata);
int control_client_stream_lines(int fd, json_object *request, int timeout_ms, control_client_line_fn fn,
                                void *userdata);
