#!/bin/bash
# vpnd's IKEv2 responder against a strongSwan road warrior with a PSK: the
# client gets an address from the pool, the DNS server (installed in its
# resolv.conf) and the domain (its charon parses and processes
# INTERNAL_DNS_DOMAIN) but not the Cisco banner and default domain it did not
# ask for; it pings srv through
# ESP (which it cannot reach without the tunnel), the counters of vpnd's SAs
# move, `vpnctl sessions` lists the session with that address; the client
# disconnects and the session, SAs, policies, route and lease are gone (the
# next client gets the same address back).  Handshake times go to times.txt.
# e2e-timeout: 400
set -euo pipefail
shopt -s extglob
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-psk-test-7c2e91
DNS=198.51.100.53
tb_topology_remote_access --direct 1
times="$TB_RESULTS/times.txt"
: > "$times"

tb_exec c1 ping -c 1 -W 1 "$TB_SRV_ADDR" > /dev/null 2>&1 &&
  tb_fail "c1 reaches the protected host without a tunnel"

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256", "aes128"]; integrity = ["sha256"];
                    dh-group = [19, 14]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256", "aes128"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "rw-policy"; dns = ["$DNS"]; default-domain = "corp.example";
                     banner = "Authorized use only";
                     split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; protocols = ["ikev2"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; address-pool = "rw-pool";
                    group-policy = "rw-policy"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start

ss_client_start c1 alice
ss_client_conn alice vpn --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up alice vpn || tb_fail "the tunnel did not come up"
echo "handshake (IKE_SA_INIT + IKE_AUTH): ${SS_UP_SECONDS}s" >> "$times"

# ---- the client's side: address, DNS, domain -----------------------------------
vip=$(ss_client_vip alice) || tb_fail "alice got no virtual IP"
[[ $vip == 10.3.0.1[0-9] || $vip == 10.3.0.20 ]] || tb_fail "virtual IP $vip is not from the pool"
tb_exec c1 ip -4 addr show | grep -q "inet $vip/" || tb_fail "virtual IP $vip is not on an interface of c1"
dns=$(ss_client_dns alice) || tb_fail "alice installed no DNS server"
[ "$dns" = "$DNS" ] || tb_fail "alice installed DNS server(s) '$dns', expected $DNS"
# The configuration reply as the client parsed it: address, mask, DNS, the
# split network and the domain (RFC 8598), nothing of Cisco's.
cprp=$(ss_client_cp_reply alice | head -n 1)
[ "$cprp" = "CPRP(ADDR MASK DNS SUBNET DOMAIN)" ] ||
  tb_fail "the client parsed '$cprp', expected CPRP(ADDR MASK DNS SUBNET DOMAIN)"
grep -q "processing INTERNAL_DNS_DOMAIN attribute" "$TB_RESULTS/ss-alice/charon.log" ||
  tb_fail "the client did not process the pushed domain"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr AUTH CPRP\(ADDR MASK DNS SUBNET DNSDOM\) SA TSi TSr \]"
ss_client_sas alice --raw | grep -q "remote-ts=\[$TB_PROTECTED_NET\]" ||
  tb_fail "the remote traffic selector is not $TB_PROTECTED_NET"
ss_client_sas alice --raw | grep -q "local-ts=\[$vip/32\]" ||
  tb_fail "the local traffic selector is not $vip/32"

# ---- traffic through ESP -----------------------------------------------------------
tb_exec c1 ping -c 3 -i 0.2 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping.log" ||
  tb_fail "c1 cannot ping $TB_SRV_ADDR through the tunnel"
read -r in out <<< "$(ss_child_spis alice)"
for spi in "$in" "$out"; do
  n=$(tb_xfrm_packets gw "$spi")
  [ -n "$n" ] || tb_fail "gw has no xfrm state with SPI $spi"
  [ "$n" -ge 3 ] || tb_fail "vpnd's SA $spi carried $n packets, expected at least 3"
  tb_log "gw: SA $spi carried $n packets"
