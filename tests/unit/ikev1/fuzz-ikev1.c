/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness for the IKEv1 wire format. The first input byte picks
 * the entry point (odd: a whole message; even: a decrypted chain, padding
 * allowed, whose first payload type is the second byte); the rest is the
 * input. Built only on request, with clang:
 *   CC=clang meson setup build-fuzz && ninja -C build-fuzz tests/unit/ikev1/fuzz-ikev1
 *   build-fuzz/tests/unit/ikev1/fuzz-ikev1 -max_total_time=60
 */
#include <stdlib.h>
#include <string.h>

#define EXERCISE_CHECK(x) do { if (!(x)) abort(); } while (0)
#include "exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct ikev1_message m;
    static struct ikev1_payload_list list;
    struct ikev1_parse_status st;
    char line[256];

    if (size < 2)
        return 0;
    if (data[0] & 1) {
        if (ikev1_message_parse(data + 1, size - 1, &m, &st) < 0) {
            ikev1_parse_status_format(&st, line, sizeof(line));
            return 0;
        }
        if (m.encrypted) {
            if (ikev1_chain_parse(m.body, m.body_len, m.header.next_payload, IKEV1_HEADER_LEN,
                                  IKEV1_CHAIN_DECRYPTED, &list, &st) == 0)
                exercise_payloads(data + 1, size - 1, &list);
        } else {
            exercise_payloads(data + 1, size - 1, &m.payloads);
        }
        ikev1_message_describe(&m.header, NULL, m.encrypted ? NULL : &m.payloads, line, sizeof(line));
    } else if (ikev1_chain_parse(data + 2, size - 2, data[1], 0, IKEV1_CHAIN_DECRYPTED, &list, &st) == 0) {
        exercise_payloads(data + 2, size - 2, &list);
    }
    return 0;
}
