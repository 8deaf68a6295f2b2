#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 22, right by default: at start dialupd says which config file it read (or that there
is none and built-in defaults apply), and a `plugin`, `pppd` or `chat` it cannot use is an error
then, exit status 1 with the key and the file named, not an `option-error` at the first Connect.
A daemon run from the build tree finds its plugin through DIALUPD_PLUGIN (`meson devenv` sets
it), which a config's `plugin =` overrides. Real dialupd on a private dbus-daemon with our
policy; the calls' pppd is a stand-in that records its argv. Prints TAP for meson."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import (DIALUPD, PATIENCE, PLUGIN, Bus, Daemon, Scratch, config_for, run_tap,  # noqa: E402
                     stand_in_pppd, wait_until)


class StartChecks(unittest.TestCase):
    def setUp(self):
        self.scratch = Scratch()
        self.addCleanup(self.scratch.remove)
        self.bus = Bus(self.scratch.path)
        self.addCleanup(self.bus.stop)
        self.master, slave = os.openpty()
        self.addCleanup(os.close, self.master)
        self.tty = os.ttyname(slave)
        os.close(slave)

    def config(self, daemon_extra):
        text = config_for(self.scratch.path, {"m0": self.tty}, daemon_extra)
        if "plugin =" in daemon_extra:  # in place of config_for's
            text = text.replace(f"plugin = {PLUGIN}\n", "", 1)
        path = os.path.join(self.scratch.path, "dialupd.conf")
        with open(path, "w") as out:
            out.write(text)
        return path

    def start(self, config_path, plugin_env=PLUGIN):
        """The daemon on the test bus, expected to refuse: its exit status and stderr."""
        env = {"PATH": os.environ["PATH"], "DBUS_SYSTEM_BUS_ADDRESS": self.bus.address}
        if plugin_env is not None:
            env["DIALUPD_PLUGIN"] = plugin_env
        result = subprocess.run([DIALUPD, "--config", config_path], capture_output=True, text=True,
                                timeout=PATIENCE, env=env)
        return result.returncode, result.stderr

    def test_a_missing_plugin_is_refused_at_start(self):
        missing = os.path.join(self.scratch.path, "no-such-plugin.so")
        path = self.config(f"plugin = {missing}\n")
        code, stderr = self.start(path)
        self.assertEqual(code, 1, stderr)
        self.assertIn(f"dialupd: plugin = {missing} (set in {path}): no such file", stderr)

    def test_a_missing_default_plugin_names_the_key_and_the_way_out(self):
        # config_for always sets plugin =: this config names none, and DIALUPD_PLUGIN points nowhere.
        path = os.path.join(self.scratch.path, "bare.conf")
        with open(path, "w") as out:
            out.write(f"[daemon]\nruntime-dir = {self.scratch.path}/run\nstate-dir = {self.scratch.path}/state\n")
        missing = os.path.join(self.scratch.path, "build", "dialupd-pppd-plugin.so")
        code, stderr = self.start(path, plugin_env=missing)
        self.assertEqual(code, 1, stderr)
        self.assertIn(f"dialupd: plugin = {missing} (from DIALUPD_PLUGIN, not set in {path}): no such file; ", stderr)
        self.assertIn("meson devenv -C BUILDDIR", stderr)

    def test_a_missing_pppd_is_refused_at_start(self):
        missing = os.path.join(self.scratch.path, "sbin", "pppd")
        path = self.config(f"pppd = {missing}\n")
        code, stderr = self.start(path)
        self.assertEqual(code, 1, stderr)
        self.assertIn(f"dialupd: pppd = {missing} (set in {path}): no such file", stderr)

    def test_a_pppd_that_is_no_program_is_refused_at_start(self):
        not_executable = os.path.join(self.scratch.path, "pppd.txt")
        with open(not_executable, "w") as out:
            out.write("#!/bin/sh\n")
        os.chmod(not_executable, 0o644)
        path = self.config(f"pppd = {not_executable}\n")
        code, stderr = self.start(path)
        self.assertEqual(code, 1, stderr)
        self.assertIn(f"dialupd: pppd = {not_executable} (set in {path}): not executable", stderr)

    def test_a_chat_that_is_a_directory_is_refused_at_start(self):
        directory = os.path.join(self.scratch.path, "chat.d")
        os.mkdir(directory)
        path = self.config(f"chat = {directory}\n")
        code, stderr = self.start(path)
        self.assertEqual(code, 1, stderr)
        self.assertIn(f"dialupd: chat = {directory} (set in {path}): a directory, not a regular file", stderr)

    def test_every_unusable_file_is_named_before_the_bus_is_touched(self):
        path = self.config("pppd = /nonexistent/pppd\nchat = /nonexistent/chat\n")
        code, stderr = self.start(path)
        self.assertEqual(code, 1, stderr)
        self.assertIn("pppd = /nonexistent/pppd", stderr)
        self.assertIn("chat = /nonexistent/chat", stderr)
        self.assertNotIn("ready on the system bus", stderr)

    def test_the_start_names_the_config_file_it_read(self):
        path = self.config("")
        daemon = Daemon(self.bus, open(path).read(), os.path.join(self.scratch.path, "logs"))
        self.addCleanup(daemon.stop)
        self.assertRegex(daemon.log_text(), r"info: dialupd \S+: configuration read from " + re.escape(daemon.config))

    def test_without_a_config_file_the_start_says_built_in_defaults(self):
        # The default path as the build has it; a run of the real daemon with no --config would
        # take this machine's /run/dialupd, so the listing (which stops before that) shows the line.
        usage = subprocess.run([DIALUPD, "--help"], capture_output=True, text=True, timeout=PATIENCE).stdout
        default = re.search(r"\(default (/\S+)\)", usage).group(1)
        if os.path.exists(default):
            self.skipTest(f"{default} exists on this machine")
        listed = subprocess.run([DIALUPD, "--list-usb-models"], capture_output=True, text=True, timeout=PATIENCE)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertRegex(listed.stderr, r"info: dialupd \S+: no config file at " + re.escape(default) +
                         ": built-in defaults")

    def test_the_plugin_comes_from_the_environment_unless_the_config_names_one(self):
        argv_file = os.path.join(self.scratch.path, "argv")
        pppd = stand_in_pppd(self.scratch.path, f'printf "%s\\n" "$@" > {argv_file}; exit 8')
        # config_for names the plugin: drop that line, so DIALUPD_PLUGIN (testbed.Daemon sets it) decides.
        text = config_for(self.scratch.path, {"m0": self.tty}, f"pppd = {pppd}\n")
        text = text.replace(f"plugin = {PLUGIN}\n", "")
        self.assertNotIn("plugin =", text)
        daemon = Daemon(self.bus, text, os.path.join(self.scratch.path, "logs"))
        self.addCleanup(daemon.stop)
        modem = daemon.modem("m0")
        modem.connect(wait=False)
        self.assertTrue(wait_until(lambda: os.path.exists(argv_file) and os.path.getsize(argv_file) > 0, PATIENCE),
                        daemon.log_text())
        with open(argv_file) as recorded:
            argv = recorded.read().splitlines()
        self.assertEqual(argv[argv.index("plugin") + 1], PLUGIN)

    def test_a_configured_plugin_wins_over_the_environment(self):
        path = self.config("")  # plugin = PLUGIN, from config_for
        daemon = Daemon(self.bus, open(path).read(), os.path.join(self.scratch.path, "logs"),
                        extra_env={"DIALUPD_PLUGIN": "/nonexistent/plugin.so"})
        self.addCleanup(daemon.stop)
        self.assertEqual(daemon.stop(), 0, daemon.log_text())


if __name__ == "__main__":
    sys.exit(run_tap(StartChecks))
