#!/bin/bash
# Certificates both ways: vpnd proves itself with an RSA certificate (IDr is
# its subject DN, the chain in CERT payloads, AUTH signed with RFC 7427 or
# method 1 for a client without RFC 7427), the client with an ECDSA certificate from the CA of the tunnel
# group, which vpnd selects by the client's DN identity ("dn:" pattern).
# The client gets an address, pings srv through ESP, vpnd's SA counters
# move, vpnctl sessions shows the DN.  A client certificate from another CA
# and a revoked one (CRL) fail with AUTHENTICATION_FAILED, nothing is
# installed and the log line names peer, identity, group and reason.
# e2e-timeout: 500
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init
tb_topology_remote_access --direct 2

PKI=$TB_RESULTS/pki
GW_DN="C=XX, O=vpnd tests, CN=vpn.example.com"
ss_pki_standard "$PKI" vpn.example.com "$TB_GW_ADDR" carol.example.com
ss_pki_cert "$PKI" dave ecdsa dave.example.com
ss_pki_cert "$PKI" frank ecdsa frank.example.com
ss_pki_crl "$PKI" dave
ss_pki_ca "$PKI/other" "Other CA" ecdsa
ss_pki_cert "$PKI/other" mallory ecdsa mallory.example.com

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "cert-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
tunnel-groups = (
  { name = "psk-rw"; ike-version = 2; authentication = "psk"; psk = "not-for-certificates-1f3a";
    identity = ["email:*@example.com"]; address-pool = "cert-pool"; group-policy = "gp";
    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; },
  { name = "certs"; ike-version = 2; authentication = "certificate"; local-authentication = "certificate";
    certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key"; ca = "$PKI/ca.pem"; crl = "$PKI/crl.pem";
    identity = ["dn:CN=*,O=vpnd tests,C=XX"]; address-pool = "cert-pool"; group-policy = "gp";
    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start
ss_client_start c1 client

# ---- a trusted client certificate ----------------------------------------------------------
ss_client_conn client carol --remote "$TB_GW_ADDR" --pubkey "$PKI/client.pem" "$PKI/client.key" \
  --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes256-sha256-ecp256 --esp aes256-sha256 \
  --remote-ts "$TB_PROTECTED_NET"
ss_client_up client carol || tb_fail "the tunnel with a trusted certificate did not come up"
vip=$(ss_client_vip client) || tb_fail "carol got no virtual IP"
[[ $vip == 10.3.0.* ]] || tb_fail "virtual IP $vip is not from the pool"
vpnd_assert_traffic c1 client

log=$TB_RESULTS/ss-client/charon.log
grep -q "authentication of '$GW_DN' with .* successful" "$log" ||
  tb_fail "the client did not authenticate the gateway's certificate"
grep -q "received end entity cert \"$GW_DN\"" "$log" || tb_fail "the client did not receive vpnd's certificate"
carol_dn="CN=carol.example.com,O=vpnd tests,C=XX"
vpnd_log_has "received IKE_AUTH request 1 \[ IDi CERT .*AUTH"
vpnd_log_has "sending IKE_SA_INIT response 0 \[ .*N\(HASH_ALG\) CERTREQ"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr CERT AUTH CPRP"
vpnd_log_has "certificate '$carol_dn' of peer ${TB_ADDR[c1]}:[0-9]+ verified"
vpnd_log_has "IKE_SA established: peer ${TB_ADDR[c1]}:[0-9]+, identity '$carol_dn', tunnel group certs"
[ "$(vpnd_session_field "$vip" user)" = "$carol_dn" ] || tb_fail "the session's user is not carol's DN"
[ "$(vpnd_session_field "$vip" tunnel_group)" = certs ] || tb_fail "the session is not in tunnel group certs"
ss_client_down client carol || tb_fail "carol could not close her tunnel"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."

# ---- a certificate from a CA vpnd does not trust -----------------------------------------------
ss_client_conn client mallory --remote "$TB_GW_ADDR" --pubkey "$PKI/other/mallory.pem" "$PKI/other/mallory.key" \
  --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes256-sha256-ecp256 --esp aes256-sha256
ss_client_up client mallory 30 && tb_fail "the tunnel came up with an untrusted certificate"
grep -q "AUTHENTICATION_FAILED" "$log" || tb_fail "the client did not receive AUTHENTICATION_FAILED"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c1]}:[0-9]+, identity 'CN=mallory.example.com,O=vpnd tests,C=XX', tunnel group certs: .*(not trusted|unable to get local issuer)"
vpnd_assert_nothing_installed

# ---- a revoked certificate -------------------------------------------------------------------------
ss_client_conn client dave --remote "$TB_GW_ADDR" --pubkey "$PKI/dave.pem" "$PKI/dave.key" \
  --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes256-sha256-ecp256 --esp aes256-sha256
ss_client_up client dave 30 && tb_fail "the tunnel came up with a revoked certificate"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c1]}:[0-9]+, identity 'CN=dave.example.com,O=vpnd tests,C=XX', tunnel group certs: .*revoked"
vpnd_assert_nothing_installed

# ---- a client without RFC 7427: auth methods 1 (our RSA) and 9 (its ECDSA P-256) -----------------
ss_client_start c2 legacy --charon 'signature_authentication = no'
ss_client_conn legacy frank --remote "$TB_GW_ADDR" --pubkey "$PKI/frank.pem" "$PKI/frank.key" \
  --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes256-sha256-ecp256 --esp aes256-sha256 \
  --remote-ts "$TB_PROTECTED_NET"
ss_client_up legacy frank || tb_fail "the client without RFC 7427 did not get in"
vpnd_assert_traffic c2 legacy
legacy_log=$TB_RESULTS/ss-legacy/charon.log
grep -q "sending supported signature hash algorithms" "$legacy_log" && tb_fail "the legacy client announced RFC 7427"
grep -Eq "authentication of '$GW_DN' with RSA(_EMSA_PKCS1_SHA1| signature) successful" "$legacy_log" ||
  tb_fail "vpnd did not authenticate with auth method 1 (RSA) to the legacy client"
grep -Eq "\(myself\) with ECDSA(-256 signature|_WITH_SHA256) successful" "$legacy_log" ||
  tb_fail "the legacy client did not sign with auth method 9 (ECDSA P-256)"
vpnd_log_has "IKE_SA established: peer ${TB_ADDR[c2]}:[0-9]+, identity 'CN=frank.example.com,O=vpnd tests,C=XX', tunnel group certs"

# ---- the trusted one still works --------------------------------------------------------------------
ss_client_up client carol || tb_fail "carol could not connect again"
vpnd_assert_traffic c1 client
