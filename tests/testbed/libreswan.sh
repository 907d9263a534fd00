# libreswan (pluto + whack) as a peer in end-to-end tests: an IKEv1 or
# IKEv2 client of vpnd, or a responder for benchmarks and comparisons.
# Source it after lib.sh and tb_init:
#
#   . "$(dirname "$0")/../testbed/lib.sh"
#   . "$(dirname "$0")/../testbed/libreswan.sh"
#   tb_init
#   tb_topology_remote_access
#   lsw_start c1 alice
#   lsw_secrets alice <<< ': PSK "secret123"'
#   lsw_conn alice vpn ikev2=no authby=secret right="$TB_GW_ADDR" ...
#   lsw_up alice vpn || tb_fail "no tunnel"
#   addr=$(lsw_env alice vpn PLUTO_MY_SOURCEIP)
#
# Debian's libreswan package conflicts with strongSwan's, which the test
# bed needs as well, so tests/install-deps unpacks it into LSW_ROOT
# (/opt/vpnd-test/libreswan/current) instead of installing it.  pluto execs
# addconn from its compiled-in /usr/libexec/ipsec; every instance therefore
# runs in a private mount namespace in which /usr/libexec is an overlay of
# the unpacked tree's /usr/libexec over the system's (nothing is written
# outside the instance's folders).
#
# Every instance (NAME, unique within the test) is a pluto of its own in
# one test-bed host:
#   - RESULTS/lsw-NAME/: ipsec.conf ("config setup" and an include of
#     conns/*.conf, one file per connection), ipsec.secrets, ipsec.d/ (the
#     xauthby=file password file goes to ipsec.d/passwd), pluto.log (pluto's
#     log, debug "base" unless --debug says otherwise), whack.log (what
#     every whack command printed) and, per connection CONN, what our updown
#     script saw: updown-CONN/env.VERB (pluto's PLUTO_* variables for each
#     verb: up-client, down-client...);
#   - a private folder under /tmp for the control socket, the pid file and
#     the NSS database (a socket and an sqlite database belong on a local
#     file system; the results folder is a 9p share in the VM).
# The updown script is ours, not libreswan's _updown: on up-client it puts
# the Mode Config address (PLUTO_MY_SOURCEIP) on lo and routes the peer's
# network through it (what _updown does with XFRM), on down-client it takes
# both away; it touches nothing else (no resolv.conf: the DNS servers pluto
# would install are in env.up-client as PLUTO_PEER_DNS_INFO).
#
# Several instances may run in different hosts at once.

LSW_ROOT=${LSW_ROOT:-/opt/vpnd-test/libreswan/current}
LSW_LIBEXEC=$LSW_ROOT/usr/libexec/ipsec
LSW_START_TIMEOUT=${LSW_START_TIMEOUT:-90}   # seconds for pluto to answer whack
LSW_UP_TIMEOUT=${LSW_UP_TIMEOUT:-90}         # seconds for one initiation

declare -A LSW_DIR=()    # NAME -> its folder in the results
declare -A LSW_RUN=()    # NAME -> its private folder (socket, pid, NSS db)
declare -A LSW_PID=()    # NAME -> pid of the process running pluto
declare -A LSW_HOST=()   # NAME -> test-bed host

lsw__need() { [ -n "${LSW_DIR[$1]:-}" ] || tb_fail "libreswan instance '$1' was not started"; }

# Prints instance NAME's folder in the results (for files a test adds, such
# as ipsec.d/passwd for an XAUTH server).
lsw_dir() { lsw__need "$1"; printf '%s\n' "${LSW_DIR[$1]}"; }

# Runs whack against instance NAME in its host, output to stdout and
# appended to whack.log.  lsw_whack NAME ARGS...
lsw_whack() {
  local name=$1; shift
  lsw__need "$name"
  echo "## whack $*" >> "${LSW_DIR[$name]}/whack.log"
  tb_exec "${LSW_HOST[$name]}" "$LSW_LIBEXEC/whack" --ctlsocket "${LSW_RUN[$name]}/pluto.ctl" "$@" 2>&1 |
    tee -a "${LSW_DIR[$name]}/whack.log"
  return "${PIPESTATUS[0]}"
}

