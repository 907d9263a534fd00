/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The peer's certificates, ID and signature copied for a worker job, the
 * same for IKEv1 signature authentication and IKEv2 certificate AUTH.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

int cert_peer_copy_init(struct cert_peer_copy *c, const struct ikev2_cert *certs, size_t n_certs, uint8_t id_type,
                        const uint8_t *id_data, size_t id_len, const uint8_t *sig, size_t sig_len, char *reason,
                        size_t reason_len)
{
    memset(c, 0, sizeof(*c));
    if (n_certs == 0) {
        snprintf(reason, reason_len, "no CERT payload (the client sent no certificate)");
        return 0;
    }
    if (n_certs > CERT_PEER_COPY_MAX)
        return -E2BIG;
    size_t total = id_len + sig_len;
    for (size_t i = 0; i < n_certs; i++)
        total += certs[i].len;
    c->data = malloc(total ? total : 1);
    if (!c->data)
        return -ENOMEM;
    uint8_t *p = c->data;
    for (size_t i = 0; i < n_certs; i++) {
        memcpy(p, certs[i].data, certs[i].len);
        c->certs[i] = (struct ikev2_cert){ certs[i].encoding, p, certs[i].len };
        p += certs[i].len;
    }
    c->n_certs = n_certs;
    c->id_type = id_type;
    if (id_len)
        memcpy(p, id_data, id_len);
    c->id_data = p;
    c->id_len = id_len;
    p += id_len;
    if (sig_len)
        memcpy(p, sig, sig_len);
    c->sig = p;
    c->sig_len = sig_len;
    return 1;
}

void cert_peer_copy_free(struct cert_peer_copy *c)
{
    free(c->data);
    c->data = NULL;
}
