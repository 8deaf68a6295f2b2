// SPDX-License-Identifier: GPL-2.0-or-later
// dialupctl's exit statuses, documented in dialupctl(1) and stable: scripts branch on them.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace dialupctl {

enum class ExitStatus : int {
    Ok = 0,
    Failure = 1,           // anything not named below (an unexpected daemon error, a timeout)
    Usage = 2,             // bad command line, or an argument the daemon refused as invalid
    DaemonNotRunning = 3,  // no system bus, or nobody owns org.dialupd1
    AccessDenied = 4,      // the bus policy refused the call
    NoSuchModem = 5,       // no modem by that name, or none at all
    CallFailed = 6,        // the call ended before the link came up (pppd's reason in the message)
    WrongState = 7,        // already connected, not connected, busy, or the modem is unavailable
    SimNotReady = 8,       // the SIM wants a PIN (none given, or refused or not risked), its PUK, or is missing
    NoNetwork = 9,         // not registered within registration-timeout, denied, or roaming not allowed
    NoDiagnosticLog = 10,  // dm-log is off, nothing recorded yet, no such call, or that call has no DM log
};

// What a command ends with when it cannot do its job: the status, the D-Bus error name when
// the daemon or the bus gave one ("" otherwise), and a message for people.
class ClientError : public std::runtime_error {
public:
    ClientError(ExitStatus status, std::string name, const std::string& message)
        : std::runtime_error(message), status_(status), name_(std::move(name)) {}
    ClientError(ExitStatus status, const std::string& message) : ClientError(status, "", message) {}

    ExitStatus status() const noexcept { return status_; }
    const std::string& name() const noexcept { return name_; }

private:
    ExitStatus status_;
    std::string name_;
};

// The exit status a D-Bus error name stands for (the table in dialupctl(1)).
ExitStatus exitStatusForError(std::string_view errorName);

}  // namespace dialupctl
