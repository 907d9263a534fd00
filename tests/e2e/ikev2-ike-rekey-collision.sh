#!/bin/bash
# IKE SA rekey collision (RFC 7296 2.8.2): vpnd rekeys the IKE SA at the end
# of its lifetime (lifetime-seconds = 120) while the strongSwan client rekeys
# it too (swanctl --rekey --ike).  The client is held deaf to IKE from the
# gateway (nftables) while both requests cross, then hears again: both
# exchanges complete on both sides by retransmission, the new IKE SA made
# with the lowest of the four nonces is deleted by whoever made it, the other
# one takes over the CHILD SA and the session.  A continuous ping (ESP is not
# held) loses at most one packet; in the end the client has one IKE SA,
# vpnd one session, and `vpnctl terminate` reaches the client on the
# surviving IKE SA.
# e2e-timeout: 420
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-ike-collide-key-93d2
tb_topology_remote_access --direct 1

vpnd_write_conf <<CONF
ike = { retransmit-timeout = 2; retransmit-tries = 5; };
ike-proposals = ( { name = "short"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19];
                    lifetime-seconds = 120; } );
esp-proposals = ( { name = "gcm"; encryption = ["aes256gcm16"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    group-policy = "gp"; address-pool = "rw-pool"; ike-proposals = ["short"];
                    esp-proposals = ["gcm"]; dpd-interval = 0; } );
CONF
vpnd_start

ss_client_start c1 client
ss_client_conn client vpn --remote "$TB_GW_ADDR" --psk collider@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256gcm16 --rekey-ike 1h --rekey-child 1h
ss_client_up client vpn || tb_fail "the tunnel did not come up"
vip=$(ss_client_vip client) || tb_fail "no virtual IP"
tb_daemon c1 ping ping -D -i 0.2 -W 2 "$TB_SRV_ADDR"
ping_pid=$TB_LAST_PID

# The client hears no IKE from the gateway (ESP passes).
tb_exec c1 nft -f - <<NFT
table inet hold {
  chain in { type filter hook input priority -300; ip saddr $TB_GW_ADDR udp sport { 500, 4500 } drop; }
}
NFT
vpnd_log_has "sending CREATE_CHILD_SA request [0-9]+ \\[ SA No KE \\]" 150
ss_swanctl client --rekey --ike vpn > "$TB_RESULTS/ike-rekey.txt" || tb_fail "swanctl --rekey --ike failed"
vpnd_log_has "IKE_SA rekey collision: the client rekeys too" 20
vpnd_log_has "sending CREATE_CHILD_SA response [0-9]+ \\[ SA KE No \\]" 20
tb_exec c1 nft delete table inet hold
tb_log "the client hears the gateway again"

# One of the two new IKE SAs survives, on both sides.
outcome="IKE_SA rekey collision: (ours .* has the lowest nonce and is deleted|the client's new IKE SA has the lowest nonce|the client's new IKE SA [0-9a-f]+_i [0-9a-f]+_r survives|the client deleted the IKE SA both rekeyed)"
vpnd_log_has "$outcome" 60
grep -E "$outcome|IKE_SA rekeyed|IKE_SA deleted" "$TB_RESULTS/vpnd.log" | sed 's/^/  vpnd: /' >> "$TB_RESULTS/collision.txt" || true
one_ike_sa() { [ "$(ss_client_sas client --raw | grep -c 'initiator-spi=')" -eq 1 ]; }
tb_wait 60 one_ike_sa
grep -E "rekey|collision|redundant" "$TB_RESULTS/ss-client/charon.log" | tail -n 20 | sed 's/^/  client: /' >> "$TB_RESULTS/collision.txt" || true
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "the session did not survive the collision"
[ "$(vpnd_session_field "$vip" user)" = collider@example.com ] || tb_fail "the session lost its address $vip"
grep -q "session down" "$TB_RESULTS/vpnd.log" && tb_fail "a session went down in the collision"
sleep 2
kill -INT "$ping_pid"
wait "$ping_pid" 2> /dev/null || true
stats=$(grep "packets transmitted" "$TB_RESULTS/ping.log") || tb_fail "no ping statistics"
tx=$(awk '{ print $1 }' <<< "$stats") rx=$(awk '{ print $4 }' <<< "$stats")
tb_log "$tx pings sent, $rx answered across the collision"
[ $((tx - rx)) -le 1 ] || tb_fail "$((tx - rx)) pings lost across the IKE SA rekey collision"
vpnd_assert_traffic c1 client

# The surviving IKE SA is the same on both sides: vpnd's DELETE on it reaches the client.
vpnctl terminate collider@example.com > "$TB_RESULTS/terminate.txt" || tb_fail "vpnctl terminate failed"
tb_wait 20 grep -Eq "received DELETE for IKE_SA vpn\\[[0-9]+\\]" "$TB_RESULTS/ss-client/charon.log" ||
  tb_fail "the client did not receive vpnd's DELETE"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "the session is still listed"
