/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-crypto: the cryptography of one IKEv2 responder handshake as the
 * benchmark's clients negotiate it (PSK, X25519, AES-GCM-16-128,
 * PRF-HMAC-SHA2-256), through vpnd's own crypto code, step by step, in
 * microseconds of CPU per handshake (best of --reps runs of -n
 * handshakes). No network and no kernel: what the storm's profile
 * attributes to libcrypto, without the emulated VM's noise.
 *
 * Every handshake is also checked from the initiator's side: it derives
 * the same keys from its own key pair, decrypts the responder's IKE_AUTH
 * answer and verifies its AUTH, and the responder verifies the
 * initiator's. A wrong step fails the run (exit status 1), so the meson
 * test (suite 'bench', -n 20) proves the figures are of working crypto.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "crypto-dh.h"
#include "crypto-fetch.h"
#include "crypto-ikev2.h"
#include "crypto-preload.h"
#include "crypto-sk.h"

enum step { STEP_DH, STEP_IKE_KEYS, STEP_NATD, STEP_SK, STEP_AUTH, STEP_CHILD_KEYS, STEP_COUNT };
static const char *const step_names[STEP_COUNT] = {
    "X25519 key pair + shared secret", "SKEYSEED + prf+ (IKE SA keys)", "NAT-D hashes (4 x SHA-1)",
    "SK payloads (decrypt 1, encrypt 1)", "PSK AUTH (verify + own)", "CHILD SA keys (prf+)",
};

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#define FAIL(what) do { fprintf(stderr, "bench-crypto: %s failed\n", what); return -1; } while (0)

static const char psk[] = "bench-psk-7c31e0";

