/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * XFRM message encoding and decoding without a kernel: requests built by the
 * encoders parse back field by field, the batch code maps acks to their
 * requests, and the decoders reject every kind of malformed input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>

#include "testing.h"
#include "xfrm-handle.h"
#include "xfrm-msg.h"

static uint8_t buf[8192] __attribute__((aligned(8)));

static xfrm_address_t addr(int family, const char *s)
{
    xfrm_address_t a = {0};
    if (inet_pton(family, s, &a) != 1)
        abort();
    return a;
}

static bool addr_eq(const xfrm_address_t *a, const xfrm_address_t *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t k = 0; k < n; k++)
        p[k] = (uint8_t)(seed + k);
}

static struct xfrm_sa gcm_sa_v4(void)
{
    struct xfrm_sa sa = {
        .family = AF_INET,
        .src = addr(AF_INET, "192.0.2.1"),
        .dst = addr(AF_INET, "198.51.100.7"),
        .spi = 0xc0ffee01,
        .reqid = XFRM_VPND_REQID_BASE + 5,
        .mark = { .v = 0x42, .m = 0xff },
        .cipher = XFRM_CIPHER_AES_GCM_16,
        .enc_key_len = 36,
        .encap = true, .encap_sport = 4500, .encap_dport = 31337,
        .replay_window = 32,
        .lifetime = { .soft_bytes = 1000000, .hard_bytes = 2000000,
                      .soft_packets = 1000, .hard_packets = 2000,
                      .soft_seconds = 3000, .hard_seconds = 3600 },
    };
    fill(sa.enc_key, sa.enc_key_len, 0x10);
    return sa;
}

static void check_sa_eq(const struct xfrm_sa *a, const struct xfrm_sa *b)
{
    CHECK_INT_EQ(a->family, b->family);
    CHECK(addr_eq(&a->src, &b->src));
    CHECK(addr_eq(&a->dst, &b->dst));
    CHECK_INT_EQ(a->spi, b->spi);
    CHECK_INT_EQ(a->reqid, b->reqid);
    CHECK_INT_EQ(a->mark.v, b->mark.v);
    CHECK_INT_EQ(a->mark.m, b->mark.m);
    CHECK_INT_EQ(a->cipher, b->cipher);
    CHECK_INT_EQ(a->enc_key_len, b->enc_key_len);
    CHECK(memcmp(a->enc_key, b->enc_key, a->enc_key_len) == 0);
    CHECK_INT_EQ(a->integ, b->integ);
    CHECK_INT_EQ(a->integ_key_len, b->integ_key_len);
    CHECK(memcmp(a->integ_key, b->integ_key, a->integ_key_len) == 0);
    CHECK_INT_EQ(a->encap, b->encap);
    CHECK_INT_EQ(a->encap_sport, b->encap_sport);
    CHECK_INT_EQ(a->encap_dport, b->encap_dport);
    CHECK_INT_EQ(a->replay_window, b->replay_window);
    CHECK_INT_EQ(a->esn, b->esn);
    CHECK(memcmp(&a->lifetime, &b->lifetime, sizeof(a->lifetime)) == 0);
}

static void sa_gcm_v4_round_trip(void)
{
    struct xfrm_sa sa = gcm_sa_v4();
    struct nlmsghdr *nlh;
    struct xfrm_sa_info info;

    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), 0);
    CHECK_INT_EQ(nlh->nlmsg_type, XFRM_MSG_NEWSA);
    CHECK((nlh->nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)) ==
          (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), 0);
    check_sa_eq(&sa, &info.sa);
    /* A window of 32 fits the legacy field: no ESN attribute, so the
     * parser saw the replay window in the fixed header. */
    CHECK(!info.esn_state);
    CHECK_INT_EQ(info.sa.sel.family, 0);
    /* A selector of family 0 carries both inner families: the kernel must
     * be told not to give it the outer one. */
    struct xfrm_usersa_info p;
    memcpy(&p, mnl_nlmsg_get_payload(nlh), sizeof(p));
    CHECK(p.flags & XFRM_STATE_AF_UNSPEC);
    CHECK_INT_EQ(info.seq, 0);
    CHECK_INT_EQ(info.oseq, 0);

    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, true, &nlh), 0);
    CHECK_INT_EQ(nlh->nlmsg_type, XFRM_MSG_UPDSA);
    CHECK((nlh->nlmsg_flags & NLM_F_EXCL) == 0);

    /* An SA moved to another address keeps its replay state. */
    sa.has_replay_state = true;
    sa.replay_seq = 41;
    sa.replay_oseq = 1000;
    sa.replay_bitmap = 0xff;
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), 0);
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), 0);
    CHECK_INT_EQ(info.seq, 41);
    CHECK_INT_EQ(info.oseq, 1000);
    CHECK_INT_EQ(info.bitmap[0], 0xff);
}

