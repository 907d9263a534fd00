# FreeRADIUS for the end-to-end tests: Debian's server with a private copy of
# its configuration under RESULTS/freeradius (logs, run folder and the
# accounting `detail` files there too), one client (127.0.0.1 with
# FR_SECRET), started in a host's namespace on its loopback.  Source after
# lib.sh.

FR_SECRET=vpnd-e2e-radius-7b1c
FR_DIR=
FR_PID=

# Starts FreeRADIUS in HOST (the first time: writes its configuration) and
# waits for "Ready to process requests".  Output to RESULTS/LABEL.log
# (default freeradius).  fr_start HOST [LABEL]
fr_start() {
  local host=$1 label=${2:-freeradius}
  command -v freeradius > /dev/null || tb_fail "freeradius is not installed (tests/install-deps)"
  FR_DIR=$TB_RESULTS/freeradius
  if [ ! -d "$FR_DIR/raddb" ]; then
    mkdir -p "$FR_DIR/log" "$FR_DIR/run"
    cp -a /etc/freeradius/3.0 "$FR_DIR/raddb"
    # Root inside the test's namespace; logs and pid file in the results.
    sed -i -e "s|^logdir = .*|logdir = $FR_DIR/log|" -e "s|^run_dir = .*|run_dir = $FR_DIR/run|" \
      -e 's|^\(\s*\)user = freerad|\1# user|' -e 's|^\(\s*\)group = freerad|\1# group|' \
      "$FR_DIR/raddb/radiusd.conf"
    cat > "$FR_DIR/raddb/clients.conf" <<CLIENTS
client vpnd {
	ipaddr = 127.0.0.1
	secret = $FR_SECRET
}
CLIENTS
  fi
  tb_daemon "$host" "$label" freeradius -f -X -d "$FR_DIR/raddb"
  FR_PID=$TB_LAST_PID
  local deadline=$((SECONDS + 30))
  until grep -q "Ready to process requests" "$TB_RESULTS/$label.log"; do
    kill -0 "$FR_PID" 2> /dev/null || tb_fail "FreeRADIUS exited: $(tail -n 5 "$TB_RESULTS/$label.log")"
    [ $SECONDS -lt $deadline ] || tb_fail "FreeRADIUS not ready in 30 s"
    sleep 0.2
  done
  tb_log "FreeRADIUS running in $host (pid $FR_PID)"
}

fr_stop() { [ -z "$FR_PID" ] || tb_stop "$FR_PID" || true; FR_PID=; }

# The accounting records FreeRADIUS's `detail` module wrote (from 127.0.0.1),
# one file per day: all of them, in order.  fr_detail_cat
fr_detail_cat() { cat "$FR_DIR"/log/radacct/127.0.0.1/detail-* 2> /dev/null || true; }
