#!/bin/bash
# EAP-MSCHAPv2 against vpnd's local users (RFC 7296 2.16), the gateway
# authenticated by its RSA certificate: alice (nt-hash) and bob (cleartext
# password, a fixed address and his own group policy) get in with an IKE
# identity that is not their user name; the EAP identity becomes the
# session's user (vpnctl sessions), the user's address and group policy
# apply, each pings srv through ESP and vpnd's SA counters move.  A lost
# EAP round is retransmitted by the client and answered from vpnd's cache.  The
# client's final AUTH is keyed with the MSK.  bob with a wrong password and
# an unknown user fail: the client is refused, nothing is installed, and one
# log line names peer, identity, tunnel group and reason.
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
ss_pki_ca "$PKI"
ss_pki_cert "$PKI" gw rsa vpn.example.com --san "$TB_GW_ADDR" --server
ALICE_PASS='Alice-MSCHAP-pass-9e1'
BOB_PASS='Bob-pass-73d0'
alice_nt=$(printf '%s' "$ALICE_PASS" | iconv -t UTF-16LE | openssl dgst -md4 -provider legacy -provider default |
  awk '{ print $NF }')
[[ $alice_nt =~ ^[0-9a-f]{32}$ ]] || tb_fail "cannot compute alice's NT hash: '$alice_nt'"

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "eap-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = (
  { name = "gp"; dns = ["198.51.100.53"]; split-tunnel-policy = "tunnel-specified";
    split-tunnel-networks = ["$TB_PROTECTED_NET"]; },
  { name = "staff"; dns = ["198.51.100.54"]; split-tunnel-policy = "tunnel-specified";
    split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
users = (
  { name = "alice"; nt-hash = "$alice_nt"; },
  { name = "bob"; password = "$BOB_PASS"; address = "10.3.1.50"; group-policy = "staff"; } );
tunnel-groups = ( { name = "eap"; ike-version = 2; authentication = "eap-mschapv2";
                    local-authentication = "certificate";
                    certificate = "$PKI/gw.pem"; private-key = "$PKI/gw.key";
                    identity = ["fqdn:*.clients.example.com"]; address-pool = "eap-pool"; group-policy = "gp";
                    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start
ss_client_start c1 alice
ss_client_start c2 bob

conn() {  # conn NAME CONN USER PASS
  ss_client_conn "$1" "$2" --remote "$TB_GW_ADDR" --eap-mschapv2 "$3" "$4" --ike-id "$1.clients.example.com" \
    --ca "$PKI/ca.pem" --remote-id "$GW_DN" --ike aes256-sha256-ecp256 --esp aes256-sha256 \
    --remote-ts "$TB_PROTECTED_NET"
}

# ---- alice (nt-hash) -------------------------------------------------------------------------
conn alice vpn alice "$ALICE_PASS"
ss_client_up alice vpn || tb_fail "alice's EAP-MSCHAPv2 tunnel did not come up"
vip=$(ss_client_vip alice) || tb_fail "alice got no virtual IP"
[[ $vip == 10.3.0.* ]] || tb_fail "alice's virtual IP $vip is not from the pool"
[ "$(ss_client_dns alice)" = 198.51.100.53 ] || tb_fail "alice did not get the tunnel group's policy DNS"
vpnd_assert_traffic c1 alice
grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" "$TB_RESULTS/ss-alice/charon.log" ||
  tb_fail "alice's charon did not complete EAP-MSCHAPv2 with an MSK"
grep -q "authentication of '$GW_DN' with RSA" "$TB_RESULTS/ss-alice/charon.log" ||
  tb_fail "alice did not authenticate the gateway by its certificate"
vpnd_log_has "received IKE_AUTH request 1 \[ IDi .*CPRQ"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr CERT AUTH EAP/REQ/ID \]"
vpnd_log_has "sending IKE_AUTH response [0-9]+ \[ EAP/REQ/MSCHAPV2 \]"
vpnd_log_has "sending IKE_AUTH response [0-9]+ \[ EAP/SUCC \]"
vpnd_log_has "EAP-MSCHAPv2 succeeded: peer ${TB_ADDR[c1]}:[0-9]+, user 'alice', tunnel group eap"
vpnd_log_has "sending IKE_AUTH response [0-9]+ \[ AUTH CPRP\(.*\) SA TSi TSr \]"
vpnd_log_has "IKE_SA established: peer ${TB_ADDR[c1]}:[0-9]+, identity 'alice', tunnel group eap"
[ "$(vpnd_session_field "$vip" user)" = alice ] || tb_fail "the session's user is not the EAP identity alice"
vpnctl sessions > "$TB_RESULTS/sessions.txt"
grep -qw alice "$TB_RESULTS/sessions.txt" || tb_fail "vpnctl sessions does not show alice"

# ---- bob (cleartext password, fixed address, own group policy) -------------------------------
# The first answer to his EAP round (IKE_AUTH response, message ID 2: the
# MS-CHAPv2 challenge) is lost on the way to c2: his client retransmits
# its EAP-Response/Identity and vpnd answers from its response cache,
# without running the EAP round again, and the login still succeeds.
conn bob vpn bob "$BOB_PASS"
tb_exec c2 nft -f - <<'NFT'
table inet eaploss {
  chain in {
    type filter hook input priority 0;
    # UDP 4500: non-ESP marker, IKE header; exchange 35 at byte 22, message ID at 24
    udp sport 4500 @th,240,8 35 @th,256,32 2 counter drop
  }
}
NFT
ss_client_up bob vpn 90 & up=$!
vpnd_log_has "retransmitted request 2: sending the response again" 60
tb_exec c2 nft delete table inet eaploss
wait "$up" || tb_fail "bob's EAP-MSCHAPv2 tunnel did not come up after a lost EAP round"
[ "$(grep -c "received IKE_AUTH request 2 \[ EAP/RES/ID \]" "$TB_RESULTS/vpnd.log")" -eq 2 ] ||
  tb_fail "vpnd ran a retransmitted EAP round again instead of answering from its cache"
[ "$(ss_client_vip bob)" = 10.3.1.50 ] || tb_fail "bob did not get his fixed address"
[ "$(ss_client_dns bob)" = 198.51.100.54 ] || tb_fail "bob did not get his group policy's DNS"
vpnd_assert_traffic c2 bob
[ "$(vpnd_session_field 10.3.1.50 user)" = bob ] || tb_fail "no session of bob with 10.3.1.50"
[ "$(vpnd_session_field 10.3.1.50 group_policy)" = staff ] || tb_fail "bob's session is not under policy staff"
ss_client_down bob vpn || tb_fail "bob could not disconnect"
tb_wait 30 bash -c "[ \$(ip -n '$(tb_ns gw)' xfrm state list | grep -c '^src ') -eq 2 ]"

# ---- failures: alice stays, nothing is added for the others ----------------------------------
states_before=$(tb_xfrm_state_count gw)
conn bob wrong bob not-bobs-password
ss_client_up bob wrong 40 && tb_fail "bob got in with a wrong password"
grep -Eq "EAP-MS-CHAPv2 failed|AUTHENTICATION_FAILED|EAP method EAP_MSCHAPV2 failed" "$TB_RESULTS/ss-bob/charon.log" ||
  tb_fail "bob's client did not see the EAP failure"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c2]}:[0-9]+, identity 'bob', tunnel group eap: EAP-MSCHAPv2: wrong password"
