/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CHILD SA rekeying started by vpnd (RFC 7296 1.3.3, 2.8) when the kernel
 * says one of the CHILD SA's SAs reached its soft lifetime, and what the
 * kernel's hard expiry leaves to clean up.
 *
 * The rekey: our new inbound SPI is allocated first (a larval SA), then
 * CREATE_CHILD_SA { N(REKEY_SA) SA Ni [KEi] TSi TSr } goes out through the
 * request queue (with KEi when the group policy asks for PFS: the key pair
 * and later the shared secret are computed on a worker). On the answer the
 * new pair goes in beside the old one under the same reqid (the policies
 * lead to it already; the kernel sends with the newer outbound SA while the
 * old inbound SA still takes what is in flight), and then vpnd DELETEs the
 * old pair; its SAs leave the kernel when the DELETE is answered.
 *
 * Collisions (2.8.1): when the client rekeys the same pair meanwhile, both
 * exchanges complete; the SA created with the lowest of the four nonces is
 * redundant and is deleted by whoever created it; the winner deletes the
 * pair both replaced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dh-step.h"
#include "ikev2-initiator.h"
#include "ikev2-wire.h"
#include "jobs.h"
#include "xfrm-monitor.h"

#define IKEV2_REKEY_NONCE_LEN 32
/* A rekey that cannot start now (the previous one unfinished, the peer
 * busy) is tried again after this long; the hard lifetime is further away. */
#define IKEV2_REKEY_RETRY_USEC (2ULL * 1000000ULL)

struct rekey_dh_job;

struct ikev2_child_rekey {
    struct ikev2_ike_sa *sa;
    uint32_t old_spi_in, old_spi_out;   /* the pair being replaced */
    struct child_sa next;               /* the new pair (spi_in allocated) */
    struct ikev2_esp_choice esp;        /* the suite proposed: the one in use */
    const struct crypto_dh_group *dh;   /* PFS group, NULL without */
    struct crypto_dh *dh_key;           /* our key pair, between the two jobs */
    uint8_t our_ke[CRYPTO_DH_PUBLIC_MAX];  size_t our_ke_len;
    uint8_t ni[IKEV2_REKEY_NONCE_LEN];
    uint8_t nr[IKEV2_NONCE_MAX];  size_t nr_len;
    struct job *job;
    struct rekey_dh_job *job_data;
    bool sent;
    /* The client's rekey of the same pair, answered meanwhile. */
    bool collided;
    uint8_t their_ni[IKEV2_NONCE_MAX];  size_t their_ni_len;
    uint8_t their_nr[IKEV2_NONCE_MAX];  size_t their_nr_len;
    uint32_t their_spi_in;              /* our inbound SPI of the pair the client created */
};

struct rekey_dh_job {
    struct ikev2_child_rekey *rk;       /* NULL once the rekey is abandoned */
    struct dh_step step;
};

static void rekey_log_ctx(struct ikev2_ike_sa *sa, struct log_ctx *ctx)
{
    ikev2_sa_log_ctx(sa, ctx);
}

static void dh_job_free(struct rekey_dh_job *j)
{
    dh_step_wipe(&j->step);
    free(j);
}

/* Forgets the rekey; the larval or installed new pair leaves the kernel
 * unless keep_next (it was taken over). */
static void rekey_free(struct ikev2_ike_sa *sa, struct ikev2_child_rekey *rk, bool keep_next)
{
    if (!rk)
        return;
    if (rk->job) {
        rk->job_data->rk = NULL;
        job_cancel(rk->job);
    }
    if (!keep_next && (rk->next.spi_allocated || rk->next.installed))
        (void)child_sa_remove_sas(ike_xfrm(sa->ike), &rk->next);
    crypto_dh_free(rk->dh_key);
    if (sa->initiator && sa->initiator->rekey == rk)
        sa->initiator->rekey = NULL;
    /* A request may still name it as its handler's data. */
    if (sa->initiator) {
        struct ikev2_request *r = sa->initiator->outstanding;
        if (r && r->userdata == rk)
            r->done = NULL;
        for (r = sa->initiator->queue; r; r = r->next)
            if (r->userdata == rk)
                r->done = NULL;
    }
    crypto_wipe(rk, sizeof(*rk));
    free(rk);
}

/* Keeps a copy of c as the redundant pair of a collision until its DELETE.
 * Out of memory, c's SAs go at once instead (the DELETE still tells the
 * peer; its answer then finds nothing left to remove). */
