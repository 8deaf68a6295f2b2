#!/usr/bin/python3
"""Real-PPP scenarios, run inside the User-mode Linux guest (tests/guest/test_guest.py boots it):
real dbus-daemon, real dialupd, real pppd and chat, kernel PPP, and the simulated EC25 with a
network-side pppd. dialupd is driven only over D-Bus, as a user would. Results go to
$GUEST_RESULT/scenarios.tap, each scenario's logs to $GUEST_RESULT/<scenario>/.

pppd exit codes no scenario here produces, and why:
  1 fatal-error, 9 pty-command-failed, 14 callback, 18 init-failed, 20 traffic-limit,
  21 cnid-auth-failed: dialupd never passes the options that lead there (pty, callback, init,
  maxoctets, allow-number), and 1 needs a failing system call such as out-of-memory.
  3 not-root: dialupd runs pppd as root. 11 peer-auth-failed: dialupd always passes noauth (a
  cellular network does not authenticate itself to us), so we never require the peer's auth.
  4 no-kernel-support is covered on the host, where there is no kernel PPP
  (tests/integration/test_dbus_api.py).
"""
import glob
import json
import os
import pwd
import signal
import socket
import stat
import subprocess
import sys
import time
import traceback

import dbus

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from world import PATIENCE, MonitorProcess, World, wait_until  # noqa: E402
import world as network  # noqa: E402  (what the simulated network gives: addresses, the test name)
from nd_useropt import RdnssListener  # noqa: E402
from testbed import DIALUPD  # noqa: E402
import load_storm  # noqa: E402
import online  # noqa: E402

RESULT = os.environ.get("GUEST_RESULT", "/tmp/dialupd-scenarios")
DIALUPCTL = os.environ.get("DIALUPCTL_BIN", os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "build", "client", "dialupctl"))
PASSWORD = "S3cret-Pa55-xyz"
APN_AS_PASSWORD = "internet"  # the default APN, and the password too


def connect(world, **options):
    return world.modem.connect(**options)


def expect_failure(world, error_name, **options):
    try:
        connect(world, **options)
    except dbus.DBusException as error:
        assert error.get_dbus_name() == error_name, f"{error.get_dbus_name()}: {error.get_dbus_message()}"
        return error.get_dbus_message()
    raise AssertionError("Connect succeeded, expected " + error_name)


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


def scenario_connect_wait(world):
    # DNS comes from the plugin's request, not usepeerdns: pppd writes nothing under /etc (the
    # guest's /etc is the host's, so the file may be there from elsewhere: it must stay as it is).
    resolv_before = file_stamp("/etc/ppp/resolv.conf")
    connect(world)
    assert file_stamp("/etc/ppp/resolv.conf") == resolv_before, "pppd wrote /etc/ppp/resolv.conf"
    assert world.modem.get("State") == "connected"
    assert world.modem.get("Interface") == "ppp0", world.modem.get("Interface")
    assert world.modem.get("IPv4Address") == "10.64.0.2"
    assert world.modem.get("PeerAddress") == "10.64.0.1"
    # IPCP's servers first; the router advertisement's IPv6 one may follow at any time.
    assert [str(d) for d in world.modem.get("Dns")][:2] == ["10.64.0.53", "10.64.0.54"], world.modem.get("Dns")
    assert world.modem.get("ConnectedSince") > 0
    # The plugin set the link up for the router advertisement before IPV6CP ran (ip-family
    # ipv4v6, default-route yes, route-metric 700 by default).
    # A guest kernel without IPv6 has no such files: the plugin reports each as absent.
    sysctls = {"accept_ra": "2", "accept_ra_defrtr": "1", "ra_defrtr_metric": "700"}
    for name, value in sysctls.items():
        path = f"/proc/sys/net/ipv6/conf/ppp0/{name}"
        if not os.path.isdir("/proc/sys/net/ipv6/conf/ppp0") or (name == "ra_defrtr_metric" and not os.path.exists(path)):
            assert f"{path} does not exist" in world.daemon.log_text(), f"{path}: no plugin report"
            continue
        with open(path) as sysctl:
            assert sysctl.read().strip() == value, f"{path} is not {value}"
    assert_ping()
    assert_ping()
    # The network side lives in its own namespace: the echo requests really crossed ppp0.
    with open("/sys/class/net/ppp0/statistics/tx_packets") as counter:
        assert int(counter.read()) >= 2, "the pings did not go through ppp0"
    assert wait_until(lambda: world.modem.states == ["connecting", "connected"], PATIENCE), world.modem.states
    assert world.modem.hangups == []


def scenario_disconnect(world):
    connect(world)
    world.modem.disconnect()
    assert_reason(world, 5, "user-request")
    assert world.modem.get("State") == "disconnected"
    assert world.modem.get("Interface") == "" and world.modem.get("ConnectedSince") == 0
    wait_until(lambda: False, 0.5)  # keeps receiving signals: a late Hangup would show up here
    assert world.modem.hangups == [], "Disconnect must not emit Hangup"
    assert world.modem.states == ["connecting", "connected", "disconnecting", "disconnected"], world.modem.states
    network_log = open(os.path.join(world.log_dir, "network-pppd.log")).read()
    assert "rcvd [LCP TermReq" in network_log, "network side saw no LCP Terminate-Request"
    assert pppd_processes() == []


def scenario_carrier_drop(world):
    connect(world)
    # Some traffic first, so the call's byte counters have something to count.
    subprocess.run(["ping", "-c", "1", "-W", "2", "10.64.0.1"], capture_output=True)
    world.sim.command("fault carrier-drop")
    hangup = wait_for_hangup(world)
    assert (hangup["code"], hangup["name"]) == (16, "hangup"), hangup
    assert_reason(world, 16, "hangup")
    assert hangup["duration"] > 0
    assert "Modem hangup" in hangup["log"] or "Connection terminated" in hangup["log"], hangup["log"]
    assert world.modem.states == ["connecting", "connected", "disconnected"], world.modem.states
    assert_evidence(hangup, 'AT+CEER -> +CEER: "Regular deactivation: network failure"', "AT+CSQ -> +CSQ: 24,99",
                    "ended: 16 hangup", "bytes in")
    keep_log("carrier-drop", hangup, world)
    # The figures of the call are properties too, and the call is kept for GetCallLogs.
    assert world.modem.get("LastCallBytesOut") >= 84 and world.modem.get("LastCallBytesIn") >= 84, \
        (world.modem.get("LastCallBytesIn"), world.modem.get("LastCallBytesOut"))
    assert world.modem.get("LastCallDuration") == hangup["duration"]
    kept = world.modem.iface.GetCallLogs(dbus.UInt32(5))
    assert len(kept) == 1 and int(kept[0][2][0]) == 16 and str(kept[0][6]) == hangup["log"], kept


