/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * MS-CHAPv2 (RFC 2759) and its MPPE master keys (RFC 3079) over OpenSSL 3.
 * See eap-mschapv2-crypto.h for why MD4 and DES come from a private library
 * context.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "eap-mschapv2-crypto.h"

/* ------------------------------------------------------------------------
 * The private library context with the legacy provider
 * ------------------------------------------------------------------------ */

static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *legacy_ctx;        /* NULL when the legacy provider is unavailable */

static void legacy_ctx_init(void)
{
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

    if (!ctx)
        return;
    /* Providers stay loaded for the process lifetime, like the context. */
    if (!OSSL_PROVIDER_load(ctx, "legacy") || !OSSL_PROVIDER_load(ctx, "default")) {
        OSSL_LIB_CTX_free(ctx);
        return;
    }
    legacy_ctx = ctx;
}

static OSSL_LIB_CTX *legacy_context(void)
{
    if (pthread_once(&legacy_once, legacy_ctx_init) != 0)
        return NULL;
    return legacy_ctx;
}

int eap_mschapv2_crypto_check(void)
{
    OSSL_LIB_CTX *ctx = legacy_context();
    EVP_MD *md4;
    EVP_CIPHER *des;
    int r = 0;

    if (!ctx)
        return -ENOPKG;
    md4 = EVP_MD_fetch(ctx, "MD4", NULL);
    des = EVP_CIPHER_fetch(ctx, "DES-ECB", NULL);
    if (!md4 || !des)
        r = -ENOPKG;
    EVP_MD_free(md4);
    EVP_CIPHER_free(des);
    return r;
}

/* ------------------------------------------------------------------------
 * Hashes
 * ------------------------------------------------------------------------ */

struct part {
    const void *ptr;
    size_t len;
};

/* digest(parts...) into out (which holds at least the digest's size). */
static int digest_parts(OSSL_LIB_CTX *ctx, const char *name, const struct part *parts, size_t n, uint8_t *out)
{
    EVP_MD *md = EVP_MD_fetch(ctx, name, NULL);
    EVP_MD_CTX *mdctx = md ? EVP_MD_CTX_new() : NULL;
    int r = -EIO;

    if (!md)
        return ctx ? -ENOPKG : -EIO;
    if (!mdctx)
        goto out;
    if (EVP_DigestInit_ex(mdctx, md, NULL) != 1)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (parts[i].len && EVP_DigestUpdate(mdctx, parts[i].ptr, parts[i].len) != 1)
            goto out;
    if (EVP_DigestFinal_ex(mdctx, out, NULL) != 1)
        goto out;
    r = 0;
out:
    EVP_MD_CTX_free(mdctx);
    EVP_MD_free(md);
    return r;
}

static int md4(const struct part *parts, size_t n, uint8_t out[16])
{
    OSSL_LIB_CTX *ctx = legacy_context();

    if (!ctx)
        return -ENOPKG;
    return digest_parts(ctx, "MD4", parts, n, out);
}

/* SHA-1 is in the default provider; the daemon's normal context will do. */
static int sha1(const struct part *parts, size_t n, uint8_t out[20])
{
    return digest_parts(NULL, "SHA1", parts, n, out);
}

/* ------------------------------------------------------------------------
 * RFC 2759 section 8
 * ------------------------------------------------------------------------ */

