/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CREATE_CHILD_SA on the responder (RFC 7296 1.3): rekeying the
 * remote-access CHILD SA (1.3.3, 2.8). The client names the SA it rekeys
 * with N(REKEY_SA); vpnd answers with a new SPI and nonce, installs the new
 * pair of SAs beside the old one under the same reqid (the policies already
 * lead to it, and the kernel sends with the newer outbound SA), and removes
 * the old pair when the client deletes it.
 *
 * With a KE payload (PFS, RFC 7296 1.3.1) the proposal must offer its group
 * and the esp-proposal list it as a pfs-group; the Diffie-Hellman runs on a
 * worker and the answer carries KEr. A group policy with pfs = true refuses
 * rekeys without. A rekey that collides with one of vpnd's own
 * (ikev2-child-rekey.c) is answered normally; the redundant SA is chosen
 * by nonces once both are done.
 *
 * IKE SA rekeying is in ikev2-ike-rekey.c. Not yet: additional CHILD SAs
 * (NO_ADDITIONAL_SAS: a remote-access client has one).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2-initiator.h"
#include "ikev2-sa.h"
#include "ikev2-wire.h"
#include "jobs.h"

#define IKEV2_REKEY_NONCE_LEN 32

static void reject_info(const char *reason, void *userdata)
{
    log_info_ctx(userdata, CONFIG_SUBSYS_IKEV2, "%s", reason);
}

/* Installs the client's new pair and answers SA Nr [KEr] TSi TSr. */
static void answer_rekey(struct ikev2_ike_sa *sa, uint32_t mid, const struct ikev2_esp_choice *esp,
                         const uint8_t *ni, size_t ni_len, const uint8_t *shared, size_t shared_len,
                         const uint8_t *our_ke, size_t our_ke_len)
{
    struct log_ctx ctx;
    uint8_t exchange = IKEV2_EXCHANGE_CREATE_CHILD_SA;
    int r;
    ikev2_sa_log_ctx(sa, &ctx);
    /* The new pair: same reqid, endpoints and networks, new SPIs and keys. */
    struct child_sa next = sa->child;
    next.spi_out = esp->peer_spi;
    next.spi_in = 0;
    next.installed = false;
    next.spi_allocated = false;
    /* The route stays with the tunnel (it moves to the new pair below);
     * the endpoints stay those of the policies' templates. */
    uint8_t nr[IKEV2_REKEY_NONCE_LEN];
    char err[300] = "";
    r = crypto_random(nr, sizeof(nr));
    if (r >= 0)
        r = child_sa_allocate_spi(ike_xfrm(sa->ike), &next, err, sizeof(err));
    if (r >= 0) {
        struct crypto_child_keys keys;
        r = crypto_ikev2_derive_child_keys(&sa->keys, esp->encr, esp->integ, shared, shared_len, ni, ni_len, nr,
                                           sizeof(nr), &keys);
        if (r < 0) {
            snprintf(err, sizeof(err), "cannot derive the ESP keys: %s", strerror(-r));
            (void)child_sa_remove_sas(ike_xfrm(sa->ike), &next);
        } else {
            struct child_sa_params params = {
                .keys = &keys,
                .lifetime_seconds = esp->config->lifetime_seconds,
                .lifetime_kilobytes = esp->config->lifetime_kilobytes,
            };
            /* Our new outbound SA waits until the client can receive on
             * the new pair (ikev2-child-rekey.c). */
            r = child_sa_install_rekeyed_inbound(ike_xfrm(sa->ike), &next, &params, err, sizeof(err));
            if (r >= 0)
                r = ikev2_child_defer_outbound(sa, &next, &params, err, sizeof(err));
        }
        crypto_child_keys_wipe(&keys);
    } else if (!err[0])
        snprintf(err, sizeof(err), "no random nonce: %s", strerror(-r));
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA rekey failed: %s", err);
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_TEMPORARY_FAILURE);
        return;
    }

    /* The answer: SA Nr TSi TSr (the selectors stay as they were). */
    uint8_t *out = malloc(IKEV2_INNER_MAX);
    struct ikev2_builder b;
    size_t len = 0;
    struct ikev2_transform tr[4];
    struct ikev2_proposal pr = { .number = esp->number, .protocol = IKEV2_PROTOCOL_ESP, .spi_size = 4 };
    ikev2_put32(pr.spi, next.spi_in);
    pr.n_transforms = ikev2_esp_choice_transforms(esp, tr);
    if (out) {
        ikev2_builder_init(&b, out, IKEV2_INNER_MAX);
        ikev2_build_sa_proposal(&b, &pr, tr);
        ikev2_build_nonce(&b, nr, sizeof(nr));
        if (esp->dh)
            ikev2_build_ke(&b, esp->dh->ikev2_id, our_ke, our_ke_len);
        ikev2_build_ts(&b, IKEV2_PAYLOAD_TSI, sa->tsi, sa->n_tsi);
        ikev2_build_ts(&b, IKEV2_PAYLOAD_TSR, sa->tsr, sa->n_tsr);
    }
    if (!out || ikev2_builder_finish(&b, &len) < 0) {
        free(out);
        ikev2_child_drop_deferred_outbound(sa);
        (void)child_sa_remove_sas(ike_xfrm(sa->ike), &next);
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot build the CREATE_CHILD_SA response");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_TEMPORARY_FAILURE);
        return;
    }
    if (ikev2_keep_old_child(sa) < 0) {
        free(out);
        ikev2_child_drop_deferred_outbound(sa);
        (void)child_sa_remove_sas(ike_xfrm(sa->ike), &next);
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "out of memory: cannot keep the CHILD_SA being rekeyed");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_TEMPORARY_FAILURE);
        return;
    }
    sa->child = next;
    sa->esp = *esp;
    char suite[80], pfs[48] = "";
    ikev2_esp_choice_format(esp, suite, sizeof(suite));
    if (esp->dh)
        snprintf(pfs, sizeof(pfs), ", PFS %s", esp->dh->name);
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA rekeyed: spi in 0x%08x out 0x%08x, %s%s (replaces spi in "
                 "0x%08x out 0x%08x)", sa->child.spi_in, sa->child.spi_out, suite, pfs, sa->old_child->spi_in,
                 sa->old_child->spi_out);
    ikev2_child_rekey_collided(sa, ni, ni_len, nr, sizeof(nr), &sa->child);    /* ours under way too? */    /* ours under way too? */
    (void)ikev2_send_encrypted(sa, exchange, true, mid, out, len, ikev2_builder_first_type(&b));
    free(out);
}

