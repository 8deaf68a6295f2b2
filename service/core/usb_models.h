// SPDX-License-Identifier: GPL-2.0-or-later
// Which USB modems dialupd takes on its own, and which of their interfaces carries PPP, which
// AT commands and which the module's diagnostic (DM) log. Data, not code: add a row here (the udev rules are generated
// from it, udev-rules/generate_rules.cpp), or a [usb-model VID:PID] section to the config file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dialupd {

struct UsbModel {
    uint16_t vendorId = 0;
    uint16_t productId = 0;
    std::string name;                    // "EC25", published as the Model property
    uint8_t pppInterface = 0;            // bInterfaceNumber of the port pppd dials on
    std::optional<uint8_t> atInterface;  // bInterfaceNumber of the AT command port, if any
    std::optional<uint8_t> dmInterface;  // bInterfaceNumber of the DIAG (DM) port, if any
};

// The modules whose layout is known (../shared/reference/FACTS.md).
const std::vector<UsbModel>& builtInUsbModels();

// Built-in models plus the config's; a config entry replaces a built-in one with its VID:PID.
class UsbModelTable {
public:
    explicit UsbModelTable(const std::vector<UsbModel>& extra = {});
    const UsbModel* find(uint16_t vendorId, uint16_t productId) const;
    const std::vector<UsbModel>& models() const { return models_; }

private:
    std::vector<UsbModel> models_;
};

// sysfs spellings: idVendor/idProduct are four hex digits, bInterfaceNumber two.
std::optional<uint16_t> parseUsbId(std::string_view text);
std::optional<uint8_t> parseInterfaceNumber(std::string_view text);
// "2c7c:0125" (the [usb-model] section name and the log's spelling).
std::optional<std::pair<uint16_t, uint16_t>> parseVidPid(std::string_view text);
std::string formatUsbId(uint16_t id);  // "2c7c"

}  // namespace dialupd
