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

}  // namespace

bool isFinalResult(std::string_view line) {
    static constexpr std::array<std::string_view, 7> kFinal = {"OK",          "ERROR",   "NO CARRIER", "BUSY",
                                                               "NO DIALTONE", "NO ANSWER", "CONNECT"};
    for (std::string_view final : kFinal)
        if (line == final || (final == "CONNECT" && line.starts_with("CONNECT "))) return true;
    return line.starts_with("+CME ERROR:") || line.starts_with("+CMS ERROR:");
}

ModuleRecovery::ModuleRecovery(AtPortOpener& ports, Scheduler& scheduler, UsbResetter* usbResetter,
                               RecoveryLimits limits, Note note)
    : ports_(ports), scheduler_(scheduler), usbResetter_(usbResetter), limits_(limits), note_(std::move(note)) {}

ModuleRecovery::~ModuleRecovery() { *alive_ = false; }

void ModuleRecovery::start(std::function<RecoveryPorts()> ports, Done done) {
    where_ = std::move(ports);
    done_ = std::move(done);
    startedAt_ = scheduler_.monotonicNow();
    after(std::chrono::milliseconds(0), [this] { probe(); });
}

// --- talking to a port -------------------------------------------------------------------

bool ModuleRecovery::openPort(const std::string& path) {
    closePort();
    try {
        channel_ = ports_.open(path, *this);
        channelPath_ = path;
        return true;
    } catch (const AtPortError& error) {
        lastTryProblem_ = error.what();
        return false;
    }
}

void ModuleRecovery::closePort() {
    timer_.reset();
    answered_ = nullptr;
    if (!channel_) return;
    // This may run inside the channel's own callback: let it go on a later turn.
    scheduler_.defer([channel = std::shared_ptr<AtChannel>(std::move(channel_))] {});
    channelPath_.clear();
}

void ModuleRecovery::exchange(std::string_view text, bool raw, std::chrono::milliseconds timeout,
                              Answered answered) {
    answered_ = std::move(answered);
    lastLine_.clear();
    timer_ = scheduler_.after(timeout, [this] { answer(Outcome::Silent, lastLine_); });
    if (raw)
        channel_->sendRaw(text);
    else
        channel_->send(text);
}

void ModuleRecovery::atLine(std::string_view raw) {
    // The module's text enters the core here: what is kept of it (notes, the Reset reply) is clean.
    std::string line = sanitizeText(raw);
    if (line.empty()) return;
    lastLine_ = line;
    if (!answered_ || !isFinalResult(line)) return;
    answer(line == "OK" ? Outcome::Ok : Outcome::Failed, line);
}

void ModuleRecovery::atClosed(std::string_view why) {
    if (answered_)
        answer(Outcome::Closed, std::string(why));
    else
        closePort();
}

void ModuleRecovery::answer(Outcome outcome, std::string detail) {
    timer_.reset();
    Answered answered = std::move(answered_);
    answered_ = nullptr;
    if (!answered) return;
    // Never continue from inside the channel's callback: the next step may close it.
    scheduler_.defer([alive = alive_, answered = std::move(answered), outcome, detail = std::move(detail)] {
        if (*alive) answered(outcome, detail);
    });
}

void ModuleRecovery::after(std::chrono::milliseconds delay, std::function<void()> then) {
    timer_ = scheduler_.after(delay, [this, then = std::move(then)] {
        auto fired = std::move(timer_);  // `then` may set the next timer
        then();
    });
}

// --- the rungs ---------------------------------------------------------------------------

void ModuleRecovery::probe() {
    std::string port = where_().modemPort;
    note_(fmt::format("recovery: does the module answer AT on {}?", port));
    if (!openPort(port)) {
        note_(fmt::format("recovery: cannot open {}: {}", port, lastTryProblem_));
        reboot();
        return;
    }
    exchange("AT", false, limits_.answer, [this](Outcome outcome, const std::string& detail) {
        if (outcome == Outcome::Ok) {
            closePort();
            note_("recovery: the module answers OK: nothing to recover");
            finish("probe");
            return;
        }
        note_(outcome == Outcome::Silent ? "recovery: no answer to AT: the module may be stuck in data mode"
                                         : fmt::format("recovery: AT answered '{}'", detail));
        escape();
    });
}

