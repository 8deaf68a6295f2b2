#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The DNS backends (service/sys/*_dns.*, dns_backends.*) against real parts: a private
dbus-daemon with a stand-in systemd-resolved (org.freedesktop.resolve1.Manager, recording every
call and answering with a chosen error) and a stand-in resolvconf (a script recording its argv,
stdin and environment, exiting with a chosen status). The C++ side is tests/integration/
dns_driver.cpp, one run per case. Usage: test_dns_backends.py DNS_DRIVER"""
import os
import socket
import subprocess
import sys
import tempfile
import unittest

import dbus
import dbus.service

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import testbed  # noqa: E402

DRIVER = sys.argv[1] if len(sys.argv) > 1 else os.path.join(testbed.ROOT, "build", "tests", "dns-driver")
RESOLVE1 = "org.freedesktop.resolve1"
MANAGER = "org.freedesktop.resolve1.Manager"

# resolved's own bus policy, as Debian ships it: root owns the name, anyone may call it.
RESOLVE1_POLICY = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root"><allow own="org.freedesktop.resolve1"/></policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.resolve1"/>
    <allow receive_sender="org.freedesktop.resolve1"/>
  </policy>
</busconfig>
"""


class FakeResolved(dbus.service.Object):
    """Records each call as (method, args) with plain Python values; `errors` maps a method to
    the (name, message) it answers with instead of success."""

    def __init__(self, connection):
        super().__init__(connection, "/org/freedesktop/resolve1")
        self.calls = []
        self.errors = {}

    def _called(self, method, *args):
        self.calls.append((method,) + args)
        if method in self.errors:
            name, message = self.errors[method]
            raise dbus.exceptions.DBusException(message, name=name)

    @dbus.service.method(MANAGER, in_signature="ia(iay)", out_signature="")
    def SetLinkDNS(self, ifindex, servers):
        self._called("SetLinkDNS", int(ifindex), [(int(family), bytes(bytearray(address))) for family, address in servers])

    @dbus.service.method(MANAGER, in_signature="ia(sb)", out_signature="")
    def SetLinkDomains(self, ifindex, domains):
        self._called("SetLinkDomains", int(ifindex), [(str(name), bool(routing)) for name, routing in domains])

    @dbus.service.method(MANAGER, in_signature="ib", out_signature="")
    def SetLinkDefaultRoute(self, ifindex, enabled):
        self._called("SetLinkDefaultRoute", int(ifindex), bool(enabled))

    @dbus.service.method(MANAGER, in_signature="i", out_signature="")
    def RevertLink(self, ifindex):
        self._called("RevertLink", int(ifindex))


