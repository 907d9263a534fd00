/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The padded PSK kept per tunnel group secret and PRF (ikev2-psk-pad.c):
 * the value is RFC 7296 2.15's prf(secret, "Key Pad for IKEv2") (checked
 * against Python's hmac), kept per PRF, the same from the cache as
 * computed, and wiped with the secret.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"
#include "crypto.h"
#include "ikev2-psk-pad.h"
#include "testing.h"

static const char psk[] = "correct horse battery staple";
/* hmac.new(psk, b"Key Pad for IKEv2", sha256 / sha384) */
static const char pad_sha256[] = "979c3f18faf154e0952187eec3766299b65b7535bef70169dfa176253b95f978";
static const char pad_sha384[] =
    "f92ff91a9588df56e4c4dcd7726fea236079cf840a21b0ab17f472e3664d5b614b504cbee3d55af830e3445cb9d2bc9f";

static bool hex_is(const uint8_t *buf, size_t len, const char *hex)
{
    if (strlen(hex) != 2 * len)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1 || buf[i] != v)
            return false;
    }
    return true;
}

static void make_secret(struct config_secret *s)
{
    s->len = strlen(psk);
    s->data = malloc(s->len);
    memcpy(s->data, psk, s->len);
    s->pads = calloc(CONFIG_SECRET_PADS, sizeof(*s->pads));
}

static void test_values_and_cache(void)
{
    const struct crypto_prf *sha256 = crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_256);
    const struct crypto_prf *sha384 = crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_384);
    struct config_secret secret = { 0 };
    uint8_t out[CRYPTO_PRF_OUT_MAX];

    CHECK(sha256 && sha384);
    make_secret(&secret);
    CHECK_INT_EQ(ikev2_psk_pad(&secret, sha256, out), 32);
    CHECK(hex_is(out, 32, pad_sha256));
    /* Kept in a slot of its own. */
    CHECK_INT_EQ(secret.pads[0].prf_id, CRYPTO_PRF_HMAC_SHA2_256);
    CHECK(hex_is(secret.pads[0].key, 32, pad_sha256));

    CHECK_INT_EQ(ikev2_psk_pad(&secret, sha384, out), 48);
    CHECK(hex_is(out, 48, pad_sha384));
    CHECK_INT_EQ(secret.pads[1].prf_id, CRYPTO_PRF_HMAC_SHA2_384);

    /* From the cache: the kept value is what is handed out (a changed slot
     * shows through, so the secret itself is not used again). */
    secret.pads[0].key[0] ^= 0xff;
    memset(out, 0, sizeof(out));
    CHECK_INT_EQ(ikev2_psk_pad(&secret, sha256, out), 32);
    CHECK(out[0] == (secret.pads[0].key[0]));
    secret.pads[0].key[0] ^= 0xff;
    CHECK_INT_EQ(ikev2_psk_pad(&secret, sha256, out), 32);
    CHECK(hex_is(out, 32, pad_sha256));

    config_secret_wipe(&secret);
    CHECK(secret.pads == NULL && secret.data == NULL && secret.len == 0);
}

static void test_full_and_bad(void)
{
    const struct crypto_prf *sha256 = crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_256);
    struct config_secret secret = { 0 };
    uint8_t out[CRYPTO_PRF_OUT_MAX];

    /* Every slot taken by other PRFs: still computed, nothing kept. */
    make_secret(&secret);
    for (size_t i = 0; i < CONFIG_SECRET_PADS; i++)
        secret.pads[i].prf_id = 0xff00 + (uint16_t)i;
    CHECK_INT_EQ(ikev2_psk_pad(&secret, sha256, out), 32);
    CHECK(hex_is(out, 32, pad_sha256));
    for (size_t i = 0; i < CONFIG_SECRET_PADS; i++)
        CHECK(secret.pads[i].prf_id != CRYPTO_PRF_HMAC_SHA2_256);

    /* No cache at all (a secret built without one): computed. */
    free(secret.pads);
    secret.pads = NULL;
    CHECK_INT_EQ(ikev2_psk_pad(&secret, sha256, out), 32);
    CHECK(hex_is(out, 32, pad_sha256));
    config_secret_wipe(&secret);

    /* An empty secret has no padded key. */
    CHECK_INT_EQ(ikev2_psk_pad(&secret, sha256, out), -EINVAL);
    CHECK_INT_EQ(ikev2_psk_pad(NULL, sha256, out), -EINVAL);
}

TEST_MAIN(TEST(test_values_and_cache),
          TEST(test_full_and_bad))
