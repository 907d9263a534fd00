/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A client's certificate (daemon/cert-verify.c, cert-identity.c): chain
 * validation and each failure's reason, unsupported CERT encodings, IDi
 * matching, AUTH with the certificate's key, malformed DER, threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "crypto-sign.h"
#include "ikev2-constants.h"
#include "pki.h"
#include "testing.h"

static struct pki_world w;
static struct cert_store *store;        /* CA root, CRL from the intermediate */
static struct cert_store *store_nocrl;  /* CA root and intermediate, no CRL */

static struct cert_store *load(const char *ca, const char *crl)
{
    struct cert_store *s = NULL;
    char err[512];
    struct cert_store_paths p = { NULL, NULL, ca, crl };
    if (cert_store_load(&p, &s, err, sizeof(err)) < 0)
        printf("#   load: %s\n", err);
    return s;
}

/* CERT payloads made of certificates (DER copies, freed by payloads_free). */
struct payloads {
    struct ikev2_cert c[20];
    size_t n;
};

static void add(struct payloads *p, uint8_t encoding, X509 *x)
{
    size_t len = 0;
    uint8_t *der = x ? pki_cert_der(x, &len) : (uint8_t *)strdup("http://example/cert");
    if (!x)
        len = strlen((char *)der);
    p->c[p->n++] = (struct ikev2_cert){ encoding, der, len };
}

static void payloads_free(struct payloads *p)
{
    for (size_t i = 0; i < p->n; i++)
        free((void *)p->c[i].data);
    p->n = 0;
}

static int verify(struct cert_store *s, X509 *ee, X509 *inter, char *reason, struct cert_peer **peer_out)
{
    struct payloads p = { .n = 0 };
    add(&p, IKEV2_CERT_X509_SIGNATURE, ee);
    if (inter)
        add(&p, IKEV2_CERT_X509_SIGNATURE, inter);
    struct cert_peer *peer = NULL;
    reason[0] = '\0';
    int r = cert_peer_verify(s, p.c, p.n, NULL, &peer, reason, CERT_REASON_MAX);
    payloads_free(&p);
    if (peer_out)
        *peer_out = peer;
    else
        cert_peer_free(peer);
    return r;
}

/* The date `days` from now, as the reasons print it (date part only). */
static void day(long days, char *buf, size_t len)
{
    time_t t = time(NULL) + days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d", &tm);
}

static void test_setup(void)
{
    pki_world_make(&w);
    store = load(pki_path(w.dir, "root.pem"), pki_path(w.dir, "inter.crl"));
    X509 *both[] = { w.root, w.inter };
    pki_write_certs_pem(pki_path(w.dir, "root+inter.pem"), both, 2);
    store_nocrl = load(pki_path(w.dir, "root+inter.pem"), NULL);
    CHECK(store && store_nocrl);
}

static void test_valid_chain(void)
{
    char reason[CERT_REASON_MAX];
    struct cert_peer *peer = NULL;
    CHECK_INT_EQ(verify(store, w.alice, w.inter, reason, &peer), 1);
    CHECK(peer != NULL);
    CHECK_STR_EQ(cert_peer_subject(peer), "CN=alice,O=Example");
    CHECK(X509_cmp(cert_peer_certificate(peer), w.alice) == 0);
    CHECK(EVP_PKEY_eq(cert_peer_public_key(peer), w.alice_key) == 1);
    cert_peer_free(peer);

    /* The intermediate may come from the CA file instead of the peer. */
    CHECK_INT_EQ(verify(store_nocrl, w.alice, NULL, reason, NULL), 1);
    /* Extra, unrelated certificates from the peer do not hurt. */
    struct payloads p = { .n = 0 };
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.alice);
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.other_ca);
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.inter);
    CHECK_INT_EQ(cert_peer_verify(store, p.c, p.n, NULL, &peer, reason, sizeof(reason)), 1);
    cert_peer_free(peer);
    payloads_free(&p);
    /* A certificate without keyUsage is fine (legacy). */
    CHECK_INT_EQ(verify(store, w.legacy, w.inter, reason, NULL), 1);
}

