/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ESP transform choice of a Quick Mode (daemon/ikev1-quick-proposal.c)
 * on SA payloads encoded byte by byte as RFC 2407/2408 lay them out: the
 * Cisco VPN Client 4.x's offer as the PIX reference decodes it (seven
 * proposals, four of them AND-bundles of ESP with IPComp LZS and its
 * 2-octet CPI, 2147483 s lifetimes), an AH+ESP bundle, strongSwan's PFS
 * offer, and the UDP-encapsulated modes behind NAT. The esp-proposals
 * come from a real vpnd.conf through config_load().
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "ikev1-quick-proposal.h"
#include "testing.h"

/* ---- encoding an SA payload body ------------------------------------------------------- */

struct enc {
    uint8_t b[2048];
    size_t n;
};

static void put8(struct enc *e, uint8_t v) { e->b[e->n++] = v; }
static void put16(struct enc *e, uint16_t v) { put8(e, (uint8_t)(v >> 8)); put8(e, (uint8_t)v); }
static void put32(struct enc *e, uint32_t v) { put16(e, (uint16_t)(v >> 16)); put16(e, (uint16_t)v); }
static void patch16(struct enc *e, size_t at, uint16_t v) { e->b[at] = (uint8_t)(v >> 8); e->b[at + 1] = (uint8_t)v; }

struct xform {
    uint8_t id;
    uint16_t auth;          /* 0: none */
    uint16_t key_bits;      /* 0: none */
    uint16_t encap;         /* 0: none */
    uint16_t group;         /* 0: none */
    uint32_t life;          /* 0: none */
};

struct part {
    uint8_t number, protocol, spi_size;
    uint32_t spi;
    struct xform t;
};

/* Proposal payloads (one transform each) after DOI and situation. */
static void encode_sa(struct enc *e, const struct part *parts, size_t n)
{
    e->n = 0;
    put32(e, IKEV1_DOI_IPSEC);
    put32(e, IKEV1_SIT_IDENTITY_ONLY);
    for (size_t i = 0; i < n; i++) {
        const struct part *p = &parts[i];
        size_t start = e->n;
        put8(e, i + 1 < n ? IKEV1_PAYLOAD_PROPOSAL : 0);
        put8(e, 0);
        put16(e, 0);                        /* length, below */
        put8(e, p->number);
        put8(e, p->protocol);
        put8(e, p->spi_size);
        put8(e, 1);
        if (p->spi_size == 4)
            put32(e, p->spi);
        else
            put16(e, (uint16_t)p->spi);
        size_t tstart = e->n;
        put8(e, 0);
        put8(e, 0);
        put16(e, 0);
        put8(e, 1);                         /* transform number */
        put8(e, p->t.id);
        put16(e, 0);
        if (p->t.life) {
            put16(e, 0x8000 | IKEV1_IPSEC_SA_LIFE_TYPE);
            put16(e, IKEV1_LIFE_SECONDS);
            put16(e, IKEV1_IPSEC_SA_LIFE_DURATION);     /* TLV: 4 bytes */
            put16(e, 4);
            put32(e, p->t.life);
        }
        if (p->t.group) {
            put16(e, 0x8000 | IKEV1_IPSEC_GROUP_DESCRIPTION);
            put16(e, p->t.group);
        }
        if (p->t.encap) {
            put16(e, 0x8000 | IKEV1_IPSEC_ENCAPSULATION_MODE);
            put16(e, p->t.encap);
        }
        if (p->t.auth) {
            put16(e, 0x8000 | IKEV1_IPSEC_AUTH_ALGORITHM);
            put16(e, p->t.auth);
        }
        if (p->t.key_bits) {
            put16(e, 0x8000 | IKEV1_IPSEC_KEY_LENGTH);
            put16(e, p->t.key_bits);
        }
        patch16(e, tstart + 2, (uint16_t)(e->n - tstart));
        patch16(e, start + 2, (uint16_t)(e->n - start));
    }
}

static int decode_sa(const struct enc *e, struct ikev1_sa *sa)
{
    struct ikev1_payload p = { .type = IKEV1_PAYLOAD_SA, .body = e->b, .len = e->n };
    struct ikev1_parse_status st;
    return ikev1_sa_decode(&p, sa, &st);
}

/* ---- the gateway's side --------------------------------------------------------------------- */

static struct vpnd_config *config;
static const struct config_esp_proposal *proposals[4];
static size_t n_proposals;

