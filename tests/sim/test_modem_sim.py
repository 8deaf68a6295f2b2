#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tools/modem-sim on the host: command mode, faults, the control socket and stuck data mode,
talking to its ptys as a terminal program would. (Live PPP through it is tested in the guest.)
Prints TAP for meson."""
import errno
import os
import subprocess
import sys
import tempfile
import time
import tty
import unittest
import xml.etree.ElementTree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import PATIENCE, ROOT, control_request, run_tap  # noqa: E402

SIM = os.path.join(ROOT, "tools", "modem-sim")
FINAL_RESULTS = ("OK", "ERROR", "NO CARRIER", "BUSY", "NO DIALTONE", "NO ANSWER", "CONNECT", "+CME ERROR:")


class Terminal:
    """One open tty of the simulator. What came after the line a read waited for stays for the
    next read (an unsolicited code right after an answer is not lost)."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        os.set_blocking(self.fd, False)
        self.unread = b""

    def send(self, text):
        os.write(self.fd, text.encode() if isinstance(text, str) else text)

    def read_for(self, seconds):
        deadline, data, self.unread = time.monotonic() + seconds, self.unread, b""
        while time.monotonic() < deadline:
            try:
                data += os.read(self.fd, 4096)
            except BlockingIOError:
                time.sleep(0.02)
        return data.decode("latin-1")

    @staticmethod
    def end_of_line(text, finals):
        """Where the first complete line that is one of `finals` ends (after its CR LF), or None."""
        start = 0
        while (end := text.find("\r\n", start)) >= 0:
            line = text[start:end]
            if any(line == final or (final in ("CONNECT", "+CME ERROR:") and line.startswith(final))
                   for final in finals):
                return end + 2
            start = end + 2
        return None

    def read_until(self, *finals, seconds=PATIENCE):
        """What the module says up to the first complete line that is one of `finals` (default:
        any final result code; "CONNECT" and "+CME ERROR:" match as prefixes), or all it said
        within `seconds`."""
        finals = finals or FINAL_RESULTS
        deadline, data, self.unread = time.monotonic() + seconds, self.unread, b""
        while (end := self.end_of_line(data.decode("latin-1"), finals)) is None and time.monotonic() < deadline:
            try:
                data += os.read(self.fd, 4096)
            except BlockingIOError:
                time.sleep(0.02)
        if end is not None:
            data, self.unread = data[:end], data[end:]
        return data.decode("latin-1")

    def command(self, line, *finals):
        """Sends `line` and returns the answer up to its final result code: however slowly a
        loaded machine runs the simulator, the whole answer is there."""
        self.send(line + "\r")
        return self.read_until(*finals)

    def close(self):
        os.close(self.fd)


class SimulatorTestCase(unittest.TestCase):
    faults = ()
    extra = ()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="modem-sim-test-")
        self.modem_link = os.path.join(self.dir, "ttyUSB3")
        self.at_link = os.path.join(self.dir, "ttyUSB2")
        self.control = os.path.join(self.dir, "control")
        ready = os.path.join(self.dir, "ready")
        command = [SIM, "--modem-link", self.modem_link, "--at-link", self.at_link, "--control", self.control,
                   "--ready-file", ready, "--log", os.path.join(self.dir, "sim.log")]
        for fault in self.faults:
            command += ["--fault", fault]
        self.sim = subprocess.Popen(command + list(self.extra), env={"PATH": os.environ["PATH"]})
        self.assertTrue(self.wait_for(lambda: os.path.exists(ready) or self.sim.poll() is not None),
                        "modem-sim did not become ready")
        self.terminals = []

    def tearDown(self):
        for terminal in self.terminals:
            terminal.close()
        self.sim.terminate()
        self.assertEqual(self.sim.wait(PATIENCE), 0)
        self.assertFalse(os.path.lexists(self.modem_link), "links are removed on exit")

    def open(self, link):
        terminal = Terminal(link)
        self.terminals.append(terminal)
        return terminal

    def ask(self, request):
        return control_request(self.control, request)

    @staticmethod
    def wait_for(condition):
        deadline = time.monotonic() + PATIENCE
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)
        return condition()


