/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The gateway's credentials: loading certificate, key, CAs and CRLs into a
 * reference-counted struct cert_store, and what we send from it (CERT and
 * CERTREQ payload bodies).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "cert-internal.h"

/* ---- Reading PEM / DER --------------------------------------------------------- */

static bool is_pem(const uint8_t *buf, size_t len)
{
    static const char marker[] = "-----BEGIN ";
    return len >= sizeof(marker) - 1 && memmem(buf, len, marker, sizeof(marker) - 1) != NULL;
}

/* True when the only error queued is PEM's "no more objects". */
static bool pem_at_end(void)
{
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/* Appends every certificate of a PEM or DER file to `out`. */
static int load_certs(const char *path, STACK_OF(X509) *out, char *err, size_t err_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int r = cert_read_file(path, &buf, &len);
    if (r < 0) {
        cert_reason(err, err_len, "cannot read %s: %s", path, strerror(-r));
        return r;
    }
    size_t before = (size_t)sk_X509_num(out);
    r = 0;
    ERR_clear_error();
    if (is_pem(buf, len)) {
        BIO *bio = BIO_new_mem_buf(buf, (int)len);
        if (!bio) {
            r = -ENOMEM;
            goto out;
        }
        X509 *x;
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
            if (!sk_X509_push(out, x)) {
                X509_free(x);
                r = -ENOMEM;
                break;
            }
        }
        BIO_free(bio);
        if (r == 0 && !pem_at_end()) {
            cert_reason(err, err_len, "%s: malformed PEM certificate", path);
            r = -EBADMSG;
        }
    } else {
        const unsigned char *p = buf;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        if (!x || p != buf + len) {
            X509_free(x);
            cert_reason(err, err_len, "%s: neither a PEM nor a DER certificate", path);
            r = -EBADMSG;
        } else if (!sk_X509_push(out, x)) {
            X509_free(x);
            r = -ENOMEM;
        }
    }
    if (r == 0 && (size_t)sk_X509_num(out) == before) {
        cert_reason(err, err_len, "%s: no certificate in the file", path);
        r = -EBADMSG;
    }
out:
    if (r == -ENOMEM)
        cert_reason(err, err_len, "%s: out of memory", path);
    free(buf);
    ERR_clear_error();
    return r;
}

static int add_crl(struct cert_store *s, X509_CRL *crl, const char *path)
{
    struct cert_crl *n = realloc(s->crls, (s->n_crls + 1) * sizeof(*n));
    if (!n)
        return -ENOMEM;
    s->crls = n;
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    n[s->n_crls++] = (struct cert_crl){ crl, p };
    return 0;
}

static int load_crls(struct cert_store *s, const char *path, char *err, size_t err_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int r = cert_read_file(path, &buf, &len);
    if (r < 0) {
        cert_reason(err, err_len, "cannot read %s: %s", path, strerror(-r));
        return r;
    }
    size_t before = s->n_crls;
    ERR_clear_error();
    if (is_pem(buf, len)) {
        BIO *bio = BIO_new_mem_buf(buf, (int)len);
        if (!bio) {
            r = -ENOMEM;
            goto out;
        }
        X509_CRL *c;
        while ((c = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL))) {
            r = add_crl(s, c, path);
            if (r < 0) {
                X509_CRL_free(c);
                break;
            }
        }
        BIO_free(bio);
        if (r == 0 && !pem_at_end()) {
            cert_reason(err, err_len, "%s: malformed PEM CRL", path);
            r = -EBADMSG;
        }
    } else {
        const unsigned char *p = buf;
        X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);
        if (!c || p != buf + len) {
            X509_CRL_free(c);
            cert_reason(err, err_len, "%s: neither a PEM nor a DER CRL", path);
            r = -EBADMSG;
        } else if ((r = add_crl(s, c, path)) < 0) {
            X509_CRL_free(c);
        }
    }
    if (r == 0 && s->n_crls == before) {
        cert_reason(err, err_len, "%s: no CRL in the file", path);
        r = -EBADMSG;
    }
out:
    if (r == -ENOMEM)
        cert_reason(err, err_len, "%s: out of memory", path);
    free(buf);
    ERR_clear_error();
    return r;
}

