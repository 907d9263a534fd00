/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a successful reload does to established sessions: each keeps
 * running under the configuration it was set up with, unless the new file
 * no longer allows it (ASA: removing a tunnel-group logs its users off).
 * This file decides which sessions must end and why; ike_reload() ends
 * them (DELETE to the client) and `vpnctl reload` reports them.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "session.h"

#define SESSION_RELOAD_REASON_MAX 200

struct session_reload_end {
    uint32_t index;
    char user[SESSION_NAME_MAX];
    char tunnel_group[SESSION_NAME_MAX];
    char reason[SESSION_RELOAD_REASON_MAX];     /* "tunnel group 'x' was removed" */
};

/* Why `config` no longer allows session `s` (writes the reason, returns
 * true), or false when it may go on. */
bool session_reload_disallowed(const struct session *s, const struct vpnd_config *config, char *reason,
                               size_t reason_len);

/* Every session of `reg` that `config` no longer allows, in *ret (malloc'd,
 * *n entries; NULL when none). -ENOMEM. */
int session_reload_check(struct session_registry *reg, const struct vpnd_config *config,
                         struct session_reload_end **ret, size_t *n);
