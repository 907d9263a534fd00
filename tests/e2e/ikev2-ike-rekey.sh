#!/bin/bash
# vpnd rekeys the IKE SA itself (RFC 7296 1.3.2, 2.8, 2.18): the tunnel
# group's ike-proposal has lifetime-seconds = 120, the strongSwan client
# would rekey only after an hour.  5-10 % before the lifetime ends vpnd sends
# CREATE_CHILD_SA { SA Ni KE } with its new SPI, becomes the original
# initiator of the new IKE SA (its SPI is now SPIi, its messages carry the
# Initiator flag, it protects them with SK_ei/SK_ai), moves the CHILD SA and
# the session to it and deletes the old IKE SA.  The client accepts the
# rekey (its log says so, its IKE SA has vpnd's new SPI as the initiator's),
# a continuous ping loses at most one packet, the session keeps its address,
# liveness checks run on the new IKE SA in both directions, and `vpnctl
# terminate` ends the session with a DELETE the client receives on it.
# e2e-timeout: 420
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-ike-rekey-key-5c0e
tb_topology_remote_access --direct 1

vpnd_write_conf <<CONF
ike-proposals = ( { name = "short"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19, 14];
                    lifetime-seconds = 120; } );
esp-proposals = ( { name = "gcm"; encryption = ["aes256gcm16"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    group-policy = "gp"; address-pool = "rw-pool"; ike-proposals = ["short"];
                    esp-proposals = ["gcm"]; dpd-interval = 5; dpd-retries = 3; } );
CONF
vpnd_start

ss_client_start c1 client
ss_client_conn client vpn --remote "$TB_GW_ADDR" --psk rekeyee@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256gcm16 --rekey-ike 1h --rekey-child 1h
ss_client_up client vpn || tb_fail "the tunnel did not come up"
vip=$(ss_client_vip client) || tb_fail "no virtual IP"
sas() { ss_client_sas client --raw; }
spi_field() { grep -o "$1-spi=[0-9a-f]*" | head -n 1 | cut -d= -f2; }
old_ispi=$(sas | spi_field initiator) old_rspi=$(sas | spi_field responder)
[ -n "$old_ispi" ] && [ -n "$old_rspi" ] || tb_fail "no IKE SPIs in the client's SA list"
child_before=$(ss_child_spis client)
tb_log "IKE SA before: ${old_ispi}_i ${old_rspi}_r (the client's SPI is SPIi); CHILD SA: $child_before"

tb_daemon c1 ping ping -D -i 0.2 -W 2 "$TB_SRV_ADDR"
ping_pid=$TB_LAST_PID

# vpnd's rekey, 108 to 114 seconds in.
vpnd_log_has "IKE_SA [0-9a-f]+_i [0-9a-f]+_r reaches its lifetime \\(120 s\\): rekeying" 150
vpnd_log_has "sending CREATE_CHILD_SA request [0-9]+ \\[ SA No KE \\]" 10
vpnd_log_has "received CREATE_CHILD_SA response [0-9]+ \\[ SA No KE \\]" 30
vpnd_log_has "IKE_SA rekeyed by vpnd: [0-9a-f]{16}_i [0-9a-f]{16}_r, .* \\(replaces ${old_ispi}_i ${old_rspi}_r\\)" 30
line=$(grep -E "IKE_SA rekeyed by vpnd: " "$TB_RESULTS/vpnd.log")
new_ispi=$(grep -oE "vpnd: [0-9a-f]{16}_i" <<< "$line" | head -n 1 | grep -oE "[0-9a-f]{16}")
new_rspi=$(grep -oE "_i [0-9a-f]{16}_r" <<< "$line" | head -n 1 | grep -oE "[0-9a-f]{16}")
# The old IKE SA goes with vpnd's DELETE, answered by the client.
vpnd_log_has "IKE_SA deleted: replaced by vpnd's rekey" 10
after_rekey() { tb_wait "$2" bash -c "sed -n '/IKE_SA rekeyed by vpnd/,\$p' '$TB_RESULTS/vpnd.log' | grep -Eq -- '$1'"; }
after_rekey "sending INFORMATIONAL request [0-9]+ \\[ D \\]" 10 || tb_fail "vpnd sent no DELETE of the old IKE SA"
after_rekey "received INFORMATIONAL response [0-9]+ \\[ \\]" 30 || tb_fail "the DELETE of the old IKE SA was not answered"

# The client accepted it: its log says so, and its one IKE SA has vpnd's
# new SPI as the initiator's.
tb_wait 30 grep -Eq "IKE_SA vpn\\[[0-9]+\\] rekeyed between" "$TB_RESULTS/ss-client/charon.log" ||
  tb_fail "the client did not log the IKE SA rekey"
now_ispi=$(sas | spi_field initiator) now_rspi=$(sas | spi_field responder)
tb_log "IKE SA after: ${now_ispi}_i ${now_rspi}_r; vpnd logged ${new_ispi}_i ${new_rspi}_r"
[ "$now_ispi" = "$new_ispi" ] && [ "$now_rspi" = "$new_rspi" ] ||
  tb_fail "the client's IKE SA is ${now_ispi}_i ${now_rspi}_r, not the one vpnd created"
sas | grep -q "initiator=yes" && tb_fail "the client still thinks it is the initiator of the new IKE SA"
[ "$(sas | grep -c 'initiator-spi=')" -eq 1 ] || tb_fail "the client has more than one IKE SA: $(sas)"

# The CHILD SA and the session survived the rekey, unchanged.
[ "$(ss_child_spis client)" = "$child_before" ] || tb_fail "the CHILD SA changed: $(ss_child_spis client)"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "the session did not survive the IKE SA rekey"
[ "$(vpnd_session_field "$vip" user)" = rekeyee@example.com ] || tb_fail "the session lost its address $vip"
kill -INT "$ping_pid"
wait "$ping_pid" 2> /dev/null || true
stats=$(grep "packets transmitted" "$TB_RESULTS/ping.log") || tb_fail "no ping statistics"
tx=$(awk '{ print $1 }' <<< "$stats") rx=$(awk '{ print $4 }' <<< "$stats")
tb_log "$tx pings sent, $rx answered across vpnd's IKE SA rekey"
[ "$tx" -ge 100 ] || tb_fail "only $tx pings were sent"
[ $((tx - rx)) -le 1 ] || tb_fail "$((tx - rx)) pings lost across the IKE SA rekey"
vpnd_assert_traffic c1 client

# A liveness check of vpnd's on the new IKE SA (now with the Initiator flag,
# protected with SK_ei/SK_ai), answered, now that the tunnel is idle.  The
# new IKE SA counts its message IDs from 0 again.
after_rekey "sending INFORMATIONAL request 0 \\[ \\]" 40 || tb_fail "no liveness check by vpnd on the new IKE SA"
after_rekey "received INFORMATIONAL response 0 \\[ \\]" 20 || tb_fail "vpnd's liveness check on the new IKE SA was not answered"

# A request of the client's on the new IKE SA (no Initiator flag now, our SPI
# in SPIi): it rekeys its CHILD SA, keyed from the new SK_d.
ss_swanctl client --rekey --child vpn > "$TB_RESULTS/child-rekey.txt" || tb_fail "swanctl --rekey --child failed"
after_rekey "received CREATE_CHILD_SA request [0-9]+ \\[ N\\(REKEY_SA\\) SA No TSi TSr \\]" 30 ||
  tb_fail "vpnd did not take the client's CHILD SA rekey on the new IKE SA"
after_rekey "CHILD_SA rekeyed: " 30 || tb_fail "the client's CHILD SA rekey on the new IKE SA failed"
child_changed() { [ "$(ss_child_spis client | head -n 1)" != "$child_before" ]; }
tb_wait 30 child_changed
vpnd_assert_traffic c1 client

# The operator ends the session: the client receives the DELETE on the new SA.
vpnctl terminate rekeyee@example.com > "$TB_RESULTS/terminate.txt" || tb_fail "vpnctl terminate failed"
tb_wait 20 grep -Eq "received DELETE for IKE_SA vpn\\[[0-9]+\\]" "$TB_RESULTS/ss-client/charon.log" ||
  tb_fail "the client did not receive vpnd's DELETE"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "the session is still listed"
