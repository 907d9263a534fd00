#!/bin/bash
# IKE_SA_INIT cookies (RFC 7296 2.6) and half-open limits:
#  1. cookie-threshold 0: a strongSwan client that proposes a DH group vpnd
#     does not prefer gets N(COOKIE), returns it, gets INVALID_KE_PAYLOAD,
#     retries with the cookie and the right KE, and connects; tshark shows
#     the COOKIE notify and the retried IKE_SA_INIT carrying it; c1 pings srv
#     through ESP and vpnd's SA counters move.
#  2. After a reload with cookie-threshold 5 and half-open-per-peer 3:
#     - one source sending 10 IKE_SA_INITs with different SPIs gets 3 IKE
#       SAs, the other 7 are dropped, counted and logged;
#     - 40 other sources (addresses of c3) get 2 IKE SAs (5 half-open) and 38
#       COOKIE-only answers; the half-open count in `vpnctl status` stays at 5;
#     - a forged cookie gets a new cookie, the right one an IKE SA;
#     - a real client still gets in (through a cookie) and pings srv.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-cookie-test-e41b
tb_topology_remote_access --direct 3
# c3 speaks from 41 more addresses (40 sources for the flood, one for the
# cookie exchange); set up now, as part 2 must stay within the 60 s that
# half-open SAs live.
addrs=() cmds=()
for i in $(seq 100 140); do
  cmds+=("addr add 203.0.113.$i/24 dev eth0")
  [ "$i" -eq 140 ] || addrs+=("203.0.113.$i")
done
tb_ip_batch c3 "${cmds[@]}"

