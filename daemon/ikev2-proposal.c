/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ikev2-proposal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Transform names for reasons and logs, IANA's without the common prefix. */
static const char *encr_name(uint16_t id)
{
    switch (id) {
    case 2:  return "DES";
    case 3:  return "3DES";
    case 11: return "NULL";
    case 12: return "AES_CBC";
    case 13: return "AES_CTR";
    case 14: return "AES_CCM_8";
    case 15: return "AES_CCM_12";
    case 16: return "AES_CCM_16";
    case 18: return "AES_GCM_8";
    case 19: return "AES_GCM_12";
    case 20: return "AES_GCM_16";
    case 23: return "CAMELLIA_CBC";
    case 28: return "CHACHA20_POLY1305";
    }
    return NULL;
}

static const char *integ_name(uint16_t id)
{
    switch (id) {
    case 1:  return "HMAC_MD5_96";
    case 2:  return "HMAC_SHA1_96";
    case 5:  return "AES_XCBC_96";
    case 12: return "HMAC_SHA2_256_128";
    case 13: return "HMAC_SHA2_384_192";
    case 14: return "HMAC_SHA2_512_256";
    }
    return NULL;
}

static const char *prf_name(uint16_t id)
{
    switch (id) {
    case 1: return "HMAC_MD5";
    case 2: return "HMAC_SHA1";
    case 4: return "AES128_XCBC";
    case 5: return "HMAC_SHA2_256";
    case 6: return "HMAC_SHA2_384";
    case 7: return "HMAC_SHA2_512";
    }
    return NULL;
}

static const char *dh_name(uint16_t id)
{
    switch (id) {
    case 0:  return "NONE";
    case 1:  return "MODP_768";
    case 2:  return "MODP_1024";
    case 5:  return "MODP_1536";
    case 14: return "MODP_2048";
    case 15: return "MODP_3072";
    case 16: return "MODP_4096";
    case 17: return "MODP_6144";
    case 18: return "MODP_8192";
    case 19: return "ECP_256";
    case 20: return "ECP_384";
    case 21: return "ECP_521";
    case 31: return "CURVE_25519";
    case 32: return "CURVE_448";
    }
    return NULL;
}

static int transform_format(const struct ikev2_transform *t, char *buf, size_t size)
{
    const char *prefix = "?", *name = NULL;
    switch (t->type) {
    case IKEV2_TRANSFORM_ENCR:  prefix = "ENCR";  name = encr_name(t->id);  break;
    case IKEV2_TRANSFORM_PRF:   prefix = "PRF";   name = prf_name(t->id);   break;
    case IKEV2_TRANSFORM_INTEG: prefix = "INTEG"; name = integ_name(t->id); break;
    case IKEV2_TRANSFORM_DH:    prefix = "DH";    name = dh_name(t->id);    break;
    case IKEV2_TRANSFORM_ESN:   prefix = "ESN";   name = t->id ? "YES" : "NO"; break;
    default:
        return snprintf(buf, size, "TRANSFORM_%u_%u", t->type, t->id);
    }
    if (!name)
        return snprintf(buf, size, "%s_%u", prefix, t->id);
    if (t->key_length)
        return snprintf(buf, size, "%s_%s-%u", prefix, name, t->key_length);
    return snprintf(buf, size, "%s_%s", prefix, name);
}

/* Whether an offered encryption transform is the configured algorithm.
 * AES needs the Key Length attribute to say the configured size. */
static bool encr_matches(const struct ikev2_transform *t, const struct config_algorithm *a)
{
    if (t->id != a->ikev2_id || t->unknown_attribute)
        return false;
    if (t->id == CRYPTO_ENCR_3DES)
        return t->key_length == 0 || t->key_length == 192;
    return t->key_length == a->key_bits;
}

static bool plain_matches(const struct ikev2_transform *t, const struct config_algorithm *a)
{
    return !t->unknown_attribute && t->id == a->ikev2_id;
}

