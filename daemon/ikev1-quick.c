/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Quick Mode on the responder (RFC 2409 5.5) and the Informational
 * exchange (RFC 2408 4.8, DPD RFC 3706). A Quick Mode is accepted once the
 * client has its address: the client-side proxy ID must be exactly that
 * address (a client must not claim another user's), the gateway side
 * inside what the group policy lets it reach (0.0.0.0/0 under a split
 * policy is narrowed to the split networks in the kernel's policies). The
 * ESP transform comes from the tunnel group's esp-proposals
 * (ikev1-quick-proposal.c: bundles with AH or IPComp are refused and the
 * next proposal tried). Our SPI is allocated before message 2; the SAs,
 * policies and route go in through child-sa.c when message 3 proves the
 * client has the keys.
 *
 * Several Quick Modes run at once on one ISAKMP SA, each in the SA's table
 * by message ID with its own IV chain, retransmission cache and deadline.
 * On message 3 the networks decide: a child of the session with the same
 * ones is rekeyed (new SAs under its policies), other networks get a child
 * of their own (ikev1-child.c). A Quick Mode before Mode Config is done is
 * held (ikev1-quick-hold.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ikev1-sa.h"
#include "ikev2-sa.h"       /* ikev2_dh_agree() */
#include "jobs.h"

#define QM_NONCE_LEN 32

/* ---- proxy identities ---------------------------------------------------------------- */

static unsigned mask_len(uint32_t mask_host)
{
    unsigned n = 0;
    while (n < 32 && (mask_host & (0x80000000u >> n)))
        n++;
    return (n == 32 || (mask_host << n) == 0) ? n : 99;
}

/* An IPv4 proxy ID as a prefix; false for other types, port or protocol
 * restrictions, non-contiguous masks and ranges that are no prefix. */
static bool id_prefix(const struct ikev1_id *id, struct config_prefix *p, char *text, size_t len)
{
    uint32_t a, b;
    char s1[INET_ADDRSTRLEN], s2[INET_ADDRSTRLEN];
    memset(p, 0, sizeof(*p));
    p->addr.family = AF_INET;
    if (id->type == IKEV1_ID_IPV4_ADDR && id->len == 4) {
        memcpy(&p->addr.in, id->data, 4);
        p->prefix_len = 32;
    } else if (id->type == IKEV1_ID_IPV4_ADDR_SUBNET && id->len == 8) {
        memcpy(&a, id->data, 4);
        memcpy(&b, id->data + 4, 4);
        unsigned l = mask_len(ntohl(b));
        if (l > 32)
            return snprintf(text, len, "non-contiguous netmask"), false;
        p->addr.in.s_addr = a & b;
        p->prefix_len = l;
    } else if (id->type == IKEV1_ID_IPV4_ADDR_RANGE && id->len == 8) {
        memcpy(&a, id->data, 4);
        memcpy(&b, id->data + 4, 4);
        uint32_t span = ntohl(b) - ntohl(a);
        unsigned l = mask_len(~span);
        inet_ntop(AF_INET, &a, s1, sizeof(s1));
        inet_ntop(AF_INET, &b, s2, sizeof(s2));
        if (ntohl(b) < ntohl(a) || l > 32 || (ntohl(a) & span))
            return snprintf(text, len, "range %s-%s is not a prefix", s1, s2), false;
        p->addr.in.s_addr = a;
        p->prefix_len = l;
    } else
        return snprintf(text, len, "ID type %u", id->type), false;
    inet_ntop(AF_INET, &p->addr.in, s1, sizeof(s1));
    snprintf(text, len, "%s/%u", s1, p->prefix_len);
    if (id->protocol != 0 || id->port != 0)
        return snprintf(text, len, "%s/%u protocol %u port %u (only any is supported)", s1, p->prefix_len,
                        id->protocol, id->port), false;
    return true;
}

static bool prefix_inside(const struct config_prefix *inner, const struct config_prefix *outer)
{
    return inner->prefix_len >= outer->prefix_len && config_prefix_contains(outer, &inner->addr);
}

/* ---- the Quick Mode's life ---------------------------------------------------------------- */

#define QM_DEADLINE_USEC (60ULL * 1000000ULL)     /* for message 3 (or our PFS job) */

struct ikev1_quick *ikev1_quick_find(const struct ikev1_isakmp_sa *sa, uint32_t mid)
{
    return sa->quick ? hashmap_get(sa->quick, &mid, sizeof(mid)) : NULL;
}

/* Ends one Quick Mode: its larval SA, CBC chain and job go with it. */
static void quick_free(struct ikev1_quick *qm)
{
    struct ikev1_isakmp_sa *sa = qm->sa;
    if (sa->quick && hashmap_get(sa->quick, &qm->mid, sizeof(qm->mid)) == qm)
        hashmap_remove(sa->quick, &qm->mid, sizeof(qm->mid));
    if (qm->job)
        job_cancel(qm->job);            /* its done() only frees its own memory */
    qm->timer = sd_event_source_disable_unref(qm->timer);
    if (qm->child.spi_allocated && !qm->child.installed)
        (void)child_sa_remove(ike_xfrm(sa->ike), NULL, &qm->child);
    if (sa->cbc)
        crypto_ikev1_cbc_forget(sa->cbc, qm->mid);
    free(qm->request);
    free(qm->answer);
    crypto_wipe(qm, sizeof(*qm));
    free(qm);
}

void ikev1_quick_free_all(struct ikev1_isakmp_sa *sa)
{
    for (;;) {
        struct hashmap_iter it = HASHMAP_ITER_INIT;
        void *value;
        if (!sa->quick || !hashmap_iterate(sa->quick, &it, NULL, NULL, &value))
            break;
        quick_free(value);
    }
    hashmap_free(sa->quick);
    sa->quick = NULL;
    ikev1_quick_held_free(sa);
}

static int on_quick_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct ikev1_quick *qm = userdata;
    struct log_ctx ctx;
    (void)s;
    (void)usec;
    ikev1_sa_log_ctx(qm->sa, &ctx);
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x abandoned: no message 3 within %llu s", qm->mid,
                 QM_DEADLINE_USEC / 1000000ULL);
    quick_free(qm);
    return 0;
}

bool ikev1_quick_retransmission(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt,
                                const struct ikev1_header *hdr)
{
    if (hdr->exchange != IKEV1_EXCHANGE_QUICK_MODE)
        return false;
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    for (size_t i = 0; i < sa->n_held; i++)
        if (sa->held[i].raw_len == pkt->len && memcmp(sa->held[i].raw, pkt->data, pkt->len) == 0) {
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "retransmitted Quick Mode 0x%08x: held until Xauth and Mode "
                          "Config are done", hdr->message_id);
            return true;
        }
    struct ikev1_quick *qm = ikev1_quick_find(sa, hdr->message_id);
    if (!qm || !qm->request || qm->request_len != pkt->len || memcmp(qm->request, pkt->data, pkt->len) != 0)
        return false;
    if (qm->answer) {
        sa->ike->stats.retransmits_answered++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "retransmitted Quick Mode 0x%08x: sending our answer again",
                      qm->mid);
        int r = ike_socket_send(sa->ike->sockets, &sa->local, &sa->remote, qm->answer, qm->answer_len);
        if (r < 0)
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "cannot send %zu bytes: %s", qm->answer_len, strerror(-r));
    } else
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "retransmitted Quick Mode 0x%08x: no answer yet", qm->mid);
    return true;
}

