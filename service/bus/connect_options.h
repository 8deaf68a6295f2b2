// Connect's a{sv} options, checked key by key and type by type.
#pragma once

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

}  // namespace dialupd
