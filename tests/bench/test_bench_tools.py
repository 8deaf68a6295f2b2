#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The benchmark tooling stays runnable: every program under bench/ answers --help, bench/report
renders the common schema (goals, spreads, failures) and refuses anything else, bench/run-all
runs every benchmark program (and only those), and bench/plugin-load, bench/idle-cost and
bench/dm-recorder measure for real on this machine (short runs, no guest). The figures themselves
come from bench/run-all, never from here. Prints TAP for meson."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import ROOT, run_tap  # noqa: E402

BENCH = os.path.join(ROOT, "bench")
PROGRAMS = ["get-throughput", "idle-cost", "udev-add-latency", "plugin-load", "guest-hangup-latency",
            "guest-connect-overhead", "guest-scale", "guest-idle-call", "dm-recorder", "report", "run-all"]


def run(*argv, **kwargs):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=120, **kwargs)


def schema_file(directory, name, results, notes=()):
    path = os.path.join(directory, name + ".json")
    machine = {"cpus": 2, "cpu_model": "test", "memory_gib": 1.0, "kernel": "k", "os": "Debian 12",
               "loadavg_at_start": [0.5, 0.5, 0.5]}
    with open(path, "w") as out:
        json.dump({"schema": "dialupd-bench/1", "benchmark": name, "command": f"bench/{name} --json {path}",
                   "machine": machine, "date": "2026-11-25T00:00:00+00:00", "loadavg_at_end": [0.4, 0.4, 0.4],
                   "results": results, "notes": list(notes), "details": {}}, out)
    return path


class Programs(unittest.TestCase):
    def test_every_program_answers_help(self):
        for name in PROGRAMS:
            with self.subTest(name):
                done = run(os.path.join(BENCH, name), "--help")
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertIn("bench/" + name, done.stdout)

    def test_run_all_runs_every_benchmark_program_and_nothing_else(self):
        with open(os.path.join(BENCH, "run-all")) as script:
            text = script.read()
        listed = text.split("benchmarks='", 1)[1].split("'", 1)[0]
        names = []
        for line in listed.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            name, command = line.split("|", 1)
            names.append(name)
            program = command.split()[0]
            self.assertTrue(os.access(os.path.join(ROOT, program), os.X_OK), program)
        # Every benchmark program is in the one command, once.
        self.assertEqual(sorted(names), sorted(name for name in PROGRAMS if name not in ("report", "run-all")))


class Report(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.md = os.path.join(self.dir.name, "B.md")
        self.json = os.path.join(self.dir.name, "b.json")

    def tearDown(self):
        self.dir.cleanup()

    def report(self, *paths, extra=()):
        return run(sys.executable, os.path.join(BENCH, "report"), "--md", self.md, "--json", self.json, *extra, *paths)

    def test_rows_goals_spreads_and_failures_are_rendered(self):
        met = {"metric": "overhead", "dialupd": 1.01, "baseline": 1.0, "baseline_name": "plain pppd",
               "ratio": 1.01, "unit": "s", "how": "alternating", "goal": "ratio ≤ 1.02", "goal_met": True,
               "dialupd_spread": {"median": 1.01, "min": 0.9, "max": 1.2, "n": 5}}
        missed = dict(met, metric="wakeups", dialupd=3, baseline=0, ratio=None, goal="0", goal_met=False)
        path = schema_file(self.dir.name, "plugin-load", [met, missed], ["a note | with a bar"])
        done = self.report(path, extra=("--failed", "guest-scale", "--command", "bench/run-all"))
        self.assertEqual(done.returncode, 0, done.stderr)
        text = open(self.md).read()
        self.assertIn("## plugin-load:", text)
        self.assertIn("`bench/plugin-load` —", text)  # the command as rerun, without --json FILE
        self.assertIn("overhead (goal ratio ≤ 1.02: **met**)", text)
        self.assertIn("wakeups (goal 0: **missed**)", text)
        self.assertIn("1.01 s [0.9–1.2, n=5]", text)
        self.assertIn("— (baseline 0)", text)
        self.assertIn("- a note | with a bar", text)
        self.assertIn("## guest-scale: FAILED", text)
        combined = json.load(open(self.json))
        self.assertEqual(combined["failed"], ["guest-scale"])
        self.assertEqual(combined["benchmarks"][0]["results"][0]["ratio"], 1.01)

    def test_a_directory_is_rendered_in_the_known_order(self):
        for name in ("guest-scale", "udev-add-latency", "get-throughput"):
            schema_file(self.dir.name, name, [{"metric": "m", "dialupd": 1, "baseline": 1, "baseline_name": "b",
                                               "ratio": 1.0, "unit": "s", "how": "h"}])
        done = self.report(self.dir.name)
        self.assertEqual(done.returncode, 0, done.stderr)
        text = open(self.md).read()
        positions = [text.index(f"## {name}:") for name in ("get-throughput", "udev-add-latency", "guest-scale")]
        self.assertEqual(positions, sorted(positions))

    def test_a_file_not_in_the_schema_is_refused(self):
        path = os.path.join(self.dir.name, "other.json")
        with open(path, "w") as out:
            json.dump({"benchmark": "x", "results": []}, out)
        done = self.report(path)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("is not a dialupd-bench/1 result file", done.stderr)
        self.assertFalse(os.path.exists(self.md))


class PluginLoad(unittest.TestCase):
    def test_measures_both_sides_on_this_machine(self):
        build = os.environ.get("DIALUPD_BUILD_ROOT", os.path.join(ROOT, "build"))
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "plugin-load.json")
            done = run(sys.executable, os.path.join(BENCH, "plugin-load"), "--no-guest", "--rounds", "5",
                       "--build", build, "--json", path)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            document = json.load(open(path))
        self.assertEqual(document["schema"], "dialupd-bench/1")
        rows = {row["metric"]: row for row in document["results"]}
        wall = rows["host: pppd exec → exit, p50"]
        self.assertGreater(wall["dialupd"], 0)
        self.assertGreater(wall["baseline"], 0)
        self.assertEqual(wall["dialupd_spread"]["n"], 5)
        # Loading a plugin maps pages: more minor faults with it, on any machine.
        faults = rows["host: pppd minor page faults, p50"]
        self.assertGreater(faults["dialupd"], faults["baseline"])