static void test_expired_and_not_yet_valid(void)
{
    char reason[CERT_REASON_MAX], want[CERT_REASON_MAX], d[16];
    CHECK_INT_EQ(verify(store, w.expired, w.inter, reason, NULL), 0);
    day(-2, d, sizeof(d));
    snprintf(want, sizeof(want), "certificate for CN=old,O=Example expired %s ", d);
    CHECK(strncmp(reason, want, strlen(want)) == 0);
    CHECK(strstr(reason, " UTC") != NULL);
    if (strncmp(reason, want, strlen(want)) != 0)
        printf("#   got \"%s\"\n", reason);

    CHECK_INT_EQ(verify(store, w.future, w.inter, reason, NULL), 0);
    day(5, d, sizeof(d));
    snprintf(want, sizeof(want), "certificate for CN=soon,O=Example is not valid before %s ", d);
    CHECK(strncmp(reason, want, strlen(want)) == 0);

    /* Checked at a given time: a year and a half from now alice has expired,
     * and so has the CRL. */
    struct payloads p = { .n = 0 };
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.alice);
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.inter);
    struct cert_verify_options o = { .now = time(NULL) + 540 * 86400 };
    struct cert_peer *peer = NULL;
    CHECK_INT_EQ(cert_peer_verify(store_nocrl, p.c, p.n, &o, &peer, reason, sizeof(reason)), 0);
    CHECK(strncmp(reason, "certificate for CN=alice,O=Example expired ", 43) == 0);
    /* ... and the expired one was valid three weeks ago. */
    payloads_free(&p);
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.expired);
    o.now = time(NULL) - 21 * 86400;
    CHECK_INT_EQ(cert_peer_verify(store_nocrl, p.c, p.n, &o, &peer, reason, sizeof(reason)), 1);
    cert_peer_free(peer);
    payloads_free(&p);
}

static void test_untrusted(void)
{
    char reason[CERT_REASON_MAX];
    CHECK_INT_EQ(verify(store, w.mallory, w.other_ca, reason, NULL), 0);
    CHECK_STR_EQ(reason, "issuer CN=Other CA not trusted (a self-signed root that is not a configured CA)");
    CHECK_INT_EQ(verify(store, w.mallory, NULL, reason, NULL), 0);
    CHECK_STR_EQ(reason, "issuer CN=Other CA of certificate for CN=mallory not trusted");
    CHECK_INT_EQ(verify(store, w.selfie, NULL, reason, NULL), 0);
    CHECK_STR_EQ(reason, "certificate for CN=selfie is self-signed and not trusted");
    /* The intermediate is needed and was not sent, nor configured. */
    CHECK_INT_EQ(verify(store, w.alice, NULL, reason, NULL), 0);
    CHECK_STR_EQ(reason, "issuer CN=Test Intermediate CA,O=vpnd tests of certificate for "
                         "CN=alice,O=Example not trusted");
    /* A store without CAs trusts nobody. */
    struct cert_store *none = load(NULL, NULL);
    CHECK_INT_EQ(verify(none, w.alice, w.inter, reason, NULL), 0);
    CHECK_STR_EQ(reason, "no CA is configured to verify certificates");
    cert_store_unref(none);
}

