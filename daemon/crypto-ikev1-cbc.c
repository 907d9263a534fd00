/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The CBC state of an IKEv1 ISAKMP SA (RFC 2409 Appendix B): the phase-1
 * IV chain and the per-Message-ID chains of later exchanges. See
 * crypto-ikev1.h for the rules; this file keeps them in one place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto-fetch.h"
#include "crypto-ikev1.h"
#include "crypto-ikev1-internal.h"

/* Exchanges under one ISAKMP SA at once: up to four Quick Modes (some
 * held until Mode Config is done), an Informational, the Xauth and Mode
 * Config rounds. More are rare; the least recently used state is dropped,
 * which at worst fails that exchange. */
#define CBC_EXCHANGES 16

/* Plaintexts above this are refused: no IKEv1 message comes close. */
#define CBC_PLAINTEXT_MAX 65536

struct iv_state {
    uint32_t message_id;
    bool used;
    bool pending;                       /* decrypted, not confirmed yet */
    uint64_t last_use;
    uint8_t iv[CRYPTO_BLOCK_MAX];
    uint8_t pending_iv[CRYPTO_BLOCK_MAX];
};

struct crypto_ikev1_cbc {
    const struct crypto_encr *encr;
    const struct crypto_prf *hash;
    uint8_t key[CRYPTO_KEY_MAX];
    struct iv_state phase1;             /* Message ID 0 */
    struct iv_state exchanges[CBC_EXCHANGES];
    uint64_t clock;
};

int crypto_ikev1_cbc_new(const struct crypto_ikev1_keys *keys,
                         const struct crypto_encr *encr,
                         const uint8_t *g_xi, size_t g_xi_len,
                         const uint8_t *g_xr, size_t g_xr_len,
                         struct crypto_ikev1_cbc **ret)
{
    uint8_t digest[CRYPTO_PRF_OUT_MAX];
    struct crypto_ikev1_cbc *cbc;
    int r;

    if (!ret || !keys || !encr || !g_xi || !g_xi_len || !g_xr || !g_xr_len)
        return -EINVAL;
    if (encr->aead)
        return -EOPNOTSUPP;
    if (encr->block_len > CRYPTO_BLOCK_MAX || encr->iv_len != encr->block_len)
        return -EINVAL;
    cbc = calloc(1, sizeof(*cbc));
    if (!cbc)
        return -ENOMEM;
    cbc->encr = encr;
    cbc->hash = keys->prf;

    r = crypto_ikev1_encryption_key(keys, encr, cbc->key, sizeof(cbc->key));
    if (r < 0)
        goto fail;

    /* The first phase-1 IV: hash(g^xi | g^xr), cut to the block size. Every
     * digest vpnd offers (MD5's 16 bytes included) is at least a block. */
    struct crypto_chunk in[] = { { g_xi, g_xi_len }, { g_xr, g_xr_len } };
    r = crypto_ikev1_digest(keys->prf, in, 2, digest, sizeof(digest));
    if (r < 0)
        goto fail;
    if ((size_t)r < encr->block_len) {
        r = -EINVAL;
        goto fail;
    }
    memcpy(cbc->phase1.iv, digest, encr->block_len);
    cbc->phase1.used = true;
    *ret = cbc;
    return 0;
fail:
    crypto_ikev1_cbc_free(cbc);
    return r;
}

void crypto_ikev1_cbc_free(struct crypto_ikev1_cbc *cbc)
{
    if (!cbc)
        return;
    crypto_wipe(cbc, sizeof(*cbc));
    free(cbc);
}

size_t crypto_ikev1_cbc_block_len(const struct crypto_ikev1_cbc *cbc)
{
    return cbc ? cbc->encr->block_len : 0;
}

size_t crypto_ikev1_cbc_encrypted_len(const struct crypto_ikev1_cbc *cbc, size_t plaintext_len)
{
    if (!cbc || plaintext_len > CBC_PLAINTEXT_MAX)
        return 0;
    /* Always 1..block bytes of padding, as strongSwan sends. */
    return plaintext_len + cbc->encr->block_len - plaintext_len % cbc->encr->block_len;
}

static struct iv_state *find(struct crypto_ikev1_cbc *cbc, uint32_t message_id)
{
    for (size_t i = 0; i < CBC_EXCHANGES; i++)
        if (cbc->exchanges[i].used && cbc->exchanges[i].message_id == message_id)
            return &cbc->exchanges[i];
    return NULL;
}

/* The state of message_id, created from the phase-1 chain's current IV
 * (its last CBC block) on first use: IV = hash(last block | M-ID). */
static int state_for(struct crypto_ikev1_cbc *cbc, uint32_t message_id, struct iv_state **ret)
{
    uint8_t digest[CRYPTO_PRF_OUT_MAX], mid[4];
    struct iv_state *s;
    int r;

    if (message_id == 0) {
        *ret = &cbc->phase1;
        return 0;
    }
    s = find(cbc, message_id);
    if (!s) {
        s = &cbc->exchanges[0];
        for (size_t i = 0; i < CBC_EXCHANGES; i++) {
            struct iv_state *c = &cbc->exchanges[i];
            if (!c->used) {
                s = c;
                break;
            }
            if (c->last_use < s->last_use)
                s = c;
        }
        mid[0] = (uint8_t)(message_id >> 24);
        mid[1] = (uint8_t)(message_id >> 16);
        mid[2] = (uint8_t)(message_id >> 8);
        mid[3] = (uint8_t)message_id;
        struct crypto_chunk in[] = { { cbc->phase1.iv, cbc->encr->block_len }, { mid, 4 } };
        r = crypto_ikev1_digest(cbc->hash, in, 2, digest, sizeof(digest));
        if (r < 0)
            return r;
        crypto_wipe(s, sizeof(*s));
        memcpy(s->iv, digest, cbc->encr->block_len);
        s->message_id = message_id;
        s->used = true;
    }
    s->last_use = ++cbc->clock;
    *ret = s;
    return 0;
}

