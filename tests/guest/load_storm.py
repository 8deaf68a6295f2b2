#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The load test, as a real-PPP scenario in the guest: 8 client processes, each with a D-Bus
connection of its own, make 10,000 mixed calls in all on a dialupd with three simulated EC25s
(real pppd, real chat, kernel PPP) and one configured modem whose device does not exist:
Properties.Get/GetAll, Introspect, GetManagedObjects, Peer.Ping, GetCallLogs, Connect (wait
false and true) and Disconnect storms on all the modems at once, and calls with bad arguments.

Checked: every call is answered, with success or a named error that fits the call (a NoReply,
a dropped connection or an error a call of its kind cannot give is a failure); the daemon does
not die; no call is refused as not ready (67-74: the simulated modules always are); sampled
during the storm, no tty ever has two pppd, no pppd is without dialupd as its
parent and no chat without its pppd; once quiet, each modem's State is what the system shows
(connected: one pppd on its device and its ppp interface up with its address; disconnected or
unavailable: no pppd), and so it is again once all three have dialled and then hung up; the
daemon's resident memory after the storm is within 10% of before it (after a warm-up); a
graceful stop exits 0 and leaves no pppd. The figures go to $GUEST_RESULT/load-storm.txt.

Run as `load_storm.py worker ADDRESS SEED CALLS OUT` it is one client: it says "ready", waits for
a line on stdin, makes CALLS calls and writes its counts as JSON to OUT.
"""
import collections
import glob
import json
import os
import random
import subprocess
import sys
import time

CLIENTS = 8
CALLS = 10_000
SEED = 20240611
MODEM_IFACE = "org.dialupd1.Modem"
PROPERTIES_IFACE = "org.freedesktop.DBus.Properties"
DIALUPD = "org.dialupd1.Error."
DBUS = "org.freedesktop.DBus.Error."

# The simulated modules end a call when pppd closes the port, as an EC25 with AT&D2 does on DTR
# drop: without that, a Disconnect that lands between the module's CONNECT and pppd's first LCP
# packet leaves the simulator stuck in data mode for good, and every later dial of the storm fails.
SIM_ARGS = ["--hangup-on-close"]
# id, modem link, AT link, simulator args (None: the device does not exist), our address.
MODEMS = [
    ("ec25", "/dev/ttyUSB3", "/dev/ttyUSB2", SIM_ARGS, "10.64.0.2"),  # the World's own simulator
    ("m2", "/dev/ttyUSB6", "/dev/ttyUSB7", SIM_ARGS + ["--local-ip", "10.64.1.1", "--remote-ip", "10.64.1.2"],
     "10.64.1.2"),
    ("m3", "/dev/ttyUSB8", "/dev/ttyUSB9", SIM_ARGS + ["--local-ip", "10.64.2.1", "--remote-ip", "10.64.2.2"],
     "10.64.2.2"),
    ("ghost", "/dev/ttyUSB10", "/dev/ttyUSB11", None, None),
]
REAL = ["ec25", "m2", "m3"]
GHOST = "ghost"
WORLD_OPTIONS = {"sim_args": SIM_ARGS,
                 "more_modems": [(i, link, at, args) for i, link, at, args, _ in MODEMS if i != "ec25"]}

PROPERTIES = ["State", "LastExitReason", "Device", "AtPort", "Vendor", "Product", "Model", "UsbPath", "UsbSerial",
              "Interface", "IPv4Address", "PeerAddress", "Dns", "LastCallDuration", "LastCallBytesIn",
              "LastCallBytesOut", "ReconnectAttempts", "NextReconnect", "ConnectedSince"]

# The mix (weights in percent) and what each kind of call may answer. A Connect on a modem that
# is connecting or connected gets AlreadyConnected, during the teardown Busy; most Connects of a
# storm meet one of those. Connect(wait) ends with Cancelled when another client disconnects first,
# with CallFailed when the dial itself fails. Disconnect and Connect(wait) hold their client until
# pppd has exited or the link is up (a second or more each), so they are a smaller share.
MIX = {
    "Get": 26, "GetAll": 12, "Introspect": 6, "GetManagedObjects": 6, "GetCallLogs": 4, "Ping": 2,
    "Connect": 8, "Connect(wait)": 1, "Disconnect": 5,
    "bad: unknown option": 5, "bad: option of wrong type": 5, "bad: unsafe apn": 4, "bad: wrong signature": 4,
    "bad: unknown method": 3, "bad: unknown property": 3, "bad: set read-only property": 3,
    "bad: unknown object": 3,
}
DISCONNECT_SHARE = [0.65, 0.3, 0.05]  # of the Disconnects on ec25, m2, m3
BUSY = {DIALUPD + "AlreadyConnected", DIALUPD + "Busy"}
EXPECTED = {
    "Get": {"ok"}, "GetAll": {"ok"}, "Introspect": {"ok"}, "GetManagedObjects": {"ok"}, "GetCallLogs": {"ok"},
    "Ping": {"ok"},
    "Connect": {"ok"} | BUSY,
    "Connect(wait)": {"ok", DIALUPD + "Cancelled", DIALUPD + "CallFailed"} | BUSY,
    "Disconnect": {"ok", DIALUPD + "NotConnected"},
    "Connect@ghost": {DIALUPD + "Unavailable"},
    "Connect(wait)@ghost": {DIALUPD + "Unavailable"},
    "Disconnect@ghost": {DIALUPD + "NotConnected"},
    "bad: unknown option": {DIALUPD + "InvalidArgument"},
    "bad: option of wrong type": {DIALUPD + "InvalidArgument"},
    # The modem's state is looked at before the apn.
    "bad: unsafe apn": {DIALUPD + "InvalidArgument"} | BUSY,
    "bad: wrong signature": {DBUS + "InvalidArgs"},
    "bad: unknown method": {DBUS + "UnknownMethod"},
    "bad: unknown property": {DBUS + "UnknownProperty"},
    "bad: set read-only property": {DBUS + "PropertyReadOnly"},
    "bad: unknown object": {DBUS + "UnknownObject"},
}


# --- one client ------------------------------------------------------------------------------

def make_caller(connection, rng):
    """Returns call(kind) -> (key, outcome, message): one call of that kind on a random modem;
    outcome is "ok" or the D-Bus error name."""
    import dbus

    proxies = {}

    def proxy(path):
        if path not in proxies:
            proxies[path] = connection.get_object("org.dialupd1", path, introspect=False)
        return proxies[path]

    def connect(modem, options, timeout=60, signature=None):
        options = dbus.Dictionary(options, signature="sv") if signature is None else options
        kwargs = {"signature": signature} if signature else {}
        return proxy(modem).Connect(options, dbus_interface=MODEM_IFACE, timeout=timeout, **kwargs)

    def one(kind, modem):
        path = "/org/dialupd1/modem/" + modem
        if kind == "Get":
            proxy(path).Get(MODEM_IFACE, rng.choice(PROPERTIES), dbus_interface=PROPERTIES_IFACE)
        elif kind == "GetAll":
            proxy(path).GetAll(MODEM_IFACE, dbus_interface=PROPERTIES_IFACE)
        elif kind == "Introspect":
            target = rng.choice([path, "/org/dialupd1", "/org/dialupd1/modem", "/"])
            proxy(target).Introspect(dbus_interface="org.freedesktop.DBus.Introspectable")
        elif kind == "GetManagedObjects":
            proxy("/org/dialupd1").GetManagedObjects(dbus_interface="org.freedesktop.DBus.ObjectManager")
        elif kind == "GetCallLogs":
            proxy(path).GetCallLogs(dbus.UInt32(rng.randint(0, 20)), dbus_interface=MODEM_IFACE)
        elif kind == "Ping":
            proxy(path).Ping(dbus_interface="org.freedesktop.DBus.Peer")
        elif kind == "Connect":
            connect(path, {"apn": "internet"} if rng.random() < 0.5 else {})
        elif kind == "Connect(wait)":
            connect(path, {"wait": dbus.Boolean(True)}, timeout=90)
        elif kind == "Disconnect":
            proxy(path).Disconnect(dbus_interface=MODEM_IFACE, timeout=60)
        elif kind == "bad: unknown option":
            connect(path, {rng.choice(["apn ", "APN", "sim-pin", "x" * 300]): dbus.String("internet")})
        elif kind == "bad: option of wrong type":
            connect(path, rng.choice([{"wait": dbus.String("yes")}, {"apn": dbus.Int32(7)},
                                      {"reconnect": dbus.UInt32(1)}, {"user": dbus.Array([], signature="s")}]))
        elif kind == "bad: unsafe apn":
            connect(path, {"apn": rng.choice(["inter'net", "a b", "x" * 101, "..", "apn\n"])})
        elif kind == "bad: wrong signature":
            if rng.random() < 0.5:
                connect(path, "internet", signature="s")
            else:
                proxy(path).GetCallLogs("ten", dbus_interface=MODEM_IFACE, signature="s")
        elif kind == "bad: unknown method":
            proxy(path).NoSuchMethod(dbus_interface=MODEM_IFACE)  # (Reset exists since the recovery ladder)
        elif kind == "bad: unknown property":
            proxy(path).Get(MODEM_IFACE, "NoSuchProperty", dbus_interface=PROPERTIES_IFACE)
        elif kind == "bad: set read-only property":
            proxy(path).Set(MODEM_IFACE, "State", dbus.String("connected"), dbus_interface=PROPERTIES_IFACE,
                            signature="ssv")
        elif kind == "bad: unknown object":
            proxy("/org/dialupd1/modem/nosuchmodem").Get(MODEM_IFACE, "State", dbus_interface=PROPERTIES_IFACE)
        else:
            raise ValueError(kind)

    kinds, weights = list(MIX), list(MIX.values())

    def call(kind=None):
        kind = kind or rng.choices(kinds, weights)[0]
        # A tenth of the calls that name a modem name the one whose device does not exist.
        # Disconnect storms are fiercest on ec25 and rare on m3, whose calls come up between them.
        if rng.random() < 0.1:
            modem = GHOST
        else:
            modem = rng.choices(REAL, DISCONNECT_SHARE if kind == "Disconnect" else None)[0]
        key = kind + ("@ghost" if modem == GHOST and kind + "@ghost" in EXPECTED else "")
        try:
            one(kind, modem)
            return key, "ok", ""
        except dbus.DBusException as error:
            return key, error.get_dbus_name() or "(unnamed D-Bus error)", error.get_dbus_message() or ""
        except Exception as error:  # noqa: BLE001 - counted, and a failure
            return key, f"exception {type(error).__name__}", str(error)

    return call


def worker(address, seed, calls, out_path):
    import dbus

    connection = dbus.bus.BusConnection(address)
    call = make_caller(connection, random.Random(seed))
    print("ready", flush=True)
    sys.stdin.readline()
    counts = collections.defaultdict(collections.Counter)
    examples = {}
    slowest = collections.defaultdict(float)
    started = time.monotonic()
    for _ in range(calls):
        before = time.monotonic()
        key, outcome, message = call()
        took = time.monotonic() - before
        counts[key][outcome] += 1
        slowest[key] = max(slowest[key], took)
        examples.setdefault(f"{key} -> {outcome}", message[:200])
    with open(out_path, "w") as out:
        json.dump({"counts": counts, "examples": examples, "slowest": slowest,
                   "seconds": time.monotonic() - started}, out)


# --- the scenario ----------------------------------------------------------------------------

def pppd_on_ttys(devices, chats=None):
    """{device: [(pid, ppid), ...]} of the pppd processes whose tty is one of `devices`
    (the network side runs on /dev/pts); with `chats` (a list), the (pid, ppid, grandparent) of
    every chat running a script of dialupd's (NAME.chat) are added to it (pppd runs chat through
    sh -c, which stays chat's parent)."""
    found = {device: [] for device in devices}
    wanted = {device.encode(): device for device in devices}
    parents, candidates = {}, []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                head, tail = stat.read().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        pid, ppid = int(name), int(tail.split()[1])
        parents[pid] = ppid
        if head.endswith(("(pppd", "(chat")):
            candidates.append((pid, ppid))
    for pid, ppid in candidates:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 1 and argv[0].endswith(b"pppd") and argv[1] in wanted:
            found[wanted[argv[1]]].append((pid, ppid))
        elif chats is not None and argv[0].endswith(b"chat") and any(a.endswith(b".chat") for a in argv):
            chats.append((pid, ppid, parents.get(ppid)))
    return found


