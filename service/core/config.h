// SPDX-License-Identifier: GPL-2.0-or-later
// dialupd's configuration file: INI sections [daemon], [defaults], one [modem ID] per modem
// (a fixed port, or a USB modem named by serial or port path) and [usb-model VID:PID] for
// modules the built-in table lacks. Format and keys: docs/CONFIG.md.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "daemon_settings.h"
#include "modem_config.h"
#include "usb_models.h"

namespace dialupd {

struct Config {
    DaemonSettings daemon;
    CallSettings defaults;
    std::vector<ModemConfig> modems;  // fixed ports, and sections that match a USB modem
    std::vector<UsbModel> usbModels;  // [usb-model VID:PID]: added to the built-in table
    bool hasPassword = false;         // the file holds a secret: it should not be world-readable
    // Allowed but unwise, "FILE:LINE: why": the daemon logs each at start-up.
    std::vector<std::string> warnings;
};

// Every problem in a config file: "FILE:LINE: what is wrong" (LINE 0 when not about a line).
class ConfigError : public std::runtime_error {
public:
    ConfigError(const std::string& file, int line, const std::string& what);
};

// The keys a section takes ("daemon", "defaults", "modem", "usb-model"; none for any other
// name), in the order the "unknown key" error lists them. From the tables the parser runs on.
std::vector<std::string> configKeys(std::string_view section);

// `base` supplies the defaults not set in the file (the built-in plugin path, say).
Config parseConfig(const std::string& text, const std::string& fileName, const Config& base = {});
Config loadConfigFile(const std::string& path, const Config& base = {});

}  // namespace dialupd
