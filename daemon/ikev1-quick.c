/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Quick Mode on the responder (RFC 2409 5.5) and the Informational
 * exchange (RFC 2408 4.8, DPD RFC 3706). A Quick Mode is accepted once the
 * client has its address: the client-side proxy ID must be exactly that
 * address (a client must not claim another user's), the gateway side
 * inside what the group policy lets it reach (0.0.0.0/0 under a split
 * policy is narrowed to the split networks in the kernel's policies). The
 * ESP transform comes from the tunnel group's esp-proposals; bundles (AH,
 * IPComp) are refused and the next proposal tried. Our SPI is allocated
 * before message 2; the SAs, policies and route go in through child-sa.c
 * when message 3 proves the client has the keys.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ikev1-sa.h"
#include "ikev2-sa.h"       /* ikev2_dh_agree() */
#include "jobs.h"

#define QM_NONCE_LEN 32

static uint64_t now_usec(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

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

/* ---- ESP proposal choice ------------------------------------------------------------------ */

struct esp_offer {
    uint16_t encap, auth, key_bits, group;
    uint32_t life_seconds;
    uint64_t life_kb;
    uint16_t unsupported;
};

static void esp_offer_parse(const struct ikev1_sa *osa, const struct ikev1_transform *t, struct esp_offer *o)
{
    const struct ikev1_attribute *a = ikev1_transform_attributes(osa, t);
    uint64_t life_type = 0;
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < t->n_attributes; i++) {
        uint64_t v = 0;
        if (ikev1_attribute_number(&a[i], &v) < 0 || v > UINT32_MAX) {
            o->unsupported = a[i].type ? a[i].type : 0xffff;
            continue;
        }
        switch (a[i].type) {
        case IKEV1_IPSEC_SA_LIFE_TYPE: life_type = v; break;
        case IKEV1_IPSEC_SA_LIFE_DURATION:
            if (life_type == IKEV1_LIFE_SECONDS)
                o->life_seconds = (uint32_t)v;
            else if (life_type == IKEV1_LIFE_KILOBYTES)
                o->life_kb = v;
            break;
        case IKEV1_IPSEC_GROUP_DESCRIPTION: o->group = (uint16_t)v; break;
        case IKEV1_IPSEC_ENCAPSULATION_MODE: o->encap = (uint16_t)v; break;
        case IKEV1_IPSEC_AUTH_ALGORITHM: o->auth = (uint16_t)v; break;
        case IKEV1_IPSEC_KEY_LENGTH: o->key_bits = (uint16_t)v; break;
        default: o->unsupported = a[i].type;
        }
    }
}

static bool esp_matches(const struct ikev1_isakmp_sa *sa, uint8_t transform_id, const struct esp_offer *o,
                        const struct config_esp_proposal *cp, const struct crypto_dh_group *ke_group,
                        struct ikev1_esp_choice *c, char *why, size_t len)
{
    if (o->unsupported)
        return snprintf(why, len, "unsupported attribute class %u", o->unsupported), false;
    const struct config_algorithm *enc = NULL;
    for (size_t i = 0; i < cp->n_encryption && !enc; i++) {
        const struct config_algorithm *e = cp->encryption[i];
        if (e->ikev1_esp_id == transform_id &&
            (transform_id == IKEV1_ESP_3DES || (o->key_bits ? o->key_bits : 128) == e->key_bits))
            enc = e;
    }
    if (!enc)
        return snprintf(why, len, "Rcv'd ESP transform %u key length %u, not in esp-proposal", transform_id,
                        o->key_bits), false;
    const struct config_algorithm *integ = NULL;
    if (!enc->aead) {
        for (size_t i = 0; i < cp->n_integrity && !integ; i++)
            if (cp->integrity[i]->ikev1_esp_id == o->auth)
                integ = cp->integrity[i];
        if (!integ)
            return snprintf(why, len, "Rcv'd authentication algorithm %u, not in esp-proposal", o->auth), false;
    } else if (o->auth)
        return snprintf(why, len, "Rcv'd authentication algorithm %u with a combined-mode cipher", o->auth), false;
    uint16_t want_encap = IKEV1_ENCAP_TUNNEL;
    if (sa->nat_detected)
        want_encap = sa->natt == IKEV1_VENDOR_NATT_RFC3947 ? IKEV1_ENCAP_UDP_TUNNEL : IKEV1_ENCAP_UDP_TUNNEL_DRAFT;
    if (o->encap != want_encap && !(sa->nat_detected && (o->encap == IKEV1_ENCAP_UDP_TUNNEL ||
                                                          o->encap == IKEV1_ENCAP_UDP_TUNNEL_DRAFT)))
        return snprintf(why, len, "Rcv'd encapsulation mode %u, cfg'd %u (tunnel%s)", o->encap, want_encap,
                        sa->nat_detected ? " in UDP" : ""), false;
    const struct crypto_dh_group *pfs = NULL;
    if (ke_group) {
        if (o->group != ke_group->ikev2_id)
            return snprintf(why, len, "Rcv'd PFS group %u but the KE payload is for group %u", o->group,
                            ke_group->ikev2_id), false;
        bool allowed = cp->n_pfs_groups == 0 && !ke_group->legacy;   /* legacy groups only by name */
        for (size_t i = 0; i < cp->n_pfs_groups; i++)
            allowed = allowed || cp->pfs_groups[i]->ikev1_id == o->group;
        if (!allowed)
            return snprintf(why, len, "Rcv'd PFS group %u, not in esp-proposal's pfs-group", o->group), false;
        pfs = ke_group;
    } else if (o->group)
        return snprintf(why, len, "Rcv'd PFS group %u without a KE payload", o->group), false;
    else if (sa->policy->pfs)
        return snprintf(why, len, "no PFS, but group policy %s requires it", sa->policy->name), false;
    c->encr = crypto_encr_find(enc->ikev2_id, enc->key_bits);
    c->integ = integ ? crypto_integ_find(integ->ikev2_id) : NULL;
    if (!c->encr || (integ && !c->integ))
        return snprintf(why, len, "not implemented by this build"), false;
    c->config = cp;
    c->pfs = pfs;
    c->encapsulation = o->encap;
    c->offered_lifetime = o->life_seconds;
    c->lifetime = cp->lifetime_seconds;
    if (o->life_seconds && o->life_seconds < c->lifetime)
        c->lifetime = o->life_seconds;
    c->lifetime_kilobytes = cp->lifetime_kilobytes;
    if (o->life_kb && (c->lifetime_kilobytes == 0 || o->life_kb < c->lifetime_kilobytes))
        c->lifetime_kilobytes = o->life_kb;
    return true;
}

static bool choose_esp(const struct ikev1_isakmp_sa *sa, const struct ikev1_sa *osa,
                       const struct crypto_dh_group *ke_group, struct ikev1_esp_choice *c, const struct log_ctx *ctx,
                       bool verbose)
{
    for (size_t p = 0; p < osa->n_proposals; p++) {
        const struct ikev1_proposal *pr = &osa->proposals[p];
        char why[200];
        bool bundle = (p > 0 && osa->proposals[p - 1].number == pr->number) ||
                      (p + 1 < osa->n_proposals && osa->proposals[p + 1].number == pr->number);
        if (bundle || pr->protocol != IKEV1_PROTO_IPSEC_ESP || pr->spi_size != 4) {
            if (verbose)
                log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "IPsec SA proposal %u (protocol %u) rejected: %s",
                             pr->number, pr->protocol, bundle ? "bundles (AH, IPComp) are not supported"
                                                              : "ESP with a 4-byte SPI only");
            continue;
        }
        const struct ikev1_transform *ts = ikev1_proposal_transforms(osa, pr);
        for (size_t t = 0; t < pr->n_transforms; t++) {
            struct esp_offer o;
            esp_offer_parse(osa, &ts[t], &o);
            for (size_t k = 0; k < sa->group->n_esp_proposals; k++) {
                if (esp_matches(sa, ts[t].id, &o, sa->group->esp_proposals[k], ke_group, c, why, sizeof(why))) {
                    c->proposal_number = pr->number;
                    c->transform_number = ts[t].number;
                    c->peer_spi = wire_get32(pr->spi);
                    return true;
                }
                if (verbose)
                    log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "IPsec SA proposal %u transform %u rejected by "
                                 "esp-proposal '%s': %s", pr->number, ts[t].number,
                                 sa->group->esp_proposals[k]->name, why);
            }
        }
    }
    return false;
}

