# SPDX-License-Identifier: GPL-2.0-or-later
"""Debian's ModemManager (1.20) beside dialupd in the guest, with the simulated EC25 plugged in.

ModemManager is never installed: tools/install-deps unpacks it and the libraries it needs into
/var/lib/dialupd-test/modemmanager, and it runs from there on the scenario's private bus (with
its package's bus policy), seeing the same udev as dialupd: umockdev's testbed, where the EC25
comes in with the udev properties rules give its USB device and ttys. Those are ModemManager's
own (80-mm-candidate.rules: ID_MM_CANDIDATE on every tty; 77-mm-quectel-port-types.rules: the
EC25's port types) and, with the policy, ours (78-dialupd.rules, whose output `udevadm test`
checks in tests/udev/test_udev_rules.py: ID_MM_DEVICE_IGNORE=1 on the USB device and every tty,
ID_MM_PORT_IGNORE=1 on the modem port). umockdev's preload wraps ioctl() in a way that fails
some tty ioctls on the simulator's ptys; pty_ioctl_passthrough.c, compiled here, passes those to
the kernel for ModemManager.

What ModemManager opens is read from /proc/<pid>/fd, sampled while it works: the simulator's
ptys behind /dev/ttyUSB2 (AT port) and /dev/ttyUSB3 (modem port). docs/MODEMMANAGER.md has the
findings and the policy."""
import os
import re
import subprocess
import threading
import time

import dbus

from checks import connect
from world import PATIENCE, wait_until

MM_ROOT = "/var/lib/dialupd-test/modemmanager"
MM_LIBS = os.path.join(MM_ROOT, "usr", "lib", "x86_64-linux-gnu")
MM_NAME = "org.freedesktop.ModemManager1"
SHIM_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pty_ioctl_passthrough.c")

# The EC25's udev properties from ModemManager's own rules (Debian's 1.20.4 rules files).
MM_RULES = {0: {"ID_MM_CANDIDATE": "1", "ID_MM_PORT_TYPE_QCDM": "1"},
            1: {"ID_MM_CANDIDATE": "1", "ID_MM_PORT_TYPE_GPS": "1"},
            2: {"ID_MM_CANDIDATE": "1", "ID_MM_PORT_TYPE_AT_PRIMARY": "1"},
            3: {"ID_MM_CANDIDATE": "1", "ID_MM_PORT_TYPE_AT_SECONDARY": "1"},
            4: {"ID_MM_CANDIDATE": "1"}}
# What 78-dialupd.rules adds for an EC25 (modem port: interface 3).
DIALUPD_RULES = {"usb": {"ID_MM_DEVICE_IGNORE": "1"},
                 **{number: {"ID_MM_DEVICE_IGNORE": "1"} for number in range(5)}}
DIALUPD_RULES[3] = {"ID_MM_DEVICE_IGNORE": "1", "ID_MM_PORT_IGNORE": "1", "SYSTEMD_WANTS": "dialupd.service"}


# The per-port spelling alone, as 78-dialupd.rules had it before: the modem port only.
PORT_IGNORE_ONLY = {3: {"ID_MM_PORT_IGNORE": "1", "SYSTEMD_WANTS": "dialupd.service"}}


def properties(ours):
    """ModemManager's rules' properties plus `ours` (DIALUPD_RULES, PORT_IGNORE_ONLY or none)."""
    merged = {key: dict(value) for key, value in MM_RULES.items()}
    for key, value in (ours or {}).items():
        merged.setdefault(key, {}).update(value)
    return merged


