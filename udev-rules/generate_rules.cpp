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
# For every supported module's modem (PPP) port:
#  - ID_MM_PORT_IGNORE=1 keeps a running ModemManager off it (its 77-mm-quectel-port-types
#    rules would otherwise probe it as a secondary AT port while pppd holds it);
#  - the systemd tag and SYSTEMD_WANTS start dialupd.service when such a modem is plugged in.
# The AT port is left to share: dialupd opens it only briefly, for diagnostics.
#
# A module added through a [usb-model] section of dialupd.conf needs a rule like these in
# /etc/udev/rules.d to get the same treatment.

ACTION=="remove", GOTO="dialupd_end"
SUBSYSTEM!="tty", GOTO="dialupd_end"
SUBSYSTEMS=="usb", ATTRS{bInterfaceNumber}=="?*", ENV{.DIALUPD_IFNUM}="$attr{bInterfaceNumber}"
SUBSYSTEMS=="usb", ATTRS{idVendor}=="?*", ENV{.DIALUPD_VID}="$attr{idVendor}"
SUBSYSTEMS=="usb", ATTRS{idProduct}=="?*", ENV{.DIALUPD_PID}="$attr{idProduct}"

)";

constexpr const char* kTail = R"(GOTO="dialupd_end"

LABEL="dialupd_ppp_port"
ENV{ID_MM_PORT_IGNORE}="1"
TAG+="systemd", ENV{SYSTEMD_WANTS}+="dialupd.service"

LABEL="dialupd_end"
)";

}  // namespace

int main() {
    std::cout << kHead;
    for (const dialupd::UsbModel& model : dialupd::builtInUsbModels()) {
        // sysfs spells the ids in lower-case hex (formatUsbId) and bInterfaceNumber in two digits.
        std::cout << fmt::format("# {}\n", model.name)
                  << fmt::format(
                         "ENV{{.DIALUPD_VID}}==\"{}\", ENV{{.DIALUPD_PID}}==\"{}\", ENV{{.DIALUPD_IFNUM}}==\"{:02x}\", "
                         "GOTO=\"dialupd_ppp_port\"\n",
                         dialupd::formatUsbId(model.vendorId), dialupd::formatUsbId(model.productId),
                         model.pppInterface);
    }
    std::cout << kTail;
    return std::cout.good() ? 0 : 1;
}
