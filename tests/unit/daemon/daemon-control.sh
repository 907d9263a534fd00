#!/bin/bash
# The control socket end to end: vpnctl status (human and --json), reload
# with a good and then a bad configuration (error with file:line, exit 1,
# daemon keeps the old configuration), permissions (read-only member may not
# reload and the refusal is logged with uid and pid; a non-member cannot
# connect), and robustness (malformed, oversized, stalled and many
# concurrent clients never block the daemon).
#
# Usage: daemon-control.sh [BUILD_DIR]   (or $VPND_BUILD). Needs root for
# the permission checks (setpriv); they are skipped otherwise.
set -uo pipefail
build=$(realpath "${1:-${VPND_BUILD:?give the build directory}}")
vpnd=$build/daemon/vpnd
vpnctl=$build/ctl/vpnctl
[ -x "$vpnd" ] && [ -x "$vpnctl" ] || { echo "not ok: vpnd or vpnctl missing in $build"; exit 1; }

failures=0
ok()     { echo "ok: $*"; }
not_ok() { echo "not ok: $*"; failures=$((failures + 1)); }
check()  { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

root=false
[ "$(id -u)" -eq 0 ] && root=true
if $root; then netns=(unshare --net); else netns=(unshare --user --map-root-user --net); fi

tmp=$(mktemp -d)
# The socket directory (created by vpnd, 0750 root:nogroup) must be reachable
# for the unprivileged users below.
chmod 0755 "$tmp"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

sock=$tmp/run/control.sock
conf=$tmp/vpnd.conf
read_group=nogroup      # nobody's primary group on Debian: nobody gets read access
admin_group=staff       # nobody is in it: only the test's own uid below
if $root; then group_line="read-group = \"$read_group\"; admin-group = \"$admin_group\";"; else group_line=""; fi

write_conf() {   # write_conf DEBUG_CONTROL_LEVEL
    cat > "$conf" <<EOF
log = { level = "info"; debug = { control = $1; }; };
control = { socket = "$sock"; $group_line };
pools = ( { name = "lab-pool"; range = "10.9.0.0/29"; },
          { name = "lab-pool6"; range = "2001:db8:9::/64"; } );
EOF
}

ctl() { "$vpnctl" --socket "$sock" --timeout 10 "$@"; }
json_get() {    # json_get EXPRESSION < json   (EXPRESSION over `r`, the response)
    python3 -c 'import json, sys; r = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

write_conf 0
"${netns[@]}" "$vpnd" --foreground --log-target stderr --config "$conf" 2> "$tmp/vpnd.log" &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
check "vpnd created its control socket" test -S "$sock"
check "socket mode 0660" test "$(stat -c %a "$sock")" = 660
check "socket directory mode 0750" test "$(stat -c %a "$tmp/run")" = 750
if $root; then
    check "socket group is the read-group" test "$(stat -c %G "$sock")" = "$read_group"
fi

# --- status -------------------------------------------------------------
out=$(ctl status); rc=$?
check "vpnctl status exits 0" test "$rc" -eq 0
check "human status shows the state aligned" grep -Eq '^State: +running$' <<< "$out"
check "human status names the configuration" grep -Eq "^Configuration: +$conf\$" <<< "$out"

json=$(ctl --json status); rc=$?
check "vpnctl --json status exits 0" test "$rc" -eq 0
check "JSON: ok is true" test "$(json_get 'r["ok"]' <<< "$json")" = True
check "JSON: pid is vpnd's" test "$(json_get 'r["result"]["pid"]' <<< "$json")" = "$pid"
check "JSON: state running" test "$(json_get 'r["result"]["state"]' <<< "$json")" = running
check "JSON: config file" test "$(json_get 'r["result"]["config"]["file"]' <<< "$json")" = "$conf"
check "JSON: version" test "$(json_get 'r["result"]["version"]' <<< "$json")" = "$("$vpnd" --version | cut -d' ' -f2)"
check "JSON: debug levels listed" test "$(json_get 'sorted(r["result"]["log"]["debug"])[0]' <<< "$json")" = auth

# --- reload: good, then bad ---------------------------------------------
write_conf 3
out=$(ctl reload 2>&1); rc=$?
check "reload of a good configuration exits 0" test "$rc" -eq 0
json=$(ctl --json status)
check "reload applied the new debug level" test "$(json_get 'r["result"]["log"]["debug"]["control"]' <<< "$json")" = 3
check "reload counted" test "$(json_get 'r["result"]["config"]["reloads"]' <<< "$json")" = 1

cat > "$conf" <<EOF
log = { level = "info"; debug = { control = 9; }; };
control = { socket = "$sock"; this is not valid };
EOF
out=$(ctl reload 2>&1); rc=$?
check "reload of a bad configuration exits 1" test "$rc" -eq 1
check "the error names file:line ($out)" grep -q "$conf:2" <<< "$out"
check "vpnd still runs after a failed reload" kill -0 "$pid"
json=$(ctl --json status)
check "old configuration kept (debug level 3)" test "$(json_get 'r["result"]["log"]["debug"]["control"]' <<< "$json")" = 3
check "failed reload counted" test "$(json_get 'r["result"]["config"]["failed_reloads"]' <<< "$json")" = 1
check "status carries the last reload error" grep -q "$conf:2" <<< "$(json_get 'r["result"]["config"]["last_reload_error"]' <<< "$json")"
json=$(ctl --json reload); rc=$?
check "--json reload failure exits 1 with the error in JSON" \
    test "$rc" -eq 1 -a "$(json_get 'r["code"]' <<< "$json")" = config-error
write_conf 3

# --- pools, debug, terminate (no sessions here: see the e2e tests) ------
out=$(ctl pools); rc=$?
check "vpnctl pools exits 0" test "$rc" -eq 0
check "pools lists lab-pool: 6 addresses, none used ($out)" \
    grep -Eq '^lab-pool +ipv4 +10\.9\.0\.1-10\.9\.0\.6 +6 +0 +6$' <<< "$out"
check "an IPv6 /64 is shown as huge" grep -Eq '^lab-pool6 +ipv6 .* huge +0 +huge$' <<< "$out"
json=$(ctl --json pools lab-pool)
check "JSON pools NAME: one pool" test "$(json_get 'len(r["result"]["pools"])' <<< "$json")" = 1
check "JSON pools: size 6, leases empty" \
    test "$(json_get '(r["result"]["pools"][0]["size"], r["result"]["pools"][0]["leases"])' <<< "$json")" = "(6, [])"
out=$(ctl pools no-such-pool 2>&1); rc=$?
check "pools of an unknown pool exits 1 and says so ($out)" test "$rc" -eq 1 -a -n "$(grep "no pool 'no-such-pool'" <<< "$out")"

out=$(ctl debug ike 127); rc=$?
check "vpnctl debug ike 127 exits 0" test "$rc" -eq 0
check "debug prints the new level" grep -Eq '^ike +127$' <<< "$out"
json=$(ctl --json status)
check "status shows ike at 127" test "$(json_get 'r["result"]["log"]["debug"]["ike"]' <<< "$json")" = 127
check "other subsystems untouched" test "$(json_get 'r["result"]["log"]["debug"]["control"]' <<< "$json")" = 3
sleep 0.2
check "the change is logged with the uid" grep -q "debug level of ike set to 127 by uid $(id -u)" "$tmp/vpnd.log"
out=$(ctl debug all 0); rc=$?
check "debug all 0 exits 0" test "$rc" -eq 0
json=$(ctl --json status)
check "debug all 0 cleared every level" test "$(json_get 'max(r["result"]["log"]["debug"].values())' <<< "$json")" = 0
out=$(ctl debug nosuch 1 2>&1); rc=$?
check "debug of an unknown subsystem exits 1 naming the known ones" \
    test "$rc" -eq 1 -a -n "$(grep "unknown subsystem 'nosuch' (.*ike.*all)" <<< "$out")"
out=$(ctl debug ike 256 2>&1); rc=$?
check "debug level 256 is a usage error (exit 2)" test "$rc" -eq 2
write_conf 3
ctl reload > /dev/null
json=$(ctl --json status)
check "reload restores the configured debug level" test "$(json_get 'r["result"]["log"]["debug"]["control"]' <<< "$json")" = 3

out=$(ctl terminate 42 2>&1); rc=$?
check "terminate of an unknown index exits 1 ($out)" test "$rc" -eq 1 -a -n "$(grep "no such session" <<< "$out")"
out=$(ctl terminate --all); rc=$?
check "terminate --all without sessions exits 0" test "$rc" -eq 0 -a "$out" = "no sessions terminated"
out=$(ctl terminate 2>&1); rc=$?
check "terminate without an argument is a usage error" test "$rc" -eq 2
out=$(ctl status extra 2>&1); rc=$?
check "status with an argument is a usage error" test "$rc" -eq 2
# COMMAND --help: the command's usage, from vpnctl alone (even a wrong socket
# does not matter), never taken for an argument (terminate --help ends nothing).
out=$("$vpnctl" --socket /nonexistent terminate --help); rc=$?
check "terminate --help exits 0 without the daemon" test "$rc" -eq 0
check "terminate --help shows its usage and selectors" \
    test "$(grep -c '^Usage: vpnctl \[OPTIONS\] terminate ID|USER|ADDRESS|--all$\|^  --all ' <<< "$out")" -eq 2
for cmd in $(sed -n 's/^  \([a-z]*\) .*/\1/p' <<< "$("$vpnctl" --help)" | sort -u); do
    out=$("$vpnctl" --socket /nonexistent "$cmd" --help); rc=$?
    check "$cmd --help exits 0 with its usage" test "$rc" -eq 0 -a -n "$(grep "^Usage: vpnctl \[OPTIONS\] $cmd" <<< "$out")"
done
json=$(printf '{"command":"terminate","args":{"index":1,"user":"x"}}\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
print(s.makefile().readline())' "$sock")
check "terminate with two selectors is refused as bad-request" test "$(json_get 'r["code"]' <<< "$json")" = bad-request

# --- the detailed views without sessions (with them: e2e vpnctl-views) --
out=$(ctl session 42 2>&1); rc=$?
check "session of an unknown index exits 1 ($out)" test "$rc" -eq 1 -a -n "$(grep "no such session" <<< "$out")"
out=$(ctl session nobody 2>&1); rc=$?
check "session of a user without sessions exits 1" test "$rc" -eq 1
out=$(ctl session 2>&1); rc=$?
check "session without an argument is a usage error" test "$rc" -eq 2
out=$(ctl session --all 2>&1); rc=$?
check "session --all is a usage error" test "$rc" -eq 2
json=$(ctl --json session 10.9.0.1); rc=$?
check "--json session of a free address: exit 1, error in JSON" \
    test "$rc" -eq 1 -a "$(json_get 'r["ok"]' <<< "$json")" = False
out=$(ctl sas); rc=$?
check "sas without sessions exits 0 ($out)" test "$rc" -eq 0 -a "$out" = "no IKE SAs"
json=$(ctl --json sas)
check "JSON sas: count 0, empty list" test "$(json_get '(r["result"]["count"], r["result"]["ike_sas"])' <<< "$json")" = "(0, [])"
out=$(ctl ipsec); rc=$?
check "ipsec without sessions exits 0 ($out)" test "$rc" -eq 0 -a "$out" = "no IPsec SAs"
json=$(ctl --json ipsec)
check "JSON ipsec: count 0, empty list" test "$(json_get '(r["result"]["count"], r["result"]["ipsec_sas"])' <<< "$json")" = "(0, [])"
out=$(ctl stats); rc=$?
check "stats exits 0" test "$rc" -eq 0
check "human stats: handshakes line aligned ($out)" grep -Eq '^Handshakes: +0 started, 0 succeeded, 0 failed$' <<< "$out"
check "human stats: a line per failure reason" test "$(grep -Ec '^  (no_proposal|authentication|address|traffic_selectors|kernel|timeout): +0$' <<< "$out")" -eq 6
json=$(ctl --json stats)
check "JSON stats: every failure reason, all 0" \
    test "$(json_get 'sorted(r["result"]["handshakes"]["failed_by_reason"].items())' <<< "$json")" = \
    "[('address', 0), ('authentication', 0), ('kernel', 0), ('no_proposal', 0), ('timeout', 0), ('traffic_selectors', 0)]"
check "JSON stats: the counters an operator asks for" \
    test "$(json_get 'all(k in r["result"] for k in ("half_open_now", "cookies_sent", "retransmissions_sent", "eap_failures", "xauth_failures", "kernel_errors"))' <<< "$json")" = True
out=$(ctl stats extra 2>&1); rc=$?
check "stats with an argument is a usage error" test "$rc" -eq 2
json=$(printf '{"command":"session","args":{"index":1,"address":"10.9.0.1"}}\n{"command":"stats","args":{"x":1}}\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
f = s.makefile(); print(f.readline().strip()); print(f.readline().strip())' "$sock")
check "session with two selectors and stats with an argument are bad-request" \
    test "$(python3 -c 'import json,sys; print([json.loads(l)["code"] for l in sys.stdin])' <<< "$json")" = "['bad-request', 'bad-request']"

# --- log: recent lines and --follow ------------------------------------
out=$(ctl log -n 3); rc=$?
check "vpnctl log -n 3 exits 0" test "$rc" -eq 0
check "log -n 3 prints 3 lines ($out)" test "$(wc -l <<< "$out")" -eq 3
json=$(ctl --json log --priority warning -n 500)
check "log --priority warning: only warnings and worse" \
    test "$(json_get 'sorted(set(l["priority"] for l in r["result"]["lines"]))' <<< "$json")" = "['err', 'warning']"
check "log lines carry subsystem and time" \
    test "$(json_get 'all(l["subsystem"] and l["time"].endswith("Z") for l in r["result"]["lines"])' <<< "$json")" = True
ctl --json log -f -n 0 --priority info > "$tmp/follow.json" &
follower=$!
for _ in $(seq 300); do [ -s "$tmp/follow.json" ] && break; sleep 0.1; done
ctl reload > /dev/null
for _ in $(seq 300); do grep -q "configuration reloaded" "$tmp/follow.json" && break; sleep 0.1; done
check "log -f streams new lines (the reload)" grep -q '"message":"configuration reloaded"' "$tmp/follow.json"
check "log -f at info shows no debug lines" test -z "$(grep '"priority":"debug"' "$tmp/follow.json")"
check "the follower counts as a client" \
    test "$(json_get 'r["result"]["control"]["clients"]' <<< "$(ctl --json status)")" -ge 2
kill -TERM "$follower" 2> /dev/null; wait "$follower" 2> /dev/null
out=$(ctl log --bogus 2>&1); rc=$?
check "log with an unknown option is a usage error" test "$rc" -eq 2

# --- bash completion, against this daemon ------------------------------
completion=$(dirname "$(readlink -f "$0")")/../../../ctl/vpnctl.bash-completion
complete_words() {   # complete_words WORD... (the last one is being completed)
    bash -c '
        . /usr/share/bash-completion/bash_completion
        . "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _vpnctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$vpnctl" --socket "$sock" "$@" | sort | paste -sd' '
}
check "completion of commands ($(complete_words ''))" \
    test "$(complete_words '')" = "commands debug ipsec log pools reload sas session sessions stats status terminate"
check "completion of a command prefix" test "$(complete_words te)" = terminate
check "completion of pool names from the daemon ($(complete_words pools ''))" \
    test "$(complete_words pools '')" = "lab-pool lab-pool6"
check "completion of debug subsystems from the daemon" grep -qw ikev2 <<< "$(complete_words debug '')"
check "completion of debug levels" test "$(complete_words debug ike 12)" = 127
check "completion of terminate offers --all" grep -qw -- --all <<< "$(complete_words terminate '')"

# --- permissions --------------------------------------------------------
if $root; then
    as_nobody=(setpriv --reuid=nobody --regid="$read_group" --init-groups)
    out=$("${as_nobody[@]}" "$vpnctl" --socket "$sock" status 2>&1); rc=$?
    check "read-group member may run status" test "$rc" -eq 0
    check "read-group member has read access" grep -Eq '^  your access: +read$' <<< "$out"
    out=$("${as_nobody[@]}" "$vpnctl" --socket "$sock" reload 2>&1); rc=$?
    check "read-group member may not reload (exit 4)" test "$rc" -eq 4
    out=$("${as_nobody[@]}" "$vpnctl" --socket "$sock" pools 2>&1); rc=$?
    check "read-group member may list pools" test "$rc" -eq 0
    for cmd in "terminate --all" "debug ike 1"; do
        out=$("${as_nobody[@]}" "$vpnctl" --socket "$sock" $cmd 2>&1); rc=$?
        check "read-group member may not run $cmd (exit 4)" test "$rc" -eq 4
    done
    check "the refusal says why ($out)" grep -q "permission denied" <<< "$out"
    sleep 0.2
    check "the refusal is logged with uid and pid" \
        grep -Eq "refused 'reload' from uid $(id -u nobody) pid [0-9]+" "$tmp/vpnd.log"

    # Supplementary groups count (SO_PEERGROUPS): a uid whose primary group
    # is its own, in the read and admin groups only as supplementary ones.
    as_admin=(setpriv --reuid=65533 --regid=65533 --groups="$(getent group "$read_group" | cut -d: -f3),$(getent group "$admin_group" | cut -d: -f3)")
    out=$("${as_admin[@]}" "$vpnctl" --socket "$sock" status 2>&1); rc=$?
    check "admin-group member (supplementary group) has admin access ($rc)" grep -Eq '^  your access: +admin$' <<< "$out"
    out=$("${as_admin[@]}" "$vpnctl" --socket "$sock" debug pool 2 2>&1); rc=$?
    check "admin-group member may change a debug level" test "$rc" -eq 0
    check "the change names the admin's uid" grep -q "debug level of pool set to 2 by uid 65533" "$tmp/vpnd.log"
    as_reader=(setpriv --reuid=65533 --regid=65533 --groups="$(getent group "$read_group" | cut -d: -f3)")
    out=$("${as_reader[@]}" "$vpnctl" --socket "$sock" debug pool 0 2>&1); rc=$?
    check "read-group member (supplementary group) may not (exit 4)" test "$rc" -eq 4

    # A uid in no group of the socket: the filesystem already says no.
    out=$(setpriv --reuid=65533 --regid=65533 --clear-groups "$vpnctl" --socket "$sock" status 2>&1); rc=$?
    check "a non-member cannot connect (exit 4)" test "$rc" -eq 4
else
    echo "skip: permission checks need root"
fi

# --- robustness ---------------------------------------------------------
python3 - "$sock" <<'PY'; rc=$?
import json, socket, sys, time
path = sys.argv[1]
fails = 0
def check(cond, what):
    global fails
    print(("ok: " if cond else "not ok: ") + what, flush=True)
    fails += 0 if cond else 1

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s

def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf

# A stalled client holding half a request, and one that never reads.
stalled = connect()
stalled.sendall(b'{"command": "sta')
greedy = connect()
greedy.sendall(b'{"command":"status"}\n' * 2000)

# Malformed line, then a good one on the same connection.
s = connect()
s.sendall(b"this is not json\n")
r = json.loads(read_line(s))
check(r["ok"] is False and r["code"] == "bad-request", "malformed request answered with bad-request")
s.sendall(b'{"command":"status","id":42}\n')
r = json.loads(read_line(s))
check(r["ok"] is True and r["id"] == 42, "the connection stays usable; id echoed")
s.sendall(b'{"command":"no-such-command"}\n')
r = json.loads(read_line(s))
check(r["code"] == "unknown-command", "unknown command refused")
s.sendall(b'{"command":"status","args":{"x":1}}\n')
r = json.loads(read_line(s))
check(r["code"] == "bad-request", "unexpected arguments refused")
s.sendall(b'{"command":"status","extra":true}\n')
r = json.loads(read_line(s))
check(r["code"] == "bad-request", "unknown request member refused")
# Pipelined: three requests in one write, answered one after the other, in order.
s.sendall(b'{"command":"status","id":1}\n{"command":"sessions","id":2}\n{"command":"help","id":3}\n')
buf = b""
while buf.count(b"\n") < 3:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
ids = [json.loads(l).get("id") for l in buf.split(b"\n") if l]
check(ids == [1, 2, 3], "pipelined requests answered in order (%r)" % ids)
s.close()

# An oversized request: answered with too-large and disconnected.
s = connect()
try:
    s.sendall(b'{"command":"' + b"x" * 100000)
except OSError:
    pass
r = read_line(s)
check(b'"too-large"' in r, "oversized request refused (%r)" % r[:80])
check(s.recv(1) == b"", "and the connection closed")
s.close()

# Many clients at once, while the stalled and greedy ones are still there.
clients = [connect() for _ in range(40)]
for c in clients:
    c.sendall(b'{"command":"status"}\n')
good = sum(1 for c in clients if json.loads(read_line(c)).get("ok") is True)
check(good == 40, "40 concurrent clients answered (%d)" % good)
for c in clients:
    c.close()
stalled.close()
greedy.close()
sys.exit(1 if fails else 0)
PY
[ "$rc" -eq 0 ] || failures=$((failures + 1))
out=$(ctl status); rc=$?
check "status still answered after the abuse" test "$rc" -eq 0

# --- stop ---------------------------------------------------------------
kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
check "vpnd exits 0 on SIGTERM" test "$rc" -eq 0
check "the socket is removed" test ! -e "$sock"
out=$(ctl status 2>&1); rc=$?
check "vpnctl without a daemon exits 3" test "$rc" -eq 3

# Something else at the socket, answering what is not a response: exit 5.
for answer in 'not json at all' '{"result":{}}'; do
    python3 - "$tmp/fake.sock" "$answer" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
c.recv(65536)
c.sendall(sys.argv[2].encode() + b"\n")
c.close(); s.close(); os.unlink(sys.argv[1])
PY
    fake=$!
    for _ in $(seq 100); do [ -S "$tmp/fake.sock" ] && break; sleep 0.05; done
    out=$("$vpnctl" --socket "$tmp/fake.sock" --timeout 5 status 2>&1); rc=$?
    wait "$fake"
    check "an answer that is not a response ('$answer') exits 5 ($out)" test "$rc" -eq 5
done

if [ "$failures" -ne 0 ]; then
    echo "--- vpnd log ---"
    cat "$tmp/vpnd.log"
    exit 1
fi
echo "all control socket checks passed"
