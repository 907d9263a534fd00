/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv1 Main Mode with RSA signatures (RFC 2409 5.1), auth methods 3 and
 * 65005 (XAUTHInitRSA: the same, then Xauth), on the responder:
 *
 *   1  HDR SA                      -> 2  HDR SA
 *   3  HDR KE Ni [CR]              -> 4  HDR KE Nr CR...      (our CAs' DNs)
 *   5  HDR* IDii [CERT...] SIG_I   -> 6  HDR* IDir CERT... SIG_R
 *
 * SKEYID = prf(Ni_b | Nr_b, g^xy) (ikev1-phase1.c's DH job); SIG_I is the
 * client's RSA signature of HASH_I, SIG_R ours of HASH_R (crypto-sign.h:
 * PKCS#1 v1.5 without DigestInfo).
 *
 * The tunnel group: message 1 is matched against the certificate groups'
 * proposals (the identity is not known yet); message 5's ID picks the
 * group for good, like IKEv2 does with IDi: the first IKEv1 certificate
 * group with a matching `identity` pattern, else the first without
 * patterns. That group's CAs (and CRL) must verify the certificate, the
 * ID must name it (cert_peer_match_id: DN, FQDN, USER_FQDN, address), the
 * negotiated transform must be one of its ike-proposals, and its
 * certificate signs our side. Chain checks and both RSA operations run on
 * a worker job (the hashes, cheap HMACs, are computed here).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "crypto-sign.h"
#include "ike-identity.h"
#include "ikev1-sa.h"
#include "ikev2-auth-state.h"   /* ikev2_cert_store_get(): one credential cache for both versions */
#include "jobs.h"

#define SIG_ID_MAX 512          /* our IDir: a DER DN */

bool ikev1_sig_group(const struct config_tunnel_group *tg)
{
    return tg->ikev1 && tg->auth == CONFIG_AUTH_CERTIFICATE;
}

/* ---- message 4: CR ------------------------------------------------------------------ */

void ikev1_sig_build_certreqs(struct ikev1_isakmp_sa *sa, struct ikev1_builder *b)
{
    /* Every CA of every IKEv1 certificate group (each DN once): the group
     * is not known before message 5, and a client whose send_cert policy
     * is "if asked" (strongSwan's default) sends its certificate only for
     * a CR. */
    struct cert_der_list seen = { 0 };
    const struct vpnd_config *config = sa->config;
    for (size_t g = 0; g < config->n_tunnel_groups; g++) {
        const struct config_tunnel_group *tg = &config->tunnel_groups[g];
        struct cert_store *store = NULL;
        struct cert_der_list dns = { 0 };
        char err[256];
        if (!ikev1_sig_group(tg))
            continue;
        if (ikev2_cert_store_get(sa->ike, tg, &store, err, sizeof(err)) < 0) {
            log_error(CONFIG_SUBSYS_IKEV1, "tunnel group %s: %s", tg->name, err);
            continue;
        }
        if (cert_store_ca_subjects(store, &dns) > 0)
            for (size_t i = 0; i < dns.n; i++) {
                bool dup = false;
                for (size_t k = 0; k < seen.n && !dup; k++)
                    dup = seen.items[k].len == dns.items[i].len &&
                          memcmp(seen.items[k].data, dns.items[i].data, dns.items[i].len) == 0;
                if (dup)
                    continue;
                ikev1_build_cert(b, IKEV1_PAYLOAD_CR, IKEV1_CERT_X509_SIG, dns.items[i].data, dns.items[i].len);
                struct cert_der *more = realloc(seen.items, (seen.n + 1) * sizeof(*more));
                if (!more)
                    continue;
                seen.items = more;
                seen.items[seen.n++] = dns.items[i];
                dns.items[i].data = NULL;       /* now seen's */
            }
        cert_der_list_free(&dns);
        cert_store_unref(store);
    }
    cert_der_list_free(&seen);
}

/* ---- the job ------------------------------------------------------------------------------ */

struct sig_job {
    struct ikev1_isakmp_sa *sa;
    const struct config_tunnel_group *group;
    struct cert_store *store;           /* our reference */
    char identity[SESSION_NAME_MAX];

    /* The client's side, copied: the worker touches nothing of the SA. */
    struct cert_peer_copy peer;         /* certificates, ID data, SIG_I */
    uint8_t hash_i[CRYPTO_PRF_OUT_MAX]; size_t hash_i_len;

    /* Ours. */
    uint8_t idr_b[4 + SIG_ID_MAX]; size_t idr_b_len;
    uint8_t hash_r[CRYPTO_PRF_OUT_MAX]; size_t hash_r_len;

    /* Results. */
    int verdict;                        /* 1 trusted, 0 refused (reason), < 0 errno */
    char reason[CERT_REASON_MAX];
    char subject[256];
    int sign_result;
    uint8_t *signature;
    size_t signature_len;
};

static void sig_job_free(struct sig_job *j)
{
    if (!j)
        return;
    cert_store_unref(j->store);
    cert_peer_copy_free(&j->peer);
    free(j->signature);
    crypto_wipe(j, sizeof(*j));
    free(j);
}

static int sig_job_work(void *userdata)
{
    struct sig_job *j = userdata;
    struct cert_verify_options opts = { .security_level = 1 };
    struct cert_peer *peer = NULL;
    int r = cert_peer_verify(j->store, j->peer.certs, j->peer.n_certs, &opts, &peer, j->reason, sizeof(j->reason));
    if (r > 0) {
        snprintf(j->subject, sizeof(j->subject), "%s", cert_peer_subject(peer));
        /* IKEv1's ID types 1, 2, 3, 5 and 9 have IKEv2's numbers. */
        r = cert_peer_match_id(peer, j->peer.id_type, j->peer.id_data, j->peer.id_len, 0, j->reason, sizeof(j->reason));
    }
    if (r > 0)
        r = crypto_sign_ikev1_rsa_verify(cert_peer_public_key(peer), j->peer.sig, j->peer.sig_len, j->hash_i,
                                         j->hash_i_len, j->reason, sizeof(j->reason));
    cert_peer_free(peer);
    j->verdict = r;
    if (r > 0)      /* no signature for a client we refuse */
        j->sign_result = crypto_sign_ikev1_rsa(cert_store_key(j->store), j->hash_r, j->hash_r_len, &j->signature,
                                               &j->signature_len);
    return 0;
}

/* group: the one the identity selected, NULL before (the log names the
 * provisional group of message 1 then). */
static void refuse(struct ikev1_isakmp_sa *sa, const struct log_ctx *ctx, const char *identity,
                   const struct config_tunnel_group *group, const char *reason)
{
    if (group) {
        sa->group = group;
        snprintf(sa->group_name, sizeof(sa->group_name), "%s", group->name);
    }
    log_notice_ctx(ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, identity '%s', tunnel group %s: %s",
                   sa->peer, identity, sa->group->name, reason);
    sa->ike->stats.handshake_failures[IKE_FAIL_AUTH]++;
    /* The client has our keys: tell it under them rather than let it
     * retransmit until it gives up. */
    ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_AUTHENTICATION_FAILED, NULL, 0);
    ikev1_sa_terminate(sa, false, "phase 1 authentication failed");
}

/* Message 6: IDir CERT... SIG_R, then phase 1 is done. */
static void send_message6(struct ikev1_isakmp_sa *sa, struct sig_job *j, struct log_ctx *ctx)
{
    struct cert_der_list certs = { 0 };
    bool matched = false;
    int r = cert_store_cert_payloads(j->store, NULL, 0, &certs, &matched);
    if (r < 0) {
        log_error_ctx(ctx, CONFIG_SUBSYS_IKEV1, "tunnel group %s: cannot find our certificate chain: %s",
                      j->group->name, strerror(-r));
        ikev1_sa_terminate(sa, false, "no certificate to send");
        return;
    }
    size_t cap = 256 + j->idr_b_len + j->signature_len;
    for (size_t i = 0; i < certs.n; i++)
        cap += 5 + certs.items[i].len;
    uint8_t *plain = malloc(cap);
    struct ikev1_builder b;
    size_t len = 0;
    r = -ENOMEM;
    if (plain) {
        ikev1_builder_init(&b, plain, cap);
        ikev1_build_id(&b, j->idr_b[0], j->idr_b[1], wire_get16(j->idr_b + 2), j->idr_b + 4, j->idr_b_len - 4);
        for (size_t i = 0; i < certs.n; i++)
            ikev1_build_cert(&b, IKEV1_PAYLOAD_CERT, IKEV1_CERT_X509_SIG, certs.items[i].data, certs.items[i].len);
        ikev1_build_sig(&b, j->signature, j->signature_len);
        r = ikev1_builder_finish(&b, &len);
    }
    cert_der_list_free(&certs);
    if (r < 0) {
        free(plain);
        ikev1_sa_terminate(sa, false, "cannot build Main Mode message 6");
        return;
    }
    sa->reacting = true;
    (void)ikev1_send_encrypted(sa, IKEV1_EXCHANGE_MAIN_MODE, 0, plain, len, ikev1_builder_first_type(&b),
                               IKEV1_SEND_ONCE);
    free(plain);
    ikev1_main_established(sa, ctx);
}

static void sig_job_done(void *userdata, int result)
{
    struct sig_job *j = userdata;
    if (result == -ECANCELED) {
        sig_job_free(j);
        return;
    }
    struct ikev1_isakmp_sa *sa = j->sa;
    struct log_ctx ctx;
    sa->job = NULL;
    ikev1_sa_log_ctx(sa, &ctx);
    ctx.tunnel_group = j->group->name;
    if (result < 0 || j->verdict <= 0) {
        char reason[CERT_REASON_MAX + 64];
        int err = result < 0 ? result : j->verdict;
        if (err < 0)
            snprintf(reason, sizeof(reason), "cannot check the certificate: %s", strerror(-err));
        else
            snprintf(reason, sizeof(reason), "%s", j->reason);
        refuse(sa, &ctx, j->identity, j->group, reason);
        sig_job_free(j);
        return;
    }
    log_info_ctx(&ctx, CONFIG_SUBSYS_AUTH, "certificate '%s' of peer %s verified against tunnel group %s's CAs, "
                 "SIG_I good", j->subject, sa->peer, j->group->name);
    if (j->sign_result < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "tunnel group %s: cannot sign HASH_R: %s", j->group->name,
                      strerror(-j->sign_result));
        ikev1_sa_terminate(sa, false, "cannot sign");
        sig_job_free(j);
        return;
    }
    /* The group for good: the certificate's identity chose it. */
    sa->group = j->group;
    snprintf(sa->group_name, sizeof(sa->group_name), "%s", j->group->name);
    /* The user, unless Xauth names one: the certificate's identity. */
    snprintf(sa->user, sizeof(sa->user), "%s", j->identity);
    ikev1_sa_log_ctx(sa, &ctx);
    /* The certificate names one client: its INITIAL-CONTACT ends its
     * earlier ISAKMP SA (with Xauth, the user name decides instead). */
    if (!j->group->xauth)
        ikev1_user_known(sa);
    send_message6(sa, j, &ctx);
    sig_job_free(j);
}

