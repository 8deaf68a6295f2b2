#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The DM log's recorder against the real parts on the host: dialupd on a private bus with a
fixed-port modem whose DM port is tools/modem-sim's (--dm-link), and a stand-in pppd that ends
the call by itself (exit 16) after a few seconds. The Hangup's log names the saved .qmdl, the
file is 0600 beside the call's record and every frame in it passes its CRC (an unframer of this
file's own); a DM port that never answers DIAG (fault dm-silent) gives a Hangup saying why there
is no DM log. The network's cause needs a call the simulator knows of: the guest's scenarios
(tests/guest/dm_log.py) check that. Prints TAP for meson."""
import os
import re
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import PATIENCE, ROOT, Bus, Daemon, Scratch, config_for, run_tap, stand_in_pppd, wait_until  # noqa: E402
from qmdl import qmdl_frames  # noqa: E402

SIM = os.path.join(ROOT, "tools", "modem-sim")



class DmLogOnTheSimulator(unittest.TestCase):
    def start(self, *faults):
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path)
        self.dir = tempfile.mkdtemp(prefix="dm-sim-", dir=self.scratch.path)
        self.modem_link = os.path.join(self.dir, "ttyUSB3")
        self.dm_link = os.path.join(self.dir, "ttyUSB0")
        ready = os.path.join(self.dir, "ready")
        command = [SIM, "--modem-link", self.modem_link, "--at-link", os.path.join(self.dir, "ttyUSB2"),
                   "--dm-link", self.dm_link, "--control", os.path.join(self.dir, "control"), "--ready-file", ready,
                   "--log", os.path.join(self.dir, "sim.log")]
        for fault in faults:
            command += ["--fault", fault]
        self.sim = subprocess.Popen(command, env={"PATH": os.environ["PATH"]})
        self.assertTrue(wait_until(lambda: os.path.exists(ready) or self.sim.poll() is not None, PATIENCE),
                        "modem-sim did not become ready")
        # A call that ends by itself once the recorder has had time to hear the module.
        pppd = stand_in_pppd(self.dir, "sleep 7; exit 16")
        lock_dir = os.path.join(self.scratch.path, "lock")
        os.makedirs(lock_dir)
        config = config_for(self.scratch.path, {"m0": self.modem_link}, f"lock-dir = {lock_dir}\npppd = {pppd}\n")
        config += f"dm-log = yes\ndm-port = {self.dm_link}\n"
        self.daemon = Daemon(self.bus, config, os.path.join(self.scratch.path, "logs"))
        self.modem = self.daemon.modem("m0")

    def tearDown(self):
        code = self.daemon.stop()
        self.sim.terminate()
        self.sim.wait(PATIENCE)
        self.bus.stop()
        self.scratch.remove()
        self.assertEqual(code, 0)

    def hangup(self):
        self.modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: self.modem.hangups, PATIENCE),
                        "no Hangup\n" + self.daemon.log_text()[-3000:])
        hangup = self.modem.hangups[-1]
        print("# " + "\n# ".join(hangup["log"][hangup["log"].find("== DM log =="):].splitlines()))
        return hangup

    def test_the_dm_log_is_saved_whole_and_private(self):
        self.start()
        log = self.hangup()["log"]
        found = re.search(r"DM log: (\d+) frames, (\d+) bytes, (\d+\.\d) s, saved as (\S+)\n", log)
        self.assertTrue(found, log)
        frames, size, path = int(found.group(1)), int(found.group(2)), found.group(4)
        self.assertTrue(path.startswith(self.scratch.path + "/state/calls/m0/") and path.endswith(".qmdl"), path)
        info = os.lstat(path)
        self.assertTrue(stat.S_ISREG(info.st_mode))
        self.assertEqual(stat.S_IMODE(info.st_mode), 0o600)
        with open(path, "rb") as qmdl:
            content = qmdl.read()
        self.assertEqual(len(content), size)
        payloads = qmdl_frames(content)
        self.assertEqual(len(payloads), frames)
        self.assertTrue(any(p[0] == 0x73 for p in payloads), "no log-config answer kept")
        # The simulator streams LTE RRC OTA packets (LOG_F, code 0xB0C0) once the mask is set.
        self.assertTrue(any(p[0] == 0x10 and p[6:8] == b"\xc0\xb0" for p in payloads), "no background packet")
        self.assertNotIn("network:", log)

    def test_a_silent_dm_port_still_gives_the_hangup_and_says_why(self):
        self.start("dm-silent")
        log = self.hangup()["log"]
        self.assertRegex(log, r"no DM log: the module did not answer DIAG's log-config command on " +
                         re.escape(self.dm_link) + r" within 5\.0 s")


if __name__ == "__main__":
    sys.exit(run_tap(DmLogOnTheSimulator))
