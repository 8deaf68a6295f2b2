// SPDX-License-Identifier: GPL-2.0-or-later
// What dialupctl knows of a modem and its kept calls: plain values read from the daemon, with
// no D-Bus types, so formatting can be tested on its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/bus_names.h"

namespace dialupctl {

// The daemon's names, from the header the daemon itself uses.
using dialupd::kBusName;
using dialupd::kModemInterface;
using dialupd::kModemPathPrefix;
using dialupd::kRootPath;

struct ExitReason {
    uint32_t code = 0;
    std::string name;
    std::string description;
};

struct ModemInfo {
    std::string id;  // the last element of the object path
    std::string path;
    std::string state;
    std::string device;
    std::string atPort;
    std::string vendor;
    std::string product;
    std::string model;
    std::string usbPath;
    std::string usbSerial;
    std::string interface;
    std::string ipv4Address;
    std::string peerAddress;
    std::vector<std::string> dns;
    std::string dnsBackend;  // "resolved", "resolvconf", "none"; "" while no link is up
    bool defaultRoute = false;
    uint32_t routeMetric = 0;
    std::vector<std::string> ipv6Addresses;
    uint64_t connectedSinceUsec = 0;
    ExitReason lastExitReason;
    uint64_t lastCallDurationUsec = 0;
    uint64_t lastCallBytesIn = 0;
    uint64_t lastCallBytesOut = 0;
    uint32_t reconnectAttempts = 0;
    uint64_t nextReconnectUsec = 0;
    // The module's live state (the daemon's LiveStatus): "unknown"/""/0 when it is not known.
    std::string simState;
    std::string registrationState;
    std::string operatorName;
    std::string operatorCode;
    std::string accessTechnology;
    uint32_t signalQuality = 0;             // percent
    std::map<std::string, int32_t> signal;  // "rssi", "rsrp", "rsrq", "sinr": those known
    std::string imei;
    std::string iccid;
};

// One call as GetCallLogs returns it.
struct CallLog {
    uint64_t startedUsec = 0;
    uint64_t durationUsec = 0;
    ExitReason reason;
    uint64_t bytesIn = 0;
    uint64_t bytesOut = 0;
    bool requested = false;
    std::string text;
};

// A modem's counters as GetStatistics returns them.
struct ModemStats {
    uint64_t callsStarted = 0;
    uint64_t callsUp = 0;
    std::map<uint32_t, uint64_t> ends;           // by exit reason code
    std::map<std::string, uint64_t> recoveries;  // by step
    uint64_t watchdogFailures = 0;
    uint64_t bytesIn = 0;
    uint64_t bytesOut = 0;
    uint64_t sinceUsec = 0;
    std::string dataPeriod;  // "monthly", "daily"
    uint64_t periodStartUsec = 0;
    uint64_t periodEndUsec = 0;
    uint64_t periodBytesIn = 0;
    uint64_t periodBytesOut = 0;
    uint64_t dataLimit = 0;  // 0: none
    bool dataLimitReached = false;
    bool live = false;  // a call is up: its bytes so far
    uint64_t liveBytesIn = 0;
    uint64_t liveBytesOut = 0;
};

// "ec25_X" from "/org/dialupd1/modem/ec25_X"; "" for a path outside the modem namespace.
std::string modemIdFromPath(const std::string& path);

// A MODEM argument, an id or a whole object path, as an object path.
std::string modemPathFromArgument(const std::string& argument);

}  // namespace dialupctl
