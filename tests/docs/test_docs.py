#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The documentation users read: the man pages dialupd(8), dialupd.conf(5) (rendered from
docs/CONFIG.md at build time; tests/unit/test_config_keys.cpp checks it names every key) and
dialupctl(1) render without a warning; dialupd(8) names every option `dialupd --help` lists and
every exit status; the unit's Documentation= names the three pages; docs/dbus-api.md is what
tools/dbus-api-md renders from the introspection XML today; LICENSE is the GPL 2 and every source
file has its SPDX line (tools/spdx). Prints TAP for meson."""
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from testbed import DIALUPD, ROOT, run_tap  # noqa: E402

BUILD = os.environ.get("DIALUPD_BUILD_ROOT", os.path.join(ROOT, "build"))
PAGES = [os.path.join(BUILD, "man", "dialupd.8"), os.path.join(BUILD, "man", "dialupd.conf.5"),
         os.path.join(ROOT, "client", "dialupctl.1")]


def rendered(page):
    """The page as man shows it, plain text with ASCII hyphens."""
    text = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-P-cbou", page], capture_output=True, text=True,
                          env=dict(os.environ, LC_ALL="C.UTF-8"), check=True).stdout
    return text.replace("\u2010", "-").replace("\u2212", "-")


class ManPages(unittest.TestCase):
    def test_every_page_renders_without_warnings(self):
        for page in PAGES:
            # What `man --warnings -l` runs (preconv, then groff's man macros with -ww), without
            # needing man-db; and man itself where it is installed.
            check = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True,
                                   text=True, env=dict(os.environ, LC_ALL="C.UTF-8"))
            self.assertEqual((check.returncode, check.stderr), (0, ""), page)
            if shutil.which("man"):
                check = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                                       env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MANPAGER="cat"))
                self.assertEqual((check.returncode, check.stderr), (0, ""), page)

    def test_dialupd_8_names_every_option_and_exit_status(self):
        text = rendered(PAGES[0])
        usage = subprocess.run([DIALUPD, "--help"], capture_output=True, text=True).stdout
        options = set(re.findall(r"(--[a-z-]+)", usage))
        self.assertIn("--config", options)
        for option in options:
            self.assertIn(option, text, f"dialupd(8) does not name {option}")
        for status in range(3):
            self.assertRegex(text, rf"\n\s+{status}\s{{2,}}\S", f"exit status {status} is not in dialupd(8)")
        for section in ("SIGNALS", "FILES", "EXIT STATUS", "THE UNIT", "THE BUS API IN BRIEF"):
            self.assertRegex(text, rf"\n{section}\n")
        self.assertIn("org.dialupd1.Modem.xml", text)

    def test_the_daemon_exits_as_its_page_says_on_a_bad_command_line(self):
        self.assertEqual(subprocess.run([DIALUPD, "--no-such-option"], capture_output=True).returncode, 2)

    def test_the_unit_points_to_the_pages(self):
        with open(os.path.join(BUILD, "systemd", "dialupd.service")) as unit:
            line = next(line for line in unit if line.startswith("Documentation="))
        self.assertEqual(line.split("=", 1)[1].split(), ["man:dialupd(8)", "man:dialupd.conf(5)", "man:dialupctl(1)"])


class DbusApiReference(unittest.TestCase):
    def test_docs_dbus_api_md_is_rendered_from_the_xml_of_today(self):
        rendered_now = subprocess.run([os.path.join(ROOT, "tools", "dbus-api-md")], capture_output=True, text=True,
                                      check=True).stdout
        with open(os.path.join(ROOT, "docs", "dbus-api.md"), encoding="utf-8") as committed:
            self.assertEqual(committed.read(), rendered_now,
                             "docs/dbus-api.md is stale: run tools/dbus-api-md > docs/dbus-api.md")

    def test_every_member_of_the_xml_is_in_it(self):
        with open(os.path.join(ROOT, "dbus", "org.dialupd1.Modem.xml")) as xml:
            members = re.findall(r'<(?:method|signal|property) name="(\w+)"', xml.read())
        with open(os.path.join(ROOT, "docs", "dbus-api.md"), encoding="utf-8") as reference:
            text = reference.read()
        self.assertGreater(len(members), 10)
        for member in members:
            self.assertIn(f"\n### {member}\n", text)


class Licensing(unittest.TestCase):
    def test_the_licence_text_is_at_the_root(self):
        with open(os.path.join(ROOT, "LICENSE"), encoding="utf-8") as licence:
            self.assertIn("GNU GENERAL PUBLIC LICENSE\n                       Version 2, June 1991", licence.read())

    def test_every_source_file_names_its_licence(self):
        if not os.path.isdir(os.path.join(ROOT, ".git")) and not os.path.isfile(os.path.join(ROOT, ".git")):
            self.skipTest("not a git checkout: tools/spdx lists the files git tracks")
        check = subprocess.run([os.path.join(ROOT, "tools", "spdx")], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)


if __name__ == "__main__":
    sys.exit(run_tap(ManPages, DbusApiReference, Licensing))
