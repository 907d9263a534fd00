#!/bin/bash
# The generated systemd unit passes `systemd-analyze verify` without a single
# warning. The unit names the installed binaries; the copy verified here
# names the build's, so that verify finds executables that exist.
#
# Usage: daemon-unit-verify.sh [BUILD_DIR]   (or $VPND_BUILD)
set -euo pipefail
build=$(realpath "${1:-${VPND_BUILD:?give the build directory}}")
unit=$build/units/vpnd.service
[ -f "$unit" ] || { echo "not ok: $unit was not generated"; exit 1; }
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (tests/install-deps)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -e "s|^ExecStart=[^ ]*/vpnd |ExecStart=$build/daemon/vpnd |" \
    -e "s|^ExecReload=[^ ]*/vpnctl |ExecReload=$build/ctl/vpnctl |" \
    "$unit" > "$tmp/vpnd.service"
grep -q "^ExecStart=$build/daemon/vpnd " "$tmp/vpnd.service" || { echo "ExecStart not substituted"; exit 1; }
grep -q "^ExecReload=$build/ctl/vpnctl " "$tmp/vpnd.service" || { echo "ExecReload not substituted"; exit 1; }

# The man pages are not installed in a build tree: --man=no. verify also
# parses the units ours pulls in (multi-user.target's wants, such as
# freeradius.service when the test dependencies are installed) and warns about
# theirs; only what it says about ours counts: lines naming another unit file
# are dropped.
verify() {
    local out rc=0
    out=$(systemd-analyze verify --man=no "$1" 2>&1) || rc=$?
    grep -Ev '^/(etc|lib|usr/lib|run)/systemd/(system|user)/[^:]+:' <<< "$out" || true
    return "$rc"
}

# First make sure verify does complain here when it should (a unit naming
# a missing executable); otherwise a silent pass would prove nothing.
mkdir "$tmp/broken"
sed -e "s|^ExecStart=[^ ]*|ExecStart=$tmp/no-such-vpnd|" "$tmp/vpnd.service" > "$tmp/broken/vpnd.service"
if [ -z "$(verify "$tmp/broken/vpnd.service" || true)" ]; then
    echo "systemd-analyze verify reports nothing even for a broken unit; cannot test"
    exit 1
fi

status=0
out=$(verify "$tmp/vpnd.service") || status=$?
if [ "$status" -ne 0 ] || [ -n "$out" ]; then
    echo "systemd-analyze verify failed (exit $status):"
    echo "$out"
    exit 1
fi
echo "ok: systemd-analyze verify is silent on vpnd.service"
