#!/bin/bash
# vpnd as systemd runs it, in its two moments that need the real thing:
#
# Logging to the journal.  A real systemd-journald runs in the VM (the
# test bed has no systemd as PID 1, but journald serves its sockets on its
# own); vpnd is started the way systemd starts a service: standard error
# connected to a journal stream and $JOURNAL_STREAM naming it, --log-target
# left at auto.  With an IKEv2 client (strongSwan), an IKEv1 client (vpnc)
# and a strongSwan IKEv1 client connected, `journalctl VPND_USER=...`,
# `VPND_PEER=...`, `VPND_TUNNEL_GROUP=...` and `VPND_SESSION=...` return
# each session's lines (its "session up" among them) and no other client's;
# the lines arrived through the native protocol (_TRANSPORT=journal, with
# VPND_SUBSYSTEM, PRIORITY and CODE_FILE), not as stream text.
#
# Stopping.  SIGTERM: vpnd exits 0 within the unit's TimeoutStopSec, each
# client got a DELETE (both charons log "received DELETE for IKE_SA" and
# have no SA left, vpnc exits on its own and its tun device goes), the
# journal has each session's "session down ... vpnd is stopping", and gw
# holds no SA, policy or route of vpnd's any more.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/../testbed/vpnc.sh"
. "$here/ikev2-common.bash"
tb_init

[ "${VPND_TESTBED:-vm}" = vm ] ||
  tb_fail "this test runs its own systemd-journald on /run/systemd/journal: only in the test-bed VM"

PSK=journal-test-psk-0b7e
GROUP=jgroup
GROUP_KEY=journal-group-key-44c1
CAROL_PASSWORD=carol-journal-pw-19
MM_KEY=journal-mm-key-7f3a
ERIN_PASSWORD=erin-journal-pw-82
tb_topology_remote_access --direct 3

# ---- a real journald ------------------------------------------------------------------------
JOURNAL_DIR=/run/log/journal
journal() { journalctl --directory "$JOURNAL_DIR" --no-pager "$@"; }
# In the VM's own namespaces: in a test host's (ip netns exec) it exits at
# once.  The sockets are files, reachable from every network namespace.
mkdir -p /run/systemd/journal
SYSTEMD_LOG_TARGET=console /lib/systemd/systemd-journald > "$TB_RESULTS/journald.log" 2>&1 < /dev/null &
JOURNALD_PID=$!
TB_PIDS+=("$JOURNALD_PID")
tb_wait_socket 30 /run/systemd/journal/socket
tb_wait_socket 30 /run/systemd/journal/stdout
journald_up() { kill -0 "$JOURNALD_PID" && [ -d "$JOURNAL_DIR" ]; }
tb_wait 30 journald_up
# Later tests in this VM must not find our journald's sockets; the journal
# itself goes to the results (where zz-no-secrets reads it too).
tb_on_exit 'journal -o verbose > "$TB_RESULTS/vpnd-journal.txt" 2>&1; tb_stop "$JOURNALD_PID"; rm -rf /run/systemd/journal "$JOURNAL_DIR"'

# ---- vpnd, started as systemd starts a service ---------------------------------------------
unit="$TB_BUILD/units/vpnd.service"
stop_timeout=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
[ -n "$stop_timeout" ] || tb_fail "no TimeoutStopSec=Ns in $unit"
hash_carol=$(openssl passwd -6 "$CAROL_PASSWORD")
hash_erin=$(openssl passwd -6 "$ERIN_PASSWORD")
vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; },
                  { name = "ezvpn"; encryption = ["aes256"]; integrity = ["sha1"]; dh-group = [14, 2]; },
                  { name = "mm"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [14]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; },
                  { name = "ezesp"; encryption = ["aes256"]; integrity = ["sha1"]; } );
