#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host side of the real-PPP tests: boots one User-mode Linux guest that runs every scenario
(tests/guest/scenarios.py) and relays its TAP stream, so meson counts each scenario. Logs of
every scenario stay in the result directory, printed here when something failed."""
import fcntl
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.environ.get("DIALUPD_SOURCE_ROOT", os.path.dirname(os.path.dirname(here)))
result = tempfile.mkdtemp(prefix="dialupd-guest-")
passed_on = ("DIALUPD_BIN", "DIALUPD_PLUGIN", "DIALUPCTL_BIN", "DIALUPD_SOURCE_ROOT")
env_pairs = [f"{name}={os.environ[name]}" for name in passed_on if name in os.environ]
if len(sys.argv) > 1:
    env_pairs.append("SCENARIOS=" + ",".join(sys.argv[1:]))
# One guest at a time on a machine: every guest links the host's /dev/ttyUSB2 and ttyUSB3 to its
# simulator's ptys. A second run (another tree's tests, a benchmark) waits here for the first.
lock = open("/tmp/dialupd-guest.lock", "a")
fcntl.flock(lock, fcntl.LOCK_EX)
boot = subprocess.run([os.path.join(here, "run-guest"), os.path.join(here, "scenarios.py"), result, *env_pairs],
                      capture_output=True, text=True)
tap = os.path.join(result, "scenarios.tap")
if os.path.exists(tap):
    with open(tap) as stream:
        sys.stdout.write(stream.read())
else:
    print("1..1")
    print("not ok 1 - the guest ran no scenario")
    for line in (boot.stdout + boot.stderr).splitlines()[-40:]:
        print("# " + line)
print(f"# guest results and logs: {result}")
sys.exit(boot.returncode)
