/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 key derivation (RFC 7296 2.14, 2.17, 2.18) and shared-key AUTH
 * (2.15, 2.16), all built on prf / prf+ (crypto-prf.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-ikev2.h"
#include "crypto-prf.h"

static bool nonce_ok(const uint8_t *n, size_t len)
{
    return n && len >= CRYPTO_NONCE_MIN && len <= CRYPTO_NONCE_MAX;
}

static bool suite_ok(const struct crypto_ike_suite *s)
{
    if (!s || !s->encr || !s->prf)
        return false;
    /* AEAD carries its own integrity; anything else needs an INTEG. */
    return s->encr->aead ? s->integ == NULL : s->integ != NULL;
}

void crypto_ike_keys_wipe(struct crypto_ike_keys *keys)
{
    if (keys)
        crypto_wipe(keys, sizeof(*keys));
}

void crypto_child_keys_wipe(struct crypto_child_keys *keys)
{
    if (keys)
        crypto_wipe(keys, sizeof(*keys));
}

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
static int split_ike_keys(const struct crypto_ike_suite *suite,
                          const uint8_t *skeyseed, size_t skeyseed_len,
                          const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                          const uint8_t *spi_i, const uint8_t *spi_r,
                          struct crypto_ike_keys *out)
{
    /* A copy: `suite` may point into `out` (rekeying in place). */
    const struct crypto_ike_suite s = *suite;
    const size_t prf_len = s.prf->out_len;
    const size_t a_len = s.integ ? s.integ->key_len : 0;
    const size_t e_len = s.encr->key_len + s.encr->salt_len;
    const size_t total = 3 * prf_len + 2 * a_len + 2 * e_len;
    const struct crypto_chunk seed[] = {
        { ni, ni_len }, { nr, nr_len },
        { spi_i, CRYPTO_IKE_SPI_LEN }, { spi_r, CRYPTO_IKE_SPI_LEN },
    };
    uint8_t keymat[7 * CRYPTO_KEY_MAX];
    const uint8_t *p = keymat;
    int r;

    if (prf_len > CRYPTO_KEY_MAX || a_len > CRYPTO_KEY_MAX || e_len > CRYPTO_KEY_MAX)
        return -EINVAL;
    r = crypto_prf_plus(s.prf, skeyseed, skeyseed_len, seed, 4, keymat, total);
    if (r < 0)
        return r;

    memset(out, 0, sizeof(*out));
    out->suite = s;
#define TAKE(field, n) do { memcpy(out->field, p, n); out->field##_len = n; p += n; } while (0)
    TAKE(sk_d, prf_len);
    TAKE(sk_ai, a_len);
    TAKE(sk_ar, a_len);
    TAKE(sk_ei, e_len);
    TAKE(sk_er, e_len);
    TAKE(sk_pi, prf_len);
    TAKE(sk_pr, prf_len);
#undef TAKE
    crypto_wipe(keymat, sizeof(keymat));
    return 0;
}

int crypto_ikev2_derive_ike_keys(const struct crypto_ike_suite *suite,
                                 const uint8_t *shared, size_t shared_len,
                                 const uint8_t *ni, size_t ni_len,
                                 const uint8_t *nr, size_t nr_len,
                                 const uint8_t spi_i[CRYPTO_IKE_SPI_LEN],
                                 const uint8_t spi_r[CRYPTO_IKE_SPI_LEN],
                                 struct crypto_ike_keys *out)
{
    uint8_t key[2 * CRYPTO_NONCE_MAX];
    uint8_t skeyseed[CRYPTO_PRF_OUT_MAX];
    int r;

    if (!suite_ok(suite) || !shared || !shared_len || !nonce_ok(ni, ni_len) ||
        !nonce_ok(nr, nr_len) || !spi_i || !spi_r || !out)
        return -EINVAL;

    /* SKEYSEED = prf(Ni | Nr, g^ir): the nonces are the key. */
    memcpy(key, ni, ni_len);
    memcpy(key + ni_len, nr, nr_len);
    r = crypto_prf(suite->prf, key, ni_len + nr_len,
                   &(struct crypto_chunk) { shared, shared_len }, 1, skeyseed, sizeof(skeyseed));
    crypto_wipe(key, sizeof(key));
    if (r >= 0)
        r = split_ike_keys(suite, skeyseed, (size_t)r, ni, ni_len, nr, nr_len, spi_i, spi_r, out);
    crypto_wipe(skeyseed, sizeof(skeyseed));
    return r < 0 ? r : 0;
}

int crypto_ikev2_derive_rekeyed_ike_keys(const struct crypto_ike_keys *old,
                                         const struct crypto_ike_suite *suite,
                                         const uint8_t *shared, size_t shared_len,
                                         const uint8_t *ni, size_t ni_len,
                                         const uint8_t *nr, size_t nr_len,
                                         const uint8_t spi_i[CRYPTO_IKE_SPI_LEN],
                                         const uint8_t spi_r[CRYPTO_IKE_SPI_LEN],
                                         struct crypto_ike_keys *out)
{
    uint8_t skeyseed[CRYPTO_PRF_OUT_MAX];
    int r;

    if (!old || !old->suite.prf || !old->sk_d_len || !suite_ok(suite) || !shared ||
        !shared_len || !nonce_ok(ni, ni_len) || !nonce_ok(nr, nr_len) || !spi_i || !spi_r ||
        !out)
        return -EINVAL;

    /* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's
     * prf: the rekeying exchange belongs to the old SA. */
    const struct crypto_chunk data[] = { { shared, shared_len }, { ni, ni_len }, { nr, nr_len } };
    r = crypto_prf(old->suite.prf, old->sk_d, old->sk_d_len, data, 3, skeyseed, sizeof(skeyseed));
    /* `out` may be `old`: everything from old is used by now. */
    if (r >= 0)
        r = split_ike_keys(suite, skeyseed, (size_t)r, ni, ni_len, nr, nr_len, spi_i, spi_r, out);
    crypto_wipe(skeyseed, sizeof(skeyseed));
    return r < 0 ? r : 0;
}

int crypto_ikev2_derive_child_keys(const struct crypto_ike_keys *ike,
                                   const struct crypto_encr *encr,
                                   const struct crypto_integ *integ,
                                   const uint8_t *shared, size_t shared_len,
                                   const uint8_t *ni, size_t ni_len,
                                   const uint8_t *nr, size_t nr_len,
                                   struct crypto_child_keys *out)
{
    struct crypto_chunk seed[3];
    size_t n_seed = 0, e_len, a_len;
    uint8_t keymat[4 * CRYPTO_KEY_MAX];
    const uint8_t *p = keymat;
    int r;

    if (!ike || !ike->suite.prf || !ike->sk_d_len || !encr || !out ||
        (encr->aead ? integ != NULL : integ == NULL) || (!shared && shared_len) ||
        !nonce_ok(ni, ni_len) || !nonce_ok(nr, nr_len))
        return -EINVAL;
    e_len = encr->key_len + encr->salt_len;
    a_len = integ ? integ->key_len : 0;
    if (e_len > CRYPTO_KEY_MAX || a_len > CRYPTO_KEY_MAX)
        return -EINVAL;

    if (shared_len)
        seed[n_seed++] = (struct crypto_chunk) { shared, shared_len };
    seed[n_seed++] = (struct crypto_chunk) { ni, ni_len };
    seed[n_seed++] = (struct crypto_chunk) { nr, nr_len };
    r = crypto_prf_plus(ike->suite.prf, ike->sk_d, ike->sk_d_len, seed, n_seed,
                        keymat, 2 * (e_len + a_len));
    if (r < 0)
        return r;

    /* RFC 7296 2.17: initiator-to-responder encryption then integrity, then
     * the other direction. */
    memset(out, 0, sizeof(*out));
    struct crypto_esp_keys *dirs[2] = { &out->i_to_r, &out->r_to_i };
    for (size_t i = 0; i < 2; i++) {
        dirs[i]->encr = encr;
        dirs[i]->integ = integ;
        memcpy(dirs[i]->enc_key, p, e_len);
        dirs[i]->enc_key_len = e_len;
        p += e_len;
        memcpy(dirs[i]->integ_key, p, a_len);
        dirs[i]->integ_key_len = a_len;
        p += a_len;
    }
    crypto_wipe(keymat, sizeof(keymat));
    return 0;
}

static const char key_pad[] = "Key Pad for IKEv2";   /* 17 octets, no NUL (2.15) */

static bool auth_input_ok(const struct crypto_ike_keys *keys, const struct crypto_auth_input *in)
{
    return keys && keys->suite.prf && in && in->message && in->message_len &&
           nonce_ok(in->nonce, in->nonce_len) && in->id_body && in->id_body_len >= 4 &&
           (in->initiator ? keys->sk_pi_len : keys->sk_pr_len) > 0;
}

/* prf(SK_px, IDx') */
static int id_mac(const struct crypto_ike_keys *keys, const struct crypto_auth_input *in,
                  uint8_t out[CRYPTO_PRF_OUT_MAX])
{
    return crypto_prf(keys->suite.prf,
                      in->initiator ? keys->sk_pi : keys->sk_pr,
                      in->initiator ? keys->sk_pi_len : keys->sk_pr_len,
                      &(struct crypto_chunk) { in->id_body, in->id_body_len }, 1,
                      out, CRYPTO_PRF_OUT_MAX);
}

int crypto_ikev2_signed_octets(const struct crypto_ike_keys *keys,
                               const struct crypto_auth_input *in,
                               uint8_t **ret, size_t *ret_len)
{
    uint8_t mac[CRYPTO_PRF_OUT_MAX];
    uint8_t *buf;
    size_t len;
    int r;

    if (!auth_input_ok(keys, in) || !ret || !ret_len)
        return -EINVAL;
    r = id_mac(keys, in, mac);
    if (r < 0)
        return r;
    if (in->message_len > SIZE_MAX - in->nonce_len - (size_t)r)
        return -EINVAL;
    len = in->message_len + in->nonce_len + (size_t)r;
    buf = malloc(len);
    if (!buf) {
        crypto_wipe(mac, sizeof(mac));
        return -ENOMEM;
    }
    memcpy(buf, in->message, in->message_len);
    memcpy(buf + in->message_len, in->nonce, in->nonce_len);
    memcpy(buf + in->message_len + in->nonce_len, mac, (size_t)r);
    crypto_wipe(mac, sizeof(mac));
    *ret = buf;
    *ret_len = len;
    return 0;
}

int crypto_ikev2_psk_pad(const struct crypto_prf *prf, const void *secret, size_t secret_len,
                         uint8_t *out, size_t out_max)
{
    if (!prf || !secret || !secret_len || !out)
        return -EINVAL;
    return crypto_prf(prf, secret, secret_len,
                      &(struct crypto_chunk) { key_pad, sizeof(key_pad) - 1 }, 1, out, out_max);
}

/* AUTH = prf(padded, RealMessage | Nonce | prf(SK_p, IDx')) */
static int padded_key_auth(const struct crypto_ike_keys *keys, const struct crypto_auth_input *in,
                           const uint8_t *padded, size_t padded_len, uint8_t *out, size_t out_max)
{
    const struct crypto_prf *prf = keys->suite.prf;
    uint8_t mac[CRYPTO_PRF_OUT_MAX];
    int r, mac_len;

    if (out_max < prf->out_len)
        return -ENOBUFS;
    mac_len = id_mac(keys, in, mac);
    if (mac_len < 0)
        return mac_len;
    const struct crypto_chunk octets[] = {
        { in->message, in->message_len },
        { in->nonce, in->nonce_len },
        { mac, (size_t)mac_len },
    };
    r = crypto_prf(prf, padded, padded_len, octets, 3, out, out_max);
    crypto_wipe(mac, sizeof(mac));
    return r;
}

/* AUTH = prf(prf(secret, "Key Pad for IKEv2"), RealMessage | Nonce | prf(SK_p, IDx')) */
static int shared_key_auth(const struct crypto_ike_keys *keys, const struct crypto_auth_input *in,
                           const void *secret, size_t secret_len, uint8_t *out, size_t out_max)
{
    uint8_t padded[CRYPTO_PRF_OUT_MAX];
    int r;

    if (out_max < keys->suite.prf->out_len)
        return -ENOBUFS;
    r = crypto_ikev2_psk_pad(keys->suite.prf, secret, secret_len, padded, sizeof(padded));
    if (r >= 0)
        r = padded_key_auth(keys, in, padded, (size_t)r, out, out_max);
    crypto_wipe(padded, sizeof(padded));
    return r;
}

int crypto_ikev2_psk_auth_padded(const struct crypto_ike_keys *keys,
                                 const struct crypto_auth_input *in,
                                 const uint8_t *padded, size_t padded_len,
                                 uint8_t *out, size_t out_max)
{
    if (!auth_input_ok(keys, in) || !padded || padded_len != keys->suite.prf->out_len || !out)
        return -EINVAL;
    return padded_key_auth(keys, in, padded, padded_len, out, out_max);
}

int crypto_ikev2_psk_auth_padded_verify(const struct crypto_ike_keys *keys,
                                        const struct crypto_auth_input *in,
                                        const uint8_t *padded, size_t padded_len,
                                        const uint8_t *auth, size_t auth_len)
{
    uint8_t expected[CRYPTO_PRF_OUT_MAX];

    if (!auth && auth_len)
        return -EINVAL;
    return crypto_matches(crypto_ikev2_psk_auth_padded(keys, in, padded, padded_len, expected, sizeof(expected)),
                          expected, sizeof(expected), auth, auth_len);
}

int crypto_ikev2_psk_auth(const struct crypto_ike_keys *keys,
                          const struct crypto_auth_input *in,
                          const void *secret, size_t secret_len,
                          uint8_t *out, size_t out_max)
{
    if (!auth_input_ok(keys, in) || !secret || !secret_len || !out)
        return -EINVAL;
    return shared_key_auth(keys, in, secret, secret_len, out, out_max);
}

int crypto_ikev2_eap_auth(const struct crypto_ike_keys *keys,
                          const struct crypto_auth_input *in,
                          const uint8_t *msk, size_t msk_len,
                          uint8_t *out, size_t out_max)
{
    if (!auth_input_ok(keys, in) || !out || (!msk && msk_len))
        return -EINVAL;
    /* No MSK: the side's own SK_p is the shared secret (2.16). */
    if (!msk_len) {
        msk = in->initiator ? keys->sk_pi : keys->sk_pr;
        msk_len = in->initiator ? keys->sk_pi_len : keys->sk_pr_len;
    }
    return shared_key_auth(keys, in, msk, msk_len, out, out_max);
}

int crypto_ikev2_psk_auth_verify(const struct crypto_ike_keys *keys,
                                 const struct crypto_auth_input *in,
                                 const void *secret, size_t secret_len,
                                 const uint8_t *auth, size_t auth_len)
{
    uint8_t expected[CRYPTO_PRF_OUT_MAX];

    if (!auth && auth_len)
        return -EINVAL;
    return crypto_matches(crypto_ikev2_psk_auth(keys, in, secret, secret_len, expected, sizeof(expected)),
                          expected, sizeof(expected), auth, auth_len);
}
