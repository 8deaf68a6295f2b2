#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile callers: dialupd on a private bus (our policy) with three modems (m0 and m1 on ptys,
pppd a stand-in that sleeps like a call; `gone` on a tty that does not exist), fuzzed over D-Bus.
Every method the daemon's objects introspect is called with random arguments and wrong
signatures, on random object paths and interfaces; Connect gets random option dicts; the
Properties interface gets junk; strings are huge; a raw socket sends what libdbus will not
(invalid UTF-8, embedded NUL, bad headers, oversized messages); several connections flood it.
Every reply must be a success or a named error, the daemon must survive each case (own its name,
answer GetManagedObjects, keep no pppd, no child and no extra file descriptor), and at the end
it must stop on SIGTERM with exit 0 and no sanitizer report.

A caller as nobody checks the bus policy holds against random calls, and callers still waiting
at SIGTERM must get their answers.

The other side is hostile too (Modem_side): m1's pppd and module send random bytes (Unicode
noncharacters, C1 controls, escape sequences, invalid UTF-8, endless lines) on pppd's log, the
plugin's report channel and the AT port; every hang-up must still end in its Hangup, with clean
text, GetCallLogs must keep answering, and the daemon's log must stay valid UTF-8 with no raw
ESC (checked again at the end, over everything every case sent).

The seed is printed; DIALUPD_FUZZ_SEED=N replays a run (each case draws from its own stream,
so a case replays alone too: DIALUPD_FUZZ_CASES=Flood,Clean_stop runs only those). Prints TAP
for meson.

This file holds the cases. Beside it: target.py (the names and answers aimed at), junk.py (the
random values and bytes), connect_oracle.py (Connect's rules, copied), fuzz_world.py (the daemon
under test and the Fuzzer that sends calls and judges replies); tests/lib/dbus_wire.py is the
raw socket client for what libdbus will not send."""
import collections
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import dbus
from gi.repository import GLib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dbus_wire  # noqa: E402
from connect_oracle import expected_for_idle_modem, random_options  # noqa: E402
from dbus_wire import ERROR_MESSAGE, NO_REPLY_EXPECTED, SIGNAL, RawClient  # noqa: E402
from fuzz_world import Fuzzer, World, clip, discover  # noqa: E402
from junk import HostileBytes, Junk  # noqa: E402
from target import (BUS_NAME, CALL_TIMEOUT, DAEMON_ERRORS, DBUS_ERROR, ERROR, INCONSISTENT_MESSAGE,  # noqa: E402
                    INVALID_ARGUMENT, MODEM_PREFIX, MODEMS, NONCHARACTER, PROPERTIES, ROOT, ROOT_PATH,
                    STANDARD_ERRORS, has_noncharacter)
from testbed import MODEM_IFACE, PATIENCE, run_tap, wait_until  # noqa: E402

SEED = int(os.environ.get("DIALUPD_FUZZ_SEED") or random.SystemRandom().randrange(1 << 32))
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
TOTALS = collections.Counter()  # calls and pppd starts over all cases, for the last line


def raw_message(serial, *fields, **options):
    """A raw message, to the daemon unless `destination` says otherwise."""
    return dbus_wire.raw_message(serial, *fields, **{"destination": BUS_NAME, **options})


# ---------------------------------------------------------------------------------------------
# The cases.

class FuzzCase(unittest.TestCase):
    def setUp(self):
        self.world = World.get()
        self.rng = random.Random(f"{SEED}:{type(self).__name__}")
        self.junk = Junk(self.rng, self.world.null)
        self.fuzzer = Fuzzer(self.world, type(self).__name__)

    def tearDown(self):
        # After any case, failed or not: no call left running.
        for path in self.world.modem_paths():
            try:
                if self.world.state(path) in ("connecting", "connected"):
                    self.world.control.call_blocking(BUS_NAME, path, MODEM_IFACE, "Disconnect", "", (), timeout=PATIENCE)
            except dbus.DBusException:
                pass

    def connection(self):
        return self.rng.choice(self.world.connections)

    def tally(self):
        print(f"# {self.fuzzer.summary()}", flush=True)
        TOTALS["calls"] += self.fuzzer.calls
        TOTALS["pppd"] += self.fuzzer.pppd_started

    def conclude(self):
        """Prints the case's tally; fails on any bad reply or an unhealthy daemon."""
        self.fuzzer.settle()
        self.tally()
        for reason, count in self.fuzzer.refused.most_common(3):
            print(f"#   not sent ({count}x): {reason}", flush=True)
        problems = self.fuzzer.problems
        for problem in problems[:40]:
            print(f"#   BAD {problem[:600]}", flush=True)
        process = self.world.daemon.process
        if process.poll() is not None:  # say so first: every later call failed for that reason
            self.fail(f"dialupd died (status {process.returncode}; seed {SEED}); the first bad reply: "
                      f"{problems[:1]}\n{self.world.daemon.log_text()[-3000:]}")
        self.assertEqual(len(problems), 0, f"{len(problems)} bad replies (seed {SEED}), the first: {problems[:1]}")
        self.assertGreater(self.fuzzer.calls, 0)
        problem = self.world.healthy()
        self.assertIsNone(problem, f"after {self.fuzzer.name} (seed {SEED})")
        self.assertEqual(self.world.stand_ins_alive(), [], "stand-in pppd left running")


