#include "exit_status.h"

#include <array>
#include <utility>

namespace dialupctl {

namespace {

constexpr std::string_view kSpawnErrors = "org.freedesktop.DBus.Error.Spawn.";

bool startsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

ExitStatus exitStatusForError(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, ExitStatus>, 14> kByName{{
        {"org.freedesktop.DBus.Error.ServiceUnknown", ExitStatus::DaemonNotRunning},
        {"org.freedesktop.DBus.Error.NameHasNoOwner", ExitStatus::DaemonNotRunning},
        {"org.freedesktop.DBus.Error.AccessDenied", ExitStatus::AccessDenied},
        {"org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", ExitStatus::AccessDenied},
        {"org.freedesktop.DBus.Error.UnknownObject", ExitStatus::NoSuchModem},
        {"org.freedesktop.DBus.Error.UnknownInterface", ExitStatus::NoSuchModem},
        {"org.dialupd1.Error.InvalidArgument", ExitStatus::Usage},
        {"org.dialupd1.Error.CallFailed", ExitStatus::CallFailed},
        {"org.dialupd1.Error.Cancelled", ExitStatus::CallFailed},
        {"org.dialupd1.Error.RecoveryFailed", ExitStatus::CallFailed},
        {"org.dialupd1.Error.AlreadyConnected", ExitStatus::WrongState},
        {"org.dialupd1.Error.NotConnected", ExitStatus::WrongState},
        {"org.dialupd1.Error.Busy", ExitStatus::WrongState},
        {"org.dialupd1.Error.Unavailable", ExitStatus::WrongState},
    }};
    for (const auto& [known, status] : kByName)
        if (name == known) return status;
    // Bus activation that could not start the daemon: it is not running either.
    if (startsWith(name, kSpawnErrors)) return ExitStatus::DaemonNotRunning;
    return ExitStatus::Failure;
}

}  // namespace dialupctl
