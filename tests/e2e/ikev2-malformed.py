#!/usr/bin/python3
# Malformed IKE input against vpnd's responder, sent with scapy from a client
# host (run by ikev2-malformed.sh in that host's namespace):
#   ikev2-malformed.py GW_ADDR
# Every datagram goes to UDP 500, to UDP 4500 behind the non-ESP marker, and
# (where the framing matters) to UDP 4500 without it.  Answers are read on
# ordinary sockets bound to 500 and 4500 and matched to the case that sent
# them by the initiator SPI, which is unique per case.
#
# Prints one line per check; "RFC:" lines are answers RFC 7296 requires that
# vpnd did not give (or gave wrongly), "FAIL:" lines anything else wrong.
# Exits 1 when there was either.  The last line is "sent N datagrams".
import os
import random
import socket
import struct
import sys
import time

from scapy.all import IP, UDP, Raw, conf, fragment  # noqa: E402

gw = sys.argv[1]
problems = []
sent = 0

# ---- IKEv2 wire format (RFC 7296 3) -----------------------------------------------
IKE_SA_INIT, IKE_AUTH = 34, 35
FLAG_I, FLAG_R = 0x08, 0x20
PL_NONE, PL_SA, PL_KE, PL_N, PL_NONCE, PL_SK = 0, 33, 34, 41, 40, 46
N_UNSUPPORTED_CRITICAL_PAYLOAD, N_INVALID_IKE_SPI = 1, 4
N_INVALID_MAJOR_VERSION, N_INVALID_SYNTAX = 5, 7
UNKNOWN_TYPE = 100    # unassigned (RFC 7296 3.2: 49-127 reserved to IANA)


def payload(next_type, body, critical=False, length=None):
    if length is None:
        length = 4 + len(body)
    return struct.pack("!BBH", next_type, 0x80 if critical else 0, length) + body


def transform(last, ttype, tid, attrs=b""):
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs


def sa_body():
    t = (transform(False, 1, 12, struct.pack("!HH", 0x800E, 256)) + transform(False, 2, 5) +
         transform(False, 3, 12) + transform(True, 4, 14))
    return struct.pack("!BBHBBBB", 0, 0, 8 + len(t), 1, 1, 0, 4) + t


KE_BODY = struct.pack("!HH", 14, 0) + (2).to_bytes(256, "big")   # MODP-2048, g^1


def header(ispi, rspi, first, exchange, flags, mid, length, version=0x20):
    return ispi + rspi + struct.pack("!BBBBII", first, version, exchange, flags, mid, length)


def message(ispi, first, body, exchange=IKE_SA_INIT, flags=FLAG_I, mid=0, rspi=bytes(8),
            version=0x20, length=None):
    if length is None:
        length = 28 + len(body)
    return header(ispi, rspi, first, exchange, flags, mid, length, version) + body


def init_chain(nonce=None):
    """SA, KE, Nonce of a valid IKE_SA_INIT; the caller gives the first type."""
    return (payload(PL_KE, sa_body()) + payload(PL_NONCE, KE_BODY) +
            payload(PL_NONE, nonce or os.urandom(32)))


