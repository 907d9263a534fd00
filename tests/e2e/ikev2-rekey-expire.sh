#!/bin/bash
# vpnd rekeys CHILD SAs itself (RFC 7296 1.3.3, issue 3 test 7): the ESP
# proposal's volume lifetime is short (lifetime-kilobytes = 10), so the
# kernel's soft expiry of an SA comes every few seconds under a continuous
# ping, and vpnd answers it with CREATE_CHILD_SA { N(REKEY_SA) SA Ni TSi TSr }
# -- with a KE payload (PFS) in the tunnel group whose group policy says
# pfs = true -- installs the new pair, then DELETEs the old one.  The
# strongSwan clients never rekey on their own (rekey time 1 h).  Across
# several rekeys per client, at most one ping is lost, the client sees new
# SPIs, the old SAs leave gw's kernel, and the new SAs carry the traffic.
# Then a client whose IKE traffic is dropped (ESP still flows) cannot answer
# the rekey: the kernel's hard expiry removes the SA, and vpnd ends the
# session and removes what was left of the CHILD SA.
# e2e-timeout: 420
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-rekey-expire-key-90d3
REKEYS=3
tb_topology_remote_access --direct 3

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "short"; encryption = ["aes256gcm16"]; pfs-group = [19]; lifetime-kilobytes = 10; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = (
  { name = "plain"; split-tunnel-policy = "tunnel-specified"; split-tunnel-networks = ["$TB_PROTECTED_NET"]; },
  { name = "pfs"; pfs = true; split-tunnel-policy = "tunnel-specified";
    split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
tunnel-groups = (
  { name = "plain"; ike-version = 2; authentication = "psk"; psk = "$PSK"; identity = ["email:plain@*"];
    group-policy = "plain"; address-pool = "rw-pool"; ike-proposals = ["modern"]; esp-proposals = ["short"]; },
  { name = "pfs"; ike-version = 2; authentication = "psk"; psk = "$PSK"; identity = ["email:pfs@*"];
    group-policy = "pfs"; address-pool = "rw-pool"; ike-proposals = ["modern"]; esp-proposals = ["short"]; } );
CONF
vpnd_start

# c1 without PFS, c2 with: its ESP proposal names the group, so it accepts
# (and demands) a KE payload in a rekey.
ss_client_start c1 plain
ss_client_conn plain vpn --remote "$TB_GW_ADDR" --psk plain@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256gcm16 --remote-ts "$TB_PROTECTED_NET" --rekey-child 1h --life-child 2h
ss_client_start c2 pfs
ss_client_conn pfs vpn --remote "$TB_GW_ADDR" --psk pfs@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256gcm16-ecp256 --remote-ts "$TB_PROTECTED_NET" --rekey-child 1h --life-child 2h
ss_client_up plain vpn || tb_fail "the tunnel of c1 did not come up"
ss_client_up pfs vpn || tb_fail "the tunnel of c2 did not come up"
declare -A first_spis
first_spis[plain]=$(ss_child_spis plain)
first_spis[pfs]=$(ss_child_spis pfs)

# Continuous pings, 5 per second, through both tunnels.
tb_daemon c1 ping-plain ping -D -i 0.2 -W 2 "$TB_SRV_ADDR"
ping_plain=$TB_LAST_PID
tb_daemon c2 ping-pfs ping -D -i 0.2 -W 2 "$TB_SRV_ADDR"
ping_pfs=$TB_LAST_PID

# ---- several rekeys by vpnd per client, each old pair deleted by vpnd --------------------
rekeys() { grep -c "user=$1@example.com.*CHILD_SA rekeyed by vpnd" "$TB_RESULTS/vpnd.log" || true; }
deletes() { grep -c "user=$1@example.com.*rekeyed CHILD_SA deleted: " "$TB_RESULTS/vpnd.log" || true; }
all_rekeyed() { [ "$(rekeys plain)" -ge $REKEYS ] && [ "$(rekeys pfs)" -ge $REKEYS ]; }
all_deleted() { [ "$(deletes plain)" -ge $REKEYS ] && [ "$(deletes pfs)" -ge $REKEYS ]; }
tb_wait 240 all_rekeyed
tb_wait 30 all_deleted
tb_log "rekeys by vpnd: plain $(rekeys plain), pfs $(rekeys pfs)"
vpnd_log_has "reached its soft lifetime: rekeying CHILD_SA"
vpnd_log_has "sending CREATE_CHILD_SA request [0-9]+ \\[ N\\(REKEY_SA\\) SA No TSi TSr \\]"
vpnd_log_has "sending CREATE_CHILD_SA request [0-9]+ \\[ N\\(REKEY_SA\\) SA No KE TSi TSr \\]"
[ "$(grep -c "user=pfs@example.com.*CHILD_SA rekeyed by vpnd: .*, PFS ECP-256 " "$TB_RESULTS/vpnd.log")" -ge $REKEYS ] ||
  tb_fail "the pfs client's rekeys did not all use PFS"
grep -E "user=plain@example.com.*CHILD_SA rekeyed by vpnd: .*PFS" "$TB_RESULTS/vpnd.log" > /dev/null &&
  tb_fail "the plain client's rekey used PFS"
grep -q "reached its hard lifetime" "$TB_RESULTS/vpnd.log" && tb_fail "an SA reached its hard lifetime"
[ "$(vpnd_session_count)" -eq 2 ] || tb_fail "a session did not survive the rekeys"

# Whether gw's SAs of the pair client NAME uses now carried at least 3 packets each.
current_pair_carries() {
  local in out a b
  read -r in out <<< "$(ss_child_spis "$1" | tail -n 1)"
  a=$(tb_xfrm_packets gw "$in") b=$(tb_xfrm_packets gw "$out")
  [ -n "$a" ] && [ -n "$b" ] && [ "$a" -ge 3 ] && [ "$b" -ge 3 ]
}

# ---- the SAs now: new SPIs on the client, old ones gone from gw, counters moving ------------
for name in plain pfs; do
  read -r in out <<< "$(ss_child_spis "$name" | tail -n 1)"
  [ "$in $out" != "${first_spis[$name]}" ] || tb_fail "$name still uses its first SPIs $in $out"
  grep -o "user=$name@example.com.*rekeyed CHILD_SA deleted: spi in 0x[0-9a-f]*" "$TB_RESULTS/vpnd.log" |
    awk '{ print $NF }' | while read -r spi; do
      [ -z "$(tb_exec gw ip xfrm state list spi "$spi")" ] || tb_fail "the deleted inbound SA $spi is still on gw"
    done
  # The pair the client uses now carries the pings on gw (read again if a
  # rekey replaced it meanwhile).
  tb_wait 20 current_pair_carries "$name"
done
n=$(tb_xfrm_state_count gw)
[ "$n" -ge 4 ] && [ "$n" -le 8 ] || tb_fail "gw has $n xfrm states for 2 clients during rekeys"

# ---- at most one lost ping per client ------------------------------------------------------
kill -INT "$ping_plain" "$ping_pfs"
wait "$ping_plain" "$ping_pfs" 2> /dev/null || true
for name in plain pfs; do
  stats=$(grep "packets transmitted" "$TB_RESULTS/ping-$name.log") || tb_fail "no ping statistics for $name"
  tx=$(awk '{ print $1 }' <<< "$stats") rx=$(awk '{ print $4 }' <<< "$stats")
  tb_log "$name: $tx pings sent, $rx answered"
  [ "$tx" -ge 50 ] || tb_fail "$name sent only $tx pings"
  [ $((tx - rx)) -le 1 ] || tb_fail "$name lost $((tx - rx)) pings across the rekeys"
done

ss_client_down plain vpn || tb_fail "c1 could not close its tunnel"
ss_client_down pfs vpn || tb_fail "c2 could not close its tunnel"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "policies stay after the clients left"

# ---- no answer to the rekey: the hard lifetime ends the session --------------------------------
ss_client_start c3 mute
ss_client_conn mute vpn --remote "$TB_GW_ADDR" --psk plain@mute.example "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256gcm16 --remote-ts "$TB_PROTECTED_NET" --rekey-child 1h --life-child 2h
ss_client_up mute vpn || tb_fail "the tunnel of c3 did not come up"
# IKE (UDP 500/4500) is dropped in c3; ESP is not.
tb_exec c3 nft -f - <<'NFT'
table inet mute {
  chain in { type filter hook input priority -300; udp sport { 500, 4500 } drop; }
  chain out { type filter hook output priority -300; udp dport { 500, 4500 } drop; }
}
NFT
tb_daemon c3 ping-mute ping -D -i 0.2 -W 2 "$TB_SRV_ADDR"
vpnd_log_has "user=plain@mute.example.*reached its soft lifetime: rekeying CHILD_SA" 120
vpnd_log_has "user=plain@mute.example.*SA 0x[0-9a-f]+ of CHILD_SA spi in 0x[0-9a-f]+ out 0x[0-9a-f]+ reached its hard lifetime without a rekey" 60
vpnd_log_has "session down: user plain@mute.example, address 10.3.0.[0-9]+: CHILD_SA expired \\(hard lifetime\\)" 10
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "the expired session is still listed"
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw still has $(tb_xfrm_state_count gw) xfrm states"
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw still has $(tb_xfrm_policy_count gw) policies"
[ -z "$(tb_exec gw ip route show proto 86)" ] || tb_fail "the route to the expired client stays"
