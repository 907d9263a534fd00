/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Random mutations of valid messages (fixed seed, so a failure repeats):
 * every mutant goes through the parser, every decoder and the log line,
 * from a heap buffer of exactly its size so that ASan sees any read past
 * it. The checks: views stay inside the buffer, errors come with a status
 * inside the message, and nothing crashes (run under -Db_sanitize).
 */
#include <errno.h>
#include <stdlib.h>

#include "ikev2-payload.h"
#include "strongswan-exchange.h"
#include "strongswan-ike-sa-init.h"
#include "testing.h"
#include "exercise.h"

#define MUTATIONS 20000

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void) {
    /* xorshift64*: small, deterministic, good enough to pick mutations. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static size_t seeds_n;
static struct { uint8_t b[2048]; size_t len; uint8_t first; } seeds[6];

static void add_seed_builder(struct ikev2_builder *b, uint8_t first) {
    size_t len;
    if (ikev2_builder_finish(b, &len) == 0) {
        seeds[seeds_n].len = len;
        seeds[seeds_n].first = first;
        seeds_n++;
    }
}

static void make_seeds(void) {
    struct ikev2_builder b;
    static const uint8_t nonce[32] = { 1 };
    static const uint8_t v4[4] = { 10, 0, 0, 1 };
    const struct ikev2_header h = {
        .ispi = 1, .rspi = 2, .exchange = IKEV2_EXCHANGE_IKE_AUTH, .flags = IKEV2_FLAG_RESPONSE,
        .message_id = 1,
    };
    static const struct ikev2_cp_attribute attrs[] = {
        { IKEV2_CP_INTERNAL_IP4_ADDRESS, v4, 4 }, { IKEV2_CP_INTERNAL_IP4_DNS, v4, 4 },
    };
    const struct ikev2_ts_selector ts = {
        .type = IKEV2_TS_IPV4_ADDR_RANGE, .end_port = 65535, .end_addr = { 255, 255, 255, 255 },
    };
    static const struct ikev2_transform esp[] = {
        { .type = IKEV2_TRANSFORM_ENCR, .id = IKEV2_ENCR_AES_CBC, .key_length = 256 },
        { .type = IKEV2_TRANSFORM_INTEG, .id = IKEV2_INTEG_HMAC_SHA2_256_128 },
        { .type = IKEV2_TRANSFORM_ESN, .id = IKEV2_ESN_NO },
    };
    const struct ikev2_proposal pr = {
        .number = 1, .protocol = IKEV2_PROTOCOL_ESP, .spi_size = 4, .spi = { 1, 2, 3, 4 },
        .n_transforms = 3,
    };

    memcpy(seeds[0].b, strongswan_ike_sa_init, sizeof(strongswan_ike_sa_init));
    seeds[0].len = sizeof(strongswan_ike_sa_init);
    seeds_n = 1;

    /* An inner IKE_AUTH chain, mutated as a decrypted plaintext. */
    ikev2_builder_init(&b, seeds[1].b, sizeof(seeds[1].b));
    ikev2_build_id(&b, IKEV2_PAYLOAD_IDR, IKEV2_ID_FQDN, "vpn.example.org", 15);
    ikev2_build_auth(&b, IKEV2_AUTH_SHARED_KEY_MIC, nonce, 32);
    ikev2_build_cp(&b, IKEV2_CFG_REPLY, attrs, 2);
    ikev2_build_sa_proposal(&b, &pr, esp);
    ikev2_build_ts(&b, IKEV2_PAYLOAD_TSI, &ts, 1);
    ikev2_build_ts(&b, IKEV2_PAYLOAD_TSR, &ts, 1);
    ikev2_build_eap(&b, IKEV2_EAP_REQUEST, 1, IKEV2_EAP_TYPE_MD5, nonce, 17);
    ikev2_build_delete(&b, IKEV2_PROTOCOL_ESP, 4, nonce, 2);
    ikev2_build_notify(&b, IKEV2_PROTOCOL_ESP, nonce, 4, IKEV2_N_REKEY_SA, NULL, 0);
    ikev2_build_cert(&b, IKEV2_PAYLOAD_CERT, IKEV2_CERT_X509_SIGNATURE, nonce, 20);
    add_seed_builder(&b, ikev2_builder_first_type(&b));

    /* A whole message around it (SK body = the plaintext). */
    uint8_t *body;
    ikev2_builder_init(&b, seeds[2].b, sizeof(seeds[2].b));
    ikev2_build_header(&b, &h);
    ikev2_build_vendor_id(&b, "vpnd", 4);
    if (ikev2_build_sk(&b, seeds[1].first, seeds[1].len, &body) == 0)
        memcpy(body, seeds[1].b, seeds[1].len);
    add_seed_builder(&b, 0);

    /* A fragment. */
    ikev2_builder_init(&b, seeds[3].b, sizeof(seeds[3].b));
    ikev2_build_header(&b, &h);
    if (ikev2_build_skf(&b, IKEV2_PAYLOAD_IDI, 1, 2, 40, &body) == 0)
        memset(body, 0x33, 40);
    add_seed_builder(&b, 0);
    CHECK_INT_EQ(seeds_n, 4);   /* every built seed built */

    memcpy(seeds[4].b, strongswan_ike_sa_init_response, sizeof(strongswan_ike_sa_init_response));
    seeds[4].len = sizeof(strongswan_ike_sa_init_response);
    memcpy(seeds[5].b, strongswan_ike_auth_request, sizeof(strongswan_ike_auth_request));
    seeds[5].len = sizeof(strongswan_ike_auth_request);
    seeds_n = 6;
}