/* Our preferred algorithm of `list` (config order) that the proposal
 * offers, or NULL. *chosen gets the offered transform. */
static const struct config_algorithm *pick(const struct ikev2_transform *tr, size_t n, uint8_t type,
                                           const struct config_algorithm **list, size_t n_list,
                                           const struct ikev2_transform **chosen)
{
    for (size_t a = 0; a < n_list; a++)
        for (size_t i = 0; i < n; i++) {
            if (tr[i].type != type)
                continue;
            bool ok = type == IKEV2_TRANSFORM_ENCR ? encr_matches(&tr[i], list[a]) : plain_matches(&tr[i], list[a]);
            if (ok) {
                *chosen = &tr[i];
                return list[a];
            }
        }
    return NULL;
}

static bool offers_type(const struct ikev2_transform *tr, size_t n, uint8_t type)
{
    for (size_t i = 0; i < n; i++)
        if (tr[i].type == type)
            return true;
    return false;
}

/* "ENCR_AES_CBC-128, ENCR_3DES": the offered transforms of one type. */
static void offered_list(const struct ikev2_transform *tr, size_t n, uint8_t type, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++) {
        if (tr[i].type != type)
            continue;
        char one[64];
        transform_format(&tr[i], one, sizeof(one));
        int w = snprintf(buf + used, size - used, "%s%s", used ? "/" : "", one);
        if (w < 0)
            break;
        used += (size_t)w >= size - used ? size - used - 1 : (size_t)w;
    }
}

static void reject_missing(ikev2_reject_fn reject, void *ud, const struct ikev2_proposal *pr,
                           const struct ikev2_transform *tr, uint8_t type, const char *kind,
                           const char *name, const char *type_name)
{
    if (!reject)
        return;
    char offered[IKEV2_REASON_MAX / 2], reason[IKEV2_REASON_MAX];
    offered_list(tr, pr->n_transforms, type, offered, sizeof(offered));
    if (offered[0])
        snprintf(reason, sizeof(reason), "proposal %u: %s not in %s '%s'", pr->number, offered, kind, name);
    else
        snprintf(reason, sizeof(reason), "proposal %u: no %s transform, %s '%s' needs one",
                 pr->number, type_name, kind, name);
    reject(reason, ud);
}

int ikev2_choose_ike(const struct ikev2_sa *offered, const struct config_ike_proposal *const *conf,
                     size_t n_conf, struct ikev2_ike_choice *out, ikev2_reject_fn reject, void *ud)
{
    bool any = false;
    for (size_t c = 0; c < n_conf; c++) {
        const struct config_ike_proposal *cp = conf[c];
        for (size_t p = 0; p < offered->n_proposals; p++) {
            const struct ikev2_proposal *pr = &offered->proposals[p];
            if (pr->protocol != IKEV2_PROTOCOL_IKE)
                continue;
            any = true;
            const struct ikev2_transform *tr = ikev2_proposal_transforms(offered, pr);
            const struct ikev2_transform *te = NULL, *ti = NULL, *tp = NULL, *td = NULL;
            const struct config_algorithm *e, *i = NULL, *f, *d;

            if (!(e = pick(tr, pr->n_transforms, IKEV2_TRANSFORM_ENCR, cp->encryption, cp->n_encryption, &te))) {
                reject_missing(reject, ud, pr, tr, IKEV2_TRANSFORM_ENCR, "ike-proposal", cp->name, "ENCR");
                continue;
            }
            if (!cp->aead &&
                !(i = pick(tr, pr->n_transforms, IKEV2_TRANSFORM_INTEG, cp->integrity, cp->n_integrity, &ti))) {
                reject_missing(reject, ud, pr, tr, IKEV2_TRANSFORM_INTEG, "ike-proposal", cp->name, "INTEG");
                continue;
            }
            if (!(f = pick(tr, pr->n_transforms, IKEV2_TRANSFORM_PRF, cp->prf, cp->n_prf, &tp))) {
                reject_missing(reject, ud, pr, tr, IKEV2_TRANSFORM_PRF, "ike-proposal", cp->name, "PRF");
                continue;
            }
            if (!(d = pick(tr, pr->n_transforms, IKEV2_TRANSFORM_DH, cp->dh_groups, cp->n_dh_groups, &td))) {
                reject_missing(reject, ud, pr, tr, IKEV2_TRANSFORM_DH, "ike-proposal", cp->name, "DH");
                continue;
            }
            if (offers_type(tr, pr->n_transforms, IKEV2_TRANSFORM_ESN)) {
                if (reject) {
                    char reason[IKEV2_REASON_MAX];
                    snprintf(reason, sizeof(reason), "proposal %u: ESN is not an IKE transform", pr->number);
                    reject(reason, ud);
                }
                continue;
            }
            struct ikev2_ike_choice ch = {
                .config = cp,
                .number = pr->number,
                .encr = crypto_encr_find(e->ikev2_id, te->key_length),
                .integ = i ? crypto_integ_find(i->ikev2_id) : NULL,
                .prf = crypto_prf_find(f->ikev2_id),
                .dh = crypto_dh_group_find(d->ikev2_id),
                .encr_key_bits = te->key_length,
            };
            if (!ch.encr || (i && !ch.integ) || !ch.prf || !ch.dh) {
                if (reject) {
                    char reason[IKEV2_REASON_MAX];
                    snprintf(reason, sizeof(reason), "proposal %u: an algorithm of ike-proposal '%s' is not "
                             "implemented by the crypto library", pr->number, cp->name);
                    reject(reason, ud);
                }
                continue;
            }
            *out = ch;
            return 0;
        }
    }
    return any ? -ENOENT : -EINVAL;
}

