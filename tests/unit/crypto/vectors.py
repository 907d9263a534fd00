#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# The expected values of test-crypto-prf.c, test-crypto-ikev2.c,
# test-crypto-sk.c and test-crypto-ikev1.c, computed independently of vpnd
# with Python's hmac and hashlib (the AES-CBC ciphertext from NIST SP 800-38A
# F.2.1; IKEv1's CBC by the openssl command line). Run at development time;
# its output was pasted into the tests. Not run by meson.
import hmac, hashlib
def prf(h, k, d): return hmac.new(k, d, h).digest()
def prfplus(h, k, s, n):
    out=b''; t=b''; i=1
    while len(out)<n:
        t=prf(h,k,t+s+bytes([i])); out+=t; i+=1
    return out[:n]
# RFC 4231 / 2202 checks
print("4231-1-256", prf(hashlib.sha256, b'\x0b'*20, b'Hi There').hex())
print("4231-2-384", prf(hashlib.sha384, b'Jefe', b'what do ya want for nothing?').hex())
print("4231-2-512", prf(hashlib.sha512, b'Jefe', b'what do ya want for nothing?').hex())
print("4231-6-256", prf(hashlib.sha256, b'\xaa'*131, b'Test Using Larger Than Block-Size Key - Hash Key First').hex())
print("2202-2-sha1", prf(hashlib.sha1, b'Jefe', b'what do ya want for nothing?').hex())
ni=bytes(range(0,32)); nr=bytes(range(0x20,0x40))
spii=bytes.fromhex('0102030405060708'); spir=bytes.fromhex('a1a2a3a4a5a6a7a8')
gir=bytes((i*7+3)&0xff for i in range(64))
# prf+ with seed "abc", key "key", 100 bytes sha256 (multi-block, partial)
print("prfplus", prfplus(hashlib.sha256, b'key', b'abc', 100).hex())
# Suite A: AES-CBC-256, HMAC-SHA2-256-128, PRF-HMAC-SHA2-256
h=hashlib.sha256
skeyseed=prf(h, ni+nr, gir)
km=prfplus(h, skeyseed, ni+nr+spii+spir, 32*3+32*2+32*2)
print("A-keymat", km.hex())
skd=km[:32]; skpi=km[32+64+64:32+64+64+32]; skpr=km[-32:]
# Suite B: AES-GCM-16-256 (36-byte SK_e), no integ, PRF SHA384
hb=hashlib.sha384
sb=prf(hb, ni+nr, gir)
kmb=prfplus(hb, sb, ni+nr+spii+spir, 48*3+36*2)
print("B-keymat", kmb.hex())
# child keys from suite A: AES-CBC-128 + SHA1-96 (16+20)*2, without PFS and with
print("child-nopfs", prfplus(h, skd, ni+nr, 2*(16+20)).hex())
print("child-pfs-gcm128", prfplus(h, skd, gir+ni+nr, 2*(20)).hex())
# rekey: old suite A, new suite B, new nonces/SPIs
ni2=bytes(range(0x40,0x50)); nr2=bytes(range(0x50,0x70))
spii2=bytes.fromhex('1111111111111111'); spir2=bytes.fromhex('2222222222222222')
sr=prf(h, skd, gir+ni2+nr2)
print("rekey-keymat", prfplus(hb, sr, ni2+nr2+spii2+spir2, 48*3+36*2).hex())
# PSK AUTH for the responder: message2, Ni, IDr' ; and initiator
msg=bytes(range(0,200)); idr=bytes([2,0,0,0])+b'vpn.example.com'; idi=bytes([1,0,0,0,192,0,2,1])
psk=b'correct horse battery staple'
padded=prf(h, psk, b'Key Pad for IKEv2')
print("auth-r", prf(h, padded, msg+ni+prf(h, skpr, idr)).hex())
print("auth-i", prf(h, padded, msg+nr+prf(h, skpi, idi)).hex())
# EAP without MSK: initiator uses SK_pi as the secret
padded2=prf(h, skpi, b'Key Pad for IKEv2')
print("eap-nomsk-i", prf(h, padded2, msg+nr+prf(h, skpi, idi)).hex())
msk=bytes(range(0x80,0xc0))
padded3=prf(h, msk, b'Key Pad for IKEv2')
print("eap-msk-i", prf(h, padded3, msg+nr+prf(h, skpi, idi)).hex())
# SK CBC KAT: SP 800-38A F.2.1 AES-128-CBC, 4 blocks; HMAC-SHA1-96 over aad|iv|ct with key 0x0c*20
iv=bytes.fromhex('000102030405060708090a0b0c0d0e0f')
ct=bytes.fromhex('7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7')
aad=bytes.fromhex('0102030405060708a1a2a3a4a5a6a7a82e20230800000001') + (28+4+16+64+12).to_bytes(4,'big') + bytes([0x29,0,0,4+16+64+12])
print("aad", aad.hex())
print("cbc-icv", prf(hashlib.sha1, b'\x0c'*20, aad+iv+ct)[:12].hex())

# ---- IKEv1 (RFC 2409), for test-crypto-ikev1.c --------------------------
# AES-CBC from the OpenSSL command line (independent of vpnd's EVP use).
import subprocess
def aes_cbc(key, iv, data):
    return subprocess.run(['openssl', 'enc', '-aes-%d-cbc' % (len(key) * 8), '-K', key.hex(),
                           '-iv', iv.hex(), '-nopad'], input=data, capture_output=True,
                          check=True).stdout
