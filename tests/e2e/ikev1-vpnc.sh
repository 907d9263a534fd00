#!/bin/bash
# vpnd's IKEv1 responder against vpnc (the open-source Cisco VPN Client):
# Aggressive Mode with a group name and group key, Xauth with a local user,
# Mode Config pull.  The client's tun device gets the pool address, vpnc
# hands its script the DNS server, default domain, banner and split
# network the group policy names; a ping to srv goes through the kernel's
# ESP SAs on gw (their counters move); `vpnctl sessions` lists the IKEv1
# session with user and tunnel group; a client killed without a word comes
# back with INITIAL-CONTACT, which ends its old session (the address is
# given again); vpnc's disconnect (DELETE) removes
# every SA, policy, route and the session.  Then: a wrong group key gives
# no phase 1 and a log line saying why, nothing installed; a DH group the
# tunnel group lacks gets every transform refused in the log ("Rcv'd group
# 5, cfg'd group 14/2") and NO-PROPOSAL-CHOSEN; a wrong Xauth
# password gets a new Xauth request while xauth-attempts remain (vpnc
# gives up on it), and on the last attempt Xauth status FAIL, after which
# the SA is deleted; nothing installed.
# e2e-timeout: 500
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/vpnc.sh"
. "$here/ikev2-common.bash"
tb_init

GROUP=vpngroup
KEY=ikev1-group-key-5d1f
PASSWORD=alice-xauth-pw-93
DNS=198.51.100.53
DOMAIN=corp.example
BANNER="Authorised use only"
tb_topology_remote_access --direct 1
hash=$(openssl passwd -6 "$PASSWORD")

tb_exec c1 ping -c 1 -W 1 "$TB_SRV_ADDR" > /dev/null 2>&1 &&
  tb_fail "c1 reaches the protected host without a tunnel"

vpnd_write_conf <<CONF
ike-proposals = ( { name = "ezvpn"; encryption = ["aes256", "aes128"]; integrity = ["sha1"];
                    dh-group = [14, 2]; } );
esp-proposals = ( { name = "esp"; encryption = ["aes256", "aes128"]; integrity = ["sha1"]; } );
pools = ( { name = "ez-pool"; range = "10.4.0.10-10.4.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "ez-policy"; dns = ["$DNS"]; default-domain = "$DOMAIN"; banner = "$BANNER";
                     split-tunnel-policy = "tunnel-specified"; split-tunnel-networks = ["$TB_PROTECTED_NET"];
                     protocols = ["ikev1"]; save-password = true; } );
users = ( { name = "alice"; password-hash = "$hash"; } );
tunnel-groups = ( { name = "ez"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "$GROUP"; address-pool = "ez-pool"; group-policy = "ez-policy";
                    ike-proposals = ["ezvpn"]; esp-proposals = ["esp"]; xauth-attempts = 2; },
                  { name = "strict"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "strict"; address-pool = "ez-pool"; group-policy = "ez-policy";
                    ike-proposals = ["ezvpn"]; esp-proposals = ["esp"]; xauth-attempts = 1; } );
CONF
vpnd_start
tb_capture_start gw out ike

vpnc_conf alice --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$KEY" --user alice --password "$PASSWORD"
vpnc_up c1 alice || tb_fail "vpnc did not connect"

# ---- what the client got ---------------------------------------------------------
addr=$(vpnc_env alice INTERNAL_IP4_ADDRESS)
[[ $addr == 10.4.0.1[0-9] || $addr == 10.4.0.20 ]] || tb_fail "address '$addr' is not from the pool"
[ "$(vpnc_env alice INTERNAL_IP4_NETMASK)" = 255.255.255.0 ] || tb_fail "netmask is not the pool's"
[ "$(vpnc_env alice INTERNAL_IP4_DNS)" = "$DNS" ] || tb_fail "DNS '$(vpnc_env alice INTERNAL_IP4_DNS)', expected $DNS"
[ "$(vpnc_env alice CISCO_DEF_DOMAIN)" = "$DOMAIN" ] || tb_fail "default domain is not $DOMAIN"
[ "$(vpnc_env alice CISCO_BANNER)" = "$BANNER" ] || tb_fail "banner is not '$BANNER'"
[ "$(vpnc_env alice CISCO_SPLIT_INC)" = 1 ] || tb_fail "not one split network"
[ "$(vpnc_env alice CISCO_SPLIT_INC_0_ADDR)/$(vpnc_env alice CISCO_SPLIT_INC_0_MASKLEN)" = "$TB_PROTECTED_NET" ] ||
  tb_fail "split network is not $TB_PROTECTED_NET"
tb_exec c1 ip -4 addr show dev vpnc-alice | grep -q "inet $addr/" || tb_fail "the tun device does not have $addr"

# ---- traffic through the kernel's ESP SAs on gw --------------------------------------
# vpnc runs its connect script after Mode Config, before its Quick Mode:
# the tunnel carries traffic once vpnd has installed the SAs.
vpnd_log_has "session up: user alice, address $addr" 60
tb_exec c1 ping -c 3 -i 0.3 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping.log" ||
  tb_fail "c1 cannot ping $TB_SRV_ADDR through the tunnel"
