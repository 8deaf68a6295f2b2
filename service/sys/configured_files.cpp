// SPDX-License-Identifier: GPL-2.0-or-later
#include "sys/configured_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "sys/safe_file.h"

namespace dialupd {

std::string configuredFileProblem(const std::string& path, bool mustBeExecutable) {
    struct stat info {};
    // Followed through links: /usr/sbin/pppd may well be one, and these paths are root's choice.
    if (::stat(path.c_str(), &info) < 0) return errno == ENOENT ? "no such file" : std::strerror(errno);
    if (!S_ISREG(info.st_mode)) return std::string(fileTypeName(info.st_mode)) + ", not a regular file";
    // Any execute bit: the daemon runs as root, for whom one is enough (pppd is 4754 root:dip).
    if (mustBeExecutable && !(info.st_mode & 0111)) return "not executable";
    return "";
}

}  // namespace dialupd
