/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Xauth on the responder (draft-ietf-ipsec-isakmp-xauth-06), right after
 * phase 1, in the Transaction exchange: we send REQUEST (type generic,
 * user name, password), the client answers REPLY, the password is checked
 * against the local users on a worker (crypt(3) is slow on purpose), and a
 * SET carries the status, which the client ACKs. A wrong password gets a
 * new REQUEST until the tunnel group's attempts are used up, then SET
 * with FAIL and the ISAKMP SA is deleted. RADIUS comes later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikev1-sa.h"
#include "jobs.h"

#define XAUTH_DEADLINE 120          /* seconds for the user to type and the check to finish */
#define XAUTH_REQUEST_TRIES 11      /* REQUEST sent again every 5 s while the user types */
#define XAUTH_FIELD_MAX 255

static unsigned max_attempts(const struct ikev1_isakmp_sa *sa)
{
    return sa->group->xauth_attempts ? sa->group->xauth_attempts : 3;
}

static void send_request(struct ikev1_isakmp_sa *sa, const char *message)
{
    uint8_t plain[512];
    uint8_t type[4];
    struct ikev1_builder b;
    struct ikev1_attribute attrs[4];
    size_t n = 0;
    attrs[n++] = ikev1_attribute_from_number(IKEV1_XAUTH_TYPE, IKEV1_XAUTH_TYPE_GENERIC, type);
    attrs[n++] = (struct ikev1_attribute){ .type = IKEV1_XAUTH_USER_NAME };
    attrs[n++] = (struct ikev1_attribute){ .type = IKEV1_XAUTH_USER_PASSWORD };
    if (message)
        attrs[n++] = (struct ikev1_attribute){ .type = IKEV1_XAUTH_MESSAGE, .value = (const uint8_t *)message,
                                               .len = (uint16_t)strlen(message) };
    uint32_t mid = ikev1_new_mid(sa);
    ikev1_builder_init(&b, plain, sizeof(plain));
    ikev1_build_hash_reserve(&b, sa->keys.prf->out_len);
    ikev1_build_cfg(&b, IKEV1_CFG_REQUEST, ++sa->cfg_identifier, attrs, n);
    sa->xauth_step = XAUTH_WAIT_REPLY;
    sa->req_max_tries = XAUTH_REQUEST_TRIES;
    (void)ikev1_send_hashed(sa, IKEV1_EXCHANGE_TRANSACTION, mid, &b, plain, NULL, 0, IKEV1_SEND_REQUEST);
}

static void send_status(struct ikev1_isakmp_sa *sa, bool ok)
{
    uint8_t plain[256];
    uint8_t v[4];
    struct ikev1_builder b;
    struct ikev1_attribute a = ikev1_attribute_from_number(IKEV1_XAUTH_STATUS,
                                                           ok ? IKEV1_XAUTH_STATUS_OK : IKEV1_XAUTH_STATUS_FAIL, v);
    uint32_t mid = ikev1_new_mid(sa);
    ikev1_builder_init(&b, plain, sizeof(plain));
    ikev1_build_hash_reserve(&b, sa->keys.prf->out_len);
    ikev1_build_cfg(&b, IKEV1_CFG_SET, ++sa->cfg_identifier, &a, 1);
    sa->xauth_ok = ok;
    sa->xauth_step = XAUTH_WAIT_ACK;
    sa->req_max_tries = 5;
    (void)ikev1_send_hashed(sa, IKEV1_EXCHANGE_TRANSACTION, mid, &b, plain, NULL, 0, IKEV1_SEND_REQUEST);
}

void ikev1_xauth_start(struct ikev1_isakmp_sa *sa)
{
    if (!sa->group->xauth) {
        /* Group authentication only: the group is who connects (with
         * certificates, the certificate's identity, already set). */
        if (!sa->user[0])
            snprintf(sa->user, sizeof(sa->user), "%s", sa->group_name);
        sa->policy = sa->group->group_policy;
        sa->xauth_done = true;
        ikev1_modecfg_start(sa);
        return;
    }
    ikev1_set_deadline(sa, XAUTH_DEADLINE, "Xauth not completed within 120 s");
    send_request(sa, NULL);
}

/* ---- the password check on a worker --------------------------------------------------------- */

struct xauth_job {
    struct ikev1_isakmp_sa *sa;
    struct config_user user;        /* a private copy of what the check needs */
    uint8_t secret[256];
    char password[XAUTH_FIELD_MAX + 1];
    char name[XAUTH_FIELD_MAX + 1];
    bool known;
};

