/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * JSON without json-c trees: the writer vpnd lists sessions with
 * (json-writer.c) and the pull reader vpnctl reads them with
 * (json-reader.c). What the writer produces must parse with the control
 * socket's strict parser and read back the same; the reader must refuse
 * exactly what that parser refuses.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json-reader.h"
#include "json-writer.h"
#include "jsonline.h"
#include "testing.h"

/* The writer's text, NUL-terminated for comparisons. */
static char *text_of(struct json_writer *w)
{
    char *t = malloc(w->len + 1);
    memcpy(t, w->buf, w->len);
    t[w->len] = '\0';
    return t;
}

static void test_writer_structure(void)
{
    struct json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_member_uint(&w, "n", 0);
    json_writer_member_uint(&w, "max", UINT64_MAX);
    json_writer_member_string(&w, "s", "x");
    json_writer_member_string(&w, "none", NULL);
    json_writer_member_bool(&w, "t", true);
    json_writer_member_bool(&w, "f", false);
    json_writer_member_null(&w, "z");
    json_writer_key(&w, "list");
    json_writer_array_begin(&w);
    json_writer_uint(&w, 1);
    json_writer_array_begin(&w);
    json_writer_array_end(&w);
    json_writer_object_begin(&w);
    json_writer_object_end(&w);
    json_writer_raw(&w, "{\"r\":1}", 7);
    json_writer_array_end(&w);
    json_writer_object_end(&w);
    CHECK_INT_EQ(json_writer_error(&w), 0);
    char *t = text_of(&w);
    CHECK_STR_EQ(t, "{\"n\":0,\"max\":18446744073709551615,\"s\":\"x\",\"none\":null,\"t\":true,\"f\":false,"
                    "\"z\":null,\"list\":[1,[],{},{\"r\":1}]}");
    free(t);
    json_writer_done(&w);

    /* Items of a list at the top: joined by commas (control-list.c). */
    json_writer_init(&w);
    json_writer_uint(&w, 1);
    json_writer_string(&w, "a");
    t = text_of(&w);
    CHECK_STR_EQ(t, "1,\"a\"");
    free(t);
    json_writer_done(&w);
}

static void test_writer_errors_are_sticky(void)
{
    struct json_writer w;
    json_writer_init(&w);
    json_writer_object_end(&w);             /* nothing open */
    CHECK_INT_EQ(json_writer_error(&w), -E2BIG);
    json_writer_uint(&w, 1);                /* ignored from now on */
    CHECK_INT_EQ((int)w.len, 0);
    json_writer_done(&w);

    json_writer_init(&w);
    json_writer_key(&w, "k");               /* a key outside an object */
    CHECK_INT_EQ(json_writer_error(&w), -E2BIG);
    json_writer_done(&w);

    json_writer_init(&w);
    for (int i = 0; i < JSON_WRITER_MAX_DEPTH + 1; i++)
        json_writer_array_begin(&w);
    CHECK_INT_EQ(json_writer_error(&w), -E2BIG);
    json_writer_done(&w);
}

/* s written as a string member, parsed by the socket's parser, read back. */
static void check_string_roundtrip(const char *s, size_t len, const char *want_text, const char *want_back)
{
    struct json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_key(&w, "v");
    json_writer_string_len(&w, s, len);
    json_writer_object_end(&w);
    CHECK_INT_EQ(json_writer_error(&w), 0);
    char *t = text_of(&w);
    if (want_text)
        CHECK_STR_EQ(t, want_text);
    json_object *o = NULL;
    CHECK_INT_EQ(jsonline_parse(t, w.len, &o), 1);
    json_object *v = NULL;
    CHECK(o && json_object_object_get_ex(o, "v", &v));
    CHECK_STR_EQ(v ? json_object_get_string(v) : "", want_back);

    /* The reader decodes it the same way. */
    struct json_reader r;
    char buf[256];
    json_reader_init(&r, t, w.len);
    CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_OBJECT_BEGIN);
    CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_KEY);
    CHECK(json_reader_equals(&r, "v"));
    CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_STRING);
    CHECK_INT_EQ((int)json_reader_string(&r, buf, sizeof(buf)), (int)strlen(want_back));
    CHECK_STR_EQ(buf, want_back);
    CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_OBJECT_END);
    CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_END);
    json_object_put(o);
    free(t);
    json_writer_done(&w);
}