static void send_quick2(struct ikev1_quick *qm, const uint8_t *our_ke, size_t our_ke_len)
{
    struct ikev1_isakmp_sa *sa = qm->sa;
    struct ikev1_esp_choice *c = &qm->esp;
    uint8_t *plain = malloc(IKEV1_PLAIN_MAX);
    if (!plain)
        return;
    uint8_t store[7][4];
    struct ikev1_attribute attrs[7];
    size_t n = 0;
    if (c->offered_lifetime) {
        attrs[n] = ikev1_attribute_from_number(IKEV1_IPSEC_SA_LIFE_TYPE, IKEV1_LIFE_SECONDS, store[n]), n++;
        attrs[n] = ikev1_attribute_from_number(IKEV1_IPSEC_SA_LIFE_DURATION, c->offered_lifetime, store[n]), n++;
    }
    if (c->pfs)
        attrs[n] = ikev1_attribute_from_number(IKEV1_IPSEC_GROUP_DESCRIPTION, c->pfs->ikev2_id, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_IPSEC_ENCAPSULATION_MODE, c->encapsulation, store[n]), n++;
    if (c->integ) {
        uint16_t auth = 0;
        for (size_t i = 0; i < c->config->n_integrity; i++)
            if (crypto_integ_find(c->config->integrity[i]->ikev2_id) == c->integ)
                auth = c->config->integrity[i]->ikev1_esp_id;
        attrs[n] = ikev1_attribute_from_number(IKEV1_IPSEC_AUTH_ALGORITHM, auth, store[n]), n++;
    }
    uint8_t transform_id = IKEV1_ESP_AES;
    for (size_t i = 0; i < c->config->n_encryption; i++)
        if (crypto_encr_find(c->config->encryption[i]->ikev2_id, c->config->encryption[i]->key_bits) == c->encr)
            transform_id = (uint8_t)c->config->encryption[i]->ikev1_esp_id;
    if (transform_id != IKEV1_ESP_3DES)
        attrs[n] = ikev1_attribute_from_number(IKEV1_IPSEC_KEY_LENGTH, c->encr->key_bits, store[n]), n++;
    struct ikev1_build_transform tr = { .number = c->transform_number, .id = transform_id, .attrs = attrs,
                                        .n_attrs = n };
    uint8_t spi[4];
    wire_put32(spi, qm->child.spi_in);

    struct ikev1_builder b;
    ikev1_builder_init(&b, plain, IKEV1_PLAIN_MAX);
    ikev1_build_hash_reserve(&b, sa->keys.prf->out_len);
    ikev1_build_sa(&b, c->proposal_number, IKEV1_PROTO_IPSEC_ESP, spi, 4, &tr, 1);
    ikev1_build_nonce(&b, qm->nr, qm->nr_len);
    if (our_ke)
        ikev1_build_ke(&b, our_ke, our_ke_len);
    ikev1_build_payload(&b, IKEV1_PAYLOAD_ID, qm->idci_b, qm->idci_b_len);
    ikev1_build_payload(&b, IKEV1_PAYLOAD_ID, qm->idcr_b, qm->idcr_b_len);
    if (ikev1_esp_responder_lifetime_due(c)) {
        /* RESPONDER-LIFETIME (RFC 2407 4.6.3.1): ours is shorter. */
        uint8_t data[IKEV1_LIFETIME_DATA_LEN];
        uint8_t peer_spi[4];
        (void)ikev1_lifetime_seconds_data(data, IKEV1_IPSEC_SA_LIFE_TYPE, IKEV1_IPSEC_SA_LIFE_DURATION, c->lifetime);
        wire_put32(peer_spi, c->peer_spi);
        ikev1_build_notify(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_IPSEC_ESP, peer_spi, 4, IKEV1_N_RESPONDER_LIFETIME, data,
                           sizeof(data));
    }
    free(qm->answer);
    qm->answer = NULL;
    sa->capture = &qm->answer;          /* kept for retransmissions of message 1 */
    sa->capture_len = &qm->answer_len;
    int r = ikev1_send_hashed(sa, IKEV1_EXCHANGE_QUICK_MODE, qm->mid, &b, plain, qm->ni, qm->ni_len,
                              IKEV1_SEND_ONCE);
    sa->capture = NULL;
    sa->capture_len = NULL;
    free(plain);
    if (r >= 0)
        qm->answered = true;
}