class CommandMode(SimulatorTestCase):
    def test_echo_and_ok(self):
        modem = self.open(self.modem_link)
        self.assertEqual(modem.command("AT"), "AT\r\r\nOK\r\n")
        self.assertEqual(modem.command("ATE0"), "ATE0\r\r\nOK\r\n")
        self.assertEqual(modem.command("AT"), "\r\nOK\r\n", "no echo after ATE0")

    def test_quectel_info_line_answers_each_part_then_one_ok(self):
        answer = self.open(self.modem_link).command("ATI;+CSUB;+CSQ;+CPIN?;+COPS?;+CGREG?;&D2")
        for expected in ("Quectel", "EC25", "Revision: EC25", "SubEdition: V04", "+CSQ: 24,99", "+CPIN: READY",
                         '+COPS: 0,0,"Simulated Operator",7', "+CGREG: 0,1"):
            self.assertIn(expected, answer)
        self.assertEqual(answer.count("OK"), 1)
        self.assertTrue(answer.endswith("\r\nOK\r\n"))

    def test_diagnostic_commands_on_the_at_port(self):
        at = self.open(self.at_link)
        self.assertIn('+CEER: "No cause information available"', at.command("AT+CEER"))
        self.assertIn('+QENG: "servingcell","NOCONN","LTE"', at.command('AT+QENG="servingcell"'))
        self.assertIn("+CEREG: 0,1", at.command("AT+CEREG?"))
        self.assertIn("+CGACT: 1,0", at.command("AT+CGACT?"))
        self.assertIn("+CFUN: 1", at.command("AT+CFUN?"))

    def test_unknown_and_garbage_get_error(self):
        at = self.open(self.at_link)
        self.assertIn("ERROR", at.command("AT+NOSUCH"))
        self.assertIn("ERROR", at.command("\x00\xff\x7fgarbage"))
        self.assertIn("OK", at.command("AT"), "still answering after garbage")

    def test_cgdcont_stores_the_apn(self):
        modem = self.open(self.modem_link)
        self.assertIn("OK", modem.command('AT+CGDCONT=1,"IP","m2m.example",,0,0'))
        self.assertIn('+CGDCONT: 1,"IP","m2m.example"', modem.command("AT+CGDCONT?"))

    def test_cgdcont_stores_the_pdp_type(self):
        modem = self.open(self.modem_link)
        for pdp_type in ("IPV4V6", "IPV6", "IP"):
            self.assertIn("OK", modem.command(f'AT+CGDCONT=1,"{pdp_type}","internet",,0,0'))
            self.assertIn(f'+CGDCONT: 1,"{pdp_type}","internet"', modem.command("AT+CGDCONT?"))
        self.assertIn("+CME ERROR: 50", modem.command('AT+CGDCONT=1,"PPP","internet"'))
        self.assertIn('+CGDCONT: 1,"IP","internet"', modem.command("AT+CGDCONT?"), "a refused type changes nothing")


class Dial(SimulatorTestCase):
    extra = ("--network-cmd", "true")  # a network side that ends at once: the call drops

    def test_connect_then_no_carrier_when_the_network_side_ends(self):
        answer = self.open(self.modem_link).command("ATD*99#", "NO CARRIER")
        self.assertIn("CONNECT 150000000", answer)
        self.assertIn("NO CARRIER", answer)
        self.assertEqual(self.ask("status"), "OK mode=command faults=-")

    def test_ipv4v6_rejected_refuses_only_that_type(self):
        self.assertEqual(self.ask("fault ipv4v6-rejected"), "OK")
        modem, at = self.open(self.modem_link), self.open(self.at_link)
        self.assertIn("OK", modem.command('AT+CGDCONT=1,"IPV4V6","internet"'))
        answer = modem.command("ATD*99#")
        self.assertIn("NO CARRIER", answer)
        self.assertNotIn("CONNECT", answer)
        self.assertIn('+CEER: "PDN type IPv4 only allowed"', at.command("AT+CEER"))
        self.assertIn("OK", modem.command('AT+CGDCONT=1,"IP","internet"'))
        self.assertIn("CONNECT", modem.command("ATD*99#", "CONNECT"), "an IP context dials")


class Faults(SimulatorTestCase):
    def fault(self, name):
        self.assertEqual(self.ask("fault " + name), "OK")

    def test_sim_missing(self):
        self.fault("sim-missing")
        at = self.open(self.at_link)
        self.assertIn("+CME ERROR: 10", at.command("AT+CPIN?"))
        self.assertIn("NO CARRIER", self.open(self.modem_link).command("ATD*99#"))
        self.assertIn('+CEER: "SIM not inserted"', at.command("AT+CEER"))

    def test_no_signal(self):
        self.fault("no-signal")
        at = self.open(self.at_link)
        self.assertIn("+CSQ: 99,99", at.command("AT+CSQ"))
        self.assertIn("+CREG: 0,2", at.command("AT+CREG?"))
        self.assertIn("NO CARRIER", self.open(self.modem_link).command("ATD*99#"))

    def test_dial_answers(self):
        modem = self.open(self.modem_link)
        for fault, answer in (("dial-busy", "BUSY"), ("dial-error", "ERROR"), ("dial-no-carrier", "NO CARRIER")):
            self.assertEqual(self.ask("clear"), "OK")
            self.fault(fault)
            self.assertIn(answer, modem.command("ATD*99#"))

    def test_cgdcont_error(self):
        self.fault("cgdcont-error")
        self.assertIn("+CME ERROR: 50", self.open(self.modem_link).command('AT+CGDCONT=1,"IP","internet"'))

    def test_at_port_silent(self):
        self.fault("at-silent")
        at = self.open(self.at_link)
        at.send("AT\r")
        self.assertEqual(at.read_for(0.6), "")
        self.assertIn("OK", self.open(self.modem_link).command("AT"), "the modem port still answers")

    def test_status_and_clear(self):
        self.fault("no-signal")
        self.assertEqual(self.ask("status"), "OK mode=command faults=no-signal")
        self.assertEqual(self.ask("clear"), "OK")
        self.assertEqual(self.ask("status"), "OK mode=command faults=-")
        self.assertTrue(self.ask("bogus").startswith("ERROR"))


