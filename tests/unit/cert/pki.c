/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The cert tests' throw-away PKI (see pki.h). */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki.h"

static void die(const char *what)
{
    fprintf(stderr, "Bail out! pki: %s\n", what);
    ERR_print_errors_fp(stderr);
    printf("Bail out! pki: %s\n", what);
    exit(99);
}

EVP_PKEY *pki_key_rsa(int bits)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    if (!k)
        die("RSA keygen");
    return k;
}

EVP_PKEY *pki_key_ec(const char *curve)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
    if (!k)
        die("EC keygen");
    return k;
}

static X509_NAME *parse_name(const char *text)
{
    X509_NAME *n = X509_NAME_new();
    char *copy = strdup(text), *save = NULL;
    if (!n || !copy)
        die("name alloc");
    for (char *rdn = strtok_r(copy, ",", &save); rdn; rdn = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(rdn, '=');
        if (!eq)
            die("name syntax");
        *eq = '\0';
        if (!X509_NAME_add_entry_by_txt(n, rdn, MBSTRING_UTF8, (const unsigned char *)eq + 1, -1, -1, 0))
            die("name entry");
    }
    free(copy);
    return n;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    if (!ext || !X509_add_ext(cert, ext, -1))
        die("extension");
    X509_EXTENSION_free(ext);
}

X509 *pki_cert(EVP_PKEY *key, const struct pki_cert_opts *o, X509 *issuer, EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    if (!x || !X509_set_version(x, 2))
        die("X509_new");
    ASN1_INTEGER_set(X509_get_serialNumber(x), o->serial ? o->serial : 1);
    X509_NAME *subject = parse_name(o->subject);
    X509_set_subject_name(x, subject);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject);
    X509_NAME_free(subject);
    long nb = o->not_before_days ? o->not_before_days : -1;
    long na = o->not_after_days ? o->not_after_days : 365;
    if (!X509_time_adj_ex(X509_getm_notBefore(x), (int)nb, 0, NULL) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), (int)na, 0, NULL))
        die("validity");
    if (!X509_set_pubkey(x, key))
        die("pubkey");
    add_ext(x, issuer, NID_subject_key_identifier, "hash");
    if (issuer)
        add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
    if (o->ca) {
        add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, issuer, NID_key_usage, o->key_usage ? o->key_usage : "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
        if (o->key_usage)
            add_ext(x, issuer, NID_key_usage, o->key_usage);
    }
    if (o->san)
        add_ext(x, issuer, NID_subject_alt_name, o->san);
    EVP_PKEY *signer = issuer_key ? issuer_key : key;
    /* EdDSA signs the message itself: no separate digest. */
    if (!X509_sign(x, signer, EVP_PKEY_is_a(signer, "ED25519") ? NULL : o->sha1 ? EVP_sha1() : EVP_sha256()))
        die("sign");
    return x;
}

X509_CRL *pki_crl(X509 *issuer, EVP_PKEY *issuer_key, const long *serials, size_t n, long next_update_days)
{
    X509_CRL *crl = X509_CRL_new();
    if (!crl || !X509_CRL_set_version(crl, 1) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)))
        die("CRL");
    ASN1_TIME *t = X509_time_adj_ex(NULL, next_update_days < 0 ? (int)next_update_days - 2 : -1, 0, NULL);
    X509_CRL_set1_lastUpdate(crl, t);
    ASN1_TIME_free(t);
    t = X509_time_adj_ex(NULL, (int)next_update_days, 0, NULL);
    X509_CRL_set1_nextUpdate(crl, t);
    ASN1_TIME_free(t);
    for (size_t i = 0; i < n; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        ASN1_TIME *when = X509_time_adj_ex(NULL, -1, 0, NULL);
        ASN1_INTEGER_set(s, serials[i]);
        X509_REVOKED_set_serialNumber(r, s);
        X509_REVOKED_set_revocationDate(r, when);
        X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(s);
        ASN1_TIME_free(when);
    }
    X509_CRL_sort(crl);
    if (!X509_CRL_sign(crl, issuer_key, EVP_sha256()))
        die("CRL sign");
    return crl;
}