def simulator_has_live_commands():
    """Issue 20's simulator (AT+QCCID, AT+QCSQ, +QIND URCs), as tests/integration/test_live_sim.py asks."""
    done = run(os.path.join(ROOT, "tools", "modem-sim"), "--help")
    return "--iccid" in done.stdout


class IdleCost(unittest.TestCase):
    @unittest.skipUnless(simulator_has_live_commands(), "tools/modem-sim does not simulate the live status yet")
    def test_the_modem_on_the_simulator_is_measured_idle_and_after_one_urc(self):
        """A short run of the simulated modem's subject alone: it comes up read, is counted in the
        window, and the one URC reaches the daemon, which asks the module nothing after it (the wakeup
        figures themselves are the benchmark's, not judged here: a shared machine wakes it too)."""
        build = os.environ.get("DIALUPD_BUILD_ROOT", os.path.join(ROOT, "build"))
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "idle-cost.json")
            done = run(sys.executable, os.path.join(BENCH, "idle-cost"), "--seconds", "2", "--interval", "1",
                       "--settle", "0", "--modems", "1", "--watchdog-sec", "0", "--no-modemmanager",
                       "--strace-seconds", "0", "--urc-seconds", "2", "--build", build, "--json", path)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            document = json.load(open(path))
        self.assertIn("dialupd, 1 modem with its AT port on the simulator", done.stdout)
        rows = {row["metric"]: row for row in document["results"]}
        self.assertIn("wakeups (context switches) over 2 s idle, 1 modem with its AT port held open on the simulator",
                      rows)
        subject = document["details"]["subjects"]["dialupd-1-sim"]
        self.assertEqual(subject["first_read"]["properties"]["SimState"], "ready")
        urc = subject["urc"]
        self.assertEqual(urc["answer"], "OK")
        self.assertTrue(urc["urc_written"], urc["simulator_log"])
        self.assertEqual(urc["commands_after_urc"], [], "the daemon asked the module something after the URC")
        self.assertGreaterEqual(rows["context switches for one URC, 1 modem with its AT port on the simulator"]
                                ["dialupd"], 1, "the URC did not wake the daemon")
        if "wakeups_by_cause" in urc:  # perf on PATH: the URC's wakeups are the AT port's
            self.assertGreaterEqual(urc["wakeups_by_cause"].get("AT port", 0), 1, urc)


