#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The DM log's recorder against the real parts on the host: dialupd on a private bus with a
fixed-port modem whose DM port is tools/modem-sim's (--dm-link), and a stand-in pppd that ends
the call by itself (exit 16) after a few seconds. The Hangup's log names the saved .qmdl, the
file is 0600 beside the call's record and every frame in it passes its CRC (an unframer of this
file's own); a DM port that never answers DIAG (fault dm-silent) gives a Hangup saying why there
is no DM log. The DM log on demand: SaveDiagnosticLog during a call writes the ring as the call's
.qmdl, OpenDiagnosticLog hands a root caller a descriptor whose bytes are the file's, GetCallLogs'
text names the file, each miss is a named error, and a caller outside the privileged group gets
AccessDenied for both. The network's cause needs a call the simulator knows of: the guest's
scenarios (tests/guest/dm_log.py) check that. Prints TAP for meson."""
import fcntl
import os
import re
import stat
import subprocess
import sys
import tempfile
import unittest

import dbus

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import PATIENCE, ROOT, Bus, Daemon, Scratch, config_for, run_tap, stand_in_pppd, wait_until  # noqa: E402
from qmdl import qmdl_frames  # noqa: E402

SIM = os.path.join(ROOT, "tools", "modem-sim")



class DmLogOnTheSimulator(unittest.TestCase):
    def start(self, *faults, pppd_prologue="sleep 7; exit 16", dm_log=True):
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path, "users")
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
        pppd = stand_in_pppd(self.dir, pppd_prologue)
        lock_dir = os.path.join(self.scratch.path, "lock")
        os.makedirs(lock_dir)
        config = config_for(self.scratch.path, {"m0": self.modem_link}, f"lock-dir = {lock_dir}\npppd = {pppd}\n")
        config += f"dm-log = {'yes' if dm_log else 'no'}\ndm-port = {self.dm_link}\n"
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

    def as_user(self, user, *busctl_args, group=None):
        """busctl as another user (the bus policy test's way: tests/integration/test_dbus_api.py)."""
        setpriv = ["setpriv", f"--reuid={user}", f"--regid={group or 'nogroup'}"]
        setpriv += [f"--groups={group}"] if group else ["--clear-groups"]
        return subprocess.run(setpriv + ["busctl", f"--address={self.bus.address}", *busctl_args],
                              capture_output=True, text=True, timeout=PATIENCE)

    def save_when_there_are_frames(self):
        """SaveDiagnosticLog, asked again until the recorder has heard the module."""
        answer = []

        def saved():
            try:
                answer.append(self.modem.iface.SaveDiagnosticLog())
                return True
            except dbus.DBusException as error:
                self.assertEqual(error.get_dbus_name(), "org.dialupd1.Error.NoDiagnosticLog", str(error))
                return False

        self.assertTrue(wait_until(saved, PATIENCE), "no DM frames\n" + self.daemon.log_text()[-3000:])
        started, path, size, frames, span = answer[0]
        return int(started), str(path), int(size), int(frames), int(span)

    def fetch(self, call):
        """OpenDiagnosticLog(call): the descriptor's bytes, the call's start and the size given."""
        fd, call_usec, size = self.modem.iface.OpenDiagnosticLog(dbus.UInt64(call))
        with os.fdopen(fd.take(), "rb") as qmdl:
            flags = fcntl.fcntl(qmdl.fileno(), fcntl.F_GETFL)
            self.assertEqual(flags & os.O_ACCMODE, os.O_RDONLY)
            return qmdl.read(), int(call_usec), int(size)

    def test_the_dm_log_is_saved_on_demand_and_handed_out_to_root_only(self):
        self.start(pppd_prologue="")  # a call that lasts until Disconnect
        self.modem.connect(wait=False)
        started, path, size, frames, span = self.save_when_there_are_frames()
        self.assertIn(str(self.modem.get("State")), ("connecting", "connected"))
        self.assertEqual(path, f"{self.scratch.path}/state/calls/m0/{started}.qmdl")
        self.assertEqual(stat.S_IMODE(os.lstat(path).st_mode), 0o600)
        with open(path, "rb") as qmdl:
            content = qmdl.read()
        self.assertEqual(len(content), size)
        self.assertEqual(len(qmdl_frames(content)), frames)
        print(f"# SaveDiagnosticLog during the call: {path}, {size} bytes, {frames} frames, {span} us")
        # Root (the privileged side) gets the file as a descriptor: the same bytes.
        fetched, call_usec, fetched_size = self.fetch(0)
        self.assertEqual((fetched, call_usec, fetched_size), (content, started, size))
        self.assertEqual(self.fetch(started)[0], content)
        # Nobody outside the privileged group gets either: the bus denies them.
        for member, args in (("OpenDiagnosticLog", ["t", "0"]), ("SaveDiagnosticLog", [])):
            call = self.as_user("nobody", "call", "org.dialupd1", self.modem.path, "org.dialupd1.Modem", member, *args)
            self.assertNotEqual(call.returncode, 0, member)
            self.assertIn("denied", call.stderr.lower(), member)
        # A member of the group may (busctl prints the descriptor it got).
        call = self.as_user("nobody", "call", "org.dialupd1", self.modem.path, "org.dialupd1.Modem",
                            "OpenDiagnosticLog", "t", str(started), group="users")
        self.assertEqual(call.returncode, 0, call.stderr)
        self.assertRegex(call.stdout, rf"^htt \d+ {started} \d+")
        self.modem.disconnect()
        # The call's end wrote the file again, whole; GetCallLogs' text names it.
        started_usec, _, _, _, _, requested, text = self.modem.iface.GetCallLogs(dbus.UInt32(1))[0]
        self.assertEqual(int(started_usec), started)
        self.assertTrue(requested)
        found = re.search(r"DM log: (\d+) frames, (\d+) bytes, \d+\.\d s, saved as (\S+)\n", str(text))
        self.assertTrue(found, text)
        self.assertEqual(found.group(3), path)
        self.assertGreaterEqual(int(found.group(1)), frames)
        with open(path, "rb") as qmdl:
            whole = qmdl.read()
        self.assertEqual(len(whole), int(found.group(2)))
        self.assertEqual(self.fetch(0), (whole, started, len(whole)))
        # After the call, a save is the last call's window: the same file.
        again = self.modem.iface.SaveDiagnosticLog()
        self.assertEqual((int(again[0]), str(again[1]), int(again[2])), (started, path, len(whole)))

    def test_each_miss_is_a_named_error(self):
        self.start(dm_log=False)

        def error_of(call):
            with self.assertRaises(dbus.DBusException) as caught:
                call()
            return caught.exception.get_dbus_name(), caught.exception.get_dbus_message()

        name, message = error_of(self.modem.iface.SaveDiagnosticLog)
        self.assertEqual(name, "org.dialupd1.Error.DiagnosticLogOff")
        self.assertIn("dm-log is off", message)
        name, message = error_of(lambda: self.modem.iface.OpenDiagnosticLog(dbus.UInt64(0)))
        self.assertEqual(name, "org.dialupd1.Error.NoDiagnosticLog")
        self.assertIn("modem m0 keeps no DM log", message)
        name, message = error_of(lambda: self.modem.iface.OpenDiagnosticLog(dbus.UInt64(1234)))
        self.assertEqual(name, "org.dialupd1.Error.NoSuchCall")
        # A call kept without a DM log (dm-log is off): that call has none.
        self.hangup()
        started = int(self.modem.iface.GetCallLogs(dbus.UInt32(1))[0][0])
        name, message = error_of(lambda: self.modem.iface.OpenDiagnosticLog(dbus.UInt64(started)))
        self.assertEqual(name, "org.dialupd1.Error.NoDiagnosticLog")
        self.assertIn(f"the call that started at {started} has no DM log", message)

    def test_a_silent_dm_port_still_gives_the_hangup_and_says_why(self):
        self.start("dm-silent")
        log = self.hangup()["log"]
        self.assertRegex(log, r"no DM log: the module did not answer DIAG's log-config command on " +
                         re.escape(self.dm_link) + r" within 5\.0 s")


if __name__ == "__main__":
    sys.exit(run_tap(DmLogOnTheSimulator))
