/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv2 Encrypted payload protection: AES-CBC / 3DES with a truncated HMAC
 * (RFC 7296 3.14) and AES-GCM-16 (RFC 5282). Lengths come from the wire, so
 * every one is checked before it is used; integrity is verified before
 * anything is decrypted, and in constant time.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto-fetch.h"
#include "crypto-prf.h"
#include "crypto-sk.h"

/* The keys for one direction. */
struct sk_dir {
    const struct crypto_encr *encr;
    const struct crypto_integ *integ;   /* NULL with AEAD */
    const uint8_t *ke;                  /* cipher key, then the salt (AEAD) */
    const uint8_t *ka;
    size_t ka_len;
};

static int sk_dir(const struct crypto_ike_keys *keys, bool from_initiator, struct sk_dir *d)
{
    const struct crypto_encr *e;

    if (!keys || !(e = keys->suite.encr))
        return -EINVAL;
    if (e->aead ? keys->suite.integ != NULL : keys->suite.integ == NULL)
        return -EINVAL;
    *d = (struct sk_dir) {
        .encr = e,
        .integ = keys->suite.integ,
        .ke = from_initiator ? keys->sk_ei : keys->sk_er,
        .ka = from_initiator ? keys->sk_ai : keys->sk_ar,
        .ka_len = from_initiator ? keys->sk_ai_len : keys->sk_ar_len,
    };
    /* Keys of the wrong size mean the struct was not derived for this suite. */
    if ((from_initiator ? keys->sk_ei_len : keys->sk_er_len) != e->key_len + e->salt_len)
        return -EINVAL;
    if (d->integ && d->ka_len != d->integ->key_len)
        return -EINVAL;
    if (e->iv_len > CRYPTO_BLOCK_MAX || e->block_len == 0 || e->block_len > CRYPTO_BLOCK_MAX)
        return -EINVAL;
    return 0;
}

static size_t icv_len(const struct sk_dir *d)
{
    return d->encr->aead ? d->encr->icv_len : d->integ->icv_len;
}

/* Ciphertext length for `plaintext_len` bytes: room for the pad length
 * byte, rounded up to the block. */
static size_t ciphertext_len(const struct crypto_encr *e, size_t plaintext_len)
{
    size_t n = plaintext_len + 1;
    return n + (e->block_len - n % e->block_len) % e->block_len;
}

size_t crypto_sk_body_len(const struct crypto_ike_keys *keys, size_t plaintext_len)
{
    struct sk_dir d;

    if (sk_dir(keys, true, &d) < 0 || plaintext_len > 0x10000)   /* IKE lengths are 16-bit */
        return 0;
    return d.encr->iv_len + ciphertext_len(d.encr, plaintext_len) + icv_len(&d);
}

/* The truncated HMAC over aad | IV | ciphertext. */
static int sk_mac(const struct sk_dir *d, const uint8_t *aad, size_t aad_len,
                  const uint8_t *signed_body, size_t signed_len, uint8_t out[CRYPTO_PRF_OUT_MAX])
{
    const struct crypto_chunk data[] = { { aad, aad_len }, { signed_body, signed_len } };
    int r = crypto_hmac(d->integ->digest, d->ka, d->ka_len, data, 2, out, CRYPTO_PRF_OUT_MAX);

    if (r >= 0 && (size_t)r < d->integ->icv_len)
        r = -EIO;
    return r < 0 ? r : 0;
}

/* AES-GCM nonce: the 4-byte salt from the end of SK_e, then the 8-byte IV. */
static void gcm_nonce(const struct sk_dir *d, const uint8_t *iv, uint8_t nonce[12])
{
    memcpy(nonce, d->ke + d->encr->key_len, 4);
    memcpy(nonce + 4, iv, 8);
}

/* Runs the cipher over `in` into `out` (same length, may be the same
 * buffer). AEAD: `aad` authenticated, the tag produced (encrypt) or checked
 * (decrypt; -EBADMSG on mismatch). */
static int run_cipher(const struct sk_dir *d, bool encrypt, const uint8_t *iv,
                      const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                      uint8_t *out, uint8_t *tag)
{
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t nonce[12];
    const uint8_t *civ = iv;
    int outl, r = -EIO;

    if (len > INT32_MAX || aad_len > INT32_MAX)
        return -EINVAL;
    cipher = crypto_fetch_cipher(d->encr->openssl_name);
    if (!cipher)
        return -EOPNOTSUPP;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx) {
        r = -ENOMEM;
        goto out;
    }
    if (d->encr->aead) {
        gcm_nonce(d, iv, nonce);
        civ = nonce;
    }
    /* GCM's default IV length is 12, which is the salt + IV nonce. */
    if (EVP_CipherInit_ex2(ctx, cipher, d->ke, civ, encrypt ? 1 : 0, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
        goto out;
    if (d->encr->aead) {
        if (!encrypt &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)d->encr->icv_len, tag) != 1)
            goto out;
        if (aad_len && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
            goto out;
    }
    if (EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1 || (size_t)outl != len)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out + outl, &outl) != 1) {
        /* For GCM decryption this is the tag check. */
        r = d->encr->aead && !encrypt ? -EBADMSG : -EIO;
        goto out;
    }
    if (outl != 0)
        goto out;
    if (d->encr->aead && encrypt &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)d->encr->icv_len, tag) != 1)
        goto out;
    r = 0;
