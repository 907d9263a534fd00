/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Runs every decoder over a parsed chain and checks what they return stays
 * inside the buffer; shared by the mutation test and the libFuzzer harness
 * (which defines EXERCISE_CHECK to abort).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include "ikev2-payload.h"

#ifndef EXERCISE_CHECK
#define EXERCISE_CHECK(x) CHECK(x)
#endif

static bool inside(const uint8_t *buf, size_t len, const uint8_t *p, size_t n) {
    return p >= buf && p <= buf + len && n <= (size_t)(buf + len - p);
}

static size_t exercise_decoded, exercise_refused;

static void exercise_payloads(const uint8_t *buf, size_t len, const struct ikev2_payload_list *list) {
    static struct ikev2_sa sa;
    static struct ikev2_ts ts;
    static struct ikev2_cp cp;
    struct ikev2_parse_status st;

    for (size_t i = 0; i < list->n; i++) {
        const struct ikev2_payload *p = &list->p[i];
        int r = 0;

        EXERCISE_CHECK(inside(buf, len, p->body, p->len));
        switch (p->type) {
        case IKEV2_PAYLOAD_SA:
            r = ikev2_sa_decode(p, &sa, &st);
            if (r == 0) {
                EXERCISE_CHECK(sa.n_proposals >= 1 && sa.n_proposals <= IKEV2_MAX_PROPOSALS);
                EXERCISE_CHECK(sa.n_transforms <= IKEV2_MAX_TRANSFORMS);
                for (size_t j = 0; j < sa.n_proposals; j++)
                    EXERCISE_CHECK(sa.proposals[j].first_transform + sa.proposals[j].n_transforms <= sa.n_transforms);
            }
            break;
        case IKEV2_PAYLOAD_KE: {
            struct ikev2_ke x;
            r = ikev2_ke_decode(p, &x, &st);
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, x.data, x.len));
            break;
        }
        case IKEV2_PAYLOAD_IDI:
        case IKEV2_PAYLOAD_IDR: {
            struct ikev2_id x;
            r = ikev2_id_decode(p, &x, &st);
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, x.data, x.len));
            break;
        }
        case IKEV2_PAYLOAD_CERT:
        case IKEV2_PAYLOAD_CERTREQ: {
            struct ikev2_cert x;
            r = ikev2_cert_decode(p, &x, &st);
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, x.data, x.len));
            break;
        }
        case IKEV2_PAYLOAD_AUTH: {
            struct ikev2_auth x;
            r = ikev2_auth_decode(p, &x, &st);
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, x.data, x.len));
            break;
        }
        case IKEV2_PAYLOAD_NONCE: {
            struct ikev2_nonce x;
            r = ikev2_nonce_decode(p, &x, &st);
            if (r == 0)
                EXERCISE_CHECK(x.len >= 16 && x.len <= 256);
            break;
        }
        case IKEV2_PAYLOAD_NOTIFY: {
            struct ikev2_notify x;
            r = ikev2_notify_decode(p, &x, &st);
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, x.data, x.len));
            break;
        }
        case IKEV2_PAYLOAD_DELETE: {
            struct ikev2_delete x;
            r = ikev2_delete_decode(p, &x, &st);
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, x.spis, (size_t)x.n_spis * x.spi_size));
            break;
        }
        case IKEV2_PAYLOAD_VENDOR_ID: {
            struct ikev2_vendor_id x;
            r = ikev2_vendor_id_decode(p, &x, &st);
            break;
        }
        case IKEV2_PAYLOAD_TSI:
        case IKEV2_PAYLOAD_TSR:
            r = ikev2_ts_decode(p, &ts, &st);
            if (r == 0)
                EXERCISE_CHECK(ts.n <= IKEV2_MAX_SELECTORS);
            break;
        case IKEV2_PAYLOAD_CP:
            r = ikev2_cp_decode(p, &cp, &st);
            if (r == 0)
                for (size_t j = 0; j < cp.n; j++)
                    EXERCISE_CHECK(inside(buf, len, cp.attrs[j].value, cp.attrs[j].len));
            break;
        case IKEV2_PAYLOAD_EAP: {
            struct ikev2_eap x;
            r = ikev2_eap_decode(p, &x, &st);
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, x.data, x.len));
            break;
        }
        case IKEV2_PAYLOAD_SKF: {
            struct ikev2_skf x;
            r = ikev2_skf_decode(p, &x, &st);
            if (r == 0)
                EXERCISE_CHECK(inside(buf, len, x.data, x.len) && x.number >= 1 && x.number <= x.total);
            break;
        }
        default:
            break;
        }
        if (r == 0) {
            exercise_decoded++;
        } else {
            exercise_refused++;
            EXERCISE_CHECK(r == -EBADMSG);
            EXERCISE_CHECK(st.error != IKEV2_PARSE_OK);
            EXERCISE_CHECK(st.payload_type == p->type);
        }
    }
}
