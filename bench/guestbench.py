# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared by the benchmarks that need real PPP (bench/guest-*): they run in the User-mode Linux
guest that tests/guest/run-guest boots, the benchmark's own file being the guest's script.

Host side: `run_in_guest` takes the machine's guest lock (/tmp/dialupd-guest.lock, as
tests/guest/test_guest.py does), boots the guest with the benchmark's parameters as BENCH_*
variables, relays its progress lines and returns what the guest wrote to figures.json;
`report` prints the figures and writes the --json file.

Guest side (`in_guest()` is true there): `Sim` is one tools/modem-sim (a simulated EC25) on
links and addresses of its own, `start_world` a private bus and dialupd configured for a list
of them, `progress` a line the host relays. Figures are `figure(...)` dicts, one per number.
"""
import fcntl
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LOCK = "/tmp/dialupd-guest.lock"
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402 - needs the path above

_STARTED_MACHINE = None  # benchlib.machine() when run_in_guest began


def in_guest():
    return os.environ.get("BENCH_IN_GUEST") == "1"


# --- figures ------------------------------------------------------------------------------

def percentile(values, fraction):
    """Nearest-rank on the sorted values (p99 of 200 is the 198th smallest)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def figure(metric, dialupd, unit, how, baseline=None, baseline_name=None, digits=3):
    ratio = None
    if baseline is not None and dialupd is not None and baseline != 0:
        ratio = round(dialupd / baseline, 3)
    return {"metric": metric, "dialupd": None if dialupd is None else round(dialupd, digits),
            "baseline": None if baseline is None else round(baseline, digits),
            "baseline_name": baseline_name if baseline is not None else None, "ratio": ratio, "unit": unit,
            "how": how}


def distribution(name, values, baseline_values, baseline_name, unit, how, scale=1.0):
    """p50, p99, min and max of `values` against the same of `baseline_values` (both scaled)."""
    out = []
    for label, pick in (("p50", statistics.median), ("p99", lambda v: percentile(v, 0.99)), ("min", min),
                        ("max", max)):
        out.append(figure(f"{name} {label}", pick(values) * scale, unit, how,
                          pick(baseline_values) * scale if baseline_values else None, baseline_name))
    return out


# --- host side ----------------------------------------------------------------------------