static void sa_cbc_v6_esn_round_trip(void)
{
    struct xfrm_sa sa = {
        .family = AF_INET6,
        .src = addr(AF_INET6, "2001:db8::1"),
        .dst = addr(AF_INET6, "2001:db8:ffff::2"),
        .spi = 0x1234,
        .reqid = 77,
        .sel = { .family = AF_INET6, .src = addr(AF_INET6, "2001:db8:aa::"),
                 .src_prefixlen = 48, .dst = addr(AF_INET6, "2001:db8:bb::5"),
                 .dst_prefixlen = 128, .proto = IPPROTO_UDP, .sport = 53, .dport = 5353 },
        .cipher = XFRM_CIPHER_AES_CBC,
        .enc_key_len = 32,
        .integ = XFRM_INTEG_HMAC_SHA256_128,
        .integ_key_len = 32,
        .replay_window = 1024,
        .esn = true,
        .lifetime = { .hard_seconds = 60 },
    };
    fill(sa.enc_key, 32, 0x30);
    fill(sa.integ_key, 32, 0x90);
    struct nlmsghdr *nlh;
    struct xfrm_sa_info info;

    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), 0);
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), 0);
    check_sa_eq(&sa, &info.sa);
    CHECK(info.esn_state);
    CHECK_INT_EQ(info.bitmap_words, 32);
    CHECK_INT_EQ(info.oseq, 0);
    CHECK_INT_EQ(info.replay_state_window, 1024);
    CHECK_INT_EQ(info.sa.sel.family, AF_INET6);
    CHECK(addr_eq(&info.sa.sel.src, &sa.sel.src));
    CHECK(addr_eq(&info.sa.sel.dst, &sa.sel.dst));
    CHECK_INT_EQ(info.sa.sel.src_prefixlen, 48);
    CHECK_INT_EQ(info.sa.sel.dst_prefixlen, 128);
    CHECK_INT_EQ(info.sa.sel.proto, IPPROTO_UDP);
    CHECK_INT_EQ(info.sa.sel.sport, 53);
    CHECK_INT_EQ(info.sa.sel.dport, 5353);
    /* Unlimited lifetimes are XFRM_INF on the wire: check the raw header. */
    struct xfrm_usersa_info p;
    memcpy(&p, mnl_nlmsg_get_payload(nlh), sizeof(p));
    CHECK(p.lft.soft_byte_limit == XFRM_INF);
    CHECK(p.lft.hard_packet_limit == XFRM_INF);
    CHECK_INT_EQ(p.replay_window, 0);           /* required with the ESN attribute */
    CHECK(p.flags & XFRM_STATE_ESN);
    CHECK_INT_EQ(p.mode, XFRM_MODE_TUNNEL);
    CHECK_INT_EQ(p.id.proto, IPPROTO_ESP);
    CHECK(!(p.flags & XFRM_STATE_AF_UNSPEC));   /* the selector has a family */

    sa.has_replay_state = true;
    sa.replay_oseq = 7;
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), 0);
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), 0);
    CHECK(info.esn_state);
    CHECK_INT_EQ(info.oseq, 7);
}

static void sa_every_algorithm(void)
{
    static const struct { enum xfrm_cipher c; size_t ek; enum xfrm_integ i; size_t ik;
                          const char *cn, *in; unsigned trunc; } cases[] = {
        { XFRM_CIPHER_AES_GCM_16, 20, XFRM_INTEG_NONE, 0, "rfc4106(gcm(aes))", NULL, 0 },
        { XFRM_CIPHER_AES_CBC, 16, XFRM_INTEG_HMAC_SHA1_96, 20, "cbc(aes)", "hmac(sha1)", 96 },
        { XFRM_CIPHER_AES_CBC, 24, XFRM_INTEG_HMAC_SHA384_192, 48, "cbc(aes)", "hmac(sha384)", 192 },
        { XFRM_CIPHER_3DES_CBC, 24, XFRM_INTEG_HMAC_SHA512_256, 64, "cbc(des3_ede)", "hmac(sha512)", 256 },
        { XFRM_CIPHER_3DES_CBC, 24, XFRM_INTEG_HMAC_SHA256_128, 32, "cbc(des3_ede)", "hmac(sha256)", 128 },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct xfrm_sa sa = gcm_sa_v4();
        struct nlmsghdr *nlh;
        struct xfrm_sa_info info;
        sa.cipher = cases[k].c;
        sa.enc_key_len = (uint16_t)cases[k].ek;
        sa.integ = cases[k].i;
        sa.integ_key_len = (uint16_t)cases[k].ik;
        fill(sa.integ_key, cases[k].ik, (uint8_t)k);
        CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), 0);
        CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), 0);
        check_sa_eq(&sa, &info.sa);
        CHECK_STR_EQ(xfrm_cipher_name(info.sa.cipher), cases[k].cn);
        if (cases[k].in) {
            CHECK_STR_EQ(xfrm_integ_name(info.sa.integ), cases[k].in);
            CHECK_INT_EQ(xfrm_integ_trunc_bits(info.sa.integ), cases[k].trunc);
        }
    }
}

