#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Debian package (debian/): `dpkg-buildpackage -b -us -uc` on a copy of the source tree
(build products land beside the copy, never in the checkout), lintian on the .changes with no
error (its warnings are printed), and the .deb unpacked into a throw-away root (`dpkg-deb -x`):
every file where Debian wants it with its mode and owner and nothing else, the conffile, the
maintainer scripts (the group from sysusers.d, the unit enabled the Debian way, purge), and the
unpacked daemon accepting the shipped config. Installing it into a running system, one call and
the purge are the guest tier's (tools/test-package). Prints TAP for meson."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import ROOT, run_tap  # noqa: E402

BUILD = os.environ.get("DIALUPD_BUILD_ROOT", os.path.join(ROOT, "build"))
# A fixed place under the build tree: the same paths each run, so ccache finds the last build's
# objects (the compile flags carry the source path).
WORK = os.path.join(BUILD, "package")


def pkg_variable(package, variable):
    return subprocess.run(["pkg-config", f"--variable={variable}", package], capture_output=True, text=True,
                          check=True).stdout.strip()


def pppd_version():
    with open("/usr/include/pppd/patchlevel.h") as header:
        return re.search(r'#define\s+VERSION\s+"([^"]+)"', header.read()).group(1)


def source_files():
    """The checkout's files as git sees them (tracked and new, not ignored: no build trees)."""
    listed = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    return [name for name in listed if name and os.path.lexists(os.path.join(ROOT, name))]


_package = {}


def build_once():
    """One dpkg-buildpackage for all the cases (run_tap runs them one by one); a failed one is
    not retried for each case."""
    if "error" in _package:
        raise RuntimeError(_package["error"])
    if _package:
        return _package
    try:
        return _build()
    except Exception as error:
        _package["error"] = str(error)
        raise


def _build():
    with open(os.path.join(ROOT, "debian", "changelog")) as changelog:
        source, version = re.match(r"(\S+) \(([^)]+)\)", changelog.readline()).groups()
    shutil.rmtree(WORK, ignore_errors=True)
    tree = os.path.join(WORK, f"{source}-{version}")
    for name in source_files():
        target = os.path.join(tree, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name), target, follow_symlinks=False)
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=2")
    started = time.monotonic()
    with open(os.path.join(WORK, "build.log"), "w") as log:
        result = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=tree, stdout=log,
                                stderr=subprocess.STDOUT, env=env)
    took = time.monotonic() - started
    if result.returncode != 0:
        with open(os.path.join(WORK, "build.log")) as log:
            raise RuntimeError("dpkg-buildpackage failed:\n" + "".join(log.readlines()[-60:]))
    print(f"# dpkg-buildpackage -b -us -uc took {took:.0f} s (log: {WORK}/build.log)", flush=True)
    # dialupd-dbgsym (dh_strip's detached debug symbols) comes beside it: not the package's.
    debs = [name for name in os.listdir(WORK) if name.endswith(".deb") and "-dbgsym_" not in name]
    changes = [name for name in os.listdir(WORK) if name.endswith(".changes")]
    if len(debs) != 1 or len(changes) != 1:
        raise RuntimeError(f"expected one .deb and one .changes in {WORK}, found {debs} {changes}")
    deb = os.path.join(WORK, debs[0])
    root = os.path.join(WORK, "root")
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    control = os.path.join(WORK, "control")
    subprocess.run(["dpkg-deb", "-e", deb, control], check=True)
    listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in listing.splitlines():
        mode, owner, _size, _date, _time, path = line.split(None, 5)
        path = path.split(" -> ")[0]
        entries[path[1:] if path.startswith(".") else path] = (mode, owner)
    _package.update(deb=deb, changes=os.path.join(WORK, changes[0]), root=root, control=control, entries=entries,
                    tree=tree)
    return _package


