/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKE SA rekeying started by vpnd (RFC 7296 1.3.2, 2.8, 2.18) a little
 * before the IKE SA's lifetime (ike-proposal lifetime-seconds) ends: 5 to
 * 10 % earlier, randomised, so that many SAs made at once do not all rekey
 * at once.
 *
 *   CREATE_CHILD_SA { SA(IKE: our new SPI, the suite in use), Ni, KEi }
 *
 * goes out through the request queue (ikev2-request.c: retransmitted,
 * given up with the session when the client never answers). Our key pair
 * and later the shared secret and the new keys are computed on a worker.
 * vpnd is the original initiator of the new IKE SA (2.18): our SPI is SPIi,
 * SKEYSEED = prf(SK_d(old), g^ir | Ni | Nr) with Ni ours. The new SA takes
 * over CHILD SA, session, NAT state, DPD and timers; then vpnd deletes the
 * old IKE SA over the old SA.
 *
 * Answers: INVALID_KE_PAYLOAD names the group the client wants (tried
 * again with it when the proposal allows it); TEMPORARY_FAILURE (the
 * client is busy, 2.25) is tried again later; NO_PROPOSAL_CHOSEN and
 * anything else leave the IKE SA as it is, logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dh-step.h"
#include "ikev2-initiator.h"
#include "ikev2-wire.h"
#include "jobs.h"

#define IKE_REKEY_NONCE_LEN 32
/* A rekey that cannot start now (another exchange of ours in flight) or
 * that the client answered TEMPORARY_FAILURE is tried again after this. */
#define IKE_REKEY_RETRY_USEC (5ULL * 1000000ULL)
/* INVALID_KE_PAYLOAD retries before giving up (a client that keeps asking
 * for other groups). */
#define IKE_REKEY_MAX_ATTEMPTS 3

struct ike_rekey_job;

struct ikev2_ike_rekey {
    struct ikev2_ike_sa *sa;
    uint64_t our_spi;                   /* SPIi of the new SA */
    uint64_t peer_spi;                  /* SPIr, from the answer */
    struct ikev2_ike_choice choice;     /* the suite in use, maybe another group */
    struct crypto_dh *dh_key;           /* our key pair, between the two jobs */
    uint8_t our_ke[CRYPTO_DH_PUBLIC_MAX];  size_t our_ke_len;
    uint8_t ni[IKE_REKEY_NONCE_LEN];
    uint8_t nr[IKEV2_NONCE_MAX];  size_t nr_len;
    unsigned attempts;
    enum { REKEY_KEYGEN, REKEY_SENT, REKEY_COMPUTING } phase;
    struct job *job;
    struct ike_rekey_job *job_data;
    /* The client's rekey of the same IKE SA meanwhile (RFC 7296 2.8.2). */
    bool collided;
    uint8_t their_ni[IKEV2_NONCE_MAX];  size_t their_ni_len;
    uint8_t their_nr[IKEV2_NONCE_MAX];  size_t their_nr_len;
    uint64_t their_spi;                 /* our SPI of the client's new SA, 0 until it is made */
    bool decided, ours_redundant;
    bool keys_ready;                    /* our keys, waiting for the client's new SA */
    struct crypto_ike_keys keys;
};

struct ike_rekey_job {
    struct ikev2_ike_rekey *rk;         /* NULL once the rekey is abandoned */
    struct dh_step step;                /* the second step also derives the keys */
    /* For the second job. */
    struct crypto_ike_suite suite;
    struct crypto_ike_keys old_keys;
    uint8_t ni[IKE_REKEY_NONCE_LEN];
    uint8_t nr[IKEV2_NONCE_MAX];  size_t nr_len;
    uint8_t spi_i[8], spi_r[8];
    struct crypto_ike_keys keys;
    const char *failed_step;            /* key derivation, after the DH step */
};

static void job_data_free(struct ike_rekey_job *j)
{
    dh_step_wipe(&j->step);
    crypto_ike_keys_wipe(&j->old_keys);
    crypto_ike_keys_wipe(&j->keys);
    crypto_wipe(j, sizeof(*j));
    free(j);
}

