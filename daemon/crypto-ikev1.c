/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv1 key derivation and hashes (RFC 2409 sections 5 and 5.5, Appendix
 * B; RFC 3947 NAT-D) over the registry's prf. The CBC state is in
 * crypto-ikev1-cbc.c.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto-fetch.h"
#include "crypto-ikev1.h"
#include "crypto-ikev1-internal.h"
#include "crypto-prf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct crypto_prf *crypto_ikev1_hash_find(uint16_t ikev1_hash)
{
    /* The IKEv1 Hash Algorithm numbers differ from the IKEv2 PRF IDs the
     * registry is keyed by; the digest behind each is the same. */
    switch (ikev1_hash) {
    case CRYPTO_IKEV1_HASH_MD5:      return crypto_prf_find(CRYPTO_PRF_HMAC_MD5);
    case CRYPTO_IKEV1_HASH_SHA1:     return crypto_prf_find(CRYPTO_PRF_HMAC_SHA1);
    case CRYPTO_IKEV1_HASH_SHA2_256: return crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_256);
    case CRYPTO_IKEV1_HASH_SHA2_384: return crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_384);
    case CRYPTO_IKEV1_HASH_SHA2_512: return crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_512);
    }
    return NULL;
}

const struct crypto_encr *crypto_ikev1_encr_find(uint16_t ikev1_encr, uint16_t key_bits)
{
    switch (ikev1_encr) {
    case CRYPTO_IKEV1_ENCR_3DES_CBC: return crypto_encr_find(CRYPTO_ENCR_3DES, key_bits);
    case CRYPTO_IKEV1_ENCR_AES_CBC:  return crypto_encr_find(CRYPTO_ENCR_AES_CBC, key_bits);
    }
    return NULL;
}

int crypto_ikev1_digest(const struct crypto_prf *hash, const struct crypto_chunk *data, size_t n_data,
                        uint8_t *out, size_t out_max)
{
    EVP_MD *md = NULL;
    EVP_MD_CTX *ctx = NULL;
    unsigned int len = 0;
    int r = -EIO;

    if (!hash || (!data && n_data) || !out)
        return -EINVAL;
    if (out_max < hash->out_len)
        return -ENOBUFS;
    md = crypto_fetch_md(hash->digest);
    if (!md)
        return -EOPNOTSUPP;
    ctx = EVP_MD_CTX_new();
    if (!ctx) {
        r = -ENOMEM;
        goto out;
    }
    if (EVP_DigestInit_ex2(ctx, md, NULL) != 1)
        goto out;
    for (size_t i = 0; i < n_data; i++) {
        if (!data[i].ptr && data[i].len) {
            r = -EINVAL;
            goto out;
        }
        if (data[i].len && EVP_DigestUpdate(ctx, data[i].ptr, data[i].len) != 1)
            goto out;
    }
    if ((size_t)EVP_MD_get_size(md) != hash->out_len || EVP_DigestFinal_ex(ctx, out, &len) != 1)
        goto out;
    r = (int)len;
out:
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return r;
}

static bool nonce_ok(const uint8_t *n, size_t len)
{
    return n && len >= CRYPTO_IKEV1_NONCE_MIN && len <= CRYPTO_IKEV1_NONCE_MAX;
}

int crypto_ikev1_derive_keys(const struct crypto_prf *prf,
                             const void *psk, size_t psk_len,
                             const uint8_t *shared, size_t shared_len,
                             const uint8_t *ni, size_t ni_len,
                             const uint8_t *nr, size_t nr_len,
                             const uint8_t cky_i[CRYPTO_IKEV1_COOKIE_LEN],
                             const uint8_t cky_r[CRYPTO_IKEV1_COOKIE_LEN],
                             struct crypto_ikev1_keys *out)
{
    uint8_t nonces[2 * CRYPTO_IKEV1_NONCE_MAX];
    static const uint8_t zero = 0, one = 1, two = 2;
    int r;

