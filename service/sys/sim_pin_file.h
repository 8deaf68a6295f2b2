// SPDX-License-Identifier: GPL-2.0-or-later
// The modem's sim-pin-file: the SIM's PIN, on the first line of a file only its owner (root,
// or the user dialupd runs as) can read. Read only when the SIM asks for a PIN, and not kept.
#pragma once

#include <string>

#include "core/secret.h"

namespace dialupd {

// The PIN. Throws dialupd::Error(SimPinRequired) naming what is wrong (absent, not a regular
// file, readable or writable by others, owned by another user, not 4 to 8 digits) without
// ever repeating the file's content.
Secret readSimPinFile(const std::string& path);

}  // namespace dialupd
