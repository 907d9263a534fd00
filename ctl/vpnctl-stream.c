/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Answers read token by token (json-reader.h) instead of as a json-c tree:
 * --json (the answer printed as it came, pretty), the `sessions` table, and
 * the lists of `sas` and `ipsec`, whose entries are parsed one at a time.
 * At 10,000 sessions the answer is some 5 MB; turning it into 300,000
 * json-c objects and freeing them was most of what vpnctl spent. The whole
 * line is checked before anything is printed (output goes to a memory
 * stream first), so a malformed answer prints nothing, as before.
 */
#define _GNU_SOURCE     /* fputs_unlocked */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json-reader.h"
#include "jsonline.h"
#include "vpnctl.h"

/* The value of the member just read into buf, or NULL when it is null or
 * not a string (then skipped). -EBADMSG through *error. */
static const char *read_string(struct json_reader *r, char *buf, size_t size, int *error)
{
    enum json_token t = json_reader_next(r);
    if (t == JSON_TOKEN_STRING) {
        json_reader_string(r, buf, size);
        return buf;
    }
    if (json_reader_skip(r, t) < 0)
        *error = -EBADMSG;
    return NULL;
}

/* A number member: true with *v when it is an unsigned integer; false for
 * null and anything else (skipped). */
static bool read_uint(struct json_reader *r, uint64_t *v, int *error)
{
    enum json_token t = json_reader_next(r);
    if (t == JSON_TOKEN_NUMBER)
        return json_reader_uint(r, v);
    if (json_reader_skip(r, t) < 0)
        *error = -EBADMSG;
    return false;
}

int vpnctl_read_answer(const char *line, size_t len, struct vpnctl_answer *a, vpnctl_result_fn result, FILE *out)
{
    struct json_reader r;
    int error = 0;
    *a = (struct vpnctl_answer){ 0 };
    json_reader_init(&r, line, len);
    if (json_reader_next(&r) != JSON_TOKEN_OBJECT_BEGIN)
        return -EBADMSG;
    for (;;) {
        enum json_token t = json_reader_next(&r);
        if (t == JSON_TOKEN_OBJECT_END)
            break;
        if (t != JSON_TOKEN_KEY)
            return -EBADMSG;
        if (json_reader_equals(&r, "ok")) {
            t = json_reader_next(&r);
            a->has_ok = t == JSON_TOKEN_TRUE || t == JSON_TOKEN_FALSE;
            a->ok = t == JSON_TOKEN_TRUE;
            error = json_reader_skip(&r, t);
        } else if (json_reader_equals(&r, "code")) {
            read_string(&r, a->code, sizeof(a->code), &error);
        } else if (json_reader_equals(&r, "error")) {
            a->has_error = read_string(&r, a->error, sizeof(a->error), &error) != NULL;
        } else if (json_reader_equals(&r, "result") && result) {
            error = result(&r, json_reader_next(&r), out);
        } else {
            error = json_reader_skip(&r, json_reader_next(&r));
        }
        if (error < 0)
            return error;
    }
    return json_reader_next(&r) == JSON_TOKEN_END ? 0 : -EBADMSG;
}

static void newline_indent(FILE *out, unsigned level)
{
    putc_unlocked('\n', out);
    for (unsigned i = 0; i < level; i++)
        fwrite_unlocked("  ", 1, 2, out);
}

/* The layout of json-c's JSON_C_TO_STRING_PRETTY, which --json printed
 * before: a member or element per line, two spaces per level, "key":value.
 * Strings are printed as the daemon escaped them. */
int vpnctl_print_pretty(const char *line, size_t len, FILE *out)
{
    struct json_reader r;
    bool first = true;          /* nothing yet in the container just opened */
    bool after_key = false;
    json_reader_init(&r, line, len);
    for (;;) {
        enum json_token t = json_reader_next(&r);
        switch (t) {
        case JSON_TOKEN_ERROR:
            return -EBADMSG;
        case JSON_TOKEN_END:
            putc_unlocked('\n', out);
            return 0;
        case JSON_TOKEN_OBJECT_END:
        case JSON_TOKEN_ARRAY_END:
            newline_indent(out, r.depth);       /* json-c: "{" newline "}" when empty too */
            putc_unlocked(*r.text, out);
            first = false;
            break;
        case JSON_TOKEN_KEY:
            if (!first)
                putc_unlocked(',', out);
            newline_indent(out, r.depth);
            putc_unlocked('"', out);
            fwrite_unlocked(r.text, 1, r.len, out);
            fwrite_unlocked("\":", 1, 2, out);
            after_key = true;
            first = false;
            break;
        default: {
            bool opens = t == JSON_TOKEN_OBJECT_BEGIN || t == JSON_TOKEN_ARRAY_BEGIN;
            unsigned level = opens ? r.depth - 1 : r.depth;
            if (!after_key && level > 0) {
                if (!first)
                    putc_unlocked(',', out);
                newline_indent(out, level);
            }
            if (t == JSON_TOKEN_STRING)
                putc_unlocked('"', out);
            fwrite_unlocked(r.text, 1, r.len, out);
            if (t == JSON_TOKEN_STRING)
                putc_unlocked('"', out);
            after_key = false;
            first = opens;
            break;
        }
        }
    }
}

