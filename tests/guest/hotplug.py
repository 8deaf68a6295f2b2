# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest scenarios: hotplug and dialupctl. The modem unplugged mid-call and mid-dial, and a whole
dialupctl session on a plugged-in EC25."""
import json
import os
import subprocess

from world import MonitorProcess, PATIENCE, wait_until
from checks import DIALUPCTL, RESULT, connect, pppd_processes, sim_log, wait_for_hangup


def scenario_unplug_mid_call(world):
    connect(world)
    pppd_before = pppd_processes()
    assert len(pppd_before) == 1, pppd_before
    world.unplug()
    hangup = wait_for_hangup(world)
    assert (hangup["code"], hangup["name"]) == (16, "hangup"), hangup
    assert wait_until(lambda: not world.modem_present(), PATIENCE), "the unplugged modem's object stayed"
    # The object is gone as soon as a method call says so; its InterfacesRemoved may still be on
    # its way to our connection behind the signals sent before it (the live properties going
    # unknown among them).
    assert wait_until(lambda: world.events[-2:] == ["Hangup", "InterfacesRemoved"], PATIENCE), world.events
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
    a requested disconnect. The text output is kept as dialupctl-session.txt."""
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
    # The module's live state ("live" events: SIM, network, signal) comes as the daemon reads it,
    # in no fixed order with the call's events: the call's events are checked apart from it.
    events = [event for event in map(json.loads, monitor.finish()[0].splitlines()) if event["event"] != "live"]
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