class Package(unittest.TestCase):
    def setUp(self):
        self.package = build_once()

    def unpacked(self, path):
        return os.path.join(self.package["root"], path.lstrip("/"))

    def read(self, path):
        with open(self.unpacked(path)) as text:
            return text.read()

    def control_file(self, name):
        with open(os.path.join(self.package["control"], name)) as text:
            return text.read()

    def test_lintian_finds_no_error(self):
        result = subprocess.run(["lintian", "--fail-on", "error", "--display-level", ">=warning",
                                 self.package["changes"]], capture_output=True, text=True)
        for line in (result.stdout + result.stderr).splitlines():
            print(f"# lintian: {line}", flush=True)
        errors = [line for line in result.stdout.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_every_file_in_its_place_with_its_mode(self):
        unit_dir = pkg_variable("systemd", "systemdsystemunitdir")
        rules_dir = pkg_variable("udev", "udevdir") + "/rules.d"
        expected = {
            "/usr/sbin/dialupd": "-rwxr-xr-x",
            "/usr/bin/dialupctl": "-rwxr-xr-x",
            f"/usr/lib/pppd/{pppd_version()}/dialupd-pppd-plugin.so": "-rw-r--r--",
            # The conffile may hold a password or the SIM's PIN: root's alone.
            "/etc/dialupd/dialupd.conf": "-rw-------",
            f"{unit_dir}/dialupd.service": "-rw-r--r--",
            f"{rules_dir}/78-dialupd.rules": "-rw-r--r--",
            "/usr/share/dbus-1/system.d/org.dialupd1.conf": "-rw-r--r--",
            "/usr/share/dbus-1/system-services/org.dialupd1.service": "-rw-r--r--",
            "/usr/share/dbus-1/interfaces/org.dialupd1.Modem.xml": "-rw-r--r--",
            "/usr/lib/sysusers.d/dialupd.conf": "-rw-r--r--",
            "/usr/share/bash-completion/completions/dialupctl": "-rw-r--r--",
            "/usr/share/man/man1/dialupctl.1.gz": "-rw-r--r--",
            "/usr/share/man/man5/dialupd.conf.5.gz": "-rw-r--r--",
            "/usr/share/man/man8/dialupd.8.gz": "-rw-r--r--",
            "/usr/share/doc/dialupd/copyright": "-rw-r--r--",
            "/usr/share/doc/dialupd/changelog.gz": "-rw-r--r--",
        }
        entries = self.package["entries"]
        files = {path: mode for path, (mode, _owner) in entries.items() if not path.endswith("/")}
        self.assertEqual(sorted(files), sorted(expected), "the package's files")
        for path, mode in expected.items():
            self.assertEqual(files[path], mode, path)
        for path, (mode, owner) in entries.items():
            self.assertEqual(owner, "root/root", path)
            if path.endswith("/"):
                self.assertEqual(mode, "drwx------" if path == "/etc/dialupd/" else "drwxr-xr-x", path)

    def test_the_conffile_and_the_maintainer_scripts(self):
        self.assertEqual(self.control_file("conffiles").split(), ["/etc/dialupd/dialupd.conf"])
        postinst = self.control_file("postinst")
        # dh_installsysusers: the group that may call Connect, before the unit starts.
        self.assertRegex(postinst, r"systemd-sysusers .*dialupd\.conf")
        self.assertLess(postinst.index("systemd-sysusers"), postinst.index("deb-systemd-invoke"))
        # dh_installsystemd: enabled and started the Debian way.
        self.assertRegex(postinst, r"deb-systemd-helper (--quiet )?(unmask|enable) 'dialupd\.service'")
        self.assertRegex(postinst, r"deb-systemd-invoke \$_dh_action 'dialupd\.service'")
        self.assertIn("deb-systemd-invoke stop 'dialupd.service'", self.control_file("prerm"))
        postrm = self.control_file("postrm")
        self.assertIn("rm -rf /etc/dialupd /var/lib/dialupd /run/dialupd", postrm)
        self.assertIn("deb-systemd-helper purge 'dialupd.service'", postrm)

    def test_the_dependencies(self):
        fields = {name: subprocess.run(["dpkg-deb", "-f", self.package["deb"], name], capture_output=True,
                                       text=True, check=True).stdout.strip() for name in ("Depends", "Recommends")}
        depends = fields["Depends"]
        # dh_ppp: the pppd whose plugin ABI (and directory) the plugin was built for.
        self.assertIn(f"ppp (>= {pppd_version()}", depends)
        self.assertIn(f"ppp (<< {pppd_version()}", depends)
        self.assertIn("systemd | systemd-standalone-sysusers", depends)
        self.assertIn("default-dbus-system-bus | dbus-system-bus", depends)
        for library in ("libsdbus-c++", "libsystemd0", "libudev1", "libspdlog", "libnl-route-3"):
            self.assertIn(library, depends)
        self.assertIn("mobile-broadband-provider-info", fields["Recommends"])

    def test_the_installed_paths_agree(self):
        self.assertIn("ExecStart=/usr/sbin/dialupd\n",
                      self.read(pkg_variable("systemd", "systemdsystemunitdir") + "/dialupd.service"))
        self.assertIn('<policy group="netdev">', self.read("/usr/share/dbus-1/system.d/org.dialupd1.conf"))
        self.assertRegex(self.read("/usr/lib/sysusers.d/dialupd.conf"), r"(?m)^g netdev -$")
        with open(self.unpacked("/usr/sbin/dialupd"), "rb") as daemon:
            binary = daemon.read()
        self.assertIn(f"/usr/lib/pppd/{pppd_version()}/dialupd-pppd-plugin.so".encode(), binary)
        usage = subprocess.run([self.unpacked("/usr/sbin/dialupd"), "--help"], capture_output=True, text=True)
        self.assertIn("(default /etc/dialupd/dialupd.conf)", usage.stdout)

    def test_the_shipped_config_is_accepted(self):
        config = self.read("/etc/dialupd/dialupd.conf")
        self.assertNotIn("copy to /etc/dialupd/dialupd.conf", config)
        result = subprocess.run([self.unpacked("/usr/sbin/dialupd"), "--config", self.unpacked("/etc/dialupd/dialupd.conf"),
                                 "--list-usb-models"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("2c7c:0125 EC25", result.stdout)

    def test_nothing_written_into_the_checkout(self):
        # dpkg-buildpackage writes into the tree it builds and into its parent: both are the copy.
        self.assertFalse(os.path.exists(os.path.join(ROOT, "debian", "dialupd")))
        self.assertFalse(os.path.exists(os.path.join(ROOT, "obj-x86_64-linux-gnu")))
        self.assertTrue(self.package["deb"].startswith(WORK + os.sep))


if __name__ == "__main__":
    sys.exit(run_tap(Package))
