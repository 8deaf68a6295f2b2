# SPDX-License-Identifier: GPL-2.0-or-later
"""systemd-resolved, for real, inside the User-mode Linux guest, on the test's private bus.

The binary is the one Debian ships, unpacked (never installed: its postinst rewrites the
machine's /etc/resolv.conf) by tools/install-deps into RESOLVED_ROOT, at the host's systemd
version (it links the host's libsystemd-shared). What a package install would have done is done
here in the guest's private mount namespace only (the guest's mount table is its own; the host's
files are never written):
  - the systemd-resolve user: copies of /etc/passwd and /etc/group with it added, bind-mounted
    over the originals (resolved, started as root, drops to that user by itself);
  - its bus policy (the package's org.freedesktop.resolve1.conf) in the test bus's config;
  - its configuration in /run/systemd/resolved.conf.d (/run is the guest's tmpfs): no global or
    fallback DNS servers, no LLMNR/mDNS/DNSSEC, no cache (a test must see what the link's
    servers answer now), the stub listener on 127.0.0.53;
  - with stub_resolv_conf, /etc/resolv.conf pointing at that stub (bind mount), as a system
    using resolved has it: the guest's libc lookups (getent, ping NAME) go through resolved,
    and resolved takes no "foreign" servers from the host's resolv.conf.

Use from a scenario:
    resolved = Resolved(bus, scratch, log_dir)     # ready: its bus name is owned
    resolved.link_dns("ppp0")            -> ["10.64.0.53", "2001:db8:ff::53"]
    resolved.link_default_route("ppp0")  -> True/False
    resolved.link_domains("ppp0")        -> [("~.", True)] style: (name, routing_only)
    resolved.resolve("only-over-the-link.test") -> ["10.64.0.80", "2001:db8:ff::80"]
    resolved.set_link_dns("ppp0", ["10.64.0.53"]) / revert_link("ppp0")   (as a root caller would)
    resolved.stop()
Root callers pass without polkit (resolved accepts a caller with CAP_NET_ADMIN; there is no
polkit in the guest, so an unprivileged caller is refused)."""
import os
import pwd
import socket
import subprocess
import sys

import dbus

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import PATIENCE, wait_until  # noqa: E402

RESOLVED_ROOT = os.environ.get("DIALUPD_RESOLVED_ROOT", "/var/lib/dialupd-test/systemd-resolved")
NAME = "org.freedesktop.resolve1"
PATH = "/org/freedesktop/resolve1"
MANAGER = "org.freedesktop.resolve1.Manager"
LINK = "org.freedesktop.resolve1.Link"
USER = "systemd-resolve"
CONFIG = """[Resolve]
DNS=
FallbackDNS=
Domains=
LLMNR=no
MulticastDNS=no
DNSSEC=no
DNSOverTLS=no
Cache=no
DNSStubListener=yes
ReadEtcHosts=no
"""
STUB_RESOLV_CONF = "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n"


def in_the_guest():
    """PID 1 is the guest's init script: bind mounts here change no one else's view."""
    try:
        with open("/proc/1/cmdline", "rb") as cmdline:
            return b"guest-init.sh" in cmdline.read()
    except OSError:
        return False


def ifindex(link):
    return link if isinstance(link, int) else socket.if_nametoindex(link)


def address_text(family, octets):
    return socket.inet_ntop(int(family), bytes(int(b) for b in octets))


