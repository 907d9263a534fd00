/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "crypto-preload.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

int crypto_preload(void)
{
    bool ok = true;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    EVP_KEYMGMT *keymgmt = EVP_KEYMGMT_fetch(NULL, "X25519", NULL);
    EVP_KEYEXCH *keyexch = EVP_KEYEXCH_fetch(NULL, "X25519", NULL);
    EVP_SIGNATURE *signature = EVP_SIGNATURE_fetch(NULL, "RSA", NULL);
    ok = cipher && mac && md && keymgmt && keyexch && signature;
    EVP_CIPHER_free(cipher);
    EVP_MAC_free(mac);
    EVP_MD_free(md);
    EVP_KEYMGMT_free(keymgmt);
    EVP_KEYEXCH_free(keyexch);
    EVP_SIGNATURE_free(signature);
    uint8_t byte;
    if (RAND_bytes(&byte, 1) != 1)
        ok = false;
    return ok ? 0 : -EOPNOTSUPP;
}
