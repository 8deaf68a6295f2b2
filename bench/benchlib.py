# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared by the benchmark scripts under bench/: the common JSON schema (bench/README.md,
"Result files"), a description of the machine, median and spread, and modems on ptys.
Use Debian's /usr/bin/python3 (the test bed needs python3-dbus and python3-gi)."""
import datetime
import json
import os
import platform
import shlex
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCHEMA = "dialupd-bench/1"
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))


def loadavg():
    with open("/proc/loadavg") as source:
        return [float(value) for value in source.read().split()[:3]]


def machine():
    """What the figures were measured on, and how busy it was when the benchmark started."""
    model = ""
    with open("/proc/cpuinfo") as source:
        for line in source:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as source:
        memory_kib = int(source.readline().split()[1])
    release = ""
    if os.path.exists("/etc/debian_version"):
        with open("/etc/debian_version") as source:
            release = "Debian " + source.read().strip()
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(memory_kib / 1048576, 1),
            "kernel": platform.release(), "os": release, "loadavg_at_start": loadavg()}


def command():
    """The command line that produced the figures, relative to the source tree."""
    script = os.path.relpath(os.path.abspath(sys.argv[0]), ROOT)
    return " ".join(shlex.quote(part) for part in [script] + sys.argv[1:])


def spread(values):
    """Median and spread of repeated measurements (all rounds kept for the record)."""
    ordered = sorted(values)
    median = statistics.median(ordered)
    if isinstance(median, float) and median.is_integer() and all(isinstance(v, int) for v in ordered):
        median = int(median)
    return {"median": median, "min": ordered[0], "max": ordered[-1], "n": len(ordered),
            "values": ordered}


def ratio(value, baseline, digits=3):
    if value is None or baseline in (None, 0):
        return None
    return round(value / baseline, digits)


def result(metric, dialupd, baseline, baseline_name, unit, how, ratio_value="auto", **extra):
    """One row of the schema; `extra` may carry dialupd_spread, baseline_spread, goal, goal_met."""
    row = {"metric": metric, "dialupd": dialupd, "baseline": baseline, "baseline_name": baseline_name,
           "ratio": ratio(dialupd, baseline) if ratio_value == "auto" else ratio_value, "unit": unit, "how": how}
    row.update(extra)
    return row


def write(path, benchmark, started_machine, results, notes=(), details=None):
    """The common schema: one object per benchmark run."""
    document = {"schema": SCHEMA, "benchmark": benchmark, "command": command(), "machine": started_machine,
                "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
                "loadavg_at_end": loadavg(), "results": results, "notes": list(notes), "details": details or {}}
    with open(path, "w") as out:
        json.dump(document, out, indent=2)
        out.write("\n")


class PtyModems:
    """`count` fixed-port modems, each on a pty of its own (the daemon sees a real tty; nobody
    answers on the other side, which an idle or a Get never needs). Close to release them."""

    def __init__(self, count, prefix="m"):
        self.masters = []
        self.devices = {}
        for number in range(count):
            master, slave = os.openpty()
            self.devices[f"{prefix}{number}"] = os.ttyname(slave)
            os.close(slave)
            self.masters.append(master)

    def close(self):
        for master in self.masters:
            os.close(master)
        self.masters = []
