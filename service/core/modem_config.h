// SPDX-License-Identifier: GPL-2.0-or-later
// What a modem is configured as: its id, ports, call settings and how a config section names
// it, and what udev said of a USB modem. Its own header so that config.h need not pull in all
// of modem.h for one struct.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "call_settings.h"

namespace dialupd {

// What udev told us about a hotplugged modem; all empty for a modem on a fixed port.
struct UsbIdentity {
    std::string vendorId;   // "2c7c"
    std::string productId;  // "0125"
    std::string model;      // "EC25", from the model table
    std::string portPath;   // "1-1.2"
    std::string serial;     // may be empty
};

// dm-log-size's bounds: room for a few seconds of a busy DM log, and a budget a router can hold.
inline constexpr uint64_t kMinDmLogSize = 64 * 1024;
inline constexpr uint64_t kMaxDmLogSize = 64 * 1024 * 1024;

struct ModemConfig {
    std::string id;          // [A-Za-z0-9_]+, the object path element
    std::string device;      // PPP tty; empty in a config section that matches a USB modem
    std::string atPort;      // optional AT command tty
    std::string simPinFile;  // sim-pin-file: the SIM's PIN, read (sys/sim_pin_file.h) only when the SIM asks
    CallSettings call;
    bool autoconnect = false;  // dial once when the modem appears (daemon start or plug-in)
    // The DM log's flight recorder (dm_recorder.h): off unless `dm-log = yes`.
    bool dmLog = false;
    uint64_t dmLogSize = 4 * 1024 * 1024;  // dm-log-size: the ring's byte budget
    std::string dmPort;                    // dm-port: a fixed-port modem's DM tty; a USB modem's comes from the table
    std::string dmMaskFile;                // dm-mask-file: framed DIAG commands sent instead of the built-in mask
    // The mask file's frames as read and checked at start (main.cpp); empty: the built-in mask.
    std::vector<std::vector<uint8_t>> dmMaskCommands;
    // A config section for a USB modem names it by one of these instead of `device`.
    std::string matchUsbSerial;
    std::string matchUsbPath;
    UsbIdentity usb;  // filled in for a modem found by udev
};

}  // namespace dialupd
