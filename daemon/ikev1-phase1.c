/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKEv1 phase 1 on the responder: Aggressive Mode with a pre-shared key
 * (RFC 2409 5.4) as Cisco Easy VPN clients use it. Message 1's ID
 * (ID_KEY_ID: the "group name") selects the tunnel group and so the key;
 * its transforms are matched in the client's order against the group's
 * ike-proposals in priority order, every rejection logged with the
 * attribute class and both values; Diffie-Hellman and SKEYID run on a
 * worker; message 2 carries HASH_R, our vendor IDs and NAT-D; message 3's
 * HASH_I proves the client knows the key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikev1-sa.h"
#include "ikev2-sa.h"       /* ikev2_dh_agree(): the one Diffie-Hellman helper */
#include "jobs.h"

#define IKEV1_NONCE_LEN 32
#define IKEV1_P1_DEADLINE 30
#define IKEV1_MESSAGE_MAX 4096

static unsigned sa_counter;

static bool all_zero_cookie(const uint8_t *c)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < IKEV1_COOKIE_LEN; i++)
        acc |= c[i];
    return acc == 0;
}

/* ---- proposal matching ----------------------------------------------------------- */

struct p1_offer {
    uint16_t encr, key_bits, hash, auth, group;
    uint32_t life_seconds;
    uint16_t unsupported;               /* an attribute class we do not know, 0: none */
};

static void offer_from_transform(const struct ikev1_sa *osa, const struct ikev1_transform *t, struct p1_offer *o)
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
        case IKEV1_P1_ENCRYPTION:        o->encr = (uint16_t)v; break;
        case IKEV1_P1_HASH:              o->hash = (uint16_t)v; break;
        case IKEV1_P1_AUTH_METHOD:       o->auth = (uint16_t)v; break;
        case IKEV1_P1_GROUP_DESCRIPTION: o->group = (uint16_t)v; break;
        case IKEV1_P1_KEY_LENGTH:        o->key_bits = (uint16_t)v; break;
        case IKEV1_P1_LIFE_TYPE:         life_type = v; break;
        case IKEV1_P1_LIFE_DURATION:
            if (life_type == IKEV1_LIFE_SECONDS)
                o->life_seconds = (uint32_t)v;
            break;      /* kilobytes: not enforced for the ISAKMP SA */
        default:
            o->unsupported = a[i].type;
        }
    }
}

static void encr_text(uint16_t encr, uint16_t bits, char *buf, size_t len)
{
    switch (encr) {
    case IKEV1_ENCR_AES_CBC: snprintf(buf, len, "AES-CBC-%u", bits); break;
    case IKEV1_ENCR_3DES_CBC: snprintf(buf, len, "3DES"); break;
    case IKEV1_ENCR_DES_CBC: snprintf(buf, len, "DES"); break;
    default: snprintf(buf, len, "encryption %u", encr);
    }
}

static const char *hash_text(uint16_t hash)
{
    switch (hash) {
    case IKEV1_HASH_MD5: return "MD5";
    case IKEV1_HASH_SHA1: return "SHA";
    case IKEV1_HASH_SHA2_256: return "SHA2-256";
    case IKEV1_HASH_SHA2_384: return "SHA2-384";
    case IKEV1_HASH_SHA2_512: return "SHA2-512";
    default: return "unknown";
    }
}

static void keywords(const struct config_algorithm *const *list, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%s", i ? "/" : "", list[i]->keyword);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* The phase-1 auth method a tunnel group negotiates: PSK or RSA
 * signatures, each with the Xauth variant when the group wants Xauth. */
static uint16_t group_auth_method(const struct config_tunnel_group *tg)
{
    if (tg->auth == CONFIG_AUTH_CERTIFICATE)
        return tg->xauth ? IKEV1_AUTH_XAUTH_INIT_RSA : IKEV1_AUTH_RSA_SIG;
    return tg->xauth ? IKEV1_AUTH_XAUTH_INIT_PSK : IKEV1_AUTH_PSK;
}

static const char *auth_method_text(uint16_t method)
{
    switch (method) {
    case IKEV1_AUTH_PSK: return "pre-share";
    case IKEV1_AUTH_XAUTH_INIT_PSK: return "pre-share + Xauth";
    case IKEV1_AUTH_RSA_SIG: return "rsa-sig";
    case IKEV1_AUTH_XAUTH_INIT_RSA: return "rsa-sig + Xauth";
    default: return "unknown";
    }
}

/* Whether the offer fits the configured proposal; if not, why. */
static bool offer_matches(const struct p1_offer *o, const struct config_ike_proposal *cp, uint16_t want_auth,
                          bool aggressive, const struct crypto_dh_group *ke_group, struct ikev1_p1_choice *c,
                          char *why, size_t len)
{
    char rcv[32], cfg[128];
    if (o->unsupported) {
        snprintf(why, len, "unsupported attribute class %u", o->unsupported);
        return false;
    }
    const struct config_algorithm *enc = NULL;
    for (size_t i = 0; i < cp->n_encryption && !enc; i++)
        if (cp->encryption[i]->ikev1_id == o->encr &&
            (o->encr != IKEV1_ENCR_AES_CBC || cp->encryption[i]->key_bits == o->key_bits))
            enc = cp->encryption[i];
    if (!enc) {
        encr_text(o->encr, o->key_bits, rcv, sizeof(rcv));
        keywords(cp->encryption, cp->n_encryption, cfg, sizeof(cfg));
        snprintf(why, len, "Rcv'd encryption %s, cfg'd %s", rcv, cfg);
        return false;
    }
    const struct config_algorithm *hash = NULL;
    for (size_t i = 0; i < cp->n_integrity && !hash; i++)
        if (cp->integrity[i]->ikev1_id == o->hash)
            hash = cp->integrity[i];
    if (!hash) {
        keywords(cp->integrity, cp->n_integrity, cfg, sizeof(cfg));
        snprintf(why, len, "Rcv'd hash %s, cfg'd %s", hash_text(o->hash), cfg);
        return false;
    }
    if (o->auth != want_auth) {
        snprintf(why, len, "Rcv'd auth method %u, cfg'd %u (%s)", o->auth, want_auth, auth_method_text(want_auth));
        return false;
    }
    const struct config_algorithm *grp = NULL;
    for (size_t i = 0; i < cp->n_dh_groups && !grp; i++)
        if (cp->dh_groups[i]->ikev1_id == o->group)
            grp = cp->dh_groups[i];
    if (!grp) {
        keywords(cp->dh_groups, cp->n_dh_groups, cfg, sizeof(cfg));
        snprintf(why, len, "Rcv'd group %u, cfg'd group %s", o->group, cfg);
        return false;
    }
    if (aggressive && (!ke_group || ke_group->ikev2_id != o->group)) {
        snprintf(why, len, "Rcv'd group %u but the KE payload is for another group", o->group);
        return false;
    }
    c->encr = crypto_ikev1_encr_find(o->encr, o->encr == IKEV1_ENCR_AES_CBC ? o->key_bits : 0);
    c->prf = crypto_ikev1_hash_find(o->hash);
    c->dh = crypto_dh_group_find(o->group);
    if (!c->encr || !c->prf || !c->dh) {
        snprintf(why, len, "not implemented by this build");
        return false;
    }
    c->config = cp;
    c->encr_id = o->encr;
    c->key_bits = o->encr == IKEV1_ENCR_AES_CBC ? o->key_bits : 0;
    c->hash_id = o->hash;
    c->auth_method = o->auth;
    c->group = o->group;
    c->lifetime = cp->lifetime_seconds;
    if (o->life_seconds && o->life_seconds < c->lifetime)
        c->lifetime = o->life_seconds;
    return true;
}

/* The client's transforms in its order, each against the candidate
 * groups' proposals (groups in order, proposals in priority order); the
 * first match wins and *chosen is its group. Main Mode has several
 * candidates: the pre-shared-key group of the peer's address and the
 * certificate groups (one is picked by identity in message 5). verbose:
 * log every rejection at info (nothing matched) instead of debug. */
static bool choose_among(const struct ikev1_sa *osa, const struct config_tunnel_group *const *groups, size_t n_groups,
                         bool aggressive, const struct crypto_dh_group *ke_group, struct ikev1_p1_choice *c,
                         const struct config_tunnel_group **chosen, const struct log_ctx *ctx, bool verbose)
{
    for (size_t p = 0; p < osa->n_proposals; p++) {
        const struct ikev1_proposal *pr = &osa->proposals[p];
        if (pr->protocol != IKEV1_PROTO_ISAKMP)
            continue;
        const struct ikev1_transform *ts = ikev1_proposal_transforms(osa, pr);
        for (size_t t = 0; t < pr->n_transforms; t++) {
            struct p1_offer o;
            if (ts[t].id != IKEV1_KEY_IKE)
                continue;
            offer_from_transform(osa, &ts[t], &o);
            for (size_t g = 0; g < n_groups; g++) {
                const struct config_tunnel_group *tg = groups[g];
                uint16_t want_auth = group_auth_method(tg);
                for (size_t k = 0; k < tg->n_ike_proposals; k++) {
                    char why[200], where[SESSION_NAME_MAX + 20] = "";
                    if (offer_matches(&o, tg->ike_proposals[k], want_auth, aggressive, ke_group, c, why,
                                      sizeof(why))) {
                        c->proposal_number = pr->number;
                        c->transform_number = ts[t].number;
                        *chosen = tg;
                        return true;
                    }
                    if (n_groups > 1)
                        snprintf(where, sizeof(where), " (tunnel group %s)", tg->name);
                    if (verbose)
                        log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "IKE SA proposal %u transform %u rejected by "
                                     "ike-proposal '%s': %s%s", pr->number, ts[t].number, tg->ike_proposals[k]->name,
                                     why, where);
                    else
                        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV1, 2, "IKE SA proposal %u transform %u rejected by "
                                      "ike-proposal '%s': %s%s", pr->number, ts[t].number,
                                      tg->ike_proposals[k]->name, why, where);
                }
            }
        }
    }
    return false;
}