static void esp_text(const struct ikev1_esp_choice *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s", c->encr->name, c->integ ? "/" : "", c->integ ? c->integ->name : "",
             c->pfs ? "/PFS " : "", c->pfs ? c->pfs->name : "");
}

/* ---- the Quick Mode's life ---------------------------------------------------------------- */

void ikev1_quick_free(struct ikev1_isakmp_sa *sa)
{
    struct ikev1_quick *qm = sa->qm;
    if (!qm)
        return;
    if (qm->child.spi_allocated && !qm->child.installed)
        (void)child_sa_remove(ike_xfrm(sa->ike), sa->ike->routes, &qm->child);
    if (sa->cbc)
        crypto_ikev1_cbc_forget(sa->cbc, qm->mid);
    crypto_wipe(qm, sizeof(*qm));
    free(qm);
    sa->qm = NULL;
}

static void send_quick2(struct ikev1_isakmp_sa *sa, const uint8_t *our_ke, size_t our_ke_len)
{
    struct ikev1_quick *qm = sa->qm;
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
    if (!c->offered_lifetime || c->lifetime < c->offered_lifetime) {
        /* RESPONDER-LIFETIME (RFC 2407 4.6.3.1): ours is shorter. */
        uint8_t data[12];
        uint8_t peer_spi[4];
        wire_put16(data, IKEV1_ATTRIBUTE_TV | IKEV1_IPSEC_SA_LIFE_TYPE);
        wire_put16(data + 2, IKEV1_LIFE_SECONDS);
        wire_put16(data + 4, IKEV1_IPSEC_SA_LIFE_DURATION);
        wire_put16(data + 6, 4);
        wire_put32(data + 8, c->lifetime);
        wire_put32(peer_spi, c->peer_spi);
        ikev1_build_notify(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_IPSEC_ESP, peer_spi, 4, IKEV1_N_RESPONDER_LIFETIME, data,
                           sizeof(data));
    }
    int r = ikev1_send_hashed(sa, IKEV1_EXCHANGE_QUICK_MODE, qm->mid, &b, plain, qm->ni, qm->ni_len,
                              IKEV1_SEND_ONCE);
    free(plain);
    if (r >= 0)
        qm->answered = true;
}

