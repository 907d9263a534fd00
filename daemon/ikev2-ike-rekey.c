/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKE SA rekeying on the responder (RFC 7296 1.3.2, 2.18): CREATE_CHILD_SA
 * with SA (IKE proposals, the initiator's new SPI), KEi and Ni. The new
 * Diffie-Hellman runs on the job pool like IKE_SA_INIT's; once done, a new
 * IKE SA (new SPIs, keys from SK_d of the old one) takes over everything
 * the old one owned (CHILD SAs, lease, session, timers), the answer goes
 * out under the old keys, and the old IKE SA, now empty, waits for the
 * client's DELETE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-dh.h"
#include "ikev2-initiator.h"
#include "ikev2-sa.h"
#include "ikev2-wire.h"
#include "jobs.h"

#define IKEV2_REKEY_NONCE_LEN 32

struct ikev2_rekey_job {
    struct ikev2_ike_sa *sa;            /* the old SA; NULL once it is gone */
    uint32_t mid;                       /* the request being answered */
    struct ikev2_ike_choice choice;
    struct crypto_ike_keys old_keys;    /* a copy: the worker must not touch the SA */
    uint8_t peer_ke[CRYPTO_DH_PUBLIC_MAX];  size_t peer_ke_len;
    uint8_t ni[IKEV2_NONCE_MAX];  size_t ni_len;
    uint8_t nr[IKEV2_REKEY_NONCE_LEN];
    uint64_t new_ispi, new_rspi;
    bool collision;                     /* vpnd's own rekey of the SA is outstanding */
    /* Results. */
    uint8_t our_ke[CRYPTO_DH_PUBLIC_MAX];   size_t our_ke_len;
    struct crypto_ike_keys keys;
    const char *failed_step;
};

static void rekey_job_free(struct ikev2_rekey_job *j)
{
    crypto_ike_keys_wipe(&j->keys);
    crypto_ike_keys_wipe(&j->old_keys);
    crypto_wipe(j, sizeof(*j));
    free(j);
}

static int rekey_work(void *userdata)
{
    struct ikev2_rekey_job *j = userdata;
    uint8_t shared[CRYPTO_DH_SHARED_MAX], spi_i[8], spi_r[8];
    size_t shared_len = 0;
    struct crypto_ike_suite suite = { j->choice.encr, j->choice.integ, j->choice.prf, j->choice.dh };

    int r = ikev2_dh_agree(suite.dh, j->our_ke, sizeof(j->our_ke), j->peer_ke, j->peer_ke_len,
                           shared, sizeof(shared), &shared_len, &j->failed_step);
    if (r < 0)
        goto out;
    j->our_ke_len = (size_t)r;
    ikev2_put64(spi_i, j->new_ispi);
    ikev2_put64(spi_r, j->new_rspi);
    r = crypto_ikev2_derive_rekeyed_ike_keys(&j->old_keys, &suite, shared, shared_len, j->ni, j->ni_len, j->nr,
                                             sizeof(j->nr), spi_i, spi_r, &j->keys);
    if (r < 0)
        j->failed_step = "key derivation";
out:
    crypto_wipe(shared, sizeof(shared));
    return r;
}

/* Moves what the old IKE SA owns to the new one. */
static void take_over(struct ikev2_ike_sa *n, struct ikev2_ike_sa *old)
{
    n->group = old->group;
    n->policy = old->policy;            /* may point into the grant: both move */
    n->grant = old->grant;
    old->grant = NULL;
    /* n has a copy already (ikev2_ike_sa_rekeyed): the same text. */
    if (strcmp(n->identity, old->identity) != 0)
        (void)ikev2_sa_set_identity(n, old->identity);
    free(n->local_identity);
    n->local_identity = old->local_identity ? strdup(old->local_identity) : NULL;
    free(n->client_version);
    n->client_version = old->client_version ? strdup(old->client_version) : NULL;
    n->has_address = old->has_address;
    n->address = old->address;
    n->pool = old->pool;
    n->has_address6 = old->has_address6;
    n->address6 = old->address6;
    n->pool6 = old->pool6;
    n->has_child = old->has_child;
    n->child = old->child;
    n->esp = old->esp;
    n->has_old_child = old->has_old_child;
    free(n->old_child);
    n->old_child = old->old_child;      /* moves */
    old->old_child = NULL;
    memcpy(n->tsi, old->tsi, sizeof(n->tsi));
    n->n_tsi = old->n_tsi;
    free(n->tsr);
    n->tsr = old->tsr;                  /* moves */
    n->n_tsr = old->n_tsr;
    old->tsr = NULL;
    old->n_tsr = 0;
    n->session = old->session;
    if (n->session)
        n->session->owner = n;
    n->activity = old->activity;        /* same session: its idle time goes on */
    old->has_address = false;
    old->has_address6 = false;
    old->has_child = false;
    old->has_old_child = false;
    old->session = NULL;
    queued_timer_disarm(old->ike->timers, &old->policy_timer);
    ikev2_initiator_take_over(n, old);
}

void ikev2_ike_sa_adopt(struct ikev2_ike_sa *n, struct ikev2_ike_sa *old)
{
    take_over(n, old);
    struct log_ctx ctx;
    ikev2_sa_log_ctx(n, &ctx);
    int r = ikev2_sa_start_policy_timer(n);
    if (r < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot watch the idle and session timeouts: %s", strerror(-r));
}

struct ikev2_ike_sa *ikev2_ike_sa_rekeyed(struct ikev2_ike_sa *old, bool we_initiated, bool adopt, uint64_t ispi,
                                          uint64_t rspi, const struct ikev2_ike_choice *choice,
                                          const struct crypto_ike_keys *keys, const uint8_t *ni, size_t ni_len,
                                          const uint8_t *nr, size_t nr_len)
{
    struct ike *ike = old->ike;
    struct ikev2_ike_sa *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->identity = ikev2_no_identity;
    if (ikev2_sa_set_identity(n, old->identity) < 0) {
        free(n);
        return NULL;
    }
    n->original_initiator = we_initiated;
    n->ispi = ispi;
    n->rspi = rspi;
    uint64_t local_spi = ikev2_sa_local_spi(n);
    if (hashmap_put(ike->sas, &local_spi, sizeof(local_spi), n) < 0) {
        ikev2_sa_clear_identity(n);
        free(n);
        return NULL;
    }
    n->ike = ike;
    n->config = config_ref(old->config);
    n->state = IKEV2_SA_ESTABLISHED;
    n->in_table = true;
    n->local = old->local;
    n->remote = old->remote;
    n->ifindex = old->ifindex;
    n->nat_detected = old->nat_detected;
    n->fragmentation = old->fragmentation;     /* no IKE_SA_INIT to negotiate it again */
    snprintf(n->peer, sizeof(n->peer), "%s", old->peer);
    snprintf(n->sa_name, sizeof(n->sa_name), "%s", old->sa_name);
    n->choice = *choice;
    n->keys = *keys;
    /* The nonces are not needed once the keys are derived (Ni is not
     * kept at all: only IKE_AUTH reads it); Nr is kept when it fits. */
    (void)ni;
    (void)ni_len;
    if (nr_len <= sizeof(n->nr)) {
        memcpy(n->nr, nr, nr_len);
        n->nr_len = nr_len;
    }
    /* Who it is for, in its log lines, also before (or without) the rest. */
    n->group = old->group;
    n->policy = old->policy;
    /* A policy of old's RADIUS grant lives with old: without adopting
     * it, n keeps the configuration's own. */
    if (old->grant && old->policy == &old->grant->policy_copy)
        n->policy = old->grant->authz.group_policy ? old->grant->authz.group_policy : old->group->group_policy;
    ike->stats.established++;
    if (adopt)
        ikev2_ike_sa_adopt(n, old);
    return n;
}

static void rekey_done(void *userdata, int result)
{
    struct ikev2_rekey_job *j = userdata;
    struct ikev2_ike_sa *old = j->sa;
    struct log_ctx ctx;

    if (!old) {
        rekey_job_free(j);
        return;
    }
    old->job = NULL;
    old->job_sa = NULL;
    old->response_pending = false;
    ikev2_sa_log_ctx(old, &ctx);
    uint8_t exchange = IKEV2_EXCHANGE_CREATE_CHILD_SA;
    if (result < 0) {
        if (j->collision)
            ikev2_ike_rekey_collision_failed(old);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey failed: Diffie-Hellman %s: %s",
                     j->failed_step ? j->failed_step : "job", strerror(-result));
        ikev2_send_encrypted_notify(old, exchange, j->mid, IKEV2_N_NO_PROPOSAL_CHOSEN);
        rekey_job_free(j);
        return;
    }

    struct ikev2_ike_sa *n = NULL;
    uint8_t *out = malloc(IKEV2_INNER_MAX);
    struct ikev2_builder b;
    size_t len = 0;
    /* Colliding with our own rekey (RFC 7296 2.8.2): the new SA takes
     * over only if it survives, decided once both exchanges are done. */
    bool collision = j->collision && ikev2_ike_rekey_collision_pending(old);
    if (out)
        n = ikev2_ike_sa_rekeyed(old, false, !collision, j->new_ispi, j->new_rspi, &j->choice, &j->keys, j->ni,
                                 j->ni_len, j->nr, sizeof(j->nr));
    if (!n) {
        free(out);
        if (j->collision)
            ikev2_ike_rekey_collision_failed(old);
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey failed: out of memory");
        ikev2_send_encrypted_notify(old, exchange, j->mid, IKEV2_N_TEMPORARY_FAILURE);
        rekey_job_free(j);
        return;
    }

    /* The answer, under the old SA's keys: SA (our new SPI) KEr Nr. */
    struct ikev2_transform tr[4];
    struct ikev2_proposal pr = { .number = j->choice.number, .protocol = IKEV2_PROTOCOL_IKE, .spi_size = 8 };
    ikev2_put64(pr.spi, j->new_rspi);
    pr.n_transforms = ikev2_ike_choice_transforms(&j->choice, tr);
    ikev2_builder_init(&b, out, IKEV2_INNER_MAX);
    ikev2_build_sa_proposal(&b, &pr, tr);
    ikev2_build_ke(&b, j->choice.dh->ikev2_id, j->our_ke, j->our_ke_len);
    ikev2_build_nonce(&b, j->nr, sizeof(j->nr));
    char suite[100];
    ikev2_ike_choice_format(&j->choice, suite, sizeof(suite));
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekeyed%s: %016llx_i %016llx_r, %s (replaces %016llx_i %016llx_r)",
                 collision ? " (colliding with vpnd's rekey: which one survives is decided by the nonces)" : "",
                 (unsigned long long)n->ispi, (unsigned long long)n->rspi, suite, (unsigned long long)old->ispi,
                 (unsigned long long)old->rspi);
    if (ikev2_builder_finish(&b, &len) >= 0)
        (void)ikev2_send_encrypted(old, exchange, true, j->mid, out, len, ikev2_builder_first_type(&b));
    free(out);
    if (collision)
        ikev2_ike_rekey_collision_created(old, n);
    rekey_job_free(j);
}

