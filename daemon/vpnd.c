/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "clock.h"
#include "vpnd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "control.h"
#include "crypto-preload.h"
#include "ike.h"
#include "log-batch.h"
#include "log.h"
#include "vpnd-build.h"
#include "vpnd-kernel.h"
#include "accounting.h"

/* Expensive steps are CPU-bound: more workers than cores only adds
 * contention, and a handful is plenty for a concentrator's key exchanges. */
#define VPND_MAX_WORKERS 8
/* Beyond this many waiting jobs the daemon is overloaded; new work (new key
 * exchanges) is refused rather than queued without bound. */
#define VPND_MAX_QUEUED_JOBS 4096

const char *vpnd_state_name(enum vpnd_state state)
{
    switch (state) {
    case VPND_STARTING:  return "starting";
    case VPND_RUNNING:   return "running";
    case VPND_RELOADING: return "reloading";
    case VPND_STOPPING:  return "stopping";
    }
    return "unknown";
}

/* Takes the log settings of a configuration into effect. A reload resets
 * debug levels changed at runtime to the configured ones. */
static void apply_log_config(const struct config_log *log)
{
    log_set_max_priority(log->level);
    for (int i = 0; i < CONFIG_SUBSYS_COUNT; i++)
        log_set_debug_level((enum config_subsystem)i, log->debug[i]);
}

static void log_config_warnings(const struct vpnd_config *config)
{
    for (size_t i = 0; i < config->n_warnings; i++)
        log_warning(CONFIG_SUBSYS_CONFIG, "%s", config->warnings[i]);
}

static void notify_status(struct vpnd *vpnd, const char *extra)
{
    char status[512];
    snprintf(status, sizeof(status), "STATUS=%s%s%s", vpnd->state == VPND_RUNNING ? "Running" :
             vpnd_state_name(vpnd->state), extra ? ": " : "", extra ? extra : "");
    (void)sd_notify(0, status);
}

int vpnd_reload(struct vpnd *vpnd, char *error, size_t error_len)
{
    struct vpnd_config *config = NULL;
    struct config_error err = { 0 };
    char buf[sizeof(err.file) + CONFIG_ERROR_MAX + 32];

    if (vpnd->state == VPND_STOPPING) {
        if (error)
            snprintf(error, error_len, "vpnd is shutting down");
        return -ESHUTDOWN;
    }
    log_info(CONFIG_SUBSYS_MAIN, "reloading configuration from %s", vpnd->config_path);
    vpnd->state = VPND_RELOADING;
    /* MONOTONIC_USEC lets systemd (Type=notify-reload, v253+) tell this
     * reload from an earlier one; older managers ignore it. */
    (void)sd_notifyf(0, "RELOADING=1\nSTATUS=Reloading configuration\nMONOTONIC_USEC=%llu",
                     (unsigned long long)clock_usec(CLOCK_MONOTONIC));

    int r = config_load(vpnd->config_path, &config, &err);
    if (r < 0) {
        config_error_format(&err, buf, sizeof(buf));
        log_error(CONFIG_SUBSYS_CONFIG, "reload failed, keeping the running configuration: %s", buf);
        vpnd->reloads_failed++;
        free(vpnd->last_reload_error);
        vpnd->last_reload_error = strdup(buf);
        if (error)
            snprintf(error, error_len, "%s", buf);
        vpnd->state = VPND_RUNNING;
        (void)sd_notify(0, "READY=1");
        notify_status(vpnd, "last reload failed, running the previous configuration");
        return r;
    }

    apply_log_config(&config->log);
    log_config_warnings(config);
    /* The new access rules apply even if the socket's group cannot be
     * changed; that error is logged where it happens, and the file
     * permissions then only keep out more than they should. */
    (void)control_server_update(vpnd->control, &config->control);

    /* Sessions keep a reference on the configuration they were set up
     * under; this only drops the daemon's. */
    config_free(vpnd->config);
    vpnd->config = config;
    accounting_reload(vpnd->accounting, config);
    (void)ike_reload(vpnd->ike, config);
    vpnd->config_loaded_realtime = clock_usec(CLOCK_REALTIME);
    vpnd->reloads_ok++;
    free(vpnd->last_reload_error);
    vpnd->last_reload_error = NULL;

    vpnd->state = VPND_RUNNING;
    (void)sd_notify(0, "READY=1");
    notify_status(vpnd, NULL);
    log_info(CONFIG_SUBSYS_MAIN, "configuration reloaded");
    return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
    struct vpnd *vpnd = userdata;

    log_info(CONFIG_SUBSYS_MAIN, "SIGHUP from pid %u", si->ssi_pid);
    (void)vpnd_reload(vpnd, NULL, 0);
    return 0;
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
    struct vpnd *vpnd = userdata;

    if (vpnd->state == VPND_STOPPING)
        return 0;
    log_info(CONFIG_SUBSYS_MAIN, "%s from pid %u, shutting down",
             si->ssi_signo == SIGINT ? "SIGINT" : "SIGTERM", si->ssi_pid);
    vpnd->state = VPND_STOPPING;
    (void)sd_notify(0, "STOPPING=1\nSTATUS=Shutting down");
    return sd_event_exit(sd_event_source_get_event(s), 0);
}

