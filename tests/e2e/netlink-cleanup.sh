#!/bin/bash
# Ownership and errors through vpnd's netlink library, on a kernel with ESP:
# the cleanup removes every SA and policy vpnd installed (reqid in its range,
# larval SAs from ALLOCSPI included) and leaves another daemon's SA and
# policy alone; its route flush spares foreign routes; a batch of many SAs
# reports each request's result, and bad requests come back with the
# kernel's error text instead of crashing anything.
#
# Usage: VPND_BUILD=DIR tests/testbed/run tests/e2e/netlink-cleanup.sh
here=$(dirname "$(readlink -f "$0")")
. "$here/../unit/netlink/e2e-lib.sh"

key() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
REQID=$((0x76700030))

nl_check "topology" nl_topology
nl_check "our policies" nl_policies $REQID
nl_check "our SA pair" nl_sa_pair 0x5001 0x5002 $REQID --aead "$(key 20)" --replay 32
nl_check "traffic flows" nl_ping 1
spi=$(nl_tool L allocspi 198.51.100.2 198.51.100.1 $((REQID + 1)) 0x9000 0x90ff)
nl_check "ALLOCSPI within 0x9000-0x90ff ($spi)" \
  test $(( ${spi#spi=} >= 0x9000 && ${spi#spi=} <= 0x90ff )) -eq 1

# Another IKE daemon's entries (strongSwan numbers reqids from 1).
ip -n "$NL_L" xfrm state add src 198.51.100.1 dst 198.51.100.3 proto esp spi 0x7777 reqid 7 \
  mode tunnel aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128
ip -n "$NL_L" xfrm policy add src 10.1.0.1/32 dst 10.3.0.0/24 dir out \
  tmpl src 198.51.100.1 dst 198.51.100.3 proto esp reqid 7 mode tunnel
ip -n "$NL_L" xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 proto udp dport 500 dir in
ip -n "$NL_L" route add 10.3.0.0/24 dev nl-l
nl_check "foreign SA and policies installed" \
  test "$(ip -n "$NL_L" xfrm state | grep -c '^src')" -eq 4

out=$(nl_tool L cleanup)
echo "# cleanup: $out"
nl_check "cleanup removed our 3 SAs (one larval) and 2 policies" test "$out" = "sas=3 sps=2"
states=$(ip -n "$NL_L" xfrm state)
policies=$(ip -n "$NL_L" xfrm policy)
nl_check "only the foreign SA is left" \
  test "$(grep -c '^src' <<< "$states") $(grep -c 'spi 0x00007777 reqid 7' <<< "$states")" = "1 1"
nl_check "only the foreign policies are left" \
  test "$(grep -c '^src' <<< "$policies") $(grep -c 'reqid 7' <<< "$policies")" = "2 1"
nl_check "a second cleanup finds nothing" test "$(nl_tool L cleanup)" = "sas=0 sps=0"
nl_check "the right side was not touched" \
  test "$(ip -n "$NL_R" xfrm state | grep -c '^src')" -eq 2

out=$(nl_tool L route-flush)
nl_check "route flush removed our route ($out)" test "$out" = "routes=1"
nl_check "the foreign route stays" bash -c "ip -n $NL_L route show 10.3.0.0/24 | grep -q nl-l"
nl_check "our route is gone" bash -c "! ip -n $NL_L route show 10.2.0.1 | grep -q ."

# --- a batch of 150 SAs with one bad request in the middle -----------------
{
  for i in $(seq 1 150); do
    printf 'sa-add 198.51.100.1 198.51.100.2 %d %d --aead %s --replay 32\n' \
      $((0x10000 + i)) $((REQID + i)) "$(key 20)"
    # line 75 repeats line 74's SPI: the kernel must refuse exactly that one
    [ "$i" -eq 74 ] && printf 'sa-add 198.51.100.1 198.51.100.2 %d %d --aead %s\n' \
      $((0x10000 + i)) $((REQID + i)) "$(key 20)"
  done
} > "$NL_TMP/batch"
nl_tool L batch < "$NL_TMP/batch" > "$NL_TMP/batch.out"
rc=$?
echo "# batch: $(grep -c ': ok$' "$NL_TMP/batch.out") ok, $(grep -v ': ok$' "$NL_TMP/batch.out" | tr '\n' ';')"
nl_check "batch exit status 1 (one failure), no crash" test "$rc" -eq 1
nl_check "150 requests succeeded" test "$(grep -c ': ok$' "$NL_TMP/batch.out")" -eq 150
nl_check "exactly the duplicate (line 75) failed with EEXIST" \
  grep -qx 'line 75: error -17 (File exists): -' "$NL_TMP/batch.out"
nl_check "failed=1 reported" grep -qx 'failed=1' "$NL_TMP/batch.out"
nl_check "151 SAs in the kernel" test "$(ip -n "$NL_L" xfrm state | grep -c '^src')" -eq 151
nl_check "cleanup removes the 150 of them" test "$(nl_tool L cleanup)" = "sas=150 sps=0"

# --- bad requests: the kernel's words, an exit status, never a signal -------
err=$(nl_tool L sp-add out 10.1.0.1/32 10.9.0.0/24 198.51.100.1 198.51.100.2 $REQID --index 8 2>&1)
rc=$?
echo "# $err"
nl_check "policy index/direction mismatch: exit 1" test "$rc" -eq 1
nl_check "... with the kernel's text" grep -q "Invalid argument: Policy index doesn't match direction" <<< "$err"
err=$(nl_tool L sa-add 198.51.100.1 198.51.100.3 0x7777 $REQID --aead "$(key 20)" 2>&1)
rc=$?
echo "# $err"
nl_check "duplicate of the foreign SA: File exists, exit 1" \
  test "$rc $(grep -c 'File exists' <<< "$err")" = "1 1"
err=$(nl_tool L sa-get 198.51.100.9 0x1 2>&1)
rc=$?
nl_check "get of a missing SA: exit 1 ($err)" test "$rc" -eq 1
err=$(nl_tool L sa-add 198.51.100.1 198.51.100.2 0x8001 $REQID --aead 0x0102 2>&1)
rc=$?
nl_check "key of the wrong size refused before the kernel ($err)" \
  test "$rc $(grep -c 'Invalid argument' <<< "$err")" = "1 1"
nl_check "the foreign SA survived all of it" \
  bash -c "ip -n $NL_L xfrm state | grep -q 'spi 0x00007777 reqid 7'"

out=$(nl_tool L spd-hthresh)
nl_check "SPD hash thresholds set for per-client policies ($out)" \
  test "$out" = "lbits4=0 rbits4=32 lbits6=0 rbits6=128"

nl_finish
