/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The EAP server framework (RFC 3748): request framing, identifier
 * tracking, the Identity exchange, NAKs, the credential lookup (possibly
 * asynchronous) and the end of the conversation. The methods live in
 * eap-md5.c and eap-mschapv2.c; see eap.h for the API.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "eap-internal.h"

void eap_set_reason(struct eap_server *srv, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(srv->reason, sizeof(srv->reason), fmt, ap);
    va_end(ap);
}

const char *eap_method_name(enum eap_method method)
{
    switch (method) {
    case EAP_METHOD_MD5:
        return "MD5";
    case EAP_METHOD_MSCHAPV2:
        return "MSCHAPv2";
    case EAP_METHOD_GTC:
        return "GTC";
    }
    return "unknown";
}

const char *eap_type_str(unsigned type, char *buf, size_t len)
{
    static const struct { unsigned type; const char *name; } names[] = {
        { EAP_TYPE_IDENTITY, "Identity" }, { EAP_TYPE_NOTIFICATION, "Notification" },
        { EAP_TYPE_NAK, "Nak" }, { EAP_TYPE_MD5, "MD5" }, { EAP_TYPE_GTC, "GTC" },
        { EAP_TYPE_TLS, "TLS" }, { EAP_TYPE_TTLS, "TTLS" }, { EAP_TYPE_PEAP, "PEAP" },
        { EAP_TYPE_MSCHAPV2, "MSCHAPv2" }, { EAP_TYPE_EXPANDED, "Expanded" },
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].type == type)
            return names[i].name;
    snprintf(buf, len, "type %u", type);
    return buf;
}

struct eap_server *eap_server_new(enum eap_method method, eap_lookup_fn lookup, void *userdata)
{
    struct eap_server *srv;

    if (!lookup || (method != EAP_METHOD_MD5 && method != EAP_METHOD_MSCHAPV2 && method != EAP_METHOD_GTC)) {
        errno = EINVAL;
        return NULL;
    }
    srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    srv->method = method;
    srv->ops = method == EAP_METHOD_MD5 ? &eap_md5_ops : method == EAP_METHOD_GTC ? &eap_gtc_ops : &eap_mschapv2_ops;
    srv->lookup = lookup;
    srv->userdata = userdata;
    srv->state = EAP_STATE_NEW;
    /* A random first identifier, so that responses to another conversation's
     * requests are unlikely to match (RFC 3748 4.1 wants them unique). */
    if (RAND_bytes(&srv->identifier, 1) != 1) {
        free(srv);
        errno = EIO;
        return NULL;
    }
    return srv;
}

void eap_server_set_verify(struct eap_server *srv, eap_verify_fn verify)
{
    if (srv)
        srv->verify = verify;
}

void eap_server_free(struct eap_server *srv)
{
    if (!srv)
        return;
    /* Credentials, challenges, the MSK and the last message (which may hold
     * an authenticator response): everything, in one go. */
    OPENSSL_cleanse(srv, sizeof(*srv));
    free(srv);
}

/* ------------------------------------------------------------------------
 * Messages out
 * ------------------------------------------------------------------------ */

static void put_header(struct eap_server *srv, uint8_t code, uint8_t identifier, size_t len)
{
    srv->out[0] = code;
    srv->out[1] = identifier;
    srv->out[2] = (uint8_t)(len >> 8);
    srv->out[3] = (uint8_t)len;
    srv->out_len = len;
}

static int give(struct eap_server *srv, int result, const uint8_t **req, size_t *req_len)
{
    *req = srv->out;
    *req_len = srv->out_len;
    return result;
}

/* EAP-Success or EAP-Failure: the identifier of the response they answer
 * (RFC 3748 4.2), which is that of our last request. */
static int finish(struct eap_server *srv, bool success, const uint8_t **req, size_t *req_len)
{
    put_header(srv, success ? EAP_CODE_SUCCESS : EAP_CODE_FAILURE, srv->identifier, EAP_HEADER_LEN);
    srv->state = success ? EAP_STATE_SUCCESS : EAP_STATE_FAILURE;
    if (success) {
        srv->reason[0] = '\0';
    } else {
        /* Nothing secret may outlive a failed conversation either. */
        OPENSSL_cleanse(&srv->creds, sizeof(srv->creds));
        OPENSSL_cleanse(srv->msk, sizeof(srv->msk));
        srv->has_msk = false;
    }
    return give(srv, success ? EAP_SUCCESS : EAP_FAILURE, req, req_len);
}

