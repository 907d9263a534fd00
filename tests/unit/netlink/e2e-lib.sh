# Sourced by tests/e2e/netlink-*.sh: two network namespaces joined by a veth
# pair, programmed only through xfrm-tool (vpnd's netlink library), plus
# small checks. Needs root and a kernel with ESP (tests/testbed/run).
#
#   left  (NL_L): 192.168.50.1 on nl-l, inner address 10.1.0.1 on lo
#   right (NL_R): 192.168.50.2 on nl-r, inner address 10.2.0.1 on lo
#   tunnel mode ESP between the outer addresses protects 10.1.0.1 <-> 10.2.0.1
#
# Output is TAP-like ("ok - ..." / "not ok - ..."); nl_finish exits 1 when any
# check failed.

set -uo pipefail

: "${VPND_BUILD:?set VPND_BUILD to the build directory}"
NL_TOOL=$(realpath "$VPND_BUILD")/tests/unit/netlink/xfrm-tool
[ -x "$NL_TOOL" ] || { echo "not ok - $NL_TOOL missing (build it first)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "not ok - needs root (run it through tests/testbed/run)"; exit 1; }

NL_L=vpnd-nl-l-$$
NL_R=vpnd-nl-r-$$
NL_TMP=$(mktemp -d)
NL_FAILED=0
NL_PIDS=()
NL_PY=/usr/bin/python3
[ -x "$NL_PY" ] || NL_PY=python3

nl_cleanup() {
  local p
  for p in "${NL_PIDS[@]}"; do kill "$p" 2> /dev/null; done
  wait 2> /dev/null
  ip netns del "$NL_L" 2> /dev/null
  ip netns del "$NL_R" 2> /dev/null
  rm -rf "$NL_TMP"
}
trap nl_cleanup EXIT

nl_ok() { echo "ok - $*"; }
nl_fail() { echo "not ok - $*"; NL_FAILED=1; }
nl_check() {                    # nl_check DESCRIPTION CMD...
  local what=$1; shift
  if "$@"; then nl_ok "$what"; else nl_fail "$what"; fi
}
nl_finish() {
  [ "$NL_FAILED" -eq 0 ] && echo "# all checks passed" || echo "# some checks failed"
  exit "$NL_FAILED"
}

# Runs xfrm-tool in a namespace: nl_tool L|R ARGS...
nl_tool() {
  local side=$1; shift
  local ns=$NL_L
  [ "$side" = R ] && ns=$NL_R
  ip netns exec "$ns" "$NL_TOOL" "$@"
}

nl_ns() { [ "$1" = R ] && echo "$NL_R" || echo "$NL_L"; }

nl_topology() {
  ip netns add "$NL_L" && ip netns add "$NL_R" || return 1
  ip link add nl-l netns "$NL_L" type veth peer name nl-r netns "$NL_R" || return 1
  ip -n "$NL_L" link set lo up && ip -n "$NL_R" link set lo up
  ip -n "$NL_L" addr add 192.168.50.1/24 dev nl-l && ip -n "$NL_L" link set nl-l up
  ip -n "$NL_R" addr add 192.168.50.2/24 dev nl-r && ip -n "$NL_R" link set nl-r up
  ip -n "$NL_L" addr add 10.1.0.1/32 dev lo && ip -n "$NL_R" addr add 10.2.0.1/32 dev lo
  # Reverse route injection, through the library.
  nl_tool L route-add 10.2.0.1 --dev nl-l && nl_tool R route-add 10.1.0.1 --dev nl-r
}

# Policies on both sides for the inner /32s, template reqid $1.
nl_policies() {
  local reqid=$1
  nl_tool L sp-add out 10.1.0.1/32 10.2.0.1/32 192.168.50.1 192.168.50.2 "$reqid" &&
  nl_tool L sp-add in 10.2.0.1/32 10.1.0.1/32 192.168.50.2 192.168.50.1 "$reqid" &&
  nl_tool R sp-add out 10.2.0.1/32 10.1.0.1/32 192.168.50.2 192.168.50.1 "$reqid" &&
  nl_tool R sp-add in 10.1.0.1/32 10.2.0.1/32 192.168.50.1 192.168.50.2 "$reqid"
}

# The same SA pair in both namespaces: nl_sa_pair SPI_LR SPI_RL REQID ALG-ARGS...
nl_sa_pair() {
  local lr=$1 rl=$2 reqid=$3 side; shift 3
  for side in L R; do
    nl_tool $side sa-add 192.168.50.1 192.168.50.2 "$lr" "$reqid" "$@" || return 1
    nl_tool $side sa-add 192.168.50.2 192.168.50.1 "$rl" "$reqid" "$@" || return 1
  done
}

# ICMP echo from the left's inner address: nl_ping COUNT [SRC DST] -> 0 when
# every echo was answered. Python, because ping need not be installed.
nl_ping() {
  local count=$1 src=${2:-10.1.0.1} dst=${3:-10.2.0.1}
  ip netns exec "$NL_L" "$NL_PY" - "$src" "$dst" "$count" <<'PY'
import os, socket, struct, sys, time
src, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.bind((src, 0))
ident, answered = os.getpid() & 0xffff, 0
for seq in range(count):
    payload = b"vpnd-netlink-e2e" * 4
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload
    deadline = time.time() + 3
    # The first packet may wait for ARP: retry once on silence.
    for attempt in range(2):
        try:
            s.sendto(pkt, (dst, 0))
        except OSError as e:    # e.g. EINVAL from an expired SA
            print("send: %s" % e)
            break
        got = False
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                data, peer = s.recvfrom(2048)
            except socket.timeout:
                break
            ihl = (data[0] & 0xf) * 4
            t, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if t == 0 and rid == ident and rseq == seq and peer[0] == dst:
                got = True
                break
        if got:
            answered += 1
            break
        deadline = time.time() + 3
print("answered %d of %d" % (answered, count))
sys.exit(0 if answered == count else 1)
PY
}

# Waits up to SECONDS for FILE to contain PATTERN (a fixed string): one
# process polling, because forking per poll is slow under emulation.
nl_wait_for() {                 # FILE SECONDS PATTERN
  "$NL_PY" - "$@" <<'PY'
import sys, time
path, seconds, pattern = sys.argv[1], float(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + seconds
text = ""
while time.monotonic() < deadline:
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    if pattern in text:
        sys.exit(0)
    time.sleep(0.1)
print('# waited %g s for "%s"; got: %s' % (seconds, pattern, text.replace("\n", ";")))
sys.exit(1)
PY
}

# No echo answered: nl_no_ping COUNT
nl_no_ping() { ! nl_ping "$@"; }

# Value of KEY from `xfrm-tool sa-get` output in $1.
nl_kv() { sed -n "s/^$2=//p" <<< "$1"; }
