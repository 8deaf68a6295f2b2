// SPDX-License-Identifier: GPL-2.0-or-later
// Runs a configured program (the power-cycle command, core/escalation.h) without a shell: a clean
// environment, /dev/null for its stdin and stdout, its stderr's first line kept for the message,
// its own session; its exit watched through a pidfd in the loop. A run nobody waits for any more
// is still reaped when it ends.
#pragma once

#include <map>
#include <memory>

#include "core/module_recovery.h"
#include "event_loop.h"

namespace dialupd {

class ProcessCommandRunner final : public CommandRunner {
public:
    explicit ProcessCommandRunner(EventLoop& loop);
    ~ProcessCommandRunner() override;
    ProcessCommandRunner(const ProcessCommandRunner&) = delete;
    ProcessCommandRunner& operator=(const ProcessCommandRunner&) = delete;

    std::unique_ptr<RunningCommand> run(const std::vector<std::string>& argv, Exited exited) override;

private:
    class Child;
    class Handle;
    void reaped(int id);

    EventLoop& loop_;
    int nextId_ = 0;
    std::map<int, std::unique_ptr<Child>> children_;
};

}  // namespace dialupd
