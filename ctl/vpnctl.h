/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What vpnctl.c shares with the printers in vpnctl-*.c: reading members of
 * a response and printing "Label:  value" lines.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define LABEL_WIDTH 20

json_object *get(json_object *o, const char *key);
/* NULL for a missing member or JSON null. */
const char *get_str(json_object *o, const char *key);
uint64_t get_uint(json_object *o, const char *key);
void field(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void format_duration(uint64_t s, char *buf, size_t len);
void format_bytes(uint64_t b, char *buf, size_t len);

/* vpnctl-views.c: session, sas, ipsec, stats. */
bool session_args(int argc, char **argv, json_object *args);
void print_session(json_object *r);
void print_sas(json_object *r);
void print_ipsec(json_object *r);
void print_stats(json_object *r);
