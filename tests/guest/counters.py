# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest scenario: counters for fleets over a real call. A small data-limit ends the call at the
limit with reason 66 data-limit (Hangup), the redial waits for the next period and Connect is
refused until then; the counters (calls, ends by reason, the call's bytes, this period's) survive a daemon
restart."""
import datetime
import subprocess

import dbus

from world import PATIENCE, wait_until
from checks import assert_ping, connect, expect_failure, wait_for_hangup

DATA_LIMIT = 50_000  # the scenario's data-limit = 50K: bytes in and out together


def statistics(world):
    return {str(key): value for key, value in world.modem.iface.GetStatistics().items()}


def scenario_data_limit_and_counters_across_a_restart(world):
    connect(world)
    assert_ping()
    # Over the limit in a few seconds: 60 echo requests of 1000 bytes each way (~120 KB).
    subprocess.run(["ping", "-q", "-c", "60", "-i", "0.05", "-s", "1000", "-W", "2", "10.64.0.1"],
                   capture_output=True, timeout=PATIENCE)
    live_in, live_out = int(world.modem.get("BytesIn")), int(world.modem.get("BytesOut"))
    assert live_in + live_out >= DATA_LIMIT, (live_in, live_out)
    with open("/sys/class/net/ppp0/statistics/rx_bytes") as counter:
        assert int(counter.read()) >= live_in, "BytesIn is the interface's counter"
    stats = statistics(world)
    assert int(stats["live-bytes-in"]) >= live_in, stats
    assert int(stats["period-bytes-in"]) + int(stats["period-bytes-out"]) >= DATA_LIMIT, stats
    # The check runs every 60 s while the call is up: the Hangup comes within that.
    hangup = wait_for_hangup(world, PATIENCE)
    assert (hangup["code"], hangup["name"]) == (66, "data-limit"), hangup
    assert "reached the data-limit" in hangup["log"], hangup["log"]
    assert world.modem.get("State") == "disconnected"
    # The call was kept up by redial (reconnect = yes): the redial waits for the next period
    # (monthly from day 1 at local midnight), a second into it.
    now = datetime.datetime.now().astimezone()
    next_period = (now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + datetime.timedelta(days=32)).replace(day=1)
    expected_usec = int(next_period.timestamp()) * 1_000_000 + 1_000_000
    assert int(world.modem.get("NextReconnect")) == expected_usec, (int(world.modem.get("NextReconnect")), expected_usec)
    assert "the next period begins on " + next_period.strftime("%Y-%m-%d") in hangup["log"], hangup["log"]
    message = expect_failure(world, "org.dialupd1.Error.DataLimitReached")
    assert "no call until the next period" in message, message
    stats = statistics(world)
    assert bool(stats["data-limit-reached"]), stats
    assert int(stats["calls-started"]) == 1 and int(stats["calls-up"]) == 1, stats
    assert {int(code): int(count) for code, count in stats["ends"].items()} == {66: 1}, stats
    assert int(stats["bytes-in"]) >= live_in and int(stats["bytes-out"]) >= live_out, stats
    assert wait_until(lambda: False, 2.0) is False  # no dial shows up meanwhile
    assert world.modem.states == ["connecting", "connected", "disconnecting", "disconnected"], world.modem.states

    world.daemon.stop()
    world.start_another_daemon()
    again = statistics(world)
    for key in ("calls-started", "calls-up", "bytes-in", "bytes-out", "period-bytes-in", "period-bytes-out", "since"):
        assert int(again[key]) == int(stats[key]), (key, again, stats)
    assert {int(code): int(count) for code, count in again["ends"].items()} == {66: 1}, again
    assert bool(again["data-limit-reached"]), again
    expect_failure(world, "org.dialupd1.Error.DataLimitReached")
    assert world.modem.get("State") == "disconnected"
    assert isinstance(world.modem.get("BytesIn"), dbus.UInt64) and int(world.modem.get("BytesIn")) == 0
