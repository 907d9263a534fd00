/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vpnd.conf: parsed into typed, validated structures.
 *
 * CONTRACT (used by the daemon skeleton, main.c and reload; keep these
 * signatures): a load either succeeds completely or fails with one error
 * that names file:line and the reason; it never half-applies anything.
 */
#pragma once

#include <stddef.h>

#define CONFIG_ERROR_MAX 1024

struct config_error {
    char file[4096];     /* the file the error is in (an @include'd file too) */
    int line;            /* 0 when the error is not tied to a line */
    char reason[CONFIG_ERROR_MAX];
};

/* Formats "file:line: reason" (or "file: reason" when line is 0). */
const char *config_error_format(const struct config_error *err, char *buf, size_t len);

struct vpnd_config;  /* defined below by the configuration code */

/* Parses and validates `path`. On success *ret owns a new configuration. */
int config_load(const char *path, struct vpnd_config **ret, struct config_error *err);

/* Frees a configuration, wiping the secrets it holds. NULL is allowed. */
void config_free(struct vpnd_config *config);
