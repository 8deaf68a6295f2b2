#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real-PPP scenarios, run inside the User-mode Linux guest (tests/guest/test_guest.py boots it):
real dbus-daemon, real dialupd, real pppd and chat, kernel PPP, and the simulated EC25 with a
network-side pppd. dialupd is driven only over D-Bus, as a user would. Results go to
$GUEST_RESULT/scenarios.tap, each scenario's logs to $GUEST_RESULT/<scenario>/.

This file is the list (SCENARIOS: name, body, world options, expected outcome, in the order they
run) and the runner. The scenarios live by theme beside it: calls.py (calls and how they end),
security.py (secrets, the unit's sandbox), recovery.py (redial, module recovery, a second or
leftover daemon and pppd), hotplug.py (unplug, a dialupctl session), network_side.py (the
simulated network with plain pppd), online.py (routes and DNS), readiness.py (SIM, registration
and APN before the dial), load_storm.py, modemmanager.py (Debian's ModemManager beside
dialupd); checks.py holds
what they share (D-Bus calls, Hangup evidence, pppd processes, ping, /proc readers) and world.py
the world each runs in.

pppd exit codes no scenario here produces, and why:
  1 fatal-error, 9 pty-command-failed, 14 callback, 18 init-failed, 20 traffic-limit,
  21 cnid-auth-failed: dialupd never passes the options that lead there (pty, callback, init,
  maxoctets, allow-number), and 1 needs a failing system call such as out-of-memory.
  3 not-root: dialupd runs pppd as root. 11 peer-auth-failed: dialupd always passes noauth (a
  cellular network does not authenticate itself to us), so we never require the peer's auth.
  4 no-kernel-support is covered on the host, where there is no kernel PPP
  (tests/integration/test_dbus_api.py).
