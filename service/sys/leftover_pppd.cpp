// SPDX-License-Identifier: GPL-2.0-or-later
#include "leftover_pppd.h"

#include <poll.h>
#include <unistd.h>

// glibc 2.36's sys/pidfd.h lacks the C++ guards.
extern "C" {
#include <sys/pidfd.h>
}

#include <csignal>
#include <filesystem>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "safe_file.h"
#include "unique_fd.h"

namespace dialupd {
namespace {

constexpr std::string_view kPrefix = "ppp-dialupd-";
constexpr std::string_view kSuffix = ".pid";

// pppd's pid files say "1234\n"; /proc/<pid>/cmdline of a pppd is a few hundred bytes. A pid
// file may name any process, whose command line can be long: only the start matters, and the
// read is bounded (and no symlink, FIFO or tty is followed or opened) all the same.
constexpr size_t kMaxPidFileBytes = 64;
constexpr size_t kMaxProcBytes = 64 * 1024;

std::string readProcFile(const std::string& path) {
    SmallFile file = readSmallFile(path, kMaxProcBytes, SmallFile::Oversize::Cut);
    return file ? std::move(file.content) : std::string();
}

// Our pppd for `modemId`: "pppd" in comm, and "linkname\0dialupd-<id>\0" in its argv.
bool isOurPppd(pid_t pid, const std::string& modemId) {
    std::string proc = fmt::format("/proc/{}", pid);
    std::string comm = readProcFile(proc + "/comm");
    if (comm != "pppd\n") return false;
    std::string argv = readProcFile(proc + "/cmdline");
    std::string wanted = "linkname";
    wanted += '\0';
    wanted += "dialupd-" + modemId;
    wanted += '\0';
    return argv.find(wanted) != std::string::npos;
}

// The process, held by a pidfd so a recycled pid can never be signalled by mistake.
UniqueFd openProcess(pid_t pid) { return UniqueFd(pidfd_open(pid, 0)); }

bool waitExit(int pidfd, std::chrono::milliseconds timeout) {
    pollfd entry{pidfd, POLLIN, 0};
    return ::poll(&entry, 1, static_cast<int>(timeout.count())) > 0;
}

void sendSignal(int pidfd, int signal) { pidfd_send_signal(pidfd, signal, nullptr, 0); }

}  // namespace

std::vector<LeftoverPppd> findLeftoverPppd(const std::string& pidDir) {
    std::vector<LeftoverPppd> found;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(pidDir, error)) {
        std::string name = entry.path().filename().string();
        if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) continue;
        std::string modemId = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
        SmallFile pidFile = readSmallFile(entry.path().string(), kMaxPidFileBytes);
        if (!pidFile) {
            // Not a pid file pppd wrote: nothing we checked, so nothing we remove.
            spdlog::warn("ignoring {}: {}", entry.path().string(), pidFile.why);
            continue;
        }
        long pid = 0;
        std::istringstream(pidFile.content) >> pid;
        if (pid > 1 && pid <= std::numeric_limits<pid_t>::max() && isOurPppd(static_cast<pid_t>(pid), modemId)) {
            found.push_back({modemId, static_cast<pid_t>(pid)});
            continue;
        }
        spdlog::info("removing stale pppd pid file {} (pid {} is not our pppd)", entry.path().string(), pid);
        std::filesystem::remove(entry.path(), error);
    }
    return found;
}

void stopLeftoverPppd(const std::vector<LeftoverPppd>& leftovers, std::chrono::seconds grace) {
    for (const LeftoverPppd& leftover : leftovers) {
        UniqueFd process = openProcess(leftover.pid);
        if (!process) continue;  // gone meanwhile
        spdlog::warn(
            "[{}] a pppd (pid {}) from an earlier dialupd still runs: stopping it (SIGTERM, SIGKILL after "
            "{} s) before taking the modem",
            leftover.modemId, leftover.pid, grace.count());
        sendSignal(process.get(), SIGCONT);
        sendSignal(process.get(), SIGTERM);
        if (waitExit(process.get(), grace)) {
            spdlog::info("[{}] the earlier pppd (pid {}) has exited", leftover.modemId, leftover.pid);
            continue;
        }
        spdlog::warn("[{}] the earlier pppd (pid {}) ignored SIGTERM for {} s: SIGKILL", leftover.modemId, leftover.pid,
                     grace.count());
        sendSignal(process.get(), SIGKILL);
        waitExit(process.get(), std::chrono::seconds(1));
    }
}

}  // namespace dialupd
