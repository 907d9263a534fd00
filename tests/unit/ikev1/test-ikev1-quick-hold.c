/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Early Quick Modes (daemon/ikev1-quick-hold.c): held before the ISAKMP
 * SA is READY, a newer one for the same proxy IDs replacing the held one
 * ("saved qm no longer needed"), one for other proxy IDs kept beside it,
 * at most IKEV1_QUICK_MAX, and all answered in arrival order once Mode
 * Config is done. The messages are decrypted Quick Mode 1 payload chains
 * built with the IKEv1 builder (HASH, SA, Nonce, IDci, IDcr). What the
 * module calls around it (the Quick Mode handler, logging, DPD) is
 * replaced by recorders below.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ikev1-sa.h"
#include "testing.h"

/* ---- the module's collaborators, recorded --------------------------------------------- */

static char last_log[512];
static char all_logs[4096];             /* since the test began */
static uint32_t answered[8];
static size_t n_answered;
static uint8_t answered_idcr[8][12];

int log_internal(int priority, int error, enum config_subsystem subsys, const struct log_ctx *ctx, const char *file,
                 int line, const char *func, const char *format, ...)
{
    va_list ap;
    (void)priority, (void)subsys, (void)ctx, (void)file, (void)line, (void)func;
    va_start(ap, format);
    vsnprintf(last_log, sizeof(last_log), format, ap);
    va_end(ap);
    size_t used = strlen(all_logs);
    snprintf(all_logs + used, sizeof(all_logs) - used, "%s\n", last_log);
    printf("#   log: %s\n", last_log);
    return -abs(error);
}

void ikev1_sa_log_ctx(const struct ikev1_isakmp_sa *sa, struct log_ctx *ctx)
{
    (void)sa;
    memset(ctx, 0, sizeof(*ctx));
}

int ikev1_dpd_start(struct ikev1_isakmp_sa *sa)
{
    (void)sa;
    return 0;
}

void ikev1_p1_lifetime_announce(struct ikev1_isakmp_sa *sa)
{
    (void)sa;
}

/* The Quick Mode handler: which message, with which gateway proxy ID. */
void ikev1_handle_quick1(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr,
                         const struct ikev1_payload_list *pl, const uint8_t *raw, size_t raw_len)
{
    (void)sa, (void)raw, (void)raw_len;
    if (n_answered >= 8)
        return;
    size_t ids = 0;
    for (size_t i = 0; i < pl->n; i++)
        if (pl->p[i].type == IKEV1_PAYLOAD_ID && ++ids == 2 && pl->p[i].len == 12)
            memcpy(answered_idcr[n_answered], pl->p[i].body, 12);
    answered[n_answered++] = hdr->message_id;
}

/* ---- Quick Mode 1 chains ---------------------------------------------------------------------- */

struct qm1 {
    struct ikev1_header hdr;
    uint8_t plain[256];
    size_t len;
    uint8_t raw[300];           /* stands for the encrypted message: only compared */
    size_t raw_len;
};

