#!/usr/bin/env python3
"""scripts/demo.sh ended every way a user ends it; each must stop everything it started.

Modes (each a fresh demo):
  ctrl-c       under a real pseudo-terminal, Ctrl-C (SIGINT to the foreground group)
  sigterm      under a pseudo-terminal, SIGTERM to the script
  sighup       under a pseudo-terminal that is closed (a closed terminal window)
  pipe-ctrl-c  `demo.sh | cat` under a pseudo-terminal, Ctrl-C (both get SIGINT; cat dies
               first, so the script writes to a pipe nobody reads)
  reader-exits `demo.sh | reader`, and the reader closes the pipe while nothing new is printed

Every mode checks: the registrar's keys were deleted while etcd still ran (seen by an
independent `etcdctl watch`: it revoked its lease), etcd, the backends and the registrar no
longer answer, no process the demo started is left, and its temp directory is gone.
ctrl-c also checks the shutdown order the demo prints and that it exits 0.

usage: demo_test.py BIN_DIR [MODE...]   (BIN_DIR holds etcd-registrar and sample-backend)
"""
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.environ.get("DEMO_SCRIPT", os.path.join(ROOT, "scripts/demo.sh"))  # another to compare
MODES = ["ctrl-c", "sigterm", "sighup", "pipe-ctrl-c", "reader-exits"]


class Demo:
    """The demo under a pseudo-terminal (`command` run by bash), or on a pipe."""

    def __init__(self, bin_dir, mode):
        env = dict(os.environ, DEMO_BIN_DIR=bin_dir, TERM="dumb")
        self.out = ""
        self.status = None
        self.proc = None
        if mode == "reader-exits":
            self.stderr = open(os.devnull, "w")
            self.proc = subprocess.Popen(["bash", DEMO], stdout=subprocess.PIPE,
                                         stderr=self.stderr, stdin=subprocess.DEVNULL, env=env,
                                         start_new_session=True)
            self.pid, self.fd = self.proc.pid, self.proc.stdout.fileno()
            return
        command = f"bash {DEMO} | cat" if mode == "pipe-ctrl-c" else f"exec bash {DEMO}"
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the pty is its controlling terminal
            os.execvpe("bash", ["bash", "-c", command], env)

    def pump(self, timeout):
        """Reads what is there within timeout seconds; False at EOF."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not data:
            return False
        text = data.decode("utf-8", "replace")
        sys.stdout.write(text)
        sys.stdout.flush()
        self.out += text.replace("\r\n", "\n")
        return True

    def wait_for(self, what, predicate, deadline_s):
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if predicate():
                return
            if not self.pump(0.5):
                break
        if not predicate():
            fail(f"timed out waiting for {what}")

    def close_reader(self):
        """The reader of our output goes away (a closed terminal or pipe)."""
        if self.proc:
            self.proc.stdout.close()
        else:
            os.close(self.fd)
        self.fd = None

    def finish(self, deadline_s):
        deadline = time.monotonic() + deadline_s
        while self.fd is not None and time.monotonic() < deadline and self.pump(0.5):
            pass
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                return
            time.sleep(0.1)
        os.kill(self.pid, signal.SIGKILL)
        fail("the demo did not exit")


def fail(msg):
    print(f"\nFAIL demo_test: {msg}", file=sys.stderr)
    sys.exit(1)


def port_open(addr):
    host, port = addr.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return True
    except OSError:
        return False


def last_listing(out):
    """The keys of the demo's most recent `etcdctl get` listing."""
    blocks = out.split("---- ")
    return set(re.findall(r"^/services/web/(\S+)$", blocks[-1], re.M)) if len(blocks) > 1 else set()


def processes_with(text):
    """Pids of live processes whose command line contains `text`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry))
    return pids


def run(bin_dir, mode):
    print(f"==== demo ended by {mode}")
    demo = Demo(bin_dir, mode)
    demo.wait_for("the demo's banner", lambda: "Ctrl-C stops everything" in demo.out, 120)
    work = re.search(r"demo: files\s+(\S+)", demo.out).group(1)
    etcd_url = re.search(r"demo: etcd\s+(\S+)", demo.out).group(1)
    backends = re.search(r"demo: backends\s+(\S+) (\S+) (\S+)", demo.out).groups()
    admin = re.search(r"status page http://(\S+)/", demo.out).group(1)
    healthy = set(backends[:2])
    demo.wait_for("both healthy backends registered",
                  lambda: last_listing(demo.out) == healthy, 120)
    if not os.path.isdir(work):
        fail(f"the demo's directory {work} does not exist while it runs")

    # An independent witness of every change under the prefix.
    env = dict(os.environ, ETCDCTL_API="3")
    watch = subprocess.Popen(["etcdctl", "--endpoints", etcd_url, "watch", "--prefix", "/services/"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                             start_new_session=True)
    time.sleep(1)  # the watch has no "started" line; give it a moment to subscribe
    keys = subprocess.run(["etcdctl", "--endpoints", etcd_url, "get", "--prefix", "--keys-only",
                           "/services/"], capture_output=True, text=True, env=env).stdout.split()
    if sorted(keys) != sorted(f"/services/web/{b}" for b in healthy):
        fail(f"keys in etcd before the end: {keys}")

    mark = len(demo.out)
    if mode in ("ctrl-c", "pipe-ctrl-c"):
        os.write(demo.fd, b"\x03")  # the line discipline sends SIGINT to the foreground group
    elif mode == "sigterm":
        os.kill(demo.pid, signal.SIGTERM)
    else:  # sighup (the terminal's master closes), reader-exits (the pipe's reader closes)
        demo.close_reader()
    demo.finish(120)
    watch.terminate()  # etcd is gone; the watch would retry forever
    watched = watch.communicate(timeout=30)[0]
    print("---- etcdctl watch saw:\n" + watched)

    for b in healthy:
        if not re.search(rf"^DELETE\n/services/web/{re.escape(b)}$", watched, re.M):
            fail(f"{mode}: the watch saw no DELETE of {b} while etcd ran")
    for addr in [etcd_url.split("//")[1], admin, *backends]:
        if port_open(addr):
            fail(f"{mode}: {addr} still answers after the demo exited")
    left = processes_with(work)
    if left:
        fail(f"{mode}: processes the demo started are still running: {left}")
    if os.path.exists(work):
        fail(f"{mode}: the demo's directory {work} is still there")

    if mode == "ctrl-c":
        after = demo.out[mark:]
        order = ["demo: stopping etcd-registrar", "after the registrar stopped, etcd still running",
                 "demo: stopping the backends", "demo: stopping etcd\n", "demo: stopped"]
        positions = [after.find(m) for m in order]
        if -1 in positions or positions != sorted(positions):
            fail(f"shutdown order: {list(zip(order, positions))}")
        listing = after[positions[1]:positions[2]]
        if "(no keys)" not in listing:
            fail(f"keys still listed after the registrar stopped:\n{listing}")
        if re.search(r"revoking lease .* failed", demo.out):
            fail("the registrar could not revoke its lease")
        if "revoked lease" not in after:
            fail("the registrar did not say it revoked its lease")
        if not os.WIFEXITED(demo.status) or os.WEXITSTATUS(demo.status) != 0:
            fail(f"demo exit status {demo.status}")
    print(f"ok   demo ended by {mode}: keys deleted while etcd ran, every process stopped, "
          f"{work} removed")


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    for mode in sys.argv[2:] or MODES:
        if mode not in MODES:
            fail(f"unknown mode {mode}; expected one of {MODES}")
        run(bin_dir, mode)


if __name__ == "__main__":
    main()
