/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Data-driven: every file in bad/ is a broken configuration whose first
 * line says the exact error it must produce:
 *   # expect: name.conf:7: pool 'a' overlaps pool 'b' (line 4)
 * Each file is copied into a scratch directory that holds the
 * certificates, keys and credentials the files refer to, and loaded from
 * there. With a second argument (the vpnd binary), each file also goes
 * through `vpnd --check-config`, which must exit 1 and print the message.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"
#include "testing.h"

#define EXPECT_PREFIX "# expect: "

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int only_conf(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

static int read_expectation(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    char line[2048];
    int r = -EINVAL;
    if (fgets(line, sizeof(line), f) && strncmp(line, EXPECT_PREFIX, strlen(EXPECT_PREFIX)) == 0) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(buf, len, "%s", line + strlen(EXPECT_PREFIX));
        r = 0;
    }
    fclose(f);
    return r;
}

static void check_library(const char *name, const char *expected)
{
    struct vpnd_config *config = (struct vpnd_config *)1;
    struct config_error err;
    char msg[6000];

    int r = config_load(name, &config, &err);
    CHECK(r < 0);
    CHECK(config == NULL);
    CHECK_STR_EQ(config_error_format(&err, msg, sizeof(msg)), expected);
    if (r >= 0 && config != (struct vpnd_config *)1)
        config_free(config);
}

/* Runs `vpnd --check-config name`; it must fail with the message on stderr. */
static void check_binary(const char *vpnd, const char *name, const char *expected)
{
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execl(vpnd, vpnd, "--check-config", name, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    char out[16384];
    size_t used = 0;
    ssize_t k;
    while ((k = read(pipefd[0], out + used, sizeof(out) - 1 - used)) > 0)
        used += (size_t)k;
    out[used] = '\0';
    close(pipefd[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    if (!strstr(out, expected))
        printf("#   vpnd printed \"%s\"\n#   expected it to contain \"%s\"\n", out, expected);
    CHECK(strstr(out, expected) != NULL);
}

int main(int argc, char **argv)
{
    char dir[4096], copy[4096], cwd[4096];
    struct dirent **names;

    if (argc < 2) {
        fprintf(stderr, "usage: %s BAD-DIR [VPND]\n", argv[0]);
        return 2;
    }
    const char *vpnd = argc > 2 ? argv[2] : NULL;
    char vpnd_abs[8200];
    if (vpnd && vpnd[0] != '/' && getcwd(cwd, sizeof(cwd))) {
        snprintf(vpnd_abs, sizeof(vpnd_abs), "%s/%s", cwd, vpnd);
        vpnd = vpnd_abs;
    }
    char bad_dir[4096];
    if (!realpath(argv[1], bad_dir)) {
        printf("Bail out! %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (fixture_create(dir, sizeof(dir)) < 0) {
        printf("Bail out! cannot create the fixture directory\n");
        return 1;
    }
    char creds[4200];
    snprintf(creds, sizeof(creds), "%s/creds", dir);
    setenv("CREDENTIALS_DIRECTORY", creds, 1);

    int n = scandir(bad_dir, &names, only_conf, by_name);
    if (n <= 0) {
        printf("Bail out! no *.conf in %s\n", bad_dir);
        fixture_remove(dir);
        return 1;
    }
    printf("1..%d\n", n);
    if (!getcwd(cwd, sizeof(cwd)) || chdir(dir) < 0) {
        printf("Bail out! cannot enter %s\n", dir);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        char src[8192], expected[2048];
        testing_current_failed = 0;
        snprintf(src, sizeof(src), "%s/%s", bad_dir, names[i]->d_name);
        if (read_expectation(src, expected, sizeof(expected)) < 0) {
            printf("#   %s: the first line must be \"" EXPECT_PREFIX "file:line: reason\"\n", names[i]->d_name);
            testing_failures++;
            testing_current_failed = 1;
        } else if (fixture_copy(src, dir, copy, sizeof(copy)) < 0) {
            printf("#   %s: cannot copy into %s\n", names[i]->d_name, dir);
            testing_failures++;
            testing_current_failed = 1;
        } else if (vpnd) {
            check_binary(vpnd, names[i]->d_name, expected);
        } else {
            check_library(names[i]->d_name, expected);
        }
        printf("%s %d - %s\n", testing_current_failed ? "not ok" : "ok", i + 1, names[i]->d_name);
        unlink(copy);
        free(names[i]);
    }
    free(names);
    if (chdir(cwd) < 0)
        testing_failures++;
    fixture_remove(dir);
    return testing_failures ? 1 : 0;
}
