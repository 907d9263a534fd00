/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RADIUS packet encoding, verification and RADIUS's MD5 constructions
 * (see radius-packet.h). Every length read from the wire is checked against
 * the bytes that are actually there before it is used.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "radius-packet.h"

/* ---- MD5 pieces ------------------------------------------------------------ */

struct chunk {
    const void *data;
    size_t len;
};

/* MD5 over the concatenation of `n` chunks. */
static int md5(const struct chunk *chunks, size_t n, uint8_t out[16])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned len = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(ctx, chunks[i].data, chunks[i].len);
    ok = ok && EVP_DigestFinal_ex(ctx, out, &len) && len == 16;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -EIO;
}

/* HMAC-MD5(secret, pkt) for the Message-Authenticator (RFC 2869 5.14). */
static int hmac_md5(const uint8_t *secret, size_t secret_len, const uint8_t *pkt, size_t len, uint8_t out[16])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"MD5", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t out_len = 0;
    int ok = ctx && EVP_MAC_init(ctx, secret, secret_len, params) && EVP_MAC_update(ctx, pkt, len) &&
             EVP_MAC_final(ctx, out, &out_len, 16) && out_len == 16;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ok ? 0 : -EIO;
}

/* RFC 2865 5.2: b1 = MD5(S + RA), c1 = p1 xor b1, bi = MD5(S + c(i-1)).
 * RFC 2548 2.4.2 is the same chain seeded with RA + salt. */
static int md5_chain(uint8_t *data, size_t len, const uint8_t *seed, size_t seed_len, const uint8_t *secret,
                     size_t secret_len, bool reveal)
{
    uint8_t b[16], prev[16];
    int r = 0;

    if (len == 0 || len % 16 != 0)
        return -EINVAL;
    for (size_t off = 0; off < len; off += 16) {
        struct chunk c[2] = { { secret, secret_len }, { off == 0 ? seed : prev, off == 0 ? seed_len : 16 } };
        r = md5(c, 2, b);
        if (r < 0)
            break;
        /* The next block hashes the ciphertext: before xor when revealing. */
        memcpy(prev, data + off, 16);
        for (size_t i = 0; i < 16; i++)
            data[off + i] ^= b[i];
        if (!reveal)
            memcpy(prev, data + off, 16);
    }
    OPENSSL_cleanse(b, sizeof(b));
    OPENSSL_cleanse(prev, sizeof(prev));
    return r;
}

int radius_password_hide(uint8_t *data, size_t len, const uint8_t request_auth[RADIUS_AUTH_LEN],
                         const uint8_t *secret, size_t secret_len, bool reveal)
{
    return md5_chain(data, len, request_auth, RADIUS_AUTH_LEN, secret, secret_len, reveal);
}

/* ---- requests -------------------------------------------------------------- */

int radius_request_init(struct radius_request *req, uint8_t code)
{
    if (!req || (code != RADIUS_ACCESS_REQUEST && code != RADIUS_ACCOUNTING_REQUEST))
        return -EINVAL;
    memset(req, 0, sizeof(*req));
    req->code = code;
    return 0;
}

void radius_request_wipe(struct radius_request *req)
{
    if (req)
        OPENSSL_cleanse(req, sizeof(*req));
}

/* The room left for attributes once the sealed extras are in. */
static size_t reserved(const struct radius_request *req)
{
    size_t n = 0;
    if (req->has_password)
        n += 2 + ((req->password_len + 15) / 16) * 16;
    if (req->code == RADIUS_ACCESS_REQUEST || req->has_eap)
        n += 2 + 16;
    return n;
}

static int append(struct radius_request *req, uint8_t type, const void *value, size_t len)
{
    if (len == 0 || len > RADIUS_MAX_ATTR_VALUE)
        return -EINVAL;
    if (req->attrs_len + 2 + len + reserved(req) > sizeof(req->attrs))
        return -E2BIG;
    req->attrs[req->attrs_len] = type;
    req->attrs[req->attrs_len + 1] = (uint8_t)(2 + len);
    memcpy(req->attrs + req->attrs_len + 2, value, len);
    req->attrs_len += 2 + len;
    return 0;
}

int radius_request_add(struct radius_request *req, uint8_t type, const void *value, size_t len)
{
    if (!req || !value || type == RADIUS_USER_PASSWORD || type == RADIUS_MESSAGE_AUTHENTICATOR ||
        type == RADIUS_EAP_MESSAGE || type == 0)
        return -EINVAL;
    return append(req, type, value, len);
}