/* One code point from UTF-8, strictly (no overlong forms, no surrogates). */
static int utf8_next(const uint8_t *s, size_t len, size_t *pos, uint32_t *cp)
{
    uint8_t c = s[*pos];
    size_t n;
    uint32_t v, min;

    if (c < 0x80) {
        *cp = c;
        (*pos)++;
        return 0;
    }
    if ((c & 0xe0) == 0xc0) {
        n = 1; v = c & 0x1f; min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 2; v = c & 0x0f; min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 3; v = c & 0x07; min = 0x10000;
    } else {
        return -EINVAL;
    }
    if (len - *pos - 1 < n)
        return -EINVAL;
    for (size_t i = 1; i <= n; i++) {
        uint8_t cc = s[*pos + i];
        if ((cc & 0xc0) != 0x80)
            return -EINVAL;
        v = v << 6 | (cc & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return -EINVAL;
    *cp = v;
    *pos += n + 1;
    return 0;
}

int eap_mschapv2_nt_password_hash(const uint8_t *password, size_t len, uint8_t hash[MSCHAPV2_NT_HASH_LEN])
{
    /* RFC 2759: at most 256 Unicode characters; a surrogate pair is two. */
    uint8_t unicode[2 * 256];
    size_t pos = 0, out = 0;
    int r = 0;

    if (!password && len)
        return -EINVAL;
    while (pos < len) {
        uint32_t cp;
        r = utf8_next(password, len, &pos, &cp);
        if (r < 0)
            goto out;
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000;
            uint16_t hi = (uint16_t)(0xd800 | v >> 10), lo = (uint16_t)(0xdc00 | (v & 0x3ff));
            if (out + 4 > sizeof(unicode)) {
                r = -EINVAL;
                goto out;
            }
            unicode[out++] = hi & 0xff;
            unicode[out++] = hi >> 8;
            unicode[out++] = lo & 0xff;
            unicode[out++] = lo >> 8;
        } else {
            if (out + 2 > sizeof(unicode)) {
                r = -EINVAL;
                goto out;
            }
            unicode[out++] = cp & 0xff;
            unicode[out++] = (uint8_t)(cp >> 8);
        }
    }
    r = md4(&(struct part){ unicode, out }, 1, hash);
out:
    OPENSSL_cleanse(unicode, sizeof(unicode));
    return r;
}

int eap_mschapv2_challenge_hash(const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                                const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                                const char *user, size_t user_len, uint8_t challenge[8])
{
    uint8_t digest[20];
    const struct part parts[] = {
        { peer_challenge, MSCHAPV2_CHALLENGE_LEN },
        { auth_challenge, MSCHAPV2_CHALLENGE_LEN },
        { user, user_len },
    };
    int r = sha1(parts, 3, digest);

    if (r < 0)
        return r;
    memcpy(challenge, digest, 8);
    return 0;
}

/* DES takes 56 key bits as 8 bytes with a (here ignored) parity bit each. */
static void des_expand_key(const uint8_t in[7], uint8_t out[8])
{
    out[0] = in[0] & 0xfe;
    out[1] = (uint8_t)(in[0] << 7 | in[1] >> 1);
    out[2] = (uint8_t)(in[1] << 6 | in[2] >> 2);
    out[3] = (uint8_t)(in[2] << 5 | in[3] >> 3);
    out[4] = (uint8_t)(in[3] << 4 | in[4] >> 4);
    out[5] = (uint8_t)(in[4] << 3 | in[5] >> 5);
    out[6] = (uint8_t)(in[5] << 2 | in[6] >> 6);
    out[7] = (uint8_t)(in[6] << 1);
}

/* ChallengeResponse: the 8-byte challenge DES-encrypted under the three
 * 7-byte thirds of the zero-padded 21-byte password hash. */
static int challenge_response(const uint8_t challenge[8], const uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN],
                              uint8_t response[MSCHAPV2_NT_RESPONSE_LEN])
{
    OSSL_LIB_CTX *ctx = legacy_context();
    EVP_CIPHER *des;
    EVP_CIPHER_CTX *cctx = NULL;
    uint8_t z_hash[21] = { 0 }, key[8];
    int r = -EIO;

    if (!ctx)
        return -ENOPKG;
    des = EVP_CIPHER_fetch(ctx, "DES-ECB", NULL);
    if (!des)
        return -ENOPKG;
    cctx = EVP_CIPHER_CTX_new();
    if (!cctx)
        goto out;
    memcpy(z_hash, nt_hash, MSCHAPV2_NT_HASH_LEN);
    for (int i = 0; i < 3; i++) {
        int n = 0;
        des_expand_key(z_hash + 7 * i, key);
        if (EVP_EncryptInit_ex(cctx, des, NULL, key, NULL) != 1 ||
            EVP_CIPHER_CTX_set_padding(cctx, 0) != 1 ||
            EVP_EncryptUpdate(cctx, response + 8 * i, &n, challenge, 8) != 1 || n != 8)
            goto out;
    }
    r = 0;
out:
    OPENSSL_cleanse(z_hash, sizeof(z_hash));
    OPENSSL_cleanse(key, sizeof(key));
    EVP_CIPHER_CTX_free(cctx);
    EVP_CIPHER_free(des);
    return r;
}

int eap_mschapv2_nt_response(const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                             const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                             const char *user, size_t user_len,
                             const uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN],
                             uint8_t response[MSCHAPV2_NT_RESPONSE_LEN])
{
    uint8_t challenge[8];
    int r = eap_mschapv2_challenge_hash(peer_challenge, auth_challenge, user, user_len, challenge);

    if (r < 0)
        return r;
    return challenge_response(challenge, nt_hash, response);
}

