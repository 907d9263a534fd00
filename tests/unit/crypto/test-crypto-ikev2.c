/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 key derivation and shared-key AUTH against values computed
 * independently with Python's hmac module (vectors.py, run at development
 * time; the hex strings below are its output).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-ikev2.h"
#include "crypto-prf.h"
#include "hex.h"
#include "testing.h"

/* The inputs vectors.py uses. */
static uint8_t ni[32], nr[32], gir[64], msg[200];
static const uint8_t spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t spi_r[8] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8 };

static void inputs(void)
{
    for (int i = 0; i < 32; i++) {
        ni[i] = (uint8_t)i;
        nr[i] = (uint8_t)(0x20 + i);
    }
    for (int i = 0; i < 64; i++)
        gir[i] = (uint8_t)(i * 7 + 3);
    for (int i = 0; i < 200; i++)
        msg[i] = (uint8_t)i;
}

/* SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr, as prf+ produced it. */
static size_t concat_keys(const struct crypto_ike_keys *k, uint8_t *out)
{
    size_t n = 0;
#define PUT(f) do { memcpy(out + n, k->f, k->f##_len); n += k->f##_len; } while (0)
    PUT(sk_d); PUT(sk_ai); PUT(sk_ar); PUT(sk_ei); PUT(sk_er); PUT(sk_pi); PUT(sk_pr);
#undef PUT
    return n;
}

static const char keymat_a[] =
    "6712477ca27824ab1e44b0a79f29739cb628f0d9c816d53bc9d4ab83f93b57c6e4c82173b628aeab04d5dede"
    "7f34eded1089a72c3e3834f13e87d0666988f33c806ff68707caf713ba4a32917eff0d25fd972f8f0365a0fc"
    "2b11adbea37c0cab9a1ebe7a3dfc1e63d0b5dc3ba8be78e1028e24fd0530e32c52e1216ed50d799ae28181b1"
    "4a626326c3269c7d0571eaacf8c415335c5e1b3a709c2e6d4b71df1a4f9ab7cc87e7c66b14a3834cf83635da"
    "407a0295a1a217fa0df61650851cf9d97e46e7247638b91fafd97768c3b69d14af066ced10acdc15b6914b37"
    "0c2ea0f9";

static const char keymat_b[] =
    "68fb87d98c6b72d19f05de58c2cdddf7a4df6a48d603b67efbc478503a6d0bd6dc553ee4db06a020b105e836"
    "e21cdb5966146508741ab227c03ed263102d62357459d2dad263f3eb89059c93fb5c4531c111e899942ff999"
    "2a8ba8414d0425554cf8aaf20c1cf525d180506de53e6398ce8b86dc58b2582d6adae74e0696bb1c13cb1b6e"
    "f318f1b2de1e046bca34861b27f5efa0407b89363e315b17e5e6b36bc317522ba953b11e9e6ef76a76f535f0"
    "73713a5a8fd8677aff2a8423842657f57bca491cd103360f8d47e4dc1fefc88f51ba08f68d6aa1d4";

/* Suite A: AES-CBC-256, HMAC-SHA2-256-128, PRF-HMAC-SHA2-256. */
static struct crypto_ike_suite suite_a(void)
{
    return (struct crypto_ike_suite) {
        .encr = crypto_encr_find(CRYPTO_ENCR_AES_CBC, 256),
        .integ = crypto_integ_find(CRYPTO_INTEG_HMAC_SHA2_256_128),
        .prf = crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_256),
        .dh = crypto_dh_group_find(CRYPTO_DH_ECP_256),
    };
}

/* Suite B: AES-GCM-16-256 (AEAD), PRF-HMAC-SHA2-384. */
static struct crypto_ike_suite suite_b(void)
{
    return (struct crypto_ike_suite) {
        .encr = crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 256),
        .prf = crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_384),
    };
}

static int derive_a(struct crypto_ike_keys *k)
{
    struct crypto_ike_suite s = suite_a();
    return crypto_ikev2_derive_ike_keys(&s, gir, 64, ni, 32, nr, 32, spi_i, spi_r, k);
}