# ---- starting and stopping ------------------------------------------------------

# Starts pluto in HOST as instance NAME and waits until it answers whack.
# lsw_start HOST NAME [--setup 'key=value']... [--debug 'LIST']
#   --setup   an extra line for "config setup" (e.g. 'listen=203.0.113.1')
#   --debug   plutodebug= (default "base"; "none", "all", "base tmi"...)
# IKEv1 is accepted (ikev1-policy=accept), DNSSEC is off.  Sets
# LSW_START_SECONDS.
lsw_start() {
  local host=$1 name=$2; shift 2
  local debug=base extra=() line
  while [ $# -gt 0 ]; do
    case $1 in
      --setup) extra+=("$2"); shift 2 ;;
      --debug) debug=$2; shift 2 ;;
      *) tb_fail "lsw_start: unknown option $1" ;;
    esac
  done
  [ -z "${LSW_DIR[$name]:-}" ] || tb_fail "libreswan instance '$name' exists already"
  [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || tb_fail "lsw_start: bad instance name '$name'"
  [ -x "$LSW_LIBEXEC/pluto" ] || tb_fail "no libreswan in $LSW_ROOT (tests/install-deps unpacks it)"

  local dir="$TB_RESULTS/lsw-$name" run
  rm -rf "$dir"
  mkdir -p "$dir/conns" "$dir/ipsec.d/policies" || tb_fail "cannot create $dir"
  run=$(mktemp -d /tmp/vpnd-lsw.XXXXXX) || tb_fail "cannot create a run folder for $name"
  tb_on_exit "rm -rf '$run'"
  mkdir -p "$run/nss"
  LSW_DIR[$name]=$dir LSW_RUN[$name]=$run LSW_HOST[$name]=$host

  # What `ipsec initnss` does, with an explicit database folder.
  certutil -N -d "sql:$run/nss" --empty-password > "$dir/certutil.log" 2>&1 ||
    tb_fail "certutil cannot create $name's NSS database: $(cat "$dir/certutil.log")"
  {
    echo "# libreswan instance '$name' in host $host (tests/testbed/libreswan.sh)"
    echo "config setup"
    echo "	logfile=$dir/pluto.log"
    echo "	logappend=yes"
    echo "	plutodebug=\"$debug\""
    echo "	ikev1-policy=accept"
    echo "	dnssec-enable=no"
    echo "	dumpdir=$run"
    for line in "${extra[@]}"; do echo "	$line"; done
    echo
    echo "include $dir/conns/*.conf"
  } > "$dir/ipsec.conf"
  # addconn reads every included file; an empty one keeps the glob valid.
  : > "$dir/conns/00-none.conf"
  : > "$dir/ipsec.secrets"
  chmod 600 "$dir/ipsec.secrets"
  cat > "$dir/updown" <<'SCRIPT'
#!/bin/bash
# libreswan's updown script for the test bed (tests/testbed/libreswan.sh).
# pluto runs it with PLUTO_VERB and the other PLUTO_* variables; each
# verb's variables go to updown-CONN/env.VERB (written aside, then renamed:
# tests wait for the file).
dir=$(dirname "$0")/updown-$PLUTO_CONNECTION
mkdir -p "$dir"
env | grep -E '^PLUTO_' | sort > "$dir/env.$PLUTO_VERB.tmp"
rc=0
case $PLUTO_VERB in
  up-client)
    if [ -n "${PLUTO_MY_SOURCEIP:-}" ]; then
      ip addr replace "$PLUTO_MY_SOURCEIP/32" dev lo || rc=1
      ip route replace "$PLUTO_PEER_CLIENT" via "$PLUTO_NEXT_HOP" dev "$PLUTO_INTERFACE" \
        src "$PLUTO_MY_SOURCEIP" || rc=1
    fi ;;
  down-client)
    if [ -n "${PLUTO_MY_SOURCEIP:-}" ]; then
      ip route del "$PLUTO_PEER_CLIENT" src "$PLUTO_MY_SOURCEIP" 2> /dev/null
      ip addr del "$PLUTO_MY_SOURCEIP/32" dev lo 2> /dev/null
    fi ;;
