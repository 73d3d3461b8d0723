#!/usr/bin/env python3
"""scripts/demo.sh under a real pseudo-terminal, ended with Ctrl-C as a user ends it.

Checks the shutdown order the demo promises: the terminal's SIGINT reaches only the
script (children run in their own sessions); the registrar stops first and its keys
are deleted while etcd still runs (seen by an independent `etcdctl watch`, and by the
demo's own listing); no "revoking lease ... failed"; then the backends and etcd stop
and the script exits 0.

usage: demo_test.py BIN_DIR   (the directory holding etcd-registrar and sample-backend)
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


class Demo:
    def __init__(self, bin_dir):
        env = dict(os.environ, DEMO_BIN_DIR=bin_dir, TERM="dumb")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the pty is its controlling terminal
            os.execvpe("bash", ["bash", os.path.join(ROOT, "scripts/demo.sh")], env)
        self.out = ""
        self.status = None

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

    def finish(self, deadline_s):
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline and self.pump(0.5):
            pass
        for _ in range(int(deadline_s * 10)):
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                return
            time.sleep(0.1)
        os.kill(self.pid, signal.SIGKILL)
        fail("the demo did not exit after Ctrl-C")


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


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    demo = Demo(bin_dir)
    demo.wait_for("the demo's banner", lambda: "Ctrl-C stops everything" in demo.out, 120)
    etcd_url = re.search(r"demo: etcd\s+(\S+)", demo.out).group(1)
    backends = re.search(r"demo: backends\s+(\S+) (\S+) (\S+)", demo.out).groups()
    healthy = set(backends[:2])
    demo.wait_for("both healthy backends registered",
                  lambda: last_listing(demo.out) == healthy, 120)

    # An independent witness of every change under the prefix.
    env = dict(os.environ, ETCDCTL_API="3")
    watch = subprocess.Popen(["etcdctl", "--endpoints", etcd_url, "watch", "--prefix", "/services/"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                             start_new_session=True)
    time.sleep(1)  # the watch has no "started" line; give it a moment to subscribe
    keys = subprocess.run(["etcdctl", "--endpoints", etcd_url, "get", "--prefix", "--keys-only",
                           "/services/"], capture_output=True, text=True, env=env).stdout.split()
    if sorted(keys) != sorted(f"/services/web/{b}" for b in healthy):
        fail(f"keys in etcd before Ctrl-C: {keys}")

    mark = len(demo.out)
    os.write(demo.fd, b"\x03")  # Ctrl-C: the line discipline sends SIGINT to the foreground group
    demo.finish(90)
    watch.terminate()  # etcd is gone; the watch would retry forever
    watched = watch.communicate(timeout=30)[0]
    print("---- etcdctl watch saw:\n" + watched)

    after = demo.out[mark:]
    order = ["demo: stopping etcd-registrar", "after the registrar stopped, etcd still running",
             "demo: stopping the backends", "demo: stopping etcd\n", "demo: stopped"]
    positions = [after.find(m) for m in order]
    if -1 in positions or positions != sorted(positions):
        fail(f"shutdown order: {list(zip(order, positions))}")
    listing = after[positions[1]:positions[2]]
    if "(no keys)" not in listing:
        fail(f"keys still listed after the registrar stopped:\n{listing}")
    for b in healthy:
        if not re.search(rf"^DELETE\n/services/web/{re.escape(b)}$", watched, re.M):
            fail(f"the watch saw no DELETE of {b} while etcd ran")
    if re.search(r"revoking lease .* failed", demo.out):
        fail("the registrar could not revoke its lease")
    if "revoked lease" not in after:
        fail("the registrar did not say it revoked its lease")
    if not os.WIFEXITED(demo.status) or os.WEXITSTATUS(demo.status) != 0:
        fail(f"demo exit status {demo.status}")
    for addr in [etcd_url.split("//")[1], *backends]:
        if port_open(addr):
            fail(f"{addr} still answers after the demo exited")
    print("ok   demo: Ctrl-C stopped the registrar first, its keys were deleted while etcd ran, "
          "then backends and etcd stopped")


if __name__ == "__main__":
    main()
