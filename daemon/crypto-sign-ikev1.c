/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv1 RSA signatures (RFC 2409 5.1): SIG_I / SIG_R is the RSA signature
 * of HASH_I / HASH_R itself. The hash is already the prf output, so it is
 * not hashed again and carries no DigestInfo: PKCS#1 v1.5 type-1 padding
 * around the bare bytes (RSA_private_encrypt in the old API; strongSwan's
 * SIGN_RSA_EMSA_PKCS1_NULL; the form every IKEv1 implementation sends).
 * An EVP_PKEY context without a digest does exactly that. See crypto-sign.h.
 */
#include <errno.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "crypto-sign.h"
#include "cert-internal.h"   /* cert_reason */

/* A context for `key` set up for raw PKCS#1 v1.5 (no digest). */
static EVP_PKEY_CTX *raw_pkcs1_ctx(const EVP_PKEY *key, bool sign)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)key, NULL);
    if (!ctx)
        return NULL;
    int r = sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx);
    if (r <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int crypto_sign_ikev1_rsa(const EVP_PKEY *key, const uint8_t *hash, size_t hash_len, uint8_t **ret, size_t *ret_len)
{
    if (!key || !EVP_PKEY_is_a(key, "RSA") || hash_len == 0)
        return -EINVAL;
    /* PKCS#1 v1.5 needs 11 bytes of padding around the data. */
    if (hash_len + 11 > (size_t)EVP_PKEY_get_size(key))
        return -EINVAL;
    EVP_PKEY_CTX *ctx = raw_pkcs1_ctx(key, true);
    uint8_t *sig = NULL;
    size_t len = 0;
    int r = -EIO;
    if (!ctx)
        goto out;
    if (EVP_PKEY_sign(ctx, NULL, &len, hash, hash_len) <= 0)
        goto out;
    sig = malloc(len);
    if (!sig) {
        r = -ENOMEM;
        goto out;
    }
    if (EVP_PKEY_sign(ctx, sig, &len, hash, hash_len) <= 0)
        goto out;
    *ret = sig;
    *ret_len = len;
    sig = NULL;
    r = 0;
out:
    ERR_clear_error();
    free(sig);
    EVP_PKEY_CTX_free(ctx);
    return r;
}

int crypto_sign_ikev1_rsa_verify(const EVP_PKEY *key, const uint8_t *sig, size_t sig_len, const uint8_t *hash,
                                 size_t hash_len, char *reason, size_t reason_len)
{
    if (!key || !EVP_PKEY_is_a(key, "RSA")) {
        cert_reason(reason, reason_len, "the certificate's key is not RSA (auth method 3 needs RSA)");
        return 0;
    }
    /* Exactly the modulus length: no leniency for short or padded values. */
    if (sig_len != (size_t)EVP_PKEY_get_size(key)) {
        cert_reason(reason, reason_len, "RSA signature length %zu does not match the %d-byte key", sig_len,
                    EVP_PKEY_get_size(key));
        return 0;
    }
    EVP_PKEY_CTX *ctx = raw_pkcs1_ctx(key, false);
    if (!ctx) {
        ERR_clear_error();
        return -ENOMEM;
    }
    int r = EVP_PKEY_verify(ctx, sig, sig_len, hash, hash_len);
    ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    if (r == 1)
        return 1;
    cert_reason(reason, reason_len, "signature does not verify (SIG_I is not the RSA signature of HASH_I)");
    return 0;
}
