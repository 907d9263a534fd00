/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The generator's proposals (loadgen-suite.c): strongSwan-style strings
 * become vpnd configuration proposals, and what the generator offers on the
 * wire is what vpnd's own selection code (ikev2_choose_ike/esp) accepts.
 */
#include <string.h>

#include "ikev2-constants.h"
#include "loadgen.h"
#include "testing.h"

static void test_gcm_x25519(void)
{
    struct lg_suite s;
    char err[256] = "";
    CHECK_INT_EQ(lg_suite_parse(&s, "aes128gcm16-prfsha256-x25519", "aes128gcm16", err, sizeof(err)), 0);
    CHECK_INT_EQ(s.ike.n_encryption, 1);
    CHECK_STR_EQ(s.ike.encryption[0]->keyword, "aes128gcm16");
    CHECK_INT_EQ(s.ike.n_integrity, 0);
    CHECK_INT_EQ(s.ike.n_prf, 1);
    CHECK_STR_EQ(s.ike.prf[0]->keyword, "sha256");
    CHECK_INT_EQ(s.ike.n_dh_groups, 1);
    CHECK_INT_EQ(s.dh_group, IKEV2_DH_CURVE25519);
    CHECK(s.ike.aead);
    CHECK(s.esp.aead);
    CHECK_INT_EQ(s.esp.n_integrity, 0);
}

/* strongSwan: an integrity algorithm also names the PRF. */
static void test_cbc_implied_prf(void)
{
    struct lg_suite s;
    char err[256] = "";
    CHECK_INT_EQ(lg_suite_parse(&s, "aes256-sha256-ecp256", "aes128-sha1", err, sizeof(err)), 0);
    CHECK_INT_EQ(s.ike.n_integrity, 1);
    CHECK_STR_EQ(s.ike.integrity[0]->keyword, "sha256");
    CHECK_INT_EQ(s.ike.n_prf, 1);
    CHECK_STR_EQ(s.ike.prf[0]->keyword, "sha256");
    CHECK_INT_EQ(s.dh_group, IKEV2_DH_ECP_256);
    CHECK_INT_EQ(s.esp.n_integrity, 1);
    CHECK_STR_EQ(s.esp.integrity[0]->keyword, "sha1");
}

static void test_rejected(void)
{
    struct lg_suite s;
    char err[256];
    CHECK(lg_suite_parse(&s, "aes128gcm16-x25519", "aes128gcm16", err, sizeof(err)) < 0);   /* no PRF */
    CHECK(strstr(err, "PRF") != NULL);
    CHECK(lg_suite_parse(&s, "aes128-prfsha256-ecp256", "aes128gcm16", err, sizeof(err)) < 0);  /* no integrity */
    CHECK(lg_suite_parse(&s, "aes128gcm16-prfsha256-x25519-blowfish", "aes128gcm16", err, sizeof(err)) < 0);
    CHECK(strstr(err, "blowfish") != NULL);
    CHECK(lg_suite_parse(&s, "aes128gcm16-prfsha256-x25519", "aes128", err, sizeof(err)) < 0);  /* ESP CBC without integrity */
}

/* The offer, through the wire format and back, is what a responder
 * configured with the same algorithms chooses. */
static void test_offer_chosen(void)
{
    static struct lg_suite s, responder;
    static struct ikev2_sa offer, decoded;
    char err[256];
    CHECK_INT_EQ(lg_suite_parse(&s, "aes256gcm16-aes128gcm16-prfsha384-prfsha256-x25519-ecp256", "aes128gcm16",
                                err, sizeof(err)), 0);
    CHECK_INT_EQ(lg_suite_parse(&responder, "aes128gcm16-prfsha256-ecp256", "aes128gcm16", err, sizeof(err)), 0);
    lg_suite_ike_offer(&s, &offer);

    uint8_t buf[512];
    struct ikev2_builder b;
    size_t len = 0;
    ikev2_builder_init(&b, buf, sizeof(buf));
    ikev2_build_sa(&b, &offer);
    CHECK_INT_EQ(ikev2_builder_finish(&b, &len), 0);
    struct ikev2_payload_list list;
    struct ikev2_parse_status st;
    CHECK_INT_EQ(ikev2_chain_parse(buf, len, ikev2_builder_first_type(&b), 0, &list, &st), 0);
    CHECK_INT_EQ(list.n, 1);
    CHECK_INT_EQ(ikev2_sa_decode(&list.p[0], &decoded, &st), 0);

    struct ikev2_ike_choice choice;
    CHECK_INT_EQ(ikev2_choose_ike(&decoded, responder.ike_list, 1, &choice, NULL, NULL), 0);
    CHECK_INT_EQ(choice.encr->key_bits, 128);
    CHECK_INT_EQ(choice.prf->ikev2_id, IKEV2_PRF_HMAC_SHA2_256);
    CHECK_INT_EQ(choice.dh->ikev2_id, IKEV2_DH_ECP_256);

    lg_suite_esp_offer(&s, 0xc0ffee01, &offer);
    struct ikev2_esp_choice esp;
    CHECK_INT_EQ(ikev2_choose_esp(&offer, responder.esp_list, 1, &esp, NULL, NULL), 0);
    CHECK_INT_EQ(esp.peer_spi, 0xc0ffee01);
}

TEST_MAIN(TEST(test_gcm_x25519), TEST(test_cbc_implied_prf), TEST(test_rejected), TEST(test_offer_chosen))
