#!/bin/bash
# The operator's detailed views against real sessions: two strongSwan
# IKEv2 road warriors and two IKEv1 users, vpnc (the Cisco VPN Client:
# Aggressive Mode with a group name) and strongSwan in IKEv1 Main Mode (its
# tunnel group found by its address), all with Xauth, connected and pinging
# through their tunnels; once the traffic has stopped,
# `vpnctl --json session` (by user, index and address), `sas`, `ipsec`,
# `stats` and `sessions` are parsed and checked field by field
# (vpnctl-views.py): every SPI, byte, packet, replay and integrity counter
# of every CHILD SA equals what `ip -s xfrm state` on gw says (read before
# and after, unchanged), the IKE and CHILD SPIs equal strongSwan's
# (`swanctl --list-sas`, IKEv1 cookies included), the algorithms,
# identities, auth methods, lifetimes, DPD settings and selectors are those
# configured, sas and ipsec agree with session, and stats counts four
# successful handshakes.  The human forms print the same numbers in aligned
# columns.  The idle time of `sessions` grows for the quiet sessions and
# starts again for one that sent traffic.  Then a wrong
# PSK, an IKE proposal vpnd lacks and an unknown Xauth user show up in
# `vpnctl stats` as an authentication failure, a no_proposal failure and
# an Xauth failure.  `vpnctl terminate` ends each IKEv1 client: vpnc (by
# index) exits on vpnd's DELETE and its tun device goes, strongSwan (by
# user) drops its ISAKMP and IPsec SAs; their SAs leave gw's kernel and
# their addresses go back to the pool.
# e2e-timeout: 700
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/../testbed/vpnc.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=vpnctl-views-psk-81c3
GROUP=ezgroup
GROUP_KEY=vpnctl-views-group-key-27a0
PASSWORD=carol-xauth-pw-61
MM_KEY=vpnctl-views-mm-key-5d02
ERIN_PASSWORD=erin-xauth-pw-93
tb_topology_remote_access --direct 4
hash=$(openssl passwd -6 "$PASSWORD")
erin_hash=$(openssl passwd -6 "$ERIN_PASSWORD")

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; },
                  { name = "ezvpn"; encryption = ["aes256"]; integrity = ["sha1"]; dh-group = [14, 2]; },
                  { name = "mm"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [14]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; lifetime-seconds = 3600; },
                  { name = "ezesp"; encryption = ["aes256"]; integrity = ["sha1"]; } );
