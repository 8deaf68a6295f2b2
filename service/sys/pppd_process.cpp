// SPDX-License-Identifier: GPL-2.0-or-later
#include "pppd_process.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

// glibc 2.36's sys/pidfd.h lacks the C++ guards.
extern "C" {
#include <sys/pidfd.h>
}

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "child_spawn.h"
#include "core/errors.h"
#include "line_reader.h"
#include "process_group.h"
#include "unique_fd.h"

namespace dialupd {
namespace {

[[noreturn]] void spawnFailed(const std::string& what, int error) {
    throw Error(error_name::kSpawnFailed, fmt::format("{}: {}", what, std::strerror(error)));
}

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

Pipe makePipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) spawnFailed("pipe", errno);
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The plugin's report channel is a socket so it can send with MSG_NOSIGNAL: if we die, pppd
// must not die of SIGPIPE before it has closed the link.
Pipe makeReportChannel() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) spawnFailed("socketpair", errno);
    shutdown(fds[0], SHUT_WR);
    shutdown(fds[1], SHUT_RD);
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void setNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// 0600 and created afresh: a file (or symlink) someone left at this path is replaced, not followed.
void writePrivateFile(const std::string& path, const std::string& contents) {
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) spawnFailed("cannot replace " + path, errno);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) spawnFailed("cannot create " + path, errno);
    size_t written = 0;
    while (written < contents.size()) {
        ssize_t count = ::write(fd.get(), contents.data() + written, contents.size() - written);
        if (count < 0 && errno == EINTR) continue;
        if (count < 0) spawnFailed("cannot write " + path, errno);
        written += static_cast<size_t>(count);
    }
}

class SystemPppdProcess final : public PppdProcess {
public:
    SystemPppdProcess(EventLoop& loop, PppdObserver& observer, pid_t pid, UniqueFd pidfd, UniqueFd log, UniqueFd report,
                      std::string chatScriptPath)
        : loop_(loop),
          observer_(observer),
          pid_(pid),
          pidfd_(std::move(pidfd)),
          log_(std::move(log)),
          report_(std::move(report)),
          chatScriptPath_(std::move(chatScriptPath)),
          logLines_([this](std::string_view line) { observer_.pppdLogLine(line); }),
          reportLines_([this](std::string_view line) { deliverReport(line); }) {
        setNonBlocking(log_.get());
        setNonBlocking(report_.get());
        pidWatch_ = loop.watchFd(pidfd_.get(), EPOLLIN, [this](uint32_t) { reap(); });
        logWatch_ = loop.watchFd(log_.get(), EPOLLIN, [this](uint32_t) {
            if (logLines_.readFrom(log_.get()) == LineReader::Result::Closed) logWatch_.reset();
        });
        reportWatch_ = loop.watchFd(report_.get(), EPOLLIN, [this](uint32_t) {
            if (reportLines_.readFrom(report_.get()) == LineReader::Result::Closed) reportWatch_.reset();
        });
    }

    ~SystemPppdProcess() override {
        if (!reaped_) {
            // The core stops pppd before letting go of it; this is the last line of defence
            // against an orphan, so it cannot be graceful.
            spdlog::error("pppd (pid {}) released while still running: killing it", pid_);
            pidfd_send_signal(pidfd_.get(), SIGKILL, nullptr, 0);
            siginfo_t info{};
            waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOWAIT);
            killLeftovers();
            waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
            removeChatScript();
        }
    }

    pid_t pid() const override { return pid_; }

    void sendSignal(int signal) override {
        if (reaped_) return;
        deliver(signal);
        // pppd passes a SIGTERM on to its connect script (chat) only if chat is running when it
        // arrives. One that lands while pppd is still setting up is noted, and pppd acts on it
        // only once chat has finished: on a module that does not answer, after chat's TIMEOUT
        // (30 s), long after the core's stop window. So SIGTERM is repeated until pppd exits;
        // another one changes nothing for a pppd already closing its link.
        if (signal == SIGTERM && !termRepeat_) repeatTerm();
    }