static bool choose(const struct ikev1_sa *osa, const struct config_tunnel_group *tg, bool aggressive,
                   const struct crypto_dh_group *ke_group, struct ikev1_p1_choice *c, const struct log_ctx *ctx,
                   bool verbose)
{
    const struct config_tunnel_group *chosen;
    return choose_among(osa, &tg, 1, aggressive, ke_group, c, &chosen, ctx, verbose);
}

bool ikev1_p1_choice_allowed(const struct ikev1_p1_choice *c, const struct config_tunnel_group *tg, char *why,
                             size_t len)
{
    struct p1_offer o = { .encr = c->encr_id, .key_bits = c->key_bits, .hash = c->hash_id, .auth = c->auth_method,
                          .group = c->group };
    struct ikev1_p1_choice tmp;
    char one[200] = "no ike-proposals";
    for (size_t k = 0; k < tg->n_ike_proposals; k++)
        if (offer_matches(&o, tg->ike_proposals[k], group_auth_method(tg), false, NULL, &tmp, one, sizeof(one)))
            return true;
    snprintf(why, len, "%s", one);
    return false;
}

/* ---- unprotected answers -------------------------------------------------------------- */

static void send_plain_notify(struct ike *ike, const struct ike_packet *pkt, const struct ikev1_header *req,
                              uint16_t type, const struct log_ctx *ctx)
{
    uint8_t buf[128];
    struct ikev1_builder b;
    struct ikev1_header h = { .exchange = IKEV1_EXCHANGE_INFORMATIONAL };
    size_t len = 0;
    memcpy(h.icookie, req->icookie, IKEV1_COOKIE_LEN);
    ikev1_builder_init(&b, buf, sizeof(buf));
    ikev1_build_header(&b, &h);
    ikev1_build_notify(&b, IKEV1_DOI_IPSEC, IKEV1_PROTO_ISAKMP, NULL, 0, type, NULL, 0);
    if (ikev1_builder_finish(&b, &len) < 0)
        return;
    log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "sending INFORMATIONAL [ N(%s) ]",
                 ikev1_notify_name(type) ? ikev1_notify_name(type) : "?");
    (void)ike_socket_send(ike->sockets, &pkt->local, &pkt->remote, buf, len);
}

/* ---- NAT detection (RFC 3947 3.2) ------------------------------------------------------ */

static int natd_of(const struct ikev1_isakmp_sa *sa, const union ike_sockaddr *a, uint8_t *out, size_t max)
{
    if (a->sa.sa_family == AF_INET)
        return crypto_ikev1_natd_hash(sa->choice.prf, sa->icookie, sa->rcookie, (const uint8_t *)&a->in.sin_addr,
                                      4, ntohs(a->in.sin_port), out, max);
    return crypto_ikev1_natd_hash(sa->choice.prf, sa->icookie, sa->rcookie, (const uint8_t *)&a->in6.sin6_addr, 16,
                                  ntohs(a->in6.sin6_port), out, max);
}

static bool natt_is_rfc(enum ikev1_vendor v)
{
    return v == IKEV1_VENDOR_NATT_RFC3947;
}

static void build_natd(struct ikev1_builder *b, const struct ikev1_isakmp_sa *sa)
{
    uint8_t d1[CRYPTO_PRF_OUT_MAX], d2[CRYPTO_PRF_OUT_MAX];
    uint8_t type = natt_is_rfc(sa->natt) ? IKEV1_PAYLOAD_NAT_D : IKEV1_PAYLOAD_NAT_D_DRAFT;
    int l1 = natd_of(sa, &sa->p1_remote, d1, sizeof(d1));
    int l2 = natd_of(sa, &sa->p1_local, d2, sizeof(d2));
    if (l1 > 0 && l2 > 0) {
        ikev1_build_nat_d(b, type, d1, (size_t)l1);
        ikev1_build_nat_d(b, type, d2, (size_t)l2);
    }
}

/* The peer's NAT-D payloads: the first is our address as it saw it, the
 * others its own (RFC 3947 3.2). A peer that floated to the NAT-T port
 * without NAT-D still gets ESP in UDP. */
static void natd_check(struct ikev1_isakmp_sa *sa, const struct ikev1_payload_list *pl, const struct ike_packet *pkt,
                       const struct log_ctx *ctx)
{
    struct ikev1_parse_status st;
    size_t n_natd = 0;
    bool we_match = false, peer_match = false;
    for (size_t i = 0; i < pl->n; i++) {
        struct ikev1_data d;
        uint8_t want[CRYPTO_PRF_OUT_MAX];
        if ((pl->p[i].type != IKEV1_PAYLOAD_NAT_D && pl->p[i].type != IKEV1_PAYLOAD_NAT_D_DRAFT) ||
            ikev1_nat_d_decode(&pl->p[i], &d, &st) < 0)
            continue;
        const union ike_sockaddr *a = n_natd == 0 ? &sa->p1_local : &sa->p1_remote;
        int l = natd_of(sa, a, want, sizeof(want));
        bool eq = l > 0 && (size_t)l == d.len && memcmp(want, d.data, d.len) == 0;
        if (n_natd == 0)
            we_match = eq;
        else
            peer_match = peer_match || eq;
        n_natd++;
    }
    if (n_natd >= 2 && sa->natt != IKEV1_VENDOR_UNKNOWN) {
        sa->nat_detected = !we_match || !peer_match;
        if (sa->nat_detected)
            log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "NAT detected (%s behind NAT): NAT-T, ESP in UDP",
                         !peer_match ? "peer" : "we are");
    } else if (pkt->natt)
        sa->nat_detected = true;
}

/* Which NAT-T flavour to answer with: RFC 3947 first, then the newest draft. */
static int natt_rank(enum ikev1_vendor v)
{
    switch (v) {
    case IKEV1_VENDOR_NATT_RFC3947: return 10;
    case IKEV1_VENDOR_NATT_DRAFT_02N: return 5;
    case IKEV1_VENDOR_NATT_DRAFT_02: return 4;
    case IKEV1_VENDOR_NATT_DRAFT_03: return 6;
    default: return ikev1_vendor_is_natt(v) ? 1 : 0;
    }
}

/* Our vendor IDs (Xauth, DPD, Cisco Unity, the NAT-T flavour the peer
 * speaks) and, with NAT-T and natd, the NAT-D pair: the peer's address as
 * we see it first, then ours (RFC 3947 3.2). */
