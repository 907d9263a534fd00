/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Quick Modes that arrive before Xauth and Mode Config are done. A client
 * may start its Quick Mode right after phase 1 (the Cisco VPN Client 1.1,
 * PIX and IOS references: "Need XAUTH", "Delaying response to QM
 * request"; the ASA: "Delay Quick Mode processing ... Resume Quick Mode
 * processing"), before it has an address to name in its proxy ID. Such a
 * message 1 (decrypted, its HASH(1) checked, its CBC chain advanced) is
 * kept and answered as soon as the client has its address. A newer one for
 * the same proxy IDs replaces it (IOS: "saved qm no longer needed"), so a
 * client that gave up and started again gets one answer, not two. At most
 * IKEV1_QUICK_MAX are kept; their retransmissions are recognised by their
 * bytes (ikev1_quick_retransmission()) and not answered twice.
 */
#include <stdlib.h>
#include <string.h>

#include "ikev1-sa.h"

/* The ID payloads of a held message, as bytes: what tells two Quick
 * Modes for the same networks apart from two for different ones. */
static size_t proxy_ids(const struct ikev1_header *hdr, const uint8_t *plain, size_t plain_len, uint8_t *out,
                        size_t out_max)
{
    struct ikev1_payload_list *pl = malloc(sizeof(*pl));
    struct ikev1_parse_status st;
    size_t n = 0;
    if (!pl)
        return 0;
    if (ikev1_chain_parse(plain, plain_len, hdr->next_payload, IKEV1_HEADER_LEN, IKEV1_CHAIN_DECRYPTED, pl, &st) >= 0)
        for (size_t i = 0; i < pl->n; i++)
            if (pl->p[i].type == IKEV1_PAYLOAD_ID && n + pl->p[i].len + 1 <= out_max) {
                out[n++] = (uint8_t)pl->p[i].len;       /* keeps "a|bc" apart from "ab|c" */
                memcpy(out + n, pl->p[i].body, pl->p[i].len);
                n += pl->p[i].len;
            }
    free(pl);
    return n;
}

static void held_clear(struct ikev1_isakmp_sa *sa, struct ikev1_held_quick *h)
{
    if (sa->cbc)
        crypto_ikev1_cbc_forget(sa->cbc, h->hdr.message_id);
    if (h->plain)
        crypto_wipe(h->plain, h->plain_len);
    free(h->plain);
    free(h->raw);
    memset(h, 0, sizeof(*h));
}

static void held_remove(struct ikev1_isakmp_sa *sa, size_t i)
{
    held_clear(sa, &sa->held[i]);
    memmove(&sa->held[i], &sa->held[i + 1], (sa->n_held - i - 1) * sizeof(sa->held[0]));
    sa->n_held--;
    memset(&sa->held[sa->n_held], 0, sizeof(sa->held[0]));
}

void ikev1_quick_held_free(struct ikev1_isakmp_sa *sa)
{
    while (sa->n_held > 0)
        held_remove(sa, sa->n_held - 1);
}

void ikev1_quick_hold(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr, const uint8_t *plain,
                      size_t plain_len, const uint8_t *raw, size_t raw_len)
{
    struct log_ctx ctx;
    uint8_t ids[2 * 260], other[2 * 260];
    ikev1_sa_log_ctx(sa, &ctx);
    size_t ids_len = proxy_ids(hdr, plain, plain_len, ids, sizeof(ids));
    for (size_t i = 0; i < sa->n_held; i++) {
        struct ikev1_held_quick *h = &sa->held[i];
        if (h->hdr.message_id == hdr->message_id) {
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x is held already: dropped", hdr->message_id);
            return;
        }
        size_t other_len = proxy_ids(&h->hdr, h->plain, h->plain_len, other, sizeof(other));
        if (other_len == ids_len && memcmp(ids, other, ids_len) == 0) {
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x replaces the held 0x%08x (same proxy IDs): "
                         "saved Quick Mode no longer needed", hdr->message_id, h->hdr.message_id);
            held_remove(sa, i);
            break;
        }
    }
    if (sa->n_held >= IKEV1_QUICK_MAX) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x before Xauth and Mode Config are done: dropped, "
                     "%d are held already", hdr->message_id, IKEV1_QUICK_MAX);
        crypto_ikev1_cbc_forget(sa->cbc, hdr->message_id);
        return;
    }
    struct ikev1_held_quick *h = &sa->held[sa->n_held];
    h->plain = malloc(plain_len ? plain_len : 1);
    h->raw = malloc(raw_len ? raw_len : 1);
    if (!h->plain || !h->raw) {
        free(h->plain);
        free(h->raw);
        memset(h, 0, sizeof(*h));
        crypto_ikev1_cbc_forget(sa->cbc, hdr->message_id);
        return;
    }
    h->hdr = *hdr;
    memcpy(h->plain, plain, plain_len);
    h->plain_len = plain_len;
    memcpy(h->raw, raw, raw_len);
    h->raw_len = raw_len;
    sa->n_held++;
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x before Xauth and Mode Config are done: delaying the "
                 "response until the client has its address", hdr->message_id);
}

void ikev1_sa_ready(struct ikev1_isakmp_sa *sa)
{
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    ikev1_p1_lifetime_announce(sa);
    if (sa->session) {
        /* Adopted by re-authentication: this SA watches the client now. */
        int r = ikev1_dpd_start(sa);
        if (r < 0)
            log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot start dead peer detection: %s", strerror(-r));
    }
    if (sa->n_held == 0)
        return;
    struct ikev1_payload_list *pl = malloc(sizeof(*pl));
    if (!pl) {
        ikev1_quick_held_free(sa);
        return;
    }
    /* Our answers are no reaction to the message that made us READY. */
    bool reacting = sa->reacting;
    sa->reacting = false;
    while (sa->n_held > 0 && sa->state == IKEV1_SA_READY) {
        struct ikev1_held_quick h = sa->held[0];
        memmove(&sa->held[0], &sa->held[1], (sa->n_held - 1) * sizeof(sa->held[0]));
        sa->n_held--;
        memset(&sa->held[sa->n_held], 0, sizeof(sa->held[0]));
        struct ikev1_parse_status st;
        if (ikev1_chain_parse(h.plain, h.plain_len, h.hdr.next_payload, IKEV1_HEADER_LEN, IKEV1_CHAIN_DECRYPTED, pl,
                              &st) >= 0) {
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "resuming Quick Mode 0x%08x: Xauth and Mode Config are done",
                         h.hdr.message_id);
            ikev1_handle_quick1(sa, &h.hdr, pl, h.raw, h.raw_len);
        }
        crypto_wipe(h.plain, h.plain_len);
        free(h.plain);
        free(h.raw);
    }
    sa->reacting = reacting;
    free(pl);
    if (sa->state == IKEV1_SA_DELETED)
        ikev1_quick_held_free(sa);
}