def scenario_lcp_echo_silence(world):
    connect(world)
    world.sim.command("fault lcp-silent")
    hangup = wait_for_hangup(world)
    assert (hangup["code"], hangup["name"]) == (15, "peer-dead"), hangup
    assert_evidence(hangup, "No response to 3 echo-requests", "Serial link appears to be disconnected")


def dial_answered(answer, *ceer):
    def scenario(world):
        message = expect_failure(world, "org.dialupd1.Error.CallFailed")
        assert message.startswith("8 connect-failed"), message
        hangup = wait_for_hangup(world)
        assert hangup["code"] == 8, hangup
        assert answer in hangup["log"], f"chat's transcript should show {answer}: " + hangup["log"]
        assert world.modem.states == ["connecting", "disconnected"], world.modem.states
        assert_evidence(hangup, *ceer)
    return scenario


def dial_refused_by_module(*evidence):
    """The module refuses before or at ATD (no SIM, no network): chat fails, the snapshot says why."""
    def scenario(world):
        message = expect_failure(world, "org.dialupd1.Error.CallFailed")
        assert message.startswith("8 connect-failed"), message
        assert_evidence(wait_for_hangup(world), *evidence)
    return scenario


def scenario_at_port_silent(world):
    # The call drops and the AT port answers nothing: the Hangup still comes, one command
    # timeout (1 s) after the State change, and says the port was silent.
    connect(world)
    world.sim.command("fault at-silent")
    world.sim.command("fault carrier-drop")
    hangup = wait_for_hangup(world)
    assert_evidence(hangup, "ATI -> no answer within 1000 ms", "AT port silent: 8 command(s) not sent")
    state_at, hangup_at = world.times["State:disconnected"], world.times["Hangup"]
    assert 0.9 <= hangup_at - state_at <= 2.5, f"Hangup {hangup_at - state_at:.2f} s after the State change"


def scenario_wrong_password(world):
    message = expect_failure(world, "org.dialupd1.Error.CallFailed", user="alice", password="wrong-password")
    assert message.startswith("19 auth-to-peer-failed"), message
    hangup = wait_for_hangup(world)
    assert hangup["code"] == 19
    assert "wrong-password" not in hangup["log"] and "wrong-password" not in world.daemon.log_text()
    assert_evidence(hangup, "PAP authentication failed")


def scenario_right_password_secret_stays_secret(world):
    connect(world, user="alice", password=PASSWORD)
    assert world.modem.get("State") == "connected"
    # The simulator plays the network, which knows the password: its own argv is not ours.
    simulator = f"/proc/{world.sim.process.pid}/cmdline"
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        if path == simulator:
            continue
        try:
            with open(path, "rb") as cmdline:
                assert PASSWORD.encode() not in cmdline.read(), f"password on the command line of {path}"
        except OSError:
            pass
    world.sim.command("fault carrier-drop")
    hangup = wait_for_hangup(world)
    # Everything dialupd produced: the Hangup, the journal, kept call logs (on disk and over
    # D-Bus), runtime files. (The simulator's logs are the network's: it knows the password.)
    assert PASSWORD not in hangup["log"]
    # Not vacuous: pppd did dump the PAP request (pppd-debug), its password field hidden.
    assert 'sent [PAP AuthReq id=0x1 user="alice" password=<hidden>]' in hangup["log"], hangup["log"]
    assert PASSWORD not in world.daemon.log_text()
    assert PASSWORD not in str(world.modem.iface.GetCallLogs(dbus.UInt32(10)))
    produced = glob.glob(os.path.join(world.scratch, "run", "**"), recursive=True)
    produced += glob.glob(os.path.join(world.scratch, "state", "**"), recursive=True)
    assert any(path.endswith(".log") for path in produced), produced
    for path in produced:
        if os.path.isfile(path):
            assert PASSWORD not in open(path, errors="replace").read(), path


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


def scenario_negotiation_refused(world):
    # The network demands CHAP and we have no credentials: we refuse to authenticate, LCP
    # cannot agree, the network gives up on us.
    message = expect_failure(world, "org.dialupd1.Error.CallFailed")
    assert message.startswith("10 negotiation-failed"), message
    hangup = wait_for_hangup(world)
    assert (hangup["code"], hangup["name"]) == (10, "negotiation-failed"), hangup


def scenario_loopback(world):
    expect_failure(world, "org.dialupd1.Error.CallFailed")
    hangup = wait_for_hangup(world)
    assert (hangup["code"], hangup["name"]) == (17, "loopback"), hangup


def scenario_lock_held(world):
    # Another process (alive: this one) holds the UUCP lock of the port.
    with open("/run/lock/LCK..ttyUSB3", "w") as lock:
        lock.write("%10d\n" % os.getpid())
    try:
        message = expect_failure(world, "org.dialupd1.Error.CallFailed")
        assert message.startswith("6 lock-failed"), message
    finally:
        os.unlink("/run/lock/LCK..ttyUSB3")


def scenario_open_failed(world):
    # A device node that exists but whose driver is absent: open() fails with ENODEV.
    message = expect_failure(world, "org.dialupd1.Error.CallFailed")
    assert message.startswith("7 open-failed"), message


def scenario_bad_option(world):
    message = expect_failure(world, "org.dialupd1.Error.CallFailed")
    assert message.startswith("2 option-error"), message


def limit_reached(code, name):
    def scenario(world):
        connect(world)
        hangup = wait_for_hangup(world)
        assert (hangup["code"], hangup["name"]) == (code, name), hangup
    return scenario


