/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Proposal selection (RFC 7296 2.7, 3.3.6) against configured proposals. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ikev2-proposal.h"
#include "testing.h"

/* ---- building offered SA payloads ---------------------------------------- */

struct offer {
    struct ikev2_sa sa;
};

static void begin_proposal(struct ikev2_sa *sa, uint8_t protocol, uint32_t spi)
{
    struct ikev2_proposal *p = &sa->proposals[sa->n_proposals];
    memset(p, 0, sizeof(*p));
    p->number = (uint8_t)(sa->n_proposals + 1);
    p->protocol = protocol;
    if (protocol == IKEV2_PROTOCOL_ESP) {
        p->spi_size = 4;
        p->spi[0] = (uint8_t)(spi >> 24);
        p->spi[1] = (uint8_t)(spi >> 16);
        p->spi[2] = (uint8_t)(spi >> 8);
        p->spi[3] = (uint8_t)spi;
    }
    p->first_transform = sa->n_transforms;
    sa->n_proposals++;
}

static void add(struct ikev2_sa *sa, uint8_t type, uint16_t id, uint16_t key_length)
{
    sa->transforms[sa->n_transforms++] = (struct ikev2_transform){ .type = type, .id = id, .key_length = key_length };
    sa->proposals[sa->n_proposals - 1].n_transforms++;
}

/* ---- configured proposals --------------------------------------------------- */

static const struct config_algorithm *alg(enum config_algorithm_kind kind, bool esp, const char *kw)
{
    const struct config_algorithm *a = config_algorithm_find(kind, esp, kw);
    if (!a) {
        printf("# no algorithm %s\n", kw);
        CHECK(a != NULL);
    }
    return a;
}

/* Names as arrays: the configuration's strings are not const. */
static char n_modern[] = "modern", n_gcm[] = "gcm", n_cbc[] = "cbc", n_esp_gcm[] = "esp-gcm";

/* "modern": aes256, aes128 / sha256, sha1 / prf from integrity / 19, 14. */
static const struct config_algorithm *modern_enc[2], *modern_integ[2], *modern_prf[2], *modern_dh[2];
static struct config_ike_proposal modern = { .name = n_modern, .encryption = modern_enc, .n_encryption = 2,
                                             .integrity = modern_integ, .n_integrity = 2, .prf = modern_prf,
                                             .n_prf = 2, .dh_groups = modern_dh, .n_dh_groups = 2 };
/* "gcm": aes256gcm16 / prf sha384, sha256 / 31. */
static const struct config_algorithm *gcm_enc[1], *gcm_prf[2], *gcm_dh[1];
static struct config_ike_proposal gcm = { .name = n_gcm, .encryption = gcm_enc, .n_encryption = 1, .prf = gcm_prf,
                                          .n_prf = 2, .dh_groups = gcm_dh, .n_dh_groups = 1, .aead = true };
/* ESP "cbc": aes128 / sha256; "esp-gcm": aes128gcm16. */
static const struct config_algorithm *cbc_enc[1], *cbc_integ[1], *egcm_enc[1];
static struct config_esp_proposal esp_cbc = { .name = n_cbc, .encryption = cbc_enc, .n_encryption = 1,
                                              .integrity = cbc_integ, .n_integrity = 1 };
static struct config_esp_proposal esp_gcm = { .name = n_esp_gcm, .encryption = egcm_enc, .n_encryption = 1,
                                              .aead = true };

