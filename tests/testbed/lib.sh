# Helpers for end-to-end tests: network topologies in network namespaces,
# readiness waits, packet captures, background daemons and a cleanup that
# always runs.  Source it from a bash test (tests/e2e/*.sh), then call
# tb_init first:
#
#   . "$(dirname "$0")/../testbed/lib.sh"
#   tb_init
#   tb_topology_remote_access --direct 1 --nat 1
#   tb_exec c1 ping -c 1 -W 2 "$TB_SRV_ADDR"
#
# Tests run as root on a kernel with ESP (tests/e2e/run arranges that).  All
# namespaces a test creates carry its prefix and are removed at exit, pass or
# fail; on failure the xfrm state, policies, addresses, routes and nftables
# rules of every namespace are saved into the results folder first.
#
# Environment (set by tests/e2e/run; defaults for a test run by hand):
#   VPND_TEST_RESULTS  this test's results folder (results/e2e/<test>/)
#   VPND_BUILD         the build directory (default <repo>/build)
#   VPND_NS_PREFIX     prefix of this test's namespace names
# Addresses are documentation ranges (192.0.2.0/24, 198.51.100.0/24,
# 203.0.113.0/24); use 10.x only inside these namespaces (e.g. address pools).

TB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)

# ---- logging and failing ----------------------------------------------------