/* Counts a request about to go out; false when the conversation has had
 * its share (a peer looping on NAKs, garbage or retransmissions). */
static bool count_round(struct eap_server *srv)
{
    if (srv->rounds >= EAP_ROUNDS_MAX) {
        eap_set_reason(srv, "too many EAP rounds (%u)", srv->rounds);
        return false;
    }
    srv->rounds++;
    return true;
}

/* A request of `type` whose type data the caller wrote at out + 5. */
static int send_request(struct eap_server *srv, uint8_t identifier, uint8_t type, size_t data_len,
                        const uint8_t **req, size_t *req_len)
{
    if (!count_round(srv))
        return finish(srv, false, req, req_len);
    srv->identifier = identifier;
    put_header(srv, EAP_CODE_REQUEST, identifier, EAP_HEADER_LEN + 1 + data_len);
    srv->out[EAP_HEADER_LEN] = type;
    return give(srv, EAP_CONTINUE, req, req_len);
}

/* RFC 3748 says to drop what is malformed and keep waiting; over IKEv2 the
 * exchange still needs an answer, so the last request goes out again. */
static int discard(struct eap_server *srv, const uint8_t **req, size_t *req_len, const char *why)
{
    eap_set_reason(srv, "discarded response: %s", why);
    if (!count_round(srv))
        return finish(srv, false, req, req_len);
    return give(srv, EAP_DISCARD, req, req_len);
}

static int send_challenge(struct eap_server *srv, const uint8_t **req, size_t *req_len)
{
    uint8_t id = (uint8_t)(srv->identifier + 1);
    size_t len = 0;
    int r = srv->ops->challenge(srv, id, srv->out + EAP_HEADER_LEN + 1,
                                sizeof(srv->out) - EAP_HEADER_LEN - 1, &len);

    if (r < 0) {
        eap_set_reason(srv, "cannot build the %s challenge: %s", srv->ops->name, strerror(-r));
        return r;
    }
    srv->state = EAP_STATE_METHOD;
    return send_request(srv, id, srv->ops->type, len, req, req_len);
}

/* ------------------------------------------------------------------------
 * Identity and credentials
 * ------------------------------------------------------------------------ */

/* Stored only when it can go into a log line as it is. */
static int set_identity(struct eap_server *srv, const uint8_t *id, size_t len)
{
    const char *sep;

    if (len == 0 || len > EAP_IDENTITY_MAX)
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (id[i] < 0x20 || id[i] == 0x7f)
            return -EINVAL;
    memcpy(srv->identity, id, len);
    srv->identity[len] = '\0';
    srv->has_identity = true;
    /* "DOMAIN\user" (Windows): the user is what follows the first backslash,
     * as MS-CHAPv2's ChallengeHash wants it. */
    sep = strchr(srv->identity, '\\');
    srv->user = sep && sep[1] ? sep + 1 : srv->identity;
    return 0;
}

/* The lookup's answer is in: challenge the peer (whatever the answer; an
 * unknown user fails only after the method's response). */
static int lookup_finished(struct eap_server *srv, int found, const uint8_t **req, size_t *req_len)
{
    if (found < 0) {
        OPENSSL_cleanse(&srv->creds, sizeof(srv->creds));
        eap_set_reason(srv, "credential lookup for '%s' failed: %s", srv->identity, strerror(-found));
        return finish(srv, false, req, req_len);
    }
    srv->user_found = found > 0;
    if (!srv->user_found)
        OPENSSL_cleanse(&srv->creds, sizeof(srv->creds));
    else if (srv->creds.password_len > sizeof(srv->creds.password))
        srv->creds.password_len = 0;   /* a broken backend: treat as no password */
    return send_challenge(srv, req, req_len);
}

static int start_lookup(struct eap_server *srv, const uint8_t **req, size_t *req_len)
{
    int r;

    OPENSSL_cleanse(&srv->creds, sizeof(srv->creds));
    srv->lookup_done = false;
    r = srv->lookup(srv->userdata, srv, srv->user, &srv->creds);
    if (r == -EINPROGRESS) {
        srv->state = EAP_STATE_LOOKUP;
        *req = NULL;
        *req_len = 0;
        return EAP_PENDING;
    }
    return lookup_finished(srv, r, req, req_len);
}

