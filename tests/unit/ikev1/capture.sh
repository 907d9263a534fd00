#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# How the real IKEv1 first messages in the ikev1 unit tests were captured
# (run as root; not part of the test suite): in a private network namespace,
# strongSwan's charon (Main Mode, then Aggressive Mode with XAuth), vpnc (the
# Cisco VPN Client's payload set) and ike-scan (an Aggressive Mode probe)
# each send their first message to a python3 UDP listener on 192.0.2.2:500,
# which writes it to OUTDIR/NAME.bin and never answers. Last, charon as an
# Easy VPN responder answers vpnc's message 1 (its message 2 is kept). charon
# runs in its own mount namespace with a tmpfs on /run and its resolve
# plugin disabled, so nothing on the host changes.
# usage: capture.sh OUTDIR
set -euo pipefail
out=$(realpath "$1")
mkdir -p "$out"
ns=vpnd-ikev1-cap-$$
work=$(mktemp -d /tmp/vpnd-ikev1-cap.XXXXXX)
charon_pid=""
cleanup() {
  [ -z "$charon_pid" ] || kill "$charon_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add 192.0.2.1/32 dev lo
ip -n "$ns" addr add 192.0.2.2/32 dev lo

# listen NAME: the first datagram to 192.0.2.2:500 within 30 s, in the background.
listen() {
  ip netns exec "$ns" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 500))
s.settimeout(30)
data, peer = s.recvfrom(65535)
open(sys.argv[1], "wb").write(data)
print("captured %s: %d bytes from %s" % (sys.argv[1], len(data), peer))
' "$out/$1.bin" &
  listener=$!
  sleep 0.5
}

# ---- strongSwan ----
mkdir -p "$work/swanctl/conf.d"
cat > "$work/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 x509 pubkey kernel-netlink socket-default vici xauth-generic unity
  port = 4000
  port_nat_t = 4001
  send_vendor_id = yes
  cisco_unity = yes
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  filelog {
    charon {
      path = $work/charon.log
      default = 1
      enc = 2
    }
  }
  plugins {
    vici {
      socket = unix://$work/charon.vici
    }
    resolve {
      load = no
    }
  }
}
swanctl {
  load = random openssl pem pkcs1 pkcs8 x509 pubkey
}
CONF
cat > "$work/swanctl/swanctl.conf" <<CONF
connections {
  main {
    version = 1
    remote_addrs = 192.0.2.2
    remote_port = 500
    proposals = aes256-sha256-modp2048,aes128-sha1-modp1024,3des-md5-modp1024
    local { auth = psk
            id = client.example.org }
    remote { auth = psk
             id = %any }
    children { c { remote_ts = 0.0.0.0/0 } }
  }
  aggr {
    version = 1
    aggressive = yes
    remote_addrs = 192.0.2.2
    remote_port = 500
    proposals = aes128-sha1-modp1024
    local { auth = psk
            id = vpngroup }
    local-xauth { auth = xauth
                  xauth_id = alice }
    remote { auth = psk
             id = %any }
    children { c { remote_ts = 0.0.0.0/0 } }
  }
}
secrets {
  ike { secret = "capture-only-secret" }
  xauth { id = alice
          secret = "capture-only-password" }
}
CONF
STRONGSWAN_CONF=$work/strongswan.conf ip netns exec "$ns" unshare -m --propagation private \
  sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec /usr/lib/ipsec/charon' > "$work/charon.out" 2>&1 &
charon_pid=$!
for _ in $(seq 100); do
  STRONGSWAN_CONF=$work/strongswan.conf swanctl --stats --uri "unix://$work/charon.vici" >/dev/null 2>&1 && break
  sleep 0.2
done
STRONGSWAN_CONF=$work/strongswan.conf swanctl --load-all --noprompt --file "$work/swanctl/swanctl.conf" \
  --uri "unix://$work/charon.vici" > /dev/null 2>&1