static void test_ike_keys_cbc(void)
{
    struct crypto_ike_keys k;
    uint8_t all[7 * CRYPTO_KEY_MAX];

    inputs();
    CHECK_INT_EQ(derive_a(&k), 0);
    CHECK_INT_EQ(k.sk_d_len, 32);
    CHECK_INT_EQ(k.sk_ai_len, 32);
    CHECK_INT_EQ(k.sk_ei_len, 32);
    CHECK_INT_EQ(k.sk_pr_len, 32);
    CHECK(hex_equal(all, concat_keys(&k, all), keymat_a));
    CHECK(k.suite.encr == crypto_encr_find(CRYPTO_ENCR_AES_CBC, 256));
    crypto_ike_keys_wipe(&k);
    CHECK_INT_EQ(k.sk_d[0] | k.sk_pr[31], 0);
    CHECK_INT_EQ(k.sk_d_len, 0);
}

static void test_ike_keys_aead(void)
{
    struct crypto_ike_suite s = suite_b();
    struct crypto_ike_keys k;
    uint8_t all[7 * CRYPTO_KEY_MAX];

    inputs();
    CHECK_INT_EQ(crypto_ikev2_derive_ike_keys(&s, gir, 64, ni, 32, nr, 32, spi_i, spi_r, &k), 0);
    CHECK_INT_EQ(k.sk_ai_len, 0);
    CHECK_INT_EQ(k.sk_ar_len, 0);
    CHECK_INT_EQ(k.sk_ei_len, 36);          /* 32-byte key + 4-byte salt */
    CHECK_INT_EQ(k.sk_d_len, 48);
    CHECK(hex_equal(all, concat_keys(&k, all), keymat_b));
    crypto_ike_keys_wipe(&k);
}

static void test_ike_keys_invalid(void)
{
    struct crypto_ike_suite s = suite_a();
    struct crypto_ike_keys k;

    inputs();
    /* Nonces shorter than 16 or longer than 256 bytes. */
    CHECK_INT_EQ(crypto_ikev2_derive_ike_keys(&s, gir, 64, ni, 15, nr, 32, spi_i, spi_r, &k), -EINVAL);
    CHECK_INT_EQ(crypto_ikev2_derive_ike_keys(&s, gir, 64, ni, 32, nr, 257, spi_i, spi_r, &k), -EINVAL);
    CHECK_INT_EQ(crypto_ikev2_derive_ike_keys(&s, gir, 0, ni, 32, nr, 32, spi_i, spi_r, &k), -EINVAL);
    /* AEAD with an integrity transform, CBC without one. */
    s.encr = crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 128);
    CHECK_INT_EQ(crypto_ikev2_derive_ike_keys(&s, gir, 64, ni, 32, nr, 32, spi_i, spi_r, &k), -EINVAL);
    s = suite_a();
    s.integ = NULL;
    CHECK_INT_EQ(crypto_ikev2_derive_ike_keys(&s, gir, 64, ni, 32, nr, 32, spi_i, spi_r, &k), -EINVAL);
    s = suite_a();
    s.prf = NULL;
    CHECK_INT_EQ(crypto_ikev2_derive_ike_keys(&s, gir, 64, ni, 32, nr, 32, spi_i, spi_r, &k), -EINVAL);
}

static void test_rekey(void)
{
    struct crypto_ike_suite b = suite_b();
    struct crypto_ike_keys old, k;
    uint8_t ni2[16], nr2[32], all[7 * CRYPTO_KEY_MAX];
    const uint8_t spi_i2[8] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
    const uint8_t spi_r2[8] = { 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
    static const char expected[] =
        "b4b899fcc58bac486271e1bcbc6d1245e09d6827366215110e2b589254891f15edf36de92809deee8784a6dc"
        "fb6a50ba8e1d718b0c635ad8586dac29710c546aab18883a4dc1162b4422675c2371c1f96ff38fd291a0de3d"
        "c7de947f25f7c3cf4b1e866ee970f7e42b4d32f853a9ac12ea6797703d9ec891a2110e98ef38e68820c9f1e2"
        "92a98abb8a7d1b37129bd38bfeb81243b3381acf2950c156857a17857d571599fc6b6aa60b6ef1d4eda918fd"
        "82f58254ecf78dc59afeb207b65fd10d04d5ef1a1dec4a841a34b7ab59a62a47e1b4ff8d00c6b7bb";

    inputs();
    for (int i = 0; i < 16; i++)
        ni2[i] = (uint8_t)(0x40 + i);
    for (int i = 0; i < 32; i++)
        nr2[i] = (uint8_t)(0x50 + i);
    CHECK_INT_EQ(derive_a(&old), 0);
    /* Old SA: suite A (its PRF makes SKEYSEED); new SA: suite B. */
    CHECK_INT_EQ(crypto_ikev2_derive_rekeyed_ike_keys(&old, &b, gir, 64, ni2, 16, nr2, 32,
                                                      spi_i2, spi_r2, &k), 0);
    CHECK(hex_equal(all, concat_keys(&k, all), expected));
    CHECK(k.suite.prf == b.prf);
    /* In place: the result replaces the old keys. */
    CHECK_INT_EQ(crypto_ikev2_derive_rekeyed_ike_keys(&old, &old.suite, gir, 64, ni2, 16, nr2, 32,
                                                      spi_i2, spi_r2, &old), 0);
    CHECK(old.suite.prf == crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_256));
    CHECK_INT_EQ(old.sk_ei_len, 32);
    crypto_ike_keys_wipe(&old);
    CHECK_INT_EQ(crypto_ikev2_derive_rekeyed_ike_keys(&old, &b, gir, 64, ni2, 16, nr2, 32,
                                                      spi_i2, spi_r2, &k), -EINVAL);
    crypto_ike_keys_wipe(&k);
}