static void test_revocation(void)
{
    char reason[CERT_REASON_MAX], want[CERT_REASON_MAX];
    CHECK_INT_EQ(verify(store, w.revoked, w.inter, reason, NULL), 0);
    snprintf(want, sizeof(want), "certificate for CN=bob,O=Example revoked (CRL %s)",
             pki_path(w.dir, "inter.crl"));
    CHECK_STR_EQ(reason, want);
    /* Without CRL checking the same certificate passes. */
    CHECK_INT_EQ(verify(store_nocrl, w.revoked, w.inter, reason, NULL), 1);

    /* CRL checking is on but the issuer (the root) published none. */
    CHECK_INT_EQ(verify(store, w.by_root, NULL, reason, NULL), 0);
    CHECK_STR_EQ(reason, "no CRL from CN=Test Root CA,O=vpnd tests to check certificate for "
                         "CN=dave,O=Example (crl is configured)");
    CHECK_INT_EQ(verify(store_nocrl, w.by_root, NULL, reason, NULL), 1);

    /* An expired CRL. */
    struct cert_store *old = load(pki_path(w.dir, "root.pem"), pki_path(w.dir, "old.crl"));
    CHECK_INT_EQ(verify(old, w.alice, w.inter, reason, NULL), 0);
    CHECK(strncmp(reason, "CRL from CN=Test Intermediate CA,O=vpnd tests expired ", 54) == 0);
    cert_store_unref(old);
}

static void test_key_usage(void)
{
    char reason[CERT_REASON_MAX];
    CHECK_INT_EQ(verify(store, w.keyenc, w.inter, reason, NULL), 0);
    CHECK_STR_EQ(reason, "certificate for CN=carol,O=Example: keyUsage does not allow digitalSignature");
}

/* Weak keys and hashes are refused when a security level is asked for. */
static void test_security_level(void)
{
    char reason[CERT_REASON_MAX];
    EVP_PKEY *weak = pki_key_rsa(1024);
    X509 *x = pki_cert(weak, &(struct pki_cert_opts){ .subject = "CN=weak", .serial = 300 }, w.inter, w.inter_key);
    struct payloads p = { .n = 0 };
    add(&p, IKEV2_CERT_X509_SIGNATURE, x);
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.inter);
    struct cert_peer *peer = NULL;
    struct cert_verify_options o = { .security_level = 0 };
    CHECK_INT_EQ(cert_peer_verify(store_nocrl, p.c, p.n, &o, &peer, reason, sizeof(reason)), 1);
    cert_peer_free(peer);
    o.security_level = 1;
    CHECK_INT_EQ(cert_peer_verify(store_nocrl, p.c, p.n, &o, &peer, reason, sizeof(reason)), 1);
    cert_peer_free(peer);
    o.security_level = 2;
    CHECK_INT_EQ(cert_peer_verify(store_nocrl, p.c, p.n, &o, &peer, reason, sizeof(reason)), 0);
    CHECK_STR_EQ(reason, "certificate for CN=weak: 1024-bit RSA key too weak for the security level");
    /* A SHA-1 signed certificate: fine without a level, refused at 1. */
    X509 *old = pki_cert(w.alice_key, &(struct pki_cert_opts){ .subject = "CN=sha1", .serial = 301, .sha1 = true },
                         w.inter, w.inter_key);
    payloads_free(&p);
    add(&p, IKEV2_CERT_X509_SIGNATURE, old);
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.inter);
    o.security_level = 0;
    CHECK_INT_EQ(cert_peer_verify(store_nocrl, p.c, p.n, &o, &peer, reason, sizeof(reason)), 1);
    cert_peer_free(peer);
    o.security_level = 1;
    CHECK_INT_EQ(cert_peer_verify(store_nocrl, p.c, p.n, &o, &peer, reason, sizeof(reason)), 0);
    CHECK_STR_EQ(reason, "certificate for CN=sha1: signature hash too weak for the security level");
    X509_free(old);
    /* alice (P-256) passes level 3 (128 bits). */
    payloads_free(&p);
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.alice);
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.inter);
    o.security_level = 3;
    CHECK_INT_EQ(cert_peer_verify(store_nocrl, p.c, p.n, &o, &peer, reason, sizeof(reason)), 1);
    cert_peer_free(peer);
    payloads_free(&p);
    X509_free(x);
    EVP_PKEY_free(weak);
}

struct notes {
    int count;
    char last[200];
};

static void note(void *userdata, const char *text)
{
    struct notes *n = userdata;
    n->count++;
    snprintf(n->last, sizeof(n->last), "%s", text);
}

