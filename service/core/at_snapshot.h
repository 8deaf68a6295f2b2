// SPDX-License-Identifier: GPL-2.0-or-later
// The diagnostic snapshot taken after a call ended by itself: what the module says about the
// last failure, signal, SIM, registration, operator and bearer, asked over its AT port. Each
// command has its own timeout and the whole is bounded, so the Hangup it feeds is never held
// up long by an absent, busy or silent port: such a port is recorded as what it is.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "at_channel.h"
#include "at_session.h"
#include "scheduler.h"

namespace dialupd {

struct AtSnapshotLimits {
    std::chrono::milliseconds total{3000};
    std::chrono::milliseconds perCommand{1000};
};

// The commands, in order. AT+QENG="servingcell" only goes to a module that said it is a
// Quectel in its ATI answer (other vendors answer ERROR, or worse, nothing).
const std::vector<std::string>& atSnapshotCommands();

class AtSnapshot final {
public:
    using Done = std::function<void(std::string text)>;

    AtSnapshot(AtPortOpener& opener, Scheduler& scheduler, AtSnapshotLimits limits);
    ~AtSnapshot() = default;  // abandons a snapshot in progress: `done` is not called
    AtSnapshot(const AtSnapshot&) = delete;
    AtSnapshot& operator=(const AtSnapshot&) = delete;

    // Runs the snapshot on `port`; `done` gets the section's text (always, even on failure),
    // called from a later turn of the loop, never from inside start().
    void start(const std::string& port, Done done);

private:
    struct Question {
        std::string command;
        bool asksIdentity = false;  // its answer says whether AT+QENG follows
    };

    void askNext();
    void answered(AtResult result);
    void finish(std::string_view why);
    void record(std::string line);

    Scheduler& scheduler_;
    AtSnapshotLimits limits_;
    AtSession session_;
    std::unique_ptr<TimerHandle> totalTimer_;
    Done done_;
    std::string port_;
    std::string text_;
    std::vector<Question> queue_;
    Question current_;  // the one waiting for its answer
};

// "+CME ERROR: 10" -> "+CME ERROR: 10 (SIM not inserted)"; other lines unchanged.
std::string explainAtError(std::string_view line);

}  // namespace dialupd