static void test_child_keys(void)
{
    struct crypto_ike_keys ike;
    struct crypto_child_keys c;
    const struct crypto_encr *cbc = crypto_encr_find(CRYPTO_ENCR_AES_CBC, 128);
    const struct crypto_encr *gcm = crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 128);
    const struct crypto_integ *sha1 = crypto_integ_find(CRYPTO_INTEG_HMAC_SHA1_96);
    uint8_t all[4 * CRYPTO_KEY_MAX];
    size_t n = 0;

    inputs();
    CHECK_INT_EQ(derive_a(&ike), 0);

    /* Without PFS: KEYMAT = prf+(SK_d, Ni | Nr), split ei | ai | er | ar. */
    CHECK_INT_EQ(crypto_ikev2_derive_child_keys(&ike, cbc, sha1, NULL, 0, ni, 32, nr, 32, &c), 0);
    CHECK_INT_EQ(c.i_to_r.enc_key_len, 16);
    CHECK_INT_EQ(c.i_to_r.integ_key_len, 20);
    CHECK(c.r_to_i.encr == cbc && c.r_to_i.integ == sha1);
    memcpy(all + n, c.i_to_r.enc_key, 16);   n += 16;
    memcpy(all + n, c.i_to_r.integ_key, 20); n += 20;
    memcpy(all + n, c.r_to_i.enc_key, 16);   n += 16;
    memcpy(all + n, c.r_to_i.integ_key, 20); n += 20;
    CHECK(hex_equal(all, n, "1328697c8b42138c3d48b24a0d442c824bc68b6825224139143fd7c165c491dc"
                            "771d588b8f12dcf30cf6f55512d97508957981e0a0cca02d298687cb66dc5839"
                            "04a8711880fbfc54"));

    /* With PFS, AES-GCM-16-128: KEYMAT = prf+(SK_d, g^ir | Ni | Nr); each
     * direction's key is 16 bytes of key and the 4-byte salt. */
    CHECK_INT_EQ(crypto_ikev2_derive_child_keys(&ike, gcm, NULL, gir, 64, ni, 32, nr, 32, &c), 0);
    CHECK_INT_EQ(c.i_to_r.enc_key_len, 20);
    CHECK_INT_EQ(c.i_to_r.integ_key_len, 0);
    CHECK(c.i_to_r.integ == NULL);
    memcpy(all, c.i_to_r.enc_key, 20);
    memcpy(all + 20, c.r_to_i.enc_key, 20);
    CHECK(hex_equal(all, 40, "990dcaef2220dfd4497dcbef0f09704bfecc8b24ddac6034800d4ce437f905b0"
                             "b005afa6200a8ab3"));

    CHECK_INT_EQ(crypto_ikev2_derive_child_keys(&ike, gcm, sha1, NULL, 0, ni, 32, nr, 32, &c), -EINVAL);
    CHECK_INT_EQ(crypto_ikev2_derive_child_keys(&ike, cbc, NULL, NULL, 0, ni, 32, nr, 32, &c), -EINVAL);
    CHECK_INT_EQ(crypto_ikev2_derive_child_keys(&ike, cbc, sha1, NULL, 5, ni, 32, nr, 32, &c), -EINVAL);
    CHECK_INT_EQ(crypto_ikev2_derive_child_keys(&ike, cbc, sha1, NULL, 0, ni, 8, nr, 32, &c), -EINVAL);
    crypto_child_keys_wipe(&c);
    CHECK_INT_EQ(c.i_to_r.enc_key_len | c.i_to_r.enc_key[0], 0);
    crypto_ike_keys_wipe(&ike);
}

