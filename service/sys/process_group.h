// SPDX-License-Identifier: GPL-2.0-or-later
// Who is in a process group, read from /proc: whether pppd left anyone behind in its group.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace dialupd {

struct GroupMember {
    pid_t pid = 0;
    std::string name;  // /proc/PID/comm, as the kernel has it
};

// The live processes of group `pgid` except `leader` (zombies are no leftovers), found in
// `procDir` (/proc; a parameter for tests). Processes that go away while being read are
// skipped; at most `limit` are returned, so a fork bomb in the group cannot make this
// unbounded. A /proc that hides other processes (hidepid) gives an empty answer, so callers
// must not rely on it to decide on killing.
std::vector<GroupMember> processGroupMembers(pid_t pgid, pid_t leader, const std::string& procDir = "/proc",
                                             size_t limit = 16);

}  // namespace dialupd