struct pfs_job {
    struct ikev1_quick *qm;
    const struct crypto_dh_group *group;
    uint8_t peer_ke[CRYPTO_DH_PUBLIC_MAX]; size_t peer_ke_len;
    uint8_t our_ke[CRYPTO_DH_PUBLIC_MAX]; size_t our_ke_len;
    uint8_t shared[CRYPTO_DH_SHARED_MAX]; size_t shared_len;
    const char *failed_step;
};

static int pfs_work(void *userdata)
{
    struct pfs_job *j = userdata;
    int r = ikev2_dh_agree(j->group, j->our_ke, sizeof(j->our_ke), j->peer_ke, j->peer_ke_len, j->shared,
                           sizeof(j->shared), &j->shared_len, &j->failed_step);
    if (r >= 0)
        j->our_ke_len = (size_t)r;
    return r < 0 ? r : 0;
}

static void pfs_done(void *userdata, int result)
{
    struct pfs_job *j = userdata;
    if (result != -ECANCELED) {
        struct ikev1_quick *qm = j->qm;
        struct ikev1_isakmp_sa *sa = qm->sa;
        qm->job = NULL;
        if (result < 0) {
            struct log_ctx ctx;
            ikev1_sa_log_ctx(sa, &ctx);
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x PFS Diffie-Hellman failed (%s): %s", qm->mid,
                         j->failed_step ? j->failed_step : "job", strerror(-result));
            quick_free(qm);
        } else {
            memcpy(qm->shared, j->shared, j->shared_len);
            qm->shared_len = j->shared_len;
            send_quick2(qm, j->our_ke, j->our_ke_len);
        }
    }
    crypto_wipe(j, sizeof(*j));
    free(j);
}