# vpnd's configuration with the ike section given.  write_conf IKE_SECTION
write_conf() {
  vpnd_write_conf <<CONF
ike = { $1 };
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "rw-policy"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; protocols = ["ikev2"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "rw-pool";
                    group-policy = "rw-policy"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
}

# Prints the IKE counters NAME... of `vpnctl status`, space-separated.
ike_counters() {
  vpnctl --json status | python3 -c '
import json, sys
ike = json.load(sys.stdin)["result"]["ike"]
print(" ".join(str(ike[k]) for k in sys.argv[1:]))' "$@"
}

# The client connects and pings srv through ESP; vpnd's SA counters move.
connect_and_ping() {
  ss_client_up alice vpn || tb_fail "the tunnel did not come up ($1)"
  tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-$1.log" ||
    tb_fail "c1 cannot ping $TB_SRV_ADDR through the tunnel ($1)"
  local in out spi n
  read -r in out <<< "$(ss_child_spis alice)"
  for spi in "$in" "$out"; do
    n=$(tb_xfrm_packets gw "$spi")
    [ -n "$n" ] && [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi carried '$n' packets, expected at least 3 ($1)"
  done
  tb_log "$1: tunnel up, SAs $in/$out carried traffic"
}

# ---- 1. every IKE_SA_INIT needs a cookie, combined with INVALID_KE_PAYLOAD ----------------
write_conf "cookie-threshold = 0;"
vpnd_start
tb_capture_start gw out outside
ss_client_start c1 alice
# MODP-2048 first: its KE is for a group vpnd does not take.
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" \
  --ike aes256-sha256-modp2048-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
connect_and_ping "cookie-threshold 0"
c1=${TB_ADDR[c1]}
vpnd_log_has "sending IKE_SA_INIT response 0 \[ N\(COOKIE\) \]"
# Logged per request at debug level only; the operator gets one notice.
vpnd_log_has "notice ikev2: cookie defence on: [0-9]+ half-open IKE SAs \(cookie-threshold 0\)"
vpnd_log_has "received IKE_SA_INIT request 0 \[ N\(COOKIE\) SA KE No"
vpnd_log_has "KE payload for DH group 14, we prefer ECP-256: INVALID_KE_PAYLOAD"
vpnd_log_has "IKE_SA established: peer $c1:[0-9]+, identity 'alice@example.com'"
read -r sent rejected <<< "$(ike_counters cookies_sent cookies_rejected)"
[ "$sent" -ge 1 ] || tb_fail "vpnctl status counts no cookie sent"
tb_log "cookie-threshold 0: $sent cookies sent, $rejected rejected"
ss_client_down alice vpn || tb_fail "the client could not close its tunnel"

tb_capture_stop outside > /dev/null
# What tshark sees: vpnd's COOKIE, the client's retry carrying it first, then
# INVALID_KE_PAYLOAD and the retry with the cookie and the other group.
cookie_resp=$(tb_capture_fields outside "ip.src == $TB_GW_ADDR && isakmp.exchangetype == 34 && isakmp.notify.msgtype == 16390" \
  isakmp.notify.data | head -n 1)
[ -n "$cookie_resp" ] || tb_fail "tshark sees no COOKIE notify from vpnd"
carried=$(tb_capture_fields outside "ip.src == $c1 && isakmp.exchangetype == 34 && isakmp.notify.msgtype == 16390" \
  isakmp.notify.data isakmp.nextpayload)
grep -q "$cookie_resp" <<< "$carried" || tb_fail "no IKE_SA_INIT from the client carries vpnd's cookie"
[ "$(awk -F'\t' '{ split($2, n, ","); print n[1] }' <<< "$carried" | sort -u)" = 41 ] ||
  tb_fail "the client's retries do not start with the COOKIE notify: $carried"
invalid_ke=$(tb_capture_fields outside "ip.src == $TB_GW_ADDR && isakmp.notify.msgtype == 17" frame.number)
[ -n "$invalid_ke" ] || tb_fail "tshark sees no INVALID_KE_PAYLOAD from vpnd"
bad=$(tb_capture_fields outside "isakmp && (_ws.malformed || _ws.expert.severity == error)" frame.number _ws.col.Info)
[ -z "$bad" ] || tb_fail "tshark flags IKE packets: $(head -n 3 <<< "$bad")"
tb_log "tshark: COOKIE sent, returned first in the client's retries, INVALID_KE_PAYLOAD in between"

# ---- 2. threshold 5, 3 per peer --------------------------------------------------------------
write_conf "cookie-threshold = 5; half-open-per-peer = 3;"
vpnctl reload > /dev/null || tb_fail "vpnctl reload failed"
[ "$(ike_counters half_open)" -eq 0 ] || tb_fail "half-open IKE SAs left before the flood"

# One source, ten SPIs: three IKE SAs, seven drops.
tb_exec c2 /usr/bin/python3 "$TB_REPO/tests/e2e/ikev2-cookie.py" "$TB_GW_ADDR" same-source 10 \
  > "$TB_RESULTS/same-source.log" 2>&1 || tb_fail "same-source probe: $(cat "$TB_RESULTS/same-source.log")"
grep -q "^answers sa=3 cookie=0 none=7 other=0$" "$TB_RESULTS/same-source.log" ||
  tb_fail "one source with 10 SPIs: $(cat "$TB_RESULTS/same-source.log"), expected 3 IKE SAs and 7 unanswered"
read -r half_open dropped <<< "$(ike_counters half_open half_open_dropped)"
[ "$half_open" -eq 3 ] || tb_fail "vpnctl status: $half_open half-open IKE SAs after c2's requests, expected 3"
[ "$dropped" -eq 7 ] || tb_fail "vpnctl status: $dropped half-open drops, expected 7"
vpnd_log_has "IKE_SA_INIT dropped: peer ${TB_ADDR[c2]}:500 has 3 half-open IKE SAs \(half-open-per-peer 3\)"

# Forty sources: two more IKE SAs reach the threshold, then cookies only.
sent_before=$(ike_counters cookies_sent)
tb_exec c3 /usr/bin/python3 "$TB_REPO/tests/e2e/ikev2-cookie.py" "$TB_GW_ADDR" sources "${addrs[@]}" \
  > "$TB_RESULTS/sources.log" 2>&1 || tb_fail "many-sources probe: $(cat "$TB_RESULTS/sources.log")"
grep -q "^answers sa=2 cookie=38 none=0 other=0$" "$TB_RESULTS/sources.log" ||
  tb_fail "40 sources: $(cat "$TB_RESULTS/sources.log"), expected 2 IKE SAs and 38 cookies"
read -r half_open sent <<< "$(ike_counters half_open cookies_sent)"
[ "$half_open" -eq 5 ] || tb_fail "vpnctl status: $half_open half-open IKE SAs after the flood, expected 5"
[ $((sent - sent_before)) -eq 38 ] || tb_fail "vpnctl status: $((sent - sent_before)) cookies sent, expected 38"
tb_log "40 sources: 2 IKE SAs, 38 cookies, half-open stays at 5"
vpnctl status > "$TB_RESULTS/status.txt"
grep -Eq "half-open guard: +$sent cookies sent, [0-9]+ wrong cookies, 7 IKE_SA_INIT over the limits dropped" \
  "$TB_RESULTS/status.txt" || tb_fail "vpnctl status does not show the cookie counters: $(grep -A1 IKE: "$TB_RESULTS/status.txt")"

# A forged cookie is refused with a new one; the real one opens an IKE SA.
rejected_before=$(ike_counters cookies_rejected)
tb_exec c3 /usr/bin/python3 "$TB_REPO/tests/e2e/ikev2-cookie.py" "$TB_GW_ADDR" cookie-dance 203.0.113.140 \
  > "$TB_RESULTS/cookie-dance.log" 2>&1 || tb_fail "cookie dance: $(cat "$TB_RESULTS/cookie-dance.log")"
[ "$(ike_counters cookies_rejected)" -eq $((rejected_before + 1)) ] ||
  tb_fail "vpnctl status does not count the forged cookie"
[ "$(ike_counters half_open)" -eq 6 ] || tb_fail "the returned cookie did not make an IKE SA"

# The real client, through a cookie, above the threshold.
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
n_cookie_retries=$(grep -c "received IKE_SA_INIT request 0 \[ N(COOKIE)" "$TB_RESULTS/vpnd.log" || true)
connect_and_ping "above the threshold"
[ "$(grep -c "received IKE_SA_INIT request 0 \[ N(COOKIE)" "$TB_RESULTS/vpnd.log" || true)" -gt "$n_cookie_retries" ] ||
  tb_fail "the client above the threshold got in without a cookie"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "vpnctl sessions does not list the client"
[ "$(ike_counters established)" -eq 1 ] || tb_fail "vpnctl status: not 1 established IKE SA"
vpnd_stop
