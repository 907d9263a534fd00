#!/bin/bash
# Pool exhaustion: a 2-address pool and three road warriors.  The first two
# get the two addresses and ping srv; the third gets INTERNAL_ADDRESS_FAILURE
# (its charon says so), vpnd logs that the pool is exhausted, and nothing of
# the third reaches the kernel.  When the first leaves, its address is free
# again and the third gets it.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-pool-key-9a13
tb_topology_remote_access --direct 3

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "tiny"; range = "10.3.0.10-10.3.0.11"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; dns = ["198.51.100.53"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    group-policy = "gp"; address-pool = "tiny"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start

for i in 1 2 3; do
  ss_client_start "c$i" "u$i"
  ss_client_conn "u$i" vpn --remote "$TB_GW_ADDR" --psk "u$i@example.com" "$PSK" \
    --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
done

declare -A vip
for i in 1 2; do
  ss_client_up "u$i" vpn || tb_fail "client $i did not get a tunnel"
  vip[$i]=$(ss_client_vip "u$i") || tb_fail "client $i got no virtual IP"
  tb_exec "c$i" ping -c 1 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "client $i cannot ping srv"
done
[ "${vip[1]}" != "${vip[2]}" ] || tb_fail "both clients got ${vip[1]}"
[ "$(vpnd_session_count)" -eq 2 ] || tb_fail "vpnd does not list two sessions"

ss_client_up u3 vpn 30 && tb_fail "client 3 got a tunnel from an exhausted pool"
grep -q "INTERNAL_ADDRESS_FAILURE" "$TB_RESULTS/ss-u3/charon.log" ||
  tb_fail "client 3 did not receive INTERNAL_ADDRESS_FAILURE"
vpnd_log_has "pool 'tiny' exhausted \(2 addresses in use\)"
vpnd_log_has "no address for u3@example.com: pool 'tiny' exhausted .*INTERNAL_ADDRESS_FAILURE"
[ "$(tb_xfrm_state_count gw)" -eq 4 ] || tb_fail "gw has $(tb_xfrm_state_count gw) xfrm states, expected 4"
[ "$(vpnd_session_count)" -eq 2 ] || tb_fail "the refused client has a session"

# The first leaves; its address goes to the third.
ss_client_down u1 vpn || tb_fail "client 1 could not close its tunnel"
tb_wait 30 bash -c "[ \"\$(ip -n '$(tb_ns gw)' xfrm state list | grep -c '^src ')\" -eq 2 ]"
# charon keeps its IKE SA without a CHILD SA; vpnd does not create CHILD
# SAs on an existing IKE SA yet (CREATE_CHILD_SA), so the client starts over.
ss_client_down u3 vpn || tb_fail "client 3 could not close its IKE SA"
vpnd_log_has "IKE_SA deleted: deleted by the client"
ss_client_up u3 vpn || tb_fail "client 3 got no tunnel after client 1 left"
v3=$(ss_client_vip u3) || tb_fail "client 3 got no virtual IP"
[ "$v3" = "${vip[1]}" ] || tb_fail "client 3 got $v3, expected the freed ${vip[1]}"
tb_exec c3 ping -c 1 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "client 3 cannot ping srv"
