# SPDX-License-Identifier: GPL-2.0-or-later
"""The world a real-PPP scenario runs in, inside the guest: the test bed (private bus, dialupd)
plus the simulated EC25 (tools/modem-sim) on /dev/ttyUSB3 and /dev/ttyUSB2.

Two ways the daemon learns of the modem: a fixed-port config section (the default), or, with
hotplug=True, udev as umockdev plays it: the EC25 is "plugged" on USB port 1-1 with serial
SIMEC25, its tty nodes being the simulator's links, and a config section names it by serial."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from fake_usb import FakeUsbProcess  # noqa: E402
from testbed import (PATIENCE, PLUGIN, ROOT, Bus, Daemon, MonitorProcess, control_request,  # noqa: E402,F401
                     wait_until)  # (scenarios use wait_until, PATIENCE and MonitorProcess from here)

from journal import STREAM as JOURNAL_STREAM, Journald  # noqa: E402
from resolvconf import Resolvconf  # noqa: E402
from resolved import Resolved  # noqa: E402

SIM = os.path.join(ROOT, "tools", "modem-sim")
# What tools/modem-sim's network side gives (its defaults; see its docstring).
NETWORK_IPV4 = "10.64.0.1"
NETWORK_DNS = ["10.64.0.53", "10.64.0.54"]
NETWORK_DNS6 = "2001:db8:ff::53"                   # the RA's RDNSS
NETWORK_PREFIX = "2001:db8:64::/64"                # advertised: SLAAC gives the client <prefix>::2
NETWORK_IPV6 = "2001:db8:64::1"                    # the network's end of the link
TEST_NAME = "only-over-the-link.test"              # only the network's DNS server knows it
INTERNET_HOST = ["10.64.0.80", "2001:db8:ff::80"]  # what TEST_NAME resolves to; answers pings
MODEM_ID = "ec25"
MODEM_PATH = "/org/dialupd1/modem/" + MODEM_ID
USB_PORT = "1-1"
USB_SERIAL = "SIMEC25"


class Simulator:
    """tools/modem-sim: the EC25's modem port at /dev/ttyUSB3, its AT port at /dev/ttyUSB2 (unless
    told other links)."""

    def __init__(self, scratch, log_dir, faults=(), extra=(), modem_link="/dev/ttyUSB3", at_link="/dev/ttyUSB2"):
        os.makedirs(log_dir, exist_ok=True)
        self.control = os.path.join(scratch, "sim.sock")
        ready = os.path.join(scratch, "sim.ready")
        command = [SIM, "--modem-link", modem_link, "--at-link", at_link, "--log",
                   os.path.join(log_dir, "modem-sim.log"), "--control", self.control, "--ready-file", ready,
                   "--network-netns", "network"]
        for fault in faults:
            command += ["--fault", fault]
        command += list(extra)
        self.stderr = open(os.path.join(log_dir, "modem-sim.stderr"), "w")
        # The guest's mount table is its own: the simulator may bind its secrets over /etc/ppp.
        self.process = subprocess.Popen(command, stdout=self.stderr, stderr=self.stderr,
                                        env={"PATH": os.environ["PATH"], "MODEM_SIM_BIND_SECRETS": "1"})
        if not wait_until(lambda: os.path.exists(ready), PATIENCE):
            raise RuntimeError("modem-sim did not become ready")

    def command(self, line):
        return control_request(self.control, line)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(PATIENCE)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.stderr.close()


class World:
    """Everything one scenario needs, torn down in reverse. `daemon` is the process, `modem` the
    client's view of the ec25 object."""

    def __init__(self, log_dir, faults=(), sim_args=(), modem_settings="", daemon_settings="", device="/dev/ttyUSB3",
                 hotplug=False, usb_config=True, daemon_wrapper=(), more_modems=(), resolved=False,
                 resolvconf=False, journal=False):
        """hotplug: the modem comes from udev (umockdev); usb_config: a config section names it
        "ec25" by serial (else it gets its own id, ec25_SIMEC25, and the [defaults]);
        daemon_wrapper: a command the daemon runs under (tests/guest/unit-sandbox);
        more_modems: further fixed-port modems, each (id, modem link, AT link, simulator args):
        a simulator of their own serves the links (scratch and logs in <id>/: give it its own
        --local-ip/--remote-ip), or with args None the device does not exist;
        resolved: systemd-resolved runs on the bus before the daemon starts (`self.resolved`, see
        tests/guest/resolved.py; the guest's /etc/resolv.conf points at its stub meanwhile);
        resolvconf: Debian's resolvconf is "installed" as /sbin/resolvconf before the daemon
        starts (`self.resolvconf`, see tests/guest/resolvconf.py; the guest's /etc/resolv.conf is
        the one it generates meanwhile);
        journal: the real systemd-journald runs before the daemon starts and the daemon runs as a
        systemd service would, its stderr journald's stream (`self.journal`, see
        tests/guest/journal.py; the daemon's lines are then in the journal, not in its log file)."""
        self.scratch = tempfile.mkdtemp(prefix="world-", dir="/run")
        self.log_dir = log_dir
        os.makedirs(log_dir, exist_ok=True)
        self.bus = Bus(self.scratch)
        # Before anything binds over /etc (resolved's users, the simulator's secrets): its overlay
        # over /etc would hide those mounts.
        self.resolvconf = Resolvconf(self.scratch, log_dir) if resolvconf else None
        self.resolved = Resolved(self.bus, self.scratch, log_dir) if resolved else None
        self.journal = Journald(log_dir) if journal else None
        if journal:
            daemon_wrapper = (JOURNAL_STREAM, "dialupd", *daemon_wrapper)
        self.sim = Simulator(self.scratch, log_dir, faults, sim_args)
        plugin = "" if "plugin" in daemon_settings else f"plugin = {PLUGIN}\n"
        config = (f"[daemon]\n{plugin}runtime-dir = {self.scratch}/run\nstate-dir = {self.scratch}/state\n"
                  f"pppd-debug = yes\n{daemon_settings}\n")
        self.usb = FakeUsbProcess(tmpdir=self.scratch) if hotplug else None
        self.modem_id = MODEM_ID
        if hotplug and usb_config:
            config += f"[modem {MODEM_ID}]\nusb-serial = {USB_SERIAL}\n{modem_settings}\n"
        elif hotplug:
            self.modem_id = f"ec25_{USB_SERIAL}"
        else:
            config += f"[modem {MODEM_ID}]\ndevice = {device}\nat-port = /dev/ttyUSB2\n{modem_settings}\n"
        self.more_sims = {}  # id -> Simulator of more_modems
        for modem_id, modem_link, at_link, args in more_modems:
            if args is not None:
                scratch = os.path.join(self.scratch, modem_id)
                os.makedirs(scratch)
                self.more_sims[modem_id] = Simulator(scratch, os.path.join(log_dir, modem_id), extra=args,
                                                     modem_link=modem_link, at_link=at_link)
            config += f"[modem {modem_id}]\ndevice = {modem_link}\nat-port = {at_link}\n"
        self._daemon_args = (config, self.usb.env() if hotplug else None, daemon_wrapper)
        self.daemon = Daemon(self.bus, config, log_dir, extra_env=self._daemon_args[1], wrapper=daemon_wrapper)
        self.modem = self.daemon.modem(self.modem_id)
        self.events = []  # "Hangup" and "InterfacesRemoved"/"InterfacesAdded" of the modem, in order
        self.times = {}   # "Hangup", "State:<value>": when the client last received it (monotonic s)
        connection = self.daemon.connection
        connection.add_signal_receiver(lambda *args: self._event("Hangup"), "Hangup", "org.dialupd1.Modem",
                                       "org.dialupd1", self.modem.path)
        connection.add_signal_receiver(
            lambda interface, changed, invalidated: self._event(f"State:{changed['State']}") if "State" in changed
            else None, "PropertiesChanged", "org.freedesktop.DBus.Properties", "org.dialupd1", self.modem.path)
        for name in ("InterfacesAdded", "InterfacesRemoved"):
            connection.add_signal_receiver(
                lambda path, *rest, name=name: self.events.append(name) if path == self.modem.path else None, name,
                "org.freedesktop.DBus.ObjectManager", "org.dialupd1", "/org/dialupd1")
        if hotplug and usb_config:
            self.plug()

    def _event(self, name):
        self.times[name] = time.monotonic()
        if name == "Hangup":
            self.events.append(name)

    def modem_present(self):
        manager = self.daemon.connection.get_object("org.dialupd1", "/org/dialupd1")
        objects = manager.GetManagedObjects(dbus_interface="org.freedesktop.DBus.ObjectManager")
        return self.modem.path in objects

    def plug(self, wait=True, properties=None):
        """The EC25 comes in: its ttys (the simulator's) and its USB device (umockdev).
        `properties`: the udev properties rules give it (FakeUsb.plug), none by default."""
        if not os.path.lexists("/dev/ttyUSB3"):
            self.sim.command("plug")
        self.usb.plug(USB_PORT, USB_SERIAL, first_tty=0, properties=properties)
        if wait and not wait_until(self.modem_present, PATIENCE):
            raise RuntimeError("the plugged modem did not appear: " + self.daemon.log_text()[-2000:])

    def unplug(self):
        """The EC25 is pulled out: its ttys hang up and go, then udev reports the removal."""
        self.sim.command("unplug")
        self.usb.unplug(USB_PORT)

    def start_another_daemon(self):
        """A new dialupd with the same config (the previous one has died); its log goes to
        second-daemon/dialupd.log. `modem` becomes the client's view through it."""
        config, extra_env, wrapper = self._daemon_args
        self.daemon = Daemon(self.bus, config, os.path.join(self.log_dir, "second-daemon"), extra_env=extra_env,
                             wrapper=wrapper)
        self.modem = self.daemon.modem(self.modem_id)

    def close(self):
        exit_code = self.daemon.stop()
        if self.usb:
            self.usb.stop()
        self.sim.stop()
        for sim in self.more_sims.values():
            sim.stop()
        if self.resolved:
            self.resolved.stop()
        if self.journal:
            self.journal.stop()
        self.bus.stop()
        # Last, when every process of the scenario is gone: nothing keeps its overlays busy.
        if self.resolvconf:
            self.resolvconf.stop()
        return exit_code