class StuckDataMode(SimulatorTestCase):
    """A client that vanishes mid-call leaves the module in data mode (the network side here is
    `cat`, which never ends by itself)."""

    extra = ("--network-cmd", "cat")

    def dial_and_vanish(self):
        modem = Terminal(self.modem_link)
        self.assertIn("CONNECT", modem.command("ATD*99#"))
        modem.close()  # like pppd SIGKILLed: no LCP Terminate, the tty just closes
        self.assertTrue(self.wait_for(lambda: self.ask("status") == "OK mode=stuck faults=-"), self.ask("status"))
        return self.open(self.modem_link)

    def test_at_is_swallowed_until_escape(self):
        modem = self.dial_and_vanish()
        modem.send("AT\r")
        self.assertNotIn("OK", modem.read_for(0.6))
        time.sleep(1.1)          # guard time before
        modem.send("+++")
        reply = modem.read_until("OK")  # after the guard time after
        self.assertIn("OK", reply)
        self.assertIn("OK", modem.command("AT"))
        self.assertEqual(self.ask("status"), "OK mode=command faults=-")

    def test_plus_without_guard_times_does_not_escape(self):
        modem = self.dial_and_vanish()
        modem.send("AT+++AT\r")
        self.assertNotIn("OK", modem.read_for(1.5))

    def test_module_reboot_re_enumerates_its_ports_and_frees_the_module(self):
        self.dial_and_vanish()
        self.assertIn("OK", self.open(self.at_link).command("AT+CFUN=1,1"))
        self.assertTrue(self.wait_for(lambda: not os.path.lexists(self.modem_link)),
                        "the ports go away while the module restarts")
        self.assertFalse(os.path.lexists(self.at_link))
        self.assertTrue(self.wait_for(lambda: os.path.lexists(self.modem_link)),  # --reboot-seconds 2
                        "the ports come back after the restart")
        self.assertIn("OK", self.open(self.modem_link).command("AT"))
        self.assertEqual(self.ask("status"), "OK mode=command faults=-")


class EscapeIgnored(SimulatorTestCase):
    faults = ("escape-ignored",)
    extra = ("--network-cmd", "cat")

    def test_a_hung_module_ignores_the_escape(self):
        modem = Terminal(self.modem_link)  # closed here, not by tearDown
        self.assertIn("CONNECT", modem.command("ATD*99#"))
        modem.close()
        self.assertTrue(self.wait_for(lambda: "mode=stuck" in self.ask("status")), self.ask("status"))
        modem = self.open(self.modem_link)
        time.sleep(1.1)
        modem.send("+++")
        self.assertNotIn("OK", modem.read_for(1.6))
        self.assertIn("mode=stuck", self.ask("status"))


def hung_up(terminal, within=PATIENCE):
    """Reads until the tty hangs up (end of file or EIO): (True, what came before), or (False,
    what came) when it was still up after `within` seconds."""
    deadline, data = time.monotonic() + within, b""
    while time.monotonic() < deadline:
        try:
            chunk = os.read(terminal.fd, 4096)
        except BlockingIOError:
            time.sleep(0.02)
            continue
        except OSError as error:
            if error.errno == errno.EIO:
                return True, data.decode("latin-1")
            raise
        if not chunk:
            return True, data.decode("latin-1")
        data += chunk
    return False, data.decode("latin-1")