pools = ( { name = "views-pool"; range = "10.7.0.10-10.7.0.19"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "v2-policy"; protocols = ["ikev2"]; },
                   { name = "v1-policy"; protocols = ["ikev1"]; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
users = ( { name = "carol"; password-hash = "$hash"; }, { name = "erin"; password-hash = "$erin_hash"; } );
tunnel-groups = ( { name = "v2"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "views-pool"; dpd-interval = 40;
                    group-policy = "v2-policy"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; },
                  { name = "v1"; ike-version = 1; authentication = "psk+xauth"; psk = "$GROUP_KEY";
                    group-name = "$GROUP"; address-pool = "views-pool"; group-policy = "v1-policy"; dpd-interval = 50;
                    ike-proposals = ["ezvpn"]; esp-proposals = ["ezesp"]; xauth-attempts = 2; },
                  { name = "v1mm"; ike-version = 1; authentication = "psk+xauth"; psk = "$MM_KEY";
                    peer-address = ["${TB_ADDR[c4]}/32"]; address-pool = "views-pool"; group-policy = "v1-policy";
                    dpd-interval = 60; ike-proposals = ["mm"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start

# ---- four clients, a known number of pings each ------------------------------------------
connect_v2() {   # connect_v2 NS USER PINGS
  ss_client_start "$1" "$2"
  ss_client_conn "$2" vpn --remote "$TB_GW_ADDR" --psk "$2@example.com" "$PSK" \
    --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
  ss_client_up "$2" vpn || tb_fail "$2's tunnel did not come up"
  tb_exec "$1" ping -c "$3" -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "$2 cannot ping through the tunnel"
}
connect_v2 c1 alice 3
connect_v2 c2 bob 5
vpnc_conf carol --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$GROUP_KEY" --user carol --password "$PASSWORD"
vpnc_up c3 carol || tb_fail "vpnc did not connect"
carol_addr=$(vpnc_env carol INTERNAL_IP4_ADDRESS)
vpnd_log_has "session up: user carol, address $carol_addr" 60
tb_exec c3 ping -c 4 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "carol cannot ping through the tunnel"
ss_client_start c4 erin
ss_client_conn erin vpn --remote "$TB_GW_ADDR" --version 1 --psk erin.example.org "$MM_KEY" \
  --xauth erin "$ERIN_PASSWORD" --ike aes256-sha256-modp2048 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up erin vpn || tb_fail "erin's IKEv1 tunnel did not come up"
tb_exec c4 ping -c 6 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "erin cannot ping through the tunnel"

# ---- what the clients see ---------------------------------------------------------------------
# client_json USER KEY=VALUE...: what client USER should see, as JSON (numbers
# as numbers; "-" is null); the defaults are the IKEv2 clients'.
client_json() {
  python3 -c '
import json, sys
c = {"encryption": "AES-CBC-256", "prf": "PRF-HMAC-SHA2-256", "dh_group": "ECP-256",
     "integrity": "HMAC-SHA2-256-128", "esp": "AES-CBC-256/HMAC-SHA2-256-128", "dpd": 40}
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    c[k] = None if v == "-" else int(v) if k in ("pings", "dpd") else v
if "child_in" in c:
    c["child"] = [c.pop("child_in"), c.pop("child_out")]
print(json.dumps({sys.argv[1]: c}))' "$@"
}
merge_json() { python3 -c 'import json,sys; a=json.loads(sys.argv[1]); a.update(json.loads(sys.argv[2])); print(json.dumps(a))' "$1" "$2"; }
# ss_ike_spis NAME: the initiator and responder SPIs (IKEv1: cookies) of
# strongSwan client NAME's IKE SA.
ss_ike_spis() {
  local raw
  raw=$(ss_client_sas "$1" --raw)
  echo "$(grep -o 'initiator-spi=[0-9a-f]*' <<< "$raw" | head -n 1 | cut -d= -f2)" \
       "$(grep -o 'responder-spi=[0-9a-f]*' <<< "$raw" | head -n 1 | cut -d= -f2)"
}
clients='{}'
for pair in c1:alice:3 c2:bob:5; do
  IFS=: read -r ns user pings <<< "$pair"
  read -r spi_i spi_r <<< "$(ss_ike_spis "$user")"
  read -r c_in c_out <<< "$(ss_child_spis "$user")"
  [ -n "$spi_i" ] && [ -n "$c_in" ] || tb_fail "no SPIs in $user's swanctl --list-sas: $(ss_client_sas "$user")"
  clients=$(merge_json "$clients" "$(client_json "$user@example.com" version=IKEv2 public="${TB_ADDR[$ns]}" \
    address="$(ss_client_vip "$user")" pings="$pings" protected="$TB_PROTECTED_NET" gateway="$TB_GW_ADDR" group=- \
    spi_i="$spi_i" spi_r="$spi_r" child_in="$c_in" child_out="$c_out")")
done
clients=$(merge_json "$clients" "$(client_json carol version=IKEv1 public="${TB_ADDR[c3]}" address="$carol_addr" \
  pings=4 protected="$TB_PROTECTED_NET" gateway="$TB_GW_ADDR" group="$GROUP" exchange="Aggressive Mode" \
  vendor="Cisco Unity" prf=PRF-HMAC-SHA1 dh_group="MODP-(2048|1024)" esp=AES-CBC-256/HMAC-SHA1-96 dpd=50)")
read -r erin_spi_i erin_spi_r <<< "$(ss_ike_spis erin)"
read -r c_in c_out <<< "$(ss_child_spis erin)"
[ -n "$erin_spi_i" ] && [ -n "$c_in" ] || tb_fail "no SPIs in erin's swanctl --list-sas: $(ss_client_sas erin)"
erin_addr=$(ss_client_vip erin)
clients=$(merge_json "$clients" "$(client_json erin version=IKEv1 public="${TB_ADDR[c4]}" address="$erin_addr" \
  pings=6 protected="$TB_PROTECTED_NET" gateway="$TB_GW_ADDR" group=v1mm exchange="Main Mode" vendor=XAuth \
  dh_group=MODP-2048 dpd=60 spi_i="$erin_spi_i" spi_r="$erin_spi_r" child_in="$c_in" child_out="$c_out")")
mkdir -p "$TB_RESULTS/views"
echo "$clients" > "$TB_RESULTS/views/clients.json"

# ---- the views, between two readings of the kernel (no traffic now) ---------------------------
# The clients may still send a stray packet after their pings (vpnc does):
# wait until the kernel's counters hold still, and read everything again if
# they moved while vpnctl ran.
xfrm_quiet() {
  local a b
  a=$(tb_exec gw ip -s xfrm state | grep -v '^\s*add ')
  for _ in $(seq 30); do
    sleep 1
    b=$(tb_exec gw ip -s xfrm state | grep -v '^\s*add ')
    [ "$a" != "$b" ] || return 0
    a=$b
  done
  return 1
}
views=$TB_RESULTS/views
read_views() {
  xfrm_quiet || tb_fail "gw's SA counters do not hold still"
  tb_exec gw ip -s xfrm state > "$views/xfrm.txt"
  vpnctl --json sessions > "$views/sessions.json" || tb_fail "vpnctl --json sessions failed"
  for user in alice@example.com bob@example.com carol erin; do
    vpnctl --json session "$user" > "$views/session-$user.json" || tb_fail "vpnctl --json session $user failed"
    read -r index address <<< "$(python3 -c 'import json,sys; s=json.load(sys.stdin)["result"]["sessions"][0]; print(s["index"], s["address"])' < "$views/session-$user.json")"
    vpnctl --json session "$index" > "$views/session-$user-by-index.json" || tb_fail "vpnctl session $index failed"
    vpnctl --json session "$address" > "$views/session-$user-by-address.json" || tb_fail "vpnctl session $address failed"
  done
  vpnctl --json sas > "$views/sas.json" || tb_fail "vpnctl --json sas failed"
  vpnctl --json ipsec > "$views/ipsec.json" || tb_fail "vpnctl --json ipsec failed"
  vpnctl --json stats > "$views/stats.json" || tb_fail "vpnctl --json stats failed"
  tb_exec gw ip -s xfrm state > "$views/xfrm-after.txt"
}
for attempt in 1 2 3; do
  read_views
  cmp -s "$views/xfrm.txt" "$views/xfrm-after.txt" && break
  tb_log "gw's SA counters moved while vpnctl ran (attempt $attempt): reading again"
done
python3 "$here/vpnctl-views.py" "$views" > "$views/check.txt" || tb_fail "vpnctl's views disagree: $(cat "$views/check.txt")"
tb_log "vpnctl session/sas/ipsec/stats/sessions agree with ip -s xfrm state and the clients' SAs"

# ---- the human forms ---------------------------------------------------------------------------
vpnctl session alice@example.com > "$views/session-alice.txt"
vpnctl session carol > "$views/session-carol.txt"
vpnctl sas > "$views/sas.txt"
vpnctl ipsec > "$views/ipsec.txt"
vpnctl stats > "$views/stats.txt"
read -r a_in a_out <<< "$(ss_child_spis alice)"
a_bytes=$(python3 -c 'import json,sys; c=json.load(sys.stdin)["result"]["sessions"][0]["child_sas"][0]; print(c["outbound"]["bytes"], c["outbound"]["packets"])' < "$views/session-alice@example.com.json")
read -r a_out_bytes a_out_packets <<< "$a_bytes"
grep -Eq "^  SPIs: +in $a_out, out $a_in$" "$views/session-alice.txt" ||
  tb_fail "vpnctl session alice does not show the SPIs of alice's CHILD SA: $(cat "$views/session-alice.txt")"
grep -Eq "^  outbound: +spi $a_in: $a_out_bytes bytes, $a_out_packets packets$" "$views/session-alice.txt" ||
  tb_fail "vpnctl session alice does not show the outbound counters"
grep -Eq "^  authentication: +local psk, remote psk$" "$views/session-alice.txt" || tb_fail "no auth methods in the session view"
grep -Eq "^  remote: +${TB_ADDR[c3]}:[0-9]+ group '$GROUP' xauth user carol$" "$views/session-carol.txt" ||
  tb_fail "vpnctl session carol does not show the group and Xauth user: $(cat "$views/session-carol.txt")"
grep -Eq "^[0-9]+ +IKEv1 +[0-9a-f]{16} +[0-9a-f]{16} +${TB_ADDR[c3]}:[0-9]+ +carol +ready +AES-CBC-256 " "$views/sas.txt" ||
  tb_fail "vpnctl sas has no aligned line of carol's ISAKMP SA: $(cat "$views/sas.txt")"
[ "$(grep -c ' IKEv2 ' "$views/sas.txt")" -eq 2 ] || tb_fail "vpnctl sas does not list two IKEv2 SAs"
grep -Eq "^ *[0-9]+ +alice@example.com +$a_out +$a_in +[0-9]+ +[0-9]+ +$a_out_bytes +$a_out_packets +0 +0 +[0-9]+$" \
  "$views/ipsec.txt" || tb_fail "vpnctl ipsec has no aligned line of alice's IPsec SA: $(cat "$views/ipsec.txt")"
grep -Eq "^[0-9]+ +IKEv1 +$erin_spi_i +$erin_spi_r +${TB_ADDR[c4]}:[0-9]+ +erin +ready +AES-CBC-256 " "$views/sas.txt" ||
  tb_fail "vpnctl sas has no aligned line of erin's ISAKMP SA: $(cat "$views/sas.txt")"
grep -Eq '^Handshakes: +[0-9]+ started, 4 succeeded, 0 failed$' "$views/stats.txt" ||
  tb_fail "vpnctl stats does not show 4 successful handshakes: $(cat "$views/stats.txt")"

# ---- idle time ------------------------------------------------------------------------------
# Nobody sends now.  Two readings some seconds apart: the idle time of every
# quiet session grows by at least the time between them; alice pings in
# between, and hers starts again (no more than the time since her ping).
idle_of() {   # idle_of FILE USER
  python3 -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["result"]["sessions"] if s["user"] == sys.argv[2]][0]["idle_seconds"])' "$1" "$2"
}
vpnctl --json sessions > "$views/idle-1.json"
after_1=$EPOCHREALTIME
sleep 4
ping_start=$EPOCHREALTIME
tb_exec c1 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "alice cannot ping through the tunnel (idle)"
before_2=$EPOCHREALTIME
vpnctl --json sessions > "$views/idle-2.json"
vpnctl sessions > "$views/sessions.txt"
after_2=$EPOCHREALTIME
gap=$(awk -v a="$after_1" -v b="$before_2" 'BEGIN { printf "%d", b - a }')
since_ping=$(awk -v a="$ping_start" -v b="$after_2" 'BEGIN { printf "%d", b - a + 1 }')
packets_of() {   # packets_of FILE USER: packets in, from the kernel's counters
  python3 -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["result"]["sessions"] if s["user"] == sys.argv[2]][0]["packets_in"])' "$1" "$2"
}
for user in bob@example.com carol erin; do
  i1=$(idle_of "$views/idle-1.json" "$user")
  i2=$(idle_of "$views/idle-2.json" "$user")
  # Whole seconds on both sides: one may be lost to rounding.
  [ "$i2" -ge $((i1 + gap - 1)) ] && continue
  # The clients' own stacks may send a packet unasked (vpnc's carol did
  # once, 48 bytes): then the idle time rightly starts again, and the
  # kernel's counter shows the packet.
  p1=$(packets_of "$views/idle-1.json" "$user")
  p2=$(packets_of "$views/idle-2.json" "$user")
  [ "$p2" -gt "$p1" ] ||
    tb_fail "$user sent nothing ($p1 packets in before and after), but the idle time went from $i1 s to $i2 s in more than $gap s"
  tb_log "idle: $user sent $((p2 - p1)) packet(s) unasked between the readings; idle ${i1}s -> ${i2}s"
done
i1=$(idle_of "$views/idle-1.json" alice@example.com)
i2=$(idle_of "$views/idle-2.json" alice@example.com)
[ "$i2" -le "$since_ping" ] ||
  tb_fail "alice pinged $since_ping s ago at most, but vpnctl says she has been idle for $i2 s (before: $i1 s)"
tb_log "idle: alice ${i1}s -> ${i2}s after a ping; the quiet sessions grew by ${gap}s or more"
# The table shows it as vpnctl shows durations (read a moment later: +1 s).
fmt_seconds() { if [ "$1" -ge 60 ]; then printf '%dm %02ds' $(($1 / 60)) $(($1 % 60)); else printf '%ds' "$1"; fi; }
bob_idle=$(idle_of "$views/idle-2.json" bob@example.com)
grep -Eq "^[0-9]+ +bob@example.com +v2 +[0-9.]+ +${TB_ADDR[c2]}:[0-9]+ +IKEv2 +[0-9TZ:-]+ +[0-9hms ]+ +($(fmt_seconds "$bob_idle")|$(fmt_seconds $((bob_idle + 1)))) " \
  "$views/sessions.txt" || tb_fail "vpnctl sessions has no aligned line of bob with his idle time ${bob_idle}s: $(cat "$views/sessions.txt")"

# ---- failures, counted by reason --------------------------------------------------------------
stats_get() { vpnctl --json stats | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; print(eval(sys.argv[1]))' "$1"; }
ss_client_conn alice bad --remote "$TB_GW_ADDR" --psk "mallory@example.com" "not-the-psk" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
if ss_client_up alice bad; then tb_fail "a wrong PSK got a tunnel"; fi
vpnd_log_has "authentication failed: peer ${TB_ADDR[c1]}:[0-9]+, identity 'mallory@example.com'" 20
[ "$(stats_get 'r["handshakes"]["failed_by_reason"]["authentication"]')" = 1 ] ||
  tb_fail "the wrong PSK is not counted as an authentication failure: $(vpnctl --json stats)"
ss_client_conn bob weak --remote "$TB_GW_ADDR" --psk "bob@example.com" "$PSK" \
  --ike aes128-sha1-modp2048 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
if ss_client_up bob weak; then tb_fail "an IKE proposal vpnd does not have got a tunnel"; fi
vpnd_log_has "NO_PROPOSAL_CHOSEN" 20
[ "$(stats_get 'r["handshakes"]["failed_by_reason"]["no_proposal"]')" = 1 ] ||
  tb_fail "the refused IKE proposal is not counted as no_proposal: $(vpnctl --json stats)"
[ "$(stats_get 'r["sessions_now"]')" = 4 ] || tb_fail "the four sessions did not stay up"
vpnctl stats > "$views/stats-after.txt"
grep -Eq '^  authentication: +1$' "$views/stats-after.txt" || tb_fail "human stats lacks the authentication failure"

# ---- terminate, IKEv1 ------------------------------------------------------------------------
# vpnc first (it takes UDP 500 in c3, which dave needs below), by index.
# vpnd sends DELETE for the IPsec SA, then for the ISAKMP SA (the order
# strongSwan and the ASA use).  vpnc takes the first for the gateway's
# rekey and starts a new Quick Mode; the second arrives while it waits for
# the answer and it drops it there; vpnd no longer knows the ISAKMP SA, so the Quick
# Mode goes unanswered and vpnc exits after its retransmissions (about 30 s),
# taking its tun device with it.
pool_leases() { vpnctl --json pools views-pool | python3 -c 'import json,sys; print(" ".join(sorted(l["address"] for l in json.load(sys.stdin)["result"]["pools"][0]["leases"])))'; }
carol_index=$(vpnd_session_field "$carol_addr" index)
carol_spis=$(tb_exec gw ip xfrm state | grep -c "^src .* dst ${TB_ADDR[c3]}\|^src ${TB_ADDR[c3]} " || true)
[ "$carol_spis" -eq 2 ] || tb_fail "gw does not hold carol's two SAs before terminate ($carol_spis)"
vpnctl terminate "$carol_index" > "$views/terminate-carol.txt" || tb_fail "vpnctl terminate $carol_index failed"
grep -q "terminated session $carol_index (user carol, address $carol_addr)" "$views/terminate-carol.txt" ||
  tb_fail "terminate did not report carol's session: $(cat "$views/terminate-carol.txt")"
vpnc_gone() { ! kill -0 "${VPNC_PID[carol]}" 2> /dev/null; }
tb_wait 90 vpnc_gone    # (no SIGTERM here: it must leave on its own)
wait "${VPNC_PID[carol]}" 2> /dev/null || true
VPNC_PID[carol]=""
tb_exec c3 ip link show vpnc-carol > /dev/null 2>&1 && tb_fail "vpnc's tun device is still there"
[ -z "$(tb_exec gw ip xfrm state | grep "${TB_ADDR[c3]}")" ] || tb_fail "carol's SAs are still in gw's kernel"
vpnd_log_has "session down: user carol, address $carol_addr: terminated by operator \(uid 0\)"
grep -qw "$carol_addr" <<< "$(pool_leases)" && tb_fail "carol's address $carol_addr is still leased: $(pool_leases)"
# strongSwan in IKEv1, by user: it drops its ISAKMP and IPsec SAs.
read -r e_in e_out <<< "$(ss_child_spis erin)"
vpnctl terminate erin > "$views/terminate-erin.txt" || tb_fail "vpnctl terminate erin failed"
grep -q "terminated session [0-9]* (user erin, address $erin_addr)" "$views/terminate-erin.txt" ||
  tb_fail "terminate did not report erin's session: $(cat "$views/terminate-erin.txt")"
erin_has_no_sa() { ! ss_client_sas erin | grep -q "ESTABLISHED\|INSTALLED"; }
tb_wait 30 erin_has_no_sa
for spi in "$e_in" "$e_out"; do
  [ -z "$(tb_exec gw ip xfrm state list spi "$spi")" ] || tb_fail "erin's SA $spi is still in gw's kernel"
done
[ -z "$(tb_exec gw ip xfrm policy | grep "$erin_addr")" ] || tb_fail "erin's policies are still in gw's kernel"
vpnd_log_has "session down: user erin, address $erin_addr: terminated by operator \(uid 0\)"
grep -qw "$erin_addr" <<< "$(pool_leases)" && tb_fail "erin's address $erin_addr is still leased: $(pool_leases)"
[ "$(stats_get 'r["sessions_now"]')" = 2 ] || tb_fail "terminating the IKEv1 sessions ended others"
tb_exec c1 ping -c 1 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "alice lost her tunnel when the IKEv1 users were terminated"
vpnc_conf dave --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$GROUP_KEY" --user dave --password "wrong-pw"
vpnc_expect_failure c3 dave
vpnd_log_has "authentication failed: peer ${TB_ADDR[c3]}:[0-9]+, user 'dave', tunnel group v1: Xauth: no such user" 20
[ "$(stats_get 'r["xauth_failures"]')" -ge 1 ] || tb_fail "the refused Xauth is not counted: $(vpnctl --json stats)"
[ "$(stats_get 'r["handshakes"]["succeeded"]')" = 4 ] || tb_fail "the failures changed the successful handshakes"

vpnd_stop
