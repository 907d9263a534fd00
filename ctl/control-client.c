/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "control-client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "jsonline.h"

/* Responses can be large: `vpnctl ipsec` at 10,000 sessions is some 13 MB,
 * twice that while they rekey. Requests are small. */
#define CLIENT_MAX_RESPONSE (256 * 1024 * 1024)
#define CLIENT_MAX_REQUEST  (64 * 1024)

int control_client_connect(const char *path, int *ret_fd)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    /* Non-blocking from here on: every wait goes through poll() with the
     * caller's deadline, so a wedged daemon cannot hang a script. */
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    *ret_fd = fd;
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int control_client_stream_lines(int fd, json_object *request, int timeout_ms, control_client_line_fn fn,
                                void *userdata)
{
    struct jsonline_writer out;
    struct jsonline_reader in;
    long long deadline = now_ms() + timeout_ms;
    bool answered = false;
    int r;

    jsonline_writer_init(&out, CLIENT_MAX_REQUEST);
    jsonline_reader_init(&in, CLIENT_MAX_RESPONSE);

    r = jsonline_writer_queue(&out, request);
    if (r < 0)
        goto done;

    for (;;) {
        if (jsonline_writer_pending(&out)) {
            r = jsonline_writer_flush(&out, fd);
            if (r < 0)
                goto done;
        }

        const char *line;
        size_t len;
        r = jsonline_reader_next_line(&in, &line, &len);
        if (r == 1) {
            answered = true;
            r = fn(line, len, userdata);
            if (r != 0)
                goto done;
            continue;
        }
        if (r < 0)
            goto done;

        /* The deadline is for the answer; what follows it may take its time. */
        long long left = answered ? -1 : deadline - now_ms();
        if (!answered && left <= 0) {
            r = -ETIMEDOUT;
            goto done;
        }
        struct pollfd p = {
            .fd = fd,
            .events = POLLIN | (jsonline_writer_pending(&out) ? POLLOUT : 0),
        };
        r = poll(&p, 1, answered ? -1 : (int)(left > 60000 ? 60000 : left));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            goto done;
        }
        if (p.revents & POLLIN) {
            ssize_t n = jsonline_reader_fill(&in, fd);
            if (n == 0) {
                r = -ECONNRESET;
                goto done;
            }
            if (n == -ENOBUFS) {
                r = -EMSGSIZE;
                goto done;
            }
            if (n < 0 && n != -EAGAIN) {
                r = (int)n;
                goto done;
            }
        } else if (p.revents & (POLLERR | POLLHUP)) {
            r = -ECONNRESET;
            goto done;
        }
    }

done:
    jsonline_writer_done(&out);
    jsonline_reader_done(&in);
    return r;
}

struct object_call {
    control_client_object_fn fn;
    void *userdata;
};

static int parse_and_call(const char *line, size_t len, void *userdata)
{
    struct object_call *call = userdata;
    json_object *obj = NULL;
    int r = jsonline_parse(line, len, &obj);
    if (r < 0)
        return r;
    r = call->fn(obj, call->userdata);
    json_object_put(obj);
    return r;
}

int control_client_stream(int fd, json_object *request, int timeout_ms, control_client_object_fn fn,
                          void *userdata)
{
    struct object_call call = { fn, userdata };
    return control_client_stream_lines(fd, request, timeout_ms, parse_and_call, &call);
}

static int keep_first(json_object *obj, void *userdata)
{
    *(json_object **)userdata = json_object_get(obj);
    return 1;
}

int control_client_call(int fd, json_object *request, int timeout_ms, json_object **ret)
{
    json_object *resp = NULL;
    int r = control_client_stream(fd, request, timeout_ms, keep_first, &resp);
    if (r == 1) {
        *ret = resp;
        return 0;
    }
    json_object_put(resp);
    return r;
}
