# vpnc (the open-source Cisco VPN Client: IKEv1 Aggressive Mode, Xauth,
# Mode Config, its own ESP in userspace over a tun device) as a client in
# end-to-end tests.  Source it after lib.sh and tb_init:
#
#   . "$(dirname "$0")/../testbed/lib.sh"
#   . "$(dirname "$0")/../testbed/vpnc.sh"
#   tb_init
#   tb_topology_remote_access
#   vpnc_conf alice --gateway "$TB_GW_ADDR" --group vpngroup --secret KEY --user alice --password PW
#   vpnc_up c1 alice || tb_fail "no tunnel"
#   addr=$(vpnc_env alice INTERNAL_IP4_ADDRESS)
#
# Every instance NAME has a folder RESULTS/vpnc-NAME/ with its
# configuration, its output (vpnc.log) and what its connect script saw:
# env.connect holds the variables vpnc hands the script (the Mode Config
# answer: INTERNAL_IP4_*, CISCO_DEF_DOMAIN, CISCO_BANNER, CISCO_SPLIT_INC*).
# The script is ours, not vpnc-script: it puts the address on the tun
# device and routes the split networks (or everything but the gateway)
# through it, and touches nothing else of the host (no resolv.conf).
# vpnc needs /dev/net/tun (the VM loads tun).

VPNC_BIN=${VPNC_BIN:-vpnc}
VPNC_UP_TIMEOUT=${VPNC_UP_TIMEOUT:-90}
# vpnc's --debug level (3 shows its phase 1 rekey and every exchange).
VPNC_DEBUG=${VPNC_DEBUG:-1}

declare -A VPNC_DIR=()
declare -A VPNC_PID=()

vpnc__need() { [ -n "${VPNC_DIR[$1]:-}" ] || tb_fail "vpnc instance '$1' has no configuration"; }

# Writes instance NAME's configuration.
# vpnc_conf NAME --gateway ADDR --group NAME --secret KEY [--user U --password P]
#           [--dh dh2] [--pfs nopfs|server|dh2...] [--natt natt|none|force-natt] [--line 'vpnc.conf line']...
vpnc_conf() {
  local name=$1; shift
  local gw="" group="" secret="" user="" password="" dh=dh2 pfs=server natt=natt extra=()
  while [ $# -gt 0 ]; do
    case $1 in
      --gateway) gw=$2; shift 2 ;;
      --group) group=$2; shift 2 ;;
      --secret) secret=$2; shift 2 ;;
      --user) user=$2; shift 2 ;;
      --password) password=$2; shift 2 ;;
      --dh) dh=$2; shift 2 ;;
      --pfs) pfs=$2; shift 2 ;;
      --natt) natt=$2; shift 2 ;;
      --line) extra+=("$2"); shift 2 ;;
      *) tb_fail "vpnc_conf: unknown option $1" ;;
    esac
  done
  local dir="$TB_RESULTS/vpnc-$name"
  mkdir -p "$dir"
  VPNC_DIR[$name]=$dir
  {
    echo "IPSec gateway $gw"
    echo "IPSec ID $group"
    echo "IPSec secret $secret"
    [ -z "$user" ] || echo "Xauth username $user"
    [ -z "$password" ] || echo "Xauth password $password"
    echo "IKE DH Group $dh"
    echo "Perfect Forward Secrecy $pfs"
    echo "NAT Traversal Mode $natt"
    echo "Interface name vpnc-$name"
    echo "Script $dir/connect-script"
    echo "Pidfile $dir/vpnc.pid"
    printf '%s\n' "${extra[@]}"
  } > "$dir/vpnc.conf"
  cat > "$dir/connect-script" <<'SCRIPT'
#!/bin/bash
# Called by vpnc with reason=pre-init|connect|disconnect|reconnect.
# Written aside, then renamed: the test waits for the file to exist.
env | grep -E '^(reason|VPNGATEWAY|TUNDEV|INTERNAL_IP4_|CISCO_)' | sort > "$VPNC_TEST_DIR/env.$reason.tmp"
case $reason in
  connect)
    ip link set dev "$TUNDEV" up mtu 1300
    ip addr add "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV"
    if [ "${CISCO_SPLIT_INC:-0}" -gt 0 ]; then
      for ((i = 0; i < CISCO_SPLIT_INC; i++)); do
        a=CISCO_SPLIT_INC_${i}_ADDR; l=CISCO_SPLIT_INC_${i}_MASKLEN
        ip route add "${!a}/${!l}" dev "$TUNDEV"
      done
    else
      # Everything through the tunnel but the gateway itself.
      r=$(ip route get "$VPNGATEWAY")
      ip route add "$VPNGATEWAY/32" $(grep -o 'via [^ ]*' <<< "$r") $(grep -o 'dev [^ ]*' <<< "$r")
      ip route add 0.0.0.0/1 dev "$TUNDEV"
      ip route add 128.0.0.0/1 dev "$TUNDEV"
    fi ;;
esac
mv "$VPNC_TEST_DIR/env.$reason.tmp" "$VPNC_TEST_DIR/env.$reason"
exit 0
SCRIPT
  chmod +x "$dir/connect-script"
}

