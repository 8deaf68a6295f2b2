// SPDX-License-Identifier: GPL-2.0-or-later
#include "system_bus.h"

#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

namespace dialupd {
namespace {

constexpr const char* kAddressVariable = "DBUS_SYSTEM_BUS_ADDRESS";
// sd-bus's built-in default (DEFAULT_SYSTEM_BUS_ADDRESS).
constexpr const char* kDefaultAddress = "unix:path=/run/dbus/system_bus_socket";

}  // namespace

std::string systemBusAddress() {
    const char* fromEnvironment = std::getenv(kAddressVariable);
    return fromEnvironment && *fromEnvironment ? fromEnvironment : kDefaultAddress;
}

std::unique_ptr<sdbus::IConnection> openSystemBus() {
    try {
        return sdbus::createSystemBusConnection();
    } catch (const sdbus::Error& error) {
        const char* fromEnvironment = std::getenv(kAddressVariable);
        throw std::runtime_error(
            fmt::format("cannot connect to the system bus at {} ({}): {}", systemBusAddress(),
                        fromEnvironment && *fromEnvironment ? "from DBUS_SYSTEM_BUS_ADDRESS" : "the default address",
                        error.getMessage()));
    }
}

std::optional<long> nameOwnerPid(sdbus::IConnection& bus, const std::string& name) {
    auto daemon = sdbus::createProxy(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    bool owned = false;
    daemon->callMethod("NameHasOwner").onInterface("org.freedesktop.DBus").withArguments(name).storeResultsTo(owned);
    if (!owned) return std::nullopt;
    try {
        uint32_t pid = 0;
        daemon->callMethod("GetConnectionUnixProcessID")
            .onInterface("org.freedesktop.DBus")
            .withArguments(name)
            .storeResultsTo(pid);
        return static_cast<long>(pid);
    } catch (const sdbus::Error&) {
        return 0;  // gone in between, or a bus that does not tell
    }
}

}  // namespace dialupd
