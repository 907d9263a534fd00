/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Mode Config on the responder (draft-dukes-ike-mode-cfg-02 with the Cisco
 * Unity attributes), after Xauth: the inner address (the user's fixed
 * address or one from the tunnel group's pools, allocated only now) and
 * the group policy's attributes. Pull (the Cisco VPN Client, vpnc): the
 * client's REQUEST gets a REPLY with what it asked for; attributes we
 * cannot give are left out and logged, never fatal. Push (PIX "address
 * initiate"): our SET, the client's ACK.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikev1-sa.h"
#include "vpnd-build.h"

#define MODECFG_DEADLINE 60

struct cfg_out {
    struct ikev1_attribute a[48];
    size_t n;
    uint8_t buf[3072];
    size_t used;
    bool truncated;
};

static void add(struct cfg_out *o, uint16_t type, const void *v, size_t len)
{
    if (o->n >= sizeof(o->a) / sizeof(o->a[0]) || len > UINT16_MAX || len > sizeof(o->buf) - o->used) {
        o->truncated = true;
        return;
    }
    memcpy(o->buf + o->used, v, len);
    o->a[o->n++] = (struct ikev1_attribute){ .type = type, .value = o->buf + o->used, .len = (uint16_t)len };
    o->used += len;
}

static void add_tv(struct cfg_out *o, uint16_t type, uint16_t v)
{
    if (o->n >= sizeof(o->a) / sizeof(o->a[0]) || sizeof(o->buf) - o->used < 2) {
        o->truncated = true;
        return;
    }
    o->a[o->n++] = ikev1_attribute_from_number(type, v, o->buf + o->used);
    o->used += 4 <= sizeof(o->buf) - o->used ? 4 : 2;
}

static bool has_type(const struct cfg_out *o, uint16_t type)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->a[i].type == type)
            return true;
    return false;
}

/* Unity split lists: per network its address, mask and 6 zero bytes
 * (protocol and ports: any). */
static void add_networks(struct cfg_out *o, uint16_t type, const struct config_prefix *nets, size_t n)
{
    uint8_t entries[14 * 32];
    size_t len = 0;
    for (size_t i = 0; i < n && len + 14 <= sizeof(entries); i++) {
        if (nets[i].addr.family != AF_INET)
            continue;
        uint32_t mask = nets[i].prefix_len ? htonl(UINT32_MAX << (32 - nets[i].prefix_len)) : 0;
        memset(entries + len, 0, 14);
        memcpy(entries + len, &nets[i].addr.in, 4);
        memcpy(entries + len + 4, &mask, 4);
        len += 14;
    }
    if (len)
        add(o, type, entries, len);
}

/* One requested attribute; false when we cannot or do not give it. */
static bool add_attribute(struct ikev1_isakmp_sa *sa, struct cfg_out *o, uint16_t type)
{
    const struct config_group_policy *gp = sa->policy;
    char version[64];
    switch (type) {
    case IKEV1_CFG_INTERNAL_IP4_ADDRESS:
        add(o, type, &sa->address.in, 4);
        return true;
    case IKEV1_CFG_INTERNAL_IP4_NETMASK:
        add(o, type, &sa->netmask, 4);
        return true;
    case IKEV1_CFG_INTERNAL_IP4_DNS:
    case IKEV1_CFG_INTERNAL_IP4_NBNS: {
        const struct config_address *list = type == IKEV1_CFG_INTERNAL_IP4_DNS ? gp->dns : gp->wins;
        size_t n = type == IKEV1_CFG_INTERNAL_IP4_DNS ? gp->n_dns : gp->n_wins, added = 0;
        for (size_t i = 0; i < n; i++)
            if (list[i].family == AF_INET) {
                add(o, type, &list[i].in, 4);
                added++;
            }
        return added > 0;
    }
    case IKEV1_CFG_APPLICATION_VERSION:
        snprintf(version, sizeof(version), "vpnd %s", VPND_VERSION);
        add(o, type, version, strlen(version));
        return true;
    case IKEV1_UNITY_BANNER:
        if (!gp->banner)
            return false;
        add(o, type, gp->banner, strlen(gp->banner));
        return true;
    case IKEV1_UNITY_SAVE_PASSWD:
        add_tv(o, type, gp->save_password ? 1 : 0);
        return true;
    case IKEV1_UNITY_DEF_DOMAIN:
        if (!gp->default_domain)
            return false;
        add(o, type, gp->default_domain, strlen(gp->default_domain));
        return true;
    case IKEV1_UNITY_SPLIT_INCLUDE:
        if (gp->split_tunnel != CONFIG_SPLIT_TUNNEL_INCLUDE || gp->n_split_networks == 0)
            return false;
        add_networks(o, type, gp->split_networks, gp->n_split_networks);
        return true;
    case IKEV1_UNITY_LOCAL_LAN:
        if (gp->split_tunnel != CONFIG_SPLIT_TUNNEL_EXCLUDE || gp->n_split_networks == 0)
            return false;
        add_networks(o, type, gp->split_networks, gp->n_split_networks);
        return true;
    case IKEV1_UNITY_PFS:
        add_tv(o, type, gp->pfs ? 1 : 0);
        return true;
    default:
        return false;
    }
}

