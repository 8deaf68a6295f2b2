// SPDX-License-Identifier: GPL-2.0-or-later
// Opening the system bus and asking it who owns a name, with errors that say what was tried.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <memory>
#include <optional>
#include <string>

namespace dialupd {

// The address sd-bus uses: DBUS_SYSTEM_BUS_ADDRESS, else the default socket.
std::string systemBusAddress();

// Throws std::runtime_error naming the address tried (and where it came from) and why it failed.
std::unique_ptr<sdbus::IConnection> openSystemBus();

// The pid of the process owning `name` on the bus (0 when the bus will not say); nullopt when
// nobody owns it.
std::optional<long> nameOwnerPid(sdbus::IConnection& bus, const std::string& name);

}  // namespace dialupd
