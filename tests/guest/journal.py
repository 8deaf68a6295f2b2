# SPDX-License-Identifier: GPL-2.0-or-later
"""dialupd under the real systemd-journald, inside the User-mode Linux guest: every line with its
priority and the structured fields log shippers look for (service/sys/journal_sink.h).

Journald: Debian's /lib/systemd/systemd-journald (the host's own, systemd 252), started by hand
in the guest, whose /run is a private tmpfs, so its sockets (/run/systemd/journal/socket for the
native protocol, .../stdout for streams) and its journal (Storage=volatile: /run/log/journal)
are the guest's alone and nothing reaches the host's /var/log/journal through hostfs. It needs
the cgroup2 hierarchy mounted (it reads every client's cgroup). No rate limit (a debug-level
daemon logs in bursts), no forwarding, no kernel log.

The daemon runs as a systemd service would (tests/guest/journal-stream): stdout and stderr a
stream connected to journald's stdout socket, JOURNAL_STREAM naming it; the daemon then sends
each line over the native socket with its fields (sd_journal_sendv). The entries are read back
with `journalctl -D /run/log/journal -o json`, as a log shipper reads them.

World(journal=True) starts it before the daemon and runs the daemon under journal-stream;
`world.journal` is the Journald below."""
import json
import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import DIALUPD, PATIENCE, NotifySocket, wait_until  # noqa: E402

JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_DIR = "/run/log/journal"
STREAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "journal-stream")
CONFIG = """[Journal]
Storage=volatile
RateLimitIntervalSec=0
RateLimitBurst=0
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
MaxLevelStore=debug
"""

# service/core/log_fields.h: fixed for good (dialupd(8) lists them; shippers match on them).
CALL_STARTED = "9c3e1a2f6b7d4e0a8f51c2d3e4b5a697"
CALL_UP = "4f7a2c9e1d3b4a6c8e0f1a2b3c4d5e6f"
CALL_ENDED = "b1d2e3f4a5c64b7d9e8f0a1b2c3d4e5f"
RECOVERY = "e7c1b2a3d4f54e6a8b9c0d1e2f3a4b5c"
MESSAGE_IDS = {CALL_STARTED: "call started", CALL_UP: "call up", CALL_ENDED: "call ended", RECOVERY: "recovery"}


def in_the_guest():
    try:
        with open("/proc/1/cmdline", "rb") as cmdline:
            return b"guest-init.sh" in cmdline.read()
    except OSError:
        return False