static void test_writer_escaping(void)
{
    check_string_roundtrip("a\"b\\c/d", 7, "{\"v\":\"a\\\"b\\\\c/d\"}", "a\"b\\c/d");
    check_string_roundtrip("l1\nl2\r\t", 7, "{\"v\":\"l1\\nl2\\r\\t\"}", "l1\nl2\r\t");
    check_string_roundtrip("\x01\x1f\x7f", 3, "{\"v\":\"\\u0001\\u001f\x7f\"}", "\x01\x1f\x7f");
    /* UTF-8 as it is: é, €, U+1F600. */
    check_string_roundtrip("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 11, "{\"v\":\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}",
                           "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    /* Not UTF-8 (a stray byte, an overlong '/', a surrogate, a cut
     * sequence, above U+10FFFF): U+FFFD per bad byte, and the line parses. */
    check_string_roundtrip("a\xff" "b", 3, "{\"v\":\"a\\ufffdb\"}", "a\xef\xbf\xbd" "b");
    check_string_roundtrip("\xc0\xaf", 2, "{\"v\":\"\\ufffd\\ufffd\"}", "\xef\xbf\xbd\xef\xbf\xbd");
    check_string_roundtrip("\xed\xa0\x80", 3, NULL, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    check_string_roundtrip("x\xe2\x82", 3, "{\"v\":\"x\\ufffd\\ufffd\"}", "x\xef\xbf\xbd\xef\xbf\xbd");
    check_string_roundtrip("\xf4\x90\x80\x80", 4, NULL, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");

    /* A NUL inside a length-given string is a control character too. */
    struct json_writer w;
    json_writer_init(&w);
    json_writer_string_len(&w, "a\0b", 3);
    char *t = text_of(&w);
    CHECK_STR_EQ(t, "\"a\\u0000b\"");
    free(t);
    json_writer_done(&w);
}

static enum json_token next(struct json_reader *r)
{
    return json_reader_next(r);
}

static void test_reader_tokens(void)
{
    const char *text = " {\"a\" : [1, -2.5e3, true, false, null, \"s\"], \"o\":{}, \"e\":[] ,\"k\\u0065y\":{\"x\":[{}]}} \n";
    struct json_reader r;
    uint64_t v = 0;
    json_reader_init(&r, text, strlen(text));
    CHECK_INT_EQ(next(&r), JSON_TOKEN_OBJECT_BEGIN);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_KEY);
    CHECK(json_reader_equals(&r, "a"));
    CHECK_INT_EQ(next(&r), JSON_TOKEN_ARRAY_BEGIN);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_NUMBER);
    CHECK(json_reader_uint(&r, &v) && v == 1);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_NUMBER);
    CHECK(!json_reader_uint(&r, &v));
    CHECK_INT_EQ((int)r.len, 6);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_TRUE);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_FALSE);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_NULL);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_STRING);
    CHECK(json_reader_equals(&r, "s"));
    CHECK_INT_EQ(next(&r), JSON_TOKEN_ARRAY_END);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_KEY);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_OBJECT_BEGIN);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_OBJECT_END);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_KEY);
    CHECK_INT_EQ(json_reader_skip(&r, next(&r)), 0);       /* [] */
    CHECK_INT_EQ(next(&r), JSON_TOKEN_KEY);
    CHECK(json_reader_equals(&r, "key"));                   /* escaped in the text */
    CHECK_INT_EQ(json_reader_skip(&r, next(&r)), 0);       /* {"x":[{}]} */
    CHECK_INT_EQ(next(&r), JSON_TOKEN_OBJECT_END);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_END);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_END);
}

