#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs a test program against a real FreeRADIUS: in a private network
# namespace (its own loopback, so ports 1812/1813 are ours and nothing
# leaks), with a private copy of Debian's configuration holding one client
# (127.0.0.1, secret "testing-secret") and the test users. Waits for the
# server's "Ready to process requests", runs the program with the
# configuration directory as its argument, and stops the server.
# Usage: freeradius.sh TEST-PROGRAM
set -euo pipefail

if [ "${RADIUS_TEST_IN_NETNS:-}" != 1 ]; then
  command -v freeradius >/dev/null || { echo "Bail out! freeradius is not installed (tests/install-deps)"; exit 1; }
  # Debian keeps the configuration readable by root and freerad only.
  if [ ! -r /etc/freeradius/3.0/radiusd.conf ]; then
    echo "1..0 # SKIP cannot read /etc/freeradius/3.0 (run as root)"
    exit 0
  fi
  # Root gets a plain network namespace; anyone else one inside a user namespace.
  userns=()
  [ "$(id -u)" -eq 0 ] || userns=(-r)
  exec env RADIUS_TEST_IN_NETNS=1 unshare "${userns[@]}" -n -- "$0" "$@"
fi

program=$1
ip link set lo up

dir=$(mktemp -d /tmp/vpnd-radius-test.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

cp -a /etc/freeradius/3.0 "$dir/raddb"
raddb=$dir/raddb
mkdir -p "$dir/log" "$dir/run"
# Run as root inside the namespace, logs and pid file in the temporary dir.
sed -i -e "s|^logdir = .*|logdir = $dir/log|" -e "s|^run_dir = .*|run_dir = $dir/run|" \
       -e 's|^\(\s*\)user = freerad|\1# user|' -e 's|^\(\s*\)group = freerad|\1# group|' "$raddb/radiusd.conf"



cat > "$raddb/clients.conf" <<'CLIENTS'
client vpnd {
	ipaddr = 127.0.0.1
	secret = testing-secret
}
CLIENTS

cat > "$raddb/mods-config/files/authorize" <<'USERS'
alice	Cleartext-Password := "alice-pass"
	Framed-IP-Address = 10.9.0.5,
	Framed-IP-Netmask = 255.255.255.0,
	Session-Timeout = 3600,
	Idle-Timeout = 600,
	Class = "corp-class",
	Filter-Id = "acl-in",
	Reply-Message = "Welcome alice",
	Reply-Message = "second line",
	MS-MPPE-Recv-Key = 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

bob	Auth-Type := Reject
	Reply-Message = "Account disabled"
USERS

freeradius -f -X -d "$raddb" > "$dir/freeradius.log" 2>&1 &
server_pid=$!
# Ready when it says so; give up after 30 s or if it exits.
for _ in $(seq 300); do
  grep -q "Ready to process requests" "$dir/freeradius.log" && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q "Ready to process requests" "$dir/freeradius.log"; then
  echo "Bail out! FreeRADIUS did not start:"
  sed 's/^/# /' "$dir/freeradius.log" | tail -30
  exit 1
fi

status=0
"$program" "$dir" || status=$?
if [ "$status" -ne 0 ]; then
  echo "# FreeRADIUS log (tail):"
  tail -60 "$dir/freeradius.log" | sed 's/^/# /'
fi
exit "$status"