static void mutate(uint8_t *b, size_t *len, size_t cap) {
    static const uint16_t interesting[] = { 0, 1, 3, 4, 5, 7, 8, 12, 0x7f, 0x80, 0xff, 0x100, 0x7fff,
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
    static struct ikev2_message m;
    static struct ikev2_payload_list inner;
    size_t parsed = 0, failed = 0;

    make_seeds();
    CHECK_INT_EQ(seeds_n, 6);

    for (unsigned i = 0; i < MUTATIONS; i++) {
        unsigned s = rnd() % seeds_n;
        size_t len = seeds[s].len;
        struct ikev2_parse_status st;
        char line[512];

        memcpy(work, seeds[s].b, len);
        mutate(work, &len, sizeof(work));

        /* Exactly len bytes on the heap: a read past them is an ASan error. */
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf)
            abort();
        memcpy(buf, work, len);

        int r;
        if (s == 1) {
            /* A plaintext chain: the first type is sometimes mutated too. */
            uint8_t first = (rnd() % 8) ? seeds[s].first : (uint8_t)rnd();
            r = ikev2_chain_parse(buf, len, first, 0, &inner, &st);
            if (r == 0)
                exercise_payloads(buf, len, &inner);
        } else {
            r = ikev2_message_parse(buf, len, &m, &st);
            if (r == 0) {
                CHECK_INT_EQ(m.header.length, len);
                exercise_payloads(buf, len, &m.payloads);
                inner.n = 0;
                if (m.sk && m.sk->type == IKEV2_PAYLOAD_SK &&
                    ikev2_chain_parse(m.sk->body, m.sk->len, m.sk->next_type, m.sk->offset + 4,
                                      &inner, &st) == 0)
                    exercise_payloads(buf, len, &inner);
                int n = ikev2_message_describe(&m.header, &m.payloads, inner.n ? &inner : NULL,
                                               line, rnd() % sizeof(line));
                CHECK(n > 0);
            }
        }
        if (r == 0) {
            parsed++;
        } else {
            failed++;
            CHECK_INT_EQ(r, -EBADMSG);
            CHECK(st.error != IKEV2_PARSE_OK);
            CHECK(st.offset <= len + IKEV2_HEADER_LEN);
            ikev2_parse_status_format(&st, line, sizeof(line));
        }
        free(buf);
    }
    printf("# %u mutants: %zu parsed, %zu refused; payloads: %zu decoded, %zu refused\n",
           MUTATIONS, parsed, failed, exercise_decoded, exercise_refused);
    /* The mutations must exercise both sides, or they test nothing. */
    CHECK(parsed > MUTATIONS / 20);
    CHECK(failed > MUTATIONS / 20);
    CHECK(exercise_decoded > 1000);
    CHECK(exercise_refused > 1000);
}

TEST_MAIN(
    TEST(test_mutations),
)
