"""Runs a command on a pseudo-terminal, as a terminal window runs it, and stops it from outside.

Its standard input and output are the terminal (the command's session and controlling terminal);
its standard error is a pipe, read whole here. It waits for `ready` on the screen (or for the file
`readyFile` to exist), types each of `keys` once the screen shows the text paired with it, waits
`settle` seconds more (0 unless given), then stops the command: `kill` sends it that signal,
`hangup` closes the terminal (the kernel sends SIGHUP, and the terminal is gone).
Prints one JSON object: the exit status or the signal that killed the command, the screen, its
standard error and, unless the terminal was closed, whether the terminal was left in raw mode.
A command still running at the deadline (`deadline` seconds, 50 unless given) is killed, and this
exits non-zero saying so: a hung command fails its test rather than blocking the test run.
"""

import fcntl
import json
import os
import pty
import select
import signal
import sys
import termios

config = json.loads(sys.argv[1])
master, slave = pty.openpty()
error_read, error_write = os.pipe()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    os.dup2(slave, 0)
    os.dup2(slave, 1)
    os.dup2(error_write, 2)
    for fd in (master, slave, error_read, error_write):
        os.close(fd)
    os.execvp(config["argv"][0], config["argv"])
os.close(error_write)
screen = b""


def past_deadline(_signum, _frame):
    os.kill(pid, signal.SIGKILL)
    sys.exit(f"still running after {config.get('deadline', 50)} s, killed; screen: {screen[-400:]!r}")


signal.signal(signal.SIGALRM, past_deadline)
signal.alarm(config.get("deadline", 50))
# Held by the command alone: the screen ends (EIO) when it exits. The terminal's modes are read
# from the other side, which shares them.
os.close(slave)


def read_screen(wait):
    global screen
    ready, _, _ = select.select([master], [], [], wait)
    if not ready:
        return True
    try:
        chunk = os.read(master, 65536)
    except OSError:
        return False
    screen += chunk
    return len(chunk) > 0


def wait_for(text):
    # A guard against a command that never shows the text, not a timing under test.
    for _ in range(1200):
        if text.encode() in screen:
            return
        if not read_screen(0.1):
            break
    sys.exit(f"never shown: {text!r}; screen: {screen[-400:]!r}")


if "ready" in config:
    wait_for(config["ready"])
else:
    # Or until a file exists (a lock taken), the screen still read meanwhile.
    for _ in range(1200):
        if os.path.exists(config["readyFile"]):
            break
        read_screen(0.1)
    else:
        sys.exit(f"never written: {config['readyFile']!r}; screen: {screen[-400:]!r}")
for key, shown in config.get("keys", []):
    os.write(master, key.encode())
    wait_for(shown)
# Then `settle` seconds more, the screen still read: for a command whose next step shows nothing.
for _ in range(round(config.get("settle", 0) * 10)):
    read_screen(0.1)
if "kill" in config:
    os.kill(pid, getattr(signal, config["kill"]))
    while read_screen(None):
        pass
else:
    os.close(master)
stderr = b""
while True:
    chunk = os.read(error_read, 65536)
    if not chunk:
        break
    stderr += chunk
_, status = os.waitpid(pid, 0)
result = {
    "status": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
    "signal": signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status) else None,
    "screen": screen.decode(errors="replace"),
    "stderr": stderr.decode(errors="replace"),
}
if "kill" in config:
    lflag = termios.tcgetattr(master)[3]
    result["rawMode"] = not (lflag & termios.ICANON and lflag & termios.ECHO)
print(json.dumps(result))
