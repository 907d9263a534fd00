#!/bin/bash
# vpnd's IKEv1 responder against strongSwan's charon in IKEv1 Main Mode:
# the pre-shared key is found by the client's address (the wildcard
# peer-address 0.0.0.0/0), then XAuth (xauth-generic) with a local user and
# Mode Config pull: the client gets an address from the pool and the DNS
# server, pings srv through vpnd's ESP SAs (their counters move) and
# `vpnctl sessions` lists the IKEv1 session; `vpnctl terminate` ends it
# (DELETE: the client drops its SAs too).  A client with another key gets
# no phase 1 and vpnd says why.  A client whose Quick Mode claims another
# address than the one it was assigned is refused.  Then the same with Mode Config
# push (vpnd sends SET, the client ACKs), ended by the client.
# e2e-timeout: 500
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

KEY=ikev1-main-mode-key-81c3
PASSWORD=alice-xauth-pw-4e
DNS=198.51.100.53
tb_topology_remote_access --direct 1
hash=$(openssl passwd -6 "$PASSWORD")

# write_conf MODE: the configuration with mode-config MODE (pull or push).
write_conf() {
  vpnd_write_conf <<CONF
ike-proposals = ( { name = "mm"; encryption = ["aes128"]; integrity = ["sha1"]; dh-group = [14]; } );
esp-proposals = ( { name = "esp"; encryption = ["aes128"]; integrity = ["sha1"]; } );
pools = ( { name = "mm-pool"; range = "10.5.0.10-10.5.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "mm-policy"; dns = ["$DNS"]; protocols = ["ikev1"]; } );
users = ( { name = "alice"; password-hash = "$hash"; } );
tunnel-groups = ( { name = "mm"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    peer-address = ["0.0.0.0/0"]; address-pool = "mm-pool"; group-policy = "mm-policy";
                    ike-proposals = ["mm"]; esp-proposals = ["esp"]; mode-config = "$1"; } );
CONF
}

# check_tunnel MODE END: the client is up; everything the test asserts; then
# the session ends by the client (END client) or by `vpnctl terminate` (operator).
check_tunnel() {
  local vip in out n spi
  vip=$(ss_client_vip alice) || tb_fail "alice got no virtual IP ($1)"
  [[ $vip == 10.5.0.1[0-9] || $vip == 10.5.0.20 ]] || tb_fail "virtual IP $vip is not from the pool ($1)"
  tb_exec c1 ip -4 addr show | grep -q "inet $vip/" || tb_fail "virtual IP $vip is not on an interface of c1"
  if [ "$1" = pull ]; then
    [ "$(ss_client_dns alice)" = "$DNS" ] || tb_fail "alice installed DNS '$(ss_client_dns alice)', expected $DNS"
  fi
  tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-$1.log" ||
    tb_fail "c1 cannot ping $TB_SRV_ADDR through the tunnel ($1)"
  read -r in out <<< "$(ss_child_spis alice)"
  for spi in "$in" "$out"; do
    n=$(tb_xfrm_packets gw "$spi")
    [ -n "$n" ] || tb_fail "gw has no xfrm state with SPI $spi"
    [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi carried $n packets, expected at least 3"
    tb_log "gw: SA $spi carried $n packets ($1)"
  done
  [ "$(vpnd_session_field "$vip" user)" = alice ] || tb_fail "vpnctl sessions: no session of alice with $vip"
  [ "$(vpnd_session_field "$vip" protocol)" = IKEv1 ] || tb_fail "the session is not IKEv1"
  [ "$(vpnd_session_field "$vip" tunnel_group)" = mm ] || tb_fail "the session is not in tunnel group mm"
  vpnd_log_has "received Main Mode \[ SA V"
  vpnd_log_has "Main Mode from ${TB_ADDR[c1]}:[0-9]+: tunnel group mm by peer address"
  vpnd_log_has "ISAKMP SA established \(Main Mode\): peer ${TB_ADDR[c1]}:[0-9]+, tunnel group mm"
  vpnd_log_has "Xauth: user alice authenticated"
  vpnd_log_has "IPsec SA installed: spi in $out out $in"
  vpnd_log_has "session up: user alice, address $vip"
  if [ "$2" = operator ]; then
    # The operator ends it: vpnd sends DELETE, the client drops its SAs.
    vpnctl terminate "$vip" > "$TB_RESULTS/terminate.txt" || tb_fail "vpnctl terminate $vip failed"
    vpnd_log_has "session down: user alice, address $vip: terminated by operator"
    tb_wait 30 client_has_no_sa
  else
    ss_client_down alice vpn || tb_fail "the client could not close its tunnel ($1)"
    vpnd_log_has "session down: user alice, address $vip: deleted by the client"
  fi
  tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
  [ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw still has policies after the session ended ($1)"
  [ "$(vpnd_session_count)" -eq 0 ] || tb_fail "a session is still listed ($1)"
}
client_has_no_sa() { ! ss_client_sas alice | grep -q "ESTABLISHED\|INSTALLED"; }

write_conf pull
vpnd_start
ss_client_start c1 alice
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --version 1 --psk client.example.org "$KEY" \
  --xauth alice "$PASSWORD" --ike aes128-sha1-modp2048 --esp aes128-sha1 --remote-ts "$TB_PROTECTED_NET"
ss_client_up alice vpn || tb_fail "the tunnel did not come up (Mode Config pull)"
check_tunnel pull operator
vpnd_log_has "Mode Config pull: reply sent: address"

# ---- a client with another pre-shared key: no phase 1 ---------------------------------------
ss_client_conn alice wrongkey --remote "$TB_GW_ADDR" --version 1 --psk wrong.example.org "not-$KEY" \
  --xauth alice "$PASSWORD" --ike aes128-sha1-modp2048 --esp aes128-sha1 --remote-ts "$TB_PROTECTED_NET"
ss_client_up alice wrongkey 20 && tb_fail "a client with a wrong pre-shared key got a tunnel"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c1]}:[0-9]+, tunnel group mm: Main Mode message 5 does not decrypt \(the pre-shared keys differ\)" 30
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after a failed Main Mode"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "a session exists after a failed Main Mode"

# ---- a client that claims an address it was not given: no IPsec SA -----------------------
# Phase 1, Xauth and Mode Config succeed (it is alice, with her password);
# its Quick Mode names 10.5.0.19 instead of the address Mode Config gave
# it. vpnd refuses (INVALID-ID-INFORMATION): one user must not take over
# another's address.
ss_client_conn alice liar --remote "$TB_GW_ADDR" --version 1 --psk client.example.org "$KEY" \
  --xauth alice "$PASSWORD" --ike aes128-sha1-modp2048 --esp aes128-sha1 --remote-ts "$TB_PROTECTED_NET" \
  --local-ts 10.5.0.19/32
ss_client_up alice liar 30 && tb_fail "a client that claims 10.5.0.19 got an IPsec SA"
vpnd_log_has "Quick Mode refused: user alice claims 10.5.0.19(/32)?, but was assigned 10.5.0.1[0-9]: INVALID-ID-INFORMATION" 30 ||
  tb_fail "vpnd did not refuse the Quick Mode for another address (or did not say so)"
ip -n "$(tb_ns gw)" xfrm state list | grep -q "proto esp" && tb_fail "gw has an ESP SA for a client that claimed another address"
ss_client_down alice liar > /dev/null 2>&1 || true
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw has policies for a client that claimed another address"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "a session exists for a client that claimed another address"

# ---- Mode Config push ---------------------------------------------------------------------
vpnd_stop
mv "$TB_RESULTS/vpnd.log" "$TB_RESULTS/vpnd-pull.log"
write_conf push
vpnd_start
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --version 1 --psk client.example.org "$KEY" \
  --xauth alice "$PASSWORD" --ike aes128-sha1-modp2048 --esp aes128-sha1 --remote-ts "$TB_PROTECTED_NET" \
  --set pull=no
ss_client_up alice vpn || tb_fail "the tunnel did not come up (Mode Config push)"
vpnd_log_has "sending TRANSACTION 0x[0-9a-f]+ \[ HASH CPS\(ADDR MASK"
vpnd_log_has "Mode Config push: peer accepted the address"
check_tunnel push client
vpnd_stop
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after vpnd stopped"