struct pfs_job {
    struct ikev1_isakmp_sa *sa;
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
        struct ikev1_isakmp_sa *sa = j->sa;
        sa->job = NULL;
        if (result < 0 || !sa->qm) {
            struct log_ctx ctx;
            ikev1_sa_log_ctx(sa, &ctx);
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode PFS Diffie-Hellman failed (%s): %s",
                         j->failed_step ? j->failed_step : "job", strerror(-result));
            ikev1_quick_free(sa);
        } else {
            memcpy(sa->qm->shared, j->shared, j->shared_len);
            sa->qm->shared_len = j->shared_len;
            /* The answer to the message 1 kept in last_in, for its retransmissions. */
            sa->reacting = !sa->last_out;
            send_quick2(sa, j->our_ke, j->our_ke_len);
            sa->reacting = false;
        }
    }
    crypto_wipe(j, sizeof(*j));
    free(j);
}

void ikev1_handle_quick1(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr,
                         const struct ikev1_payload_list *pl)
{
    struct log_ctx ctx;
    struct ikev1_parse_status st;
    ikev1_sa_log_ctx(sa, &ctx);
    if (sa->state != IKEV1_SA_READY) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x before Xauth and Mode Config are done: dropped "
                     "(answered when the client sends it again)", hdr->message_id);
        free(sa->last_in);      /* so that its retransmission is handled, not taken for a duplicate */
        sa->last_in = NULL;
        sa->last_in_len = 0;
        crypto_ikev1_cbc_forget(sa->cbc, hdr->message_id);
        return;
    }
    if (sa->qm) {
        if (sa->job) {
            log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "Quick Mode 0x%08x while another computes: dropped",
                          hdr->message_id);
            return;
        }
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode 0x%08x replaces the unfinished 0x%08x",
                     hdr->message_id, sa->qm->mid);
        ikev1_quick_free(sa);
    }
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
    if (!choose_esp(sa, osa, ke_group, &qm->esp, &ctx, false)) {
        (void)choose_esp(sa, osa, ke_group, &qm->esp, &ctx, true);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "no acceptable IPsec SA proposal for tunnel group %s: "
                     "NO-PROPOSAL-CHOSEN", sa->group->name);
        sa->ike->stats.handshake_failures[IKE_FAIL_NO_PROPOSAL]++;
        ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        goto out;
    }

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
    qm->rekey = sa->has_child;
    c->reqid = qm->rekey ? sa->child.reqid : ike_next_reqid(sa->ike);
    c->local = sa->local;
    c->remote = sa->remote;
    c->encap = sa->nat_detected;
    c->spi_out = qm->esp.peer_spi;
    c->inner = sa->address;
    c->route_ifindex = sa->ifindex;
    if (qm->rekey) {
        /* The policies in place lead to the new SAs: same networks. */
        memcpy(c->networks, sa->child.networks, sizeof(c->networks));
        c->n_networks = sa->child.n_networks;
    }
    char err[300];
    int r = child_sa_allocate_spi(ike_xfrm(sa->ike), c, err, sizeof(err));
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Quick Mode: cannot allocate an SPI: %s", err);
        goto out;
    }
    sa->qm = qm;
    qm = NULL;
    if (ke_group) {
        struct pfs_job *j = calloc(1, sizeof(*j));
        if (!j) {
            ikev1_quick_free(sa);
            goto out;
        }
        j->sa = sa;
        j->group = ke_group;
        memcpy(j->peer_ke, ke.data, ke.len);
        j->peer_ke_len = ke.len;
        r = job_submit(ike_jobs(sa->ike), pfs_work, pfs_done, j, &sa->job);
        if (r < 0) {
            log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot start the PFS Diffie-Hellman: %s", strerror(-r));
            free(j);
            ikev1_quick_free(sa);
        }
        goto out;
    }
    send_quick2(sa, NULL, 0);
