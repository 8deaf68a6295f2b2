#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The `demo` test: runs tools/demo against this build (--no-build: meson built it) and checks its
two-line summary (a Connect that connected, the guest online by a name only the network's DNS
server knows, and the Hangup of the network's carrier drop with its reason) and that it removed
its /tmp/dialupd-demo.* directory."""
import os
import re
import subprocess
import sys

root = os.environ["DIALUPD_SOURCE_ROOT"]
build = os.environ["DIALUPD_BUILD_ROOT"]


def demo_dirs():
    return {name for name in os.listdir("/tmp") if name.startswith("dialupd-demo.")}


before = demo_dirs()
demo = subprocess.run([os.path.join(root, "tools", "demo"), "--no-build", build], stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, text=True)
print(demo.stdout)
summary = [line for line in demo.stdout.splitlines() if line.startswith("summary: ")]
expected = [r"summary: connected in \d+\.\d s; online by name: only-over-the-link\.test is 10\.64\.0\.80 "
            r"\(the network's DNS\), pinged via ppp0",
            r"summary: Hangup reason 16 hangup \(the modem hung up \(carrier lost or the tty went away\)\) "
            r"after \d+\.\d s"]
failures = []
if demo.returncode != 0:
    failures.append(f"tools/demo exited {demo.returncode}")
if len(summary) != 2:
    failures.append(f"expected two summary lines, got {summary}")
else:
    failures += [f"summary line {line!r} does not match {pattern!r}" for line, pattern in zip(summary, expected)
                 if not re.fullmatch(pattern, line)]
leftovers = demo_dirs() - before
if leftovers:
    failures.append(f"tools/demo left {sorted(leftovers)} behind")
for failure in failures:
    print("FAIL: " + failure)
sys.exit(1 if failures else 0)