static void keep_redundant(struct ikev2_ike_sa *sa, struct ikev2_initiator *in, const struct child_sa *c)
{
    if (!in->redundant)
        in->redundant = malloc(sizeof(*in->redundant));
    if (!in->redundant) {
        struct child_sa tmp = *c;
        (void)child_sa_remove_sas(ike_xfrm(sa->ike), &tmp);
        return;
    }
    *in->redundant = *c;
}

static void forget_redundant(struct ikev2_initiator *in)
{
    free(in->redundant);
    in->redundant = NULL;
}

void ikev2_child_rekey_abandon(struct ikev2_ike_sa *sa)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in)
        return;
    ikev2_child_drop_deferred_outbound(sa);
    rekey_free(sa, in->rekey, false);
    in->rekey_retry = sd_event_source_disable_unref(in->rekey_retry);
    if (in->redundant) {
        (void)child_sa_remove_sas(ike_xfrm(sa->ike), in->redundant);
        forget_redundant(in);
    }
}

/* ---- responding: the deferred outbound SA ------------------------------------------- */

/* How long the new outbound SA waits for the client's DELETE of the old pair. */
#define IKEV2_OUTBOUND_DEFER_USEC (5ULL * 1000000ULL)

void ikev2_child_drop_deferred_outbound(struct ikev2_ike_sa *sa)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in)
        return;
    in->outbound_timer = sd_event_source_disable_unref(in->outbound_timer);
    if (in->pending) {
        crypto_child_keys_wipe(&in->pending->keys);
        free(in->pending);
        in->pending = NULL;
    }
}

void ikev2_child_install_deferred_outbound(struct ikev2_ike_sa *sa)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in || !in->pending)
        return;
    struct ikev2_deferred_outbound *d = in->pending;
    struct log_ctx ctx;
    char err[300] = "";
    struct child_sa_params p = {
        .keys = &d->keys,
        .lifetime_seconds = d->lifetime_seconds,
        .lifetime_kilobytes = d->lifetime_kilobytes,
    };
    rekey_log_ctx(sa, &ctx);
    int r = child_sa_install_rekeyed_outbound(ike_xfrm(sa->ike), &d->child, &p, err, sizeof(err));
    if (r < 0)
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "outbound SA 0x%08x of the rekeyed CHILD_SA: %s",
                      d->child.spi_out, err);
    else
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "outbound SA 0x%08x of the rekeyed CHILD_SA installed",
                      d->child.spi_out);
    ikev2_child_drop_deferred_outbound(sa);
}

static int on_outbound_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    ikev2_child_install_deferred_outbound(userdata);
    return 0;
}

int ikev2_child_defer_outbound(struct ikev2_ike_sa *sa, const struct child_sa *c, const struct child_sa_params *p,
                               char *err, size_t err_len)
{
    struct ikev2_initiator *in = ikev2_initiator_get(sa);
    if (in && in->pending)
        ikev2_child_install_deferred_outbound(sa);      /* an earlier one: in now */
    struct ikev2_deferred_outbound *d = in ? calloc(1, sizeof(*d)) : NULL;
    if (!d || sd_event_add_time_relative(sa->ike->event, &in->outbound_timer, CLOCK_MONOTONIC,
                                         IKEV2_OUTBOUND_DEFER_USEC, 0, on_outbound_timer, sa) < 0) {
        free(d);
        struct child_sa tmp = *c;
        return child_sa_install_rekeyed_outbound(ike_xfrm(sa->ike), &tmp, p, err, err_len);
    }
    d->child = *c;
    d->keys = *p->keys;
    d->lifetime_seconds = p->lifetime_seconds;
    d->lifetime_kilobytes = p->lifetime_kilobytes;
    in->pending = d;
    return 0;
}

/* ---- deleting a pair we replaced ---------------------------------------------------- */

static void log_removed(struct ikev2_ike_sa *sa, const char *what, const struct child_sa *c, int r)
{
    struct log_ctx ctx;
    rekey_log_ctx(sa, &ctx);
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "%s: spi in 0x%08x out 0x%08x%s%s", what, c->spi_in, c->spi_out,
                 r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
}

static void old_deleted(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner, void *userdata)
{
    uint32_t spi = (uint32_t)(uintptr_t)userdata;
    /* Without an answer the SA is going away and takes the pair with it. */
    if (!inner || !sa->has_old_child || sa->old_child->spi_in != spi)
        return;
    int r = child_sa_remove_sas(ike_xfrm(sa->ike), sa->old_child);
    log_removed(sa, "rekeyed CHILD_SA deleted", sa->old_child, r);
    ikev2_old_child_gone(sa);
}

