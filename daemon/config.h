/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vpnd.conf: parsed into typed, validated structures.
 *
 * CONTRACT (used by the daemon skeleton, main.c and reload; keep these
 * signatures): a load either succeeds completely or fails with one error
 * that names file:line and the reason; it never half-applies anything.
 *
 * The model is the one ASA administrators know, in Linux terms: named IKE
 * and ESP proposals, address pools, group policies (attributes pushed to
 * clients), tunnel groups (remote-access connection profiles) and local
 * users. Everything a tunnel group references is resolved to a pointer at
 * load time, so nothing later looks names up again. A loaded configuration
 * is immutable; a reload builds a new one and swaps it.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hashmap;

#define CONFIG_ERROR_MAX 1024

struct config_error {
    char file[4096];     /* the file the error is in (an @include'd file too) */
    int line;            /* 0 when the error is not tied to a line */
    char reason[CONFIG_ERROR_MAX];
};

/* Formats "file:line: reason" (or "file: reason" when line is 0). */
const char *config_error_format(const struct config_error *err, char *buf, size_t len);

struct vpnd_config;  /* defined below by the configuration code */

/* Parses and validates `path`. On success *ret owns a new configuration. */
int config_load(const char *path, struct vpnd_config **ret, struct config_error *err);

/* Frees a configuration, wiping the secrets it holds. NULL is allowed.
 * A loaded configuration starts with one reference; config_ref() adds one
 * (an IKE SA negotiated under it keeps its tunnel group alive across a
 * reload) and config_free() / config_unref() drop one: the last frees.
 * Single-threaded, like everything that touches the configuration. */
void config_free(struct vpnd_config *config);
struct vpnd_config *config_ref(struct vpnd_config *config);
void config_unref(struct vpnd_config *config);

/* ------------------------------------------------------------------------
 * log { level = "info"; debug = { ike = 127; pool = 10; }; }
 * ------------------------------------------------------------------------ */

/* The daemon's subsystems. Their names are the keys of log.debug and the
 * prefix the daemon's log lines carry, so both use this one list. */
enum config_subsystem {
    CONFIG_SUBSYS_MAIN,
    CONFIG_SUBSYS_CONFIG,
    CONFIG_SUBSYS_CONTROL,
    CONFIG_SUBSYS_NETLINK,
    CONFIG_SUBSYS_JOBS,
    CONFIG_SUBSYS_IKE,
    CONFIG_SUBSYS_IKEV1,
    CONFIG_SUBSYS_IKEV2,
    CONFIG_SUBSYS_AUTH,
    CONFIG_SUBSYS_POOL,
    CONFIG_SUBSYS_RADIUS,
    CONFIG_SUBSYS_COUNT
};

/* "main", "config", ... ; NULL for an out-of-range value. */
const char *config_subsystem_name(enum config_subsystem subsys);
/* The subsystem with that name, or -ENOENT. */
int config_subsystem_from_name(const char *name);

/* Cisco-style debug levels: 0 = off, 1 = the important events, 127 =
 * everything; 255 is accepted (Cisco allows it) and means the same as 127. */
#define CONFIG_DEBUG_MAX 255
#define CONFIG_DEBUG_ALL 127

struct config_log {
    int level;                              /* syslog priority LOG_ERR..LOG_DEBUG; default LOG_INFO */
    uint8_t debug[CONFIG_SUBSYS_COUNT];     /* per-subsystem debug level, default 0 */
};

/* Parses "err", "warning", "notice", "info", "debug" into a syslog
 * priority (LOG_ERR ...); -EINVAL for anything else. */
int config_log_level_from_name(const char *name);
const char *config_log_level_name(int level);

/* ------------------------------------------------------------------------
 * control { socket = "/run/vpnd/control.sock"; read-group = "vpnd";
 *           admin-group = "vpnd-admin"; }
 * ------------------------------------------------------------------------ */

struct config_control {
    char *socket_path;          /* default VPND_CONTROL_SOCKET */
    bool has_read_group;        /* members may run read-only commands (show ...) */
    gid_t read_gid;
    char *read_group;           /* the name as written, NULL when unset */
    bool has_admin_group;       /* members may run every command (clear, reload ...) */
    gid_t admin_gid;
    char *admin_group;
    /* root may always do everything; without groups only root connects. */
};

