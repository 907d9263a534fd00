#!/bin/bash
# Split include: the group policy tunnels two networks (the protected
# 198.51.100.0/24 and 10.99.0.0/16, a network behind srv).  The client asks
# for everything (TSr 0.0.0.0/0); vpnd narrows its traffic selectors to the
# two networks and also sends them as INTERNAL_IP4_SUBNET.  On the client,
# the installed IPsec policies cover exactly those two networks: pings to
# srv and to 10.99.0.10 go through ESP (vpnd's SA counters move), while a
# ping to the other direct client c2 (not included) leaves in the clear
# from c1's own address and moves no counter.  gw holds 3 policies per
# network.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-split-key-0c77
BEHIND=10.99.0.10
tb_topology_remote_access --direct 2
# A second included network, behind srv.
tb_ip_batch srv "addr add $BEHIND/32 dev lo"
tb_route gw 10.99.0.0/16 "$TB_SRV_ADDR"

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes128"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes128"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "split"; dns = ["198.51.100.53"];
                     split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET", "10.99.0.0/16"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    address-pool = "rw-pool"; group-policy = "split";
                    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start

ss_client_start c1 alice
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" \
  --ike aes128-sha256-ecp256 --esp aes128-sha256 --remote-ts 0.0.0.0/0
ss_client_up alice vpn || tb_fail "the tunnel did not come up"
vip=$(ss_client_vip alice) || tb_fail "alice got no virtual IP"

# ---- what the client installed ----------------------------------------------------------
rts=$(ss_client_sas alice --raw | grep -o 'remote-ts=\[[^]]*\]' | sed 's/^remote-ts=\[//; s/\]$//' | tr ' ' '\n' |
  sort | paste -sd ' ')
[ "$rts" = "10.99.0.0/16 $TB_PROTECTED_NET" ] ||
  tb_fail "the client's remote traffic selectors are '$rts', not $TB_PROTECTED_NET and 10.99.0.0/16"
tb_exec c1 ip xfrm policy list > "$TB_RESULTS/c1-policies.txt"
# Every policy of the client with an IPsec template, by its remote network:
# "out" policies lead to it (dst), "in"/"fwd" come from it (src).
nets=$(awk '/^src / { sel = $0 } /^[[:space:]]*dir out / { split(sel, f, " "); print f[4] }' "$TB_RESULTS/c1-policies.txt" |
  sort -u | paste -sd ' ')
[ "$nets" = "10.99.0.0/16 $TB_PROTECTED_NET" ] ||
  tb_fail "the client's outbound policies cover '$nets', expected 10.99.0.0/16 and $TB_PROTECTED_NET only"
[ "$(tb_xfrm_policy_count gw)" -eq 6 ] || tb_fail "gw has $(tb_xfrm_policy_count gw) policies, expected 6"
grep -q "processing INTERNAL_IP4_SUBNET attribute" "$TB_RESULTS/ss-alice/charon.log" ||
  tb_fail "the client did not receive the split networks as INTERNAL_IP4_SUBNET"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr AUTH CPRP\(ADDR MASK DNS SUBNET SUBNET\)"
vpnd_log_has "CHILD_SA installed: .* TS $vip/32 === $TB_PROTECTED_NET 10.99.0.0/16"

# ---- included networks go through ESP -------------------------------------------------
read -r in out <<< "$(ss_child_spis alice)"
tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-srv.log" ||
  tb_fail "c1 cannot ping $TB_SRV_ADDR through the tunnel"
tb_exec c1 ping -c 3 -i 0.2 -W 5 "$BEHIND" > "$TB_RESULTS/ping-behind.log" ||
  tb_fail "c1 cannot ping $BEHIND through the tunnel"
for spi in "$in" "$out"; do
  n=$(tb_xfrm_packets gw "$spi")
  [ -n "$n" ] && [ "$n" -ge 6 ] || tb_fail "vpnd's SA $spi carried '${n}' packets, expected at least 6"
  tb_log "gw: SA $spi carried $n packets"
done

# ---- a destination outside the split networks goes around the tunnel --------------------
before_in=$(tb_xfrm_packets gw "$out")
before_out=$(tb_xfrm_packets c1 "$out")
tb_capture_start c2 eth0 c2
tb_exec c1 ping -c 3 -i 0.2 -W 5 "${TB_ADDR[c2]}" > "$TB_RESULTS/ping-c2.log" ||
  tb_fail "c1 cannot reach c2 directly"
tb_capture_stop c2 > /dev/null
[ "$(tb_xfrm_packets gw "$out")" = "$before_in" ] || tb_fail "traffic to c2 went through vpnd's SA"
[ "$(tb_xfrm_packets c1 "$out")" = "$before_out" ] || tb_fail "traffic to c2 went through the client's SA"
src=$(tb_capture_fields c2 "icmp.type == 8" ip.src | sort -u | paste -sd ' ')
[ "$src" = "${TB_ADDR[c1]}" ] || tb_fail "c2 saw pings from '$src', expected c1's own address ${TB_ADDR[c1]}"

ss_client_down alice vpn || tb_fail "the client could not close its tunnel"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw still has policies after the client left"
