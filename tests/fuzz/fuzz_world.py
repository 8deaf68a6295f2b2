# SPDX-License-Identifier: GPL-2.0-or-later
"""The D-Bus fuzzer's world and its calls: one dialupd on a private bus with three modems
(m0 and m1 on ptys with a stand-in pppd, `gone` on a tty that does not exist), shared by the
cases and checked after each (World); calls sent asynchronously and every reply judged
against what the call may get (Fuzzer)."""
import collections
import os
import time
import xml.etree.ElementTree as ElementTree

import dbus
from gi.repository import GLib

from target import (BUS_NAME, CALL_TIMEOUT, DAEMON_ERRORS, DBUS_ERROR, ERROR, INCONSISTENT_MESSAGE,
                    MODEM_PREFIX, MODEMS, PROPERTIES, ROOT_PATH, STANDARD_ERRORS, has_noncharacter)
from testbed import MODEM_IFACE, PATIENCE, Bus, Daemon, Scratch, config_for, stand_in_pppd, wait_until


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
