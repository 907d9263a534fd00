/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Random mutations of valid messages (fixed seed, so a failure repeats):
 * every mutant goes through the parser, every decoder, the HASH span and
 * the log line, from a heap buffer of exactly its size so that ASan sees
 * any read past it. The checks: views stay inside the buffer, errors come
 * with a status inside the message, and nothing crashes (run under
 * -Db_sanitize=address,undefined).
 */
#include <errno.h>
#include <stdlib.h>

#include "captured-messages.h"
#include "ikev1-payload.h"
#include "testing.h"
#include "exercise.h"

#define MUTATIONS 20000

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(void) {
    /* xorshift64*: small, deterministic, good enough to pick mutations. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

struct seed {
    uint8_t b[2048];
    size_t len;
    uint8_t first;              /* plaintext chains: first payload type; 0: a message */
};
static struct seed seeds[9];
static size_t seeds_n;

static void add_message(const uint8_t *m, size_t len) {
    memcpy(seeds[seeds_n].b, m, len);
    seeds[seeds_n].len = len;
    seeds[seeds_n].first = 0;
    seeds_n++;
}

static void make_seeds(void) {
    struct ikev1_builder b;
    static const uint8_t v4[4] = { 10, 0, 0, 1 };
    static const uint8_t nonce[16] = { 1 };
    static const struct ikev1_header h = { .icookie = { 1 }, .exchange = IKEV1_EXCHANGE_QUICK_MODE,
                                           .message_id = 0x01020304 };
    struct ikev1_attribute attrs[] = {
        { .type = IKEV1_CFG_INTERNAL_IP4_ADDRESS, .value = v4, .len = 4 },
        { .type = IKEV1_XAUTH_STATUS, .tv = true, .tv_value = 1 },
        { .type = IKEV1_UNITY_SPLIT_INCLUDE, .value = nonce, .len = 14 },
    };
    struct ikev1_attribute esp_attrs[] = {
        { .type = IKEV1_IPSEC_ENCAPSULATION_MODE, .tv = true, .tv_value = IKEV1_ENCAP_UDP_TUNNEL },
        { .type = IKEV1_IPSEC_SA_LIFE_DURATION, .value = (const uint8_t *)"\0\1\0\0", .len = 4 },
    };
    const struct ikev1_build_transform esp = { .number = 1, .id = IKEV1_ESP_AES, .attrs = esp_attrs,
                                               .n_attrs = 2 };
    size_t len;

    add_message(strongswan_main_mm1, sizeof(strongswan_main_mm1));
    add_message(strongswan_aggr_am1, sizeof(strongswan_aggr_am1));
    add_message(vpnc_aggr_am1, sizeof(vpnc_aggr_am1));
    add_message(ike_scan_aggr_am1, sizeof(ike_scan_aggr_am1));
    add_message(strongswan_aggr_am2, sizeof(strongswan_aggr_am2));

    /* A decrypted Quick Mode / Transaction / Informational mix, with padding. */
    struct seed *s = &seeds[seeds_n];
    ikev1_builder_init(&b, s->b, sizeof(s->b));
    ikev1_build_hash_reserve(&b, 20);
    ikev1_build_sa(&b, 1, IKEV1_PROTO_IPSEC_ESP, "\1\2\3\4", 4, &esp, 1);
    ikev1_build_nonce(&b, nonce, sizeof(nonce));
    ikev1_build_id(&b, IKEV1_ID_IPV4_ADDR_SUBNET, 0, 0, "\12\0\0\0\377\0\0\0", 8);
    ikev1_build_id(&b, IKEV1_ID_IPV4_ADDR_RANGE, 17, 0, "\12\0\0\1\12\0\0\11", 8);
    ikev1_build_cfg(&b, IKEV1_CFG_REPLY, 3, attrs, 3);
    ikev1_build_notify(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_IPSEC_ESP, "\1\2\3\4", 4,
                       IKEV1_N_RESPONDER_LIFETIME, "\x80\x01\0\1", 4);
    ikev1_build_delete(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_ISAKMP, 16, nonce, 1);
    ikev1_build_nat_oa(&b, IKEV1_PAYLOAD_NAT_OA, v4, 4);
    ikev1_build_cert(&b, IKEV1_PAYLOAD_CR, IKEV1_CERT_X509_SIG, NULL, 0);
    ikev1_build_payload(&b, IKEV1_PAYLOAD_FRAGMENT, "\0\1\1\0abc", 7);
    if (ikev1_builder_finish(&b, &len) == 0) {
        memset(s->b + len, 0, 7);       /* cipher padding */
        s->len = len + 7;
        s->first = ikev1_builder_first_type(&b);
        seeds_n++;
    }

    /* The same chain as an encrypted message's body. */
    uint8_t *body;
    ikev1_builder_init(&b, seeds[seeds_n].b, sizeof(seeds[seeds_n].b));
    ikev1_build_header(&b, &(struct ikev1_header) { .exchange = IKEV1_EXCHANGE_QUICK_MODE,
                                                    .flags = IKEV1_FLAG_ENCRYPTION });
    if (ikev1_build_encrypted(&b, s->first, s->len, &body) == 0)
        memcpy(body, s->b, s->len);
    if (ikev1_builder_finish(&b, &len) == 0) {
        seeds[seeds_n].len = len;
        seeds_n++;
    }

    /* A plain message with the NAT-D and Cisco VID payloads of an AM2. */
    ikev1_builder_init(&b, seeds[seeds_n].b, sizeof(seeds[seeds_n].b));
    ikev1_build_header(&b, &h);
    ikev1_build_hash(&b, nonce, 16);
    ikev1_build_vendor_id(&b, ikev1_vendor_id_get(IKEV1_VENDOR_CISCO_UNITY)->bytes, 16);
    ikev1_build_nat_d(&b, IKEV1_PAYLOAD_NAT_D_DRAFT, nonce, 16);
    ikev1_build_nat_d(&b, IKEV1_PAYLOAD_NAT_D_DRAFT, nonce, 16);
    ikev1_build_ke(&b, nonce, 16);
    ikev1_build_sig(&b, nonce, 16);
    ikev1_build_cert(&b, IKEV1_PAYLOAD_CERT, IKEV1_CERT_X509_SIG, nonce, 16);
    if (ikev1_builder_finish(&b, &len) == 0) {
        seeds[seeds_n].len = len;
        seeds_n++;
    }
}

