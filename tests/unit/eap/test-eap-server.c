/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Whole EAP conversations against the server (daemon/eap.c and methods),
 * driven by a peer written here from the same RFC 2759 primitives (which
 * test-eap-mschapv2-crypto.c pins to the RFC's vectors) and from an
 * independent EAP-MD5 computation pinned to a known answer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config.h"
#include "eap.h"
#include "eap-mschapv2-crypto.h"
#include "testing.h"
#include "../crypto/hex.h"

/* ------------------------------------------------------------------------
 * The test's credential backend
 * ------------------------------------------------------------------------ */

struct user {
    const char *name;
    const char *password;       /* NULL: none */
    const char *nt_hash_of;     /* the nt-hash is MD4(UTF-16LE(this)); NULL: none */
};

static const struct user users[] = {
    { "alice", "alice-pw", NULL },          /* cleartext: MD5 and MSCHAPv2 */
    { "bob", NULL, "bob-pw" },              /* nt-hash only: MSCHAPv2 */
    { "carol", NULL, NULL },                /* a crypt(3) hash only: neither */
};

struct backend {
    bool async;
    int calls;
    char last[64];
};

static int test_lookup(void *userdata, struct eap_server *srv, const char *identity, struct eap_credentials *creds)
{
    struct backend *b = userdata;

    b->calls++;
    snprintf(b->last, sizeof(b->last), "%s", identity);
    if (b->async)
        return -EINPROGRESS;
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        if (strcmp(users[i].name, identity) != 0)
            continue;
        if (users[i].password) {
            creds->password_len = strlen(users[i].password);
            memcpy(creds->password, users[i].password, creds->password_len);
        }
        if (users[i].nt_hash_of) {
            if (eap_mschapv2_nt_password_hash((const uint8_t *)users[i].nt_hash_of,
                                              strlen(users[i].nt_hash_of), creds->nt_hash) < 0)
                return -EIO;
            creds->has_nt_hash = true;
        }
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * The peer
 * ------------------------------------------------------------------------ */

struct msg {
    uint8_t b[2048];
    size_t len;
};

static void eap_response(struct msg *m, uint8_t id, uint8_t type, const void *data, size_t len)
{
    m->b[0] = EAP_CODE_RESPONSE;
    m->b[1] = id;
    m->b[2] = (uint8_t)((5 + len) >> 8);
    m->b[3] = (uint8_t)(5 + len);
    m->b[4] = type;
    if (len)
        memcpy(m->b + 5, data, len);
    m->len = 5 + len;
}

static void identity_response(struct msg *m, uint8_t id, const char *identity)
{
    eap_response(m, id, EAP_TYPE_IDENTITY, identity, strlen(identity));
}

/* Checks the request's framing; its identifier. */
static int check_request(const uint8_t *req, size_t len, uint8_t type)
{
    if (len < 5 || req[0] != EAP_CODE_REQUEST || (size_t)(req[2] << 8 | req[3]) != len || req[4] != type)
        return -1;
    return req[1];
}

/* What the peer remembers between MS-CHAPv2 messages. */
struct mschap_peer {
    uint8_t auth_challenge[16], peer_challenge[16], nt_response[24], nt_hash[16];
    char expected_auth[MSCHAPV2_AUTH_RESPONSE_LEN + 1];
};

/* Answers an MS-CHAPv2 Challenge as `name` with `password`. */
static int mschap_response(const uint8_t *req, size_t len, const char *name, const char *password,
                           struct mschap_peer *p, struct msg *m)
{
    int id = check_request(req, len, EAP_TYPE_MSCHAPV2);
    uint8_t data[5 + 49 + 512];
    const char *user = strchr(name, '\\') ? strchr(name, '\\') + 1 : name;
    size_t name_len = strlen(name);

    if (id < 0 || len != 5 + 4 + 1 + 16 + 4 || req[5] != 1 /* Challenge */ ||
        (req[7] << 8 | req[8]) != (int)len - 5 || req[9] != 16 || memcmp(req + 26, "vpnd", 4) != 0)
        return -1;
    memcpy(p->auth_challenge, req + 10, 16);
    for (int i = 0; i < 16; i++)
        p->peer_challenge[i] = (uint8_t)(0xa0 + i);
    if (eap_mschapv2_nt_password_hash((const uint8_t *)password, strlen(password), p->nt_hash) < 0 ||
        eap_mschapv2_nt_response(p->auth_challenge, p->peer_challenge, user, strlen(user), p->nt_hash,
                                 p->nt_response) < 0 ||
        eap_mschapv2_authenticator_response(p->nt_hash, p->nt_response, p->peer_challenge, p->auth_challenge,
                                            user, strlen(user), p->expected_auth) < 0)
        return -1;
    data[0] = 2;                        /* Response */
    data[1] = req[6];                   /* MS-CHAPv2-ID */
    data[2] = (uint8_t)((4 + 1 + 49 + name_len) >> 8);
    data[3] = (uint8_t)(4 + 1 + 49 + name_len);
    data[4] = 49;
    memcpy(data + 5, p->peer_challenge, 16);
    memset(data + 21, 0, 8);
    memcpy(data + 29, p->nt_response, 24);
    data[53] = 0;
    memcpy(data + 54, name, name_len);
    eap_response(m, (uint8_t)id, EAP_TYPE_MSCHAPV2, data, 54 + name_len);
    return 0;
}

/* The OpCode-only Success-Response or Failure-Response. */
static void mschap_short(struct msg *m, uint8_t id, uint8_t opcode)
{
    eap_response(m, id, EAP_TYPE_MSCHAPV2, &opcode, 1);
}

/* The message of a Success- or Failure-Request, NUL-terminated into buf. */
static const char *mschap_message(const uint8_t *req, size_t len, uint8_t opcode, char *buf, size_t cap)
{
    if (check_request(req, len, EAP_TYPE_MSCHAPV2) < 0 || len < 9 || req[5] != opcode ||
        (size_t)(req[7] << 8 | req[8]) != len - 5 || len - 9 >= cap)
        return NULL;
    memcpy(buf, req + 9, len - 9);
    buf[len - 9] = '\0';
    return buf;
}

/* CHAP's MD5(identifier | secret | challenge), written independently of eap-md5.c. */
static void chap_md5(uint8_t id, const char *secret, const uint8_t challenge[16], uint8_t out[16])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (!ctx || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1 || EVP_DigestUpdate(ctx, &id, 1) != 1 ||
        EVP_DigestUpdate(ctx, secret, strlen(secret)) != 1 || EVP_DigestUpdate(ctx, challenge, 16) != 1 ||
        EVP_DigestFinal_ex(ctx, out, NULL) != 1)
        abort();
    EVP_MD_CTX_free(ctx);
}

static int md5_response(const uint8_t *req, size_t len, const char *password, struct msg *m)
{
    int id = check_request(req, len, EAP_TYPE_MD5);
    uint8_t data[1 + 16 + 5];

    if (id < 0 || len != 5 + 1 + 16 + 4 || req[5] != 16 || memcmp(req + 22, "vpnd", 4) != 0)
        return -1;
    data[0] = 16;
    chap_md5((uint8_t)id, password, req + 6, data + 1);
    memcpy(data + 17, "peer1", 5);
    eap_response(m, (uint8_t)id, EAP_TYPE_MD5, data, sizeof(data));
    return 0;
}

static bool is_final(const uint8_t *req, size_t len, uint8_t code, uint8_t id)
{
    return len == 4 && req[0] == code && req[1] == id && req[2] == 0 && req[3] == 4;
}

/* ------------------------------------------------------------------------
 * Helpers driving a server to a given point
 * ------------------------------------------------------------------------ */

/* New MSCHAPv2 server, Identity exchange for `identity`: returns the server
 * with the Challenge in *req. */
static struct eap_server *to_challenge(enum eap_method method, struct backend *b, const char *identity,
                                       const uint8_t **req, size_t *len)
{
    struct eap_server *srv = eap_server_new(method, test_lookup, b);
    struct msg m;
    int id;

    if (!srv)
        abort();
    if (eap_server_start(srv, NULL, req, len) != EAP_CONTINUE)
        abort();
    id = check_request(*req, *len, EAP_TYPE_IDENTITY);
    if (id < 0 || *len != 5)
        abort();
    identity_response(&m, (uint8_t)id, identity);
    if (eap_server_process(srv, m.b, m.len, req, len) != EAP_CONTINUE)
        abort();
    return srv;
}

/* ------------------------------------------------------------------------
 * MS-CHAPv2
 * ------------------------------------------------------------------------ */

static void test_mschapv2_success(void)
{
    struct backend b = { 0 };
    struct mschap_peer p;
    const uint8_t *req, *msk;
    size_t len, msk_len;
    uint8_t peer_msk[64];
    char buf[256];
    struct msg m;
    int id;

    struct eap_server *srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, "alice", &req, &len);
    CHECK_INT_EQ(b.calls, 1);
    CHECK_STR_EQ(b.last, "alice");
    CHECK_INT_EQ(mschap_response(req, len, "alice", "alice-pw", &p, &m), 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_CONTINUE);
    id = check_request(req, len, EAP_TYPE_MSCHAPV2);
    CHECK(id >= 0);
    /* "S=<40 hex> M=..." with the authenticator response the peer expects. */
    const char *msg = mschap_message(req, len, 3, buf, sizeof(buf));
    CHECK(msg != NULL);
    CHECK(msg && strncmp(msg, p.expected_auth, MSCHAPV2_AUTH_RESPONSE_LEN) == 0);
    CHECK(msg && strncmp(msg + MSCHAPV2_AUTH_RESPONSE_LEN, " M=", 3) == 0);
    CHECK(req[6] == m.b[6]);        /* MS-CHAPv2-ID of the Response */
    CHECK(!eap_server_failing(srv));
    /* No MSK before EAP-Success. */
    CHECK_INT_EQ(eap_server_msk(srv, &msk, &msk_len), -ENODATA);

    mschap_short(&m, (uint8_t)id, 3);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_SUCCESS);
    CHECK(is_final(req, len, EAP_CODE_SUCCESS, (uint8_t)id));
    CHECK_INT_EQ(eap_server_msk(srv, &msk, &msk_len), 0);
    CHECK_INT_EQ(msk_len, 64);
    CHECK_INT_EQ(eap_mschapv2_msk(p.nt_hash, p.nt_response, peer_msk), 0);
    CHECK(memcmp(msk, peer_msk, 64) == 0);
    CHECK_STR_EQ(eap_server_identity(srv), "alice");
    CHECK_STR_EQ(eap_server_failure_reason(srv), "");
    /* Over: further messages are refused. */
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), -EALREADY);
    eap_server_free(srv);
}