static void setup(void)
{
    modern_enc[0] = alg(CONFIG_ALG_ENCRYPTION, false, "aes256");
    modern_enc[1] = alg(CONFIG_ALG_ENCRYPTION, false, "aes128");
    modern_integ[0] = alg(CONFIG_ALG_INTEGRITY, false, "sha256");
    modern_integ[1] = alg(CONFIG_ALG_INTEGRITY, false, "sha1");
    modern_prf[0] = alg(CONFIG_ALG_PRF, false, "sha256");
    modern_prf[1] = alg(CONFIG_ALG_PRF, false, "sha1");
    modern_dh[0] = alg(CONFIG_ALG_DH, false, "19");
    modern_dh[1] = alg(CONFIG_ALG_DH, false, "14");
    gcm_enc[0] = alg(CONFIG_ALG_ENCRYPTION, false, "aes256gcm16");
    gcm_prf[0] = alg(CONFIG_ALG_PRF, false, "sha384");
    gcm_prf[1] = alg(CONFIG_ALG_PRF, false, "sha256");
    gcm_dh[0] = alg(CONFIG_ALG_DH, false, "31");
    cbc_enc[0] = alg(CONFIG_ALG_ENCRYPTION, true, "aes128");
    cbc_integ[0] = alg(CONFIG_ALG_INTEGRITY, true, "sha256");
    egcm_enc[0] = alg(CONFIG_ALG_ENCRYPTION, true, "aes128gcm16");
}

struct reasons {
    unsigned n;
    char last[IKEV2_REASON_MAX];
    char first[IKEV2_REASON_MAX];
};

static void collect(const char *reason, void *userdata)
{
    struct reasons *r = userdata;
    if (r->n == 0)
        snprintf(r->first, sizeof(r->first), "%s", reason);
    snprintf(r->last, sizeof(r->last), "%s", reason);
    r->n++;
}

/* strongSwan-like offer: AES-CBC-128 and -256, SHA-256 and SHA-1 integrity and
 * PRF, groups 14 then 19 (KE for 14). */
static void test_ike_our_preference_wins(void)
{
    setup();
    static struct offer o;
    memset(&o, 0, sizeof(o));
    begin_proposal(&o.sa, IKEV2_PROTOCOL_IKE, 0);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 12, 128);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 12, 256);
    add(&o.sa, IKEV2_TRANSFORM_INTEG, 2, 0);
    add(&o.sa, IKEV2_TRANSFORM_INTEG, 12, 0);
    add(&o.sa, IKEV2_TRANSFORM_PRF, 2, 0);
    add(&o.sa, IKEV2_TRANSFORM_PRF, 5, 0);
    add(&o.sa, IKEV2_TRANSFORM_DH, 14, 0);
    add(&o.sa, IKEV2_TRANSFORM_DH, 19, 0);
    const struct config_ike_proposal *conf[] = { &modern };
    struct ikev2_ike_choice c;
    struct reasons r = { 0 };
    CHECK_INT_EQ(ikev2_choose_ike(&o.sa, conf, 1, &c, collect, &r), 0);
    CHECK_INT_EQ(r.n, 0);
    CHECK(c.config == &modern);
    CHECK_INT_EQ(c.number, 1);
    CHECK_INT_EQ(c.encr->ikev2_id, 12);
    CHECK_INT_EQ(c.encr_key_bits, 256);          /* our first choice, not the peer's */
    CHECK_INT_EQ(c.integ->ikev2_id, 12);
    CHECK_INT_EQ(c.prf->ikev2_id, 5);
    CHECK_INT_EQ(c.dh->ikev2_id, 19);           /* so a KE for 14 gets INVALID_KE_PAYLOAD(19) */

    struct ikev2_transform t[4];
    size_t n = ikev2_ike_choice_transforms(&c, t);
    CHECK_INT_EQ(n, 4);
    CHECK_INT_EQ(t[0].type, IKEV2_TRANSFORM_ENCR);
    CHECK_INT_EQ(t[0].key_length, 256);
    CHECK_INT_EQ(t[3].type, IKEV2_TRANSFORM_DH);
    CHECK_INT_EQ(t[3].id, 19);
    char buf[128];
    ikev2_ike_choice_format(&c, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "AES-CBC-256/HMAC-SHA2-256-128/PRF-HMAC-SHA2-256/ECP-256");
}

