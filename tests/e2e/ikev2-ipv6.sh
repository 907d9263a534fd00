#!/bin/bash
# Dual stack: a strongSwan road warrior asks for an IPv4 and an IPv6 inner
# address (vips 0.0.0.0,::); vpnd gives one from each pool of the tunnel
# group, with IPv4 and IPv6 DNS servers, and the full tunnel in both
# families (TSr 0.0.0.0/0 and ::/0).  The client pings srv over IPv4 and
# over IPv6 through the one ESP SA pair (IPv6 inside IPv4) and its counters
# move; gw has the policies and host routes of both addresses, the session
# shows both.  A second client, while the one-address IPv6 pool is taken,
# gets IPv4 only; when the first leaves, its SAs, policies, both routes and
# both leases are gone, and the second client, reconnecting for IPv6 only,
# gets the IPv6 address the first one had and no IPv4 address; the operator
# ends that session by its IPv6 address.
# e2e-timeout: 500
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-ipv6-key-51d0
DNS4=198.51.100.53
DNS6=2001:db8:100::53
V6=2001:db8:3::a
tb_topology_remote_access --direct 2
tb_topology_protected_ipv6

tb_exec c1 ping -6 -c 1 -W 1 "$TB_SRV_ADDR6" > /dev/null 2>&1 &&
  tb_fail "c1 reaches srv over IPv6 without a tunnel"

vpnd_write_conf <<CONF
ike-proposals = ( { name = "gcm"; encryption = ["aes256gcm16"]; prf = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "gcm"; encryption = ["aes256gcm16"]; } );
pools = ( { name = "v4"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; },
          { name = "v6"; range = "$V6-$V6"; prefix-length = 64; } );
