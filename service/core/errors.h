// Every error dialupd returns over D-Bus, in one place (like systemd's bus-common-errors.h).
// The core throws dialupd::Error with one of these names; the bus adaptors translate it into
// an sdbus::Error of the same name, so clients can match on a stable name.
#pragma once

#include <stdexcept>
#include <string>

namespace dialupd {

namespace error_name {
inline constexpr const char* kInvalidArgument = "org.dialupd1.Error.InvalidArgument";
inline constexpr const char* kAlreadyConnected = "org.dialupd1.Error.AlreadyConnected";
inline constexpr const char* kNotConnected = "org.dialupd1.Error.NotConnected";
inline constexpr const char* kBusy = "org.dialupd1.Error.Busy";
inline constexpr const char* kUnavailable = "org.dialupd1.Error.Unavailable";
inline constexpr const char* kSpawnFailed = "org.dialupd1.Error.SpawnFailed";
inline constexpr const char* kCallFailed = "org.dialupd1.Error.CallFailed";
inline constexpr const char* kCancelled = "org.dialupd1.Error.Cancelled";
inline constexpr const char* kRecoveryFailed = "org.dialupd1.Error.RecoveryFailed";
inline constexpr const char* kInternal = "org.dialupd1.Error.Internal";
}  // namespace error_name

// An error with a D-Bus name. `name` is one of error_name::*.
class Error : public std::runtime_error {
public:
    Error(const char* name, const std::string& message) : std::runtime_error(message), name_(name) {}
    const char* name() const noexcept { return name_; }

private:
    const char* name_;
};

}  // namespace dialupd
