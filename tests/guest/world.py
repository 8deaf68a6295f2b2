"""The world a real-PPP scenario runs in, inside the guest: the test bed (private bus, dialupd)
plus the simulated EC25 (tools/modem-sim) on /dev/ttyUSB3 and /dev/ttyUSB2."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import PLUGIN, ROOT, Bus, Daemon, control_request, wait_until  # noqa: E402,F401 (scenarios use wait_until)

SIM = os.path.join(ROOT, "tools", "modem-sim")
MODEM_ID = "ec25"
MODEM_PATH = "/org/dialupd1/modem/" + MODEM_ID


class Simulator:
    """tools/modem-sim: the EC25's modem port at /dev/ttyUSB3, its AT port at /dev/ttyUSB2."""

    def __init__(self, scratch, log_dir, faults=(), extra=()):
        self.control = os.path.join(scratch, "sim.sock")
        ready = os.path.join(scratch, "sim.ready")
        command = [SIM, "--modem-link", "/dev/ttyUSB3", "--at-link", "/dev/ttyUSB2", "--log",
                   os.path.join(log_dir, "modem-sim.log"), "--control", self.control, "--ready-file", ready,
                   "--network-netns", "network"]
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
        return control_request(self.control, line)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.stderr.close()


class World:
    """Everything one scenario needs, torn down in reverse. `daemon` is the process, `modem` the
    client's view of the ec25 object."""

    def __init__(self, log_dir, faults=(), sim_args=(), modem_settings="", daemon_settings="", device="/dev/ttyUSB3"):
        self.scratch = tempfile.mkdtemp(prefix="world-", dir="/run")
        self.log_dir = log_dir
        os.makedirs(log_dir, exist_ok=True)
        self.bus = Bus(self.scratch)
        self.sim = Simulator(self.scratch, log_dir, faults, sim_args)
        plugin = "" if "plugin" in daemon_settings else f"plugin = {PLUGIN}\n"
        config = (f"[daemon]\n{plugin}runtime-dir = {self.scratch}/run\npppd-debug = yes\n{daemon_settings}\n"
                  f"[modem {MODEM_ID}]\ndevice = {device}\nat-port = /dev/ttyUSB2\n{modem_settings}\n")
        self.daemon = Daemon(self.bus, config, log_dir)
        self.modem = self.daemon.modem(MODEM_ID)

    def close(self):
        exit_code = self.daemon.stop()
        self.sim.stop()
        self.bus.stop()
        return exit_code
