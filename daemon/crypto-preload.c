/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "crypto-preload.h"
#include "crypto-fetch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

int crypto_preload(void)
{
    bool ok = true;
    /* These three stay in crypto-fetch.c's tables for the process's life. */
    EVP_CIPHER *cipher = crypto_fetch_cipher("AES-128-GCM");
    EVP_MAC_CTX *mac = crypto_fetch_hmac_ctx("SHA256");
    EVP_MD *md = crypto_fetch_md("SHA256");
    EVP_KEYMGMT *keymgmt = EVP_KEYMGMT_fetch(NULL, "X25519", NULL);
    EVP_KEYEXCH *keyexch = EVP_KEYEXCH_fetch(NULL, "X25519", NULL);
    EVP_SIGNATURE *signature = EVP_SIGNATURE_fetch(NULL, "RSA", NULL);
    ok = cipher && mac && md && keymgmt && keyexch && signature;
    EVP_CIPHER_free(cipher);
    EVP_MAC_CTX_free(mac);
    EVP_MD_free(md);
    EVP_KEYMGMT_free(keymgmt);
    EVP_KEYEXCH_free(keyexch);
    EVP_SIGNATURE_free(signature);
    uint8_t byte;
    if (RAND_bytes(&byte, 1) != 1)
        ok = false;
    return ok ? 0 : -EOPNOTSUPP;
}