/* The CERT payloads (X.509 signature encoding; others are passed on for
 * cert_peer_verify() to skip), ID data and SIG_I copied into the job. */
static int copy_client_side(struct sig_job *j, const struct ikev1_payload_list *pl, const struct ikev1_id *id,
                            const struct ikev1_data *sig, char *reason, size_t reason_len)
{
    struct ikev1_cert one;
    struct ikev2_cert certs[CERT_PEER_COPY_MAX];
    size_t k = 0;
    for (size_t i = 0; i < pl->n; i++) {
        struct ikev1_parse_status st;
        if (pl->p[i].type != IKEV1_PAYLOAD_CERT)
            continue;
        if (k == CERT_PEER_COPY_MAX) {
            snprintf(reason, reason_len, "more than %d CERT payloads", CERT_PEER_COPY_MAX);
            return 0;
        }
        if (ikev1_cert_decode(&pl->p[i], &one, &st) < 0) {
            snprintf(reason, reason_len, "malformed CERT payload");
            return 0;
        }
        certs[k++] = (struct ikev2_cert){ one.encoding, one.data, one.len };
    }
    return cert_peer_copy_init(&j->peer, certs, k, id->type, id->data, id->len, sig->data, sig->len, reason,
                               reason_len);
}

/* Our IDir: the DN of the group's certificate (what a client checks
 * against the certificate we send). */