/* One handshake; the responder's steps are timed into `t`. */
static int handshake(double t[STEP_COUNT])
{
    const struct crypto_dh_group *group = crypto_dh_group_find(CRYPTO_DH_CURVE25519);
    struct crypto_ike_suite suite = {
        .encr = crypto_encr_find(CRYPTO_ENCR_AES_GCM_16, 128),
        .prf = crypto_prf_find(CRYPTO_PRF_HMAC_SHA2_256),
    };
    uint8_t ni[32], nr[32], spi_i[8], spi_r[8], pub_i[32], pub_r[32];
    uint8_t shared_i[32], shared_r[32];
    size_t shared_len;
    struct crypto_dh *dh_i = NULL, *dh_r = NULL;
    struct crypto_ike_keys keys_i, keys_r;
    double t0;

    /* The initiator's part is not timed. */
    if (crypto_random(ni, sizeof(ni)) < 0 || crypto_random(spi_i, sizeof(spi_i)) < 0 ||
        crypto_dh_new(group, &dh_i) < 0 || crypto_dh_public(dh_i, pub_i, sizeof(pub_i)) != 32)
        FAIL("initiator key pair");

    t0 = cpu_seconds();
    int r = crypto_dh_new(group, &dh_r);
    if (r == 0)
        r = crypto_dh_public(dh_r, pub_r, sizeof(pub_r)) == 32 ? 0 : -EIO;
    if (r == 0)
        r = crypto_dh_compute(dh_r, pub_i, sizeof(pub_i), shared_r, sizeof(shared_r), &shared_len);
    crypto_dh_free(dh_r);
    t[STEP_DH] += cpu_seconds() - t0;
    if (r < 0)
        FAIL("responder Diffie-Hellman");

    t0 = cpu_seconds();
    r = crypto_random(nr, sizeof(nr));
    if (r == 0)
        r = crypto_random(spi_r, sizeof(spi_r));
    if (r == 0)
        r = crypto_ikev2_derive_ike_keys(&suite, shared_r, shared_len, ni, sizeof(ni), nr, sizeof(nr),
                                         spi_i, spi_r, &keys_r);
    t[STEP_IKE_KEYS] += cpu_seconds() - t0;
    if (r < 0)
        FAIL("responder IKE SA keys");

    /* The initiator's view: the same keys from its own key pair. */
    r = crypto_dh_compute(dh_i, pub_r, sizeof(pub_r), shared_i, sizeof(shared_i), &shared_len);
    crypto_dh_free(dh_i);
    if (r < 0 || crypto_ikev2_derive_ike_keys(&suite, shared_i, shared_len, ni, sizeof(ni), nr, sizeof(nr),
                                              spi_i, spi_r, &keys_i) < 0)
        FAIL("initiator IKE SA keys");
    if (!crypto_memequal(&keys_i, &keys_r, sizeof(keys_i)))
        FAIL("comparing the two sides' IKE SA keys");

    /* NAT-D: the responder checks two of the initiator's and sends two. */
    uint8_t natd_in[38] = { 0 }, natd_out[20];
    t0 = cpu_seconds();
    for (int i = 0; i < 4 && r >= 0; i++) {
        natd_in[37] = (uint8_t)i;
        r = crypto_digest("SHA1", natd_in, sizeof(natd_in), natd_out, sizeof(natd_out));
    }
    t[STEP_NATD] += cpu_seconds() - t0;
    if (r != 20)
        FAIL("NAT-D hash");

    /* IKE_AUTH: the initiator's request (IDi, AUTH, CP, SA, TS: ~250
     * bytes) decrypted, the answer (~200 bytes) encrypted. */
    uint8_t header[32] = { 0x2e }, inner_req[256], inner_resp[200], body[512], plain[512];
    size_t body_len, plain_len;
    memset(inner_req, 0x5a, sizeof(inner_req));
    memset(inner_resp, 0xa5, sizeof(inner_resp));
    body_len = crypto_sk_body_len(&keys_i, sizeof(inner_req));
    if (crypto_sk_encrypt(&keys_i, true, header, sizeof(header), inner_req, sizeof(inner_req), body, body_len) < 0)
        FAIL("initiator SK payload");
    t0 = cpu_seconds();
    r = crypto_sk_decrypt(&keys_r, true, header, sizeof(header), body, body_len, plain, sizeof(plain), &plain_len);
    if (r == 0 && (plain_len != sizeof(inner_req) || memcmp(plain, inner_req, plain_len) != 0))
        r = -EBADMSG;
    size_t resp_len = crypto_sk_body_len(&keys_r, sizeof(inner_resp));
    if (r == 0)
        r = crypto_sk_encrypt(&keys_r, false, header, sizeof(header), inner_resp, sizeof(inner_resp),
                              body, resp_len);
    t[STEP_SK] += cpu_seconds() - t0;
    if (r < 0)
        FAIL("responder SK payloads");
    if (crypto_sk_decrypt(&keys_i, false, header, sizeof(header), body, resp_len, plain, sizeof(plain),
                          &plain_len) < 0 ||
        plain_len != sizeof(inner_resp) || memcmp(plain, inner_resp, plain_len) != 0)
        FAIL("initiator decrypting the answer");

    /* AUTH: the signed octets are the IKE_SA_INIT messages (~300 bytes). */
    uint8_t message[300], id_i[24] = { 3 }, id_r[24] = { 1 }, auth_i[64], auth_r[64];
    memset(message, 0x11, sizeof(message));
    struct crypto_auth_input in_i = { .initiator = true, .message = message, .message_len = sizeof(message),
                                      .nonce = nr, .nonce_len = sizeof(nr), .id_body = id_i,
                                      .id_body_len = sizeof(id_i) };
    struct crypto_auth_input in_r = { .initiator = false, .message = message, .message_len = sizeof(message),
                                      .nonce = ni, .nonce_len = sizeof(ni), .id_body = id_r,
                                      .id_body_len = sizeof(id_r) };
    int auth_len = crypto_ikev2_psk_auth(&keys_i, &in_i, psk, sizeof(psk) - 1, auth_i, sizeof(auth_i));
    if (auth_len < 0)
        FAIL("initiator AUTH");
    t0 = cpu_seconds();
    r = crypto_ikev2_psk_auth_verify(&keys_r, &in_i, psk, sizeof(psk) - 1, auth_i, (size_t)auth_len);
    int own_len = r == 1 ? crypto_ikev2_psk_auth(&keys_r, &in_r, psk, sizeof(psk) - 1, auth_r, sizeof(auth_r)) : -1;
    t[STEP_AUTH] += cpu_seconds() - t0;
    if (r != 1 || own_len < 0)
        FAIL("responder verifying the initiator's AUTH");
    if (crypto_ikev2_psk_auth_verify(&keys_i, &in_r, psk, sizeof(psk) - 1, auth_r, (size_t)own_len) != 1)
        FAIL("initiator verifying the responder's AUTH");

    struct crypto_child_keys child_r, child_i;
    t0 = cpu_seconds();
    r = crypto_ikev2_derive_child_keys(&keys_r, suite.encr, NULL, NULL, 0, ni, sizeof(ni), nr, sizeof(nr), &child_r);
    t[STEP_CHILD_KEYS] += cpu_seconds() - t0;
    if (r < 0 || crypto_ikev2_derive_child_keys(&keys_i, suite.encr, NULL, NULL, 0, ni, sizeof(ni), nr, sizeof(nr),
                                                &child_i) < 0 ||
        !crypto_memequal(&child_i, &child_r, sizeof(child_i)))
        FAIL("CHILD SA keys");

    crypto_ike_keys_wipe(&keys_i);
    crypto_ike_keys_wipe(&keys_r);
    crypto_child_keys_wipe(&child_i);
    crypto_child_keys_wipe(&child_r);
    crypto_wipe(shared_i, sizeof(shared_i));
    crypto_wipe(shared_r, sizeof(shared_r));
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "handshakes", required_argument, NULL, 'n' },
        { "reps", required_argument, NULL, 'r' },
        { 0 },
    };
    long n = 2000, reps = 5;
    int c;

    while ((c = getopt_long(argc, argv, "n:r:", options, NULL)) != -1) {
        switch (c) {
        case 'n': n = strtol(optarg, NULL, 10); break;
        case 'r': reps = strtol(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: bench-crypto [-n HANDSHAKES] [--reps R]\n");
            return 2;
        }
    }
    if (n < 1 || reps < 1) {
        fprintf(stderr, "bench-crypto: -n and --reps must be positive\n");
        return 2;
    }
    if (crypto_preload() < 0) {
        fprintf(stderr, "bench-crypto: OpenSSL lacks an algorithm IKE needs\n");
        return 1;
    }

    double best[STEP_COUNT + 1];
    for (int s = 0; s <= STEP_COUNT; s++)
        best[s] = -1;
    for (long rep = 0; rep < reps; rep++) {
        double t[STEP_COUNT] = { 0 }, total = 0;
        for (long i = 0; i < n; i++)
            if (handshake(t) < 0)
                return 1;
        for (int s = 0; s < STEP_COUNT; s++) {
            total += t[s];
            if (best[s] < 0 || t[s] < best[s])
                best[s] = t[s];
        }
        if (best[STEP_COUNT] < 0 || total < best[STEP_COUNT])
            best[STEP_COUNT] = total;
    }
    printf("responder crypto per handshake, CPU µs (best of %ld runs of %ld):\n", reps, n);
    for (int s = 0; s < STEP_COUNT; s++)
        printf("  %-36s %8.1f\n", step_names[s], best[s] * 1e6 / (double)n);
    printf("  %-36s %8.1f\n", "total", best[STEP_COUNT] * 1e6 / (double)n);
    return 0;
}