class HangupAt(SimulatorTestCase):
    """"hangup-at STEP": the module hangs up the tty dialupd's recovery talks on at that step of
    its ladder; the module itself stays as it was, and a fresh tty takes the link."""

    extra = ("--network-cmd", "cat")

    def stuck(self):
        modem = Terminal(self.modem_link)
        self.assertIn("CONNECT", modem.command("ATD*99#"))
        modem.close()  # pppd SIGKILLed
        self.assertTrue(self.wait_for(lambda: self.ask("status") == "OK mode=stuck faults=-"), self.ask("status"))

    def arm(self, step):
        self.assertEqual(self.ask("hangup-at " + step), "OK")
        self.assertTrue(self.ask("status").endswith(" faults=- hangup-at=" + step), self.ask("status"))

    def assert_hangs_up(self, terminal, step, within=PATIENCE):
        up, data = hung_up(terminal, within)
        self.assertTrue(up, f"hangup-at {step}: the tty did not hang up")
        self.assertNotIn("OK", data)
        self.assertNotIn("hangup-at", self.ask("status"), "one-shot")

    @staticmethod
    def link_is(path, present, within=PATIENCE):
        deadline = time.monotonic() + within
        while os.path.lexists(path) != present:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def test_probe(self):
        self.stuck()
        self.arm("probe")
        modem = self.open(self.modem_link)
        modem.send("AT\r")
        self.assert_hangs_up(modem, "probe")
        self.assertEqual(self.ask("status"), "OK mode=stuck faults=-", "the module is still stuck")
        fresh = self.open(self.modem_link)
        fresh.send("AT\r")
        self.assertNotIn("OK", fresh.read_for(0.6), "a fresh tty, still stuck")

    def test_escape_guard(self):
        self.stuck()
        self.arm("escape-guard")
        modem = self.open(self.modem_link)
        modem.send("AT\r")
        sent = time.monotonic()
        self.assert_hangs_up(modem, "escape-guard")
        self.assertGreaterEqual(time.monotonic() - sent, 1.0, "hung up before a probe's answer time was out")
        self.assertEqual(self.ask("status"), "OK mode=stuck faults=-")

    def test_after_plus(self):
        self.stuck()
        self.arm("after-plus")
        modem = self.open(self.modem_link)
        modem.send("AT\r")
        time.sleep(1.1)
        modem.send("+++")
        self.assert_hangs_up(modem, "after-plus")  # before the OK the guard time after would bring
        self.assertEqual(self.ask("status"), "OK mode=stuck faults=-")

    def test_ath(self):
        self.stuck()
        modem = self.open(self.modem_link)
        time.sleep(1.1)
        modem.send("+++")
        self.assertIn("OK", modem.read_until("OK"))
        self.arm("ath")
        modem.send("ATH\r")
        self.assert_hangs_up(modem, "ath")
        self.assertIn("OK", self.open(self.modem_link).command("AT"), "back in command mode, on a fresh tty")

    def test_cfun(self):
        self.stuck()
        self.arm("cfun")
        at = self.open(self.at_link)
        at.send("AT+CFUN=1,1\r")
        self.assert_hangs_up(at, "cfun")
        self.assertTrue(self.link_is(self.modem_link, False), "the module restarts all the same")
        self.assertTrue(self.link_is(self.modem_link, True), "the ports come back after the restart")
        time.sleep(0.2)
        self.assertIn("OK", self.open(self.modem_link).command("AT"))

    def test_await(self):
        self.stuck()
        self.arm("await")
        self.assertIn("OK", self.open(self.at_link).command("AT+CFUN=1,1"))
        self.assertTrue(self.link_is(self.modem_link, False), "the module restarts")
        self.assertTrue(self.link_is(self.modem_link, True), "the ports come back after the restart")
        time.sleep(0.2)
        modem = self.open(self.modem_link)
        modem.send("AT\r")
        self.assert_hangs_up(modem, "await")
        self.assertIn("OK", self.open(self.modem_link).command("AT"), "the next try gets its OK")

    def test_hangup_now_and_clear(self):
        modem = self.open(self.modem_link)
        self.assertEqual(self.ask("hangup"), "OK")
        self.assertTrue(hung_up(modem)[0])
        self.assertIn("OK", self.open(self.modem_link).command("AT"))
        self.assertEqual(self.ask("hangup-at probe"), "OK")
        self.assertEqual(self.ask("clear"), "OK")
        self.assertEqual(self.ask("status"), "OK mode=command faults=-")
        self.assertTrue(self.ask("hangup-at nowhere").startswith("ERROR steps: probe escape-guard"))


class HangupOnClose(SimulatorTestCase):
    """With --hangup-on-close a client that closes the port mid-call ends the call (DTR drop with
    AT&D2) instead of leaving the module in data mode."""

    extra = ("--network-cmd", "cat", "--hangup-on-close")

    def test_closing_the_port_ends_the_call(self):
        modem = Terminal(self.modem_link)
        self.assertIn("CONNECT", modem.command("ATD*99#"))
        modem.close()
        self.assertTrue(self.wait_for(lambda: "mode=command" in self.ask("status")), self.ask("status"))
        self.assertEqual(self.ask("status"), "OK mode=command faults=-")
        self.assertIn("OK", self.open(self.modem_link).command("AT"))


