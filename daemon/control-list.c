/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "control-list.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/printbuf.h>

#define ITEM_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int control_list_append(struct control_list *l, json_object *item)
{
    size_t n;
    const char *text = json_object_to_json_string_length(item, ITEM_FLAGS, &n);
    if (!text)
        return -ENOMEM;
    json_writer_raw(control_list_next(l), text, n);
    return json_writer_error(&l->text);
}

struct json_writer *control_list_next(struct control_list *l)
{
    l->count++;
    return &l->text;
}

struct list_text {
    char *text;
    size_t len;
};

static int write_list(json_object *jso, struct printbuf *pb, int level, int flags)
{
    const struct list_text *t = json_object_get_userdata(jso);
    (void)level, (void)flags;
    if (printbuf_memappend(pb, "[", 1) < 0 || (t->len && printbuf_memappend(pb, t->text, (int)t->len) < 0))
        return -1;
    return printbuf_memappend(pb, "]", 1) < 0 ? -1 : 0;
}

static void free_list(json_object *jso, void *userdata)
{
    struct list_text *t = userdata;
    (void)jso;
    free(t->text);
    free(t);
}

json_object *control_list_finish(struct control_list *l)
{
    /* printbuf_memappend takes an int. */
    if (json_writer_error(&l->text) || l->text.depth != 0 || l->text.len > INT_MAX - 2) {
        control_list_done(l);
        return NULL;
    }
    json_object *a = json_object_new_array();
    struct list_text *t = calloc(1, sizeof(*t));
    if (!a || !t) {
        json_object_put(a);
        free(t);
        control_list_done(l);
        return NULL;
    }
    t->text = json_writer_steal(&l->text, &t->len);
    *l = (struct control_list){ 0 };
    json_object_set_serializer(a, write_list, t, free_list);
    return a;
}

void control_list_done(struct control_list *l)
{
    json_writer_done(&l->text);
    *l = (struct control_list){ 0 };
}
