#!/usr/bin/python3
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
for meson."""
import collections
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ElementTree

import dbus
from gi.repository import GLib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import ERROR, MODEM_IFACE, ROOT, Bus, Daemon, Scratch, config_for, run_tap, stand_in_pppd  # noqa: E402
from testbed import PATIENCE, wait_until  # noqa: E402

SEED = int(os.environ.get("DIALUPD_FUZZ_SEED") or random.SystemRandom().randrange(1 << 32))
BUS_NAME = "org.dialupd1"
ROOT_PATH = "/org/dialupd1"
MODEM_PREFIX = "/org/dialupd1/modem/"
MODEMS = ("m0", "m1", "gone")
PROPERTIES = "org.freedesktop.DBus.Properties"
CALL_TIMEOUT = PATIENCE  # s: no reply by then is a NoReply, which fails the case
DBUS_ERROR = "org.freedesktop.DBus.Error."
# What the bus or sd-bus answer to a caller that got something wrong; anything else from the
# freedesktop namespace (Failed, NoReply, ServiceUnknown, a System.Error.E* errno) is a finding.
STANDARD_ERRORS = {DBUS_ERROR + name for name in ("UnknownMethod", "UnknownObject", "UnknownInterface",
                                                  "UnknownProperty", "InvalidArgs", "PropertyReadOnly",
                                                  "AccessDenied")}
INVALID_ARGUMENT = ERROR + "InvalidArgument"
# sd-bus (unlike libdbus and dbus-daemon) refuses Unicode noncharacters in a string; sdbus-c++
# answers a call whose arguments it cannot read with this name, before any dialupd code runs.
INCONSISTENT_MESSAGE = DBUS_ERROR + "InconsistentMessage"
NONCHARACTER = re.compile("[\ufdd0-\ufdef" + "".join(f"{chr(plane << 16 | 0xfffe)}{chr(plane << 16 | 0xffff)}"
                                                       for plane in range(17)) + "]")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
TOTALS = collections.Counter()  # calls and pppd starts over all cases, for the last line


def daemon_error_names():
    """The names service/core/errors.h defines, less Internal (an exception nobody expected)."""
    names = set()
    with open(os.path.join(ROOT, "service", "core", "errors.h")) as header:
        for line in header:
            if '"' + ERROR in line:
                names.add(line.split('"')[1])
    names.discard(ERROR + "Internal")
    return names


DAEMON_ERRORS = daemon_error_names()


def has_noncharacter(value):
    if isinstance(value, str):
        return not value.isascii() and NONCHARACTER.search(value) is not None
    if isinstance(value, dict):
        return any(has_noncharacter(key) or has_noncharacter(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_noncharacter(item) for item in value)
    return False


def short(name):
    return name.replace(DBUS_ERROR, "dbus.").replace(ERROR, "dialupd.")


def clip(value, limit=120):
    text = brief(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def brief(value):
    """repr(), with long strings and containers cut short (a 31 MiB repr takes a while)."""
    level = getattr(value, "variant_level", 0)
    suffix = f", variant_level={level}" if level else ""
    if isinstance(value, (str, bytes)) and len(value) > 200:
        return f"{type(value).__name__}({value[:40]!r}... {len(value)} long{suffix})"
    if isinstance(value, dict):
        items = [f"{brief(key)}: {brief(item)}" for key, item in list(value.items())[:8]]
        more = f", ... {len(value) - 8} more" if len(value) > 8 else ""
        return f"{type(value).__name__}({{{', '.join(items)}{more}}}{suffix})"
    if isinstance(value, (list, tuple)) and not isinstance(value, bytes):
        items = [brief(item) for item in value[:8]]
        more = f", ... {len(value) - 8} more" if len(value) > 8 else ""
        return f"{type(value).__name__}([{', '.join(items)}{more}]{suffix})"
    return repr(value)


# ---------------------------------------------------------------------------------------------
# Random values, typed for dbus-python (it marshals a variant from the Python type).

BASIC_TYPES = "ybnqiuxtdsog"


def split_types(signature):
    """'a{sv}(ii)s' -> ['a{sv}', '(ii)', 's']."""
    types, at = [], 0
    while at < len(signature):
        end = _type_end(signature, at)
        types.append(signature[at:end])
        at = end
    return types


def _type_end(signature, at):
    code = signature[at]
    if code == "a":
        return _type_end(signature, at + 1)
    if code in "({":
        close = ")" if code == "(" else "}"
        at += 1
        while signature[at] != close:
            at = _type_end(signature, at)
        return at + 1
    return at + 1


class Junk:
    """Random values from one seeded stream."""

    def __init__(self, rng, fd):
        self.rng = rng
        self.fd = fd  # an open fd for 'h' values (dbus-python sends a dup of it)

    def type(self, depth=0):
        rng = self.rng
        roll = rng.random()
        if depth >= 3 or roll < 0.55:
            return rng.choice(BASIC_TYPES + "vv" + ("h" if rng.random() < 0.1 else ""))
        if roll < 0.75:
            return "a" + self.type(depth + 1)
        if roll < 0.85:
            return "a{" + rng.choice(BASIC_TYPES) + self.type(depth + 1) + "}"
        return "(" + "".join(self.type(depth + 1) for _ in range(rng.randint(1, 3))) + ")"

    def signature(self, avoid=None, most=3):
        for _ in range(20):
            signature = "".join(self.type() for _ in range(self.rng.randint(0, most)))
            if signature != avoid:
                return signature
        return "x" if avoid != "x" else "y"

    def string(self):
        rng = self.rng
        kind = rng.randrange(11)
        if kind == 0:
            return ""
        if kind == 1:
            return rng.choice(["apn", "user", "password", "wait", "reconnect", "APN", " apn", "apn\n", "internet",
                               "State", "org.dialupd1.Modem", "m0", "gone"])
        if kind == 2:
            return "".join(chr(rng.randint(0x20, 0x7e)) for _ in range(rng.randint(1, 40)))
        if kind == 3:
            return "".join(rng.choice("ab\t\n\r\x01\x1b\x7f\x08 ") for _ in range(rng.randint(1, 20)))
        if kind == 4:
            return "".join(rng.choice(["é", "€", "\U0001d11e", "\u200b", "\ufeff", "\uffff", "\ufdd0", "ß", "a"])
                           for _ in range(rng.randint(1, 20)))
        if kind == 5:
            return rng.choice(['x" ABORT "OK', "\\", "'", '"', "^M", "ATD*99#\r", "a\\nb", "`reboot`", "$(id)"])
        if kind == 6:
            return rng.choice(["{}", "{0:>99999}", "{:}", "%s%s%s%n", "%x%x", "{{", "}"])
        if kind == 7:
            return rng.choice("a.-_Z9€\n") * rng.randint(256, 5000)
        if kind == 8:
            return "a" * rng.choice([99, 100, 101, 254, 255, 256])
        if kind == 9:
            return rng.choice(["../../etc/shadow", "/dev/ttyS0", "ppp0", "/dev/null", "-", "--help"])
        return self.apn_like()

    def apn_like(self):
        rng = self.rng
        return rng.choice(["internet", "a.b-c_d", "", "web.example", "A1-2_3", "x" * 100, ".x", "x.", "a..b",
                           "inter net", "ünï"])

    def path(self):
        rng = self.rng
        kind = rng.randrange(8)
        if kind == 0:
            return rng.choice(["/", ROOT_PATH, "/org", MODEM_PREFIX[:-1], "/org/freedesktop/DBus"])
        if kind <= 3:
            return MODEM_PREFIX + rng.choice(list(MODEMS) + ["M0", "m2", "ghost", "_", "m0_", "x" * 200])
        if kind == 4:
            return MODEM_PREFIX + rng.choice(MODEMS) + "/" + self.segment()
        segments = [self.segment() for _ in range(rng.randint(1, 6))]
        return "/" + "/".join(segments)

    def segment(self):
        alphabet = "abcXYZ019_"
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(1, 12)))

    def interface(self):
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:
            return rng.choice([MODEM_IFACE, PROPERTIES, "org.freedesktop.DBus.Introspectable",
                               "org.freedesktop.DBus.Peer", "org.freedesktop.DBus.ObjectManager"])
        if kind == 1:
            return rng.choice(["org.dialupd1.Modem2", "org.dialupd1", "org.dialupd1.Error", "a.b", "org.dialupd1.modem",
                               "org.freedesktop.DBus", "org.freedesktop.DBus.Properties.Extra"])
        if kind == 2:
            return None
        return ".".join(self.segment().lstrip("0123456789") or "x" for _ in range(rng.randint(2, 5)))

    def member(self, known=()):
        rng = self.rng
        if known and rng.random() < 0.5:
            return rng.choice(sorted(known))
        if rng.random() < 0.3:
            return rng.choice(["Connect", "Disconnect", "GetCallLogs", "Get", "Set", "GetAll", "Introspect", "Ping",
                               "GetMachineId", "GetManagedObjects", "Reset", "Hangup", "State", "connect", "_"])
        name = self.segment().lstrip("0123456789") or "M"
        return name * rng.randint(1, 3)

    def value(self, signature, variant_level=0):
        """A dbus-python value of one complete type."""
        rng = self.rng
        code = signature[0]
        level = {"variant_level": variant_level}
        if code == "y":
            return dbus.Byte(rng.choice([0, 1, 0x7f, 0xff, rng.randrange(256)]), **level)
        if code == "b":
            return dbus.Boolean(rng.random() < 0.5, **level)
        if code in "nqiuxt":
            bits = {"n": 16, "q": 16, "i": 32, "u": 32, "x": 64, "t": 64}[code]
            signed = code in "nix"
            low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
            number = rng.choice([low, high, 0, 1, -1 if signed else 2, rng.randint(low, high)])
            kind = {"n": dbus.Int16, "q": dbus.UInt16, "i": dbus.Int32, "u": dbus.UInt32, "x": dbus.Int64,
                    "t": dbus.UInt64}[code]
            return kind(number, **level)
        if code == "d":
            return dbus.Double(rng.choice([0.0, -1.5, 1e308, float("inf"), float("nan"), rng.uniform(-1e9, 1e9)]),
                               **level)
        if code == "s":
            return dbus.String(self.string(), **level)
        if code == "o":
            return dbus.ObjectPath(self.path(), **level)
        if code == "g":
            return dbus.Signature(self.signature(), **level)
        if code == "h":
            return dbus.types.UnixFd(self.fd, **level)
        if code == "v":
            inner = self.type()
            return self.value(inner, variant_level=variant_level + (2 if rng.random() < 0.1 else 1))
        if code == "(":
            inner = signature[1:-1]
            return dbus.Struct(tuple(self.value(part) for part in split_types(inner)), signature=inner, **level)
        if signature.startswith("a{"):
            key, item = split_types(signature[2:-1])
            entries = {}
            for _ in range(rng.choice([0, 1, 2, 5])):
                entries[self.value(key)] = self.value(item)
            return dbus.Dictionary(entries, signature=key + item, **level)
        if signature.startswith("ay") and rng.random() < 0.5:
            return dbus.ByteArray(self.bytes(), **level)
        element = signature[1:]
        return dbus.Array([self.value(element) for _ in range(rng.choice([0, 1, 3]))], signature=element, **level)

    def bytes(self):
        """What a D-Bus string may not hold: NULs and bytes that are not UTF-8."""
        return self.rng.choice([b"", b"\0", b"inter\0net", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x80" * 64,
                                bytes(range(256))])

    def args(self, signature):
        return [self.value(part) for part in split_types(signature)]


# ---------------------------------------------------------------------------------------------
# Connect's options, with an oracle: what the daemon must answer an idle modem.

APN_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")
OPTION_TYPES = {"apn": "s", "user": "s", "password": "s", "wait": "b", "reconnect": "b"}


def apn_ok(apn):
    return (len(apn.encode()) <= 100 and set(apn) <= APN_CHARACTERS
            and not (apn and (apn[0] == "." or apn[-1] == "." or ".." in apn)))


def user_ok(user):
    data = user.encode()
    return len(data) <= 255 and all(byte >= 0x20 and byte != 0x7f for byte in data)


def password_ok(password):
    return len(password.encode()) <= 255  # a D-Bus string holds no NUL


VALUE_RULES = {"apn": apn_ok, "user": user_ok, "password": password_ok}


def random_options(junk):
    """(options, verdict): verdict is 'refused' (unknown key or wrong type: InvalidArgument even
    from a busy modem), 'invalid' (a bad value: InvalidArgument from an idle modem) or 'valid'."""
    rng = junk.rng
    options = {}
    for _ in range(rng.choice([0, 1, 1, 2, 3, 4, 6])):
        roll = rng.random()
        if roll < 0.12:  # unknown key
            key = junk.string()
            if key not in OPTION_TYPES:
                options[key] = junk.value("v")
            continue
        key = rng.choice(sorted(OPTION_TYPES))
        if roll < 0.30:  # a known key with the wrong type, or the right type one variant too deep
            wrong = junk.type()
            if wrong == OPTION_TYPES[key] and rng.random() < 0.5:
                options[key] = junk.value(wrong, variant_level=2)
            else:
                while wrong in (OPTION_TYPES[key], "v"):
                    wrong = junk.type()
                options[key] = junk.value(wrong)
            continue
        if OPTION_TYPES[key] == "b":
            options[key] = dbus.Boolean(rng.random() < (0.3 if key == "wait" else 0.5))
            continue
        text = junk.apn_like() if key == "apn" and rng.random() < 0.6 else junk.string()
        if key != "apn" and rng.random() < 0.4:
            text = rng.choice(["alice", "", "p@ss w0rd!", "x" * 255])
        options[key] = dbus.String(text)
    return dbus.Dictionary(options, signature="sv"), judge(options)


OPTION_CLASSES = {"s": dbus.String, "b": dbus.Boolean}


def judge(options):
    """The verdict on what is sent (a later entry for a key has replaced an earlier one)."""
    for key, value in options.items():
        # The value sits in the dict's variant: variant_level 0 or 1 is that one variant.
        if (key not in OPTION_TYPES or type(value) is not OPTION_CLASSES[OPTION_TYPES[key]]
                or value.variant_level > 1):
            return "refused"
    if all(VALUE_RULES[key](str(value)) for key, value in options.items() if key in VALUE_RULES):
        return "valid"
    return "invalid"


def expected_for_idle_modem(modem, options, verdict):
    if has_noncharacter(options):
        return {INCONSISTENT_MESSAGE}
    if verdict in ("refused", "invalid"):
        return {INVALID_ARGUMENT}
    if modem == "gone":
        return {ERROR + "Unavailable"}
    if bool(options.get("wait", False)):
        # The stand-in never brings the link up: our Disconnect ends the wait, or on m1 the
        # stand-in's own hangup does.
        return {ERROR + "Cancelled", ERROR + "CallFailed"} if modem == "m1" else {ERROR + "Cancelled"}
    return {"ok"}


# ---------------------------------------------------------------------------------------------
# A D-Bus client on a plain socket, for messages libdbus refuses to build.

def _pad(buffer, alignment):
    buffer.extend(b"\0" * (-len(buffer) % alignment))


_FIXED = {"y": ("B", 1), "b": ("I", 4), "n": ("h", 2), "q": ("H", 2), "i": ("i", 4), "u": ("I", 4),
          "x": ("q", 8), "t": ("Q", 8), "d": ("d", 8), "h": ("I", 4)}


def _alignment(signature):
    code = signature[0]
    if code in _FIXED:
        return _FIXED[code][1]
    return {"s": 4, "o": 4, "g": 1, "v": 1, "a": 4, "(": 8, "{": 8}[code]


def marshal(buffer, signature, value, endian="<"):
    """Appends one complete type. Strings, paths and signatures may be bytes: sent as they are."""
    code = signature[0]
    if code in _FIXED:
        form, size = _FIXED[code]
        _pad(buffer, size)
        buffer.extend(struct.pack(endian + form, value))
    elif code in "so":
        data = value if isinstance(value, bytes) else value.encode()
        _pad(buffer, 4)
        buffer.extend(struct.pack(endian + "I", len(data)) + data + b"\0")
    elif code == "g":
        data = value if isinstance(value, bytes) else value.encode()
        buffer.extend(bytes([len(data)]) + data + b"\0")
    elif code == "v":
        inner, inner_value = value
        marshal(buffer, "g", inner, endian)
        marshal(buffer, inner if isinstance(inner, str) else inner.decode(), inner_value, endian)
    elif code == "(":
        _pad(buffer, 8)
        for part, part_value in zip(split_types(signature[1:-1]), value):
            marshal(buffer, part, part_value, endian)
    elif code == "a":
        element = signature[1:]
        _pad(buffer, 4)
        at = len(buffer)
        buffer.extend(b"\0\0\0\0")
        _pad(buffer, _alignment(element))
        start = len(buffer)
        for item in value:
            if element[0] == "{":
                _pad(buffer, 8)
                key, item_type = split_types(element[1:-1])
                marshal(buffer, key, item[0], endian)
                marshal(buffer, item_type, item[1], endian)
            else:
                marshal(buffer, element, item, endian)
        buffer[at:at + 4] = struct.pack(endian + "I", len(buffer) - start)
    else:
        raise ValueError(signature)


METHOD_CALL, METHOD_RETURN, ERROR_MESSAGE, SIGNAL = 1, 2, 3, 4
NO_REPLY_EXPECTED = 1


def raw_message(serial, path=None, interface=None, member=None, destination=BUS_NAME, signature="", body=(),
                raw_body=None, kind=METHOD_CALL, flags=0, endian="<", extra_fields=(), body_length=None):
    """A whole message. `raw_body` (bytes) replaces the marshalled `body`; `body_length` may lie."""
    if raw_body is None:
        encoded = bytearray()
        for part, part_value in zip(split_types(signature), body):
            marshal(encoded, part, part_value, endian)
        raw_body = bytes(encoded)
    fields = []
    for code, field_type, value in ((1, "o", path), (2, "s", interface), (3, "s", member), (6, "s", destination)):
        if value is not None:
            fields.append((code, (field_type, value)))
    if signature:
        fields.append((8, ("g", signature)))
    fields.extend(extra_fields)
    header = bytearray((b"l" if endian == "<" else b"B") + bytes([kind, flags, 1]))
    header.extend(struct.pack(endian + "II", len(raw_body) if body_length is None else body_length, serial))
    marshal(header, "a(yv)", fields, endian)
    _pad(header, 8)
    return bytes(header) + raw_body


class RawClient:
    """Authenticates (EXTERNAL), says Hello, then sends bytes; reads what comes back."""

    def __init__(self, socket_path):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.settimeout(PATIENCE)
        self.socket.connect(socket_path)
        self.socket.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
        answer = b""
        while not answer.endswith(b"\r\n"):
            chunk = self.socket.recv(256)
            if not chunk:
                raise RuntimeError("the bus closed the connection during authentication")
            answer += chunk
        if not answer.startswith(b"OK "):
            raise RuntimeError(f"authentication refused: {answer!r}")
        self.socket.sendall(b"BEGIN\r\n")
        self.received = b""
        self.serial = 1
        self.closed = False
        hello = self.exchange(raw_message(self.next_serial(), "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                          "Hello", "org.freedesktop.DBus"))
        if hello != "ok":
            raise RuntimeError(f"Hello failed: {hello}")

    def next_serial(self):
        self.serial += 1
        return self.serial

    def close(self):
        self.socket.close()

    def exchange(self, message, timeout=PATIENCE):
        """Sends a message whose serial is self.serial and waits for its reply: 'ok', an error
        name, 'closed' (the bus dropped us) or 'silence' (no reply within `timeout`)."""
        serial = self.serial
        try:
            self.socket.sendall(message)
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True
            return "closed"
        return self.wait_reply(serial, timeout)

    def wait_reply(self, serial, timeout):
        deadline = time.monotonic() + timeout
        while True:
            for kind, fields in self._messages():
                if fields.get(5) == serial and kind in (METHOD_RETURN, ERROR_MESSAGE):
                    return "ok" if kind == METHOD_RETURN else fields.get(4, "?")
            left = deadline - time.monotonic()
            if left <= 0:
                return "silence"
            self.socket.settimeout(left)
            try:
                chunk = self.socket.recv(1 << 16)
            except socket.timeout:
                return "silence"
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
                return "closed"
            self.received += chunk

    def _messages(self):
        """Complete messages in the buffer, taken off it: (type, {field code: value})."""
        while len(self.received) >= 16:
            endian = "<" if self.received[0:1] == b"l" else ">"
            body_length, _, fields_length = struct.unpack(endian + "III", self.received[4:16])
            header_end = 16 + fields_length + (-(16 + fields_length) % 8)
            if len(self.received) < header_end + body_length:
                return
            data = self.received[:header_end + body_length]
            self.received = self.received[header_end + body_length:]
            yield data[1], self._fields(data, endian, 16 + fields_length)

    @staticmethod
    def _fields(data, endian, end):
        fields, at = {}, 16
        while at < end:
            at += -at % 8
            code, length = data[at], data[at + 1]
            field_type = data[at + 2:at + 2 + length].decode()
            at += 3 + length
            if field_type in ("s", "o"):
                at += -at % 4
                (size,) = struct.unpack(endian + "I", data[at:at + 4])
                fields[code] = data[at + 4:at + 4 + size].decode(errors="replace")
                at += 5 + size
            elif field_type == "g":
                fields[code] = data[at + 1:at + 1 + data[at]].decode(errors="replace")
                at += 2 + data[at]
            elif field_type == "u":
                at += -at % 4
                (fields[code],) = struct.unpack(endian + "I", data[at:at + 4])
                at += 4
            else:
                break  # a field we do not read; the ones we need come first from the bus
        return fields


# ---------------------------------------------------------------------------------------------
# The daemon under test, shared by the cases (an ASan daemon takes a while to start).

def children_of(pid):
    children = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                children += [int(child) for child in listing.read().split()]
    except FileNotFoundError:
        pass
    return children


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except FileNotFoundError:
        return -1


class World:
    """Bus, daemon and fuzzing connections; started by the first case, restarted by the next
    case if one killed the daemon (that case has failed already), checked and stopped by the last."""

    current = None

    @classmethod
    def get(cls):
        if cls.current is None:
            cls.current = World()
        elif cls.current.daemon.process.poll() is not None:
            cls.current.restart()
        return cls.current

    def __init__(self):
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path)
        self.ptys = [os.openpty() for _ in range(2)]
        ttys = [os.ttyname(slave) for _, slave in self.ptys]
        self.at_pty = os.openpty()  # m1's AT port, where nobody answers
        self.pppd_pids = os.path.join(self.scratch.path, "pppd-pids")
        # What m1's pppd says before it hangs up, on its log (stdout, stderr) and on the plugin's
        # report channel (fd 3): files the Modem_side case writes, absent otherwise.
        self.pppd_says = os.path.join(self.scratch.path, "pppd-says")
        self.pppd_reports = os.path.join(self.scratch.path, "pppd-reports")
        # On m0 pppd runs until stopped; on m1 it hangs up (16) within 0.2 s by itself, so calls
        # also meet Hangups, AT snapshots, kept call logs and redials (m1 redials after 1 s).
        pppd = stand_in_pppd(self.scratch.path, f'echo $$ >> {self.pppd_pids}\n'
                                                f'if [ "$1" = {ttys[1]} ]; then\n'
                                                f'  [ -f {self.pppd_says} ] && cat {self.pppd_says}\n'
                                                f'  [ -f {self.pppd_reports} ] && cat {self.pppd_reports} >&3\n'
                                                f'  sleep 0.$(($$ % 3)); exit 16\nfi')
        # udev = no: the host's own USB devices have no part in this test.
        self.config = config_for(self.scratch.path, {"m0": ttys[0], "gone": os.path.join(self.scratch.path, "ttyGONE"),
                                                     "m1": ttys[1]},
                                 f"pppd = {pppd}\nudev = no\ndiagnostics-timeout = 300\n",
                                 at_ports={"m1": os.ttyname(self.at_pty[1])})
        self.config += "reconnect-delay = 1\nreconnect-max-delay = 1\n"  # [modem m1] comes last
        self.null = os.open("/dev/null", os.O_RDONLY)
        self.logs = []
        self.daemon = None
        self.start()

    def start(self):
        log_dir = os.path.join(self.scratch.path, f"logs{len(self.logs)}")
        self.daemon = Daemon(self.bus, self.config, log_dir)
        self.logs.append(self.daemon)
        self.control = self.daemon.connection
        self.connections = [dbus.bus.BusConnection(self.bus.address) for _ in range(4)]
        self.objects = discover(self.control)
        self.baseline_fds = None
        problem = self.healthy()
        if problem:
            raise RuntimeError(problem)
        # sdbus-c++ makes its helper connection (two eventfds) at the first variant it reads: before the count.
        try:
            self.control.call_blocking(BUS_NAME, MODEM_PREFIX + "gone", MODEM_IFACE, "Connect", "a{sv}",
                                       ({"colour": dbus.String("red")},), timeout=PATIENCE)
        except dbus.DBusException:
            pass  # the answer is the cases' business
        self.baseline_fds = fd_count(self.daemon.process.pid)

    def restart(self):
        self.daemon.stop()
        for connection in self.connections:
            connection.close()
        self.start()

    def modem_paths(self):
        return [MODEM_PREFIX + modem for modem in MODEMS]

    def state(self, modem_path):
        return str(self.control.call_blocking(BUS_NAME, modem_path, PROPERTIES, "Get", "ss", (MODEM_IFACE, "State"),
                                              timeout=PATIENCE))

    def healthy(self, settle=PATIENCE):
        """None, or what is wrong: after a case, the daemon owns its name, answers
        GetManagedObjects with every modem, idle, has no child and no more fds than at start."""
        process = self.daemon.process
        if process.poll() is not None:
            return f"dialupd exited with {process.returncode}: {self.daemon.log_text()[-3000:]}"
        if not self.control.name_has_owner(BUS_NAME):
            return "dialupd no longer owns org.dialupd1"
        objects = self.control.call_blocking(BUS_NAME, ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                                             "GetManagedObjects", "", (), timeout=PATIENCE)
        if sorted(objects) != sorted(self.modem_paths()):
            return f"GetManagedObjects lists {sorted(objects)}"

        def idle():
            states = {path: self.state(path) for path in self.modem_paths()}
            return all(state in ("disconnected", "unavailable") for state in states.values()) and states

        if not wait_until(idle, settle):
            return f"modems not idle: { {path: self.state(path) for path in self.modem_paths()} }"
        if not wait_until(lambda: not children_of(process.pid), settle):
            return f"dialupd still has children {children_of(process.pid)}"
        if self.baseline_fds is not None and not wait_until(
                lambda: fd_count(process.pid) <= self.baseline_fds, settle):
            fds = f"/proc/{process.pid}/fd"
            return (f"dialupd holds {fd_count(process.pid)} file descriptors, {self.baseline_fds} at start: "
                    f"{sorted(os.readlink(os.path.join(fds, fd)) for fd in os.listdir(fds))}")
        return None

    def stand_ins_alive(self):
        alive = []
        if os.path.exists(self.pppd_pids):
            with open(self.pppd_pids) as pids:
                for pid in pids.read().split():
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                            if b"sleep" in cmdline.read():
                                alive.append(int(pid))
                    except (FileNotFoundError, ProcessLookupError):
                        pass
        return alive

    def close(self):
        for connection in getattr(self, "connections", []):
            connection.close()
        if self.daemon.process.poll() is None:
            self.daemon.stop()
        self.bus.stop()
        for master, slave in self.ptys + [self.at_pty]:
            os.close(master)
            os.close(slave)
        os.close(self.null)
        self.scratch.remove()


def discover(connection):
    """Every object under the daemon's name, by Introspect from "/": {path: {interface:
    ({method: in-signature}, {property: (type, access)})}}."""
    found = {}

    def visit(path):
        xml = connection.call_blocking(BUS_NAME, path, "org.freedesktop.DBus.Introspectable", "Introspect", "", (),
                                       timeout=PATIENCE)
        node = ElementTree.fromstring(str(xml))
        interfaces = {}
        for interface in node.findall("interface"):
            methods = {method.get("name"): "".join(arg.get("type") for arg in method.findall("arg")
                                                   if arg.get("direction", "in") == "in")
                       for method in interface.findall("method")}
            properties = {prop.get("name"): (prop.get("type"), prop.get("access"))
                          for prop in interface.findall("property")}
            interfaces[interface.get("name")] = (methods, properties)
        found[path] = interfaces
        for child in node.findall("node"):
            visit(path.rstrip("/") + "/" + child.get("name"))

    visit("/")
    return found


# ---------------------------------------------------------------------------------------------
# Calls in flight and their verdicts.

class Call:
    def __init__(self, description, allowed, modem, connect, noncharacter):
        self.description = description
        self.allowed = allowed  # the answers this call may get; None: any success or named error
        self.modem = modem  # a real modem's path, or None
        self.connect = connect
        self.clean_up = True  # Disconnect after the call this Connect started
        self.noncharacter = noncharacter  # sd-bus will not read its arguments
        self.sent = time.monotonic()


class Fuzzer:
    """Sends calls asynchronously, judges every reply, and cleans up after them: a Connect that
    started a call is followed by Disconnect (a waiting Connect then ends Cancelled; after a
    hangup it cancels the redial)."""

    def __init__(self, world, name):
        self.world = world
        self.name = name
        self.calls = 0
        self.own_disconnects = 0  # of the calls: ours, after a Connect that started pppd
        self.pppd_started = 0  # Connects answered with success, or Cancelled after starting pppd
        self.outcomes = collections.Counter()
        self.refused = collections.Counter()  # never sent: dbus-python would not marshal it
        self.problems = []
        self.pending = []
        self.started = time.monotonic()
        self.disconnecting = set()  # modem paths with our Disconnect in flight

    def send(self, connection, path, interface, member, signature, args, allowed=None, on_done=None,
             timeout=CALL_TIMEOUT, clean_up=True):
        """Sends one call; None if dbus-python would not marshal it. `allowed`: the answers it
        may get (None: any success or named error). `clean_up`: Disconnect after a started call."""
        modem = path if path in self.world.modem_paths() else None
        connect = member == "Connect" and interface in (MODEM_IFACE, None) and signature == "a{sv}"
        description = f"{interface}.{member}({signature}) on {path} with {clip(args)}"
        call = Call(description, allowed, modem, connect, has_noncharacter(args))
        call.clean_up = clean_up

        def reply(*values):
            self.finish(call, "ok", "", on_done)

        def error(exception):
            name = exception.get_dbus_name() if isinstance(exception, dbus.DBusException) else None
            self.finish(call, name or type(exception).__name__, str(exception), on_done)

        try:
            connection.call_async(BUS_NAME, path, interface, member, signature, args, reply, error, timeout=timeout)
        except (TypeError, ValueError, OverflowError, UnicodeError) as refused:
            self.refused[f"{type(refused).__name__}: {str(refused)[:60]}"] += 1
            return None
        self.calls += 1
        self.pending.append(call)
        return call

    def finish(self, call, name, message, on_done):
        if call in self.pending:
            self.pending.remove(call)
        self.outcomes[name] += 1
        if name == INCONSISTENT_MESSAGE and call.noncharacter:
            acceptable = True
        elif call.allowed is not None:
            acceptable = name in call.allowed
        else:
            acceptable = (name == "ok" or name in STANDARD_ERRORS
                          or name in DAEMON_ERRORS)
        if not acceptable:
            expected = f" (expected {sorted(call.allowed)})" if call.allowed is not None else ""
            self.problems.append(f"{call.description}: {name}{expected}: {message[:300]}")
        if call.connect and call.modem and name in ("ok", ERROR + "Cancelled", ERROR + "CallFailed"):
            self.pppd_started += 1
            if call.clean_up and name != ERROR + "Cancelled":  # ends the call, or cancels m1's redial
                self.disconnect(call.modem)
        if on_done:
            on_done(call)

    def disconnect(self, modem_path):
        if modem_path in self.disconnecting:
            return

        def done(call):
            self.disconnecting.discard(modem_path)

        self.disconnecting.add(modem_path)
        self.own_disconnects += 1
        self.send(self.world.control, modem_path, MODEM_IFACE, "Disconnect", "", [],
                  allowed={"ok", ERROR + "NotConnected"}, on_done=done)

    def settle(self, timeout=PATIENCE, disconnect_waiting=True):
        """Runs the main loop until every call has its reply. A Connect still waiting after a
        moment has started a call the stand-in never brings up: Disconnect ends it."""
        context = GLib.MainContext.default()
        tick = GLib.timeout_add(100, lambda: True)  # wakes the loop to look at waiting Connects
        deadline = time.monotonic() + timeout
        looked = time.monotonic()
        try:
            while self.pending and time.monotonic() < deadline:
                context.iteration(True)
                now = time.monotonic()
                if now - looked < 0.3 or not disconnect_waiting:
                    continue
                looked = now
                waiting = {call.modem for call in self.pending
                           if call.connect and call.clean_up and call.modem and now - call.sent > 0.3}
                waiting -= self.disconnecting
                for modem in sorted(waiting):
                    try:
                        connecting = self.world.state(modem) == "connecting"
                    except dbus.DBusException:  # still busy with huge calls: look again later
                        continue
                    if connecting:
                        self.disconnect(modem)
        finally:
            GLib.source_remove(tick)
        for call in self.pending:
            self.problems.append(f"no reply within {timeout:.0f} s: {call.description}")
        self.pending = []

    def summary(self):
        took = time.monotonic() - self.started
        replies = ", ".join(f"{short(name)} {count}" for name, count in self.outcomes.most_common())
        refused = f"; {sum(self.refused.values())} refused by dbus-python before sending" if self.refused else ""
        own = f" ({self.own_disconnects} of them our Disconnects)" if self.own_disconnects else ""
        return (f"{self.name}: {self.calls} calls{own} in {took:.1f} s, {self.pppd_started} started pppd{refused}; "
                f"replies: {replies}")


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
OPEN_MEMBERS = {(PROPERTIES, "Get"), (PROPERTIES, "GetAll"), (MODEM_IFACE, "GetCallLogs")}


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
            script = os.path.join(readable, "tests", "fuzz", os.path.basename(__file__))
            for source, copy in ((os.path.abspath(__file__), script),
                                 (os.path.join(ROOT, "tests", "lib", "testbed.py"), None),
                                 (os.path.join(ROOT, "service", "core", "errors.h"), None)):
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
# The other side: a hostile modem and a hostile pppd.

NONCHARACTERS = [chr(code) for code in range(0xfdd0, 0xfdf0)] + [chr(plane << 16 | low) for plane in range(17)
                                                                 for low in (0xfffe, 0xffff)]


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


class HostileBytes:
    """Random bytes of the kinds that broke the daemon's text: noncharacters, C1 controls,
    terminal escape sequences, bytes that are not UTF-8, and lines without end."""

    def __init__(self, rng):
        self.rng = rng

    def piece(self):
        rng = self.rng
        kind = rng.randrange(9)
        if kind == 0:
            return rng.choice(NONCHARACTERS).encode()
        if kind == 1:
            return chr(rng.randrange(0x80, 0xa0)).encode()  # C1, U+009B (CSI) among them
        if kind == 2:
            return rng.choice([b"\x1b[2J", b"\x1b]0;owned\x07", b"\x1b[31m", b"\x1bP", b"\x1b", b"\x07", b"\x08",
                               b"\x00", b"\r", b"\x7f", b"\x9b"])
        if kind == 3:  # not UTF-8: stray, overlong, surrogate, truncated, beyond U+10FFFF
            return rng.choice([b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82",
                               b"\xf4\x90\x80\x80", b"\xf0\x9f", b"\xc3"])
        if kind == 4:
            return bytes(rng.randrange(256) for _ in range(rng.randint(1, 24)))
        if kind == 5:
            return rng.choice(["é", "€", "\U0001f4f6", "\ufeff", "\u202e", "\ufffd"]).encode()
        return "".join(chr(rng.randint(0x20, 0x7e)) for _ in range(rng.randint(1, 12))).encode()

    def line(self, prefix=b""):
        return prefix + b"".join(self.piece() for _ in range(self.rng.randint(0, 12)))

    def endless(self):
        """A line longer than any reader keeps (the daemon cuts at 4 KiB)."""
        return b"".join(self.piece() for _ in range(1500)) + b"x" * self.rng.choice([0, 5000, 20000])

    def text(self, prefixes):
        lines = []
        for _ in range(self.rng.randint(1, 8)):
            if self.rng.random() < 0.08:
                lines.append(self.endless())
            else:
                lines.append(self.line(self.rng.choice(prefixes)))
        ending = self.rng.choice([b"\n", b"\r\n", b"\r", b""])
        return ending.join(lines) + ending


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
