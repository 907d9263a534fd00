#!/bin/bash
# IKEv2 fragmentation (RFC 7383) with strongSwan: both sides announce
# IKEV2_FRAGMENTATION_SUPPORTED; charon, with a 300-byte fragment size,
# sends its IKE_AUTH request in Encrypted Fragments that vpnd checks,
# decrypts and reassembles; vpnd (fragment-size 576) sends its IKE_AUTH
# response, made large by 40 split-tunnel networks, in fragments no larger
# than 576 bytes.  The first response fragment is dropped once on the way
# (nftables on c1): charon retransmits its request and vpnd answers with
# every cached fragment again, only once per retransmitted request (on its
# fragment 1).  The tunnel comes up, c1 pings srv through ESP, vpnd's SA
# counters move, `vpnctl status` counts the fragments, and tshark decodes
# the capture with Encrypted Fragment payloads in both directions and no
# malformed packet.  Forged fragments with the IKE SA's SPIs are dropped
# (integrity check, message ID window) and counted; the tunnel keeps working.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-fragment-test-3a9d
tb_topology_remote_access --direct 1

# 40 split-tunnel networks: the CP reply and TSr then take ~1100 bytes.
nets="\"$TB_PROTECTED_NET\""
for i in $(seq 1 39); do nets+=", \"10.200.$i.0/24\""; done

vpnd_write_conf <<CONF
ike = { fragment-size = 576; };
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "rw-policy"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = [$nets]; protocols = ["ikev2"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "rw-pool";
                    group-policy = "rw-policy"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start
tb_capture_start gw out outside

# The first large IKE datagram from gw (a response fragment) is lost once.
tb_exec c1 nft -f - << NFT || tb_fail "nftables on c1"
table inet lossy {
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr $TB_GW_ADDR udp sport { 500, 4500 } udp length > 400 quota until 1000 bytes counter drop
  }
}
NFT

ss_client_start c1 alice --charon 'fragment_size = 300'
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes128gcm16-aes256gcm16,aes256-sha256-sha384-sha512,aes128-sha256 \
  --remote-ts "$TB_PROTECTED_NET,10.200.0.0/16" --fragmentation yes
ss_client_up alice vpn || tb_fail "the tunnel did not come up"
lossy=$(tb_exec c1 nft list table inet lossy)
grep -q 'counter packets 1 ' <<< "$lossy" || tb_fail "the nftables rule did not drop exactly one datagram: $lossy"

# ---- the tunnel works --------------------------------------------------------------------
vip=$(ss_client_vip alice) || tb_fail "alice got no virtual IP"
tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping.log" ||
  tb_fail "c1 cannot ping $TB_SRV_ADDR through the tunnel"