bool vpnctl_valid_json(const char *line, size_t len)
{
    struct json_reader r;
    enum json_token t;
    json_reader_init(&r, line, len);
    if (json_reader_next(&r) != JSON_TOKEN_OBJECT_BEGIN)
        return false;
    while ((t = json_reader_next(&r)) > JSON_TOKEN_END)
        ;
    return t == JSON_TOKEN_END;
}

/* --- the sessions table --------------------------------------------------- */

struct session_row {
    uint64_t index, duration, idle, bytes_in, bytes_out, packets_in, packets_out;
    bool has_idle, has_counters, natt;
    const char *user, *tunnel_group, *address, *address6, *public_address, *protocol, *login, *encryption;
    char user_buf[256], tunnel_group_buf[256], address_buf[64], address6_buf[64], public_buf[96], protocol_buf[16],
        login_buf[40], encryption_buf[256];
};

static int read_row(struct json_reader *r, struct session_row *row)
{
    int error = 0;
    memset(row, 0, offsetof(struct session_row, user_buf));
    for (;;) {
        enum json_token t = json_reader_next(r);
        if (t == JSON_TOKEN_OBJECT_END)
            return 0;
        if (t != JSON_TOKEN_KEY)
            return -EBADMSG;
/* The length first: 20 names compared for each of 25 members. */
#define KEY_IS(name) (r->escaped ? json_reader_equals(r, name) \
                                 : r->len == sizeof(name) - 1 && memcmp(r->text, name, sizeof(name) - 1) == 0)
#define STRING(name, member) \
        else if (KEY_IS(name)) \
            row->member = read_string(r, row->member##_buf, sizeof(row->member##_buf), &error)
        if (KEY_IS("index"))
            read_uint(r, &row->index, &error);
        STRING("user", user);
        STRING("tunnel_group", tunnel_group);
        STRING("address", address);
        STRING("address6", address6);
        STRING("protocol", protocol);
        STRING("login", login);
        STRING("encryption", encryption);
#undef STRING
        else if (KEY_IS("public_address"))
            row->public_address = read_string(r, row->public_buf, sizeof(row->public_buf), &error);
        else if (KEY_IS("natt")) {
            t = json_reader_next(r);
            row->natt = t == JSON_TOKEN_TRUE;
            error = json_reader_skip(r, t);
        } else if (KEY_IS("duration_seconds"))
            read_uint(r, &row->duration, &error);
        else if (KEY_IS("idle_seconds"))
            row->has_idle = read_uint(r, &row->idle, &error);
        else if (KEY_IS("bytes_in"))
            row->has_counters = read_uint(r, &row->bytes_in, &error);
        else if (KEY_IS("bytes_out"))
            read_uint(r, &row->bytes_out, &error);
        else if (KEY_IS("packets_in"))
            read_uint(r, &row->packets_in, &error);
        else if (KEY_IS("packets_out"))
            read_uint(r, &row->packets_out, &error);
        else
            error = json_reader_skip(r, json_reader_next(r));     /* acct_session_id, ike_sa, child_sas, ... */
#undef KEY_IS
        if (error < 0)
            return error;
    }
}

/* A table line built by hand: printf's padding of 13 columns was a third
 * of vpnctl's time at 10,000 sessions. */
struct line {
    char buf[2048];
    size_t n;
};

/* text padded to width (on the left when right), never cut: printf's
 * "%-*s" and "%*s". */
static void column(struct line *l, const char *text, size_t width, bool right)
{
    size_t len = strlen(text), pad = len < width ? width - len : 0;
    if (l->n + len + pad + 1 >= sizeof(l->buf))
        return;     /* not with the members' sizes in struct session_row */
    if (l->n)
        l->buf[l->n++] = ' ';
    if (right)
        memset(l->buf + l->n, ' ', pad), l->n += pad;
    memcpy(l->buf + l->n, text, len), l->n += len;
    if (!right)
        memset(l->buf + l->n, ' ', pad), l->n += pad;
}

