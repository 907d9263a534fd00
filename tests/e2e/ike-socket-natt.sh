#!/bin/bash
# The IKE sockets on a kernel with ESP, between two namespaces (the netlink
# tests' topology): vpnd's sockets (ike-socket-tool) on the right answer IKE
# on 500 and, with the non-ESP marker, on 4500, while the kernel decapsulates
# ESP in UDP arriving on the same 4500 socket (a ping through an SA pair with
# UDP encapsulation); and when the right side has vpnd-style policies that
# send everything through ESP, IKE still passes in clear (the sockets' bypass
# policies) while a plain socket's traffic does not.
#
# Usage: VPND_BUILD=DIR tests/testbed/run tests/e2e/ike-socket-natt.sh
here=$(dirname "$(readlink -f "$0")")
. "$here/../unit/netlink/e2e-lib.sh"

IS_TOOL=$(realpath "$TB_BUILD")/tests/unit/ike-socket/ike-socket-tool
[ -x "$IS_TOOL" ] || tb_fail "$IS_TOOL missing (build it first)"

key() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
REQID=$((0x76700040))

# An IKE peer on the left: sends one IKE-like message from SPORT to the
# right's DPORT (with the non-ESP marker when MARKER is 1) and checks the
# answer: "reply:" and the message, from the address and port it went to.
# peer SPORT DPORT MARKER TAG
peer() {
  ip netns exec "$NL_L" "$NL_PY" - "$@" <<'PY'
import socket, sys
sport, dport, marker, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
msg = bytes([0x80]) + (tag.encode() * 40)[:39]          # 40 bytes, non-zero SPI
frame = b"\0\0\0\0" if marker else b""
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.1", sport))
s.settimeout(5)
s.sendto(frame + msg, ("198.51.100.2", dport))
try:
    data, src = s.recvfrom(2048)
except socket.timeout:
    print("# no answer"); sys.exit(1)
want = frame + b"reply:" + msg
if src != ("198.51.100.2", dport) or data != want:
    print("# answer from %s: %r" % (src, data)); sys.exit(1)
PY
}

# Sends raw datagrams from the left to the right's port: raw PORT HEX...
raw() {
  ip netns exec "$NL_L" "$NL_PY" - "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for h in sys.argv[2:]:
    s.sendto(bytes.fromhex(h), ("198.51.100.2", int(sys.argv[1])))
PY
}

# A plain UDP socket on the right sends to a listener on the left; 0 when
# the listener got it within 2 s.
plain_reaches_left() {
  ip netns exec "$NL_L" "$NL_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.1", 7000)); s.settimeout(2)
print("ready", flush=True)
try:
    s.recvfrom(100); print("got")
except socket.timeout:
    print("nothing")' > "$NL_TMP/plain" &
  local pid=$!
  nl_wait_for "$NL_TMP/plain" 10 ready > /dev/null
  ip netns exec "$NL_R" "$NL_PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b"plain", ("198.51.100.1", 7000))
except OSError as e:
    print("# plain send: %s" % e)'
  wait $pid
  grep -q '^got' "$NL_TMP/plain"
}
plain_blocked() { ! plain_reaches_left; }

nl_check "topology" nl_topology
nl_check "policies" nl_policies $REQID
nl_check "SA pair with UDP encapsulation 4500 -> 4500" \
  nl_sa_pair 0x4001 0x4002 $REQID --aead "$(key 20)" --replay 32 --encap 4500 4500

# The right: vpnd's IKE sockets, the only sockets on 500 and 4500 there.
ip netns exec "$NL_R" "$IS_TOOL" 198.51.100.2 500 4500 3 300 > "$NL_TMP/tool" 2>&1 &
TOOL=$!
TB_PIDS+=($TOOL)
nl_check "IKE sockets open" nl_wait_for "$NL_TMP/tool" 30 ready

# The left decapsulates ESP in UDP on its own 4500 socket; its IKE on NAT-T
# comes from 4501, as if through a NAT.
ip netns exec "$NL_L" "$NL_PY" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 4500))
s.setsockopt(socket.IPPROTO_UDP, 100, 2)   # UDP_ENCAP, UDP_ENCAP_ESPINUDP
print("ready", flush=True)
time.sleep(600)' > "$NL_TMP/encap-L" &
TB_PIDS+=($!)
nl_check "left encapsulation socket open" nl_wait_for "$NL_TMP/encap-L" 10 ready

nl_check "IKE on 500 answered from 198.51.100.2:500" peer 500 500 0 a
nl_check "IKE on 4500 (marker) answered from 198.51.100.2:4500 with the marker" peer 4501 4500 1 b
# A keepalive (the kernel eats it) and 8 bytes behind a non-zero SPI (too
# short for the kernel's ESP: ours to drop and count).
raw 4500 ff 0102030405060708
nl_check "ping over ESP in UDP, decapsulated on vpnd's 4500 socket" nl_ping 3

nl_check "a plain socket reaches the left (before the policies)" plain_reaches_left

# vpnd-style policies on the right that send everything to and from the left
# through ESP (with no SA behind them): IKE must still pass in clear.
ip -n "$NL_R" xfrm policy add dir out src 0.0.0.0/0 dst 198.51.100.1/32 priority 1000 \
  tmpl src 198.51.100.2 dst 198.51.100.1 proto esp reqid 77 mode tunnel
ip -n "$NL_R" xfrm policy add dir in src 198.51.100.1/32 dst 0.0.0.0/0 priority 1000 \
  tmpl src 198.51.100.1 dst 198.51.100.2 proto esp reqid 77 mode tunnel
nl_check "a plain socket's datagram is caught by the policy" plain_blocked
nl_check "IKE on 500 still answered in clear (bypass policies)" peer 500 500 0 c

nl_check "the tool saw its 3 messages" wait $TOOL
cat "$NL_TMP/tool"
recv=$(grep '^recv' "$NL_TMP/tool")
nl_check "500: local and remote addresses" \
  grep -q "recv local=198.51.100.2:500 remote=198.51.100.1:500 natt=0 len=40 send=0" <<< "$recv"
nl_check "4500: local and remote addresses, marker stripped" \
  grep -q "recv local=198.51.100.2:4500 remote=198.51.100.1:4501 natt=1 len=40 send=0" <<< "$recv"
stats=$(grep '^stats' "$NL_TMP/tool")
nl_check "counters: 3 received, 3 sent, 1 ESP dropped, nothing malformed" \
  grep -q "stats received=3 sent=3 malformed=0 keepalive=0 esp=1 " <<< "$stats"

nl_finish