/* IDi as the identity (no Identity exchange), a "DOMAIN\user" name and a
 * user with only an nt-hash. */
static void test_mschapv2_known_identity_domain_nt_hash(void)
{
    struct backend b = { 0 };
    struct mschap_peer p;
    const uint8_t *req;
    size_t len;
    struct msg m;

    struct eap_server *srv = eap_server_new(EAP_METHOD_MSCHAPV2, test_lookup, &b);
    CHECK(srv != NULL);
    CHECK_INT_EQ(eap_server_start(srv, "CORP\\bob", &req, &len), EAP_CONTINUE);
    CHECK_STR_EQ(b.last, "bob");
    CHECK_INT_EQ(mschap_response(req, len, "CORP\\bob", "bob-pw", &p, &m), 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_CONTINUE);
    CHECK(req[5] == 3);
    mschap_short(&m, req[1], 3);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_SUCCESS);
    CHECK_STR_EQ(eap_server_identity(srv), "CORP\\bob");
    CHECK_STR_EQ(eap_server_user(srv), "bob");
    eap_server_free(srv);
}

static void expect_mschap_failure(const char *identity, const char *name, const char *password, const char *reason)
{
    struct backend b = { 0 };
    struct mschap_peer p;
    const uint8_t *req, *msk;
    size_t len, msk_len;
    char buf[256];
    struct msg m;

    struct eap_server *srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, identity, &req, &len);
    CHECK_INT_EQ(mschap_response(req, len, name, password, &p, &m), 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_CONTINUE);
    const char *msg = mschap_message(req, len, 4, buf, sizeof(buf));
    CHECK(msg != NULL);
    /* E=691 R=0 C=<32 hex> V=3 M=... : the same for every cause. */
    CHECK(msg && strncmp(msg, "E=691 R=0 C=", 12) == 0);
    CHECK(msg && strlen(msg) > 44 && strncmp(msg + 44, " V=3 M=", 7) == 0);
    CHECK_STR_EQ(eap_server_failure_reason(srv), reason);
    CHECK(eap_server_failing(srv));

    uint8_t id = req[1];
    mschap_short(&m, id, 4);       /* Failure-Response */
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK(is_final(req, len, EAP_CODE_FAILURE, id));
    CHECK_STR_EQ(eap_server_failure_reason(srv), reason);
    CHECK_INT_EQ(eap_server_msk(srv, &msk, &msk_len), -ENODATA);
    eap_server_free(srv);
}

