/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * MS-CHAPv2 and MPPE key derivation against the RFCs' own examples:
 * RFC 2759 section 9.2 (UserName "User", Password "clientPass") and
 * RFC 3079 section 3.5.3 (128-bit keys from the same exchange).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "eap-mschapv2-crypto.h"
#include "testing.h"
#include "../crypto/hex.h"

#define AUTH_CHALLENGE "5B5D7C7D7B3F2F3E3C2C602132262628"
#define PEER_CHALLENGE "21402324255E262A28295F2B3A337C7E"
#define PASSWORD_HASH  "44EBBA8D5312B8D611474411F56989AE"
#define NT_RESPONSE    "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"

static void test_legacy_provider_available(void)
{
    /* The machine running the tests has libssl3's legacy.so. */
    CHECK_INT_EQ(eap_mschapv2_crypto_check(), 0);
}

static void test_rfc2759_nt_password_hash(void)
{
    uint8_t hash[16];

    CHECK_INT_EQ(eap_mschapv2_nt_password_hash((const uint8_t *)"clientPass", 10, hash), 0);
    CHECK(hex_equal(hash, 16, PASSWORD_HASH));
}

static void test_rfc2759_challenge_hash(void)
{
    uint8_t auth[16], peer[16], challenge[8];

    unhex(AUTH_CHALLENGE, auth, sizeof(auth));
    unhex(PEER_CHALLENGE, peer, sizeof(peer));
    CHECK_INT_EQ(eap_mschapv2_challenge_hash(peer, auth, "User", 4, challenge), 0);
    CHECK(hex_equal(challenge, 8, "D02E4386BCE91226"));
}

static void test_rfc2759_nt_response(void)
{
    uint8_t auth[16], peer[16], hash[16], response[24];

    unhex(AUTH_CHALLENGE, auth, sizeof(auth));
    unhex(PEER_CHALLENGE, peer, sizeof(peer));
    unhex(PASSWORD_HASH, hash, sizeof(hash));
    CHECK_INT_EQ(eap_mschapv2_nt_response(auth, peer, "User", 4, hash, response), 0);
    CHECK(hex_equal(response, 24, NT_RESPONSE));

    /* One bit of the password hash changes it. */
    hash[15] ^= 1;
    CHECK_INT_EQ(eap_mschapv2_nt_response(auth, peer, "User", 4, hash, response), 0);
    CHECK(!hex_equal(response, 24, NT_RESPONSE));
}

static void test_rfc2759_authenticator_response(void)
{
    uint8_t auth[16], peer[16], hash[16], nt[24];
    char out[MSCHAPV2_AUTH_RESPONSE_LEN + 1];

    unhex(AUTH_CHALLENGE, auth, sizeof(auth));
    unhex(PEER_CHALLENGE, peer, sizeof(peer));
    unhex(PASSWORD_HASH, hash, sizeof(hash));
    unhex(NT_RESPONSE, nt, sizeof(nt));
    CHECK_INT_EQ(eap_mschapv2_authenticator_response(hash, nt, peer, auth, "User", 4, out), 0);
    CHECK_STR_EQ(out, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
    CHECK_INT_EQ(strlen(out), MSCHAPV2_AUTH_RESPONSE_LEN);
}

static void test_rfc3079_master_and_start_keys(void)
{
    uint8_t hash[16], nt[24], master[16], key[16];

    unhex(PASSWORD_HASH, hash, sizeof(hash));
    unhex(NT_RESPONSE, nt, sizeof(nt));
    CHECK_INT_EQ(eap_mschapv2_master_key(hash, nt, master), 0);
    CHECK(hex_equal(master, 16, "FDECE3717A8C838CB388E527AE3CDD31"));

    /* RFC 3079 3.5.3 SendStartKey128: the server's send key (Magic3),
     * which is also the client's receive key. */
    CHECK_INT_EQ(eap_mschapv2_asymmetric_start_key(master, true, true, key), 0);
    CHECK(hex_equal(key, 16, "8B7CDC149B993A1BA118CB153F56DCCB"));
    CHECK_INT_EQ(eap_mschapv2_asymmetric_start_key(master, false, false, key), 0);
    CHECK(hex_equal(key, 16, "8B7CDC149B993A1BA118CB153F56DCCB"));

    /* The other direction (Magic2): SHA1(MasterKey | 40 x 00 | Magic2 |
     * 40 x F2), computed independently with Python's hashlib. */
    CHECK_INT_EQ(eap_mschapv2_asymmetric_start_key(master, false, true, key), 0);
    CHECK(hex_equal(key, 16, "D5F0E9521E3EA9589645E86051C82226"));
    CHECK_INT_EQ(eap_mschapv2_asymmetric_start_key(master, true, false, key), 0);
    CHECK(hex_equal(key, 16, "D5F0E9521E3EA9589645E86051C82226"));
}

static void test_msk_layout(void)
{
    uint8_t hash[16], nt[24], msk[64], zero[32] = { 0 };

    unhex(PASSWORD_HASH, hash, sizeof(hash));
    unhex(NT_RESPONSE, nt, sizeof(nt));
    CHECK_INT_EQ(eap_mschapv2_msk(hash, nt, msk), 0);
    /* Server receive key, server send key, 32 zero bytes (strongSwan, Windows). */
    CHECK(hex_equal(msk, 16, "D5F0E9521E3EA9589645E86051C82226"));
    CHECK(hex_equal(msk + 16, 16, "8B7CDC149B993A1BA118CB153F56DCCB"));
    CHECK(memcmp(msk + 32, zero, 32) == 0);
}

static void test_nt_hash_unicode(void)
{
    uint8_t a[16], b[16];
    /* UTF-8 to UTF-16LE: "é€" (U+00E9 U+20AC) and U+1F600 (a surrogate
     * pair). Expected: `iconv -t utf-16le | openssl dgst -md4`. */
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash((const uint8_t *)"\xc3\xa9\xe2\x82\xac", 5, a), 0);
    CHECK(hex_equal(a, 16, "1A9137E78A1C1A88C1FEF82A3DC66F72"));
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash((const uint8_t *)"\xf0\x9f\x98\x80", 4, b), 0);
    CHECK(hex_equal(b, 16, "4B58A10CC20A4E7D808D218E1F80AABC"));
    /* The empty password: MD4("") */
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash((const uint8_t *)"", 0, a), 0);
    CHECK(hex_equal(a, 16, "31D6CFE0D16AE931B73C59D7E0C089C0"));

    /* Invalid UTF-8: lone continuation, overlong, surrogate, truncated. */
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash((const uint8_t *)"\x80", 1, a), -EINVAL);
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash((const uint8_t *)"\xc0\xaf", 2, a), -EINVAL);
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash((const uint8_t *)"\xed\xa0\x80", 3, a), -EINVAL);
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash((const uint8_t *)"ab\xe2\x82", 4, a), -EINVAL);
}

static void test_password_length_limit(void)
{
    uint8_t pw[300], hash[16];

    memset(pw, 'x', sizeof(pw));
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash(pw, 256, hash), 0);
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash(pw, 257, hash), -EINVAL);
}

TEST_MAIN(
    TEST(test_legacy_provider_available),
    TEST(test_rfc2759_nt_password_hash),
    TEST(test_rfc2759_challenge_hash),
    TEST(test_rfc2759_nt_response),
    TEST(test_rfc2759_authenticator_response),
    TEST(test_rfc3079_master_and_start_keys),
    TEST(test_msk_layout),
    TEST(test_nt_hash_unicode),
    TEST(test_password_length_limit))