static void test_unsupported_encodings(void)
{
    char reason[CERT_REASON_MAX];
    struct notes notes = { 0 };
    struct cert_verify_options o = { .note = note, .userdata = &notes };
    struct payloads p = { .n = 0 };
    add(&p, IKEV2_CERT_HASH_URL_X509, NULL);
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.alice);
    add(&p, IKEV2_CERT_X509_SIGNATURE, w.inter);
    struct cert_peer *peer = NULL;
    CHECK_INT_EQ(cert_peer_verify(store, p.c, p.n, &o, &peer, reason, sizeof(reason)), 1);
    CHECK_STR_EQ(cert_peer_subject(peer), "CN=alice,O=Example");
    cert_peer_free(peer);
    CHECK_INT_EQ(notes.count, 1);
    CHECK_STR_EQ(notes.last, "ignoring CERT payload 1: encoding 12 (hash and URL of X.509) is not supported");
    payloads_free(&p);

    add(&p, IKEV2_CERT_PKCS7_X509, NULL);
    add(&p, 201, NULL);
    CHECK_INT_EQ(cert_peer_verify(store, p.c, p.n, &o, &peer, reason, sizeof(reason)), 0);
    CHECK_STR_EQ(reason, "no X.509 certificate received (CERT payload with encoding 4)");
    CHECK_INT_EQ(notes.count, 3);
    CHECK_STR_EQ(notes.last, "ignoring CERT payload 2: encoding 201 (unknown) is not supported");
    payloads_free(&p);
    CHECK_INT_EQ(cert_peer_verify(store, NULL, 0, NULL, &peer, reason, sizeof(reason)), 0);
    CHECK_INT_EQ(cert_peer_verify(store, NULL, 1, NULL, &peer, reason, sizeof(reason)), -EINVAL);
}

static void test_malformed_der(void)
{
    char reason[CERT_REASON_MAX];
    struct cert_peer *peer = NULL;
    size_t len;
    uint8_t *der = pki_cert_der(w.alice, &len);

    /* Truncated (exact-size copies so that ASan sees any over-read). */
    for (size_t cut = 0; cut < len; cut += (cut < 16 ? 1 : 37)) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, der, cut);
        struct ikev2_cert c = { IKEV2_CERT_X509_SIGNATURE, copy, cut };
        int r = cert_peer_verify(store, &c, 1, NULL, &peer, reason, sizeof(reason));
        CHECK_INT_EQ(r, 0);
        CHECK(strstr(reason, "CERT payload 1 is") != NULL);
        free(copy);
    }
    /* Trailing bytes after the certificate. */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, der, len);
    longer[len] = 0;
    struct ikev2_cert c = { IKEV2_CERT_X509_SIGNATURE, longer, len + 1 };
    CHECK_INT_EQ(cert_peer_verify(store, &c, 1, NULL, &peer, reason, sizeof(reason)), 0);
    CHECK_STR_EQ(reason, "CERT payload 1 is not a well-formed DER X.509 certificate");
    free(longer);

    /* Random damage: never a crash, never accepted. */
    unsigned seed = 11;
    int accepted = 0, parsed = 0;
    size_t ilen;
    uint8_t *inter = pki_cert_der(w.inter, &ilen);
    for (int i = 0; i < 300; i++) {
        uint8_t *m = malloc(len);
        memcpy(m, der, len);
        int edits = 1 + rand_r(&seed) % 4;
        for (int e = 0; e < edits; e++)
            m[(size_t)rand_r(&seed) % len] ^= (uint8_t)(1 + rand_r(&seed) % 255);
        struct ikev2_cert cs[2] = {
            { IKEV2_CERT_X509_SIGNATURE, m, len },
            { IKEV2_CERT_X509_SIGNATURE, inter, ilen },
        };
        int r = cert_peer_verify(store, cs, 2, NULL, &peer, reason, sizeof(reason));
        CHECK(r == 0 || r == 1);
        if (r == 1) {
            accepted++;
            cert_peer_free(peer);
        }
        if (r == 0 && !strstr(reason, "well-formed"))
            parsed++;
        free(m);
    }
    CHECK_INT_EQ(accepted, 0);
    CHECK(parsed > 0);   /* some damage survived parsing and was caught by the chain check */
    free(inter);

    /* Too many certificates. */
    struct ikev2_cert many[17];
    for (int i = 0; i < 17; i++)
        many[i] = (struct ikev2_cert){ IKEV2_CERT_X509_SIGNATURE, der, len };
    CHECK_INT_EQ(cert_peer_verify(store, many, 17, NULL, &peer, reason, sizeof(reason)), 0);
    CHECK_STR_EQ(reason, "more than 16 certificates received");
    free(der);
}