def scenario_caller_vanishes_mid_wait(world):
    # A client that gives up while Connect(wait) is pending changes nothing: the call goes on.
    caller = subprocess.Popen(["busctl", f"--address={world.bus.address}", "call", "--timeout=60", "org.dialupd1",
                               world.modem.path, "org.dialupd1.Modem", "Connect", "a{sv}", "1", "wait", "b", "true"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_until(lambda: world.modem.states[:1] == ["connecting"], PATIENCE), world.modem.states
    caller.kill()
    caller.wait()
    assert wait_until(lambda: world.modem.get("State") == "connected", PATIENCE), world.modem.states
    assert world.daemon.process.poll() is None
    world.modem.disconnect()
    assert world.modem.hangups == []


def scenario_killed_from_outside(world):
    connect(world)
    processes = pppd_processes()
    assert len(processes) == 1, processes
    os.kill(pppd_processes(pids=True)[0], signal.SIGKILL)
    hangup = wait_for_hangup(world)
    assert (hangup["code"], hangup["name"]) == (137, "killed-by-signal"), hangup
    assert "SIGKILL" in hangup["description"]


def scenario_daemon_sigterm_stops_calls(world):
    connect(world)
    code = world.daemon.stop()
    assert code == 0, f"dialupd exited {code}"
    assert pppd_processes() == [], "pppd outlived the daemon"
    network_log = open(os.path.join(world.log_dir, "network-pppd.log")).read()
    assert "rcvd [LCP TermReq" in network_log, "the call was not closed with LCP Terminate"


def scenario_unplug_mid_call(world):
    connect(world)
    pppd_before = pppd_processes()
    assert len(pppd_before) == 1, pppd_before
    world.unplug()
    hangup = wait_for_hangup(world)
    assert (hangup["code"], hangup["name"]) == (16, "hangup"), hangup
    assert wait_until(lambda: not world.modem_present(), PATIENCE), "the unplugged modem's object stayed"
    assert world.events[-2:] == ["Hangup", "InterfacesRemoved"], world.events
    assert pppd_processes() == [], "pppd outlived the unplug"
    assert world.modem.states[-1] in ("disconnected", "unavailable"), world.modem.states

    # Back in: the same id, a fresh object, and it dials again.
    world.plug()
    assert world.modem.get("State") == "disconnected"
    assert world.modem.reason() == (0, "none"), "a re-plugged modem starts fresh"
    assert world.modem.get("UsbSerial") == "SIMEC25" and world.modem.get("AtPort") == "/dev/ttyUSB2"
    connect(world)
    assert world.modem.get("IPv4Address") == "10.64.0.2"
    world.modem.disconnect()


def scenario_dialupctl_session(world):
    """A person's session with dialupctl on a plugged-in EC25 that no config names: list,
    connect --wait, status, the network hanging up while `monitor` watches, the call's log, and
    a requested disconnect. The text output is kept as dialupctl-session.txt (the README's)."""
    env = {"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": world.bus.address, "TZ": "UTC"}
    transcript = []

    def ctl(*args, status=0):
        result = subprocess.run([DIALUPCTL, *args], capture_output=True, text=True, env=env, timeout=120)
        transcript.append("$ dialupctl " + " ".join(args) + "\n" + result.stdout + result.stderr)
        assert result.returncode == status, f"dialupctl {args}: exit {result.returncode}\n{result.stderr}"
        return json.loads(result.stdout) if "--json" in args else result.stdout

    world.plug()
    listed = ctl("--json", "list")["modems"]
    assert [(m["id"], m["model"], m["usb_serial"], m["state"]) for m in listed] == \
        [("ec25_SIMEC25", "EC25", "SIMEC25", "disconnected")], listed
    monitor = MonitorProcess(env, "--json", "monitor")
    watching = MonitorProcess(env, "monitor")
    ctl("list")
    connected = ctl("connect", "--apn", "internet", "--wait")
    assert "ec25_SIMEC25: connected in" in connected and "ppp0 10.64.0.2 (peer 10.64.0.1)" in connected, connected
    # (the RA's IPv6 server may or may not have come by the time the link is online)
    assert ", default route (metric 700), DNS 10.64.0.53 10.64.0.54" in connected and "(in resolved)" in connected, \
        connected
    # The status shown once IPv6 has followed (the router advertisement: address and RDNSS).
    assert wait_until(lambda: world.modem.get("IPv6Addresses") and len(world.modem.get("Dns")) == 3, PATIENCE), \
        world.modem.get("Dns")
    status = ctl("--json", "status")
    assert (status["state"], status["interface"], status["ipv4_address"], status["dns"], status["dns_backend"],
            status["default_route"], status["route_metric"], status["ipv6_addresses"]) == \
        ("connected", "ppp0", "10.64.0.2", ["10.64.0.53", "10.64.0.54", "2001:db8:ff::53"], "resolved", True, 700,
         ["2001:db8:64::2"]), status
    ctl("status")
    world.sim.command("fault carrier-drop")
    hangup = wait_for_hangup(world)
    for watcher in (monitor, watching):
        assert watcher.wait_for(lambda: watcher.count("hangup") == 1), watcher.lines
    events = [json.loads(line) for line in monitor.finish()[0].splitlines()]
    assert monitor.process.returncode == 0, monitor.process.returncode
    transcript.append("$ dialupctl monitor    (in another terminal, from before the connect; ^C after the hangup)\n"
                      + watching.finish()[0])
    seen = [(e["event"], e.get("state")) for e in events]
    assert seen == [("present", None), ("state", "connecting"), ("state", "connected"), ("state", "disconnected"),
                    ("hangup", None)], seen
    assert events[2]["ipv4_address"] == "10.64.0.2" and events[3]["last_exit_reason"]["code"] == 16, events
    assert (events[4]["reason"]["name"], events[4]["log"]) == ("hangup", hangup["log"]), events[4]
    kept = ctl("--json", "log")["calls"]
    assert len(kept) == 1 and kept[0]["reason"]["code"] == 16 and "AT+CEER -> +CEER:" in kept[0]["log"], kept
    assert ctl("log").count("== AT snapshot (/dev/ttyUSB2) ==") == 1
    ctl("disconnect", status=7)
    ctl("connect", "--wait")
    ended = ctl("--json", "disconnect")
    assert (ended["status"]["state"], ended["status"]["last_exit_reason"]["name"]) == \
        ("disconnected", "user-request"), ended
    with open(os.path.join(RESULT, "dialupctl-session.txt"), "w") as out:
        out.write("\n".join(transcript))
    assert pppd_processes() == []


UNIT_SANDBOX = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "unit-sandbox"),
                os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             "systemd", "dialupd.service.in")]
CAP_NET_ADMIN_ONLY = "0000000000001000"  # bit 12


def proc_status(pid):
    with open(f"/proc/{pid}/status") as status:
        return dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)


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


def mount_options(pid):
    """mount point -> its options, as process `pid` sees its mounts (the last mount wins)."""
    with open(f"/proc/{pid}/mountinfo") as mounts:
        return {line.split()[4]: line.split()[5] for line in mounts}


def core_limit(pid):
    with open(f"/proc/{pid}/limits") as limits:
        return next(line.split()[4:6] for line in limits if line.startswith("Max core file size"))


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


