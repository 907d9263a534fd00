/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The gateway's credentials (daemon/cert-store.c): loading PEM and DER,
 * CA and CRL directories, every load error, CERTREQ bodies against an
 * independent SPKI hash, and which chain CERT payloads carry for a CERTREQ.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert.h"
#include "pki.h"
#include "testing.h"

static struct pki_world w;

static const char *P(const char *name)
{
    return pki_path(w.dir, name);
}

static struct cert_store *load(const char *cert, const char *key, const char *ca, const char *crl,
                               int expect, const char *err_part)
{
    struct cert_store *s = NULL;
    char err[512] = "";
    struct cert_store_paths paths = { cert, key, ca, crl };
    int r = cert_store_load(&paths, &s, err, sizeof(err));
    CHECK_INT_EQ(r, expect);
    if (err_part && !strstr(err, err_part)) {
        printf("#   error \"%s\" lacks \"%s\"\n", err, err_part);
        CHECK(0);
    }
    if (expect < 0)
        CHECK(s == NULL);
    return s;
}

/* The same X509, by DER. */
static bool same_cert(X509 *a, X509 *b)
{
    return a && b && X509_cmp(a, b) == 0;
}

static bool der_is(const struct cert_der *d, X509 *x)
{
    size_t len;
    uint8_t *der = pki_cert_der(x, &len);
    bool eq = d->len == len && memcmp(d->data, der, len) == 0;
    free(der);
    return eq;
}

static void test_load_pem(void)
{
    struct cert_store *s = load(P("gw.pem"), P("gw.key"), P("root.pem"), P("inter.crl"), 0, "ok");
    if (!s)
        return;
    CHECK(same_cert(cert_store_certificate(s), w.gw));
    CHECK(EVP_PKEY_eq(cert_store_key(s), w.gw_key) == 1);
    CHECK_INT_EQ(cert_store_n_cas(s), 1);
    CHECK_INT_EQ(cert_store_n_crls(s), 1);

    uint8_t *dn;
    size_t dn_len;
    CHECK_INT_EQ(cert_store_subject_der(s, &dn, &dn_len), 0);
    unsigned char *want = NULL;
    int want_len = i2d_X509_NAME(X509_get_subject_name(w.gw), &want);
    CHECK_INT_EQ(dn_len, want_len);
    CHECK(memcmp(dn, want, dn_len) == 0);
    OPENSSL_free(want);
    free(dn);
    cert_store_unref(s);
}

static void test_load_der(void)
{
    struct cert_store *s = load(P("gw.der"), P("gw-key.der"), P("root.der"), P("inter-crl.der"), 0, NULL);
    if (!s)
        return;
    CHECK(same_cert(cert_store_certificate(s), w.gw));
    CHECK(EVP_PKEY_eq(cert_store_key(s), w.gw_key) == 1);
    CHECK_INT_EQ(cert_store_n_cas(s), 1);
    CHECK_INT_EQ(cert_store_n_crls(s), 1);
    cert_store_unref(s);

    /* An ECDSA key and a CA file with two certificates. */
    pki_write_certs_pem(P("alice.pem"), &w.alice, 1);
    pki_write_key_pem(P("alice.key"), w.alice_key);
    X509 *two[] = { w.root, w.other_ca };
    pki_write_certs_pem(P("two-cas.pem"), two, 2);
    s = load(P("alice.pem"), P("alice.key"), P("two-cas.pem"), NULL, 0, NULL);
    CHECK_INT_EQ(cert_store_n_cas(s), 2);
    CHECK_INT_EQ(cert_store_n_crls(s), 0);
    cert_store_unref(s);
}

/* Directories: only files ending in .pem, .crt, .cer, .der (CAs) and .pem,
 * .crl, .der (CRLs) are read; other files and dot files are left alone. */