class Unplug(SimulatorTestCase):
    """"unplug" is the tty side of pulling the module out: the client's tty hangs up and the
    device links go; "plug" brings fresh ports back in command mode."""

    extra = ("--network-cmd", "cat")

    def test_unplug_mid_call_hangs_up_the_client_and_removes_the_links(self):
        modem = self.open(self.modem_link)
        self.assertIn("CONNECT", modem.command("ATD*99#"))
        self.assertEqual(self.ask("unplug"), "OK")
        self.assertFalse(os.path.lexists(self.modem_link))
        self.assertFalse(os.path.lexists(self.at_link))
        try:  # a hung-up tty reads end-of-file (or EIO); a live one would say EAGAIN
            self.assertEqual(os.read(modem.fd, 100), b"")
        except BlockingIOError:
            self.fail("the client's tty was not hung up")
        except OSError as error:
            self.assertEqual(error.errno, errno.EIO)
        self.assertTrue(self.ask("unplug").startswith("ERROR"))

    def test_plug_brings_the_ports_back(self):
        self.assertEqual(self.ask("unplug"), "OK")
        self.assertEqual(self.ask("plug"), "OK")
        self.assertIn("OK", self.open(self.modem_link).command("AT"))
        self.assertIn("OK", self.open(self.at_link).command("AT"))
        self.assertEqual(self.ask("status"), "OK mode=command faults=-")
        self.assertTrue(self.ask("plug").startswith("ERROR"))


PROVIDERS = "/usr/share/mobile-broadband-provider-info/serviceproviders.xml"
LOCATION = '"9E7A","1A2D001",7'  # TAC, cell id and AcT (E-UTRAN) of the simulated serving cell


class RadioTestCase(SimulatorTestCase):
    """Talks to the AT port with echo off, so answers compare whole."""

    def setUp(self):
        super().setUp()
        self.at = self.open(self.at_link)
        self.assertIn("OK", self.at.command("ATE0"))

    def answer(self, line, *finals):
        return self.at.command(line, *finals)

    def assert_answer(self, line, *lines, final="OK"):
        """The whole answer to `line`: its information lines, then `final`."""
        expected = "".join(f"\r\n{text}\r\n" for text in (*lines, final))
        self.assertEqual(self.answer(line), expected, line)

    def assert_urc(self, line, terminal=None):
        """The next thing the AT port says (waited for, however long a loaded machine takes) is `line`."""
        said = (terminal or self.at).read_until(line)
        self.assertEqual(said, f"\r\n{line}\r\n", f"waiting for {line!r}")

    def assert_quiet(self, seconds=1.0):
        """Nothing unsolicited: a bounded look, the only way to see that nothing comes."""
        self.assertEqual(self.at.read_for(seconds), "")

    def tell(self, request):
        self.assertEqual(self.ask(request), "OK", request)

    def dial_fails_with(self, cause):
        self.assertIn("NO CARRIER", self.open(self.modem_link).command("ATD*99#"))
        self.assert_answer("AT+CEER", f'+CEER: "{cause}"')


