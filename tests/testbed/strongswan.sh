# strongSwan (charon + swanctl) as a peer in end-to-end tests: a road-warrior
# client to test vpnd's responders against, and a remote-access responder
# for baselines and side-by-side comparisons.  Source it after lib.sh and
# tb_init:
#
#   . "$(dirname "$0")/../testbed/lib.sh"
#   . "$(dirname "$0")/../testbed/strongswan.sh"
#   tb_init
#   tb_topology_remote_access
#   ss_client_start c1 alice
#   ss_client_conn alice vpn --remote "$TB_GW_ADDR" --psk alice@example.com secret123
#   ss_client_up alice vpn || tb_fail "no tunnel"
#   vip=$(ss_client_vip alice)
#
# Every instance (NAME, unique within the test) is a charon of its own:
#   - in a private mount namespace with a tmpfs on /run, because charon's
#     pid file is fixed at /run/charon.pid and it refuses to start while
#     another charon's file is there;
#   - with its own strongswan.conf (STRONGSWAN_CONF), an explicit plugin list
#     (load_modular off: what a test uses and nothing else, so that a
#     missing package fails the start instead of a handshake), its own
#     swanctl directory (SWANCTL_DIR) and its own vici socket;
#   - logging (ike, cfg, knl at level 2, net and enc at 1) to
#     RESULTS/ss-NAME/charon.log, one flushed line per message.
# Configuration, credentials and logs live in RESULTS/ss-NAME/.  The vici
# socket lives in a private folder under /tmp instead: the results folder
# is a 9p share in the VM, and a socket belongs on a local file system.
#
# Several instances may run at once, in different namespaces.  Two in the
# same namespace need different IKE ports (--ports) and must not install
# overlapping policies.
#
# Measured in the VM (TCG, 2 CPUs, host shared with other work): charon
# answers on vici 0.8-8 s after its start, a handshake takes 0.4-5 s,
# certificates for ss_pki_standard 6-9 s.  The timeouts below leave margin.

SS_CHARON=${SS_CHARON:-/usr/lib/ipsec/charon}
SS_START_TIMEOUT=${SS_START_TIMEOUT:-90}   # seconds for charon to answer on vici
SS_UP_TIMEOUT=${SS_UP_TIMEOUT:-60}         # seconds for one initiation

# Plugins: RNG, nonces, crypto from OpenSSL (AES-CBC/GCM, SHA-1/2, HMAC,
# ECP, MODP, X25519, and MD4/DES for MSCHAPv2 through OpenSSL's legacy
# provider), kdf (strongSwan 5.9.8 takes IKE's prf+ from it, not from
# openssl), certificate and key parsing and trust-chain checks, kernel and
# socket interfaces, vici for swanctl, EAP methods (eap-mschapv2 comes from
# libcharon-extauth-plugins; eap-gtc from libcharon-extra-plugins), IKEv1 XAuth with Cisco Unity attributes, and
# DNS handling (resolve).
SS_PLUGINS_DEFAULT="random nonce openssl kdf pem pkcs1 pkcs8 x509 revocation constraints pubkey
  kernel-netlink socket-default vici eap-identity eap-mschapv2 eap-md5 eap-gtc xauth-generic unity
  resolve attr"

declare -A SS_DIR=()     # NAME -> its folder in the results
declare -A SS_RUN=()     # NAME -> its private folder (vici socket)
declare -A SS_PID=()     # NAME -> pid of the process running charon
declare -A SS_HOST=()    # NAME -> test-bed host

ss__need() { [ -n "${SS_DIR[$1]:-}" ] || tb_fail "strongSwan instance '$1' was not started"; }
ss__uri() { printf 'unix://%s/charon.vici' "${SS_RUN[$1]}"; }

# Runs swanctl against instance NAME: ss_swanctl NAME ARGS...
ss_swanctl() {
  local name=$1; shift
  ss__need "$name"
  STRONGSWAN_CONF=${SS_DIR[$name]}/strongswan.conf SWANCTL_DIR=${SS_DIR[$name]}/swanctl \
    swanctl "$@" --uri "$(ss__uri "$name")"
}

# ---- starting and stopping ------------------------------------------------------

