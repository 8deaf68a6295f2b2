// SPDX-License-Identifier: GPL-2.0-or-later
// The chat script that brings a Quectel modem from command mode to CONNECT.
#pragma once

#include <string>

#include "call_settings.h"

namespace dialupd {

// Modelled on Quectel's quectel-chat-connect. `settings` must have passed validation
// (applyOverrides): only the APN is interpolated, and its alphabet has nothing chat treats
// specially. Throws Error(InvalidArgument) if it does anyway, rather than write a broken script.
std::string buildChatScript(const CallSettings& settings);

}  // namespace dialupd
