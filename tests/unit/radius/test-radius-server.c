/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The RADIUS client (daemon/radius-client.c) against a real FreeRADIUS,
 * which freeradius.sh starts on 127.0.0.1 in a private network namespace
 * (client secret "testing-secret"; users alice and bob), and against a
 * forger on the same loopback for what a real server never sends.
 * argv[1] is FreeRADIUS's temporary directory (its accounting detail files).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "radius.h"
#include "testing.h"

static const char *server_dir;
static sd_event *event;
static bool stop;       /* a callback ran: run_loop returns */

#define SECRET "testing-secret"

static struct config_aaa_server make_server(const char *addr, uint16_t port, const char *secret)
{
    struct config_aaa_server s = { .auth_port = port, .acct_port = (uint16_t)(port + 1) };
    s.address.family = AF_INET;
    inet_pton(AF_INET, addr, &s.address.in);
    s.secret.data = (uint8_t *)strdup(secret);
    s.secret.len = strlen(secret);
    return s;
}

static struct config_aaa_group make_group(const char *name, struct config_aaa_server *servers, size_t n,
                                          uint32_t timeout_ms, unsigned retries, uint32_t dead_time)
{
    struct config_aaa_group g = {
        .name = (char *)name, .servers = servers, .n_servers = n,
        .timeout_ms = timeout_ms, .retries = retries, .dead_time = dead_time,
        .nas_identifier = (char *)"vpnd-test",
    };
    return g;
}

static void free_servers(struct config_aaa_server *servers, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(servers[i].secret.data);
}

static uint64_t mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* What a callback saw, copied out of the response (valid only during it). */
struct outcome {
    bool done;
    int error;
    char reason[256];
    uint8_t code;
    char reply[256];
    bool has_ip, has_mask;
    struct in_addr ip, mask;
    uint32_t session_timeout, idle_timeout;
    char class_[64], filter[64];
    int mppe_len;
    uint8_t mppe[64];
    uint64_t at_usec;
    int eap_len;
    uint8_t eap[1024];
    size_t state_len;
    uint8_t state[253];
};

static void copy_string(const struct radius_response *resp, uint8_t type, char *buf, size_t size)
{
    const uint8_t *v;
    size_t len;
    buf[0] = '\0';
    if (radius_response_find(resp, type, 0, &v, &len) == 1 && len < size) {
        memcpy(buf, v, len);
        buf[len] = '\0';
    }
}

static void on_done(const struct radius_response *resp, int error, const char *reason, void *userdata)
{
    struct outcome *o = userdata;
    o->done = true;
    o->error = error;
    o->at_usec = mono_usec();
    if (reason)
        snprintf(o->reason, sizeof(o->reason), "%s", reason);
    if (resp) {
        o->code = radius_response_code(resp);
        radius_response_reply_message(resp, o->reply, sizeof(o->reply));
        o->has_ip = radius_response_ipv4(resp, RADIUS_FRAMED_IP_ADDRESS, &o->ip) == 1;
        o->has_mask = radius_response_ipv4(resp, RADIUS_FRAMED_IP_NETMASK, &o->mask) == 1;
        (void)radius_response_u32(resp, RADIUS_SESSION_TIMEOUT, &o->session_timeout);
        (void)radius_response_u32(resp, RADIUS_IDLE_TIMEOUT, &o->idle_timeout);
        copy_string(resp, RADIUS_CLASS, o->class_, sizeof(o->class_));
        copy_string(resp, RADIUS_FILTER_ID, o->filter, sizeof(o->filter));
        o->mppe_len = radius_response_mppe_key(resp, RADIUS_MS_MPPE_RECV_KEY, o->mppe, sizeof(o->mppe));
        o->eap_len = radius_response_eap(resp, o->eap, sizeof(o->eap));
        const uint8_t *v;
        if (radius_response_find(resp, RADIUS_STATE, 0, &v, &o->state_len) == 1)
            memcpy(o->state, v, o->state_len);
    }
    stop = true;
}

/* Runs the loop until a callback ran; -ETIMEDOUT after 10 s without one. */
static int run_loop(void)
{
    uint64_t deadline = mono_usec() + 10000000ULL;
    stop = false;
    while (!stop) {
        if (mono_usec() > deadline) {
            printf("#   no callback within 10 s\n");
            return -ETIMEDOUT;
        }
        int r = sd_event_run(event, 100000);
        if (r < 0)
            return r;
    }
    return 0;
}