group-policies = ( { name = "dual"; dns = ["$DNS4", "$DNS6"]; protocols = ["ikev2"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    address-pool = ["v4", "v6"]; group-policy = "dual";
                    ike-proposals = ["gcm"]; esp-proposals = ["gcm"]; } );
CONF
vpnd_start

# The pool's leases as vpnctl reports them: "ADDRESS OWNER" per line.
pool_leases() {
  vpnctl --json pools "$1" | python3 -c '
import json, sys
for l in json.load(sys.stdin)["result"]["pools"][0]["leases"]:
    print(l["address"], l["owner"])'
}

ss_client_start c1 alice
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" --vips 0.0.0.0,:: \
  --ike aes256gcm16-prfsha256-ecp256 --esp aes256gcm16 --remote-ts 0.0.0.0/0,::/0
ss_client_up alice vpn || tb_fail "the dual-stack tunnel did not come up"

# ---- the client's side: two addresses, two DNS servers, both families in TS --------
vips=$(ss_client_vip alice) || tb_fail "alice got no virtual IP"
vip4=$(grep -v : <<< "$vips") || tb_fail "alice got no IPv4 address: $vips"
vip6=$(grep : <<< "$vips") || tb_fail "alice got no IPv6 address: $vips"
[[ $vip4 == 10.3.0.1[0-9] || $vip4 == 10.3.0.20 ]] || tb_fail "IPv4 address $vip4 is not from pool v4"
[ "$vip6" = "$V6" ] || tb_fail "IPv6 address $vip6 is not the one of pool v6 ($V6)"
tb_exec c1 ip -6 addr show | grep -q "inet6 $vip6/" || tb_fail "$vip6 is not on an interface of c1"
dns=$(ss_client_dns alice | sort | paste -sd ' ') || tb_fail "alice installed no DNS server"
[ "$dns" = "$DNS4 $DNS6" ] || tb_fail "alice installed DNS servers '$dns', expected $DNS4 and $DNS6"
ss_client_sas alice --raw | grep -q "local-ts=\[$vip4/32 $vip6/128\]" ||
  tb_fail "the local traffic selectors are not $vip4/32 and $vip6/128"
ss_client_sas alice --raw | grep -q "remote-ts=\[0.0.0.0/0 ::/0\]" ||
  tb_fail "the remote traffic selectors are not 0.0.0.0/0 and ::/0"

# ---- traffic in both families through the one ESP SA pair --------------------------------
tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping4.log" ||
  tb_fail "c1 cannot ping $TB_SRV_ADDR through the tunnel"
tb_exec c1 ping -6 -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR6" > "$TB_RESULTS/ping6.log" ||
  tb_fail "c1 cannot ping $TB_SRV_ADDR6 through the tunnel"
read -r in out <<< "$(ss_child_spis alice)"
for spi in "$in" "$out"; do
  n=$(tb_xfrm_packets gw "$spi")
  [ -n "$n" ] && [ "$n" -ge 6 ] || tb_fail "vpnd's SA $spi carried '${n}' packets, expected at least 6"
  tb_log "gw: SA $spi carried $n packets"
done
# srv saw the pings from the inner addresses.
[ "$(tb_xfrm_policy_count gw)" -eq 6 ] || tb_fail "gw has $(tb_xfrm_policy_count gw) policies, expected 6"
tb_exec gw ip -6 xfrm policy list | grep -q "src ::/0 dst $vip6/128" || tb_fail "no IPv6 policy toward $vip6 on gw"
tb_exec gw ip route show "$vip4" | grep -q "proto 86" || tb_fail "no route of vpnd to $vip4 on gw"
tb_exec gw ip -6 route show "$vip6" | grep -q "proto 86" || tb_fail "no route of vpnd to $vip6 on gw"

[ "$(vpnd_session_field "$vip4" address6)" = "$vip6" ] || tb_fail "the session does not show $vip6"
[ "$(pool_leases v6)" = "$V6 alice@example.com" ] || tb_fail "pool v6 does not show alice's lease: $(pool_leases v6)"
[ "$(pool_leases v4)" = "$vip4 alice@example.com" ] || tb_fail "pool v4 does not show alice's lease: $(pool_leases v4)"
vpnctl sessions > "$TB_RESULTS/sessions.txt"
grep -q "IPv6 address: $vip6" "$TB_RESULTS/sessions.txt" || tb_fail "vpnctl sessions does not show $vip6"
vpnd_log_has "session up: user alice@example.com, address $vip4, IPv6 address $vip6"
vpnd_log_has "CHILD_SA installed: .* TS $vip4/32 $vip6/128 === 0.0.0.0/0 ::/0"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr AUTH CPRP\(ADDR MASK ADDR6 DNS DNS6\)"

# ---- a second client while the IPv6 pool is taken: IPv4 only ---------------------------
ss_client_start c2 bob
ss_client_conn bob vpn --remote "$TB_GW_ADDR" --psk bob@example.com "$PSK" --vips 0.0.0.0,:: \
  --ike aes256gcm16-prfsha256-ecp256 --esp aes256gcm16 --remote-ts 0.0.0.0/0,::/0
ss_client_up bob vpn || tb_fail "bob's tunnel did not come up"
bvips=$(ss_client_vip bob) || tb_fail "bob got no virtual IP"
grep -q : <<< "$bvips" && tb_fail "bob got an IPv6 address from a taken pool: $bvips"
vpnd_log_has "no IPv6 address for bob@example.com: pool 'v6' exhausted; IPv4 only"
tb_exec c2 ping -c 1 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "bob cannot ping srv over IPv4"
ss_client_down bob vpn || tb_fail "bob could not close his tunnel"

# ---- alice leaves: nothing of hers remains, the IPv6 lease is free -------------------------
ss_client_down alice vpn || tb_fail "the client could not close its tunnel"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw still has policies after the clients left"
[ -z "$(tb_exec gw ip route show "$vip4")" ] || tb_fail "the route to $vip4 is still on gw"
[ -z "$(tb_exec gw ip -6 route show "$vip6")" ] || tb_fail "the route to $vip6 is still on gw"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "vpnctl sessions still lists a session"
vpnd_log_has "session down: user alice@example.com, address $vip4, IPv6 address $vip6: deleted by the client"
[ -z "$(pool_leases v6)" ] || tb_fail "pool v6 still has leases: $(pool_leases v6)"
[ -z "$(pool_leases v4)" ] || tb_fail "pool v4 still has leases: $(pool_leases v4)"

# This time bob asks for IPv6 only: he gets the released IPv6 address and
# no IPv4 one, and his tunnel carries IPv6 only.
ss_client_conn bob vpn6 --remote "$TB_GW_ADDR" --psk bob@example.com "$PSK" --vips :: \
  --ike aes256gcm16-prfsha256-ecp256 --esp aes256gcm16 --remote-ts ::/0
ss_client_up bob vpn6 || tb_fail "bob's IPv6-only tunnel did not come up"
bvips=$(ss_client_vip bob) || tb_fail "bob got no virtual IP the second time"
[ "$bvips" = "$V6" ] || tb_fail "bob did not get the released $V6 alone: $bvips"
[ -z "$(pool_leases v4)" ] || tb_fail "an IPv6-only client holds an IPv4 lease: $(pool_leases v4)"
[ "$(pool_leases v6)" = "$V6 bob@example.com" ] || tb_fail "pool v6 does not show bob's lease: $(pool_leases v6)"
[ "$(vpnd_session_field "$V6" user)" = bob@example.com ] || tb_fail "no session with address $V6"
vpnd_log_has "CHILD_SA installed: .* TS $V6/128 === ::/0"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr AUTH CPRP\(ADDR6 DNS6\) SA TSi TSr \]"
[ "$(ss_client_dns bob)" = "$DNS6" ] || tb_fail "bob installed DNS servers '$(ss_client_dns bob)', expected $DNS6 only"
tb_exec c2 ping -6 -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR6" > /dev/null || tb_fail "bob cannot ping srv over IPv6"
read -r in out <<< "$(ss_child_spis bob)"
n=$(tb_xfrm_packets gw "$in")
[ -n "$n" ] && [ "$n" -ge 3 ] || tb_fail "vpnd's SA $in carried '${n}' packets, expected at least 3"
tb_exec c2 ping -c 1 -W 1 "$TB_SRV_ADDR" > /dev/null 2>&1 && tb_fail "bob reaches srv over IPv4 without an IPv4 tunnel"
[ "$(tb_xfrm_policy_count gw)" -eq 3 ] || tb_fail "gw has $(tb_xfrm_policy_count gw) policies, expected 3 (IPv6)"
# The operator finds the session by its IPv6 address too.
vpnctl terminate "$V6" > "$TB_RESULTS/terminate.txt" || tb_fail "vpnctl terminate $V6 failed"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "bob's session is still listed"
[ -z "$(pool_leases v6)" ] || tb_fail "pool v6 still has leases after the terminate: $(pool_leases v6)"
[ -z "$(tb_exec gw ip -6 route show "$V6")" ] || tb_fail "the route to $V6 is still on gw"