static void sa_encoder_rejects_nonsense(void)
{
    struct nlmsghdr *nlh;
    struct xfrm_sa sa;

    sa = gcm_sa_v4(); sa.enc_key_len = 16;          /* GCM without its salt */
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), -EINVAL);
    sa = gcm_sa_v4(); sa.integ = XFRM_INTEG_HMAC_SHA1_96; sa.integ_key_len = 20;
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), -EINVAL);
    sa = gcm_sa_v4(); sa.cipher = XFRM_CIPHER_AES_CBC; sa.enc_key_len = 16;  /* no integrity */
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), -EINVAL);
    sa = gcm_sa_v4(); sa.cipher = XFRM_CIPHER_AES_CBC; sa.enc_key_len = 16;
    sa.integ = XFRM_INTEG_HMAC_SHA256_128; sa.integ_key_len = 20;             /* wrong key size */
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), -EINVAL);
    sa = gcm_sa_v4(); sa.spi = 0;
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), -EINVAL);
    sa = gcm_sa_v4(); sa.family = AF_UNIX;
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), -EINVAL);
    sa = gcm_sa_v4(); sa.replay_window = XFRMA_REPLAY_ESN_MAX + 1;
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), -EINVAL);
    sa = gcm_sa_v4(); sa.encap_dport = 0;
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), -EINVAL);
    sa = gcm_sa_v4(); sa.cipher = (enum xfrm_cipher)99;
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh), -EINVAL);
    sa = gcm_sa_v4();
    CHECK_INT_EQ(xfrm_msg_sa_add(buf, 300, &sa, false, &nlh), -EMSGSIZE);
    /* A failed encoding leaves no key bytes behind in the buffer. */
    CHECK(memmem(buf, 300, sa.enc_key, 8) == NULL);
}

static struct xfrm_sp client_policy(void)
{
    struct xfrm_sp sp = {
        .sel = { .family = AF_INET, .src = addr(AF_INET, "10.8.0.9"), .src_prefixlen = 32,
                 .dst = addr(AF_INET, "0.0.0.0"), .dst_prefixlen = 0,
                 .proto = IPPROTO_TCP, .dport = 443 },
        .dir = XFRM_POLICY_FWD,
        .action = XFRM_POLICY_ALLOW,
        .priority = 2000,
        .mark = { .v = 7, .m = 0xffffffff },
        .soft_seconds = 100, .hard_seconds = 200,
        .n_tmpl = 1,
        .tmpl = { { .family = AF_INET6, .src = addr(AF_INET6, "2001:db8::7"),
                    .dst = addr(AF_INET6, "2001:db8::1"), .reqid = XFRM_VPND_REQID_BASE + 9 } },
    };
    return sp;
}

static void sp_round_trip(void)
{
    struct xfrm_sp sp = client_policy(), out;
    struct nlmsghdr *nlh;

    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), 0);
    CHECK_INT_EQ(nlh->nlmsg_type, XFRM_MSG_NEWPOLICY);
    CHECK_INT_EQ(xfrm_parse_sp(nlh, &out), 0);
    CHECK_INT_EQ(out.sel.family, AF_INET);
    CHECK(addr_eq(&out.sel.src, &sp.sel.src));
    CHECK(addr_eq(&out.sel.dst, &sp.sel.dst));
    CHECK_INT_EQ(out.sel.src_prefixlen, 32);
    CHECK_INT_EQ(out.sel.dst_prefixlen, 0);
    CHECK_INT_EQ(out.sel.proto, IPPROTO_TCP);
    CHECK_INT_EQ(out.sel.sport, 0);
    CHECK_INT_EQ(out.sel.dport, 443);
    CHECK_INT_EQ(out.dir, XFRM_POLICY_FWD);
    CHECK_INT_EQ(out.action, XFRM_POLICY_ALLOW);
    CHECK_INT_EQ(out.priority, 2000);
    CHECK_INT_EQ(out.mark.v, 7);
    CHECK_INT_EQ(out.mark.m, 0xffffffff);
    CHECK_INT_EQ(out.soft_seconds, 100);
    CHECK_INT_EQ(out.hard_seconds, 200);
    CHECK_INT_EQ(out.n_tmpl, 1);
    CHECK_INT_EQ(out.tmpl[0].family, AF_INET6);
    CHECK(addr_eq(&out.tmpl[0].src, &sp.tmpl[0].src));
    CHECK(addr_eq(&out.tmpl[0].dst, &sp.tmpl[0].dst));
    CHECK_INT_EQ(out.tmpl[0].reqid, XFRM_VPND_REQID_BASE + 9);
    CHECK(!out.tmpl[0].optional);

    sp.n_tmpl = 0;
    sp.mark.m = 0;
    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, true, &nlh), 0);
    CHECK_INT_EQ(nlh->nlmsg_type, XFRM_MSG_UPDPOLICY);
    CHECK_INT_EQ(xfrm_parse_sp(nlh, &out), 0);
    CHECK_INT_EQ(out.n_tmpl, 0);
    CHECK_INT_EQ(out.mark.m, 0);
}

