/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An IKE SA's roles: which SPI is ours, the Initiator flag. See ikev2-role.h. */
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