int ikev2_keep_old_child(struct ikev2_ike_sa *sa)
{
    struct child_sa *old = sa->old_child ? sa->old_child : malloc(sizeof(*old));
    if (!old)
        return -ENOMEM;
    *old = sa->child;
    old->route_installed = false;       /* the route stays with the tunnel */
    sa->old_child = old;
    sa->has_old_child = true;
    return 0;
}

void ikev2_old_child_gone(struct ikev2_ike_sa *sa)
{
    free(sa->old_child);
    sa->old_child = NULL;
    sa->has_old_child = false;
}

static int queue_delete(struct ikev2_ike_sa *sa, uint32_t spi_in, ikev2_response_fn done)
{
    uint8_t inner[32], spi[4];
    struct ikev2_builder b;
    size_t len = 0;
    ikev2_put32(spi, spi_in);
    ikev2_builder_init(&b, inner, sizeof(inner));
    ikev2_build_delete(&b, IKEV2_PROTOCOL_ESP, 4, spi, 1);
    int r = ikev2_builder_finish(&b, &len);
    if (r >= 0)
        r = ikev2_request_queue(sa, IKEV2_REQUEST_PLAIN, "CHILD_SA DELETE", IKEV2_EXCHANGE_INFORMATIONAL, inner,
                                len, IKEV2_PAYLOAD_DELETE, done, (void *)(uintptr_t)spi_in);
    return r;
}

int ikev2_child_delete_old(struct ikev2_ike_sa *sa, const struct child_sa *old)
{
    int r = queue_delete(sa, old->spi_in, old_deleted);
    if (r < 0) {
        struct log_ctx ctx;
        rekey_log_ctx(sa, &ctx);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot delete the rekeyed CHILD_SA spi in 0x%08x: %s",
                        old->spi_in, strerror(-r));
    }
    return r;
}

static void redundant_deleted(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner, void *userdata)
{
    struct ikev2_initiator *in = sa->initiator;
    uint32_t spi = (uint32_t)(uintptr_t)userdata;
    if (!inner || !in || !in->redundant || in->redundant->spi_in != spi)
        return;
    int r = child_sa_remove_sas(ike_xfrm(sa->ike), in->redundant);
    log_removed(sa, "redundant CHILD_SA of a rekey collision deleted", in->redundant, r);
    forget_redundant(in);
}

bool ikev2_child_rekey_peer_deleted(struct ikev2_ike_sa *sa, uint32_t their_spi, uint32_t *our_spi)
{
    struct ikev2_initiator *in = sa->initiator;
    if (!in || !in->redundant || in->redundant->spi_out != their_spi)
        return false;
    *our_spi = in->redundant->spi_in;
    int r = child_sa_remove_sas(ike_xfrm(sa->ike), in->redundant);
    log_removed(sa, "redundant CHILD_SA of a rekey collision deleted by the client", in->redundant, r);
    forget_redundant(in);
    return true;
}

/* ---- the exchange -------------------------------------------------------------------- */

static void rekey_failed(struct ikev2_ike_sa *sa, struct ikev2_child_rekey *rk, const char *why)
{
    struct log_ctx ctx;
    rekey_log_ctx(sa, &ctx);
    log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA rekey of spi in 0x%08x failed: %s", rk->old_spi_in, why);
    rekey_free(sa, rk, false);
}

/* Whether our exchange produced the lowest of the four nonces. */
static bool ours_is_redundant(const struct ikev2_child_rekey *rk)
{
    return ikev2_rekey_collision_ours_redundant(rk->ni, sizeof(rk->ni), rk->nr, rk->nr_len, rk->their_ni,
                                                rk->their_ni_len, rk->their_nr, rk->their_nr_len);
}

