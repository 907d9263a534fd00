#!/bin/bash
# strongSwan against strongSwan in the standard remote-access topology: the
# proof of tests/testbed/strongswan.sh and the baseline later compared with
# vpnd.  charon on gw answers with a PSK and hands out virtual IPs from
# 10.3.0.0/24 and a DNS server; two charon road warriors connect:
#   c1, directly:      IKE aes256-sha256-ecp256, ESP aes256-sha256 (CBC+HMAC);
#                      its SAs carry plain ESP (no UDP encapsulation);
#   n1, behind NAT:    IKE aes128gcm16-prfsha256-x25519, ESP aes128gcm16,
#                      asks for 0.0.0.0/0 and is narrowed to the protected
#                      network; its SAs carry ESP in UDP on port 4500.
# Each gets a virtual IP and the DNS server, pings srv (which it cannot
# reach without the tunnel), and the packet counters of both SAs moved on
# the client and on the gateway.  Then the other ways in, each with a
# virtual IP and a ping through the tunnel:
#   c2: EAP-MSCHAPv2, the gateway's RSA certificate from a test CA;
#   c3: an ECDSA client certificate (and the gateway's RSA one);
#   c4: IKEv1 Main Mode, group PSK and XAuth, Mode Config;
#   c5: IKEv1 Aggressive Mode, group PSK and XAuth;
# and a client with a wrong PSK is refused.  Finally c1 closes its tunnel:
# its SAs go on both sides, the others stay.
# Times (charon start, handshake) are logged and written to times.txt.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
tb_init

POOL=10.3.0.0/24
DNS=198.51.100.53
PSK=baseline-psk-4f1d9c

tb_topology_remote_access --direct 6 --nat 1
times="$TB_RESULTS/times.txt"
: > "$times"

for h in c1 n1; do
  if tb_exec "$h" ping -c 1 -W 1 "$TB_SRV_ADDR" > /dev/null 2>&1; then
    tb_fail "$h reaches the protected host without a tunnel"
  fi
done

PKI="$TB_RESULTS/pki"
t0=$EPOCHREALTIME
ss_pki_standard "$PKI" gw.example.com "$TB_GW_ADDR" alice@example.com
echo "pki (CA and gateway RSA 2048, client ECDSA P-256): $(awk -v s="$t0" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }')s" >> "$times"

ss_responder_start gw gw --charon 'i_dont_care_about_security_and_use_aggressive_mode_psk = yes'
echo "charon start (gw): ${SS_START_SECONDS}s" >> "$times"
ss_responder_pool gw rw "$POOL" --dns "$DNS"
ss_responder_conn gw rw --pool rw --local-ts "$TB_PROTECTED_NET" --psk "$PSK" \
  --remote-id '*@example.com' --version 2 \
  --ike aes256-sha256-ecp256,aes128gcm16-prfsha256-x25519 \
  --esp aes256-sha256,aes128gcm16
ss_responder_conn gw eap --pool rw --local-ts "$TB_PROTECTED_NET" --version 2 \
  --cert "$PKI/gw.pem" "$PKI/gw.key" --local-id gw.example.com \
  --remote-auth eap-mschapv2 --user bob bob-password
ss_responder_conn gw cert --pool rw --local-ts "$TB_PROTECTED_NET" --version 2 \
  --cert "$PKI/gw.pem" "$PKI/gw.key" --local-id gw.example.com --ca "$PKI/ca.pem"
ss_responder_conn gw v1 --pool rw --local-ts "$TB_PROTECTED_NET" --version 1 \
  --psk "$PSK" --xauth --user carol carol-password --ike aes256-sha1-modp2048 --esp aes256-sha1
ss_responder_conn gw v1aggr --pool rw --local-ts "$TB_PROTECTED_NET" --version 1 \
  --aggressive --remote-id aggr-group --psk "$PSK" --xauth --user dave dave-password \
  --ike aes256-sha1-modp2048 --esp aes256-sha1

