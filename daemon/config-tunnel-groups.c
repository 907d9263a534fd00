/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tunnel-groups: remote-access connection profiles (ASA `tunnel-group NAME
 * type remote-access`). A tunnel group says which IKE versions it serves,
 * how the client authenticates (PSK, certificate, EAP, with Xauth for
 * IKEv1) and how vpnd authenticates itself, how an incoming IKE SA is
 * matched to it, and what the client gets: pools, group policy, proposals.
 *
 * Matching an incoming IKE SA to a tunnel group:
 *   IKEv1 Aggressive Mode: the ID_KEY_ID in message 1 equals `group-name`
 *     (the Cisco VPN Client's "group"); the group's PSK is then used.
 *   IKEv1 Main Mode with PSK: the PSK must be known before the peer's ID
 *     is (RFC 2409 5.4), so it is chosen by the peer's address:
 *     `peer-address`, longest prefix first; 0.0.0.0/0 is the PIX/IOS
 *     wildcard key (`isakmp key ... address 0.0.0.0 netmask 0.0.0.0`).
 *   IKEv1 Main Mode with certificates: the ID of message 5 against the
 *     `identity` patterns of the IKEv1 certificate groups, as in IKEv2
 *     (ikev1-auth-sig.c).
 *   IKEv2: the peer's IDi against `identity` patterns; a group without
 *     patterns takes any identity (at most one such group).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config-internal.h"

static const struct {
    const char *name;
    enum config_auth auth;
    bool xauth;
} auth_methods[] = {
    { "psk",               CONFIG_AUTH_PSK,          false },
    { "certificate",       CONFIG_AUTH_CERTIFICATE,  false },
    { "psk+xauth",         CONFIG_AUTH_PSK,          true },
    { "certificate+xauth", CONFIG_AUTH_CERTIFICATE,  true },
    { "eap-mschapv2",      CONFIG_AUTH_EAP_MSCHAPV2, false },
    { "eap-md5",           CONFIG_AUTH_EAP_MD5,      false },
    { "eap-gtc",           CONFIG_AUTH_EAP_GTC,      false },
};

static const struct {
    const char *prefix;
    enum config_identity_type type;
} identity_types[] = {
    { "fqdn:",    CONFIG_ID_FQDN },
    { "email:",   CONFIG_ID_EMAIL },
    { "address:", CONFIG_ID_ADDRESS },
    { "key-id:",  CONFIG_ID_KEY_ID },
    { "dn:",      CONFIG_ID_DN },
};

static int parse_versions(struct config_parser *p, const config_setting_t *s, const char *what,
                          struct config_tunnel_group *tg)
{
    const config_setting_t *list;
    int n = config_member_list(p, s, what, "ike-version", &list);
    if (n < 0)
        return n;
    if (!list)
        return config_fail(p, s, "%s: 'ike-version' is missing", what);
    if (n == 0)
        return config_fail(p, list, "%s: 'ike-version' must not be empty", what);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_list_elem(list, i);
        unsigned long long v;
        int r = config_get_uint(p, e, what, 1, 2, &v);
        if (r < 0)
            return r;
        if (v == 1)
            tg->ikev1 = true;
        else
            tg->ikev2 = true;
    }
    return 0;
}

static int parse_auth(struct config_parser *p, const config_setting_t *s, const char *what,
                      struct config_tunnel_group *tg)
{
    const char *text;
    int r = config_member_string(p, s, what, "authentication", true, &text);
    if (r < 0)
        return r;
    const config_setting_t *as = config_member(s, "authentication");
    size_t i, n = sizeof(auth_methods) / sizeof(auth_methods[0]);
    for (i = 0; i < n; i++)
        if (strcmp(auth_methods[i].name, text) == 0)
            break;
    if (i == n)
        return config_fail(p, as, "%s: unknown authentication '%s' (psk, certificate, psk+xauth, "
                           "certificate+xauth, eap-mschapv2, eap-md5 or eap-gtc)", what, text);
    tg->auth = auth_methods[i].auth;
    tg->xauth = auth_methods[i].xauth;
    bool eap = tg->auth == CONFIG_AUTH_EAP_MSCHAPV2 || tg->auth == CONFIG_AUTH_EAP_MD5 ||
               tg->auth == CONFIG_AUTH_EAP_GTC;
    if (tg->xauth && tg->ikev2)
        return config_fail(p, as, "%s: authentication '%s' is IKEv1 only (IKEv2 uses EAP); set ike-version = 1",
                           what, text);
    if (eap && tg->ikev1)
        return config_fail(p, as, "%s: authentication '%s' is IKEv2 only (IKEv1 uses Xauth); set ike-version = 2",
                           what, text);

