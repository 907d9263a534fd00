/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Every algorithm vpnd negotiates, with its keyword in vpnd.conf, its wire
 * numbers (IKEv2: RFC 7296 and the IANA registry; IKEv1: RFC 2409
 * Appendix A, RFC 2407 and RFC 4106/4868) and its kernel name for XFRM.
 *
 * Legacy algorithms (DES, 3DES, MD5, MODP-768/1024/1536) are in the tables
 * so that old clients (PIX-era Cisco VPN Client) can be served, but they
 * are never a default and naming one gives a warning.
 */
#include <string.h>

#include "config-internal.h"

#define ENCR(kw, v2, v1, v1esp, bits, is_aead, icv, is_legacy, xfrm) \
    { .keyword = kw, .kind = CONFIG_ALG_ENCRYPTION, .ikev2_id = v2, .ikev1_id = v1, \
      .ikev1_esp_id = v1esp, .key_bits = bits, .aead = is_aead, .icv_bits = icv,   \
      .legacy = is_legacy, .xfrm_name = xfrm }

static const struct config_algorithm encryption[] = {
    /*    keyword        v2  v1 v1esp bits  aead   icv legacy  xfrm */
    ENCR("aes128",       12, 7,  12,  128, false,   0, false, "cbc(aes)"),
    ENCR("aes192",       12, 7,  12,  192, false,   0, false, "cbc(aes)"),
    ENCR("aes256",       12, 7,  12,  256, false,   0, false, "cbc(aes)"),
    /* IKEv1 Phase 1 has no AES-GCM (ikev1_id 0); its ESP does (RFC 4106). */
    ENCR("aes128gcm16",  20, 0,  20,  128, true,  128, false, "rfc4106(gcm(aes))"),
    ENCR("aes256gcm16",  20, 0,  20,  256, true,  128, false, "rfc4106(gcm(aes))"),
    ENCR("3des",          3, 5,   3,  192, false,   0, true,  "cbc(des3_ede)"),
    ENCR("des",           2, 1,   2,   64, false,   0, true,  "cbc(des)"),
};

#define INTEG(kw, v2, v1, v1esp, trunc, is_legacy, xfrm) \
    { .keyword = kw, .kind = CONFIG_ALG_INTEGRITY, .ikev2_id = v2, .ikev1_id = v1, \
      .ikev1_esp_id = v1esp, .icv_bits = trunc, .legacy = is_legacy, .xfrm_name = xfrm }

static const struct config_algorithm integrity[] = {
    /*     keyword   v2 v1 v1esp trunc legacy  xfrm */
    INTEG("sha1",     2, 2, 2,    96, false, "hmac(sha1)"),
    INTEG("sha256",  12, 4, 5,   128, false, "hmac(sha256)"),
    INTEG("sha384",  13, 5, 6,   192, false, "hmac(sha384)"),
    INTEG("sha512",  14, 6, 7,   256, false, "hmac(sha512)"),
    INTEG("md5",      1, 1, 1,    96, true,  "hmac(md5)"),
};

#define PRF(kw, v2, is_legacy) \
    { .keyword = kw, .kind = CONFIG_ALG_PRF, .ikev2_id = v2, .legacy = is_legacy }

static const struct config_algorithm prf[] = {
    PRF("sha1",    2, false),
    PRF("sha256",  5, false),
    PRF("sha384",  6, false),
    PRF("sha512",  7, false),
    PRF("md5",     1, true),
};

/* IKEv1 group descriptions share the numbers; Curve25519 (31) exists only
 * for IKEv2 (RFC 8031), so its ikev1_id is 0. */
#define DH(kw, v2, v1, bits, is_legacy) \
    { .keyword = kw, .kind = CONFIG_ALG_DH, .ikev2_id = v2, .ikev1_id = v1, \
      .key_bits = bits, .legacy = is_legacy }

static const struct config_algorithm dh[] = {
    DH("14", 14, 14, 2048, false),   /* MODP-2048 */
    DH("15", 15, 15, 3072, false),   /* MODP-3072 */
    DH("16", 16, 16, 4096, false),   /* MODP-4096 */
    DH("19", 19, 19,  256, false),   /* ECP-256 */
    DH("20", 20, 20,  384, false),   /* ECP-384 */
    DH("21", 21, 21,  521, false),   /* ECP-521 */
    DH("31", 31,  0,  256, false),   /* Curve25519 */
    DH("1",   1,  1,  768, true),    /* MODP-768 */
    DH("2",   2,  2, 1024, true),    /* MODP-1024 */
    DH("5",   5,  5, 1536, true),    /* MODP-1536 */
};

