/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The configuration parser's good paths: what a valid file turns into,
 * defaults, lookups, secrets from files and credentials, password checks,
 * warnings, the examples in conf/, and the error paths that need an
 * environment a data file cannot give (no file, no $CREDENTIALS_DIRECTORY).
 * The broken-file error paths are in test-config-bad.c.
 *
 * Usage: test-config CONF-DIR (the repository's conf/)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"
#include "hashmap.h"
#include "testing.h"
#include "vpnd-build.h"

static char fixture[4096];
static const char *conf_dir;

/* yescrypt("alice-demo"), sha512crypt("cisco"), md5crypt("doe") */
#define HASH_ALICE "$y$j9T$rq.vhv09C4oAMitYuLqvC.$jZ7lACxtDPhtZ1XeSim.af7sFXzMqQ3fcvMJUyfesdA"
#define HASH_SHA512 "$6$Zu6iG6Hl5r1LjZNa$ezrjFOafhPo8zOrhCA6881.kZDoxp1FQPeuOCWbCCdBZhiDuR7DX1mGwOWqsCXyE0cA2M437db7OfCu7pNIiR1"
#define HASH_MD5 "$1$OXPyBnwI$QnfxW1GxParZSybV8mRqm/"

#define PROPOSALS                                                                           \
    "ike-proposals = ( { name = \"ike\"; encryption = \"aes256\"; integrity = \"sha256\"; dh-group = 14; } );\n" \
    "esp-proposals = ( { name = \"esp\"; encryption = \"aes256gcm16\"; } );\n"                 \
    "group-policies = ( { name = \"gp\"; } );\n"

/* Writes `text` as fixture/name and loads it. */
static struct vpnd_config *load_text(const char *name, const char *text, struct config_error *err)
{
    char path[8192];
    snprintf(path, sizeof(path), "%s/%s", fixture, name);
    FILE *f = fopen(path, "we");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    struct vpnd_config *config = NULL;
    struct config_error scratch;
    if (!err)
        err = &scratch;
    int r = config_load(path, &config, err);
    if (r < 0) {
        char msg[6000];
        printf("#   load failed: %s\n", config_error_format(err, msg, sizeof(msg)));
        return NULL;
    }
    return config;
}

static const char *addr(const struct config_address *a, char *buf)
{
    return inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->in : (const void *)&a->in6, buf,
                     INET6_ADDRSTRLEN);
}

static void test_demo_configuration(void)
{
    char path[4096], buf[INET6_ADDRSTRLEN];
    struct config_error err;
    struct vpnd_config *c = NULL;

    snprintf(path, sizeof(path), "%s/vpnd.conf", conf_dir);
    CHECK_INT_EQ(config_load(path, &c, &err), 0);
    if (!c)
        return;
    /* The one legacy algorithm it names: MODP-1536 for the Cisco VPN Client. */
    CHECK_INT_EQ(c->n_warnings, 1);
    CHECK(c->n_warnings == 1 && strstr(c->warnings[0], "ike-proposal 'cisco-client': dh-group '5' is a legacy"));
    CHECK_INT_EQ(c->n_tunnel_groups, 2);
    CHECK_INT_EQ(c->n_users, 2);
    CHECK_INT_EQ(c->log.level, LOG_INFO);
    CHECK_STR_EQ(c->control.socket_path, VPND_CONTROL_SOCKET);
    CHECK(!c->control.has_read_group && !c->control.has_admin_group);
    CHECK_INT_EQ(c->n_listen, 2);
    CHECK_INT_EQ(c->listen[0].address.family, AF_INET);
    CHECK_INT_EQ(c->listen[1].address.family, AF_INET6);
    CHECK_INT_EQ(c->listen[0].port, 500);
    CHECK_INT_EQ(c->listen[0].natt_port, 4500);

    const struct config_tunnel_group *v2 = config_tunnel_group_find(c, "demo-ikev2");
    const struct config_tunnel_group *v1 = config_tunnel_group_find_by_group_name(c, "demo");
    CHECK(v2 && v1);
    if (!v2 || !v1)
        goto out;
    CHECK(v2->ikev2 && !v2->ikev1 && v2->auth == CONFIG_AUTH_PSK && !v2->xauth);
    CHECK(v2->local_auth == CONFIG_LOCAL_AUTH_PSK);
    CHECK_INT_EQ(v2->psk.len, strlen("demo-ikev2-key-change-me"));
    CHECK(memcmp(v2->psk.data, "demo-ikev2-key-change-me", v2->psk.len) == 0);
    CHECK_STR_EQ(v2->ike_proposals[0]->name, "ikev2-gcm");
    CHECK_STR_EQ(v1->name, "demo-ikev1");
    CHECK(v1->ikev1 && v1->xauth && v1->mode_config == CONFIG_MODE_CONFIG_PULL);
    CHECK_INT_EQ(v1->xauth_attempts, 3);     /* the default */
    CHECK(v1->group_policy == config_group_policy_find(c, "demo-policy"));
    CHECK_INT_EQ(v1->n_pools, 1);
    CHECK_STR_EQ(addr(&v1->pools[0]->first, buf), "10.99.0.10");
    CHECK_STR_EQ(addr(&v1->pools[0]->last, buf), "10.99.0.200");
    CHECK_INT_EQ(v1->pools[0]->prefix_len, 24);

    const struct config_group_policy *gp = v1->group_policy;
    CHECK_INT_EQ(gp->n_dns, 1);
    CHECK_STR_EQ(gp->default_domain, "vpn.example");
    CHECK(gp->split_tunnel == CONFIG_SPLIT_TUNNEL_INCLUDE);
    CHECK_INT_EQ(gp->n_split_networks, 1);
    CHECK_INT_EQ(gp->split_networks[0].prefix_len, 24);
    CHECK_STR_EQ(addr(&gp->split_networks[0].addr, buf), "198.51.100.0");
    CHECK_INT_EQ(gp->idle_timeout, 1800);
    CHECK_INT_EQ(gp->protocols, CONFIG_PROTOCOL_IKEV1 | CONFIG_PROTOCOL_IKEV2);

    const struct config_user *bob = config_user_find(c, "bob");
    CHECK(bob && bob->has_address);
    if (bob)
        CHECK_STR_EQ(addr(&bob->address, buf), "10.99.0.250");
    CHECK_INT_EQ(config_user_verify_password(config_user_find(c, "alice"), "alice-demo"), 1);
    CHECK_INT_EQ(config_user_verify_password(config_user_find(c, "alice"), "bob-demo"), 0);
    CHECK(config_user_find(c, "Alice") == NULL);
out:
    config_free(c);
}

