#!/bin/bash
# A road warrior with the wrong pre-shared key: vpnd answers IKE_AUTH with
# AUTHENTICATION_FAILED (the client says so), installs nothing (no SA, no
# policy, no route, no lease, no session) and logs one line naming the peer,
# the identity, the tunnel group and the reason.  An identity no tunnel
# group accepts fails the same way.  A client with the right key still gets
# in afterwards.
# e2e-timeout: 300
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-right-key-51d0
tb_topology_remote_access --direct 1

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; dns = ["198.51.100.53"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    identity = ["email:*@example.com"]; group-policy = "gp"; address-pool = "rw-pool";
                    ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start
ss_client_start c1 client

nothing_installed() {
  [ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after a failed authentication"
  [ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw has policies after a failed authentication"
  [ -z "$(tb_exec gw ip route show proto 86)" ] || tb_fail "gw has a vpnd route after a failed authentication"
  [ "$(vpnd_session_count)" -eq 0 ] || tb_fail "vpnctl sessions lists a session after a failed authentication"
}

# ---- the wrong key ------------------------------------------------------------------
ss_client_conn client wrong --remote "$TB_GW_ADDR" --psk mallory@example.com not-the-key \
  --ike aes256-sha256-ecp256 --esp aes256-sha256
ss_client_up client wrong 30 && tb_fail "the tunnel came up with the wrong key"
grep -q "AUTHENTICATION_FAILED" "$TB_RESULTS/ss-client/charon.log" ||
  tb_fail "the client did not receive AUTHENTICATION_FAILED"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c1]}:[0-9]+, identity 'mallory@example.com', tunnel group rw: pre-shared key mismatch"
vpnd_log_has "sending IKE_AUTH response 1 \[ N\(AUTH_FAILED\) \]"
nothing_installed

# ---- an identity no tunnel group takes ------------------------------------------------
ss_client_conn client stranger --remote "$TB_GW_ADDR" --psk stranger.example.org "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256
ss_client_up client stranger 30 && tb_fail "the tunnel came up for an identity no tunnel group accepts"
vpnd_log_has "authentication failed: peer ${TB_ADDR[c1]}:[0-9]+, identity 'stranger.example.org', tunnel group \(none\): no IKEv2 tunnel group accepts this identity"
nothing_installed

# ---- the right key still works ------------------------------------------------------------
ss_client_conn client right --remote "$TB_GW_ADDR" --psk alice@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes256-sha256
ss_client_up client right || tb_fail "the right key was refused"
[ "$(vpnd_session_count)" -eq 1 ] || tb_fail "no session for the client with the right key"
