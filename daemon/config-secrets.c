/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Secrets (pre-shared keys) come from one of three places:
 *   psk = "...";                   inline, in the configuration file
 *   psk-file = "/etc/vpnd/x.psk";  a file holding only the key
 *   psk-credential = "x";          a systemd credential,
 *                                  $CREDENTIALS_DIRECTORY/x (LoadCredential=)
 * A file's single trailing newline is not part of the key. Every copy we
 * make is wiped when no longer needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config-internal.h"

#define SECRET_MAX 512

void config_secret_wipe(struct config_secret *secret)
{
    if (!secret)
        return;
    if (secret->data) {
        OPENSSL_cleanse(secret->data, secret->len);
        free(secret->data);
    }
    if (secret->pads) {
        OPENSSL_cleanse(secret->pads, CONFIG_SECRET_PADS * sizeof(*secret->pads));
        free(secret->pads);
    }
    secret->data = NULL;
    secret->len = 0;
    secret->pads = NULL;
}

static int secret_set(struct config_parser *p, const config_setting_t *s, struct config_secret *ret,
                      const uint8_t *data, size_t len)
{
    ret->data = malloc(len ? len : 1);
    if (!ret->data)
        return config_fail_errno(p, s, ENOMEM, "out of memory");
    memcpy(ret->data, data, len);
    ret->len = len;
    if (len) {
        ret->pads = calloc(CONFIG_SECRET_PADS, sizeof(*ret->pads));
        if (!ret->pads)
            return config_fail_errno(p, s, ENOMEM, "out of memory");
    }
    return 1;
}

/* Reads a whole (small) secret file into ret. */
static int read_secret_file(struct config_parser *p, const config_setting_t *s, const char *what,
                            const char *key, const char *shown, const char *path, struct config_secret *ret)
{
    uint8_t buf[SECRET_MAX + 2];
    size_t len = 0;
    struct stat st;
    int r;

    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return config_fail(p, s, "%s: %s '%s': %s", what, key, shown, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return config_fail(p, s, "%s: %s '%s': not a regular file", what, key, shown);
    }
    for (;;) {
        ssize_t k = read(fd, buf + len, sizeof(buf) - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            OPENSSL_cleanse(buf, sizeof(buf));
            return config_fail(p, s, "%s: %s '%s': %s", what, key, shown, strerror(e));
        }
        if (k == 0)
            break;
        len += (size_t)k;
        if (len == sizeof(buf))
            break;
    }
    close(fd);

    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    if (len > SECRET_MAX)
        r = config_fail(p, s, "%s: %s '%s' holds more than %d bytes", what, key, shown, SECRET_MAX);
    else if (len == 0)
        r = config_fail(p, s, "%s: %s '%s' is empty", what, key, shown);
    else
        r = secret_set(p, s, ret, buf, len);
    OPENSSL_cleanse(buf, sizeof(buf));
    if (r < 0)
        return r;

    /* A key file others can read is a leak waiting to happen; systemd
     * credentials are protected by systemd. */
    if ((st.st_mode & 0077) && strcmp(key + strlen(key) - 5, "-file") == 0) {
        int w = config_warn(p, s, "%s: %s '%s' is readable by group or others (mode %04o)", what, key, shown,
                            (unsigned)(st.st_mode & 07777));
        if (w < 0)
            return w;
    }
    return 1;
}

static bool valid_credential_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 255 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    return strchr(name, '/') == NULL;
}

int config_member_secret(struct config_parser *p, const config_setting_t *group, const char *what,
                         const char *name, struct config_secret *ret)
{
    char file_key[64], cred_key[64];
    snprintf(file_key, sizeof(file_key), "%s-file", name);
    snprintf(cred_key, sizeof(cred_key), "%s-credential", name);
    const config_setting_t *inl = config_member(group, name);
    const config_setting_t *file = config_member(group, file_key);
    const config_setting_t *cred = config_member(group, cred_key);
    const char *text;
    int r;

    if (!!inl + !!file + !!cred > 1) {
        const config_setting_t *second = inl && file ? file : cred;
        return config_fail(p, second, "%s: give only one of '%s', '%s' and '%s'", what, name, file_key, cred_key);
    }

    if (inl) {
        r = config_get_string(p, inl, what, &text);
        if (r < 0)
            return r;
        size_t len = strlen(text);
        if (len == 0)
            return config_fail(p, inl, "%s: '%s' must not be empty", what, name);
        if (len > SECRET_MAX)
            return config_fail(p, inl, "%s: '%s' is longer than %d characters", what, name, SECRET_MAX);
        return secret_set(p, inl, ret, (const uint8_t *)text, len);
    }

    if (file) {
        r = config_get_string(p, file, what, &text);
        if (r < 0)
            return r;
        if (!*text)
            return config_fail(p, file, "%s: '%s' must not be empty", what, file_key);
        char *path;
        if (text[0] == '/')
            path = strdup(text);
        else if (asprintf(&path, "%s/%s", p->base_dir, text) < 0)
            path = NULL;
        if (!path)
            return config_fail_errno(p, file, ENOMEM, "out of memory");
        r = read_secret_file(p, file, what, file_key, text, path, ret);
        free(path);
        return r;
    }

    if (cred) {
        r = config_get_string(p, cred, what, &text);
        if (r < 0)
            return r;
        if (!valid_credential_name(text))
            return config_fail(p, cred, "%s: '%s' is not a credential name", what, text);
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        if (!dir || dir[0] != '/')
            return config_fail(p, cred, "%s: %s '%s': $CREDENTIALS_DIRECTORY is not set (start vpnd with "
                               "LoadCredential=%s:...)", what, cred_key, text, text);
        char *path;
        if (asprintf(&path, "%s/%s", dir, text) < 0)
            return config_fail_errno(p, cred, ENOMEM, "out of memory");
        r = read_secret_file(p, cred, what, cred_key, text, path, ret);
        free(path);
        return r;
    }
    return 0;
}