void ModuleRecovery::escape() {
    // The port stays open from the probe: "+++" only counts between two guard times of silence.
    note_(fmt::format("recovery, step 1 of 3: escape to command mode ('+++' with {:.1f} s guard times, then ATH)",
                      std::chrono::duration<double>(limits_.guard).count()));
    after(limits_.guard, [this] {
        exchange("+++", true, limits_.guard + limits_.answer, [this](Outcome outcome, const std::string& detail) {
            if (outcome != Outcome::Ok) {
                note_(outcome == Outcome::Silent ? "recovery: no OK after '+++'"
                                                 : fmt::format("recovery: '+++' got '{}'", detail));
                closePort();
                reboot();
                return;
            }
            escapeHangUp();
        });
    });
}

void ModuleRecovery::escapeHangUp() {
    exchange("ATH", false, limits_.answer, [this](Outcome hungUp, const std::string&) {
        // ATH may answer NO CARRIER when no call is left: the AT that follows decides.
        (void)hungUp;
        exchange("AT", false, limits_.answer, [this](Outcome outcome, const std::string& detail) {
            closePort();
            if (outcome == Outcome::Ok) {
                note_("recovery: the module is back in command mode after '+++' and ATH");
                finish("escape");
                return;
            }
            note_(fmt::format("recovery: after '+++' and ATH, AT still got {}", detail.empty() ? "nothing" : detail));
            reboot();
        });
    });
}

void ModuleRecovery::reboot() {
    RecoveryPorts ports = where_();
    if (ports.atPort.empty() || ports.atPort == ports.modemPort) {
        note_("recovery, step 2 of 3: skipped: no separate AT port to send AT+CFUN=1,1 on");
        usbReset();
        return;
    }
    note_(fmt::format("recovery, step 2 of 3: restart the module (AT+CFUN=1,1 on {})", ports.atPort));
    if (!openPort(ports.atPort)) {
        note_(fmt::format("recovery: cannot open {}: {}", ports.atPort, lastTryProblem_));
        usbReset();
        return;
    }
    exchange("AT+CFUN=1,1", false, limits_.answer * 5, [this](Outcome outcome, const std::string& detail) {
        closePort();
        // A module that restarts at once may close its port before the OK: that counts too.
        if (outcome == Outcome::Ok || outcome == Outcome::Closed) {
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
    note_(fmt::format("recovery: waiting up to {:.0f} s for the modem port to answer AT",
                      std::chrono::duration<double>(limits_.rebootWait).count()));
    after(limits_.poll, [this] { tryReturn(); });
}

void ModuleRecovery::tryReturn() {
    auto nextTry = [this] {
        closePort();
        if (scheduler_.monotonicNow() + limits_.poll > awaitDeadline_) {
            note_(fmt::format("recovery: the modem port did not answer within {:.0f} s ({})",
                              std::chrono::duration<double>(limits_.rebootWait).count(),
                              lastTryProblem_.empty() ? "silent" : lastTryProblem_));
            if (awaiting_ == "reboot")
                usbReset();
            else
                finish(std::nullopt);
            return;
        }
        after(limits_.poll, [this] { tryReturn(); });
    };
    if (!openPort(where_().modemPort)) {  // still re-enumerating, typically
        nextTry();
        return;
    }
    exchange("AT", false, limits_.answer, [this, nextTry](Outcome outcome, const std::string& detail) {
        if (outcome != Outcome::Ok) {
            lastTryProblem_ = detail.empty() ? "no answer" : detail;
            nextTry();
            return;
        }
        closePort();
        note_(fmt::format("recovery: {} answers OK again", where_().modemPort));
        finish(awaiting_);
    });
}

void ModuleRecovery::finish(std::optional<std::string> recoveredBy) {
    if (!done_) return;
    closePort();
    double took = secondsBetween(startedAt_, scheduler_.monotonicNow());
    if (!recoveredBy)
        note_(fmt::format("recovery: gave up after {:.1f} s: the module answered no step", took));
    else if (*recoveredBy != "probe")
        note_(fmt::format("recovery: module recovered by {} in {:.1f} s", *recoveredBy, took));
    Done done = std::move(done_);
    done_ = nullptr;
    scheduler_.defer([alive = alive_, done = std::move(done), recoveredBy] {
        if (*alive) done(recoveredBy);
    });
}

}  // namespace dialupd
