// SPDX-License-Identifier: GPL-2.0-or-later
// Requests waiting on a call attempt: a Connect(wait) until the link is up or the attempt ends,
// a Disconnect until pppd has exited. Each is answered once, in the order they came.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "errors.h"

namespace dialupd {

// nullptr: success; otherwise the named error the request failed with.
using Completion = std::function<void(const Error* error)>;

class Waiters {
public:
    void add(Completion done) { waiting_.push_back(std::move(done)); }
    // Takes over `other`'s waiters (a recovery's to the call it precedes, a call's to its IPv4
    // fallback), after its own.
    void adopt(Waiters& other) {
        for (auto& done : other.waiting_) waiting_.push_back(std::move(done));
        other.waiting_.clear();
    }
    // Answers everyone waiting now; one added meanwhile waits for the next finish.
    void finish(const Error* error) {
        auto pending = std::move(waiting_);
        waiting_.clear();
        for (auto& done : pending) done(error);
    }

private:
    std::vector<Completion> waiting_;
};

}  // namespace dialupd