static void rekey_free(struct ikev2_ike_sa *sa, struct ikev2_ike_rekey *rk)
{
    if (!rk)
        return;
    if (rk->job) {
        rk->job_data->rk = NULL;
        job_cancel(rk->job);
    }
    crypto_dh_free(rk->dh_key);
    crypto_ike_keys_wipe(&rk->keys);
    struct ikev2_initiator *in = sa->initiator;
    if (in) {
        if (in->ike_rekey == rk)
            in->ike_rekey = NULL;
        /* A request may still name it as its handler's data. */
        if (in->outstanding && in->outstanding->userdata == rk)
            in->outstanding->done = NULL;
        for (struct ikev2_request *r = in->queue; r; r = r->next)
            if (r->userdata == rk)
                r->done = NULL;
    }
    crypto_wipe(rk, sizeof(*rk));
    free(rk);
}

static void rekey_log(struct ikev2_ike_sa *sa, const struct ikev2_ike_rekey *rk, const char *why)
{
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey by vpnd (group %s) failed: %s",
                    rk->choice.dh ? rk->choice.dh->name : "?", why);
}

static void arm(struct ikev2_ike_sa *sa, uint64_t after_usec);

static int submit(struct ikev2_ike_rekey *rk, struct ike_rekey_job *j);

/* Forgets our rekey. When it collided with the client's, whose new SA
 * exists but owns nothing yet, that one survives and takes over. */
static void rekey_drop(struct ikev2_ike_sa *sa, struct ikev2_ike_rekey *rk)
{
    struct ikev2_ike_sa *theirs = NULL;
    if (rk->collided && rk->their_spi)
        theirs = hashmap_get(sa->ike->sas, &rk->their_spi, sizeof(rk->their_spi));
    rekey_free(sa, rk);
    if (!theirs || theirs == sa || theirs->state != IKEV2_SA_ESTABLISHED || !sa->session)
        return;
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey collision: the client's new IKE SA %016llx_i %016llx_r "
                 "survives and takes over", (unsigned long long)theirs->ispi, (unsigned long long)theirs->rspi);
    ikev2_ike_sa_adopt(theirs, sa);
}

static void rekey_failed(struct ikev2_ike_sa *sa, struct ikev2_ike_rekey *rk, const char *why)
{
    rekey_log(sa, rk, why);
    rekey_drop(sa, rk);
}

/* ---- the new SA -------------------------------------------------------------------- */

/* Moves rk from one SA to another (it must outlive a take-over). */
static void rekey_move(struct ikev2_ike_rekey *rk, struct ikev2_ike_sa *to)
{
    struct ikev2_initiator *from = rk->sa->initiator;
    struct ikev2_initiator *in = ikev2_initiator_get(to);
    if (from && from->ike_rekey == rk)
        from->ike_rekey = NULL;
    rk->sa = to;
    if (in)
        in->ike_rekey = rk;
}

/* RFC 7296 2.8.2: of the two new IKE SAs, the one whose exchange used the
 * lowest of the four nonces is redundant. */
static bool ours_is_redundant(const struct ikev2_ike_rekey *rk)
{
    return ikev2_rekey_collision_ours_redundant(rk->ni, sizeof(rk->ni), rk->nr, rk->nr_len, rk->their_ni,
                                                rk->their_ni_len, rk->their_nr, rk->their_nr_len);
}

/* Ours lost a collision: the client's new SA took over from the old one
 * (the client deletes the old one), and our new SA is made only to be
 * deleted by us over itself. */
static void finish_redundant(struct ikev2_ike_rekey *rk, const struct crypto_ike_keys *keys)
{
    struct ikev2_ike_sa *sa = rk->sa;
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    struct ikev2_ike_sa *n = ikev2_ike_sa_rekeyed(sa, true, false, rk->our_spi, rk->peer_spi, &rk->choice, keys,
                                                  rk->ni, sizeof(rk->ni), rk->nr, rk->nr_len);
    if (!n) {
        rekey_failed(sa, rk, "out of memory for the redundant IKE SA of a collision");
        return;
    }
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey collision: ours (%016llx_i %016llx_r) has the lowest "
                 "nonce and is deleted", (unsigned long long)n->ispi, (unsigned long long)n->rspi);
    rekey_free(sa, rk);
    ikev2_ike_sa_terminate(n->ike, n, true, "redundant IKE SA of a rekey collision");
}