/* The keys are known: the new pair goes in, the old one is deleted. */
static void rekey_finish(struct ikev2_ike_sa *sa, struct ikev2_child_rekey *rk, const uint8_t *shared,
                         size_t shared_len)
{
    struct log_ctx ctx;
    char err[300] = "";
    struct crypto_child_keys keys, ours;
    rekey_log_ctx(sa, &ctx);

    int r = crypto_ikev2_derive_child_keys(&sa->keys, rk->esp.encr, rk->esp.integ, shared, shared_len, rk->ni,
                                           sizeof(rk->ni), rk->nr, rk->nr_len, &keys);
    if (r < 0) {
        snprintf(err, sizeof(err), "cannot derive the ESP keys: %s", strerror(-r));
        goto fail;
    }
    /* We initiated this exchange: i_to_r is what we send (RFC 7296 2.17);
     * child_sa_params wants i_to_r as our inbound direction. */
    ours.i_to_r = keys.r_to_i;
    ours.r_to_i = keys.i_to_r;
    struct child_sa_params params = {
        .keys = &ours,
        .lifetime_seconds = rk->esp.config->lifetime_seconds,
        .lifetime_kilobytes = rk->esp.config->lifetime_kilobytes,
    };
    /* A redundant pair of a collision only receives (the peer may send on
     * it until our DELETE arrives); we never send on it. */
    bool redundant = rk->collided && ours_is_redundant(rk);
    if (redundant)
        r = child_sa_install_rekeyed_inbound(ike_xfrm(sa->ike), &rk->next, &params, err, sizeof(err));
    else
        r = child_sa_install_rekeyed(ike_xfrm(sa->ike), &rk->next, &params, err, sizeof(err));
    crypto_child_keys_wipe(&keys);
    crypto_child_keys_wipe(&ours);
    if (r < 0)
        goto fail;

    char suite[80], pfs[48] = "";
    ikev2_esp_choice_format(&rk->esp, suite, sizeof(suite));
    if (rk->dh)
        snprintf(pfs, sizeof(pfs), ", PFS %s", rk->dh->name);
    struct ikev2_initiator *in = sa->initiator;

    if (rk->collided) {
        if (redundant) {
            /* The client's pair (now sa->child) stays; ours goes, and the
             * client deletes the pair both replaced. */
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA rekey collision: ours (spi in 0x%08x out 0x%08x) has "
                         "the lowest nonce and is deleted", rk->next.spi_in, rk->next.spi_out);
        } else if (sa->has_child && sa->child.spi_in == rk->their_spi_in) {
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA rekey collision: the client's (spi in 0x%08x out "
                         "0x%08x) has the lowest nonce; ours is kept", sa->child.spi_in, sa->child.spi_out);
        }
        if (in->redundant) {
            (void)child_sa_remove_sas(ike_xfrm(sa->ike), in->redundant);
            forget_redundant(in);
        }
        if (redundant || !sa->has_child || sa->child.spi_in != rk->their_spi_in) {
            keep_redundant(sa, in, &rk->next);
            uint32_t spi = rk->next.spi_in;
            rekey_free(sa, rk, true);
            if (queue_delete(sa, spi, redundant_deleted) < 0)
                log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot delete the redundant CHILD_SA spi in 0x%08x",
                                spi);
            return;
        }
        /* Ours wins: the client's pair waits for the client's DELETE, and
         * we never send on it. */
        ikev2_child_drop_deferred_outbound(sa);
        bool route = sa->child.route_installed;
        struct child_sa theirs = sa->child;
        theirs.route_installed = false;
        keep_redundant(sa, in, &theirs);
        sa->child = rk->next;
        sa->child.route_installed = route;
        sa->esp = rk->esp;
        sa->esp.peer_spi = rk->next.spi_out;
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA rekeyed by vpnd: spi in 0x%08x out 0x%08x, %s%s "
                     "(replaces spi in 0x%08x out 0x%08x)", sa->child.spi_in, sa->child.spi_out, suite, pfs,
                     rk->old_spi_in, rk->old_spi_out);
        rekey_free(sa, rk, true);
        if (sa->has_old_child)
            (void)ikev2_child_delete_old(sa, sa->old_child);
        return;
    }

    if (!sa->has_child || sa->child.spi_in != rk->old_spi_in || sa->has_old_child) {
        /* The pair went meanwhile (deleted by the client): ours replaces
         * nothing and goes again. */
        keep_redundant(sa, in, &rk->next);
        uint32_t spi = rk->next.spi_in;
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA spi in 0x%08x went during its rekey: deleting the new "
                     "spi in 0x%08x", rk->old_spi_in, spi);
        rekey_free(sa, rk, true);
        (void)queue_delete(sa, spi, redundant_deleted);
        return;
    }
    bool route = sa->child.route_installed;    /* the route stays with the tunnel */
    struct child_sa replaced = sa->child;
    bool kept = ikev2_keep_old_child(sa) >= 0;
    if (!kept) {
        /* No memory to keep the old pair for its DELETE: it goes now. */
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "out of memory: rekeyed CHILD_SA spi in 0x%08x removed at once",
                        replaced.spi_in);
        (void)child_sa_remove_sas(ike_xfrm(sa->ike), &replaced);
    }
    sa->child = rk->next;
    sa->child.route_installed = route;
    sa->esp = rk->esp;
    sa->esp.peer_spi = rk->next.spi_out;
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA rekeyed by vpnd: spi in 0x%08x out 0x%08x, %s%s (replaces "
                 "spi in 0x%08x out 0x%08x)", sa->child.spi_in, sa->child.spi_out, suite, pfs, replaced.spi_in,
                 replaced.spi_out);
    rekey_free(sa, rk, true);
    if (kept)
        (void)ikev2_child_delete_old(sa, sa->old_child);
    return;

