# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest scenarios: redial and module recovery. Redial after a carrier drop, the daemon killed
mid-call, pppd killed with the module left stuck (+++/ATH, AT+CFUN=1,1 with USB re-enumeration),
the AT port silent or hanging up at each step of the recovery, a leftover pppd stopped at start,
a second dialupd beside a live call."""
import json
import os
import signal
import subprocess
import time

import dbus

from world import PATIENCE, wait_until
from testbed import DIALUPD
from checks import DIALUPCTL, RESULT, assert_ping, connect, pppd_pid, pppd_processes, sim_log, wait_for_hangup


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
    # "At once": the module is known good again, so no recovery comes before the dial (a fixed
    # bound in seconds would only measure the machine's load).
    before = len(world.modem.states)
    connect(world)
    assert wait_until(lambda: world.modem.states[-1:] == ["connected"], PATIENCE), world.modem.states
    assert world.modem.states[before:] == ["connecting", "connected"], world.modem.states
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
