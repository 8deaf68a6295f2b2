// SPDX-License-Identifier: GPL-2.0-or-later
#include "instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>
#include <system_error>

#include <fmt/format.h>

namespace dialupd {
namespace {

// The pid the holder wrote; 0 when there is none yet (it took the lock a moment ago) or the
// file holds something else.
long holderPid(int fd) {
    char text[32] = {};
    ssize_t count = ::pread(fd, text, sizeof text - 1, 0);
    if (count <= 0) return 0;
    long pid = 0;
    auto [end, error] = std::from_chars(text, text + count, pid);
    if (error != std::errc() || pid <= 0 || (end != text + count && *end != '\n')) return 0;
    return pid;
}

}  // namespace

std::string anotherInstanceMessage(long pid) {
    return pid > 0 ? fmt::format("another dialupd (pid {}) is running", pid) : "another dialupd is running";
}

InstanceLock::InstanceLock(const std::string& runtimeDir) {
    const std::string path = runtimeDir + "/dialupd.lock";
    fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
    if (!fd_) throw std::system_error(errno, std::generic_category(), "cannot open " + path);
    while (::flock(fd_.get(), LOCK_EX | LOCK_NB) < 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) throw AnotherInstance(anotherInstanceMessage(holderPid(fd_.get())));
        throw std::system_error(errno, std::generic_category(), "cannot lock " + path);
    }
    const std::string pid = fmt::format("{}\n", ::getpid());
    if (::ftruncate(fd_.get(), 0) < 0 || ::pwrite(fd_.get(), pid.data(), pid.size(), 0) < 0)
        throw std::system_error(errno, std::generic_category(), "cannot write " + path);
}

}  // namespace dialupd
