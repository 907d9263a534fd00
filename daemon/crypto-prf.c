/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HMAC, prf and prf+ (RFC 7296 2.13) over OpenSSL's EVP_MAC. Every call has
 * its own MAC context, so threads never share state.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto-prf.h"

int crypto_hmac(const char *digest, const void *key, size_t key_len,
                const struct crypto_chunk *data, size_t n_data, uint8_t *out, size_t out_max)
{
    /* HMAC's empty key is legal; OpenSSL wants a pointer all the same. */
    static const uint8_t empty_key[1];
    EVP_MAC *mac = NULL;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    size_t out_len = 0;
    int r = -EIO;

    if (!digest || (!key && key_len) || (!data && n_data) || !out)
        return -EINVAL;

    mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (!mac)
        return -EOPNOTSUPP;
    ctx = EVP_MAC_CTX_new(mac);
    if (!ctx) {
        r = -ENOMEM;
        goto out;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params) != 1) {
        r = -EOPNOTSUPP;   /* unknown digest */
        goto out;
    }
    if (EVP_MAC_CTX_get_mac_size(ctx) > out_max) {
        r = -ENOBUFS;
        goto out;
    }
    for (size_t i = 0; i < n_data; i++) {
        if (!data[i].ptr && data[i].len) {
            r = -EINVAL;
            goto out;
        }
        if (data[i].len && EVP_MAC_update(ctx, data[i].ptr, data[i].len) != 1)
            goto out;
    }
    if (EVP_MAC_final(ctx, out, &out_len, out_max) != 1)
        goto out;
    r = (int)out_len;
out:
    EVP_MAC_CTX_free(ctx);   /* clears the keyed state */
    EVP_MAC_free(mac);
    return r;
}

int crypto_prf(const struct crypto_prf *prf, const void *key, size_t key_len,
               const struct crypto_chunk *data, size_t n_data, uint8_t *out, size_t out_max)
{
    int r;

    if (!prf)
        return -EINVAL;
    if (out_max < prf->out_len)
        return -ENOBUFS;
    r = crypto_hmac(prf->digest, key, key_len, data, n_data, out, out_max);
    if (r >= 0 && (size_t)r != prf->out_len) {
        crypto_wipe(out, (size_t)r);
        return -EIO;
    }
    return r;
}

/* Seed chunks beyond this are refused: callers pass at most five or so. */
#define PRF_PLUS_SEED_MAX 8

int crypto_prf_plus(const struct crypto_prf *prf, const void *key, size_t key_len,
                    const struct crypto_chunk *seed, size_t n_seed, uint8_t *out, size_t out_len)
{
    struct crypto_chunk in[PRF_PLUS_SEED_MAX + 2];
    uint8_t t[CRYPTO_PRF_OUT_MAX];
    size_t done = 0, n_in;
    uint8_t counter;
    int r = 0;

    if (!prf || n_seed > PRF_PLUS_SEED_MAX || (!seed && n_seed) || (!out && out_len))
        return -EINVAL;
    /* The counter is one octet: at most 255 blocks (RFC 7296 2.13). */
    if (out_len > 255 * prf->out_len)
        return -EINVAL;

    for (counter = 1; done < out_len; counter++) {
        /* T1 = prf(K, S | 0x01); Tn = prf(K, Tn-1 | S | n) */
        n_in = 0;
        if (counter > 1)
            in[n_in++] = (struct crypto_chunk) { t, prf->out_len };
        for (size_t i = 0; i < n_seed; i++)
            in[n_in++] = seed[i];
        in[n_in++] = (struct crypto_chunk) { &counter, 1 };

        r = crypto_prf(prf, key, key_len, in, n_in, t, sizeof(t));
        if (r < 0)
            break;
        size_t take = out_len - done < prf->out_len ? out_len - done : prf->out_len;
        memcpy(out + done, t, take);
        done += take;
        r = 0;
    }
    crypto_wipe(t, sizeof(t));
    if (r < 0)
        crypto_wipe(out, out_len);
    return r;
}