# strongSwan does not answer MS-CHAPv2's Failure-Request but says AUTHENTICATION_FAILED: the IKE SA goes at once.
vpnd_log_has "tunnel-group=eap user=bob.clients.example.com .*IKE_SA deleted: the client gave up authentication" 20
[ "$(grep -c "authentication failed: peer ${TB_ADDR[c2]}" "$TB_RESULTS/vpnd.log")" -eq 1 ] ||
  tb_fail "not exactly one 'authentication failed' line for bob's wrong password"
conn bob stranger mallory whatever
ss_client_up bob stranger 40 && tb_fail "an unknown user got in"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c2]}:[0-9]+, identity 'mallory', tunnel group eap: EAP-MSCHAPv2: unknown user"
[ "$(tb_xfrm_state_count gw)" -eq "$states_before" ] || tb_fail "a failed EAP login left xfrm states on gw"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "vpnctl sessions does not list exactly alice's session"
[ "$(tb_xfrm_policy_count gw)" -eq 3 ] || tb_fail "gw has $(tb_xfrm_policy_count gw) policies, expected alice's 3"
tb_exec c2 ping -c 1 -W 1 "$TB_SRV_ADDR" > /dev/null 2>&1 && tb_fail "c2 reaches srv without a tunnel"

# alice is still connected and passing traffic.
vpnd_assert_traffic c1 alice
ss_client_down alice vpn || tb_fail "alice could not disconnect"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."
vpnd_assert_nothing_installed
