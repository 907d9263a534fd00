/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ESP algorithms vpnd installs, with the kernel's names and the key and
 * truncation lengths the IKE RFCs fix for them (RFC 4106, 3602, 2451, 2404,
 * 4868). HMAC-SHA-2 is always sent with an explicit truncation length: the
 * kernel's default for hmac(sha256) is the pre-RFC 96 bits.
 */
#include <errno.h>
#include <string.h>

#include "xfrm-msg.h"

struct cipher_desc {
    const char *name;
    bool aead;
    unsigned icv_bits;
    size_t key_lens[3];         /* bytes, 0-terminated when fewer */
};

static const struct cipher_desc ciphers[] = {
    /* key plus the 4-byte salt (RFC 4106 section 8.1) */
    [XFRM_CIPHER_AES_GCM_16] = { "rfc4106(gcm(aes))", true, 128, { 16 + 4, 24 + 4, 32 + 4 } },
    [XFRM_CIPHER_AES_CBC]    = { "cbc(aes)", false, 0, { 16, 24, 32 } },
    [XFRM_CIPHER_3DES_CBC]   = { "cbc(des3_ede)", false, 0, { 24 } },
};

struct integ_desc {
    const char *name;
    size_t key_len;
    unsigned trunc_bits;
};

static const struct integ_desc integs[] = {
    [XFRM_INTEG_HMAC_SHA1_96]    = { "hmac(sha1)", 20, 96 },
    [XFRM_INTEG_HMAC_SHA256_128] = { "hmac(sha256)", 32, 128 },
    [XFRM_INTEG_HMAC_SHA384_192] = { "hmac(sha384)", 48, 192 },
    [XFRM_INTEG_HMAC_SHA512_256] = { "hmac(sha512)", 64, 256 },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct cipher_desc *cipher_desc(enum xfrm_cipher c)
{
    if ((size_t)c >= N_ELEMS(ciphers) || !ciphers[c].name)
        return NULL;
    return &ciphers[c];
}

static const struct integ_desc *integ_desc(enum xfrm_integ i)
{
    if ((size_t)i >= N_ELEMS(integs) || !integs[i].name)
        return NULL;
    return &integs[i];
}

const char *xfrm_cipher_name(enum xfrm_cipher c)
{
    const struct cipher_desc *d = cipher_desc(c);
    return d ? d->name : NULL;
}

const char *xfrm_integ_name(enum xfrm_integ i)
{
    const struct integ_desc *d = integ_desc(i);
    return d ? d->name : NULL;
}

bool xfrm_cipher_is_aead(enum xfrm_cipher c)
{
    const struct cipher_desc *d = cipher_desc(c);
    return d && d->aead;
}

unsigned xfrm_cipher_icv_bits(enum xfrm_cipher c)
{
    const struct cipher_desc *d = cipher_desc(c);
    return d ? d->icv_bits : 0;
}

bool xfrm_cipher_key_len_ok(enum xfrm_cipher c, size_t len)
{
    const struct cipher_desc *d = cipher_desc(c);
    if (!d)
        return false;
    for (size_t k = 0; k < N_ELEMS(d->key_lens) && d->key_lens[k]; k++)
        if (d->key_lens[k] == len)
            return true;
    return false;
}

bool xfrm_integ_key_len_ok(enum xfrm_integ i, size_t len)
{
    const struct integ_desc *d = integ_desc(i);
    return d && d->key_len == len;
}

unsigned xfrm_integ_trunc_bits(enum xfrm_integ i)
{
    const struct integ_desc *d = integ_desc(i);
    return d ? d->trunc_bits : 0;
}

int xfrm_cipher_from_name(const char *name, enum xfrm_cipher *ret)
{
    for (size_t c = 0; c < N_ELEMS(ciphers); c++)
        if (ciphers[c].name && strcmp(ciphers[c].name, name) == 0) {
            *ret = (enum xfrm_cipher)c;
            return 0;
        }
    return -ENOENT;
}

int xfrm_integ_from_name(const char *name, unsigned trunc_bits, enum xfrm_integ *ret)
{
    for (size_t i = 0; i < N_ELEMS(integs); i++)
        if (integs[i].name && strcmp(integs[i].name, name) == 0 &&
            integs[i].trunc_bits == trunc_bits) {
            *ret = (enum xfrm_integ)i;
            return 0;
        }
    return -ENOENT;
}