fail:
    rekey_failed(sa, rk, err);
}

static int dh_work(void *userdata)
{
    struct rekey_dh_job *j = userdata;
    return dh_step_run(&j->step);
}

static void send_request(struct ikev2_ike_sa *sa, struct ikev2_child_rekey *rk);
static void schedule_retry(struct ikev2_ike_sa *sa, uint32_t spi_in);

static void dh_done(void *userdata, int result)
{
    struct rekey_dh_job *j = userdata;
    struct ikev2_child_rekey *rk = j->rk;
    if (!rk) {
        dh_job_free(j);
        return;
    }
    struct ikev2_ike_sa *sa = rk->sa;
    rk->job = NULL;
    rk->job_data = NULL;
    if (result < 0) {
        char why[96];
        dh_step_describe_failure(&j->step, result, why, sizeof(why));
        dh_job_free(j);
        rekey_failed(sa, rk, why);
        return;
    }
    if (!j->step.compute) {
        dh_step_take_keypair(&j->step, &rk->dh_key, rk->our_ke, &rk->our_ke_len);
        dh_job_free(j);
        send_request(sa, rk);
        return;
    }
    rekey_finish(sa, rk, j->step.shared, j->step.shared_len);
    dh_job_free(j);
}

static int submit_dh(struct ikev2_ike_sa *sa, struct ikev2_child_rekey *rk, const uint8_t *peer, size_t peer_len)
{
    struct rekey_dh_job *j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->rk = rk;
    int r = 0;
    if (peer)
        r = dh_step_init_compute(&j->step, rk->dh, &rk->dh_key, peer, peer_len);  /* the job owns the key now */
    else
        dh_step_init_keygen(&j->step, rk->dh);
    if (r >= 0)
        r = job_submit(ike_jobs(sa->ike), dh_work, dh_done, j, &rk->job);
    if (r < 0) {
        dh_job_free(j);
        return r;
    }
    rk->job_data = j;
    return 0;
}

/* The answer's SA must be the one proposal we sent (RFC 7296 3.3.6). */
static bool answer_matches(const struct ikev2_child_rekey *rk, const struct ikev2_sa *answer, uint32_t *peer_spi,
                           char *why, size_t why_len)
{
    if (answer->n_proposals != 1 || answer->proposals[0].protocol != IKEV2_PROTOCOL_ESP ||
        answer->proposals[0].spi_size != 4) {
        snprintf(why, why_len, "the answer's SA is not one ESP proposal with a 4-byte SPI");
        return false;
    }
    const struct ikev2_proposal *p = &answer->proposals[0];
    const struct ikev2_transform *t = ikev2_proposal_transforms(answer, p);
    bool encr = false, integ = !rk->esp.integ, dh = !rk->dh;
    for (size_t i = 0; i < p->n_transforms; i++) {
        bool ok = false;
        switch (t[i].type) {
        case IKEV2_TRANSFORM_ENCR:
            ok = !encr && t[i].id == rk->esp.encr->ikev2_id && t[i].key_length == rk->esp.encr_key_bits;
            encr = true;
            break;
        case IKEV2_TRANSFORM_INTEG:
            ok = rk->esp.integ && t[i].id == rk->esp.integ->ikev2_id;
            integ = true;
            break;
        case IKEV2_TRANSFORM_DH:
            ok = (rk->dh && t[i].id == rk->dh->ikev2_id) || (!rk->dh && t[i].id == IKEV2_DH_NONE);
            dh = true;
            break;
        case IKEV2_TRANSFORM_ESN:
            ok = t[i].id == IKEV2_ESN_NO;
            break;
        default:
            break;
        }
        if (!ok) {
            snprintf(why, why_len, "the answer chose transform type %u ID %u, which we did not propose",
                     t[i].type, t[i].id);
            return false;
        }
    }
    if (!encr || !integ || !dh) {
        snprintf(why, why_len, "the answer's proposal lacks a transform type we proposed");
        return false;
    }
    *peer_spi = ikev2_get32(p->spi);
    return true;
}