class Resolved:
    def __init__(self, bus, scratch, log_dir, stub_resolv_conf=True):
        if not in_the_guest():
            raise RuntimeError("resolved.py bind-mounts over /etc: only inside the guest")
        binary = os.path.join(RESOLVED_ROOT, "lib", "systemd", "systemd-resolved")
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"no {binary}: run tools/install-deps")
        self.scratch = os.path.join(scratch, "resolved")
        os.makedirs(self.scratch, exist_ok=True)
        self.mounts = []
        self.process = None
        try:
            self._add_user()
            if stub_resolv_conf:
                self._bind_text("/etc/resolv.conf", STUB_RESOLV_CONF)
            os.makedirs("/run/systemd/resolved.conf.d", exist_ok=True)
            with open("/run/systemd/resolved.conf.d/dialupd-test.conf", "w") as config:
                config.write(CONFIG)
            # resolved drops to its own user before it connects: the bus socket's directory (a
            # private mkdtemp) must let it through (search only: nothing in it gets listed).
            socket_dir = os.path.dirname(bus.socket)
            os.chmod(socket_dir, os.stat(socket_dir).st_mode & 0o7777 | 0o011)
            with open(os.path.join(RESOLVED_ROOT, "usr/share/dbus-1/system.d/org.freedesktop.resolve1.conf")) as policy:
                bus.add_policy("org.freedesktop.resolve1.conf", policy.read())
            os.makedirs(log_dir, exist_ok=True)
            self.log_path = os.path.join(log_dir, "systemd-resolved.log")
            self.log = open(self.log_path, "w")
            env = {"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": bus.address,
                   "SYSTEMD_LOG_LEVEL": "debug", "SYSTEMD_LOG_TARGET": "console", "SYSTEMD_LOG_COLOR": "0"}
            self.process = subprocess.Popen([binary], stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                            env=env)
            self.connection = dbus.bus.BusConnection(bus.address)
            came_up = wait_until(lambda: self.connection.name_has_owner(NAME) or self.process.poll() is not None,
                                 PATIENCE)
            if not came_up or self.process.poll() is not None:
                raise RuntimeError(f"systemd-resolved did not take {NAME} within {PATIENCE:.0f} s "
                                   f"(exit status {self.process.poll()}); its log:\n{self.log_text()}")
            self.manager = dbus.Interface(self.connection.get_object(NAME, PATH, introspect=False), MANAGER)
        except BaseException:
            self.stop()
            raise

    # --- what a package install would have done, in the guest's mount namespace -----------------
    def _bind_text(self, target, text):
        copy = os.path.join(self.scratch, os.path.basename(target))
        with open(copy, "w") as out:
            out.write(text)
        os.chmod(copy, 0o644)
        subprocess.run(["mount", "--bind", copy, target], check=True)
        self.mounts.append(target)

    def _add_user(self):
        try:
            pwd.getpwnam(USER)
            return
        except KeyError:
            pass
        with open("/etc/passwd") as passwd, open("/etc/group") as group:
            users, groups = passwd.read(), group.read()
        taken = {int(line.split(":")[2]) for text in (users, groups) for line in text.splitlines()
                 if line.count(":") >= 2 and line.split(":")[2].isdigit()}
        number = next(n for n in range(999, 100, -1) if n not in taken)
        self._bind_text("/etc/passwd", users.rstrip("\n") + f"\n{USER}:x:{number}:{number}:systemd Resolver:/:"
                        "/usr/sbin/nologin\n")
        self._bind_text("/etc/group", groups.rstrip("\n") + f"\n{USER}:x:{number}:\n")

    # --- looking at it -----------------------------------------------------------------------
    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, errors="replace") as log:
            return log.read()

    def link(self, link):
        path = self.manager.GetLink(ifindex(link), timeout=PATIENCE)
        return self.connection.get_object(NAME, path, introspect=False)

    def link_property(self, link, name):
        return self.link(link).Get(LINK, name, dbus_interface="org.freedesktop.DBus.Properties", timeout=PATIENCE)

    def link_dns(self, link):
        """The link's DNS servers as resolved holds them (address texts, in its order)."""
        return [address_text(family, octets) for family, octets in self.link_property(link, "DNS")]

    def link_default_route(self, link):
        return bool(self.link_property(link, "DefaultRoute"))

    def link_domains(self, link):
        return [(str(name), bool(routing_only)) for name, routing_only in self.link_property(link, "Domains")]

    def resolve(self, name, family=socket.AF_UNSPEC, link=0):
        """The name's addresses through resolved (ResolveHostname); a DBusException names why not
        (org.freedesktop.resolve1.NoSuchResourceRecord, ...NoNameServers, ...)."""
        addresses, _canonical, _flags = self.manager.ResolveHostname(
            dbus.Int32(ifindex(link)), name, dbus.Int32(family), dbus.UInt64(0), timeout=PATIENCE)
        return [address_text(address_family, octets) for _index, address_family, octets in addresses]

    # --- as a network manager (root) would call it ------------------------------------------------
    def set_link_dns(self, link, servers):
        entries = []
        for server in servers:
            family = socket.AF_INET6 if ":" in server else socket.AF_INET
            entries.append(dbus.Struct((dbus.Int32(family), dbus.ByteArray(socket.inet_pton(family, server))),
                                       signature="iay"))
        self.manager.SetLinkDNS(dbus.Int32(ifindex(link)), dbus.Array(entries, signature="(iay)"), timeout=PATIENCE)

    def set_link_domains(self, link, domains):
        self.manager.SetLinkDomains(dbus.Int32(ifindex(link)), dbus.Array(
            [dbus.Struct((name, dbus.Boolean(routing)), signature="sb") for name, routing in domains],
            signature="(sb)"), timeout=PATIENCE)

    def set_link_default_route(self, link, enabled):
        self.manager.SetLinkDefaultRoute(dbus.Int32(ifindex(link)), dbus.Boolean(enabled), timeout=PATIENCE)

    def revert_link(self, link):
        self.manager.RevertLink(dbus.Int32(ifindex(link)), timeout=PATIENCE)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(PATIENCE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()
        for target in reversed(self.mounts):
            subprocess.run(["umount", target])
        self.mounts = []
