#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""USB hotplug against the real daemon on a private bus, with udev played by umockdev: the
daemon's libudev monitor and enumeration read a fake sysfs and get synthesized uevents (the
testbed is shared through UMOCKDEV_DIR; the daemon runs with umockdev's preload library).

Runs under umockdev-wrapper (re-executes itself there if needed, in a network namespace with
room for bursts of uevents: see fake_usb.reexec_under_umockdev): the testbed lives in this
process and needs the preload library here too."""
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fake_usb import FakeUsb, daemon_env, reexec_under_umockdev  # noqa: E402

reexec_under_umockdev([sys.executable] + sys.argv)

import dbus  # noqa: E402
import gi  # noqa: E402

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

from testbed import MODEM_IFACE, PATIENCE, PLUGIN, Bus, Daemon, run_tap, wait_until  # noqa: E402

OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager"
MODEM_PATH = "/org/dialupd1/modem/"


class HotplugTestCase(unittest.TestCase):
    """A fresh testbed, bus and daemon per test. `config` is extra config text; `plugged`
    (port -> plug() keywords) are present before the daemon starts."""

    config = ""
    plugged = {}

    def setUp(self):
        self.scratch = tempfile.mkdtemp(prefix="dialupd-udev-")
        self.testbed = UMockdev.Testbed.new()
        self.usb = FakeUsb(self.testbed)
        for port, keywords in self.plugged.items():
            self.usb.plug(port, **keywords)
        self.bus = Bus(self.scratch)
        self.pppd_marks = os.path.join(self.scratch, "pppd-started")
        os.makedirs(self.pppd_marks)
        pppd = os.path.join(self.scratch, "pppd")
        with open(pppd, "w") as script:
            # Stand-in pppd: leaves its arguments in pppd-started/PID and sleeps like a call
            # would. It holds no real tty, so an unplug does not end it: dialupd has to.
            script.write(f"#!/bin/sh\necho \"$@\" > {self.pppd_marks}/.$$\nmv {self.pppd_marks}/.$$ {self.pppd_marks}/$$\n"
                         "exec sleep 60\n")
        os.chmod(pppd, 0o755)
        config = (f"[daemon]\nplugin = {PLUGIN}\nruntime-dir = {self.scratch}/run\nstate-dir = {self.scratch}/state\n"
                  f"pppd = {pppd}\n"
                  f"stop-timeout = 5\n{self.config}")
        self.added = []    # (monotonic time, path)
        self.removed = []  # (monotonic time, path)
        self.hangups = []  # (monotonic time, path, code, description)
        self.daemon = Daemon(self.bus, config, os.path.join(self.scratch, "logs"),
                             extra_env=daemon_env(self.testbed.get_root_dir()), wait=False)
        connection = self.daemon.connection
        connection.add_signal_receiver(lambda path, interfaces: self.added.append((time.monotonic(), str(path))),
                                       "InterfacesAdded", OBJECT_MANAGER, "org.dialupd1", "/org/dialupd1")
        connection.add_signal_receiver(lambda path, interfaces: self.removed.append((time.monotonic(), str(path))),
                                       "InterfacesRemoved", OBJECT_MANAGER, "org.dialupd1", "/org/dialupd1")
        connection.add_signal_receiver(
            lambda reason, duration, log, path=None: self.hangups.append((time.monotonic(), str(path), int(reason[0]),
                                                                         str(reason[2]))),
            "Hangup", MODEM_IFACE, "org.dialupd1", None, path_keyword="path")
        self.assertTrue(wait_until(lambda: connection.name_has_owner("org.dialupd1")
                                   or self.daemon.process.poll() is not None, PATIENCE)
                        and self.daemon.process.poll() is None, "dialupd did not come up: " + self.daemon.log_text())

    def tearDown(self):
        code = self.daemon.stop()
        self.bus.stop()
        del self.testbed
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.assertEqual(code, 0, "dialupd must exit 0 on SIGTERM")

    def objects(self):
        manager = dbus.Interface(self.daemon.connection.get_object("org.dialupd1", "/org/dialupd1"), OBJECT_MANAGER)
        return {str(path)[len(MODEM_PATH):]: {str(k): v for k, v in interfaces[MODEM_IFACE].items()}
                for path, interfaces in manager.GetManagedObjects().items()}

    def wait_for_object(self, modem_id, timeout=PATIENCE):
        """InterfacesAdded, or, for a modem found before the daemon owned its name (those
        signals reach nobody: clients call GetManagedObjects at start), the object list."""
        self.assertTrue(wait_until(lambda: MODEM_PATH + modem_id in [p for _, p in self.added]
                                   or modem_id in self.objects(), timeout),
                        f"no InterfacesAdded for {modem_id}; seen {self.added}; log:\n{self.daemon.log_text()[-3000:]}")

    def wait_for_removal(self, modem_id, timeout=PATIENCE):
        self.assertTrue(wait_until(lambda: MODEM_PATH + modem_id in [p for _, p in self.removed], timeout),
                        f"no InterfacesRemoved for {modem_id}; log:\n{self.daemon.log_text()[-3000:]}")

    def pppd_pids(self):
        return [int(name) for name in os.listdir(self.pppd_marks) if not name.startswith(".")]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[1][0] != "Z"


class OneModem(HotplugTestCase):
    def test_plug_announces_the_modem_with_its_usb_identity(self):
        self.usb.plug("1-1.2", serial="0123456789ABCDEF")
        self.wait_for_object("ec25_0123456789ABCDEF")
        properties = self.objects()["ec25_0123456789ABCDEF"]
        self.assertEqual(properties["State"], "disconnected")
        self.assertEqual(properties["Vendor"], "2c7c")
        self.assertEqual(properties["Product"], "0125")
        self.assertEqual(properties["Model"], "EC25")
        self.assertEqual(properties["UsbPath"], "1-1.2")
        self.assertEqual(properties["UsbSerial"], "0123456789ABCDEF")
        self.assertEqual(properties["Device"], "/dev/ttyUSB3")
        self.assertEqual(properties["AtPort"], "/dev/ttyUSB2")
        self.assertTrue(wait_until(lambda: self.added, PATIENCE), "no InterfacesAdded")
        wait_until(lambda: False, 0.3)  # a second announcement would arrive in this time
        self.assertEqual(len(self.added), 1, "announced once")

    def test_unplug_removes_the_object(self):
        self.usb.plug("1-1")
        self.wait_for_object("ec25_0123456789ABCDEF")
        self.usb.unplug("1-1")
        self.wait_for_removal("ec25_0123456789ABCDEF")
        self.assertEqual(self.objects(), {})
        self.assertEqual(self.hangups, [], "no call, no Hangup")

    def test_replug_keeps_the_id_and_starts_fresh(self):
        self.usb.plug("1-1", serial="SN1")
        self.wait_for_object("ec25_SN1")
        self.usb.unplug("1-1")
        self.wait_for_removal("ec25_SN1")
        self.usb.plug("2-3.1", serial="SN1")  # another port: the serial is the identity
        self.assertTrue(wait_until(lambda: len(self.added) == 2, PATIENCE))
        self.assertEqual(self.added[1][1], MODEM_PATH + "ec25_SN1")
        self.assertEqual(self.objects()["ec25_SN1"]["UsbPath"], "2-3.1")
        self.assertEqual(self.objects()["ec25_SN1"]["State"], "disconnected")

    def test_without_a_serial_the_port_path_is_the_id(self):
        self.usb.plug("1-1.4", serial=None)
        self.wait_for_object("ec25_usb1_1_4")
        self.usb.unplug("1-1.4")
        self.wait_for_removal("ec25_usb1_1_4")
        self.usb.plug("1-1.4", serial=None)
        self.assertTrue(wait_until(lambda: len(self.added) == 2, PATIENCE))
        self.assertEqual(self.added[1][1], MODEM_PATH + "ec25_usb1_1_4")

    def test_connect_on_a_hotplugged_modem_runs_pppd_on_its_port(self):
        self.usb.plug("1-1", serial="SN1")
        self.wait_for_object("ec25_SN1")
        modem = self.daemon.modem("ec25_SN1")
        modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: self.pppd_pids(), PATIENCE), "pppd was not started")
        with open(os.path.join(self.pppd_marks, str(self.pppd_pids()[0]))) as arguments:
            self.assertIn("/dev/ttyUSB3", arguments.read().split())
        modem.disconnect()
        self.assertEqual(str(modem.get("State")), "disconnected")


class RemovedMidCall(HotplugTestCase):
    def test_the_call_ends_with_a_hangup_then_the_object_goes(self):
        self.usb.plug("1-1", serial="SN1")
        self.wait_for_object("ec25_SN1")
        modem = self.daemon.modem("ec25_SN1")
        modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: self.pppd_pids(), PATIENCE), "pppd was not started")
        pid = self.pppd_pids()[0]
        self.usb.unplug("1-1")
        # The stand-in ignores the unplug (a real pppd sees its tty hang up): dialupd stops it
        # after its 2 s grace, reports the unplug, and only then removes the object.
        self.wait_for_removal("ec25_SN1")
        self.assertEqual(len(self.hangups), 1, self.daemon.log_text()[-3000:])
        hangup_time, path, code, description = self.hangups[0]
        self.assertEqual((path, code), (MODEM_PATH + "ec25_SN1", 16))
        self.assertIn("removed", description)
        self.assertLessEqual(hangup_time, self.removed[0][0], "Hangup must come before InterfacesRemoved")
        self.assertFalse(alive(pid), "pppd outlived its modem")
        self.assertIn("was removed during the call", self.daemon.log_text())


class SeveralModems(HotplugTestCase):
    plugged = {"1-1": {"serial": "A"}}  # present before the daemon starts: found by enumeration

    def test_enumeration_then_hotplug_of_several(self):
        self.wait_for_object("ec25_A")
        self.usb.plug("1-2", serial="B", product="0296")
        self.usb.plug("1-3", serial=None, vendor="05c6", product="9215")
        self.usb.plug("1-4", serial="D", product="0800")
        for modem_id in ("bg96_B", "ec20_usb1_3", "rm500q_D"):
            self.wait_for_object(modem_id)
        self.assertEqual(sorted(self.objects()), ["bg96_B", "ec20_usb1_3", "ec25_A", "rm500q_D"])
        self.usb.unplug("1-2")
        self.usb.unplug("1-1")
        self.wait_for_removal("bg96_B")
        self.wait_for_removal("ec25_A")
        self.assertEqual(sorted(self.objects()), ["ec20_usb1_3", "rm500q_D"])
        self.assertEqual(sorted(p for _, p in self.added), sorted(set(p for _, p in self.added)), "announced twice")


class IgnoredDevices(HotplugTestCase):
    def assertOnlyTheBarrier(self):
        # Events are handled in order: once a known modem plugged last is there, every
        # earlier event has been seen too.
        self.usb.plug("9-9", serial="BARRIER")
        self.wait_for_object("ec25_BARRIER")
        self.assertEqual(list(self.objects()), ["ec25_BARRIER"])
        self.assertIsNone(self.daemon.process.poll())

    def test_unknown_vid_pid(self):
        self.usb.plug("1-1", vendor="1234", product="5678")
        self.usb.plug("1-2", product="6026")  # EC200T: left out of the table
        self.assertOnlyTheBarrier()

    def test_wrong_interfaces(self):
        self.usb.plug("1-1", interfaces=(0, 1, 2, 4))  # everything but the modem port
        self.assertOnlyTheBarrier()

    def test_missing_or_malformed_attributes(self):
        self.usb.plug("1-1", vendor="zz7c", serial="X1")
        self.usb.plug("1-2", product="", serial="X2")
        self.usb.plug("1-3", interface_attributes={3: {"bInterfaceNumber": None}}, serial="X3")
        self.usb.plug("1-4", interface_attributes={3: {"bInterfaceNumber": "three"}}, serial="X4")
        self.assertOnlyTheBarrier()
        log = self.daemon.log_text()
        self.assertIn("idVendor/idProduct missing or malformed", log)
        self.assertIn("bInterfaceNumber missing or malformed", log)

    def test_vanishing_device_and_unknown_removals(self):
        self.usb.plug("1-1", serial="GONE")
        self.usb.unplug("1-1")  # likely before the daemon has handled the add
        other = self.testbed.add_device("tty", "ttyS9", None, [], ["DEVNAME", "/dev/ttyS9"])
        self.testbed.uevent(other, "remove")
        # Either the daemon read the modem's sysfs in time (announced, then removed) or the
        # device was already gone when it looked (never announced): never a stale object.
        self.assertOnlyTheBarrier()
        gone = MODEM_PATH + "ec25_GONE"
        self.assertTrue(wait_until(lambda: (gone in [p for _, p in self.added]) == (gone in [p for _, p in self.removed]),
                                   PATIENCE), f"announced but never removed: {self.added} {self.removed}")


class UsbReset(HotplugTestCase):
    """The last rung of module recovery writes the USB device's sysfs `authorized` (0, then 1),
    here into umockdev's sysfs. The ttys are fake (no module answers on them), so every rung
    before fails and the recovery ends with RecoveryFailed after the (short) wait."""

    config = "recovery-wait = 1\n"

    def test_reset_reaches_the_usb_device_in_sysfs(self):
        self.usb.plug("1-1", serial="RST1", usb_attributes={"authorized": "9"})
        self.wait_for_object("ec25_RST1")
        modem = dbus.Interface(self.daemon.connection.get_object("org.dialupd1", MODEM_PATH + "ec25_RST1"),
                               MODEM_IFACE)
        with self.assertRaises(dbus.DBusException) as raised:
            modem.Reset(timeout=PATIENCE)
        self.assertEqual(raised.exception.get_dbus_name(), "org.dialupd1.Error.RecoveryFailed")
        log = self.daemon.log_text()
        self.assertIn("step 3 of 3: reset USB device 1-1 (de-authorize, re-authorize)", log)
        self.assertIn("USB reset of 1-1: 0 then 1 to /sys/bus/usb/devices/1-1/authorized", log)
        self.assertNotIn("USB reset failed", log)
        with open(os.path.join(self.testbed.get_root_dir(), "sys", "devices", "1-1", "authorized")) as attribute:
            self.assertEqual(attribute.read().strip(), "1")
        self.assertEqual(str(self.daemon.modem("ec25_RST1").get("State")), "disconnected")


class StartupRace(HotplugTestCase):
    """Modems plugged while the daemon starts: each must appear exactly once."""

    def test_plugs_during_startup_are_neither_lost_nor_doubled(self):
        self.daemon.stop()
        self.added.clear()
        self.daemon = Daemon(self.bus, open(self.daemon.config).read(), os.path.join(self.scratch, "logs2"),
                             extra_env=daemon_env(self.testbed.get_root_dir()), wait=False)
        for number in range(8):
            self.usb.plug(f"3-{number + 1}", serial=f"R{number}")
            time.sleep(0.005)
        # However slow the start (ASan on a loaded machine), the objects are asked for once the
        # daemon owns its name: before, there is nobody to ask.
        connection = self.daemon.connection
        self.assertTrue(wait_until(lambda: connection.name_has_owner("org.dialupd1")
                                   or self.daemon.process.poll() is not None, PATIENCE)
                        and self.daemon.process.poll() is None, "dialupd did not come up: " + self.daemon.log_text())
        for number in range(8):
            self.wait_for_object(f"ec25_R{number}")
        paths = [p for _, p in self.added]
        self.assertEqual(len(paths), len(set(paths)), "InterfacesAdded twice for one modem")
        self.assertEqual(len(self.objects()), 8)
        log = self.daemon.log_text()
        for number in range(8):
            self.assertEqual(log.count(f"[ec25_R{number}] EC25 2c7c:0125"), 1, "one modem taken twice")


class HostileUsbIdentities(HotplugTestCase):
    """USB devices whose serial no D-Bus string may hold or no terminal should see (issue 16,
    item 3): each still gets its object, with an id of at most 64 characters, clean properties,
    and a Connect that gets as far as pppd; nothing raw reaches the daemon's log."""

    def modem_on(self, port):
        """(id, properties) of the modem on USB port `port`, once it is there."""
        found = {}

        def there():
            found.update({modem_id: props for modem_id, props in self.objects().items()
                          if props.get("UsbPath") == port})
            return found

        self.assertTrue(wait_until(there, 60), f"no object for the modem on {port}: {self.daemon.log_text()[-3000:]}")
        modem_id, properties = next(iter(found.items()))
        self.assertTrue(wait_until(lambda: MODEM_PATH + modem_id in [p for _, p in self.added], 60),
                        f"no InterfacesAdded for {modem_id}")
        self.assertLessEqual(len(modem_id), 64, modem_id)
        self.assertRegex(modem_id, r"^[A-Za-z0-9_]+$")
        for name, value in properties.items():
            if isinstance(value, str):
                self.assertTrue(all(ord(c) >= 0x20 and not 0x7f <= ord(c) <= 0x9f and c not in "\ufffe\uffff"
                                    for c in value), f"{name} = {value!r}")
        return modem_id, properties

    def test_noncharacters_escapes_and_a_very_long_serial(self):
        self.usb.plug("1-1", serial="SN\ufffe\x1b[31mRED\x1b]0;owned\x07\u009b2J")
        self.usb.plug("1-2", serial=b"BIN\xff\xfe\xef\xbf\xbf")  # not even UTF-8
        self.usb.plug("1-3", serial="-" * 126)
        hostile, properties = self.modem_on("1-1")
        self.assertEqual(str(properties["UsbSerial"]), "SN\\u{FFFE}\\x1b[31mRED\\x1b]0;owned\\x07\\u{009B}2J")
        binary, properties = self.modem_on("1-2")
        self.assertEqual(str(properties["UsbSerial"]), "BIN\\xff\\xfe\\u{FFFF}")
        dashes, properties = self.modem_on("1-3")
        self.assertEqual(str(properties["UsbSerial"]), "-" * 126)
        self.assertTrue(dashes.startswith("ec25__2d_2d"), dashes)
        self.assertEqual(len({hostile, binary, dashes}), 3)

        # Connect gets past the file names (the chat script is named after the id): pppd starts.
        modem = self.daemon.modem(dashes)
        modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: self.pppd_pids(), 60), "pppd was not started: "
                        + self.daemon.log_text()[-3000:])
        modem.disconnect()

        # The same device plugged again gets the same id.
        self.usb.unplug("1-3")
        self.wait_for_removal(dashes, timeout=60)
        self.usb.plug("1-3", serial="-" * 126)
        self.assertEqual(self.modem_on("1-3")[0], dashes)

        with open(self.daemon.log_path, "rb") as log:
            raw = log.read()
        raw.decode("utf-8")  # raises on a line that is not UTF-8
        self.assertNotIn(b"\x1b", raw, "a raw ESC reached the daemon's log")
        self.assertIn("SN\\u{FFFE}\\x1b[31mRED", raw.decode())