/* ------------------------------------------------------------------------
 * ike = { cookie-threshold = 100; half-open-per-peer = 10; half-open-max = 20000;
 *         fragment-size = 1280; retransmit-timeout = 4; retransmit-tries = 5; }
 * ------------------------------------------------------------------------ */

struct config_ike {
    unsigned cookie_threshold;      /* half-open IKE SAs above which IKE_SA_INIT needs a COOKIE; 0 = always */
    unsigned half_open_per_peer;    /* half-open IKE SAs one peer address may hold; more are dropped */
    unsigned half_open_max;         /* half-open IKE SAs in all; more are dropped */
    unsigned fragment_size;         /* RFC 7383: largest IKE datagram (IP payload) before fragmenting */
    unsigned retransmit_timeout_ms; /* first retransmission of our requests; doubles each time */
    unsigned retransmit_tries;      /* retransmissions before the peer is given up */
};

/* kernel = { spd-hash-thresholds = "remote-access" | "keep"; } (config-kernel.c) */
enum config_spd_hash {
    CONFIG_SPD_HASH_REMOTE_ACCESS,  /* hash the per-client policies (default) */
    CONFIG_SPD_HASH_KEEP,           /* leave the system's thresholds alone */
};

struct config_kernel {
    enum config_spd_hash spd_hash_thresholds;
};

/* ------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------ */

struct config_address {
    int family;                 /* AF_INET or AF_INET6 */
    union {
        struct in_addr in;
        struct in6_addr in6;
    };
};

struct config_prefix {
    struct config_address addr; /* host bits are zero (checked at load) */
    unsigned prefix_len;        /* 0..32 or 0..128 */
};

/* <0, 0, >0 like memcmp; addresses of different families order by family. */
int config_address_compare(const struct config_address *a, const struct config_address *b);
/* Whether `addr` lies inside `prefix` (false for different families). */
bool config_prefix_contains(const struct config_prefix *prefix, const struct config_address *addr);

/* listen = ( { address = "192.0.2.1"; port = 500; natt-port = 4500; }, ... ); */
struct config_listen {
    struct config_address address;  /* 0.0.0.0 / :: listen on every address */
    uint16_t port;                  /* IKE, default 500 */
    uint16_t natt_port;             /* IKE + ESP-in-UDP (RFC 3948), default 4500 */
    unsigned line;
};

/* ------------------------------------------------------------------------
 * Algorithms and proposals
 * ------------------------------------------------------------------------ */

enum config_algorithm_kind {
    CONFIG_ALG_ENCRYPTION,      /* IKE SA encryption or ESP encryption */
    CONFIG_ALG_INTEGRITY,       /* IKEv2 integrity / IKEv1 hash / ESP authentication */
    CONFIG_ALG_PRF,             /* IKEv2 PRF */
    CONFIG_ALG_DH,              /* Diffie-Hellman group */
};

/* One entry of the algorithm tables (config-algorithms.c). The IKE code
 * takes the wire numbers from here, the XFRM code the kernel names, so
 * every algorithm vpnd negotiates is defined once. */
struct config_algorithm {
    const char *keyword;            /* canonical vpnd.conf keyword ("aes256", "sha256", "14") */
    enum config_algorithm_kind kind;
    uint16_t ikev2_id;              /* IKEv2 transform ID (RFC 7296 / IANA), 0 = none */
    uint16_t ikev1_id;              /* IKEv1 P1 attribute value (RFC 2409 App. A), 0 = none */
    uint16_t ikev1_esp_id;          /* IKEv1 P2 ESP transform / auth-alg attribute, 0 = none */
    uint16_t key_bits;              /* encryption key length (the Key Length attribute) */
    uint16_t icv_bits;              /* AEAD ICV or truncated integrity length */
    bool aead;                      /* combined mode: no separate integrity */
    bool legacy;                    /* accepted only when named, with a warning */
    const char *xfrm_name;          /* kernel name ("cbc(aes)", "rfc4106(gcm(aes))", "hmac(sha256)"), NULL for IKE-only */
};

