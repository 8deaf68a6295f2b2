# SPDX-License-Identifier: GPL-2.0-or-later
"""USB modems played by umockdev, for tests that run dialupd against udev without hardware.

FakeUsb works on a umockdev testbed in the calling process (which must run under
umockdev-wrapper). FakeUsbProcess runs one in a helper process instead, for callers that
cannot (the guest scenarios): `python3 fake_usb.py` under umockdev-wrapper prints the
testbed's directory, then takes "plug PORT SERIAL FIRST_TTY" and "unplug PORT" lines.
A daemon sees the testbed with FakeUsbProcess.env() (or the testbed's own dir) in its
environment: umockdev's preload library and UMOCKDEV_DIR."""
import json
import os
import shutil
import subprocess
import sys

# umockdev plays the kernel's uevent netlink socket with a Unix datagram socket, whose queue
# holds net.unix.max_dgram_qlen (10) datagrams; a sender that finds it full aborts
# ("uevent_sender sendmsg_one: ... Resource temporarily unavailable"). A real netlink socket
# buffers megabytes (dialupd asks for 4 MiB), so a burst of plugs while the daemon is busy
# starting (slow under ASan) would abort the harness, not the daemon.
ROOMY_DGRAM_QUEUE = 4096


def reexec_under_umockdev(python_argv):
    """Re-executes this process under umockdev-wrapper unless it already is, and, when root
    can make a network namespace, inside one whose Unix datagram queue is ROOMY_DGRAM_QUEUE:
    the sysctl is per namespace, so the machine's own setting is left alone."""
    if "umockdev" in os.environ.get("LD_PRELOAD", ""):
        return
    wrapper = ["umockdev-wrapper"] + python_argv
    if os.geteuid() == 0 and shutil.which("unshare") and not os.environ.get("DIALUPD_UMOCKDEV_NETNS") \
            and subprocess.run(["unshare", "--net", "true"], stderr=subprocess.DEVNULL).returncode == 0:
        os.environ["DIALUPD_UMOCKDEV_NETNS"] = "1"
        script = f'echo {ROOMY_DGRAM_QUEUE} > /proc/sys/net/unix/max_dgram_qlen && exec "$@"'
        os.execvp("unshare", ["unshare", "--net", "--", "/bin/sh", "-c", script, "sh"] + wrapper)
    os.execvp(wrapper[0], wrapper)


def daemon_env(testbed_root):
    """What a process needs in its environment to see the testbed at `testbed_root`."""
    env = {"LD_PRELOAD": "libumockdev-preload.so.0", "UMOCKDEV_DIR": testbed_root}
    # In a sanitizer build ASan insists on being first among the preloaded libraries. umockdev's
    # preload only wraps libc calls and passes them on (to ASan's interceptors, then libc), so
    # the order check is waived rather than the test skipped.
    asan = os.environ.get("ASAN_OPTIONS")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    return env


def flatten(mapping):
    return [item for pair in mapping.items() for item in pair]


