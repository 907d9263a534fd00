#!/bin/bash
# RADIUS accounting against a real FreeRADIUS (issue 6): FreeRADIUS runs on
# gw's loopback and its `detail` module writes what it receives.  An IKEv2
# strongSwan client (PSK) and an IKEv1 vpnc client (Xauth through the same
# FreeRADIUS, whose Access-Accept carries a Class) in tunnel groups that
# account to it: each session's Start arrives with
# User-Name, Framed-IP-Address, Calling-Station-Id (peer address:port),
# NAS-Port-Type Virtual, the group's NAS-Identifier and NAS-IP-Address and
# the Acct-Session-Id `vpnctl session` shows, and the vpnc session's Start
# and Stop echo its Class; after pings, the last
# Interim-Update's octets and packets equal the kernel's counters of the
# session's SAs (`ip -s xfrm state`) with no traffic in between; `vpnctl
# terminate` gives a Stop with Admin-Reset and the same totals, vpnc's
# disconnect one with User-Request.  Then FreeRADIUS stops: a client's
# disconnect Stop is spooled to disk, a new session's Start queues behind
# it, vpnd is restarted (that session's Stop, NAS-Reboot, is spooled at
# shutdown), and once FreeRADIUS is back the spool arrives in order, with
# Acct-Delay-Time, and empties; `vpnctl stats` counts it all.  A CHILD SA
# rekey in between: the removed SAs' traffic stays in the session's totals.
# Last, a group policy's session-timeout ends a session: Session-Timeout;
# its idle-timeout: Idle-Timeout; dead peer detection: Lost-Carrier.
# e2e-timeout: 700
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/../testbed/vpnc.sh"
. "$here/../testbed/freeradius.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=radius-acct-psk-41c9e2
GROUP=ezgroup
KEY=radius-acct-group-key-77
BOBPW=bob-xauth-pw-2f8
INTERIM=3
SPOOL=$TB_RESULTS/spool
tb_topology_remote_access --direct 2
hash=$(openssl passwd -6 "$BOBPW")
FR_SECRET=radius-acct-secret-6a0d
CLASS=acct-class-bob
fr_setup "$FR_SECRET"
# bob's first session authenticates through FreeRADIUS (Xauth PAP): its
# Class must come back in every accounting record of that session.
fr_users <<USERS
bob	Cleartext-Password := "$BOBPW"
	Class = "$CLASS"
USERS
fr_start gw

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19, 14]; },
                  { name = "ezvpn"; encryption = ["aes256", "aes128"]; integrity = ["sha1"]; dh-group = [14, 2]; } );
