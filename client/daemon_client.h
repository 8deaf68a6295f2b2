// SPDX-License-Identifier: GPL-2.0-or-later
// dialupctl's side of the bus: one connection to the system bus (or DBUS_SYSTEM_BUS_ADDRESS),
// modems read through the ObjectManager, methods called through the proxy generated from
// dbus/org.dialupd1.Modem.xml. Every bus failure leaves as a ClientError with its exit status.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "exit_status.h"
#include "modem_info.h"

namespace dialupctl {

struct ConnectRequest {
    std::optional<std::string> apn;
    std::optional<std::string> user;
    std::optional<std::string> password;
    std::optional<std::string> pin;  // the SIM's PIN: from a file or a prompt, never argv
    std::optional<bool> reconnect;
    std::optional<bool> defaultRoute;
    std::optional<uint32_t> routeMetric;
    std::optional<std::string> dns;  // checked by the daemon (and by the option parser)
    std::optional<std::string> ipFamily;
    bool wait = false;
};

// A ClientError for a failed bus call; `what` says what was being done ("connecting ec25").
ClientError toClientError(const sdbus::Error& error, const std::string& what);
// The same for Connect, Disconnect and Reset, which the bus policy keeps to root and the
// privileged group: an access denied names that group ("Connect needs root or membership in group netdev").
ClientError privilegedCallError(const sdbus::Error& error, const std::string& what, const std::string& method);

// A modem's properties as GetAll or GetManagedObjects give them, every string sanitized
// (service/core/text.h): nothing read from the bus reaches a terminal as raw control bytes.
ModemInfo modemFromProperties(const std::string& path, const std::map<std::string, sdbus::Variant>& properties);
// An exit reason as the bus carries it, sanitized likewise.
ExitReason toReason(const sdbus::Struct<uint32_t, std::string, std::string>& reason);
// GetStatistics' dictionary; a key missing or of another type leaves its default.
ModemStats statsFromValues(const std::map<std::string, sdbus::Variant>& values);
// A log text from the bus (a Hangup's, a kept call's, Reset's), sanitized with its newlines kept.
std::string cleanLogText(const std::string& text);

// SaveDiagnosticLog's answer.
struct SavedDmLog {
    uint64_t startedUsec = 0;  // the call it belongs to
    std::string file;
    uint64_t size = 0;
    uint64_t frames = 0;
    uint64_t spanUsec = 0;
};

// OpenDiagnosticLog's answer: the file as a descriptor of ours.
struct OpenedDmLog {
    sdbus::UnixFd fd;
    uint64_t callUsec = 0;
    uint64_t size = 0;
};

class DaemonClient {
public:
    // Connects to the system bus; throws ClientError(DaemonNotRunning) when there is none.
    DaemonClient();

    // Every modem, sorted by id. Throws ClientError(DaemonNotRunning) when dialupd is not on the bus.
    std::vector<ModemInfo> modems();
    // The modem named by `argument` (id or object path), or the only one there is.
    ModemInfo resolve(const std::optional<std::string>& argument);
    // One modem's properties now.
    ModemInfo refresh(const ModemInfo& modem);

    void connect(const ModemInfo& modem, const ConnectRequest& request, std::chrono::seconds timeout);
    void disconnect(const ModemInfo& modem, std::chrono::seconds timeout);
    // Module recovery on demand: the rung that worked and the steps' log.
    std::pair<std::string, std::string> reset(const ModemInfo& modem, std::chrono::seconds timeout);
    std::vector<CallLog> callLogs(const ModemInfo& modem, uint32_t last);
    ModemStats statistics(const ModemInfo& modem);
    // The DM log: saved now (SaveDiagnosticLog), and a kept one opened (OpenDiagnosticLog; 0:
    // the newest). Both are for root and the privileged group.
    SavedDmLog saveDiagnosticLog(const ModemInfo& modem);
    OpenedDmLog openDiagnosticLog(const ModemInfo& modem, uint64_t startedUsec);

    sdbus::IConnection& connection() { return *connection_; }

private:
    std::unique_ptr<sdbus::IConnection> connection_;
};

}  // namespace dialupctl