def memory(pid):
    """VmRSS and VmHWM of a process, in kB."""
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def ppp_interfaces():
    """{name: IPv4 address or ""} of the ppp interfaces that are up in our network namespace."""
    found = {}
    for directory in glob.glob("/sys/class/net/ppp*"):
        name = os.path.basename(directory)
        with open(os.path.join(directory, "flags")) as flags:
            if not int(flags.read(), 16) & 1:  # IFF_UP
                continue
        shown = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", name], capture_output=True,
                               text=True).stdout.split()
        found[name] = shown[shown.index("inet") + 1].split("/")[0] if "inet" in shown else ""
    return found


def scenario_load_storm(world):
    from world import wait_until

    problems = []
    daemon_pid = world.daemon.process.pid
    devices = {modem_id: link for modem_id, link, *_ in MODEMS}
    addresses = {modem_id: address for modem_id, *_, address in MODEMS}
    modems = {modem_id: world.daemon.modem(modem_id) for modem_id in devices}
    modems["ec25"] = world.modem
    states = {modem_id: str(modem.get("State")) for modem_id, modem in modems.items()}
    assert states == {"ec25": "disconnected", "m2": "disconnected", "m3": "disconnected", "ghost": "unavailable"}, \
        states

    # Warm-up: one call up and down on each modem, and a few hundred calls of every other kind.
    for modem_id in REAL:
        modems[modem_id].connect(wait=False)
    assert wait_until(lambda: all(modems[m].get("State") == "connected" for m in REAL), 60), \
        {m: modems[m].states for m in REAL}
    for modem_id in REAL:
        modems[modem_id].disconnect()
    warm_up = make_caller(world.daemon.connection, random.Random(SEED - 1))
    warm_up_kinds = [kind for kind in MIX if not kind.startswith(("Connect", "Disconnect"))]
    for number in range(300):
        key, outcome, message = warm_up(warm_up_kinds[number % len(warm_up_kinds)])
        assert outcome in EXPECTED[key], f"warm-up {key} -> {outcome}: {message}"
    wait_until(lambda: False, 1)
    rss_before, hwm_before = memory(daemon_pid)

    # The storm.
    here = os.path.abspath(__file__)
    result_dir = world.log_dir
    clients = []
    for number in range(CLIENTS):
        out_path = os.path.join(result_dir, f"client-{number}.json")
        calls = CALLS // CLIENTS + (1 if number < CALLS % CLIENTS else 0)
        clients.append((subprocess.Popen([sys.executable, here, "worker", world.bus.address, str(SEED + number),
                                          str(calls), out_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True), out_path))
    for process, _ in clients:
        assert process.stdout.readline().strip() == "ready", "a client did not get ready"
    started = time.monotonic()
    changes_before = {modem_id: len(modem.states) for modem_id, modem in modems.items()}
    for process, _ in clients:
        process.stdin.write("go\n")
        process.stdin.flush()

    samples = 0
    most_pppd = collections.Counter()  # device -> most pppd (children of dialupd) seen at once
    pppd_seen = collections.defaultdict(set)
    duplicates, orphans = [], []
    stray_chats = set()

    def sample():
        nonlocal samples
        samples += 1
        chats = []
        found = pppd_on_ttys(devices.values(), chats)
        pids = {pid for processes in found.values() for pid, _ in processes}
        # A chat outside any pppd of ours (seen twice in a row: when pppd exits, the kernel
        # hangs up its chat, which may still be seen for a moment).
        strays = {pid for pid, ppid, grandparent in chats if ppid not in pids and grandparent not in pids}
        if strays & stray_chats:
            orphans.append((round(time.monotonic() - started, 2), "chat", sorted(strays & stray_chats)))
            subprocess.run(f"ps -eo pid,ppid,pgid,stat,args >> {result_dir}/stray-chat-ps.txt", shell=True)
        stray_chats.clear()
        stray_chats.update(strays)
        for device, processes in found.items():
            ours = [pid for pid, ppid in processes if ppid == daemon_pid]
            most_pppd[device] = max(most_pppd[device], len(ours))
            pppd_seen[device].update(ours)
            if len(ours) > 1:
                duplicates.append((round(time.monotonic() - started, 2), device, ours))
            # A pppd's own child between fork and exec (its connect script) looks like pppd too.
            strays = [(pid, ppid) for pid, ppid in processes if ppid != daemon_pid and ppid not in pids]
            if strays:
                orphans.append((round(time.monotonic() - started, 2), device, strays))

    def storm_over():
        sample()
        return all(process.poll() is not None for process, _ in clients)

    finished = wait_until(storm_over, 600, step=0.25)
    duration = time.monotonic() - started
    storm_states = {modem_id: modem.states[changes_before[modem_id]:] for modem_id, modem in modems.items()}
    if not finished:
        for process, _ in clients:
            process.kill()
        problems.append("the clients did not finish within 600 s")

    counts = collections.defaultdict(collections.Counter)
    examples, slowest, made = {}, collections.defaultdict(float), 0
    for number, (process, out_path) in enumerate(clients):
        process.wait()
        if process.returncode != 0 or not os.path.exists(out_path):
            problems.append(f"client {number} exited {process.returncode}")
            continue
        with open(out_path) as data:
            report = json.load(data)
        for key, outcomes in report["counts"].items():
            counts[key].update(outcomes)
            made += sum(outcomes.values())
        examples.update(report["examples"])
        for key, seconds in report["slowest"].items():
            slowest[key] = max(slowest[key], seconds)
    unexpected = {f"{key} -> {outcome}": n for key, outcomes in counts.items() for outcome, n in outcomes.items()
                  if outcome not in EXPECTED[key]}
    if made != CALLS:
        problems.append(f"{made} calls made, not {CALLS}")
    for what, n in unexpected.items():
        problems.append(f"{n} x {what} (e.g. '{examples.get(what, '')}')")
    if world.daemon.process.poll() is not None:
        problems.append(f"dialupd died during the storm: exit {world.daemon.process.returncode}")
    for sample_at, device, pids in duplicates[:5]:
        problems.append(f"{sample_at} s into the storm: {len(pids)} pppd on {device}: {pids}")
    for sample_at, device, strays in orphans[:5]:
        problems.append(f"{sample_at} s into the storm: {device}: not dialupd's pppd or a chat of theirs: {strays}")

    # Quiet again: no call coming up or going down, the same pppd for 3 s.
    def snapshot():
        found = pppd_on_ttys(devices.values())
        return (tuple(str(modems[m].get("State")) for m in modems),
                tuple(tuple(sorted(found[devices[m]])) for m in modems))

    quiet = {"last": None, "since": 0.0}

    def settled():
        now = snapshot()
        if now != quiet["last"]:
            quiet["last"], quiet["since"] = now, time.monotonic()
        return (all(state in ("connected", "disconnected", "unavailable") for state in now[0])
                and time.monotonic() - quiet["since"] >= 3)

    alive = world.daemon.process.poll() is None
    quiet_after = None
    if alive:
        settling = time.monotonic()
        if wait_until(settled, 90, step=0.25):
            quiet_after = time.monotonic() - settling
        else:
            problems.append(f"not quiet 90 s after the storm: {snapshot()}")

    # Each modem's State against the system: its pppd, its interface, its address.
    def check_reality(when):
        """Problems found, and {id: (State, LastExitReason, pppd pids, Interface)}."""
        found = pppd_on_ttys(devices.values())
        interfaces = ppp_interfaces()
        expected_interfaces, seen, wrong = {}, {}, []
        for modem_id, modem in modems.items():
            state = str(modem.get("State"))
            interface, address = str(modem.get("Interface")), str(modem.get("IPv4Address"))
            processes = found[devices[modem_id]]
            # A pppd's own child between fork and exec (ip-up, ipv6-up, the connect script) looks
            # like pppd for a moment: it is part of its parent's call, not a second pppd.
            pids = {pid for pid, _ in processes}
            processes = [(pid, ppid) for pid, ppid in processes if ppid not in pids]
            seen[modem_id] = (state, modem.reason(), [pid for pid, _ in processes], interface)
            if state == "connected":
                expected_interfaces[interface] = address
                if len(processes) != 1 or processes[0][1] != daemon_pid:
                    wrong.append(f"{when}: {modem_id} is connected, its pppd: {processes}")
                if interfaces.get(interface) != addresses[modem_id] or address != addresses[modem_id]:
                    wrong.append(f"{when}: {modem_id} is connected on {interface} {address}; up: {interfaces}")
                pid_file = f"/run/ppp-dialupd-{modem_id}.pid"
                if os.path.exists(pid_file) and processes:
                    with open(pid_file) as lines:
                        written = lines.read().split()
                    if written[:2] != [str(processes[0][0]), interface]:
                        wrong.append(f"{when}: {pid_file} says {written}, pppd {processes[0][0]} on {interface}")
            elif state in ("disconnected", "unavailable"):
                if processes:
                    wrong.append(f"{when}: {modem_id} is {state}, yet pppd runs on {devices[modem_id]}: {processes}")
                if interface or address:
                    wrong.append(f"{when}: {modem_id} is {state}, yet has Interface '{interface}' address '{address}'")
            else:
                wrong.append(f"{when}: {modem_id} still {state}")
        if interfaces != expected_interfaces:
            wrong.append(f"{when}: ppp interfaces up {interfaces}, the connected modems' {expected_interfaces}")
        if seen[GHOST][0] != "unavailable":
            wrong.append(f"{when}: {GHOST} is {seen[GHOST][0]}")
        return wrong, seen

    final = {}
    rss_after = hwm_after = rss_idle = None
    redial_took = None
    if alive:
        wrong, final = check_reality("after the storm")
        problems += wrong
        rss_after, hwm_after = memory(daemon_pid)

        # Still in working order: every modem dials at once, the system shows three links; then
        # every call ends, and no pppd is left.
        redial_started = time.monotonic()
        for modem_id in REAL:
            if final[modem_id][0] != "connected":
                modems[modem_id].connect(wait=False)
        if wait_until(lambda: all(modems[m].get("State") == "connected" for m in REAL), 60):
            redial_took = time.monotonic() - redial_started
            wrong, everything_up = check_reality("all three dialled again")
            problems += wrong
        else:
            problems.append(f"not all connected again 60 s after the storm: {[modems[m].states[-3:] for m in REAL]}")
        for modem_id in REAL:
            if modems[modem_id].get("State") in ("connecting", "connected"):
                modems[modem_id].disconnect()
        if not wait_until(lambda: not any(pppd_on_ttys(devices.values()).values()), 30):
            problems.append(f"pppd left after Disconnect: {pppd_on_ttys(devices.values())}")
        wrong, _ = check_reality("all ended again")
        problems += wrong
        wait_until(lambda: False, 1)
        rss_idle, _ = memory(daemon_pid)
        if rss_after > rss_before * 1.10:
            problems.append(f"VmRSS {rss_after} kB after the storm, {rss_before} kB before: more than 10% up")
        if rss_idle > rss_before * 1.10:
            problems.append(f"VmRSS {rss_idle} kB with every call ended again, {rss_before} kB before")

    simulators = {"ec25": world.sim, **world.more_sims}
    simulator_status = {}
    for modem_id, sim in simulators.items():
        try:
            simulator_status[modem_id] = sim.command("status")
        except OSError as error:
            simulator_status[modem_id] = f"no answer: {error}"

    # How the calls ended, in dialupd's own words (its log: one line per pppd exit).
    pppd_exits = collections.Counter(line.split("pppd exited: ", 1)[1].split(" (")[0]
                                     for line in world.daemon.log_text().splitlines() if "pppd exited: " in line)
    hangups = {modem_id: len(modem.hangups) for modem_id, modem in modems.items()}
    # The simulated modules are always ready to dial (SIM ready, registered home, an IMSI the
    # provider database knows): a call the readiness checks refused (66-73) misread a module.
    not_ready = collections.Counter(f"{modem_id}: {hangup['code']} {hangup['name']}: {hangup['description'][:160]}"
                                    for modem_id, modem in modems.items() for hangup in modem.hangups
                                    if 67 <= hangup["code"] <= 74)
    problems += [f"{count} x Hangup {what}" for what, count in not_ready.items()]
    exit_code = world.daemon.stop()
    if exit_code != 0:
        problems.append(f"dialupd exited {exit_code} on SIGTERM")
    left = {device: processes for device, processes in pppd_on_ttys(devices.values()).items() if processes}
    if left:
        problems.append(f"pppd outlived dialupd: {left}")

    write_figures(os.path.join(os.path.dirname(result_dir), "load-storm.txt"), locals())
    assert not problems, "\n".join(problems)


def write_figures(path, figures):
    f = figures
    lines = [f"clients: {CLIENTS} processes, one D-Bus connection each; modems: "
             + ", ".join(f"{m} ({link})" for m, link, *_ in MODEMS) + f" ({GHOST}'s device does not exist)",
             f"calls made: {f['made']} in {f['duration']:.1f} s: {f['made'] / f['duration']:.0f} calls/s "
             f"(all clients together; seeds {SEED}..{SEED + CLIENTS - 1})",
             f"dialupd VmRSS: {f['rss_before']} kB before (after a warm-up), {f['rss_after']} kB after the storm, "
             f"{f['rss_idle']} kB with every call ended again; VmHWM {f['hwm_before']} kB before, "
             f"{f['hwm_after']} kB after",
             f"quiet again {f['quiet_after']:.1f} s after the storm" if f["quiet_after"] is not None
             else "never quiet after the storm",
             f"samples of the process table during the storm: {f['samples']}; most pppd on one tty at once: "
             + ", ".join(f"{d} {n}" for d, n in sorted(f["most_pppd"].items()))
             + f"; duplicates {len(f['duplicates'])}, not dialupd's {len(f['orphans'])}",
             "pppd processes seen per tty (a lower bound on the calls started): "
             + ", ".join(f"{d} {len(p)}" for d, p in sorted(f["pppd_seen"].items())),
             "State changes a client saw during the storm: "
             + ", ".join(f"{m} {len(states)} ({states.count('connected')} x connected)"
                         for m, states in f["storm_states"].items()),
             "pppd exits over the whole scenario (warm-up and the dials after the storm included): "
             + ", ".join(f"{reason} x{n}" for reason, n in f["pppd_exits"].most_common())
             + "; Hangup signals: " + ", ".join(f"{m} {n}" for m, n in f["hangups"].items()),
             "once quiet after the storm: " + "; ".join(f"{m} {s} (last exit {r[0]} {r[1]}), pppd {p}, interface '{i}'"
                                                        for m, (s, r, p, i) in f["final"].items()),
             f"then all three dialled at once: connected after {f['redial_took']:.1f} s" if f["redial_took"]
             else "then all three dialled at once: not all connected",
             "simulators at the end: " + "; ".join(f"{m} {s}" for m, s in f["simulator_status"].items()),
             f"graceful stop: exit {f['exit_code']}",
             "", "outcomes by call (slowest answer):"]
    for key in sorted(f["counts"]):
        outcomes = ", ".join(f"{name.replace(DIALUPD, '').replace(DBUS, 'DBus.')} {n}"
                             for name, n in f["counts"][key].most_common())
        lines.append(f"  {key:32} {sum(f['counts'][key].values()):5}  {outcomes}  ({f['slowest'][key]:.2f} s)")
    if f["problems"]:
        lines += ["", "problems:"] + ["  " + problem for problem in f["problems"]]
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