static void test_reader_strings_and_numbers(void)
{
    const char *text = "[\"\\ud83d\\ude00\\u00e9\\/\\b\\f\", \"\\udc00x\", 18446744073709551615, 18446744073709551616, "
                       "0, -1, 1.0, 1e2, \"long enough to be cut\"]";
    struct json_reader r;
    char buf[64], small[8];
    uint64_t v = 0;
    json_reader_init(&r, text, strlen(text));
    CHECK_INT_EQ(next(&r), JSON_TOKEN_ARRAY_BEGIN);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_STRING);
    json_reader_string(&r, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "\xf0\x9f\x98\x80\xc3\xa9/\b\f");
    CHECK_INT_EQ(next(&r), JSON_TOKEN_STRING);
    json_reader_string(&r, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "\xef\xbf\xbdx");                       /* a lone surrogate */
    CHECK_INT_EQ(next(&r), JSON_TOKEN_NUMBER);
    CHECK(json_reader_uint(&r, &v) && v == UINT64_MAX);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_NUMBER);
    CHECK(!json_reader_uint(&r, &v));
    CHECK_INT_EQ(next(&r), JSON_TOKEN_NUMBER);
    CHECK(json_reader_uint(&r, &v) && v == 0);
    for (int i = 0; i < 3; i++) {
        CHECK_INT_EQ(next(&r), JSON_TOKEN_NUMBER);
        CHECK(!json_reader_uint(&r, &v));
    }
    CHECK_INT_EQ(next(&r), JSON_TOKEN_STRING);
    CHECK_INT_EQ((int)json_reader_string(&r, small, sizeof(small)), 21);
    CHECK_STR_EQ(small, "long en");
    CHECK_INT_EQ(next(&r), JSON_TOKEN_ARRAY_END);
    CHECK_INT_EQ(next(&r), JSON_TOKEN_END);
}

/* The reader takes a line when the socket's parser does (json_c says
 * what json-c does with it, valid what the reader must do). */
static void check_line(const char *text, size_t len, bool valid, bool json_c)
{
    struct json_reader r;
    enum json_token t;
    json_object *o = NULL;
    json_reader_init(&r, text, len);
    while ((t = json_reader_next(&r)) > JSON_TOKEN_END)
        ;
    int parsed = jsonline_parse(text, len, &o);
    json_object_put(o);
    if ((t == JSON_TOKEN_END) != valid || (parsed == 1) != json_c)
        printf("# %s: reader %d, json-c %d, expected %s\n", text, t, parsed, valid ? "valid" : "invalid");
    CHECK_INT_EQ(t == JSON_TOKEN_END, valid);
    CHECK_INT_EQ(parsed == 1, json_c);
    /* After an error, it stays an error. */
    if (!valid)
        CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_ERROR);
}