/* Keys are never encrypted in vpnd.conf's files: refuse any passphrase prompt. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

static int load_key(const char *path, EVP_PKEY **ret, char *err, size_t err_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int r = cert_read_file(path, &buf, &len);
    if (r < 0) {
        cert_reason(err, err_len, "cannot read %s: %s", path, strerror(-r));
        return r;
    }
    EVP_PKEY *key = NULL;
    ERR_clear_error();
    if (is_pem(buf, len)) {
        BIO *bio = BIO_new_mem_buf(buf, (int)len);
        if (bio)
            key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
        BIO_free(bio);
    } else {
        const unsigned char *p = buf;
        key = d2i_AutoPrivateKey(NULL, &p, (long)len);
        if (key && p != buf + len) {
            EVP_PKEY_free(key);
            key = NULL;
        }
    }
    OPENSSL_cleanse(buf, len);
    free(buf);
    ERR_clear_error();
    if (!key) {
        cert_reason(err, err_len, "%s: not an unencrypted PEM or DER private key", path);
        return -EBADMSG;
    }
    if (!EVP_PKEY_is_a(key, "RSA") && !EVP_PKEY_is_a(key, "RSA-PSS") && !EVP_PKEY_is_a(key, "EC")) {
        cert_reason(err, err_len, "%s: %s keys are not supported (RSA or ECDSA)", path,
                    EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "such");
        EVP_PKEY_free(key);
        return -EOPNOTSUPP;
    }
    *ret = key;
    return 0;
}

/* A directory's files with one of the extensions, sorted (deterministic
 * load order and messages). Calls fn for each. */
static int load_dir(const char *dir, const char *const *exts,
                    int (*fn)(void *ctx, const char *path, char *err, size_t err_len),
                    void *ctx, char *err, size_t err_len)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        int r = -errno;
        cert_reason(err, err_len, "cannot read directory %s: %s", dir, strerror(-r));
        return r;
    }
    int r = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        const char *dot = strrchr(name, '.');
        bool wanted = false;
        for (size_t e = 0; dot && name[0] != '.' && exts[e]; e++)
            if (strcasecmp(dot + 1, exts[e]) == 0)
                wanted = true;
        if (wanted && r == 0) {
            char *path = NULL;
            if (asprintf(&path, "%s/%s", dir, name) < 0) {
                r = -ENOMEM;
            } else {
                struct stat st;
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                    r = fn(ctx, path, err, err_len);
                free(path);
            }
        }
        free(names[i]);
    }
    free(names);
    return r;
}

static int load_ca_file(void *ctx, const char *path, char *err, size_t err_len)
{
    struct cert_store *s = ctx;
    return load_certs(path, s->cas, err, err_len);
}

static int load_crl_file(void *ctx, const char *path, char *err, size_t err_len)
{
    return load_crls(ctx, path, err, err_len);
}

static bool is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- The store --------------------------------------------------------------- */

int cert_spki_sha1(X509 *cert, uint8_t out[CERT_KEYID_LEN])
{
    if (!cert || !out)
        return -EINVAL;
    X509_PUBKEY *pk = X509_get_X509_PUBKEY(cert);
    unsigned char *der = NULL;
    int n = pk ? i2d_X509_PUBKEY(pk, &der) : -1;
    if (n <= 0)
        return -EIO;
    int r = SHA1(der, (size_t)n, out) ? 0 : -EIO;
    OPENSSL_free(der);
    return r;
}

static void store_free(struct cert_store *s)
{
    if (!s)
        return;
    X509_free(s->cert);
    sk_X509_pop_free(s->chain, X509_free);
    EVP_PKEY_free(s->key);
    X509_STORE_free(s->trust);
    sk_X509_pop_free(s->cas, X509_free);
    free(s->ca_keyids);
    for (size_t i = 0; i < s->n_crls; i++) {
        X509_CRL_free(s->crls[i].crl);
        free(s->crls[i].path);
    }
    free(s->crls);
    free(s);
}

static int load_own(struct cert_store *s, const struct cert_store_paths *paths, char *err, size_t err_len)
{
    if (!paths->certificate != !paths->private_key) {
        cert_reason(err, err_len, "certificate and private-key go together");
        return -EINVAL;
    }
    if (!paths->certificate)
        return 0;
    STACK_OF(X509) *all = sk_X509_new_null();
    if (!all)
        return -ENOMEM;
    int r = load_certs(paths->certificate, all, err, err_len);
    if (r < 0) {
        sk_X509_pop_free(all, X509_free);
        return r;
    }
    s->cert = sk_X509_shift(all);
    s->chain = all;
    r = load_key(paths->private_key, &s->key, err, err_len);
    if (r < 0)
        return r;
    if (X509_check_private_key(s->cert, s->key) != 1) {
        ERR_clear_error();
        cert_reason(err, err_len, "%s: private key does not belong to the certificate in %s",
                    paths->private_key, paths->certificate);
        return -EINVAL;
    }
    return 0;
}

