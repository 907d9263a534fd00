#!/bin/bash
# Malformed IKEv1 input (tests/e2e/ikev1-malformed.py, from c2): broken
# headers and payload lengths, payload loops and thousands of payloads,
# absurd SA counts and attribute lengths, bad nonces, KE and IDs,
# unknown cookies, unaligned and random ciphertext under a real half-open
# ISAKMP SA, 400 random mutations of a valid Aggressive Mode message 1;
# meanwhile c1's vpnc session keeps working: vpnd does not crash, the
# session and its SAs stay, a ping goes through them, the drops are counted
# in `vpnctl status` and logged.
# e2e-timeout: 500
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/vpnc.sh"
. "$here/ikev2-common.bash"
tb_init

KEY=ikev1-malformed-key-0c
PASSWORD=alice-pw-malformed
tb_topology_remote_access --direct 2
hash=$(openssl passwd -6 "$PASSWORD")
vpnd_write_conf <<CONF
ike-proposals = ( { name = "ezvpn"; encryption = ["aes128"]; integrity = ["sha1"]; dh-group = [2]; } );
esp-proposals = ( { name = "esp"; encryption = ["aes128"]; integrity = ["sha1"]; } );
pools = ( { name = "ez-pool"; range = "10.8.0.10-10.8.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "ez-policy"; protocols = ["ikev1"]; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; } );
users = ( { name = "alice"; password-hash = "$hash"; } );
tunnel-groups = ( { name = "ez"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "ezgroup"; address-pool = "ez-pool"; group-policy = "ez-policy";
                    ike-proposals = ["ezvpn"]; esp-proposals = ["esp"]; } );
CONF
vpnd_start
# zz-tshark-suite checks every IKE packet of the suite: not these.
vpnd_capture_exclude "ip.src == ${TB_ADDR[c2]}" "ikev1-malformed.py on c2 sends malformed IKEv1 on purpose"

vpnc_conf alice --gateway "$TB_GW_ADDR" --group ezgroup --secret "$KEY" --user alice --password "$PASSWORD"
vpnc_up c1 alice || tb_fail "vpnc did not connect"
addr=$(vpnc_env alice INTERNAL_IP4_ADDRESS)
vpnd_log_has "session up: user alice, address $addr" 60
tb_exec c1 ping -c 2 -i 0.3 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "c1 cannot ping srv through the tunnel"

probe_rc=0
tb_exec c2 /usr/bin/python3 "$TB_REPO/tests/e2e/ikev1-malformed.py" "$TB_GW_ADDR" ezgroup \
  > "$TB_RESULTS/probe.log" 2>&1 || probe_rc=$?
cat "$TB_RESULTS/probe.log" >&2
grep -q '^sent [0-9]* datagrams$' "$TB_RESULTS/probe.log" || tb_fail "the probe did not finish (exit $probe_rc)"
[ "$probe_rc" -eq 0 ] || tb_fail "the probe found problems"

# ---- vpnd survived and still serves the client --------------------------------------------
kill -0 "$VPND_PID" 2> /dev/null || tb_fail "vpnd died: $(tail -n 20 "$TB_RESULTS/vpnd.log")"
vpnctl status > "$TB_RESULTS/status.txt" || tb_fail "vpnctl status does not answer after the flood"
[ "$(vpnd_session_field "$addr" user)" = alice ] || tb_fail "alice's session is gone after the flood"
before=$(vpnd_session_field "$addr" packets_in)
tb_exec c1 ping -c 3 -i 0.3 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "c1 cannot ping srv after the flood"
after=$(vpnd_session_field "$addr" packets_in)
[ "$after" -ge $((before + 3)) ] || tb_fail "the session's counters did not move: $before -> $after"

# ---- counted and logged ---------------------------------------------------------------------
read -r parse_errors unknown_spi decrypt < <(vpnctl --json status | python3 -c '
import json, sys
ike = json.load(sys.stdin)["result"]["ike"]
print(ike["parse_errors"], ike["unknown_spi"], ike["decrypt_failures"])')
tb_log "vpnctl status: $parse_errors malformed messages, $unknown_spi for unknown cookies, $decrypt undecryptable"
[ "$parse_errors" -ge 40 ] || tb_fail "vpnctl status counts only $parse_errors malformed messages"
[ "$unknown_spi" -ge 6 ] || tb_fail "vpnctl status counts $unknown_spi messages for unknown cookies"
vpnd_log_has "malformed Aggressive Mode message 1 dropped: truncated payload"
vpnd_log_has "Aggressive Mode message 1 from ${TB_ADDR[c2]}:500 dropped: too many substructures"
vpnd_log_has "Aggressive Mode message 1 from ${TB_ADDR[c2]}:500 dropped: nonce length outside 8..256"
vpnd_log_has "malformed Aggressive Mode message 1 dropped: payload length below 4 V at offset 28"
vpnd_log_has "malformed Aggressive Mode message 1 dropped: too many substructures V"
vpnd_log_has "Aggressive Mode from ${TB_ADDR[c2]}:500 refused: no IKEv1 pre-shared-key tunnel group with group-name 'no-such-group'"
vpnd_log_has "Aggressive Mode from ${TB_ADDR[c2]}:500 refused: ID type 1 is not a group name"
vpnd_log_has "message for an unknown ISAKMP SA dropped"
vpnd_log_has "retransmitted Aggressive Mode message 1: sending message 2 again"
vpnc_down alice
vpnd_stop
[ "$(tb_xfrm_state_count gw)" -eq 0 ] || tb_fail "gw has xfrm states after vpnd stopped"
