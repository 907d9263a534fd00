#!/bin/bash
# Rekeying (RFC 7296 1.3.2, 1.3.3): a strongSwan client rekeys its CHILD SA
# every few seconds; vpnd answers CREATE_CHILD_SA with new SPIs, installs the
# new pair beside the old one, removes the old pair when the client deletes
# it, and traffic keeps flowing over the new SAs.  The client also rekeys its
# IKE SA: a new IKE SA (new SPIs, new Diffie-Hellman) takes over the CHILD
# SA and the session, and the old one goes on the client's DELETE.  The
# session (address, route, policies) survives every rekey.  A second client
# rekeys its CHILD SA with PFS (a KE payload; vpnd's esp-proposal lists the
# group as pfs-group, the Diffie-Hellman runs on a worker) under a
# continuous ping that loses at most one packet.
# e2e-timeout: 300
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-rekey-key-77a1
tb_topology_remote_access --direct 2

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "gcm"; encryption = ["aes256gcm16"]; pfs-group = [19]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    group-policy = "gp"; address-pool = "rw-pool"; ike-proposals = ["modern"];
                    esp-proposals = ["gcm"]; } );
CONF
vpnd_start

ss_client_start c1 rekeyer
ss_client_conn rekeyer vpn --remote "$TB_GW_ADDR" --psk rekeyer@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256gcm16 --rekey-child 6s --life-child 20s --rand-child 3s --rekey-ike 12s
ss_client_up rekeyer vpn || tb_fail "the tunnel did not come up"
vip=$(ss_client_vip rekeyer) || tb_fail "no virtual IP"
# strongSwan subtracts a random time from rekey_time, so rekeys come every
# few seconds at most.  Two rekeys, each old pair deleted by the client:
tb_wait 90 bash -c "[ \$(grep -c 'CHILD_SA rekeyed:' '$TB_RESULTS/vpnd.log') -ge 2 ]"
tb_wait 30 bash -c "[ \$(grep -c 'rekeyed CHILD_SA deleted by the client' '$TB_RESULTS/vpnd.log') -ge 2 ]"
# Every old pair that was deleted is gone from the kernel.
grep -o 'rekeyed CHILD_SA deleted by the client: spi in 0x[0-9a-f]*' "$TB_RESULTS/vpnd.log" |
  awk '{ print $NF }' | while read -r spi; do
    [ -z "$(tb_exec gw ip xfrm state list spi "$spi")" ] || tb_fail "the deleted inbound SA $spi is still on gw"
  done
# At most the current pair and one being replaced.
n=$(tb_xfrm_state_count gw)
[ "$n" -eq 2 ] || [ "$n" -eq 4 ] || tb_fail "gw has $n xfrm states during rekeys"

# The IKE SA too, and the old one is deleted by the client.
tb_wait 60 grep -q "IKE_SA rekeyed: " "$TB_RESULTS/vpnd.log"
vpnd_log_has "IKE_SA deleted: deleted by the client" 20
vpnd_log_has "received CREATE_CHILD_SA request 0 \\[ N\\(REKEY_SA\\)" 30

# Traffic flows over the new SAs.
tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping.log" || tb_fail "no ping after the rekeys"
[ "$(tb_xfrm_policy_count gw)" -eq 3 ] || tb_fail "gw has $(tb_xfrm_policy_count gw) policies, expected 3"
tb_exec gw ip route show "$vip" | grep -q "proto 86" || tb_fail "the route to $vip went away in a rekey"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "the session did not survive the rekeys"

ss_client_down rekeyer vpn || tb_fail "the client could not close its tunnel"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ -z "$(tb_exec gw ip route show proto 86)" ] || tb_fail "the route stays after the client left"

# ---- a client's rekeys with PFS under a continuous ping --------------------------------
ss_client_start c2 pfsrekeyer
ss_client_conn pfsrekeyer vpn --remote "$TB_GW_ADDR" --psk pfsrekeyer@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256gcm16-ecp256 --rekey-child 6s --life-child 20s --rand-child 3s --rekey-ike 1h
ss_client_up pfsrekeyer vpn || tb_fail "the PFS client's tunnel did not come up"
pfs_rekeys() { grep -c "user=pfsrekeyer@example.com.*CHILD_SA rekeyed: .*, PFS ECP-256 " "$TB_RESULTS/vpnd.log" || true; }
before=$(pfs_rekeys)
tb_daemon c2 ping-pfs ping -D -i 0.2 -W 2 "$TB_SRV_ADDR"
ping_pfs=$TB_LAST_PID
# Three rekeys while the ping runs.
pfs_rekeyed() { [ "$(pfs_rekeys)" -ge $((before + 3)) ]; }
tb_wait 90 pfs_rekeyed
vpnd_log_has "received CREATE_CHILD_SA request [0-9]+ \\[ N\\(REKEY_SA\\) SA No KE TSi TSr"
vpnd_log_has "sending CREATE_CHILD_SA response [0-9]+ \\[ SA No KE TSi TSr \\]"
tb_wait 30 bash -c "[ \$(grep -c 'user=pfsrekeyer@example.com.*rekeyed CHILD_SA deleted by the client' '$TB_RESULTS/vpnd.log') -ge 2 ]"
kill -INT "$ping_pfs"
wait "$ping_pfs" 2> /dev/null || true
stats=$(grep "packets transmitted" "$TB_RESULTS/ping-pfs.log") || tb_fail "no ping statistics"
tx=$(awk '{ print $1 }' <<< "$stats") rx=$(awk '{ print $4 }' <<< "$stats")
tb_log "PFS rekeys: $(pfs_rekeys); $tx pings sent, $rx answered"
[ "$tx" -ge 10 ] || tb_fail "only $tx pings were sent"
[ $((tx - rx)) -le 1 ] || tb_fail "$((tx - rx)) pings lost across the PFS rekeys"
ss_client_down pfsrekeyer vpn || tb_fail "the PFS client could not close its tunnel"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