class DnsBackendsTest(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.mkdtemp(prefix="dialupd-dns-")
        # Beside ours in the bus's policy directory, before the bus starts.
        os.makedirs(os.path.join(self.scratch, "system.d"))
        with open(os.path.join(self.scratch, "system.d", "org.freedesktop.resolve1.conf"), "w") as policy:
            policy.write(RESOLVE1_POLICY)
        self.bus = testbed.Bus(self.scratch)
        self.connection = dbus.bus.BusConnection(self.bus.address)
        self.resolved = None
        self.name = None
        self.resolvconf = os.path.join(self.scratch, "resolvconf")
        self.resolvconf_log = os.path.join(self.scratch, "resolvconf.log")

    def tearDown(self):
        if self.resolved:
            self.resolved.remove_from_connection()
        self.connection.close()
        self.bus.stop()
        subprocess.run(["rm", "-rf", self.scratch], check=False)

    def start_resolved(self):
        self.resolved = FakeResolved(self.connection)
        self.name = dbus.service.BusName(RESOLVE1, self.connection, do_not_queue=True)

    def install_resolvconf(self, status=0, stderr=""):
        """A stand-in resolvconf: appends argv, then stdin, then its environment to the log."""
        log = self.resolvconf_log
        with open(self.resolvconf, "w") as script:
            script.write(f"""#!/bin/sh
{{ echo "argv: $*"; sed 's/^/stdin: /'; env | sed 's/^/env: /'; }} >> '{log}'
printf '%b\\n' '{stderr}' >&2
exit {status}
""")
        os.chmod(self.resolvconf, 0o755)

    def resolvconf_lines(self, prefix):
        with open(self.resolvconf_log) as log:
            return [line[len(prefix):].rstrip("\n") for line in log if line.startswith(prefix)]

    def drive(self, mode, op, ifindex=7, ifname="ppp0", default_route=True, servers=()):
        """Runs the driver while this process's GLib loop answers as resolved; its output lines."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DBUS_SYSTEM_BUS_ADDRESS": self.bus.address}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        driver = subprocess.Popen([DRIVER, "--resolvconf", self.resolvconf, mode, op, str(ifindex), ifname,
                                   "yes" if default_route else "no", *servers],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        finished = testbed.wait_until(lambda: driver.poll() is not None, testbed.PATIENCE)
        if not finished:
            driver.kill()
        out, err = driver.communicate()
        self.assertTrue(finished, f"the driver did not finish: {out} {err}")
        self.assertEqual(driver.returncode, 0, f"driver: {out} {err}")
        self.assertNotIn("runtime error", err)  # UBSan
        self.driver_log = err
        return out.splitlines()

    # systemd-resolved

    def test_resolved_apply_with_default_route(self):
        self.start_resolved()
        out = self.drive("resolved", "apply", servers=["10.64.0.53", "dns.example", "2001:db8::53", "fe80::1%ppp0"])
        self.assertEqual(out, ["backend resolved", "ok"])
        v6 = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [0x53])
        self.assertEqual(self.resolved.calls, [
            ("SetLinkDomains", 7, [(".", True)]),
            ("SetLinkDefaultRoute", 7, True),
            ("SetLinkDNS", 7, [(socket.AF_INET, bytes([10, 64, 0, 53])), (socket.AF_INET6, v6)]),
        ])
        self.assertIn("ppp0: DNS server 'dns.example' is no IP address: left out", self.driver_log)
        self.assertIn("ppp0: DNS server 'fe80::1%ppp0' is no IP address: left out", self.driver_log)

    def test_resolved_apply_without_default_route_claims_no_domain(self):
        self.start_resolved()
        out = self.drive("resolved", "apply", ifindex=12, ifname="ppp3", default_route=False, servers=["10.0.0.1"])
        self.assertEqual(out, ["backend resolved", "ok"])
        self.assertEqual(self.resolved.calls, [
            ("SetLinkDomains", 12, []),
            ("SetLinkDefaultRoute", 12, False),
            ("SetLinkDNS", 12, [(socket.AF_INET, bytes([10, 0, 0, 1]))]),
        ])

    def test_resolved_revert(self):
        self.start_resolved()
        self.assertEqual(self.drive("resolved", "revert"), ["backend resolved", "ok"])
        self.assertEqual(self.resolved.calls, [("RevertLink", 7)])

    def test_resolved_revert_of_a_forgotten_link_is_done(self):
        self.start_resolved()
        self.resolved.errors["RevertLink"] = ("org.freedesktop.resolve1.NoSuchLink", "Link 7 not known")
        self.assertEqual(self.drive("resolved", "revert"), ["backend resolved", "ok"])
        self.assertEqual(self.resolved.calls, [("RevertLink", 7)])

    def test_resolved_other_revert_error_is_told(self):
        self.start_resolved()
        self.resolved.errors["RevertLink"] = ("org.freedesktop.DBus.Error.AccessDenied", "Not permitted")
        out = self.drive("resolved", "revert")
        self.assertEqual(out, ["backend resolved",
                               "error systemd-resolved RevertLink for ppp0: access denied (bus policy or polkit): Not permitted"])

    def test_resolved_apply_error_is_the_first_and_sanitized(self):
        self.start_resolved()
        self.resolved.errors["SetLinkDefaultRoute"] = ("org.freedesktop.resolve1.LinkBusy", "Link ppp0 is managed.\x1b[31m")
        self.resolved.errors["SetLinkDNS"] = ("org.freedesktop.DBus.Error.InvalidArgs", "later, not told")
        out = self.drive("resolved", "apply", servers=["10.64.0.53"])
        self.assertEqual(out, ["backend resolved",
                               "error systemd-resolved SetLinkDefaultRoute for ppp0: the link is managed by someone "
                               "else (systemd-networkd): Link ppp0 is managed.\\x1b[31m"])
        self.assertEqual([call[0] for call in self.resolved.calls], ["SetLinkDomains", "SetLinkDefaultRoute", "SetLinkDNS"])

    def test_resolved_apply_to_an_unknown_link_is_an_error(self):
        self.start_resolved()
        self.resolved.errors["SetLinkDomains"] = ("org.freedesktop.resolve1.NoSuchLink", "Link 7 not known")
        out = self.drive("resolved", "apply", servers=["10.64.0.53"])
        self.assertEqual(out[1], "error systemd-resolved SetLinkDomains for ppp0: it does not know the link "
                                 "(the interface is gone): Link 7 not known")

    def test_explicit_resolved_that_is_not_running_fails_naming_why(self):
        out = self.drive("resolved", "apply", servers=["10.64.0.53"])
        self.assertEqual(out[0], "backend resolved")
        self.assertTrue(out[1].startswith("error systemd-resolved SetLinkDomains for ppp0: systemd-resolved is not "
                                          "running (nobody owns org.freedesktop.resolve1 on the system bus)"), out[1])

    def test_an_answer_after_the_backend_is_gone_reaches_nobody(self):
        self.start_resolved()
        out = self.drive("resolved", "apply-abandoned", servers=["10.64.0.53"])
        self.assertEqual(out, ["backend resolved", "ok"])
        # Both applies reached resolved; only the second one's answer was told.
        self.assertEqual([call[0] for call in self.resolved.calls], ["SetLinkDomains", "SetLinkDefaultRoute", "SetLinkDNS"] * 2)

    # auto

    def test_auto_takes_resolved_when_it_owns_its_name(self):
        self.start_resolved()
        self.install_resolvconf()
        self.assertEqual(self.drive("auto", "apply", servers=["10.64.0.53"]), ["backend resolved", "ok"])
        self.assertEqual(len(self.resolved.calls), 3)
        self.assertFalse(os.path.exists(self.resolvconf_log))

    def test_auto_takes_resolvconf_without_resolved(self):
        self.install_resolvconf()
        self.assertEqual(self.drive("auto", "apply", servers=["10.64.0.53"]), ["backend resolvconf", "ok"])
        self.assertEqual(self.resolvconf_lines("argv: "), ["-a ppp0.dialupd"])

    def test_auto_with_neither_says_so(self):
        self.assertEqual(self.drive("auto", "apply"), [
            "none neither systemd-resolved on the bus nor resolvconf installed: DNS servers are only published on D-Bus"])

    def test_none_is_none(self):
        self.start_resolved()
        self.install_resolvconf()
        self.assertEqual(self.drive("none", "apply"), ["none dns = none"])
        self.assertEqual(self.resolved.calls, [])
        self.assertFalse(os.path.exists(self.resolvconf_log))

    # resolvconf

    def test_resolvconf_apply_and_revert(self):
        self.install_resolvconf()
        out = self.drive("resolvconf", "apply", servers=["10.64.0.53", "2001:db8::53", "x\nnameserver 6.6.6.6"])
        self.assertEqual(out, ["backend resolvconf", "ok"])
        self.assertEqual(self.resolvconf_lines("argv: "), ["-a ppp0.dialupd"])
        self.assertEqual(self.resolvconf_lines("stdin: "), ["nameserver 10.64.0.53", "nameserver 2001:db8::53"])
        # A clean environment: nothing of the daemon's (its bus address above all) leaks in.
        self.assertNotIn("DBUS_SYSTEM_BUS_ADDRESS", "".join(self.resolvconf_lines("env: ")))
        self.assertIn("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", self.resolvconf_lines("env: "))
        self.assertEqual(self.drive("resolvconf", "revert"), ["backend resolvconf", "ok"])
        self.assertEqual(self.resolvconf_lines("argv: "), ["-a ppp0.dialupd", "-d ppp0.dialupd"])

    def test_resolvconf_keeps_the_order_asked(self):
        self.install_resolvconf()
        out = self.drive("resolvconf", "apply-revert", ifname="ppp1", servers=["10.64.0.53"])
        self.assertEqual(out, ["backend resolvconf", "apply ok", "revert ok"])
        self.assertEqual(self.resolvconf_lines("argv: "), ["-a ppp1.dialupd", "-d ppp1.dialupd"])

    def test_resolvconf_failure_names_status_and_stderr(self):
        self.install_resolvconf(status=3, stderr="resolvconf: Error: /etc/resolv.conf is not a symlink\\033[0m")
        out = self.drive("resolvconf", "apply", servers=["10.64.0.53"])
        self.assertEqual(out, ["backend resolvconf", "error resolvconf -a ppp0.dialupd: exit status 3 (resolvconf: "
                                                     "Error: /etc/resolv.conf is not a symlink\\x1b[0m)"])

    def test_resolvconf_missing(self):
        self.assertEqual(self.drive("resolvconf", "apply"),
                         [f"none dns = resolvconf, but {self.resolvconf} is not installed (or not executable)"])

    def test_resolvconf_refuses_an_unsafe_interface_name(self):
        self.install_resolvconf()
        out = self.drive("resolvconf", "apply", ifname="../x", servers=["10.64.0.53"])
        self.assertEqual(out, ["backend resolvconf", "error resolvconf: no usable interface name ('../x')"])
        self.assertFalse(os.path.exists(self.resolvconf_log))


if __name__ == "__main__":
    sys.exit(testbed.run_tap(DnsBackendsTest))
