/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The IKE receive queue (daemon/ike-receive-queue.c): the classification by
 * the IKE header, messages for existing IKE SAs handed out before new
 * IKE_SA_INITs (those newest first), copies of a waiting IKE_SA_INIT
 * merged, the oldest dropped when the backlog is full, the existing-SA side bounded, and every drop counted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike-receive-queue.h"
#include "testing.h"

/* An IKE header (28 bytes) and `extra` bytes of body. */
struct msg {
    uint8_t b[64];
    size_t len;
};

static struct msg ikev2(uint64_t ispi, uint64_t rspi, uint8_t exchange, bool response, uint8_t tag)
{
    struct msg m;
    memset(&m, 0, sizeof(m));
    for (int i = 0; i < 8; i++) {
        m.b[i] = (uint8_t)(ispi >> (56 - 8 * i));
        m.b[8 + i] = (uint8_t)(rspi >> (56 - 8 * i));
    }
    m.b[17] = 0x20;
    m.b[18] = exchange;
    m.b[19] = response ? 0x20 : 0x08;
    m.b[28] = tag;                  /* tells copies apart */
    m.len = 29;
    return m;
}

static struct msg ikev1(uint64_t ispi, uint64_t rspi, uint8_t tag)
{
    struct msg m = ikev2(ispi, rspi, 2 /* Identity Protection */, false, tag);
    m.b[17] = 0x10;
    m.b[19] = 0;
    return m;
}

static struct ike_packet packet(const struct msg *m, const char *addr, uint16_t port)
{
    struct ike_packet p;
    memset(&p, 0, sizeof(p));
    p.data = m->b;
    p.len = m->len;
    p.remote.in.sin_family = AF_INET;
    p.remote.in.sin_port = htons(port);
    inet_pton(AF_INET, addr, &p.remote.in.sin_addr);
    p.local.in.sin_family = AF_INET;
    p.local.in.sin_port = htons(500);
    return p;
}

static int push(struct ike_receive_queue *q, const struct msg *m, const char *addr, uint16_t port)
{
    struct ike_packet p = packet(m, addr, port);
    return ike_receive_queue_push(q, &p);
}

/* The tag of the next message handed out, -1 when empty. */
static int pop_tag(struct ike_receive_queue *q)
{
    struct ike_packet p;
    if (!ike_receive_queue_pop(q, &p))
        return -1;
    return p.len > 28 ? p.data[28] : -2;
}

static struct ike_receive_queue_stats stats(const struct ike_receive_queue *q)
{
    struct ike_receive_queue_stats s;
    ike_receive_queue_get_stats(q, &s);
    return s;
}

