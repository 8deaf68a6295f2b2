// SPDX-License-Identifier: GPL-2.0-or-later
#include "sim_pin_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/call_settings.h"
#include "core/errors.h"
#include "safe_file.h"

namespace dialupd {

Secret readSimPinFile(const std::string& path) {
    auto refused = [&path](const std::string& why) {
        return Error(error_name::kSimPinRequired, fmt::format("the SIM is locked and sim-pin-file {} {}", path, why));
    };
    SmallFile file = readSmallFile(path, 256);
    WipeOnExit wipe(file.content);
    if (!file) throw refused(fmt::format("cannot be used: {}", file.why));
    // The mode and owner of what was read (the same inode: nothing swapped in between).
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0 || info.st_dev != file.device || info.st_ino != file.inode)
        throw refused("changed while it was read");
    if (info.st_uid != 0 && info.st_uid != ::geteuid())
        throw refused(fmt::format("belongs to uid {}, not to root: not read", info.st_uid));
    if (info.st_mode & 077)
        throw refused(fmt::format("can be read or written by other users (mode {:04o}): not read; chmod 600 {}",
                                  info.st_mode & 07777, path));
    std::string pin;
    WipeOnExit wipePin(pin);
    pin.reserve(file.content.size());
    pin.append(file.content.substr(0, file.content.find('\n')));
    while (!pin.empty() && (pin.back() == '\r' || pin.back() == ' ' || pin.back() == '\t')) pin.pop_back();
    try {
        validatePin(pin);
    } catch (const Error&) {
        throw refused("does not hold a PIN of 4 to 8 digits on its first line");
    }
    return Secret(pin);
}

}  // namespace dialupd