static void sp_encoder_rejects_nonsense(void)
{
    struct nlmsghdr *nlh;
    struct xfrm_sp sp;

    sp = client_policy(); sp.dir = 3;
    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), -EINVAL);
    sp = client_policy(); sp.action = 2;
    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), -EINVAL);
    sp = client_policy(); sp.sel.src_prefixlen = 33;
    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), -EINVAL);
    sp = client_policy(); sp.sel.proto = IPPROTO_ICMP;      /* ports without a port protocol */
    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), -EINVAL);
    sp = client_policy(); sp.sel.family = 0;
    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), -EINVAL);
    sp = client_policy(); sp.n_tmpl = XFRM_SP_TMPL_MAX + 1;
    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), -EINVAL);
    sp = client_policy(); sp.tmpl[0].family = 0;
    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), -EINVAL);
}

static void ids_encode(void)
{
    struct nlmsghdr *nlh;
    struct xfrm_sa_id sid = { .family = AF_INET6, .dst = addr(AF_INET6, "2001:db8::9"),
                              .spi = 0xabcdef01, .mark = { 1, 1 } };
    CHECK_INT_EQ(xfrm_msg_sa_id(buf, sizeof(buf), XFRM_MSG_DELSA, &sid, &nlh), 0);
    struct xfrm_usersa_id u;
    CHECK(mnl_nlmsg_get_payload_len(nlh) >= sizeof(u));
    memcpy(&u, mnl_nlmsg_get_payload(nlh), sizeof(u));
    CHECK_INT_EQ(u.family, AF_INET6);
    CHECK_INT_EQ(ntohl(u.spi), 0xabcdef01);
    CHECK_INT_EQ(u.proto, IPPROTO_ESP);
    CHECK(addr_eq(&u.daddr, &sid.dst));
    const struct nlattr *a = mnl_nlmsg_get_payload_offset(nlh, sizeof(u));
    CHECK_INT_EQ(mnl_attr_get_type(a), XFRMA_MARK);
    CHECK_INT_EQ(xfrm_msg_sa_id(buf, sizeof(buf), XFRM_MSG_NEWSA, &sid, &nlh), -EINVAL);

    struct xfrm_sp_id pid = { .dir = XFRM_POLICY_OUT, .index = 0x1231 };
    CHECK_INT_EQ(xfrm_msg_sp_id(buf, sizeof(buf), XFRM_MSG_DELPOLICY, &pid, &nlh), 0);
    struct xfrm_userpolicy_id up;
    memcpy(&up, mnl_nlmsg_get_payload(nlh), sizeof(up));
    CHECK_INT_EQ(up.index, 0x1231);
    CHECK_INT_EQ(up.dir, XFRM_POLICY_OUT);
    pid.index = 0;              /* by selector: it must then be valid */
    CHECK_INT_EQ(xfrm_msg_sp_id(buf, sizeof(buf), XFRM_MSG_DELPOLICY, &pid, &nlh), -EINVAL);

    xfrm_address_t s = addr(AF_INET, "192.0.2.1"), d = addr(AF_INET, "192.0.2.2");
    CHECK_INT_EQ(xfrm_msg_allocspi(buf, sizeof(buf), AF_INET, &s, &d, 5, NULL, 0x100, 0xfff, &nlh), 0);
    struct xfrm_userspi_info si;
    memcpy(&si, mnl_nlmsg_get_payload(nlh), sizeof(si));
    CHECK_INT_EQ(si.min, 0x100);
    CHECK_INT_EQ(si.max, 0xfff);
    CHECK_INT_EQ(si.info.reqid, 5);
    CHECK_INT_EQ(xfrm_msg_allocspi(buf, sizeof(buf), AF_INET, &s, &d, 5, NULL, 10, 0xfff, &nlh), -EINVAL);
    CHECK_INT_EQ(xfrm_msg_allocspi(buf, sizeof(buf), AF_INET, &s, &d, 5, NULL, 0x900, 0x800, &nlh), -EINVAL);
}

/* Builds an NLMSG_ERROR for seq with an optional ext-ack text. */
static struct nlmsghdr *make_ack(void *b, uint32_t seq, int error, const char *text, bool capped)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);
    nlh->nlmsg_type = NLMSG_ERROR;
    nlh->nlmsg_seq = seq;
    struct nlmsgerr e = { .error = error, .msg = { .nlmsg_len = capped ? 16 : 24, .nlmsg_seq = seq } };
    void *p = mnl_nlmsg_put_extra_header(nlh, sizeof(e));
    memcpy(p, &e, sizeof(e));
    if (!capped)
        mnl_nlmsg_put_extra_header(nlh, 8);     /* the echoed request's payload */
    if (capped)
        nlh->nlmsg_flags |= NLM_F_CAPPED;
    if (text) {
        nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
        mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
    }
    return nlh;
}

