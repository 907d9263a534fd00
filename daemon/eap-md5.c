/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * EAP-MD5-Challenge (RFC 3748 5.4, CHAP's computation from RFC 1994):
 * response = MD5(identifier | password | challenge). MD5 is the protocol's
 * own hash here, not an algorithm vpnd chose; the method needs the user's
 * cleartext password and yields no keys (no MSK).
 *
 * Request and response type data: Value-Size (1), Value, Name.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "eap-internal.h"

#define MD5_LEN 16

static int md5_check(struct eap_server *srv)
{
    return 0;   /* MD5 is in OpenSSL's default provider */
}

static int md5_challenge(struct eap_server *srv, uint8_t identifier, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t len = 1 + MD5_LEN + strlen(EAP_SERVER_NAME);

    if (cap < len)
        return -ENOBUFS;
    if (RAND_bytes(srv->challenge, MD5_LEN) != 1)
        return -EIO;
    out[0] = MD5_LEN;
    memcpy(out + 1, srv->challenge, MD5_LEN);
    memcpy(out + 1 + MD5_LEN, EAP_SERVER_NAME, strlen(EAP_SERVER_NAME));
    *out_len = len;
    return 0;
}

/* MD5(identifier | password | challenge) */
static int md5_expected(uint8_t identifier, const uint8_t *password, size_t password_len,
                        const uint8_t challenge[MD5_LEN], uint8_t out[MD5_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int r = -EIO;

    if (!ctx)
        return -ENOMEM;
    if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
        EVP_DigestUpdate(ctx, &identifier, 1) == 1 &&
        (password_len == 0 || EVP_DigestUpdate(ctx, password, password_len) == 1) &&
        EVP_DigestUpdate(ctx, challenge, MD5_LEN) == 1 &&
        EVP_DigestFinal_ex(ctx, out, NULL) == 1)
        r = 0;
    EVP_MD_CTX_free(ctx);
    return r;
}

static int md5_process(struct eap_server *srv, uint8_t identifier, const uint8_t *data, size_t len,
                       uint8_t next_identifier, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t expected[MD5_LEN];
    bool match;
    int r;

    if (len < 1 + MD5_LEN || data[0] != MD5_LEN) {
        eap_set_reason(srv, "discarded response: MD5 response of %zu bytes, Value-Size %u (want %d)",
                       len, len ? data[0] : 0, MD5_LEN);
        return EAP_STEP_DISCARD;
    }
    /* The Name after the value is the peer's; the EAP identity is what counts. */
    if (!srv->user_found) {
        eap_set_reason(srv, "unknown user");
        return EAP_STEP_FAILURE;
    }
    if (srv->creds.password_len == 0) {
        eap_set_reason(srv, "user has no cleartext password (EAP-MD5 needs 'password')");
        return EAP_STEP_FAILURE;
    }
    r = md5_expected(identifier, srv->creds.password, srv->creds.password_len, srv->challenge, expected);
    if (r < 0)
        return r;
    match = CRYPTO_memcmp(expected, data + 1, MD5_LEN) == 0;
    OPENSSL_cleanse(expected, sizeof(expected));
    OPENSSL_cleanse(&srv->creds, sizeof(srv->creds));   /* one try per conversation */
    if (!match) {
        eap_set_reason(srv, "wrong password");
        return EAP_STEP_FAILURE;
    }
    return EAP_STEP_SUCCESS;
}

const struct eap_method_ops eap_md5_ops = {
    .type = EAP_TYPE_MD5,
    .name = "MD5",
    .check = md5_check,
    .challenge = md5_challenge,
    .process = md5_process,
};