static void log_rejection(void *userdata, const char *why)
{
    log_info_ctx(userdata, CONFIG_SUBSYS_IKEV1, "%s", why);
}

static void handle_quick3(struct ikev1_quick *qm);

void ikev1_handle_quick(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr,
                        const struct ikev1_payload_list *pl, const uint8_t *raw, size_t raw_len)
{
    struct ikev1_quick *qm = ikev1_quick_find(sa, hdr->message_id);
    if (qm && qm->answered) {
        handle_quick3(qm);
        return;
    }
    if (qm) {
        struct log_ctx ctx;
        ikev1_sa_log_ctx(sa, &ctx);
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "Quick Mode 0x%08x: another message 1 while our answer is "
                      "computed: dropped", hdr->message_id);
        return;
    }
    ikev1_handle_quick1(sa, hdr, pl, raw, raw_len);
}

void ikev1_handle_quick1(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr,
                         const struct ikev1_payload_list *pl, const uint8_t *raw, size_t raw_len)
{
    struct log_ctx ctx;
    struct ikev1_parse_status st;
    ikev1_sa_log_ctx(sa, &ctx);
    if (sa->quick && hashmap_size(sa->quick) >= IKEV1_QUICK_MAX) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x dropped: %d Quick Modes in progress already "
                     "(answered when the client sends it again)", hdr->message_id, IKEV1_QUICK_MAX);
        crypto_ikev1_cbc_forget(sa->cbc, hdr->message_id);
        return;
    }
    if (!sa->quick && hashmap_new(&sa->quick) < 0)
        return;
    struct ikev1_sa *osa = malloc(sizeof(*osa));
    struct ikev1_quick *qm = calloc(1, sizeof(*qm));
    if (!osa || !qm)
        goto out;
    const struct ikev1_payload *p_sa = ikev1_payload_find(pl, IKEV1_PAYLOAD_SA);
    const struct ikev1_payload *p_no = ikev1_payload_find(pl, IKEV1_PAYLOAD_NONCE);
    const struct ikev1_payload *p_ke = ikev1_payload_find(pl, IKEV1_PAYLOAD_KE);
    const struct ikev1_payload *p_id[2] = { NULL, NULL };
    for (size_t i = 0, k = 0; i < pl->n && k < 2; i++)
        if (pl->p[i].type == IKEV1_PAYLOAD_ID)
            p_id[k++] = &pl->p[i];
    struct ikev1_data nonce, ke = { 0 };
    struct ikev1_id idci, idcr;
    if (!p_sa || !p_no || ikev1_sa_decode(p_sa, osa, &st) < 0 || ikev1_nonce_decode(p_no, &nonce, &st) < 0 ||
        (p_ke && ikev1_ke_decode(p_ke, &ke, &st) < 0)) {
        sa->ike->stats.parse_errors++;
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x without valid SA and Nonce: PAYLOAD-MALFORMED",
                     hdr->message_id);
        ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_PAYLOAD_MALFORMED, NULL, 0);
        goto out;
    }
    if (!p_id[1] || ikev1_id_decode(p_id[0], &idci, &st) < 0 || ikev1_id_decode(p_id[1], &idcr, &st) < 0 ||
        idci.body_len > sizeof(qm->idci_b) || idcr.body_len > sizeof(qm->idcr_b)) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x without valid proxy IDs (a remote-access client "
                     "must name its address): INVALID-ID-INFORMATION", hdr->message_id);
        ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_INVALID_ID_INFORMATION, NULL, 0);
        goto out;
    }

    /* Proxy IDs. */
    struct config_prefix ci, cr;
    char addr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa->address.in, addr, sizeof(addr));
    bool ci_ok = id_prefix(&idci, &ci, qm->idci_text, sizeof(qm->idci_text));
    bool cr_ok = id_prefix(&idcr, &cr, qm->idcr_text, sizeof(qm->idcr_text));
    if (!ci_ok || ci.prefix_len != 32 || ci.addr.in.s_addr != sa->address.in.s_addr) {
        log_notice_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode refused: user %s claims %s, but was assigned %s: "
                       "INVALID-ID-INFORMATION", sa->user, qm->idci_text, addr);
        ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_INVALID_ID_INFORMATION, NULL, 0);
        goto out;
    }
    struct child_sa *c = &qm->child;
    const struct config_group_policy *gp = sa->policy;
    bool any = cr_ok && cr.prefix_len == 0;
    if (!cr_ok) {
        log_notice_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode refused: gateway proxy ID %s not supported: "
                       "INVALID-ID-INFORMATION", qm->idcr_text);
        ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_INVALID_ID_INFORMATION, NULL, 0);
        goto out;
    }
    if (gp->split_tunnel == CONFIG_SPLIT_TUNNEL_INCLUDE && gp->n_split_networks > 0) {
        if (any) {
            for (size_t i = 0; i < gp->n_split_networks && c->n_networks < CHILD_SA_MAX_NETWORKS; i++)
                if (gp->split_networks[i].addr.family == AF_INET)
                    c->networks[c->n_networks++] = gp->split_networks[i];
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "proxy ID 0.0.0.0/0 narrowed to the %zu split networks of group "
                         "policy %s", c->n_networks, gp->name);
        } else {
            bool inside = false;
            for (size_t i = 0; i < gp->n_split_networks && !inside; i++)
                inside = prefix_inside(&cr, &gp->split_networks[i]);
            if (!inside) {
                log_notice_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode refused: user %s asks for %s, outside the "
                               "split networks of group policy %s: INVALID-ID-INFORMATION", sa->user,
                               qm->idcr_text, gp->name);
                ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_INVALID_ID_INFORMATION, NULL, 0);
                goto out;
            }
            c->networks[c->n_networks++] = cr;
        }
    } else
        c->networks[c->n_networks++] = cr;

    /* ESP. */
    const struct crypto_dh_group *ke_group = NULL;
    if (p_ke) {
        for (size_t t = 0; t < osa->n_transforms && !ke_group; t++) {
            const struct ikev1_attribute *a = ikev1_transform_attribute(osa, &osa->transforms[t],
                                                                       IKEV1_IPSEC_GROUP_DESCRIPTION);
            uint64_t g;
            if (a && ikev1_attribute_number(a, &g) >= 0 && g <= UINT16_MAX) {
                const struct crypto_dh_group *dg = crypto_dh_group_find((uint16_t)g);
                if (dg && dg->public_len == ke.len)
                    ke_group = dg;
            }
        }
        if (!ke_group) {
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode KE of %zu bytes fits no offered PFS group: "
                         "INVALID-KEY-INFORMATION", ke.len);
            ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_INVALID_KEY_INFORMATION, NULL, 0);
            goto out;
        }
    }
    struct ikev1_esp_want want = {
        .proposals = (const struct config_esp_proposal *const *)sa->group->esp_proposals,
        .n_proposals = sa->group->n_esp_proposals,
        .require_pfs = sa->policy->pfs,
        .policy_name = sa->policy->name,
        .nat_detected = sa->nat_detected,
        .natt_rfc3947 = sa->natt == IKEV1_VENDOR_NATT_RFC3947,
    };
    if (!ikev1_esp_choose(&want, osa, ke_group, &qm->esp, NULL, NULL)) {
        (void)ikev1_esp_choose(&want, osa, ke_group, &qm->esp, log_rejection, &ctx);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "no acceptable IPsec SA proposal for tunnel group %s: "
                     "NO-PROPOSAL-CHOSEN", sa->group->name);
        sa->ike->stats.handshake_failures[IKE_FAIL_NO_PROPOSAL]++;
        ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        goto out;
    }

    qm->sa = sa;
    qm->mid = hdr->message_id;
    memcpy(qm->ni, nonce.data, nonce.len);
    qm->ni_len = nonce.len;
    qm->nr_len = QM_NONCE_LEN;
    memcpy(qm->idci_b, idci.body, idci.body_len);
    qm->idci_b_len = idci.body_len;
    memcpy(qm->idcr_b, idcr.body, idcr.body_len);
    qm->idcr_b_len = idcr.body_len;
    if (crypto_random(qm->nr, qm->nr_len) < 0)
        goto out;
    /* A child with these networks already: a rekey (its policies lead to
     * the new SAs); checked again on message 3, other Quick Modes may
     * finish in between. */
    struct ikev1_child *same = ikev1_child_find_networks(sa, c->networks, c->n_networks);
    if (!same && sa->n_children >= IKEV1_CHILDREN_MAX) {
        log_notice_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x refused: user %s has %d pairs of IPsec SAs "
                       "already: NO-PROPOSAL-CHOSEN", hdr->message_id, sa->user, IKEV1_CHILDREN_MAX);
        ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        goto out;
    }
    qm->rekey = same != NULL;
    c->reqid = same ? same->sa.reqid : ike_next_reqid(sa->ike);
    c->local = sa->local;
    c->remote = sa->remote;
    c->encap = sa->nat_detected;
    c->spi_out = qm->esp.peer_spi;
    c->inner = sa->address;
    c->route_ifindex = sa->ifindex;
    char err[300];
    int r = child_sa_allocate_spi(ike_xfrm(sa->ike), c, err, sizeof(err));
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode: cannot allocate an SPI: %s", err);
        goto out;
    }
    if (raw_len) {
        qm->request = malloc(raw_len);
        if (qm->request) {
            memcpy(qm->request, raw, raw_len);
            qm->request_len = raw_len;
        }
    }
    r = hashmap_put(sa->quick, &qm->mid, sizeof(qm->mid), qm);
    if (r >= 0)
        r = sd_event_add_time_relative(sa->ike->event, &qm->timer, CLOCK_MONOTONIC, QM_DEADLINE_USEC, 0,
                                       on_quick_deadline, qm);
    if (r < 0) {
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x dropped: %s", qm->mid, strerror(-r));
        quick_free(qm);
        qm = NULL;
        goto out;
    }
    struct ikev1_quick *started = qm;
    qm = NULL;
    if (ke_group) {
        struct pfs_job *j = calloc(1, sizeof(*j));
        if (!j) {
            quick_free(started);
            goto out;
        }
        j->qm = started;
        j->group = ke_group;
        memcpy(j->peer_ke, ke.data, ke.len);
        j->peer_ke_len = ke.len;
        r = job_submit(ike_jobs(sa->ike), pfs_work, pfs_done, j, &started->job);
        if (r < 0) {
            log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot start the PFS Diffie-Hellman: %s", strerror(-r));
            free(j);
            quick_free(started);
        }
        goto out;
    }
    send_quick2(started, NULL, 0);
