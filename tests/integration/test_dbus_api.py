#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""dialupd against a real dbus-daemon (our policy) and the real pppd, on this host, which has no
kernel PPP: the D-Bus contract, named errors, hostile arguments, the no-kernel-support outcome,
password secrecy, shutdown, config errors and the bus policy. Prints TAP for meson."""
import errno
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import dbus

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import (DIALUPD, ERROR, MODEM_IFACE, PATIENCE, PLUGIN, ROOT, Bus, Daemon, Scratch,  # noqa: E402
                     config_for, run_tap, stand_in_pppd, wait_until)

DIALUPCTL = os.environ.get("DIALUPCTL_BIN", os.path.join(ROOT, "build", "client", "dialupctl"))

PASSWORD = "S3cret-Pa55-host"


class DaemonTestCase(unittest.TestCase):
    """A fresh bus and daemon per test, with modem m0 on a real pty and `gone` on a missing tty."""

    daemon_extra = ""
    defaults = ""  # lines for the config's [defaults]
    privileged_group = "netdev"
    at_port = False  # give m0 an AT port: a pty whose other side is self.at_master

    def setUp(self):
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path, self.privileged_group)
        self.master, slave = os.openpty()
        self.tty = os.ttyname(slave)
        os.close(slave)
        at_ports = {}
        self.at_master = None
        if self.at_port:
            self.at_master, at_slave = os.openpty()
            self.at_tty = os.ttyname(at_slave)
            os.close(at_slave)
            at_ports["m0"] = self.at_tty
        self.config = config_for(self.scratch.path, {"m0": self.tty, "gone": "/dev/ttyUSB99"}, self.daemon_extra,
                                 at_ports, self.defaults)
        self.daemon = Daemon(self.bus, self.config, os.path.join(self.scratch.path, "logs"))
        self.modem = self.daemon.modem("m0")

    def tearDown(self):
        code = self.daemon.stop()
        self.bus.stop()
        os.close(self.master)
        if self.at_master is not None:
            os.close(self.at_master)
        self.scratch.remove()
        self.assertEqual(code, 0, "dialupd must exit 0 on SIGTERM")

    def assertDBusError(self, name, call, *args, **kwargs):
        with self.assertRaises(dbus.DBusException) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.get_dbus_name(), name, caught.exception.get_dbus_message())
        return caught.exception.get_dbus_message()


class Contract(DaemonTestCase):
    def test_introspection_shows_the_interface(self):
        xml = self.daemon.connection.get_object("org.dialupd1", "/org/dialupd1/modem/m0").Introspect(
            dbus_interface="org.freedesktop.DBus.Introspectable")
        for fragment in ['<interface name="org.dialupd1.Modem">', '<method name="Connect">',
                         '<arg type="a{sv}" name="options" direction="in"/>', '<method name="Disconnect">',
                         '<signal name="Hangup">', '<arg type="(uss)" name="reason"/>',
                         '<arg type="t" name="duration_usec"/>', '<arg type="s" name="log"/>',
                         '<property name="State" type="s" access="read">',
                         '<property name="LastExitReason" type="(uss)" access="read">',
                         '<property name="Device" type="s"', '<property name="Interface" type="s"',
                         '<property name="IPv4Address" type="s"', '<property name="PeerAddress" type="s"',
                         '<property name="Dns" type="as"', '<property name="ConnectedSince" type="t"',
                         '<property name="SimState" type="s"', '<property name="RegistrationState" type="s"',
                         '<property name="OperatorName" type="s"', '<property name="OperatorCode" type="s"',
                         '<property name="AccessTechnology" type="s"', '<property name="SignalQuality" type="u"',
                         '<property name="Signal" type="a{sv}"', '<property name="Imei" type="s"',
                         '<property name="Iccid" type="s"']:
            self.assertIn(fragment, xml)

    def test_busctl_sees_the_same(self):
        output = subprocess.run(["busctl", f"--address={self.bus.address}", "introspect", "org.dialupd1",
                                 "/org/dialupd1/modem/m0"], capture_output=True, text=True, check=True).stdout
        self.assertIn(".Connect", output)
        self.assertIn(".Hangup", output)

    def test_object_manager_lists_every_modem_with_properties(self):
        manager = dbus.Interface(self.daemon.connection.get_object("org.dialupd1", "/org/dialupd1"),
                                 "org.freedesktop.DBus.ObjectManager")
        objects = manager.GetManagedObjects()
        self.assertEqual(sorted(objects), ["/org/dialupd1/modem/gone", "/org/dialupd1/modem/m0"])
        properties = objects["/org/dialupd1/modem/m0"][MODEM_IFACE]
        self.assertEqual(properties["State"], "disconnected")
        self.assertEqual(properties["Device"], self.tty)

    def test_initial_properties(self):
        props = self.modem.properties.GetAll(MODEM_IFACE)
        self.assertEqual(props["State"], "disconnected")
        self.assertEqual(tuple(props["LastExitReason"])[:2], (0, "none"))
        self.assertEqual(props["Device"], self.tty)
        for empty in ("Interface", "IPv4Address", "PeerAddress"):
            self.assertEqual(props[empty], "")
        self.assertEqual(list(props["Dns"]), [])
        self.assertEqual(props["ConnectedSince"], 0)

    def test_missing_tty_is_unavailable(self):
        gone = self.daemon.modem("gone")
        self.assertEqual(gone.get("State"), "unavailable")
        message = self.assertDBusError(ERROR + "Unavailable", gone.connect)
        self.assertIn("/dev/ttyUSB99", message)

    def test_unknown_object_is_an_error_and_harmless(self):
        ghost = self.daemon.modem("ghost")
        with self.assertRaises(dbus.DBusException) as caught:
            ghost.connect()
        self.assertIn(caught.exception.get_dbus_name(), ("org.freedesktop.DBus.Error.UnknownObject",
                                                         "org.freedesktop.DBus.Error.UnknownMethod"))
        self.assertEqual(self.modem.get("State"), "disconnected")


class NoKernelPpp(DaemonTestCase):
    """This host has no /dev/ppp: the real pppd exits 4, and dialupd says so."""

    def test_connect_wait_fails_with_no_kernel_support(self):
        message = self.assertDBusError(ERROR + "CallFailed", self.modem.connect)
        self.assertTrue(message.startswith("4 no-kernel-support"), message)
        self.assertEqual(self.modem.reason(), (4, "no-kernel-support"))
        self.assertEqual(self.modem.get("State"), "disconnected")
        self.assertTrue(wait_until(lambda: self.modem.hangups and self.modem.states[-1:] == ["disconnected"], PATIENCE))
        self.assertEqual(self.modem.states, ["connecting", "disconnected"])
        hangup = self.modem.hangups[0]
        self.assertEqual((hangup["code"], hangup["name"]), (4, "no-kernel-support"))
        self.assertGreater(hangup["duration"], 0)
        self.assertIn("Couldn't open the /dev/ppp device", hangup["log"])

    def test_connect_without_wait_returns_at_once_then_hangs_up(self):
        self.modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: self.modem.hangups, PATIENCE), "no Hangup signal")
        self.assertEqual(self.modem.hangups[0]["code"], 4)
        self.assertEqual(len(self.modem.hangups), 1)

    def test_disconnect_while_idle_is_not_connected(self):
        self.assertDBusError(ERROR + "NotConnected", self.modem.disconnect)


class HostileArguments(DaemonTestCase):
    def assertRefused(self, **options):
        self.assertDBusError(ERROR + "InvalidArgument", self.modem.connect, **options)

    def tearDown(self):
        # Nothing may have been started by a refused call.
        self.assertFalse(wait_until(lambda: self.modem.hangups or self.modem.states, 0.5),
                         f"a refused Connect changed something: {self.modem.states} {self.modem.hangups}")
        self.assertEqual(self.modem.get("State"), "disconnected")
        super().tearDown()

    def test_unknown_option(self):
        self.assertRefused(colour=dbus.String("red"))

    def test_wrong_type(self):
        self.assertRefused(apn=dbus.Int32(3))

    def test_wait_must_be_boolean(self):
        self.assertDBusError(ERROR + "InvalidArgument", self.modem.iface.Connect,
                             dbus.Dictionary({"wait": dbus.String("yes")}, signature="sv"))

    def test_apn_that_would_inject_into_the_chat_script(self):
        self.assertRefused(apn='x" ABORT "OK')

    def test_apn_with_a_newline(self):
        self.assertRefused(apn="inter\nnet")

    def test_user_with_a_newline(self):
        self.assertRefused(user="alice\nbob")

    def test_huge_strings(self):
        self.assertRefused(apn="a" * 100_000)
        self.assertRefused(password="p" * 100_000)

    def test_a_key_given_twice(self):
        # dbus-python's Dictionary cannot repeat a key; busctl writes the a{sv} as told.
        for values in (["apn", "s", "one.apn", "apn", "s", "two.apn"], ["wait", "b", "false", "wait", "b", "false"]):
            call = subprocess.run(["busctl", f"--address={self.bus.address}", "call", "org.dialupd1", self.modem.path,
                                   MODEM_IFACE, "Connect", "a{sv}", "2", *values],
                                  capture_output=True, text=True, timeout=60)
            self.assertNotEqual(call.returncode, 0, call.stdout)
            self.assertIn(f"option '{values[0]}' is given more than once", call.stderr)

    def test_online_options_take_only_their_type_and_words(self):
        for options in ({"dns": dbus.String("systemd")}, {"dns": dbus.String("")}, {"ip-family": dbus.String("IPv4")},
                        {"ip-family": dbus.String("ipv4\nipv6")}, {"dns": dbus.Boolean(True)},
                        {"default-route": dbus.String("no")}, {"route-metric": dbus.Int32(5)},
                        {"route-metric": dbus.UInt64(700)}, {"route-metric": dbus.String("700")}):
            with self.subTest(options=options):
                self.assertRefused(**options)
        with self.assertRaises(dbus.DBusException) as raised:
            self.modem.connect(**{"dns": dbus.String("systemd\x1b[2J")})
        self.assertIn("option 'dns' must be one of auto, resolved, resolvconf, none", raised.exception.get_dbus_message())
        self.assertNotIn("\x1b", raised.exception.get_dbus_message())

    def test_wrong_signature_is_rejected_by_the_bus_layer(self):
        with self.assertRaises(dbus.DBusException):
            self.modem.iface.Connect("not a dict", signature="s")


class PasswordSecrecy(DaemonTestCase):
    """pppd is replaced by a wrapper that records its argv and then runs the real pppd."""

    def setUp(self):
        scratch = tempfile.mkdtemp(prefix="dialupd-wrap-")
        self.argv_file = os.path.join(scratch, "argv")
        self.wrapper = os.path.join(scratch, "pppd")
        with open(self.wrapper, "w") as wrapper:
            wrapper.write(f'#!/bin/sh\nprintf "%s\\n" "$@" > {self.argv_file}\nexec /usr/sbin/pppd "$@"\n')
        os.chmod(self.wrapper, 0o755)
        self.daemon_extra = f"pppd = {self.wrapper}\n"
        super().setUp()

    def test_password_is_nowhere_but_the_pipe(self):
        self.assertDBusError(ERROR + "CallFailed", self.modem.connect, user="alice", password=PASSWORD)
        with open(self.argv_file) as recorded:
            argv = recorded.read().splitlines()
        self.assertNotIn(PASSWORD, "\n".join(argv))
        for word in ("nodetach", "lock", "plugin", "dialupd-secret-fd", "hide-password"):
            self.assertIn(word, argv)
        connect = argv[argv.index("connect") + 1]
        self.assertIn("chat", connect)
        self.assertIn(" -f ", connect)
        self.assertNotIn(PASSWORD, self.daemon.log_text())
        self.assertNotIn(PASSWORD, self.modem.hangups[0]["log"] if self.modem.hangups else "")
        run_dir = os.path.join(self.scratch.path, "run")
        for name in os.listdir(run_dir):
            with open(os.path.join(run_dir, name), errors="replace") as leftover:
                self.assertNotIn(PASSWORD, leftover.read())


class OnlineOptionsReachPppd(DaemonTestCase):
    """The family and route choices as pppd gets them, with the real pppd behind a wrapper that
    records its argv (it exits 4 here: no kernel PPP)."""

    def setUp(self):
        scratch = tempfile.mkdtemp(prefix="dialupd-wrap-")
        self.addCleanup(shutil.rmtree, scratch, True)
        self.argv_file = os.path.join(scratch, "argv")
        wrapper = os.path.join(scratch, "pppd")
        with open(wrapper, "w") as script:
            script.write(f'#!/bin/sh\nprintf "%s\\n" "$@" > {self.argv_file}\nexec /usr/sbin/pppd "$@"\n')
        os.chmod(wrapper, 0o755)
        self.daemon_extra = f"pppd = {wrapper}\n"
        self.defaults = "route-metric = 650\n"
        super().setUp()

    def argv_of_a_call(self, **options):
        with self.assertRaises(dbus.DBusException) as raised:
            self.modem.connect(**options)
        # pppd took every option (an unknown one is exit 2) and stopped at the missing kernel PPP.
        self.assertEqual(raised.exception.get_dbus_name(), ERROR + "CallFailed")
        self.assertTrue(raised.exception.get_dbus_message().startswith("4 "), raised.exception.get_dbus_message())
        with open(self.argv_file) as recorded:
            return recorded.read().splitlines()

    def test_dual_stack_from_the_configuration(self):
        argv = self.argv_of_a_call()
        for word in ("+ipv6", "ipv6cp-accept-local", "ipv6cp-accept-remote", "nodefaultroute", "nodefaultroute6",
                     "noproxyarp"):
            self.assertIn(word, argv)
        self.assertNotIn("noipv6", argv)
        self.assertEqual(argv[argv.index("dialupd-accept-ra") + 1], "2")
        self.assertEqual(argv[argv.index("dialupd-ra-default-route") + 1], "1")
        self.assertEqual(argv[argv.index("dialupd-ra-route-metric") + 1], "650")

    def test_connect_options_override_it(self):
        argv = self.argv_of_a_call(**{"ip-family": "ipv4", "default-route": dbus.Boolean(False),
                                      "route-metric": dbus.UInt32(50), "dns": "none"})
        self.assertIn("noipv6", argv)
        for word in ("+ipv6", "dialupd-accept-ra", "dialupd-ra-route-metric"):
            self.assertNotIn(word, argv)
        argv = self.argv_of_a_call(**{"ip-family": "ipv6", "route-metric": dbus.UInt32(50)})
        self.assertIn("noip", argv)
        self.assertIn("+ipv6", argv)
        self.assertEqual(argv[argv.index("dialupd-ra-route-metric") + 1], "50")


class PasswordEqualToTheApn(DaemonTestCase):
    """Issue 16 item 4: with password = APN, hiding every copy of the password marked the APN
    and so told every local user the password. pppd is a wrapper that reads the real secret
    from dialupd's pipe and logs it as pppd with show-password would, next to chat's APN line,
    then runs the real pppd (exit 4 here)."""

    APN = "internet"

    def setUp(self):
        scratch = tempfile.mkdtemp(prefix="dialupd-wrap-")
        self.addCleanup(shutil.rmtree, scratch, True)
        wrapper = os.path.join(scratch, "pppd")
        with open(wrapper, "w") as script:
            script.write("#!/bin/sh\nsecret=$(cat <&4)\n"
                         f"echo 'send (AT+CGDCONT=1,\"IP\",\"{self.APN}\",,0,0^M)' >&2\n"
                         "echo \"sent [PAP AuthReq id=0x1 user=\\\"alice\\\" password=\\\"$secret\\\"]\" >&2\n"
                         "exec /usr/sbin/pppd \"$@\"\n")
        os.chmod(wrapper, 0o755)
        self.daemon_extra = f"pppd = {wrapper}\npppd-debug = yes\n"
        self.defaults = f"apn = {self.APN}\n"
        super().setUp()

    def test_the_apn_stays_intact_and_marks_nothing(self):
        self.assertDBusError(ERROR + "CallFailed", self.modem.connect, user="alice", password=self.APN)
        self.assertTrue(wait_until(lambda: self.modem.hangups, 60), "no Hangup: " + self.daemon.log_text()[-2000:])
        kept = self.modem.iface.GetCallLogs(dbus.UInt32(10))
        self.assertEqual(len(kept), 1)
        state_dir = os.path.join(self.scratch.path, "state")
        # The kept call logs (the counters' file beside them holds no text of the call).
        counters_dir = os.path.join(state_dir, "counters")
        files = [os.path.join(top, name) for top, _, names in os.walk(state_dir) for name in names
                 if not top.startswith(counters_dir)]
        self.assertTrue(files, "no kept call log on disk")
        texts = {"Hangup": self.modem.hangups[0]["log"], "GetCallLogs": str(kept[0][6]),
                 "daemon log": self.daemon.log_text()}
        texts.update({path: open(path, errors="replace").read() for path in files})
        for where, text in texts.items():
            # The wrapper did log the secret; the daemon hid that field, and only that one.
            self.assertIn('password=<hidden>]', text, where)
            self.assertIn(f'AT+CGDCONT=1,"IP","{self.APN}"', text, where)
            self.assertNotIn("redacted", text, where)
            self.assertNotIn(f'password="{self.APN}"', text, where)
        self.assertIn(f"apn '{self.APN}'", texts["Hangup"])


class HangupEvidence(DaemonTestCase):
    """The AT snapshot on a real tty (a pty we answer on, or leave silent) and the kept call
    logs, with the real pppd failing for want of kernel PPP (exit 4, a Hangup)."""

    at_port = True

    def answer_like_a_module(self, answers):
        """Answers each command written to the AT port from `answers` (else ERROR), until stopped."""
        stop = threading.Event()

        def serve():
            pending = b""
            while not stop.is_set():
                try:
                    ready, _, _ = select.select([self.at_master], [], [], 0.05)
                except (OSError, ValueError):  # tearDown closed the port before this cleanup ran
                    return
                if not ready:
                    continue
                try:
                    pending += os.read(self.at_master, 1024)
                except OSError:  # EIO while nobody has the other side open
                    time.sleep(0.02)
                    continue
                while b"\r" in pending:
                    command, pending = pending.split(b"\r", 1)
                    reply = answers.get(command.decode(), ["ERROR"])
                    os.write(self.at_master, b"".join(b"\r\n" + (line if isinstance(line, bytes) else line.encode())
                                                      + b"\r\n" for line in reply))
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        self.addCleanup(lambda: (stop.set(), thread.join(2)))

    def hang_up(self):
        self.modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: self.modem.hangups, PATIENCE), "no Hangup: " + self.daemon.log_text()[-2000:])
        return self.modem.hangups[0]

    def test_the_snapshot_asks_the_at_port_and_the_answers_are_in_the_hangup(self):
        self.answer_like_a_module({"ATI": ["Quectel", "EC25", "OK"], "AT+CSQ": ["+CSQ: 99,99", "OK"],
                                   "AT+CPIN?": ["+CME ERROR: 10"]})
        log = self.hang_up()["log"]
        self.assertIn(f"== AT snapshot ({self.at_tty}) ==", log)
        self.assertIn("AT+CSQ -> +CSQ: 99,99", log)
        self.assertIn("AT+CPIN? -> +CME ERROR: 10 (SIM not inserted)", log)
        self.assertIn('AT+QENG="servingcell" -> ERROR', log)  # asked: ATI said Quectel
        self.assertIn("== call ==\nmodem: m0 (fixed port)", log)
        # The module says no SIM: the readiness check before the dial ends the call (no pppd).
        self.assertIn("AT+CPIN? -> +CME ERROR: 10 (SIM not inserted)\n", log.split("== AT snapshot")[0])
        self.assertIn("ended: 70 sim-missing", log)

    def test_a_port_someone_holds_is_reported_busy(self):
        lock = "/run/lock/LCK.." + os.path.basename(self.at_tty)
        os.makedirs("/run/lock", exist_ok=True)
        with open(lock, "w") as out:
            out.write("%10d\n" % os.getpid())
        self.addCleanup(lambda: os.path.exists(lock) and os.unlink(lock))
        self.assertIn(f"AT port busy: in use: {lock} is held by pid {os.getpid()}", self.hang_up()["log"])
        self.assertTrue(os.path.exists(lock), "someone else's lock must stay")

    def test_calls_are_kept_private_and_survive_a_restart(self):
        hangup = self.hang_up()
        calls = self.modem.iface.GetCallLogs(dbus.UInt32(10))
        self.assertEqual(len(calls), 1)
        started, duration, reason, bytes_in, bytes_out, requested, text = calls[0]
        self.assertEqual((int(reason[0]), str(reason[1])), (4, "no-kernel-support"))
        self.assertEqual((int(duration), bool(requested), str(text)), (hangup["duration"], False, hangup["log"]))
        self.assertGreater(int(started), 1_700_000_000_000_000)
        kept = os.path.join(self.scratch.path, "state", "calls", "m0")
        files = os.listdir(kept)
        self.assertEqual(len(files), 1)
        self.assertEqual(os.stat(os.path.join(kept, files[0])).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(kept).st_mode & 0o777, 0o700)
        self.assertEqual(self.daemon.stop(), 0)
        self.daemon = Daemon(self.bus, self.config, os.path.join(self.scratch.path, "logs-again"))
        self.modem = self.daemon.modem("m0")
        again = self.modem.iface.GetCallLogs(dbus.UInt32(10))
        self.assertEqual([str(call[6]) for call in again], [hangup["log"]])
        self.assertEqual([str(call[6]) for call in self.modem.iface.GetCallLogs(dbus.UInt32(0))], [hangup["log"]])


class SilentAtPort(DaemonTestCase):
    """The snapshot on a port that never answers: the first bytes on the port must be the
    snapshot's, so the live status (which would have asked first) is off."""

    at_port = True
    daemon_extra = "live-status = no\n"

    def hang_up(self):
        return HangupEvidence.hang_up(self)

    def test_a_silent_at_port_holds_the_hangup_one_command_timeout_after_the_state(self):
        hangup = self.hang_up()
        self.assertIn("ATI -> no answer within 1000 ms", hangup["log"])
        # The snapshot gives up on a silent port after one command instead of waiting out each
        # (its log says so, and nothing else was sent); how long that takes is bench material.
        self.assertIn("AT port silent: 8 command(s) not sent", hangup["log"])
        gap = self.modem.times["Hangup"] - self.modem.times["State:disconnected"]
        self.assertGreaterEqual(gap, 0.9, "the Hangup did not wait for the snapshot")
        # The readiness check asked first (AT+CPIN?, unanswered: the dial went on unchecked).
        self.assertEqual(os.read(self.at_master, 100), b"AT+CPIN?\rATI\r", "the snapshot did not use the AT port")