/* Each example mirrors a reference scenario and must load; the legacy
 * algorithms it names must each give a warning. */
static void check_example(const char *name, size_t tunnel_groups, size_t warnings, const char *first_warning)
{
    char src[4096], copy[4096];
    struct config_error err;
    struct vpnd_config *c = NULL;

    snprintf(src, sizeof(src), "%s/examples/%s", conf_dir, name);
    CHECK_INT_EQ(fixture_copy(src, fixture, copy, sizeof(copy)), 0);
    int r = config_load(copy, &c, &err);
    if (r < 0) {
        char msg[6000];
        printf("#   %s\n", config_error_format(&err, msg, sizeof(msg)));
    }
    CHECK_INT_EQ(r, 0);
    if (!c)
        return;
    CHECK_INT_EQ(c->n_tunnel_groups, tunnel_groups);
    CHECK_INT_EQ(c->n_warnings, warnings);
    if (c->n_warnings > 0 && first_warning) {
        const char *w = strrchr(c->warnings[0], '/');
        CHECK_STR_EQ(w ? w + 1 : c->warnings[0], first_warning);
    }
    config_free(c);
}

static void test_example_anyconnect(void)
{
    check_example("asa-ikev2-anyconnect.conf", 1, 3,
                  "asa-ikev2-anyconnect.conf:38: ike-proposal 'policy-10': dh-group '2' is a legacy algorithm, "
                  "accepted because it is named explicitly");
}

static void test_example_ezvpn(void)
{
    check_example("asa-ikev1-ezvpn-aggressive.conf", 1, 1,
                  "asa-ikev1-ezvpn-aggressive.conf:33: ike-proposal 'policy-10': dh-group '2' is a legacy "
                  "algorithm, accepted because it is named explicitly");
}

static void test_example_pix(void)
{
    check_example("pix-ios-ikev1-xauth-modecfg.conf", 2, 8,
                  "pix-ios-ikev1-xauth-modecfg.conf:28: ike-proposal 'policy-10': encryption 'des' is a legacy "
                  "algorithm, accepted because it is named explicitly");
}

/* AAA: both tunnel groups authenticate and account against the same
 * RADIUS group, whose Filter-Id map names existing group policies. */
static void test_example_radius(void)
{
    char src[4096], copy[4096];
    struct vpnd_config *c = NULL;

    check_example("asa-radius-aaa.conf", 2, 0, NULL);
    snprintf(src, sizeof(src), "%s/examples/asa-radius-aaa.conf", conf_dir);
    CHECK_INT_EQ(fixture_copy(src, fixture, copy, sizeof(copy)), 0);
    CHECK_INT_EQ(config_load(copy, &c, NULL), 0);
    if (!c)
        return;
    const struct config_aaa_group *g = config_aaa_group_find(c, "CORP");
    CHECK(g && g->n_servers == 2 && g->n_group_policy_map == 2);
    const struct config_tunnel_group *ez = config_tunnel_group_find(c, "EZ");
    const struct config_tunnel_group *ac = config_tunnel_group_find(c, "AC");
    CHECK(ez && ez->authentication_server_group == g && ez->accounting_server_group == g);
    CHECK(ez && ez->authentication_fallback_local);
    CHECK(ac && ac->authentication_server_group == g && ac->accounting_server_group == g);
    CHECK(ac && !ac->authentication_fallback_local);
    config_free(c);
}

static void test_example_scenarios(void)
{
    char src[4096], copy[4096];
    struct vpnd_config *c = NULL;

    /* AnyConnect: certificate for the gateway, EAP for the user. */
    snprintf(src, sizeof(src), "%s/examples/asa-ikev2-anyconnect.conf", conf_dir);
    CHECK_INT_EQ(fixture_copy(src, fixture, copy, sizeof(copy)), 0);
    CHECK_INT_EQ(config_load(copy, &c, NULL), 0);
    if (c) {
        const struct config_tunnel_group *tg = config_tunnel_group_find(c, "ASA-IKEV2");
        CHECK(tg && tg->auth == CONFIG_AUTH_EAP_MSCHAPV2 && tg->local_auth == CONFIG_LOCAL_AUTH_CERTIFICATE);
        CHECK(tg && tg->certificate && strstr(tg->certificate, "/certs/vpn-gateway.pem"));
        CHECK(tg && tg->n_identities == 2 && tg->identities[0].type == CONFIG_ID_KEY_ID);
        if (tg && tg->n_identities == 2)
            CHECK_STR_EQ(tg->identities[0].pattern, "*$AnyConnectClient$*");
        const struct config_user *anu = config_user_find(c, "Anu");
        CHECK(anu && anu->has_nt_hash && anu->nt_hash[0] == 0xa6 && anu->nt_hash[15] == 0xa2);
        CHECK_INT_EQ(config_user_verify_password(anu, "cisco123"), 1);
        const struct config_esp_proposal *esp = config_esp_proposal_find(c, "3des");
        CHECK(esp && esp->n_encryption == 4 && esp->encryption[1]->key_bits == 128);
        config_free(c);
        c = NULL;
    }

    /* PIX: the wildcard Main Mode key, longest prefix. */
    snprintf(src, sizeof(src), "%s/examples/pix-ios-ikev1-xauth-modecfg.conf", conf_dir);
    CHECK_INT_EQ(fixture_copy(src, fixture, copy, sizeof(copy)), 0);
    CHECK_INT_EQ(config_load(copy, &c, NULL), 0);
    if (c) {
        struct config_address peer;
        inet_pton(AF_INET, "192.168.1.3", &peer.in);
        peer.family = AF_INET;
        const struct config_tunnel_group *tg = config_tunnel_group_find_by_peer(c, &peer);
        CHECK(tg && strcmp(tg->name, "wildcard-main-mode") == 0);
        CHECK(tg && tg->mode_config == CONFIG_MODE_CONFIG_PUSH);
        CHECK(tg && tg->psk.len == 9 && memcmp(tg->psk.data, "cisco1234", 9) == 0);
        tg = config_tunnel_group_find_by_group_name(c, "vpn3000");
        CHECK(tg && tg->mode_config == CONFIG_MODE_CONFIG_PULL && tg->group_policy->idle_timeout == 1800);
        CHECK(config_tunnel_group_find_by_group_name(c, "VPN3000") == NULL);
        const struct config_pool *pool = config_pool_find(c, "VPNpool");
        CHECK(pool && pool->prefix_len == 28);
        config_free(c);
    }
}