def scenario_redial_after_carrier_drop(world):
    """reconnect = yes: the network drops the call, the Hangup goes out, and dialupd dials
    again on its own until the link is back; Disconnect then ends it for good."""
    connect(world)
    world.sim.command("fault carrier-drop")
    dropped = time.monotonic()
    hangup = wait_for_hangup(world)
    assert (hangup["code"], hangup["name"]) == (16, "hangup"), hangup
    assert "dialupd: redial 1 in" in hangup["log"], hangup["log"]
    assert wait_until(lambda: world.modem.states[-2:] == ["connecting", "connected"] and len(world.modem.states) > 3,
                      PATIENCE), world.modem.states
    back = time.monotonic() - dropped
    with open(os.path.join(RESULT, "redial-after-carrier-drop.txt"), "w") as out:
        out.write(f"carrier drop -> connected again: {back:.1f} s (reconnect-delay = 1)\n")
    assert world.modem.states == ["connecting", "connected", "disconnected", "connecting", "connected"], \
        world.modem.states
    assert world.modem.get("IPv4Address") == "10.64.0.2"
    assert int(world.modem.get("ReconnectAttempts")) == 0, "the link is up: the count starts afresh"
    assert_ping()
    world.modem.disconnect()
    wait_until(lambda: False, 2)  # no redial after a requested end
    assert world.modem.get("State") == "disconnected" and len(world.modem.hangups) == 1, world.modem.states


def scenario_daemon_killed_mid_call(world):
    """dialupd is SIGKILLed during a call: pppd gets SIGTERM from the kernel (parent-death
    signal), closes the link and exits on its own, so no pppd is orphaned; a new dialupd then
    dials on the same port."""
    connect(world)
    assert len(pppd_processes()) == 1
    killed = time.monotonic()
    world.daemon.process.kill()
    world.daemon.process.wait(PATIENCE)
    assert wait_until(lambda: pppd_processes() == [], PATIENCE), f"pppd outlived a SIGKILLed dialupd: {pppd_processes()}"
    pppd_gone = time.monotonic() - killed
    network_log = open(os.path.join(world.log_dir, "network-pppd.log")).read()
    assert "rcvd [LCP TermReq" in network_log, "the orphaned call was not closed with LCP Terminate"
    world.start_another_daemon()
    started = time.monotonic()
    connect(world)
    assert world.modem.get("IPv4Address") == "10.64.0.2"
    with open(os.path.join(RESULT, "daemon-killed-mid-call.txt"), "w") as out:
        out.write(f"dialupd SIGKILLed -> its pppd gone: {pppd_gone:.1f} s; "
                  f"new dialupd Connect(wait) -> connected: {time.monotonic() - started:.1f} s\n")
    world.modem.disconnect()


def pppd_pid():
    pids = pppd_processes(pids=True)
    assert len(pids) == 1, f"pppd processes: {pids}"
    return pids[0]


def sim_log(world):
    with open(os.path.join(world.log_dir, "modem-sim.log")) as log:
        return log.read()


def killed_then_recovered(signal_number, figure_file):
    """reconnect = yes, and pppd dies by `signal_number` mid-call: no LCP Terminate, no hangup,
    so the simulated EC25 is left in data mode, swallowing everything. The Hangup names the
    signal; the redial finds the module silent, escapes with +++ and ATH (State "resetting"),
    and the link comes back. Writes the time from the kill to connected again."""
    def body(world):
        connect(world)
        os.kill(pppd_pid(), signal_number)
        killed = time.monotonic()
        hangup = wait_for_hangup(world)
        # SIGKILL kills pppd outright; a crash signal such as SIGSEGV is caught by pppd, which
        # logs "Fatal signal 11" and exits 127 at once (pppd's bad_signal()).
        expected = (137, "killed-by-signal") if signal_number == signal.SIGKILL else (127, "fatal-signal")
        assert (hangup["code"], hangup["name"]) == expected, hangup
        assert signal.Signals(signal_number).name in hangup["description"], hangup
        assert "the module will be checked before the next dial" in hangup["log"], hangup["log"]
        assert wait_until(lambda: world.modem.states[-1:] == ["connected"] and len(world.modem.states) > 3, PATIENCE), \
            world.modem.states
        back = time.monotonic() - killed
        assert world.modem.states == ["connecting", "connected", "disconnected", "resetting", "connecting",
                                      "connected"], world.modem.states
        log = sim_log(world)
        assert "module stuck in data mode" in log and "escape sequence: command mode" in log, log[-3000:]
        assert world.modem.get("IPv4Address") == "10.64.0.2"
        with open(os.path.join(RESULT, figure_file), "w") as out:
            out.write(f"pppd {signal.Signals(signal_number).name} mid-call -> connected again: {back:.1f} s "
                      f"(reconnect-delay = 1; recovery by +++ and ATH)\n")
        world.modem.disconnect()
        # The recovery's steps are in the call that followed it.
        kept = world.modem.iface.GetCallLogs(dbus.UInt32(1))
        assert "module recovered by escape in" in str(kept[0][6]), str(kept[0][6])
    return body


def leave_module_stuck(world):
    """A call whose pppd is SIGKILLed: the module stays in data mode (no redial configured)."""
    connect(world)
    os.kill(pppd_pid(), signal.SIGKILL)
    wait_for_hangup(world)
    assert wait_until(lambda: "mode=stuck" in world.sim.command("status"), PATIENCE), world.sim.command("status")


def scenario_cfun_reset_when_escape_ignored(world):
    """The module ignores +++ (fault escape-ignored): Reset climbs to AT+CFUN=1,1 on the AT port,
    the ports go away while the module restarts and come back, and the modem answers again.
    dialupctl reset runs it, as a user would; the next Connect dials at once."""
    leave_module_stuck(world)
    started = time.monotonic()
    result = subprocess.run([DIALUPCTL, "--json", "reset"], capture_output=True, text=True, timeout=120,
                            env={"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": world.bus.address})
    took = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout)
    assert answer["recovered_by"] == "reboot", answer
    for step in ("step 1 of 3: escape", "no OK after '+++'", "step 2 of 3: restart the module (AT+CFUN=1,1 on "
                 "/dev/ttyUSB2)", "answers OK again", "module recovered by reboot in"):
        assert step in answer["log"], answer["log"]
    assert "module reboot (AT+CFUN=1,1)" in sim_log(world)
    assert wait_until(lambda: world.modem.states[-2:] == ["resetting", "disconnected"], PATIENCE), world.modem.states
    with open(os.path.join(RESULT, "cfun-reset.txt"), "w") as out:
        out.write(f"Reset of a module stuck in data mode that ignores +++ -> recovered by AT+CFUN=1,1: {took:.1f} s "
                  f"(simulated restart 2.0 s; escape attempt and guard times included)\n")
    dialled = time.monotonic()
    connect(world)
    assert time.monotonic() - dialled < 10
    world.modem.disconnect()