static void test_mschapv2_wrong_password(void)
{
    expect_mschap_failure("alice", "alice", "alice-PW", "wrong password");
    expect_mschap_failure("bob", "bob", "alice-pw", "wrong password");
}

static void test_mschapv2_unknown_user(void)
{
    expect_mschap_failure("mallory", "mallory", "whatever", "unknown user");
}

static void test_mschapv2_unusable_credentials(void)
{
    expect_mschap_failure("carol", "carol", "x",
                          "user has neither nt-hash nor a cleartext password (EAP-MSCHAPv2 needs one)");
}

static void test_mschapv2_name_differs_from_identity(void)
{
    /* Right password for alice, but the identity said bob. */
    expect_mschap_failure("bob", "alice", "alice-pw", "MS-CHAPv2 user name differs from the EAP identity");
}

static void test_mschapv2_peer_rejects_authenticator(void)
{
    struct backend b = { 0 };
    struct mschap_peer p;
    const uint8_t *req;
    size_t len;
    struct msg m;

    struct eap_server *srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, "alice", &req, &len);
    CHECK_INT_EQ(mschap_response(req, len, "alice", "alice-pw", &p, &m), 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_CONTINUE);
    mschap_short(&m, req[1], 4);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "peer rejected vpnd's authenticator response");
    eap_server_free(srv);
}

/* A response with another identifier is dropped; the last request is
 * given again; the right one still goes through. */
static void test_wrong_identifier_dropped(void)
{
    struct backend b = { 0 };
    struct mschap_peer p;
    const uint8_t *req, *again;
    size_t len, again_len;
    uint8_t challenge[64];
    struct msg m;

    struct eap_server *srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, "alice", &req, &len);
    CHECK(len <= sizeof(challenge));
    memcpy(challenge, req, len);
    CHECK_INT_EQ(mschap_response(req, len, "alice", "alice-pw", &p, &m), 0);
    m.b[1]++;
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &again, &again_len), EAP_DISCARD);
    CHECK_INT_EQ(again_len, len);
    CHECK(memcmp(again, challenge, len) == 0);
    CHECK(strstr(eap_server_failure_reason(srv), "identifier") != NULL);
    m.b[1]--;
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_CONTINUE);
    CHECK(req[5] == 3);
    /* The identity answer's identifier is an old one now. */
    identity_response(&m, (uint8_t)(req[1] - 1), "alice");
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_DISCARD);
    eap_server_free(srv);
}

