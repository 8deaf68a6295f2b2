// SPDX-License-Identifier: GPL-2.0-or-later
#include "usb_models.h"

#include <charconv>

#include <fmt/format.h>

namespace dialupd {

const std::vector<UsbModel>& builtInUsbModels() {
    // Interface 0 is the DM (DIAG) port, 2 the AT port and 3 the modem port on every Quectel
    // module with the classic DM/NMEA/AT/modem/network layout (serial option driver, or
    // qcserial for the old EC20).
    //
    // Left out on purpose: EC200T (2c7c:6026), EC200U (2c7c:0901), EC200A (2c7c:6005). Their
    // functions start with cdc_ether interfaces, so interface 3 is not the PPP port, and we
    // have no verified interface map for them; a wrong guess would dial on a diagnostic port.
    // A user who knows their module's layout adds a [usb-model] section (docs/CONFIG.md).
    static const std::vector<UsbModel> models = {
        {0x2c7c, 0x0125, "EC25", 3, 2, 0},  // also EG25-G and newer EC20
        {0x2c7c, 0x0121, "EC21", 3, 2, 0},   {0x2c7c, 0x0191, "EG91", 3, 2, 0}, {0x2c7c, 0x0195, "EG95", 3, 2, 0},
        {0x2c7c, 0x0296, "BG96", 3, 2, 0},   {0x2c7c, 0x0306, "EG06", 3, 2, 0},  // also EP06, EM06
        {0x2c7c, 0x0800, "RM500Q", 3, 2, 0}, {0x05c6, 0x9215, "EC20", 3, 2, 0},  // older EC20 on Qualcomm's VID, driven
                                                                                 // by qcserial
    };
    return models;
}

UsbModelTable::UsbModelTable(const std::vector<UsbModel>& extra) : models_(builtInUsbModels()) {
    for (const UsbModel& model : extra) {
        auto same = [&](const UsbModel& known) {
            return known.vendorId == model.vendorId && known.productId == model.productId;
        };
        std::erase_if(models_, same);
        models_.push_back(model);
    }
}

const UsbModel* UsbModelTable::find(uint16_t vendorId, uint16_t productId) const {
    for (const UsbModel& model : models_)
        if (model.vendorId == vendorId && model.productId == productId) return &model;
    return nullptr;
}

namespace {

template <typename Int>
std::optional<Int> parseHex(std::string_view text, size_t digits) {
    if (text.size() != digits) return std::nullopt;
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return static_cast<Int>(value);
}

}  // namespace

std::optional<uint16_t> parseUsbId(std::string_view text) { return parseHex<uint16_t>(text, 4); }

std::optional<uint8_t> parseInterfaceNumber(std::string_view text) { return parseHex<uint8_t>(text, 2); }

std::optional<std::pair<uint16_t, uint16_t>> parseVidPid(std::string_view text) {
    size_t colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto vendor = parseUsbId(text.substr(0, colon));
    auto product = parseUsbId(text.substr(colon + 1));
    if (!vendor || !product) return std::nullopt;
    return std::pair{*vendor, *product};
}

std::string formatUsbId(uint16_t id) { return fmt::format("{:04x}", id); }

}  // namespace dialupd
