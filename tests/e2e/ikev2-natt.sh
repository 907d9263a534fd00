#!/bin/bash
# A road warrior behind the NAT router: vpnd detects the NAT in IKE_SA_INIT,
# the client floats to port 4500, and vpnd installs ESP-in-UDP SAs toward
# the NAT router's public address (our port 4500, the client's mapped port);
# the client pings srv through them and the counters move.
# e2e-timeout: 300
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-natt-key-3f02
tb_topology_remote_access --direct 0 --nat 1

vpnd_write_conf <<CONF
ike-proposals = ( { name = "gcm"; encryption = ["aes128gcm16"]; prf = ["sha256"]; dh-group = [31, 19]; } );
esp-proposals = ( { name = "gcm"; encryption = ["aes128gcm16"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; dns = ["198.51.100.53"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    group-policy = "gp"; address-pool = "rw-pool"; ike-proposals = ["gcm"]; esp-proposals = ["gcm"]; } );
CONF
vpnd_start

ss_client_start n1 natted
ss_client_conn natted vpn --remote "$TB_GW_ADDR" --psk natted@example.com "$PSK" \
  --ike aes128gcm16-prfsha256-x25519 --esp aes128gcm16
ss_client_up natted vpn || tb_fail "the NAT'ed client's tunnel did not come up"
echo "handshake behind NAT: ${SS_UP_SECONDS}s" > "$TB_RESULTS/times.txt"
vip=$(ss_client_vip natted) || tb_fail "no virtual IP"
vpnd_log_has "NAT detected \(peer behind NAT\)"
vpnd_log_has "IKE_SA established: peer $TB_NAT_PUBLIC:[0-9]+, identity 'natted@example.com', tunnel group rw, .*NAT-T"

tb_exec n1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping.log" || tb_fail "no ping through the tunnel"
read -r in out <<< "$(ss_child_spis natted)"
for spi in "$in" "$out"; do
  n=$(tb_xfrm_packets gw "$spi")
  [ -n "$n" ] && [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi carried '${n}' packets, expected at least 3"
  tb_exec gw ip xfrm state list spi "$spi" | grep -Eq 'encap type espinudp sport [0-9]+ dport [0-9]+' ||
    tb_fail "vpnd's SA $spi is not ESP in UDP"
done
# Outbound (the client's inbound SPI): to the NAT router, from our port 4500.
tb_exec gw ip xfrm state list spi "$in" | grep -Eq "src $TB_GW_ADDR dst $TB_NAT_PUBLIC" ||
  tb_fail "vpnd's outbound SA does not go to $TB_NAT_PUBLIC"
tb_exec gw ip xfrm state list spi "$in" | grep -Eq 'encap type espinudp sport 4500 dport [0-9]+' ||
  tb_fail "vpnd's outbound SA does not send from port 4500"
[ "$(vpnd_session_field "$vip" natt)" = True ] || tb_fail "vpnctl sessions does not say NAT-T"
vpnctl sessions | grep -q "IKEv2 NAT-T" || tb_fail "the sessions table does not show IKEv2 NAT-T"

ss_client_down natted vpn || tb_fail "the client could not close its tunnel"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
