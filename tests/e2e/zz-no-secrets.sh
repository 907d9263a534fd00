#!/bin/bash
# No secret ever reaches vpnd's log.  Every e2e test runs vpnd with all
# subsystems at debug level 127 (ikev2-common.bash); this test, which runs
# last, reads each test's vpnd.conf, collects the secrets it configures
# (pre-shared keys, passwords, RADIUS secrets, NT hashes, and the contents
# of the -file variants) and looks for each of them in that test's vpnd
# log and vpnctl outputs, as text and hex-encoded.
# e2e-timeout: 120
set -euo pipefail
results=$(dirname "$VPND_TEST_RESULTS")

python3 - "$results" "$(basename "$VPND_TEST_RESULTS")" <<'PY'
import glob, os, re, sys

results, me = sys.argv[1], sys.argv[2]
secret_re = re.compile(r'\b(psk|password|secret|nt-hash)\s*=\s*"([^"]+)"')
file_re = re.compile(r'\b(psk|password|secret)-file\s*=\s*"([^"]+)"')
checked = leaks = 0
for conf in sorted(glob.glob(os.path.join(results, '*', 'vpnd*.conf'))):
    test = os.path.basename(os.path.dirname(conf))
    if test == me:
        continue
    text = open(conf, errors='replace').read()
    secrets = {m.group(2) for m in secret_re.finditer(text)}
    for m in file_re.finditer(text):
        try:
            secrets.add(open(m.group(2), errors='replace').read().strip())
        except OSError:
            pass
    secrets = {s for s in secrets if len(s) >= 6}     # short ones would match by chance
    logs = [p for p in glob.glob(os.path.join(os.path.dirname(conf), '*'))
            if os.path.basename(p).startswith(('vpnd', 'vpnctl', 'sessions', 'check-config'))
            and not p.endswith('.conf') and os.path.isfile(p)]
    if not secrets or not logs:
        continue
    for log in logs:
        data = open(log, 'rb').read()
        low = data.lower()
        for s in secrets:
            for form in (s.encode(), s.encode().hex().encode()):
                if form.lower() in low:
                    leaks += 1
                    print('LEAK: %s: a secret of %s (%d characters) appears in %s'
                          % (test, os.path.basename(conf), len(s), os.path.basename(log)))
    checked += 1
    print('%s: %d secret(s) looked for in %s' % (test, len(secrets), ', '.join(sorted(map(os.path.basename, logs)))))
if checked == 0:
    print('no test results with vpnd configurations and logs to check: run the other e2e tests first')
    sys.exit(1)
print('%d test(s) checked, %d leak(s)' % (checked, leaks))
sys.exit(1 if leaks else 0)
PY