/* ke_group: the group of the request's KE payload (a CHILD SA rekey with
 * PFS), 0 without one. */
static int choose_esp(const struct ikev2_sa *offered, const struct config_esp_proposal *const *conf,
                      size_t n_conf, uint16_t ke_group, struct ikev2_esp_choice *out, ikev2_reject_fn reject,
                      void *ud)
{
    bool any = false;
    for (size_t c = 0; c < n_conf; c++) {
        const struct config_esp_proposal *cp = conf[c];
        for (size_t p = 0; p < offered->n_proposals; p++) {
            const struct ikev2_proposal *pr = &offered->proposals[p];
            if (pr->protocol != IKEV2_PROTOCOL_ESP || pr->spi_size != 4)
                continue;
            any = true;
            const struct ikev2_transform *tr = ikev2_proposal_transforms(offered, pr);
            const struct ikev2_transform *te = NULL, *ti = NULL;
            const struct config_algorithm *e, *i = NULL;
            char reason[IKEV2_REASON_MAX];

            if (!(e = pick(tr, pr->n_transforms, IKEV2_TRANSFORM_ENCR, cp->encryption, cp->n_encryption, &te))) {
                reject_missing(reject, ud, pr, tr, IKEV2_TRANSFORM_ENCR, "esp-proposal", cp->name, "ENCR");
                continue;
            }
            if (!cp->aead &&
                !(i = pick(tr, pr->n_transforms, IKEV2_TRANSFORM_INTEG, cp->integrity, cp->n_integrity, &ti))) {
                reject_missing(reject, ud, pr, tr, IKEV2_TRANSFORM_INTEG, "esp-proposal", cp->name, "INTEG");
                continue;
            }
            if (cp->aead && offers_type(tr, pr->n_transforms, IKEV2_TRANSFORM_INTEG)) {
                /* RFC 7296: with AEAD, INTEG must be absent or NONE. */
                bool only_none = true;
                for (size_t k = 0; k < pr->n_transforms; k++)
                    if (tr[k].type == IKEV2_TRANSFORM_INTEG && tr[k].id != IKEV2_INTEG_NONE)
                        only_none = false;
                if (!only_none) {
                    if (reject) {
                        snprintf(reason, sizeof(reason), "proposal %u: AEAD cipher with an integrity transform",
                                 pr->number);
                        reject(reason, ud);
                    }
                    continue;
                }
            }
            /* With a KE payload the proposal must offer its group and the
             * esp-proposal list it under pfs-group (RFC 7296 1.3.1); without
             * one, a DH transform must allow NONE. */
            bool dh_ok = true;
            const struct crypto_dh_group *pfs = NULL;
            if (ke_group) {
                bool offered_ke = false, configured = false;
                for (size_t k = 0; k < pr->n_transforms; k++)
                    if (tr[k].type == IKEV2_TRANSFORM_DH && tr[k].id == ke_group)
                        offered_ke = true;
                for (size_t k = 0; k < cp->n_pfs_groups; k++)
                    if (cp->pfs_groups[k]->ikev2_id == ke_group)
                        configured = true;
                pfs = offered_ke && configured ? crypto_dh_group_find(ke_group) : NULL;
                if (!pfs) {
                    if (reject) {
                        snprintf(reason, sizeof(reason), "proposal %u: PFS with %s is not %s%s%s", pr->number,
                                 dh_name(ke_group) ? dh_name(ke_group) : "the KE payload's group",
                                 offered_ke ? "a pfs-group of esp-proposal '" : "offered with the KE payload",
                                 offered_ke ? cp->name : "", offered_ke ? "'" : "");
                        reject(reason, ud);
                    }
                    continue;
                }
            } else if (offers_type(tr, pr->n_transforms, IKEV2_TRANSFORM_DH)) {
                dh_ok = false;
                for (size_t k = 0; k < pr->n_transforms; k++)
                    if (tr[k].type == IKEV2_TRANSFORM_DH && tr[k].id == IKEV2_DH_NONE)
                        dh_ok = true;
            }
            if (!dh_ok) {
                if (reject) {
                    char groups[IKEV2_REASON_MAX / 2];
                    offered_list(tr, pr->n_transforms, IKEV2_TRANSFORM_DH, groups, sizeof(groups));
                    snprintf(reason, sizeof(reason), "proposal %u: PFS (%s) is not offered by esp-proposal '%s'",
                             pr->number, groups, cp->name);
                    reject(reason, ud);
                }
                continue;
            }
            /* ESN: the kernel could, but vpnd installs 32-bit sequence
             * numbers; accept a proposal that allows "no ESN" (or says nothing). */
            bool esn_ok = !offers_type(tr, pr->n_transforms, IKEV2_TRANSFORM_ESN);
            for (size_t k = 0; k < pr->n_transforms; k++)
                if (tr[k].type == IKEV2_TRANSFORM_ESN && tr[k].id == IKEV2_ESN_NO)
                    esn_ok = true;
            if (!esn_ok) {
                if (reject) {
                    snprintf(reason, sizeof(reason), "proposal %u: only extended sequence numbers offered",
                             pr->number);
                    reject(reason, ud);
                }
                continue;
            }
            struct ikev2_esp_choice ch = {
                .config = cp,
                .number = pr->number,
                .peer_spi = (uint32_t)pr->spi[0] << 24 | (uint32_t)pr->spi[1] << 16 |
                            (uint32_t)pr->spi[2] << 8 | pr->spi[3],
                .encr = crypto_encr_find(e->ikev2_id, te->key_length),
                .integ = i ? crypto_integ_find(i->ikev2_id) : NULL,
                .encr_key_bits = te->key_length,
                .dh = pfs,
            };
            if (!ch.encr || (i && !ch.integ)) {
                if (reject) {
                    snprintf(reason, sizeof(reason), "proposal %u: an algorithm of esp-proposal '%s' is not "
                             "implemented by the crypto library", pr->number, cp->name);
                    reject(reason, ud);
                }
                continue;
            }
            *out = ch;
            return 0;
        }
    }
    return any ? -ENOENT : -EINVAL;
}

