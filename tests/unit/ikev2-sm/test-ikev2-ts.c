/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Traffic selector narrowing and the CP reply. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ikev2-cp.h"
#include "ikev2-ts.h"
#include "testing.h"

static struct ikev2_ts_selector range(const char *start, const char *end)
{
    struct ikev2_ts_selector s = { .type = IKEV2_TS_IPV4_ADDR_RANGE, .start_port = 0, .end_port = 0xffff };
    CHECK(inet_pton(AF_INET, start, s.start_addr) == 1);
    CHECK(inet_pton(AF_INET, end, s.end_addr) == 1);
    return s;
}

static struct ikev2_ts_selector range6(const char *start, const char *end)
{
    struct ikev2_ts_selector s = { .type = IKEV2_TS_IPV6_ADDR_RANGE, .start_port = 0, .end_port = 0xffff };
    CHECK(inet_pton(AF_INET6, start, s.start_addr) == 1);
    CHECK(inet_pton(AF_INET6, end, s.end_addr) == 1);
    return s;
}

static struct config_prefix prefix6(const char *addr, unsigned len)
{
    struct config_prefix p = { .addr = { .family = AF_INET6 }, .prefix_len = len };
    CHECK(inet_pton(AF_INET6, addr, &p.addr.in6) == 1);
    return p;
}

static struct config_prefix prefix(const char *addr, unsigned len)
{
    struct config_prefix p = { .addr = { .family = AF_INET }, .prefix_len = len };
    CHECK(inet_pton(AF_INET, addr, &p.addr.in) == 1);
    return p;
}

static const char *fmt(const struct ikev2_ts_selector *s)
{
    static char buf[4][64];
    static int k;
    k = (k + 1) % 4;
    return ikev2_ts_format(s, buf[k], sizeof(buf[k]));
}

static void test_tsi(void)
{
    static struct ikev2_ts ts;
    struct ikev2_ts_selector out;
    struct config_address vip = { .family = AF_INET };
    inet_pton(AF_INET, "10.3.0.10", &vip.in);

    memset(&ts, 0, sizeof(ts));
    ts.sel[ts.n++] = range("0.0.0.0", "255.255.255.255");
    CHECK_INT_EQ(ikev2_narrow_tsi(&ts, &vip, &out), 0);
    CHECK_STR_EQ(fmt(&out), "10.3.0.10/32");
    CHECK_INT_EQ(out.start_port, 0);
    CHECK_INT_EQ(out.end_port, 0xffff);

    /* An IPv6 selector first is skipped; one that excludes the address fails. */
    memset(&ts, 0, sizeof(ts));
    ts.sel[ts.n] = range("0.0.0.0", "0.0.0.0");
    ts.sel[ts.n++].type = IKEV2_TS_IPV6_ADDR_RANGE;
    ts.sel[ts.n++] = range("192.0.2.0", "192.0.2.255");
    CHECK_INT_EQ(ikev2_narrow_tsi(&ts, &vip, &out), -ENOENT);
    ts.sel[ts.n++] = range("10.3.0.0", "10.3.0.255");
    CHECK_INT_EQ(ikev2_narrow_tsi(&ts, &vip, &out), 0);
    CHECK_STR_EQ(fmt(&out), "10.3.0.10/32");

    /* A port-restricted selector cannot carry a remote-access tunnel. */
    memset(&ts, 0, sizeof(ts));
    ts.sel[ts.n] = range("0.0.0.0", "255.255.255.255");
    ts.sel[ts.n++].ip_protocol = 6;
    CHECK_INT_EQ(ikev2_narrow_tsi(&ts, &vip, &out), -ENOENT);
    /* Reversed range. */
    ts.sel[0] = range("10.3.0.20", "10.3.0.1");
    CHECK_INT_EQ(ikev2_narrow_tsi(&ts, &vip, &out), -ENOENT);
}

static void test_tsr_full_tunnel(void)
{
    static struct ikev2_ts ts;
    struct ikev2_ts_selector out[IKEV2_TS_OUT_MAX];
    memset(&ts, 0, sizeof(ts));
    ts.sel[ts.n++] = range("0.0.0.0", "255.255.255.255");
    CHECK_INT_EQ(ikev2_narrow_tsr(&ts, NULL, 0, IKEV2_TS_FAMILY_IP4, out, IKEV2_TS_OUT_MAX), 1);
    CHECK_STR_EQ(fmt(&out[0]), "0.0.0.0/0");

    /* The client asks for less: it gets what it asked for. */
    memset(&ts, 0, sizeof(ts));
    ts.sel[ts.n++] = range("198.51.100.0", "198.51.100.255");
    CHECK_INT_EQ(ikev2_narrow_tsr(&ts, NULL, 0, IKEV2_TS_FAMILY_IP4, out, IKEV2_TS_OUT_MAX), 1);
    CHECK_STR_EQ(fmt(&out[0]), "198.51.100.0/24");
}