def run_in_guest(name, script, params, timeout, build):
    """Boots the guest with `script` (the benchmark file) as its payload and BENCH_<KEY>=value for
    each of `params` (no spaces); returns (figures.json's content, result dir, wall seconds)."""
    build = os.path.abspath(build)
    pairs = ["BENCH_IN_GUEST=1", f"DIALUPD_SOURCE_ROOT={ROOT}", f"BENCH_BUILD={build}",
             f"DIALUPD_BIN={build}/service/dialupd", f"DIALUPD_PLUGIN={build}/service/dialupd-pppd-plugin.so"]
    pairs += [f"BENCH_{key.upper()}={value}" for key, value in params.items()]
    result = tempfile.mkdtemp(prefix=f"dialupd-{name}-")
    global _STARTED_MACHINE
    _STARTED_MACHINE = benchlib.machine()
    lock = open(LOCK, "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"{name}: another guest runs on this machine; waiting for {LOCK}", file=sys.stderr, flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)
    started = time.monotonic()
    done = threading.Event()
    relay = threading.Thread(target=_relay_progress, args=(os.path.join(result, "progress.log"), done), daemon=True)
    relay.start()
    env = dict(os.environ, GUEST_TIMEOUT=str(int(timeout)))
    boot = subprocess.run([os.path.join(ROOT, "tests", "guest", "run-guest"), script, result, *pairs],
                          capture_output=True, text=True, env=env)
    wall = time.monotonic() - started
    done.set()
    relay.join()
    lock.close()
    figures_path = os.path.join(result, "figures.json")
    if boot.returncode != 0 or not os.path.exists(figures_path):
        sys.stderr.write(boot.stdout + boot.stderr)
        error = os.path.join(result, "error.txt")
        if os.path.exists(error):
            sys.stderr.write(open(error).read())
        sys.exit(f"{name}: the guest run failed (status {boot.returncode}); logs in {result}")
    with open(figures_path) as source:
        return json.load(source), result, wall


def _relay_progress(path, done):
    offset = 0
    while True:
        finished = done.wait(2)
        if os.path.exists(path):
            with open(path) as log:
                log.seek(offset)
                text = log.read()
                offset = log.tell()
            if text:
                sys.stderr.write(text)
                sys.stderr.flush()
        if finished:
            return


def report(name, title, results, notes, json_path, wall):
    """Prints the figures (and notes) and, with json_path, writes them in the bench schema."""
    print(title)
    width = max(len(r["metric"]) for r in results)
    print(f"  {'metric':{width}}  {'dialupd':>10}  {'baseline':>10}  {'ratio':>7}  unit   baseline")
    for r in results:
        dialupd = "-" if r["dialupd"] is None else f"{r['dialupd']:.3f}".rstrip("0").rstrip(".")
        baseline = "-" if r["baseline"] is None else f"{r['baseline']:.3f}".rstrip("0").rstrip(".")
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3f}"
        print(f"  {r['metric']:{width}}  {dialupd:>10}  {baseline:>10}  {ratio:>7}  {r['unit']:5}  "
              f"{r['baseline_name'] or ''}")
    for note in notes:
        print("  note: " + note)
    print(f"  wall time {wall:.0f} s (guest boot included)", flush=True)
    if json_path:
        # The host's description and load: the guest shares its CPUs (one of them) with the host.
        benchlib.write(json_path, name, _STARTED_MACHINE or benchlib.machine(), results,
                       list(notes) + [f"wall time {wall:.0f} s, guest boot included"],
                       {"wall_seconds": round(wall, 1)})


# --- guest side ---------------------------------------------------------------------------

RESULT = os.environ.get("GUEST_RESULT", "/tmp")
SIM = os.path.join(ROOT, "tools", "modem-sim")


def progress(text):
    with open(os.path.join(RESULT, "progress.log"), "a") as log:
        log.write(f"  [guest {time.monotonic():8.1f}] {text}\n")


def guest_main(body):
    """Runs body() -> (results, notes) in the guest, writes figures.json (or error.txt)."""
    import traceback

    try:
        results, notes = body()
    except Exception:  # noqa: BLE001 - the host shows it
        import shutil

        with open(os.path.join(RESULT, "error.txt"), "w") as out:
            out.write(traceback.format_exc())
        for log_dir, name in _WORLDS:  # the logs of a world the failure left standing
            shutil.copytree(log_dir, os.path.join(RESULT, name), dirs_exist_ok=True)
        return 1
    with open(os.path.join(RESULT, "figures.json"), "w") as out:
        json.dump({"results": results, "notes": notes}, out, indent=2)
    return 0


def control_request(socket_path, line, timeout=60):
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:
        control.settimeout(timeout)
        control.connect(socket_path)
        control.sendall(line.encode() + b"\n")
        return control.makefile().readline().strip()


