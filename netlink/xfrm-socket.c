/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The request socket: batching of changes and synchronous exchanges.
 *
 * The kernel handles XFRM requests in the sender's context (xfrm_netlink_rcv
 * runs inside sendmsg), so when a batch has been sent every answer is already
 * queued on the socket; the receive timeout only guards against a kernel that
 * does not answer. Each message carries its own sequence number; only the
 * last message of a batch asks for an ack. The kernel answers the others
 * only when they fail (netlink_rcv_skb() acks a message on error or on
 * request), in order, so once the last ack is in, every request not
 * answered by then succeeded: one read per batch instead of one per
 * message. Errors are mapped back to their requests by sequence number.
 *
 * NETLINK_CAP_ACK keeps the kernel from echoing whole requests (with their
 * keys) in error messages; NETLINK_EXT_ACK gives us its error text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <libmnl/libmnl.h>

#include "xfrm-handle.h"
#include "xfrm-msg.h"

/* A batch is sent when it reaches either limit. 64 acks (a few hundred bytes
 * of skb each) fit the default receive buffer with a wide margin. */
#define BATCH_BYTES    (32 * 1024)
#define BATCH_MESSAGES 64
#define RX_BUFFER      (64 * 1024)
#define ANSWER_TIMEOUT_SEC 5

struct xfrm_handle {
    struct mnl_socket *nl;
    uint32_t portid;
    uint32_t seq;
    struct mnl_nlmsg_batch *batch;
    uint8_t *batch_buf;
    struct xfrm_request pending[BATCH_MESSAGES];
    size_t n_pending;
    /* Outcome of batches sent before xfrm_flush() (full batch, or a query
     * that sent queued requests first), for xfrm_flush() to report. */
    unsigned earlier_failures;
    int earlier_error;
    uint8_t *rx;
    struct xfrm_io_counters io;
};

static uint32_t next_seq(struct xfrm_handle *h)
{
    if (++h->seq == 0)          /* 0 is what unsolicited messages carry */
        h->seq = 1;
    return h->seq;
}