/* Every prefix of a valid Response, and the usual length lies: dropped,
 * never a crash (the messages are exact-size heap copies for ASan). */
static void test_truncated_and_malformed_dropped(void)
{
    struct backend b = { 0 };
    struct mschap_peer p;
    const uint8_t *req;
    size_t len;
    struct msg good, m;

    struct eap_server *srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, "alice", &req, &len);
    CHECK_INT_EQ(mschap_response(req, len, "alice", "alice-pw", &p, &good), 0);
    eap_server_free(srv);

    for (size_t cut = 0; cut < good.len; cut++) {
        srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, "alice", &req, &len);
        mschap_response(req, len, "alice", "alice-pw", &p, &m);
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, m.b, cut);
        int r = eap_server_process(srv, copy, cut, &req, &len);
        if (r != EAP_DISCARD)
            printf("#   prefix %zu: %d\n", cut, r);
        CHECK_INT_EQ(r, EAP_DISCARD);
        /* The same prefix with its EAP length fixed up to match: the MS-CHAPv2
         * checks must catch it (the Name is optional: from 59 bytes on the
         * Response is complete with a shorter name). */
        if (cut >= 6 && cut < 59) {
            copy[2] = (uint8_t)(cut >> 8);
            copy[3] = (uint8_t)cut;
            r = eap_server_process(srv, copy, cut, &req, &len);
            if (r != EAP_DISCARD)
                printf("#   fixed prefix %zu: %d\n", cut, r);
            CHECK_INT_EQ(r, EAP_DISCARD);
        }
        free(copy);
        /* Still usable afterwards. */
        CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_CONTINUE);
        eap_server_free(srv);
    }

    struct { const char *what; size_t at; uint8_t value; } lies[] = {
        { "code Request", 0, EAP_CODE_REQUEST },
        { "code Success", 0, EAP_CODE_SUCCESS },
        { "EAP length beyond the data", 3, 0xff },
        { "EAP length 4", 3, 4 },
        { "EAP length 0", 3, 0 },
        { "OpCode Challenge", 5, 1 },
        { "OpCode 9", 5, 9 },
        { "MS-CHAPv2-ID", 6, 0 },   /* replaced by id+1 below */
        { "MS-Length too long", 8, 0xff },
        { "MS-Length too short", 8, 10 },
        { "Value-Size 48", 9, 48 },
        { "Value-Size 50", 9, 50 },
        { "Value-Size 255", 9, 255 },
    };
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, "alice", &req, &len);
        mschap_response(req, len, "alice", "alice-pw", &p, &m);
        struct msg bad = m;
        bad.b[lies[i].at] = lies[i].at == 6 ? (uint8_t)(m.b[6] + 1) : lies[i].value;
        uint8_t *copy = malloc(bad.len);
        memcpy(copy, bad.b, bad.len);
        int r = eap_server_process(srv, copy, bad.len, &req, &len);
        if (r != EAP_DISCARD)
            printf("#   %s: %d (%s)\n", lies[i].what, r, eap_server_failure_reason(srv));
        CHECK_INT_EQ(r, EAP_DISCARD);
        free(copy);
        CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_CONTINUE);
        eap_server_free(srv);
    }
}

/* Oversized: a 300-byte Name, an EAP length over the maximum, and trailing
 * padding past the EAP length (ignored, RFC 3748 4.1). */
static void test_oversized(void)
{
    struct backend b = { 0 };
    struct mschap_peer p;
    const uint8_t *req;
    size_t len;
    char name[301];
    struct msg m;

    memset(name, 'n', 300);
    name[300] = '\0';
    struct eap_server *srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, "alice", &req, &len);
    CHECK_INT_EQ(mschap_response(req, len, name, "alice-pw", &p, &m), 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_DISCARD);
    CHECK(strstr(eap_server_failure_reason(srv), "Name of 300 bytes") != NULL);

    memset(m.b, 0, sizeof(m.b));
    m.b[0] = EAP_CODE_RESPONSE;
    m.b[1] = req[1];
    m.b[2] = (EAP_MESSAGE_MAX + 1) >> 8;
    m.b[3] = (EAP_MESSAGE_MAX + 1) & 0xff;
    m.b[4] = EAP_TYPE_MSCHAPV2;
    CHECK_INT_EQ(eap_server_process(srv, m.b, EAP_MESSAGE_MAX + 1, &req, &len), EAP_DISCARD);
    CHECK(strstr(eap_server_failure_reason(srv), "too long") != NULL);

    CHECK_INT_EQ(mschap_response(req, len, "alice", "alice-pw", &p, &m), 0);
    memset(m.b + m.len, 0xee, 7);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len + 7, &req, &len), EAP_CONTINUE);
    CHECK(req[5] == 3);
    eap_server_free(srv);
}

/* Every byte of a valid Response flipped in turn: no crash, and never a
 * success-bound answer unless the byte is one the protocol ignores. */