    tg->local_auth = tg->auth == CONFIG_AUTH_PSK ? CONFIG_LOCAL_AUTH_PSK : CONFIG_LOCAL_AUTH_CERTIFICATE;
    const char *local = NULL;
    r = config_member_string(p, s, what, "local-authentication", false, &local);
    if (r < 0 || !local)
        return r;
    const config_setting_t *ls = config_member(s, "local-authentication");
    if (strcmp(local, "psk") == 0)
        tg->local_auth = CONFIG_LOCAL_AUTH_PSK;
    else if (strcmp(local, "certificate") == 0)
        tg->local_auth = CONFIG_LOCAL_AUTH_CERTIFICATE;
    else
        return config_fail(p, ls, "%s: unknown local-authentication '%s' (psk or certificate)", what, local);
    /* IKEv1 negotiates one method for both sides. */
    if (tg->ikev1 && (tg->local_auth == CONFIG_LOCAL_AUTH_PSK) != (tg->auth == CONFIG_AUTH_PSK))
        return config_fail(p, ls, "%s: IKEv1 authenticates both sides the same way; local-authentication "
                           "'%s' does not match authentication '%s'", what, local, text);
    return 0;
}

static bool valid_pattern(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static int parse_identities(struct config_parser *p, const config_setting_t *s, const char *what,
                            struct config_tunnel_group *tg)
{
    const config_setting_t *list;
    int n = config_member_list(p, s, what, "identity", &list);
    if (n < 0)
        return n;
    if (list && n == 0)
        return config_fail(p, list, "%s: 'identity' must not be empty (leave it out to accept any)", what);
    if (n == 0)
        return 0;
    tg->identities = calloc((size_t)n, sizeof(*tg->identities));
    if (!tg->identities)
        return config_fail_errno(p, list, ENOMEM, "out of memory");

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_list_elem(list, i);
        struct config_identity *id = &tg->identities[i];
        const char *text;
        int r = config_get_string(p, e, what, &text);
        if (r < 0)
            return r;
        size_t k, nt = sizeof(identity_types) / sizeof(identity_types[0]);
        for (k = 0; k < nt; k++)
            if (strncmp(text, identity_types[k].prefix, strlen(identity_types[k].prefix)) == 0)
                break;
        if (k == nt)
            return config_fail(p, e, "%s: identity '%s' must start with fqdn:, email:, address:, key-id: or dn:",
                               what, text);
        const char *pattern = text + strlen(identity_types[k].prefix);
        if (!*pattern || !valid_pattern(pattern) || strlen(pattern) > 1024)
            return config_fail(p, e, "%s: identity '%s' has an empty or invalid pattern", what, text);
        id->type = identity_types[k].type;
        if (id->type == CONFIG_ID_ADDRESS) {
            r = config_parse_prefix(pattern, &id->prefix);
            if (r == -EINVAL && config_parse_address(pattern, &id->prefix.addr) == 0) {
                id->prefix.prefix_len = id->prefix.addr.family == AF_INET ? 32 : 128;
                r = 0;
            }
            if (r < 0)
                return config_fail(p, e, "%s: identity '%s': not an address or prefix without host bits",
                                   what, text);
        }
        if (id->type == CONFIG_ID_EMAIL && !strchr(pattern, '@'))
            return config_fail(p, e, "%s: identity '%s': an email pattern needs an '@'", what, text);
        id->pattern = strdup(pattern);
        if (!id->pattern)
            return config_fail_errno(p, e, ENOMEM, "out of memory");
        tg->n_identities++;
    }
    return 0;
}

