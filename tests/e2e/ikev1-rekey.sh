#!/bin/bash
# IKEv1 Quick Mode rekeying and the group policy's idle timeout, against
# strongSwan in IKEv1 Main Mode with XAuth and PFS: with a short
# rekey_time the client runs a second Quick Mode (with a KE payload:
# Diffie-Hellman on vpnd's worker) on the same ISAKMP SA while it pings;
# vpnd installs the new SAs next to the old ones, the new SAs carry the
# traffic, and the client's DELETE removes the old ones. Then the client
# goes quiet and vpnd ends the session after the idle timeout, removing
# every SA.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

KEY=ikev1-rekey-key-2b
PASSWORD=alice-rekey-pw-5
tb_topology_remote_access --direct 1
hash=$(openssl passwd -6 "$PASSWORD")

vpnd_write_conf <<CONF
ike-proposals = ( { name = "mm"; encryption = ["aes128"]; integrity = ["sha1"]; dh-group = [14]; } );
esp-proposals = ( { name = "esp"; encryption = ["aes128"]; integrity = ["sha1"]; pfs-group = [14]; } );
pools = ( { name = "pool"; range = "10.7.0.10-10.7.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "policy"; protocols = ["ikev1"]; pfs = true; idle-timeout = 15; } );
users = ( { name = "alice"; password-hash = "$hash"; } );
tunnel-groups = ( { name = "mm"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    peer-address = ["0.0.0.0/0"]; address-pool = "pool"; group-policy = "policy";
                    ike-proposals = ["mm"]; esp-proposals = ["esp"]; } );
CONF
vpnd_start

ss_client_start c1 alice
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --version 1 --psk client.example.org "$KEY" \
  --xauth alice "$PASSWORD" --ike aes128-sha1-modp2048 --esp aes128-sha1-modp2048 \
  --remote-ts "$TB_PROTECTED_NET" --rekey-child 25s
ss_client_up alice vpn || tb_fail "the tunnel did not come up"
vip=$(ss_client_vip alice) || tb_fail "alice got no virtual IP"
read -r in1 out1 <<< "$(ss_child_spis alice)"
vpnd_log_has "IPsec SA installed: spi in $out1 out $in1, AES-CBC-128/HMAC-SHA1-96/PFS MODP-2048"

# Ping across the rekey.
# (ping itself in the background, not a subshell, so that SIGINT makes it
# print its statistics.)
ip netns exec "$(tb_ns c1)" ping -i 0.5 -W 2 "$TB_SRV_ADDR" > "$TB_RESULTS/ping.log" 2>&1 &
ping_pid=$!
TB_PIDS+=("$ping_pid")
vpnd_log_has "IPsec SA rekeyed: spi in 0x[0-9a-f]+ out 0x[0-9a-f]+" 90
vpnd_log_has "rekeyed IPsec SA deleted by the client: spi in $out1" 60
read -r in2 out2 <<< "$(ss_child_spis alice)"
[ "$in2" != "$in1" ] || tb_fail "the client still uses its first SA"
vpnd_log_has "IPsec SA rekeyed: spi in $out2 out $in2"
packets_at_least() { local n; n=$(tb_xfrm_packets gw "$1"); [ "${n:-0}" -ge "$2" ]; }
tb_wait 20 packets_at_least "$in2" 3
tb_wait 20 packets_at_least "$out2" 3
n_in=$(tb_xfrm_packets gw "$in2")
n_out=$(tb_xfrm_packets gw "$out2")
[ "$n_in" -ge 3 ] && [ "$n_out" -ge 3 ] || tb_fail "the rekeyed SAs carried $n_in/$n_out packets"
tb_log "after the rekey: SAs $in2/$out2 carried $n_in/$n_out packets"
[ "$(tb_xfrm_state_count gw)" -eq 2 ] || tb_fail "gw has $(tb_xfrm_state_count gw) SAs after the old ones were deleted"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "the rekey changed the number of sessions"
kill -INT "$ping_pid" 2> /dev/null || true
wait "$ping_pid" 2> /dev/null || true
read -r transmitted received < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' \
  "$TB_RESULTS/ping.log") || true
tb_log "ping across the rekey: ${received:-0} of ${transmitted:-0} answered"
[ "${received:-0}" -ge 10 ] || tb_fail "ping across the rekey: ${received:-0} of ${transmitted:-0} answered"

# Quiet: the idle timeout ends the session.
vpnd_log_has "session down: user alice, address $vip: idle timeout \(15 s without traffic\)" 60
# (strongSwan may connect again at once after our DELETE: only the ended
# session's SAs must be gone.)
sa_gone() { [ -z "$(tb_exec gw ip xfrm state list spi "$1")" ]; }
tb_wait 10 sa_gone "$in2"
tb_wait 10 sa_gone "$out2"
vpnd_stop
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after vpnd stopped"