static void build_vendor_ids(struct ikev1_builder *b, const struct ikev1_isakmp_sa *sa, bool natd)
{
    static const enum ikev1_vendor ours[] = { IKEV1_VENDOR_XAUTH, IKEV1_VENDOR_DPD, IKEV1_VENDOR_CISCO_UNITY };
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        const struct ikev1_vendor_id_info *v = ikev1_vendor_id_get(ours[i]);
        if (v)
            ikev1_build_vendor_id(b, v->bytes, v->len);
    }
    if (sa->natt == IKEV1_VENDOR_UNKNOWN)
        return;
    const struct ikev1_vendor_id_info *v = ikev1_vendor_id_get(sa->natt);
    if (v)
        ikev1_build_vendor_id(b, v->bytes, v->len);
    if (natd)
        build_natd(b, sa);
}

/* ---- the Diffie-Hellman job ----------------------------------------------------------- */

struct p1_job {
    struct ikev1_isakmp_sa *sa;
    const struct crypto_dh_group *group;
    const struct crypto_prf *prf;
    uint8_t peer_ke[CRYPTO_DH_PUBLIC_MAX]; size_t peer_ke_len;
    uint8_t psk[256]; size_t psk_len;
    bool signatures;                    /* SKEYID = prf(Ni_b | Nr_b, g^xy): no key */
    uint8_t ni[IKEV1_NONCE_MAX]; size_t ni_len;
    uint8_t nr[IKEV1_NONCE_LEN];
    uint8_t icookie[8], rcookie[8];
    /* results */
    uint8_t our_ke[CRYPTO_DH_PUBLIC_MAX]; size_t our_ke_len;
    struct crypto_ikev1_keys keys;
    const char *failed_step;
};

static int p1_work(void *userdata)
{
    struct p1_job *j = userdata;
    uint8_t shared[CRYPTO_DH_SHARED_MAX];
    size_t shared_len = 0;
    int r = ikev2_dh_agree(j->group, j->our_ke, sizeof(j->our_ke), j->peer_ke, j->peer_ke_len, shared,
                           sizeof(shared), &shared_len, &j->failed_step);
    if (r >= 0) {
        j->our_ke_len = (size_t)r;
        r = crypto_ikev1_derive_keys(j->prf, j->signatures ? NULL : j->psk, j->psk_len, shared, shared_len, j->ni,
                                     j->ni_len, j->nr,
                                     IKEV1_NONCE_LEN, j->icookie, j->rcookie, &j->keys);
        if (r < 0)
            j->failed_step = "SKEYID derivation";
    }
    crypto_wipe(shared, sizeof(shared));
    return r;
}

static void p1_job_free(struct p1_job *j)
{
    crypto_ikev1_keys_wipe(&j->keys);
    crypto_wipe(j, sizeof(*j));
    free(j);
}

static void main_send4(struct ikev1_isakmp_sa *sa);

static void p1_done(void *userdata, int result)
{
    struct p1_job *j = userdata;
    if (result == -ECANCELED) {
        p1_job_free(j);
        return;
    }
    struct ikev1_isakmp_sa *sa = j->sa;
    struct ike *ike = sa->ike;
    struct log_ctx ctx;
    sa->job = NULL;
    ikev1_sa_log_ctx(sa, &ctx);
    if (result < 0) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Aggressive Mode failed: Diffie-Hellman %s: %s",
                     j->failed_step ? j->failed_step : "job", strerror(-result));
        p1_job_free(j);
        ikev1_sa_terminate(sa, false, "Diffie-Hellman failed");
        return;
    }
    sa->keys = j->keys;
    memcpy(sa->g_xr, j->our_ke, j->our_ke_len);
    sa->g_xr_len = j->our_ke_len;
    p1_job_free(j);
    if (sa->exchange == IKEV1_EXCHANGE_MAIN_MODE) {
        main_send4(sa);
        return;
    }

    /* HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) */
    uint8_t hash_r[CRYPTO_PRF_OUT_MAX];
    struct crypto_ikev1_phase1_input in = {
        .initiator = false,
        .g_xi = sa->g_xi, .g_xi_len = sa->g_xi_len,
        .g_xr = sa->g_xr, .g_xr_len = sa->g_xr_len,
        .cky_i = sa->icookie, .cky_r = sa->rcookie,
        .sa_i_body = sa->sai_b, .sa_i_body_len = sa->sai_b_len,
        .id_body = sa->idr_b, .id_body_len = sa->idr_b_len,
    };
    int hash_len = crypto_ikev1_phase1_hash(&sa->keys, &in, hash_r, sizeof(hash_r));
    int r = hash_len < 0 ? hash_len : crypto_ikev1_cbc_new(&sa->keys, sa->choice.encr, sa->g_xi, sa->g_xi_len,
                                                          sa->g_xr, sa->g_xr_len, &sa->cbc);
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot compute HASH_R or the phase-1 IV: %s", strerror(-r));
        ikev1_sa_terminate(sa, false, "internal error");
        return;
    }

    /* Message 2: SA KE Nr IDr HASH_R V(Xauth) V(DPD) V(NAT-T) V(Unity) [NAT-D NAT-D] */
    uint8_t *buf = malloc(IKEV1_MESSAGE_MAX);
    struct ikev1_payload_list *pl = malloc(sizeof(*pl));
    if (!buf || !pl) {
        free(buf);
        free(pl);
        ikev1_sa_terminate(sa, false, "out of memory");
        return;
    }
    struct ikev1_builder b;
    struct ikev1_header h = { .exchange = IKEV1_EXCHANGE_AGGRESSIVE };
    memcpy(h.icookie, sa->icookie, 8);
    memcpy(h.rcookie, sa->rcookie, 8);
    uint8_t store[7][4];
    struct ikev1_attribute attrs[7];
    size_t n = 0;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_ENCRYPTION, sa->choice.encr_id, store[n]);
    n++;
    if (sa->choice.key_bits)
        attrs[n] = ikev1_attribute_from_number(IKEV1_P1_KEY_LENGTH, sa->choice.key_bits, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_HASH, sa->choice.hash_id, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_AUTH_METHOD, sa->choice.auth_method, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_GROUP_DESCRIPTION, sa->choice.group, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_LIFE_TYPE, IKEV1_LIFE_SECONDS, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_LIFE_DURATION, sa->choice.lifetime, store[n]), n++;
    struct ikev1_build_transform tr = { .number = sa->choice.transform_number, .id = IKEV1_KEY_IKE,
                                        .attrs = attrs, .n_attrs = n };
    ikev1_builder_init(&b, buf, IKEV1_MESSAGE_MAX);
    ikev1_build_header(&b, &h);
    ikev1_build_sa(&b, sa->choice.proposal_number, IKEV1_PROTO_ISAKMP, NULL, 0, &tr, 1);
    ikev1_build_ke(&b, sa->g_xr, sa->g_xr_len);
    ikev1_build_nonce(&b, sa->nr, sa->nr_len);
    ikev1_build_id(&b, sa->idr_b[0], sa->idr_b[1], wire_get16(sa->idr_b + 2), sa->idr_b + 4, sa->idr_b_len - 4);
    ikev1_build_hash(&b, hash_r, (size_t)hash_len);
    build_vendor_ids(&b, sa, true);
    size_t len = 0;
    r = ikev1_builder_finish(&b, &len);
    crypto_wipe(hash_r, sizeof(hash_r));
    struct ikev1_message *m = malloc(sizeof(*m));
    struct ikev1_parse_status st;
    if (r >= 0 && m && ikev1_message_parse(buf, len, m, &st) >= 0) {
        char desc[512];
        ikev1_message_describe(&m->header, NULL, &m->payloads, desc, sizeof(desc));
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "sending %s", desc);
    }
    free(m);
    free(pl);
    if (r < 0) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot build Aggressive Mode message 2: %s", strerror(-r));
        free(buf);
        ikev1_sa_terminate(sa, false, "internal error");
        return;
    }
    r = hashmap_put(ike->ikev1_sas, sa->rcookie, IKEV1_COOKIE_LEN, sa);
    if (r < 0) {
        free(buf);
        ikev1_sa_terminate(sa, false, "out of memory");
        return;
    }
    sa->in_table = true;
    sa->state = IKEV1_SA_P1_SENT;
    free(sa->last_out);
    sa->last_out = buf;
    sa->last_out_len = len;
    (void)ike_socket_send(ike->sockets, &sa->local, &sa->remote, buf, len);
}

