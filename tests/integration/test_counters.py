#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Counters for fleets against a real dbus-daemon and dialupd on this host (the real pppd exits 4
here: no kernel PPP, so every call is a failed one): GetStatistics, the counters kept across a
restart in <state-dir>/counters/<id> (0600, replaced atomically, a corrupt or linked file read as
zero with a warning), the data limit refusing Connect for the rest of a period, BytesIn/BytesOut
without a call, and the Prometheus file in metrics-dir scraped by Debian's real node_exporter
(tools/install-deps unpacks it into /var/lib/dialupd-test/node-exporter; it is run by hand on a
free localhost port with only its textfile collector). Prints TAP for meson."""
import datetime
import os
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

import dbus

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import ERROR, PATIENCE, Bus, Daemon, Scratch, config_for, run_tap, wait_until  # noqa: E402

NODE_EXPORTER = "/var/lib/dialupd-test/node-exporter/usr/bin/prometheus-node-exporter"


class CountersTestCase(unittest.TestCase):
    daemon_extra = ""
    defaults = ""

    def setUp(self):
        self.scratch = Scratch()
        self.bus = Bus(self.scratch.path, "netdev")
        self.master, slave = os.openpty()
        self.tty = os.ttyname(slave)
        os.close(slave)
        self.metrics_dir = os.path.join(self.scratch.path, "metrics")
        os.makedirs(self.metrics_dir)
        self.config = config_for(self.scratch.path, {"m0": self.tty},
                                 self.daemon_extra.format(metrics=self.metrics_dir), None, self.defaults)
        self.counters_file = os.path.join(self.scratch.path, "state", "counters", "m0")
        self.daemon = None
        self.runs = 0

    def start(self):
        self.runs += 1
        self.daemon = Daemon(self.bus, self.config, os.path.join(self.scratch.path, f"logs{self.runs}"),
                             extra_env={"TZ": "UTC"})
        self.modem = self.daemon.modem("m0")

    def restart(self):
        self.assertEqual(self.daemon.stop(), 0)
        self.start()

    def tearDown(self):
        code = self.daemon.stop() if self.daemon else 0
        self.bus.stop()
        os.close(self.master)
        self.scratch.remove()
        self.assertEqual(code, 0, "dialupd must exit 0 on SIGTERM")

    def stats(self):
        return {str(key): value for key, value in self.modem.iface.GetStatistics().items()}

    def failed_call(self):
        with self.assertRaises(dbus.DBusException) as caught:
            self.modem.connect()
        self.assertEqual(caught.exception.get_dbus_name(), ERROR + "CallFailed")


class Persistence(CountersTestCase):
    def test_counters_survive_a_restart(self):
        self.start()
        before = self.stats()
        self.assertEqual((int(before["calls-started"]), int(before["calls-up"])), (0, 0))
        self.failed_call()
        self.failed_call()
        stats = self.stats()
        self.assertEqual(int(stats["calls-started"]), 2)
        self.assertEqual({int(code): int(count) for code, count in stats["ends"].items()}, {4: 2})
        self.assertEqual(stats["data-period"], "monthly")
        self.assertFalse(bool(stats["data-limit-reached"]))
        self.assertNotIn("live-bytes-in", stats)
        self.assertEqual(os.stat(self.counters_file).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.dirname(self.counters_file)).st_mode & 0o777, 0o700)
        self.restart()
        again = self.stats()
        self.assertEqual(int(again["calls-started"]), 2)
        self.assertEqual({int(code): int(count) for code, count in again["ends"].items()}, {4: 2})
        self.assertEqual(int(again["since"]), int(stats["since"]))
        self.failed_call()
        self.assertEqual(int(self.stats()["calls-started"]), 3)

    def test_a_corrupt_file_starts_from_zero_with_a_warning(self):
        os.makedirs(os.path.dirname(self.counters_file), mode=0o700)
        with open(self.counters_file, "w") as garbage:
            garbage.write("dialupd-counters 1\ncalls-started 99999999999999999999999\n")
        self.start()
        self.assertEqual(int(self.stats()["calls-started"]), 0)
        self.assertIn("counting from zero", self.daemon.log_text())
        self.failed_call()
        with open(self.counters_file) as kept:
            self.assertIn("calls-started 1\n", kept.read())

    def test_a_link_at_the_files_place_is_neither_followed_nor_written_through(self):
        target = os.path.join(self.scratch.path, "elsewhere")
        with open(target, "w") as other:
            other.write("dialupd-counters 1\nsince-usec 1\ncalls-started 7\ncalls-up 0\nbytes-in 0\nbytes-out 0\n"
                        "period-start -\n")
        os.makedirs(os.path.dirname(self.counters_file), mode=0o700)
        os.symlink(target, self.counters_file)
        os.symlink(target, self.counters_file + ".new")
        self.start()
        self.assertEqual(int(self.stats()["calls-started"]), 0, "the link's target must not be read")
        self.assertIn("symbolic link", self.daemon.log_text())
        self.failed_call()
        self.assertFalse(os.path.islink(self.counters_file))
        with open(target) as other:
            self.assertIn("calls-started 7\n", other.read(), "the link's target must not be written")

    def test_anyone_may_read_the_statistics(self):
        self.start()
        self.failed_call()
        setpriv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        read = subprocess.run(setpriv + ["busctl", f"--address={self.bus.address}", "call", "org.dialupd1",
                                         self.modem.path, "org.dialupd1.Modem", "GetStatistics"],
                              capture_output=True, text=True, timeout=PATIENCE)
        self.assertEqual(read.returncode, 0, read.stderr)
        self.assertIn('"calls-started" t 1', read.stdout)

    def test_bytes_of_the_running_call_are_zero_without_one_and_never_signalled(self):
        self.start()
        self.assertEqual(int(self.modem.get("BytesIn")), 0)
        self.assertEqual(int(self.modem.get("BytesOut")), 0)
        xml = self.modem.iface.Introspect(dbus_interface="org.freedesktop.DBus.Introspectable")
        for name in ("BytesIn", "BytesOut"):
            start = xml.index(f'<property name="{name}"')
            self.assertIn('name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="false"',
                          xml[start:xml.index("</property>", start)])
        self.failed_call()
        self.assertTrue(all("BytesIn" not in changed for changed in self.modem.changed))


class DataLimit(CountersTestCase):
    defaults = "data-limit = 10K\n"

    def test_a_period_at_its_limit_refuses_connect_until_the_next(self):
        # This month's period, as the daemon (TZ=UTC) counts it, already past the limit.
        today = datetime.datetime.now(datetime.timezone.utc).date()
        os.makedirs(os.path.dirname(self.counters_file), mode=0o700)
        with open(self.counters_file, "w") as kept:
            kept.write(f"dialupd-counters 1\nsince-usec 1\ncalls-started 1\ncalls-up 1\nbytes-in 9000\n"
                       f"bytes-out 1000\nperiod-start {today.replace(day=1).isoformat()}\nperiod-bytes-in 9000\n"
                       f"period-bytes-out 1000\nend 16 1\n")
        self.start()
        stats = self.stats()
        self.assertTrue(bool(stats["data-limit-reached"]))
        self.assertEqual(int(stats["data-limit"]), 10000)
        self.assertEqual(int(stats["period-bytes-in"]) + int(stats["period-bytes-out"]), 10000)
        with self.assertRaises(dbus.DBusException) as caught:
            self.modem.connect()
        self.assertEqual(caught.exception.get_dbus_name(), ERROR + "DataLimitReached")
        self.assertEqual(int(self.stats()["calls-started"]), 1, "no call was started")
        # Last month's figures are not this month's: the same bytes in an earlier period do not count.
        self.daemon.stop()
        last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        with open(self.counters_file) as kept:
            text = kept.read().replace(f"period-start {today.replace(day=1).isoformat()}",
                                       f"period-start {last_month.isoformat()}")
        with open(self.counters_file, "w") as kept:
            kept.write(text)
        self.start()
        stats = self.stats()
        self.assertFalse(bool(stats["data-limit-reached"]))
        self.assertEqual(int(stats["period-bytes-in"]), 0)
        self.assertEqual(int(stats["bytes-in"]), 9000)
        self.failed_call()  # allowed again (it fails: no kernel PPP)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Metrics(CountersTestCase):
    daemon_extra = "metrics-dir = {metrics}\n"

    def read_prom(self):
        with open(os.path.join(self.metrics_dir, "dialupd.prom")) as prom:
            return prom.read()

    def test_the_file_follows_the_counters_and_the_state_and_only_changes(self):
        self.start()
        prom = os.path.join(self.metrics_dir, "dialupd.prom")
        self.assertTrue(wait_until(lambda: os.path.exists(prom), PATIENCE), "no dialupd.prom")
        self.assertIn('dialupd_modem_state{modem="m0",state="disconnected"} 1\n', self.read_prom())
        self.assertIn('dialupd_calls_started_total{modem="m0"} 0\n', self.read_prom())
        self.assertEqual(os.stat(prom).st_mode & 0o777, 0o644)
        self.failed_call()
        self.assertTrue(wait_until(lambda: 'dialupd_call_ends_total{modem="m0",code="4"} 1\n' in self.read_prom(),
                                   PATIENCE), self.read_prom())
        self.assertIn('dialupd_calls_started_total{modem="m0"} 1\n', self.read_prom())
        self.assertEqual(os.listdir(self.metrics_dir), ["dialupd.prom"], "no temporary file left")
        # Nothing changes: the file is not rewritten.
        inode = os.stat(prom).st_ino
        self.modem.iface.GetStatistics()
        wait_until(lambda: False, 1.0)
        self.assertEqual(os.stat(prom).st_ino, inode)

    @unittest.skipUnless(os.access(NODE_EXPORTER, os.X_OK), "tools/install-deps unpacks prometheus-node-exporter")
    def test_node_exporter_scrapes_the_series(self):
        self.start()
        self.failed_call()
        self.failed_call()
        self.assertTrue(wait_until(lambda: 'code="4"} 2\n' in self.read_prom(), PATIENCE), self.read_prom())
        port = free_port()
        exporter = subprocess.Popen([NODE_EXPORTER, "--collector.disable-defaults", "--collector.textfile",
                                     f"--collector.textfile.directory={self.metrics_dir}",
                                     f"--web.listen-address=127.0.0.1:{port}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            scraped = None
            deadline = time.monotonic() + PATIENCE
            while scraped is None and time.monotonic() < deadline and exporter.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=PATIENCE) as answer:
                        scraped = answer.read().decode()
                except OSError:
                    time.sleep(0.1)
            self.assertIsNotNone(scraped, "node_exporter did not answer")
        finally:
            exporter.terminate()
            _, errors = exporter.communicate(timeout=PATIENCE)
        series = {line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1] for line in scraped.splitlines()
                  if line.startswith("dialupd_")}
        self.assertEqual(series.get('dialupd_calls_started_total{modem="m0"}'), "2", scraped)
        self.assertEqual(series.get('dialupd_calls_up_total{modem="m0"}'), "0")
        self.assertEqual(series.get('dialupd_call_ends_total{code="4",modem="m0"}'), "2")
        self.assertEqual(series.get('dialupd_modem_state{modem="m0",state="disconnected"}'), "1")
        self.assertEqual(series.get('dialupd_data_limit_bytes{modem="m0"}'), "0")
        self.assertIn("# TYPE dialupd_calls_started_total counter", scraped)
        self.assertIn("node_textfile_scrape_error 0", scraped.splitlines(), errors)


if __name__ == "__main__":
    sys.exit(run_tap(Persistence, DataLimit, Metrics))
