/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ESP transform of a Quick Mode (see ikev1-quick-proposal.h).
 */
#include <stdio.h>
#include <string.h>

#include "ikev1-quick-proposal.h"

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

static bool esp_matches(const struct ikev1_esp_want *w, uint8_t transform_id, const struct esp_offer *o,
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
    if (w->nat_detected)
        want_encap = w->natt_rfc3947 ? IKEV1_ENCAP_UDP_TUNNEL : IKEV1_ENCAP_UDP_TUNNEL_DRAFT;
    if (o->encap != want_encap && !(w->nat_detected && (o->encap == IKEV1_ENCAP_UDP_TUNNEL ||
                                                        o->encap == IKEV1_ENCAP_UDP_TUNNEL_DRAFT)))
        return snprintf(why, len, "Rcv'd encapsulation mode %u, cfg'd %u (tunnel%s)", o->encap, want_encap,
                        w->nat_detected ? " in UDP" : ""), false;
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
    else if (w->require_pfs)
        return snprintf(why, len, "no PFS, but group policy %s requires it", w->policy_name ? w->policy_name : "?"),
               false;
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

static bool is_bundle(const struct ikev1_sa *osa, size_t p)
{
    const struct ikev1_proposal *pr = &osa->proposals[p];
    return (p > 0 && osa->proposals[p - 1].number == pr->number) ||
           (p + 1 < osa->n_proposals && osa->proposals[p + 1].number == pr->number);
}

bool ikev1_esp_choose(const struct ikev1_esp_want *want, const struct ikev1_sa *osa,
                      const struct crypto_dh_group *ke_group, struct ikev1_esp_choice *c,
                      ikev1_esp_reject_fn reject, void *userdata)
{
    char why[200], line[320];
    for (size_t p = 0; p < osa->n_proposals; p++) {
        const struct ikev1_proposal *pr = &osa->proposals[p];
        if (is_bundle(osa, p)) {
            /* Once per bundle: at its first part. */
            if (reject && (p == 0 || osa->proposals[p - 1].number != pr->number)) {
                size_t parts = 0;
                bool ipcomp = false;
                for (size_t k = p; k < osa->n_proposals && osa->proposals[k].number == pr->number; k++) {
                    parts++;
                    ipcomp = ipcomp || osa->proposals[k].protocol == IKEV1_PROTO_IPCOMP;
                }
                snprintf(line, sizeof(line), "IPsec SA proposal %u rejected: a bundle of %zu protocols%s (only ESP "
                         "alone is supported)", pr->number, parts, ipcomp ? " with IPComp" : "");
                reject(userdata, line);
            }
            continue;
        }
        if (pr->protocol != IKEV1_PROTO_IPSEC_ESP || pr->spi_size != 4) {
            if (reject) {
                snprintf(line, sizeof(line), "IPsec SA proposal %u (protocol %u, %u-octet SPI) rejected: ESP with a "
                         "4-octet SPI only", pr->number, pr->protocol, pr->spi_size);
                reject(userdata, line);
            }
            continue;
        }
        const struct ikev1_transform *ts = ikev1_proposal_transforms(osa, pr);
        for (size_t t = 0; t < pr->n_transforms; t++) {
            struct esp_offer o;
            esp_offer_parse(osa, &ts[t], &o);
            for (size_t k = 0; k < want->n_proposals; k++) {
                memset(c, 0, sizeof(*c));
                if (esp_matches(want, ts[t].id, &o, want->proposals[k], ke_group, c, why, sizeof(why))) {
                    c->proposal_number = pr->number;
                    c->transform_number = ts[t].number;
                    c->peer_spi = wire_get32(pr->spi);
                    return true;
                }
                if (reject) {
                    snprintf(line, sizeof(line), "IPsec SA proposal %u transform %u rejected by esp-proposal '%s': "
                             "%s", pr->number, ts[t].number, want->proposals[k]->name, why);
                    reject(userdata, line);
                }
            }
        }
    }
    memset(c, 0, sizeof(*c));
    return false;
}

bool ikev1_esp_responder_lifetime_due(const struct ikev1_esp_choice *c)
{
    return !c->offered_lifetime || c->lifetime < c->offered_lifetime;
}

void ikev1_esp_text(const struct ikev1_esp_choice *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s", c->encr->name, c->integ ? "/" : "", c->integ ? c->integ->name : "",
             c->pfs ? "/PFS " : "", c->pfs ? c->pfs->name : "");
}