class DmRecorder(unittest.TestCase):
    def test_a_short_run_measures_every_section(self):
        """A few seconds of each section: dialupd and cat both read the stream, the ring was saved at
        the call's end, the memory and latency rows are there (the figures are the benchmark's, not
        judged here)."""
        build = os.environ.get("DIALUPD_BUILD_ROOT", os.path.join(ROOT, "build"))
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "dm-recorder.json")
            done = subprocess.run(
                [sys.executable, os.path.join(BENCH, "dm-recorder"), "--rates", "100", "--seconds", "2",
                 "--settle", "1", "--memory-rate", "500", "--memory-seconds", "4", "--memory-sizes", "1",
                 "--latency-rounds", "1", "--latency-ring", "1", "--build", build, "--json", path],
                capture_output=True, text=True, timeout=500)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            document = json.load(open(path))
        rows = {row["metric"]: row for row in document["results"]}
        cpu = rows["CPU per MiB read, DM stream at 100 KiB/s"]
        self.assertGreater(cpu["dialupd"], 0)
        self.assertGreater(cpu["baseline"], 0)
        window = document["details"]["cpu"]["100"]
        self.assertGreater(window["recording"]["bytes_read"], 0)
        self.assertGreater(window["cat"]["bytes_read"], 0)
        self.assertGreater(window["ring_at_end"].get("frames", 0), 0, window["ring_at_end"])
        self.assertIn("wakeups (context switches) per second, DM stream at 100 KiB/s", rows)
        self.assertIn("VmRSS growth with a full ring over dm-log = no, dm-log-size = 1 MiB", rows)
        latency = [row for metric, row in rows.items() if metric.startswith("hangup latency")]
        self.assertEqual(len(latency), 1)
        self.assertEqual(latency[0]["dialupd_spread"]["n"], 1)
        self.assertGreater(document["details"]["latency"]["rounds"][0]["ring"].get("bytes", 0), 0)


class PlainArgv(unittest.TestCase):
    """The guest benchmarks' plain pppd runs dialupd's own pppd command line without what only
    dialupd's side has; the online baseline adds `defaultroute usepeerdns` and must not keep a
    negation of them that dialupd's line carries."""

    DIALUPD = ["/usr/sbin/pppd", "/dev/ttyUSB3", "115200", "nodetach", "lock", "linkname", "dialupd-m0",
               "ip-up-script", "/run/x/no-ip-up-script", "connect", "exec '/usr/sbin/chat' -s -v -f '/run/x/m0.chat'",
               "plugin", "/build/dialupd-pppd-plugin.so", "dialupd-report-fd", "3", "nodefaultroute",
               "nodefaultroute6", "-defaultroute", "noproxyarp", "+ipv6", "ipv6cp-accept-local", "dialupd-accept-ra",
               "2", "dialupd-ra-default-route", "1", "dialupd-ra-route-metric", "700", "dialupd-secret-fd", "4",
               "hide-password"]

    def setUp(self):
        sys.path.insert(0, BENCH)
        import guestbench

        self.plain_argv = guestbench.plain_argv

    def test_dialupd_only_options_go_and_the_rest_stays(self):
        argv = self.plain_argv(self.DIALUPD, "/run/x/plain.chat")
        self.assertFalse([word for word in argv if word.startswith("dialupd-")], argv)
        self.assertNotIn("plugin", argv)
        for value in ("3", "4", "2", "700"):
            self.assertNotIn(value, argv)
        self.assertEqual(argv[argv.index("linkname") + 1], "plain-m0")
        self.assertEqual(argv[argv.index("connect") + 1], "exec '/usr/sbin/chat' -s -v -f '/run/x/plain.chat'")
        self.assertIn("updetach", argv)
        self.assertNotIn("nodetach", argv)
        # Offline, plain pppd keeps dialupd's choices, negations included; its IP family always.
        for kept in ("nodefaultroute", "-defaultroute", "nodefaultroute6", "noproxyarp", "+ipv6",
                     "ipv6cp-accept-local", "hide-password", "ip-up-script", "/run/x/no-ip-up-script"):
            self.assertIn(kept, argv)
        self.assertNotIn("defaultroute", argv)

    def test_the_online_baseline_asks_for_the_route_and_dns_and_forbids_neither(self):
        argv = self.plain_argv(self.DIALUPD, "/run/x/plain.chat", online=True)
        self.assertEqual(argv[-2:], ["defaultroute", "usepeerdns"])
        self.assertNotIn("nodefaultroute", argv)
        self.assertNotIn("-defaultroute", argv)
        for kept in ("+ipv6", "nodefaultroute6", "noproxyarp", "ip-up-script", "/run/x/no-ip-up-script"):
            self.assertIn(kept, argv)


if __name__ == "__main__":
    sys.exit(run_tap(Programs, Report, PluginLoad, IdleCost, DmRecorder, PlainArgv))
