#!/bin/bash
# Two namespaces programmed only through vpnd's netlink library (xfrm-tool)
# pass ping over ESP in tunnel mode with every algorithm vpnd installs
# (AES-GCM 128/256, AES-CBC and 3DES with HMAC-SHA1/256/384/512, ESN with a
# large replay window), and the counters the library reads match
# `ip -s xfrm state`.
#
# Usage: VPND_BUILD=DIR tests/testbed/run tests/e2e/netlink-esp.sh
here=$(dirname "$(readlink -f "$0")")
. "$here/../unit/netlink/e2e-lib.sh"

key() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
REQID=$((0x76700010))

nl_check "topology with routes from the library" nl_topology
nl_check "policies in both namespaces" nl_policies $REQID
nl_check "AES-GCM-128 SA pair" nl_sa_pair 0x1001 0x1002 $REQID --aead "$(key 20)" --replay 32
nl_check "ping over ESP with AES-GCM-128" nl_ping 3

# --- counters: the library's get against ip -s xfrm state -------------------
compare_counters() {            # SIDE SRC DST SPI
  local side=$1 src=$2 dst=$3 spi=$4 ns mine theirs
  ns=$(nl_ns "$side")
  mine=$(nl_tool "$side" sa-get "$dst" "$spi") || return 1
  theirs=$(ip -n "$ns" -s xfrm state get src "$src" dst "$dst" proto esp spi "$spi") || return 1
  local bytes packets want_bytes want_packets
  bytes=$(nl_kv "$mine" bytes); packets=$(nl_kv "$mine" packets)
  read -r want_bytes want_packets <<< "$(sed -n 's/^[[:space:]]*\([0-9]*\)(bytes), \([0-9]*\)(packets).*/\1 \2/p' <<< "$theirs")"
  [ -n "$want_bytes" ] && [ "$bytes" = "$want_bytes" ] && [ "$packets" = "$want_packets" ] &&
    [ "$packets" -ge 3 ] || { echo "# library: bytes=$bytes packets=$packets; ip: $want_bytes $want_packets"; return 1; }
  local oseq seq want_seq want_oseq
  seq=$(nl_kv "$mine" seq); oseq=$(nl_kv "$mine" oseq)
  read -r want_seq want_oseq <<< "$(sed -n 's/.*anti-replay context: seq \(0x[0-9a-f]*\), oseq \(0x[0-9a-f]*\).*/\1 \2/p' <<< "$theirs")"
  [ -n "$want_seq" ] && [ "$seq" -eq $((want_seq)) ] && [ "$oseq" -eq $((want_oseq)) ] ||
    { echo "# library: seq=$seq oseq=$oseq; ip: $want_seq $want_oseq"; return 1; }
  local rw rp fl want
  rw=$(nl_kv "$mine" stats_replay_window); rp=$(nl_kv "$mine" stats_replay)
  fl=$(nl_kv "$mine" stats_integrity_failed)
  want=$(sed -n 's/.*replay-window \([0-9]*\) replay \([0-9]*\) failed \([0-9]*\).*/\1 \2 \3/p' <<< "$theirs")
  [ "$want" = "$rw $rp $fl" ] || { echo "# library: $rw $rp $fl; ip: $want"; return 1; }
  echo "# $side spi $spi: bytes=$bytes packets=$packets seq=$seq oseq=$oseq bitmap=$(nl_kv "$mine" bitmap)"
}
nl_check "inbound SA counters match ip -s xfrm state" compare_counters R 198.51.100.1 198.51.100.2 0x1001
nl_check "outbound SA counters match ip -s xfrm state" compare_counters L 198.51.100.1 198.51.100.2 0x1001
inbound=$(nl_tool R sa-get 198.51.100.2 0x1001)
nl_check "inbound replay bitmap has the received packets" \
  test "$(( 0x$(nl_kv "$inbound" bitmap) & 7 ))" -eq 7

# --- every other algorithm set ---------------------------------------------
spi=$((0x2000))
try_algorithms() {              # NAME ALG-ARGS...
  local name=$1; shift
  local side
  for side in L R; do
    nl_tool $side sa-del 198.51.100.2 $((spi - 2)) 2> /dev/null
    nl_tool $side sa-del 198.51.100.1 $((spi - 1)) 2> /dev/null
  done
  nl_sa_pair $spi $((spi + 1)) $REQID "$@" || return 1
  spi=$((spi + 2))
  nl_ping 2
}
# Make the first deletion find the GCM pair.
for side in L R; do nl_tool $side sa-del 198.51.100.2 0x1001; nl_tool $side sa-del 198.51.100.1 0x1002; done
nl_check "ping with AES-CBC-256 + HMAC-SHA-256-128, ESN, window 128" \
  try_algorithms cbc256-sha256 --enc aes "$(key 32)" --auth sha256 "$(key 32)" --esn --replay 128
esn=$(ip -n "$NL_R" -s xfrm state get src 198.51.100.1 dst 198.51.100.2 proto esp spi $((0x2000)) 2>&1)
shows() { grep -Eq "$1" <<< "$esn" || { sed 's/^/# /' <<< "$esn"; return 1; }; }
nl_check "kernel shows the 128-bit truncation (independent check)" \
  shows 'auth-trunc hmac\(sha256\) (0x)?[0-9a-f]+ (\([0-9]+ bits\) )?128$'
