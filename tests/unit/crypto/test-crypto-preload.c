/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * crypto_preload (daemon/crypto-preload.c): every kind of algorithm IKE
 * needs is found in OpenSSL's default provider, again on a second call,
 * and X25519 works right after it.
 */
#include "crypto.h"
#include "crypto-dh.h"
#include "crypto-preload.h"
#include "testing.h"

static void test_preload(void)
{
    CHECK_INT_EQ(crypto_preload(), 0);
    CHECK_INT_EQ(crypto_preload(), 0);
    const struct crypto_dh_group *g = crypto_dh_group_find(31);
    CHECK(g != NULL);
    struct crypto_dh *a = NULL, *b = NULL;
    CHECK_INT_EQ(crypto_dh_new(g, &a), 0);
    CHECK_INT_EQ(crypto_dh_new(g, &b), 0);
    crypto_dh_free(a);
    crypto_dh_free(b);
}

TEST_MAIN(TEST(test_preload))