# Starts charon in HOST as instance NAME and waits until it answers on vici.
# ss_start HOST NAME [--ports IKE,NATT] [--plugins "LIST"] [--charon 'key = value']... [--log 'ike = 4']... [--log-file PATH]
#   --ports     IKE and NAT-T ports (default 500,4500; 0 picks a random one)
#   --plugins   plugin list instead of SS_PLUGINS_DEFAULT
#   --charon    an extra line for the charon section of strongswan.conf,
#               e.g. 'i_dont_care_about_security_and_use_aggressive_mode_psk = yes'
#   --log       a log level for charon.log overriding the defaults below,
#               e.g. 'ike = 4' (key material: only to capture test vectors)
#   --log-file  where charon logs instead of RESULTS/ss-NAME/charon.log
#               (the results folder is a 9p share in the VM: slow to write)
# Sets SS_START_SECONDS (how long charon took to answer).
ss_start() {
  local host=$1 name=$2; shift 2
  local ports=500,4500 plugins=$SS_PLUGINS_DEFAULT extra=() levels=() log_file=""
  while [ $# -gt 0 ]; do
    case $1 in
      --ports) ports=$2; shift 2 ;;
      --plugins) plugins=$2; shift 2 ;;
      --charon) extra+=("$2"); shift 2 ;;
      --log) levels+=("$2"); shift 2 ;;
      --log-file) log_file=$2; shift 2 ;;
      *) tb_fail "ss_start: unknown option $1" ;;
    esac
  done
  [ -z "${SS_DIR[$name]:-}" ] || tb_fail "strongSwan instance '$name' exists already"
  [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || tb_fail "ss_start: bad instance name '$name'"

  local dir="$TB_RESULTS/ss-$name" run
  rm -rf "$dir"
  # Every folder swanctl --load-all reads (a missing one is an error line).
  mkdir -p "$dir"/swanctl/{conf.d,x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey} \
    "$dir"/swanctl/{private,rsa,ecdsa,bliss,pkcs8,pkcs12} || tb_fail "cannot create $dir"
  run=$(mktemp -d /tmp/vpnd-ss.XXXXXX) || tb_fail "cannot create a folder for $name's socket"
  tb_on_exit "rm -rf '$run'"
  SS_DIR[$name]=$dir SS_RUN[$name]=$run SS_HOST[$name]=$host

  local line
  {
    echo "# strongSwan instance '$name' in host $host (tests/testbed/strongswan.sh)"
    echo "charon {"
    echo "  load_modular = no"
    echo "  load = $(echo $plugins)"
    echo "  port = ${ports%,*}"
    echo "  port_nat_t = ${ports#*,}"
    # Generous retransmissions: a handshake under emulation takes seconds.
    echo "  retransmit_timeout = 6.0"
    echo "  retransmit_tries = 4"
    for line in "${extra[@]}"; do echo "  $line"; done
    echo "  syslog {"
    echo "  }"
    echo "  filelog {"
    echo "    charon {"
    echo "      path = ${log_file:-$dir/charon.log}"
    echo "      time_format = %T"
    echo "      ike_name = yes"
    echo "      flush_line = yes"
    echo "      default = 1"
    echo "      ike = 2"
    echo "      cfg = 2"
    echo "      knl = 2"
    echo "      net = 1"
    echo "      enc = 1"
    for line in "${levels[@]}"; do echo "      $line"; done
    echo "    }"
    echo "  }"
    echo "  plugins {"
    echo "    vici {"
    echo "      socket = $(ss__uri "$name")"
    echo "    }"
    echo "    resolve {"
    # A private file: the host's /etc/resolv.conf is not ours to change.
    echo "      file = $dir/resolv.conf"
    echo "    }"
    echo "  }"
    echo "}"
    # swanctl reads this file too: the plugins to parse keys and certificates.
    echo "swanctl {"
    echo "  load = random openssl pem pkcs1 pkcs8 x509 pubkey"
    echo "}"
  } > "$dir/strongswan.conf"
  printf 'include conf.d/*.conf\n' > "$dir/swanctl/swanctl.conf"

  local start=$EPOCHREALTIME clog=${log_file:-$dir/charon.log}
  tb_daemon "$host" "ss-$name/stdout" env STRONGSWAN_CONF="$dir/strongswan.conf" \
    unshare -m --propagation private \
    sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$0"' "$SS_CHARON"
  SS_PID[$name]=$TB_LAST_PID

  # Ready when swanctl gets an answer; fail at once if charon died.
  local deadline=$((SECONDS + SS_START_TIMEOUT))
  until ss_swanctl "$name" --stats > /dev/null 2>&1; do
    kill -0 "${SS_PID[$name]}" 2> /dev/null ||
      tb_fail "charon '$name' exited during start: $(tail -n 5 "$dir/stdout.log" "$clog" 2> /dev/null)"
    [ $SECONDS -lt $deadline ] || tb_fail "charon '$name' did not answer on vici in ${SS_START_TIMEOUT}s"
    sleep 0.1
  done
  # A plugin that did not load (a package missing) would only show later as
  # an odd failure: stop here instead.
  if grep -q 'failed to load' "$clog"; then
    tb_fail "charon '$name': $(grep -m 3 'failed to load' "$clog") (see tests/install-deps)"
  fi
  SS_START_SECONDS=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }')
  tb_log "charon '$name' in $host ready in ${SS_START_SECONDS}s"
}

