# SPDX-License-Identifier: GPL-2.0-or-later
"""Debian's resolvconf(8), for real, inside the User-mode Linux guest.

Its scripts are the ones Debian ships (resolvconf 1.91), unpacked (never installed: its postinst
rewrites the machine's /etc/resolv.conf) by tools/install-deps into RESOLVCONF_ROOT. What a
package install and its boot service would have done is done here in the guest's own mount table
only (the root file system is the host's, through hostfs: its files are never written):
  - /sbin/resolvconf and /lib/resolvconf/ (/sbin and /lib lead into /usr) and /etc/resolvconf/
    appear through read-only overlays over /usr and /etc, the package's files the upper layer;
  - in the /etc overlay, /etc/resolv.conf is the package's symlink to
    /run/resolvconf/resolv.conf (/run is the guest's tmpfs), so the guest's libc lookups
    (getent, ping NAME) use the servers resolvconf was given;
  - resolvconf.service's `resolvconf --enable-updates`, then `resolvconf -u` for the first
    resolv.conf (no records yet: only the package's head comment, no nameserver).
The postinst's copy of the machine's resolv.conf as the record "original.resolvconf" is left
out: the generated file then lists exactly what was given through resolvconf -a.

Use from a scenario (world.resolvconf when World(resolvconf=True)):
    resolvconf.record("ppp0.dialupd")  -> "nameserver 10.64.0.53\n..." or None (no such record)
    resolvconf.records()               -> ["ppp0.dialupd"]  (resolvconf -i)
    resolvconf.nameservers()           -> ["10.64.0.53", ...]  (the generated resolv.conf's)
    resolvconf.stop()                  -> mounts gone, /run/resolvconf gone
"""
import ctypes
import os
import shutil
import subprocess

from resolved import in_the_guest

RESOLVCONF_ROOT = os.environ.get("DIALUPD_RESOLVCONF_ROOT", "/var/lib/dialupd-test/resolvconf")
PROGRAM = "/sbin/resolvconf"            # where dialupd runs it (SystemDnsBackends' default)
RUN_DIR = "/run/resolvconf"
RECORDS = os.path.join(RUN_DIR, "interface")
RESOLV_CONF = os.path.join(RUN_DIR, "resolv.conf")
ETC_LINK = "../run/resolvconf/resolv.conf"  # as the postinst links it
LIBC = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2