const char *pki_dir(void)
{
    static char tmpl[64];
    snprintf(tmpl, sizeof(tmpl), "/tmp/vpnd-cert-test-XXXXXX");
    if (!mkdtemp(tmpl))
        die("mkdtemp");
    return tmpl;
}

const char *pki_path(const char *dir, const char *name)
{
    static char bufs[8][512];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

static FILE *open_w(const char *path)
{
    FILE *f = fopen(path, "we");
    if (!f)
        die(path);
    return f;
}

void pki_write_certs_pem(const char *path, X509 *const *certs, size_t n)
{
    FILE *f = open_w(path);
    for (size_t i = 0; i < n; i++)
        if (!PEM_write_X509(f, certs[i]))
            die("PEM_write_X509");
    fclose(f);
}

void pki_write_cert_der(const char *path, X509 *cert)
{
    FILE *f = open_w(path);
    if (!i2d_X509_fp(f, cert))
        die("i2d_X509_fp");
    fclose(f);
}

void pki_write_key_pem(const char *path, EVP_PKEY *key)
{
    FILE *f = open_w(path);
    if (!PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL))
        die("PEM_write_PrivateKey");
    fclose(f);
}

void pki_write_key_der(const char *path, EVP_PKEY *key)
{
    FILE *f = open_w(path);
    if (!i2d_PrivateKey_fp(f, key))
        die("i2d_PrivateKey_fp");
    fclose(f);
}

void pki_write_crl_pem(const char *path, X509_CRL *crl)
{
    FILE *f = open_w(path);
    if (!PEM_write_X509_CRL(f, crl))
        die("PEM_write_X509_CRL");
    fclose(f);
}

void pki_write_crl_der(const char *path, X509_CRL *crl)
{
    FILE *f = open_w(path);
    if (!i2d_X509_CRL_fp(f, crl))
        die("i2d_X509_CRL_fp");
    fclose(f);
}

void pki_write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = open_w(path);
    if (len && fwrite(data, 1, len, f) != len)
        die("fwrite");
    fclose(f);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

void pki_rmrf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

uint8_t *pki_cert_der(X509 *cert, size_t *len)
{
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    if (n <= 0)
        die("i2d_X509");
    uint8_t *copy = malloc((size_t)n);
    if (!copy)
        die("malloc");
    memcpy(copy, der, (size_t)n);
    OPENSSL_free(der);
    *len = (size_t)n;
    return copy;
}

