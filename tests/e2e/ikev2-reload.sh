#!/bin/bash
# Sessions survive a configuration reload: a client connected under the old
# configuration keeps its tunnel (its IKE SA holds a reference on the
# configuration it was negotiated under), new negotiations use the new one
# (the changed PSK), and the old session still ends cleanly afterwards.
# e2e-timeout: 300
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

OLD_PSK=ikev2-reload-old-3c1d
NEW_PSK=ikev2-reload-new-88e0
tb_topology_remote_access --direct 2

write_conf() {
  vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
tunnel-groups = ( { name = "$1"; ike-version = 2; authentication = "psk"; psk = "$2";
                    group-policy = "gp"; address-pool = "rw-pool"; ike-proposals = ["modern"];
                    esp-proposals = ["cbc"]; } );
CONF
}
write_conf rw-old "$OLD_PSK"
vpnd_start

ss_client_start c1 first
ss_client_conn first vpn --remote "$TB_GW_ADDR" --psk first@example.com "$OLD_PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up first vpn || tb_fail "the first client's tunnel did not come up"
vip1=$(ss_client_vip first) || tb_fail "no virtual IP for the first client"

write_conf rw-new "$NEW_PSK"
vpnctl reload > "$TB_RESULTS/reload.log" 2>&1 || tb_fail "reload failed: $(cat "$TB_RESULTS/reload.log")"
vpnd_log_has "configuration reloaded"

# The old session goes on under the old tunnel group.
tb_exec c1 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "the first client lost its tunnel in the reload"
[ "$(vpnd_session_field "$vip1" tunnel_group)" = rw-old ] || tb_fail "the first session is not in rw-old any more"

# New clients: the old key is refused, the new one accepted.
ss_client_start c2 second
ss_client_conn second old --remote "$TB_GW_ADDR" --psk second@example.com "$OLD_PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up second old 30 && tb_fail "the old key still works after the reload"
vpnd_log_has "identity 'second@example.com', tunnel group rw-new: pre-shared key mismatch"
# (Another identity: charon would pick the first secret for the same pair of IDs.)
ss_client_conn second new --remote "$TB_GW_ADDR" --psk third@example.com "$NEW_PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up second new || tb_fail "the new key is refused after the reload"
vip2=$(ss_client_vip second) || tb_fail "no virtual IP for the second client"
[ "$vip2" != "$vip1" ] || tb_fail "the pool gave $vip1 twice across the reload"
[ "$(vpnd_session_field "$vip2" tunnel_group)" = rw-new ] || tb_fail "the second session is not in rw-new"
tb_exec c2 ping -c 1 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "the second client cannot ping srv"

# The session from before the reload ends cleanly.
ss_client_down first vpn || tb_fail "the first client could not close its tunnel"
vpnd_log_has "session down: user first@example.com, address $vip1: deleted by the client" 20
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "expected one session left"
kill -0 "$VPND_PID" || tb_fail "vpnd died"