class Sim:
    """tools/modem-sim number `index`: an EC25's AT port and modem port as /dev/ttyUSB(4i+2) and
    /dev/ttyUSB(4i+3) (a USB EC25 has four ttys: 0 DM, 1 NMEA, 2 AT, 3 modem), its network side
    in netns "network" handing out 10.64.i.2 (peer 10.64.i.1)."""

    def __init__(self, index, scratch, log_dir, faults=()):
        self.index = index
        self.at_port = f"/dev/ttyUSB{4 * index + 2}"
        self.device = f"/dev/ttyUSB{4 * index + 3}"
        self.modem_id = f"m{index}"
        self.control = os.path.join(scratch, f"sim{index}.sock")
        self.log_dir = os.path.join(log_dir, f"sim{index}")
        os.makedirs(self.log_dir, exist_ok=True)
        ready = os.path.join(scratch, f"sim{index}.ready")
        command = [SIM, "--modem-link", self.device, "--at-link", self.at_port, "--log",
                   os.path.join(self.log_dir, "modem-sim.log"), "--control", self.control, "--ready-file", ready,
                   "--network-netns", "network", "--local-ip", f"10.64.{index}.1", "--remote-ip",
                   f"10.64.{index}.2", "--dns", f"10.64.{index}.53"]
        for fault in faults:
            command += ["--fault", fault]
        self.stderr = open(os.path.join(self.log_dir, "modem-sim.stderr"), "w")
        self.process = subprocess.Popen(command, stdout=self.stderr, stderr=self.stderr,
                                        env={"PATH": os.environ["PATH"]})
        self.ready = ready

    def wait_ready(self, timeout=300):
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.ready):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"modem-sim {self.index} did not become ready")
            time.sleep(0.05)

    def command(self, line, timeout=60):
        return control_request(self.control, line, timeout)

    def wait_command_mode(self, timeout=120):
        """Until the module is back in command mode with no call (a dial may follow)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.command("status").startswith("OK mode=command"):
                return
            time.sleep(0.05)
        raise RuntimeError(f"modem-sim {self.index} stayed out of command mode: {self.command('status')}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.close()


def daemon_config(scratch, sims, at_ports=True, modem_settings=""):
    """at_ports=False: the modems' AT ports are not configured, so no AT snapshot follows a hangup.
    modem_settings: lines added to every modem's section."""
    from testbed import PLUGIN

    config = f"[daemon]\nplugin = {PLUGIN}\nruntime-dir = {scratch}/run\nstate-dir = {scratch}/state\n"
    for sim in sims:
        config += f"[modem {sim.modem_id}]\ndevice = {sim.device}\n"
        if at_ports:
            config += f"at-port = {sim.at_port}\n"
        config += modem_settings
    return config


_WORLDS = []


_RESOLVED = {}  # bus -> the systemd-resolved start_world(resolved=True) started on it


def start_world(name, sims_wanted=1, faults=(), log_level="info", at_ports=True, resolved=False, modem_settings=""):
    """A private bus, `sims_wanted` simulators and dialupd for them (log level info, pppd's own
    debug off, as a deployment would run): (scratch, log_dir, bus, sims, daemon). Logs go to the
    guest's tmpfs while it runs (as a journal's pipe would take them, not through hostfs writes
    that would slow the daemon and the simulators); stop_world copies them to the results.
    resolved: a real systemd-resolved (tests/guest/resolved.py) takes its name on the bus before
    dialupd starts, so dialupd's `dns = auto` hands the links' DNS servers to it, as on a system
    that runs it; `resolved_of(bus)` is it (the guest's /etc/resolv.conf points at its stub).
    modem_settings: config lines for every modem's section (daemon_config)."""
    from testbed import Bus, Daemon

    scratch = tempfile.mkdtemp(prefix=f"{name}-", dir="/run")
    log_dir = os.path.join(scratch, "logs")
    os.makedirs(log_dir, exist_ok=True)
    bus = Bus(scratch)
    if resolved:
        sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
        from resolved import Resolved

        _RESOLVED[bus] = Resolved(bus, scratch, log_dir)
    if not os.path.exists("/run/netns/network"):
        # Made once here: simulators starting together would race to create it.
        subprocess.run(["ip", "netns", "add", "network"], check=True)
    sims = [Sim(index, scratch, log_dir, faults) for index in range(sims_wanted)]
    for sim in sims:
        sim.wait_ready()
    _WORLDS.append((log_dir, name))
    daemon = Daemon(bus, daemon_config(scratch, sims, at_ports, modem_settings), log_dir, log_level=log_level)
    return scratch, log_dir, bus, sims, daemon


def resolved_of(bus):
    return _RESOLVED[bus]


def stop_world(bus, sims, daemon, log_dir, name):
    """Stops it all; the logs go to $GUEST_RESULT/name. Returns dialupd's exit status."""
    import shutil

    code = daemon.stop()
    for sim in sims:
        sim.stop()
    if bus in _RESOLVED:
        _RESOLVED.pop(bus).stop()
    bus.stop()
    shutil.copytree(log_dir, os.path.join(RESULT, name), dirs_exist_ok=True)
    return code


