#!/bin/bash
# IKEv1 Xauth against a real FreeRADIUS (on gw's loopback, its own
# configuration directory): vpnc's user name and password go to the tunnel
# group's authentication-server-group as PAP.  alice is accepted: her
# address is the Framed-IP-Address the server sent (not one of the pool),
# her group policy the one the group-policy-map names for her Filter-Id,
# a ping to srv goes through the ESP SAs on gw, and her Session-Timeout
# (20 s, the group policy says 3600) ends the session with a log line
# saying so.  bob is rejected: vpnc fails and vpnd's log names the server
# and its Reply-Message; a wrong password of alice is a failed attempt.
# carol's server answers her password with an Access-Challenge: vpnc,
# driven through a pseudo-terminal, shows the prompt and answers the second
# Xauth request with the one-time code; she connects.  Then FreeRADIUS
# stops: a client of the tunnel group fails with a log line saying that
# no server answered, while the tunnel group with
# authentication-fallback-local lets a local user in.
# e2e-timeout: 600
set -euo pipefail
here=$(dirname "$0")
. "$here/../testbed/lib.sh"
. "$here/../testbed/vpnc.sh"
. "$here/../testbed/freeradius.sh"
. "$here/ikev2-common.bash"
tb_init

GROUP=vpngroup
KEY=ikev1-group-key-radius-7c2e
SECRET=radius-secret-xauth-41
FRAMED=10.4.1.77
tb_topology_remote_access --direct 2
hash=$(openssl passwd -6 dave-local-pw-63)

# ---- FreeRADIUS: the users, and a one-time-password challenge for carol -------------
fr_setup "$SECRET"
fr_users <<'USERS'
alice	Cleartext-Password := "alice-radius-pw"
	Framed-IP-Address = 10.4.1.77,
	Framed-IP-Netmask = 255.255.255.255,
	Session-Timeout = 20,
	Class = "corp-class-alice",
	Filter-Id = "engineering"
bob	Auth-Type := Reject
	Reply-Message = "Account disabled"
carol	State == 0x6f74702d6368616c6c656e6765, Cleartext-Password := "424242"
	Reply-Message = "Token accepted"
USERS
# carol's password first; then the code, sent back with the State.
fr_authorize <<'UNLANG'
	if (&User-Name == "carol" && !&State) {
		if (&User-Password == "carol-radius-pw") {
			update reply {
				&Reply-Message := "Enter the code shown on your token"
				&State := 0x6f74702d6368616c6c656e6765
			}
			update control {
				&Response-Packet-Type := Access-Challenge
			}
			handled
		}
		reject
	}
UNLANG
fr_start gw

vpnd_write_conf <<CONF
ike-proposals = ( { name = "ezvpn"; encryption = ["aes256"]; integrity = ["sha1"]; dh-group = [14, 2]; } );
esp-proposals = ( { name = "esp"; encryption = ["aes256"]; integrity = ["sha1"]; } );
pools = ( { name = "ez-pool"; range = "10.4.0.10-10.4.0.20"; netmask = "255.255.255.0"; } );
group-policies = ( { name = "ez-policy"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; protocols = ["ikev1"]; },
                   { name = "eng-policy"; split-tunnel-policy = "tunnel-specified";
                     split-tunnel-networks = ["$TB_PROTECTED_NET"]; protocols = ["ikev1"];
                     session-timeout = 3600; } );
aaa-server-groups = ( { name = "corp-radius"; servers = ( { address = "127.0.0.1"; secret = "$SECRET"; } );
                        timeout = 1; retries = 1; nas-identifier = "vpnd-e2e";
                        group-policy-attribute = "filter-id";
                        group-policy-map = ( { value = "engineering"; group-policy = "eng-policy"; } ); } );
users = ( { name = "dave"; password-hash = "$hash"; } );
tunnel-groups = ( { name = "ez"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "$GROUP"; address-pool = "ez-pool"; group-policy = "ez-policy";
                    ike-proposals = ["ezvpn"]; esp-proposals = ["esp"]; xauth-attempts = 2;
                    authentication-server-group = "corp-radius"; },
                  { name = "ez-fallback"; ike-version = 1; authentication = "psk+xauth"; psk = "$KEY";
                    group-name = "fallback"; address-pool = "ez-pool"; group-policy = "ez-policy";
                    ike-proposals = ["ezvpn"]; esp-proposals = ["esp"];
                    authentication-server-group = "corp-radius"; authentication-fallback-local = true; } );
CONF
vpnd_start
peer="${TB_ADDR[c1]}:[0-9]+"
peer2="${TB_ADDR[c2]}:[0-9]+"      # a second vpnc while alice's runs on c1

# ---- alice: accepted, authorized by the Access-Accept ---------------------------------
vpnc_conf alice --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$KEY" --user alice --password alice-radius-pw
vpnc_up c1 alice || tb_fail "vpnc did not connect alice"
addr=$(vpnc_env alice INTERNAL_IP4_ADDRESS)
[ "$addr" = "$FRAMED" ] || tb_fail "alice got $addr, not her Framed-IP-Address $FRAMED"
[ "$(vpnc_env alice INTERNAL_IP4_NETMASK)" = 255.255.255.255 ] || tb_fail "alice's netmask is not her Framed-IP-Netmask"
vpnd_log_has "Xauth: user alice authenticated by RADIUS server 127.0.0.1:1812 \(peer $peer, tunnel group ez\): group policy eng-policy, address $FRAMED, session timeout 20 s"
vpnd_log_has "session up: user alice, address $FRAMED" 60
tb_exec c1 ping -c 3 -i 0.3 -W 5 "$TB_SRV_ADDR" > "$TB_RESULTS/ping-alice.log" ||
  tb_fail "alice cannot ping $TB_SRV_ADDR through the tunnel"
