/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The daemon's hold on the kernel's IPsec databases: the XFRM netlink
 * handle the protocol code installs SAs and policies through, and the
 * subscription to kernel events (expiry, acquire, NAT mapping changes).
 *
 * vpnd owns the SAs and policies tagged with its reqid range (netlink/xfrm.h)
 * and removes them when it starts (a crashed predecessor's leftovers) and when
 * it stops, so no tunnel outlives the daemon that negotiated it.
 */
#pragma once

#include <systemd/sd-event.h>

#include "config.h"

struct vpnd_kernel;
struct xfrm_handle;

/* Opens XFRM netlink (needs CAP_NET_ADMIN), removes the SAs and policies
 * vpnd owns, sets the SPD hash thresholds (unless told to keep them:
 * `kernel { spd-hash-thresholds }`) and subscribes to events. Logs and
 * returns a negative errno when the kernel cannot be reached. */
int vpnd_kernel_new(sd_event *event, enum config_spd_hash spd_hash, struct vpnd_kernel **ret);

/* Removes every owned SA and policy, then closes. NULL is allowed. */
void vpnd_kernel_free(struct vpnd_kernel *kernel);

/* Where NAT mapping events (ikev2-nat.c) and SA expiry events
 * (ike_sa_expired) go; NULL until the IKE service exists, and again while
 * it goes away. */
struct ike;
void vpnd_kernel_set_ike(struct vpnd_kernel *kernel, struct ike *ike);

/* For the protocol code: the handle requests are queued on. */
struct xfrm_handle *vpnd_kernel_xfrm(struct vpnd_kernel *kernel);

/* What the CHILD SA installations cost so far (kernel-timing.h). */
struct kernel_timing_summary;
void vpnd_kernel_get_timing(const struct vpnd_kernel *kernel, struct kernel_timing_summary *ret);
