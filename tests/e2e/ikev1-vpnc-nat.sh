#!/bin/bash
# vpnc behind a masquerading NAT router against vpnd's IKEv1 responder:
# NAT-D in Aggressive Mode messages 2 and 3 shows the NAT, vpnc floats to
# port 4500, vpnd installs UDP-encapsulated ESP SAs (RFC 3948) whose
# counters move when n1 pings srv, and `vpnctl sessions` shows the NAT's
# public address and NAT-T.  Then vpnc falls silent: vpnd's dead peer
# detection (RFC 3706 R-U-THERE, dpd-interval 5 s, dpd-retries 2) ends the
# session and removes its SAs.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/vpnc.sh"
. "$here/ikev2-common.bash"
tb_init

KEY=ikev1-nat-group-key-77
PASSWORD=alice-nat-pw-31
tb_topology_remote_access --direct 0 --nat 1
hash=$(openssl passwd -6 "$PASSWORD")

vpnd_write_conf <<CONF
ike-proposals = ( { name = "ezvpn"; encryption = ["aes128"]; integrity = ["sha1"]; dh-group = [2]; } );
esp-proposals = ( { name = "esp"; encryption = ["aes128"]; integrity = ["sha1"]; } );
pools = ( { name = "ez-pool"; range = "10.6.0.10-10.6.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "ez-policy"; protocols = ["ikev1"]; } );
users = ( { name = "alice"; password-hash = "$hash"; } );
tunnel-groups = ( { name = "ez"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "natgroup"; address-pool = "ez-pool"; group-policy = "ez-policy";
                    ike-proposals = ["ezvpn"]; esp-proposals = ["esp"]; dpd-interval = 5; dpd-retries = 2; } );
CONF
vpnd_start

vpnc_conf alice --gateway "$TB_GW_ADDR" --group natgroup --secret "$KEY" --user alice --password "$PASSWORD"
vpnc_up n1 alice || tb_fail "vpnc did not connect from behind the NAT"
addr=$(vpnc_env alice INTERNAL_IP4_ADDRESS)
[[ $addr == 10.6.0.* ]] || tb_fail "address '$addr' is not from the pool"
vpnd_log_has "NAT detected \(peer behind NAT\): NAT-T, ESP in UDP"
vpnd_log_has "session up: user alice, address $addr" 60
# Tunnel-all: vpnc routes everything but the gateway into the tunnel.
tb_exec n1 ping -c 3 -i 0.3 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping.log" ||
  tb_fail "n1 cannot ping $TB_SRV_ADDR through the tunnel"
line=$(grep -Eo "IPsec SA installed: spi in 0x[0-9a-f]+ out 0x[0-9a-f]+.*" "$TB_RESULTS/vpnd.log" | head -n 1)
[[ $line == *"ESP in UDP"* ]] || tb_fail "the IPsec SA is not UDP-encapsulated: $line"
read -r spi_in spi_out <<< "$(sed -E 's/.*in (0x[0-9a-f]+) out (0x[0-9a-f]+).*/\1 \2/' <<< "$line")"
for spi in "$spi_in" "$spi_out"; do
  n=$(tb_xfrm_packets gw "$spi")
  [ -n "$n" ] || tb_fail "gw has no xfrm state with SPI $spi"
  [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi carried $n packets, expected at least 3"
  tb_exec gw ip xfrm state list spi "$spi" | grep -q "encap type espinudp" ||
    tb_fail "vpnd's SA $spi is not ESP in UDP"
  tb_log "gw: SA $spi (ESP in UDP) carried $n packets"
done
[ "$(vpnd_session_field "$addr" natt)" = True ] || tb_fail "vpnctl sessions does not say NAT-T"
[[ "$(vpnd_session_field "$addr" public_address)" == "$TB_NAT_PUBLIC:"* ]] ||
  tb_fail "public address $(vpnd_session_field "$addr" public_address), expected the NAT's $TB_NAT_PUBLIC"

# ---- the client falls silent: dead peer detection ends its session -----------------------
# (SIGSTOP: vpnc neither answers R-U-THERE nor sends ESP, as if its
# network were cut; the NAT mapping stays, so our checks do reach it.)
kill -STOP "${VPNC_PID[alice]}"
vpnd_log_has "nothing from the client for 5 s: R-U-THERE [0-9]+ \(1 of 2\)" 60
vpnd_log_has "session down: user alice, address $addr: dead peer: 2 R-U-THERE unanswered, 5 s apart" 60
tb_wait 10 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw still has policies after the peer was declared dead"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "the dead peer's session is still listed"
kill -KILL "${VPNC_PID[alice]}" 2> /dev/null || true
vpnd_stop