LIVE_ANSWERS = {
    "AT+CREG=2": ["OK"], "AT+CGREG=2": ["OK"], "AT+CEREG=2": ["OK"], 'AT+QINDCFG="csq",1': ["OK"],
    'AT+QINDCFG="act",1': ["OK"], "AT+CPIN?": ["+CPIN: READY", "OK"], "AT+CREG?": ["+CREG: 2,1,\"1A2B\",\"01A2D001\",7", "OK"],
    "AT+CGREG?": ["+CGREG: 2,1,\"1A2B\",\"01A2D001\",7", "OK"], "AT+CEREG?": ["+CEREG: 2,1,\"1A2B\",\"01A2D001\",7", "OK"],
    "AT+COPS=3,2": ["OK"], "AT+COPS=3,0": ["OK"], "AT+COPS?": ['+COPS: 0,0,"Simulated Operator",7', "OK"],
    "AT+CSQ": ["+CSQ: 24,99", "OK"], "AT+QCSQ": ['+QCSQ: "LTE",-65,-95,154,-10', "OK"],
    "AT+QNWINFO": ['+QNWINFO: "FDD LTE","26201","LTE BAND 3",1300', "OK"], "AT+CGSN": ["867698041234561", "OK"],
    "AT+QCCID": ["+QCCID: 89490200001234567890", "OK"], "ATI": ["Quectel", "EC25", "OK"],
}


