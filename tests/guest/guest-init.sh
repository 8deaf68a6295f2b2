#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# PID 1 inside the User-mode Linux guest (see run-guest). Kernel command-line words K=V arrive
# as environment: GUEST_SCRIPT (what to run), GUEST_RESULT (a host directory for results) and
# whatever the caller passed through.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# Guest-private scratch. /tmp stays the host's: the checkout and the result dir may live there.
mount -t tmpfs tmpfs /run
mkdir -p /dev/pts /run/lock /run/ppp /run/dbus
mount -t devpts devpts /dev/pts -o newinstance,ptmxmode=666
ln -sf /dev/pts/ptmx /dev/ptmx 2>/dev/null
# The guest's kernel modules are the host's /usr/lib/uml/modules/<version>. modprobe -d looks
# under a root of our own in /run, since the host may have no /lib/modules to mount over.
v=$(uname -r)
mkdir -p "/run/modules/lib/modules/$v" && mount --bind "/usr/lib/uml/modules/$v" "/run/modules/lib/modules/$v"
# ipv6: the network side's IPV6CP, router advertisements and SLAAC; dummy: a second uplink for
# the route scenarios (both are modules in Debian's UML kernel).
for m in ppp_generic ppp_async ppp_deflate bsd_comp ipv6 dummy; do modprobe -d /run/modules "$m"; done
ip link set lo up
hostname dialupd-guest
cd "${GUEST_CWD:-/}"
"$GUEST_SCRIPT"; echo $? > "$GUEST_RESULT/status"
sync
halt -f -p
