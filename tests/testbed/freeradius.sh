# FreeRADIUS (Debian's freeradius) as the AAA server of end-to-end tests,
# on the loopback of a test host (gw: vpnd reaches it at 127.0.0.1), with
# a private copy of Debian's configuration in RESULTS/freeradius/raddb.
# Source after lib.sh and tb_init:
#
#   fr_setup testing-secret                 # the copy; one client, 127.0.0.1
#   fr_users <<'USERS' ... USERS            # mods-config/files/authorize
#   fr_authorize <<'UNLANG' ... UNLANG      # (optional) unlang at the top of authorize
#   fr_eap_tls CA.pem CERT.pem KEY.pem      # (optional) EAP-TLS with these credentials
#   fr_start gw                             # waits for "Ready to process requests"
#
# Its debug output (-X) goes to RESULTS/freeradius.log.

FR_DIR=
FR_PID=

# fr_setup SECRET [CLIENT-ADDRESS]
fr_setup() {
  local secret=$1 client=${2:-127.0.0.1}
  command -v freeradius > /dev/null || tb_fail "freeradius is not installed (tests/install-deps)"
  FR_DIR=$TB_RESULTS/freeradius
  rm -rf "$FR_DIR"
  mkdir -p "$FR_DIR/log" "$FR_DIR/run"
  cp -a /etc/freeradius/3.0 "$FR_DIR/raddb"
  # Root inside the namespace; logs and pid file with the results.
  sed -i -e "s|^logdir = .*|logdir = $FR_DIR/log|" -e "s|^run_dir = .*|run_dir = $FR_DIR/run|" \
    -e 's|^\(\s*\)user = freerad|\1# user|' -e 's|^\(\s*\)group = freerad|\1# group|' "$FR_DIR/raddb/radiusd.conf"
  cat > "$FR_DIR/raddb/clients.conf" <<CLIENTS
client vpnd {
	ipaddr = $client
	secret = $secret
}
CLIENTS
  : > "$FR_DIR/raddb/mods-config/files/authorize"
}

# The users file (FreeRADIUS "files" module) from stdin.
fr_users() { cat > "$FR_DIR/raddb/mods-config/files/authorize"; }

# unlang from stdin, run first in the default site's authorize section.
fr_authorize() {
  local site=$FR_DIR/raddb/sites-enabled/default snippet
  snippet=$(cat)
  # sites-enabled/default is a symbolic link into the original tree.
  cp --remove-destination "$(readlink -f "$site")" "$site"
  SNIPPET=$snippet python3 - "$site" <<'PY'
import os, re, sys
path = sys.argv[1]
text = open(path).read()
text, n = re.subn(r'^authorize \{\n', lambda m: m.group(0) + os.environ['SNIPPET'] + '\n', text, count=1,
                  flags=re.M)
assert n == 1, 'no authorize section'
open(path, 'w').write(text)
PY
}

# EAP-TLS (and the TLS of every EAP method) with our own credentials; the
# client certificates are checked against CA.  fr_eap_tls CA CERT KEY [DEFAULT-EAP-TYPE]
fr_eap_tls() {
  local eap=$FR_DIR/raddb/mods-available/eap
  sed -i -e "s|^\(\s*\)private_key_file = .*|\1private_key_file = $3|" \
    -e "s|^\(\s*\)certificate_file = .*|\1certificate_file = $2|" \
    -e "s|^\(\s*\)ca_file = .*|\1ca_file = $1|" "$eap"
  [ -z "${4:-}" ] || fr_eap_default "$4"
}

# The EAP method FreeRADIUS proposes first: fr_eap_default md5|mschapv2|tls
fr_eap_default() {
  sed -i "0,/^\(\s*\)default_eap_type = .*/s//\1default_eap_type = $1/" "$FR_DIR/raddb/mods-available/eap"
}

# Starts FreeRADIUS in HOST (its loopback is brought up) and waits until
# it is ready; its output goes to RESULTS/LABEL.log (default freeradius: a
# second start after fr_stop names another).  fr_start HOST [LABEL]
fr_start() {
  local host=$1 label=${2:-freeradius}
  tb_exec "$host" ip link set lo up
  tb_daemon "$host" "$label" freeradius -f -X -d "$FR_DIR/raddb"
  FR_PID=$TB_LAST_PID
  local deadline=$((SECONDS + 60))
  until grep -q "Ready to process requests" "$TB_RESULTS/$label.log"; do
    kill -0 "$FR_PID" 2> /dev/null || tb_fail "FreeRADIUS exited during start: $(tail -n 5 "$TB_RESULTS/$label.log")"
    [ $SECONDS -lt $deadline ] || tb_fail "FreeRADIUS not ready in 60 s"
    sleep 0.2
  done
  tb_log "FreeRADIUS running on $host (pid $FR_PID)"
}

fr_stop() { [ -z "$FR_PID" ] || tb_stop "$FR_PID" || true; FR_PID=; }

# The accounting records FreeRADIUS's `detail` module wrote (requests from
# 127.0.0.1), one file per day: all of them, in order.  fr_detail_cat
fr_detail_cat() { cat "$FR_DIR"/log/radacct/127.0.0.1/detail-* 2> /dev/null || true; }
