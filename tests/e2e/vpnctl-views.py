#!/usr/bin/env python3
# The checks of vpnctl-views.sh: every JSON answer of `vpnctl session`,
# `sas`, `ipsec`, `stats` and `sessions` against the kernel (`ip -s xfrm
# state` on gw, read before and after vpnctl with no traffic in between)
# and the clients' own view (strongSwan's SPIs).  Prints one line per
# failed check and exits 1 when there is any.
#
# vpnctl-views.py DIR   with DIR holding sessions.json, session-*.json,
# sas.json, ipsec.json, stats.json, xfrm.txt, xfrm-after.txt, clients.json
import json
import re
import sys

d = sys.argv[1]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


def load(name):
    with open(f"{d}/{name}") as f:
        r = json.load(f)
    check(r.get("ok") is True, f"{name}: ok is not true")
    return r["result"]


def kernel_states(path):
    """SPI (int) -> the numbers `ip -s xfrm state` prints for it."""
    states, cur = {}, None
    lines = open(path).read().splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"proto esp spi (0x[0-9a-f]+)", line)
        if m:
            cur = {"spi": int(m.group(1), 16)}
            states[cur["spi"]] = cur
            continue
        if cur is None:
            continue
        m = re.search(r"replay-window (\d+)", line)
        if m and "seq" in line and "window" not in cur:
            cur["window"] = int(m.group(1))
        m = re.match(r"\s*(\d+)\(bytes\), (\d+)\(packets\)", line)
        if m and lines[i - 1].strip() == "lifetime current:":
            cur["bytes"], cur["packets"] = int(m.group(1)), int(m.group(2))
        m = re.match(r"\s*replay-window (\d+) replay (\d+) failed (\d+)", line)
        if m and lines[i - 1].strip() == "stats:":
            cur["stat_window"], cur["replay"], cur["failed"] = map(int, m.groups())
    return states


kernel = kernel_states(f"{d}/xfrm.txt")
after = kernel_states(f"{d}/xfrm-after.txt")
check(kernel == after, "the kernel counters moved while vpnctl ran: the comparison is void")
clients = json.load(open(f"{d}/clients.json"))   # user -> {version, address, spi_i, spi_r, child: [in, out]}

sessions = load("sessions.json")["sessions"]
check(len(sessions) == len(clients), f"sessions: {len(sessions)} sessions, expected {len(clients)}")

ipsec = load("ipsec.json")
sas = load("sas.json")
check(ipsec["count"] == len(ipsec["ipsec_sas"]) == len(clients), f"ipsec: count {ipsec['count']}")
check(sas["count"] == len(sas["ike_sas"]) == len(clients), f"sas: count {sas['count']}")
# Every ESP SA the kernel holds belongs to one of the listed IPsec SAs, and back.
listed = set()
for c in ipsec["ipsec_sas"]:
    listed.add(int(c["spi_in"], 16))
    listed.add(int(c["spi_out"], 16))
check(listed == set(kernel), f"ipsec lists SPIs {sorted(map(hex, listed))}, the kernel has {sorted(map(hex, kernel))}")


def check_direction(where, o, spi):
    k = kernel.get(spi)
    if not check(k is not None, f"{where}: SPI {spi:#x} not in gw's kernel"):
        return
    check(int(o["spi"], 16) == spi, f"{where}: spi {o['spi']} is not {spi:#x}")
    check("kernel_error" not in o, f"{where}: kernel error {o.get('kernel_error')}")
    for mine, theirs in (("bytes", "bytes"), ("packets", "packets"), ("replay_window", "window"),
                         ("replay_window_errors", "stat_window"), ("replay_errors", "replay"),
                         ("integrity_failures", "failed")):
        check(o.get(mine) == k.get(theirs),
              f"{where}: {mine} {o.get(mine)}, ip -s xfrm state says {k.get(theirs)}")
    lt = o["lifetime"]
    check(lt["hard_seconds"] > 0 and 0 < lt["seconds_left"] <= lt["hard_seconds"],
          f"{where}: lifetime {lt} is not a running hard limit")