void pki_world_make(struct pki_world *w)
{
    memset(w, 0, sizeof(*w));
    w->dir = strdup(pki_dir());
    w->root_key = pki_key_ec("P-256");
    w->inter_key = pki_key_ec("P-256");
    w->gw_key = pki_key_rsa(2048);
    w->alice_key = pki_key_ec("P-256");
    w->other_key = pki_key_ec("P-256");
    w->leaf_key = pki_key_ec("P-384");

    w->root = pki_cert(w->root_key, &(struct pki_cert_opts){
        .subject = "O=vpnd tests,CN=Test Root CA", .serial = 1, .ca = true,
        .not_before_days = -60, .not_after_days = 3650 },
        NULL, NULL);
    w->inter = pki_cert(w->inter_key, &(struct pki_cert_opts){
        .subject = "O=vpnd tests,CN=Test Intermediate CA", .serial = 2, .ca = true,
        .not_before_days = -60, .not_after_days = 1825 },
        w->root, w->root_key);
    w->gw = pki_cert(w->gw_key, &(struct pki_cert_opts){
        .subject = "CN=vpn.example.com", .serial = 50, .san = "DNS:vpn.example.com",
        .key_usage = "critical,digitalSignature" }, w->inter, w->inter_key);
    w->alice = pki_cert(w->alice_key, &(struct pki_cert_opts){
        .subject = "O=Example,CN=alice", .serial = 100,
        .san = "DNS:alice.example.com,email:alice@example.com,IP:192.0.2.7,IP:2001:db8::7",
        .key_usage = "critical,digitalSignature" }, w->inter, w->inter_key);
    w->expired = pki_cert(w->leaf_key, &(struct pki_cert_opts){
        .subject = "O=Example,CN=old", .serial = 101, .not_before_days = -30, .not_after_days = -2 },
        w->inter, w->inter_key);
    w->future = pki_cert(w->leaf_key, &(struct pki_cert_opts){
        .subject = "O=Example,CN=soon", .serial = 104, .not_before_days = 5, .not_after_days = 30 },
        w->inter, w->inter_key);
    w->revoked = pki_cert(w->leaf_key, &(struct pki_cert_opts){
        .subject = "O=Example,CN=bob", .serial = 102 }, w->inter, w->inter_key);
    w->keyenc = pki_cert(w->leaf_key, &(struct pki_cert_opts){
        .subject = "O=Example,CN=carol", .serial = 103, .key_usage = "critical,keyEncipherment" },
        w->inter, w->inter_key);
    w->by_root = pki_cert(w->leaf_key, &(struct pki_cert_opts){
        .subject = "O=Example,CN=dave", .serial = 105 }, w->root, w->root_key);
    w->legacy = pki_cert(w->leaf_key, &(struct pki_cert_opts){
        .subject = "CN=legacy.example.com", .serial = 106 }, w->inter, w->inter_key);
    w->other_ca = pki_cert(w->other_key, &(struct pki_cert_opts){
        .subject = "CN=Other CA", .serial = 1, .ca = true }, NULL, NULL);
    w->mallory = pki_cert(w->leaf_key, &(struct pki_cert_opts){
        .subject = "CN=mallory", .serial = 7 }, w->other_ca, w->other_key);
    w->selfie = pki_cert(w->leaf_key, &(struct pki_cert_opts){ .subject = "CN=selfie", .serial = 9 }, NULL, NULL);

    static const long revoked_serials[] = { 102, 4242 };
    w->crl = pki_crl(w->inter, w->inter_key, revoked_serials, 2, 7);
    w->old_crl = pki_crl(w->inter, w->inter_key, revoked_serials, 1, -1);

    pki_write_certs_pem(pki_path(w->dir, "root.pem"), &w->root, 1);
    pki_write_cert_der(pki_path(w->dir, "root.der"), w->root);
    pki_write_certs_pem(pki_path(w->dir, "inter.pem"), &w->inter, 1);
    X509 *chain[] = { w->gw, w->inter };
    pki_write_certs_pem(pki_path(w->dir, "gw.pem"), chain, 2);
    pki_write_cert_der(pki_path(w->dir, "gw.der"), w->gw);
    pki_write_key_pem(pki_path(w->dir, "gw.key"), w->gw_key);
    pki_write_key_der(pki_path(w->dir, "gw-key.der"), w->gw_key);
    pki_write_crl_pem(pki_path(w->dir, "inter.crl"), w->crl);
    pki_write_crl_der(pki_path(w->dir, "inter-crl.der"), w->crl);
    pki_write_crl_pem(pki_path(w->dir, "old.crl"), w->old_crl);
}

void pki_world_free(struct pki_world *w)
{
    X509 *certs[] = { w->root, w->inter, w->gw, w->alice, w->expired, w->future, w->revoked, w->keyenc,
                      w->by_root, w->legacy, w->other_ca, w->mallory, w->selfie };
    for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
        X509_free(certs[i]);
    EVP_PKEY *keys[] = { w->root_key, w->inter_key, w->gw_key, w->alice_key, w->other_key, w->leaf_key };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        EVP_PKEY_free(keys[i]);
    X509_CRL_free(w->crl);
    X509_CRL_free(w->old_crl);
    pki_rmrf(w->dir);
    free((char *)w->dir);
    memset(w, 0, sizeof(*w));
}
