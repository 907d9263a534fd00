#!/bin/bash
# IKEv2 EAP passthrough (RFC 3579) to a real FreeRADIUS (on gw's loopback,
# its own configuration and its own CA for EAP-TLS): vpnd asks for the EAP
# identity and relays the rest; the server runs the method.  alice
# (strongSwan, EAP-MSCHAPv2) gets in, her address is the server's
# Framed-IP-Address, and both final AUTH payloads are keyed with the MSK
# from MS-MPPE-Recv/Send-Key (else strongSwan would refuse vpnd's AUTH); a
# ping goes through ESP.  carol authenticates by EAP-TLS with a client
# certificate of the RADIUS CA, the TLS run between her charon and
# FreeRADIUS.  A wrong password is an AUTHENTICATION_FAILED with the
# server's rejection in the log.  A group whose first server is dead
# authenticates through the second.  A group whose servers are all dead
# fails its client with a log line saying why, while a client of a tunnel
# group with local users connects at the same time; with
# authentication-fallback-local the local users authenticate instead.
# e2e-timeout: 600
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/../testbed/freeradius.sh"
. "$here/ikev2-common.bash"
tb_init
tb_topology_remote_access --direct 3

SECRET=radius-secret-eap-5b90
FRAMED=10.3.1.40
PKI=$TB_RESULTS/pki
RPKI=$TB_RESULTS/radius-pki
GW_DN="C=XX, O=vpnd tests, CN=vpn.example.com"
ss_pki_ca "$PKI"
ss_pki_cert "$PKI" gw rsa vpn.example.com --san "$TB_GW_ADDR" --server
# The RADIUS server's own CA: its TLS certificate and the EAP-TLS clients'.
ss_pki_ca "$RPKI" "vpnd RADIUS CA"
cp "$RPKI/ca.pem" "$RPKI/radius-ca.pem"       # a name of its own in the client's store
# strongSwan checks the EAP-TLS server's certificate against the gateway's identity.
ss_pki_cert "$RPKI" radius rsa vpn.example.com --server
ss_pki_cert "$RPKI" carol rsa carol@radius.example.com
BOB_PASS=Bob-local-pass-2f61

fr_setup "$SECRET"
fr_users <<'USERS'
alice	Cleartext-Password := "Alice-radius-mschap-8d"
	Framed-IP-Address = 10.3.1.40,
	Class = "corp-alice"
USERS
fr_eap_tls "$RPKI/radius-ca.pem" "$RPKI/radius.pem" "$RPKI/radius.key" mschapv2
fr_start gw

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "eap-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
aaa-server-groups = (
  { name = "corp"; servers = ( { address = "127.0.0.1"; secret = "$SECRET"; } ); timeout = 2; retries = 1; },
  { name = "failover"; timeout = 2; retries = 0;
    servers = ( { address = "127.0.0.1"; port = 1999; secret = "$SECRET"; },
                { address = "127.0.0.1"; port = 1812; secret = "$SECRET"; } ); },
  { name = "gone"; timeout = 1; retries = 1;
    servers = ( { address = "127.0.0.1"; port = 1997; secret = "$SECRET"; },
                { address = "127.0.0.1"; port = 1998; secret = "$SECRET"; } ); } );
users = ( { name = "bob"; password = "$BOB_PASS"; } );
tunnel-groups = (
  { name = "radius"; ike-version = 2; authentication = "eap-radius"; authentication-server-group = "corp";
    local-authentication = "certificate"; certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key";
    identity = ["fqdn:*.radius.example.com"]; address-pool = "eap-pool"; group-policy = "gp";
    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; },
  { name = "failover"; ike-version = 2; authentication = "eap-radius"; authentication-server-group = "failover";
    local-authentication = "certificate"; certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key";
    identity = ["fqdn:*.failover.example.com"]; address-pool = "eap-pool"; group-policy = "gp";
    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; },
  { name = "outage"; ike-version = 2; authentication = "eap-radius"; authentication-server-group = "gone";
    local-authentication = "certificate"; certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key";
    identity = ["fqdn:*.outage.example.com"]; address-pool = "eap-pool"; group-policy = "gp";
    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; },
  { name = "outage-fallback"; ike-version = 2; authentication = "eap-radius"; authentication-server-group = "gone";
    authentication-fallback-local = true;
    local-authentication = "certificate"; certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key";
    identity = ["fqdn:*.fallback.example.com"]; address-pool = "eap-pool"; group-policy = "gp";
    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; },
  { name = "local"; ike-version = 2; authentication = "eap-mschapv2";
    local-authentication = "certificate"; certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key";
    identity = ["fqdn:*.local.example.com"]; address-pool = "eap-pool"; group-policy = "gp";
    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start
ss_client_start c1 alice
ss_client_start c2 carol --plugins "$SS_PLUGINS_DEFAULT eap-tls"
ss_client_start c3 bob

mschap() {  # mschap NAME CONN USER PASS IKE-ID
  ss_client_conn "$1" "$2" --remote "$TB_GW_ADDR" --eap-mschapv2 "$3" "$4" --ike-id "$5" \
    --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes256-sha256-ecp256 --esp aes256-sha256 \
    --remote-ts "$TB_PROTECTED_NET"
}

# ---- alice: EAP-MSCHAPv2 decided by FreeRADIUS ------------------------------------------------
mschap alice vpn alice Alice-radius-mschap-8d alice.radius.example.com
ss_client_up alice vpn || tb_fail "alice's EAP-MSCHAPv2 via RADIUS did not come up"
vip=$(ss_client_vip alice) || tb_fail "alice got no virtual IP"
[ "$vip" = "$FRAMED" ] || tb_fail "alice got $vip, not her Framed-IP-Address $FRAMED"
vpnd_assert_traffic c1 alice
grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" "$TB_RESULTS/ss-alice/charon.log" ||
  tb_fail "alice's charon did not complete EAP-MSCHAPv2 with an MSK"
grep -q "authentication of '$GW_DN' with EAP successful" "$TB_RESULTS/ss-alice/charon.log" ||
  tb_fail "alice's charon did not accept vpnd's MSK-keyed AUTH"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr CERT AUTH EAP/REQ/ID \]"
vpnd_log_has "EAP identity 'alice' \(peer ${TB_ADDR[c1]}:[0-9]+, tunnel group radius\) sent to aaa-server-group corp"
vpnd_log_has "sending IKE_AUTH response [0-9]+ \[ EAP/REQ/MSCHAPV2 \]"
vpnd_log_has "EAP via RADIUS server 127.0.0.1:1812 succeeded: peer ${TB_ADDR[c1]}:[0-9]+, user 'alice', tunnel group radius \(MSK from MS-MPPE keys; group policy gp, address $FRAMED\)"
[ "$(vpnd_session_field "$vip" user)" = alice ] || tb_fail "the session's user is not the EAP identity alice"
ss_client_down alice vpn

# ---- a wrong password: the server's rejection ---------------------------------------------------
# (From carol's charon: alice's keeps one EAP secret for "alice".)
mschap carol wrong alice not-alices-password alice.radius.example.com
! ss_client_up carol wrong 30 || tb_fail "alice got in with a wrong password"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c2]}:[0-9]+, identity 'alice', tunnel group radius: EAP via RADIUS: server 127.0.0.1:1812 (rejected|failed EAP-MSCHAPv2: E=691)" 20