    if (!out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    if (!prf || !shared || shared_len == 0 || shared_len > CRYPTO_DH_SHARED_MAX ||
        !nonce_ok(ni, ni_len) || !nonce_ok(nr, nr_len) || !cky_i || !cky_r ||
        (psk && psk_len == 0) || (!psk && psk_len))
        return -EINVAL;
    out->prf = prf;

    if (psk) {
        /* SKEYID = prf(pre-shared-key, Ni_b | Nr_b) */
        struct crypto_chunk in[] = { { ni, ni_len }, { nr, nr_len } };
        r = crypto_prf(prf, psk, psk_len, in, N(in), out->skeyid, sizeof(out->skeyid));
    } else {
        /* SKEYID = prf(Ni_b | Nr_b, g^xy): HMAC takes the long key as is. */
        memcpy(nonces, ni, ni_len);
        memcpy(nonces + ni_len, nr, nr_len);
        struct crypto_chunk in[] = { { shared, shared_len } };
        r = crypto_prf(prf, nonces, ni_len + nr_len, in, N(in), out->skeyid, sizeof(out->skeyid));
        crypto_wipe(nonces, sizeof(nonces));
    }
    if (r < 0)
        goto fail;
    out->skeyid_len = (size_t)r;

    /* SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0) */
    struct crypto_chunk d[] = { { shared, shared_len }, { cky_i, CRYPTO_IKEV1_COOKIE_LEN },
                                { cky_r, CRYPTO_IKEV1_COOKIE_LEN }, { &zero, 1 } };
    r = crypto_prf(prf, out->skeyid, out->skeyid_len, d, N(d), out->skeyid_d, sizeof(out->skeyid_d));
    if (r < 0)
        goto fail;
    out->skeyid_d_len = (size_t)r;

    /* SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1) */
    struct crypto_chunk a[] = { { out->skeyid_d, out->skeyid_d_len }, { shared, shared_len },
                                { cky_i, CRYPTO_IKEV1_COOKIE_LEN },
                                { cky_r, CRYPTO_IKEV1_COOKIE_LEN }, { &one, 1 } };
    r = crypto_prf(prf, out->skeyid, out->skeyid_len, a, N(a), out->skeyid_a, sizeof(out->skeyid_a));
    if (r < 0)
        goto fail;
    out->skeyid_a_len = (size_t)r;

    /* SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2) */
    struct crypto_chunk e[] = { { out->skeyid_a, out->skeyid_a_len }, { shared, shared_len },
                                { cky_i, CRYPTO_IKEV1_COOKIE_LEN },
                                { cky_r, CRYPTO_IKEV1_COOKIE_LEN }, { &two, 1 } };
    r = crypto_prf(prf, out->skeyid, out->skeyid_len, e, N(e), out->skeyid_e, sizeof(out->skeyid_e));
    if (r < 0)
        goto fail;
    out->skeyid_e_len = (size_t)r;
    return 0;

fail:
    crypto_ikev1_keys_wipe(out);
    return r;
}

void crypto_ikev1_keys_wipe(struct crypto_ikev1_keys *keys)
{
    if (keys)
        crypto_wipe(keys, sizeof(*keys));
}

static bool keys_ok(const struct crypto_ikev1_keys *keys)
{
    return keys && keys->prf && keys->skeyid_len == keys->prf->out_len &&
           keys->skeyid_d_len == keys->prf->out_len && keys->skeyid_a_len == keys->prf->out_len &&
           keys->skeyid_e_len == keys->prf->out_len;
}

int crypto_ikev1_encryption_key(const struct crypto_ikev1_keys *keys,
                                const struct crypto_encr *encr,
                                uint8_t *out, size_t out_max)
{
    uint8_t k[CRYPTO_PRF_OUT_MAX];
    static const uint8_t zero = 0;
    size_t done = 0;
    int r = 0;

    if (!keys_ok(keys) || !encr || !out)
        return -EINVAL;
    if (encr->aead)
        return -EOPNOTSUPP;
    if (out_max < encr->key_len)
        return -ENOBUFS;

    if (keys->skeyid_e_len >= encr->key_len) {
        memcpy(out, keys->skeyid_e, encr->key_len);
        return (int)encr->key_len;
    }
    /* Appendix B: K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1); the
     * "0" is a single zero octet (as strongSwan, Cisco and racoon read it). */
    while (done < encr->key_len) {
        struct crypto_chunk in = done ? (struct crypto_chunk) { k, keys->prf->out_len }
                                      : (struct crypto_chunk) { &zero, 1 };
        r = crypto_prf(keys->prf, keys->skeyid_e, keys->skeyid_e_len, &in, 1, k, sizeof(k));
        if (r < 0)
            break;
        size_t take = encr->key_len - done < keys->prf->out_len ? encr->key_len - done
                                                                : keys->prf->out_len;
        memcpy(out + done, k, take);
        done += take;
    }
    crypto_wipe(k, sizeof(k));
    if (r < 0) {
        crypto_wipe(out, encr->key_len);
        return r;
    }
    return (int)encr->key_len;
}

static bool phase1_input_ok(const struct crypto_ikev1_phase1_input *in)
{
    return in && in->g_xi && in->g_xi_len && in->g_xr && in->g_xr_len && in->cky_i && in->cky_r &&
           in->sa_i_body && in->sa_i_body_len && in->id_body && in->id_body_len;
}

int crypto_ikev1_phase1_hash(const struct crypto_ikev1_keys *keys,
                             const struct crypto_ikev1_phase1_input *in,
                             uint8_t *out, size_t out_max)
{
    if (!keys_ok(keys) || !phase1_input_ok(in) || !out)
        return -EINVAL;
    /* The responder's hash swaps the order of the DH values and cookies. */
    struct crypto_chunk mine_first[] = {
        { in->initiator ? in->g_xi : in->g_xr, in->initiator ? in->g_xi_len : in->g_xr_len },
        { in->initiator ? in->g_xr : in->g_xi, in->initiator ? in->g_xr_len : in->g_xi_len },
        { in->initiator ? in->cky_i : in->cky_r, CRYPTO_IKEV1_COOKIE_LEN },
        { in->initiator ? in->cky_r : in->cky_i, CRYPTO_IKEV1_COOKIE_LEN },
        { in->sa_i_body, in->sa_i_body_len },
        { in->id_body, in->id_body_len },
    };
    return crypto_prf(keys->prf, keys->skeyid, keys->skeyid_len, mine_first, N(mine_first),
                      out, out_max);
}

int crypto_ikev1_phase1_hash_verify(const struct crypto_ikev1_keys *keys,
                                    const struct crypto_ikev1_phase1_input *in,
                                    const uint8_t *hash, size_t hash_len)
{
    uint8_t want[CRYPTO_PRF_OUT_MAX];

    if (!hash && hash_len)
        return -EINVAL;
    return crypto_matches(crypto_ikev1_phase1_hash(keys, in, want, sizeof(want)), want, sizeof(want), hash,
                          hash_len);
}

static void put_be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

int crypto_ikev1_message_hash(const struct crypto_ikev1_keys *keys, uint32_t message_id,
                              const uint8_t *ni, size_t ni_len,
                              const uint8_t *rest, size_t rest_len,
                              uint8_t *out, size_t out_max)
{
    uint8_t mid[4];

    /* Message ID 0 is phase 1's: nothing under the ISAKMP SA uses it.
     * An empty rest would be a message carrying only HASH. */
    if (!keys_ok(keys) || message_id == 0 || (ni && !nonce_ok(ni, ni_len)) || (!ni && ni_len) ||
        !rest || rest_len == 0 || !out)
        return -EINVAL;
    put_be32(mid, message_id);
    struct crypto_chunk in[] = { { mid, 4 }, { ni, ni ? ni_len : 0 }, { rest, rest_len } };
    return crypto_prf(keys->prf, keys->skeyid_a, keys->skeyid_a_len, in, N(in), out, out_max);
}

int crypto_ikev1_message_hash_verify(const struct crypto_ikev1_keys *keys, uint32_t message_id,
                                     const uint8_t *ni, size_t ni_len,
                                     const uint8_t *rest, size_t rest_len,
                                     const uint8_t *hash, size_t hash_len)
{
    uint8_t want[CRYPTO_PRF_OUT_MAX];

    if (!hash && hash_len)
        return -EINVAL;
    return crypto_matches(crypto_ikev1_message_hash(keys, message_id, ni, ni_len, rest, rest_len, want, sizeof(want)),
                          want, sizeof(want), hash, hash_len);
}

int crypto_ikev1_qm_hash3(const struct crypto_ikev1_keys *keys, uint32_t message_id,
                          const uint8_t *ni, size_t ni_len,
                          const uint8_t *nr, size_t nr_len,
                          uint8_t *out, size_t out_max)
{
    static const uint8_t zero = 0;
    uint8_t mid[4];

    if (!keys_ok(keys) || message_id == 0 || !nonce_ok(ni, ni_len) || !nonce_ok(nr, nr_len) || !out)
        return -EINVAL;
    put_be32(mid, message_id);
    struct crypto_chunk in[] = { { &zero, 1 }, { mid, 4 }, { ni, ni_len }, { nr, nr_len } };
    return crypto_prf(keys->prf, keys->skeyid_a, keys->skeyid_a_len, in, N(in), out, out_max);
}

int crypto_ikev1_derive_esp_keys(const struct crypto_ikev1_keys *keys,
                                 const struct crypto_encr *encr,
                                 const struct crypto_integ *integ,
                                 uint8_t protocol, uint32_t spi,
                                 const uint8_t *shared, size_t shared_len,
                                 const uint8_t *ni, size_t ni_len,
                                 const uint8_t *nr, size_t nr_len,
                                 struct crypto_esp_keys *out)
{
    uint8_t keymat[2 * CRYPTO_KEY_MAX], k[CRYPTO_PRF_OUT_MAX], spi_be[4];
    size_t enc_len, integ_len, need, done = 0;
    int r = 0;