line=$(grep -Eo "IPsec SA installed: spi in 0x[0-9a-f]+ out 0x[0-9a-f]+" "$TB_RESULTS/vpnd.log" | head -n 1)
spi_in=$(sed -E 's/.*in (0x[0-9a-f]+) .*/\1/' <<< "$line")
n=$(tb_xfrm_packets gw "$spi_in")
[ -n "$n" ] && [ "$n" -ge 3 ] || tb_fail "alice's inbound SA $spi_in carried '${n}' packets, expected at least 3"
vpnctl sessions > "$TB_RESULTS/sessions.txt"
[ "$(vpnd_session_field "$FRAMED" user)" = alice ] || tb_fail "vpnctl: no session of alice with $FRAMED"
[ "$(vpnd_session_field "$FRAMED" group_policy)" = eng-policy ] ||
  tb_fail "alice's group policy is $(vpnd_session_field "$FRAMED" group_policy), not eng-policy (Filter-Id)"
alice_up=$SECONDS

# ---- rejected: the server's reason in the log ----------------------------------------
vpnc_conf bob --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$KEY" --user bob --password bob-any-password
vpnc_expect_failure c2 bob
vpnd_log_has "authentication failed: peer $peer2, user 'bob', tunnel group ez: Xauth: RADIUS server 127.0.0.1:1812 rejected: Account disabled \(attempt 1 of 2\)"
vpnc_conf alice-wrong --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$KEY" --user alice --password not-alices-pw
vpnc_expect_failure c2 alice-wrong
vpnd_log_has "authentication failed: peer $peer2, user 'alice', tunnel group ez: Xauth: RADIUS server 127.0.0.1:1812 rejected: no Reply-Message \(attempt 1 of 2\)"

# ---- carol: an Access-Challenge, answered at vpnc's second prompt ---------------------------
vpnc_conf carol --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$KEY" --user carol --password carol-radius-pw
vpnc_up_interactive c2 carol 424242 || tb_fail "vpnc did not connect carol after the challenge"
vpnd_log_has "Xauth: RADIUS server 127.0.0.1:1812 challenges user carol \(peer $peer2, tunnel group ez\): \"Enter the code shown on your token\""
vpnd_log_has "sending TRANSACTION 0x[0-9a-f]+ \[ HASH CPRQ\(X_TYPE X_USER X_PWD X_MSG\) \]"
vpnd_log_has "Xauth: user carol authenticated by RADIUS server 127.0.0.1:1812"
grep -q "Enter the code shown on your token" "$TB_RESULTS/vpnc-carol/vpnc.log" ||
  tb_fail "vpnc did not show the server's prompt"
[ "$(grep -c "answered the prompt" "$TB_RESULTS/vpnc-carol/vpnc.log")" -eq 1 ] ||
  tb_fail "vpnc did not prompt exactly once for the code"
carol_addr=$(vpnc_env carol INTERNAL_IP4_ADDRESS)
[[ $carol_addr == 10.4.0.1[0-9] || $carol_addr == 10.4.0.20 ]] || tb_fail "carol's address $carol_addr is not from the pool"
vpnd_log_has "session up: user carol, address $carol_addr" 60
grep -c "Access-Challenge" "$TB_RESULTS/freeradius.log" > /dev/null || tb_fail "FreeRADIUS sent no Access-Challenge"

# ---- alice's Session-Timeout ends her session --------------------------------------------------
vpnd_log_has "session down: user alice, address $FRAMED: session timeout \(20 s\)" 60
tb_log "alice's session ended $((SECONDS - alice_up)) s after the checks began (Session-Timeout 20 s)"
[ -z "$(vpnd_session_field "$FRAMED" user 2> /dev/null || true)" ] || tb_fail "alice's session is still listed"
# vpnd deleted alice's SAs; her vpnc may not react to SIGTERM any more.
tb_stop "${VPNC_PID[alice]}" || true
vpnc_down carol

# ---- every server down: fail, or fall back to local users where configured ---------------------
fr_stop
vpnc_conf alice-down --gateway "$TB_GW_ADDR" --group "$GROUP" --secret "$KEY" --user alice --password alice-radius-pw
vpnc_expect_failure c1 alice-down
vpnd_log_has "authentication failed: peer $peer, user 'alice', tunnel group ez: Xauth: RADIUS unavailable \(aaa-server-group corp-radius\): timeout: no answer from 127.0.0.1:1812"
vpnd_log_has "sending TRANSACTION 0x[0-9a-f]+ \[ HASH CPS\(X_STATUS\) \]"
vpnc_conf dave --gateway "$TB_GW_ADDR" --group fallback --secret "$KEY" --user dave --password dave-local-pw-63
vpnc_up c1 dave || tb_fail "the local user did not connect through the fallback"
vpnd_log_has "Xauth: no RADIUS answer for user dave \(peer $peer, tunnel group ez-fallback, aaa-server-group corp-radius\): all servers of group 'corp-radius' are dead; falling back to the local users"
vpnd_log_has "Xauth: user dave authenticated \(peer $peer, tunnel group ez-fallback\)"
tb_exec c1 ping -c 2 -i 0.3 -W 5 "$TB_SRV_ADDR" > /dev/null || tb_fail "no ping through dave's tunnel"
vpnc_down dave

! grep -qF -e alice-radius-pw -e carol-radius-pw -e bob-any-password "$TB_RESULTS/vpnd.log" ||
  tb_fail "a password is in vpnd's log"
vpnd_stop