done
reqid=$(tb_exec gw ip xfrm state list spi "$in" | grep -o 'reqid [0-9]*' | awk '{ print $2 }')
[ -n "$reqid" ] && [ "$reqid" -gt $((0x76700000)) ] && [ "$reqid" -lt $((0x76800000)) ] ||
  tb_fail "vpnd's SA carries reqid '$reqid', not one from its owned range"
tb_exec gw ip route show "$vip" | grep -q "proto 86" || tb_fail "no route of vpnd to $vip on gw"
[ "$(tb_xfrm_policy_count gw)" -eq 3 ] || tb_fail "gw has $(tb_xfrm_policy_count gw) policies, expected 3"

# ---- vpnctl sessions -----------------------------------------------------------------
vpnctl sessions > "$TB_RESULTS/sessions.txt"
grep -q "alice@example.com" "$TB_RESULTS/sessions.txt" || tb_fail "vpnctl sessions does not list alice"
[ "$(vpnd_session_field "$vip" user)" = alice@example.com ] || tb_fail "no session with address $vip"
[ "$(vpnd_session_field "$vip" tunnel_group)" = rw ] || tb_fail "the session is not in tunnel group rw"
# strongSwan moves to port 4500 in IKE_AUTH even without a NAT (MOBIKE).
[[ "$(vpnd_session_field "$vip" public_address)" == "${TB_ADDR[c1]}:"@(500|4500) ]] ||
  tb_fail "public address $(vpnd_session_field "$vip" public_address), expected ${TB_ADDR[c1]}:500 or :4500"
[ "$(vpnd_session_field "$vip" natt)" = False ] || tb_fail "the session says NAT-T without a NAT"
tb_exec gw ip xfrm state list spi "$in" | grep -q encap && tb_fail "vpnd's SA is UDP-encapsulated without a NAT"
[ "$(vpnd_session_field "$vip" packets_in)" -ge 3 ] || tb_fail "vpnctl sessions: packets_in below 3"
[ "$(vpnd_session_field "$vip" packets_out)" -ge 3 ] || tb_fail "vpnctl sessions: packets_out below 3"
vpnd_log_has "IKE_SA established: peer ${TB_ADDR[c1]}:[0-9]+, identity 'alice@example.com', tunnel group rw"
# The client's inbound SPI is vpnd's outbound one.
vpnd_log_has "CHILD_SA installed: spi in $out out $in"
vpnd_log_has "session up: user alice@example.com, address $vip"
vpnd_log_has "received IKE_SA_INIT request 0 \[ SA KE No N\(NATD_S_IP\) N\(NATD_D_IP\)"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr AUTH CPRP\("

# ---- disconnect -------------------------------------------------------------------------
ss_client_down alice vpn || tb_fail "the client could not close its tunnel"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw still has policies after the client left"
[ -z "$(tb_exec gw ip route show "$vip")" ] || tb_fail "the route to $vip is still on gw"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "vpnctl sessions still lists a session"
vpnd_log_has "session down: user alice@example.com, address $vip: deleted by the client"
tb_exec c1 ping -c 1 -W 1 "$TB_SRV_ADDR" > /dev/null 2>&1 &&
  tb_fail "c1 still reaches the protected host after closing its tunnel"

# The lease went back: connecting again (the sticky owner) gives the same address.
ss_client_up alice vpn || tb_fail "the tunnel did not come up a second time"
echo "handshake again: ${SS_UP_SECONDS}s" >> "$times"
vip2=$(ss_client_vip alice) || tb_fail "no virtual IP the second time"
[ "$vip2" = "$vip" ] || tb_fail "second connection got $vip2, expected $vip back from the pool"
tb_exec c1 ping -c 1 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "no ping through the second tunnel"

# vpnd stops: it removes its kernel state.
vpnd_stop
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after vpnd stopped"
[ -z "$(tb_exec gw ip route show proto 86)" ] || tb_fail "vpnd's routes remain after it stopped"
tb_log "times: $(paste -sd ';' "$times")"
