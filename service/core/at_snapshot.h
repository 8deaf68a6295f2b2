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
#include "scheduler.h"

namespace dialupd {

struct AtSnapshotLimits {
    std::chrono::milliseconds total{3000};
    std::chrono::milliseconds perCommand{1000};
};

// The commands, in order. AT+QENG="servingcell" only goes to a module that said it is a
// Quectel in its ATI answer (other vendors answer ERROR, or worse, nothing).
const std::vector<std::string>& atSnapshotCommands();

class AtSnapshot final : private AtChannelObserver {
public:
    using Done = std::function<void(std::string text)>;

    AtSnapshot(AtPortOpener& opener, Scheduler& scheduler, AtSnapshotLimits limits);
    ~AtSnapshot();  // abandons a snapshot in progress: `done` is not called
    AtSnapshot(const AtSnapshot&) = delete;
    AtSnapshot& operator=(const AtSnapshot&) = delete;

    // Runs the snapshot on `port`; `done` gets the section's text (always, even on failure),
    // called from a later turn of the loop, never from inside start().
    void start(const std::string& port, Done done);
    bool running() const { return static_cast<bool>(done_); }

private:
    void atLine(std::string_view line) override;
    void atClosed(std::string_view why) override;
    void sendNext();
    void commandTimedOut();
    void finish(std::string_view why);
    void record(std::string line);

    AtPortOpener& opener_;
    Scheduler& scheduler_;
    AtSnapshotLimits limits_;
    std::unique_ptr<AtChannel> channel_;
    std::unique_ptr<TimerHandle> commandTimer_;
    std::unique_ptr<TimerHandle> totalTimer_;
    Done done_;
    std::string port_;
    std::string text_;
    std::vector<std::string> queue_;
    std::string current_;                 // the command waiting for its final result
    std::vector<std::string> answer_;     // its lines so far
    std::chrono::microseconds sentAt_{0};
    bool quectel_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// "+CME ERROR: 10" -> "+CME ERROR: 10 (SIM not inserted)"; other lines unchanged.
std::string explainAtError(std::string_view line);

}  // namespace dialupd
