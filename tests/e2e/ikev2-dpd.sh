#!/bin/bash
# Dead peer detection (RFC 7296 2.4, issue 3 test 8): tunnel group with
# dpd-interval = 2 and dpd-retries = 3.  An idle but living client answers
# vpnd's empty INFORMATIONAL liveness checks and keeps its session.  Then the
# client's namespace is cut off (nftables drops everything): vpnd's checks go
# unanswered, and after the retries the peer is declared dead: session, SAs,
# policies and route are gone from gw, the log says why, and the pool's only
# address goes to the next client.  In a group without DPD, an idle timeout
# ends the session of a cut-off client at once and its DELETE goes through
# the request queue: retransmitted after ike.retransmit-timeout, the wait
# doubling, retransmit-tries times, then the IKE SA is given up.
# e2e-timeout: 300
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-dpd-key-41f0
tb_topology_remote_access --direct 3

# One address in the pool: the second client gets it only if the dead one's
# lease came back.
vpnd_write_conf <<CONF
ike = { retransmit-timeout = 1; retransmit-tries = 2; };
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "one"; range = "10.3.0.10-10.3.0.10"; netmask = "255.255.255.0"; },
          { name = "quiet-pool"; range = "10.3.0.30-10.3.0.30"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; },
                   { name = "idle"; idle-timeout = 4; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK"; identity = ["email:*@example.com"];
                    group-policy = "gp"; address-pool = "one"; ike-proposals = ["modern"];
                    esp-proposals = ["cbc"]; dpd-interval = 2; dpd-retries = 3; },
                  { name = "quiet"; ike-version = 2; authentication = "psk"; psk = "$PSK"; identity = ["email:*@quiet.example"];
                    group-policy = "idle"; address-pool = "quiet-pool"; ike-proposals = ["modern"];
                    esp-proposals = ["cbc"]; dpd-interval = 0; } );
CONF
vpnd_start

ss_client_start c1 alive
ss_client_conn alive vpn --remote "$TB_GW_ADDR" --psk alive@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up alive vpn || tb_fail "the tunnel did not come up"
vip=$(ss_client_vip alive) || tb_fail "no virtual IP"
[ "$vip" = 10.3.0.10 ] || tb_fail "virtual IP $vip, expected 10.3.0.10"
tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping.log" || tb_fail "no ping through the tunnel"
read -r in out <<< "$(ss_child_spis alive)"
for spi in "$in" "$out"; do
  n=$(tb_xfrm_packets gw "$spi")
  [ -n "$n" ] && [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi carried '${n:-no}' packets, expected at least 3"
done

# ---- alive and idle: the checks are answered, the session stays ----------------------
# No traffic: after 2 s vpnd asks; three answered checks in a row prove the
# exchange works both ways (the client answers, vpnd matches the answer).
tb_wait 60 bash -c "[ \$(grep -c 'liveness check answered' '$TB_RESULTS/vpnd.log') -ge 3 ]"
vpnd_log_has "sending INFORMATIONAL request [0-9]+ \\[ \\]"
vpnd_log_has "received INFORMATIONAL response [0-9]+ \\[ \\]"
grep -q "dead" "$TB_RESULTS/vpnd.log" && tb_fail "vpnd declared a living client dead"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "the idle client lost its session"
[ "$(tb_xfrm_state_count gw)" -eq 2 ] || tb_fail "gw has $(tb_xfrm_state_count gw) xfrm states, expected 2"

# ---- cut off: the peer is dead -------------------------------------------------------------
tb_exec c1 nft -f - <<'NFT'
table inet cutoff {
  chain in { type filter hook input priority -300; policy drop; }
  chain out { type filter hook output priority -300; policy drop; }
}
NFT
tb_log "c1 cut off"
# interval x retries after the traffic stopped (plus a margin for the VM).
tb_wait 60 grep -Eq "peer ${TB_ADDR[c1]}:[0-9]+ dead \\(no answer to 3 liveness checks\\)" "$TB_RESULTS/vpnd.log"
vpnd_log_has "session down: user alive@example.com, address 10.3.0.10: peer dead \\(no answer to 3 liveness checks\\)"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "the dead client's session is still listed"
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw still has $(tb_xfrm_state_count gw) xfrm states"
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw still has $(tb_xfrm_policy_count gw) policies"
[ -z "$(tb_exec gw ip route show proto 86)" ] || tb_fail "the route to the dead client stays"

# ---- the lease is back: the next client gets the pool's only address ---------------------
ss_client_start c2 next
ss_client_conn next vpn --remote "$TB_GW_ADDR" --psk next@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up next vpn || tb_fail "the second client could not connect"
vip2=$(ss_client_vip next) || tb_fail "the second client got no virtual IP"
[ "$vip2" = 10.3.0.10 ] || tb_fail "the second client got $vip2, not the dead client's 10.3.0.10"
tb_exec c2 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping2.log" || tb_fail "no ping from the second client"

# ---- no DPD, idle timeout: the DELETE to a cut-off client is retransmitted, then given up -------
ss_client_start c3 quiet
ss_client_conn quiet vpn --remote "$TB_GW_ADDR" --psk gone@quiet.example "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up quiet vpn || tb_fail "the third client could not connect"
tb_exec c3 nft -f - <<'NFT'
table inet cutoff {
  chain in { type filter hook input priority -300; policy drop; }
  chain out { type filter hook output priority -300; policy drop; }
}
NFT
vpnd_log_has "session down: user gone@quiet.example, address 10.3.0.30: idle timeout" 30
# Sent once, again after 1 s and 2 s more, given up 4 s later.
vpnd_log_has "user=gone@quiet.example.*retransmitting INFORMATIONAL request 0 \\(DELETE, transmission 3 of 3\\)" 20
vpnd_log_has "user=gone@quiet.example.*peer ${TB_ADDR[c3]}:[0-9]+ not responding: no answer to DELETE request 0 after 3 transmissions" 20
vpnd_log_has "user=gone@quiet.example.*IKE_SA deleted: peer not responding \\(no answer to DELETE request\\)" 5
grep -q "user=gone@quiet.example.*liveness" "$TB_RESULTS/vpnd.log" && tb_fail "liveness checks in a group without DPD"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "vpnd lists $(vpnd_session_count) sessions, expected the second client's only"
