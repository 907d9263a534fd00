#!/bin/bash
# Malformed input against the running responder.  A strongSwan road warrior
# on c1 is connected (PSK) and pings srv; from c2, ikev2-malformed.py sends
# with scapy, to UDP 500 and to UDP 4500 with and without the non-ESP marker:
# truncated IKE headers (0..27 bytes), header lengths above and below the
# datagram, payload lengths 0 / 3 / beyond the end, payloads that would loop,
# 2000 chained payloads, an unknown critical payload in IKE_SA_INIT (RFC 7296
# 2.5: UNSUPPORTED_CRITICAL_PAYLOAD), major version 3 (INVALID_MAJOR_VERSION),
# 64 KB messages in IP fragments, an IKE_AUTH for an unknown SPI and 2000
# garbage datagrams from a fixed seed.  Then: vpnd runs with the same PID,
# `vpnctl status` answers, c1 still pings srv through its SAs (their counters
# move), vpnd logged the drops, tshark decodes every answer vpnd sent without
# flagging one malformed, and vpnd stops with status 0 and no crash,
# sanitizer or leak report in its log (CI's e2e runs a normal build; run
# this with an ASan build too).
# e2e-timeout: 500
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-malformed-test-51d0
tb_topology_remote_access --direct 2

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19, 14]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "rw-policy"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; protocols = ["ikev2"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "rw-pool";
                    group-policy = "rw-policy"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
# The probe on c2 sends broken IKE on purpose: the suite-wide tshark check
# (zz-tshark-suite) skips what c2 sent and checks vpnd's answers and alice's
# messages like every other test's.
vpnd_capture_exclude "ip.src == ${TB_ADDR[c2]}" "ikev2-malformed.py on c2 sends malformed IKE on purpose"
vpnd_start
tb_capture_start gw out outside

ss_client_start c1 alice
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up alice vpn || tb_fail "the tunnel did not come up"
tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "c1 cannot ping srv through the tunnel"
read -r spi_in spi_out <<< "$(ss_child_spis alice)"
before_in=$(tb_xfrm_packets gw "$spi_in")
before_out=$(tb_xfrm_packets gw "$spi_out")
tb_log "before the flood: SA $spi_in carried $before_in packets, $spi_out $before_out"

# ---- the flood, with c1 pinging through it ------------------------------------------
# (ping itself in the background, not a subshell, so that SIGINT makes it
# print its statistics.)
ip netns exec "$(tb_ns c1)" ping -i 0.5 -W 2 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-during.log" 2>&1 &
ping_pid=$!
TB_PIDS+=("$ping_pid")
probe_rc=0
tb_exec c2 /usr/bin/python3 "$TB_REPO/tests/e2e/ikev2-malformed.py" "$TB_GW_ADDR" \
  > "$TB_RESULTS/probe.log" 2>&1 || probe_rc=$?
cat "$TB_RESULTS/probe.log" >&2
grep -q '^sent [0-9]* datagrams$' "$TB_RESULTS/probe.log" || tb_fail "the probe did not finish (exit $probe_rc)"
kill -INT "$ping_pid"
wait "$ping_pid" || true
read -r transmitted received < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' \
  "$TB_RESULTS/ping-during.log") || true
tb_log "c1's ping during the flood: ${received:-0} of ${transmitted:-0} answered"
[ "${transmitted:-0}" -ge 10 ] && [ $((received * 10)) -ge $((transmitted * 9)) ] ||
  tb_fail "c1's ping during the flood: ${received:-0} of ${transmitted:-0} answered"

# ---- vpnd survived and still serves the client ------------------------------------------
kill -0 "$VPND_PID" 2> /dev/null || tb_fail "vpnd died: $(tail -n 20 "$TB_RESULTS/vpnd.log")"
tb_exec gw ss -lunpH 'sport = :500' | grep -q "pid=$VPND_PID," ||
  tb_fail "UDP 500 on gw is not vpnd's (pid $VPND_PID) any more"
vpnctl status > "$TB_RESULTS/status.txt" || tb_fail "vpnctl status does not answer after the flood"
[ "$(vpnd_session_field "$(ss_client_vip alice)" user)" = alice@example.com ] ||
  tb_fail "alice's session is gone after the flood"
tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "c1 cannot ping srv after the flood"
[ "$(ss_child_spis alice)" = "$spi_in $spi_out" ] || tb_fail "alice's CHILD_SA changed during the flood"
after_in=$(tb_xfrm_packets gw "$spi_in")
after_out=$(tb_xfrm_packets gw "$spi_out")
[ "$after_in" -ge $((before_in + received + 3)) ] && [ "$after_out" -ge $((before_out + received + 3)) ] ||
  tb_fail "the SAs' counters did not move through the flood: in $before_in -> $after_in, out $before_out -> $after_out"
tb_log "after the flood: SA $spi_in carried $after_in packets, $spi_out $after_out"

# ---- vpnd counted what it dropped, where the operator sees it (vpnctl status) ----
read -r runts parse_errors unknown_spi < <(vpnctl --json status | python3 -c '
import json, sys
ike = json.load(sys.stdin)["result"]["ike"]
print(ike["sockets"]["dropped_malformed"], ike["parse_errors"], ike["unknown_spi"])')
tb_log "vpnctl status: $runts runts dropped by the sockets, $parse_errors malformed messages, $unknown_spi for unknown SPIs"
[ "$runts" -ge 28 ] || tb_fail "vpnctl status counts $runts runts; 0..27-byte headers were sent to each port"
[ "$parse_errors" -ge 100 ] || tb_fail "vpnctl status counts only $parse_errors malformed messages"
[ "$unknown_spi" -ge 1 ] || tb_fail "vpnctl status counts no message for an unknown SPI"

# ---- vpnd saw and dropped the broken messages (its debug log) ------------------------
log=$TB_RESULTS/vpnd.log
vpnd_log_has "dropped: header length does not match the datagram"
vpnd_log_has "malformed IKE_SA_INIT dropped: payload length below 4"
vpnd_log_has "malformed IKE_SA_INIT dropped: truncated payload"
vpnd_log_has "malformed IKE_SA_INIT dropped: data after the last payload"
vpnd_log_has "malformed IKE_SA_INIT dropped: too many substructures"
vpnd_log_has "malformed IKE_SA_INIT dropped: encrypted payload not last"
vpnd_log_has "with IKE major version 3 dropped"
vpnd_log_has "IKE_AUTH request for an unknown IKE SA [0-9a-f]+_i [0-9a-f]+_r dropped"
drops=$(grep -Ec 'dropped' "$log" || true)
tb_log "vpnd logged $drops drops"
[ "$drops" -ge 300 ] || tb_fail "vpnd logged only $drops drops"

# ---- what vpnd sent, as tshark decodes it ----------------------------------------------
tb_capture_stop outside > /dev/null
answers=$(tb_capture_fields outside "ip.src == $TB_GW_ADDR && isakmp" frame.number | wc -l)
[ "$answers" -ge 1 ] || tb_fail "tshark sees no IKE message from vpnd"
bad=$(tb_capture_fields outside "ip.src == $TB_GW_ADDR && (_ws.malformed || _ws.expert.severity == error)" \
  frame.number _ws.col.Info)
[ -z "$bad" ] || tb_fail "tshark flags vpnd's packets: $(head -n 3 <<< "$bad")"
tb_log "tshark decodes all $answers IKE messages from vpnd"

# ---- vpnd stops cleanly; no crash, sanitizer or leak report in its log ------------
kill -TERM "$VPND_PID"
vpnd_rc=0
wait "$VPND_PID" || vpnd_rc=$?
if grep -Eq 'Sanitizer|runtime error:|Segmentation fault|Aborted|assertion|core dumped' "$log"; then
  tb_fail "vpnd's log shows a crash or sanitizer report: $(grep -Em 3 'Sanitizer|runtime error:|Segmentation|Aborted|assertion|core dumped' "$log")"
fi
[ "$vpnd_rc" -eq 0 ] || tb_fail "vpnd exited with status $vpnd_rc on SIGTERM: $(tail -n 5 "$log")"

[ "$probe_rc" -eq 0 ] || tb_fail "vpnd survived, but answered against RFC 7296: $(grep -E '^(RFC|FAIL):' "$TB_RESULTS/probe.log" | paste -sd ';')"