def scenario_usb_reenumeration_keeps_the_object(world):
    """A USB EC25 (udev played by umockdev) restarted by AT+CFUN=1,1 during recovery: its ttys go
    away and udev says remove, then add; the object stays (no InterfacesRemoved/Added), State
    goes resetting -> disconnected, and it dials again."""
    leave_module_stuck(world)
    events_before = len(world.events)
    replies = []
    world.modem.iface.Reset(reply_handler=lambda by, log: replies.append(("ok", str(by), str(log))),
                            error_handler=lambda error: replies.append(("error", error.get_dbus_name(), str(error))),
                            timeout=120)
    assert wait_until(lambda: not os.path.lexists("/dev/ttyUSB3"), PATIENCE), "the module did not restart"
    world.usb.unplug("1-1")           # udev: remove
    assert wait_until(lambda: os.path.lexists("/dev/ttyUSB3"), PATIENCE), "the module did not come back"
    world.usb.plug("1-1", "SIMEC25", first_tty=0)  # udev: add
    assert wait_until(lambda: replies, PATIENCE), "no answer to Reset"
    assert replies[0][:2] == ("ok", "reboot"), replies
    assert "went away during the recovery" in replies[0][2], replies[0][2]
    assert wait_until(lambda: "the module is back" in world.daemon.log_text(), PATIENCE), world.daemon.log_text()[-3000:]
    wait_until(lambda: False, 1)  # a stray removal would show up here
    assert world.events[events_before:] == [], world.events
    assert world.modem.states[-2:] == ["resetting", "disconnected"], world.modem.states
    connect(world)
    assert world.modem.get("IPv4Address") == "10.64.0.2"
    world.modem.disconnect()


def scenario_unplug_mid_dial(world):
    """The EC25 is pulled out while chat is still talking to it: the dial ends as a hangup (16,
    the device removed), the object goes, no pppd is left; plugged back, it dials."""
    world.modem.connect(wait=False)
    assert wait_until(lambda: "modem -> 'AT" in sim_log(world), PATIENCE), "chat never spoke to the module"
    world.unplug()
    hangup = wait_for_hangup(world)
    assert (hangup["code"], hangup["name"]) == (16, "hangup"), hangup
    assert "removed" in hangup["description"], hangup
    assert "connected" not in world.modem.states, world.modem.states
    assert wait_until(lambda: not world.modem_present(), PATIENCE), "the unplugged modem's object stayed"
    assert pppd_processes() == [], "pppd outlived the unplug"
    world.plug()
    connect(world)
    assert world.modem.get("IPv4Address") == "10.64.0.2"
    world.modem.disconnect()


def scenario_at_port_silent_with_reconnect(world):
    """The network drops the call while the AT port answers nothing: the Hangup still comes and
    says the port was silent, and the redial brings the link back all the same (dialing needs
    only the modem port)."""
    connect(world)
    world.sim.command("fault at-silent")
    world.sim.command("fault carrier-drop")
    hangup = wait_for_hangup(world)
    assert (hangup["code"], hangup["name"]) == (16, "hangup"), hangup
    assert "AT port silent" in hangup["log"], hangup["log"]
    assert wait_until(lambda: world.modem.states[-1:] == ["connected"] and len(world.modem.states) > 3, PATIENCE), \
        world.modem.states
    world.sim.command("clear")
    world.modem.disconnect()


def scenario_leftover_pppd_stopped_at_start(world):
    """dialupd is SIGKILLed while its pppd is stopped (SIGSTOP), so the kernel's parent-death
    SIGTERM cannot end it: a pppd of ours outlives the daemon. A new dialupd finds it by its link
    pid file, stops it gracefully before taking the modem, and dials; never two pppd on the tty."""
    connect(world)
    pid = pppd_pid()
    assert os.path.exists("/run/ppp-dialupd-ec25.pid"), os.listdir("/run")
    os.kill(pid, signal.SIGSTOP)
    world.daemon.process.kill()
    world.daemon.process.wait(PATIENCE)
    time.sleep(0.5)
    assert pppd_processes(pids=True) == [pid], "the stopped pppd should have outlived the daemon"
    world.start_another_daemon()
    assert pppd_processes() == [], "the leftover pppd still runs after the new daemon came up"
    log = world.daemon.log_text()
    assert f"a pppd (pid {pid}) from an earlier dialupd still runs: stopping it" in log, log[-3000:]
    assert "the earlier pppd" in log and "has exited" in log, log[-3000:]
    connect(world)
    assert len(pppd_processes()) == 1
    assert world.modem.get("IPv4Address") == "10.64.0.2"
    world.modem.disconnect()


def scenario_second_daemon_leaves_the_live_call_alone(world):
    """A second dialupd started by hand with the same config during a --reconnect call (issue 17:
    it stopped the first one's pppd as a leftover, then failed on the bus name, and the call
    ended 5 user-request). It exits at once naming the first; the call, its pppd and State are
    untouched, and the link still carries traffic."""
    connect(world, reconnect=dbus.Boolean(True))
    pid = pppd_pid()
    second = subprocess.run([DIALUPD, "--config", world.daemon.config], capture_output=True, text=True, timeout=120,
                            env={"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": world.bus.address})
    with open(os.path.join(world.log_dir, "second-dialupd.log"), "w") as out:
        out.write(second.stderr)
    assert second.returncode != 0, second.stderr
    assert f"another dialupd (pid {world.daemon.process.pid}) is running" in second.stderr, second.stderr
    assert "stopping it" not in second.stderr, second.stderr
    wait_until(lambda: False, 1)  # keeps receiving signals: a late State change or Hangup would show up
    assert pppd_processes(pids=True) == [pid], f"pppd processes: {pppd_processes(pids=True)}, want [{pid}]"
    assert world.modem.states == ["connecting", "connected"], world.modem.states
    assert world.modem.hangups == [], world.modem.hangups
    assert world.modem.get("State") == "connected"
    ping = subprocess.run(["ping", "-c", "2", "-W", "2", "10.64.0.1"], capture_output=True, text=True)
    assert ping.returncode == 0, "ping across the link failed: " + ping.stdout + ping.stderr
    world.modem.disconnect()


def scenario_dial_after_a_dial_cut_short(world):
    """chat types a character at a time: a dial cut short mid-command (Disconnect while chat
    talks to the module) leaves half a command in the module's line buffer. The next dial still
    comes up."""
    port = os.open("/dev/ttyUSB3", os.O_RDWR | os.O_NOCTTY)
    os.write(port, b'AT+CGDCONT=1,"IP","inter')
    wait_until(lambda: False, 0.5)
    os.close(port)
    connect(world)
    assert world.modem.get("State") == "connected"
    world.modem.disconnect()


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


