#!/usr/bin/env python3
# Runs a command (vpnc) on a pseudo-terminal, as a user at a terminal would,
# answering its prompts: each time the output shows PROMPT (a regular
# expression), the next ANSWER is typed.  Everything the command prints
# goes to LOG.  SIGTERM is passed on to the command; the exit status is the
# command's.  Needed for what vpnc only does interactively: a second Xauth
# password prompt (one-time passwords, a RADIUS Access-Challenge), which it
# reads from its controlling terminal.
#
# Usage: vpnc-pty.py LOG PROMPT ANSWER [ANSWER...] -- COMMAND [ARG...]
import os
import pty
import re
import select
import signal
import sys


def main():
    sep = sys.argv.index('--')
    log_path, prompt, answers, command = sys.argv[1], sys.argv[2], sys.argv[3:sep], sys.argv[sep + 1:]
    pattern = re.compile(prompt.encode())
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
    signal.signal(signal.SIGINT, lambda *_: os.kill(pid, signal.SIGTERM))
    pending = b''
    status = None
    with open(log_path, 'ab', buffering=0) as log:
        while True:
            try:
                ready, _, _ = select.select([fd], [], [], 1.0)
            except InterruptedError:
                continue
            if not ready:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done == pid:
                    status = st
                    break
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:     # EIO: the command closed the terminal (exited)
                break
            if not data:
                break
            log.write(data)
            pending += data
            match = pattern.search(pending)
            if match:
                pending = pending[match.end():]
                if answers:
                    log.write(b'[vpnc-pty: answered the prompt]\n')
                    os.write(fd, answers.pop(0).encode() + b'\n')
                else:
                    log.write(b'[vpnc-pty: no answer left for the prompt]\n')
                    os.kill(pid, signal.SIGTERM)
    if status is None:
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == '__main__':
    main()