static void rekey_finish(struct ikev2_ike_sa *old, struct ikev2_ike_rekey *rk, const struct crypto_ike_keys *keys)
{
    struct log_ctx ctx;
    ikev2_sa_log_ctx(old, &ctx);
    if (hashmap_get(old->ike->sas, &rk->our_spi, sizeof(rk->our_spi))) {
        rekey_failed(old, rk, "our new SPI was taken meanwhile");
        return;
    }
    if (rk->collided && !rk->their_spi) {
        /* The client's exchange is not done yet (its answer goes out under
         * the old SA): we wait for it. */
        if (keys != &rk->keys)
            rk->keys = *keys;
        rk->keys_ready = true;
        return;
    }
    if (rk->collided && rk->ours_redundant) {
        finish_redundant(rk, keys);
        return;
    }
    /* The take-over abandons what the old SA has in flight: not this. */
    if (old->initiator && old->initiator->ike_rekey == rk)
        old->initiator->ike_rekey = NULL;
    struct ikev2_ike_sa *n = ikev2_ike_sa_rekeyed(old, true, true, rk->our_spi, rk->peer_spi, &rk->choice, keys,
                                                  rk->ni, sizeof(rk->ni), rk->nr, rk->nr_len);
    if (!n) {
        rekey_failed(old, rk, "out of memory");
        return;
    }
    char suite[100];
    ikev2_ike_choice_format(&rk->choice, suite, sizeof(suite));
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekeyed by vpnd: %016llx_i %016llx_r, %s (replaces %016llx_i "
                 "%016llx_r)", (unsigned long long)n->ispi, (unsigned long long)n->rspi, suite,
                 (unsigned long long)old->ispi, (unsigned long long)old->rspi);
    if (rk->collided && rk->their_spi)
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey collision: the client's new IKE SA has the lowest "
                     "nonce; the client deletes it");
    rekey_free(old, rk);
    /* The old SA, now empty, is deleted over itself (RFC 7296 2.18; after a
     * collision by us, whose new SA survived: 2.8.2). */
    ikev2_ike_sa_terminate(old->ike, old, true, "replaced by vpnd's rekey");
}

/* Both exchanges of a collision are answered and the survivor is known;
 * when it is the client's and its SA exists, it takes over now, before the
 * client deletes the old SA. */
static void collision_resolve(struct ikev2_ike_rekey *rk)
{
    if (!rk->decided || !rk->ours_redundant || !rk->their_spi)
        return;
    struct ikev2_ike_sa *old = rk->sa;
    struct ikev2_ike_sa *theirs = hashmap_get(old->ike->sas, &rk->their_spi, sizeof(rk->their_spi));
    if (!theirs || theirs == old || theirs->state != IKEV2_SA_ESTABLISHED) {
        rekey_failed(old, rk, "the client's new IKE SA of the collision is gone");
        return;
    }
    struct log_ctx ctx;
    ikev2_sa_log_ctx(old, &ctx);
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey collision: the client's new IKE SA %016llx_i %016llx_r "
                 "survives and takes over", (unsigned long long)theirs->ispi, (unsigned long long)theirs->rspi);
    rekey_move(rk, theirs);
    ikev2_ike_sa_adopt(theirs, old);
    if (rk->keys_ready)
        finish_redundant(rk, &rk->keys);
}