    if (!out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    if (!keys_ok(keys) || !encr || (encr->aead ? integ != NULL : integ == NULL) ||
        (!shared && shared_len) || (shared && (shared_len == 0 || shared_len > CRYPTO_DH_SHARED_MAX)) ||
        !nonce_ok(ni, ni_len) || !nonce_ok(nr, nr_len))
        return -EINVAL;
    enc_len = encr->key_len + encr->salt_len;
    integ_len = integ ? integ->key_len : 0;
    need = enc_len + integ_len;
    if (enc_len > CRYPTO_KEY_MAX || integ_len > CRYPTO_KEY_MAX)
        return -EINVAL;

    put_be32(spi_be, spi);
    while (done < need) {
        /* K1 = prf(SKEYID_d, [g^xy |] protocol | SPI | Ni_b | Nr_b),
         * Kn = prf(SKEYID_d, Kn-1 | the same): no counter, unlike prf+. */
        struct crypto_chunk in[] = {
            { k, done ? keys->prf->out_len : 0 },
            { shared, shared ? shared_len : 0 },
            { &protocol, 1 }, { spi_be, 4 }, { ni, ni_len }, { nr, nr_len },
        };
        r = crypto_prf(keys->prf, keys->skeyid_d, keys->skeyid_d_len, in, N(in), k, sizeof(k));
        if (r < 0)
            break;
        size_t take = need - done < keys->prf->out_len ? need - done : keys->prf->out_len;
        memcpy(keymat + done, k, take);
        done += take;
    }
    if (r >= 0) {
        out->encr = encr;
        out->integ = integ;
        memcpy(out->enc_key, keymat, enc_len);
        out->enc_key_len = enc_len;
        memcpy(out->integ_key, keymat + enc_len, integ_len);
        out->integ_key_len = integ_len;
        r = 0;
    }
    crypto_wipe(k, sizeof(k));
    crypto_wipe(keymat, sizeof(keymat));
    return r;
}

void crypto_ikev1_esp_keys_wipe(struct crypto_esp_keys *keys)
{
    if (keys)
        crypto_wipe(keys, sizeof(*keys));
}

int crypto_ikev1_natd_hash(const struct crypto_prf *hash,
                           const uint8_t cky_i[CRYPTO_IKEV1_COOKIE_LEN],
                           const uint8_t cky_r[CRYPTO_IKEV1_COOKIE_LEN],
                           const uint8_t *addr, size_t addr_len, uint16_t port,
                           uint8_t *out, size_t out_max)
{
    uint8_t port_be[2] = { (uint8_t)(port >> 8), (uint8_t)port };

    if (!hash || !cky_i || !cky_r || !addr || (addr_len != 4 && addr_len != 16) || !out)
        return -EINVAL;
    struct crypto_chunk in[] = { { cky_i, CRYPTO_IKEV1_COOKIE_LEN }, { cky_r, CRYPTO_IKEV1_COOKIE_LEN },
                                 { addr, addr_len }, { port_be, 2 } };
    return crypto_ikev1_digest(hash, in, N(in), out, out_max);
}
