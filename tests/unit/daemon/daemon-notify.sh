#!/bin/bash
# vpnd speaks the sd_notify protocol: READY=1 and STATUS= at start,
# WATCHDOG=1 pings at the rate $WATCHDOG_USEC asks for, RELOADING=1 then
# READY=1 on SIGHUP, STOPPING=1 on SIGTERM and a clean exit 0. The test plays
# the service manager: it owns the notification socket and starts vpnd.
#
# vpnd runs in a private network namespace so that its start-up cleanup of
# kernel XFRM state cannot touch anything outside the test.
#
# Usage: daemon-notify.sh [BUILD_DIR]   (or $VPND_BUILD)
set -euo pipefail
build=$(realpath "${1:-${VPND_BUILD:?give the build directory}}")
vpnd=$build/daemon/vpnd
[ -x "$vpnd" ] || { echo "not ok: $vpnd missing"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then netns=(unshare --net); else netns=(unshare --user --map-root-user --net); fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/vpnd.conf" <<EOF
control = { socket = "$tmp/run/control.sock"; };
EOF

exec python3 - "$tmp" "$vpnd" "${netns[@]}" <<'PY'
import os, signal, socket, subprocess, sys, time

tmp, vpnd, netns = sys.argv[1], sys.argv[2], sys.argv[3:]
failures = 0

def check(cond, what):
    global failures
    print(("ok: " if cond else "not ok: ") + what, flush=True)
    if not cond:
        failures += 1

sock_path = os.path.join(tmp, "notify.sock")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sock_path)
messages = []          # (monotonic time, [assignments])

def receive_until(pred, timeout):
    """Collects datagrams until pred(assignments) holds for one; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            data = sock.recv(4096)
        except socket.timeout:
            return None
        fields = data.decode("utf-8", "replace").split("\n")
        messages.append((time.monotonic(), fields))
        if pred(fields):
            return fields

env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="200000")
env.pop("WATCHDOG_PID", None)
log = open(os.path.join(tmp, "vpnd.log"), "w")
proc = subprocess.Popen(netns + [vpnd, "--foreground", "--log-target", "stderr",
                                 "--config", os.path.join(tmp, "vpnd.conf")],
                        env=env, stdout=log, stderr=subprocess.STDOUT)
try:
    ready = receive_until(lambda f: "READY=1" in f, 20)
    check(ready is not None, "READY=1 at start")
    statuses = [f for _, m in messages for f in m if f.startswith("STATUS=")]
    if not statuses:
        receive_until(lambda f: any(x.startswith("STATUS=") for x in f), 5)
        statuses = [f for _, m in messages for f in m if f.startswith("STATUS=")]
    check(any(s.startswith("STATUS=Running") for s in statuses), "STATUS=Running... sent (%r)" % statuses)

    # WATCHDOG_USEC=200000: pings about every 100 ms; demand at least 4 in
    # 1.5 s (slack for sanitizer builds on a busy machine).
    start = time.monotonic()
    pings = 0
    while time.monotonic() - start < 1.5:
        if receive_until(lambda f: "WATCHDOG=1" in f, 1.5 - (time.monotonic() - start)):
            pings += 1
    check(pings >= 4, "WATCHDOG=1 pings arrive (%d in 1.5 s)" % pings)
    check(pings <= 30, "watchdog pings are not a flood (%d in 1.5 s)" % pings)

    # unshare (without --fork) execs vpnd: the child's pid is vpnd's.
    check(proc.poll() is None, "vpnd is running")

    # A hung daemon must stop pinging, or the service manager could never
    # tell: freeze it for five watchdog periods and listen.
    proc.send_signal(signal.SIGSTOP)
    time.sleep(0.1)     # a ping already on its way may still land
    while receive_until(lambda f: True, 0.05):
        pass
    frozen = receive_until(lambda f: "WATCHDOG=1" in f, 1.0)
    check(frozen is None, "no WATCHDOG=1 while vpnd is stopped (the service manager would restart it)")
    proc.send_signal(signal.SIGCONT)
    check(receive_until(lambda f: "WATCHDOG=1" in f, 5) is not None, "pings resume when vpnd runs again")
    proc.send_signal(signal.SIGHUP)
    reloading = receive_until(lambda f: "RELOADING=1" in f, 10)
    check(reloading is not None, "RELOADING=1 on SIGHUP")
    ready_again = receive_until(lambda f: "READY=1" in f, 10)
    check(ready_again is not None, "READY=1 after the reload")

    proc.send_signal(signal.SIGTERM)
    stopping = receive_until(lambda f: "STOPPING=1" in f, 10)
    check(stopping is not None, "STOPPING=1 on SIGTERM")
    try:
        rc = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        rc = None
    check(rc == 0, "clean exit 0 after SIGTERM (got %r)" % rc)
    check(not os.path.exists(os.path.join(tmp, "run", "control.sock")), "control socket removed at exit")
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    log.close()

if failures:
    print("--- vpnd log ---")
    print(open(os.path.join(tmp, "vpnd.log")).read())
sys.exit(1 if failures else 0)
PY