int ikev2_ike_rekey_peer_rekeys(struct ikev2_ike_sa *sa, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                                size_t nr_len)
{
    struct ikev2_ike_rekey *rk = sa->initiator ? sa->initiator->ike_rekey : NULL;
    struct log_ctx ctx;
    if (!rk)
        return 0;
    ikev2_sa_log_ctx(sa, &ctx);
    if (rk->phase == REKEY_KEYGEN) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "the client rekeys the IKE SA first: ours (not sent yet) is dropped");
        rekey_free(sa, rk);
        return 0;
    }
    if (rk->phase == REKEY_COMPUTING || rk->collided || ni_len > sizeof(rk->their_ni) ||
        nr_len > sizeof(rk->their_nr))
        return -EBUSY;
    memcpy(rk->their_ni, ni, ni_len);
    rk->their_ni_len = ni_len;
    memcpy(rk->their_nr, nr, nr_len);
    rk->their_nr_len = nr_len;
    rk->collided = true;
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey collision: the client rekeys too (RFC 7296 2.8.2)");
    return 1;
}

bool ikev2_ike_rekey_collision_pending(struct ikev2_ike_sa *sa)
{
    struct ikev2_ike_rekey *rk = sa->initiator ? sa->initiator->ike_rekey : NULL;
    return rk && rk->collided && !rk->their_spi;
}

void ikev2_ike_rekey_collision_created(struct ikev2_ike_sa *sa, struct ikev2_ike_sa *n)
{
    struct ikev2_ike_rekey *rk = sa->initiator ? sa->initiator->ike_rekey : NULL;
    if (!rk || !rk->collided)
        return;
    rk->their_spi = ikev2_sa_local_spi(n);
    if (rk->keys_ready && !rk->ours_redundant)
        rekey_finish(rk->sa, rk, &rk->keys);
    else
        collision_resolve(rk);
}

void ikev2_ike_rekey_collision_failed(struct ikev2_ike_sa *sa)
{
    struct ikev2_ike_rekey *rk = sa->initiator ? sa->initiator->ike_rekey : NULL;
    if (!rk || rk->their_spi)
        return;
    rk->collided = false;
    if (rk->keys_ready)
        rekey_finish(rk->sa, rk, &rk->keys);
}

/* ---- the jobs ---------------------------------------------------------------------- */

static int rekey_work(void *userdata)
{
    struct ike_rekey_job *j = userdata;
    int r = dh_step_run(&j->step);
    if (r < 0 || !j->step.compute)
        return r;
    r = crypto_ikev2_derive_rekeyed_ike_keys(&j->old_keys, &j->suite, j->step.shared, j->step.shared_len, j->ni,
                                             sizeof(j->ni), j->nr, j->nr_len, j->spi_i, j->spi_r, &j->keys);
    crypto_wipe(j->step.shared, sizeof(j->step.shared));
    if (r < 0)
        j->failed_step = "key derivation";
    return r;
}

static void send_request(struct ikev2_ike_sa *sa, struct ikev2_ike_rekey *rk);

static void rekey_job_done(void *userdata, int result)
{
    struct ike_rekey_job *j = userdata;
    struct ikev2_ike_rekey *rk = j->rk;
    if (!rk) {
        job_data_free(j);
        return;
    }
    struct ikev2_ike_sa *sa = rk->sa;
    rk->job = NULL;
    rk->job_data = NULL;
    if (result < 0) {
        char why[96];
        if (j->failed_step)
            snprintf(why, sizeof(why), "%s: %s", j->failed_step, strerror(-result));
        else
            dh_step_describe_failure(&j->step, result, why, sizeof(why));
        job_data_free(j);
        rekey_failed(sa, rk, why);
        return;
    }
    if (!j->step.compute) {
        dh_step_take_keypair(&j->step, &rk->dh_key, rk->our_ke, &rk->our_ke_len);
        job_data_free(j);
        send_request(sa, rk);
        return;
    }
    rekey_finish(sa, rk, &j->keys);
    job_data_free(j);
}

static int submit(struct ikev2_ike_rekey *rk, struct ike_rekey_job *j)
{
    j->rk = rk;
    int r = job_submit(ike_jobs(rk->sa->ike), rekey_work, rekey_job_done, j, &rk->job);
    if (r < 0) {
        job_data_free(j);
        return r;
    }
    rk->job_data = j;
    return 0;
}

