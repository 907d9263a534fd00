/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02, RFC 2759), server side.
 *
 *   vpnd                                   peer
 *   Challenge  (OpCode 1, 16-byte challenge, Name "vpnd")  ->
 *          <-  Response  (OpCode 2, PeerChallenge, NT-Response, Name)
 *   Success-Request (OpCode 3, "S=<auth response> M=...")  ->
 *          <-  Success-Response (OpCode 3)
 *   EAP-Success, MSK = RFC 3079 receive key | send key | 32 zero bytes
 *
 * A wrong password (or an unknown user, or a user without usable
 * credentials: the peer cannot tell these apart) gets a Failure-Request
 * "E=691 R=0 ..." (no retry); whatever the peer answers then ends in
 * EAP-Failure. Type data: OpCode (1), MS-CHAPv2-ID (1), MS-Length (2,
 * counting from the OpCode, i.e. EAP length - 5), then the value.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "eap-internal.h"

enum {
    OP_CHALLENGE = 1,
    OP_RESPONSE  = 2,
    OP_SUCCESS   = 3,
    OP_FAILURE   = 4,
};

#define MS_HEADER_LEN      4      /* OpCode, MS-CHAPv2-ID, MS-Length */
#define RESPONSE_VALUE_LEN 49     /* PeerChallenge 16, Reserved 8, NT-Response 24, Flags 1 */
#define NAME_MAX_LEN       256

#define LEGACY_MISSING \
    "EAP-MSCHAPv2 needs OpenSSL's legacy provider (package: libssl3 ships ossl-modules/legacy.so)"

static int mschapv2_check(struct eap_server *srv)
{
    int r = eap_mschapv2_crypto_check();

    if (r < 0)
        eap_set_reason(srv, LEGACY_MISSING);
    return r;
}

static void put_ms_header(uint8_t *out, uint8_t opcode, uint8_t ms_id, size_t len)
{
    out[0] = opcode;
    out[1] = ms_id;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
}

static int mschapv2_challenge(struct eap_server *srv, uint8_t identifier, uint8_t *out, size_t cap,
                              size_t *out_len)
{
    size_t len = MS_HEADER_LEN + 1 + MSCHAPV2_CHALLENGE_LEN + strlen(EAP_SERVER_NAME);

    if (cap < len)
        return -ENOBUFS;
    if (RAND_bytes(srv->challenge, MSCHAPV2_CHALLENGE_LEN) != 1)
        return -EIO;
    srv->mschap_id = identifier;
    put_ms_header(out, OP_CHALLENGE, srv->mschap_id, len);
    out[MS_HEADER_LEN] = MSCHAPV2_CHALLENGE_LEN;
    memcpy(out + MS_HEADER_LEN + 1, srv->challenge, MSCHAPV2_CHALLENGE_LEN);
    memcpy(out + MS_HEADER_LEN + 1 + MSCHAPV2_CHALLENGE_LEN, EAP_SERVER_NAME, strlen(EAP_SERVER_NAME));
    *out_len = len;
    return 0;
}

/* Failure-Request: E=691 (authentication failure), R=0 (no retry), a fresh
 * challenge C= (the format wants one even without retries), V=3. The
 * reason for the log is already set; the peer gets nothing more precise. */
static int send_failure(struct eap_server *srv, uint8_t *out, size_t cap, size_t *out_len)
{
    static const char hex[] = "0123456789ABCDEF";
    char msg[128], c[2 * MSCHAPV2_CHALLENGE_LEN + 1];
    uint8_t fresh[MSCHAPV2_CHALLENGE_LEN];
    int n;

    if (RAND_bytes(fresh, sizeof(fresh)) != 1)
        return -EIO;
    for (size_t i = 0; i < sizeof(fresh); i++) {
        c[2 * i] = hex[fresh[i] >> 4];
        c[2 * i + 1] = hex[fresh[i] & 0xf];
    }
    c[sizeof(c) - 1] = '\0';
    n = snprintf(msg, sizeof(msg), "E=691 R=0 C=%s V=3 M=Authentication failed", c);
    if (n < 0 || (size_t)n >= sizeof(msg) || cap < MS_HEADER_LEN + (size_t)n)
        return -ENOBUFS;
    put_ms_header(out, OP_FAILURE, srv->mschap_id, MS_HEADER_LEN + (size_t)n);
    memcpy(out + MS_HEADER_LEN, msg, (size_t)n);
    *out_len = MS_HEADER_LEN + (size_t)n;
    srv->mschap_failure_sent = true;
    OPENSSL_cleanse(&srv->creds, sizeof(srv->creds));
    return EAP_STEP_REQUEST;
}