static void rekey_answered(struct ikev2_ike_sa *sa, const struct ikev2_payload_list *inner, void *userdata)
{
    struct ikev2_child_rekey *rk = userdata;
    struct ikev2_parse_status st;
    char why[160];
    if (!inner) {
        rekey_free(sa, rk, false);
        return;
    }
    for (size_t i = 0; i < inner->n; i++) {
        struct ikev2_notify n;
        if (inner->p[i].type == IKEV2_PAYLOAD_NOTIFY && ikev2_notify_decode(&inner->p[i], &n, &st) >= 0 &&
            n.type < IKEV2_N_INITIAL_CONTACT) {
            const char *name = ikev2_notify_name(n.type);
            snprintf(why, sizeof(why), "refused by the peer: %s", name ? name : "error notify");
            bool retry = n.type == IKEV2_N_TEMPORARY_FAILURE && sa->has_child && sa->child.spi_in == rk->old_spi_in;
            uint32_t spi = rk->old_spi_in;
            rekey_failed(sa, rk, why);
            if (retry)
                schedule_retry(sa, spi);      /* RFC 7296 2.25: try again a little later */
            return;
        }
    }
    const struct ikev2_payload *p_sa = ikev2_payload_find(inner, IKEV2_PAYLOAD_SA);
    const struct ikev2_payload *p_no = ikev2_payload_find(inner, IKEV2_PAYLOAD_NONCE);
    const struct ikev2_payload *p_ke = ikev2_payload_find(inner, IKEV2_PAYLOAD_KE);
    struct ikev2_sa *answer = malloc(sizeof(*answer));
    struct ikev2_nonce nr;
    struct ikev2_ke ke = { 0 };
    uint32_t peer_spi = 0;
    if (!answer) {
        rekey_failed(sa, rk, "out of memory");
        return;
    }
    if (!p_sa || !p_no || ikev2_sa_decode(p_sa, answer, &st) < 0 || ikev2_nonce_decode(p_no, &nr, &st) < 0) {
        free(answer);
        rekey_failed(sa, rk, "the answer lacks a valid SA or Nonce payload");
        return;
    }
    bool ok = answer_matches(rk, answer, &peer_spi, why, sizeof(why));
    free(answer);
    if (!ok) {
        rekey_failed(sa, rk, why);
        return;
    }
    if (rk->dh && (!p_ke || ikev2_ke_decode(p_ke, &ke, &st) < 0 || ke.group != rk->dh->ikev2_id ||
                   ke.len != rk->dh->public_len)) {
        rekey_failed(sa, rk, "the answer lacks a KE payload of the PFS group");
        return;
    }
    memcpy(rk->nr, nr.data, nr.len);
    rk->nr_len = nr.len;
    rk->next.spi_out = peer_spi;
    if (!rk->dh) {
        rekey_finish(sa, rk, NULL, 0);
        return;
    }
    int r = submit_dh(sa, rk, ke.data, ke.len);
    if (r < 0) {
        snprintf(why, sizeof(why), "cannot start the Diffie-Hellman computation: %s", strerror(-r));
        rekey_failed(sa, rk, why);
    }
}

static void send_request(struct ikev2_ike_sa *sa, struct ikev2_child_rekey *rk)
{
    if (!sa->has_child || sa->child.spi_in != rk->old_spi_in) {
        /* The client rekeyed or deleted the pair while our key pair was made. */
        struct log_ctx ctx;
        rekey_log_ctx(sa, &ctx);
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "CHILD_SA spi in 0x%08x changed before our rekey went out",
                      rk->old_spi_in);
        rekey_free(sa, rk, false);
        return;
    }
    uint8_t *out = malloc(IKEV2_INNER_MAX);
    struct ikev2_builder b;
    size_t len = 0;
    uint8_t old_spi[4];
    struct ikev2_transform tr[5];
    struct ikev2_proposal pr = { .number = 1, .protocol = IKEV2_PROTOCOL_ESP, .spi_size = 4 };
    if (!out) {
        rekey_failed(sa, rk, "out of memory");
        return;
    }
    ikev2_put32(old_spi, rk->old_spi_in);
    ikev2_put32(pr.spi, rk->next.spi_in);
    pr.n_transforms = ikev2_esp_choice_transforms(&rk->esp, tr);
    /* We initiate: TSi is our side (the networks), TSr the client's address. */
    ikev2_builder_init(&b, out, IKEV2_INNER_MAX);
    ikev2_build_notify(&b, IKEV2_PROTOCOL_ESP, old_spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
    ikev2_build_sa_proposal(&b, &pr, tr);
    ikev2_build_nonce(&b, rk->ni, sizeof(rk->ni));
    if (rk->dh)
        ikev2_build_ke(&b, rk->dh->ikev2_id, rk->our_ke, rk->our_ke_len);
    ikev2_build_ts(&b, IKEV2_PAYLOAD_TSI, sa->tsr, sa->n_tsr);
    ikev2_build_ts(&b, IKEV2_PAYLOAD_TSR, sa->tsi, sa->n_tsi);
    int r = ikev2_builder_finish(&b, &len);
    if (r >= 0)
        r = ikev2_request_queue(sa, IKEV2_REQUEST_PLAIN, "CHILD_SA rekey", IKEV2_EXCHANGE_CREATE_CHILD_SA, out, len,
                                ikev2_builder_first_type(&b), rekey_answered, rk);
    free(out);
    if (r < 0) {
        char why[96];
        snprintf(why, sizeof(why), "cannot send the request: %s", strerror(-r));
        rekey_failed(sa, rk, why);
        return;
    }
    rk->sent = true;
}