tb_log() {
  local now=$EPOCHREALTIME us
  us=${now#*.}
  printf '[%(%T)T.%s] %s\n' "${now%.*}" "${us:0:3}" "$*" >&2
}

# Fails the test with a message (the cleanup then saves the diagnostics).
tb_fail() { tb_log "FAIL: $*"; exit 1; }

# Runs a command; fails the test, naming the command, if it does not succeed.
tb_assert() { "$@" || tb_fail "command failed (exit $?): $*"; }

# ---- set-up and cleanup -------------------------------------------------------

TB_NAMESPACES=()     # full namespace names, in creation order
TB_EXIT_HOOKS=()     # commands (strings) run at exit, before the teardown
TB_PIDS=()           # background processes (daemons, captures) to stop
declare -A TB_CAPTURE_PID=()

# Prepares the test: results folder, namespace prefix, exit trap.
# tb_init [NAME]; NAME defaults to the test script's name without .sh.
tb_init() {
  TB_TEST=${1:-$(basename "$0" .sh)}
  TB_RESULTS=${VPND_TEST_RESULTS:-$TB_REPO/results/e2e/$TB_TEST}
  # Start from an empty folder: stale captures or logs would mislead.  (The
  # runner empties it itself, and has the test's output.log open in it.)
  [ -n "${VPND_TEST_RESULTS:-}" ] || rm -rf "$TB_RESULTS"
  mkdir -p "$TB_RESULTS"
  TB_BUILD=${VPND_BUILD:-$TB_REPO/build}
  TB_PREFIX=${VPND_NS_PREFIX:-vt$$}
  [ "$(id -u)" -eq 0 ] || tb_fail "tests need root (run them through tests/e2e/run)"
  trap tb__exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Saves what explains a failure: per namespace the addresses, routes, xfrm
# state (with counters) and policies, nftables rules and sockets.
tb_save_diagnostics() {
  local ns out
  for ns in "${TB_NAMESPACES[@]}"; do
    out="$TB_RESULTS/diag-${ns#"$TB_PREFIX"-}.txt"
    {
      echo "## namespace $ns"
      echo "## ip addr"; ip -n "$ns" addr
      echo "## ip route"; ip -n "$ns" route
      echo "## ip -s xfrm state"; ip -n "$ns" -s xfrm state
      echo "## ip -s xfrm policy"; ip -n "$ns" -s xfrm policy
      echo "## nft list ruleset"; ip netns exec "$ns" nft list ruleset
      echo "## ss -anp"; ip netns exec "$ns" ss -anp
    } > "$out" 2>&1
  done
}

# Registers a command (a string, eval'ed) to run at exit before the
# namespaces go, e.g. to save a daemon's state.  Tests must not replace the
# EXIT trap; they add to it with this.  $TB_RC holds the test's exit status.
tb_on_exit() { TB_EXIT_HOOKS+=("$1"); }

tb__exit() {
  local rc=$? ns pid hook
  trap - EXIT INT TERM
  set +e
  TB_RC=$rc
  if [ $rc -ne 0 ]; then
    tb_log "test failed (exit $rc); diagnostics in $TB_RESULTS"
    tb_save_diagnostics
  fi
  for hook in "${TB_EXIT_HOOKS[@]}"; do eval "$hook"; done
  for pid in "${TB_CAPTURE_PID[@]}"; do tb__stop_pid "$pid"; done
  for pid in "${TB_PIDS[@]}"; do tb__stop_pid "$pid"; done
  # Whatever still runs inside our namespaces (a daemon's children...).
  for ns in "${TB_NAMESPACES[@]}"; do
    pid=$(ip netns pids "$ns" 2> /dev/null)
    [ -z "$pid" ] || kill -KILL $pid 2> /dev/null
  done
  for ns in "${TB_NAMESPACES[@]}"; do ip netns del "$ns" 2> /dev/null; done
  exit $rc
}

# Stops a process: SIGTERM, then SIGKILL if it has not gone after 5 s.
tb__stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2> /dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  return 0
}

# ---- hosts and links ------------------------------------------------------------

# Full namespace name of host NAME.
tb_ns() { printf '%s-%s' "$TB_PREFIX" "$1"; }

# Runs a command in host NAME's namespace: tb_exec NAME CMD...
# (`ip` itself is run as `ip -n`, which skips the mount namespace that
# `ip netns exec` sets up: noticeably faster under emulation.)
tb_exec() {
  local ns="$TB_PREFIX-$1"; shift
  if [ "$1" = ip ]; then
    shift
    ip -n "$ns" "$@"
  else
    ip netns exec "$ns" "$@"
  fi
}

# Creates host NAME: a namespace with loopback up and forwarding off.
tb_host() {
  local ns; ns=$(tb_ns "$1")
  ip netns add "$ns" || tb_fail "cannot create namespace $ns"
  TB_NAMESPACES+=("$ns")
  ip -n "$ns" link set lo up
  # A new namespace copies the initial namespace's IPv4 settings: switch
  # forwarding off only if it is on there (one process less per host).
  [ "$(cat /proc/sys/net/ipv4/conf/all/forwarding 2> /dev/null)" = 0 ] ||
    tb_sysctl "$1" net.ipv4.conf.all.forwarding=0
}

# Runs `ip` commands (one per argument, e.g. "addr add 192.0.2.1/24 dev eth0")
# in HOST with a single process.  tb_ip_batch HOST CMD...
tb_ip_batch() {
  local h=$1; shift
  printf '%s\n' "$@" | ip -n "$(tb_ns "$h")" -batch - || tb_fail "in $h: ip $*"
}

# Sets sysctls in host NAME: tb_sysctl NAME KEY=VALUE...
tb_sysctl() {
  local h=$1; shift
  tb_exec "$h" sysctl -q -w "$@" > /dev/null || tb_fail "sysctl $* in $h"
}

# Lets host NAME route IPv4 between its interfaces.
tb_forwarding() { tb_sysctl "$1" net.ipv4.conf.all.forwarding=1; }

# Joins two hosts with a veth pair, each end with an address (CIDR, or "-"
# for none), both up:  tb_link HOST_A IF_A ADDR_A HOST_B IF_B ADDR_B
tb_link() {
  local a=$1 ifa=$2 addra=$3 b=$4 ifb=$5 addrb=$6
  ip link add name "$ifa" netns "$(tb_ns "$a")" type veth \
    peer name "$ifb" netns "$(tb_ns "$b")" || tb_fail "cannot link $a:$ifa and $b:$ifb"
  tb__if_up "$a" "$ifa" "$addra"
  tb__if_up "$b" "$ifb" "$addrb"
}
tb__if_up() {
  if [ "$3" = - ]; then
    ip -n "$(tb_ns "$1")" link set "$2" up || tb_fail "cannot bring $1:$2 up"
  else
    tb_ip_batch "$1" "addr add $3 dev $2" "link set $2 up"
  fi
}

# Creates a switch: host NAME holding a bridge "br0".  Hosts join it with
# tb_switch_port.
tb_switch() {
  tb_host "$1"
  tb_ip_batch "$1" "link add br0 type bridge" "link set br0 up"
}

# Plugs interface IF (address ADDR, CIDR) of HOST into switch SWITCH:
# tb_switch_port SWITCH HOST IF ADDR
tb_switch_port() {
  local sw=$1 h=$2 ifname=$3 addr=$4 port="p-$2"
  [ ${#port} -le 15 ] || port="p$RANDOM$RANDOM"
  ip link add name "$port" netns "$(tb_ns "$sw")" type veth \
    peer name "$ifname" netns "$(tb_ns "$h")" || tb_fail "cannot plug $h:$ifname into $sw"
  tb_ip_batch "$sw" "link set $port master br0" "link set $port up"
  tb__if_up "$h" "$ifname" "$addr"
}

# Adds a route in HOST: tb_route HOST DEST GATEWAY  (DEST may be "default")
tb_route() {
  ip -n "$(tb_ns "$1")" route add "$2" via "$3" || tb_fail "route $2 via $3 in $1"
}

# Makes HOST a NAT router: forwarding on, and the source address of
# everything leaving through interface OUT_IF masqueraded (nftables).
tb_nat() {
  local h=$1 out_if=$2
  tb_forwarding "$h"
  tb_exec "$h" nft -f - << EOF || tb_fail "nftables masquerade in $h"
table ip tb_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$out_if" masquerade
  }
}
EOF
}

# ---- the standard remote-access topology --------------------------------------
#
#   c1..cN ---------------------+
#                               |  "internet" 203.0.113.0/24 (switch "inet")
#   n1..nM --- nat (router) ----+---- gw (the concentrator) ---- srv
#   192.0.2.0/24   .1 | .2           .1     |    .1                .10
#                                        198.51.100.0/24 (protected network)
#
# Hosts: gw (interfaces "out" 203.0.113.1, "in" 198.51.100.1, forwarding on),
# srv (198.51.100.10, default route via gw), direct clients c1..cN (eth0,
# 203.0.113.10+i-1), NAT router "nat" (wan 203.0.113.2, lan 192.0.2.1,
# masquerading out of wan) and clients behind it n1..nM (eth0,
# 192.0.2.10+i-1, default via 192.0.2.1).  Clients have no route to the
# protected network: that is the VPN's job.  Sets TB_GW_ADDR, TB_GW_INSIDE,
# TB_SRV_ADDR, TB_NAT_PUBLIC, TB_PROTECTED_NET, and TB_ADDR[host] for every
# host's main address.
# tb_topology_remote_access [--direct N] [--nat M]   (default: 1 direct, 0 NAT)
declare -A TB_ADDR=()
tb_topology_remote_access() {
  local direct=1 natted=0 i
  while [ $# -gt 0 ]; do
    case $1 in
      --direct) direct=$2; shift 2 ;;
      --nat) natted=$2; shift 2 ;;
      *) tb_fail "tb_topology_remote_access: unknown option $1" ;;
    esac
  done
  TB_GW_ADDR=203.0.113.1
  TB_GW_INSIDE=198.51.100.1
  TB_SRV_ADDR=198.51.100.10
  TB_NAT_PUBLIC=203.0.113.2
  TB_PROTECTED_NET=198.51.100.0/24

  tb_switch inet
  tb_host gw
  tb_switch_port inet gw out "$TB_GW_ADDR/24"
  tb_forwarding gw
  TB_ADDR[gw]=$TB_GW_ADDR

  tb_host srv
  tb_link gw in "$TB_GW_INSIDE/24" srv eth0 "$TB_SRV_ADDR/24"
  tb_route srv default "$TB_GW_INSIDE"
  TB_ADDR[srv]=$TB_SRV_ADDR

  for ((i = 1; i <= direct; i++)); do
    tb_host "c$i"
    tb_switch_port inet "c$i" eth0 "203.0.113.$((9 + i))/24"
    TB_ADDR[c$i]=203.0.113.$((9 + i))
  done

  if [ "$natted" -gt 0 ]; then
    tb_host nat
    tb_switch_port inet nat wan "$TB_NAT_PUBLIC/24"
    tb_switch lan
    tb_switch_port lan nat lan 192.0.2.1/24
    tb_nat nat wan
    TB_ADDR[nat]=$TB_NAT_PUBLIC
    for ((i = 1; i <= natted; i++)); do
      tb_host "n$i"
      tb_switch_port lan "n$i" eth0 "192.0.2.$((9 + i))/24"
      tb_route "n$i" default 192.0.2.1
      TB_ADDR[n$i]=192.0.2.$((9 + i))
    done
  fi
  tb_log "topology ready: gw, srv, $direct direct and $natted NAT'ed clients"
}