void vpnd_free(struct vpnd *vpnd)
{
    if (!vpnd)
        return;
    /* Operators first (no new requests), then outstanding work, then the
     * kernel state, which must not outlive the daemon that owns it. */
    control_server_free(vpnd->control);
    /* Clients are told (DELETE) and their kernel state removed while the
     * sockets, workers and XFRM handle still exist. */
    if (vpnd->kernel)
        vpnd_kernel_set_ike(vpnd->kernel, NULL);
    accounting_begin_shutdown(vpnd->accounting);
    ike_free(vpnd->ike);
    /* The Stops of the sessions just ended: sent, or spooled for the next start. */
    accounting_free(vpnd->accounting);
    job_pool_free(vpnd->jobs);
    vpnd_kernel_free(vpnd->kernel);
    config_free(vpnd->config);
    free(vpnd->last_reload_error);
    free(vpnd->config_path);
    sd_event_unref(vpnd->event);
    free(vpnd);
}

static unsigned worker_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > VPND_MAX_WORKERS ? VPND_MAX_WORKERS : (unsigned)n;
}

int vpnd_start(const char *config_path, struct vpnd **ret)
{
    struct config_error err = { 0 };
    char buf[sizeof(err.file) + CONFIG_ERROR_MAX + 32];
    int r;

    struct vpnd *vpnd = calloc(1, sizeof(*vpnd));
    if (!vpnd)
        return log_error_errno(CONFIG_SUBSYS_MAIN, -ENOMEM, "out of memory");
    vpnd->state = VPND_STARTING;
    vpnd->started_monotonic = clock_usec(CLOCK_MONOTONIC);
    vpnd->started_realtime = clock_usec(CLOCK_REALTIME);
    /* Absolute, so that status output and reload errors are unambiguous. */
    vpnd->config_path = realpath(config_path, NULL);
    if (!vpnd->config_path)
        vpnd->config_path = strdup(config_path);    /* config_load says why */
    if (!vpnd->config_path) {
        r = log_error_errno(CONFIG_SUBSYS_MAIN, -ENOMEM, "out of memory");
        goto fail;
    }

    r = config_load(config_path, &vpnd->config, &err);
    if (r < 0) {
        log_error(CONFIG_SUBSYS_CONFIG, "%s", config_error_format(&err, buf, sizeof(buf)));
        (void)sd_notifyf(0, "STATUS=Bad configuration: %s\nERRNO=%d", buf, -r);
        goto fail;
    }
    vpnd->config_loaded_realtime = vpnd->started_realtime;
    apply_log_config(&vpnd->config->log);
    log_config_warnings(vpnd->config);

    r = sd_event_new(&vpnd->event);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_MAIN, r, "cannot create the event loop: %m");
        goto fail;
    }

    /* The signals are blocked (main) so sd-event receives them through a
     * signalfd, synchronously on the loop like everything else. */
    r = sd_event_add_signal(vpnd->event, NULL, SIGTERM, on_terminate, vpnd);
    if (r >= 0)
        r = sd_event_add_signal(vpnd->event, NULL, SIGINT, on_terminate, vpnd);
    if (r >= 0)
        r = sd_event_add_signal(vpnd->event, NULL, SIGHUP, on_sighup, vpnd);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_MAIN, r, "cannot watch signals: %m");
        goto fail;
    }

    /* Pings the service manager at half of $WATCHDOG_USEC whenever the loop
     * runs; a wedged loop stops the pings and systemd restarts us. */
    r = sd_event_set_watchdog(vpnd->event, true);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_MAIN, r, "cannot set up the watchdog: %m");
        goto fail;
    }
    if (r > 0)
        log_debug(CONFIG_SUBSYS_MAIN, 1, "service manager watchdog enabled");

    /* Kernel state left by a crashed predecessor is stale: clear it before
     * anything new is negotiated. */
    r = vpnd_kernel_new(vpnd->event, vpnd->config->kernel.spd_hash_thresholds, &vpnd->kernel);
    if (r < 0)
        goto fail;

    /* OpenSSL's algorithm tables now, not under the first client. */
    if (crypto_preload() < 0)
        log_warning(CONFIG_SUBSYS_MAIN, "OpenSSL lacks some of AES-GCM, HMAC, SHA-256, X25519, RSA signatures");

    r = job_pool_new(vpnd->event, worker_count(), VPND_MAX_QUEUED_JOBS, &vpnd->jobs);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_JOBS, r, "cannot start the worker threads: %m");
        goto fail;
    }

    r = control_server_new(vpnd, vpnd->event, &vpnd->config->control, &vpnd->control);
    if (r < 0)
        goto fail;

    r = accounting_new(vpnd->event, vpnd->config, &vpnd->accounting);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_RADIUS, r, "cannot set up accounting: %m");
        goto fail;
    }

    r = ike_new(vpnd, &vpnd->ike);
    if (r < 0)
        goto fail;
    vpnd_kernel_set_ike(vpnd->kernel, vpnd->ike);

    *ret = vpnd;
    return 0;

fail:
    vpnd_free(vpnd);
    return r;
}

int vpnd_run(struct vpnd *vpnd)
{
    vpnd->state = VPND_RUNNING;
    (void)sd_notify(0, "READY=1");
    notify_status(vpnd, NULL);
    log_info(CONFIG_SUBSYS_MAIN, "vpnd %s started (pid %d, configuration %s, control socket %s)",
             VPND_VERSION, (int)getpid(), vpnd->config_path, control_server_path(vpnd->control));

    /* Log lines go out in blocks while the loop runs (log-batch.c). */
    int r = log_batch_start(vpnd->event);
    if (r < 0)
        log_warning_errno(CONFIG_SUBSYS_MAIN, r, "log lines are written one by one: %m");
    r = sd_event_loop(vpnd->event);
    log_batch_stop();
    if (r < 0)
        return log_error_errno(CONFIG_SUBSYS_MAIN, r, "event loop failed: %m");
    log_info(CONFIG_SUBSYS_MAIN, "stopped");
    return r;
}