# Starts vpnc for instance NAME in HOST and waits until its connect script
# ran (the tunnel is up: returns 0) or vpnc exited (returns 1).  Sets
# VPNC_UP_SECONDS.  vpnc_up HOST NAME
vpnc_up() {
  local host=$1 name=$2
  vpnc__need "$name"
  local dir=${VPNC_DIR[$name]}
  rm -f "$dir"/env.*
  VPNC_TEST_DIR=$dir ip netns exec "$(tb_ns "$host")" "$VPNC_BIN" --no-detach --non-inter --debug "$VPNC_DEBUG" \
    "$dir/vpnc.conf" >> "$dir/vpnc.log" 2>&1 < /dev/null &
  VPNC_PID[$name]=$!
  TB_PIDS+=("${VPNC_PID[$name]}")
  local start=$SECONDS deadline=$((SECONDS + VPNC_UP_TIMEOUT))
  while [ ! -e "$dir/env.connect" ]; do
    if ! kill -0 "${VPNC_PID[$name]}" 2> /dev/null; then
      wait "${VPNC_PID[$name]}" 2> /dev/null
      tb_log "vpnc $name exited before the tunnel came up: $(tail -n 3 "$dir/vpnc.log" | tr '\n' ' ')"
      return 1
    fi
    [ $SECONDS -lt $deadline ] || { tb_log "vpnc $name: no tunnel after ${VPNC_UP_TIMEOUT}s"; return 1; }
    sleep 0.1
  done
  VPNC_UP_SECONDS=$((SECONDS - start))
  tb_log "vpnc $name connected in ${VPNC_UP_SECONDS}s"
}

# Prints variable VAR as vpnc handed it to the connect script.
# vpnc_env NAME VAR
vpnc_env() {
  vpnc__need "$1"
  sed -n "s/^$2=//p" "${VPNC_DIR[$1]}/env.connect"
}

# Disconnects instance NAME: SIGTERM, upon which vpnc sends DELETE for its
# IPsec and ISAKMP SAs, and waits for it to exit.
vpnc_down() {
  local pid=${VPNC_PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2> /dev/null || true
  tb_wait 15 bash -c "! kill -0 $pid"
  wait "$pid" 2> /dev/null || true
  VPNC_PID[$1]=""
}

# Runs vpnc for instance NAME in HOST expecting failure; returns vpnc's
# exit status (non-zero) and fails the test if a tunnel came up.
# vpnc_expect_failure HOST NAME
vpnc_expect_failure() {
  local host=$1 name=$2 rc=0
  vpnc__need "$name"
  local dir=${VPNC_DIR[$name]}
  rm -f "$dir"/env.*
  VPNC_TEST_DIR=$dir timeout "$VPNC_UP_TIMEOUT" ip netns exec "$(tb_ns "$host")" "$VPNC_BIN" --no-detach \
    --non-inter --debug 1 "$dir/vpnc.conf" >> "$dir/vpnc.log" 2>&1 < /dev/null || rc=$?
  [ ! -e "$dir/env.connect" ] || tb_fail "vpnc $name connected, but should have failed"
  [ "$rc" -ne 0 ] || tb_fail "vpnc $name exited with status 0 without a tunnel"
  tb_log "vpnc $name failed as expected (exit $rc): $(grep -v '^$' "$dir/vpnc.log" | tail -n 1)"
}

# Like vpnc_up, but vpnc runs interactively on a pseudo-terminal
# (vpnc-pty.py) and each Xauth password prompt after the first (the first
# uses the configured password) is answered with the next ANSWER: a
# one-time password after a RADIUS Access-Challenge.  The terminal's text
# goes to vpnc.log.  vpnc_up_interactive HOST NAME ANSWER...
vpnc_up_interactive() {
  local host=$1 name=$2; shift 2
  vpnc__need "$name"
  local dir=${VPNC_DIR[$name]}
  rm -f "$dir"/env.*
  VPNC_TEST_DIR=$dir python3 "$TB_REPO/tests/testbed/vpnc-pty.py" "$dir/vpnc.log" '(Password|Passcode) for VPN [^:]*: ' \
    "$@" -- ip netns exec "$(tb_ns "$host")" "$VPNC_BIN" --no-detach --debug 1 "$dir/vpnc.conf" \
    > /dev/null 2>&1 < /dev/null &
  VPNC_PID[$name]=$!
  TB_PIDS+=("${VPNC_PID[$name]}")
  local deadline=$((SECONDS + VPNC_UP_TIMEOUT))
  while [ ! -e "$dir/env.connect" ]; do
    if ! kill -0 "${VPNC_PID[$name]}" 2> /dev/null; then
      wait "${VPNC_PID[$name]}" 2> /dev/null
      tb_log "vpnc $name exited before the tunnel came up: $(tail -n 3 "$dir/vpnc.log" | tr '\n' ' ')"
      return 1
    fi
    [ $SECONDS -lt $deadline ] || { tb_log "vpnc $name: no tunnel after ${VPNC_UP_TIMEOUT}s"; return 1; }
    sleep 0.1
  done
  tb_log "vpnc $name connected (interactively)"
}
