# SPDX-License-Identifier: GPL-2.0-or-later
"""Test bed for dialupd against real parts, shared by the D-Bus integration tests on the host
and the real-PPP scenarios in the guest: a private dbus-daemon with the project's policy,
dialupd started on it, and a D-Bus client that records what a subscriber sees (State changes,
Hangup signals). Use Debian's /usr/bin/python3 (python3-dbus, python3-gi)."""
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

ROOT = os.environ.get("DIALUPD_SOURCE_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DIALUPD = os.environ.get("DIALUPD_BIN", os.path.join(ROOT, "build", "service", "dialupd"))
PLUGIN = os.environ.get("DIALUPD_PLUGIN", os.path.join(ROOT, "build", "service", "dialupd-pppd-plugin.so"))
DIALUPCTL = os.environ.get("DIALUPCTL_BIN", os.path.join(ROOT, "build", "client", "dialupctl"))
MODEM_IFACE = "org.dialupd1.Modem"
ERROR = "org.dialupd1.Error."

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)

# How long a test waits for something that must happen (a daemon's READY=1, a signal, a
# process's exit) before it fails. Generous on purpose: CI shares two cores with other work, and
# a wait for an event ends as soon as the event comes, so a long bound costs a passing run
# nothing. DIALUPD_TEST_PATIENCE overrides it (seconds). Waits that prove something does NOT
# happen keep their own short windows: they cannot fail because the machine is slow.
PATIENCE = float(os.environ.get("DIALUPD_TEST_PATIENCE", "90"))


def wait_until(condition, timeout, step=0.05):
    """Iterates the GLib main context (signals arrive through it) until condition() or timeout."""
    deadline = time.monotonic() + timeout
    context = GLib.MainContext.default()
    while time.monotonic() < deadline:
        while context.pending():
            context.iteration(False)
        if condition():
            return True
        time.sleep(step)
    while context.pending():
        context.iteration(False)
    return condition()


