#!/bin/bash
# EAP-MD5 against vpnd's local users, the gateway authenticated by its RSA
# certificate (RFC 7296 2.16: a method without an MSK, so both final AUTH
# payloads are keyed with SK_pi / SK_pr).  dora (cleartext password) gets
# in: virtual IP, ping through ESP, vpnd's SA counters move, vpnctl sessions
# shows her as the user.  A wrong password, and a user who has only a
# password-hash (EAP-MD5 needs the cleartext), are refused with
# AUTHENTICATION_FAILED and EAP-Failure; nothing is installed; one log line
# names peer, identity, tunnel group and reason.
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
ss_pki_cert "$PKI" gw rsa vpn.example.com --san "$TB_GW_ADDR" --server
DORA_PASS='Dora-md5-pass-4b7'
ERIN_HASH=$(openssl passwd -6 Erin-pass-1)
[[ $ERIN_HASH == '$6$'* ]] || tb_fail "cannot make a password hash for erin"

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "md5-pool"; range = "10.3.0.30-10.3.0.40"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
users = (
  { name = "dora"; password = "$DORA_PASS"; },
  { name = "erin"; password-hash = "$ERIN_HASH"; } );
tunnel-groups = ( { name = "md5"; ike-version = 2; authentication = "eap-md5";
                    certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key";
                    address-pool = "md5-pool"; group-policy = "gp";
                    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start
# The refused logins come from another client (c2): charon keeps one EAP
# secret per identity, and dora's right one must stay.
ss_client_start c1 client
ss_client_start c2 other
log=$TB_RESULTS/ss-client/charon.log

conn() {  # conn [--other] CONN USER PASS
  local name=client
  [ "$1" != --other ] || { name=other; shift; }
  ss_client_conn "$name" "$1" --remote "$TB_GW_ADDR" --eap-md5 "$2" "$3" --ca "$PKI/ca.pem" \
    --remote-id "$GW_DN" --ike aes256-sha256-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
}

# ---- dora gets in ---------------------------------------------------------------------------------
conn vpn dora "$DORA_PASS"
ss_client_up client vpn || tb_fail "dora's EAP-MD5 tunnel did not come up"
vip=$(ss_client_vip client) || tb_fail "dora got no virtual IP"
[[ $vip == 10.3.0.3[0-9] || $vip == 10.3.0.40 ]] || tb_fail "virtual IP $vip is not from the pool"
vpnd_assert_traffic c1 client
grep -q "EAP method EAP_MD5 succeeded, no MSK established" "$log" ||
  tb_fail "the client did not complete EAP-MD5 (without an MSK)"
grep -q "authentication of '$GW_DN' with RSA" "$log" || tb_fail "the client did not check the gateway's certificate"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr CERT AUTH EAP/REQ/ID \]"
vpnd_log_has "sending IKE_AUTH response 2 \[ EAP/REQ/MD5 \]"
vpnd_log_has "EAP-MD5 succeeded: peer ${TB_ADDR[c1]}:[0-9]+, user 'dora', tunnel group md5"
vpnd_log_has "IKE_SA established: peer ${TB_ADDR[c1]}:[0-9]+, identity 'dora', tunnel group md5"
[ "$(vpnd_session_field "$vip" user)" = dora ] || tb_fail "the session's user is not dora"
vpnctl sessions > "$TB_RESULTS/sessions.txt"
grep -qw dora "$TB_RESULTS/sessions.txt" || tb_fail "vpnctl sessions does not show dora"
ss_client_down client vpn || tb_fail "dora could not disconnect"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."

# ---- a wrong password -------------------------------------------------------------------------------
conn --other wrong dora not-doras-password
ss_client_up other wrong 30 && tb_fail "dora got in with a wrong password"
grep -q "received AUTHENTICATION_FAILED notify error" "$TB_RESULTS/ss-other/charon.log" ||
  tb_fail "the client did not receive AUTHENTICATION_FAILED"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c2]}:[0-9]+, identity 'dora', tunnel group md5: EAP-MD5: wrong password"
vpnd_log_has "sending IKE_AUTH response 3 \[ N\(AUTH_FAILED\) EAP/FAIL \]"
vpnd_assert_nothing_installed

# ---- a user without a cleartext password -------------------------------------------------------------
conn --other hashed erin Erin-pass-1
ss_client_up other hashed 30 && tb_fail "erin got in with EAP-MD5 although vpnd has only her hash"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c2]}:[0-9]+, identity 'erin', tunnel group md5: EAP-MD5: user has no cleartext password"
vpnd_assert_nothing_installed
[ "$(grep -c "authentication failed: peer" "$TB_RESULTS/vpnd.log")" -eq 2 ] ||
  tb_fail "not exactly one 'authentication failed' line per refused login"

# ---- dora again ------------------------------------------------------------------------------------------
ss_client_up client vpn || tb_fail "dora could not connect again"
vpnd_assert_traffic c1 client
