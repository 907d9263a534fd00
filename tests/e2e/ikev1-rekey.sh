#!/bin/bash
# IKEv1 Quick Mode rekeying, phase 1 re-authentication, two pairs of
# IPsec SAs on one ISAKMP SA, and the group policy's idle timeout, against
# strongSwan in IKEv1 Main Mode with XAuth and PFS. alice: with a short
# rekey_time the client runs a second Quick Mode (with a KE payload:
# Diffie-Hellman on vpnd's worker) on the same ISAKMP SA while it pings;
# vpnd installs the new SAs next to the old ones, the new SAs carry the
# traffic, and the client's DELETE removes the old ones. Then the client
# goes quiet and vpnd ends the session after the idle timeout, removing
# every SA. bob: two Quick Modes on one ISAKMP SA for two sets of
# networks (two pairs of IPsec SAs in one session, both carrying
# traffic), then a phase 1 re-authentication under a ping every 0.2 s:
# the session, its address and its IPsec SAs move to the new ISAKMP SA,
# the old ISAKMP SA goes without them, and at most two pings are lost.
# carol and dave (vpnc, ISAKMP SAs of 120 s), both ends of that lifetime,
# each by construction: carol, pinging every second, has vpnc rekey phase
# 1 at 80 % of it (a new Aggressive Mode and Xauth, no Mode Config); vpnd
# moves her session to the new ISAKMP SA and tells it its lifetime
# (RESPONDER-LIFETIME, which vpnc waits for before it goes back to
# forwarding), vpnc's DELETE after the rekey takes only the old ISAKMP SA,
# and her pings keep going through the same IPsec SAs. dave runs vpnc
# without DPD, which never rekeys: vpnd's expiry ends his session and
# removes its SAs.
# e2e-timeout: 640
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/../testbed/vpnc.sh"
. "$here/ikev2-common.bash"
tb_init

KEY=ikev1-rekey-key-2b
PASSWORD=alice-rekey-pw-5
PASSWORD_B=bob-reauth-pw-7
PASSWORD_C=carol-expiry-pw-3
PASSWORD_D=dave-expiry-pw-8
tb_topology_remote_access --direct 4
hash=$(openssl passwd -6 "$PASSWORD")
hash_b=$(openssl passwd -6 "$PASSWORD_B")
hash_c=$(openssl passwd -6 "$PASSWORD_C")
hash_d=$(openssl passwd -6 "$PASSWORD_D")

vpnd_write_conf <<CONF
ike-proposals = ( { name = "mm"; encryption = ["aes128"]; integrity = ["sha1"]; dh-group = [14]; },
                  { name = "short"; encryption = ["aes256", "aes128"]; integrity = ["sha1"]; dh-group = [14, 2];
                    lifetime-seconds = 120; } );
esp-proposals = ( { name = "esp"; encryption = ["aes128"]; integrity = ["sha1"]; pfs-group = [14]; },
                  { name = "esp-nopfs"; encryption = ["aes256", "aes128"]; integrity = ["sha1"]; } );