static void ack_with_ext_ack(void)
{
    struct xfrm_status st;

    CHECK_INT_EQ(xfrm_parse_ack(make_ack(buf, 1, -EINVAL, "Policy index doesn't match direction", true), &st), 0);
    CHECK_INT_EQ(st.error, -EINVAL);
    CHECK_STR_EQ(st.message, "Policy index doesn't match direction");
    CHECK_INT_EQ(xfrm_parse_ack(make_ack(buf, 1, -ENOENT, "uncapped text", false), &st), 0);
    CHECK_INT_EQ(st.error, -ENOENT);
    CHECK_STR_EQ(st.message, "uncapped text");
    CHECK_INT_EQ(xfrm_parse_ack(make_ack(buf, 1, 0, NULL, true), &st), 0);
    CHECK_INT_EQ(st.error, 0);
    CHECK_STR_EQ(st.message, "");
    /* A text longer than our buffer is cut, still terminated. */
    char longtext[600];
    memset(longtext, 'x', sizeof(longtext) - 1);
    longtext[sizeof(longtext) - 1] = '\0';
    CHECK_INT_EQ(xfrm_parse_ack(make_ack(buf, 1, -EINVAL, longtext, true), &st), 0);
    CHECK_INT_EQ(strlen(st.message), XFRM_ERRMSG_MAX - 1);
}

static void ack_malformed(void)
{
    struct xfrm_status st;
    struct nlmsghdr *nlh;

    /* Text without its terminating NUL. */
    nlh = make_ack(buf, 1, -EINVAL, "abc", true);
    struct nlattr *a = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nlmsgerr));
    ((char *)mnl_attr_get_payload(a))[3] = 'd';
    CHECK_INT_EQ(xfrm_parse_ack(nlh, &st), -EBADMSG);
    /* Too short for struct nlmsgerr. */
    nlh = make_ack(buf, 1, -EINVAL, NULL, true);
    nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 8;
    CHECK_INT_EQ(xfrm_parse_ack(nlh, &st), -EBADMSG);
    /* An echoed request longer than the message. */
    nlh = make_ack(buf, 1, -EINVAL, "t", false);
    struct nlmsgerr e;
    memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
    e.msg.nlmsg_len = 4000;
    memcpy(mnl_nlmsg_get_payload(nlh), &e, sizeof(e));
    CHECK_INT_EQ(xfrm_parse_ack(nlh, &st), -EBADMSG);
    /* A positive "errno". */
    CHECK_INT_EQ(xfrm_parse_ack(make_ack(buf, 1, 5, NULL, true), &st), -EBADMSG);
}

static int done_calls;
static void record_done(const struct xfrm_status *st, void *userdata)
{
    (void)st;
    (void)userdata;
    done_calls++;
}

static void batch_maps_acks_to_requests(void)
{
    struct xfrm_request reqs[4];
    static uint8_t b[256] __attribute__((aligned(8)));
    for (size_t k = 0; k < 4; k++)
        reqs[k] = (struct xfrm_request){ .seq = 0xfffffffe + (uint32_t)k + (k >= 2), .done = record_done };
    /* seqs: 0xfffffffe, 0xffffffff, 1, 2 (0 is skipped at the wrap) */
    CHECK_INT_EQ(reqs[2].seq, 1);

    xfrm_batch_take_answer(reqs, 4, make_ack(b, 1, -EEXIST, "exists", true));
    xfrm_batch_take_answer(reqs, 4, make_ack(b, 0xfffffffe, 0, NULL, true));
    xfrm_batch_take_answer(reqs, 4, make_ack(b, 77, -EPERM, NULL, true));      /* not ours */
    CHECK(reqs[0].answered);
    CHECK_INT_EQ(reqs[0].st.error, 0);
    CHECK(!reqs[1].answered);
    CHECK(reqs[2].answered);
    CHECK_INT_EQ(reqs[2].st.error, -EEXIST);
    CHECK_STR_EQ(reqs[2].st.message, "exists");
    CHECK(!reqs[3].answered);
    /* A second answer for the same request does not overwrite the first. */
    xfrm_batch_take_answer(reqs, 4, make_ack(b, 1, 0, NULL, true));
    CHECK_INT_EQ(reqs[2].st.error, -EEXIST);
    /* A non-ack message with a matching seq is ignored. */
    struct nlmsghdr *nlh = make_ack(b, 2, 0, NULL, true);
    nlh->nlmsg_type = XFRM_MSG_NEWSA;
    xfrm_batch_take_answer(reqs, 4, nlh);
    CHECK(!reqs[3].answered);
    /* A malformed ack is an error for its request, not a crash. */
    nlh = make_ack(b, 2, -EINVAL, NULL, true);
    nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
    xfrm_batch_take_answer(reqs, 4, nlh);
    CHECK(reqs[3].answered);
    CHECK_INT_EQ(reqs[3].st.error, -EBADMSG);
    CHECK_INT_EQ(done_calls, 0);    /* mapping never runs callbacks itself */
}

