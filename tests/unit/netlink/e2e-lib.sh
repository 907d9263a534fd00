# Sourced by tests/e2e/netlink-*.sh, on top of the test bed's helpers
# (tests/testbed/lib.sh: namespaces named with the run's prefix, results
# folder, diagnostics on failure, cleanup): two network namespaces joined by
# a veth pair, programmed only through xfrm-tool (vpnd's netlink library),
# plus small checks. Needs root and a kernel with ESP (tests/e2e/run).
#
#   left  (host l): 198.51.100.1 on nl-l, inner address 10.1.0.1 on lo
#   right (host r): 198.51.100.2 on nl-r, inner address 10.2.0.1 on lo
#   tunnel mode ESP between the outer addresses protects 10.1.0.1 <-> 10.2.0.1
#
# Output is TAP-like ("ok - ..." / "not ok - ..."); nl_finish exits 1 when any
# check failed (and the test bed then saves its diagnostics).

set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../../testbed/lib.sh"
tb_init "$(basename "$0" .sh)"

NL_TOOL=$(realpath "$TB_BUILD")/tests/unit/netlink/xfrm-tool
[ -x "$NL_TOOL" ] || tb_fail "$NL_TOOL missing (build it first)"

NL_L=$(tb_ns l)
NL_R=$(tb_ns r)
NL_TMP=$TB_RESULTS             # captures and event logs stay for inspection
NL_FAILED=0
NL_PY=/usr/bin/python3
[ -x "$NL_PY" ] || NL_PY=python3

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
  tb_host l
  tb_host r
  tb_link l nl-l 198.51.100.1/24 r nl-r 198.51.100.2/24
  ip -n "$NL_L" addr add 10.1.0.1/32 dev lo && ip -n "$NL_R" addr add 10.2.0.1/32 dev lo
  # Reverse route injection, through the library.
  nl_tool L route-add 10.2.0.1 --dev nl-l && nl_tool R route-add 10.1.0.1 --dev nl-r
}

# Policies on both sides for the inner /32s, template reqid $1.
nl_policies() {
  local reqid=$1
  nl_tool L sp-add out 10.1.0.1/32 10.2.0.1/32 198.51.100.1 198.51.100.2 "$reqid" &&
  nl_tool L sp-add in 10.2.0.1/32 10.1.0.1/32 198.51.100.2 198.51.100.1 "$reqid" &&
  nl_tool R sp-add out 10.2.0.1/32 10.1.0.1/32 198.51.100.2 198.51.100.1 "$reqid" &&
  nl_tool R sp-add in 10.1.0.1/32 10.2.0.1/32 198.51.100.1 198.51.100.2 "$reqid"
}

# The same SA pair in both namespaces: nl_sa_pair SPI_LR SPI_RL REQID ALG-ARGS...
nl_sa_pair() {
  local lr=$1 rl=$2 reqid=$3 side; shift 3
  for side in L R; do
    nl_tool $side sa-add 198.51.100.1 198.51.100.2 "$lr" "$reqid" "$@" || return 1
    nl_tool $side sa-add 198.51.100.2 198.51.100.1 "$rl" "$reqid" "$@" || return 1
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