"""
import os
import signal
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from world import PATIENCE, World, wait_until  # noqa: E402
import load_storm  # noqa: E402
import online  # noqa: E402
import escalation  # noqa: E402
import journal  # noqa: E402
import readiness  # noqa: E402
import watchdog  # noqa: E402
import watchdog_ipv6  # noqa: E402
from checks import APN_AS_PASSWORD, PASSWORD, RESULT, SIM_PIN, assert_reason, pppd_processes  # noqa: E402
from calls import (dial_answered, limit_reached, make_driverless_tty,  # noqa: E402
                   scenario_at_port_silent, scenario_bad_option, scenario_caller_vanishes_mid_wait, scenario_carrier_drop,
                   scenario_connect_wait, scenario_daemon_sigterm_stops_calls, scenario_dial_after_a_dial_cut_short,
                   scenario_disconnect, scenario_disconnect_mid_dial_stops_chat, scenario_killed_from_outside,
                   scenario_lcp_echo_silence, scenario_lock_held, scenario_loopback, scenario_negotiation_refused,
                   scenario_open_failed)
from security import (UNIT_SANDBOX, make_run_trees, scenario_call_in_the_units_sandbox,  # noqa: E402
                      scenario_password_equal_to_the_apn, scenario_right_password_secret_stays_secret,
                      scenario_wrong_password)
from recovery import (killed_then_recovered, scenario_at_port_silent_with_reconnect,  # noqa: E402
                      scenario_cfun_reset_when_escape_ignored, scenario_daemon_killed_mid_call,
                      scenario_leftover_pppd_stopped_at_start, scenario_recovery_survives_port_hangups,
                      scenario_redial_after_carrier_drop, scenario_second_daemon_leaves_the_live_call_alone,
                      scenario_usb_reenumeration_keeps_the_object)
from hotplug import scenario_dialupctl_session, scenario_unplug_mid_call, scenario_unplug_mid_dial  # noqa: E402
from network_side import scenario_network_side_ipv6  # noqa: E402
from modemmanager import (scenario_modemmanager_beside_dialupd, scenario_modemmanager_port_ignore_only,  # noqa: E402
                          scenario_modemmanager_without_the_policy)
from counters import scenario_data_limit_and_counters_across_a_restart  # noqa: E402
from dm_log import (DETACH_WORLD, DM_WORLD, MASK_WORLD, scenario_dm_log_detach_waits_for_registration,  # noqa: E402
                    scenario_dm_log_mask_file_sent_verbatim, scenario_dm_log_names_the_networks_cause,
                    scenario_dm_log_silent_port)


UP = ["connecting", "connected", "disconnected"]           # came up, then ended by itself
FAILED_DIAL = ["connecting", "disconnected"]                # never came up
ENDED_BY_REQUEST = ["connecting", "connected", "disconnecting", "disconnected"]


# (name, body, world options, outcome): outcome is (code, name, State sequence, Hangup emitted),
# checked after the body; None where the body itself checks what applies.
SCENARIOS = [
    ("connect-wait", scenario_connect_wait, {}, None),
    ("disconnect-user-request-5", scenario_disconnect, {}, (5, "user-request", ENDED_BY_REQUEST, False)),
    ("carrier-drop-hangup-16", scenario_carrier_drop, {}, (16, "hangup", UP, True)),
    ("dm-log-network-cause", scenario_dm_log_names_the_networks_cause, DM_WORLD, (16, "hangup", UP, True)),
    ("dm-log-silent-port", scenario_dm_log_silent_port, dict(DM_WORLD, faults=["dm-silent"]),
     (16, "hangup", UP, True)),
    ("dm-log-detach-waits-for-registration", scenario_dm_log_detach_waits_for_registration, DETACH_WORLD, None),
    ("dm-log-mask-file-sent-verbatim", scenario_dm_log_mask_file_sent_verbatim, MASK_WORLD,
     (5, "user-request", ENDED_BY_REQUEST, False)),
    ("data-limit-66-and-counters-across-a-restart", scenario_data_limit_and_counters_across_a_restart,
     {"modem_settings": "data-limit = 50K\nreconnect = yes"}, None),
    ("lcp-echo-silence-peer-dead-15", scenario_lcp_echo_silence,
     {"modem_settings": "lcp-echo-interval = 1\nlcp-echo-failure = 3"}, (15, "peer-dead", UP, True)),
    ("dial-no-carrier-8", dial_answered("NO CARRIER", 'AT+CEER -> +CEER: "Service option not subscribed"'),
     {"faults": ["dial-no-carrier"]}, (8, "connect-failed", FAILED_DIAL, True)),
    ("dial-error-8", dial_answered("ERROR"), {"faults": ["dial-error"]}, (8, "connect-failed", FAILED_DIAL, True)),
    ("dial-busy-8", dial_answered("BUSY"), {"faults": ["dial-busy"]}, (8, "connect-failed", FAILED_DIAL, True)),
    ("at-port-silent", scenario_at_port_silent, {}, (16, "hangup", UP, True)),
    ("wrong-password-19", scenario_wrong_password,
     {"sim_args": ["--require-auth", "pap", "--auth-user", "alice", "--auth-password", "right-password"]},
     (19, "auth-to-peer-failed", FAILED_DIAL, True)),
    ("password-never-exposed", scenario_right_password_secret_stays_secret,
     {"sim_args": ["--require-auth", "pap", "--auth-user", "alice", "--auth-password", PASSWORD, "--sim-pin", SIM_PIN]},
     (16, "hangup", UP, True)),
    ("password-equal-to-the-apn", scenario_password_equal_to_the_apn,
     {"sim_args": ["--require-auth", "pap", "--auth-user", "alice", "--auth-password", APN_AS_PASSWORD],
      "modem_settings": f"apn = {APN_AS_PASSWORD}"},
     (16, "hangup", UP, True)),
    # An APN of its own: the provider database's (taken when the config names none) has a password.
    ("auth-unsupported-negotiation-failed-10", scenario_negotiation_refused,
     {"faults": ["auth-required-unsupported"], "modem_settings": "apn = internet"},
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
    ("modemmanager-beside-dialupd", scenario_modemmanager_beside_dialupd, {"hotplug": True, "usb_config": False},
     None),
    ("modemmanager-port-ignore-only", scenario_modemmanager_port_ignore_only, {"hotplug": True, "usb_config": False},
     None),
    ("modemmanager-without-the-policy", scenario_modemmanager_without_the_policy,
     {"hotplug": True, "usb_config": False}, None),
]
SCENARIOS += online.scenarios(UNIT_SANDBOX, make_run_trees)
SCENARIOS += readiness.scenarios()
SCENARIOS += watchdog.scenarios()
SCENARIOS += watchdog_ipv6.scenarios()
SCENARIOS += escalation.scenarios()
SCENARIOS += journal.scenarios()


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
