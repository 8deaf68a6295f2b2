# SPDX-License-Identifier: GPL-2.0-or-later
"""Junk from one seeded random stream, for the D-Bus fuzzer: D-Bus types, signatures and values
typed for dbus-python (Junk), and the bytes a hostile modem or pppd sends (HostileBytes)."""
import dbus

from dbus_wire import split_types
from target import MODEM_PREFIX, MODEMS, NONCHARACTERS, PROPERTIES, ROOT_PATH
from testbed import MODEM_IFACE

BASIC_TYPES = "ybnqiuxtdsog"


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
