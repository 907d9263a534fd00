/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * session_ops.describe for IKEv1 sessions: the ISAKMP SA as `show crypto
 * isakmp sa detail` shows it (cookies, endpoints, group and Xauth user,
 * authentication method, algorithms, lifetime, DPD, NAT-T, what the
 * client announced in its vendor IDs) and its IPsec SAs with the kernel's
 * numbers (child-sa-describe.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "child-sa-describe.h"
#include "control-json.h"
#include "ikev1-constants.h"
#include "ikev1-sa.h"
#include "session.h"

static const char *auth_method_name(uint16_t method)
{
    switch (method) {
    case IKEV1_AUTH_PSK:             return "psk";
    case IKEV1_AUTH_RSA_SIG:         return "rsa-sig";
    case IKEV1_AUTH_XAUTH_INIT_PSK:  return "psk+xauth";
    case IKEV1_AUTH_XAUTH_INIT_RSA:  return "rsa-sig+xauth";
    case IKEV1_AUTH_HYBRID_INIT_RSA: return "hybrid-rsa";
    }
    return "other";
}

static const char *state_name(enum ikev1_sa_state state)
{
    switch (state) {
    case IKEV1_SA_P1_PENDING: return "p1-pending";
    case IKEV1_SA_P1_SENT:    return "p1-sent";
    case IKEV1_SA_XAUTH:      return "xauth";
    case IKEV1_SA_MODECFG:    return "mode-config";
    case IKEV1_SA_READY:      return "ready";
    case IKEV1_SA_DELETED:    return "deleted";
    }
    return "unknown";
}

static void add_cookie(json_object *o, const char *key, const uint8_t *cookie)
{
    char text[2 * IKEV1_COOKIE_LEN + 1];
    for (size_t i = 0; i < IKEV1_COOKIE_LEN; i++)
        snprintf(text + 2 * i, 3, "%02x", cookie[i]);
    control_add_string(o, key, text);
}

static json_object *describe_isakmp_sa(const struct ikev1_isakmp_sa *sa)
{
    json_object *o = json_object_new_object();
    char text[IKE_SOCKADDR_STRING_MAX];
    if (!o)
        return NULL;
    control_add_string(o, "version", "IKEv1");
    control_add_string(o, "name", sa->name);
    control_add_string(o, "state", state_name(sa->state));
    control_add_string(o, "role", "responder");
    control_add_string(o, "exchange", ikev1_exchange_name(sa->exchange));
    add_cookie(o, "spi_i", sa->icookie);
    add_cookie(o, "spi_r", sa->rcookie);
    control_add_string(o, "local", ike_sockaddr_to_string(&sa->local, text, sizeof(text)));
    control_add_string(o, "remote", ike_sockaddr_to_string(&sa->remote, text, sizeof(text)));
    control_add_string(o, "group_identity", sa->group_name[0] ? sa->group_name : NULL);
    control_add_string(o, "xauth_user", sa->xauth_done && sa->group && sa->group->xauth ? sa->user : NULL);
    control_add_string(o, "auth", auth_method_name(sa->choice.auth_method));
    const struct ikev1_p1_choice *c = &sa->choice;
    control_add_string(o, "encryption", c->encr ? c->encr->name : NULL);
    control_add_uint(o, "encryption_key_bits", c->encr ? c->encr->key_bits : 0);
    control_add_string(o, "prf", c->prf ? c->prf->name : NULL);
    control_add_string(o, "dh_group", c->dh ? c->dh->name : NULL);
    uint64_t age = sa->p1_done_usec ? (monotonic_usec() - sa->p1_done_usec) / 1000000ULL : 0;
    control_add_uint(o, "established_seconds", age);
    /* vpnd ends the ISAKMP SA when this runs out (ikev1_lifetime_start). */
    control_add_uint(o, "lifetime_seconds", c->lifetime);
    control_add_uint(o, "lifetime_left_seconds", age >= c->lifetime ? 0 : c->lifetime - age);
    json_object *dpd = json_object_new_object();
    json_object_object_add(dpd, "peer_supports", json_object_new_boolean(sa->peer_dpd));
    control_add_uint(dpd, "interval_seconds", sa->group ? sa->group->dpd_interval : 0);
    control_add_uint(dpd, "retries", sa->group ? sa->group->dpd_retries : 0);
    control_add_uint(dpd, "unanswered", sa->dpd_unanswered);
    json_object_object_add(o, "dpd", dpd);
    json_object *nat = json_object_new_object();
    json_object_object_add(nat, "detected", json_object_new_boolean(sa->nat_detected));
    const struct ikev1_vendor_id_info *natt = ikev1_vendor_id_get(sa->natt);
    control_add_string(nat, "method", natt ? natt->name : NULL);
    control_add_uint(nat, "local_port", ike_sockaddr_port(&sa->local));
    control_add_uint(nat, "remote_port", ike_sockaddr_port(&sa->remote));
    json_object_object_add(o, "nat", nat);
    /* What the client announced: ASA shows the Cisco Unity client this way. */
    json_object *vendor = json_object_new_array();
    if (sa->peer_unity)
        json_object_array_add(vendor, json_object_new_string("Cisco Unity"));
    if (sa->peer_xauth)
        json_object_array_add(vendor, json_object_new_string("XAuth"));
    if (sa->peer_dpd)
        json_object_array_add(vendor, json_object_new_string("DPD"));
    json_object_object_add(o, "client_vendor_ids", vendor);
    return o;
}

int ikev1_session_describe(struct session *s, const struct xfrm_snapshot *snap, json_object *out)
{
    struct ikev1_isakmp_sa *sa = s->owner;
    json_object *ike = sa ? describe_isakmp_sa(sa) : NULL, *children = json_object_new_array();
    char esp[128] = "";
    int r = 0;

    if ((sa && !ike) || !children) {
        json_object_put(ike);
        json_object_put(children);
        return -ENOMEM;
    }
    json_object_object_add(out, "ike_sa", ike);
    json_object_object_add(out, "child_sas", children);
    if (!sa)
        return 0;
    for (size_t i = 0; i < sa->n_children && r >= 0; i++) {
        const struct ikev1_child *ch = &sa->children[i];
        snprintf(esp, sizeof(esp), "%s%s%s%s%s", ch->esp.encr ? ch->esp.encr->name : "?",
                 ch->esp.integ ? "/" : "", ch->esp.integ ? ch->esp.integ->name : "",
                 ch->esp.pfs ? "/" : "", ch->esp.pfs ? ch->esp.pfs->name : "");
        r = child_sa_describe(ike_xfrm(sa->ike), snap, &ch->sa, esp, "current", children);
        if (r >= 0 && ch->has_old)
            r = child_sa_describe(ike_xfrm(sa->ike), snap, &ch->old, esp, "rekeyed", children);
    }
    return r;
}
