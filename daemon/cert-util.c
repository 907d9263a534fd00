/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Formatting names, times and received bytes for messages, and reading
 * credential files, for the cert*.c files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "cert-internal.h"

void cert_reason(char *reason, size_t reason_len, const char *format, ...)
{
    if (!reason || reason_len == 0)
        return;
    va_list ap;
    va_start(ap, format);
    vsnprintf(reason, reason_len, format, ap);
    va_end(ap);
}

void cert_escape(const uint8_t *data, size_t len, char *out, size_t out_len)
{
    if (!out || out_len == 0)
        return;
    size_t o = 0;
    size_t shown = len > 64 ? 64 : len;
    for (size_t i = 0; i < shown; i++) {
        char tmp[5];
        uint8_t c = data[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            snprintf(tmp, sizeof(tmp), "%c", c);
        else
            snprintf(tmp, sizeof(tmp), "\\x%02x", c);
        size_t n = strlen(tmp);
        if (o + n + 1 > out_len)
            break;
        memcpy(out + o, tmp, n);
        o += n;
    }
    if (shown < len && o + 4 <= out_len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Copies a memory BIO's contents into buf as a string. */
static void bio_to_string(BIO *bio, char *buf, size_t len, const char *fallback)
{
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    if (n <= 0 || !p) {
        snprintf(buf, len, "%s", fallback);
        return;
    }
    snprintf(buf, len, "%.*s", (int)n, p);
}

void cert_name_format(const X509_NAME *name, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    BIO *bio = BIO_new(BIO_s_mem());
    /* RFC 2253 order and escaping, but UTF-8 shown as is rather than \XX
     * (names are for operators' eyes; the log layer escapes control bytes). */
    unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    if (!bio || !name || X509_NAME_print_ex(bio, name, 0, flags) < 0)
        snprintf(buf, len, "(unprintable name)");
    else
        bio_to_string(bio, buf, len, "(empty name)");
    BIO_free(bio);
    ERR_clear_error();
}

int cert_dn_der_format(const uint8_t *der, size_t len, char *buf, size_t buf_len)
{
    const unsigned char *p = der;
    long body_len;
    int tag, xclass;
    if (!der || len == 0 || len > LONG_MAX)
        return -EBADMSG;
    /* DER: a definite length (d2i would take BER's indefinite form too). */
    int ret = ASN1_get_object(&p, &body_len, &tag, &xclass, (long)len);
    if ((ret & 0x80) || ret != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE) {
        ERR_clear_error();
        return -EBADMSG;
    }
    p = der;
    X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)len);
    if (!name || p != der + len) {
        X509_NAME_free(name);
        ERR_clear_error();
        return -EBADMSG;
    }
    /* One byte more than fits: a name cut short must not be matched as if
     * it were the whole one. */
    char *text = malloc(buf_len + 1);
    int r = text ? 0 : -ENOMEM;
    if (text) {
        cert_name_format(name, text, buf_len + 1);
        if (strlen(text) >= buf_len)
            r = -ENAMETOOLONG;
        else
            memcpy(buf, text, strlen(text) + 1);
        free(text);
    }
    X509_NAME_free(name);
    return r;
}

void cert_time_format(const ASN1_TIME *t, char *buf, size_t len)
{
    struct tm tm;
    if (!buf || len == 0)
        return;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
        snprintf(buf, len, "(bad time)");
        ERR_clear_error();
        return;
    }
    if (strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(buf, len, "(bad time)");
}

int cert_read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    struct stat st;
    int r;
    uint8_t *buf = NULL;
    size_t size = 0;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        goto out;
    }
    r = -EINVAL;
    if (!S_ISREG(st.st_mode))
        goto out;
    r = -EFBIG;
    if ((uint64_t)st.st_size > CERT_FILE_MAX)
        goto out;
    size = (size_t)st.st_size;
    r = -ENOMEM;
    buf = malloc(size + 1);
    if (!buf)
        goto out;
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    *ret = buf;
    *ret_len = got;
    buf = NULL;
    r = 0;
out:
    if (buf) {
        /* a key file may have been partly read */
        OPENSSL_cleanse(buf, size + 1);
        free(buf);
    }
    close(fd);
    return r;
}
