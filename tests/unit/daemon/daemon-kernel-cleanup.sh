#!/bin/bash
# vpnd removes the kernel XFRM state it owns (reqids in its range) when it
# starts and when it stops, and leaves everything else alone. Policies are
# enough to show it (they need no ESP support in the kernel); the whole test
# runs in a private network namespace.
#
# Usage: daemon-kernel-cleanup.sh [BUILD_DIR]   (or $VPND_BUILD)
set -uo pipefail
build=$(realpath "${1:-${VPND_BUILD:?give the build directory}}")
vpnd=$build/daemon/vpnd
[ -x "$vpnd" ] || { echo "not ok: $vpnd missing"; exit 1; }
command -v ip >/dev/null || { echo "not ok: ip (iproute2) missing"; exit 1; }

if [ -z "${VPND_IN_NETNS:-}" ]; then
    if [ "$(id -u)" -eq 0 ]; then netns=(unshare --net); else netns=(unshare --user --map-root-user --net); fi
    exec env VPND_IN_NETNS=1 "${netns[@]}" "$0" "$build"
fi

failures=0
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else echo "not ok: $what"; failures=$((failures + 1)); fi; }

tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
printf 'control = { socket = "%s/run/control.sock"; };\n' "$tmp" > "$tmp/vpnd.conf"

# reqid 0x76700000 is the first of vpnd's range (netlink/xfrm.h); 5 is not ours.
owned_policy() {   # owned_policy SRC_NET
    ip xfrm policy add src "$1" dst 10.99.0.0/24 dir out \
        tmpl src 192.0.2.1 dst 198.51.100.1 proto esp mode tunnel reqid "$2"
}
has_policy() { ip xfrm policy list | grep -q "src $1 "; }
lacks_policy() { ! has_policy "$1"; }

check "owned policy installed (stale, as after a crash)" owned_policy 10.1.0.0/24 0x76700001
check "foreign policy installed" owned_policy 10.2.0.0/24 5

"$vpnd" --foreground --log-target stderr --config "$tmp/vpnd.conf" 2> "$tmp/vpnd.log" &
pid=$!
for _ in $(seq 100); do [ -S "$tmp/run/control.sock" ] && break; sleep 0.1; done
check "vpnd started" test -S "$tmp/run/control.sock"
check "stale owned policy removed at start" lacks_policy 10.1.0.0/24
check "foreign policy kept at start" has_policy 10.2.0.0/24
check "removal logged" grep -q "removed 0 SAs and 1 policies" "$tmp/vpnd.log"

check "owned policy installed while running" owned_policy 10.3.0.0/24 0x76700002
kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
check "vpnd exits 0" test "$rc" -eq 0
check "owned policy removed at shutdown" lacks_policy 10.3.0.0/24
check "foreign policy still there" has_policy 10.2.0.0/24

if [ "$failures" -ne 0 ]; then
    echo "--- vpnd log ---"; cat "$tmp/vpnd.log"
    echo "--- policies ---"; ip xfrm policy list
    exit 1
fi
