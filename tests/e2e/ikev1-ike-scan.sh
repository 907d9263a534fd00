#!/bin/bash
# ike-scan probes against vpnd's IKEv1 responder (issue 4, test 9).  A Main
# Mode probe from an address with a peer-address tunnel group gets message
# 2: the transform it offered and our vendor IDs (XAuth, DPD, Cisco Unity,
# and RFC 3947 NAT-T because the probe offered it); from an address
# without one, nothing, and vpnd says why.  An Aggressive Mode probe for a
# configured group name gets message 2 with the vendor IDs, NAT-D and a
# HASH_R keyed with the group's pre-shared key (psk-crack finds the key
# from it: the reason Aggressive Mode PSK needs long keys); a probe for an
# unknown group name gets no answer at all, so no hash to attack offline,
# and vpnd logs the refusal.  tshark decodes every packet of the probes
# cleanly and sees the vendor IDs in vpnd's answers.
# e2e-timeout: 300
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/ikev2-common.bash"
tb_init

KEY=ike-scan-group-key-71
GROUP=scangroup
tb_topology_remote_access --direct 2
vpnd_write_conf <<CONF
ike-proposals = ( { name = "v1"; encryption = ["aes128"]; integrity = ["sha1"]; dh-group = [14, 2]; } );
esp-proposals = ( { name = "esp"; encryption = ["aes128"]; integrity = ["sha1"]; } );
pools = ( { name = "scan-pool"; range = "10.7.0.10-10.7.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "scan-policy"; protocols = ["ikev1"]; } );
tunnel-groups = ( { name = "mm"; ike-version = 1; authentication = "psk+xauth"; psk = "not-$KEY";
                    peer-address = ["${TB_ADDR[c1]}/32"]; address-pool = "scan-pool";
                    group-policy = "scan-policy"; ike-proposals = ["v1"]; esp-proposals = ["esp"]; },
                  { name = "am"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "$GROUP"; address-pool = "scan-pool"; group-policy = "scan-policy";
                    ike-proposals = ["v1"]; esp-proposals = ["esp"]; } );
CONF
vpnd_start
tb_capture_start gw out probes

# AES-128, SHA1, group 14 (Main Mode) or 2 (Aggressive Mode), XAUTHInitPreShared.
NATT_RFC3947=4a131c81070358455c5728f20e95452f
declare -A VIDS=([XAUTH]=09002689dfd6b712 [Dead Peer Detection]=afcad71368a1f1c96b8696fc77570100
  [Cisco Unity]=12f5f28c457168a9702d9fe274cc0100 [RFC 3947 NAT-T]=$NATT_RFC3947)

# probe NAME HOST ARGS...: runs ike-scan, keeps its output in RESULTS/NAME.txt.
probe() {
  local name=$1 host=$2; shift 2
  tb_exec "$host" ike-scan -M "$@" "$TB_GW_ADDR" > "$TB_RESULTS/$name.txt" 2>&1 || true
  tb_log "$name: $(grep -E 'returned handshake|Handshake returned|Notify message' "$TB_RESULTS/$name.txt" | paste -sd ' ')"
}
has_vids() {
  local vid
  for vid in "${!VIDS[@]}"; do
    grep -q "VID=${VIDS[$vid]}" "$TB_RESULTS/$1.txt" || tb_fail "$1: ike-scan does not see the $vid vendor ID"
  done
}

# ---- Main Mode ---------------------------------------------------------------------
probe main-mode c1 --trans='(1=7,14=128,2=2,3=65001,4=14)' --vendor="$NATT_RFC3947"
grep -q "Main Mode Handshake returned" "$TB_RESULTS/main-mode.txt" || tb_fail "no Main Mode answer to ike-scan"
grep -q "SA=(Enc=AES KeyLength=128 Hash=SHA1 Auth=XAUTH_PSK Group=14:modp2048" "$TB_RESULTS/main-mode.txt" ||
  tb_fail "the Main Mode answer does not carry the offered transform"
has_vids main-mode
vpnd_log_has "Main Mode from ${TB_ADDR[c1]}:500: tunnel group mm by peer address"

probe main-mode-other c2 --trans='(1=7,14=128,2=2,3=65001,4=14)'
grep -q "0 returned handshake; 0 returned notify" "$TB_RESULTS/main-mode-other.txt" ||
  tb_fail "a Main Mode probe from an address without a tunnel group got an answer"
vpnd_log_has "Main Mode from ${TB_ADDR[c2]}:500 refused: no IKEv1 pre-shared-key tunnel group has a peer-address"

# ---- Aggressive Mode -------------------------------------------------------------------
probe aggressive c1 --aggressive --id="$GROUP" --trans='(1=7,14=128,2=2,3=65001,4=2)' \
  --vendor="$NATT_RFC3947" --pskcrack="$TB_RESULTS/aggressive.psk"
grep -q "Aggressive Mode Handshake returned" "$TB_RESULTS/aggressive.txt" || tb_fail "no Aggressive Mode answer"
for part in "SA=(Enc=AES KeyLength=128 Hash=SHA1 Auth=XAUTH_PSK Group=2:modp1024" "KeyExchange(128 bytes)" \
  "Nonce(" "ID(Type=ID_IPV4_ADDR, Value=$TB_GW_ADDR)" "Hash(20 bytes)" "NAT-D(20 bytes)"; do
  grep -qF "$part" "$TB_RESULTS/aggressive.txt" || tb_fail "the Aggressive Mode answer lacks $part"
done
has_vids aggressive
[ "$(wc -l < "$TB_RESULTS/aggressive.psk")" -eq 1 ] || tb_fail "ike-scan wrote no hash for the configured group"
printf '%s\n' "wrong-guess" "$KEY" > "$TB_RESULTS/dictionary.txt"
psk-crack --dictionary="$TB_RESULTS/dictionary.txt" "$TB_RESULTS/aggressive.psk" > "$TB_RESULTS/psk-crack.txt" 2>&1 || true
grep -q "key \"$KEY\" matches" "$TB_RESULTS/psk-crack.txt" ||
  tb_fail "HASH_R is not keyed with the group's key: $(cat "$TB_RESULTS/psk-crack.txt")"

probe aggressive-unknown c1 --aggressive --id=nogroup --trans='(1=7,14=128,2=2,3=65001,4=2)' \
  --pskcrack="$TB_RESULTS/aggressive-unknown.psk"
grep -q "0 returned handshake; 0 returned notify" "$TB_RESULTS/aggressive-unknown.txt" ||
  tb_fail "an unknown group name got an answer: $(cat "$TB_RESULTS/aggressive-unknown.txt")"
[ ! -s "$TB_RESULTS/aggressive-unknown.psk" ] || tb_fail "ike-scan got a hash for an unknown group name"
vpnd_log_has "Aggressive Mode from ${TB_ADDR[c1]}:500 refused: no IKEv1 pre-shared-key tunnel group with group-name 'nogroup'"

# ---- the wire, as tshark reads it ----------------------------------------------------------
tb_capture_stop probes > /dev/null
n=$(tb_capture_fields probes "isakmp" frame.number | wc -l)
bad=$(tb_capture_fields probes "isakmp && (_ws.malformed || _ws.expert.severity == error)" frame.number ip.src)
[ -z "$bad" ] || tb_fail "tshark flags probe packets: $(head -n 3 <<< "$bad")"
answers=$(tb_capture_fields probes "ip.src == $TB_GW_ADDR && isakmp" isakmp.exchangetype | sort | uniq -c | paste -sd ' ')
[ "$(tb_capture_fields probes "ip.src == $TB_GW_ADDR && isakmp" frame.number | wc -l)" -eq 2 ] ||
  tb_fail "vpnd sent other than two answers (Main Mode, Aggressive Mode to the known group): $answers"
for ex in 2 4; do
  vids=$(tb_capture_fields probes "ip.src == $TB_GW_ADDR && isakmp.exchangetype == $ex" isakmp.vid_bytes)
  for vid in "${VIDS[@]}"; do
    [[ $vids == *$vid* ]] || tb_fail "tshark: vpnd's exchange $ex answer lacks vendor ID $vid"
  done
done
tb_log "tshark decodes all $n probe packets; vpnd's two answers carry XAuth, DPD, Unity and RFC 3947 VIDs"
vpnd_stop
