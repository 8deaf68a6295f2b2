// SPDX-License-Identifier: GPL-2.0-or-later
#include "safe_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "unique_fd.h"

namespace dialupd {
namespace {

SmallFile failed(SmallFile::Failure failure, std::string why) {
    SmallFile result;
    result.failure = failure;
    result.why = std::move(why);
    return result;
}

SmallFile failedErrno(const std::string& path, const char* doing, int error) {
    if (error == ENOENT || error == ENOTDIR)
        return failed(SmallFile::Failure::Absent, fmt::format("{} does not exist", path));
    // O_NOFOLLOW on a symlink: ELOOP.
    if (error == ELOOP)
        return failed(SmallFile::Failure::Symlink, fmt::format("{} is a symbolic link, not a regular file", path));
    return failed(SmallFile::Failure::Unreadable, fmt::format("cannot {} {}: {}", doing, path, std::strerror(error)));
}

}  // namespace

const char* fileTypeName(mode_t mode) {
    switch (mode & S_IFMT) {
        case S_IFREG:
            return "a regular file";
        case S_IFDIR:
            return "a directory";
        case S_IFIFO:
            return "a FIFO";
        case S_IFLNK:
            return "a symbolic link";
        case S_IFCHR:
            return "a character device";
        case S_IFBLK:
            return "a block device";
        case S_IFSOCK:
            return "a socket";
        default:
            return "of an unknown type";
    }
}

SmallFile readSmallFile(const std::string& path, size_t maxBytes, SmallFile::Oversize oversize) {
    // A look first, so that a device node or a FIFO is not even opened (opening one can have
    // effects of its own); the fstat below is what counts, as the path may change in between.
    struct stat info {};
    if (::lstat(path.c_str(), &info) < 0) return failedErrno(path, "look at", errno);
    if (S_ISLNK(info.st_mode))
        return failed(SmallFile::Failure::Symlink, fmt::format("{} is a symbolic link, not a regular file", path));
    if (!S_ISREG(info.st_mode))
        return failed(SmallFile::Failure::NotRegularFile,
                      fmt::format("{} is {}, not a regular file", path, fileTypeName(info.st_mode)));

    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) return failedErrno(path, "open", errno);
    if (::fstat(fd.get(), &info) < 0) return failedErrno(path, "stat", errno);
    if (!S_ISREG(info.st_mode))
        return failed(SmallFile::Failure::NotRegularFile,
                      fmt::format("{} is {}, not a regular file", path, fileTypeName(info.st_mode)));
    bool cut = oversize == SmallFile::Oversize::Cut;
    if (!cut && info.st_size > 0 && static_cast<uintmax_t>(info.st_size) > maxBytes)
        return failed(SmallFile::Failure::TooLarge,
                      fmt::format("{} is larger than expected ({} bytes, at most {})", path, info.st_size, maxBytes));

    // Read up to one byte past the bound, growing as the bytes come: /proc files say size 0 and
    // may still hold more than the bound, and a file may grow after the fstat.
    SmallFile result;
    size_t wanted = cut ? maxBytes : maxBytes + 1;
    result.content.reserve(std::min(wanted, static_cast<size_t>(info.st_size) + 1));
    char buffer[4096];
    size_t length = 0;
    while (length < wanted) {
        ssize_t count = ::read(fd.get(), buffer, std::min(sizeof buffer, wanted - length));
        if (count < 0 && errno == EINTR) continue;
        if (count < 0) return failedErrno(path, "read", errno);
        if (count == 0) break;
        result.content.append(buffer, static_cast<size_t>(count));
        length += static_cast<size_t>(count);
    }
    if (length > maxBytes)  // only when refusing: cutting never reads past the bound
        return failed(SmallFile::Failure::TooLarge,
                      fmt::format("{} is larger than expected (more than {} bytes)", path, maxBytes));
    result.device = info.st_dev;
    result.inode = info.st_ino;
    return result;
}

}  // namespace dialupd