static int load_trust(struct cert_store *s, const struct cert_store_paths *paths, char *err, size_t err_len)
{
    static const char *const ca_exts[] = { "pem", "crt", "cer", "der", NULL };
    static const char *const crl_exts[] = { "pem", "crl", "der", NULL };
    int r;

    s->cas = sk_X509_new_null();
    s->trust = X509_STORE_new();
    if (!s->cas || !s->trust)
        return -ENOMEM;
    if (paths->ca) {
        r = is_directory(paths->ca) ? load_dir(paths->ca, ca_exts, load_ca_file, s, err, err_len)
                                    : load_certs(paths->ca, s->cas, err, err_len);
        if (r < 0)
            return r;
        if (sk_X509_num(s->cas) == 0) {
            cert_reason(err, err_len, "%s: no CA certificate found", paths->ca);
            return -ENOENT;
        }
    }
    size_t n = (size_t)sk_X509_num(s->cas);
    s->ca_keyids = calloc(n ? n : 1, sizeof(*s->ca_keyids));
    if (!s->ca_keyids)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        X509 *ca = sk_X509_value(s->cas, (int)i);
        if (X509_STORE_add_cert(s->trust, ca) != 1) {
            ERR_clear_error();
            return -ENOMEM;
        }
        r = cert_spki_sha1(ca, s->ca_keyids[i]);
        if (r < 0)
            return r;
    }
    if (paths->crl) {
        r = is_directory(paths->crl) ? load_dir(paths->crl, crl_exts, load_crl_file, s, err, err_len)
                                     : load_crls(s, paths->crl, err, err_len);
        if (r < 0)
            return r;
        if (s->n_crls == 0) {
            cert_reason(err, err_len, "%s: no CRL found", paths->crl);
            return -ENOENT;
        }
        for (size_t i = 0; i < s->n_crls; i++)
            if (X509_STORE_add_crl(s->trust, s->crls[i].crl) != 1) {
                ERR_clear_error();
                return -ENOMEM;
            }
        /* The end entity needs a current CRL from its issuer. Not
         * CRL_CHECK_ALL: that would demand CRLs for every intermediate, which
         * few deployments publish to a VPN gateway. */
        X509_STORE_set_flags(s->trust, X509_V_FLAG_CRL_CHECK);
    }
    return 0;
}

int cert_store_load(const struct cert_store_paths *paths, struct cert_store **ret,
                    char *err, size_t err_len)
{
    if (!paths || !ret)
        return -EINVAL;
    cert_reason(err, err_len, "out of memory");
    struct cert_store *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->refs = 1;
    int r = load_own(s, paths, err, err_len);
    if (r >= 0)
        r = load_trust(s, paths, err, err_len);
    if (r < 0) {
        store_free(s);
        return r;
    }
    cert_reason(err, err_len, "ok");
    *ret = s;
    return 0;
}

struct cert_store *cert_store_ref(struct cert_store *store)
{
    if (store)
        __atomic_add_fetch(&store->refs, 1, __ATOMIC_RELAXED);
    return store;
}

void cert_store_unref(struct cert_store *store)
{
    if (store && __atomic_sub_fetch(&store->refs, 1, __ATOMIC_ACQ_REL) == 0)
        store_free(store);
}

X509 *cert_store_certificate(const struct cert_store *store)
{
    return store ? store->cert : NULL;
}

EVP_PKEY *cert_store_key(const struct cert_store *store)
{
    return store ? store->key : NULL;
}

size_t cert_store_n_cas(const struct cert_store *store)
{
    return store && store->cas ? (size_t)sk_X509_num(store->cas) : 0;
}

size_t cert_store_n_crls(const struct cert_store *store)
{
    return store ? store->n_crls : 0;
}

int cert_store_subject_der(const struct cert_store *store, uint8_t **ret, size_t *ret_len)
{
    if (!store || !ret || !ret_len)
        return -EINVAL;
    if (!store->cert)
        return -ENOENT;
    unsigned char *der = NULL;
    int n = i2d_X509_NAME(X509_get_subject_name(store->cert), &der);
    if (n <= 0)
        return -EIO;
    *ret = malloc((size_t)n);
    if (!*ret) {
        OPENSSL_free(der);
        return -ENOMEM;
    }
    memcpy(*ret, der, (size_t)n);
    *ret_len = (size_t)n;
    OPENSSL_free(der);
    return 0;
}

/* ---- CERT and CERTREQ ---------------------------------------------------------- */