/* Other spellings admins bring along (ASA, strongSwan). */
static const struct {
    enum config_algorithm_kind kind;
    const char *alias;
    const char *keyword;
} aliases[] = {
    { CONFIG_ALG_ENCRYPTION, "aes",         "aes128" },
    { CONFIG_ALG_ENCRYPTION, "aes-128",     "aes128" },
    { CONFIG_ALG_ENCRYPTION, "aes-192",     "aes192" },
    { CONFIG_ALG_ENCRYPTION, "aes-256",     "aes256" },
    { CONFIG_ALG_ENCRYPTION, "aes-gcm",     "aes128gcm16" },
    { CONFIG_ALG_ENCRYPTION, "aes-gcm-128", "aes128gcm16" },
    { CONFIG_ALG_ENCRYPTION, "aes-gcm-256", "aes256gcm16" },
    { CONFIG_ALG_INTEGRITY,  "sha",         "sha1" },
    { CONFIG_ALG_INTEGRITY,  "sha-1",       "sha1" },
    { CONFIG_ALG_INTEGRITY,  "sha-256",     "sha256" },
    { CONFIG_ALG_INTEGRITY,  "sha-384",     "sha384" },
    { CONFIG_ALG_INTEGRITY,  "sha-512",     "sha512" },
    { CONFIG_ALG_PRF,        "sha",         "sha1" },
    { CONFIG_ALG_PRF,        "sha-1",       "sha1" },
    { CONFIG_ALG_PRF,        "sha-256",     "sha256" },
    { CONFIG_ALG_PRF,        "sha-384",     "sha384" },
    { CONFIG_ALG_PRF,        "sha-512",     "sha512" },
    { CONFIG_ALG_DH,         "modp768",     "1" },
    { CONFIG_ALG_DH,         "modp1024",    "2" },
    { CONFIG_ALG_DH,         "modp1536",    "5" },
    { CONFIG_ALG_DH,         "modp2048",    "14" },
    { CONFIG_ALG_DH,         "modp3072",    "15" },
    { CONFIG_ALG_DH,         "modp4096",    "16" },
    { CONFIG_ALG_DH,         "ecp256",      "19" },
    { CONFIG_ALG_DH,         "ecp384",      "20" },
    { CONFIG_ALG_DH,         "ecp521",      "21" },
    { CONFIG_ALG_DH,         "curve25519",  "31" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct config_algorithm *table(enum config_algorithm_kind kind, size_t *n)
{
    switch (kind) {
    case CONFIG_ALG_ENCRYPTION: *n = N(encryption); return encryption;
    case CONFIG_ALG_INTEGRITY:  *n = N(integrity);  return integrity;
    case CONFIG_ALG_PRF:        *n = N(prf);        return prf;
    case CONFIG_ALG_DH:         *n = N(dh);         return dh;
    }
    *n = 0;
    return NULL;
}

const struct config_algorithm *config_algorithm_find(enum config_algorithm_kind kind, bool esp, const char *keyword)
{
    size_t n;
    const struct config_algorithm *t = table(kind, &n);

    if (!t || !keyword || (esp && kind == CONFIG_ALG_PRF))
        return NULL;
    for (size_t i = 0; i < N(aliases); i++)
        if (aliases[i].kind == kind && strcmp(aliases[i].alias, keyword) == 0) {
            keyword = aliases[i].keyword;
            break;
        }
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].keyword, keyword) == 0)
            return &t[i];
    return NULL;
}

const char *config_algorithm_keywords(enum config_algorithm_kind kind, char *buf, size_t len)
{
    size_t n, used = 0;
    const struct config_algorithm *t = table(kind, &n);

    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; t && i < n; i++) {
        size_t k = strlen(t[i].keyword);
        if (used + k + 3 >= len)
            break;
        if (used) {
            memcpy(buf + used, ", ", 2);
            used += 2;
        }
        memcpy(buf + used, t[i].keyword, k + 1);
        used += k;
    }
    return buf;
}