static void test_proposals(void)
{
    struct vpnd_config *c = load_text("proposals.conf",
        "ike-proposals = (\n"
        "  { name = \"asa\"; encryption = [\"aes\", \"aes-192\"]; integrity = [\"sha\", \"sha-384\"];\n"
        "    dh-group = [\"ecp256\", \"14\"]; },\n"
        "  { name = \"gcm\"; encryption = \"aes-gcm-256\"; prf = \"sha512\"; dh-group = 31;\n"
        "    lifetime-seconds = 3600; }\n"
        ");\n"
        "esp-proposals = (\n"
        "  { name = \"e\"; encryption = \"aes256\"; integrity = \"sha512\"; pfs-group = 19;\n"
        "    lifetime-seconds = 3600; lifetime-kilobytes = 0; },\n"
        "  { name = \"big\"; encryption = \"aes128gcm16\"; lifetime-kilobytes = 2147483647; }\n"
        ");\n", NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    const struct config_ike_proposal *asa = config_ike_proposal_find(c, "asa");
    CHECK(asa && asa->n_encryption == 2 && !asa->aead);
    if (asa) {
        CHECK_STR_EQ(asa->encryption[0]->keyword, "aes128");
        CHECK_INT_EQ(asa->encryption[1]->key_bits, 192);
        CHECK_INT_EQ(asa->encryption[0]->ikev2_id, 12);
        CHECK_INT_EQ(asa->encryption[0]->ikev1_id, 7);
        CHECK_INT_EQ(asa->integrity[0]->ikev2_id, 2);       /* HMAC-SHA1-96 */
        CHECK_INT_EQ(asa->integrity[1]->ikev1_id, 5);       /* SHA2-384 hash */
        /* Without prf, the integrity hashes become the PRFs. */
        CHECK_INT_EQ(asa->n_prf, 2);
        CHECK_INT_EQ(asa->prf[0]->ikev2_id, 2);             /* PRF_HMAC_SHA1 */
        CHECK_INT_EQ(asa->prf[1]->ikev2_id, 6);             /* PRF_HMAC_SHA2_384 */
        CHECK_INT_EQ(asa->dh_groups[0]->ikev2_id, 19);
        CHECK_INT_EQ(asa->dh_groups[1]->ikev2_id, 14);
        CHECK_INT_EQ(asa->lifetime_seconds, 86400);
    }
    const struct config_ike_proposal *gcm = config_ike_proposal_find(c, "gcm");
    CHECK(gcm && gcm->aead && gcm->n_integrity == 0 && gcm->lifetime_seconds == 3600);
    if (gcm)
        CHECK_INT_EQ(gcm->encryption[0]->ikev2_id, 20);
    const struct config_esp_proposal *e = config_esp_proposal_find(c, "e");
    CHECK(e && e->lifetime_kilobytes == 0 && e->n_pfs_groups == 1 && e->lifetime_seconds == 3600);
    if (e) {
        CHECK_STR_EQ(e->integrity[0]->xfrm_name, "hmac(sha512)");
        CHECK_INT_EQ(e->integrity[0]->icv_bits, 256);
        CHECK_INT_EQ(e->integrity[0]->ikev1_esp_id, 7);
    }
    const struct config_esp_proposal *big = config_esp_proposal_find(c, "big");
    CHECK(big && big->aead && big->lifetime_kilobytes == 2147483647ULL && big->lifetime_seconds == 28800);
    if (big)
        CHECK_STR_EQ(big->encryption[0]->xfrm_name, "rfc4106(gcm(aes))");
    CHECK_INT_EQ(c->n_warnings, 1);       /* no tunnel groups */
    config_free(c);
}

static void test_algorithm_table(void)
{
    const struct config_algorithm *a = config_algorithm_find(CONFIG_ALG_ENCRYPTION, false, "3des");
    CHECK(a && a->legacy && a->ikev1_id == 5 && a->ikev2_id == 3);
    CHECK(config_algorithm_find(CONFIG_ALG_PRF, true, "sha256") == NULL);   /* ESP has no PRF */
    CHECK(config_algorithm_find(CONFIG_ALG_PRF, false, "sha-256") != NULL);
    CHECK(config_algorithm_find(CONFIG_ALG_DH, false, "curve25519") == config_algorithm_find(CONFIG_ALG_DH, false, "31"));
    a = config_algorithm_find(CONFIG_ALG_DH, false, "5");
    CHECK(a && a->legacy && a->key_bits == 1536);
    CHECK(config_algorithm_find(CONFIG_ALG_INTEGRITY, false, "sha3") == NULL);
    CHECK(config_algorithm_find(CONFIG_ALG_INTEGRITY, false, NULL) == NULL);
}

static void test_legacy_warnings(void)
{
    struct vpnd_config *c = load_text("legacy.conf",
        "ike-proposals = (\n"
        "  { name = \"old\"; encryption = [\"aes128\", \"3des\"]; integrity = \"md5\";\n"
        "    dh-group = [14, 5]; }\n"
        ");\n", NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT_EQ(c->n_warnings, 4);
    if (c->n_warnings == 4) {
        CHECK(strstr(c->warnings[0], "/legacy.conf:2: ike-proposal 'old': encryption '3des' is a legacy algorithm, "
                     "accepted because it is named explicitly") != NULL);
        CHECK(strstr(c->warnings[1], "/legacy.conf:2: ike-proposal 'old': integrity 'md5' is a legacy") != NULL);
        CHECK(strstr(c->warnings[2], "/legacy.conf:3: ike-proposal 'old': dh-group '5' is a legacy") != NULL);
        CHECK(strstr(c->warnings[3], "/legacy.conf: no tunnel-groups: vpnd will accept no clients") != NULL);
    }
    config_free(c);
}

static void test_pools(void)
{
    char buf[INET6_ADDRSTRLEN];
    struct vpnd_config *c = load_text("pools.conf",
        "pools = (\n"
        "  { name = \"cidr\"; range = \"10.3.0.0/24\"; },\n"
        "  { name = \"p31\"; range = \"10.4.0.0/31\"; },\n"
        "  { name = \"p32\"; range = \"10.4.0.8/32\"; },\n"
        "  { name = \"range\"; range = \"10.5.0.1-10.5.0.10\"; },\n"
        "  { name = \"v6\"; range = \"2001:db8:1::/112\"; },\n"
        "  { name = \"v6range\"; range = \"2001:db8:2::10-2001:db8:2::20\"; prefix-length = 64; },\n"
        "  { name = \"adjacent\"; range = \"10.3.1.0-10.3.1.255\"; netmask = \"255.255.254.0\"; }\n"
        ");\n", NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    const struct config_pool *p = config_pool_find(c, "cidr");
    CHECK_STR_EQ(addr(&p->first, buf), "10.3.0.1");
    CHECK_STR_EQ(addr(&p->last, buf), "10.3.0.254");
    CHECK_STR_EQ(inet_ntop(AF_INET, &p->netmask, buf, sizeof(buf)), "255.255.255.0");
    p = config_pool_find(c, "p31");
    CHECK_STR_EQ(addr(&p->first, buf), "10.4.0.0");
    CHECK_STR_EQ(addr(&p->last, buf), "10.4.0.1");
    p = config_pool_find(c, "p32");
    CHECK_STR_EQ(addr(&p->first, buf), "10.4.0.8");
    CHECK_STR_EQ(addr(&p->last, buf), "10.4.0.8");
    p = config_pool_find(c, "range");
    CHECK_INT_EQ(p->prefix_len, 28);       /* smallest mask covering .1-.10 */
    CHECK_STR_EQ(inet_ntop(AF_INET, &p->netmask, buf, sizeof(buf)), "255.255.255.240");
    p = config_pool_find(c, "v6");
    CHECK_INT_EQ(p->family, AF_INET6);
    CHECK_STR_EQ(addr(&p->first, buf), "2001:db8:1::1");
    CHECK_STR_EQ(addr(&p->last, buf), "2001:db8:1::ffff");
    CHECK_INT_EQ(p->prefix_len, 112);
    p = config_pool_find(c, "v6range");
    CHECK_INT_EQ(p->prefix_len, 64);
    CHECK_STR_EQ(addr(&p->last, buf), "2001:db8:2::20");
    p = config_pool_find(c, "adjacent");
    CHECK_INT_EQ(p->prefix_len, 23);
    CHECK(config_pool_find(c, "none") == NULL);
    config_free(c);
}

static void test_policy_defaults(void)
{
    struct vpnd_config *c = load_text("policy.conf",
        "group-policies = (\n"
        "  { name = \"bare\"; },\n"
        "  { name = \"full\"; dns = [\"10.0.0.53\", \"2001:db8::53\"]; wins = \"10.0.0.2\";\n"
        "    banner = \"Hello\"; split-tunnel-policy = \"exclude-specified\";\n"
        "    split-tunnel-networks = [\"192.168.0.0/16\", \"2001:db8::/32\"];\n"
        "    idle-timeout = 0; session-timeout = 28800; protocols = \"ikev2\";\n"
        "    save-password = true; pfs = true; simultaneous-logins = 0; reverse-route = false; }\n"
        ");\n", NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    const struct config_group_policy *bare = config_group_policy_find(c, "bare");
    CHECK(bare && bare->n_dns == 0 && !bare->default_domain && !bare->banner);
    CHECK(bare && bare->split_tunnel == CONFIG_SPLIT_TUNNEL_ALL && bare->idle_timeout == 1800);
    CHECK(bare && bare->session_timeout == 0 && !bare->save_password && !bare->pfs);
    CHECK(bare && bare->simultaneous_logins == 3 && bare->reverse_route);
    const struct config_group_policy *full = config_group_policy_find(c, "full");
    CHECK(full && full->n_dns == 2 && full->dns[1].family == AF_INET6 && full->n_wins == 1);
    CHECK(full && full->split_tunnel == CONFIG_SPLIT_TUNNEL_EXCLUDE && full->n_split_networks == 2);
    CHECK(full && full->idle_timeout == 0 && full->session_timeout == 28800);
    CHECK(full && full->protocols == CONFIG_PROTOCOL_IKEV2 && full->save_password && full->pfs);
    CHECK(full && full->simultaneous_logins == 0 && !full->reverse_route);
    if (full)
        CHECK_STR_EQ(full->banner, "Hello");
    config_free(c);
}

/* Two groups on one line setting the same key to different numbers: the
 * check against libconfig's silent wrap-around must find each one's own. */
static void test_same_key_twice_on_a_line(void)
{
    struct vpnd_config *c = load_text("oneline.conf",
        "group-policies = ( { name = \"a\"; idle-timeout = 1800; }, { name = \"b\"; idle-timeout = 900; } );\n",
        NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    const struct config_group_policy *a = config_group_policy_find(c, "a"), *b = config_group_policy_find(c, "b");
    CHECK(a && a->idle_timeout == 1800);
    CHECK(b && b->idle_timeout == 900);
    config_free(c);
}

static void test_users(void)
{
    struct vpnd_config *c = load_text("users.conf",
        PROPOSALS
        "users = (\n"
        "  { name = \"alice\"; password-hash = \"" HASH_ALICE "\"; group-policy = \"gp\"; },\n"
        "  { name = \"sha\"; password-hash = \"" HASH_SHA512 "\"; address = \"2001:db8::5\"; },\n"
        "  { name = \"old\"; password-hash = \"" HASH_MD5 "\"; address = \"192.168.9.9\";\n"
        "    netmask = \"255.255.255.0\"; },\n"
        "  { name = \"md5user\"; password-file = \"psk/group.psk\"; },\n"
        "  { name = \"ntuser\"; password-hash = \"" HASH_ALICE "\"; nt-hash = \"A6BFF48BF06F43AE7FB903CE7B00EEA2\"; },\n"
        "  { name = \"ntonly\"; nt-hash = \"A6BFF48BF06F43AE7FB903CE7B00EEA2\"; }\n"
        ");\n", NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT_EQ(c->n_users, 6);
    CHECK_INT_EQ(c->n_warnings, 2);   /* md5crypt, no tunnel groups */
    if (c->n_warnings == 2)
        CHECK(strstr(c->warnings[0], "/users.conf:7: user 'old': password-hash uses the legacy method md5crypt; "
                     "rehash with yescrypt") != NULL);
    const struct config_user *u = config_user_find(c, "alice");
    CHECK(u && u->group_policy == config_group_policy_find(c, "gp") && !u->has_address);
    CHECK_INT_EQ(config_user_verify_password(u, "alice-demo"), 1);
    CHECK_INT_EQ(config_user_verify_password(u, "alice-demo "), 0);
    CHECK_INT_EQ(config_user_verify_password(u, ""), 0);
    CHECK_INT_EQ(config_user_verify_password(u, NULL), -EINVAL);
    CHECK_INT_EQ(config_user_verify_password(NULL, "x"), -EINVAL);
    CHECK_INT_EQ(config_user_verify_password(config_user_find(c, "sha"), "cisco"), 1);
    CHECK_INT_EQ(config_user_verify_password(config_user_find(c, "sha"), "Cisco"), 0);
    CHECK_INT_EQ(config_user_verify_password(config_user_find(c, "old"), "doe"), 1);
    u = config_user_find(c, "old");
    CHECK(u && u->has_netmask && u->netmask.s_addr == htonl(0xffffff00));
    u = config_user_find(c, "md5user");
    CHECK(u && !u->password_hash && u->password.len == 16);
    CHECK_INT_EQ(config_user_verify_password(u, "secret-from-file"), 1);
    CHECK_INT_EQ(config_user_verify_password(u, "secret-from-fil"), 0);
    u = config_user_find(c, "ntuser");
    CHECK(u && u->has_nt_hash && u->nt_hash[0] == 0xa6 && u->nt_hash[1] == 0xbf);
    /* EAP-MSCHAPv2 only: an NT hash and no password (Xauth cannot match). */
    u = config_user_find(c, "ntonly");
    CHECK(u && u->has_nt_hash && !u->password_hash && u->password.len == 0);
    CHECK_INT_EQ(config_user_verify_password(u, "cisco123"), 0);
    config_free(c);
}

/* Thousands of users: every one found through the hash table. */
static void test_many_users(void)
{
    enum { N = 5000 };
    size_t len = 64 + N * 160;
    char *text = malloc(len), *at = text;
    CHECK(text != NULL);
    if (!text)
        return;
    at += sprintf(at, "users = (\n");
    for (int i = 0; i < N; i++)
        at += sprintf(at, "  { name = \"user%d\"; password-hash = \"%s\"; }%s\n", i, HASH_ALICE,
                      i + 1 < N ? "," : "");
    sprintf(at, ");\n");
    struct vpnd_config *c = load_text("many.conf", text, NULL);
    free(text);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT_EQ(c->n_users, N);
    int found = 0;
    char name[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        const struct config_user *u = config_user_find(c, name);
        found += u && strcmp(u->name, name) == 0;
    }
    CHECK_INT_EQ(found, N);
    CHECK(config_user_find(c, "user5000") == NULL);
    CHECK_INT_EQ(hashmap_size(c->users_by_name), N);
    config_free(c);
}

static void test_secrets(void)
{
    struct config_error err;
    struct vpnd_config *c = load_text("secrets.conf",
        PROPOSALS
        "tunnel-groups = (\n"
        "  { name = \"file\"; ike-version = 1; authentication = \"psk\"; psk-file = \"psk/group.psk\";\n"
        "    peer-address = \"0.0.0.0/0\"; group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; },\n"
        "  { name = \"crlf\"; ike-version = 1; authentication = \"psk\"; psk-file = \"psk/crlf.psk\";\n"
        "    peer-address = \"192.0.2.0/24\"; group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; },\n"
        "  { name = \"open\"; ike-version = 1; authentication = \"psk\"; psk-file = \"psk/open.psk\";\n"
        "    group-name = \"open\"; group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; },\n"
        "  { name = \"cred\"; ike-version = [1, 2]; authentication = \"psk\"; psk-credential = \"ez-key\";\n"
        "    group-name = \"EZ\"; group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; }\n"
        ");\n", &err);
    CHECK(c != NULL);
    if (!c)
        return;
    const struct config_tunnel_group *tg = config_tunnel_group_find(c, "file");
    CHECK(tg && tg->psk.len == 16 && memcmp(tg->psk.data, "secret-from-file", 16) == 0);
    tg = config_tunnel_group_find(c, "crlf");
    CHECK(tg && tg->psk.len == 11 && memcmp(tg->psk.data, "secret-crlf", 11) == 0);
    tg = config_tunnel_group_find(c, "cred");
    CHECK(tg && tg->ikev1 && tg->ikev2 && tg->psk.len == 17 && memcmp(tg->psk.data, "credential-secret", 17) == 0);
    /* Longest prefix wins; other addresses fall to the wildcard. */
    struct config_address peer = { .family = AF_INET };
    inet_pton(AF_INET, "192.0.2.77", &peer.in);
    tg = config_tunnel_group_find_by_peer(c, &peer);
    CHECK(tg && strcmp(tg->name, "crlf") == 0);
    inet_pton(AF_INET, "198.51.100.1", &peer.in);
    tg = config_tunnel_group_find_by_peer(c, &peer);
    CHECK(tg && strcmp(tg->name, "file") == 0);
    struct config_address peer6 = { .family = AF_INET6 };
    inet_pton(AF_INET6, "2001:db8::1", &peer6.in6);
    CHECK(config_tunnel_group_find_by_peer(c, &peer6) == NULL);
    CHECK_INT_EQ(c->n_warnings, 1);
    if (c->n_warnings == 1)
        CHECK(strstr(c->warnings[0], "/secrets.conf:9: tunnel-group 'open': psk-file 'psk/open.psk' is readable by "
                     "group or others (mode 0644)") != NULL);
    config_free(c);

    /* Without systemd's $CREDENTIALS_DIRECTORY a credential cannot be found. */
    char *saved = strdup(getenv("CREDENTIALS_DIRECTORY"));
    unsetenv("CREDENTIALS_DIRECTORY");
    char path[8192], msg[6000];
    snprintf(path, sizeof(path), "%s/secrets.conf", fixture);
    c = (struct vpnd_config *)1;
    CHECK_INT_EQ(config_load(path, &c, &err), -EINVAL);
    CHECK(c == NULL);
    CHECK_INT_EQ(err.line, 11);
    CHECK_STR_EQ(err.reason, "tunnel-group 'cred': psk-credential 'ez-key': $CREDENTIALS_DIRECTORY is not set "
                 "(start vpnd with LoadCredential=ez-key:...)");
    (void)msg;
    setenv("CREDENTIALS_DIRECTORY", saved, 1);
    free(saved);
}

static void test_certificate_group(void)
{
    struct vpnd_config *c = load_text("certs.conf",
        PROPOSALS
        "tunnel-groups = (\n"
        "  { name = \"certs\"; ike-version = [1, 2]; authentication = \"certificate\";\n"
        "    certificate = \"certs/vpn-gateway-rsa.pem\"; private-key = \"private/vpn-gateway-rsa.key\";\n"
        "    ca = \"certs/ca.pem\"; crl = \"certs/ca.pem\";\n"
        "    identity = [\"dn:CN=*,O=Example\", \"email:*@example.com\", \"address:192.0.2.0/24\", \"address:2001:db8::1\"];\n"
        "    group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; },\n"
        "  { name = \"gtc\"; ike-version = 2; authentication = \"eap-gtc\"; local-authentication = \"psk\"; psk = \"k\";\n"
        "    group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; }\n"
        ");\n", NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    const struct config_tunnel_group *tg = config_tunnel_group_find(c, "certs");
    CHECK(tg && tg->local_auth == CONFIG_LOCAL_AUTH_CERTIFICATE && tg->auth == CONFIG_AUTH_CERTIFICATE);
    CHECK(tg && tg->certificate[0] == '/' && tg->ca && tg->crl);
    CHECK(tg && tg->n_identities == 4 && tg->identities[0].type == CONFIG_ID_DN);
    if (tg && tg->n_identities == 4) {
        CHECK_INT_EQ(tg->identities[2].prefix.prefix_len, 24);
        CHECK_INT_EQ(tg->identities[3].prefix.prefix_len, 128);
        struct config_address a = { .family = AF_INET };
        inet_pton(AF_INET, "192.0.2.200", &a.in);
        CHECK(config_prefix_contains(&tg->identities[2].prefix, &a));
        inet_pton(AF_INET, "192.0.3.1", &a.in);
        CHECK(!config_prefix_contains(&tg->identities[2].prefix, &a));
    }
    tg = config_tunnel_group_find(c, "gtc");
    CHECK(tg && tg->auth == CONFIG_AUTH_EAP_GTC && tg->local_auth == CONFIG_LOCAL_AUTH_PSK && !tg->certificate);
    config_free(c);
}

/* EAP methods that cannot use a crypt(3) hash: a warning names the users. */
static void test_eap_warning(void)
{
    struct vpnd_config *c = load_text("eap.conf",
        PROPOSALS
        "users = ( { name = \"alice\"; password-hash = \"" HASH_ALICE "\"; },\n"
        "          { name = \"nt\"; password-hash = \"" HASH_ALICE "\"; nt-hash = \"a6bff48bf06f43ae7fb903ce7b00eea2\"; } );\n"
        "tunnel-groups = (\n"
        "  { name = \"ms\"; ike-version = 2; authentication = \"eap-mschapv2\"; local-authentication = \"psk\";\n"
        "    psk = \"k\"; group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\";\n"
        "    identity = \"key-id:ms\"; },\n"
        "  { name = \"md5\"; ike-version = 2; authentication = \"eap-md5\"; local-authentication = \"psk\";\n"
        "    psk = \"k\"; group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; }\n"
        ");\n", NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT_EQ(c->n_warnings, 2);
    if (c->n_warnings == 2) {
        CHECK(strstr(c->warnings[0], "/eap.conf:7: tunnel-group 'ms': 1 user(s) (first: 'alice') cannot log in with "
                     "eap-mschapv2: it needs 'nt-hash' or 'password'") != NULL);
        CHECK(strstr(c->warnings[1], "/eap.conf:10: tunnel-group 'md5': 2 user(s) (first: 'alice') cannot log in "
                     "with eap-md5: it needs a cleartext 'password'") != NULL);
    }
    config_free(c);
}

static void test_log_and_control(void)
{
    struct vpnd_config *c = load_text("log.conf",
        "log = { level = \"debug\"; debug = { ike = 127; radius = 255; pool = 0; }; };\n"
        "control = { socket = \"/run/vpnd-test/ctl.sock\"; read-group = \"root\"; admin-group = \"root\"; };\n"
        "listen = ( { address = \"192.0.2.1\"; }, { address = \"2001:db8::1\"; port = 1500; natt-port = 14500; },\n"
        "           { address = \"192.0.2.1\"; port = 600; natt-port = 4600; } );\n", NULL);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT_EQ(c->log.level, LOG_DEBUG);
    CHECK_INT_EQ(c->log.debug[CONFIG_SUBSYS_IKE], 127);
    CHECK_INT_EQ(c->log.debug[CONFIG_SUBSYS_RADIUS], 255);
    CHECK_INT_EQ(c->log.debug[CONFIG_SUBSYS_IKEV2], 0);
    CHECK_STR_EQ(c->control.socket_path, "/run/vpnd-test/ctl.sock");
    CHECK(c->control.has_read_group && c->control.read_gid == 0);
    CHECK(c->control.has_admin_group && c->control.admin_gid == 0);
    CHECK_STR_EQ(c->control.admin_group, "root");
    CHECK_INT_EQ(c->n_listen, 3);
    CHECK_INT_EQ(c->listen[1].port, 1500);
    CHECK_INT_EQ(c->listen[1].natt_port, 14500);
    CHECK_INT_EQ(c->listen[1].address.family, AF_INET6);
    /* No ike section: the defaults. */
    CHECK_INT_EQ(c->ike.cookie_threshold, 100);
    CHECK_INT_EQ(c->ike.half_open_per_peer, 10);
    CHECK_INT_EQ(c->ike.fragment_size, 1280);
    CHECK_INT_EQ(c->ike.retransmit_timeout_ms, 4000);
    CHECK_INT_EQ(c->ike.retransmit_tries, 5);
    CHECK_INT_EQ(c->kernel.spd_hash_thresholds, CONFIG_SPD_HASH_REMOTE_ACCESS);
    config_free(c);

    c = load_text("kernel.conf", "kernel = { spd-hash-thresholds = \"keep\"; };\n", NULL);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT_EQ(c->kernel.spd_hash_thresholds, CONFIG_SPD_HASH_KEEP);
        config_free(c);
    }

    c = load_text("ike.conf", "ike = { cookie-threshold = 0; retransmit-timeout = 2; fragment-size = 576; };\n", NULL);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT_EQ(c->ike.cookie_threshold, 0);
        CHECK_INT_EQ(c->ike.retransmit_timeout_ms, 2000);
        CHECK_INT_EQ(c->ike.fragment_size, 576);
        CHECK_INT_EQ(c->ike.half_open_max, 20000);
        config_free(c);
    }

    CHECK_STR_EQ(config_subsystem_name(CONFIG_SUBSYS_POOL), "pool");
    CHECK(config_subsystem_name(CONFIG_SUBSYS_COUNT) == NULL);
    CHECK_INT_EQ(config_subsystem_from_name("ikev1"), CONFIG_SUBSYS_IKEV1);
    CHECK_INT_EQ(config_subsystem_from_name("ipsec"), -ENOENT);
    CHECK_INT_EQ(config_subsystem_from_name(NULL), -ENOENT);
    for (int i = 0; i < CONFIG_SUBSYS_COUNT; i++)
        CHECK_INT_EQ(config_subsystem_from_name(config_subsystem_name((enum config_subsystem)i)), i);
    CHECK_INT_EQ(config_log_level_from_name("warning"), LOG_WARNING);
    CHECK_INT_EQ(config_log_level_from_name("warn"), -EINVAL);
    CHECK_STR_EQ(config_log_level_name(LOG_NOTICE), "notice");
    CHECK(config_log_level_name(LOG_EMERG) == NULL);
}

static void test_include(void)
{
    char path[8192];
    snprintf(path, sizeof(path), "%s/included-users.conf", fixture);
    FILE *f = fopen(path, "we");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("users = ( { name = \"inc\"; password-hash = \"" HASH_ALICE "\"; } );\n", f);
    fclose(f);
    struct vpnd_config *c = load_text("include.conf", "log = { level = \"info\"; };\n@include \"included-users.conf\"\n", NULL);
    CHECK(c && config_user_find(c, "inc") != NULL);
    config_free(c);

    /* An error in the included file names that file and its line. */
    f = fopen(path, "we");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("\nusers = ( { name = \"inc\"; password-hash = \"nope\"; } );\n", f);
    fclose(f);
    struct config_error err;
    c = load_text("include.conf", "log = { level = \"info\"; };\n@include \"included-users.conf\"\n", &err);
    CHECK(c == NULL);
    CHECK_STR_EQ(err.file, path);
    CHECK_INT_EQ(err.line, 2);
}

static void test_load_errors(void)
{
    struct config_error err;
    struct vpnd_config *c = (struct vpnd_config *)1;
    char msg[6000];

    CHECK_INT_EQ(config_load("/nonexistent/vpnd.conf", &c, &err), -ENOENT);
    CHECK(c == NULL);
    CHECK_STR_EQ(config_error_format(&err, msg, sizeof(msg)), "/nonexistent/vpnd.conf: cannot read: No such file or directory");
    CHECK_INT_EQ(config_load("", &c, &err), -EINVAL);
    CHECK_STR_EQ(err.reason, "no configuration file given");
    CHECK_INT_EQ(config_load(NULL, &c, &err), -EINVAL);
    CHECK_INT_EQ(config_load("/nonexistent", NULL, &err), -EINVAL);
    /* A directory is not a configuration file. */
    CHECK(config_load(fixture, &c, &err) < 0);
    CHECK(c == NULL);
    /* err may be NULL. */
    CHECK_INT_EQ(config_load("/nonexistent/vpnd.conf", &c, NULL), -ENOENT);

    struct config_error e = { .file = "x.conf", .line = 0, .reason = "bad" };
    CHECK_STR_EQ(config_error_format(&e, msg, sizeof(msg)), "x.conf: bad");
    e.line = 12;
    CHECK_STR_EQ(config_error_format(&e, msg, sizeof(msg)), "x.conf:12: bad");
    CHECK_STR_EQ(config_error_format(&e, msg, 5), "x.co");
    config_free(NULL);
}

static void test_identity_matching(void)
{
    struct vpnd_config *c = load_text("identity.conf",
        PROPOSALS
        "tunnel-groups = (\n"
        "  { name = \"anyconnect\"; ike-version = 2; authentication = \"psk\"; psk = \"k\";\n"
        "    identity = [\"key-id:*$AnyConnectClient$*\", \"key-id:ASA-IKEV2\"];\n"
        "    group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; },\n"
        "  { name = \"corp\"; ike-version = 2; authentication = \"psk\"; psk = \"k\";\n"
        "    identity = [\"fqdn:*.corp.example\", \"email:*@corp.example\", \"address:198.51.100.0/24\",\n"
        "                \"dn:CN=*,O=Corp\"];\n"
        "    group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; },\n"
        "  { name = \"v1\"; ike-version = 1; authentication = \"psk\"; psk = \"k\"; group-name = \"v1\";\n"
        "    group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; },\n"
        "  { name = \"default\"; ike-version = 2; authentication = \"psk\"; psk = \"k\";\n"
        "    group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; }\n"
        ");\n", NULL);
    CHECK(c != NULL);
    if (!c)
        return;
#define FIND(type, value, addr) (config_tunnel_group_find_by_identity(c, type, value, addr) ? \
                                 config_tunnel_group_find_by_identity(c, type, value, addr)->name : "(none)")
    CHECK_STR_EQ(FIND(CONFIG_ID_KEY_ID, "*$AnyConnectClient$*", NULL), "anyconnect");
    CHECK_STR_EQ(FIND(CONFIG_ID_KEY_ID, "ASA-IKEV2", NULL), "anyconnect");
    CHECK_STR_EQ(FIND(CONFIG_ID_KEY_ID, "asa-ikev2", NULL), "default");      /* key IDs keep case */
    CHECK_STR_EQ(FIND(CONFIG_ID_FQDN, "Laptop.CORP.example", NULL), "corp"); /* DNS ignores case */
    CHECK_STR_EQ(FIND(CONFIG_ID_FQDN, "corp.example", NULL), "default");     /* "*." needs a label */
    CHECK_STR_EQ(FIND(CONFIG_ID_EMAIL, "jane@corp.example", NULL), "corp");
    CHECK_STR_EQ(FIND(CONFIG_ID_EMAIL, "jane@corp.example.org", NULL), "default");
    CHECK_STR_EQ(FIND(CONFIG_ID_DN, "CN=jane,O=Corp", NULL), "corp");
    CHECK_STR_EQ(FIND(CONFIG_ID_DN, "CN=jane,O=corp", NULL), "default");
    CHECK_STR_EQ(FIND(CONFIG_ID_FQDN, "v1", NULL), "default");               /* IKEv1 groups never */
    struct config_address a = { .family = AF_INET };
    inet_pton(AF_INET, "198.51.100.9", &a.in);
    CHECK_STR_EQ(FIND(CONFIG_ID_ADDRESS, NULL, &a), "corp");
    inet_pton(AF_INET, "198.51.101.9", &a.in);
    CHECK_STR_EQ(FIND(CONFIG_ID_ADDRESS, NULL, &a), "default");
#undef FIND
    /* The glob backtracks: "*a*b" against text with an early 'a'. */
    struct config_identity id = { .type = CONFIG_ID_KEY_ID, .pattern = (char *)"*ab*ab" };
    CHECK(config_identity_matches(&id, CONFIG_ID_KEY_ID, "xxabyyabab", NULL));
    CHECK(!config_identity_matches(&id, CONFIG_ID_KEY_ID, "xxabyyaba", NULL));
    CHECK(!config_identity_matches(&id, CONFIG_ID_FQDN, "xxabyyabab", NULL));
    CHECK(!config_identity_matches(&id, CONFIG_ID_KEY_ID, NULL, NULL));
    config_free(c);
}

static void test_lookups_tolerate_null(void)
{
    CHECK(config_user_find(NULL, "x") == NULL);
    CHECK(config_pool_find(NULL, "x") == NULL);
    CHECK(config_tunnel_group_find(NULL, "x") == NULL);
    CHECK(config_tunnel_group_find_by_group_name(NULL, "x") == NULL);
    CHECK(config_tunnel_group_find_by_peer(NULL, NULL) == NULL);
}

static void run_all(void);

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONF-DIR\n", argv[0]);
        return 2;
    }
    conf_dir = argv[1];
    if (fixture_create(fixture, sizeof(fixture)) < 0) {
        printf("Bail out! cannot create the fixture\n");
        return 1;
    }
    char creds[4200];
    snprintf(creds, sizeof(creds), "%s/creds", fixture);
    setenv("CREDENTIALS_DIRECTORY", creds, 1);
    run_all();
    fixture_remove(fixture);
    return testing_failures ? 1 : 0;
}

static void run_all(void)
{
    static const struct testing_case cases[] = {
        TEST(test_demo_configuration),
        TEST(test_example_anyconnect),
        TEST(test_example_ezvpn),
        TEST(test_example_pix),
        TEST(test_example_radius),
        TEST(test_example_scenarios),
        TEST(test_proposals),
        TEST(test_algorithm_table),
        TEST(test_legacy_warnings),
        TEST(test_pools),
        TEST(test_same_key_twice_on_a_line),
        TEST(test_policy_defaults),
        TEST(test_users),
        TEST(test_many_users),
        TEST(test_secrets),
        TEST(test_certificate_group),
        TEST(test_eap_warning),
        TEST(test_log_and_control),
        TEST(test_include),
        TEST(test_load_errors),
        TEST(test_identity_matching),
        TEST(test_lookups_tolerate_null),
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    printf("1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        testing_current_failed = 0;
        cases[i].fn();
        printf("%s %zu - %s\n", testing_current_failed ? "not ok" : "ok", i + 1, cases[i].name);
    }
}
