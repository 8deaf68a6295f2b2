// SPDX-License-Identifier: GPL-2.0-or-later
// A modem's dm-mask-file, read once at start: the framed DIAG commands sent to its DM port
// instead of the built-in mask. What dialupd sends to the module as root must be root's to say:
// the file must be a regular file (no symlink followed) owned by root or by the user dialupd
// runs as, writable by nobody else, at most kMaxMaskFileSize bytes, and every frame in it whole
// with a CRC that holds (core/diag_log_config.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dialupd {

// "" and `commands` filled, or what is wrong with the file (text of ours, no byte of the file).
std::string readDmMaskFile(const std::string& path, std::vector<std::vector<uint8_t>>& commands);

}  // namespace dialupd
