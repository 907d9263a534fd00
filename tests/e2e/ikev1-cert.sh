#!/bin/bash
# IKEv1 Main Mode with RSA signatures (RFC 2409 5.1) against strongSwan's
# charon in IKEv1 mode: vpnd asks for certificates (CR with its CA's DN in
# message 4), checks the client's chain, identity and SIG_I, answers with its
# own RSA certificate (IDir = its subject DN, CERT, SIG_R), and selects the
# tunnel group by the client's DN ("dn:" identity patterns).
#   - carol, auth method 3 (RSA signatures): Mode Config address, ping
#     through vpnd's ESP SAs (counters move), the session's user is her DN;
#   - alice, auth method 65005 (XAUTHInitRSA: certificate, then Xauth): the
#     other tunnel group, Xauth with a local user, address, ping, user alice;
#   - erin: message 1 matches the first certificate group's proposals, her
#     DN then selects a third group (its own pool: her address shows it);
#   - mallory, certificate from another CA, and dave, revoked by the third
#     group's CRL: refused (AUTHENTICATION-FAILED to the client), the log
#     line names peer, identity, tunnel group and reason, nothing installed;
#   - a client offering only transforms the certificate groups do not have:
#     NO-PROPOSAL-CHOSEN, each rejected transform logged with both values;
#   - carol again, then from a second machine with INITIAL-CONTACT: her
#     first ISAKMP SA and session end, the new one works.
# e2e-timeout: 600
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init
tb_topology_remote_access --direct 2

PASSWORD=alice-cert-xauth-7d
PKI=$TB_RESULTS/pki
GW_DN="C=XX, O=vpnd tests, CN=vpn.example.com"
ss_pki_ca "$PKI"
ss_pki_cert "$PKI" gw rsa vpn.example.com --san "$TB_GW_ADDR" --server
ss_pki_cert "$PKI" carol rsa carol.example.com
ss_pki_cert "$PKI" alice rsa alice.example.com
ss_pki_cert "$PKI" erin rsa erin.example.com
ss_pki_cert "$PKI" dave rsa dave.example.com
ss_pki_crl "$PKI" dave
ss_pki_ca "$PKI/other" "Other CA" rsa
ss_pki_cert "$PKI/other" mallory rsa mallory.example.com
hash=$(openssl passwd -6 "$PASSWORD")

