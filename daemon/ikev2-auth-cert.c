/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Certificates in IKEv2 (RFC 7296 2.15, 3.6-3.8; RFC 7427) on the
 * responder: the tunnel groups' credentials (loaded once per
 * configuration), what the IKE_SA_INIT response adds for them (CERTREQ,
 * SIGNATURE_HASH_ALGORITHMS), and the job that checks a client's chain,
 * identity and signature and makes our signature on a worker thread, so
 * that one client's RSA operations never stall the others. The cert layer
 * (cert.h, crypto-sign.h) does the work; this file feeds it from the IKE SA.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-sign.h"
#include "ikev2-auth-state.h"
#include "ikev2-wire.h"

/* ---- credentials ------------------------------------------------------------------------ */

/* Tunnel groups naming the same files share one store: the key is the paths. */
static int store_key(const struct config_tunnel_group *g, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s\n%s\n%s\n%s", g->certificate ? g->certificate : "",
                     g->private_key ? g->private_key : "", g->ca ? g->ca : "", g->crl ? g->crl : "");
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

int ikev2_cert_store_get(struct ike *ike, const struct config_tunnel_group *group, struct cert_store **ret,
                         char *err, size_t err_len)
{
    char key[4 * 4096 + 4];
    int r = store_key(group, key, sizeof(key));
    if (r < 0) {
        snprintf(err, err_len, "credential paths too long");
        return r;
    }
    if (!ike->cert_stores && (r = hashmap_new(&ike->cert_stores)) < 0) {
        snprintf(err, err_len, "out of memory");
        return r;
    }
    struct cert_store *store = hashmap_get_str(ike->cert_stores, key);
    if (!store) {
        /* Once per configuration: the files are small and were checked
         * when the configuration was loaded. */
        struct cert_store_paths paths = { group->certificate, group->private_key, group->ca, group->crl };
        r = cert_store_load(&paths, &store, err, err_len);
        if (r < 0)
            return r;
        r = hashmap_put_str(ike->cert_stores, key, store);
        if (r < 0) {
            cert_store_unref(store);
            snprintf(err, err_len, "out of memory");
            return r;
        }
        log_info(CONFIG_SUBSYS_IKEV2, "tunnel group %s: credentials loaded (%s certificate, %zu CAs, %zu CRLs)",
                 group->name, cert_store_certificate(store) ? "a" : "no", cert_store_n_cas(store),
                 cert_store_n_crls(store));
    }
    *ret = cert_store_ref(store);
    return 0;
}

void ikev2_cert_cache_flush(struct ike *ike)
{
    struct hashmap_iter it = HASHMAP_ITER_INIT;
    const void *key;
    size_t len;
    void *value;
    if (!ike->cert_stores)
        return;
    while (hashmap_iterate(ike->cert_stores, &it, &key, &len, &value)) {
        hashmap_remove(ike->cert_stores, key, len);
        cert_store_unref(value);
    }
}

/* ---- IKE_SA_INIT ------------------------------------------------------------------------ */

uint32_t ikev2_peer_sign_hashes(const struct ikev2_ike_sa *sa)
{
    struct ikev2_parse_status st;
    struct ikev2_notify n;
    uint32_t mask = 0;
    if (!sa->init_request)
        return 0;
    struct ikev2_message *msg = malloc(sizeof(*msg));
    if (!msg)
        return 0;
    if (ikev2_message_parse(sa->init_request, sa->init_request_len, msg, &st) >= 0) {
        const struct ikev2_payload *p = ikev2_notify_find(&msg->payloads, IKEV2_N_SIGNATURE_HASH_ALGORITHMS);
        if (!p || ikev2_notify_decode(p, &n, &st) < 0 || crypto_sign_hash_notify_parse(n.data, n.len, &mask) < 0)
            mask = 0;
    }
    free(msg);
    return mask;
}

