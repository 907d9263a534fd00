#!/bin/bash
# NAT rebinding (RFC 7296 2.23): a road warrior behind the NAT router pings
# srv through ESP in UDP on port 4500.  Then the NAT router forgets its
# mappings (conntrack flushed) and masquerades from another port range, so
# the client's packets arrive from a new port:
#   1. first as ESP: the kernel reports the new mapping (XFRM MAPPING event),
#      vpnd moves its ESP-in-UDP SAs to the new port, and the ping, which
#      never stopped, gets answers again;
#   2. then, mapping changed once more while the tunnel is idle, as an IKE
#      request (the client's DPD): vpnd moves the IKE SA and the ESP SAs;
#   3. last, the NAT router changes its public address too: the ESP SAs
#      are added anew toward it (keeping their sequence numbers, or the
#      client's replay check would drop the answers) and the policies'
#      templates follow.
# Each time vpnd's SAs show the new encapsulation port, the session shows
# the new public address and vpnd logs the change; traffic flows and the
# counters move.  The client's NAT keepalives reach gw and are dropped
# silently (no log line, not counted as malformed).
# e2e-timeout: 500
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-rebind-key-6e45
tb_topology_remote_access --direct 0 --nat 1
NAT=$TB_NAT_PUBLIC

vpnd_write_conf <<CONF
ike-proposals = ( { name = "gcm"; encryption = ["aes128gcm16"]; prf = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "gcm"; encryption = ["aes128gcm16"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; dns = ["198.51.100.53"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    group-policy = "gp"; address-pool = "rw-pool"; ike-proposals = ["gcm"]; esp-proposals = ["gcm"]; } );
CONF
vpnd_start
tb_capture_start gw out gw-out

# Keepalives every 2 s of silence, liveness checks after 3 s without traffic.
ss_client_start n1 natted --charon 'keep_alive = 2s'
ss_client_conn natted vpn --remote "$TB_GW_ADDR" --psk natted@example.com "$PSK" --dpd 3s \
  --ike aes128gcm16-prfsha256-ecp256 --esp aes128gcm16 --remote-ts "$TB_PROTECTED_NET"
ss_client_up natted vpn || tb_fail "the NAT'ed client's tunnel did not come up"
vip=$(ss_client_vip natted) || tb_fail "no virtual IP"
read -r in out <<< "$(ss_child_spis natted)"

# The encapsulation port of vpnd's outbound SA (toward the client) and of
# its inbound SA (from the client).
out_dport() { tb_exec gw ip xfrm state list spi "$in" | grep -o 'encap type espinudp sport 4500 dport [0-9]*' | awk '{ print $NF }'; }
in_sport() { tb_exec gw ip xfrm state list spi "$out" | grep -o 'encap type espinudp sport [0-9]* dport 4500' | awk '{ print $5 }'; }

# Makes the NAT router forget every mapping and masquerade UDP from port range RANGE.
nat_rebind() {
  tb_exec nat nft -f - << NFT || tb_fail "cannot change the masquerading"
flush chain ip tb_nat postrouting
add rule ip tb_nat postrouting oifname "wan" meta l4proto udp masquerade to :$1
add rule ip tb_nat postrouting oifname "wan" masquerade
NFT
  tb_exec nat conntrack -D -p udp > "$TB_RESULTS/conntrack-$1.log" 2>&1 || true
  grep -Eq '[1-9][0-9]* flow entries have been deleted' "$TB_RESULTS/conntrack-$1.log" ||
    tb_fail "the NAT router had no UDP mapping to forget: $(cat "$TB_RESULTS/conntrack-$1.log")"
}

tb_exec n1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-before.log" || tb_fail "no ping through the tunnel"
p1=$(out_dport)
[ -n "$p1" ] || tb_fail "vpnd's outbound SA is not ESP in UDP"
[ "$(in_sport)" = "$p1" ] || tb_fail "vpnd's inbound SA expects port $(in_sport), the outbound one sends to $p1"
[ "$(vpnd_session_field "$vip" public_address)" = "$NAT:$p1" ] || tb_fail "the session is not at $NAT:$p1"
tb_log "before: the client's NAT mapping is $NAT:$p1"

# ---- 1. the mapping changes under a running ping: the ESP packets show it --------------------
tb_daemon n1 ping-during ping -i 0.2 -W 2 "$TB_SRV_ADDR"
ping_pid=$TB_LAST_PID
tb_wait 30 grep -q 'bytes from' "$TB_RESULTS/ping-during.log"
nat_rebind 40000-40999
# (The client's liveness check may reach vpnd from the new mapping before
# the first ESP packet does, under emulation: then the IKE request shows
# it; either way the SAs must follow.)
vpnd_log_has "NAT mapping of the client changed \(seen in (ESP|an IKE request)\): $NAT:$p1 -> $NAT:40[0-9]{3}; ESP-in-UDP SAs spi in $out out $in updated" 30
p2=$(out_dport)
[[ $p2 =~ ^40[0-9]{3}$ ]] || tb_fail "vpnd's outbound SA sends to port '$p2', not the new mapping"
[ "$(in_sport)" = "$p2" ] || tb_fail "vpnd's inbound SA expects port $(in_sport), not $p2"
[ "$(vpnd_session_field "$vip" public_address)" = "$NAT:$p2" ] ||
  tb_fail "the session shows $(vpnd_session_field "$vip" public_address), not $NAT:$p2"
# Answers arrive again through the updated SAs.
lines=$(grep -c 'bytes from' "$TB_RESULTS/ping-during.log")
tb_wait 30 bash -c "[ \$(grep -c 'bytes from' '$TB_RESULTS/ping-during.log') -ge $((lines + 3)) ]"
tb_stop "$ping_pid" || true
before=$(tb_xfrm_packets gw "$in")
tb_exec n1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-after-esp.log" ||
  tb_fail "no ping through the tunnel after the NAT mapping changed"
[ "$(tb_xfrm_packets gw "$in")" -ge $((before + 3)) ] || tb_fail "vpnd's outbound SA did not carry the replies"
tb_log "after the ESP rebinding: $NAT:$p2"

# ---- 2. changed again while idle: the client's DPD (an IKE request) shows it -----------------
nat_rebind 41000-41999
vpnd_log_has "NAT mapping of the client changed \(seen in an IKE request\): $NAT:$p2 -> $NAT:41[0-9]{3}; ESP-in-UDP SAs spi in $out out $in updated" 60
p3=$(out_dport)
[[ $p3 =~ ^41[0-9]{3}$ ]] || tb_fail "vpnd's outbound SA sends to port '$p3' after the IKE rebinding"
[ "$(in_sport)" = "$p3" ] || tb_fail "vpnd's inbound SA expects port $(in_sport), not $p3"
[ "$(vpnd_session_field "$vip" public_address)" = "$NAT:$p3" ] || tb_fail "the session is not at $NAT:$p3"
vpnd_log_has "received INFORMATIONAL request [0-9]+ \[ \]"
before=$(tb_xfrm_packets gw "$in")
tb_exec n1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-after-ike.log" ||
  tb_fail "no ping through the tunnel after the second change"
[ "$(tb_xfrm_packets gw "$in")" -ge $((before + 3)) ] || tb_fail "vpnd's outbound SA did not carry the replies"
[ "$(tb_xfrm_state_count gw)" -eq 2 ] || tb_fail "gw has $(tb_xfrm_state_count gw) SAs, expected 2"
tb_log "after the IKE rebinding: $NAT:$p3"

# ---- 3. a new public address: the SAs and the policies move -----------------------------
NAT2=203.0.113.3
tb_ip_batch nat "addr add $NAT2/24 dev wan"
tb_exec nat nft -f - << NFT || tb_fail "cannot change the source address"
flush chain ip tb_nat postrouting
add rule ip tb_nat postrouting oifname "wan" meta l4proto udp snat to $NAT2:42000-42999
add rule ip tb_nat postrouting oifname "wan" masquerade
NFT
tb_exec nat conntrack -D -p udp > "$TB_RESULTS/conntrack-address.log" 2>&1 || true
tb_daemon n1 ping-moved ping -i 0.2 -W 2 "$TB_SRV_ADDR"
ping_pid=$TB_LAST_PID
vpnd_log_has "NAT mapping of the client changed \(seen in (ESP|an IKE request)\): $NAT:$p3 -> $NAT2:42[0-9]{3}; ESP-in-UDP SAs spi in $out out $in updated" 30
tb_wait 30 bash -c "[ \$(grep -c 'bytes from' '$TB_RESULTS/ping-moved.log') -ge 3 ]"
tb_stop "$ping_pid" || true
grep -q "NAT mapping of the client changed (seen in ESP)" "$TB_RESULTS/vpnd.log" ||
  tb_fail "neither ESP rebinding was seen in ESP (the kernel's mapping event)"
tb_exec gw ip xfrm state list spi "$in" | grep -q "src $TB_GW_ADDR dst $NAT2" ||
  tb_fail "vpnd's outbound SA does not go to $NAT2"
tb_exec gw ip xfrm state list spi "$out" | grep -q "src $NAT2 dst $TB_GW_ADDR" ||
  tb_fail "vpnd's inbound SA does not come from $NAT2"
p4=$(out_dport)
[[ $p4 =~ ^42[0-9]{3}$ ]] && [ "$(in_sport)" = "$p4" ] || tb_fail "vpnd's SAs are not at port 42xxx: '$p4' '$(in_sport)'"
[ "$(tb_exec gw ip xfrm policy list | grep -c "tmpl src $NAT2 dst $TB_GW_ADDR")" -eq 2 ] ||
  tb_fail "gw's in and fwd policies do not expect ESP from $NAT2"
[ "$(tb_exec gw ip xfrm policy list | grep -c "tmpl src $TB_GW_ADDR dst $NAT2")" -eq 1 ] ||
  tb_fail "gw's out policy does not send ESP to $NAT2"
[ "$(vpnd_session_field "$vip" public_address)" = "$NAT2:$p4" ] || tb_fail "the session is not at $NAT2:$p4"
before=$(tb_xfrm_packets gw "$in")
tb_exec n1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-after-move.log" ||
  tb_fail "no ping through the tunnel after the NAT's address changed"
[ "$(tb_xfrm_packets gw "$in")" -ge $((before + 3)) ] || tb_fail "vpnd's moved outbound SA did not carry the replies"
[ "$(tb_xfrm_state_count gw)" -eq 2 ] || tb_fail "gw has $(tb_xfrm_state_count gw) SAs, expected 2"
tb_log "after the address change: $NAT2:$p4"

# ---- keepalives: they arrived, and nothing was said or counted about them -------------------
tb_capture_stop gw-out > /dev/null
keepalives=$(tb_capture_fields gw-out "udp.dstport == 4500 && udp.length == 9" frame.number | wc -l)
[ "$keepalives" -ge 1 ] || tb_fail "no NAT keepalive reached gw"
tb_log "$keepalives NAT keepalives reached gw"
grep -qi keepalive "$TB_RESULTS/vpnd.log" && tb_fail "vpnd logged about NAT keepalives"
malformed=$(vpnctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["ike"]["sockets"]["dropped_malformed"])')
[ "$malformed" -eq 0 ] || tb_fail "vpnd counted $malformed malformed packets"

ss_client_down natted vpn || tb_fail "the client could not close its tunnel"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "the session is still listed"
