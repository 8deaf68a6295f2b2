"""The world a real-PPP scenario runs in, inside the guest: a private system bus with the
project's policy, the simulated EC25 (tools/modem-sim), dialupd configured for it, and a D-Bus
client that records what a subscriber sees (State changes, Hangup signals)."""
import os
import signal
import subprocess
import tempfile
import time

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

ROOT = os.environ.get("DIALUPD_SOURCE_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DIALUPD = os.environ.get("DIALUPD_BIN", os.path.join(ROOT, "build", "service", "dialupd"))
PLUGIN = os.environ.get("DIALUPD_PLUGIN", os.path.join(ROOT, "build", "service", "dialupd-pppd-plugin.so"))
SIM = os.path.join(ROOT, "tools", "modem-sim")
MODEM_PATH = "/org/dialupd1/modem/ec25"
MODEM_IFACE = "org.dialupd1.Modem"

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)


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

    def __init__(self, scratch):
        policy_in = os.path.join(ROOT, "dbus", "org.dialupd1.conf.in")
        os.makedirs(os.path.join(scratch, "system.d"), exist_ok=True)
        with open(policy_in) as source, open(os.path.join(scratch, "system.d", "org.dialupd1.conf"), "w") as target:
            target.write(source.read().replace("@PRIVILEGED_GROUP@", "netdev"))
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
        if not wait_until(lambda: os.path.exists(self.socket), 10):
            raise RuntimeError("dbus-daemon did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


class Simulator:
    """tools/modem-sim: the EC25's modem port at /dev/ttyUSB3, its AT port at /dev/ttyUSB2."""

    def __init__(self, scratch, log_dir, faults=(), extra=()):
        self.control = os.path.join(scratch, "sim.sock")
        ready = os.path.join(scratch, "sim.ready")
        command = [SIM, "--modem-link", "/dev/ttyUSB3", "--at-link", "/dev/ttyUSB2", "--log",
                   os.path.join(log_dir, "modem-sim.log"), "--control", self.control, "--ready-file", ready]
        for fault in faults:
            command += ["--fault", fault]
        command += list(extra)
        self.stderr = open(os.path.join(log_dir, "modem-sim.stderr"), "w")
        # The guest's mount table is its own: the simulator may bind its secrets over /etc/ppp.
        self.process = subprocess.Popen(command, stdout=self.stderr, stderr=self.stderr,
                                        env={"PATH": os.environ["PATH"], "MODEM_SIM_BIND_SECRETS": "1"})
        if not wait_until(lambda: os.path.exists(ready), 10):
            raise RuntimeError("modem-sim did not become ready")

    def command(self, line):
        import socket
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:
            control.settimeout(5)
            control.connect(self.control)
            control.sendall(line.encode() + b"\n")
            return control.makefile().readline().strip()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.stderr.close()


class Daemon:
    """dialupd with one modem, ec25, on the simulator's ports."""

    def __init__(self, bus, scratch, log_dir, modem_settings="", daemon_settings="", device="/dev/ttyUSB3"):
        self.config = os.path.join(scratch, "dialupd.conf")
        with open(self.config, "w") as out:
            plugin = "" if "plugin" in daemon_settings else f"plugin = {PLUGIN}\n"
            out.write(f"[daemon]\n{plugin}runtime-dir = {scratch}/run\npppd-debug = yes\n{daemon_settings}\n"
                      f"[modem ec25]\ndevice = {device}\nat-port = /dev/ttyUSB2\n{modem_settings}\n")
        self.log_path = os.path.join(log_dir, "dialupd.log")
        self.log = open(self.log_path, "w")
        env = {"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": bus.address}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        self.process = subprocess.Popen([DIALUPD, "--config", self.config, "--log-level", "debug"],
                                        stdout=self.log, stderr=self.log, env=env)
        self.connection = dbus.bus.BusConnection(bus.address)
        if not wait_until(lambda: self.connection.name_has_owner("org.dialupd1") or self.process.poll() is not None, 10) \
                or self.process.poll() is not None:
            raise RuntimeError("dialupd did not come up: " + self.log_text())
        self.modem = dbus.Interface(self.connection.get_object("org.dialupd1", MODEM_PATH), MODEM_IFACE)
        self.properties = dbus.Interface(self.connection.get_object("org.dialupd1", MODEM_PATH),
                                         "org.freedesktop.DBus.Properties")
        self.states = []
        self.hangups = []
        self.connection.add_signal_receiver(self._changed, "PropertiesChanged", "org.freedesktop.DBus.Properties",
                                            "org.dialupd1", MODEM_PATH)
        self.connection.add_signal_receiver(self._hangup, "Hangup", MODEM_IFACE, "org.dialupd1", MODEM_PATH)

    def _changed(self, interface, changed, invalidated):
        if "State" in changed:
            self.states.append(str(changed["State"]))

    def _hangup(self, reason, duration, log):
        self.hangups.append({"code": int(reason[0]), "name": str(reason[1]), "description": str(reason[2]),
                             "duration": int(duration), "log": str(log)})

    def get(self, name):
        return self.properties.Get(MODEM_IFACE, name)

    def reason(self):
        code, name, _ = self.get("LastExitReason")
        return int(code), str(name)

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as log:
            return log.read()

    def stop(self):
        """SIGTERM, as systemd would; returns the exit status (again on a second call)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return "killed after 40 s"
        if not self.log.closed:
            self.log.close()
        return self.process.returncode


class World:
    """Everything one scenario needs, torn down in reverse."""

    def __init__(self, log_dir, faults=(), sim_args=(), modem_settings="", daemon_settings="", device="/dev/ttyUSB3"):
        self.scratch = tempfile.mkdtemp(prefix="world-", dir="/run")
        self.log_dir = log_dir
        os.makedirs(log_dir, exist_ok=True)
        self.bus = Bus(self.scratch)
        self.sim = Simulator(self.scratch, log_dir, faults, sim_args)
        self.daemon = Daemon(self.bus, self.scratch, log_dir, modem_settings, daemon_settings, device)

    def close(self):
        exit_code = self.daemon.stop()
        self.sim.stop()
        self.bus.stop()
        return exit_code