static void test_tsr_split_include(void)
{
    static struct ikev2_ts ts;
    struct ikev2_ts_selector out[IKEV2_TS_OUT_MAX];
    struct config_prefix nets[] = { prefix("198.51.100.0", 24), prefix("10.99.0.0", 16), prefix("192.0.2.0", 24) };

    memset(&ts, 0, sizeof(ts));
    ts.sel[ts.n++] = range("0.0.0.0", "255.255.255.255");
    CHECK_INT_EQ(ikev2_narrow_tsr(&ts, nets, 3, IKEV2_TS_FAMILY_IP4, out, IKEV2_TS_OUT_MAX), 3);
    CHECK_STR_EQ(fmt(&out[0]), "198.51.100.0/24");
    CHECK_STR_EQ(fmt(&out[1]), "10.99.0.0/16");
    CHECK_STR_EQ(fmt(&out[2]), "192.0.2.0/24");

    /* Only the part the client asked for, cut to the networks. */
    memset(&ts, 0, sizeof(ts));
    ts.sel[ts.n++] = range("10.99.5.0", "10.99.5.255");
    ts.sel[ts.n++] = range("198.51.100.128", "198.51.101.10");
    CHECK_INT_EQ(ikev2_narrow_tsr(&ts, nets, 3, IKEV2_TS_FAMILY_IP4, out, IKEV2_TS_OUT_MAX), 2);
    CHECK_STR_EQ(fmt(&out[0]), "198.51.100.128/25");
    CHECK_STR_EQ(fmt(&out[1]), "10.99.5.0/24");

    /* Nothing in common. */
    memset(&ts, 0, sizeof(ts));
    ts.sel[ts.n++] = range("203.0.113.0", "203.0.113.255");
    CHECK_INT_EQ(ikev2_narrow_tsr(&ts, nets, 3, IKEV2_TS_FAMILY_IP4, out, IKEV2_TS_OUT_MAX), 0);

    /* Duplicates collapse; the output limit holds. */
    memset(&ts, 0, sizeof(ts));
    ts.sel[ts.n++] = range("0.0.0.0", "255.255.255.255");
    ts.sel[ts.n++] = range("0.0.0.0", "255.255.255.255");
    CHECK_INT_EQ(ikev2_narrow_tsr(&ts, nets, 3, IKEV2_TS_FAMILY_IP4, out, 2), 2);
}

