/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * aaa-server-groups in vpnd.conf (daemon/config-aaa.c): what a valid
 * section turns into (defaults, secrets inline and from a file, NAS
 * identity), the tunnel groups' references, and that a group loaded from
 * the file drives the client. The broken files are in tests/unit/config/bad/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "radius.h"
#include "testing.h"

static char dir[] = "/tmp/vpnd-radius-config.XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

static struct vpnd_config *load(const char *text)
{
    char path[256], msg[6000];
    struct config_error err;
    struct vpnd_config *c = NULL;
    write_file("vpnd.conf", text);
    snprintf(path, sizeof(path), "%s/vpnd.conf", dir);
    if (config_load(path, &c, &err) < 0) {
        printf("#   load failed: %s\n", config_error_format(&err, msg, sizeof(msg)));
        return NULL;
    }
    return c;
}

static const char conf[] =
    "ike-proposals = ( { name = \"ike\"; encryption = \"aes256\"; integrity = \"sha256\"; dh-group = 14; } );\n"
    "esp-proposals = ( { name = \"esp\"; encryption = \"aes256gcm16\"; } );\n"
    "group-policies = ( { name = \"gp\"; } );\n"
    "aaa-server-groups = (\n"
    "  { name = \"corp\"; protocol = \"radius\";\n"
    "    servers = ( { address = \"192.0.2.5\"; secret-file = \"radius.key\"; },\n"
    "                { address = \"2001:db8::5\"; port = 11812; accounting-port = 11813; secret = \"s2\"; } );\n"
    "    timeout = 3; retries = 1; dead-time = 0; require-message-authenticator = true;\n"
    "    nas-identifier = \"vpn1\"; nas-ip-address = \"192.0.2.1\"; interim-interval = 300;\n"
    "    accounting-spool-directory = \"/var/spool/vpnd-corp\"; accounting-spool-limit = 50; },\n"
    "  { name = \"acct\"; servers = ( { address = \"192.0.2.9\"; secret = \"s3\"; } ); }\n"
    ");\n"
    "tunnel-groups = (\n"
    "  { name = \"tg\"; ike-version = 2; authentication = \"psk\"; psk = \"a-long-enough-preshared-key\";\n"
    "    group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\";\n"
    "    authentication-server-group = \"corp\"; accounting-server-group = \"acct\"; },\n"
    "  { name = \"local\"; ike-version = 2; authentication = \"psk\"; psk = \"a-long-enough-preshared-key\"; identity = \"fqdn:x.example\";\n"
    "    group-policy = \"gp\"; ike-proposals = \"ike\"; esp-proposals = \"esp\"; }\n"
    ");\n";