static bool list_has(const struct config_algorithm **list, size_t n, uint16_t id, uint16_t key_bits,
                     bool check_bits)
{
    for (size_t i = 0; i < n; i++)
        if (list[i]->ikev2_id == id && (!check_bits || id == CRYPTO_ENCR_3DES || list[i]->key_bits == key_bits))
            return true;
    return false;
}

bool ikev2_ike_choice_allowed(const struct ikev2_ike_choice *ch, const struct config_ike_proposal *const *conf,
                              size_t n_conf)
{
    for (size_t c = 0; c < n_conf; c++) {
        const struct config_ike_proposal *cp = conf[c];
        if (!list_has(cp->encryption, cp->n_encryption, ch->encr->ikev2_id, ch->encr->key_bits, true))
            continue;
        if (ch->integ && !list_has(cp->integrity, cp->n_integrity, ch->integ->ikev2_id, 0, false))
            continue;
        if (!ch->integ && !cp->aead)
            continue;
        if (!list_has(cp->prf, cp->n_prf, ch->prf->ikev2_id, 0, false))
            continue;
        if (!list_has(cp->dh_groups, cp->n_dh_groups, ch->dh->ikev2_id, 0, false))
            continue;
        return true;
    }
    return false;
}

size_t ikev2_ike_choice_transforms(const struct ikev2_ike_choice *c, struct ikev2_transform *t)
{
    size_t n = 0;
    t[n++] = (struct ikev2_transform){ .type = IKEV2_TRANSFORM_ENCR, .id = c->encr->ikev2_id,
                                       .key_length = c->encr_key_bits };
    t[n++] = (struct ikev2_transform){ .type = IKEV2_TRANSFORM_PRF, .id = c->prf->ikev2_id };
    if (c->integ)
        t[n++] = (struct ikev2_transform){ .type = IKEV2_TRANSFORM_INTEG, .id = c->integ->ikev2_id };
    t[n++] = (struct ikev2_transform){ .type = IKEV2_TRANSFORM_DH, .id = c->dh->ikev2_id };
    return n;
}