/* ---- kernel events ------------------------------------------------------------------- */

static int on_rekey_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct ikev2_ike_sa *sa = userdata;
    struct ikev2_initiator *in = sa->initiator;
    uint32_t spi = in->retry_spi;
    in->rekey_retry = sd_event_source_disable_unref(in->rekey_retry);
    ikev2_child_soft_expired(sa, spi, true);
    return 0;
}

static void schedule_retry(struct ikev2_ike_sa *sa, uint32_t spi_in)
{
    struct ikev2_initiator *in = sa->initiator;
    if (in->rekey_retry)
        return;
    in->retry_spi = spi_in;
    int r = sd_event_add_time_relative(sa->ike->event, &in->rekey_retry, CLOCK_MONOTONIC, IKEV2_REKEY_RETRY_USEC, 0,
                                       on_rekey_retry, sa);
    if (r < 0) {
        struct log_ctx ctx;
        rekey_log_ctx(sa, &ctx);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot schedule the CHILD_SA rekey: %s", strerror(-r));
    }
}

void ikev2_child_soft_expired(struct ikev2_ike_sa *sa, uint32_t spi, bool inbound)
{
    struct log_ctx ctx;
    struct ikev2_initiator *in = ikev2_initiator_get(sa);
    rekey_log_ctx(sa, &ctx);
    if (!in || sa->state != IKEV2_SA_ESTABLISHED || in->deleting || !sa->has_child)
        return;
    if (inbound ? spi != sa->child.spi_in : spi != sa->child.spi_out) {
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "soft expiry of SA 0x%08x, which is being replaced: ignored", spi);
        return;
    }
    if (in->rekey) {
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "soft expiry of SA 0x%08x: its rekey is under way", spi);
        return;
    }
    if (sa->has_old_child || in->redundant || sa->response_pending) {
        /* The previous rekey is unfinished: one at a time. */
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "soft expiry of SA 0x%08x: rekey postponed, the previous one "
                      "is unfinished", spi);
        schedule_retry(sa, sa->child.spi_in);
        return;
    }

    struct ikev2_child_rekey *rk = calloc(1, sizeof(*rk));
    char err[300] = "";
    if (!rk) {
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot rekey CHILD_SA spi in 0x%08x: out of memory",
                        sa->child.spi_in);
        return;
    }
    rk->sa = sa;
    rk->old_spi_in = sa->child.spi_in;
    rk->old_spi_out = sa->child.spi_out;
    rk->esp = sa->esp;
    rk->next = sa->child;
    rk->next.spi_in = 0;
    rk->next.spi_out = 0;
    rk->next.installed = false;
    rk->next.spi_allocated = false;
    rk->next.route_installed = false;
    if (sa->policy && sa->policy->pfs) {
        const struct config_esp_proposal *ep = sa->esp.config;
        rk->dh = ep && ep->n_pfs_groups ? crypto_dh_group_find(ep->pfs_groups[0]->ikev2_id) : sa->choice.dh;
    }
    rk->esp.dh = rk->dh;
    in->rekey = rk;
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "%s SA 0x%08x reached its soft lifetime: rekeying CHILD_SA spi in "
                 "0x%08x out 0x%08x%s%s", inbound ? "inbound" : "outbound", spi, sa->child.spi_in, sa->child.spi_out,
                 rk->dh ? " with PFS " : "", rk->dh ? rk->dh->name : "");
    int r = crypto_random(rk->ni, sizeof(rk->ni));
    if (r < 0)
        snprintf(err, sizeof(err), "no random nonce: %s", strerror(-r));
    else
        r = child_sa_allocate_spi(ike_xfrm(sa->ike), &rk->next, err, sizeof(err));
    if (r >= 0 && rk->dh) {
        r = submit_dh(sa, rk, NULL, 0);
        if (r < 0)
            snprintf(err, sizeof(err), "cannot start the Diffie-Hellman computation: %s", strerror(-r));
        else
            return;
    }
    if (r < 0) {
        rekey_failed(sa, rk, err);
        return;
    }
    send_request(sa, rk);
}