/* ike-proposals = ( { name = "..."; encryption = [...]; integrity = [...];
 *                     prf = [...]; dh-group = [...]; lifetime-seconds = N; } ); */
struct config_ike_proposal {
    char *name;
    unsigned line;
    const struct config_algorithm **encryption;  size_t n_encryption;
    const struct config_algorithm **integrity;   size_t n_integrity;  /* empty when every cipher is AEAD */
    const struct config_algorithm **prf;         size_t n_prf;
    const struct config_algorithm **dh_groups;   size_t n_dh_groups;
    uint32_t lifetime_seconds;                   /* default 86400 */
    bool aead;                                   /* the ciphers are AEAD (never mixed) */
};

/* esp-proposals = ( { name = "..."; encryption = [...]; integrity = [...];
 *                     pfs-group = [...]; lifetime-seconds = N;
 *                     lifetime-kilobytes = N; } ); */
struct config_esp_proposal {
    char *name;
    unsigned line;
    const struct config_algorithm **encryption;  size_t n_encryption;
    const struct config_algorithm **integrity;   size_t n_integrity;
    const struct config_algorithm **pfs_groups;  size_t n_pfs_groups; /* used when the policy asks for PFS */
    uint32_t lifetime_seconds;                   /* default 28800 */
    uint64_t lifetime_kilobytes;                 /* default 4608000, 0 = no volume limit */
    bool aead;
};

/* ------------------------------------------------------------------------
 * Address pools
 * ------------------------------------------------------------------------ */

/* pools = ( { name = "..."; range = "10.2.2.1-10.2.2.10" | "10.2.2.0/24" |
 *             "2001:db8:1::/112"; netmask = "255.255.255.0"; prefix-length = 64; } ); */
struct config_pool {
    char *name;
    unsigned line;
    int family;
    struct config_address first;    /* first address handed out */
    struct config_address last;     /* last address handed out (inclusive) */
    struct in_addr netmask;         /* IPv4: INTERNAL_IP4_NETMASK sent with the address */
    unsigned prefix_len;            /* IPv4: the netmask's length; IPv6: INTERNAL_IP6_ADDRESS prefix length */
};

/* ------------------------------------------------------------------------
 * Group policies: the attributes pushed to a client (Mode Config / CP)
 * ------------------------------------------------------------------------ */

enum config_split_tunnel {
    CONFIG_SPLIT_TUNNEL_ALL,        /* everything through the tunnel (default) */
    CONFIG_SPLIT_TUNNEL_INCLUDE,    /* only split-tunnel-networks through the tunnel */
    CONFIG_SPLIT_TUNNEL_EXCLUDE,    /* everything except split-tunnel-networks */
};

#define CONFIG_PROTOCOL_IKEV1 0x1u
#define CONFIG_PROTOCOL_IKEV2 0x2u

#define CONFIG_POLICY_MAX_SERVERS 4

struct config_group_policy {
    char *name;
    unsigned line;
    struct config_address dns[CONFIG_POLICY_MAX_SERVERS];   size_t n_dns;
    struct config_address wins[CONFIG_POLICY_MAX_SERVERS];  size_t n_wins;
    char *default_domain;               /* NULL when unset */
    char *banner;                       /* NULL when unset */
    enum config_split_tunnel split_tunnel;
    struct config_prefix *split_networks; size_t n_split_networks;
    uint32_t idle_timeout;              /* seconds, 0 = none; default 1800 */
    uint32_t session_timeout;           /* seconds, 0 = none (default) */
    unsigned protocols;                 /* CONFIG_PROTOCOL_* allowed; default both */
    bool save_password;                 /* Unity SAVE_PASSWD; default false */
    bool pfs;                           /* require PFS for Child SAs; default false */
    bool reverse_route;                 /* host route to the client's address; default true */
    uint32_t simultaneous_logins;       /* sessions per user; the oldest is logged off
                                         * beyond it; 0 = no login at all; default 3 */
};
#define CONFIG_SIMULTANEOUS_LOGINS_DEFAULT 3     /* ASA vpn-simultaneous-logins */

/* ------------------------------------------------------------------------
 * Secrets
 * ------------------------------------------------------------------------ */

