/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ike-proposals and esp-proposals: named, ordered algorithm sets (ASA:
 * `crypto ikev2 policy` / `crypto isakmp policy` and `crypto ipsec
 * ikev2 ipsec-proposal` / `transform-set`). Tunnel groups reference them by
 * name, in preference order.
 *
 * Rules an admin can rely on: nothing has a default cipher (a proposal says
 * what it offers); legacy algorithms are accepted only when named and give
 * a warning; an AEAD cipher (AES-GCM) takes no integrity algorithm and a
 * proposal never mixes AEAD with non-AEAD ciphers (RFC 7296 3.3 requires
 * them in separate proposals: write two).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"

#define IKE_LIFETIME_DEFAULT 86400ULL
#define IKE_LIFETIME_MIN 120ULL
#define IKE_LIFETIME_MAX 2147483ULL         /* the ASA's limit, ~24.8 days */
#define ESP_LIFETIME_DEFAULT 28800ULL
#define ESP_LIFETIME_MIN 120ULL
#define ESP_LIFETIME_MAX 2147483647ULL
#define ESP_KILOBYTES_DEFAULT 4608000ULL
#define ESP_KILOBYTES_MIN 10ULL
#define ESP_KILOBYTES_MAX 2147483647ULL

static const char *kind_key(enum config_algorithm_kind kind, bool esp)
{
    switch (kind) {
    case CONFIG_ALG_ENCRYPTION: return "encryption";
    case CONFIG_ALG_INTEGRITY:  return "integrity";
    case CONFIG_ALG_PRF:        return "prf";
    case CONFIG_ALG_DH:         return esp ? "pfs-group" : "dh-group";
    }
    return "?";
}

/* Reads one algorithm list member into a new array of table pointers. */
static int parse_algorithms(struct config_parser *p, const config_setting_t *group, const char *what,
                            enum config_algorithm_kind kind, bool esp,
                            const struct config_algorithm ***ret, size_t *n_ret)
{
    const char *key = kind_key(kind, esp);
    const config_setting_t *list;
    int n = config_member_list(p, group, what, key, &list);
    if (n < 0)
        return n;
    if (list && n == 0)
        return config_fail(p, list, "%s: '%s' must not be empty", what, key);
    if (n == 0)
        return 0;

    const struct config_algorithm **algs = calloc((size_t)n, sizeof(*algs));
    if (!algs)
        return config_fail_errno(p, list, ENOMEM, "out of memory");
    *ret = algs;

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_list_elem(list, i);
        char number[24];
        const char *kw;

        /* DH groups are numbers (ASA: "group 14"); names are allowed too. */
        if (kind == CONFIG_ALG_DH && config_setting_type(e) == CONFIG_TYPE_INT) {
            snprintf(number, sizeof(number), "%d", config_setting_get_int(e));
            kw = number;
        } else if (config_setting_type(e) == CONFIG_TYPE_STRING) {
            kw = config_setting_get_string(e);
        } else {
            return config_fail(p, e, "%s: '%s' must list %s", what, key,
                               kind == CONFIG_ALG_DH ? "group numbers" : "algorithm names");
        }

        const struct config_algorithm *a = config_algorithm_find(kind, esp, kw);
        if (!a) {
            char known[256];
            return config_fail(p, e, "%s: unknown %s '%s' (known: %s)", what, key, kw,
                               config_algorithm_keywords(kind, known, sizeof(known)));
        }
        for (size_t j = 0; j < *n_ret; j++)
            if (algs[j] == a)
                return config_fail(p, e, "%s: %s '%s' is listed twice", what, key, kw);
        if (a->legacy) {
            int r = config_warn(p, e, "%s: %s '%s' is a legacy algorithm, accepted because it is named "
                                "explicitly", what, key, kw);
            if (r < 0)
                return r;
        }
        algs[(*n_ret)++] = a;
    }
    return 0;
}

/* AEAD rules shared by IKE and ESP proposals; returns the aead flag. */
static int check_aead(struct config_parser *p, const config_setting_t *s, const char *what,
                      const struct config_algorithm **encr, size_t n_encr, size_t n_integ, bool *aead)
{
    *aead = encr[0]->aead;
    for (size_t i = 1; i < n_encr; i++)
        if (encr[i]->aead != *aead)
            return config_fail(p, config_member(s, "encryption"),
                               "%s: AES-GCM and non-AEAD ciphers cannot share a proposal; "
                               "write two proposals", what);
    if (*aead && n_integ > 0)
        return config_fail(p, config_member(s, "integrity"),
                           "%s: AES-GCM provides integrity itself; remove 'integrity'", what);
    if (!*aead && n_integ == 0)
        return config_fail(p, s, "%s: 'integrity' is missing", what);
    return 0;
}

