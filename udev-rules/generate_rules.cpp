// SPDX-License-Identifier: GPL-2.0-or-later
// Writes 78-dialupd.rules from the model table in service/core/usb_models.cpp (run by meson at
// build time): the table is the one place a supported module is listed, and the rules cannot
// drift from what the daemon takes.
//
// Generated rather than the daemon reading a port tag set by hand-written rules (as
// ModemManager reads ID_MM_PORT_TYPE_*): rules that tag ports would still have to list every
// VID:PID to know which devices are ours, so the table would live in two places again, and the
// daemon would still need the interface numbers for [usb-model] sections of the config, which
// have no rules at all.
#include <iostream>

#include <fmt/format.h>

#include "core/usb_models.h"

namespace {

constexpr const char* kHead = R"(# dialupd: cellular PPP data calls for Quectel USB modems.
# Generated at build time from the model table in service/core/usb_models.cpp
# (udev-rules/generate_rules.cpp): edit the table, not this file.
#
# dialupd owns every supported module, so ModemManager is kept off all of it
# (docs/MODEMMANAGER.md says what it does otherwise):
#  - ID_MM_DEVICE_IGNORE=1 on the USB device and on each of its ttys: a running ModemManager
#    opens none of the module's ports. With only the modem port ignored it would still probe
#    and hold the AT port, whose answers dialupd's readiness check and Hangup snapshot read;
#    with nothing ignored it takes the modem port itself and dialupd's dials fail;
#  - ID_MM_PORT_IGNORE=1 on the modem (PPP) port as well (the older, per-port spelling);
#  - the systemd tag and SYSTEMD_WANTS on the modem port start dialupd.service when such a
#    modem is plugged in.
#
# To leave a module to ModemManager instead, mask this file (an empty
# /etc/udev/rules.d/78-dialupd.rules) or set ENV{ID_MM_DEVICE_IGNORE}="0" in a later rule.
# A module added through a [usb-model] section of dialupd.conf needs rules like these in
# /etc/udev/rules.d to get the same treatment.

ACTION=="remove", GOTO="dialupd_end"
SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", GOTO="dialupd_usb_device"
SUBSYSTEM!="tty", GOTO="dialupd_end"
SUBSYSTEMS=="usb", ATTRS{bInterfaceNumber}=="?*", ENV{.DIALUPD_IFNUM}="$attr{bInterfaceNumber}"
SUBSYSTEMS=="usb", ATTRS{idVendor}=="?*", ENV{.DIALUPD_VID}="$attr{idVendor}"
SUBSYSTEMS=="usb", ATTRS{idProduct}=="?*", ENV{.DIALUPD_PID}="$attr{idProduct}"

)";

constexpr const char* kPortsEnd = R"(GOTO="dialupd_end"

LABEL="dialupd_ppp_port"
ENV{ID_MM_PORT_IGNORE}="1"
TAG+="systemd", ENV{SYSTEMD_WANTS}+="dialupd.service"
GOTO="dialupd_end"

LABEL="dialupd_usb_device"
)";

constexpr const char* kTail = R"(
LABEL="dialupd_end"
)";

}  // namespace

int main() {
    std::cout << kHead;
    for (const dialupd::UsbModel& model : dialupd::builtInUsbModels()) {
        // sysfs spells the ids in lower-case hex (formatUsbId) and bInterfaceNumber in two digits.
        const std::string ids =
            fmt::format("ENV{{.DIALUPD_VID}}==\"{}\", ENV{{.DIALUPD_PID}}==\"{}\"",
                        dialupd::formatUsbId(model.vendorId), dialupd::formatUsbId(model.productId));
        std::cout << fmt::format("# {}\n", model.name) << ids << ", ENV{ID_MM_DEVICE_IGNORE}=\"1\"\n"
                  << fmt::format("{}, ENV{{.DIALUPD_IFNUM}}==\"{:02x}\", GOTO=\"dialupd_ppp_port\"\n", ids,
                                 model.pppInterface);
    }
    std::cout << kPortsEnd;
    for (const dialupd::UsbModel& model : dialupd::builtInUsbModels()) {
        std::cout << fmt::format(
            // SUBSYSTEM again (the label is reached from a usb_device line only): a vendor/product
            // match names its subsystem, as lintian's udev-rule-missing-subsystem asks.
            "SUBSYSTEM==\"usb\", ATTR{{idVendor}}==\"{}\", ATTR{{idProduct}}==\"{}\", "
            "ENV{{ID_MM_DEVICE_IGNORE}}=\"1\"\n",
            dialupd::formatUsbId(model.vendorId), dialupd::formatUsbId(model.productId));
    }
    std::cout << kTail;
    return std::cout.good() ? 0 : 1;
}