class Bus:
    """dbus-daemon on a socket of our own, with the system bus's default-deny policy plus ours."""

    def __init__(self, scratch, privileged_group="netdev"):
        policy_in = os.path.join(ROOT, "dbus", "org.dialupd1.conf.in")
        self.policy_dir = os.path.join(scratch, "system.d")
        os.makedirs(self.policy_dir, exist_ok=True)
        with open(policy_in) as source, open(os.path.join(scratch, "system.d", "org.dialupd1.conf"), "w") as target:
            target.write(source.read().replace("@PRIVILEGED_GROUP@", privileged_group))
        self.socket = os.path.join(scratch, "system_bus_socket")
        config = os.path.join(scratch, "bus.conf")
        with open(config, "w") as out:
            out.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={self.socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <policy user="root"><allow send_type="method_call" send_destination="org.freedesktop.DBus"/></policy>
  <includedir>{scratch}/system.d</includedir>
</busconfig>
""")
        self.address = f"unix:path={self.socket}"
        self.process = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The socket file appears at bind(), a moment before listen(): wait until it accepts.
        if not wait_until(lambda: self._accepting() or self.process.poll() is not None, PATIENCE) \
                or self.process.poll() is not None:
            raise RuntimeError(f"dbus-daemon did not start (exit status {self.process.poll()})")

    def _accepting(self):
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(self.socket)
            except OSError:
                return False
        return True

    def add_policy(self, name, text):
        """Another service's bus policy (what a package puts in /usr/share/dbus-1/system.d), in
        force once this returns: dbus-daemon re-reads its config when told to (ReloadConfig
        answers after the reload). User names in it are looked up then."""
        with open(os.path.join(self.policy_dir, name), "w") as out:
            out.write(text)
        connection = dbus.bus.BusConnection(self.address)
        try:
            connection.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "ReloadConfig", "", [], timeout=PATIENCE)
        finally:
            connection.close()

    def stop(self):
        self.process.terminate()
        self.process.wait(PATIENCE)



class Daemon:
    """dialupd on `bus` with `config` (the file's text); stderr goes to log_dir/dialupd.log.
    `wrapper`: a command that execs the daemon's command line given after it (a sandbox).
    With `wait`, returns once the daemon said READY=1 on a notify socket of ours, as systemd
    waits for a Type=notify unit (extra_env may bring its own NOTIFY_SOCKET: the bus name then
    says it), within PATIENCE; the log is read after that wait, so a failure shows it whole."""

    def __init__(self, bus, config, log_dir, wait=True, extra_env=None, log_level="debug", wrapper=()):
        os.makedirs(log_dir, exist_ok=True)
        self.config = os.path.join(log_dir, "dialupd.conf")
        with open(self.config, "w") as out:
            out.write(config)
        self.log_path = os.path.join(log_dir, "dialupd.log")
        self.log = open(self.log_path, "w")
        # DIALUPD_PLUGIN, as `meson devenv` sets it: the built plugin when a config sets no plugin =.
        env = {"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": bus.address, "DIALUPD_PLUGIN": PLUGIN}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "MALLOC_PERTURB_"):
            if name in os.environ:
                env[name] = os.environ[name]
        self._notify = None
        if wait and "NOTIFY_SOCKET" not in (extra_env or {}):
            self._notify = NotifySocket()
            env["NOTIFY_SOCKET"] = self._notify.path
        env.update(extra_env or {})
        self.process = subprocess.Popen([*wrapper, DIALUPD, "--config", self.config, "--log-level", log_level],
                                        stdout=self.log, stderr=self.log, env=env)
        self.connection = dbus.bus.BusConnection(bus.address)
        if wait:
            self._wait_ready()

    def _wait_ready(self):
        def ready():
            if self._notify:
                return self._notify.received("READY=1")
            return self.connection.name_has_owner("org.dialupd1")

        started = time.monotonic()
        came_up = wait_until(lambda: ready() or self.process.poll() is not None, PATIENCE)
        if self._notify:
            self._notify.close()
        if not came_up or self.process.poll() is not None:
            status = self.process.poll()
            raise RuntimeError(f"dialupd did not come up within {time.monotonic() - started:.0f} s "
                               f"({'exit status ' + str(status) if status is not None else 'still running'}); "
                               f"its log:\n{self.log_text()}")

    def modem(self, modem_id):
        return ModemClient(self.connection, modem_id)

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as log:
            return log.read()

    def stop(self):
        """SIGTERM, as systemd would; returns the exit status (again on a second call)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(PATIENCE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return f"killed after {PATIENCE:.0f} s"
        if not self.log.closed:
            self.log.close()
        return self.process.returncode


class NotifySocket:
    """The service manager's side of sd_notify: a datagram socket whose messages are collected.
    In the abstract namespace ("@name", which sd_notify accepts): no file to place where a
    sandboxed daemon can reach it, and none left behind (the guest's hostfs has no sockets)."""

    def __init__(self):
        import socket

        name = f"dialupd-test-notify-{os.getpid()}-{time.monotonic_ns()}"
        self.path = "@" + name
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind("\0" + name)
        self.socket.setblocking(False)
        self.messages = []

    def received(self, assignment):
        while True:
            try:
                self.messages.append(self.socket.recv(4096).decode(errors="replace"))
            except BlockingIOError:
                break
        return any(assignment in message.split("\n") for message in self.messages)

    def close(self):
        self.socket.close()


class ModemClient:
    """One modem object as a client sees it: calls, properties, and the signals it emits."""

    def __init__(self, connection, modem_id):
        self.path = "/org/dialupd1/modem/" + modem_id
        proxy = connection.get_object("org.dialupd1", self.path, introspect=False)
        self.iface = dbus.Interface(proxy, MODEM_IFACE)
        self.properties = dbus.Interface(proxy, "org.freedesktop.DBus.Properties")
        self.states = []
        self.changed = []  # every PropertiesChanged's dict, in order
        self.hangups = []
        self.times = {}  # "State:<value>", "Hangup": when the client first received it (monotonic s)
        connection.add_signal_receiver(self._changed, "PropertiesChanged", "org.freedesktop.DBus.Properties",
                                       "org.dialupd1", self.path)
        connection.add_signal_receiver(self._hangup, "Hangup", MODEM_IFACE, "org.dialupd1", self.path)

    def _changed(self, interface, changed, invalidated):
        self.changed.append({str(name): value for name, value in changed.items()})
        if "State" in changed:
            self.states.append(str(changed["State"]))
            self.times.setdefault("State:" + str(changed["State"]), time.monotonic())

    def _hangup(self, reason, duration, log):
        self.times.setdefault("Hangup", time.monotonic())
        self.hangups.append({"code": int(reason[0]), "name": str(reason[1]), "description": str(reason[2]),
                             "duration": int(duration), "log": str(log)})

    def connect(self, wait=True, timeout=PATIENCE, **options):
        if wait:
            options["wait"] = dbus.Boolean(True)
        return self.iface.Connect(dbus.Dictionary(options, signature="sv"), timeout=timeout)

    def disconnect(self, timeout=PATIENCE):
        return self.iface.Disconnect(timeout=timeout)

    def get(self, name):
        return self.properties.Get(MODEM_IFACE, name)

    def reason(self):
        code, name, _ = self.get("LastExitReason")
        return int(code), str(name)


class Scratch:
    """A temp dir readable by an unprivileged client (the policy test runs one as nobody)."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="dialupd-it-")
        os.chmod(self.path, 0o755)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


def config_for(scratch, modems, daemon_extra="", at_ports=None, defaults=""):
    """A daemon config: our plugin, scratch dirs, [defaults] lines, and a [modem ID] section per
    fixed device."""
    stop_timeout = "" if "stop-timeout" in daemon_extra else "stop-timeout = 5\n"
    text = (f"[daemon]\nplugin = {PLUGIN}\nruntime-dir = {scratch}/run\nstate-dir = {scratch}/state\n"
            f"{stop_timeout}{daemon_extra}\n[defaults]\n{defaults}\n")
    for modem_id, device in modems.items():
        text += f"[modem {modem_id}]\ndevice = {device}\n"
        if at_ports and modem_id in at_ports:
            text += f"at-port = {at_ports[modem_id]}\n"
    return text


def stand_in_pppd(scratch, prologue):
    """A shell script in place of pppd: runs `prologue`, then sleeps as a call would."""
    wrapper = os.path.join(scratch, "pppd")
    with open(wrapper, "w") as script:
        script.write(f"#!/bin/sh\n{prologue}\nexec sleep 60\n")
    os.chmod(wrapper, 0o755)
    return wrapper


def control_request(socket_path, line):
    """One request to tools/modem-sim's control socket; returns its one-line answer."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:
        control.settimeout(PATIENCE)
        control.connect(socket_path)
        control.sendall(line.encode() + b"\n")
        return control.makefile().readline().strip()


class MonitorProcess:
    """dialupctl monitor, its output collected as it comes. Its subscriptions are in place once
    it has printed the modems present, so starting it waits for those lines (`modems` of them)."""

    def __init__(self, env, *args, modems=1):
        self.process = subprocess.Popen([DIALUPCTL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.wait_for(lambda: self.count("present") >= modems):
            raise AssertionError(f"the monitor listed no modems: {self.lines}")

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def count(self, event):
        return sum(1 for line in list(self.lines) if f'"event":"{event}"' in line.replace(" ", "")
                   or f"  {event}" in line)

    def wait_for(self, condition):
        return wait_until(lambda: condition() or self.process.poll() is not None, PATIENCE) and condition()

    def finish(self):
        """SIGINT, as a user's ^C; returns (stdout, stderr) and its exit status."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(PATIENCE)
        self.reader.join(PATIENCE)
        stderr = self.process.stderr.read()
        self.process.stderr.close()
        return "".join(self.lines), stderr


def run_tap(*case_classes):
    """Runs unittest cases and prints TAP (one line per case) so meson counts each of them."""
    import unittest

    results = []

    class Recorder(unittest.TestResult):
        def addSuccess(self, test):
            results.append((test.id(), None))

        def addFailure(self, test, err):
            results.append((test.id(), self._exc_info_to_string(err, test)))

        def addError(self, test, err):
            results.append((test.id(), self._exc_info_to_string(err, test)))

        def addSkip(self, test, reason):
            results.append((test.id(), "SKIP " + reason))

    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(case) for case in case_classes)
    print(f"1..{suite.countTestCases()}", flush=True)
    recorder = Recorder()
    number = 0
    for test in _flatten(suite):
        before = len(results)
        test.run(recorder)
        for name, problem in results[before:]:
            number += 1
            short = name.split(".", 1)[-1]
            if problem is None:
                print(f"ok {number} - {short}", flush=True)
            elif problem.startswith("SKIP "):
                print(f"ok {number} - {short} # SKIP {problem[5:]}", flush=True)
            else:
                print(f"not ok {number} - {short}", flush=True)
                for line in problem.splitlines():
                    print("# " + line, flush=True)
    return 0 if all(problem is None or problem.startswith("SKIP ") for _, problem in results) else 1


def _flatten(suite):
    for item in suite:
        if hasattr(item, "__iter__"):
            yield from _flatten(item)
        else:
            yield item
