#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Computes the known answers of test-radius-packet.c independently of the C
# code, from the RFCs' formulas, with Python's hashlib/hmac only.
# Run: python3 vectors.py   (prints the C arrays pasted into the test)
import hashlib, hmac, struct

def md5(*parts):
    return hashlib.md5(b"".join(parts)).digest()

def hide(pw, secret, ra):               # RFC 2865 5.2
    pw = pw + b"\0" * (-len(pw) % 16)
    out, prev = b"", ra
    for i in range(0, len(pw), 16):
        b = md5(secret, prev)
        c = bytes(x ^ y for x, y in zip(pw[i:i+16], b))
        out += c
        prev = c
    return out

def attr(t, v):
    return bytes([t, 2 + len(v)]) + v

def c_array(name, data):
    body = ", ".join("0x%02x" % b for b in data)
    return "static const uint8_t %s[%d] = { %s };" % (name, len(data), body)

secret = b"xyzzy5461"
ra = bytes.fromhex("0f403f9473978057bd83d5cb98f4227a")   # RFC 2865 7.1's Request Authenticator

# 1. User-Password "arctangent" (RFC 2865 7.1)
print(c_array("kat_hidden_password", hide(b"arctangent", secret, ra)))

# 2. Access-Request id 0: User-Password, User-Name "nemo", NAS-IP 192.168.1.16, Message-Authenticator
attrs = attr(2, hide(b"arctangent", secret, ra)) + attr(1, b"nemo") + attr(4, bytes([192, 168, 1, 16]))
length = 20 + len(attrs) + 18
pkt = bytes([1, 0]) + struct.pack(">H", length) + ra + attrs + attr(80, b"\0" * 16)
ma = hmac.new(secret, pkt, "md5").digest()
pkt = pkt[:-16] + ma
print(c_array("kat_access_request", pkt))

# 3. Access-Accept id 0: Framed-IP-Address 10.0.0.7, Session-Timeout 3600, Reply-Message "Hi", Message-Authenticator
attrs = attr(8, bytes([10, 0, 0, 7])) + attr(27, struct.pack(">I", 3600)) + attr(18, b"Hi")
length = 20 + len(attrs) + 18
body = bytes([2, 0]) + struct.pack(">H", length)
withra = body + ra + attrs + attr(80, b"\0" * 16)
ma = hmac.new(secret, withra, "md5").digest()
attrs_ma = attrs + attr(80, ma)
resp_auth = md5(body, ra, attrs_ma, secret)
print(c_array("kat_access_accept", body + resp_auth + attrs_ma))

# 4. Accounting-Request id 7: Acct-Status-Type Start, Acct-Session-Id "s1", User-Name "nemo"
attrs = attr(40, struct.pack(">I", 1)) + attr(44, b"s1") + attr(1, b"nemo")
head = bytes([4, 7]) + struct.pack(">H", 20 + len(attrs))
print(c_array("kat_accounting_request", head + md5(head, b"\0" * 16, attrs, secret) + attrs))

# 5. MS-MPPE-Recv-Key (RFC 2548 2.4.3): salt 0x8123, key 32 bytes 0x00..0x1f, request authenticator ra
key = bytes(range(32))
salt = bytes([0x81, 0x23])
plain = bytes([len(key)]) + key
plain += b"\0" * (-len(plain) % 16)
out, prev = b"", ra + salt
for i in range(0, len(plain), 16):
    b = md5(secret, prev)
    c = bytes(x ^ y for x, y in zip(plain[i:i+16], b))
    out += c
    prev = c
print(c_array("kat_mppe_value", salt + out))

# 6. Access-Challenge id 3 with EAP-Message (EAP Request/Identity) but no Message-Authenticator,
#    correct Response Authenticator: RFC 3579 3.2 still requires refusing it.
attrs = attr(79, bytes([1, 2, 0, 5, 1]))
body = bytes([11, 3]) + struct.pack(">H", 20 + len(attrs))
print(c_array("kat_challenge_no_ma", body + md5(body, ra, attrs, secret) + attrs))

# 7. Access-Reject id 0 to the request of 2, Reply-Message "no", no Message-Authenticator.
attrs = attr(18, b"no")
body = bytes([3, 0]) + struct.pack(">H", 20 + len(attrs))
print(c_array("kat_reject_no_ma", body + md5(body, ra, attrs, secret) + attrs))
