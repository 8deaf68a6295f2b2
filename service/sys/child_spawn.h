// SPDX-License-Identifier: GPL-2.0-or-later
// fork/exec of a helper program the daemon runs (pppd, resolvconf): a clean environment, only the
// fds it is given, signals reset, and a pidfd to watch its exit in the loop. exec's failure is
// reported back through a close-on-exec pipe, so "no such program" is an error here, not a
// mysterious exit status 127 later.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "unique_fd.h"

namespace dialupd {

struct ChildSpawn {
    std::vector<std::string> argv;  // argv[0] is the program's path (no PATH search)
    std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    // The parent's fds that become the child's 0, 1, 2, ... in order (-1: left closed). Every
    // other fd is closed in the child.
    std::vector<int> fds;
    bool newSession = true;  // setsid: its own session and process group, away from our terminal
    int deathSignal = 0;     // PR_SET_PDEATHSIG: sent to the child when the daemon dies (0: none)
};

struct SpawnedChild {
    pid_t pid = 0;
    UniqueFd pidfd;
};

// Throws dialupd::Error(kSpawnFailed) naming what failed (fork, exec of argv[0], pidfd_open);
// nothing is left running then.
SpawnedChild spawnChild(const ChildSpawn& spawn);

struct ChildExit {
    bool signaled = false;  // killed by signal `code`, else exited with status `code`
    int code = 0;
};

// Reaps the child behind `pidfd` if it has exited (nullopt while it runs).
std::optional<ChildExit> reapChild(int pidfd);

}  // namespace dialupd