esp-proposals = ( { name = "esp2"; encryption = ["aes256"]; integrity = ["sha256"]; },
                  { name = "esp1"; encryption = ["aes256", "aes128"]; integrity = ["sha1"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; },
          { name = "ez-pool"; range = "10.4.0.10-10.4.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; },
                   { name = "short"; session-timeout = 6; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; },
                   { name = "idle"; idle-timeout = 6; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
users = ( { name = "bob"; password-hash = "$hash"; } );
aaa-server-groups = ( { name = "acct"; servers = ( { address = "127.0.0.1"; secret = "$FR_SECRET"; } );
                        timeout = 1; retries = 1; dead-time = 2; interim-interval = $INTERIM;
                        nas-identifier = "vpnd-e2e"; nas-ip-address = "$TB_GW_ADDR";
                        accounting-spool-directory = "$SPOOL"; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "rw-pool"; group-policy = "gp";
                    ike-proposals = ["modern"]; esp-proposals = ["esp2"]; accounting-server-group = "acct"; },
                  { name = "short"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@short.example"]; address-pool = "rw-pool"; group-policy = "short";
                    ike-proposals = ["modern"]; esp-proposals = ["esp2"]; accounting-server-group = "acct"; },
                  { name = "idle"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@idle.example"]; address-pool = "rw-pool"; group-policy = "idle";
                    ike-proposals = ["modern"]; esp-proposals = ["esp2"]; accounting-server-group = "acct"; },
                  { name = "dead"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@dead.example"]; address-pool = "rw-pool"; group-policy = "gp";
                    ike-proposals = ["modern"]; esp-proposals = ["esp2"]; accounting-server-group = "acct";
                    dpd-interval = 2; dpd-retries = 2; },
                  { name = "ez"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "$GROUP"; address-pool = "ez-pool"; group-policy = "gp";
                    ike-proposals = ["ezvpn"]; esp-proposals = ["esp1"]; accounting-server-group = "acct";
                    authentication-server-group = "acct"; },
                  { name = "ezlocal"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "ezlocal"; address-pool = "ez-pool"; group-policy = "gp";
                    ike-proposals = ["ezvpn"]; esp-proposals = ["esp1"]; accounting-server-group = "acct"; } );
CONF
vpnd_start

detail() { fr_detail_cat | "$here/radius-detail.py" "$@"; }
# At least N records of session ID with status STATUS arrived.  has_records ID STATUS N
has_records() { [ "$(detail count "$1" "$2")" -ge "$3" ]; }
# The last record of session ID with STATUS to RESULTS/record-ID-STATUS.txt
# (python starts slowly in the VM: read once, then pick attributes).
# fetch ID STATUS; attr ID STATUS NAME
fetch() { detail get "$1" "$2" > "$TB_RESULTS/record-$1-$2.txt" || tb_fail "no $2 record of session $1"; }
attr() { sed -n "s/^$3=//p" "$TB_RESULTS/record-$1-$2.txt"; }
# The session's SPIs on gw ("in out") and Acct-Session-Id, from vpnctl.
session_json() {
  vpnctl --json sessions | python3 -c '
import json, sys
for s in json.load(sys.stdin)["result"]["sessions"]:
    if s["address"] == sys.argv[1]:
        if sys.argv[2] == "spis":
            print(s["child_sas"][0].replace("in ", "").replace(" out", ""))
        else:
            print(s[sys.argv[2]])' "$1" "$2"
}

# Start: the attributes of session ID for ADDR from PEER.  check_start ID USER ADDR PEER
check_start() {
  local id=$1 user=$2 addr=$3 peer=$4
  tb_wait 15 has_records "$id" Start 1
  fetch "$id" Start
  [ "$(attr "$id" Start User-Name)" = "$user" ] || tb_fail "Start of $id: User-Name '$(attr "$id" Start User-Name)'"
  [ "$(attr "$id" Start Framed-IP-Address)" = "$addr" ] || tb_fail "Start of $id: Framed-IP-Address is not $addr"
  [[ $(attr "$id" Start Calling-Station-Id) =~ ^$peer:[0-9]+$ ]] ||
    tb_fail "Start of $id: Calling-Station-Id '$(attr "$id" Start Calling-Station-Id)' is not $peer:PORT"
  [ "$(attr "$id" Start NAS-Port-Type)" = Virtual ] || tb_fail "Start of $id: NAS-Port-Type is not Virtual"
  [ "$(attr "$id" Start NAS-Identifier)" = vpnd-e2e ] || tb_fail "Start of $id: NAS-Identifier is not vpnd-e2e"
  [ "$(attr "$id" Start NAS-IP-Address)" = "$TB_GW_ADDR" ] || tb_fail "Start of $id: NAS-IP-Address is not $TB_GW_ADDR"
  [ -z "$(attr "$id" Start Acct-Input-Octets)" ] || tb_fail "Start of $id carries counters"
  tb_log "Start of $user: session $id, $addr from $(attr "$id" Start Calling-Station-Id)"
}

# Kernel counters of vpnd's SAs IN and OUT: "BYTES_IN BYTES_OUT PACKETS_IN PACKETS_OUT".
kernel_counters() {
  echo "$(tb_xfrm_bytes gw "$1") $(tb_xfrm_bytes gw "$2") $(tb_xfrm_packets gw "$1") $(tb_xfrm_packets gw "$2")"
}
# Two such quadruples added.  add_counters A B
add_counters() {
  paste -d' ' <(tr ' ' '\n' <<< "$1") <(tr ' ' '\n' <<< "$2") | awk '{ printf "%s%d", (NR > 1 ? " " : ""), $1 + $2 }'
}
# The same four of the last record of session ID with STATUS.
record_counters() {
  echo "$(attr "$1" "$2" Acct-Input-Octets) $(attr "$1" "$2" Acct-Output-Octets)" \
       "$(attr "$1" "$2" Acct-Input-Packets) $(attr "$1" "$2" Acct-Output-Packets)"
}
# The Interim-Update of session ID equals the kernel's counters of vpnd's
# SAs IN and OUT, read when no traffic moved them for a whole interval:
# counters read, an Interim-Update made after that, counters unchanged; then
# that update must hold exactly them.  (A stray packet in between: try again.)
# BASE ("BYTES_IN BYTES_OUT PACKETS_IN PACKETS_OUT", default zeros) is
# added to the kernel's: the counters of SAs a rekey removed.
# check_interim ID IN OUT [BASE]
check_interim() {
  local id=$1 in=$2 out=$3 base=${4:-0 0 0 0} k1 k2 n try
  for try in 1 2 3 4; do
    k1=$(kernel_counters "$in" "$out")
    n=$(detail count "$id" Interim-Update)
    tb_wait $((3 * INTERIM + 10)) has_records "$id" Interim-Update $((n + 2))
    k2=$(kernel_counters "$in" "$out")
    [ "$k1" = "$k2" ] || { tb_log "traffic during the interval ($k1 -> $k2): again"; continue; }
    k2=$(add_counters "$k2" "$base")
    fetch "$id" Interim-Update
    tb_log "kernel (bytes in/out, packets in/out): $k2; Interim-Update of $id: $(record_counters "$id" Interim-Update)"
    [ "$(record_counters "$id" Interim-Update)" = "$k2" ] ||
      tb_fail "Interim-Update of $id: $(record_counters "$id" Interim-Update), the kernel's SAs: $k2"
    read -r _ _ pin pout <<< "$k2"
    [ "$pin" -ge 5 ] && [ "$pout" -ge 5 ] || tb_fail "the pings did not go through vpnd's SAs $in/$out ($k2)"
    [ "$(attr "$id" Interim-Update Acct-Input-Gigawords)" = 0 ] && [ "$(attr "$id" Interim-Update Acct-Output-Gigawords)" = 0 ] ||
      tb_fail "Interim-Update of $id: gigawords are not 0"
    return 0
  done
  tb_fail "the counters of $in/$out never stood still for an interim interval"
}

# ---- two sessions: Start ------------------------------------------------------------
ss_client_start c1 alice
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up alice vpn || tb_fail "alice's tunnel did not come up"
vip=$(ss_client_vip alice) || tb_fail "alice got no virtual IP"
vpnc_conf bob --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$KEY" --user bob --password "$BOBPW"
vpnc_up c2 bob || tb_fail "vpnc did not connect"
bob_addr=$(vpnc_env bob INTERNAL_IP4_ADDRESS)
vpnd_log_has "session up: user bob, address $bob_addr" 60

alice_id=$(session_json "$vip" acct_session_id)
bob_id=$(session_json "$bob_addr" acct_session_id)
[[ $alice_id =~ ^[0-9a-f]+-[0-9a-f]{8}$ ]] || tb_fail "alice's Acct-Session-Id '$alice_id'"
[ "$alice_id" != "$bob_id" ] || tb_fail "two sessions share Acct-Session-Id $alice_id"
vpnctl session "$vip" | grep -Eq "accounting id: +$alice_id" || tb_fail "vpnctl session does not show $alice_id"
check_start "$alice_id" alice@example.com "$vip" "${TB_ADDR[c1]}"
check_start "$bob_id" bob "$bob_addr" "${TB_ADDR[c2]}"
class_hex=0x$(printf '%s' "$CLASS" | od -An -tx1 | tr -d ' \n')
[ "$(attr "$bob_id" Start Class)" = "$class_hex" ] ||
  tb_fail "Start of $bob_id: Class '$(attr "$bob_id" Start Class)', expected $class_hex ($CLASS from the Access-Accept)"
[ -z "$(attr "$alice_id" Start Class)" ] || tb_fail "Start of $alice_id (a local PSK login) has a Class"

# ---- traffic, Interim-Update = the kernel's counters -------------------------------------
tb_exec c1 ping -c 5 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-alice.log" || tb_fail "alice cannot ping"
tb_exec c2 ping -c 6 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-bob.log" || tb_fail "bob cannot ping"
read -r a_in a_out <<< "$(session_json "$vip" spis)"
read -r b_in b_out <<< "$(session_json "$bob_addr" spis)"
check_interim "$alice_id" "$a_in" "$a_out"
check_interim "$bob_id" "$b_in" "$b_out"
[ "$(attr "$alice_id" Interim-Update Acct-Session-Time)" -ge "$INTERIM" ] ||
  tb_fail "Interim-Update of $alice_id: Acct-Session-Time $(attr "$alice_id" Interim-Update Acct-Session-Time)"

# ---- a rekey: the removed SAs' traffic stays in the totals -----------------------------
before=$(kernel_counters "$a_in" "$a_out")
ss_swanctl alice --rekey --child vpn > "$TB_RESULTS/rekey.log" 2>&1 || tb_fail "alice could not rekey: $(cat "$TB_RESULTS/rekey.log")"
vpnd_log_has "rekeyed CHILD_SA deleted by the client: spi in $a_in" 30
[ -z "$(tb_exec gw ip xfrm state list spi "$a_in")" ] || tb_fail "the rekeyed SA $a_in is still in the kernel"
read -r a_in a_out <<< "$(session_json "$vip" spis)"
tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-alice-2.log" || tb_fail "alice cannot ping after the rekey"
check_interim "$alice_id" "$a_in" "$a_out" "$before"

# ---- Stop: Admin-Reset (vpnctl terminate), User-Request (the client's DELETE) ------------
# The totals the SAs had just before they went (read a moment before),
# with those of the pair the rekey removed.
k=$(add_counters "$(kernel_counters "$a_in" "$a_out")" "$before")
vpnctl terminate "$vip" > /dev/null || tb_fail "vpnctl terminate failed"
tb_wait 15 has_records "$alice_id" Stop 1
fetch "$alice_id" Stop
[ "$(attr "$alice_id" Stop Acct-Terminate-Cause)" = Admin-Reset ] ||
  tb_fail "Stop of $alice_id: Acct-Terminate-Cause '$(attr "$alice_id" Stop Acct-Terminate-Cause)', expected Admin-Reset"
[ "$(record_counters "$alice_id" Stop)" = "$k" ] ||
  tb_fail "Stop of $alice_id: $(record_counters "$alice_id" Stop), the SAs had $k"
k=$(kernel_counters "$b_in" "$b_out")
vpnc_down bob
tb_wait 15 has_records "$bob_id" Stop 1
fetch "$bob_id" Stop
[ "$(attr "$bob_id" Stop Acct-Terminate-Cause)" = User-Request ] ||
  tb_fail "Stop of $bob_id: Acct-Terminate-Cause '$(attr "$bob_id" Stop Acct-Terminate-Cause)', expected User-Request"
[ "$(record_counters "$bob_id" Stop)" = "$k" ] || tb_fail "Stop of $bob_id: $(record_counters "$bob_id" Stop), the SAs had $k"
[ "$(attr "$bob_id" Stop User-Name)" = bob ] || tb_fail "Stop of $bob_id: User-Name is not bob"
[ "$(attr "$bob_id" Stop Class)" = "$class_hex" ] || tb_fail "Stop of $bob_id: Class is not $class_hex"
tb_log "Stops: $alice_id Admin-Reset, $bob_id User-Request"

# ---- FreeRADIUS away: spooled, queued in order, kept across a restart, then delivered -----
ss_client_up alice vpn || tb_fail "alice's second tunnel did not come up"
vip=$(ss_client_vip alice)
alice2=$(session_json "$vip" acct_session_id)
tb_wait 15 has_records "$alice2" Start 1
fr_stop
ss_client_down alice vpn || tb_fail "alice could not disconnect"
vpnd_log_has "accounting Stop \(User-Request\) of session [0-9]+ \(user alice@example.com, Acct-Session-Id $alice2\) spooled to $SPOOL" 15
# (FreeRADIUS is away: this time bob logs in through a tunnel group of local users.)
vpnc_conf bob --gateway "$TB_GW_ADDR" --group ezlocal --secret "$KEY" --user bob --password "$BOBPW"
vpnc_up c2 bob || tb_fail "vpnc did not connect again"
bob_addr=$(vpnc_env bob INTERNAL_IP4_ADDRESS)
vpnd_log_has "session up: user bob, address $bob_addr" 60
bob2=$(session_json "$bob_addr" acct_session_id)
# Records already wait: the Start goes behind them without being tried.
vpnd_log_has "accounting Start of session [0-9]+ \(user bob, Acct-Session-Id $bob2\) spooled to $SPOOL \(2 waiting\): earlier records wait" 15
[ "$(ls "$SPOOL" | grep -c '\.acct$')" -eq 2 ] || tb_fail "the spool does not hold 2 records: $(ls "$SPOOL")"
vpnctl --json stats > "$TB_RESULTS/stats-outage.json"
python3 - "$TB_RESULTS/stats-outage.json" <<'PY' || tb_fail "vpnctl stats during the outage: $(cat "$TB_RESULTS/stats-outage.json")"
import json, sys
a = json.load(open(sys.argv[1]))["result"]["accounting"]
assert a["spooled"] == 2 and a["spool_waiting"] == 2 and a["replayed"] == 0, a
assert a["answered"] >= 6, a
PY

# vpnd stops with bob connected: his Stop (NAS-Reboot) cannot be sent in time and is spooled.
cp "$TB_RESULTS/vpnd.log" "$TB_RESULTS/vpnd-1.log"
vpnd_stop
grep -Eq "accounting Stop \(NAS-Reboot\) of session [0-9]+ \(user bob, Acct-Session-Id $bob2\) spooled" \
  "$TB_RESULTS/vpnd-1.log" "$TB_RESULTS/vpnd.log" || tb_fail "bob's NAS-Reboot Stop was not spooled at shutdown"
# vpnc would wait for the gone gateway to answer its DELETE.
kill -KILL "${VPNC_PID[bob]}" 2> /dev/null || true
wait "${VPNC_PID[bob]}" 2> /dev/null || true
VPNC_PID[bob]=""
[ "$(ls "$SPOOL" | grep -c '\.acct$')" -eq 3 ] || tb_fail "the spool does not hold 3 records after the stop: $(ls "$SPOOL")"
vpnd_start
vpnd_log_has "aaa-server-group 'acct': 3 accounting records wait in $SPOOL" 10
fr_start gw freeradius-2
tb_wait 30 has_records "$bob2" Stop 1
tb_wait 10 bash -c "[ -z \"\$(ls '$SPOOL' | grep '\\.acct\$')\" ]"
seq=$(detail sequence "$alice2" "$bob2" | grep -v Interim-Update | tr '\n' ' ')
[ "$seq" = "$alice2 Start $alice2 Stop $bob2 Start $bob2 Stop " ] || tb_fail "records arrived as: $seq"
fetch "$alice2" Stop
fetch "$bob2" Stop
[ "$(attr "$alice2" Stop Acct-Terminate-Cause)" = User-Request ] || tb_fail "spooled Stop of $alice2 is not User-Request"
[ "$(attr "$bob2" Stop Acct-Terminate-Cause)" = NAS-Reboot ] || tb_fail "spooled Stop of $bob2 is not NAS-Reboot"
for id in "$alice2" "$bob2"; do
  [ "$(attr "$id" Stop Acct-Delay-Time)" -ge 1 ] || tb_fail "spooled Stop of $id has Acct-Delay-Time $(attr "$id" Stop Acct-Delay-Time)"
done
vpnctl --json stats > "$TB_RESULTS/stats-after.json"
python3 - "$TB_RESULTS/stats-after.json" <<'PY' || tb_fail "vpnctl stats after the replay: $(cat "$TB_RESULTS/stats-after.json")"
import json, sys
a = json.load(open(sys.argv[1]))["result"]["accounting"]
assert a["replayed"] == 3 and a["spool_waiting"] == 0 and a["dropped"] == 0 and a["spooled"] == 0, a
PY
vpnctl stats | grep -E "^Accounting:" | tee -a "$TB_RESULTS/stats.txt"

# ---- how sessions end on their own: the Stop's Acct-Terminate-Cause ----------------------
# connect CONN IDENTITY: carol's charon brings CONN up as IDENTITY; prints
# the session's Acct-Session-Id once its Start has arrived.
connect() {
  local vip id
  ss_client_conn carol "$1" --remote "$TB_GW_ADDR" --psk "$2" "$PSK" \
    --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
  ss_client_up carol "$1" || tb_fail "the tunnel of $2 did not come up"
  vip=$(ss_client_vip carol) || tb_fail "$2 got no virtual IP"
  id=$(session_json "$vip" acct_session_id)
  tb_wait 15 has_records "$id" Start 1
  echo "$id"
}
# expect_stop ID CAUSE SECONDS: the Stop of session ID arrives within
# SECONDS with Acct-Terminate-Cause CAUSE.
expect_stop() {
  tb_wait "$3" has_records "$1" Stop 1
  fetch "$1" Stop
  [ "$(attr "$1" Stop Acct-Terminate-Cause)" = "$2" ] ||
    tb_fail "Stop of $1: Acct-Terminate-Cause '$(attr "$1" Stop Acct-Terminate-Cause)', expected $2"
  tb_log "Stop of $1: $2 after $(attr "$1" Stop Acct-Session-Time) s"
}
ss_client_start c2 carol
# The group policy's session-timeout (6 s).
carol_id=$(connect vpn carol@short.example)
expect_stop "$carol_id" Session-Timeout 30
[ "$(attr "$carol_id" Stop Acct-Session-Time)" -ge 6 ] ||
  tb_fail "Stop of $carol_id: Acct-Session-Time $(attr "$carol_id" Stop Acct-Session-Time), the timeout is 6 s"
# The group policy's idle-timeout (6 s): dave sends nothing.
dave_id=$(connect idle dave@idle.example)
expect_stop "$dave_id" Idle-Timeout 40
# Dead peer detection (every 2 s, 2 retries): erin's host is cut off.
erin_id=$(connect dead erin@dead.example)
tb_exec c2 nft -f - <<'NFT'
table inet cutoff {
  chain in { type filter hook input priority -300; policy drop; }
  chain out { type filter hook output priority -300; policy drop; }
}
NFT
tb_log "c2 cut off"
expect_stop "$erin_id" Lost-Carrier 60
tb_exec c2 nft delete table inet cutoff
tb_log "PASS: Start, Interim-Update, Stop with the kernel's counters; spooled records delivered in order after an outage and a restart"