/* Our key pair for rk->choice.dh, then the request. */
static int start_keygen(struct ikev2_ike_rekey *rk)
{
    struct ike_rekey_job *j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    dh_step_init_keygen(&j->step, rk->choice.dh);
    crypto_dh_free(rk->dh_key);
    rk->dh_key = NULL;
    return submit(rk, j);
}

/* ---- the exchange ------------------------------------------------------------------ */

static void on_response(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner, void *userdata);

static void send_request(struct ikev2_ike_sa *sa, struct ikev2_ike_rekey *rk)
{
    uint8_t out[IKEV2_INNER_MAX];
    struct ikev2_builder b;
    struct ikev2_transform tr[4];
    size_t len = 0;
    struct ikev2_proposal pr = { .number = 1, .protocol = IKEV2_PROTOCOL_IKE, .spi_size = 8 };
    ikev2_put64(pr.spi, rk->our_spi);
    pr.n_transforms = ikev2_ike_choice_transforms(&rk->choice, tr);
    ikev2_builder_init(&b, out, sizeof(out));
    ikev2_build_sa_proposal(&b, &pr, tr);
    ikev2_build_nonce(&b, rk->ni, sizeof(rk->ni));
    ikev2_build_ke(&b, rk->choice.dh->ikev2_id, rk->our_ke, rk->our_ke_len);
    int r = ikev2_builder_finish(&b, &len);
    rk->phase = REKEY_SENT;
    if (r >= 0)
        r = ikev2_request_queue(sa, IKEV2_REQUEST_PLAIN, "IKE_SA rekey", IKEV2_EXCHANGE_CREATE_CHILD_SA, out, len,
                                ikev2_builder_first_type(&b), on_response, rk);
    if (r < 0) {
        char why[96];
        snprintf(why, sizeof(why), "cannot send the request: %s", strerror(-r));
        rekey_failed(sa, rk, why);
    }
}

/* The group of an INVALID_KE_PAYLOAD, when our proposal allows it. */
static const struct crypto_dh_group *wanted_group(const struct ikev2_ike_rekey *rk, const struct ikev2_notify *n)
{
    if (n->len != 2)
        return NULL;
    uint16_t id = ikev2_get16(n->data);
    const struct config_ike_proposal *conf = rk->choice.config;
    for (size_t i = 0; conf && i < conf->n_dh_groups; i++)
        if (conf->dh_groups[i]->ikev2_id == id)
            return crypto_dh_group_find(id);
    return NULL;
}

static void reject_debug(const char *reason, void *userdata)
{
    log_debug_ctx(userdata, CONFIG_SUBSYS_IKEV2, 1, "%s", reason);
}