class Connect_options(FuzzCase):
    """Random option dicts (known and unknown keys, right and wrong types, nested variants,
    values that break the rules) to each modem in turn, from idle, one at a time, so the answer
    is known: InvalidArgument, Unavailable (the missing tty), success, or Cancelled (wait: our
    Disconnect ends it)."""

    calls = 240

    def test_random_options_get_the_answer_the_rules_give(self):
        methods, _ = self.world.objects[MODEM_PREFIX + "m0"][MODEM_IFACE]
        self.assertEqual(methods.get("Connect"), "a{sv}", "Connect's signature changed: update the oracle")
        verdicts = collections.Counter()
        for _ in range(self.calls):
            modem = self.rng.choice(MODEMS)
            options, verdict = random_options(self.junk)
            verdicts[verdict] += 1
            self.fuzzer.send(self.connection(), MODEM_PREFIX + modem, MODEM_IFACE, "Connect", "a{sv}", [options],
                             allowed=expected_for_idle_modem(modem, options, verdict))
            self.fuzzer.settle()
            if self.world.daemon.process.poll() is not None:
                break
        print(f"# option dicts: {verdicts['refused']} with an unknown key or a wrong type, {verdicts['invalid']} "
              f"with a bad value, {verdicts['valid']} valid", flush=True)
        self.conclude()


class Wrong_signatures(FuzzCase):
    """Every method of every interface on every object the daemon introspects, with random
    signatures and random values (and sometimes the right signature with random values)."""

    rounds = 5

    def test_every_method_with_every_wrong_signature(self):
        methods = [(path, interface, member, signature)
                   for path, interfaces in sorted(self.world.objects.items())
                   for interface, (members, _) in sorted(interfaces.items())
                   for member, signature in sorted(members.items())]
        self.assertIn((MODEM_PREFIX + "m0", MODEM_IFACE, "Connect", "a{sv}"), methods)
        print(f"# {len(methods)} methods on {len(self.world.objects)} objects", flush=True)
        for _ in range(self.rounds):
            for path, interface, member, signature in methods:
                right = self.rng.random() < 0.15
                sent = signature if right else self.junk.signature(avoid=signature)
                args = self.junk.args(sent)
                allowed = None if right else STANDARD_ERRORS
                if interface == "org.freedesktop.DBus.Peer":
                    allowed = None  # sd-bus answers Ping and GetMachineId whatever the arguments
                if interface == "org.freedesktop.DBus.Properties" and sent.startswith(signature):
                    # sd-bus's own Get/GetAll/Set read the arguments they need and ignore any that
                    # follow (GetAll with "svs" and interface "" lists everything): a seed made it so.
                    allowed = None
                self.fuzzer.send(self.connection(), path, interface, member, sent, args, allowed=allowed)
            self.fuzzer.settle()
        self.conclude()


class Paths_and_interfaces(FuzzCase):
    """Random object paths, interfaces (or none) and members, with random arguments."""

    calls = 400

    def test_random_destinations_inside_the_daemon(self):
        known = {member for interfaces in self.world.objects.values() for members, _ in interfaces.values()
                 for member in members}
        for number in range(self.calls):
            signature = self.junk.signature()
            self.fuzzer.send(self.connection(), self.junk.path(), self.junk.interface(), self.junk.member(known),
                             signature, self.junk.args(signature))
            if number % 100 == 99:
                self.fuzzer.settle()
        self.conclude()


class Properties_junk(FuzzCase):
    """Properties.Get/Set/GetAll with junk interface and property names, and Set of every
    property (all read-only) with random values: nothing may change."""

    calls = 300

    def test_get_set_getall_with_junk(self):
        before = {path: self.world.control.call_blocking(BUS_NAME, path, PROPERTIES, "GetAll", "s", (MODEM_IFACE,))
                  for path in self.world.modem_paths()}
        declared = self.world.objects[MODEM_PREFIX + "m0"][MODEM_IFACE][1]
        properties = sorted(declared)
        writable = {name for name, (_, access) in declared.items() if access != "read"}
        self.assertIn("State", properties)
        for _ in range(self.calls):
            path = self.rng.choice(self.world.modem_paths() + [ROOT_PATH, self.junk.path()])
            interface = self.rng.choice([MODEM_IFACE, MODEM_IFACE, self.junk.string(), self.junk.interface() or ""])
            name = self.rng.choice(properties + [self.junk.string()])
            method = self.rng.choice(["Get", "Set", "GetAll"])
            if method == "Get":
                self.fuzzer.send(self.connection(), path, PROPERTIES, "Get", "ss", [interface, name])
            elif method == "GetAll":
                self.fuzzer.send(self.connection(), path, PROPERTIES, "GetAll", "s", [interface])
            else:
                value = self.junk.value("v")
                self.fuzzer.send(self.connection(), path, PROPERTIES, "Set", "ssv", [interface, name, value],
                                 allowed=None if name in writable else STANDARD_ERRORS)
        self.fuzzer.settle()
        after = {path: self.world.control.call_blocking(BUS_NAME, path, PROPERTIES, "GetAll", "s", (MODEM_IFACE,))
                 for path in self.world.modem_paths()}
        for values in (*before.values(), *after.values()):
            for name in writable:
                values.pop(name, None)
        self.assertEqual(after, before, "a read-only property changed under Set")
        self.conclude()