void ikev2_build_init_cert_payloads(struct ikev2_ike_sa *sa, struct ikev2_builder *b)
{
    const struct vpnd_config *config = sa->config;
    uint8_t certreq[20 * 64];
    size_t certreq_len = 0;
    bool signatures = false;

    for (size_t g = 0; g < config->n_tunnel_groups; g++) {
        const struct config_tunnel_group *tg = &config->tunnel_groups[g];
        if (!tg->ikev2 || (tg->auth != CONFIG_AUTH_CERTIFICATE && tg->local_auth != CONFIG_LOCAL_AUTH_CERTIFICATE))
            continue;
        signatures = true;
        if (tg->auth != CONFIG_AUTH_CERTIFICATE)
            continue;
        struct cert_store *store = NULL;
        char err[256];
        uint8_t *ids = NULL;
        size_t ids_len = 0;
        if (ikev2_cert_store_get(sa->ike, tg, &store, err, sizeof(err)) < 0) {
            log_error(CONFIG_SUBSYS_IKEV2, "tunnel group %s: %s", tg->name, err);
            continue;
        }
        if (cert_store_certreq(store, &ids, &ids_len) >= 0) {
            /* Each CA once, even when several groups trust it. */
            for (size_t i = 0; i + CERT_KEYID_LEN <= ids_len; i += CERT_KEYID_LEN) {
                bool seen = false;
                for (size_t k = 0; k < certreq_len && !seen; k += CERT_KEYID_LEN)
                    seen = memcmp(certreq + k, ids + i, CERT_KEYID_LEN) == 0;
                if (!seen && certreq_len + CERT_KEYID_LEN <= sizeof(certreq)) {
                    memcpy(certreq + certreq_len, ids + i, CERT_KEYID_LEN);
                    certreq_len += CERT_KEYID_LEN;
                }
            }
        }
        free(ids);
        cert_store_unref(store);
    }
    if (!signatures)
        return;
    /* RFC 7427 4: answered when the initiator announced its hashes. */
    if (ikev2_peer_sign_hashes(sa)) {
        uint8_t hashes[16];
        int n = crypto_sign_hash_notify_build(hashes, sizeof(hashes));
        if (n > 0)
            ikev2_build_notify(b, IKEV2_PROTOCOL_NONE, NULL, 0, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, hashes, (size_t)n);
    }
    if (certreq_len)
        ikev2_build_cert(b, IKEV2_PAYLOAD_CERTREQ, IKEV2_CERT_X509_SIGNATURE, certreq, certreq_len);
}

/* ---- our CERT payloads ------------------------------------------------------------------ */

int ikev2_cert_our_payloads(struct ikev2_ike_sa *sa, struct cert_der_list *out)
{
    const struct ikev2_payload_list *first = &sa->auth->first;
    struct crypto_chunk chunks[IKEV2_MAX_PAYLOADS];
    size_t n = 0;
    bool matched = false;
    for (size_t i = 0; i < first->n; i++) {
        struct ikev2_parse_status st;
        struct ikev2_cert req;
        if (first->p[i].type != IKEV2_PAYLOAD_CERTREQ || ikev2_cert_decode(&first->p[i], &req, &st) < 0 ||
            req.encoding != IKEV2_CERT_X509_SIGNATURE)
            continue;
        chunks[n].ptr = req.data;
        chunks[n].len = req.len;
        n++;
    }
    return cert_store_cert_payloads(sa->auth->store, chunks, n, out, &matched);
}

/* ---- the job ------------------------------------------------------------------------------ */

struct cert_job {
    struct ikev2_ike_sa *sa;            /* NULL once the SA is gone */
    uint32_t mid;
    ikev2_cert_then_fn then;
    struct cert_store *store;           /* our reference */

    /* The peer's side, copied: the worker touches nothing of the SA. */
    bool verify;
    struct cert_peer_copy peer;         /* certificates, identity, AUTH data */
    uint8_t auth_method;
    uint8_t *peer_octets;
    size_t peer_octets_len;

    /* Ours. */
    bool sign;
    struct crypto_sign_scheme scheme;
    uint8_t *our_octets;
    size_t our_octets_len;

    /* Results. */
    int verdict;
    char reason[CERT_REASON_MAX];
    char subject[256];
    int sign_result;
    uint8_t *signature;
    size_t signature_len;
};

static void cert_job_free(struct cert_job *j)
{
    if (!j)
        return;
    cert_store_unref(j->store);
    cert_peer_copy_free(&j->peer);
    free(j->peer_octets);
    free(j->our_octets);
    free(j->signature);
    free(j);
}

static int cert_job_work(void *userdata)
{
    struct cert_job *j = userdata;
    j->verdict = 1;
    if (j->verify) {
        struct cert_verify_options opts = { .security_level = 1 };
        struct cert_peer *peer = NULL;
        int r = cert_peer_verify(j->store, j->peer.certs, j->peer.n_certs, &opts, &peer, j->reason, sizeof(j->reason));
        if (r > 0) {
            snprintf(j->subject, sizeof(j->subject), "%s", cert_peer_subject(peer));
            r = cert_peer_match_id(peer, j->peer.id_type, j->peer.id_data, j->peer.id_len, 0, j->reason,
                                   sizeof(j->reason));
        }
        if (r > 0)
            r = cert_peer_verify_auth(peer, j->auth_method, j->peer.sig, j->peer.sig_len, j->peer_octets,
                                      j->peer_octets_len, 0, j->reason, sizeof(j->reason));
        cert_peer_free(peer);
        j->verdict = r;
        if (r <= 0)
            return 0;       /* no signature for a peer we refuse */
    }
    if (j->sign)
        j->sign_result = crypto_sign_auth(cert_store_key(j->store), &j->scheme, j->our_octets, j->our_octets_len,
                                          &j->signature, &j->signature_len);
    return 0;
}

