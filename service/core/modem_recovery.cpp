#include "modem_recovery.h"

#include <fmt/format.h>

namespace dialupd {
namespace {

// After a recovery that re-enumerated the module: how long its udev add event may lag.
constexpr std::chrono::seconds kReattachGrace{10};

}  // namespace

ModemRecovery::ModemRecovery(const DaemonSettings& daemon, Scheduler& scheduler, const ModemServices& services,
                             AtPortTurns& atTurns, Note note, Ports ports, Finished finished, NotBack notBack)
    : daemon_(daemon),
      scheduler_(scheduler),
      services_(services),
      atTurns_(atTurns),
      note_(std::move(note)),
      ports_(std::move(ports)),
      finished_(std::move(finished)),
      notBack_(std::move(notBack)) {}

ModemRecovery::~ModemRecovery() = default;

void ModemRecovery::start(ResetCompletion reset, std::optional<CallSettings> call) {
    reset_ = std::move(reset);
    call_ = std::move(call);
    awaitingPort_ = true;
    // A cancel() before the turn comes gives the turn back, and this never runs.
    atTurns_.take([this] {
        awaitingPort_ = false;
        RecoveryLimits limits;
        limits.rebootWait = daemon_.recoveryWait;
        ladder_ =
            std::make_unique<ModuleRecovery>(*services_.atPorts, scheduler_, services_.usbResetter, limits, note_);
        ladder_->start(ports_, [this](std::optional<std::string> recoveredBy) { ladderDone(std::move(recoveredBy)); });
    });
}

void ModemRecovery::ladderDone(std::optional<std::string> recoveredBy) {
    ladder_.reset();  // called from the loop, not from inside the ladder
    atTurns_.giveBack();
    Outcome outcome{std::move(recoveredBy), std::move(reset_), std::move(call_), {}};
    outcome.connectWaiters.adopt(connectWaiters_);
    reset_ = nullptr;
    call_.reset();
    finished_(std::move(outcome));
}

ModemRecovery::Outcome ModemRecovery::cancel() {
    if (running()) atTurns_.giveBack();
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