class LiveProperties(DaemonTestCase):
    """The live status on a real pty: the daemon holds the AT port, reads SIM, registration,
    operator, signal, IMEI and ICCID into properties, follows URCs, and hands the port to the AT
    snapshot after a hangup (under the same UUCP lock) and takes it back."""

    at_port = True

    def setUp(self):
        self.received = []
        self.answers = dict(LIVE_ANSWERS)
        super().setUp()
        self.serve()

    def serve(self):
        stop = threading.Event()

        def loop():
            pending = b""
            while not stop.is_set():
                try:
                    ready, _, _ = select.select([self.at_master], [], [], 0.05)
                    if not ready:
                        continue
                    pending += os.read(self.at_master, 1024)
                except (OSError, ValueError):
                    time.sleep(0.02)
                    continue
                while b"\r" in pending:
                    command, pending = pending.split(b"\r", 1)
                    self.received.append(command.decode(errors="replace"))
                    reply = self.answers.get(command.decode(errors="replace"), ["ERROR"])
                    self.say(*reply)
        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self.addCleanup(lambda: (stop.set(), thread.join(2)))

    def say(self, *lines):
        try:
            os.write(self.at_master, b"".join(b"\r\n" + (line if isinstance(line, bytes) else line.encode())
                                              + b"\r\n" for line in lines))
        except OSError:
            pass

    def wait_for(self, name, value):
        self.assertTrue(wait_until(lambda: self.modem.get(name) == value, PATIENCE),
                        f"{name} is {self.modem.get(name)!r}, not {value!r}: " + self.daemon.log_text()[-2000:])

    def test_the_module_is_read_into_properties(self):
        self.wait_for("Iccid", "89490200001234567890")
        props = self.modem.properties.GetAll(MODEM_IFACE)
        self.assertEqual((props["SimState"], props["RegistrationState"], props["OperatorName"], props["OperatorCode"],
                          props["AccessTechnology"], props["SignalQuality"], props["Imei"]),
                         ("ready", "home", "Simulated Operator", "26201", "lte", 77, "867698041234561"))
        self.assertEqual(props["Signal"].signature, "sv")
        self.assertEqual({str(key): (int(value), value.__class__.__name__) for key, value in props["Signal"].items()},
                         {"rssi": (-65, "Int32"), "rsrp": (-95, "Int32"), "rsrq": (-10, "Int32"),
                          "sinr": (154, "Int32")})
        changed = set().union(*self.modem.changed)
        for name in ("SimState", "RegistrationState", "OperatorName", "OperatorCode", "AccessTechnology",
                     "SignalQuality", "Signal", "Imei", "Iccid"):
            self.assertIn(name, changed)
        self.assertEqual(self.received[:5], ["AT+CREG=2", "AT+CGREG=2", "AT+CEREG=2", 'AT+QINDCFG="csq",1',
                                             'AT+QINDCFG="act",1'])

    def test_urcs_change_the_properties_and_nothing_is_polled(self):
        self.wait_for("Iccid", "89490200001234567890")
        asked = len(self.received)
        self.say('+QIND: "csq",31,99')
        self.wait_for("SignalQuality", 100)
        # The URC's rssi alone: RSRP, RSRQ and SINR moved with it, unknown until the next full read.
        self.assertEqual({str(key): int(value) for key, value in self.modem.get("Signal").items()}, {"rssi": -51})
        self.say('+QIND: "act","WCDMA"')
        self.wait_for("AccessTechnology", "umts")
        self.say("+CEREG: 2", "+CGREG: 2", "+CREG: 2")
        self.wait_for("RegistrationState", "searching")
        self.assertEqual(self.modem.get("OperatorName"), "")
        # Nothing asked after the URCs (one URC, one wakeup); silence, however long.
        self.assertEqual(self.received[asked:], [])
        time.sleep(2)
        self.assertEqual(self.received[asked:], [])

    def test_a_hostile_operator_name_arrives_clean_and_bounded(self):
        self.answers["AT+COPS?"] = [b'+COPS: 0,0,"\x1b[2J\xff\xfe' + b"N" * 300 + b'",7', "OK"]
        self.wait_for("Iccid", "89490200001234567890")
        name = str(self.modem.get("OperatorName"))
        self.assertLessEqual(len(name.encode()), 64)
        self.assertTrue(name.startswith("\\x1b[2J\\xff\\xfe"), name)

    def test_the_snapshot_gets_the_port_and_the_live_status_takes_it_back(self):
        self.wait_for("Iccid", "89490200001234567890")
        self.modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: self.modem.hangups, PATIENCE), "no Hangup: " + self.daemon.log_text()[-2000:])
        log = self.modem.hangups[0]["log"]
        self.assertIn("AT+CSQ -> +CSQ: 24,99", log)
        self.assertIn("AT+CPIN? -> +CPIN: READY", log)
        self.assertNotIn("AT port busy", log)
        # Read again once the snapshot let the port go: the URCs turned on a second time.
        self.assertTrue(wait_until(lambda: self.received.count("AT+QCCID") == 2, PATIENCE), self.received)
        self.assertEqual(self.modem.get("Iccid"), "89490200001234567890")

    def test_a_port_held_by_someone_else_leaves_everything_unknown(self):
        self.wait_for("Iccid", "89490200001234567890")
        self.daemon.stop()
        lock = "/run/lock/LCK.." + os.path.basename(self.at_tty)
        os.makedirs("/run/lock", exist_ok=True)
        with open(lock, "w") as out:
            out.write("%10d\n" % os.getpid())
        self.addCleanup(lambda: os.path.exists(lock) and os.unlink(lock))
        self.daemon = Daemon(self.bus, self.config, os.path.join(self.scratch.path, "logs-again"))
        self.modem = self.daemon.modem("m0")
        self.assertTrue(wait_until(lambda: "live status: cannot open the AT port" in self.daemon.log_text(), PATIENCE),
                        self.daemon.log_text()[-2000:])
        props = self.modem.properties.GetAll(MODEM_IFACE)
        self.assertEqual((props["SimState"], props["RegistrationState"], props["OperatorName"], props["SignalQuality"],
                          dict(props["Signal"])), ("unknown", "unknown", "", 0, {}))


