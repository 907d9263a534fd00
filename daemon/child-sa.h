/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A remote-access CHILD SA in the kernel: the inbound and outbound ESP
 * tunnel-mode SAs between the public addresses (ESP in UDP behind NAT),
 * the policies out/in/fwd between the client's inner address and the
 * networks it reaches, and a host route to the inner address (reverse
 * route injection) so that replies from the protected network are routed
 * toward the gateway's XFRM policies. Protocol-independent: IKEv1 Quick
 * Mode installs the same thing.
 *
 * Installation is all or nothing: the SAs and policies go in one netlink
 * batch, and any failure (a policy clash, an SPI gone) removes whatever
 * part did go in before the error is returned.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "crypto-ikev2.h"
#include "ike-socket.h"
#include "xfrm.h"

struct route_handle;

#define CHILD_SA_MAX_NETWORKS 16

struct child_sa {
    uint32_t reqid;                     /* in vpnd's owned range, unique per CHILD SA */
    uint32_t spi_in;                    /* ours (ALLOCSPI), host order */
    uint32_t spi_out;                   /* the peer's, host order */
    union ike_sockaddr local, remote;   /* the IKE endpoints (public addresses, ports for NAT-T) */
    bool encap;                         /* ESP in UDP (RFC 3948) */
    struct config_address inner;        /* the client's assigned address */
    bool has_inner6;                    /* dual stack: an IPv6 address too (inner is IPv4) */
    struct config_address inner6;
    struct config_prefix networks[CHILD_SA_MAX_NETWORKS];  /* what the client reaches (TSr) */
    size_t n_networks;
    int route_ifindex;                  /* interface toward the client, 0 = none known */
    bool installed;                     /* SAs + policies in the kernel */
    bool route_installed;
    bool route6_installed;
    bool spi_allocated;                 /* a larval inbound SA exists */
    uint8_t spi_alloc_syscalls;         /* what ALLOCSPI cost, for the install's account */
    uint32_t spi_alloc_usec;
};

struct child_sa_params {
    const struct crypto_child_keys *keys;   /* i_to_r inbound, r_to_i outbound (we are the responder) */
    uint32_t lifetime_seconds;              /* hard; 0 = none */
    uint64_t lifetime_kilobytes;            /* hard; 0 = none */
};

/* Reserves our inbound SPI (a larval SA in the kernel). c->reqid, local,
 * remote must be set. */
int child_sa_allocate_spi(struct xfrm_handle *x, struct child_sa *c, char *err, size_t err_len);

/* Installs everything (see above). Without child_sa_allocate_spi before
 * (IKEv2 IKE_AUTH: nothing needs the SPI earlier), our inbound SPI is
 * chosen here and added in the same batch, one round trip less; it is in
 * c->spi_in on success. On failure nothing of it remains in the kernel (the
 * larval SA included) and `err` says what went wrong. */
int child_sa_install(struct xfrm_handle *x, struct route_handle *routes, struct child_sa *c,
                     const struct child_sa_params *p, char *err, size_t err_len);

/* A rekeyed CHILD SA (RFC 7296 2.8): c has the new SPIs (spi_in from
 * child_sa_allocate_spi) and the same reqid, addresses and networks as the
 * SA it replaces, so the policies in place already lead to it; only the two
 * SAs are added (the kernel prefers the newer outbound SA). All or nothing. */
int child_sa_install_rekeyed(struct xfrm_handle *x, struct child_sa *c, const struct child_sa_params *p,
                             char *err, size_t err_len);

/* The same in two steps, for the responder of a rekey (RFC 7296 2.8): the
 * initiator installs its new inbound SA only once it has our answer, so
 * our new outbound SA (which the kernel would use at once) goes in when the
 * initiator deletes the old pair; the new inbound SA goes in before the
 * answer. The outbound step needs c->installed from the inbound one. */
int child_sa_install_rekeyed_inbound(struct xfrm_handle *x, struct child_sa *c, const struct child_sa_params *p,
                                     char *err, size_t err_len);
int child_sa_install_rekeyed_outbound(struct xfrm_handle *x, struct child_sa *c, const struct child_sa_params *p,
                                      char *err, size_t err_len);

/* Removes the two SAs of a CHILD SA replaced by a rekey, not its policies
 * or route (the new SAs use them). */
int child_sa_remove_sas(struct xfrm_handle *x, struct child_sa *c);

/* Removes everything installed (or the larval SA). Errors are returned but
 * the removal goes on for the other parts. */
int child_sa_remove(struct xfrm_handle *x, struct route_handle *routes, struct child_sa *c);

/* The client's NAT mapping changed (RFC 7296 2.23): its ESP in UDP now
 * comes from `remote` (same address family). Both SAs take the new port
 * (XFRM_MSG_UPDSA with the state the kernel holds, keys included, so
 * nothing of the SA but its encapsulation changes). A new address also
 * moves the outbound SA (the kernel keys SAs by destination: it is added
 * anew with its sequence number) and the policies' templates. c->remote is
 * updated on success; on failure the old state is left as it was, as far
 * as the kernel allows, and `err` says why. */
int child_sa_update_remote(struct xfrm_handle *x, struct child_sa *c, const union ike_sockaddr *remote,
                           char *err, size_t err_len);

/* Byte and packet counters of the inbound and outbound SAs. */
int child_sa_counters(struct xfrm_handle *x, const struct child_sa *c, uint64_t *bytes_in, uint64_t *bytes_out,
                      uint64_t *packets_in, uint64_t *packets_out);

/* For a session's view (session.h): the counters of a CHILD SA and, when
 * not NULL, of the pair a rekey replaced (until the client deletes it),
 * added into *out; and their SPIs. With a snapshot (xfrm-snapshot.h) the
 * counters come from it, else from one netlink get per SA. */
struct session_counters;
struct session_sas;
struct xfrm_snapshot;
int child_sa_session_counters(struct xfrm_handle *x, const struct xfrm_snapshot *snap, const struct child_sa *c,
                              const struct child_sa *old, struct session_counters *out);
void child_sa_session_sas(const struct child_sa *c, const struct child_sa *old, struct session_sas *out);

/* Called by child_sa_remove and child_sa_remove_sas with the final
 * counters of an installed pair just before it is deleted (the session
 * keeps them: session_retire_counters). One observer for the process;
 * NULL to stop. */
/* The last counters of an SA the kernel expired (hard), added to *out as
 * inbound when it ends at `local` (our address), else as outbound. */
struct xfrm_sa_info;
void child_sa_expired_counters(const struct xfrm_sa_info *info, const union ike_sockaddr *local,
                               struct session_counters *out);
/* Called after each successful child_sa_install (not rekeys) with what its
 * kernel work cost (kernel-timing.h). One observer for the process. */
struct kernel_install_cost;
typedef void (*child_sa_install_fn)(const struct kernel_install_cost *cost, void *userdata);
void child_sa_set_install_observer(child_sa_install_fn fn, void *userdata);
typedef void (*child_sa_removal_fn)(uint32_t reqid, const struct session_counters *final, void *userdata);
void child_sa_set_removal_observer(child_sa_removal_fn fn, void *userdata);