/* ---- message 1 ---------------------------------------------------------------------------- */

static void read_vendor_ids(const struct ikev1_payload_list *pl, const struct log_ctx *ctx, enum ikev1_vendor *natt,
                            bool *dpd, bool *unity, bool *xauth)
{
    struct ikev1_parse_status st;
    for (size_t i = 0; i < pl->n; i++) {
        struct ikev1_data v;
        if (pl->p[i].type != IKEV1_PAYLOAD_VENDOR_ID || ikev1_vendor_id_decode(&pl->p[i], &v, &st) < 0)
            continue;
        char name[64];
        ikev1_vendor_id_format(v.data, v.len, name, sizeof(name));
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV1, 1, "received vendor ID %s", name);
        const struct ikev1_vendor_id_info *info = ikev1_vendor_id_identify(v.data, v.len);
        if (!info)
            continue;
        if (ikev1_vendor_is_natt(info->vendor) && natt_rank(info->vendor) > natt_rank(*natt))
            *natt = info->vendor;
        *dpd = *dpd || info->vendor == IKEV1_VENDOR_DPD;
        *unity = *unity || info->vendor == IKEV1_VENDOR_CISCO_UNITY;
        *xauth = *xauth || info->vendor == IKEV1_VENDOR_XAUTH;
    }
}

static void half_open_key(struct ikev1_half_open_key *k, const uint8_t *icookie, const union ike_sockaddr *remote)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->icookie, icookie, IKEV1_COOKIE_LEN);
    k->family = (uint8_t)remote->sa.sa_family;
    if (remote->sa.sa_family == AF_INET) {
        memcpy(k->addr, &remote->in.sin_addr, 4);
        k->port = remote->in.sin_port;
    } else {
        memcpy(k->addr, &remote->in6.sin6_addr, 16);
        k->port = remote->in6.sin6_port;
    }
}

/* The group name of an ID payload: ID_KEY_ID as Cisco clients send it,
 * FQDN or USER_FQDN from clients that cannot send a key ID. */
static int id_text(const struct ikev1_id *id, char *buf, size_t size)
{
    if (id->type != IKEV1_ID_KEY_ID && id->type != IKEV1_ID_FQDN && id->type != IKEV1_ID_USER_FQDN)
        return -EOPNOTSUPP;
    if (id->len == 0 || id->len >= size)
        return -EINVAL;
    for (size_t i = 0; i < id->len; i++)
        if (id->data[i] < 0x20 || id->data[i] >= 0x7f)
            return -EINVAL;
    memcpy(buf, id->data, id->len);
    buf[id->len] = '\0';
    return 0;
}

/* Message 1 of a negotiation already under way (same initiator cookie
 * and address): an exact retransmission, while we still wait for the
 * initiator's next message, gets our message 2 again; anything else is
 * ignored. Returns true when there was such a negotiation. */
static bool first_message_again(struct ike *ike, const struct ike_packet *pkt, const struct ikev1_header *hdr,
                                const struct log_ctx *ctx, bool aggressive)
{
    struct ikev1_half_open_key key;
    const char *mode = aggressive ? "Aggressive Mode" : "Main Mode";
    half_open_key(&key, hdr->icookie, &pkt->remote);
    struct ikev1_isakmp_sa *old = hashmap_get(ike->ikev1_half_open, &key, sizeof(key));
    if (!old)
        return false;
    bool waiting = aggressive ? old->state == IKEV1_SA_P1_SENT : old->mm_step == MM_WAIT_KE;
    if (waiting && old->last_out && old->last_in && old->last_in_len == pkt->len &&
        memcmp(old->last_in, pkt->data, pkt->len) == 0) {
        ike->stats.retransmits_answered++;
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV1, 1, "retransmitted %s message 1: sending message 2 again", mode);
        (void)ike_socket_send(ike->sockets, &old->local, &old->remote, old->last_out, old->last_out_len);
    } else
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV1, 1, "%s message 1 for a negotiation in progress ignored", mode);
    return true;
}

/* Parses a cleartext message 1 into msg and logs it; a malformed or
 * encrypted one is counted, logged at debug and -EBADMSG. */
static int parse_first_message(struct ike *ike, const struct ike_packet *pkt, const struct log_ctx *ctx,
                               const char *mode, struct ikev1_message *msg)
{
    struct ikev1_parse_status st = { 0 };
    if (ikev1_message_parse(pkt->data, pkt->len, msg, &st) < 0 || msg->encrypted) {
        char why[128] = "encrypted";
        if (st.error != IKEV1_PARSE_OK)
            ikev1_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        log_debug_ctx(ctx, CONFIG_SUBSYS_IKEV1, 1, "malformed %s message 1 dropped: %s", mode, why);
        return -EBADMSG;
    }
    char desc[512];
    ikev1_message_describe(&msg->header, NULL, &msg->payloads, desc, sizeof(desc));
    log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "received %s", desc);
    return 0;
}