class ModemManager:
    """ModemManager on the world's bus, seeing the world's umockdev testbed; `opened` collects
    every /dev/pts path its fds pointed at while sampling ran."""

    def __init__(self, world):
        self.log_dir = world.log_dir
        shim = os.path.join(world.scratch, "pty_ioctl_passthrough.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", shim, SHIM_SOURCE, "-ldl"], check=True)
        world.bus.add_policy(MM_NAME + ".conf",
                             open(os.path.join(MM_ROOT, "etc", "dbus-1", "system.d", MM_NAME + ".conf")).read())
        env = dict(os.environ, **world.usb.env())
        env["LD_PRELOAD"] = shim + " " + env["LD_PRELOAD"]
        env["LD_LIBRARY_PATH"] = MM_LIBS
        env["DBUS_SYSTEM_BUS_ADDRESS"] = world.bus.address
        self.log_path = os.path.join(world.log_dir, "ModemManager.log")
        self.stderr = open(os.path.join(world.log_dir, "ModemManager.stderr"), "w")
        self.process = subprocess.Popen(
            [os.path.join(MM_ROOT, "usr", "sbin", "ModemManager"), "--debug", "--log-level=DEBUG",
             "--log-timestamps", f"--log-file={self.log_path}", f"--test-plugin-dir={MM_LIBS}/ModemManager"],
            env=env, stdout=self.stderr, stderr=self.stderr)
        self.opened = set()
        self._sampling = True
        connection = world.daemon.connection
        if not wait_until(lambda: connection.name_has_owner(MM_NAME) or self.process.poll() is not None, PATIENCE) \
                or self.process.poll() is not None:
            raise RuntimeError(f"ModemManager did not come up: {self.log_text()[-2000:]}")
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self):
        fd_dir = f"/proc/{self.process.pid}/fd"
        while self._sampling:
            try:
                for fd in os.listdir(fd_dir):
                    try:
                        target = os.readlink(os.path.join(fd_dir, fd))
                    except OSError:
                        continue
                    if target.startswith("/dev/"):
                        self.opened.add(target)
            except OSError:
                return
            time.sleep(0.01)

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as log:
                return log.read()
        except OSError:
            return ""

    def stop(self):
        self._sampling = False
        self._sampler.join()
        self.process.terminate()
        try:
            self.process.wait(PATIENCE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.close()


def ports():
    """The simulator's ptys: {"at": /dev/pts/N, "modem": /dev/pts/M}."""
    return {"at": os.path.realpath("/dev/ttyUSB2"), "modem": os.path.realpath("/dev/ttyUSB3")}


def plug_beside(world, ours):
    """ModemManager is started, then the EC25 is plugged in with the rules' properties; returns
    ModemManager once it has taken up or filtered each of the module's serial ports (its log
    says so for each)."""
    mm = ModemManager(world)
    world.plug(properties=properties(ours))

    def dealt_with(name):
        log = mm.log_text()
        return f"(tty/{name}): port filtered" in log or f"(tty/{name}) port allowed" in log

    if not wait_until(lambda: dealt_with("ttyUSB2") and dealt_with("ttyUSB3"), PATIENCE):
        raise AssertionError("ModemManager did not report the EC25's ports:\n" + mm.log_text()[-3000:])
    return mm


def record(world, mm, outcome):
    """What was seen, for docs/MODEMMANAGER.md: the scenario's observed.txt."""
    with open(os.path.join(world.log_dir, "observed.txt"), "w") as out:
        out.write(f"ModemManager opened: {sorted(mm.opened)}\nports: {ports()}\nConnect: {outcome}\n"
                  f"Hangup: {world.modem.hangups[-1] if world.modem.hangups else None}\n")


def connect_outcome(world):
    try:
        connect(world, apn="internet", wait=dbus.Boolean(True))
        return "connected"
    except dbus.DBusException as error:
        return f"{error.get_dbus_name()}: {error.get_dbus_message()}"


def sim_at_port_commands(world):
    """The commands the simulated module was sent on its AT port (from its log)."""
    with open(os.path.join(world.log_dir, "modem-sim.log"), errors="replace") as log:
        return re.findall(r"\] at -> '(.*)'", log.read())


def scenario_modemmanager_beside_dialupd(world):
    """With our rules' properties ModemManager leaves the whole module alone: it filters every
    port of it ("device is blocklisted"), opens none (sampled through its probing window and a
    whole call) and dialupd's call works."""
    mm = plug_beside(world, DIALUPD_RULES)
    try:
        for name in ("ttyUSB0", "ttyUSB1", "ttyUSB2", "ttyUSB3", "ttyUSB4"):
            filtered = f"(tty/{name}): port filtered: device is blocklisted"
            assert wait_until(lambda: filtered in mm.log_text(), PATIENCE), f"{name}: {mm.log_text()[-3000:]}"
        # A filtered port is never probed; a window of its own all the same (a slow machine
        # cannot make it fail), in which ModemManager would have opened what it probes.
        wait_until(lambda: False, 5)
        outcome = connect_outcome(world)
        record(world, mm, outcome)
        assert outcome == "connected", outcome
        world.modem.iface.Disconnect()
        assert wait_until(lambda: world.modem.get("State") == "disconnected", PATIENCE), world.modem.get("State")
        port = ports()
        assert not (mm.opened & set(port.values())), f"ModemManager opened {mm.opened} (ports {port})"
        assert "GCAP" not in " ".join(sim_at_port_commands(world)), sim_at_port_commands(world)
    finally:
        mm.stop()


def scenario_modemmanager_port_ignore_only(world):
    """With ID_MM_PORT_IGNORE on the modem port only, ModemManager leaves the modem port alone but
    takes the AT port: it opens it and sends the module its own commands there, on the port
    dialupd listens to for the live status and asks for the readiness check and the snapshot."""
    mm = plug_beside(world, PORT_IGNORE_ONLY)
    try:
        port = ports()
        assert wait_until(lambda: port["at"] in mm.opened, PATIENCE), f"ModemManager opened {mm.opened} ({port})"
        assert wait_until(lambda: "AT+GCAP" in sim_at_port_commands(world), PATIENCE), sim_at_port_commands(world)
        outcome = connect_outcome(world)
        record(world, mm, outcome)
        assert port["modem"] not in mm.opened, f"ModemManager opened the modem port: {mm.opened} ({port})"
    finally:
        mm.stop()


def scenario_modemmanager_without_the_policy(world):
    """Without our rules' properties ModemManager probes every port of the module, the modem port
    among them, makes a modem of it with the AT port as its primary port and the modem port as a
    secondary AT port, and sends the module its own commands on the AT port dialupd listens to.
    Whether dialupd's dial then works depends on when it comes (docs/MODEMMANAGER.md): the
    outcome is recorded, not asserted."""
    mm = plug_beside(world, None)
    try:
        port = ports()
        assert wait_until(lambda: port["modem"] in mm.opened and port["at"] in mm.opened, PATIENCE), \
            f"ModemManager opened {mm.opened} (ports {port})\n{mm.log_text()[-3000:]}"
        assert wait_until(lambda: "tty/ttyUSB2 at (primary)" in mm.log_text()
                          and "tty/ttyUSB3 at (secondary)" in mm.log_text(), PATIENCE), mm.log_text()[-3000:]
        assert wait_until(lambda: "AT+GCAP" in sim_at_port_commands(world), PATIENCE), sim_at_port_commands(world)
        record(world, mm, connect_outcome(world))
    finally:
        mm.stop()