def assertCleanText(test, text, what):
    """What D-Bus carries and a terminal shows: no raw control byte but newline and tab, no
    C1 control, no noncharacter (dbus-python would have failed on invalid UTF-8 already)."""
    bad = [char for char in text if (ord(char) < 0x20 and char not in "\n\t") or 0x7f <= ord(char) <= 0x9f
           or NONCHARACTER.match(char)]
    test.assertEqual(bad, [], f"{what} holds raw control characters or noncharacters: {text[-2000:]!r}")


def assertCleanJournal(test, daemon):
    """The daemon's stderr (the journal's stand-in) is valid UTF-8 with no raw ESC."""
    with open(daemon.log_path, "rb") as log:
        raw = log.read()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        test.fail(f"the daemon's log is not valid UTF-8 ({error}): {raw[max(error.start - 200, 0):error.end + 50]!r}")
    test.assertNotIn(b"\x1b", raw, "a raw ESC reached the daemon's log")
    assertCleanText(test, raw.decode(), "the daemon's log")


NONCHARACTER = re.compile("[\ufdd0-\ufdef" + "".join(f"{chr(plane << 16 | 0xfffe)}{chr(plane << 16 | 0xffff)}"
                                                        for plane in range(17)) + "]")


class HostileModemText(DaemonTestCase):
    """A module that answers the AT snapshot with bytes no D-Bus string may hold (+CME ERROR with
    0xff 0xfe, U+FFFE, C1 controls, terminal escape sequences) and a pppd (stand-in) that logs the
    same: issue 16's reproduction, where the Hangup was never sent ("Failed to serialize a string
    value"), GetCallLogs answered InvalidArgs and Reset never answered. Everything must arrive,
    as clean text, and dialupctl must print the escapes as text."""

    at_port = True
    HOSTILE = b"\xef\xbf\xbe \x1b]0;owned\x07 \x1b[2J \xc2\x9b" b"31m \xff\xfe"

    def setUp(self):
        scratch = tempfile.mkdtemp(prefix="dialupd-hostile-")
        self.addCleanup(shutil.rmtree, scratch, True)
        # printf's octal escapes: U+FFFE, OSC title, ED, C1 CSI, then bytes that are no UTF-8.
        hostile = "\\357\\277\\276 \\033]0;owned\\007 \\033[2J \\302\\233" "31m \\377\\376"
        pppd = stand_in_pppd(scratch, f"printf 'rcvd {hostile}\\n'; exit 16")
        self.daemon_extra = f"pppd = {pppd}\n"
        super().setUp()

    def test_the_hangup_the_call_logs_and_dialupctl_survive_hostile_text(self):
        HangupEvidence.answer_like_a_module(self, {
            "ATI": [b"Quectel \xef\xbf\xbe", "OK"], "AT+CEER": [b"+CEER: " + self.HOSTILE, "OK"],
            "AT+CPIN?": [b"+CME ERROR: \xff\xfe\xef\xbf\xbe\x1b[31m"], "AT+CSQ": [b"+CMS ERROR: \xef\xb7\x90"]})
        self.modem.connect(wait=False, apn="internet")  # an APN: its IMSI is no IMSI
        self.assertTrue(wait_until(lambda: self.modem.hangups, 60), "no Hangup: " + self.daemon.log_text()[-3000:])
        hangup = self.modem.hangups[0]
        self.assertEqual((hangup["code"], hangup["name"]), (16, "hangup"))
        log = hangup["log"]
        assertCleanText(self, log, "the Hangup's log")
        self.assertIn("pppd: rcvd \\u{FFFE} \\x1b]0;owned\\x07 \\x1b[2J \\u{009B}31m \\xff\\xfe\n", log)
        self.assertIn("AT+CPIN? -> +CME ERROR: \\xff\\xfe\\u{FFFE}\\x1b[31m\n", log)
        self.assertIn("AT+CSQ -> +CMS ERROR: \\u{FDD0}\n", log)
        self.assertIn("+CEER: \\u{FFFE} \\x1b]0;owned", log)

        calls = self.modem.iface.GetCallLogs(dbus.UInt32(5))
        self.assertEqual([str(call[6]) for call in calls], [log])

        env = {"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": self.bus.address}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        for command in (["log", "m0"], ["status", "m0"], ["--json", "log", "m0"]):
            result = subprocess.run([DIALUPCTL, *command], capture_output=True, env=env, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertNotIn(b"\x1b", result.stdout, f"dialupctl {' '.join(command)} wrote a raw ESC")
            assertCleanText(self, result.stdout.decode(), f"dialupctl {' '.join(command)}")
        printed = subprocess.run([DIALUPCTL, "log", "m0"], capture_output=True, env=env, timeout=60).stdout.decode()
        self.assertIn("\\x1b]0;owned\\x07", printed, "the escape is shown as text")
        assertCleanJournal(self, self.daemon)

    def test_reset_answers_after_a_probe_answer_with_a_noncharacter(self):
        # m0's modem port: the first AT gets an error holding U+FFFE and escapes, then all is OK.
        answered = []
        stop = threading.Event()

        def module():
            while not stop.is_set():
                try:
                    ready, _, _ = select.select([self.master], [], [], 0.1)
                    if not ready:
                        continue
                    data = os.read(self.master, 256)
                except OSError as error:
                    if error.errno != errno.EIO:
                        return
                    time.sleep(0.05)
                    continue
                if b"\r" in data or b"+++" in data:
                    first = not answered
                    answered.append(data)
                    os.write(self.master, b"\r\n+CME ERROR: \xef\xbf\xbe\x1b[2J\xff\r\n" if first else b"\r\nOK\r\n")

        thread = threading.Thread(target=module, daemon=True)
        thread.start()
        self.addCleanup(lambda: (stop.set(), thread.join(2)))
        recovered_by, log = self.modem.iface.Reset(timeout=60)
        self.assertEqual(str(recovered_by), "escape")
        assertCleanText(self, str(log), "Reset's log")
        self.assertIn("AT answered '+CME ERROR: \\u{FFFE}\\x1b[2J\\xff'", str(log))
        assertCleanJournal(self, self.daemon)


class StopEscalation(DaemonTestCase):
    """A pppd that ignores SIGTERM (stand-in: a wrapper that ignores it and sleeps) gets SIGKILL,
    but only once the stop window has passed."""

    def setUp(self):
        scratch = tempfile.mkdtemp(prefix="dialupd-stuck-")
        self.ignoring = os.path.join(scratch, "ignoring-sigterm")
        wrapper = stand_in_pppd(scratch, f"trap '' TERM\ntouch {self.ignoring}")
        self.daemon_extra = f"pppd = {wrapper}\nstop-timeout = 2\n"
        super().setUp()

    def test_disconnect_escalates_after_the_window(self):
        self.modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: os.path.exists(self.ignoring), PATIENCE), "stand-in did not start")
        started = time.monotonic()
        # The stand-in never exits on SIGTERM: only the escalation can end this Disconnect.
        self.modem.disconnect(timeout=PATIENCE)
        took = time.monotonic() - started
        self.assertGreaterEqual(took, 1.9, "SIGKILL came before the stop window ended")
        code, name, description = self.modem.get("LastExitReason")
        self.assertEqual((int(code), str(name)), (137, "killed-by-signal"))
        self.assertIn("SIGKILL", description)
        self.assertIn("sending SIGKILL", self.daemon.log_text())
        self.assertEqual(self.modem.hangups, [], "a requested stop emits no Hangup, even when it needed SIGKILL")