static int parse_peer_addresses(struct config_parser *p, const config_setting_t *s, const char *what,
                                struct config_tunnel_group *tg)
{
    const config_setting_t *list;
    int n = config_member_list(p, s, what, "peer-address", &list);
    if (n < 0)
        return n;
    if (list && n == 0)
        return config_fail(p, list, "%s: 'peer-address' must not be empty", what);
    if (n == 0)
        return 0;
    if (!tg->ikev1)
        return config_fail(p, list, "%s: 'peer-address' selects IKEv1 Main Mode keys; this group has no IKEv1", what);
    if (tg->auth != CONFIG_AUTH_PSK)
        return config_fail(p, list, "%s: 'peer-address' selects IKEv1 Main Mode pre-shared keys; certificate "
                           "groups are selected by 'identity'", what);
    tg->peer_addresses = calloc((size_t)n, sizeof(*tg->peer_addresses));
    if (!tg->peer_addresses)
        return config_fail_errno(p, list, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_list_elem(list, i);
        const char *text;
        int r = config_get_string(p, e, what, &text);
        if (r < 0)
            return r;
        r = config_parse_prefix(text, &tg->peer_addresses[i]);
        if (r == -EDOM)
            return config_fail(p, e, "%s: peer-address '%s' has host bits set", what, text);
        if (r < 0)
            return config_fail(p, e, "%s: peer-address '%s' is not a prefix (address/length, 0.0.0.0/0 for any)",
                               what, text);
        tg->n_peer_addresses++;
    }
    return 0;
}

/* Resolves a list of names with `find`, into a new pointer array. */
typedef const void *(*find_fn)(const struct vpnd_config *config, const char *name);

static int resolve_list(struct config_parser *p, const config_setting_t *s, const char *what, const char *key,
                        const char *kind, bool required, find_fn find, const void ***ret, size_t *n_ret,
                        const config_setting_t **elems)
{
    const config_setting_t *list;
    int n = config_member_list(p, s, what, key, &list);
    if (n < 0)
        return n;
    if (!list && required)
        return config_fail(p, s, "%s: '%s' is missing", what, key);
    if (list && n == 0)
        return config_fail(p, list, "%s: '%s' must not be empty", what, key);
    if (n == 0)
        return 0;
    const void **v = calloc((size_t)n, sizeof(*v));
    if (!v)
        return config_fail_errno(p, list, ENOMEM, "out of memory");
    *ret = v;
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_list_elem(list, i);
        const char *name;
        int r = config_get_string(p, e, what, &name);
        if (r < 0)
            return r;
        v[i] = find(p->config, name);
        if (!v[i])
            return config_fail(p, e, "%s: unknown %s '%s'", what, kind, name);
        for (int j = 0; j < i; j++)
            if (v[j] == v[i])
                return config_fail(p, e, "%s: %s '%s' is listed twice", what, kind, name);
        if (elems)
            elems[i] = e;
        *n_ret = (size_t)i + 1;
    }
    return 0;
}

static const void *find_pool(const struct vpnd_config *c, const char *name)
{
    return config_pool_find(c, name);
}

static const void *find_ike(const struct vpnd_config *c, const char *name)
{
    return config_ike_proposal_find(c, name);
}

static const void *find_esp(const struct vpnd_config *c, const char *name)
{
    return config_esp_proposal_find(c, name);
}

/* IKEv1 has no AES-GCM for its own SA and no Curve25519. */
static int check_ikev1_proposal(struct config_parser *p, const config_setting_t *e, const char *what,
                                const struct config_ike_proposal *ip)
{
    for (size_t i = 0; i < ip->n_encryption; i++)
        if (ip->encryption[i]->ikev1_id == 0)
            return config_fail(p, e, "%s: ike-proposal '%s' uses %s, which IKEv1 does not support", what,
                               ip->name, ip->encryption[i]->keyword);
    for (size_t i = 0; i < ip->n_dh_groups; i++)
        if (ip->dh_groups[i]->ikev1_id == 0)
            return config_fail(p, e, "%s: ike-proposal '%s' uses DH group %s, which IKEv1 does not support",
                               what, ip->name, ip->dh_groups[i]->keyword);
    return 0;
}

