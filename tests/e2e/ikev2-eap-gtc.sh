#!/bin/bash
# EAP-GTC against vpnd's local users: the password travels inside the
# encrypted IKE_AUTH (after the client has checked vpnd's certificate) and
# is checked against the user's crypt(3) hash on a worker job.  gina gets
# in (virtual IP, ping through ESP, vpnd's SA counters move, vpnctl
# sessions shows her); a wrong password is refused with
# AUTHENTICATION_FAILED and EAP-Failure, nothing installed, one log line.
# e2e-timeout: 400
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init
tb_topology_remote_access --direct 2

PKI=$TB_RESULTS/pki
GW_DN="C=XX, O=vpnd tests, CN=vpn.example.com"
ss_pki_ca "$PKI"
ss_pki_cert "$PKI" gw ecdsa vpn.example.com --san "$TB_GW_ADDR" --server
GINA_PASS='Gina-gtc-pass-62c'
gina_hash=$(openssl passwd -6 "$GINA_PASS")

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "gtc-pool"; range = "10.3.0.50-10.3.0.60"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
users = ( { name = "gina"; password-hash = "$gina_hash"; } );
tunnel-groups = ( { name = "gtc"; ike-version = 2; authentication = "eap-gtc";
                    certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key";
                    address-pool = "gtc-pool"; group-policy = "gp";
                    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start
ss_client_start c1 client
ss_client_start c2 other

conn() {  # conn NAME CONN USER PASS
  ss_client_conn "$1" "$2" --remote "$TB_GW_ADDR" --eap-gtc "$3" "$4" --ca "$PKI/ca.pem" \
    --remote-id "$GW_DN" --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
}

conn client vpn gina "$GINA_PASS"
ss_client_up client vpn || tb_fail "gina's EAP-GTC tunnel did not come up"
vip=$(ss_client_vip client) || tb_fail "gina got no virtual IP"
[[ $vip == 10.3.0.5[0-9] || $vip == 10.3.0.60 ]] || tb_fail "virtual IP $vip is not from the pool"
vpnd_assert_traffic c1 client
grep -q "EAP method EAP_GTC succeeded, no MSK established" "$TB_RESULTS/ss-client/charon.log" ||
  tb_fail "the client did not complete EAP-GTC"
grep -q "authentication of '$GW_DN' with ECDSA" "$TB_RESULTS/ss-client/charon.log" ||
  tb_fail "the client did not check vpnd's ECDSA certificate"
vpnd_log_has "sending IKE_AUTH response 2 \[ EAP/REQ/GTC \]"
vpnd_log_has "EAP-GTC succeeded: peer ${TB_ADDR[c1]}:[0-9]+, user 'gina', tunnel group gtc"
[ "$(vpnd_session_field "$vip" user)" = gina ] || tb_fail "the session's user is not gina"

conn other wrong gina not-ginas-password
ss_client_up other wrong 30 && tb_fail "gina got in with a wrong password"
grep -q "received AUTHENTICATION_FAILED notify error" "$TB_RESULTS/ss-other/charon.log" ||
  tb_fail "the client did not receive AUTHENTICATION_FAILED"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c2]}:[0-9]+, identity 'gina', tunnel group gtc: EAP-GTC: wrong password"
vpnd_log_has "sending IKE_AUTH response 3 \[ N\(AUTH_FAILED\) EAP/FAIL \]"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "a refused login left a session"
[ "$(tb_xfrm_policy_count gw)" -eq 3 ] || tb_fail "gw has $(tb_xfrm_policy_count gw) policies, expected gina's 3"

vpnd_assert_traffic c1 client
ss_client_down client vpn || tb_fail "gina could not disconnect"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
vpnd_assert_nothing_installed