static void test_mutations(void)
{
    struct backend b = { 0 };
    struct mschap_peer p;
    const uint8_t *req;
    size_t len;
    struct msg m;

    for (size_t at = 0; at < 59; at++) {
        for (int bit = 0; bit < 8; bit++) {
            struct eap_server *srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, "alice", &req, &len);
            mschap_response(req, len, "alice", "alice-pw", &p, &m);
            m.b[at] ^= (uint8_t)(1 << bit);
            uint8_t *copy = malloc(m.len);
            memcpy(copy, m.b, m.len);
            int r = eap_server_process(srv, copy, m.len, &req, &len);
            free(copy);
            /* Reserved (message bytes 26..33) and Flags (58) are ignored:
             * a Success-Request; the rest matters. */
            bool ignored = (at >= 26 && at <= 33) || at == 58;
            if (ignored)
                CHECK(r == EAP_CONTINUE && req[5] == 3);
            else if (r == EAP_CONTINUE) {
                /* Only a Failure-Request may follow a damaged Response. */
                if (req[5] != 4)
                    printf("#   byte %zu bit %d: OpCode %u\n", at, bit, req[5]);
                CHECK(req[5] == 4);
            }
            CHECK(r >= 0);
            eap_server_free(srv);
        }
    }
}

static void test_nak_to_md5(void)
{
    struct backend b = { 0 };
    const uint8_t *req;
    size_t len;
    struct msg m;
    const uint8_t wants[] = { EAP_TYPE_MD5 };

    struct eap_server *srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, "alice", &req, &len);
    uint8_t id = req[1];
    eap_response(&m, id, EAP_TYPE_NAK, wants, sizeof(wants));
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK(is_final(req, len, EAP_CODE_FAILURE, id));
    CHECK_STR_EQ(eap_server_failure_reason(srv), "method mismatch (client NAKed MSCHAPv2, wants MD5)");
    eap_server_free(srv);

    const uint8_t several[] = { EAP_TYPE_TLS, 0, 99, EAP_TYPE_PEAP };
    srv = to_challenge(EAP_METHOD_MD5, &b, "alice", &req, &len);
    eap_response(&m, req[1], EAP_TYPE_NAK, several, sizeof(several));
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "method mismatch (client NAKed MD5, wants TLS, type 99, PEAP)");
    eap_server_free(srv);

    srv = to_challenge(EAP_METHOD_MD5, &b, "alice", &req, &len);
    eap_response(&m, req[1], EAP_TYPE_NAK, NULL, 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "method mismatch (client NAKed MD5, wants none)");
    eap_server_free(srv);
}

/* ------------------------------------------------------------------------
 * Identity exchange
 * ------------------------------------------------------------------------ */

static void test_identity_exchange(void)
{
    struct backend b = { 0 };
    const uint8_t *req;
    size_t len;
    struct msg m;

    struct eap_server *srv = eap_server_new(EAP_METHOD_MD5, test_lookup, &b);
    CHECK_INT_EQ(eap_server_process(srv, m.b, 0, &req, &len), -EINVAL);   /* not started */
    CHECK_INT_EQ(eap_server_start(srv, NULL, &req, &len), EAP_CONTINUE);
    CHECK_INT_EQ(eap_server_start(srv, NULL, &req, &len), -EBUSY);
    uint8_t id = req[1];
    CHECK_INT_EQ(check_request(req, len, EAP_TYPE_IDENTITY), id);
    CHECK(eap_server_identity(srv) == NULL);
    /* A NAK or a method response instead of the identity: dropped. */
    eap_response(&m, id, EAP_TYPE_NAK, "\x04", 1);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_DISCARD);
    eap_response(&m, id, EAP_TYPE_MD5, "\x10", 1);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_DISCARD);
    CHECK_INT_EQ(b.calls, 0);
    /* A control character: failure, nothing for the log to choke on. */
    identity_response(&m, id, "ali\nce");
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK(strstr(eap_server_failure_reason(srv), "unusable identity") != NULL);
    CHECK_INT_EQ(b.calls, 0);
    eap_server_free(srv);

    srv = eap_server_new(EAP_METHOD_MD5, test_lookup, &b);
    CHECK_INT_EQ(eap_server_start(srv, NULL, &req, &len), EAP_CONTINUE);
    identity_response(&m, req[1], "");
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    eap_server_free(srv);

    /* Bad identities given up front. */
    char longname[EAP_IDENTITY_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    srv = eap_server_new(EAP_METHOD_MD5, test_lookup, &b);
    CHECK_INT_EQ(eap_server_start(srv, longname, &req, &len), -EINVAL);
    eap_server_free(srv);
    srv = eap_server_new(EAP_METHOD_MD5, test_lookup, &b);
    CHECK_INT_EQ(eap_server_start(srv, "", &req, &len), -EINVAL);
    eap_server_free(srv);
    longname[EAP_IDENTITY_MAX] = '\0';
    srv = eap_server_new(EAP_METHOD_MD5, test_lookup, &b);
    CHECK_INT_EQ(eap_server_start(srv, longname, &req, &len), EAP_CONTINUE);
    eap_server_free(srv);

    CHECK(eap_server_new(EAP_METHOD_MD5, NULL, NULL) == NULL);
    CHECK(eap_server_new((enum eap_method)7, test_lookup, &b) == NULL);
}