# The road-warrior client and the responder start the same way.
ss_client_start() { ss_start "$@"; }
ss_responder_start() { ss_start "$@"; }

# Stops instance NAME (SIGTERM: charon deletes its SAs and policies first).
ss_stop() {
  ss__need "$1"
  tb_stop "${SS_PID[$1]}"
}
ss_client_stop() { ss_stop "$@"; }
ss_responder_stop() { ss_stop "$@"; }

# Loads every connection, secret, pool and credential of instance NAME.
ss_load() {
  local name=$1 dir=${SS_DIR[$1]}
  ss_swanctl "$name" --load-all --noprompt --file "$dir/swanctl/swanctl.conf" \
    >> "$dir/swanctl.log" 2>&1 ||
    tb_fail "swanctl --load-all for '$name' failed: $(tail -n 5 "$dir/swanctl.log")"
}

# ---- configuration --------------------------------------------------------------

# Copies a certificate or key into instance NAME's swanctl folder (KIND:
# x509, x509ca or private); prints the file name swanctl.conf refers to.
ss__install_cred() {
  local name=$1 kind=$2 file=$3 base
  [ -r "$file" ] || tb_fail "no such credential file: $file"
  base=$(basename "$file")
  cp "$file" "${SS_DIR[$name]}/swanctl/$kind/$base" || tb_fail "cannot copy $file"
  printf '%s\n' "$base"
}

# swanctl.conf wants plain strings in double quotes (no escapes in ours).
ss__quote() {
  case $1 in *'"'* | *'\'*) tb_fail "strongSwan test values may not contain quotes or backslashes: $1" ;; esac
  printf '"%s"' "$1"
}

