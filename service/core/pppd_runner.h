// SPDX-License-Identifier: GPL-2.0-or-later
// How the core starts and watches pppd, behind an interface so unit tests can fake it
// (NetworkManager's PPP manager has the same shape: start, signal, and reports coming back).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugin_report.h"

namespace dialupd {

// File descriptor numbers pppd's child sees; the argv refers to them.
inline constexpr int kChildReportFd = 3;  // our plugin writes its reports here
inline constexpr int kChildSecretFd = 4;  // our plugin reads the password from here

struct PppdLaunch {
    std::vector<std::string> argv;  // argv[0] is the pppd binary; executed directly, never via a shell
    std::string chatScriptPath;     // written 0600 before pppd starts, removed when it exits
    std::string chatScript;
    std::string secret;  // empty: no secret pipe
};

struct ProcessExit {
    bool signaled = false;  // true: `code` is the signal that killed it; false: the exit status
    int code = 0;
};

class PppdObserver {
public:
    // pppd's and chat's output, one line, as it came: any bytes (Modem redacts, then sanitizes).
    virtual void pppdLogLine(std::string_view line) = 0;
    virtual void pppdReport(const PluginReport& report) = 0;
    // Last call for this process: every log line and report it sent has been delivered before.
    virtual void pppdExited(ProcessExit exit) = 0;

protected:
    ~PppdObserver() = default;
};

class PppdProcess {
public:
    virtual ~PppdProcess() = default;
    virtual pid_t pid() const = 0;
    virtual void sendSignal(int signal) = 0;
};

class PppdRunner {
public:
    virtual ~PppdRunner() = default;
    // Starts pppd; the observer is called from the event loop until pppdExited.
    // Throws Error(SpawnFailed) when the process could not be started.
    virtual std::unique_ptr<PppdProcess> start(const PppdLaunch& launch, PppdObserver& observer) = 0;
};

}  // namespace dialupd