/* A peer sending garbage forever is cut off. */
static void test_round_bound(void)
{
    struct backend b = { 0 };
    const uint8_t *req;
    size_t len;
    struct msg m;
    int r = EAP_CONTINUE, n = 0;

    struct eap_server *srv = to_challenge(EAP_METHOD_MSCHAPV2, &b, "alice", &req, &len);
    while (n < 100) {
        eap_response(&m, (uint8_t)(req[1] + 1), EAP_TYPE_MSCHAPV2, "\x02", 1);
        r = eap_server_process(srv, m.b, m.len, &req, &len);
        n++;
        if (r != EAP_DISCARD)
            break;
    }
    CHECK_INT_EQ(r, EAP_FAILURE);
    CHECK_INT_EQ(n, EAP_ROUNDS_MAX - 1);    /* two requests went out before */
    CHECK(strstr(eap_server_failure_reason(srv), "too many EAP rounds") != NULL);
    CHECK(len == 4 && req[0] == EAP_CODE_FAILURE);
    eap_server_free(srv);
}

/* ------------------------------------------------------------------------
 * EAP-MD5
 * ------------------------------------------------------------------------ */

static void test_md5_known_answer(void)
{
    uint8_t challenge[16], out[16];

    for (int i = 0; i < 16; i++)
        challenge[i] = (uint8_t)i;
    chap_md5(0x42, "password", challenge, out);
    /* Python: hashlib.md5(b"\x42" + b"password" + bytes(range(16))) */
    CHECK(hex_equal(out, 16, "CB1FF4A97D8D7EAC04DAC974A7EF208F"));
}

static void test_md5_success(void)
{
    struct backend b = { 0 };
    const uint8_t *req, *msk;
    size_t len, msk_len;
    struct msg m;

    struct eap_server *srv = to_challenge(EAP_METHOD_MD5, &b, "alice", &req, &len);
    CHECK_INT_EQ(md5_response(req, len, "alice-pw", &m), 0);
    uint8_t id = req[1];
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_SUCCESS);
    CHECK(is_final(req, len, EAP_CODE_SUCCESS, id));
    CHECK_INT_EQ(eap_server_msk(srv, &msk, &msk_len), -ENODATA);   /* MD5 has no keys */
    CHECK_STR_EQ(eap_server_identity(srv), "alice");
    eap_server_free(srv);
}

static void test_md5_failures(void)
{
    struct backend b = { 0 };
    const uint8_t *req;
    size_t len;
    struct msg m;

    struct eap_server *srv = to_challenge(EAP_METHOD_MD5, &b, "alice", &req, &len);
    CHECK_INT_EQ(md5_response(req, len, "alice-pW", &m), 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK(len == 4 && req[0] == EAP_CODE_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "wrong password");
    eap_server_free(srv);

    srv = to_challenge(EAP_METHOD_MD5, &b, "nobody", &req, &len);
    CHECK_INT_EQ(md5_response(req, len, "alice-pw", &m), 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "unknown user");
    eap_server_free(srv);

    srv = to_challenge(EAP_METHOD_MD5, &b, "bob", &req, &len);
    CHECK_INT_EQ(md5_response(req, len, "bob-pw", &m), 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "user has no cleartext password (EAP-MD5 needs 'password')");
    eap_server_free(srv);

    /* Value-Size lies and truncation: dropped, then the good one passes. */
    srv = to_challenge(EAP_METHOD_MD5, &b, "alice", &req, &len);
    CHECK_INT_EQ(md5_response(req, len, "alice-pw", &m), 0);
    struct msg bad = m;
    bad.b[5] = 15;
    CHECK_INT_EQ(eap_server_process(srv, bad.b, bad.len, &req, &len), EAP_DISCARD);
    bad.b[5] = 16;
    bad.b[3] = 5 + 16;      /* EAP length cuts the value short */
    CHECK_INT_EQ(eap_server_process(srv, bad.b, bad.len, &req, &len), EAP_DISCARD);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_SUCCESS);
    eap_server_free(srv);
}

/* ------------------------------------------------------------------------
 * EAP-GTC
 * ------------------------------------------------------------------------ */

/* The check a worker would do: here alice's cleartext, or "later". */
static bool verify_async;
static char verify_seen[64];

static int test_verify(void *userdata, struct eap_server *srv, const char *user, const char *password)
{
    snprintf(verify_seen, sizeof(verify_seen), "%s:%s", user, password);
    if (verify_async)
        return -EINPROGRESS;
    return strcmp(user, "alice") == 0 && strcmp(password, "alice-pw") == 0;
}

static struct eap_server *gtc_to_challenge(struct backend *b, const char *identity, const uint8_t **req,
                                           size_t *len)
{
    struct eap_server *srv = to_challenge(EAP_METHOD_GTC, b, identity, req, len);
    eap_server_set_verify(srv, test_verify);
    return srv;
}

