/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RFC 7383 fragmentation and reassembly (daemon/ikev2-fragment.c): a message
 * cut into SKF datagrams within the size limit, each one decrypted on its
 * own and reassembled in any order gives the inner chain back; duplicates,
 * a re-fragmentation with more or fewer fragments, other message IDs,
 * stale reassemblies, oversized and over-numbered messages; which
 * retransmitted fragment brings the cached response again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-prf.h"
#include "crypto-sk.h"
#include "ikev2-fragment.h"
#include "testing.h"

static struct crypto_ike_keys make_keys(uint16_t encr, uint16_t bits, uint16_t integ)
{
    const struct crypto_encr *e = crypto_encr_find(encr, bits);
    const struct crypto_integ *i = integ ? crypto_integ_find(integ) : NULL;
    struct crypto_ike_keys k = { .suite = { .encr = e, .integ = i,
                                            .prf = crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_256) } };
    size_t el = e->key_len + e->salt_len, al = i ? i->key_len : 0;
    for (size_t n = 0; n < el; n++) {
        k.sk_ei[n] = (uint8_t)(0x10 + n);
        k.sk_er[n] = (uint8_t)(0x20 + n);
    }
    for (size_t n = 0; n < al; n++) {
        k.sk_ai[n] = (uint8_t)(0x30 + n);
        k.sk_ar[n] = (uint8_t)(0x40 + n);
    }
    k.sk_ei_len = k.sk_er_len = el;
    k.sk_ai_len = k.sk_ar_len = al;
    return k;
}

/* An inner chain of `n` Vendor ID payloads of 200 bytes each. */
static size_t make_inner(uint8_t *buf, size_t cap, size_t n)
{
    struct ikev2_builder b;
    uint8_t vid[200];
    size_t len = 0;
    ikev2_builder_init(&b, buf, cap);
    for (size_t i = 0; i < n; i++) {
        memset(vid, (int)(i + 1), sizeof(vid));
        ikev2_build_vendor_id(&b, vid, sizeof(vid));
    }
    CHECK(ikev2_builder_finish(&b, &len) == 0);
    return len;
}

static const struct ikev2_header header = {
    .ispi = 0x1122334455667788ULL, .rspi = 0x99aabbccddeeff00ULL,
    .major_version = 2, .exchange = IKEV2_EXCHANGE_IKE_AUTH, .flags = IKEV2_FLAG_RESPONSE, .message_id = 1,
};

/* Fragments, checks each datagram, decrypts and reassembles them in
 * reverse order; the result must be the original chain. */
