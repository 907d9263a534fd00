/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Without OpenSSL's legacy provider (meson runs this with OPENSSL_MODULES
 * pointing at a directory that does not exist): EAP-MSCHAPv2 refuses to start, saying
 * what is missing, and EAP-MD5 (default provider only) still works.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eap.h"
#include "eap-mschapv2-crypto.h"
#include "testing.h"

static int lookup_nobody(void *userdata, struct eap_server *srv, const char *identity, struct eap_credentials *creds)
{
    return 0;
}

static void test_environment(void)
{
    /* Guards against running this without that module directory. */
    CHECK(getenv("OPENSSL_MODULES") != NULL);
}

static void test_mschapv2_refuses_to_start(void)
{
    const uint8_t *req = NULL;
    size_t len = 0;
    uint8_t hash[16];
    struct eap_server *srv = eap_server_new(EAP_METHOD_MSCHAPV2, lookup_nobody, NULL);

    CHECK_INT_EQ(eap_mschapv2_crypto_check(), -ENOPKG);
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash((const uint8_t *)"x", 1, hash), -ENOPKG);
    CHECK(srv != NULL);
    CHECK_INT_EQ(eap_server_start(srv, NULL, &req, &len), -ENOPKG);
    CHECK_STR_EQ(eap_server_failure_reason(srv),
                 "EAP-MSCHAPv2 needs OpenSSL's legacy provider (package: libssl3 ships ossl-modules/legacy.so)");
    eap_server_free(srv);
}

static void test_md5_still_starts(void)
{
    const uint8_t *req = NULL;
    size_t len = 0;
    struct eap_server *srv = eap_server_new(EAP_METHOD_MD5, lookup_nobody, NULL);

    CHECK_INT_EQ(eap_server_start(srv, "alice", &req, &len), EAP_CONTINUE);
    CHECK(len == 5 + 1 + 16 + 4 && req[4] == EAP_TYPE_MD5);
    eap_server_free(srv);
}

TEST_MAIN(
    TEST(test_environment),
    TEST(test_mschapv2_refuses_to_start),
    TEST(test_md5_still_starts))