static void test_gtc(void)
{
    struct backend b = { 0 };
    const uint8_t *req, *msk;
    size_t len, msk_len;
    struct msg m;

    /* The prompt, then the password in clear; no keys. */
    verify_async = false;
    struct eap_server *srv = gtc_to_challenge(&b, "alice", &req, &len);
    int id = check_request(req, len, EAP_TYPE_GTC);
    CHECK(id >= 0 && len == 5 + 8 && memcmp(req + 5, "Password", 8) == 0);
    eap_response(&m, (uint8_t)id, EAP_TYPE_GTC, "alice-pw", 8);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_SUCCESS);
    CHECK(is_final(req, len, EAP_CODE_SUCCESS, (uint8_t)id));
    CHECK_STR_EQ(verify_seen, "alice:alice-pw");
    CHECK_INT_EQ(eap_server_msk(srv, &msk, &msk_len), -ENODATA);
    eap_server_free(srv);

    srv = gtc_to_challenge(&b, "alice", &req, &len);
    eap_response(&m, req[1], EAP_TYPE_GTC, "alice-pW", 8);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK(len == 4 && req[0] == EAP_CODE_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "wrong password");
    eap_server_free(srv);

    /* Unknown users never reach the check; empty and NUL-bearing passwords
     * fail, an oversized one is dropped. */
    verify_seen[0] = '\0';
    srv = gtc_to_challenge(&b, "nobody", &req, &len);
    eap_response(&m, req[1], EAP_TYPE_GTC, "alice-pw", 8);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "unknown user");
    CHECK_STR_EQ(verify_seen, "");
    eap_server_free(srv);
    srv = gtc_to_challenge(&b, "alice", &req, &len);
    eap_response(&m, req[1], EAP_TYPE_GTC, "", 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "empty password");
    eap_server_free(srv);
    srv = gtc_to_challenge(&b, "alice", &req, &len);
    eap_response(&m, req[1], EAP_TYPE_GTC, "alice\0pw", 8);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "password with a NUL byte");
    eap_server_free(srv);
    srv = gtc_to_challenge(&b, "alice", &req, &len);
    char big[EAP_PASSWORD_MAX + 1];
    memset(big, 'x', sizeof(big));
    eap_response(&m, req[1], EAP_TYPE_GTC, big, sizeof(big));
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_DISCARD);
    eap_server_free(srv);

    /* Without a check, GTC cannot succeed. */
    srv = to_challenge(EAP_METHOD_GTC, &b, "alice", &req, &len);
    eap_response(&m, req[1], EAP_TYPE_GTC, "alice-pw", 8);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_FAILURE);
    CHECK_STR_EQ(eap_server_failure_reason(srv), "no password check configured for GTC");
    eap_server_free(srv);
}

static void test_gtc_async_verify(void)
{
    struct backend b = { 0 };
    const uint8_t *req;
    size_t len;
    struct msg m;

    verify_async = true;
    struct eap_server *srv = gtc_to_challenge(&b, "alice", &req, &len);
    uint8_t id = req[1];
    eap_response(&m, id, EAP_TYPE_GTC, "alice-pw", 8);
    CHECK_INT_EQ(eap_server_verify_done(srv, 1), -EBUSY);       /* nothing pending yet */
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_PENDING);
    CHECK(req == NULL && len == 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), -EBUSY);
    CHECK_INT_EQ(eap_server_resume(srv, &req, &len), -EBUSY);
    CHECK_INT_EQ(eap_server_verify_done(srv, 1), 0);
    CHECK_INT_EQ(eap_server_verify_done(srv, 1), -EBUSY);
    CHECK_INT_EQ(eap_server_resume(srv, &req, &len), EAP_SUCCESS);
    CHECK(is_final(req, len, EAP_CODE_SUCCESS, id));
    eap_server_free(srv);

    srv = gtc_to_challenge(&b, "alice", &req, &len);
    eap_response(&m, req[1], EAP_TYPE_GTC, "alice-pw", 8);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_PENDING);
    CHECK_INT_EQ(eap_server_verify_done(srv, -ENOMEM), 0);
    CHECK_INT_EQ(eap_server_resume(srv, &req, &len), EAP_FAILURE);
    CHECK(strstr(eap_server_failure_reason(srv), "password check for 'alice' failed") != NULL);
    eap_server_free(srv);
    verify_async = false;
}

/* ------------------------------------------------------------------------
 * Asynchronous lookup
 * ------------------------------------------------------------------------ */

