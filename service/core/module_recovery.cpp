#include "module_recovery.h"

#include <array>
#include <stdexcept>

#include <fmt/format.h>

#include "text.h"

namespace dialupd {
namespace {

double secondsBetween(std::chrono::microseconds from, std::chrono::microseconds to) {
    return std::chrono::duration<double>(to - from).count();
}

double seconds(std::chrono::milliseconds span) { return std::chrono::duration<double>(span).count(); }

}  // namespace

bool isFinalResult(std::string_view line) {
    static constexpr std::array<std::string_view, 7> kFinal = {"OK",          "ERROR",   "NO CARRIER", "BUSY",
                                                               "NO DIALTONE", "NO ANSWER", "CONNECT"};
    for (std::string_view final : kFinal)
        if (line == final || (final == "CONNECT" && line.starts_with("CONNECT "))) return true;
    return line.starts_with("+CME ERROR:") || line.starts_with("+CMS ERROR:");
}

std::string_view toString(ModuleRecovery::Step step) {
    using Step = ModuleRecovery::Step;
    switch (step) {
    case Step::Idle: return "idle";
    case Step::Probe: return "probe";
    case Step::EscapeGuardBefore: return "guard time before '+++'";
    case Step::EscapePlus: return "'+++' and the guard time after";
    case Step::EscapeHangUp: return "ATH";
    case Step::EscapeCheck: return "AT after ATH";
    case Step::Reboot: return "AT+CFUN=1,1";
    case Step::AwaitPause: return "waiting for the module to return";
    case Step::AwaitAnswer: return "AT while waiting for the module to return";
    case Step::Done: return "done";
    }
    return "unknown";
}

std::chrono::milliseconds RecoveryLimits::overallBound() const {
    if (overall.count() > 0) return overall;
    // probe, guard, '+++' with the guard after, ATH, AT, AT+CFUN=1,1 (5 answers), and up to two
    // awaited returns (after the restart, after the USB reset), each overshooting by a poll and
    // an answer at most.
    auto ladder = answer + guard + (guard + answer) + answer + answer + 5 * answer + 2 * (rebootWait + poll + answer);
    return ladder + std::chrono::milliseconds(10000);
}

// Destroyed channel first (members go in reverse order), then the listener it was calling.
struct ModuleRecovery::OpenPort {
    std::string path;
    std::unique_ptr<Listener> listener;
    std::unique_ptr<AtChannel> channel;
    bool closed = false;
    std::string closedWhy;
};

// Hears one opened channel only. A channel lives on for a turn after it is let go (it may be
// closed from inside its own callback), and a tty that hangs up then must not end the wait of
// whatever step came next; nor may it reach a recovery that has been destroyed meanwhile.
class ModuleRecovery::Listener final : public AtChannelObserver {
public:
    Listener(ModuleRecovery& owner, std::shared_ptr<bool> alive) : owner_(owner), alive_(std::move(alive)) {}
    void atLine(std::string_view line) override {
        if (current()) owner_.portLine(line);
    }
    void atClosed(std::string_view why) override {
        if (current()) owner_.portClosed(why);
    }

private:
    bool current() const { return *alive_ && owner_.port_ && owner_.port_->listener.get() == this; }