# pppd options that forbid what the online baseline asks for (pppd 2.4.9: "-defaultroute" is
# "nodefaultroute"'s other name; both also lock the option against a later `defaultroute`).
_OFFLINE_OPTIONS = ("nodefaultroute", "-defaultroute")


def plain_argv(dialupd_argv, chat_copy, online=False):
    """dialupd's pppd command line (from /proc/PID/cmdline) made into a plain pppd's: what only
    dialupd's side has taken out ("plugin <dialupd's plugin>" and every "dialupd-* VALUE", its
    plugin's options, all of which take a value), "nodetach" replaced by "updetach" (the parent
    exits once the first network protocol is up, where dialupd's plugin reports the link up), the
    linkname "plain-<id>" and `chat_copy` for dialupd's chat script. The IP family options
    (`+ipv6`, `noipv6`, ...) stay: both sides negotiate the same protocols with the network.
    online: the baseline a `pppd call provider` user has, `defaultroute usepeerdns` at the end
    (pppd adds the IPv4 default route and writes /etc/ppp/resolv.conf), and any of dialupd's
    negations of them left out; dialupd's `ip-up-script`/`ip-down-script` (files that do not
    exist) stay, so no /etc/ppp/ip-up.d script acts on what usepeerdns wrote."""
    argv = []
    words = iter(dialupd_argv)
    for word in words:
        if word == "plugin" or word.startswith("dialupd-"):
            next(words)
        elif word == "nodetach":
            argv.append("updetach")
        elif word == "linkname":
            argv += ["linkname", "plain-" + next(words).removeprefix("dialupd-")]
        elif word == "connect":
            script = next(words)
            chat_file = script.rsplit(" ", 1)[1].strip("'")
            argv += ["connect", script.replace(chat_file, chat_copy)]
        elif online and word in _OFFLINE_OPTIONS:
            continue
        else:
            argv.append(word)
    if online:
        argv += ["defaultroute", "usepeerdns"]
    return argv


def pppd_argv(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return [word.decode() for word in cmdline.read().split(b"\0")[:-1]]


def chat_script_path(argv):
    """The chat script file in a pppd command line's connect option."""
    return argv[argv.index("connect") + 1].rsplit(" ", 1)[1].strip("'")


CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def start_plain_pppd(argv, log):
    """Starts a plain pppd as a script would: stdin /dev/null, a clean environment, a process
    group of its own in our session. Not a session of its own: pppd opens the modem port without
    O_NOCTTY, so a session leader takes it as its controlling tty, and when the updetach'ed
    parent exits the kernel SIGHUPs its foreground group, where the child may still be before
    its setsid() (seen: one link in three went down with LCP "User request" just after coming up).
    Returns the updetach'ing parent's Popen."""
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env={"PATH": CLEAN_PATH},
                            process_group=0)


def stop_plain_pppd(*argvs, timeout=120):
    """SIGTERM to the detached pppd of each argv (its linkname pid file), then wait for them all."""
    import select
    import signal

    pidfds = []
    for argv in argvs:
        linkname = argv[argv.index("linkname") + 1]
        with open(f"/run/ppp-{linkname}.pid") as pidfile:
            pidfd = os.pidfd_open(int(pidfile.readline()))
        signal.pidfd_send_signal(pidfd, signal.SIGTERM)
        pidfds.append(pidfd)
    deadline = time.monotonic() + timeout
    for pidfd in pidfds:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        exited = poller.poll(max(0, int((deadline - time.monotonic()) * 1000)))
        os.close(pidfd)
        if not exited:
            raise RuntimeError(f"a plain pppd did not exit within {timeout} s of SIGTERM")


def children(pid):
    """The child pids of a single-threaded process (pppd is dialupd's child)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as source:
            return [int(word) for word in source.read().split()]
    except OSError:
        return []


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")