int radius_request_add_string(struct radius_request *req, uint8_t type, const char *value)
{
    if (!value)
        return -EINVAL;
    return radius_request_add(req, type, value, strlen(value));
}

int radius_request_add_u32(struct radius_request *req, uint8_t type, uint32_t value)
{
    uint8_t b[4] = { (uint8_t)(value >> 24), (uint8_t)(value >> 16), (uint8_t)(value >> 8), (uint8_t)value };
    return radius_request_add(req, type, b, sizeof(b));
}

int radius_request_add_ipv4(struct radius_request *req, uint8_t type, struct in_addr addr)
{
    return radius_request_add(req, type, &addr.s_addr, 4);
}

int radius_request_add_vendor(struct radius_request *req, uint32_t vendor, uint8_t vendor_type, const void *value,
                              size_t len)
{
    uint8_t b[RADIUS_MAX_ATTR_VALUE];
    if (!value || len == 0 || len > RADIUS_MAX_ATTR_VALUE - 6)
        return -EINVAL;
    b[0] = (uint8_t)(vendor >> 24);
    b[1] = (uint8_t)(vendor >> 16);
    b[2] = (uint8_t)(vendor >> 8);
    b[3] = (uint8_t)vendor;
    b[4] = vendor_type;
    b[5] = (uint8_t)(2 + len);
    memcpy(b + 6, value, len);
    int r = radius_request_add(req, RADIUS_VENDOR_SPECIFIC, b, 6 + len);
    OPENSSL_cleanse(b, sizeof(b));
    return r;
}

int radius_request_set_password(struct radius_request *req, const void *password, size_t len)
{
    if (!req || !password || len == 0 || len > RADIUS_MAX_PASSWORD || req->code != RADIUS_ACCESS_REQUEST ||
        req->has_password)
        return -EINVAL;
    if (req->attrs_len + 2 + ((len + 15) / 16) * 16 + reserved(req) > sizeof(req->attrs))
        return -E2BIG;
    memcpy(req->password, password, len);
    req->password_len = len;
    req->has_password = true;
    return 0;
}

int radius_request_add_eap(struct radius_request *req, const void *eap, size_t len)
{
    if (!req || !eap || len == 0)
        return -EINVAL;
    size_t chunks = (len + RADIUS_MAX_ATTR_VALUE - 1) / RADIUS_MAX_ATTR_VALUE;
    bool had_eap = req->has_eap;
    req->has_eap = true;    /* reserves the Message-Authenticator it requires */
    if (req->attrs_len + 2 * chunks + len + reserved(req) > sizeof(req->attrs)) {
        req->has_eap = had_eap;
        return -E2BIG;
    }
    for (size_t off = 0; off < len; off += RADIUS_MAX_ATTR_VALUE) {
        size_t n = len - off < RADIUS_MAX_ATTR_VALUE ? len - off : RADIUS_MAX_ATTR_VALUE;
        int r = append(req, RADIUS_EAP_MESSAGE, (const uint8_t *)eap + off, n);
        if (r < 0)
            return r;
    }
    return 0;
}