static int parse_references(struct config_parser *p, const config_setting_t *s, const char *what,
                            struct config_tunnel_group *tg)
{
    const config_setting_t *elems[CONFIG_MAX_LIST];
    const char *text;
    int r;

    r = resolve_list(p, s, what, "address-pool", "pool", false, find_pool,
                     (const void ***)&tg->pools, &tg->n_pools, NULL);
    if (r < 0)
        return r;
    for (size_t i = 0; i < tg->n_pools; i++)
        if (tg->pools[i]->family == AF_INET6 && tg->ikev1)
            return config_fail(p, config_member(s, "address-pool"), "%s: IPv6 pool '%s' cannot serve IKEv1 "
                               "clients (Mode Config is IPv4 only)", what, tg->pools[i]->name);

    r = config_member_string(p, s, what, "group-policy", true, &text);
    if (r < 0)
        return r;
    const config_setting_t *gs = config_member(s, "group-policy");
    r = config_resolve_group_policy(p, gs, what, text, &tg->group_policy);
    if (r < 0)
        return r;
    if (tg->ikev1 && !(tg->group_policy->protocols & CONFIG_PROTOCOL_IKEV1))
        return config_fail(p, gs, "%s: group-policy '%s' does not allow ikev1", what, text);
    if (tg->ikev2 && !(tg->group_policy->protocols & CONFIG_PROTOCOL_IKEV2))
        return config_fail(p, gs, "%s: group-policy '%s' does not allow ikev2", what, text);

    r = resolve_list(p, s, what, "ike-proposals", "ike-proposal", true, find_ike,
                     (const void ***)&tg->ike_proposals, &tg->n_ike_proposals, elems);
    if (r < 0)
        return r;
    for (size_t i = 0; tg->ikev1 && i < tg->n_ike_proposals; i++) {
        r = check_ikev1_proposal(p, elems[i], what, tg->ike_proposals[i]);
        if (r < 0)
            return r;
    }
    r = resolve_list(p, s, what, "esp-proposals", "esp-proposal", true, find_esp,
                     (const void ***)&tg->esp_proposals, &tg->n_esp_proposals, NULL);
    if (r < 0)
        return r;
    r = config_resolve_aaa_group(p, s, what, "authentication-server-group", &tg->authentication_server_group);
    if (r < 0)
        return r;
    return config_resolve_aaa_group(p, s, what, "accounting-server-group", &tg->accounting_server_group);
}

/* The certificate and key must load and belong together; finding out at
 * the first handshake would be too late. */
