/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Matching a peer's IKEv2 identity (IDi) against the tunnel groups'
 * `identity` patterns. A pattern's '*' matches any run of characters,
 * including none; FQDN and email patterns ignore case (DNS does), key IDs
 * and DNs do not. The DN is compared as text: the IKE code renders the
 * peer's DER DN the same way the administrator writes it ("CN=x,O=y").
 */
#include <ctype.h>
#include <string.h>

#include "config-internal.h"

static bool char_equal(char a, char b, bool fold)
{
    return fold ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

/* Iterative '*' glob: on a mismatch, retry from the last star with one
 * more character swallowed. Linear in practice, never recursive. */
static bool glob_match(const char *pattern, const char *text, bool fold)
{
    const char *star = NULL, *resume = NULL;

    while (*text) {
        if (*pattern == '*') {
            star = pattern++;
            resume = text;
        } else if (*pattern && char_equal(*pattern, *text, fold)) {
            pattern++;
            text++;
        } else if (star) {
            pattern = star + 1;
            text = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

bool config_identity_matches(const struct config_identity *id, enum config_identity_type type, const char *value,
                             const struct config_address *addr)
{
    if (!id || id->type != type)
        return false;
    switch (type) {
    case CONFIG_ID_ADDRESS:
        return addr && config_prefix_contains(&id->prefix, addr);
    case CONFIG_ID_FQDN:
    case CONFIG_ID_EMAIL:
        return value && glob_match(id->pattern, value, true);
    case CONFIG_ID_KEY_ID:
    case CONFIG_ID_DN:
        return value && glob_match(id->pattern, value, false);
    }
    return false;
}

static bool ikev2_group(const struct config_tunnel_group *tg)
{
    return tg->ikev2;
}

const struct config_tunnel_group *config_tunnel_group_find_by_identity(const struct vpnd_config *c,
                                                                       enum config_identity_type type,
                                                                       const char *value,
                                                                       const struct config_address *addr)
{
    return config_tunnel_group_find_by_identity_among(c, ikev2_group, type, value, addr);
}

const struct config_tunnel_group *config_tunnel_group_find_by_identity_among(
    const struct vpnd_config *c, bool (*member)(const struct config_tunnel_group *tg),
    enum config_identity_type type, const char *value, const struct config_address *addr)
{
    const struct config_tunnel_group *any = NULL;

    if (!c)
        return NULL;
    for (size_t i = 0; i < c->n_tunnel_groups; i++) {
        const struct config_tunnel_group *tg = &c->tunnel_groups[i];
        if (!member(tg))
            continue;
        if (tg->n_identities == 0 && !any)
            any = tg;
        for (size_t k = 0; k < tg->n_identities; k++)
            if (config_identity_matches(&tg->identities[k], type, value, addr))
                return tg;
    }
    return any;
}