/* What we send: the requested attributes (req NULL: everything we have,
 * for push), the address and netmask always. */
static void build_attributes(struct ikev1_isakmp_sa *sa, const struct ikev1_cfg *req, struct cfg_out *o,
                             char *left_out, size_t left_len)
{
    static const uint16_t all[] = {
        IKEV1_CFG_INTERNAL_IP4_ADDRESS, IKEV1_CFG_INTERNAL_IP4_NETMASK, IKEV1_CFG_INTERNAL_IP4_DNS,
        IKEV1_CFG_INTERNAL_IP4_NBNS, IKEV1_UNITY_BANNER, IKEV1_UNITY_SAVE_PASSWD, IKEV1_UNITY_DEF_DOMAIN,
        IKEV1_UNITY_SPLIT_INCLUDE, IKEV1_UNITY_LOCAL_LAN, IKEV1_UNITY_PFS,
    };
    size_t used = 0;
    left_out[0] = '\0';
    memset(o, 0, sizeof(*o));
    if (!req) {
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
            (void)add_attribute(sa, o, all[i]);
        return;
    }
    for (size_t i = 0; i < req->n; i++) {
        uint16_t t = req->attrs[i].type;
        if (has_type(o, t))
            continue;
        if (!add_attribute(sa, o, t) && used + 1 < left_len) {
            const char *name = ikev1_cfg_attribute_name(t);
            int k = name ? snprintf(left_out + used, left_len - used, "%s%s(%u)", used ? " " : "", name, t)
                         : snprintf(left_out + used, left_len - used, "%s%u", used ? " " : "", t);
            if (k > 0)
                used += (size_t)k < left_len - used ? (size_t)k : left_len - used - 1;
        }
    }
    if (!has_type(o, IKEV1_CFG_INTERNAL_IP4_ADDRESS))
        (void)add_attribute(sa, o, IKEV1_CFG_INTERNAL_IP4_ADDRESS);
    if (!has_type(o, IKEV1_CFG_INTERNAL_IP4_NETMASK))
        (void)add_attribute(sa, o, IKEV1_CFG_INTERNAL_IP4_NETMASK);
}

static void log_assigned(struct ikev1_isakmp_sa *sa, const char *how, const char *left_out)
{
    struct log_ctx ctx;
    char addr[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
    ikev1_sa_log_ctx(sa, &ctx);
    inet_ntop(AF_INET, &sa->address.in, addr, sizeof(addr));
    inet_ntop(AF_INET, &sa->netmask, mask, sizeof(mask));
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Mode Config %s: address %s/%s for user %s (group policy %s)", how,
                 addr, mask, sa->user, sa->policy->name);
    if (left_out && *left_out)
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Mode Config: requested attributes left out (not supported or not "
                     "configured): %s", left_out);
}

