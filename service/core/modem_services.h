// What a Modem is handed at construction besides its config: the daemon's services. Any may be
// missing (unit tests, a daemon without a bus): what needs it is then skipped, and the call log
// or the reply says so.
#pragma once

#include <functional>
#include <string>

#include "at_channel.h"
#include "call_record.h"
#include "link_online.h"
#include "module_recovery.h"

namespace dialupd {

using DeviceExists = std::function<bool(const std::string& path)>;

struct ModemServices {
    // The AT port: the snapshot after a hangup and module recovery. None: no snapshot, no recovery.
    AtPortOpener* atPorts = nullptr;
    // The last rung of module recovery. None: the ladder ends at the reboot.
    UsbResetter* usbResetter = nullptr;
    // Where finished calls are kept. None: no call logs to read back.
    CallLogStore* callLogs = nullptr;
    // Routes, the link's IPv6 events and DNS backends: what puts a call online (LinkOnline).
    OnlineServices online;
    // Whether the tty node exists, asked when pppd exits (unset: the Modem's `deviceExists`). A
    // USB modem's presence is udev's word, but its node going away is the first sign of an unplug.
    DeviceExists ttyExists;
    // Uniform in [0, 1), for the redial jitter (unset: a seeded Mersenne twister); tests make it
    // predictable.
    std::function<double()> random;
};

}  // namespace dialupd