class Redial(DaemonTestCase):
    """A pppd (stand-in) that hangs up at once, on a modem whose calls redial after 1 s, 2 s, ...:
    each end has its Hangup, ReconnectAttempts and NextReconnect follow the backoff, and
    Disconnect cancels the pending redial."""

    defaults = "reconnect = yes\nreconnect-delay = 1\nreconnect-max-delay = 2\n"

    def setUp(self):
        scratch = tempfile.mkdtemp(prefix="dialupd-redial-")
        self.starts = os.path.join(scratch, "starts")
        self.daemon_extra = f"pppd = {stand_in_pppd(scratch, f'echo . >> {self.starts}; exit 16')}\n"
        super().setUp()

    def attempts(self):
        return int(self.modem.get("ReconnectAttempts"))

    def test_redials_with_backoff_until_disconnect(self):
        self.modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: len(self.modem.hangups) >= 3, PATIENCE), self.modem.hangups)
        self.assertTrue(all(hangup["code"] == 16 for hangup in self.modem.hangups))
        self.assertIn("dialupd: redial 1 in", self.modem.hangups[0]["log"])
        self.assertGreaterEqual(self.attempts(), 3)
        self.assertGreater(int(self.modem.get("NextReconnect")), 0)
        self.modem.disconnect()  # cancels the pending redial: no error, nothing left pending
        self.assertEqual((self.attempts(), int(self.modem.get("NextReconnect"))), (0, 0))
        count = len(self.modem.hangups)
        self.assertFalse(wait_until(lambda: len(self.modem.hangups) > count, 3), "a redial after Disconnect")
        self.assertDBusError(ERROR + "NotConnected", self.modem.disconnect)

    def test_a_connect_may_turn_it_off(self):
        self.modem.connect(wait=False, reconnect=dbus.Boolean(False))
        self.assertTrue(wait_until(lambda: self.modem.hangups, PATIENCE))
        self.assertFalse(wait_until(lambda: len(self.modem.hangups) > 1, 2.5), "redialled though told not to")
        self.assertEqual(self.attempts(), 0)
        with open(self.starts) as starts:
            self.assertEqual(len(starts.read().split()), 1)

    def test_reconnect_must_be_boolean(self):
        self.assertDBusError(ERROR + "InvalidArgument", self.modem.connect, wait=False, reconnect="yes")


class ShutdownWithACall(DaemonTestCase):
    """SIGTERM to the daemon while a call runs: pppd (a stand-in that dies on SIGTERM) is stopped,
    and the daemon exits 0 (under ASan this also proves nothing leaked on the way out)."""

    def setUp(self):
        scratch = tempfile.mkdtemp(prefix="dialupd-call-")
        self.pid_file = os.path.join(scratch, "pid")
        self.daemon_extra = f"pppd = {stand_in_pppd(scratch, f'echo $$ > {self.pid_file}')}\n"
        super().setUp()

    def test_sigterm_stops_the_call_then_exits_zero(self):
        self.modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: os.path.exists(self.pid_file) and os.path.getsize(self.pid_file) > 0, PATIENCE))
        with open(self.pid_file) as pid_file:
            pid = int(pid_file.read())
        self.assertEqual(self.daemon.stop(), 0)
        self.assertFalse(os.path.exists(f"/proc/{pid}"), "pppd outlived the daemon")
        self.assertIn("stop requested: SIGTERM to pppd", self.daemon.log_text())


