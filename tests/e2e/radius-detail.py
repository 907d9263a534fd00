#!/usr/bin/env python3
# Reads FreeRADIUS `detail` accounting records from stdin (a date line, then
# tab-indented "Attribute = value" lines, a blank line between records) and
# answers the radius-accounting test's questions.
#   radius-detail.py count SESSION-ID STATUS     how many records of that kind
#   radius-detail.py get SESSION-ID STATUS       the last one, "Name=value" per line
#   radius-detail.py sequence SESSION-ID...      "ID STATUS" of those sessions' records, in order
import sys


def records(text):
    rec = None
    for line in text.splitlines():
        if not line.strip():
            if rec:
                yield rec
            rec = None
            continue
        if not line.startswith(("\t", " ")):
            rec = {}
            continue
        if rec is None or " = " not in line:
            continue
        name, value = line.strip().split(" = ", 1)
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        rec[name] = value
    if rec:
        yield rec


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    recs = list(records(sys.stdin.read()))
    if cmd == "count":
        print(sum(1 for r in recs if r.get("Acct-Session-Id") == args[0] and r.get("Acct-Status-Type") == args[1]))
    elif cmd == "get":
        match = [r for r in recs if r.get("Acct-Session-Id") == args[0] and r.get("Acct-Status-Type") == args[1]]
        if not match:
            return 1
        for name, value in match[-1].items():
            print(f"{name}={value}")
    elif cmd == "sequence":
        for r in recs:
            if r.get("Acct-Session-Id") in args:
                print(r.get("Acct-Session-Id"), r.get("Acct-Status-Type"))
    else:
        print(f"unknown command {cmd}", file=sys.stderr)
        return 2
    return 0


sys.exit(main())
