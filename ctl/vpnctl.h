/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What vpnctl.c shares with the printers in vpnctl-*.c: reading members of
 * a response and printing "Label:  value" lines.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "json-reader.h"

#define LABEL_WIDTH 20

json_object *get(json_object *o, const char *key);
/* NULL for a missing member or JSON null. */
const char *get_str(json_object *o, const char *key);
uint64_t get_uint(json_object *o, const char *key);
void field(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void format_duration(uint64_t s, char *buf, size_t len);
void format_bytes(uint64_t b, char *buf, size_t len);
/* v in decimal, as %" PRIu64 " would. */
void format_uint(uint64_t v, char *buf, size_t len);

/* vpnctl-views.c: session, sas, ipsec, stats. */
bool session_args(int argc, char **argv, json_object *args);
void print_session(json_object *r);
int print_sas_stream(struct json_reader *r, enum json_token first, FILE *out);
int print_ipsec_stream(struct json_reader *r, enum json_token first, FILE *out);
void print_stats(json_object *r);

/* vpnctl-stream.c: answers read without a json-c tree (json-reader.h). */
struct vpnctl_answer {
    bool has_ok, ok;            /* the "ok" member, when it is a boolean */
    bool has_error;
    char code[64];              /* "code" of a failure, "" without one */
    char error[512];            /* "error" of a failure */
};
/* Prints the value of "result", whose first token is `first`, to out,
 * consuming all of it. 0 or -EBADMSG. */
typedef int (*vpnctl_result_fn)(struct json_reader *r, enum json_token first, FILE *out);
/* Checks the whole answer line and reads its members; "result" goes to
 * `result` (NULL: skipped). -EBADMSG when the line is not one valid JSON
 * object. */
int vpnctl_read_answer(const char *line, size_t len, struct vpnctl_answer *a, vpnctl_result_fn result, FILE *out);
/* The line pretty-printed as json-c did (one member per line). -EBADMSG. */
int vpnctl_print_pretty(const char *line, size_t len, FILE *out);
/* True when the line is one valid JSON object. */
bool vpnctl_valid_json(const char *line, size_t len);
int vpnctl_print_sessions(struct json_reader *r, enum json_token first, FILE *out);
/* For a result {"key":[{...},...],...} (first: its first token): each
 * object of the list parsed on its own into json-c and given to fn (it
 * stays the caller's: freed after fn), the rest of the result skipped.
 * 0 or -EBADMSG. */
int vpnctl_read_list(struct json_reader *r, enum json_token first, const char *key,
                     void (*fn)(json_object *item, void *userdata), void *userdata);
