#!/bin/bash
# The malformed IKEv1 corpus of the e2e suite (tests/e2e/ikev1-malformed.py:
# broken lengths, payload loops, thousands of payloads, absurd counts and
# attribute lengths, unknown and wrong cookies, short and unaligned
# ciphertext under a real half-open ISAKMP SA, 400 random mutations) sent
# to a running vpnd over loopback, so that the build under test (in CI also
# the -Db_sanitize=address,undefined one) runs its whole IKEv1 receive path
# on it: vpnd must still answer, count the drops in `vpnctl status`, log
# the reasons, report no sanitizer error and exit cleanly (LeakSanitizer
# included) on SIGTERM.  Runs in a private network namespace: vpnd on
# 127.0.0.1, the probe on 127.0.0.2 (both on ports 500 and 4500).
#
# Usage: daemon-ikev1-malformed.sh [BUILD_DIR]   (or $VPND_BUILD)
set -uo pipefail
build=$(realpath "${1:-${VPND_BUILD:?give the build directory}}")
vpnd=$build/daemon/vpnd
vpnctl=$build/ctl/vpnctl
probe=$(realpath "$(dirname "$0")/../../e2e/ikev1-malformed.py")
[ -x "$vpnd" ] && [ -x "$vpnctl" ] || { echo "not ok: vpnd or vpnctl missing in $build"; exit 1; }
[ -r "$probe" ] || { echo "not ok: $probe missing"; exit 1; }
command -v python3 > /dev/null || { echo "not ok: python3 missing"; exit 1; }

if [ -z "${VPND_IN_NETNS:-}" ]; then
    if [ "$(id -u)" -eq 0 ]; then netns=(unshare --net); else netns=(unshare --user --map-root-user --net); fi
    exec env VPND_IN_NETNS=1 "${netns[@]}" "$0" "$build"
fi

failures=0
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else echo "not ok: $what"; failures=$((failures + 1)); fi; }

tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
ip link set lo up || { echo "not ok: cannot bring lo up"; exit 1; }

# UBSan reports without stopping; make each report an error exit instead,
# and keep ASan's default of aborting on the first error.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cat > "$tmp/vpnd.conf" <<EOF
log = { level = "debug"; debug = { ikev1 = 1; }; };
control = { socket = "$tmp/run/control.sock"; };
listen = ( { address = "127.0.0.1"; } );
ike-proposals = ( { name = "ezvpn"; encryption = ["aes128"]; integrity = ["sha1"]; dh-group = [2]; } );
esp-proposals = ( { name = "esp"; encryption = ["aes128"]; integrity = ["sha1"]; } );
pools = ( { name = "ez-pool"; range = "10.8.0.10-10.8.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "ez-policy"; protocols = ["ikev1"]; } );
tunnel-groups = ( { name = "ez"; ike-version = 1; authentication = "psk+xauth"; psk = "unit-malformed-key";
                    group-name = "ezgroup"; address-pool = "ez-pool"; group-policy = "ez-policy";
                    ike-proposals = ["ezvpn"]; esp-proposals = ["esp"]; } );
EOF
ctl() { "$vpnctl" --socket "$tmp/run/control.sock" --timeout 10 "$@"; }
answers() { ctl status > /dev/null 2>&1; }

"$vpnd" --foreground --log-target stderr --config "$tmp/vpnd.conf" 2> "$tmp/vpnd.log" &
pid=$!
for _ in $(seq 200); do answers && break; sleep 0.1; done
check "vpnd answers on its control socket" answers
listening() { python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.1", 500))
except OSError:
    raise SystemExit(0)     # taken: vpnd listens
raise SystemExit(1)
PY
}
check "vpnd listens on 127.0.0.1:500" listening

python3 "$probe" 127.0.0.1 ezgroup 127.0.0.2 > "$tmp/probe.log" 2>&1
probe_rc=$?
sed 's/^/# probe: /' "$tmp/probe.log"
check "the probe ran to its end" grep -q '^sent [0-9]* datagrams$' "$tmp/probe.log"
check "the probe found nothing wrong (exit $probe_rc)" test "$probe_rc" -eq 0
check "vpnd is still running" kill -0 "$pid"
check "vpnctl status still answers" answers

counts=$(ctl --json status | python3 -c '
import json, sys
ike = json.load(sys.stdin)["result"]["ike"]
print(ike["parse_errors"], ike["unknown_spi"])' 2> /dev/null)
read -r parse_errors unknown_spi <<< "${counts:-0 0}"
echo "# vpnctl status: $parse_errors malformed messages, $unknown_spi for unknown cookies"
check "malformed messages counted ($parse_errors)" test "$parse_errors" -ge 40
check "messages for unknown cookies counted ($unknown_spi)" test "$unknown_spi" -ge 6
for reason in "dropped: truncated payload" "dropped: too many substructures SA" "nonce length outside 8..256" \
    "dropped: payload length below 4 V at offset 28" "dropped: too many substructures V" \
    "refused: no IKEv1 pre-shared-key tunnel group with group-name 'no-such-group'" \
    "message for an unknown ISAKMP SA dropped"; do
    check "logged: $reason" grep -qF -- "$reason" "$tmp/vpnd.log"
done

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "vpnd exits 0 after SIGTERM (no leak report)" test "$rc" -eq 0
check "no sanitizer report" bash -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$tmp/vpnd.log'"

if [ "$failures" -ne 0 ]; then
    echo "--- vpnd log (last 60 lines) ---"
    tail -n 60 "$tmp/vpnd.log"
    exit 1
fi
