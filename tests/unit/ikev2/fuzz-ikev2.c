/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness for the IKEv2 wire format. The first input byte picks
 * the entry point (odd: a whole message; even: a decrypted chain whose
 * first payload type is the second byte); the rest is the input. Built only
 * on request, with clang:
 *   CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/unit/ikev2/fuzz-ikev2
 *   build-fuzz/tests/unit/ikev2/fuzz-ikev2 -max_total_time=60
 */
#include <stdlib.h>
#include <string.h>

#define EXERCISE_CHECK(x) do { if (!(x)) abort(); } while (0)
#include "exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct ikev2_message m;
    static struct ikev2_payload_list inner;
    struct ikev2_parse_status st;
    char line[256];

    if (size < 2)
        return 0;
    if (data[0] & 1) {
        if (ikev2_message_parse(data + 1, size - 1, &m, &st) < 0) {
            ikev2_parse_status_format(&st, line, sizeof(line));
            return 0;
        }
        exercise_payloads(data + 1, size - 1, &m.payloads);
        inner.n = 0;
        if (m.sk && m.sk->type == IKEV2_PAYLOAD_SK &&
            ikev2_chain_parse(m.sk->body, m.sk->len, m.sk->next_type, m.sk->offset + 4, &inner, &st) == 0)
            exercise_payloads(data + 1, size - 1, &inner);
        ikev2_message_describe(&m.header, &m.payloads, inner.n ? &inner : NULL, line, sizeof(line));
    } else if (ikev2_chain_parse(data + 2, size - 2, data[1], 0, &inner, &st) == 0) {
        exercise_payloads(data + 2, size - 2, &inner);
    }
    return 0;
}
