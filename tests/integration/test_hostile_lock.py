#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 16 item 1: the UUCP lock directory is writable by every user. dialupd on a private bus
(our policy), the real pppd failing for want of kernel PPP (exit 4: a call that ends by itself),
the modem's AT port on a pty answered by a small fake module, and the daemon's lock-dir pointed
at a world-writable (1777, like /run/lock) scratch directory. As `nobody`, a FIFO, a symlink to
a pty, a symlink to /dev/zero, a directory or a 1 GiB sparse file is put where the AT port's
lock goes: the Hangup still comes within the snapshot's bound (plus a generous margin), Get
answers throughout, the thing is left where it is, and the daemon gains no controlling
terminal. The live status (which would hold the same lock through the same code from the
daemon's start) is off: these tests are about the snapshot's open. Prints TAP for meson."""
import errno
import os
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import dbus

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import MODEM_IFACE, Bus, Daemon, Scratch, config_for, run_tap, wait_until  # noqa: E402

SNAPSHOT_BOUND = 3.0  # the daemon's diagnostics-timeout (default 3000 ms): the whole snapshot
MARGIN = 60.0         # generous: the machine is loaded
GET_TIMEOUT = 30      # seconds one Get(State) may take before the daemon counts as frozen


def as_nobody(*command):
    subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command], check=True,
                   capture_output=True, timeout=60)


class HostileLockFile(unittest.TestCase):
    def setUp(self):
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path)
        self.lock_dir = tempfile.mkdtemp(prefix="dialupd-lock-", dir="/tmp")
        os.chmod(self.lock_dir, 0o1777)
        self.master, slave = os.openpty()
        tty = os.ttyname(slave)
        os.close(slave)
        self.at_master, at_slave = os.openpty()
        self.at_tty = os.ttyname(at_slave)
        os.close(at_slave)
        self.lock = os.path.join(self.lock_dir, "LCK.." + os.path.basename(self.at_tty))
        self.other_master = None
        self.lock_seen_while_asked = None
        self.serve_like_a_module()
        config = config_for(self.scratch.path, {"m0": tty}, f"lock-dir = {self.lock_dir}\nlive-status = no\n",
                            {"m0": self.at_tty})
        self.daemon = Daemon(self.bus, config, os.path.join(self.scratch.path, "logs"))
        self.modem = self.daemon.modem("m0")

    def tearDown(self):
        self.unfreeze()
        code = self.daemon.stop()
        self.bus.stop()
        self.stop_serving.set()
        self.server.join(5)
        for fd in (self.master, self.at_master, self.other_master):
            if fd is not None:
                os.close(fd)
        self.scratch.remove()
        shutil.rmtree(self.lock_dir, ignore_errors=True)
        self.assertEqual(code, 0, "dialupd must exit 0 on SIGTERM")

    def unfreeze(self):
        """A daemon without the fix sits in open() on the FIFO, or in read() on the pty: let it go
        so a failing test ends and the daemon can stop."""
        try:
            if stat.S_ISFIFO(os.lstat(self.lock).st_mode):
                os.close(os.open(self.lock, os.O_WRONLY | os.O_NONBLOCK))  # a reader waits: its open returns
        except OSError as error:
            if error.errno not in (errno.ENXIO, errno.ENOENT):  # ENXIO: nobody waits on it
                raise
        if self.other_master is not None:
            os.write(self.other_master, b"1\n")

    def serve_like_a_module(self):
        """Answers ATI like an EC25, everything else with OK; notes whether the lock was there."""
        self.stop_serving = threading.Event()

        def serve():
            pending = b""
            while not self.stop_serving.is_set():
                try:
                    ready, _, _ = select.select([self.at_master], [], [], 0.05)
                    if not ready:
                        continue
                    pending += os.read(self.at_master, 1024)
                except OSError:  # EIO while nobody has the other side open; closed in tearDown
                    time.sleep(0.02)
                    continue
                while b"\r" in pending:
                    command, pending = pending.split(b"\r", 1)
                    if command == b"ATI" and self.lock_seen_while_asked is None:
                        try:
                            with open(self.lock) as lock:
                                self.lock_seen_while_asked = lock.read()
                        except OSError as error:
                            self.lock_seen_while_asked = str(error)
                    reply = [b"Quectel", b"EC25", b"OK"] if command == b"ATI" else [b"OK"]
                    try:
                        os.write(self.at_master, b"".join(b"\r\n" + line + b"\r\n" for line in reply))
                    except OSError:
                        pass
        self.server = threading.Thread(target=serve, daemon=True)
        self.server.start()

    def hang_up_while_asking(self):
        """Connect; pppd exits 4 at once. Until the Hangup comes, Get(State) is asked again and
        again, and each must be answered. Returns the Hangup."""
        self.modem.connect(wait=False)
        answered = []

        def hangup_or_frozen():
            started = time.monotonic()
            try:
                state = self.modem.properties.Get(MODEM_IFACE, "State", timeout=GET_TIMEOUT)
            except dbus.DBusException as error:
                self.fail(f"Get(State) got no answer ({error.get_dbus_name()}) after "
                          f"{time.monotonic() - started:.1f} s: the daemon is frozen\n{self.daemon.log_text()[-3000:]}")
            answered.append(str(state))
            return bool(self.modem.hangups)

        self.assertTrue(wait_until(hangup_or_frozen, SNAPSHOT_BOUND + MARGIN),
                        "no Hangup: " + self.daemon.log_text()[-3000:])
        self.assertIn("disconnected", answered)
        gap = self.modem.times["Hangup"] - self.modem.times["State:disconnected"]
        self.assertLess(gap, SNAPSHOT_BOUND + MARGIN, "the Hangup came later than the snapshot's bound allows")
        return self.modem.hangups[0]

    def assertNoControllingTerminal(self):
        with open(f"/proc/{self.daemon.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        self.assertEqual(int(fields[4]), 0, "dialupd gained a controlling terminal")  # tty_nr

    def assertNotUsable(self, why):
        log = self.hang_up_while_asking()["log"]
        self.assertIn(f"AT port not usable: cannot tell who holds the port: {self.lock} {why}", log)
        self.assertIn("ended: 4 no-kernel-support", log)
        self.assertTrue(os.path.lexists(self.lock), "dialupd removed what it had not verified")
        self.assertEqual(os.lstat(self.lock).st_uid, self.nobody_uid(), "the thing at the lock's path was replaced")
        self.assertNoControllingTerminal()
        self.assertEqual(self.modem.get("State"), "disconnected")

    @staticmethod
    def nobody_uid():
        import pwd
        return pwd.getpwnam("nobody").pw_uid

    def test_with_no_lock_the_snapshot_takes_its_lock_in_the_lock_dir(self):
        # The control: lock-dir is honoured, and the port is asked when nothing is in the way.
        log = self.hang_up_while_asking()["log"]
        self.assertIn(f"== AT snapshot ({self.at_tty}) ==", log)
        self.assertIn("ATI ->\n    Quectel\n    EC25", log)
        self.assertEqual(self.lock_seen_while_asked, "%10d\n" % self.daemon.process.pid)
        self.assertFalse(os.path.lexists(self.lock), "the snapshot's lock outlived it")

    def test_a_fifo(self):
        as_nobody("mkfifo", "-m", "666", self.lock)
        self.assertNotUsable("is a FIFO, not a regular file")

    def test_a_symlink_to_a_pty(self):
        self.other_master, other_slave = os.openpty()
        other_tty = os.ttyname(other_slave)
        os.close(other_slave)
        as_nobody("ln", "-s", other_tty, self.lock)
        self.assertNotUsable("is a symbolic link, not a regular file")

    def test_a_symlink_to_dev_zero(self):
        as_nobody("ln", "-s", "/dev/zero", self.lock)
        self.assertNotUsable("is a symbolic link, not a regular file")

    def test_a_directory(self):
        as_nobody("mkdir", self.lock)
        self.assertNotUsable("is a directory, not a regular file")

    def test_a_1_gib_sparse_file(self):
        as_nobody("truncate", "-s", "1G", self.lock)
        self.assertEqual(os.stat(self.lock).st_size, 1 << 30)
        self.assertNotUsable("is larger than expected (1073741824 bytes")


if __name__ == "__main__":
    sys.exit(run_tap(HostileLockFile))
