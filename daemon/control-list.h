/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A long list in a control response, built item by item as text: each
 * item is a json-c object while it is built, serialised at once and freed,
 * so a list of 10,000 sessions never holds 300,000 objects at a time
 * (building, serialising and freeing such a tree cost more than anything
 * else in `vpnctl sessions`, most of it in malloc). The list becomes one
 * array member of the response whose serialiser writes that text.
 *
 * Items are serialised the way the control socket sends responses
 * (jsonline.c: plain, slashes unescaped), so the response reads the same.
 * In the process the list is opaque: an empty array to json-c.
 */
#pragma once

#include <stddef.h>
#include <json-c/json.h>

struct control_list {
    char *text;         /* items joined by commas */
    size_t len, cap;
    size_t count;
};

/* Appends item's text (item stays the caller's). -ENOMEM. */
int control_list_append(struct control_list *l, json_object *item);
/* The array object that serialises as the items; the text goes with it
 * (l is emptied). NULL without memory (l is emptied as well). */
json_object *control_list_finish(struct control_list *l);
/* Drops what was appended (after a failure). */
void control_list_done(struct control_list *l);
