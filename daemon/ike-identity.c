/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "cert.h"
#include "ike-identity.h"

/* Both versions' numbers (ike-identity.h). */
enum {
    ID_IPV4_ADDR    = 1,
    ID_FQDN         = 2,
    ID_USER_FQDN    = 3,
    ID_IPV6_ADDR    = 5,
    ID_DER_ASN1_DN  = 9,
    ID_KEY_ID       = 11,
};

int ike_identity_text(uint8_t type, const uint8_t *data, size_t len, unsigned flags, char *buf, size_t size,
                      enum config_identity_type *id_type, struct config_address *addr)
{
    memset(addr, 0, sizeof(*addr));
    switch (type) {
    case ID_IPV4_ADDR:
        if (len != 4)
            return -EINVAL;
        addr->family = AF_INET;
        memcpy(&addr->in, data, 4);
        inet_ntop(AF_INET, &addr->in, buf, (socklen_t)size);
        *id_type = CONFIG_ID_ADDRESS;
        return 0;
    case ID_IPV6_ADDR:
        if (len != 16)
            return -EINVAL;
        addr->family = AF_INET6;
        memcpy(&addr->in6, data, 16);
        inet_ntop(AF_INET6, &addr->in6, buf, (socklen_t)size);
        *id_type = CONFIG_ID_ADDRESS;
        return 0;
    case ID_FQDN:
        *id_type = CONFIG_ID_FQDN;
        break;
    case ID_USER_FQDN:
        *id_type = CONFIG_ID_EMAIL;
        break;
    case ID_KEY_ID:
        if (!(flags & IKE_ID_TEXT_KEY_ID))
            return -EOPNOTSUPP;
        *id_type = CONFIG_ID_KEY_ID;
        break;
    case ID_DER_ASN1_DN:
        *id_type = CONFIG_ID_DN;
        return cert_dn_der_format(data, len, buf, size) < 0 ? -EINVAL : 0;   /* malformed or too long */
    default:
        return -EOPNOTSUPP;
    }
    bool strict = flags & IKE_ID_TEXT_STRICT;
    if (len >= size || (strict && len == 0))
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (data[i] < 0x20 || data[i] == 0x7f || (strict && data[i] > 0x7f))
            return -EINVAL;
    memcpy(buf, data, len);
    buf[len] = '\0';
    return 0;
}
