/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The kernel counter snapshot (daemon/xfrm-snapshot.c) from canned dump
 * answers: what the views look up by SA id, vpnd's SAs only, and every
 * length checked: a truncated or malformed message refuses the whole dump.
 */
#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>

#include "synthetic-sa-dump.h"
#include "testing.h"
#include "xfrm-snapshot.h"

#define OURS(n) (XFRM_VPND_REQID_BASE + (n))

static uint8_t dump[8192] __attribute__((aligned(8)));
static size_t boundaries[16], n_boundaries;

static struct synthetic_sa sa_v4(uint32_t spi, const char *dst, uint32_t reqid, uint64_t bytes)
{
    struct synthetic_sa s = {
        .family = AF_INET, .spi = spi, .reqid = reqid, .bytes = bytes, .packets = bytes / 100,
        .add_time = 1700000000, .use_time = 1700000100, .replay_window_errors = 1, .replay_errors = 2,
        .integrity_failures = 3, .hard_seconds = 28800, .soft_seconds = 25000, .hard_bytes = 4096ULL * 1024,
    };
    inet_pton(AF_INET, "203.0.113.1", &s.src.a4);
    inet_pton(AF_INET, dst, &s.dst.a4);
    return s;
}

/* Four SAs: a pair of ours over IPv4, one over IPv6, one of another IKE
 * daemon (reqid outside vpnd's range); then NLMSG_DONE. */
static size_t build_dump(void)
{
    struct synthetic_sa sas[4] = {
        sa_v4(0xc0000001, "203.0.113.1", OURS(1), 1500),
        sa_v4(0x00001234, "198.51.100.7", OURS(1), 3000),
        sa_v4(0xc0000002, "203.0.113.1", 7, 99),
    };
    sas[3] = sa_v4(0xc0000003, "203.0.113.1", OURS(2), 4500);
    sas[3].family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::1", &sas[3].dst.a6);
    inet_pton(AF_INET6, "2001:db8::2", &sas[3].src.a6);
    size_t len = 0;
    n_boundaries = 0;
    for (size_t i = 0; i < 4; i++) {
        int r = synthetic_sa_message(dump + len, sizeof(dump) - len, &sas[i], 9);
        CHECK(r > 0);
        len += (size_t)r;
        boundaries[n_boundaries++] = len;
    }
    int r = synthetic_done_message(dump + len, sizeof(dump) - len, 9);
    CHECK(r > 0);
    len += (size_t)r;
    boundaries[n_boundaries++] = len;
    return len;
}

static struct xfrm_sa_id id_v4(uint32_t spi, const char *dst)
{
    struct xfrm_sa_id id = { .family = AF_INET, .spi = spi };
    inet_pton(AF_INET, dst, &id.dst.a4);
    return id;
}

static void test_lookup(void)
{
    size_t len = build_dump();
    struct xfrm_snapshot *snap = NULL;
    CHECK_INT_EQ(xfrm_snapshot_parse(dump, len, &snap), 0);
    if (!snap)
        return;
    CHECK_INT_EQ(xfrm_snapshot_size(snap), 3);      /* the foreign SA is left out */

    struct xfrm_sa_id in = id_v4(0xc0000001, "203.0.113.1"), out = id_v4(0x00001234, "198.51.100.7");
    const struct xfrm_sa_counters *c = xfrm_snapshot_find(snap, &in);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT_EQ(c->bytes, 1500);
        CHECK_INT_EQ(c->packets, 15);
        CHECK_INT_EQ(c->add_time, 1700000000);
        CHECK_INT_EQ(c->use_time, 1700000100);
        CHECK_INT_EQ(c->replay_window, 32);
        CHECK_INT_EQ(c->replay_window_errors, 1);
        CHECK_INT_EQ(c->replay_errors, 2);
        CHECK_INT_EQ(c->integrity_failures, 3);
        CHECK_INT_EQ(c->lifetime.hard_seconds, 28800);
        CHECK_INT_EQ(c->lifetime.soft_seconds, 25000);
        CHECK_INT_EQ(c->lifetime.hard_bytes, 4096ULL * 1024);
    }
    c = xfrm_snapshot_find(snap, &out);
    CHECK(c != NULL && c->bytes == 3000);

    struct xfrm_sa_id v6 = { .family = AF_INET6, .spi = 0xc0000003 };
    inet_pton(AF_INET6, "2001:db8::1", &v6.dst.a6);
    c = xfrm_snapshot_find(snap, &v6);
    CHECK(c != NULL && c->bytes == 4500);

    /* Every part of the id counts: SPI, destination, family. */
    struct xfrm_sa_id other = id_v4(0xc0000001, "203.0.113.2");
    CHECK(xfrm_snapshot_find(snap, &other) == NULL);
    other = id_v4(0xc0000009, "203.0.113.1");
    CHECK(xfrm_snapshot_find(snap, &other) == NULL);
    other = id_v4(0xc0000002, "203.0.113.1");       /* not vpnd's */
    CHECK(xfrm_snapshot_find(snap, &other) == NULL);
    other = v6;
    other.family = AF_INET;
    CHECK(xfrm_snapshot_find(snap, &other) == NULL);

    /* A view asks the snapshot and never the kernel (no handle here). */
    struct xfrm_sa_counters k;
    CHECK_INT_EQ(xfrm_sa_read_counters(NULL, snap, &in, &k, NULL), 0);
    CHECK_INT_EQ(k.bytes, 1500);
    other = id_v4(0xc0000009, "203.0.113.1");
    CHECK_INT_EQ(xfrm_sa_read_counters(NULL, snap, &other, &k, NULL), -ESRCH);
    xfrm_snapshot_free(snap);
}

