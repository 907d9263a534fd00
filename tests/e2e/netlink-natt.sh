#!/bin/bash
# NAT traversal through vpnd's netlink library: an SA pair with UDP
# encapsulation carries ESP in UDP on port 4500 (checked with tshark), and
# when a NAT changes the peer's source port the kernel's MAPPING event reaches
# the library's monitor with the old and new address and port.
#
# Usage: VPND_BUILD=DIR tests/testbed/run tests/e2e/netlink-natt.sh
here=$(dirname "$(readlink -f "$0")")
. "$here/../unit/netlink/e2e-lib.sh"

key() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
REQID=$((0x76700020))

# The kernel decapsulates ESP in UDP only on a socket with UDP_ENCAP set
# (what IKE daemons open on port 4500); hold one open in each namespace.
encap_socket() {
  ip netns exec "$(nl_ns "$1")" "$NL_PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 4500))
s.setsockopt(socket.IPPROTO_UDP, 100, 2)   # UDP_ENCAP, UDP_ENCAP_ESPINUDP
print("ready", flush=True)
time.sleep(600)' > "$NL_TMP/encap-$1" &
  TB_PIDS+=($!)
}

nl_check "topology" nl_topology
nl_check "policies" nl_policies $REQID
nl_check "SA pair with UDP encapsulation 4500 -> 4500" \
  nl_sa_pair 0x3001 0x3002 $REQID --aead "$(key 20)" --replay 32 --encap 4500 4500
encap_socket L
encap_socket R
nl_check "encapsulation sockets open" nl_wait_for "$NL_TMP/encap-L" 10 ready
nl_wait_for "$NL_TMP/encap-R" 10 ready > /dev/null

info=$(nl_tool R sa-get 198.51.100.2 0x3001)
nl_check "the library reads the encapsulation back" \
  test "$(nl_kv "$info" encap) $(nl_kv "$info" encap_sport) $(nl_kv "$info" encap_dport)" = "yes 4500 4500"

tb_capture_start r nl-r natt      # the test bed's capture: it loses no packet at stop
nl_check "ping over ESP in UDP" nl_ping 3
tb_capture_stop natt > /dev/null
in_udp=$(tb_capture_fields natt "udp.port == 4500 && esp" esp.spi | wc -l)
bare=$(tb_capture_fields natt "esp && !udp" esp.spi | wc -l)
echo "# captured: $in_udp ESP-in-UDP packets, $bare bare ESP packets"
nl_check "ESP travels in UDP port 4500 (both directions)" test "$in_udp" -ge 6
nl_check "no bare ESP on the wire" test "$bare" -eq 0
spis=$(tb_capture_fields natt "udp.port == 4500 && esp" esp.spi | sort -u | tr '\n' ' ')
nl_check "tshark sees both SPIs ($spis)" grep -q "0x00003001 0x00003002" <<< "$spis"

# --- NAT rebinding: the left side's source port changes to 4501 ------------
nl_tool R monitor --count 1 --timeout 60 > "$NL_TMP/monitor" 2>&1 &
TB_PIDS+=($!)
nl_check "monitor subscribed" nl_wait_for "$NL_TMP/monitor" 30 ready
ip netns exec "$NL_L" nft -f - <<'NFT'
table ip natt-test {
  chain post {
    type nat hook postrouting priority srcnat;
    udp sport 4500 snat to 198.51.100.1:4501
  }
}
NFT
nl_ping 1 > /dev/null
nl_check "MAPPING event with old and new port" nl_wait_for "$NL_TMP/monitor" 30 \
  "mapping spi=0x00003001 reqid=$REQID old=198.51.100.1:4500 new=198.51.100.1:4501"

nl_finish