static void test_reader_as_strict_as_the_socket(void)
{
    static const char *const valid[] = {
        "{}", " { } ", "{\"a\":1}", "{\"a\":[1,2,{\"b\":null}]}", "{\"a\":-0.5E+3}", "{\"a\":\"\\u0041\"}",
        "{\"a\":\"\xc3\xa9\"}", "{\"\":0}",
        /* Not UTF-8 by RFC 3629, but shaped like it: json-c takes them
         * (a name json-c's serialiser passed through). */
        "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
    };
    /* What json-c takes although RFC 8259 does not; its serialiser never
     * writes them. */
    static const char *const lax[] = {
        "{\"a\":1.}", "{\"a\":\"\t\"}", "{'a':1}", "{\"a\":NaN}",
    };
    static const char *const invalid[] = {
        "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\":[1,]}",
        "{\"a\":[1 2]}", "{\"a\":01}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":+1}", "{\"a\":tru}",
        "{\"a\":nul}", "{\"a\":\"x}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\xff\"}",
        "{\"a\":\"\xf8\x80\"}", "{\"a\":\"\x80\"}", "{\"a\":\"\xe2\x82\"}", "{a:1}", "{} {}", "{}x", "{\"a\":1]",
        "{\"a\":[1}",
    };
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
        check_line(valid[i], strlen(valid[i]), true, true);
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        check_line(invalid[i], strlen(invalid[i]), false, false);
    for (size_t i = 0; i < sizeof(lax) / sizeof(lax[0]); i++)
        check_line(lax[i], strlen(lax[i]), false, true);
    check_line("{\"a\":\"\0\"}", 8, false, false);

    /* Nesting: JSONLINE_MAX_DEPTH levels are fine, one more is refused. */
    char deep[2 * (JSONLINE_MAX_DEPTH + 1) + 8];
    for (int depth = JSONLINE_MAX_DEPTH; depth <= JSONLINE_MAX_DEPTH + 1; depth++) {
        size_t n = 0;
        deep[n++] = '{';
        memcpy(deep + n, "\"a\":", 4), n += 4;
        for (int i = 1; i < depth; i++)
            deep[n++] = '[';
        for (int i = 1; i < depth; i++)
            deep[n++] = ']';
        deep[n++] = '}';
        deep[n] = '\0';
        check_line(deep, n, depth <= JSONLINE_MAX_DEPTH, depth <= JSONLINE_MAX_DEPTH);
    }
}

/* Strings are scanned eight bytes at a time: every byte value, at every
 * place in and across those words, must be judged as one by one. */
static void test_reader_strings_word_by_word(void)
{
    for (unsigned b = 0; b < 256; b++) {
        for (size_t pos = 0; pos < 20; pos++) {
            char text[28];
            struct json_reader r;
            bool plain = b >= 0x20 && b < 0x80 && b != '"' && b != '\\';
            memcpy(text, "[\"", 2);
            memset(text + 2, 'a', 24);
            text[2 + pos] = (char)b;
            memcpy(text + 26, "\"]", 2);
            json_reader_init(&r, text, sizeof(text));
            CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_ARRAY_BEGIN);
            enum json_token t = json_reader_next(&r);
            if (b == '"') {             /* the string ends there; "aaa..." after it is no JSON */
                CHECK_INT_EQ(t, JSON_TOKEN_STRING);
                CHECK(r.len == pos);
                CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_ERROR);
            } else if (plain) {
                CHECK_INT_EQ(t, JSON_TOKEN_STRING);
                CHECK(r.len == 24 && !r.escaped);
                CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_ARRAY_END);
                CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_END);
            } else {                    /* a control byte, "\a", a lone non-ASCII byte */
                CHECK_INT_EQ(t, JSON_TOKEN_ERROR);
            }
        }
    }
    /* A UTF-8 sequence and an escape across a word's end. */
    for (size_t pos = 0; pos < 20; pos++) {
        static const char *const pairs[] = { "\xc3\xa9", "\\n" };
        for (size_t k = 0; k < 2; k++) {
            char text[28];
            struct json_reader r;
            memcpy(text, "[\"", 2);
            memset(text + 2, 'a', 24);
            memcpy(text + 2 + pos, pairs[k], 2);
            memcpy(text + 26, "\"]", 2);
            json_reader_init(&r, text, sizeof(text));
            CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_ARRAY_BEGIN);
            CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_STRING);
            CHECK(r.len == 24 && r.escaped == (k == 1));
            CHECK_INT_EQ(json_reader_next(&r), JSON_TOKEN_ARRAY_END);
        }
    }
}

TEST_MAIN(TEST(test_writer_structure),
          TEST(test_writer_errors_are_sticky),
          TEST(test_writer_escaping),
          TEST(test_reader_tokens),
          TEST(test_reader_strings_and_numbers),
          TEST(test_reader_as_strict_as_the_socket),
          TEST(test_reader_strings_word_by_word))
