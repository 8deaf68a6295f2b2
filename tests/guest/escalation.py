# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest scenarios: escalation after failed dials in a row (core/escalation.h). The network
answers every ATD with NO CARRIER (fault dial-no-carrier) and reconnect redials every second:
after 3 failed dials the module is restarted (AT+CFUN=1,1) before the 4th, after 6 its USB
device is reset (umockdev's sysfs) before the 7th; a power-cycle-command (a script writing a
marker) runs at most max-resets-per-hour times however many dials fail."""
import os
import re
import stat

from world import PATIENCE, wait_until
from checks import RESULT, sim_log

# Redial a second after each failed dial, with no growth: the steps come within a minute.
# IPv4 only: no IPV4V6 refusal and IPv4 fallback, one ATD per dial.
FAST_REDIAL = "reconnect = yes\nreconnect-delay = 1\nreconnect-max-delay = 1\nip-family = ipv4\n"

POWER_CYCLE_SCRIPT = "/run/dialupd-test-power-cycle"
POWER_CYCLE_MARKER = "/run/dialupd-test-power-cycle.marker"


def dials_before(log, marker):
    """How many ATD the simulated module got before the first `marker` line of its log."""
    head = log.split(marker, 1)[0]
    return len(re.findall(r"modem -> 'ATD", head))


def dials(log):
    return len(re.findall(r"modem -> 'ATD", log))


def scenario_escalation_restart_then_usb_reset(world):
    """Dials keep failing: the 3rd failed dial's Hangup says a restart is due (with the count and
    the key), the module gets AT+CFUN=1,1 before the 4th ATD, then the 6th failure resets the USB
    device (sysfs authorized 0 then 1) before the 7th; the dials go on all the while."""
    # umockdev's USB device has no `authorized` until given one (the kernel's has it).
    authorized = os.path.join(world.usb.root, "sys", "devices", "1-1", "authorized")
    with open(authorized, "w") as attribute:
        attribute.write("1")
    world.modem.connect(wait=False)
    assert wait_until(lambda: len(world.modem.hangups) >= 7, 5 * PATIENCE), \
        f"{len(world.modem.hangups)} Hangups\n" + world.daemon.log_text()[-3000:]
    log = sim_log(world)
    assert "module reboot (AT+CFUN=1,1)" in log, log[-3000:]
    assert dials_before(log, "module reboot (AT+CFUN=1,1)") == 3, dials_before(log, "module reboot (AT+CFUN=1,1)")
    hangups = world.modem.hangups
    assert all(h["name"] == "connect-failed" for h in hangups[:7]), [h["name"] for h in hangups]
    assert "escalation: 3 failed dials in a row (reset-after-failures = 3): restart the module" in hangups[2]["log"], \
        hangups[2]["log"]
    assert "escalation: restart after 3 failed dials in a row" in hangups[3]["log"], hangups[3]["log"]
    assert "module recovered by reboot" in hangups[3]["log"], hangups[3]["log"]
    assert "escalation: 6 failed dials in a row (usb-reset-after-failures = 6): reset the module's USB device" in \
        hangups[5]["log"], hangups[5]["log"]
    assert "escalation: usb-reset after 6 failed dials in a row" in hangups[6]["log"], hangups[6]["log"]
    assert "module recovered by usb-reset" in hangups[6]["log"], hangups[6]["log"]
    daemon_log = world.daemon.log_text()
    reset = "USB reset of 1-1: 0 then 1 to /sys/bus/usb/devices/1-1/authorized"
    assert reset in daemon_log, daemon_log[-3000:]
    # The journal (stderr here) has the escalation lines too.
    assert "escalation: 3 failed dials in a row" in daemon_log, daemon_log[-3000:]
    assert "escalation: 6 failed dials in a row" in daemon_log, daemon_log[-3000:]
    # In the journal's order: three calls ended, then the restart, and the next pppd after it;
    # six ended, then the USB reset, then the seventh pppd.
    before_restart = daemon_log.split("recovery, step 2 of 3: restart the module", 1)[0]
    assert before_restart.count("call ended after") == 3, before_restart.count("call ended after")
    assert before_restart.count("started pppd") == 3, before_restart.count("started pppd")
    before_reset = daemon_log.split("recovery, step 3 of 3: reset USB device 1-1", 1)[0]
    assert before_reset.count("call ended after") == 6, before_reset.count("call ended after")
    assert before_reset.count("started pppd") == 6, before_reset.count("started pppd")
    assert log.count("module reboot (AT+CFUN=1,1)") == 1, "the USB reset is no restart"
    with open(authorized) as attribute:
        assert attribute.read().strip() == "1", "the USB reset left the device de-authorized"
    world.modem.disconnect()
    with open(os.path.join(RESULT, "escalation.txt"), "w") as out:
        out.write(f"dials before the restart: 3; Hangups seen: {len(hangups)}; ATD in all: {dials(log)}\n")


def make_power_cycle_script():
    for path in (POWER_CYCLE_MARKER,):
        if os.path.exists(path):
            os.unlink(path)
    with open(POWER_CYCLE_SCRIPT, "w") as script:
        script.write(f"#!/bin/sh\necho \"power cycle $$\" >> {POWER_CYCLE_MARKER}\n")
    os.chmod(POWER_CYCLE_SCRIPT, stat.S_IRWXU)


def marker_lines():
    if not os.path.exists(POWER_CYCLE_MARKER):
        return []
    with open(POWER_CYCLE_MARKER) as marker:
        return marker.read().splitlines()


def scenario_escalation_power_cycle_capped(world):
    """power-cycle-after-failures = 1 with max-resets-per-hour = 2: the command runs after the 1st
    and the 2nd failed dial, then every later step is skipped (the Hangup says so, with the count)
    while the dials go on: after 6 failed dials the marker has exactly 2 lines."""
    world.modem.connect(wait=False)
    assert wait_until(lambda: len(world.modem.hangups) >= 6, 5 * PATIENCE), \
        f"{len(world.modem.hangups)} Hangups\n" + world.daemon.log_text()[-3000:]
    lines = marker_lines()
    assert len(lines) == 2, lines
    hangups = world.modem.hangups
    assert "escalation: 1 failed dials in a row (power-cycle-after-failures = 1): power-cycle the module" in \
        hangups[0]["log"], hangups[0]["log"]
    assert f"recovery, power cycle: running {POWER_CYCLE_SCRIPT}" in hangups[1]["log"], hangups[1]["log"]
    assert "exited with status 0" in hangups[1]["log"], hangups[1]["log"]
    assert "module recovered by power-cycle" in hangups[1]["log"], hangups[1]["log"]
    skipped = "power-cycle skipped: 2 reset(s) in the last hour already (max-resets-per-hour = 2)"
    assert skipped in hangups[2]["log"], hangups[2]["log"]
    assert all(skipped in h["log"] for h in hangups[3:6]), [h["log"] for h in hangups[3:6]]
    assert all(h["name"] == "connect-failed" for h in hangups[:6]), [h["name"] for h in hangups]
    world.modem.disconnect()
    assert len(marker_lines()) == 2


def scenarios():
    return [
        ("escalation-restart-then-usb-reset", scenario_escalation_restart_then_usb_reset,
         {"faults": ["dial-no-carrier"], "hotplug": True, "modem_settings": FAST_REDIAL}, None),
        ("escalation-power-cycle-capped", scenario_escalation_power_cycle_capped,
         {"faults": ["dial-no-carrier"], "prepare": make_power_cycle_script,
          "modem_settings": FAST_REDIAL + "reset-after-failures = 0\nusb-reset-after-failures = 0\n"
                            f"power-cycle-after-failures = 1\npower-cycle-command = {POWER_CYCLE_SCRIPT}\n"
                            "max-resets-per-hour = 2\n"}, None),
    ]