class SimPin(RadioTestCase):
    extra = ("--sim-pin", "4321", "--network-cmd", "cat")

    def test_a_locked_sim_wants_its_pin_then_registers(self):
        self.assert_answer("AT+CPIN?", "+CPIN: SIM PIN")
        self.assert_answer('AT+QPINC="SC"', '+QPINC: "SC",3,10')
        self.assert_answer("AT+QPINC?", '+QPINC: "SC",3,10', '+QPINC: "P2",3,10')
        self.assert_answer("AT+CIMI", final="+CME ERROR: 11")
        self.assert_answer("AT+QCCID", "+QCCID: 89490200001234567892")  # the ICCID needs no PIN
        self.assert_answer("AT+CEREG?", "+CEREG: 0,0")
        self.assert_answer("AT+COPS?", "+COPS: 0")
        self.dial_fails_with("SIM PIN required")
        self.assert_answer('AT+CPIN="4321"')
        self.assert_urc("+CPIN: READY")
        self.assert_answer("AT+CPIN?", "+CPIN: READY")
        self.assert_answer("AT+CIMI", "262011234567890")
        self.assert_answer("AT+CEREG?", "+CEREG: 0,1")
        self.assertEqual(self.ask("state"), "OK sim=ready pin-left=3 puk-left=10 registration=1 rssi=24 "
                                            "urc-inside-answer=off")
        self.assertIn("CONNECT", self.open(self.modem_link).command("ATD*99#"))
        self.assert_answer('AT+CPIN="4321"', final="+CME ERROR: 3")  # no PIN pending any more

    def test_wrong_pins_use_up_the_tries_then_the_sim_wants_its_puk(self):
        for left in (2, 1):
            self.assert_answer('AT+CPIN="0000"', final="+CME ERROR: 16")
            self.assert_answer('AT+QPINC="SC"', f'+QPINC: "SC",{left},10')
            self.assert_answer("AT+CPIN?", "+CPIN: SIM PIN")
        self.assert_answer('AT+CPIN="0000"', final="+CME ERROR: 16")
        self.assert_answer("AT+CPIN?", "+CPIN: SIM PUK")
        self.assert_answer('AT+QPINC="SC"', '+QPINC: "SC",0,10')
        self.assert_answer("AT+CIMI", final="+CME ERROR: 12")
        self.assert_answer('AT+CPIN="4321"', final="+CME ERROR: 3")  # the right PIN is no use now
        self.dial_fails_with("SIM PUK required")
        self.assert_answer('AT+CPIN="87654321","1111"', final="+CME ERROR: 16")
        self.assert_answer('AT+QPINC="SC"', '+QPINC: "SC",0,9')
        self.assert_answer('AT+CPIN="12345678","1111"')
        self.assert_urc("+CPIN: READY")
        self.assert_answer('AT+QPINC="SC"', '+QPINC: "SC",3,10')

    def test_the_pin_is_asked_again_after_a_restart(self):
        self.assert_answer('AT+CPIN="4321"')
        self.assert_urc("+CPIN: READY")
        self.assert_answer("AT+CEREG=2")
        self.assert_answer("AT+CFUN=1,1")
        self.assertTrue(self.wait_for(lambda: not os.path.lexists(self.at_link)), "the module restarts")
        self.assertTrue(self.wait_for(lambda: os.path.lexists(self.at_link)), "and comes back")
        at = self.open(self.at_link)
        self.assertIn("+CPIN: SIM PIN", at.command("AT+CPIN?"))
        self.assertIn("+CEREG: 0,0", at.command("AT+CEREG?"), "the URC setting forgotten, not registered")


class SimControl(RadioTestCase):
    def test_the_sim_changes_on_demand_and_the_module_says_so(self):
        self.assert_answer("AT+CEREG=1")
        self.tell("sim pin")
        self.assert_urc("+CPIN: SIM PIN")
        self.assert_urc("+CEREG: 0")
        self.assert_answer("AT+CPIN?", "+CPIN: SIM PIN")
        self.tell("sim puk")
        self.assert_urc("+CPIN: SIM PUK")
        self.assert_answer('AT+QPINC="SC"', '+QPINC: "SC",0,10')
        self.tell("sim missing")
        self.assert_urc("+CPIN: NOT READY")
        self.assert_answer("AT+CPIN?", final="+CME ERROR: 10")
        self.tell("sim ready")
        self.assert_urc("+CPIN: READY")
        self.assert_urc("+CEREG: 1")
        self.assertTrue(self.ask("sim locked").startswith("ERROR states: ready pin puk missing"))


class SimMissing(RadioTestCase):
    extra = ("--sim", "missing")

    def test_no_sim(self):
        self.assert_answer("AT+CPIN?", final="+CME ERROR: 10")
        for command in ("AT+CIMI", "AT+QCCID", 'AT+QPINC="SC"', 'AT+CPIN="1234"'):
            self.assert_answer(command, final="+CME ERROR: 10")
        self.assert_answer("AT+CGSN", "867698040123450")  # the module's own
        self.assert_answer("AT+CEREG?", "+CEREG: 0,0")
        self.assert_answer("AT+QNWINFO", "+QNWINFO: No Service")
        self.dial_fails_with("SIM not inserted")
        self.assertIn("sim=missing", self.ask("state"))


class Registration(RadioTestCase):
    extra = ("--sim-pin", "1234", "--registration-delay", "3", "--network-cmd", "cat")

    def test_registration_searches_for_the_delay_from_the_sim_being_ready(self):
        self.assert_answer("AT+CEREG=2;+CGREG=1")
        self.assert_answer("AT+CREG?", "+CREG: 0,0")
        self.assert_answer('AT+CPIN="1234"')
        unlocked = time.monotonic()
        self.assert_urc("+CPIN: READY")
        self.assert_urc("+CGREG: 2")  # the order of the commands: +CREG (n=0: silent), +CGREG, +CEREG
        self.assert_urc("+CEREG: 2")
        self.assert_answer("AT+CEREG?", "+CEREG: 2,2")
        self.assert_answer("AT+COPS?", "+COPS: 0")
        self.dial_fails_with("No network service")
        self.assert_urc("+CGREG: 1")
        self.assertGreaterEqual(time.monotonic() - unlocked, 2.9, "registered before --registration-delay")
        self.assert_urc(f"+CEREG: 1,{LOCATION}")
        self.assert_answer("AT+CEREG?", f"+CEREG: 2,1,{LOCATION}")
        self.assert_answer("AT+CGREG?", "+CGREG: 1,1")
        self.assert_answer("AT+CREG?", "+CREG: 0,1")
        self.assertIn("CONNECT", self.open(self.modem_link).command("ATD*99#"))