    ModuleRecovery& owner_;
    std::shared_ptr<bool> alive_;
};

ModuleRecovery::ModuleRecovery(AtPortOpener& ports, Scheduler& scheduler, UsbResetter* usbResetter,
                               RecoveryLimits limits, Note note)
    : ports_(ports), scheduler_(scheduler), usbResetter_(usbResetter), limits_(limits), note_(std::move(note)) {}

ModuleRecovery::~ModuleRecovery() { *alive_ = false; }

void ModuleRecovery::start(std::function<RecoveryPorts()> ports, Done done) {
    where_ = std::move(ports);
    done_ = std::move(done);
    startedAt_ = scheduler_.monotonicNow();
    overallTimer_ = scheduler_.after(limits_.overallBound(), [this] {
        auto fired = std::move(overallTimer_);
        overrun();
    });
    // The first step runs on a later turn: `done` must never come from inside start().
    unsigned generation = generation_;
    scheduler_.defer([this, alive = alive_, generation] {
        if (*alive && generation == generation_ && done_) probe();
    });
}

// --- talking to a port -------------------------------------------------------------------

bool ModuleRecovery::openPort(const std::string& path) {
    closePort();
    openFailedAbsent_ = false;
    auto port = std::make_unique<OpenPort>();
    port->path = path;
    port->listener = std::make_unique<Listener>(*this, alive_);
    try {
        port->channel = ports_.open(path, *port->listener);
    } catch (const AtPortError& error) {
        lastTryProblem_ = error.what();
        openFailedAbsent_ = error.kind() == AtPortError::Kind::Absent;
        return false;
    }
    port_ = std::move(port);
    return true;
}

void ModuleRecovery::closePort() {
    if (!port_) return;
    // This may run inside the channel's own callback: let it go on a later turn.
    scheduler_.defer([port = std::shared_ptr<OpenPort>(std::move(port_))] {});
}

void ModuleRecovery::send(std::string_view text, bool raw) {
    if (!port_ || port_->closed) return;  // the wait that follows ends as Closed
    lastLine_.clear();
    if (raw)
        port_->channel->sendRaw(text);
    else
        port_->channel->send(text);
}

void ModuleRecovery::wait(std::chrono::milliseconds timeout, bool answerEnds, Then then) {
    wait_ = Wait{std::move(then), answerEnds};
    timer_ = scheduler_.after(timeout, [this] { end(Outcome::Silent, lastLine_); });
    if (port_ && port_->closed) end(Outcome::Closed, port_->closedWhy);
}

void ModuleRecovery::portLine(std::string_view raw) {
    // The module's text enters the core here: what is kept of it (notes, the Reset reply) is clean.
    std::string line = sanitizeText(raw);
    if (line.empty()) return;
    lastLine_ = line;
    if (!wait_ || !wait_->answerEnds || !isFinalResult(line)) return;
    end(line == "OK" ? Outcome::Ok : Outcome::Failed, line);
}

void ModuleRecovery::portClosed(std::string_view why) {
    port_->closed = true;
    port_->closedWhy = std::string(why);
    portHungUp_ = true;
    end(Outcome::Closed, std::string(why));
}

void ModuleRecovery::end(Outcome outcome, std::string detail) {
    if (!wait_) return;
    timer_.reset();
    Then then = std::move(wait_->then);
    wait_.reset();
    // Never continue from inside the channel's callback (the next step may close it), and not
    // at all once the recovery has ended meanwhile (its overall bound).
    unsigned generation = generation_;
    scheduler_.defer([this, alive = alive_, generation, then = std::move(then), outcome, detail = std::move(detail)] {
        if (*alive && generation == generation_ && done_) then(outcome, detail);
    });
}

// --- the rungs ---------------------------------------------------------------------------

void ModuleRecovery::probe() {
    step_ = Step::Probe;
    std::string port = where_().modemPort;
    note_(fmt::format("recovery: does the module answer AT on {}?", port));
    if (!openPort(port)) {
        note_(fmt::format("recovery: cannot open {}: {}", port, lastTryProblem_));
        reboot();
        return;
    }
    send("AT", false);
    wait(limits_.answer, true, [this](Outcome outcome, const std::string& detail) {
        if (outcome == Outcome::Ok) {
            closePort();
            note_("recovery: the module answers OK: nothing to recover");
            finish("probe");
            return;
        }
        if (outcome == Outcome::Closed) {
            portLost("the probe", detail);
            return;
        }
        note_(outcome == Outcome::Silent ? "recovery: no answer to AT: the module may be stuck in data mode"
                                         : fmt::format("recovery: AT answered '{}'", detail));
        escapeGuard();
    });
}

void ModuleRecovery::escapeGuard() {
    // The port stays open from the probe: "+++" only counts between two guard times of silence.
    step_ = Step::EscapeGuardBefore;
    note_(fmt::format("recovery, step 1 of 3: escape to command mode ('+++' with {:.1f} s guard times, then ATH)",
                      seconds(limits_.guard)));
    wait(limits_.guard, false, [this](Outcome outcome, const std::string& detail) {
        if (outcome == Outcome::Closed) {
            portLost("the guard time before '+++'", detail);
            return;
        }
        escapePlus();
    });
}

void ModuleRecovery::escapePlus() {
    step_ = Step::EscapePlus;
    send("+++", true);
    wait(limits_.guard + limits_.answer, true, [this](Outcome outcome, const std::string& detail) {
        if (outcome == Outcome::Ok) {
            escapeHangUp();
            return;
        }
        if (outcome == Outcome::Closed) {
            portLost("the guard time after '+++'", detail);
            return;
        }
        note_(outcome == Outcome::Silent ? "recovery: no OK after '+++'"
                                         : fmt::format("recovery: '+++' got '{}'", detail));
        closePort();
        reboot();
    });
}

void ModuleRecovery::escapeHangUp() {
    step_ = Step::EscapeHangUp;
    send("ATH", false);
    wait(limits_.answer, true, [this](Outcome outcome, const std::string& detail) {
        if (outcome == Outcome::Closed) {
            portLost("ATH", detail);
            return;
        }
        // ATH may answer NO CARRIER when no call is left: the AT that follows decides.
        escapeCheck();
    });
}

void ModuleRecovery::escapeCheck() {
    step_ = Step::EscapeCheck;
    send("AT", false);
    wait(limits_.answer, true, [this](Outcome outcome, const std::string& detail) {
        if (outcome == Outcome::Ok) {
            closePort();
            note_("recovery: the module is back in command mode after '+++' and ATH");
            finish("escape");
            return;
        }
        if (outcome == Outcome::Closed) {
            portLost("the AT after ATH", detail);
            return;
        }
        note_(fmt::format("recovery: after '+++' and ATH, AT still got {}", detail.empty() ? "nothing" : detail));
        closePort();
        reboot();
    });
}

void ModuleRecovery::portLost(std::string_view during, const std::string& why) {
    // The escape cannot go on over a port that is gone: the next rung does not need it.
    note_(fmt::format("recovery: {} hung up during {} ({})", port_ ? port_->path : "the port", during, why));
    closePort();
    reboot();
}

void ModuleRecovery::reboot() {
    step_ = Step::Reboot;
    RecoveryPorts ports = where_();
    if (ports.atPort.empty() || ports.atPort == ports.modemPort) {
        note_("recovery, step 2 of 3: skipped: no separate AT port to send AT+CFUN=1,1 on");
        usbReset();
        return;
    }
    note_(fmt::format("recovery, step 2 of 3: restart the module (AT+CFUN=1,1 on {})", ports.atPort));
    if (!openPort(ports.atPort)) {
        note_(fmt::format("recovery: cannot open {}: {}", ports.atPort, lastTryProblem_));
        if (portHungUp_ && openFailedAbsent_) {
            // Hung up, and now its other port is gone too: the module restarts (re-enumerates) by
            // itself, as a rebooting module does. Wait for it as after our own restart.
            note_("recovery: its port hung up and the AT port is gone: the module seems to restart by itself");
            awaitReturn("reboot");
            return;
        }
        usbReset();
        return;
    }
    send("AT+CFUN=1,1", false);
    wait(limits_.answer * 5, true, [this](Outcome outcome, const std::string& detail) {
        closePort();
        // A module that restarts at once may close its port before the OK: that counts too.
        if (outcome == Outcome::Ok || outcome == Outcome::Closed) {
            if (outcome == Outcome::Closed)
                note_(fmt::format("recovery: the AT port hung up before its OK ({}): the module restarts", detail));
            awaitReturn("reboot");
            return;
        }
        note_(fmt::format("recovery: AT+CFUN=1,1 got {}", detail.empty() ? "no answer" : "'" + detail + "'"));
        usbReset();
    });
}

void ModuleRecovery::usbReset() {
    std::string usbPath = where_().usbPortPath;
    if (usbPath.empty() || !usbResetter_) {
        note_(usbPath.empty() ? "recovery, step 3 of 3: skipped: not a USB modem, no USB reset"
                              : "recovery, step 3 of 3: skipped: USB reset is not available in this daemon");
        finish(std::nullopt);
        return;
    }
    note_(fmt::format("recovery, step 3 of 3: reset USB device {} (de-authorize, re-authorize)", usbPath));
    try {
        usbResetter_->reset(usbPath);
    } catch (const std::exception& error) {
        note_(fmt::format("recovery: USB reset failed: {}", error.what()));
        finish(std::nullopt);
        return;
    }
    awaitReturn("usb-reset");
}

void ModuleRecovery::awaitReturn(std::string rung) {
    awaiting_ = std::move(rung);
    awaitDeadline_ = scheduler_.monotonicNow() + limits_.rebootWait;
    lastTryProblem_.clear();
    note_(fmt::format("recovery: waiting up to {:.0f} s for the modem port to answer AT", seconds(limits_.rebootWait)));
    pause();
}

void ModuleRecovery::pause() {
    // No port is open here: only the timer ends this wait.
    step_ = Step::AwaitPause;
    wait(limits_.poll, false, [this](Outcome, const std::string&) { tryReturn(); });
}

void ModuleRecovery::tryReturn() {
    step_ = Step::AwaitAnswer;
    if (!openPort(where_().modemPort)) {  // still re-enumerating, typically
        nextTry();
        return;
    }
    send("AT", false);
    wait(limits_.answer, true, [this](Outcome outcome, const std::string& detail) {
        closePort();
        if (outcome == Outcome::Ok) {
            note_(fmt::format("recovery: {} answers OK again", where_().modemPort));
            finish(awaiting_);
            return;
        }
        if (outcome == Outcome::Closed)
            lastTryProblem_ = "hung up: " + detail;
        else
            lastTryProblem_ = detail.empty() ? "no answer" : detail;
        nextTry();
    });
}

void ModuleRecovery::nextTry() {
    closePort();
    if (scheduler_.monotonicNow() + limits_.poll > awaitDeadline_) {
        note_(fmt::format("recovery: the modem port did not answer within {:.0f} s ({})", seconds(limits_.rebootWait),
                          lastTryProblem_.empty() ? "silent" : lastTryProblem_));
        if (awaiting_ == "reboot")
            usbReset();
        else
            finish(std::nullopt);
        return;
    }
    pause();
}

void ModuleRecovery::overrun() {
    note_(fmt::format("recovery: still at step '{}' after {:.0f} s, longer than the whole ladder can take",
                      toString(step_), seconds(limits_.overallBound())));
    finish(std::nullopt, "the recovery overran its bound");
}

void ModuleRecovery::finish(std::optional<std::string> recoveredBy, std::string_view failure) {
    if (!done_) return;
    ++generation_;  // whatever is still on its way finds the recovery over
    step_ = Step::Done;
    wait_.reset();
    timer_.reset();
    overallTimer_.reset();
    closePort();
    double took = secondsBetween(startedAt_, scheduler_.monotonicNow());
    if (!recoveredBy)
        note_(fmt::format("recovery: gave up after {:.1f} s: {}", took, failure));
    else if (*recoveredBy != "probe")
        note_(fmt::format("recovery: module recovered by {} in {:.1f} s", *recoveredBy, took));
    Done done = std::move(done_);
    done_ = nullptr;
    scheduler_.defer([alive = alive_, done = std::move(done), recoveredBy] {
        if (*alive) done(recoveredBy);
    });
}

}  // namespace dialupd