# Writes and loads a road-warrior connection CONN (its CHILD SA is also named
# CONN) for client NAME.
# ss_client_conn NAME CONN --remote ADDR AUTH [options]
#   AUTH, one of:
#     --psk ID KEY              PSK, our identity ID
#     --eap-mschapv2 USER PASS  EAP-MSCHAPv2 as USER (the gateway: certificate)
#     --eap-md5 USER PASS       EAP-MD5 as USER (the gateway: certificate)
#     --eap-gtc USER PASS       EAP-GTC as USER (the gateway: certificate)
#     --pubkey CERT KEY         certificate and private key (PEM files)
#   --xauth USER PASS  IKEv1: a second round, XAuth as USER (after --psk or --pubkey)
#   --ike-id ID        with EAP: the IKE identity (IDi) when it differs from USER
#   --ca CERT          trust anchor for the gateway's certificate
#   --remote-id ID     the gateway's identity (default: any)
#   --remote-auth M    how the gateway authenticates (default: psk with
#                      --psk, else pubkey)
#   --ike PROPOSALS    e.g. aes256-sha256-ecp256 (default: strongSwan's)
#   --esp PROPOSALS    e.g. aes128gcm16-x25519 (default: strongSwan's)
#   --remote-ts LIST   traffic selectors to ask for (default 0.0.0.0/0)
#   --no-vip           do not ask for a virtual IP (default: vips = 0.0.0.0)
#   --vips LIST        virtual IPs to ask for, e.g. 0.0.0.0,:: (dual stack)
#   --version 1|2      IKE version (default 2)
#   --aggressive       IKEv1 Aggressive Mode
#   --rekey-ike T, --reauth-ike T, --rekey-child T, --life-child T  (e.g. 30s, 0 = never)
#   --rand-child T     random time subtracted from --rekey-child (strongSwan's
#                      default, life - rekey, can exceed the rekey time: then
#                      the CHILD SA is never rekeyed and hard-expires)
#   --dpd T            DPD interval
#   --encap            force UDP encapsulation (NAT-T) even without a NAT
#   --fragmentation yes|no|accept|force
#   --mobike yes|no    (default yes)
#   --local-addr ADDR  source address
#   --set KEY=VALUE    any other key of the connection section
#   --extra-child NAME TS  a second CHILD SA NAME (same proposals and
#                      timers) for remote_ts TS: another Quick Mode or
#                      CREATE_CHILD_SA on the same IKE SA (ss_client_up NAME)
#   --no-load          only write the file (many connections: write them
#                      all, then one ss_load NAME)
#   --start            charon initiates the connection itself when it is
#                      loaded (start_action = start): many at once without a
#                      swanctl process each
ss_client_conn() {
  local name=$1 conn=$2; shift 2
  ss__need "$name"
  local remote="" auth="" id="" key="" cert="" ca="" remote_id="" remote_auth=""
  local ike="" esp="" remote_ts=0.0.0.0/0 vips=0.0.0.0 version=2 aggressive=""
  local rekey_ike="" reauth_ike="" rekey_child="" life_child="" rand_child="" dpd="" encap=""
  local frag="" mobike="" local_addr="" xauth_user="" xauth_pass="" ike_id="" sets=() load=yes start_action=""
  local extra_child="" extra_ts="" local_ts=""
  local more_cas=()
  while [ $# -gt 0 ]; do
    case $1 in
      --no-load) load=""; shift ;;
      --start) start_action=start; shift ;;
      --remote) remote=$2; shift 2 ;;
      --psk) auth=psk id=$2 key=$3; shift 3 ;;
      --eap-mschapv2 | --eap-md5 | --eap-gtc) auth=${1#--} id=$2 key=$3; shift 3 ;;
      # EAP-TLS with a client certificate; EAP_ID is the EAP identity.
      --eap-tls) auth=eap-tls cert=$2 key=$3 id=$4; shift 4 ;;
      # A second CA to trust (an EAP server's: its TLS certificate must
      # name the gateway's IKE identity, what strongSwan checks it against).
      --ca2) more_cas+=("$2"); shift 2 ;;
      --ike-id) ike_id=$2; shift 2 ;;
      --pubkey) auth=pubkey cert=$2 key=$3; shift 3 ;;
      --xauth) xauth_user=$2 xauth_pass=$3; shift 3 ;;
      --ca) ca=$2; shift 2 ;;
      --remote-id) remote_id=$2; shift 2 ;;
      --remote-auth) remote_auth=$2; shift 2 ;;
      --ike) ike=$2; shift 2 ;;
      --esp) esp=$2; shift 2 ;;
      --remote-ts) remote_ts=$2; shift 2 ;;
      # The client's own side of the CHILD SA instead of its virtual IP
      # (a client that claims an address it was not given).
      --local-ts) local_ts=$2; shift 2 ;;
      --no-vip) vips=""; shift ;;
      --vips) vips=$2; shift 2 ;;
      --version) version=$2; shift 2 ;;
      --aggressive) aggressive=yes; shift ;;
      --rekey-ike) rekey_ike=$2; shift 2 ;;
      --reauth-ike) reauth_ike=$2; shift 2 ;;
      --rekey-child) rekey_child=$2; shift 2 ;;
      --rand-child) rand_child=$2; shift 2 ;;
      --life-child) life_child=$2; shift 2 ;;
      --dpd) dpd=$2; shift 2 ;;
      --encap) encap=yes; shift ;;
      --fragmentation) frag=$2; shift 2 ;;
      --mobike) mobike=$2; shift 2 ;;
      --local-addr) local_addr=$2; shift 2 ;;
      --set) sets+=("$2"); shift 2 ;;
      --extra-child) extra_child=$2 extra_ts=$3; shift 3 ;;
      *) tb_fail "ss_client_conn: unknown option $1" ;;
    esac
  done
  [ -n "$remote" ] || tb_fail "ss_client_conn: --remote is required"
  [ -n "$auth" ] || tb_fail "ss_client_conn: one of --psk, --eap-mschapv2, --eap-md5, --eap-gtc, --pubkey is required"
  [[ $conn =~ ^[A-Za-z0-9_-]+$ ]] || tb_fail "ss_client_conn: bad connection name '$conn'"
  if [ -z "$remote_auth" ]; then
    remote_auth=pubkey
    [ "$auth" != psk ] || remote_auth=psk
  fi
  local cacert="" certfile="" s
  [ -z "$ca" ] || cacert=$(ss__install_cred "$name" x509ca "$ca")
  for s in "${more_cas[@]}"; do cacert+=",$(ss__install_cred "$name" x509ca "$s")"; done

  local f="${SS_DIR[$name]}/swanctl/conf.d/$conn.conf"
  {
    echo "connections {"
    echo "  $conn {"
    echo "    version = $version"
    echo "    remote_addrs = $remote"
    [ -z "$local_addr" ] || echo "    local_addrs = $local_addr"
    [ -z "$vips" ] || echo "    vips = $vips"
    [ -z "$ike" ] || echo "    proposals = $ike"
    [ -z "$aggressive" ] || echo "    aggressive = yes"
    [ -z "$rekey_ike" ] || echo "    rekey_time = $rekey_ike"
    [ -z "$reauth_ike" ] || echo "    reauth_time = $reauth_ike"
    [ -z "$dpd" ] || echo "    dpd_delay = $dpd"
    [ -z "$encap" ] || echo "    encap = yes"
    [ -z "$frag" ] || echo "    fragmentation = $frag"
    [ -z "$mobike" ] || echo "    mobike = $mobike"
    for s in "${sets[@]}"; do echo "    ${s%%=*} = ${s#*=}"; done
    echo "    local {"
    echo "      auth = $auth"
    case $auth in
      psk) echo "      id = $(ss__quote "$id")" ;;
      eap-tls)
        certfile=$(ss__install_cred "$name" x509 "$cert")
        ss__install_cred "$name" private "$key" > /dev/null
        echo "      certs = $certfile"
        echo "      id = $(ss__quote "${ike_id:-$id}")"
        echo "      eap_id = $(ss__quote "$id")"
        ;;
      eap-*)
        echo "      id = $(ss__quote "${ike_id:-$id}")"
        echo "      eap_id = $(ss__quote "$id")"
        ;;
      pubkey)
        certfile=$(ss__install_cred "$name" x509 "$cert")
        ss__install_cred "$name" private "$key" > /dev/null
        echo "      certs = $certfile"
        ;;
    esac
    echo "    }"
    if [ -n "$xauth_user" ]; then
      echo "    local-xauth {"
      echo "      auth = xauth"
      echo "      xauth_id = $(ss__quote "$xauth_user")"
      echo "    }"
    fi
    echo "    remote {"
    echo "      auth = $remote_auth"
    [ -z "$remote_id" ] || echo "      id = $(ss__quote "$remote_id")"
    [ -z "$cacert" ] || echo "      cacerts = $cacert"
    echo "    }"
    echo "    children {"
    echo "      $conn {"
    echo "        remote_ts = $remote_ts"
    [ -z "$local_ts" ] || echo "        local_ts = $local_ts"
    [ -z "$esp" ] || echo "        esp_proposals = $esp"
    [ -z "$rekey_child" ] || echo "        rekey_time = $rekey_child"
    [ -z "$life_child" ] || echo "        life_time = $life_child"
    [ -z "$rand_child" ] || echo "        rand_time = $rand_child"
    [ -z "$start_action" ] || echo "        start_action = $start_action"
    echo "      }"
    if [ -n "$extra_child" ]; then
      [[ $extra_child =~ ^[A-Za-z0-9_-]+$ ]] || tb_fail "ss_client_conn: bad child name '$extra_child'"
      echo "      $extra_child {"
      echo "        remote_ts = $extra_ts"
      [ -z "$esp" ] || echo "        esp_proposals = $esp"
      [ -z "$rekey_child" ] || echo "        rekey_time = $rekey_child"
      [ -z "$life_child" ] || echo "        life_time = $life_child"
      [ -z "$rand_child" ] || echo "        rand_time = $rand_child"
      echo "      }"
    fi
    echo "    }"
    echo "  }"
    echo "}"
    echo "secrets {"
    case $auth in
      psk)
        echo "  ike-$conn {"
        echo "    id-local = $(ss__quote "$id")"
        # IKEv1 Main Mode looks the PSK up before identities are exchanged,
        # by the peers' addresses.
        echo "    id-remote = $(ss__quote "$remote")"
        echo "    secret = $(ss__quote "$key")"
        echo "  }"
        ;;
      eap-mschapv2 | eap-md5 | eap-gtc)
        echo "  eap-$conn {"
        echo "    id = $(ss__quote "$id")"
        echo "    secret = $(ss__quote "$key")"
        echo "  }"
        ;;
    esac
    if [ -n "$xauth_user" ]; then
      echo "  xauth-$conn {"
      echo "    id = $(ss__quote "$xauth_user")"
      echo "    secret = $(ss__quote "$xauth_pass")"
      echo "  }"
    fi
    echo "}"
  } > "$f"
  [ -z "$load" ] || ss_load "$name"
}

