// SPDX-License-Identifier: GPL-2.0-or-later
#include "module_recovery.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace dialupd {
namespace {

double secondsBetween(std::chrono::microseconds from, std::chrono::microseconds to) {
    return std::chrono::duration<double>(to - from).count();
}

double seconds(std::chrono::milliseconds span) { return std::chrono::duration<double>(span).count(); }

}  // namespace

std::string_view toString(ModuleRecovery::Step step) {
    using Step = ModuleRecovery::Step;
    switch (step) {
        case Step::Idle:
            return "idle";
        case Step::Probe:
            return "probe";
        case Step::EscapeGuardBefore:
            return "guard time before '+++'";
        case Step::EscapePlus:
            return "'+++' and the guard time after";
        case Step::EscapeHangUp:
            return "ATH";
        case Step::EscapeCheck:
            return "AT after ATH";
        case Step::Reboot:
            return "AT+CFUN=1,1";
        case Step::PowerCycle:
            return "the power-cycle command";
        case Step::AwaitPause:
            return "waiting for the module to return";
        case Step::AwaitAnswer:
            return "AT while waiting for the module to return";
        case Step::Done:
            return "done";
    }
    return "unknown";
}

std::string_view toString(ModuleRecovery::Rung rung) {
    using Rung = ModuleRecovery::Rung;
    switch (rung) {
        case Rung::Probe:
            return "probe";
        case Rung::Escape:
            return "escape";
        case Rung::Reboot:
            return "reboot";
        case Rung::UsbReset:
            return "usb-reset";
        case Rung::PowerCycle:
            return "power-cycle";
    }
    return "unknown";
}

std::chrono::milliseconds RecoveryLimits::overallBound() const {
    if (overall.count() > 0) return overall;
    // probe, guard, '+++' with the guard after, ATH, AT, AT+CFUN=1,1 (5 answers), and up to two
    // awaited returns (after the restart, after the USB reset), each overshooting by a poll and
    // an answer at most.
    auto ladder = answer + guard + (guard + answer) + answer + answer + 5 * answer + 2 * (rebootWait + poll + answer);
    // Started at the power cycle: the command, then one awaited return.
    ladder = std::max(ladder, command + rebootWait + poll + answer);
    return ladder + std::chrono::milliseconds(10000);
}

ModuleRecovery::ModuleRecovery(AtPortOpener& ports, Scheduler& scheduler, UsbResetter* usbResetter,
                               RecoveryLimits limits, Note note, CommandRunner* commands, std::string powerCycleCommand)
    : scheduler_(scheduler),
      usbResetter_(usbResetter),
      limits_(limits),
      note_(std::move(note)),
      commands_(commands),
      powerCycleCommand_(std::move(powerCycleCommand)),
      session_(ports, scheduler, {.unsolicited = {}, .closed = [this](std::string_view) { portHungUp_ = true; }}) {}

void ModuleRecovery::start(std::function<RecoveryPorts()> ports, Done done, Rung from) {
    where_ = std::move(ports);
    done_ = std::move(done);
    startedAt_ = scheduler_.monotonicNow();
    overallTimer_ = scheduler_.after(limits_.overallBound(), [this] {
        auto fired = std::move(overallTimer_);
        overrun();
    });
    // The first step runs on a later turn: `done` must never come from inside start().
    session_.later([this, generation = generation_, from] {
        if (generation != generation_ || !done_) return;
        switch (from) {
            case Rung::Probe:
            case Rung::Escape:
                probe();
                return;
            case Rung::Reboot:
                reboot();
                return;
            case Rung::UsbReset:
                usbReset();
                return;
            case Rung::PowerCycle:
                powerCycle();
                return;
        }
    });
}

// --- talking to a port -------------------------------------------------------------------

