/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Logging: to the journal with structured fields when running under systemd,
 * to stderr otherwise. Every line belongs to a subsystem (VPND_SUBSYSTEM=) and
 * may name the peer, tunnel group, user and session it concerns, so that an
 * operator can run `journalctl VPND_USER=alice` or `VPND_PEER=192.0.2.7`.
 *
 *   log_info(CONFIG_SUBSYS_IKE, "SA %s established", spi);
 *   const struct log_ctx ctx = { .peer = "192.0.2.7", .user = "alice" };
 *   log_warning_ctx(&ctx, CONFIG_SUBSYS_AUTH, "password rejected");
 *   log_debug(CONFIG_SUBSYS_IKEV2, 3, "payload %s, %zu bytes", name, len);
 *   return log_error_errno(CONFIG_SUBSYS_NETLINK, r, "cannot flush SAs: %m");
 *
 * Debug lines print only when the subsystem's debug level (0..255, 0 = off)
 * is at least the line's level; the check is one atomic load, so debug calls
 * cost nothing when off, and the levels change at runtime (reload, control
 * socket). Every function here may be called from any thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "config.h"

/* The subsystems are the configuration's (config.h: enum config_subsystem,
 * the names that `log { debug { ... } }` accepts). */

/* What a line concerns; every field optional (NULL). Values may come from the
 * network: they are length-limited and escaped on output, never trusted. */
struct log_ctx {
    const char *peer;           /* "192.0.2.7:4500" */
    const char *tunnel_group;
    const char *user;
    const char *session;        /* session / IKE SA identifier */
};

enum log_target {
    LOG_TARGET_AUTO,            /* journal if stderr is connected to it, else stderr */
    LOG_TARGET_JOURNAL,
    LOG_TARGET_STDERR,
};

/* Accepts "auto", "journal", "stderr"; -EINVAL otherwise. */
int log_target_from_string(const char *s);

/* Chooses where lines go; call once at start. LOG_TARGET_AUTO looks at
 * $JOURNAL_STREAM the way systemd's own tools do. */
void log_open(enum log_target target);
enum log_target log_get_target(void);

/* Lines less important than this are dropped (default LOG_INFO; debug lines
 * are governed by the per-subsystem levels instead). */
void log_set_max_priority(int priority);

/* A function that sees every line emitted (formatted, after the priority
 * and debug checks), from whatever thread logs it: log-ring.c keeps the
 * recent ones for `vpnctl log`. NULL removes it. */
typedef void (*log_tap_fn)(int priority, enum config_subsystem subsys, const struct log_ctx *ctx,
                           const char *message);
void log_set_tap(log_tap_fn tap);

/* stderr lines of the calling thread (the event loop's), info and debug,
 * are gathered from log_batch_begin on and written out by log_flush, when
 * the buffer is full, before a notice, warning or error line, at exit and
 * on a fatal signal; log_batch_end writes out and stops. Other threads'
 * lines are written at once. The loop's flushes: log_batch_start
 * (log-batch.h). */
void log_batch_begin(void);
void log_batch_end(void);
void log_flush(void);

void log_set_debug_level(enum config_subsystem subsys, uint8_t level);
uint8_t log_get_debug_level(enum config_subsystem subsys);

static inline bool log_debug_enabled(enum config_subsystem subsys, uint8_t level);
/* Whether a line of this priority (LOG_ERR .. LOG_INFO) would be emitted:
 * callers that must work to build a line (describe a message) ask first,
 * so that a level that is off costs one load. */
static inline bool log_enabled(int priority);

/* Returns -abs(error), so callers may `return log_..._errno(...)`. While
 * formatting, errno is set to abs(error) so that %m names it. */
int log_internal(int priority, int error, enum config_subsystem subsys, const struct log_ctx *ctx,
                 const char *file, int line, const char *func,
                 const char *format, ...) __attribute__((format(printf, 8, 9)));

#define log_full_ctx(prio, error, subsys, ctx, ...) \
    log_internal((prio), (error), (subsys), (ctx), __FILE__, __LINE__, __func__, __VA_ARGS__)

#define log_error(subsys, ...)   (void)log_full_ctx(LOG_ERR, 0, subsys, NULL, __VA_ARGS__)
#define log_warning(subsys, ...) (void)log_full_ctx(LOG_WARNING, 0, subsys, NULL, __VA_ARGS__)
#define log_notice(subsys, ...)  (void)log_full_ctx(LOG_NOTICE, 0, subsys, NULL, __VA_ARGS__)
#define log_info(subsys, ...)    (void)log_full_ctx(LOG_INFO, 0, subsys, NULL, __VA_ARGS__)

#define log_error_ctx(ctx, subsys, ...)   (void)log_full_ctx(LOG_ERR, 0, subsys, ctx, __VA_ARGS__)
#define log_warning_ctx(ctx, subsys, ...) (void)log_full_ctx(LOG_WARNING, 0, subsys, ctx, __VA_ARGS__)
#define log_notice_ctx(ctx, subsys, ...)  (void)log_full_ctx(LOG_NOTICE, 0, subsys, ctx, __VA_ARGS__)
#define log_info_ctx(ctx, subsys, ...)    (void)log_full_ctx(LOG_INFO, 0, subsys, ctx, __VA_ARGS__)

#define log_error_errno(subsys, error, ...)   log_full_ctx(LOG_ERR, error, subsys, NULL, __VA_ARGS__)
#define log_warning_errno(subsys, error, ...) log_full_ctx(LOG_WARNING, error, subsys, NULL, __VA_ARGS__)

#define log_debug_ctx(ctx, subsys, level, ...) do {                          \
        if (log_debug_enabled((subsys), (level)))                           \
            (void)log_full_ctx(LOG_DEBUG, 0, subsys, ctx, __VA_ARGS__);     \
    } while (0)
#define log_debug(subsys, level, ...) log_debug_ctx(NULL, subsys, level, __VA_ARGS__)

/* Implementation details of log_debug_enabled() and log_enabled(). */
extern uint8_t log_debug_levels_[CONFIG_SUBSYS_COUNT];
extern int log_max_priority_;

static inline bool log_enabled(int priority)
{
    return priority <= __atomic_load_n(&log_max_priority_, __ATOMIC_RELAXED);
}

static inline bool log_debug_enabled(enum config_subsystem subsys, uint8_t level)
{
    if ((unsigned)subsys >= CONFIG_SUBSYS_COUNT || level == 0)
        return false;
    return __atomic_load_n(&log_debug_levels_[subsys], __ATOMIC_RELAXED) >= level;
}
