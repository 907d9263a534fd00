# The flood check of tests/bench/run (--flood-check R), sourced by it: the
# issue's "under a flood of 10,000 spoofed IKE_SA_INIT per second,
# established sessions keep passing traffic and a legitimate client still
# connects", with real clients, since the generator has no ESP.
#
# For each responder (default cookie and half-open settings):
#   1. strongSwan client "a" on c2 brings up its tunnel and pings srv once;
#   2. c1 floods gw with R spoofed IKE_SA_INIT per second from 198.18.0.0/16
#      (vpnd-loadgen --mode flood, a raw socket);
#   3. during the flood, "a" pings srv five times a second for
#      FLOOD_CHECK_SECONDS, and strongSwan client "b" on c3 connects (with
#      its own retransmissions and cookie rounds; the test bed's schedule,
#      tests/testbed/strongswan.sh: 4 retransmissions from 6 s, ×1.8,
#      about 134 s before it gives up) and
#      pings srv;
#   4. the flood stops once both are done.
# Measured: the flood as sent (generator) and as seen on gw (an nftables
# counter in gw's prerouting hook), what the responder answered to the
# spoofed addresses and how many of those answers were COOKIE requests
# (nftables counters on gw's output, matching the IKE header's first payload
# and the notify type), gw's UDP receive buffer drops, the responder's CPU
# during the flood, "a"'s pings answered and its ESP SAs' packet counters
# on gw (both directions), whether "b" connected, in how long, and its pings.
# Writes RESULTS/NAME/metrics.json.  Uses the runner's start_NAME/stop_NAME,
# cpu_ticks, udp_drops, now and ms_since.

FLOOD_CHECK_SECONDS=${FLOOD_CHECK_SECONDS:-30}

# nftables counters on gw: the flood arriving, the responder's answers to
# the spoofed sources and the COOKIE notifies among them (RFC 7296 3.1: the
# first payload type at byte 16 of the IKE header is Notify, 41; 3.10: its
# type at byte 6 of the payload, which starts at byte 28, is COOKIE, 16390),
# and COOKIE notifies to anyone else (the legitimate client "b").
flood_counters_install() {
  tb_exec gw nft -f - << 'EOF' || tb_fail "nftables counters on gw"
table ip bench_flood {
  counter flood_in {}
  counter answers_spoofed {}
  counter cookies_spoofed {}
  counter cookies_clients {}
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    ip saddr 198.18.0.0/16 udp dport 500 counter name flood_in
  }
  chain out {
    type filter hook output priority raw; policy accept;
    ip daddr 198.18.0.0/16 udp sport 500 counter name answers_spoofed
    ip daddr 198.18.0.0/16 udp sport 500 @th,192,8 41 @th,336,16 16390 counter name cookies_spoofed
    ip daddr != 198.18.0.0/16 udp sport 500 @th,192,8 41 @th,336,16 16390 counter name cookies_clients
  }
}
EOF
}
flood_counters_reset() { tb_exec gw nft reset counters table ip bench_flood > /dev/null; }
# Prints "NAME PACKETS" per counter.
flood_counters_read() {
  tb_exec gw nft list counters table ip bench_flood |
    awk '/counter / { name = $2 } /packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") print name, $(i + 1) }'
}

# Pings answered out of sent, from ping's summary line in FILE: "SENT RECEIVED".
ping_summary() {
  awk '/packets transmitted/ { print $1, $4 }' "$1" | tail -n 1 | grep . || echo "0 0"
}

