#!/bin/bash
# Test-bed smoke test: the kernel does ESP.  Two hosts with static ESP
# tunnel-mode SAs (AES-GCM) and policies set by `ip xfrm` ping each other's
# inner addresses; the SAs' packet counters move, and a capture between them
# shows ESP and never the clear ICMP.
set -euo pipefail
. "$(dirname "$0")/../testbed/lib.sh"
tb_init

# a and b meet on a switch; a capture on its port to b sees only the wire.
tb_switch wire
tb_host a
tb_host b
tb_switch_port wire a eth0 198.51.100.1/24
tb_switch_port wire b eth0 198.51.100.2/24
tb_exec a ip addr add 10.1.0.1/32 dev lo
tb_exec b ip addr add 10.2.0.1/32 dev lo
tb_exec a ip route add 10.2.0.0/24 via 198.51.100.2 src 10.1.0.1
tb_exec b ip route add 10.1.0.0/24 via 198.51.100.1 src 10.2.0.1

# One SA per direction, the same on both hosts.
key_ab=0x1111111111111111111111111111111111111111111111111111111111111111aabbccdd
key_ba=0x2222222222222222222222222222222222222222222222222222222222222222eeff0011
for h in a b; do
  tb_exec $h ip xfrm state add src 198.51.100.1 dst 198.51.100.2 proto esp \
    spi 0x1001 reqid 1 mode tunnel replay-window 32 \
    aead 'rfc4106(gcm(aes))' $key_ab 128
  tb_exec $h ip xfrm state add src 198.51.100.2 dst 198.51.100.1 proto esp \
    spi 0x1002 reqid 1 mode tunnel replay-window 32 \
    aead 'rfc4106(gcm(aes))' $key_ba 128
done
policy() { # HOST DIR SRC DST TUNNEL_SRC TUNNEL_DST
  tb_exec "$1" ip xfrm policy add dir "$2" src "$3" dst "$4" \
    tmpl src "$5" dst "$6" proto esp reqid 1 mode tunnel
}
policy a out 10.1.0.0/24 10.2.0.0/24 198.51.100.1 198.51.100.2
policy a in 10.2.0.0/24 10.1.0.0/24 198.51.100.2 198.51.100.1
policy b out 10.2.0.0/24 10.1.0.0/24 198.51.100.2 198.51.100.1
policy b in 10.1.0.0/24 10.2.0.0/24 198.51.100.1 198.51.100.2

tb_capture_start wire p-b wire

tb_assert tb_exec a ping -c 3 -i 0.2 -W 5 -I 10.1.0.1 10.2.0.1 > "$TB_RESULTS/ping.log"

tb_capture_stop wire > /dev/null

out_a=$(tb_xfrm_packets a 0x1001)
in_b=$(tb_xfrm_packets b 0x1001)
out_b=$(tb_xfrm_packets b 0x1002)
in_a=$(tb_xfrm_packets a 0x1002)
tb_log "packets a->b: sent $out_a received $in_b; b->a: sent $out_b received $in_a"
[ "$out_a" -ge 3 ] && [ "$in_b" -ge 3 ] || tb_fail "SA 0x1001 counters did not move"
[ "$out_b" -ge 3 ] && [ "$in_a" -ge 3 ] || tb_fail "SA 0x1002 counters did not move"

# One tshark run (it takes seconds to start under emulation): the protocol
# stack of every packet on the wire.
tb_capture_fields wire 'esp || icmp' frame.protocols > "$TB_RESULTS/wire.txt"
esp=$(grep -c ':esp' "$TB_RESULTS/wire.txt" || true)
icmp=$(grep -c ':icmp' "$TB_RESULTS/wire.txt" || true)
tb_log "capture: $esp ESP packets, $icmp clear ICMP packets"
[ "$esp" -ge 6 ] || tb_fail "expected at least 6 ESP packets on the wire, saw $esp"
[ "$icmp" -eq 0 ] || tb_fail "$icmp ICMP packets crossed the wire in clear"
