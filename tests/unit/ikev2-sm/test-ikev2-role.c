/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An IKE SA's roles (ikev2-role.c): our SPI, the Initiator flag, the keys. */
#include "ikev2-role.h"
#include "testing.h"

#define CLIENT_SPI 0x1111111111111111ULL
#define OUR_SPI    0x2222222222222222ULL

/* The IKE SA the client created (IKE_SA_INIT or its own rekey): the
 * client's requests and responses carry the Initiator flag and our SPI in
 * SPIr. */
static void test_we_respond(void)
{
    struct ikev2_header h = { .ispi = CLIENT_SPI, .rspi = OUR_SPI, .flags = IKEV2_FLAG_INITIATOR };
    CHECK(ikev2_role_local_spi(&h) == OUR_SPI);
    CHECK(ikev2_role_header_matches(&h, CLIENT_SPI, OUR_SPI, false));
    h.flags |= IKEV2_FLAG_RESPONSE;
    CHECK(ikev2_role_header_matches(&h, CLIENT_SPI, OUR_SPI, false));
    /* Without the flag the sender claims to be the original responder: us. */
    h.flags = 0;
    CHECK(!ikev2_role_header_matches(&h, CLIENT_SPI, OUR_SPI, false));
    /* The same SPIs on an SA where we would be the initiator do not fit. */
    h.flags = IKEV2_FLAG_INITIATOR;
    CHECK(!ikev2_role_header_matches(&h, CLIENT_SPI, OUR_SPI, true));
    /* Another SPI pair does not fit. */
    h.ispi = CLIENT_SPI + 1;
    CHECK(!ikev2_role_header_matches(&h, CLIENT_SPI, OUR_SPI, false));

    CHECK_INT_EQ(ikev2_role_flags(false, true), IKEV2_FLAG_RESPONSE);
    CHECK_INT_EQ(ikev2_role_flags(false, false), 0);
    CHECK(!ikev2_role_keys_send(false));        /* SK_er/SK_ar */
    CHECK(ikev2_role_keys_receive(false));      /* SK_ei/SK_ai */
}

/* The IKE SA vpnd created by rekeying (RFC 7296 2.18): our SPI is SPIi,
 * the client's messages carry no Initiator flag, ours do. */
static void test_we_initiated(void)
{
    struct ikev2_header h = { .ispi = OUR_SPI, .rspi = CLIENT_SPI, .flags = IKEV2_FLAG_RESPONSE };
    CHECK(ikev2_role_local_spi(&h) == OUR_SPI);
    CHECK(ikev2_role_header_matches(&h, OUR_SPI, CLIENT_SPI, true));
    h.flags = 0;                                /* a request from the client */
    CHECK(ikev2_role_local_spi(&h) == OUR_SPI);
    CHECK(ikev2_role_header_matches(&h, OUR_SPI, CLIENT_SPI, true));
    h.flags = IKEV2_FLAG_INITIATOR;             /* our own message reflected back */
    CHECK(ikev2_role_local_spi(&h) == CLIENT_SPI);
    CHECK(!ikev2_role_header_matches(&h, OUR_SPI, CLIENT_SPI, true));

    CHECK_INT_EQ(ikev2_role_flags(true, false), IKEV2_FLAG_INITIATOR);
    CHECK_INT_EQ(ikev2_role_flags(true, true), IKEV2_FLAG_INITIATOR | IKEV2_FLAG_RESPONSE);
    CHECK(ikev2_role_keys_send(true));          /* SK_ei/SK_ai */
    CHECK(!ikev2_role_keys_receive(true));      /* SK_er/SK_ar */
}

/* RFC 7296 2.8.2: the exchange with the lowest of the four nonces made
 * the redundant SA, wherever that nonce is. */
static void test_rekey_collision(void)
{
    const uint8_t n10[] = { 0x10, 0x00 }, n20[] = { 0x20, 0x00 }, n30[] = { 0x30, 0x00 }, n40[] = { 0x40, 0x00 };
    const uint8_t n10_short[] = { 0x10 };
    CHECK(ikev2_rekey_collision_ours_redundant(n10, 2, n30, 2, n20, 2, n40, 2));     /* our Ni lowest */
    CHECK(ikev2_rekey_collision_ours_redundant(n30, 2, n10, 2, n20, 2, n40, 2));     /* our Nr lowest */
    CHECK(!ikev2_rekey_collision_ours_redundant(n30, 2, n20, 2, n10, 2, n40, 2));    /* their Ni lowest */
    CHECK(!ikev2_rekey_collision_ours_redundant(n30, 2, n20, 2, n40, 2, n10, 2));    /* their Nr lowest */
    /* a nonce that is a prefix of another is the lower one */
    CHECK(!ikev2_rekey_collision_ours_redundant(n10, 2, n30, 2, n10_short, 1, n40, 2));
    CHECK(ikev2_rekey_collision_ours_redundant(n10_short, 1, n30, 2, n10, 2, n40, 2));
}

TEST_MAIN(TEST(test_we_respond),
          TEST(test_we_initiated),
          TEST(test_rekey_collision))