/* Appends a raw attribute of len bytes (contents from data, may be NULL). */
static void put_raw(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data)
{
    static const uint8_t zeros[1024];
    mnl_attr_put(nlh, type, len, data ? data : zeros);
}

static struct nlmsghdr *valid_sa_msg(void)
{
    struct xfrm_sa sa = gcm_sa_v4();
    struct nlmsghdr *nlh;
    if (xfrm_msg_sa_add(buf, sizeof(buf), &sa, false, &nlh) < 0)
        abort();
    return nlh;
}

static void sa_parser_rejects_malformed(void)
{
    struct xfrm_sa_info info;
    struct nlmsghdr *nlh;

    /* Payload shorter than struct xfrm_usersa_info. */
    nlh = valid_sa_msg();
    nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(struct xfrm_usersa_info) - 4;
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);

    /* A mark of 4 bytes instead of 8. */
    nlh = valid_sa_msg();
    put_raw(nlh, XFRMA_MARK, 4, NULL);
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);

    /* An encap template one byte long. */
    nlh = valid_sa_msg();
    put_raw(nlh, XFRMA_ENCAP, 1, NULL);
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);

    /* A key length (in bits) larger than the attribute holds. */
    nlh = valid_sa_msg();
    struct xfrm_algo_auth aa = { .alg_name = "hmac(sha1)", .alg_key_len = 160, .alg_trunc_len = 96 };
    put_raw(nlh, XFRMA_ALG_AUTH_TRUNC, sizeof(aa) + 8, NULL);
    struct nlattr *last = (struct nlattr *)((uint8_t *)nlh + nlh->nlmsg_len -
                                            MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof(aa) + 8));
    memcpy(mnl_attr_get_payload(last), &aa, sizeof(aa));
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);

    /* An algorithm name without a NUL in its 64 bytes. */
    nlh = valid_sa_msg();
    struct xfrm_algo ca;
    memset(ca.alg_name, 'a', sizeof(ca.alg_name));
    ca.alg_key_len = 0;
    put_raw(nlh, XFRMA_ALG_CRYPT, sizeof(ca), &ca);
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);

    /* An ESN state claiming more bitmap words than it carries. */
    nlh = valid_sa_msg();
    struct xfrm_replay_state_esn esn = { .bmp_len = 4, .replay_window = 128 };
    put_raw(nlh, XFRMA_REPLAY_ESN_VAL, sizeof(esn) + 8, NULL);
    last = (struct nlattr *)((uint8_t *)nlh + nlh->nlmsg_len - MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof(esn) + 8));
    memcpy(mnl_attr_get_payload(last), &esn, sizeof(esn));
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);

    /* An ESN bitmap larger than the kernel's maximum. */
    nlh = valid_sa_msg();
    esn.bmp_len = XFRM_REPLAY_BITMAP_WORDS + 1;
    put_raw(nlh, XFRMA_REPLAY_ESN_VAL, sizeof(esn) + esn.bmp_len * 4, NULL);
    last = (struct nlattr *)((uint8_t *)nlh + nlh->nlmsg_len -
                             MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof(esn) + esn.bmp_len * 4));
    memcpy(mnl_attr_get_payload(last), &esn, sizeof(esn));
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);

    /* An attribute header claiming more bytes than the message has. */
    nlh = valid_sa_msg();
    put_raw(nlh, XFRMA_LASTUSED, 8, NULL);
    last = (struct nlattr *)((uint8_t *)nlh + nlh->nlmsg_len - MNL_ALIGN(MNL_ATTR_HDRLEN + 8));
    last->nla_len = 200;
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);

    /* Trailing bytes too short for an attribute header. */
    nlh = valid_sa_msg();
    nlh->nlmsg_len += 2;
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);

    /* A wrong message type, and an unknown family. */
    nlh = valid_sa_msg();
    nlh->nlmsg_type = XFRM_MSG_NEWPOLICY;
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);
    nlh = valid_sa_msg();
    struct xfrm_usersa_info p;
    memcpy(&p, mnl_nlmsg_get_payload(nlh), sizeof(p));
    p.family = 99;
    memcpy(mnl_nlmsg_get_payload(nlh), &p, sizeof(p));
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), -EBADMSG);

    /* Unknown attributes (newer kernels) are skipped, not errors. */
    nlh = valid_sa_msg();
    put_raw(nlh, XFRMA_MAX + 5, 3, NULL);
    put_raw(nlh, XFRMA_IF_ID, 4, NULL);
    CHECK_INT_EQ(xfrm_parse_sa(nlh, &info), 0);
}