def scenario_disconnect_mid_dial_stops_chat(world):
    """Disconnect while chat waits for the module's CONNECT (which never comes): pppd's SIGTERM
    reaches chat itself, never leaving it orphaned, talking to the module while pppd winds up."""
    connect(world, wait=False)
    assert wait_until(lambda: "ATD" in open(os.path.join(world.log_dir, "modem-sim.log")).read(), PATIENCE)
    answers, orphans = [], set()
    world.modem.iface.Disconnect(reply_handler=lambda: answers.append("ok"), error_handler=answers.append,
                                 timeout=40)
    assert wait_until(lambda: orphans.update(orphaned_chats()) or answers, PATIENCE, step=0.02), "no answer"
    assert answers == ["ok"] and not orphans, (answers, orphans)
    assert world.modem.get("State") == "disconnected"


# (step of the recovery ladder the simulator hangs its port up at, its faults for the step, what
# the recovery notes about it). cfun and await are past the escape: the module ignores "+++".
RECOVERY_HANGUPS = [
    ("probe", [], "/dev/ttyUSB3 hung up during the probe"),
    ("escape-guard", [], "/dev/ttyUSB3 hung up during the guard time before '+++'"),
    ("after-plus", [], "/dev/ttyUSB3 hung up during the guard time after '+++'"),
    ("ath", [], "/dev/ttyUSB3 hung up during ATH"),
    ("cfun", ["escape-ignored"], "the AT port hung up before its OK"),
    ("await", ["escape-ignored"], "/dev/ttyUSB3 answers OK again"),
]


def scenario_recovery_survives_port_hangups(world):
    """pppd SIGKILLed mid-call leaves the module in data mode; the next Connect(wait) recovers it
    first. At each step of the recovery ladder in turn the module hangs up the tty the recovery
    talks on (as a module restarting by itself does): Connect(wait) still gets its reply (here
    connected: the restart brings the module back) and State leaves resetting; the next step's
    Connect and a final Reset are taken (no Busy). One daemon, one call after another (each
    step's pppd killed for the next), to keep the guest tier quick."""
    figures = []
    connect(world)
    previous = None  # (step, what its recovery noted): in the log of the call that followed it
    for step, faults, noted in RECOVERY_HANGUPS:
        assert wait_until(lambda: world.modem.states[-1:] == ["connected"], PATIENCE), world.modem.states  # signals in
        hangups, states = len(world.modem.hangups), len(world.modem.states)
        os.kill(pppd_pid(), signal.SIGKILL)
        assert wait_until(lambda: len(world.modem.hangups) > hangups, PATIENCE), f"{step}: no Hangup after the kill"
        if previous:
            assert previous[1] in world.modem.hangups[-1]["log"], f"{previous[0]}:\n{world.modem.hangups[-1]['log']}"
        assert wait_until(lambda: "mode=stuck" in world.sim.command("status"), PATIENCE), world.sim.command("status")
        assert world.sim.command("clear") == "OK"
        for fault in faults:
            assert world.sim.command("fault " + fault) == "OK"
        assert world.sim.command("hangup-at " + step) == "OK"
        replies = []
        started = time.monotonic()
        world.modem.iface.Connect(dbus.Dictionary({"wait": dbus.Boolean(True)}, signature="sv"), timeout=180,
                                  reply_handler=lambda: replies.append("ok"),
                                  error_handler=lambda error: replies.append(
                                      f"{error.get_dbus_name()}: {error.get_dbus_message()}"))
        # The whole ladder is bounded (115 s with the default recovery-wait), then the dial: the
        # reply comes within that, or the wait of some step never ends (the bug this guards).
        answered = wait_until(lambda: replies, 180)
        took = time.monotonic() - started
        assert answered, (f"hangup-at {step}: Connect(wait) got no reply in 180 s; State "
                          f"{world.modem.get('State')}\n" + world.daemon.log_text()[-3000:])
        assert f"fault hangup-at {step}: the" in sim_log(world), f"{step}: the simulator never hung up"
        assert replies == ["ok"], (step, replies)
        assert wait_until(lambda: world.modem.states[states:] == ["disconnected", "resetting", "connecting",
                                                                  "connected"], PATIENCE), (step, world.modem.states[states:])
        previous = (step, noted)
        figures.append(f"hangup-at {step}: Connect(wait) -> connected in {took:.1f} s\n")
    world.modem.disconnect()
    kept = str(world.modem.iface.GetCallLogs(dbus.UInt32(1))[0][6])
    assert previous[1] in kept and "module recovered by reboot in" in kept, f"{previous[0]}:\n{kept}"
    # The network side ends the call a restart interval (3 s) after our LCP Terminate: until
    # then the simulated module is still in data mode and the probe would not get its OK.
    assert world.sim.command("clear") == "OK"
    assert wait_until(lambda: "mode=command" in world.sim.command("status"), PATIENCE), world.sim.command("status")
    recovered_by, _ = world.modem.iface.Reset(timeout=120)
    assert str(recovered_by) == "probe", recovered_by
    with open(os.path.join(RESULT, "recovery-port-hangups.txt"), "w") as out:
        out.write("".join(figures) + "(module restart simulated in 1.0 s; recovery-wait 45 s)\n")


