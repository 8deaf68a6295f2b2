#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""dialupctl against the real daemon on a private dbus-daemon with our policy: every subcommand,
its --json output parsed and checked against what D-Bus itself says, each exit status, password
sources, colour, the man page and the bash completion. Prints TAP for meson."""
import errno
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
import unittest

import dbus
import dbus.service

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import (PATIENCE, ROOT, Bus, Daemon, MonitorProcess, Scratch, config_for, run_tap,  # noqa: E402
                     stand_in_pppd, wait_until)

DIALUPCTL = os.environ.get("DIALUPCTL_BIN", os.path.join(ROOT, "build", "client", "dialupctl"))
MAN_PAGE = os.path.join(ROOT, "client", "dialupctl.1")
COMPLETION = os.path.join(ROOT, "client", "dialupctl.bash")
COMMANDS = ["list", "status", "connect", "disconnect", "reset", "monitor", "log"]
MODEM_KEYS = {"id", "path", "state", "device", "at_port", "vendor", "product", "model", "usb_path", "usb_serial",
              "interface", "ipv4_address", "peer_address", "dns", "connected_since_usec", "last_exit_reason",
              "last_call", "reconnect_attempts", "next_reconnect_usec", "dns_backend", "default_route", "route_metric",
              "ipv6_addresses", "sim_state", "registration_state", "operator_name", "operator_code",
              "access_technology", "signal_quality", "signal", "imei", "iccid"}
SECRET = "Cl1ent-S3cret-pw"

# Exit statuses, as dialupctl(1) documents them.
OK, FAILURE, USAGE, NOT_RUNNING, DENIED, NO_MODEM, CALL_FAILED, WRONG_STATE = range(8)
NO_DM_LOG = 10


class Ctl:
    """Runs dialupctl against one bus address."""

    def __init__(self, address):
        self.env = {"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": address, "TZ": "UTC"}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                self.env[name] = os.environ[name]

    def run(self, *args, stdin=None, timeout=PATIENCE, prefix=()):
        return subprocess.run([*prefix, DIALUPCTL, *args], capture_output=True, text=True, env=self.env,
                              input=stdin, timeout=timeout)

    def json(self, *args):
        result = self.run("--json", *args)
        return result, json.loads(result.stdout) if result.stdout.strip() else None


class ClientTestCase(unittest.TestCase):
    """A private bus and daemon with modem m0 on a real pty and `gone` on a missing tty;
    pppd is the real one (it exits 4 here: no kernel PPP) unless a test sets `pppd`."""

    pppd_prologue = None  # shell lines for a stand-in pppd that then sleeps like a call

    def setUp(self):
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path, "users")
        self.master, slave = os.openpty()
        self.tty = os.ttyname(slave)
        os.close(slave)
        extra = "diagnostics-timeout = 300\n"
        if self.pppd_prologue is not None:
            extra += f"pppd = {stand_in_pppd(self.scratch.path, self.pppd_prologue.format(scratch=self.scratch.path))}\n"
        self.daemon_config = config_for(self.scratch.path, {"m0": self.tty, "gone": "/dev/ttyUSB99"}, extra)
        self.daemon = Daemon(self.bus, self.daemon_config, os.path.join(self.scratch.path, "logs"))
        self.modem = self.daemon.modem("m0")
        self.ctl = Ctl(self.bus.address)

    def tearDown(self):
        code = self.daemon.stop()
        self.bus.stop()
        os.close(self.master)
        self.scratch.remove()
        self.assertEqual(code, 0, "dialupd must exit 0 on SIGTERM")

    def assertExit(self, result, status):
        self.assertEqual(result.returncode, status, f"stdout: {result.stdout}\nstderr: {result.stderr}")

    def assertOneLineError(self, result, *fragments):
        """A failure is one line on stderr, never an exception dump."""
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith("dialupctl: "), lines[0])
        self.assertNotIn("terminate called", result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])


class ListAndStatus(ClientTestCase):
    def test_list_prints_an_aligned_table(self):
        result = self.ctl.run("list")
        self.assertExit(result, OK)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["MODEM", "STATE", "MODEL", "DEVICE", "ADDRESS", "ROUTE", "DNS"])
        self.assertEqual([line.split()[:2] for line in lines[1:]], [["gone", "unavailable"], ["m0", "disconnected"]])
        column = lines[0].index("DEVICE")
        self.assertEqual(lines[1][column:].split()[0], "/dev/ttyUSB99")
        self.assertEqual(lines[2][column:].split()[0], self.tty)
        self.assertNotIn("\033[", result.stdout, "no colour when stdout is not a terminal")

    def test_list_json_matches_the_bus(self):
        result, answer = self.ctl.json("list")
        self.assertExit(result, OK)
        modems = {modem["id"]: modem for modem in answer["modems"]}
        self.assertEqual(set(modems), {"gone", "m0"})
        for modem in modems.values():
            self.assertEqual(set(modem), MODEM_KEYS)
        m0 = modems["m0"]
        self.assertEqual(m0["path"], "/org/dialupd1/modem/m0")
        self.assertEqual(m0["state"], str(self.modem.get("State")))
        self.assertEqual(m0["device"], self.tty)
        self.assertEqual(m0["last_exit_reason"], {"code": 0, "name": "none",
                                                  "description": str(self.modem.get("LastExitReason")[2])})
        self.assertEqual(modems["gone"]["state"], "unavailable")

    def test_list_quiet_prints_ids(self):
        result = self.ctl.run("list", "--quiet")
        self.assertExit(result, OK)
        self.assertEqual(result.stdout.split(), ["gone", "m0"])

    def test_status_by_id_and_by_path(self):
        by_id = self.ctl.run("status", "m0")
        self.assertExit(by_id, OK)
        self.assertEqual(by_id.stdout.splitlines()[0], "m0")
        self.assertRegex(by_id.stdout, r"State\s+disconnected")
        self.assertRegex(by_id.stdout, r"Device\s+" + re.escape(self.tty))
        self.assertRegex(by_id.stdout, r"Last exit\s+none")
        result, answer = self.ctl.json("status", "/org/dialupd1/modem/m0")
        self.assertExit(result, OK)
        self.assertEqual(set(answer), MODEM_KEYS)
        self.assertEqual((answer["id"], answer["state"]), ("m0", "disconnected"))

    def test_status_without_modem_when_there_are_two_lists_them(self):
        result = self.ctl.run("status")
        self.assertExit(result, USAGE)
        self.assertIn("there are 2 modems", result.stderr)
        self.assertIn("gone", result.stderr)
        self.assertIn("m0", result.stderr)

    def test_unknown_modem(self):
        result = self.ctl.run("status", "nope")
        self.assertExit(result, NO_MODEM)
        self.assertOneLineError(result, "no modem 'nope'", "gone, m0")
        result, answer = self.ctl.json("log", "nope")
        self.assertExit(result, NO_MODEM)
        self.assertEqual(answer["error"]["exit_status"], NO_MODEM)

    def test_colour_only_on_a_terminal_and_never_when_refused(self):
        def on_a_terminal(*args, env=None):
            pid, master = pty.fork()
            if pid == 0:
                os.execve(DIALUPCTL, [DIALUPCTL, *args], env or self.ctl.env)
            output = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            os.waitpid(pid, 0)
            os.close(master)
            return output.decode()

        self.assertIn("\033[", on_a_terminal("list"))
        self.assertNotIn("\033[", on_a_terminal("list", "--no-color"))
        self.assertNotIn("\033[", on_a_terminal("list", env=dict(self.ctl.env, NO_COLOR="1")))


class CallsWithRealPppd(ClientTestCase):
    """The host has no kernel PPP: the real pppd exits 4, a call failure with its reason."""

    def test_connect_wait_fails_with_the_reason(self):
        result = self.ctl.run("connect", "m0", "--wait")
        self.assertExit(result, CALL_FAILED)
        self.assertOneLineError(result, "4 no-kernel-support", "[org.dialupd1.Error.CallFailed]")
        result, answer = self.ctl.json("connect", "m0", "--wait")
        self.assertExit(result, CALL_FAILED)
        self.assertEqual(answer["error"]["name"], "org.dialupd1.Error.CallFailed")
        self.assertTrue(answer["error"]["message"].startswith("connecting m0: 4 no-kernel-support"), answer)

    def test_log_shows_the_kept_calls_newest_first(self):
        self.ctl.run("connect", "m0", "--wait", "--apn", "first.apn")
        self.ctl.run("connect", "m0", "--wait", "--apn", "second.apn")
        result, answer = self.ctl.json("log", "m0", "--last", "5")
        self.assertExit(result, OK)
        self.assertEqual(answer["modem"], "m0")
        calls = answer["calls"]
        self.assertEqual(len(calls), 2)
        self.assertEqual(set(calls[0]), {"started_usec", "duration_usec", "reason", "bytes_in", "bytes_out",
                                         "requested", "log"})
        self.assertEqual(calls[0]["reason"]["code"], 4)
        self.assertFalse(calls[0]["requested"])
        self.assertIn("second.apn", calls[0]["log"])
        self.assertIn("first.apn", calls[1]["log"])
        self.assertGreaterEqual(calls[0]["started_usec"], calls[1]["started_usec"])
        kept = self.modem.iface.GetCallLogs(dbus.UInt32(5))
        self.assertEqual([call["log"] for call in calls], [str(call[6]) for call in kept])
        text = self.ctl.run("log", "m0")
        self.assertExit(text, OK)
        self.assertRegex(text.stdout.splitlines()[0], r"^# m0: call of \d{4}-\d\d-\d\d .*4 no-kernel-support$")
        self.assertIn("== call ==", text.stdout)
        self.assertNotIn("first.apn", text.stdout, "--last defaults to the newest call only")

    def test_log_of_a_modem_without_calls(self):
        result = self.ctl.run("log", "gone")
        self.assertExit(result, OK)
        self.assertIn("no calls kept", result.stdout)

    def test_an_apn_the_daemon_refuses_is_a_usage_error(self):
        result = self.ctl.run("connect", "m0", "--apn", 'x"\nATH')
        self.assertExit(result, USAGE)
        self.assertOneLineError(result, "[org.dialupd1.Error.InvalidArgument]")

    def test_an_unavailable_modem_is_the_wrong_state(self):
        result = self.ctl.run("connect", "gone")
        self.assertExit(result, WRONG_STATE)
        self.assertOneLineError(result, "[org.dialupd1.Error.Unavailable]")

    def test_disconnect_without_a_call(self):
        result = self.ctl.run("disconnect", "m0")
        self.assertExit(result, WRONG_STATE)
        self.assertOneLineError(result, "[org.dialupd1.Error.NotConnected]")


class CallsWithAStandIn(ClientTestCase):
    """pppd replaced by a script that records its secret pipe's contents and sleeps like a call."""

    pppd_prologue = ('while [ $# -gt 0 ]; do [ "$1" = dialupd-secret-fd ] && fd=$2; shift; done\n'
                     'cat /proc/$$/fd/$fd > {scratch}/secret.tmp; mv {scratch}/secret.tmp {scratch}/secret')

    def secret_seen(self):
        path = os.path.join(self.scratch.path, "secret")
        self.assertTrue(wait_until(lambda: os.path.exists(path), PATIENCE), "the stand-in pppd got no secret pipe")
        with open(path) as secret:
            return secret.read()

    def test_connect_then_disconnect(self):
        result, answer = self.ctl.json("connect", "m0")
        self.assertExit(result, OK)
        self.assertEqual((answer["modem"], answer["status"]["state"]), ("m0", "connecting"))
        self.assertIsInstance(answer["elapsed_usec"], int)
        again = self.ctl.run("connect", "m0")
        self.assertExit(again, WRONG_STATE)
        self.assertOneLineError(again, "[org.dialupd1.Error.AlreadyConnected]")
        result, answer = self.ctl.json("disconnect", "m0")
        self.assertExit(result, OK)
        self.assertEqual(answer["status"]["state"], "disconnected")
        # The stand-in (sleep) dies of SIGTERM; a requested end is reported as one whatever pppd made of it.
        self.assertEqual(answer["status"]["last_exit_reason"]["name"], "user-request")
        self.assertEqual(str(self.modem.get("State")), "disconnected")

    def test_password_from_a_file_reaches_pppd_and_nothing_else(self):
        password_file = os.path.join(self.scratch.path, "password")
        with open(password_file, "w") as out:
            out.write(SECRET + "\n")
        os.chmod(password_file, 0o600)
        result = self.ctl.run("connect", "m0", "--user", "alice", "--password-file", password_file)
        self.assertExit(result, OK)
        self.assertIn(SECRET, self.secret_seen())
        self.assertNotIn("warning", result.stderr)
        self.assertNotIn(SECRET, result.stdout + result.stderr)
        self.assertNotIn(SECRET, self.daemon.log_text())

    def test_password_from_standard_input(self):
        result = self.ctl.run("connect", "m0", "--user", "alice", "--password-file", "-", stdin=SECRET + "\n")
        self.assertExit(result, OK)
        self.assertIn(SECRET, self.secret_seen())

    def test_a_password_file_others_can_read_is_warned_about(self):
        password_file = os.path.join(self.scratch.path, "password")
        with open(password_file, "w") as out:
            out.write(SECRET)
        os.chmod(password_file, 0o644)
        result = self.ctl.run("connect", "m0", "--password-file", password_file)
        self.assertExit(result, OK)
        self.assertIn("other users can read", result.stderr)

    def test_password_asked_on_the_terminal_without_echo(self):
        pid, master = pty.fork()
        if pid == 0:
            os.execve(DIALUPCTL, [DIALUPCTL, "connect", "m0", "--user", "alice", "--ask-password"], self.ctl.env)
        seen = b""
        deadline = time.monotonic() + PATIENCE
        while b"Password: " not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 1024)
        self.assertIn(b"Password: ", seen)
        os.write(master, (SECRET + "\n").encode())
        while True:
            try:
                chunk = os.read(master, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        _, status = os.waitpid(pid, 0)
        os.close(master)
        self.assertEqual(os.waitstatus_to_exitcode(status), OK, seen)
        self.assertNotIn(SECRET.encode(), seen, "the password was echoed")
        self.assertIn(SECRET, self.secret_seen())

    def test_ask_password_without_a_terminal(self):
        result = subprocess.run(["setsid", DIALUPCTL, "connect", "m0", "--ask-password"], capture_output=True,
                                text=True, env=self.ctl.env, stdin=subprocess.DEVNULL, timeout=PATIENCE)
        self.assertExit(result, USAGE)
        self.assertOneLineError(result, "no terminal")

    def test_password_on_the_command_line_is_refused(self):
        result = self.ctl.run("connect", "m0", "--password", SECRET)
        self.assertExit(result, USAGE)
        self.assertOneLineError(result, "--password-file")
        self.assertEqual(self.modem.states, [], "a refused password must not start a call")


class Redial(ClientTestCase):
    """A stand-in pppd that hangs up at once: connect --reconnect redials, status and monitor
    show the pending redial, disconnect cancels it."""

    pppd_prologue = "exit 16"

    def test_reconnect_status_monitor_and_cancel(self):
        monitor = MonitorProcess(self.ctl.env, "--json", "monitor", "m0")
        # The stand-in hangs up at once: whether dialupctl still sees the call under way is timing.
        self.assertIn(self.ctl.run("connect", "m0", "--reconnect").returncode, (OK, CALL_FAILED))
        self.assertTrue(wait_until(lambda: int(self.modem.get("NextReconnect")) > 0, PATIENCE))
        result, status = self.ctl.json("status", "m0")
        self.assertGreaterEqual(status["reconnect_attempts"], 1)
        self.assertGreater(status["next_reconnect_usec"], 0)
        text = self.ctl.run("status", "m0").stdout
        self.assertRegex(text, r"Redial\s+\d+ at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
        self.assertExit(self.ctl.run("disconnect", "m0"), OK)  # cancels the redial
        self.assertEqual(int(self.modem.get("NextReconnect")), 0)
        stdout, _ = monitor.finish()
        events = [json.loads(line) for line in stdout.splitlines()]
        pending = [event for event in events if event.get("next_reconnect_usec")]
        self.assertTrue(pending, events)
        self.assertEqual(pending[0]["reconnect_attempts"], 1)

    def test_no_reconnect_by_default(self):
        self.assertIn(self.ctl.run("connect", "m0").returncode, (OK, CALL_FAILED))  # as above
        self.assertTrue(wait_until(lambda: self.modem.hangups, PATIENCE))
        self.assertEqual(int(self.modem.get("NextReconnect")), 0)
        self.assertExit(self.ctl.run("connect", "m0", "--reconnect", "--no-reconnect"), USAGE)


class Monitor(ClientTestCase):
    def start(self, *args, modems=2):
        return MonitorProcess(self.ctl.env, *args, modems=modems)

    def finish(self, monitor):
        stdout, stderr = monitor.finish()
        self.assertEqual(monitor.process.returncode, OK, stderr)
        return stdout

    def test_json_events_of_a_failed_call(self):
        monitor = self.start("--json", "monitor")
        self.ctl.run("connect", "m0")
        self.assertTrue(wait_until(lambda: self.modem.hangups, PATIENCE))
        self.assertTrue(monitor.wait_for(lambda: monitor.count("hangup") == 1), monitor.lines)
        events = [json.loads(line) for line in self.finish(monitor).splitlines()]
        for event in events:
            self.assertRegex(event["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$")
        present = [event for event in events if event["event"] == "present"]
        self.assertEqual(sorted(event["modem"] for event in present), ["gone", "m0"])
        self.assertEqual(set(present[0]["status"]), MODEM_KEYS)
        m0 = [event for event in events if event.get("modem") == "m0" and event["event"] != "present"]
        self.assertEqual([(event["event"], event.get("state")) for event in m0],
                         [("state", "connecting"), ("state", "disconnected"), ("hangup", None)])
        self.assertEqual(m0[1]["last_exit_reason"]["code"], 4)
        self.assertEqual(m0[2]["reason"]["name"], "no-kernel-support")
        self.assertEqual(m0[2]["log"], self.modem.hangups[0]["log"])
        self.assertEqual(m0[2]["duration_usec"], self.modem.hangups[0]["duration"])

    def test_text_for_one_modem_with_the_log(self):
        monitor = self.start("monitor", "m0", "--log", modems=1)
        self.ctl.run("connect", "m0")
        self.assertTrue(wait_until(lambda: self.modem.hangups, PATIENCE))
        self.assertTrue(monitor.wait_for(lambda: monitor.count("hangup") == 1), monitor.lines)
        text = self.finish(monitor)
        self.assertNotIn("gone", text, "only the modem asked for")
        self.assertRegex(text, r"\d\d:\d\d:\d\d\.\d{3}  m0  state  connecting")
        self.assertRegex(text, r"m0  hangup  4 no-kernel-support: .* after \d+\.\d s")
        self.assertIn("    == call ==", text, "--log prints the hangup's text, indented")

    def test_the_daemon_leaving_and_coming_back(self):
        monitor = self.start("--json", "monitor")
        self.assertEqual(self.daemon.stop(), 0)
        self.assertTrue(monitor.wait_for(lambda: monitor.count("daemon-stopped") == 1), monitor.lines)
        self.assertIsNone(monitor.process.poll(), "the monitor must outlive the daemon")
        self.daemon = Daemon(self.bus, self.daemon_config, os.path.join(self.scratch.path, "logs-2"))
        self.assertTrue(monitor.wait_for(lambda: monitor.count("present") == 4), monitor.lines)
        events = [(event["event"], event.get("modem")) for event in map(json.loads, self.finish(monitor).splitlines())]
        self.assertEqual(events[2:], [("removed", "gone"), ("removed", "m0"), ("daemon-stopped", None),
                                      ("daemon-started", None), ("present", "gone"), ("present", "m0")])


class LiveState(ClientTestCase):
    """m0 with an AT port the test answers like an EC25: status shows SIM, network and signal
    (bars for people, numbers in --json), monitor prints their changes."""

    ANSWERS = {
        "AT+CPIN?": ["+CPIN: READY", "OK"], "AT+CEREG?": ['+CEREG: 2,1,"1A2B","01A2D001",7', "OK"],
        "AT+COPS?": ['+COPS: 0,0,"Simulated Operator",7', "OK"], "AT+CSQ": ["+CSQ: 24,99", "OK"],
        "AT+QCSQ": ['+QCSQ: "LTE",-65,-95,154,-10', "OK"],
        "AT+QNWINFO": ['+QNWINFO: "FDD LTE","26201","LTE BAND 3",1300', "OK"],
        "AT+CGSN": ["867698041234561", "OK"], "AT+QCCID": ["+QCCID: 89490200001234567890", "OK"],
    }

    def setUp(self):
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path, "users")
        self.master, slave = os.openpty()
        self.tty = os.ttyname(slave)
        os.close(slave)
        self.at_master, at_slave = os.openpty()
        at_tty = os.ttyname(at_slave)
        os.close(at_slave)
        self.serve()
        self.daemon_config = config_for(self.scratch.path, {"m0": self.tty}, "", {"m0": at_tty})
        self.daemon = Daemon(self.bus, self.daemon_config, os.path.join(self.scratch.path, "logs"))
        self.modem = self.daemon.modem("m0")
        self.ctl = Ctl(self.bus.address)
        self.assertTrue(wait_until(lambda: self.modem.get("Iccid") != "", PATIENCE), self.daemon.log_text()[-2000:])

    def tearDown(self):
        super().tearDown()
        os.close(self.at_master)

    def serve(self):
        stop = threading.Event()

        def loop():
            pending = b""
            while not stop.is_set():
                try:
                    if not select.select([self.at_master], [], [], 0.05)[0]:
                        continue
                    pending += os.read(self.at_master, 1024)
                except (OSError, ValueError):
                    time.sleep(0.02)
                    continue
                while b"\r" in pending:
                    command, pending = pending.split(b"\r", 1)
                    self.say(*self.ANSWERS.get(command.decode(errors="replace"), ["OK"]))
        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self.addCleanup(lambda: (stop.set(), thread.join(2)))

    def say(self, *lines):
        try:
            os.write(self.at_master, b"".join(b"\r\n" + line.encode() + b"\r\n" for line in lines))
        except OSError:
            pass

    def test_status_shows_sim_network_and_signal(self):
        result = self.ctl.run("status", "m0")
        self.assertExit(result, OK)
        self.assertRegex(result.stdout, r"SIM\s+ready, ICCID 89490200001234567890\n")
        self.assertRegex(result.stdout, r"Network\s+home on Simulated Operator \(26201\), lte\n")
        self.assertRegex(result.stdout,
                         r"Signal\s+77% \u2582\u2584\u2586\u2588 \(rssi -65 dBm, rsrp -95 dBm, rsrq -10 dB, sinr 154\)\n")
        self.assertRegex(result.stdout, r"IMEI\s+867698041234561\n")
        result, answer = self.ctl.json("status", "m0")
        self.assertExit(result, OK)
        self.assertEqual(set(answer), MODEM_KEYS)
        self.assertEqual({key: answer[key] for key in ("sim_state", "registration_state", "operator_name",
                                                       "operator_code", "access_technology", "signal_quality",
                                                       "signal", "imei", "iccid")},
                         {"sim_state": "ready", "registration_state": "home", "operator_name": "Simulated Operator",
                          "operator_code": "26201", "access_technology": "lte", "signal_quality": 77,
                          "signal": {"rssi": -65, "rsrp": -95, "rsrq": -10, "sinr": 154},
                          "imei": "867698041234561", "iccid": "89490200001234567890"})

    def test_monitor_prints_the_changes(self):
        text = MonitorProcess(self.ctl.env, "monitor", "m0")
        json_monitor = MonitorProcess(self.ctl.env, "--json", "monitor", "m0")
        self.say('+QIND: "csq",31,99')  # its rssi alone: the daemon asks nothing after it
        self.assertTrue(json_monitor.wait_for(lambda: any('"signal":{"rssi":-51}' in line
                                                          for line in json_monitor.lines)), json_monitor.lines)
        self.say("+CEREG: 5,\"1A2C\",\"01A2D002\",7")
        self.assertTrue(json_monitor.wait_for(lambda: any('"roaming"' in line for line in json_monitor.lines)),
                        json_monitor.lines)
        self.assertTrue(text.wait_for(lambda: any("roaming" in line for line in text.lines)), text.lines)
        stdout, _ = text.finish()
        self.assertRegex(stdout, r"m0  live  signal 100% \u2582\u2584\u2586\u2588 \(rssi -51 dBm\)\n")
        self.assertRegex(stdout, r"m0  live  network roaming on Simulated Operator \(26201\), lte\n")
        stdout, _ = json_monitor.finish()
        live = [json.loads(line) for line in stdout.splitlines() if '"live"' in line]
        self.assertEqual(live[0], dict(live[0], modem="m0", signal_quality=100, signal={"rssi": -51}))
        roaming = [event for event in live if event.get("registration_state") == "roaming"]
        self.assertEqual(set(roaming[0]) - {"time", "event", "modem"},
                         {"registration_state", "operator_name", "operator_code", "access_technology"})


class Reset(ClientTestCase):
    """reset against the real daemon, the test playing the module on m0's pty: a module in
    command mode answers every line with OK; a stuck one swallows everything until "+++"."""

    def play_module(self, stuck):
        self.module_log = []
        self.stop_module = threading.Event()

        def serve():
            escaped = not stuck
            while not self.stop_module.is_set():
                try:
                    ready, _, _ = select.select([self.master], [], [], 0.1)
                    if not ready:
                        continue
                    data = os.read(self.master, 256).decode("latin-1")
                except OSError as error:
                    if error.errno != errno.EIO:
                        return  # tearDown closed the port
                    time.sleep(0.05)  # nobody has the tty open yet: the master reads EIO
                    continue
                self.module_log.append(data)
                if "+++" in data:
                    escaped = True
                if escaped and ("\r" in data or "+++" in data):
                    os.write(self.master, b"\r\nOK\r\n")

        self.module = threading.Thread(target=serve, daemon=True)
        self.module.start()
        self.addCleanup(self.stop_module.set)

    def test_a_module_that_answers_needs_nothing(self):
        self.play_module(stuck=False)
        result = self.ctl.run("reset", "m0")
        self.assertExit(result, OK)
        self.assertIn("m0: the module answers: nothing to recover", result.stdout)
        wait_until(lambda: len(self.modem.states) >= 2, PATIENCE)
        self.assertEqual(self.modem.states, ["resetting", "disconnected"])

    def test_a_stuck_module_is_escaped_and_json_says_so(self):
        self.play_module(stuck=True)
        result, answer = self.ctl.json("reset", "m0")
        self.assertExit(result, OK)
        self.assertEqual(set(answer), {"modem", "recovered_by", "elapsed_usec", "log"})
        self.assertEqual((answer["modem"], answer["recovered_by"]), ("m0", "escape"))
        self.assertIn("'+++' with 1.2 s guard times", answer["log"])
        self.assertGreater(answer["elapsed_usec"], 2_000_000)  # the probe's second and the guard time
        self.assertIn("+++", "".join(self.module_log))
        self.assertIn("ATH\r", "".join(self.module_log))

    def test_a_module_that_answers_nothing_fails_by_name(self):
        # m0 has no AT port and is no USB device: after the escape there is nothing left to try.
        result = self.ctl.run("reset", "m0")
        self.assertExit(result, CALL_FAILED)
        self.assertOneLineError(result, "[org.dialupd1.Error.RecoveryFailed]")
        self.assertEqual(self.modem.get("State"), "disconnected")

    def test_a_missing_tty_is_the_wrong_state(self):
        result = self.ctl.run("reset", "gone")
        self.assertExit(result, WRONG_STATE)
        self.assertOneLineError(result, "[org.dialupd1.Error.Unavailable]")


class ConnectWithoutWaitOutcome(unittest.TestCase):
    """connect without --wait when the call has already ended (pppd exits at once without
    kernel PPP, or on a bad option): exit status 6 with the reason, as nmcli and mmcli fail; a
    call still under way is status 0. With the real daemon the reply comes once pppd runs, and
    whether pppd's exit is seen before dialupctl reads the state back cannot be forced, so a
    stand-in daemon on the bus answers Connect and then the state each case needs."""

    class StandIn(dbus.service.Object):
        def __init__(self, connection, path, properties):
            super().__init__(connection, path)
            self.properties = properties
            self.after_connect = {}

        @dbus.service.method("org.freedesktop.DBus.ObjectManager", out_signature="a{oa{sa{sv}}}")
        def GetManagedObjects(self):
            return {"/org/dialupd1/modem/sim": {"org.dialupd1.Modem": self.properties}}

        @dbus.service.method("org.dialupd1.Modem", in_signature="a{sv}")
        def Connect(self, options):
            self.properties.update(self.after_connect)

        @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="s", out_signature="a{sv}")
        def GetAll(self, interface):
            return self.properties

    def setUp(self):
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path)
        self.connection = dbus.bus.BusConnection(self.bus.address)
        self.name = dbus.service.BusName("org.dialupd1", self.connection)
        self.properties = {"State": dbus.String("disconnected"), "Device": dbus.String("/dev/ttySIM"),
                           "LastExitReason": dbus.Struct((dbus.UInt32(0), "none", ""), signature="uss"),
                           "NextReconnect": dbus.UInt64(0)}
        self.root = self.StandIn(self.connection, "/org/dialupd1", self.properties)
        self.modem = self.StandIn(self.connection, "/org/dialupd1/modem/sim", self.properties)
        self.ctl = Ctl(self.bus.address)

    def tearDown(self):
        self.root.remove_from_connection()
        self.modem.remove_from_connection()
        del self.name
        self.connection.close()
        self.bus.stop()
        self.scratch.remove()

    def connect(self, *args, state, reason=(0, "none", ""), next_reconnect=0):
        self.properties["State"] = dbus.String("disconnected")
        self.modem.after_connect = {"State": dbus.String(state),
                                    "LastExitReason": dbus.Struct((dbus.UInt32(reason[0]), reason[1], reason[2]),
                                                                  signature="uss"),
                                    "NextReconnect": dbus.UInt64(next_reconnect)}
        process = subprocess.Popen([DIALUPCTL, *args, "connect", "sim"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env=self.ctl.env)
        # The stand-in answers from this process's main loop: keep it turning while dialupctl runs.
        self.assertTrue(wait_until(lambda: process.poll() is not None, 60), "dialupctl did not finish")
        stdout, stderr = process.communicate()
        return process.returncode, stdout, stderr

    def test_a_call_that_already_ended_is_a_failure_with_its_reason(self):
        reason = (4, "no-kernel-support", "the kernel has no PPP support")
        code, stdout, stderr = self.connect(state="disconnected", reason=reason)
        self.assertEqual(code, CALL_FAILED, stdout + stderr)
        self.assertEqual(stderr.strip(), "dialupctl: connecting sim: the call already ended: 4 no-kernel-support: "
                                         "the kernel has no PPP support")
        code, stdout, stderr = self.connect("--json", state="disconnected", reason=reason)
        self.assertEqual(code, CALL_FAILED, stdout + stderr)
        error = json.loads(stdout)["error"]
        self.assertEqual(error["exit_status"], CALL_FAILED)
        self.assertTrue(error["message"].startswith("connecting sim: the call already ended: 4 no-kernel-support"))

    def test_a_pending_redial_is_said(self):
        code, _, stderr = self.connect(state="disconnected", reason=(16, "hangup", "the modem hung up"),
                                       next_reconnect=1)
        self.assertEqual(code, CALL_FAILED, stderr)
        self.assertIn("16 hangup: the modem hung up; a redial is pending", stderr)

    def test_a_call_under_way_is_success(self):
        for state in ("connecting", "connected", "resetting"):
            code, stdout, stderr = self.connect("--json", state=state)
            self.assertEqual(code, OK, (state, stdout, stderr))
            self.assertEqual(json.loads(stdout)["status"]["state"], state)


class DaemonAbsent(unittest.TestCase):
    def test_bus_without_the_daemon(self):
        scratch = Scratch()
        bus = Bus(scratch.path)
        try:
            for command in (["list"], ["status", "m0"], ["connect"], ["monitor"]):
                result = Ctl(bus.address).run(*command)
                self.assertEqual(result.returncode, NOT_RUNNING, (command, result.stderr))
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
                self.assertIn("dialupd is not running", result.stderr)
        finally:
            bus.stop()
            scratch.remove()

    def test_no_bus_at_all(self):
        result = Ctl("unix:path=/nonexistent/dialupd-test-bus").run("list")
        self.assertEqual(result.returncode, NOT_RUNNING, result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("cannot reach the system bus", result.stderr)


class DmLog(ClientTestCase):
    """log --qmdl and --save-dm. The DM log of a kept call is put beside its record by hand (the
    real recorder's files come from integration/test_dm_log_sim.py and the guest's dm-log
    scenarios): dialupctl gets it over the bus as a descriptor and writes it 0600."""

    QMDL = bytes(range(256)) * 40 + b"\x7e\x7d\x5e"

    def setUp(self):
        super().setUp()
        self.ctl.run("connect", "m0", "--wait")  # the real pppd exits 4: a kept call
        self.ctl.run("connect", "m0", "--wait")
        self.starts = [int(call[0]) for call in self.modem.iface.GetCallLogs(dbus.UInt32(5))]
        self.assertEqual(len(self.starts), 2)
        self.kept = os.path.join(self.scratch.path, "state", "calls", "m0", f"{self.starts[0]}.qmdl")
        with open(self.kept, "wb") as qmdl:
            qmdl.write(self.QMDL)
        os.chmod(self.kept, 0o600)
        self.out = os.path.join(self.scratch.path, "out")
        os.mkdir(self.out)

    def test_qmdl_writes_the_newest_dm_log_0600_and_refuses_to_overwrite(self):
        target = os.path.join(self.out, "drop.qmdl")
        result = self.ctl.run("log", "m0", "--qmdl", target)
        self.assertExit(result, OK)
        self.assertRegex(result.stdout, rf"^m0: wrote {len(self.QMDL)} bytes to {re.escape(target)} "
                                        r"\(the DM log of the call of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)\n$")
        with open(target, "rb") as written:
            self.assertEqual(written.read(), self.QMDL)
        self.assertEqual(os.stat(target).st_mode & 0o7777, 0o600)
        again = self.ctl.run("log", "m0", "--qmdl", target)
        self.assertExit(again, FAILURE)
        self.assertOneLineError(again, f"{target} exists; --force replaces it")
        # --force replaces the file, and a link there is replaced, not followed.
        elsewhere = os.path.join(self.out, "elsewhere")
        with open(elsewhere, "w") as other:
            other.write("untouched")
        os.unlink(target)
        os.symlink(elsewhere, target)
        result, answer = self.ctl.json("log", "m0", "--qmdl", target, "--force")
        self.assertExit(result, OK)
        self.assertEqual(answer, {"modem": "m0", "call_usec": self.starts[0], "qmdl": target,
                                  "bytes": len(self.QMDL)})
        self.assertFalse(os.path.islink(target))
        with open(elsewhere) as other:
            self.assertEqual(other.read(), "untouched")

    def test_call_picks_by_number_or_start_and_each_miss_has_its_status(self):
        target = os.path.join(self.out, "x.qmdl")
        result = self.ctl.run("log", "m0", "--qmdl", target, "--call", "1")
        self.assertExit(result, OK)
        os.unlink(target)
        self.assertExit(self.ctl.run("log", "m0", "--qmdl", target, "--call", str(self.starts[0])), OK)
        os.unlink(target)
        # The older call has no DM log; a third does not exist; nor does a call at that start.
        for call, name, fragment in (
                ("2", "NoDiagnosticLog", f"the call that started at {self.starts[1]} has no DM log"),
                ("3", "", "m0 keeps 2 calls, so no call number 3"),
                (str(self.starts[0] + 1), "NoSuchCall", f"keeps no call that started at {self.starts[0] + 1}")):
            result = self.ctl.run("log", "m0", "--qmdl", target, "--call", call)
            self.assertExit(result, NO_DM_LOG)
            self.assertOneLineError(result, fragment, f"[org.dialupd1.Error.{name}]" if name else fragment)
            self.assertFalse(os.path.exists(target), call)
        result, answer = self.ctl.json("log", "m0", "--qmdl", target, "--call", "2")
        self.assertEqual(answer["error"]["name"], "org.dialupd1.Error.NoDiagnosticLog")
        self.assertEqual(answer["error"]["exit_status"], NO_DM_LOG)

    def test_save_dm_with_dm_log_off(self):
        result = self.ctl.run("log", "m0", "--save-dm")
        self.assertExit(result, NO_DM_LOG)
        self.assertOneLineError(result, "saving the DM log of m0: modem m0 keeps no DM log: dm-log is off",
                                "[org.dialupd1.Error.DiagnosticLogOff]")

    def test_nobody_gets_no_dm_log(self):
        target = os.path.join(self.out, "nobody.qmdl")
        os.chmod(self.out, 0o777)
        group = os.environ.get("DIALUPD_PRIVILEGED_GROUP", "netdev")
        for args, method in ((["--qmdl", target], "OpenDiagnosticLog"), (["--save-dm"], "SaveDiagnosticLog")):
            result = AccessDenied.as_nobody(self, "log", "m0", *args)
            self.assertExit(result, DENIED)
            self.assertIn(f"{method} needs root or membership in group {group} ", result.stderr)
            self.assertIn("[org.freedesktop.DBus.Error.AccessDenied]", result.stderr)
        self.assertFalse(os.path.exists(target))
        # A member of the group gets it, written as its own file.
        result = AccessDenied.as_nobody(self, "log", "m0", "--qmdl", target, group="users")
        self.assertExit(result, OK)
        info = os.stat(target)
        self.assertEqual((info.st_mode & 0o7777, info.st_uid), (0o600, 65534))


class AccessDenied(ClientTestCase):
    """The shipped policy with privileged group "users": nobody may read, not call."""

    def as_nobody(self, *args, group=None):
        setpriv = ["setpriv", "--reuid=nobody", f"--regid={group or 'nogroup'}"]
        setpriv += [f"--groups={group}"] if group else ["--clear-groups"]
        return self.ctl.run(*args, prefix=setpriv)

    def test_unprivileged_user_reads_but_cannot_connect(self):
        self.assertExit(self.as_nobody("list"), OK)
        self.assertExit(self.as_nobody("log", "m0"), OK)
        result = self.as_nobody("connect", "m0")
        self.assertExit(result, DENIED)
        self.assertOneLineError(result, "[org.freedesktop.DBus.Error.AccessDenied]")
        # Who may: the build's privileged group (this bus grants "users", the message says what the build grants).
        group = os.environ.get("DIALUPD_PRIVILEGED_GROUP", "netdev")
        self.assertIn(f"connecting m0: Connect needs root or membership in group {group} ", result.stderr)
        for command, method in (("disconnect", "Disconnect"), ("reset", "Reset")):
            result = self.as_nobody(command, "m0")
            self.assertExit(result, DENIED)
            self.assertIn(f"{method} needs root or membership in group {group} ", result.stderr)
        self.assertEqual(self.modem.states, [])

    def test_a_member_of_the_group_may(self):
        self.assertExit(self.as_nobody("disconnect", "m0", group="users"), WRONG_STATE)


class Usage(unittest.TestCase):
    def setUp(self):
        self.ctl = Ctl("unix:path=/nonexistent/dialupd-test-bus")

    def test_bad_command_lines(self):
        for args in ([], ["bogus"], ["log", "--last", "1001"], ["log", "--call", "2"], ["log", "--force"],
                     ["log", "--qmdl", "x", "--last", "2"], ["log", "--qmdl", "x", "--call", "0"], ["connect", "--timeout", "0"], ["list", "--bogus"],
                     ["connect", "--password-file", "/dev/null", "--ask-password"]):
            result = self.ctl.run(*args)
            self.assertEqual(result.returncode, USAGE, (args, result.stderr))

    def test_a_mistyped_command_gets_the_closest_one(self):
        for typed, meant in (("conect", "connect"), ("stauts", "status"), ("disconect", "disconnect"),
                             ("lst", "list"), ("monitr", "monitor"), ("rest", "reset")):
            result = self.ctl.run("--no-color", typed, "m0")
            self.assertEqual(result.returncode, USAGE, result.stderr)
            self.assertEqual(result.stderr, f"dialupctl: unknown command '{typed}'; did you mean {meant}?\n")
        # Nothing near: the commands are listed instead of a guess.
        result = self.ctl.run("xyzzy")
        self.assertEqual(result.returncode, USAGE, result.stderr)
        self.assertIn("unknown command 'xyzzy' (commands: list, status, connect, disconnect, reset, monitor, log, stats)",
                      result.stderr)
        self.assertNotIn("did you mean", result.stderr)
        answer = json.loads(self.ctl.run("--json", "lgo").stdout)
        self.assertEqual(answer["error"]["message"], "unknown command 'lgo'; did you mean log?")
        self.assertEqual(answer["error"]["exit_status"], USAGE)

    def test_unreadable_password_file(self):
        result = self.ctl.run("connect", "--password-file", "/nonexistent/password")
        self.assertEqual(result.returncode, USAGE, result.stderr)
        self.assertIn("cannot read password file", result.stderr)

    def test_help_for_every_command(self):
        for command in [[]] + [[name] for name in COMMANDS]:
            result = self.ctl.run(*command, "--help")
            self.assertEqual(result.returncode, OK, command)
            self.assertIn("Usage: dialupctl", result.stdout)
        self.assertRegex(self.ctl.run("--version").stdout, r"^dialupctl \d+\.\d+\.\d+")


def options_of(ctl, command):
    """The long options a command's --help lists (the hidden --password is not among them)."""
    return set(re.findall(r"^\s+(?:-\w,)?(--[a-z-]+)", ctl.run(command, "--help").stdout, re.M)) - {"--help"}


class Documentation(unittest.TestCase):
    def setUp(self):
        self.ctl = Ctl("unix:path=/nonexistent/dialupd-test-bus")

    def test_man_page_renders_without_warnings_and_names_every_option(self):
        check = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", MAN_PAGE], capture_output=True, text=True)
        self.assertEqual((check.returncode, check.stderr), (0, ""))
        text = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", MAN_PAGE], capture_output=True,
                              text=True).stdout
        text = text.replace("\u2010", "-").replace("\u2212", "-")
        for command in COMMANDS:
            self.assertRegex(text, rf"\n\s+{command}\b", f"no section for {command}")
            for option in options_of(self.ctl, command):
                self.assertIn(option, text, f"{command} {option} is not in the man page")
        for status in range(11):
            self.assertRegex(text, rf"\n\s+{status}\s{{2,}}\S", f"exit status {status} is not documented")

    def complete(self, line, env=None):
        script = (f"source {COMPLETION}\nCOMP_LINE='{line}'\nread -ra COMP_WORDS <<< \"$COMP_LINE\"\n"
                  f"[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\nCOMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n"
                  "_dialupctl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env or self.ctl.env)
        self.assertEqual(result.stderr, "")
        return set(result.stdout.split())

    def test_bash_completion_offers_commands_and_each_commands_options(self):
        self.assertEqual(self.complete("dialupctl con"), {"connect"})
        self.assertTrue(set(COMMANDS) <= self.complete("dialupctl "))
        for command in COMMANDS:
            offered = self.complete(f"dialupctl {command} --")
            self.assertTrue(options_of(self.ctl, command) <= offered, (command, offered))

    def test_bash_completion_offers_the_daemons_modems(self):
        scratch = Scratch()
        bus = Bus(scratch.path)
        daemon = Daemon(bus, config_for(scratch.path, {"alpha": "/dev/ttyUSB98", "beta": "/dev/ttyUSB99"}),
                        os.path.join(scratch.path, "logs"))
        try:
            env = dict(Ctl(bus.address).env, PATH=os.path.dirname(DIALUPCTL) + ":" + os.environ["PATH"])
            self.assertEqual(self.complete("dialupctl status ", env), {"alpha", "beta"})
            self.assertEqual(self.complete("dialupctl connect --json b", env), {"beta"})
        finally:
            daemon.stop()
            bus.stop()
            scratch.remove()


class Stats(ClientTestCase):
    """dialupctl stats: the daemon's counters (GetStatistics), for people and as JSON."""

    def test_stats_after_failed_calls_match_the_bus(self):
        self.ctl.run("connect", "m0", "--wait")
        self.ctl.run("connect", "m0", "--wait")
        result, answer = self.ctl.json("stats", "m0")
        self.assertExit(result, OK)
        self.assertEqual(answer["modem"], "m0")
        self.assertEqual(set(answer), {"modem", "calls_started", "calls_up", "ends", "recoveries",
                                       "watchdog_failures", "bytes_in", "bytes_out", "since_usec", "data_period",
                                       "period_start_usec", "period_end_usec", "period_bytes_in", "period_bytes_out",
                                       "data_limit", "data_limit_reached", "live_bytes_in", "live_bytes_out"})
        stats = {str(key): value for key, value in self.modem.iface.GetStatistics().items()}
        self.assertEqual(answer["calls_started"], int(stats["calls-started"]))
        self.assertEqual(answer["calls_started"], 2)
        self.assertEqual(answer["ends"], {"4": 2})
        self.assertEqual(answer["period_start_usec"], int(stats["period-start"]))
        self.assertEqual((answer["data_limit"], answer["data_limit_reached"]), (0, False))
        self.assertIsNone(answer["live_bytes_in"])
        text = self.ctl.run("stats", "m0")
        self.assertExit(text, OK)
        self.assertRegex(text.stdout.splitlines()[0], r"^m0: counted since \d{4}-\d\d-\d\d ")
        self.assertIn("2 started, 0 up", text.stdout)
        self.assertIn("4 2x", text.stdout)
        self.assertRegex(text.stdout, r"data limit +none")

    def test_stats_of_an_unknown_modem(self):
        result = self.ctl.run("stats", "nosuch")
        self.assertExit(result, NO_MODEM)
        self.assertOneLineError(result)


class StatsAtTheLimit(ClientTestCase):
    """A period whose traffic reached data-limit: stats says so, connect is the wrong state."""

    def setUp(self):
        import datetime

        super().setUp()  # then again, with the counters file in place before the daemon starts
        self.daemon.stop()
        self.daemon_config = self.daemon_config.replace("[defaults]\n", "[defaults]\ndata-limit = 1M\n")
        first = datetime.datetime.now().date().replace(day=1).isoformat()
        directory = os.path.join(self.scratch.path, "state", "counters")
        os.makedirs(directory, mode=0o700, exist_ok=True)
        with open(os.path.join(directory, "m0"), "w") as kept:
            kept.write(f"dialupd-counters 1\nsince-usec 1\ncalls-started 1\ncalls-up 1\nbytes-in 900000\n"
                       f"bytes-out 100000\nperiod-start {first}\nperiod-bytes-in 900000\nperiod-bytes-out 100000\n")
        self.daemon = Daemon(self.bus, self.daemon_config, os.path.join(self.scratch.path, "logs2"))
        self.modem = self.daemon.modem("m0")

    def test_stats_says_reached_and_connect_is_refused(self):
        result, answer = self.ctl.json("stats", "m0")
        self.assertExit(result, OK)
        self.assertEqual((answer["data_limit"], answer["data_limit_reached"]), (1000000, True))
        text = self.ctl.run("stats", "m0")
        self.assertRegex(text.stdout, r"data limit +.*reached, no calls until ")
        refused = self.ctl.run("connect", "m0")
        self.assertExit(refused, WRONG_STATE)
        self.assertOneLineError(refused, "[org.dialupd1.Error.DataLimitReached]")


if __name__ == "__main__":
    sys.exit(run_tap(ConnectWithoutWaitOutcome, ListAndStatus, CallsWithRealPppd, CallsWithAStandIn, Redial, LiveState, Reset,
                     Monitor, DaemonAbsent, DmLog, AccessDenied, Usage, Documentation, Stats, StatsAtTheLimit))