# ---- carol: EAP-TLS between her charon and FreeRADIUS -----------------------------------------------
ss_client_conn carol tls --remote "$TB_GW_ADDR" --eap-tls "$RPKI/carol.pem" "$RPKI/carol.key" \
  carol@radius.example.com --ike-id carol.radius.example.com --ca "$PKI/ca.pem" --ca2 "$RPKI/radius-ca.pem" \
  --remote-id "$GW_DN" --ike aes256-sha256-ecp256 --esp aes256-sha256 \
  --remote-ts "$TB_PROTECTED_NET"
ss_client_up carol tls || tb_fail "carol's EAP-TLS via RADIUS did not come up"
carol_vip=$(ss_client_vip carol) || tb_fail "carol got no virtual IP"
[[ $carol_vip == 10.3.0.* ]] || tb_fail "carol's address $carol_vip is not from the pool"
vpnd_assert_traffic c2 carol
grep -q "EAP method EAP_TLS succeeded, MSK established" "$TB_RESULTS/ss-carol/charon.log" ||
  tb_fail "carol's charon did not complete EAP-TLS with an MSK"
vpnd_log_has "sending IKE_AUTH response [0-9]+ \[ EAP/REQ/TLS \]"
vpnd_log_has "EAP via RADIUS server 127.0.0.1:1812 succeeded: peer ${TB_ADDR[c2]}:[0-9]+, user 'carol@radius.example.com', tunnel group radius \(MSK from MS-MPPE keys"
ss_client_down carol tls

# ---- the first server dead: the second answers ----------------------------------------------------
mschap alice failover alice Alice-radius-mschap-8d alice.failover.example.com
ss_client_up alice failover || tb_fail "alice did not get in through the second server"
vpnd_log_has "EAP via RADIUS server 127.0.0.1:1812 succeeded: peer ${TB_ADDR[c1]}:[0-9]+, user 'alice', tunnel group failover"
ss_client_down alice failover

# ---- every server dead: that client fails, a local user connects meanwhile ---------------------------
mschap alice outage alice Alice-radius-mschap-8d alice.outage.example.com
mschap bob local bob "$BOB_PASS" bob.local.example.com
ss_client_up alice outage 60 > /dev/null 2>&1 &
outage_pid=$!
ss_client_up bob local || tb_fail "the local user did not connect during the RADIUS outage"
vpnd_assert_traffic c3 bob
wait "$outage_pid" && tb_fail "alice got in although every server of her group is dead"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c1]}:[0-9]+, identity 'alice', tunnel group outage: EAP via RADIUS: RADIUS unavailable \(aaa-server-group gone\): timeout: no answer from 127.0.0.1:1998" 30
vpnd_log_has "EAP-MSCHAPv2 succeeded: peer ${TB_ADDR[c3]}:[0-9]+, user 'bob', tunnel group local"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "$(vpnd_session_count) sessions, expected bob's alone"
ss_client_down bob local

# ---- the same outage with authentication-fallback-local: the local users decide ---------------------
mschap bob fallback bob "$BOB_PASS" bob.fallback.example.com
ss_client_up bob fallback || tb_fail "bob did not get in through the local fallback"
vpnd_assert_traffic c3 bob
vpnd_log_has "EAP: no RADIUS answer for user bob \(peer ${TB_ADDR[c3]}:[0-9]+, tunnel group outage-fallback, aaa-server-group gone\): all servers of group 'gone' are dead; falling back to the local users \(EAP-MSCHAPv2\)"
vpnd_log_has "EAP-MSCHAPv2 succeeded: peer ${TB_ADDR[c3]}:[0-9]+, user 'bob', tunnel group outage-fallback"
ss_client_down bob fallback

! grep -qF -e Alice-radius-mschap-8d -e not-alices-password "$TB_RESULTS/vpnd.log" ||
  tb_fail "a password is in vpnd's log"
vpnd_stop
