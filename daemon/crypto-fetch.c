/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One small table per kind of algorithm, filled on first use. Readers take
 * no lock: an entry is written completely before the count that makes it
 * visible is published (release), and readers load the count first
 * (acquire). Entries are never changed or removed, so a reader holds no
 * reference it could lose. Only a miss takes the mutex, to fetch.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "crypto-fetch.h"

/* vpnd names a dozen algorithms at most (crypto-registry.c); a name not in
 * the table (full, or too long) is fetched the old way on every call. */
#define FETCH_CACHE_MAX 16
#define FETCH_NAME_MAX 32

struct fetch_entry {
    char name[FETCH_NAME_MAX];
    void *object;
};

struct fetch_cache {
    pthread_mutex_t lock;
    atomic_size_t n;
    struct fetch_entry entries[FETCH_CACHE_MAX];
};

static struct fetch_cache md_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };
static struct fetch_cache cipher_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };
static struct fetch_cache hmac_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *lookup(struct fetch_cache *c, const char *name)
{
    size_t n = atomic_load_explicit(&c->n, memory_order_acquire);

    for (size_t i = 0; i < n; i++)
        if (strcmp(c->entries[i].name, name) == 0)
            return c->entries[i].object;
    return NULL;
}

/* The cached object for `name` (the cache's reference, not the caller's),
 * fetched with `fetch` on a miss; NULL when it could not be fetched or the
 * table has no room for it. */
static void *cached(struct fetch_cache *c, const char *name, void *(*fetch)(const char *))
{
    void *object = lookup(c, name);

    if (object)
        return object;
    pthread_mutex_lock(&c->lock);
    object = lookup(c, name);   /* another thread may have fetched it meanwhile */
    if (!object) {
        size_t n = atomic_load_explicit(&c->n, memory_order_relaxed);
        if (n < FETCH_CACHE_MAX && strlen(name) < FETCH_NAME_MAX) {
            object = fetch(name);
            if (object) {
                struct fetch_entry *e = &c->entries[n];
                strcpy(e->name, name);
                e->object = object;
                atomic_store_explicit(&c->n, n + 1, memory_order_release);
            }
        }
    }
    pthread_mutex_unlock(&c->lock);
    return object;
}

static void *fetch_md(const char *name)
{
    return EVP_MD_fetch(NULL, name, NULL);
}

static void *fetch_cipher(const char *name)
{
    return EVP_CIPHER_fetch(NULL, name, NULL);
}

/* An HMAC context with its digest set and no key. Setting the digest is
 * what makes the provider fetch it; a copy of this context carries the
 * fetched digest along. */
static void *new_hmac_ctx(const char *digest)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_construct_end(),
    };

    EVP_MAC_free(mac);   /* the context holds its own reference */
    if (ctx && EVP_MAC_CTX_set_params(ctx, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

EVP_MD *crypto_fetch_md(const char *name)
{
    EVP_MD *md;

    if (!name)
        return NULL;
    md = cached(&md_cache, name, fetch_md);
    if (!md)
        return EVP_MD_fetch(NULL, name, NULL);
    return EVP_MD_up_ref(md) == 1 ? md : NULL;
}

EVP_CIPHER *crypto_fetch_cipher(const char *name)
{
    EVP_CIPHER *cipher;

    if (!name)
        return NULL;
    cipher = cached(&cipher_cache, name, fetch_cipher);
    if (!cipher)
        return EVP_CIPHER_fetch(NULL, name, NULL);
    return EVP_CIPHER_up_ref(cipher) == 1 ? cipher : NULL;
}

EVP_MAC_CTX *crypto_fetch_hmac_ctx(const char *digest)
{
    const EVP_MAC_CTX *template;

    if (!digest)
        return NULL;
    template = cached(&hmac_cache, digest, new_hmac_ctx);
    if (!template)
        return new_hmac_ctx(digest);
    /* Copying only reads the template, so threads may copy it at once. */
    return EVP_MAC_CTX_dup(template);
}

int crypto_digest(const char *name, const void *data, size_t len, uint8_t *out, size_t out_max)
{
    EVP_MD *md;
    unsigned int out_len = 0;
    int r = -EIO;

    if ((!data && len) || !out)
        return -EINVAL;
    md = crypto_fetch_md(name);
    if (!md)
        return -EOPNOTSUPP;
    if ((size_t)EVP_MD_get_size(md) > out_max)
        r = -ENOBUFS;
    else if (EVP_Digest(data, len, out, &out_len, md, NULL) == 1)
        r = (int)out_len;
    EVP_MD_free(md);
    return r;
}