/* The password check's answer (GTC). */
static int verify_finished(struct eap_server *srv, int result, const uint8_t **req, size_t *req_len)
{
    if (result < 0)
        eap_set_reason(srv, "password check for '%s' failed: %s", srv->identity, strerror(-result));
    else if (result == 0)
        eap_set_reason(srv, "wrong password");
    return finish(srv, result > 0, req, req_len);
}

static int start_verify(struct eap_server *srv, const uint8_t **req, size_t *req_len)
{
    int r;

    if (!srv->verify) {
        OPENSSL_cleanse(srv->gtc_password, sizeof(srv->gtc_password));
        eap_set_reason(srv, "no password check configured for %s", srv->ops->name);
        return finish(srv, false, req, req_len);
    }
    srv->verify_done = false;
    r = srv->verify(srv->userdata, srv, srv->user, srv->gtc_password);
    OPENSSL_cleanse(srv->gtc_password, sizeof(srv->gtc_password));
    if (r == -EINPROGRESS) {
        srv->state = EAP_STATE_VERIFY;
        *req = NULL;
        *req_len = 0;
        return EAP_PENDING;
    }
    return verify_finished(srv, r, req, req_len);
}

int eap_server_verify_done(struct eap_server *srv, int result)
{
    if (!srv)
        return -EINVAL;
    if (srv->state != EAP_STATE_VERIFY || srv->verify_done)
        return -EBUSY;
    srv->verify_result = result > 0 ? 1 : result;
    srv->verify_done = true;
    return 0;
}

int eap_server_lookup_done(struct eap_server *srv, int found, const struct eap_credentials *creds)
{
    if (!srv)
        return -EINVAL;
    if (srv->state != EAP_STATE_LOOKUP || srv->lookup_done)
        return -EBUSY;
    if (found > 0) {
        if (!creds)
            return -EINVAL;
        srv->creds = *creds;
    }
    srv->lookup_result = found > 0 ? 1 : found;
    srv->lookup_done = true;
    return 0;
}

int eap_server_resume(struct eap_server *srv, const uint8_t **req, size_t *req_len)
{
    if (!srv || !req || !req_len)
        return -EINVAL;
    if (srv->state == EAP_STATE_VERIFY && srv->verify_done) {
        srv->verify_done = false;
        return verify_finished(srv, srv->verify_result, req, req_len);
    }
    if (srv->state != EAP_STATE_LOOKUP || !srv->lookup_done)
        return -EBUSY;
    srv->lookup_done = false;
    return lookup_finished(srv, srv->lookup_result, req, req_len);
}

/* ------------------------------------------------------------------------
 * The conversation
 * ------------------------------------------------------------------------ */

int eap_server_start(struct eap_server *srv, const char *identity, const uint8_t **req, size_t *req_len)
{
    int r;

    if (!srv || !req || !req_len)
        return -EINVAL;
    if (srv->state != EAP_STATE_NEW)
        return -EBUSY;
    r = srv->ops->check(srv);
    if (r < 0)
        return r;
    if (identity) {
        r = set_identity(srv, (const uint8_t *)identity, strlen(identity));
        if (r < 0) {
            eap_set_reason(srv, "unusable identity (empty, longer than %d bytes or with control characters)",
                           EAP_IDENTITY_MAX);
            return r;
        }
        return start_lookup(srv, req, req_len);
    }
    srv->state = EAP_STATE_IDENTITY;
    return send_request(srv, (uint8_t)(srv->identifier + 1), EAP_TYPE_IDENTITY, 0, req, req_len);
}

/* "method mismatch (client NAKed MSCHAPv2, wants MD5, TLS)" */
static int nak_received(struct eap_server *srv, const uint8_t *types, size_t n,
                        const uint8_t **req, size_t *req_len)
{
    char wants[96] = "", buf[16];
    size_t used = 0;

    for (size_t i = 0; i < n && used < sizeof(wants) - 1; i++) {
        int w;
        if (types[i] == 0)          /* "no alternative" */
            continue;
        w = snprintf(wants + used, sizeof(wants) - used, "%s%s", used ? ", " : "",
                     eap_type_str(types[i], buf, sizeof(buf)));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used >= sizeof(wants))
        used = sizeof(wants) - 1;
    eap_set_reason(srv, "method mismatch (client NAKed %s, wants %s)", srv->ops->name, used ? wants : "none");
    return finish(srv, false, req, req_len);
}

