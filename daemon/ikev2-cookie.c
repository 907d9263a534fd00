/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IKE_SA_INIT cookies (see ikev2-cookie.h). The secret never leaves this
 * file and is wiped whenever it is replaced.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto-prf.h"
#include "crypto.h"
#include "ikev2-cookie.h"
#include "ikev2-wire.h"

struct cookie_secret {
    uint32_t version;
    bool valid;
    uint8_t key[IKEV2_COOKIE_SECRET_LEN];
};

struct ikev2_cookie_jar {
    struct cookie_secret current, previous;
    uint64_t rotated_usec;
};

static int new_secret(struct ikev2_cookie_jar *jar, uint64_t now_usec)
{
    uint8_t key[IKEV2_COOKIE_SECRET_LEN];
    int r = crypto_random(key, sizeof(key));
    if (r < 0)
        return r;
    crypto_wipe(&jar->previous, sizeof(jar->previous));
    jar->previous = jar->current;
    jar->current.version = jar->previous.version + 1;
    jar->current.valid = true;
    memcpy(jar->current.key, key, sizeof(key));
    crypto_wipe(key, sizeof(key));
    jar->rotated_usec = now_usec;
    return 0;
}

int ikev2_cookie_jar_new(uint64_t now_usec, struct ikev2_cookie_jar **ret)
{
    struct ikev2_cookie_jar *jar = calloc(1, sizeof(*jar));
    if (!jar)
        return -ENOMEM;
    /* A random first version: cookies of an earlier vpnd run are not
     * checked against an unrelated secret of the same number. */
    int r = crypto_random(&jar->current.version, sizeof(jar->current.version));
    if (r >= 0)
        r = new_secret(jar, now_usec);
    if (r < 0) {
        ikev2_cookie_jar_free(jar);
        return r;
    }
    *ret = jar;
    return 0;
}

void ikev2_cookie_jar_free(struct ikev2_cookie_jar *jar)
{
    if (!jar)
        return;
    crypto_wipe(jar, sizeof(*jar));
    free(jar);
}

static void rotate_if_due(struct ikev2_cookie_jar *jar, uint64_t now_usec)
{
    if (now_usec - jar->rotated_usec < IKEV2_COOKIE_ROTATE_USEC)
        return;
    /* When the generator fails, the old secret stays in use a while longer. */
    (void)new_secret(jar, now_usec);
}

static int cookie_mac(const struct cookie_secret *s, uint32_t issued_sec, const uint8_t *ni, size_t ni_len,
                      const struct ikev2_peer_addr *peer, uint64_t ispi, uint8_t out[IKEV2_COOKIE_LEN])
{
    uint8_t spi[8], issued[4];
    size_t addr_len = peer->family == AF_INET6 ? 16 : 4;
    if (peer->family != AF_INET && peer->family != AF_INET6)
        return -EAFNOSUPPORT;
    ikev2_put64(spi, ispi);
    ikev2_put32(issued, issued_sec);
    const struct crypto_chunk data[] = { { issued, sizeof(issued) }, { ni, ni_len }, { peer->addr, addr_len },
                                         { spi, sizeof(spi) } };
    uint8_t mac[CRYPTO_PRF_OUT_MAX];
    int r = crypto_hmac("SHA256", s->key, sizeof(s->key), data, 4, mac, sizeof(mac));
    if (r >= 0 && r < IKEV2_COOKIE_LEN - 8)
        r = -EIO;
    if (r >= 0) {
        ikev2_put32(out, s->version);
        memcpy(out + 4, issued, sizeof(issued));
        memcpy(out + 8, mac, IKEV2_COOKIE_LEN - 8);
        r = IKEV2_COOKIE_LEN;
    }
    crypto_wipe(mac, sizeof(mac));
    return r;
}

int ikev2_cookie_make(struct ikev2_cookie_jar *jar, uint64_t now_usec, const uint8_t *ni, size_t ni_len,
                      const struct ikev2_peer_addr *initiator, uint64_t ispi, uint8_t out[IKEV2_COOKIE_LEN])
{
    rotate_if_due(jar, now_usec);
    return cookie_mac(&jar->current, (uint32_t)(now_usec / 1000000ULL), ni, ni_len, initiator, ispi, out);
}

uint64_t ikev2_cookie_age_usec(const uint8_t cookie[IKEV2_COOKIE_LEN], uint64_t now_usec)
{
    uint32_t now_sec = (uint32_t)(now_usec / 1000000ULL);
    /* Unsigned difference: right across the 32-bit wrap too. */
    return (uint64_t)(uint32_t)(now_sec - ikev2_get32(cookie + 4)) * 1000000ULL;
}

bool ikev2_cookie_valid(struct ikev2_cookie_jar *jar, uint64_t now_usec, const uint8_t *cookie, size_t cookie_len,
                        const uint8_t *ni, size_t ni_len, const struct ikev2_peer_addr *initiator, uint64_t ispi)
{
    uint8_t want[IKEV2_COOKIE_LEN];
    const struct cookie_secret *s = NULL;

    rotate_if_due(jar, now_usec);
    if (cookie_len != IKEV2_COOKIE_LEN)
        return false;
    uint32_t version = ikev2_get32(cookie);
    if (jar->current.valid && version == jar->current.version)
        s = &jar->current;
    else if (jar->previous.valid && version == jar->previous.version)
        s = &jar->previous;
    if (!s || cookie_mac(s, ikev2_get32(cookie + 4), ni, ni_len, initiator, ispi, want) < 0)
        return false;
    bool ok = crypto_memequal(want, cookie, IKEV2_COOKIE_LEN);
    crypto_wipe(want, sizeof(want));
    return ok;
}