/* ---- IDi ---------------------------------------------------------------------- */

static int match(X509 *x, uint8_t type, const void *data, size_t len, unsigned flags, char *reason)
{
    reason[0] = '\0';
    /* An exact-size copy: the module must not read past the ID. */
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    int r = cert_match_id(x, type, copy, len, flags, reason, CERT_REASON_MAX);
    free(copy);
    return r;
}

static void test_match_dn(void)
{
    char reason[CERT_REASON_MAX];
    unsigned char *dn = NULL;
    int n = i2d_X509_NAME(X509_get_subject_name(w.alice), &dn);
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_DER_ASN1_DN, dn, (size_t)n, 0, reason), 1);
    CHECK_INT_EQ(match(w.revoked, IKEV2_ID_DER_ASN1_DN, dn, (size_t)n, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi dn:CN=alice,O=Example does not match certificate subject CN=bob,O=Example");
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_DER_ASN1_DN, dn, (size_t)n - 1, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi is not a well-formed DER distinguished name");
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_DER_ASN1_DN, "", 0, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi is not a well-formed DER distinguished name");
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_DER_ASN1_DN, "\x30\x80\x00\x00", 4, 0, reason), 0);
    OPENSSL_free(dn);

    /* Another encoding of the same name (PrintableString instead of
     * UTF8String) still matches: X509_NAME_cmp compares canonical forms. */
    X509_NAME *alt = X509_NAME_new();
    X509_NAME_add_entry_by_txt(alt, "O", V_ASN1_PRINTABLESTRING, (const unsigned char *)"Example", -1, -1, 0);
    X509_NAME_add_entry_by_txt(alt, "CN", V_ASN1_PRINTABLESTRING, (const unsigned char *)"ALICE", -1, -1, 0);
    dn = NULL;
    n = i2d_X509_NAME(alt, &dn);
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_DER_ASN1_DN, dn, (size_t)n, 0, reason), 1);
    OPENSSL_free(dn);
    X509_NAME_free(alt);
}

/* The DN identity as text, the form `dn:` tunnel-group patterns match. */
static void test_dn_format(void)
{
    char buf[128];
    unsigned char *dn = NULL;
    int n = i2d_X509_NAME(X509_get_subject_name(w.alice), &dn);
    CHECK_INT_EQ(cert_dn_der_format(dn, (size_t)n, buf, sizeof(buf)), 0);
    CHECK_STR_EQ(buf, "CN=alice,O=Example");
    /* Exactly one Name: truncated, with trailing bytes, or empty is refused. */
    CHECK_INT_EQ(cert_dn_der_format(dn, (size_t)n - 1, buf, sizeof(buf)), -EBADMSG);
    uint8_t *longer = malloc((size_t)n + 1);
    memcpy(longer, dn, (size_t)n);
    longer[n] = 0;
    CHECK_INT_EQ(cert_dn_der_format(longer, (size_t)n + 1, buf, sizeof(buf)), -EBADMSG);
    CHECK_INT_EQ(cert_dn_der_format(dn, 0, buf, sizeof(buf)), -EBADMSG);
    CHECK_INT_EQ(cert_dn_der_format((const uint8_t *)"\x30\x80\x00\x00", 4, buf, sizeof(buf)), -EBADMSG);
    /* Never cut short: a prefix could match a pattern the whole name does not. */
    CHECK_INT_EQ(cert_dn_der_format(dn, (size_t)n, buf, 18), -ENAMETOOLONG);
    CHECK_INT_EQ(cert_dn_der_format(dn, (size_t)n, buf, 19), 0);
    CHECK_STR_EQ(buf, "CN=alice,O=Example");
    free(longer);
    OPENSSL_free(dn);
}

