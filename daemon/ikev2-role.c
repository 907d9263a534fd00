/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An IKE SA's roles: which SPI is ours, the Initiator flag. See ikev2-role.h. */
#include <string.h>

#include "ikev2-constants.h"
#include "ikev2-role.h"

uint64_t ikev2_role_local_spi(const struct ikev2_header *hdr)
{
    return (hdr->flags & IKEV2_FLAG_INITIATOR) ? hdr->rspi : hdr->ispi;
}

bool ikev2_role_header_matches(const struct ikev2_header *hdr, uint64_t ispi, uint64_t rspi, bool we_initiated)
{
    bool from_original_initiator = (hdr->flags & IKEV2_FLAG_INITIATOR) != 0;
    return hdr->ispi == ispi && hdr->rspi == rspi && from_original_initiator == !we_initiated;
}

uint8_t ikev2_role_flags(bool we_initiated, bool response)
{
    return (uint8_t)((response ? IKEV2_FLAG_RESPONSE : 0) | (we_initiated ? IKEV2_FLAG_INITIATOR : 0));
}

static int compare_nonces(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    size_t n = a_len < b_len ? a_len : b_len;
    int c = memcmp(a, b, n);
    return c ? c : (a_len > b_len) - (a_len < b_len);
}

bool ikev2_rekey_collision_ours_redundant(const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                                          const uint8_t *their_ni, size_t their_ni_len, const uint8_t *their_nr,
                                          size_t their_nr_len)
{
    const uint8_t *low = ni;
    size_t low_len = ni_len;
    bool ours = true;
    if (compare_nonces(nr, nr_len, low, low_len) < 0)
        low = nr, low_len = nr_len;
    if (compare_nonces(their_ni, their_ni_len, low, low_len) < 0)
        low = their_ni, low_len = their_ni_len, ours = false;
    if (compare_nonces(their_nr, their_nr_len, low, low_len) < 0)
        ours = false;
    return ours;
}
