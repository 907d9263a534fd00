/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The EAP credential lookup over vpnd.conf's local users. Synchronous: the
 * user table is in memory. A RADIUS backend would answer -EINPROGRESS and
 * complete through eap_server_lookup_done() instead.
 */
#include <errno.h>
#include <string.h>

#include "config.h"
#include "eap.h"

int eap_config_lookup(void *userdata, struct eap_server *srv, const char *identity, struct eap_credentials *creds)
{
    const struct vpnd_config *config = userdata;
    const struct config_user *user;

    if (!config || !identity || !creds)
        return -EINVAL;
    user = config_user_find(config, identity);
    if (!user)
        return 0;
    memset(creds, 0, sizeof(*creds));
    /* A cleartext password too long for the protocols counts as none: the
     * method then fails with its own reason. */
    if (user->password.len > 0 && user->password.len <= sizeof(creds->password)) {
        memcpy(creds->password, user->password.data, user->password.len);
        creds->password_len = user->password.len;
    }
    if (user->has_nt_hash) {
        memcpy(creds->nt_hash, user->nt_hash, sizeof(creds->nt_hash));
        creds->has_nt_hash = true;
    }
    return 1;
}