class Journald:
    def __init__(self, log_dir):
        if not in_the_guest():
            raise RuntimeError("journal.py starts journald on /run/systemd/journal: only inside the guest")
        self.log_dir = log_dir
        os.makedirs(log_dir, exist_ok=True)
        with open("/proc/mounts") as mounts:
            self.cgroup_mounted = not any(line.split()[1] == "/sys/fs/cgroup" for line in mounts)
        if self.cgroup_mounted:
            subprocess.run(["mount", "-t", "cgroup2", "cgroup2", "/sys/fs/cgroup"], check=True)
        os.makedirs("/run/systemd/journald.conf.d", exist_ok=True)
        with open("/run/systemd/journald.conf.d/dialupd-test.conf", "w") as config:
            config.write(CONFIG)
        # An earlier scenario's journal and sockets: this one starts empty.
        shutil.rmtree(JOURNAL_DIR, ignore_errors=True)
        shutil.rmtree("/run/systemd/journal", ignore_errors=True)
        self.log = open(os.path.join(log_dir, "systemd-journald.log"), "w")
        notify = NotifySocket()
        try:
            self.process = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                            env={"PATH": os.environ["PATH"], "NOTIFY_SOCKET": notify.path,
                                                 "SYSTEMD_LOG_TARGET": "console", "SYSTEMD_LOG_COLOR": "0"})
            came_up = wait_until(lambda: notify.received("READY=1") or self.process.poll() is not None, PATIENCE)
        finally:
            notify.close()
        if not came_up or self.process.poll() is not None:
            self.stop()
            raise RuntimeError(f"systemd-journald did not say READY=1 within {PATIENCE:.0f} s "
                               f"(exit status {self.process.poll()}); see {self.log.name}")

    def query(self, *arguments):
        """journalctl -D on the journal, `arguments` added (matches such as _PID=1, -p err);
        each entry a dict of its fields."""
        run = subprocess.run(["journalctl", "-D", JOURNAL_DIR, "-o", "json", "--no-pager", *arguments],
                             capture_output=True, text=True)
        if run.returncode not in (0, 1) or (run.returncode == 1 and run.stdout):
            raise RuntimeError(f"journalctl {' '.join(arguments)} exited {run.returncode}: {run.stderr}")
        return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(PATIENCE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # What the scenario left in the journal, for a reader of its logs.
        with open(os.path.join(self.log_dir, "journal.txt"), "w") as out:
            subprocess.run(["journalctl", "-D", JOURNAL_DIR, "-o", "short-monotonic", "--no-pager"], stdout=out,
                           stderr=subprocess.STDOUT)
        with open(os.path.join(self.log_dir, "journal.json"), "w") as out:
            subprocess.run(["journalctl", "-D", JOURNAL_DIR, "-o", "json", "--no-pager"], stdout=out,
                           stderr=subprocess.STDOUT)
        self.log.close()
        if self.cgroup_mounted:
            subprocess.run(["umount", "/sys/fs/cgroup"])


# --- the scenario -----------------------------------------------------------------------------

def _text(entry, field):
    value = entry.get(field)
    return value if isinstance(value, str) or value is None else repr(value)


def _lines(entries, fragment):
    return [entry for entry in entries if fragment in entry.get("MESSAGE", "")]


def _one(entries, fragment):
    found = _lines(entries, fragment)
    assert len(found) == 1, f"{len(found)} entries with '{fragment}': {found}"
    return found[0]


def _check_every_entry(entries, modems):
    """What holds for each line the daemon wrote: its fields, their values and where they may be."""
    for entry in entries:
        message = entry["MESSAGE"]
        assert entry.get("SYSLOG_IDENTIFIER") == "dialupd", entry
        assert entry.get("PRIORITY") in ("2", "3", "4", "6", "7"), entry
        # DIALUPD_MODEM= on exactly the lines about a modem ("[<id>] ..."), with its id.
        about = message[1:message.index("]")] if message.startswith("[") and "]" in message else None
        assert _text(entry, "DIALUPD_MODEM") == (about if about in modems else None), entry
        message_id = entry.get("MESSAGE_ID")
        assert message_id is None or message_id in MESSAGE_IDS, entry
        if message_id != CALL_ENDED and message_id != RECOVERY:
            assert "DIALUPD_REASON_CODE" not in entry and "DIALUPD_REASON" not in entry, entry


def scenario_journal_fields(world):
    """The daemon under the real journald. One call that comes up and ends from the network side
    (16), a failed dial (8), a call whose pppd is SIGKILLed (137) and, at the next Connect, the
    module's recovery before a dial that comes up and is disconnected (5). The counters cannot be
    written (their temporary file's name is taken by a directory): error lines. A second modem
    configured on a device that is not there: a warning about that modem. Every entry is read
    back with journalctl: priorities, DIALUPD_MODEM, the MESSAGE_IDs, DIALUPD_REASON_CODE and
    DIALUPD_REASON; `journalctl -p err` finds the error lines; a shipper's match on the fields
    finds the hangup. Then a daemon with a broken config under the same kind of stream: its
    refusal (written to stderr, not through the native protocol) is stored at err too."""
    from checks import connect, expect_failure, pppd_pid, wait_for_hangup

    journal = world.journal
    pid = world.daemon.process.pid
    # The counters' temporary file's name taken by a directory: the daemon cannot write them.
    blocked = os.path.join(world.scratch, "state", "counters", world.modem_id + ".new")
    os.makedirs(blocked)

    connect(world)
    world.sim.command("fault carrier-drop")
    assert wait_for_hangup(world)["code"] == 16
    os.rmdir(blocked)

    assert world.sim.command("fault dial-no-carrier").startswith("OK")
    expect_failure(world, "org.dialupd1.Error.CallFailed")
    assert wait_until(lambda: len(world.modem.hangups) == 2, PATIENCE), world.modem.hangups
    assert world.modem.hangups[-1]["code"] == 8, world.modem.hangups[-1]
    assert world.sim.command("clear").startswith("OK")

    connect(world)
    os.kill(pppd_pid(), signal.SIGKILL)
    assert wait_until(lambda: len(world.modem.hangups) == 3, PATIENCE), world.modem.hangups
    assert world.modem.hangups[-1]["code"] == 137, world.modem.hangups[-1]
    connect(world)  # the module is checked (recovered from data mode) first
    world.modem.disconnect()

    def ends():
        return [entry.get("DIALUPD_REASON_CODE") for entry in journal.query(f"_PID={pid}", f"MESSAGE_ID={CALL_ENDED}")]

    assert wait_until(lambda: ends() == ["16", "8", "137", "5"], PATIENCE), ends()
    everything = journal.query(f"_PID={pid}")
    with open(os.path.join(world.log_dir, "daemon-entries.json"), "w") as out:
        json.dump(everything, out, indent=1)

    # The stream: the wrapper's line came over it; the daemon itself wrote nothing there, every
    # line of its own went over the native socket. (A stream's lines are found by identifier:
    # journald stores their _PID only when it reads the stream's peer in /proc in time.)
    stream = journal.query("SYSLOG_IDENTIFIER=dialupd", "_TRANSPORT=stdout")
    assert len(stream) == 1 and stream[0]["MESSAGE"].startswith("journal-stream: dialupd starts"), stream
    native = [entry for entry in everything if entry.get("_TRANSPORT") == "journal"]
    assert native == [entry for entry in everything if entry.get("_TRANSPORT") != "stdout"], everything
    _check_every_entry(native, {world.modem_id, "absent"})
    priorities = {entry["PRIORITY"] for entry in native}
    assert {"3", "4", "6", "7"} <= priorities, priorities  # the daemon runs at --log-level debug

    # The error, the warnings, each about its modem.
    # (Each change of the counters while they were blocked: the call's start, up and end.)
    errors = _lines(native, "counters not kept")
    assert errors and all((e["PRIORITY"], e.get("DIALUPD_MODEM")) == ("3", world.modem_id) for e in errors), errors
    absent = _one(native, "[absent] /dev/ttyUSB9")
    assert (absent["PRIORITY"], absent.get("DIALUPD_MODEM")) == ("4", "absent"), absent
    # The guest has neither systemd-resolved on this bus nor resolvconf: each call's DNS servers
    # stay on D-Bus, a warning about that modem's call.
    dns = _lines(native, "DNS servers of ppp0 are not handed to the system")
    assert len(dns) == 3 and all((e["PRIORITY"], e.get("DIALUPD_MODEM")) == ("4", world.modem_id) for e in dns), dns

    # The call lines a shipper looks for: four dials, three up, four ends, one recovery.
    def with_id(message_id):
        return [entry for entry in native if entry.get("MESSAGE_ID") == message_id]

    started, up, ended, recovered = (with_id(m) for m in (CALL_STARTED, CALL_UP, CALL_ENDED, RECOVERY))
    assert [e["MESSAGE"].split(" (pid")[0] for e in started] == [f"[{world.modem_id}] started pppd"] * 4, started
    assert [e["MESSAGE"].split(":")[0] for e in up] == [f"[{world.modem_id}] connected"] * 3, up
    assert [(e.get("DIALUPD_REASON_CODE"), e.get("DIALUPD_REASON")) for e in ended] == [
        ("16", "hangup"), ("8", "connect-failed"), ("137", "killed-by-signal"), ("5", "user-request")], ended
    for entry in ended:
        assert entry["MESSAGE"].startswith(f"[{world.modem_id}] call ended after "), entry
        assert entry["MESSAGE"].endswith(f"{entry['DIALUPD_REASON_CODE']} {entry['DIALUPD_REASON']}"), entry
    assert len(recovered) == 1, recovered
    assert (recovered[0].get("DIALUPD_REASON_CODE"), recovered[0].get("DIALUPD_REASON")) == (
        "137", "killed-by-signal"), recovered
    assert all(e["PRIORITY"] == "6" and e.get("DIALUPD_MODEM") == world.modem_id
               for e in started + up + ended + recovered), started + up + ended + recovered
    order = [e["MESSAGE_ID"] for e in native if "MESSAGE_ID" in e]
    assert order == [CALL_STARTED, CALL_UP, CALL_ENDED, CALL_STARTED, CALL_ENDED, CALL_STARTED, CALL_UP, CALL_ENDED,
                     RECOVERY, CALL_STARTED, CALL_UP, CALL_ENDED], [MESSAGE_IDS[m] for m in order]

    # `journalctl -p err`: the error lines and nothing milder.
    found = journal.query(f"_PID={pid}", "-p", "err")
    assert [e["MESSAGE"] for e in found] == [e["MESSAGE"] for e in native if int(e["PRIORITY"]) <= 3], found
    assert [e["MESSAGE"] for e in found] == [e["MESSAGE"] for e in errors], found
    # A shipper's match on the modem and the hangup's id.
    matched = journal.query(f"DIALUPD_MODEM={world.modem_id}", f"MESSAGE_ID={CALL_ENDED}", "DIALUPD_REASON_CODE=16")
    assert len(matched) == 1 and matched[0]["DIALUPD_REASON"] == "hangup", matched

    # A daemon that refuses its config under the stream: the refusal is stored at err.
    bad = os.path.join(world.log_dir, "bad.conf")
    with open(bad, "w") as out:
        out.write("[daemon]\nno-such-key = 1\n")
    refused = subprocess.run([STREAM, "dialupd", DIALUPD, "--config", bad], env={"PATH": os.environ["PATH"]},
                             timeout=PATIENCE)
    assert refused.returncode == 1, refused.returncode

    def refusal():
        return [e for e in journal.query("SYSLOG_IDENTIFIER=dialupd", "_TRANSPORT=stdout")
                if "no-such-key" in e["MESSAGE"]]

    assert wait_until(refusal, PATIENCE), journal.query("SYSLOG_IDENTIFIER=dialupd", "_TRANSPORT=stdout")
    line = refusal()[0]
    assert line["PRIORITY"] == "3" and line["MESSAGE"].startswith("dialupd: "), line
    assert any("no-such-key" in e["MESSAGE"] for e in journal.query("-p", "err", "_TRANSPORT=stdout")), \
        journal.query("_TRANSPORT=stdout")


def scenarios():
    return [
        ("journal-priorities-and-fields", scenario_journal_fields,
         {"journal": True, "modem_settings": "ip-family = ipv4",  # no IPv4 fallback: one pppd a dial
          "more_modems": [("absent", "/dev/ttyUSB9", "/dev/ttyUSB8", None)]}, None),
    ]