static void reject_info(const char *reason, void *userdata)
{
    log_info_ctx(userdata, CONFIG_SUBSYS_IKEV2, "%s", reason);
}

void ikev2_start_ike_rekey(struct ikev2_ike_sa *sa, const struct ikev2_message *msg,
                           const struct ikev2_payload_list *inner)
{
    struct log_ctx ctx;
    struct ikev2_parse_status st;
    uint32_t mid = msg->header.message_id;
    uint8_t exchange = IKEV2_EXCHANGE_CREATE_CHILD_SA;
    struct ikev2_ke ke;
    struct ikev2_nonce ni;

    ikev2_sa_log_ctx(sa, &ctx);
    if (sa->job) {
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_TEMPORARY_FAILURE);
        return;
    }
    struct ikev2_sa *offered = malloc(sizeof(*offered));
    struct ikev2_rekey_job *j = calloc(1, sizeof(*j));
    if (!offered || !j) {
        free(offered);
        free(j);
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_TEMPORARY_FAILURE);
        return;
    }
    if (ikev2_sa_decode(ikev2_payload_find(inner, IKEV2_PAYLOAD_SA), offered, &st) < 0 ||
        ikev2_ke_decode(ikev2_payload_find(inner, IKEV2_PAYLOAD_KE), &ke, &st) < 0 ||
        !ikev2_payload_find(inner, IKEV2_PAYLOAD_NONCE) ||
        ikev2_nonce_decode(ikev2_payload_find(inner, IKEV2_PAYLOAD_NONCE), &ni, &st) < 0) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "malformed IKE_SA rekey request: INVALID_SYNTAX");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_INVALID_SYNTAX);
        goto fail;
    }
    int r = ikev2_choose_ike(offered, (const struct config_ike_proposal *const *)sa->group->ike_proposals,
                             sa->group->n_ike_proposals, &j->choice, reject_info, &ctx);
    if (r < 0) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "no acceptable IKE proposal for the rekey: NO_PROPOSAL_CHOSEN");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_NO_PROPOSAL_CHOSEN);
        goto fail;
    }
    const struct ikev2_proposal *chosen = NULL;
    for (size_t i = 0; i < offered->n_proposals; i++)
        if (offered->proposals[i].number == j->choice.number && offered->proposals[i].protocol == IKEV2_PROTOCOL_IKE)
            chosen = &offered->proposals[i];
    if (!chosen || chosen->spi_size != 8) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey proposal without an 8-byte SPI: INVALID_SYNTAX");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_INVALID_SYNTAX);
        goto fail;
    }
    if (ke.group != j->choice.dh->ikev2_id || ke.len != j->choice.dh->public_len) {
        uint8_t group[2];
        uint8_t inner_buf[32];
        struct ikev2_builder b;
        size_t len = 0;
        ikev2_put16(group, j->choice.dh->ikev2_id);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey with a KE for group %u, we want %s: INVALID_KE_PAYLOAD",
                     ke.group, j->choice.dh->name);
        ikev2_builder_init(&b, inner_buf, sizeof(inner_buf));
        ikev2_build_notify(&b, IKEV2_PROTOCOL_NONE, NULL, 0, IKEV2_N_INVALID_KE_PAYLOAD, group, 2);
        if (ikev2_builder_finish(&b, &len) >= 0)
            (void)ikev2_send_encrypted(sa, exchange, true, mid, inner_buf, len, IKEV2_PAYLOAD_NOTIFY);
        goto fail;
    }

    j->new_ispi = ikev2_get64(chosen->spi);
    do {
        if (crypto_random(&j->new_rspi, sizeof(j->new_rspi)) < 0)
            goto fail_temp;
    } while (j->new_rspi == 0 || hashmap_get(sa->ike->sas, &j->new_rspi, sizeof(j->new_rspi)));
    if (crypto_random(j->nr, sizeof(j->nr)) < 0)
        goto fail_temp;
    r = ikev2_ike_rekey_peer_rekeys(sa, ni.data, ni.len, j->nr, sizeof(j->nr));
    if (r < 0)
        goto fail_temp;
    j->collision = r > 0;
    j->sa = sa;
    j->mid = mid;
    j->old_keys = sa->keys;
    memcpy(j->peer_ke, ke.data, ke.len);
    j->peer_ke_len = ke.len;
    memcpy(j->ni, ni.data, ni.len);
    j->ni_len = ni.len;
    r = job_submit(ike_jobs(sa->ike), rekey_work, rekey_done, j, &sa->job);
    if (r < 0) {
        if (j->collision)
            ikev2_ike_rekey_collision_failed(sa);
        goto fail_temp;
    }
    sa->job_sa = &j->sa;
    sa->response_pending = true;
    free(offered);
    return;

fail_temp:
    ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_TEMPORARY_FAILURE);
fail:
    free(offered);
    rekey_job_free(j);
}