nl_check "kernel shows the ESN flag" shows 'flag .*esn'
nl_check "kernel shows an ESN replay window of 128" shows "replay_window 128"
nl_check "ping with 3DES + HMAC-SHA1-96" \
  try_algorithms 3des-sha1 --enc 3des "$(key 24)" --auth sha1 "$(key 20)" --replay 32
nl_check "ping with AES-CBC-128 + HMAC-SHA-384-192" \
  try_algorithms cbc128-sha384 --enc aes "$(key 16)" --auth sha384 "$(key 48)" --replay 64
nl_check "ping with AES-CBC-192 + HMAC-SHA-512-256" \
  try_algorithms cbc192-sha512 --enc aes "$(key 24)" --auth sha512 "$(key 64)"
nl_check "ping with AES-GCM-256" try_algorithms gcm256 --aead "$(key 36)" --replay 32

# The IKE flow: the responder reserves its inbound SPI (a larval SA from
# ALLOCSPI) and later completes that SA with the keys (XFRM_MSG_UPDSA).
allocate_then_update() {
  local out inspi k1 k2 side
  for side in L R; do
    nl_tool $side sa-del 198.51.100.2 $((spi - 2)) 2> /dev/null
    nl_tool $side sa-del 198.51.100.1 $((spi - 1)) 2> /dev/null
  done
  out=$(nl_tool R allocspi 198.51.100.1 198.51.100.2 $REQID 0xc0000000 0xc0ffffff) || return 1
  inspi=$(( ${out#spi=} ))
  echo "# allocated inbound SPI $out"
  [ "$inspi" -ge $((0xc0000000)) ] && [ "$inspi" -le $((0xc0ffffff)) ] || return 1
  k1=$(key 20); k2=$(key 20)
  nl_tool R sa-add 198.51.100.1 198.51.100.2 $inspi $REQID --aead "$k1" --replay 32 --update &&
  nl_tool L sa-add 198.51.100.1 198.51.100.2 $inspi $REQID --aead "$k1" --replay 32 &&
  nl_tool L sa-add 198.51.100.2 198.51.100.1 0x7002 $REQID --aead "$k2" --replay 32 &&
  nl_tool R sa-add 198.51.100.2 198.51.100.1 0x7002 $REQID --aead "$k2" --replay 32 || return 1
  nl_ping 2 || return 1
  out=$(nl_tool R sa-get 198.51.100.2 $inspi) || return 1
  [ "$(nl_kv "$out" cipher)" = "rfc4106(gcm(aes))" ] && [ "$(nl_kv "$out" packets)" -ge 2 ]
}
nl_check "ALLOCSPI, then UPDSA with the keys: ping passes" allocate_then_update

# IPv6 inside and outside.
six() {
  ip -n "$NL_L" addr add fd00:50::1/64 dev nl-l nodad && ip -n "$NL_R" addr add fd00:50::2/64 dev nl-r nodad &&
  ip -n "$NL_L" addr add fd00:1::1/128 dev lo && ip -n "$NL_R" addr add fd00:2::1/128 dev lo &&
  nl_tool L route-add fd00:2::1 --dev nl-l && nl_tool R route-add fd00:1::1 --dev nl-r &&
  nl_tool L sp-add out fd00:1::1/128 fd00:2::1/128 fd00:50::1 fd00:50::2 $REQID &&
  nl_tool L sp-add in fd00:2::1/128 fd00:1::1/128 fd00:50::2 fd00:50::1 $REQID &&
  nl_tool R sp-add out fd00:2::1/128 fd00:1::1/128 fd00:50::2 fd00:50::1 $REQID &&
  nl_tool R sp-add in fd00:1::1/128 fd00:2::1/128 fd00:50::1 fd00:50::2 $REQID || return 1
  local k1 k2 side
  k1=$(key 20); k2=$(key 20)
  for side in L R; do
    nl_tool $side sa-add fd00:50::1 fd00:50::2 0x6001 $REQID --aead "$k1" --replay 32 &&
    nl_tool $side sa-add fd00:50::2 fd00:50::1 0x6002 $REQID --aead "$k2" --replay 32 || return 1
  done
  ip netns exec "$NL_L" "$NL_PY" - <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.bind(("fd00:1::1", 0))
s.settimeout(1)
for attempt in range(5):        # neighbour discovery may eat the first ones
    s.sendto(struct.pack("!BBHHH", 128, 0, 0, 0x4242, attempt) + b"v6", ("fd00:2::1", 0))
    try:
        while True:
            data, peer = s.recvfrom(2048)
            if data[0] == 129 and peer[0] == "fd00:2::1":
                sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY
  local out
  out=$(nl_tool R sa-get fd00:50::2 0x6001) || return 1
  [ "$(nl_kv "$out" packets)" -ge 1 ]
}
nl_check "IPv6 in IPv6 ESP (AES-GCM) passes ICMPv6 echo" six

nl_finish
