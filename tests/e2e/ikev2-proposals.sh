#!/bin/bash
# Proposal negotiation of vpnd's IKEv2 responder against strongSwan:
#  - the client's KE is for a group vpnd does not prefer (MODP-2048 first,
#    vpnd prefers ECP-256): INVALID_KE_PAYLOAD naming ECP-256, the client
#    retries and the tunnel comes up with ECP-256;
#  - no common IKE proposal: NO_PROPOSAL_CHOSEN, nothing installed, and the
#    log names the rejected transform;
#  - a common IKE proposal but no common ESP proposal: the IKE SA comes up,
#    the CHILD SA is refused with NO_PROPOSAL_CHOSEN and nothing reaches the
#    kernel.
# e2e-timeout: 300
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/strongswan.sh"
. "$here/ikev2-common.bash"
tb_init

PSK=ikev2-proposals-key-0b77
tb_topology_remote_access --direct 1

vpnd_write_conf <<CONF
ike-proposals = ( { name = "modern"; encryption = ["aes256"]; integrity = ["sha256"]; dh-group = [19, 14]; } );
esp-proposals = ( { name = "cbc"; encryption = ["aes256"]; integrity = ["sha256"]; } );
pools = ( { name = "rw-pool"; range = "10.3.0.10-10.3.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "gp"; dns = ["198.51.100.53"]; } );
tunnel-groups = ( { name = "rw"; ike-version = 2; authentication = "psk"; psk = "$PSK";
                    group-policy = "gp"; address-pool = "rw-pool"; ike-proposals = ["modern"]; esp-proposals = ["cbc"]; } );
CONF
vpnd_start
ss_client_start c1 client

# ---- INVALID_KE_PAYLOAD, then success ---------------------------------------------------
ss_client_conn client ke --remote "$TB_GW_ADDR" --psk ke@example.com "$PSK" \
  --ike aes256-sha256-modp2048-ecp256 --esp aes256-sha256 --remote-ts "$TB_PROTECTED_NET"
ss_client_up client ke || tb_fail "the tunnel did not come up after INVALID_KE_PAYLOAD"
vpnd_log_has "KE payload for DH group 14, we prefer ECP-256: INVALID_KE_PAYLOAD"
vpnd_log_has "sending IKE_SA_INIT response 0 \[ N\(INVAL_KE\) \]"
grep -Eq "peer didn't accept DH group MODP_2048, it requested ECP_256" "$TB_RESULTS/ss-client/charon.log" ||
  tb_fail "the client did not see INVALID_KE_PAYLOAD asking for ECP_256"
vpnd_log_has "IKE_SA established: .*ECP-256"
tb_exec c1 ping -c 2 -i 0.2 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "no ping through the tunnel"
ss_client_down client ke || tb_fail "cannot close the tunnel"
tb_wait 30 bash -c "! ip -n '$(tb_ns gw)' xfrm state list | grep -q ."

# ---- no common IKE proposal ----------------------------------------------------------------
ss_client_conn client noike --remote "$TB_GW_ADDR" --psk noike@example.com "$PSK" \
  --ike aes128-sha256-ecp256 --esp aes256-sha256
ss_client_up client noike 30 && tb_fail "the tunnel came up without a common IKE proposal"
vpnd_log_has "proposal 1: ENCR_AES_CBC-128 not in ike-proposal 'modern'"
vpnd_log_has "no acceptable IKE proposal .*: NO_PROPOSAL_CHOSEN"
vpnd_log_has "sending IKE_SA_INIT response 0 \[ N\(NO_PROP\) \]"
grep -q "NO_PROPOSAL_CHOSEN" "$TB_RESULTS/ss-client/charon.log" || tb_fail "the client did not see NO_PROPOSAL_CHOSEN"
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after NO_PROPOSAL_CHOSEN"
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw has policies after NO_PROPOSAL_CHOSEN"

# ---- a common IKE proposal, no common ESP proposal --------------------------------------------
ss_client_conn client noesp --remote "$TB_GW_ADDR" --psk noesp@example.com "$PSK" \
  --ike aes256-sha256-ecp256 --esp aes128gcm16
ss_client_up client noesp 30 && tb_fail "the CHILD SA came up without a common ESP proposal"
vpnd_log_has "proposal 1: ENCR_AES_GCM_16-128 not in esp-proposal 'cbc'"
vpnd_log_has "no acceptable ESP proposal for tunnel group rw: NO_PROPOSAL_CHOSEN"
vpnd_log_has "sending IKE_AUTH response 1 \[ IDr AUTH N\(NO_PROP\) \]"
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after the refused CHILD SA"
[ "$(tb_xfrm_policy_count gw)" -eq 0 ] || tb_fail "gw has policies after the refused CHILD SA"
[ "$(vpnd_session_count)" -eq 0 ] || tb_fail "a session exists without a CHILD SA"