vpnd_write_conf <<CONF
ike-proposals = ( { name = "v1rsa"; encryption = ["aes128"]; integrity = ["sha256"]; dh-group = [14]; } );
esp-proposals = ( { name = "esp"; encryption = ["aes128"]; integrity = ["sha256"]; } );
pools = ( { name = "cert-pool"; range = "10.6.0.10-10.6.0.20"; netmask = "255.255.255.0"; },
          { name = "eng-pool"; range = "10.7.0.10-10.7.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; protocols = ["ikev1"]; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
users = ( { name = "alice"; password-hash = "$hash"; } );
tunnel-groups = (
  { name = "v1xauth"; ike-version = 1; authentication = "certificate+xauth";
    certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key"; ca = "$PKI/ca.pem";
    identity = ["dn:CN=alice*,O=vpnd tests,C=XX"]; address-pool = "cert-pool"; group-policy = "gp";
    ike-proposals = ["v1rsa"]; esp-proposals = ["esp"]; },
  { name = "v1certs"; ike-version = 1; authentication = "certificate";
    certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key"; ca = "$PKI/ca.pem";
    identity = ["dn:CN=carol*,O=vpnd tests,C=XX"]; address-pool = "cert-pool"; group-policy = "gp";
    ike-proposals = ["v1rsa"]; esp-proposals = ["esp"]; },
  { name = "v1eng"; ike-version = 1; authentication = "certificate";
    certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key"; ca = "$PKI/ca.pem"; crl = "$PKI/crl.pem";
    identity = ["dn:CN=*,O=vpnd tests,C=XX"]; address-pool = "eng-pool"; group-policy = "gp";
    ike-proposals = ["v1rsa"]; esp-proposals = ["esp"]; } );
CONF
vpnd_start
ss_client_start c1 client
log=$TB_RESULTS/ss-client/charon.log
c1=${TB_ADDR[c1]}

# check_session USER GROUP NET: the client is up, has an address from the
# group's pool (NET.10-20), pings srv through vpnd's ESP SAs, and vpnctl
# lists the session.
check_session() {
  local vip
  vip=$(ss_client_vip client) || tb_fail "$1 got no virtual IP"
  [[ $vip == $3.1[0-9] || $vip == $3.20 ]] || tb_fail "virtual IP $vip is not from the pool of $2"
  tb_exec c1 ip -4 addr show | grep -q "inet $vip/" || tb_fail "virtual IP $vip is not on an interface of c1"
  vpnd_assert_traffic c1 client
  [ "$(vpnd_session_field "$vip" user)" = "$1" ] || tb_fail "vpnctl sessions: the user of $vip is not '$1'"
  [ "$(vpnd_session_field "$vip" protocol)" = IKEv1 ] || tb_fail "the session is not IKEv1"
  [ "$(vpnd_session_field "$vip" tunnel_group)" = "$2" ] || tb_fail "the session is not in tunnel group $2"
  vpnd_log_has "session up: user $1, address $vip"
}

down() {
  ss_client_down client "$1" || tb_fail "$1 could not close the tunnel"
  tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
  [ "$(vpnd_session_count)" -eq 0 ] || tb_fail "a session is still listed after $1 left"
}

# ---- carol: RSA signatures (auth method 3) ----------------------------------------------------
carol_dn="CN=carol.example.com,O=vpnd tests,C=XX"
ss_client_conn client carol --remote "$TB_GW_ADDR" --version 1 --pubkey "$PKI/carol.pem" "$PKI/carol.key" \
  --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes128-sha256-modp2048 --esp aes128-sha256 \
  --remote-ts "$TB_PROTECTED_NET"
ss_client_up client carol || tb_fail "the tunnel with carol's certificate did not come up"
check_session "$carol_dn" v1certs 10.6.0
vpnd_log_has "Main Mode from $c1:[0-9]+: auth rsa-sig, the tunnel group follows from the client's certificate identity"
vpnd_log_has "sending Main Mode \[ KE No CR"
vpnd_log_has "received Main Mode \[ ID CERT .*SIG"
vpnd_log_has "certificate '$carol_dn' of peer $c1:[0-9]+ verified against tunnel group v1certs's CAs"
vpnd_log_has "sending Main Mode \[ ID CERT SIG \]"
vpnd_log_has "ISAKMP SA established \(Main Mode\): peer $c1:[0-9]+, tunnel group v1certs, .*RSA signatures"
grep -q "authentication of '$GW_DN' with RSA.* successful" "$log" ||
  tb_fail "the client did not verify vpnd's RSA signature"
grep -q "received end entity cert \"$GW_DN\"" "$log" || tb_fail "the client did not receive vpnd's certificate"
down carol

# ---- alice: certificate, then Xauth (auth method 65005) --------------------------------------
ss_client_conn client alice --remote "$TB_GW_ADDR" --version 1 --pubkey "$PKI/alice.pem" "$PKI/alice.key" \
  --xauth alice "$PASSWORD" --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes128-sha256-modp2048 \
  --esp aes128-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up client alice || tb_fail "the tunnel with alice's certificate and Xauth did not come up"
check_session alice v1xauth 10.6.0
vpnd_log_has "Main Mode from $c1:[0-9]+: auth rsa-sig \+ Xauth"
vpnd_log_has "certificate 'CN=alice.example.com,O=vpnd tests,C=XX' of peer $c1:[0-9]+ verified against tunnel group v1xauth's CAs"
vpnd_log_has "ISAKMP SA established \(Main Mode\): peer $c1:[0-9]+, tunnel group v1xauth"
vpnd_log_has "Xauth: user alice authenticated"
down alice

# ---- erin: message 1 matched v1certs' proposals, her DN selects v1eng ---------------------------
ss_client_conn client erin --remote "$TB_GW_ADDR" --version 1 --pubkey "$PKI/erin.pem" "$PKI/erin.key" \
  --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes128-sha256-modp2048 --esp aes128-sha256 \
  --remote-ts "$TB_PROTECTED_NET"
ss_client_up client erin || tb_fail "the tunnel with erin's certificate did not come up"
check_session "CN=erin.example.com,O=vpnd tests,C=XX" v1eng 10.7.0
vpnd_log_has "certificate 'CN=erin.example.com,O=vpnd tests,C=XX' of peer $c1:[0-9]+ verified against tunnel group v1eng's CAs"
vpnd_log_has "ISAKMP SA established \(Main Mode\): peer $c1:[0-9]+, tunnel group v1eng"
down erin

# ---- mallory: a certificate from a CA vpnd does not trust ---------------------------------------
ss_client_conn client mallory --remote "$TB_GW_ADDR" --version 1 \
  --pubkey "$PKI/other/mallory.pem" "$PKI/other/mallory.key" --ca "$PKI/ca.pem" --remote-id "$GW_DN" \
  --ike aes128-sha256-modp2048 --esp aes128-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up client mallory 30 && tb_fail "the tunnel came up with an untrusted certificate"
vpnd_log_has "authentication failed: peer $c1:[0-9]+, identity 'CN=mallory.example.com,O=vpnd tests,C=XX', tunnel group v1eng: .*(not trusted|unable to get local issuer)" 30
vpnd_log_has "phase 1 with $c1:[0-9]+, tunnel group v1eng abandoned: phase 1 authentication failed" 30
vpnd_assert_nothing_installed
grep -q "<mallory|[0-9]*> received AUTHENTICATION_FAILED error notify" "$log" ||
  tb_fail "mallory's client was not told AUTHENTICATION-FAILED"

# ---- dave: a certificate the group's CRL revokes ------------------------------------------------
ss_client_conn client dave --remote "$TB_GW_ADDR" --version 1 --pubkey "$PKI/dave.pem" "$PKI/dave.key" \
  --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes128-sha256-modp2048 --esp aes128-sha256 \
  --remote-ts "$TB_PROTECTED_NET"
ss_client_up client dave 30 && tb_fail "the tunnel came up with a revoked certificate"
vpnd_log_has "authentication failed: peer $c1:[0-9]+, identity 'CN=dave.example.com,O=vpnd tests,C=XX', tunnel group v1eng: .*revoked" 30
vpnd_assert_nothing_installed

# ---- a client whose transforms no certificate group has ---------------------------------------
ss_client_conn client weak --remote "$TB_GW_ADDR" --version 1 --pubkey "$PKI/carol.pem" "$PKI/carol.key" \
  --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes256-sha512-modp3072 --esp aes128-sha256 \
  --remote-ts "$TB_PROTECTED_NET"
ss_client_up client weak 30 && tb_fail "a client with transforms no group has got a tunnel"
vpnd_log_has "IKE SA proposal [0-9]+ transform [0-9]+ rejected by ike-proposal 'v1rsa': Rcv'd encryption AES-CBC-256, cfg'd aes128 \(tunnel group v1xauth\)" 30
vpnd_log_has "no acceptable IKE transform \(1 offered, tunnel groups v1xauth, v1certs, v1eng\): NO-PROPOSAL-CHOSEN"
vpnd_assert_nothing_installed

# ---- carol again, after the failures ----------------------------------------------------------
ss_client_up client carol || tb_fail "carol could not connect again"
check_session "$carol_dn" v1certs 10.6.0

# ---- carol from c2 with INITIAL-CONTACT: her session from c1 ends -------------------------------
ss_client_start c2 client2
ss_client_conn client2 carol --remote "$TB_GW_ADDR" --version 1 --pubkey "$PKI/carol.pem" "$PKI/carol.key" \
  --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes128-sha256-modp2048 --esp aes128-sha256 \
  --remote-ts "$TB_PROTECTED_NET"
ss_client_up client2 carol || tb_fail "carol could not connect from c2"
vpnd_log_has "INITIAL-CONTACT from user $carol_dn: ending the user's earlier ISAKMP SA"
vpnd_log_has "session down: user $carol_dn, address 10.6.0.[0-9]+: replaced after INITIAL-CONTACT"
vpnd_assert_traffic c2 client2
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "carol's session from c1 is still listed"
ss_client_down client2 carol || tb_fail "carol could not close the tunnel from c2"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
vpnd_stop
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after vpnd stopped"