for conn in main aggr; do
  listen "strongswan-$conn"
  STRONGSWAN_CONF=$work/strongswan.conf timeout 3 swanctl --initiate --ike "$conn" --child c \
    --uri "unix://$work/charon.vici" > /dev/null 2>&1 || true
  wait "$listener"
  STRONGSWAN_CONF=$work/strongswan.conf swanctl --terminate --ike "$conn" --force \
    --uri "unix://$work/charon.vici" > /dev/null 2>&1 || true
done
kill "$charon_pid"; wait "$charon_pid" 2>/dev/null || true; charon_pid=""

# ---- vpnc: the Cisco VPN Client's Aggressive Mode message 1 ----
if command -v vpnc >/dev/null; then
  listen vpnc-aggressive
  printf 'IPSec gateway 192.0.2.2\nIPSec ID ezvpn-group\nIPSec secret capture-only-secret\nXauth username alice\nXauth password capture-only-password\nLocal Port 0\nNo Detach\n' > "$work/vpnc.conf"
  ip netns exec "$ns" timeout 5 vpnc --non-inter --pid-file "$work/vpnc.pid" \
    --script /bin/true "$work/vpnc.conf" > "$work/vpnc.out" 2>&1 || true
  wait "$listener"
fi

# ---- ike-scan: an Aggressive Mode probe ----
if command -v ike-scan >/dev/null; then
  listen ike-scan-aggressive
  ip netns exec "$ns" timeout 5 ike-scan --sport=0 --retry=1 -A --id=ezvpn-group 192.0.2.2 \
    > "$work/ike-scan.out" 2>&1 || true
  wait "$listener"
fi

# ---- strongSwan as responder: its Aggressive Mode message 2 to vpnc's message 1
# (REPLAY_AM1=FILE: replay that message 1 rather than the one just captured) ----
am1=${REPLAY_AM1:-$out/vpnc-aggressive.bin}
if [ -s "$am1" ]; then
  sed -i -e 's/^  port = 4000/  port = 500/' -e 's/^  port_nat_t = 4001/  port_nat_t = 4500/' "$work/strongswan.conf"
  cat > "$work/swanctl/swanctl.conf" <<CONF
connections {
  ezvpn {
    version = 1
    aggressive = yes
    local_addrs = 192.0.2.2
    proposals = aes256-sha1-modp1024
    local { auth = psk
            id = 192.0.2.2 }
    remote { auth = psk
             id = keyid:ezvpn-group }
    remote-xauth { auth = xauth }
    children { c { local_ts = 0.0.0.0/0 } }
  }
}
secrets {
  ike { id = keyid:ezvpn-group
        secret = "capture-only-secret" }
}
CONF
  STRONGSWAN_CONF=$work/strongswan.conf ip netns exec "$ns" unshare -m --propagation private \
    sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec /usr/lib/ipsec/charon' > "$work/charon2.out" 2>&1 &
  charon_pid=$!
  for _ in $(seq 100); do
    STRONGSWAN_CONF=$work/strongswan.conf swanctl --stats --uri "unix://$work/charon.vici" >/dev/null 2>&1 && break
    sleep 0.2
  done
  STRONGSWAN_CONF=$work/strongswan.conf swanctl --load-all --noprompt --file "$work/swanctl/swanctl.conf" \
    --uri "unix://$work/charon.vici" > /dev/null 2>&1
  ip netns exec "$ns" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 4000))
s.settimeout(30)
s.sendto(open(sys.argv[1], "rb").read(), ("192.0.2.2", 500))
data, peer = s.recvfrom(65535)
open(sys.argv[2], "wb").write(data)
print("captured %s: %d bytes from %s" % (sys.argv[2], len(data), peer))
' "$am1" "$out/strongswan-aggr-response.bin"
  kill "$charon_pid"; wait "$charon_pid" 2>/dev/null || true; charon_pid=""
fi
