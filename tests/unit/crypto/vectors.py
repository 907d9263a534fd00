#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# The expected values of test-crypto-prf.c, test-crypto-ikev2.c and
# test-crypto-sk.c, computed independently of vpnd with Python's hmac and
# hashlib (and the AES-CBC ciphertext from NIST SP 800-38A F.2.1). Run at
# development time; its output was pasted into the tests. Not run by meson.
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
