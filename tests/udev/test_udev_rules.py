#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The rules file generated from the model table (udev-rules/generate_rules.cpp, in the build
tree) run by the real udevadm (`udevadm test`) on umockdev devices, for every model in dialupd's
table (`dialupd --list-usb-models`): ModemManager is kept off the whole module
(ID_MM_DEVICE_IGNORE=1 on its USB device and every tty of it, docs/MODEMMANAGER.md), the modem
port also gets ID_MM_PORT_IGNORE=1 and starts dialupd.service; other devices get nothing. The
rules and the daemon read the same table, so this checks the generator and udev's reading of what it writes.

udevadm reads the fake sysfs through umockdev's preload library. It runs in a private mount
namespace where /etc/udev/rules.d holds only our rules file and /run and /dev are empty
tmpfs, so it neither sees the machine's own rules nor writes to the machine's udev database.
Needs root (for the mount namespace), as CI has."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

if "umockdev" not in os.environ.get("LD_PRELOAD", ""):
    os.execvp("umockdev-wrapper", ["umockdev-wrapper", sys.executable] + sys.argv)

import gi  # noqa: E402

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from testbed import DIALUPD, ROOT, run_tap  # noqa: E402

RULES = os.path.join(os.environ.get("DIALUPD_BUILD_ROOT", os.path.join(ROOT, "build")), "udev-rules",
                     "78-dialupd.rules")


def table():
    """(vid, pid, name, ppp interface, at interface or None) from the daemon itself."""
    env = {name: value for name, value in os.environ.items() if name not in ("LD_PRELOAD", "UMOCKDEV_DIR")}
    listing = subprocess.run([DIALUPD, "--list-usb-models", "--config", "/dev/null"], capture_output=True, text=True,
                             check=True, env=env).stdout
    models = []
    for line in listing.splitlines():
        ids, name, *fields = line.split()
        vid, pid = ids.split(":")
        values = dict(field.split("=") for field in fields)
        at = values.get("at-interface")
        models.append((vid, pid, name, int(values["ppp-interface"]), int(at) if at else None))
    return models


class Rules(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("udevadm test in a private mount namespace needs root")
        self.rules_dir = tempfile.mkdtemp(prefix="dialupd-rules-")
        shutil.copy(RULES, self.rules_dir)
        self.testbed = UMockdev.Testbed.new()
        self.next_tty = 0
        self.next_port = 1

    def tearDown(self):
        shutil.rmtree(self.rules_dir, ignore_errors=True)
        del self.testbed

    def modem(self, vid, pid, interfaces=range(5)):
        """A USB device with one tty per interface; returns {interface: tty sysfs path} (and the USB
        device's sysfs path as self.usb)."""
        port = f"1-{self.next_port}"
        self.next_port += 1
        usb = self.testbed.add_device("usb", port, None, ["idVendor", vid, "idProduct", pid],
                                      ["DEVTYPE", "usb_device"])
        self.usb = usb
        ttys = {}
        for number in interfaces:
            interface = self.testbed.add_device("usb", f"{port}:1.{number}", usb,
                                                ["bInterfaceNumber", f"{number:02x}"], ["DEVTYPE", "usb_interface"])
            minor = self.next_tty
            self.next_tty += 1
            ttys[number] = self.testbed.add_device("tty", f"ttyUSB{minor}", interface, ["dev", f"188:{minor}"],
                                                   ["DEVNAME", f"/dev/ttyUSB{minor}", "MAJOR", "188",
                                                    "MINOR", str(minor)])
        return ttys

    def properties(self, syspath, action="add"):
        script = ("set -e; mount --make-rprivate /; "
                  f"mount --bind {self.rules_dir} /etc/udev/rules.d; mount -t tmpfs none /run; "
                  f"mount -t tmpfs none /dev; exec udevadm test --action={action} {syspath}")
        result = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        self.assertIn("78-dialupd.rules", result.stderr, "our rules file was not read")
        found = {}
        for line in result.stdout.splitlines():
            key, equals, value = line.partition("=")
            if equals and key.replace("_", "").replace(".", "").isalnum() and key.upper() == key:
                found[key] = value
        return found

    def assertOurs(self, found, what):
        self.assertEqual(found.get("ID_MM_DEVICE_IGNORE"), "1", what)
        self.assertEqual(found.get("ID_MM_PORT_IGNORE"), "1", what)
        self.assertIn(":systemd:", found.get("TAGS", ""), what)
        self.assertIn("dialupd.service", found.get("SYSTEMD_WANTS", "").split(), what)

    def assertOursNotTheModemPort(self, found, what):
        """Another port of a supported module: ModemManager is kept off it, dialupd not started."""
        self.assertEqual(found.get("ID_MM_DEVICE_IGNORE"), "1", what)
        self.assertNotIn("ID_MM_PORT_IGNORE", found, what)
        self.assertNotIn("dialupd.service", found.get("SYSTEMD_WANTS", ""), what)

    def assertNotOurs(self, found, what):
        self.assertNotIn("ID_MM_DEVICE_IGNORE", found, what)
        self.assertNotIn("ID_MM_PORT_IGNORE", found, what)
        self.assertNotIn("dialupd.service", found.get("SYSTEMD_WANTS", ""), what)

    def test_every_model_in_the_table(self):
        models = table()
        self.assertGreaterEqual(len(models), 8)
        for vid, pid, name, ppp, at in models:
            ttys = self.modem(vid, pid)
            self.assertOurs(self.properties(ttys[ppp]), f"{name} modem port")
            for other in ttys:
                if other != ppp:
                    self.assertOursNotTheModemPort(self.properties(ttys[other]), f"{name} interface {other}")
            usb = self.properties(self.usb)
            self.assertEqual(usb.get("ID_MM_DEVICE_IGNORE"), "1", f"{name} USB device")
            self.assertNotIn("dialupd.service", usb.get("SYSTEMD_WANTS", ""), f"{name} USB device")

    def test_unknown_and_left_out_devices_are_not_touched(self):
        for vid, pid in (("1234", "5678"), ("2c7c", "6026"), ("2c7c", "0901"), ("2c7c", "6005")):
            ttys = self.modem(vid, pid, interfaces=[3])
            self.assertNotOurs(self.properties(ttys[3]), f"{vid}:{pid}")
            self.assertNotOurs(self.properties(self.usb), f"{vid}:{pid} USB device")

    def test_remove_events_are_left_alone(self):
        ttys = self.modem("2c7c", "0125", interfaces=[3])
        self.assertNotOurs(self.properties(ttys[3], action="remove"), "remove")


if __name__ == "__main__":
    sys.exit(run_tap(Rules))