static void test_ipv6(void)
{
    static struct ikev2_ts ts;
    struct ikev2_ts_selector one, out[IKEV2_TS_OUT_MAX];
    struct config_address vip6 = { .family = AF_INET6 };
    inet_pton(AF_INET6, "2001:db8:3::a", &vip6.in6);

    /* strongSwan's dual-stack TSi: 0.0.0.0/0 and ::/0. */
    memset(&ts, 0, sizeof(ts));
    ts.sel[ts.n++] = range("0.0.0.0", "255.255.255.255");
    ts.sel[ts.n++] = range6("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    CHECK_INT_EQ(ikev2_narrow_tsi(&ts, &vip6, &one), 0);
    CHECK_STR_EQ(fmt(&one), "2001:db8:3::a/128");
    CHECK_INT_EQ(one.type, IKEV2_TS_IPV6_ADDR_RANGE);

    /* Full tunnel, both families; IPv4 only when the client has no IPv6 address. */
    CHECK_INT_EQ(ikev2_narrow_tsr(&ts, NULL, 0, IKEV2_TS_FAMILY_IP4 | IKEV2_TS_FAMILY_IP6, out, IKEV2_TS_OUT_MAX), 2);
    CHECK_STR_EQ(fmt(&out[0]), "0.0.0.0/0");
    CHECK_STR_EQ(fmt(&out[1]), "::/0");
    CHECK_INT_EQ(ikev2_narrow_tsr(&ts, NULL, 0, IKEV2_TS_FAMILY_IP4, out, IKEV2_TS_OUT_MAX), 1);
    CHECK_STR_EQ(fmt(&out[0]), "0.0.0.0/0");

    /* Split include with networks of both families. */
    struct config_prefix nets[] = { prefix("198.51.100.0", 24), prefix6("2001:db8:100::", 64) };
    CHECK_INT_EQ(ikev2_narrow_tsr(&ts, nets, 2, IKEV2_TS_FAMILY_IP4 | IKEV2_TS_FAMILY_IP6, out, IKEV2_TS_OUT_MAX), 2);
    CHECK_STR_EQ(fmt(&out[0]), "198.51.100.0/24");
    CHECK_STR_EQ(fmt(&out[1]), "2001:db8:100::/64");
    CHECK_INT_EQ(ikev2_narrow_tsr(&ts, nets, 2, IKEV2_TS_FAMILY_IP6, out, IKEV2_TS_OUT_MAX), 1);
    CHECK_STR_EQ(fmt(&out[0]), "2001:db8:100::/64");

    /* Prefixes of an IPv6 range; ranges up to the last address. */
    struct config_prefix p[8];
    struct ikev2_ts_selector r = range6("2001:db8::1", "2001:db8::6");
    CHECK_INT_EQ(ikev2_ts_to_prefixes(&r, p, 8), 4);
    CHECK_INT_EQ(p[1].prefix_len, 127);
    CHECK_INT_EQ(p[1].addr.family, AF_INET6);
    CHECK_STR_EQ(fmt(&r), "2001:db8::1-2001:db8::6");
    r = range6("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    CHECK_INT_EQ(ikev2_ts_to_prefixes(&r, p, 8), 1);
    CHECK_INT_EQ(p[0].prefix_len, 0);
    r = range6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    CHECK_INT_EQ(ikev2_ts_to_prefixes(&r, p, 8), 1);
    CHECK_INT_EQ(p[0].prefix_len, 127);
}

static void test_prefixes(void)
{
    struct config_prefix p[40];
    char a[INET_ADDRSTRLEN];
    struct ikev2_ts_selector s = range("10.0.0.1", "10.0.0.6");
    /* .1/32 .2/31 .4/31 .6/32 */
    CHECK_INT_EQ(ikev2_ts_to_prefixes(&s, p, 40), 4);
    inet_ntop(AF_INET, &p[1].addr.in, a, sizeof(a));
    CHECK_STR_EQ(a, "10.0.0.2");
    CHECK_INT_EQ(p[1].prefix_len, 31);
    CHECK_INT_EQ(p[3].prefix_len, 32);
    CHECK_STR_EQ(fmt(&s), "10.0.0.1-10.0.0.6");

    s = range("0.0.0.0", "255.255.255.255");
    CHECK_INT_EQ(ikev2_ts_to_prefixes(&s, p, 40), 1);
    CHECK_INT_EQ(p[0].prefix_len, 0);
    s = range("255.255.255.255", "255.255.255.255");
    CHECK_INT_EQ(ikev2_ts_to_prefixes(&s, p, 40), 1);
    CHECK_INT_EQ(p[0].prefix_len, 32);
    CHECK_STR_EQ(fmt(&s), "255.255.255.255/32");
    /* The worst case for IPv4 is 62 prefixes; the limit cuts. */
    s = range("0.0.0.1", "255.255.255.254");
    CHECK_INT_EQ(ikev2_ts_to_prefixes(&s, p, 40), 40);
}

static const struct ikev2_cp_attribute *find_attr(const struct ikev2_cp_reply *rep, uint16_t type, size_t nth)
{
    for (size_t i = 0; i < rep->n; i++)
        if (rep->attrs[i].type == type && nth-- == 0)
            return &rep->attrs[i];
    return NULL;
}

static void test_cp_reply(void)
{
    static struct ikev2_cp req;
    static struct ikev2_cp_reply rep;
    struct ikev2_cp_assigned a = { .has_ip4 = true };
    inet_pton(AF_INET, "10.3.0.10", &a.ip4);
    inet_pton(AF_INET, "255.255.255.0", &a.netmask);
    struct config_prefix nets[] = { prefix("198.51.100.0", 24), prefix6("2001:db8:100::", 64) };
    static char name[] = "gp", domain[] = "corp.example", banner[] = "hello";
    struct config_group_policy gp = {
        .name = name, .n_dns = 2, .n_wins = 1, .default_domain = domain, .banner = banner,
        .split_tunnel = CONFIG_SPLIT_TUNNEL_INCLUDE, .split_networks = nets, .n_split_networks = 2,
    };
    gp.dns[0].family = AF_INET;
    inet_pton(AF_INET, "198.51.100.53", &gp.dns[0].in);
    gp.dns[1].family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8:100::53", &gp.dns[1].in6);
    gp.wins[0].family = AF_INET;
    inet_pton(AF_INET, "198.51.100.54", &gp.wins[0].in);

    /* strongSwan asks for ADDR and DNS: the domain comes with the DNS
     * servers, no Cisco attributes, no version unasked; IPv6 only for an
     * IPv6 client. */
    memset(&req, 0, sizeof(req));
    req.type = IKEV2_CFG_REQUEST;
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_INTERNAL_IP4_ADDRESS };
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_INTERNAL_IP4_DNS };
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = 23456 };
    bool want4, want6;
    ikev2_cp_wanted_families(&req, &want4, &want6);
    CHECK(want4 && !want6);
    CHECK_INT_EQ(ikev2_cp_build_reply(&req, &a, &gp, "vpnd 1", &rep), 0);
    CHECK_INT_EQ(rep.n, 6);
    CHECK_INT_EQ(rep.attrs[0].type, IKEV2_CP_INTERNAL_IP4_ADDRESS);
    CHECK(rep.attrs[0].len == 4 && memcmp(rep.attrs[0].value, &a.ip4, 4) == 0);
    CHECK_INT_EQ(rep.attrs[1].type, IKEV2_CP_INTERNAL_IP4_NETMASK);
    CHECK(memcmp(rep.attrs[1].value, &a.netmask, 4) == 0);
    CHECK_INT_EQ(rep.attrs[2].type, IKEV2_CP_INTERNAL_IP4_DNS);
    CHECK_INT_EQ(rep.attrs[3].type, IKEV2_CP_INTERNAL_IP4_NBNS);
    CHECK_INT_EQ(rep.attrs[4].type, IKEV2_CP_INTERNAL_IP4_SUBNET);
    CHECK_INT_EQ(rep.attrs[4].len, 8);
    CHECK(memcmp((const uint8_t *)rep.attrs[4].value + 4, "\xff\xff\xff\x00", 4) == 0);
    CHECK_INT_EQ(rep.attrs[5].type, IKEV2_CP_INTERNAL_DNS_DOMAIN);
    CHECK(rep.attrs[5].len == 12 && memcmp(rep.attrs[5].value, "corp.example", 12) == 0);
    CHECK(!find_attr(&rep, IKEV2_CP_UNITY_DEF_DOMAIN, 0) && !find_attr(&rep, IKEV2_CP_UNITY_BANNER, 0));
    CHECK(!find_attr(&rep, IKEV2_CP_INTERNAL_IP6_DNS, 0) && !find_attr(&rep, IKEV2_CP_INTERNAL_IP6_SUBNET, 0));
    CHECK_INT_EQ(rep.n_ignored, 1);
    CHECK_INT_EQ(rep.ignored[0], 23456);

    /* Neither DNS nor the domain asked for: no domain. */
    req.attrs[1].type = IKEV2_CP_INTERNAL_IP4_NBNS;
    CHECK_INT_EQ(ikev2_cp_build_reply(&req, &a, &gp, "vpnd 1", &rep), 0);
    CHECK(!find_attr(&rep, IKEV2_CP_INTERNAL_DNS_DOMAIN, 0));
    req.attrs[1].type = IKEV2_CP_INTERNAL_IP4_DNS;

    /* A Cisco client asks for the domain (both kinds), the banner and the
     * version, and says its own. */
    char version[IKEV2_CP_VERSION_MAX];
    ikev2_cp_client_version(&req, version, sizeof(version));
    CHECK_STR_EQ(version, "");
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_INTERNAL_DNS_DOMAIN };
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_UNITY_DEF_DOMAIN };
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_UNITY_BANNER };
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_APPLICATION_VERSION,
                                                      .value = (const uint8_t *)"Cisco AnyConnect\n 4.10", .len = 22 };
    ikev2_cp_client_version(&req, version, sizeof(version));
    CHECK_STR_EQ(version, "Cisco AnyConnect? 4.10");
    ikev2_cp_client_version(&req, version, 6);
    CHECK_STR_EQ(version, "Cisco");
    CHECK_INT_EQ(ikev2_cp_build_reply(&req, &a, &gp, "vpnd 1", &rep), 0);
    CHECK_INT_EQ(rep.n, 9);
    CHECK(find_attr(&rep, IKEV2_CP_INTERNAL_DNS_DOMAIN, 0) && !find_attr(&rep, IKEV2_CP_INTERNAL_DNS_DOMAIN, 1));
    CHECK(find_attr(&rep, IKEV2_CP_UNITY_DEF_DOMAIN, 0));
    CHECK(find_attr(&rep, IKEV2_CP_UNITY_BANNER, 0));
    const struct ikev2_cp_attribute *v = find_attr(&rep, IKEV2_CP_APPLICATION_VERSION, 0);
    CHECK(v && v->len == 6 && memcmp(v->value, "vpnd 1", 6) == 0);

    /* Dual stack: the IPv6 address with its prefix length, IPv6 DNS and
     * the IPv6 split network. */
    memset(&req, 0, sizeof(req));
    req.type = IKEV2_CFG_REQUEST;
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_INTERNAL_IP4_ADDRESS };
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_INTERNAL_IP6_ADDRESS };
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_INTERNAL_IP4_DNS };
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_INTERNAL_IP6_DNS };
    ikev2_cp_wanted_families(&req, &want4, &want6);
    CHECK(want4 && want6);
    a.has_ip6 = true;
    inet_pton(AF_INET6, "2001:db8:3::a", &a.ip6);
    a.ip6_prefix_len = 64;
    CHECK_INT_EQ(ikev2_cp_build_reply(&req, &a, &gp, NULL, &rep), 0);
    v = find_attr(&rep, IKEV2_CP_INTERNAL_IP6_ADDRESS, 0);
    CHECK(v && v->len == 17 && memcmp(v->value, &a.ip6, 16) == 0 && v->value[16] == 64);
    v = find_attr(&rep, IKEV2_CP_INTERNAL_IP6_DNS, 0);
    CHECK(v && v->len == 16 && memcmp(v->value, &gp.dns[1].in6, 16) == 0);
    v = find_attr(&rep, IKEV2_CP_INTERNAL_IP6_SUBNET, 0);
    CHECK(v && v->len == 17 && v->value[16] == 64);
    CHECK(find_attr(&rep, IKEV2_CP_INTERNAL_IP4_SUBNET, 0));
    CHECK(!find_attr(&rep, IKEV2_CP_APPLICATION_VERSION, 0));

    /* IPv6 only (strongSwan with vips = ::): asked for, given alone, with
     * the IPv6 servers and networks only. */
    memset(&req, 0, sizeof(req));
    req.type = IKEV2_CFG_REQUEST;
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_INTERNAL_IP6_ADDRESS };
    req.attrs[req.n++] = (struct ikev2_cp_attribute){ .type = IKEV2_CP_INTERNAL_IP6_DNS };
    ikev2_cp_wanted_families(&req, &want4, &want6);
    CHECK(!want4 && want6);
    a.has_ip4 = false;
    CHECK_INT_EQ(ikev2_cp_build_reply(&req, &a, &gp, NULL, &rep), 0);
    CHECK(!find_attr(&rep, IKEV2_CP_INTERNAL_IP4_ADDRESS, 0) && !find_attr(&rep, IKEV2_CP_INTERNAL_IP4_SUBNET, 0));
    CHECK(!find_attr(&rep, IKEV2_CP_INTERNAL_IP4_DNS, 0) && !find_attr(&rep, IKEV2_CP_INTERNAL_IP4_NBNS, 0));
    CHECK(find_attr(&rep, IKEV2_CP_INTERNAL_IP6_ADDRESS, 0) && find_attr(&rep, IKEV2_CP_INTERNAL_IP6_DNS, 0));
    CHECK(find_attr(&rep, IKEV2_CP_INTERNAL_IP6_SUBNET, 0) && find_attr(&rep, IKEV2_CP_INTERNAL_DNS_DOMAIN, 0));

    /* No policy: the address alone; no address at all is refused. */
    CHECK_INT_EQ(ikev2_cp_build_reply(&req, &a, NULL, NULL, &rep), 0);
    CHECK_INT_EQ(rep.n, 1);
    a.has_ip6 = false;
    CHECK_INT_EQ(ikev2_cp_build_reply(&req, &a, NULL, NULL, &rep), -EINVAL);
}

TEST_MAIN(TEST(test_tsi),
          TEST(test_tsr_full_tunnel),
          TEST(test_tsr_split_include),
          TEST(test_ipv6),
          TEST(test_prefixes),
          TEST(test_cp_reply))