def check_child(where, c, client):
    spi_in, spi_out = int(c["spi_in"], 16), int(c["spi_out"], 16)
    check_direction(f"{where} inbound", c["inbound"], spi_in)
    check_direction(f"{where} outbound", c["outbound"], spi_out)
    check(c["mode"] == "tunnel" and c["protocol"] == "ESP", f"{where}: mode {c['mode']} protocol {c['protocol']}")
    check(c["encapsulation"] is False, f"{where}: direct clients have no UDP encapsulation")
    check(c["remote_ts"] == [client["address"] + "/32"], f"{where}: remote TS {c['remote_ts']}")
    check(c["local_ts"] == [client["protected"]], f"{where}: local TS {c['local_ts']}")
    if client.get("child"):
        # The client's inbound SA is our outbound one.
        check([spi_out, spi_in] == [int(x, 16) for x in client["child"]],
              f"{where}: SPIs in {c['spi_in']} out {c['spi_out']}, the client has {client['child']}")


for user, client in clients.items():
    detail = load(f"session-{user}.json")
    check(detail["count"] == 1, f"session {user}: {detail['count']} sessions")
    s = detail["sessions"][0]
    summary = [x for x in sessions if x["user"] == user]
    if not check(len(summary) == 1, f"sessions: no single session of {user}"):
        continue
    summary = summary[0]
    # Everything `sessions` has, the detailed view has too (same values
    # where they cannot move in between).
    for k, v in summary.items():
        if k in ("duration_seconds", "idle_seconds", "ike_sa", "child_sas"):   # the detail replaces the last two
            continue
        check(s.get(k) == v, f"session {user}: {k} {s.get(k)!r}, sessions says {v!r}")
    for how in ("index", "address"):
        other = load(f"session-{user}-by-{how}.json")["sessions"][0]
        check(other["index"] == s["index"] and other["ike_sa"]["spi_r"] == s["ike_sa"]["spi_r"],
              f"session by {how} of {user} is another session")
    check(s["address"] == client["address"], f"session {user}: address {s['address']}, client has {client['address']}")
    # Idle since its pings at most, and never longer than the session.
    idle = summary.get("idle_seconds")
    check(isinstance(idle, int) and 0 <= idle <= summary["duration_seconds"],
          f"sessions: {user}'s idle time {idle!r} (duration {summary['duration_seconds']})")
    ike = s["ike_sa"]
    check(ike["version"] == client["version"], f"session {user}: version {ike['version']}")
    check(ike["remote"].split(":")[0] == client["public"], f"session {user}: remote {ike['remote']}")
    check(ike["lifetime_seconds"] > 0 and 0 < ike["lifetime_left_seconds"] <= ike["lifetime_seconds"],
          f"session {user}: IKE lifetime {ike['lifetime_seconds']} left {ike['lifetime_left_seconds']}")
    for k in ("encryption", "prf", "dh_group"):
        check(re.fullmatch(client[k], ike.get(k) or ""), f"session {user}: IKE {k} {ike.get(k)!r}, expected {client[k]!r}")
    check(str(ike["encryption_key_bits"]) in ike["encryption"], f"session {user}: key bits {ike['encryption_key_bits']}")
    check(ike["dpd"]["interval_seconds"] == client["dpd"], f"session {user}: DPD {ike['dpd']}")
    check(ike["nat"]["detected"] is False, f"session {user}: NAT detected for a direct client")
    if client["version"] == "IKEv2":
        check(ike["spi_i"] == client["spi_i"] and ike["spi_r"] == client["spi_r"],
              f"session {user}: IKE SPIs {ike['spi_i']}_i {ike['spi_r']}_r, the client has "
              f"{client['spi_i']}_i {client['spi_r']}_r")
        check(ike["remote_identity"] == user, f"session {user}: remote identity {ike['remote_identity']}")
        check(ike["local_auth"] == "psk" and ike["remote_auth"] == "psk", f"session {user}: auth {ike}")
        check(ike["local_identity"] == client["gateway"], f"session {user}: local identity {ike['local_identity']}")
        check(re.fullmatch(client["integrity"], ike["integrity"] or ""), f"session {user}: integrity {ike['integrity']}")
        # IKE_SA_INIT 0, IKE_AUTH 1: the next request of the client is 2 or more.
        check(ike["message_ids"]["expected_request"] >= 2 and ike["message_ids"]["window"] == 1,
              f"session {user}: message IDs {ike['message_ids']}")
    else:
        check(ike["xauth_user"] == user and ike["group_identity"] == client["group"],
              f"session {user}: xauth user {ike['xauth_user']} group {ike['group_identity']}")
        check(ike["auth"] == "psk+xauth", f"session {user}: auth {ike['auth']}")
        check(ike["exchange"] == client["exchange"],
              f"session {user}: exchange {ike['exchange']}, expected {client['exchange']}")
        check(client["vendor"] in ike["client_vendor_ids"], f"session {user}: vendor IDs {ike['client_vendor_ids']}")
        if "spi_i" in client:
            # The cookies, as the client knows them.
            check(ike["spi_i"] == client["spi_i"] and ike["spi_r"] == client["spi_r"],
                  f"session {user}: cookies {ike['spi_i']}_i {ike['spi_r']}_r, the client has "
                  f"{client['spi_i']}_i {client['spi_r']}_r")
        check(ike["state"] == "ready" and ike["xauth_user"] == user, f"session {user}: state {ike['state']}")
    children = s["child_sas"]
    if check(len(children) == 1, f"session {user}: {len(children)} CHILD SAs"):
        c = children[0]
        check_child(f"session {user}", c, client)
        check(re.fullmatch(client["esp"], c["transform"]), f"session {user}: transform {c['transform']!r}, expected {client['esp']!r}")
        check(summary["bytes_in"] == c["inbound"]["bytes"] and summary["packets_out"] == c["outbound"]["packets"],
              f"session {user}: sessions' counters differ from the CHILD SA's")
        check(c["inbound"]["packets"] >= client["pings"] and c["outbound"]["packets"] >= client["pings"],
              f"session {user}: {client['pings']} pings, packets in {c['inbound']['packets']} "
              f"out {c['outbound']['packets']}")
        # sas and ipsec show the same SAs under the same session index.
        same = [x for x in ipsec["ipsec_sas"] if x["session"] == s["index"]]
        counters = ("spi", "bytes", "packets", "replay_errors", "integrity_failures")
        check(len(same) == 1 and same[0]["spi_in"] == c["spi_in"] and
              all(same[0][d][k] == c[d][k] for d in ("inbound", "outbound") for k in counters),
              f"ipsec: the entry of session {s['index']} differs from `session`")
    same = [x for x in sas["ike_sas"] if x["session"] == s["index"]]
    check(len(same) == 1 and same[0]["spi_i"] == ike["spi_i"] and same[0]["user"] == user,
          f"sas: the entry of session {s['index']} differs from `session`")

stats = load("stats.json")
hs = stats["handshakes"]
check(hs["succeeded"] == len(clients), f"stats: {hs['succeeded']} handshakes succeeded, expected {len(clients)}")
check(hs["started"] >= hs["succeeded"], f"stats: started {hs['started']} < succeeded")
check(hs["failed"] == 0 and not any(hs["failed_by_reason"].values()), f"stats: failures {hs}")
n_v2 = sum(1 for c in clients.values() if c["version"] == "IKEv2")
check(stats["sessions_now"] == len(clients) and stats["ikev2_established_now"] == n_v2 and stats["half_open_now"] == 0,
      f"stats: sessions {stats['sessions_now']} IKEv2 established {stats['ikev2_established_now']} "
      f"half-open {stats['half_open_now']}")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
