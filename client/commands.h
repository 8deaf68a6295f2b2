// SPDX-License-Identifier: GPL-2.0-or-later
// dialupctl's subcommands, each one function over a DaemonClient. They print their answer (human
// text or one JSON document) to stdout and throw ClientError when they cannot do their job.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "daemon_client.h"
#include "output.h"

namespace dialupctl {

struct OutputOptions {
    bool json = false;
    bool color = false;  // decided by main: a tty, no --no-color, no NO_COLOR
};

// After a Connect without wait: nullopt while the call is under way (connecting, connected, or
// resetting: the module check before a dial), else the CallFailed error the command ends with
// (the call already failed, as pppd does at once without kernel PPP or with a bad option).
std::optional<ClientError> connectOutcomeError(const ModemInfo& modem);

void runList(DaemonClient& client, const OutputOptions& output, bool idsOnly);
void runStatus(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem);
void runConnect(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem,
                const ConnectRequest& request, std::chrono::seconds timeout);
void runDisconnect(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem,
                   std::chrono::seconds timeout);
void runReset(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem,
              std::chrono::seconds timeout);
// log: the kept call logs; or the DM log (--save-dm saves it now, --qmdl FILE fetches a kept one).
struct LogRequest {
    uint32_t last = 1;
    bool saveDm = false;
    std::optional<std::string> qmdlFile;
    // --call N: the Nth newest kept call for N up to kMaxCallIndex, else a call's start in µs.
    std::optional<uint64_t> call;
    bool force = false;  // --qmdl may replace an existing file
};
inline constexpr uint64_t kMaxCallIndex = 1000;  // call-logs-kept's bound

void runLog(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem,
            const LogRequest& request);
void runStats(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem);
// Streams events until SIGINT or SIGTERM (then returns normally) or until the bus goes away.
void runMonitor(DaemonClient& client, const OutputOptions& output, const std::optional<std::string>& modem,
                bool withLog);

}  // namespace dialupctl
