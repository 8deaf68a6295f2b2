// SPDX-License-Identifier: GPL-2.0-or-later
// What a Modem is handed at construction besides its config: the daemon's services. Any may be
// missing (unit tests, a daemon without a bus): what needs it is then skipped, and the call log
// or the reply says so.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "at_channel.h"
#include "call_record.h"
#include "connectivity_check.h"
#include "dm_recorder.h"
#include "link_online.h"
#include "modem_counters.h"
#include "module_recovery.h"
#include "provider_db.h"
#include "secret.h"

namespace dialupd {

using DeviceExists = std::function<bool(const std::string& path)>;

// A network interface's byte counters (rx_bytes, tx_bytes) as the kernel counts them now.
struct LinkBytes {
    uint64_t in = 0;
    uint64_t out = 0;
};

struct ModemServices {
    // The AT port: the snapshot after a hangup and module recovery. None: no snapshot, no recovery.
    AtPortOpener* atPorts = nullptr;
    // The last rung of module recovery. None: the ladder ends at the reboot.
    UsbResetter* usbResetter = nullptr;
    // Runs the power-cycle command (escalation.h). None: that step cannot be taken.
    CommandRunner* commands = nullptr;
    // The DM port, for the DM log's recorder (dm-log = yes). None: no DM log, whatever the config says.
    DmPortOpener* dmPorts = nullptr;
    // Where finished calls are kept. None: no call logs to read back.
    CallLogStore* callLogs = nullptr;
    // Routes, the link's IPv6 events and DNS backends: what puts a call online (LinkOnline).
    OnlineServices online;
    // Whether the tty node exists, asked when pppd exits (unset: the Modem's `deviceExists`). A
    // USB modem's presence is udev's word, but its node going away is the first sign of an unplug.
    DeviceExists ttyExists;
    // Before each dial, the readiness check over the AT port (readiness.h): the provider database
    // for an APN nobody gave. None (or no atPorts): no check, the dial goes as before it existed.
    ProviderDatabase* providers = nullptr;
    // Reads a modem's sim-pin-file when its SIM asks for a PIN (sys/sim_pin_file.h); throws
    // Error(SimPinRequired) saying what is wrong with the file. Unset: sim-pin-file is not read.
    std::function<Secret(const std::string& path)> readSimPinFile;
    // Where the counters are kept between runs (modem_counters.h). None: they start from zero.
    CountersStore* counters = nullptr;
    // The local calendar the data periods follow (tests: UTC).
    LocalClock dataClock = localDataClock();
    // Reads an interface's byte counters (sys: /sys/class/net/IF/statistics); nullopt when it
    // cannot. Unset: no live bytes, and no data-limit check during a call.
    std::function<std::optional<LinkBytes>(const std::string& interface)> linkBytes;
    // A counter or the state changed (the metrics file follows). Unset: nobody listens.
    std::function<void()> statsChanged;
    // The connectivity watchdog's probes over the link and the interface's received bytes
    // (sys/connectivity_probes.h). None: no check, whatever the config says.
    ConnectivityProber* prober = nullptr;
    // Uniform in [0, 1), for the redial jitter (unset: a seeded Mersenne twister); tests make it
    // predictable.
    std::function<double()> random;
};

}  // namespace dialupd
