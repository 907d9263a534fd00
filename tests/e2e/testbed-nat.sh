#!/bin/bash
# Test-bed smoke test: the standard remote-access topology puts a client
# behind a masquerading NAT router.  The client (192.0.2.10) reaches the
# gateway, and on the gateway's wire its ICMP and UDP (NAT-T port) packets
# carry the router's public address, never the client's.  The gateway has no
# route back to 192.0.2.0/24, so the replies arriving prove the reverse
# translation too.
set -euo pipefail
. "$(dirname "$0")/../testbed/lib.sh"
tb_init

tb_topology_remote_access --direct 1 --nat 1

tb_capture_start gw out wire

tb_assert tb_exec n1 ping -c 2 -i 0.2 -W 5 "$TB_GW_ADDR" > "$TB_RESULTS/ping-n1.log"
tb_assert tb_exec c1 ping -c 1 -W 5 "$TB_GW_ADDR" > "$TB_RESULTS/ping-c1.log"
# A datagram to the NAT-T port, as an IKE client behind NAT would send.
tb_exec n1 bash -c "echo probe > /dev/udp/$TB_GW_ADDR/4500"
# The protected host is behind the gateway, not reachable without a VPN.
if tb_exec n1 ping -c 1 -W 1 "$TB_SRV_ADDR" > /dev/null 2>&1; then
  tb_fail "the protected host answered a client without a VPN"
fi
tb_assert tb_exec gw ping -c 1 -W 5 "$TB_SRV_ADDR" > /dev/null

tb_capture_stop wire > /dev/null

# One tshark run: source, destination and protocol of every IPv4 packet
# addressed to the gateway.
tb_capture_fields wire "ip.dst == $TB_GW_ADDR" ip.src ip.proto udp.dstport \
  > "$TB_RESULTS/wire.txt"
count() { awk -v src="$1" -v proto="$2" '$1 == src && $2 == proto' "$TB_RESULTS/wire.txt" | wc -l; }
icmp_nat=$(count "$TB_NAT_PUBLIC" 1)
udp_nat=$(awk -v src="$TB_NAT_PUBLIC" '$1 == src && $2 == 17 && $3 == 4500' "$TB_RESULTS/wire.txt" | wc -l)
icmp_direct=$(count "${TB_ADDR[c1]}" 1)
leaked=$(awk '$1 ~ /^192\.0\.2\./' "$TB_RESULTS/wire.txt" | wc -l)
tb_log "at the gateway: $icmp_nat ICMP and $udp_nat UDP/4500 from the NAT router," \
  "$icmp_direct ICMP from the direct client, $leaked with the private source"
[ "$icmp_nat" -ge 2 ] || tb_fail "the client's pings did not arrive translated to $TB_NAT_PUBLIC"
[ "$udp_nat" -ge 1 ] || tb_fail "the client's UDP/4500 did not arrive translated"
[ "$icmp_direct" -ge 1 ] || tb_fail "the direct client's ping did not arrive with its own address"
[ "$leaked" -eq 0 ] || tb_fail "$leaked packets reached the gateway with the private source address"