int radius_request_seal(const struct radius_request *req, uint8_t identifier, uint8_t authenticator[RADIUS_AUTH_LEN],
                        const uint8_t *secret, size_t secret_len, uint8_t *out, size_t out_len)
{
    size_t len = RADIUS_HEADER_LEN, ma_offset = 0;
    int r;

    if (!req || !authenticator || !secret || secret_len == 0 || !out)
        return -EINVAL;
    if (RADIUS_HEADER_LEN + req->attrs_len + reserved(req) > RADIUS_MAX_PACKET ||
        RADIUS_HEADER_LEN + req->attrs_len + reserved(req) > out_len)
        return -E2BIG;

    out[0] = req->code;
    out[1] = identifier;
    if (req->code == RADIUS_ACCESS_REQUEST)
        memcpy(out + 4, authenticator, RADIUS_AUTH_LEN);
    else
        memset(out + 4, 0, RADIUS_AUTH_LEN);    /* RFC 2866 3: zeros while hashing */

    if (req->has_password) {
        size_t padded = ((req->password_len + 15) / 16) * 16;
        out[len] = RADIUS_USER_PASSWORD;
        out[len + 1] = (uint8_t)(2 + padded);
        memset(out + len + 2, 0, padded);
        memcpy(out + len + 2, req->password, req->password_len);
        r = radius_password_hide(out + len + 2, padded, authenticator, secret, secret_len, false);
        if (r < 0)
            goto fail;
        len += 2 + padded;
    }
    memcpy(out + len, req->attrs, req->attrs_len);
    len += req->attrs_len;
    if (req->code == RADIUS_ACCESS_REQUEST || req->has_eap) {
        ma_offset = len;
        out[len] = RADIUS_MESSAGE_AUTHENTICATOR;
        out[len + 1] = 18;
        memset(out + len + 2, 0, 16);
        len += 18;
    }
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;

    /* RFC 3579 3.2: the HMAC covers the packet with the authenticator in
     * place and the Message-Authenticator zeroed; for an Accounting-Request
     * the Request Authenticator field is still zero here, as RFC 5080 2.2.1
     * describes. */
    if (ma_offset) {
        r = hmac_md5(secret, secret_len, out, len, out + ma_offset + 2);
        if (r < 0)
            goto fail;
    }
    if (req->code == RADIUS_ACCOUNTING_REQUEST) {
        struct chunk c[2] = { { out, len }, { secret, secret_len } };
        r = md5(c, 2, out + 4);
        if (r < 0)
            goto fail;
        memcpy(authenticator, out + 4, RADIUS_AUTH_LEN);
    }
    return (int)len;
fail:
    OPENSSL_cleanse(out, len);
    return r;
}

/* ---- responses ------------------------------------------------------------- */

int radius_packet_check(const uint8_t *pkt, size_t len)
{
    if (!pkt || len < RADIUS_HEADER_LEN)
        return -EBADMSG;
    size_t plen = (size_t)pkt[2] << 8 | pkt[3];
    if (plen < RADIUS_HEADER_LEN || plen > RADIUS_MAX_PACKET || plen > len)
        return -EBADMSG;
    for (size_t off = RADIUS_HEADER_LEN; off < plen;) {
        if (plen - off < 2 || pkt[off + 1] < 2 || pkt[off + 1] > plen - off)
            return -EBADMSG;
        off += pkt[off + 1];
    }
    return (int)plen;
}

int radius_packet_find(const uint8_t *pkt, size_t len, uint8_t type, unsigned index, const uint8_t **value,
                       size_t *value_len)
{
    if (radius_packet_check(pkt, len) < 0)
        return -EBADMSG;
    len = (size_t)pkt[2] << 8 | pkt[3];
    for (size_t off = RADIUS_HEADER_LEN; off < len; off += pkt[off + 1]) {
        if (pkt[off] != type)
            continue;
        if (index-- > 0)
            continue;
        if (value)
            *value = pkt + off + 2;
        if (value_len)
            *value_len = (size_t)pkt[off + 1] - 2;
        return 1;
    }
    return 0;
}

int radius_packet_find_vendor(const uint8_t *pkt, size_t len, uint32_t vendor, uint8_t vendor_type, unsigned index,
                              const uint8_t **value, size_t *value_len)
{
    const uint8_t *v;
    size_t vlen;

    for (unsigned i = 0;; i++) {
        int r = radius_packet_find(pkt, len, RADIUS_VENDOR_SPECIFIC, i, &v, &vlen);
        if (r <= 0)
            return r;
        if (vlen < 4 || ((uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3]) != vendor)
            continue;
        /* One VSA may hold several sub-attributes; a malformed one is skipped whole. */
        size_t off = 4;
        bool sane = true;
        for (size_t o = 4; o < vlen;) {
            if (vlen - o < 2 || v[o + 1] < 2 || v[o + 1] > vlen - o) {
                sane = false;
                break;
            }
            o += v[o + 1];
        }
        if (!sane)
            continue;
        for (; off < vlen; off += v[off + 1]) {
            if (v[off] != vendor_type || index-- > 0)
                continue;
            if (value)
                *value = v + off + 2;
            if (value_len)
                *value_len = (size_t)v[off + 1] - 2;
            return 1;
        }
    }
}

static bool code_answers(uint8_t request_code, uint8_t code)
{
    if (request_code == RADIUS_ACCESS_REQUEST)
        return code == RADIUS_ACCESS_ACCEPT || code == RADIUS_ACCESS_REJECT || code == RADIUS_ACCESS_CHALLENGE;
    return request_code == RADIUS_ACCOUNTING_REQUEST && code == RADIUS_ACCOUNTING_RESPONSE;
}