# Writes and loads an address pool for responder NAME.
# ss_responder_pool NAME POOL CIDR [--dns ADDR[,ADDR]]
ss_responder_pool() {
  local name=$1 pool=$2 addrs=$3 dns=""; shift 3
  ss__need "$name"
  while [ $# -gt 0 ]; do
    case $1 in
      --dns) dns=$2; shift 2 ;;
      *) tb_fail "ss_responder_pool: unknown option $1" ;;
    esac
  done
  {
    echo "pools {"
    echo "  $pool {"
    echo "    addrs = $addrs"
    [ -z "$dns" ] || echo "    dns = $dns"
    echo "  }"
    echo "}"
  } > "${SS_DIR[$name]}/swanctl/conf.d/pool-$pool.conf"
  ss_load "$name"
}

# Writes and loads a remote-access connection CONN for responder NAME: any
# client, a virtual IP from POOL, the protected networks as local TS.
# ss_responder_conn NAME CONN --local-ts LIST --pool POOL AUTH [options]
#   AUTH:
#     --psk KEY                 PSK for every client (and us)
#     --cert CERT KEY           our certificate (clients then use EAP or pubkey)
#   --remote-auth M    psk | pubkey | eap-mschapv2 | eap-md5 (default: psk
#                      with --psk, else pubkey)
#   --user USER PASS   an EAP (or, with --xauth, XAuth) user (repeatable)
#   --xauth            IKEv1: a second round, XAuth against the --user list
#   --aggressive       IKEv1: accept Aggressive Mode (with a PSK, charon also
#                      needs ss_responder_start ... --charon
#                      'i_dont_care_about_security_and_use_aggressive_mode_psk = yes')
#   --ca CERT          trust anchor for client certificates
#   --local-id ID      our identity (default: our address, or the certificate's subject)
#   --remote-id ID     only clients with this identity (patterns like *@example.com
#                      work; an exact match is preferred over a pattern)
#   --local-addr ADDR  listen only on ADDR
#   --ike / --esp PROPOSALS, --version 1|2 (default: any), --set KEY=VALUE
ss_responder_conn() {
  local name=$1 conn=$2; shift 2
  ss__need "$name"
  local local_ts="" pool="" psk="" cert="" key="" remote_auth="" ca="" local_id="" remote_id=""
  local local_addr="" ike="" esp="" version=0 xauth="" aggressive="" users=() sets=() s
  while [ $# -gt 0 ]; do
    case $1 in
      --local-ts) local_ts=$2; shift 2 ;;
      --pool) pool=$2; shift 2 ;;
      --psk) psk=$2; shift 2 ;;
      --cert) cert=$2 key=$3; shift 3 ;;
      --remote-auth) remote_auth=$2; shift 2 ;;
      --user) users+=("$2" "$3"); shift 3 ;;
      --xauth) xauth=yes; shift ;;
      --aggressive) aggressive=yes; shift ;;
      --ca) ca=$2; shift 2 ;;
      --local-id) local_id=$2; shift 2 ;;
      --remote-id) remote_id=$2; shift 2 ;;
      --local-addr) local_addr=$2; shift 2 ;;
      --ike) ike=$2; shift 2 ;;
      --esp) esp=$2; shift 2 ;;
      --version) version=$2; shift 2 ;;
      --set) sets+=("$2"); shift 2 ;;
      *) tb_fail "ss_responder_conn: unknown option $1" ;;
    esac
  done
  [ -n "$local_ts" ] && [ -n "$pool" ] || tb_fail "ss_responder_conn: --local-ts and --pool are required"
  [ -n "$psk" ] || [ -n "$cert" ] || tb_fail "ss_responder_conn: --psk or --cert is required"
  [[ $conn =~ ^[A-Za-z0-9_-]+$ ]] || tb_fail "ss_responder_conn: bad connection name '$conn'"
  if [ -z "$remote_auth" ]; then
    remote_auth=pubkey
    [ -z "$psk" ] || remote_auth=psk
  fi
  local certfile="" cacert="" i
  [ -z "$ca" ] || cacert=$(ss__install_cred "$name" x509ca "$ca")
  if [ -n "$cert" ]; then
    certfile=$(ss__install_cred "$name" x509 "$cert")
    ss__install_cred "$name" private "$key" > /dev/null
  fi

  {
    echo "connections {"
    echo "  $conn {"
    echo "    version = $version"
    [ -z "$local_addr" ] || echo "    local_addrs = $local_addr"
    echo "    pools = $pool"
    [ -z "$aggressive" ] || echo "    aggressive = yes"
    [ -z "$ike" ] || echo "    proposals = $ike"
    for s in "${sets[@]}"; do echo "    ${s%%=*} = ${s#*=}"; done
    echo "    local {"
    if [ -n "$cert" ]; then
      echo "      auth = pubkey"
      echo "      certs = $certfile"
    else
      echo "      auth = psk"
    fi
    [ -z "$local_id" ] || echo "      id = $(ss__quote "$local_id")"
    echo "    }"
    echo "    remote {"
    echo "      auth = $remote_auth"
    [ -z "$remote_id" ] || echo "      id = $(ss__quote "$remote_id")"
    case $remote_auth in eap-*) echo "      eap_id = %any" ;; esac
    [ -z "$cacert" ] || echo "      cacerts = $cacert"
    echo "    }"
    if [ -n "$xauth" ]; then
      echo "    remote-xauth {"
      echo "      auth = xauth"
      echo "    }"
    fi
    echo "    children {"
    echo "      $conn {"
    echo "        local_ts = $local_ts"
    [ -z "$esp" ] || echo "        esp_proposals = $esp"
    echo "      }"
    echo "    }"
    echo "  }"
    echo "}"
    echo "secrets {"
    # A PSK without identities matches every peer.
    [ -z "$psk" ] || printf '  ike-%s {\n    secret = %s\n  }\n' "$conn" "$(ss__quote "$psk")"
    local kind=eap
    [ -z "$xauth" ] || kind=xauth
    for ((i = 0; i < ${#users[@]}; i += 2)); do
      printf '  %s-%s-%d {\n    id = %s\n    secret = %s\n  }\n' \
        "$kind" "$conn" $((i / 2)) "$(ss__quote "${users[i]}")" "$(ss__quote "${users[i + 1]}")"
    done
    echo "}"
  } > "${SS_DIR[$name]}/swanctl/conf.d/$conn.conf"
  ss_load "$name"
}

# ---- running connections ----------------------------------------------------------

# Initiates CHILD SA CONN (and its IKE SA) of client NAME and waits for the
# outcome; returns 0 when the tunnel is up.  swanctl's output (the charon log
# lines of the exchange) goes to RESULTS/ss-NAME/initiate-CONN.log.  Sets
# SS_UP_SECONDS.  ss_client_up NAME CONN [TIMEOUT]
ss_client_up() {
  local name=$1 conn=$2 timeout=${3:-$SS_UP_TIMEOUT} rc=0 start=$EPOCHREALTIME
  ss__need "$name"
  local log="${SS_DIR[$name]}/initiate-$conn.log"
  ss_swanctl "$name" --initiate --child "$conn" --timeout "$timeout" --loglevel 1 \
    >> "$log" 2>&1 || rc=$?
  SS_UP_SECONDS=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }')
  if [ $rc -eq 0 ]; then
    tb_log "strongSwan '$name': $conn up in ${SS_UP_SECONDS}s"
  else
    tb_log "strongSwan '$name': $conn failed after ${SS_UP_SECONDS}s (swanctl exit $rc): $(tail -n 3 "$log")"
  fi
  return $rc
}