# Optional IPv6 on the protected side of tb_topology_remote_access (call it
# after): gw "in" 2001:db8:100::1/64, srv 2001:db8:100::10/64 with a default
# route via gw, IPv6 forwarding on gw.  Addresses skip duplicate address
# detection so that they are usable at once.  Sets TB_GW_INSIDE6,
# TB_SRV_ADDR6, TB_PROTECTED_NET6.
tb_topology_protected_ipv6() {
  TB_GW_INSIDE6=2001:db8:100::1
  TB_SRV_ADDR6=2001:db8:100::10
  TB_PROTECTED_NET6=2001:db8:100::/64
  tb_ip_batch gw "addr add $TB_GW_INSIDE6/64 dev in nodad"
  tb_ip_batch srv "addr add $TB_SRV_ADDR6/64 dev eth0 nodad" "route add default via $TB_GW_INSIDE6"
  tb_sysctl gw net.ipv6.conf.all.forwarding=1
  tb_log "protected network also on IPv6: $TB_PROTECTED_NET6, srv $TB_SRV_ADDR6"
}

# ---- waiting (never a fixed sleep) --------------------------------------------

# Retries a command until it succeeds; fails the test after TIMEOUT seconds.
# Polls quickly at first, then every 0.5 s.  tb_wait TIMEOUT CMD...
tb_wait() {
  local timeout=$1; shift
  local deadline=$((SECONDS + timeout)) delay=0.02
  until "$@" > /dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || tb_fail "timed out after ${timeout}s waiting for: $*"
    sleep $delay
    case $delay in 0.02) delay=0.05 ;; 0.05) delay=0.1 ;; 0.1) delay=0.2 ;; *) delay=0.5 ;; esac
  done
}

