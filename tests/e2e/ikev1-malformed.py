#!/usr/bin/python3
# Malformed IKEv1 (ISAKMP) input against vpnd's responder, from a client
# host (run by ikev1-malformed.sh in that host's namespace, and by
# tests/unit/daemon/daemon-ikev1-malformed.sh against an ASan build):
#   ikev1-malformed.py GW_ADDR GROUP_NAME [SOURCE_ADDR]
# Datagrams go to UDP 500 and to UDP 4500 behind the non-ESP marker, built
# byte by byte with struct and sent from ordinary sockets (nothing here
# needs raw IP, so no scapy).
# Cases: broken headers and lengths, payload chains that run past the end
# or loop (zero lengths), thousands of payloads, SA payloads with absurd
# counts and attribute lengths, bad nonces, KE and IDs; then a real
# half-open ISAKMP SA (a valid Aggressive Mode message 1 for GROUP_NAME,
# whose answer gives us vpnd's cookie) gets encrypted garbage: short and
# unaligned ciphertext, random blocks, the wrong initiator cookie; last,
# random mutations of the valid message 1.
#
# Prints one line per check, "FAIL:" for anything wrong; exits 1 then.
# The last line is "sent N datagrams".
import os
import random
import socket
import struct
import sys
import time

gw = sys.argv[1]
group = sys.argv[2].encode()
source = sys.argv[3] if len(sys.argv) > 3 else "0.0.0.0"
problems = []
sent = 0

AGGRESSIVE, MAIN, INFO, TRANSACTION, QUICK = 4, 2, 5, 6, 32
PL_SA, PL_P, PL_T, PL_KE, PL_ID, PL_HASH, PL_NONCE, PL_VID = 1, 2, 3, 4, 5, 8, 10, 13

s500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s500.bind((source, 500))
s500.settimeout(0.3)
s4500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s4500.bind((source, 4500))


def send(data, natt=False):
    global sent
    if natt:
        s4500.sendto(b"\0\0\0\0" + data, (gw, 4500))
    else:
        s500.sendto(data, (gw, 500))
    sent += 1


def both(data):
    send(data)
    send(data, natt=True)


def header(icookie, rcookie, first, exchange, flags, mid, length, version=0x10):
    return icookie + rcookie + struct.pack("!BBBBII", first, version, exchange, flags, mid, length)


def payload(next_type, body, length=None):
    return struct.pack("!BBH", next_type, 0, 4 + len(body) if length is None else length) + body


def chain(payloads):
    """payloads: [(type, body)] -> (first type, bytes)"""
    out = b""
    for i, (t, body) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        out += payload(nxt, body)
    return (payloads[0][0] if payloads else 0), out


def message(icookie, payloads, exchange=AGGRESSIVE, rcookie=bytes(8), flags=0, mid=0, length=None):
    first, body = chain(payloads)
    total = 28 + len(body)
    return header(icookie, rcookie, first, exchange, flags, mid, total if length is None else length) + body


def attr_tv(t, v):
    return struct.pack("!HH", 0x8000 | t, v)


def transform(last, number, attrs):
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), number, 1, 0) + attrs


def sa_body(n_attrs_extra=0):
    attrs = (attr_tv(1, 7) + attr_tv(14, 128) + attr_tv(2, 2) + attr_tv(3, 65001) + attr_tv(4, 2) +
             attr_tv(11, 1) + attr_tv(12, 28800) + attr_tv(16384, 0) * n_attrs_extra)
    ts = transform(True, 1, attrs)
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(ts), 1, 1, 0, 1) + ts
    return struct.pack("!II", 1, 1) + prop


KE = (2).to_bytes(128, "big")      # group 2, g^1: well-formed, and vpnd's range check accepts it
NONCE = os.urandom(20)


def id_body(text, id_type=11):
    return struct.pack("!BBH", id_type, 17, 500) + text