static int xauth_work(void *userdata)
{
    struct xauth_job *j = userdata;
    if (!j->known)
        return 0;
    return config_user_verify_password(&j->user, j->password);
}

static void xauth_job_free(struct xauth_job *j)
{
    if (j->user.password_hash) {
        crypto_wipe(j->user.password_hash, strlen(j->user.password_hash));
        free(j->user.password_hash);
    }
    crypto_wipe(j, sizeof(*j));
    free(j);
}

static void xauth_done(void *userdata, int result)
{
    struct xauth_job *j = userdata;
    if (result == -ECANCELED) {
        xauth_job_free(j);
        return;
    }
    struct ikev1_isakmp_sa *sa = j->sa;
    struct log_ctx ctx;
    sa->job = NULL;
    ikev1_sa_log_ctx(sa, &ctx);
    ctx.user = j->name;
    char reason[160];
    const struct config_user *user = config_user_find(sa->config, j->name);
    if (result == 1 && user) {
        const struct config_group_policy *gp = user->group_policy ? user->group_policy : sa->group->group_policy;
        if (gp && !(gp->protocols & CONFIG_PROTOCOL_IKEV1)) {
            snprintf(reason, sizeof(reason), "group policy %s does not allow IKEv1", gp->name);
            sa->xauth_attempts = max_attempts(sa);      /* a policy refusal is final */
            goto failed;
        }
        snprintf(sa->user, sizeof(sa->user), "%s", j->name);
        sa->policy = gp;
        ikev1_user_known(sa);
        ikev1_sa_log_ctx(sa, &ctx);
        log_info_ctx(&ctx, CONFIG_SUBSYS_AUTH, "Xauth: user %s authenticated (peer %s, tunnel group %s)", sa->user,
                     sa->peer, sa->group->name);
        xauth_job_free(j);
        send_status(sa, true);
        return;
    }
    if (!j->known)
        snprintf(reason, sizeof(reason), "no such user with a password");
    else if (result < 0)
        snprintf(reason, sizeof(reason), "password check failed: %s", strerror(-result));
    else
        snprintf(reason, sizeof(reason), "wrong password");
failed:
    sa->xauth_attempts++;
    sa->ike->stats.xauth_failures++;
    log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, user '%s', tunnel group %s: Xauth: "
                   "%s (attempt %u of %u)", sa->peer, j->name, sa->group->name, reason, sa->xauth_attempts,
                   max_attempts(sa));
    xauth_job_free(j);
    if (sa->xauth_attempts < max_attempts(sa))
        send_request(sa, "Authentication failed, please try again.");
    else
        send_status(sa, false);
}

/* A TLV attribute as text: printable, at most XAUTH_FIELD_MAX bytes. */
static bool attr_text(const struct ikev1_attribute *a, char *buf, bool printable)
{
    if (a->tv || a->len > XAUTH_FIELD_MAX)
        return false;
    for (size_t i = 0; i < a->len; i++)
        if (a->value[i] == 0 || (printable && (a->value[i] < 0x20 || a->value[i] == 0x7f)))
            return false;
    memcpy(buf, a->value, a->len);
    buf[a->len] = '\0';
    return true;
}