class RegistrationStates(RadioTestCase):
    extra = ("--network-cmd", "cat")

    def test_denied_roaming_searching_idle_home_on_demand(self):
        self.assert_answer("AT+CEREG?", "+CEREG: 0,1")  # n=0 after boot
        self.assert_answer("AT+CEREG=2")
        self.tell("register denied")
        self.assert_urc("+CEREG: 3")
        self.assert_answer("AT+CEREG?", "+CEREG: 2,3")
        self.assert_answer("AT+COPS?", "+COPS: 0")
        self.dial_fails_with("EPS services not allowed")
        self.tell("register roaming")
        self.assert_urc(f"+CEREG: 5,{LOCATION}")
        self.assert_answer("AT+COPS?", '+COPS: 0,0,"Simulated Roaming Partner",7')
        self.assert_answer("AT+QNWINFO", '+QNWINFO: "FDD LTE","20801","LTE BAND 3",1300')
        self.tell("register searching")
        self.assert_urc("+CEREG: 2")
        self.tell("register idle")
        self.assert_urc("+CEREG: 0")
        self.tell("register home")
        self.assert_urc(f"+CEREG: 1,{LOCATION}")
        self.assertIn("CONNECT", self.open(self.modem_link).command("ATD*99#"))
        self.assertTrue(self.ask("register nowhere").startswith("ERROR states: idle home searching denied roaming"))

    def test_registration_urc_settings(self):
        self.assert_answer("AT+CREG=1;+CGREG=2;+CEREG=0")
        self.assert_answer("AT+CREG?;+CGREG?;+CEREG?", "+CREG: 1,1", f"+CGREG: 2,1,{LOCATION}", "+CEREG: 0,1")
        self.tell("register roaming")
        self.assert_urc("+CREG: 5")
        self.assert_urc(f"+CGREG: 5,{LOCATION}")
        self.assert_quiet()  # nothing from +CEREG, its n being 0
        self.assert_answer("AT+CEREG=?", "+CEREG: (0-2)")
        self.assert_answer("AT+CEREG=3", final="ERROR")
        self.assert_answer("AT+CEREG=", final="ERROR")


class RadioDenied(RadioTestCase):
    extra = ("--registration", "denied")

    def test_registration_denied_from_the_start(self):
        self.assert_answer("AT+CEREG?", "+CEREG: 0,3")
        self.dial_fails_with("EPS services not allowed")


class Identity(RadioTestCase):
    def test_identity(self):
        self.assert_answer("AT+CIMI", "262011234567890")
        self.assert_answer("AT+CGSN", "867698040123450")
        self.assert_answer("AT+QCCID", "+QCCID: 89490200001234567892")

    def test_the_default_imsi_is_a_network_of_the_provider_database(self):
        self.assertTrue(os.path.exists(PROVIDERS), "mobile-broadband-provider-info missing: tools/install-deps")
        root = xml.etree.ElementTree.parse(PROVIDERS).getroot()
        imsi = self.answer("AT+CIMI").split()[0]
        internet_apns = [apn.get("value") for provider in root.iter("provider")
                         if provider.find("gsm/network-id[@mcc='%s'][@mnc='%s']" % (imsi[:3], imsi[3:5])) is not None
                         for apn in provider.iter("apn") if apn.find("usage[@type='internet']") is not None]
        self.assertTrue(internet_apns, f"no internet APN for {imsi[:5]}")
        unknown = root.findall("provider/gsm/network-id[@mcc='001']")
        self.assertEqual(unknown, [], "MCC 001 (the test network) is in the database now: pick another unknown one")


class UnknownImsi(RadioTestCase):
    extra = ("--imsi", "001010123456789", "--imei", "350000000000006", "--iccid", "8900100000000000001")

    def test_the_identity_flags(self):
        self.assert_answer("AT+CIMI", "001010123456789")
        self.assert_answer("AT+CGSN", "350000000000006")
        self.assert_answer("AT+QCCID", "+QCCID: 8900100000000000001")


