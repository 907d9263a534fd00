#!/bin/bash
# The responder's message handling, with hand-made IKEv2 messages from a
# script on c1 (no IKE library: every byte is built here):
#  - a retransmitted IKE_SA_INIT gets exactly the same response bytes, and
#    only one IKE SA exists for it;
#  - a request with a message ID outside the window and one whose SK payload
#    fails its integrity check are dropped without an answer (and logged);
#  - an IKE_SA_INIT without KE gets INVALID_SYNTAX, one that offers nothing
#    vpnd accepts gets NO_PROPOSAL_CHOSEN; a runt datagram is dropped;
#  - nothing reaches the kernel.
# e2e-timeout: 200
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/ikev2-common.bash"
tb_init
tb_topology_remote_access --direct 1

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modp"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [14]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "retransmit-key";
                    group-policy = "gp"; address-pool = "rw-pool"; ike-proposals = ["modp"];
                    esp-proposals = ["cbc"]; } );
CONF
# c1 is a hand-made probe (a runt datagram, a forged SK payload), not a
# real client: the suite-wide tshark check (zz-tshark-suite) skips what it
# sent and checks vpnd's answers.
vpnd_capture_exclude "ip.src == ${TB_ADDR[c1]}" "the probe on c1 sends hand-made and runt IKE messages on purpose"
vpnd_start

cat > "$TB_RESULTS/ike-probe.py" <<'PY'
import os, socket, struct, sys

gw = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 500))

def payload(next_type, body):
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body

def transform(last, ttype, tid, attrs=b""):
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs

def sa_payload(encr_bits):
    t = (transform(False, 1, 12, struct.pack("!HH", 0x800E, encr_bits)) + transform(False, 2, 5) +
         transform(False, 3, 12) + transform(True, 4, 14))
    return struct.pack("!BBHBBBB", 0, 0, 8 + len(t), 1, 1, 0, 4) + t

def message(ispi, rspi, exchange, flags, mid, first, body):
    return ispi + rspi + struct.pack("!BBBBII", first, 0x20, exchange, flags, mid, 28 + len(body)) + body

def exchange(msg, timeout=10.0):
    s.settimeout(timeout)
    s.sendto(msg, (gw, 500))
    try:
        return s.recv(65535)
    except socket.timeout:
        return None

def fail(why):
    print("FAIL: " + why)
    sys.exit(1)

# KE for MODP-2048: g^1 = 2 is a valid public value (in the prime-order subgroup).
ke = payload(40, struct.pack("!HH", 14, 0) + (2).to_bytes(256, "big"))
nonce = payload(0, os.urandom(32))
ispi = os.urandom(8)
init = message(ispi, bytes(8), 34, 0x08, 0, 33, payload(34, sa_payload(256)) + ke + nonce)

r1 = exchange(init)
if r1 is None:
    fail("no IKE_SA_INIT response")
rspi = r1[8:16]
if r1[:8] != ispi or rspi == bytes(8) or r1[18] != 34 or r1[19] != 0x20:
    fail("not an IKE_SA_INIT response for our SPI: " + r1[:28].hex())
r2 = exchange(init)
if r2 != r1:
    fail("the retransmission got different bytes")
print("retransmission answered with the same %d bytes" % len(r1))

# IKE_AUTH with message ID 5 (expected 1): dropped.
sk = payload(0, os.urandom(16 + 32 + 16))
if exchange(message(ispi, rspi, 35, 0x08, 5, 46, sk), 3.0) is not None:
    fail("an answer to message ID 5")
# IKE_AUTH with message ID 1 and garbage in the SK payload: dropped.
if exchange(message(ispi, rspi, 35, 0x08, 1, 46, sk), 3.0) is not None:
    fail("an answer to a forged SK payload")
print("out-of-window and forged requests dropped")

# No KE: INVALID_SYNTAX (notify type 7).
r = exchange(message(os.urandom(8), bytes(8), 34, 0x08, 0, 33, payload(40, sa_payload(256)) + nonce))
if r is None or len(r) < 36 or r[16] != 41 or struct.unpack("!H", r[34:36])[0] != 7:
    fail("no INVALID_SYNTAX for an IKE_SA_INIT without KE: " + (r or b"").hex())
# AES-128 only: NO_PROPOSAL_CHOSEN (14).
r = exchange(message(os.urandom(8), bytes(8), 34, 0x08, 0, 33, payload(34, sa_payload(128)) + ke + nonce))
if r is None or len(r) < 36 or r[16] != 41 or struct.unpack("!H", r[34:36])[0] != 14:
    fail("no NO_PROPOSAL_CHOSEN: " + (r or b"").hex())
# A runt: nothing.
if exchange(b"\x00" * 20, 2.0) is not None:
    fail("an answer to a runt")
print("INVALID_SYNTAX, NO_PROPOSAL_CHOSEN, runt dropped")
PY
tb_exec c1 python3 "$TB_RESULTS/ike-probe.py" "$TB_GW_ADDR" > "$TB_RESULTS/probe.log" 2>&1 ||
  tb_fail "probe: $(tail -n 3 "$TB_RESULTS/probe.log")"
cat "$TB_RESULTS/probe.log" >&2

vpnd_log_has "retransmitted IKE_SA_INIT: sending the response again"
[ "$(grep -c 'sending IKE_SA_INIT response 0 \[ SA KE No' "$TB_RESULTS/vpnd.log")" -eq 1 ] ||
  tb_fail "vpnd built more than one IKE_SA_INIT response"
vpnd_log_has "request with message ID 5 \(expected 1\) dropped"
vpnd_log_has "IKE_AUTH request 1: SK payload failed its integrity check, dropped"
vpnd_log_has "IKE_SA_INIT without a valid SA, KE and Nonce payload"
vpnd_log_has "proposal 1: ENCR_AES_CBC-128 not in ike-proposal 'modp'"
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "a session exists"