void ikev1_handle_aggressive(struct ike *ike, const struct ike_packet *pkt, const struct ikev1_header *hdr)
{
    struct ikev1_half_open_key key;
    char peer[IKEV1_PEER_TEXT_MAX];
    struct log_ctx ctx = { .peer = peer };
    struct ikev1_parse_status st;

    ike_sockaddr_to_string(&pkt->remote, peer, sizeof(peer));
    half_open_key(&key, hdr->icookie, &pkt->remote);
    if (first_message_again(ike, pkt, hdr, &ctx, true))
        return;

    struct ikev1_message *msg = malloc(sizeof(*msg));
    struct ikev1_sa *offered = malloc(sizeof(*offered));
    struct ikev1_isakmp_sa *sa = NULL;
    struct p1_job *j = NULL;
    if (!msg || !offered)
        goto out;
    if (parse_first_message(ike, pkt, &ctx, "Aggressive Mode", msg) < 0)
        goto out;

    const struct ikev1_payload *p_sa = ikev1_payload_find(&msg->payloads, IKEV1_PAYLOAD_SA);
    const struct ikev1_payload *p_ke = ikev1_payload_find(&msg->payloads, IKEV1_PAYLOAD_KE);
    const struct ikev1_payload *p_no = ikev1_payload_find(&msg->payloads, IKEV1_PAYLOAD_NONCE);
    const struct ikev1_payload *p_id = ikev1_payload_find(&msg->payloads, IKEV1_PAYLOAD_ID);
    struct ikev1_data ke, nonce;
    struct ikev1_id id;
    st.error = IKEV1_PARSE_OK;
    if (!p_sa || !p_ke || !p_no || !p_id || ikev1_sa_decode(p_sa, offered, &st) < 0 ||
        ikev1_ke_decode(p_ke, &ke, &st) < 0 || ikev1_nonce_decode(p_no, &nonce, &st) < 0 ||
        ikev1_id_decode(p_id, &id, &st) < 0) {
        char why[128] = "an SA, KE, Nonce or ID payload is missing";
        if (st.error != IKEV1_PARSE_OK)
            ikev1_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "Aggressive Mode message 1 from %s dropped: %s", peer, why);
        goto out;
    }

    /* The tunnel group, by the group name. Unknown names get no answer:
     * an answer would carry a hash keyed with some PSK for an offline
     * guess (and tell a prober which names exist). */
    char group_name[SESSION_NAME_MAX];
    int r = id_text(&id, group_name, sizeof(group_name));
    if (r < 0) {
        log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "Aggressive Mode from %s refused: ID type %u is not a group name",
                       peer, id.type);
        goto out;
    }
    const struct config_tunnel_group *tg = config_tunnel_group_find_by_group_name(ike_config(ike), group_name);
    if (!tg || !tg->ikev1 || tg->auth != CONFIG_AUTH_PSK || tg->psk.len == 0) {
        log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "Aggressive Mode from %s refused: no IKEv1 pre-shared-key tunnel "
                       "group with group-name '%s'", peer, group_name);
        goto out;
    }
    ctx.tunnel_group = tg->name;

    enum ikev1_vendor natt = IKEV1_VENDOR_UNKNOWN;
    bool dpd = false, unity = false, xauth = false;
    read_vendor_ids(&msg->payloads, &ctx, &natt, &dpd, &unity, &xauth);

    const struct crypto_dh_group *ke_group = NULL;
    /* In Aggressive Mode every transform must name the group of the KE
     * payload: find it from the first transform that names a group. */
    for (size_t t = 0; t < offered->n_transforms && !ke_group; t++) {
        const struct ikev1_attribute *a = ikev1_transform_attribute(offered, &offered->transforms[t],
                                                                   IKEV1_P1_GROUP_DESCRIPTION);
        uint64_t g;
        if (a && ikev1_attribute_number(a, &g) >= 0 && g <= UINT16_MAX) {
            const struct crypto_dh_group *dg = crypto_dh_group_find((uint16_t)g);
            if (dg && dg->public_len == ke.len)
                ke_group = dg;
        }
    }
    struct ikev1_p1_choice choice;
    if (!choose(offered, tg, true, ke_group, &choice, &ctx, false)) {
        (void)choose(offered, tg, true, ke_group, &choice, &ctx, true);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Aggressive Mode from %s, group '%s': no acceptable IKE transform "
                     "(%zu offered, tunnel group %s): NO-PROPOSAL-CHOSEN", peer, group_name, offered->n_transforms,
                     tg->name);
        ike->stats.handshake_failures[IKE_FAIL_NO_PROPOSAL]++;
        send_plain_notify(ike, pkt, hdr, IKEV1_N_NO_PROPOSAL_CHOSEN, &ctx);
        goto out;
    }
    if (choice.dh->legacy || choice.encr->legacy || choice.prf->legacy)
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "legacy algorithm negotiated (configured by name)");

    sa = calloc(1, sizeof(*sa));
    j = calloc(1, sizeof(*j));
    if (!sa || !j)
        goto out_free;
    ike->stats.handshakes_started++;
    sa->exchange = IKEV1_EXCHANGE_AGGRESSIVE;
    sa->ike = ike;
    sa->config = config_ref(ike_config(ike));
    sa->state = IKEV1_SA_P1_PENDING;
    memcpy(sa->icookie, hdr->icookie, IKEV1_COOKIE_LEN);
    do {
        if (crypto_random(sa->rcookie, IKEV1_COOKIE_LEN) < 0)
            goto out_free;
    } while (all_zero_cookie(sa->rcookie) || hashmap_get(ike->ikev1_sas, sa->rcookie, IKEV1_COOKIE_LEN));
    sa->local = sa->p1_local = pkt->local;
    sa->remote = sa->p1_remote = pkt->remote;
    sa->ifindex = pkt->ifindex;
    snprintf(sa->peer, sizeof(sa->peer), "%s", peer);
    snprintf(sa->name, sizeof(sa->name), "ikev1#%u", ++sa_counter);
    sa->choice = choice;
    sa->group = tg;
    snprintf(sa->group_name, sizeof(sa->group_name), "%s", group_name);
    sa->natt = natt;
    sa->peer_dpd = dpd;
    sa->peer_unity = unity;
    sa->peer_xauth = xauth;
    sa->sai_b = malloc(p_sa->len);
    sa->idi_b = malloc(id.body_len);
    sa->last_in = malloc(pkt->len);
    if (!sa->sai_b || !sa->idi_b || !sa->last_in)
        goto out_free;
    memcpy(sa->sai_b, p_sa->body, p_sa->len);
    sa->sai_b_len = p_sa->len;
    memcpy(sa->idi_b, id.body, id.body_len);
    sa->idi_b_len = id.body_len;
    memcpy(sa->last_in, pkt->data, pkt->len);
    sa->last_in_len = pkt->len;
    memcpy(sa->g_xi, ke.data, ke.len);
    sa->g_xi_len = ke.len;
    memcpy(sa->ni, nonce.data, nonce.len);
    sa->ni_len = nonce.len;
    sa->nr_len = IKEV1_NONCE_LEN;
    if (crypto_random(sa->nr, sa->nr_len) < 0)
        goto out_free;
    /* Our ID: the address the client talks to, UDP port 500 (as Cisco
     * concentrators send it). */
    memset(sa->idr_b, 0, sizeof(sa->idr_b));
    sa->idr_b[1] = 17;
    wire_put16(sa->idr_b + 2, 500);
    if (pkt->local.sa.sa_family == AF_INET) {
        sa->idr_b[0] = IKEV1_ID_IPV4_ADDR;
        memcpy(sa->idr_b + 4, &pkt->local.in.sin_addr, 4);
        sa->idr_b_len = 8;
    } else {
        sa->idr_b[0] = IKEV1_ID_IPV6_ADDR;
        memcpy(sa->idr_b + 4, &pkt->local.in6.sin6_addr, 16);
        sa->idr_b_len = 20;
    }

    j->sa = sa;
    j->group = choice.dh;
    j->prf = choice.prf;
    memcpy(j->peer_ke, ke.data, ke.len);
    j->peer_ke_len = ke.len;
    if (tg->psk.len > sizeof(j->psk)) {
        log_error_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "the pre-shared key of tunnel group %s is longer than %zu bytes",
                      tg->name, sizeof(j->psk));
        goto out_free;
    }
    memcpy(j->psk, tg->psk.data, tg->psk.len);
    j->psk_len = tg->psk.len;
    memcpy(j->ni, sa->ni, sa->ni_len);
    j->ni_len = sa->ni_len;
    memcpy(j->nr, sa->nr, IKEV1_NONCE_LEN);
    memcpy(j->icookie, sa->icookie, 8);
    memcpy(j->rcookie, sa->rcookie, 8);

    sa->half_open_key = key;
    r = hashmap_put(ike->ikev1_half_open, &key, sizeof(key), sa);
    if (r < 0)
        goto out_free;
    sa->in_half_open = true;
    ikev1_sa_log_ctx(sa, &ctx);
    ikev1_set_deadline(sa, IKEV1_P1_DEADLINE, "no valid Aggressive Mode message 3 within 30 s (a client whose group "
                       "key differs cannot verify our HASH_R and gives up)");
    r = job_submit(ike_jobs(ike), p1_work, p1_done, j, &sa->job);
    if (r < 0) {
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "cannot start the Diffie-Hellman computation: %s", strerror(-r));
        p1_job_free(j);
        ikev1_sa_terminate(sa, false, "overloaded");
        goto out;
    }
    char enc[32];
    encr_text(choice.encr_id, choice.key_bits, enc, sizeof(enc));
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Aggressive Mode from %s, group '%s': tunnel group %s, IKE SA proposal "
                 "%u transform %u acceptable (ike-proposal '%s': %s %s group %u, lifetime %u s)%s%s%s", peer,
                 group_name, tg->name, choice.proposal_number, choice.transform_number, choice.config->name, enc,
                 hash_text(choice.hash_id), choice.group, choice.lifetime, xauth ? ", Xauth" : "",
                 dpd ? ", DPD" : "", natt != IKEV1_VENDOR_UNKNOWN ? ", NAT-T" : "");
    goto out;

out_free:
    if (j)
        p1_job_free(j);
    if (sa) {
        if (sa->in_half_open)
            hashmap_remove(ike->ikev1_half_open, &sa->half_open_key, sizeof(sa->half_open_key));
        config_unref(sa->config);
        free(sa->sai_b);
        free(sa->idi_b);
        free(sa->last_in);
        free(sa);
    }
out:
    free(msg);
    free(offered);
}

/* ---- message 3 ------------------------------------------------------------------------------ */