private:
    static constexpr std::chrono::seconds kTermRepeat{2};
    // What a dead pppd can have left unread is what its pipe (64 KiB) and the plugin's socket
    // (its send buffer, ~200 KiB) hold; pppd changes neither. The bound is for a process pppd
    // left outside its process group that still holds the pipe and keeps writing: that must not
    // hold the loop.
    static constexpr size_t kFinalDrainBytes = 1024 * 1024;

    void deliver(int signal) {
        // Through the pidfd: a recycled pid can never receive it.
        if (pidfd_send_signal(pidfd_.get(), signal, nullptr, 0) < 0)
            spdlog::warn("cannot send signal {} to pppd (pid {}): {}", signal, pid_, std::strerror(errno));
    }

    void repeatTerm() {
        termRepeat_ = loop_.after(kTermRepeat, [this] {
            if (reaped_) return;
            spdlog::debug("pppd (pid {}) still runs {} s after SIGTERM: SIGTERM again", pid_, kTermRepeat.count());
            deliver(SIGTERM);
            repeatTerm();
        });
    }

    void deliverReport(std::string_view line) {
        if (auto report = parsePluginReport(line))
            observer_.pppdReport(*report);
        else
            spdlog::warn("pppd plugin sent a malformed report: '{}'", line);
    }

    void reap() {
        siginfo_t info{};
        if (waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOHANG | WNOWAIT) < 0 ||
            info.si_pid == 0)
            return;
        killLeftovers();
        if (waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOHANG) < 0 || info.si_pid == 0) return;
        reaped_ = true;
        pidWatch_.reset();
        termRepeat_.reset();
        // Whatever pppd wrote before dying is still in the pipes: deliver it before the exit, all
        // of it, not one wakeup's worth.
        if (reportWatch_) reportLines_.readFrom(report_.get(), kFinalDrainBytes);
        reportLines_.flush();
        if (logWatch_) logLines_.readFrom(log_.get(), kFinalDrainBytes);
        logLines_.flush();
        reportWatch_.reset();
        logWatch_.reset();
        removeChatScript();
        ProcessExit exit;
        exit.signaled = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
        exit.code = info.si_status;
        observer_.pppdExited(exit);  // last: the observer may schedule our destruction
    }

    // pppd leads a session and process group of its own (setsid before exec), where its
    // connect script runs. A pppd that died abruptly (SIGKILL after the stop window, killed from
    // outside, a crash) leaves chat running, talking to the module, adopted by init. Called while
    // pppd is an unreaped zombie, so its pid, the group's id, cannot have been reused.
    // The kill succeeds on a group whose only member is pppd's zombie, so it says nothing about
    // leftovers: /proc does. The group is killed whatever /proc shows (it may hide processes).
    void killLeftovers() {
        const std::vector<GroupMember> others = processGroupMembers(pid_, pid_);
        if (::kill(-pid_, SIGKILL) < 0 || others.empty()) return;
        std::string names;
        for (const GroupMember& member : others)
            names += fmt::format("{}{} (pid {})", names.empty() ? "" : ", ", member.name, member.pid);
        spdlog::warn("pppd (pid {}) left processes behind: {}: killed them", pid_, names);
    }

    void removeChatScript() {
        if (::unlink(chatScriptPath_.c_str()) < 0 && errno != ENOENT)
            spdlog::warn("cannot remove {}: {}", chatScriptPath_, std::strerror(errno));
    }

    EventLoop& loop_;
    PppdObserver& observer_;
    pid_t pid_;
    UniqueFd pidfd_;
    UniqueFd log_;
    UniqueFd report_;
    std::string chatScriptPath_;
    LineReader logLines_;
    LineReader reportLines_;
    std::unique_ptr<EventSource> pidWatch_;
    std::unique_ptr<EventSource> logWatch_;
    std::unique_ptr<EventSource> reportWatch_;
    std::unique_ptr<TimerHandle> termRepeat_;
    bool reaped_ = false;
};

}  // namespace

std::unique_ptr<PppdProcess> SystemPppdRunner::start(const PppdLaunch& launch, PppdObserver& observer) {
    writePrivateFile(launch.chatScriptPath, launch.chatScript);

    UniqueFd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!devNull) spawnFailed("cannot open /dev/null", errno);
    Pipe log = makePipe();
    Pipe report = makeReportChannel();
    Pipe secret = makePipe();

    // The password goes into the pipe before pppd exists: at most 255 bytes into an empty pipe
    // never block, and a pppd that dies without reading cannot make this write meet a closed
    // pipe (SIGPIPE). The plugin reads up to end of file.
    if (!launch.secret.empty()) {
        ssize_t written = ::write(secret.write.get(), launch.secret.data(), launch.secret.size());
        if (written != static_cast<ssize_t>(launch.secret.size())) spawnFailed("cannot queue the password", errno);
    }
    secret.write.reset();

    ChildSpawn spawn;
    spawn.argv = launch.argv;
    // pppd's stdin, stdout and stderr, the plugin's report channel and the password.
    spawn.fds = {devNull.get(), log.write.get(), log.write.get(), report.write.get(),
                 launch.secret.empty() ? -1 : secret.read.get()};
    // If the daemon dies, pppd gets SIGTERM and closes the link cleanly instead of lingering.
    spawn.deathSignal = SIGTERM;
    SpawnedChild child;
    try {
        child = spawnChild(spawn);
    } catch (const Error&) {
        ::unlink(launch.chatScriptPath.c_str());
        throw;
    }
    const pid_t pid = child.pid;
    UniqueFd pidfd = std::move(child.pidfd);
    return std::make_unique<SystemPppdProcess>(loop_, observer, pid, std::move(pidfd), std::move(log.read),
                                               std::move(report.read), launch.chatScriptPath);
}

}  // namespace dialupd