class Resolvconf:
    def __init__(self, scratch, log_dir):
        if not in_the_guest():
            raise RuntimeError("resolvconf.py mounts over /usr and /etc: only inside the guest")
        if not os.access(os.path.join(RESOLVCONF_ROOT, "sbin", "resolvconf"), os.X_OK):
            raise RuntimeError(f"no {RESOLVCONF_ROOT}/sbin/resolvconf: run tools/install-deps")
        if os.path.lexists(PROGRAM) or os.path.lexists("/etc/resolvconf") or os.path.exists(RUN_DIR):
            raise RuntimeError(f"{PROGRAM}, /etc/resolvconf or {RUN_DIR} exists already: a previous scenario "
                               "did not clean up, or resolvconf is installed on the host")
        self.scratch = os.path.join(scratch, "resolvconf")
        self.mounts = []
        self.pid_before = max(int(p) for p in os.listdir("/proc") if p.isdigit())
        os.makedirs(log_dir, exist_ok=True)
        self.log = open(os.path.join(log_dir, "resolvconf.log"), "w")
        try:
            self._load_overlayfs()
            usr = os.path.join(self.scratch, "usr")
            shutil.copytree(os.path.join(RESOLVCONF_ROOT, "sbin"), os.path.join(usr, "sbin"), symlinks=True)
            shutil.copytree(os.path.join(RESOLVCONF_ROOT, "lib", "resolvconf"), os.path.join(usr, "lib", "resolvconf"),
                            symlinks=True)
            etc = os.path.join(self.scratch, "etc")
            shutil.copytree(os.path.join(RESOLVCONF_ROOT, "etc", "resolvconf"), os.path.join(etc, "resolvconf"),
                            symlinks=True)
            os.symlink(ETC_LINK, os.path.join(etc, "resolv.conf"))
            # Read-only (two lower layers, no upper): nothing can be copied up into, or written
            # through to, the host's /usr and /etc.
            self._overlay(usr, "/usr")
            self._overlay(etc, "/etc")
            # What the package's tmpfiles.d and resolvconf.service do at boot.
            os.makedirs(RECORDS)
            self.run("--enable-updates")
            self.run("-u")
            if not os.path.exists(RESOLV_CONF):
                raise RuntimeError(f"resolvconf -u made no {RESOLV_CONF}")
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def _load_overlayfs():
        with open("/proc/filesystems") as filesystems:
            if any(line.split()[-1] == "overlay" for line in filesystems if line.strip()):
                return
        # The guest's modules, as tests/guest/guest-init.sh loads them.
        subprocess.run(["modprobe", "-d", "/run/modules", "overlay"], check=True)

    def _overlay(self, upper, target):
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"ro,lowerdir={upper}:{target}", target],
                       check=True)
        self.mounts.append(target)

    def run(self, *args, stdin=""):
        """resolvconf ARGS as a root caller runs it; its stderr is part of a failure's text."""
        done = subprocess.run([PROGRAM, *args], input=stdin, capture_output=True, text=True)
        self.log.write(f"resolvconf {' '.join(args)}: exit status {done.returncode}\n{done.stdout}{done.stderr}")
        self.log.flush()
        if done.returncode != 0:
            raise RuntimeError(f"resolvconf {' '.join(args)}: exit status {done.returncode}: {done.stderr}")
        return done.stdout

    # --- looking at it -----------------------------------------------------------------------
    def record(self, name):
        try:
            with open(os.path.join(RECORDS, name)) as record:
                return record.read()
        except FileNotFoundError:
            return None

    def records(self):
        """The records resolvconf -i lists, less the "<record>_new.<pid>" file an -a running now
        writes before renaming it (-i takes no lock, and such a file matches the record's
        interface-order pattern)."""
        return [name for name in self.run("-i").split() if "_new." not in name]

    def resolv_conf(self):
        with open("/etc/resolv.conf") as resolv_conf:
            return resolv_conf.read()

    def nameservers(self):
        """The servers the guest's libc uses now: /etc/resolv.conf's nameserver lines."""
        return [line.split()[1] for line in self.resolv_conf().splitlines()
                if line.startswith("nameserver") and len(line.split()) > 1]

    def _users(self):
        """Processes started since the overlays came (pid and command, for the log)."""
        found = []
        for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
            if pid <= self.pid_before or pid == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    command = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
                found.append(f"{pid} {command[:80] or os.readlink(f'/proc/{pid}/exe')}")
            except OSError:
                continue
        return "; ".join(found) or "no process started since"

    def stop(self):
        for target in reversed(self.mounts):
            # umount(2) from here: /usr/bin/umount, run from the /usr overlay, would keep it busy.
            if LIBC.umount(target.encode()) != 0:
                error = os.strerror(ctypes.get_errno())
                # Still in use (a leftover process started from the overlay): gone from the
                # mount table now, freed when its last user goes.
                users = self._users()
                lazy = LIBC.umount2(target.encode(), MNT_DETACH)
                self.log.write(f"{target}: {error} ({users}), detached lazily (umount2: {lazy})\n")
        self.mounts = []
        shutil.rmtree(RUN_DIR, ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.log.write(f"stopped: {PROGRAM} {'still there' if os.path.lexists(PROGRAM) else 'gone'}, "
                       f"/etc/resolv.conf {'a symlink' if os.path.islink('/etc/resolv.conf') else 'the host file'}\n")
        self.log.close()
