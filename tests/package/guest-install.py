#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The package's guest tier (tools/test-package runs it as tests/guest/run-guest's payload): in the
User-mode Linux guest, whose root is the host's filesystem, with writable overlays over /usr,
/etc and /var whose upper layers live in the guest's tmpfs (the host's files and its dpkg
database stay untouched):

  dpkg -i the .deb (its postinst: the group from sysusers.d, the unit enabled), the system bus
  (Debian's dbus-daemon --system, reading the installed policy), the installed
  /usr/sbin/dialupd started bare (no option: the installed config, the installed plugin), a
  fixed-port modem section appended to /etc/dialupd/dialupd.conf as a user would, one call on
  the simulated EC25 with the installed dialupctl as a member of the group and an access denied
  for anyone else, then dpkg --purge, and nothing left in the overlays but dpkg's own records.

Writes TAP to $GUEST_RESULT/package.tap and logs beside it; exits 0 when every check passed."""
import grp
import os
import subprocess
import sys
import time

DEB = os.environ["DIALUPD_DEB"]
ROOT = os.environ["DIALUPD_SOURCE_ROOT"]
RESULT = os.environ["GUEST_RESULT"]
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from testbed import PATIENCE  # noqa: E402
from world import Simulator  # noqa: E402

OVERLAID = ("/usr", "/etc", "/var")
UPPER = "/run/package-overlay"
GROUP = "netdev"
results = []
log = open(os.path.join(RESULT, "package.log"), "w", buffering=1)


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))
    log.write(f"{'ok' if ok else 'FAILED'}: {name} {detail}\n")
    return ok


def run(*command, **kwargs):
    result = subprocess.run(list(command), capture_output=True, text=True, **kwargs)
    log.write(f"$ {' '.join(command)}\n-> {result.returncode}\n{result.stdout}{result.stderr}\n")
    return result


def wait_for(condition, timeout=PATIENCE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def overlays():
    if run("modprobe", "-d", "/run/modules", "overlay").returncode != 0:
        with open("/proc/filesystems") as filesystems:
            if "overlay" not in filesystems.read():
                raise RuntimeError("no overlayfs in the guest")
    for target in OVERLAID:
        name = target.strip("/")
        upper, work = f"{UPPER}/{name}/upper", f"{UPPER}/{name}/work"
        os.makedirs(upper)
        os.makedirs(work)
        result = run("mount", "-t", "overlay", "overlay", "-o", f"lowerdir={target},upperdir={upper},workdir={work}",
                     target)
        if result.returncode != 0:
            raise RuntimeError(f"overlay over {target}: {result.stderr}")


def left_behind():
    """What the overlays' upper layers hold now, but for dpkg's own records and logs."""
    # dpkg's database and logs, the triggers' caches (man-db), the group's entry (Debian keeps
    # system groups) with the shadow tools' lock and backups, deb-systemd-helper's records.
    ignored = ("var/lib/dpkg/", "var/log/", "var/cache/", "var/backups/", "etc/group", "etc/gshadow", "etc/.pwd.lock",
               "var/lib/systemd/deb-systemd")
    found = []
    for target in OVERLAID:
        upper = f"{UPPER}/{target.strip('/')}/upper"
        for directory, dirs, files in os.walk(upper):
            for name in dirs + files:
                path = os.path.join(directory, name)
                relative = target.strip("/") + path[len(upper):]
                if os.path.isdir(path) and not os.path.islink(path):
                    continue
                if relative.startswith(ignored) or relative.endswith((".dpkg-old", "-")):
                    continue
                found.append("/" + relative)
    return found


def main():
    overlays()
    before = set(left_behind())
    result = run("dpkg", "-i", DEB)
    check("dpkg -i", result.returncode == 0, result.stdout[-400:] + result.stderr[-400:])
    check("the group exists (sysusers.d)", run("getent", "group", GROUP).returncode == 0)
    check("the unit is enabled", os.path.islink("/etc/systemd/system/multi-user.target.wants/dialupd.service")
          and os.path.islink("/etc/systemd/system/dbus-org.dialupd1.service"))
    check("dpkg -s says installed", "install ok installed" in run("dpkg", "-s", "dialupd").stdout)

    sim = Simulator("/run", os.path.join(RESULT, "sim"))
    with open("/etc/dialupd/dialupd.conf", "a") as config:
        config.write("\n[modem ec25]\ndevice = /dev/ttyUSB3\nat-port = /dev/ttyUSB2\n")
    bus = subprocess.Popen(["dbus-daemon", "--system", "--nofork", "--nopidfile"],
                           stdout=log, stderr=subprocess.STDOUT)
    check("the system bus", wait_for(lambda: os.path.exists("/run/dbus/system_bus_socket")))
    daemon_log = open(os.path.join(RESULT, "dialupd.log"), "w")
    daemon = subprocess.Popen(["/usr/sbin/dialupd"], stdout=daemon_log, stderr=subprocess.STDOUT)
    # NameHasOwner, not `busctl status`: that one also reads the owner's cgroup, which the guest
    # has none of ("Failed to get credentials: No medium found").
    named = wait_for(lambda: run("busctl", "--system", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "NameHasOwner", "s", "org.dialupd1").stdout.strip() == "b true")
    check("the installed daemon owns org.dialupd1", named)
    with open(os.path.join(RESULT, "dialupd.log")) as text:
        started = text.read()
    check("it read the installed config", "/etc/dialupd/dialupd.conf" in started, started[:600])

    caller = ["setpriv", "--reuid=nobody", "--regid=nogroup", f"--groups={grp.getgrnam(GROUP).gr_gid}"]
    stranger = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    denied = run(*stranger, "/usr/bin/dialupctl", "connect", "ec25", "--apn", "internet", "--wait")
    check("no group, no Connect", denied.returncode != 0 and GROUP in denied.stderr, denied.stderr)
    call = run(*caller, "/usr/bin/dialupctl", "connect", "ec25", "--apn", "internet", "--dns", "none", "--wait", timeout=PATIENCE * 2)
    check("a member of the group connects", call.returncode == 0, call.stdout + call.stderr)
    state = run("busctl", "--system", "get-property", "org.dialupd1", "/org/dialupd1/modem/ec25", "org.dialupd1.Modem",
                "State")
    status = run("/usr/bin/dialupctl", "status", "ec25")
    check("online", state.stdout.strip() == 's "connected"' and "10.64.0.2" in status.stdout,
          state.stdout + status.stdout)
    hangup = run(*caller, "/usr/bin/dialupctl", "disconnect", "ec25", timeout=PATIENCE * 2)
    check("disconnect", hangup.returncode == 0, hangup.stdout + hangup.stderr)

    daemon.terminate()
    check("the daemon stops on SIGTERM", daemon.wait(PATIENCE) == 0)
    bus.terminate()
    bus.wait(PATIENCE)
    sim.stop()

    result = run("dpkg", "--purge", "dialupd")
    check("dpkg --purge", result.returncode == 0, result.stdout[-400:] + result.stderr[-400:])
    check("dpkg forgot it", "install ok installed" not in run("dpkg", "-s", "dialupd").stdout)
    for path in ("/etc/dialupd", "/var/lib/dialupd", "/run/dialupd", "/usr/sbin/dialupd"):
        check(f"{path} is gone", not os.path.lexists(path))
    after = sorted(set(left_behind()) - before)
    check("nothing left behind", after == [], " ".join(after))


try:
    main()
except Exception as error:  # noqa: BLE001 - reported as a failed check
    import traceback
    check("ran to the end", False, traceback.format_exc())
with open(os.path.join(RESULT, "package.tap"), "w") as tap:
    tap.write(f"1..{len(results)}\n")
    for number, (name, ok, detail) in enumerate(results, 1):
        tap.write(f"{'ok' if ok else 'not ok'} {number} - {name}\n")
        if not ok:
            for line in detail.splitlines()[-20:]:
                tap.write(f"# {line}\n")
sys.exit(0 if all(ok for _name, ok, _detail in results) else 1)