class OversizedCallLogs(unittest.TestCase):
    """Kept calls that together are more than one D-Bus message may carry (dbus-daemon cuts off a
    sender whose message is over 32 MiB, the system bus's limit): GetCallLogs, which anyone may
    call, answers with the newest calls that fit, and the daemon stays on the bus."""

    def test_get_call_logs_answers_within_the_bus_limit(self):
        scratch = Scratch()
        bus = Bus(scratch.path)
        try:
            kept = os.path.join(scratch.path, "state", "calls", "m0")
            os.makedirs(kept)
            for started in (1, 2, 3):  # 33 MiB in all; call-log-size allows 16 MiB a call
                with open(os.path.join(kept, f"{started}.log"), "w") as record:
                    record.write(f"started-usec: {started}\nduration-usec: 1\nreason-code: 16\nreason-name: hangup\n\n")
                    record.write("x" * (11 << 20))
            config = config_for(scratch.path, {"m0": os.path.join(scratch.path, "ttyNONE")},
                                "call-log-size = 16777216\n")
            daemon = Daemon(bus, config, os.path.join(scratch.path, "logs"))
            calls = daemon.connection.call_blocking("org.dialupd1", "/org/dialupd1/modem/m0", MODEM_IFACE, "GetCallLogs",
                                                    "u", (10,), timeout=PATIENCE)
            self.assertEqual([int(call[0]) for call in calls], [3, 2])
            every = daemon.connection.call_blocking("org.dialupd1", "/org/dialupd1/modem/m0", MODEM_IFACE,
                                                    "GetCallLogs", "u", (0,), timeout=60)
            self.assertEqual([int(call[0]) for call in every], [3, 2], "0 (every call) is bounded the same way")
            self.assertTrue(daemon.connection.name_has_owner("org.dialupd1"), "dialupd lost the bus")
            self.assertEqual(daemon.stop(), 0, daemon.log_text()[-2000:])
        finally:
            bus.stop()
            scratch.remove()


class CallLogsZero(unittest.TestCase):
    """GetCallLogs(0) answers every kept call, newest first (it answered none)."""

    def test_zero_means_every_kept_call(self):
        scratch = Scratch()
        bus = Bus(scratch.path)
        try:
            kept = os.path.join(scratch.path, "state", "calls", "m0")
            os.makedirs(kept)
            for started in range(1, 13):  # more than the default 10 a caller would ask for
                with open(os.path.join(kept, f"{started}.log"), "w") as record:
                    record.write(f"started-usec: {started}\nduration-usec: 1\nreason-code: 16\nreason-name: hangup\n\n")
                    record.write(f"call {started}\n")
            daemon = Daemon(bus, config_for(scratch.path, {"m0": os.path.join(scratch.path, "ttyNONE")},
                                            "call-logs-kept = 20\n"), os.path.join(scratch.path, "logs"))
            modem = daemon.modem("m0")
            self.assertEqual([int(call[0]) for call in modem.iface.GetCallLogs(dbus.UInt32(0))], list(range(12, 0, -1)))
            self.assertEqual([int(call[0]) for call in modem.iface.GetCallLogs(dbus.UInt32(2))], [12, 11])
            self.assertEqual(daemon.stop(), 0)
        finally:
            bus.stop()
            scratch.remove()


class Shutdown(unittest.TestCase):
    def test_sigterm_exits_zero_promptly(self):
        scratch = Scratch()
        bus = Bus(scratch.path)
        try:
            # With no call to end, nothing may hold the exit up: not even a stop window.
            daemon = Daemon(bus, config_for(scratch.path, {}, "stop-timeout = 60\n"), os.path.join(scratch.path, "logs"))
            started = time.monotonic()
            self.assertEqual(daemon.stop(), 0)
            self.assertLess(time.monotonic() - started, 60)
        finally:
            bus.stop()
            scratch.remove()

    def test_an_empty_config_is_valid(self):
        scratch = Scratch()
        bus = Bus(scratch.path)
        try:
            daemon = Daemon(bus, "", os.path.join(scratch.path, "logs"))
            manager = dbus.Interface(daemon.connection.get_object("org.dialupd1", "/org/dialupd1"),
                                     "org.freedesktop.DBus.ObjectManager")
            self.assertEqual(dict(manager.GetManagedObjects()), {})
            self.assertEqual(daemon.stop(), 0)
        finally:
            bus.stop()
            scratch.remove()