static void test_load_directories(void)
{
    char cadir[512], crldir[512];
    snprintf(cadir, sizeof(cadir), "%s", P("cas"));
    snprintf(crldir, sizeof(crldir), "%s", P("crls"));
    mkdir(cadir, 0700);
    mkdir(crldir, 0700);
    pki_write_certs_pem(pki_path(cadir, "root.crt"), &w.root, 1);
    pki_write_cert_der(pki_path(cadir, "other.der"), w.other_ca);
    pki_write_bytes(pki_path(cadir, "README"), "not a certificate\n", 18);
    pki_write_bytes(pki_path(cadir, ".hidden.pem"), "garbage", 7);
    pki_write_crl_der(pki_path(crldir, "inter.crl"), w.crl);
    pki_write_bytes(pki_path(crldir, "notes.txt"), "x", 1);

    struct cert_store *s = load(NULL, NULL, cadir, crldir, 0, NULL);
    CHECK_INT_EQ(cert_store_n_cas(s), 2);
    CHECK_INT_EQ(cert_store_n_crls(s), 1);
    CHECK(cert_store_certificate(s) == NULL);
    CHECK(cert_store_key(s) == NULL);
    cert_store_unref(s);

    /* A wanted extension with bad content is an error naming the file. */
    pki_write_bytes(pki_path(cadir, "broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 58);
    load(NULL, NULL, cadir, NULL, -EBADMSG, "broken.pem: malformed PEM certificate");

    char empty[512];
    snprintf(empty, sizeof(empty), "%s", P("empty"));
    mkdir(empty, 0700);
    load(NULL, NULL, empty, NULL, -ENOENT, "no CA certificate found");
    load(NULL, NULL, P("root.pem"), empty, -ENOENT, "no CRL found");
}

static void test_load_errors(void)
{
    load(P("missing.pem"), P("gw.key"), NULL, NULL, -ENOENT, "cannot read");
    load(P("missing.pem"), P("gw.key"), NULL, NULL, -ENOENT, "missing.pem");
    load(P("gw.pem"), NULL, NULL, NULL, -EINVAL, "go together");
    load(NULL, P("gw.key"), NULL, NULL, -EINVAL, "go together");
    load(P("gw.pem"), P("gw.key"), P("missing-ca.pem"), NULL, -ENOENT, "missing-ca.pem");

    /* The key of another certificate. */
    pki_write_key_pem(P("wrong.key"), w.alice_key);
    load(P("gw.pem"), P("wrong.key"), NULL, NULL, -EINVAL, "does not belong to the certificate");

    /* Garbage, truncation, trailing bytes, the wrong kind of object. */
    pki_write_bytes(P("garbage.pem"), "\x30\x82\x01\x00garbage", 11);
    load(P("garbage.pem"), P("gw.key"), NULL, NULL, -EBADMSG, "neither a PEM nor a DER certificate");
    size_t len;
    uint8_t *der = pki_cert_der(w.gw, &len);
    pki_write_bytes(P("short.der"), der, len - 10);
    load(P("short.der"), P("gw.key"), NULL, NULL, -EBADMSG, "neither a PEM nor a DER certificate");
    uint8_t *longer = malloc(len + 3);
    memcpy(longer, der, len);
    memcpy(longer + len, "xyz", 3);
    pki_write_bytes(P("long.der"), longer, len + 3);
    load(P("long.der"), P("gw.key"), NULL, NULL, -EBADMSG, "neither a PEM nor a DER certificate");
    free(longer);
    free(der);
    pki_write_bytes(P("empty.pem"), "", 0);
    load(P("empty.pem"), P("gw.key"), NULL, NULL, -EBADMSG, NULL);
    load(P("gw.pem"), P("root.pem"), NULL, NULL, -EBADMSG, "not an unencrypted PEM or DER private key");
    load(NULL, NULL, P("root.pem"), P("root.pem"), -EBADMSG, "no CRL in the file");
    load(NULL, NULL, P("gw.key"), NULL, -EBADMSG, "no certificate in the file");

    /* A PEM file cut in the middle of its second certificate. */
    FILE *f = fopen(P("gw.pem"), "re");
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    pki_write_bytes(P("cut.pem"), buf, n - 100);
    load(P("cut.pem"), P("gw.key"), NULL, NULL, -EBADMSG, "malformed PEM certificate");

    /* Not a regular file. */
    load(P("gw.pem"), w.dir, NULL, NULL, -EINVAL, "cannot read");

    /* Keys vpnd cannot sign IKE with. */
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    X509 *edc = pki_cert(ed, &(struct pki_cert_opts){ .subject = "CN=ed" }, NULL, NULL);
    pki_write_certs_pem(P("ed.pem"), &edc, 1);
    pki_write_key_pem(P("ed.key"), ed);
    load(P("ed.pem"), P("ed.key"), NULL, NULL, -EOPNOTSUPP, "keys are not supported");
    X509_free(edc);
    EVP_PKEY_free(ed);
}

/* SHA-1 of the SubjectPublicKeyInfo (RFC 7296 3.7), computed another way
 * than the module does: the EVP_PKEY re-encoded as SPKI (i2d_PUBKEY).
 * (Not X509_pubkey_digest: that hashes only the BIT STRING.) */
static void keyid(X509 *x, uint8_t out[20])
{
    unsigned char *spki = NULL;
    int n = i2d_PUBKEY(X509_get0_pubkey(x), &spki);
    unsigned mdlen = 0;
    CHECK(n > 0 && EVP_Digest(spki, (size_t)n, out, &mdlen, EVP_sha1(), NULL) == 1 && mdlen == 20);
    OPENSSL_free(spki);
}

static void test_certreq_body(void)
{
    X509 *two[] = { w.root, w.other_ca };
    pki_write_certs_pem(P("two.pem"), two, 2);
    struct cert_store *s = load(P("gw.pem"), P("gw.key"), P("two.pem"), NULL, 0, NULL);
    uint8_t *body;
    size_t len;
    CHECK_INT_EQ(cert_store_certreq(s, &body, &len), 0);
    CHECK_INT_EQ(len, 40);
    for (int i = 0; i < 2; i++) {
        uint8_t md[20], ours[CERT_KEYID_LEN], bitstring[EVP_MAX_MD_SIZE];
        keyid(two[i], md);
        CHECK(memcmp(body + 20 * i, md, 20) == 0);
        CHECK_INT_EQ(cert_spki_sha1(two[i], ours), 0);
        CHECK(memcmp(ours, md, 20) == 0);
        unsigned n;
        CHECK(X509_pubkey_digest(two[i], EVP_sha1(), bitstring, &n) == 1);
        CHECK(memcmp(ours, bitstring, 20) != 0);
    }
    free(body);
    cert_store_unref(s);

    s = load(P("gw.pem"), P("gw.key"), NULL, NULL, 0, NULL);
    CHECK_INT_EQ(cert_store_certreq(s, &body, &len), -ENOENT);
    cert_store_unref(s);
}

static void test_cert_payloads_for_certreq(void)
{
    struct cert_store *s = load(P("gw.pem"), P("gw.key"), P("root.pem"), NULL, 0, NULL);
    struct cert_der_list list;
    bool matched = true;

    /* No CERTREQ: the certificate and its intermediate. */
    CHECK_INT_EQ(cert_store_cert_payloads(s, NULL, 0, &list, &matched), 2);
    CHECK(!matched);
    CHECK(der_is(&list.items[0], w.gw));
    CHECK(der_is(&list.items[1], w.inter));
    cert_der_list_free(&list);

    /* CERTREQ for the intermediate: it is the peer's trust anchor. */
    uint8_t req[60];
    keyid(w.other_ca, req);
    keyid(w.inter, req + 20);
    keyid(w.root, req + 40);
    struct crypto_chunk c = { req + 20, 20 };
    CHECK_INT_EQ(cert_store_cert_payloads(s, &c, 1, &list, &matched), 1);
    CHECK(matched);
    CHECK(der_is(&list.items[0], w.gw));
    cert_der_list_free(&list);

    /* CERTREQ for the root (only in our CA file): the whole chain below it. */
    c = (struct crypto_chunk){ req + 40, 20 };
    CHECK_INT_EQ(cert_store_cert_payloads(s, &c, 1, &list, &matched), 2);
    CHECK(matched);
    cert_der_list_free(&list);

    /* Several hashes, several CERTREQ payloads: the nearest CA wins. */
    struct crypto_chunk two[] = { { req, 20 }, { req + 20, 40 } };
    CHECK_INT_EQ(cert_store_cert_payloads(s, two, 2, &list, &matched), 1);
    CHECK(matched);
    cert_der_list_free(&list);

    /* A CA we do not chain to: everything, unmatched. Odd lengths ignored. */
    c = (struct crypto_chunk){ req, 20 };
    CHECK_INT_EQ(cert_store_cert_payloads(s, &c, 1, &list, &matched), 2);
    CHECK(!matched);
    cert_der_list_free(&list);
    c = (struct crypto_chunk){ req + 20, 19 };
    CHECK_INT_EQ(cert_store_cert_payloads(s, &c, 1, &list, &matched), 2);
    CHECK(!matched);
    cert_der_list_free(&list);
    cert_store_unref(s);

    /* A certificate file that ends with the self-signed root: never sent. */
    X509 *full[] = { w.gw, w.inter, w.root };
    pki_write_certs_pem(P("full.pem"), full, 3);
    s = load(P("full.pem"), P("gw.key"), NULL, NULL, 0, NULL);
    CHECK_INT_EQ(cert_store_cert_payloads(s, NULL, 0, &list, &matched), 2);
    CHECK(der_is(&list.items[1], w.inter));
    cert_der_list_free(&list);
    c = (struct crypto_chunk){ req + 40, 20 };
    CHECK_INT_EQ(cert_store_cert_payloads(s, &c, 1, &list, &matched), 2);
    CHECK(matched);
    cert_der_list_free(&list);
    cert_store_unref(s);

    /* No certificate configured. */
    s = load(NULL, NULL, P("root.pem"), NULL, 0, NULL);
    CHECK_INT_EQ(cert_store_cert_payloads(s, NULL, 0, &list, &matched), -ENOENT);
    cert_store_unref(s);
}

/* A reload swaps stores; a holder of the old one keeps using it. */
static void test_reference_counting(void)
{
    struct cert_store *current = load(P("gw.pem"), P("gw.key"), P("root.pem"), NULL, 0, NULL);
    struct cert_store *held = cert_store_ref(current);
    struct cert_store *next = load(P("gw.der"), P("gw-key.der"), P("root.der"), NULL, 0, NULL);
    cert_store_unref(current);
    current = next;
    struct cert_der_list list;
    CHECK_INT_EQ(cert_store_cert_payloads(held, NULL, 0, &list, NULL), 2);
    cert_der_list_free(&list);
    CHECK_INT_EQ(cert_store_cert_payloads(current, NULL, 0, &list, NULL), 1);
    cert_der_list_free(&list);
    cert_store_unref(held);
    cert_store_unref(current);
    cert_store_unref(NULL);
    CHECK(cert_store_ref(NULL) == NULL);
}

static void test_setup(void)
{
    pki_world_make(&w);
    CHECK(w.dir != NULL);
}

static void test_teardown(void)
{
    pki_world_free(&w);
    CHECK(1);
}

TEST_MAIN(
    TEST(test_setup),
    TEST(test_load_pem),
    TEST(test_load_der),
    TEST(test_load_directories),
    TEST(test_load_errors),
    TEST(test_certreq_body),
    TEST(test_cert_payloads_for_certreq),
    TEST(test_reference_counting),
    TEST(test_teardown))