static void round_trip(const struct crypto_ike_keys *keys, size_t n_vids, size_t max)
{
    static uint8_t inner[8192];
    size_t inner_len = make_inner(inner, sizeof(inner), n_vids);
    struct ikev2_datagrams d = { 0 };
    CHECK_INT_EQ(ikev2_fragment_message(keys, false, &header, inner, inner_len, IKEV2_PAYLOAD_VENDOR_ID, max, &d), 0);
    CHECK(d.n >= 2);
    size_t per = ikev2_fragment_capacity(keys, max);
    CHECK_INT_EQ(d.n, (inner_len + per - 1) / per);

    struct ikev2_reassembly r = { 0 };
    struct ikev2_message *m = malloc(sizeof(*m));
    for (size_t k = d.n; k-- > 0;) {
        struct ikev2_parse_status st;
        struct ikev2_skf f;
        CHECK(d.len[k] <= max);
        CHECK(ikev2_message_parse(d.data[k], d.len[k], m, &st) == 0);
        CHECK(m->sk && m->sk->type == IKEV2_PAYLOAD_SKF);
        CHECK(ikev2_skf_decode(m->sk, &f, &st) == 0);
        CHECK_INT_EQ(f.number, k + 1);
        CHECK_INT_EQ(f.total, d.n);
        /* Only the first fragment names the first inner payload. */
        CHECK_INT_EQ(m->sk->next_type, k == 0 ? IKEV2_PAYLOAD_VENDOR_ID : 0);
        CHECK_INT_EQ(m->header.message_id, 1);

        uint8_t plain[2048];
        size_t plain_len = 0;
        size_t aad = m->sk->offset + IKEV2_PAYLOAD_HEADER_LEN + 4;
        CHECK(crypto_sk_decrypt(keys, false, d.data[k], aad, f.data, f.len, plain, sizeof(plain), &plain_len) == 0);
        bool restarted = true;
        enum ikev2_fragment_result res = ikev2_reassembly_add(&r, 1000, 1, IKEV2_EXCHANGE_IKE_AUTH, f.number,
                                                              f.total, m->sk->next_type, plain, plain_len,
                                                              &restarted);
        CHECK(!restarted);
        CHECK_INT_EQ(res, k == 0 ? IKEV2_FRAGMENT_COMPLETE : IKEV2_FRAGMENT_STORED);
    }
    uint8_t *out = NULL, first = 0;
    size_t out_len = 0;
    CHECK_INT_EQ(ikev2_reassembly_take(&r, &out, &out_len, &first), 0);
    CHECK_INT_EQ(out_len, inner_len);
    CHECK(out && memcmp(out, inner, inner_len) == 0);
    CHECK_INT_EQ(first, IKEV2_PAYLOAD_VENDOR_ID);
    CHECK(!r.active);
    free(out);
    free(m);

    /* A changed bit in a fragment fails its integrity check. */
    struct ikev2_parse_status st;
    m = malloc(sizeof(*m));
    d.data[1][d.len[1] - 1] ^= 1;
    CHECK(ikev2_message_parse(d.data[1], d.len[1], m, &st) == 0);
    struct ikev2_skf f;
    CHECK(ikev2_skf_decode(m->sk, &f, &st) == 0);
    uint8_t plain[2048];
    size_t plain_len;
    CHECK_INT_EQ(crypto_sk_decrypt(keys, false, d.data[1], m->sk->offset + 8, f.data, f.len, plain, sizeof(plain),
                                   &plain_len), -EBADMSG);
    free(m);
    ikev2_datagrams_clear(&d);
    CHECK_INT_EQ(d.n, 0);
}

static void test_round_trip_cbc(void)
{
    struct crypto_ike_keys k = make_keys(IKEV2_ENCR_AES_CBC, 256, IKEV2_INTEG_HMAC_SHA2_256_128);
    round_trip(&k, 12, 564);
    round_trip(&k, 3, 300);
}

static void test_round_trip_gcm(void)
{
    struct crypto_ike_keys k = make_keys(IKEV2_ENCR_AES_GCM_16, 128, 0);
    round_trip(&k, 12, 564);
    round_trip(&k, 30, 1268);
}

static void test_fragment_limits(void)
{
    struct crypto_ike_keys k = make_keys(IKEV2_ENCR_AES_CBC, 128, IKEV2_INTEG_HMAC_SHA2_256_128);
    static uint8_t inner[16384];
    size_t len = make_inner(inner, sizeof(inner), 60);
    struct ikev2_datagrams d = { 0 };
    /* 12000 bytes at ~100 per fragment: over IKEV2_FRAGMENTS_MAX. */
    CHECK_INT_EQ(ikev2_fragment_message(&k, false, &header, inner, len, IKEV2_PAYLOAD_VENDOR_ID, 200, &d), -E2BIG);
    CHECK_INT_EQ(d.n, 0);
    /* Nothing fits after the headers. */
    CHECK_INT_EQ(ikev2_fragment_capacity(&k, 60), 0);
    CHECK_INT_EQ(ikev2_fragment_message(&k, false, &header, inner, len, IKEV2_PAYLOAD_VENDOR_ID, 60, &d), -E2BIG);
    /* An empty chain is never fragmented. */
    CHECK_INT_EQ(ikev2_fragment_message(&k, false, &header, inner, 0, IKEV2_PAYLOAD_NONE, 576, &d), -EINVAL);
    /* The capacity leaves room for the headers, IV, padding and ICV. */
    size_t cap = ikev2_fragment_capacity(&k, 576);
    CHECK(cap > 400);
    CHECK(IKEV2_HEADER_LEN + 8 + crypto_sk_body_len(&k, cap) <= 576);
    CHECK(IKEV2_HEADER_LEN + 8 + crypto_sk_body_len(&k, cap + 1) > 576);
}