void ikev1_handle_aggressive3(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt,
                              const struct ikev1_payload_list *pl, const struct ikev1_header *hdr)
{
    struct ike *ike = sa->ike;
    struct log_ctx ctx;
    struct ikev1_parse_status st;
    ikev1_sa_log_ctx(sa, &ctx);

    const struct ikev1_payload *p_hash = ikev1_payload_find(pl, IKEV1_PAYLOAD_HASH);
    struct ikev1_data hash;
    if (!p_hash || ikev1_hash_decode(p_hash, &hash, &st) < 0) {
        ike->stats.parse_errors++;
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Aggressive Mode message 3 without HASH_I dropped");
        return;
    }
    struct crypto_ikev1_phase1_input in = {
        .initiator = true,
        .g_xi = sa->g_xi, .g_xi_len = sa->g_xi_len,
        .g_xr = sa->g_xr, .g_xr_len = sa->g_xr_len,
        .cky_i = sa->icookie, .cky_r = sa->rcookie,
        .sa_i_body = sa->sai_b, .sa_i_body_len = sa->sai_b_len,
        .id_body = sa->idi_b, .id_body_len = sa->idi_b_len,
    };
    int r = crypto_ikev1_phase1_hash_verify(&sa->keys, &in, hash.data, hash.len);
    if (r <= 0) {
        log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, group '%s', tunnel group %s: "
                       "HASH_I does not match (the client's group key differs)", sa->peer, sa->group_name,
                       sa->group->name);
        sa->ike->stats.handshake_failures[IKE_FAIL_AUTH]++;
        ikev1_sa_terminate(sa, false, "phase 1 authentication failed");
        return;
    }
    if (hdr->flags & IKEV1_FLAG_ENCRYPTION)
        (void)crypto_ikev1_cbc_confirm(sa->cbc, 0);

    natd_check(sa, pl, pkt, &ctx);

    sa->local = pkt->local;
    sa->remote = pkt->remote;
    ike_sockaddr_to_string(&pkt->remote, sa->peer, sizeof(sa->peer));
    ikev1_sa_log_ctx(sa, &ctx);
    char desc[512];
    ikev1_message_describe(hdr, NULL, pl, desc, sizeof(desc));
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "received %s", desc);
    if (ikev1_notify_find(pl, IKEV1_N_INITIAL_CONTACT)) {
        sa->initial_contact = true;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "INITIAL-CONTACT received");
    }

    /* Phase 1 is done. */
    if (sa->in_half_open) {
        hashmap_remove(ike->ikev1_half_open, &sa->half_open_key, sizeof(sa->half_open_key));
        sa->in_half_open = false;
    }
    sa->state = IKEV1_SA_XAUTH;
    sa->p1_done_usec = monotonic_usec();
    free(sa->last_in);
    free(sa->last_out);
    sa->last_out = NULL;
    sa->last_out_len = 0;
    sa->last_in = malloc(pkt->len);
    if (sa->last_in)
        memcpy(sa->last_in, pkt->data, pkt->len);
    sa->last_in_len = sa->last_in ? pkt->len : 0;
    char enc[32];
    encr_text(sa->choice.encr_id, sa->choice.key_bits, enc, sizeof(enc));
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "ISAKMP SA established (Aggressive Mode): peer %s, group '%s', tunnel "
                 "group %s, %s %s group %u%s", sa->peer, sa->group_name, sa->group->name, enc,
                 hash_text(sa->choice.hash_id), sa->choice.group, sa->nat_detected ? ", NAT-T" : "");
    sa->reacting = true;
    ikev1_xauth_start(sa);
    if (sa->state != IKEV1_SA_DELETED)
        sa->reacting = false;
}

/* ---- Main Mode (RFC 2409 5.4: the key by the peer's address) ------------------------------ */

static void send_plain(struct ikev1_isakmp_sa *sa, const uint8_t *buf, size_t len, const struct log_ctx *ctx)
{
    struct ikev1_message *m = malloc(sizeof(*m));
    struct ikev1_parse_status st;
    if (m && ikev1_message_parse(buf, len, m, &st) >= 0) {
        char desc[512];
        ikev1_message_describe(&m->header, NULL, &m->payloads, desc, sizeof(desc));
        log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "sending %s", desc);
    }
    free(m);
    free(sa->last_out);
    sa->last_out = malloc(len);
    if (sa->last_out)
        memcpy(sa->last_out, buf, len);
    sa->last_out_len = sa->last_out ? len : 0;
    (void)ike_socket_send(sa->ike->sockets, &sa->local, &sa->remote, buf, len);
}

static void remember_in(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt)
{
    free(sa->last_in);
    free(sa->last_out);
    sa->last_out = NULL;
    sa->last_out_len = 0;
    sa->last_in = malloc(pkt->len);
    if (sa->last_in)
        memcpy(sa->last_in, pkt->data, pkt->len);
    sa->last_in_len = sa->last_in ? pkt->len : 0;
}

