// SPDX-License-Identifier: GPL-2.0-or-later
#include "modem_recovery.h"

#include <fmt/format.h>

namespace dialupd {
namespace {

// After a recovery that re-enumerated the module: how long its udev add event may lag.
constexpr std::chrono::seconds kReattachGrace{10};

}  // namespace

ModemRecovery::ModemRecovery(const DaemonSettings& daemon, Scheduler& scheduler, const ModemServices& services,
                             AtPortTurns& atTurns, Note note, Ports ports, Finished finished, NotBack notBack,
                             AfterOthers afterOthers)
    : daemon_(daemon),
      scheduler_(scheduler),
      services_(services),
      atTurns_(atTurns),
      note_(std::move(note)),
      ports_(std::move(ports)),
      finished_(std::move(finished)),
      notBack_(std::move(notBack)),
      afterOthers_(std::move(afterOthers)) {}

ModemRecovery::~ModemRecovery() = default;

void ModemRecovery::start(ResetCompletion reset, std::optional<CallSettings> call, ModuleRecovery::Rung from) {
    reset_ = std::move(reset);
    call_ = std::move(call);
    awaitingPort_ = true;
    std::string powerCycleCommand = call_ ? call_->escalation.powerCycleCommand : std::string();
    auto takeTurn = [this, generation = ++generation_, from, powerCycleCommand = std::move(powerCycleCommand)] {
        if (generation != generation_ || !awaitingPort_) return;  // cancelled meanwhile
        turnAsked_ = true;
        // A cancel() before the turn comes gives the turn back, and this never runs.
        atTurns_.take([this, from, powerCycleCommand] {
            awaitingPort_ = false;
            RecoveryLimits limits;
            limits.rebootWait = daemon_.recoveryWait;
            ladder_ = std::make_unique<ModuleRecovery>(*services_.atPorts, scheduler_, services_.usbResetter, limits,
                                                       note_, services_.commands, powerCycleCommand);
            ladder_->start(
                ports_, [this](std::optional<std::string> recoveredBy) { ladderDone(std::move(recoveredBy)); }, from);
        });
    };
    if (afterOthers_)
        afterOthers_(std::move(takeTurn));
    else
        takeTurn();
}

void ModemRecovery::ladderDone(std::optional<std::string> recoveredBy) {
    ladder_.reset();  // called from the loop, not from inside the ladder
    atTurns_.giveBack();
    turnAsked_ = false;
    Outcome outcome{std::move(recoveredBy), std::move(reset_), std::move(call_), {}};
    outcome.connectWaiters.adopt(connectWaiters_);
    reset_ = nullptr;
    call_.reset();
    finished_(std::move(outcome));
}

ModemRecovery::Outcome ModemRecovery::cancel() {
    if (turnAsked_) atTurns_.giveBack();
    turnAsked_ = false;
    ++generation_;
    ladder_.reset();
    awaitingPort_ = false;
    Outcome outcome{std::nullopt, std::move(reset_), std::move(call_), {}};
    outcome.connectWaiters.adopt(connectWaiters_);
    reset_ = nullptr;
    call_.reset();
    return outcome;
}

void ModemRecovery::detached(std::function<void()> gone) { gone_ = std::move(gone); }

void ModemRecovery::reattached() {
    gone_ = nullptr;
    reattachTimer_.reset();
}

void ModemRecovery::awaitReattach() {
    if (!gone_) return;
    note_(fmt::format("the module answers; waiting up to {} s for udev to announce it again", kReattachGrace.count()));
    reattachTimer_ = scheduler_.after(kReattachGrace, [this] {
        reattachTimer_.reset();
        removeIfStillDetached();
    });
}

void ModemRecovery::removeIfStillDetached() {
    if (!gone_) return;
    note_("the module did not come back on USB: the modem is removed");
    auto gone = std::move(gone_);
    gone_ = nullptr;
    notBack_(std::move(gone));
}

}  // namespace dialupd