MIB = 1 << 20


class Huge_strings(FuzzCase):
    """1 MiB strings, byte arrays and object paths in every place a string goes, and one Connect
    of 31 MiB (the bus takes messages up to 32 MiB)."""

    def test_huge_strings_everywhere(self):
        huge = "a" * MIB
        huge_text = ("ж€\U0001d11e" * (MIB // 9))[: MIB // 3]
        nul_bytes = dbus.ByteArray(b"\0\xff" * (MIB // 2))
        m0 = MODEM_PREFIX + "m0"
        for modem in (m0, MODEM_PREFIX + "gone"):
            for key in ("apn", "user", "password"):
                for value in (huge, huge_text):
                    self.fuzzer.send(self.connection(), modem, MODEM_IFACE, "Connect", "a{sv}",
                                     [dbus.Dictionary({key: dbus.String(value)}, signature="sv")],
                                     allowed={INVALID_ARGUMENT})
                self.fuzzer.send(self.connection(), modem, MODEM_IFACE, "Connect", "a{sv}",
                                 [dbus.Dictionary({key: nul_bytes}, signature="sv")], allowed={INVALID_ARGUMENT})
            self.fuzzer.send(self.connection(), modem, MODEM_IFACE, "Connect", "a{sv}",
                             [dbus.Dictionary({huge: dbus.String("x")}, signature="sv")], allowed={INVALID_ARGUMENT})
            self.fuzzer.send(self.connection(), modem, MODEM_IFACE, "Connect", "a{sv}",
                             [dbus.Dictionary({"apn": dbus.Array([huge], signature="s")}, signature="sv")],
                             allowed={INVALID_ARGUMENT})
            self.fuzzer.send(self.connection(), modem, MODEM_IFACE, "Connect", "a{sv}",
                             [dbus.Dictionary({str(n): dbus.String("x") for n in range(20000)}, signature="sv")],
                             allowed={INVALID_ARGUMENT})
            unknown = {DBUS_ERROR + "UnknownInterface", DBUS_ERROR + "UnknownProperty", DBUS_ERROR + "InvalidArgs"}
            self.fuzzer.send(self.connection(), modem, PROPERTIES, "Get", "ss", [MODEM_IFACE, huge], allowed=unknown)
            self.fuzzer.send(self.connection(), modem, PROPERTIES, "Get", "ss", [huge, "State"], allowed=unknown)
            self.fuzzer.send(self.connection(), modem, PROPERTIES, "GetAll", "s", [huge], allowed=unknown)
            self.fuzzer.send(self.connection(), modem, PROPERTIES, "Set", "ssv", [MODEM_IFACE, "State", huge],
                             allowed={DBUS_ERROR + "PropertyReadOnly", DBUS_ERROR + "InvalidArgs"})
            self.fuzzer.send(self.connection(), modem, MODEM_IFACE, "GetCallLogs", "s", [huge],
                             allowed={DBUS_ERROR + "InvalidArgs"})
            self.fuzzer.send(self.connection(), modem, MODEM_IFACE, "Disconnect", "ay", [nul_bytes],
                             allowed={DBUS_ERROR + "InvalidArgs"})
            self.fuzzer.settle()
        # Long object paths: D-Bus sets no limit but the message's. sd-bus takes paths up to
        # BUS_PATH_SIZE_MAX (64 KiB) and drops a message with a longer one unanswered (systemd's
        # fix for CVE-2019-6454): that caller gets NoReply from libsystemd, not from dialupd, so
        # those few calls wait 3 s, not 30, and the daemon must answer the next caller.
        unknown_object = {DBUS_ERROR + "UnknownObject", DBUS_ERROR + "UnknownMethod"}
        for length in (255, 4096, 65535, 65536, 65537, 300000, MIB):
            path = (MODEM_PREFIX + "m0/" + "a" * length)[:length]
            over = length > 65536
            allowed = unknown_object | ({DBUS_ERROR + "NoReply"} if over else set())
            timeout = 3 if over else CALL_TIMEOUT
            self.fuzzer.send(self.connection(), path, MODEM_IFACE, "Connect", "a{sv}",
                             [dbus.Dictionary({}, signature="sv")], allowed=allowed, timeout=timeout)
            self.fuzzer.send(self.connection(), path, PROPERTIES, "GetAll", "s", [MODEM_IFACE], allowed=allowed,
                             timeout=timeout)
        self.fuzzer.settle()
        # Close to the bus's limit of 32 MiB a message.
        self.fuzzer.send(self.connection(), m0, MODEM_IFACE, "Connect", "a{sv}",
                         [dbus.Dictionary({"apn": dbus.String("a" * (31 * MIB))}, signature="sv")],
                         allowed={INVALID_ARGUMENT})
        self.fuzzer.settle()
        self.conclude()


class Raw_messages(FuzzCase):
    """Over a plain socket: strings that are not UTF-8 or hold a NUL, bad headers and bodies,
    a message over the bus's size limit (the bus drops such a sender), and well-formed messages
    libdbus would not make (big-endian, no interface, unknown header fields, no reply wanted,
    variants nested deep). After each one the daemon must still answer."""

    def options_call(self, client, options, **overrides):
        fields = dict(path=MODEM_PREFIX + "m0", interface=MODEM_IFACE, member="Connect", signature="a{sv}",
                      body=[options])
        fields.update(overrides)
        return raw_message(client.next_serial(), **fields)

    def test_raw_messages(self):
        socket_path = self.world.bus.socket
        bus_drops = {"closed"}
        cases = [
            # What the bus must refuse: it validates every message and drops the sender.
            ("apn not UTF-8", lambda c: self.options_call(c, [(b"apn", ("s", b"\xff\xfeinternet"))]), bus_drops),
            ("apn with a NUL", lambda c: self.options_call(c, [(b"apn", ("s", b"inter\0net"))]), bus_drops),
            ("key not UTF-8", lambda c: self.options_call(c, [(b"\xc3\x28", ("b", 1))]), bus_drops),
            ("surrogate in UTF-8", lambda c: self.options_call(c, [(b"user", ("s", b"\xed\xa0\x80"))]), bus_drops),
            ("property name with a NUL", lambda c: raw_message(
                c.next_serial(), MODEM_PREFIX + "m0", PROPERTIES, "Get", signature="ss",
                body=[MODEM_IFACE, b"St\0ate"]), bus_drops),
            ("path with a NUL", lambda c: raw_message(c.next_serial(), (MODEM_PREFIX + "m0\0x").encode(), MODEM_IFACE,
                                                      "Disconnect"), bus_drops),
            ("path not a path", lambda c: raw_message(c.next_serial(), b"org//dialupd1/", MODEM_IFACE, "Disconnect"),
             bus_drops),
            ("member not a member", lambda c: raw_message(c.next_serial(), MODEM_PREFIX + "m0", MODEM_IFACE,
                                                          b"Con nect"), bus_drops),
            ("bad signature", lambda c: raw_message(c.next_serial(), MODEM_PREFIX + "m0", MODEM_IFACE, "Connect",
                                                    signature="a{sv", raw_body=b"\0" * 8), bus_drops),
            ("body shorter than its signature", lambda c: raw_message(
                c.next_serial(), MODEM_PREFIX + "m0", MODEM_IFACE, "GetCallLogs", signature="u", raw_body=b"\1\0"),
             bus_drops),
            ("array length past the body", lambda c: raw_message(
                c.next_serial(), MODEM_PREFIX + "m0", MODEM_IFACE, "Connect", signature="a{sv}",
                raw_body=struct.pack("<I", 4096) + b"\0" * 12), bus_drops),
            ("boolean 2", lambda c: self.options_call(c, [("wait", ("b", 2))]), bus_drops),
            ("variant of an invalid signature", lambda c: self.options_call(c, [("apn", (b"a{", b""))]), bus_drops),
            ("deeper than D-Bus allows", lambda c: self.options_call(c, [("apn", self.nested(70))]), bus_drops),
            # dbus-daemon passes this on; sd-bus cannot read the fd and sdbus-c++ says so.
            ("fd index with no fd", lambda c: self.options_call(c, [("apn", ("h", 0))]),
             bus_drops | {INCONSISTENT_MESSAGE}),
            ("over 32 MiB", lambda c: self.options_call(c, [("apn", ("s", "a" * (33 * MIB)))]), bus_drops),
            # Well-formed, though libdbus would not have made them: the daemon answers.
            ("big-endian unknown option", lambda c: self.options_call(c, [("colour", ("s", "red"))], endian=">"),
             {INVALID_ARGUMENT}),
            ("big-endian GetCallLogs", lambda c: raw_message(c.next_serial(), MODEM_PREFIX + "m1", MODEM_IFACE,
                                                             "GetCallLogs", signature="u", body=[7], endian=">"),
             {"ok"}),
            # D-Bus lets a receiver refuse a call without an interface: sd-bus does (UnknownObject).
            ("no interface", lambda c: self.options_call(c, [("colour", ("s", "red"))], interface=None),
             {INVALID_ARGUMENT, DBUS_ERROR + "UnknownMethod", DBUS_ERROR + "UnknownObject"}),
            ("unknown header fields", lambda c: self.options_call(
                c, [("apn", ("i", 1))], extra_fields=[(200, ("s", "x")), (77, ("ay", [1, 2, 3]))]),
             {INVALID_ARGUMENT}),
            ("no reply wanted", lambda c: self.options_call(c, [("wait", ("s", "yes"))], flags=NO_REPLY_EXPECTED),
             {"silence"}),
            ("variants 60 deep", lambda c: self.options_call(c, [("apn", self.nested(60))]),
             {INVALID_ARGUMENT, DBUS_ERROR + "InvalidArgs"} | bus_drops),
            ("an unrequested error to the daemon", lambda c: raw_message(
                c.next_serial(), kind=ERROR_MESSAGE, extra_fields=[(4, ("s", "org.dialupd1.Error.Fake")),
                                                                   (5, ("u", 2))]),
             {"silence", DBUS_ERROR + "AccessDenied"}),
            ("a signal to the daemon", lambda c: raw_message(
                c.next_serial(), MODEM_PREFIX + "m0", MODEM_IFACE, "Hangup", kind=SIGNAL, signature="(uss)ts",
                body=[(1, "x", "y"), 2, "z"]), {"silence"}),
        ]
        for description, build, expected in cases:
            client = RawClient(socket_path)
            try:
                message = build(client)
                wait = 1.0 if expected & {"silence"} else PATIENCE
                answer = client.exchange(message, timeout=wait)
            finally:
                client.close()
            self.record(description, answer, expected)
            # The daemon answers the next caller, whatever the last one sent.
            self.assertEqual(self.world.state(MODEM_PREFIX + "m0"), "disconnected", description)
        self.callers_who_do_not_take_the_answer(socket_path)
        self.conclude()

    def record(self, description, answer, expected):
        self.fuzzer.calls += 1
        self.fuzzer.outcomes[answer] += 1
        if answer not in expected:
            self.fuzzer.problems.append(f"raw '{description}': {answer}, expected one of {sorted(expected)}")

    def callers_who_do_not_take_the_answer(self, socket_path):
        """A Connect that waits for the link, from a caller that asked for no reply, and from
        one that hangs up before the answer: our Disconnect ends both waits (the daemon answers
        into the void) and gets its own answer."""
        m0 = MODEM_PREFIX + "m0"
        for description, flags, vanish in (("waiting Connect, no reply wanted", NO_REPLY_EXPECTED, False),
                                           ("waiting Connect, caller gone", 0, True)):
            client = RawClient(socket_path)
            try:
                message = self.options_call(client, [("wait", ("b", 1))], flags=flags)
                self.record(description, client.exchange(message, timeout=0.5), {"silence"})
                if vanish:
                    client.close()
                started = wait_until(lambda: self.world.state(m0) == "connecting", PATIENCE)
                self.assertTrue(started, f"{description}: no call started")
                self.fuzzer.pppd_started += 1
                self.fuzzer.send(self.world.control, m0, MODEM_IFACE, "Disconnect", "", [], allowed={"ok"})
                self.fuzzer.settle(disconnect_waiting=False)
                if not vanish:
                    self.record(description + " (after Disconnect)", client.wait_reply(client.serial, 0.5),
                                {"silence"})
            finally:
                client.close()

    @staticmethod
    def nested(depth):
        value = ("s", "internet")
        for _ in range(depth):
            value = ("v", value)
        return value


class Flood(FuzzCase):
    """Four connections at once, each keeping up to 32 random calls in flight (every kind of call
    above, Connect and Disconnect among them), so calls interleave with calls being started and
    stopped."""

    per_connection = 400

    def test_concurrent_callers(self):
        known = {member for interfaces in self.world.objects.values() for members, _ in interfaces.values()
                 for member in members}
        methods = [(path, interface, member, signature)
                   for path, interfaces in self.world.objects.items()
                   for interface, (members, _) in interfaces.items()
                   for member, signature in members.items()]
        queues = {connection: self.per_connection for connection in self.world.connections}

        def one_call(connection):
            roll = self.rng.random()
            if roll < 0.35:
                path = self.rng.choice(self.world.modem_paths())
                options, _ = random_options(self.junk)
                return connection, path, MODEM_IFACE, "Connect", "a{sv}", [options]
            if roll < 0.5:
                return connection, self.rng.choice(self.world.modem_paths()), MODEM_IFACE, "Disconnect", "", []
            if roll < 0.75:
                path, interface, member, signature = self.rng.choice(methods)
                if self.rng.random() < 0.5:
                    signature = self.junk.signature(avoid=signature)
                return connection, path, interface, member, signature, self.junk.args(signature)
            signature = self.junk.signature()
            return (connection, self.junk.path(), self.junk.interface(), self.junk.member(known), signature,
                    self.junk.args(signature))

        def next_from(connection):
            while queues[connection] > 0:
                queues[connection] -= 1
                if self.fuzzer.send(*one_call(connection), on_done=lambda call: next_from(connection)):
                    return

        for connection in self.world.connections:
            for _ in range(32):
                next_from(connection)
        self.fuzzer.settle()
        self.conclude()


# What dbus/org.dialupd1.conf.in lets anyone send; the rest is for root and the privileged group.
OPEN_INTERFACES = {"org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.Peer",
                   "org.freedesktop.DBus.ObjectManager"}
OPEN_MEMBERS = {(PROPERTIES, "Get"), (PROPERTIES, "GetAll"), (MODEM_IFACE, "GetCallLogs"),
                (MODEM_IFACE, "GetStatistics")}


class Unprivileged_caller(FuzzCase):
    """A caller as nobody (setpriv) makes random calls: what the bus policy does not let anyone
    send (Connect, Disconnect, Properties.Set, any other member, a call without interface) must
    end in AccessDenied from the bus and change nothing; the rest gets its usual answers."""

    calls = 200

    def test_policy_holds_against_random_calls(self):
        # nobody may not be able to read the source tree (a clone under a 0700 directory): it
        # runs a copy of what this file reads at import, as a source root of its own it can read.
        readable = tempfile.mkdtemp(prefix="dialupd-fuzz-unprivileged-")
        try:
            here = os.path.dirname(os.path.abspath(__file__))
            script = os.path.join(readable, "tests", "fuzz", os.path.basename(__file__))
            copies = [(os.path.join(here, name), os.path.join(readable, "tests", "fuzz", name))
                      for name in os.listdir(here) if name.endswith(".py")]  # this file and its modules
            copies += [(os.path.join(ROOT, "tests", "lib", name), None) for name in ("testbed.py", "dbus_wire.py")]
            copies += [(os.path.join(ROOT, "service", "core", "bus_names.h"), None)]
            for source, copy in copies:
                copy = copy or os.path.join(readable, os.path.relpath(source, ROOT))
                os.makedirs(os.path.dirname(copy), exist_ok=True)
                shutil.copy(source, copy)
            for directory, _, files in os.walk(readable):
                os.chmod(directory, 0o755)
                for name in files:
                    os.chmod(os.path.join(directory, name), 0o644)
            command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable,
                       script, "--unprivileged", self.world.bus.address, str(self.calls)]
            result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=readable,
                                    env={**os.environ, "DIALUPD_FUZZ_SEED": str(SEED), "DIALUPD_SOURCE_ROOT": readable,
                                         "PYTHONDONTWRITEBYTECODE": "1"})
        finally:
            shutil.rmtree(readable, ignore_errors=True)
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        denied = DBUS_ERROR + "AccessDenied"
        for description, interface, member, outcome, noncharacter in json.loads(result.stdout.splitlines()[-1]):
            self.fuzzer.calls += 1
            self.fuzzer.outcomes[outcome] += 1
            if interface in OPEN_INTERFACES or (interface, member) in OPEN_MEMBERS:
                acceptable = (outcome == "ok" or outcome in STANDARD_ERRORS or outcome in DAEMON_ERRORS
                              or (outcome == INCONSISTENT_MESSAGE and noncharacter))
            else:
                acceptable = outcome == denied
            if not acceptable:
                self.fuzzer.problems.append(f"as nobody: {description}: {outcome}")
        self.conclude()


def unprivileged_calls(address, count):
    """The caller of Unprivileged_caller, run as nobody: blocking calls, then one JSON line."""
    connection = dbus.bus.BusConnection(address)
    objects = discover(connection)
    rng = random.Random(f"{SEED}:Unprivileged_caller")
    null = os.open("/dev/null", os.O_RDONLY)
    junk = Junk(rng, null)
    methods = sorted((path, interface, member, signature) for path, interfaces in objects.items()
                     for interface, (members, _) in interfaces.items() for member, signature in members.items())
    modems = [path for path in objects if path.startswith(MODEM_PREFIX)]
    records = []
    while len(records) < count:
        roll = rng.random()
        if roll < 0.6:
            path, interface, member, signature = rng.choice(methods)
            if rng.random() < 0.3:
                signature = junk.signature(avoid=signature)
            args = junk.args(signature)
        elif roll < 0.8:
            path, interface, member, signature = rng.choice(modems), PROPERTIES, "Set", "ssv"
            args = [MODEM_IFACE, rng.choice(["State", "Device", junk.string()]), junk.value("v")]
        else:
            path, interface, member, signature = junk.path(), junk.interface(), junk.member(), junk.signature()
            args = junk.args(signature)
        try:
            connection.call_blocking(BUS_NAME, path, interface, member, signature, args, timeout=CALL_TIMEOUT)
            outcome = "ok"
        except dbus.DBusException as error:
            outcome = error.get_dbus_name()
        except (TypeError, ValueError, OverflowError, UnicodeError):
            continue  # dbus-python would not send it
        records.append([f"{interface}.{member}({signature}) on {path} with {clip(args)}", interface, member, outcome,
                        has_noncharacter(args)])
    print(json.dumps(records))
    return 0


# ---------------------------------------------------------------------------------------------


def clean_text_problem(text):
    """None, or what in `text` (a str from D-Bus) neither D-Bus nor a terminal should get."""
    for at, char in enumerate(text):
        code = ord(char)
        if (code < 0x20 and char not in "\n\t") or 0x7f <= code <= 0x9f or NONCHARACTER.match(char):
            return f"U+{code:04X} at {at}: ...{text[max(at - 60, 0):at + 20]!r}..."
    return None


def journal_problem(daemons):
    """None, or why the daemons' stderr (the journal's stand-in) is not clean: not valid UTF-8,
    a raw ESC, a C1 control or a noncharacter."""
    for daemon in daemons:
        with open(daemon.log_path, "rb") as log:
            raw = log.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            return f"{daemon.log_path} is not UTF-8 at byte {error.start}: {raw[max(error.start - 80, 0):error.end + 20]!r}"
        problem = clean_text_problem(text)
        if problem:
            return f"{daemon.log_path}: {problem}"
    return None


class ModuleOnAPty:
    """Plays m1's module on its AT port: every command written there is answered with hostile
    lines, and now and then a final result code, from the case's random stream."""

    FINALS = [b"OK", b"ERROR", b"+CME ERROR: ", b"+CMS ERROR: ", b"NO CARRIER", b""]

    def __init__(self, master, rng):
        self.master = master
        self.hostile = HostileBytes(rng)
        self.rng = rng
        self.commands = 0
        self.pending = b""
        self.watch = GLib.io_add_watch(master, GLib.PRIORITY_DEFAULT, GLib.IO_IN, self.readable)
        os.set_blocking(master, False)

    def readable(self, fd, condition):
        try:
            self.pending += os.read(fd, 4096)
        except (BlockingIOError, OSError):
            return True
        while b"\r" in self.pending:
            _, self.pending = self.pending.split(b"\r", 1)
            self.commands += 1
            answer = self.hostile.text([b"", b"+CSQ: ", b"Quectel ", b"+CEER: "])
            final = self.rng.choice(self.FINALS)
            if final in (b"+CME ERROR: ", b"+CMS ERROR: "):
                final += self.hostile.line()
            try:
                os.write(fd, b"\r\n" + answer + (b"\r\n" + final + b"\r\n" if final else b""))
            except (BlockingIOError, OSError):
                pass  # nobody reads (the snapshot gave up): the queue is full
        return True

    def stop(self):
        GLib.source_remove(self.watch)
        os.set_blocking(self.master, True)


class Modem_side(FuzzCase):
    """The modem and pppd are the hostile ones (issue 16): m1's stand-in pppd prints random bytes
    (noncharacters, C1 controls, escape sequences, invalid UTF-8, endless lines) on its log and
    its plugin report channel, then hangs up; the module on m1's AT port answers the AT snapshot
    with more of them. Every hang-up must end in its Hangup signal with clean text, GetCallLogs
    must keep answering with clean text, and the daemon's log must stay valid UTF-8 without a
    raw ESC. Bounded: `rounds` calls, and no new one after `budget` seconds."""

    rounds = int(os.environ.get("DIALUPD_FUZZ_MODEM_ROUNDS", "30"))
    budget = 150.0

    def test_hostile_modem_and_pppd_text(self):
        world = self.world
        m1 = MODEM_PREFIX + "m1"
        hostile = HostileBytes(self.rng)
        hangups = []
        receiver = world.control.add_signal_receiver(lambda reason, duration, log: hangups.append(str(log)),
                                                     "Hangup", MODEM_IFACE, BUS_NAME, m1)
        module = ModuleOnAPty(world.at_pty[0], self.rng)
        problems = self.fuzzer.problems
        started = time.monotonic()
        done = 0
        try:
            for round_number in range(self.rounds):
                if time.monotonic() - started > self.budget:
                    print(f"# Modem_side: time budget of {self.budget:.0f} s spent after {done} rounds", flush=True)
                    break
                with open(world.pppd_says, "wb") as says:
                    says.write(hostile.text([b"", b"rcvd ", b"sent ", b"Fatal signal ", b"chat:  ", b"Modem hangup"]))
                with open(world.pppd_reports, "wb") as reports:
                    reports.write(hostile.text([b"phase ", b"ip-up ppp", b"cause ", b"stats ", b"exit ", b""]))
                before = len(hangups)
                self.fuzzer.send(world.control, m1, MODEM_IFACE, "Connect", "a{sv}",
                                 [dbus.Dictionary({"reconnect": dbus.Boolean(False)}, signature="sv")],
                                 allowed={"ok"}, clean_up=False)
                self.fuzzer.settle()
                if not wait_until(lambda: len(hangups) > before or world.daemon.process.poll() is not None, 60):
                    problems.append(f"round {round_number}: no Hangup within 60 s")
                    break
                if world.daemon.process.poll() is not None:
                    break
                done += 1
                problem = clean_text_problem(hangups[-1])
                if problem:
                    problems.append(f"round {round_number}: the Hangup's log holds {problem}")
                try:
                    calls = world.control.call_blocking(BUS_NAME, m1, MODEM_IFACE, "GetCallLogs", "u", (3,),
                                                        timeout=CALL_TIMEOUT)
                    self.fuzzer.calls += 1
                    if not calls or str(calls[0][6]) != hangups[-1]:
                        problems.append(f"round {round_number}: GetCallLogs' newest is not the Hangup's log")
                    for call in calls:
                        problem = clean_text_problem(str(call[6])) or clean_text_problem(str(call[2][2]))
                        if problem:
                            problems.append(f"round {round_number}: GetCallLogs holds {problem}")
                except dbus.DBusException as error:
                    problems.append(f"round {round_number}: GetCallLogs failed: {error.get_dbus_name()}: "
                                    f"{error.get_dbus_message()[:200]}")
                if not wait_until(lambda: world.state(m1) == "disconnected", 60):
                    problems.append(f"round {round_number}: m1 stays {world.state(m1)}")
                    break
        finally:
            module.stop()
            receiver.remove()
            for path in (world.pppd_says, world.pppd_reports):
                if os.path.exists(path):
                    os.unlink(path)
        print(f"# Modem_side: {done} hostile calls ended in {len(hangups)} Hangups in "
              f"{time.monotonic() - started:.1f} s; the module answered {module.commands} AT commands", flush=True)
        self.assertEqual(len(hangups), done, "a hang-up without its Hangup, or one Hangup too many")
        problem = journal_problem(world.logs)
        if problem:
            problems.append(f"the daemon's log: {problem}")
        self.conclude()


class Clean_stop(FuzzCase):
    """SIGTERM with a caller waiting (a Connect for m0's link; a Disconnect races the signal) and
    m1 redialling: each caller gets its answer, and the daemon exits 0, with no sanitizer report
    and no pppd left behind."""

    def test_sigterm_after_the_fuzzing(self):
        world = self.world
        m0, m1 = MODEM_PREFIX + "m0", MODEM_PREFIX + "m1"
        self.fuzzer.send(self.connection(), m0, MODEM_IFACE, "Connect", "a{sv}",
                         [dbus.Dictionary({"wait": dbus.Boolean(True)}, signature="sv")], allowed={ERROR + "Cancelled"})
        self.fuzzer.send(self.connection(), m1, MODEM_IFACE, "Connect", "a{sv}",
                         [dbus.Dictionary({"reconnect": dbus.Boolean(True)}, signature="sv")], allowed={"ok"},
                         clean_up=False)

        def redialling():
            return int(world.control.call_blocking(BUS_NAME, m1, PROPERTIES, "Get", "ss",
                                                   (MODEM_IFACE, "ReconnectAttempts"))) > 0

        ready = wait_until(lambda: world.state(m0) == "connecting" and redialling(), PATIENCE)
        self.assertTrue(ready, "m0's call did not start, or m1 did not redial")
        # Sent just before SIGTERM: if the daemon sees the signal first, it ends the call itself.
        self.fuzzer.send(self.connection(), m0, MODEM_IFACE, "Disconnect", "", [],
                         allowed={"ok", ERROR + "NotConnected"})
        world.daemon.process.send_signal(signal.SIGTERM)
        self.fuzzer.settle(disconnect_waiting=False)
        code = world.daemon.stop()
        self.tally()
        for problem in self.fuzzer.problems:
            print(f"#   BAD {problem[:600]}", flush=True)
        self.assertEqual(self.fuzzer.problems, [], "a caller waiting at SIGTERM got no proper answer")
        log = world.daemon.log_text()
        reports = [line for daemon in world.logs for line in daemon.log_text().splitlines()
                   if any(mark in line for mark in SANITIZER_MARKS)]
        self.assertEqual(reports, [], log[-4000:])
        self.assertEqual(code, 0, log[-4000:])
        # Whatever the callers and the modem side sent, the journal got clean lines.
        self.assertIsNone(journal_problem(world.logs))
        self.assertEqual(len(world.logs), 1, "an earlier case killed the daemon (it was started again)")
        self.assertTrue(wait_until(lambda: not world.stand_ins_alive(), PATIENCE), "stand-in pppd outlived the daemon")
        print(f"# in all: {TOTALS['calls']} calls, {TOTALS['pppd']} of them started pppd; seed {SEED}", flush=True)

    def tearDown(self):
        pass


CASES = (Connect_options, Wrong_signatures, Paths_and_interfaces, Properties_junk, Huge_strings, Raw_messages, Flood,
         Unprivileged_caller, Modem_side, Clean_stop)


def main():
    if sys.argv[1:2] == ["--unprivileged"]:
        return unprivileged_calls(sys.argv[2], int(sys.argv[3]))
    print(f"# seed {SEED} (DIALUPD_FUZZ_SEED={SEED} replays this run)", flush=True)
    chosen = os.environ.get("DIALUPD_FUZZ_CASES")  # e.g. "Flood,Clean_stop": only these
    cases = [case for case in CASES if not chosen or case.__name__ in chosen.split(",")]
    try:
        return run_tap(*cases)
    finally:
        if World.current is not None:
            World.current.close()


if __name__ == "__main__":
    sys.exit(main())