static void test_ike_key_length_honoured(void)
{
    setup();
    static struct offer o;
    memset(&o, 0, sizeof(o));
    begin_proposal(&o.sa, IKEV2_PROTOCOL_IKE, 0);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 12, 192);      /* AES-192: not configured */
    add(&o.sa, IKEV2_TRANSFORM_INTEG, 12, 0);
    add(&o.sa, IKEV2_TRANSFORM_PRF, 5, 0);
    add(&o.sa, IKEV2_TRANSFORM_DH, 19, 0);
    const struct config_ike_proposal *conf[] = { &modern };
    struct ikev2_ike_choice c;
    struct reasons r = { 0 };
    CHECK_INT_EQ(ikev2_choose_ike(&o.sa, conf, 1, &c, collect, &r), -ENOENT);
    CHECK_INT_EQ(r.n, 1);
    CHECK_STR_EQ(r.first, "proposal 1: ENCR_AES_CBC-192 not in ike-proposal 'modern'");

    /* Without a Key Length attribute AES is not acceptable either (RFC 3602/7296). */
    o.sa.transforms[0].key_length = 0;
    r = (struct reasons){ 0 };
    CHECK_INT_EQ(ikev2_choose_ike(&o.sa, conf, 1, &c, collect, &r), -ENOENT);
    CHECK_STR_EQ(r.first, "proposal 1: ENCR_AES_CBC not in ike-proposal 'modern'");
}

static void test_ike_reasons_name_the_type(void)
{
    setup();
    static struct offer o;
    memset(&o, 0, sizeof(o));
    /* Proposal 1: integrity missing from our list. Proposal 2: no DH at all. */
    begin_proposal(&o.sa, IKEV2_PROTOCOL_IKE, 0);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 12, 128);
    add(&o.sa, IKEV2_TRANSFORM_INTEG, 1, 0);
    add(&o.sa, IKEV2_TRANSFORM_PRF, 5, 0);
    add(&o.sa, IKEV2_TRANSFORM_DH, 19, 0);
    begin_proposal(&o.sa, IKEV2_PROTOCOL_IKE, 0);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 12, 128);
    add(&o.sa, IKEV2_TRANSFORM_INTEG, 12, 0);
    add(&o.sa, IKEV2_TRANSFORM_PRF, 5, 0);
    const struct config_ike_proposal *conf[] = { &modern, &gcm };
    struct ikev2_ike_choice c;
    struct reasons r = { 0 };
    CHECK_INT_EQ(ikev2_choose_ike(&o.sa, conf, 2, &c, collect, &r), -ENOENT);
    CHECK_INT_EQ(r.n, 4);       /* two offered x two configured */
    CHECK_STR_EQ(r.first, "proposal 1: INTEG_HMAC_MD5_96 not in ike-proposal 'modern'");
    CHECK_STR_EQ(r.last, "proposal 2: ENCR_AES_CBC-128 not in ike-proposal 'gcm'");
}

static void test_ike_second_config_and_aead(void)
{
    setup();
    static struct offer o;
    memset(&o, 0, sizeof(o));
    begin_proposal(&o.sa, IKEV2_PROTOCOL_IKE, 0);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 20, 256);
    add(&o.sa, IKEV2_TRANSFORM_PRF, 5, 0);
    add(&o.sa, IKEV2_TRANSFORM_DH, 31, 0);
    const struct config_ike_proposal *conf[] = { &modern, &gcm };
    struct ikev2_ike_choice c;
    CHECK_INT_EQ(ikev2_choose_ike(&o.sa, conf, 2, &c, NULL, NULL), 0);
    CHECK(c.config == &gcm);
    CHECK(c.integ == NULL);
    CHECK(c.encr->aead);
    CHECK_INT_EQ(c.prf->ikev2_id, 5);
    CHECK_INT_EQ(c.dh->ikev2_id, 31);
    struct ikev2_transform t[4];
    CHECK_INT_EQ(ikev2_ike_choice_transforms(&c, t), 3);

    /* Allowed by a group listing "gcm", not by one listing only "modern". */
    const struct config_ike_proposal *only_modern[] = { &modern };
    const struct config_ike_proposal *only_gcm[] = { &gcm };
    CHECK(ikev2_ike_choice_allowed(&c, only_gcm, 1));
    CHECK(!ikev2_ike_choice_allowed(&c, only_modern, 1));
}