read -r in out <<< "$(ss_child_spis alice)"
for spi in "$in" "$out"; do
  n=$(tb_xfrm_packets gw "$spi")
  [ -n "$n" ] || tb_fail "gw has no xfrm state with SPI $spi"
  [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi carried $n packets, expected at least 3"
  tb_log "gw: SA $spi carried $n packets"
done
[ "$(vpnd_session_field "$vip" user)" = alice@example.com ] || tb_fail "no session with address $vip"

# ---- what vpnd logged ----------------------------------------------------------------------
vpnd_log_has "received IKE_SA_INIT request 0 \[ .*N\(FRAG_SUP\)"
vpnd_log_has "sending IKE_SA_INIT response 0 \[ .*N\(FRAG_SUP\)"
vpnd_log_has "received IKE_AUTH request 1 \[ EF\(1/[2-9]\) \]"
vpnd_log_has "IKE_AUTH request 1: reassembled from [2-9] fragments"
vpnd_log_has "received IKE_AUTH request 1 \[ IDi .*AUTH"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr AUTH CPRP\("
vpnd_log_has "sending IKE_AUTH response 1 \[ EF\(1/[2-9]\) \]"
vpnd_log_has "retransmitted request 1: sending the response again \(all its fragments\)"
vpnd_log_has "retransmitted request 1: not its first fragment, ignored"
n_resent=$(grep -c "retransmitted request 1: sending the response again" "$TB_RESULTS/vpnd.log" || true)
n_out=$(grep -Eo "sending IKE_AUTH response 1 \[ EF\(1/[0-9]+\) \]" "$TB_RESULTS/vpnd.log" | head -n 1 |
  sed 's/.*EF(1\/\([0-9]*\)).*/\1/')
tb_log "vpnd's IKE_AUTH response: $n_out fragments, sent again $n_resent times"
charon_log="$TB_RESULTS/ss-alice/charon.log"
size=$(sed -n 's/.*received fragment #[0-9]* of [0-9]*, reassembled fragmented IKE message (\([0-9]*\) bytes).*/\1/p' \
  "$charon_log" | head -n 1)
[ -n "$size" ] || tb_fail "charon did not reassemble vpnd's fragments: $(grep -m 3 fragment "$charon_log")"
[ "$size" -gt 576 ] || tb_fail "vpnd's reassembled response has only $size bytes"
tb_log "charon reassembled vpnd's IKE_AUTH response of $size bytes"

read -r frag_in frag_out reassembled retrans < <(vpnctl --json status | python3 -c '
import json, sys
ike = json.load(sys.stdin)["result"]["ike"]
print(ike["fragments_received"], ike["fragments_sent"], ike["reassembled"], ike["retransmits_answered"])')
tb_log "vpnctl status: $frag_in fragments received, $frag_out sent, $reassembled reassembled, $retrans retransmissions answered"
# The retransmitted copies are answered from the cache, not decrypted again.
[ "$frag_in" -ge 2 ] || tb_fail "vpnctl status: only $frag_in fragments received"
[ "$reassembled" -eq 1 ] || tb_fail "vpnctl status: $reassembled messages reassembled, expected 1"
[ "$frag_out" -ge 4 ] || tb_fail "vpnctl status: only $frag_out fragments sent"
[ "$retrans" -ge 1 ] || tb_fail "vpnctl status: no retransmission answered"

# ---- forged fragments on the live IKE SA --------------------------------------------------
# Right SPIs and message ID, wrong ICV: vpnd checks each fragment on its own
# and drops it; one outside the window is dropped before any crypto.
raw=$(ss_client_sas alice --raw)
ispi=$(grep -o 'initiator-spi=[0-9a-f]*' <<< "$raw" | head -n 1 | cut -d= -f2)
rspi=$(grep -o 'responder-spi=[0-9a-f]*' <<< "$raw" | head -n 1 | cut -d= -f2)
[ ${#ispi} -eq 16 ] && [ ${#rspi} -eq 16 ] || tb_fail "no IKE SPIs in swanctl --list-sas: $raw"
last=$(grep -Eo "received [A-Z_]+ request [0-9]+ \[ [A-Z]" "$TB_RESULTS/vpnd.log" | tail -n 1 | awk '{ print $4 }')
mid=$((last + 1))
read -r failures_before window_before < <(vpnctl --json status | python3 -c '
import json, sys
ike = json.load(sys.stdin)["result"]["ike"]
print(ike["decrypt_failures"], ike["bad_message_id"])')
tb_exec c1 /usr/bin/python3 - "$TB_GW_ADDR" "$ispi" "$rspi" "$mid" << 'PY' || tb_fail "cannot send forged fragments"
import os, socket, struct, sys
gw, ispi, rspi, mid = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), int(sys.argv[4])
def skf(mid, number, total):
    body = struct.pack("!HH", number, total) + os.urandom(16 + 32 + 16)   # IV, ciphertext, ICV
    payload = struct.pack("!BBH", 41 if number == 1 else 0, 0, 4 + len(body)) + body
    return ispi + rspi + struct.pack("!BBBBII", 53, 0x20, 37, 0x08, mid, 28 + len(payload)) + payload
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(skf(mid, 1, 2), (gw, 500))
s.sendto(skf(mid + 5, 1, 2), (gw, 500))
PY
vpnd_log_has "INFORMATIONAL request $mid: fragment 1/2 failed its integrity check, dropped"
vpnd_log_has "request with message ID $((mid + 5)) \(expected $mid\) dropped"
read -r failures window < <(vpnctl --json status | python3 -c '
import json, sys
ike = json.load(sys.stdin)["result"]["ike"]
print(ike["decrypt_failures"], ike["bad_message_id"])')
[ "$failures" -eq $((failures_before + 1)) ] || tb_fail "decrypt_failures went from $failures_before to $failures"
[ "$window" -eq $((window_before + 1)) ] || tb_fail "bad_message_id went from $window_before to $window"
tb_exec c1 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "no ping through the tunnel after the forgeries"
tb_log "forged fragments: one failed its integrity check, one was outside the window; the tunnel still works"

# ---- the capture, as tshark decodes it -----------------------------------------------------
ss_client_down alice vpn || tb_fail "the client could not close its tunnel"
tb_capture_stop outside > /dev/null
from_client=$(tb_capture_fields outside "ip.src == ${TB_ADDR[c1]} && isakmp.frag.total >= 2" isakmp.frag.number |
  wc -l)
from_gw=$(tb_capture_fields outside "ip.src == $TB_GW_ADDR && isakmp.frag.total >= 2" isakmp.frag.number | wc -l)
tb_log "tshark: $from_client Encrypted Fragments from the client, $from_gw from vpnd"
[ "$from_client" -ge 4 ] || tb_fail "tshark sees $from_client Encrypted Fragments from the client"
# Every fragment of the response, once for the request and once per retransmitted request.
[ "$from_gw" -eq $(((n_resent + 1) * n_out)) ] ||
  tb_fail "tshark sees $from_gw Encrypted Fragments from vpnd, expected $n_out x $((n_resent + 1))"
too_big=$(tb_capture_fields outside "ip.src == $TB_GW_ADDR && isakmp && udp.length > 576" frame.number udp.length)
[ -z "$too_big" ] || tb_fail "vpnd sent IKE datagrams over the 576-byte fragment size: $(head -n 3 <<< "$too_big")"
bad=$(tb_capture_fields outside "isakmp && (_ws.malformed || _ws.expert.severity == error)" frame.number _ws.col.Info)
[ -z "$bad" ] || tb_fail "tshark flags IKE packets: $(head -n 3 <<< "$bad")"
vpnd_stop