# Closes the IKE SA of connection CONN of client NAME (and its CHILD SAs).
# ss_client_down NAME CONN [TIMEOUT]
ss_client_down() {
  local name=$1 conn=$2 timeout=${3:-$SS_UP_TIMEOUT}
  ss__need "$name"
  ss_swanctl "$name" --terminate --ike "$conn" --timeout "$timeout" \
    >> "${SS_DIR[$name]}/terminate-$conn.log" 2>&1
}

# Prints instance NAME's SAs (swanctl --list-sas; --raw and others pass on).
ss_client_sas() { local name=$1; shift; ss_swanctl "$name" --list-sas "$@"; }
ss_responder_sas() { ss_client_sas "$@"; }

# Prints the virtual IPs client NAME was given, one per line (none: nothing,
# status 1).  ss_client_vip NAME [CONN]
ss_client_vip() {
  local name=$1 conn=${2:-} args=(--raw)
  [ -z "$conn" ] || args+=(--ike "$conn")
  ss_client_sas "$name" "${args[@]}" | grep -o 'local-vips=\[[^]]*\]' |
    sed 's/^local-vips=\[//; s/\]$//' | tr ' ' '\n' | awk 'NF' | grep .
}

# Prints the SPIs (hex, 0x...) of the CHILD SAs of client NAME: "IN OUT" per
# CHILD SA, one line each.  ss_child_spis NAME [CONN]
ss_child_spis() {
  local name=$1 conn=${2:-} args=(--raw)
  [ -z "$conn" ] || args+=(--ike "$conn")
  ss_client_sas "$name" "${args[@]}" | grep -o 'spi-in=[0-9a-f]* spi-out=[0-9a-f]*' |
    sed 's/spi-in=\([0-9a-f]*\) spi-out=\([0-9a-f]*\)/0x\1 0x\2/'
}