line=$(grep -Eo "IPsec SA installed: spi in 0x[0-9a-f]+ out 0x[0-9a-f]+" "$TB_RESULTS/vpnd.log" | head -n 1)
[ -n "$line" ] || tb_fail "vpnd did not log an installed IPsec SA"
read -r spi_in spi_out <<< "$(sed -E 's/.*in (0x[0-9a-f]+) out (0x[0-9a-f]+)/\1 \2/' <<< "$line")"
for spi in "$spi_in" "$spi_out"; do
  n=$(tb_xfrm_packets gw "$spi")
  [ -n "$n" ] || tb_fail "gw has no xfrm state with SPI $spi"
  [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi carried $n packets, expected at least 3"
  tb_log "gw: SA $spi carried $n packets"
done
tb_exec gw ip route show "$addr" | grep -q "proto 86" || tb_fail "no route of vpnd to $addr on gw"
[ "$(tb_xfrm_policy_count gw)" -eq 3 ] || tb_fail "gw has $(tb_xfrm_policy_count gw) policies, expected 3"

# ---- vpnctl and the log ---------------------------------------------------------------------
vpnctl sessions > "$TB_RESULTS/sessions.txt"
[ "$(vpnd_session_field "$addr" user)" = alice ] || tb_fail "vpnctl sessions: no session of alice with $addr"
[ "$(vpnd_session_field "$addr" protocol)" = IKEv1 ] || tb_fail "the session is not IKEv1"
[ "$(vpnd_session_field "$addr" tunnel_group)" = ez ] || tb_fail "the session is not in tunnel group ez"
[ "$(vpnd_session_field "$addr" packets_in)" -ge 3 ] || tb_fail "vpnctl sessions: packets_in below 3"
vpnd_log_has "received Aggressive Mode \[ SA KE No ID"
vpnd_log_has "sending Aggressive Mode \[ SA KE No ID HASH V"
vpnd_log_has "ISAKMP SA established \(Aggressive Mode\): peer ${TB_ADDR[c1]}:[0-9]+, group '$GROUP', tunnel group ez"
vpnd_log_has "Xauth: user alice authenticated"
vpnd_log_has "Mode Config pull: reply sent: address $addr/255.255.255.0 for user alice"
vpnd_log_has "proxy ID 0.0.0.0/0 narrowed to the 1 split networks"
vpnd_log_has "session up: user alice, address $addr"

# ---- a crashed client comes back: INITIAL-CONTACT replaces its old session -----------
kill -KILL "${VPNC_PID[alice]}"
wait "${VPNC_PID[alice]}" 2> /dev/null || true
vpnc_up c1 alice || tb_fail "vpnc did not reconnect"
vpnd_log_has "INITIAL-CONTACT from user alice: ending the user's earlier ISAKMP SA" 30
vpnd_log_has "session down: user alice, address $addr: replaced after INITIAL-CONTACT"
[ "$(vpnc_env alice INTERNAL_IP4_ADDRESS)" = "$addr" ] || tb_fail "the returning client did not get $addr back"
tb_wait 60 bash -c "[ \$(grep -c 'session up: user alice, address $addr' '$TB_RESULTS/vpnd.log') -ge 2 ]"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "$(vpnd_session_count) sessions after the client came back"
tb_exec c1 ping -c 2 -i 0.3 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "no ping through the new tunnel"

# ---- disconnect ----------------------------------------------------------------------------------
vpnc_down alice
tb_wait 20 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw still has policies after the client left"
[ -z "$(tb_exec gw ip route show "$addr")" ] || tb_fail "the route to $addr is still on gw"
tb_wait 10 bash -c "[ \"\$(\"$TB_BUILD/ctl/vpnctl\" --socket '$VPND_CTL_SOCKET' --json sessions | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"result\"][\"count\"])')\" = 0 ]"
vpnd_log_has "session down: user alice, address $addr: deleted by the client"

# ---- a wrong group key: no phase 1 -----------------------------------------------------------------
vpnc_conf mallory --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "not-the-key" --user alice \
  --password "$PASSWORD"
vpnc_expect_failure c1 mallory
grep -qi "hash" "$TB_RESULTS/vpnc-mallory/vpnc.log" || tb_fail "vpnc did not fail on the hash"
vpnd_log_has "phase 1 with ${TB_ADDR[c1]}:[0-9]+, tunnel group ez abandoned: no valid Aggressive Mode message 3" 45
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after a failed phase 1"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "a session exists after a failed phase 1"

# ---- a DH group the tunnel group does not have: every transform refused, with why ------
vpnc_conf dh5 --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$KEY" --user alice --password "$PASSWORD" \
  --dh dh5
vpnc_expect_failure c1 dh5
vpnd_log_has "IKE SA proposal [0-9]+ transform [0-9]+ rejected by ike-proposal 'ezvpn': Rcv'd group 5, cfg'd group 14/2"
vpnd_log_has "Aggressive Mode from ${TB_ADDR[c1]}:[0-9]+, group '$GROUP': no acceptable IKE transform \([0-9]+ offered, tunnel group ez\): NO-PROPOSAL-CHOSEN"

# ---- a wrong Xauth password: a new request while attempts remain --------------------
vpnc_conf bob --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$KEY" --user alice --password "wrong-password"
vpnc_expect_failure c1 bob
vpnd_log_has "authentication failed: peer ${TB_ADDR[c1]}:[0-9]+, user 'alice', tunnel group ez: Xauth: wrong password \(attempt 1 of 2\)"
vpnd_log_has "sending TRANSACTION 0x[0-9a-f]+ \[ HASH CPRQ\(X_TYPE X_USER X_PWD X_MSG\) \]"
# vpnc will not send a password twice; it gives up and deletes the SA.
grep -q "can't reuse password" "$TB_RESULTS/vpnc-bob/vpnc.log" || tb_fail "vpnc did not get a second Xauth request"
vpnd_log_has "tunnel-group=ez session=ikev1#[0-9]+\] ISAKMP SA deleted: deleted by the client" 15
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after a failed Xauth"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "a session exists after a failed Xauth"

# ---- the last attempt: Xauth status FAIL, the SA deleted ---------------------------------
vpnc_conf carol --gateway "$TB_GW_ADDR" --group strict --secret "$KEY" --user alice --password "wrong-password"
vpnc_expect_failure c1 carol
vpnd_log_has "authentication failed: peer ${TB_ADDR[c1]}:[0-9]+, user 'alice', tunnel group strict: Xauth: wrong password \(attempt 1 of 1\)"
vpnd_log_has "sending TRANSACTION 0x[0-9a-f]+ \[ HASH CPS\(X_STATUS\) \]"
vpnd_log_has "tunnel-group=strict.*ISAKMP SA deleted: Xauth failed" 15
grep -qi "authentication unsuccessful\|xauth.*fail" "$TB_RESULTS/vpnc-carol/vpnc.log" ||
  tb_fail "vpnc did not report the failed authentication"
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after a failed Xauth"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "a session exists after a failed Xauth"

# ---- ike-scan probes --------------------------------------------------------------------------
trans='(1=7,14=256,2=2,3=65001,4=2)'
out=$(tb_exec c1 ike-scan -M --aggressive --id=nogroup --trans="$trans" "$TB_GW_ADDR" 2>&1 || true)
grep -q "0 returned handshake" <<< "$out" || tb_fail "an unknown group name got an answer: $out"
vpnd_log_has "Aggressive Mode from ${TB_ADDR[c1]}:[0-9]+ refused: no IKEv1 pre-shared-key tunnel group with group-name 'nogroup'"
out=$(tb_exec c1 ike-scan -M --aggressive --id="$GROUP" --trans="$trans" "$TB_GW_ADDR" 2>&1 || true)
echo "$out" > "$TB_RESULTS/ike-scan-aggressive.txt"
grep -q "Aggressive Mode Handshake returned" <<< "$out" || tb_fail "no Aggressive Mode answer to ike-scan: $out"
for vid in XAUTH "Dead Peer Detection" "Cisco Unity"; do
  grep -q "$vid" <<< "$out" || tb_fail "ike-scan does not see the $vid vendor ID"
done
out=$(tb_exec c1 ike-scan -M "$TB_GW_ADDR" 2>&1 || true)
grep -q "0 returned handshake" <<< "$out" || tb_fail "a Main Mode probe got an answer without a peer-address group"
vpnd_log_has "Main Mode from ${TB_ADDR[c1]}:[0-9]+ refused: no IKEv1 pre-shared-key tunnel group has a peer-address"

# ---- the wire, as tshark reads it -----------------------------------------------------------
tb_capture_stop ike > /dev/null
sent=$(tb_capture_fields ike "ip.src == $TB_GW_ADDR && isakmp" frame.number | wc -l)
[ "$sent" -ge 10 ] || tb_fail "tshark sees only $sent IKE messages from vpnd"
bad=$(tb_capture_fields ike "isakmp && (_ws.malformed || _ws.expert.severity == error)" frame.number ip.src)
[ -z "$bad" ] || tb_fail "tshark flags IKE packets: $(head -n 3 <<< "$bad")"
# Aggressive Mode message 2 carries our vendor IDs and the NAT-D pair.
vids=$(tb_capture_fields ike "ip.src == $TB_GW_ADDR && isakmp.exchangetype == 4" isakmp.vid_bytes | head -n 1)
for vid in 09002689dfd6b712 afcad71368a1f1c96b8696fc77570100 12f5f28c457168a9702d9fe274cc0100 \
  4a131c81070358455c5728f20e95452f; do
  [[ $vids == *$vid* ]] || tb_fail "Aggressive Mode message 2 lacks vendor ID $vid: $vids"
done
tb_log "tshark decodes all $sent IKE messages from vpnd; message 2 has the Xauth, DPD, Unity and NAT-T VIDs"

vpnd_stop
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after vpnd stopped"
