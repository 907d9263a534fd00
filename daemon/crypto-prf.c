/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HMAC, prf and prf+ (RFC 7296 2.13) over OpenSSL's EVP_MAC. Every call has
 * its own MAC context, so threads never share state; the contexts are
 * copies of one per digest (crypto-fetch.c), so no call looks HMAC or its
 * digest up by name.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto-fetch.h"
#include "crypto-prf.h"

/* HMAC's empty key is legal; OpenSSL wants a pointer all the same. */
static const uint8_t empty_key[1];

/* A new HMAC context for `digest` keyed with `key` (crypto-fetch.c: no
 * algorithm lookup). */
static int hmac_keyed(const char *digest, const void *key, size_t key_len, EVP_MAC_CTX **ret)
{
    EVP_MAC_CTX *ctx;

    if (!digest || (!key && key_len))
        return -EINVAL;
    ctx = crypto_fetch_hmac_ctx(digest);
    if (!ctx)
        return -EOPNOTSUPP;   /* unknown digest (or no memory) */
    if (EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, NULL) != 1) {
        EVP_MAC_CTX_free(ctx);
        return -EIO;
    }
    *ret = ctx;
    return 0;
}

/* The MAC of the chunks under the context's key; the context can be used
 * again (restart) with the same key. */
static int hmac_run(EVP_MAC_CTX *ctx, bool restart, const struct crypto_chunk *data, size_t n_data,
                    uint8_t *out, size_t out_max)
{
    size_t out_len = 0;

    /* No key: HMAC starts over from the key's padded state it kept. */
    if (restart && EVP_MAC_init(ctx, NULL, 0, NULL) != 1)
        return -EIO;
    if (EVP_MAC_CTX_get_mac_size(ctx) > out_max)
        return -ENOBUFS;
    for (size_t i = 0; i < n_data; i++) {
        if (!data[i].ptr && data[i].len)
            return -EINVAL;
        if (data[i].len && EVP_MAC_update(ctx, data[i].ptr, data[i].len) != 1)
            return -EIO;
    }
    if (EVP_MAC_final(ctx, out, &out_len, out_max) != 1)
        return -EIO;
    return (int)out_len;
}

int crypto_hmac(const char *digest, const void *key, size_t key_len,
                const struct crypto_chunk *data, size_t n_data, uint8_t *out, size_t out_max)
{
    EVP_MAC_CTX *ctx = NULL;
    int r;

    if ((!data && n_data) || !out)
        return -EINVAL;
    r = hmac_keyed(digest, key, key_len, &ctx);
    if (r < 0)
        return r;
    r = hmac_run(ctx, false, data, n_data, out, out_max);
    EVP_MAC_CTX_free(ctx);   /* clears the keyed state */
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
    EVP_MAC_CTX *ctx = NULL;
    size_t done = 0, n_in;
    uint8_t counter;
    int r = 0;

    if (!prf || n_seed > PRF_PLUS_SEED_MAX || (!seed && n_seed) || (!out && out_len))
        return -EINVAL;
    /* The counter is one octet: at most 255 blocks (RFC 7296 2.13). */
    if (out_len > 255 * prf->out_len)
        return -EINVAL;
    if (out_len == 0)
        return 0;
    /* Every block is keyed with K: the key is set up once. */
    r = hmac_keyed(prf->digest, key, key_len, &ctx);
    if (r < 0)
        return r;

    for (counter = 1; done < out_len; counter++) {
        /* T1 = prf(K, S | 0x01); Tn = prf(K, Tn-1 | S | n) */
        n_in = 0;
        if (counter > 1)
            in[n_in++] = (struct crypto_chunk) { t, prf->out_len };
        for (size_t i = 0; i < n_seed; i++)
            in[n_in++] = seed[i];
        in[n_in++] = (struct crypto_chunk) { &counter, 1 };

        r = hmac_run(ctx, counter > 1, in, n_in, t, sizeof(t));
        if (r >= 0 && (size_t)r != prf->out_len)
            r = -EIO;
        if (r < 0)
            break;
        size_t take = out_len - done < prf->out_len ? out_len - done : prf->out_len;
        memcpy(out + done, t, take);
        done += take;
        r = 0;
    }
    EVP_MAC_CTX_free(ctx);
    crypto_wipe(t, sizeof(t));
    if (r < 0)
        crypto_wipe(out, out_len);
    return r;
}