# Prints the client's charon log lines for the CFG_REPLY it parsed (the
# "parsed IKE_AUTH response ... CPRP(ADDR MASK DNS ...)" lines): which
# attributes reached the client.  ss_client_cp_reply NAME
ss_client_cp_reply() {
  ss__need "$1"
  grep -o 'parsed IKE_AUTH response [0-9]* \[.*CPRP([^)]*)' "${SS_DIR[$1]}/charon.log" | grep -o 'CPRP([^)]*)'
}

# Prints the DNS servers client NAME installed (from its private resolv.conf,
# written by the resolve plugin), one per line; status 1 when none.
ss_client_dns() {
  ss__need "$1"
  awk '$1 == "nameserver" { print $2 }' "${SS_DIR[$1]}/resolv.conf" 2> /dev/null | grep .
}

# ---- certificates (strongswan-pki) --------------------------------------------------

# Runs pki with only the plugins it needs (Debian's default list names many
# that are not installed, each a warning); its messages go to RESULTS/pki.log.
ss__pki() {
  local conf="$TB_RESULTS/pki-strongswan.conf"
  [ -e "$conf" ] || printf 'pki {\n  load = random openssl pem pkcs1 pkcs8 x509 pubkey\n}\n' > "$conf"
  STRONGSWAN_CONF=$conf pki "$@" 2>> "$TB_RESULTS/pki.log"
}

