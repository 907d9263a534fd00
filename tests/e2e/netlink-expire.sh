#!/bin/bash
# SA lifetimes programmed through vpnd's netlink library expire and the
# library's monitor reports it: a 2 s soft / 10 s hard time limit, a byte limit
# reached by traffic, and a packet limit. After the hard expiry the SA is
# gone.
#
# Usage: VPND_BUILD=DIR tests/testbed/run tests/e2e/netlink-expire.sh
here=$(dirname "$(readlink -f "$0")")
. "$here/../unit/netlink/e2e-lib.sh"

key() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
REQID=$((0x76700040))

monitor() {                     # SIDE NAME COUNT: start a monitor, wait until subscribed
  nl_tool "$1" monitor --count "$3" --timeout 300 > "$NL_TMP/$2" 2>&1 &
  TB_PIDS+=($!)
  nl_wait_for "$NL_TMP/$2" 30 ready
}

nl_check "topology" nl_topology
nl_check "policies" nl_policies $REQID

# --- time: soft after 2 s, hard after 10 s --------------------------------
# The kernel checks add-time lifetimes from a timer first run 1 s after the
# SA is added; if it runs after the hard limit (a slow emulated VM) there is
# only a hard expiry. A hard limit well after the soft one keeps the soft
# event certain.
nl_check "monitor on the left" monitor L time 2
start=$(date +%s)
nl_check "SA with 2 s soft / 10 s hard lifetime" \
  nl_tool L sa-add 198.51.100.1 198.51.100.9 0x4001 $REQID --aead "$(key 20)" \
    --soft-seconds 2 --hard-seconds 10
nl_check "soft EXPIRE event" nl_wait_for "$NL_TMP/time" 30 "expire soft dst=198.51.100.9 spi=0x00004001 reqid=$REQID"
nl_check "hard EXPIRE event" nl_wait_for "$NL_TMP/time" 60 "expire hard dst=198.51.100.9 spi=0x00004001 reqid=$REQID"
elapsed=$(( $(date +%s) - start ))
echo "# both events after $elapsed s"
nl_check "hard expiry took about 10 s, not less" test "$elapsed" -ge 9
order=$(grep -o "expire [a-z]*" "$NL_TMP/time" | tr '\n' ' ')
nl_check "soft came before hard ($order)" test "$order" = "expire soft expire hard "
nl_check "the SA is gone after the hard expiry" \
  bash -c "! ip netns exec $NL_L '$NL_TOOL' sa-get 198.51.100.9 0x4001"

# --- bytes (left -> right SA) and packets (right -> left SA) --------------
k1=$(key 20) k2=$(key 20)
nl_check "byte-limited SA (soft 300, hard 600 bytes)" \
  nl_tool L sa-add 198.51.100.1 198.51.100.2 0x4101 $REQID --aead "$k1" --replay 32 \
    --soft-bytes 300 --hard-bytes 600
nl_tool R sa-add 198.51.100.1 198.51.100.2 0x4101 $REQID --aead "$k1" --replay 32
nl_tool L sa-add 198.51.100.2 198.51.100.1 0x4102 $REQID --aead "$k2" --replay 32
nl_check "packet-limited SA (soft 2, hard 4 packets)" \
  nl_tool R sa-add 198.51.100.2 198.51.100.1 0x4102 $REQID --aead "$k2" --replay 32 \
    --soft-packets 2 --hard-packets 4
nl_check "monitor on the left" monitor L bytes 2
nl_check "monitor on the right" monitor R packets 2
nl_check "traffic flows before the limits" nl_ping 1
for i in 1 2 3 4 5 6 7; do nl_ping 1 > /dev/null; done
nl_check "soft EXPIRE at the byte limit" nl_wait_for "$NL_TMP/bytes" 30 "expire soft dst=198.51.100.2 spi=0x00004101"
nl_check "hard EXPIRE at the byte limit" nl_wait_for "$NL_TMP/bytes" 30 "expire hard dst=198.51.100.2 spi=0x00004101"
soft_bytes=$(sed -n 's/^expire soft.* bytes=\([0-9]*\).*/\1/p' "$NL_TMP/bytes")
hard_bytes=$(sed -n 's/^expire hard.* bytes=\([0-9]*\).*/\1/p' "$NL_TMP/bytes")
echo "# byte counters in the events: soft $soft_bytes, hard $hard_bytes"
nl_check "soft event reports at least 300 bytes" test "${soft_bytes:-0}" -ge 300
nl_check "hard event reports at least 600 bytes" test "${hard_bytes:-0}" -ge 600
nl_check "soft EXPIRE at the packet limit" nl_wait_for "$NL_TMP/packets" 30 "expire soft dst=198.51.100.1 spi=0x00004102"
nl_check "hard EXPIRE at the packet limit" nl_wait_for "$NL_TMP/packets" 30 "expire hard dst=198.51.100.1 spi=0x00004102"
nl_check "no traffic after the hard byte limit" nl_no_ping 1

nl_finish
