/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Big-endian loads and stores for the IKEv2 wire-format code (internal to
 * ikev2-payload*.c): the IKEv2 names of the helpers in wire.h, which the
 * IKEv1 wire code shares.
 */
#pragma once

#include "wire.h"

static inline uint16_t ikev2_get16(const uint8_t *p) { return wire_get16(p); }
static inline uint32_t ikev2_get32(const uint8_t *p) { return wire_get32(p); }
static inline uint64_t ikev2_get64(const uint8_t *p) { return wire_get64(p); }
static inline void ikev2_put16(uint8_t *p, uint16_t v) { wire_put16(p, v); }
static inline void ikev2_put32(uint8_t *p, uint32_t v) { wire_put32(p, v); }
static inline void ikev2_put64(uint8_t *p, uint64_t v) { wire_put64(p, v); }