# flood_check_one NAME
flood_check_one() {
  local name=$1 dir=$TB_RESULTS/$1
  mkdir -p "$dir"
  local run_start=$SECONDS
  tb_log "== $name: starting (flood check, $FLOOD spoofed IKE_SA_INIT/s)"
  "start_$name"
  local pid=$RESPONDER_PID
  [ -n "$(readlink "/proc/$pid/exe")" ] || tb_fail "$name: no process $pid"
  tb_exec gw nft list table ip bench_flood > /dev/null 2>&1 || flood_counters_install

  # Both clients' charons are started now; "b" initiates during the flood.
  local a=a-$name b=b-$name
  ss_client_start c2 "$a"
  ss_client_start c3 "$b"
  local id
  for id in "$a" "$b"; do
    ss_client_conn "$id" vpn --remote "$TB_GW_ADDR" --psk "$id@example.com" "$PSK" \
      --ike "$IKE" --esp "$ESP" --remote-ts "$TB_PROTECTED_NET"
  done
  ss_client_up "$a" vpn || tb_fail "$name: client a could not connect before the flood"
  tb_exec c2 ping -c 1 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "$name: no ping through a's tunnel before the flood"
  local a_in a_out
  read -r a_in a_out <<< "$(ss_child_spis "$a" | head -n 1)"
  # gw's view: packets it received from "a" (a's outbound SPI) and sent to it.
  local esp_in0 esp_out0
  esp_in0=$(tb_xfrm_packets gw "$a_out") esp_out0=$(tb_xfrm_packets gw "$a_in")
  [ -n "$esp_in0" ] && [ -n "$esp_out0" ] || tb_fail "$name: gw has no ESP SAs with a's SPIs $a_in/$a_out"

  flood_counters_reset
  local cpu0 drops0 t0
  cpu0=$(cpu_ticks "$pid") drops0=$(udp_drops)
  t0=$(now)
  rm -f "$dir/flood-ready"
  ip netns exec "$(tb_ns c1)" "$LOADGEN" --mode flood --server "$TB_GW_ADDR" --source 198.18.0.0-198.18.255.255 \
    --rate "$FLOOD" --duration 3600 --json "$dir/flood.json" --ready-file "$dir/flood-ready" > "$dir/flood.log" 2>&1 &
  local flood_pid=$!
  until [ -e "$dir/flood-ready" ]; do
    kill -0 "$flood_pid" 2> /dev/null || tb_fail "$name: the flood did not start: $(tail -n 3 "$dir/flood.log")"
    sleep 0.1
  done
  # a's traffic for the whole check, five pings a second.
  ip netns exec "$(tb_ns c2)" ping -n -i 0.2 -W 2 -c $((FLOOD_CHECK_SECONDS * 5)) "$TB_SRV_ADDR" > "$dir/ping-a.log" 2>&1 &
  local ping_pid=$!
  # b connects once the flood has filled the responder's half-open table
  # (a few seconds in), within what is left of the check.
  sleep 5
  local b_connected=false b_seconds=null b_ping="0 0"
  if ss_client_up "$b" vpn 200; then
    b_connected=true b_seconds=$SS_UP_SECONDS
    tb_exec c3 ping -n -c 5 -i 0.2 -W 2 "$TB_SRV_ADDR" > "$dir/ping-b.log" 2>&1 || true
    b_ping=$(ping_summary "$dir/ping-b.log")
  fi
  wait "$ping_pid" || true
  kill -TERM "$flood_pid"
  wait "$flood_pid" || tb_fail "$name: the flood failed: $(tail -n 3 "$dir/flood.log")"
  local cpu1 drops1 flood_wall
  cpu1=$(cpu_ticks "$pid") drops1=$(udp_drops)
  flood_wall=$(ms_since "$t0")
  flood_counters_read > "$dir/gw-counters.txt"
  local esp_in1 esp_out1
  esp_in1=$(tb_xfrm_packets gw "$a_out") esp_out1=$(tb_xfrm_packets gw "$a_in")
  local a_ping
  a_ping=$(ping_summary "$dir/ping-a.log")
  tb_log "$name: a answered $a_ping (sent, received) pings; ESP on gw: in $esp_in0 -> $esp_in1, out $esp_out0 -> $esp_out1; b connected: $b_connected ($b_seconds s)"
  cat "$dir/flood.log" "$dir/gw-counters.txt"

  python3 - "$dir/metrics.json" "$name" "$FLOOD" "$dir/flood.json" "$dir/gw-counters.txt" "$flood_wall" \
    "$cpu0" "$cpu1" "$CLK_TCK" "$drops0" "$drops1" "$a_ping" "$esp_in0" "$esp_in1" "$esp_out0" "$esp_out1" \
    "$b_connected" "$b_seconds" "$b_ping" <<'PY'
import json, sys
(out, name, rate, fj, counters, wall_ms, cpu0, cpu1, tck, d0, d1, a_ping, ei0, ei1, eo0, eo1,
 b_conn, b_secs, b_ping) = sys.argv[1:]
f = json.load(open(fj))
c = dict((k, int(v)) for k, v in (l.split() for l in open(counters) if l.strip()))
wall = float(wall_ms) / 1000
# The generator's own clock for what it sent; gw's counter over the same
# span (it ran from just before the flood to just after).
flood_s = f.get("flood_seconds") or wall
a_sent, a_recv = map(int, a_ping.split())
b_sent, b_recv = map(int, b_ping.split())
m = {
    "responder": name, "mode": "flood-check", "flood_rate_requested": float(rate),
    "flood_seconds": round(flood_s, 1),
    "flood_sent": f["flood_sent"], "flood_rate_sent": round(f["flood_sent"] / flood_s, 1),
    "flood_seen_gw": c.get("flood_in"), "flood_rate_seen_gw": round(c.get("flood_in", 0) / flood_s, 1),
    "udp_rcvbuf_drops": int(d1.split()[0]) - int(d0.split()[0]),
    "answers_to_spoofed": c.get("answers_spoofed"), "cookies_to_spoofed": c.get("cookies_spoofed"),
    "cookies_to_clients": c.get("cookies_clients"),
    "responder_cpu_percent": round(100 * (float(cpu1) - float(cpu0)) / float(tck) / wall, 1),
    "a_pings_sent": a_sent, "a_pings_answered": a_recv,
    "a_esp_packets_in": int(ei1) - int(ei0), "a_esp_packets_out": int(eo1) - int(eo0),
    "b_connected": b_conn == "true", "b_connect_seconds": json.loads(b_secs),
    "b_pings_sent": b_sent, "b_pings_answered": b_recv,
}
json.dump(m, open(out, "w"), indent=2)
PY
  ss_client_stop "$a" || true
  ss_client_stop "$b" || true
  "stop_$name"
  python3 - "$dir/metrics.json" "$((SECONDS - run_start))" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["run_wall_seconds"] = int(sys.argv[2])
json.dump(m, open(sys.argv[1], "w"), indent=2)
PY
  tb_log "$name: flood check done in $((SECONDS - run_start)) s"
}