void ikev1_modecfg_start(struct ikev1_isakmp_sa *sa)
{
    struct log_ctx ctx;
    sa->state = IKEV1_SA_MODECFG;
    ikev1_sa_log_ctx(sa, &ctx);
    if (!sa->policy) {
        ikev1_sa_terminate(sa, true, "the tunnel group has no group policy");
        return;
    }
    const struct config_user *user = sa->grant ? &sa->grant->user
                                     : sa->group->xauth ? config_user_find(sa->config, sa->user) : NULL;
    const char *exhausted = NULL;
    uint64_t in_use = 0;
    bool adopted = ikev1_reauth_adopt(sa);
    int r = adopted ? 0 : ike_address_acquire(sa->ike, sa->group, user, sa->user, &sa->address, &sa->pool,
                                              &exhausted, &in_use);
    if (r < 0) {
        char why[SESSION_NAME_MAX + 160];
        if (r == -ENOSPC)
            snprintf(why, sizeof(why), "no address for %s: pool '%s' exhausted (%llu addresses in use)", sa->user,
                     exhausted ? exhausted : "(none)", (unsigned long long)in_use);
        else
            snprintf(why, sizeof(why), "no address for %s: %s", sa->user,
                     sa->group->n_pools || user ? strerror(-r) : "the tunnel group has no pool");
        log_notice_ctx(&ctx, CONFIG_SUBSYS_POOL, "%s", why);
        sa->ike->stats.handshake_failures[IKE_FAIL_ADDRESS]++;
        ikev1_sa_terminate(sa, true, why);
        return;
    }
    sa->has_address = true;
    if (user && user->has_address && (user->has_netmask || !sa->pool))
        sa->netmask = user->has_netmask ? user->netmask : (struct in_addr){ htonl(UINT32_MAX) };
    else if (sa->pool)
        sa->netmask = pool_config(sa->pool)->netmask;

    if (sa->group->mode_config == CONFIG_MODE_CONFIG_PUSH) {
        struct cfg_out *o = malloc(sizeof(*o));
        uint8_t *plain = malloc(IKEV1_PLAIN_MAX);
        struct ikev1_builder b;
        char left[8];
        if (!o || !plain) {
            free(o);
            free(plain);
            ikev1_sa_terminate(sa, true, "out of memory");
            return;
        }
        build_attributes(sa, NULL, o, left, sizeof(left));
        uint32_t mid = ikev1_new_mid(sa);
        ikev1_builder_init(&b, plain, IKEV1_PLAIN_MAX);
        ikev1_build_hash_reserve(&b, sa->keys.prf->out_len);
        ikev1_build_cfg(&b, IKEV1_CFG_SET, ++sa->cfg_identifier, o->a, o->n);
        sa->req_max_tries = 5;
        ikev1_set_deadline(sa, MODECFG_DEADLINE, "Mode Config SET not acknowledged within 60 s");
        (void)ikev1_send_hashed(sa, IKEV1_EXCHANGE_TRANSACTION, mid, &b, plain, NULL, 0, IKEV1_SEND_REQUEST);
        free(o);
        free(plain);
        return;
    }
    if (adopted) {
        /* The Cisco VPN Client and vpnc rekey phase 1 with Xauth but no
         * Mode Config: they keep the address they have. A REQUEST that
         * does come (strongSwan) is answered in READY as well. */
        sa->state = IKEV1_SA_READY;
        ikev1_lifetime_start(sa);
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Mode Config: re-authenticated client keeps its address; "
                     "a request is answered but not awaited");
        ikev1_sa_ready(sa);
        return;
    }
    ikev1_set_deadline(sa, MODECFG_DEADLINE, "no Mode Config request within 60 s");
}

bool ikev1_modecfg_handle(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr, const struct ikev1_cfg *cfg)
{
    /* The ACK of our SET.  libreswan, configured for push, still sends a
     * REQUEST right after Xauth and drops our SET while it waits for the
     * REPLY; it ACKs our retransmitted SET after the REPLY (pull) has
     * already set the client up: the ACK then only ends the SET's
     * retransmissions (which would otherwise end the SA). */
    if (cfg->type == IKEV1_CFG_ACK && sa->req && hdr->message_id == sa->req_mid &&
        sa->group->mode_config == CONFIG_MODE_CONFIG_PUSH) {
        ikev1_request_done(sa);
        crypto_ikev1_cbc_forget(sa->cbc, hdr->message_id);
        if (sa->state == IKEV1_SA_MODECFG) {
            sa->state = IKEV1_SA_READY;
            ikev1_lifetime_start(sa);
        }
        log_assigned(sa, "push: peer accepted the address", NULL);
        ikev1_sa_ready(sa);
        return true;
    }
    /* Retransmissions of that ACK (libreswan repeats it). */
    if (cfg->type == IKEV1_CFG_ACK && sa->group->mode_config == CONFIG_MODE_CONFIG_PUSH &&
        sa->state == IKEV1_SA_READY && cfg->identifier == sa->cfg_identifier) {
        struct log_ctx ctx;
        ikev1_sa_log_ctx(sa, &ctx);
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "Mode Config ACK 0x%08x again: ignored", hdr->message_id);
        return true;
    }
    if (cfg->type != IKEV1_CFG_REQUEST)
        return false;
    struct cfg_out *o = malloc(sizeof(*o));
    uint8_t *plain = malloc(IKEV1_PLAIN_MAX);
    struct ikev1_builder b;
    char left[256];
    if (!o || !plain) {
        free(o);
        free(plain);
        return true;
    }
    build_attributes(sa, cfg, o, left, sizeof(left));
    ikev1_builder_init(&b, plain, IKEV1_PLAIN_MAX);
    ikev1_build_hash_reserve(&b, sa->keys.prf->out_len);
    ikev1_build_cfg(&b, IKEV1_CFG_REPLY, cfg->identifier, o->a, o->n);
    if (o->truncated) {
        struct log_ctx ctx;
        ikev1_sa_log_ctx(sa, &ctx);
        log_warning_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Mode Config reply truncated: too many attributes");
    }
    (void)ikev1_send_hashed(sa, IKEV1_EXCHANGE_TRANSACTION, hdr->message_id, &b, plain, NULL, 0, IKEV1_SEND_ONCE);
    crypto_ikev1_cbc_forget(sa->cbc, hdr->message_id);
    if (sa->state == IKEV1_SA_MODECFG) {
        sa->state = IKEV1_SA_READY;
        ikev1_lifetime_start(sa);
        log_assigned(sa, "pull: reply sent", left);
        ikev1_sa_ready(sa);
    }
    free(o);
    free(plain);
    return true;
}