struct pfs_job {
    struct ikev2_ike_sa *sa;            /* NULL once the SA is gone */
    uint32_t mid;
    struct ikev2_esp_choice esp;
    uint8_t ni[IKEV2_NONCE_MAX];  size_t ni_len;
    uint8_t peer_ke[CRYPTO_DH_PUBLIC_MAX];  size_t peer_ke_len;
    /* Results. */
    uint8_t our_ke[CRYPTO_DH_PUBLIC_MAX];  size_t our_ke_len;
    uint8_t shared[CRYPTO_DH_SHARED_MAX];  size_t shared_len;
    const char *failed_step;
};

static int pfs_work(void *userdata)
{
    struct pfs_job *j = userdata;
    int r = ikev2_dh_agree(j->esp.dh, j->our_ke, sizeof(j->our_ke), j->peer_ke, j->peer_ke_len, j->shared,
                           sizeof(j->shared), &j->shared_len, &j->failed_step);
    if (r >= 0)
        j->our_ke_len = (size_t)r;
    return r < 0 ? r : 0;
}

static void pfs_done(void *userdata, int result)
{
    struct pfs_job *j = userdata;
    struct ikev2_ike_sa *sa = j->sa;
    if (sa) {
        struct log_ctx ctx;
        ikev2_sa_log_ctx(sa, &ctx);
        sa->job = NULL;
        sa->job_sa = NULL;
        sa->response_pending = false;
        if (result < 0) {
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD_SA rekey failed: Diffie-Hellman %s: %s: NO_PROPOSAL_CHOSEN",
                         j->failed_step ? j->failed_step : "job", strerror(-result));
            ikev2_send_encrypted_notify(sa, IKEV2_EXCHANGE_CREATE_CHILD_SA, j->mid, IKEV2_N_NO_PROPOSAL_CHOSEN);
        } else if (!sa->has_child || sa->has_old_child) {
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD SA changed during the rekey's Diffie-Hellman: "
                         "TEMPORARY_FAILURE");
            ikev2_send_encrypted_notify(sa, IKEV2_EXCHANGE_CREATE_CHILD_SA, j->mid, IKEV2_N_TEMPORARY_FAILURE);
        } else
            answer_rekey(sa, j->mid, &j->esp, j->ni, j->ni_len, j->shared, j->shared_len, j->our_ke, j->our_ke_len);
    }
    crypto_wipe(j, sizeof(*j));
    free(j);
}

