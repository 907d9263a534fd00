/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ISAKMP SA's lifetime told once phase 1 is complete
 * (daemon/ikev1-phase1-lifetime.c): vpnc offers 2147483 s and gets vpnd's
 * 120 s in an ISAKMP RESPONDER-LIFETIME notify (Life Type seconds, Life
 * Duration as a 4-byte variable attribute, the form vpnc and the Cisco
 * VPN Client parse), once per SA, not before READY, not as the reaction
 * to the client's last message; nothing when the client's own lifetime
 * was taken. ikev1_send_notify is replaced by a recorder.
 */
#include <stdlib.h>
#include <string.h>

#include "ikev1-sa.h"
#include "testing.h"

static unsigned n_sent;
static uint8_t sent_protocol, sent_spi_size;
static bool sent_spi_null, reacting_when_sent;
static uint16_t sent_type;
static uint8_t sent_data[64];
static size_t sent_len;

void ikev1_send_notify(struct ikev1_isakmp_sa *sa, uint8_t protocol, const void *spi, uint8_t spi_size,
                       uint16_t type, const void *data, size_t len)
{
    n_sent++;
    sent_protocol = protocol;
    sent_spi_null = spi == NULL;        /* NULL: the SA's cookie pair */
    sent_spi_size = spi_size;
    sent_type = type;
    reacting_when_sent = sa->reacting;
    sent_len = len < sizeof(sent_data) ? len : sizeof(sent_data);
    memcpy(sent_data, data, sent_len);
}

static struct ikev1_isakmp_sa *new_sa(uint32_t ours, uint32_t offered)
{
    struct ikev1_isakmp_sa *sa = calloc(1, sizeof(*sa));
    sa->state = IKEV1_SA_READY;
    sa->choice.offered_lifetime = offered;
    sa->choice.lifetime = offered && offered < ours ? offered : ours;
    n_sent = 0;
    memset(sent_data, 0, sizeof(sent_data));
    return sa;
}

static void test_shorter_than_offered_once(void)
{
    struct ikev1_isakmp_sa *sa = new_sa(120, 2147483);     /* vpnc's offer */
    sa->reacting = true;                /* READY came with the client's Xauth ACK */
    ikev1_p1_lifetime_announce(sa);
    CHECK_INT_EQ(n_sent, 1);
    CHECK_INT_EQ(sent_protocol, IKEV1_PROTO_ISAKMP);
    CHECK(sent_spi_null);
    CHECK_INT_EQ(sent_type, IKEV1_N_RESPONDER_LIFETIME);
    static const uint8_t want[] = { 0x80, 0x0b, 0x00, 0x01,         /* Life Type (TV): seconds */
                                    0x00, 0x0c, 0x00, 0x04,         /* Life Duration, 4 bytes */
                                    0x00, 0x00, 0x00, 0x78 };       /* 120 */
    CHECK_INT_EQ(sent_len, sizeof(want));
    CHECK(memcmp(sent_data, want, sizeof(want)) == 0);
    CHECK(!reacting_when_sent);
    CHECK(sa->reacting);                /* restored */
    ikev1_p1_lifetime_announce(sa);     /* a second READY path (push ACK after a pull) */
    CHECK_INT_EQ(n_sent, 1);
    free(sa);
}

static void test_no_offer(void)
{
    struct ikev1_isakmp_sa *sa = new_sa(86400, 0);
    ikev1_p1_lifetime_announce(sa);
    CHECK_INT_EQ(n_sent, 1);
    CHECK_INT_EQ(sent_data[11], 0x80);  /* 86400 = 0x00015180 */
    CHECK_INT_EQ(sent_data[9], 0x01);
    free(sa);
}

static void test_clients_lifetime_taken(void)
{
    struct ikev1_isakmp_sa *sa = new_sa(86400, 60);        /* strongSwan's reauth_time + over_time */
    ikev1_p1_lifetime_announce(sa);
    CHECK_INT_EQ(n_sent, 0);
    free(sa);
    sa = new_sa(120, 120);
    ikev1_p1_lifetime_announce(sa);
    CHECK_INT_EQ(n_sent, 0);
    free(sa);
}

static void test_not_before_ready(void)
{
    struct ikev1_isakmp_sa *sa = new_sa(120, 2147483);
    sa->state = IKEV1_SA_MODECFG;
    ikev1_p1_lifetime_announce(sa);
    CHECK_INT_EQ(n_sent, 0);
    sa->state = IKEV1_SA_READY;
    ikev1_p1_lifetime_announce(sa);
    CHECK_INT_EQ(n_sent, 1);
    free(sa);
}

TEST_MAIN(TEST(test_shorter_than_offered_once), TEST(test_no_offer), TEST(test_clients_lifetime_taken),
          TEST(test_not_before_ready))