void ikev2_child_rekey_collided(struct ikev2_ike_sa *sa, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                                size_t nr_len, const struct child_sa *theirs)
{
    struct ikev2_initiator *in = sa->initiator;
    struct ikev2_child_rekey *rk = in ? in->rekey : NULL;
    if (!rk || !sa->has_old_child || sa->old_child->spi_in != rk->old_spi_in)
        return;
    struct log_ctx ctx;
    rekey_log_ctx(sa, &ctx);
    if (!rk->sent) {
        /* Ours had not gone out yet: the client's rekey is the one. */
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV2, 1, "the client rekeyed CHILD_SA spi in 0x%08x first: ours dropped",
                      rk->old_spi_in);
        rekey_free(sa, rk, false);
        return;
    }
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA rekey collision: the client rekeyed spi in 0x%08x too "
                 "(RFC 7296 2.8.1)", rk->old_spi_in);
    rk->collided = true;
    memcpy(rk->their_ni, ni, ni_len);
    rk->their_ni_len = ni_len;
    memcpy(rk->their_nr, nr, nr_len);
    rk->their_nr_len = nr_len;
    rk->their_spi_in = theirs->spi_in;
}

void ikev2_child_hard_expired(struct ikev2_ike_sa *sa, uint32_t spi, bool inbound)
{
    struct log_ctx ctx;
    struct ikev2_initiator *in = sa->initiator;
    rekey_log_ctx(sa, &ctx);
    if (sa->has_old_child && (inbound ? spi == sa->old_child->spi_in : spi == sa->old_child->spi_out)) {
        int r = child_sa_remove_sas(ike_xfrm(sa->ike), sa->old_child);
        log_removed(sa, "rekeyed CHILD_SA reached its hard lifetime, removed", sa->old_child, r);
        ikev2_old_child_gone(sa);
        return;
    }
    if (in && in->redundant && (inbound ? spi == in->redundant->spi_in : spi == in->redundant->spi_out)) {
        int r = child_sa_remove_sas(ike_xfrm(sa->ike), in->redundant);
        log_removed(sa, "redundant CHILD_SA reached its hard lifetime, removed", in->redundant, r);
        forget_redundant(in);
        return;
    }
    if (!sa->has_child || (inbound ? spi != sa->child.spi_in : spi != sa->child.spi_out))
        return;
    /* The kernel removed one SA of the pair: the rest goes, and with the
     * session's only CHILD SA gone the session ends. */
    log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "%s SA 0x%08x of CHILD_SA spi in 0x%08x out 0x%08x reached its hard "
                    "lifetime without a rekey", inbound ? "inbound" : "outbound", spi, sa->child.spi_in,
                    sa->child.spi_out);
    ikev2_ike_sa_terminate(sa->ike, sa, true, "CHILD_SA expired (hard lifetime)");
}

void ike_sa_expired(struct ike *ike, const struct xfrm_event_expire *e)
{
    uint32_t reqid = e->info.sa.reqid;
    struct session *s = session_find_by_reqid(ike->sessions, reqid);
    struct ikev2_ike_sa *sa = s && s->protocol == SESSION_IKEV2 ? s->owner : NULL;
    if (s && e->hard) {
        /* The kernel removes the SA: its last counters stay with the session. */
        struct session_counters gone = { 0 };
        child_sa_expired_counters(&e->info, &s->local, &gone);
        session_retire_counters(ike->sessions, reqid, &gone);
    }
    if (!sa) {
        log_debug(CONFIG_SUBSYS_IKEV2, 1, "%s expiry of SA 0x%08x reqid 0x%08x: no CHILD SA of ours",
                  e->hard ? "hard" : "soft", e->info.sa.spi, reqid);
        return;
    }
    /* Inbound SAs end at our address. */
    xfrm_address_t local;
    memset(&local, 0, sizeof(local));
    if (sa->local.sa.sa_family == AF_INET)
        memcpy(&local.a4, &sa->local.in.sin_addr, 4);
    else
        memcpy(&local.a6, &sa->local.in6.sin6_addr, 16);
    bool inbound = memcmp(&local, &e->info.sa.dst, sizeof(local)) == 0;
    if (e->hard)
        ikev2_child_hard_expired(sa, e->info.sa.spi, inbound);
    else
        ikev2_child_soft_expired(sa, e->info.sa.spi, inbound);
}