# The side-by-side table of the flood check: stdout, RESULTS/table.txt and
# RESULTS/bench.json.  flood_check_table NAME...
flood_check_table() {
  python3 - "$TB_RESULTS" "$FLOOD" "$FLOOD_CHECK_SECONDS" "$IKE" "$ESP" "$@" <<'PY' | tee "$TB_RESULTS/table.txt"
import json, sys
res, rate, secs, ike, esp, *names = sys.argv[1:]
m = {r: json.load(open(f"{res}/{r}/metrics.json")) for r in names}
rows = [
    ("flood requested (pkt/s)", lambda x: x["flood_rate_requested"]),
    ("flood duration (s)", lambda x: x["flood_seconds"]),
    ("flood sent (pkt/s)", lambda x: x["flood_rate_sent"]),
    ("flood seen on gw (pkt/s)", lambda x: x["flood_rate_seen_gw"]),
    ("spoofed requests sent", lambda x: x["flood_sent"]),
    ("spoofed requests seen on gw", lambda x: x["flood_seen_gw"]),
    ("gw UDP drops (rcvbuf full)", lambda x: x["udp_rcvbuf_drops"]),
    ("answers to spoofed sources", lambda x: x["answers_to_spoofed"]),
    ("  of which COOKIE requests", lambda x: x["cookies_to_spoofed"]),
    ("COOKIE requests to clients", lambda x: x["cookies_to_clients"]),
    ("responder CPU % (flood)", lambda x: x["responder_cpu_percent"]),
    ("a: pings answered / sent", lambda x: f'{x["a_pings_answered"]}/{x["a_pings_sent"]}'),
    ("a: ESP packets in on gw", lambda x: x["a_esp_packets_in"]),
    ("a: ESP packets out on gw", lambda x: x["a_esp_packets_out"]),
    ("b: connected", lambda x: "yes" if x["b_connected"] else "no"),
    ("b: connect time (s)", lambda x: x["b_connect_seconds"]),
    ("b: pings answered / sent", lambda x: f'{x["b_pings_answered"]}/{x["b_pings_sent"]}'),
    ("responder's run, wall (s)", lambda x: x["run_wall_seconds"]),
]
print(f"flood check: {rate} spoofed IKE_SA_INIT/s for at least {secs}s; client a established before, "
      f"client b connects during it; IKE {ike}, ESP {esp}, PSK")
print(f"{'':30}" + "".join(f"{r:>12}" for r in names))
for label, f in rows:
    print(f"{label:30}" + "".join(f"{str(f(m[r])):>12}" for r in names))
json.dump({"mode": "flood-check", "flood_rate": float(rate), "seconds": int(secs), "ike": ike, "esp": esp,
           "responders": m}, open(f"{res}/bench.json", "w"), indent=2)
PY
}