class FakeUsb:
    """Modems shaped as the kernel shows an EC25: a usb_device with one usb_interface per
    function and a ttyUSBn below each. add_device announces each tty with an "add" uevent."""

    def __init__(self, testbed):
        self.testbed = testbed
        self.next_tty = 0
        self.devices = {}  # port path -> (usb sysfs path, [tty sysfs paths])

    def plug(self, port, vendor="2c7c", product="0125", serial="0123456789ABCDEF", interfaces=(0, 1, 2, 3, 4),
             usb_attributes=None, interface_attributes=None, first_tty=None, before_tty=None, properties=None):
        """`first_tty`: number the ttys from here (ttyUSB<first_tty + i>) instead of going on.
        `properties`: udev properties as rules would set them (the udev database's), {"usb": {...}}
        for the USB device and {interface number: {...}} for a tty.
        `before_tty(interface number)` is called just before each tty's add (benchmarks).
        A bytes `serial` is written as it is (a hostile device's bytes need not be UTF-8)."""
        raw_serial = serial if isinstance(serial, bytes) else None
        if raw_serial is not None:
            serial = "placeholder"
        if first_tty is not None:
            self.next_tty = first_tty
        attributes = {"idVendor": vendor, "idProduct": product, "manufacturer": "Quectel", "product": "EC25"}
        if serial is not None:
            attributes["serial"] = serial
        attributes.update(usb_attributes or {})
        properties = properties or {}
        usb = self.testbed.add_device("usb", port, None, flatten(attributes),
                                      ["DEVTYPE", "usb_device", "PRODUCT", f"{vendor}/{product}/318",
                                       *flatten(properties.get("usb", {}))])
        if raw_serial is not None:
            self.testbed.set_attribute_binary(usb, "serial", raw_serial)
        ttys = []
        for number in interfaces:
            interface_attrs = {"bInterfaceNumber": f"{number:02x}", "bInterfaceClass": "ff"}
            interface_attrs.update((interface_attributes or {}).get(number, {}))
            interface_attrs = {k: v for k, v in interface_attrs.items() if v is not None}
            interface = self.testbed.add_device("usb", f"{port}:1.{number}", usb, flatten(interface_attrs),
                                                ["DEVTYPE", "usb_interface"])
            name = f"ttyUSB{self.next_tty}"
            self.next_tty += 1
            if before_tty:
                before_tty(number)
            ttys.append(self.testbed.add_device("tty", name, interface, [],
                                                ["DEVNAME", "/dev/" + name, *flatten(properties.get(number, {}))]))
        self.devices[port] = (usb, ttys)
        return ttys

    def unplug(self, port):
        usb, ttys = self.devices.pop(port)
        for tty in ttys:
            self.testbed.uevent(tty, "remove")
        self.testbed.remove_device(usb)
        # umockdev 0.17 leaves the /sys/bus/*/devices and /sys/class/* links behind; a re-plug
        # (same port, same tty names) would trip over them.
        sys_dir = self.testbed.get_sys_dir()
        for parent in ("bus/usb/devices", "class/tty"):
            directory = os.path.join(sys_dir, parent)
            for name in os.listdir(directory) if os.path.isdir(directory) else []:
                link = os.path.join(directory, name)
                if os.path.islink(link) and not os.path.exists(link):
                    os.unlink(link)


class FakeUsbProcess:
    """A FakeUsb in a helper process under umockdev-wrapper."""

    def __init__(self, tmpdir=None):
        """`tmpdir`: where the testbed goes (it holds a unix socket: not on a hostfs /tmp)."""
        env = dict(os.environ, TMPDIR=tmpdir) if tmpdir else None
        self.process = subprocess.Popen(["umockdev-wrapper", "/usr/bin/python3", os.path.abspath(__file__)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.root = self.process.stdout.readline().strip()
        if not self.root:
            raise RuntimeError("the umockdev helper did not start")

    def env(self):
        return daemon_env(self.root)

    def _request(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if answer != "OK":
            raise RuntimeError(f"umockdev helper: {line!r} -> {answer!r}")

    def plug(self, port, serial, first_tty=0, properties=None):
        """`properties`: as FakeUsb.plug takes them."""
        line = f"plug {port} {serial} {first_tty}"
        if properties:
            line += " " + json.dumps({str(key): value for key, value in properties.items()}, separators=(",", ":"))
        self._request(line)

    def unplug(self, port):
        self._request(f"unplug {port}")

    def stop(self):
        self.process.stdin.close()
        # testbed.PATIENCE (not imported here: this module also runs where dbus is not loaded).
        self.process.wait(float(os.environ.get("DIALUPD_TEST_PATIENCE", "90")))


def serve():
    import gi

    gi.require_version("UMockdev", "1.0")
    from gi.repository import UMockdev

    testbed = UMockdev.Testbed.new()
    usb = FakeUsb(testbed)
    print(testbed.get_root_dir(), flush=True)
    for line in sys.stdin:
        words = line.split()
        try:
            if words[0] == "plug":
                properties = {key if key == "usb" else int(key): value
                              for key, value in json.loads(words[4]).items()} if len(words) > 4 else None
                usb.plug(words[1], serial=words[2], first_tty=int(words[3]), properties=properties)
            elif words[0] == "unplug":
                usb.unplug(words[1])
            else:
                raise ValueError("unknown request")
            print("OK", flush=True)
        except (IndexError, ValueError, KeyError) as error:
            print(f"ERROR {error}", flush=True)


if __name__ == "__main__":
    serve()