void ikev1_handle_main1(struct ike *ike, const struct ike_packet *pkt, const struct ikev1_header *hdr)
{
    struct ikev1_half_open_key key;
    char peer[IKEV1_PEER_TEXT_MAX];
    struct log_ctx ctx = { .peer = peer };
    struct ikev1_parse_status st;

    ike_sockaddr_to_string(&pkt->remote, peer, sizeof(peer));
    half_open_key(&key, hdr->icookie, &pkt->remote);
    if (first_message_again(ike, pkt, hdr, &ctx, false))
        return;
    struct ikev1_message *msg = malloc(sizeof(*msg));
    struct ikev1_sa *offered = malloc(sizeof(*offered));
    struct ikev1_isakmp_sa *sa = NULL;
    const struct config_tunnel_group **candidates = NULL;
    uint8_t *buf = NULL;
    if (!msg || !offered)
        goto out;
    if (parse_first_message(ike, pkt, &ctx, "Main Mode", msg) < 0)
        goto out;
    const struct ikev1_payload *p_sa = ikev1_payload_find(&msg->payloads, IKEV1_PAYLOAD_SA);
    st.error = IKEV1_PARSE_OK;
    if (!p_sa || ikev1_sa_decode(p_sa, offered, &st) < 0) {
        char why[128] = "no SA payload";
        if (st.error != IKEV1_PARSE_OK)
            ikev1_parse_status_format(&st, why, sizeof(why));
        ike->stats.parse_errors++;
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "Main Mode message 1 from %s dropped: %s", peer, why);
        goto out;
    }
    /* The key must be known before the peer's identity is (it is
     * encrypted with it): the tunnel group comes from the address. */
    struct config_address addr = { .family = pkt->remote.sa.sa_family };
    if (addr.family == AF_INET)
        addr.in = pkt->remote.in.sin_addr;
    else
        addr.in6 = pkt->remote.in6.sin6_addr;
    const struct config_tunnel_group *psk_group = config_tunnel_group_find_by_peer(ike_config(ike), &addr);
    if (psk_group && (psk_group->auth != CONFIG_AUTH_PSK || psk_group->psk.len == 0))
        psk_group = NULL;
    /* Certificate groups are candidates too: which one is decided by the
     * identity in message 5 (ikev1-auth-sig.c). */
    const struct vpnd_config *config = ike_config(ike);
    candidates = calloc(config->n_tunnel_groups + 1, sizeof(*candidates));
    if (!candidates)
        goto out;
    size_t n_candidates = 0;
    char names[256] = "";
    if (psk_group)
        candidates[n_candidates++] = psk_group;
    for (size_t i = 0; i < config->n_tunnel_groups; i++)
        if (ikev1_sig_group(&config->tunnel_groups[i]))
            candidates[n_candidates++] = &config->tunnel_groups[i];
    for (size_t i = 0; i < n_candidates; i++)
        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "", candidates[i]->name);
    if (n_candidates == 0) {
        log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "Main Mode from %s refused: no IKEv1 pre-shared-key tunnel group "
                       "has a peer-address for it", peer);
        goto out;
    }
    if (psk_group)
        ctx.tunnel_group = psk_group->name;
    enum ikev1_vendor natt = IKEV1_VENDOR_UNKNOWN;
    bool dpd = false, unity = false, xauth = false;
    read_vendor_ids(&msg->payloads, &ctx, &natt, &dpd, &unity, &xauth);
    struct ikev1_p1_choice choice;
    const struct config_tunnel_group *tg = NULL;
    if (!choose_among(offered, candidates, n_candidates, false, NULL, &choice, &tg, &ctx, false)) {
        (void)choose_among(offered, candidates, n_candidates, false, NULL, &choice, &tg, &ctx, true);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Main Mode from %s: no acceptable IKE transform (%zu offered, tunnel "
                     "group%s %s): NO-PROPOSAL-CHOSEN", peer, offered->n_transforms, n_candidates > 1 ? "s" : "",
                     names);
        ike->stats.handshake_failures[IKE_FAIL_NO_PROPOSAL]++;
        send_plain_notify(ike, pkt, hdr, IKEV1_N_NO_PROPOSAL_CHOSEN, &ctx);
        goto out;
    }
    ctx.tunnel_group = tg->name;
    sa = calloc(1, sizeof(*sa));
    buf = malloc(IKEV1_MESSAGE_MAX);
    if (!sa || !buf)
        goto out;
    ike->stats.handshakes_started++;
    sa->exchange = IKEV1_EXCHANGE_MAIN_MODE;
    sa->mm_step = MM_WAIT_KE;
    sa->ike = ike;
    sa->config = config_ref(ike_config(ike));
    sa->state = IKEV1_SA_P1_SENT;
    memcpy(sa->icookie, hdr->icookie, IKEV1_COOKIE_LEN);
    do {
        if (crypto_random(sa->rcookie, IKEV1_COOKIE_LEN) < 0) {
            config_unref(sa->config);
            free(sa);
            sa = NULL;
            goto out;
        }
    } while (all_zero_cookie(sa->rcookie) || hashmap_get(ike->ikev1_sas, sa->rcookie, IKEV1_COOKIE_LEN));
    sa->local = sa->p1_local = pkt->local;
    sa->remote = sa->p1_remote = pkt->remote;
    sa->ifindex = pkt->ifindex;
    snprintf(sa->peer, sizeof(sa->peer), "%s", peer);
    snprintf(sa->name, sizeof(sa->name), "ikev1#%u", ++sa_counter);
    sa->choice = choice;
    sa->group = tg;
    snprintf(sa->group_name, sizeof(sa->group_name), "%s", tg->name);
    sa->natt = natt;
    sa->peer_dpd = dpd;
    sa->peer_unity = unity;
    sa->peer_xauth = xauth;
    sa->half_open_key = key;
    int r = hashmap_put(ike->ikev1_half_open, &key, sizeof(key), sa);
    if (r >= 0) {
        sa->in_half_open = true;
        r = hashmap_put(ike->ikev1_sas, sa->rcookie, IKEV1_COOKIE_LEN, sa);
    }
    if (r >= 0)
        sa->in_table = true;
    sa->sai_b = malloc(p_sa->len);
    if (r < 0 || !sa->sai_b) {
        ikev1_sa_terminate(sa, false, "out of memory");
        goto out;
    }
    memcpy(sa->sai_b, p_sa->body, p_sa->len);
    sa->sai_b_len = p_sa->len;
    ikev1_sa_log_ctx(sa, &ctx);
    ikev1_set_deadline(sa, IKEV1_P1_DEADLINE, "Main Mode not completed within 30 s");

    /* Message 2: SA VIDs */
    struct ikev1_builder b;
    struct ikev1_header h = { .exchange = IKEV1_EXCHANGE_MAIN_MODE };
    memcpy(h.icookie, sa->icookie, 8);
    memcpy(h.rcookie, sa->rcookie, 8);
    uint8_t store[7][4];
    struct ikev1_attribute attrs[7];
    size_t n = 0;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_ENCRYPTION, choice.encr_id, store[n]), n++;
    if (choice.key_bits)
        attrs[n] = ikev1_attribute_from_number(IKEV1_P1_KEY_LENGTH, choice.key_bits, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_HASH, choice.hash_id, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_AUTH_METHOD, choice.auth_method, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_GROUP_DESCRIPTION, choice.group, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_LIFE_TYPE, IKEV1_LIFE_SECONDS, store[n]), n++;
    attrs[n] = ikev1_attribute_from_number(IKEV1_P1_LIFE_DURATION, choice.lifetime, store[n]), n++;
    struct ikev1_build_transform tr = { .number = choice.transform_number, .id = IKEV1_KEY_IKE, .attrs = attrs,
                                        .n_attrs = n };
    ikev1_builder_init(&b, buf, IKEV1_MESSAGE_MAX);
    ikev1_build_header(&b, &h);
    ikev1_build_sa(&b, choice.proposal_number, IKEV1_PROTO_ISAKMP, NULL, 0, &tr, 1);
    build_vendor_ids(&b, sa, false);
    size_t len = 0;
    if (ikev1_builder_finish(&b, &len) < 0) {
        ikev1_sa_terminate(sa, false, "cannot build Main Mode message 2");
        goto out;
    }
    char enc[32];
    encr_text(choice.encr_id, choice.key_bits, enc, sizeof(enc));
    char how[SESSION_NAME_MAX + 96];
    if (ikev1_auth_is_signature(choice.auth_method))
        snprintf(how, sizeof(how), "auth %s, the tunnel group follows from the client's certificate identity "
                 "(%s for now)", auth_method_text(choice.auth_method), tg->name);
    else
        snprintf(how, sizeof(how), "tunnel group %s by peer address", tg->name);
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Main Mode from %s: %s, IKE SA proposal %u transform %u acceptable "
                 "(ike-proposal '%s': %s %s group %u, lifetime %u s)%s%s%s", peer, how, choice.proposal_number,
                 choice.transform_number, choice.config->name, enc, hash_text(choice.hash_id), choice.group,
                 choice.lifetime, xauth ? ", Xauth" : "", dpd ? ", DPD" : "",
                 natt != IKEV1_VENDOR_UNKNOWN ? ", NAT-T" : "");
    remember_in(sa, pkt);
    send_plain(sa, buf, len, &ctx);
out:
    free(candidates);
    free(buf);
    free(msg);
    free(offered);
}

/* After the Diffie-Hellman job: message 4, KE Nr [NAT-D NAT-D]. */
static void main_send4(struct ikev1_isakmp_sa *sa)
{
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    int r = crypto_ikev1_cbc_new(&sa->keys, sa->choice.encr, sa->g_xi, sa->g_xi_len, sa->g_xr, sa->g_xr_len,
                                 &sa->cbc);
    uint8_t *buf = malloc(IKEV1_MESSAGE_MAX);
    if (r < 0 || !buf) {
        free(buf);
        ikev1_sa_terminate(sa, false, "cannot set up the phase-1 encryption");
        return;
    }
    struct ikev1_builder b;
    struct ikev1_header h = { .exchange = IKEV1_EXCHANGE_MAIN_MODE };
    memcpy(h.icookie, sa->icookie, 8);
    memcpy(h.rcookie, sa->rcookie, 8);
    ikev1_builder_init(&b, buf, IKEV1_MESSAGE_MAX);
    ikev1_build_header(&b, &h);
    ikev1_build_ke(&b, sa->g_xr, sa->g_xr_len);
    ikev1_build_nonce(&b, sa->nr, sa->nr_len);
    if (ikev1_auth_is_signature(sa->choice.auth_method))
        ikev1_sig_build_certreqs(sa, &b);
    if (sa->natt != IKEV1_VENDOR_UNKNOWN)
        build_natd(&b, sa);
    size_t len = 0;
    if (ikev1_builder_finish(&b, &len) < 0) {
        free(buf);
        ikev1_sa_terminate(sa, false, "cannot build Main Mode message 4");
        return;
    }
    sa->mm_step = MM_WAIT_ID;
    send_plain(sa, buf, len, &ctx);
    free(buf);
}

static void main_message3(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt,
                          const struct ikev1_payload_list *pl, const struct log_ctx *ctx)
{
    struct ikev1_parse_status st;
    const struct ikev1_payload *p_ke = ikev1_payload_find(pl, IKEV1_PAYLOAD_KE);
    const struct ikev1_payload *p_no = ikev1_payload_find(pl, IKEV1_PAYLOAD_NONCE);
    struct ikev1_data ke, nonce;
    if (!p_ke || !p_no || ikev1_ke_decode(p_ke, &ke, &st) < 0 || ikev1_nonce_decode(p_no, &nonce, &st) < 0 ||
        ke.len != sa->choice.dh->public_len) {
        sa->ike->stats.parse_errors++;
        log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "Main Mode message 3 without a valid KE (%s) and Nonce dropped",
                     sa->choice.dh->name);
        return;
    }
    struct p1_job *j = calloc(1, sizeof(*j));
    if (!j || sa->group->psk.len > sizeof(j->psk)) {
        free(j);
        ikev1_sa_terminate(sa, false, "out of memory");
        return;
    }
    remember_in(sa, pkt);
    natd_check(sa, pl, pkt, ctx);
    memcpy(sa->g_xi, ke.data, ke.len);
    sa->g_xi_len = ke.len;
    memcpy(sa->ni, nonce.data, nonce.len);
    sa->ni_len = nonce.len;
    sa->nr_len = IKEV1_NONCE_LEN;
    if (crypto_random(sa->nr, sa->nr_len) < 0) {
        free(j);
        ikev1_sa_terminate(sa, false, "no random numbers");
        return;
    }
    j->sa = sa;
    j->group = sa->choice.dh;
    j->prf = sa->choice.prf;
    memcpy(j->peer_ke, ke.data, ke.len);
    j->peer_ke_len = ke.len;
    j->signatures = ikev1_auth_is_signature(sa->choice.auth_method);
    if (!j->signatures) {
        memcpy(j->psk, sa->group->psk.data, sa->group->psk.len);
        j->psk_len = sa->group->psk.len;
    }
    memcpy(j->ni, sa->ni, sa->ni_len);
    j->ni_len = sa->ni_len;
    memcpy(j->nr, sa->nr, IKEV1_NONCE_LEN);
    memcpy(j->icookie, sa->icookie, 8);
    memcpy(j->rcookie, sa->rcookie, 8);
    sa->mm_step = MM_COMPUTING;
    int r = job_submit(ike_jobs(sa->ike), p1_work, p1_done, j, &sa->job);
    if (r < 0) {
        log_warning_ctx(ctx, CONFIG_SUBSYS_IKEV1, "cannot start the Diffie-Hellman computation: %s", strerror(-r));
        p1_job_free(j);
        ikev1_sa_terminate(sa, false, "overloaded");
    }
}