static void test_match_san(void)
{
    char reason[CERT_REASON_MAX];
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_FQDN, "alice.example.com", 17, 0, reason), 1);
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_FQDN, "ALICE.Example.COM", 17, 0, reason), 1);
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_FQDN, "alice.example.co", 16, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi fqdn:alice.example.co does not match certificate SAN");
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_FQDN, "a.b", 3, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi fqdn:a.b does not match certificate SAN");
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_FQDN, "alice.example.com\0.evil", 23, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi fqdn is empty or holds a NUL byte");
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_FQDN, "", 0, 0, reason), 0);
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_FQDN, "\x01\xff\\x", 4, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi fqdn:\\x01\\xff\\x5cx does not match certificate SAN");

    CHECK_INT_EQ(match(w.alice, IKEV2_ID_RFC822_ADDR, "alice@example.com", 17, 0, reason), 1);
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_RFC822_ADDR, "bob@example.com", 15, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi email:bob@example.com does not match certificate SAN");
    CHECK_INT_EQ(match(w.gw, IKEV2_ID_RFC822_ADDR, "alice@example.com", 17, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi email:alice@example.com does not match certificate SAN (it has no rfc822Name)");

    uint8_t v4[4], v6[16];
    inet_pton(AF_INET, "192.0.2.7", v4);
    inet_pton(AF_INET6, "2001:db8::7", v6);
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_IPV4_ADDR, v4, 4, 0, reason), 1);
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_IPV6_ADDR, v6, 16, 0, reason), 1);
    v4[3] = 8;
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_IPV4_ADDR, v4, 4, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi address 192.0.2.8 does not match certificate SAN");
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_IPV4_ADDR, v4, 3, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi IPv4 address has 3 bytes");
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_IPV6_ADDR, v4, 4, 0, reason), 0);
    /* An IPv4 ID never matches an IPv6 SAN with the same leading bytes. */
    CHECK_INT_EQ(match(w.alice, IKEV2_ID_IPV4_ADDR, v6, 4, 0, reason), 0);

    CHECK_INT_EQ(match(w.alice, IKEV2_ID_KEY_ID, "alice", 5, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi of type 11 cannot be matched against a certificate");
}

/* The subject CN counts for an FQDN only when asked, and only for a
 * certificate without dNSName SANs. */
static void test_match_cn_fallback(void)
{
    char reason[CERT_REASON_MAX];
    CHECK_INT_EQ(match(w.legacy, IKEV2_ID_FQDN, "legacy.example.com", 18, 0, reason), 0);
    CHECK_STR_EQ(reason, "IDi fqdn:legacy.example.com does not match certificate SAN (it has no dNSName)");
    CHECK_INT_EQ(match(w.legacy, IKEV2_ID_FQDN, "Legacy.Example.com", 18, CERT_MATCH_CN_FALLBACK, reason), 1);
    CHECK_INT_EQ(match(w.legacy, IKEV2_ID_FQDN, "other.example.com", 17, CERT_MATCH_CN_FALLBACK, reason), 0);
    /* gw has a dNSName: its CN is not consulted even with the flag. */
    X509 *x = pki_cert(w.leaf_key, &(struct pki_cert_opts){ .subject = "CN=cn.example.com", .serial = 77,
                       .san = "DNS:san.example.com" }, w.inter, w.inter_key);
    CHECK_INT_EQ(match(x, IKEV2_ID_FQDN, "cn.example.com", 14, CERT_MATCH_CN_FALLBACK, reason), 0);
    CHECK_INT_EQ(match(x, IKEV2_ID_FQDN, "san.example.com", 15, CERT_MATCH_CN_FALLBACK, reason), 1);
    X509_free(x);
}

/* ---- AUTH with the certificate's key -------------------------------------------- */

static void test_peer_auth(void)
{
    char reason[CERT_REASON_MAX];
    struct cert_peer *peer = NULL;
    CHECK_INT_EQ(verify(store, w.alice, w.inter, reason, &peer), 1);
    if (!peer)
        return;
    static const uint8_t octets[] = "signed octets of the initiator";
    struct crypto_sign_scheme s;
    CHECK_INT_EQ(crypto_sign_choose(w.alice_key, CRYPTO_SIGN_HASH_BIT(CRYPTO_SIGN_HASH_SHA256), false, &s), 0);
    uint8_t *sig;
    size_t len;
    CHECK_INT_EQ(crypto_sign_auth(w.alice_key, &s, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(cert_peer_verify_auth(peer, s.auth_method, sig, len, octets, sizeof(octets), 0,
                                       reason, sizeof(reason)), 1);
    free(sig);
    /* Signed by someone else's key (the gateway's RSA key). */
    CHECK_INT_EQ(crypto_sign_choose(w.gw_key, CRYPTO_SIGN_HASH_BIT(CRYPTO_SIGN_HASH_SHA256), false, &s), 0);
    CHECK_INT_EQ(crypto_sign_auth(w.gw_key, &s, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(cert_peer_verify_auth(peer, s.auth_method, sig, len, octets, sizeof(octets), 0,
                                       reason, sizeof(reason)), 0);
    CHECK_STR_EQ(reason, "ECDSA key cannot verify a RSA PKCS#1 signature");
    free(sig);
    /* Another P-256 key: the signature does not verify. */
    EVP_PKEY *other = pki_key_ec("P-256");
    CHECK_INT_EQ(crypto_sign_choose(other, 0, false, &s), 0);
    CHECK_INT_EQ(s.auth_method, 9);
    CHECK_INT_EQ(crypto_sign_auth(other, &s, octets, sizeof(octets), &sig, &len), 0);
    CHECK_INT_EQ(cert_peer_verify_auth(peer, 9, sig, len, octets, sizeof(octets), 0, reason, sizeof(reason)), 0);
    CHECK_STR_EQ(reason, "signature does not verify");
    free(sig);
    EVP_PKEY_free(other);
    cert_peer_free(peer);
}

/* ---- Threads: one store, many verifications at once ------------------------------- */

static void *verify_loop(void *arg)
{
    long bad = 0;
    for (int i = 0; i < 10; i++) {
        char reason[CERT_REASON_MAX];
        if (verify(store, w.alice, w.inter, reason, NULL) != 1)
            bad++;
        if (verify(store, w.revoked, w.inter, reason, NULL) != 0 || !strstr(reason, "revoked"))
            bad++;
    }
    return (void *)bad;
}

static void test_threads(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK_INT_EQ(pthread_create(&t[i], NULL, verify_loop, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        CHECK_INT_EQ((long)ret, 0);
    }
}

static void test_teardown(void)
{
    cert_store_unref(store);
    cert_store_unref(store_nocrl);
    pki_world_free(&w);
    CHECK(1);
}

TEST_MAIN(
    TEST(test_setup),
    TEST(test_valid_chain),
    TEST(test_expired_and_not_yet_valid),
    TEST(test_untrusted),
    TEST(test_revocation),
    TEST(test_key_usage),
    TEST(test_security_level),
    TEST(test_unsupported_encodings),
    TEST(test_malformed_der),
    TEST(test_match_dn),
    TEST(test_dn_format),
    TEST(test_match_san),
    TEST(test_match_cn_fallback),
    TEST(test_peer_auth),
    TEST(test_threads),
    TEST(test_teardown))