static void test_ike_unknown_attribute_and_esn(void)
{
    setup();
    static struct offer o;
    memset(&o, 0, sizeof(o));
    begin_proposal(&o.sa, IKEV2_PROTOCOL_IKE, 0);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 12, 256);
    o.sa.transforms[0].unknown_attribute = true;        /* RFC 7296 3.3.6: must not be chosen */
    add(&o.sa, IKEV2_TRANSFORM_INTEG, 12, 0);
    add(&o.sa, IKEV2_TRANSFORM_PRF, 5, 0);
    add(&o.sa, IKEV2_TRANSFORM_DH, 19, 0);
    const struct config_ike_proposal *conf[] = { &modern };
    struct ikev2_ike_choice c;
    CHECK_INT_EQ(ikev2_choose_ike(&o.sa, conf, 1, &c, NULL, NULL), -ENOENT);
    o.sa.transforms[0].unknown_attribute = false;
    CHECK_INT_EQ(ikev2_choose_ike(&o.sa, conf, 1, &c, NULL, NULL), 0);
    add(&o.sa, IKEV2_TRANSFORM_ESN, 0, 0);              /* not an IKE transform */
    struct reasons r = { 0 };
    CHECK_INT_EQ(ikev2_choose_ike(&o.sa, conf, 1, &c, collect, &r), -ENOENT);
    CHECK_STR_EQ(r.first, "proposal 1: ESN is not an IKE transform");

    /* Only ESP proposals: no IKE proposal at all is -EINVAL. */
    memset(&o, 0, sizeof(o));
    begin_proposal(&o.sa, IKEV2_PROTOCOL_ESP, 0x01020304);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 12, 256);
    CHECK_INT_EQ(ikev2_choose_ike(&o.sa, conf, 1, &c, NULL, NULL), -EINVAL);
}

static void test_esp(void)
{
    setup();
    static struct offer o;
    memset(&o, 0, sizeof(o));
    /* 1: GCM-256 only (not ours); 2: CBC-128 + SHA-256, ESN no/yes. */
    begin_proposal(&o.sa, IKEV2_PROTOCOL_ESP, 0xc1234567);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 20, 256);
    add(&o.sa, IKEV2_TRANSFORM_ESN, 0, 0);
    begin_proposal(&o.sa, IKEV2_PROTOCOL_ESP, 0xc1234567);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 12, 128);
    add(&o.sa, IKEV2_TRANSFORM_INTEG, 12, 0);
    add(&o.sa, IKEV2_TRANSFORM_ESN, 1, 0);
    add(&o.sa, IKEV2_TRANSFORM_ESN, 0, 0);
    const struct config_esp_proposal *conf[] = { &esp_gcm, &esp_cbc };
    struct ikev2_esp_choice c;
    struct reasons r = { 0 };
    CHECK_INT_EQ(ikev2_choose_esp(&o.sa, conf, 2, &c, collect, &r), 0);
    CHECK(c.config == &esp_cbc);
    CHECK_INT_EQ(c.number, 2);
    CHECK_INT_EQ(c.peer_spi, 0xc1234567u);
    CHECK_INT_EQ(c.encr_key_bits, 128);
    CHECK_INT_EQ(c.integ->ikev2_id, 12);
    CHECK_STR_EQ(r.first, "proposal 1: ENCR_AES_GCM_16-256 not in esp-proposal 'esp-gcm'");
    struct ikev2_transform t[4];
    CHECK_INT_EQ(ikev2_esp_choice_transforms(&c, t), 3);
    CHECK_INT_EQ(t[2].type, IKEV2_TRANSFORM_ESN);
    CHECK_INT_EQ(t[2].id, IKEV2_ESN_NO);

    /* Only ESN: refused. */
    memset(&o, 0, sizeof(o));
    begin_proposal(&o.sa, IKEV2_PROTOCOL_ESP, 1);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 12, 128);
    add(&o.sa, IKEV2_TRANSFORM_INTEG, 12, 0);
    add(&o.sa, IKEV2_TRANSFORM_ESN, 1, 0);
    r = (struct reasons){ 0 };
    CHECK_INT_EQ(ikev2_choose_esp(&o.sa, conf + 1, 1, &c, collect, &r), -ENOENT);
    CHECK_STR_EQ(r.first, "proposal 1: only extended sequence numbers offered");

    /* PFS demanded (a group without NONE): refused; with NONE: accepted. */
    memset(&o, 0, sizeof(o));
    begin_proposal(&o.sa, IKEV2_PROTOCOL_ESP, 1);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 20, 128);
    add(&o.sa, IKEV2_TRANSFORM_DH, 19, 0);
    r = (struct reasons){ 0 };
    CHECK_INT_EQ(ikev2_choose_esp(&o.sa, conf, 1, &c, collect, &r), -ENOENT);
    CHECK_STR_EQ(r.first, "proposal 1: PFS (DH_ECP_256) is not offered by esp-proposal 'esp-gcm'");
    add(&o.sa, IKEV2_TRANSFORM_DH, 0, 0);
    CHECK_INT_EQ(ikev2_choose_esp(&o.sa, conf, 1, &c, NULL, NULL), 0);
    CHECK(c.integ == NULL);
}

