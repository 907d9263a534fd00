/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two copies of one IKE_SA_INIT request, with and without a COOKIE
 * (daemon/ikev2-init-copy.c): strongSwan's request and the same with a
 * leading N(COOKIE) are one request; a change anywhere else (the nonce,
 * the KE, the proposals, the SPI, a notify more) makes them two.
 */
#include <stdlib.h>
#include <string.h>

#include "ikev2-init-copy.h"
#include "strongswan-ike-sa-init.h"
#include "testing.h"

#define BASE_LEN sizeof(strongswan_ike_sa_init)

/* strongSwan's request with N(COOKIE) of `cookie_len` bytes (all `fill`)
 * first, as RFC 7296 2.6 has the retry; returns its length. */
static size_t with_cookie(uint8_t *out, uint8_t fill, size_t cookie_len)
{
    size_t n_len = 8 + cookie_len, len = BASE_LEN + n_len;
    memcpy(out, strongswan_ike_sa_init, 28);
    out[16] = 41;                                   /* first payload: Notify */
    out[24] = (uint8_t)(len >> 24);
    out[25] = (uint8_t)(len >> 16);
    out[26] = (uint8_t)(len >> 8);
    out[27] = (uint8_t)len;
    uint8_t *n = out + 28;
    n[0] = strongswan_ike_sa_init[16];              /* then what came first */
    n[1] = 0;
    n[2] = (uint8_t)(n_len >> 8);
    n[3] = (uint8_t)n_len;
    n[4] = 0;                                       /* protocol */
    n[5] = 0;                                       /* SPI size */
    n[6] = 0x40;                                    /* COOKIE (16390) */
    n[7] = 0x06;
    memset(n + 8, fill, cookie_len);
    memcpy(out + 28 + n_len, strongswan_ike_sa_init + 28, BASE_LEN - 28);
    return len;
}

static void same_but_for_the_cookie(void)
{
    uint8_t a[BASE_LEN + 64], b[BASE_LEN + 64];
    size_t a_len = with_cookie(a, 0x11, 36), b_len = with_cookie(b, 0x22, 20);

    CHECK(ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, strongswan_ike_sa_init, BASE_LEN));
    CHECK(ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, a, a_len));
    CHECK(ikev2_init_copy_same_request(a, a_len, strongswan_ike_sa_init, BASE_LEN));
    CHECK(ikev2_init_copy_same_request(a, a_len, b, b_len));
}

/* One byte changed in the last payload (a notify after the nonce), in the
 * middle (the proposals) or in the SPI: another request. */
static void any_other_change(void)
{
    uint8_t a[BASE_LEN + 64];
    size_t a_len = with_cookie(a, 0x11, 36);
    const size_t offsets[] = { a_len - 1, 28 + 44 + 60, 3 };

    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        uint8_t b[BASE_LEN + 64];
        memcpy(b, a, a_len);
        b[offsets[i]] ^= 0x01;
        CHECK(!ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, b, a_len));
    }
}

/* A notify other than COOKIE first is part of the request; truncated or
 * empty input is no request at all. */
static void not_a_cookie_or_not_parsable(void)
{
    uint8_t a[BASE_LEN + 64];
    size_t a_len = with_cookie(a, 0x11, 36);

    a[28 + 7] = 0x07;                               /* 16391: not COOKIE */
    CHECK(!ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, a, a_len));
    CHECK(!ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, strongswan_ike_sa_init, BASE_LEN - 1));
    CHECK(!ikev2_init_copy_same_request(strongswan_ike_sa_init, BASE_LEN, a, 27));
    CHECK(!ikev2_init_copy_same_request(NULL, 0, strongswan_ike_sa_init, BASE_LEN));
}

TEST_MAIN(
    TEST(same_but_for_the_cookie),
    TEST(any_other_change),
    TEST(not_a_cookie_or_not_parsable),
)