static enum ikev2_fragment_result add(struct ikev2_reassembly *r, uint64_t now, uint32_t mid, uint16_t number,
                                      uint16_t total, const char *text, bool *restarted)
{
    return ikev2_reassembly_add(r, now, mid, IKEV2_EXCHANGE_IKE_AUTH, number, total,
                                number == 1 ? IKEV2_PAYLOAD_IDI : 0, (const uint8_t *)text, strlen(text), restarted);
}

static char *take(struct ikev2_reassembly *r)
{
    uint8_t *buf = NULL, first = 0;
    size_t len = 0;
    if (ikev2_reassembly_take(r, &buf, &len, &first) < 0)
        return NULL;
    CHECK_INT_EQ(first, IKEV2_PAYLOAD_IDI);
    char *s = calloc(1, len + 1);
    memcpy(s, buf, len);
    free(buf);
    return s;
}

static void test_out_of_order_and_duplicates(void)
{
    struct ikev2_reassembly r = { 0 };
    bool restarted;
    CHECK_INT_EQ(add(&r, 0, 1, 3, 3, "ccc", &restarted), IKEV2_FRAGMENT_STORED);
    CHECK_INT_EQ(add(&r, 0, 1, 3, 3, "ccc", &restarted), IKEV2_FRAGMENT_DUPLICATE);
    CHECK_INT_EQ(add(&r, 0, 1, 1, 3, "a", &restarted), IKEV2_FRAGMENT_STORED);
    CHECK_INT_EQ(add(&r, 0, 1, 1, 3, "a", &restarted), IKEV2_FRAGMENT_DUPLICATE);
    CHECK_INT_EQ(r.received, 2);
    CHECK(take(&r) == NULL);                /* not complete yet */
    CHECK_INT_EQ(add(&r, 0, 1, 2, 3, "bb", &restarted), IKEV2_FRAGMENT_COMPLETE);
    char *s = take(&r);
    CHECK_STR_EQ(s, "abbccc");
    free(s);
    CHECK(!r.active);
    /* An empty fragment is allowed (a fragment may carry padding only). */
    CHECK_INT_EQ(add(&r, 0, 2, 2, 2, "", &restarted), IKEV2_FRAGMENT_STORED);
    CHECK_INT_EQ(add(&r, 0, 2, 1, 2, "x", &restarted), IKEV2_FRAGMENT_COMPLETE);
    s = take(&r);
    CHECK_STR_EQ(s, "x");
    free(s);
}

static void test_total_changes(void)
{
    struct ikev2_reassembly r = { 0 };
    bool restarted;
    CHECK_INT_EQ(add(&r, 0, 1, 1, 2, "old", &restarted), IKEV2_FRAGMENT_STORED);
    /* RFC 7383 2.6.2: more fragments than before: the peer re-fragmented
     * smaller; start anew. */
    CHECK_INT_EQ(add(&r, 0, 1, 2, 3, "bb", &restarted), IKEV2_FRAGMENT_STORED);
    CHECK(restarted);
    CHECK_INT_EQ(r.received, 1);
    CHECK_INT_EQ(r.total, 3);
    /* Fewer than the fragments kept: this one is the stale one. */
    CHECK_INT_EQ(add(&r, 0, 1, 1, 2, "old", &restarted), IKEV2_FRAGMENT_OLD_TOTAL);
    CHECK(!restarted);
    CHECK_INT_EQ(add(&r, 0, 1, 1, 3, "a", &restarted), IKEV2_FRAGMENT_STORED);
    CHECK_INT_EQ(add(&r, 0, 1, 3, 3, "c", &restarted), IKEV2_FRAGMENT_COMPLETE);
    char *s = take(&r);
    CHECK_STR_EQ(s, "abbc");
    free(s);
}