static void test_parsed_groups(void)
{
    write_file("radius.key", "file-secret\n");
    struct vpnd_config *c = load(conf);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_INT_EQ(c->n_aaa_groups, 2);
    const struct config_aaa_group *g = config_aaa_group_find(c, "corp");
    CHECK(g != NULL);
    if (!g)
        goto out;
    CHECK_INT_EQ(g->n_servers, 2);
    char buf[INET6_ADDRSTRLEN];
    CHECK_INT_EQ(g->servers[0].address.family, AF_INET);
    CHECK_STR_EQ(inet_ntop(AF_INET, &g->servers[0].address.in, buf, sizeof(buf)), "192.0.2.5");
    CHECK_INT_EQ(g->servers[0].auth_port, 1812);
    CHECK_INT_EQ(g->servers[0].acct_port, 1813);
    /* The file's trailing newline is not part of the secret (as for PSK files). */
    CHECK(g->servers[0].secret.len == 11 && memcmp(g->servers[0].secret.data, "file-secret", 11) == 0);
    CHECK_INT_EQ(g->servers[1].address.family, AF_INET6);
    CHECK_INT_EQ(g->servers[1].auth_port, 11812);
    CHECK_INT_EQ(g->servers[1].acct_port, 11813);
    CHECK(g->servers[1].secret.len == 2 && memcmp(g->servers[1].secret.data, "s2", 2) == 0);
    CHECK_INT_EQ(g->timeout_ms, 3000);
    CHECK_INT_EQ(g->retries, 1);
    CHECK_INT_EQ(g->dead_time, 0);
    CHECK_STR_EQ(g->nas_identifier, "vpn1");
    CHECK(g->has_nas_ip && g->nas_ip.family == AF_INET);
    CHECK(g->require_message_authenticator);
    CHECK_INT_EQ(g->interim_interval, 300);
    CHECK_STR_EQ(g->accounting_spool_directory, "/var/spool/vpnd-corp");
    CHECK_INT_EQ(g->accounting_spool_limit, 50);

    /* Defaults. */
    const struct config_aaa_group *a = config_aaa_group_find(c, "acct");
    CHECK(a != NULL);
    if (a) {
        CHECK_INT_EQ(a->timeout_ms, 5000);
        CHECK_INT_EQ(a->retries, 2);
        CHECK_INT_EQ(a->dead_time, 600);
        CHECK(a->nas_identifier == NULL);
        CHECK(!a->has_nas_ip);
        CHECK(!a->require_message_authenticator);
        CHECK_INT_EQ(a->interim_interval, 0);
        CHECK_STR_EQ(a->accounting_spool_directory, "/var/lib/vpnd/accounting/acct");
        CHECK_INT_EQ(a->accounting_spool_limit, 10000);
    }
    CHECK(config_aaa_group_find(c, "nope") == NULL);

    const struct config_tunnel_group *tg = config_tunnel_group_find(c, "tg");
    CHECK(tg && tg->authentication_server_group == g && tg->accounting_server_group == a);
    const struct config_tunnel_group *local = config_tunnel_group_find(c, "local");
    CHECK(local && !local->authentication_server_group && !local->accounting_server_group);
out:
    config_free(c);
}

static void test_secret_rules(void)
{
    /* Two sources for one secret, and an empty one, are refused. */
    static const char two[] =
        "aaa-server-groups = ( { name = \"corp\"; servers = ( { address = \"192.0.2.5\"; secret = \"a\";\n"
        "  secret-file = \"radius.key\"; } ); } );\n";
    static const char empty[] =
        "aaa-server-groups = ( { name = \"corp\"; servers = ( { address = \"192.0.2.5\"; secret = \"\"; } ); } );\n";
    char path[256];
    struct config_error err;
    struct vpnd_config *c = NULL;
    write_file("two.conf", two);
    snprintf(path, sizeof(path), "%s/two.conf", dir);
    CHECK_INT_EQ(config_load(path, &c, &err), -EINVAL);
    CHECK(strstr(err.reason, "give only one of 'secret', 'secret-file' and 'secret-credential'") != NULL);
    write_file("empty.conf", empty);
    snprintf(path, sizeof(path), "%s/empty.conf", dir);
    CHECK_INT_EQ(config_load(path, &c, &err), -EINVAL);
    CHECK(strstr(err.reason, "'secret' must not be empty") != NULL);
    CHECK(c == NULL);
}

static void test_client_from_loaded_group(void)
{
    /* The client takes a loaded group as is; a missing group is refused. */
    write_file("radius.key", "file-secret\n");
    struct vpnd_config *c = load(conf);
    sd_event *e = NULL;
    struct radius_client *client = NULL;
    CHECK(c != NULL);
    CHECK(sd_event_new(&e) >= 0);
    if (!c || !e)
        goto out;
    CHECK_INT_EQ(radius_client_new(e, NULL, &client), -EINVAL);
    CHECK_INT_EQ(radius_client_new(e, config_aaa_group_find(c, "corp"), &client), 0);
    CHECK(!radius_client_server_is_dead(client, 0, false));
    CHECK(!radius_client_server_is_dead(client, 5, false));
    radius_client_free(client);
out:
    sd_event_unref(e);
    config_free(c);
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("#   could not remove %s\n", dir);
}

static void setup(void)
{
    CHECK(mkdtemp(dir) != NULL);
}

TEST_MAIN(TEST(setup),
          TEST(test_parsed_groups),
          TEST(test_secret_rules),
          TEST(test_client_from_loaded_group),
          TEST(cleanup))