static void access_request(struct radius_request *req, const char *user, const char *password)
{
    radius_request_init(req, RADIUS_ACCESS_REQUEST);
    CHECK_INT_EQ(radius_request_add_string(req, RADIUS_USER_NAME, user), 0);
    CHECK_INT_EQ(radius_request_set_password(req, password, strlen(password)), 0);
}

static void test_access_accept_attributes(void)
{
    struct config_aaa_server servers[1] = { make_server("127.0.0.1", 1812, SECRET) };
    struct config_aaa_group g = make_group("corp", servers, 1, 1000, 2, 60);
    struct radius_client *c = NULL;
    struct radius_request req;
    struct outcome o = { 0 };

    CHECK_INT_EQ(radius_client_new(event, &g, &c), 0);
    access_request(&req, "alice", "alice-pass");
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o, NULL), 0);
    CHECK(!o.done);     /* never from within radius_send */
    CHECK_INT_EQ(run_loop(), 0);
    CHECK(o.done);
    CHECK_INT_EQ(o.error, 0);
    CHECK_INT_EQ(o.code, RADIUS_ACCESS_ACCEPT);
    char ip[INET_ADDRSTRLEN] = "", mask[INET_ADDRSTRLEN] = "";
    CHECK(o.has_ip && o.has_mask);
    inet_ntop(AF_INET, &o.ip, ip, sizeof(ip));
    inet_ntop(AF_INET, &o.mask, mask, sizeof(mask));
    CHECK_STR_EQ(ip, "10.9.0.5");
    CHECK_STR_EQ(mask, "255.255.255.0");
    CHECK_INT_EQ(o.session_timeout, 3600);
    CHECK_INT_EQ(o.idle_timeout, 600);
    CHECK_STR_EQ(o.class_, "corp-class");
    CHECK_STR_EQ(o.filter, "acl-in");
    CHECK_STR_EQ(o.reply, "Welcome alice\nsecond line");
    /* FreeRADIUS encrypted MS-MPPE-Recv-Key with our request authenticator and secret (RFC 2548). */
    CHECK_INT_EQ(o.mppe_len, 32);
    for (int i = 0; i < 32 && o.mppe_len == 32; i++)
        CHECK_INT_EQ(o.mppe[i], i);
    const struct radius_client_stats *st = radius_client_get_stats(c);
    CHECK_INT_EQ(st->retransmissions + st->dropped_authenticator + st->dropped_malformed + st->dropped_source, 0);
    radius_client_free(c);
    free_servers(servers, 1);
}

static void test_access_reject(void)
{
    struct config_aaa_server servers[1] = { make_server("127.0.0.1", 1812, SECRET) };
    struct config_aaa_group g = make_group("corp", servers, 1, 1000, 2, 60);
    struct radius_client *c = NULL;
    struct radius_request req;
    struct outcome o = { 0 }, o2 = { 0 };

    CHECK_INT_EQ(radius_client_new(event, &g, &c), 0);
    access_request(&req, "bob", "whatever");
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o, NULL), 0);
    CHECK_INT_EQ(run_loop(), 0);
    CHECK_INT_EQ(o.error, 0);
    CHECK_INT_EQ(o.code, RADIUS_ACCESS_REJECT);
    CHECK_STR_EQ(o.reply, "Account disabled");
    CHECK(!o.has_ip);

    /* A wrong password is a reject too, not an error. */
    access_request(&req, "alice", "wrong");
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o2, NULL), 0);
    CHECK_INT_EQ(run_loop(), 0);
    CHECK_INT_EQ(o2.error, 0);
    CHECK_INT_EQ(o2.code, RADIUS_ACCESS_REJECT);
    radius_client_free(c);
    free_servers(servers, 1);
}

static bool detail_contains(const char *needle)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "grep -rqF -- '%s' '%s/log/radacct'", needle, server_dir);
    return system(cmd) == 0;
}