static void sp_parser_rejects_malformed(void)
{
    struct xfrm_sp sp = client_policy(), out;
    struct nlmsghdr *nlh;

    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), 0);
    put_raw(nlh, XFRMA_TMPL, sizeof(struct xfrm_user_tmpl) + 3, NULL);
    CHECK_INT_EQ(xfrm_parse_sp(nlh, &out), -EBADMSG);

    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), 0);
    nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 10;
    CHECK_INT_EQ(xfrm_parse_sp(nlh, &out), -EBADMSG);

    /* More templates than we keep: the first ones are kept, no overflow. */
    sp.n_tmpl = 0;
    CHECK_INT_EQ(xfrm_msg_sp_add(buf, sizeof(buf), &sp, false, &nlh), 0);
    struct xfrm_user_tmpl t[XFRM_SP_TMPL_MAX + 2] = {0};
    for (size_t k = 0; k < XFRM_SP_TMPL_MAX + 2; k++) {
        t[k].family = AF_INET;
        t[k].reqid = (uint32_t)k + 1;
    }
    put_raw(nlh, XFRMA_TMPL, sizeof(t), t);
    CHECK_INT_EQ(xfrm_parse_sp(nlh, &out), 0);
    CHECK_INT_EQ(out.n_tmpl, XFRM_SP_TMPL_MAX);
    CHECK_INT_EQ(out.tmpl[XFRM_SP_TMPL_MAX - 1].reqid, XFRM_SP_TMPL_MAX);
}

static struct nlmsghdr *event_msg(uint16_t type, const void *hdr, size_t len)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    memcpy(mnl_nlmsg_put_extra_header(nlh, len), hdr, len);
    return nlh;
}

static void events_decode(void)
{
    struct xfrm_event ev;
    struct xfrm_mark mark = { 3, 0xf };

    struct xfrm_user_expire ue = {0};
    ue.state.family = AF_INET;
    ue.state.id.daddr = addr(AF_INET, "203.0.113.5");
    ue.state.id.spi = htonl(0x9999);
    ue.state.id.proto = IPPROTO_ESP;
    ue.state.saddr = addr(AF_INET, "203.0.113.1");
    ue.state.reqid = XFRM_VPND_REQID_BASE + 1;
    ue.state.curlft.bytes = 4096;
    ue.state.curlft.packets = 12;
    ue.hard = 1;
    struct nlmsghdr *nlh = event_msg(XFRM_MSG_EXPIRE, &ue, sizeof(ue));
    mnl_attr_put(nlh, XFRMA_MARK, sizeof(mark), &mark);
    CHECK_INT_EQ(xfrm_parse_event(nlh, &ev), 0);
    CHECK_INT_EQ(ev.type, XFRM_EVENT_EXPIRE);
    CHECK(ev.expire.hard);
    CHECK_INT_EQ(ev.expire.info.sa.spi, 0x9999);
    CHECK_INT_EQ(ev.expire.info.sa.reqid, XFRM_VPND_REQID_BASE + 1);
    CHECK_INT_EQ(ev.expire.info.cur.bytes, 4096);
    CHECK_INT_EQ(ev.expire.info.cur.packets, 12);
    CHECK_INT_EQ(ev.expire.info.sa.mark.v, 3);
    CHECK(addr_eq(&ev.expire.info.sa.dst, &ue.state.id.daddr));
    nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(ue) - 8;
    CHECK_INT_EQ(xfrm_parse_event(nlh, &ev), -EBADMSG);

    struct xfrm_user_mapping um = {0};
    um.id.family = AF_INET;
    um.id.daddr = addr(AF_INET, "192.0.2.1");
    um.id.spi = htonl(0x4321);
    um.reqid = 8;
    um.old_saddr = addr(AF_INET, "198.51.100.1");
    um.new_saddr = addr(AF_INET, "198.51.100.2");
    um.old_sport = htons(4500);
    um.new_sport = htons(61000);
    nlh = event_msg(XFRM_MSG_MAPPING, &um, sizeof(um));
    CHECK_INT_EQ(xfrm_parse_event(nlh, &ev), 0);
    CHECK_INT_EQ(ev.type, XFRM_EVENT_MAPPING);
    CHECK_INT_EQ(ev.mapping.id.spi, 0x4321);
    CHECK_INT_EQ(ev.mapping.reqid, 8);
    CHECK(addr_eq(&ev.mapping.old_src, &um.old_saddr));
    CHECK(addr_eq(&ev.mapping.new_src, &um.new_saddr));
    CHECK_INT_EQ(ev.mapping.old_sport, 4500);
    CHECK_INT_EQ(ev.mapping.new_sport, 61000);
    nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(um) - 4;
    CHECK_INT_EQ(xfrm_parse_event(nlh, &ev), -EBADMSG);

    struct xfrm_user_acquire ua = {0};
    ua.id.daddr = addr(AF_INET, "192.0.2.9");
    ua.saddr = addr(AF_INET, "192.0.2.1");
    ua.sel.family = AF_INET;
    ua.sel.daddr = addr(AF_INET, "10.8.0.4");
    ua.sel.prefixlen_d = 32;
    ua.policy.dir = XFRM_POLICY_OUT;
    ua.policy.index = 0x11;
    ua.seq = 99;
    struct xfrm_user_tmpl tmpl = { .family = AF_INET, .reqid = XFRM_VPND_REQID_BASE + 3 };
    nlh = event_msg(XFRM_MSG_ACQUIRE, &ua, sizeof(ua));
    mnl_attr_put(nlh, XFRMA_TMPL, sizeof(tmpl), &tmpl);
    CHECK_INT_EQ(xfrm_parse_event(nlh, &ev), 0);
    CHECK_INT_EQ(ev.type, XFRM_EVENT_ACQUIRE);
    CHECK_INT_EQ(ev.acquire.family, AF_INET);
    CHECK_INT_EQ(ev.acquire.reqid, XFRM_VPND_REQID_BASE + 3);
    CHECK_INT_EQ(ev.acquire.seq, 99);
    CHECK_INT_EQ(ev.acquire.policy.index, 0x11);
    CHECK_INT_EQ(ev.acquire.sel.dst_prefixlen, 32);
    CHECK(addr_eq(&ev.acquire.dst, &ua.id.daddr));

    struct xfrm_user_polexpire up = {0};
    up.pol.sel.family = AF_INET6;
    up.pol.dir = XFRM_POLICY_IN;
    up.pol.index = 0x20;
    up.pol.priority = 5;
    up.hard = 0;
    nlh = event_msg(XFRM_MSG_POLEXPIRE, &up, sizeof(up));
    CHECK_INT_EQ(xfrm_parse_event(nlh, &ev), 0);
    CHECK_INT_EQ(ev.type, XFRM_EVENT_POLEXPIRE);
    CHECK(!ev.polexpire.hard);
    CHECK_INT_EQ(ev.polexpire.sp.index, 0x20);
    CHECK_INT_EQ(ev.polexpire.sp.priority, 5);
    CHECK_INT_EQ(ev.polexpire.sp.sel.family, AF_INET6);

    nlh = event_msg(XFRM_MSG_NEWAE, &up, sizeof(up));
    CHECK_INT_EQ(xfrm_parse_event(nlh, &ev), -EOPNOTSUPP);
}