# Creates a CA in folder DIR: DIR/ca.key and DIR/ca.pem (PEM).
# ss_pki_ca DIR [CN] [rsa|ecdsa]
ss_pki_ca() {
  local dir=$1 cn=${2:-vpnd test CA} type=${3:-rsa}
  mkdir -p "$dir"
  ss__pki_key "$dir/ca.key" "$type"
  ss__pki --self --ca --lifetime 3650 --in "$dir/ca.key" --type priv \
    --dn "C=XX, O=vpnd tests, CN=$cn" --outform pem > "$dir/ca.pem" ||
    tb_fail "pki: cannot create the CA certificate in $dir"
}

ss__pki_key() {
  local out=$1 type=$2 size=2048
  [ "$type" = ecdsa ] && size=256
  ss__pki --gen --type "$type" --size "$size" --outform pem > "$out" ||
    tb_fail "pki: cannot generate a $type key"
}

# Issues a certificate from the CA in DIR: DIR/NAME.key and DIR/NAME.pem.
# ss_pki_cert DIR NAME rsa|ecdsa CN [--san NAME]... [--server]
#   --san     subjectAltName (address, DNS name or e-mail), repeatable; the
#             CN is always one too
#   --server  serverAuth and ikeIntermediate extended key usages (a gateway)
ss_pki_cert() {
  local dir=$1 name=$2 type=$3 cn=$4; shift 4
  local args=(--san "$cn")
  while [ $# -gt 0 ]; do
    case $1 in
      --san) args+=(--san "$2"); shift 2 ;;
      --server) args+=(--flag serverAuth --flag ikeIntermediate); shift ;;
      *) tb_fail "ss_pki_cert: unknown option $1" ;;
    esac
  done
  ss__pki_key "$dir/$name.key" "$type"
  ss__pki --issue --cacert "$dir/ca.pem" --cakey "$dir/ca.key" --in "$dir/$name.key" --type priv \
    --dn "C=XX, O=vpnd tests, CN=$cn" "${args[@]}" --lifetime 365 --outform pem \
    > "$dir/$name.pem" || tb_fail "pki: cannot issue the certificate $name"
}

# Gateway (RSA, serverAuth) and client (ECDSA) certificates under a new CA in
# DIR: ca.pem, gw.pem/gw.key (CN and SAN GW_ID plus GW_ADDR), client.pem/
# client.key (CN and SAN CLIENT_ID).  ss_pki_standard DIR GW_ID GW_ADDR CLIENT_ID
ss_pki_standard() {
  local dir=$1 gw_id=$2 gw_addr=$3 client_id=$4
  ss_pki_ca "$dir"
  ss_pki_cert "$dir" gw rsa "$gw_id" --san "$gw_addr" --server
  ss_pki_cert "$dir" client ecdsa "$client_id"
}

# Revokes certificates of the CA in DIR: DIR/crl.pem (PEM), signed by the CA,
# listing DIR/NAME.pem for each NAME (none: an empty CRL).
# ss_pki_crl DIR [NAME]...
ss_pki_crl() {
  local dir=$1 args=() n; shift
  for n in "$@"; do args+=(--cert "$dir/$n.pem"); done
  ss__pki --signcrl --cacert "$dir/ca.pem" --cakey "$dir/ca.key" --lifetime 30 --reason key-compromise \
    "${args[@]}" --outform pem > "$dir/crl.pem" || tb_fail "pki: cannot sign the CRL in $dir"
}
