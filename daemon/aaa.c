/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The AAA service (aaa.h): the RADIUS clients of the aaa-server-groups and
 * the authentication requests of the protocol front ends. A client keeps a
 * reference on the configuration its group belongs to, so that a reload can
 * let it finish its requests while the new configuration's client takes
 * new ones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aaa.h"
#include "crypto.h"
#include "hashmap.h"
#include "log.h"
#include "radius.h"

#define RADIUS_NAS_PORT_TYPE_VIRTUAL 5      /* RFC 2865 5.41 */
#define RADIUS_SERVICE_TYPE_FRAMED 2        /* RFC 2865 5.6 */

/* One aaa-server-group's RADIUS client. */
struct aaa_client {
    struct aaa *aaa;
    struct vpnd_config *config;         /* referenced: `group` points into it */
    const struct config_aaa_group *group;
    struct radius_client *radius;
    unsigned n_pending;
    bool retired;                       /* replaced or removed by a reload: freed once idle */
    struct aaa_client *next_retired;
};

struct aaa {
    sd_event *event;
    struct hashmap *clients;            /* group name -> struct aaa_client (the running configuration's) */
    struct aaa_client *retired;
    sd_event_source *reaper;            /* frees idle retired clients outside their callbacks */
    struct aaa_pending *pending;        /* every request, for reloads and aaa_free */
};

struct aaa_pending {
    struct aaa *aaa;
    struct aaa_client *client;
    struct aaa_pending *prev, *next;
    struct radius_pending *radius;      /* NULL once answered or failed locally */
    sd_event_source *defer;             /* delivers a local failure (group removed) */
    const struct config_aaa_group *group;   /* the request's, for the policy mapping */
    aaa_callback_t callback;
    void *userdata;
    char error[AAA_TEXT_MAX];
};

/* ---- clients ------------------------------------------------------------------ */

static void client_free(struct aaa_client *c)
{
    if (!c)
        return;
    radius_client_free(c->radius);
    config_unref(c->config);
    free(c);
}

static int client_new(struct aaa *aaa, struct vpnd_config *config, const struct config_aaa_group *group,
                      struct aaa_client **ret)
{
    struct aaa_client *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->aaa = aaa;
    c->group = group;
    int r = radius_client_new(aaa->event, group, &c->radius);
    if (r < 0) {
        free(c);
        return r;
    }
    c->config = config_ref(config);
    *ret = c;
    return 0;
}

static int on_reap(sd_event_source *s, void *userdata)
{
    struct aaa *aaa = userdata;
    (void)s;
    for (struct aaa_client **pp = &aaa->retired; *pp;) {
        struct aaa_client *c = *pp;
        if (c->n_pending) {
            pp = &c->next_retired;
            continue;
        }
        *pp = c->next_retired;
        log_debug(CONFIG_SUBSYS_RADIUS, 1, "the previous RADIUS client of aaa-server-group '%s' is idle: closed",
                  c->group->name);
        client_free(c);
    }
    return 0;
}

static void schedule_reap(struct aaa *aaa)
{
    if (!aaa->retired)
        return;
    if (aaa->reaper) {
        (void)sd_event_source_set_enabled(aaa->reaper, SD_EVENT_ONESHOT);
        return;
    }
    if (sd_event_add_defer(aaa->event, &aaa->reaper, on_reap, aaa) < 0)
        aaa->reaper = NULL;     /* freed at aaa_free instead */
}

static bool servers_equal(const struct config_aaa_server *a, const struct config_aaa_server *b)
{
    return config_address_compare(&a->address, &b->address) == 0 && a->auth_port == b->auth_port &&
           a->acct_port == b->acct_port && a->secret.len == b->secret.len &&
           crypto_memequal(a->secret.data, b->secret.data, a->secret.len);
}

