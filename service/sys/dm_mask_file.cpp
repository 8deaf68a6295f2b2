// SPDX-License-Identifier: GPL-2.0-or-later
#include "dm_mask_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/diag_log_config.h"
#include "safe_file.h"
#include "unique_fd.h"

namespace dialupd {

std::string readDmMaskFile(const std::string& path, std::vector<std::vector<uint8_t>>& commands) {
    commands.clear();
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) {
        if (errno == ELOOP) return "is a symbolic link: not followed";
        return fmt::format("cannot be opened: {}", std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) < 0) return fmt::format("cannot be read: {}", std::strerror(errno));
    if (!S_ISREG(info.st_mode)) return fmt::format("is {}, not a regular file", fileTypeName(info.st_mode));
    if (info.st_uid != 0 && info.st_uid != ::geteuid())
        return fmt::format("belongs to uid {}, not to root: not read", info.st_uid);
    if (info.st_mode & (S_IWGRP | S_IWOTH)) return "is writable by its group or by others: not read";
    if (static_cast<uint64_t>(info.st_size) > kMaxMaskFileSize)
        return fmt::format("is larger than {} bytes", kMaxMaskFileSize);
    std::vector<uint8_t> content(static_cast<size_t>(info.st_size) + 1);
    size_t have = 0;
    for (;;) {
        if (have == content.size()) return fmt::format("is larger than {} bytes", kMaxMaskFileSize);
        ssize_t n = ::read(fd.get(), content.data() + have, content.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fmt::format("cannot be read: {}", std::strerror(errno));
        if (n == 0) break;
        have += static_cast<size_t>(n);
    }
    content.resize(have);
    MaskFile mask = parseMaskFile(content);
    if (mask.error != MaskFileError::None)
        return fmt::format("is not a DIAG mask file ({}): {}", maskFileErrorName(mask.error),
                           describeMaskFileError(mask));
    commands = std::move(mask.commands);
    return "";
}

}  // namespace dialupd