class Operator(RadioTestCase):
    def test_operator_formats_and_network_info(self):
        self.assert_answer("AT+COPS?", '+COPS: 0,0,"Simulated Operator",7')
        self.assert_answer("AT+COPS=3,2")
        self.assert_answer("AT+COPS?", '+COPS: 0,2,"26201",7')
        self.assert_answer("AT+COPS=3,1;+COPS?", '+COPS: 0,1,"SimOp",7')
        self.assert_answer("AT+COPS=3,0;+COPS?", '+COPS: 0,0,"Simulated Operator",7')
        self.assert_answer("AT+COPS=3,7", final="ERROR")
        self.assert_answer("AT+QNWINFO", '+QNWINFO: "FDD LTE","26201","LTE BAND 3",1300')


class Signal(RadioTestCase):
    def test_signal_and_its_urc(self):
        self.assert_answer("AT+CSQ", "+CSQ: 24,99")
        self.assert_answer("AT+QCSQ", '+QCSQ: "LTE",-65,-95,150,-11')
        self.assert_answer('AT+QINDCFG="csq"', '+QINDCFG: "csq",0')
        self.tell("signal 20")
        self.assert_quiet()  # the URC is off after boot
        self.assert_answer('AT+QINDCFG="csq",1')
        self.assert_answer('AT+QINDCFG="csq"', '+QINDCFG: "csq",1')
        self.tell("signal 10")
        self.assert_urc('+QIND: "csq",10,99')
        self.assert_answer("AT+CSQ", "+CSQ: 10,99")
        self.assert_answer("AT+QCSQ", '+QCSQ: "LTE",-93,-123,80,-18')
        self.tell("signal 99")
        self.assert_urc('+QIND: "csq",99,99')
        self.assert_answer("AT+QCSQ", '+QCSQ: "NOSERVICE"')
        self.assertTrue(self.ask("signal 40").startswith("ERROR"))
        self.assert_answer('AT+QINDCFG="nosuch",1', final="ERROR")

    def test_access_technology_urc(self):
        self.assert_answer('AT+QINDCFG="act",1')
        self.assert_urc('+QIND: "act","LTE"')  # at once when enabled, as Quectel documents
        self.tell("register searching")
        self.assert_urc('+QIND: "act","UNKNOWN"')
        self.tell("register home")
        self.assert_urc('+QIND: "act","LTE"')

    def test_the_at_port_stays_quiet_when_nothing_changes(self):
        self.assert_answer('AT+CREG=2;+CGREG=2;+CEREG=2;+QINDCFG="csq",1;+QINDCFG="act",1')
        self.assert_urc('+QIND: "act","LTE"')
        self.tell("signal 24")  # the same as before: no change, no URC
        self.tell("register home")
        self.assert_quiet(2.0)
        self.tell("signal 23")
        self.assert_urc('+QIND: "csq",23,99')
        self.assert_quiet()  # one change, one URC

    def test_all_urcs_off(self):
        self.assert_answer('AT+QINDCFG="csq",1;+QINDCFG="all",0;+CEREG=1')
        self.tell("signal 5")
        self.tell("register denied")
        self.assert_quiet()


class UrcInsideAnswer(RadioTestCase):
    def test_urcs_between_the_information_lines_and_the_ok(self):
        self.tell("urc-inside-answer on")
        self.assertIn("urc-inside-answer=on", self.ask("state"))
        self.assert_answer("AT+CSQ", "+CSQ: 24,99", '+QIND: "csq",24,99')
        self.assert_answer('AT+QINDCFG="csq",1;+CEREG=1')  # no information line: nothing inside
        self.tell("signal 12")
        self.tell("register roaming")
        self.assert_quiet()  # held for the next answer
        self.assert_answer("AT+CPIN?;+CSQ", "+CPIN: READY", "+CSQ: 12,99", '+QIND: "csq",12,99', "+CEREG: 5")
        self.assert_answer("AT+CIMI", "262011234567890", '+QIND: "csq",12,99')
        self.tell("signal 13")
        self.assert_answer("AT")  # no information line: a held URC follows the OK
        self.assert_urc('+QIND: "csq",13,99')
        self.tell("urc-inside-answer off")
        self.assert_answer("AT+CSQ", "+CSQ: 13,99")
        self.tell("signal 14")
        self.assert_urc('+QIND: "csq",14,99')


if __name__ == "__main__":
    sys.exit(run_tap(CommandMode, Dial, Faults, StuckDataMode, EscapeIgnored, HangupAt, HangupOnClose, Unplug,
                     SimPin, SimControl, SimMissing, Registration, RegistrationStates, RadioDenied, Identity,
                     UnknownImsi, Operator, Signal, UrcInsideAnswer))