pools = ( { name = "pool"; range = "10.7.0.10-10.7.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "policy"; protocols = ["ikev1"]; pfs = true; idle-timeout = 15; },
                   { name = "ez-policy"; protocols = ["ikev1"]; idle-timeout = 0; } );
users = ( { name = "alice"; password-hash = "$hash"; }, { name = "bob"; password-hash = "$hash_b"; },
          { name = "carol"; password-hash = "$hash_c"; }, { name = "dave"; password-hash = "$hash_d"; } );
tunnel-groups = ( { name = "mm"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    peer-address = ["0.0.0.0/0"]; address-pool = "pool"; group-policy = "policy";
                    ike-proposals = ["mm"]; esp-proposals = ["esp"]; },
                  { name = "ez"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "ezgroup"; address-pool = "pool"; group-policy = "ez-policy";
                    ike-proposals = ["short"]; esp-proposals = ["esp-nopfs"]; } );
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

# carol and dave: vpnc in a tunnel group whose ISAKMP SAs live 120 s (their
# clocks run while bob does his part; see the end for what happens then).
# vpnc's own debug output (level 3: its phase 1 rekey, every exchange) is
# in vpnc-carol/ and vpnc-dave/.
export VPNC_DEBUG=3
vpnc_conf carol --gateway "$TB_GW_ADDR" --group ezgroup --secret "$KEY" --user carol --password "$PASSWORD_C" \
  --pfs nopfs
# vpnc without DPD ("both ways": no DPD vendor ID) has no timer in its
# main loop, and that is where it would rekey: it never does.
vpnc_conf dave --gateway "$TB_GW_ADDR" --group ezgroup --secret "$KEY" --user dave --password "$PASSWORD_D" \
  --pfs nopfs --line "DPD idle timeout (our side) 0"
vpnc_up c3 carol || tb_fail "vpnc (carol) did not connect"
vpnc_up c4 dave || tb_fail "vpnc (dave) did not connect"
unset VPNC_DEBUG
caddr=$(vpnc_env carol INTERNAL_IP4_ADDRESS)
daddr=$(vpnc_env dave INTERNAL_IP4_ADDRESS)
first_sa_of() {
  grep -oE "session=ikev1#[0-9]+\] session up: user $1" "$TB_RESULTS/vpnd.log" | grep -oE "ikev1#[0-9]+" | head -n 1
}
spis_of() {
  grep -E "session=$1\] IPsec SA installed" "$TB_RESULTS/vpnd.log" |
    sed -n 's/.*spi in \(0x[0-9a-f]*\) out \(0x[0-9a-f]*\).*/\1 \2/p' | head -n 1
}
carol_sa=$(first_sa_of carol)
dave_sa=$(first_sa_of dave)
read -r carol_in carol_out < <(spis_of "$carol_sa")
read -r dave_in dave_out < <(spis_of "$dave_sa")
[ -n "$carol_in" ] || tb_fail "no IPsec SA for carol in the log"
[ -n "$dave_in" ] || tb_fail "no IPsec SA for dave in the log"
cidx=$(vpnd_session_field "$caddr" index)
# vpnc checks its ISAKMP SA's age whenever its main loop wakes up and
# rekeys phase 1 once 80 % (96 s) of the lifetime vpnd gave it are over;
# carol's ping wakes it every second, so it rekeys 24 s before vpnd's
# 120 s are over, whatever the load. Idle, vpnc wakes only for vpnd's
# R-U-THERE (every other dpd-interval): then either end could come first.
ip netns exec "$(tb_ns c3)" ping -i 1 -W 2 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-carol.log" 2>&1 &
carol_ping=$!
TB_PIDS+=("$carol_ping")

# ---- bob: two Quick Modes on one ISAKMP SA, then phase 1 re-authentication --
# Two CHILD SAs: srv, and the gateway's inside address (as the Cisco VPN
# Client asks for the gateway's own address and for 0.0.0.0/0). strongSwan
# runs its exchanges one after the other, so these two Quick Modes follow
# each other on the ISAKMP SA; vpnd keeps Quick Modes by message ID, each
# with its own IV chain, and gives each set of networks its own IPsec SAs.
ss_client_start c2 bob
ss_client_conn bob vpn2 --remote "$TB_GW_ADDR" --version 1 --psk client2.example.org "$KEY" \
  --xauth bob "$PASSWORD_B" --ike aes128-sha1-modp2048 --esp aes128-sha1-modp2048 \
  --remote-ts "$TB_SRV_ADDR/32" --extra-child gwin "$TB_GW_INSIDE/32" --reauth-ike 40s \
  --set over_time=20s --set rand_time=5s
ss_client_up bob vpn2 || tb_fail "bob's tunnel to srv did not come up"
ss_client_up bob gwin || tb_fail "bob's second CHILD SA (the gateway's inside address) did not come up"
bvip=$(ss_client_vip bob) || tb_fail "bob got no virtual IP"
first=$(grep -oE "session=ikev1#[0-9]+\] session up: user bob" "$TB_RESULTS/vpnd.log" | grep -oE "ikev1#[0-9]+" | head -n 1)
[ -n "$first" ] || tb_fail "no session for bob in the log"
bidx=$(vpnd_session_field "$bvip" index)
vpnd_log_has "session=$first\] IPsec SA installed: .* proxy IDs $bvip/32 === $TB_SRV_ADDR/32"
vpnd_log_has "session=$first\] IPsec SA installed: .* proxy IDs $bvip/32 === $TB_GW_INSIDE/32"
mapfile -t bob_spis < <(ss_child_spis bob)
[ "${#bob_spis[@]}" -eq 2 ] || tb_fail "bob has ${#bob_spis[@]} CHILD SAs, not 2"
tb_exec c2 ping -c 3 -W 2 "$TB_SRV_ADDR" > /dev/null || tb_fail "no ping to srv"
tb_exec c2 ping -c 3 -W 2 "$TB_GW_INSIDE" > /dev/null || tb_fail "no ping to the gateway's inside address"
for pair in "${bob_spis[@]}"; do
  read -r in out <<< "$pair"
  tb_wait 10 packets_at_least "$in" 1 || tb_fail "vpnd's SA $in carried nothing"
  tb_wait 10 packets_at_least "$out" 1 || tb_fail "vpnd's SA $out carried nothing"
done
tb_log "bob: one ISAKMP SA ($first), two pairs of IPsec SAs: ${bob_spis[*]}"


# Re-authentication: strongSwan (reauth_time 40s minus up to 5s; IKEv1 has
# no rekeying of an ISAKMP SA; it proposes reauth_time + over_time = 60 s
# as the ISAKMP SA's lifetime, which vpnd takes: the re-authentication
# starts well before vpnd would end the old SA with the session, even on a
# loaded test bed) runs a new Main Mode, XAuth and Mode Config asking for the
# address it has, and migrates its CHILD SAs to the new IKE SA without new
# Quick Modes: make-before-break, its kernel SAs stay as they are. vpnd
# moves the session to the new ISAKMP SA with the same address and IPsec
# SAs, so no packet needs to be lost; two lost pings (0.4 s) are allowed
# for the test bed's scheduling on a shared CPU, a torn-down session would
# lose far more (and change the session number and SPIs, checked below).
ip netns exec "$(tb_ns c2)" ping -i 0.2 -W 2 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-reauth.log" 2>&1 &
ping_pid=$!
TB_PIDS+=("$ping_pid")
vpnd_log_has "user bob re-authenticated: ISAKMP SA ikev1#[0-9]+ takes over session $bidx \(address $bvip, 2 IPsec SA pairs\) from ISAKMP SA $first" 90 ||
  tb_fail "bob's session did not move to a new ISAKMP SA"
second=$(grep -oE "ISAKMP SA ikev1#[0-9]+ takes over session $bidx " "$TB_RESULTS/vpnd.log" | grep -oE "ikev1#[0-9]+" | head -n 1)
# The old ISAKMP SA goes (the client deletes it, or its lifetime ends),
# without the session.
vpnd_log_has "session=$first\] ISAKMP SA deleted: " 30 || tb_fail "the old ISAKMP SA $first was not deleted"
! grep -q "session=$first\] session down" "$TB_RESULTS/vpnd.log" || tb_fail "the old ISAKMP SA took the session down"
sleep 3
kill -INT "$ping_pid" 2> /dev/null || true
wait "$ping_pid" 2> /dev/null || true
read -r transmitted received < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' \
  "$TB_RESULTS/ping-reauth.log") || true
tb_log "ping every 0.2 s across the re-authentication ($first -> $second): ${received:-0} of ${transmitted:-0} answered"
[ "${transmitted:-0}" -ge 50 ] || tb_fail "only ${transmitted:-0} pings sent across the re-authentication"
[ $(( ${transmitted:-0} - ${received:-0} )) -le 2 ] ||
  tb_fail "$(( ${transmitted:-0} - ${received:-0} )) of ${transmitted:-0} pings lost across the re-authentication"
[ "$(vpnd_session_field "$bvip" index)" = "$bidx" ] || tb_fail "bob's session changed across the re-authentication"
[ "$(ss_client_vip bob)" = "$bvip" ] || tb_fail "bob's address changed across the re-authentication"
mapfile -t bob_spis2 < <(ss_child_spis bob)
[ "${bob_spis2[*]}" = "${bob_spis[*]}" ] || tb_fail "bob's IPsec SAs changed: ${bob_spis[*]} -> ${bob_spis2[*]}"
read -r in out <<< "${bob_spis[0]}"
before=$(tb_xfrm_packets gw "$in")
tb_exec c2 ping -c 3 -W 2 "$TB_SRV_ADDR" > /dev/null || tb_fail "no ping after the re-authentication"
[ "$(tb_xfrm_packets gw "$in")" -gt "$before" ] || tb_fail "vpnd's SA $in carries nothing after the re-authentication"
# vpnctl terminate ends the session through its new owner.
vpnctl terminate "$bvip" > /dev/null || tb_fail "vpnctl terminate failed"
vpnd_log_has "session=$second\] session down: user bob, address $bvip" 10 || tb_fail "the session did not end with $second"

# carol: vpnc's phase 1 rekey. The new ISAKMP SA takes over her session
# (same number, address and IPsec SAs) without Mode Config, and tells
# vpnc its lifetime: vpnc waits for that message before it forwards again.
vpnd_log_has "user carol re-authenticated: ISAKMP SA ikev1#[0-9]+ takes over session $cidx \(address $caddr, 1 IPsec SA pairs\) from ISAKMP SA $carol_sa" 150 ||
  tb_fail "vpnc's phase 1 rekey did not take over carol's session"
carol_new=$(grep -oE "user carol re-authenticated: ISAKMP SA ikev1#[0-9]+" "$TB_RESULTS/vpnd.log" | grep -oE "ikev1#[0-9]+" |
  head -n 1)
tb_log "vpnc rekeyed phase 1: $carol_new took over carol's session from $carol_sa"
vpnd_log_has "session=$carol_new\] Mode Config: re-authenticated client keeps its address" 10 ||
  tb_fail "$carol_new did not go ready without Mode Config"
vpnd_log_has "session=$carol_new\] sending INFORMATIONAL 0x[0-9a-f]+ \[ HASH N\(RESP_LIFETIME\) \]" 10 ||
  tb_fail "$carol_new did not tell vpnc its lifetime"
# vpnc then deletes its old ISAKMP SA (vpnc 0.5.3 names the new one in
# that DELETE; vpnd takes it for the old one while the IPsec SAs stay):
# only the old ISAKMP SA goes.
vpnd_log_has "session=$carol_sa\] ISAKMP SA deleted: deleted by the client through ISAKMP SA $carol_new" 30 ||
  tb_fail "vpnc's DELETE after the rekey did not remove the old ISAKMP SA $carol_sa"
! grep -Eq "session=($carol_sa|$carol_new)\] session down" "$TB_RESULTS/vpnd.log" ||
  tb_fail "carol's session ended across the phase 1 rekey"
[ "$(vpnd_session_field "$caddr" index)" = "$cidx" ] || tb_fail "carol's session changed across the phase 1 rekey"
before=$(tb_xfrm_packets gw "$carol_in")
tb_exec c3 ping -c 3 -W 2 "$TB_SRV_ADDR" > /dev/null || tb_fail "carol cannot ping after her phase 1 rekey"
[ "$(tb_xfrm_packets gw "$carol_in")" -gt "$before" ] || tb_fail "carol's SA $carol_in carries nothing after the rekey"
kill -INT "$carol_ping" 2> /dev/null || true
wait "$carol_ping" 2> /dev/null || true
read -r transmitted received < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' \
  "$TB_RESULTS/ping-carol.log") || true
tb_log "carol's ping every second across the phase 1 rekey: ${received:-0} of ${transmitted:-0} answered"
# vpnc forwards nothing while it rekeys (its exchanges block); without
# the lifetime message it stayed deaf until vpnd's next R-U-THERE, 30 to
# 60 s. A few seconds' worth of pings are allowed for a loaded test bed.
[ "${transmitted:-0}" -ge 60 ] || tb_fail "only ${transmitted:-0} pings sent by carol"
[ $(( ${transmitted:-0} - ${received:-0} )) -le 10 ] ||
  tb_fail "$(( ${transmitted:-0} - ${received:-0} )) of carol's ${transmitted:-0} pings lost across her phase 1 rekey"
vpnctl terminate carol > /dev/null || tb_fail "vpnctl terminate carol failed"
vpnd_log_has "session=$carol_new\] session down: user carol, address $caddr" 10 ||
  tb_fail "carol's session did not end with $carol_new"
tb_wait 10 sa_gone "$carol_in" || tb_fail "carol's SA $carol_in is still in the kernel"
tb_wait 10 sa_gone "$carol_out" || tb_fail "carol's SA $carol_out is still in the kernel"
[ -z "$(vpnd_session_field "$caddr" index)" ] || tb_fail "carol still has a session"

# dave: vpnc that never rekeys. vpnd's lifetime ends his session (as a
# Cisco head end does): its SAs leave the kernel, the address goes back.
vpnd_log_has "session=$dave_sa\] session down: user dave, address $daddr: ISAKMP SA lifetime expired" 150 ||
  tb_fail "dave's session did not end with his ISAKMP SA's lifetime"
! grep -q "user dave re-authenticated" "$TB_RESULTS/vpnd.log" || tb_fail "vpnc without DPD rekeyed phase 1"
tb_wait 10 sa_gone "$dave_in" || tb_fail "dave's SA $dave_in is still in the kernel"
tb_wait 10 sa_gone "$dave_out" || tb_fail "dave's SA $dave_out is still in the kernel"
[ -z "$(vpnd_session_field "$daddr" index)" ] || tb_fail "dave still has a session"
tb_log "vpnc without DPD did not rekey: the lifetime of $dave_sa ended dave's session"

vpnd_stop
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after vpnd stopped"