static void print_row(FILE *out, const struct session_row *s)
{
    char index[24], dur[64], idle[64] = "-", bin[24] = "-", bout[24] = "-", pin[24] = "-", pout[24] = "-", proto[32];
    struct line l = { .n = 0 };
    format_uint(s->index, index, sizeof(index));
    format_duration(s->duration, dur, sizeof(dur));
    if (s->has_idle)
        format_duration(s->idle, idle, sizeof(idle));
    if (s->has_counters) {
        format_bytes(s->bytes_in, bin, sizeof(bin));
        format_bytes(s->bytes_out, bout, sizeof(bout));
        format_uint(s->packets_in, pin, sizeof(pin));
        format_uint(s->packets_out, pout, sizeof(pout));
    }
    snprintf(proto, sizeof(proto), "%s%s", s->protocol ?: "?", s->natt ? " NAT-T" : "");
    column(&l, index, 5, false);
    column(&l, s->user ?: "?", 24, false);
    column(&l, s->tunnel_group ?: "?", 16, false);
    column(&l, s->address ?: "?", 15, false);
    column(&l, s->public_address ?: "?", 21, false);
    column(&l, proto, 12, false);
    column(&l, s->login ?: "?", 20, false);
    column(&l, dur, 10, false);
    column(&l, idle, 10, false);
    column(&l, bin, 9, true);
    column(&l, bout, 9, true);
    column(&l, pin, 9, true);
    column(&l, pout, 9, true);
    l.buf[l.n++] = '\n';
    fwrite_unlocked(l.buf, 1, l.n, out);
    if (s->address6) {
        fputs_unlocked("      IPv6 address: ", out);
        fputs_unlocked(s->address6, out);
        putc_unlocked('\n', out);
    }
    fputs_unlocked("      encryption: ", out);
    fputs_unlocked(s->encryption ?: "?", out);
    putc_unlocked('\n', out);
}

/* `sessions`: {"count":N,"sessions":[{...},...]}, a row as each session is read. */
int vpnctl_print_sessions(struct json_reader *r, enum json_token first, FILE *out)
{
    size_t n = 0;
    struct session_row row;
    if (first != JSON_TOKEN_OBJECT_BEGIN)
        return json_reader_skip(r, first);
    for (;;) {
        enum json_token t = json_reader_next(r);
        if (t == JSON_TOKEN_OBJECT_END)
            break;
        if (t != JSON_TOKEN_KEY)
            return -EBADMSG;
        bool sessions = json_reader_equals(r, "sessions");
        t = json_reader_next(r);
        if (!sessions || t != JSON_TOKEN_ARRAY_BEGIN) {
            if (json_reader_skip(r, t) < 0)
                return -EBADMSG;
            continue;
        }
        while ((t = json_reader_next(r)) != JSON_TOKEN_ARRAY_END) {
            if (t != JSON_TOKEN_OBJECT_BEGIN) {
                if (json_reader_skip(r, t) < 0)
                    return -EBADMSG;
                continue;
            }
            if (read_row(r, &row) < 0)
                return -EBADMSG;
            if (n++ == 0)
                fprintf(out, "%-5s %-24s %-16s %-15s %-21s %-12s %-20s %-10s %-10s %9s %9s %9s %9s\n", "INDEX",
                        "USER", "TUNNEL-GROUP", "ADDRESS", "PUBLIC", "PROTOCOL", "LOGIN", "DURATION", "IDLE",
                        "BYTES-IN", "BYTES-OUT", "PKTS-IN", "PKTS-OUT");
            print_row(out, &row);
        }
    }
    if (n == 0)
        fprintf(out, "no sessions\n");
    else
        fprintf(out, "%zu session%s\n", n, n == 1 ? "" : "s");
    return 0;
}

int vpnctl_read_list(struct json_reader *r, enum json_token first, const char *key,
                     void (*fn)(json_object *item, void *userdata), void *userdata)
{
    if (first != JSON_TOKEN_OBJECT_BEGIN)
        return json_reader_skip(r, first);
    json_tokener *tok = json_tokener_new_ex(JSONLINE_MAX_DEPTH);
    if (!tok)
        return -ENOMEM;
    int res = 0;
    for (;;) {
        enum json_token t = json_reader_next(r);
        if (t == JSON_TOKEN_OBJECT_END)
            break;
        if (t != JSON_TOKEN_KEY) {
            res = -EBADMSG;
            break;
        }
        bool wanted = json_reader_equals(r, key);
        t = json_reader_next(r);
        if (!wanted || t != JSON_TOKEN_ARRAY_BEGIN) {
            if ((res = json_reader_skip(r, t)) < 0)
                break;
            continue;
        }
        while (res == 0 && (t = json_reader_next(r)) != JSON_TOKEN_ARRAY_END) {
            const char *start = r->text;    /* the object's '{' */
            if (t != JSON_TOKEN_OBJECT_BEGIN) {
                res = json_reader_skip(r, t);
                continue;
            }
            if ((res = json_reader_skip(r, t)) < 0)
                break;
            /* The reader checked the object; json-c builds it alone. */
            json_tokener_reset(tok);
            json_object *item = json_tokener_parse_ex(tok, start, (int)(r->p - start));
            if (!item) {
                res = -EBADMSG;
                break;
            }
            fn(item, userdata);
            json_object_put(item);
        }
        if (res < 0)
            break;
    }
    json_tokener_free(tok);
    return res;
}
