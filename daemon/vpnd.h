/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The daemon as a whole: one sd-event loop on one thread owns all state.
 * This file holds the lifecycle (start, reload, stop), the service manager
 * notifications and the signal handling; the pieces (control socket, job
 * pool, kernel state) hang off struct vpnd.
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "jobs.h"

struct accounting;
struct control_server;
struct vpnd_kernel;
struct ike;

enum vpnd_state {
    VPND_STARTING,
    VPND_RUNNING,
    VPND_RELOADING,
    VPND_STOPPING,
};

const char *vpnd_state_name(enum vpnd_state state);

struct vpnd {
    sd_event *event;
    char *config_path;
    struct vpnd_config *config;         /* the running configuration; never NULL once started */
    struct job_pool *jobs;
    struct control_server *control;
    struct vpnd_kernel *kernel;         /* XFRM ownership and events (vpnd-kernel.c) */
    struct ike *ike;                    /* IKE sockets, SAs, sessions, pools (ike.c) */
    struct accounting *accounting;      /* RADIUS accounting of sessions (accounting.c) */
    enum vpnd_state state;

    uint64_t started_monotonic;         /* usec, CLOCK_MONOTONIC */
    uint64_t started_realtime;          /* usec, CLOCK_REALTIME */
    uint64_t config_loaded_realtime;    /* when the running configuration was loaded */
    unsigned long long reloads_ok;
    unsigned long long reloads_failed;
    char *last_reload_error;            /* "file:line: reason" of the last failed reload, or NULL */
};

/* Loads the configuration and brings every piece up; on failure logs why
 * and returns a negative errno (nothing is left running). */
int vpnd_start(const char *config_path, struct vpnd **ret);

/* Runs the event loop until SIGTERM/SIGINT. Returns the exit status. */
int vpnd_run(struct vpnd *vpnd);

/* Tears everything down (kernel state it owns included). NULL is allowed. */
void vpnd_free(struct vpnd *vpnd);

/* Re-reads the configuration file. On failure the running configuration
 * stays, the error ("file:line: reason") is logged and copied to `error`
 * (when not NULL), and a negative errno is returned. */
int vpnd_reload(struct vpnd *vpnd, char *error, size_t error_len);
