/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the cert*.c files share and nobody else sees: the store's layout and
 * small helpers for messages and files.
 */
#pragma once

#include <stdarg.h>

#include "cert.h"

/* A CRL and the file it came from (named in "revoked" messages). */
struct cert_crl {
    X509_CRL *crl;
    char *path;
};

struct cert_store {
    int refs;                           /* atomic */
    X509 *cert;                         /* our certificate, or NULL */
    STACK_OF(X509) *chain;              /* intermediates after it in the certificate file */
    EVP_PKEY *key;
    X509_STORE *trust;                  /* CAs and CRLs for client certificates */
    STACK_OF(X509) *cas;                /* the same CAs, in load order */
    uint8_t (*ca_keyids)[CERT_KEYID_LEN]; /* SHA-1 of each CA's SPKI (CERTREQ) */
    struct cert_crl *crls;
    size_t n_crls;
};

/* snprintf into reason (when given). */
void cert_reason(char *reason, size_t reason_len, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Quotes bytes from the network for a message: printable ASCII as is,
 * anything else as \xNN, cut to fit out (at most 64 input bytes, "..."). */
void cert_escape(const uint8_t *data, size_t len, char *out, size_t out_len);

/* Reads a whole regular file (at most CERT_FILE_MAX bytes). */
#define CERT_FILE_MAX (4u << 20)
int cert_read_file(const char *path, uint8_t **ret, size_t *ret_len);
