#!/bin/bash
# 50 simultaneous strongSwan road warriors (issue 3, test 12): five client
# hosts, each with one charon holding ten connections, each connection with
# its own source address, identity (uN@example.com) and virtual IP request.
# All 50 are started at once (charon's start_action = start); every client
# gets a distinct address from the pool, pings srv from it through its ESP
# SA, and vpnd's kernel SAs of every session count those packets;
# `vpnctl sessions` lists 50 sessions with the right user, address and
# public address; the kernel holds 100 SAs, 150 policies and 50 routes of
# vpnd, and `vpnctl stats` counts as many kernel installs, timed, with two
# netlink round trips each.  Then every client disconnects and nothing is
# left: no xfrm state, no policy but the IKE sockets' bypass policies, no
# route of vpnd, no
# session, no lease in the pool.  How long things took (charon starts,
# all 50 up, pings, all down) goes to timings.txt, as numbers for the
# record (nothing is asserted about them); the VM's memory at the peak to
# memory.txt.
# e2e-timeout: 900
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

N=${VPND_SCALE_CLIENTS:-50}
PER_HOST=10
[ "$N" -ge 1 ] && [ "$N" -le 150 ] || tb_fail "VPND_SCALE_CLIENTS must be 1..150"
HOSTS=$(( (N + PER_HOST - 1) / PER_HOST ))
PSK=ikev2-scale-key-5d7e
tb_topology_remote_access --direct "$HOSTS"
timings="$TB_RESULTS/timings.txt"
: > "$timings"
elapsed() { awk -v s="$1" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }'; }

# Client k (1..N) lives on host c<h> and talks from 203.0.113.(100+k).
host_of() { echo "c$(( ($1 - 1) / PER_HOST + 1 ))"; }
charon_of() { echo "s$(( ($1 - 1) / PER_HOST + 1 ))"; }
addr_of() { echo "203.0.113.$((100 + $1))"; }
for ((h = 1; h <= HOSTS; h++)); do
  cmds=()
  for ((k = (h - 1) * PER_HOST + 1; k <= h * PER_HOST && k <= N; k++)); do
    cmds+=("addr add $(addr_of "$k")/24 dev eth0")
  done
  tb_ip_batch "c$h" "${cmds[@]}"