# The client's virtual IP (in the pool, printed), its DNS server, and a ping
# to srv through the tunnel.
check_client() {
  local name=$1 host=$2 vip dns
  vip=$(ss_client_vip "$name") || tb_fail "$name got no virtual IP"
  [[ $vip == 10.3.0.* ]] || tb_fail "$name's virtual IP $vip is not from $POOL"
  tb_exec "$host" ip -4 addr show | grep -q "inet $vip/" ||
    tb_fail "$name's virtual IP $vip is not on an interface of $host"
  dns=$(ss_client_dns "$name") || tb_fail "$name installed no DNS server"
  [ "$dns" = "$DNS" ] || tb_fail "$name installed DNS server(s) '$dns', expected $DNS"
  tb_exec "$host" ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-$name.log" ||
    tb_fail "$name cannot ping $TB_SRV_ADDR through the tunnel"
  printf '%s\n' "$vip"
}

# Both SAs of the client's CHILD SA carried packets, on the client and on gw.
# Prints the client's inbound SPI.
check_counters() {
  local name=$1 host=$2 spis in out h spi n
  spis=$(ss_child_spis "$name") || tb_fail "$name has no CHILD SA"
  [ "$(wc -l <<< "$spis")" -eq 1 ] || tb_fail "$name has more than one CHILD SA: $spis"
  read -r in out <<< "$spis"
  for h in "$host" gw; do
    for spi in "$in" "$out"; do
      n=$(tb_xfrm_packets "$h" "$spi")
      [ -n "$n" ] || tb_fail "$h has no xfrm state with SPI $spi"
      [ "$n" -gt 0 ] || tb_fail "SA $spi in $h carried no packet"
      tb_log "$h: SA $spi carried $n packets"
    done
  done
  printf '%s %s\n' "$in" "$out"
}

# ---- a direct client ----------------------------------------------------------
ss_client_start c1 direct
echo "charon start (c1): ${SS_START_SECONDS}s" >> "$times"
ss_client_conn direct vpn --remote "$TB_GW_ADDR" --psk direct@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up direct vpn || tb_fail "the direct client's tunnel did not come up"
echo "handshake (c1, IKE_SA_INIT + IKE_AUTH): ${SS_UP_SECONDS}s" >> "$times"
vip1=$(check_client direct c1)
spis=$(check_counters direct c1)
read -r in1 out1 <<< "$spis"
for spi in "$in1" "$out1"; do
  for h in c1 gw; do
    tb_exec "$h" ip xfrm state list spi "$spi" | grep -q 'encap' &&
      tb_fail "$h: the direct client's SA $spi is UDP-encapsulated"
  done
done
tb_log "direct client: virtual IP $vip1, plain ESP"

# ---- a client behind NAT ------------------------------------------------------
ss_client_start n1 natted
echo "charon start (n1): ${SS_START_SECONDS}s" >> "$times"
ss_client_conn natted vpn --remote "$TB_GW_ADDR" --psk natted@example.com "$PSK" \
  --ike aes128gcm16-prfsha256-x25519 --esp aes128gcm16
ss_client_up natted vpn || tb_fail "the NAT'ed client's tunnel did not come up"
echo "handshake (n1 behind NAT): ${SS_UP_SECONDS}s" >> "$times"
vip2=$(check_client natted n1)
[ "$vip2" != "$vip1" ] || tb_fail "both clients got $vip1"
# Narrowed to the protected network.
ss_client_sas natted --raw | grep -q "remote-ts=\[$TB_PROTECTED_NET\]" ||
  tb_fail "the NAT'ed client's remote traffic selector is not $TB_PROTECTED_NET"
spis=$(check_counters natted n1)
read -r in2 out2 <<< "$spis"
for spi in "$in2" "$out2"; do
  for h in n1 gw; do
    tb_exec "$h" ip xfrm state list spi "$spi" | grep -Eq 'encap type espinudp sport [0-9]+ dport [0-9]+' ||
      tb_fail "$h: the NAT'ed client's SA $spi is not ESP in UDP"
  done
