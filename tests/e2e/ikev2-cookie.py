#!/usr/bin/python3
# Many IKE_SA_INIT requests against vpnd, run by ikev2-cookie.sh in a client
# host's namespace (plain sockets: each source address is a real address of
# that host, so that every answer comes back and can be judged):
#
#   ikev2-cookie.py GW same-source COUNT
#       COUNT requests with different SPIs from one address (port 500)
#   ikev2-cookie.py GW sources ADDR...
#       one request from each address
#   ikev2-cookie.py GW cookie-dance ADDR
#       a request; it must get N(COOKIE) only; the request again with a
#       forged cookie: a new N(COOKIE); again with the cookie vpnd gave: the
#       real IKE_SA_INIT response (responder SPI set, SA KE No)
#
# The first two print "answers sa=N cookie=N none=N other=N": responses with
# an IKE SA (responder SPI set), N(COOKIE)-only responses, requests left
# unanswered, anything else. Every COOKIE answer is checked: responder SPI 0,
# exactly one payload, a Notify COOKIE of 1-64 bytes. "FAIL:" lines and
# exit 1 for anything wrong.
import os
import select
import socket
import struct
import sys
import time

gw = sys.argv[1]
mode = sys.argv[2]
problems = []

IKE_SA_INIT = 34
FLAG_I, FLAG_R = 0x08, 0x20
PL_NONE, PL_SA, PL_KE, PL_N, PL_NONCE = 0, 33, 34, 41, 40
N_COOKIE = 16390

# P-256's generator: a valid public value (private key 1) for group 19.
P256_G = bytes.fromhex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
                       "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")


def payload(next_type, body):
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs


def sa_body():
    # AES-CBC-256, PRF HMAC-SHA2-256, HMAC-SHA2-256-128, ECP-256.
    t = (transform(False, 1, 12, struct.pack("!HH", 0x800E, 256)) + transform(False, 2, 5) +
         transform(False, 3, 12) + transform(True, 4, 19))
    return struct.pack("!BBHBBBB", 0, 0, 8 + len(t), 1, 1, 0, 4) + t


def ike_sa_init(ispi, nonce, cookie=None):
    body = b""
    first = PL_SA
    if cookie is not None:
        body += payload(PL_SA, struct.pack("!BBH", 0, 0, N_COOKIE) + cookie)
        first = PL_N
    body += payload(PL_KE, sa_body())
    body += payload(PL_NONCE, struct.pack("!HH", 19, 0) + P256_G)
    body += payload(PL_NONE, nonce)
    return ispi + bytes(8) + struct.pack("!BBBBII", first, 0x20, IKE_SA_INIT, FLAG_I, 0, 28 + len(body)) + body


def classify(resp, ispi):
    """'sa', ('cookie', data) or 'other: why'."""
    if len(resp) < 28 or resp[:8] != ispi:
        return "other: not for our SPI"
    first, exchange, flags = resp[16], resp[18], resp[19]
    if exchange != IKE_SA_INIT or not flags & FLAG_R:
        return "other: exchange %d flags 0x%02x" % (exchange, flags)
    if resp[8:16] != bytes(8):
        return "sa"
    if first != PL_N or len(resp) < 36:
        return "other: responder SPI 0 without a Notify"
    nxt, _, plen = struct.unpack("!BBH", resp[28:32])
    ntype = struct.unpack("!H", resp[34:36])[0]
    if ntype != N_COOKIE:
        return "other: notify %d" % ntype
    if nxt != PL_NONE or 28 + plen != len(resp):
        return "other: more than the COOKIE notify"
    data = resp[36:28 + plen]
    if not 1 <= len(data) <= 64:
        return "other: cookie of %d bytes" % len(data)
    return ("cookie", data)


def collect(socks, pending, quiet=4.0):
    """Reads answers until `quiet` seconds pass without one."""
    answers = {}
    deadline = time.monotonic() + quiet
    while len(answers) < len(pending) and time.monotonic() < deadline:
        ready, _, _ = select.select(socks, [], [], max(0.0, deadline - time.monotonic()))
        for s in ready:
            resp = s.recv(65535)
            ispi = resp[:8]
            if ispi in pending and ispi not in answers:
                answers[ispi] = classify(resp, ispi)
                deadline = time.monotonic() + quiet
    return answers


def report(answers, sent):
    counts = {"sa": 0, "cookie": 0, "other": 0}
    for a in answers.values():
        if a == "sa":
            counts["sa"] += 1
        elif isinstance(a, tuple):
            counts["cookie"] += 1
        else:
            counts["other"] += 1
            problems.append(a)
    print("answers sa=%d cookie=%d none=%d other=%d" % (counts["sa"], counts["cookie"], sent - len(answers),
                                                       counts["other"]))


def bound(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 500))
    return s


if mode == "same-source":
    count = int(sys.argv[3])
    s = bound("0.0.0.0")
    pending = set()
    for _ in range(count):
        ispi = os.urandom(8)
        pending.add(ispi)
        s.sendto(ike_sa_init(ispi, os.urandom(32)), (gw, 500))
    report(collect([s], pending), count)
elif mode == "sources":
    socks, pending = [], set()
    for addr in sys.argv[3:]:
        s = bound(addr)
        socks.append(s)
        ispi = os.urandom(8)
        pending.add(ispi)
        s.sendto(ike_sa_init(ispi, os.urandom(32)), (gw, 500))
    report(collect(socks, pending), len(socks))
elif mode == "cookie-dance":
    s = bound(sys.argv[3])
    ispi, nonce = os.urandom(8), os.urandom(32)

    def exchange(cookie=None):
        s.sendto(ike_sa_init(ispi, nonce, cookie), (gw, 500))
        a = collect([s], {ispi}, quiet=10.0)
        return a.get(ispi, "none")

    first = exchange()
    if not isinstance(first, tuple):
        problems.append("first request: expected N(COOKIE), got %s" % (first,))
    else:
        forged = bytes(b ^ 0x5a for b in first[1])
        second = exchange(forged)
        if not isinstance(second, tuple):
            problems.append("forged cookie: expected a new N(COOKIE), got %s" % (second,))
        else:
            print("forged cookie answered with a new cookie")
            third = exchange(second[1])
            if third != "sa":
                problems.append("returned cookie: expected the IKE_SA_INIT response, got %s" % (third,))
            else:
                print("returned cookie accepted: IKE_SA_INIT response with an IKE SA")
else:
    problems.append("unknown mode " + mode)

for p in problems:
    print("FAIL: " + p)
sys.exit(1 if problems else 0)
