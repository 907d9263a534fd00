#!/bin/bash
# vpnd's IKEv1 responder against libreswan's pluto as an IKEv1 client
# (ikev2=no).  First Main Mode: the pre-shared key is found by the client's
# address (the wildcard peer-address 0.0.0.0/0), XAUTH with a local user,
# Mode Config pull: pluto hands its updown script the pool address, the
# DNS server, default domain and banner of the group policy; a ping to srv
# goes through vpnd's ESP SAs (the SPIs pluto shows, their counters move);
# `vpnctl sessions` lists the IKEv1 session; the client's terminate (DELETE)
# removes every SA, policy and the session.  Then Aggressive Mode with the
# group name as ID_KEY_ID (leftid=@[group]), XAUTH, Mode Config push
# (vpnd sends SET, pluto ACKs): the same checks, ended by `vpnctl
# terminate` (vpnd's DELETE makes pluto take its address and SAs down;
# pluto then renegotiates, as it does for an IPsec SA deleted while in use,
# until the connection is unloaded).  libreswan asks for its configuration
# (REQUEST) even when the server pushes, and ACKs the SET it first dropped
# on the retransmission, padding the ACK's attribute payload.
# e2e-timeout: 500
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/libreswan.sh"
. "$here/ikev2-common.bash"
tb_init

KEY=ikev1-libreswan-key-2b7e
GROUP=lswgroup
PASSWORD=alice-xauth-pw-c41
DNS=198.51.100.53
DOMAIN=corp.example
BANNER="Authorised use only"
tb_topology_remote_access --direct 1
hash=$(openssl passwd -6 "$PASSWORD")

tb_exec c1 ping -c 1 -W 1 "$TB_SRV_ADDR" > /dev/null 2>&1 &&
  tb_fail "c1 reaches the protected host without a tunnel"

vpnd_write_conf <<CONF
ike-proposals = ( { name = "v1"; encryption = ["aes256", "aes128"]; integrity = ["sha256", "sha1"];
                    dh-group = [14]; } );
esp-proposals = ( { name = "esp"; encryption = ["aes256", "aes128"]; integrity = ["sha256", "sha1"]; } );
pools = ( { name = "lsw-pool"; range = "10.6.0.10-10.6.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "lsw-policy"; dns = ["$DNS"]; default-domain = "$DOMAIN"; banner = "$BANNER";
                     protocols = ["ikev1"]; } );
users = ( { name = "alice"; password-hash = "$hash"; } );
tunnel-groups = ( { name = "mm"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    peer-address = ["0.0.0.0/0"]; address-pool = "lsw-pool"; group-policy = "lsw-policy";
                    ike-proposals = ["v1"]; esp-proposals = ["esp"]; mode-config = "pull"; },
                  { name = "am"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "$GROUP"; address-pool = "lsw-pool"; group-policy = "lsw-policy";
                    ike-proposals = ["v1"]; esp-proposals = ["esp"]; mode-config = "push"; } );
CONF
vpnd_start

lsw_client_start c1 alice
lsw_secrets alice <<SECRETS
%any $TB_GW_ADDR : PSK "$KEY"
@alice : XAUTH "$PASSWORD"
SECRETS

# The connection both cases share: XAUTH and Mode Config client, the
# protected network behind gw, IKEv1 with the proposals vpnd has.
common=(ikev2=no authby=secret left="${TB_ADDR[c1]}" right="$TB_GW_ADDR" rightsubnet="$TB_PROTECTED_NET"
  leftxauthclient=yes leftusername=alice leftmodecfgclient=yes rightxauthserver=yes rightmodecfgserver=yes
  rekey=no)