/* The user's NT hash: the configured one, else MD4 of the cleartext
 * password. 1 with a hash, 0 when the user has nothing usable (reason set),
 * negative errno on failure. */
static int user_nt_hash(struct eap_server *srv, uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN])
{
    int r;

    if (srv->creds.has_nt_hash) {
        memcpy(nt_hash, srv->creds.nt_hash, MSCHAPV2_NT_HASH_LEN);
        return 1;
    }
    if (srv->creds.password_len == 0) {
        eap_set_reason(srv, "user has neither nt-hash nor a cleartext password (EAP-MSCHAPv2 needs one)");
        return 0;
    }
    r = eap_mschapv2_nt_password_hash(srv->creds.password, srv->creds.password_len, nt_hash);
    if (r == -EINVAL) {
        eap_set_reason(srv, "user's password is not usable for MS-CHAPv2 (invalid UTF-8 or over 256 characters)");
        return 0;
    }
    return r < 0 ? r : 1;
}

static int process_response(struct eap_server *srv, const uint8_t *data, size_t len,
                            uint8_t *out, size_t cap, size_t *out_len)
{
    const uint8_t *peer_challenge, *nt_response, *name;
    size_t name_len, user_len;
    uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN], expected[MSCHAPV2_NT_RESPONSE_LEN];
    char auth_response[MSCHAPV2_AUTH_RESPONSE_LEN + 1];
    static const char welcome[] = " M=Welcome to vpnd";
    const uint8_t *sep;
    bool usable, match;
    int r;

    if (len < MS_HEADER_LEN + 1 + RESPONSE_VALUE_LEN) {
        eap_set_reason(srv, "discarded response: MS-CHAPv2 Response of %zu bytes", len);
        return EAP_STEP_DISCARD;
    }
    if (data[4] != RESPONSE_VALUE_LEN) {
        eap_set_reason(srv, "discarded response: MS-CHAPv2 Value-Size %u (want %d)", data[4], RESPONSE_VALUE_LEN);
        return EAP_STEP_DISCARD;
    }
    name_len = len - MS_HEADER_LEN - 1 - RESPONSE_VALUE_LEN;
    if (name_len > NAME_MAX_LEN) {
        eap_set_reason(srv, "discarded response: MS-CHAPv2 Name of %zu bytes", name_len);
        return EAP_STEP_DISCARD;
    }
    peer_challenge = data + MS_HEADER_LEN + 1;
    nt_response = peer_challenge + MSCHAPV2_CHALLENGE_LEN + 8;
    name = data + MS_HEADER_LEN + 1 + RESPONSE_VALUE_LEN;

    /* The Name's user part goes into ChallengeHash; it must be the user the
     * EAP identity named, whose credentials were looked up. */
    sep = memchr(name, '\\', name_len);
    if (sep && (size_t)(sep - name) + 1 < name_len) {
        name_len -= (size_t)(sep - name) + 1;
        name = sep + 1;
    }
    user_len = strlen(srv->user);
    usable = false;
    if (!srv->user_found) {
        eap_set_reason(srv, "unknown user");
    } else if (name_len != user_len || memcmp(name, srv->user, user_len) != 0) {
        eap_set_reason(srv, "MS-CHAPv2 user name differs from the EAP identity");
    } else {
        r = user_nt_hash(srv, nt_hash);
        if (r < 0)
            goto out;
        usable = r > 0;
    }
    /* Without a usable hash, the same work on a random one, so that the
     * answer's timing does not tell which user names exist. */
    if (!usable && RAND_bytes(nt_hash, sizeof(nt_hash)) != 1)
        memset(nt_hash, 0x5a, sizeof(nt_hash));

    r = eap_mschapv2_nt_response(srv->challenge, peer_challenge, srv->user, user_len, nt_hash, expected);
    if (r < 0)
        goto out;
    match = CRYPTO_memcmp(expected, nt_response, MSCHAPV2_NT_RESPONSE_LEN) == 0;
    if (!usable || !match) {
        if (usable)
            eap_set_reason(srv, "wrong password");
        r = send_failure(srv, out, cap, out_len);
        goto out;
    }

    r = eap_mschapv2_authenticator_response(nt_hash, nt_response, peer_challenge, srv->challenge,
                                            srv->user, user_len, auth_response);
    if (r < 0)
        goto out;
    r = eap_mschapv2_msk(nt_hash, nt_response, srv->msk);
    if (r < 0)
        goto out;
    if (cap < MS_HEADER_LEN + MSCHAPV2_AUTH_RESPONSE_LEN + sizeof(welcome) - 1) {
        r = -ENOBUFS;
        goto out;
    }
    *out_len = MS_HEADER_LEN + MSCHAPV2_AUTH_RESPONSE_LEN + sizeof(welcome) - 1;
    put_ms_header(out, OP_SUCCESS, srv->mschap_id, *out_len);
    memcpy(out + MS_HEADER_LEN, auth_response, MSCHAPV2_AUTH_RESPONSE_LEN);
    memcpy(out + MS_HEADER_LEN + MSCHAPV2_AUTH_RESPONSE_LEN, welcome, sizeof(welcome) - 1);
    srv->mschap_success_sent = true;
    OPENSSL_cleanse(&srv->creds, sizeof(srv->creds));
    r = EAP_STEP_REQUEST;