class LeftoverPppd(unittest.TestCase):
    """A pppd an earlier dialupd left running (its link pid file /run/ppp-dialupd-<id>.pid) is
    stopped before the new daemon takes the modem; stale pid files go. Stand-ins named pppd play
    the leftovers (the check is comm "pppd" plus "linkname dialupd-<id>" in the command line)."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("writes pppd's pid files in /run, as pppd (root) does")
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path)
        self.tag = f"leftover{os.getpid()}"
        self.pid_files = []
        self.processes = []

    def tearDown(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for path in self.pid_files:
            if os.path.exists(path):
                os.unlink(path)
        self.bus.stop()
        self.scratch.remove()

    def leftover(self, modem_id, on_term):
        """A process named pppd with our linkname; `on_term`: shell for its TERM trap."""
        script = os.path.join(self.scratch.path, "pppd")
        with open(script, "w") as out:
            out.write(f"#!/bin/sh\ntrap '{on_term}' TERM\necho started > $0.$$\n"
                      "while :; do sleep 0.1; done\n")
        os.chmod(script, 0o755)
        process = subprocess.Popen([script, "/dev/ttyUSB3", "linkname", f"dialupd-{modem_id}", "nodetach"])
        self.processes.append(process)
        self.assertTrue(wait_until(lambda: os.path.exists(f"{script}.{process.pid}"), PATIENCE))
        self.write_pid_file(modem_id, process.pid)
        return process

    def write_pid_file(self, modem_id, pid):
        path = f"/run/ppp-dialupd-{modem_id}.pid"
        with open(path, "w") as out:
            out.write(f"{pid}\nppp0\n")
        self.pid_files.append(path)
        return path

    def start_daemon(self, modem_ids, extra=""):
        self.master, slave = os.openpty()
        self.addCleanup(os.close, self.master)
        tty = os.ttyname(slave)
        os.close(slave)
        config = config_for(self.scratch.path, {modem_id: tty for modem_id in modem_ids}, "stop-timeout = 2\n" + extra)
        return Daemon(self.bus, config, os.path.join(self.scratch.path, "logs"))

    def test_a_leftover_that_takes_sigterm_is_stopped_before_the_modem_is_taken(self):
        modem_id = self.tag + "a"
        leftover = self.leftover(modem_id, "exit 0")
        daemon = self.start_daemon([modem_id])
        self.assertIsNotNone(leftover.poll(), "the leftover pppd still runs after the daemon came up")
        log = daemon.log_text()
        self.assertIn(f"[{modem_id}] a pppd (pid {leftover.pid}) from an earlier dialupd still runs: stopping it", log)
        self.assertIn("the earlier pppd", log)
        self.assertIn("the module will be checked before the next dial", log)
        self.assertEqual(daemon.stop(), 0)

    def test_one_that_ignores_sigterm_is_killed_after_the_stop_window(self):
        modem_id = self.tag + "b"
        leftover = self.leftover(modem_id, "")
        started = time.monotonic()
        daemon = self.start_daemon([modem_id])
        self.assertGreaterEqual(time.monotonic() - started, 2, "stop-timeout = 2 was not given")
        self.assertEqual(leftover.wait(PATIENCE), -signal.SIGKILL)
        self.assertIn("ignored SIGTERM for 2 s: SIGKILL", daemon.log_text())
        self.assertEqual(daemon.stop(), 0)

    def test_stale_pid_files_are_removed_and_other_processes_left_alone(self):
        dead = subprocess.Popen(["true"])
        dead.wait()
        stale = self.write_pid_file(self.tag + "c", dead.pid)
        bystander = subprocess.Popen(["sleep", "60"])  # alive, but not a pppd of ours
        self.processes.append(bystander)
        impostor = self.write_pid_file(self.tag + "d", bystander.pid)
        daemon = self.start_daemon([self.tag + "c"])
        self.assertFalse(os.path.exists(stale))
        self.assertFalse(os.path.exists(impostor))
        self.assertIsNone(bystander.poll(), "a process that is not our pppd was signalled")
        self.assertEqual(daemon.stop(), 0)


class SecondInstance(unittest.TestCase):
    """A second dialupd started beside a running one (by hand, with the same config) leaves at
    once, naming the first, and touches nothing: before, it stopped the first one's pppd as a
    leftover and only then failed on the bus name. The stand-in pppd writes pppd's link pid file
    and keeps its name (comm "pppd"), as the real one does, so it looks like a leftover. Both
    daemons share a /run of their own (a mount namespace): any other dialupd starting on this
    machine meanwhile (another tree's tests) would stop a stand-in it found in the real /run."""

    PRIVATE_RUN = ("unshare", "--mount", "--propagation", "private", "sh", "-c",
                   'mount -t tmpfs dialupd-test-run /run && exec "$@"', "sh")

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("a mount namespace with a /run of its own needs root")
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path)
        self.modem_id = f"second{os.getpid()}"
        self.pid_file = f"/run/ppp-dialupd-{self.modem_id}.pid"
        self.started = os.path.join(self.scratch.path, "pppd-started")
        pppd = stand_in_pppd(self.scratch.path, f"printf '%s\\nppp0\\n' $$ > {self.pid_file}\n"
                                                 f"echo $$ > {self.started}\n"
                                                 "while :; do sleep 0.1; done")
        self.master, slave = os.openpty()
        tty = os.ttyname(slave)
        os.close(slave)
        self.config = config_for(self.scratch.path, {self.modem_id: tty}, f"pppd = {pppd}\nstop-timeout = 5\n")
        self.first = Daemon(self.bus, self.config, os.path.join(self.scratch.path, "logs"), wrapper=self.PRIVATE_RUN)
        self.modem = self.first.modem(self.modem_id)

    def tearDown(self):
        code = self.first.stop()
        self.bus.stop()
        os.close(self.master)
        self.scratch.remove()
        self.assertEqual(code, 0)

    def start_second(self, config):
        path = os.path.join(self.scratch.path, "second.conf")
        with open(path, "w") as out:
            out.write(config)
        # In the first daemon's mount namespace: the same /run, the one its pppd wrote to.
        namespace = f"--mount=/proc/{self.first.process.pid}/ns/mnt"
        return subprocess.run(["nsenter", namespace, "--", DIALUPD, "--config", path], capture_output=True, text=True,
                              timeout=120,
                              env={"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": self.bus.address,
                                   "DIALUPD_PLUGIN": PLUGIN})

    def pppd_with_a_call(self):
        self.modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: os.path.exists(self.started) and os.path.getsize(self.started) > 0, 60))
        with open(self.started) as started:
            pid = int(started.read())
        self.assertTrue(wait_until(lambda: self.modem.states == ["connecting"], 60), self.modem.states)
        listed = subprocess.run(["nsenter", f"--mount=/proc/{self.first.process.pid}/ns/mnt", "--", "ls", self.pid_file],
                                capture_output=True, text=True)
        self.assertEqual(listed.returncode, 0, "no pid file: the old second daemon would have found nothing to stop")
        return pid

    def assertUntouched(self, pppd):
        with open(f"/proc/{pppd}/stat") as stat:
            self.assertNotIn(stat.read().rsplit(")", 1)[1].split()[0], "ZX", "the first daemon's pppd was stopped")
        self.assertFalse(wait_until(lambda: len(self.modem.states) > 1 or self.modem.hangups, 1),
                         f"the first daemon's call changed: {self.modem.states} {self.modem.hangups}")
        self.assertEqual(str(self.modem.get("State")), "connecting")
        self.assertIsNone(self.first.process.poll())
        self.assertTrue(self.first.connection.name_has_owner("org.dialupd1"))
        self.assertNotIn("still runs: stopping it", self.first.log_text())

    def test_the_same_config_is_refused_by_the_lock(self):
        pppd = self.pppd_with_a_call()
        second = self.start_second(self.config)
        self.assertNotEqual(second.returncode, 0)
        self.assertIn(f"another dialupd (pid {self.first.process.pid}) is running", second.stderr)
        self.assertNotIn("stopping it", second.stderr)
        self.assertNotIn("it owns", second.stderr, "the lock, not the bus, must have refused it")
        self.assertUntouched(pppd)
        with open(os.path.join(self.scratch.path, "run", "dialupd.lock")) as lock:
            self.assertEqual(lock.read().strip(), str(self.first.process.pid))

    def test_another_runtime_directory_is_refused_by_the_bus_name(self):
        pppd = self.pppd_with_a_call()
        other = self.config.replace(f"runtime-dir = {self.scratch.path}/run", f"runtime-dir = {self.scratch.path}/run2")
        self.assertNotEqual(other, self.config)
        second = self.start_second(other)
        self.assertNotEqual(second.returncode, 0)
        self.assertIn(f"another dialupd (pid {self.first.process.pid}) is running (it owns org.dialupd1 on the "
                      "system bus)", second.stderr)
        self.assertUntouched(pppd)


class FixedPortNode(unittest.TestCase):
    """A fixed-port modem whose device is a link that comes and goes after start (as a
    /dev/serial/by-id link does, in a directory that may not exist yet): its State follows,
    with PropertiesChanged, and the start says why it is unavailable."""

    def test_state_follows_a_link_created_and_removed_after_start(self):
        scratch = Scratch()
        bus = Bus(scratch.path)
        master, slave = os.openpty()
        tty = os.ttyname(slave)
        os.close(slave)
        by_id = os.path.join(scratch.path, "serial", "by-id")
        link = os.path.join(by_id, "usb-Quectel_EC25-if03-port0")
        try:
            daemon = Daemon(bus, config_for(scratch.path, {"m0": link}), os.path.join(scratch.path, "logs"))
            modem = daemon.modem("m0")
            self.assertEqual(str(modem.get("State")), "unavailable")
            self.assertIn(f"[m0] {link}: No such file or directory: unavailable until it appears", daemon.log_text())
            os.makedirs(by_id)
            os.symlink(tty, link)
            self.assertTrue(wait_until(lambda: modem.states == ["disconnected"], 60),
                            f"{modem.states}\n{daemon.log_text()}")
            self.assertEqual(str(modem.get("State")), "disconnected")
            os.unlink(link)
            self.assertTrue(wait_until(lambda: modem.states == ["disconnected", "unavailable"], 60),
                            f"{modem.states}\n{daemon.log_text()}")
            os.symlink(os.path.join(scratch.path, "ttyNONE"), link)  # dangling: still unavailable
            os.symlink(tty, link + ".new")
            os.rename(link + ".new", link)  # re-pointed in place, as udev does
            self.assertTrue(wait_until(lambda: modem.states[-1:] == ["disconnected"], 60),
                            f"{modem.states}\n{daemon.log_text()}")
            self.assertEqual(modem.states, ["disconnected", "unavailable", "disconnected"])
            self.assertEqual(daemon.stop(), 0)
        finally:
            bus.stop()
            os.close(master)
            scratch.remove()

    def test_a_dangling_link_is_named_at_start(self):
        scratch = Scratch()
        bus = Bus(scratch.path)
        link = os.path.join(scratch.path, "modem")
        os.symlink("/dev/ttyNONE-dialupd", link)
        try:
            daemon = Daemon(bus, config_for(scratch.path, {"m0": link}), os.path.join(scratch.path, "logs"))
            self.assertIn(f"[m0] {link}: a link to /dev/ttyNONE-dialupd, which does not exist: unavailable until it "
                          "appears", daemon.log_text())
            self.assertEqual(daemon.stop(), 0)
        finally:
            bus.stop()
            scratch.remove()