# check_tunnel CONN TUNNEL-GROUP: what the client got and what went through.
check_tunnel() {
  local conn=$1 group=$2 vip in out spi n
  vip=$(lsw_env alice "$conn" PLUTO_MY_SOURCEIP)
  [[ $vip == 10.6.0.1[0-9] || $vip == 10.6.0.20 ]] || tb_fail "address '$vip' is not from the pool ($conn)"
  tb_exec c1 ip -4 addr show dev lo | grep -q "inet $vip/" || tb_fail "$vip is not on c1's lo ($conn)"
  [ "$(lsw_env alice "$conn" PLUTO_PEER_DNS_INFO)" = "$DNS" ] ||
    tb_fail "pluto got DNS '$(lsw_env alice "$conn" PLUTO_PEER_DNS_INFO)', expected $DNS ($conn)"
  [ "$(lsw_env alice "$conn" PLUTO_PEER_DOMAIN_INFO)" = "$DOMAIN" ] ||
    tb_fail "pluto got domain '$(lsw_env alice "$conn" PLUTO_PEER_DOMAIN_INFO)', expected $DOMAIN ($conn)"
  [ "$(lsw_env alice "$conn" PLUTO_PEER_BANNER)" = "$BANNER" ] ||
    tb_fail "pluto got banner '$(lsw_env alice "$conn" PLUTO_PEER_BANNER)', expected '$BANNER' ($conn)"
  tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-$conn.log" ||
    tb_fail "c1 cannot ping $TB_SRV_ADDR through the tunnel ($conn)"
  read -r in out <<< "$(lsw_child_spis alice "$conn")"
  [ -n "$out" ] || tb_fail "pluto shows no IPsec SA for $conn"
  for spi in "$in" "$out"; do
    n=$(tb_xfrm_packets gw "$spi")
    [ -n "$n" ] || tb_fail "gw has no xfrm state with SPI $spi ($conn)"
    [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi carried $n packets, expected at least 3 ($conn)"
    tb_log "gw: SA $spi carried $n packets ($conn)"
  done
  vpnctl sessions > "$TB_RESULTS/sessions-$conn.txt"
  [ "$(vpnd_session_field "$vip" user)" = alice ] || tb_fail "vpnctl sessions: no session of alice with $vip"
  [ "$(vpnd_session_field "$vip" protocol)" = IKEv1 ] || tb_fail "the session is not IKEv1 ($conn)"
  [ "$(vpnd_session_field "$vip" tunnel_group)" = "$group" ] || tb_fail "the session is not in tunnel group $group"
  vpnd_log_has "Xauth: user alice authenticated"
  vpnd_log_has "IPsec SA installed: spi in $out out $in"
  vpnd_log_has "session up: user alice, address $vip"
  CHECKED_VIP=$vip
}

# check_gone CONN: nothing of the session is left on either side.
no_sessions() { [ "$(vpnd_session_count)" -eq 0 ]; }
check_gone() {
  tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
  [ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw still has policies after the session ended ($1)"
  tb_wait 30 no_sessions
  tb_wait 30 test -e "$(lsw_dir alice)/updown-$1/env.down-client"
  ! tb_exec c1 ip -4 addr show dev lo | grep -q "inet $CHECKED_VIP/" || tb_fail "$CHECKED_VIP is still on c1 ($1)"
  # (An SPI pluto reserved for a Quick Mode it abandoned stays as a larval
  # transport-mode state until the kernel expires it: not a tunnel SA.)
  tb_wait 30 bash -c "! ip -n '$(tb_ns c1)' xfrm state list | grep -q 'mode tunnel'"
}

# ---- Main Mode, Mode Config pull, ended by the client ---------------------------------
lsw_conn alice mm "${common[@]}" modecfgpull=yes ike=aes128-sha1\;modp2048 phase2alg=aes128-sha1
lsw_up alice mm || tb_fail "the Main Mode tunnel did not come up"
check_tunnel mm mm
vpnd_log_has "received Main Mode \[ SA V"
vpnd_log_has "Main Mode from ${TB_ADDR[c1]}:500: tunnel group mm by peer address"
vpnd_log_has "ISAKMP SA established \(Main Mode\): peer ${TB_ADDR[c1]}:500, tunnel group mm"
vpnd_log_has "Mode Config pull: reply sent: address $CHECKED_VIP"
lsw_down alice mm || tb_fail "pluto could not terminate mm"
vpnd_log_has "session down: user alice, address $CHECKED_VIP: deleted by the client" 30
check_gone mm
lsw_conn_delete alice mm

# ---- Aggressive Mode with the group name, Mode Config push, ended by the operator -----
lsw_conn alice am "${common[@]}" aggressive=yes leftid=@[$GROUP] modecfgpull=no \
  ike=aes256-sha2_256\;modp2048 phase2alg=aes256-sha2_256
lsw_up alice am || tb_fail "the Aggressive Mode tunnel did not come up"
check_tunnel am am
vpnd_log_has "received Aggressive Mode \[ SA KE No ID"
vpnd_log_has "sending TRANSACTION 0x[0-9a-f]+ \[ HASH CPS\(ADDR MASK"
vpnd_log_has "Mode Config push: peer accepted the address"
read -r in out <<< "$(lsw_child_spis alice am)"
vpnctl terminate "$CHECKED_VIP" > "$TB_RESULTS/terminate.txt" || tb_fail "vpnctl terminate $CHECKED_VIP failed"
vpnd_log_has "session down: user alice, address $CHECKED_VIP: terminated by operator"
# pluto processes vpnd's DELETEs: its updown script takes the tunnel down.
tb_wait 30 test -e "$(lsw_dir alice)/updown-am/env.down-client"
grep -q 'received Delete SA payload' "$(lsw_dir alice)/pluto.log" || tb_fail "pluto did not see vpnd's DELETE"
for spi in "$in" "$out"; do
  [ -z "$(tb_exec gw ip xfrm state list spi "$spi")" ] || tb_fail "gw still has SA $spi after vpnctl terminate"
done
# pluto replaces an IPsec SA its peer deletes while it is in use (it may
# be negotiating a new tunnel now): unloading the connection ends that too.
lsw_conn_delete alice am
check_gone am

lsw_stop alice
vpnd_stop
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after vpnd stopped"