done
# On gw the outbound SA goes to the NAT router's public address, port 4500
# on our side.
tb_exec gw ip xfrm state list spi "$in2" | grep -Eq "src $TB_GW_ADDR dst $TB_NAT_PUBLIC" ||
  tb_fail "gw's SA $in2 toward the NAT'ed client does not go to $TB_NAT_PUBLIC"
tb_exec gw ip xfrm state list spi "$in2" | grep -Eq 'encap type espinudp sport 4500 ' ||
  tb_fail "gw's SA $in2 does not send from port 4500"
tb_log "NAT'ed client: virtual IP $vip2, ESP in UDP"

# ---- other authentications --------------------------------------------------------
other_client() {
  local host=$1 name=$2; shift 2
  local vip
  ss_client_start "$host" "$name"
  ss_client_conn "$name" vpn --remote "$TB_GW_ADDR" --remote-ts "$TB_PROTECTED_NET" "$@"
  ss_client_up "$name" vpn || tb_fail "client $name ($*) did not get a tunnel"
  echo "handshake ($name): ${SS_UP_SECONDS}s" >> "$times"
  vip=$(ss_client_vip "$name") || tb_fail "$name got no virtual IP"
  [[ $vip == 10.3.0.* ]] || tb_fail "$name's virtual IP $vip is not from $POOL"
  tb_exec "$host" ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-$name.log" ||
    tb_fail "$name cannot ping $TB_SRV_ADDR through the tunnel"
  tb_log "$name: virtual IP $vip"
}
other_client c2 eap-mschapv2 --eap-mschapv2 bob bob-password \
  --ca "$PKI/ca.pem" --remote-id gw.example.com
ss_responder_sas gw --raw --ike eap | grep -q "remote-id=bob " ||
  tb_fail "gw's SA of connection eap is not bob's"
other_client c3 ecdsa-cert --pubkey "$PKI/client.pem" "$PKI/client.key" \
  --ca "$PKI/ca.pem" --remote-id gw.example.com
ss_responder_sas gw --raw --ike cert | grep -q "remote-id=C=XX, O=vpnd tests, CN=alice@example.com" ||
  tb_fail "gw does not show the certificate's subject as the client's identity"
other_client c4 ikev1-main --version 1 --psk carol-group "$PSK" --xauth carol carol-password \
  --ike aes256-sha1-modp2048 --esp aes256-sha1
ss_responder_sas gw --raw --ike v1 | grep -q "remote-xauth-id=carol" ||
  tb_fail "gw does not show carol's XAuth identity"
other_client c5 ikev1-aggressive --version 1 --aggressive --psk aggr-group "$PSK" \
  --xauth dave dave-password --ike aes256-sha1-modp2048 --esp aes256-sha1

# A wrong PSK is refused.
ss_client_start c6 wrong-psk
ss_client_conn wrong-psk vpn --remote "$TB_GW_ADDR" --psk wrong@example.com not-the-psk
if ss_client_up wrong-psk vpn 30; then
  tb_fail "a client with a wrong PSK got a tunnel"
fi
[ "$(tb_xfrm_state_count c6)" -eq 0 ] || tb_fail "the refused client has xfrm states"

# ---- the direct client leaves ---------------------------------------------------
ss_client_down direct vpn || tb_fail "the direct client could not close its tunnel"
[ "$(tb_xfrm_state_count c1)" -eq 0 ] || tb_fail "c1 still has xfrm states after closing"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list spi '$in1' | grep -q ."
if tb_exec c1 ping -c 1 -W 1 "$TB_SRV_ADDR" > /dev/null 2>&1; then
  tb_fail "c1 still reaches the protected host after closing its tunnel"
fi
# The other client is unaffected.
tb_exec n1 ping -c 1 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "n1 lost its tunnel when c1 left"

ss_responder_sas gw > "$TB_RESULTS/gw-sas.txt"
tb_log "times: $(paste -sd ';' "$times")"
