/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The AAA layer (daemon/aaa.c, aaa-authorize.c) against the real FreeRADIUS
 * freeradius.sh starts (client secret "testing-secret"; alice accepted with
 * Framed-IP-Address, Framed-IP-Netmask, Session-Timeout, Idle-Timeout,
 * Class and Filter-Id; bob rejected with "Account disabled"): the verdicts
 * and the authorization as a session gets it (the group-policy-map picks
 * the policy, the server's timeouts replace the policy's), cancellation,
 * and what a reload does to requests in flight: a changed group's finish
 * on the previous client, a removed group's fail.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aaa.h"
#include "testing.h"

static char dir[] = "/tmp/vpnd-aaa-test.XXXXXX";
static sd_event *event;

static struct vpnd_config *load(const char *text)
{
    char path[256], msg[6000];
    struct config_error err;
    struct vpnd_config *c = NULL;
    snprintf(path, sizeof(path), "%s/vpnd.conf", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    if (config_load(path, &c, &err) < 0) {
        printf("#   load failed: %s\n", config_error_format(&err, msg, sizeof(msg)));
        return NULL;
    }
    return c;
}

/* The tunnel group uses aaa-server-group "corp" at SERVER_PORT. */
#define CONF(SERVER_PORT, EXTRA_GROUP)                                                                              \
    "ike-proposals = ( { name = \"ike\"; encryption = \"aes256\"; integrity = \"sha256\"; dh-group = 14; } );\n"    \
    "esp-proposals = ( { name = \"esp\"; encryption = \"aes256\"; integrity = \"sha256\"; } );\n"                   \
    "group-policies = ( { name = \"gp\"; idle-timeout = 1800; },\n"                                                 \
    "  { name = \"acl-policy\"; idle-timeout = 900; session-timeout = 7200; } );\n"                                  \
    "aaa-server-groups = ( { name = \"corp\"; timeout = 3; retries = 0;\n"                                          \
    "    servers = ( { address = \"127.0.0.1\"; port = " SERVER_PORT "; secret = \"testing-secret\"; } );\n"         \
    "    group-policy-attribute = \"filter-id\";\n"                                                                 \
    "    group-policy-map = ( { value = \"acl-in\"; group-policy = \"acl-policy\"; } ); }" EXTRA_GROUP " );\n"        \
    "tunnel-groups = ( { name = \"tg\"; ike-version = 1; authentication = \"psk+xauth\";\n"                         \
    "    psk = \"a-long-enough-preshared-key\"; group-name = \"ez\"; group-policy = \"gp\";\n"                       \
    "    ike-proposals = \"ike\"; esp-proposals = \"esp\"; authentication-server-group = \"corp\"; } );\n"

static const char conf_freeradius[] = CONF("1812", "");
/* "corp" now at a port nobody answers on. */
static const char conf_silent[] = CONF("1999", "");
/* "corp" at the silent port, and "other" besides it. */
static const char conf_other[] = CONF("1999", ", { name = \"other\"; servers = ( { address = \"127.0.0.1\"; "
                                      "secret = \"testing-secret\"; } ); }");

/* Copies of what a callback saw. */
struct outcome {
    int calls;
    enum aaa_verdict verdict;
    int error;
    char reply[AAA_TEXT_MAX];
    char server[64];
    struct aaa_authorization authz;
    size_t msk_len;
};

static void on_result(const struct aaa_result *res, void *userdata)
{
    struct outcome *o = userdata;
    o->calls++;
    o->verdict = res->verdict;
    o->error = res->error;
    snprintf(o->reply, sizeof(o->reply), "%s", res->reply);
    snprintf(o->server, sizeof(o->server), "%s", res->server);
    o->authz = res->authz;
    o->msk_len = res->msk_len;
}

static uint64_t mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* Runs the loop until *calls reaches `want` or `seconds` pass. */
static void run_until(const int *calls, int want, unsigned seconds)
{
    uint64_t deadline = mono_usec() + seconds * 1000000ULL;
    while (*calls < want && mono_usec() < deadline)
        (void)sd_event_run(event, 100000);
}

static int authenticate(struct aaa *aaa, const struct vpnd_config *c, const char *user, const char *password,
                        struct outcome *o, struct aaa_pending **handle)
{
    struct aaa_request req = { .group = config_tunnel_group_find(c, "tg"), .user = user, .peer = "192.0.2.10",
                               .password = password };
    memset(o, 0, sizeof(*o));
    return aaa_authenticate(aaa, &req, on_result, o, handle);
}

static void test_verdicts(struct vpnd_config *c)
{
    struct aaa *aaa = NULL;
    struct outcome o;
    char buf[INET_ADDRSTRLEN];

    CHECK_INT_EQ(aaa_new(event, c, &aaa), 0);
    if (!aaa)
        return;
    CHECK(aaa_radius_client(aaa, "corp") != NULL);
    CHECK(aaa_radius_client(aaa, "nosuch") == NULL);

    CHECK_INT_EQ(authenticate(aaa, c, "alice", "alice-pass", &o, NULL), 0);
    CHECK_INT_EQ(o.calls, 0);               /* never from within aaa_authenticate */
    run_until(&o.calls, 1, 10);
    CHECK_INT_EQ(o.calls, 1);
    CHECK_INT_EQ(o.verdict, AAA_ACCEPT);
    CHECK_STR_EQ(o.server, "127.0.0.1:1812");
    CHECK(o.authz.has_address);
    CHECK_STR_EQ(inet_ntop(AF_INET, &o.authz.address, buf, sizeof(buf)), "10.9.0.5");
    CHECK(o.authz.has_netmask);
    CHECK_STR_EQ(inet_ntop(AF_INET, &o.authz.netmask, buf, sizeof(buf)), "255.255.255.0");
    CHECK(o.authz.has_session_timeout && o.authz.session_timeout == 3600);
    CHECK(o.authz.has_idle_timeout && o.authz.idle_timeout == 600);
    CHECK(o.authz.class_len == 10 && memcmp(o.authz.class_, "corp-class", 10) == 0);
    CHECK(o.authz.group_policy == config_group_policy_find(c, "acl-policy"));
    CHECK_STR_EQ(o.authz.policy_value, "acl-in");
    /* alice's entry carries an MS-MPPE-Recv-Key but no Send-Key: no MSK. */
    CHECK_INT_EQ(o.msk_len, 0);

    /* The session's grant: the mapped policy with the server's timeouts. */
    struct aaa_grant *g = aaa_grant_new(&o.authz, "alice", config_group_policy_find(c, "gp"));
    CHECK(g != NULL);
    if (g) {
        CHECK_STR_EQ(g->policy->name, "acl-policy");
        CHECK_INT_EQ(g->policy->session_timeout, 3600);
        CHECK_INT_EQ(g->policy->idle_timeout, 600);
        CHECK_INT_EQ(config_group_policy_find(c, "acl-policy")->session_timeout, 7200);  /* untouched */
        CHECK(g->user.has_address && g->user.address.family == AF_INET);
        CHECK_STR_EQ(g->user.name, "alice");
        aaa_grant_free(g);
    }

    CHECK_INT_EQ(authenticate(aaa, c, "bob", "anything", &o, NULL), 0);
    run_until(&o.calls, 1, 10);
    CHECK_INT_EQ(o.verdict, AAA_REJECT);
    CHECK_STR_EQ(o.reply, "Account disabled");

    CHECK_INT_EQ(authenticate(aaa, c, "alice", "wrong-password", &o, NULL), 0);
    run_until(&o.calls, 1, 10);
    CHECK_INT_EQ(o.verdict, AAA_REJECT);

    /* Cancelled: the answer comes, the callback does not run. */
    struct aaa_pending *h = NULL;
    CHECK_INT_EQ(authenticate(aaa, c, "alice", "alice-pass", &o, &h), 0);
    aaa_cancel(h);
    run_until(&o.calls, 1, 2);
    CHECK_INT_EQ(o.calls, 0);

    /* Neither a password nor EAP, or both: refused. */
    struct aaa_request bad = { .group = config_tunnel_group_find(c, "tg"), .user = "alice" };
    CHECK_INT_EQ(aaa_authenticate(aaa, &bad, on_result, &o, NULL), -EINVAL);
    aaa_free(aaa);
}

static void test_reload(struct vpnd_config *c)
{
    struct aaa *aaa = NULL;
    struct outcome before, after, gone;

    CHECK_INT_EQ(aaa_new(event, c, &aaa), 0);
    if (!aaa)
        return;
    /* In flight to FreeRADIUS when "corp" moves to a silent port: it
     * finishes on the previous client; new requests go to the new one. */
    CHECK_INT_EQ(authenticate(aaa, c, "alice", "alice-pass", &before, NULL), 0);
    struct vpnd_config *silent = load(conf_silent);
    CHECK(silent != NULL);
    if (!silent) {
        aaa_free(aaa);
        return;
    }
    CHECK_INT_EQ(aaa_reload(aaa, silent), 0);
    CHECK_INT_EQ(authenticate(aaa, silent, "alice", "alice-pass", &after, NULL), 0);
    run_until(&before.calls, 1, 10);
    CHECK_INT_EQ(before.verdict, AAA_ACCEPT);
    run_until(&after.calls, 1, 10);
    CHECK_INT_EQ(after.verdict, AAA_ERROR);
    CHECK(strstr(after.reply, "timeout: no answer from 127.0.0.1:1999") != NULL);

    /* Unchanged groups keep their client (and the dead server). */
    struct vpnd_config *other = load(conf_other);
    CHECK(other != NULL);
    if (other) {
        CHECK_INT_EQ(aaa_reload(aaa, other), 0);
        CHECK(aaa_radius_client(aaa, "other") != NULL);
        CHECK_INT_EQ(authenticate(aaa, other, "alice", "alice-pass", &after, NULL), 0);
        run_until(&after.calls, 1, 5);
        CHECK_INT_EQ(after.verdict, AAA_ERROR);
        CHECK(strstr(after.reply, "are dead") != NULL);
    }

    /* A removed group: its request in flight fails, cleanly and later. */
    CHECK_INT_EQ(authenticate(aaa, silent, "alice", "alice-pass", &gone, NULL), 0);
    struct vpnd_config *none = load("group-policies = ( { name = \"gp\"; } );\n");
    CHECK(none != NULL);
    if (none) {
        CHECK_INT_EQ(aaa_reload(aaa, none), 0);
        CHECK_INT_EQ(gone.calls, 0);
        run_until(&gone.calls, 1, 5);
        CHECK_INT_EQ(gone.calls, 1);
        CHECK_INT_EQ(gone.verdict, AAA_ERROR);
        CHECK_STR_EQ(gone.reply, "aaa-server-group 'corp' was removed by a reload");
        CHECK(aaa_radius_client(aaa, "corp") == NULL);
        CHECK_INT_EQ(authenticate(aaa, silent, "alice", "alice-pass", &gone, NULL), -ENOENT);
    }
    aaa_free(aaa);
    config_unref(none);
    config_unref(other);
    config_unref(silent);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(dir) || sd_event_new(&event) < 0) {
        printf("Bail out! cannot set up\n");
        return 1;
    }
    struct vpnd_config *c = load(conf_freeradius);
    if (!c) {
        printf("Bail out! the test configuration does not load\n");
        return 1;
    }
    static const struct { const char *name; void (*fn)(struct vpnd_config *c); } cases[] = {
        { "verdicts and authorization", test_verdicts },
        { "reload with requests in flight", test_reload },
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    printf("1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        testing_current_failed = 0;
        cases[i].fn(c);
        printf("%s %zu - %s\n", testing_current_failed ? "not ok" : "ok", i + 1, cases[i].name);
    }
    config_unref(c);
    sd_event_unref(event);
    char path[300];
    snprintf(path, sizeof(path), "%s/vpnd.conf", dir);
    unlink(path);
    rmdir(dir);
    return testing_failures ? 1 : 0;
}
