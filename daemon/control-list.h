/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A long list in a control response, built item by item as text: an item
 * is either written straight as JSON (json-writer.h: `sessions`) or built
 * as a json-c object, serialised at once and freed (`sas`, `ipsec`), so a
 * list of 10,000 sessions never holds 300,000 objects at a time (building,
 * serialising and freeing such a tree cost more than anything else in
 * `vpnctl sessions`, most of it in malloc). The list becomes one array
 * member of the response whose serialiser writes that text.
 *
 * Items are serialised the way the control socket sends responses
 * (jsonline.c: plain, slashes unescaped), so the response reads the same.
 * In the process the list is opaque: an empty array to json-c.
 */
#pragma once

#include <stddef.h>
#include <json-c/json.h>

#include "json-writer.h"

struct control_list {
    struct json_writer text;    /* items joined by commas */
    size_t count;
};

/* Appends item's text (item stays the caller's). -ENOMEM. */
int control_list_append(struct control_list *l, json_object *item);
/* The writer for one more item: the caller writes exactly one value
 * (errors show in control_list_finish). */
struct json_writer *control_list_next(struct control_list *l);
/* The array object that serialises as the items; the text goes with it
 * (l is emptied). NULL without memory or when the writer failed (l is
 * emptied as well). */
json_object *control_list_finish(struct control_list *l);
/* Drops what was appended (after a failure). */
void control_list_done(struct control_list *l);