bool ModuleRecovery::openPort(const std::string& path) {
    openFailedAbsent_ = false;
    try {
        session_.open(path);
    } catch (const AtPortError& error) {
        lastTryProblem_ = error.what();
        openFailedAbsent_ = error.kind() == AtPortError::Kind::Absent;
        return false;
    }
    return true;
}

AtSession::Callback ModuleRecovery::continueWith(Then then) {
    return [this, generation = generation_, then = std::move(then)](AtResult result) {
        Outcome outcome = Outcome::Silent;
        std::string detail = result.lastLine;
        switch (result.end) {
            case AtResult::End::Final:
                outcome = result.ok() ? Outcome::Ok : Outcome::Failed;
                detail = result.finalLine;
                break;
            case AtResult::End::Timeout:
                break;
            case AtResult::End::Closed:
                outcome = Outcome::Closed;
                detail = result.closedWhy;
                break;
        }
        // Never continue from inside the channel's callback (the next step may close it), and
        // not at all once the recovery has ended meanwhile (its overall bound).
        session_.later([this, generation, then, outcome, detail = std::move(detail)] {
            if (generation == generation_ && done_) then(outcome, detail);
        });
    };
}

void ModuleRecovery::command(std::string_view text, std::chrono::milliseconds timeout, Then then) {
    session_.send(text, timeout, continueWith(std::move(then)));
}

void ModuleRecovery::escapeSequence(std::chrono::milliseconds timeout, Then then) {
    session_.sendRaw("+++", timeout, continueWith(std::move(then)));
}

