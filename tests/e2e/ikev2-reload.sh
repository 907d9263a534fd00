#!/bin/bash
# Sessions across configuration reloads.  A reload of a broken file is
# refused with file:line and changes nothing: both clients keep passing
# traffic.  A good reload that changes tunnel group rw's PSK and removes
# tunnel group guests: the rw client keeps its tunnel (its IKE SA holds a
# reference on the configuration it was negotiated under), the guests
# client's session ends (DELETE: its charon sees it; `vpnctl reload` and the
# log say which session and why), new negotiations use the new PSK, and the
# old session still ends cleanly afterwards.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

OLD_PSK=ikev2-reload-old-3c1d
NEW_PSK=ikev2-reload-new-88e0
GUEST_PSK=ikev2-reload-guest-19ab
tb_topology_remote_access --direct 3

guest_group() {
  echo ", { name = \"guests\"; ike-version = 2; authentication = \"psk\"; psk = \"$GUEST_PSK\";"
  echo "    identity = [\"email:*@guest.example\"]; group-policy = \"gp\"; address-pool = \"rw-pool\";"
  echo "    ike-proposals = [\"modern\"]; esp-proposals = [\"cbc\"]; }"
}
write_conf() {   # write_conf PSK [GUEST_GROUP]
  vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$1";
                    identity = ["email:*@example.com"]; group-policy = "gp"; address-pool = "rw-pool";
                    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } ${2:-} );
CONF
}
write_conf "$OLD_PSK" "$(guest_group)"
vpnd_start

ss_client_start c1 first
ss_client_conn first vpn --remote "$TB_GW_ADDR" --psk first@example.com "$OLD_PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up first vpn || tb_fail "the first client's tunnel did not come up"
vip1=$(ss_client_vip first) || tb_fail "no virtual IP for the first client"
ss_client_start c3 guest
ss_client_conn guest vpn --remote "$TB_GW_ADDR" --psk visitor@guest.example "$GUEST_PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up guest vpn || tb_fail "the guest's tunnel did not come up"
vip_g=$(ss_client_vip guest) || tb_fail "no virtual IP for the guest"
[ "$(vpnd_session_field "$vip_g" tunnel_group)" = guests ] || tb_fail "the guest is not in tunnel group guests"

# ---- a broken file: refused with file:line, nothing changes ------------------------------
printf 'pools = ( { name = "broken"; range = "10.9.9.9-10.9.9.1"; } );\n' >> "$TB_RESULTS/vpnd.conf"
if vpnctl reload > "$TB_RESULTS/reload-broken.log" 2>&1; then
  tb_fail "a reload of a broken file succeeded"
fi
grep -q "vpnd.conf:[0-9]*:" "$TB_RESULTS/reload-broken.log" ||
  tb_fail "the failed reload does not name file:line: $(cat "$TB_RESULTS/reload-broken.log")"
tb_exec c1 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "the first client lost its tunnel in a failed reload"
tb_exec c3 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "the guest lost its tunnel in a failed reload"
[ "$(vpnd_session_count)" -eq 2 ] || tb_fail "a failed reload changed the sessions"

# ---- a good reload: new PSK for rw, guests removed ----------------------------------------
write_conf "$NEW_PSK"
vpnctl reload > "$TB_RESULTS/reload.log" 2>&1 || tb_fail "reload failed: $(cat "$TB_RESULTS/reload.log")"
vpnd_log_has "configuration reloaded"
grep -q "ended session [0-9]* (user visitor@guest.example, tunnel group guests): tunnel group 'guests' was removed by a reload" \
  "$TB_RESULTS/reload.log" || tb_fail "vpnctl reload does not report the guest's session: $(cat "$TB_RESULTS/reload.log")"
vpnd_log_has "session down: user visitor@guest.example, address $vip_g: tunnel group 'guests' was removed by a reload"
guest_gone() { ! ss_client_sas guest | grep -q ESTABLISHED; }
tb_wait 20 guest_gone
[ -z "$(tb_exec gw ip route show "$vip_g")" ] || tb_fail "the guest's route is still on gw"

# The rw session goes on under the configuration it began with.
tb_exec c1 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "the first client lost its tunnel in the reload"
[ "$(vpnd_session_field "$vip1" tunnel_group)" = rw ] || tb_fail "the first session is not in rw any more"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "expected only the first session after the reload"

# New clients: the old key is refused, the new one accepted.
ss_client_start c2 second
ss_client_conn second old --remote "$TB_GW_ADDR" --psk second@example.com "$OLD_PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up second old 30 && tb_fail "the old key still works after the reload"
vpnd_log_has "identity 'second@example.com', tunnel group rw: pre-shared key mismatch"
# (Another identity: charon would pick the first secret for the same pair of IDs.)
ss_client_conn second new --remote "$TB_GW_ADDR" --psk third@example.com "$NEW_PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up second new || tb_fail "the new key is refused after the reload"
vip2=$(ss_client_vip second) || tb_fail "no virtual IP for the second client"
[ "$vip2" != "$vip1" ] || tb_fail "the pool gave $vip1 twice across the reload"
[ "$(vpnd_session_field "$vip2" tunnel_group)" = rw ] || tb_fail "the second session is not in rw"
tb_exec c2 ping -c 1 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "the second client cannot ping srv"

# The session from before the reload ends cleanly.
ss_client_down first vpn || tb_fail "the first client could not close its tunnel"
vpnd_log_has "session down: user first@example.com, address $vip1: deleted by the client" 20
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "expected one session left"
kill -0 "$VPND_PID" || tb_fail "vpnd died"