# tb_wait_file TIMEOUT PATH: until PATH exists.
tb_wait_file() { tb_wait "$1" test -e "$2"; }

# tb_wait_socket TIMEOUT PATH: until a Unix socket at PATH accepts (exists as
# a socket; pair with a protocol-level check when it matters).
tb_wait_socket() { tb_wait "$1" test -S "$2"; }

# tb_wait_log TIMEOUT FILE REGEX: until a line of FILE matches the extended
# regular expression.
tb_wait_log() { tb_wait "$1" grep -Eq -- "$3" "$2"; }

# tb_wait_ping TIMEOUT HOST ADDR: until HOST gets an echo reply from ADDR.
tb_wait_ping() { tb_wait "$1" tb_exec "$2" ping -c 1 -W 1 "$3"; }

# tb_wait_listen TIMEOUT HOST udp|tcp PORT: until a socket in HOST listens on
# PORT (e.g. a daemon's IKE port 500).
tb_wait_listen() { tb_wait "$1" tb__listening "$2" "$3" "$4"; }
tb__listening() {
  local flag=-uln
  [ "$2" = tcp ] && flag=-tln
  [ -n "$(tb_exec "$1" ss -H $flag "sport = :$3")" ]
}

# ---- background processes ---------------------------------------------------------

# Starts a long-running command in HOST with output to RESULTS/LABEL.log;
# it is stopped at the end of the test.  Sets TB_LAST_PID.
# tb_daemon HOST LABEL CMD...
tb_daemon() {
  local h=$1 label=$2; shift 2
  ip netns exec "$(tb_ns "$h")" "$@" > "$TB_RESULTS/$label.log" 2>&1 < /dev/null &
  TB_LAST_PID=$!
  TB_PIDS+=("$TB_LAST_PID")
}

