/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The generator's proposals. The benchmark hands the same strings to
 * charon, so they are written in strongSwan's syntax
 * ("aes128gcm16-prfsha256-x25519"); each token is looked up in vpnd.conf's
 * algorithm table (config_algorithm_find), so vpnd's keywords work too. The
 * result is a struct config_ike_proposal / config_esp_proposal, which lets
 * ikev2_choose_ike/esp (the responder's own selection code) check the
 * responder's answer against what we offered.
 */
#include "loadgen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "ikev2-constants.h"

/* strongSwan spellings vpnd.conf does not know. */
static const char *alias(const char *token)
{
    if (strcmp(token, "x25519") == 0)
        return "curve25519";
    if (strcmp(token, "aes128gcm") == 0)
        return "aes128gcm16";
    if (strcmp(token, "aes256gcm") == 0)
        return "aes256gcm16";
    return token;
}

enum { ALG_ENCR, ALG_INTEG, ALG_PRF, ALG_DH };

static int add(const struct config_algorithm **list, size_t *n, const struct config_algorithm *a)
{
    for (size_t i = 0; i < *n; i++)
        if (list[i] == a)
            return 0;
    if (*n >= 4)
        return -EINVAL;
    list[(*n)++] = a;
    return 0;
}

int lg_suite_parse(struct lg_suite *s, const char *ike, const char *esp, char *err, size_t err_len)
{
    char buf[256], *save = NULL;
    size_t n[4] = { 0 };

    memset(s, 0, sizeof(*s));
    if (strlen(ike) >= sizeof(buf) || strlen(esp) >= sizeof(buf)) {
        snprintf(err, err_len, "proposal too long");
        return -EINVAL;
    }
    strcpy(buf, ike);
    bool explicit_prf = false;
    for (char *t = strtok_r(buf, "-", &save); t; t = strtok_r(NULL, "-", &save)) {
        const struct config_algorithm *a;
        const char *k = alias(t);
        int r = 0;
        if (strncmp(k, "prf", 3) == 0) {
            a = config_algorithm_find(CONFIG_ALG_PRF, false, k + 3);
            if (a) {
                r = add(s->ike_algs[ALG_PRF], &n[ALG_PRF], a);
                explicit_prf = true;
            }
        } else if ((a = config_algorithm_find(CONFIG_ALG_ENCRYPTION, false, k))) {
            r = add(s->ike_algs[ALG_ENCR], &n[ALG_ENCR], a);
        } else if ((a = config_algorithm_find(CONFIG_ALG_DH, false, k))) {
            r = add(s->ike_algs[ALG_DH], &n[ALG_DH], a);
        } else if ((a = config_algorithm_find(CONFIG_ALG_INTEGRITY, false, k))) {
            r = add(s->ike_algs[ALG_INTEG], &n[ALG_INTEG], a);
            /* strongSwan: an integrity algorithm also names the PRF unless one is given. */
            const struct config_algorithm *p = config_algorithm_find(CONFIG_ALG_PRF, false, k);
            if (r == 0 && p && !explicit_prf)
                r = add(s->ike_algs[ALG_PRF], &n[ALG_PRF], p);
        }
        if (!a || r < 0) {
            snprintf(err, err_len, "IKE proposal '%s': %s '%s'", ike, a ? "too many of" : "unknown algorithm", t);
            return -EINVAL;
        }
    }
    if (!n[ALG_ENCR] || !n[ALG_PRF] || !n[ALG_DH]) {
        snprintf(err, err_len, "IKE proposal '%s' needs encryption, a PRF and a DH group", ike);
        return -EINVAL;
    }
    s->ike.name = (char *)"loadgen";
    s->ike.encryption = s->ike_algs[ALG_ENCR];  s->ike.n_encryption = n[ALG_ENCR];
    s->ike.integrity = s->ike_algs[ALG_INTEG];  s->ike.n_integrity = n[ALG_INTEG];
    s->ike.prf = s->ike_algs[ALG_PRF];          s->ike.n_prf = n[ALG_PRF];
    s->ike.dh_groups = s->ike_algs[ALG_DH];     s->ike.n_dh_groups = n[ALG_DH];
    s->ike.aead = s->ike_algs[ALG_ENCR][0]->aead;
    if (!s->ike.aead && !n[ALG_INTEG]) {
        snprintf(err, err_len, "IKE proposal '%s' needs an integrity algorithm", ike);
        return -EINVAL;
    }
    if (s->ike.aead)
        s->ike.n_integrity = 0;
    s->ike.lifetime_seconds = 86400;
    s->ike_list[0] = &s->ike;
    s->dh_group = s->ike_algs[ALG_DH][0]->ikev2_id;

    size_t m[2] = { 0 };
    strcpy(buf, esp);
    for (char *t = strtok_r(buf, "-", &save); t; t = strtok_r(NULL, "-", &save)) {
        const struct config_algorithm *a;
        const char *k = alias(t);
        int r = 0;
        if (strcmp(k, "noesn") == 0)
            continue;
        if ((a = config_algorithm_find(CONFIG_ALG_ENCRYPTION, true, k)))
            r = add(s->esp_algs[0], &m[0], a);
        else if ((a = config_algorithm_find(CONFIG_ALG_INTEGRITY, true, k)))
            r = add(s->esp_algs[1], &m[1], a);
        if (!a || r < 0) {
            snprintf(err, err_len, "ESP proposal '%s': %s '%s'", esp, a ? "too many of" : "unknown algorithm", t);
            return -EINVAL;
        }
    }
    if (!m[0] || (!s->esp_algs[0][0]->aead && !m[1])) {
        snprintf(err, err_len, "ESP proposal '%s' needs encryption (and integrity without AEAD)", esp);
        return -EINVAL;
    }
    s->esp.name = (char *)"loadgen";
    s->esp.encryption = s->esp_algs[0];  s->esp.n_encryption = m[0];
    s->esp.integrity = s->esp_algs[1];   s->esp.n_integrity = s->esp_algs[0][0]->aead ? 0 : m[1];
    s->esp.aead = s->esp_algs[0][0]->aead;
    s->esp.lifetime_seconds = 28800;
    s->esp_list[0] = &s->esp;
    return 0;
}

static void push(struct ikev2_sa *sa, uint8_t type, const struct config_algorithm *a)
{
    struct ikev2_transform *t = &sa->transforms[sa->n_transforms++];
    t->type = type;
    t->id = a ? a->ikev2_id : IKEV2_ESN_NO;
    t->key_length = type == IKEV2_TRANSFORM_ENCR && a->ikev2_id != CRYPTO_ENCR_3DES ? a->key_bits : 0;
    t->unknown_attribute = false;
}

void lg_suite_ike_offer(const struct lg_suite *s, struct ikev2_sa *out)
{
    memset(out, 0, offsetof(struct ikev2_sa, transforms));
    out->n_transforms = 0;
    out->n_proposals = 1;
    struct ikev2_proposal *p = &out->proposals[0];
    p->number = 1;
    p->protocol = IKEV2_PROTOCOL_IKE;
    p->spi_size = 0;
    p->first_transform = 0;
    for (size_t i = 0; i < s->ike.n_encryption; i++)
        push(out, IKEV2_TRANSFORM_ENCR, s->ike.encryption[i]);
    for (size_t i = 0; i < s->ike.n_integrity; i++)
        push(out, IKEV2_TRANSFORM_INTEG, s->ike.integrity[i]);
    for (size_t i = 0; i < s->ike.n_prf; i++)
        push(out, IKEV2_TRANSFORM_PRF, s->ike.prf[i]);
    for (size_t i = 0; i < s->ike.n_dh_groups; i++)
        push(out, IKEV2_TRANSFORM_DH, s->ike.dh_groups[i]);
    p->n_transforms = out->n_transforms;
}

void lg_suite_esp_offer(const struct lg_suite *s, uint32_t spi, struct ikev2_sa *out)
{
    memset(out, 0, offsetof(struct ikev2_sa, transforms));
    out->n_transforms = 0;
    out->n_proposals = 1;
    struct ikev2_proposal *p = &out->proposals[0];
    p->number = 1;
    p->protocol = IKEV2_PROTOCOL_ESP;
    p->spi_size = 4;
    p->spi[0] = (uint8_t)(spi >> 24);
    p->spi[1] = (uint8_t)(spi >> 16);
    p->spi[2] = (uint8_t)(spi >> 8);
    p->spi[3] = (uint8_t)spi;
    p->first_transform = 0;
    for (size_t i = 0; i < s->esp.n_encryption; i++)
        push(out, IKEV2_TRANSFORM_ENCR, s->esp.encryption[i]);
    for (size_t i = 0; i < s->esp.n_integrity; i++)
        push(out, IKEV2_TRANSFORM_INTEG, s->esp.integrity[i]);
    push(out, IKEV2_TRANSFORM_ESN, NULL);
    p->n_transforms = out->n_transforms;
}