static int check_certificate(struct config_parser *p, const config_setting_t *s, const char *what,
                             const struct config_tunnel_group *tg)
{
    const config_setting_t *cs = config_member(s, "certificate"), *ks = config_member(s, "private-key");
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    int r = 0;

    FILE *f = fopen(tg->certificate, "re");
    if (f) {
        cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (!cert) {
        r = config_fail(p, cs, "%s: certificate '%s' is not a PEM certificate", what,
                        config_setting_get_string(cs));
        goto out;
    }
    f = fopen(tg->private_key, "re");
    if (f) {
        /* An empty passphrase: an encrypted key fails instead of prompting. */
        key = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
        fclose(f);
    }
    if (!key) {
        r = config_fail(p, ks, "%s: private-key '%s' is not an unencrypted PEM private key", what,
                        config_setting_get_string(ks));
        goto out;
    }
    if (X509_check_private_key(cert, key) != 1)
        r = config_fail(p, ks, "%s: private-key '%s' does not belong to certificate '%s'", what,
                        config_setting_get_string(ks), config_setting_get_string(cs));
    else if (tg->ikev1 && !EVP_PKEY_is_a(key, "RSA"))
        r = config_fail(p, ks, "%s: private-key '%s' is not RSA: IKEv1 signs with RSA (auth method 3)", what,
                        config_setting_get_string(ks));
out:
    ERR_clear_error();
    X509_free(cert);
    EVP_PKEY_free(key);
    return r;
}

static int parse_credentials(struct config_parser *p, const config_setting_t *s, const char *what,
                             struct config_tunnel_group *tg)
{
    bool need_psk = tg->auth == CONFIG_AUTH_PSK || tg->local_auth == CONFIG_LOCAL_AUTH_PSK;
    bool need_cert = tg->local_auth == CONFIG_LOCAL_AUTH_CERTIFICATE;
    bool need_ca = tg->auth == CONFIG_AUTH_CERTIFICATE;
    int r;

    r = config_member_secret(p, s, what, "psk", &tg->psk);
    if (r < 0)
        return r;
    if (need_psk && r == 0)
        return config_fail(p, s, "%s: a pre-shared key is needed: set 'psk', 'psk-file' or 'psk-credential'", what);
    if (!need_psk && r > 0) {
        const config_setting_t *m = config_member(s, "psk");
        m = m ? m : config_member(s, "psk-file");
        m = m ? m : config_member(s, "psk-credential");
        return config_fail(p, m, "%s: a pre-shared key is set but neither side authenticates with it", what);
    }

    static const char *const cert_keys[] = { "certificate", "private-key" };
    for (size_t i = 0; i < 2; i++) {
        const config_setting_t *m = config_member(s, cert_keys[i]);
        if (!need_cert && m)
            return config_fail(p, m, "%s: '%s' is set but local-authentication is psk", what, cert_keys[i]);
        if (need_cert && !m)
            return config_fail(p, s, "%s: local-authentication certificate needs '%s'", what, cert_keys[i]);
    }
    const config_setting_t *cas = config_member(s, "ca"), *crls = config_member(s, "crl");
    if (need_ca && !cas)
        return config_fail(p, s, "%s: authentication certificate needs 'ca' to verify clients", what);
    if (!need_ca && cas)
        return config_fail(p, cas, "%s: 'ca' is set but clients do not authenticate with certificates", what);
    if (crls && !cas)
        return config_fail(p, crls, "%s: 'crl' needs 'ca'", what);

    r = config_member_path(p, s, what, "certificate", &tg->certificate);
    if (r >= 0)
        r = config_member_path(p, s, what, "private-key", &tg->private_key);
    if (r >= 0)
        r = config_member_path(p, s, what, "ca", &tg->ca);
    if (r >= 0)
        r = config_member_path(p, s, what, "crl", &tg->crl);
    if (r < 0)
        return r;
    return need_cert ? check_certificate(p, s, what, tg) : 0;
}

/* dpd-interval = 30; dpd-retries = 3; (ASA `isakmp keepalive threshold N
 * retry M`, in IKEv2 an empty INFORMATIONAL, in IKEv1 RFC 3706 R-U-THERE). */
static int parse_dpd(struct config_parser *p, const config_setting_t *s, const char *what,
                     struct config_tunnel_group *tg)
{
    unsigned long long interval = 30, retries = 3;
    int r = config_member_uint(p, s, what, "dpd-interval", 0, 3600, &interval);
    if (r >= 0)
        r = config_member_uint(p, s, what, "dpd-retries", 1, 100, &retries);
    if (r < 0)
        return r;
    if (interval > 0 && interval < 2)
        return config_fail(p, config_member(s, "dpd-interval"), "%s: dpd-interval must be 0 (off) or at least "
                           "2 seconds", what);
    tg->dpd_interval = (uint32_t)interval;
    tg->dpd_retries = (uint32_t)retries;
    return 0;
}

static int parse_tunnel_group(struct config_parser *p, const config_setting_t *s, struct config_tunnel_group *tg)
{
    static const char *const keys[] = {
        "name", "ike-version", "authentication", "local-authentication", "psk", "psk-file", "psk-credential",
        "group-name", "peer-address", "identity", "address-pool", "group-policy", "ike-proposals",
        "esp-proposals", "mode-config", "xauth-attempts", "certificate", "private-key", "ca", "crl",
        "authentication-server-group", "accounting-server-group", "dpd-interval", "dpd-retries", NULL
    };
    char what[128];
    const char *text = NULL;
    int r;

    r = config_named_entry(p, s, "tunnel-group", keys, what, sizeof(what), &tg->name, &tg->line);
    if (r < 0)
        return r;

    r = parse_versions(p, s, what, tg);
    if (r >= 0)
        r = parse_auth(p, s, what, tg);
    if (r >= 0)
        r = parse_references(p, s, what, tg);
    if (r >= 0)
        r = parse_identities(p, s, what, tg);
    if (r >= 0)
        r = parse_peer_addresses(p, s, what, tg);
    if (r < 0)
        return r;

    r = config_member_string(p, s, what, "group-name", false, &text);
    if (r < 0)
        return r;
    if (text) {
        const config_setting_t *gs = config_member(s, "group-name");
        if (!tg->ikev1)
            return config_fail(p, gs, "%s: 'group-name' selects IKEv1 Aggressive Mode groups; this group has "
                               "no IKEv1", what);
        if (!*text || strlen(text) > 255 || !valid_pattern(text))
            return config_fail(p, gs, "%s: group-name must be 1 to 255 printable characters", what);
        tg->group_name = strdup(text);
        if (!tg->group_name)
            return config_fail_errno(p, s, ENOMEM, "out of memory");
    }
    if (tg->ikev1 && tg->auth == CONFIG_AUTH_PSK && !tg->group_name && tg->n_peer_addresses == 0)
        return config_fail(p, s, "%s: an IKEv1 pre-shared key needs 'group-name' (Aggressive Mode) or "
                           "'peer-address' (Main Mode) to be found", what);

    text = NULL;
    r = config_member_string(p, s, what, "mode-config", false, &text);
    if (r < 0)
        return r;
    tg->mode_config = CONFIG_MODE_CONFIG_PULL;
    if (text) {
        const config_setting_t *ms = config_member(s, "mode-config");
        if (!tg->ikev1)
            return config_fail(p, ms, "%s: 'mode-config' is for IKEv1 (IKEv2 always uses configuration "
                               "payloads)", what);
        if (strcmp(text, "push") == 0)
            tg->mode_config = CONFIG_MODE_CONFIG_PUSH;
        else if (strcmp(text, "pull") != 0)
            return config_fail(p, ms, "%s: unknown mode-config '%s' (push or pull)", what, text);
    }

    unsigned long long attempts = 3;
    r = config_member_uint(p, s, what, "xauth-attempts", 1, 10, &attempts);
    if (r < 0)
        return r;
    if (config_member(s, "xauth-attempts") && !tg->xauth)
        return config_fail(p, config_member(s, "xauth-attempts"), "%s: 'xauth-attempts' needs authentication "
                           "psk+xauth or certificate+xauth", what);
    tg->xauth_attempts = (unsigned)attempts;

    r = parse_dpd(p, s, what, tg);
    if (r < 0)
        return r;
    return parse_credentials(p, s, what, tg);
}

static bool prefix_equal(const struct config_prefix *a, const struct config_prefix *b)
{
    return a->prefix_len == b->prefix_len && config_address_compare(&a->addr, &b->addr) == 0;
}

/* Conflicts between groups: each must stay reachable. */
static int check_against_earlier(struct config_parser *p, const config_setting_t *e, int i)
{
    struct vpnd_config *c = p->config;
    const struct config_tunnel_group *tg = &c->tunnel_groups[i];

    for (int j = 0; j < i; j++) {
        const struct config_tunnel_group *o = &c->tunnel_groups[j];
        if (tg->group_name && o->group_name && strcmp(tg->group_name, o->group_name) == 0)
            return config_fail(p, config_member(e, "group-name"), "tunnel-group '%s': group-name '%s' is already "
                               "tunnel-group '%s''s (line %u)", tg->name, tg->group_name, o->name, o->line);
        for (size_t a = 0; a < tg->n_peer_addresses; a++)
            for (size_t b = 0; b < o->n_peer_addresses; b++)
                if (prefix_equal(&tg->peer_addresses[a], &o->peer_addresses[b])) {
                    char buf[INET6_ADDRSTRLEN];
                    return config_fail(p, config_member(e, "peer-address"), "tunnel-group '%s': peer-address "
                                       "%s/%u is already tunnel-group '%s''s (line %u)", tg->name,
                                       config_address_to_string(&tg->peer_addresses[a].addr, buf, sizeof(buf)),
                                       tg->peer_addresses[a].prefix_len, o->name, o->line);
                }
        if (tg->ikev2 && o->ikev2 && tg->n_identities == 0 && o->n_identities == 0)
            return config_fail(p, e, "tunnel-group '%s': only one IKEv2 tunnel group may leave out 'identity' "
                               "(tunnel-group '%s' at line %u already accepts any identity)",
                               tg->name, o->name, o->line);
    }
    return 0;
}

/* EAP-MSCHAPv2 and EAP-MD5 cannot use a crypt(3) hash; say how many users
 * will fail, once, rather than at each login. */
static int warn_eap_users(struct config_parser *p, const config_setting_t *e, const struct config_tunnel_group *tg)
{
    const struct vpnd_config *c = p->config;
    size_t missing = 0;
    const char *first = NULL;

    if (tg->auth != CONFIG_AUTH_EAP_MSCHAPV2 && tg->auth != CONFIG_AUTH_EAP_MD5)
        return 0;
    for (size_t i = 0; i < c->n_users; i++) {
        const struct config_user *u = &c->users[i];
        bool ok = u->password.len > 0 || (tg->auth == CONFIG_AUTH_EAP_MSCHAPV2 && u->has_nt_hash);
        if (!ok && missing++ == 0)
            first = u->name;
    }
    if (missing == 0)
        return 0;
    return config_warn(p, e, "tunnel-group '%s': %zu user(s) (first: '%s') cannot log in with %s: it needs %s",
                       tg->name, missing, first,
                       tg->auth == CONFIG_AUTH_EAP_MD5 ? "eap-md5" : "eap-mschapv2",
                       tg->auth == CONFIG_AUTH_EAP_MD5 ? "a cleartext 'password'" : "'nt-hash' or 'password'");
}

int config_parse_tunnel_groups(struct config_parser *p, const config_setting_t *s)
{
    struct vpnd_config *c = p->config;
    if (!s)
        return 0;
    int n = config_section_list(p, s, "tunnel-groups");
    if (n <= 0)
        return n;
    c->tunnel_groups = calloc((size_t)n, sizeof(*c->tunnel_groups));
    if (!c->tunnel_groups)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        c->n_tunnel_groups++;
        int r = parse_tunnel_group(p, e, &c->tunnel_groups[i]);
        if (r >= 0)
            r = check_against_earlier(p, e, i);
        if (r >= 0)
            r = warn_eap_users(p, e, &c->tunnel_groups[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

void config_tunnel_group_done(struct config_tunnel_group *tg)
{
    free(tg->name);
    config_secret_wipe(&tg->psk);
    free(tg->group_name);
    free(tg->peer_addresses);
    for (size_t i = 0; i < tg->n_identities; i++)
        free(tg->identities[i].pattern);
    free(tg->identities);
    free(tg->pools);
    free(tg->ike_proposals);
    free(tg->esp_proposals);
    free(tg->certificate);
    free(tg->private_key);
    free(tg->ca);
    free(tg->crl);
}

const struct config_tunnel_group *config_tunnel_group_find_by_group_name(const struct vpnd_config *c,
                                                                         const char *group_name)
{
    if (!c || !group_name)
        return NULL;
    for (size_t i = 0; i < c->n_tunnel_groups; i++)
        if (c->tunnel_groups[i].group_name && strcmp(c->tunnel_groups[i].group_name, group_name) == 0)
            return &c->tunnel_groups[i];
    return NULL;
}

const struct config_tunnel_group *config_tunnel_group_find_by_peer(const struct vpnd_config *c,
                                                                   const struct config_address *peer)
{
    const struct config_tunnel_group *best = NULL;
    unsigned best_len = 0;

    if (!c || !peer)
        return NULL;
    for (size_t i = 0; i < c->n_tunnel_groups; i++) {
        const struct config_tunnel_group *tg = &c->tunnel_groups[i];
        for (size_t k = 0; k < tg->n_peer_addresses; k++)
            if (config_prefix_contains(&tg->peer_addresses[k], peer) &&
                (!best || tg->peer_addresses[k].prefix_len > best_len)) {
                best = tg;
                best_len = tg->peer_addresses[k].prefix_len;
            }
    }
    return best;
}