static void cert_job_done(void *userdata, int result)
{
    struct cert_job *j = userdata;
    struct ikev2_ike_sa *sa = j->sa;
    if (!sa) {
        cert_job_free(j);
        return;
    }
    sa->job = NULL;
    sa->job_sa = NULL;
    sa->response_pending = false;
    struct ikev2_cert_outcome out = {
        .verdict = result < 0 ? result : j->verdict,
        .reason = j->reason,
        .subject = j->subject,
        .sign_result = result < 0 ? result : j->sign_result,
        .method = j->scheme.auth_method,
        .auth = j->signature,
        .auth_len = j->signature_len,
    };
    if (result < 0)
        snprintf(j->reason, sizeof(j->reason), "certificate job: %s", strerror(-result));
    j->then(sa, j->mid, &out);
    cert_job_free(j);
}

/* The peer's CERT payloads, IDi and AUTH copied into the job. */
static int copy_peer_side(struct cert_job *j, const struct ikev2_auth_state *as, const struct ikev2_auth *auth,
                          char *reason, size_t reason_len)
{
    size_t k = 0;
    const struct ikev2_payload_list *first = &as->first;
    struct ikev2_cert certs[CERT_PEER_COPY_MAX];
    for (size_t i = 0; i < first->n; i++) {
        struct ikev2_parse_status st;
        if (first->p[i].type != IKEV2_PAYLOAD_CERT)
            continue;
        if (k == CERT_PEER_COPY_MAX) {
            snprintf(reason, reason_len, "more than %d CERT payloads", CERT_PEER_COPY_MAX);
            return 0;
        }
        if (ikev2_cert_decode(&first->p[i], &certs[k], &st) < 0) {
            snprintf(reason, reason_len, "malformed CERT payload");
            return 0;
        }
        k++;
    }
    j->auth_method = auth->method;
    return cert_peer_copy_init(&j->peer, certs, k, as->idi.type, as->idi.data, as->idi.len, auth->data, auth->len,
                               reason, reason_len);
}

int ikev2_cert_job_start(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_auth *peer_auth, bool sign,
                         ikev2_cert_then_fn then, char *reason, size_t reason_len)
{
    struct ikev2_auth_state *as = sa->auth;
    struct cert_job *j = calloc(1, sizeof(*j));
    int r;
    if (!j) {
        snprintf(reason, reason_len, "out of memory");
        return -ENOMEM;
    }
    j->sa = sa;
    j->mid = mid;
    j->then = then;
    j->store = cert_store_ref(as->store);
    if (peer_auth) {
        j->verify = true;
        r = copy_peer_side(j, as, peer_auth, reason, reason_len);
        if (r <= 0) {
            if (r < 0)
                snprintf(reason, reason_len, "out of memory");
            cert_job_free(j);
            return r < 0 ? r : -EACCES;
        }
        struct crypto_auth_input in = { .initiator = true, .message = sa->init_request,
                                        .message_len = sa->init_request_len, .nonce = sa->nr,
                                        .nonce_len = sa->nr_len, .id_body = as->idi.body,
                                        .id_body_len = as->idi.body_len };
        r = crypto_ikev2_signed_octets(&sa->keys, &in, &j->peer_octets, &j->peer_octets_len);
        if (r < 0) {
            snprintf(reason, reason_len, "cannot build the peer's signed octets: %s", strerror(-r));
            cert_job_free(j);
            return r;
        }
    }
    if (sign) {
        j->sign = true;
        r = crypto_sign_choose(cert_store_key(as->store), ikev2_peer_sign_hashes(sa), false, &j->scheme);
        if (r < 0) {
            snprintf(reason, reason_len, "our key cannot sign for this peer: %s", strerror(-r));
            cert_job_free(j);
            return r;
        }
        struct crypto_auth_input in = { .initiator = false, .message = sa->init_response,
                                        .message_len = sa->init_response_len, .nonce = sa->ni,
                                        .nonce_len = sa->ni_len, .id_body = as->idr_body,
                                        .id_body_len = as->idr_body_len };
        r = crypto_ikev2_signed_octets(&sa->keys, &in, &j->our_octets, &j->our_octets_len);
        if (r < 0) {
            snprintf(reason, reason_len, "cannot build our signed octets: %s", strerror(-r));
            cert_job_free(j);
            return r;
        }
    }
    r = job_submit(ike_jobs(sa->ike), cert_job_work, cert_job_done, j, &sa->job);
    if (r < 0) {
        snprintf(reason, reason_len, "cannot start the certificate job: %s", strerror(-r));
        cert_job_free(j);
        return r;
    }
    sa->job_sa = &j->sa;
    sa->response_pending = true;
    return 0;
}
