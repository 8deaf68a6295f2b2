// SPDX-License-Identifier: GPL-2.0-or-later
// One dialupd per runtime directory. A second one started by hand (or by a unit and by hand)
// must not touch the first's pppd or bus objects: it finds out first, from a lock it cannot
// take, and leaves.
#pragma once

#include <stdexcept>
#include <string>

#include "unique_fd.h"

namespace dialupd {

// Another daemon holds the lock; what() names its pid when it wrote one.
class AnotherInstance : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class InstanceLock {
public:
    // flock(LOCK_EX) on <runtimeDir>/dialupd.lock, held until destruction (or the process
    // ends, however it ends: the kernel drops it). Writes our pid into the file for the next
    // one's message. Throws AnotherInstance when someone holds it, std::system_error when the
    // file cannot be opened (a symlink planted there is not followed).
    explicit InstanceLock(const std::string& runtimeDir);

private:
    UniqueFd fd_;
};

// The message a second daemon exits with: "another dialupd (pid N) is running" (without the
// pid when it is unknown).
std::string anotherInstanceMessage(long pid);

}  // namespace dialupd