# Stops a process started by tb_daemon (SIGTERM, then SIGKILL after 5 s).
tb_stop() { tb__stop_pid "$1"; }

# ---- packet capture -------------------------------------------------------------

# Starts capturing every packet on interface IF of HOST into
# RESULTS/LABEL.pcap; returns once the capture runs.  (tests/testbed/capture,
# not dumpcap: see there why.)  tb_capture_start HOST IF LABEL
tb_capture_start() {
  local h=$1 ifname=$2 label=$3
  local file="$TB_RESULTS/$label.pcap"
  rm -f "$file"
  ip netns exec "$(tb_ns "$h")" /usr/bin/python3 "$TB_REPO/tests/testbed/capture" "$ifname" "$file" \
    > "$TB_RESULTS/$label.capture.log" 2>&1 < /dev/null &
  local pid=$! deadline=$((SECONDS + 60))
  TB_CAPTURE_PID[$label]=$pid
  # The file gets its header once the socket is bound.
  until [ -s "$file" ]; do
    kill -0 "$pid" 2> /dev/null ||
      tb_fail "capture on $h:$ifname failed: $(cat "$TB_RESULTS/$label.capture.log")"
    [ $SECONDS -lt $deadline ] || tb_fail "capture on $h:$ifname did not start in 60 s"
    sleep 0.05
  done
}

# Stops capture LABEL once it has everything sent so far; prints the path.
tb_capture_stop() {
  local label=$1 pid=${TB_CAPTURE_PID[$1]:-}
  [ -n "$pid" ] || tb_fail "no capture named $label"
  kill -TERM "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null || tb_fail "capture $label failed: $(cat "$TB_RESULTS/$label.capture.log")"
  unset "TB_CAPTURE_PID[$label]"
  printf '%s\n' "$TB_RESULTS/$label.pcap"
}

# Prints the fields of the packets of a capture that match a display filter:
# tb_capture_fields LABEL FILTER FIELD...  (one packet per line, tab-separated)
tb_capture_fields() {
  local label=$1 filter=$2; shift 2
  local args=() f
  for f in "$@"; do args+=(-e "$f"); done
  tshark -n -r "$TB_RESULTS/$label.pcap" -Y "$filter" -T fields "${args[@]}" \
    2> "$TB_RESULTS/$label.tshark.log" || {
    tb_log "tshark failed on $label.pcap: $(grep -v 'Running as user' "$TB_RESULTS/$label.tshark.log")"
    return 1
  }
}

# ---- xfrm --------------------------------------------------------------------------

# Prints how many xfrm states (SAs) HOST has.  tb_xfrm_state_count HOST
tb_xfrm_state_count() { tb_exec "$1" ip xfrm state list | grep -c '^src ' || true; }

# Prints the packet counter of the xfrm state with SPI in HOST (from
# `ip -s xfrm state`; "0" when the state has seen no packet).
# tb_xfrm_packets HOST SPI
tb_xfrm_packets() {
  tb_exec "$1" ip -s xfrm state list spi "$2" |
    awk '/lifetime current:/ { cur = 1; next }
         cur { for (i = 1; i <= NF; i++) if ($i ~ /\(packets\)/) { print $i + 0; exit } }'
}

# Prints the byte counter of the xfrm state with SPI in HOST (from
# `ip -s xfrm state`).  tb_xfrm_bytes HOST SPI
tb_xfrm_bytes() {
  tb_exec "$1" ip -s xfrm state list spi "$2" |
    awk '/lifetime current:/ { cur = 1; next }
         cur { for (i = 1; i <= NF; i++) if ($i ~ /\(bytes\)/) { print $i + 0; exit } }'
}
