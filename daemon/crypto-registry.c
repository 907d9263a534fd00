/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What each IKEv2 transform vpnd implements needs for computing: sizes,
 * OpenSSL names and the kernel's ESP algorithm. The keywords and the
 * IKEv1 numbers are in the configuration's table (config-algorithms.c).
 */
#include "crypto.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct crypto_encr encr_table[] = {
    { .ikev2_id = CRYPTO_ENCR_AES_CBC, .key_bits = 128, .name = "AES-CBC-128",
      .openssl_name = "AES-128-CBC", .key_len = 16, .block_len = 16, .iv_len = 16,
      .xfrm = XFRM_CIPHER_AES_CBC },
    { .ikev2_id = CRYPTO_ENCR_AES_CBC, .key_bits = 192, .name = "AES-CBC-192",
      .openssl_name = "AES-192-CBC", .key_len = 24, .block_len = 16, .iv_len = 16,
      .xfrm = XFRM_CIPHER_AES_CBC },
    { .ikev2_id = CRYPTO_ENCR_AES_CBC, .key_bits = 256, .name = "AES-CBC-256",
      .openssl_name = "AES-256-CBC", .key_len = 32, .block_len = 16, .iv_len = 16,
      .xfrm = XFRM_CIPHER_AES_CBC },
    /* RFC 5282: 4-byte salt after the key, 8-byte explicit IV, 16-byte
     * tag. GCM needs no padding; we still align to 4 bytes as ESP does. */
    { .ikev2_id = CRYPTO_ENCR_AES_GCM_16, .key_bits = 128, .name = "AES-GCM-16-128",
      .openssl_name = "AES-128-GCM", .aead = true, .key_len = 16, .salt_len = 4,
      .block_len = 4, .iv_len = 8, .icv_len = 16, .xfrm = XFRM_CIPHER_AES_GCM_16 },
    { .ikev2_id = CRYPTO_ENCR_AES_GCM_16, .key_bits = 256, .name = "AES-GCM-16-256",
      .openssl_name = "AES-256-GCM", .aead = true, .key_len = 32, .salt_len = 4,
      .block_len = 4, .iv_len = 8, .icv_len = 16, .xfrm = XFRM_CIPHER_AES_GCM_16 },
    { .ikev2_id = CRYPTO_ENCR_3DES, .key_bits = 192, .name = "3DES",
      .openssl_name = "DES-EDE3-CBC", .legacy = true, .key_len = 24, .block_len = 8,
      .iv_len = 8, .xfrm = XFRM_CIPHER_3DES_CBC },
};

/* RFC 4868: the key is as long as the digest's output, the ICV half of it
 * (SHA-1: RFC 2404, 160-bit key, 96-bit ICV). */
static const struct crypto_integ integ_table[] = {
    { .ikev2_id = CRYPTO_INTEG_HMAC_SHA1_96, .name = "HMAC-SHA1-96", .digest = "SHA1",
      .key_len = 20, .icv_len = 12, .xfrm = XFRM_INTEG_HMAC_SHA1_96 },
    { .ikev2_id = CRYPTO_INTEG_HMAC_SHA2_256_128, .name = "HMAC-SHA2-256-128",
      .digest = "SHA256", .key_len = 32, .icv_len = 16, .xfrm = XFRM_INTEG_HMAC_SHA256_128 },
    { .ikev2_id = CRYPTO_INTEG_HMAC_SHA2_384_192, .name = "HMAC-SHA2-384-192",
      .digest = "SHA384", .key_len = 48, .icv_len = 24, .xfrm = XFRM_INTEG_HMAC_SHA384_192 },
    { .ikev2_id = CRYPTO_INTEG_HMAC_SHA2_512_256, .name = "HMAC-SHA2-512-256",
      .digest = "SHA512", .key_len = 64, .icv_len = 32, .xfrm = XFRM_INTEG_HMAC_SHA512_256 },
};