pools = ( { name = "j-pool"; range = "10.7.0.10-10.7.0.19"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "v2-policy"; protocols = ["ikev2"]; },
                   { name = "v1-policy"; protocols = ["ikev1"]; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
users = ( { name = "carol"; password-hash = "$hash_carol"; }, { name = "erin"; password-hash = "$hash_erin"; } );
tunnel-groups = ( { name = "v2"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "j-pool";
                    group-policy = "v2-policy"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; },
                  { name = "v1"; ike-version = 1; authentication = "psk+xauth"; psk = "$GROUP_KEY";
                    group-name = "$GROUP"; address-pool = "j-pool"; group-policy = "v1-policy";
                    ike-proposals = ["ezvpn"]; esp-proposals = ["ezesp"]; },
                  { name = "v1mm"; ike-version = 1; authentication = "psk+xauth"; psk = "$MM_KEY";
                    peer-address = ["${TB_ADDR[c3]}/32"]; address-pool = "j-pool"; group-policy = "v1-policy";
                    ike-proposals = ["mm"]; esp-proposals = ["cbc"]; } );
CONF
# systemd-cat connects standard output and error to a journal stream, as
# systemd does for a service; $JOURNAL_STREAM ("DEV:INODE" of that stream) is
# what systemd adds, and what vpnd's --log-target auto looks for.
VPND_LAUNCHER=(systemd-cat --identifier=vpnd bash -c
  'export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); exec "$@"' vpnd-launcher)
VPND_LOG_TARGET=auto
vpnd_start
[ "$(vpnctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["log"]["target"])')" = journal ] ||
  tb_fail "vpnd under a journal stream did not choose the journal: $(vpnctl status | grep '^Log')"

# ---- three clients, both protocols ----------------------------------------------------------
ss_client_start c1 alice
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up alice vpn || tb_fail "alice's tunnel did not come up"
tb_exec c1 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "alice cannot ping through the tunnel"
vpnc_conf carol --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$GROUP_KEY" --user carol --password "$CAROL_PASSWORD"
vpnc_up c2 carol || tb_fail "vpnc did not connect"
# vpnc's connect script may run before vpnd has read its last Quick Mode message.
carol_up() { journal -o cat VPND_USER=carol | grep -q "^session up: user carol"; }
tb_wait 60 carol_up
tb_exec c2 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "carol cannot ping through the tunnel"
ss_client_start c3 erin
ss_client_conn erin vpn --remote "$TB_GW_ADDR" --version 1 --psk erin.example.org "$MM_KEY" \
  --xauth erin "$ERIN_PASSWORD" --ike aes256-sha256-modp2048 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up erin vpn || tb_fail "erin's IKEv1 tunnel did not come up"
tb_exec c3 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "erin cannot ping through the tunnel"

# ---- journalctl FIELD=VALUE -------------------------------------------------------------------
# journal_check NAME MUST_REGEX OTHER_USERS FIELD=VALUE...: journalctl with the
# matches returns vpnd's native entries, one of them matching MUST_REGEX and
# none naming a user of OTHER_USERS (space-separated).
journal_check() {
  local name=$1 must=$2 others=$3; shift 3
  journal -o json "$@" > "$TB_RESULTS/journal-$name.json" || tb_fail "journalctl $* failed"
  local rc=0
  python3 - "$TB_RESULTS/journal-$name.json" "$must" "$others" "$*" > "$TB_RESULTS/journal-$name.check" <<'PY' || rc=$?
import json, re, sys
path, must, others, query = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]
entries = [json.loads(l) for l in open(path) if l.strip()]
bad = []
if not entries:
    bad.append(f"no entries for {query}")
if not any(re.search(must, e.get("MESSAGE", "")) for e in entries):
    bad.append(f"no entry says /{must}/")
for e in entries:
    if e.get("_TRANSPORT") != "journal" or e.get("SYSLOG_IDENTIFIER") != "vpnd":
        bad.append(f"not a native vpnd entry: {e.get('_TRANSPORT')} {e.get('SYSLOG_IDENTIFIER')}: {e.get('MESSAGE')}")
    for k in ("VPND_SUBSYSTEM", "PRIORITY", "CODE_FILE", "CODE_FUNC"):
        if k not in e:
            bad.append(f"entry without {k}: {e.get('MESSAGE')}")
    if e.get("VPND_USER") in others:
        bad.append(f"another client's entry: {e.get('VPND_USER')}: {e.get('MESSAGE')}")
print(f"{len(entries)} entries for {query}")
for b in bad[:20]:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
  [ "$rc" -eq 0 ] || tb_fail "journalctl $*: $(tail -n 3 "$TB_RESULTS/journal-$name.check")"
  tb_log "journalctl $*: $(wc -l < "$TB_RESULTS/journal-$name.json") entries"
}
alice_vip=$(ss_client_vip alice)
carol_addr=$(vpnc_env carol INTERNAL_IP4_ADDRESS)
erin_vip=$(ss_client_vip erin)
journal_has() { journal -o cat "$@" | grep -q .; }
tb_wait 20 journal_has VPND_USER=erin
journal_check alice-user "^session up: user alice@example.com, address $alice_vip" "carol erin" VPND_USER=alice@example.com
journal_check carol-user "^session up: user carol, address $carol_addr" "alice@example.com erin" VPND_USER=carol
journal_check erin-user "^session up: user erin, address $erin_vip" "alice@example.com carol" VPND_USER=erin
journal_check alice-peer "received IKE_AUTH request 1" "carol erin" VPND_PEER="${TB_ADDR[c1]}:4500"
journal_check carol-group "Xauth: user carol authenticated" "alice@example.com erin" VPND_TUNNEL_GROUP=v1
journal_check erin-group "ISAKMP SA established \(Main Mode\)" "alice@example.com carol" VPND_TUNNEL_GROUP=v1mm
alice_sa=$(vpnctl --json session alice@example.com | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["sessions"][0]["ike_sa"]["name"])')
journal_check alice-session "^session up: user alice@example.com" "carol erin" VPND_SESSION="$alice_sa"
# Several fields at once are ANDed, as operators combine them.
journal_check alice-auth "^IKE_SA established: peer" "carol erin" VPND_USER=alice@example.com VPND_SUBSYSTEM=ikev2
# Native entries only: nothing of it went to the stream as text.
grep -q "session up" "$TB_RESULTS/vpnd.log" && tb_fail "vpnd wrote its lines to standard error under the journal"
[ -z "$(journal -o cat _TRANSPORT=stdout SYSLOG_IDENTIFIER=vpnd)" ] ||
  tb_fail "vpnd's lines arrived as stream text: $(journal -o cat _TRANSPORT=stdout | head -n 3)"

# ---- stop: DELETE to everyone, kernel clean ----------------------------------------------------
[ "$(tb_xfrm_state_count gw)" -eq 6 ] || tb_fail "gw does not hold the 6 SAs of the three clients"
kill -TERM "$VPND_PID"
vpnd_gone() { ! kill -0 "$VPND_PID" 2> /dev/null; }
tb_wait "$stop_timeout" vpnd_gone
rc=0
wait "$VPND_PID" 2> /dev/null || rc=$?
[ "$rc" -eq 0 ] || tb_fail "vpnd exited with status $rc on SIGTERM"
tb_log "vpnd stopped within TimeoutStopSec=${stop_timeout}s"
# The clients heard it: a DELETE, not a DPD timeout (they have no DPD here).
for name in alice erin; do
  tb_wait 20 grep -q "received DELETE for IKE_SA" "${SS_DIR[$name]}/charon.log" ||
    tb_fail "$name's charon got no DELETE for its IKE SA"
  client_idle() { ! ss_client_sas "$1" | grep -q "ESTABLISHED\|INSTALLED"; }
  tb_wait 20 client_idle "$name"
done
# vpnc answers the IPsec DELETE with a Quick Mode nobody answers, then exits
# (vpnctl-views.sh says more).
carol_gone() { ! kill -0 "${VPNC_PID[carol]}" 2> /dev/null; }
tb_wait 90 carol_gone
wait "${VPNC_PID[carol]}" 2> /dev/null || true
VPNC_PID[carol]=""
tb_exec c2 ip link show vpnc-carol > /dev/null 2>&1 && tb_fail "vpnc's tun device is still there"
for user in alice@example.com carol erin; do
  journal -o cat VPND_USER="$user" | grep -Eq "^session down: user $user, address [0-9.]+: vpnd is stopping" ||
    tb_fail "the journal has no session down of $user when vpnd stopped"
done
journal -o cat SYSLOG_IDENTIFIER=vpnd VPND_SUBSYSTEM=main | grep -qx "stopped" || tb_fail "no 'stopped' line in the journal"
[ -z "$(tb_exec gw ip xfrm state)" ] || tb_fail "gw has SAs after vpnd stopped: $(tb_exec gw ip xfrm state)"
[ -z "$(tb_exec gw ip xfrm policy)" ] || tb_fail "gw has policies after vpnd stopped: $(tb_exec gw ip xfrm policy)"
[ -z "$(tb_exec gw ip route show proto 86)" ] || tb_fail "vpnd's routes remain after it stopped"