static const uint8_t idr[] = { 2, 0, 0, 0, 'v', 'p', 'n', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',
                               '.', 'c', 'o', 'm' };
static const uint8_t idi[] = { 1, 0, 0, 0, 192, 0, 2, 1 };
static const char psk[] = "correct horse battery staple";

static void test_psk_auth(void)
{
    struct crypto_ike_keys k;
    uint8_t auth[CRYPTO_PRF_OUT_MAX];
    /* The responder's AUTH: its IKE_SA_INIT response, the initiator's nonce, IDr. */
    struct crypto_auth_input r_in = { false, msg, sizeof(msg), ni, 32, idr, sizeof(idr) };
    struct crypto_auth_input i_in = { true, msg, sizeof(msg), nr, 32, idi, sizeof(idi) };
    static const char auth_r[] = "121901d9ab2407b6f9eafe2f0e44cbf6f94e39db7c3712ce7aef9a8824061970";
    static const char auth_i[] = "fa67e0e01ed2a7b16cbf6140b65a7ab4bc0e52053c7ce25f054e29a1d54d0c92";
    int r;

    inputs();
    CHECK_INT_EQ(derive_a(&k), 0);
    r = crypto_ikev2_psk_auth(&k, &r_in, psk, strlen(psk), auth, sizeof(auth));
    CHECK_INT_EQ(r, 32);
    CHECK(hex_equal(auth, 32, auth_r));
    r = crypto_ikev2_psk_auth(&k, &i_in, psk, strlen(psk), auth, sizeof(auth));
    CHECK_INT_EQ(r, 32);
    CHECK(hex_equal(auth, 32, auth_i));

    CHECK_INT_EQ(crypto_ikev2_psk_auth_verify(&k, &i_in, psk, strlen(psk), auth, 32), 1);
    auth[31] ^= 0x80;
    CHECK_INT_EQ(crypto_ikev2_psk_auth_verify(&k, &i_in, psk, strlen(psk), auth, 32), 0);
    auth[31] ^= 0x80;
    CHECK_INT_EQ(crypto_ikev2_psk_auth_verify(&k, &i_in, psk, strlen(psk), auth, 31), 0);
    CHECK_INT_EQ(crypto_ikev2_psk_auth_verify(&k, &i_in, psk, strlen(psk), auth, 0), 0);
    CHECK_INT_EQ(crypto_ikev2_psk_auth_verify(&k, &i_in, "wrong", 5, auth, 32), 0);
    /* The other side's AUTH is not this side's. */
    CHECK_INT_EQ(crypto_ikev2_psk_auth_verify(&k, &r_in, psk, strlen(psk), auth, 32), 0);

    /* In two steps (the padded key kept per secret): the same values. */
    uint8_t padded[CRYPTO_PRF_OUT_MAX];
    CHECK_INT_EQ(crypto_ikev2_psk_pad(k.suite.prf, psk, strlen(psk), padded, sizeof(padded)), 32);
    CHECK(hex_equal(padded, 32, "979c3f18faf154e0952187eec3766299b65b7535bef70169dfa176253b95f978"));
    r = crypto_ikev2_psk_auth_padded(&k, &r_in, padded, 32, auth, sizeof(auth));
    CHECK_INT_EQ(r, 32);
    CHECK(hex_equal(auth, 32, auth_r));
    r = crypto_ikev2_psk_auth_padded(&k, &i_in, padded, 32, auth, sizeof(auth));
    CHECK_INT_EQ(r, 32);
    CHECK(hex_equal(auth, 32, auth_i));
    CHECK_INT_EQ(crypto_ikev2_psk_auth_padded_verify(&k, &i_in, padded, 32, auth, 32), 1);
    CHECK_INT_EQ(crypto_ikev2_psk_auth_padded_verify(&k, &r_in, padded, 32, auth, 32), 0);
    CHECK_INT_EQ(crypto_ikev2_psk_auth_padded_verify(&k, &i_in, padded, 32, auth, 31), 0);
    auth[0] ^= 1;
    CHECK_INT_EQ(crypto_ikev2_psk_auth_padded_verify(&k, &i_in, padded, 32, auth, 32), 0);
    auth[0] ^= 1;
    /* The padded key must be the PRF's length. */
    CHECK_INT_EQ(crypto_ikev2_psk_auth_padded(&k, &i_in, padded, 31, auth, sizeof(auth)), -EINVAL);
    CHECK_INT_EQ(crypto_ikev2_psk_auth_padded(&k, &i_in, padded, 32, auth, 31), -ENOBUFS);
    CHECK_INT_EQ(crypto_ikev2_psk_pad(k.suite.prf, psk, 0, padded, sizeof(padded)), -EINVAL);
    crypto_wipe(padded, sizeof(padded));

    CHECK_INT_EQ(crypto_ikev2_psk_auth(&k, &i_in, psk, strlen(psk), auth, 31), -ENOBUFS);
    CHECK_INT_EQ(crypto_ikev2_psk_auth(&k, &i_in, psk, 0, auth, sizeof(auth)), -EINVAL);
    i_in.nonce_len = 15;
    CHECK_INT_EQ(crypto_ikev2_psk_auth(&k, &i_in, psk, strlen(psk), auth, sizeof(auth)), -EINVAL);
    i_in.nonce_len = 32;
    i_in.id_body_len = 3;
    CHECK_INT_EQ(crypto_ikev2_psk_auth(&k, &i_in, psk, strlen(psk), auth, sizeof(auth)), -EINVAL);
    crypto_ike_keys_wipe(&k);
}

