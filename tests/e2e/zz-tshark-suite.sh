#!/bin/bash
# Every IKE packet captured during the e2e suite decodes in tshark without a
# malformed-packet or error-level expert warning (issue 3, test 13).  Runs
# last (name order): the IKE tests capture gw's outside interface into
# <results>/<test>/ike-gw.pcap (vpnd_start in ikev2-common.bash); this test
# reads every such capture written during this run of tests/e2e/run (newer
# than the run's mark; all of them when run by hand) and fails naming the
# test, frame, sender and tshark's summary of each bad IKE packet.  ESP data
# and ICMP errors quoting IKE are not IKE messages and are not checked; a
# test may exclude the packets of a probe that breaks IKE on purpose
# (<test>/ike-gw.exclude: display filter TAB reason), which this test lists.
# It fails when the run captured no IKE packet at all (nothing was checked).
# e2e-timeout: 900
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
tb_init

root=$(dirname "$TB_RESULTS")
mark=${VPND_E2E_RUN_MARK:-}
report="$TB_RESULTS/report.txt"
: > "$report"
total=0 files=0 bad_total=0

for capture in "$root"/*/ike-gw.pcap; do
  [ -s "$capture" ] || continue
  dir=$(dirname "$capture")
  test=$(basename "$dir")
  [ "$test" != "$TB_TEST" ] || continue
  if [ -n "$mark" ] && [ -e "$mark" ] && ! [ "$capture" -nt "$mark" ]; then
    continue    # left by an earlier run
  fi
  filter="isakmp && !icmp && !icmpv6"
  if [ -s "$dir/ike-gw.exclude" ]; then
    while IFS=$'\t' read -r exclude reason; do
      [ -n "$exclude" ] || continue
      filter="$filter && !($exclude)"
      tb_log "$test: skipping packets matching '$exclude': $reason"
      printf '%s: skipped %s (%s)\n' "$test" "$exclude" "$reason" >> "$report"
    done < "$dir/ike-gw.exclude"
  fi
  # One pass per capture: every IKE frame with its expert severities
  # (8388608 = error) and whether a dissector gave up (_ws.malformed).
  if ! tshark -n -r "$capture" -Y "$filter" -T fields -E separator=/t -E occurrence=a \
      -e frame.number -e ip.src -e _ws.expert.severity -e _ws.malformed -e _ws.col.Info \
      > "$TB_RESULTS/$test.frames" 2> "$TB_RESULTS/$test.tshark.log"; then
    tb_fail "$test: tshark cannot read $capture: $(grep -v 'Running as user' "$TB_RESULTS/$test.tshark.log" | head -n 3)"
  fi
  n=$(wc -l < "$TB_RESULTS/$test.frames")
  bad=$(awk -F'\t' '$3 ~ /8388608/ || $4 != "" { printf "%s frame %s from %s: %s\n", test, $1, $2, $5 }' \
    test="$test" "$TB_RESULTS/$test.frames")
  files=$((files + 1))
  total=$((total + n))
  printf '%s: %d IKE packets\n' "$test" "$n" >> "$report"
  if [ -n "$bad" ]; then
    bad_total=$((bad_total + $(wc -l <<< "$bad")))
    printf '%s\n' "$bad" >> "$report"
    tb_log "$test: tshark flags $(wc -l <<< "$bad") of $n IKE packets"
    head -n 5 <<< "$bad" >&2
  else
    tb_log "$test: $n IKE packets, all decode cleanly"
  fi
done

[ "$files" -gt 0 ] || tb_fail "no IKE capture (*/ike-gw.pcap) from this run under $root: run it after the IKE tests"
[ "$total" -gt 0 ] || tb_fail "the $files captures of this run hold no IKE packet"
[ "$bad_total" -eq 0 ] ||
  tb_fail "tshark flags $bad_total IKE packets as malformed or erroneous: $(grep ' frame ' "$report" | head -n 3 | paste -sd ';')"
tb_log "tshark decodes all $total IKE packets of $files tests cleanly (see report.txt)"
