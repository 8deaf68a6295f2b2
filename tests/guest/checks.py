# SPDX-License-Identifier: GPL-2.0-or-later
"""What the guest scenarios check and read, shared by them: calls over D-Bus, the Hangup's
evidence and where its text is kept, the exit reason, pppd and chat processes, ping across the
link, and what /proc says of a process (status, mounts, core limit)."""
import glob
import os
import subprocess

import dbus

from world import PATIENCE, wait_until


RESULT = os.environ.get("GUEST_RESULT", "/tmp/dialupd-scenarios")


DIALUPCTL = os.environ.get("DIALUPCTL_BIN", os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "build", "client", "dialupctl"))


PASSWORD = "S3cret-Pa55-xyz"


APN_AS_PASSWORD = "internet"  # the APN (given in the config: none would mean the database's), and the password too


# A SIM PIN (the simulated SIM's in the PIN scenarios): 8 digits, which no other text of a call
# holds by chance.
SIM_PIN = "73924816"


def connect(world, **options):
    return world.modem.connect(**options)


def expect_failure(world, error_name, **options):
    try:
        connect(world, **options)
    except dbus.DBusException as error:
        assert error.get_dbus_name() == error_name, f"{error.get_dbus_name()}: {error.get_dbus_message()}"
        return error.get_dbus_message()
    raise AssertionError("Connect succeeded, expected " + error_name)


def connect_sampling(world, sample, **options):
    """Connect(wait) without blocking the client: `sample()` runs every 10 ms until the answer
    (to watch the processes of the dial as it happens). Returns None when the call came up, the
    DBusException otherwise."""
    answers = []
    options["wait"] = dbus.Boolean(True)
    world.modem.iface.Connect(dbus.Dictionary(options, signature="sv"), timeout=PATIENCE,
                              reply_handler=lambda *_: answers.append(None), error_handler=answers.append)
    assert wait_until(lambda: (sample(), bool(answers))[1], PATIENCE, step=0.01), "Connect(wait) did not answer"
    return answers[0]


def wait_for_hangup(world, timeout=PATIENCE):
    assert wait_until(lambda: world.modem.hangups, timeout), "no Hangup signal within %d s" % timeout
    return world.modem.hangups[-1]


def assert_evidence(hangup, *snippets):
    """The Hangup's text has its three sections and names the cause in the module's words."""
    log = hangup["log"]
    for section in ("== call ==", "== pppd, chat and dialupd ==", "== AT snapshot (/dev/ttyUSB2) =="):
        assert section in log, f"no '{section}' section in the Hangup log:\n{log}"
    for snippet in snippets:
        assert snippet in log, f"'{snippet}' missing from the Hangup log:\n{log}"


def keep_log(name, hangup, world):
    """The Hangup's text, and how long after the State change it came (the AT snapshot's cost)."""
    with open(os.path.join(RESULT, name + ".hangup.txt"), "w") as out:
        out.write(hangup["log"])
    gap = world.times["Hangup"] - world.times["State:disconnected"]
    with open(os.path.join(RESULT, name + ".hangup-after-state.txt"), "w") as out:
        out.write(f"{gap * 1000:.0f} ms\n")


def assert_reason(world, code, name):
    assert world.modem.reason() == (code, name), f"LastExitReason {world.modem.reason()}, want ({code}, {name})"


def pppd_processes(pids=False):
    """Client-side pppd processes, their argv or (pids=True) their pids (the simulator's network
    side runs on a /dev/pts device). A child pppd forks to run a hook (/etc/ppp/ipv6-up, ip-pre-up)
    has pppd's command line until it execs: it is pppd's, not a second pppd, and not counted."""
    found = {}
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(path, "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
            with open(path.replace("cmdline", "stat")) as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if argv and argv[0].endswith(b"pppd") and b"/dev/ttyUSB3" in argv:
            found[int(path.split("/")[2])] = (parent, argv)
    return [pid if pids else argv for pid, (parent, argv) in found.items() if parent not in found]


def assert_ping(address="10.64.0.1"):
    """Echo replies come back across the link. The network side's pppd finishes IPCP a moment
    after ours reports the link up, so a first echo may be lost: ask again until one comes back."""
    tries = []

    def answered():
        ping = subprocess.run(["ping", "-c", "1", "-W", "2", address], capture_output=True, text=True)
        tries.append(ping.stdout + ping.stderr)
        return ping.returncode == 0

    assert wait_until(answered, PATIENCE), f"ping across the link failed {len(tries)} times: {tries[-1]}"


# --- scenarios -------------------------------------------------------------------------

def file_stamp(path):
    """(mtime, size) of a file, None when it does not exist."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_mtime_ns, info.st_size


def proc_status(pid):
    with open(f"/proc/{pid}/status") as status:
        return dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)


def mount_options(pid):
    """mount point -> its options, as process `pid` sees its mounts (the last mount wins)."""
    with open(f"/proc/{pid}/mountinfo") as mounts:
        return {line.split()[4]: line.split()[5] for line in mounts}


def core_limit(pid):
    with open(f"/proc/{pid}/limits") as limits:
        return next(line.split()[4:6] for line in limits if line.startswith("Max core file size"))


def pppd_pid():
    pids = pppd_processes(pids=True)
    assert len(pids) == 1, f"pppd processes: {pids}"
    return pids[0]


def sim_log(world):
    with open(os.path.join(world.log_dir, "modem-sim.log")) as log:
        return log.read()


def orphaned_chats():
    """chat processes running one of dialupd's scripts (NAME.chat) that init has adopted."""
    found = []
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(path, "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
            if not (argv[0].endswith(b"chat") and any(arg.endswith(b".chat") for arg in argv)):
                continue
            with open(path.replace("cmdline", "stat")) as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == 1:
                    found.append(int(path.split("/")[2]))
        except (OSError, IndexError, ValueError):
            continue
    return found


def command_output(*command):
    return subprocess.run(command, capture_output=True, text=True).stdout