out:
    crypto_wipe(nonce, sizeof(nonce));
    EVP_CIPHER_CTX_free(ctx);   /* clears the key schedule */
    EVP_CIPHER_free(cipher);
    return r;
}

int crypto_sk_encrypt(const struct crypto_ike_keys *keys, bool from_initiator,
                      const uint8_t *aad, size_t aad_len,
                      const uint8_t *plaintext, size_t plaintext_len,
                      uint8_t *body, size_t body_len)
{
    struct sk_dir d;
    uint8_t mac[CRYPTO_PRF_OUT_MAX];
    size_t ct_len, pad, icv;
    uint8_t *iv, *ct;
    int r;

    r = sk_dir(keys, from_initiator, &d);
    if (r < 0)
        return r;
    if (!aad || !aad_len || (!plaintext && plaintext_len) || !body ||
        body_len != crypto_sk_body_len(keys, plaintext_len))
        return -EINVAL;

    icv = icv_len(&d);
    ct_len = ciphertext_len(d.encr, plaintext_len);
    pad = ct_len - plaintext_len - 1;
    iv = body;
    ct = body + d.encr->iv_len;

    /* Fresh random IV: CBC needs unpredictability; for GCM 64 random bits
     * never repeat within the few thousand messages of an IKE SA. */
    r = crypto_random_public(iv, d.encr->iv_len);
    if (r < 0)
        return r;
    if (plaintext_len)
        memmove(ct, plaintext, plaintext_len);
    memset(ct + plaintext_len, 0, pad);
    ct[ct_len - 1] = (uint8_t)pad;

    if (d.encr->aead)
        return run_cipher(&d, true, iv, aad, aad_len, ct, ct_len, ct, ct + ct_len);

    r = run_cipher(&d, true, iv, NULL, 0, ct, ct_len, ct, NULL);
    if (r < 0)
        return r;
    r = sk_mac(&d, aad, aad_len, body, d.encr->iv_len + ct_len, mac);
    if (r < 0)
        return r;
    memcpy(ct + ct_len, mac, icv);
    return 0;
}

int crypto_sk_decrypt(const struct crypto_ike_keys *keys, bool from_initiator,
                      const uint8_t *aad, size_t aad_len,
                      const uint8_t *body, size_t body_len,
                      uint8_t *plaintext, size_t plaintext_max, size_t *plaintext_len)
{
    struct sk_dir d;
    uint8_t mac[CRYPTO_PRF_OUT_MAX], tag[CRYPTO_ICV_MAX];
    size_t ct_len, icv, pad;
    const uint8_t *iv, *ct;
    int r;

    r = sk_dir(keys, from_initiator, &d);
    if (r < 0)
        return r;
    if (!aad || !aad_len || !body || !plaintext || !plaintext_len)
        return -EINVAL;

    icv = icv_len(&d);
    /* At least one block of ciphertext (it holds the pad length byte);
     * GCM needs no alignment (RFC 5282 section 3): one byte will do, and
     * other implementations' padding is accepted as it comes. */
    if (body_len < d.encr->iv_len + (d.encr->aead ? 1 : d.encr->block_len) + icv)
        return -EINVAL;
    ct_len = body_len - d.encr->iv_len - icv;
    if (ct_len % d.encr->block_len != 0 && !d.encr->aead)
        return -EINVAL;
    if (plaintext_max < ct_len)
        return -ENOBUFS;
    iv = body;
    ct = body + d.encr->iv_len;

    if (d.encr->aead) {
        memcpy(tag, ct + ct_len, icv);
        r = run_cipher(&d, false, iv, aad, aad_len, ct, ct_len, plaintext, tag);
    } else {
        r = sk_mac(&d, aad, aad_len, body, d.encr->iv_len + ct_len, mac);
        if (r == 0 && !crypto_memequal(mac, ct + ct_len, icv))
            r = -EBADMSG;
        crypto_wipe(mac, sizeof(mac));
        if (r == 0)
            r = run_cipher(&d, false, iv, NULL, 0, ct, ct_len, plaintext, NULL);
    }
    if (r < 0) {
        crypto_wipe(plaintext, ct_len);
        return r;
    }

    pad = plaintext[ct_len - 1];
    if (pad + 1 > ct_len) {
        crypto_wipe(plaintext, ct_len);
        return -EINVAL;
    }
    *plaintext_len = ct_len - pad - 1;
    return 0;
}
