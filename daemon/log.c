/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE                     /* program_invocation_short_name */
#define SD_JOURNAL_SUPPRESS_LOCATION    /* we pass the caller's location */

#include "log.h"
#include "log-batch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

/* A line longer than this is cut; protocol dumps belong in several lines. */
#define LOG_MESSAGE_MAX 2048
/* Context values come from peers: keep them short in every output. */
#define LOG_FIELD_MAX 256

uint8_t log_debug_levels_[CONFIG_SUBSYS_COUNT];

static enum log_target log_target = LOG_TARGET_STDERR;
int log_max_priority_ = LOG_INFO;
static log_tap_fn log_tap;

int log_target_from_string(const char *s)
{
    if (!s)
        return -EINVAL;
    if (strcmp(s, "auto") == 0)
        return LOG_TARGET_AUTO;
    if (strcmp(s, "journal") == 0)
        return LOG_TARGET_JOURNAL;
    if (strcmp(s, "stderr") == 0)
        return LOG_TARGET_STDERR;
    return -EINVAL;
}

/* systemd sets $JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * our stderr. If stderr is still that stream, native journal logging gives
 * the same destination plus structured fields. */
static bool stderr_is_journal(void)
{
    const char *e = getenv("JOURNAL_STREAM");
    if (!e)
        return false;
    unsigned long long dev, ino;
    char tail;
    if (sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) != 2)
        return false;
    struct stat st;
    if (fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_open(enum log_target target)
{
    if (target == LOG_TARGET_AUTO)
        target = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
    log_target = target;
}

enum log_target log_get_target(void)
{
    return log_target;
}

void log_set_tap(log_tap_fn tap)
{
    __atomic_store_n(&log_tap, tap, __ATOMIC_RELEASE);
}

void log_set_max_priority(int priority)
{
    /* Atomic: worker threads may log while a reload changes it. */
    __atomic_store_n(&log_max_priority_, priority, __ATOMIC_RELAXED);
}

void log_set_debug_level(enum config_subsystem subsys, uint8_t level)
{
    if ((unsigned)subsys < CONFIG_SUBSYS_COUNT)
        __atomic_store_n(&log_debug_levels_[subsys], level, __ATOMIC_RELAXED);
}

uint8_t log_get_debug_level(enum config_subsystem subsys)
{
    if ((unsigned)subsys >= CONFIG_SUBSYS_COUNT)
        return 0;
    return __atomic_load_n(&log_debug_levels_[subsys], __ATOMIC_RELAXED);
}

static const char *subsystem_name(enum config_subsystem subsys)
{
    const char *name = config_subsystem_name(subsys);
    return name ? name : "?";
}

static const char *priority_name(int priority)
{
    static const char *const names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
        [LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
    };
    return priority >= 0 && priority <= LOG_DEBUG ? names[priority] : "?";
}

/* Appends `s` to buf (at *pos, capacity len), escaping anything that is not
 * printable ASCII so that a peer-supplied name cannot forge log lines or
 * terminal escapes. At most `max` input bytes are taken. */
static void append_escaped(char *buf, size_t len, size_t *pos, const char *s, size_t max)
{
    /* Byte by byte without printf: every line goes through here. A piece
     * that does not fit whole ends the line (cut, NUL-terminated). */
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; s[i] && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = c >= 0x20 && c < 0x7f && c != '\\';
        size_t n = plain ? 1 : 4;
        if (n >= len - *pos) {
            buf[len - 1] = '\0';
            *pos = len - 1;
            return;
        }
        char *p = buf + *pos;
        if (plain)
            p[0] = (char)c;
        else {
            p[0] = '\\';
            p[1] = 'x';
            p[2] = hex[c >> 4];
            p[3] = hex[c & 0xf];
        }
        p[n] = '\0';
        *pos += n;
    }
}

static void append_text(char *buf, size_t len, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (n >= len - *pos) {
        /* As snprintf did: as much as fits, the line ends there. */
        memcpy(buf + *pos, s, len - *pos - 1);
        buf[len - 1] = '\0';
        *pos = len - 1;
        return;
    }
    memcpy(buf + *pos, s, n + 1);
    *pos += n;
}

static void append_field(char *buf, size_t len, size_t *pos, const char *key, const char *value,
                         bool *first)
{
    if (!value)
        return;
    append_text(buf, len, pos, *first ? "[" : " ");
    append_text(buf, len, pos, key);
    append_text(buf, len, pos, "=");
    append_escaped(buf, len, pos, value, LOG_FIELD_MAX);
    *first = false;
}