/* A secret read from the file itself (psk = "..."), from a file
 * (psk-file = "/etc/vpnd/x.psk") or from a systemd credential
 * (psk-credential = "name" = $CREDENTIALS_DIRECTORY/name). Wiped on free. */
#define CONFIG_SECRET_PADS 4
struct config_secret_pad {
    uint16_t prf_id;                    /* the IKEv2 PRF transform; 0: slot free */
    uint8_t len;
    uint8_t key[64];
};
struct config_secret {
    uint8_t *data;
    size_t len;
    /* prf(data, "Key Pad for IKEv2") per PRF (RFC 7296 2.15), the same for
     * every IKEv2 shared-key AUTH with this secret: filled on first use by
     * the event loop (ikev2-psk-pad.c). CONFIG_SECRET_PADS slots, NULL for
     * an empty secret; key material, wiped with the secret. */
    struct config_secret_pad *pads;
};

/* ------------------------------------------------------------------------
 * aaa-server-groups = ( { name = "corp"; servers = ( { address = "192.0.2.5";
 *     secret-file = "/etc/vpnd/radius.key"; } ); timeout = 5; retries = 2;
 *     dead-time = 600; nas-identifier = "vpn1"; nas-ip-address = "192.0.2.1"; } );
 * RADIUS server groups (ASA `aaa-server`), tried in order (config-aaa.c).
 * ------------------------------------------------------------------------ */

struct config_aaa_server {
    struct config_address address;
    uint16_t auth_port;                 /* default 1812 */
    uint16_t acct_port;                 /* default 1813 */
    struct config_secret secret;        /* the shared secret, wiped on free */
    unsigned line;
};

struct config_aaa_policy_map {
    char *value;                        /* the attribute's value, compared exactly */
    const struct config_group_policy *group_policy;
};

struct config_aaa_group {
    char *name;
    unsigned line;
    struct config_aaa_server *servers;  size_t n_servers;   /* tried in order */
    uint32_t timeout_ms;                /* per try; `timeout` in seconds, default 5 */
    unsigned retries;                   /* retransmissions per server after the first try; default 2 */
    uint32_t dead_time;                 /* seconds a failed server is skipped; default 600, 0 = never */
    char *nas_identifier;               /* NAS-Identifier; NULL = none */
    bool has_nas_ip;                    /* NAS-IP-Address (IPv4) / NAS-IPv6-Address */
    struct config_address nas_ip;
    bool require_message_authenticator; /* drop Access responses without one (BlastRADIUS); default false */
    /* group-policy-attribute = "filter-id" | "class"; group-policy-map =
     * ( { value = "eng"; group-policy = "engineering"; } ): the Access-Accept
     * attribute whose value picks the session's group policy (aaa.c). */
    uint8_t group_policy_attribute;     /* RADIUS attribute type (11 or 25), 0 = none */
    struct config_aaa_policy_map *group_policy_map;  size_t n_group_policy_map;
    uint32_t interim_interval;          /* seconds between Accounting Interim-Updates; 0 = none (default) */
    char *accounting_spool_directory;   /* records no server took; default /var/lib/vpnd/accounting/NAME */
    unsigned accounting_spool_limit;    /* records the spool holds at most; default 10000 */
};
#define CONFIG_ACCOUNTING_SPOOL_BASE "/var/lib/vpnd/accounting"
#define CONFIG_ACCOUNTING_SPOOL_LIMIT_DEFAULT 10000

/* ------------------------------------------------------------------------
 * Tunnel groups: remote-access connection profiles
 * ------------------------------------------------------------------------ */

/* How the client (peer) authenticates. */
enum config_auth {
    CONFIG_AUTH_PSK,
    CONFIG_AUTH_CERTIFICATE,
    CONFIG_AUTH_EAP_MSCHAPV2,           /* IKEv2 only; users need nt-hash or password */
    CONFIG_AUTH_EAP_MD5,                /* IKEv2 only; users need a cleartext password */
    CONFIG_AUTH_EAP_GTC,                /* IKEv2 only; cleartext inside IKE_AUTH, checked like Xauth */
    CONFIG_AUTH_EAP_RADIUS,             /* IKEv2 only; EAP relayed to the authentication-server-group (RFC 3579) */
};

