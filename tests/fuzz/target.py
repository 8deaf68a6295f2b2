# SPDX-License-Identifier: GPL-2.0-or-later
"""What the D-Bus fuzzer aims at: dialupd's bus name, paths and interfaces, the answers a caller
may get (the bus's and sd-bus's standard errors, the names service/core/bus_names.h defines), and
what sd-bus refuses in a string (Unicode noncharacters)."""
import os
import re

from testbed import ERROR, PATIENCE, ROOT

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


def daemon_error_names():
    """The names service/core/bus_names.h defines, less Internal (an exception nobody expected)."""
    names = set()
    with open(os.path.join(ROOT, "service", "core", "bus_names.h")) as header:
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


NONCHARACTERS = [chr(code) for code in range(0xfdd0, 0xfdf0)] + [chr(plane << 16 | low) for plane in range(17)
                                                                 for low in (0xfffe, 0xffff)]