static struct vpnd_config *load(const char *text)
{
    char path[] = "/tmp/vpnd-test-esp-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) {
        close(fd);
        unlink(path);
        return NULL;
    }
    close(fd);
    struct vpnd_config *c = NULL;
    struct config_error err;
    int r = config_load(path, &c, &err);
    unlink(path);
    if (r < 0) {
        char msg[2048];
        printf("#   config_load: %s\n", config_error_format(&err, msg, sizeof(msg)));
        return NULL;
    }
    return c;
}

static bool setup(void)
{
    if (config)
        return true;
    config = load("ike-proposals = ( { name = \"ike\"; encryption = \"aes256\"; integrity = \"sha256\"; "
                  "dh-group = 14; } );\n"
                  "esp-proposals = ( { name = \"legacy\"; encryption = \"3des\"; integrity = \"sha1\"; },\n"
                  "                  { name = \"modern\"; encryption = [\"aes256\", \"aes128\"]; "
                  "integrity = [\"sha256\", \"sha1\"]; pfs-group = [14]; lifetime-seconds = 3600; } );\n"
                  "group-policies = ( { name = \"gp\"; } );\n");
    if (!config)
        return false;
    n_proposals = 0;
    for (size_t i = 0; i < config->n_esp_proposals && n_proposals < 4; i++)
        proposals[n_proposals++] = &config->esp_proposals[i];
    return n_proposals == 2;
}

struct rejections {
    char text[16][320];
    size_t n;
};

static void collect(void *userdata, const char *why)
{
    struct rejections *r = userdata;
    if (r->n < 16)
        snprintf(r->text[r->n++], sizeof(r->text[0]), "%s", why);
}

static bool any_contains(const struct rejections *r, const char *needle)
{
    for (size_t i = 0; i < r->n; i++)
        if (strstr(r->text[i], needle))
            return true;
    return false;
}

#define ESP_3DES 3
#define ESP_DES 2
#define ESP_AES 12
#define AUTH_MD5 1
#define AUTH_SHA1 2
#define AUTH_SHA256 5
#define IPCOMP_LZS 3
#define CISCO_LIFE 2147483u

/* The Cisco VPN Client 4.x offer (PIX reference, Quick Mode #1): bundles
 * 1, 2, 5, 6 with IPComp LZS, ESP alone in 3, 4, 7. */
static const struct part cisco_offer[] = {
    { 1, IKEV1_PROTO_IPSEC_ESP, 4, 0x11111111, { ESP_3DES, AUTH_MD5, 0, 1, 0, CISCO_LIFE } },
    { 1, IKEV1_PROTO_IPCOMP, 2, 0x1a01, { IPCOMP_LZS, 0, 0, 1, 0, CISCO_LIFE } },
    { 2, IKEV1_PROTO_IPSEC_ESP, 4, 0x22222222, { ESP_3DES, AUTH_SHA1, 0, 1, 0, CISCO_LIFE } },
    { 2, IKEV1_PROTO_IPCOMP, 2, 0x1a02, { IPCOMP_LZS, 0, 0, 1, 0, CISCO_LIFE } },
    { 3, IKEV1_PROTO_IPSEC_ESP, 4, 0x33333333, { ESP_3DES, AUTH_MD5, 0, 1, 0, CISCO_LIFE } },
    { 4, IKEV1_PROTO_IPSEC_ESP, 4, 0x44444444, { ESP_3DES, AUTH_SHA1, 0, 1, 0, CISCO_LIFE } },
    { 5, IKEV1_PROTO_IPSEC_ESP, 4, 0x55555555, { ESP_DES, AUTH_MD5, 0, 1, 0, CISCO_LIFE } },
    { 5, IKEV1_PROTO_IPCOMP, 2, 0x1a05, { IPCOMP_LZS, 0, 0, 1, 0, CISCO_LIFE } },
    { 6, IKEV1_PROTO_IPSEC_ESP, 4, 0x66666666, { ESP_DES, AUTH_SHA1, 0, 1, 0, CISCO_LIFE } },
    { 6, IKEV1_PROTO_IPCOMP, 2, 0x1a06, { IPCOMP_LZS, 0, 0, 1, 0, CISCO_LIFE } },
    { 7, IKEV1_PROTO_IPSEC_ESP, 4, 0x77777777, { ESP_DES, AUTH_MD5, 0, 1, 0, CISCO_LIFE } },
};

static struct ikev1_esp_want want(bool pfs, bool nat, bool rfc3947)
{
    return (struct ikev1_esp_want){ .proposals = proposals, .n_proposals = n_proposals, .require_pfs = pfs,
                                    .policy_name = "gp", .nat_detected = nat, .natt_rfc3947 = rfc3947 };
}

