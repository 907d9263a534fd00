#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Wireshark's ISAKMP dissector reads what the IKEv1 builder wrote (and
# strongSwan's and vpnc's captured messages, as controls) without a
# malformed-packet or error note, and shows the fields as built.
# TAP; skipped when tshark or text2pcap is missing.
# usage: test-ikev1-tshark.sh PATH-TO-ikev1-wire-samples
set -u
samples=$1
echo "1..2"
if ! command -v tshark >/dev/null || ! command -v text2pcap >/dev/null; then
    echo "ok 1 # SKIP tshark/text2pcap not installed"
    echo "ok 2 # SKIP tshark/text2pcap not installed"
    exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$samples" > "$dir/samples.txt" || { echo "not ok 1 - samples"; echo "not ok 2 - samples"; exit 1; }
text2pcap -q -4 192.0.2.1,192.0.2.2 -u 500,500 "$dir/samples.txt" "$dir/samples.pcap" 2>"$dir/text2pcap.err" ||
    { echo "# $(cat "$dir/text2pcap.err")"; echo "not ok 1 - text2pcap"; echo "not ok 2 - text2pcap"; exit 1; }
HOME=$dir tshark -n -r "$dir/samples.pcap" -V -o ip.check_checksum:FALSE > "$dir/decode.txt" 2>&1
fail=0
if grep -E -i "malformed|Expert Info \(Error|Expert Info \(Warning|exception" "$dir/decode.txt" | sed 's/^/# /' | grep .; then
    echo "not ok 1 - no malformed or error notes"
    fail=1
else
    echo "ok 1 - no malformed or error notes"
fi
missing=0
for want in \
    "Exchange type: Aggressive (4)" \
    "Exchange type: Transaction (Config Mode) (6)" \
    "Exchange type: Quick Mode (32)" \
    "Exchange type: Informational (5)" \
    "Exchange type: Identity Protection (Main Mode) (2)" \
    "Authentication Method: XAUTHInitPreShared (65001)" \
    "IKE Attribute (t=12,l=4): Life-Duration: 86400" \
    "IKE Attribute (t=14,l=2): Key-Length: 256" \
    "IPsec Attribute (t=4,l=2): Encapsulation-Mode: UDP-Encapsulated-Tunnel" \
    "IPsec Attribute (t=5,l=2): Authentication-Algorithm: HMAC-SHA" \
    "IPsec Attribute (t=2,l=2): SA-Life-Duration: 28800" \
    "Payload: Vendor ID (13) : CISCO-UNITY 1.0" \
    "Payload: Vendor ID (13) : XAUTH" \
    "Payload: Vendor ID (13) : RFC 3706 DPD (Dead Peer Detection)" \
    "Payload: Vendor ID (13) : Cisco Fragmentation" \
    "Payload: NAT-D (draft-ietf-ipsec-nat-t-ike-01 to 03) (130)" \
    "Payload: NAT-OA (RFC 3947) (21)" \
    "Identification Data:192.0.2.1" \
    "Identification Data:0.0.0.0/0.0.0.0" \
    "ID_FQDN: vpn.example.org" \
    "Type: ISAKMP_CFG_REPLY (2)" \
    "Config Attribute (t=1,l=4): INTERNAL_IP4_ADDRESS" \
    "Config Attribute (t=28672,l=19): UNITY_BANNER: Authorized use only" \
    "Config Attribute (t=28674,l=11): UNITY_DEF_DOMAIN: example.org" \
    "Config Attribute (t=28676,l=14): UNITY_SPLIT_INCLUDE" \
    "Config Attribute (t=16520,l=2): XAUTH_TYPE: Generic" \
    "Config Attribute (t=16521,l=0): XAUTH_USER_NAME" \
    "Config Attribute (t=16524,l=19): XAUTH_MESSAGE: Enter your password" \
    "Notify Message Type: R-U-THERE (36136)" \
    "Notify Message Type: RESPONDER-LIFETIME (24576)" \
    "Notify Message Type: INITIAL-CONTACT (24578)" \
    "Number of SPIs: 2" \
    "Delete SPI: c001d00e" \
    "Certificate Encoding: X.509 Certificate - Signature (4)" \
    "Payload: Signature (9)" \
    "Payload: Certificate Request (7)" \
    "ID type: KEY_ID (11)" \
    ; do
    grep -q -F "$want" "$dir/decode.txt" || { echo "# tshark did not show: $want"; missing=1; }
done
packets=$(grep -c "^Frame [0-9]" "$dir/decode.txt")
[ "$packets" -eq 8 ] || { echo "# $packets frames decoded, 8 expected"; missing=1; }
if [ $missing -eq 0 ]; then
    echo "ok 2 - fields decoded as built"
else
    echo "not ok 2 - fields decoded as built"
    fail=1
fi
exit $fail
