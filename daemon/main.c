/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vpnd's command line: run the daemon, or check a configuration file.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "vpnd-build.h"
#include "vpnd.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: vpnd [OPTIONS]\n"
            "       vpnd --check-config FILE\n"
            "\n"
            "Remote-access IPsec VPN concentrator (IKEv1/IKEv2).\n"
            "\n"
            "  -c, --config FILE         configuration file (default %s)\n"
            "  -t, --check-config FILE   validate FILE, print warnings, and exit\n"
            "  -f, --foreground          run in the foreground (the default; vpnd\n"
            "                            never forks: systemd supervises it)\n"
            "      --log-target TARGET   auto, journal or stderr (default auto)\n"
            "  -V, --version             print the version and exit\n"
            "  -h, --help                print this help and exit\n",
            VPND_CONFIG_PATH);
}

/* Prints the verdict the way compilers do, so editors can jump to it. */
static int check_config(const char *path)
{
    struct vpnd_config *config = NULL;
    struct config_error err = { 0 };
    char buf[sizeof(err.file) + CONFIG_ERROR_MAX + 32];

    int r = config_load(path, &config, &err);
    if (r < 0) {
        fprintf(stderr, "%s\n", config_error_format(&err, buf, sizeof(buf)));
        return EXIT_FAILURE;
    }
    for (size_t i = 0; i < config->n_warnings; i++)
        fprintf(stderr, "warning: %s\n", config->warnings[i]);
    config_free(config);
    printf("configuration OK\n");
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    enum { OPT_LOG_TARGET = 0x100 };
    static const struct option options[] = {
        { "config",       required_argument, NULL, 'c' },
        { "check-config", required_argument, NULL, 't' },
        { "foreground",   no_argument,       NULL, 'f' },
        { "log-target",   required_argument, NULL, OPT_LOG_TARGET },
        { "version",      no_argument,       NULL, 'V' },
        { "help",         no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config_path = VPND_CONFIG_PATH;
    const char *check_path = NULL;
    enum log_target target = LOG_TARGET_AUTO;
    int c, r;

    while ((c = getopt_long(argc, argv, "c:t:fVh", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 't':
            check_path = optarg;
            break;
        case 'f':
            break;
        case OPT_LOG_TARGET:
            r = log_target_from_string(optarg);
            if (r < 0) {
                fprintf(stderr, "vpnd: unknown log target '%s' (auto, journal, stderr)\n", optarg);
                return 2;
            }
            target = (enum log_target)r;
            break;
        case 'V':
            printf("vpnd %s\n", VPND_VERSION);
            return EXIT_SUCCESS;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vpnd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    if (check_path)
        return check_config(check_path);

    log_open(target);

    /* Block the signals sd-event handles before any thread exists, so that
     * no worker can receive them, and never die of a closed control client. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        log_error_errno(CONFIG_SUBSYS_MAIN, -errno, "cannot set up signal handling: %m");
        return EXIT_FAILURE;
    }

    struct vpnd *vpnd;
    r = vpnd_start(config_path, &vpnd);
    if (r < 0)
        return EXIT_FAILURE;
    r = vpnd_run(vpnd);
    vpnd_free(vpnd);
    return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