static void test_accounting_start_stop(void)
{
    struct config_aaa_server servers[1] = { make_server("127.0.0.1", 1812, SECRET) };
    struct config_aaa_group g = make_group("corp", servers, 1, 1000, 2, 60);
    struct radius_client *c = NULL;
    struct radius_request req;
    char session_id[64];

    snprintf(session_id, sizeof(session_id), "vpnd-%d-%llu", (int)getpid(), (unsigned long long)mono_usec());
    CHECK_INT_EQ(radius_client_new(event, &g, &c), 0);
    for (int status = RADIUS_ACCT_START; status <= RADIUS_ACCT_STOP; status++) {
        struct outcome o = { 0 };
        radius_request_init(&req, RADIUS_ACCOUNTING_REQUEST);
        CHECK_INT_EQ(radius_request_add_u32(&req, RADIUS_ACCT_STATUS_TYPE, (uint32_t)status), 0);
        CHECK_INT_EQ(radius_request_add_string(&req, RADIUS_ACCT_SESSION_ID, session_id), 0);
        CHECK_INT_EQ(radius_request_add_string(&req, RADIUS_USER_NAME, "alice"), 0);
        if (status == RADIUS_ACCT_STOP) {
            CHECK_INT_EQ(radius_request_add_u32(&req, RADIUS_ACCT_SESSION_TIME, 42), 0);
            CHECK_INT_EQ(radius_request_add_u32(&req, RADIUS_ACCT_TERMINATE_CAUSE, 1), 0);
        }
        CHECK_INT_EQ(radius_send(c, &req, on_done, &o, NULL), 0);
        CHECK_INT_EQ(run_loop(), 0);
        CHECK_INT_EQ(o.error, 0);
        CHECK_INT_EQ(o.code, RADIUS_ACCOUNTING_RESPONSE);
    }
    /* FreeRADIUS wrote both records, with our session and the group's NAS-Identifier. */
    char needle[128];
    snprintf(needle, sizeof(needle), "Acct-Session-Id = \"%s\"", session_id);
    CHECK(detail_contains(needle));
    CHECK(detail_contains("Acct-Status-Type = Stop"));
    CHECK(detail_contains("Acct-Session-Time = 42"));
    CHECK(detail_contains("NAS-Identifier = \"vpnd-test\""));
    radius_client_free(c);
    free_servers(servers, 1);
}

static void test_failover_and_dead_time(void)
{
    /* Nothing listens on 1900: the first server never answers. */
    struct config_aaa_server servers[2] = { make_server("127.0.0.1", 1900, SECRET),
                                            make_server("127.0.0.1", 1812, SECRET) };
    struct config_aaa_group g = make_group("corp", servers, 2, 200, 1, 60);
    struct radius_client *c = NULL;
    struct radius_request req;
    struct outcome o = { 0 }, o2 = { 0 };

    CHECK_INT_EQ(radius_client_new(event, &g, &c), 0);
    access_request(&req, "alice", "alice-pass");
    uint64_t start = mono_usec();
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o, NULL), 0);
    CHECK_INT_EQ(run_loop(), 0);
    CHECK_INT_EQ(o.error, 0);
    CHECK_INT_EQ(o.code, RADIUS_ACCESS_ACCEPT);
    /* Two tries of 200 ms on the first server, then the second answered. */
    CHECK(o.at_usec - start >= 400000);
    const struct radius_client_stats *st = radius_client_get_stats(c);
    CHECK_INT_EQ(st->timeouts, 1);
    CHECK_INT_EQ(st->retransmissions, 1);
    CHECK(radius_client_server_is_dead(c, 0, false));
    CHECK(!radius_client_server_is_dead(c, 1, false));
    CHECK(!radius_client_server_is_dead(c, 0, true));   /* accounting keeps its own state */

    /* Within dead-time the dead server is skipped: straight to the second. */
    start = mono_usec();
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o2, NULL), 0);
    CHECK_INT_EQ(run_loop(), 0);
    CHECK_INT_EQ(o2.code, RADIUS_ACCESS_ACCEPT);
    CHECK(o2.at_usec - start < 200000);
    CHECK_INT_EQ(st->timeouts, 1);
    CHECK_INT_EQ(st->retransmissions, 1);
    radius_client_free(c);
    free_servers(servers, 2);
}

