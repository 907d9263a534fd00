/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two copies of one IKE_SA_INIT request, with and without a COOKIE (see
 * ikev2-init-copy.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ikev2-init-copy.h"
#include "ikev2-payload.h"

/* Index of the first payload that is not the leading COOKIE notify. */
static size_t after_cookie(const struct ikev2_payload_list *list)
{
    struct ikev2_parse_status st;
    struct ikev2_notify n;

    if (list->n > 0 && list->p[0].type == IKEV2_PAYLOAD_NOTIFY && ikev2_notify_decode(&list->p[0], &n, &st) >= 0 &&
        n.type == IKEV2_N_COOKIE)
        return 1;
    return 0;
}

bool ikev2_init_copy_same_request(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    struct ikev2_parse_status st;
    struct ikev2_message *ma = malloc(sizeof(*ma)), *mb = malloc(sizeof(*mb));
    bool same = false;

    if (!ma || !mb || ikev2_message_parse(a, a_len, ma, &st) < 0 || ikev2_message_parse(b, b_len, mb, &st) < 0)
        goto out;
    const struct ikev2_header *ha = &ma->header, *hb = &mb->header;
    if (ha->ispi != hb->ispi || ha->rspi != hb->rspi || ha->exchange != hb->exchange ||
        ha->major_version != hb->major_version || ha->minor_version != hb->minor_version ||
        ha->flags != hb->flags || ha->message_id != hb->message_id)
        goto out;
    size_t ia = after_cookie(&ma->payloads), ib = after_cookie(&mb->payloads);
    if (ma->payloads.n - ia != mb->payloads.n - ib)
        goto out;
    for (; ia < ma->payloads.n; ia++, ib++) {
        const struct ikev2_payload *pa = &ma->payloads.p[ia], *pb = &mb->payloads.p[ib];
        if (pa->type != pb->type || pa->critical != pb->critical || pa->len != pb->len ||
            memcmp(pa->body, pb->body, pa->len) != 0)
            goto out;
    }
    same = true;
out:
    free(ma);
    free(mb);
    return same;
}

uint8_t *ikev2_init_copy_with_cookie(const uint8_t *request, size_t len, const uint8_t *cookie, size_t cookie_len,
                                     size_t *out_len)
{
    const size_t hdr_len = 28, notify_len = 8 + cookie_len;
    if (len < hdr_len || cookie_len == 0 || notify_len > UINT16_MAX || len > UINT32_MAX - notify_len)
        return NULL;
    /* A request that already starts with N(COOKIE) is a retry itself: its
     * cookie is replaced (a client given a second COOKIE, for a copy it
     * sent before its retry was read, retries again with that one); the
     * same cookie again is no other copy. */
    size_t old_len = 0;
    uint8_t next = request[16];
    if (request[16] == IKEV2_PAYLOAD_NOTIFY && len >= hdr_len + 8 &&
        ((uint16_t)(request[hdr_len + 6] << 8) | request[hdr_len + 7]) == IKEV2_N_COOKIE) {
        old_len = (size_t)request[hdr_len + 2] << 8 | request[hdr_len + 3];
        if (old_len < 8 || old_len > len - hdr_len || request[hdr_len + 5] != 0)
            return NULL;
        if (old_len == notify_len && memcmp(request + hdr_len + 8, cookie, cookie_len) == 0)
            return NULL;
        next = request[hdr_len];
    }
    size_t total = len - old_len + notify_len;
    uint8_t *m = malloc(total);
    if (!m)
        return NULL;
    memcpy(m, request, hdr_len);
    m[16] = IKEV2_PAYLOAD_NOTIFY;                   /* the COOKIE first ... */
    m[24] = (uint8_t)(total >> 24);
    m[25] = (uint8_t)(total >> 16);
    m[26] = (uint8_t)(total >> 8);
    m[27] = (uint8_t)total;
    uint8_t *n = m + hdr_len;
    n[0] = next;                                    /* ... then what came first before */
    n[1] = 0;
    n[2] = (uint8_t)(notify_len >> 8);
    n[3] = (uint8_t)notify_len;
    n[4] = 0;                                       /* protocol: none */
    n[5] = 0;                                       /* SPI size */
    n[6] = (uint8_t)(IKEV2_N_COOKIE >> 8);
    n[7] = (uint8_t)(IKEV2_N_COOKIE & 0xff);
    memcpy(n + 8, cookie, cookie_len);
    memcpy(n + notify_len, request + hdr_len + old_len, len - hdr_len - old_len);
    *out_len = total;
    return m;
}