static void main_message5(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt,
                          const struct ikev1_payload_list *pl, const struct ikev1_header *hdr, struct log_ctx *ctx)
{
    struct ikev1_parse_status st;
    const struct ikev1_payload *p_id = ikev1_payload_find(pl, IKEV1_PAYLOAD_ID);
    const struct ikev1_payload *p_hash = ikev1_payload_find(pl, IKEV1_PAYLOAD_HASH);
    struct ikev1_id id;
    struct ikev1_data hash;
    if (!(hdr->flags & IKEV1_FLAG_ENCRYPTION) || !p_id || !p_hash || ikev1_id_decode(p_id, &id, &st) < 0 ||
        ikev1_hash_decode(p_hash, &hash, &st) < 0) {
        sa->ike->stats.decrypt_failures++;
        log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "Main Mode message 5 without a valid ID and HASH (a wrong pre-shared "
                     "key at either end garbles it) dropped");
        return;
    }
    struct crypto_ikev1_phase1_input in = {
        .initiator = true,
        .g_xi = sa->g_xi, .g_xi_len = sa->g_xi_len,
        .g_xr = sa->g_xr, .g_xr_len = sa->g_xr_len,
        .cky_i = sa->icookie, .cky_r = sa->rcookie,
        .sa_i_body = sa->sai_b, .sa_i_body_len = sa->sai_b_len,
        .id_body = id.body, .id_body_len = id.body_len,
    };
    if (crypto_ikev1_phase1_hash_verify(&sa->keys, &in, hash.data, hash.len) <= 0) {
        log_notice_ctx(ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, tunnel group %s: HASH_I does not "
                       "match (the client's pre-shared key differs)", sa->peer, sa->group->name);
        sa->ike->stats.handshake_failures[IKE_FAIL_AUTH]++;
        ikev1_sa_terminate(sa, false, "phase 1 authentication failed");
        return;
    }
    ikev1_p1_message5_accepted(sa, pkt, pl, hdr, ctx);

    /* Message 6: IDr HASH_R, encrypted. */
    uint8_t hash_r[CRYPTO_PRF_OUT_MAX], plain[256];
    struct ikev1_builder b;
    memset(sa->idr_b, 0, sizeof(sa->idr_b));
    sa->idr_b[1] = 17;
    wire_put16(sa->idr_b + 2, 500);
    if (sa->p1_local.sa.sa_family == AF_INET) {
        sa->idr_b[0] = IKEV1_ID_IPV4_ADDR;
        memcpy(sa->idr_b + 4, &sa->p1_local.in.sin_addr, 4);
        sa->idr_b_len = 8;
    } else {
        sa->idr_b[0] = IKEV1_ID_IPV6_ADDR;
        memcpy(sa->idr_b + 4, &sa->p1_local.in6.sin6_addr, 16);
        sa->idr_b_len = 20;
    }
    in.initiator = false;
    in.id_body = sa->idr_b;
    in.id_body_len = sa->idr_b_len;
    int hash_len = crypto_ikev1_phase1_hash(&sa->keys, &in, hash_r, sizeof(hash_r));
    ikev1_builder_init(&b, plain, sizeof(plain));
    ikev1_build_id(&b, sa->idr_b[0], sa->idr_b[1], wire_get16(sa->idr_b + 2), sa->idr_b + 4, sa->idr_b_len - 4);
    ikev1_build_hash(&b, hash_r, hash_len > 0 ? (size_t)hash_len : 0);
    size_t len = 0;
    int r = hash_len < 0 ? hash_len : ikev1_builder_finish(&b, &len);
    crypto_wipe(hash_r, sizeof(hash_r));
    if (r < 0) {
        ikev1_sa_terminate(sa, false, "cannot build Main Mode message 6");
        return;
    }
    sa->reacting = true;
    (void)ikev1_send_encrypted(sa, IKEV1_EXCHANGE_MAIN_MODE, 0, plain, len, ikev1_builder_first_type(&b),
                               IKEV1_SEND_ONCE);
    ikev1_main_established(sa, ctx);
}

void ikev1_p1_message5_accepted(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt,
                                const struct ikev1_payload_list *pl, const struct ikev1_header *hdr,
                                struct log_ctx *ctx)
{
    (void)crypto_ikev1_cbc_confirm(sa->cbc, 0);
    sa->local = pkt->local;
    sa->remote = pkt->remote;
    ike_sockaddr_to_string(&pkt->remote, sa->peer, sizeof(sa->peer));
    if (pkt->natt && !sa->nat_detected && sa->natt == IKEV1_VENDOR_UNKNOWN)
        sa->nat_detected = true;
    ikev1_sa_log_ctx(sa, ctx);
    char desc[512];
    ikev1_message_describe(hdr, NULL, pl, desc, sizeof(desc));
    log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "received %s", desc);
    /* A retransmission of this message waits for our answer: the
     * dispatcher finds it in last_in with no last_out yet. */
    remember_in(sa, pkt);
    sa->initial_contact = ikev1_notify_find(pl, IKEV1_N_INITIAL_CONTACT) != NULL;
}

void ikev1_main_established(struct ikev1_isakmp_sa *sa, struct log_ctx *ctx)
{
    /* Phase 1 is done. */
    if (sa->in_half_open) {
        hashmap_remove(sa->ike->ikev1_half_open, &sa->half_open_key, sizeof(sa->half_open_key));
        sa->in_half_open = false;
    }
    sa->state = IKEV1_SA_XAUTH;
    sa->p1_done_usec = monotonic_usec();
    char enc[32];
    encr_text(sa->choice.encr_id, sa->choice.key_bits, enc, sizeof(enc));
    log_info_ctx(ctx, CONFIG_SUBSYS_IKEV1, "ISAKMP SA established (Main Mode): peer %s, tunnel group %s, %s %s group "
                 "%u%s%s", sa->peer, sa->group->name, enc, hash_text(sa->choice.hash_id), sa->choice.group,
                 ikev1_auth_is_signature(sa->choice.auth_method) ? ", RSA signatures" : "",
                 sa->nat_detected ? ", NAT-T" : "");
    ikev1_xauth_start(sa);
    if (sa->state != IKEV1_SA_DELETED)
        sa->reacting = false;
}

void ikev1_handle_main(struct ikev1_isakmp_sa *sa, const struct ike_packet *pkt, const struct ikev1_payload_list *pl,
                       const struct ikev1_header *hdr)
{
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    switch (sa->mm_step) {
    case MM_WAIT_KE:
        if (hdr->flags & IKEV1_FLAG_ENCRYPTION)
            break;
        {
            char desc[512];
            ikev1_message_describe(hdr, NULL, pl, desc, sizeof(desc));
            log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "received %s", desc);
        }
        main_message3(sa, pkt, pl, &ctx);
        return;
    case MM_COMPUTING:
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "Main Mode message while computing: dropped");
        return;
    case MM_WAIT_ID:
        if (ikev1_auth_is_signature(sa->choice.auth_method))
            ikev1_sig_message5(sa, pkt, pl, hdr, &ctx);
        else
            main_message5(sa, pkt, pl, hdr, &ctx);
        return;
    }
    log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "unexpected Main Mode message dropped");
}