static unsigned ticks;

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
    (void)userdata;
    ticks++;
    sd_event_source_set_time(s, usec + 20000);
    return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static void test_all_servers_down(void)
{
    struct config_aaa_server servers[2] = { make_server("127.0.0.1", 1900, SECRET),
                                            make_server("127.0.0.1", 1902, SECRET) };
    struct config_aaa_group g = make_group("corp", servers, 2, 200, 2, 60);
    struct radius_client *c = NULL;
    struct radius_request req;
    struct outcome o = { 0 }, o2 = { 0 };
    sd_event_source *tick = NULL;
    uint64_t now;

    CHECK_INT_EQ(radius_client_new(event, &g, &c), 0);
    access_request(&req, "alice", "alice-pass");
    sd_event_now(event, CLOCK_MONOTONIC, &now);
    ticks = 0;
    CHECK(sd_event_add_time(event, &tick, CLOCK_MONOTONIC, now + 20000, 0, on_tick, NULL) >= 0);
    sd_event_source_set_enabled(tick, SD_EVENT_ON);

    uint64_t start = mono_usec();
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o, NULL), 0);
    CHECK_INT_EQ(run_loop(), 0);
    uint64_t took = o.at_usec - start;
    CHECK_INT_EQ(o.error, -ETIMEDOUT);
    CHECK_STR_EQ(o.reason, "timeout: no answer from 127.0.0.1:1902 after 3 tries; no other server of group "
                 "'corp' left");
    /* 2 servers x 3 tries x 200 ms, and not much more. */
    CHECK(took >= 1200000 && took < 2500000);
    /* Other timers kept running all along: the client never blocked the loop. */
    if (ticks < 40)
        printf("#   only %u ticks in %llu ms\n", ticks, (unsigned long long)took / 1000);
    CHECK(ticks >= 40);
    CHECK(radius_client_server_is_dead(c, 0, false));
    CHECK(radius_client_server_is_dead(c, 1, false));

    /* Now every server is dead: the next request fails at once, asynchronously. */
    start = mono_usec();
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o2, NULL), 0);
    CHECK(!o2.done);
    CHECK_INT_EQ(run_loop(), 0);
    CHECK_INT_EQ(o2.error, -EHOSTDOWN);
    CHECK_STR_EQ(o2.reason, "all servers of group 'corp' are dead");
    CHECK(o2.at_usec - start < 100000);
    sd_event_source_disable_unref(tick);
    radius_client_free(c);
    free_servers(servers, 2);
}

static void test_wrong_secret_dropped(void)
{
    /* FreeRADIUS answers (or drops: the Message-Authenticator is wrong
     * for it too); either way nothing reaches the callback but a timeout. */
    struct config_aaa_server servers[1] = { make_server("127.0.0.1", 1812, "not-the-secret") };
    struct config_aaa_group g = make_group("corp", servers, 1, 200, 0, 0);
    struct radius_client *c = NULL;
    struct radius_request req;
    struct outcome o = { 0 };

    CHECK_INT_EQ(radius_client_new(event, &g, &c), 0);
    access_request(&req, "alice", "alice-pass");
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o, NULL), 0);
    CHECK_INT_EQ(run_loop(), 0);
    CHECK_INT_EQ(o.error, -ETIMEDOUT);
    CHECK_STR_EQ(o.reason, "timeout: no answer from 127.0.0.1:1812 after 1 tries");
    /* dead-time 0: never marked dead. */
    CHECK(!radius_client_server_is_dead(c, 0, false));
    radius_client_free(c);
    free_servers(servers, 1);
}

/* EAP passthrough (RFC 3579): FreeRADIUS runs EAP-MD5 (its default type)
 * with us as the peer: Identity, Access-Challenge with the MD5-Challenge
 * and State, our answer with that State, Access-Accept with EAP-Success. */
