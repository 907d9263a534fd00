#!/bin/bash
# The operator's detailed views against real sessions: two strongSwan
# IKEv2 road warriors and one vpnc (Cisco VPN Client) IKEv1 user connected
# and pinging through their tunnels; once the traffic has stopped,
# `vpnctl --json session` (by user, index and address), `sas`, `ipsec`,
# `stats` and `sessions` are parsed and checked field by field
# (vpnctl-views.py): every SPI, byte, packet, replay and integrity counter
# of every CHILD SA equals what `ip -s xfrm state` on gw says (read before
# and after, unchanged), the IKE and CHILD SPIs equal strongSwan's
# (`swanctl --list-sas`), the algorithms, identities, auth methods,
# lifetimes, DPD settings and selectors are those configured, sas and ipsec
# agree with session, and stats counts three successful handshakes.  The
# human forms print the same numbers in aligned columns.  Then a wrong
# PSK, an IKE proposal vpnd lacks and an unknown Xauth user show up in
# `vpnctl stats` as an authentication failure, a no_proposal failure and
# an Xauth failure.
# e2e-timeout: 500
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
tb_topology_remote_access --direct 3
hash=$(openssl passwd -6 "$PASSWORD")

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; },
                  { name = "ezvpn"; encryption = ["aes256"]; integrity = ["sha1"]; dh-group = [14, 2]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; lifetime-seconds = 3600; },
                  { name = "ezesp"; encryption = ["aes256"]; integrity = ["sha1"]; } );
pools = ( { name = "views-pool"; range = "10.7.0.10-10.7.0.19"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "v2-policy"; protocols = ["ikev2"]; },
                   { name = "v1-policy"; protocols = ["ikev1"]; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
users = ( { name = "carol"; password-hash = "$hash"; } );
tunnel-groups = ( { name = "v2"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "views-pool"; dpd-interval = 40;
                    group-policy = "v2-policy"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; },
                  { name = "v1"; ike-version = 1; authentication = "psk+xauth"; psk = "$GROUP_KEY";
                    group-name = "$GROUP"; address-pool = "views-pool"; group-policy = "v1-policy"; dpd-interval = 50;
                    ike-proposals = ["ezvpn"]; esp-proposals = ["ezesp"]; xauth-attempts = 2; } );
CONF
vpnd_start

# ---- three clients, a known number of pings each ------------------------------------------
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

# ---- what the clients see ---------------------------------------------------------------------
client_json() {   # client_json USER VERSION PUBLIC ADDRESS PINGS [SPI_I SPI_R CHILD_IN CHILD_OUT]
  python3 -c '
import json, sys
a = sys.argv[1:]
v2 = a[1] == "IKEv2"
c = {"version": a[1], "public": a[2], "address": a[3], "pings": int(a[4]), "protected": a[5],
     "gateway": a[6],
     "encryption": "AES-CBC-256", "prf": "PRF-HMAC-SHA2-256" if v2 else "PRF-HMAC-SHA1",
     "dh_group": "ECP-256" if v2 else "MODP-(2048|1024)", "integrity": "HMAC-SHA2-256-128",
     "esp": "AES-CBC-256/HMAC-SHA2-256-128" if v2 else "AES-CBC-256/HMAC-SHA1-96",
     "dpd": 40 if v2 else 50, "group": a[7]}
if len(a) > 8:
    c.update(spi_i=a[8], spi_r=a[9], child=[a[10], a[11]])
print(json.dumps({a[0]: c}))' "$@"
}
clients='{}'
for pair in c1:alice:3 c2:bob:5; do
  IFS=: read -r ns user pings <<< "$pair"
  raw=$(ss_client_sas "$user" --raw)
  spi_i=$(grep -o 'initiator-spi=[0-9a-f]*' <<< "$raw" | head -n 1 | cut -d= -f2)
  spi_r=$(grep -o 'responder-spi=[0-9a-f]*' <<< "$raw" | head -n 1 | cut -d= -f2)
  read -r c_in c_out <<< "$(ss_child_spis "$user")"
  [ -n "$spi_i" ] && [ -n "$c_in" ] || tb_fail "no SPIs in $user's swanctl --list-sas: $raw"
  one=$(client_json "$user@example.com" IKEv2 "${TB_ADDR[$ns]}" "$(ss_client_vip "$user")" "$pings" \
    "$TB_PROTECTED_NET" "$TB_GW_ADDR" "" "$spi_i" "$spi_r" "$c_in" "$c_out")
  clients=$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); a.update(json.loads(sys.argv[2])); print(json.dumps(a))' "$clients" "$one")
done
one=$(client_json carol IKEv1 "${TB_ADDR[c3]}" "$carol_addr" 4 "$TB_PROTECTED_NET" "$TB_GW_ADDR" "$GROUP")
clients=$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); a.update(json.loads(sys.argv[2])); print(json.dumps(a))' "$clients" "$one")
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
  for user in alice@example.com bob@example.com carol; do
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
grep -Eq '^Handshakes: +[0-9]+ started, 3 succeeded, 0 failed$' "$views/stats.txt" ||
  tb_fail "vpnctl stats does not show 3 successful handshakes: $(cat "$views/stats.txt")"

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
[ "$(stats_get 'r["sessions_now"]')" = 3 ] || tb_fail "the three sessions did not stay up"
vpnctl stats > "$views/stats-after.txt"
grep -Eq '^  authentication: +1$' "$views/stats-after.txt" || tb_fail "human stats lacks the authentication failure"
# vpnc takes UDP 500 in c3: carol leaves first.
vpnc_down carol
tb_wait 20 bash -c "[ \$(\"$TB_BUILD/ctl/vpnctl\" --socket '$VPND_CTL_SOCKET' --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"result\"][\"sessions_now\"])') = 2 ]"
vpnc_conf dave --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$GROUP_KEY" --user dave --password "wrong-pw"
vpnc_expect_failure c3 dave
vpnd_log_has "authentication failed: peer ${TB_ADDR[c3]}:[0-9]+, user 'dave', tunnel group v1: Xauth: no such user" 20
[ "$(stats_get 'r["xauth_failures"]')" -ge 1 ] || tb_fail "the refused Xauth is not counted: $(vpnctl --json stats)"
[ "$(stats_get 'r["handshakes"]["succeeded"]')" = 3 ] || tb_fail "the failures changed the successful handshakes"

vpnd_stop
