/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Big-endian loads and stores shared by the IKEv1 and IKEv2 wire-format
 * code (ikev1-payload*.c, ikev2-payload*.c). memcpy keeps them free of
 * alignment assumptions.
 */
#pragma once

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t wire_get16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return be16toh(v);
}

static inline uint32_t wire_get32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return be32toh(v);
}

static inline uint64_t wire_get64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return be64toh(v);
}

static inline void wire_put16(uint8_t *p, uint16_t v) {
    v = htobe16(v);
    memcpy(p, &v, sizeof(v));
}

static inline void wire_put32(uint8_t *p, uint32_t v) {
    v = htobe32(v);
    memcpy(p, &v, sizeof(v));
}

static inline void wire_put64(uint8_t *p, uint64_t v) {
    v = htobe64(v);
    memcpy(p, &v, sizeof(v));
}