/* A Quick Mode 1 of message ID mid from 10.7.0.11 for net/24. */
static void make_qm1(struct qm1 *m, uint32_t mid, uint8_t net)
{
    static const uint8_t sa_body[] = {
        0, 0, 0, 1, 0, 0, 0, 1,                                 /* IPsec DOI, identity only */
        0, 0, 0, 20, 1, 3, 4, 1, 0xc0, 0xff, 0xee, 0x01,        /* proposal 1, ESP, SPI */
        0, 0, 0, 8, 1, 12, 0, 0,                                /* transform 1, ESP_AES */
    };
    static const uint8_t nonce[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    const uint8_t idci[] = { IKEV1_ID_IPV4_ADDR, 0, 0, 0, 10, 7, 0, 11 };
    const uint8_t idcr[] = { IKEV1_ID_IPV4_ADDR_SUBNET, 0, 0, 0, 198, 51, net, 0, 255, 255, 255, 0 };
    struct ikev1_builder b;
    memset(m, 0, sizeof(*m));
    ikev1_builder_init(&b, m->plain, sizeof(m->plain));
    ikev1_build_hash_reserve(&b, 20);
    ikev1_build_payload(&b, IKEV1_PAYLOAD_SA, sa_body, sizeof(sa_body));
    ikev1_build_nonce(&b, nonce, sizeof(nonce));
    ikev1_build_payload(&b, IKEV1_PAYLOAD_ID, idci, sizeof(idci));
    ikev1_build_payload(&b, IKEV1_PAYLOAD_ID, idcr, sizeof(idcr));
    CHECK_INT_EQ(ikev1_builder_finish(&b, &m->len), 0);
    m->hdr.exchange = IKEV1_EXCHANGE_QUICK_MODE;
    m->hdr.flags = IKEV1_FLAG_ENCRYPTION;
    m->hdr.message_id = mid;
    m->hdr.next_payload = ikev1_builder_first_type(&b);
    m->raw_len = 28 + m->len;
    memset(m->raw, (int)(mid & 0xff), m->raw_len);
}

static struct ikev1_isakmp_sa *new_sa(void)
{
    struct ikev1_isakmp_sa *sa = calloc(1, sizeof(*sa));
    sa->state = IKEV1_SA_MODECFG;       /* Xauth done, no address yet */
    n_answered = 0;
    memset(answered_idcr, 0, sizeof(answered_idcr));
    all_logs[0] = '\0';
    return sa;
}

static void hold(struct ikev1_isakmp_sa *sa, const struct qm1 *m)
{
    ikev1_quick_hold(sa, &m->hdr, m->plain, m->len, m->raw, m->raw_len);
}

/* ---- tests --------------------------------------------------------------------------------------- */

static void test_replaced_by_newer_for_same_ids(void)
{
    struct ikev1_isakmp_sa *sa = new_sa();
    struct qm1 a, b, c;
    make_qm1(&a, 0x9685e3bb, 100);      /* the IOS reference's saved Quick Mode */
    make_qm1(&b, 0x22222222, 200);      /* other networks: kept beside it */
    make_qm1(&c, 0xbc2ad2f9, 100);      /* the client's new one for a's networks */
    hold(sa, &a);
    hold(sa, &b);
    CHECK_INT_EQ(sa->n_held, 2);
    hold(sa, &c);
    CHECK_INT_EQ(sa->n_held, 2);
    CHECK(strstr(all_logs, "Quick Mode 0xbc2ad2f9 replaces the held 0x9685e3bb (same proxy IDs): saved Quick Mode "
                           "no longer needed") != NULL);
    CHECK_INT_EQ(sa->held[0].hdr.message_id, 0x22222222);
    CHECK_INT_EQ(sa->held[1].hdr.message_id, 0xbc2ad2f9);
    CHECK_INT_EQ(n_answered, 0);        /* nothing answered before READY */

    sa->state = IKEV1_SA_READY;
    ikev1_sa_ready(sa);
    CHECK_INT_EQ(n_answered, 2);
    CHECK_INT_EQ(answered[0], 0x22222222);
    CHECK_INT_EQ(answered[1], 0xbc2ad2f9);
    CHECK_INT_EQ(answered_idcr[0][6], 200);    /* the chain reached the handler intact */
    CHECK_INT_EQ(answered_idcr[1][6], 100);
    CHECK_INT_EQ(sa->n_held, 0);
    free(sa);
}

static void test_limit(void)
{
    struct ikev1_isakmp_sa *sa = new_sa();
    struct qm1 m;
    for (uint32_t i = 0; i < IKEV1_QUICK_MAX + 2; i++) {
        make_qm1(&m, 0x100 + i, (uint8_t)(10 + i));
        hold(sa, &m);
    }
    CHECK_INT_EQ(sa->n_held, IKEV1_QUICK_MAX);
    CHECK(strstr(last_log, "dropped") != NULL);
    sa->state = IKEV1_SA_READY;
    ikev1_sa_ready(sa);
    CHECK_INT_EQ(n_answered, IKEV1_QUICK_MAX);
    for (size_t i = 0; i < n_answered; i++)
        CHECK_INT_EQ(answered[i], 0x100 + i);
    free(sa);
}

static void test_same_message_id_held_once(void)
{
    /* The same message ID again is no new Quick Mode (its retransmission
     * is caught before, by its bytes): held once, answered once. */
    struct ikev1_isakmp_sa *sa = new_sa();
    struct qm1 a;
    make_qm1(&a, 0x33333333, 100);
    hold(sa, &a);
    hold(sa, &a);
    CHECK_INT_EQ(sa->n_held, 1);
    CHECK(strstr(last_log, "held already") != NULL);
    ikev1_quick_held_free(sa);
    CHECK_INT_EQ(sa->n_held, 0);
    CHECK(sa->held[0].plain == NULL);
    free(sa);
}

static void test_deleted_sa_answers_nothing(void)
{
    struct ikev1_isakmp_sa *sa = new_sa();
    struct qm1 a;
    make_qm1(&a, 0x44444444, 100);
    hold(sa, &a);
    sa->state = IKEV1_SA_DELETED;       /* Xauth failed in between */
    ikev1_sa_ready(sa);
    CHECK_INT_EQ(n_answered, 0);
    CHECK_INT_EQ(sa->n_held, 0);
    free(sa);
}

TEST_MAIN(TEST(test_replaced_by_newer_for_same_ids), TEST(test_limit), TEST(test_same_message_id_held_once),
          TEST(test_deleted_sa_answers_nothing))