def am1(icookie, sa=None, ke=KE, nonce=NONCE, ident=None):
    return message(icookie, [(PL_SA, sa if sa is not None else sa_body()), (PL_KE, ke), (PL_NONCE, nonce),
                             (PL_ID, ident if ident is not None else id_body(group))])


def cookie():
    return os.urandom(8)


# ---- broken framing ------------------------------------------------------------------
for n in (28, 29, 40):
    both(header(cookie(), bytes(8), PL_SA, AGGRESSIVE, 0, 0, n + 10)[:n])     # header length too big
good = am1(cookie())
both(good[:-1])                                                               # one byte short
both(good + b"\0")                                                            # one byte extra
both(header(cookie(), bytes(8), PL_SA, AGGRESSIVE, 0, 0, 28 + 2) + b"\0\0")  # payload header cut
both(message(cookie(), [(PL_SA, b"")])[:28] + payload(0, b"", length=2))      # payload length below 4
both(message(cookie(), [(PL_SA, sa_body())])[:28] + payload(0, sa_body(), length=4000))  # runs past the end
both(message(cookie(), [(77, b"abcd")]))                                      # unknown payload type
both(message(cookie(), [(PL_P, b"abcd")]))                                    # proposal outside SA
both(header(cookie(), bytes(8), PL_SA, AGGRESSIVE, 0, 0, 28, version=0x11))  # minor 1
both(header(cookie(), bytes(8), PL_SA, AGGRESSIVE, 0, 0, 0xffffffff) + sa_body())  # header length 4 GiB
loop = header(cookie(), bytes(8), PL_VID, AGGRESSIVE, 0, 0, 28 + 4 + 16)
both(loop + struct.pack("!BBH", PL_VID, 0, 0) + bytes(16))                   # zero length, next: itself
both(loop[:24] + struct.pack("!I", 28 + 4) + struct.pack("!BBH", PL_VID, 0, 4))  # empty VID, next: itself, then nothing
many = b"".join(struct.pack("!BBH", PL_VID, 0, 4) for _ in range(2000)) + struct.pack("!BBH", 0, 0, 4)
both(header(cookie(), bytes(8), PL_VID, AGGRESSIVE, 0, 0, 28 + len(many)) + many)  # 2001 payloads

# ---- bad payload contents in message 1 ---------------------------------------------------
both(am1(cookie(), sa=sa_body(n_attrs_extra=2000)))                          # too many attributes
both(am1(cookie(), sa=struct.pack("!II", 7, 1)))                               # DOI 7
both(am1(cookie(), sa=struct.pack("!II", 1, 2)))                               # situation secrecy
badprop = struct.pack("!II", 1, 1) + struct.pack("!BBHBBBB", 0, 0, 8, 1, 1, 0, 200)
both(am1(cookie(), sa=badprop))                                                # 200 transforms declared, none present
tlv = transform(True, 1, attr_tv(1, 7) + struct.pack("!HH", 11, 0xfff0) + b"\0\0\0\1")
both(am1(cookie(), sa=struct.pack("!II", 1, 1) + struct.pack("!BBHBBBB", 0, 0, 8 + len(tlv), 1, 1, 0, 1) + tlv))  # TLV past its transform
zero_t = struct.pack("!BBHBBH", 3, 0, 0, 1, 1, 0)
both(am1(cookie(), sa=struct.pack("!II", 1, 1) + struct.pack("!BBHBBBB", 0, 0, 8 + 8, 1, 1, 0, 2) + zero_t))  # transform length 0
both(am1(cookie(), sa=struct.pack("!II", 1, 1) + struct.pack("!BBHBBBB", 2, 0, 0, 1, 1, 0, 1) + bytes(8)))    # proposal length 0, more follow
props = b"".join(struct.pack("!BBHBBBB", 2, 0, 8, n & 0xff, 1, 0, 0) for n in range(1000))
both(am1(cookie(), sa=struct.pack("!II", 1, 1) + props + sa_body()[8:]))       # 1000 empty proposals, then a real one
both(am1(cookie(), nonce=b"abc"))                                              # nonce too short
both(am1(cookie(), nonce=os.urandom(300)))                                     # nonce too long
both(am1(cookie(), ke=os.urandom(64)))                                         # KE for no offered group
both(am1(cookie(), ke=bytes(128)))                                             # KE 0 (invalid public value)
both(am1(cookie(), ident=id_body(b"bad\x01name")))                             # unprintable group name
both(am1(cookie(), ident=id_body(b"x" * 300)))                                 # long group name
both(am1(cookie(), ident=id_body(b"\x0a\x00\x00\x01", id_type=1)))             # not a group name type
both(am1(cookie(), ident=id_body(b"no-such-group")))                           # unknown group
for _ in range(3):
    both(message(cookie(), [(PL_SA, sa_body())], exchange=MAIN, rcookie=cookie()))   # unknown responder cookie
