#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The live status against the real parts: dialupd on a private bus (our policy) with a fixed-port
modem on tools/modem-sim's two ptys. The daemon reads the simulated EC25's SIM, registration,
operator, signal, IMEI and ICCID into properties, and follows what the simulator's control socket
changes (signal, registration, URCs in the middle of answers) through the module's URCs alone;
dialupctl status shows it. Prints TAP for meson."""
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import (MODEM_IFACE, PATIENCE, ROOT, Bus, Daemon, Scratch, config_for, control_request,  # noqa: E402
                     run_tap, wait_until)

SIM = os.path.join(ROOT, "tools", "modem-sim")
DIALUPCTL = os.environ.get("DIALUPCTL_BIN", os.path.join(ROOT, "build", "client", "dialupctl"))


class LiveStatusOnTheSimulator(unittest.TestCase):
    def setUp(self):
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path)
        self.dir = tempfile.mkdtemp(prefix="live-sim-", dir=self.scratch.path)
        self.modem_link = os.path.join(self.dir, "ttyUSB3")
        self.at_link = os.path.join(self.dir, "ttyUSB2")
        self.control = os.path.join(self.dir, "control")
        ready = os.path.join(self.dir, "ready")
        self.sim = subprocess.Popen([SIM, "--modem-link", self.modem_link, "--at-link", self.at_link,
                                     "--control", self.control, "--ready-file", ready,
                                     "--log", os.path.join(self.dir, "sim.log")], env={"PATH": os.environ["PATH"]})
        self.assertTrue(wait_until(lambda: os.path.exists(ready) or self.sim.poll() is not None, PATIENCE),
                        "modem-sim did not become ready")
        # Locks in a directory of the test's own: the link names are the usual ttyUSB2/3.
        lock_dir = os.path.join(self.scratch.path, "lock")
        os.makedirs(lock_dir)
        config = config_for(self.scratch.path, {"m0": self.modem_link}, f"lock-dir = {lock_dir}\n",
                            {"m0": self.at_link})
        self.daemon = Daemon(self.bus, config, os.path.join(self.scratch.path, "logs"))
        self.modem = self.daemon.modem("m0")

    def tearDown(self):
        code = self.daemon.stop()
        self.sim.terminate()
        self.sim.wait(PATIENCE)
        self.bus.stop()
        self.scratch.remove()
        self.assertEqual(code, 0)

    def ask(self, request):
        answer = control_request(self.control, request)
        self.assertTrue(answer.startswith("OK"), f"{request}: {answer}")
        return answer

    def wait_for(self, name, value):
        self.assertTrue(wait_until(lambda: self.modem.get(name) == value, PATIENCE),
                        f"{name} is {self.modem.get(name)!r}, not {value!r}\n" + self.daemon.log_text()[-3000:])

    def test_the_simulated_ec25_is_read_and_followed_by_its_urcs(self):
        self.wait_for("Iccid", "89490200001234567892")
        props = self.modem.properties.GetAll(MODEM_IFACE)
        self.assertEqual((props["SimState"], props["RegistrationState"], props["OperatorName"], props["OperatorCode"],
                          props["AccessTechnology"], props["SignalQuality"], props["Imei"]),
                         ("ready", "home", "Simulated Operator", "26201", "lte", 77, "867698040123450"))
        signal = {str(key): int(value) for key, value in props["Signal"].items()}
        self.assertEqual(set(signal), {"rssi", "rsrp", "rsrq", "sinr"})
        self.assertLess(signal["rsrp"], 0)

        status = subprocess.run([DIALUPCTL, "status", "m0"], capture_output=True, text=True, timeout=PATIENCE,
                                env={"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": self.bus.address})
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertRegex(status.stdout, r"SIM\s+ready, ICCID 89490200001234567892")
        self.assertRegex(status.stdout, r"Network\s+home on Simulated Operator \(26201\), lte")
        self.assertRegex(status.stdout, r"Signal\s+77% \u2582\u2584\u2586\u2588 \(rssi ")
        print("# dialupctl status of the simulated EC25:\n" + "".join("#   " + line + "\n"
                                                                     for line in status.stdout.splitlines()))

        # The simulator's URCs alone move the properties: +QIND "csq", then +CEREG/+CGREG/+CREG.
        self.ask("signal 10")
        self.wait_for("SignalQuality", 32)
        self.ask("register roaming")
        self.wait_for("RegistrationState", "roaming")
        self.wait_for("OperatorName", "Simulated Roaming Partner")
        self.wait_for("OperatorCode", "20801")
        self.ask("register searching")
        self.wait_for("RegistrationState", "searching")
        self.assertEqual(self.modem.get("OperatorName"), "")
        self.ask("register home")
        self.wait_for("OperatorName", "Simulated Operator")

        # URCs inside the answers: from now on the simulator puts URCs (held back ones, else a
        # +QIND "csq") between each answer's information lines and its OK. The module restarting
        # makes the daemon read everything again through such answers.
        self.ask("urc-inside-answer on")
        self.ask("signal 20")  # held back until the next answer
        self.ask("unplug")
        self.wait_for("SimState", "unknown")
        self.ask("plug")
        self.wait_for("Iccid", "89490200001234567892")
        self.wait_for("SignalQuality", 64)
        props = self.modem.properties.GetAll(MODEM_IFACE)
        self.assertEqual((props["SimState"], props["RegistrationState"], props["OperatorName"], props["OperatorCode"],
                          props["AccessTechnology"], props["Imei"]),
                         ("ready", "home", "Simulated Operator", "26201", "lte", "867698040123450"),
                         "an answer mistaken for another, or a URC lost")
        with open(os.path.join(self.dir, "sim.log")) as log:
            self.assertIn("URC inside the answer", log.read(), "the simulator did not put URCs inside answers")

    def test_how_soon_a_urc_reaches_the_bus(self):
        """From the simulator's URC to the PropertiesChanged a client receives: measured and
        printed (the issue asks for 100 ms), never asserted as a deadline: the machine may be loaded."""
        self.wait_for("Iccid", "89490200001234567892")
        took = []
        for rssi in (10, 20, 5, 25, 15, 30, 12, 22, 8, 18):
            expected = rssi * 100 // 31
            seen = len(self.modem.changed)
            started = time.monotonic()
            self.ask(f"signal {rssi}")  # the simulator sends +QIND: "csq" before it answers
            arrived = wait_until(lambda: any(c.get("SignalQuality") == expected for c in self.modem.changed[seen:]),
                                 PATIENCE, step=0.001)
            self.assertTrue(arrived, f"no SignalQuality {expected} after 'signal {rssi}'")
            took.append((time.monotonic() - started) * 1000)
        took.sort()
        print(f"# URC (+QIND csq) -> PropertiesChanged(SignalQuality) at the client, {len(took)} changes: "
              f"median {took[len(took) // 2]:.1f} ms, max {took[-1]:.1f} ms")

    def test_an_idle_modem_is_asked_nothing(self):
        self.wait_for("Iccid", "89490200001234567892")
        with open(os.path.join(self.dir, "sim.log")) as log:
            before = log.read()
        time.sleep(3)  # a window to show that nothing is polled (not a wait for an event)
        with open(os.path.join(self.dir, "sim.log")) as log:
            after = log.read()
        self.assertEqual(after[len(before):], "", "the daemon polled an idle module")

    def test_the_port_hanging_up_and_coming_back(self):
        self.wait_for("Iccid", "89490200001234567892")
        self.ask("unplug")
        self.wait_for("SimState", "unknown")
        self.assertEqual(self.modem.get("OperatorName"), "")
        self.ask("plug")
        # A fixed port's node coming back is what the daemon hears; the live status reads again.
        self.wait_for("Iccid", "89490200001234567892")
        self.wait_for("RegistrationState", "home")


if __name__ == "__main__":
    sys.exit(run_tap(LiveStatusOnTheSimulator))