static void on_response(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner, void *userdata)
{
    struct ikev2_ike_rekey *rk = userdata;
    struct ikev2_parse_status st;
    struct log_ctx ctx;
    char why[160];
    if (!inner) {
        rekey_free(sa, rk);             /* the SA is going away */
        return;
    }
    ikev2_sa_log_ctx(sa, &ctx);

    /* An error Notify (types below 16384) ends or restarts the exchange. */
    for (size_t i = 0; i < inner->n; i++) {
        struct ikev2_notify n;
        if (inner->p[i].type != IKEV2_PAYLOAD_NOTIFY || ikev2_notify_decode(&inner->p[i], &n, &st) < 0 ||
            n.type >= 16384)
            continue;
        const char *name = ikev2_notify_name(n.type) ? ikev2_notify_name(n.type) : "error";
        if (n.type == IKEV2_N_INVALID_KE_PAYLOAD) {
            const struct crypto_dh_group *g = wanted_group(rk, &n);
            if (!g || g == rk->choice.dh || ++rk->attempts >= IKE_REKEY_MAX_ATTEMPTS) {
                snprintf(why, sizeof(why), "INVALID_KE_PAYLOAD asking for group %u, not one we can use",
                         n.len == 2 ? ikev2_get16(n.data) : 0);
                rekey_failed(sa, rk, why);
                return;
            }
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey: the client wants group %s instead of %s: "
                         "trying again", g->name, rk->choice.dh->name);
            rk->choice.dh = g;
            rk->phase = REKEY_KEYGEN;
            int r = start_keygen(rk);
            if (r < 0) {
                snprintf(why, sizeof(why), "cannot start Diffie-Hellman: %s", strerror(-r));
                rekey_failed(sa, rk, why);
            }
            return;
        }
        if (n.type == IKEV2_N_TEMPORARY_FAILURE) {
            rekey_log(sa, rk, "TEMPORARY_FAILURE (the client is busy): trying again later");
            bool collided = rk->collided && rk->their_spi;
            rekey_drop(sa, rk);
            if (!collided)              /* else the client's new SA replaced this one */
                arm(sa, IKE_REKEY_RETRY_USEC);
            return;
        }
        snprintf(why, sizeof(why), "the client answered %s; the IKE SA stays as it is", name);
        rekey_failed(sa, rk, why);
        return;
    }

    struct ikev2_sa *answer = malloc(sizeof(*answer));
    struct ikev2_ke ke;
    struct ikev2_nonce nr;
    struct ikev2_ike_choice chosen;
    const struct config_ike_proposal *conf[1] = { rk->choice.config };
    const char *bad = NULL;
    if (!answer)
        bad = "out of memory";
    else if (!ikev2_payload_find(inner, IKEV2_PAYLOAD_SA) || !ikev2_payload_find(inner, IKEV2_PAYLOAD_KE) ||
             !ikev2_payload_find(inner, IKEV2_PAYLOAD_NONCE) ||
             ikev2_sa_decode(ikev2_payload_find(inner, IKEV2_PAYLOAD_SA), answer, &st) < 0 ||
             ikev2_ke_decode(ikev2_payload_find(inner, IKEV2_PAYLOAD_KE), &ke, &st) < 0 ||
             ikev2_nonce_decode(ikev2_payload_find(inner, IKEV2_PAYLOAD_NONCE), &nr, &st) < 0)
        bad = "malformed answer (SA, KEr and Nr expected)";
    else if (answer->n_proposals != 1 || answer->proposals[0].protocol != IKEV2_PROTOCOL_IKE ||
             answer->proposals[0].spi_size != 8 || ikev2_get64(answer->proposals[0].spi) == 0)
        bad = "the answer's SA is not one IKE proposal with an 8-byte SPI";
    else if (ikev2_choose_ike(answer, conf, 1, &chosen, reject_debug, &ctx) < 0 ||
             chosen.encr != rk->choice.encr || chosen.integ != rk->choice.integ || chosen.prf != rk->choice.prf ||
             chosen.dh != rk->choice.dh || chosen.encr_key_bits != rk->choice.encr_key_bits)
        bad = "the answer's transforms are not the ones we proposed";
    else if (ke.group != rk->choice.dh->ikev2_id || ke.len != rk->choice.dh->public_len)
        bad = "KEr is not for the group we proposed";
    else if (ikev2_get64(answer->proposals[0].spi) == rk->our_spi)
        bad = "the client's new SPI equals ours";
    if (bad) {
        free(answer);
        rekey_failed(sa, rk, bad);
        return;
    }
    rk->peer_spi = ikev2_get64(answer->proposals[0].spi);
    free(answer);
    memcpy(rk->nr, nr.data, nr.len);
    rk->nr_len = nr.len;

    struct ike_rekey_job *j = calloc(1, sizeof(*j));
    if (!j) {
        rekey_failed(sa, rk, "out of memory");
        return;
    }
    if (dh_step_init_compute(&j->step, rk->choice.dh, &rk->dh_key, ke.data, ke.len) < 0) {
        job_data_free(j);
        rekey_failed(sa, rk, "the answer's KE is too long");
        return;
    }
    j->suite = (struct crypto_ike_suite){ rk->choice.encr, rk->choice.integ, rk->choice.prf, rk->choice.dh };
    j->old_keys = sa->keys;
    memcpy(j->ni, rk->ni, sizeof(rk->ni));
    memcpy(j->nr, rk->nr, rk->nr_len);
    j->nr_len = rk->nr_len;
    ikev2_put64(j->spi_i, rk->our_spi);         /* ours first: we are the original initiator */
    ikev2_put64(j->spi_r, rk->peer_spi);
    rk->phase = REKEY_COMPUTING;
    int r = submit(rk, j);
    if (r < 0) {
        snprintf(why, sizeof(why), "cannot start Diffie-Hellman: %s", strerror(-r));
        rekey_failed(sa, rk, why);
        return;
    }
    if (rk->collided) {
        /* All four nonces are known: the survivor is chosen now. */
        rk->decided = true;
        rk->ours_redundant = ours_is_redundant(rk);
        collision_resolve(rk);
    }
}