class ServiceManagerProtocol(unittest.TestCase):
    """What the unit relies on (Type=notify, WatchdogSec=), against a socket of our own in place
    of systemd's: READY=1 only once the bus name is owned, WATCHDOG=1 from the event loop at
    half the interval, STOPPING=1 on SIGTERM."""

    def test_ready_watchdog_and_stopping(self):
        scratch = Scratch()
        bus = Bus(scratch.path)
        notify_path = os.path.join(scratch.path, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(PATIENCE)
        try:
            daemon = Daemon(bus, config_for(scratch.path, {}), os.path.join(scratch.path, "logs"), wait=False,
                            extra_env={"NOTIFY_SOCKET": notify_path, "WATCHDOG_USEC": "400000"})
            first = notify.recv(4096).decode()
            self.assertIn("READY=1", first)
            self.assertTrue(daemon.connection.name_has_owner("org.dialupd1"), "READY=1 before the bus name")
            # 200 ms apart, so 3 take about 0.6 s; without the watchdog none ever comes, so a
            # long bound only costs a failing run its time.
            pings = 0
            deadline = time.monotonic() + PATIENCE
            while pings < 3 and time.monotonic() < deadline:
                notify.settimeout(max(deadline - time.monotonic(), 0.01))
                try:
                    pings += notify.recv(4096).decode().count("WATCHDOG=1")
                except socket.timeout:
                    break
            self.assertGreaterEqual(pings, 3)
            self.assertEqual(daemon.stop(), 0)
            notify.settimeout(PATIENCE)
            rest = ""
            while "STOPPING=1" not in rest:
                rest += notify.recv(4096).decode()
        finally:
            notify.close()
            bus.stop()
            scratch.remove()


class ConfigErrors(unittest.TestCase):
    """A bad config exits 1 before touching the bus, naming file, line and problem."""

    def run_with(self, text=None, path=None):
        scratch = tempfile.mkdtemp(prefix="dialupd-cfg-")
        if path is None:
            path = os.path.join(scratch, "bad.conf")
            with open(path, "w") as config:
                config.write(text)
        result = subprocess.run([DIALUPD, "--config", path], capture_output=True, text=True, timeout=PATIENCE,
                                env={"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent",
                                     "DIALUPD_PLUGIN": PLUGIN})
        shutil.rmtree(scratch)
        return result, path

    def test_unknown_key_names_its_line(self):
        result, path = self.run_with("[daemon]\nstop-timeout = 5\n\n[modem m0]\ndevice = /dev/ttyS1\nspeed = 9600\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{path}:6: unknown key 'speed'", result.stderr)

    def test_missing_file_named_on_the_command_line(self):
        result, _ = self.run_with(path="/nonexistent/dialupd.conf")
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent/dialupd.conf: cannot be opened", result.stderr)

    def test_modem_without_device(self):
        result, path = self.run_with("[modem m0]\napn = internet\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{path}:1: [modem m0] needs exactly one of 'device' (a fixed port), 'usb-serial' or "
                      "'usb-path' (a USB modem), got 0", result.stderr)

    def test_bad_modem_id(self):
        result, path = self.run_with("[modem bad-id!]\ndevice = /dev/ttyS1\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{path}:1: modem id 'bad-id!'", result.stderr)

    def test_hostile_apn_in_the_file(self):
        result, path = self.run_with('[defaults]\napn = x" ABORT "OK\n')
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{path}:2: apn contains character", result.stderr)

    def test_no_bus_is_a_clear_error(self):
        # A runtime directory of its own: the default one (/run/dialupd) is a real daemon's.
        run_dir = tempfile.mkdtemp(prefix="dialupd-run-")
        self.addCleanup(shutil.rmtree, run_dir)
        result, _ = self.run_with(f"[daemon]\nruntime-dir = {run_dir}\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn("critical: cannot connect to the system bus at unix:path=/nonexistent (from "
                      "DBUS_SYSTEM_BUS_ADDRESS): Failed to open bus (No such file or directory)", result.stderr)

    def test_a_directory_is_no_config(self):
        config_dir = tempfile.mkdtemp(prefix="dialupd-cfgdir-")
        self.addCleanup(shutil.rmtree, config_dir)
        result, _ = self.run_with(path=config_dir)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{config_dir}: is a directory, not a configuration file", result.stderr)

    def test_not_root_says_how_dialupd_runs(self):
        # A runtime directory that exists and belongs to root, as /run/dialupd does once the
        # service ran: an ordinary user cannot restrict it.
        scratch = Scratch()
        self.addCleanup(scratch.remove)
        run_dir = os.path.join(scratch.path, "run")
        os.mkdir(run_dir, 0o755)
        config = os.path.join(scratch.path, "dialupd.conf")
        with open(config, "w") as out:
            out.write(f"[daemon]\nruntime-dir = {run_dir}\n")
        os.chmod(config, 0o644)
        result = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", DIALUPD,
                                 "--config", config], capture_output=True, text=True, timeout=60,
                                env={"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent",
                                     "DIALUPD_PLUGIN": PLUGIN})
        if "Permission denied" in result.stderr and "runtime directory" not in result.stderr:
            self.skipTest("the build tree is not readable by nobody: " + result.stderr)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"cannot restrict runtime directory {run_dir} (dialupd runs as root, or under its systemd "
                      "unit): Operation not permitted", result.stderr)


class ConfigWarnings(unittest.TestCase):
    """Issue 16 item 6: a device can claim any serial, and with it a section's credentials: the
    daemon says so at start-up (here it then stops for want of a bus; the warning comes first)."""

    run_with = ConfigErrors.run_with

    def test_credentials_tied_to_a_serial_are_warned_about(self):
        result, path = self.run_with("[modem roof]\nusb-serial = SER1AL\nuser = alice\npassword = pw-roof\n"
                                     "[modem cellar]\nusb-path = 1-1.4\npassword = pw-cellar\n")
        self.assertIn(f"{path}:1: [modem roof] gives its user and password to any USB modem that reports serial "
                      "'SER1AL', and a device can claim any serial: match the section by 'usb-path'", result.stderr)
        self.assertNotIn("[modem cellar]", result.stderr)
        self.assertNotIn("pw-", result.stderr)


class BusPolicy(DaemonTestCase):
    """The shipped policy: anyone reads, only root and the privileged group change state. The
    group is the build option privileged_group (default netdev); here "users", which every
    Debian system has, so the test needs no group of its own."""

    privileged_group = "users"

    def as_user(self, user, *busctl_args, group=None):
        setpriv = ["setpriv", f"--reuid={user}", f"--regid={group or 'nogroup'}"]
        setpriv += [f"--groups={group}"] if group else ["--clear-groups"]
        return subprocess.run(setpriv + ["busctl", f"--address={self.bus.address}", *busctl_args],
                              capture_output=True, text=True, timeout=PATIENCE)

    def test_unprivileged_user_reads_but_cannot_connect(self):
        read = self.as_user("nobody", "get-property", "org.dialupd1", self.modem.path, MODEM_IFACE, "State")
        self.assertEqual(read.returncode, 0, read.stderr)
        self.assertIn('"disconnected"', read.stdout)
        logs = self.as_user("nobody", "call", "org.dialupd1", self.modem.path, MODEM_IFACE, "GetCallLogs", "u", "5")
        self.assertEqual(logs.returncode, 0, logs.stderr)
        self.assertEqual(logs.stdout.strip(), "a(tt(uss)ttbs) 0")
        call = self.as_user("nobody", "call", "org.dialupd1", self.modem.path, MODEM_IFACE, "Connect", "a{sv}", "0")
        self.assertNotEqual(call.returncode, 0)
        self.assertIn("denied", call.stderr.lower())
        self.assertFalse(wait_until(lambda: self.modem.states, 0.5), "a denied Connect must change nothing")

    def test_member_of_the_privileged_group_may_call(self):
        # Disconnect while idle: the policy lets the call through, the daemon answers NotConnected.
        call = self.as_user("nobody", "call", "org.dialupd1", self.modem.path, MODEM_IFACE, "Disconnect",
                            group="users")
        self.assertNotEqual(call.returncode, 0)
        self.assertIn("no call to end", call.stderr)


if __name__ == "__main__":
    sys.exit(run_tap(LeftoverPppd, SecondInstance, Contract, NoKernelPpp, HangupEvidence, SilentAtPort, LiveProperties,
                     HostileModemText,
                     HostileArguments, PasswordSecrecy, OnlineOptionsReachPppd, PasswordEqualToTheApn, StopEscalation, Redial,
                     ShutdownWithACall, OversizedCallLogs, CallLogsZero, Shutdown, ServiceManagerProtocol,
                     FixedPortNode, ConfigErrors, ConfigWarnings,
                     BusPolicy))