/* One CBC pass without padding (the caller pads: IKEv1 padding is not PKCS#7). */
static int cbc_run(const struct crypto_ikev1_cbc *cbc, bool encrypt, const uint8_t *iv,
                   const uint8_t *in, size_t len, uint8_t *out)
{
    EVP_CIPHER *cipher = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    int outl = 0, finl = 0, r = -EIO;

    cipher = crypto_fetch_cipher(cbc->encr->openssl_name);
    if (!cipher)
        return -EOPNOTSUPP;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx) {
        r = -ENOMEM;
        goto out;
    }
    if (EVP_CipherInit_ex2(ctx, cipher, cbc->key, iv, encrypt ? 1 : 0, NULL) != 1 ||
        (size_t)EVP_CIPHER_CTX_get_key_length(ctx) != cbc->encr->key_len ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
        EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1 ||
        EVP_CipherFinal_ex(ctx, out + outl, &finl) != 1 ||
        (size_t)(outl + finl) != len)
        goto out;
    r = 0;
out:
    EVP_CIPHER_CTX_free(ctx);   /* clears the key schedule */
    EVP_CIPHER_free(cipher);
    return r;
}

int crypto_ikev1_cbc_encrypt(struct crypto_ikev1_cbc *cbc, uint32_t message_id,
                             const uint8_t *plaintext, size_t plaintext_len,
                             uint8_t *out, size_t out_len)
{
    struct iv_state *s;
    size_t bl;
    int r;

    if (!cbc || (!plaintext && plaintext_len) || !out)
        return -EINVAL;
    if (out_len == 0 || out_len != crypto_ikev1_cbc_encrypted_len(cbc, plaintext_len))
        return -EINVAL;
    r = state_for(cbc, message_id, &s);
    if (r < 0)
        return r;
    bl = cbc->encr->block_len;

    /* In place in `out`: payloads, then zero padding. memmove: the caller
     * may encrypt a buffer in place. */
    if (plaintext_len)
        memmove(out, plaintext, plaintext_len);
    memset(out + plaintext_len, 0, out_len - plaintext_len);
    r = cbc_run(cbc, true, s->iv, out, out_len, out);
    if (r < 0) {
        crypto_wipe(out, out_len);
        return r;
    }
    /* Sent: the chain moves on now; anything decrypted but unconfirmed
     * before it is stale. */
    memcpy(s->iv, out + out_len - bl, bl);
    s->pending = false;
    return (int)out_len;
}

int crypto_ikev1_cbc_decrypt(struct crypto_ikev1_cbc *cbc, uint32_t message_id,
                             const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t out_max)
{
    uint8_t last[CRYPTO_BLOCK_MAX];
    struct iv_state *s;
    size_t bl;
    int r;

    if (!cbc || !in || !out)
        return -EINVAL;
    bl = cbc->encr->block_len;
    if (in_len == 0 || in_len % bl || in_len > CBC_PLAINTEXT_MAX + bl)
        return -EINVAL;
    if (out_max < in_len)
        return -ENOBUFS;
    r = state_for(cbc, message_id, &s);
    if (r < 0)
        return r;

    memcpy(last, in + in_len - bl, bl);   /* before an in-place decryption overwrites it */
    r = cbc_run(cbc, false, s->iv, in, in_len, out);
    if (r < 0) {
        crypto_wipe(out, in_len);
        return r;
    }
    memcpy(s->pending_iv, last, bl);
    s->pending = true;
    return (int)in_len;
}

int crypto_ikev1_cbc_confirm(struct crypto_ikev1_cbc *cbc, uint32_t message_id)
{
    struct iv_state *s;

    if (!cbc)
        return -EINVAL;
    s = message_id == 0 ? &cbc->phase1 : find(cbc, message_id);
    if (!s || !s->pending)
        return -ENOENT;
    memcpy(s->iv, s->pending_iv, cbc->encr->block_len);
    s->pending = false;
    return 0;
}

void crypto_ikev1_cbc_forget(struct crypto_ikev1_cbc *cbc, uint32_t message_id)
{
    struct iv_state *s;

    if (!cbc || message_id == 0)
        return;
    s = find(cbc, message_id);
    if (s)
        crypto_wipe(s, sizeof(*s));
}

int crypto_ikev1_cbc_iv(struct crypto_ikev1_cbc *cbc, uint32_t message_id,
                        uint8_t *out, size_t out_max)
{
    struct iv_state *s;
    int r;

    if (!cbc || !out)
        return -EINVAL;
    if (out_max < cbc->encr->block_len)
        return -ENOBUFS;
    r = state_for(cbc, message_id, &s);
    if (r < 0)
        return r;
    memcpy(out, s->iv, cbc->encr->block_len);
    return (int)cbc->encr->block_len;
}
