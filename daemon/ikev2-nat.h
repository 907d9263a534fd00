/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * NAT rebinding (RFC 7296 2.23): a client behind a NAT whose mapping
 * changes (the NAT forgot it, or gave it a new port or address) keeps its
 * tunnel. vpnd learns the new mapping in two ways:
 *   - the kernel's XFRM MAPPING event: an authentic, non-replayed ESP-in-UDP
 *     packet arrived for one of our inbound SAs from another address/port
 *     (ikev2_nat_mapping, dispatched by vpnd-kernel.c);
 *   - an IKE request with valid integrity, in sequence, from another
 *     address/port (ikev2_peer_moved, from the responder's dispatch).
 * Either way the ESP-in-UDP SAs (both directions, old rekeyed ones too),
 * the IKE SA's peer address and the session's public address follow, and
 * one log line says from where to where. Only for SAs where NAT was
 * detected: without a NAT, a new address is MOBIKE's business (RFC 4555),
 * and vpnd only answers the request where it came from.
 *
 * Both signals are authenticated and replay-protected, but someone on the
 * path who races a copy of a fresh packet from elsewhere can divert the
 * tunnel's traffic there (still encrypted) until the client's next packet
 * moves it back; RFC 7296 2.23 accepts that for NAT traversal. If the
 * kernel refuses the update the SA still takes the new address, so that
 * the kernel's per-packet reports do not become a log line each.
 */
#pragma once

struct ike;
struct xfrm_event_mapping;

void ikev2_nat_mapping(struct ike *ike, const struct xfrm_event_mapping *mapping);
