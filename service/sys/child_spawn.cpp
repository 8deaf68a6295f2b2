// SPDX-License-Identifier: GPL-2.0-or-later
#include "child_spawn.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

// glibc 2.36's sys/pidfd.h lacks the C++ guards.
extern "C" {
#include <sys/pidfd.h>
}

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"

namespace dialupd {
namespace {

[[noreturn]] void spawnFailed(const std::string& what, int error) {
    throw Error(error_name::kSpawnFailed, fmt::format("{}: {}", what, std::strerror(error)));
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (std::string& text : strings) result.push_back(text.data());
    result.push_back(nullptr);
    return result;
}

// The child between fork and exec: only async-signal-safe calls. Never returns.
[[noreturn]] void execChild(const int* sources, int count, int execError, pid_t parent, bool newSession,
                            int deathSignal, char* const argv[], char* const envp[]) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);  // our loop blocks signals; the child needs them
    for (int signal = 1; signal < NSIG; ++signal) ::signal(signal, SIG_DFL);
    if (deathSignal != 0) {
        prctl(PR_SET_PDEATHSIG, deathSignal);
        if (getppid() != parent) _exit(127);  // the daemon died before the line above
    }
    if (newSession) setsid();

    // Move everything above the target range first, so no dup2 clobbers a source still needed.
    int high[16];
    for (int i = 0; i < count; ++i) high[i] = sources[i] >= 0 ? fcntl(sources[i], F_DUPFD_CLOEXEC, 3 + count) : -1;
    int errorFd = fcntl(execError, F_DUPFD_CLOEXEC, 3 + count);
    for (int i = 0; i < count; ++i) {
        if (high[i] >= 0)
            dup2(high[i], i);  // dup2 clears close-on-exec on the target
        else
            close(i);
    }
    int keptError = dup3(errorFd, count, O_CLOEXEC);
    close_range(static_cast<unsigned>(count) + 1, ~0U, 0);

    execve(argv[0], argv, envp);
    int error = errno;
    (void)!write(keptError, &error, sizeof error);
    _exit(127);
}

}  // namespace

SpawnedChild spawnChild(const ChildSpawn& spawn) {
    if (spawn.argv.empty() || spawn.fds.size() > 16) spawnFailed("spawnChild", EINVAL);
    int pipeFds[2];
    if (pipe2(pipeFds, O_CLOEXEC) < 0) spawnFailed("pipe", errno);
    UniqueFd execErrorRead(pipeFds[0]);
    UniqueFd execErrorWrite(pipeFds[1]);

    // Everything the child needs is built before fork: after it, only async-signal-safe calls.
    std::vector<std::string> argvStrings = spawn.argv;
    std::vector<std::string> envStrings = spawn.env;
    std::vector<char*> argv = pointers(argvStrings);
    std::vector<char*> envp = pointers(envStrings);
    const pid_t parent = getpid();

    const pid_t pid = fork();
    if (pid < 0) spawnFailed("fork", errno);
    if (pid == 0)
        execChild(spawn.fds.data(), static_cast<int>(spawn.fds.size()), execErrorWrite.get(), parent, spawn.newSession,
                  spawn.deathSignal, argv.data(), envp.data());

    execErrorWrite.reset();
    int childErrno = 0;
    ssize_t count;
    do {
        count = ::read(execErrorRead.get(), &childErrno, sizeof childErrno);
    } while (count < 0 && errno == EINTR);
    if (count == sizeof childErrno) {
        waitpid(pid, nullptr, 0);
        spawnFailed("cannot execute " + spawn.argv.front(), childErrno);
    }

    UniqueFd pidfd(pidfd_open(pid, 0));
    if (!pidfd) {
        int error = errno;
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        spawnFailed("pidfd_open", error);
    }
    return {pid, std::move(pidfd)};
}

std::optional<ChildExit> reapChild(int pidfd) {
    siginfo_t info{};
    if (waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG) < 0 || info.si_pid == 0)
        return std::nullopt;
    ChildExit exit;
    exit.signaled = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
    exit.code = info.si_status;
    return exit;
}

}  // namespace dialupd
