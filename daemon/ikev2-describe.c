/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * session_ops.describe for IKEv2 sessions: the IKE SA as `show crypto
 * ikev2 sa detail` shows it (SPIs, endpoints and identities, how each side
 * authenticated, the algorithms, lifetime, message IDs, DPD, NAT, the
 * client's version) and its CHILD SAs with the kernel's numbers
 * (child-sa-describe.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "child-sa-describe.h"
#include "control-json.h"
#include "ikev2-initiator.h"
#include "ikev2-sa.h"
#include "session.h"

static const char *remote_auth_name(enum config_auth auth)
{
    switch (auth) {
    case CONFIG_AUTH_PSK:          return "psk";
    case CONFIG_AUTH_CERTIFICATE:  return "certificate";
    case CONFIG_AUTH_EAP_MSCHAPV2: return "eap-mschapv2";
    case CONFIG_AUTH_EAP_MD5:      return "eap-md5";
    case CONFIG_AUTH_EAP_GTC:      return "eap-gtc";
    case CONFIG_AUTH_EAP_RADIUS:   return "eap-radius";
    }
    return "unknown";
}

static void add_spi64(json_object *o, const char *key, uint64_t spi)
{
    char text[24];
    snprintf(text, sizeof(text), "%016" PRIx64, spi);
    control_add_string(o, key, text);
}

static json_object *describe_ike_sa(const struct ikev2_ike_sa *sa)
{
    json_object *o = json_object_new_object();
    char text[IKE_SOCKADDR_STRING_MAX];
    if (!o)
        return NULL;
    control_add_string(o, "version", "IKEv2");
    control_add_string(o, "name", sa->sa_name);
    control_add_string(o, "state", ikev2_sa_state_name(sa->state));
    control_add_string(o, "role", "responder");
    add_spi64(o, "spi_i", sa->ispi);
    add_spi64(o, "spi_r", sa->rspi);
    control_add_string(o, "local", ike_sockaddr_to_string(&sa->local, text, sizeof(text)));
    control_add_string(o, "remote", ike_sockaddr_to_string(&sa->remote, text, sizeof(text)));
    control_add_string(o, "local_identity", sa->local_identity);
    control_add_string(o, "remote_identity", sa->identity);
    if (sa->group) {
        control_add_string(o, "local_auth",
                           sa->group->local_auth == CONFIG_LOCAL_AUTH_CERTIFICATE ? "certificate" : "psk");
        control_add_string(o, "remote_auth", remote_auth_name(sa->group->auth));
    }
    const struct ikev2_ike_choice *c = &sa->choice;
    control_add_string(o, "encryption", c->encr ? c->encr->name : NULL);
    control_add_uint(o, "encryption_key_bits", c->encr ? c->encr->key_bits : 0);
    control_add_string(o, "integrity", c->integ ? c->integ->name : NULL);
    control_add_string(o, "prf", c->prf ? c->prf->name : NULL);
    control_add_string(o, "dh_group", c->dh ? c->dh->name : NULL);
    /* Counted from IKE_AUTH or the last rekey (the client rekeys; vpnd
     * does not expire IKEv2 SAs itself). */
    uint64_t age = (monotonic_usec() - sa->established_usec) / 1000000ULL;
    control_add_uint(o, "established_seconds", age);
    if (c->config) {
        control_add_uint(o, "lifetime_seconds", c->config->lifetime_seconds);
        control_add_uint(o, "lifetime_left_seconds",
                         age >= c->config->lifetime_seconds ? 0 : c->config->lifetime_seconds - age);
    }
    json_object *mid = json_object_new_object();
    control_add_uint(mid, "expected_request", sa->expected_mid);
    control_add_uint(mid, "next_request", sa->next_request_mid);
    control_add_uint(mid, "window", 1);
    json_object_object_add(o, "message_ids", mid);
    json_object *dpd = json_object_new_object();
    control_add_uint(dpd, "interval_seconds", sa->group ? sa->group->dpd_interval : 0);
    control_add_uint(dpd, "retries", sa->group ? sa->group->dpd_retries : 0);
    if (sa->initiator && sa->initiator->last_heard_usec)
        control_add_uint(dpd, "last_heard_seconds_ago", (monotonic_usec() - sa->initiator->last_heard_usec) / 1000000ULL);
    else
        json_object_object_add(dpd, "last_heard_seconds_ago", NULL);
    json_object_object_add(o, "dpd", dpd);
    json_object *nat = json_object_new_object();
    json_object_object_add(nat, "detected", json_object_new_boolean(sa->nat_detected));
    control_add_uint(nat, "local_port", ike_sockaddr_port(&sa->local));
    control_add_uint(nat, "remote_port", ike_sockaddr_port(&sa->remote));
    json_object_object_add(o, "nat", nat);
    json_object_object_add(o, "fragmentation", json_object_new_boolean(sa->fragmentation));
    control_add_string(o, "client_version", sa->client_version);
    return o;
}

int ikev2_session_describe(struct session *s, const struct xfrm_snapshot *snap, json_object *out)
{
    struct ikev2_ike_sa *sa = s->owner;
    json_object *ike = sa ? describe_ike_sa(sa) : NULL, *children = json_object_new_array();
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
    ikev2_esp_choice_format(&sa->esp, esp, sizeof(esp));
    if (sa->has_child)
        r = child_sa_describe(ike_xfrm(sa->ike), snap, &sa->child, esp, "current", children);
    if (r >= 0 && sa->has_old_child)
        r = child_sa_describe(ike_xfrm(sa->ike), snap, sa->old_child, esp, "rekeyed", children);
    return r;
}
