// SPDX-License-Identifier: GPL-2.0-or-later
// Connect's a{sv} options, checked key by key and type by type.
#pragma once

#include <sdbus-c++/Message.h>
#include <sdbus-c++/Types.h>

#include <map>
#include <string>

#include "core/call_settings.h"

namespace dialupd {

struct ConnectRequest {
    CallOverrides overrides;
    bool wait = false;
};

// Throws Error(InvalidArgument) for an unknown key or a value of the wrong type. Values are
// validated later, with the merged settings (applyOverrides).
ConnectRequest parseConnectOptions(const std::map<std::string, sdbus::Variant>& options);

// sdbus-c++ reads an a{sv} into a std::map, where a key sent twice silently keeps one of its
// values; D-Bus itself does not forbid that. This reads Connect's options again from the
// message as sent (`call`, the method call being handled) and throws Error(InvalidArgument)
// for a key that comes more than once.
void refuseRepeatedOptions(const sdbus::Message& call);

}  // namespace dialupd