/* A CHILD SA rekey with a KE payload (PFS): the proposal must offer the KE's
 * group and the esp-proposal list it as a pfs-group. */
static void test_esp_pfs(void)
{
    setup();
    static struct offer o;
    memset(&o, 0, sizeof(o));
    begin_proposal(&o.sa, IKEV2_PROTOCOL_ESP, 0xc0000001);
    add(&o.sa, IKEV2_TRANSFORM_ENCR, 20, 128);
    add(&o.sa, IKEV2_TRANSFORM_DH, 19, 0);
    add(&o.sa, IKEV2_TRANSFORM_DH, 14, 0);
    add(&o.sa, IKEV2_TRANSFORM_ESN, 0, 0);
    const struct config_algorithm *groups[1] = { alg(CONFIG_ALG_DH, true, "19") };
    const struct config_esp_proposal *conf[] = { &esp_gcm };
    struct ikev2_esp_choice c;
    struct reasons r = { 0 };

    /* Not a pfs-group of the esp-proposal: refused, naming why. */
    CHECK_INT_EQ(ikev2_choose_esp_pfs(&o.sa, conf, 1, 19, &c, collect, &r), -ENOENT);
    CHECK_STR_EQ(r.first, "proposal 1: PFS with ECP_256 is not a pfs-group of esp-proposal 'esp-gcm'");

    esp_gcm.pfs_groups = groups;
    esp_gcm.n_pfs_groups = 1;
    CHECK_INT_EQ(ikev2_choose_esp_pfs(&o.sa, conf, 1, 19, &c, NULL, NULL), 0);
    CHECK(c.dh != NULL && c.dh->ikev2_id == 19);
    struct ikev2_transform t[4];
    CHECK_INT_EQ(ikev2_esp_choice_transforms(&c, t), 3);
    CHECK_INT_EQ(t[1].type, IKEV2_TRANSFORM_DH);
    CHECK_INT_EQ(t[1].id, 19);

    /* The KE's group must be among the offered ones. */
    r = (struct reasons){ 0 };
    CHECK_INT_EQ(ikev2_choose_esp_pfs(&o.sa, conf, 1, 20, &c, collect, &r), -ENOENT);
    CHECK_STR_EQ(r.first, "proposal 1: PFS with ECP_384 is not offered with the KE payload");

    /* Without a KE payload the choice has no group (IKE_AUTH, plain rekeys). */
    add(&o.sa, IKEV2_TRANSFORM_DH, 0, 0);
    CHECK_INT_EQ(ikev2_choose_esp(&o.sa, conf, 1, &c, NULL, NULL), 0);
    CHECK(c.dh == NULL);
    esp_gcm.pfs_groups = NULL;
    esp_gcm.n_pfs_groups = 0;
}

TEST_MAIN(TEST(test_ike_our_preference_wins),
          TEST(test_ike_key_length_honoured),
          TEST(test_ike_reasons_name_the_type),
          TEST(test_ike_second_config_and_aead),
          TEST(test_ike_unknown_attribute_and_esn),
          TEST(test_esp),
          TEST(test_esp_pfs))