/* How vpnd authenticates itself to the client. */
enum config_local_auth {
    CONFIG_LOCAL_AUTH_PSK,
    CONFIG_LOCAL_AUTH_CERTIFICATE,
};

enum config_mode_config {
    CONFIG_MODE_CONFIG_PULL,            /* client sends CFG_REQUEST (Cisco VPN Client; default) */
    CONFIG_MODE_CONFIG_PUSH,            /* vpnd sends CFG_SET (PIX "address initiate") */
};

enum config_identity_type {
    CONFIG_ID_FQDN,                     /* fqdn:vpn.example.com, fqdn:*.example.com */
    CONFIG_ID_EMAIL,                    /* email:*@example.com (ID_RFC822_ADDR) */
    CONFIG_ID_ADDRESS,                  /* address:192.0.2.0/24 (ID_IPV4_ADDR / ID_IPV6_ADDR) */
    CONFIG_ID_KEY_ID,                   /* key-id:ASA-IKEV2 (ID_KEY_ID) */
    CONFIG_ID_DN,                       /* dn:CN=*,O=Example (ID_DER_ASN1_DN, RDN-wise) */
};

/* identity = [ "fqdn:*.example.com", ... ]: a peer identity a tunnel group
 * accepts. `pattern` may hold '*' wildcards (not for addresses). */
struct config_identity {
    enum config_identity_type type;
    char *pattern;                      /* as written after "type:" */
    struct config_prefix prefix;        /* CONFIG_ID_ADDRESS */
};

struct config_tunnel_group {
    char *name;
    unsigned line;
    bool ikev1, ikev2;                  /* ike-version = [1, 2] */
    enum config_auth auth;              /* authentication = "psk" | "certificate" | "eap-mschapv2" | "eap-md5" | "eap-gtc" */
    bool xauth;                         /* authentication = "psk+xauth" | "certificate+xauth" (IKEv1) */
    enum config_local_auth local_auth;  /* local-authentication; default psk for psk, else certificate */
    struct config_secret psk;           /* len 0 when no PSK is used */
    char *group_name;                   /* IKEv1 Aggressive Mode ID_KEY_ID; NULL = no Aggressive Mode */
    struct config_prefix *peer_addresses; size_t n_peer_addresses;  /* IKEv1 Main Mode PSK by peer address */
    struct config_identity *identities;   size_t n_identities;      /* empty = any identity */
    const struct config_pool **pools;     size_t n_pools;           /* tried in order */
    const struct config_group_policy *group_policy;
    const struct config_ike_proposal **ike_proposals; size_t n_ike_proposals;
    const struct config_esp_proposal **esp_proposals; size_t n_esp_proposals;
    enum config_mode_config mode_config;
    unsigned xauth_attempts;            /* IKEv1 Xauth tries before the SA is deleted; default 3 */
    char *certificate;                  /* absolute paths; NULL when unset */
    char *private_key;
    char *ca;
    char *crl;
    const struct config_aaa_group *authentication_server_group;  /* RADIUS for Xauth/EAP; NULL = local users */
    const struct config_aaa_group *accounting_server_group;      /* RADIUS accounting; NULL = none */
    bool authentication_fallback_local; /* local users when every RADIUS server is down; default false */
    uint32_t dpd_interval;              /* seconds without traffic from the peer before a liveness check; 0 = off; default 30 */
    uint32_t dpd_retries;               /* unanswered checks, dpd-interval apart, before the peer is dead; default 3 */
};

/* ------------------------------------------------------------------------
 * Local users (Xauth and EAP)
 * ------------------------------------------------------------------------ */

struct config_user {
    char *name;
    unsigned line;
    char *password_hash;                /* crypt(3): $y$, $gy$, $7$, $2b$, $6$ ($5$, $1$ with a warning); or NULL */
    struct config_secret password;      /* cleartext (password/-file/-credential), only for EAP-MD5; or empty */
    bool has_nt_hash;                   /* nt-hash: MD4(UTF-16LE(password)) for EAP-MSCHAPv2 */
    uint8_t nt_hash[16];
    bool has_address;                   /* fixed address, never inside a pool */
    struct config_address address;
    struct in_addr netmask;             /* IPv4 with has_netmask; else the pool's */
    bool has_netmask;
    const struct config_group_policy *group_policy;  /* NULL = the tunnel group's */
};

