#!/bin/bash
# vpnd's command line: --check-config verdicts (file:line on stderr and exit
# 1 for an error; warnings and "configuration OK" with exit 0), and the
# usage errors, --help and --version.
#
# Usage: daemon-check-config.sh [BUILD_DIR]   (or $VPND_BUILD)
set -uo pipefail
build=$(realpath "${1:-${VPND_BUILD:?give the build directory}}")
vpnd=$build/daemon/vpnd
top=$(cd "$(dirname "$0")/../../.." && pwd)
[ -x "$vpnd" ] || { echo "not ok: $vpnd missing"; exit 1; }

failures=0
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else echo "not ok: $what"; failures=$((failures + 1)); fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The shipped example configuration is valid.
"$vpnd" --check-config "$top/conf/vpnd.conf" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "conf/vpnd.conf: exit 0" test "$rc" -eq 0
check "conf/vpnd.conf: prints 'configuration OK'" test "$(cat "$tmp/out")" = "configuration OK"

# Valid with a warning: the warning is printed, the verdict still OK.
printf 'control = { socket = "%s/c.sock"; };\n' "$tmp" > "$tmp/warn.conf"
"$vpnd" --check-config "$tmp/warn.conf" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "warning-only file: exit 0" test "$rc" -eq 0
check "warning-only file: warning with file name on stderr" grep -q "^warning: .*warn.conf.*tunnel-groups" "$tmp/err"
check "warning-only file: configuration OK" test "$(cat "$tmp/out")" = "configuration OK"

# An error on line 3.
printf '# comment\nlog = { level = "info"; };\ncontrol = { nonsense = 1; };\n' > "$tmp/bad.conf"
"$vpnd" --check-config "$tmp/bad.conf" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "bad file: exit 1" test "$rc" -eq 1
check "bad file: file:line: reason on stderr ($(cat "$tmp/err"))" grep -q "^$tmp/bad.conf:3: " "$tmp/err"
check "bad file: nothing on stdout" test ! -s "$tmp/out"

"$vpnd" --check-config "$tmp/missing.conf" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "missing file: exit 1 with a message" test "$rc" -eq 1 -a -s "$tmp/err"

"$vpnd" --help > "$tmp/out"; rc=$?
check "--help: exit 0 and usage" test "$rc" -eq 0 -a -n "$(grep -- --check-config "$tmp/out")"
out=$("$vpnd" --version); rc=$?
check "--version: exit 0" test "$rc" -eq 0
check "--version: prints the version" grep -Eq '^vpnd [0-9]+\.[0-9]+\.[0-9]+$' <<< "$out"
"$vpnd" --no-such-option > /dev/null 2>&1; rc=$?
check "unknown option: exit 2" test "$rc" -eq 2
"$vpnd" --log-target syslog > /dev/null 2>&1; rc=$?
check "bad --log-target: exit 2" test "$rc" -eq 2
"$vpnd" extra-argument > /dev/null 2>&1; rc=$?
check "stray argument: exit 2" test "$rc" -eq 2

[ "$failures" -eq 0 ]