static void classify_by_header(void)
{
    struct msg init = ikev2(1, 0, 34, false, 0);
    struct msg auth = ikev2(1, 2, 35, false, 0);
    struct msg info = ikev2(1, 2, 37, false, 0);
    struct msg cookie_answer = ikev2(1, 0, 34, true, 0);
    struct msg mm1 = ikev1(1, 0, 0), mm3 = ikev1(1, 2, 0);

    CHECK_INT_EQ(ike_receive_classify(init.b, init.len), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(ike_receive_classify(auth.b, auth.len), IKE_RECEIVE_EXISTING);
    CHECK_INT_EQ(ike_receive_classify(info.b, info.len), IKE_RECEIVE_EXISTING);
    /* An IKE_SA_INIT answer (N(COOKIE), INVALID_KE) has no responder SPI
     * but belongs to an exchange under way. */
    CHECK_INT_EQ(ike_receive_classify(cookie_answer.b, cookie_answer.len), IKE_RECEIVE_EXISTING);
    CHECK_INT_EQ(ike_receive_classify(mm1.b, mm1.len), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(ike_receive_classify(mm3.b, mm3.len), IKE_RECEIVE_EXISTING);

    /* The retry with N(COOKIE) first is new too. */
    struct msg retry = ikev2(1, 0, 34, false, 0);
    retry.b[16] = 41;
    retry.b[28 + 6] = 0x40;
    retry.b[28 + 7] = 0x06;
    retry.len = 40;
    CHECK_INT_EQ(ike_receive_classify(retry.b, retry.len), IKE_RECEIVE_NEW);
}

/* Ten IKE_SA_INITs wait; an IKE_AUTH and an IKEv1 message 3 read after
 * them are handed out first, in their order; then the IKE_SA_INITs, newest
 * first. */
static void existing_before_new(void)
{
    struct ike_receive_queue *q = NULL;
    CHECK_INT_EQ(ike_receive_queue_new(&q, 16, 16, 1 << 20), 0);

    for (int i = 0; i < 10; i++) {
        struct msg m = ikev2(100 + (uint64_t)i, 0, 34, false, (uint8_t)i);
        CHECK_INT_EQ(push(q, &m, "192.0.2.1", (uint16_t)(1000 + i)), IKE_RECEIVE_NEW);
    }
    struct msg auth = ikev2(7, 8, 35, false, 200);
    struct msg mm3 = ikev1(9, 10, 201);
    CHECK_INT_EQ(push(q, &auth, "192.0.2.2", 500), IKE_RECEIVE_EXISTING);
    CHECK_INT_EQ(push(q, &mm3, "192.0.2.3", 500), IKE_RECEIVE_EXISTING);
    CHECK_INT_EQ(ike_receive_queue_length(q), 12);
    CHECK_INT_EQ(stats(q).queued_peak, 12);

    CHECK_INT_EQ(pop_tag(q), 200);
    CHECK_INT_EQ(pop_tag(q), 201);
    for (int i = 9; i >= 0; i--)
        CHECK_INT_EQ(pop_tag(q), i);
    CHECK_INT_EQ(pop_tag(q), -1);
    CHECK_INT_EQ(ike_receive_queue_length(q), 0);
    CHECK_INT_EQ(stats(q).queued, 0);
    ike_receive_queue_free(q);
}

/* A retransmission (same peer address:port, initiator SPI and bytes)
 * replaces the waiting copy and counts as the newest; the same SPI from
 * another port, or other bytes, is another message. */
static void copies_merged(void)
{
    struct ike_receive_queue *q = NULL;
    CHECK_INT_EQ(ike_receive_queue_new(&q, 16, 16, 1 << 20), 0);

    struct msg a = ikev2(1, 0, 34, false, 1), b = ikev2(2, 0, 34, false, 2);
    struct msg a_other = ikev2(1, 0, 34, false, 3);   /* same SPI, other bytes */
    CHECK_INT_EQ(push(q, &a, "192.0.2.1", 500), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(push(q, &b, "192.0.2.1", 500), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(push(q, &a, "192.0.2.1", 500), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(push(q, &a, "192.0.2.1", 501), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(push(q, &a_other, "192.0.2.1", 500), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(ike_receive_queue_length(q), 4);
    CHECK_INT_EQ(stats(q).new_replaced, 1);
    /* A copy of the newest message of that peer and SPI merges too. */
    CHECK_INT_EQ(push(q, &a_other, "192.0.2.1", 500), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(ike_receive_queue_length(q), 4);
    CHECK_INT_EQ(stats(q).new_replaced, 2);

    CHECK_INT_EQ(pop_tag(q), 3);     /* the other message */
    CHECK_INT_EQ(pop_tag(q), 1);     /* a from port 501 */
    CHECK_INT_EQ(pop_tag(q), 1);     /* a, retransmitted, from 500 */
    CHECK_INT_EQ(pop_tag(q), 2);
    /* Handed out: a new copy waits again. */
    CHECK_INT_EQ(push(q, &a, "192.0.2.1", 500), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(ike_receive_queue_length(q), 1);
    CHECK_INT_EQ(stats(q).new_replaced, 2);
    ike_receive_queue_free(q);
}

/* Four may wait: the fifth and sixth push out the two oldest (a
 * retransmission of one waiting still merges). Messages for existing SAs
 * beyond their limit are dropped themselves, never an IKE_SA_INIT for
 * them. */
static void bounded(void)
{
    struct ike_receive_queue *q = NULL;
    CHECK_INT_EQ(ike_receive_queue_new(&q, 4, 2, 1 << 20), 0);

    for (int i = 0; i < 6; i++) {
        struct msg m = ikev2(100 + (uint64_t)i, 0, 34, false, (uint8_t)i);
        CHECK_INT_EQ(push(q, &m, "198.51.100.7", 500), IKE_RECEIVE_NEW);
    }
    CHECK_INT_EQ(stats(q).new_dropped, 2);
    struct msg again = ikev2(103, 0, 34, false, 3);
    CHECK_INT_EQ(push(q, &again, "198.51.100.7", 500), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(stats(q).new_replaced, 1);
    for (int i = 0; i < 3; i++) {
        struct msg m = ikev2(5, 6 + (uint64_t)i, 35, false, (uint8_t)(50 + i));
        CHECK_INT_EQ(push(q, &m, "198.51.100.8", 4500), i < 2 ? IKE_RECEIVE_EXISTING : -ENOBUFS);
    }
    CHECK_INT_EQ(stats(q).existing_dropped, 1);
    CHECK_INT_EQ(ike_receive_queue_length(q), 6);
    CHECK_INT_EQ(pop_tag(q), 50);
    CHECK_INT_EQ(pop_tag(q), 51);
    CHECK_INT_EQ(pop_tag(q), 3);
    CHECK_INT_EQ(pop_tag(q), 5);
    CHECK_INT_EQ(pop_tag(q), 4);
    CHECK_INT_EQ(pop_tag(q), 2);
    CHECK_INT_EQ(pop_tag(q), -1);
    ike_receive_queue_free(q);
}

/* The byte limit: a message for an existing SA that does not fit is
 * dropped; a new one makes room by dropping the oldest new ones. */
static void byte_limit(void)
{
    struct ike_receive_queue *q = NULL;
    CHECK_INT_EQ(ike_receive_queue_new(&q, 100, 100, 100), 0);

    struct msg a = ikev2(1, 0, 34, false, 1), b = ikev2(2, 0, 34, false, 2), c = ikev2(3, 0, 34, false, 3);
    struct msg auth = ikev2(4, 5, 35, false, 4);
    CHECK_INT_EQ(push(q, &a, "192.0.2.1", 500), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(push(q, &b, "192.0.2.1", 500), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(push(q, &c, "192.0.2.1", 500), IKE_RECEIVE_NEW);    /* 87 bytes */
    CHECK_INT_EQ(push(q, &auth, "192.0.2.1", 500), -ENOBUFS);
    CHECK_INT_EQ(stats(q).existing_dropped, 1);
    struct msg d = ikev2(6, 0, 34, false, 6);
    CHECK_INT_EQ(push(q, &d, "192.0.2.1", 500), IKE_RECEIVE_NEW);
    CHECK_INT_EQ(stats(q).new_dropped, 1);
    CHECK_INT_EQ(pop_tag(q), 6);
    CHECK_INT_EQ(pop_tag(q), 3);
    CHECK_INT_EQ(pop_tag(q), 2);
    CHECK_INT_EQ(pop_tag(q), -1);
    ike_receive_queue_free(q);
}

/* A message handed out stays readable until the next pop, while more are
 * queued (the entry is reused only afterwards). */
static void popped_stays_valid(void)
{
    struct ike_receive_queue *q = NULL;
    struct ike_packet p;
    CHECK_INT_EQ(ike_receive_queue_new(&q, 4, 4, 1 << 20), 0);

    struct msg a = ikev2(1, 2, 35, false, 11), b = ikev2(3, 4, 35, false, 12);
    CHECK_INT_EQ(push(q, &a, "192.0.2.1", 500), IKE_RECEIVE_EXISTING);
    CHECK(ike_receive_queue_pop(q, &p));
    CHECK_INT_EQ(push(q, &b, "192.0.2.1", 500), IKE_RECEIVE_EXISTING);
    CHECK_INT_EQ(p.data[28], 11);
    CHECK_INT_EQ(p.len, 29);
    CHECK_INT_EQ(ntohs(p.remote.in.sin_port), 500);
    CHECK_INT_EQ(pop_tag(q), 12);
    ike_receive_queue_free(q);
}

TEST_MAIN(
    TEST(classify_by_header),
    TEST(existing_before_new),
    TEST(copies_merged),
    TEST(bounded),
    TEST(byte_limit),
    TEST(popped_stays_valid),
)