static void test_cisco_bundles_skipped(void)
{
    CHECK(setup());
    if (!config)
        return;
    struct enc e;
    struct ikev1_sa *sa = malloc(sizeof(*sa));
    encode_sa(&e, cisco_offer, sizeof(cisco_offer) / sizeof(cisco_offer[0]));
    CHECK_INT_EQ(decode_sa(&e, sa), 0);
    CHECK_INT_EQ(sa->n_proposals, 11);
    struct ikev1_esp_want w = want(false, false, false);
    struct ikev1_esp_choice c;
    struct rejections rej = { .n = 0 };
    /* 3DES/SHA1 is in bundle 2 and alone in proposal 4: proposal 4 wins. */
    CHECK(ikev1_esp_choose(&w, sa, NULL, &c, collect, &rej));
    CHECK_INT_EQ(c.proposal_number, 4);
    CHECK_INT_EQ(c.peer_spi, 0x44444444);
    CHECK(c.encr && c.encr->key_len == 24);
    CHECK(c.integ != NULL);
    CHECK(c.config == proposals[0]);
    CHECK_INT_EQ(c.encapsulation, IKEV1_ENCAP_TUNNEL);
    CHECK(any_contains(&rej, "IPsec SA proposal 1 rejected: a bundle of 2 protocols with IPComp"));
    CHECK(any_contains(&rej, "IPsec SA proposal 2 rejected: a bundle of 2 protocols with IPComp"));
    CHECK(any_contains(&rej, "IPsec SA proposal 3 transform 1 rejected by esp-proposal 'legacy': Rcv'd "
                             "authentication algorithm 1"));
    /* Each bundle reported once, not once per part. */
    size_t bundle1 = 0;
    for (size_t i = 0; i < rej.n; i++)
        bundle1 += strstr(rej.text[i], "proposal 1 rejected") != NULL;
    CHECK_INT_EQ(bundle1, 1);
    /* The client's 2147483 s against our 28800 s: ours, and RESPONDER-LIFETIME. */
    CHECK_INT_EQ(c.offered_lifetime, CISCO_LIFE);
    CHECK_INT_EQ(c.lifetime, 28800);
    CHECK(ikev1_esp_responder_lifetime_due(&c));
    free(sa);
}

static void test_only_bundles_fail(void)
{
    CHECK(setup());
    if (!config)
        return;
    /* The acceptable transforms only inside bundles (ESP+IPComp, AH+ESP):
     * nothing chosen, each bundle refused as a whole. */
    static const struct part offer[] = {
        { 1, IKEV1_PROTO_IPSEC_ESP, 4, 0x01010101, { ESP_3DES, AUTH_SHA1, 0, 1, 0, 0 } },
        { 1, IKEV1_PROTO_IPCOMP, 2, 0x2a00, { IPCOMP_LZS, 0, 0, 1, 0, 0 } },
        { 2, IKEV1_PROTO_IPSEC_AH, 4, 0x02020202, { AUTH_SHA1, 0, 0, 1, 0, 0 } },
        { 2, IKEV1_PROTO_IPSEC_ESP, 4, 0x03030303, { ESP_3DES, AUTH_SHA1, 0, 1, 0, 0 } },
        { 3, IKEV1_PROTO_IPCOMP, 2, 0x2a03, { IPCOMP_LZS, 0, 0, 1, 0, 0 } },
    };
    struct enc e;
    struct ikev1_sa *sa = malloc(sizeof(*sa));
    encode_sa(&e, offer, sizeof(offer) / sizeof(offer[0]));
    CHECK_INT_EQ(decode_sa(&e, sa), 0);
    struct ikev1_esp_want w = want(false, false, false);
    struct ikev1_esp_choice c;
    struct rejections rej = { .n = 0 };
    CHECK(!ikev1_esp_choose(&w, sa, NULL, &c, collect, &rej));
    CHECK_INT_EQ(rej.n, 3);
    CHECK(any_contains(&rej, "proposal 1 rejected: a bundle of 2 protocols with IPComp"));
    CHECK(any_contains(&rej, "proposal 2 rejected: a bundle of 2 protocols (only ESP alone"));
    CHECK(any_contains(&rej, "proposal 3 (protocol 4, 2-octet SPI) rejected"));
    free(sa);
}

