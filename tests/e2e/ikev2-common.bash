# Helpers for the IKEv2 responder's end-to-end tests (tests/e2e/ikev2-*.sh):
# vpnd on gw of tb_topology_remote_access, strongSwan road warriors as
# clients.  Source after lib.sh, strongswan.sh and tb_init.  (Not a test
# itself: the runner only picks up *.sh.)

VPND_CTL_SOCKET=/run/vpnd-e2e-$$/control.sock
VPND_LAUNCHER=()

# Writes vpnd's configuration from stdin to RESULTS/vpnd.conf; the control
# socket and log settings are added here: every subsystem at debug 127, so
# that zz-no-secrets.sh can prove that not even a full debug run logs a
# secret.  vpnd_write_conf < FILE
vpnd_write_conf() {
  {
    echo "log = { level = \"debug\"; debug = { main = 127; config = 127; control = 127; netlink = 127;"
    echo "  jobs = 127; ike = 127; ikev1 = 127; ikev2 = 127; auth = 127; pool = 127; radius = 127; }; };"
    echo "control = { socket = \"$VPND_CTL_SOCKET\"; };"
    cat
  } > "$TB_RESULTS/vpnd.conf"
}

# Every IKE test's traffic on gw's outside interface (direct and NAT'ed
# clients alike) goes to RESULTS/ike-gw.pcap, from before vpnd starts to the
# end of the test: tests/e2e/zz-tshark-suite.sh has tshark decode every IKE
# packet of the suite from these files (issue 3, test 13).
vpnd_capture_ike() {
  [ -z "${TB_CAPTURE_PID[ike-gw]:-}" ] || return 0
  tb_capture_start gw out ike-gw
}

# Packets of ike-gw.pcap the suite-wide tshark check must skip, as a tshark
# display filter, with the reason: only for input a test breaks on purpose
# (a probe's malformed or hand-made messages), never for what vpnd or a real
# client sent.  vpnd_capture_exclude FILTER REASON
vpnd_capture_exclude() { printf '%s\t%s\n' "$1" "$2" >> "$TB_RESULTS/ike-gw.exclude"; }

# Starts vpnd on gw with RESULTS/vpnd.conf and waits until it answers on its
# control socket and listens on UDP 500.  Sets VPND_PID.  vpnd logs to
# stderr (RESULTS/vpnd.log) unless VPND_LOG_TARGET says otherwise; a command
# in the array VPND_LAUNCHER runs it (it must exec vpnd in its own process).
vpnd_start() {
  vpnd_capture_ike
  mkdir -p "$(dirname "$VPND_CTL_SOCKET")"
  "$TB_BUILD/daemon/vpnd" --check-config "$TB_RESULTS/vpnd.conf" > "$TB_RESULTS/check-config.log" 2>&1 ||
    tb_fail "vpnd --check-config: $(cat "$TB_RESULTS/check-config.log")"
  tb_daemon gw vpnd "${VPND_LAUNCHER[@]}" "$TB_BUILD/daemon/vpnd" --foreground --log-target "${VPND_LOG_TARGET:-stderr}" \
    --config "$TB_RESULTS/vpnd.conf"
  VPND_PID=$TB_LAST_PID
  local deadline=$((SECONDS + 60))
  until vpnctl status > /dev/null 2>&1; do
    kill -0 "$VPND_PID" 2> /dev/null || tb_fail "vpnd exited during start: $(tail -n 5 "$TB_RESULTS/vpnd.log")"
    [ $SECONDS -lt $deadline ] || tb_fail "vpnd did not answer on its control socket in 60 s"
    sleep 0.1
  done
  tb_wait_listen 30 gw udp 500
  tb_wait_listen 30 gw udp 4500
  tb_log "vpnd running on gw (pid $VPND_PID)"
}

# vpnctl against the test's vpnd.  vpnctl ARGS...
vpnctl() { "$TB_BUILD/ctl/vpnctl" --socket "$VPND_CTL_SOCKET" "$@"; }

# Stops vpnd (SIGTERM) and waits for it to exit.
# (In a condition: tb_stop's last "kill -KILL" fails once the process is gone,
# which set -e would take for a failure.)
vpnd_stop() { tb_stop "$VPND_PID" || true; }

# Prints the number of sessions vpnd reports.
vpnd_session_count() { vpnctl --json sessions | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["count"])'; }

# Prints field FIELD of the session with address ADDR (empty when none).
# vpnd_session_field ADDR FIELD
vpnd_session_field() {
  vpnctl --json sessions | python3 -c '
import json, sys
for s in json.load(sys.stdin)["result"]["sessions"]:
    if s["address"] == sys.argv[1]:
        v = s[sys.argv[2]]
        print("" if v is None else v)' "$1" "$2"
}

# The number of xfrm policies with an IPsec template on HOST (vpnd's and
# clients'; the IKE sockets' bypass policies have none).
tb_xfrm_policy_count() { tb_exec "$1" ip xfrm policy list | grep -c 'tmpl src' || true; }

# vpnd's log must say REGEX (extended).  vpnd_log_has REGEX [TIMEOUT]
vpnd_log_has() { tb_wait "${2:-5}" grep -Eq -- "$1" "$TB_RESULTS/vpnd.log"; }

# Client NAME in HOST pings srv through its tunnel; vpnd's two SAs of that
# CHILD SA (found by the client's SPIs) must have carried the pings.
# vpnd_assert_traffic HOST NAME
vpnd_assert_traffic() {
  local host=$1 name=$2 in out spi n
  tb_exec "$host" ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-$name.log" ||
    tb_fail "$name in $host cannot ping $TB_SRV_ADDR through the tunnel"
  read -r in out <<< "$(ss_child_spis "$name")"
  for spi in "$in" "$out"; do
    n=$(tb_xfrm_packets gw "$spi")
    [ -n "$n" ] || tb_fail "gw has no xfrm state with SPI $spi ($name)"
    [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi carried $n packets for $name, expected at least 3"
    tb_log "gw: SA $spi of $name carried $n packets"
  done
}

# Nothing of a failed client is on gw: no SA, policy, vpnd route or session.
vpnd_assert_nothing_installed() {
  [ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after a failed authentication"
  [ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw has policies after a failed authentication"
  [ -z "$(tb_exec gw ip route show proto 86)" ] || tb_fail "gw has a vpnd route after a failed authentication"
  [ "$(vpnd_session_count)" -eq 0 ] || tb_fail "vpnctl sessions lists a session after a failed authentication"
}