void ikev2_handle_create_child_sa(struct ikev2_ike_sa *sa, const struct ikev2_message *msg,
                                  const struct ikev2_payload_list *inner)
{
    struct log_ctx ctx;
    struct ikev2_parse_status st;
    uint32_t mid = msg->header.message_id;
    uint8_t exchange = IKEV2_EXCHANGE_CREATE_CHILD_SA;

    ikev2_sa_log_ctx(sa, &ctx);
    const struct ikev2_payload *p_rekey = ikev2_notify_find(inner, IKEV2_N_REKEY_SA);
    const struct ikev2_payload *p_sa = ikev2_payload_find(inner, IKEV2_PAYLOAD_SA);
    const struct ikev2_payload *p_no = ikev2_payload_find(inner, IKEV2_PAYLOAD_NONCE);
    struct ikev2_notify rekey;
    if (!p_rekey && p_sa && ikev2_payload_find(inner, IKEV2_PAYLOAD_KE) && !ikev2_payload_find(inner, IKEV2_PAYLOAD_TSI)) {
        ikev2_start_ike_rekey(sa, msg, inner);
        return;
    }
    if (!p_rekey) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CREATE_CHILD_SA for a new %s is not supported: NO_ADDITIONAL_SAS",
                     ikev2_payload_find(inner, IKEV2_PAYLOAD_KE) && !ikev2_payload_find(inner, IKEV2_PAYLOAD_TSI)
                         ? "IKE SA (rekey)" : "CHILD SA");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_NO_ADDITIONAL_SAS);
        return;
    }
    if (ikev2_notify_decode(p_rekey, &rekey, &st) < 0 || rekey.protocol != IKEV2_PROTOCOL_ESP ||
        rekey.spi_size != 4 || !p_sa || !p_no) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "malformed CHILD SA rekey request: INVALID_SYNTAX");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_INVALID_SYNTAX);
        return;
    }
    uint32_t old_spi = ikev2_get32(rekey.spi);
    if (!sa->has_child || old_spi != sa->child.spi_out) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "rekey of unknown CHILD SA 0x%08x: CHILD_SA_NOT_FOUND", old_spi);
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_CHILD_SA_NOT_FOUND);
        return;
    }
    if (sa->has_old_child) {
        /* The previous rekey's old SAs are still there: one at a time. */
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "rekey while the previous one is unfinished: TEMPORARY_FAILURE");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_TEMPORARY_FAILURE);
        return;
    }

    struct ikev2_sa *offered = malloc(sizeof(*offered));
    struct ikev2_nonce ni;
    if (!offered) {
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_TEMPORARY_FAILURE);
        return;
    }
    if (ikev2_sa_decode(p_sa, offered, &st) < 0 || ikev2_nonce_decode(p_no, &ni, &st) < 0) {
        free(offered);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "malformed SA or Nonce in a CHILD SA rekey: INVALID_SYNTAX");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_INVALID_SYNTAX);
        return;
    }
    struct ikev2_esp_choice esp;
    const struct ikev2_payload *p_ke = ikev2_payload_find(inner, IKEV2_PAYLOAD_KE);
    struct ikev2_ke ke = { 0 };
    if (p_ke && ikev2_ke_decode(p_ke, &ke, &st) < 0) {
        free(offered);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "malformed KE in a CHILD SA rekey: INVALID_SYNTAX");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_INVALID_SYNTAX);
        return;
    }
    if (!p_ke && sa->policy && sa->policy->pfs) {
        free(offered);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD SA rekey without PFS, which group policy %s requires: "
                     "NO_PROPOSAL_CHOSEN", sa->policy->name);
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_NO_PROPOSAL_CHOSEN);
        return;
    }
    int r = ikev2_choose_esp_pfs(offered, (const struct config_esp_proposal *const *)sa->group->esp_proposals,
                                 sa->group->n_esp_proposals, p_ke ? ke.group : 0, &esp, reject_info, &ctx);
    free(offered);
    if (r < 0) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "no acceptable ESP proposal for the rekey: NO_PROPOSAL_CHOSEN");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_NO_PROPOSAL_CHOSEN);
        return;
    }
    if (esp.dh && ke.len != esp.dh->public_len) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "KE payload of %zu bytes for %s: INVALID_SYNTAX", ke.len,
                     esp.dh->name);
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_INVALID_SYNTAX);
        return;
    }
    if (!esp.dh) {
        answer_rekey(sa, mid, &esp, ni.data, ni.len, NULL, 0, NULL, 0);
        return;
    }

    /* PFS: the Diffie-Hellman runs on a worker; retransmissions of the
     * request are ignored meanwhile (response_pending). */
    struct pfs_job *j = calloc(1, sizeof(*j));
    if (!j || sa->job) {
        free(j);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "CHILD SA rekey with PFS while busy: TEMPORARY_FAILURE");
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_TEMPORARY_FAILURE);
        return;
    }
    j->sa = sa;
    j->mid = mid;
    j->esp = esp;
    memcpy(j->ni, ni.data, ni.len);
    j->ni_len = ni.len;
    memcpy(j->peer_ke, ke.data, ke.len);
    j->peer_ke_len = ke.len;
    r = job_submit(ike_jobs(sa->ike), pfs_work, pfs_done, j, &sa->job);
    if (r < 0) {
        free(j);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV2, "cannot start the rekey's Diffie-Hellman: %s: TEMPORARY_FAILURE",
                        strerror(-r));
        ikev2_send_encrypted_notify(sa, exchange, mid, IKEV2_N_TEMPORARY_FAILURE);
        return;
    }
    sa->job_sa = &j->sa;
    sa->response_pending = true;
}
