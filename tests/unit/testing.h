/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The unit tests' few assertion macros. A test program is a list of
 * functions run by TEST_MAIN; each failed CHECK prints file:line and the
 * expression, and the program exits non-zero when any check failed. Output
 * is TAP so meson reports each test function.
 */
#pragma once

#include <stdio.h>
#include <string.h>

static int testing_failures;
static int testing_current_failed;

#define CHECK(expr) do {                                                    \
    if (!(expr)) {                                                      \
        printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr); \
        testing_failures++;                                             \
        testing_current_failed = 1;                                     \
    }                                                                   \
} while (0)

#define CHECK_INT_EQ(a, b) do {                                             \
    long long _a = (long long)(a), _b = (long long)(b);                 \
    if (_a != _b) {                                                     \
        printf("#   %s:%d: %s == %s failed: %lld != %lld\n",             \
               __FILE__, __LINE__, #a, #b, _a, _b);                     \
        testing_failures++;                                             \
        testing_current_failed = 1;                                     \
    }                                                                   \
} while (0)

#define CHECK_STR_EQ(a, b) do {                                             \
    const char *_a = (a), *_b = (b);                                    \
    if (!_a || !_b || strcmp(_a, _b) != 0) {                            \
        printf("#   %s:%d: %s == %s failed:\n#     got      \"%s\"\n"      \
               "#     expected \"%s\"\n", __FILE__, __LINE__, #a, #b,     \
               _a ? _a : "(null)", _b ? _b : "(null)");                  \
        testing_failures++;                                             \
        testing_current_failed = 1;                                     \
    }                                                                   \
} while (0)

typedef void (*testing_fn)(void);
struct testing_case { const char *name; testing_fn fn; };
#define TEST(fn) { #fn, fn }

#define TEST_MAIN(...)                                                      \
int main(void)                                                              \
{                                                                           \
    static const struct testing_case cases[] = { __VA_ARGS__ };         \
    size_t n = sizeof(cases) / sizeof(cases[0]);                        \
    printf("1..%zu\n", n);                                              \
    for (size_t i = 0; i < n; i++) {                                    \
        testing_current_failed = 0;                                     \
        cases[i].fn();                                                  \
        printf("%s %zu - %s\n", testing_current_failed ? "not ok" : "ok", \
               i + 1, cases[i].name);                                   \
    }                                                                   \
    return testing_failures ? 1 : 0;                                    \
}