static void test_eap_auth(void)
{
    struct crypto_ike_keys k;
    uint8_t auth[CRYPTO_PRF_OUT_MAX], msk[64];
    struct crypto_auth_input i_in = { true, msg, sizeof(msg), nr, 32, idi, sizeof(idi) };

    inputs();
    for (int i = 0; i < 64; i++)
        msk[i] = (uint8_t)(0x80 + i);
    CHECK_INT_EQ(derive_a(&k), 0);
    CHECK_INT_EQ(crypto_ikev2_eap_auth(&k, &i_in, msk, 64, auth, sizeof(auth)), 32);
    CHECK(hex_equal(auth, 32, "0ddb22eccc468a58e81f5f25641ccd048822cd6d5078d99a19eda3ce176a497a"));
    /* No MSK (EAP-GTC, EAP-MD5): SK_pi is the key. */
    CHECK_INT_EQ(crypto_ikev2_eap_auth(&k, &i_in, NULL, 0, auth, sizeof(auth)), 32);
    CHECK(hex_equal(auth, 32, "3945e4f417bc0673212ced328efd6ffcbf44130e5df895c8f8c95c68c4c30360"));
    CHECK_INT_EQ(crypto_ikev2_eap_auth(&k, &i_in, NULL, 4, auth, sizeof(auth)), -EINVAL);
    crypto_ike_keys_wipe(&k);
}

static void test_signed_octets(void)
{
    struct crypto_ike_keys k;
    struct crypto_auth_input r_in = { false, msg, sizeof(msg), ni, 32, idr, sizeof(idr) };
    uint8_t mac[CRYPTO_PRF_OUT_MAX], *octets = NULL;
    size_t len = 0;

    inputs();
    CHECK_INT_EQ(derive_a(&k), 0);
    CHECK_INT_EQ(crypto_ikev2_signed_octets(&k, &r_in, &octets, &len), 0);
    CHECK_INT_EQ(len, sizeof(msg) + 32 + 32);
    if (octets) {
        CHECK(memcmp(octets, msg, sizeof(msg)) == 0);
        CHECK(memcmp(octets + sizeof(msg), ni, 32) == 0);
        /* prf(SK_pr, IDr') */
        CHECK_INT_EQ(crypto_prf(k.suite.prf, k.sk_pr, k.sk_pr_len,
                                &(struct crypto_chunk) { idr, sizeof(idr) }, 1, mac, sizeof(mac)), 32);
        CHECK(memcmp(octets + sizeof(msg) + 32, mac, 32) == 0);
    }
    free(octets);
    crypto_ike_keys_wipe(&k);
}

TEST_MAIN(TEST(test_ike_keys_cbc), TEST(test_ike_keys_aead), TEST(test_ike_keys_invalid),
          TEST(test_rekey), TEST(test_child_keys), TEST(test_psk_auth), TEST(test_eap_auth),
          TEST(test_signed_octets))