void cert_der_list_free(struct cert_der_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        free(list->items[i].data);
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

static int der_list_add(struct cert_der_list *list, X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    if (n <= 0)
        return -EIO;
    struct cert_der *items = realloc(list->items, (list->n + 1) * sizeof(*items));
    uint8_t *copy = malloc((size_t)n);
    if (items)
        list->items = items;
    if (!items || !copy) {
        free(copy);
        OPENSSL_free(der);
        return -ENOMEM;
    }
    memcpy(copy, der, (size_t)n);
    OPENSSL_free(der);
    list->items[list->n++] = (struct cert_der){ copy, (size_t)n };
    return 0;
}

static bool certreq_has(const struct crypto_chunk *certreq, size_t n, const uint8_t keyid[CERT_KEYID_LEN])
{
    for (size_t i = 0; i < n; i++) {
        if (!certreq[i].ptr || certreq[i].len % CERT_KEYID_LEN)
            continue;
        const uint8_t *p = certreq[i].ptr;
        for (size_t o = 0; o < certreq[i].len; o += CERT_KEYID_LEN)
            if (memcmp(p + o, keyid, CERT_KEYID_LEN) == 0)
                return true;
    }
    return false;
}

int cert_store_cert_payloads(const struct cert_store *store,
                             const struct crypto_chunk *certreq, size_t n_certreq,
                             struct cert_der_list *out, bool *matched)
{
    if (!store || !out || (!certreq && n_certreq))
        return -EINVAL;
    if (!store->cert)
        return -ENOENT;
    *out = (struct cert_der_list){ 0 };
    if (matched)
        *matched = false;

    /* How many intermediates to send: all of them (not self-signed roots),
     * unless the peer asked for a CA on our path; then those below it. */
    int n_chain = sk_X509_num(store->chain);
    int send = 0;
    while (send < n_chain && X509_self_signed(sk_X509_value(store->chain, send), 0) != 1)
        send++;
    bool found = false;
    for (int i = 0; i < n_chain && !found; i++) {
        uint8_t keyid[CERT_KEYID_LEN];
        if (cert_spki_sha1(sk_X509_value(store->chain, i), keyid) == 0 &&
            certreq_has(certreq, n_certreq, keyid)) {
            found = true;
            if (i < send)
                send = i;
        }
    }
    /* The issuer of the last certificate we have may be one of our CAs. */
    if (!found && n_certreq) {
        X509 *top = send > 0 ? sk_X509_value(store->chain, send - 1) : store->cert;
        for (int i = 0; i < sk_X509_num(store->cas) && !found; i++)
            if (X509_check_issued(sk_X509_value(store->cas, i), top) == X509_V_OK &&
                certreq_has(certreq, n_certreq, store->ca_keyids[i]))
                found = true;
    }
    ERR_clear_error();

    int r = der_list_add(out, store->cert);
    for (int i = 0; r == 0 && i < send; i++)
        r = der_list_add(out, sk_X509_value(store->chain, i));
    if (r < 0) {
        cert_der_list_free(out);
        return r;
    }
    if (matched)
        *matched = found;
    return (int)out->n;
}

int cert_store_certreq(const struct cert_store *store, uint8_t **ret, size_t *ret_len)
{
    if (!store || !ret || !ret_len)
        return -EINVAL;
    size_t n = cert_store_n_cas(store);
    if (n == 0)
        return -ENOENT;
    uint8_t *buf = malloc(n * CERT_KEYID_LEN);
    if (!buf)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * CERT_KEYID_LEN, store->ca_keyids[i], CERT_KEYID_LEN);
    *ret = buf;
    *ret_len = n * CERT_KEYID_LEN;
    return 0;
}

int cert_store_ca_subjects(const struct cert_store *store, struct cert_der_list *out)
{
    if (!store || !out)
        return -EINVAL;
    *out = (struct cert_der_list){ 0 };
    int n = sk_X509_num(store->cas);
    if (n <= 0)
        return -ENOENT;
    out->items = calloc((size_t)n, sizeof(*out->items));
    if (!out->items)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        unsigned char *der = NULL;
        int len = i2d_X509_NAME(X509_get_subject_name(sk_X509_value(store->cas, i)), &der);
        uint8_t *copy = len > 0 ? malloc((size_t)len) : NULL;
        if (!copy) {
            OPENSSL_free(der);
            cert_der_list_free(out);
            return len > 0 ? -ENOMEM : -EIO;
        }
        memcpy(copy, der, (size_t)len);
        OPENSSL_free(der);
        out->items[out->n++] = (struct cert_der){ copy, (size_t)len };
    }
    return (int)out->n;
}
