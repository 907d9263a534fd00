#!/bin/bash
# The operator's commands against real sessions: two strongSwan road
# warriors connected, `vpnctl pools` shows who holds which address,
# `vpnctl terminate USER` and `terminate ADDRESS` end one session each (the
# client's charon sees its IKE SA deleted, vpnd's kernel state and route go,
# the address is free again, the log names the operator's uid), and
# `vpnctl debug ikev2 2` turns on debug lines without a reload.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-operator-test-55d1
tb_topology_remote_access --direct 2

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "op-pool"; range = "10.7.0.10-10.7.0.13"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "op-policy"; protocols = ["ikev2"]; } );
tunnel-groups = ( { name = "op"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "op-pool";
                    group-policy = "op-policy"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start

connect() {   # connect NS USER
  ss_client_start "$1" "$2"
  ss_client_conn "$2" vpn --remote "$TB_GW_ADDR" --psk "$2@example.com" "$PSK" \
    --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
  ss_client_up "$2" vpn || tb_fail "$2's tunnel did not come up"
  tb_exec "$1" ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "$2 cannot ping through the tunnel"
}
connect c1 alice
connect c2 bob
vip_a=$(ss_client_vip alice)
vip_b=$(ss_client_vip bob)

pool_json() { vpnctl --json pools op-pool; }
pool_get() { pool_json | python3 -c 'import json, sys; p = json.load(sys.stdin)["result"]["pools"][0]; print(eval(sys.argv[1]))' "$1"; }

# ---- pools ------------------------------------------------------------------------------
vpnctl pools > "$TB_RESULTS/pools.txt"
grep -Eq '^op-pool +ipv4 +10\.7\.0\.10-10\.7\.0\.13 +4 +2 +2$' "$TB_RESULTS/pools.txt" ||
  tb_fail "vpnctl pools does not show 4 addresses, 2 used, 2 free: $(cat "$TB_RESULTS/pools.txt")"
grep -Eq "^ +$vip_a +alice@example.com$" "$TB_RESULTS/pools.txt" || tb_fail "pools does not show alice holding $vip_a"
[ "$(pool_get 'sorted((l["address"], l["owner"]) for l in p["leases"])')" = \
  "$(python3 -c 'import sys; print(sorted([(sys.argv[1], "alice@example.com"), (sys.argv[2], "bob@example.com")]))' "$vip_a" "$vip_b")" ] ||
  tb_fail "JSON leases do not match the clients' addresses: $(pool_json)"

# ---- terminate by user, watched by `vpnctl log -f --user` -----------------------------------
read -r a_in a_out <<< "$(ss_child_spis alice)"
vpnctl --json log -f -n 0 --user alice@example.com > "$TB_RESULTS/follow-alice.json" &
follower=$!
tb_wait 10 test -s "$TB_RESULTS/follow-alice.json"
vpnctl terminate alice@example.com > "$TB_RESULTS/terminate-alice.txt" || tb_fail "terminate alice failed"
grep -q "terminated session [0-9]* (user alice@example.com, address $vip_a)" "$TB_RESULTS/terminate-alice.txt" ||
  tb_fail "terminate did not report alice's session: $(cat "$TB_RESULTS/terminate-alice.txt")"
# The client hears of it: its IKE SA goes (it got our DELETE).
ike_sa_gone() { ! ss_client_sas "$1" | grep -q ESTABLISHED; }
tb_wait 20 ike_sa_gone alice
for spi in "$a_in" "$a_out"; do
  [ -z "$(tb_exec gw ip xfrm state list spi "$spi")" ] || tb_fail "alice's SA $spi is still in gw's kernel"
done
[ -z "$(tb_exec gw ip route show "$vip_a")" ] || tb_fail "the route to alice's $vip_a is still on gw"
[ "$(pool_get 'p["used"]')" = 1 ] || tb_fail "pool still counts alice's address: $(pool_json)"
vpnd_log_has "session down: user alice@example.com, address $vip_a: terminated by operator \(uid 0\)"
tb_wait 10 grep -q "session down: user alice@example.com" "$TB_RESULTS/follow-alice.json" ||
  tb_fail "vpnctl log -f --user alice did not stream alice's session down line"
grep -q '"user":"bob@example.com"' "$TB_RESULTS/follow-alice.json" &&
  tb_fail "vpnctl log -f --user alice streamed a line of bob's"
kill "$follower" 2> /dev/null || true
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "expected bob's session only"
tb_exec c2 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "bob lost his tunnel when alice was terminated"

# ---- debug levels, live ---------------------------------------------------------------------
# The test configuration starts ikev2 at debug 2; off first, then on again.
proposal_lines() { grep -c "selected proposal [0-9]* (ike-proposal 'modern')" "$TB_RESULTS/vpnd.log" || true; }
vpnctl debug ikev2 0 | grep -Eq '^ikev2 +0$' || tb_fail "vpnctl debug ikev2 0 did not report the level"
before=$(proposal_lines)
ss_client_up alice vpn || tb_fail "alice could not connect again"
[ "$(proposal_lines)" = "$before" ] || tb_fail "debug lines still logged at ikev2 debug level 0"
vpnctl terminate alice@example.com > /dev/null || tb_fail "terminate alice (second time) failed"
tb_wait 20 ike_sa_gone alice
vpnctl debug ikev2 2 | grep -Eq '^ikev2 +2$' || tb_fail "vpnctl debug ikev2 2 did not report the level"
vpnd_log_has "debug level of ikev2 set to 2 by uid 0"
ss_client_up alice vpn || tb_fail "alice could not connect a third time"
[ "$(proposal_lines)" -gt "$before" ] || tb_fail "no debug line after vpnctl debug ikev2 2"

# ---- terminate by address and --all -----------------------------------------------------------
vpnctl terminate "$vip_b" | grep -q "user bob@example.com" || tb_fail "terminate $vip_b did not end bob's session"
vpnd_log_has "session down: user bob@example.com, address $vip_b: terminated by operator"
vpnctl terminate --all | grep -q "user alice@example.com" || tb_fail "terminate --all did not end alice's session"
tb_wait 20 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "sessions left after terminate --all"
[ "$(pool_get 'p["used"]')" = 0 ] || tb_fail "leases left after terminate --all: $(pool_json)"
if vpnctl terminate bob@example.com 2> "$TB_RESULTS/terminate-none.txt"; then
  tb_fail "terminate of a user without a session succeeded"
fi
grep -q "no such session" "$TB_RESULTS/terminate-none.txt" || tb_fail "terminate without a session does not say so"
vpnd_stop
