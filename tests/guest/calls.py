# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest scenarios: calls and how they end. A call up and down, each way the dial or the link
fails (every reachable pppd exit status among them), limits, a caller gone mid-wait, pppd
killed from outside, the daemon stopped with calls up, a dial cut short."""
import os
import signal
import stat
import subprocess

import dbus

from world import PATIENCE, wait_until
from checks import (assert_evidence, assert_ping, assert_reason, connect, expect_failure, file_stamp, keep_log,
                    orphaned_chats, pppd_processes, wait_for_hangup)


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


def make_driverless_tty(path):
    """A character device node whose driver is absent (ttyUSB major, a minor nothing claims)."""
    if not os.path.exists(path):
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(188, 250))
