#!/usr/bin/env python3
"""Every key the configuration parser accepts is documented in vpnd.conf(5).

The parser's tables are the `static const char *const keys[] = { ..., NULL }`
arrays that each section's parser hands to config_check_keys() (daemon/
config-*.c), plus the root sections in config.c. A key counts as documented
when the page names it in bold (.B / .BR / \\fB...\\fR) or in its synopsis
lines; the page writes '-' as '\\-'. Prints TAP.

Usage: check-config-keys.py DAEMON_DIR MANPAGE
"""
import glob
import os
import re
import sys

daemon_dir, page = sys.argv[1], sys.argv[2]

keys = {}   # key -> first file that declares it
table = re.compile(r'static\s+const\s+char\s*\*\s*const\s+\w*keys\[\]\s*=\s*\{(.*?)\};', re.S)
for path in sorted(glob.glob(os.path.join(daemon_dir, 'config*.c'))):
    text = open(path, encoding='utf-8').read()
    for block in table.findall(text):
        for key in re.findall(r'"([^"]+)"', block):
            keys.setdefault(key, os.path.basename(path))

man = open(page, encoding='utf-8').read().replace('\\-', '-')
documented = set()
for line in man.splitlines():
    if line.startswith(('.B ', '.BR ', '.BI ', '.IR ')):
        documented.update(re.findall(r'[a-z][a-z0-9-]*', line))
documented.update(re.findall(r'\\fB([a-z][a-z0-9-]*)', man))
# Synopsis lines (between .nf and .fi) show keys as `key = value`.
for block in re.findall(r'^\.nf$(.*?)^\.fi$', man, re.S | re.M):
    documented.update(re.findall(r'([a-z][a-z0-9-]*)\s*=', block))

if len(keys) < 50:
    print('not ok 1 - found only %d keys in the parser tables: the pattern no longer matches' % len(keys))
    sys.exit(1)
n = 0
failed = 0
for key, where in sorted(keys.items()):
    n += 1
    if key in documented:
        print('ok %d - %s (%s) documented' % (n, key, where))
    else:
        failed += 1
        print('not ok %d - %s (%s) is not documented in %s' % (n, key, where, os.path.basename(page)))
print('1..%d' % n)
sys.exit(1 if failed else 0)