static void test_strongswan_pfs_and_lifetime(void)
{
    CHECK(setup());
    if (!config)
        return;
    const struct crypto_dh_group *modp2048 = crypto_dh_group_find(14);
    CHECK(modp2048 != NULL);
    /* AES-128/SHA-256 with PFS group 14, 1200 s: shorter than ours, no
     * RESPONDER-LIFETIME. */
    static const struct part offer[] = {
        { 1, IKEV1_PROTO_IPSEC_ESP, 4, 0xc1c2c3c4, { ESP_AES, AUTH_SHA256, 128, 1, 14, 1200 } },
    };
    struct enc e;
    struct ikev1_sa *sa = malloc(sizeof(*sa));
    encode_sa(&e, offer, 1);
    CHECK_INT_EQ(decode_sa(&e, sa), 0);
    struct ikev1_esp_want w = want(true, false, false);
    struct ikev1_esp_choice c;
    CHECK(ikev1_esp_choose(&w, sa, modp2048, &c, NULL, NULL));
    CHECK(c.config == proposals[1]);
    CHECK(c.pfs == modp2048);
    CHECK(c.encr && c.encr->key_len == 16);
    CHECK_INT_EQ(c.lifetime, 1200);
    CHECK(!ikev1_esp_responder_lifetime_due(&c));
    /* The same offer without its KE payload: refused (group without KE). */
    struct rejections rej = { .n = 0 };
    CHECK(!ikev1_esp_choose(&w, sa, NULL, &c, collect, &rej));
    CHECK(any_contains(&rej, "Rcv'd PFS group 14 without a KE payload"));
    /* No lifetime offered: ours (3600 s) and RESPONDER-LIFETIME. */
    static const struct part nolife[] = {
        { 1, IKEV1_PROTO_IPSEC_ESP, 4, 0xc1c2c3c4, { ESP_AES, AUTH_SHA1, 256, 1, 0, 0 } },
    };
    encode_sa(&e, nolife, 1);
    CHECK_INT_EQ(decode_sa(&e, sa), 0);
    w = want(false, false, false);
    CHECK(ikev1_esp_choose(&w, sa, NULL, &c, NULL, NULL));
    CHECK_INT_EQ(c.lifetime, 3600);
    CHECK(ikev1_esp_responder_lifetime_due(&c));
    /* The group policy asks for PFS: refused without it. */
    rej.n = 0;
    w = want(true, false, false);
    CHECK(!ikev1_esp_choose(&w, sa, NULL, &c, collect, &rej));
    CHECK(any_contains(&rej, "no PFS, but group policy gp requires it"));
    free(sa);
}

static void test_nat_encapsulation(void)
{
    CHECK(setup());
    if (!config)
        return;
    /* Behind NAT: plain tunnel mode refused, the draft's UDP tunnel
     * (61443, as the Cisco VPN Client sends it) accepted. */
    static const struct part offer[] = {
        { 1, IKEV1_PROTO_IPSEC_ESP, 4, 0x0a0a0a0a, { ESP_3DES, AUTH_SHA1, 0, IKEV1_ENCAP_TUNNEL, 0, 0 } },
        { 2, IKEV1_PROTO_IPSEC_ESP, 4, 0x0b0b0b0b, { ESP_3DES, AUTH_SHA1, 0, IKEV1_ENCAP_UDP_TUNNEL_DRAFT, 0, 0 } },
    };
    struct enc e;
    struct ikev1_sa *sa = malloc(sizeof(*sa));
    encode_sa(&e, offer, 2);
    CHECK_INT_EQ(decode_sa(&e, sa), 0);
    struct ikev1_esp_want w = want(false, true, false);
    struct ikev1_esp_choice c;
    struct rejections rej = { .n = 0 };
    CHECK(ikev1_esp_choose(&w, sa, NULL, &c, collect, &rej));
    CHECK_INT_EQ(c.proposal_number, 2);
    CHECK_INT_EQ(c.encapsulation, IKEV1_ENCAP_UDP_TUNNEL_DRAFT);
    CHECK(any_contains(&rej, "Rcv'd encapsulation mode 1"));
    /* Without NAT the UDP mode is refused and plain tunnel mode chosen. */
    w = want(false, false, false);
    CHECK(ikev1_esp_choose(&w, sa, NULL, &c, NULL, NULL));
    CHECK_INT_EQ(c.proposal_number, 1);
    free(sa);
}

static void test_teardown(void)
{
    config_unref(config);
    config = NULL;
    CHECK(1);
}

TEST_MAIN(TEST(test_cisco_bundles_skipped), TEST(test_only_bundles_fail), TEST(test_strongswan_pfs_and_lifetime),
          TEST(test_nat_encapsulation), TEST(test_teardown))