enum radius_verdict radius_response_verify(const uint8_t *pkt, size_t len, uint8_t request_code,
                                           const uint8_t request_auth[RADIUS_AUTH_LEN],
                                           const uint8_t *secret, size_t secret_len, bool require_ma)
{
    uint8_t copy[RADIUS_MAX_PACKET], expect[16];
    enum radius_verdict verdict = RADIUS_OK;

    int plen = radius_packet_check(pkt, len);
    if (plen < 0)
        return RADIUS_MALFORMED;
    if (!code_answers(request_code, pkt[0]))
        return RADIUS_BAD_CODE;

    /* Response Authenticator: MD5(Code+ID+Length+RequestAuth+Attributes+Secret). */
    memcpy(copy, pkt, (size_t)plen);
    memcpy(copy + 4, request_auth, RADIUS_AUTH_LEN);
    struct chunk c[2] = { { copy, (size_t)plen }, { secret, secret_len } };
    if (md5(c, 2, expect) < 0 || CRYPTO_memcmp(expect, pkt + 4, 16) != 0)
        return RADIUS_BAD_AUTHENTICATOR;

    const uint8_t *ma;
    size_t ma_len;
    int found = radius_packet_find(pkt, (size_t)plen, RADIUS_MESSAGE_AUTHENTICATOR, 0, &ma, &ma_len);
    if (found == 0) {
        /* RFC 3579 3.2: a packet with EAP-Message must be authenticated. */
        if (radius_packet_find(pkt, (size_t)plen, RADIUS_EAP_MESSAGE, 0, NULL, NULL) == 1 ||
            (require_ma && request_code == RADIUS_ACCESS_REQUEST))
            verdict = RADIUS_BAD_AUTHENTICATOR;
        goto out;
    }
    if (ma_len != 16 || radius_packet_find(pkt, (size_t)plen, RADIUS_MESSAGE_AUTHENTICATOR, 1, NULL, NULL) != 0) {
        verdict = RADIUS_MALFORMED;
        goto out;
    }
    /* The HMAC is over the packet with the request's authenticator and a zeroed Message-Authenticator. */
    memset(copy + (ma - pkt), 0, 16);
    if (hmac_md5(secret, secret_len, copy, (size_t)plen, expect) < 0 || CRYPTO_memcmp(expect, ma, 16) != 0)
        verdict = RADIUS_BAD_AUTHENTICATOR;
out:
    OPENSSL_cleanse(copy, (size_t)plen);
    return verdict;
}

int radius_mppe_key_decrypt(const uint8_t *value, size_t value_len, const uint8_t request_auth[RADIUS_AUTH_LEN],
                            const uint8_t *secret, size_t secret_len, uint8_t *key, size_t key_max)
{
    uint8_t plain[RADIUS_MAX_ATTR_VALUE], seed[RADIUS_AUTH_LEN + 2];
    int r;

    /* Salt (2 bytes, high bit set) + a string of whole 16-byte blocks. */
    if (!value || value_len < 2 + 16 || (value_len - 2) % 16 != 0 || !(value[0] & 0x80) || !key)
        return -EBADMSG;
    size_t n = value_len - 2;
    memcpy(plain, value + 2, n);
    memcpy(seed, request_auth, RADIUS_AUTH_LEN);
    memcpy(seed + RADIUS_AUTH_LEN, value, 2);
    r = md5_chain(plain, n, seed, sizeof(seed), secret, secret_len, true);
    if (r < 0)
        goto out;
    /* The first plaintext byte is the key's length. */
    if (plain[0] > n - 1 || plain[0] > key_max || plain[0] == 0) {
        r = -EBADMSG;
        goto out;
    }
    memcpy(key, plain + 1, plain[0]);
    r = plain[0];
out:
    OPENSSL_cleanse(plain, sizeof(plain));
    return r;
}

const char *radius_code_name(uint8_t code)
{
    switch (code) {
    case RADIUS_ACCESS_REQUEST:      return "Access-Request";
    case RADIUS_ACCESS_ACCEPT:       return "Access-Accept";
    case RADIUS_ACCESS_REJECT:       return "Access-Reject";
    case RADIUS_ACCOUNTING_REQUEST:  return "Accounting-Request";
    case RADIUS_ACCOUNTING_RESPONSE: return "Accounting-Response";
    case RADIUS_ACCESS_CHALLENGE:    return "Access-Challenge";
    default:                         return "unknown";
    }
}