static void mutate(uint8_t *b, size_t *len, size_t cap) {
    static const uint16_t interesting[] = { 0, 1, 2, 3, 4, 7, 8, 16, 0x7f, 0x80, 0xff, 0x100, 0x7fff,
                                            0x8000, 0xfffe, 0xffff };
    unsigned n = 1 + rnd() % 4;

    for (unsigned k = 0; k < n; k++) {
        size_t pos = *len ? rnd() % *len : 0;
        switch (rnd() % 7) {
        case 0:                                 /* flip a bit */
            if (*len)
                b[pos] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        case 1:                                 /* a random byte */
            if (*len)
                b[pos] = (uint8_t)rnd();
            break;
        case 2:                                 /* an interesting 8-bit value */
            if (*len)
                b[pos] = (uint8_t)interesting[rnd() % 16];
            break;
        case 3:                                 /* an interesting 16-bit value (lengths) */
            if (*len >= 2) {
                uint16_t v = interesting[rnd() % 16];
                pos = rnd() % (*len - 1);
                b[pos] = v >> 8;
                b[pos + 1] = v & 0xff;
            }
            break;
        case 4:                                 /* truncate */
            *len = *len ? rnd() % *len : 0;
            break;
        case 5: {                               /* append random bytes */
            size_t add = rnd() % 16;
            while (add-- && *len < cap)
                b[(*len)++] = (uint8_t)rnd();
            break;
        }
        case 6:                                 /* a 16-bit field off by one */
            if (*len >= 2) {
                pos = rnd() % (*len - 1);
                uint16_t v = (uint16_t)(b[pos] << 8 | b[pos + 1]);
                v += (rnd() & 1) ? 1 : (uint16_t)-1;
                b[pos] = v >> 8;
                b[pos + 1] = v & 0xff;
            }
            break;
        }
    }
}

static void test_mutations(void) {
    static uint8_t work[2048 + 64];
    static struct ikev1_message m;
    static struct ikev1_payload_list list;
    size_t parsed = 0, failed = 0;

    make_seeds();
    CHECK_INT_EQ(seeds_n, 8);           /* every built seed built */

    for (unsigned i = 0; i < MUTATIONS; i++) {
        const struct seed *s = &seeds[rnd() % seeds_n];
        size_t len = s->len;
        struct ikev1_parse_status st;
        char line[512];
        int r;

        memcpy(work, s->b, len);
        mutate(work, &len, sizeof(work));

        /* Exactly len bytes on the heap: a read past them is an ASan error. */
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf)
            abort();
        memcpy(buf, work, len);

        if (s->first) {
            /* A decrypted chain: the first type is sometimes mutated too. */
            uint8_t first = (rnd() % 8) ? s->first : (uint8_t)rnd();
            r = ikev1_chain_parse(buf, len, first, 28, IKEV1_CHAIN_DECRYPTED, &list, &st);
            if (r == 0) {
                CHECK(list.padding <= len);
                exercise_payloads(buf, len, &list);
            }
        } else {
            r = ikev1_message_parse(buf, len, &m, &st);
            if (r == 0) {
                CHECK_INT_EQ(m.header.length, len);
                if (m.encrypted) {
                    CHECK(inside(buf, len, m.body, m.body_len));
                    /* As if the body were its plaintext. */
                    if (ikev1_chain_parse(m.body, m.body_len, m.header.next_payload, 28,
                                          IKEV1_CHAIN_DECRYPTED, &list, &st) == 0)
                        exercise_payloads(buf, len, &list);
                } else {
                    exercise_payloads(buf, len, &m.payloads);
                }
                int n = ikev1_message_describe(&m.header, (rnd() & 1) ? "request" : NULL,
                                               m.encrypted ? NULL : &m.payloads, line,
                                               rnd() % sizeof(line));
                CHECK(n > 0);
            }
        }
        if (r == 0) {
            parsed++;
        } else {
            failed++;
            CHECK_INT_EQ(r, -EBADMSG);
            CHECK(st.error != IKEV1_PARSE_OK);
            CHECK(st.offset <= len + 28);
            char why[128];
            CHECK(ikev1_parse_status_format(&st, why, sizeof(why)) > 0);
        }
        free(buf);
    }
    printf("# %u mutations: %zu parsed, %zu refused; payloads %zu decoded, %zu refused\n",
           MUTATIONS, parsed, failed, exercise_decoded, exercise_refused);
    /* Both outcomes occur often: the mutations reach past the header checks. */
    CHECK(parsed > MUTATIONS / 20);
    CHECK(failed > MUTATIONS / 20);
    CHECK(exercise_decoded > 1000 && exercise_refused > 100);
}

TEST_MAIN(
    TEST(test_mutations),
)
