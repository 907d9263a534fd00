/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Does a peer's IKE identity (IDi) belong to its certificate? RFC 4945
 * 3.1: the ID must match the subject or a subjectAltName, otherwise anyone
 * with a valid certificate could claim any identity, and tunnel group
 * selection by identity would be worthless.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cert-internal.h"
#include "ikev2-constants.h"

/* Equal ignoring ASCII case, exact lengths. */
static bool ascii_caseeq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        uint8_t x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y)
            return false;
    }
    return true;
}

/* Looks for a subjectAltName entry of `gen_type` equal to data.
 * Returns 1 found, 0 not, and counts entries of that type in *seen. */
static int san_has(X509 *cert, int gen_type, bool ignore_case, const uint8_t *data, size_t len, size_t *seen)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int found = 0;
    *seen = 0;
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        int type;
        const ASN1_STRING *s = GENERAL_NAME_get0_value(g, &type);
        if (type != gen_type || !s)
            continue;
        (*seen)++;
        const uint8_t *v = ASN1_STRING_get0_data(s);
        size_t vlen = (size_t)ASN1_STRING_length(s);
        if (ignore_case ? ascii_caseeq(v, vlen, data, len) : (vlen == len && memcmp(v, data, len) == 0))
            found = 1;
    }
    GENERAL_NAMES_free(sans);
    ERR_clear_error();
    return found;
}

/* The subject's CN entries, for the documented fallback. */
static bool cn_matches(X509 *cert, const uint8_t *data, size_t len)
{
    X509_NAME *name = X509_get_subject_name(cert);
    for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0;) {
        const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        unsigned char *utf8 = NULL;
        int n = ASN1_STRING_to_UTF8(&utf8, s);
        bool eq = n >= 0 && ascii_caseeq(utf8, (size_t)n, data, len);
        OPENSSL_free(utf8);
        if (eq)
            return true;
    }
    return false;
}

static bool has_nul(const uint8_t *data, size_t len)
{
    return memchr(data, '\0', len) != NULL;
}

int cert_match_id(X509 *cert, uint8_t id_type, const uint8_t *id_data, size_t id_len,
                  unsigned flags, char *reason, size_t reason_len)
{
    if (!cert || (!id_data && id_len))
        return -EINVAL;
    char shown[CERT_REASON_MAX / 2];
    cert_escape(id_data, id_len, shown, sizeof(shown));
    size_t seen = 0;

    switch (id_type) {
    case IKEV2_ID_DER_ASN1_DN: {
        const unsigned char *p = id_data;
        X509_NAME *dn = id_len ? d2i_X509_NAME(NULL, &p, (long)id_len) : NULL;
        if (!dn || p != id_data + id_len) {
            X509_NAME_free(dn);
            ERR_clear_error();
            cert_reason(reason, reason_len, "IDi is not a well-formed DER distinguished name");
            return 0;
        }
        int cmp = X509_NAME_cmp(dn, X509_get_subject_name(cert));
        if (cmp != 0) {
            char idn[CERT_REASON_MAX / 2], subj[CERT_REASON_MAX / 2];
            cert_name_format(dn, idn, sizeof(idn));
            cert_name_format(X509_get_subject_name(cert), subj, sizeof(subj));
            cert_reason(reason, reason_len, "IDi dn:%s does not match certificate subject %s", idn, subj);
        }
        X509_NAME_free(dn);
        ERR_clear_error();
        return cmp == 0;
    }

    case IKEV2_ID_FQDN:
        if (id_len == 0 || has_nul(id_data, id_len)) {
            cert_reason(reason, reason_len, "IDi fqdn is empty or holds a NUL byte");
            return 0;
        }
        if (san_has(cert, GEN_DNS, true, id_data, id_len, &seen))
            return 1;
        if ((flags & CERT_MATCH_CN_FALLBACK) && seen == 0 && cn_matches(cert, id_data, id_len))
            return 1;
        cert_reason(reason, reason_len, "IDi fqdn:%s does not match certificate SAN%s", shown,
                    seen ? "" : " (it has no dNSName)");
        return 0;

    case IKEV2_ID_RFC822_ADDR:
        if (id_len == 0 || has_nul(id_data, id_len)) {
            cert_reason(reason, reason_len, "IDi email is empty or holds a NUL byte");
            return 0;
        }
        if (san_has(cert, GEN_EMAIL, true, id_data, id_len, &seen))
            return 1;
        cert_reason(reason, reason_len, "IDi email:%s does not match certificate SAN%s", shown,
                    seen ? "" : " (it has no rfc822Name)");
        return 0;

    case IKEV2_ID_IPV4_ADDR:
    case IKEV2_ID_IPV6_ADDR: {
        bool v4 = id_type == IKEV2_ID_IPV4_ADDR;
        if (id_len != (v4 ? 4u : 16u)) {
            cert_reason(reason, reason_len, "IDi %s address has %zu bytes", v4 ? "IPv4" : "IPv6", id_len);
            return 0;
        }
        if (san_has(cert, GEN_IPADD, false, id_data, id_len, &seen))
            return 1;
        char addr[INET6_ADDRSTRLEN] = "?";
        inet_ntop(v4 ? AF_INET : AF_INET6, id_data, addr, sizeof(addr));
        cert_reason(reason, reason_len, "IDi address %s does not match certificate SAN", addr);
        return 0;
    }

    default:
        cert_reason(reason, reason_len, "IDi of type %u cannot be matched against a certificate", id_type);
        return 0;
    }
}

int cert_peer_match_id(const struct cert_peer *peer, uint8_t id_type, const uint8_t *id_data,
                       size_t id_len, unsigned flags, char *reason, size_t reason_len)
{
    if (!peer)
        return -EINVAL;
    return cert_match_id(cert_peer_certificate(peer), id_type, id_data, id_len, flags, reason, reason_len);
}
