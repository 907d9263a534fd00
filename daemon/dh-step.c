/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dh-step.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void dh_step_init_keygen(struct dh_step *s, const struct crypto_dh_group *group)
{
    memset(s, 0, sizeof(*s));
    s->group = group;
}

int dh_step_init_compute(struct dh_step *s, const struct crypto_dh_group *group, struct crypto_dh **key,
                         const uint8_t *peer, size_t peer_len)
{
    memset(s, 0, sizeof(*s));
    if (peer_len > sizeof(s->peer))
        return -EINVAL;
    s->group = group;
    s->compute = true;
    s->dh = *key;
    *key = NULL;
    memcpy(s->peer, peer, peer_len);
    s->peer_len = peer_len;
    return 0;
}

int dh_step_run(struct dh_step *s)
{
    int r;
    if (!s->compute) {
        r = crypto_dh_new(s->group, &s->dh);
        if (r < 0) {
            s->failed_step = "key generation";
            return r;
        }
        r = crypto_dh_public(s->dh, s->pub, sizeof(s->pub));
        if (r < 0) {
            s->failed_step = "public value";
            return r;
        }
        s->pub_len = (size_t)r;
        return 0;
    }
    r = crypto_dh_compute(s->dh, s->peer, s->peer_len, s->shared, sizeof(s->shared), &s->shared_len);
    if (r < 0)
        s->failed_step = "the peer's public value";
    return r;
}

void dh_step_take_keypair(struct dh_step *s, struct crypto_dh **key, uint8_t *ke, size_t *ke_len)
{
    crypto_dh_free(*key);
    *key = s->dh;
    s->dh = NULL;
    memcpy(ke, s->pub, s->pub_len);
    *ke_len = s->pub_len;
}

void dh_step_describe_failure(const struct dh_step *s, int result, char *buf, size_t size)
{
    snprintf(buf, size, "Diffie-Hellman %s: %s", s->failed_step ? s->failed_step : "job", strerror(-result));
}

void dh_step_wipe(struct dh_step *s)
{
    crypto_dh_free(s->dh);
    crypto_wipe(s, sizeof(*s));
}