static void test_eap_md5_passthrough(void)
{
    struct config_aaa_server servers[1] = { make_server("127.0.0.1", 1812, SECRET) };
    struct config_aaa_group g = make_group("corp", servers, 1, 1000, 2, 60);
    struct radius_client *c = NULL;
    struct radius_request req;
    struct outcome o = { 0 }, o2 = { 0 };
    /* FreeRADIUS signs every EAP answer: requiring it costs nothing here. */
    g.require_message_authenticator = true;
    static const uint8_t identity[] = { 2, 0, 0, 10, 1, 'a', 'l', 'i', 'c', 'e' };

    CHECK_INT_EQ(radius_client_new(event, &g, &c), 0);
    radius_request_init(&req, RADIUS_ACCESS_REQUEST);
    CHECK_INT_EQ(radius_request_add_string(&req, RADIUS_USER_NAME, "alice"), 0);
    CHECK_INT_EQ(radius_request_add_eap(&req, identity, sizeof(identity)), 0);
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o, NULL), 0);
    CHECK_INT_EQ(run_loop(), 0);
    CHECK_INT_EQ(o.error, 0);
    CHECK_INT_EQ(o.code, RADIUS_ACCESS_CHALLENGE);
    CHECK(o.state_len > 0);
    /* EAP-Request (1), MD5-Challenge (4), a value of value-size bytes. */
    CHECK(o.eap_len >= 6 && o.eap[0] == 1 && o.eap[4] == 4);
    if (o.eap_len < 6 || o.eap[4] != 4 || o.eap[5] + 6 > o.eap_len)
        goto out;

    uint8_t answer[6 + 16], hash_in[1 + 10 + 255];
    unsigned hash_len = 0, n = 0;
    hash_in[n++] = o.eap[1];
    memcpy(hash_in + n, "alice-pass", 10);
    n += 10;
    memcpy(hash_in + n, o.eap + 6, o.eap[5]);
    n += o.eap[5];
    answer[0] = 2;
    answer[1] = o.eap[1];
    answer[2] = 0;
    answer[3] = sizeof(answer);
    answer[4] = 4;
    answer[5] = 16;
    EVP_Digest(hash_in, n, answer + 6, &hash_len, EVP_md5(), NULL);

    radius_request_init(&req, RADIUS_ACCESS_REQUEST);
    CHECK_INT_EQ(radius_request_add_string(&req, RADIUS_USER_NAME, "alice"), 0);
    CHECK_INT_EQ(radius_request_add(&req, RADIUS_STATE, o.state, o.state_len), 0);
    CHECK_INT_EQ(radius_request_add_eap(&req, answer, sizeof(answer)), 0);
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o2, NULL), 0);
    CHECK_INT_EQ(run_loop(), 0);
    CHECK_INT_EQ(o2.error, 0);
    CHECK_INT_EQ(o2.code, RADIUS_ACCESS_ACCEPT);
    CHECK(o2.eap_len == 4 && o2.eap[0] == 3 && o2.eap[1] == o.eap[1]);   /* EAP-Success */
    CHECK_STR_EQ(o2.class_, "corp-class");
out:
    radius_client_free(c);
    free_servers(servers, 1);
}

/* ---- a forger on the loopback: what a real server never sends ----------------- */

struct forger {
    int fd, other_fd;
    unsigned step;
};

static void md5_response(uint8_t *pkt, size_t len, const uint8_t req_auth[16], const char *secret)
{
    uint8_t copy[RADIUS_MAX_PACKET];
    unsigned n = 0;
    memcpy(copy, pkt, len);
    memcpy(copy + 4, req_auth, 16);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    EVP_DigestUpdate(ctx, copy, len);
    EVP_DigestUpdate(ctx, secret, strlen(secret));
    EVP_DigestFinal_ex(ctx, pkt + 4, &n);
    EVP_MD_CTX_free(ctx);
}

/* On the request: answers with a spoofed source port, a bad authenticator,
 * a wrong identifier and a runt, then the real answer. */
static int on_forger(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct forger *f = userdata;
    uint8_t req[RADIUS_MAX_PACKET], resp[20 + 8];
    struct sockaddr_in from;
    socklen_t from_len = sizeof(from);
    (void)s;
    (void)revents;

    ssize_t n = recvfrom(fd, req, sizeof(req), 0, (struct sockaddr *)&from, &from_len);
    if (n < 20)
        return 0;
    resp[0] = RADIUS_ACCESS_ACCEPT;
    resp[1] = req[1];
    resp[2] = 0;
    resp[3] = sizeof(resp);
    memcpy(resp + 20, "\x12\x08" "forged", 8);
    md5_response(resp, sizeof(resp), req + 4, SECRET);

    sendto(f->other_fd, resp, sizeof(resp), 0, (struct sockaddr *)&from, from_len);   /* wrong source */
    resp[5] ^= 1;
    sendto(fd, resp, sizeof(resp), 0, (struct sockaddr *)&from, from_len);            /* bad authenticator */
    resp[5] ^= 1;
    resp[1] ^= 0x55;
    sendto(fd, resp, sizeof(resp), 0, (struct sockaddr *)&from, from_len);            /* unknown identifier */
    resp[1] ^= 0x55;
    sendto(fd, resp, 10, 0, (struct sockaddr *)&from, from_len);                      /* runt */
    sendto(fd, resp, sizeof(resp), 0, (struct sockaddr *)&from, from_len);            /* the answer */
    f->step++;
    return 0;
}