class ConfiguredUsbModems(HotplugTestCase):
    config = ("[modem roof]\nusb-serial = ROOF1\napn = m2m.example\nautoconnect = yes\n"
              "[modem cellar]\nusb-path = 1-4\n")

    def test_a_config_section_names_the_modem_and_autoconnect_dials_on_arrival(self):
        self.usb.plug("1-1", serial="ROOF1")
        self.wait_for_object("roof")
        self.assertTrue(wait_until(lambda: self.pppd_pids(), PATIENCE), "autoconnect did not dial")
        modem = self.daemon.modem("roof")
        self.assertEqual(str(modem.get("State")), "connecting")
        with open(os.path.join(self.scratch, "run", "roof.chat")) as chat:
            self.assertIn("m2m.example", chat.read())

    def test_usb_path_match_without_autoconnect_does_not_dial(self):
        self.usb.plug("1-4", serial=None)
        self.wait_for_object("cellar")
        wait_until(lambda: False, 1)  # time for a dial that should not happen
        self.assertEqual(self.pppd_pids(), [])
        self.assertEqual(str(self.daemon.modem("cellar").get("State")), "disconnected")


if __name__ == "__main__":
    sys.exit(run_tap(OneModem, RemovedMidCall, SeveralModems, IgnoredDevices, UsbReset, StartupRace,
                     HostileUsbIdentities, ConfiguredUsbModems))
