// SPDX-License-Identifier: GPL-2.0-or-later
#include "exit_status.h"

#include <array>
#include <utility>

#include "core/bus_names.h"

namespace dialupctl {

namespace {

constexpr std::string_view kSpawnErrors = "org.freedesktop.DBus.Error.Spawn.";

bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

ExitStatus exitStatusForError(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, ExitStatus>, 26> kByName{{
        {"org.freedesktop.DBus.Error.ServiceUnknown", ExitStatus::DaemonNotRunning},
        {"org.freedesktop.DBus.Error.NameHasNoOwner", ExitStatus::DaemonNotRunning},
        {"org.freedesktop.DBus.Error.AccessDenied", ExitStatus::AccessDenied},
        {"org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", ExitStatus::AccessDenied},
        {"org.freedesktop.DBus.Error.UnknownObject", ExitStatus::NoSuchModem},
        {"org.freedesktop.DBus.Error.UnknownInterface", ExitStatus::NoSuchModem},
        {dialupd::error_name::kInvalidArgument, ExitStatus::Usage},
        {dialupd::error_name::kCallFailed, ExitStatus::CallFailed},
        {dialupd::error_name::kCancelled, ExitStatus::CallFailed},
        {dialupd::error_name::kRecoveryFailed, ExitStatus::CallFailed},
        {dialupd::error_name::kAlreadyConnected, ExitStatus::WrongState},
        {dialupd::error_name::kNotConnected, ExitStatus::WrongState},
        {dialupd::error_name::kBusy, ExitStatus::WrongState},
        {dialupd::error_name::kUnavailable, ExitStatus::WrongState},
        {dialupd::error_name::kDataLimitReached, ExitStatus::WrongState},  // until the next data period
        // Found before the dial (the readiness checks): what to fix differs, so does the status.
        {dialupd::error_name::kApnRequired, ExitStatus::Usage},  // give --apn
        {dialupd::error_name::kSimPinRequired, ExitStatus::SimNotReady},
        {dialupd::error_name::kSimPinRejected, ExitStatus::SimNotReady},
        {dialupd::error_name::kSimPukRequired, ExitStatus::SimNotReady},
        {dialupd::error_name::kSimMissing, ExitStatus::SimNotReady},
        {dialupd::error_name::kRegistrationDenied, ExitStatus::NoNetwork},
        {dialupd::error_name::kRoamingNotAllowed, ExitStatus::NoNetwork},
        {dialupd::error_name::kNotRegistered, ExitStatus::NoNetwork},
        // The DM log (log --qmdl, --save-dm); SaveFailed is a Failure like any other.
        {dialupd::error_name::kDiagnosticLogOff, ExitStatus::NoDiagnosticLog},
        {dialupd::error_name::kNoDiagnosticLog, ExitStatus::NoDiagnosticLog},
        {dialupd::error_name::kNoSuchCall, ExitStatus::NoDiagnosticLog},
    }};
    for (const auto& [known, status] : kByName)
        if (name == known) return status;
    // Bus activation that could not start the daemon: it is not running either.
    if (startsWith(name, kSpawnErrors)) return ExitStatus::DaemonNotRunning;
    return ExitStatus::Failure;
}

}  // namespace dialupctl