int xfrm_open(struct xfrm_handle **ret)
{
    struct xfrm_handle *h = calloc(1, sizeof(*h));
    int one = 1, r;

    if (!h)
        return -ENOMEM;
    h->batch_buf = aligned_alloc(8, BATCH_BYTES);
    h->rx = aligned_alloc(8, RX_BUFFER);
    if (!h->batch_buf || !h->rx) {
        r = -ENOMEM;
        goto fail;
    }
    h->batch = mnl_nlmsg_batch_start(h->batch_buf, BATCH_BYTES);
    if (!h->batch) {
        r = -ENOMEM;
        goto fail;
    }
    h->nl = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC);
    if (!h->nl || mnl_socket_bind(h->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        r = -errno;
        goto fail;
    }
    /* Extended acks are a best effort: old kernels answer without them. */
    (void)mnl_socket_setsockopt(h->nl, NETLINK_EXT_ACK, &one, sizeof(one));
    (void)mnl_socket_setsockopt(h->nl, NETLINK_CAP_ACK, &one, sizeof(one));
    struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_SEC };
    if (setsockopt(mnl_socket_get_fd(h->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
        r = -errno;
        goto fail;
    }
    h->portid = mnl_socket_get_portid(h->nl);
    h->seq = (uint32_t)time(NULL);
    *ret = h;
    return 0;
fail:
    xfrm_close(h);
    return r;
}

struct xfrm_handle *xfrm_close(struct xfrm_handle *h)
{
    if (!h)
        return NULL;
    if (h->n_pending > 0)
        (void)xfrm_flush(h);
    if (h->batch)
        mnl_nlmsg_batch_stop(h->batch);
    if (h->batch_buf)
        explicit_bzero(h->batch_buf, BATCH_BYTES);
    free(h->batch_buf);
    if (h->rx)
        explicit_bzero(h->rx, RX_BUFFER);
    free(h->rx);
    if (h->nl)
        mnl_socket_close(h->nl);
    free(h);
    return NULL;
}

void xfrm_get_io_counters(const struct xfrm_handle *h, struct xfrm_io_counters *ret)
{
    *ret = h->io;
}

size_t xfrm_queued(const struct xfrm_handle *h)
{
    return h->n_pending;
}

void xfrm_batch_take_answer(struct xfrm_request *reqs, size_t n, const struct nlmsghdr *nlh)
{
    if (nlh->nlmsg_type != NLMSG_ERROR)
        return;                 /* a batch only gets acks */
    /* A linear search: at most BATCH_MESSAGES, and safe across seq wrap. */
    for (size_t k = 0; k < n; k++) {
        if (reqs[k].seq != nlh->nlmsg_seq || reqs[k].answered)
            continue;
        if (xfrm_parse_ack(nlh, &reqs[k].st) < 0) {
            reqs[k].st.error = -EBADMSG;
            reqs[k].st.message[0] = '\0';
        }
        reqs[k].answered = true;
        return;
    }
}

/* Receives until the last request has its ack (the others' errors come
 * before it); a socket error marks every unanswered request. */
static int batch_receive(struct xfrm_handle *h, struct xfrm_request *reqs, size_t n)
{
    while (!reqs[n - 1].answered) {
        ssize_t len = mnl_socket_recvfrom(h->nl, h->rx, RX_BUFFER);
        h->io.syscalls++;
        if (len < 0) {
            int r = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
            for (size_t k = 0; k < n; k++)
                if (!reqs[k].answered) {
                    reqs[k].st.error = r;
                    reqs[k].answered = true;
                }
            return r;
        }
        int rest = (int)len;    /* len <= the buffer size, which fits an int */
        for (const struct nlmsghdr *nlh = (const void *)h->rx; mnl_nlmsg_ok(nlh, rest);
             nlh = mnl_nlmsg_next(nlh, &rest))
            if (nlh->nlmsg_pid == h->portid || nlh->nlmsg_pid == 0)
                xfrm_batch_take_answer(reqs, n, nlh);
        /* Without NETLINK_CAP_ACK (old kernels) errors echo the request. */
        explicit_bzero(h->rx, (size_t)len);
    }
    for (size_t k = 0; k < n; k++)
        reqs[k].answered = true;    /* no error message: it succeeded */
    return 0;
}

/* Only the batch's last message asks for an ack (see the top). */
static void ack_last_only(struct mnl_nlmsg_batch *batch)
{
    int rest = (int)mnl_nlmsg_batch_size(batch);
    struct nlmsghdr *last = NULL;
    for (struct nlmsghdr *nlh = mnl_nlmsg_batch_head(batch); mnl_nlmsg_ok(nlh, rest);
         nlh = mnl_nlmsg_next(nlh, &rest)) {
        nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
        last = nlh;
    }
    if (last)
        last->nlmsg_flags |= NLM_F_ACK;
}

/* Sends the queued batch and runs its callbacks. Returns 0 or a socket
 * error; *failed counts requests that got an error. */
static int send_batch(struct xfrm_handle *h, unsigned *failed)
{
    size_t n = h->n_pending;
    int r = 0;

    *failed = 0;
    if (n == 0)
        return 0;
    /* Callbacks may queue (and flush) again: work on a private copy. */
    struct xfrm_request *reqs = malloc(n * sizeof(*reqs));
    if (!reqs)
        return -ENOMEM;
    memcpy(reqs, h->pending, n * sizeof(*reqs));
    h->n_pending = 0;

    size_t size = mnl_nlmsg_batch_size(h->batch);
    ack_last_only(h->batch);
    h->io.round_trips++;
    h->io.messages += n;
    h->io.syscalls++;
    ssize_t sent = mnl_socket_sendto(h->nl, mnl_nlmsg_batch_head(h->batch), size);
    int send_errno = errno;
    explicit_bzero(mnl_nlmsg_batch_head(h->batch), size);
    mnl_nlmsg_batch_reset(h->batch);

    if (sent < 0) {
        r = -send_errno;
        for (size_t k = 0; k < n; k++) {
            reqs[k].st.error = r;
            reqs[k].answered = true;
        }
    } else {
        r = batch_receive(h, reqs, n);
    }

    for (size_t k = 0; k < n; k++) {
        if (reqs[k].st.error < 0)
            (*failed)++;
        if (reqs[k].done)
            reqs[k].done(&reqs[k].st, reqs[k].userdata);
    }
    free(reqs);
    return r;
}

/* Sends early (batch full, or a query must go after queued changes) and
 * keeps the outcome for the next xfrm_flush(). */
static int send_batch_early(struct xfrm_handle *h)
{
    unsigned failed;
    int r = send_batch(h, &failed);
    h->earlier_failures += failed;
    if (r < 0 && h->earlier_error == 0 && r != -ENOMEM)
        h->earlier_error = r;
    return r;
}

int xfrm_flush(struct xfrm_handle *h)
{
    unsigned failed;
    int r = send_batch(h, &failed);
    if (r == -ENOMEM)
        return r;               /* nothing was sent; the queue is intact */
    failed += h->earlier_failures;
    if (r == 0)
        r = h->earlier_error;
    h->earlier_failures = 0;
    h->earlier_error = 0;
    return r < 0 ? r : (int)failed;
}

static bool batch_full(const struct xfrm_handle *h)
{
    return h->n_pending == BATCH_MESSAGES ||
           mnl_nlmsg_batch_size(h->batch) + XFRM_REQUEST_MAX > BATCH_BYTES;
}

/* Encodes one request into the batch through encode(buf, len, &nlh). */
typedef int (*encode_fn)(void *buf, size_t len, const void *obj, bool flag,
                         struct nlmsghdr **ret);

static int queue(struct xfrm_handle *h, encode_fn encode, const void *obj, bool flag,
                 xfrm_done_fn done, void *userdata)
{
    struct nlmsghdr *nlh;
    int r;

    if (batch_full(h)) {
        (void)send_batch_early(h);
        if (batch_full(h))
            return -ENOMEM;     /* the flush could not even start */
    }
    void *buf = mnl_nlmsg_batch_current(h->batch);
    r = encode(buf, XFRM_REQUEST_MAX, obj, flag, &nlh);
    if (r < 0)
        return r;
    nlh->nlmsg_seq = next_seq(h);
    /* Cannot fail: the check above left room for XFRM_REQUEST_MAX bytes. */
    if (!mnl_nlmsg_batch_next(h->batch)) {
        explicit_bzero(buf, nlh->nlmsg_len);
        return -EMSGSIZE;
    }
    h->pending[h->n_pending++] = (struct xfrm_request){
        .seq = nlh->nlmsg_seq, .done = done, .userdata = userdata,
    };
    return 0;
}

static int encode_sa_add(void *buf, size_t len, const void *obj, bool update,
                         struct nlmsghdr **ret)
{
    return xfrm_msg_sa_add(buf, len, obj, update, ret);
}

static int encode_sa_delete(void *buf, size_t len, const void *obj, bool unused,
                            struct nlmsghdr **ret)
{
    return xfrm_msg_sa_id(buf, len, XFRM_MSG_DELSA, obj, ret);
}

static int encode_sp_add(void *buf, size_t len, const void *obj, bool update,
                         struct nlmsghdr **ret)
{
    return xfrm_msg_sp_add(buf, len, obj, update, ret);
}

static int encode_sp_delete(void *buf, size_t len, const void *obj, bool unused,
                            struct nlmsghdr **ret)
{
    return xfrm_msg_sp_id(buf, len, XFRM_MSG_DELPOLICY, obj, ret);
}

int xfrm_queue_sa_add(struct xfrm_handle *h, const struct xfrm_sa *sa, bool update,
                      xfrm_done_fn done, void *userdata)
{
    return queue(h, encode_sa_add, sa, update, done, userdata);
}

int xfrm_queue_sa_delete(struct xfrm_handle *h, const struct xfrm_sa_id *id,
                         xfrm_done_fn done, void *userdata)
{
    return queue(h, encode_sa_delete, id, false, done, userdata);
}

int xfrm_queue_sp_add(struct xfrm_handle *h, const struct xfrm_sp *sp, bool update,
                      xfrm_done_fn done, void *userdata)
{
    return queue(h, encode_sp_add, sp, update, done, userdata);
}

int xfrm_queue_sp_delete(struct xfrm_handle *h, const struct xfrm_sp_id *id,
                         xfrm_done_fn done, void *userdata)
{
    return queue(h, encode_sp_delete, id, false, done, userdata);
}

int xfrm_transact(struct xfrm_handle *h, struct nlmsghdr *nlh,
                  xfrm_answer_fn fn, void *userdata, struct xfrm_status *st)
{
    struct xfrm_status local;
    bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
    int r, fn_error = 0;

    if (!st)
        st = &local;
    memset(st, 0, sizeof(*st));
    /* Queued requests go first; their callbacks report their outcome. */
    if (send_batch_early(h) == -ENOMEM) {
        explicit_bzero(nlh, nlh->nlmsg_len);
        return st->error = -ENOMEM;
    }

    uint32_t seq = nlh->nlmsg_seq = next_seq(h);
    if (dump)
        nlh->nlmsg_flags &= ~NLM_F_ACK;    /* NLMSG_DONE ends a dump */
    h->io.round_trips++;
    h->io.messages++;
    h->io.syscalls++;
    ssize_t sent = mnl_socket_sendto(h->nl, nlh, nlh->nlmsg_len);
    int send_errno = errno;
    explicit_bzero(nlh, nlh->nlmsg_len);
    if (sent < 0)
        return st->error = -send_errno;

    for (;;) {
        ssize_t len = mnl_socket_recvfrom(h->nl, h->rx, RX_BUFFER);
        h->io.syscalls++;
        if (len < 0)
            return st->error = (errno == EAGAIN ? -ETIMEDOUT : -errno);
        int rest = (int)len;    /* len <= the buffer size, which fits an int */
        for (const struct nlmsghdr *m = (const void *)h->rx; mnl_nlmsg_ok(m, rest);
             m = mnl_nlmsg_next(m, &rest)) {
            if (m->nlmsg_seq != seq || (m->nlmsg_pid != h->portid && m->nlmsg_pid != 0))
                continue;       /* a late answer to an earlier request */
            if (m->nlmsg_type == NLMSG_ERROR) {
                if (xfrm_parse_ack(m, st) < 0)
                    st->error = -EBADMSG;
                r = st->error;
                if (r == 0 && fn_error < 0)
                    r = st->error = fn_error;
                explicit_bzero(h->rx, (size_t)len);
                return r;
            }
            if (m->nlmsg_type == NLMSG_DONE) {
                /* A dump's DONE carries its error as an int. */
                int done_err = 0;
                if (mnl_nlmsg_get_payload_len(m) >= sizeof(done_err))
                    memcpy(&done_err, mnl_nlmsg_get_payload(m), sizeof(done_err));
                st->error = done_err < 0 ? done_err : fn_error;
                explicit_bzero(h->rx, (size_t)len);
                return st->error;
            }
            if (fn && fn_error == 0) {
                int fr = fn(m, userdata);
                if (fr < 0)
                    fn_error = fr;  /* keep reading to the end of the answer */
            }
        }
        /* Dumped SAs carry keys. */
        explicit_bzero(h->rx, (size_t)len);
    }
}
