/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Stateless IKE_SA_INIT cookies (RFC 7296 2.6):
 *
 *     Cookie = <VersionIDofSecret> | <Issued> | HMAC-SHA256(<secret>, Issued | Ni | IPi | SPIi)
 *
 * The secret is random (OpenSSL's generator), replaced every
 * IKEV2_COOKIE_ROTATE_USEC; the one before stays valid until the next
 * replacement, so a cookie handed out just before a rotation is still
 * accepted on the client's retry. Secrets are wiped when replaced and when
 * the jar is freed. No I/O, no protocol state: the responder decides when a
 * cookie is needed (ikev2-half-open.c). The issue time lets the responder
 * tell how long a client has been kept waiting on one cookie.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


#define IKEV2_COOKIE_ROTATE_USEC (120ULL * 1000000ULL)
#define IKEV2_COOKIE_SECRET_LEN 32
/* 4-byte version of the secret, 4-byte issue time (seconds of the
 * monotonic clock), 32-byte MAC over both and the initiator's data. */
#define IKEV2_COOKIE_LEN (4 + 4 + 32)

struct ikev2_cookie_jar;

/* -ENOMEM, or the random generator's error. */
int ikev2_cookie_jar_new(uint64_t now_usec, struct ikev2_cookie_jar **ret);
/* Wipes the secrets. NULL is fine. */
void ikev2_cookie_jar_free(struct ikev2_cookie_jar *jar);

/* The initiator's address as hashed: its family and address bytes (4 or
 * 16), not the port (a NAT may change it between the tries). */
struct ikev2_peer_addr {
    int family;                     /* AF_INET or AF_INET6 */
    uint8_t addr[16];
};

/* The cookie for this initiator (Ni, its address, SPIi in host order) under the current secret, rotating it first when due.
 * Returns IKEV2_COOKIE_LEN, or a negative errno. */
int ikev2_cookie_make(struct ikev2_cookie_jar *jar, uint64_t now_usec, const uint8_t *ni, size_t ni_len,
                      const struct ikev2_peer_addr *initiator, uint64_t ispi, uint8_t out[IKEV2_COOKIE_LEN]);

/* Whether `cookie` is what ikev2_cookie_make() gave this initiator under the
 * current or the previous secret (compared in constant time). */
bool ikev2_cookie_valid(struct ikev2_cookie_jar *jar, uint64_t now_usec, const uint8_t *cookie, size_t cookie_len,
                        const uint8_t *ni, size_t ni_len, const struct ikev2_peer_addr *initiator, uint64_t ispi);

/* How long ago a cookie that ikev2_cookie_valid() accepted was handed out
 * (from the time in it; a MAC covers it). */
uint64_t ikev2_cookie_age_usec(const uint8_t cookie[IKEV2_COOKIE_LEN], uint64_t now_usec);