def plain_pppd(log_path, pdp_type="IPV4V6"):
    """pppd as a user would run it by hand on the EC25 (no dialupd): IPv4 and IPv6, taking the
    network's interface identifiers."""
    chat = f"chat -v '' AT OK 'AT+CGDCONT=1,\"{pdp_type}\",\"internet\"' OK ATD*99# CONNECT ''"
    return subprocess.Popen(["pppd", "/dev/ttyUSB3", "115200", "nodetach", "noauth", "local", "noipdefault",
                             "+ipv6", "ipv6cp-accept-local", "ipv6cp-accept-remote", "debug", "logfile", log_path,
                             "connect", chat], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def command_output(*command):
    return subprocess.run(command, capture_output=True, text=True).stdout


def scenario_network_side_ipv6(world):
    """The test world on its own, with plain pppd: what the simulated network gives reaches the
    kernel and systemd-resolved (SLAAC address, RA default route, RDNSS, ping -6, a name only the
    network's DNS server knows), independently of dialupd."""
    rdnss = RdnssListener()
    pppd = plain_pppd(os.path.join(world.log_dir, "plain-pppd.log"))
    try:
        client_address = network.NETWORK_PREFIX.replace("::/64", "::2")
        assert wait_until(lambda: client_address + "/64" in command_output("ip", "-6", "address", "show", "dev", "ppp0",
                                                                          "scope", "global"), PATIENCE), \
            "no SLAAC address on ppp0: " + command_output("ip", "address")
        assert wait_until(lambda: "default via fe80::1 dev ppp0 proto ra" in command_output("ip", "-6", "route"),
                          PATIENCE), "no RA default route: " + command_output("ip", "-6", "route")
        assert_ping(network.NETWORK_IPV6)
        ppp0 = socket.if_nametoindex("ppp0")
        assert wait_until(lambda: network.NETWORK_DNS6 in rdnss.servers(ppp0), PATIENCE), \
            f"no RTM_NEWNDUSEROPT with the RDNSS for ppp0 ({ppp0}): {rdnss.seen}"

        resolved = world.resolved
        with open(f"/proc/{resolved.process.pid}/status") as status:
            uid = next(line.split()[1] for line in status if line.startswith("Uid:"))
        assert int(uid) == pwd.getpwnam("systemd-resolve").pw_uid, f"resolved runs as uid {uid}"
        try:
            resolved.resolve(network.TEST_NAME)
            raise AssertionError(f"{network.TEST_NAME} resolved before the link had DNS servers")
        except dbus.DBusException as error:
            assert error.get_dbus_name() == "org.freedesktop.resolve1.NoNameServers", error
        # As a network manager does it (root passes without polkit):
        resolved.set_link_dns("ppp0", network.NETWORK_DNS + [network.NETWORK_DNS6])
        resolved.set_link_domains("ppp0", [(".", True)])
        resolved.set_link_default_route("ppp0", True)
        assert resolved.link_dns("ppp0") == network.NETWORK_DNS + [network.NETWORK_DNS6], resolved.link_dns("ppp0")
        assert resolved.link_default_route("ppp0") is True
        assert resolved.link_domains("ppp0") == [(".", True)], resolved.link_domains("ppp0")
        answer = resolved.resolve(network.TEST_NAME)
        assert sorted(answer) == sorted(network.INTERNET_HOST), answer
        # Over IPv6 alone: the query crosses the link from the SLAAC address.
        resolved.set_link_dns("ppp0", [network.NETWORK_DNS6])
        answer = resolved.resolve(network.TEST_NAME, socket.AF_INET6)
        assert answer == [network.INTERNET_HOST[1]], answer
        with open(os.path.join(world.log_dir, "network-dnsmasq.log")) as log:
            assert f"from {client_address}" in log.read(), "dnsmasq saw no query from the client's SLAAC address"
        # The guest's libc goes through resolved's stub, and the internet host answers by name.
        assert network.INTERNET_HOST[1] in command_output("getent", "hosts", network.TEST_NAME)
        assert_ping(network.TEST_NAME)
    finally:
        pppd.terminate()
        pppd.wait(PATIENCE)
        rdnss.close()
    assert wait_until(lambda: not os.path.exists("/sys/class/net/ppp0"), PATIENCE), "ppp0 outlived pppd"
    # resolved forgets a link whose interface went (RevertLink would answer NoSuchLink).
    try:
        world.resolved.link_dns(ppp0)
        raise AssertionError("resolved still knows the gone ppp0")
    except dbus.DBusException as error:
        assert error.get_dbus_name() == "org.freedesktop.resolve1.NoSuchLink", error
    assert wait_until(lambda: "radvd on pdn" in sim_log(world) and "stopped" in sim_log(world), PATIENCE), \
        "the call's radvd was not stopped"

UP = ["connecting", "connected", "disconnected"]           # came up, then ended by itself
FAILED_DIAL = ["connecting", "disconnected"]                # never came up
ENDED_BY_REQUEST = ["connecting", "connected", "disconnecting", "disconnected"]

# (name, body, world options, outcome): outcome is (code, name, State sequence, Hangup emitted),
# checked after the body; None where the body itself checks what applies.
SCENARIOS = [
    ("connect-wait", scenario_connect_wait, {}, None),
    ("disconnect-user-request-5", scenario_disconnect, {}, (5, "user-request", ENDED_BY_REQUEST, False)),
    ("carrier-drop-hangup-16", scenario_carrier_drop, {}, (16, "hangup", UP, True)),
    ("lcp-echo-silence-peer-dead-15", scenario_lcp_echo_silence,
     {"modem_settings": "lcp-echo-interval = 1\nlcp-echo-failure = 3"}, (15, "peer-dead", UP, True)),
    ("dial-no-carrier-8", dial_answered("NO CARRIER", 'AT+CEER -> +CEER: "Service option not subscribed"'),
     {"faults": ["dial-no-carrier"]}, (8, "connect-failed", FAILED_DIAL, True)),
    ("dial-error-8", dial_answered("ERROR"), {"faults": ["dial-error"]}, (8, "connect-failed", FAILED_DIAL, True)),
    ("dial-busy-8", dial_answered("BUSY"), {"faults": ["dial-busy"]}, (8, "connect-failed", FAILED_DIAL, True)),
    ("sim-not-inserted-8", dial_refused_by_module("AT+CPIN? -> +CME ERROR: 10 (SIM not inserted)"),
     {"faults": ["sim-missing"]}, (8, "connect-failed", FAILED_DIAL, True)),
    ("no-signal-8", dial_refused_by_module("AT+CSQ -> +CSQ: 99,99", "AT+CEREG? -> +CEREG: 0,2",
                                           'AT+CEER -> +CEER: "No network service"'),
     {"faults": ["no-signal"]}, (8, "connect-failed", FAILED_DIAL, True)),
    ("at-port-silent", scenario_at_port_silent, {}, (16, "hangup", UP, True)),
    ("wrong-password-19", scenario_wrong_password,
     {"sim_args": ["--require-auth", "pap", "--auth-user", "alice", "--auth-password", "right-password"]},
     (19, "auth-to-peer-failed", FAILED_DIAL, True)),
    ("password-never-exposed", scenario_right_password_secret_stays_secret,
     {"sim_args": ["--require-auth", "pap", "--auth-user", "alice", "--auth-password", PASSWORD]},
     (16, "hangup", UP, True)),
    ("password-equal-to-the-apn", scenario_password_equal_to_the_apn,
     {"sim_args": ["--require-auth", "pap", "--auth-user", "alice", "--auth-password", APN_AS_PASSWORD]},
     (16, "hangup", UP, True)),
    ("auth-unsupported-negotiation-failed-10", scenario_negotiation_refused, {"faults": ["auth-required-unsupported"]},
     (10, "negotiation-failed", FAILED_DIAL, True)),
    ("loopback-17", scenario_loopback, {"faults": ["loopback"]}, (17, "loopback", FAILED_DIAL, True)),
    ("idle-timeout-12", limit_reached(12, "idle-timeout"), {"modem_settings": "idle = 2"},
     (12, "idle-timeout", UP, True)),
    ("max-connect-13", limit_reached(13, "connect-time-limit"), {"modem_settings": "max-connect = 3"},
     (13, "connect-time-limit", UP, True)),
    ("lock-held-6", scenario_lock_held, {}, (6, "lock-failed", FAILED_DIAL, True)),
    ("open-failed-7", scenario_open_failed,
     {"device": "/run/ttyNODRIVER", "prepare": lambda: make_driverless_tty("/run/ttyNODRIVER")},
     (7, "open-failed", FAILED_DIAL, True)),
    ("bad-option-2", scenario_bad_option, {"daemon_settings": "plugin = /usr/bin/true"},
     (2, "option-error", FAILED_DIAL, True)),
    ("killed-from-outside-137", scenario_killed_from_outside, {}, (137, "killed-by-signal", UP, True)),
    ("caller-vanishes-mid-wait", scenario_caller_vanishes_mid_wait, {}, (5, "user-request", ENDED_BY_REQUEST, False)),
    ("daemon-sigterm-stops-calls", scenario_daemon_sigterm_stops_calls, {}, None),
    ("usb-unplug-mid-call-16", scenario_unplug_mid_call, {"hotplug": True}, None),
    ("dialupctl-session", scenario_dialupctl_session, {"hotplug": True, "usb_config": False, "resolved": True},
     None),
    ("call-in-the-units-sandbox", scenario_call_in_the_units_sandbox,
     {"daemon_wrapper": UNIT_SANDBOX, "prepare": make_run_trees}, None),
    ("daemon-killed-mid-call", scenario_daemon_killed_mid_call, {}, None),
    ("dial-after-a-dial-cut-short", scenario_dial_after_a_dial_cut_short, {},
     (5, "user-request", ENDED_BY_REQUEST, False)),
    ("disconnect-mid-dial-stops-chat", scenario_disconnect_mid_dial_stops_chat, {"faults": ["dial-silent"]},
     None),
    ("load-storm", load_storm.scenario_load_storm, load_storm.WORLD_OPTIONS, None),
    ("redial-after-carrier-drop", scenario_redial_after_carrier_drop,
     {"modem_settings": "reconnect = yes\nreconnect-delay = 1"}, None),
    ("pppd-sigkill-stuck-module-recovered-by-escape", killed_then_recovered(signal.SIGKILL, "sigkill-recovery.txt"),
     {"modem_settings": "reconnect = yes\nreconnect-delay = 1"}, None),
    ("pppd-sigsegv-redial", killed_then_recovered(signal.SIGSEGV, "sigsegv-recovery.txt"),
     {"modem_settings": "reconnect = yes\nreconnect-delay = 1"}, None),
    ("cfun-reset-when-escape-ignored", scenario_cfun_reset_when_escape_ignored, {"faults": ["escape-ignored"]}, None),
    ("usb-reenumeration-during-reset-keeps-the-object", scenario_usb_reenumeration_keeps_the_object,
     {"faults": ["escape-ignored"], "hotplug": True}, None),
    ("usb-unplug-mid-dial-16", scenario_unplug_mid_dial, {"hotplug": True}, None),
    ("at-port-silent-with-reconnect", scenario_at_port_silent_with_reconnect,
     {"modem_settings": "reconnect = yes\nreconnect-delay = 1"}, None),
    ("leftover-pppd-stopped-at-start", scenario_leftover_pppd_stopped_at_start, {}, None),
    ("second-daemon-leaves-the-live-call-alone", scenario_second_daemon_leaves_the_live_call_alone, {},
     (5, "user-request", ENDED_BY_REQUEST, False)),
    ("recovery-survives-port-hangups", scenario_recovery_survives_port_hangups,
     {"sim_args": ["--reboot-seconds", "1"]}, None),
    ("network-side-ipv6", scenario_network_side_ipv6, {"resolved": True}, None),
]
SCENARIOS += online.scenarios(UNIT_SANDBOX, make_run_trees)


def check_outcome(world, outcome):
    code, name, states, hangup = outcome
    assert wait_until(lambda: world.modem.states[-1:] == states[-1:] and (world.modem.hangups or not hangup), PATIENCE), \
        f"did not end as {states[-1]}: {world.modem.states}"
    wait_until(lambda: False, 0.3)  # keeps receiving signals: a stray late one would show up here
    assert_reason(world, code, name)
    assert world.modem.states == states, f"State sequence {world.modem.states}, want {states}"
    assert len(world.modem.hangups) == (1 if hangup else 0), f"Hangup signals: {world.modem.hangups}"
    if hangup:
        assert (world.modem.hangups[0]["code"], world.modem.hangups[0]["name"]) == (code, name), world.modem.hangups
        # State and LastExitReason change when pppd exits; the Hangup follows the AT snapshot.
        assert world.times.get(f"State:{states[-1]}", 1e99) <= world.times["Hangup"], world.times


def make_driverless_tty(path):
    """A character device node whose driver is absent (ttyUSB major, a minor nothing claims)."""
    if not os.path.exists(path):
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(188, 250))