static void write_stderr(int priority, enum config_subsystem subsys, const struct log_ctx *ctx,
                         const char *message)
{
    char line[LOG_MESSAGE_MAX + 4 * LOG_FIELD_MAX * 4 + 128];
    size_t pos = 0, room = sizeof(line) - 1;
    line[0] = '\0';

    append_text(line, room, &pos, priority_name(priority));
    append_text(line, room, &pos, " ");
    append_text(line, room, &pos, subsystem_name(subsys));
    append_text(line, room, &pos, ": ");
    if (ctx) {
        bool first = true;
        append_field(line, room, &pos, "peer", ctx->peer, &first);
        append_field(line, room, &pos, "tunnel-group", ctx->tunnel_group, &first);
        append_field(line, room, &pos, "user", ctx->user, &first);
        append_field(line, room, &pos, "session", ctx->session, &first);
        if (!first)
            append_text(line, room, &pos, "] ");
    }
    append_escaped(line, room, &pos, message, LOG_MESSAGE_MAX);
    line[pos++] = '\n';                /* room was kept for it: a cut line ends too */

    /* Whole lines, gathered per loop iteration on the loop's thread. */
    log_batch_write(priority, line, pos);
}

/* Builds "KEY=value" in storage and points the next iovec at it. Values are
 * cut at LOG_FIELD_MAX; the journal itself copes with any bytes. */
static void add_field(struct iovec *iov, size_t *n, char *storage, size_t size,
                      const char *key, const char *value)
{
    int len = snprintf(storage, size, "%s=%.*s", key, LOG_FIELD_MAX, value);
    if (len < 0)
        return;
    if ((size_t)len >= size)
        len = (int)size - 1;
    iov[*n] = (struct iovec) { .iov_base = storage, .iov_len = (size_t)len };
    (*n)++;
}

static int write_journal(int priority, int error, enum config_subsystem subsys,
                         const struct log_ctx *ctx, const char *file, int line,
                         const char *func, const char *message)
{
    char f_message[LOG_MESSAGE_MAX + 16], f_priority[32], f_subsys[64], f_file[256],
         f_line[32], f_func[128], f_errno[32], f_ident[64];
    char f_ctx[4][LOG_FIELD_MAX + 32];
    struct iovec iov[16];
    size_t n = 0;

    snprintf(f_message, sizeof(f_message), "MESSAGE=%s", message);
    iov[n++] = (struct iovec) { .iov_base = f_message, .iov_len = strlen(f_message) };
    snprintf(f_priority, sizeof(f_priority), "PRIORITY=%d", priority);
    iov[n++] = (struct iovec) { .iov_base = f_priority, .iov_len = strlen(f_priority) };
    add_field(iov, &n, f_ident, sizeof(f_ident), "SYSLOG_IDENTIFIER", program_invocation_short_name);
    add_field(iov, &n, f_subsys, sizeof(f_subsys), "VPND_SUBSYSTEM", subsystem_name(subsys));
    add_field(iov, &n, f_file, sizeof(f_file), "CODE_FILE", file);
    snprintf(f_line, sizeof(f_line), "CODE_LINE=%d", line);
    iov[n++] = (struct iovec) { .iov_base = f_line, .iov_len = strlen(f_line) };
    add_field(iov, &n, f_func, sizeof(f_func), "CODE_FUNC", func);
    if (error != 0) {
        snprintf(f_errno, sizeof(f_errno), "ERRNO=%d", abs(error));
        iov[n++] = (struct iovec) { .iov_base = f_errno, .iov_len = strlen(f_errno) };
    }
    if (ctx) {
        if (ctx->peer)
            add_field(iov, &n, f_ctx[0], sizeof(f_ctx[0]), "VPND_PEER", ctx->peer);
        if (ctx->tunnel_group)
            add_field(iov, &n, f_ctx[1], sizeof(f_ctx[1]), "VPND_TUNNEL_GROUP", ctx->tunnel_group);
        if (ctx->user)
            add_field(iov, &n, f_ctx[2], sizeof(f_ctx[2]), "VPND_USER", ctx->user);
        if (ctx->session)
            add_field(iov, &n, f_ctx[3], sizeof(f_ctx[3]), "VPND_SESSION", ctx->session);
    }
    return sd_journal_sendv(iov, (int)n);
}

int log_internal(int priority, int error, enum config_subsystem subsys, const struct log_ctx *ctx,
                 const char *file, int line, const char *func, const char *format, ...)
{
    int ret = error < 0 ? error : -error;
    if (!log_enabled(priority) && priority != LOG_DEBUG)
        return ret;

    int saved_errno = errno;
    char message[LOG_MESSAGE_MAX];
    va_list ap;
    va_start(ap, format);
    if (error != 0)
        errno = abs(error);     /* for %m */
    vsnprintf(message, sizeof(message), format, ap);
    va_end(ap);

    if (log_target != LOG_TARGET_JOURNAL ||
        write_journal(priority, error, subsys, ctx, file, line, func, message) < 0)
        write_stderr(priority, subsys, ctx, message);
    log_tap_fn tap = __atomic_load_n(&log_tap, __ATOMIC_ACQUIRE);
    if (tap)
        tap(priority, subsys, ctx, message);

    errno = saved_errno;
    return ret;
}