# ---- sending (scapy) and receiving (plain sockets) ------------------------------------
l3 = conf.L3socket()
rx = {}
for port in (500, 4500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.setblocking(False)
    rx[port] = s
cases = {}      # initiator SPI -> case name
answers = []    # (case, port, bytes)


def send_raw(port, data):
    """One UDP datagram from PORT to gw:PORT; fragmented by scapy when large."""
    global sent
    pkt = IP(dst=gw) / UDP(sport=port, dport=port) / Raw(load=data)
    if len(data) > 1400:
        for f in fragment(pkt, fragsize=1400):
            l3.send(f)
    else:
        l3.send(pkt)
    sent += 1


def send_ike(name, data, port, marker):
    if len(data) >= 8:
        cases[data[:8]] = name
    send_raw(port, (bytes(4) if marker else b"") + data)


def send_everywhere(name, data, without_marker=True):
    """To 500, to 4500 behind the marker and (optionally) to 4500 without;
    each copy with its own initiator SPI, so that answers name their copy."""
    def fresh():
        return os.urandom(8) + data[8:] if len(data) >= 8 else data
    send_ike(name + " (500)", fresh(), 500, False)
    send_ike(name + " (4500)", fresh(), 4500, True)
    if without_marker:
        send_ike(name + " (4500, no marker)", fresh(), 4500, False)


def drain(wait):
    """Reads every answer that arrives within WAIT seconds of the last one."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        got = False
        for port, s in rx.items():
            try:
                d = s.recv(70000)
            except BlockingIOError:
                continue
            got = True
            if port == 4500:
                if d[:4] != bytes(4):
                    problems.append("FAIL: answer on 4500 without the non-ESP marker: " + d[:32].hex())
                    continue
                d = d[4:]
            answers.append((cases.get(d[:8], "unknown SPI " + d[:8].hex()), port, d))
        if not got:
            time.sleep(0.05)


def parse_answer(d):
    """(exchange, flags, [(type, critical, body)]) of an answer, or a string
    saying why it is not a well-formed IKEv2 response."""
    if len(d) < 28:
        return "runt of %d bytes" % len(d)
    first, ver, exch, flags, _, length = struct.unpack("!BBBBII", d[16:28])
    if ver >> 4 != 2:
        return "version %#x" % ver
    if length != len(d):
        return "length %d in a datagram of %d" % (length, len(d))
    if not flags & FLAG_R or flags & FLAG_I:
        return "flags %#x (not a responder's response)" % flags
    out, off, t = [], 28, first
    while t != PL_NONE:
        if off + 4 > len(d):
            return "truncated payload chain"
        nxt, crit, plen = struct.unpack("!BBH", d[off:off + 4])
        if plen < 4 or off + plen > len(d):
            return "bad payload length %d" % plen
        out.append((t, crit & 0x80, d[off + 4:off + plen]))
        if t == PL_SK:
            off += plen
            break
        off, t = off + plen, nxt
    if off != len(d):
        return "trailing data"
    return exch, flags, out


def notify_type(payloads):
    for t, _, body in payloads:
        if t == PL_N and len(body) >= 4:
            return struct.unpack("!H", body[2:4])[0], body[4 + body[1]:]
    return None, None


def exchange_sync(name, data, port=500, marker=False, timeout=8.0):
    """Sends one request and returns the parsed answer (None when none)."""
    before = len(answers)
    send_ike(name, data, port, marker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(answers) == before:
        drain(0.2)
    mine = [a for a in answers[before:] if a[0] == name]
    return parse_answer(mine[0][2]) if mine else None


# ---- RFC 7296 2.5: an unknown payload with the critical bit in a request -----------
for port, marker in ((500, False), (4500, True)):
    name = "unknown critical payload in IKE_SA_INIT (%d)" % port
    crit = payload(PL_SA, b"\x00" * 8, critical=True)
    r = exchange_sync(name, message(os.urandom(8), UNKNOWN_TYPE, crit + init_chain()), port, marker)
    if r is None:
        problems.append("RFC: %s: no answer; RFC 7296 2.5 says the response MUST include a Notify "
                        "UNSUPPORTED_CRITICAL_PAYLOAD (1) with the payload type %d" % (name, UNKNOWN_TYPE))
    elif isinstance(r, str):
        problems.append("FAIL: %s: malformed answer: %s" % (name, r))
    else:
        n, data = notify_type(r[2])
        if r[0] != IKE_SA_INIT or n != N_UNSUPPORTED_CRITICAL_PAYLOAD or data != bytes([UNKNOWN_TYPE]):
            problems.append("RFC: %s: answer exchange %d notify %s data %s, expected IKE_SA_INIT "
                            "N(UNSUPPORTED_CRITICAL_PAYLOAD) with data %02x" %
                            (name, r[0], n, (data or b"").hex(), UNKNOWN_TYPE))
        else:
            print("ok: %s: UNSUPPORTED_CRITICAL_PAYLOAD" % name)

# ---- RFC 7296 1.5/2.5: a major version we do not speak -------------------------------
for port, marker in ((500, False), (4500, True)):
    name = "major version 3 (%d)" % port
    r = exchange_sync(name, message(os.urandom(8), PL_SA, init_chain(), version=0x30), port, marker)
    if r is None:
        problems.append("RFC: %s: no answer; RFC 7296 2.5 says vpnd SHOULD send an unauthenticated "
                        "Notify INVALID_MAJOR_VERSION (5) with version 2 in the header" % name)
    elif isinstance(r, str):
        problems.append("FAIL: %s: malformed answer: %s" % (name, r))
    else:
        n, _ = notify_type(r[2])
        if n != N_INVALID_MAJOR_VERSION:
            problems.append("RFC: %s: answered with notify %s, expected INVALID_MAJOR_VERSION" % (name, n))
        else:
            print("ok: %s: INVALID_MAJOR_VERSION" % name)

# ---- a valid-looking IKE_AUTH for an IKE SA that does not exist -----------------------
for port, marker in ((500, False), (4500, True)):
    name = "IKE_AUTH for an unknown SPI (%d)" % port
    sk = payload(PL_NONE, os.urandom(16 + 96 + 16))
    r = exchange_sync(name, message(os.urandom(8), PL_SK, sk, exchange=IKE_AUTH, mid=1,
                                    rspi=os.urandom(8)), port, marker, timeout=3.0)
    if r is None:
        print("ok: %s: dropped" % name)
    elif isinstance(r, str) or notify_type(r[2])[0] != N_INVALID_IKE_SPI:
        problems.append("FAIL: %s: answered, and not with INVALID_IKE_SPI: %s" % (name, r))
    else:
        print("ok: %s: INVALID_IKE_SPI" % name)

# ---- framing: every answer to these must be dropped or INVALID_SYNTAX ----------------
# Each case has its own SPI; answers are collected at the end.
tolerated = {}  # case prefix -> notify types an answer may carry
drop_start = len(answers)

# Truncated IKE headers: 0..27 bytes of a valid IKE_SA_INIT.
whole = message(os.urandom(8), PL_SA, init_chain())
for n in range(28):
    send_everywhere("truncated header %d" % n, whole[:n])


def framing(name, data):
    tolerated[name] = (N_INVALID_SYNTAX,)
    send_everywhere(name, data)


body = init_chain()
framing("header length above the datagram", message(os.urandom(8), PL_SA, body, length=28 + len(body) + 100))
framing("header length 0xffffffff", message(os.urandom(8), PL_SA, body, length=0xFFFFFFFF))
framing("header length below the datagram", message(os.urandom(8), PL_SA, body, length=28 + len(body) - 1))
framing("header length 28 with payloads", message(os.urandom(8), PL_SA, body, length=28))
framing("header length 0", message(os.urandom(8), PL_SA, body, length=0))
framing("first payload of no bytes", message(os.urandom(8), PL_SA, b""))

sa, ke, no = payload(PL_KE, sa_body()), payload(PL_NONCE, KE_BODY), payload(PL_NONE, os.urandom(32))
for plen in (0, 3):
    framing("SA payload length %d" % plen, message(os.urandom(8), PL_SA, payload(PL_KE, sa_body(), length=plen) + ke + no))
    framing("KE payload length %d" % plen, message(os.urandom(8), PL_SA, sa + payload(PL_NONCE, KE_BODY, length=plen) + no))
    framing("last payload length %d" % plen, message(os.urandom(8), PL_SA, sa + ke + payload(PL_NONE, os.urandom(32), length=plen)))
framing("SA payload length beyond the end", message(os.urandom(8), PL_SA, payload(PL_KE, sa_body(), length=0xFFFF) + ke + no))
framing("last payload length beyond the end", message(os.urandom(8), PL_SA, sa + ke + payload(PL_NONE, os.urandom(32), length=40)))
framing("chain that never ends", message(os.urandom(8), PL_SA, sa + ke + payload(PL_NONCE, os.urandom(32))))
framing("trailing bytes after the chain", message(os.urandom(8), PL_SA, sa + ke + no + b"\x00" * 7))
# Loops: a payload whose length would bring the parser back to itself
# (impossible by construction: each payload is at least 4 bytes), and a
# chain of 2000 Notify payloads each naming the next.
framing("self-referencing payload", message(os.urandom(8), PL_N, payload(PL_N, b"", length=0) * 50))
notify = struct.pack("!BBH", 0, 0, 16390)  # NAT_DETECTION_SOURCE_IP without data
framing("2000 chained Notify payloads", message(os.urandom(8), PL_N, payload(PL_N, notify) * 1999 + payload(PL_NONE, notify)))
framing("SK payload inside IKE_SA_INIT", message(os.urandom(8), PL_SK, payload(PL_NONE, os.urandom(64))))
framing("SK payload not last", message(os.urandom(8), PL_SK, payload(PL_SA, os.urandom(32)) + sa + ke + no))

# Oversized: the largest IPv4 UDP datagram (65507 bytes), in IP fragments,
# a valid IKE_SA_INIT padded with an unknown non-critical payload; and one
# whose header claims 64 KB.  vpnd may answer the first (it is valid).
for port, marker in ((500, False), (4500, True)):
    room = 65507 - (4 if marker else 0)
    pad_len = room - 28 - len(init_chain()) - 4
    big = message(os.urandom(8), UNKNOWN_TYPE, payload(PL_SA, b"\x00" * pad_len) + init_chain())
    assert len(big) == room
    tolerated["oversized valid IKE_SA_INIT (%d)" % port] = None
    send_ike("oversized valid IKE_SA_INIT (%d)" % port, big, port, marker)
    lie = message(os.urandom(8), PL_SA, init_chain(), length=65535)
    tolerated["header claiming 64 KB (%d)" % port] = (N_INVALID_SYNTAX,)
    send_ike("header claiming 64 KB (%d)" % port, lie, port, marker)

# ---- garbage: 2000 datagrams from a fixed seed ----------------------------------------
rng = random.Random(14)
template = message(bytes(8), PL_SA, sa + ke + payload(PL_NONE, bytes(32)))
for i in range(2000):
    port, marker = rng.choice(((500, False), (4500, True), (4500, False)))
    kind = i % 4
    if kind == 0:       # random bytes, random length
        data = rng.randbytes(rng.randrange(0, 1500))
    elif kind == 1:     # a valid IKEv2 header, random body and types
        bl = rng.randrange(0, 600)
        data = header(rng.randbytes(8), rng.choice((bytes(8), rng.randbytes(8))), rng.randrange(256), rng.choice((34, 35, 36, 37, rng.randrange(256))),
                      rng.choice((FLAG_I, 0, rng.randrange(256))), rng.choice((0, 1, rng.randrange(1 << 32))), 28 + bl) + rng.randbytes(bl)
    elif kind == 2:     # a valid IKE_SA_INIT with a few bytes flipped
        data = bytearray(template)
        data[0:8] = rng.randbytes(8)
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(16, len(data))] = rng.randrange(256)
        data = bytes(data)
    else:               # a random chain of payloads with random lengths
        chain, t = b"", rng.randrange(256)
        first = t
        for _ in range(rng.randrange(1, 10)):
            nxt = rng.choice((0, 33, 34, 35, 36, 37, 39, 40, 41, 42, 43, 44, 46, 47, 48, 53, rng.randrange(256)))
            bl = rng.randrange(0, 64)
            chain += struct.pack("!BBH", nxt, rng.choice((0, 0x80)), rng.choice((4 + bl, rng.randrange(0, 80)))) + rng.randbytes(bl)
        data = message(rng.randbytes(8), first, chain, exchange=rng.choice((34, 35)), mid=rng.choice((0, 1)))
    tolerated["garbage %d" % i] = None
    send_ike("garbage %d" % i, data, port, marker)
    if i % 200 == 199:
        drain(0.01)

drain(5.0)

# Every answer to the framing cases and the garbage must be a well-formed IKEv2
# response; to broken framing only INVALID_SYNTAX.
n_answers = 0
for case, port, d in answers[drop_start:]:
    n_answers += 1
    key = case.split(" (")[0] if case not in tolerated else case
    allowed = tolerated.get(key, tolerated.get(case, ()))
    r = parse_answer(d)
    if isinstance(r, str):
        problems.append("FAIL: answer on %d to '%s' is malformed: %s: %s" % (port, case, r, d[:64].hex()))
        continue
    if case.startswith("unknown SPI"):
        problems.append("FAIL: answer on %d for an SPI we never sent: %s" % (port, d[:64].hex()))
        continue
    if allowed is not None and notify_type(r[2])[0] not in allowed:
        problems.append("FAIL: '%s' answered on %d (exchange %d, notify %s); expected a drop%s" %
                        (case, port, r[0], notify_type(r[2])[0], " or INVALID_SYNTAX" if allowed else ""))
named = sorted({c for c, _, _ in answers[drop_start:] if not c.startswith("garbage")})
print("ok: framing cases and garbage: %d answers, all well-formed; answered: %s" %
      (n_answers, ", ".join(named) or "none of the named cases"))
for p in problems:
    print(p)
print("sent %d datagrams" % sent)
sys.exit(1 if problems else 0)