int ikev2_choose_esp(const struct ikev2_sa *offered, const struct config_esp_proposal *const *conf,
                     size_t n_conf, struct ikev2_esp_choice *out, ikev2_reject_fn reject, void *ud)
{
    return choose_esp(offered, conf, n_conf, 0, out, reject, ud);
}

int ikev2_choose_esp_pfs(const struct ikev2_sa *offered, const struct config_esp_proposal *const *conf,
                         size_t n_conf, uint16_t ke_group, struct ikev2_esp_choice *out, ikev2_reject_fn reject,
                         void *ud)
{
    return choose_esp(offered, conf, n_conf, ke_group, out, reject, ud);
}

size_t ikev2_esp_choice_transforms(const struct ikev2_esp_choice *c, struct ikev2_transform *t)
{
    size_t n = 0;
    t[n++] = (struct ikev2_transform){ .type = IKEV2_TRANSFORM_ENCR, .id = c->encr->ikev2_id,
                                       .key_length = c->encr_key_bits };
    if (c->integ)
        t[n++] = (struct ikev2_transform){ .type = IKEV2_TRANSFORM_INTEG, .id = c->integ->ikev2_id };
    if (c->dh)
        t[n++] = (struct ikev2_transform){ .type = IKEV2_TRANSFORM_DH, .id = c->dh->ikev2_id };
    t[n++] = (struct ikev2_transform){ .type = IKEV2_TRANSFORM_ESN, .id = IKEV2_ESN_NO };
    return n;
}

int ikev2_ike_choice_format(const struct ikev2_ike_choice *c, char *buf, size_t size)
{
    return snprintf(buf, size, "%s%s%s/%s/%s", c->encr->name, c->integ ? "/" : "",
                    c->integ ? c->integ->name : "", c->prf->name, c->dh->name);
}

int ikev2_esp_choice_format(const struct ikev2_esp_choice *c, char *buf, size_t size)
{
    return snprintf(buf, size, "%s%s%s", c->encr->name, c->integ ? "/" : "", c->integ ? c->integ->name : "");
}