done

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes128"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes128"]; integrity = ["sha256"]; } );
pools = ( { name = "scale-pool"; range = "10.3.0.10-10.3.0.250"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "scale-policy"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; protocols = ["ikev2"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "scale-pool";
                    group-policy = "scale-policy"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start

# ---- the clients -----------------------------------------------------------------------
start=$EPOCHREALTIME
for ((h = 1; h <= HOSTS; h++)); do
  ss_client_start "c$h" "s$h"
  echo "charon_start_s${h}_seconds $SS_START_SECONDS" >> "$timings"
done
echo "charon_starts_seconds $(elapsed "$start")" >> "$timings"
for ((k = 1; k <= N; k++)); do
  ss_client_conn "$(charon_of "$k")" "u$k" --no-load --start --remote "$TB_GW_ADDR" \
    --local-addr "$(addr_of "$k")" --psk "u$k@example.com" "$PSK" \
    --ike aes128-sha256-ecp256 --esp aes128-sha256 --remote-ts "$TB_PROTECTED_NET"
done

# Loading starts every connection at once; the hosts load in parallel.
start=$EPOCHREALTIME
pids=()
for ((h = 1; h <= HOSTS; h++)); do
  ss_load "s$h" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || tb_fail "loading the clients' connections failed"; done
loaded=$(elapsed "$start")
deadline=$((SECONDS + 300))
up=0
while :; do
  up=$(vpnd_session_count)
  [ "$up" -lt "$N" ] || break
  [ $SECONDS -lt $deadline ] || tb_fail "only $up of $N sessions came up in 300 s"
  sleep 0.5
done
all_up=$(elapsed "$start")
tb_log "all $N sessions up ${all_up}s after loading started (loading took ${loaded}s)"
echo "clients $N" >> "$timings"
echo "load_seconds $loaded" >> "$timings"
echo "all_up_seconds $all_up" >> "$timings"
free -m > "$TB_RESULTS/memory.txt" 2>&1 || true
ps -eo rss,comm --sort=-rss 2> /dev/null | head -n 15 >> "$TB_RESULTS/memory.txt" || true

# ---- what each client got ------------------------------------------------------------------
# From each charon, one line per IKE SA: "CONN VIP SPI_IN SPI_OUT" (its CHILD SA).
declare -A vip_of spi_in_of spi_out_of
for ((h = 1; h <= HOSTS; h++)); do
  ss_client_sas "s$h" --raw > "$TB_RESULTS/sas-s$h.txt"
  while read -r conn vip in out; do
    vip_of[$conn]=$vip spi_in_of[$conn]=$in spi_out_of[$conn]=$out
  done < <(sed -n 's/^list-sa event {\([A-Za-z0-9_-]*\) .*local-vips=\[\([0-9.]*\)\].*spi-in=\([0-9a-f]*\) spi-out=\([0-9a-f]*\).*/\1 \2 0x\3 0x\4/p' \
    "$TB_RESULTS/sas-s$h.txt")
done
declare -A seen_vip
for ((k = 1; k <= N; k++)); do
  v=${vip_of[u$k]:-}
  [ -n "$v" ] || tb_fail "client u$k has no CHILD SA with a virtual IP (see sas-$(charon_of "$k").txt)"
  [[ $v =~ ^10\.3\.0\.([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 10 ] && [ "${BASH_REMATCH[1]}" -le 250 ] ||
    tb_fail "client u$k got $v, not an address of the pool"
  [ -z "${seen_vip[$v]:-}" ] || tb_fail "clients ${seen_vip[$v]} and u$k both got $v"
  seen_vip[$v]=u$k
done
tb_log "$N clients have $N distinct virtual IPs from the pool"

# ---- vpnctl sessions: 50, each the right user, address and public address ------------------
vpnctl --json sessions > "$TB_RESULTS/sessions-up.json"
vpnctl sessions > "$TB_RESULTS/sessions-up.txt"
python3 - "$TB_RESULTS/sessions-up.json" "$N" > "$TB_RESULTS/sessions-up.tsv" <<'PY' || tb_fail "vpnctl sessions: $(tail -n 1 "$TB_RESULTS/sessions-up.tsv")"
import json, sys
result = json.load(open(sys.argv[1]))["result"]
n = int(sys.argv[2])
sessions = result["sessions"]
if result["count"] != n or len(sessions) != n:
    print(f"lists {result['count']} sessions ({len(sessions)} entries), expected {n}")
    sys.exit(1)
for s in sessions:
    child = s.get("child_sas") or ["none"]
    print(s["user"], s["address"], s["public_address"].rsplit(":", 1)[0], s["tunnel_group"],
          child[0].replace(" ", "_"))
PY
declare -A session_user session_public session_child
while read -r user address public group child; do
  [ "$group" = rw ] || tb_fail "session of $user is in tunnel group $group"
  session_user[$address]=$user session_public[$address]=$public session_child[$address]=$child
done < "$TB_RESULTS/sessions-up.tsv"
for ((k = 1; k <= N; k++)); do
  v=${vip_of[u$k]}
  [ "${session_user[$v]:-}" = "u$k@example.com" ] ||
    tb_fail "vpnctl sessions: address $v belongs to '${session_user[$v]:-nobody}', expected u$k@example.com"
  [ "${session_public[$v]}" = "$(addr_of "$k")" ] ||
    tb_fail "vpnctl sessions: u$k's public address is ${session_public[$v]}, expected $(addr_of "$k")"
  # vpnd's inbound SPI is the client's outbound one.
  [ "${session_child[$v]}" = "in_${spi_out_of[u$k]}_out_${spi_in_of[u$k]}" ] ||
    tb_fail "vpnctl sessions: u$k's CHILD SA is ${session_child[$v]}, the client has in ${spi_in_of[u$k]} out ${spi_out_of[u$k]}"
done
tb_log "vpnctl sessions lists the $N sessions with the right users, addresses, public addresses and SPIs"

[ "$(tb_xfrm_state_count gw)" -eq $((2 * N)) ] || tb_fail "gw has $(tb_xfrm_state_count gw) xfrm states, expected $((2 * N))"
[ "$(tb_xfrm_policy_count gw)" -eq $((3 * N)) ] || tb_fail "gw has $(tb_xfrm_policy_count gw) IPsec policies, expected $((3 * N))"
routes=$(tb_exec gw ip route show proto 86 | wc -l)
[ "$routes" -eq "$N" ] || tb_fail "gw has $routes routes of vpnd, expected $N"

# vpnd's own account of those installs (`vpnctl stats`, kernel): each
# session's SAs, policies and route counted and timed, in two netlink round
# trips (one XFRM batch with the SPI chosen in it, one route).  The times
# go to the record; none is judged.
vpnctl --json stats > "$TB_RESULTS/stats-up.json"
vpnctl stats > "$TB_RESULTS/stats-up.txt"
python3 - "$TB_RESULTS/stats-up.json" "$N" > "$TB_RESULTS/kernel-installs.txt" <<'PY' || tb_fail "vpnctl stats: $(tail -n 1 "$TB_RESULTS/kernel-installs.txt")"
import json, sys
k = json.load(open(sys.argv[1]))["result"]["kernel"]
n = int(sys.argv[2])
print(json.dumps(k))
if k["installs"] < n:
    sys.exit(f"{k['installs']} kernel installs counted, expected at least {n}")
if not (k["first_install_us"] > 0 and k["last_install_us"] > 0 and k["p99_us"] >= k["p50_us"] > 0):
    sys.exit(f"install times missing: {k}")
if k["window"] != min(k["installs"], 1024):
    sys.exit(f"percentiles over {k['window']} installs, expected {min(k['installs'], 1024)}")
if not 1 <= k["round_trips_per_install"] <= 2:
    sys.exit(f"{k['round_trips_per_install']} netlink round trips per install, expected 2 (XFRM batch, route)")
PY
grep -q "^Kernel installs: *$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["kernel"]["installs"])' "$TB_RESULTS/stats-up.json") CHILD SAs" "$TB_RESULTS/stats-up.txt" ||
  tb_fail "vpnctl stats does not show the kernel installs: $(grep -i kernel "$TB_RESULTS/stats-up.txt")"
tb_log "vpnctl stats counts the kernel installs: $(head -n 1 "$TB_RESULTS/kernel-installs.txt")"

# ---- traffic: a ping from every virtual IP, all hosts at once --------------------------------
start=$EPOCHREALTIME
pids=()
for ((h = 1; h <= HOSTS; h++)); do
  vips=()
  for ((k = (h - 1) * PER_HOST + 1; k <= h * PER_HOST && k <= N; k++)); do vips+=("${vip_of[u$k]}"); done
  tb_exec "c$h" bash -c '
    srv=$1; shift
    for v in "$@"; do ping -c 2 -i 0.3 -W 5 -I "$v" "$srv" > /dev/null 2>&1 || echo "$v" & done
    wait' ping "$TB_SRV_ADDR" "${vips[@]}" > "$TB_RESULTS/ping-failed-c$h.txt" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done
echo "ping_seconds $(elapsed "$start")" >> "$timings"
failed=$(cat "$TB_RESULTS"/ping-failed-c*.txt)
[ -z "$failed" ] || tb_fail "no ping through the tunnel from: $(echo $failed)"

# vpnd's SAs counted every session's packets: once in the kernel (one dump),
# once as vpnctl reports them.
tb_exec gw ip -s xfrm state list > "$TB_RESULTS/xfrm-state-up.txt"
declare -A packets
while read -r spi n; do packets[$spi]=$n; done < <(awk '
  /^src / { spi = ""; cur = 0 }
  / spi 0x/ { for (i = 1; i <= NF; i++) if ($i == "spi") { spi = $(i + 1); sub(/\(.*/, "", spi) } }
  /lifetime current:/ { cur = 1; next }
  cur && /packets/ { for (i = 1; i <= NF; i++) if ($i ~ /\(packets\)/) { print spi, $i + 0 }; cur = 0 }' \
  "$TB_RESULTS/xfrm-state-up.txt")
for ((k = 1; k <= N; k++)); do
  # The client's inbound SPI is vpnd's outbound one, and the other way round.
  for spi in "${spi_in_of[u$k]}" "${spi_out_of[u$k]}"; do
    n=${packets[$spi]:-}
    [ -n "$n" ] || tb_fail "gw has no xfrm state with SPI $spi (client u$k)"
    [ "$n" -ge 2 ] || tb_fail "vpnd's SA $spi of client u$k carried $n packets, expected at least 2"
  done
done
python3 - "$N" > "$TB_RESULTS/counters.txt" <<PY || tb_fail "vpnctl sessions counters: $(tail -n 1 "$TB_RESULTS/counters.txt")"
import json, subprocess, sys
out = subprocess.run(["$TB_BUILD/ctl/vpnctl", "--socket", "$VPND_CTL_SOCKET", "--json", "sessions"],
                     check=True, capture_output=True, text=True).stdout
low = [s["user"] for s in json.loads(out)["result"]["sessions"]
       if (s["packets_in"] or 0) < 2 or (s["packets_out"] or 0) < 2]
if low:
    print("sessions with fewer than 2 packets each way:", " ".join(low))
    sys.exit(1)
print("every session counted at least 2 packets each way")
PY
tb_log "every one of the $N sessions passed traffic through its own SAs"

# ---- every client disconnects --------------------------------------------------------------
start=$EPOCHREALTIME
pids=()
for ((h = 1; h <= HOSTS; h++)); do
  (
    for ((k = (h - 1) * PER_HOST + 1; k <= h * PER_HOST && k <= N; k++)); do
      ss_client_down "s$h" "u$k" || echo "u$k"
    done
  ) > "$TB_RESULTS/down-failed-c$h.txt" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done
failed=$(cat "$TB_RESULTS"/down-failed-c*.txt)
[ -z "$failed" ] || tb_fail "these clients could not close their tunnel: $(echo $failed)"
no_session_left() { [ "$(vpnd_session_count)" -eq 0 ]; }
tb_wait 120 no_session_left
echo "all_down_seconds $(elapsed "$start")" >> "$timings"

tb_exec gw ip xfrm state list > "$TB_RESULTS/xfrm-state-down.txt"
tb_exec gw ip xfrm policy list > "$TB_RESULTS/xfrm-policy-down.txt"
[ ! -s "$TB_RESULTS/xfrm-state-down.txt" ] || tb_fail "gw still has xfrm states after every client left"
# Only the IKE sockets' per-socket bypass policies may remain: nothing
# with a template, nothing in the in/out/fwd tables.
grep -q 'tmpl ' "$TB_RESULTS/xfrm-policy-down.txt" && tb_fail "gw still has IPsec policies after every client left"
grep -Eq '^[[:space:]]*dir (in|out|fwd) ' "$TB_RESULTS/xfrm-policy-down.txt" &&
  tb_fail "gw still has in/out/fwd policies after every client left"
[ -z "$(tb_exec gw ip route show proto 86)" ] || tb_fail "vpnd's routes remain on gw after every client left"
in_use=$(vpnctl --json pools | python3 -c 'import json,sys; print([p["used"] for p in json.load(sys.stdin)["result"]["pools"] if p["name"] == "scale-pool"][0])')
[ "$in_use" -eq 0 ] || tb_fail "the pool still has $in_use addresses in use after every client left"
down=$(grep -c 'session down: user u[0-9]*@example.com, address 10\.3\.0\.[0-9]*: deleted by the client' \
  "$TB_RESULTS/vpnd.log" || true)
[ "$down" -eq "$N" ] || tb_fail "vpnd logged $down 'session down ... deleted by the client' lines, expected $N"
tb_log "all $N clients gone: no SA, policy, route, session or lease left"
vpnd_stop
tb_log "timings: $(paste -sd ';' "$timings")"
