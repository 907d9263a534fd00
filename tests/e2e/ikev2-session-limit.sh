#!/bin/bash
# The group policy's simultaneous-logins limit (ASA vpn-simultaneous-logins):
# with a limit of 1, alice connects from c1, then again from c2 with the
# same identity.  As on the ASA the new login is kept and the oldest is
# logged off: c2 gets a tunnel and pings srv through it, vpnd ends c1's
# session with the reason "simultaneous-logins limit" (logged) and sends
# c1 a DELETE (its charon drops the IKE SA), c1's SAs, policies, route and
# lease are gone and `vpnctl sessions` lists only c2's session.  A tunnel
# group whose policy has simultaneous-logins 0 lets nobody in:
# AUTHENTICATION_FAILED with a log line that says why, nothing installed.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-limit-key-0b4c
tb_topology_remote_access --direct 3

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes128"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes128"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "one"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; simultaneous-logins = 1; },
                   { name = "none"; simultaneous-logins = 0; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "rw-pool";
                    group-policy = "one"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; },
                  { name = "blocked"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@blocked.example"]; address-pool = "rw-pool";
                    group-policy = "none"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start

for i in 1 2; do
  ss_client_start "c$i" "a$i"
  ss_client_conn "a$i" vpn --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" \
    --ike aes128-sha256-ecp256 --esp aes128-sha256 --remote-ts "$TB_PROTECTED_NET"
done

# ---- the first login ------------------------------------------------------------------
ss_client_up a1 vpn || tb_fail "alice's first tunnel (c1) did not come up"
vip1=$(ss_client_vip a1) || tb_fail "alice on c1 got no virtual IP"
tb_exec c1 ping -c 2 -i 0.3 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "c1 cannot ping srv through its tunnel"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "vpnd does not list one session"
first=$(vpnd_session_field "$vip1" index)

# ---- the second login of the same user logs the first off ---------------------------------
ss_client_up a2 vpn || tb_fail "alice's second tunnel (c2) did not come up"
vip2=$(ss_client_vip a2) || tb_fail "alice on c2 got no virtual IP"
[ "$vip2" != "$vip1" ] || tb_fail "both logins got $vip1"
vpnd_log_has "user alice@example.com has 2 sessions, simultaneous-logins is 1 in group policy one: logging off session $first \(the oldest\)"
vpnd_log_has "session down: user alice@example.com, address $vip1: simultaneous-logins limit"
# c1's charon got the DELETE and dropped its IKE SA.
c1_has_no_sa() { local sas; sas=$(ss_client_sas a1 --raw); ! grep -q 'list-sa event' <<< "$sas"; }
tb_wait 30 c1_has_no_sa
grep -q "received DELETE for IKE_SA" "$TB_RESULTS/ss-a1/charon.log" ||
  tb_fail "c1's charon did not receive a DELETE for its IKE SA"

[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "vpnd lists $(vpnd_session_count) sessions, expected only c2's"
[ "$(vpnd_session_field "$vip2" user)" = alice@example.com ] || tb_fail "no session with c2's address $vip2"
[[ "$(vpnd_session_field "$vip2" public_address)" == "${TB_ADDR[c2]}:"* ]] ||
  tb_fail "the remaining session is not c2's: $(vpnd_session_field "$vip2" public_address)"
[ -z "$(vpnd_session_field "$vip1" user)" ] || tb_fail "c1's session ($vip1) is still listed"
[ "$(tb_xfrm_state_count gw)" -eq 2 ] || tb_fail "gw has $(tb_xfrm_state_count gw) xfrm states, expected c2's 2"
[ "$(tb_xfrm_policy_count gw)" -eq 3 ] || tb_fail "gw has $(tb_xfrm_policy_count gw) IPsec policies, expected c2's 3"
[ -z "$(tb_exec gw ip route show "$vip1")" ] || tb_fail "the route to c1's address $vip1 is still on gw"
in_use=$(vpnctl --json pools | python3 -c 'import json,sys; print([p["used"] for p in json.load(sys.stdin)["result"]["pools"] if p["name"] == "rw-pool"][0])')
[ "$in_use" -eq 1 ] || tb_fail "the pool has $in_use addresses in use, expected c2's alone"

tb_exec c2 ping -c 3 -i 0.3 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "c2 cannot ping srv through its tunnel"
read -r in out <<< "$(ss_child_spis a2)"
for spi in "$in" "$out"; do
  n=$(tb_xfrm_packets gw "$spi")
  [ -n "$n" ] && [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi of c2 carried '${n}' packets, expected at least 3"
done
tb_exec c1 ping -c 1 -W 2 "$TB_SRV_ADDR" > /dev/null 2>&1 && tb_fail "c1 still reaches srv after being logged off"

# ---- simultaneous-logins 0: nobody gets in ------------------------------------------------------
ss_client_start c3 eve
ss_client_conn eve vpn --remote "$TB_GW_ADDR" --psk eve@blocked.example "$PSK" \
  --ike aes128-sha256-ecp256 --esp aes128-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up eve vpn 30 && tb_fail "eve got a tunnel through a policy with simultaneous-logins 0"
grep -q "AUTHENTICATION_FAILED" "$TB_RESULTS/ss-eve/charon.log" || tb_fail "eve did not receive AUTHENTICATION_FAILED"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c3]}:[0-9]+, identity 'eve@blocked.example', tunnel group blocked: group policy none allows no login \(simultaneous-logins 0\)"
[ "$(tb_xfrm_state_count gw)" -eq 2 ] || tb_fail "eve's refused login left xfrm states on gw"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "eve's refused login has a session"