out:
    free(osa);
    if (qm) {                   /* refused: no exchange under this message ID */
        crypto_ikev1_cbc_forget(sa->cbc, hdr->message_id);
        crypto_wipe(qm, sizeof(*qm));
        free(qm);
    }
}

static void register_session(struct ikev1_isakmp_sa *sa, const char *esp)
{
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    static const struct session_ops ops = { .counters = ikev1_session_counters,
                                            .terminate = ikev1_session_terminate,
                                            .sas = ikev1_session_sas,
                                            .describe = ikev1_session_describe };
    struct session tmpl = {
        .protocol = SESSION_IKEV1,
        .address = sa->address,
        /* Kernel events and the counters of removed SAs find the session by its first pair's reqid. */
        .reqid = sa->n_children ? sa->children[0].sa.reqid : 0,
        .remote = sa->remote,
        .local = sa->local,
        .natt = sa->nat_detected,
        .login_realtime = clock_usec(CLOCK_REALTIME),
        .login_monotonic = clock_usec(CLOCK_MONOTONIC),
        .ops = &ops,
        .owner = sa,
    };
    char encryption[256];
    tmpl.user = sa->user;
    tmpl.tunnel_group = sa->group->name;
    tmpl.group_policy = sa->policy ? sa->policy->name : "";
    if (sa->grant) {
        tmpl.radius_class = sa->grant->authz.class_;
        tmpl.radius_class_len = sa->grant->authz.class_len;
    }
    snprintf(encryption, sizeof(encryption), "ESP %s, IKE %s/%s/%s", esp, sa->choice.encr->name,
             sa->choice.prf->name, sa->choice.dh->name);
    tmpl.encryption = encryption;
    int r = session_add(sa->ike->sessions, &tmpl, &sa->session);
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKE, "cannot register the session: %s", strerror(-r));
        return;
    }
    char addr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa->address.in, addr, sizeof(addr));
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKE, "session up: user %s, address %s, session %u", sa->user, addr,
                 sa->session->index);
    r = ikev1_start_policy_timer(sa);
    if (r < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot watch the idle and session timeouts: %s", strerror(-r));
    r = ikev1_dpd_start(sa);
    if (r < 0)
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot start dead peer detection: %s", strerror(-r));
}