esac
mv "$dir/env.$PLUTO_VERB.tmp" "$dir/env.$PLUTO_VERB"
exit $rc
SCRIPT
  chmod +x "$dir/updown"

  local start=$EPOCHREALTIME
  # shellcheck disable=SC2016  # expanded by the inner shell
  tb_daemon "$host" "lsw-$name/stdout" unshare -m --propagation private sh -c \
    'mount -t overlay -o "lowerdir=$0/usr/libexec:/usr/libexec" lsw-libexec /usr/libexec && exec "$@"' \
    "$LSW_ROOT" "$LSW_LIBEXEC/pluto" --nofork --config "$dir/ipsec.conf" --rundir "$run" \
    --ipsecdir "$dir/ipsec.d" --nssdir "$run/nss" --secretsfile "$dir/ipsec.secrets"
  LSW_PID[$name]=$TB_LAST_PID

  local deadline=$((SECONDS + LSW_START_TIMEOUT))
  until tb_exec "$host" "$LSW_LIBEXEC/whack" --ctlsocket "$run/pluto.ctl" --status > /dev/null 2>&1; do
    kill -0 "${LSW_PID[$name]}" 2> /dev/null ||
      tb_fail "pluto '$name' exited during start: $(tail -n 5 "$dir/stdout.log" "$dir/pluto.log" 2> /dev/null)"
    [ $SECONDS -lt $deadline ] || tb_fail "pluto '$name' did not answer whack in ${LSW_START_TIMEOUT}s"
    sleep 0.1
  done
  LSW_START_SECONDS=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }')
  tb_log "pluto '$name' in $host ready in ${LSW_START_SECONDS}s"
}

# The client and the responder start the same way.
lsw_client_start() { lsw_start "$@"; }
lsw_responder_start() { lsw_start "$@"; }

# Stops instance NAME: whack --shutdown (pluto deletes its SAs, telling
# its peers), then waits for it to exit (SIGTERM, SIGKILL if it hangs).
lsw_stop() {
  lsw__need "$1"
  lsw_whack "$1" --shutdown > /dev/null || true
  tb_wait 30 bash -c "! kill -0 ${LSW_PID[$1]}" || true
  tb_stop "${LSW_PID[$1]}" || true
}

# ---- configuration --------------------------------------------------------------

# Appends secrets (ipsec.secrets lines, from stdin) to instance NAME's
# secrets file and has pluto reread it, e.g.
#   lsw_secrets alice <<< ': PSK "key"'
#   lsw_secrets alice <<< '@alice : XAUTH "password"'
lsw_secrets() {
  lsw__need "$1"
  cat >> "${LSW_DIR[$1]}/ipsec.secrets"
  lsw_whack "$1" --rereadsecrets > /dev/null || tb_fail "pluto '$1' could not reread its secrets"
}

# Writes connection CONN of instance NAME (one "key=value" per argument,
# ipsec.conf syntax; values with spaces in double quotes inside the
# argument) and loads it, replacing an earlier one of that name.  Unless
# given, leftupdown is the test bed's updown script and keyingtries=1 (a
# failure shows as a failure, not as endless retries).
# lsw_conn NAME CONN KEY=VALUE...
lsw_conn() {
  local name=$1 conn=$2 kv; shift 2
  lsw__need "$name"
  local dir=${LSW_DIR[$name]}
  {
    echo "conn $conn"
    for kv in "$@"; do echo "	$kv"; done
    printf '%s\n' "$@" | grep -q '^leftupdown=' || echo "	leftupdown=$dir/updown"
    printf '%s\n' "$@" | grep -q '^keyingtries=' || echo "	keyingtries=1"
  } > "$dir/conns/$conn.conf"
  # addconn runs in the instance's host: it resolves %defaultroute there.
  echo "## addconn $conn" >> "$dir/whack.log"
  tb_exec "${LSW_HOST[$name]}" "$LSW_LIBEXEC/addconn" --config "$dir/ipsec.conf" \
    --ctlsocket "${LSW_RUN[$name]}/pluto.ctl" "$conn" >> "$dir/whack.log" 2>&1 ||
    tb_fail "addconn $conn for '$name' failed: $(tail -n 5 "$dir/whack.log")"
}

