// SPDX-License-Identifier: GPL-2.0-or-later
// pppd processes a previous dialupd left running: after the daemon was SIGKILLed, pppd gets
// SIGTERM from the kernel (PR_SET_PDEATHSIG) and normally closes its link and exits, but a
// pppd that was stopped, or stuck in the kernel, can outlive it. A new daemon must not start a
// second pppd on the same tty. Each call's pppd runs with `linkname dialupd-<modem id>`, so
// pppd writes /run/ppp-dialupd-<id>.pid: that names them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace dialupd {

struct LeftoverPppd {
    std::string modemId;
    pid_t pid = 0;
};

// The live pppd processes of ours named by link pid files in `pidDir`: the pid is alive, its
// /proc comm is "pppd" and its command line has "linkname dialupd-<id>". A pid file whose
// process is gone, or is something else now, is stale and removed.
std::vector<LeftoverPppd> findLeftoverPppd(const std::string& pidDir);

// Stops each as Disconnect would (SIGCONT for a stopped one, then SIGTERM; SIGKILL after
// `grace`), waiting for it to exit. Blocks for at most `grace` plus a second per process.
void stopLeftoverPppd(const std::vector<LeftoverPppd>& leftovers, std::chrono::seconds grace);

}  // namespace dialupd
