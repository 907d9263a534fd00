/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vpnd-loadgen: an IKEv2 initiator that opens many remote-access tunnels at
 * once, to measure a responder (vpnd, strongSwan's charon, Libreswan's
 * pluto) under load. It speaks IKEv2 with vpnd's own wire-format and
 * crypto code (daemon/ikev2-payload*.c, crypto-*.c, ikev2-proposal.c): one
 * implementation of the protocol in the project.
 *
 * Each simulated client has its own UDP socket (one of several source
 * addresses, a port of its own), runs IKE_SA_INIT (answering a COOKIE
 * request), IKE_AUTH with a PSK, a CP request for an address and one
 * CHILD_SA, and retransmits like a real client; a client that runs out of
 * retransmissions is counted as abandoned. Nothing is installed in the
 * kernel: the ESP side is not what is measured.
 *
 *   loadgen-main.c      options, the launcher, modes, the end
 *   loadgen-client.c    one client's exchanges (the initiator state machine)
 *   loadgen-suite.c     the proposals, from strongSwan-style strings
 *   loadgen-eap.c       the EAP peer: Identity, MSCHAPv2 (--eap-mschapv2)
 *   loadgen-report.c    latency percentiles, failures, table and JSON
 *   loadgen-flood.c     spoofed IKE_SA_INIT requests (cookie exercise)
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "crypto-ikev2.h"
#include "eap-mschapv2-crypto.h"
#include "ikev2-proposal.h"

/* ---- proposals (loadgen-suite.c) ---- */

struct lg_suite {
    struct config_ike_proposal ike;
    const struct config_ike_proposal *ike_list[1];
    const struct config_algorithm *ike_algs[4][4];
    struct config_esp_proposal esp;
    const struct config_esp_proposal *esp_list[1];
    const struct config_algorithm *esp_algs[2][4];
    uint16_t dh_group;                  /* the KE payload's group: the first DH group */
};

/* "aes128gcm16-prfsha256-x25519" (IKE) and "aes128gcm16" (ESP), in
 * strongSwan's proposal syntax with vpnd.conf's keywords also accepted.
 * Returns 0 or -EINVAL with a reason in err. */
int lg_suite_parse(struct lg_suite *s, const char *ike, const char *esp, char *err, size_t err_len);
/* The SA payload offering the suite: IKE (no SPI) or ESP (with spi). */
void lg_suite_ike_offer(const struct lg_suite *s, struct ikev2_sa *out);
void lg_suite_esp_offer(const struct lg_suite *s, uint32_t spi, struct ikev2_sa *out);

/* ---- EAP (loadgen-eap.c) ---- */

struct lg_eap {
    uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN];
    uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN];
    uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN];
    uint8_t nt_hash[MSCHAPV2_NT_HASH_LEN];
    bool responded;                     /* our MS-CHAPv2 response is out */
    bool server_proven;                 /* the server's authenticator response checked */
};

/* Answers one EAP packet from the server: 0 with the response's type and
 * type data in out, 1 on EAP-Success (after a proven MS-CHAPv2 success),
 * negative with a reason in *why. */
int lg_eap_step(struct lg_eap *e, const char *user, const char *password, const struct ikev2_eap *req,
                uint8_t *type, uint8_t *out, size_t cap, size_t *out_len, const char **why);
/* The MSK (RFC 3079 keys) after success. */
int lg_eap_msk(const struct lg_eap *e, uint8_t msk[64]);
void lg_eap_wipe(struct lg_eap *e);

/* ---- statistics (loadgen-report.c) ---- */

enum lg_phase {
    LG_PHASE_INIT,          /* first IKE_SA_INIT sent .. its answer accepted (cookie round included) */
    LG_PHASE_AUTH,          /* IKE_AUTH sent .. its answer accepted */
    LG_PHASE_TOTAL,         /* client start .. tunnel established */
    LG_PHASE_DELETE,        /* DELETE sent .. answered */
    LG_PHASE_MAX,
};

struct lg_samples {
    double *v;              /* seconds */
    size_t n, cap;
};

#define LG_REASONS_MAX 32

struct lg_stats {
    unsigned started, established, failed, abandoned, deleted, deleted_by_peer;
    unsigned retransmissions, cookies, dpd_answered, requests_refused;
    unsigned max_in_flight;
    uint64_t first_start_usec, last_established_usec, end_usec;
    struct lg_samples phase[LG_PHASE_MAX];
    struct { char reason[96]; unsigned count; } reasons[LG_REASONS_MAX];
    size_t n_reasons;
    unsigned flood_sent;    /* flood mode: requests sent */
};

void lg_stats_sample(struct lg_stats *st, enum lg_phase phase, uint64_t usec);
void lg_stats_reason(struct lg_stats *st, const char *reason);
struct lg;
void lg_report_table(const struct lg *lg, FILE *f);
int lg_report_json(const struct lg *lg, const char *path);