# Unloads connection CONN of instance NAME (after lsw_down: a connection
# that stays loaded keeps its kernel policy slot, and another connection
# with the same selectors cannot install its SAs).  lsw_conn_delete NAME CONN
lsw_conn_delete() {
  lsw_whack "$1" --name "$2" --delete > /dev/null || tb_fail "whack --delete $2 for '$1' failed"
  rm -f "${LSW_DIR[$1]}/conns/$2.conf"
}

# ---- using connections ----------------------------------------------------------

# Initiates connection CONN of instance NAME and waits until it is up
# (returns 0) or pluto gave up (returns 1).  whack --initiate returns when
# the IPsec SA is established or the attempt failed; up means the updown
# script ran up-client and whack --trafficstatus lists CONN.
# lsw_up NAME CONN [TIMEOUT]   Sets LSW_UP_SECONDS.
lsw_up() {
  local name=$1 conn=$2 timeout=${3:-$LSW_UP_TIMEOUT}
  lsw__need "$name"
  local envdir="${LSW_DIR[$name]}/updown-$conn" start=$SECONDS
  rm -f "$envdir"/env.*
  echo "## whack --name $conn --initiate" >> "${LSW_DIR[$name]}/whack.log"
  timeout "$timeout" ip netns exec "$(tb_ns "${LSW_HOST[$name]}")" "$LSW_LIBEXEC/whack" \
    --ctlsocket "${LSW_RUN[$name]}/pluto.ctl" --name "$conn" --initiate \
    >> "${LSW_DIR[$name]}/whack.log" 2>&1 < /dev/null || true
  if [ ! -e "$envdir/env.up-client" ] || ! lsw_whack "$name" --trafficstatus | grep -q "\"$conn\""; then
    tb_log "libreswan $name: $conn did not come up: $(grep -E '^[0-9]{3} ' "${LSW_DIR[$name]}/whack.log" | tail -n 2 | tr '\n' ' ')"
    return 1
  fi
  LSW_UP_SECONDS=$((SECONDS - start))
  tb_log "libreswan $name: $conn up in ${LSW_UP_SECONDS}s"
}

# Terminates connection CONN of instance NAME (pluto sends DELETE for the
# IPsec and ISAKMP SAs) and waits for the updown script's down-client.
# lsw_down NAME CONN
lsw_down() {
  local name=$1 conn=$2
  lsw__need "$name"
  lsw_whack "$name" --name "$conn" --terminate > /dev/null || return 1
  tb_wait 30 test -e "${LSW_DIR[$name]}/updown-$conn/env.down-client"
}

# Prints variable VAR as pluto handed it to the updown script for CONN's
# up-client (e.g. PLUTO_MY_SOURCEIP, PLUTO_PEER_DNS_INFO, PLUTO_PEER_BANNER).
# lsw_env NAME CONN VAR
lsw_env() {
  lsw__need "$1"
  sed -n "s/^$3=//p" "${LSW_DIR[$1]}/updown-$2/env.up-client"
}

# Prints the SPIs of CONN's IPsec SA as pluto shows them: "IN OUT" (IN is
# the client's inbound SPI, the responder's outbound), from whack --status
# ("esp.OUT@PEER esp.IN@ME").  lsw_child_spis NAME CONN
lsw_child_spis() {
  local spis out in
  # whack drops leading zeros (esp.258396b); vpnd's log and ip xfrm write
  # eight digits.
  spis=$(lsw_whack "$1" --status | grep -F "\"$2\"" | grep -Eo 'esp\.[0-9a-f]+@[^ ]+ esp\.[0-9a-f]+@[^ ]+' | tail -n 1 |
    sed -E 's/esp\.([0-9a-f]+)@[^ ]+ esp\.([0-9a-f]+)@.*/\2 \1/')
  read -r in out <<< "$spis"
  [ -n "$out" ] || return 0
  printf '0x%08x 0x%08x\n' "0x$in" "0x$out"
}

# Prints the states of instance NAME (whack --showstates: one line per
# ISAKMP/IKE and IPsec SA).
lsw_states() { lsw_whack "$1" --showstates; }