static int parse_ike_proposal(struct config_parser *p, const config_setting_t *s, struct config_ike_proposal *ip)
{
    static const char *const keys[] = {
        "name", "encryption", "integrity", "prf", "dh-group", "lifetime-seconds", NULL
    };
    char what[128];
    int r;

    r = config_named_entry(p, s, "ike-proposal", keys, what, sizeof(what), &ip->name, &ip->line);
    if (r < 0)
        return r;

    r = parse_algorithms(p, s, what, CONFIG_ALG_ENCRYPTION, false, &ip->encryption, &ip->n_encryption);
    if (r >= 0)
        r = parse_algorithms(p, s, what, CONFIG_ALG_INTEGRITY, false, &ip->integrity, &ip->n_integrity);
    if (r >= 0)
        r = parse_algorithms(p, s, what, CONFIG_ALG_PRF, false, &ip->prf, &ip->n_prf);
    if (r >= 0)
        r = parse_algorithms(p, s, what, CONFIG_ALG_DH, false, &ip->dh_groups, &ip->n_dh_groups);
    if (r < 0)
        return r;
    if (ip->n_encryption == 0)
        return config_fail(p, s, "%s: 'encryption' is missing", what);
    r = check_aead(p, s, what, ip->encryption, ip->n_encryption, ip->n_integrity, &ip->aead);
    if (r < 0)
        return r;
    if (ip->n_dh_groups == 0)
        return config_fail(p, s, "%s: 'dh-group' is missing", what);

    if (ip->n_prf == 0) {
        /* Without a PRF list, IKEv2 uses the integrity hashes as PRFs
         * (what the ASA does); with AES-GCM there is nothing to derive from. */
        if (ip->aead)
            return config_fail(p, s, "%s: 'prf' is missing (AES-GCM proposals must name their PRF)", what);
        ip->prf = calloc(ip->n_integrity, sizeof(*ip->prf));
        if (!ip->prf)
            return config_fail_errno(p, s, ENOMEM, "out of memory");
        for (size_t i = 0; i < ip->n_integrity; i++)
            ip->prf[ip->n_prf++] = config_algorithm_find(CONFIG_ALG_PRF, false, ip->integrity[i]->keyword);
    }

    unsigned long long life = IKE_LIFETIME_DEFAULT;
    r = config_member_uint(p, s, what, "lifetime-seconds", IKE_LIFETIME_MIN, IKE_LIFETIME_MAX, &life);
    if (r < 0)
        return r;
    ip->lifetime_seconds = (uint32_t)life;
    return 0;
}

static int parse_esp_proposal(struct config_parser *p, const config_setting_t *s, struct config_esp_proposal *ep)
{
    static const char *const keys[] = {
        "name", "encryption", "integrity", "pfs-group", "lifetime-seconds", "lifetime-kilobytes", NULL
    };
    char what[128];
    int r;

    r = config_named_entry(p, s, "esp-proposal", keys, what, sizeof(what), &ep->name, &ep->line);
    if (r < 0)
        return r;

    r = parse_algorithms(p, s, what, CONFIG_ALG_ENCRYPTION, true, &ep->encryption, &ep->n_encryption);
    if (r >= 0)
        r = parse_algorithms(p, s, what, CONFIG_ALG_INTEGRITY, true, &ep->integrity, &ep->n_integrity);
    if (r >= 0)
        r = parse_algorithms(p, s, what, CONFIG_ALG_DH, true, &ep->pfs_groups, &ep->n_pfs_groups);
    if (r < 0)
        return r;
    if (ep->n_encryption == 0)
        return config_fail(p, s, "%s: 'encryption' is missing", what);
    r = check_aead(p, s, what, ep->encryption, ep->n_encryption, ep->n_integrity, &ep->aead);
    if (r < 0)
        return r;

    unsigned long long life = ESP_LIFETIME_DEFAULT, kb = ESP_KILOBYTES_DEFAULT;
    r = config_member_uint(p, s, what, "lifetime-seconds", ESP_LIFETIME_MIN, ESP_LIFETIME_MAX, &life);
    if (r < 0)
        return r;
    /* 0 = no volume limit (ASA: "lifetime kilobytes unlimited"). */
    const config_setting_t *kbs = config_member(s, "lifetime-kilobytes");
    if (kbs) {
        r = config_get_uint(p, kbs, what, 0, ESP_KILOBYTES_MAX, &kb);
        if (r < 0)
            return r;
        if (kb != 0 && kb < ESP_KILOBYTES_MIN)
            return config_fail(p, kbs, "%s: 'lifetime-kilobytes' must be 0 (no limit) or between %llu and %llu",
                               what, ESP_KILOBYTES_MIN, ESP_KILOBYTES_MAX);
    }
    ep->lifetime_seconds = (uint32_t)life;
    ep->lifetime_kilobytes = kb;
    return 0;
}

int config_parse_ike_proposals(struct config_parser *p, const config_setting_t *s)
{
    struct vpnd_config *c = p->config;
    if (!s)
        return 0;
    int n = config_section_list(p, s, "ike-proposals");
    if (n <= 0)
        return n;
    c->ike_proposals = calloc((size_t)n, sizeof(*c->ike_proposals));
    if (!c->ike_proposals)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        c->n_ike_proposals++;
        int r = parse_ike_proposal(p, e, &c->ike_proposals[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

int config_parse_esp_proposals(struct config_parser *p, const config_setting_t *s)
{
    struct vpnd_config *c = p->config;
    if (!s)
        return 0;
    int n = config_section_list(p, s, "esp-proposals");
    if (n <= 0)
        return n;
    c->esp_proposals = calloc((size_t)n, sizeof(*c->esp_proposals));
    if (!c->esp_proposals)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        c->n_esp_proposals++;
        int r = parse_esp_proposal(p, e, &c->esp_proposals[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

void config_ike_proposal_done(struct config_ike_proposal *ip)
{
    free(ip->name);
    free(ip->encryption);
    free(ip->integrity);
    free(ip->prf);
    free(ip->dh_groups);
}

void config_esp_proposal_done(struct config_esp_proposal *ep)
{
    free(ep->name);
    free(ep->encryption);
    free(ep->integrity);
    free(ep->pfs_groups);
}
