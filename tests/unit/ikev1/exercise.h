/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Runs every decoder (and the HASH span) over a parsed chain and checks that
 * what they return stays inside the buffer and that refusals name the
 * payload; shared by the mutation test and the libFuzzer harness (which
 * defines EXERCISE_CHECK to abort).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include "ikev1-payload.h"

#ifndef EXERCISE_CHECK
#define EXERCISE_CHECK(x) CHECK(x)
#endif

static bool inside(const uint8_t *buf, size_t len, const uint8_t *p, size_t n) {
    return p >= buf && p <= buf + len && n <= (size_t)(buf + len - p);
}

static size_t exercise_decoded, exercise_refused;

static void exercise_count(int r) {
    if (r == 0)
        exercise_decoded++;
    else
        exercise_refused++;
}

static void exercise_payloads(const uint8_t *buf, size_t len, const struct ikev1_payload_list *list) {
    static struct ikev1_sa sa;
    static struct ikev1_cfg cfg;
    struct ikev1_parse_status st;
    struct ikev1_data d;
    struct ikev1_id id;
    struct ikev1_cert c;
    struct ikev1_notify n;
    struct ikev1_delete del;
    struct ikev1_nat_oa oa;
    struct ikev1_fragment f;
    struct ikev1_hash_span span;

    for (size_t i = 0; i < list->n; i++) {
        const struct ikev1_payload *p = &list->p[i];
        int r;

        EXERCISE_CHECK(inside(buf, len, p->body, p->len));
        switch (p->type) {
        case IKEV1_PAYLOAD_SA:
            exercise_count(r = ikev1_sa_decode(p, &sa, &st));
            if (r == 0) {
                for (size_t k = 0; k < sa.n_attributes; k++) {
                    uint64_t v;
                    EXERCISE_CHECK(inside(buf, len, sa.attributes[k].value, sa.attributes[k].len));
                    (void)ikev1_attribute_number(&sa.attributes[k], &v);
                }
                for (size_t k = 0; k < sa.n_proposals; k++)
                    EXERCISE_CHECK(sa.proposals[k].first_transform + sa.proposals[k].n_transforms <= sa.n_transforms);
            }
            break;
        case IKEV1_PAYLOAD_KE:      exercise_count(r = ikev1_ke_decode(p, &d, &st)); break;
        case IKEV1_PAYLOAD_HASH:    exercise_count(r = ikev1_hash_decode(p, &d, &st)); break;
        case IKEV1_PAYLOAD_SIG:     exercise_count(r = ikev1_sig_decode(p, &d, &st)); break;
        case IKEV1_PAYLOAD_NONCE:   exercise_count(r = ikev1_nonce_decode(p, &d, &st)); break;
        case IKEV1_PAYLOAD_NAT_D:
        case IKEV1_PAYLOAD_NAT_D_DRAFT: exercise_count(r = ikev1_nat_d_decode(p, &d, &st)); break;
        case IKEV1_PAYLOAD_VENDOR_ID:
            exercise_count(r = ikev1_vendor_id_decode(p, &d, &st));
            if (r == 0)
                (void)ikev1_vendor_id_identify(d.data, d.len);
            break;
        case IKEV1_PAYLOAD_ID:
            exercise_count(r = ikev1_id_decode(p, &id, &st));
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, id.data, id.len));
            break;
        case IKEV1_PAYLOAD_CERT:
        case IKEV1_PAYLOAD_CR:
            exercise_count(r = ikev1_cert_decode(p, &c, &st));
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, c.data, c.len));
            break;
        case IKEV1_PAYLOAD_NOTIFY:
            exercise_count(r = ikev1_notify_decode(p, &n, &st));
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, n.spi, n.spi_size) && inside(buf, len, n.data, n.len));
            break;
        case IKEV1_PAYLOAD_DELETE:
            exercise_count(r = ikev1_delete_decode(p, &del, &st));
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, del.spis, (size_t)del.n_spis * del.spi_size));
            break;
        case IKEV1_PAYLOAD_ATTRIBUTE:
            exercise_count(r = ikev1_cfg_decode(p, &cfg, &st));
            if (r == 0)
                for (size_t k = 0; k < cfg.n; k++)
                    EXERCISE_CHECK(inside(buf, len, cfg.attrs[k].value, cfg.attrs[k].len));
            break;
        case IKEV1_PAYLOAD_NAT_OA:
        case IKEV1_PAYLOAD_NAT_OA_DRAFT:
            exercise_count(r = ikev1_nat_oa_decode(p, &oa, &st));
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, oa.addr, oa.len));
            break;
        case IKEV1_PAYLOAD_FRAGMENT:
            exercise_count(r = ikev1_fragment_decode(p, &f, &st));
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, f.data, f.len));
            break;
        default:
            EXERCISE_CHECK(!"a payload type the parser should have refused");
            r = 0;
            break;
        }
        if (r < 0)
            EXERCISE_CHECK(st.error != IKEV1_PARSE_OK && st.payload_type == p->type &&
                  st.offset >= p->offset && st.offset <= p->offset + 4 + p->len);
    }
    if (ikev1_chain_hash_span(list, &span) == 0)
        EXERCISE_CHECK(inside(buf, len, span.hash, span.hash_len) &&
              inside(buf, len, span.covered, span.covered_len));
}