/* HashNtPasswordHash: MD4 of the 16-byte hash. */
static int hash_nt_password_hash(const uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN], uint8_t out[16])
{
    return md4(&(struct part){ nt_hash, MSCHAPV2_NT_HASH_LEN }, 1, out);
}

int eap_mschapv2_authenticator_response(const uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN],
                                        const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
                                        const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                                        const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                                        const char *user, size_t user_len,
                                        char out[MSCHAPV2_AUTH_RESPONSE_LEN + 1])
{
    static const char magic1[] = "Magic server to client signing constant";
    static const char magic2[] = "Pad to make it do more than one iteration";
    static const char hex[] = "0123456789ABCDEF";
    uint8_t hash_hash[16], digest[20], challenge[8];
    int r;

    r = hash_nt_password_hash(nt_hash, hash_hash);
    if (r < 0)
        goto out;
    r = sha1((const struct part[]){ { hash_hash, 16 }, { nt_response, MSCHAPV2_NT_RESPONSE_LEN },
                                    { magic1, sizeof(magic1) - 1 } }, 3, digest);
    if (r < 0)
        goto out;
    r = eap_mschapv2_challenge_hash(peer_challenge, auth_challenge, user, user_len, challenge);
    if (r < 0)
        goto out;
    r = sha1((const struct part[]){ { digest, 20 }, { challenge, 8 }, { magic2, sizeof(magic2) - 1 } }, 3, digest);
    if (r < 0)
        goto out;
    out[0] = 'S';
    out[1] = '=';
    for (int i = 0; i < 20; i++) {
        out[2 + 2 * i] = hex[digest[i] >> 4];
        out[3 + 2 * i] = hex[digest[i] & 0xf];
    }
    out[MSCHAPV2_AUTH_RESPONSE_LEN] = '\0';
out:
    OPENSSL_cleanse(hash_hash, sizeof(hash_hash));
    OPENSSL_cleanse(digest, sizeof(digest));
    return r;
}

/* ------------------------------------------------------------------------
 * RFC 3079 section 3.4
 * ------------------------------------------------------------------------ */

int eap_mschapv2_master_key(const uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN],
                            const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN], uint8_t master[16])
{
    static const char magic1[] = "This is the MPPE Master Key";
    uint8_t hash_hash[16], digest[20];
    int r = hash_nt_password_hash(nt_hash, hash_hash);

    if (r < 0)
        goto out;
    r = sha1((const struct part[]){ { hash_hash, 16 }, { nt_response, MSCHAPV2_NT_RESPONSE_LEN },
                                    { magic1, sizeof(magic1) - 1 } }, 3, digest);
    if (r < 0)
        goto out;
    memcpy(master, digest, 16);
out:
    OPENSSL_cleanse(hash_hash, sizeof(hash_hash));
    OPENSSL_cleanse(digest, sizeof(digest));
    return r;
}

int eap_mschapv2_asymmetric_start_key(const uint8_t master[16], bool is_send, bool is_server, uint8_t key[16])
{
    static const char magic2[] =
        "On the client side, this is the send key; on the server side, it is the receive key.";
    static const char magic3[] =
        "On the client side, this is the receive key; on the server side, it is the send key.";
    static const uint8_t pad1[40] = { 0 };
    static const uint8_t pad2[40] = {
        0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2,
        0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2,
        0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2,
        0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2,
    };
    /* Client send == server receive: Magic2; the other two: Magic3. */
    const char *magic = is_send == is_server ? magic3 : magic2;
    uint8_t digest[20];
    int r = sha1((const struct part[]){ { master, 16 }, { pad1, sizeof(pad1) },
                                        { magic, sizeof(magic2) - 1 }, { pad2, sizeof(pad2) } }, 4, digest);

    if (r == 0)
        memcpy(key, digest, 16);
    OPENSSL_cleanse(digest, sizeof(digest));
    return r;
}

int eap_mschapv2_msk(const uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN],
                     const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN], uint8_t msk[64])
{
    uint8_t master[16];
    int r = eap_mschapv2_master_key(nt_hash, nt_response, master);

    memset(msk, 0, 64);
    if (r == 0)
        r = eap_mschapv2_asymmetric_start_key(master, false, true, msk);
    if (r == 0)
        r = eap_mschapv2_asymmetric_start_key(master, true, true, msk + 16);
    if (r < 0)
        OPENSSL_cleanse(msk, 64);
    OPENSSL_cleanse(master, sizeof(master));
    return r;
}
