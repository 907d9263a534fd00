/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ISAKMP SA's lifetime, told once phase 1 is complete (Xauth and Mode
 * Config done, or a re-authenticated client's Xauth): an Informational
 * with a RESPONDER-LIFETIME notify (RFC 2407 4.6.3.1; protocol ISAKMP, the
 * cookie pair as SPI, a phase-1 Life Type/Life Duration pair) when vpnd's
 * lifetime is shorter than the client's offer. A Cisco head end sends it
 * right after phase 1, and the Cisco VPN Client family waits for it: after
 * the Xauth of its phase 1 rekey vpnc blocks in a receive until the new
 * ISAKMP SA brings a message ("notice_checks"), forwarding no ESP
 * meanwhile, and only then deletes its old ISAKMP SA. Without it vpnc
 * stays deaf until our next R-U-THERE (up to two DPD intervals) or gives
 * up on the gateway. Other clients log the notify and carry on.
 */
#include "ikev1-sa.h"

void ikev1_p1_lifetime_announce(struct ikev1_isakmp_sa *sa)
{
    const struct ikev1_p1_choice *c = &sa->choice;
    if (sa->lifetime_announced || sa->state != IKEV1_SA_READY)
        return;
    sa->lifetime_announced = true;
    if (c->offered_lifetime && c->lifetime >= c->offered_lifetime)
        return;         /* the client's own lifetime, or a shorter one: nothing to tell */
    uint8_t data[IKEV1_LIFETIME_DATA_LEN];
    (void)ikev1_lifetime_seconds_data(data, IKEV1_P1_LIFE_TYPE, IKEV1_P1_LIFE_DURATION, c->lifetime);
    /* Our own message, no answer to the one that completed phase 1: a
     * retransmission of that one must not bring this back. */
    bool reacting = sa->reacting;
    sa->reacting = false;
    ikev1_send_notify(sa, IKEV1_PROTO_ISAKMP, NULL, 0, IKEV1_N_RESPONDER_LIFETIME, data, sizeof(data));
    sa->reacting = reacting;
}
