/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fixture.h"

static int write_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    ssize_t k = write(fd, data, len);
    int r = k == (ssize_t)len ? 0 : -EIO;
    if (fchmod(fd, mode) < 0)
        r = -errno;
    close(fd);
    return r;
}

static EVP_PKEY *make_key(void)
{
    return EVP_EC_gen("P-256");
}

static X509 *make_cert(EVP_PKEY *key)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"vpn.example", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, key);
    if (X509_sign(x, key, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int write_pem(const char *dir, const char *name, X509 *cert, EVP_PKEY *key, const char *pass)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "we");
    if (!f)
        return -errno;
    int ok;
    if (cert)
        ok = PEM_write_X509(f, cert);
    else if (pass)
        ok = PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(), (const unsigned char *)pass, (int)strlen(pass),
                                  NULL, NULL);
    else
        ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    return ok ? 0 : -EIO;
}

int fixture_create(char *dir, size_t len)
{
    char tmpl[] = "/tmp/vpnd-config-test.XXXXXX";
    char sub[4096];
    int r = 0;

    if (!mkdtemp(tmpl))
        return -errno;
    snprintf(dir, len, "%s", tmpl);
    static const char *const subdirs[] = { "certs", "private", "psk", "creds" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(sub, sizeof(sub), "%s/%s", dir, subdirs[i]);
        if (mkdir(sub, 0700) < 0)
            return -errno;
    }

    EVP_PKEY *key = make_key(), *other = make_key();
    X509 *cert = key ? make_cert(key) : NULL;
    if (!key || !other || !cert)
        r = -EIO;
    if (r == 0)
        r = write_pem(dir, "certs/vpn-gateway.pem", cert, NULL, NULL);
    if (r == 0)
        r = write_pem(dir, "certs/ca.pem", cert, NULL, NULL);
    if (r == 0)
        r = write_pem(dir, "private/vpn-gateway.key", NULL, key, NULL);
    if (r == 0)
        r = write_pem(dir, "private/other.key", NULL, other, NULL);
    if (r == 0)
        r = write_pem(dir, "private/encrypted.key", NULL, key, "passphrase");
    X509_free(cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    if (r < 0)
        return r;

    /* IKEv1 signs with RSA only. */
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    X509 *rsa_cert = rsa ? make_cert(rsa) : NULL;
    r = rsa_cert ? write_pem(dir, "certs/vpn-gateway-rsa.pem", rsa_cert, NULL, NULL) : -EIO;
    if (r == 0)
        r = write_pem(dir, "private/vpn-gateway-rsa.key", NULL, rsa, NULL);
    X509_free(rsa_cert);
    EVP_PKEY_free(rsa);
    if (r < 0)
        return r;

    char long_secret[600];
    memset(long_secret, 'k', sizeof(long_secret));
    if ((r = write_file(dir, "certs/garbage.pem", "not a certificate\n", 18, 0644)) < 0 ||
        (r = write_file(dir, "psk/group.psk", "secret-from-file\n", 17, 0600)) < 0 ||
        (r = write_file(dir, "psk/crlf.psk", "secret-crlf\r\n", 13, 0600)) < 0 ||
        (r = write_file(dir, "psk/open.psk", "open-secret", 11, 0644)) < 0 ||
        (r = write_file(dir, "psk/empty.psk", "", 0, 0600)) < 0 ||
        (r = write_file(dir, "psk/long.psk", long_secret, sizeof(long_secret), 0600)) < 0 ||
        (r = write_file(dir, "creds/ez-key", "credential-secret\n", 18, 0400)) < 0)
        return r;
    return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

void fixture_remove(const char *dir)
{
    if (dir && strncmp(dir, "/tmp/vpnd-config-test.", 22) == 0)
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int fixture_copy(const char *src, const char *dir, char *dst, size_t len)
{
    char buf[65536];
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", src);
    snprintf(dst, len, "%s/%s", dir, basename(copy));

    FILE *in = fopen(src, "re");
    if (!in)
        return -errno;
    size_t n = fread(buf, 1, sizeof(buf), in);
    int err = ferror(in) || !feof(in);
    fclose(in);
    if (err)
        return -EIO;
    /* 0600: like a real configuration holding keys. */
    return write_file(dir, strrchr(dst, '/') + 1, buf, n, 0600);
}
