#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# meson install: create the group of the sysusers.d fragment just installed, as the package's
# postinst does. Not for a DESTDIR install (a staging tree, a package build): the target
# system does it when the files arrive there.
set -eu
fragment=$1
if [ -n "${DESTDIR:-}" ]; then
  exit 0
fi
if command -v systemd-sysusers >/dev/null 2>&1; then
  systemd-sysusers "$fragment"
else
  echo "systemd-sysusers not found: create the group of $fragment by hand (groupadd --system)" >&2
fi
