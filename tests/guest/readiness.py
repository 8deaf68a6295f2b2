# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 20 in the guest: ready before the dial. Before each dial the daemon asks the module over
its AT port (/dev/ttyUSB2, the simulated EC25's) for its SIM, its registration and, with no APN
given, its IMSI (then the provider database, mobile-broadband-provider-info). What is not ready
ends as a named error of Connect, a dialupd-own exit reason (67-74) in LastExitReason and a
Hangup, with no pppd started and the modem port never spoken to; what is ready, or becomes so
(the PIN entered, the network found), dials with the real pppd and chat.

The simulator (tools/modem-sim) plays the SIM and the network: --sim-pin (a PIN-locked SIM and
its PIN), --pin-retries, --sim puk|missing, --registration(-delay), --imsi; its control request
"state" tells the PIN tries left, and its log (modem-sim.log) what each port was told, with
monotonic timestamps of the guest's clock. The PIN's secrecy is checked with the password's in
security.py (password-never-exposed)."""
import os
import re
import subprocess

import dbus

from checks import (DIALUPCTL, SIM_PIN, assert_reason, connect, connect_sampling, pppd_processes, sim_log,
                    wait_for_hangup)
from world import PATIENCE, wait_until

ERROR = "org.dialupd1.Error."
PIN = SIM_PIN  # the simulated SIM's PIN here
WRONG_PIN = "61842937"  # 8 digits too
PIN_FILE = "/run/dialupd-test-sim-pin"  # sim-pin-file: a root file of mode 0600 (the guest's /run)
PROVIDERS = "/usr/share/mobile-broadband-provider-info/serviceproviders.xml"
DATABASE_APN = "internet.t-d1.de"  # the first internet APN of MCC 262 MNC 01 (the simulator's IMSI)


# --- what the scenarios read ------------------------------------------------------------

def sim_state(world):
    """The simulator's "state" answer as a dict: sim, pin-left, puk-left, registration, ..."""
    answer = world.sim.command("state")
    assert answer.startswith("OK "), answer
    return dict(field.split("=", 1) for field in answer.split()[1:])


def sim_lines(world, pattern):
    """(timestamp, text) of the simulator's log lines matching `pattern` (a regex)."""
    found = []
    for line in sim_log(world).splitlines():
        stamp = re.match(r"\[\s*([0-9.]+)\] (.*)", line)
        if stamp and re.search(pattern, stamp.group(2)):
            found.append((float(stamp.group(1)), stamp.group(2)))
    return found


def pins_sent(world):
    """How many times the module was sent a PIN (AT+CPIN="...") on its AT port."""
    return len(sim_lines(world, r"^at -> 'AT\+CPIN=\""))


def modem_port_commands(world):
    """Everything the modem port (pppd's and chat's) was told: a dial leaves AT commands there."""
    return sim_lines(world, r"^modem -> ")


def last_call_log(world):
    """The newest kept call's text, as GetCallLogs gives it."""
    kept = world.modem.iface.GetCallLogs(dbus.UInt32(1))
    assert len(kept) == 1, kept
    return str(kept[0][6])


def dialupctl(world, *args):
    env = {"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": world.bus.address, "TZ": "UTC"}
    result = subprocess.run([DIALUPCTL, *args], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, f"dialupctl {args}: exit {result.returncode}\n{result.stdout}{result.stderr}"
    return result.stdout


def refused_before_the_dial(world, error, code, name, *evidence, **options):
    """A Connect(wait) the readiness checks refuse: it fails with org.dialupd1.Error.<error>, no
    pppd runs meanwhile (sampled every 10 ms) and the modem port hears nothing; LastExitReason
    and one more Hangup say (code, name); the State went connecting -> disconnected; the call
    log (kept, and the Hangup's) has each of `evidence`. Returns the error's message."""
    states, hangups, dialled = len(world.modem.states), len(world.modem.hangups), len(modem_port_commands(world))
    pppd_seen = set()
    answer = connect_sampling(world, lambda: pppd_seen.update(pppd_processes(pids=True)), **options)
    assert answer is not None, f"Connect succeeded, expected {error}"
    assert answer.get_dbus_name() == ERROR + error, f"{answer.get_dbus_name()}: {answer.get_dbus_message()}"
    assert not pppd_seen, f"pppd ran (pids {sorted(pppd_seen)}) though the module was not ready"
    assert len(modem_port_commands(world)) == dialled, f"the modem port was spoken to: {modem_port_commands(world)}"
    assert wait_until(lambda: len(world.modem.hangups) > hangups, PATIENCE), "no Hangup for the refused call"
    hangup = world.modem.hangups[-1]
    assert (hangup["code"], hangup["name"]) == (code, name), hangup
    assert_reason(world, code, name)
    assert wait_until(lambda: world.modem.states[states:] == ["connecting", "disconnected"], PATIENCE), \
        world.modem.states[states:]
    kept = last_call_log(world)
    assert answer.get_dbus_message() in kept, f"the error's message is not in the call log:\n{kept}"
    for snippet in evidence:
        assert snippet in hangup["log"], f"'{snippet}' missing from the Hangup log:\n{hangup['log']}"
        assert snippet in kept, f"'{snippet}' missing from the kept call log:\n{kept}"
    wait_until(lambda: False, 0.3)  # keeps receiving signals: a stray late one would show up here
    assert len(world.modem.hangups) == hangups + 1, world.modem.hangups[hangups:]
    assert pppd_processes() == []
    return answer.get_dbus_message()


def assert_no_pin_anywhere(world, pin):
    """The PIN is in none of the texts dialupd produced: its log, the kept call logs."""
    assert pin not in world.daemon.log_text(), "the PIN is in the daemon's log"
    kept = world.modem.iface.GetCallLogs(dbus.UInt32(0))
    assert pin not in "\n".join(str(call[6]) for call in kept), "the PIN is in a kept call log"


# --- the SIM ----------------------------------------------------------------------------

PIN_LOCKED = ["--sim-pin", PIN]


def scenario_sim_pin_from_connect(world):
    """A PIN-locked SIM: a Connect without a PIN is refused (SimPinRequired, 67) with nothing
    sent to the SIM; with the Connect option pin the PIN is entered (after the tries left were
    read) and the call comes up over the real pppd."""
    refused_before_the_dial(world, "SimPinRequired", 67, "sim-pin-required", "AT+CPIN? -> +CPIN: SIM PIN")
    assert pins_sent(world) == 0 and sim_state(world)["pin-left"] == "3", sim_state(world)
    connect(world, pin=PIN)
    assert world.modem.get("State") == "connected"
    assert sim_state(world)["sim"] == "ready"
    assert pins_sent(world) == 1
    world.modem.disconnect()
    kept = last_call_log(world)
    for snippet in ("AT+CPIN? -> +CPIN: SIM PIN", 'AT+QPINC="SC" -> +QPINC: "SC",3,10', 'AT+CPIN="<hidden>" -> OK',
                    "SIM unlocked", "AT+CPIN? -> +CPIN: READY"):
        assert snippet in kept, f"'{snippet}' missing from the call log:\n{kept}"
    assert_no_pin_anywhere(world, PIN)


def make_pin_file():
    with open(os.open(PIN_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(PIN + "\n")
    os.chmod(PIN_FILE, 0o600)


def scenario_sim_pin_from_file(world):
    """The PIN from sim-pin-file (a root file of mode 0600), no PIN in the Connect."""
    try:
        connect(world)
        assert world.modem.get("State") == "connected"
        assert sim_state(world)["sim"] == "ready" and pins_sent(world) == 1
        world.modem.disconnect()
        assert 'AT+CPIN="<hidden>" -> OK' in last_call_log(world), last_call_log(world)
        assert_no_pin_anywhere(world, PIN)
    finally:
        os.unlink(PIN_FILE)


def scenario_sim_pin_rejected_not_sent_again(world):
    """A wrong PIN is entered once: the SIM refuses it (one try less), SimPinRejected (68). The
    next Connect with the same PIN is refused without sending it (the SIM's count unchanged);
    the right PIN still goes, and the call comes up."""
    refused_before_the_dial(world, "SimPinRejected", 68, "sim-pin-rejected", 'AT+CPIN="<hidden>" -> +CME ERROR: 16',
                            pin=WRONG_PIN)
    assert pins_sent(world) == 1 and sim_state(world)["pin-left"] == "2", sim_state(world)
    message = refused_before_the_dial(world, "SimPinRejected", 68, "sim-pin-rejected", pin=WRONG_PIN)
    assert "not sent" in message, message
    assert pins_sent(world) == 1 and sim_state(world)["pin-left"] == "2", sim_state(world)
    connect(world, pin=PIN)
    assert world.modem.get("State") == "connected" and sim_state(world)["sim"] == "ready"
    world.modem.disconnect()
    assert_no_pin_anywhere(world, WRONG_PIN)
    assert_no_pin_anywhere(world, PIN)


def scenario_sim_pin_one_try_left(world):
    """One PIN try left: even the right PIN is not risked (SimPinRejected, 68), nothing sent."""
    message = refused_before_the_dial(world, "SimPinRejected", 68, "sim-pin-rejected",
                                      'AT+QPINC="SC" -> +QPINC: "SC",1,10', pin=PIN)
    assert "1 PIN try" in message, message
    assert pins_sent(world) == 0 and sim_state(world)["pin-left"] == "1", sim_state(world)


def scenario_sim_puk_required(world):
    """A SIM locked by its PUK: SimPukRequired (69); no PIN and no PUK is ever tried."""
    refused_before_the_dial(world, "SimPukRequired", 69, "sim-puk-required", "AT+CPIN? -> +CPIN: SIM PUK", pin=PIN)
    assert pins_sent(world) == 0 and sim_state(world)["puk-left"] == "10", sim_state(world)


def scenario_sim_missing(world):
    """No SIM in the module (+CME ERROR: 10): SimMissing (70)."""
    refused_before_the_dial(world, "SimMissing", 70, "sim-missing", "AT+CPIN? -> +CME ERROR: 10")


# --- registration -----------------------------------------------------------------------

REGISTRATION_DELAY = 5  # seconds the simulated module searches once its SIM is ready


def scenario_registration_after_a_delay(world):
    """The module searches for 5 s once its SIM is ready (here: once the PIN went in, the
    moment a real module starts looking for its network): the Connect waits for the module's
    +CEREG (the call log shows the wait and the code) and dials only then."""
    connect(world, pin=PIN)
    assert world.modem.get("State") == "connected"
    unlocked = sim_lines(world, r"^SIM unlocked")
    registered = sim_lines(world, r"^registration: 1$")
    dialled = sim_lines(world, r"^modem -> 'ATD")
    assert len(unlocked) == 1 and registered and dialled, (unlocked, registered, dialled)
    # Not before: the dial came after the registration, which came the delay after the PIN.
    assert dialled[0][0] >= registered[0][0] >= unlocked[0][0] + REGISTRATION_DELAY - 0.2, \
        (unlocked, registered, dialled)
    world.modem.disconnect()
    kept = last_call_log(world)
    for snippet in ("AT+CEREG? -> +CEREG: 2,2", "not registered yet", "ready: SIM ready, registered home"):
        assert snippet in kept, f"'{snippet}' missing from the call log:\n{kept}"
    # The module's codes that ended the wait: the simulator sends +CREG, +CGREG and +CEREG in a
    # row, and the first data domain (PS or EPS) registered decides, so which one is not fixed.
    heard = re.search(r"\(unsolicited\) \+C(E|G)?REG: 1,", kept)
    assert heard, f"no registration code in the call log:\n{kept}"
    assert kept.index("not registered yet") < heard.start() < kept.index("ready: SIM ready, registered home"), kept


def scenario_registration_denied(world):
    """The network denies the registration (stat 3): RegistrationDenied (71)."""
    refused_before_the_dial(world, "RegistrationDenied", 71, "registration-denied", "AT+CEREG? -> +CEREG: 2,3")


def scenario_roaming_not_allowed(world):
    """Registered roaming (stat 5) with allow-roaming = no: RoamingNotAllowed (72)."""
    message = refused_before_the_dial(world, "RoamingNotAllowed", 72, "roaming-not-allowed",
                                      "AT+CEREG? -> +CEREG: 2,5")
    assert "allow-roaming" in message, message


def scenario_not_registered(world):
    """No network at all (searching, +CSQ: 99,99): past registration-timeout (2 s here),
    NotRegistered (73), its message naming the last registration state and the signal."""
    message = refused_before_the_dial(world, "NotRegistered", 73, "not-registered", "AT+CEREG? -> +CEREG: 2,2",
                                      "AT+CSQ -> +CSQ: 99,99")
    assert "searching" in message and "no signal" in message, message


# --- the APN ----------------------------------------------------------------------------

def scenario_apn_from_the_provider_database(world):
    """No APN in the config or the Connect: the IMSI's MCC/MNC (262/01) picks the APN from
    mobile-broadband-provider-info; the module is given it, and the call log names the entry,
    in GetCallLogs, the Hangup and `dialupctl log`."""
    connect(world)
    assert world.modem.get("State") == "connected"
    contexts = sim_lines(world, r"AT\+CGDCONT=1,")
    assert contexts and f'"{DATABASE_APN}"' in contexts[-1][1], contexts
    world.sim.command("fault carrier-drop")
    hangup = wait_for_hangup(world)
    chosen = f"APN from {PROVIDERS}: {DATABASE_APN}"
    for where, text in (("Hangup", hangup["log"]), ("GetCallLogs", last_call_log(world)),
                        ("dialupctl log", dialupctl(world, "log", world.modem_id))):
        assert chosen in text, f"'{chosen}' missing from the {where}:\n{text}"
        assert "MCC 262 MNC 01" in text, f"the {where} does not name the network:\n{text}"
        assert "AT+CIMI -> 26201..." in text, f"the {where} shows more of the IMSI than its network:\n{text}"
    assert "262011234567890" not in last_call_log(world), "the call log has the whole IMSI"


def scenario_apn_required(world):
    """No APN anywhere and an IMSI of a network the database does not know (MCC 001, the test
    network): ApnRequired (74)."""
    message = refused_before_the_dial(world, "ApnRequired", 74, "apn-required", "AT+CIMI -> 00101...")
    assert "MCC 001" in message, message


def scenarios():
    return [
        ("sim-pin-from-connect", scenario_sim_pin_from_connect, {"sim_args": PIN_LOCKED}, None),
        ("sim-pin-from-file", scenario_sim_pin_from_file,
         {"sim_args": PIN_LOCKED, "modem_settings": f"sim-pin-file = {PIN_FILE}", "prepare": make_pin_file}, None),
        ("sim-pin-rejected-not-sent-again-68", scenario_sim_pin_rejected_not_sent_again, {"sim_args": PIN_LOCKED},
         None),
        ("sim-pin-one-try-left-68", scenario_sim_pin_one_try_left,
         {"sim_args": PIN_LOCKED + ["--pin-retries", "1"]}, None),
        ("sim-puk-required-69", scenario_sim_puk_required, {"sim_args": ["--sim", "puk"]}, None),
        ("sim-missing-70", scenario_sim_missing, {"sim_args": ["--sim", "missing"]}, None),
        ("registration-after-a-delay", scenario_registration_after_a_delay,
         {"sim_args": PIN_LOCKED + ["--registration-delay", str(REGISTRATION_DELAY)]}, None),
        ("registration-denied-71", scenario_registration_denied, {"sim_args": ["--registration", "denied"]}, None),
        ("roaming-not-allowed-72", scenario_roaming_not_allowed,
         {"sim_args": ["--registration", "roaming"], "modem_settings": "allow-roaming = no"}, None),
        ("no-signal-not-registered-73", scenario_not_registered,
         {"faults": ["no-signal"], "modem_settings": "registration-timeout = 2"}, None),
        ("apn-from-the-provider-database", scenario_apn_from_the_provider_database, {}, None),
        ("apn-required-74", scenario_apn_required, {"sim_args": ["--imsi", "001010123456789"]}, None),
    ]