static int our_id(struct sig_job *j)
{
    uint8_t *dn = NULL;
    size_t dn_len = 0;
    int r = cert_store_subject_der(j->store, &dn, &dn_len);
    if (r < 0)
        return r;
    if (dn_len > SIG_ID_MAX) {
        free(dn);
        return -E2BIG;
    }
    memset(j->idr_b, 0, 4);
    j->idr_b[0] = IKEV1_ID_DER_ASN1_DN;
    memcpy(j->idr_b + 4, dn, dn_len);
    j->idr_b_len = 4 + dn_len;
    free(dn);
    return 0;
}

void ikev1_sig_message5(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt, const struct ikev1_payload_list *pl,
                        const struct ikev1_header *hdr, struct log_ctx *ctx)
{
    struct ikev1_parse_status st;
    const struct ikev1_payload *p_id = ikev1_payload_find(pl, IKEV1_PAYLOAD_ID);
    const struct ikev1_payload *p_sig = ikev1_payload_find(pl, IKEV1_PAYLOAD_SIG);
    struct ikev1_id id;
    struct ikev1_data sig;
    if (!(hdr->flags & IKEV1_FLAG_ENCRYPTION) || !p_id || !p_sig || ikev1_id_decode(p_id, &id, &st) < 0 ||
        ikev1_sig_decode(p_sig, &sig, &st) < 0) {
        sa->ike->stats.parse_errors++;
        log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "Main Mode message 5 without a valid ID and SIG dropped");
        return;
    }
    /* The chain parsed under our phase-1 key: only the peer that did the
     * Diffie-Hellman exchange can have sent it, so the IV chain moves on
     * now (message 6 follows from it, whatever the job decides). */
    ikev1_p1_message5_accepted(sa, pkt, pl, hdr, ctx);

    char identity[SESSION_NAME_MAX] = "", reason[CERT_REASON_MAX + 128];
    enum config_identity_type id_type;
    struct config_address id_addr;
    /* No KEY_ID: a certificate cannot vouch for one. */
    int r = ike_identity_text(id.type, id.data, id.len, IKE_ID_TEXT_STRICT, identity, sizeof(identity), &id_type,
                              &id_addr);
    if (r < 0) {
        snprintf(reason, sizeof(reason), r == -EOPNOTSUPP ? "ID type %u cannot be matched against a certificate"
                                                          : "ID of type %u is malformed or not printable", id.type);
        refuse(sa, ctx, "", NULL, reason);
        return;
    }
    const struct config_tunnel_group *group =
        config_tunnel_group_find_by_identity_among(sa->config, ikev1_sig_group, id_type, identity, &id_addr);
    if (!group) {
        refuse(sa, ctx, identity, NULL, "no IKEv1 certificate tunnel group accepts this identity");
        return;
    }
    ctx->tunnel_group = group->name;
    char why[256];
    if (!ikev1_p1_choice_allowed(&sa->choice, group, why, sizeof(why))) {
        snprintf(reason, sizeof(reason), "the negotiated IKE transform (ike-proposal '%s' of tunnel group %s) is not "
                 "acceptable to this group: %s", sa->choice.config->name, sa->group->name, why);
        refuse(sa, ctx, identity, group, reason);
        return;
    }

    struct sig_job *j = calloc(1, sizeof(*j));
    if (!j) {
        ikev1_sa_terminate(sa, false, "out of memory");
        return;
    }
    j->sa = sa;
    j->group = group;
    snprintf(j->identity, sizeof(j->identity), "%s", identity);
    char err[256];
    r = ikev2_cert_store_get(sa->ike, group, &j->store, err, sizeof(err));
    if (r < 0) {
        snprintf(reason, sizeof(reason), "the tunnel group's credentials: %s", err);
        sig_job_free(j);
        refuse(sa, ctx, identity, group, reason);
        return;
    }
    r = copy_client_side(j, pl, &id, &sig, reason, sizeof(reason));
    if (r <= 0) {
        if (r < 0)
            snprintf(reason, sizeof(reason), "out of memory");
        sig_job_free(j);
        refuse(sa, ctx, identity, group, reason);
        return;
    }
    r = our_id(j);
    if (r < 0) {
        snprintf(reason, sizeof(reason), "cannot build our IDir from the certificate: %s", strerror(-r));
        sig_job_free(j);
        refuse(sa, ctx, identity, group, reason);
        return;
    }
    /* HASH_I over the client's ID, HASH_R over ours (RFC 2409 5.1). */
    struct crypto_ikev1_phase1_input in = {
        .initiator = true,
        .g_xi = sa->g_xi, .g_xi_len = sa->g_xi_len,
        .g_xr = sa->g_xr, .g_xr_len = sa->g_xr_len,
        .cky_i = sa->icookie, .cky_r = sa->rcookie,
        .sa_i_body = sa->sai_b, .sa_i_body_len = sa->sai_b_len,
        .id_body = id.body, .id_body_len = id.body_len,
    };
    int hi = crypto_ikev1_phase1_hash(&sa->keys, &in, j->hash_i, sizeof(j->hash_i));
    in.initiator = false;
    in.id_body = j->idr_b;
    in.id_body_len = j->idr_b_len;
    int hr = crypto_ikev1_phase1_hash(&sa->keys, &in, j->hash_r, sizeof(j->hash_r));
    if (hi < 0 || hr < 0) {
        sig_job_free(j);
        ikev1_sa_terminate(sa, false, "cannot compute HASH_I/HASH_R");
        return;
    }
    j->hash_i_len = (size_t)hi;
    j->hash_r_len = (size_t)hr;
    sa->mm_step = MM_COMPUTING;
    r = job_submit(ike_jobs(sa->ike), sig_job_work, sig_job_done, j, &sa->job);
    if (r < 0) {
        log_warning_ctx(ctx, CONFIG_SUBSYS_IKEV1, "cannot start the signature check: %s", strerror(-r));
        sig_job_free(j);
        ikev1_sa_terminate(sa, false, "overloaded");
    }
}