static void test_async_lookup(void)
{
    struct backend b = { .async = true };
    struct mschap_peer p;
    struct eap_credentials creds = { 0 };
    const uint8_t *req;
    size_t len;
    struct msg m;

    struct eap_server *srv = eap_server_new(EAP_METHOD_MSCHAPV2, test_lookup, &b);
    CHECK_INT_EQ(eap_server_resume(srv, &req, &len), -EBUSY);
    CHECK_INT_EQ(eap_server_start(srv, NULL, &req, &len), EAP_CONTINUE);
    identity_response(&m, req[1], "alice");
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_PENDING);
    CHECK(req == NULL && len == 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), -EBUSY);
    CHECK_INT_EQ(eap_server_resume(srv, &req, &len), -EBUSY);      /* no answer yet */
    CHECK_INT_EQ(eap_server_lookup_done(srv, 1, NULL), -EINVAL);
    memcpy(creds.password, "alice-pw", 8);
    creds.password_len = 8;
    CHECK_INT_EQ(eap_server_lookup_done(srv, 1, &creds), 0);
    CHECK_INT_EQ(eap_server_lookup_done(srv, 1, &creds), -EBUSY);
    CHECK_INT_EQ(eap_server_resume(srv, &req, &len), EAP_CONTINUE);
    CHECK_INT_EQ(mschap_response(req, len, "alice", "alice-pw", &p, &m), 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_CONTINUE);
    mschap_short(&m, req[1], 3);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_SUCCESS);
    eap_server_free(srv);

    /* A backend failure ends the conversation with EAP-Failure. */
    srv = eap_server_new(EAP_METHOD_MD5, test_lookup, &b);
    CHECK_INT_EQ(eap_server_start(srv, "alice", &req, &len), EAP_PENDING);
    CHECK_INT_EQ(eap_server_lookup_done(srv, -ETIMEDOUT, NULL), 0);
    CHECK_INT_EQ(eap_server_resume(srv, &req, &len), EAP_FAILURE);
    CHECK(len == 4 && req[0] == EAP_CODE_FAILURE);
    CHECK(strstr(eap_server_failure_reason(srv), "lookup") != NULL);
    eap_server_free(srv);
}

/* ------------------------------------------------------------------------
 * The lookup over vpnd.conf
 * ------------------------------------------------------------------------ */

static void test_config_lookup(void)
{
    char path[] = "/tmp/test-eap-XXXXXX";
    int fd = mkstemp(path);
    struct vpnd_config *config = NULL;
    struct config_error err;
    struct eap_credentials creds;
    uint8_t hash[16];
    /* nt-hash of "bob-pw" is checked against the primitive below. */
    char text[512];

    CHECK(fd >= 0);
    CHECK_INT_EQ(eap_mschapv2_nt_password_hash((const uint8_t *)"bob-pw", 6, hash), 0);
    char hexhash[33];
    for (int i = 0; i < 16; i++)
        snprintf(hexhash + 2 * i, 3, "%02x", hash[i]);
    int n = snprintf(text, sizeof(text),
                     "users = (\n"
                     "  { name = \"alice\"; password = \"alice-pw\"; },\n"
                     "  { name = \"bob\"; password-hash = \"$6$abcdefgh$O0cBrfA4kWhmDdrHUkTVHnm0zvDUPCXHYQhXqV9SwtCvDCuJe71hnj3.GFyjwKrpf6rxLHCIQaZjaxVYwPRW21\"; nt-hash = \"%s\"; }\n"
                     ");\n", hexhash);
    CHECK(write(fd, text, (size_t)n) == n);
    close(fd);
    int r = config_load(path, &config, &err);
    if (r < 0) {
        char buf[2048];
        printf("#   %s\n", config_error_format(&err, buf, sizeof(buf)));
    }
    CHECK_INT_EQ(r, 0);
    unlink(path);
    if (r < 0)
        return;

    memset(&creds, 0, sizeof(creds));
    CHECK_INT_EQ(eap_config_lookup(config, NULL, "alice", &creds), 1);
    CHECK_INT_EQ(creds.password_len, 8);
    CHECK(memcmp(creds.password, "alice-pw", 8) == 0);
    CHECK(!creds.has_nt_hash);
    memset(&creds, 0, sizeof(creds));
    CHECK_INT_EQ(eap_config_lookup(config, NULL, "bob", &creds), 1);
    CHECK_INT_EQ(creds.password_len, 0);
    CHECK(creds.has_nt_hash && memcmp(creds.nt_hash, hash, 16) == 0);
    CHECK_INT_EQ(eap_config_lookup(config, NULL, "carol", &creds), 0);

    /* A whole conversation through it. */
    struct mschap_peer p;
    const uint8_t *req;
    size_t len;
    struct msg m;
    struct eap_server *srv = eap_server_new(EAP_METHOD_MSCHAPV2, eap_config_lookup, config);
    CHECK_INT_EQ(eap_server_start(srv, "bob", &req, &len), EAP_CONTINUE);
    CHECK_INT_EQ(mschap_response(req, len, "bob", "bob-pw", &p, &m), 0);
    CHECK_INT_EQ(eap_server_process(srv, m.b, m.len, &req, &len), EAP_CONTINUE);
    CHECK(req[5] == 3);
    eap_server_free(srv);
    config_free(config);
}

TEST_MAIN(
    TEST(test_mschapv2_success),
    TEST(test_mschapv2_known_identity_domain_nt_hash),
    TEST(test_mschapv2_wrong_password),
    TEST(test_mschapv2_unknown_user),
    TEST(test_mschapv2_unusable_credentials),
    TEST(test_mschapv2_name_differs_from_identity),
    TEST(test_mschapv2_peer_rejects_authenticator),
    TEST(test_wrong_identifier_dropped),
    TEST(test_truncated_and_malformed_dropped),
    TEST(test_oversized),
    TEST(test_mutations),
    TEST(test_nak_to_md5),
    TEST(test_identity_exchange),
    TEST(test_round_bound),
    TEST(test_md5_known_answer),
    TEST(test_md5_success),
    TEST(test_md5_failures),
    TEST(test_gtc),
    TEST(test_gtc_async_verify),
    TEST(test_async_lookup),
    TEST(test_config_lookup))