/* ---- clients (loadgen-client.c) ---- */

enum lg_state {
    LG_IDLE,
    LG_INIT_SENT,
    LG_AUTH_SENT,
    LG_ESTABLISHED,
    LG_DELETE_SENT,
    LG_DONE,                /* deleted (or failed): socket closed */
};

struct lg_client {
    struct lg *lg;
    unsigned index;                     /* 0..n-1; the identity's number is index + 1 */
    unsigned generation;                /* churn: how many times this slot connected */
    enum lg_state state;
    bool failed;
    int fd;
    sd_event_source *io, *timer;
    struct sockaddr_in local;

    uint64_t spi_i, spi_r;
    struct crypto_dh *dh;
    uint8_t ni[32];
    uint8_t nr[256];  size_t nr_len;
    uint8_t cookie[64];  size_t cookie_len;
    uint8_t *init_sent;  size_t init_sent_len;          /* our IKE_SA_INIT as sent (AUTH signs it) */
    uint8_t *init_received;  size_t init_received_len;  /* the responder's (its AUTH signs it) */
    struct crypto_ike_keys keys;
    bool responder_authed;              /* its first IKE_AUTH answer (IDr, PSK AUTH) checked */
    uint8_t idr_body[256];  size_t idr_body_len;
    struct lg_eap eap;
    bool eap_done;                      /* EAP-Success: our AUTH keyed with the MSK is out */
    uint8_t msk[64];
    uint32_t esp_spi;
    struct in_addr vip;

    /* Our request in flight. */
    uint8_t *request;  size_t request_len;
    uint32_t next_mid;
    unsigned transmissions;
    uint64_t phase_start_usec;
    /* The peer's requests (DPD, DELETE): the next message ID and our last answer. */
    uint32_t peer_next_mid;
    uint8_t *response;  size_t response_len;

    uint64_t start_usec;
    uint64_t hold_until_usec;           /* churn: when to disconnect */
};

/* Starts (or, in churn mode, restarts) the client: socket, IKE_SA_INIT. */
int lg_client_start(struct lg_client *c);
/* The socket's event handler. */
int lg_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);
/* Sends the DELETE of the IKE SA (established clients only). */
void lg_client_disconnect(struct lg_client *c);
/* Ends a handshake still in progress as failed, for reason (the setup
 * limit ran out); other states are left alone. */
void lg_client_give_up(struct lg_client *c, const char *reason);
/* Closes the socket and frees the exchange state (keeps the identity). */
void lg_client_close(struct lg_client *c);

/* ---- flood (loadgen-flood.c) ---- */
struct lg;
int lg_flood_run(struct lg *lg);

/* ---- the generator (loadgen-main.c) ---- */

enum lg_mode { LG_MODE_HOLD, LG_MODE_CHURN, LG_MODE_FLOOD };

struct lg_options {
    struct sockaddr_in server;
    struct in_addr *sources;  size_t n_sources;
    unsigned n;                         /* clients (hold: sessions to hold; churn: concurrent slots) */
    double rate;                        /* client starts per second; 0: all at once (storm) */
    unsigned concurrency;               /* handshakes in flight at most; 0: no limit */
    enum lg_mode mode;
    double hold_seconds;                /* hold: how long to keep the sessions (SIGUSR1 ends it early) */
    double duration_seconds;            /* churn / flood: how long to run */
    double session_seconds;             /* churn: how long each session lives */
    const char *psk;
    const char *eap_password;           /* EAP-MSCHAPv2 with the identity as user name; NULL: PSK only */
    const char *id_format;              /* printf format with one %u: the client's number */
    double retransmit_timeout;          /* seconds before the first retransmission */
    double retransmit_base;             /* the wait grows by this factor */
    unsigned retransmit_tries;          /* retransmissions before the client gives up */
    double setup_timeout;               /* hold: stop waiting for handshakes after this long; the
                                         * unfinished ones count as failed and the hold begins */
    bool no_delete;                     /* hold: leave without deleting the IKE SAs */
    const char *json_path;
    const char *ready_file;             /* written once every client established or gave up */
    struct lg_suite suite;
    bool verbose;
};

struct lg {
    struct lg_options opt;
    sd_event *event;
    struct lg_client *clients;
    unsigned next_to_start;
    unsigned in_flight;                 /* clients between start and established/failed */
    unsigned settled;                   /* clients that established or failed this round */
    unsigned live;                      /* established sessions now */
    bool setup_done, ending;
    bool setup_expired;                 /* hold: --setup-timeout ran out before every client settled */
    sd_event_source *launcher, *phase_timer;
    struct lg_stats stats;
};

uint64_t lg_now_usec(void);
/* A client reached a settled state (established or failed) or finished its
 * DELETE: the generator decides what comes next. */
void lg_client_settled(struct lg *lg, struct lg_client *c);
void lg_client_gone(struct lg *lg, struct lg_client *c);
