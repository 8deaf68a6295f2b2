// SPDX-License-Identifier: GPL-2.0-or-later
// The real PppdRunner: fork/exec of pppd with its pipes, watched through a pidfd in our loop.
#pragma once

#include "core/pppd_runner.h"
#include "event_loop.h"

namespace dialupd {

class SystemPppdRunner final : public PppdRunner {
public:
    explicit SystemPppdRunner(EventLoop& loop) : loop_(loop) {}
    std::unique_ptr<PppdProcess> start(const PppdLaunch& launch, PppdObserver& observer) override;

private:
    EventLoop& loop_;
};

}  // namespace dialupd