static int bind_udp(uint16_t port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void test_forged_responses_dropped(void)
{
    struct config_aaa_server servers[1] = { make_server("127.0.0.1", 1950, SECRET) };
    struct config_aaa_group g = make_group("corp", servers, 1, 2000, 0, 0);
    struct radius_client *c = NULL;
    struct radius_request req;
    struct outcome o = { 0 };
    struct forger f = { .fd = bind_udp(1950), .other_fd = bind_udp(1951) };
    sd_event_source *src = NULL;

    CHECK(f.fd >= 0 && f.other_fd >= 0);
    CHECK(sd_event_add_io(event, &src, f.fd, EPOLLIN, on_forger, &f) >= 0);
    CHECK_INT_EQ(radius_client_new(event, &g, &c), 0);
    access_request(&req, "alice", "alice-pass");
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o, NULL), 0);
    CHECK_INT_EQ(run_loop(), 0);
    CHECK_INT_EQ(f.step, 1);
    CHECK_INT_EQ(o.error, 0);
    CHECK_INT_EQ(o.code, RADIUS_ACCESS_ACCEPT);
    CHECK_STR_EQ(o.reply, "forged");
    const struct radius_client_stats *st = radius_client_get_stats(c);
    CHECK_INT_EQ(st->dropped_source, 1);
    CHECK_INT_EQ(st->dropped_authenticator, 1);
    CHECK_INT_EQ(st->dropped_identifier, 1);
    CHECK_INT_EQ(st->dropped_malformed, 1);
    radius_client_free(c);
    sd_event_source_disable_unref(src);
    close(f.fd);
    close(f.other_fd);
    free_servers(servers, 1);
}

static void test_cancel(void)
{
    struct config_aaa_server servers[1] = { make_server("127.0.0.1", 1900, SECRET) };
    struct config_aaa_group g = make_group("corp", servers, 1, 100, 0, 60);
    struct radius_client *c = NULL;
    struct radius_request req;
    struct outcome o = { 0 }, o2 = { 0 };
    struct radius_pending *h = NULL;

    CHECK_INT_EQ(radius_client_new(event, &g, &c), 0);
    access_request(&req, "alice", "alice-pass");
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o, &h), 0);
    CHECK(h != NULL);
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o2, NULL), 0);
    radius_cancel(h);
    CHECK_INT_EQ(run_loop(), 0);
    CHECK(!o.done);
    CHECK(o2.done);
    CHECK_INT_EQ(o2.error, -ETIMEDOUT);
    /* Freeing the client with requests pending runs no callbacks. */
    struct outcome o3 = { 0 };
    CHECK_INT_EQ(radius_send(c, &req, on_done, &o3, NULL), -0);
    radius_client_free(c);
    CHECK(!o3.done);
    free_servers(servers, 1);
}

static void test_many_pending_use_several_sockets(void)
{
    /* 300 requests at once: more than one socket's 256 identifiers. */
    struct config_aaa_server servers[1] = { make_server("127.0.0.1", 1812, SECRET) };
    struct config_aaa_group g = make_group("corp", servers, 1, 2000, 2, 60);
    struct radius_client *c = NULL;
    struct radius_request req;
    static struct outcome o[300];

    CHECK_INT_EQ(radius_client_new(event, &g, &c), 0);
    access_request(&req, "alice", "alice-pass");
    for (int i = 0; i < 300; i++)
        CHECK_INT_EQ(radius_send(c, &req, on_done, &o[i], NULL), 0);
    int accepted = 0;
    for (int round = 0; round < 300 && accepted < 300; round++) {
        CHECK_INT_EQ(run_loop(), 0);
        accepted = 0;
        for (int i = 0; i < 300; i++)
            accepted += o[i].done && o[i].code == RADIUS_ACCESS_ACCEPT;
    }
    CHECK_INT_EQ(accepted, 300);
    radius_client_free(c);
    free_servers(servers, 1);
}

static void run_all(void);

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("Bail out! usage: %s FREERADIUS-DIR (run by freeradius.sh)\n", argv[0]);
        return 1;
    }
    server_dir = argv[1];
    if (sd_event_new(&event) < 0) {
        printf("Bail out! sd_event_new\n");
        return 1;
    }
    run_all();
    sd_event_unref(event);
    return testing_failures ? 1 : 0;
}

#undef TEST_MAIN
static void run_all(void)
{
    static const struct testing_case cases[] = {
        TEST(test_access_accept_attributes),
        TEST(test_access_reject),
        TEST(test_accounting_start_stop),
        TEST(test_eap_md5_passthrough),
        TEST(test_failover_and_dead_time),
        TEST(test_all_servers_down),
        TEST(test_wrong_secret_dropped),
        TEST(test_forged_responses_dropped),
        TEST(test_cancel),
        TEST(test_many_pending_use_several_sockets),
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    printf("1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        testing_current_failed = 0;
        cases[i].fn();
        printf("%s %zu - %s\n", testing_current_failed ? "not ok" : "ok", i + 1, cases[i].name);
    }
}
