#!/bin/bash
# Each manual page renders with man(1) without a warning from groff or man
# (unknown macros, bad escapes, lines it cannot break...).  Prints TAP.
# Usage: check-render.sh PAGE...
n=0 failed=0
for page in "$@"; do
  n=$((n + 1))
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -E UTF-8 -l "$page" 2>&1 > /dev/null)
  if [ -z "$warnings" ] && [ -n "$(LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$page" 2> /dev/null)" ]; then
    echo "ok $n - $(basename "$page") renders without warnings"
  else
    failed=$((failed + 1))
    echo "not ok $n - $(basename "$page"):"
    sed 's/^/# /' <<< "$warnings"
  fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