static void test_other_message_and_stale(void)
{
    struct ikev2_reassembly r = { 0 };
    bool restarted;
    CHECK_INT_EQ(add(&r, 0, 1, 1, 2, "one", &restarted), IKEV2_FRAGMENT_STORED);
    /* Another message ID: what was kept is dropped. */
    CHECK_INT_EQ(add(&r, 0, 2, 2, 2, "two", &restarted), IKEV2_FRAGMENT_STORED);
    CHECK(restarted);
    CHECK_INT_EQ(r.message_id, 2);
    CHECK_INT_EQ(r.received, 1);
    /* Another exchange type under the same ID: the same. */
    CHECK_INT_EQ(ikev2_reassembly_add(&r, 0, 2, IKEV2_EXCHANGE_INFORMATIONAL, 1, 2, IKEV2_PAYLOAD_DELETE,
                                      (const uint8_t *)"d", 1, &restarted), IKEV2_FRAGMENT_STORED);
    CHECK(restarted);
    ikev2_reassembly_reset(&r);
    /* Older than the timeout: dropped, the new fragment starts over. */
    CHECK_INT_EQ(add(&r, 5, 3, 1, 2, "a", &restarted), IKEV2_FRAGMENT_STORED);
    CHECK_INT_EQ(add(&r, 5 + IKEV2_REASSEMBLY_TIMEOUT_USEC, 3, 2, 2, "b", &restarted), IKEV2_FRAGMENT_COMPLETE);
    CHECK(!restarted);
    ikev2_reassembly_reset(&r);
    CHECK_INT_EQ(add(&r, 5, 3, 1, 2, "a", &restarted), IKEV2_FRAGMENT_STORED);
    CHECK_INT_EQ(add(&r, 6 + IKEV2_REASSEMBLY_TIMEOUT_USEC, 3, 2, 2, "b", &restarted), IKEV2_FRAGMENT_STORED);
    CHECK(restarted);
    CHECK_INT_EQ(r.received, 1);
    ikev2_reassembly_reset(&r);
    CHECK(!r.active);
}

static void test_limits(void)
{
    struct ikev2_reassembly r = { 0 };
    bool restarted;
    CHECK_INT_EQ(add(&r, 0, 1, 1, IKEV2_FRAGMENTS_MAX + 1, "a", &restarted), IKEV2_FRAGMENT_TOO_MANY);
    CHECK(!r.active);
    CHECK_INT_EQ(add(&r, 0, 1, 1, 0, "a", &restarted), IKEV2_FRAGMENT_TOO_MANY);
    CHECK_INT_EQ(add(&r, 0, 1, 3, 2, "a", &restarted), IKEV2_FRAGMENT_TOO_MANY);
    /* Fragment 1 must name the first inner payload. */
    CHECK_INT_EQ(ikev2_reassembly_add(&r, 0, 1, IKEV2_EXCHANGE_IKE_AUTH, 1, 2, 0, (const uint8_t *)"a", 1,
                                      &restarted), IKEV2_FRAGMENT_BAD_FIRST);
    CHECK(!r.active);

    /* The reassembled message may not exceed IKEV2_REASSEMBLY_BYTES_MAX. */
    size_t big = 30000;
    uint8_t *chunk = calloc(1, big);
    CHECK_INT_EQ(ikev2_reassembly_add(&r, 0, 1, IKEV2_EXCHANGE_IKE_AUTH, 1, 3, IKEV2_PAYLOAD_IDI, chunk, big,
                                      &restarted), IKEV2_FRAGMENT_STORED);
    CHECK_INT_EQ(ikev2_reassembly_add(&r, 0, 1, IKEV2_EXCHANGE_IKE_AUTH, 2, 3, 0, chunk, big, &restarted),
                 IKEV2_FRAGMENT_STORED);
    CHECK_INT_EQ(ikev2_reassembly_add(&r, 0, 1, IKEV2_EXCHANGE_IKE_AUTH, 3, 3, 0, chunk, big, &restarted),
                 IKEV2_FRAGMENT_TOO_LARGE);
    CHECK(!r.active);                       /* everything dropped */
    CHECK_INT_EQ(r.bytes, 0);
    free(chunk);
    CHECK(ikev2_fragment_result_string(IKEV2_FRAGMENT_DUPLICATE)[0] != '\0');
}