static void handle_quick3(struct ikev1_quick *qm)
{
    struct ikev1_isakmp_sa *sa = qm->sa;
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    struct crypto_child_keys keys;
    memset(&keys, 0, sizeof(keys));
    const uint8_t *shared = qm->shared_len ? qm->shared : NULL;
    int r = crypto_ikev1_derive_esp_keys(&sa->keys, qm->esp.encr, qm->esp.integ, CRYPTO_IKEV1_PROTO_ESP,
                                         qm->child.spi_in, shared, qm->shared_len, qm->ni, qm->ni_len, qm->nr,
                                         qm->nr_len, &keys.i_to_r);
    if (r >= 0)
        r = crypto_ikev1_derive_esp_keys(&sa->keys, qm->esp.encr, qm->esp.integ, CRYPTO_IKEV1_PROTO_ESP,
                                         qm->child.spi_out, shared, qm->shared_len, qm->ni, qm->ni_len, qm->nr,
                                         qm->nr_len, &keys.r_to_i);
    /* Another Quick Mode for the same networks may have finished (or the
     * client deleted the child) since message 1: decide now. */
    struct ikev1_child *same = ikev1_child_find_networks(sa, qm->child.networks, qm->child.n_networks);
    bool rekey = same != NULL;
    char err[300] = "";
    if (r < 0)
        snprintf(err, sizeof(err), "cannot derive the ESP keys: %s", strerror(-r));
    else if (!same && sa->n_children >= IKEV1_CHILDREN_MAX) {
        r = -ENOSPC;
        snprintf(err, sizeof(err), "%d pairs of IPsec SAs already", IKEV1_CHILDREN_MAX);
    } else if (!same && (r = ikev1_children_reserve(sa)) < 0) {
        snprintf(err, sizeof(err), "no room for another pair of IPsec SAs: %s", strerror(-r));
    } else {
        struct child_sa_params params = {
            .keys = &keys,
            .lifetime_seconds = qm->esp.lifetime,
            .lifetime_kilobytes = qm->esp.lifetime_kilobytes,
        };
        if (rekey) {
            qm->child.reqid = same->sa.reqid;
            r = child_sa_install_rekeyed(ike_xfrm(sa->ike), &qm->child, &params, err, sizeof(err));
        } else {
            if (qm->rekey)              /* its child is gone: a reqid of its own */
                qm->child.reqid = ike_next_reqid(sa->ike);
            /* One host route per session, with its first child, when the
             * group policy asks for reverse route injection. */
            struct route_handle *routes = sa->n_children == 0 && sa->policy->reverse_route ? sa->ike->routes
                                                                                            : NULL;
            r = child_sa_install(ike_xfrm(sa->ike), routes, &qm->child, &params, err, sizeof(err));
        }
    }
    crypto_child_keys_wipe(&keys);
    if (r < 0) {
        /* The client believes in the SA: tell it (DELETE of the SPI it
         * sends to) so that it does not send into nothing. */
        uint8_t spi[4];
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "IPsec SA not installed: %s", err);
        sa->ike->stats.handshake_failures[IKE_FAIL_KERNEL]++;
        sa->ike->stats.kernel_errors++;
        wire_put32(spi, qm->child.spi_in);
        quick_free(qm);
        uint8_t plain[128];
        struct ikev1_builder b;
        uint32_t mid = ikev1_new_mid(sa);
        ikev1_builder_init(&b, plain, sizeof(plain));
        ikev1_build_hash_reserve(&b, sa->keys.prf->out_len);
        ikev1_build_delete(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_IPSEC_ESP, 4, spi, 1);
        (void)ikev1_send_hashed(sa, IKEV1_EXCHANGE_INFORMATIONAL, mid, &b, plain, NULL, 0, IKEV1_SEND_ONCE);
        crypto_ikev1_cbc_forget(sa->cbc, mid);
        return;
    }
    struct ikev1_child *ch = same;
    if (rekey) {
        if (ch->has_old)
            (void)child_sa_remove_sas(ike_xfrm(sa->ike), &ch->old);
        bool route = ch->sa.route_installed;
        ch->old = ch->sa;
        ch->old.route_installed = false;        /* the route stays with the new SAs */
        ch->has_old = true;
        ch->sa = qm->child;
        ch->sa.route_installed = route;
    } else {
        ch = &sa->children[sa->n_children++];
        memset(ch, 0, sizeof(*ch));
        ch->sa = qm->child;
    }
    ch->sa.installed = true;
    qm->child.installed = true;         /* owned by the child now */
    ch->esp = qm->esp;
    char esp[96];
    ikev1_esp_text(&qm->esp, esp, sizeof(esp));
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "IPsec SA %s: spi in 0x%08x out 0x%08x, %s, lifetime %u s, proxy IDs "
                 "%s === %s%s (Quick Mode 0x%08x)", rekey ? "rekeyed" : "installed", ch->sa.spi_in, ch->sa.spi_out,
                 esp, qm->esp.lifetime, qm->idci_text, qm->idcr_text, ch->sa.encap ? ", ESP in UDP" : "", qm->mid);
    quick_free(qm);
    if (!sa->session) {
        sa->ike->stats.handshakes_succeeded++;
        register_session(sa, esp);
    } else if (!rekey) {
        /* A further pair: its kernel events and final counters must find the session too. */
        int ar = session_add_reqid(sa->ike->sessions, sa->session, ch->sa.reqid);
        if (ar < 0)
            log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "IPsec SA spi in 0x%08x: its counters will be missing from "
                            "the session's totals: %s", ch->sa.spi_in, strerror(-ar));
    }
}