out:
    free(osa);
    if (qm) {
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
        .remote = sa->remote,
        .local = sa->local,
        .natt = sa->nat_detected,
        .login_realtime = now_usec(CLOCK_REALTIME),
        .login_monotonic = now_usec(CLOCK_MONOTONIC),
        .ops = &ops,
        .owner = sa,
    };
    snprintf(tmpl.user, sizeof(tmpl.user), "%s", sa->user);
    snprintf(tmpl.tunnel_group, sizeof(tmpl.tunnel_group), "%s", sa->group->name);
    snprintf(tmpl.group_policy, sizeof(tmpl.group_policy), "%s", sa->policy ? sa->policy->name : "");
    if (sa->grant) {
        memcpy(tmpl.radius_class, sa->grant->authz.class_, sa->grant->authz.class_len);
        tmpl.radius_class_len = sa->grant->authz.class_len;
    }
    snprintf(tmpl.encryption, sizeof(tmpl.encryption), "ESP %s, IKE %s/%s/%s", esp, sa->choice.encr->name,
             sa->choice.prf->name, sa->choice.dh->name);
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

void ikev1_handle_quick3(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr)
{
    struct log_ctx ctx;
    struct ikev1_quick *qm = sa->qm;
    ikev1_sa_log_ctx(sa, &ctx);
    (void)hdr;
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
    char err[300] = "";
    if (r < 0)
        snprintf(err, sizeof(err), "cannot derive the ESP keys: %s", strerror(-r));
    else {
        struct child_sa_params params = {
            .keys = &keys,
            .lifetime_seconds = qm->esp.lifetime,
            .lifetime_kilobytes = qm->esp.lifetime_kilobytes,
        };
        if (qm->rekey)
            r = child_sa_install_rekeyed(ike_xfrm(sa->ike), &qm->child, &params, err, sizeof(err));
        else
            r = child_sa_install(ike_xfrm(sa->ike), sa->ike->routes, &qm->child, &params, err, sizeof(err));
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
        ikev1_quick_free(sa);
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
    bool route = sa->has_child && sa->child.route_installed;
    if (qm->rekey) {
        if (sa->has_old_child)
            (void)child_sa_remove_sas(ike_xfrm(sa->ike), &sa->old_child);
        sa->old_child = sa->child;
        sa->old_child.route_installed = false;  /* the route stays with the new SAs */
        sa->has_old_child = true;
    }
    sa->child = qm->child;
    if (qm->rekey)
        sa->child.route_installed = route;
    sa->child.installed = true;
    qm->child.installed = true;         /* owned by sa->child now */
    sa->has_child = true;
    sa->esp = qm->esp;
    char esp[96];
    esp_text(&qm->esp, esp, sizeof(esp));
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "IPsec SA %s: spi in 0x%08x out 0x%08x, %s, lifetime %u s, proxy IDs "
                 "%s === %s%s", qm->rekey ? "rekeyed" : "installed", sa->child.spi_in, sa->child.spi_out, esp,
                 qm->esp.lifetime, qm->idci_text, qm->idcr_text, sa->child.encap ? ", ESP in UDP" : "");
    bool first = !qm->rekey;
    ikev1_quick_free(sa);
    if (first && !sa->session) {
        sa->ike->stats.handshakes_succeeded++;
        register_session(sa, esp);
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
                ikev1_sa_terminate(sa, false, "deleted by the client");
                return;
            }
            if (d.protocol != IKEV1_PROTO_IPSEC_ESP || d.spi_size != 4)
                continue;
            for (uint16_t k = 0; k < d.n_spis; k++) {
                uint32_t spi = wire_get32(d.spis + 4 * k);
                if (sa->has_old_child && spi == sa->old_child.spi_out) {
                    (void)child_sa_remove_sas(ike_xfrm(sa->ike), &sa->old_child);
                    sa->has_old_child = false;
                    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "rekeyed IPsec SA deleted by the client: spi in 0x%08x "
                                 "out 0x%08x", sa->old_child.spi_in, spi);
                } else if (sa->has_child && spi == sa->child.spi_out) {
                    if (sa->has_old_child) {
                        (void)child_sa_remove_sas(ike_xfrm(sa->ike), &sa->old_child);
                        sa->has_old_child = false;
                    }
                    int r = child_sa_remove(ike_xfrm(sa->ike), sa->ike->routes, &sa->child);
                    sa->has_child = false;
                    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "IPsec SA deleted by the client: spi in 0x%08x out "
                                 "0x%08x%s%s", sa->child.spi_in, spi, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
                } else
                    log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "DELETE for unknown ESP SPI 0x%08x", spi);
            }
        }
    }
}