def run(name, body, options, outcome):
    """Runs one scenario in a world of its own; returns None or the failure's text."""
    options = dict(options)
    prepare = options.pop("prepare", None)
    world = None
    failure = None
    try:
        if prepare:
            prepare()
        world = World(os.path.join(RESULT, name), **options)
        body(world)
        if outcome:
            check_outcome(world, outcome)
    except Exception:  # noqa: BLE001 - a scenario's failure is reported, the next one runs
        failure = traceback.format_exc()
    finally:
        if world is not None:
            exit_code = world.close()
            if exit_code not in (0, None) and failure is None:
                failure = f"dialupd exited {exit_code} on SIGTERM"
    leftovers = pppd_processes()
    if leftovers:
        subprocess.run(["pkill", "-9", "-f", "pppd /dev/ttyUSB3"])
        failure = (failure or "") + f"\npppd outlived the scenario: {leftovers}"
    return failure


def main():
    wanted = [name for name in os.environ.get("SCENARIOS", "").split(",") if name]
    selected = [s for s in SCENARIOS if not wanted or s[0] in wanted]
    os.makedirs(RESULT, exist_ok=True)
    failures = 0
    with open(os.path.join(RESULT, "scenarios.tap"), "w") as tap:
        tap.write(f"1..{len(selected)}\n")
        for number, (name, body, options, outcome) in enumerate(selected, 1):
            started = time.monotonic()
            failure = run(name, body, options, outcome)
            took = time.monotonic() - started
            if failure:
                failures += 1
                tap.write(f"not ok {number} - {name} ({took:.1f} s)\n")
                tap.writelines("# " + line + "\n" for line in failure.splitlines())
            else:
                tap.write(f"ok {number} - {name} ({took:.1f} s)\n")
            tap.flush()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