static const struct crypto_prf prf_table[] = {
    /* IKEv1's hash algorithm 1 (its prf is HMAC of the negotiated hash);
     * legacy, only for the old clients that offer nothing else. */
    { .ikev2_id = CRYPTO_PRF_HMAC_MD5, .name = "PRF-HMAC-MD5", .digest = "MD5", .legacy = true,
      .out_len = 16 },
    { .ikev2_id = CRYPTO_PRF_HMAC_SHA1, .name = "PRF-HMAC-SHA1", .digest = "SHA1", .out_len = 20 },
    { .ikev2_id = CRYPTO_PRF_HMAC_SHA2_256, .name = "PRF-HMAC-SHA2-256", .digest = "SHA256", .out_len = 32 },
    { .ikev2_id = CRYPTO_PRF_HMAC_SHA2_384, .name = "PRF-HMAC-SHA2-384", .digest = "SHA384", .out_len = 48 },
    { .ikev2_id = CRYPTO_PRF_HMAC_SHA2_512, .name = "PRF-HMAC-SHA2-512", .digest = "SHA512", .out_len = 64 },
};

static const struct crypto_dh_group dh_table[] = {
    { .ikev2_id = CRYPTO_DH_MODP_2048, .name = "MODP-2048", .kind = CRYPTO_DH_KIND_MODP,
      .public_len = 256, .shared_len = 256 },
    { .ikev2_id = CRYPTO_DH_MODP_3072, .name = "MODP-3072", .kind = CRYPTO_DH_KIND_MODP,
      .public_len = 384, .shared_len = 384 },
    { .ikev2_id = CRYPTO_DH_MODP_4096, .name = "MODP-4096", .kind = CRYPTO_DH_KIND_MODP,
      .public_len = 512, .shared_len = 512 },
    { .ikev2_id = CRYPTO_DH_ECP_256, .name = "ECP-256", .kind = CRYPTO_DH_KIND_ECP,
      .public_len = 64, .shared_len = 32 },
    { .ikev2_id = CRYPTO_DH_ECP_384, .name = "ECP-384", .kind = CRYPTO_DH_KIND_ECP,
      .public_len = 96, .shared_len = 48 },
    /* P-521's field elements take 66 bytes (521 bits rounded up). */
    { .ikev2_id = CRYPTO_DH_ECP_521, .name = "ECP-521", .kind = CRYPTO_DH_KIND_ECP,
      .public_len = 132, .shared_len = 66 },
    { .ikev2_id = CRYPTO_DH_CURVE25519, .name = "Curve25519", .kind = CRYPTO_DH_KIND_X25519,
      .public_len = 32, .shared_len = 32 },
    { .ikev2_id = CRYPTO_DH_MODP_768, .name = "MODP-768", .kind = CRYPTO_DH_KIND_MODP,
      .legacy = true, .public_len = 96, .shared_len = 96 },
    { .ikev2_id = CRYPTO_DH_MODP_1024, .name = "MODP-1024", .kind = CRYPTO_DH_KIND_MODP,
      .legacy = true, .public_len = 128, .shared_len = 128 },
    { .ikev2_id = CRYPTO_DH_MODP_1536, .name = "MODP-1536", .kind = CRYPTO_DH_KIND_MODP,
      .legacy = true, .public_len = 192, .shared_len = 192 },
};

const struct crypto_encr *crypto_encr_find(uint16_t ikev2_id, uint16_t key_bits)
{
    /* 3DES has a fixed key and no Key Length attribute. */
    if (ikev2_id == CRYPTO_ENCR_3DES && key_bits == 0)
        key_bits = 192;
    for (size_t i = 0; i < N(encr_table); i++)
        if (encr_table[i].ikev2_id == ikev2_id && encr_table[i].key_bits == key_bits)
            return &encr_table[i];
    return NULL;
}

const struct crypto_integ *crypto_integ_find(uint16_t ikev2_id)
{
    for (size_t i = 0; i < N(integ_table); i++)
        if (integ_table[i].ikev2_id == ikev2_id)
            return &integ_table[i];
    return NULL;
}

const struct crypto_prf *crypto_prf_find(uint16_t ikev2_id)
{
    for (size_t i = 0; i < N(prf_table); i++)
        if (prf_table[i].ikev2_id == ikev2_id)
            return &prf_table[i];
    return NULL;
}

const struct crypto_dh_group *crypto_dh_group_find(uint16_t ikev2_id)
{
    for (size_t i = 0; i < N(dh_table); i++)
        if (dh_table[i].ikev2_id == ikev2_id)
            return &dh_table[i];
    return NULL;
}