both(message(cookie(), [(PL_HASH, b"x" * 20)], exchange=TRANSACTION, rcookie=bytes(8), mid=5))  # no cookie
print("ok: %d broken messages sent" % sent)

# ---- a real half-open SA: encrypted garbage under its cookies ---------------------------------
icookie = cookie()
real = am1(icookie)
send(real)
rcookie = None
deadline = time.time() + 20
while time.time() < deadline and rcookie is None:
    try:
        data, peer = s500.recvfrom(65535)
    except socket.timeout:
        send(real)      # retransmit: vpnd answers a retransmission from its cache
        continue
    if data[:8] == icookie and data[18] == AGGRESSIVE:
        rcookie = data[8:16]
        answer = data
if rcookie is None:
    problems.append("FAIL: no Aggressive Mode message 2 for a valid message 1 of group %s" % group.decode())
else:
    print("ok: vpnd answered message 1 (responder cookie %s)" % rcookie.hex())
    # A retransmitted message 1 gets the same answer. Wait for it before
    # the garbage below: vpnd serves messages for existing SAs ahead of new
    # ones, so under load the garbage could otherwise overtake it.
    send(real)
    again = False
    deadline = time.time() + 20
    while time.time() < deadline and not again:
        try:
            data, peer = s500.recvfrom(65535)
        except socket.timeout:
            send(real)
            continue
        again = data == answer
    if not again:
        problems.append("FAIL: a retransmitted message 1 did not get the same message 2")
    else:
        print("ok: a retransmitted message 1 got the same message 2")
    for cipher in (b"", b"x", os.urandom(15), os.urandom(17)):
        both(header(icookie, rcookie, PL_HASH, AGGRESSIVE, 1, 0, 28 + len(cipher)) + cipher)
    for n in (16, 32, 64, 160):
        both(header(icookie, rcookie, PL_HASH, AGGRESSIVE, 1, 0, 28 + n) + os.urandom(n))
        for ex in (TRANSACTION, INFO, QUICK):
            both(header(icookie, rcookie, PL_HASH, ex, 1, random.getrandbits(32) | 1, 28 + n) + os.urandom(n))
    both(header(cookie(), rcookie, PL_HASH, AGGRESSIVE, 1, 0, 28 + 32) + os.urandom(32))   # wrong icookie
    # Unencrypted messages under the SA.
    both(message(icookie, [(PL_HASH, b"h" * 20)], exchange=AGGRESSIVE, rcookie=rcookie))
    both(message(icookie, [(PL_HASH, b"h" * 20)], exchange=QUICK, rcookie=rcookie, mid=7))

# ---- random mutations of a valid message 1 ---------------------------------------------------
rng = random.Random(1)
for i in range(400):
    m = bytearray(am1(cookie()))
    for _ in range(rng.randint(1, 6)):
        pos = rng.randrange(8, len(m))   # keep the initiator cookie random per case
        m[pos] = rng.randrange(256)
    if rng.random() < 0.2:
        m = m[:rng.randrange(28, len(m))]
    send(bytes(m), natt=bool(i & 1))
print("ok: 400 mutated messages sent")

for p in problems:
    print(p)
print("sent %d datagrams" % sent)
sys.exit(1 if problems else 0)