/* ---- Informational ----------------------------------------------------------------------------- */

void ikev1_handle_informational(struct ikev1_isakmp_sa *sa, const struct ikev1_payload_list *pl)
{
    struct log_ctx ctx;
    struct ikev1_parse_status st;
    ikev1_sa_log_ctx(sa, &ctx);
    for (size_t i = 0; i < pl->n; i++) {
        const struct ikev1_payload *p = &pl->p[i];
        if (p->type == IKEV1_PAYLOAD_NOTIFY) {
            struct ikev1_notify n;
            if (ikev1_notify_decode(p, &n, &st) < 0)
                continue;
            if (n.type == IKEV1_N_DPD_R_U_THERE && n.len == 4) {
                uint8_t seq[4];
                memcpy(seq, n.data, 4);
                log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "DPD R-U-THERE %u: answering", wire_get32(seq));
                ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_DPD_R_U_THERE_ACK, seq, 4);
            } else if (n.type == IKEV1_N_DPD_R_U_THERE_ACK && n.len == 4) {
                log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "DPD R-U-THERE-ACK %u%s", wire_get32(n.data),
                              wire_get32(n.data) == sa->dpd_seq ? "" : " (not our last sequence number)");
                if (wire_get32(n.data) == sa->dpd_seq)
                    sa->dpd_unanswered = 0;
            } else
                log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "notification %s (%u) from the client",
                             ikev1_notify_name(n.type) ? ikev1_notify_name(n.type) : "?", n.type);
        } else if (p->type == IKEV1_PAYLOAD_DELETE) {
            struct ikev1_delete d;
            if (ikev1_delete_decode(p, &d, &st) < 0)
                continue;
            if (d.protocol == IKEV1_PROTO_ISAKMP) {
                if (ikev1_client_deletes_isakmp_sa(sa, &d, pl))
                    return;
                continue;
            }
            if (d.protocol != IKEV1_PROTO_IPSEC_ESP || d.spi_size != 4)
                continue;
            for (uint16_t k = 0; k < d.n_spis; k++)
                ikev1_child_deleted_by_client(sa, wire_get32(d.spis + 4 * k));
        }
    }
}