void ModuleRecovery::quiet(std::chrono::milliseconds span, Then then) {
    session_.guard(span, continueWith(std::move(then)));
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
    command("AT", limits_.answer, [this](Outcome outcome, const std::string& detail) {
        if (outcome == Outcome::Ok) {
            session_.close();
            note_("recovery: the module answers OK: nothing to recover");
            finish(Rung::Probe);
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
    quiet(limits_.guard, [this](Outcome outcome, const std::string& detail) {
        if (outcome == Outcome::Closed) {
            portLost("the guard time before '+++'", detail);
            return;
        }
        escapePlus();
    });
}

void ModuleRecovery::escapePlus() {
    step_ = Step::EscapePlus;
    escapeSequence(limits_.guard + limits_.answer, [this](Outcome outcome, const std::string& detail) {
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
        session_.close();
        reboot();
    });
}

void ModuleRecovery::escapeHangUp() {
    step_ = Step::EscapeHangUp;
    command("ATH", limits_.answer, [this](Outcome outcome, const std::string& detail) {
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
    command("AT", limits_.answer, [this](Outcome outcome, const std::string& detail) {
        if (outcome == Outcome::Ok) {
            session_.close();
            note_("recovery: the module is back in command mode after '+++' and ATH");
            finish(Rung::Escape);
            return;
        }
        if (outcome == Outcome::Closed) {
            portLost("the AT after ATH", detail);
            return;
        }
        note_(fmt::format("recovery: after '+++' and ATH, AT still got {}", detail.empty() ? "nothing" : detail));
        session_.close();
        reboot();
    });
}

void ModuleRecovery::portLost(std::string_view during, const std::string& why) {
    // The escape cannot go on over a port that is gone: the next rung does not need it.
    note_(fmt::format("recovery: {} hung up during {} ({})", session_.isOpen() ? session_.path() : "the port", during,
                      why));
    session_.close();
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
            awaitReturn(Rung::Reboot);
            return;
        }
        usbReset();
        return;
    }
    command("AT+CFUN=1,1", limits_.answer * 5, [this](Outcome outcome, const std::string& detail) {
        session_.close();
        // A module that restarts at once may close its port before the OK: that counts too.
        if (outcome == Outcome::Ok || outcome == Outcome::Closed) {
            if (outcome == Outcome::Closed)
                note_(fmt::format("recovery: the AT port hung up before its OK ({}): the module restarts", detail));
            awaitReturn(Rung::Reboot);
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
    awaitReturn(Rung::UsbReset);
}

void ModuleRecovery::powerCycle() {
    step_ = Step::PowerCycle;
    if (powerCycleCommand_.empty() || !commands_) {
        note_(powerCycleCommand_.empty() ? "recovery, power cycle: skipped: no power-cycle-command is configured"
                                         : "recovery, power cycle: skipped: this daemon cannot run commands");
        finish(std::nullopt);
        return;
    }
    note_(fmt::format("recovery, power cycle: running {}", powerCycleCommand_));
    try {
        running_ = commands_->run({powerCycleCommand_}, [this, generation = generation_](const std::string& problem) {
            // From the loop; never once the recovery has ended (its bound, a cancel).
            if (generation != generation_ || !done_) return;
            running_.reset();
            commandTimer_.reset();
            if (!problem.empty()) {
                note_(fmt::format("recovery: {} failed: {}", powerCycleCommand_, problem));
                finish(std::nullopt, "the power-cycle command failed");
                return;
            }
            note_(fmt::format("recovery: {} exited with status 0", powerCycleCommand_));
            awaitReturn(Rung::PowerCycle);
        });
    } catch (const std::exception& error) {
        note_(fmt::format("recovery: cannot run {}: {}", powerCycleCommand_, error.what()));
        finish(std::nullopt, "the power-cycle command could not be started");
        return;
    }
    commandTimer_ = scheduler_.after(limits_.command, [this] {
        auto fired = std::move(commandTimer_);
        running_.reset();
        note_(fmt::format("recovery: {} still runs after {:.0f} s: no longer waiting for it", powerCycleCommand_,
                          seconds(limits_.command)));
        finish(std::nullopt, "the power-cycle command did not end");
    });
}

void ModuleRecovery::awaitReturn(Rung rung) {
    awaiting_ = rung;
    awaitDeadline_ = scheduler_.monotonicNow() + limits_.rebootWait;
    lastTryProblem_.clear();
    note_(fmt::format("recovery: waiting up to {:.0f} s for the modem port to answer AT", seconds(limits_.rebootWait)));
    pause();
}

void ModuleRecovery::pause() {
    // No port is open here: only the timer ends this wait.
    step_ = Step::AwaitPause;
    quiet(limits_.poll, [this](Outcome, const std::string&) { tryReturn(); });
}

void ModuleRecovery::tryReturn() {
    step_ = Step::AwaitAnswer;
    if (!openPort(where_().modemPort)) {  // still re-enumerating, typically
        nextTry();
        return;
    }
    command("AT", limits_.answer, [this](Outcome outcome, const std::string& detail) {
        session_.close();
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
    session_.close();
    if (scheduler_.monotonicNow() + limits_.poll > awaitDeadline_) {
        note_(fmt::format("recovery: the modem port did not answer within {:.0f} s ({})", seconds(limits_.rebootWait),
                          lastTryProblem_.empty() ? "silent" : lastTryProblem_));
        if (awaiting_ == Rung::Reboot)
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

void ModuleRecovery::finish(std::optional<Rung> recoveredBy, std::string_view failure) {
    if (!done_) return;
    ++generation_;  // whatever is still on its way finds the recovery over
    step_ = Step::Done;
    overallTimer_.reset();
    commandTimer_.reset();
    running_.reset();
    session_.close();
    double took = secondsBetween(startedAt_, scheduler_.monotonicNow());
    if (!recoveredBy)
        note_(fmt::format("recovery: gave up after {:.1f} s: {}", took, failure));
    else if (*recoveredBy != Rung::Probe)
        note_(fmt::format("recovery: module recovered by {} in {:.1f} s", toString(*recoveredBy), took));
    std::optional<std::string> rung;
    if (recoveredBy) rung = std::string(toString(*recoveredBy));
    session_.later([done = std::move(done_), rung = std::move(rung)] { done(rung); });
    done_ = nullptr;
}

}  // namespace dialupd
