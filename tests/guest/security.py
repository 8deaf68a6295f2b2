# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest scenarios: secrets and the sandbox. A wrong password, a right one that is never
exposed, nor the SIM's PIN (nor one equal to the APN), and a call under the unit's sandbox (tests/guest/unit-sandbox:
private files, capabilities, /run narrowed)."""
import glob
import os
import stat
import subprocess

import dbus

from checks import (APN_AS_PASSWORD, PASSWORD, SIM_PIN, assert_evidence, assert_ping, assert_reason, connect,
                    connect_sampling, core_limit, expect_failure, mount_options, pppd_processes, proc_status, sim_log,
                    wait_for_hangup)


def scenario_wrong_password(world):
    # A secret that no path holds: the scenario's directory is named wrong-password-19 and the
    # daemon's start line names the config file in it.
    wrong = "Wr0ng-s3cret-7q"
    message = expect_failure(world, "org.dialupd1.Error.CallFailed", user="alice", password=wrong)
    assert message.startswith("19 auth-to-peer-failed"), message
    hangup = wait_for_hangup(world)
    assert hangup["code"] == 19
    assert wrong not in hangup["log"] and wrong not in world.daemon.log_text()
    assert_evidence(hangup, "PAP authentication failed")


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def secrets_in_argv(skip_pid):
    """(pid, secret) for each process but `skip_pid` and its descendants with the password or the
    SIM's PIN in its argv. (The simulator's children have its command line between their fork
    and their exec: radvd, ip monitor and the network side start while the call is dialled.)"""
    found = []
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        pid = int(path.split("/")[2])
        try:
            with open(path, "rb") as cmdline:
                argv = cmdline.read()
        except OSError:
            continue
        exposed = [(pid, secret) for secret in (PASSWORD, SIM_PIN) if secret.encode() in argv]
        ancestor, hops = pid, 0
        while exposed and ancestor > 1 and hops < 64:
            if ancestor == skip_pid:
                exposed = []
            ancestor, hops = parent_of(ancestor), hops + 1
        found += exposed
    return found


def scenario_right_password_secret_stays_secret(world):
    """The password (PAP) and the SIM's PIN (the SIM is PIN-locked; the Connect option pin
    unlocks it) are in no process's argv while the call is dialled (every command line sampled
    every 10 ms from the Connect to the link up: dialupd's AT session, pppd, chat), and in no
    text dialupd produces: Hangup, journal, kept call logs on disk and over D-Bus, runtime files,
    any signal it emits."""
    signals = []
    world.daemon.connection.add_signal_receiver(lambda *args: signals.append(repr(args)), bus_name="org.dialupd1")
    # The simulator plays the network and the SIM, which know both: its own argv is not ours.
    exposed = set()
    answer = connect_sampling(world, lambda: exposed.update(secrets_in_argv(world.sim.process.pid)), user="alice",
                              password=PASSWORD, pin=SIM_PIN)
    assert answer is None, f"{answer.get_dbus_name()}: {answer.get_dbus_message()}"
    assert world.modem.get("State") == "connected"
    assert not exposed, f"secrets on command lines: {sorted(exposed)}"
    assert 'at -> \'AT+CPIN="' + SIM_PIN in sim_log(world), "the PIN was not entered: nothing to keep secret"
    world.sim.command("fault carrier-drop")
    hangup = wait_for_hangup(world)
    # Everything dialupd produced: the Hangup, the journal, kept call logs (on disk and over
    # D-Bus), runtime files. (The simulator's logs are the network's: it knows the password.)
    # Not vacuous: pppd did dump the PAP request (pppd-debug), its password field hidden, and
    # the PIN's command is in the call log, hidden.
    assert 'sent [PAP AuthReq id=0x1 user="alice" password=<hidden>]' in hangup["log"], hangup["log"]
    assert 'AT+CPIN="<hidden>" -> OK' in hangup["log"], hangup["log"]
    texts = {"Hangup": hangup["log"], "daemon log": world.daemon.log_text(),
             "GetCallLogs": str(world.modem.iface.GetCallLogs(dbus.UInt32(10))), "signals": "\n".join(signals)}
    produced = glob.glob(os.path.join(world.scratch, "run", "**"), recursive=True)
    produced += glob.glob(os.path.join(world.scratch, "state", "**"), recursive=True)
    assert any(path.endswith(".log") for path in produced), produced
    for path in produced:
        if os.path.isfile(path):
            texts[path] = open(path, errors="replace").read()
    assert len(signals) > 3, signals  # PropertiesChanged and the Hangup at least
    for where, text in texts.items():
        for secret in (PASSWORD, SIM_PIN):
            assert secret not in text, f"{'the password' if secret == PASSWORD else 'the PIN'} is in {where}"


def kept_texts(world, hangup):
    """Every text dialupd produced about its calls: where -> text."""
    texts = {"Hangup": hangup["log"], "daemon log": world.daemon.log_text(),
             "GetCallLogs": "\n".join(str(call[6]) for call in world.modem.iface.GetCallLogs(dbus.UInt32(10)))}
    for path in glob.glob(os.path.join(world.scratch, "state", "**"), recursive=True):
        if os.path.isfile(path):
            texts[path] = open(path, errors="replace").read()
    return texts


def scenario_password_equal_to_the_apn(world):
    """Issue 16 item 4 over a real PAP exchange: password = APN = "internet". Hiding every copy
    of the password marked chat's APN line and so gave the password away; now the APN reads as
    it is everywhere and only the PAP field is hidden."""
    connect(world, user="alice", password=APN_AS_PASSWORD)
    assert world.modem.get("State") == "connected"
    world.sim.command("fault carrier-drop")
    hangup = wait_for_hangup(world)
    texts = kept_texts(world, hangup)
    assert len(texts) > 3, f"no kept call log on disk: {list(texts)}"
    for where, text in texts.items():
        assert "redacted" not in text and f'password="{APN_AS_PASSWORD}"' not in text, f"{where}:\n{text}"
    for where in ("Hangup", "GetCallLogs"):
        assert f'AT+CGDCONT=1,"IPV4V6","{APN_AS_PASSWORD}"' in texts[where], f"{where}:\n{texts[where]}"
        assert f"apn '{APN_AS_PASSWORD}'" in texts[where], f"{where}:\n{texts[where]}"
        assert 'user="alice" password=<hidden>]' in texts[where], f"{where}:\n{texts[where]}"


UNIT_SANDBOX = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "unit-sandbox"),
                os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             "systemd", "dialupd.service.in")]


CAP_NET_ADMIN_ONLY = "0000000000001000"  # bit 12


def assert_private_files(world):
    """Everything dialupd writes (chat scripts, kept call logs) is its own: files 0600 in 0700
    directories, under its runtime and state dirs only (the unit's UMask=0077 is not relied on)."""
    written = 0
    for top in (os.path.join(world.scratch, "run"), os.path.join(world.scratch, "state")):
        for directory, _, files in os.walk(top):
            assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700, directory
            for name in files:
                path = os.path.join(directory, name)
                assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, f"{path} is {oct(os.stat(path).st_mode)}"
                written += 1
    assert written, "dialupd wrote no file to check"


# /run as a system with systemd and udev has it: the trees the unit makes read-only exist.
# (Not /run/systemd/system: that one tells libsystemd it runs under systemd, sd_booted().)
RUN_TREES_OTHERS_OBEY = ("/run/systemd/transient", "/run/udev/rules.d", "/run/dbus")


# What the sandbox must refuse (issue 16 item 5: a unit or rule written there runs outside it),
# and what pppd needs to keep working: its UUCP lock and its pid files in /run itself.
SANDBOX_MUST_REFUSE = ("/run/systemd/transient/dialupd-probe.service", "/run/systemd/dialupd-probe",
                       "/run/udev/rules.d/99-dialupd-probe.rules", "/run/dbus/dialupd-probe")


SANDBOX_MUST_ALLOW = ("/run/lock/LCK..dialupd-probe", "/run/ppp-dialupd-probe.pid")


WRITE_PROBE = """for path in "$@"; do
  if complaint=$( (echo probe > "$path") 2>&1 ); then echo "$path: written"; rm -f "$path"
  else echo "$path: refused: $complaint"; fi
done"""


def make_run_trees():
    for tree in RUN_TREES_OTHERS_OBEY:
        os.makedirs(tree, exist_ok=True)


def assert_run_is_narrowed(pid):
    """Seen by `pid`: the trees others obey are read-only mounts, /run and /run/lock writable."""
    options = mount_options(pid)
    for tree in ("/run/systemd", "/run/udev", "/run/dbus"):
        assert options.get(tree, "").split(",")[0] == "ro", f"{tree} is not read-only for pid {pid}: {options.get(tree)}"
    for tree in ("/run", "/run/lock"):
        assert options.get(tree, "").split(",")[0] == "rw", f"{tree} is not writable for pid {pid}: {options.get(tree)}"


def scenario_call_in_the_units_sandbox(world):
    """The daemon under the unit's file-system, capability, no-new-privileges, system-call,
    address-family and core-size settings (tests/guest/unit-sandbox says which it reproduces):
    a call still comes up, carries traffic and ends cleanly, the sandbox was in force for
    dialupd and pppd, and under it /run/systemd, /run/udev and /run/dbus cannot be written while
    pppd's lock and pid files can."""
    daemon = proc_status(world.daemon.process.pid)
    assert daemon["Name"] == "dialupd", daemon["Name"]
    assert (daemon["CapBnd"], daemon["CapEff"], daemon["NoNewPrivs"], daemon["Seccomp"]) == \
        (CAP_NET_ADMIN_ONLY, CAP_NET_ADMIN_ONLY, "1", "2"), daemon
    root_options = mount_options(world.daemon.process.pid)["/"]
    assert root_options.split(",")[0] == "ro", f"/ is not read-only for the daemon: {root_options}"
    assert_run_is_narrowed(world.daemon.process.pid)
    assert core_limit(world.daemon.process.pid) == ["0", "0"], core_limit(world.daemon.process.pid)
    # The same sandbox, as root with CAP_NET_ADMIN only (as a compromised pppd would be), tries.
    probe = subprocess.run(UNIT_SANDBOX + ["sh", "-c", WRITE_PROBE, "probe", *SANDBOX_MUST_REFUSE,
                                           *SANDBOX_MUST_ALLOW], capture_output=True, text=True, timeout=120)
    answers = dict(line.split(": ", 1) for line in probe.stdout.splitlines() if ": " in line)
    with open(os.path.join(world.log_dir, "sandbox-write-probe.txt"), "w") as out:
        out.write(probe.stdout + probe.stderr)
    for path in SANDBOX_MUST_REFUSE:
        assert answers.get(path, "").startswith("refused") and "Read-only file system" in answers[path], \
            f"{path}: {answers.get(path)} ({probe.stderr})"
        assert not os.path.exists(path), f"{path} was written"
    for path in SANDBOX_MUST_ALLOW:
        assert answers.get(path) == "written", f"{path}: {answers.get(path)} ({probe.stderr})"
    connect(world)
    assert world.modem.get("IPv4Address") == "10.64.0.2"
    assert [str(d) for d in world.modem.get("Dns")][:2] == ["10.64.0.53", "10.64.0.54"]
    assert_ping()
    pppd = pppd_processes(pids=True)
    assert len(pppd) == 1, pppd
    status = proc_status(pppd[0])
    assert (status["CapBnd"], status["NoNewPrivs"], status["Seccomp"]) == (CAP_NET_ADMIN_ONLY, "1", "2"), status
    assert_run_is_narrowed(pppd[0])
    assert core_limit(pppd[0]) == ["0", "0"], core_limit(pppd[0])
    # pppd wrote its lock and pid files from inside the sandbox (Debian's pppd: /var/run -> /run).
    with open(f"/run/ppp-dialupd-{world.modem_id}.pid") as pid_file:
        assert int(pid_file.read().split()[0]) == pppd[0]
    assert os.path.exists("/run/lock/LCK..ttyUSB3")
    assert_private_files(world)
    world.modem.disconnect()
    assert_reason(world, 5, "user-request")
    assert_private_files(world)
    kept = world.modem.iface.GetCallLogs(dbus.UInt32(1))
    for complaint in ("Read-only file system", "Permission denied", "Operation not permitted"):
        assert complaint not in str(kept[0][6]), f"'{complaint}' in the call log:\n{kept[0][6]}"
        assert complaint not in world.daemon.log_text(), f"'{complaint}' in the daemon's log"
