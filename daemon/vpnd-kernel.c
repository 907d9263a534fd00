/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vpnd-kernel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child-sa.h"
#include "ike.h"
#include "ikev2-nat.h"
#include "kernel-timing.h"
#include "log.h"
#include "xfrm-monitor.h"
#include "xfrm.h"

struct vpnd_kernel {
    sd_event *event;
    struct xfrm_handle *xfrm;
    struct xfrm_monitor *monitor;
    sd_event_source *resubscribe;   /* pending re-open of a failed monitor */
    struct ike *ike;                /* NAT mapping and SA expiry events go there */
    struct kernel_timing timing;    /* what CHILD SA installs cost (`vpnctl stats`) */
};

static void on_xfrm_event(const struct xfrm_event *ev, void *userdata);

static const char *address_text(uint16_t family, const xfrm_address_t *a, char *buf, size_t len)
{
    if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
        snprintf(buf, len, "?");
    return buf;
}

/* Owned-state removal, at start and at stop. Failures to delete single
 * entries are reported but not fatal: the rest is still removed. */
static int cleanup_owned(struct vpnd_kernel *k, const char *when)
{
    struct xfrm_status st = { 0 };
    unsigned sas = 0, sps = 0;

    int r = xfrm_cleanup_owned(k->xfrm, &sas, &sps, &st);
    if (r < 0)
        return log_error_errno(CONFIG_SUBSYS_NETLINK, r, "%s: cannot remove vpnd's kernel IPsec state: %m%s%s",
                               when, st.message[0] ? ": " : "", st.message);
    if (r > 0)
        log_warning(CONFIG_SUBSYS_NETLINK, "%s: %d kernel IPsec entries could not be removed%s%s",
                    when, r, st.message[0] ? ": " : "", st.message);
    if (sas || sps)
        log_info(CONFIG_SUBSYS_NETLINK, "%s: removed %u SAs and %u policies left in the kernel",
                 when, sas, sps);
    else
        log_debug(CONFIG_SUBSYS_NETLINK, 1, "%s: no vpnd SAs or policies in the kernel", when);
    return 0;
}

/* A failed monitor is replaced from a deferred event: it cannot be freed
 * from inside its own callback. Expiry events missed meanwhile are logged as
 * such; the SAs' hard lifetimes still hold in the kernel. */
static int on_resubscribe(sd_event_source *s, void *userdata)
{
    struct vpnd_kernel *k = userdata;

    k->resubscribe = sd_event_source_unref(k->resubscribe);
    k->monitor = xfrm_monitor_free(k->monitor);
    int r = xfrm_monitor_new(k->event, on_xfrm_event, k, &k->monitor);
    if (r < 0)
        return log_error_errno(CONFIG_SUBSYS_NETLINK, r,
                               "cannot subscribe to XFRM events again: %m; SA expiry and NAT "
                               "mapping events will not be seen");
    log_notice(CONFIG_SUBSYS_NETLINK, "subscribed to XFRM events again");
    return 0;
}

/* Until the IKE code handles them, events are logged for the operator. */
static void on_xfrm_event(const struct xfrm_event *ev, void *userdata)
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    struct vpnd_kernel *k = userdata;

    switch (ev->type) {
    case XFRM_EVENT_EXPIRE:
        log_debug(CONFIG_SUBSYS_NETLINK, 1, "%s expiry of SA spi 0x%08x dst %s reqid 0x%08x",
                  ev->expire.hard ? "hard" : "soft", ev->expire.info.sa.spi,
                  address_text(ev->expire.info.sa.family, &ev->expire.info.sa.dst, a, sizeof(a)),
                  ev->expire.info.sa.reqid);
        if (k->ike)
            ike_sa_expired(k->ike, &ev->expire);
        break;
    case XFRM_EVENT_ACQUIRE:
        log_debug(CONFIG_SUBSYS_NETLINK, 1, "acquire %s -> %s reqid 0x%08x seq %u",
                  address_text(ev->acquire.family, &ev->acquire.src, a, sizeof(a)),
                  address_text(ev->acquire.family, &ev->acquire.dst, b, sizeof(b)),
                  ev->acquire.reqid, ev->acquire.seq);
        break;
    case XFRM_EVENT_MAPPING:
        log_debug(CONFIG_SUBSYS_NETLINK, 1, "NAT mapping of SA spi 0x%08x changed: %s:%u -> %s:%u",
                  ev->mapping.id.spi,
                  address_text(ev->mapping.id.family, &ev->mapping.old_src, a, sizeof(a)),
                  ev->mapping.old_sport,
                  address_text(ev->mapping.id.family, &ev->mapping.new_src, b, sizeof(b)),
                  ev->mapping.new_sport);
        if (k->ike)
            ikev2_nat_mapping(k->ike, &ev->mapping);
        break;
    case XFRM_EVENT_POLEXPIRE:
        log_debug(CONFIG_SUBSYS_NETLINK, 1, "%s expiry of policy index %u dir %u",
                  ev->polexpire.hard ? "hard" : "soft", ev->polexpire.sp.index, ev->polexpire.sp.dir);
        break;
    case XFRM_EVENT_OVERRUN:
        log_warning(CONFIG_SUBSYS_NETLINK, "kernel XFRM events were lost (receive buffer overrun)");
        break;
    case XFRM_EVENT_FAILED: {
        int r = ev->error;
        log_error_errno(CONFIG_SUBSYS_NETLINK, r, "XFRM event socket failed: %m; subscribing again");
        if (!k->resubscribe) {
            r = sd_event_add_defer(k->event, &k->resubscribe, on_resubscribe, k);
            if (r < 0)
                log_error_errno(CONFIG_SUBSYS_NETLINK, r, "cannot schedule the XFRM resubscription: %m");
        }
        break;
    }
    }
}

