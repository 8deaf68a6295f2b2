// SPDX-License-Identifier: GPL-2.0-or-later
#include "dm_log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exit_status.h"

namespace dialupctl {

namespace {

std::string failure(const std::string& path, const std::string& doing) {
    return path + ": " + doing + ": " + std::strerror(errno);
}

}  // namespace

uint64_t writeQmdlFile(int from, const std::string& path, bool overwrite) {
    if (overwrite && ::unlink(path.c_str()) < 0 && errno != ENOENT)
        throw ClientError(ExitStatus::Failure, failure(path, "cannot replace it"));
    const int to = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (to < 0) {
        if (errno == EEXIST) throw ClientError(ExitStatus::Failure, path + " exists; --force replaces it");
        throw ClientError(ExitStatus::Failure, failure(path, "cannot create it"));
    }
    // umask may have taken bits away, never added any: 0600 as it stands, said once more.
    ::fchmod(to, 0600);
    uint64_t written = 0;
    std::string problem;
    char buffer[64 * 1024];
    for (off_t at = 0;;) {
        // pread: the descriptor's offset is shared with nobody here, but the daemon promised offset 0.
        const ssize_t got = ::pread(from, buffer, sizeof buffer, at);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            problem = std::string("reading the DM log: ") + std::strerror(errno);
            break;
        }
        if (got == 0) break;
        at += got;
        for (ssize_t done = 0; done < got;) {
            const ssize_t put = ::write(to, buffer + done, static_cast<size_t>(got - done));
            if (put < 0 && errno == EINTR) continue;
            if (put <= 0) {
                problem = failure(path, "cannot write it");
                break;
            }
            done += put;
            written += static_cast<uint64_t>(put);
        }
        if (!problem.empty()) break;
    }
    if (problem.empty() && ::fsync(to) < 0) problem = failure(path, "cannot write it");
    if (::close(to) < 0 && problem.empty()) problem = failure(path, "cannot write it");
    if (!problem.empty()) {
        ::unlink(path.c_str());
        throw ClientError(ExitStatus::Failure, problem);
    }
    return written;
}

}  // namespace dialupctl