static bool strings_equal(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whether a client of `a` serves `b` the same (the policy mapping is read
 * from each request's own group, so it does not count). */
static bool groups_equal(const struct config_aaa_group *a, const struct config_aaa_group *b)
{
    if (a->n_servers != b->n_servers || a->timeout_ms != b->timeout_ms || a->retries != b->retries ||
        a->dead_time != b->dead_time || a->has_nas_ip != b->has_nas_ip ||
        a->require_message_authenticator != b->require_message_authenticator ||
        !strings_equal(a->nas_identifier, b->nas_identifier))
        return false;
    if (a->has_nas_ip && config_address_compare(&a->nas_ip, &b->nas_ip) != 0)
        return false;
    for (size_t i = 0; i < a->n_servers; i++)
        if (!servers_equal(&a->servers[i], &b->servers[i]))
            return false;
    return true;
}

static void retire(struct aaa *aaa, struct aaa_client *c)
{
    hashmap_remove_str(aaa->clients, c->group->name);
    c->retired = true;
    c->next_retired = aaa->retired;
    aaa->retired = c;
    schedule_reap(aaa);
}

/* ---- requests ------------------------------------------------------------------- */

static void pending_unlink(struct aaa_pending *p)
{
    struct aaa *aaa = p->aaa;
    if (p->prev)
        p->prev->next = p->next;
    else
        aaa->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->client->n_pending--;
    if (p->client->retired && p->client->n_pending == 0)
        schedule_reap(aaa);
}

static void pending_free(struct aaa_pending *p)
{
    sd_event_source_disable_unref(p->defer);
    free(p);
}

static void deliver(struct aaa_pending *p, struct aaa_result *res)
{
    aaa_callback_t cb = p->callback;
    void *userdata = p->userdata;
    pending_unlink(p);
    pending_free(p);
    cb(res, userdata);
    crypto_wipe(res->msk, sizeof(res->msk));
    crypto_wipe(res->state, sizeof(res->state));
}

static const char *server_text(const struct config_aaa_server *srv, char *buf, size_t len)
{
    char addr[INET6_ADDRSTRLEN] = "?";
    inet_ntop(srv->address.family, srv->address.family == AF_INET ? (const void *)&srv->address.in
              : (const void *)&srv->address.in6, addr, sizeof(addr));
    snprintf(buf, len, srv->address.family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, srv->auth_port);
    return buf;
}

/* The MSK (RFC 3748, RFC 2548 2.4): MS-MPPE-Recv-Key then -Send-Key. */
static void read_msk(const struct radius_response *resp, struct aaa_result *res)
{
    uint8_t recv[32], send[32];
    int r = radius_response_mppe_key(resp, RADIUS_MS_MPPE_RECV_KEY, recv, sizeof(recv));
    int s = radius_response_mppe_key(resp, RADIUS_MS_MPPE_SEND_KEY, send, sizeof(send));
    if (r > 0 && s > 0) {
        memcpy(res->msk, recv, (size_t)r);
        memcpy(res->msk + r, send, (size_t)s);
        res->msk_len = (size_t)(r + s);
    }
    crypto_wipe(recv, sizeof(recv));
    crypto_wipe(send, sizeof(send));
}

static void on_radius(const struct radius_response *resp, int error, const char *reason, void *userdata)
{
    struct aaa_pending *p = userdata;
    p->radius = NULL;
    struct aaa_result *res = calloc(1, sizeof(*res));
    uint8_t *eap = malloc(AAA_EAP_MAX);
    if (!res || !eap) {
        free(res);
        free(eap);
        static struct aaa_result oom = { .verdict = AAA_ERROR, .error = -ENOMEM, .reply = "out of memory" };
        deliver(p, &oom);
        return;
    }
    if (!resp) {
        res->verdict = AAA_ERROR;
        res->error = error;
        snprintf(res->reply, sizeof(res->reply), "%s", reason ? reason : strerror(-error));
        snprintf(res->server, sizeof(res->server), "aaa-server-group %s", p->client->group->name);
        goto out;
    }
    server_text(resp->server, res->server, sizeof(res->server));
    (void)radius_response_reply_message(resp, res->reply, sizeof(res->reply));
    int n = radius_response_eap(resp, eap, AAA_EAP_MAX);
    if (n < 0) {
        res->verdict = AAA_ERROR;
        res->error = -EBADMSG;
        snprintf(res->reply, sizeof(res->reply), "%s with a malformed EAP-Message from %s",
                 radius_code_name(radius_response_code(resp)), res->server);
        goto out;
    }
    if (n > 0) {
        res->eap = eap;
        res->eap_len = (size_t)n;
    }
    const uint8_t *v;
    size_t len;
    if (radius_response_find(resp, RADIUS_STATE, 0, &v, &len) == 1 && len <= sizeof(res->state)) {
        memcpy(res->state, v, len);
        res->state_len = len;
    }
    switch (radius_response_code(resp)) {
    case RADIUS_ACCESS_ACCEPT:
        res->verdict = AAA_ACCEPT;
        aaa_authorization_parse(resp, p->group, &res->authz);
        read_msk(resp, res);
        break;
    case RADIUS_ACCESS_REJECT:
        res->verdict = AAA_REJECT;
        break;
    case RADIUS_ACCESS_CHALLENGE:
        res->verdict = AAA_CHALLENGE;
        break;
    default:
        res->verdict = AAA_ERROR;
        res->error = -EBADMSG;
        snprintf(res->reply, sizeof(res->reply), "unexpected %s from %s",
                 radius_code_name(radius_response_code(resp)), res->server);
        break;
    }
out:
    deliver(p, res);
    free(res);
    free(eap);
}

static int on_local_failure(sd_event_source *s, void *userdata)
{
    struct aaa_pending *p = userdata;
    (void)s;
    struct aaa_result res = { .verdict = AAA_ERROR, .error = -ENOENT };
    snprintf(res.reply, sizeof(res.reply), "%s", p->error);
    snprintf(res.server, sizeof(res.server), "aaa-server-group %s", p->client->group->name);
    deliver(p, &res);
    return 0;
}

static int fail_later(struct aaa_pending *p, const char *why)
{
    if (p->radius) {
        radius_cancel(p->radius);
        p->radius = NULL;
    }
    snprintf(p->error, sizeof(p->error), "%s", why);
    return sd_event_add_defer(p->aaa->event, &p->defer, on_local_failure, p);
}

static int build_request(const struct aaa_request *in, struct radius_request *req)
{
    int r = radius_request_init(req, RADIUS_ACCESS_REQUEST);
    if (r >= 0)
        r = radius_request_add_string(req, RADIUS_USER_NAME, in->user);
    if (r >= 0 && in->password)
        r = radius_request_set_password(req, in->password, strlen(in->password));
    if (r >= 0 && in->eap)
        r = radius_request_add_eap(req, in->eap, in->eap_len);
    if (r >= 0 && in->state && in->state_len)
        r = radius_request_add(req, RADIUS_STATE, in->state, in->state_len);
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_SERVICE_TYPE, RADIUS_SERVICE_TYPE_FRAMED);
    if (r >= 0)
        r = radius_request_add_u32(req, RADIUS_NAS_PORT_TYPE, RADIUS_NAS_PORT_TYPE_VIRTUAL);
    if (r >= 0 && in->peer && *in->peer)
        r = radius_request_add_string(req, RADIUS_CALLING_STATION_ID, in->peer);
    return r;
}

int aaa_authenticate(struct aaa *aaa, const struct aaa_request *in, aaa_callback_t callback, void *userdata,
                     struct aaa_pending **handle)
{
    const struct config_aaa_group *group = in->group ? in->group->authentication_server_group : NULL;
    if (!aaa || !group || !in->user || (!in->password == !in->eap))
        return -EINVAL;
    struct aaa_client *c = hashmap_get_str(aaa->clients, group->name);
    if (!c)
        return -ENOENT;
    struct aaa_pending *p = calloc(1, sizeof(*p));
    struct radius_request *req = malloc(sizeof(*req));
    if (!p || !req) {
        free(p);
        free(req);
        return -ENOMEM;
    }
    p->aaa = aaa;
    p->client = c;
    p->group = group;
    p->callback = callback;
    p->userdata = userdata;
    int r = build_request(in, req);
    if (r >= 0)
        r = radius_send(c->radius, req, on_radius, p, &p->radius);
    radius_request_wipe(req);
    free(req);
    if (r < 0) {
        free(p);
        return r;
    }
    c->n_pending++;
    p->next = aaa->pending;
    if (p->next)
        p->next->prev = p;
    aaa->pending = p;
    if (handle)
        *handle = p;
    return 0;
}

void aaa_cancel(struct aaa_pending *p)
{
    if (!p)
        return;
    if (p->radius)
        radius_cancel(p->radius);
    pending_unlink(p);
    pending_free(p);
}

struct radius_client *aaa_radius_client(struct aaa *aaa, const char *group_name)
{
    struct aaa_client *c = aaa && group_name ? hashmap_get_str(aaa->clients, group_name) : NULL;
    return c ? c->radius : NULL;
}

/* ---- the service ------------------------------------------------------------------ */

static int add_clients(struct aaa *aaa, struct vpnd_config *config)
{
    for (size_t i = 0; i < config->n_aaa_groups; i++) {
        const struct config_aaa_group *g = &config->aaa_groups[i];
        if (hashmap_get_str(aaa->clients, g->name))
            continue;
        struct aaa_client *c;
        int r = client_new(aaa, config, g, &c);
        if (r >= 0) {
            r = hashmap_put_str(aaa->clients, g->name, c);
            if (r < 0)
                client_free(c);
        }
        if (r < 0)
            return log_error_errno(CONFIG_SUBSYS_RADIUS, r, "cannot set up the RADIUS client of aaa-server-group "
                                   "'%s': %m", g->name);
        log_debug(CONFIG_SUBSYS_RADIUS, 1, "aaa-server-group '%s': RADIUS client with %zu server(s)", g->name,
                  g->n_servers);
    }
    return 0;
}

int aaa_new(sd_event *event, struct vpnd_config *config, struct aaa **ret)
{
    struct aaa *aaa = calloc(1, sizeof(*aaa));
    if (!aaa)
        return -ENOMEM;
    aaa->event = event;
    int r = hashmap_new(&aaa->clients);
    if (r >= 0)
        r = add_clients(aaa, config);
    if (r < 0) {
        aaa_free(aaa);
        return r;
    }
    *ret = aaa;
    return 0;
}

int aaa_reload(struct aaa *aaa, struct vpnd_config *config)
{
    size_t n = hashmap_size(aaa->clients), k = 0;
    struct aaa_client **list = n ? calloc(n, sizeof(*list)) : NULL;
    if (n && !list)
        return -ENOMEM;
    struct hashmap_iter it = HASHMAP_ITER_INIT;
    void *value;
    while (k < n && hashmap_iterate(aaa->clients, &it, NULL, NULL, &value))
        list[k++] = value;
    for (size_t i = 0; i < k; i++) {
        struct aaa_client *c = list[i];
        const struct config_aaa_group *g = config_aaa_group_find(config, c->group->name);
        if (g && groups_equal(c->group, g))
            continue;
        if (!g) {
            char why[AAA_TEXT_MAX];
            snprintf(why, sizeof(why), "aaa-server-group '%s' was removed by a reload", c->group->name);
            for (struct aaa_pending *p = aaa->pending; p; p = p->next)
                if (p->client == c && !p->defer && fail_later(p, why) < 0)
                    log_warning(CONFIG_SUBSYS_RADIUS, "cannot fail a request of removed aaa-server-group '%s'",
                                c->group->name);
            log_info(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s' removed: %u request(s) in flight fail",
                     c->group->name, c->n_pending);
        } else
            log_info(CONFIG_SUBSYS_RADIUS, "aaa-server-group '%s' changed: new RADIUS client (%u request(s) in "
                     "flight finish on the previous one)", c->group->name, c->n_pending);
        retire(aaa, c);
    }
    free(list);
    return add_clients(aaa, config);
}

void aaa_free(struct aaa *aaa)
{
    if (!aaa)
        return;
    while (aaa->pending)
        aaa_cancel(aaa->pending);
    struct hashmap_iter it = HASHMAP_ITER_INIT;
    const void *key;
    size_t len;
    void *value;
    while (hashmap_iterate(aaa->clients, &it, &key, &len, &value)) {
        hashmap_remove(aaa->clients, key, len);
        client_free(value);
    }
    hashmap_free(aaa->clients);
    while (aaa->retired) {
        struct aaa_client *c = aaa->retired;
        aaa->retired = c->next_retired;
        client_free(c);
    }
    sd_event_source_disable_unref(aaa->reaper);
    free(aaa);
}
