#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Wireshark's IKEv2 dissector reads what the builder wrote (and strongSwan's
# captured request, as a control) without a malformed-packet or error note.
# TAP; skipped when tshark or text2pcap is missing.
# usage: test-ikev2-tshark.sh PATH-TO-ikev2-wire-samples
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
    "Exchange type: IKE_SA_INIT (34)" \
    "Exchange type: IKE_AUTH (35)" \
    "Notify Message Type: NAT_DETECTION_SOURCE_IP (16388)" \
    "Notify Message Type: IKEV2_FRAGMENTATION_SUPPORTED (16430)" \
    "Notify Message Type: REKEY_SA (16393)" \
    "Transform ID (ENCR): ENCR_AES_CBC (12)" \
    "Key Length: 256" \
    "Transform ID (D-H): Curve25519 (31)" \
    "Transform ID (ESN): No Extended Sequence Numbers (0)" \
    "ID type: FQDN (2)" \
    "ID_FQDN: vpn.example.org" \
    "Authentication Method: Shared Key Message Integrity Code (2)" \
    "Type: CFG_REPLY (2)" \
    "INTERNAL IP4 ADDRESS: 10.8.0.2" \
    "UNITY BANNER: Authorized use only" \
    "Traffic Selector Type: TS_IPV6_ADDR_RANGE (8)" \
    "Ending Addr: 2001:db8::ff" \
    "Number of SPIs: 2" \
    "Code: Success (3)" \
    "Type: Identity (1)" \
    "Payload: Encrypted and Authenticated (46)" \
    "Payload: Encrypted and Authenticated Fragment (53)" \
    "Vendor ID: 76706e64" \
    ; do
    grep -q -F "$want" "$dir/decode.txt" || { echo "# tshark did not show: $want"; missing=1; }
done
packets=$(grep -c "^Frame [0-9]" "$dir/decode.txt")
[ "$packets" -eq 5 ] || { echo "# $packets frames decoded, 5 expected"; missing=1; }
if [ $missing -eq 0 ]; then
    echo "ok 2 - fields decoded as built"
else
    echo "not ok 2 - fields decoded as built"
    fail=1
fi
exit $fail