/* ---- starting ---------------------------------------------------------------------- */

static void start(struct ikev2_ike_sa *sa)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in || in->deleting || in->ike_rekey || sa->state != IKEV2_SA_ESTABLISHED)
        return;
    /* Not beside our CHILD SA rekey or while the client's own IKE SA
     * rekey is being worked on: a little later. */
    if (in->rekey || sa->job || sa->response_pending) {
        arm(sa, IKE_REKEY_RETRY_USEC);
        return;
    }
    struct ikev2_ike_rekey *rk = calloc(1, sizeof(*rk));
    if (!rk)
        goto fail;
    rk->sa = sa;
    rk->choice = sa->choice;
    do {
        if (crypto_random(&rk->our_spi, sizeof(rk->our_spi)) < 0)
            goto fail;
    } while (rk->our_spi == 0 || hashmap_get(sa->ike->sas, &rk->our_spi, sizeof(rk->our_spi)));
    if (crypto_random(rk->ni, sizeof(rk->ni)) < 0 || start_keygen(rk) < 0)
        goto fail;
    in->ike_rekey = rk;
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA %016llx_i %016llx_r reaches its lifetime (%u s): rekeying",
                 (unsigned long long)sa->ispi, (unsigned long long)sa->rspi,
                 sa->choice.config ? sa->choice.config->lifetime_seconds : 0);
    return;
fail:
    free(rk);
    arm(sa, IKE_REKEY_RETRY_USEC);
}

static void on_timer(struct queued_timer *t, uint64_t now, void *userdata)
{
    (void)t;
    (void)now;
    start(userdata);
}

static void arm(struct ikev2_ike_sa *sa, uint64_t after_usec)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in)
        return;
    uint64_t when = monotonic_usec() + after_usec;
    int r = queued_timer_arm(sa->ike->timers, &in->ike_rekey_timer, when, on_timer, sa);
    if (r < 0) {
        struct log_ctx ctx;
        ikev2_sa_log_ctx(sa, &ctx);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot time the IKE_SA rekey: %s", strerror(-r));
    }
}

void ikev2_ike_rekey_schedule(struct ikev2_ike_sa *sa)
{
    if (!sa->choice.config || !sa->choice.config->lifetime_seconds)
        return;
    uint16_t spread = 0;
    (void)crypto_random(&spread, sizeof(spread));
    /* 5.0 to 10.0 % before the end, in steps of 0.1 %. */
    uint64_t permille_early = 50 + spread % 51;
    uint64_t life = (uint64_t)sa->choice.config->lifetime_seconds * 1000000ULL;
    arm(sa, life - life / 1000 * permille_early);
}

void ikev2_ike_rekey_abandon(struct ikev2_ike_sa *sa)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in)
        return;
    queued_timer_disarm(sa->ike->timers, &in->ike_rekey_timer);
    rekey_free(sa, in->ike_rekey);
}

void ikev2_ike_rekey_old_deleted(struct ikev2_ike_sa *sa)
{
    struct ikev2_ike_rekey *rk = sa->initiator ? sa->initiator->ike_rekey : NULL;
    if (!rk || !rk->collided || !rk->their_spi)
        return;
    struct log_ctx ctx;
    ikev2_sa_log_ctx(sa, &ctx);
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "IKE_SA rekey collision: the client deleted the IKE SA both rekeyed: "
                 "ours is dropped");
    rekey_drop(sa, rk);
}