def pad(data, bs): return data + bytes(bs - len(data) % bs)
v1ni=bytes(range(0,16)); v1nr=bytes(range(0x20,0x34))      # 16 and 20 bytes
gxy=bytes((i*7+3)&0xff for i in range(128))
gxi=bytes((i*5+1)&0xff for i in range(128)); gxr=bytes((i*11+9)&0xff for i in range(128))
ckyi=bytes.fromhex('0102030405060708'); ckyr=bytes.fromhex('a1a2a3a4a5a6a7a8')
def v1keys(h, skeyid):
    d=prf(h, skeyid, gxy+ckyi+ckyr+b'\x00')
    a=prf(h, skeyid, d+gxy+ckyi+ckyr+b'\x01')
    e=prf(h, skeyid, a+gxy+ckyi+ckyr+b'\x02')
    return skeyid, d, a, e
h1=hashlib.sha1
psk_keys=v1keys(h1, prf(h1, psk, v1ni+v1nr))
for n, k in zip(('skeyid', 'skeyid_d', 'skeyid_a', 'skeyid_e'), psk_keys):
    print("v1-psk-sha1-" + n, k.hex())
sig_keys=v1keys(hashlib.sha256, prf(hashlib.sha256, v1ni+v1nr, gxy))
for n, k in zip(('skeyid', 'skeyid_d', 'skeyid_a', 'skeyid_e'), sig_keys):
    print("v1-sig-sha256-" + n, k.hex())
print("v1-psk-md5-skeyid_e", v1keys(hashlib.md5, prf(hashlib.md5, psk, v1ni+v1nr))[3].hex())
def v1enckey(h, skeyid_e, n):
    if len(skeyid_e) >= n: return skeyid_e[:n]
    k=prf(h, skeyid_e, b'\x00'); out=k
    while len(out) < n:
        k=prf(h, skeyid_e, k); out+=k
    return out[:n]
ek=v1enckey(h1, psk_keys[3], 32)
print("v1-enckey-aes256-sha1", ek.hex())
print("v1-enckey-3des-sha1", v1enckey(h1, psk_keys[3], 24).hex())
print("v1-enckey-aes128-sha256", v1enckey(hashlib.sha256, sig_keys[3], 16).hex())
# Phase-1 IV chain (AES-256, SHA-1): we send m1, receive m2, send m3.
iv1=h1(gxi+gxr).digest()[:16]
m1=bytes(range(45)); m2=bytes(range(100,132)); m3=b'seventh'
c1=aes_cbc(ek, iv1, pad(m1, 16)); c2=aes_cbc(ek, c1[-16:], pad(m2, 16)); c3=aes_cbc(ek, c2[-16:], pad(m3, 16))
print("v1-iv1", iv1.hex()); print("v1-c1", c1.hex()); print("v1-c2", c2.hex()); print("v1-c3", c3.hex())
mid=bytes.fromhex('12345678')
qiv=h1(c3[-16:]+mid).digest()[:16]
print("v1-qm-iv", qiv.hex())
q1=bytes(range(60)); cq1=aes_cbc(ek, qiv, pad(q1, 16))
print("v1-cq1", cq1.hex()); print("v1-qm-iv2", cq1[-16:].hex())
# HASH_I / HASH_R (SHA-1 PSK keys)
sai=bytes.fromhex('00000001000000010000002c01010001')+bytes(range(28))
idii=bytes([1,17,1,244,192,0,2,1]); idir=bytes([2,0,0,0])+b'vpn.example.com'
print("v1-hash-i", prf(h1, psk_keys[0], gxi+gxr+ckyi+ckyr+sai+idii).hex())
print("v1-hash-r", prf(h1, psk_keys[0], gxr+gxi+ckyr+ckyi+sai+idir).hex())
# Quick Mode hashes, Informational
rest=bytes(range(0,90))
print("v1-qm-hash1", prf(h1, psk_keys[2], mid+rest).hex())
print("v1-qm-hash2", prf(h1, psk_keys[2], mid+v1ni+rest).hex())
print("v1-qm-hash3", prf(h1, psk_keys[2], b'\x00'+mid+v1ni+v1nr).hex())
# KEYMAT (SKEYID_d of the SHA-1 PSK keys); Quick Mode nonces differ from phase 1's
qni=bytes(range(0x40,0x58)); qnr=bytes(range(0x60,0x70))
def keymat(h, skeyid_d, g, proto, spi, n):
    seed=g+bytes([proto])+spi+qni+qnr; k=prf(h, skeyid_d, seed); out=k
    while len(out) < n:
        k=prf(h, skeyid_d, k+seed); out+=k
    return out[:n]
print("v1-keymat-aes128-sha1", keymat(h1, psk_keys[1], b'', 3, bytes.fromhex('c0ffee01'), 16+20).hex())
print("v1-keymat-aes256-sha256", keymat(h1, psk_keys[1], b'', 3, bytes.fromhex('0badf00d'), 32+32).hex())
g2=bytes((i*13+5)&0xff for i in range(256))
print("v1-keymat-pfs-gcm256", keymat(h1, psk_keys[1], g2, 3, bytes.fromhex('c0ffee01'), 32+4).hex())
# NAT-D (RFC 3947)
print("v1-natd-v4-sha1", h1(ckyi+ckyr+bytes([192,0,2,1])+(500).to_bytes(2,'big')).hexdigest())
print("v1-natd-v6-sha256", hashlib.sha256(ckyi+ckyr+bytes.fromhex('20010db8000000000000000000000001')+(4500).to_bytes(2,'big')).hexdigest())
# 3DES-CBC (8-byte blocks): the first phase-1 message only
k3=v1enckey(h1, psk_keys[3], 24); iv3des=h1(gxi+gxr).digest()[:8]
c3des=subprocess.run(['openssl', 'enc', '-des-ede3-cbc', '-K', k3.hex(), '-iv', iv3des.hex(), '-nopad'],
                     input=pad(m1, 8), capture_output=True, check=True).stdout
print("v1-c1-3des", c3des.hex())