static void test_may_retransmit(void)
{
    struct crypto_ike_keys k = make_keys(IKEV2_ENCR_AES_GCM_16, 256, 0);
    static uint8_t inner[4096];
    size_t len = make_inner(inner, sizeof(inner), 5);
    struct ikev2_datagrams d = { 0 };
    struct ikev2_header h = header;
    h.flags = IKEV2_FLAG_INITIATOR;
    CHECK_INT_EQ(ikev2_fragment_message(&k, true, &h, inner, len, IKEV2_PAYLOAD_VENDOR_ID, 576, &d), 0);
    CHECK(d.n >= 2);
    h.next_payload = IKEV2_PAYLOAD_SKF;
    CHECK(ikev2_fragment_may_retransmit(d.data[0], d.len[0], &h));
    CHECK(!ikev2_fragment_may_retransmit(d.data[1], d.len[1], &h));
    CHECK(!ikev2_fragment_may_retransmit(d.data[0], IKEV2_HEADER_LEN + 5, &h));   /* truncated */
    h.next_payload = IKEV2_PAYLOAD_SK;
    CHECK(ikev2_fragment_may_retransmit(d.data[1], d.len[1], &h));
    ikev2_datagrams_clear(&d);
}

/* The datagram list grows to IKEV2_FRAGMENTS_MAX copies, each byte for
 * byte, refuses one more, and is empty and reusable after a clear. */
static void test_datagrams_grow(void)
{
    struct ikev2_datagrams d = { 0 };
    uint8_t buf[IKEV2_FRAGMENTS_MAX + 1];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(0xa0 ^ i);
    for (size_t i = 0; i < IKEV2_FRAGMENTS_MAX; i++) {
        CHECK_INT_EQ(ikev2_datagrams_add(&d, buf, i + 1), 0);
        CHECK_INT_EQ(d.n, i + 1);
        CHECK(d.cap >= d.n && d.cap <= IKEV2_FRAGMENTS_MAX);
    }
    CHECK_INT_EQ(ikev2_datagrams_add(&d, buf, 1), -E2BIG);
    for (size_t i = 0; i < IKEV2_FRAGMENTS_MAX; i++) {
        CHECK_INT_EQ(d.len[i], i + 1);
        CHECK(memcmp(d.data[i], buf, i + 1) == 0);
    }
    ikev2_datagrams_clear(&d);
    CHECK_INT_EQ(d.n, 0);
    CHECK(d.data == NULL && d.len == NULL);
    CHECK_INT_EQ(ikev2_datagrams_add(&d, buf, 0), 0);     /* an empty datagram is kept too */
    CHECK_INT_EQ(d.n, 1);
    CHECK_INT_EQ(d.len[0], 0);
    ikev2_datagrams_clear(&d);
}

TEST_MAIN(TEST(test_round_trip_cbc), TEST(test_round_trip_gcm), TEST(test_fragment_limits),
          TEST(test_out_of_order_and_duplicates), TEST(test_total_changes), TEST(test_other_message_and_stale),
          TEST(test_limits), TEST(test_may_retransmit), TEST(test_datagrams_grow))