int eap_server_process(struct eap_server *srv, const uint8_t *resp, size_t resp_len,
                       const uint8_t **req, size_t *req_len)
{
    size_t len, data_len, out_len = 0;
    const uint8_t *data;
    uint8_t type, next_id;
    int r;

    if (!srv || (!resp && resp_len) || !req || !req_len)
        return -EINVAL;
    switch (srv->state) {
    case EAP_STATE_NEW:
        return -EINVAL;
    case EAP_STATE_LOOKUP:
    case EAP_STATE_VERIFY:
        return -EBUSY;
    case EAP_STATE_SUCCESS:
    case EAP_STATE_FAILURE:
        return -EALREADY;
    default:
        break;
    }

    if (resp_len < EAP_HEADER_LEN)
        return discard(srv, req, req_len, "shorter than the EAP header");
    len = (size_t)resp[2] << 8 | resp[3];
    if (resp[0] != EAP_CODE_RESPONSE)
        return discard(srv, req, req_len, "not an EAP-Response");
    if (len > resp_len)
        return discard(srv, req, req_len, "EAP length beyond the data received");
    if (len < EAP_HEADER_LEN + 1)
        return discard(srv, req, req_len, "EAP-Response without a type");
    if (len > EAP_MESSAGE_MAX)
        return discard(srv, req, req_len, "EAP-Response too long");
    /* Bytes past the EAP length are link-layer padding (RFC 3748 4.1). */
    if (resp[1] != srv->identifier)
        return discard(srv, req, req_len, "identifier does not match the last request");
    type = resp[4];
    data = resp + EAP_HEADER_LEN + 1;
    data_len = len - EAP_HEADER_LEN - 1;

    if (srv->state == EAP_STATE_IDENTITY) {
        if (type != EAP_TYPE_IDENTITY)
            return discard(srv, req, req_len, "expected an Identity response");
        if (set_identity(srv, data, data_len) < 0) {
            eap_set_reason(srv, "unusable identity (empty, longer than %d bytes or with control characters)",
                           EAP_IDENTITY_MAX);
            return finish(srv, false, req, req_len);
        }
        return start_lookup(srv, req, req_len);
    }

    /* EAP_STATE_METHOD */
    if (type == EAP_TYPE_NAK)
        return nak_received(srv, data, data_len, req, req_len);
    if (type != srv->ops->type)
        return discard(srv, req, req_len, "response of another type than the request");

    next_id = (uint8_t)(srv->identifier + 1);
    r = srv->ops->process(srv, resp[1], data, data_len, next_id, srv->out + EAP_HEADER_LEN + 1,
                          sizeof(srv->out) - EAP_HEADER_LEN - 1, &out_len);
    switch (r) {
    case EAP_STEP_REQUEST:
        return send_request(srv, next_id, srv->ops->type, out_len, req, req_len);
    case EAP_STEP_SUCCESS:
        return finish(srv, true, req, req_len);
    case EAP_STEP_FAILURE:
        return finish(srv, false, req, req_len);
    case EAP_STEP_VERIFY:
        return start_verify(srv, req, req_len);
    case EAP_STEP_DISCARD:
        /* The method wrote its reason; keep it. */
        if (!count_round(srv))
            return finish(srv, false, req, req_len);
        return give(srv, EAP_DISCARD, req, req_len);
    default:
        if (r >= 0)
            r = -EIO;
        if (!srv->reason[0])
            eap_set_reason(srv, "%s failed: %s", srv->ops->name, strerror(-r));
        return r;
    }
}

int eap_server_msk(const struct eap_server *srv, const uint8_t **msk, size_t *len)
{
    if (!srv || !msk || !len)
        return -EINVAL;
    if (srv->state != EAP_STATE_SUCCESS || !srv->has_msk)
        return -ENODATA;
    *msk = srv->msk;
    *len = sizeof(srv->msk);
    return 0;
}

const char *eap_server_identity(const struct eap_server *srv)
{
    return srv && srv->has_identity ? srv->identity : NULL;
}

const char *eap_server_user(const struct eap_server *srv)
{
    return srv && srv->has_identity ? srv->user : NULL;
}

bool eap_server_failing(const struct eap_server *srv)
{
    return srv && (srv->state == EAP_STATE_FAILURE || (srv->state == EAP_STATE_METHOD && srv->mschap_failure_sent));
}

const char *eap_server_failure_reason(const struct eap_server *srv)
{
    return srv ? srv->reason : "";
}