static void spd_thresholds(void)
{
    struct nlmsghdr *nlh;
    struct xfrm_spd_hthresh t;
    struct xfrm_spd_hthresh bad = { .lbits4 = 33 };

    CHECK_INT_EQ(xfrm_msg_spd_set_hthresh(buf, sizeof(buf), &bad, &nlh), -EINVAL);
    bad = (struct xfrm_spd_hthresh){ .rbits6 = 129 };
    CHECK_INT_EQ(xfrm_msg_spd_set_hthresh(buf, sizeof(buf), &bad, &nlh), -EINVAL);
    CHECK_INT_EQ(xfrm_msg_spd_set_hthresh(buf, sizeof(buf), &xfrm_spd_hthresh_remote_access, &nlh), 0);
    /* The answer to GETSPDINFO has the same shape: parse the request back. */
    CHECK_INT_EQ(xfrm_parse_spdinfo(nlh, &t), 0);
    CHECK_INT_EQ(t.lbits4, 0);
    CHECK_INT_EQ(t.rbits4, 32);
    CHECK_INT_EQ(t.lbits6, 0);
    CHECK_INT_EQ(t.rbits6, 128);
    put_raw(nlh, XFRMA_SPD_IPV4_HTHRESH, 1, NULL);
    CHECK_INT_EQ(xfrm_parse_spdinfo(nlh, &t), -EBADMSG);
}

static void reqid_range(void)
{
    CHECK(xfrm_reqid_is_owned(XFRM_VPND_REQID_BASE));
    CHECK(xfrm_reqid_is_owned(XFRM_VPND_REQID_BASE + XFRM_VPND_REQID_COUNT - 1));
    CHECK(!xfrm_reqid_is_owned(XFRM_VPND_REQID_BASE + XFRM_VPND_REQID_COUNT));
    CHECK(!xfrm_reqid_is_owned(XFRM_VPND_REQID_BASE - 1));
    CHECK(!xfrm_reqid_is_owned(0));
    CHECK(!xfrm_reqid_is_owned(1));
}

TEST_MAIN(
    TEST(sa_gcm_v4_round_trip),
    TEST(sa_cbc_v6_esn_round_trip),
    TEST(sa_every_algorithm),
    TEST(sa_encoder_rejects_nonsense),
    TEST(sp_round_trip),
    TEST(sp_encoder_rejects_nonsense),
    TEST(ids_encode),
    TEST(ack_with_ext_ack),
    TEST(ack_malformed),
    TEST(batch_maps_acks_to_requests),
    TEST(sa_parser_rejects_malformed),
    TEST(sp_parser_rejects_malformed),
    TEST(events_decode),
    TEST(spd_thresholds),
    TEST(reqid_range),
)