static void handle_reply(struct ikev1_isakmp_sa *sa, const struct ikev1_cfg *cfg)
{
    struct log_ctx ctx;
    ikev1_sa_log_ctx(sa, &ctx);
    ikev1_request_done(sa);
    struct xauth_job *j = calloc(1, sizeof(*j));
    if (!j) {
        ikev1_sa_terminate(sa, true, "out of memory");
        return;
    }
    bool have_name = false, have_password = false;
    for (size_t i = 0; i < cfg->n; i++) {
        const struct ikev1_attribute *a = &cfg->attrs[i];
        if (a->type == IKEV1_XAUTH_USER_NAME)
            have_name = attr_text(a, j->name, true) && a->len > 0;
        else if (a->type == IKEV1_XAUTH_USER_PASSWORD)
            have_password = attr_text(a, j->password, false);
        else if (a->type == IKEV1_XAUTH_STATUS) {
            /* The client cancelled (XAUTH_STATUS FAIL in a REPLY). */
            xauth_job_free(j);
            ikev1_sa_terminate(sa, true, "the client cancelled Xauth");
            return;
        }
    }
    if (!have_name || !have_password) {
        log_notice_ctx(&ctx, CONFIG_SUBSYS_AUTH, "authentication failed: peer %s, tunnel group %s: Xauth reply "
                       "without a valid user name and password", sa->peer, sa->group->name);
        sa->ike->stats.xauth_failures++;
        xauth_job_free(j);
        sa->xauth_attempts = max_attempts(sa);
        send_status(sa, false);
        return;
    }
    const struct config_user *u = config_user_find(sa->config, j->name);
    if (u && (u->password_hash || u->password.len)) {
        j->known = true;
        if (u->password_hash && !(j->user.password_hash = strdup(u->password_hash))) {
            xauth_job_free(j);
            ikev1_sa_terminate(sa, true, "out of memory");
            return;
        }
        if (!u->password_hash && u->password.len <= sizeof(j->secret)) {
            memcpy(j->secret, u->password.data, u->password.len);
            j->user.password.data = j->secret;
            j->user.password.len = u->password.len;
        }
    }
    j->sa = sa;
    sa->xauth_step = XAUTH_CHECKING;
    int r = job_submit(ike_jobs(sa->ike), xauth_work, xauth_done, j, &sa->job);
    if (r < 0) {
        log_warning_ctx(&ctx, CONFIG_SUBSYS_AUTH, "cannot start the password check of user %s: %s", j->name,
                        strerror(-r));
        xauth_job_free(j);
        ikev1_sa_terminate(sa, true, "overloaded");
    }
}

void ikev1_handle_transaction(struct ikev1_isakmp_sa *sa, const struct ikev1_header *hdr,
                              const struct ikev1_payload_list *pl)
{
    struct log_ctx ctx;
    struct ikev1_parse_status st;
    ikev1_sa_log_ctx(sa, &ctx);
    const struct ikev1_payload *p = ikev1_payload_find(pl, IKEV1_PAYLOAD_ATTRIBUTE);
    struct ikev1_cfg *cfg = malloc(sizeof(*cfg));
    if (!cfg)
        return;
    if (!p || ikev1_cfg_decode(p, cfg, &st) < 0) {
        sa->ike->stats.parse_errors++;
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Transaction 0x%08x without a valid attribute payload dropped",
                     hdr->message_id);
        goto out;
    }
    /* Answers normally reuse our request's message ID; some clients start
     * a new one (the Xauth draft allows both): either is accepted, the
     * message being authentic already. */
    bool answer = sa->state == IKEV1_SA_XAUTH &&
                  ((cfg->type == IKEV1_CFG_REPLY && sa->xauth_step == XAUTH_WAIT_REPLY) ||
                   (cfg->type == IKEV1_CFG_ACK && sa->xauth_step == XAUTH_WAIT_ACK));
    if (answer && hdr->message_id != sa->req_mid) {
        log_debug_ctx(&ctx, CONFIG_SUBSYS_IKEV1, 1, "Xauth %s in a new message ID 0x%08x (our request: 0x%08x)",
                      ikev1_cfg_type_name(cfg->type), hdr->message_id, sa->req_mid);
        crypto_ikev1_cbc_forget(sa->cbc, sa->req_mid);
    }
    if (answer && cfg->type == IKEV1_CFG_REPLY) {
        handle_reply(sa, cfg);
        goto out;
    }
    if (answer && cfg->type == IKEV1_CFG_ACK) {
        ikev1_request_done(sa);
        crypto_ikev1_cbc_forget(sa->cbc, hdr->message_id);
        if (!sa->xauth_ok) {
            sa->ike->stats.handshake_failures[IKE_FAIL_AUTH]++;
            ikev1_sa_terminate(sa, true, "Xauth failed");
            goto out;
        }
        sa->xauth_done = true;
        ikev1_modecfg_start(sa);
        goto out;
    }
    if (sa->state == IKEV1_SA_XAUTH && cfg->type == IKEV1_CFG_REQUEST) {
        log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "Mode Config request before Xauth is done: ignored (the client "
                     "asks again)");
        goto out;
    }
    if (sa->state >= IKEV1_SA_MODECFG && ikev1_modecfg_handle(sa, hdr, cfg))
        goto out;
    log_info_ctx(&ctx, CONFIG_SUBSYS_IKEV1, "unexpected Transaction %s 0x%08x ignored",
                 ikev1_cfg_type_name(cfg->type) ? ikev1_cfg_type_name(cfg->type) : "?", hdr->message_id);
out:
    free(cfg);
}
