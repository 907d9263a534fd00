/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The algorithms vpnd computes with, looked up in OpenSSL's provider store
 * once per process instead of on every operation. OpenSSL 3 resolves a name
 * (EVP_MD_fetch, EVP_CIPHER_fetch, EVP_sha1(), the digest named to an HMAC)
 * under its store's locks, with string compares and a walk of its name
 * table, and it did that some twenty times per IKE handshake. A fetched
 * algorithm is immutable and reference counted, so one copy serves every
 * thread (the event loop and the worker jobs alike).
 *
 * The getters hand out a new reference (an atomic increment): free it as
 * one from EVP_*_fetch, with EVP_MD_free / EVP_CIPHER_free. The cache keeps
 * its own reference for the life of the process.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* The digest / cipher OpenSSL calls `name` ("SHA256", "AES-128-GCM"), or
 * NULL when no provider has it. */
EVP_MD *crypto_fetch_md(const char *name);
EVP_CIPHER *crypto_fetch_cipher(const char *name);

/* A new HMAC context with the digest `digest` set and no key yet: a copy
 * of a template made once per digest (EVP_MAC_CTX_dup), so that neither the
 * MAC nor its digest is looked up again. Key it with EVP_MAC_init(ctx, key,
 * len, NULL); EVP_MAC_CTX_free clears it. NULL when the digest is unknown
 * or memory is short. */
EVP_MAC_CTX *crypto_fetch_hmac_ctx(const char *digest);

/* The digest `name` of `len` bytes into `out` (out_max at least the
 * digest's size); returns the digest's length. -EOPNOTSUPP for an unknown
 * digest, -ENOBUFS when `out` is too small. */
int crypto_digest(const char *name, const void *data, size_t len, uint8_t *out, size_t out_max);