static void on_child_sa_installed(const struct kernel_install_cost *cost, void *userdata)
{
    struct vpnd_kernel *k = userdata;
    kernel_timing_record(&k->timing, cost);
}

void vpnd_kernel_free(struct vpnd_kernel *k)
{
    if (!k)
        return;
    child_sa_set_install_observer(NULL, NULL);
    sd_event_source_unref(k->resubscribe);
    if (k->monitor)
        xfrm_monitor_free(k->monitor);
    if (k->xfrm) {
        (void)cleanup_owned(k, "shutdown");
        xfrm_close(k->xfrm);
    }
    free(k);
}

/* Remote-access policies are host routes (/32, /128) to pool addresses:
 * the thresholds make the kernel hash them instead of keeping them apart
 * as inexact policies (netlink/xfrm-spd.c). They are a setting of the
 * network namespace, not of our policies, and are not restored at exit:
 * they only decide how the kernel indexes policies, never which policy
 * matches, and a restarted vpnd needs them again. */
static int setup_spd_hash(struct vpnd_kernel *k, enum config_spd_hash spd_hash)
{
    const struct xfrm_spd_hthresh *want = &xfrm_spd_hthresh_remote_access;
    struct xfrm_spd_hthresh was;
    struct xfrm_status st = { 0 };

    int r = xfrm_spd_get_hthresh(k->xfrm, &was, &st);
    if (r < 0)
        return log_error_errno(CONFIG_SUBSYS_NETLINK, r, "cannot read the SPD hash thresholds: %m%s%s",
                               st.message[0] ? ": " : "", st.message);
    if (spd_hash == CONFIG_SPD_HASH_KEEP) {
        log_info(CONFIG_SUBSYS_NETLINK, "SPD hash thresholds kept as the system set them: IPv4 local /%u remote "
                 "/%u, IPv6 local /%u remote /%u (spd-hash-thresholds = \"keep\")",
                 was.lbits4, was.rbits4, was.lbits6, was.rbits6);
        return 0;
    }
    if (memcmp(&was, want, sizeof(was)) == 0) {
        log_debug(CONFIG_SUBSYS_NETLINK, 1, "SPD hash thresholds already set for remote access");
        return 0;
    }
    r = xfrm_spd_set_hthresh(k->xfrm, want, &st);
    if (r < 0)
        return log_error_errno(CONFIG_SUBSYS_NETLINK, r, "cannot set the SPD hash thresholds: %m%s%s",
                               st.message[0] ? ": " : "", st.message);
    log_notice(CONFIG_SUBSYS_NETLINK, "SPD hash thresholds changed for remote access: IPv4 local /%u remote /%u "
               "(were /%u /%u), IPv6 local /%u remote /%u (were /%u /%u)", want->lbits4, want->rbits4,
               was.lbits4, was.rbits4, want->lbits6, want->rbits6, was.lbits6, was.rbits6);
    return 0;
}

int vpnd_kernel_new(sd_event *event, enum config_spd_hash spd_hash, struct vpnd_kernel **ret)
{
    int r;

    struct vpnd_kernel *k = calloc(1, sizeof(*k));
    if (!k)
        return log_error_errno(CONFIG_SUBSYS_NETLINK, -ENOMEM, "out of memory");
    k->event = event;

    r = xfrm_open(&k->xfrm);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_NETLINK, r, "cannot open XFRM netlink: %m");
        goto fail;
    }
    r = cleanup_owned(k, "startup");
    if (r < 0)
        goto fail;

    r = setup_spd_hash(k, spd_hash);
    if (r < 0)
        goto fail;

    r = xfrm_monitor_new(event, on_xfrm_event, k, &k->monitor);
    if (r < 0) {
        log_error_errno(CONFIG_SUBSYS_NETLINK, r, "cannot subscribe to XFRM events: %m");
        goto fail;
    }

    child_sa_set_install_observer(on_child_sa_installed, k);
    *ret = k;
    return 0;

fail:
    /* Nothing of ours can be in the kernel yet beyond what the failed
     * cleanup already reported; close without a second attempt. */
    if (k->monitor)
        xfrm_monitor_free(k->monitor);
    if (k->xfrm)
        xfrm_close(k->xfrm);
    free(k);
    return r;
}

void vpnd_kernel_set_ike(struct vpnd_kernel *k, struct ike *ike)
{
    k->ike = ike;
}

struct xfrm_handle *vpnd_kernel_xfrm(struct vpnd_kernel *k)
{
    return k->xfrm;
}

void vpnd_kernel_get_timing(const struct vpnd_kernel *k, struct kernel_timing_summary *ret)
{
    kernel_timing_summarize(&k->timing, ret);
}
