#!/bin/bash
# INITIAL_CONTACT (RFC 7296 2.4): a client that comes back without its old
# IKE SA (here: a second charon with the same identity, as after a reboot)
# sends N(INITIAL_CONTACT) in IKE_AUTH; vpnd ends the identity's earlier
# session in the tunnel group -- SAs, policies, route, lease -- without a
# DELETE (the old client is not told), logs it, and the new session gets the
# pool's only address.
# e2e-timeout: 240
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-initial-contact-key-5b7e
tb_topology_remote_access --direct 2

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "one"; range = "10.3.0.10-10.3.0.10"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    group-policy = "gp"; address-pool = "one"; ike-proposals = ["modern"];
                    esp-proposals = ["cbc"]; dpd-interval = 0; } );
CONF
vpnd_start

# charon sends INITIAL_CONTACT when it names the responder (IDr) and has no
# IKE SA with it.
for n in 1 2; do
  ss_client_start "c$n" "boot$n"
  ss_client_conn "boot$n" vpn --remote "$TB_GW_ADDR" --remote-id "$TB_GW_ADDR" --psk roamer@example.com "$PSK" \
    --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
done
ss_client_up boot1 vpn || tb_fail "the first tunnel did not come up"
[ "$(ss_client_vip boot1)" = 10.3.0.10 ] || tb_fail "the first client did not get 10.3.0.10"
tb_exec c1 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "no ping from the first client"
vpnd_log_has "received IKE_AUTH request 1 \\[ IDi N\\(INIT_CONTACT\\) IDr AUTH "
grep -q "ending the earlier session" "$TB_RESULTS/vpnd.log" &&
  tb_fail "the first contact ended a session"
read -r old_in old_out <<< "$(ss_child_spis boot1)"

# ---- the same identity comes back from elsewhere --------------------------------------------
ss_client_up boot2 vpn || tb_fail "the returning client could not connect (its old session keeps the address?)"
vpnd_log_has "INITIAL_CONTACT from ${TB_ADDR[c2]}:[0-9]+: ending the earlier session 1 of 'roamer@example.com' \\(from ${TB_ADDR[c1]}:[0-9]+\\)"
vpnd_log_has "session down: user roamer@example.com, address 10.3.0.10: replaced: the client made initial contact again"
[ "$(ss_client_vip boot2)" = 10.3.0.10 ] || tb_fail "the returning client did not get 10.3.0.10"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "vpnd lists $(vpnd_session_count) sessions, expected 1"
[[ "$(vpnd_session_field 10.3.0.10 public_address)" == "${TB_ADDR[c2]}:"* ]] ||
  tb_fail "the session is not the returning client's"
for spi in "$old_in" "$old_out"; do
  [ -z "$(tb_exec gw ip xfrm state list spi "$spi")" ] || tb_fail "the old session's SA $spi stays on gw"
done
[ "$(tb_xfrm_state_count gw)" -eq 2 ] || tb_fail "gw has $(tb_xfrm_state_count gw) xfrm states, expected 2"
[ "$(tb_xfrm_policy_count gw)" -eq 3 ] || tb_fail "gw has $(tb_xfrm_policy_count gw) policies, expected 3"
# No DELETE went to the first client: its charon still has its IKE SA.
ss_client_sas boot1 --raw | grep -q "state=ESTABLISHED" || tb_fail "the first client was told (it lost its IKE SA)"
tb_exec c2 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping.log" || tb_fail "no ping from the returning client"