/* ------------------------------------------------------------------------
 * The whole configuration
 * ------------------------------------------------------------------------ */

struct vpnd_config {
    unsigned refcount;                  /* see config_ref() */
    char *path;                         /* the file loaded */
    struct config_log log;
    struct config_control control;
    struct config_ike ike;
    struct config_kernel kernel;
    struct config_listen *listen;                 size_t n_listen;
    struct config_ike_proposal *ike_proposals;    size_t n_ike_proposals;
    struct config_esp_proposal *esp_proposals;    size_t n_esp_proposals;
    struct config_pool *pools;                    size_t n_pools;
    struct config_group_policy *group_policies;   size_t n_group_policies;
    struct config_aaa_group *aaa_groups;          size_t n_aaa_groups;
    struct config_tunnel_group *tunnel_groups;    size_t n_tunnel_groups;
    struct config_user *users;                    size_t n_users;
    struct hashmap *users_by_name;                /* private: name -> struct config_user (hashmap.h) */
    char **warnings;                              size_t n_warnings;      /* "file:line: text", for the daemon to log */
};

/* Lookups. Users use a hash table; the rest are short lists. NULL when absent. */
const struct config_user *config_user_find(const struct vpnd_config *config, const char *name);
const struct config_pool *config_pool_find(const struct vpnd_config *config, const char *name);
const struct config_group_policy *config_group_policy_find(const struct vpnd_config *config, const char *name);
const struct config_ike_proposal *config_ike_proposal_find(const struct vpnd_config *config, const char *name);
const struct config_esp_proposal *config_esp_proposal_find(const struct vpnd_config *config, const char *name);
const struct config_tunnel_group *config_tunnel_group_find(const struct vpnd_config *config, const char *name);
const struct config_aaa_group *config_aaa_group_find(const struct vpnd_config *config, const char *name);
/* IKEv1 Aggressive Mode: the tunnel group whose group-name is the ID_KEY_ID. */
const struct config_tunnel_group *config_tunnel_group_find_by_group_name(const struct vpnd_config *config,
                                                                         const char *group_name);
/* IKEv1 Main Mode: the IKEv1 tunnel group whose peer-address holds `peer`,
 * longest prefix first (0.0.0.0/0 is the wildcard). */
const struct config_tunnel_group *config_tunnel_group_find_by_peer(const struct vpnd_config *config,
                                                                   const struct config_address *peer);

/* IKEv2: the tunnel group for a peer identity: the first (in file order)
 * with a matching identity pattern, else the one without patterns, else
 * NULL. `value` is the identity as text (FQDN, email, key ID, DN); `addr`
 * is used for CONFIG_ID_ADDRESS. */
const struct config_tunnel_group *config_tunnel_group_find_by_identity(const struct vpnd_config *config,
                                                                       enum config_identity_type type,
                                                                       const char *value,
                                                                       const struct config_address *addr);
/* The same among the groups for which `member` is true (IKEv1
 * certificate groups: ikev1_sig_group()). */
const struct config_tunnel_group *config_tunnel_group_find_by_identity_among(
    const struct vpnd_config *config, bool (*member)(const struct config_tunnel_group *tg),
    enum config_identity_type type, const char *value, const struct config_address *addr);
/* One pattern: '*' matches any run of characters; FQDN and email ignore case. */
bool config_identity_matches(const struct config_identity *id, enum config_identity_type type, const char *value,
                             const struct config_address *addr);

/* Checks `password` against the user's crypt(3) hash (or cleartext
 * password) in constant time. Returns 1 on match, 0 on mismatch, negative
 * errno on failure. */
int config_user_verify_password(const struct config_user *user, const char *password);

/* The algorithm tables, for the IKE code: the entry with that keyword
 * (aliases allowed) in that kind's table, or NULL. `esp` selects the ESP
 * tables (which differ: ESP has no PRF and takes AES-GCM-16 for IKEv1). */
const struct config_algorithm *config_algorithm_find(enum config_algorithm_kind kind, bool esp, const char *keyword);