out:
    OPENSSL_cleanse(nt_hash, sizeof(nt_hash));
    OPENSSL_cleanse(expected, sizeof(expected));
    OPENSSL_cleanse(auth_response, sizeof(auth_response));
    return r;
}

static int mschapv2_process(struct eap_server *srv, uint8_t identifier, const uint8_t *data, size_t len,
                            uint8_t next_identifier, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t opcode;

    if (len < 1) {
        eap_set_reason(srv, "discarded response: MS-CHAPv2 without an OpCode");
        return EAP_STEP_DISCARD;
    }
    opcode = data[0];

    if (srv->mschap_failure_sent) {
        /* The Failure-Response (OpCode 4), or anything: it ends here. The
         * reason set when the Failure-Request went out stays. */
        return EAP_STEP_FAILURE;
    }
    if (srv->mschap_success_sent) {
        /* Success-Response and Failure-Response are the OpCode alone. */
        if (opcode == OP_SUCCESS) {
            srv->has_msk = true;
            return EAP_STEP_SUCCESS;
        }
        if (opcode == OP_FAILURE) {
            eap_set_reason(srv, "peer rejected vpnd's authenticator response");
            return EAP_STEP_FAILURE;
        }
        eap_set_reason(srv, "discarded response: MS-CHAPv2 OpCode %u after Success-Request", opcode);
        return EAP_STEP_DISCARD;
    }

    if (opcode != OP_RESPONSE) {
        eap_set_reason(srv, "discarded response: MS-CHAPv2 OpCode %u, expected Response", opcode);
        return EAP_STEP_DISCARD;
    }
    if (len < MS_HEADER_LEN) {
        eap_set_reason(srv, "discarded response: MS-CHAPv2 header truncated");
        return EAP_STEP_DISCARD;
    }
    if (data[1] != srv->mschap_id) {
        eap_set_reason(srv, "discarded response: MS-CHAPv2-ID %u, expected %u", data[1], srv->mschap_id);
        return EAP_STEP_DISCARD;
    }
    if (((size_t)data[2] << 8 | data[3]) != len) {
        eap_set_reason(srv, "discarded response: MS-Length %u, but %zu bytes follow the EAP type",
                       (unsigned)data[2] << 8 | data[3], len);
        return EAP_STEP_DISCARD;
    }
    return process_response(srv, data, len, out, cap, out_len);
}

const struct eap_method_ops eap_mschapv2_ops = {
    .type = EAP_TYPE_MSCHAPV2,
    .name = "MSCHAPv2",
    .check = mschapv2_check,
    .challenge = mschapv2_challenge,
    .process = mschapv2_process,
};