/* The dump cut anywhere: whole messages are a shorter dump, anything else
 * is refused. */
static void test_truncated(void)
{
    size_t len = build_dump();
    for (size_t cut = 1; cut < len; cut++) {
        bool boundary = false;
        for (size_t b = 0; b < n_boundaries; b++)
            boundary = boundary || boundaries[b] == cut;
        struct xfrm_snapshot *snap = NULL;
        int r = xfrm_snapshot_parse(dump, cut, &snap);
        if (boundary) {
            CHECK_INT_EQ(r, 0);
        } else if (r != -EBADMSG) {
            printf("#   cut at %zu of %zu: %d\n", cut, len, r);
            CHECK_INT_EQ(r, -EBADMSG);
        }
        xfrm_snapshot_free(snap);
    }
}

static int parse(size_t len)
{
    struct xfrm_snapshot *snap = NULL;
    int r = xfrm_snapshot_parse(dump, len, &snap);
    xfrm_snapshot_free(snap);
    return r;
}

static void test_malformed(void)
{
    size_t len = build_dump();
    struct nlmsghdr *first = (struct nlmsghdr *)dump;
    uint32_t first_len = first->nlmsg_len;

    /* A length shorter than the netlink header, or past the buffer. */
    first->nlmsg_len = 8;
    CHECK_INT_EQ(parse(len), -EBADMSG);
    first->nlmsg_len = (uint32_t)len + 4;
    CHECK_INT_EQ(parse(len), -EBADMSG);
    /* Too short for the SA header it must carry. */
    first->nlmsg_len = MNL_NLMSG_HDRLEN + 16;
    CHECK_INT_EQ(parse(len), -EBADMSG);
    first->nlmsg_len = first_len;
    CHECK_INT_EQ(parse(len), 0);

    /* An attribute whose length runs past the message. */
    struct nlattr *attr = mnl_nlmsg_get_payload_offset(first, sizeof(struct xfrm_usersa_info));
    uint16_t attr_len = attr->nla_len;
    attr->nla_len = (uint16_t)(first_len + 8);
    CHECK_INT_EQ(parse(len), -EBADMSG);
    /* The key longer than its attribute. */
    attr->nla_len = attr_len;
    struct xfrm_algo_aead aead;
    memcpy(&aead, mnl_attr_get_payload(attr), sizeof(aead));
    unsigned key_bits = aead.alg_key_len;
    aead.alg_key_len = 512;
    memcpy(mnl_attr_get_payload(attr), &aead, sizeof(aead));
    CHECK_INT_EQ(parse(len), -EBADMSG);
    aead.alg_key_len = key_bits;
    memcpy(mnl_attr_get_payload(attr), &aead, sizeof(aead));
    CHECK_INT_EQ(parse(len), 0);

    /* Not an SA: a policy message in an SA dump. */
    first->nlmsg_type = XFRM_MSG_NEWPOLICY;
    CHECK_INT_EQ(parse(len), -EBADMSG);
    first->nlmsg_type = XFRM_MSG_NEWSA;

    /* An SA of no address family we know. */
    struct xfrm_usersa_info p;
    memcpy(&p, mnl_nlmsg_get_payload(first), sizeof(p));
    p.family = 77;
    memcpy(mnl_nlmsg_get_payload(first), &p, sizeof(p));
    CHECK_INT_EQ(parse(len), -EBADMSG);
}

/* The kernel's error ends the dump with that error; DONE ends it. */
static void test_error_and_done(void)
{
    size_t len = build_dump();
    /* What follows DONE is not read. */
    memset(dump + len, 0xff, 24);
    CHECK_INT_EQ(parse(len + 24), 0);

    struct nlmsghdr *nlh = mnl_nlmsg_put_header(dump);
    nlh->nlmsg_type = NLMSG_ERROR;
    struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
    memset(err, 0, sizeof(*err));
    err->error = -EPERM;
    err->msg.nlmsg_len = sizeof(struct nlmsghdr);
    CHECK_INT_EQ(parse(nlh->nlmsg_len), -EPERM);

    /* An empty dump is an empty snapshot. */
    struct xfrm_snapshot *snap = NULL;
    CHECK_INT_EQ(xfrm_snapshot_parse(dump, 0, &snap), 0);
    CHECK(snap != NULL && xfrm_snapshot_size(snap) == 0);
    struct xfrm_sa_id id = id_v4(1, "192.0.2.1");
    CHECK(snap && xfrm_snapshot_find(snap, &id) == NULL);
    xfrm_snapshot_free(snap);
}

TEST_MAIN(TEST(test_lookup), TEST(test_truncated), TEST(test_malformed), TEST(test_error_and_done))
